//! Feeds of the newest posts: Atom 1.0 (`atom_syndication`), RSS 2.0 (`rss`) and JSON Feed
//! 1.1 (serde), for the whole site or any selection of posts.
//!
//! Every format carries the same entries, built once ([`Entry`]): jekyll-feed's id (so a
//! reader that followed the Jekyll site's feed sees nothing twice), the title, the absolute
//! permalink, the published and updated dates, the author (the post's, else `_config.yml`
//! `author`), categories and tags, the excerpt as a plain-text summary, the sanitized HTML
//! with every relative link and image made absolute (unless `_config.yml` says
//! `feed: {excerpt_only: true}`), and the front-matter `image` (Atom: `media:thumbnail` and an
//! `enclosure` link; RSS: `enclosure` and `media:thumbnail`; JSON Feed: `image`). How many:
//! `_config.yml` `feed: {posts_limit: N}` (jekyll-feed's key), default
//! [`DEFAULT_POSTS_LIMIT`], at most [`MAX_POSTS_LIMIT`].

use super::post_info::{self, xml_text, Person};
use crate::corpus::{values, SiteConfig};
use crate::graph::{Audience, PostIdx};
use crate::site::endpoints::{self, FeedFormat};
use crate::site::ServedSite;
use chrono::{DateTime, FixedOffset, SubsecRound};
use serde::Serialize;
use std::collections::BTreeMap;

/// Entries in a feed when `_config.yml` says nothing (jekyll-feed's default).
pub const DEFAULT_POSTS_LIMIT: usize = 10;
/// Most entries in one feed, whatever `_config.yml` says: each carries a whole post.
pub const MAX_POSTS_LIMIT: usize = 100;
/// Words of the excerpt in an entry's summary.
pub const SUMMARY_WORDS: usize = 100;
/// The Media RSS namespace of `media:thumbnail`.
const MEDIA_NAMESPACE: &str = "http://search.yahoo.com/mrss/";
/// What the feeds name as their generator.
const GENERATOR: &str = "inkgraph";

/// A feed that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The XML writer failed (it writes to memory, so this is a bug).
    #[error("cannot write the {format} feed: {message}")]
    Write {
        format: &'static str,
        message: String,
    },
}

/// One feed to write.
#[derive(Debug, Clone)]
pub struct FeedRequest<'a> {
    pub format: FeedFormat,
    /// The selected posts, newest first, all visible to the audience; the first
    /// [`posts_limit`] become entries.
    pub posts: &'a [PostIdx],
    /// What the selection is, for the title (`tag rust`); `None` for the whole site.
    pub label: Option<String>,
    /// The feed's own site path with its query string (`/feed.xml?tags=rust`): its self link
    /// and its id.
    pub path: String,
}

/// `_config.yml` `feed.posts_limit`, else [`DEFAULT_POSTS_LIMIT`]; at least 1, at most
/// [`MAX_POSTS_LIMIT`].
pub fn posts_limit(config: &SiteConfig) -> usize {
    feed_setting(config, "posts_limit")
        .and_then(|value| match value {
            serde_json::Value::Number(n) => n.as_u64(),
            other => values::text(other, None).and_then(|t| t.parse().ok()),
        })
        .map_or(DEFAULT_POSTS_LIMIT, |n| {
            usize::try_from(n).unwrap_or(MAX_POSTS_LIMIT)
        })
        .clamp(1, MAX_POSTS_LIMIT)
}

/// `_config.yml` `feed.excerpt_only` (jekyll-feed's key): entries without their content.
pub fn excerpt_only(config: &SiteConfig) -> bool {
    feed_setting(config, "excerpt_only")
        .and_then(values::boolean)
        .unwrap_or(false)
}

fn feed_setting<'c>(config: &'c SiteConfig, key: &str) -> Option<&'c serde_json::Value> {
    config.data.get("feed")?.as_object()?.get(key)
}

/// The feed's title: the site's name, then the selection (`Isobar & Ink | tag rust`).
pub fn feed_title(config: &SiteConfig, label: Option<&str>) -> String {
    let name = post_info::site_name(config);
    match label {
        Some(label) => format!("{name} | {label}"),
        None => name,
    }
}

/// One entry, whatever the format.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    title: String,
    url: String,
    published: DateTime<FixedOffset>,
    updated: DateTime<FixedOffset>,
    author: Option<Person>,
    categories: Vec<String>,
    summary: String,
    content: Option<String>,
    image: Option<String>,
}

/// The feed, whatever the format.
#[derive(Debug, Clone)]
struct Feed {
    title: String,
    description: Option<String>,
    self_url: String,
    home_url: String,
    updated: DateTime<FixedOffset>,
    author: Option<Person>,
    entries: Vec<Entry>,
}

/// Writes the feed `request` asks for, as `audience` sees the site. Renders the posts it
/// includes (cached per served version): run it off the async workers.
pub fn render_feed(
    served: &ServedSite,
    audience: Audience,
    request: &FeedRequest<'_>,
) -> Result<String, FeedError> {
    let feed = collect(served, audience, request);
    match request.format {
        FeedFormat::Atom => atom(&feed),
        FeedFormat::Rss => rss(&feed),
        FeedFormat::JsonFeed => json_feed(&feed),
    }
}

fn collect(served: &ServedSite, audience: Audience, request: &FeedRequest<'_>) -> Feed {
    let snapshot = &served.snapshot;
    let config = &snapshot.config;
    let site = &config.site;
    let view = snapshot.view(audience);
    let with_content = !excerpt_only(config);
    let entries: Vec<Entry> = request
        .posts
        .iter()
        .take(posts_limit(config))
        .map(|&idx| {
            let post = snapshot.post(idx);
            let doc = &post.doc;
            let mut categories = doc.categories.clone();
            for tag in &post.tags {
                let name = &view.tag(*tag).name;
                if !categories.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                    categories.push(name.clone());
                }
            }
            Entry {
                id: post_info::entry_id(site, post),
                title: doc.title.clone(),
                url: post_info::post_url(site, post),
                published: doc.date,
                updated: doc.updated.unwrap_or(doc.date),
                author: post_info::post_author(config, post),
                categories,
                summary: post_info::summary(served, idx, SUMMARY_WORDS),
                content: with_content.then(|| post_info::absolute_html(served, idx)),
                image: post_info::image_url(site, post),
            }
        })
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| view.loaded_at().trunc_subsecs(0).fixed_offset());
    Feed {
        title: feed_title(config, request.label.as_deref()),
        description: config.description.clone(),
        self_url: endpoints::output_url(site, &request.path),
        home_url: endpoints::output_url(site, "/"),
        updated,
        author: post_info::site_author(config),
        entries,
    }
}

/// Atom 1.0. The feed always has an author (the site's, else its name), so entries without
/// one are valid too.
fn atom(feed: &Feed) -> Result<String, FeedError> {
    use atom_syndication as atom;
    let person = |p: &Person| atom::Person {
        name: xml_text(&p.name).into_owned(),
        email: p.email.as_deref().map(|e| xml_text(e).into_owned()),
        uri: p.uri.clone(),
        ..Default::default()
    };
    let text = |value: &str| atom::Text::plain(xml_text(value).into_owned());
    let link = |href: &str, rel: &str, media_type: Option<&str>| atom::Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: media_type.map(str::to_string),
        ..Default::default()
    };
    let entries = feed
        .entries
        .iter()
        .map(|e| {
            let mut links = vec![link(&e.url, "alternate", Some("text/html"))];
            let mut extensions = atom::extension::ExtensionMap::new();
            if let Some(image) = &e.image {
                links.push(link(image, "enclosure", post_info::image_media_type(image)));
                extensions.insert(
                    "media".to_string(),
                    BTreeMap::from([(
                        "media:thumbnail".to_string(),
                        vec![atom::extension::Extension {
                            name: "media:thumbnail".to_string(),
                            // Written as they are: atom_syndication does not escape
                            // extension attributes.
                            attrs: BTreeMap::from([(
                                "url".to_string(),
                                crate::text::html::escape(image).into_owned(),
                            )]),
                            ..Default::default()
                        }],
                    )]),
                );
            }
            atom::Entry {
                title: text(&e.title),
                id: e.id.clone(),
                updated: e.updated,
                published: Some(e.published),
                authors: e.author.iter().map(person).collect(),
                categories: e
                    .categories
                    .iter()
                    .map(|c| atom::Category {
                        term: xml_text(c).into_owned(),
                        ..Default::default()
                    })
                    .collect(),
                links,
                summary: (!e.summary.is_empty()).then(|| text(&e.summary)),
                content: e.content.as_ref().map(|html| atom::Content {
                    value: Some(xml_text(html).into_owned()),
                    content_type: Some("html".to_string()),
                    ..Default::default()
                }),
                extensions,
                ..Default::default()
            }
        })
        .collect();
    let author = feed.author.clone().unwrap_or_else(|| Person {
        name: feed.title.clone(),
        email: None,
        uri: Some(feed.home_url.clone()).filter(|u| u.starts_with("http")),
    });
    let out = atom::Feed {
        title: text(&feed.title),
        id: feed.self_url.clone(),
        updated: feed.updated,
        authors: vec![person(&author)],
        generator: Some(atom::Generator {
            value: GENERATOR.to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
            ..Default::default()
        }),
        links: vec![
            link(&feed.self_url, "self", Some(FeedFormat::Atom.media_type())),
            link(&feed.home_url, "alternate", Some("text/html")),
        ],
        subtitle: feed.description.as_deref().map(text),
        entries,
        namespaces: BTreeMap::from([("media".to_string(), MEDIA_NAMESPACE.to_string())]),
        ..Default::default()
    };
    let bytes = out.write_to(Vec::new()).map_err(|err| FeedError::Write {
        format: "Atom",
        message: err.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|err| FeedError::Write {
        format: "Atom",
        message: err.to_string(),
    })
}

/// RSS 2.0, with `atom:link rel="self"`, `content:encoded` and `dc:creator` (RSS's own
/// `author` must be an e-mail address, so it is written only when there is one).
fn rss(feed: &Feed) -> Result<String, FeedError> {
    use rss::extension::{atom::AtomExtension, dublincore::DublinCoreExtension, Extension};
    let owned = |value: &str| xml_text(value).into_owned();
    let items = feed
        .entries
        .iter()
        .map(|e| {
            let mut extensions = rss::extension::ExtensionMap::new();
            if let Some(image) = &e.image {
                extensions.insert(
                    "media".to_string(),
                    BTreeMap::from([(
                        "media:thumbnail".to_string(),
                        vec![Extension {
                            name: "media:thumbnail".to_string(),
                            attrs: BTreeMap::from([("url".to_string(), image.clone())]),
                            ..Default::default()
                        }],
                    )]),
                );
            }
            rss::Item {
                title: Some(owned(&e.title)),
                link: Some(e.url.clone()),
                description: (!e.summary.is_empty()).then(|| owned(&e.summary)),
                author: e.author.as_ref().and_then(|p| {
                    p.email
                        .as_ref()
                        .map(|email| owned(&format!("{email} ({})", p.name)))
                }),
                categories: e
                    .categories
                    .iter()
                    .map(|c| rss::Category {
                        name: owned(c),
                        domain: None,
                    })
                    .collect(),
                enclosure: e.image.as_ref().map(|image| rss::Enclosure {
                    url: image.clone(),
                    // Unknown; RSS asks for the size and readers take 0 as unknown.
                    length: "0".to_string(),
                    mime_type: post_info::image_media_type(image)
                        .unwrap_or("image/*")
                        .to_string(),
                }),
                guid: Some(rss::Guid {
                    value: e.id.clone(),
                    permalink: false,
                }),
                pub_date: Some(e.published.to_rfc2822()),
                content: e.content.as_deref().map(owned),
                extensions,
                dublin_core_ext: e.author.as_ref().map(|p| DublinCoreExtension {
                    creators: vec![owned(&p.name)],
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: owned(&feed.title),
        link: feed.home_url.clone(),
        description: owned(feed.description.as_deref().unwrap_or(&feed.title)),
        last_build_date: Some(feed.updated.to_rfc2822()),
        generator: Some(GENERATOR.to_string()),
        docs: Some("https://www.rssboard.org/rss-specification".to_string()),
        items,
        atom_ext: Some(AtomExtension {
            links: vec![rss::extension::atom::Link {
                href: feed.self_url.clone(),
                rel: "self".to_string(),
                mime_type: Some(FeedFormat::Rss.media_type().to_string()),
                ..Default::default()
            }],
        }),
        namespaces: BTreeMap::from([("media".to_string(), MEDIA_NAMESPACE.to_string())]),
        ..Default::default()
    };
    let bytes = channel
        .write_to(Vec::new())
        .map_err(|err| FeedError::Write {
            format: "RSS",
            message: err.to_string(),
        })?;
    String::from_utf8(bytes).map_err(|err| FeedError::Write {
        format: "RSS",
        message: err.to_string(),
    })
}

/// JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    /// Required when there is no `content_html`: the summary stands in.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
}

fn json_author(person: &Person) -> JsonAuthor<'_> {
    JsonAuthor {
        name: &person.name,
        url: person.uri.as_deref(),
    }
}

fn json_feed(feed: &Feed) -> Result<String, FeedError> {
    let document = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: &feed.self_url,
        description: feed.description.as_deref(),
        authors: feed.author.iter().map(json_author).collect(),
        items: feed
            .entries
            .iter()
            .map(|e| JsonItem {
                id: &e.id,
                url: &e.url,
                title: &e.title,
                content_html: e.content.as_deref(),
                content_text: e.content.is_none().then_some(e.summary.as_str()),
                summary: &e.summary,
                image: e.image.as_deref(),
                date_published: e.published.to_rfc3339(),
                date_modified: e.updated.to_rfc3339(),
                authors: e.author.iter().map(json_author).collect(),
                tags: &e.categories,
            })
            .collect(),
    };
    serde_json::to_string(&document).map_err(|err| FeedError::Write {
        format: "JSON",
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> SiteConfig {
        SiteConfig::parse(yaml.as_bytes()).0
    }

    #[test]
    fn posts_limit_follows_jekyll_feed_and_is_capped() {
        assert_eq!(posts_limit(&config("title: x\n")), DEFAULT_POSTS_LIMIT);
        assert_eq!(posts_limit(&config("feed:\n  posts_limit: 25\n")), 25);
        assert_eq!(posts_limit(&config("feed:\n  posts_limit: '3'\n")), 3);
        assert_eq!(
            posts_limit(&config("feed:\n  posts_limit: 100000\n")),
            MAX_POSTS_LIMIT
        );
        assert_eq!(posts_limit(&config("feed:\n  posts_limit: 0\n")), 1);
        assert_eq!(
            posts_limit(&config("feed:\n  posts_limit: lots\n")),
            DEFAULT_POSTS_LIMIT
        );
        assert!(excerpt_only(&config("feed:\n  excerpt_only: yes\n")));
        assert!(!excerpt_only(&config("feed: true\n")));
    }

    #[test]
    fn titles_name_the_selection() {
        let site = config("title: Isobar & Ink\n");
        assert_eq!(feed_title(&site, None), "Isobar & Ink");
        assert_eq!(
            feed_title(&site, Some("tag rust")),
            "Isobar & Ink | tag rust"
        );
        assert_eq!(
            feed_title(&config("url: https://blog.example.org\n"), None),
            "blog.example.org"
        );
    }
}
