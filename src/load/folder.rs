//! Reloading without starting over. [`ParsedFolder`] keeps the last parse of every file, so a
//! change set re-reads and re-parses only the files it names and the snapshot is rebuilt from
//! the documents already in memory. A file that turns invalid keeps serving its last good
//! version (its ERROR is reported) until a fix arrives.
//!
//! Versions: a snapshot's preview version hashes the options, `_config.yml` and every candidate
//! file's path and bytes, in path order, so a reload gives the version a from-scratch [`load`]
//! of the same files gives. Its (public) version hashes the same, leaving out the files the
//! public does not see, so it is the version of the same folder without them. The one exception is a file served from its last good version: its entry
//! also hashes the kept bytes, so such a snapshot has a version no fresh load produces (a fresh
//! load has no last good version to keep and skips the file).
//!
//! [`load`]: super::load

use super::{check_root, LoadError, LoadOptions};
use crate::corpus::{parse_file, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::graph::{build_after, status_of, LoadedDocument, Snapshot, SnapshotInput};
use crate::source::{self, Layout, SourceFile, SourceKind, CONFIG_FILE};
use chrono::Utc;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Change sets of more files than this are read and parsed in parallel.
const PARALLEL_FROM: usize = 8;

/// What a reload changed, by source path relative to the content root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChanges {
    /// Candidate files that are new.
    pub added: Vec<String>,
    /// Candidate files whose bytes changed (including ones that became invalid).
    pub updated: Vec<String>,
    /// Candidate files that are gone (deleted, renamed away or now excluded).
    pub removed: Vec<String>,
    /// Whether the whole folder was rescanned (`_config.yml` or a folder changed, or a full
    /// reload was asked for).
    pub full: bool,
}

impl FileChanges {
    /// No file was added, changed or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// The content folder as last read: settings plus the last parse of every candidate file.
#[derive(Debug)]
pub struct ParsedFolder {
    options: LoadOptions,
    layout: Layout,
    config: SiteConfig,
    /// Hash of `_config.yml`'s bytes (of nothing when absent).
    config_hash: blake3::Hash,
    config_diagnostics: Vec<Diagnostic>,
    files: BTreeMap<String, FileState>,
}

/// One candidate file as last read.
#[derive(Debug, Clone)]
struct FileState {
    source: SourceFile,
    /// Hash of the bytes last read; `None` when the file could not be read.
    hash: Option<blake3::Hash>,
    /// What parsing (or reading) the current bytes reported.
    diagnostics: Vec<Diagnostic>,
    /// The newest document that parsed, and the hash of the bytes it came from.
    good: Option<(blake3::Hash, Arc<LoadedDocument>)>,
}

impl FileState {
    /// Whether the served document comes from older bytes than the file's current ones.
    fn serves_kept_version(&self) -> bool {
        matches!((&self.good, self.hash), (Some((good, _)), current) if current != Some(*good))
    }
}

impl ParsedFolder {
    /// Loads every file under `options.root`.
    pub fn load(options: &LoadOptions) -> Result<(ParsedFolder, Snapshot), LoadError> {
        let mut corpus = ParsedFolder {
            options: options.clone(),
            layout: Layout::Plain,
            config: SiteConfig::default(),
            config_hash: blake3::hash(b""),
            config_diagnostics: Vec::new(),
            files: BTreeMap::new(),
        };
        let (snapshot, _) = corpus.reload_all()?;
        Ok((corpus, snapshot))
    }

    /// The options this corpus loads with.
    pub fn options(&self) -> &LoadOptions {
        &self.options
    }

    /// Rescans the whole folder. Files whose bytes (and `_config.yml`) did not change are not
    /// parsed again; a file that fails keeps its last good document.
    pub fn reload_all(&mut self) -> Result<(Snapshot, FileChanges), LoadError> {
        let root = self.options.root.clone();
        check_root(&root)?;
        let mut config_diagnostics = Vec::new();
        let (config, config_bytes) = match source::read_config(&root) {
            None => (SiteConfig::default(), Vec::new()),
            Some(Ok(bytes)) => {
                let (config, problems) = SiteConfig::parse(&bytes);
                config_diagnostics.extend(problems);
                (config, bytes)
            }
            Some(Err(refusal)) => {
                config_diagnostics.push(Diagnostic::error(
                    CONFIG_FILE,
                    format!("not read: {refusal}; using default settings"),
                ));
                (SiteConfig::default(), Vec::new())
            }
        };
        let config_hash = blake3::hash(&config_bytes);
        let config_changed = config_hash != self.config_hash;
        let discovery = source::discover(&root, &config.exclude);
        config_diagnostics.extend(discovery.diagnostics);
        let previous = &self.files;
        let files: BTreeMap<String, FileState> = discovery
            .files
            .into_par_iter()
            .map(|file| {
                let old = previous.get(&file.path).filter(|old| old.source == file);
                let state = read_and_parse(&root, file, old, !config_changed, &config);
                (state.source.path.clone(), state)
            })
            .collect();

        let mut delta = FileChanges {
            full: true,
            ..FileChanges::default()
        };
        for (path, state) in &files {
            match self.files.get(path) {
                None => delta.added.push(path.clone()),
                Some(old) if old.hash != state.hash || config_changed => {
                    delta.updated.push(path.clone())
                }
                Some(_) => {}
            }
        }
        delta.removed = self
            .files
            .keys()
            .filter(|path| !files.contains_key(*path))
            .cloned()
            .collect();

        self.layout = discovery.layout;
        self.config = config;
        self.config_hash = config_hash;
        self.config_diagnostics = config_diagnostics;
        self.files = files;
        Ok((self.build(None), delta))
    }

    /// Applies a change set: `paths` (absolute, or relative to the root) were created, changed,
    /// renamed or deleted. Only those files are read and parsed again; `_config.yml`, a folder,
    /// or a change that switches the folder's layout rescans everything.
    pub fn apply(&mut self, paths: &[PathBuf]) -> Result<(Snapshot, FileChanges), LoadError> {
        self.apply_to(paths, None)
    }

    /// [`apply`](Self::apply), given the snapshot built last: when the changes leave every
    /// post's keys alone (the usual save of a post's text), the new snapshot is `previous`
    /// patched with the new documents instead of built from scratch. Either way it equals
    /// what a full build gives.
    pub fn apply_to(
        &mut self,
        paths: &[PathBuf],
        previous: Option<&Snapshot>,
    ) -> Result<(Snapshot, FileChanges), LoadError> {
        let root = self.options.root.clone();
        check_root(&root)?;
        let canonical_root = root.canonicalize().ok();
        let mut changed = BTreeSet::new();
        for path in paths {
            let rel = if path.is_relative() {
                Some(source::relative_to(Path::new(""), path).unwrap_or_default())
            } else {
                source::relative_to(&root, path).or_else(|| {
                    canonical_root
                        .as_deref()
                        .and_then(|c| source::relative_to(c, path))
                })
            };
            match rel {
                Some(rel) if rel.is_empty() => return self.reload_all(),
                // Inside a hidden folder (`.git`, the content store's `.inkgraph-trash`) or a
                // hidden file: the scan never reads those, so a commit or a trash entry is
                // no reason to rescan.
                Some(rel) if rel.split('/').any(source::is_ignored_name) => {}
                Some(rel) => {
                    changed.insert(rel);
                }
                None => {}
            }
        }
        let needs_rescan = changed.iter().any(|rel| {
            let abs = root.join(rel);
            // A link to a folder rescans too, so that the scan reports it.
            rel == CONFIG_FILE
                || abs.is_dir()
                // A folder that vanished (deleted or renamed away) with files in it.
                || self
                    .files
                    .range(format!("{rel}/")..)
                    .next()
                    .is_some_and(|(p, _)| p.starts_with(&format!("{rel}/")))
                // A first `_posts` folder turns a plain folder into a Jekyll site.
                || (self.layout == Layout::Plain
                    && rel.split('/').any(|part| part == "_posts")
                    && exists_not_folder(&abs))
        });
        if needs_rescan {
            return self.reload_all();
        }

        let exclusions = source::Exclusions::new(&self.config.exclude);
        let parse = |rel: String| {
            let candidate = source::candidate(&root, self.layout, &rel, &exclusions);
            // The same rule as the full scan: anything there that is not a folder (a link, a
            // FIFO, …) is a candidate, and reading it reports why it is refused.
            let state = candidate.and_then(|file| {
                let previous = self.files.get(&rel).filter(|old| old.source == file);
                match exists_not_folder(&file.abs_path) {
                    true => Some(read_and_parse(&root, file, previous, true, &self.config)),
                    false => None,
                }
            });
            (rel, state)
        };
        // A save touches a file or two: parse those here rather than queue behind whatever
        // the shared thread pool is busy with (rendering, at start-up).
        let updates: Vec<(String, Option<FileState>)> = match changed.len() > PARALLEL_FROM {
            true => changed.into_par_iter().map(parse).collect(),
            false => changed.into_iter().map(parse).collect(),
        };

        let mut delta = FileChanges::default();
        for (rel, state) in updates {
            match state {
                Some(state) => match self.files.insert(rel.clone(), state) {
                    None => delta.added.push(rel),
                    Some(old) if old.hash != self.files[&rel].hash => delta.updated.push(rel),
                    Some(_) => {}
                },
                None => {
                    if self.files.remove(&rel).is_some() {
                        delta.removed.push(rel);
                    }
                }
            }
        }
        // The last `_posts` file gone turns a Jekyll site into a plain folder.
        if self.layout == Layout::Jekyll
            && !delta.removed.is_empty()
            && !self
                .files
                .keys()
                .any(|p| p.split('/').any(|part| part == "_posts"))
        {
            return self.reload_all();
        }
        Ok((self.build(previous), delta))
    }

    /// A snapshot of the files as they are now, patched from `previous` when it can be.
    fn build(&self, previous: Option<&Snapshot>) -> Snapshot {
        let visibility = self.options.visibility;
        let now = Utc::now();
        // Two hashes over the same entries: every file (the preview's version) and the files
        // the public sees (its version). Without hidden files they are equal.
        let mut preview_hasher = blake3::Hasher::new();
        let mut public_hasher = blake3::Hasher::new();
        for hasher in [&mut preview_hasher, &mut public_hasher] {
            hasher.update(b"inkgraph-snapshot-v1\0");
            hasher.update(&[visibility.drafts as u8, visibility.future as u8]);
            hasher.update(self.config_hash.as_bytes());
        }
        let mut documents = Vec::with_capacity(self.files.len());
        let mut diagnostics = self.config_diagnostics.clone();
        let mut hidden_files = HashSet::new();
        let mut entry = Vec::new();
        for (path, state) in &self.files {
            entry.clear();
            entry.extend_from_slice(path.as_bytes());
            entry.push(0);
            match state.hash {
                Some(hash) => entry.extend_from_slice(hash.as_bytes()),
                None => entry.extend_from_slice(b"unreadable"),
            };
            diagnostics.extend(state.diagnostics.iter().cloned());
            // A draft the public does not see, even when it does not load; likewise a file
            // that does not load but is named for a future date (`2999-01-01-launch.md`).
            let mut hidden = (state.source.kind == SourceKind::Draft && !visibility.drafts)
                || (state.good.is_none() && !visibility.future && named_for_the_future(path, now));
            if let Some((good, document)) = &state.good {
                if state.serves_kept_version() {
                    entry.extend_from_slice(b"\0kept\0");
                    entry.extend_from_slice(good.as_bytes());
                    diagnostics.push(Diagnostic::warning(
                        path,
                        "serving this post's last good version until the ERROR in the file is fixed",
                    ));
                }
                hidden |= !visibility.shows(status_of(&document.doc, now));
                documents.push(document.clone());
            }
            preview_hasher.update(&entry);
            match hidden {
                true => {
                    hidden_files.insert(path.clone());
                }
                false => {
                    public_hasher.update(&entry);
                }
            }
        }
        let version = |hasher: blake3::Hasher| hasher.finalize().to_hex()[..16].to_string();
        let input = SnapshotInput {
            root: self.options.root.clone(),
            layout: self.layout,
            config: self.config.clone(),
            version: version(public_hasher),
            preview_version: version(preview_hasher),
            files: self.files.len(),
            documents,
            diagnostics,
            hidden_files: Arc::new(hidden_files),
            visibility,
            now,
        };
        build_after(previous, input)
    }
}

/// Whether the file name starts with a date after `now` (`2999-01-01-launch.md`).
fn named_for_the_future(path: &str, now: chrono::DateTime<Utc>) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.get(..10)
        .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .is_some_and(|date| date > now.date_naive())
}

/// Whether something other than a folder is at `path`, without following a link there (a
/// link to a folder counts: reading it refuses it).
fn exists_not_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

/// Reads (through [`SourceFile::read`]) and parses one file, reusing `previous`'s parse when
/// the bytes are the same (and `reuse` allows: not after a settings change), and keeping its
/// last good document when the new bytes do not parse.
fn read_and_parse(
    root: &Path,
    file: SourceFile,
    previous: Option<&FileState>,
    reuse: bool,
    config: &SiteConfig,
) -> FileState {
    let kept = previous.and_then(|old| old.good.clone());
    let contents = match file.read(root) {
        Ok(contents) => contents,
        Err(refusal) => {
            let message = match refusal.is_not_found() {
                true => "file disappeared while reading".to_string(),
                false => format!("not read: {refusal}"),
            };
            return FileState {
                diagnostics: vec![Diagnostic::error(&file.path, message)],
                source: file,
                hash: None,
                good: kept,
            };
        }
    };
    let hash = blake3::hash(&contents.bytes);
    if let Some(old) = previous.filter(|old| reuse && old.hash == Some(hash)) {
        return old.clone();
    }
    let parsed = parse_file(&file, &contents.bytes, contents.modified, config);
    let good = match parsed.document {
        Some(document) => Some((hash, Arc::new(LoadedDocument::new(document)))),
        None => kept,
    };
    FileState {
        source: file,
        hash: Some(hash),
        diagnostics: parsed.diagnostics,
        good,
    }
}
