//! Limits that protect the server: each answers with the right status and an error that names
//! the limit, its value and the setting that changes it.

use crate::http_support;

use axum::http::StatusCode;
use http_support::*;
use inkgraph::api::QueryLimits;
use inkgraph::server::HttpConfig;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn oversized_bodies_are_413_naming_the_limit() {
    let server = TestServer::sample(&HttpConfig::default());
    let padding = " ".repeat(70 * 1024);
    let reply = server
        .send(post_request(
            format!("{{\"query\": \"{{ site {{ title }} }}{padding}\"}}"),
            &[],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let message = reply.error_message();
    assert!(
        message.contains("65536") && message.contains("INKGRAPH_MAX_BODY_BYTES"),
        "{message}"
    );

    let small = TestServer::sample(&HttpConfig {
        max_body_bytes: 1024,
        ..HttpConfig::default()
    });
    let long_get = small
        .get(
            &[(
                "query",
                &format!("{{ site {{ title }} }}{}", " ".repeat(2000)),
            )],
            &[],
        )
        .await;
    assert_eq!(long_get.status, StatusCode::URI_TOO_LONG);
    assert!(long_get.error_message().contains("1024"));
}

#[tokio::test]
async fn batches_over_the_limit_are_400() {
    let server = TestServer::sample(&HttpConfig {
        max_batch: 3,
        ..HttpConfig::default()
    });
    let item = json!({"query": "{ site { title } }"});
    let ok = server.post(&json!([item, item, item]), &[]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let over = server.post(&json!([item, item, item, item]), &[]).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    let message = over.error_message();
    assert!(
        message.contains("4 operations") && message.contains("limit of 3"),
        "{message}"
    );
    assert_eq!(
        over.json()["errors"][0]["extensions"]["code"],
        "BATCH_TOO_LARGE"
    );
}

#[tokio::test]
async fn deep_queries_are_refused_naming_the_depth_limit() {
    let server = TestServer::sample(&HttpConfig {
        limits: QueryLimits {
            depth: 3,
            ..QueryLimits::default()
        },
        ..HttpConfig::default()
    });
    let deep = "{ posts { nodes { tags { posts { totalCount } } } } }";
    let reply = server
        .post(
            &json!({"query": deep}),
            &[("accept", "application/graphql-response+json")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.error_message();
    assert!(
        message.contains("limit of 3 levels") && message.contains("--max-depth"),
        "{message}"
    );
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["code"],
        "QUERY_TOO_DEEP"
    );
    let shallow = server
        .post(&json!({"query": "{ site { title } }"}), &[])
        .await;
    assert_eq!(shallow.status, StatusCode::OK);
}

#[tokio::test]
async fn costly_queries_and_alias_floods_are_refused_naming_the_complexity_limit() {
    let server = TestServer::sample(&HttpConfig::default());
    // 100 posts × 100 tags each × a few fields is far over 10,000.
    let costly =
        "{ posts(first: 100) { nodes { tags { posts(first: 100) { nodes { title } } } } } }";
    let reply = server.post(&json!({"query": costly}), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "application/json keeps 200");
    let message = reply.error_message();
    assert!(
        message.contains("limit of 10000") && message.contains("INKGRAPH_MAX_COMPLEXITY"),
        "{message}"
    );
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );

    // Past the alias limit (tests/hostile_requests.rs), thousands of aliases still cost
    // their fields: 12,000 fields are refused before async-graphql walks them.
    let roomy = TestServer::sample(&HttpConfig {
        max_body_bytes: 1024 * 1024,
        max_aliases: 100_000,
        ..HttpConfig::default()
    });
    let aliases: String = (0..4000)
        .map(|i| format!("a{i}: site {{ title postCount }} "))
        .collect();
    let flood = roomy
        .post(&json!({"query": format!("{{ {aliases} }}")}), &[])
        .await;
    let message = flood.error_message();
    assert!(
        message.contains("selects 12000 fields") && message.contains("limit of 10000"),
        "{message}"
    );
    assert_eq!(
        flood.json()["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
}

#[tokio::test]
async fn page_sizes_over_100_are_refused() {
    let server = TestServer::sample(&HttpConfig::default());
    let reply = server
        .post(
            &json!({"query": "{ posts(first: 1000) { totalCount } }"}),
            &[],
        )
        .await;
    assert!(
        reply.error_message().contains("at most 100"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_past_the_timeout_get_503() {
    // Rendering every post's HTML for the first time (Liquid, Markdown, highlighting) takes far
    // longer than 1 ms; the execution runs on its own task, so the answer comes on time.
    let server = TestServer::sample(&HttpConfig {
        timeout: Duration::from_millis(1),
        ..HttpConfig::default()
    });
    let reply = server
        .get(
            &[("query", "{ posts(first: 100) { nodes { html } } }")],
            &[],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    let message = reply.error_message();
    assert!(
        message.contains("execution limit of 1 ms") && message.contains("INKGRAPH_TIMEOUT"),
        "{message}"
    );
    assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "TIMEOUT");
    assert_eq!(reply.header("cache-control"), "no-store");
    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, "inkgraph_execution_timeouts_total"),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "inkgraph_response_cache_entries"),
        Some(0.0),
        "a timeout is never cached"
    );
}
