//! Single queries executed in-process (`Schema::execute`) on a generated 10,000-post corpus,
//! with every post already rendered and the link graph built (a warmed server):
//! a post by slug with html, a page of 20 posts, a tag cloud of 100, `related(first: 10)`,
//! a filtered and sorted page, and `linkGraph` over 1,000 posts. Also the uncached cost of
//! computing one post's related posts, cycling through all posts.
//!
//! ```sh
//! cargo bench --bench queries
//! ```

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use inkgraph::api::{build_schema, QueryLimits};
use inkgraph::graph::Audience;
use inkgraph::load::load;
use inkgraph::site::ServedSite;
use std::sync::Arc;
use std::time::Duration;
use support::generated_corpus;

const POSTS: usize = 10_000;

fn bench_queries(c: &mut Criterion) {
    let corpus = generated_corpus(POSTS);
    let snapshot = load(&corpus.options).expect("load the corpus");
    let served = ServedSite::new(snapshot);
    served.render_all();
    let graph = served.link_graph(Audience::Public);
    let schema = build_schema(QueryLimits::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let newest = served.snapshot.index.newest_first();
    let slug = served.snapshot.post(newest[0]).slug.clone();
    let tag = served
        .snapshot
        .tag(served.snapshot.index.tags_by_count()[0])
        .slug
        .clone();

    let queries: Vec<(&str, String)> = vec![
        ("post_by_slug_with_html", format!(r#"{{ post(slug: "{slug}") {{ title html }} }}"#)),
        ("page_of_20", "{ posts(first: 20) { totalCount nodes { title date permalink tags { name } } pageInfo { endCursor } } }".into()),
        ("tag_cloud_100", "{ tagCloud(limit: 100) { name count weight level } }".into()),
        ("related_10", format!(r#"{{ post(slug: "{slug}") {{ related(first: 10) {{ score post {{ title }} }} }} }}"#)),
        ("filtered_sorted_page", format!(r#"{{ posts(first: 20, filter: {{tags: ["{tag}"], year: 2020}}, orderBy: {{field: TITLE, direction: ASC}}) {{ totalCount nodes {{ title }} }} }}"#)),
        ("link_graph_1000", "{ linkGraph(filter: {since: \"2024-01-01T00:00:00Z\"}) { nodes { id } edges { source target } } }".into()),
    ];

    let mut group = c.benchmark_group("query");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, query) in &queries {
        let response =
            runtime
                .block_on(schema.execute(
                    async_graphql::Request::new(query.as_str()).data(Arc::clone(&served)),
                ));
        assert!(response.errors.is_empty(), "{name}: {:?}", response.errors);
        group.bench_function(*name, |b| {
            b.iter(|| {
                runtime.block_on(
                    schema.execute(
                        async_graphql::Request::new(query.as_str()).data(Arc::clone(&served)),
                    ),
                )
            })
        });
    }
    let view = served.snapshot.view(Audience::Public);
    let mut next = 0usize;
    group.bench_function("related_uncached_per_post", |b| {
        b.iter(|| {
            next = (next + 1) % newest.len();
            graph.compute_related(view, newest[next])
        })
    });
    group.finish();
}

criterion_group!(benches, bench_queries);
criterion_main!(benches);
