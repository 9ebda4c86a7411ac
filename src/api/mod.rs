//! The GraphQL API: types and resolvers over one snapshot.
//!
//! Every request carries one [`ServedSnapshot`] as request data, taken once when the request
//! arrives, so a response never mixes two versions of the corpus. Resolvers only read it.

mod connection;
pub mod cost;
mod filter;
mod links;
mod node;
mod post;
mod query;
mod site;
mod subscription;
mod tag;

pub use connection::{PageArgs, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use cost::RequestBudget;
pub use filter::PostFilter;
pub use query::Query;
pub use subscription::{
    AudienceChange, CorpusChange, CorpusChangeEvent, CorpusEvents, Subscription,
};

use crate::diagnostic::Diagnostic;
use crate::graph::{Audience, PostIdx, Snapshot, View};
use crate::links::LinkGraph;
use crate::render::{page_tag_names, RenderCache, RenderedPost, Renderer};
use arc_swap::ArcSwap;
use async_graphql::{Context, EmptyMutation, Error, Schema};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// The schema type served by inkgraph.
pub type InkSchema = Schema<Query, EmptyMutation, Subscription>;

/// The snapshot currently served; a reload swaps in a new one atomically. Take it once per
/// request with `load_full()` and pass the `Arc` down.
pub type CurrentSnapshot = Arc<ArcSwap<ServedSnapshot>>;

/// A snapshot as served: the immutable graph plus the renderings made from it. The cache
/// lives and dies with its snapshot, so no rendering outlives its version.
#[derive(Debug)]
pub struct ServedSnapshot {
    pub snapshot: Snapshot,
    /// Shared with the snapshots that follow this one when their posts' keys are the same.
    pub renderer: Arc<Renderer>,
    pub renders: RenderCache,
    /// Load, render and link-check diagnostics together per audience (public, preview),
    /// once every post is rendered.
    diagnostics: [OnceLock<Vec<Diagnostic>>; 2],
    /// The link graph per audience (public, preview), built on first use.
    link_graphs: [OnceLock<LinkGraph>; 2],
}

impl ServedSnapshot {
    pub fn new(snapshot: Snapshot) -> Arc<Self> {
        let renderer = Arc::new(Renderer::new(&snapshot));
        Self::with_renderings(snapshot, renderer, RenderCache::new())
    }

    /// Serves `snapshot`, reloaded from the same folder as `previous`, keeping every rendering
    /// of `previous` whose inputs did not change: the post's document, slug and tag names,
    /// the settings, and what its links and Liquid tags looked up about other posts.
    pub fn succeeding(previous: &ServedSnapshot, snapshot: Snapshot) -> Arc<Self> {
        if snapshot.same_keys(&previous.snapshot) {
            // Patched: same posts at the same positions, same renderer inputs.
            let renders = previous.renders.carried_over(|idx, _| {
                Arc::ptr_eq(&snapshot.post(idx).doc, &previous.snapshot.post(idx).doc)
                    .then_some(idx)
            });
            return Self::with_renderings(snapshot, previous.renderer.clone(), renders);
        }
        let renderer = Arc::new(Renderer::new(&snapshot));
        let renders = match renderer.can_reuse_renderings_of(&previous.renderer)
            && snapshot.config == previous.snapshot.config
        {
            true => previous.renders.carried_over(|old_idx, rendered| {
                // What it looked up about other posts is still there, unless it found
                // nothing (a post added since may match now) or reported a problem.
                if !rendered.unresolved_wiki_links.is_empty() || !rendered.diagnostics.is_empty() {
                    return None;
                }
                let old_post = previous.snapshot.post(old_idx);
                let idx = snapshot.loaded_post_by_path(&old_post.doc.source_path)?;
                let post = snapshot.post(idx);
                let same_inputs = Arc::ptr_eq(&post.doc, &old_post.doc)
                    && post.slug == old_post.slug
                    && page_tag_names(&snapshot, idx)
                        == page_tag_names(&previous.snapshot, old_idx);
                same_inputs.then_some(idx)
            }),
            false => RenderCache::new(),
        };
        Self::with_renderings(snapshot, renderer, renders)
    }

    fn with_renderings(
        snapshot: Snapshot,
        renderer: Arc<Renderer>,
        renders: RenderCache,
    ) -> Arc<Self> {
        Arc::new(ServedSnapshot {
            renderer,
            snapshot,
            renders,
            diagnostics: [OnceLock::new(), OnceLock::new()],
            link_graphs: [OnceLock::new(), OnceLock::new()],
        })
    }

    /// Renders every post not rendered yet and builds the public link graph and the public
    /// diagnostics, so requests find them ready. Blocking: run it on a thread of its own.
    pub fn warm(&self) {
        self.diagnostics(Audience::Public);
    }

    /// A post's rendering, made on first use and cached for this snapshot.
    pub fn rendered(&self, idx: PostIdx) -> Arc<RenderedPost> {
        self.renders
            .posts
            .get_or_init(idx, || Arc::new(self.renderer.render(&self.snapshot, idx)))
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

    /// The link graph as `audience` sees it (renders every post on first use).
    pub fn link_graph(&self, audience: Audience) -> &LinkGraph {
        let slot = match audience {
            Audience::Public => &self.link_graphs[0],
            Audience::Preview => &self.link_graphs[1],
        };
        slot.get_or_init(|| {
            self.render_all();
            LinkGraph::build(self.snapshot.view(audience), |idx| self.rendered(idx))
        })
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

/// Limits that protect the server from expensive queries.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Deepest selection nesting allowed.
    pub depth: usize,
    /// Largest query cost; list fields cost their page size times their children.
    pub complexity: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            depth: 15,
            complexity: 10_000,
        }
    }
}

/// Builds the schema. The snapshot is not part of it: pass one per request with
/// `Request::data(Arc<ServedSnapshot>)`; subscriptions read [`CorpusEvents`] from the
/// request (or connection) data. A request may carry an `Arc<RequestBudget>` too, shared by
/// the operations of one HTTP request (see [`cost`]).
pub fn build_schema(limits: QueryLimits) -> InkSchema {
    Schema::build(Query, EmptyMutation, Subscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .extension(cost::CostExtension)
        .finish()
}

/// The SDL of the schema, as `inkgraph schema` prints it and `schema.graphql` holds it.
pub fn schema_sdl() -> String {
    build_schema(QueryLimits::default()).sdl()
}

/// What one request reads: the snapshot as its audience sees it, and the renderings.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    view: View<'a>,
    pub audience: Audience,
    pub served: &'a ServedSnapshot,
}

impl<'a> Scope<'a> {
    /// The link graph this audience sees.
    pub fn links(&self) -> &'a LinkGraph {
        self.served.link_graph(self.audience)
    }
}

impl<'a> Deref for Scope<'a> {
    type Target = View<'a>;

    fn deref(&self) -> &View<'a> {
        &self.view
    }
}

/// The snapshot this request reads, as its audience (request data [`Audience`], public when
/// absent) sees it.
fn scope<'a>(ctx: &Context<'a>) -> Result<Scope<'a>, Error> {
    let served = ctx
        .data::<Arc<ServedSnapshot>>()
        .map_err(|_| Error::new("internal error: no content snapshot attached to the request"))?;
    let audience = ctx.data_opt::<Audience>().copied().unwrap_or_default();
    Ok(Scope {
        view: served.snapshot.view(audience),
        audience,
        served,
    })
}
