//! Mutation latency on the generated 10,000-post corpus: `createPost` and `updatePost` through
//! the content store (read and check the file, edit the front matter, validate with the
//! loader, keep the old version, write atomically with fsync, apply to the live site and
//! swap; with git, also commit), each timed from the call to the served answer. Prints p50,
//! p99 and max per operation, without git (trash copies) and with the folder in a git work
//! tree (a commit per mutation), and, as a baseline, the same kind of new file saved by hand
//! and applied the way the watcher applies it.
//!
//! ```sh
//! cargo bench --bench mutations            # 200 of each; MUTATIONS=500 for more
//! ```

mod support;

use inkgraph::site::store::{ContentStore, NewPost, PostUpdate, StoreOptions};
use inkgraph::site::LiveSite;
use serde_json::Value;
use std::time::{Duration, Instant};
use support::generated_corpus;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{label:<28} n={:<4} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times[times.len() - 1]),
    );
}

fn commit_everything(root: &std::path::Path) {
    let repo = git2::Repository::init(root).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("bench", "bench@example.org").expect("signature");
    repo.commit(Some("HEAD"), &sig, &sig, "corpus", &tree, &[])
        .expect("commit");
}

fn run(git: bool, count: usize) {
    let corpus = generated_corpus(10_000);
    if git {
        let started = Instant::now();
        commit_everything(corpus.dir.path());
        println!(
            "(committed the corpus to a new git repository in {:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    let live = LiveSite::load(&corpus.options).expect("load");
    // As in a warmed-up server: every post rendered.
    live.current().load_full().render_all();
    let store = ContentStore::open(live.clone(), StoreOptions::default());
    let label = if git { "git" } else { "no git (trash)" };

    if !git {
        // For comparison: the same changes saved by hand and picked up by the watcher's
        // path (`LiveSite::apply`), without the store (no checks, fsync or history).
        let mut saves = Vec::with_capacity(count);
        // The generated corpus may keep its posts in category folders only.
        std::fs::create_dir_all(corpus.dir.path().join("_posts")).expect("mkdir _posts");
        for i in 0..count {
            let rel = format!("_posts/2030-01-01-by-hand-{i}.md");
            std::fs::write(
                corpus.dir.path().join(&rel),
                format!("---\ntitle: By hand {i}\n---\nText.\n"),
            )
            .expect("write");
            let started = Instant::now();
            live.apply(&[std::path::PathBuf::from(rel)]).expect("apply");
            saves.push(started.elapsed());
            live.current().load_full().warm();
        }
        report("new file + apply (baseline)", saves);
    }

    let mut creates = Vec::with_capacity(count);
    let mut created = Vec::with_capacity(count);
    for i in 0..count {
        let post = NewPost {
            title: format!("Benchmark post number {i}"),
            fields: vec![(
                "tags".into(),
                Value::Array(vec!["bench".into(), "mutations".into()]),
            )],
            markdown: "A paragraph of text written by the benchmark.\n\nAnother one.\n".into(),
            ..NewPost::default()
        };
        let started = Instant::now();
        let written = store.create(post).expect("create");
        creates.push(started.elapsed());
        created.push((written.path, written.revision.expect("revision")));
        // As a writer's next save comes after the background warm-up.
        written.served.warm();
    }
    report(&format!("createPost, {label}"), creates);

    // Updates of existing posts spread over the corpus: one key and the body.
    let served = live.current().load_full();
    let paths: Vec<String> = served
        .snapshot
        .posts
        .iter()
        .step_by(served.snapshot.posts.len() / count.max(1))
        .take(count)
        .map(|p| p.doc.source_path.clone())
        .collect();
    drop(served);
    let mut updates = Vec::with_capacity(count);
    for (i, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(corpus.dir.path().join(path)).expect("read");
        let revision = inkgraph::source::revision_of(&bytes);
        let update = PostUpdate {
            fields: vec![(
                "description".into(),
                Some(Value::String(format!("Edit {i}"))),
            )],
            markdown: Some(format!("Rewritten body {i}.\n")),
            ..PostUpdate::default()
        };
        let started = Instant::now();
        let written = store.update(path, update, &revision).expect("update");
        updates.push(started.elapsed());
        written.served.warm();
    }
    report(&format!("updatePost, {label}"), updates);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used.
    let count: usize = std::env::var("MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    println!("mutation latency on a generated 10,000-post corpus ({count} of each)");
    run(false, count);
    run(true, count);
}
