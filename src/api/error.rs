//! Error codes: every error inkgraph answers, over HTTP, WebSocket or `inkgraph query`,
//! carries `extensions.code`, one of [`ErrorCode`]. The README's "Error codes" table is
//! [`ErrorCode::ALL`] with [`ErrorCode::meaning`] (a test checks they agree).

use async_graphql::{ErrorExtensionValues, ErrorExtensions, Pos, ServerError};

/// What went wrong, as `extensions.code` names it. Request errors (no `data`) and field
/// errors (a field is `null`, `data` stays) share this one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The HTTP request does not hold a well-formed GraphQL request.
    BadRequest,
    /// The `Accept` header allows neither response media type.
    NotAcceptable,
    /// A POST body that is not `application/json`.
    UnsupportedMediaType,
    /// A mutation sent by GET.
    MethodNotAllowed,
    /// The request body is over `--max-body-bytes`.
    PayloadTooLarge,
    /// The GET query string is over `--max-body-bytes`.
    UriTooLong,
    /// A batch holds more operations than `--max-batch`.
    BatchTooLarge,
    /// The client took longer than `--request-body-timeout` to send the body.
    RequestTimeout,
    /// The server holds `--max-connections` connections already.
    ServiceUnavailable,
    /// An Apollo persisted-query hash the server does not know (yet).
    PersistedQueryNotFound,
    /// Persisted queries are turned off (`--apq-entries 0`).
    PersistedQueryNotSupported,
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document does not validate against the schema.
    GraphqlValidationFailed,
    /// `operationName` names no operation of the document, or is missing where several are.
    OperationResolutionFailure,
    /// A variable or argument value is missing, `null` where it may not be, of the wrong
    /// type, or out of range.
    BadUserInput,
    /// `first`/`last` is negative or over the page-size limit (100).
    InvalidPageSize,
    /// `after`/`before` is not a cursor of this connection and ordering.
    InvalidCursor,
    /// Selections nest deeper than `--max-depth`.
    QueryTooDeep,
    /// The request costs more than `--max-complexity`.
    QueryTooComplex,
    /// The request uses more aliases than `--max-aliases`.
    TooManyAliases,
    /// The answer would be larger than `--max-response-bytes`.
    ResponseTooLarge,
    /// A subscription sent over HTTP (subscriptions are served at `/graphql/ws`).
    SubscriptionNotSupported,
    /// More operations at once on one WebSocket than `--max-ws-subscriptions`.
    TooManySubscriptions,
    /// The execution took longer than `--timeout`.
    Timeout,
    /// Every turn to execute is taken and the queue is full.
    Overloaded,
    /// A bug: the server logged it.
    InternalServerError,
    /// A mutation without the editor token (or in a batch, or over the WebSocket).
    Unauthenticated,
    /// A mutation sent to a read-only server (no `--editor-token`).
    AuthoringDisabled,
    /// A mutation naming a post id that no loaded post has.
    NotFound,
    /// `ifRevision` is not the file's current revision.
    Conflict,
    /// The would-be file has an ERROR diagnostic; nothing was written.
    ValidationFailed,
    /// The file a mutation would create exists already.
    AlreadyExists,
    /// A path that leaves the content folder or passes through a symbolic link.
    UnsafePath,
    /// A front matter whose keys share YAML anchors, so an edit would change other keys.
    FrontMatterUneditable,
    /// Writing the file failed (disk full, permissions): logged, nothing half-written.
    WriteFailed,
}

impl ErrorCode {
    /// Every code, in the order of the README's table.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::NotAcceptable,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UriTooLong,
        ErrorCode::BatchTooLarge,
        ErrorCode::RequestTimeout,
        ErrorCode::ServiceUnavailable,
        ErrorCode::PersistedQueryNotFound,
        ErrorCode::PersistedQueryNotSupported,
        ErrorCode::GraphqlParseFailed,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::OperationResolutionFailure,
        ErrorCode::BadUserInput,
        ErrorCode::InvalidPageSize,
        ErrorCode::InvalidCursor,
        ErrorCode::QueryTooDeep,
        ErrorCode::QueryTooComplex,
        ErrorCode::TooManyAliases,
        ErrorCode::ResponseTooLarge,
        ErrorCode::SubscriptionNotSupported,
        ErrorCode::TooManySubscriptions,
        ErrorCode::Timeout,
        ErrorCode::Overloaded,
        ErrorCode::InternalServerError,
        ErrorCode::Unauthenticated,
        ErrorCode::AuthoringDisabled,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::ValidationFailed,
        ErrorCode::AlreadyExists,
        ErrorCode::UnsafePath,
        ErrorCode::FrontMatterUneditable,
        ErrorCode::WriteFailed,
    ];

    /// The code as `extensions.code` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::NotAcceptable => "NOT_ACCEPTABLE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UriTooLong => "URI_TOO_LONG",
            ErrorCode::BatchTooLarge => "BATCH_TOO_LARGE",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::OperationResolutionFailure => "OPERATION_RESOLUTION_FAILURE",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::InvalidPageSize => "INVALID_PAGE_SIZE",
            ErrorCode::InvalidCursor => "INVALID_CURSOR",
            ErrorCode::QueryTooDeep => "QUERY_TOO_DEEP",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::TooManyAliases => "TOO_MANY_ALIASES",
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            ErrorCode::SubscriptionNotSupported => "SUBSCRIPTION_NOT_SUPPORTED",
            ErrorCode::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Overloaded => "OVERLOADED",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::AuthoringDisabled => "AUTHORING_DISABLED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::UnsafePath => "UNSAFE_PATH",
            ErrorCode::FrontMatterUneditable => "FRONT_MATTER_UNEDITABLE",
            ErrorCode::WriteFailed => "WRITE_FAILED",
        }
    }

    /// The code named by `text`, if it is one.
    pub fn parse(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// Where the code appears and how it is answered, one line for the README's table.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "the HTTP request is not a well-formed GraphQL request (body not JSON, `query` missing, `variables` not an object, …): `400`",
            ErrorCode::NotAcceptable => "`Accept` allows neither `application/graphql-response+json` nor `application/json`: `406`",
            ErrorCode::UnsupportedMediaType => "a POST body without `Content-Type: application/json`: `415`",
            ErrorCode::MethodNotAllowed => "a mutation by GET: `405` with `Allow: POST`",
            ErrorCode::PayloadTooLarge => "a body over `--max-body-bytes`: `413`",
            ErrorCode::UriTooLong => "a GET query string over `--max-body-bytes`: `414`",
            ErrorCode::BatchTooLarge => "a batch of more than `--max-batch` operations: `400`",
            ErrorCode::RequestTimeout => "the body took longer than `--request-body-timeout`: `408`, connection closed",
            ErrorCode::ServiceUnavailable => "more than `--max-connections` connections: `503`, connection closed",
            ErrorCode::PersistedQueryNotFound => "a persisted-query hash the server does not know yet: `200` (send query and hash together)",
            ErrorCode::PersistedQueryNotSupported => "persisted queries are off (`--apq-entries 0`): `200`",
            ErrorCode::GraphqlParseFailed => "request error: the document is not GraphQL",
            ErrorCode::GraphqlValidationFailed => "request error: the document does not validate against the schema",
            ErrorCode::OperationResolutionFailure => "request error: `operationName` names no operation, or is missing where the document has several",
            ErrorCode::BadUserInput => "request error for a variable that is missing, `null` where it may not be, or of the wrong type; field error for an argument out of range or in conflict (`post` with two keys, `month: 13`, `tagCloud(levels: 0)`)",
            ErrorCode::InvalidPageSize => "field error: `first`/`last` negative or over 100",
            ErrorCode::InvalidCursor => "field error: `after`/`before` is not a cursor of this connection, or was made for another ordering",
            ErrorCode::QueryTooDeep => "request error: nested deeper than `--max-depth`",
            ErrorCode::QueryTooComplex => "request error: costs more than `--max-complexity`",
            ErrorCode::TooManyAliases => "request error: more aliases than `--max-aliases`",
            ErrorCode::ResponseTooLarge => "request error: the answer would pass `--max-response-bytes`",
            ErrorCode::SubscriptionNotSupported => "request error: a subscription sent over HTTP (use `/graphql/ws`)",
            ErrorCode::TooManySubscriptions => "WebSocket: more than `--max-ws-subscriptions` operations at once on the socket",
            ErrorCode::Timeout => "execution took longer than `--timeout`: `503`, `Retry-After: 1`",
            ErrorCode::Overloaded => "every execution turn and queue place is taken: `503`, `Retry-After: 1`",
            ErrorCode::InternalServerError => "a bug (logged on the server): `500` over HTTP, a field error inside `data`",
            ErrorCode::Unauthenticated => "a mutation without the editor token: `401` with `WWW-Authenticate`; a field error for one in a batch or over the WebSocket",
            ErrorCode::AuthoringDisabled => "a mutation sent to a read-only server (no `--editor-token`): `403`",
            ErrorCode::NotFound => "mutation field error: no loaded post has this id",
            ErrorCode::Conflict => "mutation field error: `ifRevision` is stale; `extensions.currentRevision` is the file's revision now",
            ErrorCode::ValidationFailed => "mutation field error: the would-be file has an ERROR, listed in `extensions.diagnostics`; nothing written",
            ErrorCode::AlreadyExists => "mutation field error: the file it would create exists",
            ErrorCode::UnsafePath => "mutation field error: a path through a symbolic link or out of the content folder; nothing written",
            ErrorCode::FrontMatterUneditable => "mutation field error: keys share YAML anchors, so the edit would change other keys; edit by hand",
            ErrorCode::WriteFailed => "mutation field error: the file could not be written (logged); the old version is intact",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field error with `extensions.code` (what resolvers return).
pub fn field_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

/// A request-level error (no path) with `extensions.code`.
pub fn request_error(code: ErrorCode, message: impl Into<String>, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    set_code(&mut error, code);
    error
}

/// Sets (or replaces) an error's `extensions.code`.
pub fn set_code(error: &mut ServerError, code: ErrorCode) {
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code.as_str());
}

/// Whether an error already carries `extensions.code`.
pub fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(!code.meaning().is_empty());
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }

    #[test]
    fn field_errors_carry_their_code() {
        let error = field_error(ErrorCode::InvalidCursor, "bad").into_server_error(Pos::default());
        assert!(has_code(&error));
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INVALID_CURSOR")));
    }
}
