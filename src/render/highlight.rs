//! Code highlighting with syntect, into CSS classes (not inline styles, which a sanitizer
//! strips). The highlighter is built once per process: building it costs far more than a
//! render.

use comrak::plugins::syntect::{SyntectAdapter, SyntectAdapterBuilder};
use std::sync::LazyLock;
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle};

/// The theme `GET /highlight.css` serves.
pub const DEFAULT_THEME: &str = "InspiredGitHub";

static ADAPTER: LazyLock<SyntectAdapter> =
    LazyLock::new(|| SyntectAdapterBuilder::new().css().build());

static CSS: LazyLock<String> = LazyLock::new(|| {
    let themes = ThemeSet::load_defaults();
    themes
        .themes
        .get(DEFAULT_THEME)
        .and_then(|theme| css_for_theme_with_class_style(theme, ClassStyle::Spaced).ok())
        .unwrap_or_default()
});

/// The process-wide highlighter for comrak's fenced code blocks.
pub fn adapter() -> &'static SyntectAdapter {
    &ADAPTER
}

/// A stylesheet for the highlighting classes.
pub fn stylesheet() -> &'static str {
    &CSS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_styles_the_classes_the_adapter_emits() {
        let css = stylesheet();
        assert!(css.contains(".source"), "{}", &css[..css.len().min(300)]);
        assert!(css.len() > 1000);
    }
}
