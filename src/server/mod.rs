//! HTTP: axum routes for GraphQL, the playground, health, readiness and metrics, with the
//! layers a public API needs (request ids, access logs, CORS, compression).
//!
//! The router is built apart from [`serve`] so tests can drive it with `oneshot`. Requests go
//! through `graphql.rs` (GraphQL over HTTP); caching is in `cache.rs` and `apq.rs`, preview
//! access in `preview.rs`, counters in `metrics.rs`, the process lifecycle (signals,
//! reload, drain) in `run.rs`, and the accept loop with its connection limits in `conn.rs`.

mod admin;
mod apq;
mod connections;
mod documents;
mod editor;
mod gate;
mod graphql;
mod metrics;
mod negotiate;
mod outputs;
mod params;
mod playground;
mod preview;
mod probe;
mod response_cache;
mod run;
mod websocket;

pub use apq::sha256_hex;
pub use connections::{ConnectionLimits, ConnectionSlot};
pub use graphql::CACHE_STATUS_HEADER;
pub use playground::{
    playground_asset, playground_html, PlaygroundAsset, DEFAULT_ASSETS_URL, PLAYGROUND_ASSETS,
};
pub use preview::{BearerToken, PreviewGate};
pub use probe::{probe, ProbeError};
pub use run::{serve, serve_until, ServeOptions};

use crate::api::{build_schema, InkSchema, QueryLimits};
use crate::args::{at_least, duration, positive_duration};
use crate::site::store::ContentStore;
use crate::site::{CurrentSite, LiveSite, ServedSite, SiteEvents};
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use metrics::{Gauges, Metrics};
use response_cache::ResponseCache;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header carrying each request's id (taken from the client when it sends one).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Responses smaller than this are sent uncompressed (compressing them saves too little).
pub const COMPRESSION_MIN_BYTES: u16 = 1024;

/// Which browser origins may call the API (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any site (`Access-Control-Allow-Origin: *`); never with credentials.
    Any,
    /// Only these origins, e.g. `https://blog.example.org`.
    List(Vec<String>),
}

/// A comma-separated CORS setting: `None` for `*` (or nothing), else its items; `*` mixed
/// with items is refused (`what` names one item: "origin", "header").
fn star_or_list<'a>(text: &'a str, what: &str) -> Result<Option<Vec<&'a str>>, String> {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect();
    if items.is_empty() || items == ["*"] {
        return Ok(None);
    }
    if items.contains(&"*") {
        return Err(format!(
            "`*` (any {what}) cannot be combined with a list of {what}s"
        ));
    }
    Ok(Some(items))
}

impl CorsOrigins {
    /// `*` → any origin; otherwise a comma-separated list of `http(s)://host[:port]` origins.
    pub fn parse(text: &str) -> Result<CorsOrigins, String> {
        let Some(items) = star_or_list(text, "origin")? else {
            return Ok(CorsOrigins::Any);
        };
        for item in &items {
            let rest = item
                .strip_prefix("https://")
                .or_else(|| item.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') && item.is_ascii() => {}
                _ => {
                    return Err(format!(
                        "`{item}` is not an origin like https://blog.example.org (scheme and host, optional port, no path or trailing slash)"
                    ))
                }
            }
        }
        Ok(CorsOrigins::List(
            items.into_iter().map(String::from).collect(),
        ))
    }
}

/// Which request headers a browser may send cross-origin (the answer to a CORS preflight's
/// `Access-Control-Request-Headers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsHeaders {
    /// Whatever the preflight asks for (safe: credentials are never allowed), so tracing and
    /// client-awareness headers (`traceparent`, `baggage`, `sentry-trace`,
    /// `apollographql-client-name`, …) pass.
    Mirror,
    /// These (lower-case names) besides the ones the API reads itself ([`CORS_API_HEADERS`]).
    List(Vec<String>),
}

impl CorsHeaders {
    /// `*` → whatever a preflight asks for; otherwise a comma-separated list of header names.
    pub fn parse(text: &str) -> Result<CorsHeaders, String> {
        let Some(items) = star_or_list(text, "header")? else {
            return Ok(CorsHeaders::Mirror);
        };
        for item in &items {
            if HeaderName::from_bytes(item.as_bytes()).is_err() {
                return Err(format!(
                    "`{item}` is not a header name such as traceparent or sentry-trace"
                ));
            }
        }
        Ok(CorsHeaders::List(
            items.into_iter().map(str::to_ascii_lowercase).collect(),
        ))
    }
}

/// Request headers the API reads, always allowed cross-origin.
pub const CORS_API_HEADERS: [&str; 7] = [
    "accept",
    "authorization",
    "content-type",
    "if-none-match",
    REQUEST_ID_HEADER,
    "apollo-require-preflight",
    "x-apollo-operation-name",
];

/// HTTP settings: everything `inkgraph serve` can configure about answering requests.
///
/// Each field is a setting of `inkgraph serve`, declared once here: its doc comment is the
/// flag's help, its attributes the flag, the `INKGRAPH_*` variable (the configuration file's
/// key is the flag's long name) and the default, which [`HttpConfig::default`] reads too.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpConfig {
    /// Base URL of the playground's files: `playground` is the copy built into the binary
    /// (served at /playground/, works offline); another URL must serve the files of
    /// assets/playground/ with CORS headers.
    #[arg(long = "playground-assets", env = "INKGRAPH_PLAYGROUND_ASSETS", default_value = DEFAULT_ASSETS_URL, value_name = "URL")]
    pub playground_assets_url: String,
    /// Query depth and complexity limits.
    #[command(flatten)]
    pub limits: QueryLimits,
    /// Largest request body (and GET query string) accepted, in bytes; larger gets 413 (414).
    #[arg(long, env = "INKGRAPH_MAX_BODY_BYTES", default_value_t = 64 * 1024, value_parser = at_least(256), value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Most operations in one batched POST (a JSON array body).
    #[arg(long, env = "INKGRAPH_MAX_BATCH", default_value_t = 10, value_parser = at_least(1), value_name = "N")]
    pub max_batch: usize,
    /// Longest a query may execute before the client gets a 503 (e.g. 5s, 800ms).
    #[arg(long, env = "INKGRAPH_TIMEOUT", default_value = "5s", value_parser = positive_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// `Cache-Control: public, max-age` of GET answers, for browsers, CDNs and nginx.
    #[arg(long, env = "INKGRAPH_CACHE_MAX_AGE", default_value = "60s", value_parser = duration, value_name = "DURATION")]
    pub cache_max_age: Duration,
    /// Most answers kept in the in-memory response cache (0 turns it off).
    #[arg(long, env = "INKGRAPH_RESPONSE_CACHE_ENTRIES", default_value_t = 1000, value_parser = at_least(0), value_name = "N")]
    pub response_cache_entries: usize,
    /// Most body bytes kept in the in-memory response cache.
    #[arg(long, env = "INKGRAPH_RESPONSE_CACHE_BYTES", default_value_t = 32 * 1024 * 1024, value_parser = at_least(0), value_name = "BYTES")]
    pub response_cache_bytes: usize,
    /// Most Apollo persisted queries remembered (0 turns persisted queries off).
    #[arg(long, env = "INKGRAPH_APQ_ENTRIES", default_value_t = 1000, value_parser = at_least(0), value_name = "N")]
    pub apq_entries: usize,
    /// Origins allowed to call the API from browsers: `*` (any site, no credentials) or a
    /// comma-separated list such as `https://blog.example.org,https://example.org`.
    #[arg(long, env = "INKGRAPH_CORS_ORIGINS", default_value = "*", value_parser = CorsOrigins::parse, value_name = "ORIGINS")]
    pub cors_origins: CorsOrigins,
    /// How long browsers may cache a CORS preflight answer (browsers cap it, Chrome at 2h).
    #[arg(long, env = "INKGRAPH_CORS_MAX_AGE", default_value = "2h", value_parser = duration, value_name = "DURATION")]
    pub cors_max_age: Duration,
    /// Request headers browsers may send cross-origin: `*` (whatever a preflight asks for, so
    /// tracing headers such as `traceparent`, `baggage` and `sentry-trace` pass) or a
    /// comma-separated list added to the ones the API reads (`Accept`, `Authorization`,
    /// `Content-Type`, `If-None-Match`, `X-Request-Id`).
    #[arg(long, env = "INKGRAPH_CORS_ALLOW_HEADERS", default_value = "*", value_parser = CorsHeaders::parse, value_name = "HEADERS")]
    pub cors_allow_headers: CorsHeaders,
    /// Bearer token that shows drafts and future posts to requests sending
    /// `Authorization: Bearer <token>` (at least 16 characters) [default: none, preview off]
    #[arg(long, env = "INKGRAPH_PREVIEW_TOKEN", hide_env_values = true, value_parser = parse_token, value_name = "TOKEN")]
    pub preview_token: Option<String>,
    /// Bearer token that `POST /admin/reload` requires (at least 16 characters)
    /// [default: none, the endpoint answers 404]
    #[arg(long, env = "INKGRAPH_ADMIN_TOKEN", hide_env_values = true, value_parser = parse_token, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Bearer token that mutations (createPost, updatePost, …) require; set it on the one
    /// instance that writes the content folder (at least 16 characters, distinct from the
    /// other tokens) [default: none, read-only: mutations answer 403]
    #[arg(long, env = "INKGRAPH_EDITOR_TOKEN", hide_env_values = true, value_parser = parse_token, value_name = "TOKEN")]
    pub editor_token: Option<String>,
    /// Most open client connections (HTTP and WebSocket); one more is answered 503 and
    /// closed. Lowered at start to fit the open-file limit.
    #[arg(long, env = "INKGRAPH_MAX_CONNECTIONS", default_value_t = 1024, value_parser = at_least(1), value_name = "N")]
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers (from its first byte, or from
    /// connecting); then the connection is closed.
    #[arg(long, env = "INKGRAPH_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = positive_duration, value_name = "DURATION")]
    pub header_read_timeout: Duration,
    /// Longest a client may take to send a request's body; then it gets 408 and the
    /// connection is closed.
    #[arg(long, env = "INKGRAPH_REQUEST_BODY_TIMEOUT", default_value = "15s", value_parser = positive_duration, value_name = "DURATION")]
    pub request_body_timeout: Duration,
    /// How long a connection may sit idle between requests before it is closed (0 turns
    /// keep-alive off). Keep it above the idle timeout of a proxy in front.
    #[arg(long, env = "INKGRAPH_KEEP_ALIVE_TIMEOUT", default_value = "75s", value_parser = duration, value_name = "DURATION")]
    pub keep_alive_timeout: Duration,
    /// Most open WebSocket connections on /graphql/ws; one more is answered 503.
    #[arg(long, env = "INKGRAPH_MAX_WS_CONNECTIONS", default_value_t = 256, value_parser = at_least(0), value_name = "N")]
    pub max_ws_connections: usize,
    /// Most operations (subscriptions, queries) running at once on one WebSocket; one more
    /// is answered with an error (the socket stays open).
    #[arg(long, env = "INKGRAPH_MAX_WS_SUBSCRIPTIONS", default_value_t = 16, value_parser = at_least(1), value_name = "N")]
    pub max_ws_subscriptions: usize,
    /// Largest WebSocket message a client may send, in bytes; a larger one closes the socket
    /// with code 1009.
    #[arg(long, env = "INKGRAPH_MAX_WS_MESSAGE_BYTES", default_value_t = 64 * 1024, value_parser = at_least(256), value_name = "BYTES")]
    pub max_ws_message_bytes: usize,
    /// Most aliased fields in one request (a batch counts all its operations; a fragment's
    /// aliases count once per spread).
    #[arg(long, env = "INKGRAPH_MAX_ALIASES", default_value_t = 50, value_parser = at_least(0), value_name = "N")]
    pub max_aliases: usize,
    /// Largest answer in bytes (a batch's answers together); a larger one is replaced by an
    /// error naming this limit.
    #[arg(long, env = "INKGRAPH_MAX_RESPONSE_BYTES", default_value_t = 16 * 1024 * 1024, value_parser = at_least(1024), value_name = "BYTES")]
    pub max_response_bytes: usize,
    /// Most GraphQL requests parsing or executing at once, each on a thread of their own (off
    /// the async workers; at most 1024) [default: the number of CPUs]
    #[arg(long, env = "INKGRAPH_MAX_CONCURRENT_QUERIES", default_value_t = cpus(), hide_default_value = true, value_parser = at_least(1), value_name = "N")]
    pub max_concurrent_queries: usize,
    /// Most GraphQL requests waiting for a turn; more are refused at once with 503 and
    /// Retry-After.
    #[arg(long, env = "INKGRAPH_MAX_QUEUED_QUERIES", default_value_t = 64, value_parser = at_least(0), value_name = "N")]
    pub max_queued_queries: usize,
    /// Most memory the parsed-document cache holds, in bytes (estimated from the documents'
    /// length).
    #[arg(long, env = "INKGRAPH_DOCUMENT_CACHE_BYTES", default_value_t = 64 * 1024 * 1024, value_parser = at_least(0), value_name = "BYTES")]
    pub document_cache_bytes: usize,
}

impl Default for HttpConfig {
    /// The defaults of `inkgraph serve`'s flags (never the environment's values).
    fn default() -> Self {
        static DEFAULTS: OnceLock<HttpConfig> = OnceLock::new();
        DEFAULTS.get_or_init(crate::args::defaults).clone()
    }
}

/// The number of CPUs (2 when unknown): the default of `--max-concurrent-queries`.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Shortest bearer token accepted: a guessable token would give its access to anyone.
pub const MIN_TOKEN_LEN: usize = 16;

/// The value parser of every bearer-token setting: empty (the feature is off), or at least
/// [`MIN_TOKEN_LEN`] characters without whitespace. Its messages never repeat the token.
pub fn parse_token(token: &str) -> Result<String, String> {
    if !token.is_empty()
        && (token.chars().count() < MIN_TOKEN_LEN || token.contains(char::is_whitespace))
    {
        return Err(format!(
            "a token must be at least {MIN_TOKEN_LEN} characters without spaces, or anyone could guess it; generate one with `openssl rand -hex 32`"
        ));
    }
    Ok(token.to_string())
}

/// A token setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A token too short, or with spaces.
    #[error("`{setting}`: {reason}")]
    Weak {
        /// The setting, e.g. `preview-token (INKGRAPH_PREVIEW_TOKEN)`.
        setting: String,
        /// What is wrong with it (never the token).
        reason: String,
    },
    /// Two settings holding the same token.
    #[error("`{first}` and `{second}` are the same token; use a different token for each (generate them with `openssl rand -hex 32`), or the holder of one gets the other's access too")]
    Shared {
        /// The first setting, e.g. `preview-token (INKGRAPH_PREVIEW_TOKEN)`.
        first: String,
        /// The second setting.
        second: String,
    },
}

impl HttpConfig {
    /// The bearer tokens that unlock something, by argument id: the one list of tokens.
    fn tokens(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("preview_token", self.preview_token.as_deref()),
            ("admin_token", self.admin_token.as_deref()),
            ("editor_token", self.editor_token.as_deref()),
        ]
    }

    /// Checks every token with [`parse_token`] and refuses two settings holding the same
    /// (non-empty) token, naming the settings, never the tokens.
    pub fn check_tokens(&self) -> Result<(), TokenError> {
        let tokens = self.tokens();
        for (id, token) in tokens {
            if let Err(reason) = parse_token(token.unwrap_or_default()) {
                return Err(TokenError::Weak {
                    setting: setting_name(id),
                    reason,
                });
            }
        }
        for (i, (first, a)) in tokens.iter().enumerate() {
            for (second, b) in &tokens[i + 1..] {
                if let (Some(a), Some(b)) = (a, b) {
                    if !a.is_empty() && a == b {
                        return Err(TokenError::Shared {
                            first: setting_name(first),
                            second: setting_name(second),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// `flag-name (INKGRAPH_VARIABLE)` of the [`HttpConfig`] argument `id`, from its declaration.
fn setting_name(id: &str) -> String {
    use clap::Args;
    let command = HttpConfig::augment_args(clap::Command::new("serve"));
    let name = command
        .get_arguments()
        .find(|arg| arg.get_id() == id)
        .map(|arg| {
            let long = arg.get_long().unwrap_or(id);
            match arg.get_env() {
                Some(env) => format!("{long} ({})", env.to_string_lossy()),
                None => long.to_string(),
            }
        });
    name.unwrap_or_else(|| id.to_string())
}

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    schema: InkSchema,
    current: CurrentSite,
    playground: Arc<str>,
    config: HttpConfig,
    public_cache_control: HeaderValue,
    metrics: Metrics,
    responses: ResponseCache,
    documents: documents::DocumentCache,
    gate: gate::WorkGate,
    apq: apq::PersistedQueries,
    preview: PreviewGate,
    shutting_down: AtomicBool,
    /// Reloads on demand (SIGHUP, `POST /admin/reload`) when set.
    live: Option<Arc<LiveSite>>,
    /// Where `corpusChanged` subscriptions listen (the live corpus's, else a silent one).
    events: SiteEvents,
    admin: Option<BearerToken>,
    /// Writes for mutations (authoring), when this server is the writing one.
    store: Option<Arc<ContentStore>>,
    /// The token mutations require.
    editor: Option<BearerToken>,
    /// Open WebSocket connections, waited for (boundedly) at shutdown.
    websockets: Arc<AtomicUsize>,
    /// Running webhooks, for `/metrics`.
    webhooks: std::sync::OnceLock<Arc<crate::outputs::webhooks::Webhooks>>,
}

impl AppState {
    /// State serving `live`'s snapshot with `config`: SIGHUP and `POST /admin/reload` reload
    /// it, and its swaps reach `corpusChanged` subscribers.
    pub fn live(live: Arc<LiveSite>, config: &HttpConfig) -> Self {
        Self::build(live.current().clone(), Some(live), None, config)
    }

    /// [`AppState::live`] that also writes: mutations bearing `config.editor_token` run
    /// against `store` (which must write `live`'s folder).
    pub fn live_with_store(
        live: Arc<LiveSite>,
        store: Arc<ContentStore>,
        config: &HttpConfig,
    ) -> Self {
        Self::build(live.current().clone(), Some(live), Some(store), config)
    }

    /// State serving `current` with `config` (reloads only through [`replace_snapshot`]).
    ///
    /// [`replace_snapshot`]: AppState::replace_snapshot
    pub fn new(current: CurrentSite, config: &HttpConfig) -> Self {
        Self::build(current, None, None, config)
    }

    fn build(
        current: CurrentSite,
        live: Option<Arc<LiveSite>>,
        store: Option<Arc<ContentStore>>,
        config: &HttpConfig,
    ) -> Self {
        let public_cache_control = HeaderValue::from_str(&format!(
            "public, max-age={}",
            config.cache_max_age.as_secs()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=60"));
        AppState {
            shared: Arc::new(Shared {
                schema: build_schema(config.limits),
                current,
                playground: playground_html(&config.playground_assets_url).into(),
                config: config.clone(),
                public_cache_control,
                metrics: Metrics::default(),
                responses: ResponseCache::new(
                    config.response_cache_entries,
                    config.response_cache_bytes,
                ),
                documents: documents::DocumentCache::new(config.document_cache_bytes),
                gate: gate::WorkGate::new(config.max_concurrent_queries, config.max_queued_queries),
                apq: apq::PersistedQueries::new(config.apq_entries),
                preview: PreviewGate::new(config.preview_token.as_deref()),
                shutting_down: AtomicBool::new(false),
                events: live
                    .as_ref()
                    .map(|live| live.events().clone())
                    .unwrap_or_default(),
                live,
                admin: BearerToken::new(config.admin_token.as_deref()),
                store,
                editor: BearerToken::new(config.editor_token.as_deref()),
                websockets: Arc::new(AtomicUsize::new(0)),
                webhooks: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Reports `webhooks`' counters in `/metrics` (the first call wins).
    pub fn attach_webhooks(&self, webhooks: Arc<crate::outputs::webhooks::Webhooks>) {
        let _ = self.shared.webhooks.set(webhooks);
    }

    /// Every route, with request ids, access logs, CORS and compression.
    pub fn router(&self) -> Router {
        let config = &self.shared.config;
        let routes = Router::new()
            .route("/", get(playground))
            .route("/playground/{file}", get(playground::asset))
            .route(
                "/graphql",
                get(graphql_get)
                    .post(graphql::post)
                    // `Bytes` honours this limit; the handler turns the rejection into a
                    // GraphQL-shaped 413 naming the limit.
                    .layer(DefaultBodyLimit::max(self.body_limit())),
            )
            .route("/graphql/ws", get(websocket::subscribe))
            .route("/admin/reload", post(admin::admin_reload))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .route("/highlight.css", get(highlight_css))
            .merge(outputs::routes())
            .with_state(self.clone());
        let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
        routes.layer(
            ServiceBuilder::new()
                // A client's id is kept only when it is short and plain; else a fresh one.
                .layer(axum::middleware::map_request(drop_unfit_request_id))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let id = request
                                .headers()
                                .get(REQUEST_ID_HEADER)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            let method = request.method();
                            let path = request.uri().path();
                            // Health, readiness and metrics probes come every few seconds:
                            // their access lines are DEBUG, every other request's INFO.
                            if is_probe_path(path) {
                                tracing::debug_span!("request", %method, %path, request_id = %id)
                            } else {
                                tracing::info_span!("request", %method, %path, request_id = %id)
                            }
                        })
                        .on_request(())
                        .on_response(log_access),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(axum::middleware::from_fn_with_state(
                    config.request_body_timeout,
                    connections::limit_body_time,
                ))
                .layer(cors_layer(config))
                .layer(
                    CompressionLayer::new()
                        // Brotli's default level (11) costs far more CPU than it saves bytes
                        // on small JSON answers.
                        .quality(CompressionLevel::Precise(4))
                        .compress_when(
                            SizeAbove::new(COMPRESSION_MIN_BYTES)
                                .and(NotForContentType::GRPC)
                                .and(NotForContentType::IMAGES)
                                .and(NotForContentType::SSE),
                        ),
                ),
        )
    }

    /// Serves `served` from now on: the next requests read it, cached answers of the old
    /// version are never served again, and `inkgraph_reloads_total` counts it.
    pub fn replace_snapshot(&self, served: Arc<ServedSite>) {
        self.shared.current.store(served);
        metrics::bump(&self.shared.metrics.reloads);
    }

    /// Records a reload that failed (the current snapshot keeps serving).
    pub fn reload_failed(&self) {
        metrics::bump(&self.shared.metrics.reload_failures);
    }

    /// From now on `/readyz` answers 503, so load balancers stop sending new requests while
    /// in-flight ones finish.
    pub fn begin_shutdown(&self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        !self.shared.shutting_down.load(Ordering::SeqCst)
    }

    /// The snapshot being served.
    pub fn current(&self) -> &CurrentSite {
        &self.shared.current
    }

    /// The live corpus, when reloads are possible.
    pub fn live_corpus(&self) -> Option<&Arc<LiveSite>> {
        self.shared.live.as_ref()
    }

    /// Where `corpusChanged` subscriptions listen.
    pub fn events(&self) -> &SiteEvents {
        &self.shared.events
    }

    /// The parsed-document cache's size: documents kept, and their estimated bytes.
    pub fn document_cache_usage(&self) -> (usize, usize) {
        let documents = &self.shared.documents;
        (documents.len(), documents.bytes())
    }

    /// Open WebSocket connections.
    pub fn websocket_count(&self) -> usize {
        self.shared.websockets.load(Ordering::SeqCst)
    }

    pub(crate) fn websockets(&self) -> &Arc<AtomicUsize> {
        &self.shared.websockets
    }

    pub(crate) fn admin_token(&self) -> Option<&BearerToken> {
        self.shared.admin.as_ref()
    }

    pub(crate) fn editor_token(&self) -> Option<&BearerToken> {
        self.shared.editor.as_ref()
    }

    /// The largest body `POST /graphql` reads: `--max-body-bytes`, or on a writing server
    /// at least [`editor::EDITOR_MAX_BODY_BYTES`] (the handler holds requests without the
    /// editor token to `--max-body-bytes`).
    pub(crate) fn body_limit(&self) -> usize {
        let limit = self.shared.config.max_body_bytes;
        match (&self.shared.store, &self.shared.editor) {
            (Some(_), Some(_)) => limit.max(editor::EDITOR_MAX_BODY_BYTES),
            _ => limit,
        }
    }

    /// The content store mutations write through, when this server writes.
    pub fn content_store(&self) -> Option<&Arc<ContentStore>> {
        self.shared.store.as_ref()
    }

    pub(crate) fn schema(&self) -> &InkSchema {
        &self.shared.schema
    }

    pub(crate) fn config(&self) -> &HttpConfig {
        &self.shared.config
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    pub(crate) fn responses(&self) -> &ResponseCache {
        &self.shared.responses
    }

    pub(crate) fn caches_responses(&self) -> bool {
        self.shared.config.response_cache_entries > 0
    }

    pub(crate) fn documents(&self) -> &documents::DocumentCache {
        &self.shared.documents
    }

    pub(crate) fn gate(&self) -> &gate::WorkGate {
        &self.shared.gate
    }

    pub(crate) fn apq(&self) -> &apq::PersistedQueries {
        &self.shared.apq
    }

    pub(crate) fn preview(&self) -> &PreviewGate {
        &self.shared.preview
    }

    pub(crate) fn public_cache_control(&self) -> &HeaderValue {
        &self.shared.public_cache_control
    }
}

/// All routes: `GET /` playground (its files at `GET /playground/FILE`), `GET|POST /graphql`, `GET /graphql/ws` (subscriptions),
/// `POST /admin/reload`, `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /highlight.css`.
pub fn router(current: CurrentSite, config: &HttpConfig) -> Router {
    AppState::new(current, config).router()
}

/// Longest request id taken from a client.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether a client's `X-Request-Id` may be echoed and logged as it is: at most
/// [`MAX_REQUEST_ID_LEN`] characters of letters, digits and `-_.:/+=@`.
pub fn is_fit_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(b))
}

/// Removes a client's request id unless it is fit, so a fresh one replaces it.
async fn drop_unfit_request_id(
    mut request: Request<axum::body::Body>,
) -> Request<axum::body::Body> {
    let headers = request.headers_mut();
    let ids = headers.get_all(REQUEST_ID_HEADER);
    let mut ids = ids.iter();
    let fit = match (ids.next(), ids.next()) {
        (Some(id), None) => is_fit_request_id(id.as_bytes()),
        (None, _) => true,
        (Some(_), Some(_)) => false,
    };
    if !fit {
        headers.remove(REQUEST_ID_HEADER);
    }
    request
}

fn cors_layer(config: &HttpConfig) -> CorsLayer {
    // A wildcard would not cover `Authorization`, which preview requests send.
    let allow_headers = match &config.cors_allow_headers {
        CorsHeaders::Mirror => AllowHeaders::mirror_request(),
        CorsHeaders::List(extra) => AllowHeaders::list(
            CORS_API_HEADERS
                .iter()
                .copied()
                .chain(extra.iter().map(String::as_str))
                .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok()),
        ),
    };
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers(allow_headers)
        .expose_headers([
            header::ETAG,
            HeaderName::from_static(REQUEST_ID_HEADER),
            HeaderName::from_static(CACHE_STATUS_HEADER),
        ])
        .max_age(config.cors_max_age);
    match &config.cors_origins {
        // Nothing varies by origin, so caches may share one copy across sites.
        CorsOrigins::Any => layer.allow_origin(AllowOrigin::any()).vary([]),
        CorsOrigins::List(origins) => layer.allow_origin(AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )),
    }
}

/// The paths whose access lines are logged at DEBUG: `/healthz`, `/readyz`, `/metrics`.
pub fn is_probe_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// One access line per response, at the level of the request's span: INFO, or DEBUG for the
/// probes (a span filtered out counts as DEBUG, so a probe's line never shows at `info`).
fn log_access<B>(response: &axum::http::Response<B>, latency: Duration, span: &tracing::Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let at_info = !span.is_disabled()
        && span
            .metadata()
            .is_some_and(|meta| *meta.level() == tracing::Level::INFO);
    if at_info {
        tracing::info!(status, latency_ms, "finished processing request");
    } else {
        tracing::debug!(status, latency_ms, "finished processing request");
    }
}

/// `GET /graphql`: a person who opened the endpoint in a browser (HTML, no query) gets a
/// page pointing to the playground; everything else is GraphQL over HTTP.
async fn graphql_get(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    raw: RawQuery,
) -> Response {
    if let Some(page) = playground::browser_visit(&headers, &raw) {
        return page;
    }
    graphql::get(State(state), headers, raw).await
}

async fn playground(State(state): State<AppState>) -> impl IntoResponse {
    Html(state.shared.playground.to_string())
}

/// The stylesheet for highlighted code in `html`.
async fn highlight_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        crate::render::highlight::stylesheet(),
    )
}

/// Liveness: the process answers HTTP.
async fn healthz() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "ok\n",
    )
}

/// Readiness: a corpus is loaded and the server is not shutting down. With `?warm`, also
/// the served version's warm-up is done (every post rendered, the public link graph and
/// diagnostics built), so `related`, backlinks and `linkGraph` answer without waiting: a
/// start-up probe for deployments that should not send traffic to a cold replica.
async fn readyz(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let served = state.current().load();
    let headers = [
        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let wants_warm = query.as_deref().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes())
            .any(|(key, value)| key == "warm" && !matches!(&*value, "0" | "false"))
    });
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            "shutting down: finishing in-flight requests\n",
        )
            .into_response();
    }
    if wants_warm && !served.is_warm() {
        let retry = [(header::RETRY_AFTER, "1")];
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            retry,
            "warming up: building the link graph (related posts, backlinks) and rendering \
             every post; every other query is answered already\n",
        )
            .into_response();
    }
    let body = format!(
        "ready: version {}, {} posts{}\n",
        served.snapshot.version,
        served.snapshot.index.len(),
        if wants_warm { ", warm" } else { "" }
    );
    (StatusCode::OK, headers, body).into_response()
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> Response {
    let served = state.current().load_full();
    let body = state.metrics().render(Gauges {
        served: &served,
        cache_entries: state.responses().len(),
        cache_bytes: state.responses().bytes(),
        apq_entries: state.apq().len(),
        live_reloads: state.live_corpus().map_or(0, |live| live.swap_count()),
        live_reload_failures: state.live_corpus().map_or(0, |live| live.failure_count()),
    });
    let body = match state.shared.webhooks.get() {
        Some(webhooks) => body + &webhooks.render_metrics(),
        None => body,
    };
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_any_or_a_checked_list() {
        assert_eq!(CorsOrigins::parse("*"), Ok(CorsOrigins::Any));
        assert_eq!(
            CorsOrigins::parse("https://a.example, http://localhost:3000"),
            Ok(CorsOrigins::List(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ]))
        );
        assert!(CorsOrigins::parse("https://a.example/").is_err());
        assert!(CorsOrigins::parse("a.example").is_err());
        assert!(CorsOrigins::parse("*, https://a.example").is_err());
    }

    #[test]
    fn allowed_headers_are_any_or_a_checked_list() {
        assert_eq!(CorsHeaders::parse("*"), Ok(CorsHeaders::Mirror));
        assert_eq!(CorsHeaders::parse(""), Ok(CorsHeaders::Mirror));
        assert_eq!(
            CorsHeaders::parse("Traceparent, sentry-trace"),
            Ok(CorsHeaders::List(vec![
                "traceparent".into(),
                "sentry-trace".into()
            ]))
        );
        assert!(CorsHeaders::parse("bad header").is_err());
        assert!(CorsHeaders::parse("*, traceparent").is_err());
    }

    #[test]
    fn tokens_are_long_distinct_and_never_repeated() {
        let token = "same-token-0123456789abcdef";
        assert_eq!(HttpConfig::default().check_tokens(), Ok(()));
        let shared = HttpConfig {
            preview_token: Some(token.into()),
            admin_token: Some(token.into()),
            ..HttpConfig::default()
        };
        let err = shared.check_tokens().expect_err("shared").to_string();
        for name in [
            "preview-token (INKGRAPH_PREVIEW_TOKEN)",
            "admin-token (INKGRAPH_ADMIN_TOKEN)",
        ] {
            assert!(err.contains(name), "{err}");
        }
        assert!(!err.contains(token), "{err}");
        let weak = HttpConfig {
            admin_token: Some("admin 123".into()),
            ..HttpConfig::default()
        };
        let err = weak.check_tokens().expect_err("weak").to_string();
        assert!(
            err.contains("admin-token (INKGRAPH_ADMIN_TOKEN)") && err.contains("at least 16"),
            "{err}"
        );
        assert!(!err.contains("admin 123"), "{err}");
        let off = HttpConfig {
            preview_token: Some(String::new()),
            admin_token: Some(String::new()),
            ..HttpConfig::default()
        };
        assert_eq!(off.check_tokens(), Ok(()), "empty tokens turn features off");
    }

    #[test]
    fn library_defaults_are_the_documented_ones() {
        let config = HttpConfig::default();
        assert_eq!(
            config.limits,
            QueryLimits {
                depth: 15,
                complexity: 10_000
            }
        );
        assert_eq!(config.max_body_bytes, 65_536);
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.cors_origins, CorsOrigins::Any);
        assert_eq!(config.cors_max_age, Duration::from_secs(7200));
        assert_eq!(config.cors_allow_headers, CorsHeaders::Mirror);
        assert_eq!(config.preview_token, None);
        assert!(config.max_concurrent_queries >= 1);
        assert_eq!(config.playground_assets_url, DEFAULT_ASSETS_URL);
    }
}
