//! Tables of contents: headings nested by level.

use super::markdown::Heading;
use crate::text::html::escape;

/// One entry of a table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    pub anchor: String,
    pub children: Vec<TocEntry>,
}

/// Nests headings of level ≤ `max_depth` under the nearest shallower heading.
pub fn table_of_contents(headings: &[Heading], max_depth: u8) -> Vec<TocEntry> {
    let mut roots: Vec<TocEntry> = Vec::new();
    for h in headings.iter().filter(|h| h.level <= max_depth) {
        let entry = TocEntry {
            level: h.level,
            text: h.text.clone(),
            anchor: h.anchor.clone(),
            children: Vec::new(),
        };
        insert(&mut roots, entry);
    }
    roots
}

fn insert(siblings: &mut Vec<TocEntry>, entry: TocEntry) {
    match siblings.last_mut() {
        Some(last) if last.level < entry.level => insert(&mut last.children, entry),
        _ => siblings.push(entry),
    }
}

/// kramdown's `{:toc}` list: `<ul id="markdown-toc">` with nested lists.
pub fn toc_html(entries: &[TocEntry]) -> String {
    fn list(entries: &[TocEntry], out: &mut String, top: bool) {
        if entries.is_empty() {
            return;
        }
        out.push_str(if top {
            "<ul id=\"markdown-toc\">\n"
        } else {
            "<ul>\n"
        });
        for e in entries {
            out.push_str(&format!(
                "<li><a href=\"#{}\" id=\"markdown-toc-{}\">{}</a>",
                escape(&e.anchor),
                escape(&e.anchor),
                escape(&e.text)
            ));
            list(&e.children, out, false);
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    let mut out = String::new();
    list(entries, &mut out, true);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(level: u8, text: &str) -> Heading {
        Heading {
            level,
            text: text.into(),
            anchor: text.to_lowercase(),
        }
    }

    #[test]
    fn nests_by_level_and_respects_depth() {
        let toc = table_of_contents(&[h(2, "A"), h(3, "B"), h(4, "C"), h(2, "D")], 3);
        assert_eq!(toc.len(), 2);
        assert_eq!(toc[0].children.len(), 1);
        assert_eq!(toc[0].children[0].text, "B");
        assert!(
            toc[0].children[0].children.is_empty(),
            "level 4 is past maxDepth 3"
        );
        let html = toc_html(&toc);
        assert!(html.starts_with("<ul id=\"markdown-toc\">"));
        assert!(html.contains("<a href=\"#b\" id=\"markdown-toc-b\">B</a>"));
    }
}
