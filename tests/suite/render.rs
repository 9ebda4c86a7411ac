//! Rendering fidelity: HTML snapshots of one fixture post per feature (tests/fixtures/
//! render_site), plus the fields derived from the same pass.

use crate::common;

use common::*;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn site() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| Api::new(&fixture("render_site"), Visibility::default()))
}

fn post(slug: &str, fields: &str) -> Value {
    let data = site().data_with(
        &format!("query($slug: String!) {{ post(slug: $slug) {{ {fields} }} }}"),
        json!({ "slug": slug }),
    );
    data["post"].clone()
}

fn html(slug: &str) -> String {
    post(slug, "html")["html"]
        .as_str()
        .expect("html")
        .to_string()
}

macro_rules! html_snapshot {
    ($name:ident, $slug:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(html($slug));
        }
    };
}

html_snapshot!(gfm_tables_tasks_footnotes, "gfm");
html_snapshot!(heading_ids_and_smart_punctuation, "headings");
html_snapshot!(alerts_and_math, "alerts-math");
html_snapshot!(highlighted_code, "code");
html_snapshot!(kramdown_attribute_lists_and_toc, "kramdown");
html_snapshot!(jekyll_liquid, "liquid");
html_snapshot!(wiki_links, "wiki");
html_snapshot!(raw_html_kept, "images");
html_snapshot!(liquid_off, "no-liquid");

#[test]
fn nothing_leaks_and_ids_are_unique() {
    for node in site().data("{ posts(first: 100) { nodes { slug html } } }")["posts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        // `render_with_liquid: false` shows its Liquid as written, on purpose.
        .filter(|n| n["slug"] != "no-liquid")
    {
        let html = node["html"].as_str().expect("html");
        let prose = strip_code(html);
        for leak in ["{%", "{:", "[[", "{{ site"] {
            assert!(
                !prose.contains(leak),
                "{} leaks {leak}: {prose}",
                node["slug"]
            );
        }
        assert_unique_ids(html, node["slug"].as_str().unwrap_or(""));
    }
}

#[test]
fn footnotes_link_both_ways() {
    let html = html("gfm");
    for (a, b) in [
        ("href=\"#fn-1\"", "id=\"fn-1\""),
        ("href=\"#fnref-1\"", "id=\"fnref-1\""),
        ("href=\"#fn-note\"", "id=\"fn-note\""),
    ] {
        assert!(html.contains(a) && html.contains(b), "{a} / {b}: {html}");
    }
}

#[test]
fn alerts_render_as_blocks() {
    let html = html("alerts-math");
    assert!(html.contains("<div class=\"markdown-alert markdown-alert-note\">"));
    assert!(html.contains("<div class=\"markdown-alert markdown-alert-warning\">"));
    assert!(html.contains("data-math-style=\"display\""));
}

#[test]
fn unknown_language_code_stays_plain_and_escaped() {
    let html = html("code");
    assert!(html.contains("plain &lt;text&gt; &amp; stuff"), "{html}");
    assert!(
        !html.contains("style="),
        "classes, not inline styles: {html}"
    );
}

#[test]
fn headings_toc_and_reading_time() {
    let data = post(
        "headings",
        "headings { level text anchor } tableOfContents(maxDepth: 2) { level text anchor children { text } } wordCount readingTimeMinutes hasToc",
    );
    let anchors: Vec<&str> = data["headings"]
        .as_array()
        .expect("headings")
        .iter()
        .map(|h| h["anchor"].as_str().expect("anchor"))
        .collect();
    assert_eq!(
        anchors,
        [
            "intro",
            "setup--tools",
            "details",
            "setup--tools-1",
            "dont-panic-quotes--and-dashes",
            "my-id"
        ]
    );
    // maxDepth 2: the h3s are dropped; the h2s nest under the h1.
    let toc = &data["tableOfContents"];
    assert_eq!(toc.as_array().map(Vec::len), Some(1));
    assert_eq!(toc[0]["text"], "Intro");
    let children: Vec<&str> = toc[0]["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["text"].as_str().expect("text"))
        .collect();
    assert_eq!(
        children,
        [
            "Setup & Tools",
            "Setup & Tools",
            "Don’t Panic: “quotes” – and dashes…"
        ]
    );
    assert_eq!(data["readingTimeMinutes"], 1);
    assert_eq!(data["hasToc"], true);
}

#[test]
fn excerpts_stop_at_the_separator_and_cut_on_words() {
    let plain = post(
        "excerpt",
        r#"a: excerpt b: excerpt(words: 5) c: excerpt(words: 6, format: HTML) d: excerpt(words: 3, format: MARKDOWN)"#,
    );
    assert_eq!(
        plain["a"],
        "This is the part before the separator, with bold words and a link in it, long enough to cut. Still before."
    );
    assert_eq!(plain["b"], "This is the part before…");
    assert_eq!(plain["c"], "<p>This is the part before the…</p>");
    assert_eq!(plain["d"], "This is the…");
    // Without a separator in the post: the first paragraph.
    let gfm = post("wiki", "excerpt(words: 4)");
    assert_eq!(gfm["excerpt"], "See GFM basics, the…");
}

#[test]
fn word_count_and_reading_time_by_hand() {
    // "Shown as written: {{ site.title }} and {% raw %}." → 6 words: Shown, as, written:,
    // site.title, and, raw (tokens without a letter or digit, like `{{`, are not words).
    let data = post("no-liquid", "wordCount readingTimeMinutes plainText");
    assert_eq!(data["wordCount"], 6);
    assert_eq!(data["readingTimeMinutes"], 1);
    assert_eq!(
        data["plainText"],
        "Shown as written: {{ site.title }} and {% raw %}."
    );
}

#[test]
fn images_from_markdown_and_html() {
    let data = post("images", "images { src alt title }");
    assert_eq!(
        data["images"],
        json!([
            {"src": "/img/map.png", "alt": "A map", "title": "The map"},
            {"src": "/img/fig.png", "alt": "Figure", "title": null}
        ])
    );
}

#[test]
fn sanitized_html_keeps_formatting_and_drops_scripts() {
    let data = post("images", "html(sanitize: true)");
    let html = data["html"].as_str().expect("html");
    assert!(
        !html.contains("<script") && !html.contains("onclick"),
        "{html}"
    );
    assert!(
        html.contains("youtube.com/embed/xyz"),
        "allow-listed iframe kept: {html}"
    );
    assert!(html.contains("<figcaption>Caption</figcaption>"));
    let code = post("code", "html(sanitize: true)");
    assert!(
        code["html"]
            .as_str()
            .expect("html")
            .contains("class=\"hl-keyword\""),
        "highlight classes survive"
    );
}

#[test]
fn render_problems_are_diagnostics_with_lines() {
    let data = site().data("{ diagnostics { severity path line message } }");
    let diagnostics = data["diagnostics"].as_array().expect("list");
    let find = |needle: &str| {
        diagnostics
            .iter()
            .find(|d| d["message"].as_str().is_some_and(|m| m.contains(needle)))
            .cloned()
    };
    let youtube = find("youtube").expect("unknown tag reported");
    assert_eq!(
        (youtube["path"].as_str(), youtube["line"].as_i64()),
        (Some("_posts/2024-01-06-liquid.md"), Some(21))
    );
    let wiki = find("No Such Post").expect("unresolved wiki link reported");
    assert_eq!(
        (wiki["severity"].as_str(), wiki["line"].as_i64()),
        (Some("WARNING"), Some(4))
    );
}

#[test]
fn real_corpus_has_no_leaked_syntax_and_unique_ids() {
    let Some(root) = shared_corpus("joshbeckman") else {
        return;
    };
    let api = Api::new(&root, Visibility::default());
    let mut checked = 0;
    let mut after = Value::Null;
    loop {
        let page = api.data_with(
            "query($after: String) { posts(first: 50, after: $after) { nodes { sourcePath html } pageInfo { hasNextPage endCursor } } }",
            json!({ "after": after }),
        );
        for node in page["posts"]["nodes"].as_array().expect("nodes") {
            let path = node["sourcePath"].as_str().unwrap_or("");
            let html = node["html"].as_str().expect("html");
            let prose = strip_code(html);
            for leak in ["{%", "{:", "]]{", "[[", "{{ site"] {
                assert!(!prose.contains(leak), "{path} leaks `{leak}`");
            }
            assert_unique_ids(html, path);
            // In prose only: code may hold `[^…]` (a regex character class), which the
            // tree-sitter highlighter leaves in one span.
            if prose.contains("[^") {
                panic!("{path}: unresolved footnote syntax");
            }
            checked += 1;
        }
        if page["posts"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["posts"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(checked, 148);
}

/// HTML with `<pre>…</pre>` and `<code>…</code>` removed.
fn strip_code(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    loop {
        let next = ["<pre", "<code"]
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min();
        let Some((start, tag)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..start]);
        let close = if tag == "<pre" { "</pre>" } else { "</code>" };
        match rest[start..].find(close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => return out,
        }
    }
}

fn assert_unique_ids(html: &str, what: &str) {
    let mut seen = std::collections::HashSet::new();
    for part in html.split(" id=\"").skip(1) {
        let id = part.split('"').next().unwrap_or("");
        assert!(seen.insert(id.to_string()), "{what}: duplicate id `{id}`");
    }
}
