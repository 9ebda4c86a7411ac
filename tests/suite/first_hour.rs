//! A new user's first hour (issue #15): the playground works with no network, the wrong
//! folder is pointed out, logs are plain when redirected and say what they count, and the
//! small CLI edges (busy port, `--listen 8000`, `/graphql` in a browser, `{ posts { title } }`)
//! answer with what to do.

use crate::common::*;
use crate::http_support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use inkgraph::graph::{LoadSummary, Visibility};
use inkgraph::server::{HttpConfig, PLAYGROUND_ASSETS};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// How long to wait for a log line before failing (a bound, not a sleep).
const LOG_WAIT: Duration = Duration::from_secs(60);

fn inkgraph() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inkgraph"));
    // Only what a test sets: no INKGRAPH_*, RUST_LOG or NO_COLOR from the developer's shell.
    command.env_clear();
    command
}

fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `inkgraph serve` on a free loopback port, its stdout lines on a channel.
struct Server {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    addr: String,
}

impl Server {
    fn start(content: &Path, extra: &[&str]) -> Server {
        let mut child = inkgraph()
            .args(["serve", "--listen", "127.0.0.1:0", "--config", "/dev/null"])
            .arg("--content")
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
        let mut server = Server {
            child,
            lines,
            seen: Vec::new(),
            addr: String::new(),
        };
        let line = server.wait_for("serving http://");
        server.addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("address")
            .to_string();
        server
    }

    /// A stdout line containing every needle, already read or the next one to come (every
    /// line read is kept in `seen`).
    fn wait_for_all(&mut self, needles: &[&str]) -> String {
        if let Some(line) = self
            .seen
            .iter()
            .find(|line| needles.iter().all(|n| line.contains(n)))
        {
            return line.clone();
        }
        let deadline = Instant::now() + LOG_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if needles.iter().all(|n| line.contains(n)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needles:?} within {LOG_WAIT:?}; lines:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    /// A raw HTTP/1.0 GET; the whole response.
    fn get(&self, path: &str) -> String {
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- the playground, offline -------------------------------------------------------------

#[tokio::test]
async fn the_playground_page_and_every_file_it_loads_come_from_the_server_itself() {
    let server = TestServer::sample(&HttpConfig::default());
    let page = server
        .send(Request::get("/").body(Body::empty()).expect("request"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"),
        "the page names no other host: {html}"
    );
    // The page's script and stylesheet, relative to `/`.
    for reference in [
        "playground/playground.js?v=",
        "playground/playground.css?v=",
    ] {
        assert!(html.contains(reference), "{reference} missing: {html}");
    }
    // Every file of the bundle (script, stylesheet, the editor's workers, its font) is served
    // with its type and exactly the embedded bytes.
    for asset in PLAYGROUND_ASSETS {
        let reply = server
            .send(
                Request::get(format!("/playground/{}?v=1", asset.name))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", asset.name);
        assert_eq!(reply.header("content-type"), asset.content_type);
        assert!(reply.header("cache-control").contains("immutable"));
        assert!(reply.body == asset.bytes, "{} differs", asset.name);
    }
    let css = String::from_utf8_lossy(
        PLAYGROUND_ASSETS
            .iter()
            .find(|a| a.name == "playground.css")
            .expect("css")
            .bytes,
    );
    assert!(
        css.contains("codicon.ttf"),
        "the stylesheet loads the bundled font"
    );
    let missing = server
        .send(
            Request::get("/playground/react.js")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn graphql_opened_in_a_browser_points_to_the_playground() {
    let server = TestServer::sample(&HttpConfig::default());
    let browser = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
    let page = server.get(&[], &[browser]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header("content-type").starts_with("text/html"));
    let text = page.text();
    assert!(
        text.contains(r#"<a href="./">playground</a>"#),
        "links to the playground: {text}"
    );

    // A query opened in a browser still runs, and API clients keep the JSON 400.
    let query = server
        .get(&[("query", "{ site { postCount } }")], &[browser])
        .await;
    assert_eq!(query.status, StatusCode::OK);
    assert_eq!(query.json()["data"]["site"]["postCount"], 15);
    let api_client = server.get(&[], &[("accept", "application/json")]).await;
    assert_eq!(api_client.status, StatusCode::BAD_REQUEST);
    assert!(api_client
        .header("content-type")
        .starts_with("application/json"));
}

#[tokio::test]
async fn a_post_field_asked_of_the_list_suggests_nodes() {
    let server = TestServer::sample(&HttpConfig::default());
    let reply = server
        .post(&json!({"query": "{ posts { title } }"}), &[])
        .await;
    let message = reply.error_message();
    assert!(
        message.contains("Unknown field") && message.contains("{ nodes { title } }"),
        "{message}"
    );
}

// --- the wrong folder ----------------------------------------------------------------------

#[test]
fn check_fails_on_a_folder_without_posts_unless_allowed() {
    let empty = tempfile::tempdir().expect("temp dir");
    let (code, report, stderr) = output(inkgraph().arg("check").arg("--content").arg(empty.path()));
    assert_eq!(code, 1, "{report}{stderr}");
    assert!(report.contains("0 files: 0 posts"), "{report}");
    assert!(
        stderr.contains("warning: no posts found") && stderr.contains("--allow-empty"),
        "{stderr}"
    );

    let (code, _, stderr) = output(
        inkgraph()
            .args(["check", "--allow-empty", "--content"])
            .arg(empty.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: no posts found"), "still warned");
    let (code, _, _) = output(
        inkgraph()
            .arg("check")
            .arg("--content")
            .arg(empty.path())
            .env("INKGRAPH_ALLOW_EMPTY", "true"),
    );
    assert_eq!(code, 0, "the flag has an environment variable");

    // Only a future post: nothing public, which fails too, saying why.
    let later = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(later.path().join("_posts")).expect("mkdir");
    std::fs::write(
        later.path().join("_posts/2999-01-01-later.md"),
        "---\ntitle: Later\n---\nText.\n",
    )
    .expect("write");
    let (code, _, stderr) = output(inkgraph().arg("check").arg("--content").arg(later.path()));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no public posts: 0 drafts and 1 hidden"),
        "{stderr}"
    );
    let (code, _, stderr) = output(
        inkgraph()
            .args(["check", "--future", "--content"])
            .arg(later.path()),
    );
    assert_eq!(code, 0, "--future shows it: {stderr}");
}

#[test]
fn a_posts_folder_given_as_the_root_gets_a_hint_naming_the_site_root() {
    let site = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), site.path());
    let posts = site.path().join("blog/_posts");
    let (code, _, stderr) = output(inkgraph().arg("check").arg("--content").arg(&posts));
    assert_eq!(code, 0, "{stderr}");
    let site_root = std::fs::canonicalize(site.path()).expect("canonical");
    assert!(
        stderr.contains("is a `_posts` folder, not the site's root")
            && stderr.contains(&format!("--content {}", site_root.display())),
        "{stderr}"
    );
    // The site root itself gets no hint.
    let (_, _, stderr) = output(inkgraph().arg("check").arg("--content").arg(site.path()));
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn serve_warns_about_an_empty_folder_before_it_serves() {
    let empty = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(empty.path(), &["--log-level", "info"]);
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains(" WARN ") && l.contains("no posts found")),
        "{:#?}",
        server.seen
    );
    // Served anyway (a watched folder may fill up).
    assert!(server.get("/readyz").contains("0 posts"));
    let _ = server.wait_for("rendered all 0 loaded posts");
}

// --- logs ----------------------------------------------------------------------------------

#[test]
fn redirected_logs_are_plain_and_probes_log_at_debug() {
    let mut server = Server::start(&sample_blog(), &["--log-level", "info"]);
    let _ = server.get("/healthz");
    let _ = server.get("/readyz");
    let _ = server.get("/metrics");
    let _ = server.get("/graphql?query=%7Bsite%7BpostCount%7D%7D");
    let _ = server.wait_for_all(&["path=/graphql", "finished processing request"]);
    let seen = server.seen.join("\n");
    assert!(
        !seen.contains('\u{1b}'),
        "no ANSI colour codes when stdout is not a terminal:\n{seen}"
    );
    for probe in ["/healthz", "/readyz", "/metrics"] {
        assert!(
            !seen.contains(&format!("path={probe}")),
            "{probe} logged at info:\n{seen}"
        );
    }
    drop(server);

    let mut server = Server::start(&sample_blog(), &["--log-level", "info,inkgraph=debug"]);
    let _ = server.get("/healthz");
    let line = server.wait_for_all(&["path=/healthz", "finished processing request"]);
    assert!(line.contains("DEBUG"), "{line}");
}

#[test]
fn serve_and_check_report_the_same_counts() {
    let expected = LoadSummary::of(&load_dir(&sample_blog(), Visibility::default())).to_string();
    assert!(
        expected.starts_with(
            "18 files: 15 posts, 1 drafts, 2 hidden, 0 skipped; 34 tags (28 on public posts)"
        ),
        "{expected}"
    );
    let (code, report, _) = output(inkgraph().arg("check").arg("--content").arg(sample_blog()));
    assert_eq!(code, 0);
    assert!(report.contains(&expected), "{report}");
    let (_, json, _) = output(
        inkgraph()
            .args(["check", "--format", "json", "--content"])
            .arg(sample_blog()),
    );
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(
        (&json["publicPosts"], &json["publicTags"], &json["tags"]),
        (&json!(15), &json!(28), &json!(34))
    );

    let mut server = Server::start(&sample_blog(), &["--log-level", "info"]);
    let serving = server
        .seen
        .iter()
        .find(|l| l.contains("serving http://"))
        .cloned()
        .expect("the start line");
    assert!(serving.contains(&expected), "{serving}");
    let rendered = server.wait_for("rendered all");
    assert!(
        rendered.contains("rendered all 18 loaded posts (15 public"),
        "the rendering counts loaded posts and says so: {rendered}"
    );
}

#[test]
fn load_errors_log_at_error_and_render_diagnostics_say_where_to_see_them() {
    let site = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), site.path());
    std::fs::write(
        site.path().join("blog/_posts/2025-09-01-broken.md"),
        "---\ntitle: [unclosed\n---\nText.\n",
    )
    .expect("write");
    std::fs::write(
        site.path().join("blog/_posts/2025-09-02-liquid.md"),
        "---\ntitle: Liquid\n---\n{% no_such_tag %}\n",
    )
    .expect("write");
    let mut server = Server::start(site.path(), &["--log-level", "info"]);
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains(" ERROR ") && l.contains("2025-09-01-broken.md")),
        "{:#?}",
        server.seen
    );
    let rendered = server.wait_for("rendered all");
    assert!(
        rendered.contains("1 render diagnostics") && rendered.contains("inkgraph check --content"),
        "{rendered}"
    );
}

// --- CLI edges -----------------------------------------------------------------------------

#[test]
fn a_busy_port_fails_before_loading_and_names_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let started = Instant::now();
    // A content folder that does not exist: failing on it would mean loading came first.
    let (code, _, stderr) = output(inkgraph().args([
        "serve",
        "--config",
        "/dev/null",
        "--content",
        "/no/such/blog",
        "--listen",
        &addr,
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}"))
            && stderr.contains("--listen")
            && stderr.contains("INKGRAPH_LISTEN"),
        "{stderr}"
    );
    assert!(!stderr.contains("/no/such/blog"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_port_alone_means_loopback() {
    for (given, listen) in [
        ("8000", "127.0.0.1:8000"),
        (":8001", "127.0.0.1:8001"),
        ("localhost:8002", "127.0.0.1:8002"),
        ("0.0.0.0:8003", "0.0.0.0:8003"),
        ("[::1]:8004", "[::1]:8004"),
    ] {
        let (code, printed, stderr) = output(inkgraph().args([
            "serve",
            "--print-config",
            "--config",
            "/dev/null",
            "--listen",
            given,
        ]));
        assert_eq!(code, 0, "{given}: {stderr}");
        // `--print-config` echoes the setting as given (a valid file value either way).
        assert!(
            printed.contains(&format!("listen = \"{given}\"")),
            "{given}: {printed}"
        );
        assert_eq!(
            inkgraph::settings::parse_listen(given),
            Ok(listen.parse().expect("addr")),
            "{given}"
        );
    }
    let (code, _, stderr) = output(
        inkgraph()
            .args(["serve", "--print-config", "--config", "/dev/null"])
            .env("INKGRAPH_LISTEN", "eighty"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("eighty") && stderr.contains("port like 8000"),
        "{stderr}"
    );
    assert_eq!(
        inkgraph::settings::parse_listen(" 9000 "),
        Ok("127.0.0.1:9000".parse().expect("addr"))
    );
}
