//! Where the site's outputs other than GraphQL are published: the feeds, the sitemap, the
//! embed pages and the oEmbed endpoint. One list of paths, so the routes (`server`), the
//! outputs that link to themselves (`outputs`) and the GraphQL discovery fields (`api`) never
//! disagree.
//!
//! The paths are those of the HTTP server; their absolute URLs are the site's
//! ([`SiteUrl::absolute`]: `_config.yml` `url` + `baseurl` + path), as jekyll-feed publishes
//! `/feed.xml` at the site's address: inkgraph is expected to answer there (directly, or
//! behind a proxy that forwards these paths).

use crate::corpus::SiteUrl;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// The oEmbed endpoint.
pub const OEMBED_PATH: &str = "/oembed";
/// The sitemap, or the sitemap index when the site has more URLs than one sitemap may hold.
pub const SITEMAP_PATH: &str = "/sitemap.xml";
/// `robots.txt`, naming the sitemap.
pub const ROBOTS_PATH: &str = "/robots.txt";

/// What a path segment keeps unencoded: everything but controls, space and the characters
/// that end or split a segment or would be read as escapes.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `text` as one URL path segment.
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    /// Atom 1.0 (RFC 4287), jekyll-feed's format: `.xml`.
    Atom,
    /// RSS 2.0: `.rss`.
    Rss,
    /// JSON Feed 1.1: `.json`.
    JsonFeed,
}

impl FeedFormat {
    /// Every format, Atom first.
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Atom, FeedFormat::Rss, FeedFormat::JsonFeed];

    /// The file extension of its paths, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FeedFormat::Atom => "xml",
            FeedFormat::Rss => "rss",
            FeedFormat::JsonFeed => "json",
        }
    }

    /// The format of a path's extension (`xml`, `rss`, `json`).
    pub fn from_extension(extension: &str) -> Option<FeedFormat> {
        FeedFormat::ALL
            .into_iter()
            .find(|format| format.extension() == extension)
    }

    /// Its media type, as `Content-Type` and `<link type>` name it (without parameters).
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::JsonFeed => "application/feed+json",
        }
    }

    /// Its name for people: `Atom`, `RSS`, `JSON Feed`.
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Atom => "Atom",
            FeedFormat::Rss => "RSS",
            FeedFormat::JsonFeed => "JSON Feed",
        }
    }
}

/// Which posts a feed path is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope<'a> {
    /// Every post: `/feed.xml`.
    Site,
    /// One tag, by slug: `/feed/by_tag/<tag>.xml` (jekyll-feed's path).
    Tag(&'a str),
    /// One category: `/feed/<category>.xml` (jekyll-feed's path).
    Category(&'a str),
    /// One serial-number series: `/feed/by_series/<series>.xml`.
    Series(&'a str),
}

/// The site path of a feed, e.g. `/feed.xml` or `/feed/by_tag/rust.rss`.
pub fn feed_path(scope: FeedScope<'_>, format: FeedFormat) -> String {
    let extension = format.extension();
    match scope {
        FeedScope::Site => format!("/feed.{extension}"),
        FeedScope::Tag(tag) => format!("/feed/by_tag/{}.{extension}", path_segment(tag)),
        FeedScope::Category(category) => {
            format!("/feed/{}.{extension}", path_segment(category))
        }
        FeedScope::Series(series) => {
            format!("/feed/by_series/{}.{extension}", path_segment(series))
        }
    }
}

/// The site path of page `page` (from 1) of a sitemap split by a sitemap index.
pub fn sitemap_page_path(page: usize) -> String {
    format!("/sitemap/{page}.xml")
}

/// The site path of a post's embed page (`/embed/<slug>`).
pub fn embed_path(slug: &str) -> String {
    format!("/embed/{}", path_segment(slug))
}

/// The site path of the oEmbed answer (JSON) for the post at `post_url`.
pub fn oembed_path(post_url: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("url", post_url)
        .append_pair("format", "json")
        .finish();
    format!("{OEMBED_PATH}?{query}")
}

/// The absolute URL of a post's permalink, percent-encoded as Jekyll publishes it
/// (`/blog/über mich/` → `…/blog/%C3%BCber%20mich/`); site-relative when the site has no
/// `url`.
pub fn post_url(site: &SiteUrl, permalink: &str) -> String {
    normalized(site.absolute(permalink))
}

/// The absolute URL of one of the outputs' own paths (from the functions above).
pub fn output_url(site: &SiteUrl, path: &str) -> String {
    normalized(site.absolute(path))
}

/// An absolute URL in its normal form (percent-encoded path); anything else as it is.
fn normalized(url: String) -> String {
    match url::Url::parse(&url) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_paths_follow_jekyll_feed() {
        assert_eq!(feed_path(FeedScope::Site, FeedFormat::Atom), "/feed.xml");
        assert_eq!(
            feed_path(FeedScope::Site, FeedFormat::JsonFeed),
            "/feed.json"
        );
        assert_eq!(
            feed_path(FeedScope::Tag("rust"), FeedFormat::Atom),
            "/feed/by_tag/rust.xml"
        );
        assert_eq!(
            feed_path(FeedScope::Category("field notes"), FeedFormat::Rss),
            "/feed/field%20notes.rss"
        );
        assert_eq!(
            feed_path(FeedScope::Series("BLG"), FeedFormat::Atom),
            "/feed/by_series/BLG.xml"
        );
        for format in FeedFormat::ALL {
            assert_eq!(FeedFormat::from_extension(format.extension()), Some(format));
        }
        assert_eq!(FeedFormat::from_extension("atom"), None);
    }

    #[test]
    fn urls_are_absolute_and_encoded() {
        let site = SiteUrl::new(Some("https://example.org/"), "/blog");
        assert_eq!(
            post_url(&site, "/über mich/"),
            "https://example.org/blog/%C3%BCber%20mich/"
        );
        assert_eq!(
            output_url(&site, &oembed_path("https://example.org/blog/a b?x=1&y")),
            "https://example.org/blog/oembed?url=https%3A%2F%2Fexample.org%2Fblog%2Fa+b%3Fx%3D1%26y&format=json"
        );
        assert_eq!(
            output_url(&site, &embed_path("a/b")),
            "https://example.org/blog/embed/a%2Fb"
        );
        let relative = SiteUrl::new(None, "");
        assert_eq!(post_url(&relative, "/x/"), "/x/");
    }
}
