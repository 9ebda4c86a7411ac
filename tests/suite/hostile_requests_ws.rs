//! `/graphql/ws` against hostile or careless clients: anonymous subscribers never learn about
//! drafts or future posts, queries over the socket read the served snapshot as the
//! connection's audience, and the socket limits (operations per socket, message size, open
//! sockets) answer with clear errors. Each test runs a real server on a loopback port.

use futures_util::{SinkExt, StreamExt};
use inkgraph::graph::Visibility;
use inkgraph::load::LoadOptions;
use inkgraph::server::{serve_until, AppState, HttpConfig, ServeOptions};
use inkgraph::site::LiveSite;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A bound on waits for something that happens within milliseconds.
const DEADLINE: Duration = Duration::from_secs(10);

const PREVIEW_TOKEN: &str = "preview-token-0123456789";

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

fn post(title: &str, date: &str) -> String {
    format!("---\ntitle: {title}\ndate: {date}\n---\n\nBody of {title}.\n")
}

/// Two public posts, a draft and a post dated far in the future.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("_posts")).expect("mkdir");
    std::fs::create_dir_all(root.join("_drafts")).expect("mkdir");
    std::fs::write(root.join("_config.yml"), "title: Hostile\n").expect("config");
    std::fs::write(
        root.join("_posts/2024-01-01-one.md"),
        post("One", "2024-01-01"),
    )
    .expect("write");
    std::fs::write(
        root.join("_posts/2024-02-01-two.md"),
        post("Two", "2024-02-01"),
    )
    .expect("write");
    std::fs::write(
        root.join("_drafts/q3-layoffs.md"),
        post("Q3 layoffs", "2024-03-01"),
    )
    .expect("write");
    std::fs::write(
        root.join("_posts/2999-01-01-secret-launch.md"),
        post("Secret launch", "2999-01-01"),
    )
    .expect("write");
    dir
}

/// A server on a loopback port; dropping it shuts it down.
struct Server {
    addr: SocketAddr,
    live: Arc<LiveSite>,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(root: &Path, config: HttpConfig) -> Server {
    let live = LiveSite::load(&LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    })
    .expect("load");
    let state = AppState::live(live.clone(), &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = state.clone();
    tokio::spawn(async move {
        let signal = async move {
            let _ = stopped.await;
        };
        serve_until(listener, serving, ServeOptions::default(), signal).await
    });
    Server {
        addr,
        live,
        state,
        stop: Some(stop),
    }
}

fn preview_config() -> HttpConfig {
    HttpConfig {
        preview_token: Some(PREVIEW_TOKEN.into()),
        ..HttpConfig::default()
    }
}

/// Opens `/graphql/ws` (graphql-transport-ws), with `authorization` on the upgrade request
/// when given.
async fn connect(addr: SocketAddr, authorization: Option<&str>) -> Socket {
    try_connect(addr, authorization)
        .await
        .unwrap_or_else(|err| panic!("connect: {err}"))
}

async fn try_connect(
    addr: SocketAddr,
    authorization: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("authorization", value.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// The next text message, parsed.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a message");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("json"),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Sends `connection_init` with `payload` and waits for the ack.
async fn init(socket: &mut Socket, payload: Value) {
    send(
        socket,
        json!({"type": "connection_init", "payload": payload}),
    )
    .await;
    let ack = next_json(socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    send(
        socket,
        json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
}

/// Waits until `count` subscriptions listen for corpus changes.
async fn wait_for_subscribers(server: &Server, count: usize) {
    let started = Instant::now();
    while server.live.events().subscriber_count() < count {
        assert!(started.elapsed() < DEADLINE, "subscriptions not registered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

const CHANGES: &str =
    "subscription { corpusChanged { version added updated removed diagnostics { path message } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_subscribers_never_hear_of_drafts_or_future_posts() {
    let dir = site();
    let server = start(dir.path(), preview_config()).await;
    let bearer = format!("Bearer {PREVIEW_TOKEN}");

    let mut public = connect(server.addr, None).await;
    init(&mut public, json!({})).await;
    // A wrong token is the public audience, as over HTTP.
    let mut wrong = connect(server.addr, None).await;
    init(
        &mut wrong,
        json!({"Authorization": "Bearer not-the-preview-token-at-all"}),
    )
    .await;
    let mut by_payload = connect(server.addr, None).await;
    init(&mut by_payload, json!({"Authorization": bearer})).await;
    let mut by_nested = connect(server.addr, None).await;
    init(
        &mut by_nested,
        json!({"headers": {"authorization": bearer}}),
    )
    .await;
    let mut by_header = connect(server.addr, Some(&bearer)).await;
    init(&mut by_header, json!({})).await;
    for socket in [
        &mut public,
        &mut wrong,
        &mut by_payload,
        &mut by_nested,
        &mut by_header,
    ] {
        subscribe(socket, "changes", CHANGES).await;
    }
    wait_for_subscribers(&server, 5).await;

    // A draft is edited into something broken (a load diagnostic), then a future post is
    // edited: nothing the public sees changed.
    let draft = dir.path().join("_drafts/q3-layoffs.md");
    std::fs::write(&draft, "---\ntitle: [Q3 layoffs\n---\n\nCuts.\n").expect("write");
    let draft_swap = server.live.apply(&[draft]).expect("apply");
    assert!(draft_swap.swapped);
    let future = dir.path().join("_posts/2999-01-01-secret-launch.md");
    std::fs::write(&future, post("Secret launch, final", "2999-01-01")).expect("write");
    let future_swap = server.live.apply(&[future]).expect("apply");
    assert!(future_swap.swapped);
    // Then a public post changes.
    let public_post = dir.path().join("_posts/2024-01-01-one.md");
    std::fs::write(&public_post, post("One, revised", "2024-01-01")).expect("write");
    let public_swap = server.live.apply(&[public_post]).expect("apply");

    for socket in [&mut by_payload, &mut by_nested, &mut by_header] {
        let first = next_json(socket).await;
        assert_eq!(first["type"], "next", "{first}");
        let change = &first["payload"]["data"]["corpusChanged"];
        // A preview hears the preview version (it moves with every file).
        assert_eq!(change["version"], json!(draft_swap.preview_version));
        assert_ne!(draft_swap.preview_version, draft_swap.version);
        assert_eq!(change["updated"], json!(["_drafts/q3-layoffs.md"]));
        assert!(
            change["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .any(|d| d["path"] == "_drafts/q3-layoffs.md"),
            "the preview sees the draft's problem: {change}"
        );
        let second = next_json(socket).await;
        assert_eq!(
            second["payload"]["data"]["corpusChanged"]["updated"],
            json!(["_posts/2999-01-01-secret-launch.md"])
        );
        let third = next_json(socket).await;
        assert_eq!(
            third["payload"]["data"]["corpusChanged"]["updated"],
            json!(["_posts/2024-01-01-one.md"])
        );
        assert_eq!(
            third["payload"]["data"]["corpusChanged"]["version"],
            json!(public_swap.preview_version)
        );
    }
    // The drafts and the future post did not move the public version.
    assert_eq!(draft_swap.version, future_swap.version);
    for socket in [&mut public, &mut wrong] {
        // Events arrive in order: the first one a public subscriber gets is the public
        // post's, so it heard nothing of the draft or the future post.
        let message = next_json(socket).await;
        let text = message.to_string();
        let change = &message["payload"]["data"]["corpusChanged"];
        assert_eq!(change["version"], json!(public_swap.version), "{text}");
        assert_eq!(change["updated"], json!(["_posts/2024-01-01-one.md"]));
        assert_eq!(change["added"], json!([]));
        assert_eq!(change["removed"], json!([]));
        assert_eq!(change["diagnostics"], json!([]), "{text}");
        for secret in ["_drafts", "q3-layoffs", "secret-launch", "Q3 layoffs"] {
            assert!(!text.contains(secret), "`{secret}` leaked: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_over_the_socket_read_the_current_snapshot_as_the_connection_sees_it() {
    let dir = site();
    let server = start(dir.path(), preview_config()).await;
    let count = "{ site { postCount } posts(first: 10) { nodes { title } } }";

    let mut public = connect(server.addr, None).await;
    init(&mut public, Value::Null).await;
    subscribe(&mut public, "q1", count).await;
    let answer = next_json(&mut public).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["errors"], Value::Null, "{answer}");
    assert_eq!(answer["payload"]["data"]["site"]["postCount"], 2);
    assert_eq!(
        next_json(&mut public).await,
        json!({"id": "q1", "type": "complete"})
    );

    let mut preview = connect(server.addr, None).await;
    init(
        &mut preview,
        json!({"Authorization": format!("Bearer {PREVIEW_TOKEN}")}),
    )
    .await;
    subscribe(&mut preview, "q1", count).await;
    let answer = next_json(&mut preview).await;
    assert_eq!(
        answer["payload"]["data"]["site"]["postCount"], 4,
        "drafts and future posts: {answer}"
    );

    // A post added afterwards is in the next operation's answer: each operation reads the
    // snapshot served when it starts.
    let added = dir.path().join("_posts/2024-04-01-three.md");
    std::fs::write(&added, post("Three", "2024-04-01")).expect("write");
    server.live.apply(&[added]).expect("apply");
    subscribe(&mut public, "q2", count).await;
    let answer = next_json(&mut public).await;
    assert_eq!(answer["id"], "q2");
    assert_eq!(
        answer["payload"]["data"]["site"]["postCount"], 3,
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_per_socket_are_capped_and_the_socket_survives() {
    let dir = site();
    let server = start(
        dir.path(),
        HttpConfig {
            max_ws_subscriptions: 2,
            ..HttpConfig::default()
        },
    )
    .await;
    let mut socket = connect(server.addr, None).await;
    init(&mut socket, json!({})).await;
    subscribe(&mut socket, "1", CHANGES).await;
    subscribe(&mut socket, "2", CHANGES).await;
    wait_for_subscribers(&server, 2).await;
    subscribe(&mut socket, "3", CHANGES).await;
    let refused = next_json(&mut socket).await;
    assert_eq!(refused["id"], "3", "{refused}");
    let error = &refused["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("at most 2") && message.contains("--max-ws-subscriptions"),
        "{message}"
    );
    assert_eq!(
        next_json(&mut socket).await,
        json!({"id": "3", "type": "complete"})
    );
    assert_eq!(server.live.events().subscriber_count(), 2);

    // Completing one frees its place; the socket still works.
    send(&mut socket, json!({"id": "1", "type": "complete"})).await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"id": "1", "type": "complete"})
    );
    subscribe(&mut socket, "q", "{ site { postCount } }").await;
    let answer = next_json(&mut socket).await;
    assert_eq!(
        answer["payload"]["data"]["site"]["postCount"], 2,
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_closes_the_socket_with_1009() {
    let dir = site();
    let server = start(
        dir.path(),
        HttpConfig {
            max_ws_message_bytes: 1024,
            ..HttpConfig::default()
        },
    )
    .await;
    let mut socket = connect(server.addr, None).await;
    init(&mut socket, json!({})).await;
    // Within the limit: answered.
    subscribe(&mut socket, "small", "{ site { postCount } }").await;
    assert_eq!(next_json(&mut socket).await["type"], "next");
    assert_eq!(next_json(&mut socket).await["type"], "complete");

    let padding = "x".repeat(4096);
    let query = format!("{{ site {{ postCount }} }} # {padding}");
    subscribe(&mut socket, "big", &query).await;
    let close = loop {
        match tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("an answer in time")
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            Some(Err(err)) => panic!("no close frame: {err}"),
            None => panic!("closed without a close frame"),
        }
    };
    let frame = close.expect("a close frame with a code");
    assert_eq!(frame.code, CloseCode::Size);
    assert!(
        frame.reason.contains("1024") && frame.reason.contains("--max-ws-message-bytes"),
        "{}",
        frame.reason
    );
    let started = Instant::now();
    while server.state.websocket_count() > 0 {
        assert!(started.elapsed() < DEADLINE, "the socket stayed open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_sockets_are_capped_with_503() {
    let dir = site();
    let server = start(
        dir.path(),
        HttpConfig {
            max_ws_connections: 2,
            ..HttpConfig::default()
        },
    )
    .await;
    let mut first = connect(server.addr, None).await;
    init(&mut first, json!({})).await;
    let mut second = connect(server.addr, None).await;
    init(&mut second, json!({})).await;
    match try_connect(server.addr, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                .into_owned();
            assert!(
                body.contains("at most 2") && body.contains("--max-ws-connections"),
                "{body}"
            );
        }
        Err(err) => panic!("expected a 503 answer: {err}"),
        Ok(_) => panic!("a third socket was accepted over the cap of 2"),
    }
    // Closing one makes room.
    first.close(None).await.expect("close");
    drop(first);
    let started = Instant::now();
    let mut third = loop {
        match try_connect(server.addr, None).await {
            Ok(socket) => break socket,
            Err(_) => {
                assert!(started.elapsed() < DEADLINE, "no room after a close");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    init(&mut third, json!({})).await;
    subscribe(&mut third, "q", "{ site { postCount } }").await;
    assert_eq!(
        next_json(&mut third).await["payload"]["data"]["site"]["postCount"],
        2
    );
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_completes_subscriptions_and_closes_sockets_with_1001() {
    let dir = site();
    let mut server = start(dir.path(), HttpConfig::default()).await;
    let mut socket = connect(server.addr, None).await;
    init(&mut socket, json!({})).await;
    subscribe(&mut socket, "changes", CHANGES).await;
    wait_for_subscribers(&server, 1).await;
    // What SIGTERM does: the accept loop stops, then subscriptions end.
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    server.state.begin_shutdown();
    server.state.events().close();
    assert_eq!(
        next_json(&mut socket).await,
        json!({"id": "changes", "type": "complete"})
    );
    let close = loop {
        match tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(close.expect("a code").code, CloseCode::Away);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_over_the_socket_meet_the_http_limits() {
    let dir = site();
    let server = start(dir.path(), preview_config()).await;
    let mut socket = connect(server.addr, None).await;
    init(&mut socket, Value::Null).await;

    // An alias flood, as refused over HTTP.
    let aliases: String = (0..900)
        .map(|i| format!("a{i}: site {{ title }} "))
        .collect();
    subscribe(&mut socket, "aliases", &format!("{{ {aliases} }}")).await;
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["id"], "aliases", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES",
        "{answer}"
    );
    assert_eq!(answer["payload"]["data"], Value::Null, "{answer}");
    assert_eq!(
        next_json(&mut socket).await,
        json!({"id": "aliases", "type": "complete"})
    );

    // A fragment fan-out (10 spreads per level, 7 levels: 10^7 fields) is refused at once,
    // before async-graphql's validation would expand it.
    let mut document = String::from("{ site { ...F0 } }\n");
    for level in 0..7 {
        let spreads: String = (0..10).map(|_| format!("...F{} ", level + 1)).collect();
        document.push_str(&format!("fragment F{level} on Site {{ {spreads} }}\n"));
    }
    document.push_str("fragment F7 on Site { title }\n");
    subscribe(&mut socket, "fanout", &document).await;
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["id"], "fanout", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{answer}"
    );

    // The socket still answers an ordinary query.
    subscribe(&mut socket, "ok", "{ site { postCount } }").await;
    let mut answer = next_json(&mut socket).await;
    while answer["id"] != "ok" {
        answer = next_json(&mut socket).await;
    }
    assert_eq!(
        answer["payload"]["data"]["site"]["postCount"], 2,
        "{answer}"
    );
}
