//! Small requests that used to cost huge answers, memory or every worker (issue #12, items
//! 7-9), and what the server answers now.
//!
//! Refusals before execution (aliases, fields, complexity) and answers over the size limit
//! are GraphQL request errors, as GraphQL over HTTP says: `400` with
//! `application/graphql-response+json`, `200` with `application/json`; each names the limit
//! and has an `extensions.code`. Overload and timeouts are `503` with `Retry-After`.
//!
//! The last tests run a real `inkgraph serve` over loopback with a post whose Liquid loops
//! take seconds to render (several seconds in a debug build), which the server renders in the
//! background from its start.

use crate::http_support;

use axum::http::StatusCode;
use http_support::*;
use inkgraph::server::{sha256_hex, HttpConfig};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Answers that refuse are a few hundred bytes, not megabytes.
const SMALL: usize = 2048;

/// `count` copies of `item`, `{i}` replaced by the copy's number.
fn copies(count: usize, item: &str) -> String {
    (0..count)
        .map(|i| item.replace("{i}", &i.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn code(reply: &Value) -> &str {
    reply["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

const GRAPHQL_RESPONSE: (&str, &str) = ("accept", "application/graphql-response+json");

#[tokio::test]
async fn alias_floods_are_refused_before_they_run() {
    let server = TestServer::sample(&HttpConfig {
        max_body_bytes: 256 * 1024,
        ..HttpConfig::default()
    });
    let graphs = format!(
        "{{ {} }}",
        copies(
            900,
            "g{i}:linkGraph(includeTags:true){nodes{id label}edges{source target}}"
        )
    );
    assert!(graphs.len() < 64 * 1024, "as small as the issue's request");
    let html = format!(
        "{{ {} }}",
        copies(2800, "p{i}:post(slug:\"walking-the-old-tram-line\"){html}")
    );
    for query in [&graphs, &html] {
        let reply = server
            .post(&json!({ "query": query }), &[GRAPHQL_RESPONSE])
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
        assert!(reply.body.len() < SMALL, "{} bytes", reply.body.len());
        let message = reply.error_message();
        assert!(
            message.contains("limit of 50")
                && message.contains("--max-aliases")
                && message.contains("INKGRAPH_MAX_ALIASES"),
            "{message}"
        );
        assert_eq!(code(&reply.json()), "TOO_MANY_ALIASES");
        // application/json keeps 200 for request errors.
        let legacy = server.post(&json!({ "query": query }), &[]).await;
        assert_eq!(legacy.status, StatusCode::OK);
        assert_eq!(code(&legacy.json()), "TOO_MANY_ALIASES");
    }

    // Without the alias limit, the weights of `linkGraph` and `html` still refuse them.
    let no_alias_limit = TestServer::sample(&HttpConfig {
        max_body_bytes: 256 * 1024,
        max_aliases: 1_000_000,
        ..HttpConfig::default()
    });
    for query in [&graphs, &html] {
        let reply = no_alias_limit.post(&json!({ "query": query }), &[]).await;
        assert!(reply.body.len() < SMALL, "{} bytes", reply.body.len());
        assert_eq!(code(&reply.json()), "QUERY_TOO_COMPLEX", "{}", reply.text());
        assert!(reply.error_message().contains("limit of 10000"));
    }
}

#[tokio::test]
async fn fragment_fan_out_is_refused_without_expanding_it() {
    // Ten spreads per level, nine levels: 10^9 `site { title }`. async-graphql expands every
    // spread again in each of its validation passes, which took minutes.
    let server = TestServer::sample(&HttpConfig::default());
    let mut query = String::from("query { ...F0 }");
    for level in 0..9 {
        let spread = format!("...F{} ", level + 1);
        query.push_str(&format!(
            " fragment F{level} on Query {{ {} }}",
            spread.repeat(10)
        ));
    }
    query.push_str(" fragment F9 on Query { site { title } }");
    let started = Instant::now();
    let reply = server.post(&json!({ "query": query }), &[]).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code(&reply.json()), "QUERY_TOO_COMPLEX", "{}", reply.text());
    let message = reply.error_message();
    assert!(
        message.contains("a fragment counts in full where it is defined and at each spread")
            && message.contains("--max-complexity"),
        "{message}"
    );
}

#[tokio::test]
async fn html_and_excerpt_floods_cost_what_they_return() {
    let server = TestServer::sample(&HttpConfig::default());
    // 100 posts × 10 whole-post HTML excerpts: 100 × 10 × 50 = 50,000.
    let flood = format!(
        "{{ posts(first: 100) {{ nodes {{ {} }} }} }}",
        copies(10, "e{i}: excerpt(format: HTML, words: 100000)")
    );
    let reply = server.post(&json!({ "query": flood }), &[]).await;
    assert_eq!(code(&reply.json()), "QUERY_TOO_COMPLEX", "{}", reply.text());
    // Short excerpts of 100 posts are fine.
    let feed = "{ posts(first: 100) { nodes { title excerpt(format: HTML) } } }";
    let reply = server.post(&json!({ "query": feed }), &[]).await;
    assert!(reply.json()["data"]["posts"]["nodes"].is_array());

    // What passes the weights is held to the byte limit: the sample's 15 posts have about
    // 65 KB of HTML; at a limit of 16 KB, resolvers stop producing and the answer is one
    // error naming the limit.
    let small = TestServer::sample(&HttpConfig {
        max_response_bytes: 16 * 1024,
        ..HttpConfig::default()
    });
    let bodies = json!({ "query": "{ posts(first: 100) { nodes { html } } }" });
    let replies =
        futures_util::future::join_all((0..4).map(|_| small.post(&bodies, &[GRAPHQL_RESPONSE])))
            .await;
    for reply in replies {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
        assert!(reply.body.len() < SMALL, "{} bytes", reply.body.len());
        assert_eq!(code(&reply.json()), "RESPONSE_TOO_LARGE");
        let message = reply.error_message();
        assert!(
            message.contains("limit of 16384 bytes")
                && message.contains("--max-response-bytes")
                && message.contains("INKGRAPH_MAX_RESPONSE_BYTES"),
            "{message}"
        );
        assert!(reply.json().get("data").is_none(), "nothing of it is sent");
    }
    // Small answers are untouched.
    let titles = small
        .post(
            &json!({"query": "{ posts(first: 100) { nodes { title } } }"}),
            &[],
        )
        .await;
    assert_eq!(titles.status, StatusCode::OK);
    assert!(titles.json()["data"]["posts"]["nodes"][14]["title"].is_string());
}

#[tokio::test]
async fn batches_and_persisted_queries_share_the_limits() {
    let server = TestServer::sample(&HttpConfig::default());
    let persisted =
        |query: &str| json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}});

    // Ten big queries sent with their hashes are refused, so they are not registered: a
    // batch of their hashes (about 1.3 KB) cannot replay them.
    let big: Vec<String> = (0..10)
        .map(|n| {
            format!(
                "{{ {} }}",
                copies(
                    800,
                    &format!("q{n}g{{i}}:linkGraph{{nodes{{id label}}edges{{source target}}}}")
                )
            )
        })
        .collect();
    for query in &big {
        let reply = server
            .post(
                &json!({"query": query, "extensions": persisted(query)}),
                &[],
            )
            .await;
        assert_eq!(code(&reply.json()), "TOO_MANY_ALIASES");
    }
    let hashes: Vec<Value> = big
        .iter()
        .map(|query| json!({"extensions": persisted(query)}))
        .collect();
    let batch = Value::Array(hashes);
    assert!(batch.to_string().len() < 1400);
    let reply = server.post(&batch, &[]).await;
    assert!(reply.body.len() < 10 * 200, "{} bytes", reply.body.len());
    for item in reply.json().as_array().expect("one answer per item") {
        assert_eq!(code(item), "PERSISTED_QUERY_NOT_FOUND");
    }

    // Queries that pass one by one share the batch's limits: aliases…
    let aliased = format!("{{ {} }}", copies(30, "a{i}: site { title }"));
    let reply = server
        .post(&json!([{ "query": aliased }, { "query": aliased }]), &[])
        .await;
    let answers = reply.json();
    assert!(answers[0]["data"]["a29"]["title"].is_string());
    assert_eq!(code(&answers[1]), "TOO_MANY_ALIASES");
    assert!(answers[1]["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("60 aliases")));

    // …complexity: 90 posts with HTML cost 4,591, so two pass and the third does not…
    let bodies = "{ posts(first: 90) { nodes { html } } }";
    let item = json!({ "query": bodies });
    let reply = server.post(&json!([item, item, item]), &[]).await;
    let answers = reply.json();
    assert!(answers[1]["data"]["posts"]["nodes"].is_array());
    assert_eq!(code(&answers[2]), "QUERY_TOO_COMPLEX", "{}", answers[2]);
    assert!(answers[2]["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("together")));

    // …and bytes, for persisted queries too: registered once they ran, replayed by hash,
    // together over the limit, every item is the error naming it.
    let small = TestServer::sample(&HttpConfig {
        max_response_bytes: 100 * 1024,
        ..HttpConfig::default()
    });
    let queries: Vec<String> = (0..10)
        .map(|n| format!("query Q{n} {{ posts(first: 20) {{ nodes {{ html }} }} }}"))
        .collect();
    for query in &queries {
        let reply = small
            .post(
                &json!({"query": query, "extensions": persisted(query)}),
                &[],
            )
            .await;
        assert!(
            reply.json()["data"]["posts"].is_object(),
            "{}",
            reply.text()
        );
    }
    let batch: Vec<Value> = queries
        .iter()
        .map(|query| json!({"extensions": persisted(query)}))
        .collect();
    let reply = small.post(&Value::Array(batch), &[]).await;
    assert!(reply.body.len() < 10 * 400, "{} bytes", reply.body.len());
    let answers = reply.json();
    assert_eq!(answers.as_array().map(Vec::len), Some(10));
    for item in answers.as_array().expect("array") {
        assert_eq!(code(item), "RESPONSE_TOO_LARGE", "{item}");
    }
}

#[tokio::test]
async fn the_document_cache_stays_within_its_bound_and_keeps_only_valid_documents() {
    let bound = 32 * 1024 * 1024;
    let server = TestServer::sample(&HttpConfig {
        document_cache_bytes: bound,
        max_body_bytes: 70 * 1024,
        ..HttpConfig::default()
    });
    // 400 distinct documents of about 64 KB: every second one asks for an unknown field.
    // (Most of each is a comment, which parses quickly in a debug build; the cache charges
    // documents by their length, whatever they hold.)
    let padding = format!("# {}\n", "padding ".repeat(8100));
    let document = |n: usize| {
        let field = if n % 2 == 0 { "title" } else { "noSuchField" };
        format!("query Q{n} {{ site {{ {field} __typename }} }}\n{padding}")
    };
    assert!((63 * 1024..65 * 1024).contains(&document(399).len()));
    // Eight at a time, as concurrent clients would send them.
    for first in (0..400).step_by(8) {
        let bodies: Vec<Value> = (first..first + 8)
            .map(|n| json!({ "query": document(n) }))
            .collect();
        let replies =
            futures_util::future::join_all(bodies.iter().map(|body| server.post(body, &[]))).await;
        for (n, reply) in (first..).zip(replies) {
            let answer = reply.json();
            if n % 2 == 0 {
                assert!(
                    answer["data"]["site"]["title"].is_string(),
                    "{}",
                    reply.text()
                );
            } else {
                assert_eq!(code(&answer), "GRAPHQL_VALIDATION_FAILED");
            }
        }
        let (_, bytes) = server.state.document_cache_usage();
        assert!(
            bytes <= bound,
            "{bytes} bytes after {} documents",
            first + 8
        );
    }
    let (kept, _) = server.state.document_cache_usage();
    assert!(
        (1..=2).contains(&kept),
        "{kept} documents of ~16 MB (estimated)"
    );

    let fresh = TestServer::sample(&HttpConfig::default());
    for n in 0..20 {
        let reply = fresh
            .post(&json!({"query": format!("{{ site {{ f{n} }} }}")}), &[])
            .await;
        assert_eq!(code(&reply.json()), "GRAPHQL_VALIDATION_FAILED");
    }
    assert_eq!(fresh.state.document_cache_usage().0, 0, "invalid: not kept");
    for _ in 0..3 {
        fresh
            .post(&json!({"query": "{ site { title } }"}), &[])
            .await;
    }
    assert_eq!(fresh.state.document_cache_usage().0, 1, "valid: kept once");
}

// --- A real server over loopback, with a post that takes seconds to render ---------------

/// How long to wait for the server to start (a bound, not a sleep).
const START_WAIT: Duration = Duration::from_secs(60);

/// A blog whose one slow post is a 980 KB highlighted code block (seconds of syntax
/// highlighting in a debug build, the slowest step of its first render; Liquid loops are
/// bounded now, so they cannot make a post slow), plus a quick one.
fn slow_blog() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = dir.path().join("_posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    std::fs::write(dir.path().join("_config.yml"), "title: Slow\n").expect("write");
    let line = "fn main() { let x: Vec<u32> = (0..10).map(|i| i * 2).collect(); println!(\"{:?}\", x); } // comment \"str\" 0x1f\n";
    std::fs::write(
        posts.join("2024-01-01-slow.md"),
        format!(
            "---\ntitle: Slow\n---\n\n```rust\n{}```\n\nDone.\n",
            line.repeat(9000)
        ),
    )
    .expect("write");
    std::fs::write(
        posts.join("2024-01-02-quick.md"),
        "---\ntitle: Quick\n---\n\nSee [the slow one](/slow/).\n",
    )
    .expect("write");
    dir
}

/// A running `inkgraph serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    _lines: Receiver<String>,
}

impl Server {
    fn start(content: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_inkgraph"))
            .env_clear()
            .env("NO_COLOR", "1")
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--config",
                "/dev/null",
                "--log-level",
                "inkgraph=info",
                "--content",
            ])
            .arg(content)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + START_WAIT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the server did not start within {START_WAIT:?}"));
            if let Some(rest) = line.split("serving http://").nth(1) {
                break rest.split('/').next().expect("address").to_string();
            }
        };
        Server {
            child,
            addr,
            _lines: lines,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer and how long it took.
struct Answer {
    status: u16,
    head: String,
    body: String,
    elapsed: Duration,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole answer.
fn request(addr: &str, method: &str, path: &str, body: &str) -> Answer {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
        elapsed: started.elapsed(),
    }
}

const DIAGNOSTICS: &str = r#"{"query":"{ diagnostics { path } }"}"#;

/// `count` diagnostics requests at once, each on its own thread.
fn diagnostics_at_once(addr: &str, count: usize) -> Vec<std::thread::JoinHandle<Answer>> {
    (0..count)
        .map(|_| {
            let addr = addr.to_string();
            std::thread::spawn(move || request(&addr, "POST", "/graphql", DIAGNOSTICS))
        })
        .collect()
}

#[test]
fn health_and_readiness_answer_while_slow_queries_run() {
    let blog = slow_blog();
    let server = Server::start(blog.path(), &["--timeout", "120s"]);
    // Twice as many as the async runtime has workers (one per CPU): before, they blocked
    // every worker until the slow post was rendered.
    let count = 4.max(2 * std::thread::available_parallelism().map_or(2, |n| n.get()));
    let started = Instant::now();
    let pending = diagnostics_at_once(&server.addr, count);
    std::thread::sleep(Duration::from_millis(200));
    for path in ["/healthz", "/readyz"] {
        let answer = request(&server.addr, "GET", path, "");
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert!(
            answer.elapsed < Duration::from_secs(1),
            "{path} took {:?}",
            answer.elapsed
        );
    }
    let probed = started.elapsed();
    for handle in pending {
        let answer = handle.join().expect("client thread");
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.json()["data"]["diagnostics"].is_array());
        assert!(
            answer.elapsed > probed,
            "the probes were answered while the diagnostics were still rendering"
        );
    }
}

#[test]
fn requests_past_the_timeout_or_the_queue_get_503_with_retry_after_on_time() {
    let blog = slow_blog();
    let server = Server::start(
        blog.path(),
        &[
            "--timeout",
            "1s",
            "--max-concurrent-queries",
            "1",
            "--max-queued-queries",
            "1",
        ],
    );
    // One runs (waiting for the slow render), one waits for its turn, two are turned away.
    let answers: Vec<Answer> = diagnostics_at_once(&server.addr, 4)
        .into_iter()
        .map(|handle| handle.join().expect("client thread"))
        .collect();
    let mut codes: Vec<String> = answers
        .iter()
        .map(|answer| code(&answer.json()).to_string())
        .collect();
    codes.sort();
    assert_eq!(codes, ["OVERLOADED", "OVERLOADED", "TIMEOUT", "TIMEOUT"]);
    for answer in &answers {
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert_eq!(answer.header("retry-after").as_deref(), Some("1"));
        // On time: the render alone takes longer than this in a debug build.
        assert!(
            answer.elapsed < Duration::from_secs(5),
            "{:?}",
            answer.elapsed
        );
        let message = answer.json()["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        match code(&answer.json()) {
            "OVERLOADED" => assert!(
                message.contains("--max-queued-queries") && answer.elapsed < Duration::from_secs(1),
                "{message} after {:?}",
                answer.elapsed
            ),
            _ => assert!(message.contains("execution limit of 1000 ms"), "{message}"),
        }
    }
    assert_eq!(request(&server.addr, "GET", "/healthz", "").status, 200);
}

#[test]
fn the_limits_are_set_by_flag_environment_or_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inkgraph.toml");
    std::fs::write(&file, "max-aliases = 7\ndocument-cache-bytes = 1048576\n").expect("write");
    let serve = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_inkgraph"));
        command.env_clear().args(["serve", "--print-config"]);
        command
    };
    let out = serve()
        .args(["--max-concurrent-queries", "3"])
        .env("INKGRAPH_CONFIG", &file)
        .env("INKGRAPH_MAX_RESPONSE_BYTES", "2048")
        .env("INKGRAPH_MAX_QUEUED_QUERIES", "5")
        .output()
        .expect("runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    let config: toml::Table = toml::from_str(&printed).unwrap_or_else(|e| panic!("{e}: {printed}"));
    for (key, value) in [
        ("max-aliases", 7),
        ("document-cache-bytes", 1_048_576),
        ("max-concurrent-queries", 3),
        ("max-response-bytes", 2048),
        ("max-queued-queries", 5),
    ] {
        assert_eq!(config[key].as_integer(), Some(value), "{key}: {printed}");
    }
    let out = serve()
        .args(["--config", "/dev/null", "--max-response-bytes", "10"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-response-bytes"), "{stderr}");
}
