//! Live reload: incremental rebuilds, the file watcher (native and polling), `corpusChanged`
//! subscriptions (in-process and over a real WebSocket), `POST /admin/reload`, and queries
//! under concurrent changes.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use futures_util::{SinkExt, StreamExt};
use inkgraph::api::{build_schema, QueryLimits};
use inkgraph::graph::Visibility;
use inkgraph::load::{self, LoadOptions, ParsedFolder};
use inkgraph::server::{AppState, HttpConfig};
use inkgraph::site::LiveSite;
use inkgraph::site::SiteEvents;
use inkgraph::watch::{self, WatchMode, WatchOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const DEADLINE: Duration = Duration::from_secs(2);

fn post(title: &str, date: &str, tags: &str) -> String {
    format!("---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\nBody of {title}.\n")
}

/// A small Jekyll site: three posts.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = dir.path().join("_posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    std::fs::write(dir.path().join("_config.yml"), "title: Live\n").expect("config");
    for (name, title, date) in [
        ("2024-01-01-one.md", "One", "2024-01-01"),
        ("2024-02-01-two.md", "Two", "2024-02-01"),
        ("2024-03-01-three.md", "Three", "2024-03-01"),
    ] {
        std::fs::write(posts.join(name), post(title, date, "a, b")).expect("write");
    }
    dir
}

fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    }
}

/// Runs `query` against the snapshot `live` serves now.
async fn query(live: &LiveSite, query: &str) -> Value {
    let schema = build_schema(QueryLimits::default());
    let served = live.current().load_full();
    let response = schema
        .execute(async_graphql::Request::new(query).data(served))
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.into_json().expect("json")
}

/// Polls `check` until it holds, failing after [`DEADLINE`].
async fn eventually(live: &LiveSite, q: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    loop {
        let data = query(live, q).await;
        if check(&data) {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "{what}: still {data}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn titles(data: &Value) -> Vec<String> {
    data["posts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["title"].as_str().expect("title").to_string())
        .collect()
}

const TITLES: &str = "{ posts(first: 50) { nodes { title } } }";

#[test]
fn incremental_rebuild_gives_the_version_of_a_fresh_load() {
    let dir = site();
    let root = dir.path();
    let posts = root.join("_posts");
    let (mut parsed, first) = ParsedFolder::load(&options(root)).expect("load");
    assert_eq!(
        first.version,
        load::load(&options(root)).expect("load").version
    );

    std::fs::write(
        posts.join("2024-01-01-one.md"),
        post("One v2", "2024-01-01", "a"),
    )
    .unwrap();
    std::fs::write(
        posts.join("2024-04-01-four.md"),
        post("Four", "2024-04-01", "c"),
    )
    .unwrap();
    std::fs::remove_file(posts.join("2024-02-01-two.md")).unwrap();
    let (snapshot, delta) = parsed
        .apply(&[
            posts.join("2024-01-01-one.md"),
            posts.join("2024-04-01-four.md"),
            posts.join("2024-02-01-two.md"),
            posts.join(".2024-01-01-one.md.swp"),
        ])
        .expect("apply");
    assert_eq!(delta.added, ["_posts/2024-04-01-four.md"]);
    assert_eq!(delta.updated, ["_posts/2024-01-01-one.md"]);
    assert_eq!(delta.removed, ["_posts/2024-02-01-two.md"]);
    let fresh = load::load(&options(root)).expect("load");
    assert_eq!(snapshot.version, fresh.version);
    assert_eq!(snapshot.posts.len(), 3);
    assert_eq!(snapshot.tags.len(), fresh.tags.len());

    // A broken edit keeps the last good document; its version is then its own.
    std::fs::write(
        posts.join("2024-01-01-one.md"),
        "---\ntitle: [unclosed\n---\nx\n",
    )
    .unwrap();
    let (broken, delta) = parsed
        .apply(&[posts.join("2024-01-01-one.md")])
        .expect("apply");
    assert_eq!(delta.updated, ["_posts/2024-01-01-one.md"]);
    let fresh = load::load(&options(root)).expect("load");
    assert_eq!(fresh.posts.len(), 2, "a fresh load skips the broken file");
    assert_eq!(broken.posts.len(), 3, "the last good version is kept");
    assert_ne!(broken.version, fresh.version);
    let kept = broken
        .loaded_post_by_path("_posts/2024-01-01-one.md")
        .expect("kept");
    assert_eq!(broken.post(kept).doc.title, "One v2");
    assert!(broken
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.path == "_posts/2024-01-01-one.md"));

    // The fix is picked up, and the versions agree again.
    std::fs::write(
        posts.join("2024-01-01-one.md"),
        post("One v3", "2024-01-01", "a"),
    )
    .unwrap();
    let (fixed, _) = parsed
        .apply(&[posts.join("2024-01-01-one.md")])
        .expect("apply");
    assert_eq!(
        fixed.version,
        load::load(&options(root)).expect("load").version
    );
    assert!(fixed.diagnostics.iter().all(|d| !d.is_error()));

    // `_config.yml` changes rescan everything.
    std::fs::write(root.join("_config.yml"), "title: Renamed\n").unwrap();
    let (rescanned, delta) = parsed.apply(&[root.join("_config.yml")]).expect("apply");
    assert!(delta.full);
    assert_eq!(rescanned.config.title.as_deref(), Some("Renamed"));
    assert_eq!(
        rescanned.version,
        load::load(&options(root)).expect("load").version
    );
}

async fn follow_edits(mode: WatchMode) {
    let dir = site();
    let posts = dir.path().join("_posts");
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let _watching = watch::watch(
        live.clone(),
        WatchOptions {
            mode,
            debounce: Duration::from_millis(20),
        },
    )
    .expect("watch");

    std::fs::write(
        posts.join("2024-01-01-one.md"),
        post("One edited", "2024-01-01", "a"),
    )
    .unwrap();
    eventually(&live, TITLES, "edit", |d| {
        titles(d).contains(&"One edited".into())
    })
    .await;

    std::fs::write(
        posts.join("2024-05-01-five.md"),
        post("Five", "2024-05-01", "a"),
    )
    .unwrap();
    eventually(&live, TITLES, "add", |d| titles(d).contains(&"Five".into())).await;

    std::fs::remove_file(posts.join("2024-02-01-two.md")).unwrap();
    eventually(&live, TITLES, "delete", |d| {
        !titles(d).contains(&"Two".into())
    })
    .await;

    std::fs::write(
        posts.join("2024-03-01-three.md"),
        "---\ntitle: [unclosed\n---\nx\n",
    )
    .unwrap();
    let q =
        "{ diagnostics(severity: ERROR) { severity path } posts(first: 50) { nodes { title } } }";
    eventually(&live, q, "broken edit", |d| {
        titles(d).contains(&"Three".into())
            && d["diagnostics"]
                .as_array()
                .is_some_and(|ds| ds.iter().any(|x| x["severity"] == "ERROR"))
    })
    .await;
    std::fs::write(
        posts.join("2024-03-01-three.md"),
        post("Three fixed", "2024-03-01", "a"),
    )
    .unwrap();
    eventually(&live, TITLES, "fix", |d| {
        titles(d).contains(&"Three fixed".into())
    })
    .await;

    // Idle: reloading reads every file, and reads must not trigger more reloads.
    let started = Instant::now();
    let mut reloads = live.reload_count();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = live.reload_count();
        if now == reloads {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "still reloading without changes ({now} reloads)"
        );
        reloads = now;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(live.reload_count(), reloads, "reloaded without changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_watcher_serves_edits_adds_deletes_and_broken_edits() {
    follow_edits(WatchMode::Native).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_watcher_serves_edits_adds_deletes_and_broken_edits() {
    follow_edits(WatchMode::Poll {
        interval: Duration::from_millis(50),
    })
    .await;
}

#[tokio::test]
async fn subscription_receives_corpus_changed() {
    let dir = site();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let schema = build_schema(QueryLimits::default());
    let request = async_graphql::Request::new(
        "subscription { corpusChanged { version added updated removed diagnostics { severity } } }",
    )
    .data(live.events().clone());
    let mut stream = schema.execute_stream(request);
    // Let the subscription register before the change.
    let first = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
    assert!(first.is_err(), "no event before a change");

    let path = dir.path().join("_posts/2024-06-01-six.md");
    std::fs::write(&path, post("Six", "2024-06-01", "a")).unwrap();
    let swap = live.apply(&[path]).expect("apply");
    let response = tokio::time::timeout(DEADLINE, stream.next())
        .await
        .expect("an event in time")
        .expect("an event");
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    assert_eq!(
        data["corpusChanged"],
        json!({"version": swap.version, "added": ["_posts/2024-06-01-six.md"], "updated": [], "removed": [], "diagnostics": []})
    );

    // Closing the events (shutdown) ends the subscription.
    live.events().close();
    let end = tokio::time::timeout(DEADLINE, stream.next())
        .await
        .expect("ends in time");
    assert!(end.is_none());
}

#[tokio::test]
async fn subscription_without_events_is_an_error() {
    let schema = build_schema(QueryLimits::default());
    let mut stream = schema.execute_stream("subscription { corpusChanged { version } }");
    let response = stream.next().await.expect("a response");
    assert!(!response.errors.is_empty());
    let _ = SiteEvents::new();
}

fn admin_config() -> HttpConfig {
    HttpConfig {
        admin_token: Some("admin-token-0123456789".into()),
        ..HttpConfig::default()
    }
}

async fn post_reload(router: &axum::Router, auth: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(Method::POST).uri("/admin/reload");
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn admin_reload_needs_the_bearer_token() {
    let dir = site();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let router = AppState::live(live.clone(), &admin_config()).router();
    assert_eq!(post_reload(&router, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post_reload(&router, Some("Bearer wrong-token-0123456789"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    std::fs::write(
        dir.path().join("_posts/2024-07-01-seven.md"),
        post("Seven", "2024-07-01", "a"),
    )
    .unwrap();
    let (status, body) = post_reload(&router, Some("Bearer admin-token-0123456789")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["added"], json!(["_posts/2024-07-01-seven.md"]));
    assert_eq!(body["version"], live.current().load().snapshot.version);

    // Without an admin token the endpoint does not exist.
    let closed = AppState::live(live, &HttpConfig::default()).router();
    assert_eq!(
        post_reload(&closed, Some("Bearer admin-token-0123456789"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscription_receives_corpus_changed_and_ends_at_shutdown() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let dir = site();
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let state = AppState::live(live.clone(), &HttpConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = state.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    socket
        .send(Message::Text(
            json!({"type": "connection_init"}).to_string().into(),
        ))
        .await
        .unwrap();
    let ack = read_json(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack");
    socket
        .send(Message::Text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { corpusChanged { version updated } }"}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    // Wait until the subscription is registered, then change a file.
    let started = Instant::now();
    while live.events().subscriber_count() == 0 {
        assert!(started.elapsed() < DEADLINE, "subscription not registered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let path = dir.path().join("_posts/2024-01-01-one.md");
    std::fs::write(&path, post("One via ws", "2024-01-01", "a")).unwrap();
    let swap = live.apply(&[path]).expect("apply");
    let next = read_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["corpusChanged"],
        json!({"version": swap.version, "updated": ["_posts/2024-01-01-one.md"]})
    );

    // Shutdown: the subscription completes and the server closes the socket.
    state.events().close();
    let complete = read_json(&mut socket).await;
    assert_eq!(complete, json!({"id": "1", "type": "complete"}));
    let started = Instant::now();
    while state.websocket_count() > 0 {
        assert!(started.elapsed() < DEADLINE, "socket not closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn read_json<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    loop {
        let message = tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("ok");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_stay_consistent_with_one_version_while_files_change() {
    let dir = site();
    let posts: PathBuf = dir.path().join("_posts");
    let live = LiveSite::load(&options(dir.path())).expect("load");
    let _watching = watch::watch(
        live.clone(),
        WatchOptions {
            mode: WatchMode::Native,
            debounce: Duration::from_millis(5),
        },
    )
    .expect("watch");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let live = live.clone();
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let schema = build_schema(QueryLimits::default());
            let mut answered = 0;
            let mut versions = std::collections::HashSet::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let served = live.current().load_full();
                let expected = (served.snapshot.version.clone(), served.snapshot.index.len());
                let response = schema
                    .execute(
                        async_graphql::Request::new(
                            "{ site { version postCount } posts(first: 100) { totalCount nodes { title } } }",
                        )
                        .data(served),
                    )
                    .await;
                assert!(response.errors.is_empty(), "{:?}", response.errors);
                let data = response.data.into_json().unwrap();
                let count = data["site"]["postCount"].as_u64().unwrap() as usize;
                assert_eq!(data["site"]["version"], expected.0);
                assert_eq!(count, expected.1);
                assert_eq!(data["posts"]["totalCount"].as_u64().unwrap() as usize, count);
                assert_eq!(data["posts"]["nodes"].as_array().unwrap().len(), count);
                versions.insert(expected.0);
                answered += 1;
                tokio::task::yield_now().await;
            }
            (answered, versions.len())
        }));
    }
    for i in 0..20 {
        let name = posts.join(format!("2025-01-{:02}-churn.md", i % 5 + 1));
        if i % 3 == 2 {
            let _ = std::fs::remove_file(&name);
        } else {
            std::fs::write(&name, post(&format!("Churn {i}"), "2025-01-01", "x")).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    // Let the last change land, then check the final state matches a fresh load.
    let fresh = load::load(&options(dir.path())).expect("load").version;
    let started = Instant::now();
    while live.current().load().snapshot.version != fresh {
        assert!(
            started.elapsed() < DEADLINE,
            "the last change was not served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut total = 0;
    for reader in readers {
        let (answered, _versions) = reader.await.expect("no reader failed");
        total += answered;
    }
    assert!(total > 0);
    assert!(live.swap_count() > 0);
}
