//! Hostile Liquid (issue #12): posts built to exhaust memory, the stack or time. Each one
//! renders within a generous bound, without its hostile part, with a warning naming the
//! render limit, and the other post of the site renders normally. The posts are generated
//! here, never committed.

use crate::common;

use common::Api;
use inkgraph::graph::Visibility;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Far above what any case takes now (they took minutes, or aborted, before).
const GENEROUS: Duration = Duration::from_secs(30);

const BEFORE: &str = "Before the hostile part.";
const AFTER: &str = "After the hostile part.";

/// What one site answered.
struct Rendered {
    hostile_html: String,
    neighbour_html: String,
    /// Messages of the diagnostics about the hostile post.
    diagnostics: Vec<String>,
    elapsed: Duration,
}

/// A Jekyll site with the hostile post (`body` between two paragraphs), a neighbour post
/// and `includes`, rendered through the API.
fn render_site(body: &str, includes: &[(String, String)]) -> Rendered {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "_config.yml", "title: Hostile\n");
    write(
        root,
        "_posts/2024-01-02-neighbour.md",
        "---\ntitle: Neighbour\n---\nThe neighbour says {{ page.title | upcase }}.\n",
    );
    write(
        root,
        "_posts/2024-01-01-hostile.md",
        &format!("---\ntitle: Hostile\n---\n{BEFORE}\n\n{body}\n\n{AFTER}\n"),
    );
    for (name, text) in includes {
        write(root, &format!("_includes/{name}"), text);
    }

    let started = Instant::now();
    let api = Api::new(root, Visibility::default());
    let data = api.data("{ posts { nodes { slug html } } diagnostics { path line message } }");
    let elapsed = started.elapsed();

    let html = |slug: &str| -> String {
        data["posts"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["slug"] == slug)
            .and_then(|n| n["html"].as_str())
            .unwrap_or_else(|| panic!("no post {slug}"))
            .to_owned()
    };
    let diagnostics = data["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["path"] == "_posts/2024-01-01-hostile.md")
        // Liquid problems point at their tag; the HTML nesting warning is about the output.
        .inspect(|d| {
            let liquid = d["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Liquid"));
            assert!(!liquid || d["line"].as_u64().is_some(), "not located: {d}")
        })
        .filter_map(|d| d["message"].as_str().map(str::to_owned))
        .collect();
    Rendered {
        hostile_html: html("hostile"),
        neighbour_html: html("neighbour"),
        diagnostics,
        elapsed,
    }
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
    std::fs::write(path, text).expect("write");
}

/// The checks every case shares: quick enough, the text around the hostile part kept, a
/// warning naming `limit`, the neighbour unharmed.
fn assert_contained(case: &str, rendered: &Rendered, limit: &str) {
    assert!(
        rendered.elapsed < GENEROUS,
        "{case}: took {:?}",
        rendered.elapsed
    );
    assert!(
        rendered.hostile_html.contains(BEFORE) && rendered.hostile_html.contains(AFTER),
        "{case}: {}",
        shorten(&rendered.hostile_html)
    );
    assert!(
        rendered
            .diagnostics
            .iter()
            .any(|m| m.contains(limit) && m.contains("render limit")),
        "{case}: no warning naming `{limit}`: {:#?}",
        rendered.diagnostics
    );
    assert_eq!(
        rendered.neighbour_html, "<p>The neighbour says NEIGHBOUR.</p>\n",
        "{case}"
    );
}

fn shorten(text: &str) -> String {
    text.chars().take(300).collect()
}

#[test]
fn a_huge_range_with_break_is_left_out() {
    let rendered = render_site("{% for i in (1..9999999999) %}{% break %}{% endfor %}", &[]);
    assert_contained("range", &rendered, "loops run more than 100000 times");
}

#[test]
fn five_thousand_nested_ifs_are_left_out() {
    let rendered = render_site(&"{% if a %}".repeat(5_000), &[]);
    assert_contained("nested if", &rendered, "blocks nest more than 100 deep");
    assert!(!rendered.hostile_html.contains("{%"));
}

#[test]
fn four_thousand_nested_fors_are_left_out() {
    let body = format!(
        "{}deep{}",
        "{% for i in (1..1) %}".repeat(4_000),
        "{% endfor %}".repeat(4_000)
    );
    let rendered = render_site(&body, &[]);
    assert_contained("nested for", &rendered, "blocks nest more than 100 deep");
    // The innermost blocks, with the text they hold, are what nests too deep.
    assert!(!rendered.hostile_html.contains("deep"));
}

#[test]
fn a_long_elsif_chain_and_a_long_condition_are_left_out() {
    let body = format!(
        "{{% if a %}}{}{{% endif %}}\n\n{{% if a {}%}}x{{% endif %}}",
        "{% elsif a %}".repeat(50_000),
        "and a ".repeat(50_000)
    );
    let rendered = render_site(&body, &[]);
    assert_contained("elsif", &rendered, "blocks nest more than 100 deep");
}

#[test]
fn includes_fanning_out_ten_times_per_level_are_left_out() {
    let mut includes: Vec<(String, String)> = (0..8)
        .map(|level| {
            (
                format!("level{level}.html"),
                format!("{{% include level{}.html %}}", level + 1).repeat(10),
            )
        })
        .collect();
    includes.push(("level8.html".to_owned(), "leaf ".to_owned()));
    let rendered = render_site("{% include level0.html %}", &includes);
    assert_contained("include fan-out", &rendered, "more than 1000 includes");
    assert!(!rendered.hostile_html.contains("leaf"));
}

#[test]
fn three_nested_loops_of_a_thousand_are_left_out() {
    let rendered = render_site(
        "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}",
        &[],
    );
    assert_contained(
        "nested loops",
        &rendered,
        "loops run more than 100000 times",
    );
    assert!(!rendered.hostile_html.contains("xxx"));
}

#[test]
fn a_small_loop_writing_hundreds_of_megabytes_is_left_out() {
    let body = format!(
        "{{% for i in (1..3000000) %}}{}{{% endfor %}}",
        "x".repeat(100)
    );
    let rendered = render_site(&body, &[]);
    assert_contained("300 MB loop", &rendered, "loops run more than 100000 times");
    // Within the iteration limit, the output limit stops it.
    let body = format!(
        "{{% for i in (1..90000) %}}{}{{% endfor %}}",
        "x".repeat(100)
    );
    let rendered = render_site(&body, &[]);
    assert_contained("9 MB loop", &rendered, "output over 8 MiB");
    assert!(!rendered.hostile_html.contains("xxx"));
}

#[test]
fn values_doubled_by_filters_and_captures_are_left_out() {
    let doubling = "{% assign a = a | append: a %}".repeat(40);
    let capturing = "{% capture c %}{{ c }}{{ c }}{% endcapture %}".repeat(40);
    let rendered = render_site(
        &format!(
            "{{% assign a = 'aaaaaaaa' %}}{doubling}\n\n{{% assign c = 'cccccccc' %}}{capturing}"
        ),
        &[],
    );
    assert_contained("doubling", &rendered, "over 8 MiB");
}

#[test]
fn unbalanced_output_braces_render_in_linear_time() {
    let rendered = render_site(&"{{".repeat(20_000), &[]);
    assert!(rendered.elapsed < GENEROUS, "took {:?}", rendered.elapsed);
    assert!(rendered.hostile_html.contains(BEFORE) && rendered.hostile_html.contains(AFTER));
    assert!(!rendered.hostile_html.contains("{{"));
    assert!(!rendered.diagnostics.is_empty());
    // Bounded, however many problems there are.
    assert!(
        rendered.diagnostics.len() <= 101,
        "{}",
        rendered.diagnostics.len()
    );
}

#[test]
fn real_size_loops_render_fully() {
    let posts: Vec<Value> = (1..=500)
        .map(|i| serde_json::json!({ "title": format!("Post {i}"), "tags": ["a", "b"] }))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "_config.yml", "title: Real\n");
    let front = serde_json::to_string(&serde_json::json!({ "title": "Index", "items": posts }))
        .expect("json");
    write(
        root,
        "_posts/2024-01-01-index.md",
        &format!(
            "---\n{front}\n---\n{{% for p in page.items %}}<i>{{{{ p.title }}}}{{% for t in p.tags %}}[{{{{ t }}}}]{{% endfor %}}</i>{{% endfor %}}\n\n{{% for i in (1..500) %}}<b>{{{{ i }}}}</b>{{% endfor %}}\n"
        ),
    );
    let api = Api::new(root, Visibility::default());
    let data = api.data("{ posts { nodes { html } } diagnostics { message } }");
    let html = data["posts"]["nodes"][0]["html"].as_str().expect("html");
    assert_eq!(html.matches("<i>Post ").count(), 500);
    assert_eq!(html.matches("[a][b]").count(), 500);
    assert!(html.contains("<i>Post 500[a][b]</i>"));
    assert_eq!(html.matches("<b>").count(), 500);
    assert!(html.contains("<b>500</b>"));
    assert_eq!(data["diagnostics"], serde_json::json!([]), "{data:#}");
}

/// The Markdown pass after Liquid: comrak nests blockquotes and emphasis without recursion
/// and caps list nesting itself, so deep Markdown does not overflow a small stack either.
#[test]
fn deeply_nested_markdown_renders() {
    let body = format!(
        "{} deep quote\n\n{}x\n\n{}deep emphasis{}\n\n{}link{}",
        ">".repeat(3_000),
        "- ".repeat(3_000),
        "*a ".repeat(3_000),
        " a*".repeat(3_000),
        "[".repeat(3_000),
        "](/x)".repeat(3_000)
    );
    let rendered = render_site(&body, &[]);
    assert!(rendered.elapsed < GENEROUS, "took {:?}", rendered.elapsed);
    assert!(rendered.hostile_html.contains("deep quote"));
    assert!(rendered.hostile_html.contains(AFTER));
    assert_eq!(
        rendered.neighbour_html,
        "<p>The neighbour says NEIGHBOUR.</p>\n"
    );
}
