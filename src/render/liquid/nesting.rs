//! Nesting: how deep liquid would recurse on a template, found before liquid parses it.
//!
//! liquid's parser, renderer and the drop of a parsed template recurse once per nested
//! block, once per `elsif` of an `if`, once per `and`/`or` of a condition and once per
//! `[` index inside an index; thousands of them overflow the stack, which aborts the
//! process. [`check`] refuses a template that nests deeper than the limit (an upper bound
//! of what liquid does: an end tag that does not close the innermost block closes nothing)
//! and [`prune`] leaves out the blocks and tags that are too deep, so the rest renders.

use super::spans::{tag_parts, Span, SpanKind};
use std::collections::HashMap;
use std::ops::Range;

/// What a span does to the nesting.
enum Step<'a> {
    /// A block start tag, with the end tag that closes it.
    Open(&'a str),
    /// `elsif`: liquid parses each branch inside the previous one.
    Elsif,
    /// A tag that may be a block's end tag.
    Close(&'a str),
    /// Anything else.
    Other,
}

/// An open block, or an `elsif` branch (closed with its block).
#[derive(PartialEq, Eq)]
enum Entry<'a> {
    Block(&'a str),
    Elsif,
}

/// The blocks open at a point of the template.
struct Stack<'a> {
    open: Vec<Entry<'a>>,
    block_ends: &'a HashMap<String, String>,
}

impl<'a> Stack<'a> {
    fn new(block_ends: &'a HashMap<String, String>) -> Self {
        Stack {
            open: Vec::new(),
            block_ends,
        }
    }

    /// What `span` of `src` does, and how deep it recurses on its own.
    fn step(&self, src: &str, span: &Span) -> (Step<'a>, usize) {
        let text = &src[span.start..span.end];
        match &span.kind {
            SpanKind::Raw | SpanKind::Stray => (Step::Other, 0),
            SpanKind::Output => (Step::Other, local_depth(text)),
            SpanKind::Tag(name) => {
                let local = tag_parts(text).map_or(0, |parts| local_depth(parts.args));
                let step = if let Some((_, end)) = self.block_ends.get_key_value(name.as_str()) {
                    Step::Open(end.as_str())
                } else if name == "elsif" {
                    Step::Elsif
                } else if let Some(end) = self.block_ends.values().find(|end| *end == name) {
                    Step::Close(end.as_str())
                } else {
                    Step::Other
                };
                (step, local)
            }
        }
    }

    /// How deep liquid recurses at a span that does `step` and recurses `local` on its own.
    fn depth(&self, step: &Step<'_>, local: usize) -> usize {
        let opens = usize::from(matches!(step, Step::Open(_) | Step::Elsif));
        self.open.len() + opens + local
    }

    fn apply(&mut self, step: Step<'a>) {
        match step {
            Step::Open(end) => self.open.push(Entry::Block(end)),
            Step::Elsif => self.open.push(Entry::Elsif),
            Step::Close(end) => {
                // Only the innermost block (with its `elsif` branches) can be closed.
                if let Some(at) = self.open.iter().rposition(|e| *e != Entry::Elsif) {
                    if self.open[at] == Entry::Block(end) {
                        self.open.truncate(at);
                    }
                }
            }
            Step::Other => {}
        }
    }
}

/// How deep liquid recurses on a tag's arguments or an output on their own: nested `[`
/// indexes and the `and`/`or` of a condition.
fn local_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for byte in text.bytes() {
        match byte {
            b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let connectives = text
        .split_ascii_whitespace()
        .filter(|word| *word == "and" || *word == "or")
        .count();
    deepest + connectives
}

/// Byte offset of the first span of `src` at which liquid would recurse deeper than
/// `max_depth`, if any.
pub(super) fn check(
    src: &str,
    spans: &[Span],
    block_ends: &HashMap<String, String>,
    max_depth: usize,
) -> Result<(), usize> {
    let mut stack = Stack::new(block_ends);
    for span in spans {
        let (step, local) = stack.step(src, span);
        if stack.depth(&step, local) > max_depth {
            return Err(span.start);
        }
        stack.apply(step);
    }
    Ok(())
}

/// The byte ranges of `src` to leave out so that nothing nests deeper than `max_depth`:
/// a block that starts too deep goes with everything up to its end tag, any other span
/// too deep goes alone. Empty when the template is fine.
pub(super) fn prune(
    src: &str,
    spans: &[Span],
    block_ends: &HashMap<String, String>,
    max_depth: usize,
) -> Vec<Range<usize>> {
    let mut stack = Stack::new(block_ends);
    let mut removed = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        let span = &spans[i];
        let (step, local) = stack.step(src, span);
        if stack.depth(&step, local) <= max_depth {
            stack.apply(step);
            i += 1;
            continue;
        }
        match (step, span.pair) {
            (Step::Open(_), Some(end)) if end > i => {
                removed.push(span.start..spans[end].end);
                i = end + 1;
            }
            _ => {
                removed.push(span.start..span.end);
                i += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::liquid::spans::scan_paired;

    fn ends() -> HashMap<String, String> {
        [
            ("if", "endif"),
            ("for", "endfor"),
            ("comment", "endcomment"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
    }

    fn depth_ok(src: &str, max: usize) -> Result<(), usize> {
        check(src, &scan_paired(src, &ends()), &ends(), max)
    }

    #[test]
    fn counts_blocks_elsif_connectives_and_indexes() {
        assert_eq!(
            depth_ok(
                "{% if a %}{% for x in y %}{{ x }}{% endfor %}{% endif %}",
                2
            ),
            Ok(())
        );
        assert_eq!(depth_ok("{% if a %}{% if b %}{% if c %}", 2), Err(20));
        // Closed blocks do not count any more.
        assert_eq!(
            depth_ok(
                "{% if a %}{% endif %}{% if b %}{% endif %}{% if c %}{% endif %}",
                1
            ),
            Ok(())
        );
        assert_eq!(
            depth_ok("{% if a %}{% elsif b %}{% elsif c %}{% endif %}", 2),
            Err(23)
        );
        assert_eq!(depth_ok("{% if a and b and c %}{% endif %}", 2), Err(0));
        assert_eq!(depth_ok("{{ a[b[c]] }}", 1), Err(0));
        assert_eq!(depth_ok("{{ a[b[c]] }}", 2), Ok(()));
        // An end tag that does not close the innermost block closes nothing.
        assert_eq!(
            depth_ok("{% for x in y %}{% if a %}{% endfor %}{% if b %}", 2),
            Err(38)
        );
    }

    #[test]
    fn prune_takes_whole_deep_blocks_and_lone_deep_tags() {
        let src = "{% if a %}{% if b %}x{% if c %}deep{% endif %}y{% endif %}{% endif %}";
        let removed = prune(src, &scan_paired(src, &ends()), &ends(), 2);
        assert_eq!(removed.len(), 1);
        assert_eq!(&src[removed[0].clone()], "{% if c %}deep{% endif %}");

        let src = "{% if a %}{% if a %}{% if a %}{% if a %}";
        let removed = prune(src, &scan_paired(src, &ends()), &ends(), 2);
        let texts: Vec<&str> = removed.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, vec!["{% if a %}", "{% if a %}"]);
    }
}
