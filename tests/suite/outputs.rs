//! The outputs other than GraphQL over HTTP: feeds (Atom, RSS, JSON Feed; per tag, category,
//! series and filter), the sitemap and `robots.txt`, oEmbed and the embed card. Each is read
//! back with a real parser (the `atom_syndication` and `rss` readers, serde_json); Python's
//! feedparser and xmllint check the same feeds from `.ci/run` (scripts/feeds/check.sh).

use crate::common;
use crate::http_support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use http_support::*;
use inkgraph::server::{HttpConfig, CACHE_STATUS_HEADER};
use serde_json::{json, Value};
use std::str::FromStr;

const TOKEN: &str = "preview-token-for-outputs-0123456789";
const SITE: &str = "https://inkgraph.example";
/// The sample blog's hidden posts: a draft and a post dated 2030.
const HIDDEN_TITLES: [&str; 2] = [
    "A Draft Idea: Maps of Smells",
    "A Letter to the Next Decade",
];
const HIDDEN_SLUGS: [&str; 2] = ["a-draft-idea", "a-letter-to-the-next-decade"];

fn server() -> TestServer {
    TestServer::sample(&HttpConfig {
        preview_token: Some(TOKEN.into()),
        ..HttpConfig::default()
    })
}

async fn fetch(server: &TestServer, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut builder = Request::get(target);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    server
        .send(builder.body(Body::empty()).expect("request"))
        .await
}

async fn ok(server: &TestServer, target: &str, headers: &[(&str, &str)]) -> Reply {
    let reply = fetch(server, target, headers).await;
    assert_eq!(reply.status, StatusCode::OK, "{target}: {}", reply.text());
    reply
}

const BEARER: &str = "Bearer preview-token-for-outputs-0123456789";

fn atom(reply: &Reply) -> atom_syndication::Feed {
    atom_syndication::Feed::from_str(&reply.text())
        .unwrap_or_else(|err| panic!("not Atom ({err}): {}", reply.text()))
}

fn rss(reply: &Reply) -> rss::Channel {
    rss::Channel::from_str(&reply.text())
        .unwrap_or_else(|err| panic!("not RSS ({err}): {}", reply.text()))
}

fn json_titles(feed: &Value) -> Vec<String> {
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_string())
        .collect()
}

#[tokio::test]
async fn site_feeds_come_in_three_formats_with_the_same_entries() {
    let server = server();
    let atom_reply = ok(&server, "/feed.xml", &[]).await;
    assert_eq!(
        atom_reply.header(header::CONTENT_TYPE),
        "application/atom+xml; charset=utf-8"
    );
    let feed = atom(&atom_reply);
    assert_eq!(feed.title.value, "Isobar & Ink");
    assert_eq!(feed.id, format!("{SITE}/feed.xml"));
    assert_eq!(feed.entries.len(), 10, "jekyll-feed's default posts_limit");
    let first = &feed.entries[0];
    assert_eq!(first.title.value, "Walking the Old Tram Line");
    assert_eq!(
        first.links[0].href,
        format!("{SITE}/blog/walking-the-old-tram-line")
    );
    assert_eq!(first.authors[0].name, "Ilse Marenholz");
    assert!(first.published.is_some());
    let content = first
        .content
        .as_ref()
        .and_then(|c| c.value.clone())
        .expect("content");
    assert!(content.contains("<p>"), "{content}");
    assert!(
        !content.contains("src=\"/") && !content.contains("href=\"/"),
        "relative links are made absolute: {content}"
    );
    assert!(first.summary.as_ref().is_some_and(|s| !s.value.is_empty()));
    // The front-matter image is an enclosure and a media:thumbnail.
    assert!(
        first
            .links
            .iter()
            .any(|l| l.rel == "enclosure" && l.href.starts_with(SITE)),
        "{:?}",
        first.links
    );
    assert!(atom_reply
        .text()
        .contains("<media:thumbnail url=\"https://"));

    let rss_reply = ok(&server, "/feed.rss", &[]).await;
    assert_eq!(
        rss_reply.header(header::CONTENT_TYPE),
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss(&rss_reply);
    assert_eq!(channel.items.len(), 10);
    assert_eq!(
        channel.items[0].title.as_deref(),
        Some("Walking the Old Tram Line")
    );
    assert_eq!(
        channel.items[0].guid.as_ref().map(|g| g.value.as_str()),
        Some(first.id.as_str()),
        "one id in every format"
    );
    assert!(channel.items[0].enclosure.is_some());
    assert!(channel.items[0].content.is_some());

    let json_reply = ok(&server, "/feed.json", &[]).await;
    assert_eq!(
        json_reply.header(header::CONTENT_TYPE),
        "application/feed+json; charset=utf-8"
    );
    let json_feed = json_reply.json();
    assert_eq!(json_feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json_feed["feed_url"], format!("{SITE}/feed.json"));
    let atom_titles: Vec<String> = feed.entries.iter().map(|e| e.title.value.clone()).collect();
    assert_eq!(json_titles(&json_feed), atom_titles);
    for title in HIDDEN_TITLES {
        assert!(
            !atom_titles.iter().any(|t| t == title),
            "{title} is not public"
        );
    }
}

#[tokio::test]
async fn feeds_per_tag_category_series_and_filter() {
    let server = server();
    let tag = atom(&ok(&server, "/feed/by_tag/rust.xml", &[]).await);
    assert_eq!(tag.title.value, "Isobar & Ink | tag rust");
    assert!(!tag.entries.is_empty());
    for entry in &tag.entries {
        assert!(
            entry.categories.iter().any(|c| c.term == "rust"),
            "{} is tagged rust",
            entry.title.value
        );
    }
    let filtered = atom(&ok(&server, "/feed.xml?tags=rust", &[]).await);
    let titles = |f: &atom_syndication::Feed| {
        f.entries
            .iter()
            .map(|e| e.title.value.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&filtered), titles(&tag));

    let series = ok(&server, "/feed/by_series/BLG.json", &[]).await.json();
    assert_eq!(
        json_titles(&series),
        [
            "Walking the Old Tram Line",
            "Stock and Survey Sheets",
            "The Legend Is the Interface"
        ]
    );
    let category = rss(&ok(&server, "/feed/software.rss", &[]).await);
    assert!(category
        .items
        .iter()
        .any(|i| i.title.as_deref() == Some("Transcribing Field Notes with AI")));
    let narrowed = atom(&ok(&server, "/feed/by_series/BLG.xml?year=2024", &[]).await);
    assert_eq!(
        titles(&narrowed),
        ["Stock and Survey Sheets", "The Legend Is the Interface"]
    );

    for (target, status, says) in [
        (
            "/feed/by_tag/no-such-tag.xml",
            StatusCode::NOT_FOUND,
            "no tag",
        ),
        (
            "/feed/by_tag/rust.atom",
            StatusCode::NOT_FOUND,
            ".xml (Atom)",
        ),
        (
            "/feed/by_series/ZZZ.xml",
            StatusCode::NOT_FOUND,
            "no series",
        ),
        (
            "/feed.xml?tag=rust",
            StatusCode::BAD_REQUEST,
            "unknown parameter `tag`",
        ),
        (
            "/feed.xml?year=soon",
            StatusCode::BAD_REQUEST,
            "whole number",
        ),
    ] {
        let reply = fetch(&server, target, &[]).await;
        assert_eq!(reply.status, status, "{target}: {}", reply.text());
        assert!(reply.text().contains(says), "{target}: {}", reply.text());
        assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    }
}

#[tokio::test]
async fn conditional_gets_answer_304_and_public_answers_are_cached() {
    let server = server();
    for target in [
        "/feed.xml",
        "/feed/by_tag/rust.rss",
        "/sitemap.xml",
        "/robots.txt",
    ] {
        let first = ok(&server, target, &[]).await;
        assert_eq!(first.header(header::CACHE_CONTROL), "public, max-age=60");
        assert_eq!(first.header(CACHE_STATUS_HEADER), "miss", "{target}");
        let etag = first.header(header::ETAG);
        let modified = first.header(header::LAST_MODIFIED);
        assert!(etag.starts_with('"') && !modified.is_empty(), "{target}");
        let again = ok(&server, target, &[]).await;
        assert_eq!(again.header(CACHE_STATUS_HEADER), "hit", "{target}");
        assert_eq!(again.body, first.body);
        assert_eq!(again.header(header::ETAG), etag);

        let by_etag = fetch(&server, target, &[("if-none-match", &etag)]).await;
        assert_eq!(by_etag.status, StatusCode::NOT_MODIFIED, "{target}");
        assert!(by_etag.body.is_empty());
        assert_eq!(by_etag.header(header::ETAG), etag);
        let by_date = fetch(&server, target, &[("if-modified-since", &modified)]).await;
        assert_eq!(by_date.status, StatusCode::NOT_MODIFIED, "{target}");
        let stale = fetch(&server, target, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(stale.status, StatusCode::OK, "{target}");
        let old = fetch(
            &server,
            target,
            &[("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")],
        )
        .await;
        assert_eq!(old.status, StatusCode::OK, "{target}");
    }
    // Another query string is another answer.
    let other = ok(&server, "/feed.xml?tags=maps", &[]).await;
    assert_eq!(other.header(CACHE_STATUS_HEADER), "miss");
}

#[tokio::test]
async fn feeds_compress_when_asked() {
    let server = server();
    let plain = ok(&server, "/feed.xml", &[]).await;
    let gzip = ok(&server, "/feed.xml", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzip.header(header::CONTENT_ENCODING), "gzip");
    assert!(
        gzip.body.len() * 2 < plain.body.len(),
        "{} gzip bytes for {} plain",
        gzip.body.len(),
        plain.body.len()
    );
}

#[tokio::test]
async fn drafts_and_future_posts_only_with_the_preview_token_and_never_cached() {
    let server = server();
    let auth = [("authorization", BEARER)];
    // Preview first, so a cache that kept it would hand it to the public next.
    for target in [
        "/feed.xml",
        "/feed.rss",
        "/feed.json",
        "/feed/by_tag/cartography.xml",
    ] {
        let preview = ok(&server, target, &auth).await;
        assert_eq!(preview.header(header::CACHE_CONTROL), "private, no-store");
        assert_eq!(
            preview.header(CACHE_STATUS_HEADER),
            "",
            "{target}: not cached"
        );
        assert!(preview.header(header::VARY).contains("authorization"));
        let text = preview.text();
        assert!(
            HIDDEN_TITLES
                .iter()
                .any(|t| text.contains(&t.replace('&', "&amp;")) || text.contains(t)),
            "{target}: the preview shows hidden posts"
        );
        let again = ok(&server, target, &auth).await;
        assert_eq!(again.header(CACHE_STATUS_HEADER), "", "{target}");

        let public = ok(&server, target, &[]).await;
        assert_ne!(public.header(header::ETAG), preview.header(header::ETAG));
        let text = public.text();
        for marker in HIDDEN_TITLES.iter().chain(&HIDDEN_SLUGS) {
            assert!(!text.contains(marker), "{target}: {marker} leaked");
        }
        // A preview's ETag does not make a public answer 304.
        let cross = fetch(
            &server,
            target,
            &[("if-none-match", &preview.header(header::ETAG))],
        )
        .await;
        assert_eq!(cross.status, StatusCode::OK, "{target}");
    }
    // A wrong token is the public.
    let wrong = ok(
        &server,
        "/feed.json",
        &[("authorization", "Bearer not-the-token-at-all")],
    )
    .await;
    assert!(!wrong.text().contains(HIDDEN_TITLES[0]));

    // The embed card and oEmbed of a draft: only with the token.
    let embed = format!("/embed/{}", HIDDEN_SLUGS[0]);
    assert_eq!(
        fetch(&server, &embed, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let card = ok(&server, &embed, &auth).await;
    assert_eq!(card.header(header::CACHE_CONTROL), "private, no-store");
    assert!(card.text().contains("noindex, nofollow"));

    // Crawlers' outputs are the public's, token or not.
    for target in ["/sitemap.xml", "/robots.txt"] {
        let with = ok(&server, target, &auth).await;
        for marker in HIDDEN_SLUGS {
            assert!(!with.text().contains(marker), "{target}: {marker}");
        }
    }
}

#[tokio::test]
async fn sitemap_lists_public_posts_and_robots_names_it() {
    let server = server();
    let reply = ok(&server, "/sitemap.xml", &[]).await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "application/xml; charset=utf-8"
    );
    let text = reply.text();
    assert!(text.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let locs = text.matches("<loc>").count();
    let public_posts = server
        .post(&json!({"query": "{ posts { totalCount } }"}), &[])
        .await
        .json()["data"]["posts"]["totalCount"]
        .as_u64()
        .expect("count");
    assert_eq!(locs as u64, public_posts + 1, "the root and every post");
    assert_eq!(text.matches("<lastmod>").count(), locs);
    assert!(text.contains(&format!("<loc>{SITE}/blog/walking-the-old-tram-line</loc>")));
    assert_eq!(
        fetch(&server, "/sitemap/1.xml", &[]).await.status,
        StatusCode::NOT_FOUND,
        "one file needs no pages"
    );
    let robots = ok(&server, "/robots.txt", &[]).await.text();
    assert!(
        robots.contains(&format!("Sitemap: {SITE}/sitemap.xml")),
        "{robots}"
    );
    assert!(robots.contains("Disallow: /graphql"));
}

#[test]
fn sitemap_splits_into_an_index_past_the_limit() {
    let served = inkgraph::site::ServedSite::new(load_dir(
        &sample_blog(),
        inkgraph::graph::Visibility::default(),
    ));
    let index = inkgraph::outputs::sitemap::sitemap(&served, 4);
    assert!(index.contains("<sitemapindex"), "{index}");
    let pages = index.matches("<sitemap>").count();
    assert_eq!(
        pages,
        inkgraph::outputs::sitemap::page_count(&served, 4),
        "{index}"
    );
    assert!(index.contains(&format!("<loc>{SITE}/sitemap/1.xml</loc>")));
    let mut listed = 0;
    for page in 1..=pages {
        let urlset = inkgraph::outputs::sitemap::sitemap_page(&served, page, 4).expect("page");
        let count = urlset.matches("<url>").count();
        assert!((1..=4).contains(&count), "{urlset}");
        listed += count;
    }
    assert!(inkgraph::outputs::sitemap::sitemap_page(&served, pages + 1, 4).is_none());
    let whole = inkgraph::outputs::sitemap::sitemap(&served, 50_000);
    assert_eq!(listed, whole.matches("<url>").count());
}

#[tokio::test]
async fn oembed_answers_rich_cards_and_follows_the_spec_on_errors() {
    let server = server();
    let post = format!("{SITE}/blog/walking-the-old-tram-line");
    let query = |extra: &str| {
        format!(
            "/oembed?url={}{extra}",
            form_urlencoded::byte_serialize(post.as_bytes()).collect::<String>()
        )
    };
    let reply = ok(
        &server,
        &query("&format=json&maxwidth=400&maxheight=300"),
        &[],
    )
    .await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "application/json; charset=utf-8"
    );
    let answer = reply.json();
    assert_eq!(answer["version"], "1.0");
    assert_eq!(answer["type"], "rich");
    assert_eq!(answer["title"], "Walking the Old Tram Line");
    assert_eq!(answer["provider_name"], "Isobar & Ink");
    assert_eq!(answer["width"], 400);
    assert_eq!(answer["height"], 300);
    let html = answer["html"].as_str().expect("html");
    assert!(
        html.starts_with(&format!(
            "<iframe src=\"{SITE}/embed/walking-the-old-tram-line\""
        )),
        "{html}"
    );
    assert!(!html.contains("<script"));

    for (target, status) in [
        (query("&format=xml"), StatusCode::NOT_IMPLEMENTED),
        (
            "/oembed?url=https%3A%2F%2Finkgraph.example%2Fno%2Fsuch%2Fpost".to_string(),
            StatusCode::NOT_FOUND,
        ),
        ("/oembed?format=json".to_string(), StatusCode::BAD_REQUEST),
        (query("&maxwidth=wide"), StatusCode::BAD_REQUEST),
        // A hidden post is unknown to the public.
        (
            "/oembed?url=https%3A%2F%2Finkgraph.example%2Fblog%2Fa-letter-to-the-next-decade"
                .to_string(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let reply = fetch(&server, &target, &[]).await;
        assert_eq!(reply.status, status, "{target}: {}", reply.text());
    }
}

#[tokio::test]
async fn the_embed_card_is_a_small_page_without_scripts() {
    let server = server();
    let reply = ok(&server, "/embed/walking-the-old-tram-line", &[]).await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    let csp = reply.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let page = reply.text();
    assert!(!page.to_lowercase().contains("<script"));
    assert!(page.contains("type=\"application/json+oembed\""));
    assert!(page.contains(&format!(
        "<link rel=\"canonical\" href=\"{SITE}/blog/walking-the-old-tram-line\">"
    )));
    assert!(
        page.contains("<h1><a href=\"https://inkgraph.example/blog/walking-the-old-tram-line\"")
    );
    assert!(page.contains("Isobar &amp; Ink"));
    assert!(page.len() < 16 * 1024, "{} bytes", page.len());
    assert_eq!(
        fetch(&server, "/embed/no-such-post", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn graphql_names_the_feeds_and_embeds() {
    let server = server();
    let data = server
        .post(
            &json!({"query": "{ site { feeds { type title url mediaType } } post(slug: \"walking-the-old-tram-line\") { embedUrl oembedUrl } }"}),
            &[],
        )
        .await
        .json();
    assert_eq!(
        data["data"]["site"]["feeds"],
        json!([
            {"type": "ATOM", "title": "Isobar & Ink (Atom)", "url": format!("{SITE}/feed.xml"), "mediaType": "application/atom+xml"},
            {"type": "RSS", "title": "Isobar & Ink (RSS)", "url": format!("{SITE}/feed.rss"), "mediaType": "application/rss+xml"},
            {"type": "JSON_FEED", "title": "Isobar & Ink (JSON Feed)", "url": format!("{SITE}/feed.json"), "mediaType": "application/feed+json"},
        ])
    );
    let post = &data["data"]["post"];
    let embed = post["embedUrl"].as_str().expect("embedUrl");
    assert_eq!(embed, format!("{SITE}/embed/walking-the-old-tram-line"));
    // The URLs GraphQL gives answer.
    let path = |url: &str| url.strip_prefix(SITE).expect("on the site").to_string();
    ok(&server, &path(embed), &[]).await;
    let oembed = ok(
        &server,
        &path(post["oembedUrl"].as_str().expect("oembedUrl")),
        &[],
    )
    .await;
    assert_eq!(oembed.json()["type"], "rich");
}
