//! The GraphQL API, executed in-process against the sample blog and fixtures.

use crate::common;

use common::*;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};

fn slugs(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .expect("list")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect()
}

#[test]
fn post_takes_exactly_one_key() {
    let api = Api::sample();
    assert!(api.error("{ post { title } }").contains("exactly one"));
    assert!(api
        .error(r#"{ post(slug: "x", serialNumber: "y") { title } }"#)
        .contains("2 were given"));
    assert_eq!(
        api.data(r#"{ post(slug: "no-such-post") { title } }"#)["post"],
        Value::Null
    );
    let by_slug = api.data(
        r#"{ post(slug: "the-legend-is-the-interface") { id title sourcePath permalink url } }"#,
    );
    let post = &by_slug["post"];
    assert_eq!(post["title"], "The Legend Is the Interface");
    assert_eq!(post["permalink"], "/blog/the-legend-is-the-interface");
    assert_eq!(
        post["url"],
        "https://inkgraph.example/blog/the-legend-is-the-interface"
    );
    for (key, value) in [
        ("id", post["id"].as_str().expect("id").to_string()),
        (
            "path",
            post["sourcePath"].as_str().expect("path").to_string(),
        ),
        (
            "url",
            "https://inkgraph.example/blog/the-legend-is-the-interface/".to_string(),
        ),
        ("url", "/blog/the-legend-is-the-interface.html".to_string()),
        ("serialNumber", " 2024.blg.001 ".to_string()),
    ] {
        let found = api.data_with(
            &format!("query($v: String!) {{ post({key}: $v) {{ slug }} }}").replace(
                "$v: String!",
                if key == "id" {
                    "$v: ID!"
                } else {
                    "$v: String!"
                },
            ),
            json!({ "v": value }),
        );
        assert_eq!(
            found["post"]["slug"], "the-legend-is-the-interface",
            "by {key}"
        );
    }
}

#[test]
fn post_by_serial_is_case_insensitive_and_trims() {
    let api = Api::sample();
    let data = api.data(r#"{ postBySerial(serialNumber: "  2025.nts.002 ") { title serialNumber { value year series number } } }"#);
    assert_eq!(data["postBySerial"]["title"], "What I Let the Machine Do");
    assert_eq!(
        data["postBySerial"]["serialNumber"],
        json!({"value": "2025.NTS.002", "year": 2025, "series": "NTS", "number": 2})
    );
    assert_eq!(
        api.data(r#"{ postBySerial(serialNumber: "1999.X.1") { title } }"#)["postBySerial"],
        Value::Null
    );
}

#[test]
fn posts_default_to_newest_first_and_count_everything() {
    let api = Api::sample();
    let data = api.data("{ posts { totalCount nodes { date slug draft } pageInfo { hasNextPage hasPreviousPage } } site { postCount } }");
    let posts = &data["posts"];
    assert_eq!(posts["totalCount"], data["site"]["postCount"]);
    assert_eq!(posts["totalCount"], 15);
    let dates: Vec<&str> = posts["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["date"].as_str().expect("date"))
        .collect();
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> = dates
        .iter()
        .map(|d| chrono::DateTime::parse_from_rfc3339(d).expect("RFC 3339"))
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert_eq!(
        posts["pageInfo"],
        json!({"hasNextPage": false, "hasPreviousPage": false})
    );
    // The future post, the unpublished post and the draft are not served.
    let all = slugs(&posts["nodes"]);
    for hidden in [
        "a-letter-to-the-next-decade",
        "half-a-review-of-a-drafting-table",
        "a-draft-idea",
    ] {
        assert!(!all.contains(&hidden.to_string()), "{hidden} leaked");
    }
}

#[test]
fn page_size_is_limited_with_a_clear_error() {
    let api = Api::sample();
    let message = api.error("{ posts(first: 101) { totalCount } }");
    assert!(message.contains("at most 100"), "{message}");
    let message = api.error("{ posts(last: 500) { totalCount } }");
    assert!(message.contains("`last`"), "{message}");
}

#[test]
fn filters_by_tags_combine_by_and() {
    let api = Api::sample();
    let ai = api
        .data(r#"{ posts(filter: {tags: ["AI"]}) { totalCount nodes { slug tags { slug } } } }"#);
    assert_eq!(ai["posts"]["totalCount"], 3, "AI and ai are one tag");
    for node in ai["posts"]["nodes"].as_array().expect("nodes") {
        assert!(node["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|t| t["slug"] == "ai"));
    }
    let both = api.data(r#"{ posts(filter: {tags: ["ai", "tools"]}) { nodes { slug } } }"#);
    assert_eq!(
        slugs(&both["posts"]["nodes"]),
        ["what-i-let-the-machine-do"]
    );
    let unknown = api.data(r#"{ posts(filter: {tags: ["ai", "no-such-tag"]}) { totalCount } }"#);
    assert_eq!(unknown["posts"]["totalCount"], 0);
    let any = api.data(r#"{ posts(filter: {anyTags: ["no-such-tag", "rust"]}) { totalCount } }"#);
    assert_eq!(any["posts"]["totalCount"], 2);
    let excluded =
        api.data(r#"{ posts(filter: {tags: ["ai"], excludeTags: ["tools"]}) { totalCount } }"#);
    assert_eq!(excluded["posts"]["totalCount"], 2);
}

#[test]
fn filters_by_category_series_dates_and_text() {
    let api = Api::sample();
    let count = |filter: &str| -> i64 {
        api.data(&format!("{{ posts(filter: {filter}) {{ totalCount }} }}"))["posts"]["totalCount"]
            .as_i64()
            .expect("count")
    };
    assert_eq!(count(r#"{category: "NOTES"}"#), 4);
    assert_eq!(count(r#"{series: "blg"}"#), 3);
    assert_eq!(count(r#"{hasSerialNumber: true}"#), 5);
    assert_eq!(count(r#"{hasSerialNumber: false}"#), 10);
    assert_eq!(count(r#"{year: 2025}"#), 3);
    assert_eq!(count(r#"{year: 2025, month: 2}"#), 1);
    assert_eq!(
        count(r#"{since: "2025-01-01T00:00:00+00:00", until: "2025-06-01T00:00:00+00:00"}"#),
        2
    );
    assert!(count(r#"{text: "sourdough"}"#) >= 1);
    assert_eq!(
        count(r#"{text: "SOURDOUGH"}"#),
        count(r#"{text: "sourdough"}"#)
    );
    assert_eq!(
        count(r#"{text: "  SourDough  "}"#),
        count(r#"{text: "sourdough"}"#)
    );
    // Beyond ASCII, case folds too.
    assert!(count(r#"{text: "görlitz"}"#) >= 1);
    assert_eq!(count(r#"{text: "GÖRLITZ"}"#), count(r#"{text: "görlitz"}"#));
    assert_eq!(count(r#"{or: [{series: "BLG"}, {series: "NTS"}]}"#), 5);
    assert_eq!(
        count(r#"{category: "blog", not: {hasSerialNumber: true}}"#),
        8
    );
    assert!(api
        .error(r#"{ posts(filter: {month: 13}) { totalCount } }"#)
        .contains("1..12"));
}

#[test]
fn orders_are_total_and_reversible() {
    let api = Api::sample();
    for field in ["DATE", "TITLE", "SERIAL_NUMBER", "WORD_COUNT"] {
        let asc = api.data(&format!("{{ posts(first: 100, orderBy: {{field: {field}, direction: ASC}}) {{ nodes {{ slug }} }} }}"));
        let desc = api.data(&format!("{{ posts(first: 100, orderBy: {{field: {field}, direction: DESC}}) {{ nodes {{ slug }} }} }}"));
        let mut reversed = slugs(&desc["posts"]["nodes"]);
        reversed.reverse();
        assert_eq!(slugs(&asc["posts"]["nodes"]), reversed, "{field}");
    }
    let titles = api
        .data("{ posts(first: 3, orderBy: {field: TITLE, direction: ASC}) { nodes { title } } }");
    assert_eq!(titles["posts"]["nodes"][0]["title"], "1984");
    let serial = api.data("{ posts(first: 1, orderBy: {field: SERIAL_NUMBER, direction: ASC}) { nodes { serialNumber { value } } } }");
    assert_eq!(
        serial["posts"]["nodes"][0]["serialNumber"]["value"],
        "2024.BLG.001"
    );
}

#[test]
fn cursor_from_another_ordering_is_refused() {
    let api = Api::sample();
    let page = api.data("{ posts(first: 2) { pageInfo { endCursor } } }");
    let cursor = page["posts"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor");
    let message = api.error(&format!(r#"{{ posts(after: "{cursor}", orderBy: {{field: TITLE, direction: ASC}}) {{ totalCount }} }}"#));
    assert!(message.contains("ordering"), "{message}");
    assert!(api
        .error(r#"{ posts(after: "garbage") { totalCount } }"#)
        .contains("invalid cursor"));
}

#[test]
fn cursors_stay_valid_across_a_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&sample_blog(), dir.path());
    let before = Api::new(dir.path(), Visibility::default());
    let page = before.data("{ posts(first: 3) { nodes { slug } pageInfo { endCursor } } }");
    let cursor = page["posts"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    let next_before = before.data(&format!(
        r#"{{ posts(first: 2, after: "{cursor}") {{ nodes {{ slug }} }} }}"#
    ));
    // A new, newer post appears at the top: the page after the cursor is unchanged.
    std::fs::write(
        dir.path().join("blog/_posts/2025-11-01-brand-new.md"),
        "---\ntitle: Brand new\n---\nHello.\n",
    )
    .expect("write");
    let after = Api::new(dir.path(), Visibility::default());
    assert_ne!(
        after.served.snapshot.version,
        before.served.snapshot.version
    );
    let next_after = after.data(&format!(
        r#"{{ posts(first: 2, after: "{cursor}") {{ nodes {{ slug }} }} }}"#
    ));
    assert_eq!(next_after, next_before);
}

#[test]
fn tag_cloud_weights_and_levels() {
    let api = Api::sample();
    let data = api.data(
        "{ tagCloud(limit: 100, levels: 4) { name slug count weight level tag { postCount } } }",
    );
    let cloud = data["tagCloud"].as_array().expect("cloud");
    let max = cloud
        .iter()
        .map(|e| e["count"].as_i64().expect("count"))
        .max()
        .expect("entries");
    let min = cloud
        .iter()
        .map(|e| e["count"].as_i64().expect("count"))
        .min()
        .expect("entries");
    assert!(max > min, "the sample blog has tags of different sizes");
    for entry in cloud {
        let count = entry["count"].as_i64().expect("count");
        let weight = entry["weight"].as_f64().expect("weight");
        assert!((weight - count as f64 / max as f64).abs() < 1e-9);
        let level = entry["level"].as_i64().expect("level");
        assert!((1..=4).contains(&level));
        if count == max {
            assert_eq!(level, 4);
        }
        if count == min {
            assert_eq!(level, 1);
        }
        assert_eq!(entry["tag"]["postCount"], entry["count"]);
    }
    let counts: Vec<i64> = cloud
        .iter()
        .map(|e| e["count"].as_i64().expect("count"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most used first");
    let limited = api.data("{ tagCloud(limit: 2, minCount: 2) { count } }");
    let limited = limited["tagCloud"].as_array().expect("cloud");
    assert!(limited.len() <= 2 && limited.iter().all(|e| e["count"].as_i64() >= Some(2)));
    let notes = api.data(r#"{ tagCloud(filter: {category: "notes"}) { slug count } }"#);
    let ai = notes["tagCloud"]
        .as_array()
        .expect("cloud")
        .iter()
        .find(|e| e["slug"] == "ai")
        .cloned()
        .expect("ai in notes");
    assert_eq!(ai["count"], 3);
    assert!(api
        .error("{ tagCloud(levels: 0) { count } }")
        .contains("levels"));
}

#[test]
fn tags_tag_and_tag_posts() {
    let api = Api::sample();
    let data = api.data(r#"{ tags(first: 100) { totalCount nodes { slug postCount } } site { tagCount } tag(slug: "AI") { name postCount posts(first: 10) { totalCount nodes { slug } } } }"#);
    assert_eq!(data["tags"]["totalCount"], data["site"]["tagCount"]);
    let counts: Vec<i64> = data["tags"]["nodes"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["postCount"].as_i64().expect("n"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(data["tag"]["postCount"], 3);
    assert_eq!(data["tag"]["posts"]["totalCount"], 3);
    let by_name =
        api.data("{ tags(first: 3, orderBy: {field: NAME, direction: ASC}) { nodes { name } } }");
    let names: Vec<String> = by_name["tags"]["nodes"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(
        api.data(r#"{ tag(slug: "nope") { name } }"#)["tag"],
        Value::Null
    );
    // A tag used only by hidden posts is not served.
    assert_eq!(
        api.data(r#"{ tag(slug: "letters") { name } }"#)["tag"],
        Value::Null
    );
}

#[test]
fn categories_series_archive_site_and_diagnostics() {
    let api = Api::sample();
    let data = api.data(
        "{ categories { name count } series { series count latest { serialNumber { value } } } archive { year count months { month count } } site { title url version postCount loadedAt } diagnostics { severity path message } }",
    );
    assert_eq!(data["categories"][0], json!({"name": "blog", "count": 11}));
    assert_eq!(
        data["series"],
        json!([
            {"series": "BLG", "count": 3, "latest": {"serialNumber": {"value": "2025.BLG.003"}}},
            {"series": "NTS", "count": 2, "latest": {"serialNumber": {"value": "2025.NTS.002"}}}
        ])
    );
    let archive = data["archive"].as_array().expect("archive");
    assert_eq!(archive[0]["year"], 2025);
    let total: i64 = archive
        .iter()
        .map(|y| y["count"].as_i64().expect("n"))
        .sum();
    assert_eq!(total, 15);
    for year in archive {
        let months: i64 = year["months"]
            .as_array()
            .expect("months")
            .iter()
            .map(|m| m["count"].as_i64().expect("n"))
            .sum();
        assert_eq!(months, year["count"].as_i64().expect("n"));
    }
    assert_eq!(data["site"]["url"], "https://inkgraph.example");
    assert_eq!(data["site"]["version"].as_str().map(str::len), Some(16));
    assert_eq!(
        api.data(r#"{ archive(filter: {tags: ["ai"]}) { year count } }"#)["archive"],
        json!([{"year": 2025, "count": 2}, {"year": 2023, "count": 1}])
    );

    let broken = Api::new(&fixture("bad_yaml"), Visibility::default());
    let diagnostics =
        broken.data("{ diagnostics(severity: ERROR) { severity path line column message } }");
    assert_eq!(
        diagnostics["diagnostics"][0]["path"],
        "_posts/2024-01-02-bad-yaml.md"
    );
    assert_eq!(diagnostics["diagnostics"][0]["line"], 4);
    assert_eq!(
        broken.data("{ diagnostics(severity: WARNING) { path } }")["diagnostics"],
        json!([])
    );
}

#[test]
fn node_finds_posts_and_tags_by_id() {
    let api = Api::sample();
    let data = api.data(r#"{ post(slug: "what-i-let-the-machine-do") { id tags { id slug } } }"#);
    let post_id = data["post"]["id"].as_str().expect("id");
    let tag_id = data["post"]["tags"][0]["id"].as_str().expect("id");
    let node = api.data(&format!(
        r#"{{ p: node(id: "{post_id}") {{ id ... on Post {{ slug }} }} t: node(id: "{tag_id}") {{ id ... on Tag {{ slug }} }} x: node(id: "nonsense") {{ id }} }}"#
    ));
    assert_eq!(node["p"]["slug"], "what-i-let-the-machine-do");
    assert_eq!(node["t"]["slug"], data["post"]["tags"][0]["slug"]);
    assert_eq!(node["x"], Value::Null);
}

#[test]
fn post_fields_from_front_matter() {
    let api = Api::sample();
    let data = api.data(
        r#"{ post(slug: "walking-the-old-tram-line") { date categories hasToc draft layout image description syndication { network url } frontMatter markdown wordCount aliases updated } }"#,
    );
    let post = &data["post"];
    assert_eq!(post["date"], "2025-08-07T02:54:48+00:00");
    assert_eq!(post["categories"], json!(["blog"]));
    assert_eq!(post["draft"], false);
    assert_eq!(post["layout"], "post", "from _config.yml defaults");
    assert!(post["frontMatter"]
        .as_object()
        .expect("object")
        .contains_key("title"));
    assert!(!post["markdown"]
        .as_str()
        .expect("markdown")
        .starts_with("---"));
    assert!(post["wordCount"].as_i64().expect("n") > 100);
    let with_syndication =
        api.data(r#"{ posts(first: 100) { nodes { syndication { network url } } } }"#);
    let links: Vec<&Value> = with_syndication["posts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .flat_map(|n| n["syndication"].as_array().expect("list"))
        .collect();
    assert!(links.iter().any(|l| l["network"] == "mastodon_social"));
    assert!(links
        .iter()
        .all(|l| l["url"] != "false" && l["network"] != "bluesky"));
}

#[test]
fn html_renders_markdown_once_per_snapshot() {
    let api = Api::sample();
    let query = r#"{ posts(first: 100) { nodes { slug html } } }"#;
    let data = api.data(query);
    let nodes = data["posts"]["nodes"].as_array().expect("nodes");
    assert!(nodes
        .iter()
        .any(|n| n["html"].as_str().expect("html").contains("<table>")));
    assert!(nodes.iter().any(|n| n["html"]
        .as_str()
        .expect("html")
        .contains("<pre class=\"syntax-highlighting\"><code class=\"language-")));
    assert!(nodes
        .iter()
        .any(|n| n["html"].as_str().expect("html").contains("footnote")));
    assert_eq!(api.served.rendered_count(), nodes.len());
    assert_eq!(api.data(query), data, "cached renders are identical");
    assert_eq!(api.served.rendered_count(), nodes.len());
}

#[test]
fn drafts_and_future_flags_reach_the_api() {
    let api = Api::new(
        &sample_blog(),
        Visibility {
            drafts: true,
            future: true,
        },
    );
    let data = api.data(r#"{ site { postCount } draft: post(slug: "a-draft-idea") { draft } future: post(slug: "a-letter-to-the-next-decade") { title } }"#);
    assert_eq!(data["site"]["postCount"], 17);
    assert_eq!(data["draft"]["draft"], true);
    assert!(data["future"]["title"].is_string());
}

#[test]
fn expensive_queries_are_refused() {
    let api = Api::sample();
    let deep = "{ posts { nodes { tags { posts { nodes { tags { posts { nodes { tags { posts { nodes { tags { posts { nodes { slug } } } } } } } } } } } } } } }";
    let message = api.error(deep);
    assert!(
        message.contains("levels deep, over the limit of 15 levels (--max-depth")
            || message.contains("over the limit of 10000 (--max-complexity"),
        "{message}"
    );
    let wide = "{ posts(first: 100) { nodes { tags { posts(first: 100) { nodes { slug } } } } } }";
    let message = api.error(wide);
    assert!(
        message.contains("over the limit of 10000 (--max-complexity"),
        "{message}"
    );
}

#[test]
fn real_corpus_answers_the_contract_examples() {
    let Some(root) = shared_corpus("joshbeckman") else {
        return;
    };
    let api = Api::new(&root, Visibility::default());
    let data =
        api.data(r#"{ postBySerial(serialNumber: "2025.blg.124") { sourcePath permalink url } }"#);
    let post = &data["postBySerial"];
    assert!(post["sourcePath"]
        .as_str()
        .expect("path")
        .starts_with("blog/_posts/2025-08-07-im-more-optimistic"));
    assert!(post["url"]
        .as_str()
        .expect("url")
        .starts_with("https://www.joshbeckman.org/blog/im-more-optimistic"));
    // Exactly the posts tagged llm, each once, across pages.
    let expected = api
        .served
        .snapshot
        .posts
        .iter()
        .filter(|p| p.doc.tags.iter().any(|t| t.eq_ignore_ascii_case("llm")))
        .count();
    assert!(expected > 0);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = api.data_with(
            "query($after: String) { posts(first: 7, after: $after, filter: {tags: [\"llm\"]}) { totalCount nodes { slug tags { slug } } pageInfo { hasNextPage endCursor } } }",
            json!({ "after": after }),
        );
        let posts = &page["posts"];
        assert_eq!(posts["totalCount"], expected);
        for node in posts["nodes"].as_array().expect("nodes") {
            assert!(node["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .any(|t| t["slug"] == "llm"));
            seen.push(node["slug"].as_str().expect("slug").to_string());
        }
        if posts["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = posts["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (expected, expected));
}

#[test]
fn preview_audience_sees_drafts_and_future_posts_but_not_unpublished() {
    let api = Api::sample();
    let query = r#"{ site { postCount } posts(first: 100) { totalCount } draft: post(slug: "a-draft-idea") { draft } unpublished: post(slug: "half-a-review-of-a-drafting-table") { title } tag(slug: "letters") { postCount } }"#;
    let public = api.run(query, json!({}));
    let preview = api.run_as(inkgraph::graph::Audience::Preview, query, json!({}));
    assert_eq!(public["data"]["posts"]["totalCount"], 15);
    assert_eq!(public["data"]["draft"], Value::Null);
    assert_eq!(public["data"]["tag"], Value::Null);
    assert_eq!(preview["data"]["posts"]["totalCount"], 17);
    assert_eq!(preview["data"]["site"]["postCount"], 17);
    assert_eq!(preview["data"]["draft"]["draft"], true);
    assert_eq!(preview["data"]["tag"]["postCount"], 1);
    assert_eq!(preview["data"]["unpublished"], Value::Null);
}

#[test]
fn diagnostics_never_name_hidden_files_to_the_public() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&sample_blog(), dir.path());
    std::fs::write(
        dir.path().join("_drafts/secret-draft.md"),
        "---\ntitle: [unclosed\n---\nSecret.\n",
    )
    .expect("write");
    let api = Api::new(dir.path(), Visibility::default());
    let query = "{ diagnostics { path } }";
    let public = api.run(query, json!({}));
    let paths: Vec<&str> = public["data"]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.iter().all(|p| !p.contains("_drafts")), "{paths:?}");
    let preview = api.run_as(inkgraph::graph::Audience::Preview, query, json!({}));
    let paths: Vec<&str> = preview["data"]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.contains(&"_drafts/secret-draft.md"), "{paths:?}");
}
