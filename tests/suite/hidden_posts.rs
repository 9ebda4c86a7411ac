//! Hidden posts (drafts without `--drafts`, future posts without `--future`, `published:
//! false` posts) never change what the public sees: the public answer of a folder with hidden
//! files is byte-identical to the answer of the same folder without them, for every query and
//! route, versions and ETags included.
//!
//! The property test generates small Jekyll sites whose hidden posts fight the public ones for
//! slugs, titles, serial numbers, permalinks, `redirect_from` aliases and tag spellings, and
//! link to them (wiki links, `{% post_url %}`, Markdown links); then it loads each site with
//! and without its hidden files and compares the answers. The example tests below name each
//! way a hidden post used to show.

use crate::common;
use crate::http_support;

use arc_swap::ArcSwap;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use futures_util::StreamExt;
use http_support::*;
use inkgraph::api::{build_schema, InkSchema, QueryLimits};
use inkgraph::graph::{self, Audience, Visibility};
use inkgraph::load::{self, LoadOptions};
use inkgraph::server::{AppState, HttpConfig};
use inkgraph::site::CurrentSite;
use inkgraph::site::LiveSite;
use inkgraph::site::ServedSite;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const TOKEN: &str = "preview-token-for-hidden-posts-0123456789";

const CONFIG: &str = "title: Hidden test\nurl: https://example.org\n";

// Pools the generated posts draw from, so that they collide.
const STEMS: [&str; 3] = ["alpha", "beta", "gamma"];
const TITLES: [&str; 4] = ["Alpha", "Beta Post", "Gamma", "alpha"];
const SERIALS: [&str; 4] = ["2024.AB.1", "2024.ab.1", "2024.AB.2", "2023.CD.7"];
const PERMALINKS: [&str; 3] = ["/alpha/", "/notes/beta/", "/gamma.html"];
const ALIASES: [&str; 4] = ["/old-alpha/", "/notes/beta/", "/x", "/alpha/"];
const TAGS: [&str; 7] = ["Rust", "rust", "RUST", "Web Dev", "web-dev", "AI", "ai"];
const CATEGORIES: [&str; 2] = ["notes", "Notes"];

/// What the public audience may see of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    Draft,
    Future,
    Unpublished,
    /// A draft whose front matter does not parse (an ERROR on a hidden file).
    BrokenDraft,
}

/// How a post's body refers to another post of the site (by its position in the list).
#[derive(Debug, Clone, Copy)]
enum Ref {
    WikiTitle(usize),
    WikiSlug(usize),
    PostUrl(usize),
    Permalink(usize),
    Alias(usize),
    SourceFile(usize),
}

#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    stem: usize,
    month: u32,
    day: u32,
    title: Option<usize>,
    slug: Option<usize>,
    serial: Option<usize>,
    permalink: Option<usize>,
    aliases: Vec<usize>,
    tags: Vec<usize>,
    category: Option<usize>,
    refs: Vec<Ref>,
}

/// A post file as written: path relative to the root and contents.
#[derive(Debug, Clone)]
struct File {
    path: String,
    text: String,
    hidden: bool,
}

fn kind(public: bool) -> BoxedStrategy<Kind> {
    if public {
        Just(Kind::Public).boxed()
    } else {
        prop_oneof![
            3 => Just(Kind::Draft),
            3 => Just(Kind::Future),
            3 => Just(Kind::Unpublished),
            1 => Just(Kind::BrokenDraft),
        ]
        .boxed()
    }
}

fn reference() -> impl Strategy<Value = Ref> {
    (0usize..8, 0usize..6).prop_map(|(target, how)| match how {
        0 => Ref::WikiTitle(target),
        1 => Ref::WikiSlug(target),
        2 => Ref::PostUrl(target),
        3 => Ref::Permalink(target),
        4 => Ref::Alias(target),
        _ => Ref::SourceFile(target),
    })
}

fn spec(public: bool) -> impl Strategy<Value = Spec> {
    (
        kind(public),
        (0..STEMS.len(), 1u32..=3, 1u32..=28),
        proptest::option::weighted(0.9, 0..TITLES.len()),
        proptest::option::of(0..STEMS.len()),
        proptest::option::of(0..SERIALS.len()),
        proptest::option::of(0..PERMALINKS.len()),
        proptest::collection::vec(0..ALIASES.len(), 0..2),
        proptest::collection::vec(0..TAGS.len(), 0..3),
        proptest::option::of(0..CATEGORIES.len()),
        proptest::collection::vec(reference(), 0..3),
    )
        .prop_map(
            |(
                kind,
                (stem, month, day),
                title,
                slug,
                serial,
                permalink,
                aliases,
                tags,
                category,
                refs,
            )| Spec {
                kind,
                stem,
                month,
                day,
                title,
                slug,
                serial,
                permalink,
                aliases,
                tags,
                category,
                refs,
            },
        )
}

/// A site: one to four public posts and up to four hidden ones, in any order; and which
/// hidden kinds the server shows everyone anyway (`--drafts`, `--future`).
fn site() -> impl Strategy<Value = (Vec<Spec>, Visibility)> {
    (
        proptest::collection::vec(spec(true), 1..=4),
        proptest::collection::vec(spec(false), 0..=4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(public, hidden, drafts, future)| {
            let mut all = public;
            all.extend(hidden);
            (
                Just(all).prop_shuffle(),
                Just(Visibility { drafts, future }),
            )
        })
}

/// Where each spec is written (paths made unique in list order).
fn paths(specs: &[Spec]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let stem = STEMS[spec.stem];
        let (m, d) = (spec.month, spec.day);
        let path = |stem: &str| match spec.kind {
            Kind::Public => format!("_posts/2024-{m:02}-{d:02}-{stem}.md"),
            Kind::Future => format!("_posts/2099-{m:02}-{d:02}-{stem}.md"),
            Kind::Unpublished => format!("_posts/2023-{m:02}-{d:02}-{stem}.md"),
            Kind::Draft | Kind::BrokenDraft => format!("_drafts/{stem}.md"),
        };
        let mut candidate = path(stem);
        if taken.contains(&candidate) {
            candidate = path(&format!("{stem}-{i}"));
        }
        taken.push(candidate);
    }
    taken
}

/// The files of a site, each with whether `visibility` hides it from the public.
fn files(specs: &[Spec], visibility: Visibility) -> Vec<File> {
    let paths = paths(specs);
    let stem_of = |path: &str| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.trim_end_matches(".md").to_string()
    };
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut yaml = String::new();
            if spec.kind == Kind::BrokenDraft {
                yaml.push_str("title: [unclosed\n");
            }
            if let Some(t) = spec.title {
                yaml.push_str(&format!("title: \"{}\"\n", TITLES[t]));
            }
            if matches!(spec.kind, Kind::Draft | Kind::BrokenDraft) {
                // Older than every public post, so that "oldest wins" would favour it.
                yaml.push_str(&format!(
                    "date: 2023-{:02}-{:02} 10:00:00 +0000\n",
                    spec.month, spec.day
                ));
            }
            if spec.kind == Kind::Unpublished {
                yaml.push_str("published: false\n");
            }
            if let Some(s) = spec.slug {
                yaml.push_str(&format!("slug: {}\n", STEMS[s]));
            }
            if let Some(s) = spec.serial {
                yaml.push_str(&format!("serial_number: {}\n", SERIALS[s]));
            }
            if let Some(p) = spec.permalink {
                yaml.push_str(&format!("permalink: {}\n", PERMALINKS[p]));
            }
            if !spec.aliases.is_empty() {
                let list: Vec<&str> = spec.aliases.iter().map(|a| ALIASES[*a]).collect();
                yaml.push_str(&format!("redirect_from: [{}]\n", list.join(", ")));
            }
            if !spec.tags.is_empty() {
                let list: Vec<String> = spec
                    .tags
                    .iter()
                    .map(|t| format!("\"{}\"", TAGS[*t]))
                    .collect();
                yaml.push_str(&format!("tags: [{}]\n", list.join(", ")));
            }
            if let Some(c) = spec.category {
                yaml.push_str(&format!("categories: [{}]\n", CATEGORIES[c]));
            }
            let mut body = format!("Post number {i} of the site.\n\n## Notes\n\n");
            for r in &spec.refs {
                let line = match *r {
                    Ref::WikiTitle(t) => {
                        let other = &specs[t % specs.len()];
                        let title = other.title.map_or("Untitled", |t| TITLES[t]);
                        format!("See [[{title}]].")
                    }
                    Ref::WikiSlug(t) => {
                        let other = &specs[t % specs.len()];
                        format!(
                            "See [[{}|that one]].",
                            STEMS[other.slug.unwrap_or(other.stem)]
                        )
                    }
                    Ref::PostUrl(t) => format!(
                        "See [it]({{% post_url {} %}}).",
                        stem_of(&paths[t % paths.len()])
                    ),
                    Ref::Permalink(t) => {
                        let other = &specs[t % specs.len()];
                        let target = other
                            .permalink
                            .map_or("/2024/01/01/alpha.html", |p| PERMALINKS[p]);
                        format!("See [this]({target}).")
                    }
                    Ref::Alias(t) => format!("See [old]({}).", ALIASES[t % ALIASES.len()]),
                    Ref::SourceFile(t) => {
                        format!("See [file](/{}).", paths[t % paths.len()])
                    }
                };
                body.push_str(&line);
                body.push_str("\n\n");
            }
            let hidden = match spec.kind {
                Kind::Public => false,
                Kind::Draft | Kind::BrokenDraft => !visibility.drafts,
                Kind::Future => !visibility.future,
                Kind::Unpublished => true,
            };
            File {
                path: paths[i].clone(),
                text: format!("---\n{yaml}---\n\n{body}"),
                hidden,
            }
        })
        .collect()
}

fn write_site(root: &Path, files: &[&File]) {
    std::fs::create_dir_all(root.join("_posts")).expect("mkdir");
    std::fs::write(root.join("_config.yml"), CONFIG).expect("write config");
    for file in files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, &file.text).expect("write");
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// Limits high enough for the big comparison queries.
fn limits() -> QueryLimits {
    QueryLimits {
        depth: 40,
        complexity: 10_000_000,
    }
}

fn schema() -> &'static InkSchema {
    static SCHEMA: OnceLock<InkSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| build_schema(limits()))
}

fn http_config() -> HttpConfig {
    HttpConfig {
        limits: limits(),
        max_body_bytes: 1024 * 1024,
        // The comparison queries ask for every key at once: hundreds of aliased lookups.
        max_aliases: 100_000,
        max_response_bytes: 256 * 1024 * 1024,
        timeout: Duration::from_secs(120),
        preview_token: Some(TOKEN.into()),
        ..HttpConfig::default()
    }
}

/// One loaded folder, queried in-process and through the router.
struct Served {
    served: Arc<ServedSite>,
    server: TestServer,
}

fn serve(root: &Path, visibility: Visibility) -> Served {
    let served = ServedSite::new(load_dir(root, visibility));
    let current: CurrentSite = Arc::new(ArcSwap::new(served.clone()));
    let state = AppState::new(current.clone(), &http_config());
    Served {
        served,
        server: TestServer {
            router: state.router(),
            state,
            current,
        },
    }
}

/// The response of `query` as serialized JSON text (the bytes a client would receive).
fn answer(served: &Arc<ServedSite>, audience: Audience, query: &str) -> String {
    let request = async_graphql::Request::new(query)
        .data(served.clone())
        .data(audience);
    let response = runtime().block_on(schema().execute(request));
    serde_json::to_string(&response).expect("JSON")
}

/// Where two answers part: a little of each around the first differing byte.
fn difference(a: &str, b: &str) -> String {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let window = |text: &str| {
        let start = (at.saturating_sub(150)..=at)
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(at);
        let end = (at + 150..text.len() + 1)
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        text.get(start..end.min(text.len()))
            .unwrap_or("")
            .to_string()
    };
    format!(
        "at byte {at}:\n  with hidden files:    …{}…\n  without hidden files: …{}…",
        window(a),
        window(b)
    )
}

/// A GraphQL string literal.
fn lit(text: &str) -> String {
    serde_json::to_string(text).expect("string")
}

const FULL_POST: &str = "fragment Full on Post {
  id slug title date updated permalink url sourcePath categories
  tags { id slug name postCount }
  description image serialNumber { value year series number } layout aliases draft hasToc
  syndication { network url } frontMatter markdown
  html sanitized: html(sanitize: true)
  excerpt htmlExcerpt: excerpt(words: 5, format: HTML) mdExcerpt: excerpt(format: MARKDOWN)
  plainText headings { level text anchor }
  tableOfContents { level text anchor children { level text anchor } }
  readingTimeMinutes images { src alt title }
  links { href text kind target { id slug } domain line }
  backlinks(first: 20) { totalCount edges { cursor node { id slug } } }
  related(first: 20) { post { id slug } score sharedTags { id slug name } linked }
  previous { id } next { id }
  previousInCategory: previous(sameCategory: true) { id }
  nextInCategory: next(sameCategory: true) { id }
  wordCount
}";

const SHORT_POST: &str =
    "fragment Short on Post { id slug title permalink serialNumber { value } }";

/// Every public query the comparison asks, each a whole document.
fn queries(all_files: &[File]) -> Vec<String> {
    let mut out = Vec::new();
    let orders = [
        ("DATE", "DESC"),
        ("DATE", "ASC"),
        ("TITLE", "ASC"),
        ("TITLE", "DESC"),
        ("SERIAL_NUMBER", "ASC"),
        ("WORD_COUNT", "DESC"),
    ];
    let mut posts = String::from("{ ");
    for (i, (field, direction)) in orders.iter().enumerate() {
        posts.push_str(&format!(
            "o{i}: posts(first: 50, orderBy: {{field: {field}, direction: {direction}}}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ ...Full }} }} }} "
        ));
    }
    posts.push_str(
        "paged: posts(first: 1) { pageInfo { endCursor hasNextPage } nodes { id } } \
         last: posts(last: 2) { nodes { id } } }",
    );
    out.push(format!("{posts}\n{FULL_POST}"));

    out.push(
        "{ site { title description url version postCount tagCount } \
           categories { name count } \
           series { series count latest { id slug } } \
           archive { year count months { month count } } \
           diagnostics { severity path line column message } \
           warnings: diagnostics(severity: WARNING) { path message } \
           errors: diagnostics(severity: ERROR) { path message } }"
            .to_string(),
    );

    let tag_fields = "id slug name postCount posts(first: 20) { totalCount nodes { id } } related(first: 20) { tag { id slug name } count }";
    out.push(format!(
        "{{ byCount: tags(first: 50) {{ totalCount pageInfo {{ endCursor }} edges {{ cursor node {{ {tag_fields} }} }} }} \
           byCountAsc: tags(first: 50, orderBy: {{field: COUNT, direction: ASC}}) {{ edges {{ cursor node {{ slug name }} }} }} \
           byName: tags(first: 50, orderBy: {{field: NAME, direction: ASC}}) {{ edges {{ cursor node {{ slug name }} }} }} \
           byNameDesc: tags(first: 50, orderBy: {{field: NAME, direction: DESC}}) {{ edges {{ cursor node {{ slug name }} }} }} \
           cloud: tagCloud {{ name slug count weight level tag {{ id name }} }} \
           cloudFiltered: tagCloud(filter: {{category: \"notes\"}}, levels: 3) {{ name slug count weight level }} \
           graph: linkGraph {{ nodes {{ id kind label weight }} edges {{ source target kind }} }} \
           tagGraph: linkGraph(includeTags: true) {{ nodes {{ id kind label weight }} edges {{ source target kind }} }} }}"
    ));

    // Lookups by every key any post (hidden or not) has or could have.
    let mut keys: Vec<String> = Vec::new();
    keys.extend(STEMS.iter().map(|s| s.to_string()));
    keys.extend(STEMS.iter().map(|s| format!("{s}-2")));
    keys.extend(TITLES.iter().map(|s| s.to_string()));
    keys.extend(SERIALS.iter().map(|s| s.to_string()));
    keys.extend(PERMALINKS.iter().map(|s| s.to_string()));
    keys.extend(PERMALINKS.iter().map(|s| format!("https://example.org{s}")));
    keys.extend(ALIASES.iter().map(|s| s.to_string()));
    for file in all_files {
        keys.push(file.path.clone());
        keys.push(graph::id::post_id(&file.path));
    }
    let mut lookups = String::from("{ ");
    for (i, key) in keys.iter().enumerate() {
        let k = lit(key);
        lookups.push_str(&format!(
            "r{i}: resolve(ref: {k}) {{ ...Short }} \
             s{i}: post(slug: {k}) {{ ...Short }} \
             n{i}: post(serialNumber: {k}) {{ ...Short }} \
             b{i}: postBySerial(serialNumber: {k}) {{ ...Short }} \
             u{i}: post(url: {k}) {{ ...Short }} \
             p{i}: post(path: {k}) {{ ...Short }} \
             i{i}: post(id: {k}) {{ ...Short }} \
             d{i}: node(id: {k}) {{ id }} "
        ));
    }
    for (i, tag) in TAGS.iter().enumerate() {
        let k = lit(tag);
        let id = lit(&graph::id::tag_id(&graph::tag_slug(tag)));
        lookups.push_str(&format!(
            "t{i}: tag(slug: {k}) {{ id slug name postCount }} \
             tn{i}: node(id: {id}) {{ id ... on Tag {{ name }} }} \
             tf{i}: posts(filter: {{tags: [{k}]}}) {{ totalCount nodes {{ id }} }} \
             ta{i}: posts(filter: {{anyTags: [{k}, \"nothing\"]}}) {{ totalCount nodes {{ id }} }} \
             tx{i}: posts(filter: {{excludeTags: [{k}]}}) {{ totalCount nodes {{ id }} }} \
             tc{i}: tagCloud(filter: {{tags: [{k}]}}) {{ name count }} \
             tr{i}: archive(filter: {{anyTags: [{k}]}}) {{ year count }} "
        ));
    }
    for (i, text) in ["Post number", "Alpha", "hidden", "notes"]
        .iter()
        .enumerate()
    {
        let k = lit(text);
        lookups.push_str(&format!(
            "x{i}: posts(filter: {{text: {k}}}) {{ totalCount nodes {{ id }} }} \
             c{i}: posts(filter: {{category: {k}}}) {{ totalCount nodes {{ id }} }} "
        ));
    }
    for (i, series) in ["AB", "ab", "CD"].iter().enumerate() {
        lookups.push_str(&format!(
            "se{i}: posts(filter: {{series: {}}}) {{ totalCount nodes {{ id }} }} ",
            lit(series)
        ));
    }
    lookups.push('}');
    out.push(format!("{lookups}\n{SHORT_POST}"));
    out
}

/// The gauges of `/metrics` (counters, histograms and the start time left out).
fn gauges(metrics: &str) -> Vec<String> {
    let mut counters: Vec<String> = Vec::new();
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some((name, kind)) = rest.split_once(' ') {
                if kind != "gauge" {
                    counters.push(name.to_string());
                }
            }
        }
    }
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| !counters.iter().any(|c| line.starts_with(c.as_str())))
        .filter(|line| !line.starts_with("process_start_time_seconds"))
        .map(str::to_string)
        .collect()
}

/// Everything the public can ask of both folders answers the same.
fn compare_public(
    with: &Served,
    without: &Served,
    all_files: &[File],
) -> Result<(), TestCaseError> {
    for query in queries(all_files) {
        let a = answer(&with.served, Audience::Public, &query);
        let b = answer(&without.served, Audience::Public, &query);
        let parsed: Value = serde_json::from_str(&a).expect("JSON");
        prop_assert!(
            parsed.get("errors").is_none(),
            "errors: {a}\nquery: {query}"
        );
        prop_assert!(
            a == b,
            "GraphQL answers differ {}\nquery: {}",
            difference(&a, &b),
            query
        );
    }
    runtime().block_on(async {
        for query in queries(all_files) {
            for attempt in ["miss", "hit"] {
                let a = with.server.get(&[("query", &query)], &[]).await;
                let b = without.server.get(&[("query", &query)], &[]).await;
                prop_assert_eq!(a.status, StatusCode::OK, "{}", a.text());
                prop_assert!(
                    a.text() == b.text(),
                    "GET bodies differ ({attempt}) {}",
                    difference(&a.text(), &b.text())
                );
                for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
                    prop_assert_eq!(a.header(&name), b.header(&name), "{} differs", name);
                }
                let etag = a.header(header::ETAG);
                let revalidated = without
                    .server
                    .get(&[("query", &query)], &[("if-none-match", &etag)])
                    .await;
                prop_assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
            }
            let body = json!({ "query": query });
            let a = with.server.post(&body, &[]).await;
            let b = without.server.post(&body, &[]).await;
            prop_assert!(
                a.text() == b.text(),
                "POST bodies differ {}",
                difference(&a.text(), &b.text())
            );
        }
        // A preview token that does not match is the public, too.
        let wrong = [("authorization", "Bearer not-the-token-at-all-0000000000")];
        let query = "{ site { version postCount } diagnostics { path message } }";
        let a = with.server.get(&[("query", query)], &wrong).await;
        let b = without.server.get(&[("query", query)], &wrong).await;
        prop_assert_eq!(a.text(), b.text());
        prop_assert_eq!(a.header(header::ETAG), b.header(header::ETAG));

        let ready = || {
            Request::get("/readyz")
                .body(Body::empty())
                .expect("request")
        };
        prop_assert_eq!(
            with.server.send(ready()).await.text(),
            without.server.send(ready()).await.text()
        );
        prop_assert_eq!(
            gauges(&with.server.metrics().await),
            gauges(&without.server.metrics().await)
        );
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hidden_posts_never_change_a_public_answer((specs, visibility) in site()) {
        let all = files(&specs, visibility);
        let dir = tempfile::tempdir().expect("temp dir");
        let (with_root, without_root) = (dir.path().join("with"), dir.path().join("without"));
        write_site(&with_root, &all.iter().collect::<Vec<_>>());
        write_site(&without_root, &all.iter().filter(|f| !f.hidden).collect::<Vec<_>>());
        let with = serve(&with_root, visibility);
        let without = serve(&without_root, visibility);
        compare_public(&with, &without, &all)?;

        // The preview sees the hidden posts, so the comparison above had something to hide.
        let shown = specs
            .iter()
            .filter(|s| match s.kind {
                Kind::Public => true,
                Kind::Draft | Kind::Future => true,
                Kind::Unpublished | Kind::BrokenDraft => false,
            })
            .count() as u64;
        let preview = answer(&with.served, Audience::Preview, "{ site { postCount } }");
        let count: Value = serde_json::from_str(&preview).expect("JSON");
        prop_assert_eq!(count["data"]["site"]["postCount"].as_u64(), Some(shown));
    }
}

// ---------------------------------------------------------------------------------------
// One example per way a hidden post used to show.

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A public post and older hidden posts that want all of its keys.
fn rivals() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "_config.yml", CONFIG);
    write(
        root,
        "_posts/2024-05-01-launch.md",
        "---\ntitle: Launch\nserial_number: 2024.BLG.1\npermalink: /launch/\nredirect_from: [/old-launch/]\ntags: [Rust]\n---\n\nWe launched.\n",
    );
    write(
        root,
        "_drafts/launch.md",
        "---\ntitle: Launch Draft\ndate: 2020-01-01\nserial_number: 2024.blg.1\npermalink: /launch/\nredirect_from: [/old-launch/]\ntags: [RUST]\n---\n\nA secret draft.\n",
    );
    write(
        root,
        "_posts/2019-01-01-launch.md",
        "---\ntitle: Launch Plan\nserial_number: 2024.BLG.1\npublished: false\npermalink: /old-launch/\ntags: [RUST]\n---\n\nNever shown.\n",
    );
    dir
}

fn api(root: &Path) -> Arc<ServedSite> {
    ServedSite::new(load_dir(root, Visibility::default()))
}

fn data(served: &Arc<ServedSite>, audience: Audience, query: &str) -> Value {
    let response: Value = serde_json::from_str(&answer(served, audience, query)).expect("JSON");
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

#[test]
fn older_hidden_posts_do_not_take_a_public_posts_slug_serial_permalink_or_alias() {
    let dir = rivals();
    let served = api(dir.path());
    let public = data(
        &served,
        Audience::Public,
        "{ bySlug: post(slug: \"launch\") { title slug }
           bySerial: postBySerial(serialNumber: \"2024.BLG.1\") { title }
           byUrl: post(url: \"/launch/\") { title }
           byAlias: post(url: \"/old-launch/\") { title }
           resolved: resolve(ref: \"2024.blg.1\") { title } }",
    );
    assert_eq!(
        public,
        json!({
            "bySlug": {"title": "Launch", "slug": "launch"},
            "bySerial": {"title": "Launch"},
            "byUrl": {"title": "Launch"},
            "byAlias": {"title": "Launch"},
            "resolved": {"title": "Launch"},
        })
    );
    // The draft gets what is left, and only a preview sees it.
    let preview = data(
        &served,
        Audience::Preview,
        "{ bySlug: post(slug: \"launch\") { title } draft: post(slug: \"launch-2\") { title } }",
    );
    assert_eq!(
        preview,
        json!({"bySlug": {"title": "Launch"}, "draft": {"title": "Launch Draft"}})
    );
}

#[test]
fn public_diagnostics_name_no_hidden_file() {
    let dir = rivals();
    write(
        dir.path(),
        "_drafts/broken.md",
        "---\ntitle: [oops\n---\n\nx\n",
    );
    let served = api(dir.path());
    let query = "{ diagnostics { path message } }";
    let paths = |audience| -> Vec<String> {
        data(&served, audience, query)["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .map(|d| d["path"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let public = paths(Audience::Public);
    assert!(public.is_empty(), "{public:?}");
    // The preview hears about the draft's lost keys and its broken sibling.
    let preview = paths(Audience::Preview);
    for hidden in [
        "_drafts/launch.md",
        "_drafts/broken.md",
        "_posts/2019-01-01-launch.md",
    ] {
        assert!(preview.iter().any(|p| p == hidden), "{hidden}: {preview:?}");
    }
}

#[test]
fn hidden_posts_do_not_respell_public_tags() {
    let dir = rivals();
    let served = api(dir.path());
    let query = "{ tag(slug: \"rust\") { name } tags { nodes { name } }
                   post(slug: \"launch\") { tags { name } html } }";
    let public = data(&served, Audience::Public, query);
    assert_eq!(public["tag"]["name"], "Rust");
    assert_eq!(public["tags"]["nodes"], json!([{"name": "Rust"}]));
    assert_eq!(public["post"]["tags"], json!([{"name": "Rust"}]));
    // The draft's spelling counts where the draft is seen.
    assert_eq!(
        data(&served, Audience::Preview, query)["tag"]["name"],
        "RUST"
    );
}

#[test]
fn a_public_post_renders_the_same_whatever_hidden_posts_spell() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "_config.yml", CONFIG);
    write(
        root,
        "_posts/2024-05-01-tagged.md",
        "---\ntitle: Tagged\ntags: [Rust]\n---\n\nTags: {{ page.tags | join: \",\" }}; see [[Secret]].\n",
    );
    let before = api(root);
    let idx = before.snapshot.post_by_slug("tagged").expect("post");
    let html = before.rendered(idx).html.unpack();
    write(
        root,
        "_drafts/secret.md",
        "---\ntitle: Secret\ntags: [RUST]\n---\n\nx\n",
    );
    write(
        root,
        "_drafts/secret-2.md",
        "---\ntitle: Secret Two\ntags: [RUST]\n---\n\nx\n",
    );
    let after = api(root);
    let idx = after.snapshot.post_by_slug("tagged").expect("post");
    assert_eq!(after.rendered(idx).html.unpack(), html);
    assert!(html.contains("Tags: Rust;"), "{html}");
}

#[test]
fn metrics_do_not_count_hidden_posts() {
    let dir = rivals();
    let served = serve(dir.path(), Visibility::default());
    let text = runtime().block_on(served.server.metrics());
    assert_eq!(
        metric(&text, r#"inkgraph_posts{audience="public"}"#),
        Some(1.0)
    );
    assert!(!text.contains("preview"), "{text}");
    let version = &served.served.snapshot.version;
    assert_eq!(
        metric(
            &text,
            &format!(r#"inkgraph_corpus_info{{version="{version}"}}"#)
        ),
        Some(1.0)
    );
}

/// Loads `root` live and serves it with the preview token.
fn live_server(root: &Path) -> (Arc<LiveSite>, TestServer) {
    let live = LiveSite::load(&LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    })
    .expect("load");
    let state = AppState::live(live.clone(), &http_config());
    let server = TestServer {
        router: state.router(),
        current: live.current().clone(),
        state,
    };
    (live, server)
}

#[test]
fn editing_a_draft_keeps_the_public_version_etag_and_load_time() {
    let dir = rivals();
    let (live, server) = live_server(dir.path());
    let query = "{ site { version loadedAt } post(slug: \"launch\") { title } }";
    let preview_auth = format!("Bearer {TOKEN}");
    let ask = |auth: Option<&str>| {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        runtime().block_on(server.get(&[("query", query)], &headers))
    };
    let public_before = ask(None);
    let preview_before = ask(Some(&preview_auth));

    let draft = dir.path().join("_drafts/launch.md");
    let mut text = std::fs::read_to_string(&draft).expect("read");
    text.push_str("\nMore secret words.\n");
    std::fs::write(&draft, text).expect("write");
    let swap = live.apply(&[draft]).expect("apply");
    assert!(swap.swapped, "the preview must see the edit");

    let public_after = ask(None);
    assert_eq!(public_after.text(), public_before.text());
    assert_eq!(
        public_after.header(header::ETAG),
        public_before.header(header::ETAG)
    );
    let etag = public_before.header(header::ETAG);
    let revalidated =
        runtime().block_on(server.get(&[("query", query)], &[("if-none-match", &etag)]));
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);

    let preview_after = ask(Some(&preview_auth));
    assert_ne!(
        preview_after.json()["data"]["site"]["version"],
        preview_before.json()["data"]["site"]["version"]
    );
    assert_ne!(
        preview_after.header(header::ETAG),
        preview_before.header(header::ETAG)
    );
}

#[test]
fn corpus_changed_stays_silent_for_the_public_when_only_hidden_files_change() {
    let dir = rivals();
    let (live, _server) = live_server(dir.path());
    let subscription =
        "subscription { corpusChanged { version added updated removed diagnostics { path } } }";
    let stream = |audience: Audience| {
        schema().execute_stream(
            async_graphql::Request::new(subscription)
                .data(live.events().clone())
                .data(audience),
        )
    };
    runtime().block_on(async {
        let mut public = stream(Audience::Public);
        let mut preview = stream(Audience::Preview);
        // Let both subscriptions register.
        let wait = Duration::from_millis(50);
        assert!(tokio::time::timeout(wait, public.next()).await.is_err());
        assert!(tokio::time::timeout(wait, preview.next()).await.is_err());

        let draft = dir.path().join("_drafts/new-idea.md");
        std::fs::write(&draft, "---\ntitle: New Idea\n---\n\nx\n").expect("write");
        live.apply(&[draft]).expect("apply");
        let post = dir.path().join("_posts/2024-06-01-next.md");
        std::fs::write(&post, "---\ntitle: Next\n---\n\nx\n").expect("write");
        let swap = live.apply(&[post]).expect("apply");

        let deadline = Duration::from_secs(10);
        let next = |response: Option<async_graphql::Response>| {
            let response = response.expect("an event");
            assert!(response.errors.is_empty(), "{:?}", response.errors);
            response.data.into_json().expect("JSON")["corpusChanged"].clone()
        };
        // The public hears only about the public post, with the public version.
        let first = next(tokio::time::timeout(deadline, public.next()).await.expect("in time"));
        assert_eq!(
            first,
            json!({"version": swap.version, "added": ["_posts/2024-06-01-next.md"], "updated": [], "removed": [], "diagnostics": []})
        );
        // The preview hears both, the draft first.
        let draft_event =
            next(tokio::time::timeout(deadline, preview.next()).await.expect("in time"));
        assert_eq!(draft_event["added"], json!(["_drafts/new-idea.md"]));
        let post_event =
            next(tokio::time::timeout(deadline, preview.next()).await.expect("in time"));
        assert_eq!(post_event["version"], json!(swap.preview_version));
        assert!(post_event["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["path"] == "_drafts/launch.md"));
        live.events().close();
    });
}

#[test]
fn a_post_that_turns_hidden_is_removed_for_the_public() {
    let dir = rivals();
    let (live, _server) = live_server(dir.path());
    let post = dir.path().join("_posts/2024-05-01-launch.md");
    let text = std::fs::read_to_string(&post).expect("read");
    let before = live.current().load_full();
    std::fs::write(&post, text.replacen("---\n", "---\npublished: false\n", 1)).expect("write");
    let swap = live.apply(&[post]).expect("apply");
    assert!(swap.swapped);
    let after = live.current().load_full();
    assert_ne!(after.snapshot.version, before.snapshot.version);
    assert!(after.snapshot.post_by_slug("launch").is_none());
    // The same folder without its hidden files: no posts at all.
    let empty = tempfile::tempdir().expect("temp dir");
    write(empty.path(), "_config.yml", CONFIG);
    std::fs::create_dir_all(empty.path().join("_posts")).expect("mkdir");
    let fresh = load::load(&LoadOptions {
        root: empty.path().to_path_buf(),
        visibility: Visibility::default(),
    })
    .expect("load");
    assert_eq!(after.snapshot.version, fresh.version);
}

/// The next `corpusChanged` payload of a subscription.
async fn next_change<S>(events: &mut S) -> Value
where
    S: futures_util::Stream<Item = async_graphql::Response> + Unpin,
{
    let response = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event in time")
        .expect("an event");
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.into_json().expect("JSON")["corpusChanged"].clone()
}

#[test]
fn corpus_changed_tells_the_public_a_post_that_turns_hidden_is_removed() {
    let dir = rivals();
    let (live, _server) = live_server(dir.path());
    let subscription = "subscription { corpusChanged { added updated removed } }";
    let stream = |audience: Audience| {
        schema().execute_stream(
            async_graphql::Request::new(subscription)
                .data(live.events().clone())
                .data(audience),
        )
    };
    runtime().block_on(async {
        let mut public = stream(Audience::Public);
        let mut preview = stream(Audience::Preview);
        let wait = Duration::from_millis(50);
        assert!(tokio::time::timeout(wait, public.next()).await.is_err());
        assert!(tokio::time::timeout(wait, preview.next()).await.is_err());

        let launch = "_posts/2024-05-01-launch.md";
        let hidden = "_posts/2019-01-01-launch.md";
        let flip = |path: &str, from: &str, to: &str| {
            let file = dir.path().join(path);
            let text = std::fs::read_to_string(&file).expect("read");
            std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
            live.apply(&[file]).expect("apply");
        };
        // The public post turns hidden, then the hidden one is published.
        flip(launch, "---\n", "---\npublished: false\n");
        flip(hidden, "published: false", "published: true");

        let next = next_change;
        let empty = json!([]);
        assert_eq!(
            next(&mut public).await,
            json!({"added": empty, "updated": empty, "removed": [launch]})
        );
        assert_eq!(
            next(&mut public).await,
            json!({"added": [hidden], "updated": empty, "removed": empty})
        );
        for path in [launch, hidden] {
            assert_eq!(
                next(&mut preview).await,
                json!({"added": empty, "updated": [path], "removed": empty})
            );
        }
        live.events().close();
    });
}
