//! Live reload latency on the 10,000-post corpus, every post rendered as in a warmed-up
//! server: from one saved file to the new snapshot being served (`LiveSite::apply`: re-read
//! and re-parse the file, patch the previous snapshot, carry the unchanged renderings over,
//! swap it in), against rebuilding every index and a full load for comparison. Each iteration
//! alternates the file between two contents, so every reload really changes the version.
//!
//! ```sh
//! cargo bench --bench reload
//! ```

mod support;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use inkgraph::load::{load, ParsedFolder};
use inkgraph::site::LiveSite;
use inkgraph::site::ServedSite;
use std::time::{Duration, Instant};
use support::generated_corpus;

fn bench_reload(c: &mut Criterion) {
    let corpus = generated_corpus(10_000);
    let options = corpus.options.clone();
    let live = LiveSite::load(&options).expect("load");
    let path = {
        let served = live.current().load_full();
        let idx = served.snapshot.index.newest_first()[500];
        corpus
            .dir
            .path()
            .join(&served.snapshot.post(idx).doc.source_path)
    };
    live.current().load_full().render_all();
    let original = std::fs::read_to_string(&path).expect("read");
    let edited = format!("{original}\nOne more line, saved from an editor.\n");

    let mut group = c.benchmark_group("reload_10k");
    group
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    let mut flip = false;
    // Each save is timed to the swap; then, untimed, the background warm-up (render the
    // changed post, rebuild the link graph) is waited for, as a writer's next save comes
    // after it.
    group.bench_function("one_changed_file", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                flip = !flip;
                std::fs::write(&path, if flip { &edited } else { &original }).expect("write");
                let started = Instant::now();
                let swap = live.apply(std::slice::from_ref(&path)).expect("apply");
                total += started.elapsed();
                assert!(swap.swapped);
                live.current().load_full().warm();
            }
            total
        })
    });
    // The background part: after a swap, everything links and related posts need.
    group.bench_function("warm_after_one_changed_file", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                flip = !flip;
                std::fs::write(&path, if flip { &edited } else { &original }).expect("write");
                let swap = live.apply(std::slice::from_ref(&path)).expect("apply");
                assert!(swap.swapped);
                let served = live.current().load_full();
                let started = Instant::now();
                served.warm();
                total += started.elapsed();
            }
            total
        })
    });
    // For comparison: the same change with every index rebuilt, and the wrapping for
    // serving without renderings to carry over.
    let (mut parsed, _) = ParsedFolder::load(&options).expect("load");
    group.bench_function("parts/full_rebuild", |b| {
        b.iter(|| {
            flip = !flip;
            std::fs::write(&path, if flip { &edited } else { &original }).expect("write");
            parsed.apply(std::slice::from_ref(&path)).expect("apply")
        })
    });
    let snapshot = || load(&options).expect("load");
    group.bench_function("parts/wrap_for_serving", |b| {
        b.iter_batched(snapshot, ServedSite::new, BatchSize::PerIteration)
    });
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("full_load", |b| b.iter(|| load(&options).expect("load")));
    group.finish();
}

criterion_group!(benches, bench_reload);
criterion_main!(benches);
