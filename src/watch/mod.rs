//! Watching the content folder with `notify`: native events (inotify, FSEvents, …) or polling
//! for mounts where native events do not arrive (some Docker volumes, network shares).
//! Events are debounced, editor temp and swap files are dropped, and each batch becomes one
//! incremental reload on a dedicated thread.

use crate::site::LiveSite;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    new_debouncer_opt, DebounceEventResult, Debouncer, FileIdMap, NoCache,
};
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// The operating system's file events.
    Native,
    /// Scan the folder every `interval` (for mounts without native events).
    Poll { interval: Duration },
}

/// How the folder is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    pub mode: WatchMode,
    /// Quiet time after the last event before a batch is reloaded: an editor's save (write a
    /// temp file, rename it over the original) becomes one reload.
    pub debounce: Duration,
}

impl Default for WatchOptions {
    /// Native events, with `--watch-debounce`'s default.
    fn default() -> Self {
        WatchOptions {
            mode: WatchMode::Native,
            debounce: crate::args::defaults::<WatchArgs>().watch_debounce,
        }
    }
}

/// `inkgraph serve`'s watch settings, declared once here (see [`crate::server::HttpConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// Watch the content folder and serve changes as soon as files are saved.
    #[arg(long, env = "INKGRAPH_WATCH")]
    pub watch: bool,
    /// Watch by polling instead of native file events (for mounts where events do not
    /// arrive, e.g. some Docker volumes); implies --watch.
    #[arg(long, env = "INKGRAPH_WATCH_POLL")]
    pub watch_poll: bool,
    /// How often --watch-poll scans the folder.
    #[arg(long, env = "INKGRAPH_WATCH_POLL_INTERVAL", default_value = "500ms", value_parser = crate::args::positive_duration, value_name = "DURATION")]
    pub watch_poll_interval: Duration,
    /// Quiet time after the last file event before reloading (an editor's save is several
    /// events).
    #[arg(long, env = "INKGRAPH_WATCH_DEBOUNCE", default_value = "50ms", value_parser = crate::args::duration, value_name = "DURATION")]
    pub watch_debounce: Duration,
}

impl WatchArgs {
    /// How to follow the folder; `None` when neither `--watch` nor `--watch-poll` is set.
    pub fn options(&self) -> Option<WatchOptions> {
        let mode = match (self.watch, self.watch_poll) {
            (_, true) => WatchMode::Poll {
                interval: self.watch_poll_interval,
            },
            (true, false) => WatchMode::Native,
            (false, false) => return None,
        };
        Some(WatchOptions {
            mode,
            debounce: self.watch_debounce,
        })
    }
}

/// A running watcher; dropping it stops watching (the reload thread then ends).
pub struct Watching {
    _debouncer: WatcherHandle,
}

impl std::fmt::Debug for Watching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watching").finish_non_exhaustive()
    }
}

// Held only so that watching goes on; dropping it stops the watcher and its thread.
#[allow(dead_code)]
enum WatcherHandle {
    Native(Debouncer<RecommendedWatcher, FileIdMap>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

/// Watches `live`'s content folder until the returned handle is dropped.
pub fn watch(live: Arc<LiveSite>, options: WatchOptions) -> notify::Result<Watching> {
    let root = live.root();
    // Events then name absolute paths, whatever the working folder.
    let root = root.canonicalize().unwrap_or(root);
    let (sender, batches) = mpsc::channel::<DebounceEventResult>();
    let tick = (options.debounce / 4).max(Duration::from_millis(5));
    let handle = match options.mode {
        WatchMode::Native => {
            let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, _>(
                options.debounce,
                Some(tick),
                sender,
                FileIdMap::new(),
                // Links are not followed (as the scan does not follow them): a link to `/`
                // in the folder must not make the watcher watch the whole file system.
                notify::Config::default().with_follow_symlinks(false),
            )?;
            debouncer.watch(&root, RecursiveMode::Recursive)?;
            WatcherHandle::Native(debouncer)
        }
        WatchMode::Poll { interval } => {
            let config = notify::Config::default()
                .with_poll_interval(interval)
                // Not into links either: polling would walk (and hash) what they point to.
                .with_follow_symlinks(false)
                // Compare contents too: coarse modification times (1 s or 2 s on some
                // file systems) miss quick successive saves.
                .with_compare_contents(true);
            let mut debouncer = new_debouncer_opt::<_, PollWatcher, _>(
                options.debounce,
                Some(tick),
                sender,
                NoCache::new(),
                config,
            )?;
            debouncer.watch(&root, RecursiveMode::Recursive)?;
            WatcherHandle::Poll(debouncer)
        }
    };
    std::thread::Builder::new()
        .name("inkgraph-reload".into())
        .spawn(move || reload_loop(&live, &batches))?;
    tracing::info!(
        "watching {} for changes ({})",
        root.display(),
        match options.mode {
            WatchMode::Native => "native events".to_string(),
            WatchMode::Poll { interval } => format!("polling every {} ms", interval.as_millis()),
        }
    );
    Ok(Watching { _debouncer: handle })
}

/// Turns batches of events into reloads until the watcher is dropped. Batches that arrive
/// while a reload runs are merged into the next one.
fn reload_loop(live: &LiveSite, batches: &mpsc::Receiver<DebounceEventResult>) {
    while let Ok(first) = batches.recv() {
        let mut paths = Vec::new();
        let mut next = Some(first);
        while let Some(batch) = next.take() {
            match batch {
                Ok(events) => paths.extend(
                    events
                        .into_iter()
                        .filter(|event| changes_files(&event.event.kind))
                        .flat_map(|event| event.event.paths)
                        .filter(|path| !is_editor_noise(path)),
                ),
                Err(errors) => {
                    for err in errors {
                        tracing::warn!("watching the content folder: {err}");
                    }
                }
            }
            next = batches.try_recv().ok();
        }
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            continue;
        }
        // Errors are logged by `apply`; the current snapshot keeps serving.
        let _ = live.apply(&paths);
    }
}

/// Whether an event can mean changed contents. Opening or reading a file does not; reloading
/// on those would loop, as a reload opens every file.
fn changes_files(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Editor temp, swap and backup files, and anything hidden: `.x.md.swp`, `x.md~`, `#x.md#`,
/// `.#x.md`, `4913` (vim's probe file), `x.md.tmp`.
pub fn is_editor_noise(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    crate::source::is_ignored_name(&name)
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".crswap"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_poll_implies_watch_and_carries_its_interval() {
        let mut args: WatchArgs = crate::args::defaults();
        assert_eq!(args.options(), None);
        args.watch = true;
        assert_eq!(args.options(), Some(WatchOptions::default()));
        args.watch = false;
        args.watch_poll = true;
        assert_eq!(
            args.options().map(|options| options.mode),
            Some(WatchMode::Poll {
                interval: Duration::from_millis(500)
            })
        );
    }
}
