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
//! nothing of it is sent, only one error naming the limit (`RESPONSE_TOO_LARGE`). Every
//! error answered here is an [`HttpError`] (status, code, message); errors of the GraphQL
//! execution come coded from `api::spec`. Only queries are answered from the response cache
//! or with `304`.
//!
//! [`WorkGate`]: super::gate::WorkGate

use super::apq::{self, Lookup};
use super::documents::{ParsedQuery, Selections, MAX_NESTING};
use super::gate::{Admission, RunError};
use super::metrics::{bump, operation_label, Validated};
use super::negotiate::{check_json_content_type, negotiate, BadContentType, MediaType};
use super::params::{self, Params, PostBody};
use super::response_cache::{
    if_none_match, preferred_encoding, CachedResponse, KeyParts, RequestKey,
};
use super::AppState;
use crate::api::{ErrorCode, RequestBudget};
use crate::graph::Audience;
use crate::site::ServedSite;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
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

/// Why a GraphQL-over-HTTP request gets an error instead of a result. Each variant knows its
/// status, its [`ErrorCode`] and its message (which names the limit or what to send
/// instead); [`HttpError::into_response`] is the one way it is answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// `Accept` allows neither media type (the header as sent).
    #[error("cannot answer in any media type the Accept header allows (`{0}`); accept application/graphql-response+json or application/json")]
    NotAcceptable(String),
    /// A GET query string over the body limit.
    #[error("the query string is {bytes} bytes, over the limit of {limit} bytes (--max-body-bytes / INKGRAPH_MAX_BODY_BYTES); send long queries by POST, or as persisted queries")]
    UriTooLong { bytes: usize, limit: usize },
    /// The HTTP request does not hold a well-formed GraphQL request.
    #[error("{0}")]
    BadRequest(String),
    /// A mutation sent by GET.
    #[error("mutations cannot be sent by GET; send them by POST")]
    MutationByGet,
    /// A POST without `Content-Type`.
    #[error("the request has no Content-Type; send the GraphQL request as JSON with `Content-Type: application/json`")]
    MissingContentType,
    /// A POST whose `Content-Type` is not JSON (the header as sent).
    #[error("unsupported Content-Type `{0}`; send the GraphQL request as JSON with `Content-Type: application/json` (UTF-8)")]
    UnsupportedContentType(String),
    /// A body over the limit.
    #[error("the request body is over the limit of {limit} bytes (--max-body-bytes / INKGRAPH_MAX_BODY_BYTES); use variables and smaller documents, or persisted queries")]
    PayloadTooLarge { limit: usize },
    /// A batch of more operations than the limit.
    #[error("the batch holds {items} operations, over the limit of {limit} (--max-batch / INKGRAPH_MAX_BATCH); split it into several requests")]
    BatchTooLarge { items: usize, limit: usize },
    /// The document does not parse; `detail` is the parser's message, shortened.
    #[error("the query is not a valid GraphQL document: {detail}")]
    ParseFailed {
        detail: String,
        /// Where, as (line, column).
        locations: Vec<(usize, usize)>,
    },
    /// Refused before execution by a limit on what it selects.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// The answer would pass the byte limit.
    #[error("the answer is larger than the limit of {limit} bytes (--max-response-bytes / INKGRAPH_MAX_RESPONSE_BYTES); ask for fewer fields, fewer aliases or smaller pages")]
    ResponseTooLarge { limit: usize },
    /// Every turn at the gate is taken and the queue is full.
    #[error("the server is busy: {running} GraphQL requests are running and {queued} waiting, the most it takes (--max-concurrent-queries / INKGRAPH_MAX_CONCURRENT_QUERIES, --max-queued-queries / INKGRAPH_MAX_QUEUED_QUERIES); retry after {RETRY_AFTER_SECONDS} s")]
    Overloaded { running: usize, queued: usize },
    /// The execution ran past the timeout.
    #[error("the query ran longer than the execution limit of {ms} ms (--timeout / INKGRAPH_TIMEOUT); ask for fewer fields or smaller pages")]
    Timeout { ms: u128 },
    /// The execution panicked (logged).
    #[error("internal error while executing the query (logged on the server)")]
    Internal,
    /// A mutation without the editor token (authoring).
    #[error("{}", crate::api::UNAUTHENTICATED_MESSAGE)]
    Unauthenticated,
    /// A mutation sent to a server that does not write (no editor token configured).
    #[error("this server is read-only: authoring is off (start the writing instance with INKGRAPH_EDITOR_TOKEN set; replicas stay read-only)")]
    AuthoringDisabled,
    /// An Apollo persisted-query hash this process has not seen.
    #[error("{}", apq::NOT_FOUND_MESSAGE)]
    PersistedQueryNotFound,
    /// Persisted queries are off.
    #[error("{}", apq::NOT_SUPPORTED_MESSAGE)]
    PersistedQueryNotSupported,
}

impl HttpError {
    /// The busy error for `config`'s gate.
    pub(super) fn overloaded(config: &super::HttpConfig) -> HttpError {
        HttpError::Overloaded {
            running: config.max_concurrent_queries,
            queued: config.max_queued_queries,
        }
    }

    /// The timeout error for `config`'s timeout.
    pub(super) fn timeout(config: &super::HttpConfig) -> HttpError {
        HttpError::Timeout {
            ms: config.timeout.as_millis(),
        }
    }

    /// Its `extensions.code`.
    pub fn code(&self) -> ErrorCode {
        match self {
            HttpError::NotAcceptable(_) => ErrorCode::NotAcceptable,
            HttpError::UriTooLong { .. } => ErrorCode::UriTooLong,
            HttpError::BadRequest(_) => ErrorCode::BadRequest,
            HttpError::MutationByGet => ErrorCode::MethodNotAllowed,
            HttpError::MissingContentType | HttpError::UnsupportedContentType(_) => {
                ErrorCode::UnsupportedMediaType
            }
            HttpError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            HttpError::BatchTooLarge { .. } => ErrorCode::BatchTooLarge,
            HttpError::ParseFailed { .. } => ErrorCode::GraphqlParseFailed,
            HttpError::Refused(refusal) => refusal.code,
            HttpError::ResponseTooLarge { .. } => ErrorCode::ResponseTooLarge,
            HttpError::Overloaded { .. } => ErrorCode::Overloaded,
            HttpError::Timeout { .. } => ErrorCode::Timeout,
            HttpError::Internal => ErrorCode::InternalServerError,
            HttpError::PersistedQueryNotFound => ErrorCode::PersistedQueryNotFound,
            HttpError::PersistedQueryNotSupported => ErrorCode::PersistedQueryNotSupported,
            HttpError::Unauthenticated => ErrorCode::Unauthenticated,
            HttpError::AuthoringDisabled => ErrorCode::AuthoringDisabled,
        }
    }

    /// Its status when it is the whole answer in `media`. GraphQL request errors (the
    /// document, a limit on it, the answer's size) are `400` in
    /// `application/graphql-response+json` and `200` in `application/json`; persisted-query
    /// misses are `200` whatever the media type (Apollo clients switch persisted queries off
    /// for good on a `400`, instead of resending the query).
    pub fn status(&self, media: MediaType) -> StatusCode {
        match self {
            HttpError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            HttpError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            HttpError::BadRequest(_) | HttpError::BatchTooLarge { .. } => StatusCode::BAD_REQUEST,
            HttpError::MutationByGet => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::MissingContentType | HttpError::UnsupportedContentType(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            HttpError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::ParseFailed { .. }
            | HttpError::Refused(_)
            | HttpError::ResponseTooLarge { .. } => request_error_status(media),
            HttpError::Overloaded { .. } | HttpError::Timeout { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            HttpError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Unauthenticated => StatusCode::UNAUTHORIZED,
            HttpError::AuthoringDisabled => StatusCode::FORBIDDEN,
            HttpError::PersistedQueryNotFound | HttpError::PersistedQueryNotSupported => {
                StatusCode::OK
            }
        }
    }

    /// The GraphQL response body: one error with its message, code and (for parse errors)
    /// locations.
    fn body(&self) -> Bytes {
        let mut error = json!({"message": self.to_string()});
        if let HttpError::ParseFailed { locations, .. } = self {
            error["locations"] = locations
                .iter()
                .map(|(line, column)| json!({"line": line, "column": column}))
                .collect();
        }
        error["extensions"] = json!({"code": self.code().as_str()});
        to_bytes(&json!({"errors": [error]}))
    }

    /// The error as the answer to one request (or one item of a batch).
    fn answer(&self, media: MediaType) -> Answer {
        Answer {
            status: self.status(media),
            body: self.body(),
            cacheable: false,
        }
    }

    /// The whole HTTP response, never cached: `Cache-Control: no-store`, `Retry-After` on a
    /// `503`, `Allow: POST` on a `405`. An `Accept` that allows no media type is answered in
    /// `application/json`.
    pub fn into_response(self, media: MediaType) -> Response {
        let media = match self {
            HttpError::NotAcceptable(_) => MediaType::Json,
            _ => media,
        };
        let mut response = graphql_body(self.status(media), media, self.body());
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self == HttpError::MutationByGet {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if self == HttpError::Unauthenticated {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"inkgraph editor\""),
            );
        }
        response
    }
}

impl From<params::ParamsError> for HttpError {
    fn from(err: params::ParamsError) -> Self {
        HttpError::BadRequest(err.to_string())
    }
}

impl From<BadContentType> for HttpError {
    fn from(err: BadContentType) -> Self {
        match err {
            BadContentType::Missing => HttpError::MissingContentType,
            BadContentType::Unsupported(found) => HttpError::UnsupportedContentType(found),
        }
    }
}

async fn answer_get(state: &AppState, headers: &HeaderMap, raw: &str) -> (String, Response) {
    let media = match negotiate(headers) {
        Ok(media) => media,
        Err(err) => {
            return (
                UNPARSED.into(),
                HttpError::NotAcceptable(err.0).into_response(MediaType::Json),
            )
        }
    };
    let limit = state.config().max_body_bytes;
    if raw.len() > limit {
        let error = HttpError::UriTooLong {
            bytes: raw.len(),
            limit,
        };
        return (UNPARSED.into(), error.into_response(media));
    }
    let params = match params::from_query_string(raw) {
        Ok(params) => params,
        Err(err) => return (UNPARSED.into(), HttpError::from(err).into_response(media)),
    };
    // authoring (#18): the editor token reads drafts too.
    let audience = super::editor::audience(state, headers);
    let mut work = Work::new(state);
    let prepared = match prepare(state, params, &mut work).await {
        Ok(prepared) => prepared,
        Err(error) => {
            return (
                UNPARSED.into(),
                error.answer(media).into_response(state, media, audience),
            )
        }
    };
    let label = prepared.label.clone();
    if prepared.kind == Some(OperationType::Mutation) {
        return (label, HttpError::MutationByGet.into_response(media));
    }
    let response = answer_one(state, headers, prepared, media, audience, Method::GET, work).await;
    (label, response)
}

async fn answer_post(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> (String, Response) {
    let media = match negotiate(headers) {
        Ok(media) => media,
        Err(err) => {
            return (
                UNPARSED.into(),
                HttpError::NotAcceptable(err.0).into_response(MediaType::Json),
            )
        }
    };
    if let Err(err) = check_json_content_type(headers) {
        return (UNPARSED.into(), HttpError::from(err).into_response(media));
    }
    // authoring (#18): the router lets an editor's body reach the editor limit (a long
    // post); everyone else still gets `--max-body-bytes`.
    let editor = super::editor::presents_token(state, headers);
    let body = match body {
        Ok(body) if body.len() > state.config().max_body_bytes && !editor => {
            let error = HttpError::PayloadTooLarge {
                limit: state.config().max_body_bytes,
            };
            return (UNPARSED.into(), error.into_response(media));
        }
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = match editor {
                true => state.body_limit(),
                false => state.config().max_body_bytes,
            };
            let error = HttpError::PayloadTooLarge { limit };
            return (UNPARSED.into(), error.into_response(media));
        }
        Err(rejection) => {
            let error = HttpError::BadRequest(format!(
                "could not read the request body: {}",
                rejection.body_text()
            ));
            return (UNPARSED.into(), error.into_response(media));
        }
    };
    // authoring (#18): the editor token reads drafts too.
    let audience = super::editor::audience(state, headers);
    let mut work = Work::new(state);
    match params::from_json_body(&body) {
        Err(err) => (UNPARSED.into(), HttpError::from(err).into_response(media)),
        Ok(PostBody::Single(params)) => match prepare(state, params, &mut work).await {
            Ok(mut prepared) => {
                let label = prepared.label.clone();
                // authoring (#18): a mutation runs only with the editor token (401/403
                // otherwise, nothing executed), and then with the content store.
                if prepared.kind == Some(OperationType::Mutation) {
                    match super::editor::admit(state, headers) {
                        Ok(editing) => prepared.request = prepared.request.data(editing),
                        Err(refused) => return (label, refused.into_response(media)),
                    }
                }
                let response = answer_one(
                    state,
                    headers,
                    prepared,
                    media,
                    audience,
                    Method::POST,
                    work,
                )
                .await;
                (label, response)
            }
            Err(error) => (
                UNPARSED.into(),
                error.answer(media).into_response(state, media, audience),
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
    work: &mut Work<'_>,
) -> Result<Prepared, HttpError> {
    let Params {
        query,
        variables,
        operation_name,
        extensions,
    } = params;
    let hash_only = query.is_none();
    let mut persist = false;
    let query: Arc<str> = match state.apq().lookup(query.as_deref(), &extensions) {
        Err(err) => return Err(HttpError::BadRequest(err.to_string())),
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
            return Err(HttpError::PersistedQueryNotFound);
        }
        Ok(Lookup::NotSupported) => return Err(HttpError::PersistedQueryNotSupported),
        Ok(Lookup::NotUsed) => match query {
            Some(query) => query.into(),
            None => return Err(params::ParamsError::MissingQuery.into()),
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
            let mut detail: String = err.message.chars().take(MAX_PARSE_DETAIL).collect();
            if detail.len() < err.message.len() {
                detail.push('…');
            }
            return Err(HttpError::ParseFailed {
                detail,
                locations: err.locations.iter().map(|l| (l.line, l.column)).collect(),
            });
        }
    };
    work.check(&parsed.selections)?;
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
    method: Method,
    mut work: Work<'_>,
) -> Response {
    // One snapshot for the whole request: the key, the execution and the cache entry agree.
    let served = state.current().load_full();
    // The version this audience sees: a change to a file the public cannot see leaves public
    // ETags and cached public answers as they are.
    let version = served.snapshot.view(audience).version();
    let key = RequestKey::new(KeyParts {
        version,
        method: method.as_str(),
        media,
        audience,
        query: &prepared.query,
        variables: &prepared.variables,
        operation_name: prepared.operation_name.as_deref(),
    });
    let etag = key.etag();
    let is_get = method == Method::GET;
    let public = audience == Audience::Public;
    // Only queries are answered from caches (a mutation must run every time).
    let is_query = prepared.kind == Some(OperationType::Query);
    // Answered without executing: only a query that ran well has an ETag or a cached answer.
    let ran_before = || {
        if prepared.persist {
            state.apq().register(prepared.query.clone());
        }
    };
    if is_get && is_query && if_none_match(headers, &etag) {
        ran_before();
        bump(&state.metrics().not_modified);
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(state, response.headers_mut(), is_get, audience, &etag);
        set_vary(state, response.headers_mut());
        return response;
    }
    // authoring (#18): only queries are cached; a mutation's answer never is (and a
    // cached answer never stands in for one).
    let cached = if public && is_query && state.caches_responses() {
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
    // A hit the client takes compressed is sent in the variant stored with it: no
    // serialization and no compression (the compression layer leaves an encoded body alone).
    let mut encoded = None;
    let (answer, cache_status) = match cached {
        Some(Some(hit)) => {
            ran_before();
            let encoding = (hit.body.len() >= usize::from(super::COMPRESSION_MIN_BYTES))
                .then(|| preferred_encoding(headers))
                .flatten();
            let body = match encoding.and_then(|encoding| Some((encoding, hit.encoded(encoding)?)))
            {
                Some((encoding, body)) => {
                    encoded = Some(encoding);
                    body
                }
                None => hit.body.clone(),
            };
            (
                Answer {
                    status: hit.status,
                    body,
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
                    CachedResponse::new(answer.status, answer.body.clone()),
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
    if let Some(encoding) = encoded {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.as_str()),
        );
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
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
        let error = HttpError::BatchTooLarge {
            items: batch.len(),
            limit,
        };
        return error.into_response(media);
    }
    // A batch is never answered from a cache: it always needs its turn.
    if let Err(error) = work.admit() {
        return error.answer(media).into_response(state, media, audience);
    }
    let served = state.current().load_full();
    let items = batch.len();
    let mut bodies = Vec::with_capacity(items);
    for params in batch {
        if work.is_over_bytes() {
            break;
        }
        let answer = match prepare(state, params, &mut work).await {
            Ok(prepared) => {
                execute(state, prepared, served.clone(), audience, media, &mut work).await
            }
            Err(error) => error.answer(media),
        };
        bodies.push(answer.body);
    }
    if work.is_over_bytes() {
        let refused = work.too_large().body();
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
            let answer = finish(response, media);
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
        .unwrap_or_else(|error| error.answer(media));
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
    /// error is the `503` to answer.
    fn admit(&mut self) -> Result<&Admission, HttpError> {
        let admission = match self.admission.take() {
            Some(admission) => admission,
            None => self
                .state
                .gate()
                .admit()
                .ok_or_else(|| HttpError::overloaded(self.state.config()))?,
        };
        Ok(self.admission.insert(admission))
    }

    /// Runs `work` off the async workers, within the request's deadline. The error is the
    /// one to answer instead: `503` when the gate is full or the deadline passed (the work
    /// is then told to stop producing), `500` when it panicked.
    async fn run<T, F>(&mut self, work: F) -> Result<T, HttpError>
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
                Err(HttpError::timeout(self.state.config()))
            }
            Err(RunError::Panicked(err)) => {
                tracing::error!("a GraphQL execution failed: {err}");
                Err(HttpError::Internal)
            }
        }
    }

    /// Refuses a document that nests too deep, selects more fields than the complexity limit
    /// once its fragments are expanded, or brings the request's aliases over their limit:
    /// async-graphql would expand every fragment spread again and again before its own
    /// limits apply.
    fn check(&mut self, selections: &Selections) -> Result<(), HttpError> {
        self.aliases = check_selections(self.state.config(), selections, self.aliases)
            .map_err(HttpError::Refused)?;
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
            return self.too_large().answer(media);
        }
        answer
    }

    /// Whether the request's answers passed the byte limit.
    fn is_over_bytes(&self) -> bool {
        self.budget.is_over_bytes()
    }

    /// The error that replaces an answer over the byte limit.
    fn too_large(&self) -> HttpError {
        HttpError::ResponseTooLarge {
            limit: self.state.config().max_response_bytes,
        }
    }
}

/// Why a document is refused before execution: the message names the limit and its setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub message: String,
    pub code: ErrorCode,
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
            code: ErrorCode::QueryTooDeep,
        });
    }
    let limit = config.limits.complexity;
    if selections.fields > limit {
        return Err(Refusal {
            message: format!(
                "the query selects {} fields (a fragment counts in full where it is defined and at each spread), over the limit of {limit} (--max-complexity / INKGRAPH_MAX_COMPLEXITY): every field costs at least 1; ask for fewer fields or spread fewer fragments",
                display_count(selections.fields)
            ),
            code: ErrorCode::QueryTooComplex,
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
            code: ErrorCode::TooManyAliases,
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
/// Every error already carries its code (`api::spec`).
fn finish(response: async_graphql::Response, media: MediaType) -> Answer {
    if response.errors.is_empty() {
        return Answer {
            status: StatusCode::OK,
            body: to_bytes(&response),
            cacheable: !volatile(&response),
        };
    }
    let (value, request_error) = crate::api::spec::response_json(&response);
    Answer {
        status: if request_error {
            request_error_status(media)
        } else {
            StatusCode::OK
        },
        body: to_bytes(&value),
        // A field error does not make an answer that is not yet this version's cacheable.
        cacheable: !request_error && !volatile(&response),
    }
}

/// Whether a resolver marked its answer as not one of this version (`Cache-Control:
/// no-store`, e.g. a search while the index is still being built): not cached, no ETag.
fn volatile(response: &async_graphql::Response) -> bool {
    response
        .http_headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"no-store"))
}

fn request_error_status(media: MediaType) -> StatusCode {
    match media {
        MediaType::GraphQLResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    }
}

fn to_bytes(value: &impl serde::Serialize) -> Bytes {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_else(|err| {
            Bytes::from(format!(
                "{{\"errors\":[{{\"message\":\"could not serialize the response: {}\",\"extensions\":{{\"code\":\"INTERNAL_SERVER_ERROR\"}}}}]}}",
                err.to_string().replace('"', "'")
            ))
        })
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
