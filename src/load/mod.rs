//! Loading a content folder: find and read files (`source`), parse them in parallel
//! (`corpus`), build the snapshot (`graph`) — at start, and again, incrementally, for a set of
//! changed files ([`ParsedFolder`]).

mod folder;

pub use folder::{FileChanges, ParsedFolder};

use crate::graph::{Snapshot, Visibility};
use std::path::{Path, PathBuf};

/// What to load and who may see what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub root: PathBuf,
    pub visibility: Visibility,
}

/// Where the blog is and which posts everyone sees: settings of every command that reads the
/// content folder, declared once here (see [`crate::server::HttpConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ContentArgs {
    /// The blog's root folder (a Jekyll site or a plain folder of Markdown).
    #[arg(
        long,
        env = "INKGRAPH_CONTENT",
        default_value = "./content",
        value_name = "DIR"
    )]
    pub content: PathBuf,
    /// Treat posts in `_drafts` folders as published (like `jekyll --drafts`); `serve` then
    /// shows them to everyone.
    #[arg(long, env = "INKGRAPH_DRAFTS")]
    pub drafts: bool,
    /// Treat posts dated in the future as published (like `jekyll --future`); `serve` then
    /// shows them to everyone.
    #[arg(long, env = "INKGRAPH_FUTURE")]
    pub future: bool,
}

impl ContentArgs {
    /// What the loader needs.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            root: self.content.clone(),
            visibility: Visibility {
                drafts: self.drafts,
                future: self.future,
            },
        }
    }
}

/// The content folder itself cannot be used. Problems inside it are diagnostics instead.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("content folder {} does not exist (pass --content DIR or set INKGRAPH_CONTENT)", .0.display())]
    RootNotFound(PathBuf),
    #[error("{} is not a folder (pass --content DIR with the blog's root folder)", .0.display())]
    RootNotADirectory(PathBuf),
    /// Rebuilding after a change failed unexpectedly (a bug); the previous snapshot stays.
    #[error("rebuilding the snapshot failed: {0}")]
    Rebuild(String),
}

/// Loads every post under `options.root` into a new snapshot. To reload later without parsing
/// everything again, use [`ParsedFolder::load`], which this calls.
pub fn load(options: &LoadOptions) -> Result<Snapshot, LoadError> {
    ParsedFolder::load(options).map(|(_, snapshot)| snapshot)
}

fn check_root(root: &Path) -> Result<(), LoadError> {
    if !root.exists() {
        return Err(LoadError::RootNotFound(root.to_path_buf()));
    }
    if !root.is_dir() {
        return Err(LoadError::RootNotADirectory(root.to_path_buf()));
    }
    Ok(())
}
