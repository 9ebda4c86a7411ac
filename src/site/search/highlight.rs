//! Highlights: the words of a hit's fields that matched, wrapped in `<mark>`, everything else
//! escaped as HTML. A word is marked when the query would match it: the same stem, within the
//! same number of typos, starting with a prefix being typed, or part of a quoted phrase where
//! the whole phrase occurs.

use super::analysis::{self, terms_with_offsets};
use super::query::{ParsedQuery, Part};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use tantivy::tokenizer::{Language, TextAnalyzer};

/// Characters of body text around the matches in a body snippet (about two lines).
pub const SNIPPET_CHARS: usize = 180;
/// Context shown before the first match of a snippet.
const LEAD_CHARS: usize = 40;

/// Shortest word matched with one typo, and with two (as the index does).
const ONE_TYPO_FROM: usize = 5;
const TWO_TYPOS_FROM: usize = 10;

/// What to mark, made once per query.
#[derive(Clone)]
pub struct Highlighter {
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
    /// Stems of the required words.
    stems: HashSet<String>,
    /// (stem, word as typed, edits allowed) of the words matched with typos.
    fuzzy: Vec<(String, String, usize)>,
    /// Words being typed: any word starting with one matches.
    prefixes: Vec<String>,
    /// Quoted phrases of two or more stems.
    phrases: Vec<Vec<String>>,
    /// Required words and phrases as typed, lower-cased: a serial number matches whole.
    wholes: HashSet<String>,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("stems", &self.stems)
            .field("prefixes", &self.prefixes)
            .finish_non_exhaustive()
    }
}

impl Highlighter {
    /// The highlighter of `query`'s required words and phrases (exclusions match nothing to
    /// mark), with typos tolerated when `fuzzy`.
    pub fn new(query: &ParsedQuery, fuzzy: bool, language: Option<Language>) -> Highlighter {
        let mut highlighter = Highlighter {
            stemmed: analysis::stemmed(language),
            plain: analysis::plain(),
            stems: HashSet::new(),
            fuzzy: Vec::new(),
            prefixes: Vec::new(),
            phrases: Vec::new(),
            wholes: HashSet::new(),
        };
        for part in &query.required {
            highlighter.wholes.insert(part.text().trim().to_lowercase());
            let stems = analysis::terms(&mut highlighter.stemmed, part.text());
            let words = analysis::terms(&mut highlighter.plain, part.text());
            match part {
                Part::Phrase(_) if stems.len() > 1 => highlighter.phrases.push(stems),
                Part::Phrase(_) => highlighter.stems.extend(stems),
                Part::Word { prefix, .. } => {
                    let last = stems.len().saturating_sub(1);
                    for (i, (stem, word)) in stems.iter().zip(&words).enumerate() {
                        highlighter.stems.insert(stem.clone());
                        if *prefix && i == last {
                            highlighter.prefixes.push(word.clone());
                        }
                        let length = word.chars().count();
                        if fuzzy && length >= ONE_TYPO_FROM {
                            let edits = if length >= TWO_TYPOS_FROM { 2 } else { 1 };
                            highlighter.fuzzy.push((stem.clone(), word.clone(), edits));
                        }
                    }
                }
            }
        }
        highlighter
    }

    /// Byte ranges of `text`'s words that match, in order, not overlapping.
    ///
    /// `text` is split into words once; each distinct word (as written) is stemmed and
    /// judged once, as a long body repeats most of its words many times.
    pub fn marks(&self, text: &str) -> Vec<Range<usize>> {
        let mut stemmed = self.stemmed.clone();
        let mut plain = self.plain.clone();
        // Every analyzer splits text alike (same tokenizer, filters that work word by word),
        // so a word's stem is that of the word alone.
        let words = terms_with_offsets(&mut plain, text);
        // Each distinct word as written: its stem and whether it matches.
        let mut distinct: Vec<(String, bool)> = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut kinds: Vec<usize> = Vec::with_capacity(words.len());
        for (word, range) in &words {
            let kind = *seen.entry(&text[range.clone()]).or_insert_with(|| {
                let stem = analysis::terms(&mut stemmed, &text[range.clone()])
                    .pop()
                    .unwrap_or_default();
                let matches = self.word_matches(&stem, word);
                distinct.push((stem, matches));
                distinct.len() - 1
            });
            kinds.push(kind);
        }
        let stems: Vec<&str> = kinds.iter().map(|k| distinct[*k].0.as_str()).collect();
        let mut marked: Vec<bool> = kinds.iter().map(|k| distinct[*k].1).collect();
        for phrase in &self.phrases {
            let n = phrase.len();
            for start in 0..stems.len().saturating_sub(n - 1) {
                if (0..n).all(|k| stems[start + k] == phrase[k]) {
                    marked[start..start + n].iter_mut().for_each(|m| *m = true);
                }
            }
        }
        words
            .iter()
            .zip(marked)
            .filter(|(_, m)| *m)
            .map(|((_, range), _)| range.clone())
            .collect()
    }

    /// Whether a word of a text (its stem and the word as written, lower-cased) matches a
    /// required word: the same stem, a prefix being typed, or within the typos allowed.
    fn word_matches(&self, stem: &str, word: &str) -> bool {
        self.stems.contains(stem)
            || self.prefixes.iter().any(|p| word.starts_with(p.as_str()))
            || self.fuzzy.iter().any(|(query_stem, query_word, edits)| {
                within_edits(stem, query_stem, *edits) || within_edits(word, query_word, *edits)
            })
    }

    /// The whole of `text` with its matching words marked; `None` when none match.
    pub fn whole(&self, text: &str) -> Option<String> {
        let marks = self.marks(text);
        (!marks.is_empty()).then(|| marked_html(text, 0..text.len(), &marks))
    }

    /// A serial number, marked whole when it was typed whole.
    pub fn serial(&self, serial: &str) -> Option<String> {
        self.wholes
            .contains(&serial.trim().to_lowercase())
            .then(|| format!("<mark>{}</mark>", escape(serial)))
    }

    /// About [`SNIPPET_CHARS`] characters of `text` around the densest run of matches, marked,
    /// with `…` where it was cut; `None` when nothing matches.
    pub fn snippet(&self, text: &str) -> Option<String> {
        let marks = self.marks(text);
        let first = marks.first()?;
        // The window that starts shortly before a match and covers the most matches.
        let mut best = (0, first.start);
        for (i, mark) in marks.iter().enumerate() {
            let end = mark.start + SNIPPET_CHARS;
            let covered = marks[i..].iter().take_while(|m| m.end <= end).count();
            if covered > best.0 {
                best = (covered, mark.start);
            }
        }
        let anchor = best.1;
        let start = window_start(text, anchor);
        let end = window_end(text, start);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(&marked_html(text, start..end, &marks));
        if end < text.len() {
            out.push('…');
        }
        Some(out)
    }
}

/// A start up to [`LEAD_CHARS`] before `anchor`, at the start of a word.
fn window_start(text: &str, anchor: usize) -> usize {
    let lead: usize = text[..anchor]
        .chars()
        .rev()
        .take(LEAD_CHARS)
        .map(char::len_utf8)
        .sum();
    let from = anchor - lead;
    if from == 0 {
        return 0;
    }
    match text[from..anchor].find(char::is_whitespace) {
        Some(at) => from + at + 1,
        None => anchor,
    }
}

/// An end about [`SNIPPET_CHARS`] characters after `start`, at the end of a word.
fn window_end(text: &str, start: usize) -> usize {
    let span: usize = text[start..]
        .chars()
        .take(SNIPPET_CHARS)
        .map(char::len_utf8)
        .sum();
    let to = start + span;
    if to >= text.len() {
        return text.len();
    }
    match text[start..to].rfind(char::is_whitespace) {
        Some(at) if at > 0 => start + at,
        _ => to,
    }
}

/// `text[range]` as HTML: escaped, whitespace runs as one space, `marks` (sorted, in
/// `text`'s byte offsets) in `<mark>`.
fn marked_html(text: &str, range: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(range.len() + 32);
    let mut at = range.start;
    for mark in marks
        .iter()
        .filter(|m| m.start >= range.start && m.end <= range.end)
    {
        push_text(&mut out, &text[at..mark.start]);
        out.push_str("<mark>");
        push_text(&mut out, &text[mark.start..mark.end]);
        out.push_str("</mark>");
        at = mark.end;
    }
    push_text(&mut out, &text[at..range.end]);
    out.trim().to_string()
}

fn push_text(out: &mut String, text: &str) {
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_text(&mut out, text);
    out
}

/// Whether `a` is within `edits` insertions, deletions, substitutions or transpositions of
/// adjacent characters of `b` (optimal string alignment distance).
pub fn within_edits(a: &str, b: &str, edits: usize) -> bool {
    if a == b {
        return true;
    }
    if a.chars().count().abs_diff(b.chars().count()) > edits {
        return false;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > edits {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = value;
            row_min = row_min.min(value);
        }
        if row_min > edits {
            return false;
        }
    }
    rows[a.len() % 3][b.len()] <= edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(query: &str, prefix: bool) -> Highlighter {
        Highlighter::new(
            &ParsedQuery::parse(query, prefix),
            true,
            Some(Language::English),
        )
    }

    #[test]
    fn stems_typos_prefixes_and_phrases_are_marked() {
        let h = highlighter(r#"drawing maprendering "hand tools" pen*"#, false);
        assert_eq!(
            h.whole("I draw maps; map rendering with Hand Tools and pencils, not hand or tools"),
            Some(
                "I <mark>draw</mark> maps; map rendering with <mark>Hand</mark> <mark>Tools</mark> and <mark>pencils</mark>, not hand or tools"
                    .to_string()
            )
        );
        let typo = highlighter("renderign", false);
        assert_eq!(
            typo.whole("Rendering tiles").as_deref(),
            Some("<mark>Rendering</mark> tiles")
        );
        assert_eq!(highlighter("zzz", false).whole("Rendering tiles"), None);
    }

    #[test]
    fn everything_but_the_marks_is_escaped() {
        let h = highlighter("script", false);
        assert_eq!(
            h.whole("<script>alert('x & y')</script>").as_deref(),
            Some(
                "&lt;<mark>script</mark>&gt;alert(&#39;x &amp; y&#39;)&lt;/<mark>script</mark>&gt;"
            )
        );
    }

    #[test]
    fn snippets_cut_around_the_matches() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("{filler}the tram line ran north{filler}");
        let snippet = highlighter("tram", false).snippet(&text).expect("a match");
        assert!(
            snippet.starts_with('…') && snippet.ends_with('…'),
            "{snippet}"
        );
        assert!(snippet.contains("the <mark>tram</mark> line"), "{snippet}");
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 20, "{snippet}");
        assert_eq!(highlighter("tram", false).snippet("no match here"), None);
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert!(within_edits("migration", "migartion", 1));
        assert!(within_edits("databse", "database", 1));
        assert!(!within_edits("rust", "bust", 0));
        assert!(within_edits("rust", "bust", 1));
        assert!(!within_edits("kitchen", "chicken", 2));
        assert!(within_edits("", "ab", 2) && !within_edits("", "abc", 2));
    }
}
