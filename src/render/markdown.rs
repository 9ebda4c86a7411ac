//! The Markdown pass: one comrak parse per post gives the HTML, headings, links, images, plain
//! text and the excerpt's source together.

use super::highlight;
use crate::text::html::{escape, start_tags, text_content};
use comrak::adapters::{HeadingAdapter, HeadingMeta};
use comrak::arena_tree::NodeEdge;
use comrak::html::{format_document_with_formatter, format_node_default, ChildRendering, Context};
use comrak::nodes::Attributes;
use comrak::nodes::{AstNode, NodeValue, Sourcepos};
use comrak::options::Plugins;
use comrak::{parse_document, Anchorizer, Arena, Options};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::sync::{LazyLock, Mutex};

/// A heading with its anchor (the `id` on the rendered heading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// GitHub-style id, unique within the post.
    pub anchor: String,
}

/// Where a link was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSyntax {
    /// A Markdown inline, reference or autolink.
    Markdown,
    /// `<a href>` in raw HTML.
    Html,
}

/// A link in the body (images excluded), as written after Liquid and wiki links ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLink {
    pub href: String,
    pub text: String,
    /// 1-based line within the Markdown body.
    pub line: u32,
    pub syntax: LinkSyntax,
}

/// An image in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyImage {
    pub src: String,
    pub alt: Option<String>,
    pub title: Option<String>,
}

/// Everything one parse gives.
#[derive(Debug, Clone, Default)]
pub struct MarkdownOutput {
    pub html: String,
    pub headings: Vec<Heading>,
    pub links: Vec<BodyLink>,
    pub images: Vec<BodyImage>,
    /// Prose as text: no markup, no code blocks, no raw HTML.
    pub plain_text: String,
    /// Source of the first top-level paragraph (Jekyll's default excerpt).
    pub first_paragraph: String,
}

/// comrak options for posts, built once per process.
pub static OPTIONS: LazyLock<Options<'static>> = LazyLock::new(|| {
    let mut options = Options::default();
    let ext = &mut options.extension;
    ext.strikethrough = true;
    ext.table = true;
    ext.autolink = true;
    ext.tasklist = true;
    ext.footnotes = true;
    ext.alerts = true;
    ext.math_dollars = true;
    ext.header_attributes = true;
    ext.link_attributes = true;
    // kramdown's default: typographic quotes, dashes and ellipses.
    options.parse.smart = true;
    // Authors embed iframes, figures and raw HTML; `html(sanitize: true)` cleans a copy.
    options.render.r#unsafe = true;
    options
});

/// Writes heading tags with the anchors computed during extraction, in document order.
struct AnchoredHeadings {
    anchors: Mutex<VecDeque<String>>,
}

impl HeadingAdapter for AnchoredHeadings {
    fn enter(
        &self,
        out: &mut dyn fmt::Write,
        heading: &HeadingMeta,
        _: Option<Sourcepos>,
    ) -> fmt::Result {
        let anchor = self
            .anchors
            .lock()
            .map(|mut queue| queue.pop_front())
            .unwrap_or(None)
            .unwrap_or_default();
        write!(out, "<h{} id=\"{}\">", heading.level, escape(&anchor))
    }

    fn exit(&self, out: &mut dyn fmt::Write, heading: &HeadingMeta) -> fmt::Result {
        writeln!(out, "</h{}>", heading.level)
    }
}

/// Parses `markdown` once and returns its HTML and everything extracted from it.
pub fn render_markdown(markdown: &str) -> MarkdownOutput {
    markdown_pass(markdown, Pass::Html)
}

/// Everything [`render_markdown`] extracts, without writing the HTML (`html` is empty): the
/// same parse without the formatting and code highlighting, which are most of the pass.
pub fn outline_markdown(markdown: &str) -> MarkdownOutput {
    markdown_pass(markdown, Pass::Outline)
}

/// The links [`render_markdown`] finds, and nothing else: what the link graph needs of a
/// post, without the headings, images, first paragraph and plain text.
pub fn markdown_links(markdown: &str) -> Vec<BodyLink> {
    markdown_pass(markdown, Pass::Links).links
}

/// What one Markdown pass gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The HTML and everything extracted.
    Html,
    /// Everything extracted, no HTML.
    Outline,
    /// The links only.
    Links,
}

fn markdown_pass(markdown: &str, pass: Pass) -> MarkdownOutput {
    let markdown = &*space_out_quote_runs(markdown);
    let arena = Arena::new();
    let root = parse_document(&arena, markdown, &OPTIONS);
    super::quotes::requote(root, markdown);
    tidy_autolinks(&arena, root);
    let mut output = MarkdownOutput::default();
    let mut anchorizer = Anchorizer::new();
    extract(
        root,
        markdown,
        pass == Pass::Links,
        &mut anchorizer,
        &mut output,
    );
    if pass != Pass::Html {
        return output;
    }

    let headings = AnchoredHeadings {
        anchors: Mutex::new(output.headings.iter().map(|h| h.anchor.clone()).collect()),
    };
    let mut plugins = Plugins::default();
    plugins.render.codefence_syntax_highlighter = Some(highlight::adapter());
    plugins.render.heading_adapter = Some(&headings);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    // Writing into a String cannot fail.
    let _ = format_document_with_formatter(root, &OPTIONS, &mut html, &plugins, format_node, ());
    output.html = html;
    output
}

/// Bare URLs that GFM autolinked, read as kramdown reads their text: a backslash before
/// punctuation is an escape (`Global\_Objects` is `Global_Objects`, not `%5C_`), and the URL
/// ends at any white space, a non-breaking space included (comrak carries it and the next
/// word into the link).
fn tidy_autolinks<'a>(arena: &'a Arena<'a>, root: &'a AstNode<'a>) {
    let links: Vec<&'a AstNode<'a>> = root
        .descendants()
        .filter(|n| matches!(n.data().value, NodeValue::Link(_)))
        .collect();
    for link in links {
        let Some(child) = link.first_child().filter(|c| c.next_sibling().is_none()) else {
            continue;
        };
        let text = match &child.data().value {
            NodeValue::Text(text) => text.to_string(),
            _ => continue,
        };
        let url = match &link.data().value {
            NodeValue::Link(l) => l.url.clone(),
            _ => continue,
        };
        // An autolink: the URL is its text, maybe after a scheme comrak added.
        let Some(prefix) = url.strip_suffix(text.as_str()) else {
            continue;
        };
        if !matches!(prefix, "" | "http://" | "mailto:") || text.is_empty() {
            continue;
        }
        let cut = text.find(char::is_whitespace).unwrap_or(text.len());
        let kept = unescape_punctuation(&text[..cut]);
        if cut == text.len() && kept == text {
            continue;
        }
        if let NodeValue::Link(l) = &mut link.data_mut().value {
            l.url = format!("{prefix}{kept}");
        }
        if let NodeValue::Text(t) = &mut child.data_mut().value {
            *t = kept.into();
        }
        if cut < text.len() {
            let start = link.data().sourcepos.end;
            let rest = arena.alloc(AstNode::from(NodeValue::Text(
                text[cut..].to_string().into(),
            )));
            rest.data_mut().sourcepos = Sourcepos { start, end: start };
            link.insert_after(rest);
        }
    }
}

/// `text` with the backslash of each `\` + ASCII punctuation escape removed.
fn unescape_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        out.push(c);
    }
    out
}

/// comrak's HTML, with the attributes kramdown attribute lists give links and images
/// (`[text](url){:target="_blank"}`, `![alt](src){: .wide}`) written out, as kramdown does;
/// comrak parses them onto the node but its writer leaves them out.
fn format_node<'a>(
    context: &mut Context<()>,
    node: &'a AstNode<'a>,
    entering: bool,
) -> Result<ChildRendering, fmt::Error> {
    let data = node.data();
    let Some(attrs) = data.attrs.as_deref() else {
        drop(data);
        return format_node_default(context, node, entering);
    };
    match &data.value {
        NodeValue::Link(link) => {
            if entering {
                context.write_str("<a href=\"")?;
                context.escape_href(&link.url)?;
                if !link.title.is_empty() {
                    context.write_str("\" title=\"")?;
                    context.escape(&link.title)?;
                }
                context.write_str("\"")?;
                write_attributes(context, attrs)?;
                context.write_str(">")?;
            } else {
                context.write_str("</a>")?;
            }
            Ok(ChildRendering::HTML)
        }
        NodeValue::Image(image) => {
            if entering {
                context.write_str("<img src=\"")?;
                context.escape_href(&image.url)?;
                context.write_str("\" alt=\"")?;
                Ok(ChildRendering::Plain)
            } else {
                context.write_str("\"")?;
                if !image.title.is_empty() {
                    context.write_str(" title=\"")?;
                    context.escape(&image.title)?;
                    context.write_str("\"")?;
                }
                write_attributes(context, attrs)?;
                context.write_str(" />")?;
                Ok(ChildRendering::HTML)
            }
        }
        _ => {
            drop(data);
            format_node_default(context, node, entering)
        }
    }
}

/// ` id="…" class="…" key="…"`, escaped; `href`, `src` and event handlers are never taken
/// from an attribute list (the URL is the link's own; `html(sanitize: true)` cleans the rest).
fn write_attributes(context: &mut Context<()>, attrs: &Attributes) -> fmt::Result {
    // `{:id="x" class="y"}` is the same as `{:#x .y}` to kramdown.
    fn pair<'a>(attrs: &'a Attributes, name: &'static str) -> impl Iterator<Item = &'a str> {
        attrs
            .pairs
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    if let Some(id) = attrs.id.as_deref().or_else(|| pair(attrs, "id").last()) {
        context.write_str(" id=\"")?;
        context.escape(id)?;
        context.write_str("\"")?;
    }
    let classes: Vec<&str> = attrs
        .classes
        .iter()
        .map(String::as_str)
        .chain(pair(attrs, "class"))
        .collect();
    if !classes.is_empty() {
        context.write_str(" class=\"")?;
        context.escape(&classes.join(" "))?;
        context.write_str("\"")?;
    }
    for (key, value) in &attrs.pairs {
        let key = key.to_ascii_lowercase();
        let named = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':');
        if !named
            || matches!(key.as_str(), "href" | "src" | "id" | "class")
            || key.starts_with("on")
        {
            continue;
        }
        context.write_str(" ")?;
        context.write_str(&key)?;
        context.write_str("=\"")?;
        context.escape(value)?;
        context.write_str("\"")?;
    }
    Ok(())
}

/// Runs of at least this many `>` open one blockquote each; [`space_out_quote_runs`]
/// rewrites them.
const QUOTE_RUN: usize = 16;

/// Writes a run of [`QUOTE_RUN`] or more blockquote markers at the start of a line (after
/// other blockquote and list markers) as `> > >`: the same blockquotes, as CommonMark lets a
/// marker be followed by a space, but comrak parses `>>>>` in time quadratic in the run's
/// length (its GitHub-alert scanner rereads the rest of the run at every level), and spaced
/// out in linear time. Fenced code is left alone. Every other text comes back borrowed.
pub fn space_out_quote_runs(markdown: &str) -> Cow<'_, str> {
    if !markdown.contains(&">".repeat(QUOTE_RUN)) {
        return Cow::Borrowed(markdown);
    }
    Cow::Owned(super::prose::map_outside_code(markdown, |prose| {
        let mut out = String::with_capacity(prose.len() + prose.len() / 2);
        for line in prose.split_inclusive('\n') {
            space_out_line(line, &mut out);
        }
        out
    }))
}

/// [`space_out_quote_runs`] for one line, appended to `out`.
fn space_out_line(line: &str, out: &mut String) {
    let bytes = line.as_bytes();
    let (mut i, mut written) = (0, 0);
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        let rest = &bytes[i..];
        let run = rest.iter().take_while(|b| **b == b'>').count();
        if run >= QUOTE_RUN {
            out.push_str(&line[written..i]);
            for _ in 1..run {
                out.push_str("> ");
            }
            out.push('>');
            i += run;
            written = i;
            continue;
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let marker = if run > 0 {
            run
        } else if matches!(rest.first(), Some(b'-' | b'*' | b'+')) {
            1
        } else if (1..=9).contains(&digits) && matches!(rest.get(digits), Some(b'.' | b')')) {
            digits + 1
        } else {
            0
        };
        let followed_by_space = run > 0 || matches!(rest.get(marker), Some(b' ' | b'\t'));
        if marker == 0 || !followed_by_space {
            break;
        }
        i += marker;
    }
    out.push_str(&line[written..]);
}

/// One walk over the tree (linear in its size, however deep it nests) collects headings,
/// links, images, the first paragraph and the plain text; with `links_only`, the links.
fn extract<'a>(
    root: &'a AstNode<'a>,
    source: &str,
    links_only: bool,
    anchorizer: &mut Anchorizer,
    out: &mut MarkdownOutput,
) {
    let mut plain = String::with_capacity(if links_only { 0 } else { source.len() });
    // Open code blocks and raw HTML (their text is not prose), and open images (links and
    // images in an image's alt text render as text, not as links or images).
    let mut opaque = 0usize;
    let mut in_image = 0usize;
    for edge in root.traverse() {
        let node = match edge {
            NodeEdge::Start(node) => node,
            NodeEdge::End(node) => {
                let data = node.data();
                if is_opaque(&data.value) {
                    opaque -= 1;
                }
                if matches!(data.value, NodeValue::Image(_)) {
                    in_image -= 1;
                }
                continue;
            }
        };
        let data = node.data();
        if is_opaque(&data.value) {
            opaque += 1;
        }
        match &data.value {
            NodeValue::Link(link) if in_image == 0 => out.links.push(BodyLink {
                href: link.url.clone(),
                text: text_of(node),
                line: data.sourcepos.start.line as u32,
                syntax: LinkSyntax::Markdown,
            }),
            NodeValue::Image(image) => {
                if in_image == 0 && !links_only {
                    let alt = text_of(node);
                    out.images.push(BodyImage {
                        src: image.url.clone(),
                        alt: (!alt.is_empty()).then_some(alt),
                        title: (!image.title.is_empty()).then(|| image.title.clone()),
                    });
                }
                in_image += 1;
            }
            NodeValue::HtmlBlock(block) => {
                html_links(&block.literal, data.sourcepos.start.line as u32, out);
                if !links_only {
                    html_images(&block.literal, out);
                }
            }
            NodeValue::HtmlInline(html) => {
                html_links(html, data.sourcepos.start.line as u32, out);
                if !links_only {
                    html_images(html, out);
                }
            }
            _ if links_only => {}
            NodeValue::Heading(heading) => {
                let text = text_of(node);
                let anchor = match data.attrs.as_ref().and_then(|a| a.id.clone()) {
                    Some(id) => id,
                    None => anchorizer.anchorize(&text),
                };
                out.headings.push(Heading {
                    level: heading.level,
                    text,
                    anchor,
                });
            }
            NodeValue::Paragraph
                if out.first_paragraph.is_empty()
                    && node
                        .parent()
                        .is_some_and(|p| matches!(p.data().value, NodeValue::Document)) =>
            {
                out.first_paragraph = source_lines(source, &data.sourcepos).to_string();
            }
            _ => {}
        }
        drop(data);
        if opaque == 0 && !links_only {
            plain_text(node, &mut plain);
        }
    }
    if !links_only {
        out.plain_text = collapse_blank_lines(&plain);
    }
}

/// Appends the prose of one node (text of leaves, breaks between blocks); the caller skips
/// code and raw HTML.
fn plain_text<'a>(node: &'a AstNode<'a>, plain: &mut String) {
    match &node.data().value {
        NodeValue::Text(text) => plain.push_str(text),
        NodeValue::Code(code) => plain.push_str(&code.literal),
        NodeValue::Math(math) => plain.push_str(&math.literal),
        NodeValue::SoftBreak | NodeValue::LineBreak => plain.push(' '),
        NodeValue::Paragraph
        | NodeValue::Heading(_)
        | NodeValue::TableCell
        | NodeValue::Item(_)
            if !plain.is_empty() && !plain.ends_with('\n') =>
        {
            plain.push('\n');
        }
        _ => {}
    }
}

/// Code blocks and raw HTML: their text is not prose.
fn is_opaque(value: &NodeValue) -> bool {
    matches!(
        value,
        NodeValue::CodeBlock(_) | NodeValue::HtmlBlock(_) | NodeValue::HtmlInline(_)
    )
}

/// The text inside a node (inline code and math included), for link text and headings.
pub fn text_of<'a>(node: &'a AstNode<'a>) -> String {
    let mut text = String::new();
    for child in node.descendants().skip(1) {
        match &child.data().value {
            NodeValue::Text(t) => text.push_str(t),
            NodeValue::Code(code) => text.push_str(&code.literal),
            NodeValue::Math(math) => text.push_str(&math.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_string()
}

fn source_lines<'s>(source: &'s str, pos: &Sourcepos) -> &'s str {
    let (first, last) = (pos.start.line.max(1), pos.end.line.max(1));
    let mut start = None;
    let mut end = source.len();
    let mut line = 1;
    for (i, c) in source.char_indices() {
        if line == first && start.is_none() {
            start = Some(i);
        }
        if c == '\n' {
            if line == last {
                end = i;
                break;
            }
            line += 1;
        }
    }
    start.map_or("", |s| source[s..end.max(s)].trim())
}

fn collapse_blank_lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `<a href="…">text</a>` in raw HTML. Linear in the HTML's length: each tag's attributes
/// end at the next `<` or `>`, and a link's text at the next `</a` or `<a` tag.
fn html_links(html: &str, line: u32, out: &mut MarkdownOutput) {
    let lower = html.to_ascii_lowercase();
    let found = start_tags(html, "a");
    let mut closers = lower.match_indices("</a").map(|(i, _)| i).peekable();
    let (mut counted_to, mut newlines) = (0, 0u32);
    for (i, tag) in found.iter().enumerate() {
        newlines += html[counted_to..tag.start].matches('\n').count() as u32;
        counted_to = tag.start;
        let Some(href) = tag.tag.attr("href") else {
            continue;
        };
        let text_start = tag.end + 1;
        while closers.next_if(|c| *c < text_start).is_some() {}
        let text = match (tag.closed, closers.peek()) {
            (true, Some(&closer)) => {
                let next_tag = found.get(i + 1).map_or(html.len(), |t| t.start);
                text_content(&html[text_start..closer.min(next_tag).max(text_start)])
            }
            _ => String::new(),
        };
        out.links.push(BodyLink {
            href,
            text,
            line: line + newlines,
            syntax: LinkSyntax::Html,
        });
    }
}

/// `<img src alt title>` in raw HTML.
fn html_images(html: &str, out: &mut MarkdownOutput) {
    for found in start_tags(html, "img") {
        if let Some(src) = found.tag.attr("src") {
            out.images.push(BodyImage {
                src,
                alt: found.tag.attr("alt"),
                title: found.tag.attr("title"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plainText` and the link graph come from the pass without HTML: it must extract what
    /// the full pass does.
    #[test]
    fn the_pass_without_html_extracts_what_the_full_pass_does() {
        let markdown = "# Intro\n\nFirst *para* with [a link](/blog/x \"t\"), \"quotes\" and <https://auto.example>.\n\n| a | b |\n|---|---|\n| `code` | **bold** |\n\n- [ ] task[^1]\n\n[^1]: A note.\n\n<div>raw <a href=\"/raw\">html</a></div>\n\n```rust\nfn main() {}\n```\n\n> quoted ~~struck~~ $x$\n";
        let full = render_markdown(markdown);
        let outline = outline_markdown(markdown);
        assert!(outline.html.is_empty());
        assert!(full.plain_text.contains("A note."), "{}", full.plain_text);
        assert_eq!(outline.plain_text, full.plain_text);
        assert_eq!(outline.headings, full.headings);
        assert_eq!(outline.links, full.links);
        assert_eq!(outline.images, full.images);
        assert_eq!(outline.first_paragraph, full.first_paragraph);
        assert_eq!(markdown_links(markdown), full.links);
        assert_eq!(full.links.len(), 3, "{:?}", full.links);
    }

    #[test]
    fn one_parse_gives_html_headings_links_images_and_text() {
        let out = render_markdown(
            "# Intro\n\nFirst *para* with [a link](/blog/x \"t\") and <https://auto.example>.\n\n## Intro\n\n![alt text](/img.png \"Title\")\n\n<p><a href=\"https://html.example/\">raw link</a> <img src=\"/raw.png\" alt=\"raw\"></p>\n\n```rust\nfn main() {}\n```\n",
        );
        assert_eq!(
            out.headings
                .iter()
                .map(|h| (h.level, h.anchor.as_str()))
                .collect::<Vec<_>>(),
            [(1, "intro"), (2, "intro-1")]
        );
        assert!(
            out.html.contains("<h1 id=\"intro\">Intro</h1>"),
            "{}",
            out.html
        );
        assert!(out.html.contains("<h2 id=\"intro-1\">"), "{}", out.html);
        let hrefs: Vec<(&str, &str, LinkSyntax)> = out
            .links
            .iter()
            .map(|l| (l.href.as_str(), l.text.as_str(), l.syntax))
            .collect();
        assert_eq!(
            hrefs,
            [
                ("/blog/x", "a link", LinkSyntax::Markdown),
                (
                    "https://auto.example",
                    "https://auto.example",
                    LinkSyntax::Markdown
                ),
                ("https://html.example/", "raw link", LinkSyntax::Html),
            ]
        );
        assert_eq!(out.links[0].line, 3);
        assert_eq!(out.images.len(), 2);
        assert_eq!(out.images[0].alt.as_deref(), Some("alt text"));
        assert_eq!(out.images[0].title.as_deref(), Some("Title"));
        assert_eq!(out.images[1].src, "/raw.png");
        assert!(
            out.plain_text.starts_with("Intro\nFirst para with a link"),
            "{}",
            out.plain_text
        );
        assert!(!out.plain_text.contains("fn main"));
        assert_eq!(
            out.first_paragraph,
            "First *para* with [a link](/blog/x \"t\") and <https://auto.example>."
        );
        assert!(
            out.html.contains("<pre class=\"syntax-highlighting\">"),
            "{}",
            out.html
        );
    }

    #[test]
    fn gfm_alerts_math_footnotes_and_smart_punctuation() {
        let out = render_markdown(
            "> [!TIP]\n> Use a pencil.\n\nInline $x^2$ and \"quotes\" -- dash...\n\nNote[^1].\n\n[^1]: The note.\n",
        );
        assert!(
            out.html
                .contains("<div class=\"markdown-alert markdown-alert-tip\">"),
            "{}",
            out.html
        );
        assert!(
            out.html
                .contains("<span data-math-style=\"inline\">x^2</span>"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("“quotes”") && out.html.contains("–") && out.html.contains("…"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("href=\"#fn-1\"") && out.html.contains("href=\"#fnref-1\""),
            "{}",
            out.html
        );
    }

    #[test]
    fn autolinks_end_at_white_space_and_drop_escapes() {
        let out = render_markdown(
            "See https://e.org/Global\\_Objects/T for more.\n\nVisit https://e.org/p\u{a0}next word.\n",
        );
        assert!(
            out.html.contains("<a href=\"https://e.org/Global_Objects/T\">https://e.org/Global_Objects/T</a> for more."),
            "{}",
            out.html
        );
        assert!(
            out.html
                .contains("<a href=\"https://e.org/p\">https://e.org/p</a>\u{a0}next word."),
            "{}",
            out.html
        );
        assert_eq!(out.links[1].href, "https://e.org/p");
    }

    #[test]
    fn link_and_image_attributes_are_applied() {
        let out = render_markdown(
            "[x](https://e.org \"T\"){target=\"_blank\" onclick=\"x()\"} ![a *b*](/i.png){.wide #pic class=\"icon\"}\n",
        );
        assert!(
            out.html.contains(
                "<a href=\"https://e.org\" title=\"T\" target=\"_blank\">x</a> <img src=\"/i.png\" alt=\"a b\" id=\"pic\" class=\"wide icon\" />"
            ),
            "{}",
            out.html
        );
        assert!(!out.html.contains('{'), "{}", out.html);
    }
}
