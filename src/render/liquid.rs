//! Jekyll's Liquid pass: posts are rendered as Liquid templates first, then as Markdown.
//!
//! [`JekyllLiquid`] is built once per loaded site. It knows liquid's standard tags and
//! filters, the ones liquid-lib ships for Jekyll (`slugify`, `sort`, `push`,
//! `array_to_sentence_string`, ...) and Jekyll's own:
//!
//! * tags `post_url`, `link` (resolved through [`SiteLinks`]), `include` (files of the site's
//!   `_includes/` folder, with `include.param` variables) and the `highlight` block, which
//!   becomes a fenced Markdown code block so the Markdown pass highlights it;
//! * filters `relative_url`, `absolute_url`, `date_to_string`, `date_to_long_string`,
//!   `date_to_xmlschema`, `date_to_rfc822`, `jsonify`, `xml_escape`, `cgi_escape`,
//!   `uri_escape`, `number_of_words`, `markdownify`, `normalize_whitespace`, `to_integer`.
//!
//! Like Jekyll, an undefined variable renders as nothing (liquid-rust alone would fail).
//!
//! Rendering never fails. A Liquid problem (unknown tag or filter, syntax error, render
//! error, even a panic inside liquid) becomes a WARNING located at the failing tag's line in
//! the file; that one `{% ... %}` or `{{ ... }}` span is left out and the body is rendered
//! again. After ten such repairs, or when the failing tag cannot be told, every
//! tag is rendered on its own and those that still fail are left out.

use crate::diagnostic::Diagnostic;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use liquid_core::model::{
    KString, KStringCow, KStringRef, Object, ObjectView, ScalarCow, Value, ValueCow, ValueView,
};
use liquid_core::parser::{
    BlockReflection, FilterArguments, ParameterReflection, ParseBlock, TagBlock, TagToken,
    TryMatchToken,
};
use liquid_core::runtime::{
    PartialStore, Registers, Renderable, Runtime, RuntimeBuilder, StackFrame, Template,
};
use liquid_core::{
    Error, Expression, Filter, FilterReflection, Language, ParseFilter, ParseTag, TagReflection,
    TagTokenIter,
};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

type LiquidResult<T> = liquid_core::Result<T>;

/// How many failing tags are left out one by one before rendering falls back to tag by tag.
const MAX_FIXES: usize = 10;
/// How deep `{% include %}` may nest (guards against an include that includes itself).
const MAX_INCLUDE_DEPTH: usize = 10;
/// How many tags are tried when the failing one has to be found by leaving tags out.
const MAX_SEARCH_CANDIDATES: usize = 64;

/// What Jekyll's link tags need from the rest of the site.
pub trait SiteLinks: Send + Sync {
    /// `{% post_url 2020-01-05-foo %}` (also `blog/2020-01-05-foo`): site-relative URL (with baseurl) of that post, if it exists.
    fn post_url(&self, name: &str) -> Option<String>;
    /// `{% link _posts/2020-01-05-foo.md %}`: site-relative URL of the file at that root-relative path, if it exists.
    fn link(&self, path: &str) -> Option<String>;
}

/// The result of rendering one post body with [`JekyllLiquid::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidOutput {
    /// The rendered body (still Markdown).
    pub text: String,
    /// WARNINGs about tags that failed, were left out or did not resolve.
    pub diagnostics: Vec<Diagnostic>,
}

/// Cheap test used to skip the engine: true when the body has `{{` or `{%`.
pub fn has_liquid(body: &str) -> bool {
    body.contains("{{") || body.contains("{%")
}

/// A Liquid engine with Jekyll's tags and filters, built once per loaded site (it holds the link resolver).
pub struct JekyllLiquid {
    /// Tags, blocks and filters; the same set `liquid::ParserBuilder::with_stdlib()` registers,
    /// plus Jekyll's.
    language: Arc<Language>,
    /// `_includes/` files, parsed on first use.
    includes: IncludeStore,
    /// The `site` variable.
    site: Value,
    /// Block start tag → its end tag (`for` → `endfor`).
    block_ends: HashMap<String, String>,
}

impl fmt::Debug for JekyllLiquid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JekyllLiquid")
            .field("includes_dir", &self.includes.dir)
            .finish_non_exhaustive()
    }
}

impl JekyllLiquid {
    /// Builds the engine: `site` is the whole `_config.yml`, `site_url` the site's
    /// `url` + `baseurl` (for `absolute_url`), `baseurl` its sub-path (for `relative_url`),
    /// `includes_dir` the `_includes/` folder if the site has one.
    pub fn new(
        site: &serde_json::Map<String, serde_json::Value>,
        site_url: Option<String>,
        baseurl: String,
        includes_dir: Option<PathBuf>,
        links: Arc<dyn SiteLinks>,
    ) -> Self {
        let urls = Arc::new(UrlContext::new(site_url.as_deref(), &baseurl));
        let language = Arc::new(jekyll_language(&urls, &links));
        let block_ends = language
            .blocks
            .plugins()
            .map(|block| {
                let reflection = block.reflection();
                (
                    reflection.start_tag().to_owned(),
                    reflection.end_tag().to_owned(),
                )
            })
            .collect();

        let mut site_map = site.clone();
        site_map.insert("baseurl".to_owned(), serde_json::Value::String(baseurl));
        if let Some(url) = &urls.url {
            site_map.insert("url".to_owned(), serde_json::Value::String(url.clone()));
        }
        let site = Value::Object(json_map_to_liquid(&site_map));

        JekyllLiquid {
            includes: IncludeStore::new(includes_dir, language.clone()),
            language,
            site,
            block_ends,
        }
    }

    /// Renders one post body. `page` = the post's front matter plus fields (title, date, url, tags…). `path` is the post's root-relative path and `first_line` the file line where the body starts, for diagnostics. Never fails: problems become WARNING diagnostics.
    pub fn render(
        &self,
        body: &str,
        page: &serde_json::Map<String, serde_json::Value>,
        path: &str,
        first_line: u32,
    ) -> LiquidOutput {
        if !has_liquid(body) {
            return LiquidOutput {
                text: body.to_owned(),
                diagnostics: Vec::new(),
            };
        }
        let mut report = Report::new(path, first_line);
        let page = Value::Object(json_map_to_liquid(page));
        let mut globals = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
        globals.insert("site".into(), &self.site);
        globals.insert("page".into(), &page);

        // Left-out tags are replaced by the line breaks they held, so `src` keeps the body's
        // line numbers.
        let mut src = body.to_owned();
        for fixes in 0..=MAX_FIXES {
            let spans = self.scan(&src);
            let prepared = prepare(&src, &spans);
            let failure = match self.attempt(&prepared.text, &globals) {
                Ok(rendered) => {
                    report.tag_warnings(&src, &spans, rendered.warnings);
                    return report.finish(rendered.text);
                }
                Err(failure) => failure,
            };
            if fixes == MAX_FIXES {
                report.at_offset(
                    &src,
                    0,
                    format!(
                        "Liquid: more than {MAX_FIXES} failing tags (last: {}); rendered tag by tag",
                        failure.summary
                    ),
                );
                break;
            }
            match self.locate(&src, &spans, &prepared, &failure, &globals) {
                Some(culprit) => {
                    let span = &spans[culprit];
                    let mut left_out = format!("`{}`", snippet(&src[span.start..span.end]));
                    if let Some(pair) = span.pair {
                        let end = &spans[pair];
                        left_out
                            .push_str(&format!(" and its `{}`", snippet(&src[end.start..end.end])));
                    }
                    report.at_offset(
                        &src,
                        span.start,
                        format!("Liquid: {}; left out {left_out}", failure.summary),
                    );
                    report.removed(&src, &spans, culprit);
                    src = remove_span(&src, &spans, culprit);
                }
                None => {
                    let message = format!(
                        "Liquid: {}; could not tell which tag fails, rendered tag by tag",
                        failure.summary
                    );
                    match failure
                        .position
                        .and_then(|(line, col)| offset_of(&prepared.text, line, col))
                    {
                        Some(offset) => report.at_offset(&prepared.text, offset, message),
                        None => report.at_offset(&src, 0, message),
                    }
                    break;
                }
            }
        }
        let text = self.render_piecewise(&src, &globals, &mut report);
        report.finish(text)
    }

    /// Parses and renders prepared text once; a panic inside liquid becomes a failure.
    fn attempt(&self, text: &str, globals: &dyn ObjectView) -> Result<Rendered, Box<Failure>> {
        let run = || -> Result<Rendered, Box<Failure>> {
            let elements = liquid_core::parser::parse(text, &self.language)
                .map_err(|err| Box::new(Failure::from_error(Stage::Parse, &err)))?;
            let template = Template::new(elements);
            let runtime = RuntimeBuilder::new()
                .set_globals(globals)
                .set_partials(&self.includes)
                .build();
            let lax = Lax(&runtime);
            let mut out = Vec::with_capacity(text.len() + 256);
            template
                .render_to(&mut out, &lax)
                .map_err(|err| Box::new(Failure::from_error(Stage::Render, &err)))?;
            let warnings = std::mem::take(&mut runtime.registers().get_mut::<Collected>().warnings);
            Ok(Rendered {
                text: String::from_utf8_lossy(&out).into_owned(),
                warnings,
            })
        };
        catch_unwind(AssertUnwindSafe(run))
            .unwrap_or_else(|payload| Err(Box::new(Failure::panic(payload))))
    }

    /// Liquid spans of `src`, with block start and end tags paired.
    fn scan(&self, src: &str) -> Vec<Span> {
        let mut spans = scan(src);
        let mut open: Vec<usize> = Vec::new();
        for i in 0..spans.len() {
            let SpanKind::Tag(name) = &spans[i].kind else {
                continue;
            };
            if self.block_ends.contains_key(name) {
                open.push(i);
                continue;
            }
            let closes = |start: &usize| match &spans[*start].kind {
                SpanKind::Tag(start_name) => self.block_ends.get(start_name) == Some(name),
                _ => false,
            };
            if let Some(pos) = open.iter().rposition(closes) {
                let start = open[pos];
                open.truncate(pos);
                spans[start].pair = Some(i);
                spans[i].pair = Some(start);
            }
        }
        spans
    }

    /// `else`, `elsif`, `when` and end tags: leaving one out alone cannot fix anything.
    fn is_structural(&self, name: &str) -> bool {
        matches!(name, "else" | "elsif" | "when") || self.block_ends.values().any(|end| end == name)
    }

    /// Finds the span that made `failure`: from liquid's position, an unclosed block, an
    /// unknown filter's name, or else by leaving spans out one at a time.
    fn locate(
        &self,
        src: &str,
        spans: &[Span],
        prepared: &Prepared,
        failure: &Failure,
        globals: &dyn ObjectView,
    ) -> Option<usize> {
        if let Some(end_tag) = &failure.unclosed {
            let unclosed = spans.iter().rposition(|span| {
                span.pair.is_none()
                    && matches!(&span.kind, SpanKind::Tag(name)
                        if self.block_ends.get(name) == Some(end_tag))
            });
            if unclosed.is_some() {
                return unclosed;
            }
        }
        if let Some((line, col)) = failure.position {
            if let Some(offset) = offset_of(&prepared.text, line, col) {
                if let Some(index) = span_near(&prepared.text, &prepared.ranges, offset) {
                    return Some(index);
                }
            }
        }
        if let Some(filter) = &failure.unknown_filter {
            let user = spans
                .iter()
                .position(|span| uses_filter(&src[span.start..span.end], filter));
            if user.is_some() {
                return user;
            }
        }
        self.search(src, spans, failure, globals)
    }

    /// Leaves each span out in turn (spans using the failing filter first, block tags last)
    /// and returns the first whose absence makes this failure go away.
    fn search(
        &self,
        src: &str,
        spans: &[Span],
        failure: &Failure,
        globals: &dyn ObjectView,
    ) -> Option<usize> {
        let mut hinted = Vec::new();
        let mut simple = Vec::new();
        let mut blocks = Vec::new();
        for (i, span) in spans.iter().enumerate() {
            match &span.kind {
                SpanKind::Raw => {}
                SpanKind::Tag(name) if self.is_structural(name) => {}
                SpanKind::Tag(name) if self.block_ends.contains_key(name) => blocks.push(i),
                _ => {
                    let text = &src[span.start..span.end];
                    if failure
                        .filter_hint
                        .as_deref()
                        .is_some_and(|filter| uses_filter(text, filter))
                    {
                        hinted.push(i);
                    } else {
                        simple.push(i);
                    }
                }
            }
        }
        hinted
            .into_iter()
            .chain(simple)
            .chain(blocks)
            .take(MAX_SEARCH_CANDIDATES)
            .find(|&i| {
                let candidate = remove_span(src, spans, i);
                let prepared = prepare(&candidate, &scan(&candidate));
                match self.attempt(&prepared.text, globals) {
                    Ok(_) => true,
                    Err(other) => {
                        other.detail != failure.detail
                            && !(other.stage == Stage::Parse && failure.stage != Stage::Parse)
                    }
                }
            })
    }

    /// Last resort: renders each span on its own, keeping the text between spans as it is
    /// and leaving out the spans that fail.
    fn render_piecewise(
        &self,
        src: &str,
        globals: &dyn ObjectView,
        report: &mut Report<'_>,
    ) -> String {
        let spans = scan(src);
        let mut out = String::with_capacity(src.len());
        let mut last = 0;
        let mut dropped: Vec<&Span> = Vec::new();
        for span in &spans {
            out.push_str(&src[last..span.start]);
            last = span.end;
            let piece = &src[span.start..span.end];
            let prepared = prepare(piece, &scan(piece));
            match self.attempt(&prepared.text, globals) {
                Ok(rendered) => {
                    out.push_str(&rendered.text);
                    for warning in rendered.warnings {
                        report.at_offset(src, span.start, warning.message);
                    }
                }
                Err(_) => {
                    out.push_str(&line_breaks(piece));
                    dropped.push(span);
                }
            }
        }
        out.push_str(&src[last..]);
        if let Some(first) = dropped.first() {
            let examples: Vec<String> = dropped
                .iter()
                .take(5)
                .map(|span| format!("`{}`", snippet(&src[span.start..span.end])))
                .collect();
            let more = if dropped.len() > examples.len() {
                ", ..."
            } else {
                ""
            };
            report.at_offset(
                src,
                first.start,
                format!(
                    "Liquid: left out {} tag(s) that fail even on their own: {}{more}",
                    dropped.len(),
                    examples.join(", ")
                ),
            );
        }
        out
    }
}

/// One successful render.
struct Rendered {
    text: String,
    warnings: Vec<TagWarning>,
}

// ---------------------------------------------------------------------------------------
// Diagnostics

/// Collects the diagnostics of one render, located in the file.
struct Report<'a> {
    path: &'a str,
    first_line: u32,
    diagnostics: Vec<Diagnostic>,
    /// Spans left out so far, as (line, column, characters) of the body, to give later
    /// warnings the body's columns.
    removals: Vec<(u32, u32, u32)>,
}

impl<'a> Report<'a> {
    fn new(path: &'a str, first_line: u32) -> Self {
        Report {
            path,
            first_line: first_line.max(1),
            diagnostics: Vec::new(),
            removals: Vec::new(),
        }
    }

    /// The body's column of a column in the text after the removals so far.
    fn original_column(&self, line: u32, column: u32) -> u32 {
        let mut on_line: Vec<(u32, u32)> = self
            .removals
            .iter()
            .filter(|r| r.0 == line)
            .map(|r| (r.1, r.2))
            .collect();
        on_line.sort_unstable();
        let mut column = column;
        for (at, len) in on_line {
            if at <= column {
                column += len;
            }
        }
        column
    }

    /// Notes that span `index` (and its block partner) of `src` is about to be left out.
    fn removed(&mut self, src: &str, spans: &[Span], index: usize) {
        let mut records = Vec::new();
        for span in std::iter::once(&spans[index]).chain(spans[index].pair.map(|p| &spans[p])) {
            let text = &src[span.start..span.end];
            let (start_line, start_column) = line_col(src, span.start);
            let record = match text.rfind('\n') {
                None => (
                    start_line,
                    self.original_column(start_line, start_column),
                    char_count(text),
                ),
                Some(last_break) => (
                    line_col(src, span.end).0,
                    1,
                    char_count(&text[last_break + 1..]),
                ),
            };
            records.push(record);
        }
        self.removals.extend(records);
    }

    /// A warning at byte `offset` of `text`, whose lines are the body's lines.
    fn at_offset(&mut self, text: &str, offset: usize, message: String) {
        let (line, column) = line_col(text, offset);
        let column = self.original_column(line, column);
        let diagnostic =
            Diagnostic::warning(self.path, message).at(self.first_line + line - 1, Some(column));
        if !self.diagnostics.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Places warnings raised by tags during a successful render at the tag they name.
    fn tag_warnings(&mut self, src: &str, spans: &[Span], warnings: Vec<TagWarning>) {
        let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
        for warning in warnings {
            let named: Vec<&Span> = spans
                .iter()
                .filter(|span| matches!(&span.kind, SpanKind::Tag(name) if name == warning.tag))
                .collect();
            let exact: Vec<&Span> = named
                .iter()
                .copied()
                .filter(|span| {
                    tag_target(&src[span.start..span.end]).as_deref() == Some(warning.arg.as_str())
                })
                .collect();
            let candidates = if exact.is_empty() { named } else { exact };
            let nth = seen.entry((warning.tag, warning.arg.clone())).or_insert(0);
            let offset = candidates
                .get(*nth)
                .or(candidates.last())
                .map_or(0, |span| span.start);
            *nth += 1;
            self.at_offset(src, offset, warning.message);
        }
    }

    fn finish(self, text: String) -> LiquidOutput {
        LiquidOutput {
            text,
            diagnostics: self.diagnostics,
        }
    }
}

/// A problem a tag reported while rendering (the render itself went on).
#[derive(Debug, Clone)]
struct TagWarning {
    /// The tag in the body to blame (`include` for problems inside an include).
    tag: &'static str,
    /// Its target as written (post name, path, include file), to find it in the body.
    arg: String,
    message: String,
}

/// Per-render state shared by Jekyll's tags, kept in liquid's registers.
#[derive(Default)]
struct Collected {
    warnings: Vec<TagWarning>,
    /// Names of the includes being rendered, outermost first.
    include_stack: Vec<String>,
}

/// Records a tag warning; inside an include it is blamed on the outermost include tag.
fn warn(runtime: &dyn Runtime, tag: &'static str, arg: &str, message: String) {
    let mut collected = runtime.registers().get_mut::<Collected>();
    let warning = match (
        collected.include_stack.first(),
        collected.include_stack.last(),
    ) {
        (Some(outer), Some(inner)) => TagWarning {
            tag: "include",
            arg: outer.clone(),
            message: format!("in _includes/{inner}: {message}"),
        },
        _ => TagWarning {
            tag,
            arg: arg.to_owned(),
            message,
        },
    };
    collected.warnings.push(warning);
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Copy)]
enum Stage {
    Parse,
    Render,
    Panic,
}

/// A failed attempt, with what liquid's error says about where it happened.
#[derive(Debug, Clone)]
struct Failure {
    stage: Stage,
    /// The whole error text, to tell one failure from another.
    detail: String,
    /// One line for the warning.
    summary: String,
    /// 1-based line and column (in characters) in the parsed text.
    position: Option<(usize, usize)>,
    unknown_filter: Option<String>,
    /// End tag of a block that is never closed.
    unclosed: Option<String>,
    /// Name of the filter that failed while rendering.
    filter_hint: Option<String>,
}

impl Failure {
    fn from_error(stage: Stage, err: &Error) -> Self {
        let detail = err.to_string();
        let mut position = None;
        let mut pest_message = None;
        let mut context: Vec<(String, String)> = Vec::new();
        for line in detail.lines() {
            let trimmed = line.trim();
            let located = trimmed.trim_start_matches("liquid:").trim_start();
            if let Some(at) = located.strip_prefix("--> ") {
                if position.is_none() {
                    let mut numbers = at.split(':').map(|n| n.trim().parse::<usize>());
                    if let (Some(Ok(l)), Some(Ok(c))) = (numbers.next(), numbers.next()) {
                        position = Some((l, c));
                    }
                }
            } else if let Some(message) = trimmed.strip_prefix("= ") {
                pest_message.get_or_insert_with(|| message.trim().to_owned());
            } else if line.starts_with("    ") {
                if let Some((key, value)) = trimmed.split_once('=') {
                    context.push((key.to_owned(), value.to_owned()));
                }
            }
        }
        let context_value = |key: &str| {
            context
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let unknown_filter = context_value("requested filter");
        let filter_hint = context_value("filter").map(|f| {
            f.split(|c: char| c == ':' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        let unclosed = pest_message.as_deref().and_then(|m| {
            let rest = m.strip_prefix("Unclosed block. {% ")?;
            Some(rest.split_whitespace().next()?.to_owned())
        });
        let first_line = detail
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("liquid:")
            .trim()
            .to_owned();

        let summary = if let Some(filter) = &unknown_filter {
            format!("unknown filter `{filter}`")
        } else if let (Some("Unknown tag."), Some(tag)) =
            (pest_message.as_deref(), context_value("requested"))
        {
            format!("unknown tag `{tag}`")
        } else if let Some(end_tag) = &unclosed {
            format!("block never closed (no `{{% {end_tag} %}}`)")
        } else if let Some(message) = &pest_message {
            format!("syntax error: {message}")
        } else {
            let details: Vec<String> = context
                .iter()
                .filter(|(k, _)| !k.starts_with("available"))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            if details.is_empty() {
                first_line
            } else {
                format!("{first_line} ({})", details.join(", "))
            }
        };
        Failure {
            stage,
            detail,
            summary: shorten(&summary, 240),
            position,
            unknown_filter,
            unclosed,
            filter_hint,
        }
    }

    fn panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        // liquid-lib's panics carry a debug-printed error; its first part says enough.
        let short = message.split(": Error {").next().unwrap_or_default();
        Failure {
            stage: Stage::Panic,
            summary: shorten(&format!("internal liquid error: {short}"), 160),
            detail: message,
            position: None,
            unknown_filter: None,
            unclosed: None,
            filter_hint: None,
        }
    }
}

/// The first line of a liquid error, for messages.
fn error_summary(err: &Error) -> String {
    Failure::from_error(Stage::Render, err).summary
}

// ---------------------------------------------------------------------------------------
// Spans: where `{{ ... }}` and `{% ... %}` are in a body

#[derive(Debug, Clone, PartialEq, Eq)]
enum SpanKind {
    /// `{{ ... }}`
    Output,
    /// `{% name ... %}`
    Tag(String),
    /// `{% raw %}...{% endraw %}`, taken whole.
    Raw,
    /// `{{` or `{%` that is never closed (just those two characters).
    Stray,
}

#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    kind: SpanKind,
    /// The matching start or end tag of a block.
    pair: Option<usize>,
}

fn find_opener(text: &str) -> Option<usize> {
    match (text.find("{{"), text.find("{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Splits `src` into Liquid spans the way liquid's grammar does, closely enough to map its
/// errors back to a tag. `{{ ... }}` inside a tag (Jekyll's `{% include {{ x }} %}`) stays
/// part of the tag.
fn scan(src: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(rel) = find_opener(&src[i..]) {
        let start = i + rel;
        let is_tag = src[start..].starts_with("{%");
        let end = if is_tag {
            tag_end(src, start + 2)
        } else {
            let close = src[start + 2..].find("}}").map(|p| start + 2 + p);
            let reopen = find_opener(&src[start + 2..]).map(|p| start + 2 + p);
            close
                .filter(|&c| reopen.is_none_or(|o| o > c))
                .map(|c| c + 2)
        };
        let Some(end) = end else {
            spans.push(Span {
                start,
                end: start + 2,
                kind: SpanKind::Stray,
                pair: None,
            });
            i = start + 2;
            continue;
        };
        if !is_tag {
            spans.push(Span {
                start,
                end,
                kind: SpanKind::Output,
                pair: None,
            });
            i = end;
            continue;
        }
        let name = tag_parts(&src[start..end])
            .map(|parts| parts.name.to_owned())
            .unwrap_or_default();
        if name == "raw" {
            if let Some(raw_end) = find_endraw(src, end) {
                spans.push(Span {
                    start,
                    end: raw_end,
                    kind: SpanKind::Raw,
                    pair: None,
                });
                i = raw_end;
                continue;
            }
        }
        spans.push(Span {
            start,
            end,
            kind: SpanKind::Tag(name),
            pair: None,
        });
        i = end;
    }
    spans
}

/// End (exclusive) of the tag whose inside starts at `from`, skipping `{{ ... }}` pairs;
/// `None` when another `{%` comes first or the tag never closes.
fn tag_end(src: &str, from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let rest = &src[i..];
        let close = rest.find("%}");
        let output = rest.find("{{");
        let tag = rest.find("{%");
        let close = close?;
        if tag.is_some_and(|t| t < close) {
            return None;
        }
        match output {
            Some(o) if o < close => {
                let inner_close = rest[o + 2..].find("}}")?;
                i += o + 2 + inner_close + 2;
            }
            _ => return Some(i + close + 2),
        }
    }
}

/// End of the first `{% endraw %}` after `from`.
fn find_endraw(src: &str, from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(rel) = src[i..].find("{%") {
        let start = i + rel;
        let close = src[start + 2..].find("%}")? + start + 2;
        let inner = src[start + 2..close]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if inner == "endraw" {
            return Some(close + 2);
        }
        i = start + 2;
    }
    None
}

/// A tag split into its delimiters, name and arguments.
struct TagParts<'a> {
    open: &'a str,
    close: &'a str,
    name: &'a str,
    args: &'a str,
}

fn tag_parts(text: &str) -> Option<TagParts<'_>> {
    let inner = text.strip_prefix("{%")?.strip_suffix("%}")?;
    let (open, inner) = match inner.strip_prefix('-') {
        Some(rest) => ("{%-", rest),
        None => ("{%", inner),
    };
    let (close, inner) = match inner.strip_suffix('-') {
        Some(rest) => ("-%}", rest),
        None => ("%}", inner),
    };
    let inner = inner.trim();
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    Some(TagParts {
        open,
        close,
        name: &inner[..name_len],
        args: inner[name_len..].trim(),
    })
}

/// Splits include arguments into the file (which may hold `{{ ... }}`) and the parameters.
fn split_include_args(args: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let bytes = args.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if args[i..].starts_with("{{") {
            depth += 1;
            i += 2;
        } else if args[i..].starts_with("}}") && depth > 0 {
            depth -= 1;
            i += 2;
        } else if depth == 0 && bytes[i].is_ascii_whitespace() {
            return (&args[..i], args[i..].trim());
        } else {
            i += 1;
        }
    }
    (args, "")
}

fn is_quoted(text: &str) -> bool {
    text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')))
}

fn unquote(text: &str) -> &str {
    if is_quoted(text) {
        &text[1..text.len() - 1]
    } else {
        text
    }
}

/// `text` as a Liquid string literal, if a quote character is free.
fn quote(text: &str) -> Option<String> {
    if !text.contains('"') {
        Some(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else {
        None
    }
}

/// The target a Jekyll tag names (post name, path or include file), unquoted.
fn tag_target(text: &str) -> Option<String> {
    let parts = tag_parts(text)?;
    let target = match parts.name {
        "include" => split_include_args(parts.args).0,
        _ => parts.args,
    };
    Some(unquote(target.trim()).to_owned())
}

/// Rewrites Jekyll tags whose arguments liquid's grammar cannot read (paths with `/`,
/// `2020-01-05-foo`, `c++`) so that the target becomes a string literal.
fn rewrite_tag(text: &str) -> Option<String> {
    let parts = tag_parts(text)?;
    let (open, close, name) = (parts.open, parts.close, parts.name);
    match name {
        "post_url" | "link" => {
            let target = parts.args;
            if target.is_empty() || is_quoted(target) {
                return None;
            }
            Some(format!("{open} {name} {} {close}", quote(target)?))
        }
        "include" => {
            let (file, params) = split_include_args(parts.args);
            if file.is_empty() || is_quoted(file) {
                return None;
            }
            Some(format!("{open} include {} {params} {close}", quote(file)?))
        }
        "highlight" => {
            let lang = parts.args.split_whitespace().next().unwrap_or_default();
            if lang.is_empty() {
                return Some(format!("{open} highlight {close}"));
            }
            Some(format!(
                "{open} highlight {} {close}",
                quote(unquote(lang))?
            ))
        }
        _ => None,
    }
}

/// `src` with Jekyll tags rewritten for liquid's grammar; `ranges[i]` is where `spans[i]`
/// ended up.
struct Prepared {
    text: String,
    ranges: Vec<Range<usize>>,
}

fn prepare(src: &str, spans: &[Span]) -> Prepared {
    let mut text = String::with_capacity(src.len() + 16);
    let mut ranges = Vec::with_capacity(spans.len());
    let mut last = 0;
    for span in spans {
        text.push_str(&src[last..span.start]);
        let start = text.len();
        let original = &src[span.start..span.end];
        match &span.kind {
            SpanKind::Tag(_) => match rewrite_tag(original) {
                Some(rewritten) => text.push_str(&rewritten),
                None => text.push_str(original),
            },
            _ => text.push_str(original),
        }
        ranges.push(start..text.len());
        last = span.end;
    }
    text.push_str(&src[last..]);
    Prepared { text, ranges }
}

/// The line breaks of `text`, which replace a left-out span so line numbers stay put.
fn line_breaks(text: &str) -> String {
    "\n".repeat(text.matches('\n').count())
}

/// `src` without span `index` (and its block partner).
fn remove_span(src: &str, spans: &[Span], index: usize) -> String {
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(2);
    ranges.push(spans[index].start..spans[index].end);
    if let Some(pair) = spans[index].pair {
        ranges.push(spans[pair].start..spans[pair].end);
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut out = src.to_owned();
    for range in ranges {
        let breaks = line_breaks(&src[range.clone()]);
        out.replace_range(range, &breaks);
    }
    out
}

/// Whether a span pipes into `filter`.
fn uses_filter(span_text: &str, filter: &str) -> bool {
    span_text.match_indices('|').any(|(at, _)| {
        let rest = span_text[at + 1..].trim_start();
        rest.strip_prefix(filter).is_some_and(|after| {
            !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    })
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_text = &text[line_start..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let within = line_text[..line_end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_end, |(i, _)| i);
    Some(line_start + within)
}

/// The span at `offset`, or else the closest one on the same line.
fn span_near(text: &str, ranges: &[Range<usize>], offset: usize) -> Option<usize> {
    if let Some(i) = ranges.iter().position(|r| r.contains(&offset)) {
        return Some(i);
    }
    let line = line_col(text, offset).0;
    let same_line: Vec<usize> = (0..ranges.len())
        .filter(|&i| line_col(text, ranges[i].start).0 == line)
        .collect();
    same_line
        .iter()
        .rev()
        .find(|&&i| ranges[i].start <= offset)
        .or(same_line.first())
        .copied()
}

fn char_count(text: &str) -> u32 {
    u32::try_from(text.chars().count()).unwrap_or(u32::MAX)
}

/// A span's text on one line, shortened for a message.
fn snippet(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&flat, 80)
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

// ---------------------------------------------------------------------------------------
// Runtime: Jekyll's forgiving variable lookup

/// Makes an undefined variable render as nothing, as in Jekyll, instead of an error.
struct Lax<'a>(&'a dyn Runtime);

impl Runtime for Lax<'_> {
    fn partials(&self) -> &dyn PartialStore {
        self.0.partials()
    }

    fn name(&self) -> Option<KStringRef<'_>> {
        self.0.name()
    }

    fn roots(&self) -> BTreeSet<KStringCow<'_>> {
        self.0.roots()
    }

    fn try_get(&self, path: &[ScalarCow<'_>]) -> Option<ValueCow<'_>> {
        self.0.try_get(path)
    }

    fn get(&self, path: &[ScalarCow<'_>]) -> LiquidResult<ValueCow<'_>> {
        Ok(self.0.try_get(path).unwrap_or(ValueCow::Owned(Value::Nil)))
    }

    fn set_global(&self, name: KString, val: Value) -> Option<Value> {
        self.0.set_global(name, val)
    }

    fn set_index(&self, name: KString, val: Value) -> Option<Value> {
        self.0.set_index(name, val)
    }

    fn get_index<'a>(&'a self, name: &str) -> Option<ValueCow<'a>> {
        self.0.get_index(name)
    }

    fn registers(&self) -> &Registers {
        self.0.registers()
    }
}

/// A JSON value as a liquid value (numbers that fit become integers).
fn json_to_liquid(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::scalar(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::scalar(i),
            None => Value::scalar(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::scalar(s.clone()),
        serde_json::Value::Array(items) => Value::array(items.iter().map(json_to_liquid)),
        serde_json::Value::Object(map) => Value::Object(json_map_to_liquid(map)),
    }
}

fn json_map_to_liquid(map: &serde_json::Map<String, serde_json::Value>) -> Object {
    let mut object = Object::new();
    for (key, item) in map {
        object.insert(KString::from_ref(key), json_to_liquid(item));
    }
    object
}

fn write_out(writer: &mut dyn Write, text: &str) -> LiquidResult<()> {
    writer
        .write_all(text.as_bytes())
        .map_err(|err| Error::with_msg(format!("cannot write output: {err}")))
}

// ---------------------------------------------------------------------------------------
// Language: liquid's standard library plus Jekyll's tags and filters

fn jekyll_language(urls: &Arc<UrlContext>, links: &Arc<dyn SiteLinks>) -> Language {
    use liquid_lib::{jekyll, stdlib};

    let mut language = Language::empty();
    let tag = |language: &mut Language, tag: Box<dyn ParseTag>| {
        language
            .tags
            .register(tag.reflection().tag().to_owned(), tag);
    };
    tag(&mut language, Box::new(stdlib::AssignTag));
    tag(&mut language, Box::new(stdlib::BreakTag));
    tag(&mut language, Box::new(stdlib::ContinueTag));
    tag(&mut language, Box::new(stdlib::CycleTag));
    tag(&mut language, Box::new(stdlib::IncrementTag));
    tag(&mut language, Box::new(stdlib::DecrementTag));
    tag(&mut language, Box::new(JekyllIncludeTag));
    tag(
        &mut language,
        Box::new(LinkTag {
            kind: LinkKind::PostUrl,
            links: links.clone(),
        }),
    );
    tag(
        &mut language,
        Box::new(LinkTag {
            kind: LinkKind::Link,
            links: links.clone(),
        }),
    );

    let block = |language: &mut Language, block: Box<dyn ParseBlock>| {
        language
            .blocks
            .register(block.reflection().start_tag().to_owned(), block);
    };
    block(&mut language, Box::new(stdlib::RawBlock));
    block(&mut language, Box::new(stdlib::IfBlock));
    block(&mut language, Box::new(stdlib::UnlessBlock));
    block(&mut language, Box::new(stdlib::IfChangedBlock));
    block(&mut language, Box::new(stdlib::ForBlock));
    block(&mut language, Box::new(stdlib::TableRowBlock));
    block(&mut language, Box::new(stdlib::CommentBlock));
    block(&mut language, Box::new(stdlib::CaptureBlock));
    block(&mut language, Box::new(stdlib::CaseBlock));
    block(&mut language, Box::new(HighlightBlock));

    let filters: Vec<Box<dyn ParseFilter>> = vec![
        Box::new(stdlib::Abs),
        Box::new(stdlib::Append),
        Box::new(stdlib::AtLeast),
        Box::new(stdlib::AtMost),
        Box::new(stdlib::Capitalize),
        Box::new(stdlib::Ceil),
        Box::new(stdlib::Compact),
        Box::new(stdlib::Concat),
        Box::new(stdlib::Date),
        Box::new(stdlib::Default),
        Box::new(stdlib::DividedBy),
        Box::new(stdlib::Downcase),
        Box::new(stdlib::Escape),
        Box::new(stdlib::EscapeOnce),
        Box::new(stdlib::First),
        Box::new(stdlib::Floor),
        Box::new(stdlib::Join),
        Box::new(stdlib::Last),
        Box::new(stdlib::Lstrip),
        Box::new(stdlib::Map),
        Box::new(stdlib::Minus),
        Box::new(stdlib::Modulo),
        Box::new(stdlib::NewlineToBr),
        Box::new(stdlib::Plus),
        Box::new(stdlib::Prepend),
        Box::new(stdlib::Remove),
        Box::new(stdlib::RemoveFirst),
        Box::new(stdlib::Replace),
        Box::new(stdlib::ReplaceFirst),
        Box::new(stdlib::Reverse),
        Box::new(stdlib::Round),
        Box::new(stdlib::Rstrip),
        Box::new(stdlib::Size),
        Box::new(stdlib::Slice),
        Box::new(stdlib::SortNatural),
        Box::new(stdlib::Split),
        Box::new(stdlib::Strip),
        Box::new(stdlib::StripHtml),
        Box::new(stdlib::StripNewlines),
        Box::new(stdlib::Times),
        Box::new(stdlib::Truncate),
        Box::new(stdlib::TruncateWords),
        Box::new(stdlib::Uniq),
        Box::new(stdlib::Upcase),
        Box::new(stdlib::UrlDecode),
        Box::new(stdlib::UrlEncode),
        Box::new(stdlib::Where),
        // Jekyll's, from liquid-lib (its `sort` also takes a property, like Jekyll's).
        Box::new(jekyll::Sort),
        Box::new(jekyll::Slugify),
        Box::new(jekyll::Push),
        Box::new(jekyll::Pop),
        Box::new(jekyll::Shift),
        Box::new(jekyll::Unshift),
        Box::new(jekyll::ArrayToSentenceString),
    ];
    for filter in filters {
        language
            .filters
            .register(filter.reflection().name().to_owned(), filter);
    }

    let ours: [(&'static str, &'static str, usize, FilterFn); 14] = [
        (
            "relative_url",
            "Prefixes a site path with the baseurl.",
            0,
            filter_relative_url,
        ),
        (
            "absolute_url",
            "Prefixes a site path with the site's url and baseurl.",
            0,
            filter_absolute_url,
        ),
        (
            "date_to_string",
            "`07 Aug 2025`; `\"ordinal\"` and `\"US\"` vary it.",
            2,
            filter_date_to_string,
        ),
        (
            "date_to_long_string",
            "`07 August 2025`; `\"ordinal\"` and `\"US\"` vary it.",
            2,
            filter_date_to_long_string,
        ),
        (
            "date_to_xmlschema",
            "ISO 8601 / RFC 3339 date.",
            0,
            filter_date_to_xmlschema,
        ),
        (
            "date_to_rfc822",
            "RFC 822 date, as in RSS.",
            0,
            filter_date_to_rfc822,
        ),
        ("jsonify", "The value as JSON.", 0, filter_jsonify),
        ("xml_escape", "Escapes text for XML.", 0, filter_xml_escape),
        (
            "cgi_escape",
            "Escapes text for a URL query (space becomes `+`).",
            0,
            filter_cgi_escape,
        ),
        (
            "uri_escape",
            "Percent-encodes characters not allowed in a URI.",
            0,
            filter_uri_escape,
        ),
        (
            "number_of_words",
            "Counts words; `\"cjk\"` or `\"auto\"` count CJK characters as words.",
            1,
            filter_number_of_words,
        ),
        (
            "markdownify",
            "Converts Markdown to HTML.",
            0,
            filter_markdownify,
        ),
        (
            "normalize_whitespace",
            "Collapses runs of whitespace into one space.",
            0,
            filter_normalize_whitespace,
        ),
        (
            "to_integer",
            "Converts to an integer.",
            0,
            filter_to_integer,
        ),
    ];
    for (name, description, max_args, apply) in ours {
        language.filters.register(
            name.to_owned(),
            Box::new(JekyllFilter {
                name,
                description,
                max_args,
                urls: urls.clone(),
                apply,
            }),
        );
    }
    language
}

// ---------------------------------------------------------------------------------------
// Tags

/// A tag argument that may hold Liquid (`{% link {{ page.other }} %}`).
#[derive(Debug)]
enum TextArg {
    Literal(String),
    Template(Template),
}

impl TextArg {
    fn parse(text: String, options: &Language) -> LiquidResult<Self> {
        if has_liquid(&text) {
            // Positions in this error would be relative to `text`, not to the body: drop them.
            let elements = liquid_core::parser::parse(&text, options)
                .map_err(|err| Error::with_msg(format!("in `{text}`: {}", error_summary(&err))))?;
            Ok(TextArg::Template(Template::new(elements)))
        } else {
            Ok(TextArg::Literal(text))
        }
    }

    fn render(&self, runtime: &dyn Runtime) -> LiquidResult<String> {
        match self {
            TextArg::Literal(text) => Ok(text.clone()),
            TextArg::Template(template) => Ok(template.render(runtime)?.trim().to_owned()),
        }
    }
}

/// A token's text: a literal's value (without quotes) or the token as written.
fn token_text(token: TagToken<'_>) -> String {
    match token.expect_literal() {
        TryMatchToken::Matches(value) => value.to_kstr().to_string(),
        TryMatchToken::Fails(token) => token.as_str().to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    PostUrl,
    Link,
}

impl LinkKind {
    fn tag(self) -> &'static str {
        match self {
            LinkKind::PostUrl => "post_url",
            LinkKind::Link => "link",
        }
    }
}

/// Jekyll's `{% post_url NAME %}` and `{% link PATH %}`.
#[derive(Clone)]
struct LinkTag {
    kind: LinkKind,
    links: Arc<dyn SiteLinks>,
}

impl TagReflection for LinkTag {
    fn tag(&self) -> &str {
        self.kind.tag()
    }

    fn description(&self) -> &str {
        match self.kind {
            LinkKind::PostUrl => "The URL of a post, by its file name without extension.",
            LinkKind::Link => "The URL of a file, by its path from the site root.",
        }
    }
}

impl ParseTag for LinkTag {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let token = arguments.expect_next(match self.kind {
            LinkKind::PostUrl => "a post name is expected",
            LinkKind::Link => "a file path is expected",
        })?;
        let target = TextArg::parse(token_text(token), options)?;
        arguments.expect_nothing()?;
        Ok(Box::new(LinkRender {
            kind: self.kind,
            links: self.links.clone(),
            target,
        }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

struct LinkRender {
    kind: LinkKind,
    links: Arc<dyn SiteLinks>,
    target: TextArg,
}

impl fmt::Debug for LinkRender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkRender")
            .field("kind", &self.kind)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Renderable for LinkRender {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let target = self.target.render(runtime)?;
        let url = match self.kind {
            LinkKind::PostUrl => self.links.post_url(&target),
            LinkKind::Link => self.links.link(&target),
        };
        match url {
            Some(url) => write_out(writer, &url),
            None => {
                let message = match self.kind {
                    LinkKind::PostUrl => format!(
                        "Liquid: {{% post_url {target} %}}: no post named `{target}`; the name was kept as text"
                    ),
                    LinkKind::Link => format!(
                        "Liquid: {{% link {target} %}}: no file `{target}` in the site; the path was kept as text"
                    ),
                };
                warn(runtime, self.kind.tag(), &target, message);
                write_out(writer, &target)
            }
        }
    }
}

/// Jekyll's `{% highlight LANG [linenos] %}...{% endhighlight %}`, emitted as a fenced
/// Markdown code block (options such as `linenos` are ignored).
#[derive(Clone, Copy, Debug, Default)]
struct HighlightBlock;

impl BlockReflection for HighlightBlock {
    fn start_tag(&self) -> &str {
        "highlight"
    }

    fn end_tag(&self) -> &str {
        "endhighlight"
    }

    fn description(&self) -> &str {
        "A code sample, as a fenced Markdown code block."
    }
}

impl ParseBlock for HighlightBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut block: TagBlock<'_, '_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let lang: String = arguments
            .next()
            .map(token_text)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '`')
            .collect();
        // `linenos`, `mark_lines="1 2"`: nothing to do with them in Markdown.
        arguments.by_ref().for_each(drop);
        let body = block.parse_all(options)?;
        block.assert_empty();
        Ok(Box::new(Highlight {
            lang,
            body: Template::new(body),
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct Highlight {
    lang: String,
    body: Template,
}

impl Renderable for Highlight {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let code = self.body.render(runtime)?;
        let code = code.trim_matches(|c| c == '\n' || c == '\r');
        let longest_backticks = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat((longest_backticks + 1).max(3));
        write_out(writer, &format!("{fence}{}\n{code}\n{fence}", self.lang))
    }
}

/// Jekyll's `{% include FILE param=value ... %}`: renders `_includes/FILE` with the
/// parameters as `include.param`. Problems (missing file, error inside it, nesting deeper
/// than `MAX_INCLUDE_DEPTH`) are warnings and the include renders as nothing.
#[derive(Clone, Copy, Debug, Default)]
struct JekyllIncludeTag;

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
        let partial = match runtime.partials().get(&name) {
            Ok(partial) => partial,
            Err(err) => {
                let message = format!(
                    "Liquid: {{% include {name} %}}: {}; left out",
                    error_summary(&err)
                );
                warn(runtime, "include", &name, message);
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
            Ok(text) => write_out(writer, &text),
            Err(err) => {
                let message = format!(
                    "Liquid: {{% include {name} %}}: {}; left out",
                    error_summary(&err)
                );
                warn(runtime, "include", &name, message);
                Ok(())
            }
        }
    }
}

/// A parsed include, or why it could not be loaded.
type Loaded = Result<Arc<dyn Renderable>, String>;

/// The `_includes/` files, parsed on first use and kept for the engine's lifetime.
struct IncludeStore {
    dir: Option<PathBuf>,
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
    fn new(dir: Option<PathBuf>, language: Arc<Language>) -> Self {
        IncludeStore {
            dir,
            language,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn load(&self, name: &str) -> Result<Arc<dyn Renderable>, String> {
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

    fn load_uncached(&self, name: &str) -> Result<Arc<dyn Renderable>, String> {
        let Some(dir) = &self.dir else {
            return Err(format!(
                "the site has no _includes folder to find `{name}` in"
            ));
        };
        let relative = Path::new(name);
        if name.is_empty()
            || relative
                .components()
                .any(|part| !matches!(part, Component::Normal(_)))
        {
            return Err(format!("`{name}` is not a file name inside _includes"));
        }
        let text = match std::fs::read_to_string(dir.join(relative)) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("_includes/{name} does not exist"));
            }
            Err(err) => return Err(format!("cannot read _includes/{name}: {err}")),
        };
        let prepared = prepare(&text, &scan(&text));
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            liquid_core::parser::parse(&prepared.text, &self.language)
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

// ---------------------------------------------------------------------------------------
// Filters

/// Site settings the URL filters need.
#[derive(Debug)]
struct UrlContext {
    /// `/blog`, or empty; never a trailing slash.
    baseurl: String,
    /// `https://example.org`, without baseurl or trailing slash.
    url: Option<String>,
}

impl UrlContext {
    fn new(site_url: Option<&str>, baseurl: &str) -> Self {
        let base = baseurl.trim().trim_end_matches('/');
        let baseurl = if base.is_empty() || base.starts_with('/') {
            base.to_owned()
        } else {
            format!("/{base}")
        };
        let url = site_url
            .map(|url| url.trim().trim_end_matches('/'))
            .filter(|url| !url.is_empty())
            .map(|url| {
                let root = if baseurl.is_empty() {
                    url
                } else {
                    url.strip_suffix(baseurl.as_str()).unwrap_or(url)
                };
                root.trim_end_matches('/').to_owned()
            });
        UrlContext { baseurl, url }
    }

    /// Jekyll's `relative_url`: baseurl + path, each with a leading slash.
    fn relative_url(&self, input: &str) -> String {
        if is_absolute_url(input) {
            return input.to_owned();
        }
        let mut out = self.baseurl.clone();
        if !input.is_empty() && !input.starts_with('/') {
            out.push('/');
        }
        out.push_str(input);
        out
    }

    /// Jekyll's `absolute_url`: url + `relative_url`.
    fn absolute_url(&self, input: &str) -> String {
        if is_absolute_url(input) {
            return input.to_owned();
        }
        match &self.url {
            Some(url) => format!("{url}{}", self.relative_url(input)),
            None => self.relative_url(input),
        }
    }
}

/// Whether a URL has a scheme (`https:`, `mailto:`).
fn is_absolute_url(input: &str) -> bool {
    let Some(colon) = input.find(':') else {
        return false;
    };
    let scheme = &input[..colon];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

type FilterFn = fn(&UrlContext, &dyn ValueView, &[Value]) -> LiquidResult<Value>;

/// One of Jekyll's filters: a function of the input and up to `max_args` positional arguments.
#[derive(Clone, Debug)]
struct JekyllFilter {
    name: &'static str,
    description: &'static str,
    max_args: usize,
    urls: Arc<UrlContext>,
    apply: FilterFn,
}

impl FilterReflection for JekyllFilter {
    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }

    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for JekyllFilter {
    fn parse(&self, mut arguments: FilterArguments<'_>) -> LiquidResult<Box<dyn Filter>> {
        if let Some((key, _)) = arguments.keyword.next() {
            return Err(Error::with_msg(format!(
                "`{}` has no keyword argument `{key}`",
                self.name
            )));
        }
        let args: Vec<Expression> = arguments.positional.collect();
        if args.len() > self.max_args {
            return Err(Error::with_msg(format!(
                "`{}` takes at most {} argument(s), got {}",
                self.name,
                self.max_args,
                args.len()
            )));
        }
        Ok(Box::new(BoundFilter {
            filter: self.clone(),
            args,
        }))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

#[derive(Debug)]
struct BoundFilter {
    filter: JekyllFilter,
    args: Vec<Expression>,
}

impl fmt::Display for BoundFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.filter.name)?;
        for (i, arg) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "{arg}")?;
        }
        Ok(())
    }
}

impl Filter for BoundFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> LiquidResult<Value> {
        let args: Vec<Value> = self
            .args
            .iter()
            .map(|arg| {
                arg.try_evaluate(runtime)
                    .map_or(Value::Nil, ValueCow::into_owned)
            })
            .collect();
        (self.filter.apply)(&self.filter.urls, input, &args)
    }
}

/// The input as text (nil is empty).
fn input_text(input: &dyn ValueView) -> String {
    if input.is_nil() {
        String::new()
    } else {
        input.to_kstr().to_string()
    }
}

fn arg_text(args: &[Value], index: usize) -> Option<String> {
    args.get(index)
        .filter(|v| !v.is_nil())
        .map(|v| v.to_kstr().to_string())
}

fn filter_relative_url(
    urls: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::scalar(urls.relative_url(&input_text(input))))
}

fn filter_absolute_url(
    urls: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::scalar(urls.absolute_url(&input_text(input))))
}

/// Reads a date: RFC 3339, Jekyll's `2025-08-07 02:54:48 +0000`, RFC 2822, a date and time
/// without zone (taken as UTC), a bare date, a Unix timestamp, `now` or `today`.
fn parse_date(input: &dyn ValueView) -> Option<DateTime<FixedOffset>> {
    if input.type_name() == "whole number" {
        let seconds = input.as_scalar()?.to_integer()?;
        return DateTime::from_timestamp(seconds, 0).map(|d| d.fixed_offset());
    }
    parse_date_str(&input_text(input))
}

fn parse_date_str(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if matches!(text, "now" | "today") {
        return Some(Utc::now().fixed_offset());
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date);
    }
    const ZONED: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M %z",
    ];
    for format in ZONED {
        if let Ok(date) = DateTime::parse_from_str(text, format) {
            return Some(date);
        }
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date);
    }
    const NAIVE: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    for format in NAIVE {
        if let Ok(date) = NaiveDateTime::parse_from_str(text, format) {
            return Some(date.and_utc().fixed_offset());
        }
    }
    for format in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Some(date.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset());
        }
    }
    None
}

/// The input's date, or `Ok(None)` when the input is empty (Jekyll returns it unchanged).
fn input_date(input: &dyn ValueView) -> LiquidResult<Option<DateTime<FixedOffset>>> {
    let text = input_text(input);
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_date(input).map(Some).ok_or_else(|| {
        Error::with_msg(format!(
            "Invalid Date: `{}` is not a valid datetime",
            shorten(&text, 60)
        ))
    })
}

fn ordinal_suffix(day: u32) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// Jekyll's `stringify_date`: `07 Aug 2025`, or with `"ordinal"` `7th Aug 2025` and with
/// `"ordinal", "US"` `Aug 7th, 2025`.
fn stringify_date(input: &dyn ValueView, args: &[Value], month: &str) -> LiquidResult<Value> {
    let Some(date) = input_date(input)? else {
        return Ok(input.to_value());
    };
    let month_name = date.format(month).to_string();
    if arg_text(args, 0).as_deref() == Some("ordinal") {
        let day = format!("{}{}", date.day(), ordinal_suffix(date.day()));
        let text = if arg_text(args, 1).as_deref() == Some("US") {
            format!("{month_name} {day}, {}", date.year())
        } else {
            format!("{day} {month_name} {}", date.year())
        };
        return Ok(Value::scalar(text));
    }
    Ok(Value::scalar(
        date.format(&format!("%d {month} %Y")).to_string(),
    ))
}

fn filter_date_to_string(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    stringify_date(input, args, "%b")
}

fn filter_date_to_long_string(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    stringify_date(input, args, "%B")
}

fn filter_date_to_xmlschema(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    Ok(match input_date(input)? {
        Some(date) => Value::scalar(date.format("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        None => input.to_value(),
    })
}

fn filter_date_to_rfc822(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    Ok(match input_date(input)? {
        Some(date) => Value::scalar(date.format("%a, %d %b %Y %H:%M:%S %z").to_string()),
        None => input.to_value(),
    })
}

fn filter_jsonify(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    serde_json::to_string(&input.to_value())
        .map(Value::scalar)
        .map_err(|err| Error::with_msg(format!("cannot convert to JSON: {err}")))
}

fn filter_xml_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let text = input_text(input);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    Ok(Value::scalar(out))
}

/// Percent-encodes every byte for which `keep` is false (hex in upper case).
fn percent_encode(text: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if space_as_plus && byte == b' ' {
            out.push('+');
        } else if keep(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn filter_cgi_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~');
    Ok(Value::scalar(percent_encode(
        &input_text(input),
        keep,
        true,
    )))
}

fn filter_uri_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    // Unreserved and reserved characters of RFC 3986 stay, and so do existing escapes.
    let keep = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'['
                    | b']'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
            )
    };
    Ok(Value::scalar(percent_encode(
        &input_text(input),
        keep,
        false,
    )))
}

/// Han, Hiragana, Katakana and Hangul characters, which Jekyll's `cjk` mode counts as words.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x3005..=0x3007
        | 0x3021..=0x3029
        | 0x3038..=0x303B
        | 0x3040..=0x30FF
        | 0x3130..=0x318F
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x3134F)
}

fn filter_number_of_words(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    let text = input_text(input);
    let cjk = text.chars().filter(|&c| is_cjk(c)).count();
    let others = || {
        text.split(|c: char| c.is_whitespace() || is_cjk(c))
            .filter(|w| !w.is_empty())
            .count()
    };
    let count = match arg_text(args, 0).as_deref() {
        Some("cjk") => cjk + others(),
        Some("auto") if cjk > 0 => cjk + others(),
        _ => text.split_whitespace().count(),
    };
    Ok(Value::scalar(i64::try_from(count).unwrap_or(i64::MAX)))
}

fn filter_markdownify(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    Ok(Value::scalar(super::markdown_to_html_string(&input_text(
        input,
    ))))
}

fn filter_normalize_whitespace(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    let text = input_text(input);
    Ok(Value::scalar(
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

fn filter_to_integer(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let Some(scalar) = input.as_scalar() else {
        return Ok(Value::scalar(0i64));
    };
    if let Some(b) = scalar.to_bool() {
        return Ok(Value::scalar(i64::from(b)));
    }
    if let Some(i) = scalar.to_integer() {
        return Ok(Value::scalar(i));
    }
    if let Some(f) = scalar.to_float() {
        // Saturating float-to-integer conversion, like Ruby's `round` for sane values.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Value::scalar(f.round() as i64));
    }
    // Ruby's `to_i`: leading digits, else 0.
    let text = scalar.to_kstr();
    let text = text.trim_start();
    let sign_len = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign_len..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |p| p + sign_len);
    Ok(Value::scalar(text[..digits].parse::<i64>().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use serde_json::json;

    struct FakeLinks;

    impl SiteLinks for FakeLinks {
        fn post_url(&self, name: &str) -> Option<String> {
            match name {
                "2020-01-05-foo" | "blog/2020-01-05-foo" => {
                    Some("/blog/2020/01/05/foo/".to_owned())
                }
                _ => None,
            }
        }

        fn link(&self, path: &str) -> Option<String> {
            match path {
                "_posts/2020-01-05-foo.md" => Some("/blog/2020/01/05/foo/".to_owned()),
                "about.md" => Some("/blog/about/".to_owned()),
                _ => None,
            }
        }
    }

    fn map(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn engine_with(includes: Option<PathBuf>) -> JekyllLiquid {
        JekyllLiquid::new(
            &map(json!({
                "title": "Ink Blog",
                "baseurl": "/blog",
                "url": "https://example.org",
                "authors": [{"name": "Ann"}, {"name": "Bob"}],
            })),
            Some("https://example.org/blog".to_owned()),
            "/blog".to_owned(),
            includes,
            Arc::new(FakeLinks),
        )
    }

    fn engine() -> JekyllLiquid {
        engine_with(None)
    }

    fn page() -> serde_json::Map<String, serde_json::Value> {
        map(json!({
            "title": "Hello <World>",
            "date": "2025-08-07 02:54:48 +0000",
            "url": "/2025/08/07/hello/",
            "tags": ["rust", "liquid", "jekyll"],
            "items": [{"name": "b", "n": 2}, {"name": "a", "n": 1}, {"name": "c", "n": 3}],
        }))
    }

    fn render(body: &str) -> LiquidOutput {
        engine().render(body, &page(), "_posts/2025-08-07-hello.md", 5)
    }

    /// Renders and asserts there were no diagnostics.
    fn clean(body: &str) -> String {
        let out = render(body);
        assert!(out.diagnostics.is_empty(), "{body}: {:?}", out.diagnostics);
        out.text
    }

    #[test]
    fn has_liquid_detects_tags_and_output() {
        assert!(has_liquid("a {{ b }}"));
        assert!(has_liquid("{% if x %}"));
        assert!(!has_liquid("a { b } %} }}"));
    }

    #[test]
    fn body_without_liquid_is_returned_unchanged() {
        let body = "# Title\n\nNo templates { here }.\n";
        assert_eq!(clean(body), body);
    }

    #[test]
    fn variables_loops_assign_capture_and_raw() {
        let body = "# {{ page.title }} on {{ site.title }}\n\
            {% for tag in page.tags %}[{{ tag }}{% unless forloop.last %},{% endunless %}]{% endfor %}\n\
            {% assign n = page.tags | size %}{{ n }} tags\n\
            {% capture greeting %}Hi {{ site.authors[0].name }}{% endcapture %}{{ greeting | upcase }}\n\
            {% if page.tags contains \"rust\" %}rusty{% else %}plain{% endif %}\n\
            {% case n %}{% when 3 %}three{% else %}other{% endcase %}\n\
            {% raw %}{{ not rendered }} {% fake %}{% endraw %}\n\
            {% comment %}hidden {% youtube x %}{% endcomment %}end";
        assert_eq!(
            clean(body),
            "# Hello <World> on Ink Blog\n\
             [rust,][liquid,][jekyll]\n\
             3 tags\n\
             HI ANN\n\
             rusty\n\
             three\n\
             {{ not rendered }} {% fake %}\n\
             end"
        );
    }

    #[test]
    fn undefined_variables_render_as_nothing_like_jekyll() {
        assert_eq!(
            clean("[{{ page.nope }}][{{ nope.deeper }}][{{ page.nope | default: \"x\" }}]{% if page.nope %}no{% endif %}"),
            "[][][x]"
        );
    }

    #[test]
    fn post_url_and_link_resolve_through_site_links() {
        let out = clean(
            "[a]({% post_url 2020-01-05-foo %}) [b]({% post_url blog/2020-01-05-foo %}) \
             [c]({% link _posts/2020-01-05-foo.md %}) [d]({%- link about.md -%})",
        );
        assert_eq!(
            out,
            "[a](/blog/2020/01/05/foo/) [b](/blog/2020/01/05/foo/) [c](/blog/2020/01/05/foo/) [d](/blog/about/)"
        );
    }

    #[test]
    fn error_inside_a_tag_argument_is_blamed_on_the_tag() {
        let out = render("a\n<!-- c --> {% post_url {{ x | nofilter }} %} b {{ page.tags.size }}");
        assert_eq!(out.text, "a\n<!-- c -->  b 3");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert_eq!(out.diagnostics[0].column, Some(12));
    }

    #[test]
    fn post_url_and_link_take_liquid_variables() {
        let out = engine().render(
            "{% assign slug = \"foo\" %}{% post_url 2020-01-05-{{ slug }} %}",
            &page(),
            "p.md",
            1,
        );
        assert_eq!(out.text, "/blog/2020/01/05/foo/", "{:?}", out.diagnostics);
    }

    #[test]
    fn missing_post_url_warns_at_the_file_line_and_keeps_the_name() {
        let out = render("Intro\n\nSee [old]({% post_url 2019-02-03-gone %}).\n");
        assert_eq!(out.text, "Intro\n\nSee [old](2019-02-03-gone).\n");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.path, "_posts/2025-08-07-hello.md");
        // Body line 3, body starts at file line 5.
        assert_eq!(d.line, Some(7));
        assert_eq!(d.column, Some(11));
        assert!(d.message.contains("2019-02-03-gone"), "{}", d.message);
    }

    #[test]
    fn missing_link_warns_and_keeps_the_path() {
        let out = render("a\n{% link _posts/nope.md %}\n{% link _posts/nope.md %}");
        assert_eq!(out.text, "a\n_posts/nope.md\n_posts/nope.md");
        let lines: Vec<_> = out.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(6), Some(7)], "{:?}", out.diagnostics);
        assert!(out.diagnostics[0].message.contains("_posts/nope.md"));
    }

    #[test]
    fn highlight_block_becomes_fenced_code() {
        let out = clean(
            "Before\n\n{% highlight ruby linenos %}\ndef {{ page.tags[0] }}\n  1\nend\n{% endhighlight %}\n\nAfter",
        );
        assert_eq!(out, "Before\n\n```ruby\ndef rust\n  1\nend\n```\n\nAfter");
        let out = clean("{% highlight c++ %}\nx = ```;\n{% endhighlight %}");
        assert_eq!(out, "````c++\nx = ```;\n````");
        let out = clean("{% highlight %}\nplain\n{% endhighlight %}");
        assert_eq!(out, "```\nplain\n```");
    }

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
    fn include_without_includes_folder_warns() {
        let out = render("x {% include note.html %} y");
        assert_eq!(out.text, "x  y");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert!(out.diagnostics[0].message.contains("no _includes folder"));
    }

    #[test]
    fn url_filters() {
        assert_eq!(
            clean("{{ \"/img.png\" | relative_url }} {{ \"img.png\" | relative_url }} {{ \"https://x.org/a\" | relative_url }} {{ page.url | absolute_url }} {{ \"\" | absolute_url }}"),
            "/blog/img.png /blog/img.png https://x.org/a https://example.org/blog/2025/08/07/hello/ https://example.org/blog"
        );
        let bare = JekyllLiquid::new(
            &serde_json::Map::new(),
            None,
            String::new(),
            None,
            Arc::new(FakeLinks),
        );
        let out = bare.render(
            "{{ 'a.png' | relative_url }} {{ 'a.png' | absolute_url }} [{{ site.baseurl }}]",
            &page(),
            "p.md",
            1,
        );
        assert_eq!(out.text, "/a.png /a.png []");
    }

    #[test]
    fn date_filters() {
        assert_eq!(
            clean("{{ page.date | date_to_string }}|{{ page.date | date_to_string: \"ordinal\" }}|{{ page.date | date_to_string: \"ordinal\", \"US\" }}"),
            "07 Aug 2025|7th Aug 2025|Aug 7th, 2025"
        );
        assert_eq!(
            clean("{{ page.date | date_to_long_string }}|{{ '2021-03-22' | date_to_long_string: 'ordinal' }}|{{ '2021-12-01T10:00:00Z' | date_to_long_string: 'ordinal', 'US' }}"),
            "07 August 2025|22nd March 2021|December 1st, 2021"
        );
        assert_eq!(
            clean("{{ page.date | date_to_xmlschema }}|{{ '2025-08-07T02:54:48+02:00' | date_to_xmlschema }}"),
            "2025-08-07T02:54:48+00:00|2025-08-07T02:54:48+02:00"
        );
        assert_eq!(
            clean("{{ page.date | date_to_rfc822 }}|{{ '2025-08-07 10:00:00' | date_to_rfc822 }}"),
            "Thu, 07 Aug 2025 02:54:48 +0000|Thu, 07 Aug 2025 10:00:00 +0000"
        );
        assert_eq!(clean("[{{ page.nope | date_to_string }}]"), "[]");
        let out = render("a\n{{ 'someday' | date_to_string }} b {{ page.title }}");
        assert_eq!(out.text, "a\n b Hello <World>");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert!(
            out.diagnostics[0].message.contains("Invalid Date"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn text_filters() {
        assert_eq!(
            clean("{{ \"Hello, World! Ça va?\" | slugify }}"),
            "hello-world-ça-va"
        );
        assert_eq!(
            clean("{{ page.tags | jsonify }} {{ page.title | jsonify }}"),
            "[\"rust\",\"liquid\",\"jekyll\"] \"Hello <World>\""
        );
        assert_eq!(
            clean("{{ page.title | xml_escape }}"),
            "Hello &lt;World&gt;"
        );
        assert_eq!(
            clean("{{ 'a&b \"c\"' | xml_escape }}"),
            "a&amp;b &quot;c&quot;"
        );
        assert_eq!(
            clean("{{ \"foo, bar; baz?~\" | cgi_escape }}"),
            "foo%2C+bar%3B+baz%3F~"
        );
        assert_eq!(
            clean("{{ \"foo, bar \\baz?é\" | uri_escape }}"),
            "foo,%20bar%20%5Cbaz?%C3%A9"
        );
        assert_eq!(clean("{{ \"one two\n three \" | number_of_words }}"), "3");
        assert_eq!(
            clean("{{ \"日本語 text\" | number_of_words: \"cjk\" }}"),
            "4"
        );
        assert_eq!(
            clean("{{ \"日本語 text\" | number_of_words: \"auto\" }}"),
            "4"
        );
        assert_eq!(
            clean("{{ \"plain text\" | number_of_words: \"auto\" }}"),
            "2"
        );
        assert_eq!(
            clean("{{ \"Some *emphasis*\" | markdownify }}"),
            "<p>Some <em>emphasis</em></p>\n"
        );
        assert_eq!(
            clean("{{ \"  a \n\t b  \" | normalize_whitespace }}"),
            "a b"
        );
        assert_eq!(
            clean("{{ \"42abc\" | to_integer }} {{ 2.6 | to_integer }} {{ true | to_integer }}"),
            "42 3 1"
        );
    }

    #[test]
    fn array_filters() {
        assert_eq!(
            clean("{{ page.tags | array_to_sentence_string }}"),
            "rust, liquid, and jekyll"
        );
        assert_eq!(
            clean("{{ page.tags | sort | join: \",\" }}"),
            "jekyll,liquid,rust"
        );
        assert_eq!(
            clean("{{ page.items | sort: \"n\" | map: \"name\" | join: \",\" }}"),
            "a,b,c"
        );
        assert_eq!(
            clean("{% assign hits = page.items | where: \"name\", \"c\" %}{{ hits.first.n }} {{ site.authors | where: \"name\", \"Bob\" | size }}"),
            "3 1"
        );
        assert_eq!(clean("{{ page.tags | push: \"x\" | last }}"), "x");
    }

    #[test]
    fn unknown_tag_is_left_out_with_a_warning() {
        let out = render("# {{ page.title }}\n\n{% youtube abc %}\n\nafter {{ 1 | plus: 1 }}\n");
        assert_eq!(out.text, "# Hello <World>\n\n\n\nafter 2\n");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert_eq!(d.line, Some(7));
        assert_eq!(d.column, Some(1));
        assert!(d.message.contains("unknown tag `youtube`"), "{}", d.message);
        assert!(d.message.contains("{% youtube abc %}"), "{}", d.message);
    }

    #[test]
    fn columns_stay_those_of_the_file_after_earlier_tags_are_left_out() {
        let out = render("x {% aa %}{% bb 1 %} {{ 1 | nope }}\n{% if %}y{% endif %} {% cc %}");
        assert_eq!(out.text, "x  \ny ");
        let at: Vec<_> = out.diagnostics.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            at,
            vec![
                (Some(5), Some(3)),
                (Some(5), Some(11)),
                (Some(5), Some(22)),
                (Some(6), Some(1)),
                (Some(6), Some(22)),
            ],
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn unknown_tag_inside_a_block_is_left_out() {
        let out = render("{% for t in page.tags %}<{{ t }}{% gist 123 %}>{% endfor %}");
        assert_eq!(out.text, "<rust><liquid><jekyll>");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    }

    #[test]
    fn unknown_filter_is_left_out_with_a_warning() {
        let out = render("a {{ page.title }}\nb {{ page.title | smartify_nope }} c\n{{ page.title | smartify_nope }}");
        assert_eq!(out.text, "a Hello <World>\nb  c\n");
        assert_eq!(out.diagnostics.len(), 2, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert_eq!(out.diagnostics[0].column, Some(3));
        assert!(out.diagnostics[0]
            .message
            .contains("unknown filter `smartify_nope`"));
        assert_eq!(out.diagnostics[1].line, Some(7));
    }

    #[test]
    fn syntax_error_is_left_out_with_a_warning() {
        let out = render("one {{ page.tags.size }}\n{% if %}\ninside\n{% endif %}\ntwo");
        assert_eq!(out.text, "one 3\n\ninside\n\ntwo");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert!(
            out.diagnostics[0].message.contains("{% if %}"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn unclosed_block_and_stray_braces_are_left_out() {
        let out = render("a {% if page.title %}yes\nb {{ page.tags.size }}");
        assert_eq!(out.text, "a yes\nb 3");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert!(
            out.diagnostics[0].message.contains("never closed"),
            "{:?}",
            out.diagnostics
        );

        let out = render("x\ny {{ oops\nz {{ page.tags.size }}");
        assert!(out.text.ends_with("z 3"), "{}", out.text);
        assert!(!out.diagnostics.is_empty());
        assert_eq!(out.diagnostics[0].line, Some(6), "{:?}", out.diagnostics);
    }

    #[test]
    fn render_error_inside_a_loop_is_found_and_left_out() {
        let out =
            render("{% for t in page.tags %}[{{ t }}|{{ t | date_to_string }}]{% endfor %}\nok");
        assert_eq!(out.text, "[rust|][liquid|][jekyll|]\nok");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(
            out.diagnostics[0].message.contains("date_to_string"),
            "{:?}",
            out.diagnostics
        );
        assert_eq!(out.diagnostics[0].line, Some(5));
        assert_eq!(out.diagnostics[0].column, Some(34));
    }

    #[test]
    fn ruby_liquid_sample_in_backticks_does_not_break_the_post() {
        let out = render(
            "Use `Liquid::Template.parse('{{ x | strip_html }}')` or `{% raw %}{{ y }}{% endraw %}`.\n\
             Also `{{ 'a' | bogus_filter }}` and `{%- comment -%}` here.",
        );
        assert!(
            out.text
                .starts_with("Use `Liquid::Template.parse('')` or `{{ y }}`."),
            "{}",
            out.text
        );
        assert!(!out.diagnostics.is_empty());
        assert!(out.diagnostics.iter().all(|d| d.line.is_some()));
    }

    #[test]
    fn many_failures_fall_back_to_tag_by_tag() {
        let mut body = String::from("{{ page.tags.size }}\n");
        for i in 0..15 {
            body.push_str(&format!("{{% nope{i} %}} {{{{ {i} | plus: 1 }}}}\n"));
        }
        let out = render(&body);
        assert!(out.text.starts_with("3\n 1\n 2\n"), "{}", out.text);
        assert!(out.text.contains(" 15\n"), "{}", out.text);
        assert!(!out.text.contains("nope"), "{}", out.text);
        assert!(out
            .diagnostics
            .iter()
            .any(|d| d.message.contains("more than 10")));
    }

    #[test]
    fn panic_inside_liquid_becomes_a_warning() {
        // liquid-lib's `sort` panics on a property that is not a variable name.
        let out = render("a {{ page.items | sort: \"1 2\" }} b {{ page.tags.size }}");
        assert_eq!(out.text, "a  b 3");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    }

    #[test]
    fn baseurl_inside_img_src() {
        assert_eq!(
            clean("<img src=\"{{ site.baseurl }}/img.png\" alt=\"x\"> {{ site.url }}"),
            "<img src=\"/blog/img.png\" alt=\"x\"> https://example.org"
        );
    }

    #[test]
    fn engine_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JekyllLiquid>();
    }
}
