//! Shared bench setup: a generated Jekyll corpus in a temporary folder.
// Each bench compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use gen_corpus::{generate, GenOptions};
use inkgraph::graph::Visibility;
use inkgraph::load::LoadOptions;
use tempfile::TempDir;

/// The seed every bench uses, so figures compare across benches and machines.
pub const SEED: u64 = 42;

/// A generated corpus; the folder is removed when this is dropped.
pub struct GeneratedCorpus {
    /// Keeps the temporary folder alive.
    pub dir: TempDir,
    /// Options that load it with the default visibility.
    pub options: LoadOptions,
    /// Bytes of Markdown written.
    pub bytes: u64,
}

/// Writes `posts` generated posts (seed [`SEED`]) into a new temporary folder.
pub fn generated_corpus(posts: usize) -> GeneratedCorpus {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let summary = generate(&GenOptions::new(posts, SEED), dir.path()).expect("generate the corpus");
    let options = LoadOptions {
        root: dir.path().to_path_buf(),
        visibility: Visibility::default(),
    };
    GeneratedCorpus {
        dir,
        options,
        bytes: summary.bytes,
    }
}
