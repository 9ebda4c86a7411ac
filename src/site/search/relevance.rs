//! The known-item relevance measure (issue #16): for every post a reader sees, search for the
//! content words of its title, and again with one typo in its longest word (of five letters
//! or more), and count how often the post comes back in the top three. Used by
//! `examples/search_stats.rs` on real and generated corpora and, at thresholds that cannot
//! flake, by the test suite on the sample blog.

use super::analysis;
use super::suggest::ENGLISH_STOP_WORDS;
use super::{SearchOrder, SearchOutcome, SearchRequest};
use crate::graph::{Audience, PostIdx};
use crate::site::ServedSite;

/// How many of the top hits count as found.
pub const TOP: usize = 3;

/// Shortest word (in characters) given a typo.
pub const TYPO_MIN_CHARS: usize = 5;

/// The outcome of the measure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownItemReport {
    /// Posts with at least one content word in their title (each searched for).
    pub posts: usize,
    /// Of those, found in the top [`TOP`] by their title's content words.
    pub found: usize,
    /// Posts whose title has a word of [`TYPO_MIN_CHARS`] or more (searched with a typo).
    pub typo_posts: usize,
    /// Of those, found in the top [`TOP`] with the typo.
    pub typo_found: usize,
    /// Up to 20 queries that missed, with the post's title: `(query, title)`.
    pub misses: Vec<(String, String)>,
}

impl KnownItemReport {
    /// Share of posts found by their title's words, 0..1 (1 when there were none).
    pub fn rate(&self) -> f64 {
        ratio(self.found, self.posts)
    }

    /// Share of posts found with a typo, 0..1 (1 when there were none).
    pub fn typo_rate(&self) -> f64 {
        ratio(self.typo_found, self.typo_posts)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    match whole {
        0 => 1.0,
        _ => part as f64 / whole as f64,
    }
}

/// The title's content words (lower case, English stop words left out), in order.
pub fn content_words(title: &str) -> Vec<String> {
    analysis::terms(&mut analysis::plain(), title)
        .into_iter()
        .filter(|w| !ENGLISH_STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// `words` with one typo in the longest word of [`TYPO_MIN_CHARS`] or more (the first of
/// equal length), away from its first letter: `seed` picks a substitution, a deletion, a
/// transposition of neighbours or a doubled letter. `None` when no word is long enough.
pub fn with_typo(words: &[String], seed: usize) -> Option<Vec<String>> {
    let (at, longest) = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.chars().count() >= TYPO_MIN_CHARS)
        .max_by(|(i, a), (j, b)| a.chars().count().cmp(&b.chars().count()).then(j.cmp(i)))?;
    let mut chars: Vec<char> = longest.chars().collect();
    let middle = chars.len() / 2;
    match seed % 4 {
        0 => {
            let c = chars[middle];
            chars[middle] = if c == 'e' { 'a' } else { 'e' };
        }
        1 => {
            chars.remove(middle);
        }
        2 => chars.swap(middle, middle + 1),
        _ => chars.insert(middle, chars[middle]),
    }
    let typo: String = chars.into_iter().collect();
    if typo == *longest {
        // A transposition of equal letters changes nothing: substitute instead.
        return with_typo(words, 0);
    }
    let mut out = words.to_vec();
    out[at] = typo;
    Some(out)
}

/// Runs the measure over every post `audience` sees in `served` (its index must be ready:
/// see [`ServedSite::build_search_index`]).
pub fn known_item(served: &ServedSite, audience: Audience) -> KnownItemReport {
    let view = served.snapshot.view(audience);
    let mut report = KnownItemReport::default();
    let found = |query: &str, idx: PostIdx| -> bool {
        let request = SearchRequest {
            query,
            prefix: false,
            fuzzy: true,
            order: SearchOrder::Relevance,
            keep: None,
            ordered: Some(TOP),
        };
        match served.search(audience, &request) {
            Ok(SearchOutcome::Ready(results)) => {
                results.hits.iter().take(TOP).any(|hit| hit.post == idx)
            }
            _ => false,
        }
    };
    for (n, &idx) in view.index.newest_first().iter().enumerate() {
        let title = &served.snapshot.post(idx).doc.title;
        let words = content_words(title);
        if words.is_empty() {
            continue;
        }
        report.posts += 1;
        let query = words.join(" ");
        if found(&query, idx) {
            report.found += 1;
        } else if report.misses.len() < 20 {
            report.misses.push((query, title.clone()));
        }
        if let Some(typo) = with_typo(&words, n) {
            report.typo_posts += 1;
            let query = typo.join(" ");
            if found(&query, idx) {
                report.typo_found += 1;
            } else if report.misses.len() < 20 {
                report.misses.push((query, title.clone()));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_made_in_the_longest_word() {
        let words = content_words("Walking the Old Tram Line");
        assert_eq!(words, vec!["walking", "old", "tram", "line"]);
        let typos: Vec<String> = (0..4)
            .map(|seed| with_typo(&words, seed).expect("long enough")[0].clone())
            .collect();
        assert_eq!(typos, vec!["waleing", "waling", "walikng", "walkking"]);
        assert_eq!(with_typo(&content_words("Old tram line"), 0), None);
    }
}
