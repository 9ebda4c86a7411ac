//! A parsed post, before it joins the graph.

use super::serial::SerialNumber;
use crate::source::SourceKind;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::{Map, Value};

/// One post file, parsed: normalised front-matter fields plus the Markdown body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Relative to the content root, `/`-separated.
    pub source_path: String,
    pub kind: SourceKind,
    pub title: String,
    pub date: DateTime<FixedOffset>,
    /// The date on the site's wall clock (its `timezone`, else UTC): archives and permalinks
    /// use this, as Jekyll does.
    pub local_date: NaiveDateTime,
    /// `last_modified_at` / `updated`, when given.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Front-matter `slug`, else the file name without date prefix and extension. The graph
    /// makes it unique.
    pub slug: String,
    pub categories: Vec<String>,
    /// Tag names as written, without case-insensitive repeats.
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub layout: Option<String>,
    pub serial_number: Option<SerialNumber>,
    /// `published: false` hides a post, as in Jekyll.
    pub published: bool,
    /// Front matter `toc: true`.
    pub has_toc: bool,
    /// Site-relative path the post is published at.
    pub permalink: String,
    /// `redirect_from`: old paths or URLs that lead here.
    pub aliases: Vec<String>,
    pub syndication: Vec<SyndicationLink>,
    /// The file's own front matter, in written order.
    pub front_matter: Map<String, Value>,
    /// The `_config.yml` `defaults` values whose scope covers the file (most specific
    /// scope's value per key); the file's own front matter overrides them.
    pub defaults: Map<String, Value>,
    /// The Markdown body, front matter removed.
    pub body: String,
    /// 1-based line of the file where the body starts.
    pub body_line: u32,
    /// Front-matter `excerpt_separator`, overriding the site's.
    pub excerpt_separator: Option<String>,
    /// 1-based file line of each top-level front-matter key, for locating diagnostics.
    pub key_lines: Vec<(String, u32)>,
    /// The revision of the bytes this document was parsed from ([`crate::source::revision_of`]).
    pub revision: String,
}

impl Document {
    /// A front-matter value as Jekyll sees it: the file's own, else `_config.yml` defaults'.
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.front_matter
            .get(key)
            .or_else(|| self.defaults.get(key))
    }

    /// The front matter with `_config.yml` defaults under it (Jekyll's `page` data).
    pub fn data(&self) -> Map<String, Value> {
        let mut data = self.defaults.clone();
        for (k, v) in &self.front_matter {
            data.insert(k.clone(), v.clone());
        }
        data
    }

    /// The file line where a top-level front-matter key is written.
    pub fn key_line(&self, key: &str) -> Option<u32> {
        self.key_lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| *l)
    }
}

/// Where else a post was published (`mastodon_social_status_url: https://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyndicationLink {
    pub network: String,
    pub url: String,
}
