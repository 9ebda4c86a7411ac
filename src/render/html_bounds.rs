//! Keeping HTML within what html5ever (under ammonia, for `html(sanitize: true)`) handles in
//! linear time. Two shapes of input make it quadratic:
//!
//! * **Deep nesting.** Many start tags scan the whole stack of open elements ("has an element
//!   in scope"), so 100,000 nested `<blockquote>`s, `<div>`s or `<details>` (from a post of
//!   `>` × 100,000 or raw HTML) take minutes. [`bound_for_parser`] unwraps the elements nested
//!   deeper than [`MAX_NESTING`] (their text stays; browsers stop nesting at 512 anyway).
//! * **Long text with many characters to escape.** The serializer, at every `&` (and
//!   no-break space) it escapes, searches the rest of the text node for `<` and `>`, so a
//!   text node costs about (characters to escape) × (length). [`bound_for_parser`] puts a
//!   `<wbr>` (an empty element that only marks where a line may break) before the character
//!   at which a stretch of text would cost more than [`TEXT_COST`], and leaves out a
//!   `<textarea>`, `<title>`, `<xmp>`, `<noembed>`, `<noframes>` or `<plaintext>` (whose
//!   text ammonia keeps without the tag) whose text alone would.
//!
//! Ordinary documents are never changed: the limits are far above what prose reaches. The
//! output only ever has tags or those elements removed or `<wbr>` added, and it is still
//! parsed and cleaned by ammonia, so the pass cannot make the sanitizer's output less safe.
//! The text cost is counted so that cleaning the sanitizer's own output again finds no
//! stretch over the limit (every character the serializer escapes was counted here, and
//! escaped text is counted no longer than it was written).

use crate::text::find_ignore_ascii_case;
use std::borrow::Cow;

/// Elements nested deeper than this are unwrapped before the sanitizer parses the HTML.
pub const MAX_NESTING: usize = 256;

/// How costly (characters to escape × length) one stretch of text may get before a `<wbr>`
/// splits it: about a millisecond of the serializer's time.
pub const TEXT_COST: usize = 1 << 24;

/// Elements without content: they never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Elements whose end tag may be left out: the parser closes them at the next sibling, so
/// they are not counted as nesting (unclosed `<li>`s and `<p>`s are common and harmless).
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "rtc",
];

/// Elements whose content is text up to their end tag, which ammonia drops with the tag or
/// (`iframe`) keeps unescaped.
const RAW_TEXT: &[&str] = &["script", "style", "iframe", "noscript"];

/// Elements whose content is text up to their end tag (`plaintext`: to the end), which
/// ammonia drops while keeping the text, to be escaped.
const RAW_TEXT_KEPT: &[&str] = &[
    "textarea",
    "title",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
];

/// What [`bound_for_parser`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Bounded {
    /// The deepest nesting seen (of counted elements).
    pub deepest: usize,
    /// Start tags unwrapped for being nested deeper than [`MAX_NESTING`].
    pub unwrapped: usize,
    /// `<wbr>`s put into text.
    pub breaks: usize,
    /// `<textarea>`-like elements left out for their text.
    pub left_out: usize,
}

/// `html` with elements nested deeper than [`MAX_NESTING`] unwrapped and a `<wbr>` in long
/// text runs holding `&` (see the module docs); borrowed when nothing changed.
pub fn bound_for_parser(html: &str) -> (Cow<'_, str>, Bounded) {
    let mut scan = Scanner {
        html,
        out: String::new(),
        copied: 0,
        open: Vec::new(),
        unwrapped_open: Vec::new(),
        run_units: 0,
        run_escapes: 0,
        stats: Bounded::default(),
    };
    scan.run();
    let Scanner {
        out, copied, stats, ..
    } = scan;
    if copied == 0 && out.is_empty() {
        return (Cow::Borrowed(html), stats);
    }
    let mut out = out;
    out.push_str(&html[copied..]);
    (Cow::Owned(out), stats)
}

struct Scanner<'h> {
    html: &'h str,
    /// Output so far; `html[copied..]` is still to be copied.
    out: String,
    copied: usize,
    /// Counted elements open, innermost last (at most [`MAX_NESTING`]).
    open: Vec<String>,
    /// Names of the unwrapped (left out) start tags still open, with how many.
    unwrapped_open: Vec<(String, usize)>,
    /// The current stretch of text: its length (an escaped character or a character
    /// reference counts once, other bytes once each) and its characters to escape.
    run_units: usize,
    run_escapes: usize,
    stats: Bounded,
}

/// What a `<` starts.
enum Markup {
    /// A tag, comment or the like, kept (the text stretch ends) or left out; scanning goes
    /// on at `end`.
    Tag { end: usize, kept: bool },
    /// A `<` that is text.
    Text,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let bytes = self.html.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'<' => match self.markup(i) {
                    Markup::Tag { end, kept } => {
                        if kept {
                            self.run_units = 0;
                            self.run_escapes = 0;
                        }
                        i = end;
                    }
                    Markup::Text => {
                        self.text(i, 1, true);
                        i += 1;
                    }
                },
                b'&' => {
                    // The references the serializer writes count as one character.
                    let reference = ["&amp;", "&lt;", "&gt;", "&nbsp;", "&quot;"]
                        .iter()
                        .find(|r| bytes[i..].starts_with(r.as_bytes()))
                        .map_or(1, |r| r.len());
                    self.text(i, 1, true);
                    i += reference;
                }
                b'>' => {
                    self.text(i, 1, true);
                    i += 1;
                }
                0xC2 if bytes.get(i + 1) == Some(&0xA0) => {
                    self.text(i, 2, true);
                    i += 2;
                }
                _ => {
                    self.text(i, 1, false);
                    i += 1;
                }
            }
        }
    }

    /// Counts `units` of text at `at` (a character to escape when `escape`), after a
    /// `<wbr>` when the stretch would cost more than [`TEXT_COST`] with it.
    fn text(&mut self, at: usize, units: usize, escape: bool) {
        if escape {
            let cost = (self.run_escapes + 1).saturating_mul(self.run_units + units);
            if cost > TEXT_COST {
                self.copy_to(at);
                self.out.push_str("<wbr>");
                self.stats.breaks += 1;
                self.run_units = 0;
                self.run_escapes = 0;
            }
            self.run_escapes += 1;
        }
        self.run_units += units;
    }

    /// Copies the input up to `to` into the output.
    fn copy_to(&mut self, to: usize) {
        self.out.push_str(&self.html[self.copied..to]);
        self.copied = to;
    }

    /// Leaves out `html[from..to]`.
    fn skip(&mut self, from: usize, to: usize) {
        self.copy_to(from);
        self.copied = to;
    }

    /// Handles the markup starting at `lt` (a `<`).
    fn markup(&mut self, lt: usize) -> Markup {
        let html = self.html;
        let rest = &html[lt + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            let end = comment.find("-->").map_or(html.len(), |e| lt + 4 + e + 3);
            return Markup::Tag { end, kept: true };
        }
        if rest.starts_with(['!', '?']) {
            let end = rest.find('>').map_or(html.len(), |e| lt + 1 + e + 1);
            return Markup::Tag { end, kept: true };
        }
        let (closing, name_from) = match rest.strip_prefix('/') {
            Some(after) => (true, after),
            None => (false, rest),
        };
        if !name_from.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Markup::Text;
        }
        let name_len = name_from
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(name_from.len());
        let name = name_from[..name_len].to_ascii_lowercase();
        let attrs_at = lt + 1 + usize::from(closing) + name_len;
        let end = tag_end(html, attrs_at);
        match closing {
            true => self.end_tag(&name, lt, end),
            false => self.start_tag(&name, lt, end),
        }
    }

    fn start_tag(&mut self, name: &str, lt: usize, end: usize) -> Markup {
        if RAW_TEXT.contains(&name) || RAW_TEXT_KEPT.contains(&name) {
            return self.raw_text(name, lt, end);
        }
        if VOID.contains(&name) || SELF_CLOSING_SIBLINGS.contains(&name) {
            return Markup::Tag { end, kept: true };
        }
        if self.open.len() < MAX_NESTING {
            self.open.push(name.to_owned());
            self.stats.deepest = self.stats.deepest.max(self.open.len());
            return Markup::Tag { end, kept: true };
        }
        self.stats.deepest = self.stats.deepest.max(MAX_NESTING + 1);
        self.stats.unwrapped += 1;
        self.skip(lt, end);
        match self.unwrapped_open.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => self.unwrapped_open.push((name.to_owned(), 1)),
        }
        Markup::Tag { end, kept: false }
    }

    /// An element whose content is text up to `</name` (`plaintext`: to the end).
    fn raw_text(&mut self, name: &str, lt: usize, end: usize) -> Markup {
        let html = self.html;
        let close = match name {
            "plaintext" => None,
            _ => find_ignore_ascii_case(&html[end..], &format!("</{name}")).map(|e| end + e),
        };
        let content_end = close.unwrap_or(html.len());
        if !RAW_TEXT_KEPT.contains(&name) {
            // Dropped with its tag, or (iframe) written as it is: the content is not text.
            return Markup::Tag {
                end: content_end,
                kept: true,
            };
        }
        // Ammonia keeps this text without the tags, next to the text around it: count it
        // with that text, and leave the whole element out if it alone costs too much.
        let content = &html.as_bytes()[end..content_end];
        let escapes = content
            .iter()
            .filter(|b| matches!(b, b'&' | b'<' | b'>' | 0xC2))
            .count();
        if escapes.saturating_mul(content.len()) > TEXT_COST {
            let element_end = close.map_or(html.len(), |c| tag_end(html, c + 2 + name.len()));
            self.skip(lt, element_end);
            self.stats.left_out += 1;
            return Markup::Tag {
                end: element_end,
                kept: false,
            };
        }
        let cost = (self.run_escapes + escapes).saturating_mul(self.run_units + content.len());
        if cost > TEXT_COST {
            self.copy_to(lt);
            self.out.push_str("<wbr>");
            self.stats.breaks += 1;
            self.run_units = 0;
            self.run_escapes = 0;
        }
        self.run_units += content.len();
        self.run_escapes += escapes;
        Markup::Tag {
            end: content_end,
            kept: false,
        }
    }

    fn end_tag(&mut self, name: &str, lt: usize, end: usize) -> Markup {
        if let Some(at) = self.unwrapped_open.iter().position(|(n, _)| n == name) {
            // It closes a start tag that was left out: leave it out too.
            self.unwrapped_open[at].1 -= 1;
            if self.unwrapped_open[at].1 == 0 {
                self.unwrapped_open.swap_remove(at);
            }
            self.skip(lt, end);
            return Markup::Tag { end, kept: false };
        }
        // It closes the innermost open element of that name, and the ones inside it.
        if let Some(at) = self.open.iter().rposition(|n| n == name) {
            self.open.truncate(at);
        }
        Markup::Tag {
            end,
            kept: !RAW_TEXT_KEPT.contains(&name),
        }
    }
}

/// Where a tag whose attributes start at `from` ends (after its `>`), honouring quoted
/// attribute values; the end of the input when it never closes.
fn tag_end(html: &str, from: usize) -> usize {
    let bytes = html.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return i + 1,
            b'=' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if let Some(quote @ (b'"' | b'\'')) = bytes.get(i).copied() {
                    i = html[i + 1..]
                        .find(quote as char)
                        .map_or(bytes.len(), |e| i + 1 + e + 1);
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_html_is_borrowed_unchanged() {
        let html = "<p>a <b>b</b> &amp; <a href=\"x>y\">c</a></p><ul><li>1<li>2</ul><!-- <div> --><script>if (a < b) {}</script>";
        let (out, stats) = bound_for_parser(html);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(stats.unwrapped, 0);
        assert_eq!(stats.deepest, 1);
    }

    #[test]
    fn elements_deeper_than_the_limit_are_unwrapped_with_their_end_tags() {
        let depth = MAX_NESTING + 10;
        let html = format!(
            "{}text{}<p>after</p>",
            "<blockquote>".repeat(depth),
            "</blockquote>".repeat(depth)
        );
        let (out, stats) = bound_for_parser(&html);
        assert_eq!(stats.unwrapped, 10);
        assert_eq!(stats.deepest, MAX_NESTING + 1);
        assert_eq!(
            out,
            format!(
                "{}text{}<p>after</p>",
                "<blockquote>".repeat(MAX_NESTING),
                "</blockquote>".repeat(MAX_NESTING)
            )
        );
    }

    #[test]
    fn unclosed_start_tags_count_until_the_limit() {
        let html = "<div>".repeat(MAX_NESTING + 5);
        let (out, stats) = bound_for_parser(&html);
        assert_eq!(out, "<div>".repeat(MAX_NESTING));
        assert_eq!(stats.unwrapped, 5);
        // Unclosed list items and paragraphs are siblings, not nesting.
        let siblings = "<li>x<p>y".repeat(10 * MAX_NESTING);
        assert!(matches!(bound_for_parser(&siblings).0, Cow::Borrowed(_)));
    }

    #[test]
    fn costly_text_gets_line_break_hints_only_when_needed() {
        // A long paragraph with the odd `&` is left alone.
        let prose = format!(
            "<p>{}</p>",
            "Tom &amp; Jerry went to the market and bought apples, pears and other fruit. "
                .repeat(250)
        );
        assert!(matches!(bound_for_parser(&prose).0, Cow::Borrowed(_)));
        // A megabyte of `&amp;` would cost 10^11: it is split into stretches.
        let dense = format!("<p>{}</p>", "&amp;".repeat(200_000));
        let (out, stats) = bound_for_parser(&dense);
        assert!(stats.breaks >= 40, "{stats:?}");
        assert!(out.contains("<wbr>&amp;"));
        assert_eq!(out.replace("<wbr>", ""), dense);
        let longest = out.split("<wbr>").map(str::len).max().unwrap_or(0);
        assert!(longest <= 5 * 4097 + 3, "{longest}");
        // Splitting again finds nothing more to split.
        assert!(matches!(bound_for_parser(&out).0, Cow::Borrowed(_)));
    }

    #[test]
    fn costly_textarea_text_is_left_out_and_cheap_text_kept() {
        let costly = format!(
            "<p>a</p><textarea>{}</textarea><p>b</p>",
            "&amp;".repeat(200_000)
        );
        let (out, stats) = bound_for_parser(&costly);
        assert_eq!(out, "<p>a</p><p>b</p>");
        assert_eq!(stats.left_out, 1);
        let cheap = "<textarea>a &amp; b < c</textarea><title>t</title>";
        assert!(matches!(bound_for_parser(cheap).0, Cow::Borrowed(_)));
        // `<plaintext>` runs to the end.
        let plain = format!("<p>a</p><plaintext>{}", "&".repeat(100_000));
        assert_eq!(bound_for_parser(&plain).0, "<p>a</p>");
    }
}
