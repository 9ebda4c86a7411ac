//! Reporting: the WARNINGs of one render, located at the line and column of the file
//! (columns stay the file's after earlier spans were left out), and the position and
//! message-text helpers they need.

use super::preprocess::tag_target;
use super::spans::{Span, SpanKind};
use super::tags::TagWarning;
use super::LiquidOutput;
use crate::diagnostic::Diagnostic;
use std::collections::HashMap;

/// Collects the diagnostics of one render, located in the file.
pub(super) struct Report<'a> {
    path: &'a str,
    first_line: u32,
    diagnostics: Vec<Diagnostic>,
    /// Spans left out so far, as (line, column, characters) of the body, to give later
    /// warnings the body's columns.
    removals: Vec<(u32, u32, u32)>,
}

impl<'a> Report<'a> {
    /// A report for the body of `path` that starts at file line `first_line`.
    pub(super) fn new(path: &'a str, first_line: u32) -> Self {
        Report {
            path,
            first_line: first_line.max(1),
            diagnostics: Vec::new(),
            removals: Vec::new(),
        }
    }

    /// The body's column of a column in the text after the removals so far.
    fn original_column(&self, line: u32, column: u32) -> u32 {
        let mut on_line: Vec<(u32, u32)> = self
            .removals
            .iter()
            .filter(|r| r.0 == line)
            .map(|r| (r.1, r.2))
            .collect();
        on_line.sort_unstable();
        let mut column = column;
        for (at, len) in on_line {
            if at <= column {
                column += len;
            }
        }
        column
    }

    /// Notes that span `index` (and its block partner) of `src` is about to be left out.
    pub(super) fn removed(&mut self, src: &str, spans: &[Span], index: usize) {
        let mut records = Vec::new();
        for span in std::iter::once(&spans[index]).chain(spans[index].pair.map(|p| &spans[p])) {
            let text = &src[span.start..span.end];
            let (start_line, start_column) = line_col(src, span.start);
            let record = match text.rfind('\n') {
                None => (
                    start_line,
                    self.original_column(start_line, start_column),
                    char_count(text),
                ),
                Some(last_break) => (
                    line_col(src, span.end).0,
                    1,
                    char_count(&text[last_break + 1..]),
                ),
            };
            records.push(record);
        }
        self.removals.extend(records);
    }

    /// A warning at byte `offset` of `text`, whose lines are the body's lines.
    pub(super) fn at_offset(&mut self, text: &str, offset: usize, message: String) {
        let (line, column) = line_col(text, offset);
        let column = self.original_column(line, column);
        let diagnostic =
            Diagnostic::warning(self.path, message).at(self.first_line + line - 1, Some(column));
        if !self.diagnostics.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Places warnings raised by tags during a successful render at the tag they name.
    pub(super) fn tag_warnings(&mut self, src: &str, spans: &[Span], warnings: Vec<TagWarning>) {
        let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
        for warning in warnings {
            let named: Vec<&Span> = spans
                .iter()
                .filter(|span| matches!(&span.kind, SpanKind::Tag(name) if name == warning.tag))
                .collect();
            let exact: Vec<&Span> = named
                .iter()
                .copied()
                .filter(|span| {
                    tag_target(&src[span.start..span.end]).as_deref() == Some(warning.arg.as_str())
                })
                .collect();
            let candidates = if exact.is_empty() { named } else { exact };
            let nth = seen.entry((warning.tag, warning.arg.clone())).or_insert(0);
            let offset = candidates
                .get(*nth)
                .or(candidates.last())
                .map_or(0, |span| span.start);
            *nth += 1;
            self.at_offset(src, offset, warning.message);
        }
    }

    /// The rendered text with the warnings gathered.
    pub(super) fn finish(self, text: String) -> LiquidOutput {
        LiquidOutput {
            text,
            diagnostics: self.diagnostics,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset`.
pub(super) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Length of `text` in characters, as a column count.
fn char_count(text: &str) -> u32 {
    u32::try_from(text.chars().count()).unwrap_or(u32::MAX)
}

/// `text` cut to `max_chars` characters, with `…` when it was longer.
pub(super) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}
