//! Related posts, with a score that explains itself:
//!
//! `score = Σ idf(shared tag) + RELATED_LINK_BONUS·[linked either way]
//!          + RELATED_DATE_WEIGHT·exp(−|Δdays| / 365)`
//!
//! Shared tags count by rarity (a tag on few posts says more than one on many); a direct
//! link either way adds a bonus; nearby dates add a little. Only posts that share a tag or a
//! link qualify. Order: score, then newer date, then slug, so it is deterministic.

use super::LinkGraph;
use crate::graph::{PostIdx, TagIdx, View};

/// Score added when one post links to the other.
pub const RELATED_LINK_BONUS: f64 = 2.0;
/// Largest score added for being close in time (same day).
pub const RELATED_DATE_WEIGHT: f64 = 0.5;
/// Related posts kept per post.
pub const MAX_RELATED: usize = 100;

/// A related post and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedPost {
    pub post: PostIdx,
    pub score: f64,
    pub shared_tags: Vec<TagIdx>,
    pub linked: bool,
}

pub(super) fn related_posts(graph: &LinkGraph, view: View<'_>, idx: PostIdx) -> Vec<RelatedPost> {
    if !view.is_visible(idx) {
        return Vec::new();
    }
    let snapshot = view.snapshot;
    let post = snapshot.post(idx);
    // Dense scores (one slot per post) plus the list of touched posts: much cheaper than a
    // hash map when popular tags touch thousands of posts.
    let mut scores = vec![0.0f64; snapshot.posts.len()];
    let mut touched: Vec<PostIdx> = Vec::new();
    let mut touch = |other: PostIdx, weight: f64, scores: &mut Vec<f64>| {
        let slot = &mut scores[other as usize];
        if *slot == 0.0 {
            touched.push(other);
        }
        // A tiny floor keeps a link-only candidate distinguishable from an untouched slot.
        *slot += weight.max(f64::MIN_POSITIVE);
    };
    for &tag in &post.tags {
        let weight = graph.idf(tag);
        for &other in view.index.tag_posts(tag) {
            if other != idx {
                touch(other, weight, &mut scores);
            }
        }
    }
    if let Some(neighbours) = graph.neighbours.get(idx as usize) {
        for &other in neighbours {
            if other != idx && view.is_visible(other) {
                touch(other, 0.0, &mut scores);
            }
        }
    }
    let mut related: Vec<RelatedPost> = touched
        .into_iter()
        .map(|other| {
            let tag_score = scores[other as usize];
            let linked = graph.linked(idx, other);
            let days = (post.doc.date - snapshot.post(other).doc.date)
                .num_seconds()
                .abs() as f64
                / 86_400.0;
            let score = tag_score
                + if linked { RELATED_LINK_BONUS } else { 0.0 }
                + RELATED_DATE_WEIGHT * (-days / 365.0).exp();
            RelatedPost {
                post: other,
                score,
                shared_tags: Vec::new(),
                linked,
            }
        })
        .collect();
    let best_first = |a: &RelatedPost, b: &RelatedPost| {
        let (pa, pb) = (&snapshot.post(a.post).doc, &snapshot.post(b.post).doc);
        b.score
            .total_cmp(&a.score)
            .then_with(|| pb.date.cmp(&pa.date))
            .then_with(|| snapshot.post(a.post).slug.cmp(&snapshot.post(b.post).slug))
    };
    // Only the best MAX_RELATED need sorting.
    if related.len() > MAX_RELATED {
        related.select_nth_unstable_by(MAX_RELATED, best_first);
        related.truncate(MAX_RELATED);
    }
    related.sort_by(best_first);
    for r in &mut related {
        let other = &snapshot.post(r.post).tags;
        r.shared_tags = post
            .tags
            .iter()
            .copied()
            .filter(|t| other.contains(t))
            .collect();
    }
    related
}
