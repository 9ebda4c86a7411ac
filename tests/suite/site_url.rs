//! One URL model (`corpus::SiteUrl`) through every entry point: with `url:
//! https://example.org` and `baseurl: /blog`, each way of writing a URL of the site (`www.`,
//! default ports, either scheme, user info, a trailing slash or none, `.html`,
//! `index.html`, query and fragment) is the site's everywhere — `post(url:)`, `resolve`,
//! link kinds in `links`, `backlinks` and `linkGraph`, and `html(sanitize: true)`'s `rel` —
//! and each URL of another site (other port, subdomain, look-alike host) is nobody's post
//! everywhere. The site is generated per test run, one post per URL form so each form's
//! link is the only edge its post can have.

use crate::common::Api;
use inkgraph::graph::Visibility;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

/// Ways to write the target post's URL (`https://example.org/blog/target/`) that are the site's.
const THE_SITES: &[&str] = &[
    "https://example.org/blog/target/",
    "https://www.example.org/blog/target/",
    "HTTPS://WWW.Example.ORG/blog/target/",
    "http://example.org/blog/target/",
    "https://example.org:443/blog/target/",
    "http://www.example.org:80/blog/target/",
    "https://me:secret@example.org/blog/target/",
    "https://example.org./blog/target/",
    "https://example.org/blog/target",
    "https://example.org/blog/target.html",
    "https://example.org/blog/target/index.html",
    "https://example.org/blog/target/?utm_source=feed#part",
    "https://www.example.org:443/blog/target?x=1",
    "//example.org/blog/target/",
    "/blog/target/",
    "/blog/target.html#part",
];

/// URLs of other sites, with the target's path.
const OTHER_SITES: &[&str] = &[
    "https://example.org:8443/blog/target/",
    "https://example.org:80/blog/target/",
    "https://sub.example.org/blog/target/",
    "https://example.org.evil.test/blog/target/",
    "https://example.org@evil.test/blog/target/",
    "https://notexample.org/blog/target/",
];

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Slug of the post that links to `hrefs()[i]`.
fn via(i: usize) -> String {
    format!("via-{i}")
}

fn hrefs() -> impl Iterator<Item = (usize, &'static str, bool)> {
    THE_SITES
        .iter()
        .map(|h| (*h, true))
        .chain(OTHER_SITES.iter().map(|h| (*h, false)))
        .enumerate()
        .map(|(i, (h, internal))| (i, h, internal))
}

fn site() -> &'static Api {
    static SITE: OnceLock<(tempfile::TempDir, Api)> = OnceLock::new();
    &SITE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = dir.path();
            write(
                root,
                "_config.yml",
                "title: URLs\nurl: https://example.org\nbaseurl: /blog\npermalink: /:title/\n",
            );
            write(
                root,
                "_posts/2020-01-01-target.md",
                "---\ntitle: Target\n---\nThe post every link is after.\n",
            );
            write(
                root,
                "_posts/2020-01-02-tags.md",
                "---\ntitle: Tags\n---\n[post url]({% post_url 2020-01-01-target %}) [link]({% link _posts/2020-01-01-target.md %}) {{ page.url }} {{ '/target/' | absolute_url }} {{ site.url }}\n",
            );
            for (i, href, _) in hrefs() {
                write(
                    root,
                    &format!("_posts/2020-02-{:02}-{}.md", i + 1, via(i)),
                    &format!("---\ntitle: Via {i}\n---\nSee [the target]({href}).\n"),
                );
            }
            let api = Api::new(root, Visibility::default());
            (dir, api)
        })
        .1
}

fn post(slug: &str, fields: &str) -> Value {
    site().data_with(
        &format!("query($slug: String!) {{ post(slug: $slug) {{ {fields} }} }}"),
        json!({ "slug": slug }),
    )["post"]
        .clone()
}

#[test]
fn post_by_url_and_resolve_find_the_post_by_every_url_of_the_site() {
    let api = site();
    for (_, href, internal) in hrefs() {
        let data = api.data_with(
            "query($u: String!) { post(url: $u) { slug } resolve(ref: $u) { slug } }",
            json!({ "u": href }),
        );
        let expected = internal.then_some("target");
        assert_eq!(data["post"]["slug"].as_str(), expected, "post(url: {href})");
        assert_eq!(
            data["resolve"]["slug"].as_str(),
            expected,
            "resolve(ref: {href})"
        );
    }
}

#[test]
fn links_are_internal_exactly_for_urls_of_the_site() {
    for (i, href, internal) in hrefs() {
        let links = post(&via(i), "links { href kind domain target { slug } }")["links"].clone();
        let link = &links[0];
        assert_eq!(link["href"], href);
        if internal {
            assert_eq!(link["kind"], "INTERNAL", "{href}: {link}");
            assert_eq!(link["target"]["slug"], "target", "{href}: {link}");
        } else {
            assert_eq!(link["kind"], "EXTERNAL", "{href}: {link}");
            assert!(link["domain"].is_string(), "{href}: {link}");
        }
    }
    let domain = |i: usize| post(&via(i), "links { domain }")["links"][0]["domain"].clone();
    let other = THE_SITES.len();
    assert_eq!(domain(other), "example.org:8443");
    assert_eq!(domain(other + 2), "sub.example.org");
    assert_eq!(domain(other + 4), "evil.test");
}

#[test]
fn backlinks_and_the_link_graph_count_every_url_of_the_site_and_no_other() {
    let api = site();
    let expected: BTreeSet<String> = hrefs()
        .filter(|(_, _, internal)| *internal)
        .map(|(i, _, _)| via(i))
        .chain(["tags".to_owned()])
        .collect();
    let backlinks = post("target", "backlinks(first: 100) { nodes { slug } }");
    let from: BTreeSet<String> = backlinks["backlinks"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_owned())
        .collect();
    assert_eq!(from, expected);

    let data = api.data("{ linkGraph { nodes { id label } edges { source target } } }");
    let label = |id: &Value| {
        data["linkGraph"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["id"] == *id)
            .map(|n| n["label"].as_str().expect("label").to_owned())
            .expect("an edge's ends are nodes")
    };
    let into_target: BTreeSet<String> = data["linkGraph"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| label(&e["target"]) == "Target")
        .map(|e| label(&e["source"]))
        .collect();
    let expected_labels: BTreeSet<String> = hrefs()
        .filter(|(_, _, internal)| *internal)
        .map(|(i, _, _)| format!("Via {i}"))
        .chain(["Tags".to_owned()])
        .collect();
    assert_eq!(into_target, expected_labels);
}

#[test]
fn sanitized_html_marks_exactly_the_links_to_other_sites() {
    for (i, href, internal) in hrefs() {
        let html = post(&via(i), "html(sanitize: true)")["html"]
            .as_str()
            .expect("html")
            .to_owned();
        let marked = html.contains("rel=\"noopener nofollow\"");
        assert_eq!(marked, !internal, "{href}: {html}");
    }
}

#[test]
fn post_url_link_and_url_filters_use_the_baseurl() {
    let data = post("tags", "html links { text kind target { slug } }");
    let html = data["html"].as_str().expect("html");
    assert!(
        html.contains(r#"<a href="/blog/target/">post url</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/blog/target/">link</a>"#),
        "{html}"
    );
    // page.url, then absolute_url and site.url (autolinked by the Markdown pass).
    assert!(html.contains(" /blog/tags/ "), "{html}");
    assert!(
        html.contains(r#"<a href="https://example.org/blog/target/">"#),
        "{html}"
    );
    assert!(html.contains(r#"<a href="https://example.org">"#), "{html}");
    let kinds: Vec<(String, String)> = data["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            let target = l["target"]["slug"].as_str().unwrap_or("-");
            (
                l["text"].as_str().expect("text").to_owned(),
                format!("{} {target}", l["kind"]),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("post url".to_owned(), "\"INTERNAL\" target".to_owned()),
            ("link".to_owned(), "\"INTERNAL\" target".to_owned()),
            (
                "https://example.org/blog/target/".to_owned(),
                "\"INTERNAL\" target".to_owned()
            ),
            ("https://example.org".to_owned(), "\"SITE\" -".to_owned()),
        ]
    );
    assert_eq!(
        post("target", "url")["url"],
        "https://example.org/blog/target/"
    );
    assert_eq!(
        site().data("{ site { url } }")["site"]["url"],
        "https://example.org/blog"
    );
}
