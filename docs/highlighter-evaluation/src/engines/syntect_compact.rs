//! inkgraph's src/render/highlight.rs (round 3), minus comrak: syntect grammars, scope class
//! names, spans only for scopes the InspiredGitHub stylesheet selects, adjacent spans merged.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::html::{css_for_theme_with_class_style, ClassStyle};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

pub struct Engine {
    syntaxes: SyntaxSet,
    selectors: Vec<Vec<String>>,
    classes: HashMap<Scope, Option<Rc<str>>>,
    by_token: HashMap<String, usize>,
}

fn theme() -> Option<Theme> {
    ThemeSet::load_defaults().themes.remove("InspiredGitHub")
}

fn atoms(scope: Scope) -> Vec<String> {
    scope
        .build_string()
        .split('.')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Engine {
    #[cfg(feature = "syntect-onig")]
    pub const NAME: &'static str = "syntect-onig";
    #[cfg(all(feature = "syntect-fancy", not(feature = "syntect-onig")))]
    pub const NAME: &'static str = "syntect-fancy";

    pub fn new() -> Engine {
        let mut selectors = Vec::new();
        let mut seen = HashSet::new();
        if let Some(theme) = theme() {
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
        Engine {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            selectors,
            classes: HashMap::new(),
            by_token: HashMap::new(),
        }
    }

    pub fn supports(&self, lang: &str) -> bool {
        !lang.is_empty() && self.syntaxes.find_syntax_by_token(lang).is_some()
    }

    pub fn stylesheet(&self) -> String {
        theme()
            .and_then(|t| css_for_theme_with_class_style(&t, ClassStyle::Spaced).ok())
            .unwrap_or_default()
    }

    pub fn pre_class(&self) -> &'static str {
        "syntax-highlighting"
    }

    fn class_of(&mut self, scope: Scope) -> Option<Rc<str>> {
        if let Some(found) = self.classes.get(&scope) {
            return found.clone();
        }
        let names = atoms(scope);
        let selectable = self
            .selectors
            .iter()
            .any(|s| s.iter().all(|c| names.contains(c)));
        let class = selectable.then(|| Rc::from(names.join(" ")));
        self.classes.insert(scope, class.clone());
        class
    }

    pub fn highlight(&mut self, lang: &str, code: &str) -> Option<String> {
        let token = if lang.is_empty() {
            "Plain Text"
        } else {
            lang.split_once(',').map_or(lang, |(l, _)| l)
        };
        let index = match self.by_token.get(token) {
            Some(i) => Some(*i),
            None => {
                let found = self.syntaxes.find_syntax_by_token(token).and_then(|s| {
                    self.syntaxes
                        .syntaxes()
                        .iter()
                        .position(|x| std::ptr::eq(x, s))
                });
                if let Some(i) = found {
                    self.by_token.insert(token.to_owned(), i);
                }
                found
            }
        };
        let syntaxes = std::mem::take(&mut self.syntaxes);
        let result = (|| {
            let syntax = index
                .and_then(|i| syntaxes.syntaxes().get(i))
                .or_else(|| syntaxes.find_syntax_by_first_line(code))
                .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
            let mut state = ParseState::new(syntax);
            let mut stack = ScopeStack::new();
            let mut out = Markup {
                html: String::with_capacity(code.len() * 2),
                open: Vec::new(),
            };
            for line in LinesWithEndings::from(code) {
                let ops = state.parse_line(line, &syntaxes).ok()?;
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
        })();
        self.syntaxes = syntaxes;
        result
    }
}

struct Markup {
    html: String,
    open: Vec<(Scope, Rc<str>)>,
}

impl Markup {
    fn text(&mut self, engine: &mut Engine, stack: &ScopeStack, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut depth = 0;
        for scope in stack.as_slice() {
            let Some(class) = engine.class_of(*scope) else {
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
        crate::escape_into(&mut self.html, text);
    }

    fn close_to(&mut self, depth: usize) {
        while self.open.len() > depth {
            self.open.pop();
            self.html.push_str("</span>");
        }
    }
}
