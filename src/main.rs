//! The `inkgraph` command line: a thin layer over the library.

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use inkgraph::api::{self, QueryLimits};
use inkgraph::graph::{Audience, FolderHint, LoadSummary, Snapshot};
use inkgraph::load::{self, ContentArgs};
use inkgraph::outputs::CheckReport;
use inkgraph::server::{self, AppState};
use inkgraph::settings::{self, LogFormat, Parsed, ServeArgs};
use inkgraph::site::store::ContentStore;
use inkgraph::site::{LiveSite, ServedSite};
use inkgraph::watch;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

inkgraph::server_allocator!();

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
    /// Load the content folder and report counts and problems; exits 1 when any ERROR exists
    /// or no post is public (unless --allow-empty).
    Check {
        #[command(flatten)]
        content: ContentArgs,
        /// Output format.
        #[arg(long, env = "INKGRAPH_CHECK_FORMAT", value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Count broken internal links as errors (exit 1), for CI.
        #[arg(long, env = "INKGRAPH_FAIL_ON_BROKEN_LINKS")]
        fail_on_broken_links: bool,
        /// Pass (exit 0) when the folder has no public post; by default that fails, as it
        /// usually means --content names the wrong folder.
        #[arg(long, env = "INKGRAPH_ALLOW_EMPTY")]
        allow_empty: bool,
    },
    /// Serve the content folder over GraphQL (playground at /, API at /graphql). Settings come
    /// from flags, then INKGRAPH_* variables, then inkgraph.toml, then the defaults shown.
    Serve(Box<ServeArgs>),
    /// Run one GraphQL query against the content folder and print the JSON response
    /// (exits 1 when the response has errors).
    Query {
        #[command(flatten)]
        content: ContentArgs,
        /// Variables as a JSON object.
        #[arg(long, env = "INKGRAPH_QUERY_VARIABLES")]
        variables: Option<String>,
        /// The query text, or @path/to/query.graphql.
        query: String,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Exit 0 when a running server answers its health check (for container HEALTHCHECKs).
    Healthcheck {
        /// The health URL to probe.
        #[arg(
            long,
            env = "INKGRAPH_HEALTHCHECK_URL",
            default_value = "http://127.0.0.1:8000/healthz"
        )]
        url: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Exit code when the content folder (or `serve`'s configuration) cannot be used at all.
const EXIT_BAD_CONTENT_ROOT: u8 = 2;

fn main() -> ExitCode {
    // Flags, then INKGRAPH_* variables, then `serve`'s configuration file, then defaults.
    let parsed =
        settings::parse(Cli::command(), std::env::args_os()).unwrap_or_else(|err| err.exit());
    let cli = Cli::from_arg_matches(&parsed.matches).unwrap_or_else(|err| err.exit());
    let result = match cli.command {
        Command::Serve(args) => serve(*args, &parsed),
        command => run(command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the content folder, or says why it cannot be used.
fn load(content: &ContentArgs) -> Result<Snapshot, ExitCode> {
    load::load(&content.load_options()).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(EXIT_BAD_CONTENT_ROOT)
    })
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
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
                runtime.block_on(schema.execute(request.data(ServedSite::new(snapshot))));
            let (json, _) = api::spec::response_json(&response);
            println!(
                "{}",
                serde_json::to_string_pretty(&json).context("serializing the response")?
            );
            Ok(if response.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Serve(_) => unreachable!("`serve` is handled in main"),
        Command::Check {
            content,
            format,
            fail_on_broken_links,
            allow_empty,
        } => {
            let snapshot = match load(&content) {
                Ok(snapshot) => snapshot,
                Err(code) => return Ok(code),
            };
            let served = ServedSite::new(snapshot);
            let public = served.snapshot.view(Audience::Public);
            // The author's own check: problems in drafts and other hidden posts count too.
            let report = CheckReport::new(
                &served.snapshot,
                served.diagnostics(Audience::Preview),
                served.link_graph(Audience::Public),
                public,
            );
            match format {
                Format::Text => print!("{}", report.to_text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).context("serializing the report")?
                ),
            }
            // Wrong-folder hints go to stderr, so `--format json` stays one document.
            let hints = FolderHint::of(&served.snapshot);
            for hint in &hints {
                eprintln!("warning: {hint}");
            }
            let empty = report.public_posts == 0;
            if empty && !allow_empty {
                eprintln!(
                    "error: no public posts in {}; pass --allow-empty (INKGRAPH_ALLOW_EMPTY=1) if that is expected",
                    served.snapshot.root.display()
                );
            }
            let failing_links = fail_on_broken_links && report.links.broken > 0;
            Ok(
                if report.error_count() > 0 || failing_links || (empty && !allow_empty) {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                },
            )
        }
    }
}

/// `inkgraph serve`: check the configuration, load, then serve until SIGTERM/Ctrl-C
/// (SIGHUP reloads the content folder; `--watch` follows it).
fn serve(config: ServeArgs, parsed: &Parsed) -> anyhow::Result<ExitCode> {
    if let Err(err) = config.http.check_tokens() {
        eprintln!("error: {err}");
        return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
    }
    if let Err(err) = config.webhooks.check() {
        eprintln!("error: {err}");
        return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
    }
    if config.print_config {
        print!("{}", parsed.to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    init_logging(config.log_format, config.log_level.as_deref());
    // Bound before loading, so a busy port fails at once, naming the setting.
    let listener = match std::net::TcpListener::bind(config.listen) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "error: cannot listen on {}: {err}; choose another address with --listen ADDR or INKGRAPH_LISTEN (e.g. --listen 8001 for 127.0.0.1:8001), or stop the program using it",
                config.listen
            );
            return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
        }
    };
    let started = Instant::now();
    let live = match LiveSite::load(&config.content.load_options()) {
        Ok(live) => live,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
        }
    };
    let served = live.current().load_full();
    let snapshot = &served.snapshot;
    for d in &snapshot.diagnostics {
        d.log();
    }
    for hint in FolderHint::of(snapshot) {
        tracing::warn!("{hint}");
    }
    let summary = format!(
        "{}, {} diagnostics ({} errors) from {} in {} ms (version {})",
        LoadSummary::of(snapshot),
        snapshot.diagnostics.len(),
        snapshot.diagnostics.iter().filter(|d| d.is_error()).count(),
        snapshot.root.display(),
        started.elapsed().as_millis(),
        snapshot.version
    );
    warm(&served);
    drop(served);
    // Kept alive for the whole run: dropping it stops watching.
    let _watching = match config.watch.options() {
        Some(options) => match watch::watch(live.clone(), options) {
            Ok(watching) => Some(watching),
            Err(err) => {
                eprintln!(
                    "error: cannot watch {}: {err}",
                    config.content.content.display()
                );
                return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
            }
        },
        None => None,
    };
    let events = live.events().clone();
    let current = live.current().clone();
    // Authoring: only the instance given the editor token writes (replicas stay read-only).
    let state = match config.http.editor_token.as_deref() {
        Some(token) if !token.is_empty() => {
            let store = ContentStore::open(live.clone(), config.store.clone());
            AppState::live_with_store(live, store, &config.http)
        }
        _ => AppState::live(live, &config.http),
    };
    let options = config.run;
    let webhook_args = config.webhooks;
    let listen = config.listen;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .with_context(|| format!("listening on {listen}"))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().unwrap_or(listen);
        if let Some(webhooks) = webhook_args.start(&events, current)? {
            state.attach_webhooks(webhooks);
        }
        tracing::info!("inkgraph serving http://{addr}/ (playground; API at /graphql): {summary}");
        server::serve(listener, state, options)
            .await
            .context("serving HTTP")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Renders every post in the background, so first requests find HTML cached; render-time
/// problems are logged when done.
fn warm(served: &Arc<ServedSite>) {
    let warm = served.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        warm.warm();
        let all = warm.diagnostics(Audience::Preview);
        let load_problems = warm.snapshot.diagnostics.len();
        let render_problems = all.len().saturating_sub(load_problems);
        // Load diagnostics were logged at start; render ones are listed by `check`, and at
        // DEBUG here.
        if tracing::enabled!(tracing::Level::DEBUG) {
            let loaded: std::collections::HashSet<_> = warm.snapshot.diagnostics.iter().collect();
            for d in all.iter().filter(|d| !loaded.contains(d)) {
                tracing::debug!("{d}");
            }
        }
        let summary = LoadSummary::of(&warm.snapshot);
        let how_to_see = match render_problems {
            0 => String::new(),
            _ => format!(
                ": `inkgraph check --content {}` lists them, `--log-level inkgraph=debug` logs each",
                warm.snapshot.root.display()
            ),
        };
        tracing::info!(
            "rendered all {} loaded posts ({} public; drafts and hidden posts too, for previews) in {} ms, {render_problems} render diagnostics (Liquid, links, sanitizing){how_to_see}",
            summary.loaded,
            summary.public_posts,
            started.elapsed().as_millis()
        );
    });
}

/// Log lines as text or JSON, filtered by `--log-level`, else `RUST_LOG`, else `info`.
fn init_logging(format: LogFormat, level: Option<&str>) {
    let filter = level
        .and_then(|level| tracing_subscriber::EnvFilter::try_new(level).ok())
        .or_else(|| tracing_subscriber::EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal (and never with NO_COLOR set): redirected logs stay plain.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
