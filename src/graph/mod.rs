//! The in-memory graph: one immutable, indexed [`Snapshot`] of the whole corpus, shared as
//! `Arc` and replaced as a whole on reload.

mod build;
pub mod id;
mod index;
mod patch;
mod summary;
mod view;

pub use build::{build_snapshot, status_of, LoadedDocument, SnapshotInput};
pub use index::{
    archive_of, sort_value, ArchiveMonth, ArchiveYear, CategoryEntry, PostIndex, SeriesEntry,
    SortKey, SortValue,
};
pub use patch::build_after;
pub use summary::{FolderHint, LoadSummary};
pub use view::{Audience, View};

use crate::corpus::{Document, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::source::Layout;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Position of a post in [`Snapshot::posts`].
pub type PostIdx = u32;
/// Position of a tag in [`Snapshot::tags`].
pub type TagIdx = u32;

/// Which posts a reader may see, with Jekyll's `--drafts` and `--future` semantics.
/// `published: false` posts are never shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Visibility {
    pub drafts: bool,
    pub future: bool,
}

impl Visibility {
    /// What the preview audience sees: drafts and future posts too.
    pub const PREVIEW: Visibility = Visibility {
        drafts: true,
        future: true,
    };

    /// Whether a post of this status is shown (never `published: false`).
    pub fn shows(self, status: PostStatus) -> bool {
        match status {
            PostStatus::Published => true,
            PostStatus::Draft => self.drafts,
            PostStatus::Future => self.future,
            PostStatus::Unpublished => false,
        }
    }
}

/// Why a post is or is not published, counted by `inkgraph check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PostStatus {
    Published,
    /// In a `_drafts` folder.
    Draft,
    /// `published: false`.
    Unpublished,
    /// Dated after the load time.
    Future,
}

/// A post in the graph.
#[derive(Debug, Clone)]
pub struct Post {
    /// Opaque id, stable for the same source path.
    pub id: String,
    /// The parsed file, shared with the reloader so a rebuild does not copy it.
    pub doc: Arc<Document>,
    /// The document's slug made unique across the corpus (`doc.slug` is as written).
    pub slug: String,
    /// Lower-cased title: what the title order compares.
    pub title_key: String,
    pub tags: Vec<TagIdx>,
    pub status: PostStatus,
    pub word_count: u32,
}

/// A tag: one per case-insensitive name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: String,
    /// Lower case, spaces as `-`.
    pub slug: String,
    /// The most frequent spelling across the posts one audience sees (see [`View::tag`]).
    pub name: String,
    /// `name` in lower case: what orders tags by name.
    pub name_key: String,
}

/// How many files ended up where. `files == posts + drafts + hidden + skipped` always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadStats {
    /// Every post candidate found.
    pub files: usize,
    /// Published posts (not drafts, not hidden).
    pub posts: usize,
    pub drafts: usize,
    /// `published: false` or dated in the future.
    pub hidden: usize,
    /// Files with an ERROR, not loaded.
    pub skipped: usize,
}

/// The whole corpus at one version. Immutable: a reload builds a new one.
///
/// Hidden posts (what the public audience does not see: drafts without `--drafts`, future
/// posts without `--future`, `published: false` posts) never change what the public sees:
/// slugs, serial numbers, permalinks and aliases go to public posts first, tag names and the
/// public index count public posts only, and the public version hashes public files only. So
/// the public answer of a folder with hidden files is the answer of the same folder without
/// them.
#[derive(Debug)]
pub struct Snapshot {
    pub root: PathBuf,
    pub layout: Layout,
    pub config: SiteConfig,
    /// Content hash of the files the public audience sees and the options: same public
    /// files → same version, whatever hidden files do. What public answers and ETags carry.
    pub version: String,
    /// Content hash of every candidate file and the options: changes with any file, hidden
    /// or not. What preview answers carry, and what tells a reload that anything changed.
    pub preview_version: String,
    /// When the public version was first served (a reload that changes only hidden files
    /// keeps it).
    pub loaded_at: DateTime<Utc>,
    /// When this snapshot was built.
    pub preview_loaded_at: DateTime<Utc>,
    /// Every loaded post, whatever its status, newest first (ties by slug).
    pub posts: Vec<Post>,
    /// Every tag of a loaded post, by slug, named as the preview audience sees them; the
    /// public's names are [`View::tag`]'s.
    pub tags: Arc<Vec<Tag>>,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: LoadStats,
    pub visibility: Visibility,
    /// Indexes over the posts `visibility` shows (the public audience).
    pub index: Arc<PostIndex>,
    /// Indexes over what a preview sees: also drafts and future posts.
    pub preview_index: Arc<PostIndex>,
    /// Shared with the snapshots patched from this one.
    lookup: Arc<Lookup>,
    /// The identity of this snapshot's keys (paths, slugs, titles, dates, tags, permalinks,
    /// serials, statuses): a full build makes a new one, a patch keeps the previous one's
    /// unless a title changed (see [`Snapshot::same_keys`]).
    keys: Arc<KeysId>,
    /// What building the graph reported (duplicate slugs, serials, permalinks), kept apart
    /// from the files' own diagnostics so a patched snapshot can reuse them.
    graph_diagnostics: Arc<Vec<Diagnostic>>,
    /// Candidate files the public audience does not see (drafts, future-dated and
    /// `published: false` posts, broken files in `_drafts`), by path relative to the root.
    hidden_files: Arc<HashSet<String>>,
}

/// The identity behind [`Snapshot::same_keys`]: compared by address, holds nothing.
#[derive(Debug, Default)]
struct KeysId;

/// Key → post maps over every loaded post (visibility is checked by the caller). Keys are
/// claimed by public posts first, then by what only the preview sees, then by posts nobody
/// sees, so a hidden post never takes a key from a post its audience sees.
#[derive(Debug, Default)]
struct Lookup {
    by_slug: HashMap<String, PostIdx>,
    by_path: HashMap<String, PostIdx>,
    by_serial: HashMap<String, PostIdx>,
    by_permalink: HashMap<String, PostIdx>,
    by_alias: HashMap<String, PostIdx>,
    tag_by_slug: HashMap<String, TagIdx>,
}

impl Snapshot {
    pub fn post(&self, idx: PostIdx) -> &Post {
        &self.posts[idx as usize]
    }

    pub fn tag(&self, idx: TagIdx) -> &Tag {
        &self.tags[idx as usize]
    }

    /// The snapshot as an audience sees it.
    pub fn view(&self, audience: Audience) -> View<'_> {
        View {
            snapshot: self,
            audience,
            index: match audience {
                Audience::Public => &self.index,
                Audience::Preview => &self.preview_index,
            },
        }
    }

    /// The audience a post is rendered for: the public when it sees the post, else the
    /// preview (hidden posts are only ever shown to a preview).
    pub fn audience_of(&self, idx: PostIdx) -> Audience {
        match self.is_visible(idx) {
            true => Audience::Public,
            false => Audience::Preview,
        }
    }

    /// Whether the public audience may see the file at `path` (relative to the root), or a
    /// diagnostic about it: false for drafts, future-dated and `published: false` posts
    /// (unless `--drafts`/`--future` show them), true for everything else, including the
    /// config file and files that did not load.
    pub fn is_public_file(&self, path: &str) -> bool {
        !self.hidden_files.contains(path)
    }

    /// Every candidate file the public audience does not see.
    pub fn hidden_files(&self) -> &HashSet<String> {
        &self.hidden_files
    }

    /// Whether `other` has the same posts at the same positions with the same keys (paths,
    /// slugs, titles, dates, tags, permalinks, serials, statuses) and settings: true when one
    /// was patched from the other after edits that changed only bodies or other
    /// non-indexed front matter. Then everything derived from those keys carries over.
    pub fn same_keys(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.keys, &other.keys)
    }

    /// Whether the public audience sees the post.
    pub fn is_visible(&self, idx: PostIdx) -> bool {
        self.index.contains(idx)
    }

    /// Any loaded post (whatever its status) by source path, e.g. to tell whose file a
    /// diagnostic names.
    pub fn loaded_post_by_path(&self, path: &str) -> Option<PostIdx> {
        self.lookup.by_path.get(path).copied()
    }

    /// A publicly visible post by slug (see [`View`] for every lookup).
    pub fn post_by_slug(&self, slug: &str) -> Option<PostIdx> {
        self.view(Audience::Public).post_by_slug(slug)
    }

    /// A publicly visible post by serial number, case-insensitive.
    pub fn post_by_serial(&self, serial: &str) -> Option<PostIdx> {
        self.view(Audience::Public).post_by_serial(serial)
    }

    /// A publicly visible post by id.
    pub fn post_by_id(&self, id: &str) -> Option<PostIdx> {
        self.view(Audience::Public).post_by_id(id)
    }

    /// A publicly visible post by permalink, URL or alias.
    pub fn post_by_url(&self, url: &str) -> Option<PostIdx> {
        self.view(Audience::Public).post_by_url(url)
    }

    /// Normalises a URL or path to the form the permalink index uses; `None` for a URL that
    /// is not this site's (see [`SiteUrl`](crate::corpus::SiteUrl) for the rules).
    pub(crate) fn url_key(&self, url: &str) -> Option<String> {
        self.config
            .site
            .site_path(url)
            .map(|path| permalink_key(&path))
    }

    /// Any tag (whether or not an audience sees posts with it), by slug or name.
    pub fn tag_by_slug(&self, slug: &str) -> Option<TagIdx> {
        self.lookup.tag_by_slug.get(&tag_slug(slug)).copied()
    }
}

/// The tag slug of a name: lower case, whitespace runs as `-`.
pub fn tag_slug(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

/// `/blog/x/`, `/blog/x.html`, `blog/x/index.html` → `/blog/x`.
pub fn permalink_key(path: &str) -> String {
    let path = path.trim();
    let path = path.strip_suffix("index.html").unwrap_or(path);
    let path = path.strip_suffix(".html").unwrap_or(path);
    let path = path.trim_matches('/');
    format!("/{path}")
}
