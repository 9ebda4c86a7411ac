//! HTTP behaviour of the router, driven in-process with tower's `oneshot`.

use crate::common;

use arc_swap::ArcSwap;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use inkgraph::graph::Visibility;
use inkgraph::server::{router, HttpConfig};
use inkgraph::site::ServedSite;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

fn app(config: &HttpConfig) -> axum::Router {
    let served = ServedSite::new(load_dir(&sample_blog(), Visibility::default()));
    router(Arc::new(ArcSwap::new(served)), config)
}

async fn send(request: Request<Body>) -> (StatusCode, String, String) {
    let response = app(&HttpConfig::default())
        .oneshot(request)
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn post_json(body: impl Into<Body>) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request")
}

#[tokio::test]
async fn post_query_returns_json_data() {
    let body = json!({"query": "query($s: String!) { postBySerial(serialNumber: $s) { title } }", "variables": {"s": "2025.blg.003"}});
    let (status, content_type, text) = send(post_json(body.to_string())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("json"), "{content_type}");
    let response: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        response["data"]["postBySerial"]["title"],
        "Walking the Old Tram Line"
    );
}

#[tokio::test]
async fn get_query_works_for_build_scripts_and_caches() {
    let uri = "/graphql?query=%7B%20site%20%7B%20postCount%20%7D%20%7D";
    let (status, _, text) = send(Request::get(uri).body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let response: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(response["data"]["site"]["postCount"], 15);
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let (status, _, text) = send(post_json("{\"query\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
}

#[tokio::test]
async fn unknown_field_is_a_graphql_error_naming_it() {
    let (status, _, text) =
        send(post_json(json!({"query": "{ site { nope } }"}).to_string())).await;
    assert_eq!(status, StatusCode::OK);
    let response: Value = serde_json::from_str(&text).expect("JSON");
    let message = response["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("nope"), "{message}");
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let padding = " ".repeat(100 * 1024);
    let body = format!("{{\"query\": \"{{ site {{ title }} }}{padding}\"}}");
    let (status, _, _) = send(post_json(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn page_size_limit_over_http() {
    let (_, _, text) = send(post_json(
        json!({"query": "{ posts(first: 1000) { totalCount } }"}).to_string(),
    ))
    .await;
    let response: Value = serde_json::from_str(&text).expect("JSON");
    assert!(response["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("at most 100"));
}

#[tokio::test]
async fn playground_and_health() {
    let (status, content_type, html) =
        send(Request::get("/").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(
        html.contains("graphiql") && html.contains(r#""endpoint":"graphql""#),
        "{html}"
    );
    let (status, _, body) = send(
        Request::get("/healthz")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
}

#[tokio::test]
async fn playground_assets_can_be_self_hosted() {
    let config = HttpConfig {
        playground_assets_url: "/static/vendor".into(),
        ..HttpConfig::default()
    };
    let response = app(&config)
        .oneshot(Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let html = String::from_utf8_lossy(&body);
    assert!(html.contains("/static/vendor/playground.js?v="), "{html}");
    assert!(!html.contains("unpkg"));
}

#[tokio::test]
async fn a_reload_swaps_the_snapshot_between_requests() {
    let current = Arc::new(ArcSwap::new(ServedSite::new(load_fixture("empty"))));
    let app = router(current.clone(), &HttpConfig::default());
    let ask = || post_json(json!({"query": "{ site { postCount } }"}).to_string());
    let count = |resp: axum::response::Response| async move {
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        serde_json::from_slice::<Value>(&body).expect("JSON")["data"]["site"]["postCount"].clone()
    };
    assert_eq!(
        count(app.clone().oneshot(ask()).await.expect("response")).await,
        0
    );
    current.store(ServedSite::new(load_dir(
        &sample_blog(),
        Visibility::default(),
    )));
    assert_eq!(count(app.oneshot(ask()).await.expect("response")).await, 15);
}
