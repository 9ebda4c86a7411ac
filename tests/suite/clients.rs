//! What real clients (Apollo Client, urql, graphql-request, Relay, generated types) rely on,
//! over the HTTP router: errors null their field and, through non-null positions, its
//! nearest nullable ancestor; required variables are checked before anything runs; every
//! error has a documented code; ids are unique across types; browsers may send tracing
//! headers cross-origin; the custom scalars name their specifications. The Node.js client
//! suite (`scripts/check-clients.sh`) runs the clients themselves.

use crate::http_support::{Reply, TestServer};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use inkgraph::api::ErrorCode;
use inkgraph::server::{CorsHeaders, HttpConfig};
use serde_json::{json, Value};
use std::collections::HashSet;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(server: &TestServer, query: &str, variables: Value, accept: &str) -> Reply {
    server
        .post(
            &json!({"query": query, "variables": variables}),
            &[("accept", accept)],
        )
        .await
}

/// `data` of a 200 answer, after checking every error has a code from the list.
async fn data_and_errors(server: &TestServer, query: &str) -> (Value, Vec<Value>) {
    let reply = post(server, query, json!({}), GRAPHQL_RESPONSE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    for error in &errors {
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        assert!(ErrorCode::parse(code).is_some(), "uncoded error: {error}");
    }
    assert!(
        body.get("data").is_some(),
        "a field error keeps `data`: {body}"
    );
    (body["data"].clone(), errors)
}

fn codes(errors: &[Value]) -> Vec<&str> {
    errors
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn an_error_on_a_non_null_field_nulls_the_post() {
    let server = TestServer::sample(&HttpConfig::default());
    let (data, errors) = data_and_errors(
        &server,
        r#"{ post(slug: "walking-the-old-tram-line") { title backlinks(first: 1000) { totalCount } } }"#,
    )
    .await;
    assert_eq!(data, json!({"post": null}));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], json!(["post", "backlinks"]));
    assert_eq!(codes(&errors), ["INVALID_PAGE_SIZE"]);
}

#[tokio::test]
async fn errors_in_lists_aliases_and_fragments_null_the_nearest_nullable_ancestor() {
    let server = TestServer::sample(&HttpConfig::default());
    // A non-null field in every item of a non-null list, under a non-null root field: all
    // the way up to `data`.
    let (data, errors) = data_and_errors(
        &server,
        "{ posts(first: 2) { nodes { title backlinks(first: -1) { totalCount } } } }",
    )
    .await;
    assert_eq!(data, Value::Null);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["path"], json!(["posts", "nodes", 1, "backlinks"]));

    // Aliases and a fragment: the aliased post is null, its sibling stays.
    let (data, errors) = data_and_errors(
        &server,
        r#"{ a: post(slug: "walking-the-old-tram-line") { t: title ...Related }
             b: site { title }
             c: post(slug: "walking-the-old-tram-line") { t: title } }
           fragment Related on Post { related(first: -1) { score } }"#,
    )
    .await;
    assert_eq!(
        data,
        json!({"a": null, "b": {"title": "Isobar & Ink"}, "c": {"t": "Walking the Old Tram Line"}})
    );
    assert_eq!(errors[0]["path"], json!(["a", "related"]));
    assert_eq!(codes(&errors), ["INVALID_PAGE_SIZE"]);

    // Through an inline fragment on an interface.
    let id = server
        .post(
            &json!({"query": r#"{ post(slug: "walking-the-old-tram-line") { id } }"#}),
            &[],
        )
        .await
        .json()["data"]["post"]["id"]
        .clone();
    let query = format!(
        r#"{{ node(id: {id}) {{ id ... on Post {{ title excerpt(words: -1) }} }} site {{ postCount }} }}"#
    );
    let (data, errors) = data_and_errors(&server, &query).await;
    assert_eq!(data["node"], Value::Null);
    assert!(data["site"]["postCount"].is_number());
    assert_eq!(codes(&errors), ["BAD_USER_INPUT"]);

    // A nullable field inside list items: only that field is null, in every item.
    let (data, errors) = data_and_errors(
        &server,
        "{ linkGraph { nodes { label post { title excerpt(words: -1) } } } }",
    )
    .await;
    let nodes = data["linkGraph"]["nodes"].as_array().expect("nodes");
    assert!(!nodes.is_empty());
    for node in nodes {
        assert!(node["label"].is_string(), "{node}");
        assert_eq!(node["post"], Value::Null, "{node}");
    }
    assert_eq!(errors.len(), nodes.len());

    // A bad cursor on a nullable parent's connection.
    let (data, errors) = data_and_errors(
        &server,
        r#"{ tag(slug: "cartography") { name posts(after: "nope") { totalCount } } site { title } }"#,
    )
    .await;
    assert_eq!(data["tag"], Value::Null);
    assert_eq!(data["site"]["title"], "Isobar & Ink");
    assert_eq!(codes(&errors), ["INVALID_CURSOR"]);

    // Two keys to `post`: null, with its code; the other root field stays.
    let (data, errors) = data_and_errors(
        &server,
        r#"{ post(slug: "a", serialNumber: "b") { title } site { postCount } }"#,
    )
    .await;
    assert_eq!(data["post"], Value::Null);
    assert!(data["site"]["postCount"].is_number());
    assert_eq!(codes(&errors), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn a_missing_or_null_required_variable_is_a_request_error() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = "query($s: String!) { postBySerial(serialNumber: $s) { title } }";
    for variables in [json!({}), json!({"s": null})] {
        let reply = post(&server, query, variables.clone(), GRAPHQL_RESPONSE).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
        let body = reply.json();
        assert!(body.get("data").is_none(), "no data: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = reply.error_message();
        assert!(
            message.contains("\"$s\"")
                && (message.contains("was not provided") || message.contains("must not be null")),
            "{message}"
        );
        // `application/json` keeps 200, still without data.
        let reply = post(&server, query, variables, "application/json").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.json().get("data").is_none());
    }
    let reply = post(
        &server,
        query,
        json!({"s": "2025.BLG.003"}),
        GRAPHQL_RESPONSE,
    )
    .await;
    assert_eq!(
        reply.json()["data"]["postBySerial"]["title"],
        "Walking the Old Tram Line"
    );
    // A wrongly typed variable, and one in an input object, are request errors too.
    for (query, variables) in [
        (
            "query($n: Int) { posts(first: $n) { totalCount } }",
            json!({"n": "ten"}),
        ),
        (
            "query($f: PostFilter) { posts(filter: $f) { totalCount } }",
            json!({"f": {"month": "May"}}),
        ),
    ] {
        let reply = post(&server, query, variables, GRAPHQL_RESPONSE).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
        assert_eq!(
            reply.json()["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
    }
}

#[tokio::test]
async fn include_and_skip_honour_a_defaulted_variable() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = "query($withTitle: Boolean = true, $hideCount: Boolean = false) { site { title @include(if: $withTitle) postCount @skip(if: $hideCount) } }";
    let omitted = post(&server, query, json!({}), GRAPHQL_RESPONSE)
        .await
        .json();
    assert_eq!(omitted["data"]["site"]["title"], "Isobar & Ink");
    assert!(omitted["data"]["site"]["postCount"].is_number());
    let given = post(
        &server,
        query,
        json!({"withTitle": false, "hideCount": true}),
        GRAPHQL_RESPONSE,
    )
    .await
    .json();
    // Every field skipped: still an object (`Site!` is non-null).
    assert_eq!(given["data"], json!({"site": {}}));
}

/// The rows of the README's "Error codes" table: (code, meaning).
fn readme_codes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n### Error codes\n")
        .nth(1)
        .expect("a section \"### Error codes\" in README.md");
    section
        .lines()
        .skip_while(|line| !line.starts_with("| `"))
        .take_while(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            (
                cells[0].trim().trim_matches('`').to_string(),
                cells
                    .get(1)
                    .map(|c| c.trim().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_readme_lists_every_error_code_as_the_code_does() {
    let documented = readme_codes();
    let expected: Vec<(String, String)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), c.meaning().to_string()))
        .collect();
    assert_eq!(
        documented, expected,
        "README.md's error-code table must list ErrorCode::ALL with ErrorCode::meaning, in order"
    );
}

#[tokio::test]
async fn every_error_answered_carries_a_listed_code() {
    let server = TestServer::sample(&HttpConfig {
        max_aliases: 3,
        ..HttpConfig::default()
    });
    let mut seen = HashSet::new();
    let mut record = |reply: Reply| {
        let body = reply.json();
        for error in body["errors"].as_array().expect("errors") {
            let code = error["extensions"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("uncoded: {error}"));
            assert!(ErrorCode::parse(code).is_some(), "unlisted code {code}");
            seen.insert(code.to_string());
        }
    };
    for (query, variables) in [
        ("{ posts(first: 101) { totalCount } }", json!({})),
        (r#"{ posts(before: "x") { totalCount } }"#, json!({})),
        ("{ posts(filter: {month: 13}) { totalCount } }", json!({})),
        ("{ nope }", json!({})),
        ("{ site { title }", json!({})),
        (
            "query($s: String!) { postBySerial(serialNumber: $s) { title } }",
            json!({}),
        ),
        ("subscription { corpusChanged { version } }", json!({})),
        (
            "{ a: site { title } b: site { title } c: site { title } d: site { title } }",
            json!({}),
        ),
        (
            "query A { site { title } } query B { site { title } }",
            json!({}),
        ),
        (
            "{ posts(first: 100) { nodes { tags { posts(first: 100) { nodes { slug } } } } } }",
            json!({}),
        ),
    ] {
        record(post(&server, query, variables, GRAPHQL_RESPONSE).await);
    }
    record(
        server
            .send(
                Request::post("/graphql")
                    .header("content-type", "text/plain")
                    .body(Body::from("{}"))
                    .expect("request"),
            )
            .await,
    );
    record(server.post(&json!({"query": 1}), &[]).await);
    for code in [
        "INVALID_PAGE_SIZE",
        "INVALID_CURSOR",
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "SUBSCRIPTION_NOT_SUPPORTED",
        "TOO_MANY_ALIASES",
        "OPERATION_RESOLUTION_FAILURE",
        "QUERY_TOO_COMPLEX",
        "UNSUPPORTED_MEDIA_TYPE",
        "BAD_REQUEST",
    ] {
        assert!(seen.contains(code), "{code} not seen in {seen:?}");
    }
}

#[tokio::test]
async fn graph_nodes_have_ids_of_their_own_and_edges_use_them() {
    let server = TestServer::sample(&HttpConfig::default());
    let body = server
        .post(
            &json!({"query": "{ site { id } again: site { id } posts(first: 100) { nodes { id tags { id } } } linkGraph(includeTags: true) { nodes { id kind post { id } tag { id } } edges { source target kind } } }"}),
            &[],
        )
        .await
        .json();
    let data = &body["data"];
    assert_eq!(data["site"]["id"], data["again"]["id"]);
    assert!(data["site"]["id"].is_string());
    let mut entity_ids: HashSet<String> = HashSet::new();
    for post in data["posts"]["nodes"].as_array().expect("posts") {
        entity_ids.insert(post["id"].as_str().expect("id").into());
        for tag in post["tags"].as_array().expect("tags") {
            entity_ids.insert(tag["id"].as_str().expect("id").into());
        }
    }
    let nodes = data["linkGraph"]["nodes"].as_array().expect("nodes");
    let node_ids: HashSet<String> = nodes
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(node_ids.len(), nodes.len(), "node ids are unique");
    assert!(
        node_ids.is_disjoint(&entity_ids),
        "a graph node's id is never a post's or tag's id"
    );
    assert!(!node_ids.contains(data["site"]["id"].as_str().expect("site id")));
    for node in nodes {
        let target = match node["kind"].as_str() {
            Some("post") => &node["post"]["id"],
            Some("tag") => &node["tag"]["id"],
            other => panic!("kind {other:?}"),
        };
        assert!(
            entity_ids.contains(target.as_str().expect("the post or tag")),
            "{node}"
        );
    }
    let edges = data["linkGraph"]["edges"].as_array().expect("edges");
    assert!(edges.iter().any(|e| e["kind"] == "tag"));
    for edge in edges {
        for end in ["source", "target"] {
            assert!(
                node_ids.contains(edge[end].as_str().expect("end")),
                "{edge} names a node"
            );
        }
    }
}

fn preflight(headers: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/graphql")
        .header("origin", "https://frontend.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .body(Body::empty())
        .expect("request")
}

const TRACING_HEADERS: &str = "content-type,apollographql-client-name,apollographql-client-version,traceparent,tracestate,sentry-trace,baggage";

#[tokio::test]
async fn browsers_may_send_tracing_and_client_awareness_headers() {
    let server = TestServer::sample(&HttpConfig::default());
    let reply = server.send(preflight(TRACING_HEADERS)).await;
    assert!(reply.status.is_success());
    assert_eq!(reply.header("access-control-allow-origin"), "*");
    assert_eq!(reply.header("access-control-allow-credentials"), "");
    let allowed = reply.header("access-control-allow-headers").to_lowercase();
    for name in TRACING_HEADERS.split(',') {
        assert!(allowed.contains(name), "{name} not in {allowed}");
    }
    // The request itself, with those headers.
    let reply = server
        .post(
            &json!({"query": "{ site { title } }"}),
            &[
                ("origin", "https://frontend.example"),
                (
                    "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ),
                (
                    "sentry-trace",
                    "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
                ),
                ("apollographql-client-name", "web"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), "*");
    assert_eq!(reply.json()["data"]["site"]["title"], "Isobar & Ink");
}

#[tokio::test]
async fn a_configured_header_list_allows_those_and_the_apis_own() {
    let server = TestServer::sample(&HttpConfig {
        cors_allow_headers: CorsHeaders::List(vec!["traceparent".into(), "baggage".into()]),
        ..HttpConfig::default()
    });
    let reply = server.send(preflight("traceparent,x-unlisted")).await;
    let allowed = reply.header("access-control-allow-headers").to_lowercase();
    for name in ["traceparent", "baggage", "content-type", "authorization"] {
        assert!(allowed.contains(name), "{name} not in {allowed}");
    }
    assert!(!allowed.contains("x-unlisted"), "{allowed}");
}

#[tokio::test]
async fn custom_scalars_name_their_specifications() {
    let server = TestServer::sample(&HttpConfig::default());
    let body = server
        .post(
            &json!({"query": r#"{ dt: __type(name: "DateTime") { description specifiedByURL } json: __type(name: "JSON") { description specifiedByURL } }"#}),
            &[],
        )
        .await
        .json();
    let data = &body["data"];
    assert_eq!(
        data["dt"]["specifiedByURL"],
        "https://datatracker.ietf.org/doc/html/rfc3339"
    );
    assert!(data["dt"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("RFC 3339") && !d.contains("Implement")));
    assert_eq!(
        data["json"]["specifiedByURL"],
        "https://www.rfc-editor.org/rfc/rfc8259"
    );
    // `frontMatter` (JSON) is JSON itself, not a string holding JSON.
    let body = server
        .post(
            &json!({"query": r#"{ post(slug: "walking-the-old-tram-line") { frontMatter } }"#}),
            &[],
        )
        .await
        .json();
    assert_eq!(
        body["data"]["post"]["frontMatter"]["serial_number"],
        "2025.BLG.003"
    );
}

#[tokio::test]
async fn only_query_answers_are_cached_or_get_etags() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = [("query", "{ site { title } }")];
    let first = server.get(&query, &[]).await;
    assert_eq!(first.header("x-inkgraph-cache"), "miss");
    assert!(!first.header("etag").is_empty());
    assert_eq!(
        server.get(&query, &[]).await.header("x-inkgraph-cache"),
        "hit"
    );
    let subscription = [("query", "subscription { corpusChanged { version } }")];
    for _ in 0..2 {
        let reply = server.get(&subscription, &[]).await;
        assert_eq!(reply.header("x-inkgraph-cache"), "");
        assert_eq!(reply.header("etag"), "");
        assert_eq!(reply.header("cache-control"), "no-store");
    }
}
