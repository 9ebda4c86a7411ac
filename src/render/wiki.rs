//! Wiki links, rewritten to Markdown links before the Markdown pass:
//! `[[Title]]` and `[[slug|text]]` link to the matching post, `[[text::https://url]]` links to
//! the URL, and `[[content::wrap]]` (a theme's wrapping syntax) keeps just its content. A link
//! that matches nothing renders as its plain text, without brackets, and is reported.

use super::prose::map_outside_code_except;

/// Finds the post a wiki link names.
pub trait WikiTargets {
    /// The URL of the post whose title, slug or file name is `target` (case-insensitive).
    fn wiki_target(&self, target: &str) -> Option<String>;
}

/// A wiki link that matched no post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedWikiLink {
    /// The link as written, e.g. `[[No Such Post]]`.
    pub written: String,
    pub target: String,
}

/// Rewrites every wiki link in `markdown` (outside code: fenced, indented and inline).
pub fn rewrite_wiki_links(
    markdown: &str,
    targets: &dyn WikiTargets,
) -> (String, Vec<UnresolvedWikiLink>) {
    let (text, unresolved, _) = rewrite_counting(markdown, targets);
    (text, unresolved)
}

/// Whether `markdown` holds a wiki link that leads somewhere: one naming a post, one with a
/// URL (`[[text::https://…]]`) or a theme's wrapping form. A site none of whose posts has one
/// does not use wiki links, and its `[[…]]` (a C++ attribute, a shell test) stays as written.
pub fn has_working_wiki_link(markdown: &str, targets: &dyn WikiTargets) -> bool {
    markdown.contains("[[") && rewrite_counting(markdown, targets).2 > 0
}

/// [`rewrite_wiki_links`], also counting the links that led somewhere.
fn rewrite_counting(
    markdown: &str,
    targets: &dyn WikiTargets,
) -> (String, Vec<UnresolvedWikiLink>, usize) {
    if !markdown.contains("[[") {
        return (markdown.to_string(), Vec::new(), 0);
    }
    let code_lines = indented_code_lines(markdown);
    let mut unresolved = Vec::new();
    let mut working = 0;
    let text = map_outside_code_except(
        markdown,
        |line| code_lines.iter().any(|(a, b)| (*a..=*b).contains(&line)),
        |prose| {
            let before = unresolved.len();
            let (out, found) = rewrite_prose_counting(prose, targets, &mut unresolved);
            working += found - (unresolved.len() - before);
            out
        },
    );
    (text, unresolved, working)
}

/// The line ranges (1-based, inclusive) of indented code blocks: comrak tells them from list
/// continuations. Only run on text that has a `[[`.
fn indented_code_lines(markdown: &str) -> Vec<(usize, usize)> {
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, markdown, &comrak::Options::default());
    root.descendants()
        .filter_map(|node| {
            let data = node.data();
            match &data.value {
                comrak::nodes::NodeValue::CodeBlock(block) if !block.fenced => {
                    Some((data.sourcepos.start.line, data.sourcepos.end.line))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
fn rewrite_prose(
    text: &str,
    targets: &dyn WikiTargets,
    unresolved: &mut Vec<UnresolvedWikiLink>,
) -> String {
    rewrite_prose_counting(text, targets, unresolved).0
}

/// Rewrites the wiki links in one stretch of prose; also returns how many it rewrote
/// (resolved or not). A `[[` after a backslash is not a wiki link (`\[[`a`](url)] …
/// \[\[noreturn]]` in a changelog).
fn rewrite_prose_counting(
    text: &str,
    targets: &dyn WikiTargets,
    unresolved: &mut Vec<UnresolvedWikiLink>,
) -> (String, usize) {
    // Every `[[` and `]]`, overlapping ones included, found once: each candidate below is
    // then checked in constant time, so `[[[[…` or a `[[` that never closes stays linear.
    let bytes = text.as_bytes();
    let pairs = |pair: &[u8]| -> Vec<usize> {
        bytes
            .windows(2)
            .enumerate()
            .filter(|(_, w)| *w == pair)
            .map(|(i, _)| i)
            .collect()
    };
    let (opens, closes) = (pairs(b"[["), pairs(b"]]"));
    let (mut next_open, mut next_inner_open, mut next_close) = (0, 0, 0);
    let mut out = String::with_capacity(text.len());
    let (mut pos, mut found) = (0, 0);
    loop {
        // The first `[[` at or after `pos`.
        while opens.get(next_open).is_some_and(|o| *o < pos) {
            next_open += 1;
        }
        let Some(&start) = opens.get(next_open) else {
            break;
        };
        // The first `]]` after it.
        while closes.get(next_close).is_some_and(|c| *c < start + 2) {
            next_close += 1;
        }
        let Some(&end) = closes.get(next_close) else {
            break;
        };
        // Another `[[` inside: the link starts at a later `[[`.
        while opens.get(next_inner_open).is_some_and(|o| *o < start + 2) {
            next_inner_open += 1;
        }
        let nested = opens.get(next_inner_open).is_some_and(|o| o + 2 <= end);
        let escaped = bytes[..start]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count()
            % 2
            == 1;
        let inner = &text[start + 2..end];
        if nested || escaped || inner.trim().is_empty() {
            out.push_str(&text[pos..start + 1]);
            pos = start + 1;
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(&rewrite_one(inner, targets, unresolved));
        found += 1;
        pos = end + 2;
    }
    out.push_str(&text[pos..]);
    (out, found)
}

fn rewrite_one(
    inner: &str,
    targets: &dyn WikiTargets,
    unresolved: &mut Vec<UnresolvedWikiLink>,
) -> String {
    if let Some((content, option)) = inner.rsplit_once("::") {
        let option = option.trim();
        if option.starts_with("http://") || option.starts_with("https://") {
            return format!("[{}](<{option}>)", content.trim());
        }
        if !option.is_empty() && !option.contains(char::is_whitespace) {
            return content.trim().to_string();
        }
    }
    let (target, text) = match inner.split_once('|') {
        Some((target, text)) => (target.trim(), text.trim()),
        None => (inner.trim(), inner.trim()),
    };
    match targets.wiki_target(target) {
        Some(url) => format!("[{text}](<{url}>)"),
        None => {
            unresolved.push(UnresolvedWikiLink {
                written: format!("[[{inner}]]"),
                target: target.to_string(),
            });
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Posts;
    impl WikiTargets for Posts {
        fn wiki_target(&self, target: &str) -> Option<String> {
            match target.to_lowercase().as_str() {
                "the legend is the interface" | "the-legend-is-the-interface" => {
                    Some("/blog/the-legend-is-the-interface".into())
                }
                _ => None,
            }
        }
    }

    #[test]
    fn every_form() {
        let (text, missing) = rewrite_wiki_links(
            "See [[The Legend Is the Interface]], [[the-legend-is-the-interface|the legend post]], [[Ruby::https://www.ruby-lang.org/]] and [[No Such Post]].\n",
            &Posts,
        );
        assert_eq!(
            text,
            "See [The Legend Is the Interface](</blog/the-legend-is-the-interface>), [the legend post](</blog/the-legend-is-the-interface>), [Ruby](<https://www.ruby-lang.org/>) and No Such Post.\n"
        );
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].written, "[[No Such Post]]");
    }

    #[test]
    fn wrap_keeps_multi_line_content() {
        let (text, missing) =
            rewrite_wiki_links("[[_Source_: A book<br>\n_Author_: me\n::wrap]]\n", &Posts);
        assert_eq!(text, "_Source_: A book<br>\n_Author_: me\n");
        assert!(missing.is_empty());
    }

    /// The scan before it was made linear, kept to check the linear one against.
    fn quadratic_rewrite_prose(
        text: &str,
        targets: &dyn WikiTargets,
        unresolved: &mut Vec<UnresolvedWikiLink>,
    ) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("[[") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("]]") else {
                break;
            };
            let inner = &after[..end];
            let escaped = rest[..start]
                .bytes()
                .rev()
                .take_while(|b| *b == b'\\')
                .count()
                % 2
                == 1;
            if inner.contains("[[") || escaped || inner.trim().is_empty() {
                // Not a wiki link (nested brackets, or `[[ ]]`): keep the first bracket, go on.
                out.push_str(&rest[..start + 1]);
                rest = &rest[start + 1..];
                continue;
            }
            out.push_str(&rest[..start]);
            out.push_str(&rewrite_one(inner, targets, unresolved));
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    proptest::proptest! {
        #[test]
        fn linear_scan_matches_the_simple_one(text in "[\\[\\]a |:\\\\]{0,40}") {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(
                rewrite_prose(&text, &Posts, &mut fast),
                quadratic_rewrite_prose(&text, &Posts, &mut slow)
            );
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn escaped_brackets_and_indented_code_are_not_links() {
        let changelog = "- \\[[`5f21755e60`](https://example.org/c)] - keep \\[\\[noreturn]]\n";
        assert_eq!(rewrite_wiki_links(changelog, &Posts).0, changelog);
        let code = "Clone it:\n\n    git clone [[https://example.org/r][repo]]\n\nand [[the-legend-is-the-interface]].\n";
        let (text, missing) = rewrite_wiki_links(code, &Posts);
        assert_eq!(
            text,
            "Clone it:\n\n    git clone [[https://example.org/r][repo]]\n\nand [the-legend-is-the-interface](</blog/the-legend-is-the-interface>).\n"
        );
        assert!(missing.is_empty());
        // A list item's continuation is not code: its wiki link is one.
        let list = "- item\n\n    see [[the-legend-is-the-interface]]\n";
        assert!(rewrite_wiki_links(list, &Posts).0.contains("](</blog/"));
    }

    #[test]
    fn only_links_that_lead_somewhere_make_a_wiki_site() {
        assert!(!has_working_wiki_link(
            "C++ `x` \\[\\[noreturn]] and [[noreturn]]",
            &Posts
        ));
        assert!(has_working_wiki_link(
            "[[Ruby::https://www.ruby-lang.org/]]",
            &Posts
        ));
        assert!(has_working_wiki_link(
            "[[The Legend Is the Interface]]",
            &Posts
        ));
    }

    #[test]
    fn code_and_shell_tests_are_not_links() {
        let text = "```bash\nif [[ -f x ]]; then\n```\nand `[[ a ]]` inline\n";
        assert_eq!(rewrite_wiki_links(text, &Posts).0, text);
    }
}
