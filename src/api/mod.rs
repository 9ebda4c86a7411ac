//! The GraphQL API: types and resolvers over one served version of the site.
//!
//! Every request carries one [`ServedSite`] as request data, taken once when the request
//! arrives, so a response never mixes two versions of the site. Resolvers only translate
//! GraphQL into calls on it.

mod connection;
pub mod cost;
pub mod error;
mod extension;
mod filter;
mod hints;
mod link_graph;
mod mutation;
mod node;
mod post;
mod query;
mod scalars;
mod search;
mod site;
pub mod spec;
mod subscription;
mod tag;

pub use connection::{PageArgs, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use cost::RequestBudget;
pub use error::ErrorCode;
pub use filter::PostFilter;
pub use mutation::{Editing, Mutation, UNAUTHENTICATED_MESSAGE};
pub use query::Query;
pub use subscription::{CorpusChange, Subscription};

use crate::graph::{Audience, View};
use crate::links::LinkGraph;
use crate::site::ServedSite;
use async_graphql::{Context, Error, SDLExportOptions, Schema};
use chrono::{DateTime, FixedOffset};
use error::{field_error, ErrorCode as Code};
use std::ops::Deref;
use std::sync::Arc;

/// The schema type served by inkgraph.
pub type InkSchema = Schema<Query, Mutation, Subscription>;

/// Limits that protect the server from expensive queries (settings of `inkgraph serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct QueryLimits {
    /// Deepest query nesting accepted.
    #[arg(long = "max-depth", env = "INKGRAPH_MAX_DEPTH", default_value_t = 15, value_parser = crate::args::at_least(1), value_name = "N")]
    pub depth: usize,
    /// Largest query cost accepted (every field costs 1; a list costs its page size times its
    /// fields, so this also caps aliases).
    #[arg(long = "max-complexity", env = "INKGRAPH_MAX_COMPLEXITY", default_value_t = 10_000, value_parser = crate::args::at_least(1), value_name = "N")]
    pub complexity: usize,
}

impl Default for QueryLimits {
    /// The defaults of `--max-depth` and `--max-complexity`.
    fn default() -> Self {
        crate::args::defaults()
    }
}

/// Builds the schema. The snapshot is not part of it: pass one per request with
/// `Request::data(Arc<ServedSite>)`; subscriptions read `site::SiteEvents` from the
/// request (or connection) data. A request may carry an `Arc<RequestBudget>` too, shared by
/// the operations of one HTTP request (see [`cost`]).
///
/// Its one extension ([`extension::ApiExtension`]) checks depth and complexity (coded errors
/// naming the limit, [`cost`]) and makes answers follow the GraphQL specification where
/// async-graphql does not (variables, null propagation, error codes, [`spec`]).
pub fn build_schema(limits: QueryLimits) -> InkSchema {
    Schema::build(Query, Mutation, Subscription)
        .override_output_type_description::<DateTime<FixedOffset>>(scalars::DATE_TIME_DESCRIPTION)
        .extension(extension::ApiExtension { limits })
        .finish()
}

/// The SDL of the schema, as `inkgraph schema` prints it and `schema.graphql` holds it
/// (with `@specifiedBy` on the custom scalars).
pub fn schema_sdl() -> String {
    build_schema(QueryLimits::default())
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
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
    let served = ctx.data::<Arc<ServedSite>>().map_err(|_| {
        field_error(
            Code::InternalServerError,
            "internal error: no content snapshot attached to the request",
        )
    })?;
    let audience = ctx.data_opt::<Audience>().copied().unwrap_or_default();
    Ok(Scope {
        view: served.snapshot.view(audience),
        audience,
        served,
    })
}
