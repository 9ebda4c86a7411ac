//! Link-graph types: links, related posts, tag co-occurrence and the whole graph.

use super::post::PostObject;
use super::tag::TagObject;
use super::Scope;
use crate::graph::{PostIdx, TagIdx};
use crate::links::{self, ResolvedLink};
use async_graphql::{Enum, Object, SimpleObject, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Where a link leads.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A post of this site.
    Internal,
    /// This site, but not a post: pages, assets, feeds, anchors.
    Site,
    /// Another host.
    External,
    /// Shaped like a link to a post (a source `.md` path, `post_url`/`link`, a wiki link, or
    /// a URL fitting the posts' permalink pattern) yet no post or alias matches it.
    Broken,
}

impl From<links::LinkKind> for LinkKind {
    fn from(kind: links::LinkKind) -> Self {
        match kind {
            links::LinkKind::Internal => LinkKind::Internal,
            links::LinkKind::Site => LinkKind::Site,
            links::LinkKind::External => LinkKind::External,
            links::LinkKind::Broken => LinkKind::Broken,
        }
    }
}

impl From<LinkKind> for links::LinkKind {
    fn from(kind: LinkKind) -> Self {
        match kind {
            LinkKind::Internal => links::LinkKind::Internal,
            LinkKind::Site => links::LinkKind::Site,
            LinkKind::External => links::LinkKind::External,
            LinkKind::Broken => links::LinkKind::Broken,
        }
    }
}

pub struct Link<'a> {
    pub(super) scope: Scope<'a>,
    pub(super) link: &'a ResolvedLink,
}

/// A link in a post's body (images excluded).
#[Object]
impl<'a> Link<'a> {
    /// As written (query strings and fragments kept).
    async fn href(&self) -> &'a str {
        &self.link.href
    }

    /// The link text.
    async fn text(&self) -> &'a str {
        &self.link.text
    }

    async fn kind(&self) -> LinkKind {
        self.link.kind.into()
    }

    /// The post it leads to, for INTERNAL links.
    async fn target(&self) -> Option<PostObject<'a>> {
        self.link.target.map(|t| PostObject::new(self.scope, t))
    }

    /// The host, for EXTERNAL links.
    async fn domain(&self) -> Option<&'a str> {
        self.link.domain.as_deref()
    }

    /// 1-based line in the source file.
    async fn line(&self) -> Option<u32> {
        self.link.line
    }
}

pub struct RelatedPost<'a> {
    pub(super) scope: Scope<'a>,
    /// The post whose related posts these are.
    pub(super) of: PostIdx,
    pub(super) related: links::RelatedPost,
}

/// A related post and why: `score = Σ idf(shared tag) + 2·linked + 0.5·exp(−|Δdays|/365)`,
/// plus `2·textSimilarity` when similar text was asked for; `reasons` gives each part.
#[Object]
impl<'a> RelatedPost<'a> {
    async fn post(&self) -> PostObject<'a> {
        PostObject::new(self.scope, self.related.post)
    }

    /// Higher is more related: the sum of the `reasons`' scores.
    async fn score(&self) -> f64 {
        self.related.score
    }

    /// Tags both posts have.
    async fn shared_tags(&self) -> Vec<TagObject<'a>> {
        self.related
            .shared_tags
            .iter()
            .map(|t| TagObject::new(self.scope, *t))
            .collect()
    }

    /// Whether one links to the other.
    async fn linked(&self) -> bool {
        self.related.linked
    }

    /// How alike the two posts' words are, from 0 to 1, as the search index measures it: the
    /// related post's score for the 24 most distinctive words of the post asked about, over
    /// that post's own score for them (1 for the same text, or for a post with those words
    /// as much). Null unless `related(similarText: true)` asked for it and the related post
    /// is among the 20 most similar.
    async fn text_similarity(&self) -> Option<f64> {
        self.related.text.as_ref().map(|text| text.similarity)
    }

    /// Why the post is related: one entry per part of `score`, largest first. NEARBY_DATE is
    /// always there (it adds little for posts years apart).
    async fn reasons(&self) -> Vec<RelatedReason> {
        related_reasons(self.scope, self.of, &self.related)
    }
}

/// One reason a post is related to another.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum RelatedReasonKind {
    /// They have tags in common (rarer tags count more).
    SharedTags,
    /// One links to the other.
    Linked,
    /// They were published close in time.
    NearbyDate,
    /// Their words are alike (`related(similarText: true)`).
    SimilarText,
}

/// A reason a post is related, and what it added to the score.
#[derive(SimpleObject, Debug)]
pub struct RelatedReason {
    pub kind: RelatedReasonKind,
    /// What this reason added to the related post's `score`.
    pub score: f64,
    /// The reason in English, for people: e.g. `shares the tags rust and cli`, `it links to
    /// this post` (the related post links to the post asked about; also `this post links to
    /// it`, `they link to each other`), `published 3 days apart`, `similar words: tokio,
    /// runtime, executor`. Programs should read `kind` and `score`.
    pub description: String,
}

/// The parts of a related post's score, largest first (ties in the order of
/// [`RelatedReasonKind`]).
fn related_reasons(
    scope: Scope<'_>,
    of: PostIdx,
    related: &links::RelatedPost,
) -> Vec<RelatedReason> {
    let mut reasons = Vec::new();
    if !related.shared_tags.is_empty() {
        let names: Vec<&str> = related
            .shared_tags
            .iter()
            .map(|t| scope.tag(*t).name.as_str())
            .collect();
        let noun = if names.len() == 1 { "tag" } else { "tags" };
        reasons.push(RelatedReason {
            kind: RelatedReasonKind::SharedTags,
            score: related.tags_score,
            description: format!("shares the {noun} {}", in_words(&names)),
        });
    }
    if related.linked {
        let graph = scope.links();
        let description = match (
            graph.links_to(related.post, of),
            graph.links_to(of, related.post),
        ) {
            (true, true) => "they link to each other",
            (true, false) => "it links to this post",
            _ => "this post links to it",
        };
        reasons.push(RelatedReason {
            kind: RelatedReasonKind::Linked,
            score: related.link_score(),
            description: description.into(),
        });
    }
    let days = (scope.snapshot.post(of).doc.date - scope.snapshot.post(related.post).doc.date)
        .num_days()
        .abs();
    reasons.push(RelatedReason {
        kind: RelatedReasonKind::NearbyDate,
        score: related.date_score,
        description: match days {
            0 => "published the same day".into(),
            1 => "published a day apart".into(),
            n => format!("published {n} days apart"),
        },
    });
    if let Some(text) = &related.text {
        let words: Vec<&str> = text.words.iter().map(String::as_str).collect();
        reasons.push(RelatedReason {
            kind: RelatedReasonKind::SimilarText,
            score: related.text_score(),
            description: format!("similar words: {}", words.join(", ")),
        });
    }
    reasons.sort_by(|a, b| b.score.total_cmp(&a.score));
    reasons
}

/// `a`, `a and b`, `a, b and c`.
fn in_words(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub struct TagCooccurrence<'a> {
    pub(super) scope: Scope<'a>,
    pub(super) tag: TagIdx,
    pub(super) count: usize,
}

/// A tag that appears on the same posts as another.
#[Object]
impl<'a> TagCooccurrence<'a> {
    async fn tag(&self) -> TagObject<'a> {
        TagObject::new(self.scope, self.tag)
    }

    /// Posts that have both tags.
    async fn count(&self) -> usize {
        self.count
    }
}

/// What a node of the link graph stands for.
#[derive(Clone, Copy)]
enum NodeTarget {
    Post(PostIdx),
    Tag(TagIdx),
}

/// A node of the link graph: a post or a tag.
pub struct GraphNode<'a> {
    scope: Scope<'a>,
    /// The node's own id (see [`graph_node_id`]).
    id: ID,
    target: NodeTarget,
    label: String,
    weight: i32,
}

/// The id of the graph node standing for the post or tag whose id is `target_id`: distinct
/// from it, because normalized client caches (Relay's) key every record by `id` alone and a
/// graph node is not the post.
pub fn graph_node_id(target_id: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("GraphNode:{target_id}")))
}

/// A node of the link graph: a post or a tag.
#[Object]
impl<'a> GraphNode<'a> {
    /// This node's own opaque id, which edges use as `source` and `target`. It is not the
    /// post's or tag's id (normalized caches such as Relay's keep one record per id): that is
    /// `post { id }` or `tag { id }`.
    async fn id(&self) -> &ID {
        &self.id
    }

    /// `post` or `tag`.
    async fn kind(&self) -> &'static str {
        match self.target {
            NodeTarget::Post(_) => "post",
            NodeTarget::Tag(_) => "tag",
        }
    }

    /// Title or tag name.
    async fn label(&self) -> &str {
        &self.label
    }

    /// Backlinks of a post; posts of a tag.
    async fn weight(&self) -> i32 {
        self.weight
    }

    /// The post this node stands for (when `kind` is `post`).
    async fn post(&self) -> Option<PostObject<'a>> {
        match self.target {
            NodeTarget::Post(idx) => Some(PostObject::new(self.scope, idx)),
            NodeTarget::Tag(_) => None,
        }
    }

    /// The tag this node stands for (when `kind` is `tag`).
    async fn tag(&self) -> Option<TagObject<'a>> {
        match self.target {
            NodeTarget::Tag(idx) => Some(TagObject::new(self.scope, idx)),
            NodeTarget::Post(_) => None,
        }
    }
}

/// An edge of the link graph.
#[derive(SimpleObject)]
pub struct GraphEdge {
    /// The `id` of the node it starts from (a post).
    pub source: ID,
    /// The `id` of the node it leads to (a post, or a tag for `tag` edges).
    pub target: ID,
    /// `link` (post → post) or `tag` (post → tag).
    pub kind: String,
}

/// Posts (and optionally tags) as nodes; links and taggings as edges.
pub struct LinkGraph<'a> {
    nodes: Vec<GraphNode<'a>>,
    edges: Vec<GraphEdge>,
}

/// Posts (and optionally tags) as nodes; links and taggings as edges.
#[Object]
impl<'a> LinkGraph<'a> {
    /// Posts, then tags (with `includeTags`).
    async fn nodes(&self) -> &[GraphNode<'a>] {
        &self.nodes
    }

    /// Links between the posts, then taggings (with `includeTags`).
    async fn edges(&self) -> &[GraphEdge] {
        &self.edges
    }
}

impl LinkGraph<'_> {
    /// At most how many bytes its JSON takes with every scalar field selected, for the
    /// request's byte budget.
    pub fn answer_bytes(&self) -> usize {
        let nodes: usize = self
            .nodes
            .iter()
            .map(|n| n.id.len() + n.label.len() + 60)
            .sum();
        let edges: usize = self
            .edges
            .iter()
            .map(|e| e.source.len() + e.target.len() + e.kind.len() + 40)
            .sum();
        nodes + edges + 30
    }
}

/// The graph over `posts` (visible, in any order).
pub fn link_graph<'a>(scope: Scope<'a>, posts: &[PostIdx], include_tags: bool) -> LinkGraph<'a> {
    let snapshot = scope.snapshot;
    let graph = scope.links();
    let mut in_set = vec![false; snapshot.posts.len()];
    for p in posts {
        in_set[*p as usize] = true;
    }
    let post_node = |p: PostIdx| graph_node_id(&snapshot.post(p).id);
    let mut nodes: Vec<GraphNode<'a>> = posts
        .iter()
        .map(|p| GraphNode {
            scope,
            id: post_node(*p),
            target: NodeTarget::Post(*p),
            label: snapshot.post(*p).doc.title.clone(),
            weight: graph.backlinks(*p).len() as i32,
        })
        .collect();
    let mut edges: Vec<GraphEdge> = graph
        .edges()
        .filter(|(s, t)| in_set[*s as usize] && in_set[*t as usize])
        .map(|(s, t)| GraphEdge {
            source: post_node(s),
            target: post_node(t),
            kind: "link".into(),
        })
        .collect();
    if include_tags {
        let mut tag_weight = vec![0i32; snapshot.tags.len()];
        for p in posts {
            for t in &snapshot.post(*p).tags {
                tag_weight[*t as usize] += 1;
                edges.push(GraphEdge {
                    source: post_node(*p),
                    target: graph_node_id(&scope.tag(*t).id),
                    kind: "tag".into(),
                });
            }
        }
        nodes.extend(
            tag_weight
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0)
                .map(|(t, w)| {
                    let tag = scope.tag(t as TagIdx);
                    GraphNode {
                        scope,
                        id: graph_node_id(&tag.id),
                        target: NodeTarget::Tag(t as TagIdx),
                        label: tag.name.clone(),
                        weight: *w,
                    }
                }),
        );
    }
    LinkGraph { nodes, edges }
}
