//! Webhooks against receivers on the loopback address: one that verifies the Standard
//! Webhooks signature (its own HMAC code, not inkgraph's), one that errors then recovers, one
//! that is too slow, and one that is down. Python's `standardwebhooks` package verifies the
//! same deliveries from `.ci/run` (scripts/check-webhooks.sh).

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post as post_route;
use axum::Router;
use base64::Engine;
use hmac::{Hmac, Mac};
use inkgraph::graph::Visibility;
use inkgraph::load::LoadOptions;
use inkgraph::outputs::webhooks::{WebhookArgs, Webhooks};
use inkgraph::site::LiveSite;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [42; 32];

fn secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(KEY)
    )
}

fn post(title: &str, date: &str) -> String {
    format!("---\ntitle: {title}\ndate: {date}\n---\n\nBody of {title}.\n")
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("_posts")).expect("mkdir");
    std::fs::create_dir_all(root.join("_drafts")).expect("mkdir");
    std::fs::write(
        root.join("_config.yml"),
        "title: Hooks\nurl: https://hooks.example\n",
    )
    .expect("config");
    for (name, title, date) in [
        ("2024-01-01-one.md", "One", "2024-01-01"),
        ("2024-02-01-two.md", "Two", "2024-02-01"),
    ] {
        std::fs::write(root.join("_posts").join(name), post(title, date)).expect("write");
    }
    dir
}

fn live(root: &Path) -> Arc<LiveSite> {
    LiveSite::load(&LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    })
    .expect("loads")
}

/// What a receiver saw.
#[derive(Debug, Clone)]
struct Delivery {
    id: String,
    verified: bool,
    body: Value,
}

/// How a receiver answers its `n`th request (from 0).
type Behaviour = fn(usize) -> (StatusCode, Duration);

struct Receiver {
    url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    requests: Arc<AtomicUsize>,
}

/// Checks a Standard Webhooks signature: HMAC-SHA256 of `{id}.{timestamp}.{body}` under the
/// key, base64, any of the space-separated `v1,` signatures; the timestamp within 5 minutes.
fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (id, timestamp, signatures) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let Ok(seconds) = timestamp.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - seconds).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&KEY).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    signatures
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn receiver(behaviour: Behaviour) -> Receiver {
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(AtomicUsize::new(0));
    let (seen, count) = (deliveries.clone(), requests.clone());
    let app = Router::new().route(
        "/hook",
        post_route(move |headers: HeaderMap, body: Bytes| {
            let (seen, count) = (seen.clone(), count.clone());
            async move {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let (status, delay) = behaviour(n);
                tokio::time::sleep(delay).await;
                seen.lock().expect("lock").push(Delivery {
                    id: headers
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string(),
                    verified: verify(&headers, &body),
                    body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                });
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        deliveries,
        requests,
    }
}

fn args(urls: Vec<String>) -> WebhookArgs {
    WebhookArgs {
        webhook_urls: urls,
        webhook_secret: Some(secret()),
        webhook_timeout: Duration::from_secs(5),
        webhook_attempts: 4,
        webhook_retry_delay: Duration::from_millis(20),
        webhook_queue: 10,
    }
}

fn start(args: &WebhookArgs, live: &Arc<LiveSite>) -> Arc<Webhooks> {
    args.start(live.events(), live.current().clone())
        .expect("starts")
        .expect("endpoints")
}

async fn reload(live: &Arc<LiveSite>) {
    let live = live.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || live.reload_all())
        .await
        .expect("joins")
        .expect("reloads");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a reload never waits for receivers"
    );
}

/// Waits (up to 20 s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_changes_are_delivered_signed_and_drafts_send_nothing() {
    let dir = site();
    let live = live(dir.path());
    let good = receiver(|_| (StatusCode::NO_CONTENT, Duration::ZERO)).await;
    let webhooks = start(&args(vec![good.url.clone()]), &live);

    // A draft changes nothing the public sees: no delivery.
    std::fs::write(
        dir.path().join("_drafts/secret.md"),
        post("Secret", "2024-03-01"),
    )
    .expect("write");
    reload(&live).await;
    // Then a public edit, a new post and a removal.
    std::fs::write(
        dir.path().join("_posts/2024-01-01-one.md"),
        post("One, revised", "2024-01-01"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("_posts/2024-04-01-three.md"),
        post("Three", "2024-04-01"),
    )
    .expect("write");
    std::fs::remove_file(dir.path().join("_posts/2024-02-01-two.md")).expect("remove");
    reload(&live).await;

    until("one delivery", || {
        webhooks.stats().delivered.load(Ordering::SeqCst) >= 1
    })
    .await;
    // Give a wrongly sent draft delivery the time to arrive.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let deliveries = good.deliveries.lock().expect("lock").clone();
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    let delivery = &deliveries[0];
    assert!(delivery.verified, "the signature verifies: {delivery:?}");
    assert!(delivery.id.starts_with("msg_"));
    let body = &delivery.body;
    assert_eq!(body["type"], "site.updated");
    let data = &body["data"];
    assert_eq!(
        data["version"],
        live.current().load().snapshot.version.as_str()
    );
    assert_eq!(data["site"], "https://hooks.example/");
    let slugs = |key: &str| -> Vec<String> {
        data[key]
            .as_array()
            .expect(key)
            .iter()
            .map(|p| p["slug"].as_str().expect("slug").to_string())
            .collect()
    };
    assert_eq!(slugs("added"), ["three"]);
    assert_eq!(slugs("updated"), ["one"]);
    assert_eq!(slugs("removed"), ["two"]);
    assert_eq!(data["updated"][0]["title"], "One, revised");
    assert_eq!(
        data["updated"][0]["url"],
        "https://hooks.example/2024/01/01/one.html"
    );
    assert_eq!(
        data["counts"],
        serde_json::json!({"added": 1, "updated": 1, "removed": 1, "posts": 2})
    );
    let text = body.to_string();
    assert!(
        !text.contains("Secret") && !text.contains("secret.md"),
        "{text}"
    );
    assert!(webhooks
        .render_metrics()
        .contains("inkgraph_webhook_deliveries_total{outcome=\"delivered\"} 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_with_the_same_id_and_receivers_do_not_hold_each_other() {
    let dir = site();
    let live = live(dir.path());
    // 500 twice, then 200.
    let flaky = receiver(|n| {
        let status = if n < 2 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        (status, Duration::ZERO)
    })
    .await;
    // Slower than the timeout, always.
    let slow = receiver(|_| (StatusCode::OK, Duration::from_secs(3))).await;
    let good = receiver(|_| (StatusCode::OK, Duration::ZERO)).await;
    let mut config = args(vec![flaky.url.clone(), slow.url.clone(), good.url.clone()]);
    config.webhook_timeout = Duration::from_millis(300);
    config.webhook_attempts = 3;
    let webhooks = start(&config, &live);

    std::fs::write(
        dir.path().join("_posts/2024-05-01-new.md"),
        post("New", "2024-05-01"),
    )
    .expect("write");
    reload(&live).await;

    // The good receiver is not held up by the slow one.
    until("the good receiver", || {
        good.requests.load(Ordering::SeqCst) == 1
    })
    .await;
    until("the flaky receiver's third attempt", || {
        flaky.deliveries.lock().expect("lock").len() == 3
    })
    .await;
    let attempts = flaky.deliveries.lock().expect("lock").clone();
    assert!(attempts
        .iter()
        .all(|a| a.verified && a.id == attempts[0].id));
    until("the slow receiver given up", || {
        webhooks.stats().given_up.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(
        slow.requests.load(Ordering::SeqCst),
        3,
        "three attempts, each timed out"
    );
    let stats = webhooks.stats();
    assert_eq!(stats.delivered.load(Ordering::SeqCst), 2);
    // Two 500s and three timeouts.
    assert_eq!(stats.failed_attempts.load(Ordering::SeqCst), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_loses_the_oldest_deliveries_not_the_newest() {
    let dir = site();
    let live = live(dir.path());
    // A port nothing listens on.
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hook", listener.local_addr().expect("addr"))
    };
    let mut config = args(vec![down]);
    config.webhook_queue = 2;
    config.webhook_attempts = 2;
    config.webhook_retry_delay = Duration::from_millis(500);
    let webhooks = start(&config, &live);
    for n in 0..6 {
        std::fs::write(
            dir.path()
                .join(format!("_posts/2024-06-0{}-p{n}.md", n + 1)),
            post(&format!("P{n}"), &format!("2024-06-0{}", n + 1)),
        )
        .expect("write");
        reload(&live).await;
    }
    until("drops", || {
        webhooks.stats().dropped.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert!(webhooks.queued() <= 2);
    let metrics = webhooks.render_metrics();
    assert!(
        metrics.contains("inkgraph_webhook_deliveries_total{outcome=\"dropped\"}"),
        "{metrics}"
    );
    until("every delivery settled", || {
        let s = webhooks.stats();
        s.given_up.load(Ordering::SeqCst) + s.dropped.load(Ordering::SeqCst) == 6
    })
    .await;
    assert_eq!(webhooks.stats().delivered.load(Ordering::SeqCst), 0);
}

#[test]
fn endpoints_need_a_secret() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = site();
    let live = live(dir.path());
    let config = WebhookArgs {
        webhook_urls: vec!["http://127.0.0.1:9/hook".into()],
        ..WebhookArgs::default()
    };
    assert!(config.check().is_err(), "refused before loading");
    runtime.block_on(async {
        let err = config
            .start(live.events(), live.current().clone())
            .expect_err("no secret");
        assert!(err.to_string().contains("--webhook-secret"), "{err}");
        assert!(WebhookArgs::default()
            .start(live.events(), live.current().clone())
            .expect("no endpoints")
            .is_none());
    });
}
