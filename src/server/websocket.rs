//! `GET /graphql/ws`: GraphQL over WebSocket (both the `graphql-transport-ws` and the older
//! `graphql-ws` protocol): `corpusChanged` subscriptions and one-answer operations, as the
//! connection's audience sees them.

use super::connections::ConnectionSlot;
use super::documents::Selections;
use super::gate::RunError;
use super::graphql::{check_selections, HttpError};
use super::AppState;
use crate::api::error::{request_error, ErrorCode};
use crate::api::RequestBudget;
use crate::graph::Audience;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, Executor, Response as GqlResponse};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// After shutdown begins, how long a connection has to deliver its `complete` messages before
/// the server closes it.
const COMPLETE_GRACE: Duration = Duration::from_millis(100);

/// How long a new socket may take to send `connection_init` before it is closed with 4408.
pub const CONNECTION_INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Close code for a socket that did not send `connection_init` in time (graphql-transport-ws).
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;

/// Upgrades to a GraphQL WebSocket.
///
/// The connection's audience is preview when the upgrade request carries the preview token
/// (`Authorization: Bearer …`) or the `connection_init` payload does (`{"Authorization":
/// "Bearer …"}`, any case, or under `"headers"`); every operation on it then reads the
/// snapshot served when it starts, as that audience sees it. Limits: open sockets (503
/// beyond), operations at once per socket (an error answers the extra one), message size
/// (close 1009). At shutdown every subscription completes and the socket is closed with
/// 1001 (going away).
pub async fn subscribe(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    slot: Option<Extension<ConnectionSlot>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let config = state.config();
    let Some(open) = Counted::try_new(state.websockets(), config.max_ws_connections) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            Json(json!({"error": format!(
                "too many WebSocket connections: at most {} at once (--max-ws-connections / INKGRAPH_MAX_WS_CONNECTIONS); retry later",
                config.max_ws_connections
            )})),
        )
            .into_response();
    };
    let events = state.events().clone();
    let preview = Arc::new(AtomicBool::new(
        state.preview().audience(&headers) == Audience::Preview,
    ));
    let executor = SocketExecutor {
        state: state.clone(),
        preview: preview.clone(),
        running: Arc::new(AtomicUsize::new(0)),
        max_running: config.max_ws_subscriptions,
    };
    let gate = state.preview().clone();
    let max_bytes = config.max_ws_message_bytes;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max_bytes)
        .max_frame_size(max_bytes)
        .on_upgrade(move |socket| async move {
            // Both count until the socket is gone, also after the HTTP connection handed it over.
            let _open = open;
            let _slot = slot;
            let (mut sink, stream) = socket.split();
            let too_big = Arc::new(AtomicBool::new(false));
            let stream = {
                let too_big = too_big.clone();
                stream.map(move |message| {
                    message.map_err(|err| {
                        let err = err.into_inner();
                        if matches!(
                            err.downcast_ref::<tungstenite::Error>(),
                            Some(tungstenite::Error::Capacity(_))
                        ) {
                            too_big.store(true, Ordering::SeqCst);
                        }
                        axum::Error::new(err)
                    })
                })
            };
            let initialised = Arc::new(AtomicBool::new(false));
            let init_timed_out = Arc::new(AtomicBool::new(false));
            let closing = events.closed();
            let init_deadline = {
                let initialised = initialised.clone();
                let init_timed_out = init_timed_out.clone();
                async move {
                    tokio::time::sleep(CONNECTION_INIT_TIMEOUT).await;
                    if initialised.load(Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    init_timed_out.store(true, Ordering::SeqCst);
                }
            };
            let input = stream.take_until(async move {
                tokio::select! {
                    () = async {
                        closing.await;
                        tokio::time::sleep(COMPLETE_GRACE).await;
                    } => {}
                    () = init_deadline => {}
                }
            });
            let mut data = Data::default();
            data.insert(events.clone());
            let on_init = {
                let initialised = initialised.clone();
                move |payload: Value| async move {
                    initialised.store(true, Ordering::SeqCst);
                    if authorization_in(&payload).is_some_and(|value| {
                        gate.audience_of_authorization(value) == Audience::Preview
                    }) {
                        preview.store(true, Ordering::SeqCst);
                    }
                    Ok(Data::default())
                }
            };
            GraphQLWebSocket::new_with_pair(&mut sink, input, executor, protocol)
                .with_data(data)
                .on_connection_init(on_init)
                .serve()
                .await;
            let close = if events.is_closed() {
                Some((close_code::AWAY, "server shutting down".to_string()))
            } else if too_big.load(Ordering::SeqCst) {
                Some((
                    close_code::SIZE,
                    format!("message over {max_bytes} bytes (--max-ws-message-bytes)"),
                ))
            } else if init_timed_out.load(Ordering::SeqCst) {
                Some((
                    CLOSE_INIT_TIMEOUT,
                    "Connection initialisation timeout".to_string(),
                ))
            } else {
                None
            };
            if let Some((code, reason)) = close {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
            }
            let _ = sink.close().await;
        })
}

/// The `Authorization` value in a `connection_init` payload, as clients send it:
/// `{"Authorization": "Bearer …"}` (any case) or `{"headers": {"Authorization": "Bearer …"}}`.
fn authorization_in(payload: &Value) -> Option<&str> {
    fn field<'a>(map: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
        map.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }
    let map = payload.as_object()?;
    field(map, "authorization")
        .and_then(Value::as_str)
        .or_else(|| {
            field(map, "headers")
                .and_then(Value::as_object)
                .and_then(|headers| field(headers, "authorization"))
                .and_then(Value::as_str)
        })
}

/// Runs the operations of one socket: each reads the snapshot served when it starts, as the
/// socket's audience sees it; at most `max_running` run at once; queries are bounded by the
/// execution timeout like over HTTP.
#[derive(Clone)]
struct SocketExecutor {
    state: AppState,
    /// Set once the upgrade request or `connection_init` presented the preview token.
    preview: Arc<AtomicBool>,
    /// Operations running on this socket.
    running: Arc<AtomicUsize>,
    max_running: usize,
}

impl SocketExecutor {
    fn audience(&self) -> Audience {
        match self.preview.load(Ordering::SeqCst) {
            true => Audience::Preview,
            false => Audience::Public,
        }
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> GqlResponse {
        let request = request
            .data(self.state.current().load_full())
            .data(self.audience());
        self.state.schema().execute(request).await
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, GqlResponse> {
        let Some(slot) = Counted::try_new(&self.running, self.max_running) else {
            // Built when sent: a flood of refused operations waits as small futures.
            let max = self.max_running;
            return futures_util::stream::once(async move {
                let message = format!(
                    "too many operations on this connection: at most {max} at once (--max-ws-subscriptions / INKGRAPH_MAX_WS_SUBSCRIPTIONS); complete one before starting another"
                );
                GqlResponse::from_errors(vec![request_error(
                    ErrorCode::TooManySubscriptions,
                    message,
                    None,
                )])
            })
            .boxed();
        };
        // The limits every document meets before execution, as over HTTP.
        if let Ok(document) = request.parsed_query() {
            let selections = Selections::of(document);
            if let Err(refusal) = check_selections(self.state.config(), &selections, 0) {
                return futures_util::stream::once(async move {
                    GqlResponse::from_errors(vec![request_error(
                        refusal.code,
                        refusal.message,
                        None,
                    )])
                })
                .boxed();
            }
        }
        let subscription = is_subscription(&mut request);
        let request = request
            .data(self.state.current().load_full())
            .data(self.audience());
        let session_data = session_data.unwrap_or_default();
        let schema = self.state.schema().clone();
        if subscription {
            return schema
                .execute_stream_with_session_data(request, session_data)
                .map(move |response| {
                    let _running = &slot;
                    response
                })
                .boxed();
        }
        // One answer: through the same gate as HTTP requests (off the async workers, a
        // bounded number at once, within the timeout, with the same answer-size budget).
        let config = self.state.config();
        let Some(admission) = self.state.gate().admit() else {
            let message = HttpError::overloaded(config).to_string();
            return futures_util::stream::once(async move {
                GqlResponse::from_errors(vec![request_error(ErrorCode::Overloaded, message, None)])
            })
            .boxed();
        };
        let budget = Arc::new(RequestBudget::new(
            config.limits.complexity,
            config.max_response_bytes,
        ));
        let request = request.data(budget.clone());
        let deadline = tokio::time::Instant::now() + config.timeout;
        let timeout = HttpError::timeout(config).to_string();
        futures_util::stream::once(async move {
            let _running = slot;
            // When the client completes the operation first, the work is told to stop.
            let stop = StopOnDrop(budget);
            let result = admission
                .run(deadline, move || {
                    tokio::runtime::Handle::current().block_on(
                        schema
                            .execute_stream_with_session_data(request, session_data)
                            .next(),
                    )
                })
                .await;
            match result {
                Ok(Some(response)) => response,
                Err(RunError::Deadline) => {
                    stop.0.stop();
                    GqlResponse::from_errors(vec![request_error(ErrorCode::Timeout, timeout, None)])
                }
                Ok(None) | Err(RunError::Panicked(_)) => {
                    GqlResponse::from_errors(vec![request_error(
                        ErrorCode::InternalServerError,
                        "internal error while executing the operation (logged on the server)",
                        None,
                    )])
                }
            }
        })
        .boxed()
    }
}

/// Tells a request's resolvers to stop producing when dropped (the client went away).
struct StopOnDrop(Arc<RequestBudget>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Whether the operation `request` selects is a subscription (a document that does not parse
/// is not: executing it reports the error).
fn is_subscription(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let kind = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(op_name, _)| op_name.as_str() == name)
            .map(|(_, operation)| operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    };
    kind == Some(OperationType::Subscription)
}

/// One of a bounded number of things (open sockets, operations of a socket), counted while
/// it lives.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    /// Counts one more, unless `max` are counted already.
    fn try_new(count: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Counted(count.clone()))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
