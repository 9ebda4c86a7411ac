//! Recovery: renders a body so that it never fails. Blocks nested deeper than the limit are
//! left out first. Then a failing `{% ... %}` or `{{ ... }}` span is found (the tag a render
//! limit was blamed on, liquid's error, or by leaving spans out one at a time), left out
//! with a located warning, and the body rendered again; past `MAX_FIXES` repairs (fewer for a large body), when the
//! failing span cannot be told or the time is up, every span is rendered on its own.

use super::failure::{Failure, Stage};
use super::limits::Limit;
use super::nesting;
use super::preprocess::{prepare, prepared_text, Prepared};
use super::report::Report;
use super::spans::{scan, scan_paired, Span, SpanKind};
use super::{JekyllLiquid, LiquidOutput};
use crate::text::shorten;
use liquid_core::model::ObjectView;
use std::ops::Range;
use std::time::Instant;

/// How many failing tags are left out one by one before rendering falls back to tag by tag.
const MAX_FIXES: usize = 10;
/// Each repair renders the whole body again: a large body gets fewer of them, so that
/// repairs parse at most this many bytes in all.
const MAX_FIX_BYTES: usize = 4 << 20;
/// How many tags are tried when the failing one has to be found by leaving tags out.
const MAX_SEARCH_CANDIDATES: usize = 64;

impl JekyllLiquid {
    /// Renders `body` (with `globals` as its variables) by `deadline`, leaving out the spans
    /// that fail; `path` and `first_line` locate the warnings in the file.
    pub(super) fn render_recovering(
        &self,
        body: &str,
        globals: &dyn ObjectView,
        path: &str,
        first_line: u32,
        deadline: Instant,
    ) -> LiquidOutput {
        let mut report = Report::new(path, first_line);
        // Left-out tags are replaced by the line breaks they held, so `src` keeps the body's
        // line numbers.
        let src = self.prune_deep(body, &mut report);
        let mut src = strip_strays(&src, &mut report);
        let max_fixes = MAX_FIXES.min(MAX_FIX_BYTES / src.len().max(1));
        for fixes in 0..=max_fixes {
            let spans = scan_paired(&src, &self.block_ends);
            let prepared = prepare(&src, &spans);
            let failure = match self.attempt(&prepared.text, globals, deadline) {
                Ok(rendered) => {
                    report.tag_warnings(&src, &spans, rendered.warnings, rendered.dropped_warnings);
                    return report.finish(rendered.text);
                }
                Err(failure) => failure,
            };
            if fixes == max_fixes {
                report.at_offset(
                    &src,
                    0,
                    format!(
                        "Liquid: more than {max_fixes} failing tags (last: {}); rendered tag by tag",
                        failure.summary
                    ),
                );
                break;
            }
            if failure.stage == Stage::Limit {
                // A limit is blamed on the outermost loop, include, `assign` or `capture`
                // that was running: it goes, with all it holds.
                let blamed = failure.blame.and_then(|offset| {
                    prepared
                        .ranges
                        .iter()
                        .position(|range| range.contains(&offset))
                });
                if let Some(culprit) = blamed {
                    let span = &spans[culprit];
                    let (range, left_out) = match span.pair.filter(|&end| end > culprit) {
                        Some(end) => (
                            span.start..spans[end].end,
                            format!("{} ... {}", snippet(&src, span), snippet(&src, &spans[end])),
                        ),
                        None => (span.start..span.end, snippet(&src, span)),
                    };
                    report.at_offset(
                        &src,
                        span.start,
                        format!("Liquid: {}; left out {left_out}", failure.summary),
                    );
                    report.removed_ranges(&src, std::slice::from_ref(&range));
                    let breaks = line_breaks(&src[range.clone()]);
                    src.replace_range(range, &breaks);
                    if failure.limit == Some(Limit::Time) {
                        break;
                    }
                    continue;
                }
                report.at_offset(
                    &src,
                    0,
                    format!("Liquid: {}; rendered tag by tag", failure.summary),
                );
                break;
            }
            let culprit = self.locate(&src, &spans, &prepared, &failure, globals, deadline);
            match culprit {
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
        let text = self.render_piecewise(&src, globals, &mut report, deadline);
        report.finish(text)
    }

    /// `body` without the blocks and tags nested deeper than the limit (each replaced by the
    /// line breaks it held), with one warning for them.
    fn prune_deep(&self, body: &str, report: &mut Report<'_>) -> String {
        let spans = scan_paired(body, &self.block_ends);
        let removed = nesting::prune(body, &spans, &self.block_ends, self.limits.max_depth);
        let Some(first) = removed.first() else {
            return body.to_owned();
        };
        let more = match removed.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        report.at_offset(
            body,
            first.start,
            format!(
                "Liquid: blocks nest more than {} deep (render limit); left out `{}`{more}",
                self.limits.max_depth,
                shorten(&flat(&body[first.clone()]), 80)
            ),
        );
        report.removed_ranges(body, &removed);
        let mut out = String::with_capacity(body.len());
        let mut last = 0;
        for range in &removed {
            out.push_str(&body[last..range.start]);
            out.push_str(&line_breaks(&body[range.clone()]));
            last = range.end;
        }
        out.push_str(&body[last..]);
        out
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
        deadline: Instant,
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
        self.search(src, spans, failure, globals, deadline)
    }

    /// Leaves each span out in turn (spans using the failing filter first, block tags last)
    /// and returns the first whose absence makes this failure go away.
    fn search(
        &self,
        src: &str,
        spans: &[Span],
        failure: &Failure,
        globals: &dyn ObjectView,
        deadline: Instant,
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
        for i in hinted
            .into_iter()
            .chain(simple)
            .chain(blocks)
            .take(MAX_SEARCH_CANDIDATES)
        {
            let candidate = remove_span(src, spans, i);
            match self.attempt(&prepared_text(&candidate), globals, deadline) {
                Ok(_) => return Some(i),
                // The time is up: stop looking.
                Err(other) if other.limit == Some(Limit::Time) => return None,
                Err(other) => {
                    if other.detail != failure.detail
                        && other.stage != Stage::Limit
                        && !(other.stage == Stage::Parse && failure.stage != Stage::Parse)
                    {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// Last resort: renders each span on its own, keeping the text between spans as it is
    /// and leaving out the spans that fail. Stops rendering spans when the time is up, and
    /// stops the text when it is over the output limit.
    fn render_piecewise(
        &self,
        src: &str,
        globals: &dyn ObjectView,
        report: &mut Report<'_>,
        deadline: Instant,
    ) -> String {
        let spans = scan(src);
        let max_output = self.limits.max_output_bytes;
        let mut out = String::with_capacity(src.len().min(max_output));
        let mut last = 0;
        let mut dropped: Vec<&Span> = Vec::new();
        let mut timed_out: Option<(usize, usize)> = None;
        for span in &spans {
            let before = &src[last..span.start];
            if out.len() + before.len() > max_output {
                report.at_offset(
                    src,
                    last,
                    format!(
                        "Liquid: output over {} MiB (render limit); the rest of the post was left out",
                        max_output >> 20
                    ),
                );
                return out;
            }
            out.push_str(before);
            last = span.end;
            let piece = &src[span.start..span.end];
            if let Some((_, count)) = timed_out.as_mut() {
                *count += 1;
                out.push_str(&line_breaks(piece));
                continue;
            }
            if span.kind == SpanKind::Stray {
                // `{{` or `{%` never closed: it cannot render on its own either.
                out.push_str(&line_breaks(piece));
                dropped.push(span);
                continue;
            }
            match self.attempt(&prepared_text(piece), globals, deadline) {
                Ok(rendered) if out.len() + rendered.text.len() <= max_output => {
                    out.push_str(&rendered.text);
                    for warning in rendered.warnings {
                        report.at_offset(src, span.start, warning.message);
                    }
                }
                Ok(_) => {
                    report.at_offset(
                        src,
                        span.start,
                        format!(
                            "Liquid: output over {} MiB (render limit); the rest of the post was left out",
                            max_output >> 20
                        ),
                    );
                    return out;
                }
                Err(failure) if failure.limit == Some(Limit::Time) => {
                    out.push_str(&line_breaks(piece));
                    timed_out = Some((span.start, 1));
                }
                Err(failure) if failure.stage == Stage::Limit => {
                    out.push_str(&line_breaks(piece));
                    report.at_offset(
                        src,
                        span.start,
                        format!(
                            "Liquid: {}; left out {}",
                            failure.summary,
                            snippet(src, span)
                        ),
                    );
                }
                Err(_) => {
                    out.push_str(&line_breaks(piece));
                    dropped.push(span);
                }
            }
        }
        let rest = &src[last..];
        if out.len() + rest.len() > max_output {
            report.at_offset(
                src,
                last,
                format!(
                    "Liquid: output over {} MiB (render limit); the rest of the post was left out",
                    max_output >> 20
                ),
            );
            return out;
        }
        out.push_str(rest);
        if let Some((at, count)) = timed_out {
            report.at_offset(
                src,
                at,
                format!(
                    "Liquid: rendering took more than {} s (render limit); left out the {count} tag(s) from here on",
                    self.limits.max_time.as_secs_f64()
                ),
            );
        }
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

/// `src` without its `{{` and `{%` that never close, with one warning for them. liquid
/// fails on each of them (except inside `{% comment %}`, where leaving them out changes
/// nothing), so they go before the first render instead of one render each.
fn strip_strays(src: &str, report: &mut Report<'_>) -> String {
    let strays: Vec<Range<usize>> = scan(src)
        .into_iter()
        .filter(|span| span.kind == SpanKind::Stray)
        .map(|span| span.start..span.end)
        .collect();
    let Some(first) = strays.first() else {
        return src.to_owned();
    };
    report.at_offset(
        src,
        first.start,
        format!(
            "Liquid: left out {} `{{{{` or `{{%` that never close{}",
            strays.len(),
            if strays.len() == 1 {
                format!(" (`{}`)", &src[first.clone()])
            } else {
                String::new()
            }
        ),
    );
    report.removed_ranges(src, &strays);
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for range in &strays {
        out.push_str(&src[last..range.start]);
        last = range.end;
    }
    out.push_str(&src[last..]);
    out
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
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
    let same_line: Vec<usize> = (0..ranges.len())
        .filter(|&i| (line_start..=line_end).contains(&ranges[i].start))
        .collect();
    same_line
        .iter()
        .rev()
        .find(|&&i| ranges[i].start <= offset)
        .or(same_line.first())
        .copied()
}

/// `text` on one line.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A span's text on one line, shortened and in backticks, for a message.
fn snippet(src: &str, span: &Span) -> String {
    format!("`{}`", shorten(&flat(&src[span.start..span.end]), 80))
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
