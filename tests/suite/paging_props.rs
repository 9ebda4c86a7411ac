//! Walking `posts` forward page by page, and backward, yields exactly the full ordered list,
//! for random filters, orders and page sizes.

use crate::common;

use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| Api::new(&fixture("forms"), inkgraph::graph::Visibility::default()))
}

// `Api` holds a runtime used only through `block_on` from one test thread at a time.
fn slugs(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect()
}

const QUERY: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: PostFilter, $order: PostOrder) {
  posts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
    totalCount nodes { slug } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

fn filter_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!({"tags": ["ai"]})),
        Just(json!({"anyTags": ["rust", "cooking", "maps"]})),
        Just(json!({"year": 2024})),
        Just(json!({"hasSerialNumber": false})),
        Just(json!({"not": {"year": 2024}})),
        Just(json!({"or": [{"year": 2011}, {"tags": ["rust"]}]})),
        Just(json!({"text": "e"})),
        Just(json!({"tags": ["no-such-tag"]})),
    ]
}

fn order_strategy() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("DATE"),
            Just("TITLE"),
            Just("SERIAL_NUMBER"),
            Just("WORD_COUNT")
        ],
        prop_oneof![Just("ASC"), Just("DESC")],
    )
        .prop_map(|(field, direction)| json!({"field": field, "direction": direction}))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn paging_forward_and_backward_yields_the_full_list(
        filter in filter_strategy(),
        order in order_strategy(),
        size in 1i64..9,
    ) {
        let api = api();
        let all = api.data_with(QUERY, json!({"first": 100, "filter": filter, "order": order}));
        let full = slugs(&all["posts"]);
        prop_assert_eq!(all["posts"]["totalCount"].as_u64(), Some(full.len() as u64));

        let mut forward = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = api.data_with(QUERY, json!({"first": size, "after": after, "filter": filter, "order": order}));
            let posts = &page["posts"];
            forward.extend(slugs(posts));
            if posts["pageInfo"]["hasNextPage"] != true { break; }
            after = posts["pageInfo"]["endCursor"].clone();
        }
        prop_assert_eq!(&forward, &full);

        let mut backward: Vec<String> = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = api.data_with(QUERY, json!({"last": size, "before": before, "filter": filter, "order": order}));
            let posts = &page["posts"];
            let mut chunk = slugs(posts);
            chunk.append(&mut backward);
            backward = chunk;
            if posts["pageInfo"]["hasPreviousPage"] != true { break; }
            before = posts["pageInfo"]["startCursor"].clone();
        }
        prop_assert_eq!(&backward, &full);
    }
}
