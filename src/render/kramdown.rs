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

use super::prose::map_outside_code;

/// What the renderer replaces with the table of contents.
pub const TOC_MARKER: &str = "<!-- inkgraph:toc -->";

/// Rewrites kramdown IALs in `markdown` (outside code).
pub fn rewrite_attribute_lists(markdown: &str) -> String {
    if !markdown.contains("{:") {
        return markdown.to_string();
    }
    map_outside_code(markdown, rewrite_prose)
}

fn rewrite_prose(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
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
            // A block IAL comrak cannot apply: drop it.
            lines.push(ending.to_string());
            continue;
        }
        lines.push(rewrite_inline(body) + ending);
    }
    lines.concat()
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
