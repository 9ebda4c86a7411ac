//! `Post` and its connection.

use super::connection::{encode_cursor, PageArgs, PageInfo};
use super::tag::TagObject;
use super::Scope;
use crate::graph::{sort_value, Post, PostIdx, PostStatus, SortKey};
use crate::render::{self, cache::Variant};
use async_graphql::{Enum, Error, InputObject, Json, Object, SimpleObject, ID};
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
        &self.post().doc.slug
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
        let site = self.scope.snapshot.config.site_url()?;
        Some(format!("{site}{}", self.post().doc.permalink))
    }

    /// Path of the Markdown file, relative to the content root.
    async fn source_path(&self) -> &'a str {
        &self.post().doc.source_path
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
    async fn front_matter(&self) -> Json<serde_json::Value> {
        Json(serde_json::Value::Object(
            self.post().doc.front_matter.clone(),
        ))
    }

    /// The body as written, front matter removed.
    async fn markdown(&self) -> &'a str {
        &self.post().doc.body
    }

    /// The body rendered to HTML (GitHub-flavoured Markdown; raw HTML kept).
    async fn html(&self) -> String {
        let body = &self.post().doc.body;
        let html = self
            .scope
            .renders
            .get_or_render(self.idx, Variant::Html, || {
                render::markdown_to_html_string(body)
            });
        html.to_string()
    }

    /// Words in the body.
    async fn word_count(&self) -> u32 {
        self.post().word_count
    }
}
