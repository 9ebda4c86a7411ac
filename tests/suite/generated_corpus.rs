//! The generated benchmark corpus (`tools/gen-corpus`) loads cleanly: every figure measured on
//! it is a figure of a healthy site.

use crate::common;

use gen_corpus::{generate, GenOptions, SITE_URL};

fn generated(posts: usize, seed: u64) -> (tempfile::TempDir, gen_corpus::GenSummary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = generate(&GenOptions { posts, seed }, dir.path()).expect("generate");
    (dir, summary)
}

fn load_dir(root: &std::path::Path) -> inkgraph::graph::Snapshot {
    common::load_dir(root, inkgraph::graph::Visibility::default())
}

#[test]
fn the_site_loads_cleanly_with_working_links() {
    let (dir, summary) = generated(300, 42);
    assert_eq!(summary.posts, 300);
    let snapshot = load_dir(dir.path());
    let errors: Vec<_> = snapshot
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Unique slugs, serials and permalinks: not even a warning.
    assert!(
        snapshot.diagnostics.is_empty(),
        "{:#?}",
        snapshot.diagnostics
    );
    assert_eq!(snapshot.stats.files, 300);
    assert_eq!(snapshot.stats.posts, 300);
    assert_eq!(snapshot.config.site.url(), Some(SITE_URL));

    let serials = snapshot
        .posts
        .iter()
        .filter(|p| p.doc.serial_number.is_some())
        .count();
    assert!((90..=150).contains(&serials), "{serials} serial numbers");
    assert!(snapshot.tags.len() > 150, "{} tags", snapshot.tags.len());

    let mut internal_links = 0;
    for post in &snapshot.posts {
        assert!(
            (1..=6).contains(&post.tags.len()),
            "{}",
            post.doc.source_path
        );
        assert!(post.doc.categories == ["blog"] || post.doc.categories == ["notes"]);
        let year = post.doc.date.format("%Y").to_string();
        assert!(("2010".."2026").contains(&year.as_str()), "{year}");
        assert!(post
            .doc
            .source_path
            .contains(&post.doc.date.format("/_posts/%Y-%m-%d-").to_string()));
        for link in post.doc.body.split("](").skip(1) {
            let url = &link[..link.find(')').expect("closed link")];
            if url.starts_with("/blog/") || url.starts_with("/notes/") || url.starts_with(SITE_URL)
            {
                internal_links += 1;
                assert!(
                    snapshot.post_by_url(url).is_some(),
                    "{url} in {}",
                    post.doc.source_path
                );
            }
        }
    }
    let per_post = internal_links as f64 / 300.0;
    assert!((2.5..=3.7).contains(&per_post), "{per_post} links per post");
}
