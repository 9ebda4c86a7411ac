//! `Tag`, tag listings and the tag cloud.

use super::connection::{encode_cursor, PageArgs, PageInfo};
use super::error::{field_error, ErrorCode};
use super::filter::members;
use super::link_graph::TagCooccurrence;
use super::post::{ordered_posts, OrderDirection, PostConnection, PostOrder};
use super::Scope;
use crate::graph::{PostIdx, TagIdx};
use async_graphql::{Enum, Error, InputObject, Object, ID};

/// A tag. Tags are case-insensitive: `AI` and `ai` are one tag.
pub struct TagObject<'a> {
    scope: Scope<'a>,
    idx: TagIdx,
}

impl<'a> TagObject<'a> {
    pub fn new(scope: Scope<'a>, idx: TagIdx) -> Self {
        TagObject { scope, idx }
    }
}

/// A tag. Tags are case-insensitive: `AI` and `ai` are one tag, named by its most frequent
/// spelling.
#[Object(name = "Tag")]
impl<'a> TagObject<'a> {
    /// Opaque id, stable for the same slug.
    pub async fn id(&self) -> ID {
        ID(self.scope.tag(self.idx).id.clone())
    }

    /// Lower case, spaces as `-`.
    async fn slug(&self) -> &'a str {
        &self.scope.tag(self.idx).slug
    }

    /// The most frequent spelling across posts.
    async fn name(&self) -> &'a str {
        &self.scope.tag(self.idx).name
    }

    /// Number of visible posts with this tag.
    async fn post_count(&self) -> usize {
        self.scope.index.tag_posts(self.idx).len()
    }

    /// The tag's posts (newest first unless `orderBy` says otherwise).
    #[graphql(complexity = "super::query::page_cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<PostOrder>,
    ) -> Result<PostConnection<'a>, Error> {
        let order = order_by.unwrap_or(PostOrder::DEFAULT);
        let tagged = members(
            self.scope.snapshot.posts.len(),
            self.scope.index.tag_posts(self.idx),
        );
        let posts = ordered_posts(self.scope, order, |p| tagged[p as usize]);
        PostConnection::new(
            self.scope,
            &posts,
            order,
            &PageArgs {
                first,
                after,
                last,
                before,
            },
        )
    }

    /// Tags that appear on the same visible posts, most shared first.
    async fn related(
        &self,
        #[graphql(default_with = "Some(10)")] first: Option<i32>,
    ) -> Vec<TagCooccurrence<'a>> {
        let first = first.unwrap_or(10).max(0) as usize;
        crate::links::LinkGraph::tag_cooccurrence(*self.scope, self.idx)
            .into_iter()
            .take(first)
            .map(|(tag, count)| TagCooccurrence {
                scope: self.scope,
                tag,
                count,
            })
            .collect()
    }
}

/// A tag ordering.
#[derive(InputObject, Clone, Copy)]
pub struct TagOrder {
    /// What to sort by.
    pub field: TagOrderField,
    /// Which way.
    pub direction: OrderDirection,
}

/// What tags are sorted by; ties by slug.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TagOrderField {
    /// Number of visible posts.
    Count,
    /// Name, case-insensitive.
    Name,
}

/// Sort key of a tag in one ordering; ascending order of this key is the requested order.
type TagKey = (i64, String, String);

fn tag_key(scope: &Scope<'_>, idx: TagIdx, order: TagOrder) -> TagKey {
    let tag = scope.tag(idx);
    let count = scope.index.tag_posts(idx).len() as i64;
    let desc = order.direction == OrderDirection::Desc;
    match order.field {
        TagOrderField::Count => (
            if desc { -count } else { count },
            String::new(),
            tag.slug.clone(),
        ),
        TagOrderField::Name => (0, tag.name_key.clone(), tag.slug.clone()),
    }
}

fn tag_cursor_kind(order: TagOrder) -> &'static str {
    match (order.field, order.direction) {
        (TagOrderField::Count, OrderDirection::Desc) => "TAG_COUNT_DESC",
        (TagOrderField::Count, OrderDirection::Asc) => "TAG_COUNT_ASC",
        (TagOrderField::Name, OrderDirection::Desc) => "TAG_NAME_DESC",
        (TagOrderField::Name, OrderDirection::Asc) => "TAG_NAME_ASC",
    }
}

/// A page of tags.
pub struct TagConnection<'a> {
    scope: Scope<'a>,
    page: Vec<(TagIdx, String)>,
    page_info: PageInfo,
    total_count: usize,
}

impl<'a> TagConnection<'a> {
    pub fn new(scope: Scope<'a>, order: Option<TagOrder>, args: &PageArgs) -> Result<Self, Error> {
        let order = order.unwrap_or(TagOrder {
            field: TagOrderField::Count,
            direction: OrderDirection::Desc,
        });
        let mut tags: Vec<TagIdx> = scope.index.tags_by_count().to_vec();
        tags.sort_by_cached_key(|t| tag_key(&scope, *t, order));
        let name_desc =
            order.field == TagOrderField::Name && order.direction == OrderDirection::Desc;
        if name_desc {
            tags.reverse();
        }
        let kind = tag_cursor_kind(order);
        let page = args.page(&tags, kind, name_desc, |t| tag_key(&scope, *t, order))?;
        let items: Vec<(TagIdx, String)> = tags[page.range]
            .iter()
            .map(|t| (*t, encode_cursor(kind, &tag_key(&scope, *t, order))))
            .collect();
        Ok(TagConnection {
            scope,
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                start_cursor: items.first().map(|(_, c)| c.clone()),
                end_cursor: items.last().map(|(_, c)| c.clone()),
            },
            page: items,
            total_count: tags.len(),
        })
    }
}

pub struct TagEdge<'a> {
    cursor: String,
    node: TagObject<'a>,
}

/// A tag and its cursor.
#[Object(name = "TagEdge")]
impl<'a> TagEdge<'a> {
    /// Pass as `after` to page from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The tag.
    async fn node(&self) -> &TagObject<'a> {
        &self.node
    }
}

/// A page of tags (Relay connection).
#[Object(name = "TagConnection")]
impl<'a> TagConnection<'a> {
    /// The tags of this page with their cursors.
    async fn edges(&self) -> Vec<TagEdge<'a>> {
        self.page
            .iter()
            .map(|(t, cursor)| TagEdge {
                cursor: cursor.clone(),
                node: TagObject::new(self.scope, *t),
            })
            .collect()
    }

    /// The tags of this page.
    async fn nodes(&self) -> Vec<TagObject<'a>> {
        self.page
            .iter()
            .map(|(t, _)| TagObject::new(self.scope, *t))
            .collect()
    }

    /// Where this page sits in the whole list.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// Tags with at least one visible post.
    async fn total_count(&self) -> usize {
        self.total_count
    }
}

pub struct TagCloudEntry<'a> {
    tag: TagObject<'a>,
    count: usize,
    weight: f64,
    level: i32,
}

/// One tag of a tag cloud, sized for display.
#[Object(name = "TagCloudEntry")]
impl<'a> TagCloudEntry<'a> {
    /// The tag itself.
    async fn tag(&self) -> &TagObject<'a> {
        &self.tag
    }

    /// The tag's name.
    async fn name(&self) -> &'a str {
        &self.tag.scope.tag(self.tag.idx).name
    }

    /// The tag's slug.
    async fn slug(&self) -> &'a str {
        &self.tag.scope.tag(self.tag.idx).slug
    }

    /// Posts with this tag (among the cloud's posts).
    async fn count(&self) -> usize {
        self.count
    }

    /// count / the largest count in the cloud: (0, 1].
    async fn weight(&self) -> f64 {
        self.weight
    }

    /// 1..levels on a logarithmic scale of count, for font sizes.
    async fn level(&self) -> i32 {
        self.level
    }
}

/// Tag counts over `posts` (or over all visible posts when `None`), then the most used
/// `limit` tags with at least `min_count` posts, weighted and levelled.
pub fn tag_cloud<'a>(
    scope: Scope<'a>,
    posts: Option<&[PostIdx]>,
    limit: i32,
    min_count: i32,
    levels: i32,
) -> Result<Vec<TagCloudEntry<'a>>, Error> {
    if levels < 1 {
        return Err(field_error(
            ErrorCode::BadUserInput,
            format!("`levels` is {levels}, but must be at least 1"),
        ));
    }
    if limit < 0 {
        return Err(field_error(
            ErrorCode::BadUserInput,
            format!("`limit` is {limit}, but must not be negative"),
        ));
    }
    let snapshot = &scope.snapshot;
    let mut counts: Vec<(TagIdx, usize)> = match posts {
        None => scope
            .index
            .tags_by_count()
            .iter()
            .map(|t| (*t, scope.index.tag_posts(*t).len()))
            .collect(),
        Some(posts) => {
            let mut per_tag = vec![0usize; snapshot.tags.len()];
            for p in posts {
                for t in &snapshot.post(*p).tags {
                    per_tag[*t as usize] += 1;
                }
            }
            per_tag
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| (t as TagIdx, n))
                .collect()
        }
    };
    counts.retain(|(_, n)| *n as i64 >= i64::from(min_count.max(1)));
    // Most used first, then by name; only the first `limit` need sorting.
    let order = |a: &(TagIdx, usize), b: &(TagIdx, usize)| {
        b.1.cmp(&a.1)
            .then_with(|| scope.tag(a.0).name_key.cmp(&scope.tag(b.0).name_key))
    };
    let limit = limit as usize;
    if limit < counts.len() {
        counts.select_nth_unstable_by(limit, order);
        counts.truncate(limit);
    }
    counts.sort_by(order);
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(1);
    let min = counts.iter().map(|(_, n)| *n).min().unwrap_or(1);
    Ok(counts
        .into_iter()
        .map(|(t, count)| TagCloudEntry {
            tag: TagObject::new(scope, t),
            count,
            weight: count as f64 / max as f64,
            level: cloud_level(count, min, max, levels),
        })
        .collect())
}

/// Level 1..levels by where `count` falls between `min` and `max` on a log scale.
pub fn cloud_level(count: usize, min: usize, max: usize, levels: i32) -> i32 {
    if max <= min {
        return levels;
    }
    let span = (max as f64).ln() - (min as f64).ln();
    let position = ((count as f64).ln() - (min as f64).ln()) / span;
    1 + (position * f64::from(levels - 1)).round() as i32
}

#[cfg(test)]
mod tests {
    use super::cloud_level;

    #[test]
    fn levels_follow_a_log_scale() {
        assert_eq!(cloud_level(1, 1, 100, 5), 1);
        assert_eq!(cloud_level(100, 1, 100, 5), 5);
        assert_eq!(cloud_level(10, 1, 100, 5), 3);
        assert_eq!(cloud_level(4, 4, 4, 5), 5);
        assert_eq!(cloud_level(7, 1, 7, 1), 1);
    }
}
