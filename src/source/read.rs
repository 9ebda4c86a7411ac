//! The one way bytes are read from the content folder: [`read_content_file`].
//!
//! Posts, drafts, `_config.yml` and `_includes/` files all come through here, whether the
//! full scan or the watcher asked, so one rule decides what the server may read:
//!
//! * **Only paths below the root.** The path is given relative to the content root and may
//!   not be absolute or contain `.`/`..` parts.
//! * **No symbolic links below the root**, wherever they point (as Jekyll's safe mode, the
//!   one GitHub Pages uses): every folder on the way and the file itself must be real
//!   entries. The root itself may be a link (the operator chose it). With no links and no
//!   `..`, the file's canonical path is inside the canonical root by construction. On Unix
//!   the walk opens each folder relative to the previous one with `O_NOFOLLOW`, so a link
//!   swapped in while reading is refused too, not followed.
//! * **Only regular files**: FIFOs, sockets, devices and folders are refused without being
//!   read (a FIFO is opened non-blocking, so it cannot stall the server).
//! * **At most `limit` bytes** ([`MAX_FILE_BYTES`] for every caller today): a larger file
//!   is refused, and reading stops at `limit + 1` bytes (`Read::take`), so a file that grows
//!   while being read cannot make the server allocate more.
//!
//! Every refusal is a [`ReadRefusal`] whose text says what is wrong and what to do; callers
//! turn it into a located [`Diagnostic`](crate::diagnostic::Diagnostic) and skip the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The largest file read from the content folder: 1 MiB. Posts, drafts, `_config.yml` and
/// `_includes/` files above it are refused with a diagnostic.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The raw contents of one file.
#[derive(Debug, Clone)]
pub struct FileContents {
    pub bytes: Vec<u8>,
    pub modified: Option<SystemTime>,
}

/// Why a file of the content folder was not read. The text says what is wrong with the file
/// (diagnostics carry its path) and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReadRefusal {
    /// The path is absolute, empty or has `.`/`..` parts.
    #[error(
        "the path is not inside the content folder: name a file below the folder, without `..`"
    )]
    NotBelowRoot,
    /// A folder on the way, or the file itself, is a symbolic link.
    #[error("{} is a symbolic link{}; inkgraph follows no symbolic links inside the content folder (as Jekyll's safe mode): replace the link with the real {}", link_subject(.link, .is_the_file), link_target(.target), if *.is_the_file { "file" } else { "folder" })]
    Symlink {
        /// Root-relative path of the link.
        link: String,
        /// Where it points, when that could be read.
        target: Option<PathBuf>,
        /// The link is the file asked for, not a folder on the way.
        is_the_file: bool,
    },
    /// A folder on the way is a file.
    #[error("`{0}` on its path is not a folder")]
    NotAFolder(String),
    /// A FIFO, socket, device or folder.
    #[error("it is {0}, not a regular file; only regular files are read: replace it with a regular file")]
    NotRegular(&'static str),
    /// Bigger than the limit.
    #[error("it is {size} bytes, more than the {limit}-byte limit for one file: split it into smaller files")]
    TooLarge { size: u64, limit: u64 },
    /// The file (or a folder on the way) does not exist.
    #[error("it does not exist")]
    NotFound,
    /// Reading failed (permissions, I/O error).
    #[error("it cannot be read: {0}")]
    Io(io::Error),
}

fn link_subject(link: &str, is_the_file: &bool) -> String {
    match is_the_file {
        true => "it".to_string(),
        false => format!("the folder `{link}` on its path"),
    }
}

fn link_target(target: &Option<PathBuf>) -> String {
    target
        .as_ref()
        .map(|t| format!(" (to {})", t.display()))
        .unwrap_or_default()
}

impl From<io::Error> for ReadRefusal {
    fn from(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::NotFound => ReadRefusal::NotFound,
            _ => ReadRefusal::Io(err),
        }
    }
}

impl ReadRefusal {
    /// Whether the file simply is not there (deleted, or never existed).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadRefusal::NotFound)
    }
}

/// Reads `rel` (root-relative, `/`-separated) from the content folder `root`, under the rules
/// of the module docs: no path outside the root, no symbolic links, only regular files, at
/// most `limit` bytes.
pub fn read_content_file(root: &Path, rel: &str, limit: u64) -> Result<FileContents, ReadRefusal> {
    let parts = path_parts(rel)?;
    let file = open_below(root, &parts)?;
    read_regular(file, limit)
}

/// The parts of a root-relative path; refuses absolute paths, `.` and `..`. Writes
/// (`write.rs`) follow the same rule.
pub(super) fn path_parts(rel: &str) -> Result<Vec<&str>, ReadRefusal> {
    let parts: Vec<&str> = rel.split('/').collect();
    let bad = rel.is_empty()
        || parts.iter().any(|p| {
            p.is_empty() || *p == "." || *p == ".." || p.contains('\\') || p.contains('\0')
        });
    match bad {
        true => Err(ReadRefusal::NotBelowRoot),
        false => Ok(parts),
    }
}

/// What a non-regular file is, for messages.
fn kind_name(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "an unknown kind of file"
    }
}

/// Reads an opened file: regular files only, at most `limit` bytes.
fn read_regular(file: File, limit: u64) -> Result<FileContents, ReadRefusal> {
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(ReadRefusal::NotRegular(kind_name(metadata.file_type())));
    }
    if metadata.len() > limit {
        return Err(ReadRefusal::TooLarge {
            size: metadata.len(),
            limit,
        });
    }
    // The size can change between `metadata` and the read: never read past `limit + 1`.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadRefusal::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(FileContents {
        bytes,
        modified: metadata.modified().ok(),
    })
}

#[cfg(unix)]
fn open_below(root: &Path, parts: &[&str]) -> Result<File, ReadRefusal> {
    use rustix::fs::{openat, statat, AtFlags, FileType, Mode, OFlags, CWD};
    use std::os::fd::OwnedFd;

    let errno = |err: rustix::io::Errno| io::Error::from_raw_os_error(err.raw_os_error());
    // The root may itself be a link: following it is the operator's choice.
    let mut dir: OwnedFd = openat(
        CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)?;
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let is_the_file = i == last;
        let link = || parts[..=i].join("/");
        // Look before opening: a link is refused with where it points; anything that is
        // not a regular file is refused without being opened (opening a device can act).
        let stat = statat(&dir, *part, AtFlags::SYMLINK_NOFOLLOW).map_err(errno)?;
        let file_type = FileType::from_raw_mode(stat.st_mode);
        match file_type {
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(&dir, *part, Vec::new())
                    .ok()
                    .map(|t| PathBuf::from(t.to_string_lossy().into_owned()));
                return Err(ReadRefusal::Symlink {
                    link: link(),
                    target,
                    is_the_file,
                });
            }
            FileType::Directory if !is_the_file => {}
            _ if !is_the_file => return Err(ReadRefusal::NotAFolder(link())),
            FileType::RegularFile => {}
            FileType::Directory => return Err(ReadRefusal::NotRegular("a folder")),
            FileType::Fifo => return Err(ReadRefusal::NotRegular("a FIFO (named pipe)")),
            FileType::Socket => return Err(ReadRefusal::NotRegular("a socket")),
            FileType::CharacterDevice | FileType::BlockDevice => {
                return Err(ReadRefusal::NotRegular("a device"))
            }
            _ => return Err(ReadRefusal::NotRegular("an unknown kind of file")),
        }
        // `NOFOLLOW` refuses a link swapped in since the look above (ELOOP, or ENOTDIR for a
        // folder); `NONBLOCK` keeps a FIFO swapped in from blocking the open.
        let flags = match is_the_file {
            true => OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY,
            false => OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::DIRECTORY,
        };
        let opened = match openat(&dir, *part, flags | OFlags::CLOEXEC, Mode::empty()) {
            Ok(fd) => fd,
            Err(err) if err == rustix::io::Errno::LOOP || err == rustix::io::Errno::NOTDIR => {
                return Err(ReadRefusal::Symlink {
                    link: link(),
                    target: None,
                    is_the_file,
                })
            }
            Err(err) => return Err(errno(err).into()),
        };
        if is_the_file {
            return Ok(File::from(opened));
        }
        dir = opened;
    }
    // `parts` is never empty (see `path_parts`).
    Err(ReadRefusal::NotBelowRoot)
}

/// Without `openat`: the same checks, by path (a link swapped in between the checks and the
/// open is not caught).
#[cfg(not(unix))]
fn open_below(root: &Path, parts: &[&str]) -> Result<File, ReadRefusal> {
    let canonical_root = root.canonicalize()?;
    let mut path = canonical_root.clone();
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let is_the_file = i == last;
        path.push(part);
        let metadata = std::fs::symlink_metadata(&path)?;
        if metadata.file_type().is_symlink() {
            return Err(ReadRefusal::Symlink {
                link: parts[..=i].join("/"),
                target: std::fs::read_link(&path).ok(),
                is_the_file,
            });
        }
        if !is_the_file && !metadata.is_dir() {
            return Err(ReadRefusal::NotAFolder(parts[..=i].join("/")));
        }
        if is_the_file && !metadata.is_file() {
            return Err(ReadRefusal::NotRegular(kind_name(metadata.file_type())));
        }
    }
    if !path.canonicalize()?.starts_with(&canonical_root) {
        return Err(ReadRefusal::NotBelowRoot);
    }
    Ok(File::open(&path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("_posts")).expect("mkdir");
        std::fs::write(dir.path().join("_posts/a.md"), "hello").expect("write");
        dir
    }

    #[test]
    fn reads_regular_files_below_the_root() {
        let dir = site();
        let read = read_content_file(dir.path(), "_posts/a.md", MAX_FILE_BYTES).expect("read");
        assert_eq!(read.bytes, b"hello");
        assert!(read.modified.is_some());
    }

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let dir = site();
        for rel in [
            "",
            "/etc/passwd",
            "../x",
            "_posts/../_posts/a.md",
            "./a",
            "a//b",
        ] {
            let err = read_content_file(dir.path(), rel, MAX_FILE_BYTES).expect_err(rel);
            assert!(matches!(err, ReadRefusal::NotBelowRoot), "{rel}: {err}");
        }
    }

    #[test]
    fn refuses_missing_files_and_folders() {
        let dir = site();
        let err = read_content_file(dir.path(), "_posts/none.md", 10).expect_err("missing");
        assert!(err.is_not_found());
        let err = read_content_file(dir.path(), "_posts", 10).expect_err("folder");
        assert_eq!(
            err.to_string(),
            "it is a folder, not a regular file; only regular files are read: replace it with a regular file"
        );
        let err = read_content_file(dir.path(), "_posts/a.md/b", 10).expect_err("file as folder");
        assert!(
            matches!(err, ReadRefusal::NotAFolder(ref p) if p == "_posts/a.md"),
            "{err}"
        );
    }

    #[test]
    fn refuses_files_over_the_limit() {
        let dir = site();
        let err = read_content_file(dir.path(), "_posts/a.md", 4).expect_err("too large");
        assert_eq!(
            err.to_string(),
            "it is 5 bytes, more than the 4-byte limit for one file: split it into smaller files"
        );
        assert!(read_content_file(dir.path(), "_posts/a.md", 5).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symbolic_links_to_files_and_folders() {
        let dir = site();
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret"), "s").expect("write");
        std::os::unix::fs::symlink(
            outside.path().join("secret"),
            dir.path().join("_posts/s.md"),
        )
        .expect("link");
        std::os::unix::fs::symlink("a.md", dir.path().join("_posts/inside.md")).expect("link");
        std::os::unix::fs::symlink("/", dir.path().join("_includes")).expect("link");

        let err = read_content_file(dir.path(), "_posts/s.md", 10).expect_err("link out");
        let text = err.to_string();
        assert!(text.starts_with("it is a symbolic link (to "), "{text}");
        assert!(
            text.contains("replace the link with the real file"),
            "{text}"
        );
        // One rule: links that stay inside the root are refused too.
        let err = read_content_file(dir.path(), "_posts/inside.md", 10).expect_err("link in");
        assert!(matches!(err, ReadRefusal::Symlink { .. }), "{err}");
        let err = read_content_file(dir.path(), "_includes/etc/passwd", 1 << 20)
            .expect_err("folder link");
        assert_eq!(
            err.to_string(),
            "the folder `_includes` on its path is a symbolic link (to /); inkgraph follows no symbolic links inside the content folder (as Jekyll's safe mode): replace the link with the real folder"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_root_itself_may_be_a_link() {
        let dir = site();
        let holder = tempfile::tempdir().expect("tempdir");
        let link = holder.path().join("site");
        std::os::unix::fs::symlink(dir.path(), &link).expect("link");
        assert!(read_content_file(&link, "_posts/a.md", 10).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_without_blocking() {
        let dir = site();
        let fifo = dir.path().join("_posts/fifo.md");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
        let err = read_content_file(dir.path(), "_posts/fifo.md", 10).expect_err("fifo");
        assert!(
            err.to_string().starts_with("it is a FIFO (named pipe)"),
            "{err}"
        );
    }
}
