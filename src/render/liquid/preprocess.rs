//! Preprocessing: rewrites Jekyll tags whose arguments liquid's grammar cannot read
//! (`{% post_url 2020-01-05-foo %}`, `{% include sub/file.html %}`, `{% highlight c++ %}`)
//! so that the target becomes a quoted string literal.

use super::spans::{scan, tag_parts, Span, SpanKind};
use std::ops::Range;

/// Splits include arguments into the file (which may hold `{{ ... }}`) and the parameters.
fn split_include_args(args: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let bytes = args.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if args[i..].starts_with("{{") {
            depth += 1;
            i += 2;
        } else if args[i..].starts_with("}}") && depth > 0 {
            depth -= 1;
            i += 2;
        } else if depth == 0 && bytes[i].is_ascii_whitespace() {
            return (&args[..i], args[i..].trim());
        } else {
            i += 1;
        }
    }
    (args, "")
}

fn is_quoted(text: &str) -> bool {
    text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')))
}

fn unquote(text: &str) -> &str {
    if is_quoted(text) {
        &text[1..text.len() - 1]
    } else {
        text
    }
}

/// `text` as a Liquid string literal, if a quote character is free.
fn quote(text: &str) -> Option<String> {
    if !text.contains('"') {
        Some(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else {
        None
    }
}

/// The target a Jekyll tag names (post name, path or include file), unquoted.
pub(super) fn tag_target(text: &str) -> Option<String> {
    let parts = tag_parts(text)?;
    let target = match parts.name {
        "include" => split_include_args(parts.args).0,
        _ => parts.args,
    };
    Some(unquote(target.trim()).to_owned())
}

/// Rewrites Jekyll tags whose arguments liquid's grammar cannot read (paths with `/`,
/// `2020-01-05-foo`, `c++`) so that the target becomes a string literal.
fn rewrite_tag(text: &str) -> Option<String> {
    let parts = tag_parts(text)?;
    let (open, close, name) = (parts.open, parts.close, parts.name);
    match name {
        "post_url" | "link" => {
            let target = parts.args;
            if target.is_empty() || is_quoted(target) {
                return None;
            }
            Some(format!("{open} {name} {} {close}", quote(target)?))
        }
        "include" => {
            let (file, params) = split_include_args(parts.args);
            if file.is_empty() || is_quoted(file) {
                return None;
            }
            Some(format!("{open} include {} {params} {close}", quote(file)?))
        }
        "highlight" => {
            let lang = parts.args.split_whitespace().next().unwrap_or_default();
            if lang.is_empty() {
                return Some(format!("{open} highlight {close}"));
            }
            Some(format!(
                "{open} highlight {} {close}",
                quote(unquote(lang))?
            ))
        }
        _ => None,
    }
}

/// `src` with Jekyll tags rewritten for liquid's grammar; `ranges[i]` is where `spans[i]`
/// ended up.
pub(super) struct Prepared {
    pub(super) text: String,
    pub(super) ranges: Vec<Range<usize>>,
}

pub(super) fn prepare(src: &str, spans: &[Span]) -> Prepared {
    let mut text = String::with_capacity(src.len() + 16);
    let mut ranges = Vec::with_capacity(spans.len());
    let mut last = 0;
    for span in spans {
        text.push_str(&src[last..span.start]);
        let start = text.len();
        let original = &src[span.start..span.end];
        match &span.kind {
            SpanKind::Tag(_) => match rewrite_tag(original) {
                Some(rewritten) => text.push_str(&rewritten),
                None => text.push_str(original),
            },
            _ => text.push_str(original),
        }
        ranges.push(start..text.len());
        last = span.end;
    }
    text.push_str(&src[last..]);
    Prepared { text, ranges }
}

/// `text` with Jekyll tags rewritten for liquid's grammar, when where its spans end up does
/// not matter.
pub(super) fn prepared_text(text: &str) -> String {
    prepare(text, &scan(text)).text
}
