//! Rewriting Markdown source outside code. Jekyll/kramdown syntax (attribute lists, wiki links)
//! is rewritten before the Markdown pass, but never inside fenced code or code spans, where it
//! is an example, not markup.

use crate::text::fence::{Fences, Line};
use std::borrow::Cow;

/// Applies `rewrite` to every stretch of `text` outside fenced code blocks (by
/// [`Fences`]' rules, the word count's too). Inline code spans
/// inside those stretches are hidden from `rewrite` (replaced by placeholders and restored).
pub fn map_outside_code(text: &str, rewrite: impl FnMut(&str) -> String) -> String {
    map_stretches(text, |_| false, |_| true, rewrite)
}

/// [`map_outside_code`] for a rewrite that changes only stretches holding `needle` (a
/// kramdown attribute list's `{:`, an end tag's `</`): the others are copied as they are,
/// without hiding their code spans or calling `rewrite`, and a text without `needle` comes
/// back borrowed.
pub fn map_outside_code_holding<'t>(
    text: &'t str,
    needle: &str,
    rewrite: impl FnMut(&str) -> String,
) -> Cow<'t, str> {
    if !text.contains(needle) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(map_stretches(
        text,
        |_| false,
        |prose| prose.contains(needle),
        rewrite,
    ))
}

/// [`map_outside_code`] that also leaves alone the lines (1-based) `is_code` says are code
/// (indented code blocks, which only a Markdown parser can tell from list continuations).
pub fn map_outside_code_except(
    text: &str,
    is_code: impl Fn(usize) -> bool,
    rewrite: impl FnMut(&str) -> String,
) -> String {
    map_stretches(text, is_code, |_| true, rewrite)
}

/// Rewrites the stretches of prose outside code that `wanted` accepts.
fn map_stretches(
    text: &str,
    is_code: impl Fn(usize) -> bool,
    wanted: impl Fn(&str) -> bool,
    mut rewrite: impl FnMut(&str) -> String,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prose = String::new();
    let mut fences = Fences::default();
    let mut flush = |prose: &mut String, out: &mut String| {
        if wanted(prose) {
            out.push_str(&rewrite_prose(prose, &mut rewrite));
        } else {
            out.push_str(prose);
        }
        prose.clear();
    };
    for (number, line) in text.split_inclusive('\n').enumerate() {
        match fences.line(line) {
            Line::Text if is_code(number + 1) => {
                flush(&mut prose, &mut out);
                out.push_str(line);
            }
            Line::Text => prose.push_str(line),
            Line::Opening => {
                flush(&mut prose, &mut out);
                out.push_str(line);
            }
            Line::Code | Line::Closing => out.push_str(line),
        }
    }
    flush(&mut prose, &mut out);
    out
}

use std::collections::{HashMap, VecDeque};

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Hides code spans behind placeholders, rewrites, then restores them.
fn rewrite_prose(prose: &str, rewrite: &mut impl FnMut(&str) -> String) -> String {
    if prose.is_empty() {
        return String::new();
    }
    let mut spans: Vec<&str> = Vec::new();
    let mut hidden = String::with_capacity(prose.len());
    let runs = backtick_runs(prose);
    // Where each run length occurs, in order: the closing run of a code span is the next
    // run of the same length, found without rescanning the text (linear however many
    // unmatched runs there are).
    let mut by_length: HashMap<usize, VecDeque<usize>> = HashMap::new();
    for (start, len) in &runs {
        by_length.entry(*len).or_default().push_back(*start);
    }
    let mut copied = 0;
    for &(i, run) in &runs {
        if i < copied {
            continue; // inside a code span already hidden
        }
        let same = by_length.entry(run).or_default();
        while same.front().is_some_and(|start| *start <= i) {
            same.pop_front();
        }
        let Some(&close) = same.front() else {
            continue;
        };
        hidden.push_str(&prose[copied..i]);
        hidden.push(OPEN);
        hidden.push_str(&spans.len().to_string());
        hidden.push(CLOSE);
        spans.push(&prose[i..close + run]);
        copied = close + run;
    }
    hidden.push_str(&prose[copied..]);
    if spans.is_empty() {
        return rewrite(prose);
    }
    let rewritten = rewrite(&hidden);
    let mut restored = String::with_capacity(rewritten.len() + prose.len());
    let mut rest = rewritten.as_str();
    while let Some(start) = rest.find(OPEN) {
        restored.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        // Only the digits right after `OPEN` are looked at, so stray `OPEN` characters in
        // the text cannot make this scan the rest of the text again and again.
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let span = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|n| *n < spans.len() && after[digits..].starts_with(CLOSE));
        match span {
            Some(n) => {
                restored.push_str(spans[n]);
                rest = &after[digits + CLOSE.len_utf8()..];
            }
            _ => {
                restored.push(OPEN);
                rest = after;
            }
        }
    }
    restored.push_str(rest);
    restored
}

/// Every run of backticks in `text`: (start, length), in order.
fn backtick_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
            runs.push((i, run));
            i += run;
        } else {
            i += 1;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(text: &str) -> String {
        map_outside_code(text, |s| s.to_uppercase())
    }

    /// The code-span scan before it was made linear, kept to check the linear one against.
    fn quadratic_rewrite_prose(prose: &str, rewrite: &mut impl FnMut(&str) -> String) -> String {
        if prose.is_empty() {
            return String::new();
        }
        let mut spans: Vec<&str> = Vec::new();
        let mut hidden = String::with_capacity(prose.len());
        let bytes = prose.as_bytes();
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
                let after = i + run;
                let closing = old_find_backtick_run(&prose[after..], run).map(|p| after + p);
                if let Some(close) = closing {
                    hidden.push_str(&prose[copied..i]);
                    hidden.push(OPEN);
                    hidden.push_str(&spans.len().to_string());
                    hidden.push(CLOSE);
                    spans.push(&prose[i..close + run]);
                    i = close + run;
                    copied = i;
                    continue;
                }
                i = after;
                continue;
            }
            i += 1;
        }
        hidden.push_str(&prose[copied..]);
        if spans.is_empty() {
            return rewrite(prose);
        }
        let rewritten = rewrite(&hidden);
        let mut restored = String::with_capacity(rewritten.len() + prose.len());
        let mut rest = rewritten.as_str();
        while let Some(start) = rest.find(OPEN) {
            restored.push_str(&rest[..start]);
            let after = &rest[start + OPEN.len_utf8()..];
            match after
                .find(CLOSE)
                .and_then(|end| Some((end, after[..end].parse::<usize>().ok()?)))
            {
                Some((end, n)) if n < spans.len() => {
                    restored.push_str(spans[n]);
                    rest = &after[end + CLOSE.len_utf8()..];
                }
                _ => {
                    restored.push(OPEN);
                    rest = after;
                }
            }
        }
        restored.push_str(rest);
        restored
    }
    fn old_find_backtick_run(text: &str, len: usize) -> Option<usize> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
                if run == len {
                    return Some(i);
                }
                i += run;
            } else {
                i += 1;
            }
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn linear_scan_matches_the_simple_one(text in "[`a \u{E000}\u{E001}0-9]{0,40}") {
            let mut upper = |s: &str| s.to_uppercase();
            proptest::prop_assert_eq!(
                rewrite_prose(&text, &mut upper),
                quadratic_rewrite_prose(&text, &mut upper)
            );
        }
    }

    #[test]
    fn fenced_code_and_code_spans_are_left_alone() {
        assert_eq!(upper("a `b` c\n"), "A `b` C\n");
        assert_eq!(
            upper("x\n```sh\nif [[ a ]]\n```\ny\n"),
            "X\n```sh\nif [[ a ]]\n```\nY\n"
        );
        assert_eq!(
            upper("~~~~\nz\n~~~\nstill code\n~~~~\nw"),
            "~~~~\nz\n~~~\nstill code\n~~~~\nW"
        );
        assert_eq!(upper("``a`b`` c"), "``a`b`` C");
        assert_eq!(upper("unclosed ` tick"), "UNCLOSED ` TICK");
    }

    #[test]
    fn only_stretches_holding_the_needle_are_rewritten() {
        let upper_holding =
            |text: &str| map_outside_code_holding(text, "{:", str::to_uppercase).into_owned();
        // The stretch before the fence holds `{:`, the one after does not.
        assert_eq!(
            upper_holding("a {:x} `b {:c}`\n```\nd {:e}\n```\nf g\n"),
            "A {:X} `b {:c}`\n```\nd {:e}\n```\nf g\n"
        );
        // A needle in a code span counts, and the span is still hidden from the rewrite.
        assert_eq!(upper_holding("`{:x}` and y"), "`{:x}` AND Y");
        assert_eq!(upper_holding("no needle"), "no needle");
    }
}
