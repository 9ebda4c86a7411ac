//! GraphQL over HTTP as clients see it: media types, status codes, parameters, batches.
//! (The full graphql-http audit runs against a real server in scripts/graphql-http-audit.sh.)

use crate::http_support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_support::*;
use inkgraph::server::HttpConfig;
use serde_json::json;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn server() -> TestServer {
    TestServer::sample(&HttpConfig::default())
}

#[tokio::test]
async fn accept_header_picks_the_response_media_type() {
    let server = server();
    let query = json!({"query": "{ site { postCount } }"});
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let reply = server.post(&query, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}");
        assert!(
            reply.header(header::CONTENT_TYPE).starts_with(expected),
            "Accept {accept:?} gave {}",
            reply.header(header::CONTENT_TYPE)
        );
        assert!(reply.header(header::CONTENT_TYPE).contains("charset=utf-8"));
        assert_eq!(reply.json()["data"]["site"]["postCount"], 15);
        assert!(reply.header(header::VARY).contains("accept"));
    }
    let refused = server.post(&query, &[("accept", "text/html")]).await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
    assert!(refused.error_message().contains("application/json"));
}

#[tokio::test]
async fn invalid_documents_are_400_with_graphql_response_json_and_200_with_json() {
    let server = server();
    for query in [
        "{",
        "{ noSuchField }",
        "query Q($id: ID!) { site { title } }",
    ] {
        let strict = server
            .post(&json!({"query": query}), &[("accept", GRAPHQL_RESPONSE)])
            .await;
        assert_eq!(
            strict.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            strict.text()
        );
        let body = strict.json();
        assert!(
            body.get("data").is_none(),
            "a request error has no data: {body}"
        );
        assert!(body["errors"][0]["message"].is_string());

        let legacy = server.post(&json!({"query": query}), &[]).await;
        assert_eq!(legacy.status, StatusCode::OK, "{query}");
        assert!(legacy.json().get("data").is_none());
    }
    let parse = server.post(&json!({"query": "{"}), &[]).await.json();
    assert_eq!(
        parse["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    assert!(parse["errors"][0]["locations"][0]["line"].is_number());
}

#[tokio::test]
async fn field_errors_keep_data_and_status_200() {
    let server = server();
    let reply = server
        .post(
            &json!({"query": "{ site { postCount } post { title } }"}),
            &[("accept", GRAPHQL_RESPONSE)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["data"]["site"]["postCount"], 15);
    assert_eq!(body["errors"][0]["path"][0], "post");
}

#[tokio::test]
async fn malformed_requests_are_400_naming_the_parameter() {
    let server = server();
    for (body, words) in [
        (
            json!({"qeury": "{ site { title } }"}),
            "`query` parameter is missing",
        ),
        (json!({"query": 1}), "`query` parameter must be a string"),
        (json!({"query": "{ a }", "variables": "x"}), "`variables`"),
        (
            json!({"query": "{ a }", "operationName": ["x"]}),
            "`operationName`",
        ),
        (json!({"query": "{ a }", "extensions": 0}), "`extensions`"),
        (json!("just a string"), "must be a JSON object"),
    ] {
        let reply = server.post(&body, &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        let message = reply.error_message();
        assert!(message.contains(words), "{body}: {message}");
    }
    let not_json = server.send(post_request("{\"query\": ", &[])).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(not_json.error_message().contains("not valid JSON"));
    let empty = server.send(post_request("", &[])).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let bad_variables = server
        .get(
            &[("query", "{ site { title } }"), ("variables", "{nope")],
            &[],
        )
        .await;
    assert_eq!(bad_variables.status, StatusCode::BAD_REQUEST);
    assert!(bad_variables.error_message().contains("`variables`"));
}

#[tokio::test]
async fn post_needs_a_json_content_type() {
    let server = server();
    let body = json!({"query": "{ site { title } }"}).to_string();
    let missing = server
        .send(
            Request::post("/graphql")
                .body(Body::from(body.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(missing.error_message().contains("Content-Type"));
    let text = server
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(body.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let utf8 = server
        .send(post_request(
            body,
            &[("content-type", "application/json; charset=utf-8")],
        ))
        .await;
    assert_eq!(utf8.status, StatusCode::OK);
}

#[tokio::test]
async fn mutations_over_get_are_405() {
    let server = server();
    let reply = server
        .get(
            &[("query", "mutation { __typename }")],
            &[("accept", GRAPHQL_RESPONSE)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header(header::ALLOW), "POST");
    assert!(reply.error_message().contains("POST"));
    let named = server
        .get(
            &[
                (
                    "query",
                    "query A { site { title } } mutation B { __typename }",
                ),
                ("operationName", "B"),
            ],
            &[],
        )
        .await;
    assert_eq!(named.status, StatusCode::METHOD_NOT_ALLOWED);
    let query_of_same_document = server
        .get(
            &[
                (
                    "query",
                    "query A { site { title } } mutation B { __typename }",
                ),
                ("operationName", "A"),
            ],
            &[],
        )
        .await;
    assert_eq!(query_of_same_document.status, StatusCode::OK);
    // Other methods are refused by the router with the allowed ones listed.
    let put = server
        .send(
            Request::put("/graphql")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn get_accepts_variables_and_operation_name() {
    let server = server();
    let reply = server
        .get(
            &[
                ("query", "query A { site { title } } query B($s: String!) { postBySerial(serialNumber: $s) { title } }"),
                ("variables", r#"{"s": "2025.blg.003"}"#),
                ("operationName", "B"),
            ],
            &[("accept", GRAPHQL_RESPONSE)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json()["data"]["postBySerial"]["title"],
        "Walking the Old Tram Line"
    );
}

#[tokio::test]
async fn batches_answer_in_order_and_per_item() {
    let server = server();
    let reply = server
        .post(
            &json!([
                {"query": "{ site { postCount } }"},
                {"query": "{ nope }"},
                {"qeury": "typo"},
                {"query": "query($s: String!) { postBySerial(serialNumber: $s) { title } }", "variables": {"s": "2025.BLG.003"}},
            ]),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let items = reply.json();
    let items = items.as_array().expect("an array");
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["data"]["site"]["postCount"], 15);
    assert!(items[1]["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("nope"));
    assert!(items[2]["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("missing"));
    assert_eq!(
        items[3]["data"]["postBySerial"]["title"],
        "Walking the Old Tram Line"
    );
    let empty = server.post(&json!([]), &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let server = server();
    let get = server.get(&[("query", "{ site { title } }")], &[]).await;
    let head = server
        .send(
            Request::head("/graphql?query=%7B%20site%20%7B%20title%20%7D%20%7D")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header(header::ETAG), get.header(header::ETAG));
}
