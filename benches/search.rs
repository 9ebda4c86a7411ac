//! Full-text search on a generated 10,000-post corpus (seed 42), in-process, index built:
//! each benchmark cycles through 200 queries drawn from the corpus's own title and body
//! words, so the figure is the typical (criterion reports the median) cost of one query of
//! that kind, not of one lucky query.
//!
//! - `site/…`: `ServedSite::search` alone (match, score, sort every hit);
//! - `graphql/…`: the whole GraphQL `search` with a page of 10 hits, their titles, scores
//!   and highlights, `totalCount` and tag facets — what a search box asks;
//! - `graphql/posts_page_of_20`: an uncached `posts(first: 20)` page on the same server, the
//!   yardstick the issue compares search against;
//! - `suggest`: completions of 2-4 letter prefixes.
//!
//! ```sh
//! cargo bench --bench search
//! ```

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use inkgraph::api::{build_schema, QueryLimits};
use inkgraph::graph::Audience;
use inkgraph::load::load;
use inkgraph::site::search::{IndexStatus, SearchOrder, SearchRequest};
use inkgraph::site::ServedSite;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::generated_corpus;

const POSTS: usize = 10_000;
const QUERIES: usize = 200;

/// Words of the corpus: title words and body words of some posts, lower case, 4+ letters.
fn vocabulary(served: &ServedSite) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for post in served.snapshot.posts.iter().step_by(37) {
        let text = format!(
            "{} {}",
            post.doc.title,
            &post.doc.body[..post.doc.body.len().min(400)]
        );
        for word in text.split(|c: char| !c.is_alphabetic()) {
            if word.len() >= 4 && word.is_ascii() {
                words.push(word.to_lowercase());
            }
        }
    }
    words.sort();
    words.dedup();
    words
}

/// `QUERIES` queries of `n` words drawn from `words` (a fixed linear congruential walk).
fn queries(words: &[String], n: usize, seed: u64) -> Vec<String> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % words.len()
    };
    (0..QUERIES)
        .map(|_| {
            (0..n)
                .map(|_| words[next()].clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// One typo in the middle of each word of 5+ letters.
fn with_typos(query: &str) -> String {
    query
        .split(' ')
        .map(|w| {
            let mut chars: Vec<char> = w.chars().collect();
            if chars.len() >= 5 {
                let mid = chars.len() / 2;
                chars.swap(mid, mid + 1);
            }
            chars.into_iter().collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn bench_search(c: &mut Criterion) {
    let corpus = generated_corpus(POSTS);
    let snapshot = load(&corpus.options).expect("load the corpus");
    let served = ServedSite::new(snapshot);
    let started = Instant::now();
    assert_eq!(served.build_search_index(), IndexStatus::Ready);
    eprintln!(
        "index of {POSTS} posts built in {} ms",
        started.elapsed().as_millis()
    );
    let words = vocabulary(&served);
    let one = queries(&words, 1, 1);
    let two = queries(&words, 2, 2);
    let three = queries(&words, 3, 3);
    let typos: Vec<String> = two.iter().map(|q| with_typos(q)).collect();
    let phrases: Vec<String> = served
        .snapshot
        .posts
        .iter()
        .step_by(POSTS / QUERIES)
        .map(|p| {
            let words: Vec<&str> = p.doc.title.split_whitespace().take(2).collect();
            format!("\"{}\"", words.join(" "))
        })
        .collect();
    let prefixes: Vec<String> = one
        .iter()
        .map(|w| w.chars().take(4).collect::<String>())
        .collect();

    let mut group = c.benchmark_group("search");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    let site_cases: [(&str, &Vec<String>, bool); 6] = [
        ("site/one_word", &one, false),
        ("site/two_words", &two, false),
        ("site/three_words", &three, false),
        ("site/two_words_with_typos", &typos, false),
        ("site/phrase", &phrases, false),
        ("site/prefix", &prefixes, true),
    ];
    for (name, list, prefix) in site_cases {
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % list.len();
                let request = SearchRequest {
                    query: &list[i],
                    prefix,
                    fuzzy: true,
                    order: SearchOrder::Relevance,
                    keep: None,
                    ordered: Some(10),
                };
                served.search(Audience::Public, &request).expect("search")
            })
        });
    }

    let schema = build_schema(QueryLimits::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let run = |query: &str, variables: serde_json::Value| {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(Arc::clone(&served));
        let response = runtime.block_on(schema.execute(request));
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response
    };
    const SEARCH_BOX: &str = "query($q: String!) { search(query: $q, first: 10, facets: [TAGS]) { totalCount nodes { score post { title permalink } highlights { field snippet } } facets { tags { name count } } } }";
    for (name, list) in [
        ("graphql/two_words", &two),
        ("graphql/two_words_with_typos", &typos),
    ] {
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % list.len();
                run(SEARCH_BOX, serde_json::json!({ "q": list[i] }))
            })
        });
    }
    group.bench_function("graphql/posts_page_of_20", |b| {
        b.iter(|| {
            run(
                "{ posts(first: 20) { totalCount nodes { title date permalink tags { name } } pageInfo { endCursor } } }",
                serde_json::json!({}),
            )
        })
    });
    let mut i = 0usize;
    group.bench_function("suggest", |b| {
        b.iter(|| {
            i = (i + 1) % prefixes.len();
            let prefix: String = prefixes[i].chars().take(2 + i % 3).collect();
            served.suggest(Audience::Public, &prefix, 8)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
