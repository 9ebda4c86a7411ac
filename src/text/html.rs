//! HTML as text: escaping and unescaping, and finding start tags and their attributes in
//! HTML that was not parsed (raw HTML in Markdown, the sanitizer's serialized output).
//! Every scan here is linear in its input, whatever the input.

use std::borrow::Cow;

/// The character references [`unescape`] decodes: what [`escape`] and html5ever's
/// serializer write, and the apostrophe comrak writes.
const REFERENCES: &[(&str, char)] = &[
    ("&amp;", '&'),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&quot;", '"'),
    ("&#39;", '\''),
    ("&nbsp;", '\u{a0}'),
];

/// `text` with `&`, `<`, `>` and `"` escaped: safe as HTML text and inside a double-quoted
/// attribute value (what Jekyll's `xml_escape` escapes). Borrowed when nothing needs it.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;` and `&nbsp;` in one pass (so `&amp;lt;`
/// is `&lt;`); any other `&` stays as it is.
pub fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match REFERENCES.iter().find(|(r, _)| rest.starts_with(r)) {
            Some((reference, c)) => {
                out.push(*c);
                rest = &rest[reference.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The text of an HTML fragment: tags removed, references decoded, surrounding white space
/// trimmed (`<b>Tom</b> &amp; Jerry` → `Tom & Jerry`).
pub fn text_content(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim()).into_owned()
}

/// A start tag: its name and attributes, read from the text from its `<` to its `>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTag<'a> {
    /// The name as written.
    pub name: &'a str,
    /// Attributes in written order: name and value (still escaped), `None` for an
    /// attribute written without `=`.
    attrs: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> StartTag<'a> {
    /// Reads `<name attr="v" attr='v' attr=v attr>` (the `>` may be missing: the tag is then
    /// read to the end of `tag`); `None` for end tags, comments, doctypes and text. White
    /// space may surround `=`; `/` between attributes is skipped; an unclosed quote runs to
    /// the end.
    pub fn parse(tag: &'a str) -> Option<Self> {
        let inner = tag.strip_prefix('<')?;
        let inner = inner.strip_suffix('>').unwrap_or(inner);
        if !inner.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        Some(StartTag {
            name: &inner[..name_end],
            attrs: attributes(&inner[name_end..]),
        })
    }

    /// The unescaped value of the first attribute called `name` (ASCII case-insensitive);
    /// `None` when there is none, or it was written without a value.
    pub fn attr(&self, name: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| *v)
            .map(|v| unescape(v).into_owned())
    }

    /// Whether the tag has an attribute called `name`, with a value or without.
    pub fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// The attributes in the text after a tag's name.
fn attributes(mut rest: &str) -> Vec<(&str, Option<&str>)> {
    let space = |c: char| c.is_ascii_whitespace();
    let mut attrs = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| space(c) || c == '/');
        if rest.is_empty() {
            return attrs;
        }
        // A name is at least one character (HTML lets it start with `=`).
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let name_end = rest[first..]
            .find(|c: char| space(c) || c == '=' || c == '/')
            .map_or(rest.len(), |e| e + first);
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        let Some(after) = rest.trim_start_matches(space).strip_prefix('=') else {
            attrs.push((name, None));
            continue;
        };
        let after = after.trim_start_matches(space);
        let value = match after.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let quoted = &after[1..];
                let close = quoted.find(quote).unwrap_or(quoted.len());
                rest = quoted.get(close + 1..).unwrap_or("");
                &quoted[..close]
            }
            _ => {
                let end = after.find(space).unwrap_or(after.len());
                rest = &after[end..];
                &after[..end]
            }
        };
        attrs.push((name, Some(value)));
    }
}

/// A start tag found by [`start_tags`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTag<'h> {
    /// Offset of its `<`.
    pub start: usize,
    /// Offset of its closing `>` (or of what cut it short).
    pub end: usize,
    /// Whether a `>` closes it.
    pub closed: bool,
    pub tag: StartTag<'h>,
}

/// Every `<name …>` start tag of `html` (name matched without ASCII case), in order. A
/// tag's text ends at the next `>`, or at the next `<` when that comes first, so tags never
/// overlap and the scan stays linear.
pub fn start_tags<'h>(html: &'h str, name: &str) -> Vec<FoundTag<'h>> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{}", name.to_ascii_lowercase());
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let after = start + open.len();
        from = after;
        if !html[after..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            continue;
        }
        let (end, closed) = match html[after..].find(['<', '>']) {
            Some(e) => (after + e, html.as_bytes()[after + e] == b'>'),
            None => (html.len(), false),
        };
        if let Some(tag) = StartTag::parse(&html[start..end]) {
            found.push(FoundTag {
                start,
                end,
                closed,
                tag,
            });
        }
        from = end;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_unescape_round_trip() {
        let text = "a < b && c > \"d\" 'e'\u{a0}";
        assert_eq!(
            escape(text),
            "a &lt; b &amp;&amp; c &gt; &quot;d&quot; 'e'\u{a0}"
        );
        assert_eq!(unescape(&escape(text)), text);
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(unescape("&#39;&nbsp;&copy;&"), "'\u{a0}&copy;&");
        // One pass: an escaped reference stays a reference.
        assert_eq!(unescape("&amp;lt;"), "&lt;");
    }

    #[test]
    fn text_content_drops_tags() {
        assert_eq!(
            text_content(" <b>Tom</b> &amp; <i>Jerry</i> "),
            "Tom & Jerry"
        );
    }

    #[test]
    fn start_tags_read_every_attribute_form() {
        let tag = StartTag::parse(
            "<A HREF = \"/x?a=1&amp;b=2\" title='it&#39;s' data-x=plain/ disabled\tclass=\"\">",
        )
        .expect("a start tag");
        assert_eq!(tag.name, "A");
        assert_eq!(tag.attr("href").as_deref(), Some("/x?a=1&b=2"));
        assert_eq!(tag.attr("Title").as_deref(), Some("it's"));
        assert_eq!(tag.attr("data-x").as_deref(), Some("plain/"));
        assert_eq!(tag.attr("class").as_deref(), Some(""));
        assert_eq!(tag.attr("disabled"), None);
        assert!(tag.has("disabled"));
        assert!(!tag.has("id"));
        for not_a_start_tag in ["</a>", "<!-- x -->", "<!doctype html>", "< a>", "a"] {
            assert_eq!(StartTag::parse(not_a_start_tag), None, "{not_a_start_tag}");
        }
    }

    #[test]
    fn an_attribute_inside_another_value_is_not_found() {
        let tag = StartTag::parse("<a title=\"x href=/wrong\" href=\"/right\">").expect("tag");
        assert_eq!(tag.attr("href").as_deref(), Some("/right"));
        let tag = StartTag::parse("<a/href=\"/x\">").expect("tag");
        assert_eq!(tag.attr("href").as_deref(), Some("/x"));
        // An unclosed quote runs to the end.
        let tag = StartTag::parse("<a href=\"/x").expect("tag");
        assert_eq!(tag.attr("href").as_deref(), Some("/x"));
        let tag = StartTag::parse("<a =x b é=1>").expect("tag");
        assert!(tag.has("=x") && tag.has("b"));
        assert_eq!(tag.attr("é").as_deref(), Some("1"));
    }

    #[test]
    fn start_tags_are_found_by_name_and_never_overlap() {
        let html = "<p><A href=\"/a\">a</A><abbr>x</abbr><a\nhref='/b'>b</a><a href=/c <a href=/d>";
        let found = start_tags(html, "a");
        let hrefs: Vec<Option<String>> = found.iter().map(|f| f.tag.attr("href")).collect();
        assert_eq!(
            hrefs,
            [
                Some("/a".to_owned()),
                Some("/b".to_owned()),
                Some("/c".to_owned()),
                Some("/d".to_owned())
            ]
        );
        assert!(found[0].closed && !found[2].closed);
        assert_eq!(&html[found[0].start..=found[0].end], "<A href=\"/a\">");
    }

    #[test]
    fn scans_stay_linear_on_hostile_input() {
        let html = "<a ".repeat(50_000) + &"=\"".repeat(50_000);
        assert_eq!(start_tags(&html, "a").len(), 50_000);
        let tag = "<a ".to_owned() + &"x=".repeat(100_000);
        assert!(StartTag::parse(&tag).is_some());
    }
}
