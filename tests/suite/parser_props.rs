//! The front-matter parser never panics, whatever the bytes, and always either loads the file
//! or explains why not with a located ERROR.

use inkgraph::corpus::{parse_file, SiteConfig};
use inkgraph::source::{SourceFile, SourceKind};
use proptest::prelude::*;
use std::path::PathBuf;

fn file(name: &str) -> SourceFile {
    SourceFile {
        path: format!("_posts/{name}"),
        abs_path: PathBuf::from(name),
        kind: SourceKind::Post,
        categories: vec![],
    }
}

fn check(bytes: &[u8]) {
    let parsed = parse_file(
        &file("2024-01-01-x.md"),
        bytes,
        None,
        &SiteConfig::default(),
    );
    if parsed.document.is_none() {
        let error = parsed
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .expect("a skipped file has an ERROR");
        assert!(error.line.is_some(), "errors are located: {error}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_front_matter_never_panics(
        yaml in "[a-z_:\\-\\[\\]{}'\" \n\t0-9.,#|>&*!%@`]{0,200}",
        body in ".{0,100}",
    ) {
        check(format!("---\n{yaml}\n---\n{body}").as_bytes());
    }

    #[test]
    fn arbitrary_dates_never_panic(date in "[0-9 :T.Z+\\-]{0,40}") {
        check(format!("---\ntitle: t\ndate: {date}\n---\n").as_bytes());
    }
}
