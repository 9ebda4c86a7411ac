//! Markdown to HTML, cached per post and snapshot.
//!
//! One comrak pass per post with GitHub-flavoured extensions (tables, strikethrough,
//! autolinks, task lists, footnotes). Raw HTML is kept: authors embed iframes and figures.

pub mod cache;

pub use cache::RenderCache;

use comrak::{markdown_to_html, Options};
use std::sync::LazyLock;

/// comrak options, built once per process.
static MARKDOWN_OPTIONS: LazyLock<Options<'static>> = LazyLock::new(|| {
    let mut options = Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    // Authors embed iframes, figures and raw HTML: keep it (a sanitized variant is separate).
    options.render.r#unsafe = true;
    options
});

/// Renders a post's Markdown body to HTML.
pub fn markdown_to_html_string(markdown: &str) -> String {
    markdown_to_html(markdown, &MARKDOWN_OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_gfm_extensions_and_keeps_raw_html() {
        let html = markdown_to_html_string(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ https://example.org\n\n- [x] done\n\nNote[^1]\n\n[^1]: The note.\n\n<figure><iframe src=\"https://www.youtube.com/embed/x\"></iframe></figure>\n",
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("<a href=\"https://example.org\">"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("footnote"), "{html}");
        assert!(
            html.contains("<iframe src=\"https://www.youtube.com/embed/x\">"),
            "{html}"
        );
    }
}
