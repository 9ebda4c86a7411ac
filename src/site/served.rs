//! One served version of the site ([`ServedSite`]): a snapshot and what is derived from it.

use super::renderings::Renderings;
use super::search::{
    IndexStatus, SearchError, SearchOutcome, SearchRequest, SiteSearch, Suggestion,
};
use crate::diagnostic::Diagnostic;
use crate::graph::{Audience, PostIdx, Snapshot};
use crate::links::{LinkGraph, RelatedPost};
use crate::once_map::OnceMap;
use crate::render::{page_tag_names, PostLinks, RenderedPost, Renderer};
use crate::text::packed::PackedText;
use arc_swap::ArcSwap;
use std::sync::{Arc, LazyLock, OnceLock};

/// A post's related posts with similar text counted, or why they could not be found.
type RelatedByText = Result<Arc<Vec<RelatedPost>>, SearchError>;

/// The version of the site currently served; a reload swaps in a new one atomically. Take it
/// once per request with `load_full()` and pass the `Arc` down.
pub type CurrentSite = Arc<ArcSwap<ServedSite>>;

/// One served version of the site: the immutable graph plus everything made from it — the
/// renderings, the link graph and the diagnostics of each audience. They live and die with
/// their snapshot, so nothing derived outlives its version (except the renderings a reload
/// carries over, see [`ServedSite::succeeding`]).
#[derive(Debug)]
pub struct ServedSite {
    pub snapshot: Snapshot,
    /// Shared with the snapshots that follow this one when their posts' keys are the same.
    renderer: Arc<Renderer>,
    renders: Renderings,
    /// Load, render and link-check diagnostics together per audience (public, preview),
    /// once every post is rendered.
    diagnostics: [OnceLock<Vec<Diagnostic>>; 2],
    /// The link graph per audience (public, preview), built on first use.
    link_graphs: [OnceLock<LinkGraph>; 2],
    /// Per audience (public, preview), each post's related posts with similar text counted,
    /// made on first use once the search index is ready (an error stays for the version).
    related_by_text: [OnceMap<PostIdx, RelatedByText>; 2],
    /// Full-text search over this version's posts (its index carried across reloads).
    search: SiteSearch,
}

impl ServedSite {
    pub fn new(snapshot: Snapshot) -> Arc<Self> {
        let renderer = Arc::new(Renderer::new(&snapshot));
        let search = SiteSearch::new(&snapshot);
        Self::with_renderings(snapshot, renderer, Renderings::default(), search)
    }

    /// Serves `snapshot`, reloaded from the same folder as `previous`, rendering everything
    /// afresh (an explicit reload: an `_includes` file may have changed) but keeping the
    /// search index, updated with only the posts that changed.
    pub fn rerendered(previous: &ServedSite, snapshot: Snapshot) -> Arc<Self> {
        let renderer = Arc::new(Renderer::new(&snapshot));
        let search = SiteSearch::following(&previous.search, &snapshot);
        Self::with_renderings(snapshot, renderer, Renderings::default(), search)
    }

    /// Serves `snapshot`, reloaded from the same folder as `previous`, keeping every rendering
    /// of `previous` whose inputs did not change: the post's document, slug and tag names,
    /// the settings, and the answers to what its links and Liquid tags looked up about other
    /// posts (so retitling one post re-renders only the posts that looked it up).
    pub fn succeeding(previous: &ServedSite, snapshot: Snapshot) -> Arc<Self> {
        let search = SiteSearch::following(&previous.search, &snapshot);
        if snapshot.same_keys(&previous.snapshot) {
            // Patched: same posts at the same positions, same renderer inputs.
            let renders = previous.renders.carried_over(|idx, _| {
                Arc::ptr_eq(&snapshot.post(idx).doc, &previous.snapshot.post(idx).doc)
                    .then_some(idx)
            });
            return Self::with_renderings(snapshot, previous.renderer.clone(), renders, search);
        }
        let renderer = Arc::new(Renderer::new(&snapshot));
        let renders = match renderer.can_reuse_renderings_of(&previous.renderer)
            && snapshot.config == previous.snapshot.config
        {
            true => previous.renders.carried_over(|old_idx, rendered| {
                // A rendering that reported a problem is made again (an unresolved wiki
                // link is one); what it looked up is checked below (`answers_alike`).
                if !rendered.diagnostics.is_empty() {
                    return None;
                }
                let old_post = previous.snapshot.post(old_idx);
                let idx = snapshot.loaded_post_by_path(&old_post.doc.source_path)?;
                let post = snapshot.post(idx);
                let same_inputs = Arc::ptr_eq(&post.doc, &old_post.doc)
                    && post.slug == old_post.slug
                    && page_tag_names(&snapshot, idx)
                        == page_tag_names(&previous.snapshot, old_idx)
                    && renderer.answers_alike(rendered);
                same_inputs.then_some(idx)
            }),
            false => Renderings::default(),
        };
        Self::with_renderings(snapshot, renderer, renders, search)
    }

    fn with_renderings(
        snapshot: Snapshot,
        renderer: Arc<Renderer>,
        renders: Renderings,
        search: SiteSearch,
    ) -> Arc<Self> {
        Arc::new(ServedSite {
            renderer,
            snapshot,
            renders,
            diagnostics: [OnceLock::new(), OnceLock::new()],
            link_graphs: [OnceLock::new(), OnceLock::new()],
            related_by_text: [OnceMap::default(), OnceMap::default()],
            search,
        })
    }

    /// Makes what requests would otherwise wait for, so they find it ready. Blocking: run it
    /// on a thread of its own. In order:
    ///
    /// - starts building the search index (on a thread of its own: it needs no rendering);
    /// - builds the public link graph, on every core: `related`, backlinks and `linkGraph`
    ///   wait for it, and it needs only each post's links (the Markdown pass without HTML,
    ///   about 40 % of a rendering), so those requests wait a short while;
    /// - renders every post not rendered yet and builds the public diagnostics, on the
    ///   background pool ([`background_pool`]: one thread fewer than cores), so the long part
    ///   leaves a core to the requests served meanwhile. Its threads keep the normal
    ///   priority: requests that need its results (`diagnostics`) wait for it, and a lower
    ///   priority made them wait behind every other process on a busy machine.
    pub fn warm(&self) {
        self.link_graph(Audience::Public);
        self.search.start();
        match background_pool() {
            Some(pool) => pool.install(|| {
                self.diagnostics(Audience::Public);
            }),
            None => {
                self.diagnostics(Audience::Public);
            }
        }
    }

    /// Whether the warm-up of this version is done: the public diagnostics are built, and
    /// with them every rendering and the public link graph ([`warm`](Self::warm)).
    pub fn is_warm(&self) -> bool {
        self.diagnostics[0].get().is_some()
    }

    /// Searches this version as `audience` sees it; [`SearchOutcome::Indexing`] (and the
    /// index build started) while its index is not ready.
    pub fn search(
        &self,
        audience: Audience,
        request: &SearchRequest<'_>,
    ) -> Result<SearchOutcome, SearchError> {
        self.search.search(&self.snapshot, audience, request)
    }

    /// The highlights of one hit of a search of this version.
    pub fn search_highlights(
        &self,
        audience: Audience,
        highlighter: &super::search::Highlighter,
        idx: PostIdx,
    ) -> Vec<super::search::Highlight> {
        self.search
            .highlights(&self.snapshot, audience, highlighter, idx)
    }

    /// Search-box completions of `prefix` from the titles and tags `audience` sees.
    pub fn suggest(&self, audience: Audience, prefix: &str, first: usize) -> Vec<Suggestion> {
        self.search.suggest(&self.snapshot, audience, prefix, first)
    }

    /// Whether this version's search index is ready.
    pub fn search_status(&self) -> IndexStatus {
        self.search.status()
    }

    /// Builds this version's search index now, on this thread, unless it is ready (for
    /// tools, tests and benchmarks; `warm` builds it in the background).
    pub fn build_search_index(&self) -> IndexStatus {
        self.search.wait_until_ready()
    }

    /// A post's rendering, made on first use and cached for this snapshot.
    pub fn rendered(&self, idx: PostIdx) -> Arc<RenderedPost> {
        self.renders
            .posts
            .get_or_init(idx, || Arc::new(self.renderer.render(&self.snapshot, idx)))
    }

    /// A post's HTML run through the sanitizer (`html(sanitize: true)`), made on first use
    /// and cached for this snapshot.
    pub fn sanitized_html(&self, idx: PostIdx) -> Arc<str> {
        self.renders.sanitized.get_or_init(idx, || {
            Arc::from(self.renderer.sanitize(&self.rendered(idx).html.unpack()))
        })
    }

    /// A post's body as plain text (`plainText`), made on first use and cached for this
    /// snapshot. Renderings do not hold it: it takes the Markdown pass without HTML, a
    /// fraction of a rendering, and on 10,000 real-size posts holding it for every post took
    /// about 70 MiB (a third of the renderings).
    pub fn plain_text(&self, idx: PostIdx) -> String {
        self.renders
            .plain_texts
            .get_or_init(idx, || {
                Arc::new(PackedText::new(
                    &self.renderer.plain_text(&self.snapshot, idx),
                ))
            })
            .unpack()
    }

    /// How many posts are rendered (cached) in this version so far.
    pub fn rendered_count(&self) -> usize {
        self.renders.posts.len()
    }

    /// Whether the post's rendering is cached already (a reload carried it over or a
    /// request made it).
    pub fn is_rendered(&self, idx: PostIdx) -> bool {
        self.renders.posts.get(&idx).is_some()
    }

    /// Renders every loaded post (in parallel) so later requests find them cached.
    pub fn render_all(&self) {
        use rayon::prelude::*;
        (0..self.snapshot.posts.len() as PostIdx)
            .into_par_iter()
            .for_each(|idx| {
                self.rendered(idx);
            });
    }

    /// The link graph as `audience` sees it, built on first use from each visible post's
    /// links: its rendering's when it is rendered, else the Markdown pass without HTML
    /// ([`Renderer::links`], in parallel), so the graph does not wait for every rendering.
    pub fn link_graph(&self, audience: Audience) -> &LinkGraph {
        use rayon::prelude::*;
        let slot = match audience {
            Audience::Public => &self.link_graphs[0],
            Audience::Preview => &self.link_graphs[1],
        };
        slot.get_or_init(|| {
            let view = self.snapshot.view(audience);
            let links: Vec<Arc<PostLinks>> = view
                .index
                .newest_first()
                .par_iter()
                .map(|&idx| match self.renders.posts.get(&idx) {
                    Some(rendered) => rendered.links.clone(),
                    None => Arc::new(self.renderer.links(&self.snapshot, idx)),
                })
                .collect();
            LinkGraph::build(view, &links)
        })
    }

    /// The posts most related to `idx` as `audience` sees this version, best first (at most
    /// [`MAX_RELATED`](crate::links::MAX_RELATED)): by shared tags, links and dates, and with
    /// `similar_text` also by how alike their words are (the search index's
    /// [`SiteSearch::similar`], which adds posts on that alone). The flag is `false` when the
    /// answer is not this version's last word: similar text was asked for while the index
    /// is being built (or after it failed), so it is left out.
    pub fn related(
        &self,
        audience: Audience,
        idx: PostIdx,
        similar_text: bool,
    ) -> (Arc<Vec<RelatedPost>>, bool) {
        let view = self.snapshot.view(audience);
        let links = self.link_graph(audience);
        if !similar_text {
            return (links.related(view, idx), true);
        }
        if self.search.status() != IndexStatus::Ready {
            // Builds it, unless that failed (a failed build is not tried again).
            self.search.start();
            return (links.related(view, idx), false);
        }
        let slot = match audience {
            Audience::Public => &self.related_by_text[0],
            Audience::Preview => &self.related_by_text[1],
        };
        let answer = slot.get_or_init(idx, || {
            let similar = self.search.similar(&self.snapshot, audience, idx)?;
            Ok(Arc::new(links.related_with_text(view, idx, &similar)))
        });
        match answer {
            Ok(related) => (related, true),
            Err(err) => {
                tracing::warn!("related posts without similar text: {err}");
                (links.related(view, idx), false)
            }
        }
    }

    /// The problems `audience` may see: those found while loading, while rendering (Liquid,
    /// wiki links) and broken links, sorted by file and line. A preview sees every problem;
    /// the public sees none about a file it cannot see ([`Snapshot::is_public_file`]), which
    /// leaves exactly the problems of the same folder without those files. Renders every
    /// post on first use.
    pub fn diagnostics(&self, audience: Audience) -> &[Diagnostic] {
        let slot = match audience {
            Audience::Public => &self.diagnostics[0],
            Audience::Preview => &self.diagnostics[1],
        };
        slot.get_or_init(|| {
            self.render_all();
            let snapshot = &self.snapshot;
            let shown =
                |d: &&Diagnostic| audience == Audience::Preview || snapshot.is_public_file(&d.path);
            let mut all: Vec<Diagnostic> =
                snapshot.diagnostics.iter().filter(shown).cloned().collect();
            for idx in 0..snapshot.posts.len() as PostIdx {
                let rendered = self.rendered(idx);
                all.extend(rendered.diagnostics.iter().filter(shown).cloned());
            }
            let public = snapshot.view(Audience::Public);
            all.extend(
                self.link_graph(Audience::Public)
                    .broken_link_diagnostics(public),
            );
            crate::diagnostic::sort(&mut all);
            all
        })
    }
}

/// Threads of the background pool: one fewer than the cores (at least one), so requests
/// always keep a core while a warm-up runs.
pub fn background_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .saturating_sub(1)
        .max(1)
}

static BACKGROUND_POOL: LazyLock<Option<rayon::ThreadPool>> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(background_threads())
        .thread_name(|i| format!("inkgraph-warm-{i}"))
        .build()
        .map_err(|err| {
            tracing::warn!("no background render pool ({err}): warming on the shared pool")
        })
        .ok()
});

/// The rayon pool that background warm-ups render on ([`ServedSite::warm`]); `None` when it
/// could not be started (then the global pool does the work).
pub fn background_pool() -> Option<&'static rayon::ThreadPool> {
    BACKGROUND_POOL.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_pool_leaves_a_core_to_requests() {
        let pool = background_pool().expect("the background pool starts");
        assert_eq!(pool.current_num_threads(), background_threads());
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        assert!(background_threads() < cores || cores == 1);
    }
}
