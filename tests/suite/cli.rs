//! The `inkgraph` binary as a user runs it.

use crate::common;

use common::*;
use std::process::Command;

fn inkgraph(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_inkgraph"))
        .args(args)
        .env_remove("INKGRAPH_CONTENT")
        .output()
        .expect("runs")
}

#[test]
fn check_json_accounts_for_every_file() {
    let root = sample_blog();
    let out = inkgraph(&[
        "check",
        "--content",
        root.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in [
        "root",
        "version",
        "files",
        "posts",
        "drafts",
        "hidden",
        "skipped",
        "tags",
        "serialNumbers",
        "diagnostics",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    let n = |k: &str| report[k].as_u64().expect(k);
    assert_eq!(
        n("files"),
        n("posts") + n("drafts") + n("hidden") + n("skipped")
    );
    assert_eq!(n("serialNumbers"), 5);
}

#[test]
fn check_exits_1_on_errors_and_names_file_and_line() {
    let root = fixture("bad_yaml");
    let out = inkgraph(&["check", "--content", root.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ERROR _posts/2024-01-02-bad-yaml.md:4:28: invalid YAML"),
        "{text}"
    );
    assert!(text.contains("1 errors"), "{text}");
    let json = inkgraph(&[
        "check",
        "--content",
        root.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "ERROR");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 28);
}

#[test]
fn check_on_a_missing_folder_exits_2_with_a_clear_message() {
    let out = inkgraph(&["check", "--content", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/definitely/not/here") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn query_runs_offline_with_variables_and_query_files() {
    let root = sample_blog();
    let root = root.to_str().expect("utf-8");
    let out = inkgraph(&[
        "query",
        "--content",
        root,
        "--variables",
        r#"{"s": "2024.BLG.002"}"#,
        "query($s: String!) { postBySerial(serialNumber: $s) { title } }",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        response["data"]["postBySerial"]["title"],
        "Stock and Survey Sheets"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("q.graphql");
    std::fs::write(&file, "{ site { postCount } }").expect("write");
    let out = inkgraph(&["query", "--content", root, &format!("@{}", file.display())]);
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(response["data"]["site"]["postCount"], 15);

    let out = inkgraph(&["query", "--content", root, "{ nope }"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "errors make the exit code non-zero"
    );
    let invalid: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        invalid.get("data").is_none(),
        "a request error has no `data` key, as over HTTP: {invalid}"
    );
    assert_eq!(
        invalid["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    let missing = inkgraph(&[
        "query",
        "--content",
        root,
        "query($s: String!) { postBySerial(serialNumber: $s) { title } }",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    let missing: serde_json::Value = serde_json::from_slice(&missing.stdout).expect("JSON");
    assert!(missing.get("data").is_none(), "{missing}");
    assert_eq!(missing["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[test]
fn schema_prints_the_sdl() {
    let out = inkgraph(&["schema"]);
    assert!(out.status.success());
    let sdl = String::from_utf8_lossy(&out.stdout);
    assert!(sdl.contains("type Post implements Node"));
}

#[test]
fn serve_refuses_a_missing_folder_with_exit_2() {
    let out = inkgraph(&[
        "serve",
        "--content",
        "/definitely/not/here",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

/// Starts the real server on a free port, checks the log line, the health probe and a query,
/// then stops it.
#[test]
fn serve_logs_its_url_and_answers() {
    use std::io::{BufRead, BufReader, Read, Write};
    let root = sample_blog();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inkgraph"))
        .args([
            "serve",
            "--content",
            root.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("a log line with the URL");
    assert!(
        line.contains("15 posts") && line.contains("diagnostics") && line.contains(" ms"),
        "{line}"
    );
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("address")
        .to_string();

    let health = inkgraph(&["healthcheck", "--url", &format!("http://{addr}/healthz")]);
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /graphql?query=%7Bsite%7BpostCount%7D%7D HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    assert!(
        response.contains(r#"{"data":{"site":{"postCount":15}}}"#),
        "{response}"
    );

    child.kill().expect("stop");
    let _ = child.wait();
    let closed = inkgraph(&["healthcheck", "--url", &format!("http://{addr}/healthz")]);
    assert_eq!(closed.status.code(), Some(1));
}
