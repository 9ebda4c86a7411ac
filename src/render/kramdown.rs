//! kramdown's inline attribute lists (IALs) and `{:toc}`, rewritten before the Markdown pass.
//!
//! - `[text](url){:target="_blank"}` and `![alt](src){: .class}` become comrak link attributes
//!   (`{target="_blank"}`); comrak 0.59 parses them onto the link or image node but its HTML
//!   writer does not print them yet, so they are consumed without leaking.
//! - `{:#id .class}` on the line after an ATX heading moves onto the heading line
//!   (`## Title {#id .class}`), which comrak applies to the heading.
//! - Other block IALs on a line of their own (`{:.boxit}` after a paragraph) are removed:
//!   comrak cannot carry them, and they must not leak as text.
//! - A list item followed by `{:toc}` (kramdown's table-of-contents marker) becomes a marker
//!   that the renderer replaces with the post's table of contents.

use super::prose::map_outside_code_holding;

/// What the renderer replaces with the table of contents.
pub const TOC_MARKER: &str = "<!-- inkgraph:toc -->";

/// Rewrites kramdown IALs in `markdown` (outside code).
pub fn rewrite_attribute_lists(markdown: &str) -> String {
    map_outside_code_holding(markdown, "{:", rewrite_prose).into_owned()
}

fn rewrite_prose(text: &str) -> String {
    let source: Vec<&str> = text.split_inclusive('\n').collect();
    let mut lines: Vec<String> = Vec::with_capacity(source.len());
    // A block IAL written on the line before a heading: kramdown gives that heading its
    // attributes (`{:#hr}` then `### Horizontal Rule` is `<h3 id="hr">`).
    let mut pending: Option<&str> = None;
    for (i, line) in source.iter().enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim();
        if let Some(attrs) = block_ial(trimmed) {
            if attrs == "toc" {
                // `* TOC` / `1. TOC` then `{:toc}`: the list item is replaced.
                if lines.last().is_some_and(|l| is_list_item(l)) {
                    lines.pop();
                }
                lines.push(format!("{TOC_MARKER}{ending}"));
                continue;
            }
            if let Some(previous) = lines.last_mut() {
                if is_atx_heading(previous) && !attrs.is_empty() {
                    let end = previous.trim_end_matches(['\n', '\r']).len();
                    let tail = previous[end..].to_string();
                    previous.truncate(end);
                    previous.push_str(&format!(" {{{attrs}}}{tail}"));
                    continue;
                }
            }
            let after_blank = lines.last().is_none_or(|l| l.trim().is_empty());
            if after_blank && !attrs.is_empty() && heading_follows(&source[i + 1..]) {
                pending = Some(attrs);
            }
            // Applied to the next heading, or a block IAL comrak cannot apply: the line goes.
            lines.push(ending.to_string());
            continue;
        }
        let mut rewritten = rewrite_inline(body);
        if let Some(attrs) = pending.take() {
            rewritten.push_str(&format!(" {{{attrs}}}"));
        }
        lines.push(rewritten + ending);
    }
    lines.concat()
}

/// Whether `rest` starts with a heading: an ATX heading line, or a line of text underlined
/// as a setext heading (`===` / `---`).
fn heading_follows(rest: &[&str]) -> bool {
    let Some(first) = rest.first() else {
        return false;
    };
    if is_atx_heading(first) {
        return true;
    }
    let underline = |l: &str| {
        let t = l.trim();
        let indent = l.len() - l.trim_start().len();
        indent < 4 && !t.is_empty() && (t.chars().all(|c| c == '=') || t.chars().all(|c| c == '-'))
    };
    !first.trim().is_empty() && rest.get(1).is_some_and(|l| underline(l))
}

/// kramdown's block-level HTML elements: after one closes, Markdown resumes on the next line.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "details",
    "dialog",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
    "video",
    "audio",
    "iframe",
    "center",
    "summary",
];

/// Ends an HTML block where kramdown ends it: a line that closes the outermost block-level
/// element (`</figure>`) followed directly by Markdown (`### Heading`, `* * *`, text) gets a
/// blank line after it, so the Markdown is parsed as the author saw it rendered, not kept as
/// raw HTML (CommonMark runs an HTML block on to the next blank line). Outside code only.
pub fn end_html_blocks_like_kramdown(markdown: &str) -> std::borrow::Cow<'_, str> {
    map_outside_code_holding(markdown, "</", end_html_blocks)
}

fn end_html_blocks(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut depth = 0usize;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        let (opened, closed) = block_tag_counts(line);
        let was_open = depth > 0;
        depth = (depth + opened).saturating_sub(closed);
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        let closes_here = closed > 0
            && indent < 4
            && trimmed
                .rsplit_once("</")
                .is_some_and(|(_, tag)| is_block_tag(tag.trim_end_matches('>').trim()));
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if (was_open || opened > 0)
            && depth == 0
            && closes_here
            && trimmed.ends_with('>')
            && !next.is_empty()
            && !next.starts_with('<')
        {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
        }
    }
    out
}

fn is_block_tag(name: &str) -> bool {
    BLOCK_TAGS.contains(&name.to_ascii_lowercase().as_str())
}

/// Block-level start tags (not self-closed) and end tags on one line.
fn block_tag_counts(line: &str) -> (usize, usize) {
    let (mut opened, mut closed) = (0, 0);
    let mut rest = line;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let name_start = usize::from(closing);
        let name_len = rest[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - name_start);
        if name_len == 0 || !is_block_tag(&rest[name_start..name_start + name_len]) {
            continue;
        }
        if closing {
            closed += 1;
        } else {
            let tag_end = rest.find('>').unwrap_or(rest.len());
            if !rest[..tag_end].ends_with('/') {
                opened += 1;
            }
        }
    }
    (opened, closed)
}

/// `{:...}` alone on a line: its attributes, without the colon.
fn block_ial(trimmed: &str) -> Option<&str> {
    let inner = trimmed.strip_prefix("{:")?.strip_suffix('}')?;
    (!inner.contains(['{', '}'])).then(|| inner.trim())
}

/// `){:` and `]{:` right after a link or image become comrak attributes `){`.
fn rewrite_inline(line: &str) -> String {
    if !line.contains("{:") {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("{:") {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let attrs = after[2..close].trim();
        if before.ends_with(')') || before.ends_with(']') {
            if !attrs.is_empty() {
                out.push('{');
                out.push_str(attrs);
                out.push('}');
            }
        } else if !looks_like_ial(attrs) {
            // Not an attribute list (e.g. a Ruby hash `{:a => 1}` in prose): keep it.
            out.push_str(&after[..=close]);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// kramdown IAL content: `.class`, `#id`, `key="value"` items, or a reference name.
fn looks_like_ial(attrs: &str) -> bool {
    let name = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    attrs.split_whitespace().all(|item| {
        item.strip_prefix('.').is_some_and(name)
            || item.strip_prefix('#').is_some_and(name)
            || item.split_once('=').is_some_and(|(key, _)| name(key))
            || name(item)
    })
}

fn is_atx_heading(line: &str) -> bool {
    let t = line.trim_start();
    let hashes = t.chars().take_while(|c| *c == '#').count();
    (1..=6).contains(&hashes) && t[hashes..].starts_with([' ', '\t'])
}

fn is_list_item(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("* ")
        || t.starts_with("- ")
        || t.starts_with("+ ")
        || t.split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_ials_become_comrak_attributes() {
        assert_eq!(
            rewrite_attribute_lists(
                "[a](https://x.org){:target=\"_blank\"} and ![i](p.png){: .wide}\n"
            ),
            "[a](https://x.org){target=\"_blank\"} and ![i](p.png){.wide}\n"
        );
    }

    #[test]
    fn heading_ials_move_onto_the_heading_and_others_disappear() {
        assert_eq!(
            rewrite_attribute_lists("## Lists\n{:#lists}\n\nText\n{:.boxit}\n"),
            "## Lists {#lists}\n\nText\n\n"
        );
    }

    #[test]
    fn ials_before_a_heading_apply_to_it() {
        assert_eq!(
            rewrite_attribute_lists(
                "Text\n\n{:#hr}\n### Horizontal Rule\n\n{:#inline}\nInline HTML\n---\n"
            ),
            "Text\n\n\n### Horizontal Rule {#hr}\n\n\nInline HTML {#inline}\n---\n"
        );
        // Before a paragraph: nothing comrak can carry; the IAL just goes.
        assert_eq!(rewrite_attribute_lists("{:.x}\nText\n"), "\nText\n");
    }

    #[test]
    fn markdown_resumes_after_a_closing_block_tag() {
        assert_eq!(
            end_html_blocks_like_kramdown(
                "<figure>\n<img src=\"a.png\">\n</figure>\n### Custom Searches\n* * *\n"
            ),
            "<figure>\n<img src=\"a.png\">\n</figure>\n\n### Custom Searches\n* * *\n"
        );
        // Inside an outer element, and before more HTML, nothing changes.
        let nested = "<div>\n<div>x</div>\ntext\n</div>\n<p>y</p>\n";
        assert_eq!(end_html_blocks_like_kramdown(nested), nested);
        // Prose that merely mentions a tag is left alone.
        let prose = "Close it with `</div>`\ntext\n";
        assert_eq!(end_html_blocks_like_kramdown(prose), prose);
    }

    #[test]
    fn toc_marker_replaces_the_list_item() {
        assert_eq!(
            rewrite_attribute_lists("* TOC\n{:toc}\n\n# A\n"),
            format!("{TOC_MARKER}\n\n# A\n")
        );
    }

    #[test]
    fn code_is_untouched() {
        let code = "```ruby\nx = {:a => 1}\n```\n`{:toc}`\n";
        assert_eq!(rewrite_attribute_lists(code), code);
        assert_eq!(
            rewrite_attribute_lists("a hash {:a => 1} here\n"),
            "a hash {:a => 1} here\n"
        );
    }
}
