//! `POST /admin/reload`: reloads the content folder for a caller bearing the admin token.

use super::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// `POST /admin/reload`: 404 when no admin token is configured (the endpoint does not exist),
/// 401 without the right bearer token, else reloads and answers what changed.
pub async fn admin_reload(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.admin_token() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not found: set INKGRAPH_ADMIN_TOKEN to enable POST /admin/reload"})),
        )
            .into_response();
    };
    if !token.is_presented_in(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"inkgraph admin\"")],
            Json(json!({"error": "send the admin token as `Authorization: Bearer <token>`"})),
        )
            .into_response();
    }
    let Some(live) = state.live_corpus().cloned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "this server cannot reload its content"})),
        )
            .into_response();
    };
    match tokio::task::spawn_blocking(move || live.reload_all()).await {
        Ok(Ok(swap)) => Json(json!({
            "version": swap.version,
            "added": swap.delta.added,
            "updated": swap.delta.updated,
            "removed": swap.delta.removed,
            "millis": swap.millis,
        }))
        .into_response(),
        Ok(Err(err)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("reload failed, still serving the previous version: {err}")})),
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("reload failed, still serving the previous version: {err}")})),
        )
            .into_response(),
    }
}
