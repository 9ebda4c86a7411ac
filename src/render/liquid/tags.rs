//! Jekyll's tags `post_url`, `link` and `highlight`, and what all of Jekyll's tags share:
//! arguments that may hold Liquid, writing output, and the warnings tags raise while
//! rendering (kept in liquid's registers until the render ends).

use super::failure::error_summary;
use super::limits::render_metered;
use super::{has_liquid, LiquidResult, SiteLinks};
use liquid_core::model::ValueView;
use liquid_core::parser::{BlockReflection, ParseBlock, TagBlock, TagToken, TryMatchToken};
use liquid_core::runtime::{Renderable, Runtime, Template};
use liquid_core::{Error, Language, ParseTag, TagReflection, TagTokenIter};
use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// A tag argument that may hold Liquid (`{% link {{ page.other }} %}`).
#[derive(Debug)]
pub(super) enum TextArg {
    Literal(String),
    Template(Template),
}

impl TextArg {
    /// A literal, or a template when `text` holds Liquid.
    pub(super) fn parse(text: String, options: &Language) -> LiquidResult<Self> {
        if has_liquid(&text) {
            // Positions in this error would be relative to `text`, not to the body: drop them.
            let elements = liquid_core::parser::parse(&text, options)
                .map_err(|err| Error::with_msg(format!("in `{text}`: {}", error_summary(&err))))?;
            Ok(TextArg::Template(Template::new(elements)))
        } else {
            Ok(TextArg::Literal(text))
        }
    }

    /// The argument's text (a template's output is trimmed).
    pub(super) fn render(&self, runtime: &dyn Runtime) -> LiquidResult<String> {
        match self {
            TextArg::Literal(text) => Ok(text.clone()),
            TextArg::Template(template) => Ok(render_metered(template, runtime)?.trim().to_owned()),
        }
    }
}

/// A token's text: a literal's value (without quotes) or the token as written.
pub(super) fn token_text(token: TagToken<'_>) -> String {
    match token.expect_literal() {
        TryMatchToken::Matches(value) => value.to_kstr().to_string(),
        TryMatchToken::Fails(token) => token.as_str().to_owned(),
    }
}

/// Which of the two link tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    PostUrl,
    Link,
}

impl LinkKind {
    /// The tag's name.
    fn tag(self) -> &'static str {
        match self {
            LinkKind::PostUrl => "post_url",
            LinkKind::Link => "link",
        }
    }
}

/// Jekyll's `{% post_url NAME %}` and `{% link PATH %}`.
#[derive(Clone)]
pub(super) struct LinkTag {
    kind: LinkKind,
    links: Arc<dyn SiteLinks>,
}

impl LinkTag {
    /// `{% post_url NAME %}`.
    pub(super) fn post_url(links: Arc<dyn SiteLinks>) -> Self {
        LinkTag {
            kind: LinkKind::PostUrl,
            links,
        }
    }

    /// `{% link PATH %}`.
    pub(super) fn link(links: Arc<dyn SiteLinks>) -> Self {
        LinkTag {
            kind: LinkKind::Link,
            links,
        }
    }
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

/// A parsed link tag.
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
pub(super) struct HighlightBlock;

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

/// A parsed highlight block.
#[derive(Debug)]
struct Highlight {
    lang: String,
    body: Template,
}

impl Renderable for Highlight {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let code = render_metered(&self.body, runtime)?;
        let code = code.trim_matches(|c| c == '\n' || c == '\r');
        let longest_backticks = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat((longest_backticks + 1).max(3));
        write_out(writer, &format!("{fence}{}\n{code}\n{fence}", self.lang))
    }
}

/// Writes rendered text to liquid's output.
pub(super) fn write_out(writer: &mut dyn Write, text: &str) -> LiquidResult<()> {
    writer
        .write_all(text.as_bytes())
        .map_err(|err| Error::with_msg(format!("cannot write output: {err}")))
}

/// A problem a tag reported while rendering (the render itself went on).
#[derive(Debug)]
pub(super) struct TagWarning {
    /// The tag in the body to blame (`include` for problems inside an include).
    pub(super) tag: &'static str,
    /// Its target as written (post name, path, include file), to find it in the body.
    pub(super) arg: String,
    pub(super) message: String,
}

/// How many tag warnings one render keeps (the report shows fewer).
const MAX_TAG_WARNINGS: usize = 1_000;

/// Per-render state shared by Jekyll's tags, kept in liquid's registers.
#[derive(Default)]
pub(super) struct Collected {
    pub(super) warnings: Vec<TagWarning>,
    /// Warnings beyond `MAX_TAG_WARNINGS`, counted only.
    pub(super) dropped: usize,
    /// Names of the includes being rendered, outermost first.
    pub(super) include_stack: Vec<String>,
}

/// Records a tag warning; inside an include it is blamed on the outermost include tag.
pub(super) fn warn(runtime: &dyn Runtime, tag: &'static str, arg: &str, message: String) {
    let mut collected = runtime.registers().get_mut::<Collected>();
    if collected.warnings.len() >= MAX_TAG_WARNINGS {
        collected.dropped += 1;
        return;
    }
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

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::render::liquid::tests::{clean, engine, page, render};

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
}
