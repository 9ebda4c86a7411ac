//! A watched change reuses what it did not touch: an edit that leaves every post's keys alone
//! patches the previous snapshot (and must equal a full build of the same files), and
//! renderings whose inputs did not change survive the swap.

use gen_corpus::{generate, GenOptions};
use inkgraph::graph::{Audience, PostIdx, Snapshot, SortKey, Visibility};
use inkgraph::load::{self, LoadOptions};
use inkgraph::site::LiveSite;
use inkgraph::site::ServedSite;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    }
}

/// Everything a reader can observe of a snapshot, as text: two snapshots of the same files
/// must print the same.
fn observable(snapshot: &Snapshot) -> String {
    let mut hidden: Vec<&String> = snapshot.hidden_files().iter().collect();
    hidden.sort();
    let mut out = format!(
        "version {} preview {}\nstats {:?}\ntags {:?}\nhidden {hidden:?}\n",
        snapshot.version, snapshot.preview_version, snapshot.stats, snapshot.tags
    );
    for d in &snapshot.diagnostics {
        out.push_str(&format!("diagnostic {d}\n"));
    }
    for post in &snapshot.posts {
        out.push_str(&format!(
            "post {} {} {:?} title {:?} words {} tags {:?} body {:?}\n",
            post.id,
            post.slug,
            post.status,
            post.title_key,
            post.word_count,
            post.tags,
            post.doc.body
        ));
    }
    for audience in [Audience::Public, Audience::Preview] {
        let view = snapshot.view(audience);
        let index = view.index;
        for key in [
            SortKey::Date,
            SortKey::Title,
            SortKey::SerialNumber,
            SortKey::WordCount,
        ] {
            out.push_str(&format!(
                "{audience:?} {key:?} {:?}\n",
                index.ordered(key).0
            ));
        }
        out.push_str(&format!(
            "{audience:?} version {} tags {:?}\n",
            view.version(),
            index.tags()
        ));
        for key in ["a", "b", "c", "/a", "/b", "/old-a", "2024.X.1", "2024.X.2"] {
            out.push_str(&format!(
                "{audience:?} {key} slug {:?} url {:?} serial {:?}\n",
                view.post_by_slug(key),
                view.post_by_url(key),
                view.post_by_serial(key)
            ));
        }
        out.push_str(&format!(
            "{audience:?} cloud {:?}\ncategories {:?}\nseries {:?}\narchive {:?}\n",
            index
                .tags_by_count()
                .iter()
                .map(|t| (*t, index.tag_posts(*t).to_vec()))
                .collect::<Vec<_>>(),
            index.categories,
            index.series,
            index.archive,
        ));
    }
    out
}

/// A generated blog of `posts` posts, served live.
fn generated(posts: usize) -> (tempfile::TempDir, Arc<LiveSite>) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(&GenOptions::new(posts, 7), dir.path()).expect("generate");
    let live = LiveSite::load(&options(dir.path())).expect("load");
    (dir, live)
}

/// The source file of the `n`th newest post.
fn source_of(served: &ServedSite, root: &Path, n: usize) -> (PostIdx, PathBuf) {
    let idx = served.snapshot.index.newest_first()[n];
    (idx, root.join(&served.snapshot.post(idx).doc.source_path))
}

/// Rewrites the first `from` in the file at `path` as `to`.
fn replace_once(path: &Path, from: &str, to: &str) {
    let contents = std::fs::read_to_string(path).expect("read");
    let changed = contents.replacen(from, to, 1);
    assert_ne!(changed, contents, "{from:?} is not in {}", path.display());
    std::fs::write(path, changed).expect("write");
}

fn append(path: &Path, text: &str) {
    let mut contents = std::fs::read_to_string(path).expect("read");
    contents.push_str(text);
    std::fs::write(path, contents).expect("write");
}

#[test]
fn a_body_edit_patches_the_snapshot_and_equals_a_full_build() {
    let (dir, live) = generated(150);
    let before = live.current().load_full();
    let shortest = before.snapshot.index.ordered(SortKey::WordCount).0[0];
    let path = dir
        .path()
        .join(&before.snapshot.post(shortest).doc.source_path);
    // Enough words to move the post to the end of the word-count order.
    append(&path, &"\nwords ".repeat(20_000));

    let swap = live.apply(std::slice::from_ref(&path)).expect("apply");
    assert!(swap.swapped);
    let after = live.current().load_full();
    assert!(
        after.snapshot.same_keys(&before.snapshot),
        "a body edit should patch"
    );
    assert_ne!(after.snapshot.version, before.snapshot.version);
    assert_eq!(
        after.snapshot.index.ordered(SortKey::WordCount).0.last(),
        Some(&shortest),
        "the longer post moves in the word-count order"
    );
    let fresh = load::load(&options(dir.path())).expect("load");
    assert_eq!(observable(&after.snapshot), observable(&fresh));
}

#[test]
fn an_edit_that_changes_a_key_takes_the_full_build_and_equals_it() {
    let (dir, live) = generated(150);
    let before = live.current().load_full();
    let (_, path) = source_of(&before, dir.path(), 10);
    replace_once(&path, "title: ", "slug: a-slug-of-its-own\ntitle: ");

    live.apply(std::slice::from_ref(&path)).expect("apply");
    let after = live.current().load_full();
    assert!(!after.snapshot.same_keys(&before.snapshot));
    assert!(
        !Arc::ptr_eq(&after.snapshot.tags, &before.snapshot.tags),
        "a new slug is built in full"
    );
    assert!(after.snapshot.post_by_slug("a-slug-of-its-own").is_some());
    let fresh = load::load(&options(dir.path())).expect("load");
    assert_eq!(observable(&after.snapshot), observable(&fresh));
}

#[test]
fn a_new_title_patches_the_snapshot_moves_the_post_and_equals_a_full_build() {
    let (dir, live) = generated(150);
    let before = live.current().load_full();
    let (idx, path) = source_of(&before, dir.path(), 10);
    replace_once(&path, "title: ", "title: Zzz Renamed ");

    let swap = live.apply(std::slice::from_ref(&path)).expect("apply");
    assert!(swap.swapped);
    let after = live.current().load_full();
    // Patched: the tag table is the previous one's, not built again.
    assert!(
        Arc::ptr_eq(&after.snapshot.tags, &before.snapshot.tags),
        "a title change should patch"
    );
    // ...but not the same keys: what was derived from titles (wiki names) is made again.
    assert!(!after.snapshot.same_keys(&before.snapshot));
    for audience in [Audience::Public, Audience::Preview] {
        let index = after.snapshot.view(audience).index;
        assert_eq!(
            index.ordered(SortKey::Title).0.last(),
            Some(&idx),
            "{audience:?}: the renamed post moves to the end of the title order"
        );
    }
    let fresh = load::load(&options(dir.path())).expect("load");
    assert_eq!(observable(&after.snapshot), observable(&fresh));
}

#[test]
fn renderings_of_unchanged_posts_survive_a_body_edit() {
    let (dir, live) = generated(40);
    let before = live.current().load_full();
    before.render_all();
    let (edited, path) = source_of(&before, dir.path(), 3);
    let (other, _) = source_of(&before, dir.path(), 4);
    append(&path, "\nA sentence saved just now.\n");

    live.apply(std::slice::from_ref(&path)).expect("apply");
    let after = live.current().load_full();
    assert!(Arc::ptr_eq(&before.rendered(other), &after.rendered(other)));
    assert!(!before
        .rendered(edited)
        .html
        .unpack()
        .contains("saved just now"));
    assert!(after
        .rendered(edited)
        .html
        .unpack()
        .contains("saved just now"));
}

/// A Jekyll site where `one` links to a post that does not exist yet (and to `two`, so the
/// site uses wiki links: a site with no working wiki link shows `[[…]]` as written).
fn site_with_a_dangling_wiki_link() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = dir.path().join("_posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    let post = |title: &str, date: &str, body: &str| {
        format!("---\ntitle: {title}\ndate: {date}\n---\n\n{body}\n")
    };
    std::fs::write(
        posts.join("2024-01-01-one.md"),
        post("One", "2024-01-01", "See [[Four]] soon, and [[Two]] now."),
    )
    .expect("write");
    std::fs::write(
        posts.join("2024-02-01-two.md"),
        post(
            "Two",
            "2024-02-01",
            "Plain text, and [One](/2024/01/01/one.html).",
        ),
    )
    .expect("write");
    dir
}

#[test]
fn adding_the_post_a_wiki_link_names_renders_the_link_and_keeps_the_rest() {
    let dir = site_with_a_dangling_wiki_link();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let before = live.current().load_full();
    before.render_all();
    let one = before.snapshot.post_by_slug("one").expect("one");
    let two = before.snapshot.post_by_slug("two").expect("two");
    assert!(!before.rendered(one).html.unpack().contains("Four</a>"));

    let added = dir.path().join("_posts/2024-03-01-four.md");
    std::fs::write(&added, "---\ntitle: Four\ndate: 2024-03-01\n---\n\nFour.\n").expect("write");
    live.apply(&[added]).expect("apply");

    let after = live.current().load_full();
    let one_now = after.snapshot.post_by_slug("one").expect("one");
    let two_now = after.snapshot.post_by_slug("two").expect("two");
    let four = after.snapshot.post_by_slug("four").expect("four");
    let link = format!("href=\"{}\"", after.snapshot.post(four).doc.permalink);
    assert!(
        after.rendered(one_now).html.unpack().contains(&link),
        "{}",
        after.rendered(one_now).html.unpack()
    );
    assert!(Arc::ptr_eq(&before.rendered(two), &after.rendered(two_now)));
}

#[test]
fn an_explicit_reload_renders_afresh() {
    let dir = site_with_a_dangling_wiki_link();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let before = live.current().load_full();
    before.render_all();
    live.reload_all().expect("reload");
    let after = live.current().load_full();
    let two = after.snapshot.post_by_slug("two").expect("two");
    assert!(!Arc::ptr_eq(&before.rendered(two), &after.rendered(two)));
    assert_eq!(before.rendered(two).html, after.rendered(two).html);
}

/// A Jekyll site whose public posts share slugs, serial numbers, permalinks, aliases and tags
/// with an older draft and an older `published: false` post.
fn site_with_hidden_rivals() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for folder in ["_posts", "_drafts"] {
        std::fs::create_dir_all(root.join(folder)).expect("mkdir");
    }
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write(
        "_posts/2024-05-01-a.md",
        "---\ntitle: A\nslug: a\npermalink: /a/\nserial_number: 2024.X.1\ntags: [Rust]\nredirect_from: [/old-a]\n---\n\nPublic a.\n",
    );
    write(
        "_posts/2024-06-01-b.md",
        "---\ntitle: B\nslug: b\npermalink: /b/\nserial_number: 2024.X.2\ntags: [rust]\n---\n\nPublic b, see [[A]].\n",
    );
    write(
        "_drafts/a.md",
        "---\ntitle: Draft A\ndate: 2020-01-01\nslug: a\npermalink: /a/\nserial_number: 2024.X.1\ntags: [RUST]\nredirect_from: [/old-a, /b]\n---\n\nDraft.\n",
    );
    write(
        "_posts/2020-01-01-b.md",
        "---\ntitle: Hidden B\nslug: b\npublished: false\npermalink: /old-a/\nserial_number: 2024.X.2\ntags: [RUST, c]\n---\n\nNever shown.\n",
    );
    dir
}

#[test]
fn edits_to_hidden_posts_patch_and_equal_a_full_build() {
    let dir = site_with_hidden_rivals();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let before = live.current().load_full();
    // The public keeps every contested key.
    let a = before.snapshot.post_by_slug("a").expect("a");
    assert_eq!(before.snapshot.post(a).doc.title, "A");
    assert_eq!(before.snapshot.post_by_url("/old-a"), Some(a));

    for (file, text) in [
        ("_drafts/a.md", "\nMore draft text.\n"),
        ("_posts/2020-01-01-b.md", "\nMore hidden text.\n"),
        ("_posts/2024-05-01-a.md", "\nMore public text.\n"),
    ] {
        let path = dir.path().join(file);
        let previous = live.current().load_full();
        append(&path, text);
        let swap = live.apply(std::slice::from_ref(&path)).expect("apply");
        assert!(swap.swapped, "{file}");
        let after = live.current().load_full();
        assert!(after.snapshot.same_keys(&previous.snapshot), "{file}");
        let fresh = load::load(&options(dir.path())).expect("load");
        assert_eq!(observable(&after.snapshot), observable(&fresh), "{file}");
        let public_edit = file == "_posts/2024-05-01-a.md";
        assert_eq!(
            after.snapshot.version != previous.snapshot.version,
            public_edit,
            "{file}: only a public edit changes the public version"
        );
    }
}

/// Posts that look each other up: `one` names `two` by title in a wiki link, `three` names
/// `one` in a wiki link, `four` uses `{% post_url %}` for `one`.
fn site_with_lookups() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = dir.path().join("_posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    for (file, title, body) in [
        ("2024-01-01-one.md", "One", "See [[Second Post]] first."),
        ("2024-02-01-two.md", "Second Post", "Plain text."),
        ("2024-03-01-three.md", "Three", "Back to [[One]]."),
        (
            "2024-04-01-four.md",
            "Four",
            "[The first]({% post_url 2024-01-01-one %}).",
        ),
    ] {
        let date = &file[..10];
        std::fs::write(
            posts.join(file),
            format!("---\ntitle: {title}\ndate: {date}\n---\n\n{body}\n"),
        )
        .expect("write");
    }
    dir
}

#[test]
fn retitling_a_post_re_renders_only_the_posts_that_looked_it_up() {
    let dir = site_with_lookups();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let before = live.current().load_full();
    before.render_all();
    let slug = |served: &ServedSite, slug: &str| served.snapshot.post_by_slug(slug).expect(slug);
    let two_url = before
        .snapshot
        .post(slug(&before, "two"))
        .doc
        .permalink
        .clone();
    assert!(before
        .rendered(slug(&before, "one"))
        .html
        .unpack()
        .contains(&two_url));

    let path = dir.path().join("_posts/2024-02-01-two.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("Second Post", "Another Title")).expect("write");
    live.apply(&[path]).expect("apply");
    let after = live.current().load_full();

    // `one` asked for "Second Post", which no longer answers: rendered again, unlinked.
    let one = after.rendered(slug(&after, "one"));
    assert!(!Arc::ptr_eq(&before.rendered(slug(&before, "one")), &one));
    assert!(
        !one.html.unpack().contains(&two_url),
        "{}",
        one.html.unpack()
    );
    // `three` and `four` asked only about `one`, which answers as before: kept.
    for name in ["three", "four"] {
        assert!(
            Arc::ptr_eq(
                &before.rendered(slug(&before, name)),
                &after.rendered(slug(&after, name))
            ),
            "{name} was rendered again"
        );
    }
    // And every rendering kept or made is what a fresh start renders.
    let fresh = ServedSite::new(load::load(&options(dir.path())).expect("load"));
    for idx in 0..fresh.snapshot.posts.len() as PostIdx {
        assert_eq!(after.rendered(idx).html, fresh.rendered(idx).html);
    }
}

#[test]
fn plain_text_is_made_on_request_and_never_outlives_its_post() {
    let (dir, live) = generated(40);
    let before = live.current().load_full();
    let (edited, path) = source_of(&before, dir.path(), 3);
    let (rendered, _) = source_of(&before, dir.path(), 4);
    let (unrendered, _) = source_of(&before, dir.path(), 5);
    before.rendered(edited);
    before.rendered(rendered);
    let kept = before.plain_text(rendered);
    assert!(!before.plain_text(edited).contains("saved just now"));
    assert!(!before.plain_text(unrendered).is_empty());
    append(&path, "\nA sentence saved just now.\n");

    live.apply(std::slice::from_ref(&path)).expect("apply");
    let after = live.current().load_full();
    assert!(
        after
            .plain_text(edited)
            .contains("A sentence saved just now."),
        "the edited post's plain text is made again: {}",
        after.plain_text(edited)
    );
    assert_eq!(after.plain_text(rendered), kept);
    // Whatever was kept or made again is what a fresh start makes.
    let fresh = ServedSite::new(load::load(&options(dir.path())).expect("load"));
    for idx in 0..fresh.snapshot.posts.len() as PostIdx {
        assert_eq!(after.plain_text(idx), fresh.plain_text(idx), "post {idx}");
    }
}
