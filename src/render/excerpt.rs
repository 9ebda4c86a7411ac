//! Excerpts cut at a number of words on a word boundary, as plain text, well-formed HTML or
//! Markdown. The cut happens in the syntax tree, so HTML excerpts never leave a tag open.

use super::markdown::OPTIONS;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{format_commonmark, format_html, parse_document, Arena};
use std::borrow::Cow;

/// The shape of an excerpt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExcerptFormat {
    Plain,
    Html,
    Markdown,
}

/// The first `words` words of `source` (Markdown), with `…` when cut.
pub fn excerpt(source: &str, words: usize, format: ExcerptFormat) -> String {
    let source = &*super::markdown::space_out_quote_runs(source);
    let arena = Arena::new();
    let root = parse_document(&arena, source, &OPTIONS);
    truncate(root, words);
    let mut out = String::new();
    match format {
        ExcerptFormat::Html => {
            let _ = format_html(root, &OPTIONS, &mut out);
        }
        ExcerptFormat::Markdown => {
            let _ = format_commonmark(root, &OPTIONS, &mut out);
        }
        ExcerptFormat::Plain => {
            for node in root.descendants() {
                match &node.data().value {
                    NodeValue::Text(t) => out.push_str(t),
                    NodeValue::Code(c) => out.push_str(&c.literal),
                    NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
                    NodeValue::Paragraph if !out.is_empty() => out.push(' '),
                    _ => {}
                }
            }
            out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }
    out.trim_end().to_string()
}

/// Keeps the first `limit` words of text in document order (marking a cut word run with `…`)
/// and removes everything after.
fn truncate<'a>(root: &'a AstNode<'a>, limit: usize) {
    let total: usize = root
        .descendants()
        .map(|n| match &n.data().value {
            NodeValue::Text(t) => words_in(t),
            _ => 0,
        })
        .sum();
    if total <= limit {
        return;
    }
    let mut seen = 0;
    let mut cut_at: Option<&'a AstNode<'a>> = None;
    for node in root.descendants() {
        if matches!(
            node.data().value,
            NodeValue::CodeBlock(_) | NodeValue::HtmlBlock(_)
        ) && seen >= limit
        {
            cut_at = Some(node);
            break;
        }
        let text = match &node.data().value {
            NodeValue::Text(text) => text.to_string(),
            _ => continue,
        };
        let count = words_in(&text);
        if count == 0 || seen + count < limit {
            seen += count;
            continue;
        }
        let kept = keep_words(&text, limit - seen);
        node.data_mut().value = NodeValue::Text(Cow::Owned(format!("{kept}…")));
        cut_at = Some(node);
        break;
    }
    let Some(mut node) = cut_at else {
        return;
    };
    let is_text = matches!(node.data().value, NodeValue::Text(_));
    if !is_text {
        // A block past the limit: drop it and everything after.
        let next = node.next_sibling();
        node.detach();
        if let Some(next) = next {
            remove_following(next);
        }
        return;
    }
    // Remove every later sibling, up through the ancestors.
    loop {
        while let Some(next) = node.next_sibling() {
            next.detach();
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => break,
        }
    }
}

fn remove_following<'a>(node: &'a AstNode<'a>) {
    let mut current = Some(node);
    while let Some(n) = current {
        current = n.next_sibling();
        n.detach();
    }
}

/// Words: whitespace-separated tokens holding a letter or digit (punctuation alone is not a
/// word).
fn words_in(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// `text` up to the end of its `n`-th word.
fn keep_words(text: &str, n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    let mut counted = 0;
    let mut offset = 0;
    for token in text.split_whitespace() {
        let start = offset + text[offset..].find(token).unwrap_or(0);
        offset = start + token.len();
        if token.chars().any(char::is_alphanumeric) {
            counted += 1;
            if counted == n {
                return text[..offset].to_string();
            }
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "The **quick brown** fox [jumps over](/x) the lazy dog.\n\nSecond paragraph.\n";

    #[test]
    fn cuts_on_a_word_boundary_in_every_format() {
        assert_eq!(
            excerpt(TEXT, 4, ExcerptFormat::Plain),
            "The quick brown fox…"
        );
        assert_eq!(
            excerpt(TEXT, 5, ExcerptFormat::Html),
            "<p>The <strong>quick brown</strong> fox <a href=\"/x\">jumps…</a></p>"
        );
        assert_eq!(excerpt(TEXT, 2, ExcerptFormat::Markdown), "The **quick…**");
    }

    #[test]
    fn short_text_is_whole() {
        assert_eq!(
            excerpt("Just this.", 55, ExcerptFormat::Plain),
            "Just this."
        );
        assert_eq!(
            excerpt("Just this.", 55, ExcerptFormat::Html),
            "<p>Just this.</p>"
        );
    }
}
