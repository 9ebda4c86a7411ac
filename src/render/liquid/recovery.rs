//! Recovery: renders a body so that it never fails. A failing `{% ... %}` or `{{ ... }}`
//! span is found (from liquid's error, or by leaving spans out one at a time), left out with
//! a located warning, and the body rendered again; past `MAX_FIXES` repairs, or when the
//! failing span cannot be told, every span is rendered on its own.

use super::failure::{Failure, Stage};
use super::preprocess::{prepare, prepared_text, Prepared};
use super::report::{line_col, shorten, Report};
use super::spans::{scan, scan_paired, Span, SpanKind};
use super::{JekyllLiquid, LiquidOutput};
use liquid_core::model::ObjectView;
use std::ops::Range;

/// How many failing tags are left out one by one before rendering falls back to tag by tag.
const MAX_FIXES: usize = 10;
/// How many tags are tried when the failing one has to be found by leaving tags out.
const MAX_SEARCH_CANDIDATES: usize = 64;

impl JekyllLiquid {
    /// Renders `body` (with `globals` as its variables), leaving out the spans that fail;
    /// `path` and `first_line` locate the warnings in the file.
    pub(super) fn render_recovering(
        &self,
        body: &str,
        globals: &dyn ObjectView,
        path: &str,
        first_line: u32,
    ) -> LiquidOutput {
        let mut report = Report::new(path, first_line);
        // Left-out tags are replaced by the line breaks they held, so `src` keeps the body's
        // line numbers.
        let mut src = body.to_owned();
        for fixes in 0..=MAX_FIXES {
            let spans = scan_paired(&src, &self.block_ends);
            let prepared = prepare(&src, &spans);
            let failure = match self.attempt(&prepared.text, globals) {
                Ok(rendered) => {
                    report.tag_warnings(&src, &spans, rendered.warnings);
                    return report.finish(rendered.text);
                }
                Err(failure) => failure,
            };
            if fixes == MAX_FIXES {
                report.at_offset(
                    &src,
                    0,
                    format!(
                        "Liquid: more than {MAX_FIXES} failing tags (last: {}); rendered tag by tag",
                        failure.summary
                    ),
                );
                break;
            }
            match self.locate(&src, &spans, &prepared, &failure, globals) {
                Some(culprit) => {
                    let span = &spans[culprit];
                    let mut left_out = snippet(&src, span);
                    if let Some(pair) = span.pair {
                        left_out.push_str(&format!(" and its {}", snippet(&src, &spans[pair])));
                    }
                    report.at_offset(
                        &src,
                        span.start,
                        format!("Liquid: {}; left out {left_out}", failure.summary),
                    );
                    report.removed(&src, &spans, culprit);
                    src = remove_span(&src, &spans, culprit);
                }
                None => {
                    let message = format!(
                        "Liquid: {}; could not tell which tag fails, rendered tag by tag",
                        failure.summary
                    );
                    match failure
                        .position
                        .and_then(|(line, col)| offset_of(&prepared.text, line, col))
                    {
                        Some(offset) => report.at_offset(&prepared.text, offset, message),
                        None => report.at_offset(&src, 0, message),
                    }
                    break;
                }
            }
        }
        let text = self.render_piecewise(&src, globals, &mut report);
        report.finish(text)
    }

    /// `else`, `elsif`, `when` and end tags: leaving one out alone cannot fix anything.
    fn is_structural(&self, name: &str) -> bool {
        matches!(name, "else" | "elsif" | "when") || self.block_ends.values().any(|end| end == name)
    }

    /// Finds the span that made `failure`: from liquid's position, an unclosed block, an
    /// unknown filter's name, or else by leaving spans out one at a time.
    fn locate(
        &self,
        src: &str,
        spans: &[Span],
        prepared: &Prepared,
        failure: &Failure,
        globals: &dyn ObjectView,
    ) -> Option<usize> {
        if let Some(end_tag) = &failure.unclosed {
            let unclosed = spans.iter().rposition(|span| {
                span.pair.is_none()
                    && matches!(&span.kind, SpanKind::Tag(name)
                        if self.block_ends.get(name) == Some(end_tag))
            });
            if unclosed.is_some() {
                return unclosed;
            }
        }
        if let Some((line, col)) = failure.position {
            if let Some(offset) = offset_of(&prepared.text, line, col) {
                if let Some(index) = span_near(&prepared.text, &prepared.ranges, offset) {
                    return Some(index);
                }
            }
        }
        if let Some(filter) = &failure.unknown_filter {
            let user = spans
                .iter()
                .position(|span| uses_filter(&src[span.start..span.end], filter));
            if user.is_some() {
                return user;
            }
        }
        self.search(src, spans, failure, globals)
    }

    /// Leaves each span out in turn (spans using the failing filter first, block tags last)
    /// and returns the first whose absence makes this failure go away.
    fn search(
        &self,
        src: &str,
        spans: &[Span],
        failure: &Failure,
        globals: &dyn ObjectView,
    ) -> Option<usize> {
        let mut hinted = Vec::new();
        let mut simple = Vec::new();
        let mut blocks = Vec::new();
        for (i, span) in spans.iter().enumerate() {
            match &span.kind {
                SpanKind::Raw => {}
                SpanKind::Tag(name) if self.is_structural(name) => {}
                SpanKind::Tag(name) if self.block_ends.contains_key(name) => blocks.push(i),
                _ => {
                    let text = &src[span.start..span.end];
                    if failure
                        .filter_hint
                        .as_deref()
                        .is_some_and(|filter| uses_filter(text, filter))
                    {
                        hinted.push(i);
                    } else {
                        simple.push(i);
                    }
                }
            }
        }
        hinted
            .into_iter()
            .chain(simple)
            .chain(blocks)
            .take(MAX_SEARCH_CANDIDATES)
            .find(|&i| {
                let candidate = remove_span(src, spans, i);
                match self.attempt(&prepared_text(&candidate), globals) {
                    Ok(_) => true,
                    Err(other) => {
                        other.detail != failure.detail
                            && !(other.stage == Stage::Parse && failure.stage != Stage::Parse)
                    }
                }
            })
    }

    /// Last resort: renders each span on its own, keeping the text between spans as it is
    /// and leaving out the spans that fail.
    fn render_piecewise(
        &self,
        src: &str,
        globals: &dyn ObjectView,
        report: &mut Report<'_>,
    ) -> String {
        let spans = scan(src);
        let mut out = String::with_capacity(src.len());
        let mut last = 0;
        let mut dropped: Vec<&Span> = Vec::new();
        for span in &spans {
            out.push_str(&src[last..span.start]);
            last = span.end;
            let piece = &src[span.start..span.end];
            match self.attempt(&prepared_text(piece), globals) {
                Ok(rendered) => {
                    out.push_str(&rendered.text);
                    for warning in rendered.warnings {
                        report.at_offset(src, span.start, warning.message);
                    }
                }
                Err(_) => {
                    out.push_str(&line_breaks(piece));
                    dropped.push(span);
                }
            }
        }
        out.push_str(&src[last..]);
        if let Some(first) = dropped.first() {
            let examples: Vec<String> = dropped
                .iter()
                .take(5)
                .map(|span| snippet(src, span))
                .collect();
            let more = if dropped.len() > examples.len() {
                ", ..."
            } else {
                ""
            };
            report.at_offset(
                src,
                first.start,
                format!(
                    "Liquid: left out {} tag(s) that fail even on their own: {}{more}",
                    dropped.len(),
                    examples.join(", ")
                ),
            );
        }
        out
    }
}

/// The line breaks of `text`, which replace a left-out span so line numbers stay put.
fn line_breaks(text: &str) -> String {
    "\n".repeat(text.matches('\n').count())
}

/// `src` without span `index` (and its block partner).
fn remove_span(src: &str, spans: &[Span], index: usize) -> String {
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(2);
    ranges.push(spans[index].start..spans[index].end);
    if let Some(pair) = spans[index].pair {
        ranges.push(spans[pair].start..spans[pair].end);
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut out = src.to_owned();
    for range in ranges {
        let breaks = line_breaks(&src[range.clone()]);
        out.replace_range(range, &breaks);
    }
    out
}

/// Whether a span pipes into `filter`.
fn uses_filter(span_text: &str, filter: &str) -> bool {
    span_text.match_indices('|').any(|(at, _)| {
        let rest = span_text[at + 1..].trim_start();
        rest.strip_prefix(filter).is_some_and(|after| {
            !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    })
}

/// Byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_text = &text[line_start..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let within = line_text[..line_end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_end, |(i, _)| i);
    Some(line_start + within)
}

/// The span at `offset`, or else the closest one on the same line.
fn span_near(text: &str, ranges: &[Range<usize>], offset: usize) -> Option<usize> {
    if let Some(i) = ranges.iter().position(|r| r.contains(&offset)) {
        return Some(i);
    }
    let line = line_col(text, offset).0;
    let same_line: Vec<usize> = (0..ranges.len())
        .filter(|&i| line_col(text, ranges[i].start).0 == line)
        .collect();
    same_line
        .iter()
        .rev()
        .find(|&&i| ranges[i].start <= offset)
        .or(same_line.first())
        .copied()
}

/// A span's text on one line, shortened and in backticks, for a message.
fn snippet(src: &str, span: &Span) -> String {
    let flat: String = src[span.start..span.end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!("`{}`", shorten(&flat, 80))
}

#[cfg(test)]
mod tests {
    use crate::render::liquid::tests::render;

    #[test]
    fn unknown_tag_is_left_out_with_a_warning() {
        let out = render("# {{ page.title }}\n\n{% youtube abc %}\n\nafter {{ 1 | plus: 1 }}\n");
        assert_eq!(out.text, "# Hello <World>\n\n\n\nafter 2\n");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert_eq!(d.line, Some(7));
        assert_eq!(d.column, Some(1));
        assert!(d.message.contains("unknown tag `youtube`"), "{}", d.message);
        assert!(d.message.contains("{% youtube abc %}"), "{}", d.message);
    }

    #[test]
    fn columns_stay_those_of_the_file_after_earlier_tags_are_left_out() {
        let out = render("x {% aa %}{% bb 1 %} {{ 1 | nope }}\n{% if %}y{% endif %} {% cc %}");
        assert_eq!(out.text, "x  \ny ");
        let at: Vec<_> = out.diagnostics.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            at,
            vec![
                (Some(5), Some(3)),
                (Some(5), Some(11)),
                (Some(5), Some(22)),
                (Some(6), Some(1)),
                (Some(6), Some(22)),
            ],
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn unknown_tag_inside_a_block_is_left_out() {
        let out = render("{% for t in page.tags %}<{{ t }}{% gist 123 %}>{% endfor %}");
        assert_eq!(out.text, "<rust><liquid><jekyll>");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    }

    #[test]
    fn unknown_filter_is_left_out_with_a_warning() {
        let out = render("a {{ page.title }}\nb {{ page.title | smartify_nope }} c\n{{ page.title | smartify_nope }}");
        assert_eq!(out.text, "a Hello <World>\nb  c\n");
        assert_eq!(out.diagnostics.len(), 2, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert_eq!(out.diagnostics[0].column, Some(3));
        assert!(out.diagnostics[0]
            .message
            .contains("unknown filter `smartify_nope`"));
        assert_eq!(out.diagnostics[1].line, Some(7));
    }

    #[test]
    fn syntax_error_is_left_out_with_a_warning() {
        let out = render("one {{ page.tags.size }}\n{% if %}\ninside\n{% endif %}\ntwo");
        assert_eq!(out.text, "one 3\n\ninside\n\ntwo");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert!(
            out.diagnostics[0].message.contains("{% if %}"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn unclosed_block_and_stray_braces_are_left_out() {
        let out = render("a {% if page.title %}yes\nb {{ page.tags.size }}");
        assert_eq!(out.text, "a yes\nb 3");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert!(
            out.diagnostics[0].message.contains("never closed"),
            "{:?}",
            out.diagnostics
        );

        let out = render("x\ny {{ oops\nz {{ page.tags.size }}");
        assert!(out.text.ends_with("z 3"), "{}", out.text);
        assert!(!out.diagnostics.is_empty());
        assert_eq!(out.diagnostics[0].line, Some(6), "{:?}", out.diagnostics);
    }

    #[test]
    fn render_error_inside_a_loop_is_found_and_left_out() {
        let out =
            render("{% for t in page.tags %}[{{ t }}|{{ t | date_to_string }}]{% endfor %}\nok");
        assert_eq!(out.text, "[rust|][liquid|][jekyll|]\nok");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(
            out.diagnostics[0].message.contains("date_to_string"),
            "{:?}",
            out.diagnostics
        );
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert_eq!(out.diagnostics[0].column, Some(34));
    }

    #[test]
    fn ruby_liquid_sample_in_backticks_does_not_break_the_post() {
        let out = render(
            "Use `Liquid::Template.parse('{{ x | strip_html }}')` or `{% raw %}{{ y }}{% endraw %}`.\n\
             Also `{{ 'a' | bogus_filter }}` and `{%- comment -%}` here.",
        );
        assert!(
            out.text
                .starts_with("Use `Liquid::Template.parse('')` or `{{ y }}`."),
            "{}",
            out.text
        );
        assert!(!out.diagnostics.is_empty());
        assert!(out.diagnostics.iter().all(|d| d.line.is_some()));
    }

    #[test]
    fn many_failures_fall_back_to_tag_by_tag() {
        let mut body = String::from("{{ page.tags.size }}\n");
        for i in 0..15 {
            body.push_str(&format!("{{% nope{i} %}} {{{{ {i} | plus: 1 }}}}\n"));
        }
        let out = render(&body);
        assert!(out.text.starts_with("3\n 1\n 2\n"), "{}", out.text);
        assert!(out.text.contains(" 15\n"), "{}", out.text);
        assert!(!out.text.contains("nope"), "{}", out.text);
        assert!(out
            .diagnostics
            .iter()
            .any(|d| d.message.contains("more than 10")));
    }

    #[test]
    fn panic_inside_liquid_becomes_a_warning() {
        // liquid-lib's `sort` panics on a property that is not a variable name.
        let out = render("a {{ page.items | sort: \"1 2\" }} b {{ page.tags.size }}");
        assert_eq!(out.text, "a  b 3");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    }
}
