//! Jekyll's `{% include FILE param=value ... %}` tag and the store of the site's
//! `_includes/` files it renders (parsed on first use, with `include.param` variables).

use super::failure::{error_summary, Failure, Stage};
use super::preprocess::prepared_text;
use super::tags::{token_text, warn, write_out, Collected, TextArg};
use super::values::Lax;
use super::LiquidResult;
use crate::source::{self, ReadRefusal};
use liquid_core::model::{KString, KStringRef, Object, Value, ValueCow, ValueView};
use liquid_core::runtime::{PartialStore, Renderable, Runtime, StackFrame, Template};
use liquid_core::{Error, Expression, Language, ParseTag, TagReflection, TagTokenIter};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How deep `{% include %}` may nest (guards against an include that includes itself).
const MAX_INCLUDE_DEPTH: usize = 10;

/// How many includes one post may render, nested ones counted: includes that each include
/// the next one several times multiply (ten files that include the next twice render the
/// last one 1,024 times).
const MAX_INCLUDE_RENDERS: usize = 10_000;

/// How much text one post's includes may produce in all.
const MAX_INCLUDED_BYTES: usize = 8 << 20;

/// Per-render tally of what includes rendered, against [`MAX_INCLUDE_RENDERS`] and
/// [`MAX_INCLUDED_BYTES`].
#[derive(Default)]
struct IncludeBudget {
    renders: usize,
    /// Text the includes wrote so far, each byte counted once however deep it was made.
    bytes: usize,
    /// The budget ran out and that was reported (once per post).
    reported: bool,
}

/// Before an include renders (`rendered` is `None`): whether one more render is within the
/// budget, counting it. After (`rendered` is the text and the bytes counted before it
/// started): counts the text the include added itself and says whether it may be written.
/// Reports the first time the budget runs out.
fn within_include_budget(
    runtime: &dyn Runtime,
    name: &str,
    rendered: Option<(&str, usize)>,
) -> bool {
    let mut budget = runtime.registers().get_mut::<IncludeBudget>();
    let within = match rendered {
        None => {
            let within = budget.renders < MAX_INCLUDE_RENDERS && budget.bytes <= MAX_INCLUDED_BYTES;
            budget.renders += usize::from(within);
            within
        }
        Some((text, bytes_before)) => {
            // The nested includes that were written counted their text already.
            let own = text.len().saturating_sub(budget.bytes - bytes_before);
            let within = budget.bytes + own <= MAX_INCLUDED_BYTES;
            budget.bytes += if within { own } else { 0 };
            within
        }
    };
    if within {
        return true;
    }
    let first = !std::mem::replace(&mut budget.reported, true);
    drop(budget);
    if first {
        let message = format!(
            "Liquid: includes in this post rendered more than {MAX_INCLUDE_RENDERS} times or more than {} MiB of text at `{name}` (do includes include each other repeatedly?); this and later includes left out",
            MAX_INCLUDED_BYTES >> 20
        );
        warn(runtime, "include", name, message);
    }
    false
}

/// Jekyll's `{% include FILE param=value ... %}`: renders `_includes/FILE` with the
/// parameters as `include.param`. Problems (missing file, error inside it, nesting deeper
/// than `MAX_INCLUDE_DEPTH`) are warnings and the include renders as nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct JekyllIncludeTag;

impl TagReflection for JekyllIncludeTag {
    fn tag(&self) -> &str {
        "include"
    }

    fn description(&self) -> &str {
        "Renders a file of the site's _includes folder."
    }
}

impl ParseTag for JekyllIncludeTag {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let name = arguments.expect_next("an include file name is expected")?;
        let name = TextArg::parse(token_text(name), options)?;
        let mut params = Vec::new();
        while let Some(token) = arguments.next() {
            let id = token.expect_identifier().into_result()?.to_owned();
            arguments
                .expect_next("\"=\" expected")?
                .expect_str("=")
                .into_result_custom_msg("expected \"=\" after an include parameter's name")?;
            let value = arguments
                .expect_next("a parameter value is expected")?
                .expect_value()
                .into_result()?;
            params.push((KString::from_string(id), value));
        }
        Ok(Box::new(Include { name, params }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

/// A parsed include tag: the file name and the parameters' expressions.
#[derive(Debug)]
struct Include {
    name: TextArg,
    params: Vec<(KString, Expression)>,
}

impl Renderable for Include {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let name = self.name.render(runtime)?;
        let depth = runtime
            .registers()
            .get_mut::<Collected>()
            .include_stack
            .len();
        if depth >= MAX_INCLUDE_DEPTH {
            let message = format!(
                "Liquid: includes nest more than {MAX_INCLUDE_DEPTH} deep at `{name}` (does it include itself?); left out"
            );
            warn(runtime, "include", &name, message);
            return Ok(());
        }
        if !within_include_budget(runtime, &name, None) {
            return Ok(());
        }
        let bytes_before = runtime.registers().get_mut::<IncludeBudget>().bytes;
        let partial = match runtime.partials().get(&name) {
            Ok(partial) => partial,
            Err(err) => {
                warn_failed(runtime, &name, &err);
                return Ok(());
            }
        };
        let mut params = Object::new();
        for (id, value) in &self.params {
            let value = value
                .try_evaluate(runtime)
                .map_or(Value::Nil, ValueCow::into_owned);
            params.insert(id.clone(), value);
        }
        let params = Value::Object(params);
        let mut scope = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
        scope.insert("include".into(), &params);

        runtime
            .registers()
            .get_mut::<Collected>()
            .include_stack
            .push(name.clone());
        let rendered = {
            let frame = StackFrame::new(runtime, &scope);
            let lax = Lax(&frame);
            partial.render(&lax)
        };
        runtime
            .registers()
            .get_mut::<Collected>()
            .include_stack
            .pop();
        match rendered {
            Ok(text) => match within_include_budget(runtime, &name, Some((&text, bytes_before))) {
                true => write_out(writer, &text),
                false => Ok(()),
            },
            Err(err) => {
                warn_failed(runtime, &name, &err);
                Ok(())
            }
        }
    }
}

/// Warns that `{% include name %}` failed with `err`; the include is left out.
fn warn_failed(runtime: &dyn Runtime, name: &str, err: &Error) {
    let message = format!(
        "Liquid: {{% include {name} %}}: {}; left out",
        error_summary(err)
    );
    warn(runtime, "include", name, message);
}

/// A parsed include, or why it could not be loaded.
type Loaded = Result<Arc<dyn Renderable>, String>;

/// The `_includes/` files, parsed on first use and kept for the engine's lifetime.
pub(super) struct IncludeStore {
    /// The `_includes/` folder, if the site has one.
    pub(super) dir: Option<PathBuf>,
    language: Arc<Language>,
    cache: Mutex<HashMap<String, Loaded>>,
}

impl fmt::Debug for IncludeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncludeStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl IncludeStore {
    pub(super) fn new(dir: Option<PathBuf>, language: Arc<Language>) -> Self {
        IncludeStore {
            dir,
            language,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The include `name`, parsed once and then taken from the cache.
    fn load(&self, name: &str) -> Loaded {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned();
        if let Some(cached) = cached {
            return cached;
        }
        let loaded = self.load_uncached(name);
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_owned(), loaded.clone());
        loaded
    }

    /// Reads `_includes/name` through [`source::read_content_file`] (no path out of the
    /// folder, no symbolic links, regular files of at most [`source::MAX_FILE_BYTES`] only)
    /// and parses it.
    fn load_uncached(&self, name: &str) -> Loaded {
        let Some(dir) = &self.dir else {
            return Err(format!(
                "the site has no _includes folder to find `{name}` in"
            ));
        };
        if name.is_empty() || name.starts_with('/') {
            return Err(format!("`{name}` is not a file name inside _includes"));
        }
        // Read through the one content reader: `dir` is `<content root>/_includes`, and
        // neither it nor anything under it may be a symbolic link, a FIFO, a device or too big.
        let (Some(root), Some(folder)) = (dir.parent(), dir.file_name()) else {
            return Err(format!(
                "the _includes folder {} has no parent",
                dir.display()
            ));
        };
        let folder = folder.to_string_lossy();
        let rel = format!("{folder}/{name}");
        let bytes = match source::read_content_file(root, &rel, source::MAX_FILE_BYTES) {
            Ok(contents) => contents.bytes,
            Err(ReadRefusal::NotBelowRoot) => {
                return Err(format!("`{name}` is not a file name inside _includes"));
            }
            Err(refusal) if refusal.is_not_found() => {
                return Err(format!("{rel} does not exist"));
            }
            Err(refusal) => return Err(format!("{rel} not read: {refusal}")),
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return Err(format!("{rel} is not valid UTF-8: save it as UTF-8"));
        };
        let prepared = prepared_text(&text);
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            liquid_core::parser::parse(&prepared, &self.language)
        }));
        match parsed {
            Ok(Ok(elements)) => Ok(Arc::new(Template::new(elements))),
            Ok(Err(err)) => {
                let failure = Failure::from_error(Stage::Parse, &err);
                let at = failure
                    .position
                    .map(|(line, _)| format!(" at line {line} of _includes/{name}"))
                    .unwrap_or_default();
                Err(format!("{}{at}", failure.summary))
            }
            Err(payload) => Err(Failure::panic(payload).summary),
        }
    }
}

impl PartialStore for IncludeStore {
    fn contains(&self, name: &str) -> bool {
        self.load(name).is_ok()
    }

    fn names(&self) -> Vec<&str> {
        Vec::new()
    }

    fn try_get(&self, name: &str) -> Option<Arc<dyn Renderable>> {
        self.load(name).ok()
    }

    fn get(&self, name: &str) -> LiquidResult<Arc<dyn Renderable>> {
        self.load(name).map_err(Error::with_msg)
    }
}

#[cfg(test)]
mod tests {
    use crate::render::liquid::tests::{engine_with, page, render};

    fn includes_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let includes = dir.path().join("_includes");
        std::fs::create_dir_all(includes.join("sub")).unwrap();
        std::fs::write(
            includes.join("note.html"),
            "<aside class=\"{{ include.kind | default: 'info' }}\">{{ include.text }}</aside>",
        )
        .unwrap();
        std::fs::write(
            includes.join("sub/figure.html"),
            "<img src=\"{{ include.src | relative_url }}\">",
        )
        .unwrap();
        std::fs::write(includes.join("loop.html"), "x{% include loop.html %}").unwrap();
        std::fs::write(
            includes.join("links.html"),
            "{% post_url 1999-01-01-missing %}",
        )
        .unwrap();
        std::fs::write(includes.join("broken.html"), "{% if %}").unwrap();
        dir
    }

    #[test]
    fn include_renders_with_parameters() {
        let dir = includes_dir();
        let engine = engine_with(Some(dir.path().join("_includes")));
        let out = engine.render(
            "{% include note.html text=\"Hi\" %}\n{% include note.html kind='warn' text=page.tags.first %}\n{% include sub/figure.html src=\"a b.png\" %}\n{% assign f = \"note.html\" %}{% include {{ f }} text=\"dyn\" %}",
            &page(),
            "p.md",
            1,
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(
            out.text,
            "<aside class=\"info\">Hi</aside>\n<aside class=\"warn\">rust</aside>\n<img src=\"/blog/a b.png\">\n<aside class=\"info\">dyn</aside>"
        );
    }

    #[test]
    fn include_problems_are_warnings_on_the_include_line() {
        let dir = includes_dir();
        let engine = engine_with(Some(dir.path().join("_includes")));
        let out = engine.render(
            "a\n{% include missing.html %}\nb {% include ../secret %}\n{% include loop.html %}\n{% include links.html %}\n{% include broken.html %}\nend {{ page.tags.size }}",
            &page(),
            "p.md",
            10,
        );
        assert!(out.text.starts_with("a\n\nb \n"), "{}", out.text);
        assert!(out.text.contains("xxxxxxxxxx"), "{}", out.text);
        assert!(out.text.contains("1999-01-01-missing"), "{}", out.text);
        assert!(out.text.ends_with("end 3"), "{}", out.text);
        let found: Vec<(Option<u32>, &str)> = out
            .diagnostics
            .iter()
            .map(|d| (d.line, d.message.as_str()))
            .collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert_eq!(found[0].0, Some(11));
        assert!(
            found[0].1.contains("_includes/missing.html does not exist"),
            "{found:#?}"
        );
        assert_eq!(found[1].0, Some(12));
        assert!(found[1].1.contains("not a file name"), "{found:#?}");
        assert_eq!(found[2].0, Some(13));
        assert!(found[2].1.contains("more than 10 deep"), "{found:#?}");
        assert_eq!(found[3].0, Some(14));
        assert!(found[3].1.contains("in _includes/links.html"), "{found:#?}");
        assert_eq!(found[4].0, Some(15));
        assert!(found[4].1.contains("broken.html"), "{found:#?}");
    }

    #[test]
    fn includes_that_multiply_stop_at_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let includes = dir.path().join("_includes");
        std::fs::create_dir_all(&includes).unwrap();
        // Each level includes the next ten times: 10^9 renders of the leaf without a budget.
        for level in 0..9 {
            let call = format!("{{% include l{}.html %}}", level + 1);
            std::fs::write(includes.join(format!("l{level}.html")), call.repeat(10)).unwrap();
        }
        std::fs::write(includes.join("l9.html"), "x".repeat(1000)).unwrap();
        let engine = engine_with(Some(includes));
        let out = engine.render("{% include l0.html %}", &page(), "p.md", 3);
        assert!(out.text.len() <= 8 << 20, "{}", out.text.len());
        assert!(!out.text.is_empty(), "{:#?}", out.diagnostics);
        assert_eq!(out.diagnostics.len(), 1, "{:#?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(3));
        assert!(
            out.diagnostics[0]
                .message
                .contains("rendered more than 10000 times"),
            "{}",
            out.diagnostics[0].message
        );
    }

    #[test]
    fn include_without_includes_folder_warns() {
        let out = render("x {% include note.html %} y");
        assert_eq!(out.text, "x  y");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert!(out.diagnostics[0].message.contains("no _includes folder"));
    }
}
