//! Authoring: the GraphQL mutations that write Markdown (`createPost`, `updatePost`,
//! `renamePost`, `publishDraft`, `unpublishPost`, `deletePost`) through the HTTP router, as an
//! editor's frontend sends them: who may write, conflicts, validation that leaves the folder
//! byte-identical, paths that never leave the root, concurrency, crashes, git history and the
//! trash, read-your-writes and one swap per change.

use crate::common;
use crate::http_support;

use axum::http::{header, StatusCode};
use common::*;
use http_support::*;
use inkgraph::graph::{Audience, Visibility};
use inkgraph::load::LoadOptions;
use inkgraph::server::{AppState, HttpConfig, CACHE_STATUS_HEADER};
use inkgraph::site::store::{ContentStore, Editor, HistoryKind, StoreOptions, TRASH_FOLDER};
use inkgraph::site::LiveSite;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const EDITOR_TOKEN: &str = "editor-token-for-tests-0123456789";
const PREVIEW_TOKEN: &str = "preview-token-for-tests-0123456789";

const FIRST: &str = "---\nlayout: post\n# a comment the author wrote\ndate: '2024-01-01 10:00:00 +0000'\ntitle: \"First: the beginning\"\ntags:\n- rust\n- notes\n---\nThe first post links to [the second](/blog/2024/02/01/second.html).\n";
const SECOND: &str = "---\ntitle: Second\nserial_number: 2024.BLG.007\n---\nBody of the second.\n";
const IDEA: &str = "---\ntitle: An idea\n---\nNot ready yet.\n";

/// A small Jekyll blog: two posts (one in the `blog` category folder) and a draft.
pub fn write_site(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("_config.yml", "title: Test blog\n");
    write("_posts/2024-01-01-first.md", FIRST);
    write("blog/_posts/2024-02-01-second.md", SECOND);
    write("_drafts/idea.md", IDEA);
}

/// A writing server over a folder.
pub struct Writer {
    pub server: TestServer,
    pub live: Arc<LiveSite>,
    pub store: Arc<ContentStore>,
    pub root: PathBuf,
}

pub fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    }
}

pub fn writer_with(root: &Path, store_options: StoreOptions) -> Writer {
    let live = LiveSite::load(&options(root)).expect("load");
    let store = ContentStore::open(live.clone(), store_options);
    let config = HttpConfig {
        editor_token: Some(EDITOR_TOKEN.into()),
        preview_token: Some(PREVIEW_TOKEN.into()),
        ..HttpConfig::default()
    };
    let state = AppState::live_with_store(live.clone(), store.clone(), &config);
    Writer {
        server: TestServer {
            router: state.router(),
            current: live.current().clone(),
            state,
        },
        live,
        store,
        root: root.to_path_buf(),
    }
}

pub fn writer(root: &Path) -> Writer {
    writer_with(root, StoreOptions::default())
}

/// Every file below `root` (but `.git`) with its bytes.
pub fn folder_state(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() || e.file_type().is_symlink())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .expect("below")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap_or_default())
        })
        .collect()
}

impl Writer {
    /// Sends one GraphQL request with the editor token (or `auth`).
    pub async fn send(&self, query: &str, variables: Value, auth: Option<&str>) -> Reply {
        let auth = auth.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.server
            .post(&json!({"query": query, "variables": variables}), &headers)
            .await
    }

    /// A mutation with the editor token that must succeed: its payload.
    pub async fn ok(&self, field: &str, query: &str, variables: Value) -> Value {
        let reply = self.send(query, variables, Some(EDITOR_TOKEN)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let body = reply.json();
        assert!(body.get("errors").is_none(), "{query}: {body:#}");
        body["data"][field].clone()
    }

    /// A mutation with the editor token that must fail: its first error.
    pub async fn refused(&self, query: &str, variables: Value) -> Value {
        let reply = self.send(query, variables, Some(EDITOR_TOKEN)).await;
        let body = reply.json();
        body["errors"][0].clone()
    }

    /// A post as a preview reads it now (read-your-writes), by path.
    pub async fn read(&self, path: &str) -> Value {
        let reply = self
            .send(
                "query($p: String!) { post(path: $p) { id title slug revision sourcePath aliases draft markdown frontMatter serialNumber { value } } }",
                json!({"p": path}),
                Some(PREVIEW_TOKEN),
            )
            .await;
        reply.json()["data"]["post"].clone()
    }

    fn file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

pub const UPDATE: &str = "mutation($id: ID!, $rev: String!, $input: UpdatePostInput!) { updatePost(id: $id, ifRevision: $rev, input: $input) { path revision previousRevision version previewVersion commit trash post { title revision } } }";
const CREATE: &str = "mutation($input: CreatePostInput!) { createPost(input: $input) { path revision version commit post { id title slug revision draft tags { name } serialNumber { value } } } }";
const RENAME: &str = "mutation($id: ID!, $slug: String!, $rev: String!) { renamePost(id: $id, slug: $slug, ifRevision: $rev) { path revision post { id slug aliases permalink } } }";
const PUBLISH: &str = "mutation($id: ID!, $date: DateTime) { publishDraft(id: $id, date: $date) { path post { id draft date } } }";
const UNPUBLISH: &str = "mutation($id: ID!) { unpublishPost(id: $id) { path post { id draft } } }";
const DELETE: &str = "mutation($id: ID!, $rev: String!) { deletePost(id: $id, ifRevision: $rev) { path revision post { id } version } }";

fn post_id(path: &str) -> String {
    inkgraph::graph::id::post_id(path)
}

fn revision(bytes: &[u8]) -> String {
    inkgraph::source::revision_of(bytes)
}

#[tokio::test]
async fn every_mutation_needs_the_editor_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let first = "_posts/2024-01-01-first.md";
    let rev = revision(FIRST.as_bytes());
    let cases: Vec<(&str, &str, Value)> = vec![
        ("createPost", CREATE, json!({"input": {"title": "Hello"}})),
        (
            "updatePost",
            UPDATE,
            json!({"id": post_id(first), "rev": rev, "input": {"title": "X"}}),
        ),
        (
            "renamePost",
            RENAME,
            json!({"id": post_id(first), "slug": "y", "rev": rev}),
        ),
        (
            "publishDraft",
            PUBLISH,
            json!({"id": post_id("_drafts/idea.md")}),
        ),
        ("unpublishPost", UNPUBLISH, json!({"id": post_id(first)})),
        (
            "deletePost",
            DELETE,
            json!({"id": post_id(first), "rev": rev}),
        ),
    ];
    let before = folder_state(dir.path());
    for (name, query, variables) in &cases {
        for auth in [
            None,
            Some(PREVIEW_TOKEN),
            Some("editor-token-for-tests-012345678"),
        ] {
            let reply = w.send(query, variables.clone(), auth).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{name} {auth:?}: {}",
                reply.text()
            );
            assert_eq!(
                reply.json()["errors"][0]["extensions"]["code"],
                "UNAUTHENTICATED"
            );
            assert!(reply.header(header::WWW_AUTHENTICATE).starts_with("Bearer"));
            assert!(reply.json().get("data").is_none());
        }
        // By GET: never, with or without the token.
        let reply = w
            .server
            .get(
                &[("query", query), ("variables", &variables.to_string())],
                &[("authorization", &format!("Bearer {EDITOR_TOKEN}"))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{name}");
        // In a batch: not run (the token admits single requests only).
        let batch = json!([{"query": query, "variables": variables}]);
        let reply = w
            .server
            .post(
                &batch,
                &[("authorization", &format!("Bearer {EDITOR_TOKEN}"))],
            )
            .await;
        assert_eq!(
            reply.json()[0]["errors"][0]["extensions"]["code"],
            "UNAUTHENTICATED",
            "{name}"
        );
    }
    assert_eq!(folder_state(dir.path()), before, "nothing was written");

    // With the token each one runs (in an order where each still applies).
    let created = w.ok("createPost", CREATE, cases[0].2.clone()).await;
    assert_eq!(created["post"]["title"], "Hello");
    w.ok("updatePost", UPDATE, cases[1].2.clone()).await;
    let rev = revision(w.file(first).as_bytes());
    let renamed = w
        .ok(
            "renamePost",
            RENAME,
            json!({"id": post_id(first), "slug": "y", "rev": rev}),
        )
        .await;
    let moved = renamed["path"].as_str().expect("path").to_string();
    w.ok("publishDraft", PUBLISH, cases[3].2.clone()).await;
    w.ok("unpublishPost", UNPUBLISH, json!({"id": post_id(&moved)}))
        .await;
    let draft = "_drafts/y.md";
    let rev = revision(w.file(draft).as_bytes());
    w.ok(
        "deletePost",
        DELETE,
        json!({"id": post_id(draft), "rev": rev}),
    )
    .await;
    assert!(!dir.path().join(draft).exists());

    // A server without the editor token (or without a store) writes nothing: 403.
    let read_only = TestServer::over(dir.path(), &HttpConfig::default());
    let reply = read_only
        .post(
            &json!({"query": CREATE, "variables": cases[0].2}),
            &[("authorization", &format!("Bearer {EDITOR_TOKEN}"))],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["code"],
        "AUTHORING_DISABLED"
    );
}

#[tokio::test]
async fn mutations_write_what_was_asked_and_keep_every_other_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let first = "_posts/2024-01-01-first.md";

    // updatePost: one key changed, one appended, one removed, the rest as written.
    let payload = w
        .ok(
            "updatePost",
            UPDATE,
            json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()),
                   "input": {"title": "yes", "toc": true, "frontMatter": {"layout": null, "mood": "@calm: really"}}}),
        )
        .await;
    let expected = FIRST
        .replace("layout: post\n", "")
        .replace("title: \"First: the beginning\"", "title: \"yes\"")
        .replace("- notes\n", "- notes\ntoc: true\nmood: '@calm: really'\n");
    assert_eq!(w.file(first), expected);
    assert_eq!(payload["revision"], revision(expected.as_bytes()));
    assert_eq!(payload["previousRevision"], revision(FIRST.as_bytes()));
    assert_eq!(payload["post"]["title"], "yes");
    assert_eq!(payload["post"]["revision"], payload["revision"]);
    // Read-your-writes: the next read sees it, public and preview.
    let read = w.read(first).await;
    assert_eq!(read["title"], "yes");
    assert_eq!(read["frontMatter"]["mood"], "@calm: really");
    let public = w
        .send(
            "{ site { version } posts(first: 5) { nodes { title } } }",
            json!({}),
            None,
        )
        .await
        .json();
    assert_eq!(public["data"]["site"]["version"], payload["version"]);
    assert!(public.to_string().contains("\"yes\""), "{public}");

    // createPost with an automatic serial number in the category folder.
    let created = w
        .ok(
            "createPost",
            CREATE,
            json!({"input": {"title": "Third post", "date": "2024-03-05T08:00:00+00:00",
                   "categories": ["blog"], "tags": ["rust", "no"], "serialNumber": {"auto": "blg"},
                   "markdown": "Hello *there*.\n"}}),
        )
        .await;
    assert_eq!(created["path"], "blog/_posts/2024-03-05-third-post.md");
    assert_eq!(created["post"]["serialNumber"]["value"], "2024.BLG.008");
    assert_eq!(
        w.file("blog/_posts/2024-03-05-third-post.md"),
        "---\ntitle: Third post\ndate: '2024-03-05 08:00:00 +0000'\ntags: [rust, 'no']\nserial_number: 2024.BLG.008\n---\nHello *there*.\n"
    );

    // renamePost: the old permalink becomes an alias, so the old URL still finds the post.
    let old = w.read("blog/_posts/2024-02-01-second.md").await;
    let renamed = w
        .ok(
            "renamePost",
            RENAME,
            json!({"id": old["id"], "slug": "Second, Renamed!", "rev": old["revision"]}),
        )
        .await;
    assert_eq!(renamed["path"], "blog/_posts/2024-02-01-second-renamed.md");
    assert_eq!(
        renamed["post"]["aliases"],
        json!(["/blog/2024/02/01/second.html"])
    );
    assert!(!dir.path().join("blog/_posts/2024-02-01-second.md").exists());
    let found = w
        .send(
            "{ post(url: \"/blog/2024/02/01/second.html\") { slug } }",
            json!({}),
            None,
        )
        .await
        .json();
    assert_eq!(found["data"]["post"]["slug"], "second-renamed");
    // The link graph follows too: the first post's link to the old URL is a backlink.
    let backlinks = w
        .send(
            "{ post(slug: \"second-renamed\") { backlinks { nodes { sourcePath } } } }",
            json!({}),
            None,
        )
        .await
        .json();
    assert_eq!(
        backlinks["data"]["post"]["backlinks"]["nodes"],
        json!([{"sourcePath": first}]),
        "{backlinks}"
    );
    assert_eq!(
        w.file("blog/_posts/2024-02-01-second-renamed.md"),
        SECOND.replace(
            "---\nBody",
            "redirect_from: [/blog/2024/02/01/second.html]\n---\nBody"
        )
    );

    // publishDraft and back.
    let published = w
        .ok(
            "publishDraft",
            PUBLISH,
            json!({"id": post_id("_drafts/idea.md"), "date": "2024-04-01T12:00:00Z"}),
        )
        .await;
    assert_eq!(published["path"], "_posts/2024-04-01-idea.md");
    assert_eq!(published["post"]["draft"], false);
    assert!(!dir.path().join("_drafts/idea.md").exists());
    let back = w
        .ok(
            "unpublishPost",
            UNPUBLISH,
            json!({"id": published["post"]["id"]}),
        )
        .await;
    assert_eq!(back["path"], "_drafts/idea.md");
    assert_eq!(back["post"]["draft"], true);
    assert!(w
        .file("_drafts/idea.md")
        .contains("date: '2024-04-01 12:00:00 +0000'"));

    // deletePost: gone from the folder and from answers; its bytes are in the trash.
    let third = "blog/_posts/2024-03-05-third-post.md";
    let bytes = std::fs::read(dir.path().join(third)).expect("read");
    let deleted = w
        .ok(
            "deletePost",
            DELETE,
            json!({"id": post_id(third), "rev": revision(&bytes)}),
        )
        .await;
    assert_eq!(deleted["post"], Value::Null);
    assert!(!dir.path().join(third).exists());
    assert_eq!(w.read(third).await, Value::Null);
    let trash = folder_state(&dir.path().join(TRASH_FOLDER));
    assert!(trash.values().any(|b| *b == bytes), "{:?}", trash.keys());
    assert_eq!(w.store.history_kind(), HistoryKind::Trash);
}

#[tokio::test]
async fn a_stale_revision_is_a_conflict_with_the_current_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let first = "_posts/2024-01-01-first.md";
    let stale = revision(FIRST.as_bytes());
    let payload = w
        .ok(
            "updatePost",
            UPDATE,
            json!({"id": post_id(first), "rev": stale, "input": {"title": "A"}}),
        )
        .await;
    let current = payload["revision"].clone();
    let before = folder_state(dir.path());
    for query in [UPDATE, DELETE, RENAME] {
        let error = w
            .refused(
                query,
                json!({"id": post_id(first), "rev": stale, "slug": "z", "input": {"title": "B"}}),
            )
            .await;
        assert_eq!(error["extensions"]["code"], "CONFLICT", "{error}");
        assert_eq!(error["extensions"]["currentRevision"], current, "{error}");
    }
    assert_eq!(folder_state(dir.path()), before);
}

#[tokio::test]
async fn each_validation_error_leaves_the_folder_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let first = "_posts/2024-01-01-first.md";
    let rev = revision(FIRST.as_bytes());
    let before = folder_state(dir.path());
    let cases = [
        // A date the loader cannot read, in a file without a dated name (#19: a dated file
        // name stands in, with a warning): an ERROR located on the `date` line.
        (
            UPDATE,
            json!({"id": post_id("_drafts/idea.md"), "rev": revision(IDEA.as_bytes()), "input": {"frontMatter": {"date": "2024-13-45"}}}),
            "VALIDATION_FAILED",
        ),
        // A slug another post has.
        (
            CREATE,
            json!({"input": {"title": "Second"}}),
            "VALIDATION_FAILED",
        ),
        // A serial number another post has.
        (
            CREATE,
            json!({"input": {"title": "New one", "serialNumber": {"value": "2024.blg.007"}}}),
            "VALIDATION_FAILED",
        ),
        (
            UPDATE,
            json!({"id": post_id(first), "rev": rev, "input": {"serialNumber": {"value": "2024.BLG.007"}}}),
            "VALIDATION_FAILED",
        ),
        // A rename onto another post's slug.
        (
            RENAME,
            json!({"id": post_id(first), "slug": "second", "rev": rev}),
            "VALIDATION_FAILED",
        ),
        // Inputs that cannot be used.
        (CREATE, json!({"input": {"title": "   "}}), "BAD_USER_INPUT"),
        (
            CREATE,
            json!({"input": {"title": "x", "folder": "../outside"}}),
            "BAD_USER_INPUT",
        ),
        (
            CREATE,
            json!({"input": {"title": "x", "serialNumber": {"auto": "B-L"}}}),
            "BAD_USER_INPUT",
        ),
        (
            UPDATE,
            json!({"id": post_id(first), "rev": rev, "input": {"title": "x", "frontMatter": {"title": "y"}}}),
            "BAD_USER_INPUT",
        ),
        (
            UPDATE,
            json!({"id": post_id("_posts/none.md"), "rev": rev, "input": {}}),
            "NOT_FOUND",
        ),
        (
            UPDATE,
            json!({"id": post_id("../../etc/passwd"), "rev": rev, "input": {}}),
            "NOT_FOUND",
        ),
        (PUBLISH, json!({"id": post_id(first)}), "BAD_USER_INPUT"),
    ];
    for (query, variables, code) in cases {
        let error = w.refused(query, variables.clone()).await;
        assert_eq!(error["extensions"]["code"], code, "{variables}: {error}");
        assert_eq!(folder_state(dir.path()), before, "{variables}");
    }
    let error = w
        .refused(UPDATE, json!({"id": post_id("_drafts/idea.md"), "rev": revision(IDEA.as_bytes()), "input": {"frontMatter": {"date": "2024-13-45"}}}))
        .await;
    let diagnostics = error["extensions"]["diagnostics"]
        .as_array()
        .expect("diagnostics");
    assert!(
        diagnostics.iter().any(|d| d["severity"] == "ERROR"
            && d["path"] == "_drafts/idea.md"
            && d["line"] == 3
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("2024-13-45"))),
        "{error}"
    );

    // YAML that does not parse: the file was broken on disk after it loaded (the last
    // good version is served); an edit is refused rather than guessed.
    let broken = "---\ntitle: [unclosed\n---\nx\n";
    std::fs::write(dir.path().join(first), broken).expect("write");
    let before = folder_state(dir.path());
    let error = w
        .refused(
            UPDATE,
            json!({"id": post_id(first), "rev": rev, "input": {"title": "B"}}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    let current = error["extensions"]["currentRevision"].clone();
    assert_eq!(current, revision(broken.as_bytes()));
    let error = w
        .refused(
            UPDATE,
            json!({"id": post_id(first), "rev": current, "input": {"title": "B"}}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(folder_state(dir.path()), before);
}

#[tokio::test]
async fn paths_come_from_slugs_and_never_leave_the_root() {
    let holder = tempfile::tempdir().expect("tempdir");
    let root = holder.path().join("site");
    std::fs::create_dir_all(&root).expect("mkdir");
    write_site(&root);
    let w = writer(&root);
    let created = w
        .ok("createPost", CREATE, json!({"input": {"title": "Escape", "slug": "../../etc/x", "date": "2024-05-01T00:00:00Z"}}))
        .await;
    assert_eq!(created["path"], "_posts/2024-05-01-etc-x.md");
    assert!(root.join("_posts/2024-05-01-etc-x.md").is_file());
    let renamed = w
        .ok("renamePost", RENAME, json!({"id": created["post"]["id"], "slug": "../../../tmp/y", "rev": created["revision"]}))
        .await;
    assert_eq!(renamed["path"], "_posts/2024-05-01-tmp-y.md");
    let outside: Vec<_> = std::fs::read_dir(holder.path())
        .expect("read")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        outside,
        ["site"],
        "nothing written beside the content folder"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_posts_folder_is_never_written_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("_config.yml"), "title: T\n").expect("write");
    std::fs::create_dir_all(dir.path().join("blog/_posts")).expect("mkdir");
    std::fs::write(
        dir.path().join("blog/_posts/2024-01-01-a.md"),
        "---\ntitle: A\n---\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("_posts")).expect("link");
    let w = writer(dir.path());
    let before = folder_state(dir.path());
    let error = w
        .refused(
            CREATE,
            json!({"input": {"title": "Through the link", "date": "2024-05-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "UNSAFE_PATH", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("symbolic link")),
        "{error}"
    );
    assert!(std::fs::read_dir(outside.path())
        .expect("read")
        .next()
        .is_none());
    assert_eq!(folder_state(dir.path()), before);
    // The category folder that is real still takes posts.
    let created = w
        .ok(
            "createPost",
            CREATE,
            json!({"input": {"title": "Real", "folder": "blog", "date": "2024-05-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(created["path"], "blog/_posts/2024-05-01-real.md");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_updates_exactly_the_right_revision_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = Arc::new(writer(dir.path()));
    let first = "_posts/2024-01-01-first.md";
    let rev = revision(FIRST.as_bytes());
    let mut tasks = Vec::new();
    for i in 0..50 {
        let w = w.clone();
        let rev = rev.clone();
        tasks.push(tokio::spawn(async move {
            let reply = w
                .send(UPDATE, json!({"id": post_id(first), "rev": rev, "input": {"title": format!("Writer {i}")}}), Some(EDITOR_TOKEN))
                .await;
            (i, reply.json())
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = Vec::new();
    for task in tasks {
        let (i, body) = task.await.expect("task");
        match body["errors"][0]["extensions"]["code"].as_str() {
            None => winners.push((i, body["data"]["updatePost"]["revision"].clone())),
            Some("CONFLICT") => {
                conflicts.push(body["errors"][0]["extensions"]["currentRevision"].clone())
            }
            Some(other) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one update had the file's revision"
    );
    assert_eq!(conflicts.len(), 49);
    let (winner, winning_revision) = &winners[0];
    assert!(conflicts.iter().all(|c| c == winning_revision));
    let text = w.file(first);
    assert_eq!(
        text,
        FIRST.replace("\"First: the beginning\"", &format!("\"Writer {winner}\""))
    );
    assert_eq!(w.read(first).await["title"], format!("Writer {winner}"));

    // Fifty more, each retrying with the revision its conflict names: all land, in turn.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            let mut rev = revision(w.file(first).as_bytes());
            loop {
                let body = w
                    .send(UPDATE, json!({"id": post_id(first), "rev": rev, "input": {"frontMatter": {format!("k{i}"): i}}}), Some(EDITOR_TOKEN))
                    .await
                    .json();
                match body["errors"][0]["extensions"]["currentRevision"].as_str() {
                    Some(current) => rev = current.to_string(),
                    None => return assert!(body.get("errors").is_none(), "{body}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let text = w.file(first);
    let map = inkgraph::site::store::front_matter::front_matter_of(&text).expect("valid");
    assert!(
        (0..50).all(|i| map.get(&format!("k{i}")) == Some(&json!(i))),
        "{text}"
    );
    assert!(text.starts_with("---\nlayout: post\n# a comment the author wrote\n"));
}

#[tokio::test]
async fn a_crash_between_write_and_rename_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let first = "_posts/2024-01-01-first.md";
    let crashing = writer_with(
        dir.path(),
        StoreOptions {
            fail_point: Some(inkgraph::source::write::FailPoint::BeforeRename),
            ..StoreOptions::default()
        },
    );
    let error = crashing
        .refused(UPDATE, json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()), "input": {"title": "Half"}}))
        .await;
    assert_eq!(error["extensions"]["code"], "WRITE_FAILED", "{error}");
    assert_eq!(crashing.file(first), FIRST, "the old bytes are intact");
    let temp: Vec<String> = folder_state(dir.path())
        .into_keys()
        .filter(|p| p.contains("/.inkgraph-") && p.ends_with(".tmp"))
        .collect();
    assert_eq!(temp.len(), 1, "the crash left its temporary file");
    // The loader ignores it: same posts, no diagnostic about it.
    let reloaded = load_dir(dir.path(), Visibility::PREVIEW);
    assert_eq!(reloaded.posts.len(), 3);
    assert!(reloaded
        .diagnostics
        .iter()
        .all(|d| !d.path.contains(".inkgraph-")));
    // The next start cleans it up, and writing works.
    let w = writer(dir.path());
    assert!(!dir.path().join(&temp[0]).exists());
    w.ok("updatePost", UPDATE, json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()), "input": {"title": "Whole"}}))
        .await;
    assert_eq!(w.read(first).await["title"], "Whole");
}

fn git_commit_all(repo: &git2::Repository, message: &str) {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("Author", "author@example.org").expect("sig");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit");
}

#[tokio::test]
async fn git_history_holds_one_commit_per_mutation_by_the_editor() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The content folder is a sub-folder of the work tree.
    let root = dir.path().join("site");
    write_site(&root);
    let repo = git2::Repository::init(dir.path()).expect("init");
    git_commit_all(&repo, "initial");
    let editor = Editor {
        name: "Ada Editor".into(),
        email: "ada@example.org".into(),
    };
    let w = writer_with(
        &root,
        StoreOptions {
            editor: editor.clone(),
            ..StoreOptions::default()
        },
    );
    assert_eq!(w.store.history_kind(), HistoryKind::Git);
    let first = "_posts/2024-01-01-first.md";
    let created = w
        .ok(
            "createPost",
            CREATE,
            json!({"input": {"title": "Committed", "date": "2024-06-01T00:00:00Z"}}),
        )
        .await;
    let updated = w
        .ok("updatePost", UPDATE, json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()), "input": {"title": "Changed"}}))
        .await;
    let renamed = w
        .ok(
            "renamePost",
            RENAME,
            json!({"id": post_id(first), "slug": "moved", "rev": updated["revision"]}),
        )
        .await;
    w.ok(
        "publishDraft",
        PUBLISH,
        json!({"id": post_id("_drafts/idea.md"), "date": "2024-06-02T00:00:00Z"}),
    )
    .await;
    w.ok(
        "unpublishPost",
        UNPUBLISH,
        json!({"id": renamed["post"]["id"]}),
    )
    .await;
    w.ok(
        "deletePost",
        DELETE,
        json!({"id": created["post"]["id"], "rev": created["revision"]}),
    )
    .await;

    let mut walk = repo.revwalk().expect("walk");
    walk.push_head().expect("head");
    let commits: Vec<git2::Commit> = walk
        .map(|id| repo.find_commit(id.expect("id")).expect("commit"))
        .collect();
    assert_eq!(commits.len(), 7, "the initial commit and one per mutation");
    let subjects: Vec<String> = commits
        .iter()
        .map(|c| format!("{:?}", c.summary()))
        .collect();
    for (commit, op) in commits.iter().zip([
        "deletePost",
        "unpublishPost",
        "publishDraft",
        "renamePost",
        "updatePost",
        "createPost",
    ]) {
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        assert!(message.starts_with(op), "{subjects:?}");
        assert_eq!(commit.author().name_bytes(), b"Ada Editor");
        assert_eq!(commit.author().email_bytes(), b"ada@example.org");
    }
    assert_eq!(
        created["commit"].as_str(),
        Some(commits[5].id().to_string().as_str())
    );
    // The last commit's tree is the folder as it is: the work tree is clean for these files.
    let tree = commits[0].tree().expect("tree");
    assert!(tree.get_path(Path::new("site/_drafts/moved.md")).is_ok());
    assert!(tree
        .get_path(Path::new("site/_posts/2024-06-01-committed.md"))
        .is_err());
    let statuses = repo.statuses(None).expect("status");
    assert!(
        statuses.iter().all(|s| s.status() == git2::Status::CURRENT),
        "{:?}",
        statuses
            .iter()
            .map(|s| (s.path().map(String::from), s.status()))
            .collect::<Vec<_>>()
    );
    // Nothing went to the trash: git held every replaced version.
    assert!(!root.join(TRASH_FOLDER).exists());

    // A file changed by hand since the last commit: its hand-made version goes to the
    // trash before the mutation replaces it, so nothing is lost.
    let second = "blog/_posts/2024-02-01-second.md";
    let by_hand = format!("{SECOND}An uncommitted line.\n");
    std::fs::write(root.join(second), &by_hand).expect("write");
    w.live.apply(&[PathBuf::from(second)]).expect("apply");
    w.ok("updatePost", UPDATE, json!({"id": post_id(second), "rev": revision(by_hand.as_bytes()), "input": {"title": "S"}}))
        .await;
    let trash = folder_state(&root.join(TRASH_FOLDER));
    assert!(trash.values().any(|b| *b == by_hand.as_bytes()));
}

#[tokio::test]
async fn the_trash_keeps_the_newest_versions_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer_with(
        dir.path(),
        StoreOptions {
            trash_entries: 3,
            ..StoreOptions::default()
        },
    );
    let first = "_posts/2024-01-01-first.md";
    let mut versions = Vec::new();
    for i in 0..5 {
        let bytes = std::fs::read(dir.path().join(first)).expect("read");
        versions.push(bytes.clone());
        let payload = w
            .ok("updatePost", UPDATE, json!({"id": post_id(first), "rev": revision(&bytes), "input": {"title": format!("V{i}")}}))
            .await;
        assert!(payload["trash"]
            .as_str()
            .is_some_and(|t| t.starts_with(TRASH_FOLDER)));
    }
    let trash: Vec<Vec<u8>> = folder_state(&dir.path().join(TRASH_FOLDER))
        .into_values()
        .collect();
    assert_eq!(
        trash,
        versions[2..].to_vec(),
        "the three newest replaced versions, oldest first"
    );
    // The trash is invisible to readers.
    let all = w
        .send(
            "{ posts(first: 50) { totalCount } diagnostics { path } }",
            json!({}),
            Some(PREVIEW_TOKEN),
        )
        .await
        .json();
    assert_eq!(all["data"]["posts"]["totalCount"], 3);
    assert!(!all.to_string().contains(TRASH_FOLDER));
}

#[tokio::test]
async fn mutation_answers_are_never_cached_and_reads_see_the_new_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let first = "_posts/2024-01-01-first.md";
    let titles = "{ posts(first: 5) { nodes { title } } }";
    // A public query, cached.
    for expected in ["miss", "hit"] {
        let reply = w.send(titles, json!({}), None).await;
        assert_eq!(reply.header(CACHE_STATUS_HEADER), expected);
    }
    let variables = json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()), "input": {"title": "Fresh"}});
    let reply = w.send(UPDATE, variables.clone(), Some(EDITOR_TOKEN)).await;
    assert_eq!(
        reply.header(CACHE_STATUS_HEADER),
        "",
        "a mutation never touches the cache"
    );
    // An editor reads as a preview: private too.
    assert_eq!(reply.header(header::CACHE_CONTROL), "private, no-store");
    assert!(reply.json().get("errors").is_none());
    // The same mutation again runs again (and conflicts): it was not answered from a cache.
    let again = w.send(UPDATE, variables, Some(EDITOR_TOKEN)).await.json();
    assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT");
    let reply = w.send(titles, json!({}), None).await;
    assert_eq!(reply.header(CACHE_STATUS_HEADER), "miss");
    assert!(reply.text().contains("Fresh"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_seeing_the_write_does_not_swap_again() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let repo = git2::Repository::init(dir.path()).expect("init");
    git_commit_all(&repo, "initial");
    let w = writer(dir.path());
    let _watching = inkgraph::watch::watch(
        w.live.clone(),
        inkgraph::watch::WatchOptions {
            mode: inkgraph::watch::WatchMode::Native,
            debounce: std::time::Duration::from_millis(20),
        },
    )
    .expect("watch");
    let mut events = Box::pin(w.live.events().stream(Audience::Preview));
    let swaps = w.live.swap_count();
    let first = "_posts/2024-01-01-first.md";
    let payload = w
        .ok("updatePost", UPDATE, json!({"id": post_id(first), "rev": revision(FIRST.as_bytes()), "input": {"title": "Watched"}}))
        .await;
    assert!(payload["commit"].is_string());
    // corpusChanged fired once, for this change.
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .expect("an event")
        .expect("open");
    assert_eq!(event.updated, [first]);
    assert_eq!(event.version, payload["previewVersion"]);
    // Give the watcher time to see the write, the temporary file and the commit.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(w.live.swap_count(), swaps + 1, "one swap for one change");
    let more = tokio::time::timeout(std::time::Duration::from_millis(200), events.next()).await;
    assert!(more.is_err(), "no second corpusChanged: {more:?}");
}

#[test]
fn the_editor_token_must_be_long_and_distinct() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_inkgraph"))
            .args(["serve", "--config", "/dev/null", "--print-config"])
            .args(args)
            .env_remove("INKGRAPH_EDITOR_TOKEN")
            .env_remove("INKGRAPH_PREVIEW_TOKEN")
            .output()
            .expect("runs")
    };
    let short = run(&["--editor-token", "short"]);
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("editor-token"));
    let shared = run(&[
        "--editor-token",
        EDITOR_TOKEN,
        "--preview-token",
        EDITOR_TOKEN,
    ]);
    assert_eq!(shared.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&shared.stderr).contains("same token"));
    let fine = run(&["--editor-token", EDITOR_TOKEN, "--editor-name", "Ada"]);
    assert!(
        fine.status.success(),
        "{}",
        String::from_utf8_lossy(&fine.stderr)
    );
    let printed = String::from_utf8_lossy(&fine.stdout);
    assert!(
        printed.contains("editor-name = \"Ada\"") && !printed.contains(EDITOR_TOKEN),
        "{printed}"
    );
}

#[tokio::test]
async fn every_real_post_round_trips_through_update_post_keeping_other_bytes() {
    let Some(corpus) = shared_corpus("joshbeckman") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&corpus, dir.path());
    let w = writer(dir.path());
    let served = w.live.current().load_full();
    // Each post's path, its title's line and the line where the title's lines end (the
    // next key's line, or the closing `---`), as the loader located them.
    let posts: Vec<(String, usize, usize)> = served
        .snapshot
        .posts
        .iter()
        .map(|p| {
            let title = p
                .doc
                .key_line("title")
                .expect("every post here has a title") as usize;
            let next = p
                .doc
                .key_lines
                .iter()
                .map(|(_, line)| *line as usize)
                .filter(|line| *line > title)
                .min()
                .unwrap_or(p.doc.body_line as usize - 1);
            (p.doc.source_path.clone(), title, next)
        })
        .collect();
    drop(served);
    assert!(posts.len() > 100, "{}", posts.len());
    for (path, title_line, next_line) in &posts {
        let before = w.file(path);
        let title = "Round: trip's \"title\" #1";
        w.ok("updatePost", UPDATE, json!({"id": post_id(path), "rev": revision(before.as_bytes()), "input": {"title": title}}))
            .await;
        let after = w.file(path);
        let old: Vec<&str> = before.split_inclusive('\n').collect();
        let new: Vec<&str> = after.split_inclusive('\n').collect();
        // The title's lines became one line; every other line is as it was.
        let (title_at, next_at) = (title_line - 1, next_line - 1);
        assert_eq!(old[..title_at], new[..title_at], "{path}: before the title");
        assert!(
            new[title_at].starts_with("title: "),
            "{path}: {}",
            new[title_at]
        );
        assert_eq!(
            old[next_at..],
            new[title_at + 1..],
            "{path}: after the title"
        );
        assert_eq!(w.read(path).await["title"], title, "{path}");
    }
}

#[tokio::test]
async fn an_editor_may_send_a_long_post_others_keep_the_body_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    // 300 KB of Markdown: far over the 64 KiB `--max-body-bytes`, under the 1 MiB file limit.
    let paragraph = "A long paragraph with \"quotes\", a backslash \\ and é.\n\n";
    let long = paragraph.repeat(300_000 / paragraph.len());
    let input = json!({"input": {"title": "A long read", "date": "2024-03-01T00:00:00Z", "markdown": long}});
    let before = folder_state(dir.path());
    for auth in [None, Some(PREVIEW_TOKEN)] {
        let reply = w.send(CREATE, input.clone(), auth).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{auth:?}");
        assert_eq!(
            reply.json()["errors"][0]["extensions"]["code"],
            "PAYLOAD_TOO_LARGE"
        );
    }
    assert_eq!(folder_state(dir.path()), before, "nothing was written");
    let created = w.ok("createPost", CREATE, input).await;
    let path = created["path"].as_str().expect("path");
    assert_eq!(path, "_posts/2024-03-01-a-long-read.md");
    assert!(w.file(path).ends_with(&long), "the body is written whole");

    // Over the 1 MiB file limit: refused by the store, nothing written.
    let huge = "x".repeat(1024 * 1024 + 1);
    let before = folder_state(dir.path());
    let error = w
        .refused(
            CREATE,
            json!({"input": {"title": "Too long", "markdown": huge}}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(folder_state(dir.path()), before, "nothing was written");

    // Past the editor's body limit: 413 naming it, even with the token.
    let enormous = "x".repeat(5 * 1024 * 1024);
    let reply = w
        .send(
            CREATE,
            json!({"input": {"title": "Enormous", "markdown": enormous}}),
            Some(EDITOR_TOKEN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let message = reply.json()["errors"][0]["message"].to_string();
    assert!(
        message.contains(&(4 * 1024 * 1024).to_string()),
        "{message}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn forged_ids_folders_and_linked_files_never_reach_outside() {
    let holder = tempfile::tempdir().expect("tempdir");
    let root = holder.path().join("site");
    std::fs::create_dir_all(&root).expect("mkdir");
    write_site(&root);
    // A secret beside the content folder, and links to it from inside.
    let secret = holder.path().join("secret.md");
    std::fs::write(&secret, "---\ntitle: Secret\n---\nkeep out\n").expect("write");
    std::os::unix::fs::symlink(&secret, root.join("_posts/2024-05-01-linked.md")).expect("link");
    std::os::unix::fs::symlink(holder.path(), root.join("_drafts/outside")).expect("link");
    let w = writer(&root);
    let before = folder_state(holder.path());
    let rev = revision(b"---\ntitle: Secret\n---\nkeep out\n");
    // Ids naming paths that are not loaded posts: outside, absolute, through `..`, the link.
    for path in [
        "../secret.md",
        "/etc/passwd",
        holder.path().join("secret.md").to_str().expect("utf-8"),
        "_posts/../../secret.md",
        "_posts/2024-05-01-linked.md",
        "_drafts/outside/secret.md",
    ] {
        let id = post_id(path);
        for (query, variables) in [
            (
                UPDATE,
                json!({"id": id, "rev": rev, "input": {"title": "Owned"}}),
            ),
            (RENAME, json!({"id": id, "slug": "owned", "rev": rev})),
            (DELETE, json!({"id": id, "rev": rev})),
            (UNPUBLISH, json!({"id": id})),
            (PUBLISH, json!({"id": id})),
        ] {
            let error = w.refused(query, variables).await;
            assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{path}: {error}");
        }
    }
    // Folders are names, never paths; absolute and dotted slugs are normalised.
    for folder in [
        "../outside",
        "/tmp",
        "_drafts/outside",
        "blog/../..",
        ".git",
    ] {
        let error = w
            .refused(
                CREATE,
                json!({"input": {"title": "Away", "folder": folder, "date": "2024-05-01T00:00:00Z"}}),
            )
            .await;
        assert_eq!(
            error["extensions"]["code"], "BAD_USER_INPUT",
            "{folder}: {error}"
        );
    }
    // Creating over the linked file's name writes neither it nor the secret.
    let error = w
        .refused(
            CREATE,
            json!({"input": {"title": "Linked", "date": "2024-05-01T00:00:00Z"}}),
        )
        .await;
    let code = error["extensions"]["code"].as_str().unwrap_or_default();
    assert!(matches!(code, "UNSAFE_PATH" | "ALREADY_EXISTS"), "{error}");
    assert_eq!(
        folder_state(holder.path()),
        before,
        "nothing written anywhere"
    );
    let created = w
        .ok(
            "createPost",
            CREATE,
            json!({"input": {"title": "x", "slug": "/etc/passwd", "date": "2024-05-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(created["path"], "_posts/2024-05-01-etc-passwd.md");
    assert_eq!(
        std::fs::read(&secret).expect("secret"),
        b"---\ntitle: Secret\n---\nkeep out\n"
    );
}

/// A mutation sent over `/graphql/ws` (graphql-transport-ws), even on an upgrade request and
/// `connection_init` carrying the editor token, never runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_over_the_websocket_never_runs() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = w.server.state.clone();
    tokio::spawn(async move {
        let signal = async move {
            let _ = stopped.await;
        };
        inkgraph::server::serve_until(listener, serving, Default::default(), signal).await
    });
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    let bearer = format!("Bearer {EDITOR_TOKEN}");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    request
        .headers_mut()
        .insert("authorization", bearer.parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let send = |message: Value| Message::Text(message.to_string().into());
    socket
        .send(send(
            json!({"type": "connection_init", "payload": {"Authorization": bearer}}),
        ))
        .await
        .expect("send");
    let read = async |socket: &mut tokio_tungstenite::WebSocketStream<_>| loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str::<Value>(&text).expect("json");
        }
    };
    let ack = read(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let before = folder_state(dir.path());
    socket
        .send(send(json!({"id": "1", "type": "subscribe", "payload": {
            "query": CREATE,
            "variables": {"input": {"title": "Over the socket"}},
        }})))
        .await
        .expect("send");
    let answer = read(&mut socket).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
    assert!(
        answer["payload"]["data"]["createPost"].is_null(),
        "{answer}"
    );
    assert_eq!(folder_state(dir.path()), before, "nothing was written");
    let _ = stop.send(());
}

#[tokio::test]
async fn the_editor_token_reads_drafts_as_a_preview_does_never_cached() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_site(dir.path());
    let w = writer(dir.path());
    let query = "{ post(path: \"_drafts/idea.md\") { title draft revision } }";
    let anonymous = w.send(query, json!({}), None).await;
    assert!(
        anonymous.json()["data"]["post"].is_null(),
        "{}",
        anonymous.text()
    );
    let editor = w.send(query, json!({}), Some(EDITOR_TOKEN)).await;
    let post = &editor.json()["data"]["post"];
    assert_eq!(post["title"], "An idea", "{}", editor.text());
    assert_eq!(post["revision"], revision(IDEA.as_bytes()));
    assert!(
        editor.header(header::CACHE_CONTROL).contains("no-store"),
        "{}",
        editor.header(header::CACHE_CONTROL)
    );
    let by_get = w
        .server
        .get(
            &[("query", query)],
            &[("authorization", &format!("Bearer {EDITOR_TOKEN}"))],
        )
        .await;
    assert_eq!(by_get.json()["data"]["post"]["title"], "An idea");
    assert!(by_get.header(header::CACHE_CONTROL).contains("private"));
    // A read-only server has no editor: the token is nobody's there.
    let read_only = TestServer::over(dir.path(), &HttpConfig::default());
    let reply = read_only
        .post(
            &json!({"query": query}),
            &[("authorization", &format!("Bearer {EDITOR_TOKEN}"))],
        )
        .await;
    assert!(reply.json()["data"]["post"].is_null(), "{}", reply.text());
}
