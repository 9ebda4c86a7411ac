//! The served site following its content folder.
//!
//! [`LiveSite`] owns the [`ParsedFolder`] (the last parse of every file) next to the
//! [`CurrentSite`]. Every reload — a batch of file events from `watch`, SIGHUP,
//! `POST /admin/reload` — goes through it: rebuild incrementally, swap the new version in
//! atomically (requests in flight finish on the one they started with), log one line and
//! announce the swap on the [`SiteEvents`] bus. A reload that fails keeps the current version
//! serving.

use super::{CurrentSite, ServedSite, SiteEvents, SwapEvent};
use crate::graph::Snapshot;
use crate::load::{FileChanges, LoadError, LoadOptions, ParsedFolder};
use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The outcome of one reload.
#[derive(Debug, Clone)]
pub struct Swap {
    /// The version served afterwards, as the public sees it.
    pub version: String,
    /// The version served afterwards, as a preview sees it (it changes with every file).
    pub preview_version: String,
    /// What changed; empty when nothing did (then nothing was swapped).
    pub delta: FileChanges,
    /// Whether a new snapshot was swapped in.
    pub swapped: bool,
    /// Time from the start of the reload to the swap.
    pub millis: f64,
}

/// The served snapshot plus what is needed to reload it incrementally.
pub struct LiveSite {
    current: CurrentSite,
    /// Held while rebuilding, so reloads from the watcher, SIGHUP and the admin endpoint run
    /// one at a time.
    parsed: Mutex<ParsedFolder>,
    events: SiteEvents,
    reloads: AtomicU64,
    swaps: AtomicU64,
    failures: AtomicU64,
}

impl std::fmt::Debug for LiveSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSite")
            .field("version", &self.current.load().snapshot.preview_version)
            .finish_non_exhaustive()
    }
}

impl LiveSite {
    /// Loads the content folder and starts serving it.
    pub fn load(options: &LoadOptions) -> Result<Arc<LiveSite>, LoadError> {
        let (parsed, snapshot) = ParsedFolder::load(options)?;
        Ok(Self::new(parsed, ServedSite::new(snapshot)))
    }

    /// Serves `served`, which must have been built from `parsed`.
    pub fn new(parsed: ParsedFolder, served: Arc<ServedSite>) -> Arc<LiveSite> {
        Arc::new(LiveSite {
            current: Arc::new(ArcSwap::new(served)),
            parsed: Mutex::new(parsed),
            events: SiteEvents::new(),
            reloads: AtomicU64::new(0),
            swaps: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        })
    }

    /// The snapshot being served (share it with the HTTP server).
    pub fn current(&self) -> &CurrentSite {
        &self.current
    }

    /// The content folder this site is loaded from.
    pub fn root(&self) -> std::path::PathBuf {
        self.parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .options()
            .root
            .clone()
    }

    /// Where swaps are announced.
    pub fn events(&self) -> &SiteEvents {
        &self.events
    }

    /// Reloads run since start-up, whether or not anything changed.
    pub fn reload_count(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Snapshots swapped in since start-up.
    pub fn swap_count(&self) -> u64 {
        self.swaps.load(Ordering::Relaxed)
    }

    /// Reloads that failed (the previous snapshot kept serving).
    pub fn failure_count(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Rescans the whole folder (SIGHUP, `POST /admin/reload`). Unchanged files are not
    /// parsed again. Always swaps, even to the same version: "now" moves on, so posts dated
    /// in the future may have become due. Blocking: call it off the async threads.
    pub fn reload_all(&self) -> Result<Swap, LoadError> {
        self.reload(true, |parsed, _| parsed.reload_all())
    }

    /// Applies a batch of changed paths (absolute, or relative to the root); swaps only when
    /// the version (public or preview) changes. Blocking.
    pub fn apply(&self, paths: &[PathBuf]) -> Result<Swap, LoadError> {
        self.reload(false, |parsed, previous| {
            parsed.apply_to(paths, Some(&previous.snapshot))
        })
    }

    fn reload(
        &self,
        force: bool,
        rebuild: impl FnOnce(
            &mut ParsedFolder,
            &ServedSite,
        ) -> Result<(Snapshot, FileChanges), LoadError>,
    ) -> Result<Swap, LoadError> {
        let started = Instant::now();
        self.reloads.fetch_add(1, Ordering::Relaxed);
        // A panic while rebuilding poisons the lock, but the parse results are only replaced
        // once complete, so they are still consistent.
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        // Only reloads take the lock, so this stays the served snapshot until the swap below.
        let previous = self.current.load_full();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rebuild(&mut parsed, &previous)
        }));
        let rebuilt_ms = started.elapsed().as_secs_f64() * 1e3;
        let (mut snapshot, delta) = match outcome {
            Ok(Ok(rebuilt)) => rebuilt,
            Ok(Err(err)) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!("reload failed, still serving the previous version: {err}");
                return Err(err);
            }
            Err(_) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!("reload panicked, still serving the previous version");
                return Err(LoadError::Rebuild("the rebuild panicked".into()));
            }
        };
        // The public version also moves when a future post falls due (no file changed).
        let unchanged = snapshot.preview_version == previous.snapshot.preview_version
            && snapshot.version == previous.snapshot.version;
        if !force && unchanged {
            return Ok(Swap {
                version: snapshot.version,
                preview_version: snapshot.preview_version,
                delta,
                swapped: false,
                millis: started.elapsed().as_secs_f64() * 1e3,
            });
        }
        // Only hidden files changed: for the public nothing happened, so nothing may show it.
        let public_changed = force || snapshot.version != previous.snapshot.version;
        if !public_changed {
            snapshot.loaded_at = previous.snapshot.loaded_at;
        }
        for d in snapshot.diagnostics.iter().filter(|d| {
            delta.added.contains(&d.path) || delta.updated.contains(&d.path) || delta.full
        }) {
            d.log();
        }
        let counts = format!(
            "{} public posts, {} diagnostics ({} errors); {} added, {} updated, {} removed",
            snapshot.index.len(),
            snapshot.diagnostics.len(),
            snapshot.diagnostics.iter().filter(|d| d.is_error()).count(),
            delta.added.len(),
            delta.updated.len(),
            delta.removed.len(),
        );
        // An explicit reload renders everything afresh (an `_includes` file may have
        // changed); a watched change keeps the renderings whose inputs did not change. Both
        // keep the search index, updated with the posts that changed.
        let served = match force {
            true => ServedSite::rerendered(&previous, snapshot),
            false => ServedSite::succeeding(&previous, snapshot),
        };
        self.current.store(served.clone());
        let millis = started.elapsed().as_secs_f64() * 1e3;
        // What the time went to: reading, parsing and the snapshot; then the served site
        // (renderer, kept renderings, the search index's update).
        let site_ms = millis - rebuilt_ms;
        // Each audience's view of the swap, published while the reload lock is held so
        // subscribers receive swaps in order. The public hears nothing when only hidden files
        // changed.
        let change = SwapEvent::between(&previous.snapshot, &served.snapshot, &delta);
        let version = served.snapshot.version.clone();
        let preview_version = served.snapshot.preview_version.clone();
        self.events.publish(change);
        drop(parsed);
        // Render what is not cached yet and rebuild the link graph off the request path,
        // and free the previous snapshot there too (unless requests still hold it).
        std::thread::spawn(move || {
            drop(previous);
            served.warm();
        });
        self.swaps.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            "swapped in version {preview_version} (public {version}){}: {counts} in {millis:.1} ms (snapshot {rebuilt_ms:.1} ms, served site {site_ms:.1} ms)",
            if delta.full { " (full rescan)" } else { "" },
        );
        Ok(Swap {
            version,
            preview_version,
            delta,
            swapped: true,
            millis,
        })
    }
}
