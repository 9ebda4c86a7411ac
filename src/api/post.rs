//! `Post` and its connection.

use super::connection::{encode_cursor, PageArgs, PageInfo};
use super::cost::{self, BODY_COST, LINKS_COST};
use super::error::{field_error, ErrorCode};
use super::link_graph::{Link, LinkKind, RelatedPost};
use super::scalars::JsonValue;
use super::tag::TagObject;
use super::Scope;
use crate::graph::{sort_value, Post, PostIdx, PostStatus, SortKey};
use crate::render::{self, ExcerptFormat, TocEntry};
use crate::site::endpoints;
use async_graphql::{Context, Enum, Error, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, FixedOffset};

/// A blog post.
pub struct PostObject<'a> {
    pub(super) scope: Scope<'a>,
    pub(super) idx: PostIdx,
}

impl<'a> PostObject<'a> {
    pub fn new(scope: Scope<'a>, idx: PostIdx) -> Self {
        PostObject { scope, idx }
    }

    fn post(&self) -> &'a Post {
        self.scope.snapshot.post(self.idx)
    }

    /// The adjacent visible post in date order: older when `older`, else newer.
    fn neighbour(&self, same_category: bool, older: bool) -> Option<PostObject<'a>> {
        let order = self.scope.index.newest_first();
        let position = order.iter().position(|p| *p == self.idx)?;
        let category = self.post().doc.categories.first();
        let fits = |p: &&PostIdx| {
            !same_category
                || category
                    .is_some_and(|c| self.scope.snapshot.post(**p).doc.categories.contains(c))
        };
        let found = if older {
            order[position + 1..].iter().find(fits)
        } else {
            order[..position].iter().rev().find(fits)
        };
        found.map(|p| PostObject::new(self.scope, *p))
    }
}

/// A serial number such as `2025.BLG.124`.
#[derive(SimpleObject)]
pub struct SerialNumber {
    /// As written in the front matter.
    pub value: String,
    /// The year part, e.g. 2025.
    pub year: Option<i32>,
    /// The series code, upper-cased, e.g. `BLG`.
    pub series: Option<String>,
    /// The number within the series, e.g. 124.
    pub number: Option<i32>,
}

/// Where else the post was published.
#[derive(SimpleObject)]
pub struct SyndicationLink {
    /// The network, from the front-matter key (`mastodon_social_status_url` → `mastodon_social`).
    pub network: String,
    /// The post's URL on that network.
    pub url: String,
}

/// How text is returned.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// Plain text.
    Plain,
    /// Well-formed HTML.
    Html,
    /// Markdown.
    Markdown,
}

/// A heading of a post.
#[derive(SimpleObject)]
#[graphql(name = "Heading")]
pub struct HeadingObject {
    /// 1..6.
    pub level: i32,
    /// The heading's text, without markup.
    pub text: String,
    /// The `id` of the heading in `html`, unique within the post.
    pub anchor: String,
}

/// An entry of a table of contents.
#[derive(SimpleObject)]
#[graphql(name = "TocEntry")]
pub struct TocEntryObject {
    /// 1..6.
    pub level: i32,
    /// The heading's text, without markup.
    pub text: String,
    /// The `id` of the heading in `html`.
    pub anchor: String,
    /// Deeper headings under this one.
    pub children: Vec<TocEntryObject>,
}

impl From<TocEntry> for TocEntryObject {
    fn from(entry: TocEntry) -> Self {
        TocEntryObject {
            level: i32::from(entry.level),
            text: entry.text,
            anchor: entry.anchor,
            children: entry
                .children
                .into_iter()
                .map(TocEntryObject::from)
                .collect(),
        }
    }
}

/// An image in a post's body.
#[derive(SimpleObject)]
#[graphql(name = "Image")]
pub struct ImageObject {
    /// As written.
    pub src: String,
    /// Alt text, when given.
    pub alt: Option<String>,
    /// Title, when given.
    pub title: Option<String>,
}

/// A post ordering.
#[derive(InputObject, Clone, Copy)]
pub struct PostOrder {
    /// What to sort by.
    pub field: PostOrderField,
    /// Which way.
    pub direction: OrderDirection,
}

/// What posts are sorted by. Ties are broken by date, then slug, so the order is total.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PostOrderField {
    /// Publication date.
    Date,
    /// Title, case-insensitive.
    Title,
    /// Serial number (year, series, number); posts without one come last ascending.
    SerialNumber,
    /// Words in the body.
    WordCount,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrderDirection {
    /// Smallest first (oldest, A→Z, fewest words).
    Asc,
    /// Largest first (newest, Z→A, most words).
    Desc,
}

impl PostOrder {
    /// Newest first.
    pub const DEFAULT: PostOrder = PostOrder {
        field: PostOrderField::Date,
        direction: OrderDirection::Desc,
    };

    pub fn sort_key(self) -> SortKey {
        match self.field {
            PostOrderField::Date => SortKey::Date,
            PostOrderField::Title => SortKey::Title,
            PostOrderField::SerialNumber => SortKey::SerialNumber,
            PostOrderField::WordCount => SortKey::WordCount,
        }
    }

    fn cursor_kind(self) -> &'static str {
        match self.field {
            PostOrderField::Date => "DATE",
            PostOrderField::Title => "TITLE",
            PostOrderField::SerialNumber => "SERIAL_NUMBER",
            PostOrderField::WordCount => "WORD_COUNT",
        }
    }

    fn descending(self) -> bool {
        self.direction == OrderDirection::Desc
    }
}

/// The visible posts in `order` that satisfy `keep`.
pub fn ordered_posts(
    scope: Scope<'_>,
    order: PostOrder,
    keep: impl Fn(PostIdx) -> bool,
) -> Vec<PostIdx> {
    let (list, stored_descending) = scope.index.ordered(order.sort_key());
    let keep = |idx: &PostIdx| keep(*idx);
    if stored_descending == order.descending() {
        list.iter().copied().filter(keep).collect()
    } else {
        list.iter().rev().copied().filter(keep).collect()
    }
}

/// A page of posts.
pub struct PostConnection<'a> {
    scope: Scope<'a>,
    page: Vec<PostIdx>,
    order: PostOrder,
    page_info: PageInfo,
    total_count: usize,
}

impl<'a> PostConnection<'a> {
    /// Pages `posts` (already filtered and in `order`).
    pub fn new(
        scope: Scope<'a>,
        posts: &[PostIdx],
        order: PostOrder,
        args: &PageArgs,
    ) -> Result<Self, Error> {
        let snapshot = &scope.snapshot;
        let key = order.sort_key();
        let page = args.page(posts, order.cursor_kind(), order.descending(), |idx| {
            sort_value(snapshot.post(*idx), key)
        })?;
        let items = posts[page.range].to_vec();
        let cursor = |idx: &PostIdx| {
            encode_cursor(order.cursor_kind(), &sort_value(snapshot.post(*idx), key))
        };
        Ok(PostConnection {
            scope,
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                start_cursor: items.first().map(cursor),
                end_cursor: items.last().map(cursor),
            },
            page: items,
            order,
            total_count: posts.len(),
        })
    }
}

pub struct PostEdge<'a> {
    cursor: String,
    node: PostObject<'a>,
}

/// A post and its cursor.
#[Object(name = "PostEdge")]
impl<'a> PostEdge<'a> {
    /// Pass as `after`/`before` to page from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The post.
    async fn node(&self) -> &PostObject<'a> {
        &self.node
    }
}

/// A page of posts (Relay connection).
#[Object(name = "PostConnection")]
impl<'a> PostConnection<'a> {
    /// The posts of this page with their cursors.
    async fn edges(&self) -> Vec<PostEdge<'a>> {
        let key = self.order.sort_key();
        self.page
            .iter()
            .map(|idx| PostEdge {
                cursor: encode_cursor(
                    self.order.cursor_kind(),
                    &sort_value(self.scope.snapshot.post(*idx), key),
                ),
                node: PostObject::new(self.scope, *idx),
            })
            .collect()
    }

    /// The posts of this page.
    async fn nodes(&self) -> Vec<PostObject<'a>> {
        self.page
            .iter()
            .map(|idx| PostObject::new(self.scope, *idx))
            .collect()
    }

    /// Where this page sits in the whole list.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many posts match, over all pages.
    async fn total_count(&self) -> usize {
        self.total_count
    }
}

/// A blog post: one Markdown file with its front matter.
#[Object(name = "Post")]
impl<'a> PostObject<'a> {
    /// Opaque id, stable for the same source file across restarts and reloads.
    pub async fn id(&self) -> ID {
        ID(self.post().id.clone())
    }

    /// URL-friendly name: front-matter `slug`, else the file name without date and extension
    /// (made unique with `-2`, `-3`, … when two posts share one).
    async fn slug(&self) -> &'a str {
        &self.post().slug
    }

    /// Front-matter title, else derived from the file name.
    async fn title(&self) -> &'a str {
        &self.post().doc.title
    }

    /// Publication date (RFC 3339 with offset).
    async fn date(&self) -> DateTime<FixedOffset> {
        self.post().doc.date
    }

    /// `last_modified_at` / `updated`, when given.
    async fn updated(&self) -> Option<DateTime<FixedOffset>> {
        self.post().doc.updated
    }

    /// Site-relative path as Jekyll would publish it (the `_config.yml` permalink).
    async fn permalink(&self) -> &'a str {
        &self.post().doc.permalink
    }

    /// Absolute URL, when the site's `url` is known.
    async fn url(&self) -> Option<String> {
        let site = &self.scope.snapshot.config.site;
        site.url()?;
        Some(site.absolute(&self.post().doc.permalink))
    }

    /// The post's embed card: a small standalone HTML page (title, excerpt, image, site
    /// name, link) to show in an iframe on another site. Absolute when `_config.yml` has a
    /// `url`.
    async fn embed_url(&self) -> String {
        let site = &self.scope.snapshot.config.site;
        endpoints::output_url(site, &endpoints::embed_path(&self.post().slug))
    }

    /// The oEmbed answer (JSON, type `rich`) for the post, for consumers that embed by oEmbed.
    /// Absolute when `_config.yml` has a `url`.
    async fn oembed_url(&self) -> String {
        let site = &self.scope.snapshot.config.site;
        let url = endpoints::post_url(site, &self.post().doc.permalink);
        endpoints::output_url(site, &endpoints::oembed_path(&url))
    }

    /// Path of the Markdown file, relative to the content root.
    async fn source_path(&self) -> &'a str {
        &self.post().doc.source_path
    }

    /// The revision of the file this version of the post was read from (a hash of its
    /// bytes). Pass it as `ifRevision` to change the post: a mutation refuses, with
    /// `CONFLICT`, when the file has changed since.
    async fn revision(&self) -> &'a str {
        &self.post().doc.revision
    }

    /// Categories: the folders above `_posts` plus front-matter `categories`.
    async fn categories(&self) -> &'a [String] {
        &self.post().doc.categories
    }

    /// Tags, in the order written.
    async fn tags(&self) -> Vec<TagObject<'a>> {
        self.post()
            .tags
            .iter()
            .map(|t| TagObject::new(self.scope, *t))
            .collect()
    }

    /// Front-matter `description`.
    async fn description(&self) -> Option<&'a str> {
        self.post().doc.description.as_deref()
    }

    /// Front-matter `image`.
    async fn image(&self) -> Option<&'a str> {
        self.post().doc.image.as_deref()
    }

    /// Front-matter `serial_number`, e.g. `2025.BLG.124`.
    async fn serial_number(&self) -> Option<SerialNumber> {
        self.post()
            .doc
            .serial_number
            .as_ref()
            .map(|s| SerialNumber {
                value: s.value.clone(),
                year: s.year,
                series: s.series.clone(),
                number: s.number.and_then(|n| i32::try_from(n).ok()),
            })
    }

    /// Front-matter `layout` (after `_config.yml` defaults).
    async fn layout(&self) -> Option<&'a str> {
        self.post().doc.layout.as_deref()
    }

    /// `redirect_from` (jekyll-redirect-from): old paths that lead here.
    async fn aliases(&self) -> &'a [String] {
        &self.post().doc.aliases
    }

    /// Whether the post is in a `_drafts` folder.
    async fn draft(&self) -> bool {
        self.post().status == PostStatus::Draft
    }

    /// Front matter `toc: true`.
    async fn has_toc(&self) -> bool {
        self.post().doc.has_toc
    }

    /// `*_status_url` and `syndication` keys; `false` and empty values skipped.
    async fn syndication(&self) -> Vec<SyndicationLink> {
        self.post()
            .doc
            .syndication
            .iter()
            .map(|s| SyndicationLink {
                network: s.network.clone(),
                url: s.url.clone(),
            })
            .collect()
    }

    /// Every key of the file's front matter, as parsed, in written order.
    async fn front_matter(&self) -> JsonValue {
        JsonValue(serde_json::Value::Object(
            self.post().doc.front_matter.clone(),
        ))
    }

    /// The body as written, front matter removed.
    #[graphql(complexity = "BODY_COST")]
    async fn markdown(&self, ctx: &Context<'_>) -> Result<&'a str, Error> {
        let body = &self.post().doc.body;
        cost::charge(ctx, body.len())?;
        Ok(body)
    }

    /// The body rendered to HTML as the Jekyll site shows it: Liquid, kramdown attribute
    /// lists and wiki links resolved; GitHub-flavoured Markdown with alerts, footnotes, math
    /// markup for KaTeX, heading ids and highlighted code (CSS classes, see
    /// `/highlight.css`). Raw HTML is kept; `sanitize: true` gives a copy that is safe to
    /// embed on another site (no scripts, styles, handlers or forms; iframes only from an
    /// allow-list; external links `rel="noopener nofollow"`).
    #[graphql(complexity = "BODY_COST")]
    async fn html(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] sanitize: Option<bool>,
    ) -> Result<String, Error> {
        cost::check(ctx)?;
        let served = self.scope.served;
        if sanitize.unwrap_or(false) {
            let clean = served.sanitized_html(self.idx);
            cost::charge(ctx, clean.len())?;
            return Ok(clean.to_string());
        }
        let rendered = served.rendered(self.idx);
        cost::charge(ctx, rendered.html.len())?;
        Ok(rendered.html.unpack())
    }

    /// Jekyll's excerpt: up to the excerpt separator (front matter, `_config.yml`, or
    /// `<!--more-->`), else the first paragraph; then cut at `words` on a word boundary.
    /// HTML excerpts are well-formed.
    #[graphql(complexity = "cost::excerpt_cost(words, format)")]
    async fn excerpt(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(55)")] words: Option<i32>,
        #[graphql(default_with = "Some(TextFormat::Plain)")] format: Option<TextFormat>,
    ) -> Result<String, Error> {
        let words = words.unwrap_or(55);
        if words < 0 {
            return Err(field_error(
                ErrorCode::BadUserInput,
                format!("`words` is {words}, but must not be negative"),
            ));
        }
        let format = match format.unwrap_or(TextFormat::Plain) {
            TextFormat::Plain => ExcerptFormat::Plain,
            TextFormat::Html => ExcerptFormat::Html,
            TextFormat::Markdown => ExcerptFormat::Markdown,
        };
        cost::check(ctx)?;
        let rendered = self.scope.served.rendered(self.idx);
        let excerpt = render::excerpt(&rendered.excerpt_source, words as usize, format);
        cost::charge(ctx, excerpt.len())?;
        Ok(excerpt)
    }

    /// The body as plain text: no markup, code blocks or raw HTML.
    #[graphql(complexity = "BODY_COST")]
    async fn plain_text(&self, ctx: &Context<'_>) -> Result<String, Error> {
        cost::check(ctx)?;
        let text = self.scope.served.plain_text(self.idx);
        cost::charge(ctx, text.len())?;
        Ok(text)
    }

    /// Headings in document order, with their anchors (unique within the post).
    async fn headings(&self) -> Vec<HeadingObject> {
        self.scope
            .served
            .rendered(self.idx)
            .headings
            .iter()
            .map(|h| HeadingObject {
                level: i32::from(h.level),
                text: h.text.clone(),
                anchor: h.anchor.clone(),
            })
            .collect()
    }

    /// Headings nested by level, down to `maxDepth`.
    async fn table_of_contents(
        &self,
        #[graphql(default_with = "Some(3)")] max_depth: Option<i32>,
    ) -> Vec<TocEntryObject> {
        let depth = max_depth.unwrap_or(3).clamp(1, 6) as u8;
        let rendered = self.scope.served.rendered(self.idx);
        render::table_of_contents(&rendered.headings, depth)
            .into_iter()
            .map(TocEntryObject::from)
            .collect()
    }

    /// Reading time at 265 words per minute, at least 1.
    async fn reading_time_minutes(&self) -> u32 {
        render::reading_time_minutes(self.post().word_count)
    }

    /// Images in the body (Markdown and raw HTML), with alt text and title.
    async fn images(&self) -> Vec<ImageObject> {
        self.scope
            .served
            .rendered(self.idx)
            .images
            .iter()
            .map(|i| ImageObject {
                src: i.src.clone(),
                alt: i.alt.clone(),
                title: i.title.clone(),
            })
            .collect()
    }

    /// Links in the body (images excluded), in document order, optionally of one kind.
    #[graphql(complexity = "LINKS_COST + child_complexity")]
    async fn links(&self, kind: Option<LinkKind>) -> Vec<Link<'a>> {
        let wanted = kind.map(crate::links::LinkKind::from);
        self.scope
            .links()
            .links(self.idx)
            .iter()
            .filter(|l| wanted.is_none_or(|k| l.kind == k))
            .map(|link| Link {
                scope: self.scope,
                link,
            })
            .collect()
    }

    /// Visible posts that link here, newest first.
    #[graphql(complexity = "LINKS_COST + super::query::page_cost(first, None, child_complexity)")]
    async fn backlinks(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PostConnection<'a>, Error> {
        let sources = self.scope.links().backlinks(self.idx);
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        PostConnection::new(self.scope, sources, PostOrder::DEFAULT, &args)
    }

    /// The most related visible posts, best first: shared tags weighted by rarity, a bonus
    /// for a direct link either way, a little for nearby dates, and with `similarText` how
    /// alike the posts' words are. Each says why (`reasons`).
    #[graphql(
        complexity = "LINKS_COST + (first.unwrap_or(5).max(0) as usize).saturating_mul(child_complexity) + 1"
    )]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many (0..100).", default_with = "Some(5)")] first: Option<i32>,
        #[graphql(
            desc = "Also rank by how alike the posts' words are (from the search index): posts\nwith similar text qualify on that alone, with a SIMILAR_TEXT reason. While the\nindex is being built (`search` answers `status: INDEXING`) the answer leaves similar\ntext out, and is sent with `Cache-Control: no-store`.",
            default_with = "Some(false)"
        )]
        similar_text: Option<bool>,
    ) -> Result<Vec<RelatedPost<'a>>, Error> {
        let first = first.unwrap_or(5);
        if !(0..=crate::links::MAX_RELATED as i32).contains(&first) {
            return Err(field_error(
                ErrorCode::InvalidPageSize,
                format!(
                    "`first` is {first}, but must be 0..{}",
                    crate::links::MAX_RELATED
                ),
            ));
        }
        let scope = self.scope;
        let (related, last_word) =
            scope
                .served
                .related(scope.audience, self.idx, similar_text.unwrap_or(false));
        if !last_word {
            // Not this version's answer yet: caches must not keep it.
            ctx.insert_http_header("cache-control", "no-store");
        }
        Ok(related
            .iter()
            .take(first as usize)
            .map(|r| RelatedPost {
                scope,
                of: self.idx,
                related: r.clone(),
            })
            .collect())
    }

    /// The next older visible post (with `sameCategory`, the next older one sharing this
    /// post's first category).
    async fn previous(
        &self,
        #[graphql(default_with = "Some(false)")] same_category: Option<bool>,
    ) -> Option<PostObject<'a>> {
        self.neighbour(same_category.unwrap_or(false), true)
    }

    /// The next newer visible post (with `sameCategory`, the next newer one sharing this
    /// post's first category).
    async fn next(
        &self,
        #[graphql(default_with = "Some(false)")] same_category: Option<bool>,
    ) -> Option<PostObject<'a>> {
        self.neighbour(same_category.unwrap_or(false), false)
    }

    /// Words of prose in the body (code, HTML and link targets not counted).
    async fn word_count(&self) -> u32 {
        self.post().word_count
    }
}
