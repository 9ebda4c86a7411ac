//! Finding and reading the files of a content folder.
//!
//! Two layouts are understood:
//! - **Jekyll**: any folder named `_posts` (at any depth) holds posts and any `_drafts` folder
//!   holds drafts; the folders above them are the post's categories (`blog/_posts/x.md` is in
//!   category `blog`), as Jekyll does.
//! - **Plain** (Hugo, Zola, Go-blog style): when no `_posts` folder exists anywhere, every
//!   Markdown file below the root is a post and its sub-folders are its categories.
//!
//! This module only finds and reads bytes; parsing is `corpus`'s job. Every read goes
//! through [`read_content_file`] (see [`read`] for its rules: nothing outside the root, no
//! symbolic links, only regular files, at most [`MAX_FILE_BYTES`]); the folder walk follows
//! no links either, and reports links where posts or includes would be. Every write (the
//! content store's) goes through [`ContentFolder`] (see [`write`]), under the same rules.

mod read;
pub mod write;

pub use read::{read_content_file, FileContents, ReadRefusal, MAX_FILE_BYTES};
pub use write::{ContentFolder, WriteError};

use crate::diagnostic::Diagnostic;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// File extensions read as Markdown posts.
pub const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown", "mkd", "mdown"];

/// Folders never searched, whatever `exclude:` says.
const ALWAYS_SKIPPED_DIRS: &[&str] = &["node_modules", "vendor", "_site"];

/// Jekyll's site configuration file name, at the content root.
pub const CONFIG_FILE: &str = "_config.yml";

/// How the content folder is organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// At least one `_posts` folder exists.
    Jekyll,
    /// No `_posts` folder: every Markdown file is a post.
    Plain,
}

/// Whether a file is a published-style post or a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Post,
    Draft,
}

/// A Markdown file found under the content root, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the content root, with `/` separators on every platform.
    pub path: String,
    /// Absolute (or root-joined) path for reading.
    pub abs_path: PathBuf,
    pub kind: SourceKind,
    /// Categories implied by the folders (Jekyll: above `_posts`; plain: the sub-folders).
    pub categories: Vec<String>,
}

/// Every post candidate under a root, in path order.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub layout: Layout,
    /// Markdown entries that are not folders: regular files, and links, FIFOs and the like,
    /// which [`SourceFile::read`] refuses with a diagnostic.
    pub files: Vec<SourceFile>,
    /// Symbolic links to folders where posts or includes would be (not followed), and
    /// `exclude:` entries that are not valid globs.
    pub diagnostics: Vec<Diagnostic>,
}

impl SourceFile {
    /// File name without its directory.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Reads the file's bytes and modification time from the content folder `root`, through
    /// [`read_content_file`].
    pub fn read(&self, root: &Path) -> Result<FileContents, ReadRefusal> {
        read_content_file(root, &self.path, MAX_FILE_BYTES)
    }
}

/// The revision of a file's bytes: 32 hex digits of their BLAKE3 hash. `Post.revision`, and
/// what the content store compares `ifRevision` with.
pub fn revision_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}

/// Reads `_config.yml` at the root through [`read_content_file`]; `None` when there is none.
pub fn read_config(root: &Path) -> Option<Result<Vec<u8>, ReadRefusal>> {
    match read_content_file(root, CONFIG_FILE, MAX_FILE_BYTES) {
        Ok(contents) => Some(Ok(contents.bytes)),
        Err(refusal) if refusal.is_not_found() => None,
        Err(refusal) => Some(Err(refusal)),
    }
}

/// Finds every post candidate under `root`, skipping hidden entries, `node_modules`, `vendor`,
/// `_site`, editor temp files and the `exclude` patterns of `_config.yml`. Symbolic links are
/// not followed: a link with a Markdown name is a candidate that [`SourceFile::read`] refuses
/// (so it gets a diagnostic), and a link to a folder where posts or includes would be gets a
/// warning.
pub fn discover(root: &Path, exclude: &[String]) -> Discovery {
    let exclusions = Exclusions::new(exclude);
    let mut markdown: Vec<(String, PathBuf)> = Vec::new();
    let mut folder_links: Vec<String> = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if is_ignored_name(&name) {
                return false;
            }
            if entry.file_type().is_dir() && ALWAYS_SKIPPED_DIRS.contains(&name.as_ref()) {
                return false;
            }
            let rel = relative_path(root, entry.path());
            !exclusions.matches(&rel, entry.file_type().is_dir())
        });
    // Unreadable directories are skipped: there is no file to attach a diagnostic to, and the
    // rest of the site still loads.
    for entry in walker.filter_map(Result::ok) {
        if entry.depth() == 0 || entry.file_type().is_dir() {
            continue;
        }
        if has_markdown_extension(entry.path()) {
            markdown.push((relative_path(root, entry.path()), entry.into_path()));
        } else if entry.file_type().is_symlink() && entry.path().is_dir() {
            folder_links.push(relative_path(root, entry.path()));
        }
    }

    let is_jekyll = markdown
        .iter()
        .any(|(rel, _)| rel.split('/').any(|part| part == "_posts"));
    let layout = if is_jekyll {
        Layout::Jekyll
    } else {
        Layout::Plain
    };
    let files = markdown
        .into_iter()
        .filter_map(|(path, abs_path)| classify(layout, path, abs_path))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = exclusions
        .problems()
        .iter()
        .map(|problem| Diagnostic::warning(CONFIG_FILE, problem.clone()))
        .collect();
    diagnostics.extend(folder_links.into_iter().filter(|rel| folder_link_matters(layout, rel))
        .map(|rel| {
            let target = std::fs::read_link(root.join(&rel))
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default();
            Diagnostic::warning(
                rel,
                format!("is a symbolic link to a folder{target}; inkgraph follows no symbolic links inside the content folder (as Jekyll's safe mode), so nothing in it is read: replace the link with the real folder"),
            )
        }));
    Discovery {
        layout,
        files,
        diagnostics,
    }
}

/// Whether a link to a folder hides content: posts, drafts or includes (Jekyll), or any
/// folder of a plain layout (every folder holds posts there).
fn folder_link_matters(layout: Layout, rel: &str) -> bool {
    match layout {
        Layout::Plain => true,
        Layout::Jekyll => rel
            .split('/')
            .any(|part| matches!(part, "_posts" | "_drafts" | "_includes")),
    }
}

/// What one root-relative path is under `layout`, applying the same rules as [`discover`]
/// (hidden and editor temp names, skipped folders, `exclude`, extensions): `Some` for a post
/// candidate, `None` for anything else. Used to classify a single changed file without
/// walking the whole folder.
pub fn candidate(
    root: &Path,
    layout: Layout,
    rel: &str,
    exclusions: &Exclusions,
) -> Option<SourceFile> {
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let is_dir = i + 1 < parts.len();
        if part.is_empty() || is_ignored_name(part) {
            return None;
        }
        if is_dir && ALWAYS_SKIPPED_DIRS.contains(part) {
            return None;
        }
        if exclusions.matches(&parts[..=i].join("/"), is_dir) {
            return None;
        }
    }
    let abs_path = parts
        .iter()
        .fold(root.to_path_buf(), |p, part| p.join(part));
    if !has_markdown_extension(&abs_path) {
        return None;
    }
    classify(layout, rel.to_string(), abs_path)
}

/// Root-relative, `/`-separated form of a path below `root` (`None` outside it).
pub fn relative_to(root: &Path, path: &Path) -> Option<String> {
    path.strip_prefix(root).ok().map(|rel| {
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    })
}

/// Decides whether a Markdown file is a post or draft under the layout, and its categories.
fn classify(layout: Layout, path: String, abs_path: PathBuf) -> Option<SourceFile> {
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    let (kind, categories) = match layout {
        Layout::Plain => (
            SourceKind::Post,
            dirs.iter().map(|d| d.to_string()).collect(),
        ),
        Layout::Jekyll => {
            // The innermost `_posts`/`_drafts` decides; folders above it are categories.
            let marker = dirs
                .iter()
                .rposition(|d| *d == "_posts" || *d == "_drafts")?;
            let kind = if dirs[marker] == "_posts" {
                SourceKind::Post
            } else {
                SourceKind::Draft
            };
            let categories = dirs[..marker]
                .iter()
                .filter(|d| !d.starts_with('_'))
                .map(|d| d.to_string())
                .collect();
            (kind, categories)
        }
    };
    Some(SourceFile {
        path,
        abs_path,
        kind,
        categories,
    })
}

fn has_markdown_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MARKDOWN_EXTENSIONS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(e))
    })
}

/// Hidden files and folders, and editor temp/backup files (`x~`, `#x#`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('#') || name.ends_with('~')
}

fn relative_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Jekyll's `exclude:` entries, compiled once for a walk.
///
/// An entry names a file or folder relative to the root (`README.md`; `utilities/` only a
/// folder), or, when it has a `*` or `?`, is a glob as Jekyll's `File.fnmatch` reads it:
/// `*` and `?` do not cross `/` (`drafts/*.md` leaves `drafts/sub/a.md` alone), `[abc]` is
/// a class, `\` escapes, braces are literal; a trailing `/` is ignored. A glob that does not
/// compile is matched as written, with a warning ([`Exclusions::problems`]).
#[derive(Debug, Clone)]
pub struct Exclusions {
    /// Plain entries: the path, and whether only a folder matches.
    names: Vec<(String, bool)>,
    globs: GlobSet,
    problems: Vec<String>,
}

impl Exclusions {
    /// Compiles the `exclude:` entries of `_config.yml`.
    pub fn new(exclude: &[String]) -> Self {
        let mut names = Vec::new();
        let mut globs = GlobSetBuilder::new();
        let mut problems = Vec::new();
        for entry in exclude {
            let pattern = entry.trim().trim_start_matches("./");
            if pattern.is_empty() {
                continue;
            }
            if !pattern.contains(['*', '?']) {
                match pattern.strip_suffix('/') {
                    Some(dir) => names.push((dir.to_owned(), true)),
                    None => names.push((pattern.to_owned(), false)),
                }
                continue;
            }
            let pattern = pattern.trim_end_matches('/');
            // Ruby's fnmatch (without FNM_EXTGLOB, as Jekyll calls it) has no `{a,b}`.
            let fnmatch = pattern.replace('{', "[{]").replace('}', "[}]");
            let glob = GlobBuilder::new(&fnmatch)
                .literal_separator(true)
                .build()
                .or_else(|err| {
                    problems.push(format!(
                        "`exclude` entry `{pattern}` is not a valid glob ({}); it is matched as written",
                        err.kind()
                    ));
                    Glob::new(&globset::escape(pattern))
                });
            if let Ok(glob) = glob {
                globs.add(glob);
            }
        }
        let globs = globs.build().unwrap_or_else(|err| {
            problems.push(format!(
                "`exclude` globs could not be compiled ({err}); none applies"
            ));
            GlobSet::empty()
        });
        Exclusions {
            names,
            globs,
            problems,
        }
    }

    /// Whether a root-relative path (`/`-separated) is excluded.
    pub fn matches(&self, rel: &str, is_dir: bool) -> bool {
        self.names
            .iter()
            .any(|(name, dir_only)| rel == name && (is_dir || !dir_only))
            || self.globs.is_match(rel)
    }

    /// Entries that are not valid globs (each is matched as written instead).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// Whether a root-relative path matches one of Jekyll's `exclude:` entries (see
/// [`Exclusions`]; build that once to test many paths).
pub fn is_excluded(rel: &str, is_dir: bool, exclude: &[String]) -> bool {
    Exclusions::new(exclude).matches(rel, is_dir)
}

/// Whether `text` matches one `exclude:` glob (`*` and `?` do not cross `/`).
#[cfg(test)]
fn glob_match(pattern: &str, text: &str) -> bool {
    is_excluded(text, false, &[pattern.to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_matches_files_folders_and_globs() {
        let ex = vec![
            "README.md".to_string(),
            "utilities/".to_string(),
            "*.tmp.md".to_string(),
        ];
        assert!(is_excluded("README.md", false, &ex));
        assert!(!is_excluded("blog/README.md", false, &ex));
        assert!(is_excluded("utilities", true, &ex));
        assert!(!is_excluded("utilities", false, &ex));
        assert!(is_excluded("x.tmp.md", false, &ex));
        assert!(!is_excluded("a/x.tmp.md", false, &ex));
    }

    #[test]
    fn glob_star_does_not_cross_folders() {
        assert!(glob_match("drafts/*.md", "drafts/a.md"));
        assert!(!glob_match("drafts/*.md", "drafts/sub/a.md"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", "anything"));
    }

    #[test]
    fn globs_read_as_jekyll_fnmatch_reads_them() {
        assert!(glob_match("[ab]*.md", "a1.md"));
        assert!(!glob_match("[ab]*.md", "c1.md"));
        // Braces are literal, as in Ruby's fnmatch without FNM_EXTGLOB.
        assert!(glob_match("{a,b}*", "{a,b}x"));
        assert!(!glob_match("{a,b}*", "ax"));
        assert!(glob_match("notes/*/", "notes/x"));
        let bad = Exclusions::new(&["a[*".to_owned(), "ok*".to_owned()]);
        assert_eq!(bad.problems().len(), 1, "{:?}", bad.problems());
        assert!(bad.problems()[0].contains("a[*"));
        assert!(bad.matches("a[*", false));
        assert!(bad.matches("okay.md", false));
        assert!(!bad.matches("a1", false));
    }

    #[test]
    fn an_invalid_glob_is_a_config_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.md"), "x").expect("write");
        let found = discover(dir.path(), &["drafts/[x*".to_owned()]);
        assert_eq!(found.files.len(), 1);
        assert_eq!(found.diagnostics.len(), 1);
        assert_eq!(found.diagnostics[0].path, CONFIG_FILE);
        assert!(found.diagnostics[0].message.contains("drafts/[x*"));
    }

    #[test]
    fn editor_temp_files_are_ignored() {
        assert!(is_ignored_name(".post.md.swp"));
        assert!(is_ignored_name("post.md~"));
        assert!(is_ignored_name("#post.md#"));
        assert!(!is_ignored_name("post.md"));
    }

    #[test]
    fn jekyll_categories_come_from_folders_above_posts() {
        let f = classify(
            Layout::Jekyll,
            "blog/tech/_posts/2020/2020-01-01-a.md".into(),
            PathBuf::new(),
        )
        .expect("a post");
        assert_eq!(f.kind, SourceKind::Post);
        assert_eq!(f.categories, vec!["blog", "tech"]);
        let d = classify(Layout::Jekyll, "_drafts/idea.md".into(), PathBuf::new()).expect("draft");
        assert_eq!(d.kind, SourceKind::Draft);
        assert!(d.categories.is_empty());
        assert!(classify(Layout::Jekyll, "about.md".into(), PathBuf::new()).is_none());
    }

    #[test]
    fn plain_categories_are_sub_folders() {
        let f = classify(Layout::Plain, "essays/deep/x.md".into(), PathBuf::new()).expect("post");
        assert_eq!(f.categories, vec!["essays", "deep"]);
    }
}
