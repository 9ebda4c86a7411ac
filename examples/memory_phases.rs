//! Where a warm server's memory goes (issue #20, item 9): runs the steps `serve` takes for
//! one blog folder one after the other — load, search index, public link graph, every post
//! rendered — and prints after each the live heap (bytes the program asked for and has not
//! freed, counted by a wrapping global allocator, so without the allocator's own overhead)
//! next to `VmRSS` and `VmHWM`, then what the documents and the renderings hold.
//!
//! ```sh
//! cargo run --release --example memory_phases -- /tmp/corpus-10k
//! ```
//!
//! The figures in docs/PERFORMANCE.md ("Where a warm server's memory goes") come from it.
//! The documents are measured last, on clones made and dropped, so the resident figures of
//! the steps before are the server's.

use inkgraph::graph::{Audience, PostIdx, Visibility};
use inkgraph::load::LoadOptions;
#[cfg(unix)]
use inkgraph::memory::ServerAllocator as Inner;
use inkgraph::site::{LiveSite, ServedSite};
#[cfg(not(unix))]
use std::alloc::System as Inner;
use std::alloc::{GlobalAlloc, Layout};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the server's allocator unchanged; only the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { Inner.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { Inner.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { Inner.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { Inner.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// The server's allocator settings, as `serve` has them.
inkgraph::allocator_settings!();

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// `VmRSS` and `VmHWM` in MiB (`?` where `/proc/self/status` does not give them).
fn resident() -> String {
    let field = |key: &str| {
        inkgraph::memory::process_status_bytes(key).map_or("?".to_string(), |bytes| {
            format!("{:.1}", mib(bytes as usize))
        })
    };
    format!(
        "VmRSS {} MiB, VmHWM {} MiB",
        field("VmRSS:"),
        field("VmHWM:")
    )
}

fn report(step: &str) {
    println!(
        "{step:<22} live heap {:>7.1} MiB (peak {:>7.1} MiB)  {}",
        mib(LIVE.load(Ordering::Relaxed)),
        mib(PEAK.load(Ordering::Relaxed)),
        resident()
    );
}

/// Live heap bytes that `make` leaves allocated: what its value holds.
fn held_by<T>(make: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let value = make();
    (value, LIVE.load(Ordering::Relaxed).saturating_sub(before))
}

/// What the loaded documents hold, measured on clones.
fn documents(served: &ServedSite) {
    let posts = &served.snapshot.posts;
    let body: usize = posts.iter().map(|p| p.doc.body.len()).sum();
    let (docs, all) = held_by(|| posts.iter().map(|p| (*p.doc).clone()).collect::<Vec<_>>());
    drop(docs);
    let (maps, front_matter) = held_by(|| {
        posts
            .iter()
            .map(|p| (p.doc.front_matter.clone(), p.doc.defaults.clone()))
            .collect::<Vec<_>>()
    });
    drop(maps);
    println!(
        "  documents: {:.1} MiB, of which Markdown bodies {:.1} MiB and front matter {:.1} MiB",
        mib(all),
        mib(body),
        mib(front_matter)
    );
}

/// What the renderings hold.
fn renderings(served: &ServedSite) {
    let (mut html, mut packed, mut headings, mut links, mut images) = (0, 0, 0, 0, 0);
    for idx in 0..served.snapshot.posts.len() as PostIdx {
        let rendered = served.rendered(idx);
        html += rendered.html.len();
        packed += rendered.html.packed_len();
        headings += rendered.headings.len();
        links += rendered.links.links.len();
        images += rendered.images.len();
    }
    println!(
        "  renderings: HTML {:.1} MiB, packed {:.1} MiB; {headings} headings, {links} links, {images} images",
        mib(html),
        mib(packed)
    );
}

fn main() -> ExitCode {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: memory_phases DIR");
        return ExitCode::from(2);
    };
    report("start");
    let options = LoadOptions {
        root: root.into(),
        visibility: Visibility::default(),
    };
    let live = match LiveSite::load(&options) {
        Ok(live) => live,
        Err(err) => {
            eprintln!("cannot load {}: {err}", options.root.display());
            return ExitCode::FAILURE;
        }
    };
    let served = live.current().load_full();
    report("load");
    served.build_search_index();
    report("search index");
    served.link_graph(Audience::Public);
    report("public link graph");
    served.render_all();
    report("every post rendered");
    renderings(&served);
    // Last: the clones it measures would leave their pages to the steps after it.
    documents(&served);
    ExitCode::SUCCESS
}
