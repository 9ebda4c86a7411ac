//! Operating the server: metrics, request ids, health and readiness, CORS, compression.

use crate::http_support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_support::*;
use inkgraph::server::{CorsOrigins, HttpConfig};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn metrics_count_requests_by_operation_and_status() {
    let server = TestServer::sample(&HttpConfig::default());
    server
        .post(
            &json!({"query": "query RecentPosts { posts(first: 2) { totalCount } }"}),
            &[],
        )
        .await;
    server
        .post(
            &json!({"query": "query RecentPosts { posts(first: 2) { totalCount } }"}),
            &[],
        )
        .await;
    server
        .post(&json!({"query": "{ site { title } }"}), &[])
        .await;
    server
        .post(
            &json!({"query": "{ nope }"}),
            &[("accept", "application/graphql-response+json")],
        )
        .await;
    server.post(&json!({"qeury": "typo"}), &[]).await;
    let reply = server
        .send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply
        .header(header::CONTENT_TYPE)
        .starts_with("text/plain; version=0.0.4"));
    let text = reply.text();
    let series = |name: &str| metric(&text, name);
    assert_eq!(
        series(r#"inkgraph_http_requests_total{operation="RecentPosts",status="200"}"#),
        Some(2.0)
    );
    assert_eq!(
        series(r#"inkgraph_http_requests_total{operation="anonymous",status="200"}"#),
        Some(1.0)
    );
    assert_eq!(
        series(r#"inkgraph_http_requests_total{operation="anonymous",status="400"}"#),
        Some(1.0)
    );
    assert_eq!(
        series(r#"inkgraph_http_requests_total{operation="unparsed",status="400"}"#),
        Some(1.0)
    );
    assert_eq!(
        series("inkgraph_http_request_duration_seconds_count"),
        Some(5.0)
    );
    assert_eq!(
        series(r#"inkgraph_http_request_duration_seconds_bucket{le="+Inf"}"#),
        Some(5.0)
    );
    assert_eq!(series(r#"inkgraph_posts{audience="public"}"#), Some(15.0));
    // The preview's count would tell anyone how many drafts and future posts there are.
    assert_eq!(series(r#"inkgraph_posts{audience="preview"}"#), None);
    assert_eq!(series("inkgraph_reloads_total"), Some(0.0));
    let version = server.current.load().snapshot.version.clone();
    assert_eq!(
        series(&format!(r#"inkgraph_corpus_info{{version="{version}"}}"#)),
        Some(1.0)
    );
    for family in [
        "inkgraph_response_cache_hits_total",
        "inkgraph_response_cache_misses_total",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} counter")),
            "{family}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::sample(&HttpConfig::default());
    let generated = server.get(&[("query", "{ site { title } }")], &[]).await;
    let id = generated.header("x-request-id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let other = server.get(&[("query", "{ site { title } }")], &[]).await;
    assert_ne!(other.header("x-request-id"), id);
    let given = server
        .get(
            &[("query", "{ site { title } }")],
            &[("x-request-id", "from-the-proxy-42")],
        )
        .await;
    assert_eq!(given.header("x-request-id"), "from-the-proxy-42");
}

#[tokio::test]
async fn health_and_readiness() {
    let server = TestServer::sample(&HttpConfig::default());
    let get = |path: &'static str| Request::get(path).body(Body::empty()).expect("request");
    let health = server.send(get("/healthz")).await;
    assert_eq!(
        (health.status, health.text().as_str()),
        (StatusCode::OK, "ok\n")
    );
    let ready = server.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(ready.text().starts_with("ready: version ") && ready.text().contains("15 posts"));
    server.state.begin_shutdown();
    let draining = server.send(get("/readyz")).await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        server.send(get("/healthz")).await.status,
        StatusCode::OK,
        "still alive"
    );
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/graphql")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn any_origin_may_call_by_default_without_credentials() {
    let server = TestServer::sample(&HttpConfig::default());
    let reply = server.send(preflight("https://some-site.example")).await;
    assert!(reply.status.is_success());
    assert_eq!(reply.header("access-control-allow-origin"), "*");
    assert_eq!(reply.header("access-control-max-age"), "7200");
    assert_eq!(reply.header("access-control-allow-credentials"), "");
    let headers = reply.header("access-control-allow-headers").to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(reply
        .header("access-control-allow-methods")
        .contains("POST"));

    let simple = server
        .get(
            &[("query", "{ site { title } }")],
            &[("origin", "https://some-site.example")],
        )
        .await;
    assert_eq!(simple.header("access-control-allow-origin"), "*");
    assert!(simple
        .header("access-control-expose-headers")
        .contains("etag"));
}

#[tokio::test]
async fn configured_origins_are_the_only_ones_allowed() {
    let server = TestServer::sample(&HttpConfig {
        cors_origins: CorsOrigins::List(vec!["https://blog.example.org".into()]),
        cors_max_age: Duration::from_secs(600),
        ..HttpConfig::default()
    });
    let allowed = server.send(preflight("https://blog.example.org")).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        "https://blog.example.org"
    );
    assert_eq!(allowed.header("access-control-max-age"), "600");
    let refused = server.send(preflight("https://evil.example")).await;
    assert_eq!(refused.header("access-control-allow-origin"), "");
    let simple = server
        .get(
            &[("query", "{ site { title } }")],
            &[("origin", "https://blog.example.org")],
        )
        .await;
    assert!(
        simple.header(header::VARY).contains("origin"),
        "{}",
        simple.header(header::VARY)
    );
}

#[tokio::test]
async fn large_answers_are_compressed_small_ones_are_not() {
    let server = TestServer::sample(&HttpConfig::default());
    let big = [(
        "query",
        "{ posts(first: 20) { nodes { title description url date tags { name } } } }",
    )];
    let plain = server.get(&big, &[]).await;
    assert!(plain.body.len() > 1024, "the test needs a large answer");
    for encoding in ["gzip", "br"] {
        let reply = server.get(&big, &[("accept-encoding", encoding)]).await;
        assert_eq!(reply.header(header::CONTENT_ENCODING), encoding);
        assert!(
            reply.body.len() < plain.body.len() / 2,
            "{encoding}: {} bytes",
            reply.body.len()
        );
        assert!(reply.header(header::VARY).contains("accept-encoding"));
        assert_eq!(reply.header(header::ETAG), plain.header(header::ETAG));
    }
    let small = server
        .get(
            &[("query", "{ site { postCount } }")],
            &[("accept-encoding", "gzip, br")],
        )
        .await;
    assert_eq!(small.header(header::CONTENT_ENCODING), "");
}

#[tokio::test]
async fn readyz_with_warm_waits_for_the_warm_up() {
    let server = TestServer::sample(&HttpConfig::default());
    let ready =
        |path: &'static str| server.send(Request::get(path).body(Body::empty()).expect("request"));
    // Loaded, not warmed up: ready for traffic, not warm.
    assert_eq!(ready("/readyz").await.status, StatusCode::OK);
    for path in ["/readyz?warm", "/readyz?warm=1", "/readyz?warm=true"] {
        let cold = ready(path).await;
        assert_eq!(cold.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(cold.header(header::RETRY_AFTER), "1");
        assert!(cold.text().starts_with("warming up"), "{}", cold.text());
    }
    assert_eq!(ready("/readyz?warm=0").await.status, StatusCode::OK);
    // What the server's background warm-up does after loading.
    let served = server.current.load_full();
    tokio::task::spawn_blocking(move || served.warm())
        .await
        .expect("warm-up");
    let warm = ready("/readyz?warm").await;
    assert_eq!(warm.status, StatusCode::OK);
    assert!(warm.text().contains(", warm"), "{}", warm.text());
}
