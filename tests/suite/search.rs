//! Full-text search (`search`, `suggest`): relevance on the sample blog, the query language,
//! highlights, facets, paging, the INDEXING state and its caching, live reloads, and the
//! preview rules (hidden posts are never found, counted or suggested publicly).

use crate::common;
use crate::http_support;

use axum::http::{header, StatusCode};
use common::*;
use http_support::*;
use inkgraph::graph::{Audience, Visibility};
use inkgraph::load::LoadOptions;
use inkgraph::server::HttpConfig;
use inkgraph::site::search::relevance::known_item;
use inkgraph::site::search::IndexStatus;
use inkgraph::site::LiveSite;
use serde_json::{json, Value};
use std::path::Path;

/// The sample blog with its search index built.
fn sample() -> Api {
    let api = Api::sample();
    assert_eq!(api.served.build_search_index(), IndexStatus::Ready);
    api
}

const SEARCH: &str = r#"query($q: String!, $first: Int, $after: String, $order: SearchOrder, $prefix: Boolean, $fuzzy: Boolean, $filter: PostFilter) {
  search(query: $q, first: $first, after: $after, orderBy: $order, prefix: $prefix, fuzzy: $fuzzy, filter: $filter) {
    status totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { score post { slug title } highlights { field snippet } } }
    facets { tags { name slug count } categories { name count } years { year count } series { name count } }
  }
}"#;

fn search(api: &Api, q: &str, extra: Value) -> Value {
    search_as(api, Audience::Public, q, extra)
}

fn search_as(api: &Api, audience: Audience, q: &str, extra: Value) -> Value {
    let mut variables = json!({ "q": q });
    if let (Some(vars), Some(extra)) = (variables.as_object_mut(), extra.as_object()) {
        vars.extend(extra.clone());
    }
    let response = api.run_as(audience, SEARCH, variables);
    assert!(
        response.get("errors").is_none(),
        "search {q:?} failed: {response:#}"
    );
    response["data"]["search"].clone()
}

fn slugs(result: &Value) -> Vec<String> {
    result["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["post"]["slug"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn known_items_are_found_by_their_titles_on_the_sample_blog() {
    let api = sample();
    let report = known_item(&api.served, Audience::Public);
    assert!(report.posts >= 10, "{report:?}");
    // Measured: every post is found both ways. The thresholds leave room for ranking
    // changes, not for a broken index (which finds nothing).
    assert!(report.rate() >= 0.8, "title words: {report:?}");
    assert!(report.typo_rate() >= 0.6, "with a typo: {report:?}");
}

#[test]
fn words_phrases_exclusions_and_shorthands() {
    let api = sample();
    // Stemming: "projection" finds "Projections Are Opinions".
    let found = search(&api, "projection opinion", json!({}));
    assert_eq!(slugs(&found)[0], "projections-are-opinions");
    // All words must match.
    assert_eq!(search(&api, "projection rye", json!({}))["totalCount"], 0);
    // A phrase must occur as written; the same words apart do not count.
    let rust = search(&api, "rust", json!({}))["totalCount"]
        .as_u64()
        .unwrap_or(0);
    assert!(rust >= 2, "{rust}");
    // Three posts mention "tile renderer"; the one titled so comes first.
    let phrase = search(&api, r#""tile renderer""#, json!({}));
    assert_eq!(slugs(&phrase)[0], "a-tile-renderer-in-rust");
    assert_eq!(phrase["totalCount"], 3);
    // Stems match ("render tiles" is the phrase "renderer tile"), but order counts.
    assert_eq!(
        search(&api, r#""renderer tile""#, json!({}))["totalCount"],
        1
    );
    let long = search(&api, r#""tile renderer in rust""#, json!({}));
    assert_eq!(slugs(&long), vec!["a-tile-renderer-in-rust"]);
    assert_eq!(
        search(&api, r#""rust renderer""#, json!({}))["totalCount"],
        0
    );
    // Exclusion: "map -rust" and "map rust" split the hits of "map".
    let count = |q: &str| {
        search(&api, q, json!({}))["totalCount"]
            .as_u64()
            .unwrap_or(0)
    };
    let without = search(&api, "map -rust", json!({"first": 100}));
    let rust_hits = slugs(&search(&api, "rust", json!({"first": 100})));
    assert!(
        slugs(&without).iter().all(|s| !rust_hits.contains(s)),
        "{without:#}"
    );
    assert!(count("map rust") >= 1);
    assert_eq!(count("map -rust") + count("map rust"), count("map"));
    // tag: and year: filter like the filters do.
    let tagged = search(&api, "tag:rust", json!({}));
    assert!(
        tagged["totalCount"].as_u64().unwrap_or(0) >= 2,
        "{tagged:#}"
    );
    for edge in tagged["edges"].as_array().into_iter().flatten() {
        let slug = edge["node"]["post"]["slug"].as_str().unwrap_or("");
        assert!(slug.contains("rust"), "{slug}");
    }
    let year = search(&api, "rust year:2024", json!({}));
    assert_eq!(slugs(&year), vec!["rewriting-my-map-index-in-rust"]);
    assert_eq!(search(&api, "tag:no-such-tag", json!({}))["totalCount"], 0);
    // A serial number, whole.
    let serial = search(&api, "2024.blg.002", json!({}));
    assert_eq!(slugs(&serial)[0], "stock-and-survey-sheets");
    // Search as you type.
    let typing = search(&api, "proj", json!({"prefix": true}));
    assert_eq!(slugs(&typing)[0], "projections-are-opinions");
    assert_eq!(
        slugs(&search(&api, "proj*", json!({})))[0],
        "projections-are-opinions"
    );
    assert_eq!(search(&api, "proj", json!({}))["totalCount"], 0);
    // Typos: on by default, off on request.
    let typo = search(&api, "projetcions", json!({}));
    assert_eq!(slugs(&typo)[0], "projections-are-opinions");
    assert_eq!(
        search(&api, "projetcions", json!({"fuzzy": false}))["totalCount"],
        0
    );
    // The filter argument narrows too.
    let filtered = search(&api, "map", json!({"filter": {"tags": ["rust"]}}));
    assert!(filtered["totalCount"].as_u64().unwrap_or(0) >= 1);
    assert!(
        slugs(&filtered).iter().all(|s| s.contains("rust")),
        "{filtered:#}"
    );
}

#[test]
fn malformed_queries_are_plain_word_searches_never_errors() {
    let api = sample();
    let hostile = [
        "\"",
        "\"unclosed tram",
        "-",
        "--",
        "*",
        "tag:",
        "tag:\"",
        "year:",
        "year:99999999999",
        "year:-1",
        "(((",
        "AND OR NOT",
        "a:b:c",
        "\u{0}\u{1}",
        "🗺️ maps",
        "[[wiki]] {{ liquid }} {% tag %}",
        "<script>alert(1)</script>",
        "title:tram",
        "tram~2",
        "tram^3",
        "+tram",
        "-\"",
    ];
    let long = "tram ".repeat(2_000);
    let generated: Vec<String> = (0..200u32)
        .map(|i| {
            // Deterministic mixtures of syntax characters and words.
            let pieces = [
                "\"", "-", "*", ":", "tag", "year", "tram", " ", "map", "\\", "(", "é",
            ];
            (0..12)
                .map(|k| pieces[((i * 7 + k * 13 + i * k) % pieces.len() as u32) as usize])
                .collect()
        })
        .collect();
    for q in hostile
        .iter()
        .map(|s| s.to_string())
        .chain([long])
        .chain(generated)
    {
        for prefix in [false, true] {
            let result = search(&api, &q, json!({"prefix": prefix}));
            assert_eq!(result["status"], "READY", "{q:?}");
        }
    }
    // An unclosed quote searches the words.
    let unclosed = search(&api, "\"tram line", json!({}));
    assert_eq!(slugs(&unclosed)[0], "walking-the-old-tram-line");
}

#[test]
fn highlights_are_escaped_html_with_marks() {
    let api = sample();
    let result = search(&api, "tram line", json!({}));
    let first = &result["edges"][0]["node"];
    assert_eq!(first["post"]["slug"], "walking-the-old-tram-line");
    let highlights = first["highlights"].as_array().expect("highlights");
    let title = highlights
        .iter()
        .find(|h| h["field"] == "TITLE")
        .expect("the title matched");
    assert_eq!(
        title["snippet"],
        "Walking the Old <mark>Tram</mark> <mark>Line</mark>"
    );
    let body = highlights
        .iter()
        .find(|h| h["field"] == "BODY")
        .expect("the body matched");
    let snippet = body["snippet"].as_str().unwrap_or("");
    assert!(snippet.contains("<mark>"), "{snippet}");
    // Nothing but <mark> is markup: every other `<` is escaped.
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !without_marks.contains('<') && !without_marks.contains('>'),
        "{snippet}"
    );
    assert!(snippet.chars().count() <= 220, "{snippet}");
}

#[test]
fn facets_count_every_hit_not_the_page() {
    let api = sample();
    let all = search(&api, "map", json!({"first": 100}));
    let total = all["totalCount"].as_u64().unwrap_or(0);
    assert!(total >= 5, "{all:#}");
    let page = search(&api, "map", json!({"first": 1}));
    assert_eq!(page["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["facets"], all["facets"]);
    let years: u64 = page["facets"]["years"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|y| y["count"].as_u64())
        .sum();
    assert_eq!(years, total, "every hit has a year");
    // Tag counts agree with the hits that carry the tag.
    let rust_facet = page["facets"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["slug"] == "rust")
        .and_then(|t| t["count"].as_u64())
        .unwrap_or(0);
    let rust_hits = search(&api, "map tag:rust", json!({}))["totalCount"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(rust_facet, rust_hits);
    // `first` keeps the values with the most hits, in the same order.
    let tags = |first: &str| {
        api.data(&format!(
            r#"{{ search(query: "map") {{ facets {{ tags{first} {{ slug count }} categories{first} {{ name }} }} }} }}"#
        ))["search"]["facets"]
            .clone()
    };
    let every = tags("");
    let top = tags("(first: 2)");
    let every_tags = every["tags"].as_array().cloned().unwrap_or_default();
    assert!(every_tags.len() > 2, "{every:#}");
    assert_eq!(top["tags"], json!(every_tags[..2]));
    assert_eq!(tags("(first: 0)")["tags"], json!([]));
    assert_eq!(tags("(first: 1000)"), every);
    let negative = api.run(
        r#"{ search(query: "map") { facets { tags(first: -1) { slug } } } }"#,
        json!({}),
    );
    assert!(negative["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("must not be negative")));
    // Only the facets asked for are counted.
    let only_years = api.data(
        r#"{ search(query: "map", facets: [YEARS]) { facets { tags { name } years { year } } } }"#,
    );
    assert_eq!(only_years["search"]["facets"]["tags"], json!([]));
    assert!(only_years["search"]["facets"]["years"]
        .as_array()
        .is_some_and(|y| !y.is_empty()));
}

#[test]
fn paging_covers_every_hit_once_in_both_orders() {
    let api = sample();
    for order in ["RELEVANCE", "DATE"] {
        let all = search(&api, "the", json!({"first": 100, "order": order}));
        let expected = slugs(&all);
        assert!(expected.len() >= 5, "{all:#}");
        // A first page of any size is the start of the whole order.
        for n in 0..=expected.len() {
            let page = search(&api, "the", json!({"first": n, "order": order}));
            assert_eq!(slugs(&page), expected[..n], "{order} first {n}");
            assert_eq!(page["pageInfo"]["hasNextPage"], n < expected.len());
        }
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = search(
                &api,
                "the",
                json!({"first": 2, "after": after, "order": order}),
            );
            seen.extend(slugs(&page));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(String::from);
        }
        assert_eq!(seen, expected, "{order}");
        if order == "RELEVANCE" {
            let scores: Vec<f64> = all["edges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["node"]["score"].as_f64())
                .collect();
            assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        }
    }
    let bad = api.run(SEARCH, json!({"q": "map", "after": "nonsense"}));
    assert!(bad["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("invalid cursor")));
}

#[test]
fn suggestions_complete_titles_and_tags_most_frequent_first() {
    let api = sample();
    let data = api.data(r#"{ suggest(prefix: "ma") { text completion count source } }"#);
    let list = data["suggest"].as_array().expect("list");
    assert!(!list.is_empty());
    assert!(list.iter().any(|s| s["completion"] == "maps"), "{list:#?}");
    let counts: Vec<u64> = list.iter().filter_map(|s| s["count"].as_u64()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let typed = api.data(r#"{ suggest(prefix: "old tr", first: 8) { text } }"#);
    let texts: Vec<&str> = typed["suggest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["text"].as_str())
        .collect();
    assert!(texts.contains(&"old tram"), "{texts:?}");
    assert!(texts.iter().all(|t| t.starts_with("old tr")), "{texts:?}");
    let done = api.data(r#"{ suggest(prefix: "tram ") { text } }"#);
    assert_eq!(done["suggest"], json!([]));
    let err = api.error(r#"{ suggest(prefix: "a", first: 500) { text } }"#);
    assert!(err.contains("0..50"), "{err}");
}

#[test]
fn search_answers_indexing_until_the_index_is_ready() {
    let api = Api::sample();
    let first = search(&api, "tram", json!({}));
    assert_eq!(first["status"], "INDEXING");
    assert_eq!(first["totalCount"], 0);
    assert_eq!(api.served.build_search_index(), IndexStatus::Ready);
    let ready = search(&api, "tram", json!({}));
    assert_eq!(ready["status"], "READY");
    assert_eq!(slugs(&ready)[0], "walking-the-old-tram-line");
}

/// Builds the search index of the version `server` serves (off the test's async thread).
async fn build_index(server: &TestServer) {
    let served = server.current.load_full();
    let built = tokio::task::spawn_blocking(move || served.build_search_index())
        .await
        .expect("join");
    assert_eq!(built, IndexStatus::Ready);
}

/// An answer that is not yet its version's: no cache may keep it.
fn assert_uncached(reply: &Reply) {
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(reply.header(header::ETAG), "");
}

#[tokio::test]
async fn an_indexing_answer_is_never_cached_a_ready_one_is() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = r#"{ search(query: "tram") { status totalCount } }"#;
    let indexing = server.get(&[("query", query)], &[]).await;
    assert_eq!(indexing.status, StatusCode::OK);
    assert_eq!(indexing.json()["data"]["search"]["status"], "INDEXING");
    assert_uncached(&indexing);
    build_index(&server).await;
    let ready = server.get(&[("query", query)], &[]).await;
    assert_eq!(
        ready.json()["data"]["search"]["status"],
        "READY",
        "not the cached INDEXING answer"
    );
    let etag = ready.header(header::ETAG);
    assert!(!etag.is_empty());
    assert_ne!(ready.header(header::CACHE_CONTROL), "no-store");
    let again = server
        .get(&[("query", query)], &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn related_posts_without_their_similar_text_are_never_cached() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = r#"{ post(slug: "walking-the-old-tram-line") { related(similarText: true) { post { slug } textSimilarity } } }"#;
    // The first request for similar text starts the index build and answers without it,
    // uncached though another of its fields failed.
    let with_error = r#"{ post(slug: "walking-the-old-tram-line") { related(similarText: true) { post { slug } textSimilarity } }
        bad: post(slug: "walking-the-old-tram-line") { related(first: 500) { score } } }"#;
    let early = server.get(&[("query", with_error)], &[]).await;
    assert_eq!(early.status, StatusCode::OK);
    assert!(early.json()["errors"].is_array(), "{}", early.text());
    assert!(
        early.json()["data"]["post"]["related"]
            .as_array()
            .is_some_and(|related| related.iter().all(|r| r["textSimilarity"].is_null())),
        "{}",
        early.text()
    );
    assert_uncached(&early);
    build_index(&server).await;
    let ready = server.get(&[("query", query)], &[]).await;
    assert!(
        ready.json()["data"]["post"]["related"]
            .as_array()
            .is_some_and(|related| related.iter().any(|r| r["textSimilarity"].is_number())),
        "not the early answer: {}",
        ready.text()
    );
    assert!(!ready.header(header::ETAG).is_empty());
    assert_ne!(ready.header(header::CACHE_CONTROL), "no-store");
}

const DRAFT: &str = r#"---
title: Zeppelin Moorings Of Kreuzberg
tags: [airships, preview-only-tag]
categories: [secret-category]
---

Quixotic notes about zeppelin moorings and the tram line. The old tram route closed in
1967; walking the tram line with a printed map, the tram stops still show where it ran.
"#;

const FUTURE: &str = r#"---
title: Zeppelin Timetable
date: 2099-06-01 09:00:00 +0000
serial_number: 2099.QQZEP.001
tags: [airships, rust]
---

A scheduled post about the tram line and zeppelins.
"#;

/// The sample blog plus a draft and a future post with words no public post has.
fn with_hidden_posts(dir: &Path) {
    copy_dir(&sample_blog(), dir);
    std::fs::write(dir.join("_drafts/zeppelin-moorings.md"), DRAFT).expect("write");
    std::fs::write(
        dir.join("blog/_posts/2099-06-01-zeppelin-timetable.md"),
        FUTURE,
    )
    .expect("write");
}

/// What must never reach the public.
const SECRETS: &[&str] = &[
    "zeppelin",
    "Zeppelin",
    "airships",
    "preview-only-tag",
    "secret-category",
    "QQZEP",
    "2099",
    "quixotic",
    "Quixotic",
];

fn assert_no_secret(label: &str, body: &str) {
    for secret in SECRETS {
        assert!(!body.contains(secret), "{label} leaks {secret:?}: {body}");
    }
}

#[tokio::test]
async fn hidden_posts_are_found_counted_and_suggested_only_in_preview() {
    const TOKEN: &str = "preview-token-for-search-tests-0123456789";
    let dir = tempfile::tempdir().expect("temp dir");
    with_hidden_posts(dir.path());
    let config = HttpConfig {
        preview_token: Some(TOKEN.into()),
        ..HttpConfig::default()
    };
    let server = TestServer::over(dir.path(), &config);
    build_index(&server).await;
    let search = |q: &str| {
        format!(
            r#"{{ search(query: "{q}", first: 100, facets: [TAGS, CATEGORIES, YEARS, SERIES]) {{ status totalCount nodes {{ score post {{ slug title }} highlights {{ field snippet }} }} facets {{ tags {{ name slug count }} categories {{ name count }} years {{ year count }} series {{ name count }} }} }} }}"#,
            q = q.replace('"', "\\\"")
        )
    };
    let suggest = |p: &str| {
        format!(r#"{{ suggest(prefix: "{p}", first: 50) {{ text completion count source }} }}"#)
    };
    let related = |slug: &str| {
        format!(
            r#"{{ post(slug: "{slug}") {{ related(first: 100, similarText: true) {{ post {{ slug title }} score textSimilarity reasons {{ kind score description }} }} }} }}"#
        )
    };
    // Each entry point, with what a preview must see (so the check has teeth).
    let cases: Vec<(String, &str)> = vec![
        (search("zeppelin"), "zeppelin"),
        (search("quixotic"), "Quixotic"),
        (search("zepelin"), "Zeppelin"),
        (search("zep*"), "Zeppelin"),
        (search("tag:airships"), "airships"),
        (search("tag:preview-only-tag"), "preview-only-tag"),
        (search("year:2099"), "2099"),
        (search("2099.QQZEP.001"), "QQZEP"),
        (search("tram line"), "airships"),
        (search(""), "secret-category"),
        (search("tram -moorings"), "QQZEP"),
        (suggest("zep"), "zeppelin"),
        (suggest("air"), "airships"),
        (suggest("preview-o"), "preview-only-tag"),
        (related("walking-the-old-tram-line"), "Zeppelin Moorings"),
    ];
    for (query, must_show) in &cases {
        let public = server.get(&[("query", query)], &[]).await;
        assert_eq!(public.status, StatusCode::OK, "{}", public.text());
        assert!(public.json().get("errors").is_none(), "{}", public.text());
        if query.starts_with("{ search") {
            assert_eq!(
                public.json()["data"]["search"]["status"],
                "READY",
                "{query}"
            );
        }
        assert_no_secret(query, &public.text());
        let bearer = format!("Bearer {TOKEN}");
        let preview = server
            .get(&[("query", query)], &[("authorization", bearer.as_str())])
            .await;
        assert!(
            preview.text().contains(must_show),
            "a preview must see {must_show:?} for {query}: {}",
            preview.text()
        );
    }
    // Totals, facets and suggestion counts of public requests are those of the blog without
    // the hidden posts (scores included).
    let plain_dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), plain_dir.path());
    let plain = TestServer::over(plain_dir.path(), &config);
    build_index(&plain).await;
    for query in [
        search("tram line"),
        search("map"),
        search(""),
        suggest("t"),
        related("walking-the-old-tram-line"),
    ] {
        let with_hidden = server.get(&[("query", &query)], &[]).await;
        let without = plain.get(&[("query", &query)], &[]).await;
        assert_eq!(with_hidden.json(), without.json(), "{query}");
    }
}

#[test]
fn a_reload_reindexes_changed_posts_and_old_versions_keep_their_hits() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), dir.path());
    let live = LiveSite::load(&LoadOptions {
        root: dir.path().to_path_buf(),
        visibility: Visibility::default(),
    })
    .expect("load");
    let before = live.current().load_full();
    assert_eq!(before.build_search_index(), IndexStatus::Ready);
    let found = |served: &inkgraph::site::ServedSite, q: &str| -> Vec<String> {
        use inkgraph::site::search::{SearchOrder, SearchOutcome, SearchRequest};
        let request = SearchRequest {
            query: q,
            prefix: false,
            fuzzy: false,
            order: SearchOrder::Relevance,
            keep: None,
            ordered: None,
        };
        match served.search(Audience::Public, &request) {
            Ok(SearchOutcome::Ready(results)) => results
                .hits
                .iter()
                .map(|h| served.snapshot.post(h.post).slug.clone())
                .collect(),
            other => panic!("not ready: {other:?}"),
        }
    };
    let tram_post = "walking-the-old-tram-line".to_string();
    assert_eq!(found(&before, "tram")[0], tram_post);
    // Edit one post: a new word in, an old one out.
    let path = dir
        .path()
        .join("blog/_posts/2025-08-07-walking-the-old-tram-line.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text
        .replace("tram", "funicular")
        .replace("Tram", "Funicular");
    std::fs::write(&path, edited).expect("write");
    let swap = live.apply(std::slice::from_ref(&path)).expect("reload");
    assert!(swap.swapped);
    let after = live.current().load_full();
    // A one-file reload re-indexes before the swap: the new version is searchable at once.
    assert_eq!(after.search_status(), IndexStatus::Ready);
    assert_eq!(found(&after, "funicular"), vec![tram_post.clone()]);
    assert!(!found(&after, "tram").contains(&tram_post));
    // The version before the reload still answers as it did.
    assert_eq!(found(&before, "tram")[0], tram_post);
    assert!(found(&before, "funicular").is_empty());
    // A removed post is gone from the next version only.
    let rye = dir
        .path()
        .join("blog/_posts/2020-10-04-rye-bread-for-field-days.md");
    std::fs::remove_file(&rye).expect("remove");
    live.apply(std::slice::from_ref(&rye)).expect("reload");
    let rye_post = "rye-bread-for-field-days".to_string();
    let removed = live.current().load_full();
    assert!(!found(&removed, "rye").contains(&rye_post));
    assert!(found(&after, "rye").contains(&rye_post));
    // A full rescan keeps the index too.
    live.reload_all().expect("rescan");
    let rescanned = live.current().load_full();
    assert_eq!(rescanned.build_search_index(), IndexStatus::Ready);
    assert_eq!(
        found(&rescanned, "funicular"),
        vec!["walking-the-old-tram-line"]
    );
}

#[test]
fn the_site_language_picks_the_stemmer() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("_config.yml"), "lang: de\n").expect("config");
    std::fs::create_dir_all(dir.path().join("_posts")).expect("mkdir");
    std::fs::write(
        dir.path().join("_posts/2024-01-01-haeuser.md"),
        "---\ntitle: Alte Häuser\n---\n\nÜber die Häuser der Stadt.\n",
    )
    .expect("write");
    let api = Api::new(dir.path(), Visibility::default());
    api.served.build_search_index();
    // German stemming: the dative plural finds the plural.
    let found = search(&api, "Häusern", json!({"fuzzy": false}));
    assert_eq!(found["totalCount"], 1, "{found:#}");
}

/// Typo neighbours are ranked by the posts the audience sees: drafts full of near-words of a
/// mistyped word must not crowd the public posts' word out of the few candidates a search
/// tries (the term dictionary counts every indexed post, drafts included).
#[test]
fn hidden_near_words_never_take_the_place_of_a_public_typo_match() {
    let public_answer = |dir: &Path| {
        let api = Api::new(dir, Visibility::default());
        assert_eq!(api.served.build_search_index(), IndexStatus::Ready);
        search(&api, "tramz", json!({}))
    };
    let plain = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), plain.path());
    let crowded = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), crowded.path());
    std::fs::create_dir_all(crowded.path().join("_drafts")).expect("drafts folder");
    for i in 0..8 {
        std::fs::write(
            crowded.path().join(format!("_drafts/near-words-{i}.md")),
            "---\ntitle: Near words\n---\n\ntramk tramx tramq tramv tramj tramh tramw\n",
        )
        .expect("write a draft");
    }
    let without = public_answer(plain.path());
    assert!(
        slugs(&without).contains(&"walking-the-old-tram-line".to_string()),
        "the typo finds the tram post: {without:#}"
    );
    assert_eq!(public_answer(crowded.path()), without);
}

/// A long post's body snippet shows its densest run of matches wherever it is (not the first
/// match), and a match found only far down still gets its snippet; headings anywhere in the
/// post are marked; a query of two words shows both together rather than one alone; a match
/// at the end of a part of the body still has text after it.
#[test]
fn long_posts_are_highlighted_wherever_they_match() {
    use inkgraph::site::search::{HIGHLIGHT_BODY_BYTES, HIGHLIGHT_PART_BYTES};
    let filler = "Plain words about gardens and rivers fill this line of prose.\n";
    let screens = filler.repeat(3 * HIGHLIGHT_BODY_BYTES / filler.len());
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("_posts")).expect("mkdir");
    let post = |name: &str, title: &str, body: String| {
        std::fs::write(
            dir.path().join("_posts").join(name),
            format!("---\ntitle: {title}\n---\n\n{body}"),
        )
        .expect("write");
    };
    post(
        "2024-01-01-late.md",
        "Late",
        format!("{screens}\n## Notes on zeppelins\n\nThe zeppelin came at the very end.\n"),
    );
    post(
        "2024-01-02-both.md",
        "Both",
        format!("An early marmot here.\n\n{screens}\nA marmot marmot marmot at the end.\n"),
    );
    let screen = filler.repeat(HIGHLIGHT_BODY_BYTES / 2 / filler.len());
    post(
        "2024-01-03-pair.md",
        "Pair",
        format!("An otter alone up front.\n\n{screen}\nThen an otter met a walrus.\n\n{screens}"),
    );
    // A match on the last line read at first still gets the text after it.
    let first_part = filler.repeat(HIGHLIGHT_PART_BYTES / filler.len());
    post(
        "2024-01-04-edge.md",
        "Edge",
        format!(
            "{first_part}The kiwi sat here, at the end of the first screen, waiting.\n{screens}"
        ),
    );
    let api = Api::new(dir.path(), Visibility::default());
    assert_eq!(api.served.build_search_index(), IndexStatus::Ready);
    let field = |result: &Value, name: &str| -> String {
        result["edges"][0]["node"]["highlights"]
            .as_array()
            .and_then(|hs| hs.iter().find(|h| h["field"] == name))
            .and_then(|h| h["snippet"].as_str())
            .unwrap_or_default()
            .to_string()
    };

    let late = search(&api, "zeppelin", json!({"fuzzy": false}));
    assert_eq!(slugs(&late), vec!["late"], "{late:#}");
    let body = field(&late, "BODY");
    assert!(body.contains("<mark>zeppelin</mark> came"), "{body}");
    let headings = field(&late, "HEADINGS");
    assert_eq!(headings, "Notes on <mark>zeppelins</mark>");

    let both = search(&api, "marmot", json!({"fuzzy": false}));
    assert_eq!(slugs(&both), vec!["both"], "{both:#}");
    let body = field(&both, "BODY");
    assert!(
        body.contains("A <mark>marmot</mark> <mark>marmot</mark> <mark>marmot</mark> at the end"),
        "{body}"
    );

    let edge = search(&api, "kiwi", json!({"fuzzy": false}));
    assert_eq!(slugs(&edge), vec!["edge"], "{edge:#}");
    let body = field(&edge, "BODY");
    assert!(body.contains("waiting. Plain words about"), "{body}");

    let pair = search(&api, "otter walrus", json!({"fuzzy": false}));
    assert_eq!(slugs(&pair), vec!["pair"], "{pair:#}");
    let body = field(&pair, "BODY");
    assert!(
        body.contains("<mark>otter</mark> met a <mark>walrus</mark>"),
        "{body}"
    );
}

/// Five posts: two about sourdough with no tag or link in common, three about other things.
fn bakery(dir: &Path) {
    let posts = [
        ("2024-01-01-sourdough-starter", "Feeding a sourdough starter", "baking",
         "My sourdough starter wants flour and water twice a day. A levain built from the starter at high hydration rises in four hours; a stiff levain takes longer. Sourdough bread needs a lively starter."),
        ("2024-02-01-keeping-a-levain", "Keeping a levain alive on holiday", "kitchen",
         "Before a trip the sourdough starter goes into the fridge. Back home, two feedings wake the levain, and its hydration decides how fast the sourdough rises."),
        ("2024-03-01-tram-lines", "The tram lines of Lisbon", "travel",
         "Tram 28 climbs through Graça and Alfama. The yellow cars are old and the hills are steep; the line is busy in summer."),
        ("2024-04-01-bike-tyres", "Choosing mountain bike tyres", "cycling",
         "Wider tyres grip roots and rocks; lower pressure helps on loose trails. Tubeless setups seal small punctures."),
        ("2024-05-01-garden", "A small vegetable garden", "garden",
         "Tomatoes, beans and courgettes grow in raised beds. Water in the morning and mulch the soil in summer."),
    ];
    std::fs::create_dir_all(dir.join("_posts")).expect("mkdir");
    for (file, title, tag, body) in posts {
        std::fs::write(
            dir.join(format!("_posts/{file}.md")),
            format!("---\ntitle: {title}\ntags: [{tag}]\n---\n\n{body}\n"),
        )
        .expect("write");
    }
}

const RELATED: &str = r#"query($slug: String!, $text: Boolean) {
  post(slug: $slug) {
    related(first: 20, similarText: $text) {
      post { slug } score sharedTags { slug } linked textSimilarity
      reasons { kind score description }
    }
  }
}"#;

fn related_of(api: &Api, slug: &str, similar_text: bool) -> Vec<Value> {
    let data = api.data_with(RELATED, json!({ "slug": slug, "text": similar_text }));
    data["post"]["related"].as_array().expect("related").clone()
}

/// Each related post's score is the sum of its reasons' scores, largest first, and it has a
/// SIMILAR_TEXT reason exactly when it has a text similarity (in 0..1).
fn assert_explained(related: &[Value]) {
    for r in related {
        let reasons = r["reasons"].as_array().expect("reasons");
        let scores: Vec<f64> = reasons
            .iter()
            .map(|x| x["score"].as_f64().expect("score"))
            .collect();
        let sum: f64 = scores.iter().sum();
        let score = r["score"].as_f64().expect("score");
        assert!(
            (sum - score).abs() < 1e-9,
            "reasons add up to {sum}, score {score}: {r}"
        );
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "largest first: {r}"
        );
        let text_reason = reasons.iter().any(|x| x["kind"] == "SIMILAR_TEXT");
        match r["textSimilarity"].as_f64() {
            Some(similarity) => {
                assert!(text_reason, "{r}");
                assert!(similarity > 0.0 && similarity <= 1.0, "{r}");
            }
            None => assert!(!text_reason, "{r}"),
        }
    }
}

#[test]
fn related_posts_by_similar_text_name_the_shared_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    bakery(dir.path());
    let api = Api::new(dir.path(), Visibility::default());
    // No shared tag or link: nothing is related by the link graph alone.
    assert_eq!(
        related_of(&api, "sourdough-starter", false),
        Vec::<Value>::new()
    );
    // Similar text asked for before the index is built: left out (and the build started).
    assert_eq!(
        related_of(&api, "sourdough-starter", true),
        Vec::<Value>::new()
    );
    assert_eq!(api.served.build_search_index(), IndexStatus::Ready);
    let related = related_of(&api, "sourdough-starter", true);
    assert_explained(&related);
    let slugs: Vec<&str> = related
        .iter()
        .filter_map(|r| r["post"]["slug"].as_str())
        .collect();
    assert_eq!(
        slugs,
        ["keeping-a-levain"],
        "only the other sourdough post: {related:#?}"
    );
    let description = related[0]["reasons"]
        .as_array()
        .and_then(|reasons| reasons.iter().find(|x| x["kind"] == "SIMILAR_TEXT"))
        .and_then(|x| x["description"].as_str())
        .expect("a SIMILAR_TEXT reason");
    assert!(
        description.contains("sourdough") && description.contains("levain"),
        "{description}"
    );
    // Both ways.
    let back = related_of(&api, "keeping-a-levain", true);
    assert_eq!(
        back.first().and_then(|r| r["post"]["slug"].as_str()),
        Some("sourdough-starter")
    );
}

#[test]
fn similar_text_only_adds_to_the_link_graphs_related_posts() {
    let api = sample();
    let posts = api.data("{ posts(first: 100) { nodes { slug } } }");
    let mut with_text_reasons = 0;
    for node in posts["posts"]["nodes"].as_array().expect("nodes") {
        let slug = node["slug"].as_str().expect("slug");
        let plain = related_of(&api, slug, false);
        assert_explained(&plain);
        assert!(
            plain.iter().all(|r| r["textSimilarity"].is_null()),
            "{slug}: similar text only when asked for"
        );
        let with_text = related_of(&api, slug, true);
        assert_explained(&with_text);
        with_text_reasons += with_text
            .iter()
            .filter(|r| !r["textSimilarity"].is_null())
            .count();
        // Each post related without text is related with it, scored the same plus its text part.
        for r in &plain {
            let same = with_text.iter().find(|w| w["post"] == r["post"]);
            let Some(same) = same else {
                // Pushed out of the first 20 by posts with similar text only.
                continue;
            };
            let text_part = same["reasons"]
                .as_array()
                .and_then(|reasons| reasons.iter().find(|x| x["kind"] == "SIMILAR_TEXT"))
                .map_or(0.0, |x| x["score"].as_f64().expect("score"));
            let difference =
                same["score"].as_f64().expect("score") - r["score"].as_f64().expect("score");
            assert!(
                (difference - text_part).abs() < 1e-9,
                "{slug}: {r} / {same}"
            );
        }
    }
    assert!(
        with_text_reasons > 0,
        "the sample blog has posts with similar text"
    );
}
