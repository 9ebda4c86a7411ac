//! The GraphQL API: types and resolvers over one served version of the site.
//!
//! Every request carries one [`ServedSite`] as request data, taken once when the request
//! arrives, so a response never mixes two versions of the site. Resolvers only translate
//! GraphQL into calls on it.

mod connection;
pub mod cost;
mod filter;
mod link_graph;
mod mutation;
mod node;
mod post;
mod query;
mod site;
mod subscription;
mod tag;

pub use connection::{PageArgs, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use cost::RequestBudget;
pub use filter::PostFilter;
pub use mutation::{Editing, Mutation, UNAUTHENTICATED_MESSAGE};
pub use query::Query;
pub use subscription::{CorpusChange, Subscription};

use crate::graph::{Audience, View};
use crate::links::LinkGraph;
use crate::site::ServedSite;
use async_graphql::{Context, Error, Schema};
use std::ops::Deref;
use std::sync::Arc;

/// The schema type served by inkgraph.
pub type InkSchema = Schema<Query, Mutation, Subscription>;

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
/// `Request::data(Arc<ServedSite>)`; subscriptions read `site::SiteEvents` from the
/// request (or connection) data. A request may carry an `Arc<RequestBudget>` too, shared by
/// the operations of one HTTP request (see [`cost`]).
pub fn build_schema(limits: QueryLimits) -> InkSchema {
    Schema::build(Query, Mutation, Subscription)
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
    pub served: &'a ServedSite,
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
        .data::<Arc<ServedSite>>()
        .map_err(|_| Error::new("internal error: no content snapshot attached to the request"))?;
    let audience = ctx.data_opt::<Audience>().copied().unwrap_or_default();
    Ok(Scope {
        view: served.snapshot.view(audience),
        audience,
        served,
    })
}
