//! HTTP caching: ETags and 304s, Cache-Control, the in-memory response cache and Apollo
//! persisted queries.

use crate::common;
use crate::http_support;

use axum::http::{header, StatusCode};
use common::*;
use http_support::*;
use inkgraph::graph::Visibility;
use inkgraph::server::{sha256_hex, HttpConfig, CACHE_STATUS_HEADER};
use inkgraph::site::ServedSite;
use serde_json::json;
use std::time::Duration;

const QUERY: &str = "{ posts(first: 3) { nodes { title } } }";

#[tokio::test]
async fn get_answers_carry_a_strong_etag_and_revalidate_to_304() {
    let server = TestServer::sample(&HttpConfig::default());
    let first = server.get(&[("query", QUERY)], &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header(header::ETAG);
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert_eq!(first.header(header::CACHE_CONTROL), "public, max-age=60");

    let again = server
        .get(&[("query", QUERY)], &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), etag);
    assert_eq!(again.header(header::CACHE_CONTROL), "public, max-age=60");

    let stale = server
        .get(
            &[("query", QUERY)],
            &[("if-none-match", "\"something-else\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, first.body);

    // The ETag follows what decides the answer, not how it is spelled.
    let other_query = server
        .get(&[("query", "{ posts(first: 4) { nodes { title } } }")], &[])
        .await;
    assert_ne!(other_query.header(header::ETAG), etag);
    let other_media = server
        .get(
            &[("query", QUERY)],
            &[("accept", "application/graphql-response+json")],
        )
        .await;
    assert_ne!(other_media.header(header::ETAG), etag);
    let q = "query($n: Int, $o: PostOrder) { posts(first: $n, orderBy: $o) { totalCount } }";
    let a = server
        .get(
            &[
                ("query", q),
                (
                    "variables",
                    r#"{"n": 2, "o": {"field": "TITLE", "direction": "ASC"}}"#,
                ),
            ],
            &[],
        )
        .await;
    let b = server
        .get(
            &[
                ("query", q),
                (
                    "variables",
                    r#"{"o": {"direction": "ASC", "field": "TITLE"}, "n": 2}"#,
                ),
            ],
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header(header::ETAG), b.header(header::ETAG));
    let metrics = server.metrics().await;
    assert_eq!(metric(&metrics, "inkgraph_not_modified_total"), Some(1.0));
}

#[tokio::test]
async fn replicas_of_the_same_content_give_the_same_etags() {
    let one = TestServer::sample(&HttpConfig::default());
    let two = TestServer::sample(&HttpConfig::default());
    let a = one.get(&[("query", QUERY)], &[]).await;
    let b = two.get(&[("query", QUERY)], &[]).await;
    assert_eq!(a.header(header::ETAG), b.header(header::ETAG));
    // An ETag from one replica revalidates on the other.
    let revalidated = two
        .get(
            &[("query", QUERY)],
            &[("if-none-match", &a.header(header::ETAG))],
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_new_corpus_version_changes_the_etag_and_drops_cached_answers() {
    let server = TestServer::over(&fixture("empty"), &HttpConfig::default());
    let query = "{ site { postCount } }";
    let before = server.get(&[("query", query)], &[]).await;
    assert_eq!(before.json()["data"]["site"]["postCount"], 0);
    server.state.replace_snapshot(ServedSite::new(load_dir(
        &sample_blog(),
        Visibility::default(),
    )));
    let stale = server
        .get(
            &[("query", query)],
            &[("if-none-match", &before.header(header::ETAG))],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::OK,
        "the old ETag no longer matches"
    );
    assert_eq!(stale.json()["data"]["site"]["postCount"], 15);
    assert_eq!(stale.header(CACHE_STATUS_HEADER), "miss");
    assert_ne!(stale.header(header::ETAG), before.header(header::ETAG));
    let metrics = server.metrics().await;
    assert_eq!(metric(&metrics, "inkgraph_reloads_total"), Some(1.0));
}

#[tokio::test]
async fn repeated_reads_are_served_from_the_response_cache() {
    let server = TestServer::sample(&HttpConfig::default());
    let first = server.get(&[("query", QUERY)], &[]).await;
    let second = server.get(&[("query", QUERY)], &[]).await;
    assert_eq!(first.header(CACHE_STATUS_HEADER), "miss");
    assert_eq!(second.header(CACHE_STATUS_HEADER), "hit");
    assert_eq!(first.body, second.body);
    let post = json!({"query": QUERY});
    assert_eq!(
        server.post(&post, &[]).await.header(CACHE_STATUS_HEADER),
        "miss"
    );
    let again = server.post(&post, &[]).await;
    assert_eq!(again.header(CACHE_STATUS_HEADER), "hit");
    assert_eq!(
        again.header(header::CACHE_CONTROL),
        "no-store",
        "POST is not for HTTP caches"
    );
    assert_eq!(again.header(header::ETAG), "");
    // Errors are never cached.
    for _ in 0..2 {
        let reply = server.get(&[("query", "{ nope }")], &[]).await;
        assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
        assert_ne!(reply.header(CACHE_STATUS_HEADER), "hit");
    }
    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, "inkgraph_response_cache_hits_total"),
        Some(2.0)
    );
    assert_eq!(
        metric(&metrics, "inkgraph_response_cache_misses_total"),
        Some(4.0)
    );
    assert_eq!(
        metric(&metrics, "inkgraph_response_cache_entries"),
        Some(2.0)
    );
}

#[tokio::test]
async fn cache_settings_are_honoured() {
    let config = HttpConfig {
        cache_max_age: Duration::from_secs(300),
        response_cache_entries: 0,
        ..HttpConfig::default()
    };
    let server = TestServer::sample(&config);
    for _ in 0..2 {
        let reply = server.get(&[("query", QUERY)], &[]).await;
        assert_eq!(reply.header(header::CACHE_CONTROL), "public, max-age=300");
        assert_eq!(reply.header(CACHE_STATUS_HEADER), "", "cache off");
    }
}

#[tokio::test]
async fn persisted_queries_follow_the_apollo_flow() {
    let server = TestServer::sample(&HttpConfig::default());
    let hash = sha256_hex(QUERY);
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();

    // 1. Hash only: unknown, so the client is asked for the query (200, never cached).
    let miss = server.get(&[("extensions", &extensions)], &[]).await;
    assert_eq!(miss.status, StatusCode::OK);
    assert_eq!(miss.error_message(), "PersistedQueryNotFound");
    assert_eq!(
        miss.json()["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(miss.header(header::CACHE_CONTROL), "no-store");

    // 2. Query and hash: registered and answered.
    let register = server
        .post(&json!({"query": QUERY, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}), &[])
        .await;
    assert_eq!(register.status, StatusCode::OK);
    assert!(register.json()["data"]["posts"]["nodes"].is_array());

    // 3. Hash only again, by GET: answered, cacheable, same ETag as the full query.
    let hit = server.get(&[("extensions", &extensions)], &[]).await;
    assert_eq!(hit.status, StatusCode::OK, "{}", hit.text());
    assert_eq!(hit.json()["data"], register.json()["data"]);
    assert_eq!(hit.header(header::CACHE_CONTROL), "public, max-age=60");
    let full = server.get(&[("query", QUERY)], &[]).await;
    assert_eq!(hit.header(header::ETAG), full.header(header::ETAG));

    // A hash that does not match the query is refused.
    let wrong = server
        .post(&json!({"query": "{ site { title } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}), &[])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.error_message().contains("does not match"));

    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, "inkgraph_persisted_query_hits_total"),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "inkgraph_persisted_query_misses_total"),
        Some(1.0)
    );
    assert_eq!(metric(&metrics, "inkgraph_persisted_queries"), Some(1.0));
}

#[tokio::test]
async fn the_persisted_query_store_is_bounded() {
    let config = HttpConfig {
        apq_entries: 2,
        ..HttpConfig::default()
    };
    let server = TestServer::sample(&config);
    let queries = [
        "{ site { title } }",
        "{ site { url } }",
        "{ site { postCount } }",
    ];
    for query in queries {
        let ext = json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}});
        let reply = server
            .post(&json!({"query": query, "extensions": ext}), &[])
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let metrics = server.metrics().await;
    assert_eq!(metric(&metrics, "inkgraph_persisted_queries"), Some(2.0));
    let oldest = json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(queries[0])}});
    let evicted = server
        .get(&[("extensions", &oldest.to_string())], &[])
        .await;
    assert_eq!(evicted.error_message(), "PersistedQueryNotFound");
    let off = TestServer::sample(&HttpConfig {
        apq_entries: 0,
        ..HttpConfig::default()
    });
    let reply = off.get(&[("extensions", &oldest.to_string())], &[]).await;
    assert_eq!(reply.error_message(), "PersistedQueryNotSupported");
}
