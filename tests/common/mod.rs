//! Shared helpers for the integration tests.
#![allow(dead_code)]

use inkgraph::graph::{self, LoadOptions, Snapshot, Visibility};
use std::path::{Path, PathBuf};

/// Path of a fixture folder under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads a folder with the given visibility; panics only if the folder itself is missing.
pub fn load_dir(root: &Path, visibility: Visibility) -> Snapshot {
    graph::load(&LoadOptions {
        root: root.to_path_buf(),
        visibility,
    })
    .expect("content root exists")
}

pub fn load_fixture(name: &str) -> Snapshot {
    load_dir(&fixture(name), Visibility::default())
}

/// The bundled sample blog.
pub fn sample_blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// `../shared/corpus/<name>` when present (it is not part of a fresh clone).
pub fn shared_corpus(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(name);
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (optional real-corpus check)",
            path.display()
        );
        None
    }
}

/// Copies a folder recursively (fixtures that tests modify or extend).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
