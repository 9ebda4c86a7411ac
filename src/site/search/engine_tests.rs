//! Term-at-a-time scoring finds what tantivy finds, with the same scores.

use super::*;
use crate::graph::Snapshot;
use crate::graph::{Audience, Visibility};
use crate::load::LoadOptions;
use crate::site::{LiveSite, ServedSite};
use std::path::Path;

const WORDS: [&str; 16] = [
    "river", "lantern", "copper", "harbour", "walking", "gardens", "compiler", "tiles", "orchard",
    "rivers", "winter", "signal", "bridges", "ferry", "kettle", "meadow",
];

/// A word of [`WORDS`], picked by a small deterministic mix of `n` and `salt`.
fn word(n: usize, salt: usize) -> &'static str {
    WORDS[(n * 7 + salt * 3 + n / 3) % WORDS.len()]
}

/// Posts whose fields use the words unevenly (some in titles, tags, headings, descriptions,
/// most in bodies, some repeated), a serial number, a draft and a future post.
fn write_site(root: &Path, posts: usize, variant: usize) {
    std::fs::create_dir_all(root.join("_posts")).expect("mkdir");
    std::fs::create_dir_all(root.join("_drafts")).expect("mkdir");
    std::fs::write(root.join("_config.yml"), "title: T\n").expect("write");
    for n in 0..posts {
        let body: Vec<&str> = (0..(n % 9) * 4 + 3)
            .map(|i| word(n + i, i + variant))
            .collect();
        let text = format!(
            "---\ntitle: The {} and {}\ntags: [{}, {}]\ndescription: About {}\n{}---\n\n\
             ## {} notes\n\n{}\n\nMore {} {}.\n",
            word(n, 1),
            word(n, 2 + variant),
            word(n, 3),
            word(n, 4),
            word(n, 5),
            if n == 4 {
                "serial_number: 2025.BLG.124\n"
            } else {
                ""
            },
            word(n, 6),
            body.join(" "),
            word(n, 7),
            word(n, 7),
        );
        let day = 1 + n % 28;
        let month = 1 + (n / 28) % 12;
        std::fs::write(
            root.join(format!("_posts/2024-{month:02}-{day:02}-p{n}.md")),
            text,
        )
        .expect("write");
    }
    std::fs::write(
        root.join("_drafts/hidden.md"),
        "---\ntitle: Hidden river lantern\n---\n\nriver river kettle\n",
    )
    .expect("write");
    std::fs::write(
        root.join("_posts/2999-01-01-future.md"),
        "---\ntitle: Future copper\n---\n\ncopper meadow\n",
    )
    .expect("write");
}

fn load(root: &Path) -> Arc<ServedSite> {
    let options = LoadOptions {
        root: root.to_path_buf(),
        visibility: Visibility::default(),
    };
    let live = LiveSite::load(&options).expect("load");
    live.current().load_full()
}

/// A generated site of `count` posts, loaded, and its English index.
fn indexed_site(count: usize) -> (Arc<ServedSite>, Searchable) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_site(dir.path(), count, 0);
    let served = load(dir.path());
    let searchable = SearchIndex::new(Some(Language::English))
        .update(&posts(&served.snapshot))
        .expect("index");
    (served, searchable)
}

fn posts(snapshot: &Snapshot) -> Vec<Arc<Document>> {
    snapshot.posts.iter().map(|p| p.doc.clone()).collect()
}

type Hits = Vec<(PostIdx, f32)>;

/// Both ways of running `query`: hits sorted by post, with scores.
fn both(
    searchable: &Searchable,
    query: &str,
    fuzzy: bool,
    slot: usize,
    visible: &PostIndex,
) -> Option<(Hits, Hits)> {
    let parsed = ParsedQuery::parse(query, false);
    let totals = searchable.totals[slot].get_or_init(|| searchable.totals_over(visible));
    let statistics = AudienceStatistics {
        searchable,
        totals,
        visible,
        doc_freqs: &searchable.doc_freqs[slot],
    };
    let options = MatchOptions { fuzzy };
    let built = searchable
        .build_query(&parsed, options, &statistics, false)
        .expect("build");
    let terms = built.as_terms()?;
    let mut by_terms = terms
        .hits(searchable.segments(), &statistics, visible, NO_POST)
        .expect("by terms");
    let built = searchable
        .build_query(&parsed, options, &statistics, false)
        .expect("build");
    let mut by_tantivy = searchable
        .run_tantivy(&*built.into_query(), &statistics, visible)
        .expect("by tantivy");
    by_terms.sort_by_key(|(idx, _)| *idx);
    by_tantivy.sort_by_key(|(idx, _)| *idx);
    Some((by_terms, by_tantivy))
}

fn assert_same(searchable: &Searchable, snapshot: &Snapshot, label: &str) {
    let mut queries: Vec<String> = Vec::new();
    for (i, a) in WORDS.iter().enumerate() {
        queries.push(a.to_string());
        queries.push(format!("{a} {}", WORDS[(i + 5) % WORDS.len()]));
        queries.push(format!("{a} -{}", WORDS[(i + 3) % WORDS.len()]));
        queries.push(format!(
            "{a} {} {}",
            WORDS[(i + 1) % WORDS.len()],
            WORDS[(i + 9) % WORDS.len()]
        ));
    }
    // Typos (expanded to neighbours), a serial number, words nowhere, a single-word phrase.
    queries.extend(
        [
            "lantren",
            "harbor gardns",
            "2025.BLG.124",
            "2025.blg.124 river",
            "zebra",
            "\"river\"",
        ]
        .map(String::from),
    );
    let mut compared = 0;
    for audience in [Audience::Public, Audience::Preview] {
        let slot = super::super::slot(audience);
        let visible = snapshot.view(audience).index;
        for query in &queries {
            for fuzzy in [true, false] {
                let Some((by_terms, by_tantivy)) = both(searchable, query, fuzzy, slot, visible)
                else {
                    continue;
                };
                compared += 1;
                let posts = |hits: &[(PostIdx, f32)]| hits.iter().map(|h| h.0).collect::<Vec<_>>();
                assert_eq!(
                    posts(&by_terms),
                    posts(&by_tantivy),
                    "{label}: {query:?} (fuzzy {fuzzy}, {audience:?}) finds other posts"
                );
                for ((idx, a), (_, b)) in by_terms.iter().zip(&by_tantivy) {
                    assert!(
                        (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                        "{label}: {query:?} scores post {idx} {a}, tantivy {b}"
                    );
                }
            }
        }
    }
    // Nearly every query is terms only (a phrase of one word is a word).
    assert!(
        compared >= queries.len() * 4 - 8,
        "{label}: only {compared} compared"
    );
}

#[test]
fn term_at_a_time_scores_as_tantivy_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_site(dir.path(), 120, 0);
    let first = &load(dir.path()).snapshot;
    let index = SearchIndex::new(Some(Language::English));
    let searchable = index.update(&posts(first)).expect("index");
    assert_same(&searchable, first, "built");
    let found = both(
        &searchable,
        "river",
        true,
        0,
        first.view(Audience::Public).index,
    );
    assert!(
        found.is_some_and(|(hits, _)| hits.len() > 10),
        "a common word finds many"
    );

    // An update: changed posts go to the delta shard, their base documents stay as stale
    // ones that no post maps to; removed posts' documents too.
    for n in 10..15 {
        let month_day = format!("-p{n}.md");
        let file = std::fs::read_dir(dir.path().join("_posts"))
            .expect("read dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(&month_day))
            .expect("post file");
        std::fs::remove_file(file).expect("remove");
    }
    write_site(dir.path(), 10, 1);
    let second = &load(dir.path()).snapshot;
    let searchable = index.update(&posts(second)).expect("update");
    assert!(searchable.shards.len() > 1, "the update made a delta shard");
    assert_same(&searchable, second, "updated");
}

#[test]
fn similar_text_lookups_keep_their_counts_apart_from_the_searches() {
    let (served, searchable) = indexed_site(30);
    let visible = served.snapshot.view(Audience::Public).index;
    let parsed = ParsedQuery::parse("river lantern", false);
    let options = MatchOptions { fuzzy: false };
    let hits = searchable
        .matches(&parsed, options, 0, visible)
        .expect("search");
    assert!(!hits.hits.is_empty());
    let searched = searchable.doc_freqs[0].len();
    assert!(searched > 0, "a search counts its terms");
    let (posts, with) = searchable
        .stem_frequency("copper", 0, visible)
        .expect("count");
    assert!(posts > 0 && with > 0);
    let found = searchable
        .any_of(&[("copper", 1.0), ("meadow", 0.5)], 0, visible)
        .expect("any");
    assert!(found
        .iter()
        .all(|(_, score, words)| *score > 0.0 && *words != 0));
    assert_eq!(
        searchable.doc_freqs[0].len(),
        searched,
        "the searches' cache untouched"
    );
    assert!(!searchable.similar_doc_freqs[0].is_empty());
}

#[test]
fn queries_that_are_not_terms_only_go_to_tantivy() {
    let (served, searchable) = indexed_site(10);
    let visible = served.snapshot.view(Audience::Public).index;
    for query in ["\"river lantern\"", "e-mail", "riv*", "-river", ""] {
        assert!(
            both(&searchable, query, true, 0, visible).is_none(),
            "{query:?} is not terms only"
        );
    }
}

#[test]
fn the_densest_run_of_word_positions_is_the_earliest_with_the_most() {
    assert_eq!(densest_run(&mut []), None);
    assert_eq!(densest_run(&mut [7]), Some(7));
    assert_eq!(densest_run(&mut [500, 3, 40, 510, 505]), Some(500));
    // Runs of equal count: the earliest.
    assert_eq!(densest_run(&mut [100, 10]), Some(10));
    // A run is SNIPPET_WORDS words long: positions further apart are in different runs.
    let apart = SNIPPET_WORDS;
    assert_eq!(
        densest_run(&mut [0, apart, 2 * apart, 2 * apart + 1]),
        Some(2 * apart)
    );
}
