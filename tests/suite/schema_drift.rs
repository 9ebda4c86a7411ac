//! `schema.graphql` is generated from the code; this fails when they drift apart.

use inkgraph::api::schema_sdl;

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == schema_sdl(),
        "schema.graphql is out of date with the code; regenerate it with:\n    cargo run -- schema > schema.graphql"
    );
}

/// Every name marked #3 in the API contract exists in the generated schema.
#[test]
fn contract_names_for_the_api_issue_are_present() {
    let sdl = schema_sdl();
    for needle in [
        "node(id: ID!): Node",
        "site: Site!",
        "post(slug: String, id: ID, serialNumber: String, path: String, url: String): Post",
        "postBySerial(serialNumber: String!): Post",
        "posts(first: Int, after: String, last: Int, before: String, filter: PostFilter, orderBy: PostOrder): PostConnection!",
        "tag(slug: String!): Tag",
        "tags(first: Int, after: String, orderBy: TagOrder): TagConnection!",
        "tagCloud(limit: Int = 50, minCount: Int = 1, levels: Int = 5, filter: PostFilter): [TagCloudEntry!]!",
        "categories: [CategoryCount!]!",
        "series: [SeriesCount!]!",
        "archive(filter: PostFilter): [ArchiveYear!]!",
        "diagnostics(severity: Severity): [Diagnostic!]!",
        "interface Node",
        "type Post implements Node",
        "type Tag implements Node",
        "enum PostOrderField",
        "SERIAL_NUMBER",
        "WORD_COUNT",
        "scalar JSON",
        "scalar DateTime",
    ] {
        assert!(sdl.contains(needle), "schema lacks `{needle}`");
    }
}
