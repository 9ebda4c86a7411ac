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
//!
//! This module holds the public API and renders a prepared text once; the rest is split by
//! job:
//!
//! * `language`: the tags, blocks and filters the engine knows;
//! * `tags`: `post_url`, `link`, `highlight` and the warnings tags raise while rendering;
//! * `include`: the `include` tag and the `_includes/` store;
//! * `filters`: Jekyll's filters (URLs, dates, text);
//! * `values`: JSON to Liquid values and the lenient runtime for undefined variables;
//! * `spans`: where the `{{ ... }}` and `{% ... %}` spans of a body are;
//! * `preprocess`: quoting Jekyll tag arguments liquid's grammar cannot read;
//! * `recovery`: finding and leaving out failing tags;
//! * `failure`: what liquid's errors say about where they happened;
//! * `report`: warnings located at the line and column of the file.

mod failure;
mod filters;
mod include;
mod language;
mod preprocess;
mod recovery;
mod report;
mod spans;
mod tags;
mod values;

use crate::diagnostic::Diagnostic;
use failure::{Failure, Stage};
use filters::UrlContext;
use include::IncludeStore;
use liquid_core::model::{KStringRef, ObjectView, Value, ValueView};
use liquid_core::runtime::{Renderable, Runtime, RuntimeBuilder, Template};
use liquid_core::Language;
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use tags::{Collected, TagWarning};
use values::{json_map_to_liquid, Lax};

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
        let language = Arc::new(language::jekyll_language(&urls, &links));
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
        let page = Value::Object(json_map_to_liquid(page));
        let mut globals = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
        globals.insert("site".into(), &self.site);
        globals.insert("page".into(), &page);
        self.render_recovering(body, &globals, path, first_line)
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
}

/// One successful render.
struct Rendered {
    text: String,
    warnings: Vec<TagWarning>,
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
            Some("https://example.org/blog".to_owned()),
            "/blog".to_owned(),
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

    #[test]
    fn engine_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JekyllLiquid>();
    }
}
