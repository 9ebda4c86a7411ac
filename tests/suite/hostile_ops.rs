//! Operating signals against hostile clients and careless settings: invented operation names
//! do not become metric labels, an oversized or odd `X-Request-Id` is neither echoed nor
//! logged, and the same token for two settings is refused at start.

use crate::http_support;

use http_support::*;
use inkgraph::server::{serve_until, AppState, HttpConfig, ServeOptions};
use serde_json::json;
use std::process::Command;

/// The `operation` label values in a metrics exposition.
fn operation_labels(metrics: &str) -> std::collections::BTreeSet<String> {
    metrics
        .lines()
        .filter(|line| line.starts_with("inkgraph_http_requests_total{"))
        .filter_map(|line| line.split("operation=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn invented_operation_names_do_not_become_metric_labels() {
    let server = TestServer::sample(&HttpConfig::default());
    for i in 0..150 {
        // A name the document does not have.
        server
            .post(
                &json!({"query": "{ site { title } }", "operationName": format!("junkA{i}")}),
                &[],
            )
            .await;
        // A named operation that does not validate.
        server
            .post(&json!({"query": format!("query JunkB{i} {{ nope }}")}), &[])
            .await;
        // A name that selects nothing in a document of several operations.
        server
            .post(
                &json!({"query": "query A { site { title } } query B { site { title } }", "operationName": format!("junkC{i}")}),
                &[],
            )
            .await;
        // By GET, with an If-None-Match that cannot match.
        server
            .get(
                &[
                    ("query", "{ site { title } }"),
                    ("operationName", &format!("junkD{i}")),
                ],
                &[("if-none-match", "\"nope\"")],
            )
            .await;
    }
    let named = server
        .post(
            &json!({"query": "query RecentPosts { posts(first: 1) { totalCount } }"}),
            &[],
        )
        .await;
    assert_eq!(named.status, 200);
    let metrics = server.metrics().await;
    let labels = operation_labels(&metrics);
    assert!(
        labels.iter().all(|l| !l.to_lowercase().contains("junk")),
        "{labels:?}"
    );
    assert!(labels.contains("RecentPosts"), "{labels:?}");
    assert!(labels.len() <= 5, "{labels:?}");
}

#[tokio::test]
async fn an_oversized_or_odd_request_id_is_replaced() {
    let server = TestServer::sample(&HttpConfig::default());
    let huge = "a".repeat(100 * 1024);
    for sent in [huge.as_str(), "<script>alert(1)</script>", "has space"] {
        let reply = server
            .get(
                &[("query", "{ site { title } }")],
                &[("x-request-id", sent)],
            )
            .await;
        assert_eq!(reply.status, 200);
        let id = reply.header("x-request-id");
        assert_eq!(id.len(), 36, "a fresh UUID instead of {} bytes", sent.len());
        assert_ne!(id, sent);
    }
    // A plain id of up to 128 characters is kept.
    let plain = format!("req-{}", "7".repeat(124));
    let reply = server
        .get(
            &[("query", "{ site { title } }")],
            &[("x-request-id", &plain)],
        )
        .await;
    assert_eq!(reply.header("x-request-id"), plain);
    let too_long = format!("{plain}8");
    let reply = server
        .get(
            &[("query", "{ site { title } }")],
            &[("x-request-id", &too_long)],
        )
        .await;
    assert_eq!(reply.header("x-request-id").len(), 36);
}

#[tokio::test]
async fn serve_refuses_one_token_for_preview_and_admin() {
    let token = "same-token-0123456789abcdef";
    let config = HttpConfig {
        preview_token: Some(token.into()),
        admin_token: Some(token.into()),
        ..HttpConfig::default()
    };
    let server = TestServer::sample(&config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let err = serve_until(
        listener,
        AppState::clone(&server.state),
        ServeOptions::default(),
        std::future::pending(),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let message = err.to_string();
    assert!(
        message.contains("preview-token") && message.contains("admin-token"),
        "{message}"
    );
    assert!(
        !message.contains(token),
        "the token is never echoed: {message}"
    );
}

#[test]
fn inkgraph_serve_refuses_one_token_for_preview_and_admin() {
    let token = "same-token-0123456789abcdef";
    let out = Command::new(env!("CARGO_BIN_EXE_inkgraph"))
        .env_clear()
        .args(["serve", "--print-config", "--config", "/dev/null"])
        .env("INKGRAPH_PREVIEW_TOKEN", token)
        .env("INKGRAPH_ADMIN_TOKEN", token)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for setting in [
        "preview-token",
        "INKGRAPH_PREVIEW_TOKEN",
        "admin-token",
        "INKGRAPH_ADMIN_TOKEN",
    ] {
        assert!(stderr.contains(setting), "{setting} missing: {stderr}");
    }
    assert!(
        !stderr.contains(token),
        "the token is never echoed: {stderr}"
    );
}
