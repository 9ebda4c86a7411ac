//! Hostile input never breaks the server: random and malformed bodies, query strings and
//! headers never produce a 5xx (other than the execution timeout's 503) or a panic.

use crate::http_support;

use axum::body::Body;
use axum::http::{Method, Request};
use http_support::*;
use inkgraph::server::HttpConfig;
use proptest::prelude::*;
use std::sync::OnceLock;

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        TestServer::sample(&HttpConfig {
            preview_token: Some("a-preview-token-of-some-length".into()),
            ..HttpConfig::default()
        })
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fn check(request: Request<Body>) -> Result<(), TestCaseError> {
    let reply = runtime().block_on(server().send(request));
    // Rendering HTML in a debug build on a busy machine may run into the execution timeout;
    // that 503 is the designed answer, not a failure.
    let timed_out = reply.status.as_u16() == 503 && reply.text().contains("\"TIMEOUT\"");
    prop_assert!(
        !reply.status.is_server_error() || timed_out,
        "status {} for a hostile request: {}",
        reply.status,
        reply.text()
    );
    if reply.status.as_u16() != 304
        && !reply.body.is_empty()
        && reply.header("content-type").contains("json")
    {
        prop_assert!(
            serde_json::from_slice::<serde_json::Value>(&reply.body).is_ok(),
            "a JSON answer that is not JSON: {}",
            reply.text()
        );
    }
    Ok(())
}

/// Fragments that steer random text toward the parser's and the executor's corners.
fn graphql_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("query".to_string()),
        Just("mutation".to_string()),
        Just("subscription".to_string()),
        Just("fragment F on Post { title }".to_string()),
        Just("...F".to_string()),
        Just("posts(first: 100)".to_string()),
        Just("posts(first: -1, after: \"x\")".to_string()),
        Just("post(slug: \"\\u0000\")".to_string()),
        Just("node(id: \"%%%\")".to_string()),
        Just("tagCloud(levels: 0, limit: -5)".to_string()),
        Just("nodes { title html excerpt(words: -1) }".to_string()),
        Just("$v".to_string()),
        Just("@skip(if: $v)".to_string()),
        Just("__typename".to_string()),
        Just("__schema { types { name } }".to_string()),
        "[a-zA-Z_]{1,8}".prop_map(|s| s),
        "[ -~]{0,12}".prop_map(|s| s),
    ]
}

fn graphql_text() -> impl Strategy<Value = String> {
    prop::collection::vec(graphql_fragment(), 0..24).prop_map(|parts| parts.join(" "))
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        graphql_text().prop_map(serde_json::Value::from),
        "\\PC{0,16}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("query".to_string()),
                    Just("variables".to_string()),
                    Just("operationName".to_string()),
                    Just("extensions".to_string()),
                    Just("persistedQuery".to_string()),
                    Just("version".to_string()),
                    Just("sha256Hash".to_string()),
                    "[a-z]{1,6}".prop_map(|s| s),
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_string()),
        Just("application/graphql-response+json;q=0.5, application/json;q=abc".to_string()),
        Just("*/*;q=0".to_string()),
        Just("text/html".to_string()),
        Just("Bearer a-preview-token-of-some-length".to_string()),
        Just("\"etag\", W/\"x\", *".to_string()),
        "[ -~]{0,40}".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_as_a_post_body(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(post_request(body, &[]))?;
    }

    #[test]
    fn random_json_requests(value in json_value(), accept in header_value(), auth in header_value()) {
        check(post_request(value.to_string(), &[("accept", &accept), ("authorization", &auth)]))?;
        let batch = serde_json::Value::Array(vec![value.clone(), serde_json::json!({"query": "{ site { title } }"})]);
        check(post_request(batch.to_string(), &[]))?;
    }

    #[test]
    fn random_graphql_documents(query in graphql_text(), variables in json_value(), name in "[A-Za-z]{0,4}") {
        let body = serde_json::json!({"query": query, "variables": variables, "operationName": name});
        check(post_request(body.to_string(), &[("accept", "application/graphql-response+json")]))?;
        let variables = variables.to_string();
        check(get_request(&[("query", &query), ("variables", &variables), ("operationName", &name)], &[]))?;
    }

    #[test]
    fn random_query_strings(raw in "[ -~]{0,200}", method in prop_oneof![Just(Method::GET), Just(Method::HEAD)], inm in header_value()) {
        let encoded: String = raw
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"=&%+-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let request = Request::builder()
            .method(method)
            .uri(format!("/graphql?{encoded}"))
            .header("if-none-match", inm)
            .body(Body::empty())
            .expect("request");
        check(request)?;
    }

    #[test]
    fn random_content_types(content_type in header_value(), body in json_value()) {
        let request = Request::post("/graphql")
            .header("content-type", content_type)
            .body(Body::from(body.to_string()))
            .expect("request");
        check(request)?;
    }
}
