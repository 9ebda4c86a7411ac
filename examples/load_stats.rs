//! "Ready to serve" and peak memory: loads a blog folder as `inkgraph serve` does before it
//! listens, and prints one line of JSON with the time it took and the process's peak RSS.
//! Used by `scripts/bench-vs-hugo.sh` (docs/PERFORMANCE.md, "Ready to serve and memory").
//!
//! ```sh
//! cargo run --release --example load_stats -- /tmp/corpus-10k
//! ```
//!
//! The steps are those of `serve` up to `bind`: `LiveSite::load` (read, parse, build the
//! graph and its indexes, wrap it in a `ServedSite` with an empty HTML cache) and
//! `AppState::live` (the GraphQL schema and the HTTP state), with the default visibility and
//! HTTP settings. No HTML is rendered (`serve` renders in the background after it listens).
//!
//! Output fields:
//! - `posts`: posts loaded (every status); `files`: post candidates found;
//! - `corpus_bytes`: the summed on-disk size of the loaded posts' source files;
//! - `load_ms`: from the start of `main` to the state being ready, so process start is
//!   not included (time the whole process, as the script does with hyperfine, for that);
//! - `peak_rss_bytes`: `VmHWM` from `/proc/self/status` (the peak resident set of the whole
//!   process so far, so transient allocations made while loading count); `rss_bytes`:
//!   `VmRSS` at the end; both `null` where `/proc` is missing;
//! - `rss_ratio`: `peak_rss_bytes / corpus_bytes`.
//!
//! The process exits without dropping the loaded corpus, as a server would keep it.

use inkgraph::graph::Visibility;
use inkgraph::load::LoadOptions;
use inkgraph::server::{AppState, HttpConfig};
use inkgraph::site::LiveSite;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

inkgraph::server_allocator!();

const USAGE: &str = "usage: load_stats DIR";

fn main() -> ExitCode {
    let start = Instant::now();
    let mut root: Option<PathBuf> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') || root.is_some() => {
                return fail(&format!("unexpected argument {arg}"))
            }
            _ => root = Some(PathBuf::from(arg)),
        }
    }
    let Some(root) = root else {
        return fail("missing DIR");
    };
    if !root.is_dir() {
        return fail(&format!("{} is not a folder", root.display()));
    }

    // What `serve` does before it binds its socket.
    let options = LoadOptions {
        root,
        visibility: Visibility::default(),
    };
    let live = match LiveSite::load(&options) {
        Ok(live) => live,
        Err(e) => return fail(&format!("cannot load {}: {e}", options.root.display())),
    };
    let state = AppState::live(live.clone(), &HttpConfig::default());
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let peak_rss = inkgraph::memory::process_status_bytes("VmHWM:");
    let rss = inkgraph::memory::process_status_bytes("VmRSS:");

    let served = live.current().load_full();
    let snapshot = &served.snapshot;
    let mut corpus_bytes = 0u64;
    for post in &snapshot.posts {
        let path = snapshot.root.join(&post.doc.source_path);
        match std::fs::metadata(&path) {
            Ok(meta) => corpus_bytes += meta.len(),
            Err(e) => return fail(&format!("cannot stat {}: {e}", path.display())),
        }
    }
    let rss_ratio = match peak_rss {
        Some(peak) if corpus_bytes > 0 => Some(peak as f64 / corpus_bytes as f64),
        _ => None,
    };

    let line = serde_json::json!({
        "posts": snapshot.posts.len(),
        "files": snapshot.stats.files,
        "diagnostics": snapshot.diagnostics.len(),
        "corpus_bytes": corpus_bytes,
        "load_ms": (load_ms * 10.0).round() / 10.0,
        "peak_rss_bytes": peak_rss,
        "rss_bytes": rss,
        "rss_ratio": rss_ratio.map(|r| (r * 1000.0).round() / 1000.0),
    });
    println!("{line}");

    // A server keeps all of this until it stops: skip the teardown, as `serve` never does it
    // before listening either.
    std::mem::forget(state);
    std::mem::forget(served);
    std::mem::forget(live);
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("load_stats: {message}\n{USAGE}");
    ExitCode::from(2)
}
