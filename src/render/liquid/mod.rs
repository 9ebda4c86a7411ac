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
//! Rendering is bounded by [`RenderLimits`] (loop iterations, nesting, output, values,
//! includes, time): a tag or block that goes over a limit is left out with a WARNING naming
//! the limit, and the rest of the post renders. The render, and each include, moves to a
//! stack of its own when the thread has less than [`RENDER_RED_ZONE`] left, so the depth it
//! is allowed fits whatever thread calls it.
//!
//! Rendering never fails. A Liquid problem (unknown tag or filter, syntax error, render
//! error, even a panic inside liquid) becomes a WARNING located at the failing tag's line in
//! the file; that one `{% ... %}` or `{{ ... }}` span is left out and the body is rendered
//! again. After ten such repairs, or when the failing tag cannot be told, every
//! tag is rendered on its own and those that still fail are left out.
//!
//! This module holds the public API and renders a prepared text once; the rest is split by
//! job:
//!
//! * `language`: the tags, blocks and filters the engine knows;
//! * `limits`: [`RenderLimits`] and the per-render budget tags charge;
//! * `bounded`: `for`, `tablerow`, `capture`, `ifchanged`, `assign` and the filter guard,
//!   bounded by the limits;
//! * `nesting`: how deep a template nests, checked before liquid parses it;
//! * `tags`: `post_url`, `link`, `highlight` and the warnings tags raise while rendering;
//! * `include`: the `include` tag and the `_includes/` store;
//! * `filters`: Jekyll's filters (URLs, dates, text);
//! * `values`: JSON to Liquid values and the lenient runtime for undefined variables;
//! * `spans`: where the `{{ ... }}` and `{% ... %}` spans of a body are;
//! * `preprocess`: quoting Jekyll tag arguments liquid's grammar cannot read;
//! * `recovery`: finding and leaving out failing tags;
//! * `failure`: what liquid's errors say about where they happened;
//! * `report`: warnings located at the line and column of the file.

mod bounded;
mod failure;
mod filters;
mod include;
mod language;
mod limits;
mod nesting;
mod preprocess;
mod recovery;
mod report;
mod spans;
mod tags;
mod values;

use crate::corpus::SiteUrl;
use crate::diagnostic::Diagnostic;
use failure::{Failure, Stage};
use filters::UrlContext;
use include::IncludeStore;
use limits::{Budget, BudgetSlot, Limit, Metered, Trip};
pub use limits::{RenderLimits, VALUE_ITEM_BYTES};
use liquid_core::model::{KStringRef, ObjectView, Value, ValueView};
use liquid_core::runtime::{Renderable, Runtime, RuntimeBuilder, Template};
use liquid_core::Language;
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use tags::{Collected, TagWarning};
use values::{json_map_to_liquid, Lax};

/// Stack a post's Liquid render, and each include it renders, needs left: with less, it
/// moves to a new stack of [`RENDER_STACK_BYTES`] (with `stacker`, not a thread). Nesting is
/// bounded ([`RenderLimits::max_depth`] per template), and one template nested as deep as
/// allowed needs under 512 KiB in a debug build (test
/// `deepest_render_allowed_fits_on_a_small_thread_stack`: 256 KiB is not enough, 512 KiB
/// is), so this 1.5 MiB leaves a margin of three. The rayon and tokio threads that render
/// have 2 MiB, so a post usually renders in place.
pub const RENDER_RED_ZONE: usize = 3 << 19;

/// Size of the stacks of [`RENDER_RED_ZONE`]. Only the pages touched are committed.
pub const RENDER_STACK_BYTES: usize = 4 << 20;

type LiquidResult<T> = liquid_core::Result<T>;

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
    /// What one post's render may cost.
    limits: RenderLimits,
}

impl fmt::Debug for JekyllLiquid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JekyllLiquid")
            .field("includes_dir", &self.includes.dir)
            .finish_non_exhaustive()
    }
}

impl JekyllLiquid {
    /// Builds the engine: `site` is the whole `_config.yml`, `site_url` its `url` and
    /// `baseurl` (for `relative_url`, `absolute_url`, `site.url` and `site.baseurl`),
    /// `includes_dir` the `_includes/` folder if the site has one.
    pub fn new(
        site: &serde_json::Map<String, serde_json::Value>,
        site_url: &SiteUrl,
        includes_dir: Option<PathBuf>,
        links: Arc<dyn SiteLinks>,
    ) -> Self {
        let urls = Arc::new(UrlContext {
            site: site_url.clone(),
        });
        let language = Arc::new(language::jekyll_language(&urls, &links));
        let block_ends: HashMap<String, String> = language
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
        site_map.insert(
            "baseurl".to_owned(),
            serde_json::Value::String(site_url.baseurl().to_owned()),
        );
        if let Some(url) = site_url.url() {
            site_map.insert("url".to_owned(), serde_json::Value::String(url.to_owned()));
        }
        let site = Value::Object(json_map_to_liquid(&site_map));

        let limits = RenderLimits::default();
        JekyllLiquid {
            includes: IncludeStore::new(
                includes_dir,
                language.clone(),
                block_ends.clone(),
                limits.max_depth,
            ),
            language,
            site,
            block_ends,
            limits,
        }
    }

    /// The same engine with other render limits.
    pub fn with_limits(mut self, limits: RenderLimits) -> Self {
        self.includes.max_depth = limits.max_depth;
        self.limits = limits;
        self
    }

    /// Renders one post body. `page` = the post's front matter plus fields (title, date, url, tags…). `path` is the post's root-relative path and `first_line` the file line where the body starts, for diagnostics. Never fails: problems become WARNING diagnostics (an ERROR, with the body shown as written, if the engine itself panics).
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
        let deadline = Instant::now() + self.limits.max_time;
        let run = || {
            catch_unwind(AssertUnwindSafe(|| {
                let page = Value::Object(json_map_to_liquid(page));
                let mut globals = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
                globals.insert("site".into(), &self.site);
                globals.insert("page".into(), &page);
                self.render_recovering(body, &globals, path, first_line, deadline)
            }))
        };
        match stacker::maybe_grow(RENDER_RED_ZONE, RENDER_STACK_BYTES, run) {
            Ok(output) => output,
            Err(payload) => {
                let failure = Failure::panic(payload);
                LiquidOutput {
                    text: body.to_owned(),
                    diagnostics: vec![Diagnostic::error(
                        path,
                        format!(
                            "Liquid: {}; the body is shown without Liquid processing",
                            failure.summary
                        ),
                    )
                    .at(first_line.max(1), None)],
                }
            }
        }
    }

    /// Parses and renders prepared text once, within the render limits (the time limit's
    /// `deadline` is the post's); a panic inside liquid becomes a failure.
    fn attempt(
        &self,
        text: &str,
        globals: &dyn ObjectView,
        deadline: Instant,
    ) -> Result<Rendered, Box<Failure>> {
        if Instant::now() >= deadline {
            return Err(Box::new(Failure::limit(limits::time_is_up(&self.limits))));
        }
        let spans = spans::scan_paired(text, &self.block_ends);
        if let Err(offset) = nesting::check(text, &spans, &self.block_ends, self.limits.max_depth) {
            return Err(Box::new(Failure::limit(Trip {
                limit: Limit::Depth,
                message: format!(
                    "blocks nest more than {} deep (render limit)",
                    self.limits.max_depth
                ),
                blame: Some(offset),
            })));
        }
        let budget = Rc::new(Budget::new(self.limits, deadline, text));
        let run = || -> Result<Rendered, Box<Failure>> {
            let elements = liquid_core::parser::parse(text, &self.language)
                .map_err(|err| Box::new(Failure::from_error(Stage::Parse, &err)))?;
            let template = Template::new(elements);
            let runtime = RuntimeBuilder::new()
                .set_globals(globals)
                .set_partials(&self.includes)
                .build();
            runtime.registers().get_mut::<BudgetSlot>().0 = Some(budget.clone());
            let lax = Lax(&runtime);
            let mut out = Vec::with_capacity(text.len() + 256);
            let rendered = template.render_to(&mut Metered::new(&mut out, &budget), &lax);
            if let Some(trip) = budget.take_trip() {
                return Err(Box::new(Failure::limit(trip)));
            }
            rendered.map_err(|err| Box::new(Failure::from_error(Stage::Render, &err)))?;
            let collected = std::mem::take(&mut *runtime.registers().get_mut::<Collected>());
            Ok(Rendered {
                text: String::from_utf8_lossy(&out).into_owned(),
                warnings: collected.warnings,
                dropped_warnings: collected.dropped,
            })
        };
        catch_unwind(AssertUnwindSafe(run))
            .unwrap_or_else(|payload| Err(Box::new(Failure::panic(payload))))
    }
}

/// One successful render.
struct Rendered {
    text: String,
    warnings: Vec<TagWarning>,
    /// Tag warnings beyond those kept, counted only.
    dropped_warnings: usize,
}

/// Fixtures shared by the tests of every submodule, and tests of the engine as a whole.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) struct FakeLinks;

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

    pub(super) fn engine_with(includes: Option<PathBuf>) -> JekyllLiquid {
        JekyllLiquid::new(
            &map(json!({
                "title": "Ink Blog",
                "baseurl": "/blog",
                "url": "https://example.org",
                "authors": [{"name": "Ann"}, {"name": "Bob"}],
            })),
            &SiteUrl::new(Some("https://example.org"), "/blog"),
            includes,
            Arc::new(FakeLinks),
        )
    }

    pub(super) fn engine() -> JekyllLiquid {
        engine_with(None)
    }

    pub(super) fn page() -> serde_json::Map<String, serde_json::Value> {
        map(json!({
            "title": "Hello <World>",
            "date": "2025-08-07 02:54:48 +0000",
            "url": "/2025/08/07/hello/",
            "tags": ["rust", "liquid", "jekyll"],
            "items": [{"name": "b", "n": 2}, {"name": "a", "n": 1}, {"name": "c", "n": 3}],
        }))
    }

    /// Renders `body` as `_posts/2025-08-07-hello.md`, whose body starts at line 5.
    pub(super) fn render(body: &str) -> LiquidOutput {
        engine().render(body, &page(), "_posts/2025-08-07-hello.md", 5)
    }

    /// Renders and asserts there were no diagnostics.
    pub(super) fn clean(body: &str) -> String {
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
    fn baseurl_inside_img_src() {
        assert_eq!(
            clean("<img src=\"{{ site.baseurl }}/img.png\" alt=\"x\"> {{ site.url }}"),
            "<img src=\"/blog/img.png\" alt=\"x\"> https://example.org"
        );
    }

    /// The deepest render the limits allow: loops (the largest frames), then blocks of every
    /// kind, nested just under the limit in the post and in each of the includes nested as
    /// deep as allowed.
    #[test]
    fn deepest_render_allowed_fits_on_a_small_thread_stack() {
        deepest_render(&[("{% for i in (1..1) %}", "{% endfor %}")]);
        deepest_render(&[
            ("{% for i in (1..1) %}", "{% endfor %}"),
            ("{% if true %}", "{% endif %}"),
            ("{% unless false %}", "{% endunless %}"),
            ("{% capture c %}", "{% endcapture %}{{ c }}"),
            ("{% case 1 %}{% when 1 %}", "{% endcase %}"),
            ("{% tablerow i in (1..1) %}", "{% endtablerow %}"),
            ("{% ifchanged %}", "{% endifchanged %}"),
            ("{% highlight x %}", "{% endhighlight %}"),
            ("{% if false %}{% elsif true %}", "{% endif %}"),
        ]);
    }

    fn deepest_render(blocks: &[(&str, &str)]) {
        let limits = RenderLimits::default();
        let nest = |inner: &str| {
            // Each `elsif` branch counts one more level.
            let (mut open, mut close, mut depth) = (String::new(), String::new(), 0);
            for (start, end) in blocks.iter().cycle() {
                let cost = 1 + start.matches("elsif").count();
                if depth + cost > limits.max_depth - 2 {
                    break;
                }
                depth += cost;
                open.push_str(start);
                close.insert_str(0, end);
            }
            format!("{open}{{% if true and true %}}{inner}{{% endif %}}{close}")
        };
        let dir = tempfile::tempdir().unwrap();
        let includes = dir.path().join("_includes");
        std::fs::create_dir_all(&includes).unwrap();
        for level in 0..limits.max_include_depth {
            let inner = format!("{{% include deep{}.html %}}", level + 1);
            std::fs::write(includes.join(format!("deep{level}.html")), nest(&inner)).unwrap();
        }
        std::fs::write(
            includes.join(format!("deep{}.html", limits.max_include_depth)),
            "bottom",
        )
        .unwrap();
        let engine = engine_with(Some(includes));
        let body = nest("{% include deep0.html %}");
        // Threads of rayon and tokio have 2 MiB of stack.
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || engine.render(&body, &page(), "p.md", 1))
            .unwrap()
            .join()
            .expect("render finished");
        // The last include is one too deep: left out with a warning, everything else renders.
        assert!(!out.text.contains("bottom"), "{}", out.text);
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(
            out.diagnostics[0]
                .message
                .contains("nest more than 10 deep"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn engine_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JekyllLiquid>();
    }
}
