//! Highlighting alone, two ways, over every fenced code block of a blog folder: comrak's
//! `SyntectAdapter` (syntect's `ClassedHTMLGenerator`, what round one shipped) and inkgraph's
//! `render::highlight` adapter (the same grammars and class names, compact markup). Prints
//! one line of JSON per adapter: blocks, code bytes, milliseconds (one thread, best of
//! `ROUNDS`, default 3) and HTML bytes written. Used for docs/PERFORMANCE.md ("Highlighting").
//!
//! ```sh
//! cargo run --release --example highlight_compare -- /tmp/corpus-10k
//! ```

use comrak::adapters::SyntaxHighlighterAdapter;
use comrak::plugins::syntect::SyntectAdapterBuilder;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: highlight_compare DIR");
        std::process::exit(2);
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let blocks = code_blocks(&root);
    let code_bytes: usize = blocks.iter().map(|(_, code)| code.len()).sum();

    let syntect = SyntectAdapterBuilder::new().css().build();
    let compact = inkgraph::render::highlight::adapter();
    let adapters: [(&str, &dyn SyntaxHighlighterAdapter); 2] =
        [("syntect-classed", &syntect), ("inkgraph-compact", compact)];
    for (name, adapter) in adapters {
        // One warm-up pass (lazy syntax loading), then the timed rounds.
        let mut html_bytes = run(adapter, &blocks);
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let started = Instant::now();
            html_bytes = run(adapter, &blocks);
            best = best.min(started.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{{\"adapter\":\"{name}\",\"blocks\":{},\"code_bytes\":{code_bytes},\"ms\":{best:.1},\"html_bytes\":{html_bytes}}}",
            blocks.len()
        );
    }
}

fn run(adapter: &dyn SyntaxHighlighterAdapter, blocks: &[(String, String)]) -> usize {
    let mut total = 0;
    let mut out = String::new();
    for (lang, code) in blocks {
        out.clear();
        if adapter
            .write_highlighted(&mut out, Some(lang), code)
            .is_ok()
        {
            total += out.len();
        }
    }
    total
}

/// Every fenced (```) block of every `.md` file under `root`, as (language, code).
fn code_blocks(root: &Path) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            match (&mut current, line.strip_prefix("```")) {
                (None, Some(info)) => current = Some((info.trim().to_owned(), String::new())),
                (Some(_), Some("")) => blocks.extend(current.take()),
                (Some((_, code)), _) => {
                    code.push_str(line);
                    code.push('\n');
                }
                (None, None) => {}
            }
        }
    }
    blocks
}
