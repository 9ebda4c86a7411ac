//! Completions for a search box: the word being typed completed from the words of titles and
//! the names of tags, the most frequent first. Built per audience from the posts it sees, so
//! a draft's title never completes a public search.

use super::analysis;
use crate::graph::View;
use std::collections::{HashMap, HashSet};
use tantivy::tokenizer::Language;

/// Where a completion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuggestionSource {
    /// A tag's name.
    Tag,
    /// A word of post titles.
    Title,
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The whole query completed: what was typed before the last word, then the completion.
    pub text: String,
    /// The completion of the last word (a title word, or a tag's name).
    pub completion: String,
    /// Posts (that the audience sees) whose titles have the word, or with the tag.
    pub count: usize,
    pub source: SuggestionSource,
}

/// Most completions returned at once.
pub const MAX_SUGGESTIONS: usize = 50;

/// Words too common to be worth completing to (English only).
pub(super) const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do",
    "for", "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "my", "not",
    "of", "on", "or", "our", "out", "so", "that", "the", "their", "this", "to", "up", "was", "we",
    "what", "when", "why", "with", "you", "your",
];

/// Every completion one audience may get, sorted by key.
#[derive(Debug, Default)]
pub struct Vocabulary {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Lower case, accents folded: what a typed prefix is compared with.
    key: String,
    /// As shown: the tag's name, or the title word in lower case.
    text: String,
    count: usize,
    source: SuggestionSource,
}

impl Vocabulary {
    /// The title words and tags of the posts `view` sees.
    pub fn build(view: View<'_>, language: Option<Language>) -> Vocabulary {
        let mut plain = analysis::plain();
        let stop: HashSet<&str> = match language {
            Some(Language::English) => ENGLISH_STOP_WORDS.iter().copied().collect(),
            _ => HashSet::new(),
        };
        let mut words: HashMap<String, usize> = HashMap::new();
        for &idx in view.index.newest_first() {
            let title = &view.snapshot.post(idx).doc.title;
            let distinct: HashSet<String> = analysis::terms(&mut plain, title)
                .into_iter()
                .filter(|w| w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
                .filter(|w| !stop.contains(w.as_str()))
                .collect();
            for word in distinct {
                *words.entry(word).or_default() += 1;
            }
        }
        let mut entries: Vec<Entry> = words
            .into_iter()
            .map(|(word, count)| Entry {
                key: word.clone(),
                text: word,
                count,
                source: SuggestionSource::Title,
            })
            .collect();
        for &tag in view.index.tags_by_count() {
            let name = &view.tag(tag).name;
            let key = analysis::terms(&mut plain, name).join(" ");
            if key.is_empty() {
                continue;
            }
            entries.push(Entry {
                key,
                text: name.clone(),
                count: view.index.tag_posts(tag).len(),
                source: SuggestionSource::Tag,
            });
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key).then(a.source.cmp(&b.source)));
        Vocabulary { entries }
    }

    /// Up to `first` completions of `prefix`'s last word (or of the whole prefix, for tags
    /// of several words), most frequent first; none when the prefix ends in whitespace.
    pub fn complete(&self, prefix: &str, first: usize) -> Vec<Suggestion> {
        let first = first.min(MAX_SUGGESTIONS);
        if first == 0 || prefix.trim().is_empty() || prefix.ends_with(char::is_whitespace) {
            return Vec::new();
        }
        let mut plain = analysis::plain();
        let start = prefix.rfind(char::is_whitespace).map_or(0, |at| {
            at + prefix[at..].chars().next().map_or(1, char::len_utf8)
        });
        let (head, last) = prefix.split_at(start);
        let last_key = analysis::terms(&mut plain, last).join(" ");
        let whole_key = analysis::terms(&mut plain, prefix).join(" ");
        let mut found: Vec<(&Entry, &str)> = Vec::new();
        if !last_key.is_empty() {
            found.extend(self.starting_with(&last_key).map(|e| (e, head)));
        }
        // `machine le` completes to the tag `machine learning`, replacing both words.
        if whole_key != last_key && whole_key.contains(' ') {
            found.extend(
                self.starting_with(&whole_key)
                    .filter(|e| e.source == SuggestionSource::Tag)
                    .map(|e| (e, "")),
            );
        }
        found.sort_by(|(a, _), (b, _)| {
            b.count
                .cmp(&a.count)
                .then(a.source.cmp(&b.source))
                .then_with(|| a.key.cmp(&b.key))
        });
        let mut seen = HashSet::new();
        found
            .into_iter()
            .filter(|(entry, head)| seen.insert((entry.key.clone(), head.len())))
            .take(first)
            .map(|(entry, head)| Suggestion {
                text: format!("{head}{}", entry.text),
                completion: entry.text.clone(),
                count: entry.count,
                source: entry.source,
            })
            .collect()
    }

    fn starting_with<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        let from = self.entries.partition_point(|e| e.key.as_str() < key);
        self.entries[from..]
            .iter()
            .take_while(move |e| e.key.starts_with(key))
    }
}
