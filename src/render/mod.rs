//! Rendering posts: Jekyll's Liquid pass, kramdown and wiki-link compatibility, then one
//! Markdown pass (comrak) that gives HTML, headings, links, images and text together.
//! Results are cached per post for one served version (`site::Renderings`).

pub mod excerpt;
pub mod highlight;
mod html_bounds;
pub mod kramdown;
pub mod liquid;
pub mod markdown;
mod prose;
mod quotes;
pub mod sanitize;
mod site_links;
pub mod toc;
pub mod wiki;

pub use excerpt::{excerpt, ExcerptFormat};
pub use markdown::{BodyImage, BodyLink, Heading, LinkSyntax};
pub use site_links::{LinkLookup, Lookups, SiteLinkIndex};
pub use toc::{table_of_contents, TocEntry};

use crate::diagnostic::Diagnostic;
use crate::graph::{PostIdx, Snapshot};
use crate::source::Layout;
use crate::text::packed::PackedText;
use liquid::JekyllLiquid;
use sanitize::{SanitizePolicy, Sanitizer};
use std::sync::Arc;

/// Words per minute for reading time.
pub const WORDS_PER_MINUTE: u32 = 265;

/// Everything rendered from one post.
#[derive(Debug, Clone, Default)]
pub struct RenderedPost {
    /// Kept compressed: every post's rendering is held for the version's life, and read a
    /// few at a time.
    pub html: PackedText,
    pub headings: Vec<Heading>,
    /// The body's links (shared with the link graph's build, see [`Renderer::links`]).
    pub links: Arc<PostLinks>,
    pub images: Vec<BodyImage>,
    /// The Markdown the excerpt is cut from: up to the excerpt separator, else the first
    /// paragraph.
    pub excerpt_source: String,
    /// Problems found while rendering (Liquid, wiki links), located in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// What the rendering looked up about other posts (`post_url`, `link`, wiki links) and
    /// the answers: a later snapshot may keep this rendering when it answers them alike.
    pub lookups: Lookups,
}

/// A post's links, as its rendering finds them (see [`Renderer::links`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostLinks {
    /// Links (images excluded) in document order.
    pub links: Vec<BodyLink>,
    /// Wiki links that matched no post, as written, with their file line.
    pub unresolved_wiki_links: Vec<(String, Option<u32>)>,
}

/// A post's body ready for the Markdown pass.
struct Prepared {
    body: String,
    unresolved_wiki_links: Vec<(String, Option<u32>)>,
    diagnostics: Vec<Diagnostic>,
}

/// Reading time of `words` at [`WORDS_PER_MINUTE`], at least one minute.
pub fn reading_time_minutes(words: u32) -> u32 {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}

/// Renders the posts of one snapshot: holds what is built once per snapshot (link lookups,
/// the Liquid engine).
pub struct Renderer {
    links: Arc<SiteLinkIndex>,
    /// Jekyll sites only: plain folders are not Liquid-processed.
    liquid: Option<JekyllLiquid>,
    /// Whether the site uses wiki links ([`uses_wiki_links`]); otherwise `[[…]]` is text.
    wiki: bool,
    sanitizer: Sanitizer,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Renderer {
    pub fn new(snapshot: &Snapshot) -> Renderer {
        let policy = SanitizePolicy {
            site: snapshot.config.site.clone(),
            ..SanitizePolicy::default()
        };
        let links = Arc::new(SiteLinkIndex::new(snapshot));
        let config = &snapshot.config;
        let liquid = (snapshot.layout == Layout::Jekyll).then(|| {
            let includes = snapshot.root.join("_includes");
            JekyllLiquid::new(
                &config.data,
                &config.site,
                includes.is_dir().then_some(includes),
                links.clone(),
            )
        });
        let wiki = uses_wiki_links(snapshot, &links);
        Renderer {
            links,
            liquid,
            wiki,
            sanitizer: Sanitizer::new(policy),
        }
    }

    /// Whether renderings made by `previous` may come out the same from this renderer, for
    /// the same post: both read `[[…]]` alike; each rendering then also needs
    /// [`answers_alike`](Self::answers_alike).
    pub fn can_reuse_renderings_of(&self, previous: &Renderer) -> bool {
        previous.wiki == self.wiki
    }

    /// Whether this renderer answers every lookup `rendered` made as it was answered then.
    pub fn answers_alike(&self, rendered: &RenderedPost) -> bool {
        self.links.answers_alike(&rendered.lookups)
    }

    /// The `html(sanitize: true)` variant of rendered HTML.
    pub fn sanitize(&self, html: &str) -> String {
        self.sanitizer.clean(html)
    }

    /// Renders one post: Liquid (Jekyll sites), kramdown attribute lists, wiki links, then
    /// the Markdown pass.
    pub fn render(&self, snapshot: &Snapshot, idx: PostIdx) -> RenderedPost {
        let (mut rendered, lookups) =
            site_links::recording(|| self.render_unrecorded(snapshot, idx));
        rendered.lookups = lookups;
        rendered
    }

    /// The Markdown a post's body becomes before the Markdown pass: Liquid (Jekyll sites),
    /// kramdown attribute lists and HTML blocks, wiki links; with the problems found.
    fn prepare(&self, snapshot: &Snapshot, idx: PostIdx) -> Prepared {
        let post = snapshot.post(idx);
        let doc = &post.doc;
        let mut diagnostics = Vec::new();
        let wants_liquid = doc
            .field("render_with_liquid")
            .and_then(crate::corpus::values::boolean)
            .unwrap_or(true);
        let body = match &self.liquid {
            Some(liquid) if wants_liquid && liquid::has_liquid(&doc.body) => {
                let output = liquid.render(
                    &doc.body,
                    &page_variables(snapshot, idx),
                    &doc.source_path,
                    doc.body_line,
                );
                diagnostics.extend(output.diagnostics);
                output.text
            }
            _ => doc.body.clone(),
        };
        let body = kramdown::rewrite_attribute_lists(&body);
        let body = kramdown::end_html_blocks_like_kramdown(&body).into_owned();
        let (body, unresolved) = if self.wiki {
            wiki::rewrite_wiki_links(&body, self.links.as_ref())
        } else {
            (body, Vec::new())
        };
        let mut unresolved_wiki_links = Vec::new();
        let written: Vec<&str> = unresolved.iter().map(|l| l.written.as_str()).collect();
        let lines = lines_of(&doc.body, &written);
        for (link, line) in unresolved.iter().zip(lines) {
            let line = line.map(|l| doc.body_line + l - 1);
            unresolved_wiki_links.push((link.written.clone(), line));
            let mut d = Diagnostic::warning(
                &doc.source_path,
                format!(
                    "wiki link {} matches no post; rendered as plain text",
                    link.written
                ),
            );
            if let Some(line) = line {
                d = d.at(line, None);
            }
            diagnostics.push(d);
        }
        Prepared {
            body,
            unresolved_wiki_links,
            diagnostics,
        }
    }

    /// A post's links as its rendering finds them ([`RenderedPost::links`] and
    /// [`RenderedPost::unresolved_wiki_links`] of [`render`](Self::render)), from the same
    /// Liquid, wiki-link and Markdown passes but without writing (and highlighting) the
    /// HTML or collecting anything but links: what the link graph needs, in a fraction of a
    /// rendering's time.
    pub fn links(&self, snapshot: &Snapshot, idx: PostIdx) -> PostLinks {
        let prepared = self.prepare(snapshot, idx);
        PostLinks {
            links: markdown::markdown_links(&prepared.body),
            unresolved_wiki_links: prepared.unresolved_wiki_links,
        }
    }

    /// A post's prose as plain text: the `plain_text` of [`render`](Self::render)'s Markdown
    /// pass, from the same Liquid, wiki-link and Markdown passes without the HTML. Not part of
    /// [`RenderedPost`]: few requests ask for it, and holding it for every post cost as much
    /// memory as half the HTML (see [`crate::site::ServedSite::plain_text`]).
    pub fn plain_text(&self, snapshot: &Snapshot, idx: PostIdx) -> String {
        let prepared = self.prepare(snapshot, idx);
        markdown::outline_markdown(&prepared.body).plain_text
    }

    fn render_unrecorded(&self, snapshot: &Snapshot, idx: PostIdx) -> RenderedPost {
        let doc = &snapshot.post(idx).doc;
        let Prepared {
            body,
            unresolved_wiki_links,
            mut diagnostics,
        } = self.prepare(snapshot, idx);
        let out = markdown::render_markdown(&body);
        let mut html = out.html;
        if html.contains(kramdown::TOC_MARKER) {
            let toc = toc::toc_html(&table_of_contents(&out.headings, 6));
            html = html.replace(kramdown::TOC_MARKER, &toc);
        }
        let (_, bounded) = html_bounds::bound_for_parser(&html);
        if bounded.unwrapped > 0 {
            diagnostics.push(Diagnostic::warning(
                &doc.source_path,
                format!(
                    "the post's HTML nests elements more than {} deep (blockquotes, lists, emphasis or raw HTML); `html(sanitize: true)` leaves out the {} deeper start tags",
                    html_bounds::MAX_NESTING,
                    bounded.unwrapped
                ),
            ));
        }
        let separators = [
            doc.excerpt_separator.as_deref(),
            Some(snapshot.config.excerpt_separator.as_str()),
            Some("<!--more-->"),
        ];
        let excerpt_source = separators
            .into_iter()
            .flatten()
            .filter(|s| {
                !s.is_empty() && *s != crate::corpus::site_config::DEFAULT_EXCERPT_SEPARATOR
            })
            .find_map(|s| body.find(s).map(|i| body[..i].trim().to_string()))
            .unwrap_or(out.first_paragraph);
        RenderedPost {
            html: PackedText::new(&html),
            headings: out.headings,
            links: Arc::new(PostLinks {
                links: out.links,
                unresolved_wiki_links,
            }),
            images: out.images,
            excerpt_source,
            diagnostics,
            lookups: Lookups::new(),
        }
    }
}

/// Whether the site uses wiki links: a plain folder of Markdown (notes apps write them), or a
/// Jekyll site where some public post has one that leads somewhere (names a post, carries a
/// URL or is a theme's wrapping form). Jekyll without a wiki-link plugin shows `[[…]]` as
/// written, and so does inkgraph for such a site; the check reads only posts holding `[[`.
fn uses_wiki_links(snapshot: &Snapshot, links: &SiteLinkIndex) -> bool {
    snapshot.layout != Layout::Jekyll
        || snapshot
            .index
            .newest_first()
            .iter()
            .any(|&idx| wiki::has_working_wiki_link(&snapshot.post(idx).doc.body, links))
}

/// Liquid's `page`: the front matter over `_config.yml` defaults, plus the fields Jekyll
/// adds.
fn page_variables(snapshot: &Snapshot, idx: PostIdx) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let post = snapshot.post(idx);
    let doc = &post.doc;
    let mut page = doc.data();
    let mut set = |key: &str, value: Value| {
        page.insert(key.to_string(), value);
    };
    set("title", Value::String(doc.title.clone()));
    set("date", Value::String(doc.date.to_rfc3339()));
    set(
        "url",
        Value::String(snapshot.config.site.relative(&doc.permalink)),
    );
    set("slug", Value::String(post.slug.clone()));
    set("path", Value::String(doc.source_path.clone()));
    set("id", Value::String(doc.permalink.clone()));
    set("categories", Value::from(doc.categories.clone()));
    set("tags", Value::from(page_tag_names(snapshot, idx)));
    if let Some(description) = &doc.description {
        set("description", Value::String(description.clone()));
    }
    page
}

/// A post's tag names as its rendering (`page.tags`) spells them: as the audience it is
/// rendered for sees them ([`Snapshot::audience_of`]), so a public post's HTML never depends
/// on how hidden posts spell a tag.
pub fn page_tag_names(snapshot: &Snapshot, idx: PostIdx) -> Vec<String> {
    let view = snapshot.view(snapshot.audience_of(idx));
    snapshot
        .post(idx)
        .tags
        .iter()
        .map(|t| view.tag(*t).name.clone())
        .collect()
}

impl liquid::SiteLinks for SiteLinkIndex {
    fn post_url(&self, name: &str) -> Option<String> {
        SiteLinkIndex::post_url(self, name)
    }

    fn link(&self, path: &str) -> Option<String> {
        SiteLinkIndex::link(self, path)
    }
}

/// 1-based line of the first occurrence of each of `needles` in `text`, in one pass over
/// `text` (thousands of wiki links in a post must not mean thousands of searches).
fn lines_of(text: &str, needles: &[&str]) -> Vec<Option<u32>> {
    let mut distinct: Vec<&str> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let slots: Vec<usize> = needles
        .iter()
        .map(|n| {
            *index.entry(n).or_insert_with(|| {
                distinct.push(n);
                distinct.len() - 1
            })
        })
        .collect();
    if distinct.is_empty() {
        return Vec::new();
    }
    let Ok(automaton) = aho_corasick::AhoCorasick::new(&distinct) else {
        return vec![None; needles.len()];
    };
    let mut first: Vec<Option<usize>> = vec![None; distinct.len()];
    let mut missing = distinct.len();
    // Matches come by end; for one needle the first to end is the first to start.
    for found in automaton.find_overlapping_iter(text) {
        let slot = &mut first[found.pattern().as_usize()];
        if slot.is_none() {
            *slot = Some(found.start());
            missing -= 1;
            if missing == 0 {
                break;
            }
        }
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    slots
        .into_iter()
        .map(|slot| {
            first[slot].map(|at| line_starts.partition_point(|line_start| *line_start <= at) as u32)
        })
        .collect()
}

/// Renders Markdown with the post options, without any site context (for tools and tests).
pub fn markdown_to_html_string(markdown: &str) -> String {
    markdown::render_markdown(markdown).html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_finds_the_first_occurrence_of_each_needle() {
        let text = "a [[x]]\nb\n[[y]] [[x]]\n[[[y]]";
        assert_eq!(
            lines_of(text, &["[[x]]", "[[y]]", "[[z]]", "[[x]]", "[[[y]]"]),
            [Some(1), Some(3), None, Some(1), Some(4)]
        );
        assert!(lines_of(text, &[]).is_empty());
    }
}
