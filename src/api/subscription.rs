//! Subscriptions: `corpusChanged` tells clients (e.g. a frontend's dev server) that a new
//! version of the site is being served, as the connection's audience sees it (see
//! [`crate::site::events`]).

use super::error::{field_error, ErrorCode};
use super::site::Diagnostic;
use crate::graph::Audience;
use crate::site::{SiteChange, SiteEvents};
use async_graphql::{Context, Error, Object, Subscription as SubscriptionRoot};
use futures_util::Stream;
use std::sync::Arc;

/// The subscription root.
#[derive(Debug, Default, Clone, Copy)]
pub struct Subscription;

#[SubscriptionRoot]
impl Subscription {
    /// Fires each time a new version of the corpus is served (a file was added, changed or
    /// removed, or the folder was reloaded), with what changed and the new load diagnostics.
    /// Without preview access it fires only when something the public sees changed, and
    /// names only such files (drafts and future posts stay hidden).
    async fn corpus_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = CorpusChange>, Error> {
        let events = ctx.data::<SiteEvents>().map_err(|_| {
            field_error(
                ErrorCode::SubscriptionNotSupported,
                "subscriptions are not available here: connect to /graphql/ws",
            )
        })?;
        let audience = ctx.data_opt::<Audience>().copied().unwrap_or_default();
        use futures_util::StreamExt;
        Ok(events.stream(audience).map(CorpusChange))
    }
}

/// A new version of the corpus and what changed since the previous one.
pub struct CorpusChange(pub Arc<SiteChange>);

#[Object]
impl CorpusChange {
    /// The version now served (what `site.version` answers).
    async fn version(&self) -> &str {
        &self.0.version
    }

    /// Source paths, relative to the content root, of post files that are new.
    async fn added(&self) -> &[String] {
        &self.0.added
    }

    /// Source paths of post files whose contents changed (including ones that became
    /// invalid: their last good version keeps being served).
    async fn updated(&self) -> &[String] {
        &self.0.updated
    }

    /// Source paths of post files that are gone.
    async fn removed(&self) -> &[String] {
        &self.0.removed
    }

    /// Problems found while loading the new version (render and link problems are in
    /// `Query.diagnostics`).
    async fn diagnostics(&self) -> Vec<Diagnostic<'_>> {
        self.0.diagnostics.iter().map(Diagnostic).collect()
    }
}
