//! The content store: writing posts safely, for the GraphQL mutations.
//!
//! Every change goes the same way, one at a time ([`ContentStore`] holds a writer lock, and on
//! Unix an advisory `flock` on the content folder, so two servers on one folder take turns):
//!
//! 1. **Conflicts**: the file is read afresh (through [`read_content_file`]) and its
//!    revision ([`revision_of`]) must be the `ifRevision` the client sent, else
//!    [`StoreError::Conflict`] names the current one.
//! 2. **Bytes kept**: the front matter is edited by [`front_matter::edit_file`], which
//!    leaves the lines of untouched keys as they were.
//! 3. **Validation**: the would-be file goes through the loader's own steps
//!    ([`source::candidate`], [`parse_file`] with the site's `_config.yml`), and then the
//!    graph's: a slug, serial number or permalink another post has is refused. Any ERROR
//!    refuses the change with the diagnostics; nothing is written.
//! 4. **Paths**: only from normalised slugs and folder names ([`paths`]), written through
//!    [`ContentFolder`] (no symbolic links, nothing outside the root), atomically.
//! 5. **History**: the version replaced or deleted is kept ([`history`]): a git commit per
//!    change in a git work tree, else a copy in `.inkgraph-trash/`.
//! 6. **Live**: the change is applied to the [`LiveSite`] before the call returns, so the
//!    caller's next read sees it (and `corpusChanged` fires); the watcher, seeing the same
//!    files, finds nothing new and swaps nothing.
//!
//! Each change logs one audit line (target `inkgraph::audit`): who, what, which file, the
//! revisions before and after, and the commit or trash entry.

pub mod front_matter;
pub mod history;
pub mod paths;

pub use front_matter::{Edit, EditError};
pub use history::{Editor, HistoryKind, TRASH_FOLDER};

use super::{LiveSite, ServedSite};
use crate::corpus::permalink::slugify;
use crate::corpus::{parse_file, Document, SerialNumber};
use crate::diagnostic::Diagnostic;
use crate::graph::{permalink_key, PostIdx, Snapshot};
use crate::source::write::FailPoint;
use crate::source::{
    self, read_content_file, revision_of, ContentFolder, Layout, ReadRefusal, SourceKind,
    WriteError, MAX_FILE_BYTES,
};
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use history::History;
use paths::Convention;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How the store writes: settings of `inkgraph serve` (mutations run only on the instance
/// with `--editor-token`).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreOptions {
    /// Who changes are recorded as.
    #[command(flatten)]
    pub editor: Editor,
    /// Most earlier versions kept in `.inkgraph-trash/` when the content folder is not a git
    /// work tree (the oldest go first).
    #[arg(long, env = "INKGRAPH_TRASH_ENTRIES", default_value_t = 1000, value_parser = crate::args::at_least(1), value_name = "N")]
    pub trash_entries: usize,
    /// Stops every write as if the process died there (tests only).
    #[doc(hidden)]
    #[arg(skip)]
    pub fail_point: Option<FailPoint>,
}

impl Default for StoreOptions {
    /// The defaults of `inkgraph serve`'s flags.
    fn default() -> Self {
        crate::args::defaults()
    }
}

/// Why a change was refused or failed. [`StoreError::code`] is what GraphQL errors carry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No loaded post has this id or path.
    #[error("no post `{0}` (ids come from `Post.id`; a file with an ERROR is not loaded)")]
    NotFound(String),
    /// The file changed since the revision the client read.
    #[error("the post changed since revision {given}: it is at revision {current} now; read it again, reapply the change and send that revision")]
    Conflict {
        /// The revision the client sent.
        given: String,
        /// The file's revision now.
        current: String,
    },
    /// The would-be file has ERRORs; nothing was written.
    #[error("the change was not written: {}", summary(.diagnostics))]
    Invalid {
        /// Every diagnostic of the would-be file (ERRORs and warnings).
        diagnostics: Vec<Diagnostic>,
    },
    /// An argument that cannot be used.
    #[error("{0}")]
    BadInput(String),
    /// The target file exists.
    #[error("`{0}` exists already; choose another slug (or date)")]
    AlreadyExists(String),
    /// The path would follow a symbolic link or leave the content folder.
    #[error("refusing to write `{path}`: {reason}")]
    UnsafePath {
        /// Root-relative path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The front matter cannot be edited without changing other keys.
    #[error(transparent)]
    Uneditable(#[from] EditError),
    /// The file system failed.
    #[error("writing failed: {0}")]
    Io(String),
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    errors.join("; ")
}

impl StoreError {
    /// The code GraphQL errors carry in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound(_) => "NOT_FOUND",
            StoreError::Conflict { .. } => "CONFLICT",
            StoreError::Invalid { .. } => "VALIDATION_FAILED",
            StoreError::BadInput(_) => "BAD_USER_INPUT",
            StoreError::AlreadyExists(_) => "ALREADY_EXISTS",
            StoreError::UnsafePath { .. } => "UNSAFE_PATH",
            StoreError::Uneditable(EditError::Invalid(_)) => "VALIDATION_FAILED",
            StoreError::Uneditable(_) => "FRONT_MATTER_UNEDITABLE",
            StoreError::Io(_) => "WRITE_FAILED",
        }
    }

    fn from_write(path: &str, err: WriteError) -> StoreError {
        match err {
            WriteError::Refused(refusal) => StoreError::UnsafePath {
                path: path.to_string(),
                reason: refusal.to_string(),
            },
            WriteError::NotRegular(p) => StoreError::UnsafePath {
                path: p,
                reason: "it is not a regular file (a link, folder or device is never written over)"
                    .into(),
            },
            WriteError::Exists(p) => StoreError::AlreadyExists(p),
            WriteError::BadName(name) => {
                StoreError::BadInput(format!("`{name}` is not a usable file name"))
            }
            other => StoreError::Io(other.to_string()),
        }
    }

    fn from_read(path: &str, refusal: ReadRefusal) -> StoreError {
        match refusal {
            ReadRefusal::NotFound => StoreError::NotFound(path.to_string()),
            ReadRefusal::Io(err) => StoreError::Io(format!("reading `{path}`: {err}")),
            other => StoreError::UnsafePath {
                path: path.to_string(),
                reason: other.to_string(),
            },
        }
    }
}

/// What a new post says. The front matter is written in this order: title, date, the
/// `fields` in their order, serial number.
#[derive(Debug, Clone, Default)]
pub struct NewPost {
    pub title: String,
    /// Made into a slug ([`paths::normalize_slug`]); default: the title's.
    pub slug: Option<String>,
    /// Default: now (drafts: none, as Jekyll dates them by the file).
    pub date: Option<DateTime<FixedOffset>>,
    /// Write to `_drafts/`.
    pub draft: bool,
    /// The category folder (`blog` → `blog/_posts/`); default: the first category's folder
    /// when it has a `_posts` folder, else the root.
    pub folder: Option<String>,
    /// More front-matter keys and values (tags, description, …), in order.
    pub fields: Vec<(String, Value)>,
    pub serial: Option<SerialRequest>,
    /// The Markdown body.
    pub markdown: String,
}

/// A serial number to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialRequest {
    /// Exactly this one.
    Value(String),
    /// The next free number of this series (`BLG`) in the post's year.
    Auto(String),
}

/// Changes to an existing post: only what is named changes.
#[derive(Debug, Clone, Default)]
pub struct PostUpdate {
    /// Keys to set (`Some`) or remove (`None`), in order.
    pub fields: Vec<(String, Option<Value>)>,
    /// Set (`Some(Some)`) or remove (`Some(None)`) `serial_number`.
    pub serial: Option<Option<SerialRequest>>,
    /// The new Markdown body.
    pub markdown: Option<String>,
}

/// The outcome of a change.
#[derive(Debug, Clone)]
pub struct Written {
    /// The version served once the change was applied.
    pub served: Arc<ServedSite>,
    /// The post in it (`None` after a delete).
    pub post: Option<PostIdx>,
    /// The post's file, relative to the content root (the deleted one after a delete).
    pub path: String,
    /// The file's new revision (`None` after a delete).
    pub revision: Option<String>,
    /// The revision it replaced (`None` for a new post).
    pub previous_revision: Option<String>,
    /// The git commit recording the change.
    pub commit: Option<String>,
    /// Where the replaced version was copied, relative to the root.
    pub trash: Option<String>,
}

/// What one change does to the folder, decided (and validated) before anything is written.
struct Plan {
    op: &'static str,
    /// New files and new bytes of existing ones.
    writes: Vec<FileWrite>,
    /// Files removed after the writes.
    removes: Vec<String>,
    /// Earlier versions replaced or removed: kept in the history.
    replaced: Vec<(String, Vec<u8>)>,
    /// The post's path afterwards (`None` when it is deleted).
    result: Option<String>,
    /// The path named in the outcome and the log.
    path: String,
    previous_revision: Option<String>,
}

struct FileWrite {
    path: String,
    bytes: Vec<u8>,
    /// Must not exist yet.
    new: bool,
}

/// The store writer's state, held while a change runs.
struct Writer {
    history: History,
}

/// Writes posts into the content folder of a [`LiveSite`]; see the module docs.
pub struct ContentStore {
    live: Arc<LiveSite>,
    root: PathBuf,
    options: StoreOptions,
    writer: Mutex<Writer>,
    /// The content folder, opened to take its advisory lock (`flock`) while writing.
    #[cfg(unix)]
    folder_lock: Option<std::os::fd::OwnedFd>,
}

impl std::fmt::Debug for ContentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl ContentStore {
    /// A store over `live`'s content folder: removes temporary files a crash left behind
    /// and finds out whether the folder is in a git work tree.
    pub fn open(live: Arc<LiveSite>, options: StoreOptions) -> Arc<ContentStore> {
        let root = live.root();
        #[cfg(unix)]
        let folder_lock = open_lock(&root);
        // Under the folder's lock: another server writing this folder keeps its temporary
        // file until its rename.
        #[cfg(unix)]
        let held = folder_lock.as_ref().map(FolderLock::take);
        let stale = source::write::remove_stale_temp_files(&root);
        #[cfg(unix)]
        drop(held);
        if !stale.is_empty() {
            tracing::warn!(
                "removed {} temporary files left by an interrupted write: {}",
                stale.len(),
                stale.join(", ")
            );
        }
        let history = History::open(&root, options.trash_entries);
        tracing::info!(
            "authoring on: earlier versions are kept {}",
            match history.kind() {
                HistoryKind::Git => "as git commits".to_string(),
                HistoryKind::Trash =>
                    format!("in {TRASH_FOLDER}/ (the newest {})", options.trash_entries),
            }
        );
        Arc::new(ContentStore {
            writer: Mutex::new(Writer { history }),
            #[cfg(unix)]
            folder_lock,
            live,
            root,
            options,
        })
    }

    /// How earlier versions are kept.
    pub fn history_kind(&self) -> HistoryKind {
        self.lock().history.kind()
    }

    /// Who changes are recorded as.
    pub fn editor(&self) -> &Editor {
        &self.options.editor
    }

    /// The site this store writes to.
    pub fn live(&self) -> &Arc<LiveSite> {
        &self.live
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while writing leaves nothing half-done that the next change depends on:
        // every change re-reads the folder.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a new post.
    pub fn create(&self, post: NewPost) -> Result<Written, StoreError> {
        self.change(|served| self.plan_create(served, post))
    }

    /// Changes the keys `update` names (and the body, if given) of the post at `path`, whose
    /// file must be at `if_revision`.
    pub fn update(
        &self,
        path: &str,
        update: PostUpdate,
        if_revision: &str,
    ) -> Result<Written, StoreError> {
        self.change(|served| {
            let current = self.current(served, path, Some(if_revision))?;
            let mut edits = Vec::new();
            for (key, value) in update.fields {
                check_key(&key)?;
                edits.push(match value {
                    Some(value) => Edit::Set(key, value),
                    None => Edit::Remove(key),
                });
            }
            match update.serial {
                None => {}
                Some(None) => edits.push(Edit::Remove("serial_number".into())),
                Some(Some(request)) => {
                    // The year is the post's, or the one it is being moved to.
                    let year = edits
                        .iter()
                        .find_map(|e| match e {
                            Edit::Set(k, Value::String(d)) if k == "date" => {
                                crate::corpus::date::parse_date(d, served.snapshot.config.timezone)
                                    .ok()
                                    .map(|d| d.year())
                            }
                            _ => None,
                        })
                        .unwrap_or(current.doc.local_date.year());
                    let serial = serial_value(&served.snapshot, &request, year, Some(path))?;
                    edits.push(Edit::Set("serial_number".into(), Value::String(serial)));
                }
            }
            let text = front_matter::edit_file(&current.text, &edits, update.markdown.as_deref())?;
            self.validate(served, path, text.as_bytes(), &[path], Some(&current.doc))?;
            Ok(Plan {
                op: "updatePost",
                writes: vec![FileWrite {
                    path: path.to_string(),
                    bytes: text.into_bytes(),
                    new: false,
                }],
                removes: Vec::new(),
                replaced: vec![(path.to_string(), current.bytes)],
                result: Some(path.to_string()),
                path: path.to_string(),
                previous_revision: Some(current.revision),
            })
        })
    }

    /// Renames the post at `path` to `slug` (normalised): its file moves, a front-matter
    /// `slug` follows, and the old permalink joins `redirect_from` so no link breaks.
    pub fn rename(&self, path: &str, slug: &str, if_revision: &str) -> Result<Written, StoreError> {
        let slug = paths::normalize_slug(slug)?;
        self.change(|served| {
            let current = self.current(served, path, Some(if_revision))?;
            let (dir, name) = paths::split_path(path);
            let (_, ext) = paths::stem_and_extension(name);
            let date = paths::date_prefix(name).unwrap_or("");
            let target = join(dir, &format!("{date}{slug}.{ext}"));
            if target == path {
                return Err(StoreError::BadInput(format!(
                    "the post's file is `{path}` already"
                )));
            }
            let mut edits = Vec::new();
            if current.doc.front_matter.contains_key("slug") {
                edits.push(Edit::Set("slug".into(), Value::String(slug.clone())));
            }
            let text = front_matter::edit_file(&current.text, &edits, None)?;
            // Where the post will be published, to tell whether its permalink moves.
            let moved = self.parse(served, &target, text.as_bytes())?;
            let old_permalink = &current.doc.permalink;
            let mut text = text;
            let already = current.doc.aliases.iter().any(|a| a == old_permalink);
            if current.doc.kind == SourceKind::Post && moved.permalink != *old_permalink && !already
            {
                text = front_matter::edit_file(
                    &text,
                    &[Edit::Append(
                        "redirect_from".into(),
                        Value::String(old_permalink.clone()),
                    )],
                    None,
                )?;
            }
            self.move_plan(served, "renamePost", path, target, text, current)
        })
    }

    /// Moves the draft at `path` to `_posts/` under `date` (default: now), setting its
    /// front-matter `date`.
    pub fn publish_draft(
        &self,
        path: &str,
        date: Option<DateTime<FixedOffset>>,
        if_revision: Option<&str>,
    ) -> Result<Written, StoreError> {
        self.change(|served| {
            let current = self.current(served, path, if_revision)?;
            if current.doc.kind != SourceKind::Draft {
                return Err(StoreError::BadInput(format!(
                    "`{path}` is not a draft (not in a `_drafts` folder)"
                )));
            }
            let date = date.unwrap_or_else(|| self.now(&served.snapshot));
            let (dir, name) = paths::split_path(path);
            let (stem, ext) = paths::stem_and_extension(name);
            let bare = paths::date_prefix(name).map_or(stem, |p| &stem[p.len()..]);
            let posts_dir = paths::swap_marker(dir, "_drafts", "_posts").ok_or_else(|| {
                StoreError::BadInput(format!("`{path}` is not in a `_drafts` folder"))
            })?;
            let day = self.local_date(&served.snapshot, date);
            let target = join(
                &posts_dir,
                &format!("{}-{bare}.{ext}", day.format("%Y-%m-%d")),
            );
            let text = front_matter::edit_file(
                &current.text,
                &[Edit::Set("date".into(), Value::String(format_date(date)))],
                None,
            )?;
            self.move_plan(served, "publishDraft", path, target, text, current)
        })
    }

    /// Moves the post at `path` back to `_drafts/` (its date kept in the front matter).
    pub fn unpublish(&self, path: &str, if_revision: Option<&str>) -> Result<Written, StoreError> {
        self.change(|served| {
            let current = self.current(served, path, if_revision)?;
            if current.doc.kind != SourceKind::Post || served.snapshot.layout != Layout::Jekyll {
                return Err(StoreError::BadInput(format!(
                    "`{path}` is not in a `_posts` folder, so it cannot go back to `_drafts`"
                )));
            }
            let (dir, name) = paths::split_path(path);
            let (stem, ext) = paths::stem_and_extension(name);
            let bare = paths::date_prefix(name).map_or(stem, |p| &stem[p.len()..]);
            let drafts_dir = paths::swap_marker(dir, "_posts", "_drafts").ok_or_else(|| {
                StoreError::BadInput(format!("`{path}` is not in a `_posts` folder"))
            })?;
            let target = join(&drafts_dir, &format!("{bare}.{ext}"));
            // The file name's date would be lost: keep it in the front matter.
            let edits = match current.doc.front_matter.contains_key("date") {
                true => Vec::new(),
                false => vec![Edit::Set(
                    "date".into(),
                    Value::String(format_date(current.doc.date)),
                )],
            };
            let text = front_matter::edit_file(&current.text, &edits, None)?;
            self.move_plan(served, "unpublishPost", path, target, text, current)
        })
    }

    /// Deletes the post at `path` (its last version stays in the history).
    pub fn delete(&self, path: &str, if_revision: &str) -> Result<Written, StoreError> {
        self.change(|served| {
            let current = self.current(served, path, Some(if_revision))?;
            Ok(Plan {
                op: "deletePost",
                writes: Vec::new(),
                removes: vec![path.to_string()],
                replaced: vec![(path.to_string(), current.bytes)],
                result: None,
                path: path.to_string(),
                previous_revision: Some(current.revision),
            })
        })
    }

    /// Validates `text` as the moved file at `to` (replacing the post at `from`), then plans
    /// the move.
    fn move_plan(
        &self,
        served: &ServedSite,
        op: &'static str,
        from: &str,
        to: String,
        text: String,
        current: Current,
    ) -> Result<Plan, StoreError> {
        self.validate(served, &to, text.as_bytes(), &[from], Some(&current.doc))?;
        Ok(Plan {
            op,
            writes: vec![FileWrite {
                path: to.clone(),
                bytes: text.into_bytes(),
                new: true,
            }],
            removes: vec![from.to_string()],
            replaced: vec![(from.to_string(), current.bytes)],
            result: Some(to.clone()),
            path: to,
            previous_revision: Some(current.revision),
        })
    }

    fn plan_create(&self, served: &ServedSite, post: NewPost) -> Result<Plan, StoreError> {
        let snapshot = &served.snapshot;
        if post.title.trim().is_empty() {
            return Err(StoreError::BadInput("`title` must not be empty".into()));
        }
        let slug = paths::normalize_slug(post.slug.as_deref().unwrap_or(&post.title))?;
        let convention = self.convention(snapshot);
        let categories: Vec<String> = post
            .fields
            .iter()
            .find(|(k, _)| k == "categories")
            .map(|(_, v)| crate::corpus::values::word_list(v))
            .unwrap_or_default();
        let folder = match &post.folder {
            Some(folder) => Some(paths::normalize_folder(folder)?),
            None => categories
                .first()
                .map(|c| slugify(c))
                .filter(|c| !c.is_empty() && convention == Convention::Jekyll)
                .filter(|c| ContentFolder::open(&self.root, &format!("{c}/_posts"), false).is_ok()),
        };
        let date = match (post.date, post.draft) {
            (Some(date), _) => Some(date),
            (None, false) => Some(self.now(snapshot)),
            (None, true) => None,
        };
        let day = self.local_date(snapshot, date.unwrap_or_else(|| self.now(snapshot)));
        let path = paths::new_post_path(convention, folder.as_deref(), post.draft, day, &slug)?;
        let mut edits = vec![Edit::Set("title".into(), Value::String(post.title.clone()))];
        if let Some(date) = date {
            edits.push(Edit::Set("date".into(), Value::String(format_date(date))));
        }
        for (key, value) in post.fields {
            check_key(&key)?;
            // The folder says the category already.
            let value = match (key.as_str(), &folder, value) {
                ("categories", Some(folder), Value::Array(items)) => Value::Array(
                    items
                        .into_iter()
                        .filter(|c| c.as_str().is_none_or(|c| slugify(c) != *folder))
                        .collect(),
                ),
                (_, _, value) => value,
            };
            if matches!(&value, Value::Array(items) if items.is_empty()) || value.is_null() {
                continue;
            }
            edits.push(Edit::Set(key, value));
        }
        if let Some(request) = &post.serial {
            let year = day.year();
            let serial = serial_value(snapshot, request, year, None)?;
            edits.push(Edit::Set("serial_number".into(), Value::String(serial)));
        }
        let text = front_matter::edit_file("", &edits, Some(&post.markdown))?;
        self.validate(served, &path, text.as_bytes(), &[], None)?;
        Ok(Plan {
            op: "createPost",
            writes: vec![FileWrite {
                path: path.clone(),
                bytes: text.into_bytes(),
                new: true,
            }],
            removes: Vec::new(),
            replaced: Vec::new(),
            result: Some(path.clone()),
            path,
            previous_revision: None,
        })
    }

    /// Where new posts go: Jekyll's folders when the site has them (or has no posts yet).
    fn convention(&self, snapshot: &Snapshot) -> Convention {
        let has_posts_folder = || ContentFolder::open(&self.root, "_posts", false).is_ok();
        match snapshot.layout {
            Layout::Jekyll => Convention::Jekyll,
            Layout::Plain if snapshot.posts.is_empty() || has_posts_folder() => Convention::Jekyll,
            Layout::Plain => Convention::Plain,
        }
    }

    /// Now, to the second, on the site's clock.
    fn now(&self, snapshot: &Snapshot) -> DateTime<FixedOffset> {
        let now = Utc::now().with_nanosecond_zero();
        match snapshot.config.timezone {
            Some(tz) => {
                use chrono::Offset;
                let local = now.with_timezone(&tz);
                local.with_timezone(&local.offset().fix())
            }
            None => now.fixed_offset(),
        }
    }

    /// The calendar date of `date` on the site's clock (what file names carry).
    fn local_date(&self, snapshot: &Snapshot, date: DateTime<FixedOffset>) -> chrono::NaiveDate {
        match snapshot.config.timezone {
            Some(tz) => date.with_timezone(&tz).date_naive(),
            None => date.naive_utc().date(),
        }
    }

    /// The loaded post at `path`, its file's bytes as they are now, and their revision,
    /// which must be `if_revision` when given.
    fn current(
        &self,
        served: &ServedSite,
        path: &str,
        if_revision: Option<&str>,
    ) -> Result<Current, StoreError> {
        let snapshot = &served.snapshot;
        let idx = snapshot
            .loaded_post_by_path(path)
            .ok_or_else(|| StoreError::NotFound(path.to_string()))?;
        let doc = snapshot.post(idx).doc.clone();
        let contents = read_content_file(&self.root, path, MAX_FILE_BYTES)
            .map_err(|refusal| StoreError::from_read(path, refusal))?;
        let revision = revision_of(&contents.bytes);
        if let Some(given) = if_revision {
            if given.trim() != revision {
                return Err(StoreError::Conflict {
                    given: given.to_string(),
                    current: revision,
                });
            }
        }
        let text = String::from_utf8(contents.bytes.clone()).map_err(|_| {
            StoreError::BadInput(format!("`{path}` is not valid UTF-8; fix the file first"))
        })?;
        Ok(Current {
            doc,
            bytes: contents.bytes,
            text,
            revision,
        })
    }

    /// The document the loader makes of `bytes` at `path`, or the ERRORs that stop it.
    fn parse(&self, served: &ServedSite, path: &str, bytes: &[u8]) -> Result<Document, StoreError> {
        let (document, _) = self.load_as(served, path, bytes)?;
        Ok(document)
    }

    fn load_as(
        &self,
        served: &ServedSite,
        path: &str,
        bytes: &[u8],
    ) -> Result<(Document, Vec<Diagnostic>), StoreError> {
        let snapshot = &served.snapshot;
        let layout = match self.convention(snapshot) {
            Convention::Jekyll => Layout::Jekyll,
            Convention::Plain => Layout::Plain,
        };
        let file = source::candidate(
            &self.root,
            layout,
            path,
            &source::Exclusions::new(&snapshot.config.exclude),
        )
            .ok_or_else(|| {
                StoreError::BadInput(format!(
                    "`{path}` would not be read as a post (hidden, excluded by `_config.yml`, or not Markdown)"
                ))
            })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(StoreError::Invalid {
                diagnostics: vec![Diagnostic::error(
                    path,
                    format!(
                        "the file would be {} bytes, more than the {MAX_FILE_BYTES}-byte limit for one file",
                        bytes.len()
                    ),
                )],
            });
        }
        let parsed = parse_file(&file, bytes, None, &snapshot.config);
        match parsed.document {
            Some(document) if !parsed.diagnostics.iter().any(Diagnostic::is_error) => {
                Ok((document, parsed.diagnostics))
            }
            _ => Err(StoreError::Invalid {
                diagnostics: parsed.diagnostics,
            }),
        }
    }

    /// Loads the would-be `bytes` at `path` as the loader would and refuses any ERROR,
    /// including a slug, serial number or permalink that a post other than those at
    /// `replacing` has (unless `before`, the post's current document, had it already).
    fn validate(
        &self,
        served: &ServedSite,
        path: &str,
        bytes: &[u8],
        replacing: &[&str],
        before: Option<&Document>,
    ) -> Result<(), StoreError> {
        let (document, mut diagnostics) = self.load_as(served, path, bytes)?;
        let snapshot = &served.snapshot;
        let others = || {
            snapshot
                .posts
                .iter()
                .filter(|p| !replacing.contains(&p.doc.source_path.as_str()))
        };
        let locate = |d: Diagnostic, key: &str| match document.key_line(key) {
            Some(line) => d.at(line, Some(1)),
            None => d,
        };
        let mut errors = Vec::new();
        if before.is_none_or(|b| b.slug != document.slug) {
            if let Some(other) =
                others().find(|p| p.slug == document.slug || p.doc.slug == document.slug)
            {
                errors.push(locate(
                    Diagnostic::error(
                        path,
                        format!(
                            "slug `{}` is taken by {}; choose another slug",
                            document.slug, other.doc.source_path
                        ),
                    ),
                    "slug",
                ));
            }
        }
        if let Some(serial) = &document.serial_number {
            let key = SerialNumber::key(&serial.value);
            let unchanged = before
                .and_then(|b| b.serial_number.as_ref())
                .is_some_and(|s| SerialNumber::key(&s.value) == key);
            let taken = others().find(|p| {
                p.doc
                    .serial_number
                    .as_ref()
                    .is_some_and(|s| SerialNumber::key(&s.value) == key)
            });
            if let (false, Some(other)) = (unchanged, taken) {
                errors.push(locate(
                    Diagnostic::error(
                        path,
                        format!(
                            "serial number `{}` is taken by {}; choose another (or `auto`)",
                            serial.value, other.doc.source_path
                        ),
                    ),
                    "serial_number",
                ));
            }
        }
        let key = permalink_key(&document.permalink);
        if before.is_none_or(|b| permalink_key(&b.permalink) != key) {
            if let Some(other) = others().find(|p| permalink_key(&p.doc.permalink) == key) {
                errors.push(Diagnostic::error(
                    path,
                    format!(
                        "permalink `{}` is taken by {}; choose another slug or date",
                        document.permalink, other.doc.source_path
                    ),
                ));
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        errors.append(&mut diagnostics);
        Err(StoreError::Invalid {
            diagnostics: errors,
        })
    }

    /// Runs one change under the writer lock: plan (reading and validating, nothing
    /// written), keep what it replaces, write, apply to the live site, commit, log.
    fn change(
        &self,
        plan: impl FnOnce(&ServedSite) -> Result<Plan, StoreError>,
    ) -> Result<Written, StoreError> {
        let mut writer = self.lock();
        #[cfg(unix)]
        let _flock = self.folder_lock.as_ref().map(FolderLock::take);
        let served = self.live.current().load_full();
        let plan = plan(&served)?;
        drop(served);

        // Earlier versions git does not hold go to the trash first: nothing is lost.
        let mut trash = None;
        for (path, bytes) in &plan.replaced {
            if writer.history.needs_copy(path, bytes) {
                let entry = writer
                    .history
                    .to_trash(&self.root, path, bytes)
                    .map_err(|err| StoreError::from_write(path, err))?;
                trash = Some(entry);
            }
        }
        let outcome = self.write(&plan);
        // Whatever happened on disk is what is served.
        let mut touched: Vec<PathBuf> = plan
            .writes
            .iter()
            .map(|w| PathBuf::from(&w.path))
            .chain(plan.removes.iter().map(PathBuf::from))
            .collect();
        touched.dedup();
        let applied = self.live.apply(&touched);
        outcome?;
        applied.map_err(|err| {
            StoreError::Io(format!("the change was written but not served: {err}"))
        })?;

        let mut changes: Vec<(String, Option<Vec<u8>>)> = plan
            .writes
            .iter()
            .map(|w| (w.path.clone(), Some(w.bytes.clone())))
            .collect();
        changes.extend(plan.removes.iter().map(|p| (p.clone(), None)));
        let revision = plan
            .result
            .as_ref()
            .and_then(|r| plan.writes.iter().find(|w| &w.path == r))
            .map(|w| revision_of(&w.bytes));
        let message = format!(
            "{} {}\n\nBy {} through inkgraph.\nRevision before: {}\nRevision after: {}\n",
            plan.op,
            plan.path,
            self.options.editor.name,
            plan.previous_revision.as_deref().unwrap_or("none"),
            revision.as_deref().unwrap_or("none"),
        );
        let commit = match writer
            .history
            .commit(&changes, &message, &self.options.editor)
        {
            Ok(commit) => commit,
            Err(err) => {
                tracing::error!(
                    "{} {} was written and is served, but the git commit failed: {err}",
                    plan.op,
                    plan.path
                );
                None
            }
        };
        drop(writer);
        let served = self.live.current().load_full();
        let post = plan
            .result
            .as_deref()
            .and_then(|p| served.snapshot.loaded_post_by_path(p));
        tracing::info!(
            target: "inkgraph::audit",
            editor = %self.options.editor.name,
            mutation = plan.op,
            path = %plan.path,
            before = plan.previous_revision.as_deref().unwrap_or("-"),
            after = revision.as_deref().unwrap_or("-"),
            commit = commit.as_deref().unwrap_or("-"),
            trash = trash.as_deref().unwrap_or("-"),
            version = %served.snapshot.version,
            "{} by {}: {} (revision {} → {})",
            plan.op,
            self.options.editor.name,
            plan.path,
            plan.previous_revision.as_deref().unwrap_or("none"),
            revision.as_deref().unwrap_or("none"),
        );
        Ok(Written {
            post,
            path: plan.path,
            revision,
            previous_revision: plan.previous_revision,
            commit,
            trash,
            served,
        })
    }

    /// Writes and removes a plan's files.
    fn write(&self, plan: &Plan) -> Result<(), StoreError> {
        for write in &plan.writes {
            let (dir, name) = paths::split_path(&write.path);
            let folder = ContentFolder::open(&self.root, dir, true)
                .map_err(|err| StoreError::from_write(&write.path, err))?;
            folder
                .write_atomic(name, &write.bytes, !write.new, self.options.fail_point)
                .map_err(|err| StoreError::from_write(&write.path, err))?;
        }
        for path in &plan.removes {
            let (dir, name) = paths::split_path(path);
            let folder = ContentFolder::open(&self.root, dir, false)
                .map_err(|err| StoreError::from_write(path, err))?;
            folder
                .remove(name)
                .map_err(|err| StoreError::from_write(path, err))?;
        }
        Ok(())
    }
}

/// A post's file as it is now.
struct Current {
    doc: Arc<Document>,
    bytes: Vec<u8>,
    text: String,
    revision: String,
}

fn join(dir: &str, name: &str) -> String {
    match dir.is_empty() {
        true => name.to_string(),
        false => format!("{dir}/{name}"),
    }
}

/// Jekyll's date style: `2025-08-07 02:54:48 +0000`.
fn format_date(date: DateTime<FixedOffset>) -> String {
    date.format("%Y-%m-%d %H:%M:%S %z").to_string()
}

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.trim().is_empty() || key.contains(['\n', '\r']) {
        return Err(StoreError::BadInput(format!(
            "`{key}` cannot be a front-matter key: keys must be non-empty and on one line"
        )));
    }
    Ok(())
}

/// The serial number to write: as given, or the next of its series in `year` (numbered
/// with as many digits as that series uses, at least three: `2025.BLG.125`).
fn serial_value(
    snapshot: &Snapshot,
    request: &SerialRequest,
    year: i32,
    except: Option<&str>,
) -> Result<String, StoreError> {
    let series = match request {
        SerialRequest::Value(value) if value.trim().is_empty() => {
            return Err(StoreError::BadInput("`serialNumber.value` is empty".into()))
        }
        SerialRequest::Value(value) => return Ok(value.trim().to_string()),
        SerialRequest::Auto(series) => series.trim(),
    };
    if series.is_empty() || !series.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(StoreError::BadInput(format!(
            "`{series}` is not a series code: use letters and digits, e.g. `BLG`"
        )));
    }
    let wanted = series.to_ascii_uppercase();
    let mut best: Option<(u32, usize, String)> = None;
    for post in &snapshot.posts {
        if except == Some(post.doc.source_path.as_str()) {
            continue;
        }
        let Some(serial) = &post.doc.serial_number else {
            continue;
        };
        if serial.year != Some(year) || serial.series.as_deref() != Some(wanted.as_str()) {
            continue;
        }
        let Some(number) = serial.number else {
            continue;
        };
        if best.as_ref().is_none_or(|(n, _, _)| number > *n) {
            let mut parts = serial.value.split('.');
            let spelled = parts.nth(1).unwrap_or(series).to_string();
            let width = parts.next().map_or(3, str::len);
            best = Some((number, width, spelled));
        }
    }
    let (number, width, spelled) = match best {
        Some((n, width, spelled)) => (n + 1, width.max(3), spelled),
        None => (1, 3, wanted),
    };
    Ok(format!("{year}.{spelled}.{number:0width$}"))
}

trait NanosecondZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanosecondZero for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

/// An open handle on the content folder, to take its advisory lock.
#[cfg(unix)]
fn open_lock(root: &Path) -> Option<std::os::fd::OwnedFd> {
    use rustix::fs::{openat, Mode, OFlags, CWD};
    openat(
        CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()
}

/// Holds the content folder's `flock` until dropped.
#[cfg(unix)]
struct FolderLock<'a>(&'a std::os::fd::OwnedFd);

#[cfg(unix)]
impl<'a> FolderLock<'a> {
    fn take(fd: &'a std::os::fd::OwnedFd) -> FolderLock<'a> {
        if let Err(err) = rustix::fs::flock(fd, rustix::fs::FlockOperation::LockExclusive) {
            tracing::warn!("could not lock the content folder for writing: {err}");
        }
        FolderLock(fd)
    }
}

#[cfg(unix)]
impl Drop for FolderLock<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}
