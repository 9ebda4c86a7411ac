//! Rendering fidelity against Jekyll 4.3 / kramdown 2.4 (issue #19): one small fixture
//! (tests/fixtures/fidelity_site) per class of difference readers saw. Every expected string
//! is what `jekyll build` writes for the same file (checked with
//! `scripts/compare-jekyll/compare.py tests/fixtures/fidelity_site`).

use crate::common;

use common::*;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn site() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| Api::new(&fixture("fidelity_site"), Visibility::default()))
}

fn post(slug: &str) -> Value {
    site().data_with(
        "query($slug: String!) { post(slug: $slug) { html permalink } }",
        json!({ "slug": slug }),
    )["post"]
        .clone()
}

fn html(slug: &str) -> String {
    post(slug)["html"].as_str().expect("html").to_string()
}

/// Class 1: `_config.yml` `defaults` set front-matter keys, scoped by path (folder or glob)
/// and type, for every key: `render_with_liquid: false` keeps Go-template markup, and
/// `page.*` sees defaulted values.
#[test]
fn config_defaults_apply_by_path_glob_and_type() {
    let go = html("templates");
    assert!(
        go.contains("A shortcode: {{raw “<b>kept</b>”}} stays.")
            && go.contains("{{image &quot;a.png&quot;}}"),
        "render_with_liquid: false from defaults is ignored: {go}"
    );
    assert_eq!(
        html("glob-match").trim(),
        "<p>From a glob scope, by Ann Default.</p>"
    );
    // A `type: pages` scope does not reach posts; `type: posts` does.
    assert!(
        html("first").contains("<p>By Ann Default.</p>"),
        "{}",
        html("first")
    );
}

/// Class 2: escaped brackets and indented code are never wiki links, and a site with no
/// working wiki link shows `[[…]]` as written (as Jekyll without a wiki plugin does).
#[test]
fn brackets_that_are_not_wiki_links_stay() {
    let html = html("changelog");
    assert!(
        html.contains("<li>[<a href=\"https://example.org/commit/5f21755e60\"><code>5f21755e60</code></a>] - keep [[noreturn]] as written</li>"),
        "{html}"
    );
    assert!(
        html.contains("git clone [[https://example.org/repo][the repo]]"),
        "{html}"
    );
    assert!(
        html.contains("<p>A C++ attribute in prose: [[noreturn]].</p>"),
        "{html}"
    );
}

/// Class 3: post permalinks follow `collections.posts.permalink`; `{% link %}` reaches pages
/// (their `permalink`) and other collections (Jekyll's default for the collection).
#[test]
fn post_url_and_link_follow_collections_and_pages() {
    assert_eq!(post("first")["permalink"], "/news/2020/01/01/first/");
    let html = html("first");
    for link in [
        "<a href=\"/news/2020/01/03/glob-match/\">second</a>",
        "<a href=\"/docs/history/\">history</a>",
        "<a href=\"/about-us/\">about</a>",
    ] {
        assert!(html.contains(link), "{link} missing: {html}");
    }
}

/// Class 4: smart quotes decided as kramdown decides them, after span elements.
#[test]
fn smart_quotes_after_code_and_before_dashes() {
    assert_eq!(
        html("quotes").trim(),
        "<p>The <code>P</code>’s value and <strong>“-cover”</strong> flag.</p>"
    );
}

/// A Jekyll site that does use wiki links keeps them (`render_site` has one post that
/// names another).
#[test]
fn wiki_sites_keep_their_links() {
    let api = Api::new(&fixture("render_site"), Visibility::default());
    let data = api.data_with(
        "query($slug: String!) { post(slug: $slug) { html } }",
        json!({ "slug": "wiki" }),
    );
    let html = data["post"]["html"].as_str().expect("html");
    assert!(html.contains("<a href=\"/gfm\">GFM basics</a>"), "{html}");
    assert!(html.contains(" and No Such Post."), "{html}");
}

/// Class 7: kramdown attribute lists are applied: span IALs on links and images, and a block
/// IAL on the line before a heading gives it its id (the headings list follows).
#[test]
fn kramdown_attribute_lists_are_applied() {
    let html = html("attributes");
    assert!(
        html.contains("<a href=\"https://example.org/\" target=\"_blank\">new tab</a>")
            && html.contains("<img src=\"/a.png\" alt=\"pic\" class=\"wide\" />"),
        "{html}"
    );
    assert!(
        html.contains("<h3 id=\"hr\">Horizontal Rule</h3>")
            && html.contains("<h2 id=\"inline\">Inline HTML</h2>"),
        "{html}"
    );
    let data = site().data_with(
        "query($slug: String!) { post(slug: $slug) { headings { anchor } } }",
        json!({ "slug": "attributes" }),
    );
    assert_eq!(
        data["post"]["headings"],
        json!([{ "anchor": "hr" }, { "anchor": "inline" }])
    );
    // `html(sanitize: true)` keeps to its own rules: no `target`.
    let data = site().data_with(
        "query($slug: String!) { post(slug: $slug) { html(sanitize: true) } }",
        json!({ "slug": "attributes" }),
    );
    assert!(!data["post"]["html"]
        .as_str()
        .unwrap_or("")
        .contains("target=\"_blank\""));
}

/// Class 6: Markdown right after a closing block-level HTML tag is Markdown, as in kramdown.
#[test]
fn markdown_after_a_closing_html_tag_is_parsed() {
    let html = html("after-html");
    assert!(
        html.contains(
            "</figure>\n<h3 id=\"custom-searches\">Custom Searches</h3>\n<p>Text after.</p>"
        ),
        "{html}"
    );
}

/// Class 8: a date Ruby's `Time.parse` reads (a year after the time: Ruby ignores what
/// follows the time) loads the post, as Jekyll does, instead of dropping it.
#[test]
fn dates_ruby_reads_load_the_post() {
    let data = site().data_with(
        "query($slug: String!) { post(slug: $slug) { date permalink } }",
        json!({ "slug": "ruby-date" }),
    );
    assert_eq!(data["post"]["permalink"], "/news/2020/01/08/ruby-date/");
    assert!(
        data["post"]["date"]
            .as_str()
            .is_some_and(|d| d.starts_with("2020-01-08T18:30:22")),
        "{data}"
    );
}

/// Class 5: a bare URL's escaped underscore is an underscore (kramdown shows
/// `Global_Objects`), and a non-breaking space ends the URL.
#[test]
fn autolinks_keep_to_the_url() {
    let html = html("autolinks");
    assert!(
        html.contains("Reference/Global_Objects/TypedArray</a> for more.") && !html.contains("%5C"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://example.org/path\">https://example.org/path</a>\u{a0}next word here."),
        "{html}"
    );
}
