//! Who may run mutations: a `POST /graphql` bearing the editor token (`INKGRAPH_EDITOR_TOKEN`,
//! compared in constant time like the preview token). Without a token configured, or
//! without a content store, authoring is off and mutations answer `403 AUTHORING_DISABLED`;
//! with one, a request without it (or with the preview or admin token) answers
//! `401 UNAUTHENTICATED` with `WWW-Authenticate`. Nothing is executed either way.

use super::graphql::error_response;
use super::negotiate::MediaType;
use super::AppState;
use crate::api::{Editing, UNAUTHENTICATED_MESSAGE};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

/// The request data that lets the mutation run, or the refusal to send (boxed: a
/// `Response` is large).
pub(super) fn admit(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
) -> Result<Editing, Box<Response>> {
    let (Some(token), Some(store)) = (state.editor_token(), state.content_store()) else {
        return Err(Box::new(error_response(
            StatusCode::FORBIDDEN,
            media,
            "this server is read-only: authoring is off (start the writing instance with INKGRAPH_EDITOR_TOKEN set; replicas stay read-only)",
            "AUTHORING_DISABLED",
        )));
    };
    if !token.is_presented_in(headers) {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            media,
            UNAUTHENTICATED_MESSAGE,
            "UNAUTHENTICATED",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"inkgraph editor\""),
        );
        return Err(Box::new(response));
    }
    Ok(Editing(store.clone()))
}
