//! Loading a content folder: find files (`source`), parse them in parallel (`corpus`), build
//! the snapshot (`graph`).

use super::build::{build_snapshot, SnapshotInput};
use super::{Snapshot, Visibility};
use crate::corpus::{parse_file, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::source::{self, CONFIG_FILE};
use chrono::Utc;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What to load and who may see what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub root: PathBuf,
    pub visibility: Visibility,
}

/// The content folder itself cannot be used. Problems inside it are diagnostics instead.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("content folder {} does not exist (pass --content DIR or set INKGRAPH_CONTENT)", .0.display())]
    RootNotFound(PathBuf),
    #[error("{} is not a folder (pass --content DIR with the blog's root folder)", .0.display())]
    RootNotADirectory(PathBuf),
}

/// Loads every post under `options.root` into a new snapshot.
pub fn load(options: &LoadOptions) -> Result<Snapshot, LoadError> {
    let root = options.root.as_path();
    check_root(root)?;
    let mut diagnostics = Vec::new();
    let (config, config_bytes) = match source::read_config(root) {
        None => (SiteConfig::default(), Vec::new()),
        Some(Ok(bytes)) => {
            let (config, problems) = SiteConfig::parse(&bytes);
            diagnostics.extend(problems);
            (config, bytes)
        }
        Some(Err(err)) => {
            diagnostics.push(Diagnostic::error(
                CONFIG_FILE,
                format!("cannot read: {err}; using default settings"),
            ));
            (SiteConfig::default(), Vec::new())
        }
    };
    let discovery = source::discover(root, &config.exclude);

    let parsed: Vec<_> = discovery
        .files
        .par_iter()
        .map(|file| match file.read() {
            Ok(contents) => {
                let hash = blake3::hash(&contents.bytes);
                let parsed = parse_file(file, &contents.bytes, contents.modified, &config);
                (Some(hash), parsed.document, parsed.diagnostics)
            }
            Err(err) => (
                None,
                None,
                vec![Diagnostic::error(
                    &file.path,
                    format!("cannot read file: {err}"),
                )],
            ),
        })
        .collect();

    let mut hasher = blake3::Hasher::new();
    hasher.update(b"inkgraph-snapshot-v1\0");
    hasher.update(&[
        options.visibility.drafts as u8,
        options.visibility.future as u8,
    ]);
    hasher.update(blake3::hash(&config_bytes).as_bytes());
    let mut documents = Vec::with_capacity(parsed.len());
    for (file, (hash, document, problems)) in discovery.files.iter().zip(parsed) {
        hasher.update(file.path.as_bytes());
        hasher.update(b"\0");
        match hash {
            Some(hash) => hasher.update(hash.as_bytes()),
            None => hasher.update(b"unreadable"),
        };
        documents.extend(document);
        diagnostics.extend(problems);
    }
    let version = hasher.finalize().to_hex()[..16].to_string();

    Ok(build_snapshot(SnapshotInput {
        root: root.to_path_buf(),
        layout: discovery.layout,
        config,
        version,
        files: discovery.files.len(),
        documents,
        diagnostics,
        visibility: options.visibility,
        now: Utc::now(),
    }))
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
