//! The `inkgraph` binary as a user runs it.

mod common;

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
