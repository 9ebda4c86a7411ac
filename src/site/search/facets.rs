//! Facet counts over every hit of a search (not just a page): tags, categories, years and
//! serial-number series.

use crate::graph::{PostIdx, TagIdx, View};
use chrono::Datelike;
use std::collections::HashMap;

/// Which facets to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FacetKinds {
    pub tags: bool,
    pub categories: bool,
    pub years: bool,
    pub series: bool,
}

impl FacetKinds {
    /// Every facet.
    pub const ALL: FacetKinds = FacetKinds {
        tags: true,
        categories: true,
        years: true,
        series: true,
    };
}

/// Hits per value of each facet asked for (the others are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Most hits first, then by tag slug.
    pub tags: Vec<(TagIdx, usize)>,
    /// Most hits first, then by name. Names as written in the posts.
    pub categories: Vec<(String, usize)>,
    /// Newest year first (on the site's clock).
    pub years: Vec<(i32, usize)>,
    /// Most hits first, then by series code (upper case).
    pub series: Vec<(String, usize)>,
}

/// Counts `kinds` over `hits`, posts of `view`.
pub fn count(view: View<'_>, hits: impl IntoIterator<Item = PostIdx>, kinds: FacetKinds) -> Facets {
    let snapshot = view.snapshot;
    let mut tags: HashMap<TagIdx, usize> = HashMap::new();
    let mut categories: HashMap<&str, usize> = HashMap::new();
    let mut years: HashMap<i32, usize> = HashMap::new();
    let mut series: HashMap<&str, usize> = HashMap::new();
    for idx in hits {
        let post = snapshot.post(idx);
        if kinds.tags {
            for tag in &post.tags {
                *tags.entry(*tag).or_default() += 1;
            }
        }
        if kinds.categories {
            for category in &post.doc.categories {
                *categories.entry(category).or_default() += 1;
            }
        }
        if kinds.years {
            *years.entry(post.doc.local_date.year()).or_default() += 1;
        }
        if kinds.series {
            if let Some(code) = post
                .doc
                .serial_number
                .as_ref()
                .and_then(|s| s.series.as_deref())
            {
                *series.entry(code).or_default() += 1;
            }
        }
    }
    let mut tags: Vec<(TagIdx, usize)> = tags.into_iter().collect();
    tags.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| snapshot.tag(a.0).slug.cmp(&snapshot.tag(b.0).slug))
    });
    let by_count = |map: HashMap<&str, usize>| {
        let mut list: Vec<(String, usize)> =
            map.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        list
    };
    let mut years: Vec<(i32, usize)> = years.into_iter().collect();
    years.sort_by_key(|y| std::cmp::Reverse(y.0));
    Facets {
        tags,
        categories: by_count(categories),
        years,
        series: by_count(series),
    }
}
