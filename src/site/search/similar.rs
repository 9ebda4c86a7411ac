//! Posts whose words are like a post's (the "more like this" of search engines): the
//! SIMILAR_TEXT reason of `Post.related`.
//!
//! A post's distinctive words are the stems it uses often (counted more in its title and
//! tags) that few other posts use: term frequency times inverse document frequency over the
//! posts the audience sees. The posts with any of them, scored by the index's BM25 as a
//! search for them would score them, are the candidates; a candidate's similarity is its
//! score over the post's own score for the same words (1 for the same text).

use super::analysis;
use super::engine::Searchable;
use super::text::post_text;
use super::SearchError;
use crate::corpus::Document;
use crate::graph::{PostIdx, PostIndex};
use crate::links::TextSimilarity;
use std::collections::HashMap;
use tantivy::tokenizer::Language;

/// Distinctive words looked up per post.
const DISTINCTIVE_WORDS: usize = 24;
/// Similar posts kept per post.
pub const MAX_SIMILAR: usize = 20;
/// Least similarity kept: below it two posts share only a word or two.
const MIN_SIMILARITY: f64 = 0.1;
/// Shared words a similar post lists, most distinctive first.
const SHOWN_WORDS: usize = 5;
/// Shortest stem (in bytes) counted as distinctive.
const SHORTEST_STEM: usize = 3;

/// How often a word counts once in each part of a post: its title and tags say most about
/// what it is about.
const TITLE_WEIGHT: u32 = 3;
const TAGS_WEIGHT: u32 = 3;
const HEADINGS_WEIGHT: u32 = 2;
const DESCRIPTION_WEIGHT: u32 = 2;
const BODY_WEIGHT: u32 = 1;

/// A distinctive word of a post.
#[derive(Debug)]
struct Distinctive {
    stem: String,
    /// The word as the post first writes it, lower case.
    word: String,
    /// Relative to the most distinctive word's (1).
    weight: f32,
}

/// The visible posts whose words are most like those of `doc` (the document of post `idx`),
/// with how alike and the distinctive words they have (as `doc` writes them, lower case),
/// most similar first, at most [`MAX_SIMILAR`], each at least [`MIN_SIMILARITY`]. `slot` and
/// `visible` name the audience, as for a search.
pub(super) fn similar_posts(
    searchable: &Searchable,
    language: Option<Language>,
    doc: &Document,
    idx: PostIdx,
    slot: usize,
    visible: &PostIndex,
) -> Result<Vec<(PostIdx, TextSimilarity)>, SearchError> {
    let words = distinctive_words(searchable, language, doc, slot, visible)?;
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let stems: Vec<(&str, f32)> = words.iter().map(|w| (w.stem.as_str(), w.weight)).collect();
    let hits = searchable.any_of(&stems, slot, visible)?;
    let own = hits
        .iter()
        .find(|(post, ..)| *post == idx)
        .map_or(0.0, |(_, score, _)| f64::from(*score));
    if own <= 0.0 {
        return Ok(Vec::new());
    }
    let mut similar: Vec<(PostIdx, f64, u64)> = hits
        .into_iter()
        .filter(|(post, ..)| *post != idx)
        .map(|(post, score, found)| (post, (f64::from(score) / own).min(1.0), found))
        .filter(|(_, similarity, _)| *similarity >= MIN_SIMILARITY)
        .collect();
    similar.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    similar.truncate(MAX_SIMILAR);
    Ok(similar
        .into_iter()
        .map(|(post, similarity, found)| {
            let words = words
                .iter()
                .enumerate()
                .filter(|(i, _)| found & (1u64 << i) != 0)
                .take(SHOWN_WORDS)
                .map(|(_, w)| w.word.clone())
                .collect();
            (post, TextSimilarity { similarity, words })
        })
        .collect())
}

/// The [`DISTINCTIVE_WORDS`] words of `doc` with the highest `(1 + ln tf) · ln(N / df)`,
/// most distinctive first; only words at least one other visible post has, and that at most
/// half of them have (on a site of a few posts, two).
fn distinctive_words(
    searchable: &Searchable,
    language: Option<Language>,
    doc: &Document,
    slot: usize,
    visible: &PostIndex,
) -> Result<Vec<Distinctive>, SearchError> {
    let mut analyzer = analysis::stemmed(language);
    let text = post_text(&doc.body);
    // Stem → (weighted count, first word as written).
    let mut counts: HashMap<String, (u32, String)> = HashMap::new();
    let mut count = |part: &str, weight: u32| {
        let mut stream = analyzer.token_stream(part);
        while let Some(token) = stream.next() {
            let stem = &token.text;
            if stem.len() < SHORTEST_STEM || stem.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let entry = counts.entry(stem.clone()).or_insert_with(|| {
                let written = part.get(token.offset_from..token.offset_to).unwrap_or(stem);
                (0, written.to_lowercase())
            });
            entry.0 += weight;
        }
    };
    count(&doc.title, TITLE_WEIGHT);
    for tag in &doc.tags {
        count(tag, TAGS_WEIGHT);
    }
    for heading in &text.headings {
        count(heading, HEADINGS_WEIGHT);
    }
    if let Some(description) = &doc.description {
        count(description, DESCRIPTION_WEIGHT);
    }
    count(&text.body, BODY_WEIGHT);
    let mut scored: Vec<(f64, Distinctive)> = Vec::new();
    for (stem, (tf, word)) in counts {
        let (posts, with) = searchable.stem_frequency(&stem, slot, visible)?;
        // A word no other post has finds nothing; one most posts have says little.
        if with < 2 || with > (posts / 2).max(2) {
            continue;
        }
        let weight = (1.0 + f64::from(tf).ln()) * (posts as f64 / with as f64).ln();
        if weight <= 0.0 {
            continue;
        }
        scored.push((
            weight,
            Distinctive {
                stem,
                word,
                weight: 0.0,
            },
        ));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.stem.cmp(&b.1.stem)));
    scored.truncate(DISTINCTIVE_WORDS);
    let top = scored.first().map_or(1.0, |(weight, _)| *weight);
    Ok(scored
        .into_iter()
        .map(|(weight, word)| Distinctive {
            weight: (weight / top) as f32,
            ..word
        })
        .collect())
}
