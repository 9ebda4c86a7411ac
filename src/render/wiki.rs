//! Wiki links, rewritten to Markdown links before the Markdown pass:
//! `[[Title]]` and `[[slug|text]]` link to the matching post, `[[text::https://url]]` links to
//! the URL, and `[[content::wrap]]` (a theme's wrapping syntax) keeps just its content. A link
//! that matches nothing renders as its plain text, without brackets, and is reported.

use super::prose::map_outside_code;

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

/// Rewrites every wiki link in `markdown` (outside code).
pub fn rewrite_wiki_links(
    markdown: &str,
    targets: &dyn WikiTargets,
) -> (String, Vec<UnresolvedWikiLink>) {
    if !markdown.contains("[[") {
        return (markdown.to_string(), Vec::new());
    }
    let mut unresolved = Vec::new();
    let text = map_outside_code(markdown, |prose| {
        rewrite_prose(prose, targets, &mut unresolved)
    });
    (text, unresolved)
}

fn rewrite_prose(
    text: &str,
    targets: &dyn WikiTargets,
    unresolved: &mut Vec<UnresolvedWikiLink>,
) -> String {
    // Every `[[` and `]]`, overlapping ones included, found once: each candidate below is
    // then checked in constant time, so `[[[[…` or a `[[` that never closes stays linear.
    let pairs = |pair: &[u8]| -> Vec<usize> {
        text.as_bytes()
            .windows(2)
            .enumerate()
            .filter(|(_, w)| *w == pair)
            .map(|(i, _)| i)
            .collect()
    };
    let (opens, closes) = (pairs(b"[["), pairs(b"]]"));
    let (mut next_open, mut next_inner_open, mut next_close) = (0, 0, 0);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
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
        let inner = &text[start + 2..end];
        if nested || inner.trim().is_empty() {
            out.push_str(&text[pos..start + 1]);
            pos = start + 1;
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(&rewrite_one(inner, targets, unresolved));
        pos = end + 2;
    }
    out.push_str(&text[pos..]);
    out
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
            if inner.contains("[[") || inner.trim().is_empty() {
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
        fn linear_scan_matches_the_simple_one(text in "[\\[\\]a |:]{0,40}") {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(
                rewrite_prose(&text, &Posts, &mut fast),
                quadratic_rewrite_prose(&text, &Posts, &mut slow)
            );
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn code_and_shell_tests_are_not_links() {
        let text = "```bash\nif [[ -f x ]]; then\n```\nand `[[ a ]]` inline\n";
        assert_eq!(rewrite_wiki_links(text, &Posts).0, text);
    }
}
