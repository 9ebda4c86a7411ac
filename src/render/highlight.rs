//! Code highlighting into CSS classes (not inline styles, which a sanitizer strips). The
//! highlighters are built once per process: building them costs far more than a render.
//!
//! Two engines, one stylesheet (`/highlight.css`, [`stylesheet`]):
//!
//! - **tree-sitter** (through `arborium`) for the languages blogs use most (Rust, Python,
//!   shell, JavaScript, TypeScript, YAML, JSON, TOML, Ruby, Go, C, Java, HTML, CSS,
//!   GraphQL, and their usual aliases such as `sh`, `js`, `py`, `yml`): it parses the block
//!   and classes each token by its highlight category, `<span class="hl-keyword">`,
//!   `hl-function`, `hl-string`, `hl-comment`, `hl-type`, … ([`TREE_SITTER_PREFIX`]). It is
//!   about 2.7 to 3 times faster than syntect on the real-profile corpus
//!   (docs/highlighter-evaluation.md), and its grammars know current syntax.
//! - **syntect** for every other language (its default grammars: some 75) and for blocks
//!   without a language (a `#!` first line can still name one). Its classes are syntect's
//!   scope names (`<span class="storage type function rust">`).
//!
//! `/highlight.css` holds syntect's stylesheet for [`DEFAULT_THEME`] and rules for the
//! `hl-` classes from arborium's GitHub Light theme, so a site can restyle both.
//!
//! Unlike syntect's own `ClassedHTMLGenerator`, the syntect path writes small markup that
//! looks the same under that stylesheet:
//!
//! - a span only for a scope the stylesheet can select: one whose class names include every
//!   class of some selector of the theme. Spans that no rule can match (`meta function
//!   rust`, `text plain`, most punctuation) change nothing on screen, so plain text is
//!   written bare;
//! - a span is closed only when the text that follows is outside it, so adjacent spans of
//!   the same class are one span (syntect closes and reopens a scope at every token and
//!   line).

use comrak::adapters::SyntaxHighlighterAdapter;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write};
use std::rc::Rc;
use std::sync::{Arc, LazyLock};
use syntect::highlighting::{Theme, ThemeSet};
use syntect::html::{css_for_theme_with_class_style, ClassStyle};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// The theme `GET /highlight.css` serves for syntect's classes.
pub const DEFAULT_THEME: &str = "InspiredGitHub";

/// The prefix of the tree-sitter path's classes: `hl-keyword`, `hl-string`, …
pub const TREE_SITTER_PREFIX: &str = "hl";

/// Fence languages highlighted without following their grammar's injections. Rust's only
/// injections parse every macro's token tree again as Rust (`println!(…)`, `vec![…]`): on
/// the corpus's Rust blocks that doubled the time for about 1.5 % more spans (strings and
/// numbers inside macros are highlighted either way).
const FLAT_LANGUAGES: &[&str] = &["rust", "rs"];

static HIGHLIGHTER: LazyLock<Highlighter> = LazyLock::new(Highlighter::new);

static CSS: LazyLock<String> = LazyLock::new(|| {
    let mut css = default_theme()
        .and_then(|theme| css_for_theme_with_class_style(&theme, ClassStyle::Spaced).ok())
        .unwrap_or_default();
    css.push_str(&tree_sitter_css());
    css
});

/// Rules for the tree-sitter path's classes: one `.hl-NAME` rule per highlight category
/// that arborium's GitHub Light theme styles (its own style, else its parent category's, as
/// arborium's `Theme::to_css` does for its custom elements).
fn tree_sitter_css() -> String {
    use arborium_theme::{tag_to_name, Style, HIGHLIGHTS};
    let theme = arborium_theme::builtin::github_light();
    let style_of = |index: usize| theme.styles.get(index).filter(|style| !style.is_empty());
    let mut by_tag: HashMap<&str, &Style> = HashMap::new();
    for (index, def) in HIGHLIGHTS.iter().enumerate() {
        if let Some(style) = style_of(index) {
            by_tag.entry(def.tag).or_insert(style);
        }
    }
    let mut css = String::from("\n/* tree-sitter highlighting (GitHub Light) */\n");
    let mut written = HashSet::new();
    for (index, def) in HIGHLIGHTS.iter().enumerate() {
        let Some(name) = tag_to_name(def.tag) else {
            continue;
        };
        let Some(style) = style_of(index).or_else(|| by_tag.get(def.parent_tag).copied()) else {
            continue;
        };
        if !written.insert(name) {
            continue;
        }
        let _ = write!(css, ".{TREE_SITTER_PREFIX}-{name} {{");
        if let Some(color) = &style.fg {
            let _ = write!(css, " color: {};", color.to_hex());
        }
        if let Some(color) = &style.bg {
            let _ = write!(css, " background-color: {};", color.to_hex());
        }
        if style.modifiers.bold {
            css.push_str(" font-weight: bold;");
        }
        if style.modifiers.italic {
            css.push_str(" font-style: italic;");
        }
        match (style.modifiers.underline, style.modifiers.strikethrough) {
            (true, true) => css.push_str(" text-decoration: underline line-through;"),
            (true, false) => css.push_str(" text-decoration: underline;"),
            (false, true) => css.push_str(" text-decoration: line-through;"),
            (false, false) => {}
        }
        css.push_str(" }\n");
    }
    css
}

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

/// comrak's code-fence highlighter: tree-sitter for the common languages, syntect's
/// grammars and class names (compact markup) for the others (see the module documentation).
pub struct Highlighter {
    /// The tree-sitter grammars, each compiled (with its queries) on first use and shared by
    /// every thread's parser.
    grammars: Arc<arborium::GrammarStore>,
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
    /// This thread's tree-sitter parsers and query cursors (over the shared grammars), made
    /// on first use: one that follows injections (JavaScript in HTML, …), one that does not
    /// (for [`FLAT_LANGUAGES`]).
    static TREE_SITTER: RefCell<[Option<arborium::Highlighter>; 2]> =
        const { RefCell::new([None, None]) };
}

impl fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Highlighter")
            .field("syntaxes", &self.syntaxes.syntaxes().len())
            .field("selectors", &self.selectors.len())
            .finish_non_exhaustive()
    }
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
            grammars: Arc::new(arborium::GrammarStore::new()),
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
        if let Some(html) = lang.and_then(|lang| self.tree_sitter(lang, code)) {
            return Some(html);
        }
        self.syntect(lang, code)
    }

    /// `code` highlighted by tree-sitter, or `None` when no grammar of it is built in (or
    /// it fails), so that syntect highlights it.
    fn tree_sitter(&self, lang: &str, code: &str) -> Option<String> {
        let token = lang.split_once(',').map_or(lang, |(left, _)| left).trim();
        if token.is_empty() {
            return None;
        }
        let token = token.to_ascii_lowercase();
        let flat = FLAT_LANGUAGES.contains(&token.as_str());
        let html = TREE_SITTER.with(|cell| {
            let mut cell = cell.borrow_mut();
            let highlighter = cell[usize::from(flat)].get_or_insert_with(|| {
                let mut config = arborium::Config {
                    html_format: arborium::HtmlFormat::ClassNamesWithPrefix(
                        TREE_SITTER_PREFIX.to_owned(),
                    ),
                    ..arborium::Config::default()
                };
                if flat {
                    config.max_injection_depth = 0;
                }
                arborium::Highlighter::with_store_and_config(self.grammars.clone(), config)
            });
            highlighter.highlight(&token, code).ok()
        })?;
        // arborium drops the block's final line breaks; the code element keeps them.
        let kept = code.trim_end_matches('\n').len();
        Some(html + code.get(kept..).unwrap_or_default())
    }

    /// `code` highlighted by syntect, in compact markup.
    fn syntect(&self, lang: Option<&str>, code: &str) -> Option<String> {
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
        // A common language goes through tree-sitter: `hl-` classes, each kind styled.
        let html = adapter()
            .highlight(Some("rust"), "// note\nfn main() { let s = \"a\"; }\n")
            .expect("highlights");
        for class in ["hl-comment", "hl-keyword", "hl-function", "hl-string"] {
            assert!(html.contains(&format!("class=\"{class}\"")), "{html}");
            assert!(
                css.contains(&format!(".{class} {{ color: #")),
                "{class}: {css}"
            );
        }
        // Any other language still goes through syntect, with syntect's class names.
        let html = adapter()
            .highlight(Some("haskell"), "-- note\nmain = putStrLn \"hi\"\n")
            .expect("highlights");
        assert!(html.contains("class=\"comment"), "{html}");
        assert!(!html.contains("hl-"), "{html}");
    }

    #[test]
    fn common_languages_and_their_aliases_use_tree_sitter() {
        for (lang, code) in [
            ("Rust", "fn main() {}\n"),
            ("py", "def f():\n    return 1\n"),
            ("sh", "echo 'hi' | grep h\n"),
            ("yml", "key: [1, 2]\n"),
            ("js", "const a = () => 1;\n"),
            ("typescript", "let a: number = 1;\n"),
            ("go,linenos", "func main() {}\n"),
        ] {
            let html = adapter().highlight(Some(lang), code).expect("highlights");
            assert!(html.contains("<span class=\"hl-"), "{lang}: {html}");
            assert_eq!(
                crate::text::html::text_content(&html),
                code.trim(),
                "{lang}"
            );
            assert!(
                html.ends_with('\n'),
                "{lang}: the final line break is kept: {html:?}"
            );
        }
    }

    #[test]
    fn tree_sitter_output_is_escaped_and_keeps_every_line_break() {
        let code = "let a = \"<b>\" & 'c';\n\n\n";
        let html = adapter()
            .highlight(Some("javascript"), code)
            .expect("highlights");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.ends_with("\n\n\n") && !html.ends_with("\n\n\n\n"),
            "{html:?}"
        );
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
