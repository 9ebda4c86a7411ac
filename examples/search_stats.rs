//! Search figures for one blog folder (issue #16), printed as one line of JSON: how long the
//! index takes to build against how long the folder takes to load, peak memory with the
//! index against the corpus size, and the known-item relevance rates
//! (`inkgraph::site::search::relevance`).
//!
//! ```sh
//! cargo run --release --example search_stats -- ../shared/corpus/joshbeckman
//! cargo run --release -p gen-corpus -- --posts 10000 --seed 42 /tmp/corpus-10k
//! cargo run --release --example search_stats -- /tmp/corpus-10k
//! ```
//!
//! Output fields: `posts` (loaded), `corpus_bytes` (their source files), `load_ms` (load as
//! `serve` does, no rendering), `index_ms` (the full index build, one thread per core up to
//! four), `index_over_load` (their ratio), `load_cpu_ms` / `index_cpu_ms` (CPU time of all
//! threads in each step: on a busy machine, wall time measures the neighbours too), `peak_rss_bytes` / `rss_ratio` (`VmHWM` after the build,
//! over `corpus_bytes`), `reindex_one_ms` (a reload after one post's file changed, index
//! update included), then `known_item` and `known_item_typo` (rates 0..1, with the number of
//! posts searched) and up to 20 `misses` (query, title). With `--no-relevance` the relevance
//! measure is skipped. With `--queries FILE` (one query per line) it also runs those queries
//! in-process, one thread, cycling for 3 s, and reports `queries` (`per_s`, `p50_us`,
//! `p99_us`): every hit matched, scored and sorted, as `scripts/search-vs-minisearch.sh` asks
//! of MiniSearch over the same posts.

use inkgraph::graph::{Audience, Visibility};
use inkgraph::load::LoadOptions;
use inkgraph::site::search::relevance::known_item;
use inkgraph::site::search::{SearchOrder, SearchOutcome, SearchRequest};
use inkgraph::site::{LiveSite, ServedSite};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

inkgraph::server_allocator!();

const USAGE: &str = "usage: search_stats [--no-relevance] [--queries FILE] DIR";

fn main() -> ExitCode {
    let mut root: Option<PathBuf> = None;
    let mut relevance = true;
    let mut queries_file: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--queries" => match args.next() {
                Some(file) => queries_file = Some(PathBuf::from(file)),
                None => return fail("--queries needs a FILE"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--no-relevance" => relevance = false,
            _ if arg.starts_with('-') || root.is_some() => {
                return fail(&format!("unexpected argument {arg}"))
            }
            _ => root = Some(PathBuf::from(arg)),
        }
    }
    let Some(source) = root else {
        return fail("missing DIR");
    };
    // Measured on a copy: the one-file reload edits a post.
    let copy = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return fail(&format!("cannot make a temporary folder: {e}")),
    };
    if let Err(e) = copy_tree(&source, copy.path()) {
        return fail(&format!("cannot copy {}: {e}", source.display()));
    }
    let options = LoadOptions {
        root: copy.path().to_path_buf(),
        visibility: Visibility::default(),
    };
    let started = Instant::now();
    let cpu_before = cpu_ms();
    let live = match LiveSite::load(&options) {
        Ok(live) => live,
        Err(e) => return fail(&format!("cannot load {}: {e}", options.root.display())),
    };
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let load_cpu_ms = cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let served = live.current().load_full();
    let started = Instant::now();
    let cpu_before = cpu_ms();
    let status = served.build_search_index();
    let index_ms = started.elapsed().as_secs_f64() * 1e3;
    let index_cpu_ms = cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let peak_rss = inkgraph::memory::process_status_bytes("VmHWM:");
    let snapshot = &served.snapshot;
    let mut corpus_bytes = 0u64;
    for post in &snapshot.posts {
        let path = snapshot.root.join(&post.doc.source_path);
        corpus_bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    }

    // One post's file changes: the reload re-indexes it before the swap.
    let reindex_one_ms = snapshot.posts.first().and_then(|post| {
        let path = snapshot.root.join(&post.doc.source_path);
        let mut edited = std::fs::read(&path).ok()?;
        edited.extend_from_slice(b"\nOne more line, to re-index.\n");
        std::fs::write(&path, &edited).ok()?;
        let swap = live.apply(std::slice::from_ref(&path)).ok()?;
        let ready = live.current().load_full().search_status();
        eprintln!("after a one-file reload the new version's index is {ready:?}");
        Some(swap.millis)
    });

    let served = live.current().load_full();
    served.build_search_index();
    let report = relevance.then(|| known_item(&served, Audience::Public));
    let queries =
        match queries_file.map(|file| std::fs::read_to_string(&file).map_err(|e| (file, e))) {
            None => None,
            Some(Ok(text)) => Some(query_speed(&served, &text)),
            Some(Err((file, e))) => return fail(&format!("cannot read {}: {e}", file.display())),
        };
    let line = serde_json::json!({
        "posts": snapshot.posts.len(),
        "corpus_bytes": corpus_bytes,
        "index_status": format!("{status:?}"),
        "load_ms": round(load_ms),
        "index_ms": round(index_ms),
        "index_over_load": round(index_ms / load_ms),
        "load_cpu_ms": load_cpu_ms.map(round),
        "index_cpu_ms": index_cpu_ms.map(round),
        "peak_rss_bytes": peak_rss,
        "rss_ratio": peak_rss.map(|p| round(p as f64 / corpus_bytes.max(1) as f64)),
        "reindex_one_ms": reindex_one_ms.map(round),
        "known_item": report.as_ref().map(|r| serde_json::json!({"rate": round(r.rate()), "posts": r.posts})),
        "known_item_typo": report.as_ref().map(|r| serde_json::json!({"rate": round(r.typo_rate()), "posts": r.typo_posts})),
        "misses": report.as_ref().map(|r| r.misses.clone()),
        "queries": queries,
    });
    println!("{line}");
    std::mem::forget(served);
    std::mem::forget(live);
    drop(copy);
    ExitCode::SUCCESS
}

/// Runs the queries of `text` (one a line) in a loop for 3 s on this thread: every hit
/// matched, scored and sorted (no page, no highlights).
fn query_speed(served: &ServedSite, text: &str) -> serde_json::Value {
    let queries: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if queries.is_empty() {
        return serde_json::Value::Null;
    }
    let mut times = Vec::new();
    let mut hits = 0usize;
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed().as_secs_f64() < 3.0 || i < queries.len() {
        let request = SearchRequest {
            query: queries[i % queries.len()],
            prefix: false,
            fuzzy: true,
            order: SearchOrder::Relevance,
            keep: None,
            ordered: Some(10),
        };
        let one = Instant::now();
        if let Ok(SearchOutcome::Ready(results)) = served.search(Audience::Public, &request) {
            hits += results.hits.len();
        }
        times.push(one.elapsed().as_secs_f64() * 1e6);
        i += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    serde_json::json!({
        "distinct": queries.len(),
        "runs": times.len(),
        "per_s": round(times.len() as f64 / elapsed),
        "p50_us": round(at(0.5)),
        "p99_us": round(at(0.99)),
        "mean_hits": round(hits as f64 / times.len() as f64),
    })
}

/// Copies the folder `from` into `to` (files and folders only).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// CPU time (user and system, all threads) of this process so far, from `/proc/self/stat`
/// (clock ticks taken as 100 per second, Linux's `USER_HZ`).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("search_stats: {message}\n{USAGE}");
    ExitCode::from(2)
}
