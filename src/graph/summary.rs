//! What a load found, in the words `serve` and `check` both use, and hints when the content
//! folder looks like the wrong one.

use super::Snapshot;
use std::fmt;
use std::path::{Path, PathBuf};

/// The counts of one load. `serve`'s start line and `check`'s report print the same numbers
/// with the same names (through [`fmt::Display`]):
/// `18 files: 15 posts, 1 drafts, 2 hidden, 0 skipped; 34 tags (28 on public posts)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSummary {
    /// Every post candidate found (`posts + drafts + hidden + skipped`).
    pub files: usize,
    /// Published posts: not drafts, not hidden, loaded.
    pub posts: usize,
    /// Files in `_drafts`, whether or not `--drafts` shows them.
    pub drafts: usize,
    /// `published: false` or future-dated posts, whether or not `--future` shows them.
    pub hidden: usize,
    /// Files with an ERROR, not loaded.
    pub skipped: usize,
    /// Every loaded post: `posts + drafts + hidden` (less drafts with an ERROR); what the
    /// background rendering renders.
    pub loaded: usize,
    /// Posts everyone sees: `posts`, plus drafts and future posts when `--drafts`/`--future`
    /// show them.
    pub public_posts: usize,
    /// Distinct tags (case-insensitive) over every loaded post.
    pub tags: usize,
    /// Distinct tags of the public posts (what `tagCloud` and `tags` list).
    pub public_tags: usize,
}

impl LoadSummary {
    /// The counts of `snapshot`.
    pub fn of(snapshot: &Snapshot) -> Self {
        let stats = snapshot.stats;
        LoadSummary {
            files: stats.files,
            posts: stats.posts,
            drafts: stats.drafts,
            hidden: stats.hidden,
            skipped: stats.skipped,
            loaded: snapshot.posts.len(),
            public_posts: snapshot.index.len(),
            tags: snapshot.tags.len(),
            public_tags: snapshot.index.tags_by_count().len(),
        }
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files: {} posts, {} drafts, {} hidden, {} skipped; {} tags ({} on public posts)",
            self.files,
            self.posts,
            self.drafts,
            self.hidden,
            self.skipped,
            self.tags,
            self.public_tags
        )?;
        if self.public_posts != self.posts {
            write!(
                f,
                "; {} public posts with --drafts/--future",
                self.public_posts
            )?;
        }
        Ok(())
    }
}

/// A sign that `--content` names the wrong folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderHint {
    /// No post file at all.
    NoPostFiles { root: PathBuf },
    /// Post files, but none everyone sees.
    NoPublicPosts { drafts: usize, hidden: usize },
    /// The root is a `_posts` or `_drafts` folder, not the site's root.
    PostsFolder { root: PathBuf, site_root: PathBuf },
    /// The root has no `_config.yml`, but a folder above it has one: it is probably a part
    /// of that Jekyll site.
    InsideASite { root: PathBuf, site_root: PathBuf },
}

impl fmt::Display for FolderHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderHint::NoPostFiles { root } => write!(
                f,
                "no posts found in {}: a Jekyll site keeps them in `_posts/` folders, a plain folder has `.md` files; is --content (INKGRAPH_CONTENT) the blog's root folder?",
                root.display()
            ),
            FolderHint::NoPublicPosts { drafts, hidden } => write!(
                f,
                "no public posts: {drafts} drafts and {hidden} hidden (`published: false` or future-dated) posts are shown only with --drafts/--future or a preview token"
            ),
            FolderHint::PostsFolder { root, site_root } => write!(
                f,
                "--content {} is a `{}` folder, not the site's root: pass --content {} so `_config.yml` (permalinks, timezone, defaults), `_drafts` and `_includes` are read; inside `{}` every file is a post of a plain folder",
                root.display(),
                root.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                site_root.display(),
                root.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            ),
            FolderHint::InsideASite { root, site_root } => write!(
                f,
                "{} has no `_config.yml` but {} has one: if this is part of that Jekyll site, pass --content {} so its settings and permalinks apply",
                root.display(),
                site_root.display(),
                site_root.display()
            ),
        }
    }
}

impl FolderHint {
    /// The hints for `snapshot`, loaded from its root: a folder without posts, without public
    /// posts, or below a Jekyll site's root.
    pub fn of(snapshot: &Snapshot) -> Vec<FolderHint> {
        let summary = LoadSummary::of(snapshot);
        let root = &snapshot.root;
        let mut hints = Vec::new();
        if summary.files == 0 {
            hints.push(FolderHint::NoPostFiles { root: root.clone() });
        } else if summary.public_posts == 0 && summary.skipped < summary.files {
            hints.push(FolderHint::NoPublicPosts {
                drafts: summary.drafts,
                hidden: summary.hidden,
            });
        }
        hints.extend(Self::of_folder(root));
        hints
    }

    /// The hints that depend on the folder alone: a `_posts`/`_drafts` folder, or a folder
    /// without `_config.yml` below one that has it (looking up to three levels).
    pub fn of_folder(root: &Path) -> Option<FolderHint> {
        let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let name = absolute.file_name()?.to_string_lossy().to_string();
        // The nearest folder above with a `_config.yml`, looking up to three levels.
        let site_above = absolute
            .ancestors()
            .skip(1)
            .take(3)
            .find(|dir| dir.join("_config.yml").is_file());
        if name == "_posts" || name == "_drafts" {
            let site_root = site_above.or_else(|| absolute.parent())?;
            return Some(FolderHint::PostsFolder {
                root: root.to_path_buf(),
                site_root: shown_parent(root, site_root),
            });
        }
        if absolute.join("_config.yml").is_file() {
            return None;
        }
        site_above.map(|site_root| FolderHint::InsideASite {
            root: root.to_path_buf(),
            site_root: shown_parent(root, site_root),
        })
    }
}

/// `ancestor` written the way the user wrote `root`: relative when `root` was relative and
/// `ancestor` is one of its lexical parents, else absolute.
fn shown_parent(root: &Path, ancestor: &Path) -> PathBuf {
    if root.is_relative() {
        let mut candidate = root.to_path_buf();
        while candidate.pop() {
            if candidate.as_os_str().is_empty() {
                break;
            }
            if std::fs::canonicalize(&candidate).ok().as_deref() == Some(ancestor) {
                return candidate;
            }
        }
    }
    ancestor.to_path_buf()
}
