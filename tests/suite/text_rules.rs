//! The small text rules every stage shares (`inkgraph::text`): the word count and the
//! rendered HTML agree on what is fenced code, and raw-HTML links are read by one tag
//! scanner. Each post here is written where the old copies of a rule disagreed.

use crate::common::Api;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};

/// Fences the word count used to read differently from rendering: a `~~~` inside a `~~~~`
/// block (it closed the block), ```` ```x``` ```` at a line start (a code span, which opened a
/// "block" to the end of the post), and a closing-looking line with text after it.
const FENCES: &str = "---\ntitle: Fences\n---\nOne two three.\n\n~~~~\ncode inside\n~~~\nstill code inside [[Raw Links]]\n~~~~\n\nFour five.\n\n```x``` six seven.\n\n```\n``` still code\n```\n\nEight nine.\n";

const RAW_LINKS: &str = "---\ntitle: Raw Links\n---\n<p><a title=\"see href=/wrong\" href=\"/right\">right</a> <a/href=\"/slash\">slash</a></p>\n";

fn site() -> (tempfile::TempDir, Api) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("fences.md"), FENCES).expect("write");
    std::fs::write(dir.path().join("raw-links.md"), RAW_LINKS).expect("write");
    let api = Api::new(dir.path(), Visibility::default());
    (dir, api)
}

fn post(api: &Api, slug: &str, fields: &str) -> Value {
    api.data_with(
        &format!("query($slug: String!) {{ post(slug: $slug) {{ {fields} }} }}"),
        json!({ "slug": slug }),
    )["post"]
        .clone()
}

fn words(text: &str) -> u64 {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count() as u64
}

#[test]
fn word_count_and_rendering_agree_on_fenced_code() {
    let (_dir, api) = site();
    let data = post(&api, "fences", "wordCount plainText html");
    let html = data["html"].as_str().expect("html");
    for code in ["code inside", "still code inside", "``` still code"] {
        let at = html
            .find(code)
            .unwrap_or_else(|| panic!("{code:?} in {html}"));
        let pre = html[..at].rfind("<pre").expect("inside a <pre>");
        assert!(
            !html[pre..at].contains("</pre>"),
            "{code:?} is code: {html}"
        );
    }
    // The wiki-link rewrite left the code alone too.
    assert!(html.contains("[[Raw Links]]"), "{html}");
    let plain = data["plainText"].as_str().expect("plainText");
    assert_eq!(words(plain), 10, "{plain}");
    assert_eq!(data["wordCount"], 10, "prose words only: {plain}");
}

#[test]
fn raw_html_links_are_read_by_attribute_not_by_text() {
    let (_dir, api) = site();
    let data = post(&api, "raw-links", "links { href text }");
    assert_eq!(
        data["links"],
        json!([
            { "href": "/right", "text": "right" },
            { "href": "/slash", "text": "slash" },
        ])
    );
}
