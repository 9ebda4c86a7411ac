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

fn find_opener(text: &str) -> Option<usize> {
    match (text.find("{{"), text.find("{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Splits `src` into Liquid spans the way liquid's grammar does, closely enough to map its
/// errors back to a tag. `{{ ... }}` inside a tag (Jekyll's `{% include {{ x }} %}`) stays
/// part of the tag.
pub(super) fn scan(src: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(rel) = find_opener(&src[i..]) {
        let start = i + rel;
        let is_tag = src[start..].starts_with("{%");
        let end = if is_tag {
            tag_end(src, start + 2)
        } else {
            let close = src[start + 2..].find("}}").map(|p| start + 2 + p);
            let reopen = find_opener(&src[start + 2..]).map(|p| start + 2 + p);
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
            if let Some(raw_end) = find_endraw(src, end) {
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
fn tag_end(src: &str, from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let rest = &src[i..];
        let close = rest.find("%}");
        let output = rest.find("{{");
        let tag = rest.find("{%");
        let close = close?;
        if tag.is_some_and(|t| t < close) {
            return None;
        }
        match output {
            Some(o) if o < close => {
                let inner_close = rest[o + 2..].find("}}")?;
                i += o + 2 + inner_close + 2;
            }
            _ => return Some(i + close + 2),
        }
    }
}

/// End of the first `{% endraw %}` after `from`.
fn find_endraw(src: &str, from: usize) -> Option<usize> {
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
