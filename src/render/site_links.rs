//! What rendering needs to know about the other posts: where `post_url`, `link` and wiki links
//! lead. Built once per snapshot, over the publicly visible posts only: no rendering depends
//! on a hidden post (a link to one renders as it would if the post did not exist).

use super::wiki::WikiTargets;
use crate::corpus::permalink::slugify;
use crate::corpus::{front_matter, values, SiteUrl};
use crate::graph::Snapshot;
use crate::source::{read_content_file, Layout};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::PathBuf;

/// One question a rendering asked about the rest of the site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkLookup {
    /// `{% post_url NAME %}`.
    PostUrl(String),
    /// `{% link PATH %}`.
    Link(String),
    /// `[[Wiki link]]`.
    Wiki(String),
}

/// What a rendering looked up about the rest of the site, with the answers it got: the
/// rendering comes out the same from another snapshot's index that answers them alike.
pub type Lookups = Vec<(LinkLookup, Option<String>)>;

thread_local! {
    /// The lookups of the rendering running on this thread, while one is [`recording`].
    static RECORDING: RefCell<Option<Lookups>> = const { RefCell::new(None) };
}

/// Runs `render` (on this thread) and returns what it returns with every lookup any
/// [`SiteLinkIndex`] answered meanwhile (Liquid's link tags and wiki links reach the index
/// through traits shared by every rendering, so the answers are noted on the way out).
pub fn recording<R>(render: impl FnOnce() -> R) -> (R, Lookups) {
    let outer = RECORDING.with(|log| log.borrow_mut().replace(Vec::new()));
    let out = render();
    let lookups = RECORDING.with(|log| std::mem::replace(&mut *log.borrow_mut(), outer));
    (out, lookups.unwrap_or_default())
}

fn noted(lookup: LinkLookup, answer: Option<String>) -> Option<String> {
    RECORDING.with(|log| {
        // Every lookup, repeats too: finding repeats would cost a search per link.
        if let Some(lookups) = log.borrow_mut().as_mut() {
            lookups.push((lookup, answer.clone()));
        }
    });
    answer
}

/// Post URLs (site-relative, with `baseurl`) by the names Jekyll and wiki links use.
///
/// Made anew for every version whose keys changed (an editor's retitle too), so its maps
/// use the fast non-keyed hasher and are sized once: the names come from the site's own
/// files, not from requests.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SiteLinkIndex {
    /// `2020-01-05-foo` and `blog/2020-01-05-foo` (post_url names).
    by_post_name: FxHashMap<String, String>,
    /// Root-relative source path (the `link` tag).
    by_path: FxHashMap<String, String>,
    /// Lower-cased title, slug and file stem (wiki links).
    by_wiki_name: FxHashMap<String, String>,
    /// Where `{% link %}` finds the site's other files (pages, other collections).
    files: Option<SiteFiles>,
}

/// The site's files that are not posts, as `{% link %}` sees them: each file is read when a
/// link names it (its front matter's `permalink`, else Jekyll's default URL).
#[derive(Debug, Clone, PartialEq)]
struct SiteFiles {
    root: PathBuf,
    site: SiteUrl,
    /// The site's `permalink` style ends with `/` (`pretty`): pages and collections get
    /// folder URLs.
    pretty: bool,
    /// `collections:` of `_config.yml`, by label.
    collections: Map<String, Value>,
}

impl SiteLinkIndex {
    pub fn new(snapshot: &Snapshot) -> Self {
        let posts = snapshot.index.newest_first().len();
        let sized = |per_post: usize| {
            FxHashMap::with_capacity_and_hasher(posts * per_post, Default::default())
        };
        let mut index = SiteLinkIndex {
            by_post_name: sized(1),
            by_path: sized(1),
            by_wiki_name: sized(3),
            files: None,
        };
        let site = &snapshot.config.site;
        if snapshot.layout == Layout::Jekyll {
            let config = &snapshot.config;
            let style = config
                .data
                .get("permalink")
                .and_then(|p| values::text(p, None))
                .unwrap_or_default();
            index.files = Some(SiteFiles {
                root: snapshot.root.clone(),
                site: site.clone(),
                pretty: crate::corpus::permalink::style_template(&style).ends_with('/'),
                collections: match config.data.get("collections") {
                    Some(Value::Object(map)) => map.clone(),
                    Some(Value::Array(labels)) => labels
                        .iter()
                        .filter_map(|l| Some((l.as_str()?.to_string(), Value::Null)))
                        .collect(),
                    _ => Map::new(),
                },
            });
        }
        for &idx in snapshot.index.newest_first() {
            let post = snapshot.post(idx);
            let doc = &post.doc;
            let url = site.relative(&doc.permalink);
            let file = doc
                .source_path
                .rsplit('/')
                .next()
                .unwrap_or(&doc.source_path);
            let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
            index.by_post_name.insert(stem.to_string(), url.clone());
            if !doc.categories.is_empty() {
                index
                    .by_post_name
                    .insert(format!("{}/{stem}", doc.categories.join("/")), url.clone());
            }
            index.by_path.insert(doc.source_path.clone(), url.clone());
            for name in [doc.title.as_str(), post.slug.as_str(), stem] {
                index
                    .by_wiki_name
                    .entry(name.trim().to_lowercase())
                    .or_insert_with(|| url.clone());
            }
        }
        index
    }

    /// The answer to `lookup` (not noted down: see [`recording`]).
    pub fn answer(&self, lookup: &LinkLookup) -> Option<String> {
        match lookup {
            LinkLookup::PostUrl(name) => self.find_post_url(name),
            LinkLookup::Link(path) => self.find_link(path),
            LinkLookup::Wiki(target) => self.find_wiki_target(target),
        }
    }

    /// Whether this index answers every one of `lookups` as it was answered; a repeated
    /// lookup (the same link twice in a post) is asked once (`{% link %}` may read a file).
    pub fn answers_alike(&self, lookups: &Lookups) -> bool {
        let mut asked = std::collections::HashSet::new();
        lookups
            .iter()
            .filter(|(lookup, _)| asked.insert(lookup))
            .all(|(lookup, answer)| self.answer(lookup) == *answer)
    }

    /// `{% post_url NAME %}`.
    pub fn post_url(&self, name: &str) -> Option<String> {
        noted(
            LinkLookup::PostUrl(name.to_string()),
            self.find_post_url(name),
        )
    }

    fn find_post_url(&self, name: &str) -> Option<String> {
        let name = name
            .trim()
            .trim_end_matches(".md")
            .trim_end_matches(".markdown");
        self.by_post_name.get(name).cloned()
    }

    /// `{% link PATH %}`: a post, else a page or a document of another collection.
    pub fn link(&self, path: &str) -> Option<String> {
        noted(LinkLookup::Link(path.to_string()), self.find_link(path))
    }

    fn find_link(&self, path: &str) -> Option<String> {
        let path = path.trim().trim_start_matches('/');
        if let Some(url) = self.by_path.get(path) {
            return Some(url.clone());
        }
        self.files.as_ref()?.url_of(path)
    }
}

impl SiteFiles {
    /// The URL Jekyll gives the file at `path` (root-relative), if the site has it.
    fn url_of(&self, path: &str) -> Option<String> {
        let file = read_content_file(&self.root, path, crate::source::MAX_FILE_BYTES).ok()?;
        let text = String::from_utf8_lossy(&file.bytes);
        let (dir, file_name) = path.rsplit_once('/').unwrap_or(("", path));
        let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, ""));
        let output_ext = match ext {
            "md" | "markdown" | "mkd" | "mkdn" | "mdown" | "html" | "htm" => ".html",
            _ => "",
        };
        let collection = dir
            .split('/')
            .next()
            .and_then(|first| first.strip_prefix('_'))
            .filter(|label| self.collections.contains_key(*label));
        if dir.split('/').any(|part| part.starts_with('_')) && collection.is_none() {
            return None; // Not written out by Jekyll (`_includes`, `_data`, …).
        }
        let Some(data) = front_matter::front_matter_map(&text) else {
            // A static file: served as it is.
            return Some(self.site.relative(&format!("/{path}")));
        };
        let template = values::text(data.get("permalink").unwrap_or(&Value::Null), None)
            .or_else(|| {
                let label = collection?;
                self.collections
                    .get(label)
                    .and_then(|c| c.get("permalink"))
                    .and_then(|p| values::text(p, None))
            })
            .unwrap_or_else(|| {
                let base = if collection.is_some() {
                    "/:collection/:path"
                } else if stem == "index" {
                    "/:path/"
                } else {
                    "/:path/:basename"
                };
                match (self.pretty, base.ends_with('/')) {
                    (_, true) => base.to_string(),
                    (true, false) => format!("{base}/"),
                    (false, false) => format!("{base}:output_ext"),
                }
            });
        let (collection_path, page_dir) = match collection {
            Some(label) => {
                let inside = path[label.len() + 2..].to_string();
                let without_ext = inside
                    .rsplit_once('.')
                    .map_or(inside.as_str(), |(s, _)| s)
                    .to_string();
                (without_ext, String::new())
            }
            None => (String::new(), dir.to_string()),
        };
        let slug = values::text(data.get("slug").unwrap_or(&Value::Null), None)
            .unwrap_or_else(|| stem.to_string());
        let mut url = String::new();
        let mut rest = template.as_str();
        while let Some(start) = rest.find(':') {
            url.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let value = match &after[..len] {
                "collection" => collection.unwrap_or("").to_string(),
                "path" if collection.is_some() => collection_path.clone(),
                "path" => page_dir.clone(),
                "basename" => stem.to_string(),
                "name" => slugify(stem),
                "title" | "slug" => slugify(&slug),
                "output_ext" => output_ext.to_string(),
                other => format!(":{other}"),
            };
            url.push_str(&value);
            rest = &after[len..];
        }
        url.push_str(rest);
        let mut clean = String::with_capacity(url.len() + 1);
        for part in url.split('/').filter(|p| !p.is_empty()) {
            clean.push('/');
            clean.push_str(part);
        }
        if url.ends_with('/') || clean.is_empty() {
            clean.push('/');
        }
        Some(self.site.relative(&clean))
    }
}

impl SiteLinkIndex {
    fn find_wiki_target(&self, target: &str) -> Option<String> {
        self.by_wiki_name
            .get(&target.trim().to_lowercase())
            .cloned()
    }
}

impl WikiTargets for SiteLinkIndex {
    fn wiki_target(&self, target: &str) -> Option<String> {
        noted(
            LinkLookup::Wiki(target.to_string()),
            self.find_wiki_target(target),
        )
    }
}
