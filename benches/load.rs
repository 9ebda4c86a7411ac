//! Load throughput: `inkgraph::load::load` (discover, read, parse front matter, build the
//! indexed snapshot; no HTML rendering) over generated Jekyll corpora of 1,000, 10,000 and
//! 50,000 posts (the last writes 324 MB to a temporary folder and takes a few minutes).
//!
//! Corpora come from `gen_corpus::generate` (seed 42) and are written to temporary folders
//! before timing starts, so the files are in the page cache: this measures a warm reload.
//! Criterion reports time per load and posts per second.
//!
//! ```sh
//! cargo bench --bench load
//! cargo bench --bench load -- --quick   # fewer samples, for a smoke test
//! cargo bench --bench load -- 'load/(1000|10000)$'   # without the 50,000-post corpus
//! ```

mod support;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use inkgraph::load::load;
use std::time::Duration;
use support::generated_corpus;

/// Corpus sizes, in posts.
const SIZES: [usize; 3] = [1_000, 10_000, 50_000];

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    // A 10,000-post load takes about a second on two cores: ten flat samples (the same
    // number of loads in each) are enough; 50,000 posts take about six seconds each.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));

    for posts in SIZES {
        let corpus = generated_corpus(posts);
        let options = corpus.options.clone();
        // Check once, outside the timing, that the whole corpus loads.
        let snapshot = load(&options).expect("load the corpus");
        assert_eq!(snapshot.stats.posts, posts, "every generated post loads");
        assert!(
            !snapshot.diagnostics.iter().any(|d| d.is_error()),
            "the generated corpus has no errors"
        );
        drop(snapshot);
        eprintln!(
            "load/{posts}: corpus of {} posts, {:.1} MB",
            posts,
            corpus.bytes as f64 / 1e6
        );

        group.throughput(Throughput::Elements(posts as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(posts),
            &options,
            |b, options| b.iter(|| load(options).expect("load the corpus")),
        );
        // The corpus folder is deleted here, after its benchmark.
    }
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
