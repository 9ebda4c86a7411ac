//! `inkgraph serve` as operators run it: configuration precedence, `--help`, JSON logs with
//! request ids, SIGHUP reload and SIGTERM shutdown.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// How long to wait for a log line before failing (a bound, not a sleep).
const LOG_WAIT: Duration = Duration::from_secs(60);

fn inkgraph() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inkgraph"));
    // Only what a test sets: no INKGRAPH_* or RUST_LOG from the developer's shell.
    command.env_clear().env("NO_COLOR", "1");
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

#[test]
fn serve_help_lists_every_setting_with_its_default_and_variable() {
    let (code, help, _) = output(inkgraph().args(["serve", "--help"]));
    assert_eq!(code, 0);
    for (flag, env, default) in [
        ("--config", "INKGRAPH_CONFIG", "inkgraph.toml"),
        ("--content", "INKGRAPH_CONTENT", "./content"),
        ("--listen", "INKGRAPH_LISTEN", "127.0.0.1:8000"),
        ("--max-depth", "INKGRAPH_MAX_DEPTH", "15"),
        ("--max-complexity", "INKGRAPH_MAX_COMPLEXITY", "10000"),
        ("--max-body-bytes", "INKGRAPH_MAX_BODY_BYTES", "65536"),
        ("--max-batch", "INKGRAPH_MAX_BATCH", "10"),
        ("--timeout", "INKGRAPH_TIMEOUT", "5s"),
        ("--cache-max-age", "INKGRAPH_CACHE_MAX_AGE", "60s"),
        (
            "--response-cache-entries",
            "INKGRAPH_RESPONSE_CACHE_ENTRIES",
            "1000",
        ),
        ("--apq-entries", "INKGRAPH_APQ_ENTRIES", "1000"),
        ("--cors-origins", "INKGRAPH_CORS_ORIGINS", "*"),
        ("--cors-max-age", "INKGRAPH_CORS_MAX_AGE", "2h"),
        ("--preview-token", "INKGRAPH_PREVIEW_TOKEN", "none"),
        ("--log-format", "INKGRAPH_LOG_FORMAT", "text"),
        ("--log-level", "INKGRAPH_LOG", "info"),
        ("--shutdown-grace", "INKGRAPH_SHUTDOWN_GRACE", "10s"),
    ] {
        let start = help
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        let end = help[start + 2..]
            .find("\n      --")
            .map_or(help.len(), |i| start + 2 + i);
        let entry = &help[start..end];
        assert!(entry.contains(env), "{flag} does not name {env}: {entry}");
        assert!(
            entry.contains("default: ") && entry.contains(default),
            "{flag} has no default {default}: {entry}"
        );
    }
}

#[test]
fn flags_beat_environment_beats_file_beats_defaults() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inkgraph.toml");
    std::fs::write(
        &file,
        "content = \"blog\"\nmax-depth = 7\nmax-batch = 4\ntimeout = \"2s\"\ncors-origins = [\"https://a.example\"]\nlog-format = \"json\"\n",
    )
    .expect("write");
    let (code, printed, stderr) = output(
        inkgraph()
            .args(["serve", "--print-config", "--timeout", "4s"])
            .env("INKGRAPH_CONFIG", &file)
            .env("INKGRAPH_MAX_BATCH", "5")
            .env("INKGRAPH_TIMEOUT", "3s"),
    );
    assert_eq!(code, 0, "{stderr}");
    let config: toml::Table = toml::from_str(&printed).unwrap_or_else(|e| panic!("{e}: {printed}"));
    assert_eq!(config["max-depth"].as_integer(), Some(7), "from the file");
    assert_eq!(
        config["max-batch"].as_integer(),
        Some(5),
        "the environment beats the file"
    );
    assert_eq!(
        config["timeout"].as_str(),
        Some("4s"),
        "the flag beats both"
    );
    assert_eq!(
        config["max-complexity"].as_integer(),
        Some(10000),
        "default"
    );
    assert_eq!(config["log-format"].as_str(), Some("json"));
    assert_eq!(
        config["cors-origins"].as_array().map(|a| a.len()),
        Some(1),
        "{printed}"
    );
    let content = config["content"].as_str().expect("content");
    assert!(
        Path::new(content).ends_with("blog") && Path::new(content).starts_with(dir.path()),
        "relative to the file: {content}"
    );
    assert!(printed.contains("preview-token is not set"));
}

#[test]
fn bad_configuration_stops_with_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inkgraph.toml");
    std::fs::write(&file, "max-depht = 3\n").expect("write");
    let (code, _, stderr) = output(
        inkgraph()
            .args(["serve", "--print-config", "--config"])
            .arg(&file),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("max-depht") && stderr.contains("inkgraph.toml"),
        "{stderr}"
    );

    let (code, _, stderr) = output(
        inkgraph()
            .args(["serve", "--print-config"])
            .env("INKGRAPH_PREVIEW_TOKEN", "short"),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("INKGRAPH_PREVIEW_TOKEN") && stderr.contains("at least 16"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("short"),
        "the token is never echoed: {stderr}"
    );

    let (code, _, stderr) = output(inkgraph().args([
        "serve",
        "--print-config",
        "--cors-origins",
        "https://a.example/",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--cors-origins"), "{stderr}");

    let (code, _, stderr) = output(inkgraph().args([
        "serve",
        "--print-config",
        "--config",
        "/no/such/inkgraph.toml",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("/no/such/inkgraph.toml"), "{stderr}");
}

/// A running `inkgraph serve` whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: Receiver<String>,
    addr: String,
}

impl Running {
    fn start(content: &Path, extra: &[&str]) -> Running {
        let mut child = inkgraph()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--config",
                "/dev/null",
                "--content",
            ])
            .arg(content)
            .args(extra)
            .env("RUST_LOG", "info")
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
        let mut running = Running {
            child,
            lines,
            addr: String::new(),
        };
        let line = running.wait_for("serving http://");
        running.addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("address")
            .to_string();
        running
    }

    /// The next stdout line containing `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + LOG_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with `{needle}` within {LOG_WAIT:?}"),
            }
        }
    }

    /// A raw HTTP/1.0 GET; returns the whole response.
    fn get(&self, path: &str, headers: &str) -> String {
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {}\r\n{headers}\r\n",
            self.addr
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits (bounded) for the process to exit and returns its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + LOG_WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn sighup_reloads_and_sigterm_drains_then_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&sample_blog(), dir.path());
    let mut server = Running::start(dir.path(), &[]);
    let count = "/graphql?query=%7Bsite%7BpostCount%7D%7D";
    assert!(server
        .get(count, "")
        .contains(r#"{"data":{"site":{"postCount":15}}}"#));

    std::fs::write(
        dir.path().join("blog/_posts/2025-09-01-a-new-post.md"),
        "---\ntitle: A New Post\n---\n\nFresh.\n",
    )
    .expect("write");
    server.signal("HUP");
    let line = server.wait_for("reloaded: version");
    assert!(line.contains("16 posts"), "{line}");
    assert!(server
        .get(count, "")
        .contains(r#"{"data":{"site":{"postCount":16}}}"#));
    let metrics = server.get("/metrics", "");
    assert!(
        metrics.contains("\ninkgraph_reloads_total 1\n"),
        "{metrics}"
    );

    server.signal("TERM");
    server.wait_for("shutting down");
    assert_eq!(server.exit_code(), Some(0));
}

#[test]
fn json_logs_carry_the_request_id() {
    let mut server = Running::start(&sample_blog(), &["--log-format", "json"]);
    let response = server.get(
        "/graphql?query=%7Bsite%7Btitle%7D%7D",
        "x-request-id: trace-me-123\r\n",
    );
    assert!(
        response
            .to_lowercase()
            .contains("x-request-id: trace-me-123"),
        "{response}"
    );
    let line = server.wait_for("trace-me-123");
    let entry: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(entry["level"], "INFO");
    assert!(line.contains("\"status\":200"), "{line}");
}
