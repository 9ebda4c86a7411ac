//! Indexes over the posts one [`Visibility`](super::Visibility) shows: orders, tags,
//! categories, series and the date archive, all precomputed once per snapshot.

use super::{Post, PostIdx, Tag, TagIdx};
use chrono::{Datelike, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Posts per category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryEntry {
    pub name: String,
    pub count: usize,
}

/// Posts per serial-number series, e.g. `BLG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEntry {
    pub series: String,
    pub count: usize,
    /// The newest post of the series.
    pub latest: PostIdx,
}

/// Posts per year, newest year first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveYear {
    pub year: i32,
    pub count: usize,
    /// Newest month first; only months with posts.
    pub months: Vec<ArchiveMonth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveMonth {
    pub month: u32,
    pub count: usize,
}

/// The visible posts and everything derived from them.
#[derive(Debug, Default, Clone)]
pub struct PostIndex {
    /// Newest first: the reverse of ascending (date, slug).
    by_date_desc: Vec<PostIdx>,
    visible: Vec<bool>,
    by_title: Vec<PostIdx>,
    by_serial: Vec<PostIdx>,
    by_word_count: Vec<PostIdx>,
    /// Per tag, its visible posts newest first.
    tag_posts: Vec<Vec<PostIdx>>,
    /// Tags with visible posts: most used first, then by slug.
    tags_by_count: Vec<TagIdx>,
    /// Every tag, named by its most frequent spelling among the visible posts.
    tags: Arc<Vec<Tag>>,
    pub categories: Vec<CategoryEntry>,
    pub series: Vec<SeriesEntry>,
    pub archive: Vec<ArchiveYear>,
}

/// Ascending orders, each a total order (ties broken by slug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Date,
    Title,
    SerialNumber,
    WordCount,
}

impl PostIndex {
    /// Indexes `posts` (already newest first) where `shows` is true; `tags` are every tag,
    /// named as the audience of `shows` sees them.
    pub fn build(posts: &[Post], tags: Arc<Vec<Tag>>, shows: impl Fn(&Post) -> bool) -> PostIndex {
        let tag_count = tags.len();
        let visible_flags: Vec<bool> = posts.iter().map(&shows).collect();
        let by_date_desc: Vec<PostIdx> = (0..posts.len() as PostIdx)
            .filter(|i| visible_flags[*i as usize])
            .collect();
        let sorted_by = |key: SortKey| sorted(posts, by_date_desc.clone(), key);
        let mut tag_posts: Vec<Vec<PostIdx>> = vec![Vec::new(); tag_count];
        let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
        let mut series: BTreeMap<&str, (usize, PostIdx)> = BTreeMap::new();
        for &idx in &by_date_desc {
            let post = &posts[idx as usize];
            for &tag in &post.tags {
                tag_posts[tag as usize].push(idx);
            }
            for category in &post.doc.categories {
                *categories.entry(category).or_default() += 1;
            }
            if let Some(code) = post
                .doc
                .serial_number
                .as_ref()
                .and_then(|s| s.series.as_deref())
            {
                // Newest first, so the first post seen is the latest.
                series.entry(code).or_insert((0, idx)).0 += 1;
            }
        }
        let mut tags_by_count: Vec<TagIdx> = (0..tag_count as TagIdx)
            .filter(|t| !tag_posts[*t as usize].is_empty())
            .collect();
        tags_by_count.sort_by_key(|t| std::cmp::Reverse(tag_posts[*t as usize].len()));
        let mut categories: Vec<CategoryEntry> = categories
            .into_iter()
            .map(|(name, count)| CategoryEntry {
                name: name.to_string(),
                count,
            })
            .collect();
        categories.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let archive = archive_of(
            by_date_desc
                .iter()
                .map(|i| posts[*i as usize].doc.local_date),
        );
        PostIndex {
            by_title: sorted_by(SortKey::Title),
            by_serial: sorted_by(SortKey::SerialNumber),
            by_word_count: sorted_by(SortKey::WordCount),
            by_date_desc,
            visible: visible_flags,
            tag_posts,
            tags_by_count,
            tags,
            categories,
            series: series
                .into_iter()
                .map(|(series, (count, latest))| SeriesEntry {
                    series: series.to_string(),
                    count,
                    latest,
                })
                .collect(),
            archive,
        }
    }

    /// This index over `posts`, where only the word counts of `recounted` and the titles of
    /// `retitled` (and nothing else this index orders by) changed: those posts move within
    /// the word-count and title orders, a binary search each, instead of a sort of all.
    pub fn with_moved_posts(
        &self,
        posts: &[Post],
        recounted: &[PostIdx],
        retitled: &[PostIdx],
    ) -> PostIndex {
        let by_word_count = self.moved(&self.by_word_count, posts, SortKey::WordCount, recounted);
        let by_title = self.moved(&self.by_title, posts, SortKey::Title, retitled);
        debug_assert_eq!(
            by_word_count,
            sorted(posts, by_word_count.clone(), SortKey::WordCount)
        );
        debug_assert_eq!(by_title, sorted(posts, by_title.clone(), SortKey::Title));
        PostIndex {
            by_word_count,
            by_title,
            ..self.clone()
        }
    }

    /// `order` (ascending by `key`) with the visible posts of `changed` taken out and put
    /// back where `key` now places them.
    fn moved(
        &self,
        order: &[PostIdx],
        posts: &[Post],
        key: SortKey,
        changed: &[PostIdx],
    ) -> Vec<PostIdx> {
        let mut order = order.to_vec();
        if changed.is_empty() {
            return order;
        }
        order.retain(|idx| !changed.contains(idx));
        for &idx in changed.iter().filter(|idx| self.contains(**idx)) {
            let at = order.partition_point(|other| compare(posts, key, *other, idx).is_lt());
            order.insert(at, idx);
        }
        order
    }

    pub fn contains(&self, idx: PostIdx) -> bool {
        self.visible.get(idx as usize).copied().unwrap_or(false)
    }

    /// Visible posts, newest first.
    pub fn newest_first(&self) -> &[PostIdx] {
        &self.by_date_desc
    }

    pub fn len(&self) -> usize {
        self.by_date_desc.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_date_desc.is_empty()
    }

    /// Visible posts in ascending `key` order. For [`SortKey::Date`] the slice is newest
    /// first and `descending_storage` is true: callers walk it backwards for ascending.
    pub fn ordered(&self, key: SortKey) -> (&[PostIdx], bool) {
        match key {
            SortKey::Date => (&self.by_date_desc, true),
            SortKey::Title => (&self.by_title, false),
            SortKey::SerialNumber => (&self.by_serial, false),
            SortKey::WordCount => (&self.by_word_count, false),
        }
    }

    /// A tag's visible posts, newest first.
    pub fn tag_posts(&self, tag: TagIdx) -> &[PostIdx] {
        self.tag_posts
            .get(tag as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Tags with at least one visible post, most used first.
    pub fn tags_by_count(&self) -> &[TagIdx] {
        &self.tags_by_count
    }

    /// A tag, named by its most frequent spelling among the visible posts.
    pub fn tag(&self, idx: TagIdx) -> &Tag {
        &self.tags[idx as usize]
    }

    /// Every tag (whether or not a visible post has it), named as in [`tag`](Self::tag).
    pub fn tags(&self) -> &Arc<Vec<Tag>> {
        &self.tags
    }
}

/// `order` sorted ascending by `key`.
fn sorted(posts: &[Post], mut order: Vec<PostIdx>, key: SortKey) -> Vec<PostIdx> {
    order.sort_by_cached_key(|idx| sort_value(&posts[*idx as usize], key));
    order
}

/// Posts per year and month of `dates` (on the site's clock), newest year and month first.
pub fn archive_of(dates: impl Iterator<Item = NaiveDateTime>) -> Vec<ArchiveYear> {
    let mut years: BTreeMap<i32, BTreeMap<u32, usize>> = BTreeMap::new();
    for date in dates {
        *years
            .entry(date.year())
            .or_default()
            .entry(date.month())
            .or_default() += 1;
    }
    years
        .into_iter()
        .rev()
        .map(|(year, months)| ArchiveYear {
            year,
            count: months.values().sum(),
            months: months
                .into_iter()
                .rev()
                .map(|(month, count)| ArchiveMonth { month, count })
                .collect(),
        })
        .collect()
}

/// Total ascending order of two posts by `key`, ties broken by date then slug.
pub fn compare(posts: &[Post], key: SortKey, a: PostIdx, b: PostIdx) -> Ordering {
    sort_value(&posts[a as usize], key).cmp(&sort_value(&posts[b as usize], key))
}

/// A post's position in one ordering, as a value: comparing two of these compares the posts.
/// Cursors carry it, so a page boundary survives reloads that move posts around.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SortValue {
    primary: Primary,
    /// Seconds and nanoseconds since the epoch.
    date: (i64, u32),
    slug: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Primary {
    Date,
    Title(String),
    /// Posts with a serial number first, by year, series, number; the rest after.
    Serial(bool, Option<i32>, Option<String>, Option<u32>, String),
    Words(u32),
}

/// The value `key` orders `post` by.
pub fn sort_value(post: &Post, key: SortKey) -> SortValue {
    let primary = match key {
        SortKey::Date => Primary::Date,
        SortKey::Title => Primary::Title(post.title_key.clone()),
        SortKey::SerialNumber => match &post.doc.serial_number {
            Some(s) => Primary::Serial(
                false,
                s.year,
                s.series.clone(),
                s.number,
                s.value.to_ascii_uppercase(),
            ),
            None => Primary::Serial(true, None, None, None, String::new()),
        },
        SortKey::WordCount => Primary::Words(post.word_count),
    };
    SortValue {
        primary,
        date: (
            post.doc.date.timestamp(),
            post.doc.date.timestamp_subsec_nanos(),
        ),
        slug: post.slug.clone(),
    }
}
