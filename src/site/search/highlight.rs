//! Highlights: the words of a hit's fields that matched, wrapped in `<mark>`, everything else
//! escaped as HTML. A word is marked when the query matched it: the same stem as a required
//! word or as one of the index words a word with a typo was expanded to, starting with a
//! prefix being typed, or part of a quoted phrase where the whole phrase occurs.
//!
//! Highlights are made for every hit on a page, on every request, so they must cost little:
//! a text is split into words once, words that cannot match are passed over by their first
//! letters, each distinct word is judged once per search (for all its hits), and only words
//! that can share a stem with a marked one are stemmed at all.

use super::analysis;
use super::query::{ParsedQuery, Part};
use rustc_hash::FxHashMap;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use tantivy::tokenizer::{Language, TextAnalyzer};

/// Characters of body text around the matches in a body snippet (about two lines).
pub const SNIPPET_CHARS: usize = 180;
/// Context shown before the first match of a snippet.
const LEAD_CHARS: usize = 40;

/// What to mark, made once per query.
#[derive(Clone)]
pub struct Highlighter {
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
    /// Stems of the required words and of their typo expansions.
    stems: HashSet<String>,
    /// Words being typed: any word starting with one matches.
    prefixes: Vec<String>,
    /// Quoted phrases of two or more stems.
    phrases: Vec<Vec<String>>,
    /// How many words and phrases the query requires.
    required: usize,
    /// Required words and phrases as typed, lower-cased: a serial number matches whole.
    wholes: HashSet<String>,
    /// With a stemmer that only ever changes the end of a word (or none), a word can only
    /// stem to a marked stem when it starts as the stem does: `Some` of the starts (see
    /// [`kept_start`]) of every marked stem, so other words need no stemming. `None`: stem
    /// every word.
    stem_starts: Option<Vec<Vec<u8>>>,
    /// The first two bytes of [`stem_starts`](Self::stem_starts) and of the prefixes: a word
    /// that starts otherwise matches nothing. `None` when `stem_starts` is.
    quick_starts: Option<Vec<Vec<u8>>>,
    /// The first bytes of the ASCII [`quick_starts`](Self::quick_starts) in both cases, and
    /// `y`/`Y` for an `i`, as a table by byte: the words that may match start with one of
    /// these (or are not ASCII), so the others are passed over by their first byte. `None`
    /// when there are no quick starts, or phrases (which need every word).
    start_bytes: Option<Box<[bool; 256]>>,
    /// Every word (as written) judged so far for any text of any hit of this search: a
    /// page's hits share most of their words, and judging one (folding and stemming it)
    /// costs far more than looking it up. At most [`JUDGED_WORDS`] are kept.
    judged: JudgedWords,
}

/// The words a highlighter judged, by the word as written. A clone starts empty (a cache,
/// not part of what the highlighter marks).
#[derive(Default)]
struct JudgedWords(Mutex<FxHashMap<String, Judged>>);

impl Clone for JudgedWords {
    fn clone(&self) -> Self {
        JudgedWords::default()
    }
}

/// Words a highlighter remembers the judgment of (a few hundred kilobytes at most).
const JUDGED_WORDS: usize = 8_192;

/// What a word as written was judged: its stem when it may be a marked one (or a phrase
/// word), and whether it matches on its own.
#[derive(Debug, Clone, Default)]
struct Judged {
    stem: Option<Arc<str>>,
    matches: bool,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("stems", &self.stems)
            .field("prefixes", &self.prefixes)
            .finish_non_exhaustive()
    }
}

/// How many leading bytes of a word (lower-cased, accents folded) its stem always keeps
/// (see [`starts_alike`]): English stems keep the first two letters but for `y` → `i` (Porter2
/// rewrites endings, and `dying`, `lying`, `tying` to `die`, `lie`, `tie`); the other Snowball stemmers that rewrite endings only keep the first letter;
/// Arabic (which strips prefixes such as `ال`), Greek and Tamil (which rewrite more of a
/// word) keep nothing for certain. No stemmer: the word is its own stem.
fn kept_start(language: Option<Language>) -> usize {
    match language {
        None => usize::MAX,
        Some(Language::English) => 2,
        Some(Language::Arabic | Language::Greek | Language::Tamil) => 0,
        Some(_) => 1,
    }
}

/// Whether `word` starts with `start` (the kept start of a stem), a `y` in the word standing
/// for an `i` in the stem.
fn starts_alike(word: &[u8], start: &[u8]) -> bool {
    word.len() >= start.len()
        && word
            .iter()
            .zip(start)
            .all(|(w, s)| w == s || (*w == b'y' && *s == b'i'))
}

impl Highlighter {
    /// The highlighter of `query`'s required words and phrases (exclusions match nothing to
    /// mark), where `typo_stems` are the index stems the search expanded typos to.
    pub fn new(
        query: &ParsedQuery,
        typo_stems: &[String],
        language: Option<Language>,
    ) -> Highlighter {
        let mut highlighter = Highlighter {
            stemmed: analysis::stemmed(language),
            plain: analysis::plain(),
            stems: typo_stems.iter().cloned().collect(),
            prefixes: Vec::new(),
            phrases: Vec::new(),
            required: query.required.len(),
            wholes: HashSet::new(),
            stem_starts: None,
            quick_starts: None,
            start_bytes: None,
            judged: JudgedWords::default(),
        };
        for part in &query.required {
            highlighter.wholes.insert(part.text().trim().to_lowercase());
            let stems = analysis::terms(&mut highlighter.stemmed, part.text());
            let words = analysis::terms(&mut highlighter.plain, part.text());
            match part {
                Part::Phrase(_) if stems.len() > 1 => highlighter.phrases.push(stems),
                Part::Phrase(_) => highlighter.stems.extend(stems),
                Part::Word { prefix, .. } => {
                    if *prefix {
                        highlighter.prefixes.extend(words.last().cloned());
                    }
                    highlighter.stems.extend(stems);
                }
            }
        }
        let kept = kept_start(language);
        if kept > 0 {
            let phrase_stems = highlighter.phrases.iter().flatten();
            let mut starts: Vec<Vec<u8>> = highlighter
                .stems
                .iter()
                .chain(phrase_stems)
                .map(|stem| stem.as_bytes()[..stem.len().min(kept)].to_vec())
                .collect();
            starts.sort();
            starts.dedup();
            let prefixes = highlighter.prefixes.iter().map(|p| p.as_bytes());
            let mut quick: Vec<Vec<u8>> = starts
                .iter()
                .map(Vec::as_slice)
                .chain(prefixes)
                .map(|start| start[..start.len().min(2)].to_vec())
                .collect();
            quick.sort();
            quick.dedup();
            if highlighter.phrases.is_empty() {
                let mut table = Box::new([false; 256]);
                for byte in start_bytes(&quick) {
                    table[usize::from(byte)] = true;
                }
                highlighter.start_bytes = Some(table);
            }
            highlighter.quick_starts = Some(quick);
            highlighter.stem_starts = Some(starts);
        }
        highlighter
    }

    /// The byte ranges of the words of `text` that may match, in order: every word, or
    /// with [`start_bytes`](Self::start_bytes) only those that start with one of them or
    /// whose first two bytes are not ASCII (a superset of those
    /// [`may_match_written`](Self::may_match_written) lets through).
    fn candidate_words(&self, text: &str) -> Vec<Range<usize>> {
        let Some(table) = &self.start_bytes else {
            return word_ranges(text).collect();
        };
        let mut out = Vec::new();
        if text.is_ascii() {
            ascii_candidates(text.as_bytes(), 0, table, &mut out);
            return out;
        }
        let mut offset = 0;
        // A line break separates words: each line is scanned on its own, an ASCII one (most
        // prose) without decoding or splitting it into words.
        for line in text.split_inclusive('\n') {
            if line.is_ascii() {
                ascii_candidates(line.as_bytes(), offset, table, &mut out);
            } else {
                let bytes = line.as_bytes();
                out.extend(
                    word_ranges(line)
                        .filter(|word| is_candidate(table, bytes, word))
                        .map(|word| word.start + offset..word.end + offset),
                );
            }
            offset += line.len();
        }
        out
    }

    /// Every stem a word must have to be marked (required words, their typo expansions,
    /// phrase words); `None` when a word being typed (a prefix) may match words of any stem.
    pub fn marked_stems(&self) -> Option<impl Iterator<Item = &str>> {
        self.prefixes.is_empty().then(|| {
            self.stems
                .iter()
                .chain(self.phrases.iter().flatten())
                .map(String::as_str)
        })
    }

    /// How many words and phrases the query requires (a snippet showing that many matches
    /// shows them all, or as many).
    pub fn required(&self) -> usize {
        self.required
    }

    /// What marks words of one hit's fields (the analyzers are cloned once per marker).
    pub fn marker(&self) -> Marker<'_> {
        Marker {
            highlighter: self,
            stemmed: self.stemmed.clone(),
            plain: self.plain.clone(),
        }
    }

    /// Byte ranges of `text`'s words that match, in order, not overlapping.
    pub fn marks(&self, text: &str) -> Vec<Range<usize>> {
        self.marker().marks(text)
    }

    /// The whole of `text` with its matching words marked; `None` when none match.
    pub fn whole(&self, text: &str) -> Option<String> {
        self.marker().whole(text)
    }

    /// About [`SNIPPET_CHARS`] characters of `text` around the densest run of matches (see
    /// [`Marker::snippet`]).
    pub fn snippet(&self, text: &str) -> Option<String> {
        self.marker().snippet(text)
    }

    /// Whether a word (lower-cased, folded) may stem to a marked stem or phrase word.
    fn may_stem_to_a_mark(&self, word: &str) -> bool {
        match &self.stem_starts {
            Some(starts) => starts
                .iter()
                .any(|start| starts_alike(word.as_bytes(), start)),
            None => true,
        }
    }

    /// Whether a word as written may match at all (a stem, a phrase word or a prefix): a
    /// word of ASCII letters is ruled out by its first two letters, lower-cased, which are
    /// then those of the analyzed word. Anything else is analyzed.
    fn may_match_written(&self, written: &str) -> bool {
        let Some(starts) = &self.quick_starts else {
            return true;
        };
        let bytes = written.as_bytes();
        let head = &bytes[..bytes.len().min(2)];
        if !head.is_ascii() {
            return true;
        }
        let lower = [
            head[0].to_ascii_lowercase(),
            head.get(1).map_or(0, u8::to_ascii_lowercase),
        ];
        let lower = &lower[..head.len()];
        starts
            .iter()
            .any(|start| starts_alike(lower, &start[..start.len().min(lower.len())]))
    }

    /// A serial number, marked whole when it was typed whole.
    pub fn serial(&self, serial: &str) -> Option<String> {
        self.wholes
            .contains(&serial.trim().to_lowercase())
            .then(|| format!("<mark>{}</mark>", escape(serial)))
    }
}

/// Marks the words of the texts of one hit: a [`Highlighter`] with its own analyzers.
pub struct Marker<'h> {
    highlighter: &'h Highlighter,
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
}

impl Marker<'_> {
    /// Byte ranges of `text`'s words that match, in order, not overlapping.
    ///
    /// Words are split as the analyzers split them (runs of letters and digits); a word
    /// whose first letters rule it out costs a comparison, and every other distinct word is
    /// analyzed and judged once.
    pub fn marks(&mut self, text: &str) -> Vec<Range<usize>> {
        let highlighter = self.highlighter;
        let phrases = !highlighter.phrases.is_empty();
        let mut judged = highlighter
            .judged
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // The words of the text with their judgments: every word when there are phrases to
        // find, else only those that match.
        let mut words: Vec<(Range<usize>, Judged)> = Vec::new();
        for range in highlighter.candidate_words(text) {
            let written = &text[range.clone()];
            let judgment = if !highlighter.may_match_written(written) {
                Judged::default()
            } else if let Some(known) = judged.get(written) {
                known.clone()
            } else {
                let judgment = self.judge(written);
                if judged.len() < JUDGED_WORDS {
                    judged.insert(written.to_string(), judgment.clone());
                }
                judgment
            };
            if phrases || judgment.matches {
                words.push((range, judgment));
            }
        }
        drop(judged);
        let mut marked: Vec<bool> = words.iter().map(|(_, j)| j.matches).collect();
        for phrase in &highlighter.phrases {
            let n = phrase.len();
            let stem_at = |i: usize| words[i].1.stem.as_deref();
            for start in 0..words.len().saturating_sub(n - 1) {
                if (0..n).all(|k| stem_at(start + k) == Some(phrase[k].as_str())) {
                    marked[start..start + n].iter_mut().for_each(|m| *m = true);
                }
            }
        }
        words
            .into_iter()
            .zip(marked)
            .filter(|(_, m)| *m)
            .map(|((range, _), _)| range)
            .collect()
    }

    /// A word as written: its stem when it may be a marked one, and whether it matches.
    fn judge(&mut self, written: &str) -> Judged {
        let highlighter = self.highlighter;
        // The word lower-cased and folded, as stems are; none when it is too long to index.
        let Some(folded) = analysis::terms(&mut self.plain, written).pop() else {
            return Judged::default();
        };
        let stem = highlighter.may_stem_to_a_mark(&folded).then(|| {
            analysis::terms(&mut self.stemmed, written)
                .pop()
                .unwrap_or_default()
        });
        let matches = stem.as_ref().is_some_and(|s| highlighter.stems.contains(s))
            || highlighter
                .prefixes
                .iter()
                .any(|p| folded.starts_with(p.as_str()));
        Judged {
            stem: stem.map(Arc::from),
            matches,
        }
    }

    /// The whole of `text` with its matching words marked; `None` when none match.
    pub fn whole(&mut self, text: &str) -> Option<String> {
        let marks = self.marks(text);
        (!marks.is_empty()).then(|| marked_html(text, 0..text.len(), &marks))
    }

    /// About [`SNIPPET_CHARS`] characters of `text` around the densest run of matches, marked,
    /// with `…` where it was cut; `None` when nothing matches.
    pub fn snippet(&mut self, text: &str) -> Option<String> {
        let marks = self.marks(text);
        snippet_around(text, &marks)
    }
}

/// The window of [`SNIPPET_CHARS`] bytes starting at a match that covers the most matches:
/// how many, and where it starts; `None` when there are no marks.
pub fn densest_window(marks: &[Range<usize>]) -> Option<(usize, usize)> {
    let first = marks.first()?;
    let mut best = (0, first.start);
    for (i, mark) in marks.iter().enumerate() {
        let end = mark.start + SNIPPET_CHARS;
        let covered = marks[i..].iter().take_while(|m| m.end <= end).count();
        if covered > best.0 {
            best = (covered, mark.start);
        }
    }
    Some(best)
}

/// About [`SNIPPET_CHARS`] characters of `text` around the densest run of `marks` (its
/// matches, sorted), marked, with `…` where it was cut; `None` when there are no marks.
pub fn snippet_around(text: &str, marks: &[Range<usize>]) -> Option<String> {
    let (_, anchor) = densest_window(marks)?;
    let start = window_start(text, anchor);
    let end = window_end(text, start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&marked_html(text, start..end, marks));
    if end < text.len() {
        out.push('…');
    }
    Some(out)
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

/// Whether a word of `bytes` may match: it starts with a byte of `table`, or one of its
/// first two bytes is not ASCII (see [`Highlighter::candidate_words`]).
fn is_candidate(table: &[bool; 256], bytes: &[u8], word: &Range<usize>) -> bool {
    let first = bytes[word.start];
    table[usize::from(first)]
        || !first.is_ascii()
        || (word.len() > 1 && !bytes[word.start + 1].is_ascii())
}

/// The words of an ASCII text that start with a byte of `table`, offset by `offset`: 64
/// bytes at a time, as a bit mask of word bytes (made without a branch per byte); only the
/// starts of words are looked up in `table`.
fn ascii_candidates(bytes: &[u8], offset: usize, table: &[bool; 256], out: &mut Vec<Range<usize>>) {
    // Whether the byte before the chunk is part of a word.
    let mut in_word = 0u64;
    for (chunk_index, chunk) in bytes.chunks(64).enumerate() {
        let at = chunk_index * 64;
        let word = word_mask(chunk);
        let mut starts = word & !((word << 1) | in_word);
        while starts != 0 {
            let bit = starts.trailing_zeros();
            starts &= starts - 1;
            let start = at + bit as usize;
            if !table[usize::from(bytes[start])] {
                continue;
            }
            // The word ends at the next byte of the chunk that is not a word byte, or runs on
            // into the next chunks.
            let after = !word & (u64::MAX << bit);
            let end = match after {
                0 => {
                    let from = at + chunk.len();
                    from + bytes[from..]
                        .iter()
                        .position(|b| !b.is_ascii_alphanumeric())
                        .unwrap_or(bytes.len() - from)
                }
                after => at + after.trailing_zeros() as usize,
            };
            out.push(offset + start..offset + end);
        }
        in_word = (word >> (chunk.len() - 1)) & 1;
    }
}

/// Bit `i` set when byte `i` of `chunk` (at most 64 bytes) is an ASCII letter or digit:
/// a flag per byte (a loop the compiler vectorizes), then eight flags at a time gathered into
/// a byte by one multiplication (each flag's bit lands in the top byte, the cross terms in
/// distinct lower bits or past the top, so nothing carries into it).
fn word_mask(chunk: &[u8]) -> u64 {
    let mut flags = [0u8; 64];
    for (flag, byte) in flags.iter_mut().zip(chunk) {
        let lower = byte | 0x20;
        *flag = u8::from(lower.wrapping_sub(b'a') < 26) | u8::from(byte.wrapping_sub(b'0') < 10);
    }
    let mut mask = 0u64;
    for (i, eight) in flags.chunks_exact(8).enumerate() {
        let mut packed = [0u8; 8];
        packed.copy_from_slice(eight);
        let gathered = u64::from_le_bytes(packed).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= gathered << (8 * i);
    }
    mask
}

/// How many words [`word_ranges`] finds in `text`. ASCII text is counted 64 bytes at a
/// time: a word starts at each letter or digit that follows none.
pub(super) fn count_words(text: &str) -> usize {
    if !text.is_ascii() {
        return word_ranges(text).count();
    }
    let mut count = 0;
    // Whether the byte before the chunk is a letter or digit.
    let mut carry = 0u64;
    for chunk in text.as_bytes().chunks(64) {
        let mask = word_mask(chunk);
        let starts = mask & !((mask << 1) | carry);
        count += starts.count_ones() as usize;
        carry = mask >> 63;
    }
    count
}

/// The byte ranges of `text`'s words as tantivy's `SimpleTokenizer` (every analyzer's
/// tokenizer) splits them: runs of alphanumeric characters. ASCII bytes are judged as bytes;
/// only other characters are decoded.
pub(super) fn word_ranges(text: &str) -> Words<'_> {
    Words { text, at: 0 }
}

/// The words of a text, as [`word_ranges`] finds them.
pub(super) struct Words<'t> {
    text: &'t str,
    /// Always at a character boundary.
    at: usize,
}

impl Words<'_> {
    /// The length of the character at `at` when it is alphanumeric.
    fn alphanumeric_at(&self, at: usize) -> Option<usize> {
        let byte = *self.text.as_bytes().get(at)?;
        if byte.is_ascii() {
            return byte.is_ascii_alphanumeric().then_some(1);
        }
        let c = self.text.get(at..)?.chars().next()?;
        c.is_alphanumeric().then(|| c.len_utf8())
    }
}

impl Iterator for Words<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let bytes = self.text.as_bytes();
        // To the next word: ASCII bytes that are not letters or digits a byte at a time,
        // other characters decoded.
        loop {
            let byte = *bytes.get(self.at)?;
            if byte.is_ascii() {
                if byte.is_ascii_alphanumeric() {
                    break;
                }
                self.at += 1;
            } else {
                match self.alphanumeric_at(self.at) {
                    Some(_) => break,
                    None => {
                        let c = self.text.get(self.at..)?.chars().next()?;
                        self.at += c.len_utf8();
                    }
                }
            }
        }
        let start = self.at;
        // Through the word: ASCII letters and digits in a tight loop.
        loop {
            while bytes.get(self.at).is_some_and(u8::is_ascii_alphanumeric) {
                self.at += 1;
            }
            match bytes.get(self.at) {
                Some(byte) if !byte.is_ascii() => match self.alphanumeric_at(self.at) {
                    Some(len) => self.at += len,
                    None => break,
                },
                _ => break,
            }
        }
        Some(start..self.at)
    }
}

/// The first bytes of the ASCII `quick_starts` (lower-case), upper-cased too, and `y`/`Y`
/// where one is an `i` (a `y` in a word stands for an `i` in a stem); starts with bytes that
/// are not ASCII are left out, since words whose first two bytes are not ASCII are judged
/// anyway.
fn start_bytes(quick_starts: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes: Vec<u8> = quick_starts
        .iter()
        .filter(|start| start.is_ascii())
        .filter_map(|start| start.first().copied())
        .flat_map(|b| [b, if b == b'i' { b'y' } else { b }])
        .flat_map(|b| [b, b.to_ascii_uppercase()])
        .collect();
    bytes.sort_unstable();
    bytes.dedup();
    bytes
}

/// `text` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_text(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(query: &str, prefix: bool) -> Highlighter {
        with_typos(query, prefix, &[])
    }

    fn with_typos(query: &str, prefix: bool, typo_stems: &[&str]) -> Highlighter {
        let typo_stems: Vec<String> = typo_stems.iter().map(|s| s.to_string()).collect();
        Highlighter::new(
            &ParsedQuery::parse(query, prefix),
            &typo_stems,
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
        // A typo marks the index words the search expanded it to, in any of their forms.
        let typo = with_typos("renderign", false, &["render"]);
        assert_eq!(
            typo.whole("Rendering tiles, rendered").as_deref(),
            Some("<mark>Rendering</mark> tiles, <mark>rendered</mark>")
        );
        assert_eq!(
            highlighter("renderign", false).whole("Rendering tiles"),
            None
        );
        assert_eq!(highlighter("zzz", false).whole("Rendering tiles"), None);
    }

    proptest::proptest! {
        #[test]
        fn words_are_split_as_the_analyzers_split_them(text in "\\PC{0,120}") {
            use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};
            let mut tokenizer = SimpleTokenizer::default();
            let mut stream = tokenizer.token_stream(&text);
            let mut expected = Vec::new();
            while stream.advance() {
                expected.push(stream.token().offset_from..stream.token().offset_to);
            }
            proptest::prop_assert_eq!(word_ranges(&text).collect::<Vec<_>>(), expected);
        }

        #[test]
        fn words_are_counted_as_they_are_split(text in "([a-z0-9 .]{0,70}|\\PC{0,3}){0,4}") {
            proptest::prop_assert_eq!(count_words(&text), word_ranges(&text).count());
        }

        #[test]
        fn candidate_words_are_the_words_that_may_match(
            words in proptest::collection::vec(
                "(Draw|drawing|dye|tool|Tools|tram|pen|x|I|a1|2024|[a-z]{1,12}|[A-Z][a-z]{0,9}|écrit|d’x|\\PC{1,4})",
                0..120,
            ),
            separators in proptest::collection::vec("( |  |\n|, |\\. |-|’|\\PC)", 120),
            query in "(draw|dying|tools|pen\\*|ice|ecrit|tram)( tram)?",
            ascii in proptest::bool::ANY,
        ) {
            let mut text = String::new();
            for (word, separator) in words.iter().zip(&separators) {
                text.push_str(word);
                text.push_str(separator);
            }
            // Half the texts are ASCII only, so lines take the fast scan.
            if ascii {
                text.retain(|c| c.is_ascii());
            }
            let highlighter = with_typos(&query, true, &[]);
            let table = highlighter.start_bytes.as_deref().expect("no phrase: a table");
            let bytes = text.as_bytes();
            let expected: Vec<Range<usize>> = word_ranges(&text)
                .filter(|word| is_candidate(table, bytes, word))
                .collect();
            proptest::prop_assert_eq!(highlighter.candidate_words(&text), expected);
        }

        #[test]
        fn ruling_words_out_early_marks_the_same_words(
            words in proptest::collection::vec(
                "(Draw|drawing|dying|Dye|tool|Tools|tram|trams|pencil|pen|yes|Ice|écrit|a|I|x|\\PC{1,6}|[dtp][éy’]{1,2}[a-z]{0,3})",
                0..40,
            ),
            query in proptest::collection::vec(
                "(draw|dying|tools|\"hand tools\"|pen\\*|ice|ecrit|tram)",
                1..4,
            ),
        ) {
            let text = words.join(" ");
            let query = query.join(" ");
            let prefixed = with_typos(&query, true, &["tram"]);
            let mut slow_prefixed = prefixed.clone();
            slow_prefixed.stem_starts = None;
            slow_prefixed.quick_starts = None;
            slow_prefixed.start_bytes = None;
            proptest::prop_assert_eq!(prefixed.marks(&text), slow_prefixed.marks(&text));
            let fast = with_typos(&query, false, &["tram"]);
            let mut slow = fast.clone();
            slow.stem_starts = None;
            slow.quick_starts = None;
            slow.start_bytes = None;
            // Without a phrase, the fast way finds the words to judge without splitting.
            proptest::prop_assert_eq!(fast.start_bytes.is_some(), !query.contains('"'));
            proptest::prop_assert_eq!(fast.marks(&text), slow.marks(&text));
        }
    }

    #[test]
    fn word_masks_mark_ascii_letters_and_digits() {
        let every_byte: Vec<u8> = (0..=255).collect();
        for chunk in every_byte.chunks(64).chain([&b"a1 Z9_"[..]]) {
            let mask = word_mask(chunk);
            for (i, byte) in chunk.iter().enumerate() {
                assert_eq!(
                    mask >> i & 1 == 1,
                    byte.is_ascii_alphanumeric(),
                    "byte {byte}"
                );
            }
            assert_eq!(
                mask >> chunk.len().min(63) >> 1,
                0,
                "nothing past the chunk"
            );
        }
    }

    #[test]
    fn english_stems_keep_the_first_two_letters() {
        let words = "dying lying tying skies skis idly gently ugly early only singly sky news \
            yelling youth yearly ayes eyed eying yes is as a i us oed agreed generously \
            communication arsenals united conditional rationalization hopefully running \
            happy happiness cried cries flies ties wrote written bees seeing agreement \
            feed bled goes does doing y ye yy yay proceed exceed succeed herring earring";
        let mut stemmed = analysis::stemmed(Some(Language::English));
        let mut plain = analysis::plain();
        for word in words.split_whitespace() {
            let stem = analysis::terms(&mut stemmed, word)
                .pop()
                .unwrap_or_default();
            let folded = analysis::terms(&mut plain, word).pop().unwrap_or_default();
            let kept = kept_start(Some(Language::English)).min(stem.len());
            assert!(
                starts_alike(folded.as_bytes(), &stem.as_bytes()[..kept]),
                "{word} → {stem}"
            );
        }
    }

    #[test]
    fn every_language_marks_the_same_words_with_or_without_the_first_letter_shortcut() {
        // German stems change endings only; Arabic strips prefixes, so it stems every word.
        for (language, query, text, marked) in [
            (
                Language::German,
                "häuser",
                "Die Häusern und Hause",
                "Häusern",
            ),
            (Language::Arabic, "كتاب", "الكتاب جديد", "الكتاب"),
        ] {
            let h = Highlighter::new(&ParsedQuery::parse(query, false), &[], Some(language));
            assert_eq!(h.stem_starts.is_some(), kept_start(Some(language)) > 0);
            let html = h.whole(text).unwrap_or_default();
            assert!(
                html.contains(&format!("<mark>{marked}</mark>")),
                "{language:?}: {html}"
            );
        }
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
}
