//! Keeping what a mutation replaces or deletes: a git commit per mutation when the content
//! folder is in a git work tree, else (and for changes git has not seen yet) a copy in a
//! bounded trash folder, `.inkgraph-trash/` at the content root, which the loader ignores
//! (it is hidden).

use crate::source::{ContentFolder, WriteError};
use std::path::{Path, PathBuf};

/// The trash folder, relative to the content root.
pub const TRASH_FOLDER: &str = ".inkgraph-trash";

/// Who a mutation is recorded as (a git commit's author): settings of `inkgraph serve`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Editor {
    /// Who mutations are recorded as: the git commit author and the audit log's editor.
    #[arg(long = "editor-name", env = "INKGRAPH_EDITOR_NAME", default_value = "inkgraph editor", value_parser = non_blank, value_name = "NAME")]
    pub name: String,
    /// The git commit author's email for mutations.
    #[arg(long = "editor-email", env = "INKGRAPH_EDITOR_EMAIL", default_value = "editor@inkgraph.invalid", value_parser = non_blank, value_name = "EMAIL")]
    pub email: String,
}

impl Default for Editor {
    /// The defaults of `inkgraph serve`'s flags.
    fn default() -> Self {
        crate::args::defaults()
    }
}

/// A value parser refusing empty and blank text (a commit needs an author).
fn non_blank(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("it is empty; give a name such as `Ada Editor`".into()),
        _ => Ok(text.to_string()),
    }
}

/// Where earlier versions go.
pub(super) struct History {
    git: Option<Git>,
    trash_entries: usize,
}

/// The git work tree holding the content folder.
struct Git {
    repo: git2::Repository,
    /// The content root relative to the work tree (empty when they are the same).
    prefix: PathBuf,
}

/// Which kind of history a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    /// A commit per mutation (plus trash copies of changes git had not seen).
    Git,
    /// Copies in `.inkgraph-trash/`.
    Trash,
}

impl History {
    /// Git when `root` is inside a git work tree (and the repository opens), else the trash.
    pub(super) fn open(root: &Path, trash_entries: usize) -> History {
        let git = match git2::Repository::discover(root) {
            Ok(repo) => match (repo.workdir(), root.canonicalize()) {
                (Some(workdir), Ok(root)) => match workdir.canonicalize() {
                    Ok(workdir) => root.strip_prefix(&workdir).ok().map(|prefix| Git {
                        prefix: prefix.to_path_buf(),
                        repo,
                    }),
                    Err(_) => None,
                },
                _ => None,
            },
            Err(err) if err.code() == git2::ErrorCode::NotFound => None,
            Err(err) => {
                tracing::warn!(
                    "the content folder looks like a git work tree but it cannot be opened ({err}); keeping earlier versions in {TRASH_FOLDER}/ instead"
                );
                None
            }
        };
        History { git, trash_entries }
    }

    pub(super) fn kind(&self) -> HistoryKind {
        match self.git {
            Some(_) => HistoryKind::Git,
            None => HistoryKind::Trash,
        }
    }

    /// Whether `bytes` at `rel` must be copied to the trash before being replaced: always
    /// without git; with git, when the last commit does not hold exactly these bytes.
    pub(super) fn needs_copy(&self, rel: &str, bytes: &[u8]) -> bool {
        let Some(git) = &self.git else {
            return true;
        };
        let committed = (|| {
            let tree = git.repo.head().ok()?.peel_to_tree().ok()?;
            let entry = tree.get_path(&git.prefix.join(rel)).ok()?;
            Some(entry.id())
        })();
        let current = git2::Oid::hash_object(git2::ObjectType::Blob, bytes).ok();
        committed.is_none() || committed != current
    }

    /// Copies `bytes` (the version of `rel` about to be replaced) into the trash, then keeps
    /// only its newest `trash_entries` entries. Returns the entry's root-relative path.
    pub(super) fn to_trash(
        &self,
        root: &Path,
        rel: &str,
        bytes: &[u8],
    ) -> Result<String, WriteError> {
        let folder = ContentFolder::open(root, TRASH_FOLDER, true)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let mut flat: String = rel.replace('/', "+");
        if flat.len() > 180 {
            let cut = (0..=180)
                .rev()
                .find(|i| flat.is_char_boundary(*i))
                .unwrap_or(0);
            flat.truncate(cut);
        }
        let name = format!("{stamp}-{flat}");
        folder.write_atomic(&name, bytes, false, None)?;
        let names = folder.file_names()?;
        let excess = names.len().saturating_sub(self.trash_entries.max(1));
        for old in names.iter().take(excess) {
            if let Err(err) = folder.remove_own(old) {
                tracing::warn!("could not prune {TRASH_FOLDER}/{old}: {err}");
            }
        }
        Ok(format!("{TRASH_FOLDER}/{name}"))
    }

    /// Commits the files `changes` names (root-relative; `Some` bytes written, `None`
    /// removed) on top of HEAD, with only those paths changed whatever else is staged, and
    /// brings the index up to date for them. Returns the commit id; `None` without git.
    pub(super) fn commit(
        &mut self,
        changes: &[(String, Option<Vec<u8>>)],
        message: &str,
        editor: &Editor,
    ) -> Result<Option<String>, git2::Error> {
        let Some(git) = &self.git else {
            return Ok(None);
        };
        let repo = &git.repo;
        let head = match repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(err)
                if err.code() == git2::ErrorCode::UnbornBranch
                    || err.code() == git2::ErrorCode::NotFound =>
            {
                None
            }
            Err(err) => return Err(err),
        };
        let base = match &head {
            Some(commit) => commit.tree()?,
            None => {
                let empty = repo.treebuilder(None)?.write()?;
                repo.find_tree(empty)?
            }
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (rel, bytes) in changes {
            let path = git.prefix.join(rel);
            match bytes {
                Some(bytes) => {
                    let blob = repo.blob(bytes)?;
                    update.upsert(&path, blob, git2::FileMode::Blob);
                }
                None if base.get_path(&path).is_ok() => {
                    update.remove(&path);
                }
                None => {}
            }
        }
        let tree = repo.find_tree(update.create_updated(repo, &base)?)?;
        let author = git2::Signature::now(&editor.name, &editor.email)?;
        let committer = git2::Signature::now("inkgraph", "inkgraph@localhost")?;
        let parents: Vec<&git2::Commit> = head.iter().collect();
        let id = repo.commit(Some("HEAD"), &author, &committer, message, &tree, &parents)?;
        // The work tree already holds these bytes: stage them so `git status` is clean for
        // them (anything else staged stays staged).
        let staged = (|| -> Result<(), git2::Error> {
            let mut index = repo.index()?;
            for (rel, bytes) in changes {
                let path = git.prefix.join(rel);
                match bytes {
                    Some(_) => index.add_path(&path)?,
                    None => {
                        let _ = index.remove_path(&path);
                    }
                }
            }
            index.write()
        })();
        if let Err(err) = staged {
            tracing::warn!("committed {id}, but could not update the git index: {err}");
        }
        Ok(Some(id.to_string()))
    }
}
