//! arborium (tree-sitter grammars + highlight queries): its class-name HTML.

use arborium::{Config, Highlighter, HtmlFormat};

pub struct Engine {
    hl: Highlighter,
    /// Without injections: for Rust when ARBORIUM_RUST_INJECTIONS=0.
    flat: Highlighter,
    rust_flat: bool,
}

impl Engine {
    pub const NAME: &'static str = "arborium";

    pub fn new() -> Engine {
        // ARBORIUM_INJECTIONS=0 turns off injections (e.g. Rust inside macro token trees).
        let depth = std::env::var("ARBORIUM_INJECTIONS")
            .ok()
            .and_then(|d| d.parse().ok());
        let mut config = Config {
            html_format: HtmlFormat::ClassNames,
            ..Config::default()
        };
        if let Some(depth) = depth {
            config.max_injection_depth = depth;
        }
        let hl = Highlighter::with_config(config.clone());
        let flat = Highlighter::with_store_and_config(
            hl.store().clone(),
            Config {
                max_injection_depth: 0,
                ..config
            },
        );
        let rust_flat = std::env::var("ARBORIUM_RUST_INJECTIONS").is_ok_and(|v| v == "0");
        Engine {
            hl,
            flat,
            rust_flat,
        }
    }

    fn lang(lang: &str) -> &str {
        match lang {
            "sh" | "shell" | "console" => "bash",
            "js" => "javascript",
            "md" => "markdown",
            "yml" => "yaml",
            "obj-c" => "objc",
            "py" => "python",
            "rs" => "rust",
            "rb" => "ruby",
            l => l,
        }
    }

    pub fn supports(&self, lang: &str) -> bool {
        !lang.is_empty() && self.hl.store().get(Self::lang(lang)).is_some()
    }

    /// GitHub Light as class rules: one `.name` rule per highlight category (its own style,
    /// else its parent's), as arborium's `Theme::to_css` does for its custom elements.
    pub fn stylesheet(&self) -> String {
        use arborium_theme::{tag_to_name, HIGHLIGHTS};
        use std::fmt::Write;
        let theme = arborium_theme::builtin::github_light();
        let mut css = String::new();
        let mut by_tag = std::collections::HashMap::new();
        for (i, def) in HIGHLIGHTS.iter().enumerate() {
            if !def.tag.is_empty() && !theme.styles[i].is_empty() {
                by_tag.entry(def.tag).or_insert(&theme.styles[i]);
            }
        }
        let mut done = std::collections::HashSet::new();
        for (i, def) in HIGHLIGHTS.iter().enumerate() {
            let Some(name) = tag_to_name(def.tag) else {
                continue;
            };
            let style = if !theme.styles[i].is_empty() {
                Some(&theme.styles[i])
            } else {
                by_tag.get(def.parent_tag).copied()
            };
            let Some(style) = style else { continue };
            if style.is_empty() || !done.insert(name) {
                continue;
            }
            let _ = write!(css, ".{name} {{");
            if let Some(fg) = &style.fg {
                let _ = write!(css, " color: {};", fg.to_hex());
            }
            if style.modifiers.bold {
                css.push_str(" font-weight: bold;");
            }
            if style.modifiers.italic {
                css.push_str(" font-style: italic;");
            }
            css.push_str(" }\n");
        }
        css
    }

    pub fn pre_class(&self) -> &'static str {
        ""
    }

    pub fn highlight(&mut self, lang: &str, code: &str) -> Option<String> {
        let lang = Self::lang(lang);
        let hl = if self.rust_flat && lang == "rust" {
            &mut self.flat
        } else {
            &mut self.hl
        };
        match hl.highlight(lang, code) {
            Ok(html) => Some(html),
            Err(arborium::Error::UnsupportedLanguage { .. }) => {
                let mut out = String::new();
                crate::escape_into(&mut out, code);
                Some(out)
            }
            Err(_) => None,
        }
    }
}
