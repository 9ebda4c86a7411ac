//! Live-reload routes: `GET /graphql/ws` serves subscriptions over WebSocket (both the
//! `graphql-transport-ws` and the older `graphql-ws` protocol) and `POST /admin/reload`
//! reloads the content folder for a caller bearing the admin token.

use super::AppState;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// After shutdown begins, how long a connection has to deliver its `complete` messages before
/// the server closes it.
const COMPLETE_GRACE: Duration = Duration::from_millis(100);

/// Upgrades to a GraphQL WebSocket. At shutdown every subscription completes and the socket
/// is closed with 1001 (going away). The upgrade request's `Authorization` header picks the
/// audience, as for `/graphql`: without the preview token, changes to hidden files are not
/// announced.
pub async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema().clone();
    let events = state.events().clone();
    let audience = state.preview().audience(&headers);
    let open = OpenConnection::new(state.websockets().clone());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _open = open;
            let (mut sink, stream) = socket.split();
            let closing = events.closed();
            let input = stream.take_until(async move {
                closing.await;
                tokio::time::sleep(COMPLETE_GRACE).await;
            });
            let mut data = Data::default();
            data.insert(events.clone());
            data.insert(audience);
            GraphQLWebSocket::new_with_pair(&mut sink, input, schema, protocol)
                .with_data(data)
                .serve()
                .await;
            if events.is_closed() {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code: close_code::AWAY,
                        reason: "server shutting down".into(),
                    })))
                    .await;
            }
            let _ = sink.close().await;
        })
}

/// Counts a WebSocket connection while it is open.
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    fn new(count: Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        OpenConnection(count)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

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
            "previewVersion": swap.preview_version,
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
