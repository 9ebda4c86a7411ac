//! The link graph of one snapshot, as one audience sees it: every post's outbound links
//! (classified), backlinks, related posts and tag co-occurrence.
//!
//! Links come from each post's Markdown pass: its rendering's, or the same pass without HTML
//! ([`crate::render::Renderer::links`]), so the graph need not wait for every post's HTML; a
//! served snapshot builds it once per audience, on first use.

mod related;
mod resolve;

pub use related::{
    RelatedPost, TextSimilarity, MAX_RELATED, RELATED_DATE_WEIGHT, RELATED_LINK_BONUS,
    RELATED_TEXT_WEIGHT,
};
pub use resolve::{LinkKind, Resolution, Resolver};

use crate::diagnostic::Diagnostic;
use crate::graph::{PostIdx, TagIdx, View};
use crate::once_map::OnceMap;
use crate::render::PostLinks;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// One link of a post, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLink {
    /// As written.
    pub href: String,
    pub text: String,
    /// 1-based line in the file.
    pub line: Option<u32>,
    pub kind: LinkKind,
    pub target: Option<PostIdx>,
    pub domain: Option<String>,
}

/// Links between the posts one audience sees.
#[derive(Debug, Default)]
pub struct LinkGraph {
    /// Per post (by `PostIdx`), its links in document order; empty for invisible posts.
    outbound: Vec<Vec<ResolvedLink>>,
    /// Per post, the visible posts linking to it, newest first, each once.
    backlinks: Vec<Vec<PostIdx>>,
    /// Per post, the posts it links to or is linked from (each once).
    neighbours: Vec<BTreeSet<PostIdx>>,
    /// Inverse document frequency of each tag over the visible posts.
    idf: Vec<f64>,
    /// Related posts per post, computed on first use.
    related: OnceMap<PostIdx, Arc<Vec<RelatedPost>>>,
}

/// Counts for the link report of `inkgraph check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkCounts {
    pub total: usize,
    pub internal: usize,
    pub site: usize,
    pub external: usize,
    pub broken: usize,
}

impl LinkGraph {
    /// Builds the graph over the posts `view` shows, from their links: `links` holds one
    /// entry per post of `view.index.newest_first()`, in that order.
    pub fn build(view: View<'_>, links: &[Arc<PostLinks>]) -> LinkGraph {
        let snapshot = view.snapshot;
        let n = snapshot.posts.len();
        let resolver = Resolver::new(view);
        let mut outbound: Vec<Vec<ResolvedLink>> = vec![Vec::new(); n];
        debug_assert_eq!(links.len(), view.index.newest_first().len());
        for (&idx, found) in view.index.newest_first().iter().zip(links) {
            let body_line = snapshot.post(idx).doc.body_line;
            let mut resolved: Vec<ResolvedLink> = found
                .links
                .iter()
                .map(|link| {
                    let resolution = resolver.resolve(idx, &link.href);
                    ResolvedLink {
                        href: link.href.clone(),
                        text: link.text.clone(),
                        line: Some(body_line + link.line.saturating_sub(1)),
                        kind: resolution.kind,
                        target: resolution.target,
                        domain: resolution.domain,
                    }
                })
                .collect();
            // Wiki links that matched nothing are links to posts that do not exist.
            resolved.extend(found.unresolved_wiki_links.iter().map(|(written, line)| {
                ResolvedLink {
                    href: written.clone(),
                    text: written
                        .trim_start_matches("[[")
                        .trim_end_matches("]]")
                        .to_string(),
                    line: *line,
                    kind: LinkKind::Broken,
                    target: None,
                    domain: None,
                }
            }));
            outbound[idx as usize] = resolved;
        }

        let mut backlinks: Vec<Vec<PostIdx>> = vec![Vec::new(); n];
        let mut neighbours: Vec<BTreeSet<PostIdx>> = vec![BTreeSet::new(); n];
        // Newest first, so each backlink list comes out newest first.
        for &source in view.index.newest_first() {
            let targets: BTreeSet<PostIdx> = outbound[source as usize]
                .iter()
                .filter_map(|l| l.target)
                .filter(|t| *t != source)
                .collect();
            for target in targets {
                backlinks[target as usize].push(source);
                neighbours[target as usize].insert(source);
                neighbours[source as usize].insert(target);
            }
        }

        let visible = view.index.len().max(1) as f64;
        let idf = (0..snapshot.tags.len() as TagIdx)
            .map(|t| {
                let df = view.index.tag_posts(t).len() as f64;
                if df == 0.0 {
                    0.0
                } else {
                    (visible / df).ln() + 1.0
                }
            })
            .collect();

        LinkGraph {
            outbound,
            backlinks,
            neighbours,
            idf,
            related: OnceMap::default(),
        }
    }

    /// A post's links in document order.
    pub fn links(&self, idx: PostIdx) -> &[ResolvedLink] {
        self.outbound.get(idx as usize).map_or(&[], Vec::as_slice)
    }

    /// Visible posts linking to `idx`, newest first.
    pub fn backlinks(&self, idx: PostIdx) -> &[PostIdx] {
        self.backlinks.get(idx as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether `a` links to `b` or `b` to `a`.
    pub fn linked(&self, a: PostIdx, b: PostIdx) -> bool {
        self.neighbours
            .get(a as usize)
            .is_some_and(|set| set.contains(&b))
    }

    /// The rarity weight of a tag: `ln(N / df) + 1` over the visible posts.
    pub fn idf(&self, tag: TagIdx) -> f64 {
        self.idf.get(tag as usize).copied().unwrap_or(0.0)
    }

    /// Every post-to-post link once: (source, target).
    pub fn edges(&self) -> impl Iterator<Item = (PostIdx, PostIdx)> + '_ {
        self.backlinks
            .iter()
            .enumerate()
            .flat_map(|(target, sources)| sources.iter().map(move |s| (*s, target as PostIdx)))
    }

    /// Totals by kind over every visible post.
    pub fn counts(&self) -> LinkCounts {
        let mut counts = LinkCounts::default();
        for link in self.outbound.iter().flatten() {
            counts.total += 1;
            match link.kind {
                LinkKind::Internal => counts.internal += 1,
                LinkKind::Site => counts.site += 1,
                LinkKind::External => counts.external += 1,
                LinkKind::Broken => counts.broken += 1,
            }
        }
        counts
    }

    /// A WARNING for each broken link, naming file, line and href. Unresolved wiki links are
    /// left out: rendering already reports them.
    pub fn broken_link_diagnostics(&self, view: View<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (idx, links) in self.outbound.iter().enumerate() {
            let broken = links
                .iter()
                .filter(|l| l.kind == LinkKind::Broken && !l.href.starts_with("[["));
            for link in broken {
                let path = &view.snapshot.post(idx as PostIdx).doc.source_path;
                let mut d = Diagnostic::warning(
                    path,
                    format!(
                        "broken link `{}`: no post, alias or file matches it",
                        link.href
                    ),
                );
                if let Some(line) = link.line {
                    d = d.at(line, None);
                }
                out.push(d);
            }
        }
        out
    }

    /// The posts most related to `idx` (at most [`related::MAX_RELATED`]), best first;
    /// computed once per post.
    pub fn related(&self, view: View<'_>, idx: PostIdx) -> Arc<Vec<RelatedPost>> {
        self.related
            .get_or_init(idx, || Arc::new(self.compute_related(view, idx)))
    }

    /// Computes the related posts of `idx` without the cache (what a first request costs).
    pub fn compute_related(&self, view: View<'_>, idx: PostIdx) -> Vec<RelatedPost> {
        related::related_posts(self, view, idx, &[])
    }

    /// The posts most related to `idx` with how alike their text is counted too: `similar`
    /// are the visible posts whose words are most like `idx`'s (from the search index),
    /// which qualify on that alone. Not cached here.
    pub fn related_with_text(
        &self,
        view: View<'_>,
        idx: PostIdx,
        similar: &[(PostIdx, TextSimilarity)],
    ) -> Vec<RelatedPost> {
        related::related_posts(self, view, idx, similar)
    }

    /// Whether `from` links to `to` (either may be any post).
    pub fn links_to(&self, from: PostIdx, to: PostIdx) -> bool {
        self.backlinks
            .get(to as usize)
            .is_some_and(|sources| sources.contains(&from))
    }

    /// Tags that appear on the same visible posts as `tag`, with how many posts they share,
    /// most shared first (ties by slug).
    pub fn tag_cooccurrence(view: View<'_>, tag: TagIdx) -> Vec<(TagIdx, usize)> {
        let mut counts: HashMap<TagIdx, usize> = HashMap::new();
        for post in view.index.tag_posts(tag) {
            for other in &view.snapshot.post(*post).tags {
                if *other != tag {
                    *counts.entry(*other).or_default() += 1;
                }
            }
        }
        let mut list: Vec<(TagIdx, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| {
            b.1.cmp(&a.1).then_with(|| {
                let (ta, tb) = (view.tag(a.0), view.tag(b.0));
                ta.slug.cmp(&tb.slug)
            })
        });
        list
    }
}
