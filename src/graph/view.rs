//! A snapshot as one audience sees it: the public (per `--drafts`/`--future`) or the preview
//! audience, which also sees drafts and future posts.

use super::{permalink_key, tag_slug, PostIdx, PostIndex, Snapshot, Tag, TagIdx};
use crate::corpus::SerialNumber;
use chrono::{DateTime, Utc};

/// Who is reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Sees what the server's visibility flags show.
    #[default]
    Public,
    /// Also sees drafts and future posts (never `published: false`).
    Preview,
}

/// The posts one audience may see, with lookups that never return anything else.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub snapshot: &'a Snapshot,
    pub audience: Audience,
    pub index: &'a PostIndex,
}

impl<'a> View<'a> {
    fn visible(&self, idx: Option<&PostIdx>) -> Option<PostIdx> {
        idx.copied().filter(|i| self.index.contains(*i))
    }

    pub fn is_visible(&self, idx: PostIdx) -> bool {
        self.index.contains(idx)
    }

    /// The corpus version this audience sees: it changes only when something it sees does.
    pub fn version(&self) -> &'a str {
        match self.audience {
            Audience::Public => &self.snapshot.version,
            Audience::Preview => &self.snapshot.preview_version,
        }
    }

    /// When the version this audience sees was loaded.
    pub fn loaded_at(&self) -> DateTime<Utc> {
        match self.audience {
            Audience::Public => self.snapshot.loaded_at,
            Audience::Preview => self.snapshot.preview_loaded_at,
        }
    }

    /// A tag, named by its most frequent spelling among the posts this audience sees.
    pub fn tag(&self, idx: TagIdx) -> &'a Tag {
        self.index.tag(idx)
    }

    pub fn post_by_slug(&self, slug: &str) -> Option<PostIdx> {
        self.visible(self.snapshot.lookup.by_slug.get(slug.trim()))
    }

    /// By path relative to the content root (`blog/_posts/2025-01-01-x.md`).
    pub fn post_by_path(&self, path: &str) -> Option<PostIdx> {
        let path = path.trim().trim_start_matches("./").trim_start_matches('/');
        self.visible(self.snapshot.lookup.by_path.get(path))
    }

    /// By serial number, case-insensitive, surrounding space ignored.
    pub fn post_by_serial(&self, serial: &str) -> Option<PostIdx> {
        self.visible(
            self.snapshot
                .lookup
                .by_serial
                .get(&SerialNumber::key(serial)),
        )
    }

    pub fn post_by_id(&self, id: &str) -> Option<PostIdx> {
        match super::id::decode(id)? {
            super::id::NodeRef::Post(path) => self.post_by_path(&path),
            super::id::NodeRef::Tag(_) => None,
        }
    }

    /// By site-relative permalink or absolute URL on this site; a trailing slash, `.html` or
    /// `index.html` does not matter. Also finds `redirect_from` aliases (a permalink this
    /// audience sees wins over an alias).
    pub fn post_by_url(&self, url: &str) -> Option<PostIdx> {
        let key = self.snapshot.url_key(url)?;
        let lookup = &self.snapshot.lookup;
        self.visible(lookup.by_permalink.get(&key))
            .or_else(|| self.visible(lookup.by_alias.get(&key)))
    }

    /// A tag with at least one visible post, by slug or name (case-insensitive).
    pub fn tag_by_slug(&self, slug: &str) -> Option<TagIdx> {
        self.snapshot
            .tag_by_slug(&tag_slug(slug))
            .filter(|t| !self.index.tag_posts(*t).is_empty())
    }

    /// Normalised permalink key of a URL, when it points at this site.
    pub fn url_key(&self, url: &str) -> Option<String> {
        self.snapshot.url_key(url).map(|k| permalink_key(&k))
    }
}
