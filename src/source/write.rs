//! The one way bytes are written to the content folder: [`ContentFolder`], a folder below the
//! root opened under the same rules as [`read_content_file`](super::read_content_file).
//!
//! * **Only paths below the root**: the folder is named relative to the root, without
//!   `.`/`..` parts, and a file is named by one plain name inside it.
//! * **No symbolic links below the root**: every folder on the way must be a real folder (a
//!   link is refused, never followed); on Unix each is opened relative to the previous one
//!   with `O_NOFOLLOW`, so a link swapped in meanwhile is refused too. Folders that do not
//!   exist are created the same way (`mkdirat`), when asked.
//! * **Nothing torn**: [`ContentFolder::write_atomic`] writes a temporary file in the same
//!   folder (a hidden `.inkgraph-*.tmp` name the loader ignores), syncs it, renames it over
//!   the target and syncs the folder, so a reader or a crash sees the old bytes or the new
//!   ones, never a mix. A temporary file left by a crash is removed by
//!   [`remove_stale_temp_files`] at the next start.

use super::read::path_parts;
use super::{is_ignored_name, ReadRefusal};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files are named `.inkgraph-<pid>-<n>.tmp`: hidden, so the loader and the
/// watcher ignore them.
pub const TEMP_PREFIX: &str = ".inkgraph-";
/// See [`TEMP_PREFIX`].
pub const TEMP_SUFFIX: &str = ".tmp";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a write to the content folder was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path is not allowed (outside the root, a link on the way, not a folder).
    #[error("{0}")]
    Refused(ReadRefusal),
    /// A file name that is empty, hidden or has a `/`.
    #[error("`{0}` is not a plain file name")]
    BadName(String),
    /// The target exists and must not be replaced.
    #[error("`{0}` exists already")]
    Exists(String),
    /// The target is a symbolic link or not a regular file.
    #[error("`{0}` is not a regular file (a link, folder or device is never written over)")]
    NotRegular(String),
    /// The file system refused (permissions, disk full, …).
    #[error("writing `{path}` failed: {source}")]
    Io { path: String, source: io::Error },
    /// A simulated crash ([`FailPoint`]), for tests.
    #[error("simulated crash at {0:?}")]
    Simulated(FailPoint),
}

/// Where [`ContentFolder::write_atomic`] stops as if the process died there (tests only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the temporary file is written and synced, before the rename.
    BeforeRename,
}

impl From<ReadRefusal> for WriteError {
    fn from(refusal: ReadRefusal) -> Self {
        WriteError::Refused(refusal)
    }
}

fn io_error(path: &str) -> impl Fn(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_string(),
        source,
    }
}

/// Checks a single file name: not empty, no `/` or `\`, not `.`/`..`, not hidden.
fn check_name(name: &str) -> Result<(), WriteError> {
    let bad = name.is_empty()
        || name.contains(['/', '\\', '\0'])
        || name == "."
        || name == ".."
        || is_ignored_name(name);
    match bad {
        true => Err(WriteError::BadName(name.to_string())),
        false => Ok(()),
    }
}

/// What is at a name inside a folder (links are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Nothing.
    Missing,
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symbolic link, FIFO, socket or device.
    Other,
}

/// A folder below the content root, opened without following links (see the module docs).
#[derive(Debug)]
pub struct ContentFolder {
    /// Root-relative path of the folder ("" for the root itself).
    rel: String,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    #[cfg(not(unix))]
    path: std::path::PathBuf,
}

impl ContentFolder {
    /// Opens the folder `rel` (root-relative, `/`-separated; "" is the root) below `root`,
    /// creating missing folders when `create` is set.
    pub fn open(root: &Path, rel: &str, create: bool) -> Result<ContentFolder, WriteError> {
        let parts = match rel.is_empty() {
            true => Vec::new(),
            false => path_parts(rel)?,
        };
        open_folder(root, rel, &parts, create)
    }

    /// Root-relative path of the folder.
    pub fn rel(&self) -> &str {
        &self.rel
    }

    fn child(&self, name: &str) -> String {
        match self.rel.is_empty() {
            true => name.to_string(),
            false => format!("{}/{name}", self.rel),
        }
    }

    /// What is at `name` in this folder.
    pub fn entry(&self, name: &str) -> Result<EntryKind, WriteError> {
        check_name(name)?;
        entry_kind(self, name).map_err(io_error(&self.child(name)))
    }

    /// Writes `bytes` to `name` atomically (see the module docs). With `replace` false the
    /// name must not exist; with `replace` true it must be a regular file or absent, and its
    /// permissions are kept.
    pub fn write_atomic(
        &self,
        name: &str,
        bytes: &[u8],
        replace: bool,
        fail: Option<FailPoint>,
    ) -> Result<(), WriteError> {
        check_name(name)?;
        let path = self.child(name);
        match self.entry(name)? {
            EntryKind::Missing => {}
            EntryKind::File if replace => {}
            EntryKind::File => return Err(WriteError::Exists(path)),
            EntryKind::Folder | EntryKind::Other => return Err(WriteError::NotRegular(path)),
        }
        let temp = format!(
            "{TEMP_PREFIX}{}-{}{TEMP_SUFFIX}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let written = write_temp(self, &temp, name, bytes).map_err(io_error(&path));
        if let Err(err) = written {
            let _ = remove_entry(self, &temp);
            return Err(err);
        }
        if fail == Some(FailPoint::BeforeRename) {
            return Err(WriteError::Simulated(FailPoint::BeforeRename));
        }
        let renamed = rename_into(self, &temp, self, name, replace);
        if let Err(err) = renamed {
            let _ = remove_entry(self, &temp);
            return Err(match err.kind() {
                io::ErrorKind::AlreadyExists => WriteError::Exists(path),
                _ => WriteError::Io { path, source: err },
            });
        }
        self.sync().map_err(io_error(&self.rel))
    }

    /// Moves `name` from this folder to `to_name` in `to` without replacing anything there.
    pub fn move_to(&self, name: &str, to: &ContentFolder, to_name: &str) -> Result<(), WriteError> {
        check_name(name)?;
        check_name(to_name)?;
        if self.entry(name)? != EntryKind::File {
            return Err(WriteError::NotRegular(self.child(name)));
        }
        let target = to.child(to_name);
        rename_into(self, name, to, to_name, false).map_err(|err| match err.kind() {
            io::ErrorKind::AlreadyExists => WriteError::Exists(target.clone()),
            _ => WriteError::Io {
                path: target.clone(),
                source: err,
            },
        })?;
        to.sync().map_err(io_error(&to.rel))?;
        self.sync().map_err(io_error(&self.rel))
    }

    /// Removes the regular file `name` and syncs the folder.
    pub fn remove(&self, name: &str) -> Result<(), WriteError> {
        check_name(name)?;
        let path = self.child(name);
        match self.entry(name)? {
            EntryKind::File => {}
            EntryKind::Missing => {
                return Err(WriteError::Io {
                    path,
                    source: io::ErrorKind::NotFound.into(),
                })
            }
            _ => return Err(WriteError::NotRegular(path)),
        }
        remove_entry(self, name).map_err(io_error(&path))?;
        self.sync().map_err(io_error(&self.rel))
    }

    /// Names of the regular files in this folder (not following links), sorted.
    pub fn file_names(&self) -> Result<Vec<String>, WriteError> {
        let mut names = list_files(self).map_err(io_error(&self.rel))?;
        names.sort();
        Ok(names)
    }

    /// Removes `name` whatever its name looks like (hidden names included): for the store's
    /// own bookkeeping files (trash entries). Never a folder or a link's target.
    pub fn remove_own(&self, name: &str) -> Result<(), WriteError> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            return Err(WriteError::BadName(name.to_string()));
        }
        remove_entry(self, name).map_err(io_error(&self.child(name)))
    }

    /// Flushes the folder's entries (new, renamed and removed names) to disk.
    pub fn sync(&self) -> io::Result<()> {
        sync_folder(self)
    }
}

/// Removes the temporary files a crash left (`.inkgraph-*.tmp`) anywhere below `root`,
/// without following links or entering `.git`; returns their root-relative paths.
pub fn remove_stale_temp_files(root: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || entry.file_name() != ".git");
    for entry in walker.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file()
            && name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed.push(super::relative_to(root, entry.path()).unwrap_or_default());
        }
    }
    removed
}

#[cfg(unix)]
fn errno(err: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(err.raw_os_error())
}

#[cfg(unix)]
fn open_folder(
    root: &Path,
    rel: &str,
    parts: &[&str],
    create: bool,
) -> Result<ContentFolder, WriteError> {
    use rustix::fs::{mkdirat, openat, statat, AtFlags, FileType, Mode, OFlags, CWD};
    let mut dir = openat(
        CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| WriteError::from(ReadRefusal::from(errno(e))))?;
    for (i, part) in parts.iter().enumerate() {
        let link = || parts[..=i].join("/");
        let stat = match statat(&dir, *part, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Some(stat),
            Err(rustix::io::Errno::NOENT) if create => None,
            Err(err) => return Err(ReadRefusal::from(errno(err)).into()),
        };
        match stat.map(|s| FileType::from_raw_mode(s.st_mode)) {
            None => match mkdirat(&dir, *part, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(err) => return Err(io_error(&link())(errno(err))),
            },
            Some(FileType::Directory) => {}
            Some(FileType::Symlink) => {
                return Err(ReadRefusal::Symlink {
                    link: link(),
                    target: rustix::fs::readlinkat(&dir, *part, Vec::new())
                        .ok()
                        .map(|t| std::path::PathBuf::from(t.to_string_lossy().into_owned())),
                    is_the_file: false,
                }
                .into())
            }
            Some(_) => return Err(ReadRefusal::NotAFolder(link()).into()),
        }
        dir = match openat(
            &dir,
            *part,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::LOOP) | Err(rustix::io::Errno::NOTDIR) => {
                return Err(ReadRefusal::Symlink {
                    link: link(),
                    target: None,
                    is_the_file: false,
                }
                .into())
            }
            Err(err) => return Err(ReadRefusal::from(errno(err)).into()),
        };
    }
    Ok(ContentFolder {
        rel: rel.to_string(),
        fd: dir,
    })
}

#[cfg(unix)]
fn entry_kind(folder: &ContentFolder, name: &str) -> io::Result<EntryKind> {
    use rustix::fs::{statat, AtFlags, FileType};
    match statat(&folder.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => EntryKind::File,
            FileType::Directory => EntryKind::Folder,
            _ => EntryKind::Other,
        }),
        Err(rustix::io::Errno::NOENT) => Ok(EntryKind::Missing),
        Err(err) => Err(errno(err)),
    }
}

#[cfg(unix)]
fn write_temp(folder: &ContentFolder, temp: &str, target: &str, bytes: &[u8]) -> io::Result<()> {
    use rustix::fs::{fchmod, openat, statat, AtFlags, Mode, OFlags};
    // Keep the permissions of the file being replaced; new files get 0644 less the umask.
    let mode = statat(&folder.fd, target, AtFlags::SYMLINK_NOFOLLOW)
        .ok()
        .map(|stat| Mode::from_raw_mode(stat.st_mode & 0o7777));
    let fd = openat(
        &folder.fd,
        temp,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .map_err(errno)?;
    if let Some(mode) = mode {
        fchmod(&fd, mode).map_err(errno)?;
    }
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(unix)]
fn rename_into(
    from: &ContentFolder,
    name: &str,
    to: &ContentFolder,
    to_name: &str,
    replace: bool,
) -> io::Result<()> {
    if !replace {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        match rustix::fs::renameat_with(
            &from.fd,
            name,
            &to.fd,
            to_name,
            rustix::fs::RenameFlags::NOREPLACE,
        ) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::EXIST) => return Err(io::ErrorKind::AlreadyExists.into()),
            // File systems without RENAME_NOREPLACE: check, then rename (the store holds its
            // writer lock, so only another program could race it).
            Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => {}
            Err(err) => return Err(errno(err)),
        }
        if entry_kind(to, to_name)? != EntryKind::Missing {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
    }
    rustix::fs::renameat(&from.fd, name, &to.fd, to_name).map_err(errno)
}

#[cfg(unix)]
fn remove_entry(folder: &ContentFolder, name: &str) -> io::Result<()> {
    rustix::fs::unlinkat(&folder.fd, name, rustix::fs::AtFlags::empty()).map_err(errno)
}

#[cfg(unix)]
fn sync_folder(folder: &ContentFolder) -> io::Result<()> {
    rustix::fs::fsync(&folder.fd).map_err(errno)
}

#[cfg(unix)]
fn list_files(folder: &ContentFolder) -> io::Result<Vec<String>> {
    use rustix::fs::{Dir, FileType};
    let mut dir = Dir::read_from(&folder.fd).map_err(errno)?;
    let mut names = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry.map_err(errno)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "." || name == ".." {
            continue;
        }
        let is_file = match entry.file_type() {
            FileType::RegularFile => true,
            FileType::Unknown => entry_kind(folder, &name)? == EntryKind::File,
            _ => false,
        };
        if is_file {
            names.push(name);
        }
    }
    Ok(names)
}

/// Without `openat`: the same checks, by path (a link swapped in between the checks and the
/// use is not caught).
#[cfg(not(unix))]
fn open_folder(
    root: &Path,
    rel: &str,
    parts: &[&str],
    create: bool,
) -> Result<ContentFolder, WriteError> {
    let mut path = root.canonicalize().map_err(ReadRefusal::from)?;
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ReadRefusal::Symlink {
                    link: parts[..=i].join("/"),
                    target: std::fs::read_link(&path).ok(),
                    is_the_file: false,
                }
                .into())
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(ReadRefusal::NotAFolder(parts[..=i].join("/")).into()),
            Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
                std::fs::create_dir(&path).map_err(io_error(&parts[..=i].join("/")))?
            }
            Err(err) => return Err(ReadRefusal::from(err).into()),
        }
    }
    Ok(ContentFolder {
        rel: rel.to_string(),
        path,
    })
}

#[cfg(not(unix))]
fn entry_kind(folder: &ContentFolder, name: &str) -> io::Result<EntryKind> {
    match std::fs::symlink_metadata(folder.path.join(name)) {
        Ok(m) if m.file_type().is_symlink() => Ok(EntryKind::Other),
        Ok(m) if m.is_file() => Ok(EntryKind::File),
        Ok(m) if m.is_dir() => Ok(EntryKind::Folder),
        Ok(_) => Ok(EntryKind::Other),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(EntryKind::Missing),
        Err(err) => Err(err),
    }
}

#[cfg(not(unix))]
fn write_temp(folder: &ContentFolder, temp: &str, _target: &str, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(folder.path.join(temp))?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn rename_into(
    from: &ContentFolder,
    name: &str,
    to: &ContentFolder,
    to_name: &str,
    replace: bool,
) -> io::Result<()> {
    if !replace && entry_kind(to, to_name)? != EntryKind::Missing {
        return Err(io::ErrorKind::AlreadyExists.into());
    }
    std::fs::rename(from.path.join(name), to.path.join(to_name))
}

#[cfg(not(unix))]
fn remove_entry(folder: &ContentFolder, name: &str) -> io::Result<()> {
    std::fs::remove_file(folder.path.join(name))
}

#[cfg(not(unix))]
fn sync_folder(_folder: &ContentFolder) -> io::Result<()> {
    // Folders cannot be opened for syncing everywhere; the rename is durable on NTFS.
    Ok(())
}

#[cfg(not(unix))]
fn list_files(folder: &ContentFolder) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&folder.path)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("_posts")).expect("mkdir");
        std::fs::write(dir.path().join("_posts/a.md"), "old").expect("write");
        dir
    }

    #[test]
    fn writes_replace_atomically_and_leave_no_temp_file() {
        let dir = site();
        let folder = ContentFolder::open(dir.path(), "_posts", false).expect("open");
        folder
            .write_atomic("a.md", b"new", true, None)
            .expect("write");
        assert_eq!(
            std::fs::read(dir.path().join("_posts/a.md")).expect("read"),
            b"new"
        );
        let err = folder
            .write_atomic("a.md", b"again", false, None)
            .expect_err("exists");
        assert!(
            matches!(err, WriteError::Exists(ref p) if p == "_posts/a.md"),
            "{err}"
        );
        assert_eq!(folder.file_names().expect("list"), ["a.md"]);
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_bytes_and_a_hidden_temp_file() {
        let dir = site();
        let folder = ContentFolder::open(dir.path(), "_posts", false).expect("open");
        let err = folder
            .write_atomic("a.md", b"new", true, Some(FailPoint::BeforeRename))
            .expect_err("crash");
        assert!(matches!(err, WriteError::Simulated(_)));
        assert_eq!(
            std::fs::read(dir.path().join("_posts/a.md")).expect("read"),
            b"old"
        );
        let removed = remove_stale_temp_files(dir.path());
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert!(removed[0].starts_with("_posts/.inkgraph-"), "{removed:?}");
        assert_eq!(folder.file_names().expect("list"), ["a.md"]);
    }

    #[test]
    fn creates_folders_and_refuses_bad_names() {
        let dir = site();
        let folder = ContentFolder::open(dir.path(), "blog/_drafts", true).expect("create");
        folder
            .write_atomic("x.md", b"x", false, None)
            .expect("write");
        assert!(dir.path().join("blog/_drafts/x.md").is_file());
        for name in ["", "../x.md", ".hidden.md", "a/b.md", ".."] {
            assert!(
                folder.write_atomic(name, b"x", false, None).is_err(),
                "{name}"
            );
        }
        assert!(ContentFolder::open(dir.path(), "../x", true).is_err());
        assert!(!dir.path().join("../x").exists());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symbolic_links_on_the_way() {
        let dir = site();
        let outside = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("blog")).expect("link");
        let err = ContentFolder::open(dir.path(), "blog/_posts", true).expect_err("link");
        assert!(
            matches!(err, WriteError::Refused(ReadRefusal::Symlink { .. })),
            "{err}"
        );
        assert!(std::fs::read_dir(outside.path())
            .expect("read")
            .next()
            .is_none());
        // A link where the file would be is not written over either.
        std::os::unix::fs::symlink(outside.path().join("t"), dir.path().join("_posts/l.md"))
            .expect("link");
        let folder = ContentFolder::open(dir.path(), "_posts", false).expect("open");
        assert!(matches!(
            folder.write_atomic("l.md", b"x", true, None),
            Err(WriteError::NotRegular(_))
        ));
        assert!(!outside.path().join("t").exists());
    }
}
