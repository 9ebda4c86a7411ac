//! The server's lifecycle: accept connections, reload the corpus on SIGHUP, and on SIGTERM or
//! Ctrl-C stop accepting, report not-ready, and drain in-flight requests within a bound.

use super::AppState;
use crate::api::ServedSnapshot;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Builds a fresh snapshot from disk; the error says why it could not (the current snapshot
/// then keeps serving).
pub type Reload = Arc<dyn Fn() -> Result<Arc<ServedSnapshot>, String> + Send + Sync>;

/// How [`serve`] runs.
#[derive(Clone)]
pub struct ServeOptions {
    /// After a shutdown signal, how long in-flight requests may take before the server
    /// exits anyway.
    pub shutdown_grace: Duration,
    /// What SIGHUP runs; `None` ignores SIGHUP's reload meaning.
    pub reload: Option<Reload>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            shutdown_grace: Duration::from_secs(10),
            reload: None,
        }
    }
}

/// Serves `state`'s routes on `listener` until SIGTERM or Ctrl-C, then drains for at most
/// `options.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
) -> std::io::Result<()> {
    if let Some(reload) = options.reload.clone() {
        spawn_reloader(state.clone(), reload);
    }
    let (draining_tx, mut draining_rx) = tokio::sync::watch::channel(false);
    let grace = options.shutdown_grace;
    let signal_state = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        signal_state.begin_shutdown();
        tracing::info!(
            "shutting down: finishing in-flight requests (at most {} ms)",
            grace.as_millis()
        );
        let _ = draining_tx.send(true);
    };
    let server = axum::serve(listener, state.router())
        .with_graceful_shutdown(shutdown)
        .into_future();
    let deadline = async move {
        let _ = draining_rx.wait_for(|draining| *draining).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => {
            tracing::info!("stopped");
            result
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

/// Reloads on every SIGHUP, off the async threads (loading reads and parses every file).
fn spawn_reloader(state: AppState, reload: Reload) {
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
            let reload = reload.clone();
            match tokio::task::spawn_blocking(move || reload()).await {
                Ok(Ok(served)) => {
                    let (version, posts) =
                        (served.snapshot.version.clone(), served.snapshot.index.len());
                    state.replace_snapshot(served);
                    tracing::info!("reloaded: version {version}, {posts} posts");
                }
                Ok(Err(err)) => {
                    state.reload_failed();
                    tracing::error!("reload failed, still serving the previous version: {err}");
                }
                Err(err) => {
                    state.reload_failed();
                    tracing::error!("reload failed, still serving the previous version: {err}");
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (state, reload);
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
