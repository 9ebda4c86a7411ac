//! HTTP: axum routes for GraphQL, the playground and health checks.
//!
//! The router is built apart from [`serve`] so tests can drive it with `oneshot`.

mod playground;
mod probe;

pub use playground::{playground_html, DEFAULT_ASSETS_URL};
pub use probe::{probe, ProbeError};

use crate::api::{build_schema, InkSchema, QueryLimits, ServedSnapshot};
use arc_swap::ArcSwap;
use async_graphql_axum::GraphQLResponse;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL of the playground's assets.
    pub playground_assets_url: String,
    pub limits: QueryLimits,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            playground_assets_url: DEFAULT_ASSETS_URL.to_string(),
            limits: QueryLimits::default(),
            max_body_bytes: 64 * 1024,
        }
    }
}

/// The snapshot currently served; a reload swaps in a new one atomically.
pub type CurrentSnapshot = Arc<ArcSwap<ServedSnapshot>>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    schema: InkSchema,
    current: CurrentSnapshot,
    playground: Arc<str>,
}

impl AppState {
    pub fn new(current: CurrentSnapshot, config: &HttpConfig) -> Self {
        AppState {
            schema: build_schema(config.limits),
            current,
            playground: playground_html(&config.playground_assets_url).into(),
        }
    }
}

/// All routes: `GET /` playground, `GET|POST /graphql`, `GET /healthz`, `GET /highlight.css`.
pub fn router(current: CurrentSnapshot, config: &HttpConfig) -> Router {
    let state = AppState::new(current, config);
    Router::new()
        .route("/", get(playground))
        .route(
            "/graphql",
            get(graphql_get)
                .post(graphql_post)
                // `Bytes` honours this limit and answers 413 past it.
                .layer(DefaultBodyLimit::max(config.max_body_bytes)),
        )
        .route("/healthz", get(healthz))
        .route("/highlight.css", get(highlight_css))
        .with_state(state)
}

async fn playground(State(state): State<AppState>) -> impl IntoResponse {
    Html(state.playground.to_string())
}

/// `GET /graphql?query=…&variables=…&operationName=…`.
async fn graphql_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) => execute(&state, request).await,
        Err(err) => bad_request(format!("invalid GraphQL GET request: {err}")),
    }
}

/// `POST /graphql` with a JSON body `{"query", "variables", "operationName"}`.
async fn graphql_post(State(state): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(&state, request).await,
        Err(err) => bad_request(format!(
            "invalid GraphQL request body: {err} (expected JSON like {{\"query\": \"{{ site {{ title }} }}\"}})"
        )),
    }
}

/// Runs a request on the current snapshot, taken once here so that the whole response reads
/// one version of the corpus.
async fn execute(state: &AppState, request: async_graphql::Request) -> Response {
    let served = state.current.load_full();
    GraphQLResponse::from(state.schema.execute(request.data(served)).await).into_response()
}

fn bad_request(message: String) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message }] });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
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

async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
}
