//! Webhooks: every new version the public sees is POSTed to the configured endpoints, signed
//! by the Standard Webhooks scheme (<https://www.standardwebhooks.com/>), so another site can
//! rebuild a static frontend or purge a CDN when the blog changes.
//!
//! - **What**: a JSON body `{"type": "site.updated", "timestamp", "data": {version,
//!   previousVersion, added, updated, removed, counts}}`; each post as id, slug, title,
//!   permalink, URL and source path. Public audience only: a draft saved, or anything else the
//!   public cannot see, sends nothing (the [`SiteEvents`] rule of `corpusChanged`).
//! - **Signed**: `webhook-id` (the same on every attempt), `webhook-timestamp` (Unix
//!   seconds, of the attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of
//!   "{id}.{timestamp}.{body}">` with the configured `whsec_…` secret.
//! - **Delivered** by one task per endpoint, in order: each attempt has a timeout; a failure
//!   (connection error, timeout, any status but 2xx) is retried after an exponential backoff
//!   with jitter, up to `--webhook-attempts`; each endpoint's queue is bounded and drops its
//!   oldest delivery (counted, logged) when a receiver is down for long.
//! - **Never in the way**: the reloader only publishes on the event bus; a slow or dead
//!   receiver holds only its own task. Logs name an endpoint by scheme, host and port, never
//!   its path or query (build-hook URLs carry secrets) nor the secret.

use crate::corpus::SiteUrl;
use crate::graph::{Audience, Snapshot};
use crate::site::events::SiteChange;
use crate::site::{endpoints, CurrentSite, ServedSite, SiteEvents};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// The longest wait between two attempts, whatever the backoff says.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);
/// The event type of a new version.
pub const EVENT_TYPE: &str = "site.updated";

/// Webhook settings of `inkgraph serve`.
#[derive(Clone, clap::Args)]
pub struct WebhookArgs {
    /// Endpoints that receive a signed POST (Standard Webhooks) on every new version the
    /// public sees; repeat the flag or separate URLs with commas. Treated as secrets (build
    /// hooks carry one in their path): logs show only their host [default: none]
    #[arg(long = "webhook-url", env = "INKGRAPH_WEBHOOK_URL", hide_env_values = true, value_delimiter = ',', value_parser = parse_endpoint, value_name = "URL")]
    pub webhook_urls: Vec<String>,
    /// The secret deliveries are signed with: `whsec_` followed by the base64 of 24 to 64
    /// random bytes (`echo whsec_$(openssl rand -base64 32)`); required with `--webhook-url`
    /// [default: none]
    #[arg(long, env = "INKGRAPH_WEBHOOK_SECRET", hide_env_values = true, value_parser = parse_secret, value_name = "SECRET")]
    pub webhook_secret: Option<String>,
    /// How long one delivery attempt may take (connecting, sending, the receiver's answer).
    #[arg(long, env = "INKGRAPH_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = crate::args::positive_duration, value_name = "DURATION")]
    pub webhook_timeout: Duration,
    /// Attempts per delivery, the first included, before it is given up.
    #[arg(long, env = "INKGRAPH_WEBHOOK_ATTEMPTS", default_value_t = 8, value_parser = crate::args::at_least(1), value_name = "N")]
    pub webhook_attempts: usize,
    /// Wait before the first retry; it doubles with each retry (with jitter), to at most
    /// 10 minutes.
    #[arg(long, env = "INKGRAPH_WEBHOOK_RETRY_DELAY", default_value = "1s", value_parser = crate::args::positive_duration, value_name = "DURATION")]
    pub webhook_retry_delay: Duration,
    /// Deliveries waiting per endpoint; when a receiver is down that long, the oldest is
    /// dropped (logged and counted in `/metrics`).
    #[arg(long, env = "INKGRAPH_WEBHOOK_QUEUE", default_value_t = 100, value_parser = crate::args::at_least(1), value_name = "N")]
    pub webhook_queue: usize,
}

impl Default for WebhookArgs {
    /// The defaults of the flags.
    fn default() -> Self {
        crate::args::defaults()
    }
}

impl std::fmt::Debug for WebhookArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookArgs")
            .field(
                "webhook_urls",
                &self
                    .webhook_urls
                    .iter()
                    .map(|u| endpoint_label(u))
                    .collect::<Vec<_>>(),
            )
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "(set, not shown)"),
            )
            .field("webhook_timeout", &self.webhook_timeout)
            .field("webhook_attempts", &self.webhook_attempts)
            .field("webhook_retry_delay", &self.webhook_retry_delay)
            .field("webhook_queue", &self.webhook_queue)
            .finish()
    }
}

/// Webhooks that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Endpoints without a secret to sign with.
    #[error(
        "--webhook-url needs --webhook-secret (INKGRAPH_WEBHOOK_SECRET) to sign deliveries with"
    )]
    NoSecret,
    /// The HTTP client could not be made (TLS set-up).
    #[error("cannot make the webhook HTTP client: {0}")]
    Client(String),
}

/// An `http(s)` URL with a host.
fn parse_endpoint(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|err| format!("not a URL ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("a webhook endpoint is an http:// or https:// URL with a host".to_string());
    }
    Ok(url.to_string())
}

/// A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 bytes (the prefix may be left
/// out). The error never repeats it.
fn parse_secret(text: &str) -> Result<String, String> {
    secret_key(text).map(|_| text.trim().to_string())
}

/// The HMAC key of a secret.
fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
    let key = BASE64
        .decode(encoded)
        .map_err(|_| "a webhook secret is `whsec_` followed by base64".to_string())?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "a webhook secret holds 24 to 64 bytes (this one {}); make one with `echo whsec_$(openssl rand -base64 32)`",
            key.len()
        ));
    }
    Ok(key)
}

/// How an endpoint appears in logs: scheme, host and port only.
pub fn endpoint_label(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or("?"),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(invalid URL)".to_string(),
    }
}

/// The Standard Webhooks signature header value of `body` sent as message `id` at
/// `timestamp` (Unix seconds): `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub fn signature(key: &[u8], id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// One post in a delivery.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PostRef {
    /// The GraphQL node id.
    pub id: String,
    pub slug: String,
    pub title: String,
    pub permalink: String,
    /// Absolute when `_config.yml` has a `url`.
    pub url: String,
    pub source_path: String,
}

/// How many of each.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    /// Posts the public sees in the new version.
    pub posts: usize,
}

/// What a delivery says about one new version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub version: String,
    pub previous_version: String,
    /// The site's address (`_config.yml` `url` + `baseurl`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub added: Vec<PostRef>,
    pub updated: Vec<PostRef>,
    pub removed: Vec<PostRef>,
    pub counts: Counts,
}

/// The JSON body: Standard Webhooks' recommended `type`, `timestamp`, `data`.
#[derive(Debug, Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: &'a Change,
}

fn post_ref(snapshot: &Snapshot, path: &str) -> Option<PostRef> {
    let idx = snapshot.view(Audience::Public).post_by_path(path)?;
    let post = snapshot.post(idx);
    Some(PostRef {
        id: post.id.clone(),
        slug: post.slug.clone(),
        title: post.doc.title.clone(),
        permalink: post.doc.permalink.clone(),
        url: endpoints::post_url(&snapshot.config.site, &post.doc.permalink),
        source_path: post.doc.source_path.clone(),
    })
}

fn site_address(site: &SiteUrl) -> Option<String> {
    site.url().map(|_| endpoints::output_url(site, "/"))
}

/// The change from `previous` to `next` as the public sees it, from the event's paths: added
/// and updated posts read from `next`, removed ones from `previous`. Paths that are not
/// posts the public sees (a file skipped with an error) are left out.
pub fn describe(previous: &ServedSite, next: &ServedSite, event: &SiteChange) -> Change {
    let (before, after) = (&previous.snapshot, &next.snapshot);
    let refs = |snapshot: &Snapshot, paths: &[String]| -> Vec<PostRef> {
        paths.iter().filter_map(|p| post_ref(snapshot, p)).collect()
    };
    let added = refs(after, &event.added);
    let updated = refs(after, &event.updated);
    let removed = refs(before, &event.removed);
    Change {
        version: after.version.clone(),
        previous_version: before.version.clone(),
        site: site_address(&after.config.site),
        counts: Counts {
            added: added.len(),
            updated: updated.len(),
            removed: removed.len(),
            posts: after.view(Audience::Public).index.len(),
        },
        added,
        updated,
        removed,
    }
}

/// One delivery: its id and body, the same on every attempt.
#[derive(Debug)]
struct Message {
    id: String,
    body: Vec<u8>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Deliveries a receiver answered 2xx.
    pub delivered: AtomicU64,
    /// Attempts that failed (each retry counts).
    pub failed_attempts: AtomicU64,
    /// Deliveries given up after the last attempt.
    pub given_up: AtomicU64,
    /// Deliveries dropped from a full queue.
    pub dropped: AtomicU64,
}

struct Endpoint {
    url: String,
    label: String,
    queue: Mutex<VecDeque<Arc<Message>>>,
    ready: Notify,
}

impl Endpoint {
    /// Queues `message`, dropping the oldest when `capacity` is reached; whether one was
    /// dropped.
    fn push(&self, message: Arc<Message>, capacity: usize) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let mut dropped = false;
        while queue.len() >= capacity {
            queue.pop_front();
            dropped = true;
        }
        queue.push_back(message);
        drop(queue);
        self.ready.notify_one();
        dropped
    }

    fn pop(&self) -> Option<Arc<Message>> {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    fn len(&self) -> usize {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Running webhooks: the dispatcher and one delivery task per endpoint.
pub struct Webhooks {
    endpoints: Vec<Arc<Endpoint>>,
    stats: Arc<WebhookStats>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field(
                "endpoints",
                &self.endpoints.iter().map(|e| &e.label).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl WebhookArgs {
    /// Refuses endpoints without a secret, before anything is loaded.
    pub fn check(&self) -> Result<(), WebhookError> {
        if !self.webhook_urls.is_empty() && self.webhook_secret.is_none() {
            return Err(WebhookError::NoSecret);
        }
        Ok(())
    }

    /// Starts delivering every public change on `events` (read against `current`) to the
    /// endpoints; `None` without endpoints. Call from within a Tokio runtime.
    pub fn start(
        &self,
        events: &SiteEvents,
        current: CurrentSite,
    ) -> Result<Option<Arc<Webhooks>>, WebhookError> {
        self.check()?;
        if self.webhook_urls.is_empty() {
            return Ok(None);
        }
        let secret = self
            .webhook_secret
            .as_deref()
            .ok_or(WebhookError::NoSecret)?;
        let key: Arc<[u8]> = secret_key(secret)
            .map_err(|_| WebhookError::NoSecret)?
            .into();
        let client = reqwest::Client::builder()
            .timeout(self.webhook_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("inkgraph-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| WebhookError::Client(err.without_url().to_string()))?;
        let stats = Arc::new(WebhookStats::default());
        let endpoints: Vec<Arc<Endpoint>> = self
            .webhook_urls
            .iter()
            .map(|url| {
                Arc::new(Endpoint {
                    url: url.clone(),
                    label: endpoint_label(url),
                    queue: Mutex::new(VecDeque::new()),
                    ready: Notify::new(),
                })
            })
            .collect();
        for endpoint in &endpoints {
            tokio::spawn(deliver_forever(
                endpoint.clone(),
                client.clone(),
                key.clone(),
                stats.clone(),
                Retry {
                    attempts: self.webhook_attempts,
                    first_delay: self.webhook_retry_delay,
                },
            ));
        }
        let stream = events.stream(Audience::Public);
        let capacity = self.webhook_queue;
        let dispatch_endpoints = endpoints.clone();
        let dispatch_stats = stats.clone();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            let mut previous = current.load_full();
            while let Some(event) = stream.next().await {
                let next = current.load_full();
                let change = describe(&previous, &next, &event);
                previous = next;
                let body = Body {
                    kind: EVENT_TYPE,
                    timestamp: chrono::Utc::now().to_rfc3339(),
                    data: &change,
                };
                let Ok(body) = serde_json::to_vec(&body) else {
                    continue;
                };
                let message = Arc::new(Message {
                    id: format!("msg_{}_{:016x}", change.version, fastrand::u64(..)),
                    body,
                });
                for endpoint in &dispatch_endpoints {
                    if endpoint.push(message.clone(), capacity) {
                        dispatch_stats.dropped.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            "webhook {}: {capacity} deliveries are waiting (--webhook-queue); dropped the oldest",
                            endpoint.label
                        );
                    }
                }
            }
        });
        tracing::info!(
            "webhooks: delivering public changes to {} endpoint(s): {}",
            endpoints.len(),
            endpoints
                .iter()
                .map(|e| e.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Some(Arc::new(Webhooks { endpoints, stats })))
    }
}

impl Webhooks {
    /// Its counters.
    pub fn stats(&self) -> &WebhookStats {
        &self.stats
    }

    /// Deliveries waiting, over every endpoint.
    pub fn queued(&self) -> usize {
        self.endpoints.iter().map(|e| e.len()).sum()
    }

    /// Its series in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP inkgraph_webhook_deliveries_total Webhook deliveries by outcome: delivered (2xx), given_up (after the last attempt), dropped (from a full queue).\n# TYPE inkgraph_webhook_deliveries_total counter"
        );
        for (outcome, counter) in [
            ("delivered", &self.stats.delivered),
            ("given_up", &self.stats.given_up),
            ("dropped", &self.stats.dropped),
        ] {
            let _ = writeln!(
                out,
                "inkgraph_webhook_deliveries_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP inkgraph_webhook_failed_attempts_total Webhook attempts that failed (error, timeout or non-2xx).\n# TYPE inkgraph_webhook_failed_attempts_total counter\ninkgraph_webhook_failed_attempts_total {}",
            self.stats.failed_attempts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP inkgraph_webhook_queued Webhook deliveries waiting.\n# TYPE inkgraph_webhook_queued gauge\ninkgraph_webhook_queued {}",
            self.queued()
        );
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: usize,
    first_delay: Duration,
}

impl Retry {
    /// The wait after failed attempt `attempt` (from 1): `first_delay · 2^(attempt-1)`,
    /// capped, then "equal jitter" (half fixed, half random) so receivers coming back are not
    /// hit by every sender at once.
    fn delay(&self, attempt: usize) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(20);
        let full = self
            .first_delay
            .saturating_mul(1 << exponent)
            .min(MAX_RETRY_DELAY);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

async fn deliver_forever(
    endpoint: Arc<Endpoint>,
    client: reqwest::Client,
    key: Arc<[u8]>,
    stats: Arc<WebhookStats>,
    retry: Retry,
) {
    loop {
        let Some(message) = endpoint.pop() else {
            endpoint.ready.notified().await;
            continue;
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match send(&client, &endpoint.url, &key, &message).await {
                Ok(()) => {
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!("webhook {}: delivered {}", endpoint.label, message.id);
                    break;
                }
                Err(why) => {
                    stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    if attempt >= retry.attempts {
                        stats.given_up.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            "webhook {}: gave up on {} after {attempt} attempt(s): {why}",
                            endpoint.label,
                            message.id
                        );
                        break;
                    }
                    let delay = retry.delay(attempt);
                    tracing::warn!(
                        "webhook {}: attempt {attempt}/{} of {} failed: {why}; retrying in {} ms",
                        endpoint.label,
                        retry.attempts,
                        message.id,
                        delay.as_millis()
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

/// One attempt; the error says why it failed, without the URL.
async fn send(
    client: &reqwest::Client,
    url: &str,
    key: &[u8],
    message: &Message,
) -> Result<(), String> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &message.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(key, &message.id, timestamp, &message.body),
        )
        .body(message.body.clone())
        .send()
        .await
        .map_err(|err| {
            let kind = if err.is_timeout() {
                "timed out"
            } else if err.is_connect() {
                "cannot connect"
            } else {
                "request failed"
            };
            format!("{kind} ({})", err.without_url())
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks reference libraries' tests.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_checked_without_being_repeated() {
        let good = format!("whsec_{}", BASE64.encode([7u8; 32]));
        assert_eq!(parse_secret(&good).as_deref(), Ok(good.as_str()));
        for bad in ["whsec_short", "whsec_!!!notbase64!!!", "hunter2"] {
            let err = parse_secret(bad).expect_err(bad);
            assert!(!err.contains(bad), "{err}");
        }
    }

    #[test]
    fn logs_show_only_the_host() {
        assert_eq!(
            endpoint_label("https://api.netlify.com/build_hooks/5f2c0ffee?token=abc"),
            "https://api.netlify.com"
        );
        assert_eq!(
            endpoint_label("http://127.0.0.1:9000/hook"),
            "http://127.0.0.1:9000"
        );
        let args = WebhookArgs {
            webhook_urls: vec!["https://hooks.example/secret-path".into()],
            webhook_secret: Some("whsec_c2VjcmV0".into()),
            ..WebhookArgs::default()
        };
        let debug = format!("{args:?}");
        assert!(
            !debug.contains("secret-path") && !debug.contains("c2VjcmV0"),
            "{debug}"
        );
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        let retry = Retry {
            attempts: 10,
            first_delay: Duration::from_secs(1),
        };
        for attempt in 1..=12 {
            let full = Duration::from_secs(1 << (attempt - 1)).min(MAX_RETRY_DELAY);
            let delay = retry.delay(attempt);
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
        assert_eq!(WebhookArgs::default().webhook_attempts, 8);
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let endpoint = Endpoint {
            url: String::new(),
            label: String::new(),
            queue: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
        };
        let message = |id: &str| {
            Arc::new(Message {
                id: id.into(),
                body: Vec::new(),
            })
        };
        assert!(!endpoint.push(message("a"), 2));
        assert!(!endpoint.push(message("b"), 2));
        assert!(endpoint.push(message("c"), 2));
        assert_eq!(endpoint.pop().map(|m| m.id.clone()).as_deref(), Some("b"));
        assert_eq!(endpoint.pop().map(|m| m.id.clone()).as_deref(), Some("c"));
        assert!(endpoint.pop().is_none());
    }
}
