//! Spans: where the `{{ ... }}` and `{% ... %}` of a body are, found the way liquid's
//! grammar finds them (closely enough to map its errors back to a tag), with block start
//! and end tags paired.

use std::collections::HashMap;

/// What a span is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SpanKind {
    /// `{{ ... }}`
    Output,
    /// `{% name ... %}`
    Tag(String),
    /// `{% raw %}...{% endraw %}`, taken whole.
    Raw,
    /// `{{` or `{%` that is never closed (just those two characters).
    Stray,
}

/// A `{{ ... }}` or `{% ... %}` of a body, at bytes `start..end`.
#[derive(Debug, Clone)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: SpanKind,
    /// The matching start or end tag of a block.
    pub(super) pair: Option<usize>,
}

/// Where each delimiter occurs in a text (overlapping occurrences included), so that
/// finding the next one is a binary search and scanning stays linear in the text's size.
struct Marks {
    /// `{{`
    output_open: Vec<usize>,
    /// `}}`
    output_close: Vec<usize>,
    /// `{%`
    tag_open: Vec<usize>,
    /// `%}`
    tag_close: Vec<usize>,
    /// Start and end of each `{% endraw %}` (up to the first `{%` that never closes).
    endraws: Vec<(usize, usize)>,
}

impl Marks {
    fn new(src: &str) -> Self {
        let bytes = src.as_bytes();
        let mut marks = Marks {
            output_open: Vec::new(),
            output_close: Vec::new(),
            tag_open: Vec::new(),
            tag_close: Vec::new(),
            endraws: Vec::new(),
        };
        for (i, pair) in bytes.windows(2).enumerate() {
            match (pair[0], pair[1]) {
                (b'{', b'{') => marks.output_open.push(i),
                (b'}', b'}') => marks.output_close.push(i),
                (b'{', b'%') => marks.tag_open.push(i),
                (b'%', b'}') => marks.tag_close.push(i),
                _ => {}
            }
        }
        for &start in &marks.tag_open {
            let Some(close) = next(&marks.tag_close, start + 2) else {
                break;
            };
            if is_endraw(bytes, start + 2, close) {
                marks.endraws.push((start, close + 2));
            }
        }
        marks
    }

    /// The first `{{` or `{%` at or after `from`.
    fn opener(&self, from: usize) -> Option<usize> {
        match (next(&self.output_open, from), next(&self.tag_open, from)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The first of the sorted `positions` at or after `from`.
fn next(positions: &[usize], from: usize) -> Option<usize> {
    positions
        .get(positions.partition_point(|&p| p < from))
        .copied()
}

/// Whether the tag inside `bytes[from..close]` is `endraw`: `-`s, spaces, `endraw`, spaces,
/// `-`s. Reads forward from the start and from the end of the word only, so all tags
/// together stay linear.
fn is_endraw(bytes: &[u8], from: usize, close: usize) -> bool {
    let skip = |mut i: usize, what: fn(u8) -> bool| {
        while i < close && what(bytes[i]) {
            i += 1;
        }
        i
    };
    let dash = |b: u8| b == b'-';
    let space = |b: u8| b.is_ascii_whitespace();
    let word = skip(skip(from, dash), space);
    bytes[word..close].starts_with(b"endraw") && skip(skip(word + 6, space), dash) == close
}

/// Splits `src` into Liquid spans the way liquid's grammar does, closely enough to map its
/// errors back to a tag. `{{ ... }}` inside a tag (Jekyll's `{% include {{ x }} %}`) stays
/// part of the tag. Linear in the size of `src` (up to a logarithm).
pub(super) fn scan(src: &str) -> Vec<Span> {
    let marks = Marks::new(src);
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(start) = marks.opener(i) {
        let is_tag = marks.tag_open.binary_search(&start).is_ok();
        let end = if is_tag {
            tag_end(&marks, start + 2)
        } else {
            let close = next(&marks.output_close, start + 2);
            let reopen = marks.opener(start + 2);
            close
                .filter(|&c| reopen.is_none_or(|o| o > c))
                .map(|c| c + 2)
        };
        let Some(end) = end else {
            spans.push(Span {
                start,
                end: start + 2,
                kind: SpanKind::Stray,
                pair: None,
            });
            i = start + 2;
            continue;
        };
        if !is_tag {
            spans.push(Span {
                start,
                end,
                kind: SpanKind::Output,
                pair: None,
            });
            i = end;
            continue;
        }
        let name = tag_parts(&src[start..end])
            .map(|parts| parts.name.to_owned())
            .unwrap_or_default();
        if name == "raw" {
            if let Some(raw_end) = find_endraw(&marks, end) {
                spans.push(Span {
                    start,
                    end: raw_end,
                    kind: SpanKind::Raw,
                    pair: None,
                });
                i = raw_end;
                continue;
            }
        }
        spans.push(Span {
            start,
            end,
            kind: SpanKind::Tag(name),
            pair: None,
        });
        i = end;
    }
    spans
}

/// Liquid spans of `src`, with block start and end tags paired; `block_ends` maps a block's
/// start tag to its end tag.
pub(super) fn scan_paired(src: &str, block_ends: &HashMap<String, String>) -> Vec<Span> {
    let mut spans = scan(src);
    let mut open: Vec<usize> = Vec::new();
    for i in 0..spans.len() {
        let SpanKind::Tag(name) = &spans[i].kind else {
            continue;
        };
        if block_ends.contains_key(name) {
            open.push(i);
            continue;
        }
        let closes = |start: &usize| match &spans[*start].kind {
            SpanKind::Tag(start_name) => block_ends.get(start_name) == Some(name),
            _ => false,
        };
        if let Some(pos) = open.iter().rposition(closes) {
            let start = open[pos];
            open.truncate(pos);
            spans[start].pair = Some(i);
            spans[i].pair = Some(start);
        }
    }
    spans
}

/// End (exclusive) of the tag whose inside starts at `from`, skipping `{{ ... }}` pairs;
/// `None` when another `{%` comes first or the tag never closes.
fn tag_end(marks: &Marks, from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let close = next(&marks.tag_close, i)?;
        if next(&marks.tag_open, i).is_some_and(|t| t < close) {
            return None;
        }
        match next(&marks.output_open, i) {
            Some(o) if o < close => {
                let inner_close = next(&marks.output_close, o + 2)?;
                i = inner_close + 2;
            }
            _ => return Some(close + 2),
        }
    }
}

/// End of the first `{% endraw %}` after `from`. (`Marks::endraws` stops at the first `{%`
/// that never closes, where liquid's reading stops too.)
fn find_endraw(marks: &Marks, from: usize) -> Option<usize> {
    let at = marks.endraws.partition_point(|&(start, _)| start < from);
    marks.endraws.get(at).map(|&(_, end)| end)
}

/// A tag split into its delimiters, name and arguments.
pub(super) struct TagParts<'a> {
    /// `{%` or `{%-`.
    pub(super) open: &'a str,
    /// `%}` or `-%}`.
    pub(super) close: &'a str,
    pub(super) name: &'a str,
    /// The rest of the tag, trimmed.
    pub(super) args: &'a str,
}

/// Splits a `{% name args %}` tag; `None` when `text` is not a whole tag.
pub(super) fn tag_parts(text: &str) -> Option<TagParts<'_>> {
    let inner = text.strip_prefix("{%")?.strip_suffix("%}")?;
    let (open, inner) = match inner.strip_prefix('-') {
        Some(rest) => ("{%-", rest),
        None => ("{%", inner),
    };
    let (close, inner) = match inner.strip_suffix('-') {
        Some(rest) => ("-%}", rest),
        None => ("%}", inner),
    };
    let inner = inner.trim();
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    Some(TagParts {
        open,
        close,
        name: &inner[..name_len],
        args: inner[name_len..].trim(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The straightforward scan (quadratic on unbalanced delimiters), to check the linear one.
    fn reference_scan(src: &str) -> Vec<(usize, usize, SpanKind)> {
        fn opener(text: &str) -> Option<usize> {
            match (text.find("{{"), text.find("{%")) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        fn tag_end(src: &str, from: usize) -> Option<usize> {
            let mut i = from;
            loop {
                let rest = &src[i..];
                let close = rest.find("%}")?;
                if rest.find("{%").is_some_and(|t| t < close) {
                    return None;
                }
                match rest.find("{{") {
                    Some(o) if o < close => i += o + 2 + rest[o + 2..].find("}}")? + 2,
                    _ => return Some(i + close + 2),
                }
            }
        }
        fn endraw(src: &str, from: usize) -> Option<usize> {
            let mut i = from;
            while let Some(rel) = src[i..].find("{%") {
                let start = i + rel;
                let close = src[start + 2..].find("%}")? + start + 2;
                let inner = src[start + 2..close]
                    .trim_start_matches('-')
                    .trim_end_matches('-')
                    .trim();
                if inner == "endraw" {
                    return Some(close + 2);
                }
                i = start + 2;
            }
            None
        }
        let mut spans = Vec::new();
        let mut i = 0;
        while let Some(rel) = opener(&src[i..]) {
            let start = i + rel;
            let is_tag = src[start..].starts_with("{%");
            let end = if is_tag {
                tag_end(src, start + 2)
            } else {
                let close = src[start + 2..].find("}}").map(|p| start + 2 + p);
                let reopen = opener(&src[start + 2..]).map(|p| start + 2 + p);
                close
                    .filter(|&c| reopen.is_none_or(|o| o > c))
                    .map(|c| c + 2)
            };
            let Some(end) = end else {
                spans.push((start, start + 2, SpanKind::Stray));
                i = start + 2;
                continue;
            };
            if !is_tag {
                spans.push((start, end, SpanKind::Output));
                i = end;
                continue;
            }
            let name = tag_parts(&src[start..end])
                .map(|p| p.name.to_owned())
                .unwrap_or_default();
            if name == "raw" {
                if let Some(raw_end) = endraw(src, end) {
                    spans.push((start, raw_end, SpanKind::Raw));
                    i = raw_end;
                    continue;
                }
            }
            spans.push((start, end, SpanKind::Tag(name)));
            i = end;
        }
        spans
    }

    fn fast(src: &str) -> Vec<(usize, usize, SpanKind)> {
        scan(src)
            .into_iter()
            .map(|s| (s.start, s.end, s.kind))
            .collect()
    }

    #[test]
    fn scan_finds_outputs_tags_raw_and_strays() {
        let src = "a {{ x }} {% if y %}{% raw %}{{ z {% endraw -%} {{ {% include {{ f }} %} {%";
        let kinds: Vec<(&str, SpanKind)> = scan(src)
            .into_iter()
            .map(|s| (&src[s.start..s.end], s.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("{{ x }}", SpanKind::Output),
                ("{% if y %}", SpanKind::Tag("if".to_owned())),
                ("{% raw %}{{ z {% endraw -%}", SpanKind::Raw),
                ("{{", SpanKind::Stray),
                ("{% include {{ f }} %}", SpanKind::Tag("include".to_owned())),
                ("{%", SpanKind::Stray),
            ]
        );
        assert_eq!(fast(src), reference_scan(src));
    }

    proptest! {
        #[test]
        fn linear_scan_matches_the_reference(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("{{"), Just("}}"), Just("{%"), Just("%}"), Just("{"), Just("}"),
                    Just("%"), Just("-"), Just(" "), Just("\n"), Just("raw"), Just("endraw"),
                    Just("if"), Just("x"), Just("é"),
                ],
                0..40,
            )
        ) {
            let src = parts.concat();
            prop_assert_eq!(fast(&src), reference_scan(&src));
        }
    }
}
