//! The server's lifecycle: accept connections, reload the corpus on SIGHUP, and on SIGTERM or
//! Ctrl-C stop accepting, report not-ready, end subscriptions, and drain in-flight requests
//! and WebSocket connections within a bound.

use super::connections::{self, ConnectionLimits};
use super::AppState;
use crate::site::LiveSite;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Longest wait for WebSocket connections to close after their subscriptions completed.
const WEBSOCKET_DRAIN: Duration = Duration::from_secs(2);

/// How [`serve`] runs: settings of `inkgraph serve`, declared once here (see
/// [`super::HttpConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// After SIGTERM or Ctrl-C, how long in-flight requests may take before the server exits.
    #[arg(long, env = "INKGRAPH_SHUTDOWN_GRACE", default_value = "10s", value_parser = crate::args::duration, value_name = "DURATION")]
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    /// The defaults of the flags.
    fn default() -> Self {
        crate::args::defaults()
    }
}

/// Serves `state`'s routes on `listener` until SIGTERM or Ctrl-C, then drains for at most
/// `options.shutdown_grace`. SIGHUP reloads when `state` has a live corpus.
///
/// Refuses (`InvalidInput`) a configuration with a weak token or two tokens the same. Raises the
/// open-file limit where allowed, and caps connections to fit it.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
) -> std::io::Result<()> {
    serve_until(listener, state, options, shutdown_signal()).await
}

/// [`serve`], shutting down when `signal` resolves instead of on SIGTERM or Ctrl-C.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state
        .config()
        .check_tokens()
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))?;
    let mut limits = ConnectionLimits::new(state.config());
    if let Some(files) = connections::raise_open_file_limit() {
        let fitting = connections::connections_fitting(files);
        if limits.max_connections > fitting {
            tracing::warn!(
                "the open-file limit is {files}: accepting at most {fitting} connections instead of {} (--max-connections)",
                limits.max_connections
            );
            limits.max_connections = fitting;
        }
    }
    if let Some(live) = state.live_corpus().cloned() {
        spawn_reloader(state.clone(), live);
    }
    let (draining_tx, mut draining_rx) = tokio::sync::watch::channel(false);
    let grace = options.shutdown_grace;
    let signal_state = state.clone();
    let shutdown = async move {
        signal.await;
        signal_state.begin_shutdown();
        // Subscriptions complete; their connections close themselves shortly after.
        signal_state.events().close();
        tracing::info!(
            "shutting down: finishing in-flight requests (at most {} ms)",
            grace.as_millis()
        );
        let _ = draining_tx.send(true);
    };
    let server = connections::serve_connections(listener, state.router(), limits, shutdown);
    let deadline = async move {
        let _ = draining_rx.wait_for(|draining| *draining).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        () = server => {
            drain_websockets(&state, WEBSOCKET_DRAIN.min(grace)).await;
            tracing::info!("stopped");
            Ok(())
        }
        () = deadline => {
            tracing::warn!(
                "in-flight requests did not finish within {} ms; exiting anyway",
                grace.as_millis()
            );
            Ok(())
        }
    }
}

/// Waits (at most `bound`) for upgraded WebSocket connections, which the HTTP server's
/// graceful shutdown does not track, to close.
async fn drain_websockets(state: &AppState, bound: Duration) {
    let started = Instant::now();
    while state.websocket_count() > 0 {
        if started.elapsed() >= bound {
            tracing::warn!(
                "{} WebSocket connections still open after {} ms; exiting anyway",
                state.websocket_count(),
                bound.as_millis()
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reloads on every SIGHUP, off the async threads, through the same path as the watcher and
/// `POST /admin/reload`.
fn spawn_reloader(state: AppState, live: Arc<LiveSite>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(err) => {
                tracing::warn!("cannot listen for SIGHUP, reloading is off: {err}");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the content folder");
            let live = live.clone();
            match tokio::task::spawn_blocking(move || live.reload_all()).await {
                Ok(Ok(swap)) => {
                    let posts = state.current().load().snapshot.index.len();
                    tracing::info!("reloaded: version {}, {posts} posts", swap.version);
                }
                // `reload_all` logged why and counted the failure.
                Ok(Err(_)) => {}
                Err(err) => {
                    state.reload_failed();
                    tracing::error!("reload failed, still serving the previous version: {err}");
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (state, live);
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
