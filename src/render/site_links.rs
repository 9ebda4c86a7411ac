//! What rendering needs to know about the other posts: where `post_url`, `link` and wiki links
//! lead. Built once per snapshot, over the publicly visible posts only: no rendering depends
//! on a hidden post (a link to one renders as it would if the post did not exist).

use super::wiki::WikiTargets;
use crate::graph::Snapshot;
use std::collections::HashMap;

/// Post URLs (site-relative, with `baseurl`) by the names Jekyll and wiki links use.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SiteLinkIndex {
    /// `2020-01-05-foo` and `blog/2020-01-05-foo` (post_url names).
    by_post_name: HashMap<String, String>,
    /// Root-relative source path (the `link` tag).
    by_path: HashMap<String, String>,
    /// Lower-cased title, slug and file stem (wiki links).
    by_wiki_name: HashMap<String, String>,
}

impl SiteLinkIndex {
    pub fn new(snapshot: &Snapshot) -> Self {
        let mut index = SiteLinkIndex::default();
        let site = &snapshot.config.site;
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

    /// Whether every name this index resolves resolves to the same URL in `other`: then a
    /// rendering that found what it looked up here finds the same in `other`.
    pub fn is_subset_of(&self, other: &SiteLinkIndex) -> bool {
        fn within(a: &HashMap<String, String>, b: &HashMap<String, String>) -> bool {
            a.len() <= b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v))
        }
        within(&self.by_post_name, &other.by_post_name)
            && within(&self.by_path, &other.by_path)
            && within(&self.by_wiki_name, &other.by_wiki_name)
    }

    /// `{% post_url NAME %}`.
    pub fn post_url(&self, name: &str) -> Option<String> {
        let name = name
            .trim()
            .trim_end_matches(".md")
            .trim_end_matches(".markdown");
        self.by_post_name.get(name).cloned()
    }

    /// `{% link PATH %}`.
    pub fn link(&self, path: &str) -> Option<String> {
        self.by_path
            .get(path.trim().trim_start_matches('/'))
            .cloned()
    }
}

impl WikiTargets for SiteLinkIndex {
    fn wiki_target(&self, target: &str) -> Option<String> {
        self.by_wiki_name
            .get(&target.trim().to_lowercase())
            .cloned()
    }
}
