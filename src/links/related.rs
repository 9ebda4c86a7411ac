//! Related posts, with a score that explains itself:
//!
//! `score = Σ idf(shared tag) + RELATED_LINK_BONUS·[linked either way]
//!          + RELATED_DATE_WEIGHT·exp(−|Δdays| / 365) + RELATED_TEXT_WEIGHT·similarity`
//!
//! Shared tags count by rarity (a tag on few posts says more than one on many); a direct
//! link either way adds a bonus; nearby dates add a little; and, when asked for, how alike
//! the two posts' words are (the search index's measure, passed in: this layer does not
//! know the index). Only posts that share a tag or a link, or have similar text, qualify.
//! Order: score, then newer date, then slug, so it is deterministic.

use super::LinkGraph;
use crate::graph::{PostIdx, TagIdx, View};

/// Score added when one post links to the other.
pub const RELATED_LINK_BONUS: f64 = 2.0;
/// Largest score added for being close in time (same day).
pub const RELATED_DATE_WEIGHT: f64 = 0.5;
/// Score added for the same text (similarity 1); a part of it for a part.
pub const RELATED_TEXT_WEIGHT: f64 = 2.0;
/// Related posts kept per post.
pub const MAX_RELATED: usize = 100;

/// A related post and why: `score` is the sum of the parts below.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedPost {
    pub post: PostIdx,
    pub score: f64,
    pub shared_tags: Vec<TagIdx>,
    /// `Σ idf(shared tag)`.
    pub tags_score: f64,
    pub linked: bool,
    /// `RELATED_DATE_WEIGHT·exp(−|Δdays| / 365)`.
    pub date_score: f64,
    /// How alike the two posts' words are, when that was asked for and the other post is
    /// among the most similar.
    pub text: Option<TextSimilarity>,
}

impl RelatedPost {
    /// What a direct link added to the score.
    pub fn link_score(&self) -> f64 {
        if self.linked {
            RELATED_LINK_BONUS
        } else {
            0.0
        }
    }

    /// What similar text added to the score.
    pub fn text_score(&self) -> f64 {
        self.text
            .as_ref()
            .map_or(0.0, |text| RELATED_TEXT_WEIGHT * text.similarity)
    }
}

/// How alike another post's words are to a post's.
#[derive(Debug, Clone, PartialEq)]
pub struct TextSimilarity {
    /// 0..1, 1 for the same text.
    pub similarity: f64,
    /// The distinctive words both have, most distinctive first.
    pub words: Vec<String>,
}

pub(super) fn related_posts(
    graph: &LinkGraph,
    view: View<'_>,
    idx: PostIdx,
    similar: &[(PostIdx, TextSimilarity)],
) -> Vec<RelatedPost> {
    if !view.is_visible(idx) {
        return Vec::new();
    }
    let snapshot = view.snapshot;
    let post = snapshot.post(idx);
    // Dense scores (one slot per post) plus the list of touched posts: much cheaper than a
    // hash map when popular tags touch thousands of posts.
    let mut tag_scores = vec![0.0f64; snapshot.posts.len()];
    let mut seen = vec![false; snapshot.posts.len()];
    let mut touched: Vec<PostIdx> = Vec::new();
    let mut touch = |other: PostIdx| {
        if other != idx
            && view.is_visible(other)
            && !std::mem::replace(&mut seen[other as usize], true)
        {
            touched.push(other);
        }
    };
    for &tag in &post.tags {
        let weight = graph.idf(tag);
        for &other in view.index.tag_posts(tag) {
            touch(other);
            tag_scores[other as usize] += weight;
        }
    }
    if let Some(neighbours) = graph.neighbours.get(idx as usize) {
        for &other in neighbours {
            touch(other);
        }
    }
    for (other, _) in similar {
        touch(*other);
    }
    let mut related: Vec<RelatedPost> = touched
        .into_iter()
        .map(|other| {
            let days = (post.doc.date - snapshot.post(other).doc.date)
                .num_seconds()
                .abs() as f64
                / 86_400.0;
            let mut related = RelatedPost {
                post: other,
                score: 0.0,
                shared_tags: Vec::new(),
                tags_score: tag_scores[other as usize],
                linked: graph.linked(idx, other),
                date_score: RELATED_DATE_WEIGHT * (-days / 365.0).exp(),
                text: similar
                    .iter()
                    .find(|(post, _)| *post == other)
                    .map(|(_, text)| text.clone()),
            };
            related.score = related.tags_score
                + related.link_score()
                + related.date_score
                + related.text_score();
            related
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
