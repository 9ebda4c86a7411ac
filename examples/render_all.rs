//! Loads a blog folder and renders every post's HTML once, as `serve` does when it warms its
//! cache; prints how long each step took. Used by `scripts/bench-vs-hugo.sh` to time inkgraph
//! against `hugo` as a whole process (start, load, render, exit).
//!
//! ```sh
//! cargo run --release --example render_all -- /tmp/corpus-10k
//! cargo run --release --example render_all -- --write /tmp/html /tmp/corpus-10k
//! cargo run --release --example render_all -- --links /tmp/corpus-10k
//! ```
//!
//! With `--links`, the public link graph is built first, as `serve`'s warm-up does (from each
//! post's Markdown pass without HTML), and its time printed as `links_ms`: how long `related`
//! and backlinks wait after a start.
//!
//! With `--write OUT`, every post's HTML is also written to `OUT/<n>.html` (in parallel), for
//! a comparison that includes the disk writes Hugo makes.

use inkgraph::graph::{Audience, PostIdx, Visibility};
use inkgraph::load::{load, LoadOptions};
use inkgraph::site::ServedSite;
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

inkgraph::server_allocator!();

const USAGE: &str = "usage: render_all [--links] [--write OUT] DIR";

fn main() -> ExitCode {
    let mut write: Option<PathBuf> = None;
    let mut root: Option<PathBuf> = None;
    let mut links_first = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => match args.next() {
                Some(out) => write = Some(PathBuf::from(out)),
                None => return fail("--write takes a folder"),
            },
            "--links" => links_first = true,
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

    let start = Instant::now();
    let snapshot = match load(&LoadOptions {
        root,
        visibility: Visibility::default(),
    }) {
        Ok(snapshot) => snapshot,
        Err(e) => return fail(&e.to_string()),
    };
    let loaded = start.elapsed();
    let posts = snapshot.posts.len();
    let served = ServedSite::new(snapshot);
    if links_first {
        served.link_graph(Audience::Public);
    }
    let linked = start.elapsed();
    served.render_all();
    let rendered = start.elapsed();

    let mut bytes = 0usize;
    if let Some(out) = &write {
        if let Err(e) = std::fs::create_dir_all(out) {
            return fail(&format!("cannot create {}: {e}", out.display()));
        }
        let written = (0..posts as PostIdx).into_par_iter().map(|idx| {
            let html = served.rendered(idx).html.unpack();
            let bytes = html.len();
            std::fs::write(out.join(format!("{idx}.html")), html).map(|()| bytes)
        });
        bytes = match written.sum::<std::io::Result<usize>>() {
            Ok(bytes) => bytes,
            Err(e) => return fail(&format!("cannot write into {}: {e}", out.display())),
        };
    }
    let total = start.elapsed();

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    print!("posts {posts} load_ms {:.1}", ms(loaded));
    if links_first {
        print!(" links_ms {:.1}", ms(linked - loaded));
    }
    print!(" render_ms {:.1}", ms(rendered - linked));
    if write.is_some() {
        print!(
            " write_ms {:.1} html_mb {:.1}",
            ms(total - rendered),
            bytes as f64 / 1e6
        );
    }
    println!(" total_ms {:.1}", ms(total));
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("render_all: {message}\n{USAGE}");
    ExitCode::from(2)
}
