//! Loading content folders: every front-matter form and every diagnostic, over the fixtures
//! in `tests/fixtures` (one folder per case, see its README).

use crate::common;

use common::*;
use inkgraph::diagnostic::Severity;
use inkgraph::graph::{Post, Snapshot, Visibility};
use inkgraph::source::Layout;

fn post<'a>(snapshot: &'a Snapshot, slug: &str) -> &'a Post {
    let idx = snapshot
        .post_by_slug(slug)
        .unwrap_or_else(|| panic!("post `{slug}` is loaded and visible"));
    snapshot.post(idx)
}

fn only_diagnostic(snapshot: &Snapshot) -> &inkgraph::diagnostic::Diagnostic {
    assert_eq!(snapshot.diagnostics.len(), 1, "{:#?}", snapshot.diagnostics);
    &snapshot.diagnostics[0]
}

fn assert_accounted(snapshot: &Snapshot) {
    let s = snapshot.stats;
    assert_eq!(s.files, s.posts + s.drafts + s.hidden + s.skipped, "{s:?}");
}

#[test]
fn bad_yaml_is_an_error_at_the_file_line_and_the_rest_loads() {
    let snap = load_fixture("bad_yaml");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.path, "_posts/2024-01-02-bad-yaml.md");
    assert_eq!((d.line, d.column), (Some(4), Some(28)));
    assert!(d.message.contains("mapping values are not allowed"), "{d}");
    assert_eq!(snap.index.len(), 1);
    assert_eq!(snap.stats.skipped, 1);
    assert_accounted(&snap);
}

#[test]
fn invalid_utf8_is_an_error_at_the_first_bad_byte() {
    let snap = load_fixture("invalid_utf8");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.path, "_posts/2024-01-02-latin1.md");
    assert_eq!((d.line, d.column), (Some(5), Some(20)));
    assert!(d.message.contains("UTF-8"));
    assert_eq!(snap.index.len(), 1);
}

#[test]
fn impossible_date_is_a_warning_on_the_date_line_and_the_file_name_date_stands_in() {
    let snap = load_fixture("bad_date");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.line, Some(3));
    assert!(d.message.contains("2024-13-45 99:00"), "{d}");
    assert!(d.message.contains("file name"), "{d}");
    // Jekyll (Ruby's Time.parse) refuses it too; the post still reaches readers.
    assert_eq!(snap.index.len(), 2);
    assert_accounted(&snap);
}

#[test]
fn unclosed_front_matter_is_an_error_on_line_one() {
    let snap = load_fixture("unclosed_front_matter");
    let d = only_diagnostic(&snap);
    assert_eq!((d.severity, d.line), (Severity::Error, Some(1)));
    assert!(d.message.contains("never closed"));
    assert_eq!(snap.index.len(), 1);
}

#[test]
fn duplicate_slug_gets_a_deterministic_suffix_and_a_warning() {
    let snap = load_fixture("duplicate_slug");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.path, "b/_posts/2024-02-01-hello.md");
    assert!(d.message.contains("a/_posts/2024-01-01-hello.md"), "{d}");
    assert_eq!(
        post(&snap, "hello").doc.source_path,
        "a/_posts/2024-01-01-hello.md"
    );
    let second = post(&snap, "hello-2");
    assert_eq!(second.doc.source_path, "b/_posts/2024-02-01-hello.md");
    // The permalink keeps the file's own slug, as Jekyll publishes it.
    assert_eq!(second.doc.permalink, "/b/2024/02/01/hello.html");
    // Loading again gives the same answer.
    let again = load_fixture("duplicate_slug");
    assert_eq!(
        post(&again, "hello-2").doc.source_path,
        second.doc.source_path
    );
}

#[test]
fn duplicate_serial_warns_and_the_oldest_post_keeps_the_lookup() {
    let snap = load_fixture("duplicate_serial");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        (d.path.as_str(), d.line),
        ("_posts/2024-02-01-second.md", Some(4))
    );
    assert!(d.message.contains("_posts/2024-01-01-first.md"), "{d}");
    for key in ["2024.BLG.001", " 2024.blg.001 "] {
        let idx = snap.post_by_serial(key).expect("found");
        assert_eq!(snap.post(idx).slug, "first");
    }
    assert_eq!(snap.index.len(), 2, "nothing is lost");
}

#[test]
fn missing_title_is_derived_from_the_slug_with_a_warning() {
    let snap = load_fixture("no_title");
    let d = only_diagnostic(&snap);
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("Untitled Thoughts"));
    assert_eq!(
        post(&snap, "untitled-thoughts").doc.title,
        "Untitled Thoughts"
    );
}

#[test]
fn plain_folder_every_markdown_file_is_a_post_and_junk_folders_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("no_date_plain"), dir.path());
    // Git cannot track a `.git` folder, so the decoy is made here.
    std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir");
    std::fs::write(
        dir.path().join(".git/x.md"),
        "---\ntitle: MUST BE IGNORED\n---\n",
    )
    .expect("write");
    let snap = load_dir(dir.path(), Visibility::default());
    assert_eq!(snap.layout, Layout::Plain);
    let mut paths: Vec<&str> = snap
        .posts
        .iter()
        .map(|p| p.doc.source_path.as_str())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "essays/deep/on-scale.markdown",
            "essays/why-maps.md",
            "top-level.md"
        ]
    );
    let on_scale = post(&snap, "on-scale");
    assert_eq!(on_scale.doc.categories, ["essays", "deep"]);
    assert_eq!(post(&snap, "top-level").doc.title, "Top Level");
    // Each undated file warns and takes its modification time.
    let no_date: Vec<_> = snap
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("modification time"))
        .collect();
    assert_eq!(no_date.len(), 3, "{:#?}", snap.diagnostics);
    assert!(no_date.iter().all(|d| d.severity == Severity::Warning));
    let mtime = std::fs::metadata(dir.path().join("essays/why-maps.md"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let expected: chrono::DateTime<chrono::Utc> = mtime.into();
    assert_eq!(post(&snap, "why-maps").doc.date, expected);
    assert!(snap
        .diagnostics
        .iter()
        .all(|d| !d.message.contains("IGNORED")));
}

#[test]
fn empty_folder_loads_nothing_without_complaint() {
    let snap = load_fixture("empty");
    assert_eq!(snap.posts.len(), 0);
    assert!(snap.diagnostics.is_empty());
    assert_eq!(snap.stats.files, 0);
}

#[test]
fn missing_root_is_a_load_error() {
    let err = inkgraph::load::load(&inkgraph::load::LoadOptions {
        root: fixture("does-not-exist"),
        visibility: Visibility::default(),
    })
    .expect_err("no such folder");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

mod forms {
    use super::*;

    fn forms() -> Snapshot {
        load_fixture("forms")
    }

    fn date_of(snap: &Snapshot, slug: &str) -> String {
        post(snap, slug).doc.date.to_rfc3339()
    }

    #[test]
    fn loads_without_diagnostics_and_hides_drafts_future_and_unpublished() {
        let snap = forms();
        assert!(snap.diagnostics.is_empty(), "{:#?}", snap.diagnostics);
        assert_eq!(snap.index.len(), 28);
        assert_eq!((snap.stats.drafts, snap.stats.hidden), (1, 2));
        assert_accounted(&snap);
        for hidden in ["unpublished", "far-future", "draft-one"] {
            assert!(snap.post_by_slug(hidden).is_none(), "{hidden} is hidden");
        }
    }

    #[test]
    fn drafts_and_future_flags_show_them_but_never_unpublished() {
        let root = fixture("forms");
        let snap = load_dir(
            &root,
            Visibility {
                drafts: true,
                future: true,
            },
        );
        assert_eq!(snap.index.len(), 30);
        assert_eq!(post(&snap, "draft-one").doc.title, "Draft one");
        assert!(post(&snap, "far-future")
            .doc
            .date
            .to_rfc3339()
            .starts_with("2099-01-01"));
        assert!(snap.post_by_slug("unpublished").is_none());
        // Counts do not depend on the flags.
        assert_eq!(snap.stats, forms().stats);
        assert_ne!(
            snap.version,
            forms().version,
            "a different view is a different version"
        );
    }

    #[test]
    fn every_date_form() {
        let snap = forms();
        assert_eq!(date_of(&snap, "quoted-date"), "2025-08-07T14:54:48+00:00");
        assert_eq!(date_of(&snap, "date-only"), "2011-05-25T00:00:00-04:00");
        assert_eq!(
            date_of(&snap, "iso-zulu-millis"),
            "2018-11-15T21:20:56.211+00:00"
        );
        assert_eq!(date_of(&snap, "no-offset"), "2020-01-01T10:00:00-05:00");
        assert_eq!(date_of(&snap, "nanoseconds"), "2022-01-23T05:41:00+00:00");
        assert_eq!(date_of(&snap, "no-date-key"), "2023-04-05T00:00:00-04:00");
        assert_eq!(date_of(&snap, "bom"), "2024-02-01T12:00:00-05:00");
        assert_eq!(date_of(&snap, "crlf"), "2024-02-02T12:00:00-05:00");
    }

    #[test]
    fn every_tag_form_and_case_insensitive_tags() {
        let snap = forms();
        assert_eq!(
            post(&snap, "tags-space-string").doc.tags,
            ["maps", "interfaces", "notation"]
        );
        assert_eq!(post(&snap, "tags-flow-number").doc.tags, ["rust", "2024"]);
        assert_eq!(post(&snap, "singular-tag").doc.tags, ["cooking"]);
        let ai = snap.tag_by_slug("AI").expect("one tag for AI and ai");
        assert_eq!(snap.tag_by_slug("ai"), Some(ai));
        assert_eq!(snap.index.tag_posts(ai).len(), 2);
        let tag = snap.tag(ai);
        assert_eq!(tag.slug, "ai");
        assert!(tag.name == "AI" || tag.name == "ai");
        assert!(snap.tag_by_slug("draft").is_some(), "tags of drafts exist");
        assert!(snap
            .index
            .tag_posts(snap.tag_by_slug("draft").expect("tag"))
            .is_empty());
    }

    #[test]
    fn odd_scalars() {
        let snap = forms();
        assert_eq!(post(&snap, "numeric-title").doc.title, "1984");
        assert_eq!(post(&snap, "float-title").doc.title, "1.10");
        assert_eq!(post(&snap, "empty-description").doc.description, None);
        assert_eq!(post(&snap, "image-false").doc.image, None);
        assert!(post(&snap, "toc-yes").doc.has_toc);
        let crlf = post(&snap, "crlf");
        assert_eq!(crlf.doc.title, "CRLF line endings");
        assert_eq!(post(&snap, "bom").doc.title, "BOM first");
    }

    #[test]
    fn unknown_keys_are_kept_in_file_order() {
        let snap = forms();
        let fm = &post(&snap, "unknown-keys").doc.front_matter;
        let keys: Vec<&str> = fm.keys().map(String::as_str).collect();
        let pos = |k: &str| keys.iter().position(|x| *x == k).expect(k);
        assert!(
            pos("mood") < pos("weather")
                && pos("weather") < pos("zebra")
                && pos("zebra") < pos("apple")
        );
        assert_eq!(fm["zebra"], serde_json::json!(3));
        assert_eq!(fm["apple"], serde_json::json!(["x", "y"]));
    }

    #[test]
    fn permalinks_slugs_aliases_and_defaults() {
        let snap = forms();
        assert_eq!(
            post(&snap, "quoted-date").doc.permalink,
            "/2025/08/07/quoted-date.html"
        );
        assert_eq!(
            post(&snap, "custom-permalink").doc.permalink,
            "/custom/custom-permalink/"
        );
        assert_eq!(
            post(&snap, "my-own-slug").doc.permalink,
            "/2024/01/23/my-own-slug.html"
        );
        assert_eq!(
            post(&snap, "redirects").doc.aliases,
            ["/old-a/", "/old-b.html"]
        );
        let note = post(&snap, "a-note");
        assert_eq!(note.doc.categories, ["notes"]);
        assert_eq!(note.doc.layout.as_deref(), Some("note"));
        assert_eq!(note.doc.permalink, "/notes/2024/01/25/a-note.html");
        assert_eq!(post(&snap, "quoted-date").doc.layout, None);
        for slug in ["ext-markdown", "ext-mkd", "ext-mdown"] {
            post(&snap, slug);
        }
        // Lookups by permalink (any trailing form) and by alias.
        let by_url = |u: &str| snap.post_by_url(u).map(|i| snap.post(i).slug.clone());
        assert_eq!(
            by_url("/notes/2024/01/25/a-note.html").as_deref(),
            Some("a-note")
        );
        assert_eq!(
            by_url("/custom/custom-permalink").as_deref(),
            Some("custom-permalink")
        );
        assert_eq!(by_url("/old-b").as_deref(), Some("redirects"));
        assert_eq!(by_url("/old-a/").as_deref(), Some("redirects"));
    }

    #[test]
    fn serial_numbers_are_split_and_found_case_insensitively() {
        let snap = forms();
        let serial = post(&snap, "serial-blg")
            .doc
            .serial_number
            .clone()
            .expect("serial");
        assert_eq!(
            (serial.year, serial.series.as_deref(), serial.number),
            (Some(2025), Some("BLG"), Some(124))
        );
        let rpy = post(&snap, "serial-rpy")
            .doc
            .serial_number
            .clone()
            .expect("serial");
        assert_eq!((rpy.value.as_str(), rpy.number), ("2024.RPY.007", Some(7)));
        assert_eq!(
            snap.post_by_serial("2025.blg.124"),
            snap.post_by_slug("serial-blg")
        );
    }

    #[test]
    fn version_is_a_content_hash() {
        let a = forms();
        let b = forms();
        assert_eq!(a.version, b.version);
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&fixture("forms"), dir.path());
        let copy = load_dir(dir.path(), Visibility::default());
        assert_eq!(
            copy.version, a.version,
            "same files elsewhere, same version"
        );
        std::fs::write(
            dir.path().join("_posts/2024-01-12-singular-tag.md"),
            "---\ntitle: changed\n---\n",
        )
        .expect("write");
        assert_ne!(
            load_dir(dir.path(), Visibility::default()).version,
            a.version
        );
    }

    #[test]
    fn ids_are_stable_and_opaque() {
        let a = forms();
        let p = post(&a, "crlf");
        assert!(!p.id.contains("crlf.md"), "ids are opaque");
        assert_eq!(a.post_by_id(&p.id), a.post_by_slug("crlf"));
        assert_eq!(post(&forms(), "crlf").id, p.id);
    }
}

mod sample_blog {
    use super::*;

    #[test]
    fn bundled_content_loads_without_errors_and_uses_every_form() {
        let snap = load_dir(&sample_blog(), Visibility::default());
        assert!(
            snap.diagnostics.iter().all(|d| !d.is_error()),
            "{:#?}",
            snap.diagnostics
        );
        assert_accounted(&snap);
        assert!((12..=20).contains(&snap.stats.files));
        assert_eq!(snap.stats.drafts, 1);
        assert_eq!(snap.stats.hidden, 2);
        let series: Vec<&str> = snap
            .index
            .series
            .iter()
            .map(|s| s.series.as_str())
            .collect();
        assert_eq!(series, ["BLG", "NTS"]);
        assert!(snap.posts.iter().any(|p| p.doc.has_toc));
        assert!(snap.posts.iter().any(|p| !p.doc.aliases.is_empty()));
        // Excluded by `exclude:` in _config.yml.
        assert!(snap
            .posts
            .iter()
            .all(|p| !p.doc.source_path.starts_with("scratch/")));
    }
}

mod real_corpus {
    use super::*;

    /// `../shared/corpus/joshbeckman`, when present: every file accounted for, and the known
    /// post found by serial number at its Jekyll permalink.
    #[test]
    fn joshbeckman_loads_completely() {
        let Some(root) = shared_corpus("joshbeckman") else {
            return;
        };
        let snap = load_dir(&root, Visibility::default());
        assert_accounted(&snap);
        assert_eq!(snap.stats.files, 148);
        assert_eq!(snap.stats.skipped, 0, "{:#?}", snap.diagnostics);
        let idx = snap.post_by_serial("2025.blg.124").expect("2025.BLG.124");
        let post = snap.post(idx);
        assert!(post
            .doc
            .source_path
            .starts_with("blog/_posts/2025-08-07-im-more-optimistic"));
        assert_eq!(post.doc.categories, ["blog"]);
        assert!(
            post.doc.permalink.starts_with("/blog/im-more-optimistic"),
            "{}",
            post.doc.permalink
        );
        assert_eq!(
            snap.posts
                .iter()
                .filter(|p| p.doc.serial_number.is_some())
                .count(),
            49
        );
    }
}
