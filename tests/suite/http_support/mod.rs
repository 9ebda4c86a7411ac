//! Drives the HTTP router in-process (tower `oneshot`) for the `http_*` test files.
#![allow(dead_code)]

use crate::common::{load_dir, sample_blog};
use arc_swap::ArcSwap;
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use inkgraph::graph::Visibility;
use inkgraph::server::{AppState, HttpConfig};
use inkgraph::site::CurrentSite;
use inkgraph::site::ServedSite;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

/// A router over one loaded folder, plus the handle to swap its snapshot.
pub struct TestServer {
    pub router: axum::Router,
    pub state: AppState,
    pub current: CurrentSite,
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text()))
    }

    /// A header as text (repeated headers joined with ", "), or "" when absent.
    pub fn header(&self, name: impl header::AsHeaderName) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The first error message.
    pub fn error_message(&self) -> String {
        self.json()["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {}", self.text()))
            .to_string()
    }
}

impl TestServer {
    /// The sample blog with `config`.
    pub fn sample(config: &HttpConfig) -> TestServer {
        TestServer::over(&sample_blog(), config)
    }

    /// A folder with `config` (public visibility: no drafts, no future posts).
    pub fn over(root: &Path, config: &HttpConfig) -> TestServer {
        let served = ServedSite::new(load_dir(root, Visibility::default()));
        let current: CurrentSite = Arc::new(ArcSwap::new(served));
        let state = AppState::new(current.clone(), config);
        TestServer {
            router: state.router(),
            state,
            current,
        }
    }

    /// Sends one request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POSTs a JSON body with extra headers.
    pub async fn post(&self, body: &Value, headers: &[(&str, &str)]) -> Reply {
        self.send(post_request(body.to_string(), headers)).await
    }

    /// GETs `/graphql` with these query-string parameters and extra headers.
    pub async fn get(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        self.send(get_request(params, headers)).await
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        self.send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .text()
    }
}

/// A POST /graphql request with `Content-Type: application/json` and extra headers.
pub fn post_request(body: impl Into<Body>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).expect("request")
}

/// A GET /graphql request with URL-encoded parameters and extra headers.
pub fn get_request(params: &[(&str, &str)], headers: &[(&str, &str)]) -> Request<Body> {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(format!("/graphql?{query}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("request")
}

/// The value of one series in a Prometheus exposition (`name{labels}` exactly as written).
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok()).flatten()
        })
}
