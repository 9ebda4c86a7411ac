//! Render-all throughput: a fresh `ServedSite` renders every post's HTML (Liquid, Markdown,
//! highlighting, headings, links, plain text), as `serve` does when it warms its cache, over
//! generated Jekyll corpora of 1,000 and 10,000 posts.
//!
//! Corpora come from `gen_corpus::generate` (seed 42), written to temporary folders before
//! timing starts. Each iteration loads a new snapshot (not timed), then times
//! `ServedSite::new` plus `render_all`, so no rendering is ever cached from an earlier
//! iteration; dropping the rendered snapshot is not timed either. Criterion reports time per
//! render-all and elements (posts) per second; after each size the bench also prints the median
//! of every timed iteration in posts per second.
//!
//! ```sh
//! cargo bench --bench render
//! cargo bench --bench render -- --quick   # fewer samples, for a smoke test
//! ```

mod support;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use inkgraph::graph::Snapshot;
use inkgraph::load::{load, LoadOptions};
use inkgraph::site::ServedSite;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use support::generated_corpus;

/// Corpus sizes, in posts.
const SIZES: [usize; 2] = [1_000, 10_000];

/// Loads the corpus; every generated post must load without errors.
fn load_checked(options: &LoadOptions, posts: usize) -> Snapshot {
    let snapshot = load(options).expect("load the corpus");
    assert_eq!(snapshot.stats.posts, posts, "every generated post loads");
    snapshot
}

/// Times rendering every post of a fresh snapshot. The load before it is not timed.
fn render_fresh(options: &LoadOptions, posts: usize) -> Duration {
    let snapshot = load_checked(options, posts);
    let start = Instant::now();
    let served = ServedSite::new(snapshot);
    served.render_all();
    let elapsed = start.elapsed();
    drop(served);
    elapsed
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    let mid = times.len() / 2;
    if times.len() % 2 == 0 {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    }
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_all");
    // Rendering takes seconds (about 3 s for 1,000 posts, 30 s for 10,000 on two cores), so
    // each of the ten flat samples is one render, whatever the measurement time: criterion
    // warns that it cannot finish in the target time, and that is expected. Each timed render
    // is preceded by an untimed load.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));

    for posts in SIZES {
        let corpus = generated_corpus(posts);
        let options = corpus.options.clone();
        eprintln!(
            "render_all/{posts}: corpus of {} posts, {:.1} MB",
            posts,
            corpus.bytes as f64 / 1e6
        );

        // Every timed render (warm-up included), for the posts/s summary below.
        let times = RefCell::new(Vec::new());
        group.throughput(Throughput::Elements(posts as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(posts),
            &options,
            |b, options| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let elapsed = render_fresh(options, posts);
                            times.borrow_mut().push(elapsed);
                            elapsed
                        })
                        .sum()
                })
            },
        );
        let mut times = times.into_inner();
        if !times.is_empty() {
            let median = median(&mut times);
            eprintln!(
                "render_all/{posts}: median {:.1} ms over {} renders = {:.0} posts/s",
                median.as_secs_f64() * 1e3,
                times.len(),
                posts as f64 / median.as_secs_f64()
            );
        }
        // The corpus folder is deleted here, after its benchmark.
    }
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
