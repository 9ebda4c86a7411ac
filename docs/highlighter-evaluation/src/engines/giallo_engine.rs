//! giallo (TextMate grammars from shiki, onig-regset): its HtmlRenderer in class mode.

use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};

pub struct Engine {
    registry: Registry,
    renderer: HtmlRenderer,
}

const THEME: &str = "github-light";

impl Engine {
    pub const NAME: &'static str = "giallo";

    pub fn new() -> Engine {
        let mut registry =
            Registry::builtin().unwrap_or_else(|e| crate::fail(&format!("giallo: {e}")));
        registry.link_grammars();
        let renderer = HtmlRenderer {
            css_class_prefix: Some("g-".to_owned()),
            ..HtmlRenderer::default()
        };
        Engine { registry, renderer }
    }

    fn lang(lang: &str) -> String {
        match lang {
            "" => "plain".to_owned(),
            "obj-c" => "objc".to_owned(),
            l => l.to_lowercase(),
        }
    }

    pub fn supports(&self, lang: &str) -> bool {
        !lang.is_empty() && self.registry.contains_grammar(&Self::lang(lang))
    }

    pub fn stylesheet(&self) -> String {
        self.registry.generate_css(THEME, "g-").unwrap_or_default()
    }

    pub fn pre_class(&self) -> &'static str {
        "giallo g-code"
    }

    pub fn highlight(&mut self, lang: &str, code: &str) -> Option<String> {
        let options = HighlightOptions::new(Self::lang(lang), ThemeVariant::Single(THEME))
            .fallback_to_plain(true);
        let highlighted = self.registry.highlight(code, &options).ok()?;
        Some(
            self.renderer
                .render(&highlighted, &RenderOptions::default()),
        )
    }
}
