//! Code highlighting with syntect, into CSS classes (not inline styles, which a sanitizer
//! strips). The highlighter is built once per process: building it costs far more than a
//! render.
//!
//! The classes are syntect's scope names (`<span class="storage type function rust">`), and
//! `/highlight.css` is syntect's stylesheet for [`DEFAULT_THEME`], so a site can restyle
//! them. Unlike syntect's own `ClassedHTMLGenerator`, [`Highlighter`] writes small markup
//! that looks the same under that stylesheet:
//!
//! - a span only for a scope the stylesheet can select: one whose class names include every
//!   class of some selector of the theme. Spans that no rule can match (`meta function
//!   rust`, `text plain`, most punctuation) change nothing on screen, so plain text is
//!   written bare;
//! - a span is closed only when the text that follows is outside it, so adjacent spans of
//!   the same class are one span (syntect closes and reopens a scope at every token and
//!   line).
//!
//! On the fixtures this makes highlighted code about a third of syntect's markup, and the
//! writing faster; the parsing (syntect's grammars on Oniguruma) is unchanged.

use comrak::adapters::SyntaxHighlighterAdapter;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write};
use std::rc::Rc;
use std::sync::LazyLock;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::html::{css_for_theme_with_class_style, ClassStyle};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// The theme `GET /highlight.css` serves.
pub const DEFAULT_THEME: &str = "InspiredGitHub";

static HIGHLIGHTER: LazyLock<Highlighter> = LazyLock::new(Highlighter::new);

static CSS: LazyLock<String> = LazyLock::new(|| {
    default_theme()
        .and_then(|theme| css_for_theme_with_class_style(&theme, ClassStyle::Spaced).ok())
        .unwrap_or_default()
});

fn default_theme() -> Option<Theme> {
    ThemeSet::load_defaults().themes.remove(DEFAULT_THEME)
}

/// The process-wide highlighter for comrak's fenced code blocks.
pub fn adapter() -> &'static Highlighter {
    &HIGHLIGHTER
}

/// A stylesheet for the highlighting classes.
pub fn stylesheet() -> &'static str {
    &CSS
}

/// comrak's code-fence highlighter: syntect's grammars, syntect's class names, compact
/// markup (see the module documentation).
#[derive(Debug)]
pub struct Highlighter {
    syntaxes: SyntaxSet,
    /// The selectors of the stylesheet's rules, each as its class names (`storage.type` is
    /// `["storage", "type"]`). A scope gets a span when it has every class of one of them.
    selectors: Vec<Vec<String>>,
}

thread_local! {
    /// Per scope: its class attribute when a rule of the stylesheet can select it, else
    /// `None`. Scopes are few (hundreds) and interned for the process, so this stays small;
    /// per thread, so the renderer's threads share no lock.
    static CLASSES: RefCell<HashMap<Scope, Option<Rc<str>>>> = RefCell::new(HashMap::new());
    /// Per fence language: the index of its syntax in the syntax set.
    static SYNTAXES: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
}

impl Highlighter {
    fn new() -> Highlighter {
        let mut selectors: Vec<Vec<String>> = Vec::new();
        let mut seen = HashSet::new();
        if let Some(theme) = default_theme() {
            for item in &theme.scopes {
                for selector in &item.scope.selectors {
                    for scope in selector.extract_scopes() {
                        let mut classes = atoms(scope);
                        classes.sort();
                        if !classes.is_empty() && seen.insert(classes.clone()) {
                            selectors.push(classes);
                        }
                    }
                }
            }
        }
        Highlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            selectors,
        }
    }

    /// The class attribute of `scope` (its atoms, space-separated), or `None` when no rule of
    /// the stylesheet can select an element with those classes.
    fn class_of(&self, scope: Scope) -> Option<Rc<str>> {
        CLASSES.with(|cache| {
            if let Some(found) = cache.borrow().get(&scope) {
                return found.clone();
            }
            let names = atoms(scope);
            let selectable = self
                .selectors
                .iter()
                .any(|selector| selector.iter().all(|class| names.contains(class)));
            let class = selectable.then(|| Rc::from(names.join(" ")));
            cache.borrow_mut().insert(scope, class.clone());
            class
        })
    }

    /// The syntax for a fence's info string (`rust`, `rs`, `c++,linenos`), else the one its
    /// first line names (`#!/bin/bash`), else plain text.
    fn syntax_for(&self, lang: Option<&str>, code: &str) -> &SyntaxReference {
        let token = match lang {
            Some(l) if !l.is_empty() => l.split_once(',').map_or(l, |(left, _)| left),
            _ => "Plain Text",
        };
        let cached = SYNTAXES.with(|cache| cache.borrow().get(token).copied());
        let found = cached.or_else(|| {
            let found = self
                .syntaxes
                .find_syntax_by_token(token)
                .and_then(|syntax| self.index_of(syntax));
            if let Some(index) = found {
                SYNTAXES.with(|cache| cache.borrow_mut().insert(token.to_owned(), index));
            }
            found
        });
        found
            .and_then(|index| self.syntaxes.syntaxes().get(index))
            .or_else(|| self.syntaxes.find_syntax_by_first_line(code))
            .unwrap_or_else(|| self.syntaxes.find_syntax_plain_text())
    }

    fn index_of(&self, syntax: &SyntaxReference) -> Option<usize> {
        self.syntaxes
            .syntaxes()
            .iter()
            .position(|s| std::ptr::eq(s, syntax))
    }

    /// `code` as highlighted HTML (without `<pre>` and `<code>`), or `None` when syntect
    /// fails on it (a grammar error), in which case the caller writes it escaped.
    pub fn highlight(&self, lang: Option<&str>, code: &str) -> Option<String> {
        let syntax = self.syntax_for(lang, code);
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut out = Markup {
            html: String::with_capacity(code.len() * 2),
            open: Vec::new(),
        };
        for line in LinesWithEndings::from(code) {
            let ops = state.parse_line(line, &self.syntaxes).ok()?;
            let mut at = 0;
            for (index, op) in &ops {
                let index = (*index).min(line.len());
                if index > at {
                    out.text(self, &stack, line.get(at..index)?);
                    at = index;
                }
                stack.apply(op).ok()?;
            }
            if at < line.len() {
                out.text(self, &stack, line.get(at..)?);
            }
        }
        out.close_to(0);
        Some(out.html)
    }
}

/// The atoms of `scope` (`storage`, `type`, `function`, `rust`).
fn atoms(scope: Scope) -> Vec<String> {
    scope
        .build_string()
        .split('.')
        .filter(|atom| !atom.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Highlighted HTML being written, with the spans open at its end.
struct Markup {
    html: String,
    /// The scopes whose spans are open, outermost first (only scopes that have a class).
    open: Vec<(Scope, Rc<str>)>,
}

impl Markup {
    /// Writes `text` (escaped) inside exactly the spans of `stack`'s selectable scopes:
    /// spans already open that still apply stay open, the others are closed, and missing
    /// ones are opened.
    fn text(&mut self, highlighter: &Highlighter, stack: &ScopeStack, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut depth = 0;
        for scope in stack.as_slice() {
            let Some(class) = highlighter.class_of(*scope) else {
                continue;
            };
            match self.open.get(depth) {
                Some((open, _)) if *open == *scope => {}
                _ => {
                    self.close_to(depth);
                    self.html.push_str("<span class=\"");
                    self.html.push_str(&class);
                    self.html.push_str("\">");
                    self.open.push((*scope, class));
                }
            }
            depth += 1;
        }
        self.close_to(depth);
        self.html.push_str(&crate::text::html::escape(text));
    }

    /// Closes open spans until `depth` remain.
    fn close_to(&mut self, depth: usize) {
        while self.open.len() > depth {
            self.open.pop();
            self.html.push_str("</span>");
        }
    }
}

impl SyntaxHighlighterAdapter for Highlighter {
    fn write_highlighted(
        &self,
        output: &mut dyn Write,
        lang: Option<&str>,
        code: &str,
    ) -> fmt::Result {
        match self.highlight(lang, code) {
            Some(html) => output.write_str(&html),
            None => output.write_str(&crate::text::html::escape(code)),
        }
    }

    fn write_pre_tag(
        &self,
        output: &mut dyn Write,
        _attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        output.write_str("<pre class=\"syntax-highlighting\">")
    }

    fn write_code_tag(
        &self,
        output: &mut dyn Write,
        attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        comrak::html::write_opening_tag(output, "code", attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_styles_the_classes_the_adapter_emits() {
        let css = stylesheet();
        assert!(css.contains(".source"), "{}", &css[..css.len().min(300)]);
        assert!(css.len() > 1000);
        let html = adapter()
            .highlight(Some("rust"), "// note\nfn main() {}\n")
            .expect("highlights");
        for class in ["comment", "storage type"] {
            assert!(html.contains(&format!("class=\"{class}")), "{html}");
        }
    }

    #[test]
    fn plain_text_has_no_spans_and_is_escaped() {
        let html = adapter()
            .highlight(Some("no-such-language"), "a <b> & \"c\"\n")
            .expect("highlights");
        assert_eq!(html, "a &lt;b&gt; &amp; &quot;c&quot;\n");
    }

    #[test]
    fn spans_are_balanced_and_never_reopened_back_to_back() {
        let code = "fn main() {\n    let s = \"a\";\n    // one\n    // two\n}\n";
        let html = adapter().highlight(Some("rust"), code).expect("highlights");
        assert_eq!(
            html.matches("<span").count(),
            html.matches("</span>").count(),
            "{html}"
        );
        // No span is closed and then opened again with the same class right away.
        let mut stack: Vec<&str> = Vec::new();
        let mut just_closed: Option<(usize, &str)> = None;
        let mut at = 0;
        while let Some(found) = html[at..].find('<') {
            at += found;
            let rest = &html[at..];
            if let Some(tail) = rest.strip_prefix("<span class=\"") {
                let class = &tail[..tail.find('"').expect("closing quote")];
                assert_ne!(just_closed, Some((at, class)), "reopened {class}: {html}");
                stack.push(class);
            } else if rest.starts_with("</span>") {
                let closed = stack.pop().expect("a span to close");
                just_closed = Some((at + "</span>".len(), closed));
            }
            at += 1;
        }
        assert!(stack.is_empty(), "{html}");
        assert_eq!(
            crate::text::html::text_content(&html),
            code.trim(),
            "{html}"
        );
    }
}
