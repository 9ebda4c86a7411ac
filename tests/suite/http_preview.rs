//! Preview of drafts and future posts: a request with `Authorization: Bearer <token>` sees
//! them through every entry point; any other request sees them through none.
//!
//! The blog is the sample blog (one draft, one future post) plus a draft and a future post
//! that carry a serial number, a category, a tag of their own and links to a public post, so
//! every entry point has something to leak. Every entry point runs with and without the token:
//! with it, the hidden posts must show (so the check has teeth); without it, no slug, title,
//! id, serial number, tag, category or series of theirs may appear anywhere in the response.

use crate::common;
use crate::http_support;

use axum::http::{header, StatusCode};
use common::*;
use http_support::*;
use inkgraph::server::{HttpConfig, CACHE_STATUS_HEADER};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const TOKEN: &str = "preview-token-for-tests-0123456789";
const PUBLIC_TARGET: &str = "walking-the-old-tram-line";

const SECRET_DRAFT: &str = r#"---
title: Secret Plans For The Atlas
serial_number: 2099.QQVAULT.001
tags: [cartography, preview-only-tag]
---

An unpublished plan that builds on [[Walking the Old Tram Line]] and
[the tram walk]({% post_url 2025-08-07-walking-the-old-tram-line %}).
"#;

const SECRET_FUTURE: &str = r#"---
title: Hidden Future Dispatch
date: 2099-06-01 09:00:00 +0000
serial_number: 2099.QQVAULT.002
tags: [rust, preview-only-tag]
---

Scheduled for later. It follows [[Walking the Old Tram Line]].
"#;

struct Blog {
    _dir: tempfile::TempDir,
    server: TestServer,
}

fn blog() -> Blog {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), dir.path());
    std::fs::write(dir.path().join("_drafts/secret-plans.md"), SECRET_DRAFT).expect("write");
    let vault = dir.path().join("qqvault/_posts");
    std::fs::create_dir_all(&vault).expect("mkdir");
    std::fs::write(
        vault.join("2099-06-01-hidden-future-dispatch.md"),
        SECRET_FUTURE,
    )
    .expect("write");
    let config = HttpConfig {
        preview_token: Some(TOKEN.into()),
        ..HttpConfig::default()
    };
    let server = TestServer::over(dir.path(), &config);
    Blog { _dir: dir, server }
}

async fn ask(server: &TestServer, query: &str, variables: Value, token: Option<&str>) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let reply = server
        .post(&json!({"query": query, "variables": variables}), &headers)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
    let body = reply.json();
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

/// What identifies the hidden posts, read through the preview.
struct Hidden {
    slugs: Vec<String>,
    ids: Vec<String>,
    /// Every string that must never reach the public.
    markers: BTreeSet<String>,
}

async fn hidden_posts(server: &TestServer) -> Hidden {
    let all = "{ posts(first: 100) { nodes { id slug title sourcePath permalink url serialNumber { value } } } }";
    let public = ask(server, all, json!({}), None).await;
    let preview = ask(server, all, json!({}), Some(TOKEN)).await;
    let public_slugs: BTreeSet<String> = public["posts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect();
    let hidden: Vec<&Value> = preview["posts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| !public_slugs.contains(n["slug"].as_str().expect("slug")))
        .collect();
    let mut markers = BTreeSet::new();
    for post in &hidden {
        for key in ["id", "slug", "title", "sourcePath", "permalink", "url"] {
            if let Some(text) = post[key].as_str() {
                markers.insert(text.to_string());
            }
        }
        if let Some(serial) = post["serialNumber"]["value"].as_str() {
            markers.insert(serial.to_string());
        }
    }
    // The tag, category and series only the hidden posts have.
    markers.insert("preview-only-tag".into());
    markers.insert("qqvault".into());
    markers.insert("QQVAULT".into());
    Hidden {
        slugs: hidden
            .iter()
            .map(|n| n["slug"].as_str().expect("slug").into())
            .collect(),
        ids: hidden
            .iter()
            .map(|n| n["id"].as_str().expect("id").into())
            .collect(),
        markers,
    }
}

fn leaks(data: &Value, markers: &BTreeSet<String>) -> Vec<String> {
    let text = data.to_string();
    markers
        .iter()
        .filter(|m| text.contains(m.as_str()))
        .cloned()
        .collect()
}

#[tokio::test]
async fn no_entry_point_shows_a_hidden_post_without_the_token() {
    let blog = blog();
    let server = &blog.server;
    let hidden = hidden_posts(server).await;
    let mut expected_hidden: Vec<&str> = hidden.slugs.iter().map(String::as_str).collect();
    expected_hidden.sort();
    assert_eq!(
        expected_hidden,
        [
            "a-draft-idea",
            "a-letter-to-the-next-decade",
            "hidden-future-dispatch",
            "secret-plans"
        ],
        "the fixture hides two drafts and two future posts"
    );

    let schema = server
        .post(
            &json!({"query": "{ __schema { queryType { fields { name } } } }"}),
            &[],
        )
        .await
        .json();
    let root_fields: BTreeSet<String> = schema["data"]["__schema"]["queryType"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect();

    // (entry point, query, variables). Every hidden slug, id and serial number is asked for
    // directly where an entry point takes one.
    let mut cases: Vec<(String, String, Value)> = vec![
        ("posts".into(), "{ posts(first: 100) { totalCount nodes { id slug title } } }".into(), json!({})),
        ("posts(filter)".into(), r#"{ posts(first: 100, filter: {anyTags: ["preview-only-tag", "cartography", "rust", "future", "draft"]}) { totalCount nodes { slug } } }"#.into(), json!({})),
        ("posts(last)".into(), "{ posts(last: 100) { nodes { slug } } }".into(), json!({})),
        ("tagCloud".into(), "{ tagCloud(limit: 100) { name slug count tag { postCount } } }".into(), json!({})),
        ("tags".into(), "{ tags(first: 40) { totalCount nodes { name slug postCount posts(first: 40) { nodes { slug } } } } }".into(), json!({})),
        ("tag".into(), "{ a: tag(slug: \"preview-only-tag\") { name } b: tag(slug: \"cartography\") { postCount posts(first: 100) { totalCount nodes { slug } } } }".into(), json!({})),
        ("categories".into(), "{ categories { name count } }".into(), json!({})),
        ("series".into(), "{ series { series count latest { slug } } }".into(), json!({})),
        ("previous/next".into(), "{ posts(first: 100) { nodes { slug previous { slug } next { slug } } } }".into(), json!({})),
    ];
    for (slug, id) in hidden.slugs.iter().zip(&hidden.ids) {
        cases.push((
            format!("node({slug})"),
            "query($id: ID!) { node(id: $id) { id ... on Post { slug } } }".into(),
            json!({"id": id}),
        ));
        cases.push((
            format!("post(slug|id) {slug}"),
            "query($s: String!, $id: ID!) { a: post(slug: $s) { slug } b: post(id: $id) { slug } }"
                .into(),
            json!({"s": slug, "id": id}),
        ));
    }
    for serial in ["2099.QQVAULT.001", "2099.qqvault.002"] {
        cases.push((
            format!("postBySerial({serial})"),
            "query($s: String!) { postBySerial(serialNumber: $s) { slug } post(serialNumber: $s) { slug } }".into(),
            json!({"s": serial}),
        ));
    }
    if root_fields.contains("resolve") {
        for reference in [
            "secret-plans",
            "Hidden Future Dispatch",
            "2099.QQVAULT.001",
            "a-draft-idea",
        ] {
            cases.push((
                format!("resolve({reference})"),
                "query($r: String!) { resolve(ref: $r) { slug } }".into(),
                json!({"r": reference}),
            ));
        }
    }
    if root_fields.contains("linkGraph") {
        cases.push((
            "linkGraph".into(),
            "{ linkGraph(includeTags: true) { nodes { id kind label weight } edges { source target kind } } }".into(),
            json!({}),
        ));
    }
    let post_fields = server
        .post(
            &json!({"query": "{ __type(name: \"Post\") { fields { name } } }"}),
            &[],
        )
        .await
        .json();
    let post_fields: BTreeSet<String> = post_fields["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect();
    if post_fields.contains("backlinks") {
        cases.push((
            "backlinks".into(),
            "query($s: String!) { post(slug: $s) { backlinks(first: 100) { totalCount nodes { slug } } } }".into(),
            json!({"s": PUBLIC_TARGET}),
        ));
    }
    if post_fields.contains("related") {
        cases.push((
            "related".into(),
            "{ posts(first: 30) { nodes { related(first: 20) { post { slug } } } } }".into(),
            json!({}),
        ));
    }

    let mut report = Vec::new();
    for (name, query, variables) in &cases {
        let public = ask(server, query, variables.clone(), None).await;
        let preview = ask(server, query, variables.clone(), Some(TOKEN)).await;
        let leaked = leaks(&public, &hidden.markers);
        if !leaked.is_empty() {
            report.push(format!("{name} LEAKS {leaked:?} to the public: {public}"));
        }
        if leaks(&preview, &hidden.markers).is_empty() {
            report.push(format!(
                "{name} shows no hidden post even with the token: {preview}"
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));

    // Counts and aggregates agree with the public posts.
    let counts =
        "{ site { postCount } posts { totalCount } archive { year count months { count } } }";
    let public = ask(server, counts, json!({}), None).await;
    let preview = ask(server, counts, json!({}), Some(TOKEN)).await;
    assert_eq!(public["site"]["postCount"], 15);
    assert_eq!(public["posts"]["totalCount"], 15);
    assert_eq!(preview["site"]["postCount"], 19);
    assert_eq!(preview["posts"]["totalCount"], 19);
    let archived = |data: &Value| -> i64 {
        data["archive"]
            .as_array()
            .expect("archive")
            .iter()
            .map(|y| y["count"].as_i64().expect("count"))
            .sum()
    };
    assert_eq!(archived(&public), 15);
    assert_eq!(archived(&preview), 19);
    let years = |data: &Value| -> Vec<i64> {
        data["archive"]
            .as_array()
            .expect("archive")
            .iter()
            .map(|y| y["year"].as_i64().expect("year"))
            .collect()
    };
    assert!(!years(&public).contains(&2099) && !years(&public).contains(&2030));
    assert!(years(&preview).contains(&2099));
}

#[tokio::test]
async fn only_the_exact_bearer_token_previews() {
    let blog = blog();
    let server = &blog.server;
    let count = "{ site { postCount } }";
    for header_value in [
        format!("Bearer {TOKEN}x"),
        format!("Bearer {}", &TOKEN[1..]),
        format!("Basic {TOKEN}"),
        TOKEN.to_string(),
        "Bearer".to_string(),
    ] {
        let reply = server
            .post(
                &json!({"query": count}),
                &[("authorization", &header_value)],
            )
            .await;
        assert_eq!(
            reply.json()["data"]["site"]["postCount"],
            15,
            "{header_value}"
        );
    }
    assert_eq!(
        ask(server, count, json!({}), Some(TOKEN)).await["site"]["postCount"],
        19
    );

    // Without a configured token nothing previews, whatever the request sends.
    let plain = TestServer::sample(&HttpConfig::default());
    let reply = plain
        .post(
            &json!({"query": count}),
            &[("authorization", &format!("Bearer {TOKEN}"))],
        )
        .await;
    assert_eq!(reply.json()["data"]["site"]["postCount"], 15);
}

#[tokio::test]
async fn preview_answers_are_private_and_never_shared() {
    let blog = blog();
    let server = &blog.server;
    let params = [("query", "{ site { postCount } }")];
    let auth = format!("Bearer {TOKEN}");
    let public = server.get(&params, &[]).await;
    let preview = server.get(&params, &[("authorization", &auth)]).await;
    assert_eq!(preview.json()["data"]["site"]["postCount"], 19);
    assert_eq!(preview.header(header::CACHE_CONTROL), "private, no-store");
    assert_eq!(
        preview.header(CACHE_STATUS_HEADER),
        "",
        "never in the shared response cache"
    );
    assert_ne!(preview.header(header::ETAG), public.header(header::ETAG));
    assert!(public.header(header::VARY).contains("authorization"));
    // A public ETag does not revalidate a preview request, nor the other way round.
    let crossed = server
        .get(
            &params,
            &[
                ("authorization", &auth),
                ("if-none-match", &public.header(header::ETAG)),
            ],
        )
        .await;
    assert_eq!(crossed.status, StatusCode::OK);
    let public_again = server.get(&params, &[]).await;
    assert_eq!(public_again.json()["data"]["site"]["postCount"], 15);
    assert_eq!(public_again.header(CACHE_STATUS_HEADER), "hit");
}
