//! The link graph: link kinds, backlinks, related posts, previous/next, resolve, linkGraph
//! and the link check, on a fixture with every link form (tests/fixtures/links_site).

use crate::common;

use common::*;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

fn site() -> Api {
    Api::new(&fixture("links_site"), Visibility::default())
}

#[test]
fn every_link_form_gets_its_kind() {
    let api = site();
    let data =
        api.data(r#"{ post(slug: "linker") { links { href text kind domain target { slug } } } }"#);
    let links = data["post"]["links"].as_array().expect("links");
    let by_text: HashMap<&str, &Value> = links
        .iter()
        .map(|l| (l["text"].as_str().expect("text"), l))
        .collect();
    let expect = |text: &str, kind: &str, target: Option<&str>| {
        let link = by_text
            .get(text)
            .unwrap_or_else(|| panic!("link `{text}` extracted: {links:#?}"));
        assert_eq!(link["kind"], kind, "{text}: {link}");
        assert_eq!(link["target"]["slug"].as_str(), target, "{text}: {link}");
    };
    for text in [
        "rel md",
        "permalink",
        "slash",
        "html",
        "alias",
        "post url",
        "raw html",
    ] {
        expect(text, "INTERNAL", Some("foo"));
    }
    for text in ["up md", "index", "abs", "abs www", "Bar"] {
        expect(text, "INTERNAL", Some("bar"));
    }
    for text in ["asset", "feed", "anchor"] {
        expect(text, "SITE", None);
    }
    expect("ext", "EXTERNAL", None);
    assert_eq!(by_text["ext"]["domain"], "other.example");
    for text in [
        "broken md",
        "broken permalink",
        "broken post url",
        "Nope Nope",
    ] {
        expect(text, "BROKEN", None);
    }
    assert!(!by_text.contains_key("image"), "images are not links");
    assert_eq!(
        by_text["abs www"]["href"], "http://www.links.example/blog/bar?x=1#frag",
        "href kept as written"
    );
    let broken = api.data(r#"{ post(slug: "linker") { links(kind: BROKEN) { href } } }"#);
    assert_eq!(broken["post"]["links"].as_array().map(Vec::len), Some(4));
}

#[test]
fn backlinks_are_newest_first_and_never_from_drafts() {
    let api = site();
    let data = api.data(r#"{ foo: post(slug: "foo") { backlinks { totalCount nodes { slug } } } bar: post(slug: "bar") { backlinks { nodes { slug } } } }"#);
    assert_eq!(
        data["foo"]["backlinks"]["nodes"],
        json!([{"slug": "linker"}, {"slug": "bar"}])
    );
    assert_eq!(
        data["bar"]["backlinks"]["nodes"],
        json!([{"slug": "other"}, {"slug": "linker"}])
    );
    let preview = api.run_as(
        inkgraph::graph::Audience::Preview,
        r#"{ post(slug: "foo") { backlinks { totalCount } } }"#,
        json!({}),
    );
    assert_eq!(
        preview["data"]["post"]["backlinks"]["totalCount"], 3,
        "the preview sees the draft's link"
    );
}

#[test]
fn related_posts_explain_themselves() {
    let api = site();
    let data = api.data(r#"{ post(slug: "other") { related(first: 10) { post { slug } score sharedTags { slug } linked } } }"#);
    let related = data["post"]["related"].as_array().expect("related");
    assert_eq!(
        related[0]["post"]["slug"], "bar",
        "shares the rare tag and links to it"
    );
    assert_eq!(related[0]["linked"], true);
    let shared: BTreeSet<&str> = related[0]["sharedTags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(shared, BTreeSet::from(["maps", "rare"]));
    let scores: Vec<f64> = related
        .iter()
        .map(|r| r["score"].as_f64().expect("score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(related
        .iter()
        .all(|r| r["post"]["slug"] != "other" && r["post"]["slug"] != "draft"));
    assert!(api
        .error(r#"{ post(slug: "other") { related(first: 1000) { score } } }"#)
        .contains("first"));
}

#[test]
fn previous_and_next_walk_the_whole_list() {
    for api in [site(), Api::sample()] {
        let all = api.data("{ posts(first: 100) { nodes { slug } } }");
        let newest_first: Vec<String> = all["posts"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["slug"].as_str().expect("slug").to_string())
            .collect();
        let mut walked = vec![newest_first[0].clone()];
        loop {
            let data = api.data_with(
                "query($s: String!) { post(slug: $s) { previous { slug } } }",
                json!({"s": walked.last()}),
            );
            match data["post"]["previous"]["slug"].as_str() {
                Some(slug) => walked.push(slug.to_string()),
                None => break,
            }
        }
        assert_eq!(walked, newest_first);
        let oldest = newest_first.last().expect("posts");
        let data = api.data_with(
            "query($s: String!) { post(slug: $s) { next { slug } } }",
            json!({"s": oldest}),
        );
        assert_eq!(
            data["post"]["next"]["slug"].as_str(),
            newest_first
                .get(newest_first.len().wrapping_sub(2))
                .map(String::as_str)
        );
    }
    let sample = Api::sample();
    let data = sample.data(r#"{ post(slug: "what-i-let-the-machine-do") { previous(sameCategory: true) { categories } next(sameCategory: true) { slug } } }"#);
    assert_eq!(data["post"]["previous"]["categories"][0], "notes");
}

#[test]
fn resolve_finds_a_post_by_each_of_its_keys() {
    let api = Api::sample();
    let data = api.data(r#"{ post(slug: "the-legend-is-the-interface") { id sourcePath permalink url title serialNumber { value } aliases } }"#);
    let post = &data["post"];
    let mut refs: Vec<String> = vec![
        post["id"].as_str().expect("id").into(),
        post["sourcePath"].as_str().expect("path").into(),
        post["permalink"].as_str().expect("permalink").into(),
        post["url"].as_str().expect("url").into(),
        post["title"].as_str().expect("title").to_uppercase(),
        "the-legend-is-the-interface".into(),
        " 2024.blg.001 ".into(),
    ];
    refs.extend(
        post["aliases"]
            .as_array()
            .expect("aliases")
            .iter()
            .map(|a| a.as_str().expect("alias").to_string()),
    );
    for reference in refs {
        let found = api.data_with(
            "query($r: String!) { resolve(ref: $r) { slug } }",
            json!({"r": reference}),
        );
        assert_eq!(
            found["resolve"]["slug"], "the-legend-is-the-interface",
            "by `{reference}`"
        );
    }
    assert_eq!(
        api.data(r#"{ resolve(ref: "nothing at all") { slug } }"#)["resolve"],
        Value::Null
    );
}

#[test]
fn link_graph_and_tag_cooccurrence() {
    let api = site();
    let data = api.data("{ linkGraph { nodes { id kind label weight } edges { source target kind } } withTags: linkGraph(includeTags: true) { nodes { kind } edges { kind } } }");
    let graph = &data["linkGraph"];
    assert_eq!(graph["nodes"].as_array().map(Vec::len), Some(4));
    // linker→foo, linker→bar, bar→foo, other→bar: each pair once.
    assert_eq!(graph["edges"].as_array().map(Vec::len), Some(4));
    let with_tags = &data["withTags"];
    let tag_nodes = with_tags["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["kind"] == "tag")
        .count();
    assert_eq!(tag_nodes, 3);
    let tagged = with_tags["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["kind"] == "tag")
        .count();
    assert_eq!(tagged, 8);
    let tags = api.data(r#"{ tag(slug: "rare") { related { tag { slug } count } } }"#);
    assert_eq!(
        tags["tag"]["related"],
        json!([{"tag": {"slug": "maps"}, "count": 2}, {"tag": {"slug": "common"}, "count": 1}])
    );
}

/// A links B ⇔ A is among B's backlinks; `related` never holds the post itself or hidden
/// posts — on the fixtures, the sample blog, and the real corpus when present.
#[test]
fn link_properties_hold_everywhere() {
    use inkgraph::graph::Audience;
    let mut roots = vec![fixture("links_site"), sample_blog()];
    roots.extend(shared_corpus("joshbeckman"));
    for root in roots {
        let api = Api::new(&root, Visibility::default());
        let served = &api.served;
        let view = served.snapshot.view(Audience::Public);
        let graph = served.link_graph(Audience::Public);
        let visible = view.index.newest_first();
        for &a in visible {
            let targets: BTreeSet<u32> = graph
                .links(a)
                .iter()
                .filter_map(|l| l.target)
                .filter(|t| *t != a)
                .collect();
            for &b in visible {
                let a_links_b = targets.contains(&b);
                let in_backlinks = graph.backlinks(b).contains(&a);
                assert_eq!(
                    a_links_b,
                    in_backlinks,
                    "{}: post {a} → {b}",
                    root.display()
                );
            }
            for related in graph.related(view, a).iter() {
                assert_ne!(related.post, a, "{}: related to itself", root.display());
                assert!(
                    view.is_visible(related.post),
                    "{}: hidden post related",
                    root.display()
                );
            }
        }
    }
}

#[test]
fn real_corpus_links_resolve_as_published() {
    let Some(root) = shared_corpus("joshbeckman") else {
        return;
    };
    let api = Api::new(&root, Visibility::default());
    let served = &api.served;
    let graph = served.link_graph(inkgraph::graph::Audience::Public);
    let counts = graph.counts();
    assert!(counts.internal > 10, "{counts:?}");
    // Every broken link is shaped like a post link whose target really is absent.
    for (idx, post) in served.snapshot.posts.iter().enumerate() {
        for link in graph.links(idx as u32) {
            if link.kind == inkgraph::links::LinkKind::Broken && !link.href.starts_with("[[") {
                assert!(
                    served.snapshot.post_by_url(&link.href).is_none(),
                    "{}: {}",
                    post.doc.source_path,
                    link.href
                );
            }
            if link.href.contains("joshbeckman.org/blog/") || link.href.starts_with("/blog/") {
                assert_ne!(
                    link.kind,
                    inkgraph::links::LinkKind::External,
                    "{}",
                    link.href
                );
                assert_ne!(
                    link.kind,
                    inkgraph::links::LinkKind::Site,
                    "{}: post-shaped link to {}",
                    post.doc.source_path,
                    link.href
                );
            }
        }
    }
}

#[test]
fn check_reports_links_and_can_fail_on_broken_ones() {
    let root = fixture("links_site");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_inkgraph"))
            .args(["check", "--content", root.to_str().expect("utf-8")])
            .args(extra)
            .output()
            .expect("runs")
    };
    let text = run(&[]);
    assert!(
        text.status.success(),
        "broken links are warnings by default"
    );
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains("links: 24 total, 12 internal, 3 site, 1 external, 4 broken")
            || out.contains(" broken"),
        "{out}"
    );
    assert!(
        out.contains("broken: blog/_posts/2021-01-01-linker.md:21: /blog/does-not-exist"),
        "{out}"
    );
    assert!(
        out.contains(
            "WARNING blog/_posts/2021-01-01-linker.md:21: broken link `/blog/does-not-exist`"
        ),
        "{out}"
    );
    let strict = run(&["--fail-on-broken-links"]);
    assert_eq!(strict.status.code(), Some(1));
    let json = run(&["--format", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report["links"]["broken"], 4);
    assert_eq!(report["brokenLinks"].as_array().map(Vec::len), Some(4));
}

/// The link graph is built from each post's links without rendering any post (what a start
/// waits for before `related` and backlinks answer), and it is the graph the renderings
/// give: same links, kinds, lines, targets, backlinks and related posts, for both audiences,
/// on the fixtures with every link form (Liquid `post_url`, wiki links found and not found,
/// raw HTML), the sample blog and the real corpus when present.
#[test]
fn the_link_graph_needs_no_rendering_and_matches_the_renderings() {
    use inkgraph::graph::Audience;
    use inkgraph::site::ServedSite;
    let mut roots = vec![
        fixture("links_site"),
        fixture("render_site"),
        fixture("fidelity_site"),
        sample_blog(),
    ];
    roots.extend(shared_corpus("joshbeckman"));
    for root in roots {
        let unrendered = ServedSite::new(load_dir(&root, Visibility::PREVIEW));
        let rendered = ServedSite::new(load_dir(&root, Visibility::PREVIEW));
        rendered.render_all();
        for audience in [Audience::Public, Audience::Preview] {
            let quick = unrendered.link_graph(audience);
            assert_eq!(
                unrendered.rendered_count(),
                0,
                "{}: building the link graph rendered posts",
                root.display()
            );
            let full = rendered.link_graph(audience);
            let view = rendered.snapshot.view(audience);
            assert!(!view.index.newest_first().is_empty(), "{}", root.display());
            for &idx in view.index.newest_first() {
                let path = &rendered.snapshot.post(idx).doc.source_path;
                assert_eq!(quick.links(idx), full.links(idx), "{path}");
                assert_eq!(quick.backlinks(idx), full.backlinks(idx), "{path}");
                assert_eq!(
                    *quick.related(view, idx),
                    *full.related(view, idx),
                    "{path}"
                );
            }
            assert_eq!(quick.counts(), full.counts(), "{}", root.display());
        }
        let links = rendered.link_graph(Audience::Public).counts();
        assert!(links.total > 0, "{}: {links:?}", root.display());
    }
}
