//! `GET|POST /graphql`: GraphQL over HTTP, from request parameters to a response with the
//! right status, media type and caching headers.
//!
//! One request goes: negotiate the media type → read the parameters (query string or JSON
//! body) → resolve an Apollo persisted query → parse the document (or take it from the
//! document cache) and check its aliases and fields → pick the audience → for public reads,
//! answer `304` or from the response cache when possible → execute under the timeout → check
//! the answer's size → status and headers.
//!
//! Parsing and executing run off the async workers, through the [`WorkGate`]
//! (`gate.rs`): a request that finds it full gets `503` with `Retry-After` at once. The
//! timeout counts from the request's arrival and always answers on time.
//!
//! Requests refused by a limit before execution (aliases, fields, depth, complexity) are
//! GraphQL request errors: `400` with `application/graphql-response+json`, `200` with
//! `application/json`, as GraphQL over HTTP says. So is an answer over `--max-response-bytes`:
//! nothing of it is sent, only one error naming the limit (`RESPONSE_TOO_LARGE`).
//!
//! [`WorkGate`]: super::gate::WorkGate

use super::apq::{self, Lookup};
use super::documents::{ParsedQuery, Selections, MAX_NESTING};
use super::gate::{Admission, RunError};
use super::metrics::{bump, operation_label, Validated};
use super::negotiate::{check_json_content_type, negotiate, BadContentType, MediaType};
use super::params::{self, Params, PostBody};
use super::response_cache::{if_none_match, CachedResponse, KeyParts, RequestKey};
use super::AppState;
use crate::api::RequestBudget;
use crate::graph::Audience;
use crate::site::ServedSite;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// Seconds a client should wait before retrying a `503` (overload or timeout).
const RETRY_AFTER_SECONDS: &str = "1";

/// Says whether an answer came from the in-memory response cache (`hit`) or was computed
/// (`miss`); absent on answers that are never cached (POST batches, preview, errors).
pub const CACHE_STATUS_HEADER: &str = "x-inkgraph-cache";

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…` (and `HEAD`).
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let started = Instant::now();
    let (label, response) = answer_get(&state, &headers, raw.as_deref().unwrap_or("")).await;
    state.metrics().observe(
        &label,
        response.extensions().get::<Validated>().is_some(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `POST /graphql` with an `application/json` body: one request object or a batch (array).
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let (label, response) = answer_post(&state, &headers, body).await;
    state.metrics().observe(
        &label,
        response.extensions().get::<Validated>().is_some(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// An operation label for requests that never reached a document.
const UNPARSED: &str = "unparsed";

/// Characters of a parse error's detail kept in the message.
const MAX_PARSE_DETAIL: usize = 400;

async fn answer_get(state: &AppState, headers: &HeaderMap, raw: &str) -> (String, Response) {
    let media = match negotiate(headers) {
        Ok(media) => media,
        Err(err) => return (UNPARSED.into(), not_acceptable(&err.0)),
    };
    let limit = state.config().max_body_bytes;
    if raw.len() > limit {
        let message = format!(
            "the query string is {} bytes, over the limit of {limit} bytes (--max-body-bytes / INKGRAPH_MAX_BODY_BYTES); send long queries by POST, or as persisted queries",
            raw.len()
        );
        return (
            UNPARSED.into(),
            error_response(StatusCode::URI_TOO_LONG, media, &message, "URI_TOO_LONG"),
        );
    }
    let params = match params::from_query_string(raw) {
        Ok(params) => params,
        Err(err) => return (UNPARSED.into(), bad_request(media, &err.to_string())),
    };
    let audience = state.preview().audience(headers);
    let mut work = Work::new(state);
    let prepared = match prepare(state, params, media, &mut work).await {
        Ok(prepared) => prepared,
        Err(answer) => {
            return (
                UNPARSED.into(),
                answer.into_response(state, media, audience),
            )
        }
    };
    let label = prepared.label.clone();
    if prepared.kind == Some(OperationType::Mutation) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            // authoring (#18): mutations exist now; GET still never runs one.
            "mutations cannot be sent by GET; send them by POST with the editor token",
            "METHOD_NOT_ALLOWED",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return (label, response);
    }
    let response = answer_one(state, headers, prepared, media, audience, "GET", work).await;
    (label, response)
}

async fn answer_post(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> (String, Response) {
    let media = match negotiate(headers) {
        Ok(media) => media,
        Err(err) => return (UNPARSED.into(), not_acceptable(&err.0)),
    };
    if let Err(err) = check_json_content_type(headers) {
        let message = match err {
            BadContentType::Missing => "the request has no Content-Type; send the GraphQL request as JSON with `Content-Type: application/json`".to_string(),
            BadContentType::Unsupported(found) => format!("unsupported Content-Type `{found}`; send the GraphQL request as JSON with `Content-Type: application/json` (UTF-8)"),
        };
        return (
            UNPARSED.into(),
            error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                &message,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = format!(
                "the request body is over the limit of {} bytes (--max-body-bytes / INKGRAPH_MAX_BODY_BYTES); use variables and smaller documents, or persisted queries",
                state.config().max_body_bytes
            );
            return (
                UNPARSED.into(),
                error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    media,
                    &message,
                    "PAYLOAD_TOO_LARGE",
                ),
            );
        }
        Err(rejection) => {
            let message = format!("could not read the request body: {}", rejection.body_text());
            return (UNPARSED.into(), bad_request(media, &message));
        }
    };
    let audience = state.preview().audience(headers);
    let mut work = Work::new(state);
    match params::from_json_body(&body) {
        Err(err) => (UNPARSED.into(), bad_request(media, &err.to_string())),
        Ok(PostBody::Single(params)) => match prepare(state, params, media, &mut work).await {
            Ok(mut prepared) => {
                let label = prepared.label.clone();
                // authoring (#18): a mutation runs only with the editor token (401/403
                // otherwise, nothing executed), and then with the content store.
                if prepared.kind == Some(OperationType::Mutation) {
                    match super::editor::admit(state, headers, media) {
                        Ok(editing) => prepared.request = prepared.request.data(editing),
                        Err(refused) => return (label, *refused),
                    }
                }
                let response =
                    answer_one(state, headers, prepared, media, audience, "POST", work).await;
                (label, response)
            }
            Err(answer) => (
                UNPARSED.into(),
                answer.into_response(state, media, audience),
            ),
        },
        Ok(PostBody::Batch(batch)) => (
            "batch".into(),
            answer_batch(state, batch, media, audience, work).await,
        ),
    }
}

/// A request ready to execute: parsed, with what its cache key and metrics need.
struct Prepared {
    /// Without its document, which is set (cloned from `parsed`) only when it executes.
    request: async_graphql::Request,
    parsed: Arc<ParsedQuery>,
    query: Arc<str>,
    /// Sent with its persisted-query hash: registered once it has run.
    persist: bool,
    variables: serde_json::Map<String, Value>,
    operation_name: Option<String>,
    /// The selected operation's type; `None` when the operation name matches nothing (the
    /// executor then reports it).
    kind: Option<OperationType>,
    /// The operation-name label for metrics.
    label: String,
}

/// One GraphQL response body, with the status it gets when it is the whole HTTP answer.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Bytes,
    /// Deterministic for its key and version (a result with data): may be cached.
    cacheable: bool,
}

impl Answer {
    /// The answer as the whole HTTP response of a request that is never cached.
    fn into_response(self, state: &AppState, media: MediaType, audience: Audience) -> Response {
        let mut response = graphql_body(self.status, media, self.body);
        set_vary(state, response.headers_mut());
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if audience == Audience::Preview {
                "private, no-store"
            } else {
                "no-store"
            }),
        );
        response
    }
}

/// Resolves the persisted query, builds the async-graphql request, parses its document (off
/// the async workers) and checks what it selects.
async fn prepare(
    state: &AppState,
    params: Params,
    media: MediaType,
    work: &mut Work<'_>,
) -> Result<Prepared, Answer> {
    let Params {
        query,
        variables,
        operation_name,
        extensions,
    } = params;
    let hash_only = query.is_none();
    let mut persist = false;
    let query: Arc<str> = match state.apq().lookup(query.as_deref(), &extensions) {
        Err(err) => return Err(bad_request_answer(&err.to_string())),
        Ok(Lookup::Query(query)) => {
            if hash_only {
                bump(&state.metrics().apq_hits);
            } else {
                persist = true;
            }
            query
        }
        Ok(Lookup::NotFound) => {
            bump(&state.metrics().apq_misses);
            // 200 whatever the media type: Apollo clients switch persisted queries off for
            // good when this answer is a 400, instead of resending the query.
            return Err(apq_answer(apq::NOT_FOUND_MESSAGE, apq::NOT_FOUND_CODE));
        }
        Ok(Lookup::NotSupported) => {
            return Err(apq_answer(
                apq::NOT_SUPPORTED_MESSAGE,
                apq::NOT_SUPPORTED_CODE,
            ))
        }
        Ok(Lookup::NotUsed) => match query {
            Some(query) => query.into(),
            None => {
                return Err(bad_request_answer(
                    &params::ParamsError::MissingQuery.to_string(),
                ))
            }
        },
    };
    let mut request = async_graphql::Request::new(query.to_string()).variables(
        async_graphql::Variables::from_json(Value::Object(variables.clone())),
    );
    if let Some(name) = &operation_name {
        request = request.operation_name(name.clone());
    }
    let parsed = match state.documents().get(&query) {
        Some(parsed) => Ok(parsed),
        None => {
            let text = query.clone();
            work.run(move || ParsedQuery::parse(&text).map(Arc::new))
                .await?
        }
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            // The parser quotes the offending line, which may be the whole (long) document.
            let detail: String = err.message.chars().take(MAX_PARSE_DETAIL).collect();
            let ellipsis = if detail.len() < err.message.len() {
                "…"
            } else {
                ""
            };
            let message = format!("the query is not a valid GraphQL document: {detail}{ellipsis}");
            let locations: Vec<Value> = err
                .locations
                .iter()
                .map(|l| json!({"line": l.line, "column": l.column}))
                .collect();
            let body = json!({"errors": [{
                "message": message,
                "locations": locations,
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            }]});
            return Err(Answer {
                status: request_error_status(media),
                body: to_bytes(&body),
                cacheable: false,
            });
        }
    };
    work.check(&parsed.selections, media)?;
    // The label is the selected operation's name in the document (never a name only the
    // client sent); it becomes a metrics label once the operation validated.
    let (kind, label) = match &parsed.document.operations {
        DocumentOperations::Single(operation) => (Some(operation.node.ty), operation_label(None)),
        DocumentOperations::Multiple(operations) => {
            let selected = match &operation_name {
                Some(name) => operations
                    .iter()
                    .find(|(op_name, _)| op_name.as_str() == name.as_str()),
                None if operations.len() == 1 => operations.iter().next(),
                None => None,
            };
            (
                selected.map(|(_, operation)| operation.node.ty),
                match selected {
                    Some((name, _)) => operation_label(Some(name.as_str())),
                    None => "invalid".into(),
                },
            )
        }
    };
    Ok(Prepared {
        request,
        parsed,
        query,
        persist,
        variables,
        operation_name,
        kind,
        label,
    })
}

/// Answers one request, with HTTP caching for GET and the response cache for public reads.
async fn answer_one(
    state: &AppState,
    headers: &HeaderMap,
    prepared: Prepared,
    media: MediaType,
    audience: Audience,
    method: &'static str,
    mut work: Work<'_>,
) -> Response {
    // One snapshot for the whole request: the key, the execution and the cache entry agree.
    let served = state.current().load_full();
    // The version this audience sees: a change to a file the public cannot see leaves public
    // ETags and cached public answers as they are.
    let version = served.snapshot.view(audience).version();
    let key = RequestKey::new(KeyParts {
        version,
        method,
        media,
        audience,
        query: &prepared.query,
        variables: &prepared.variables,
        operation_name: prepared.operation_name.as_deref(),
    });
    let etag = key.etag();
    let is_get = method == "GET";
    let public = audience == Audience::Public;
    // Answered without executing: only a query that ran well has an ETag or a cached answer.
    let ran_before = || {
        if prepared.persist {
            state.apq().register(prepared.query.clone());
        }
    };
    if is_get && if_none_match(headers, &etag) {
        ran_before();
        bump(&state.metrics().not_modified);
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(state, response.headers_mut(), is_get, audience, &etag);
        set_vary(state, response.headers_mut());
        return response;
    }
    // authoring (#18): only queries are cached; a mutation's answer never is (and a
    // cached answer never stands in for one).
    let is_query = prepared.kind == Some(OperationType::Query);
    let cached = if public && state.caches_responses() && is_query {
        let cached = state.responses().get(&key);
        bump(if cached.is_some() {
            &state.metrics().cache_hits
        } else {
            &state.metrics().cache_misses
        });
        Some(cached)
    } else {
        None
    };
    let (answer, cache_status) = match cached {
        Some(Some(hit)) => {
            ran_before();
            (
                Answer {
                    status: hit.status,
                    body: hit.body.clone(),
                    cacheable: true,
                },
                Some("hit"),
            )
        }
        lookup => {
            let answer = execute(state, prepared, served.clone(), audience, media, &mut work).await;
            if answer.cacheable && lookup.is_some() {
                state.responses().insert(
                    version,
                    key,
                    CachedResponse {
                        status: answer.status,
                        body: answer.body.clone(),
                    },
                );
            }
            (answer, lookup.map(|_| "miss"))
        }
    };
    let cacheable = answer.cacheable;
    let mut response = graphql_body(answer.status, media, answer.body);
    if cacheable {
        // A cacheable answer is one of an operation that validated and ran.
        response.extensions_mut().insert(Validated);
    }
    let headers = response.headers_mut();
    set_vary(state, headers);
    if cacheable {
        set_cache_headers(state, headers, is_get, audience, &etag);
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(status) = cache_status {
        headers.insert(
            HeaderName::from_static(CACHE_STATUS_HEADER),
            HeaderValue::from_static(status),
        );
    }
    response
}

/// Answers a batch: every item runs (in order) and the answer is a JSON array with one
/// response per item, in the same order. The items share one timeout, one complexity limit,
/// one alias limit and one answer-size limit; over the size limit, every item's answer is
/// the error naming it.
async fn answer_batch(
    state: &AppState,
    batch: Vec<Params>,
    media: MediaType,
    audience: Audience,
    mut work: Work<'_>,
) -> Response {
    let limit = state.config().max_batch;
    if batch.len() > limit {
        let message = format!(
            "the batch holds {} operations, over the limit of {limit} (--max-batch / INKGRAPH_MAX_BATCH); split it into several requests",
            batch.len()
        );
        return error_response(StatusCode::BAD_REQUEST, media, &message, "BATCH_TOO_LARGE");
    }
    // A batch is never answered from a cache: it always needs its turn.
    if let Err(answer) = work.admit() {
        return answer.into_response(state, media, audience);
    }
    let served = state.current().load_full();
    let items = batch.len();
    let mut bodies = Vec::with_capacity(items);
    for params in batch {
        if work.is_over_bytes() {
            break;
        }
        let answer = match prepare(state, params, media, &mut work).await {
            Ok(prepared) => {
                execute(state, prepared, served.clone(), audience, media, &mut work).await
            }
            Err(answer) => answer,
        };
        bodies.push(answer.body);
    }
    if work.is_over_bytes() {
        let refused = work.too_large(media).body;
        bodies = vec![refused; items];
    }
    let mut joined = Vec::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 2);
    joined.push(b'[');
    for (i, body) in bodies.iter().enumerate() {
        if i > 0 {
            joined.push(b',');
        }
        joined.extend_from_slice(body);
    }
    joined.push(b']');
    let mut response = graphql_body(StatusCode::OK, media, Bytes::from(joined));
    set_vary(state, response.headers_mut());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Executes a prepared request off the async workers, then checks its answer's size.
async fn execute(
    state: &AppState,
    prepared: Prepared,
    served: Arc<ServedSite>,
    audience: Audience,
    media: MediaType,
    work: &mut Work<'_>,
) -> Answer {
    let Prepared {
        request,
        parsed,
        query,
        persist,
        ..
    } = prepared;
    let schema = state.schema().clone();
    let request = request
        .data(served)
        .data(audience)
        .data(work.budget.clone());
    let runner = state.clone();
    let answer = work
        .run(move || {
            let mut request = request;
            request.set_parsed_query(parsed.document.clone());
            let response = tokio::runtime::Handle::current().block_on(schema.execute(request));
            let answer = finish(&runner, response, media);
            // It validated and executed: worth keeping parsed, and by hash when sent so.
            if answer.cacheable {
                if persist {
                    runner.apq().register(query.clone());
                }
                runner.documents().insert(query, parsed);
            }
            answer
        })
        .await
        .unwrap_or_else(|refused| refused);
    work.account(answer, media)
}

/// The GraphQL work of one HTTP request (a batch is one request): its deadline (the timeout
/// from its arrival), its place at the gate (taken when first needed, so answers from the
/// caches never wait for one), and what it may still spend.
struct Work<'s> {
    state: &'s AppState,
    deadline: tokio::time::Instant,
    admission: Option<Admission>,
    /// Complexity and bytes of big values, shared with the resolvers.
    budget: Arc<RequestBudget>,
    aliases: usize,
    answer_bytes: usize,
}

impl<'s> Work<'s> {
    fn new(state: &'s AppState) -> Self {
        let config = state.config();
        Work {
            state,
            deadline: tokio::time::Instant::now() + config.timeout,
            admission: None,
            budget: Arc::new(RequestBudget::new(
                config.limits.complexity,
                config.max_response_bytes,
            )),
            aliases: 0,
            answer_bytes: 0,
        }
    }

    /// Takes the request's place at the gate, unless it has one; when the gate is full, the
    /// error is the `503` answer to give.
    fn admit(&mut self) -> Result<&Admission, Answer> {
        let admission = match self.admission.take() {
            Some(admission) => admission,
            None => self.state.gate().admit().ok_or_else(|| Answer {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: error_body(&overloaded_message(self.state.config()), "OVERLOADED"),
                cacheable: false,
            })?,
        };
        Ok(self.admission.insert(admission))
    }

    /// Runs `work` off the async workers, within the request's deadline. The error is the
    /// answer to give instead: `503` when the gate is full or the deadline passed (the work
    /// is then told to stop producing), `500` when it panicked.
    async fn run<T, F>(&mut self, work: F) -> Result<T, Answer>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let deadline = self.deadline;
        let result = self.admit()?.run(deadline, work).await;
        match result {
            Ok(value) => Ok(value),
            Err(RunError::Deadline) => {
                self.budget.stop();
                bump(&self.state.metrics().timeouts);
                Err(Answer {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    body: error_body(&timeout_message(self.state.config()), "TIMEOUT"),
                    cacheable: false,
                })
            }
            Err(RunError::Panicked(err)) => {
                tracing::error!("a GraphQL execution failed: {err}");
                Err(Answer {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    body: error_body(
                        "internal error while executing the query (logged on the server)",
                        "INTERNAL_SERVER_ERROR",
                    ),
                    cacheable: false,
                })
            }
        }
    }

    /// Refuses a document that nests too deep, selects more fields than the complexity limit
    /// once its fragments are expanded, or brings the request's aliases over their limit:
    /// async-graphql would expand every fragment spread again and again before its own
    /// limits apply.
    fn check(&mut self, selections: &Selections, media: MediaType) -> Result<(), Answer> {
        self.aliases =
            check_selections(self.state.config(), selections, self.aliases).map_err(|refusal| {
                Answer {
                    status: request_error_status(media),
                    body: error_body(&refusal.message, refusal.code),
                    cacheable: false,
                }
            })?;
        Ok(())
    }

    /// Counts an answer's bytes against the request's limit; past it (or when a resolver
    /// refused to produce a big value), the answer is the error naming the limit.
    fn account(&mut self, answer: Answer, media: MediaType) -> Answer {
        self.answer_bytes = self.answer_bytes.saturating_add(answer.body.len());
        if self.answer_bytes > self.state.config().max_response_bytes {
            self.budget.exceed();
        }
        if self.budget.is_over_bytes() {
            return self.too_large(media);
        }
        answer
    }

    /// Whether the request's answers passed the byte limit.
    fn is_over_bytes(&self) -> bool {
        self.budget.is_over_bytes()
    }

    /// The answer that replaces one over the byte limit.
    fn too_large(&self, media: MediaType) -> Answer {
        let message = format!(
            "the answer is larger than the limit of {} bytes (--max-response-bytes / INKGRAPH_MAX_RESPONSE_BYTES); ask for fewer fields, fewer aliases or smaller pages",
            self.state.config().max_response_bytes
        );
        Answer {
            status: request_error_status(media),
            body: error_body(&message, crate::api::cost::RESPONSE_TOO_LARGE),
            cacheable: false,
        }
    }
}

/// The message of a request refused because the gate is full (`OVERLOADED`).
pub(super) fn overloaded_message(config: &super::HttpConfig) -> String {
    format!(
        "the server is busy: {} GraphQL requests are running and {} waiting, the most it takes (--max-concurrent-queries / INKGRAPH_MAX_CONCURRENT_QUERIES, --max-queued-queries / INKGRAPH_MAX_QUEUED_QUERIES); retry after {RETRY_AFTER_SECONDS} s",
        config.max_concurrent_queries, config.max_queued_queries
    )
}

/// The message of a request that ran past the timeout (`TIMEOUT`).
pub(super) fn timeout_message(config: &super::HttpConfig) -> String {
    format!(
        "the query ran longer than the execution limit of {} ms (--timeout / INKGRAPH_TIMEOUT); ask for fewer fields or smaller pages",
        config.timeout.as_millis()
    )
}

/// Why a document is refused before execution: the message names the limit and its setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub message: String,
    pub code: &'static str,
}

/// Checks what a document selects against the limits, over HTTP and WebSocket alike: nesting
/// (selections and fragment spreads), fields (every field costs at least 1, fragments
/// expanded) and aliases, added to the `aliases` the request used already (a batch counts all
/// its operations). Returns the request's aliases so far.
pub(super) fn check_selections(
    config: &super::HttpConfig,
    selections: &Selections,
    aliases: usize,
) -> Result<usize, Refusal> {
    if selections.too_deep {
        return Err(Refusal {
            message: format!("the query nests selections and fragment spreads more than {MAX_NESTING} levels deep; flatten its fragments"),
            code: "QUERY_TOO_DEEP",
        });
    }
    let limit = config.limits.complexity;
    if selections.fields > limit {
        return Err(Refusal {
            message: format!(
                "the query selects {} fields (a fragment counts in full where it is defined and at each spread), over the limit of {limit} (--max-complexity / INKGRAPH_MAX_COMPLEXITY): every field costs at least 1; ask for fewer fields or spread fewer fragments",
                display_count(selections.fields)
            ),
            code: "QUERY_TOO_COMPLEX",
        });
    }
    let aliases = aliases.saturating_add(selections.aliases);
    if aliases > config.max_aliases {
        return Err(Refusal {
            message: format!(
                "the request uses {} aliases, over the limit of {} (--max-aliases / INKGRAPH_MAX_ALIASES); a fragment's aliases count once per spread and a batch counts all its operations; ask for each field once",
                display_count(aliases),
                config.max_aliases
            ),
            code: "TOO_MANY_ALIASES",
        });
    }
    Ok(aliases)
}

/// A count for a message: saturated counts are astronomically large, not 18446744073709551615.
fn display_count(count: usize) -> String {
    if count == usize::MAX {
        "more than 10^19".to_string()
    } else {
        count.to_string()
    }
}

/// Turns an executed response into an answer: request errors (no execution happened: the
/// document did not validate, a limit was hit, variables did not coerce) carry no `data`
/// and get 400 with `application/graphql-response+json`, 200 with `application/json`.
fn finish(state: &AppState, response: async_graphql::Response, media: MediaType) -> Answer {
    if response.errors.is_empty() {
        return Answer {
            status: StatusCode::OK,
            body: to_bytes(&response),
            cacheable: true,
        };
    }
    let request_error = response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut value = serde_json::to_value(&response).unwrap_or_else(
        |err| json!({"errors": [{"message": format!("could not serialize the response: {err}")}]}),
    );
    if request_error {
        if let Value::Object(map) = &mut value {
            map.remove("data");
        }
        explain_limit_errors(state, &mut value);
    }
    Answer {
        status: if request_error {
            request_error_status(media)
        } else {
            StatusCode::OK
        },
        body: to_bytes(&value),
        cacheable: !request_error,
    }
}

/// async-graphql says "Query is nested too deep." and "Query is too complex."; say which
/// limit, its value and what to do, and give each a code.
fn explain_limit_errors(state: &AppState, value: &mut Value) {
    let limits = state.config().limits;
    let Some(errors) = value.get_mut("errors").and_then(Value::as_array_mut) else {
        return;
    };
    for error in errors {
        let (message, code) = match error.get("message").and_then(Value::as_str) {
            Some("Query is nested too deep.") => (
                format!(
                    "the query is nested deeper than the limit of {} levels (--max-depth / INKGRAPH_MAX_DEPTH); split it into several queries",
                    limits.depth
                ),
                "QUERY_TOO_DEEP",
            ),
            Some("Query is too complex.") => (
                format!(
                    "the query costs more than the limit of {} (--max-complexity / INKGRAPH_MAX_COMPLEXITY): every field costs 1 and a list costs its page size (first/last/limit) times its fields; ask for smaller pages or fewer fields",
                    limits.complexity
                ),
                "QUERY_TOO_COMPLEX",
            ),
            _ => {
                if let Value::Object(map) = error {
                    if !map.contains_key("extensions") {
                        map.insert(
                            "extensions".into(),
                            json!({"code": "GRAPHQL_VALIDATION_FAILED"}),
                        );
                    }
                }
                continue;
            }
        };
        error["message"] = Value::String(message);
        error["extensions"] = json!({"code": code});
    }
}

fn request_error_status(media: MediaType) -> StatusCode {
    match media {
        MediaType::GraphQLResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    }
}

/// A malformed GraphQL-over-HTTP request: 400 whatever the media type.
fn bad_request_answer(message: &str) -> Answer {
    Answer {
        status: StatusCode::BAD_REQUEST,
        body: error_body(message, "BAD_REQUEST"),
        cacheable: false,
    }
}

fn apq_answer(message: &str, code: &str) -> Answer {
    Answer {
        status: StatusCode::OK,
        body: error_body(message, code),
        cacheable: false,
    }
}

fn error_body(message: &str, code: &str) -> Bytes {
    to_bytes(&json!({"errors": [{"message": message, "extensions": {"code": code}}]}))
}

fn to_bytes(value: &impl serde::Serialize) -> Bytes {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_else(|err| {
            Bytes::from(format!(
                "{{\"errors\":[{{\"message\":\"could not serialize the response: {}\"}}]}}",
                err.to_string().replace('"', "'")
            ))
        })
}

/// A GraphQL-shaped error response with `status`.
pub fn error_response(status: StatusCode, media: MediaType, message: &str, code: &str) -> Response {
    let mut response = graphql_body(status, media, error_body(message, code));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_request(media: MediaType, message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, media, message, "BAD_REQUEST")
}

fn not_acceptable(accept: &str) -> Response {
    let message = format!(
        "cannot answer in any media type the Accept header allows (`{accept}`); accept application/graphql-response+json or application/json"
    );
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        &message,
        "NOT_ACCEPTABLE",
    )
}

fn graphql_body(status: StatusCode, media: MediaType, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
    response
}

/// Answers differ by `Accept` (media type and status) and, with preview on, `Authorization`.
fn set_vary(state: &AppState, headers: &mut HeaderMap) {
    headers.append(
        header::VARY,
        HeaderValue::from_static(if state.preview().enabled() {
            "accept, authorization"
        } else {
            "accept"
        }),
    );
}

fn set_cache_headers(
    state: &AppState,
    headers: &mut HeaderMap,
    is_get: bool,
    audience: Audience,
    etag: &str,
) {
    let cache_control = match (is_get, audience) {
        (_, Audience::Preview) => HeaderValue::from_static("private, no-store"),
        (false, Audience::Public) => HeaderValue::from_static("no-store"),
        (true, Audience::Public) => state.public_cache_control().clone(),
    };
    headers.insert(header::CACHE_CONTROL, cache_control);
    if is_get {
        if let Ok(etag) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, etag);
        }
    }
}
