//! `PostFilter`: which posts a query is about. Fields combine by AND; `or` and `not` nest.

use super::error::{field_error, ErrorCode};
use crate::graph::{tag_slug, Post, PostIdx, Snapshot, TagIdx, View};
use aho_corasick::AhoCorasick;
use async_graphql::{Error, InputObject};
use chrono::{DateTime, Datelike, FixedOffset};

/// Selects posts. Every field given must match (AND); `or` needs one of its sub-filters to
/// match, `not` needs its sub-filter not to match.
#[derive(Debug, Clone, Default, InputObject)]
pub struct PostFilter {
    /// Posts with every one of these tags (slug or name, case-insensitive). An unknown tag
    /// matches nothing.
    pub tags: Option<Vec<String>>,
    /// Posts with at least one of these tags.
    pub any_tags: Option<Vec<String>>,
    /// Posts with none of these tags.
    pub exclude_tags: Option<Vec<String>>,
    /// Posts in this category (case-insensitive), e.g. `blog`.
    pub category: Option<String>,
    /// Posts whose serial number is in this series, e.g. `BLG` (case-insensitive).
    pub series: Option<String>,
    /// Posts with (true) or without (false) a serial number.
    pub has_serial_number: Option<bool>,
    /// Posts from this year (on the site's clock).
    pub year: Option<i32>,
    /// Posts from this month, 1..12 (with `year`, or in any year).
    pub month: Option<i32>,
    /// Posts dated at or after this instant.
    pub since: Option<DateTime<FixedOffset>>,
    /// Posts dated before this instant.
    pub until: Option<DateTime<FixedOffset>>,
    /// Case-insensitive text in the title, description or body.
    pub text: Option<String>,
    /// Any of these sub-filters (combined with the fields above by AND).
    pub or: Option<Vec<PostFilter>>,
    /// None of this.
    pub not: Option<Box<PostFilter>>,
}

/// A filter with tag names resolved against one snapshot.
#[derive(Debug, Clone, Default)]
pub struct CompiledFilter {
    /// `None` in the list: an unknown tag, which no post has.
    all_tags: Vec<Option<TagIdx>>,
    any_tags: Option<Vec<TagIdx>>,
    exclude_tags: Vec<TagIdx>,
    category: Option<String>,
    series: Option<String>,
    has_serial_number: Option<bool>,
    year: Option<i32>,
    month: Option<u32>,
    since: Option<DateTime<FixedOffset>>,
    until: Option<DateTime<FixedOffset>>,
    text: Option<TextMatcher>,
    or: Option<Vec<CompiledFilter>>,
    not: Option<Box<CompiledFilter>>,
}

impl PostFilter {
    /// Resolves tag names and checks ranges.
    pub fn compile(&self, snapshot: &Snapshot) -> Result<CompiledFilter, Error> {
        let resolve = |names: &Option<Vec<String>>| -> Vec<Option<TagIdx>> {
            names
                .iter()
                .flatten()
                .map(|n| snapshot.tag_by_slug(&tag_slug(n)))
                .collect()
        };
        let month = match self.month {
            None => None,
            Some(m @ 1..=12) => Some(m as u32),
            Some(m) => {
                return Err(field_error(
                    ErrorCode::BadUserInput,
                    format!("`month` is {m}, but must be 1..12"),
                ))
            }
        };
        Ok(CompiledFilter {
            all_tags: resolve(&self.tags),
            any_tags: self
                .any_tags
                .as_ref()
                .map(|_| resolve(&self.any_tags).into_iter().flatten().collect()),
            exclude_tags: resolve(&self.exclude_tags).into_iter().flatten().collect(),
            category: self.category.as_ref().map(|c| c.trim().to_lowercase()),
            series: self.series.as_ref().map(|s| s.trim().to_ascii_uppercase()),
            has_serial_number: self.has_serial_number,
            year: self.year,
            month,
            since: self.since,
            until: self.until,
            text: self.text.as_deref().and_then(TextMatcher::new),
            or: match &self.or {
                None => None,
                Some(filters) => Some(
                    filters
                        .iter()
                        .map(|f| f.compile(snapshot))
                        .collect::<Result<_, _>>()?,
                ),
            },
            not: match &self.not {
                None => None,
                Some(f) => Some(Box::new(f.compile(snapshot)?)),
            },
        })
    }
}

impl CompiledFilter {
    pub fn matches(&self, post: &Post) -> bool {
        let has = |tag: &TagIdx| post.tags.contains(tag);
        let doc = &post.doc;
        self.all_tags.iter().all(|t| t.as_ref().is_some_and(has))
            && self.any_tags.as_ref().is_none_or(|any| any.iter().any(has))
            && !self.exclude_tags.iter().any(has)
            && self
                .category
                .as_ref()
                .is_none_or(|c| doc.categories.iter().any(|pc| pc.to_lowercase() == *c))
            && self.series.as_ref().is_none_or(|s| {
                doc.serial_number
                    .as_ref()
                    .and_then(|n| n.series.as_ref())
                    .is_some_and(|ps| ps == s)
            })
            && self
                .has_serial_number
                .is_none_or(|want| doc.serial_number.is_some() == want)
            && self.year.is_none_or(|y| doc.local_date.year() == y)
            && self.month.is_none_or(|m| doc.local_date.month() == m)
            && self.since.is_none_or(|since| doc.date >= since)
            && self.until.is_none_or(|until| doc.date < until)
            && self.text.as_ref().is_none_or(|t| t.matches(post))
            && self
                .or
                .as_ref()
                .is_none_or(|any| any.iter().any(|f| f.matches(post)))
            && self.not.as_ref().is_none_or(|f| !f.matches(post))
    }

    /// Whether the filter keeps post `idx` of `view`. Posts that lack a required tag are
    /// told apart by a membership table built from the rarest required tag's own post list,
    /// without reading the posts.
    pub fn keeps<'v>(&'v self, view: View<'v>) -> impl Fn(PostIdx) -> bool + 'v {
        let rarest = self
            .all_tags
            .iter()
            .map(|tag| tag.map_or(&[][..], |t| view.index.tag_posts(t)))
            .min_by_key(|posts| posts.len());
        let required = rarest.map(|posts| members(view.snapshot.posts.len(), posts));
        move |idx| {
            required.as_ref().is_none_or(|member| member[idx as usize])
                && self.matches(view.snapshot.post(idx))
        }
    }

    /// Filters an ordered list of posts, keeping its order.
    pub fn apply(
        &self,
        snapshot: &Snapshot,
        posts: impl IntoIterator<Item = PostIdx>,
    ) -> Vec<PostIdx> {
        posts
            .into_iter()
            .filter(|idx| self.matches(snapshot.post(*idx)))
            .collect()
    }
}

/// A table of `len` flags, set for `posts`.
pub fn members(len: usize, posts: &[PostIdx]) -> Vec<bool> {
    let mut member = vec![false; len];
    for &idx in posts {
        member[idx as usize] = true;
    }
    member
}

/// Case-insensitive search for one piece of text in a post's title, description and body.
#[derive(Debug, Clone)]
enum TextMatcher {
    /// An ASCII needle: searched for without copying the post, ignoring ASCII case.
    Ascii(AhoCorasick),
    /// Anything else: the lower-cased needle, searched for in lower-cased text.
    Lowercase(String),
}

impl TextMatcher {
    /// `None` for blank text, which matches every post.
    fn new(text: &str) -> Option<TextMatcher> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return None;
        }
        let ascii = needle.is_ascii().then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build([&needle])
        });
        Some(match ascii {
            Some(Ok(searcher)) => TextMatcher::Ascii(searcher),
            _ => TextMatcher::Lowercase(needle),
        })
    }

    fn matches(&self, post: &Post) -> bool {
        let doc = &post.doc;
        let found = |hay: &str| match self {
            TextMatcher::Ascii(searcher) => searcher.is_match(hay),
            TextMatcher::Lowercase(needle) => hay.to_lowercase().contains(needle.as_str()),
        };
        found(&doc.title) || doc.description.as_deref().is_some_and(found) || found(&doc.body)
    }
}
