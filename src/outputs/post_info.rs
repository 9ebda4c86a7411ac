//! What the feeds, the embed card and the webhooks say about a post and the site: absolute
//! URLs, the author, the image, the summary, and HTML whose relative links work anywhere.

use crate::corpus::{values, SiteConfig, SiteUrl};
use crate::graph::{Post, PostIdx};
use crate::render::{self, ExcerptFormat};
use crate::site::{endpoints, ServedSite};
use crate::text::html::{escape, unescape};
use serde_json::Value;
use std::borrow::Cow;
use url::Url;

/// A person: `author` in front matter or `_config.yml`, a name or a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
    /// Their page (`uri` or `url`).
    pub uri: Option<String>,
}

impl Person {
    /// `author: Ilse` or `author: {name: Ilse, email: …, uri: …}` (`url` for `uri` too);
    /// `None` without a name.
    pub fn from_value(value: &Value) -> Option<Person> {
        match value {
            Value::Object(map) => {
                let field = |key: &str| map.get(key).and_then(|v| values::text(v, None));
                Some(Person {
                    name: field("name")?,
                    email: field("email").filter(|e| e.contains('@')),
                    uri: field("uri")
                        .or_else(|| field("url"))
                        .filter(|u| is_web_url(u)),
                })
            }
            other => values::text(other, None).map(|name| Person {
                name,
                email: None,
                uri: None,
            }),
        }
    }
}

/// `_config.yml` `author`, when it names one.
pub fn site_author(config: &SiteConfig) -> Option<Person> {
    config.data.get("author").and_then(Person::from_value)
}

/// The post's `author`, else the site's.
pub fn post_author(config: &SiteConfig, post: &Post) -> Option<Person> {
    post.doc
        .front_matter
        .get("author")
        .and_then(Person::from_value)
        .or_else(|| site_author(config))
}

/// The site's name: `_config.yml` `title`, else its URL's host, else `inkgraph`.
pub fn site_name(config: &SiteConfig) -> String {
    if let Some(title) = &config.title {
        return title.clone();
    }
    config
        .site
        .url()
        .and_then(|u| Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "inkgraph".to_string())
}

/// The absolute URL of the post (its permalink on the site).
pub fn post_url(site: &SiteUrl, post: &Post) -> String {
    endpoints::post_url(site, &post.doc.permalink)
}

/// The id jekyll-feed gives an entry (Jekyll's `post.id`, made absolute): the permalink's
/// folder joined with the post's slug, e.g. `https://example.org/2024/01/02/hello`. The same
/// ids as jekyll-feed, so readers that followed the Jekyll site's feed see no entry twice.
pub fn entry_id(site: &SiteUrl, post: &Post) -> String {
    let permalink = post.doc.permalink.trim_end_matches('/');
    let folder = match permalink.rsplit_once('/') {
        Some((folder, _)) if !folder.is_empty() => folder,
        _ => "",
    };
    endpoints::post_url(site, &format!("{folder}/{}", post.doc.slug))
}

/// Whether `url` is an absolute `http(s)` URL.
fn is_web_url(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The post's `image` as an absolute `http(s)` URL: a site path is made absolute on the site,
/// a relative path is read from the post's page; other schemes (`data:`, `javascript:`) give
/// `None`.
pub fn image_url(site: &SiteUrl, post: &Post) -> Option<String> {
    let image = post.doc.image.as_deref()?.trim();
    if image.is_empty() {
        return None;
    }
    if let Ok(url) = Url::parse(image) {
        return matches!(url.scheme(), "http" | "https").then(|| url.to_string());
    }
    let absolute = if image.starts_with("//") {
        format!("https:{image}")
    } else if image.starts_with('/') {
        site.absolute(image)
    } else {
        let page = post_url(site, post);
        match Url::parse(&page).and_then(|base| base.join(image)) {
            Ok(url) => url.to_string(),
            Err(_) => return None,
        }
    };
    Url::parse(&absolute)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string())
}

/// The media type of an image URL, from its extension.
pub fn image_media_type(url: &str) -> Option<&'static str> {
    let path = Url::parse(url).ok()?.path().to_ascii_lowercase();
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// The post's excerpt as plain text, cut at `words`: the summary of feeds and cards.
pub fn summary(served: &ServedSite, idx: PostIdx, words: usize) -> String {
    let rendered = served.rendered(idx);
    render::excerpt(&rendered.excerpt_source, words, ExcerptFormat::Plain)
}

/// The post's sanitized HTML with every relative link and image made absolute against its
/// page, so it works in a feed reader or on another site.
pub fn absolute_html(served: &ServedSite, idx: PostIdx) -> String {
    let html = served.sanitized_html(idx);
    let page = post_url(&served.snapshot.config.site, served.snapshot.post(idx));
    match Url::parse(&page) {
        Ok(base) => absolute_links(&html, &base),
        // Without the site's `url` nothing can be made absolute.
        Err(_) => html.to_string(),
    }
}

/// Attributes holding a URL that the sanitizer keeps.
const URL_ATTRIBUTES: [&str; 3] = ["href", "src", "cite"];

/// `html` with relative `href`, `src` and `cite` values resolved against `base`.
///
/// `html` must be the sanitizer's output (canonical html5ever serialization): attribute
/// values are double-quoted with `"`, `<` and `>` escaped, so every `<` outside a value starts
/// a tag, the first `>` after it ends it, and ` href="` can only start an attribute.
pub fn absolute_links(html: &str, base: &Url) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[..=gt];
        rest = &rest[gt + 1..];
        out.push_str(&resolve_in_tag(tag, base));
    }
    out.push_str(rest);
    out
}

/// One start tag with its URL attributes resolved.
fn resolve_in_tag<'t>(tag: &'t str, base: &Url) -> Cow<'t, str> {
    if tag.starts_with("</") || tag.starts_with("<!") {
        return Cow::Borrowed(tag);
    }
    let mut tag = Cow::Borrowed(tag);
    for name in URL_ATTRIBUTES {
        let marker = format!(" {name}=\"");
        let Some(at) = tag.find(&marker) else {
            continue;
        };
        let start = at + marker.len();
        let Some(len) = tag[start..].find('"') else {
            continue;
        };
        let value = unescape(&tag[start..start + len]).into_owned();
        if Url::parse(&value).is_ok() {
            continue; // already absolute
        }
        let Ok(resolved) = base.join(&value) else {
            continue;
        };
        let replaced = format!(
            "{}{}{}",
            &tag[..start],
            escape(resolved.as_str()),
            &tag[start + len..]
        );
        tag = Cow::Owned(replaced);
    }
    tag
}

/// `text` without the characters XML 1.0 does not allow (controls but tab, line feed and
/// carriage return; U+FFFE and U+FFFF), which no feed parser would accept.
pub fn xml_text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        (c >= ' ' || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    if text.chars().all(allowed) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn authors_are_names_or_maps() {
        assert_eq!(
            Person::from_value(&json!("Ilse")),
            Some(Person {
                name: "Ilse".into(),
                email: None,
                uri: None
            })
        );
        assert_eq!(
            Person::from_value(
                &json!({"name": "Josh", "email": "j@example.org", "url": "https://example.org/about"})
            ),
            Some(Person {
                name: "Josh".into(),
                email: Some("j@example.org".into()),
                uri: Some("https://example.org/about".into())
            })
        );
        let odd = Person::from_value(&json!({"name": "X", "email": "nope", "uri": "javascript:x"}));
        assert_eq!(odd.map(|p| (p.email, p.uri)), Some((None, None)));
        assert_eq!(Person::from_value(&json!({"email": "j@example.org"})), None);
        assert_eq!(Person::from_value(&json!("")), None);
    }

    #[test]
    fn relative_links_become_absolute() {
        let base = Url::parse("https://example.org/blog/post/").expect("url");
        let html = "<p><a href=\"/about/\">a</a> <a href=\"#fn-1\" id=\"x\">1</a> \
                    <img src=\"pic.png?a=1&amp;b=2\" alt=\"p\"> \
                    <a href=\"https://other.example/x\" rel=\"noopener nofollow\">o</a> \
                    <a href=\"mailto:a@example.org\">m</a> 1 &lt; 2</p>";
        assert_eq!(
            absolute_links(html, &base),
            "<p><a href=\"https://example.org/about/\">a</a> \
             <a href=\"https://example.org/blog/post/#fn-1\" id=\"x\">1</a> \
             <img src=\"https://example.org/blog/post/pic.png?a=1&amp;b=2\" alt=\"p\"> \
             <a href=\"https://other.example/x\" rel=\"noopener nofollow\">o</a> \
             <a href=\"mailto:a@example.org\">m</a> 1 &lt; 2</p>"
        );
    }

    #[test]
    fn xml_text_drops_what_xml_forbids() {
        assert_eq!(xml_text("a\u{0}b\u{1b}c\td\u{ffff}"), "abc\td");
        assert!(matches!(xml_text("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn image_types_come_from_extensions() {
        assert_eq!(image_media_type("https://x.org/a/b.PNG"), Some("image/png"));
        assert_eq!(
            image_media_type("https://x.org/a/b.jpeg?x=1"),
            Some("image/jpeg")
        );
        assert_eq!(image_media_type("https://x.org/a/b"), None);
    }
}
