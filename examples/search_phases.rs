//! Where one search request's time goes, in-process on one thread: for each query of a
//! file (one per line, as the load harness draws them), the match (tantivy, scoring every
//! hit, the first 10 put in order), the highlights of those 10, and the whole GraphQL
//! `search` the harness asks (parse, validate, execute, serialize), against an uncached
//! `posts(first: 20)` page. Medians and means in microseconds.
//!
//! ```sh
//! cargo run --release --example search_phases -- DIR QUERIES_FILE
//! ```

use inkgraph::api::{build_schema, QueryLimits};
use inkgraph::graph::{Audience, Visibility};
use inkgraph::load::LoadOptions;
use inkgraph::site::search::{SearchOrder, SearchOutcome, SearchRequest};
use inkgraph::site::LiveSite;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

inkgraph::server_allocator!();

const SEARCH: &str = "query Search($q: String!) { search(query: $q, first: 10) { status totalCount nodes { score post { title permalink } highlights { field snippet } } } }";
const PAGE: &str = "{ posts(first: 20) { totalCount nodes { title date permalink tags { name } } pageInfo { endCursor } } }";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, queries] = args.as_slice() else {
        eprintln!("usage: search_phases DIR QUERIES_FILE");
        return ExitCode::FAILURE;
    };
    let queries: Vec<String> = match std::fs::read_to_string(queries) {
        Ok(text) => text.lines().take(2000).map(str::to_string).collect(),
        Err(e) => {
            eprintln!("cannot read {queries}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = LoadOptions {
        root: PathBuf::from(dir),
        visibility: Visibility::default(),
    };
    let live = match LiveSite::load(&options) {
        Ok(live) => live,
        Err(e) => {
            eprintln!("cannot load {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = live.current().load_full();
    served.build_search_index();
    let mut matching = Vec::new();
    let mut highlighting = Vec::new();
    let mut hits_total = 0usize;
    for query in &queries {
        let request = SearchRequest {
            query,
            prefix: false,
            fuzzy: true,
            order: SearchOrder::Relevance,
            keep: None,
            ordered: Some(10),
        };
        let started = Instant::now();
        let Ok(SearchOutcome::Ready(results)) = served.search(Audience::Public, &request) else {
            continue;
        };
        matching.push(started.elapsed().as_secs_f64() * 1e6);
        hits_total += results.hits.len();
        let started = Instant::now();
        for hit in results.hits.iter().take(10) {
            std::hint::black_box(served.search_highlights(
                Audience::Public,
                &results.highlighter,
                hit.post,
            ));
        }
        highlighting.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let schema = build_schema(QueryLimits::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let run = |query: &str, variables: serde_json::Value| {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(Arc::clone(&served));
        let started = Instant::now();
        let response = runtime.block_on(schema.execute(request));
        let body = serde_json::to_vec(&response).unwrap_or_default();
        std::hint::black_box(body);
        started.elapsed().as_secs_f64() * 1e6
    };
    let graphql: Vec<f64> = queries
        .iter()
        .map(|q| run(SEARCH, serde_json::json!({ "q": q })))
        .collect();
    let page: Vec<f64> = (0..2000)
        .map(|_| run(PAGE, serde_json::json!({})))
        .collect();
    println!(
        "queries {} (mean hits {:.0})",
        matching.len(),
        hits_total as f64 / matching.len().max(1) as f64
    );
    for (name, mut times) in [
        ("match", matching),
        ("highlights of 10", highlighting),
        ("graphql search", graphql),
        ("graphql page of 20", page),
    ] {
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
        let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
        println!("{name:>20}: median {median:8.1} us, mean {mean:8.1} us");
    }
    ExitCode::SUCCESS
}
