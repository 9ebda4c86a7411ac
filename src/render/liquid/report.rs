//! Reporting: the WARNINGs of one render, located at the line and column of the file
//! (columns stay the file's after earlier spans were left out), and the position and
//! message-text helpers they need.

use super::preprocess::tag_target;
use super::spans::{Span, SpanKind};
use super::tags::TagWarning;
use super::LiquidOutput;
use crate::diagnostic::Diagnostic;
use std::collections::HashMap;
use std::ops::Range;

/// How many diagnostics one post's Liquid reports; the rest are counted in a last one.
pub(super) const MAX_DIAGNOSTICS: usize = 100;

/// Collects the diagnostics of one render, located in the file.
pub(super) struct Report<'a> {
    path: &'a str,
    first_line: u32,
    diagnostics: Vec<Diagnostic>,
    /// Problems beyond `MAX_DIAGNOSTICS`, counted only.
    suppressed: usize,
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
            suppressed: 0,
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
        let mut ranges: Vec<Range<usize>> = std::iter::once(&spans[index])
            .chain(spans[index].pair.map(|p| &spans[p]))
            .map(|span| span.start..span.end)
            .collect();
        ranges.sort_by_key(|range| range.start);
        self.removed_ranges(src, &ranges);
    }

    /// Notes that the byte `ranges` of `src` (in order, not overlapping) are about to be
    /// left out. Linear in the size of `src`.
    pub(super) fn removed_ranges(&mut self, src: &str, ranges: &[Range<usize>]) {
        let mut cursor = Cursor::default();
        let mut records = Vec::with_capacity(ranges.len());
        for range in ranges {
            let text = &src[range.clone()];
            let (start_line, start_column) = cursor.advance(src, range.start);
            let record = match text.rfind('\n') {
                None => (
                    start_line,
                    self.original_column(start_line, start_column),
                    char_count(text),
                ),
                Some(last_break) => (
                    cursor.advance(src, range.end).0,
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
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.suppressed += 1;
            return;
        }
        let (line, column) = line_col(text, offset);
        let column = self.original_column(line, column);
        let diagnostic =
            Diagnostic::warning(self.path, message).at(self.first_line + line - 1, Some(column));
        if !self.diagnostics.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Places warnings raised by tags during a successful render at the tag they name;
    /// `dropped` more were counted only.
    pub(super) fn tag_warnings(
        &mut self,
        src: &str,
        spans: &[Span],
        warnings: Vec<TagWarning>,
        dropped: usize,
    ) {
        self.suppressed += dropped;
        let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
        let total = warnings.len();
        for (i, warning) in warnings.into_iter().enumerate() {
            if self.diagnostics.len() >= MAX_DIAGNOSTICS {
                self.suppressed += total - i;
                break;
            }
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
    pub(super) fn finish(mut self, text: String) -> LiquidOutput {
        if self.suppressed > 0 {
            self.diagnostics.push(
                Diagnostic::warning(
                    self.path,
                    format!(
                        "Liquid: {} more problem(s) in this file are not listed",
                        self.suppressed
                    ),
                )
                .at(self.first_line, None),
            );
        }
        LiquidOutput {
            text,
            diagnostics: self.diagnostics,
        }
    }
}

/// A line and column that moves forward through a text, so locating many offsets in order
/// costs one pass.
#[derive(Default)]
struct Cursor {
    offset: usize,
    line: u32,
    column: u32,
}

impl Cursor {
    /// 1-based line and column (in characters) of byte `offset`, which must not be before
    /// the last one asked for.
    fn advance(&mut self, text: &str, offset: usize) -> (u32, u32) {
        if self.line == 0 {
            (self.line, self.column) = (1, 1);
        }
        let mut offset = offset.min(text.len()).max(self.offset);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let passed = &text[self.offset..offset];
        match passed.rfind('\n') {
            Some(last) => {
                let breaks = passed.matches('\n').count();
                self.line = self
                    .line
                    .saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
                self.column = 1 + char_count(&passed[last + 1..]);
            }
            None => self.column = self.column.saturating_add(char_count(passed)),
        }
        self.offset = offset;
        (self.line, self.column)
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
