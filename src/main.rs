//! The `inkgraph` command line: a thin layer over the library.

use anyhow::Context;
use arc_swap::ArcSwap;
use clap::{Parser, Subcommand, ValueEnum};
use inkgraph::api::{self, QueryLimits, ServedSnapshot};
use inkgraph::check::CheckReport;
use inkgraph::graph::{self, LoadOptions, Snapshot, Visibility};
use inkgraph::server::{self, HttpConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "inkgraph",
    version,
    about = "A fast GraphQL content API over a Jekyll-style blog folder"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the content folder and report counts and problems; exits 1 when any ERROR exists.
    Check {
        #[command(flatten)]
        content: ContentArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the content folder over GraphQL (playground at /, API at /graphql).
    Serve {
        #[command(flatten)]
        content: ContentArgs,
        /// Address to listen on.
        #[arg(long, env = "INKGRAPH_LISTEN", default_value = "127.0.0.1:8000")]
        listen: SocketAddr,
        /// Base URL of the playground's JavaScript and CSS (self-host them by pointing this
        /// at your own copy of react@18, react-dom@18 and graphiql@3).
        #[arg(long, env = "INKGRAPH_PLAYGROUND_ASSETS", default_value = server::DEFAULT_ASSETS_URL)]
        playground_assets: String,
        /// Deepest query nesting accepted.
        #[arg(long, env = "INKGRAPH_MAX_DEPTH", default_value_t = QueryLimits::default().depth)]
        max_depth: usize,
        /// Largest query cost accepted (list fields cost their page size times their children).
        #[arg(long, env = "INKGRAPH_MAX_COMPLEXITY", default_value_t = QueryLimits::default().complexity)]
        max_complexity: usize,
        /// Largest request body accepted, in bytes.
        #[arg(long, env = "INKGRAPH_MAX_BODY_BYTES", default_value_t = HttpConfig::default().max_body_bytes)]
        max_body_bytes: usize,
    },
    /// Run one GraphQL query against the content folder and print the JSON response
    /// (exits 1 when the response has errors).
    Query {
        #[command(flatten)]
        content: ContentArgs,
        /// Variables as a JSON object.
        #[arg(long)]
        variables: Option<String>,
        /// The query text, or @path/to/query.graphql.
        query: String,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Exit 0 when a running server answers its health check (for container HEALTHCHECKs).
    Healthcheck {
        /// The health URL to probe.
        #[arg(long, default_value = "http://127.0.0.1:8000/healthz")]
        url: String,
    },
}

/// Where the blog is and which posts are shown.
#[derive(clap::Args)]
struct ContentArgs {
    /// The blog's root folder (a Jekyll site or a plain folder of Markdown).
    #[arg(long, env = "INKGRAPH_CONTENT", default_value = "./content")]
    content: PathBuf,
    /// Include posts from `_drafts` folders (like `jekyll --drafts`).
    #[arg(long, env = "INKGRAPH_DRAFTS")]
    drafts: bool,
    /// Include posts dated in the future (like `jekyll --future`).
    #[arg(long, env = "INKGRAPH_FUTURE")]
    future: bool,
}

impl ContentArgs {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            root: self.content.clone(),
            visibility: Visibility {
                drafts: self.drafts,
                future: self.future,
            },
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Exit code when the content folder cannot be used at all.
const EXIT_BAD_CONTENT_ROOT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the content folder, or says why it cannot be used.
fn load(content: &ContentArgs) -> Result<Snapshot, ExitCode> {
    graph::load(&content.load_options()).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(EXIT_BAD_CONTENT_ROOT)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Healthcheck { url } => match server::probe(&url, Duration::from_secs(3)) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(err) => {
                eprintln!("unhealthy: {err}");
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Schema => {
            print!("{}", api::schema_sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::Query {
            content,
            variables,
            query,
        } => {
            let query = match query.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading the query from {path}"))?,
                None => query,
            };
            let mut request = async_graphql::Request::new(query);
            if let Some(variables) = variables {
                let json: serde_json::Value = serde_json::from_str(&variables)
                    .context("--variables must be a JSON object, e.g. '{\"slug\": \"hello\"}'")?;
                request = request.variables(async_graphql::Variables::from_json(json));
            }
            let snapshot = match load(&content) {
                Ok(snapshot) => snapshot,
                Err(code) => return Ok(code),
            };
            let schema = api::build_schema(QueryLimits::default());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .context("starting the async runtime")?;
            let response =
                runtime.block_on(schema.execute(request.data(ServedSnapshot::new(snapshot))));
            println!(
                "{}",
                serde_json::to_string_pretty(&response).context("serializing the response")?
            );
            Ok(if response.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Serve {
            content,
            listen,
            playground_assets,
            max_depth,
            max_complexity,
            max_body_bytes,
        } => {
            init_logging();
            let started = Instant::now();
            let snapshot = match load(&content) {
                Ok(snapshot) => snapshot,
                Err(code) => return Ok(code),
            };
            for d in &snapshot.diagnostics {
                tracing::warn!("{d}");
            }
            let summary = format!(
                "{} posts, {} tags, {} diagnostics ({} errors) from {} in {} ms (version {})",
                snapshot.index.len(),
                snapshot.index.tags_by_count().len(),
                snapshot.diagnostics.len(),
                snapshot.diagnostics.iter().filter(|d| d.is_error()).count(),
                snapshot.root.display(),
                started.elapsed().as_millis(),
                snapshot.version
            );
            let served = ServedSnapshot::new(snapshot);
            // Render every post in the background once serving starts, so first requests
            // find HTML cached; render-time problems are logged when done.
            let warm = served.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let render_problems = warm.diagnostics().len() - warm.snapshot.diagnostics.len();
                tracing::info!(
                    "rendered {} posts in {} ms ({render_problems} render diagnostics)",
                    warm.snapshot.posts.len(),
                    started.elapsed().as_millis()
                );
            });
            let current = Arc::new(ArcSwap::new(served));
            let config = HttpConfig {
                playground_assets_url: playground_assets,
                limits: QueryLimits {
                    depth: max_depth,
                    complexity: max_complexity,
                },
                max_body_bytes,
            };
            let app = server::router(current, &config);
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr().unwrap_or(listen);
                tracing::info!(
                    "inkgraph serving http://{addr}/ (playground; API at /graphql): {summary}"
                );
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown_signal())
                    .await
                    .context("serving HTTP")
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { content, format } => {
            let snapshot = match load(&content) {
                Ok(snapshot) => snapshot,
                Err(code) => return Ok(code),
            };
            let served = ServedSnapshot::new(snapshot);
            let report = CheckReport::new(&served.snapshot, served.diagnostics());
            match format {
                Format::Text => print!("{}", report.to_text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).context("serializing the report")?
                ),
            }
            Ok(if report.error_count() > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests can finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
