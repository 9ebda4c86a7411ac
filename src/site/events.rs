//! Announcing swaps: each new served version is published once per audience
//! ([`SwapEvent`]) on the [`SiteEvents`] bus, which `corpusChanged` subscriptions (and, later,
//! webhooks) listen to. A preview subscriber learns everything; a public subscriber learns
//! only about files the public sees, and nothing at all about a swap that changed nothing it
//! sees (e.g. a draft was saved).

use crate::diagnostic::Diagnostic;
use crate::graph::{Audience, Snapshot};
use crate::load::FileChanges;
use futures_util::Stream;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// How many swaps a slow subscriber may fall behind before it skips to the newest.
const EVENT_BACKLOG: usize = 64;

/// One swap of the served snapshot, as one audience is told about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteChange {
    /// The version now served.
    pub version: String,
    /// Source paths (relative to the content root) of new, changed and removed files.
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// The load diagnostics of the version now served.
    pub diagnostics: Vec<Diagnostic>,
}

/// One swap as each audience is told about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwapEvent {
    /// Everything: every file that changed and every load diagnostic.
    pub preview: Arc<SiteChange>,
    /// Only what the public sees; `None` when the swap changed nothing it sees.
    pub public: Option<Arc<SiteChange>>,
}

impl SwapEvent {
    /// The swap from `previous` to `next`, whose files changed as `delta` says.
    ///
    /// The public is told about a post file when it sees the post before or after the swap
    /// (a post that became visible, e.g. a future post now due, is `added`; one that became
    /// hidden is `removed`), and about a file that is not a loaded post (a file skipped
    /// with an error) unless it is in a `_drafts` folder: the rule `Query.diagnostics`
    /// follows. Its diagnostics are those of such files. When none of that changed, the
    /// public gets no event.
    pub fn between(previous: &Snapshot, next: &Snapshot, delta: &FileChanges) -> Self {
        let preview = Arc::new(SiteChange {
            version: next.preview_version.clone(),
            added: delta.added.clone(),
            updated: delta.updated.clone(),
            removed: delta.removed.clone(),
            diagnostics: next.diagnostics.clone(),
        });
        let public = public_change(previous, next, delta).map(Arc::new);
        SwapEvent { preview, public }
    }

    /// The event `audience` receives, if any.
    pub fn for_audience(&self, audience: Audience) -> Option<&Arc<SiteChange>> {
        match audience {
            Audience::Preview => Some(&self.preview),
            Audience::Public => self.public.as_ref(),
        }
    }
}

/// What the public is told about the swap from `previous` to `next`; `None` when nothing it
/// sees changed.
fn public_change(previous: &Snapshot, next: &Snapshot, delta: &FileChanges) -> Option<SiteChange> {
    let mut added = BTreeSet::new();
    let mut updated = BTreeSet::new();
    let mut removed = BTreeSet::new();
    // Posts that became visible or hidden without their file changing (a future post now
    // due) are found by comparing what the public sees; a patched snapshot (same posts,
    // same positions, same visible list) cannot have any.
    let same_visible =
        previous.same_keys(next) && previous.index.newest_first() == next.index.newest_first();
    if !same_visible {
        let before = public_post_paths(previous);
        let after = public_post_paths(next);
        added.extend(after.difference(&before).map(|p| p.to_string()));
        removed.extend(before.difference(&after).map(|p| p.to_string()));
    }
    for path in &delta.added {
        if public_sees_file(next, path) {
            added.insert(path.clone());
        }
    }
    for path in &delta.updated {
        match (
            public_sees_file(previous, path),
            public_sees_file(next, path),
        ) {
            (true, true) => {
                updated.insert(path.clone());
            }
            (false, true) => {
                added.insert(path.clone());
            }
            (true, false) => {
                removed.insert(path.clone());
            }
            (false, false) => {}
        }
    }
    for path in &delta.removed {
        if public_sees_file(previous, path) {
            removed.insert(path.clone());
        }
    }
    let diagnostics = public_diagnostics(next);
    if added.is_empty()
        && updated.is_empty()
        && removed.is_empty()
        && diagnostics == public_diagnostics(previous)
    {
        return None;
    }
    Some(SiteChange {
        version: next.version.clone(),
        added: added.into_iter().collect(),
        updated: updated.into_iter().collect(),
        removed: removed.into_iter().collect(),
        diagnostics,
    })
}

/// Source paths of the posts the public sees.
fn public_post_paths(snapshot: &Snapshot) -> HashSet<&str> {
    snapshot
        .index
        .newest_first()
        .iter()
        .map(|idx| snapshot.post(*idx).doc.source_path.as_str())
        .collect()
}

/// Whether the public may learn about the file at `path` in `snapshot`: the one rule
/// [`Snapshot::is_public_file`] that `Query.diagnostics` follows too.
fn public_sees_file(snapshot: &Snapshot, path: &str) -> bool {
    snapshot.is_public_file(path)
}

/// The load diagnostics of files the public may learn about.
fn public_diagnostics(snapshot: &Snapshot) -> Vec<Diagnostic> {
    snapshot
        .diagnostics
        .iter()
        .filter(|d| public_sees_file(snapshot, &d.path))
        .cloned()
        .collect()
}

/// Where swaps are announced: the reloader publishes, every `corpusChanged` subscription
/// receives what its audience may see. Closing it ends every subscription (at shutdown).
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct SiteEvents {
    sender: broadcast::Sender<Arc<SwapEvent>>,
    closed: Arc<watch::Sender<bool>>,
}

impl Default for SiteEvents {
    fn default() -> Self {
        SiteEvents {
            sender: broadcast::channel(EVENT_BACKLOG).0,
            closed: Arc::new(watch::channel(false).0),
        }
    }
}

impl SiteEvents {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `change` to every current subscriber (none is fine); each receives the event
    /// for its audience, or nothing.
    pub fn publish(&self, change: SwapEvent) {
        let _ = self.sender.send(Arc::new(change));
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

    /// The events `audience` receives from now on, until closed. A subscriber that falls
    /// more than `EVENT_BACKLOG` swaps behind skips to the newest ones.
    pub fn stream(
        &self,
        audience: Audience,
    ) -> impl Stream<Item = Arc<SiteChange>> + Send + 'static {
        let receiver = self.sender.subscribe();
        let closed = self.closed.subscribe();
        futures_util::stream::unfold(
            (receiver, closed),
            move |(mut receiver, mut closed)| async move {
                loop {
                    let received = tokio::select! {
                        biased;
                        _ = closed.wait_for(|closed| *closed) => None,
                        received = receiver.recv() => Some(received),
                    };
                    match received {
                        None | Some(Err(broadcast::error::RecvError::Closed)) => return None,
                        Some(Ok(change)) => {
                            if let Some(event) = change.for_audience(audience) {
                                return Some((event.clone(), (receiver, closed)));
                            }
                        }
                        Some(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                    }
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Visibility;
    use crate::load::{LoadOptions, ParsedFolder};
    use std::path::Path;

    fn post(title: &str, date: &str) -> String {
        format!("---\ntitle: {title}\ndate: {date}\n---\n\nBody.\n")
    }

    /// A public post, a draft and a future post.
    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("_posts")).expect("mkdir");
        std::fs::create_dir_all(root.join("_drafts")).expect("mkdir");
        std::fs::write(root.join("_config.yml"), "title: T\n").expect("write");
        std::fs::write(root.join("_posts/2024-01-01-a.md"), post("A", "2024-01-01"))
            .expect("write");
        std::fs::write(root.join("_drafts/d.md"), post("D", "2024-01-02")).expect("write");
        std::fs::write(root.join("_posts/2999-01-01-f.md"), post("F", "2999-01-01"))
            .expect("write");
        dir
    }

    /// Writes `text` to `rel` (or deletes it for `None`) and reloads; the change as published.
    fn change(
        parsed: &mut ParsedFolder,
        previous: &mut Snapshot,
        root: &Path,
        rel: &str,
        text: Option<&str>,
    ) -> SwapEvent {
        match text {
            Some(text) => std::fs::write(root.join(rel), text).expect("write"),
            None => std::fs::remove_file(root.join(rel)).expect("remove"),
        }
        let (next, delta) = parsed.apply(&[root.join(rel)]).expect("apply");
        let change = SwapEvent::between(previous, &next, &delta);
        *previous = next;
        change
    }

    #[test]
    fn the_public_hears_only_of_what_it_sees() {
        let dir = site();
        let root = dir.path();
        let (mut parsed, mut snapshot) = ParsedFolder::load(&LoadOptions {
            root: root.to_path_buf(),
            visibility: Visibility::default(),
        })
        .expect("load");
        let mut step =
            |rel: &str, text: Option<&str>| change(&mut parsed, &mut snapshot, root, rel, text);

        // Hidden files: the preview hears of them, the public hears nothing.
        for (rel, text) in [
            ("_drafts/d.md", Some("---\ntitle: [broken\n---\n")),
            (
                "_posts/2999-01-01-f.md",
                Some(post("F2", "2999-01-01").as_str()),
            ),
            ("_drafts/new.md", Some(post("N", "2024-01-03").as_str())),
            ("_drafts/new.md", None),
        ] {
            let change = step(rel, text);
            assert!(change.public.is_none(), "{rel}: {:?}", change.public);
            let touched = [
                &change.preview.added,
                &change.preview.updated,
                &change.preview.removed,
            ];
            assert!(
                touched.iter().any(|paths| paths.contains(&rel.to_string())),
                "{rel}"
            );
        }

        // A public post moved into the future is gone for the public.
        let change = step("_posts/2024-01-01-a.md", Some(&post("A", "2999-06-01")));
        let public = change.public.expect("an event");
        assert_eq!(public.removed, ["_posts/2024-01-01-a.md"]);
        assert!(public.added.is_empty() && public.updated.is_empty());
        assert_eq!(change.preview.updated, ["_posts/2024-01-01-a.md"]);

        // And back: new to the public.
        let change = step("_posts/2024-01-01-a.md", Some(&post("A", "2024-01-01")));
        assert_eq!(
            change.public.expect("an event").added,
            ["_posts/2024-01-01-a.md"]
        );

        // A broken file named for the future is not named.
        let change = step("_posts/2999-02-02-launch.md", Some("---\ntitle: [l\n---\n"));
        assert!(change.public.is_none(), "{:?}", change.public);

        // A broken public file is named with its diagnostics (as `Query.diagnostics` does),
        // the broken draft's are not.
        let change = step("_posts/2024-02-02-b.md", Some("---\ntitle: [b\n---\n"));
        let public = change.public.expect("an event");
        assert_eq!(public.added, ["_posts/2024-02-02-b.md"]);
        assert!(public
            .diagnostics
            .iter()
            .any(|d| d.path == "_posts/2024-02-02-b.md"));
        assert!(public
            .diagnostics
            .iter()
            .all(|d| !d.path.contains("_drafts")));
        assert!(change
            .preview
            .diagnostics
            .iter()
            .any(|d| d.path == "_drafts/d.md"));
    }
}
