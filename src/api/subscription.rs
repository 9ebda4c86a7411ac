//! Subscriptions: `corpusChanged` tells clients (e.g. a frontend's dev server) that a new
//! version of the corpus is being served.

use super::site::Diagnostic;
use crate::diagnostic;
use crate::graph::Audience;
use async_graphql::{Context, Error, Object, Subscription as SubscriptionRoot};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// How many swaps a slow subscriber may fall behind before it skips to the newest.
const EVENT_BACKLOG: usize = 64;

/// One swap of the served snapshot, as one audience sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusChangeEvent {
    /// The version now served, as the audience sees it.
    pub version: String,
    /// Source paths (relative to the content root) of new, changed and removed files.
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// The load diagnostics of the version now served.
    pub diagnostics: Vec<diagnostic::Diagnostic>,
}

/// One swap of the served snapshot, as published to subscribers: what each audience sees of
/// it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusSwapEvent {
    /// What a preview sees: every file.
    pub preview: Arc<CorpusChangeEvent>,
    /// What the public sees: only files it may see, its version and its diagnostics; `None`
    /// when the swap changed nothing the public sees (only hidden files changed), so public
    /// subscribers hear what they would hear from the same folder without hidden files.
    pub public: Option<Arc<CorpusChangeEvent>>,
}

impl CorpusSwapEvent {
    /// The event as `audience` sees it, if it sees one.
    pub fn for_audience(&self, audience: Audience) -> Option<&Arc<CorpusChangeEvent>> {
        match audience {
            Audience::Public => self.public.as_ref(),
            Audience::Preview => Some(&self.preview),
        }
    }
}

/// Where swaps are announced: the reloader publishes, every `corpusChanged` subscription
/// receives. Closing it ends every subscription (at shutdown). Cheap to clone.
#[derive(Debug, Clone)]
pub struct CorpusEvents {
    sender: broadcast::Sender<Arc<CorpusSwapEvent>>,
    closed: Arc<watch::Sender<bool>>,
}

impl Default for CorpusEvents {
    fn default() -> Self {
        CorpusEvents {
            sender: broadcast::channel(EVENT_BACKLOG).0,
            closed: Arc::new(watch::channel(false).0),
        }
    }
}

impl CorpusEvents {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `event` to every current subscriber (none is fine).
    pub fn publish(&self, event: CorpusSwapEvent) {
        let _ = self.sender.send(Arc::new(event));
    }

    /// Ends every subscription, now and later: their streams finish, so clients receive a
    /// `complete` message.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// A signal that resolves once the events are closed.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closed = self.closed.subscribe();
        async move {
            let _ = closed.wait_for(|closed| *closed).await;
        }
    }

    /// Open subscriptions.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// The events from now on, until closed. A subscriber that falls more than
    /// `EVENT_BACKLOG` events behind skips to the newest ones.
    pub fn stream(&self) -> impl Stream<Item = Arc<CorpusSwapEvent>> + Send + 'static {
        let receiver = self.sender.subscribe();
        let closed = self.closed.subscribe();
        futures_util::stream::unfold(
            (receiver, closed),
            |(mut receiver, mut closed)| async move {
                loop {
                    let received = tokio::select! {
                        biased;
                        _ = closed.wait_for(|closed| *closed) => None,
                        received = receiver.recv() => Some(received),
                    };
                    match received {
                        None | Some(Err(broadcast::error::RecvError::Closed)) => return None,
                        Some(Ok(event)) => return Some((event, (receiver, closed))),
                        Some(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                    }
                }
            },
        )
    }
}

/// The subscription root.
#[derive(Debug, Default, Clone, Copy)]
pub struct Subscription;

#[SubscriptionRoot]
impl Subscription {
    /// Fires each time a new version of the corpus is served (a file was added, changed or
    /// removed, or the folder was reloaded), with what changed and the new load diagnostics.
    /// Without preview access, changes to drafts and other hidden posts do not fire.
    async fn corpus_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = CorpusChange>, Error> {
        let events = ctx.data::<CorpusEvents>().map_err(|_| {
            Error::new("subscriptions are not available here: connect to /graphql/ws")
        })?;
        let audience = ctx.data_opt::<Audience>().copied().unwrap_or_default();
        use futures_util::StreamExt;
        Ok(events.stream().filter_map(move |swap| {
            let change = swap.for_audience(audience).cloned().map(CorpusChange);
            std::future::ready(change)
        }))
    }
}

/// A new version of the corpus and what changed since the previous one.
pub struct CorpusChange(pub Arc<CorpusChangeEvent>);

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
