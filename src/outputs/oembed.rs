//! Embedding a post on another site: the embed card (`/embed/<slug>`, a small standalone HTML
//! page: title, excerpt, image, site name and link; no scripts, no third-party anything) and
//! the oEmbed answer (`/oembed?url=…`, type `rich`) whose HTML is an iframe of that card.

use super::post_info;
use crate::graph::{Audience, PostIdx};
use crate::site::endpoints;
use crate::site::ServedSite;
use crate::text::html::escape;
use serde::Serialize;

/// The card's width when the consumer sets no `maxwidth`, in pixels.
pub const DEFAULT_WIDTH: u32 = 560;
/// The card's height without an image.
pub const TEXT_HEIGHT: u32 = 220;
/// The card's height with the post's image above the text.
pub const IMAGE_HEIGHT: u32 = 480;
/// Words of the excerpt on the card.
pub const CARD_WORDS: usize = 40;

/// The consumer's bounds (`maxwidth`, `maxheight`): the answer never exceeds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaxSize {
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The oEmbed answer (oEmbed 1.0, type `rich`).
#[derive(Debug, Clone, Serialize)]
pub struct OEmbed {
    pub version: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_url: Option<String>,
    pub provider_name: String,
    pub provider_url: String,
    /// Seconds a consumer may keep the answer.
    pub cache_age: u64,
    /// An iframe of the embed card.
    pub html: String,
    pub width: u32,
    pub height: u32,
}

/// The oEmbed answer for post `idx`, as `audience` sees it, within `max`.
pub fn oembed(served: &ServedSite, idx: PostIdx, max: MaxSize, cache_age: u64) -> OEmbed {
    let snapshot = &served.snapshot;
    let config = &snapshot.config;
    let post = snapshot.post(idx);
    let has_image = post_info::image_url(&config.site, post).is_some();
    let clamp = |value: u32, bound: Option<u32>| bound.map_or(value, |b| value.min(b));
    let width = clamp(DEFAULT_WIDTH, max.width);
    let height = clamp(
        if has_image { IMAGE_HEIGHT } else { TEXT_HEIGHT },
        max.height,
    );
    let embed = endpoints::output_url(&config.site, &endpoints::embed_path(&post.slug));
    let title = &post.doc.title;
    let html = format!(
        "<iframe src=\"{src}\" width=\"{width}\" height=\"{height}\" title=\"{title}\" \
         loading=\"lazy\" style=\"border:0;max-width:100%\" \
         sandbox=\"allow-popups allow-popups-to-escape-sandbox\" \
         referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>",
        src = escape(&embed),
        title = escape(title),
    );
    let author = post_info::post_author(config, post);
    OEmbed {
        version: "1.0",
        kind: "rich",
        title: title.clone(),
        author_name: author.as_ref().map(|a| a.name.clone()),
        author_url: author.and_then(|a| a.uri),
        provider_name: post_info::site_name(config),
        provider_url: endpoints::output_url(&config.site, "/"),
        cache_age,
        html,
        width,
        height,
    }
}

/// The embed card of post `idx` as a standalone HTML page: inline styles, no scripts, links
/// opening in a new tab, with oEmbed discovery and `noindex` (the post's page is the one to
/// index).
pub fn embed_page(served: &ServedSite, audience: Audience, idx: PostIdx) -> String {
    let snapshot = &served.snapshot;
    let config = &snapshot.config;
    let site = &config.site;
    let post = snapshot.post(idx);
    let url = post_info::post_url(site, post);
    let site_name = post_info::site_name(config);
    let title = &post.doc.title;
    let excerpt = post_info::summary(served, idx, CARD_WORDS);
    let oembed = endpoints::output_url(site, &endpoints::oembed_path(&url));
    let date = post.doc.local_date;
    let author = post_info::post_author(config, post)
        .map(|a| format!(" · {}", escape(&a.name)))
        .unwrap_or_default();
    let image = post_info::image_url(site, post)
        .map(|src| {
            format!(
                "<a class=\"image\" href=\"{url}\" target=\"_blank\" rel=\"noopener\"><img src=\"{src}\" alt=\"\" loading=\"lazy\"></a>",
                url = escape(&url),
                src = escape(&src),
            )
        })
        .unwrap_or_default();
    let robots = match audience {
        Audience::Public => "noindex",
        Audience::Preview => "noindex, nofollow",
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="{robots}">
<title>{title} · {site_name}</title>
<link rel="canonical" href="{url}">
<link rel="alternate" type="application/json+oembed" href="{oembed}" title="{title}">
<style>
html,body{{margin:0;padding:0;background:transparent}}
body{{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f}}
.card{{box-sizing:border-box;max-width:100%;height:100vh;overflow:hidden;border:1px solid #d8d8dc;border-radius:10px;background:#fff;display:flex;flex-direction:column}}
.image img{{display:block;width:100%;max-height:260px;object-fit:cover}}
.text{{padding:14px 16px;overflow:hidden}}
.site{{margin:0;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#6e6e73}}
h1{{margin:4px 0 2px;font-size:19px;line-height:1.25}}
h1 a{{color:inherit;text-decoration:none}}
h1 a:hover{{text-decoration:underline}}
.meta{{margin:0 0 8px;font-size:13px;color:#6e6e73}}
.excerpt{{margin:0 0 8px}}
.more{{margin:0;font-size:13px}}
.more a{{color:#0a58ca}}
@media (prefers-color-scheme:dark){{body{{color:#f2f2f7}}.card{{background:#1c1c1e;border-color:#3a3a3c}}.site,.meta{{color:#a1a1a6}}.more a{{color:#6ea8fe}}}}
</style>
</head>
<body>
<article class="card">
{image}<div class="text">
<p class="site">{site_name}</p>
<h1><a href="{url}" target="_blank" rel="noopener">{title}</a></h1>
<p class="meta"><time datetime="{iso}">{day}</time>{author}</p>
<p class="excerpt">{excerpt}</p>
<p class="more"><a href="{url}" target="_blank" rel="noopener">Read on {site_name} →</a></p>
</div>
</article>
</body>
</html>
"#,
        title = escape(title),
        site_name = escape(&site_name),
        url = escape(&url),
        oembed = escape(&oembed),
        iso = post.doc.date.to_rfc3339(),
        day = date.format("%-d %B %Y"),
        excerpt = escape(&excerpt),
    )
}
