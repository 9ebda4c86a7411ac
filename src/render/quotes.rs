//! Typographic quotes placed as kramdown places them.
//!
//! comrak (`parse.smart`) treats quotes like emphasis delimiters: it looks at the characters on
//! both sides, lets an opening quote wait for a closing one and pairs them across the
//! paragraph. kramdown decides each quote on its own, from the quote's neighbours in the
//! *source*, by the first of its rules that matches (`parser/kramdown/smart_quotes.rb`), and a
//! character that another span element took (the backtick closing a code span, the `**`
//! opening bold text) is not a neighbour. So `` `P`'s `` is `P’s` and `**"-cover"**` is
//! `“-cover”` in kramdown, where comrak writes `P‘s` and `”-cover”`.
//!
//! [`requote`] walks the parsed tree once and, for every text node holding a quote comrak
//! made typographic, lines the node's text up with its source (backslash escapes, dashes,
//! ellipses and guillemets accounted for) and writes the quote kramdown would write. A node
//! whose text does not line up with its source (a character reference, a multi-line node,
//! positions comrak does not keep exactly) keeps comrak's quotes.

use comrak::nodes::{AstNode, NodeValue};

const LSQUO: char = '\u{2018}';
const RSQUO: char = '\u{2019}';
const LDQUO: char = '\u{201C}';
const RDQUO: char = '\u{201D}';

/// kramdown's `SQ_PUNCT`.
const SQ_PUNCT: &str = "!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Characters another kramdown span parser takes before the smart-quote parser sees them
/// (emphasis, code spans, autolinks and HTML, links, escapes, entities, math, strikethrough,
/// extensions), so they are never a quote's left neighbour.
const TAKEN_BY_OTHER_SPANS: &str = "*_`<[!&\\{$~";

/// Rewrites the quotes comrak made typographic under `root` as kramdown places them;
/// `source` is the Markdown the tree was parsed from.
///
/// Runs on every post's parse (rendering, the link graph, plain text), so the common case
/// costs little: a text node is judged by a byte search for a typographic quote, and the
/// source is split into lines only once a node holds one.
pub fn requote<'a>(root: &'a AstNode<'a>, source: &str) {
    if memchr::memchr2(b'\'', b'"', source.as_bytes()).is_none() {
        return;
    }
    let mut lines: Option<Vec<&str>> = None;
    for node in root.descendants() {
        let pos = {
            let data = node.data();
            match &data.value {
                NodeValue::Text(text)
                    if data.sourcepos.start.line == data.sourcepos.end.line
                        && has_typographic_quote(text) =>
                {
                    data.sourcepos
                }
                _ => continue,
            }
        };
        let lines = lines.get_or_insert_with(|| {
            source
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .collect()
        });
        let Some(line) = pos.start.line.checked_sub(1).and_then(|l| lines.get(l)) else {
            continue;
        };
        let (from, to) = (pos.start.column.saturating_sub(1), pos.end.column);
        let Some(slice) = line.get(from..to.min(line.len())) else {
            continue;
        };
        if memchr::memchr2(b'\'', b'"', slice.as_bytes()).is_none() {
            continue;
        }
        let after_break = node
            .previous_sibling()
            .is_some_and(|p| matches!(p.data().value, NodeValue::SoftBreak));
        let rest_of_line = &line[from..];
        let mut data = node.data_mut();
        let NodeValue::Text(text) = &mut data.value else {
            continue;
        };
        if let Some(requoted) = requote_text(text, slice, rest_of_line, after_break) {
            *text = requoted.into();
        }
    }
}

/// Whether `text` holds one of the typographic quotes comrak writes (‘ ’ “ ”: UTF-8
/// `E2 80 98`, `99`, `9C`, `9D`), found by a byte search.
fn has_typographic_quote(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xE2, bytes).any(|at| {
        bytes.get(at + 1) == Some(&0x80)
            && matches!(bytes.get(at + 2), Some(0x98 | 0x99 | 0x9C | 0x9D))
    })
}

/// One source character's part in the text: a plain character (a possible left neighbour of
/// a quote), a quote comrak made typographic (its index in the text), or something else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    Plain,
    Quote(usize),
    Other,
}

/// `text` (a text node's content) with its typographic quotes placed as kramdown would,
/// given the node's `source` slice and the source line from the node's start (`line`, for
/// looking past the node); `None` when the text does not line up with the source.
fn requote_text(text: &str, source: &str, line: &str, after_break: bool) -> Option<String> {
    let mut chars: Vec<char> = text.chars().collect();
    let pieces = align(&chars, source)?;
    let mut decided: Vec<Option<char>> = vec![None; pieces.len()];
    let mut skip_next_quote = false;
    for (at, (byte, piece)) in pieces.iter().enumerate() {
        let Piece::Quote(_) = piece else {
            continue;
        };
        if std::mem::take(&mut skip_next_quote) {
            continue;
        }
        let quote = char::from(source.as_bytes()[*byte]);
        let before = match at.checked_sub(1) {
            None => after_break.then_some('\n'),
            Some(prev) => match pieces[prev] {
                (b, Piece::Plain) => source[b..]
                    .chars()
                    .next()
                    .filter(|c| !TAKEN_BY_OTHER_SPANS.contains(*c)),
                _ => None,
            },
        };
        let after = &line[byte + 1..];
        match decide(before, quote, after) {
            Decision::One(c) => decided[at] = Some(c),
            Decision::Pair(first, second) => {
                decided[at] = Some(first);
                if pieces
                    .get(at + 1)
                    .is_some_and(|p| matches!(p.1, Piece::Quote(_)))
                {
                    decided[at + 1] = Some(second);
                    skip_next_quote = true;
                }
            }
            Decision::LiteralThenClosing(second) => {
                decided[at] = Some(quote);
                if pieces
                    .get(at + 1)
                    .is_some_and(|p| matches!(p.1, Piece::Quote(_)))
                {
                    decided[at + 1] = Some(second);
                    skip_next_quote = true;
                }
            }
        }
    }
    let mut changed = false;
    for ((_, piece), choice) in pieces.iter().zip(decided) {
        if let (Piece::Quote(index), Some(c)) = (piece, choice) {
            if chars[*index] != c {
                chars[*index] = c;
                changed = true;
            }
        }
    }
    changed.then(|| chars.into_iter().collect())
}

/// Lines `text` up with `source`: each source character (by byte offset) with its part in
/// the text. `None` when they do not line up.
fn align(text: &[char], source: &str) -> Option<Vec<(usize, Piece)>> {
    let mut pieces = Vec::with_capacity(source.len());
    let bytes = source.as_bytes();
    let (mut s, mut t) = (0usize, 0usize);
    while s < source.len() {
        let c = source[s..].chars().next()?;
        match c {
            '\\' if bytes.get(s + 1).is_some_and(u8::is_ascii_punctuation) => {
                if text.get(t) != Some(&char::from(bytes[s + 1])) {
                    return None;
                }
                pieces.push((s, Piece::Other));
                s += 2;
                t += 1;
            }
            // A character reference: what it decodes to is not worth a table here.
            '&' => return None,
            '\'' | '"' => {
                if !matches!(text.get(t), Some(&(LSQUO | RSQUO | LDQUO | RDQUO))) {
                    return None;
                }
                pieces.push((s, Piece::Quote(t)));
                s += 1;
                t += 1;
            }
            '-' | '.' if run_of(bytes, s) >= if c == '-' { 2 } else { 3 } => {
                let run = run_of(bytes, s);
                let made: &[char] = if c == '-' {
                    &['\u{2013}', '\u{2014}', '-']
                } else {
                    &['\u{2026}', '.']
                };
                let start = t;
                while text.get(t).is_some_and(|x| made.contains(x)) {
                    t += 1;
                }
                if t == start {
                    return None;
                }
                pieces.push((s, Piece::Other));
                s += run;
            }
            '<' | '>' if bytes.get(s + 1) == Some(&(c as u8)) => {
                let made = if c == '<' { '\u{ab}' } else { '\u{bb}' };
                if text.get(t) != Some(&made) {
                    return None;
                }
                pieces.push((s, Piece::Other));
                s += 2;
                t += 1;
            }
            c => {
                if text.get(t) != Some(&c) {
                    // Trailing white space the text node does not keep.
                    if t == text.len() && source[s..].trim().is_empty() {
                        break;
                    }
                    return None;
                }
                pieces.push((s, Piece::Plain));
                s += c.len_utf8();
                t += 1;
            }
        }
    }
    (t == text.len()).then_some(pieces)
}

/// How many times the byte at `at` repeats from there.
fn run_of(bytes: &[u8], at: usize) -> usize {
    bytes[at..].iter().take_while(|b| **b == bytes[at]).count()
}

/// What kramdown writes for a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// This character for the quote.
    One(char),
    /// These for the quote and the quote right after it.
    Pair(char, char),
    /// The quote stays as written and the quote right after it closes.
    LiteralThenClosing(char),
}

/// kramdown's `SQ_RULES`, first match wins: `before` is the quote's left neighbour in the
/// same stretch of text (none when the quote starts the text or follows another span
/// element), `after` the source from just after the quote to the end of its line.
fn decide(before: Option<char>, quote: char, after: &str) -> Decision {
    let (left, right) = match quote {
        '\'' => (LSQUO, RSQUO),
        _ => (LDQUO, RDQUO),
    };
    let mut next = after.chars();
    let (a0, a1, a2) = (next.next(), next.next(), next.next());
    let space = |c: Option<char>| {
        c.is_some_and(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c'))
    };
    // Ruby's `\w` is ASCII; its `\b` also counts other letters and digits as word characters.
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let boundary_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let pair_follows = |q: char| a0 == Some(q) && word(a1);
    let decade = quote == '\'' && digit(a0) && digit(a1) && a2 == Some('s');
    match before {
        Some(b) => {
            let b_space = space(Some(b));
            if b_space && quote == '"' && pair_follows('\'') {
                Decision::Pair(LDQUO, LSQUO)
            } else if b_space && quote == '\'' && pair_follows('"') {
                Decision::Pair(LSQUO, LDQUO)
            } else if b_space && decade {
                Decision::One(RSQUO)
            } else if b_space && word(a0) {
                Decision::One(left)
            } else if !" \\\t\r\n[{(-".contains(b) {
                Decision::One(right)
            } else {
                Decision::One(left)
            }
        }
        None => {
            // `[_*]{1,2}\S`: a second `_` or `*` is itself not white space.
            let emphasis_follows = matches!(a0, Some('_' | '*')) && a1.is_some() && !space(a1);
            let punct_follows = a0.is_some_and(|c| SQ_PUNCT.contains(c))
                && !after
                    .get(a0.map_or(0, char::len_utf8)..)
                    .is_some_and(|r| r.starts_with(".."))
                && !boundary_word(a1);
            if emphasis_follows {
                Decision::One(left)
            } else if punct_follows {
                Decision::One(right)
            } else if quote == '"' && pair_follows('\'') {
                Decision::Pair(LDQUO, LSQUO)
            } else if quote == '\'' && pair_follows('"') {
                Decision::Pair(LSQUO, LDQUO)
            } else if decade {
                Decision::One(RSQUO)
            } else if let Some(q @ ('\'' | '"')) = a0 {
                Decision::LiteralThenClosing(if q == '\'' { RSQUO } else { RDQUO })
            } else if a0.is_none() || space(a0) || (a0 == Some('s') && !boundary_word(a1)) {
                Decision::One(right)
            } else {
                Decision::One(left)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::markdown::render_markdown;

    fn html(markdown: &str) -> String {
        render_markdown(markdown).html
    }

    /// Each case checked against kramdown 2.4 (`input: GFM`, Jekyll's smart quotes).
    #[test]
    fn quotes_follow_kramdown() {
        for (markdown, expected) in [
            ("`P`'s", "<p><code>P</code>’s</p>"),
            ("**\"-cover\"**", "<p><strong>“-cover”</strong></p>"),
            (
                "`P`'s value and 'single' quotes",
                "<p><code>P</code>’s value and ‘single’ quotes</p>",
            ),
            (
                "*foo*'s [a](b)'s",
                "<p><em>foo</em>’s <a href=\"b\">a</a>’s</p>",
            ),
            (
                "He said \"'Quoted' words\".",
                "<p>He said “‘Quoted’ words”.</p>",
            ),
            ("Don't ''x'' the '80s", "<p>Don’t ‘‘x’’ the ’80s</p>"),
            (
                "\"*em*\" a\"-b\" \"(x)\"",
                "<p>“<em>em</em>” a”-b” “(x)”</p>",
            ),
            ("it's\n'twas", "<p>it’s\n‘twas</p>"),
            (
                "an \\\"escaped\\\" quote",
                "<p>an &quot;escaped&quot; quote</p>",
            ),
        ] {
            assert_eq!(html(markdown).trim_end(), expected, "{markdown}");
        }
    }

    #[test]
    fn typographic_quotes_are_found_by_their_bytes() {
        for text in ["‘", "a’s", "“x”", "end”"] {
            assert!(has_typographic_quote(text), "{text}");
        }
        // Other punctuation of the same UTF-8 block (– — … •), plain quotes, none at all.
        for text in ["", "plain", "a – b — c…", "• 'x' \"y\"", "†‡"] {
            assert!(!has_typographic_quote(text), "{text}");
        }
    }

    #[test]
    fn text_that_does_not_line_up_keeps_comraks_quotes() {
        // A character reference in the node: comrak's choice stands.
        assert_eq!(
            html("`P`'s &amp; more").trim_end(),
            "<p><code>P</code>’s &amp; more</p>"
        );
    }

    #[test]
    fn decisions_by_rule() {
        use Decision::*;
        assert_eq!(decide(None, '\'', "s here"), One(RSQUO));
        assert_eq!(decide(None, '\'', "t here"), One(LSQUO));
        assert_eq!(decide(None, '"', "-cover\""), One(LDQUO));
        assert_eq!(decide(None, '"', "."), One(RDQUO));
        assert_eq!(decide(None, '"', "'x"), Pair(LDQUO, LSQUO));
        assert_eq!(decide(None, '\'', "'x"), LiteralThenClosing(RSQUO));
        assert_eq!(decide(Some(' '), '\'', "80s"), One(RSQUO));
        assert_eq!(decide(Some('('), '"', "x"), One(LDQUO));
        assert_eq!(decide(Some('a'), '"', "-b"), One(RDQUO));
        assert_eq!(decide(None, '"', "*em*"), One(LDQUO));
    }
}
