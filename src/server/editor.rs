//! Who may run mutations: a `POST /graphql` bearing the editor token (`INKGRAPH_EDITOR_TOKEN`,
//! compared in constant time like the preview token). Without a token configured, or
//! without a content store, authoring is off and mutations answer `403 AUTHORING_DISABLED`;
//! with one, a request without it (or with the preview or admin token) answers
//! `401 UNAUTHENTICATED` with `WWW-Authenticate`. Nothing is executed either way.

use super::graphql::HttpError;
use super::AppState;
use crate::api::Editing;
use crate::graph::Audience;
use axum::http::HeaderMap;

/// Largest request body a writing server reads from a request bearing the editor token:
/// room for a post up to the 1 MiB file limit ([`crate::source::MAX_FILE_BYTES`]) written
/// as a JSON string (escapes can double it), with its mutation. Everyone else keeps
/// `--max-body-bytes`; the store refuses a file over the file limit itself.
pub const EDITOR_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Whether this server writes and the request carries its editor token.
pub(super) fn presents_token(state: &AppState, headers: &HeaderMap) -> bool {
    state.content_store().is_some()
        && state
            .editor_token()
            .is_some_and(|token| token.is_presented_in(headers))
}

/// Who a GraphQL-over-HTTP request reads as: an editor (who writes drafts) reads them too,
/// as a preview does; everyone else as the preview gate says.
pub(super) fn audience(state: &AppState, headers: &HeaderMap) -> Audience {
    match presents_token(state, headers) {
        true => Audience::Preview,
        false => state.preview().audience(headers),
    }
}

/// The request data that lets the mutation run, or the refusal to send.
pub(super) fn admit(state: &AppState, headers: &HeaderMap) -> Result<Editing, HttpError> {
    let (Some(token), Some(store)) = (state.editor_token(), state.content_store()) else {
        return Err(HttpError::AuthoringDisabled);
    };
    if !token.is_presented_in(headers) {
        return Err(HttpError::Unauthenticated);
    }
    Ok(Editing(store.clone()))
}
