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
pub use playground::{playground_html, DEFAULT_ASSETS_URL};
pub use preview::{BearerToken, PreviewGate};
pub use probe::{probe, ProbeError};
pub use run::{serve, serve_until, ServeOptions};

use crate::api::{build_schema, InkSchema, QueryLimits};
use crate::site::store::ContentStore;
use crate::site::{CurrentSite, LiveSite, ServedSite, SiteEvents};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use metrics::{Gauges, Metrics};
use response_cache::ResponseCache;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

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

/// HTTP settings: everything `inkgraph serve` can configure about answering requests.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL of the playground's assets.
    pub playground_assets_url: String,
    /// Query depth and complexity limits.
    pub limits: QueryLimits,
    /// Largest request body (and GET query string) accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most operations in one batched POST.
    pub max_batch: usize,
    /// Longest a GraphQL execution may run before the client gets a 503.
    pub timeout: Duration,
    /// `max-age` of public GET answers, for browsers, CDNs and nginx.
    pub cache_max_age: Duration,
    /// Most answers the in-memory response cache holds (0 turns it off).
    pub response_cache_entries: usize,
    /// Most body bytes the in-memory response cache holds.
    pub response_cache_bytes: usize,
    /// Most Apollo persisted queries remembered (0 turns persisted queries off).
    pub apq_entries: usize,
    /// Origins allowed to call the API from a browser.
    pub cors_origins: CorsOrigins,
    /// How long browsers may cache a CORS preflight answer.
    pub cors_max_age: Duration,
    /// The bearer token that unlocks drafts and future posts; `None` turns preview off.
    pub preview_token: Option<String>,
    /// The bearer token `POST /admin/reload` requires; `None` turns the endpoint off (404).
    pub admin_token: Option<String>,
    /// The bearer token mutations require; `None` turns authoring off (mutations answer
    /// 403). Only a server with a content store (`AppState::live_with_store`) writes.
    pub editor_token: Option<String>,
    /// Most open client connections (HTTP and WebSocket); one more is answered 503 and closed.
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers, from its first byte (and, for
    /// a new connection, from the accept).
    pub header_read_timeout: Duration,
    /// Longest a client may take to send a request's body; then it gets 408.
    pub request_body_timeout: Duration,
    /// How long a connection may sit idle between requests before it is closed (0 turns
    /// keep-alive off: one request per connection).
    pub keep_alive_timeout: Duration,
    /// Most open WebSocket connections (`/graphql/ws`); one more is answered 503.
    pub max_ws_connections: usize,
    /// Most operations (subscriptions and queries) running at once on one WebSocket.
    pub max_ws_subscriptions: usize,
    /// Largest WebSocket message (and frame) a client may send, in bytes; a larger one closes
    /// the socket with 1009.
    pub max_ws_message_bytes: usize,
    /// Most aliased fields in one request (a batch counts all its operations; a fragment
    /// counts once per spread).
    pub max_aliases: usize,
    /// Largest answer, in bytes (a batch's answers together); a larger one is replaced by an
    /// error naming the limit.
    pub max_response_bytes: usize,
    /// Most GraphQL requests parsing or executing at once (on the blocking thread pool).
    pub max_concurrent_queries: usize,
    /// Most GraphQL requests waiting for a turn; more get 503 with `Retry-After` at once.
    pub max_queued_queries: usize,
    /// Most memory (estimated) the parsed-document cache holds.
    pub document_cache_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            playground_assets_url: DEFAULT_ASSETS_URL.to_string(),
            limits: QueryLimits::default(),
            max_body_bytes: 64 * 1024,
            max_batch: 10,
            timeout: Duration::from_secs(5),
            cache_max_age: Duration::from_secs(60),
            response_cache_entries: 1000,
            response_cache_bytes: 32 * 1024 * 1024,
            apq_entries: 1000,
            cors_origins: CorsOrigins::Any,
            cors_max_age: Duration::from_secs(7200),
            preview_token: None,
            admin_token: None,
            editor_token: None,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            request_body_timeout: Duration::from_secs(15),
            keep_alive_timeout: Duration::from_secs(75),
            max_ws_connections: 256,
            max_ws_subscriptions: 16,
            max_ws_message_bytes: 64 * 1024,
            max_aliases: 50,
            max_response_bytes: 16 * 1024 * 1024,
            max_concurrent_queries: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_queued_queries: 64,
            document_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Two settings that must not hold the same token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{first}` and `{second}` are the same token; use a different token for each (generate them with `openssl rand -hex 32`), or the holder of one gets the other's access too")]
pub struct SharedToken {
    /// The first setting, e.g. `preview-token (INKGRAPH_PREVIEW_TOKEN)`.
    pub first: String,
    /// The second setting.
    pub second: String,
}

impl HttpConfig {
    /// The bearer tokens that unlock something, each with the setting that holds it.
    fn named_tokens(&self) -> [(&'static str, Option<&str>); 3] {
        [
            (
                "preview-token (INKGRAPH_PREVIEW_TOKEN)",
                self.preview_token.as_deref(),
            ),
            (
                "admin-token (INKGRAPH_ADMIN_TOKEN)",
                self.admin_token.as_deref(),
            ),
            (
                "editor-token (INKGRAPH_EDITOR_TOKEN)",
                self.editor_token.as_deref(),
            ),
        ]
    }

    /// Refuses two settings holding the same (non-empty) token, naming both.
    pub fn check_distinct_tokens(&self) -> Result<(), SharedToken> {
        let tokens = self.named_tokens();
        for (i, (first, a)) in tokens.iter().enumerate() {
            for (second, b) in &tokens[i + 1..] {
                if let (Some(a), Some(b)) = (a, b) {
                    if !a.is_empty() && a == b {
                        return Err(SharedToken {
                            first: (*first).into(),
                            second: (*second).into(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
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
            }),
        }
    }

    /// Every route, with request ids, access logs, CORS and compression.
    pub fn router(&self) -> Router {
        let config = &self.shared.config;
        let routes = Router::new()
            .route("/", get(playground))
            .route(
                "/graphql",
                get(graphql::get)
                    .post(graphql::post)
                    // `Bytes` honours this limit; the handler turns the rejection into a
                    // GraphQL-shaped 413 naming the limit.
                    .layer(DefaultBodyLimit::max(config.max_body_bytes)),
            )
            .route("/graphql/ws", get(websocket::subscribe))
            .route("/admin/reload", post(admin::admin_reload))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .route("/highlight.css", get(highlight_css))
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
                            tracing::info_span!(
                                "request",
                                method = %request.method(),
                                path = %request.uri().path(),
                                request_id = %id,
                            )
                        })
                        .on_request(())
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
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

/// All routes: `GET /` playground, `GET|POST /graphql`, `GET /graphql/ws` (subscriptions),
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
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        // A wildcard would not cover `Authorization`, which preview requests send.
        .allow_headers([
            header::ACCEPT,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static(REQUEST_ID_HEADER),
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
        ])
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

/// Readiness: a corpus is loaded and the server is not shutting down.
async fn readyz(State(state): State<AppState>) -> Response {
    let served = state.current().load();
    let headers = [
        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    if state.is_ready() {
        let body = format!(
            "ready: version {}, {} posts\n",
            served.snapshot.version,
            served.snapshot.index.len()
        );
        (StatusCode::OK, headers, body).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            "shutting down: finishing in-flight requests\n",
        )
            .into_response()
    }
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
