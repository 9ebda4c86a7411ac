//! Where GraphQL work runs: off the async workers, a bounded amount at a time.
//!
//! Parsing a new document, validating and executing a request are CPU-bound (a first render,
//! the link graph or the diagnostics can take seconds). Run on the async workers, a few such
//! requests would leave every worker busy, so `/healthz` went unanswered and the timeout
//! could not fire. Here that work runs on tokio's blocking pool, at most `max_concurrent`
//! pieces at once; at most `max_queued` requests wait for a turn, and any request beyond
//! that is refused at once (503 with `Retry-After`) rather than queued without bound. The
//! async workers only route requests, answer from caches and wait, so they stay free.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The gate every GraphQL request's work passes.
#[derive(Debug)]
pub struct WorkGate {
    /// Requests running or waiting.
    admitted: Arc<Semaphore>,
    /// Pieces of work running.
    running: Arc<Semaphore>,
}

/// A request let in: it may run work, one piece at a time, until it is dropped.
#[derive(Debug)]
pub struct Admission {
    _place: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

/// Why work did not run to its end for its caller.
#[derive(Debug)]
pub enum RunError {
    /// The deadline passed first (waiting for a turn, or running). Work that had started
    /// goes on in the background, keeping its turn, until it ends.
    Deadline,
    /// The work panicked.
    Panicked(tokio::task::JoinError),
}

impl WorkGate {
    /// A gate running at most `max_concurrent` pieces of work (at least 1), with at most
    /// `max_queued` more requests waiting.
    pub fn new(max_concurrent: usize, max_queued: usize) -> Self {
        let max_concurrent = max_concurrent.clamp(1, Semaphore::MAX_PERMITS / 2);
        let max_queued = max_queued.min(Semaphore::MAX_PERMITS / 2);
        WorkGate {
            admitted: Arc::new(Semaphore::new(max_concurrent + max_queued)),
            running: Arc::new(Semaphore::new(max_concurrent)),
        }
    }

    /// Lets a request in, or `None` at once when as many are running and waiting as allowed.
    pub fn admit(&self) -> Option<Admission> {
        let place = self.admitted.clone().try_acquire_owned().ok()?;
        Some(Admission {
            _place: place,
            running: self.running.clone(),
        })
    }
}

impl Admission {
    /// Runs `work` on the blocking pool as soon as a turn is free, and waits for its result
    /// until `deadline`.
    pub async fn run<T, F>(&self, deadline: Instant, work: F) -> Result<T, RunError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        run_until(deadline, async {
            let turn = self
                .running
                .clone()
                .acquire_owned()
                .await
                .expect("the gate's semaphore is never closed");
            tokio::task::spawn_blocking(move || {
                // Held until the work ends, even when nobody waits for it any more, so the
                // turns bound the CPU actually in use.
                let _turn = turn;
                work()
            })
            .await
            .map_err(RunError::Panicked)
        })
        .await
    }
}

async fn run_until<T>(
    deadline: Instant,
    work: impl Future<Output = Result<T, RunError>>,
) -> Result<T, RunError> {
    tokio::time::timeout_at(deadline, work)
        .await
        .unwrap_or(Err(RunError::Deadline))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn admits_running_plus_queued_then_refuses() {
        let gate = WorkGate::new(1, 1);
        let first = gate.admit().expect("runs");
        let second = gate.admit().expect("waits");
        assert!(gate.admit().is_none(), "the line is full");
        drop(second);
        assert!(gate.admit().is_some(), "a place came free");
        drop(first);
    }

    #[tokio::test]
    async fn the_deadline_answers_while_blocking_work_goes_on() {
        let gate = WorkGate::new(1, 4);
        let admission = gate.admit().expect("admitted");
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let started = std::time::Instant::now();
        let soon = Instant::now() + Duration::from_millis(100);
        let result = admission
            .run(soon, move || {
                // Blocks until the test lets it go: the timeout must not wait for it.
                let _ = rx.recv_timeout(Duration::from_secs(30));
            })
            .await;
        assert!(matches!(result, Err(RunError::Deadline)));
        assert!(started.elapsed() < Duration::from_secs(10));
        // Its turn is still taken, so the next piece of work waits for the first one.
        let waiting = admission
            .run(Instant::now() + Duration::from_millis(100), || 1)
            .await;
        assert!(matches!(waiting, Err(RunError::Deadline)));
        tx.send(()).expect("the work is still running");
        let later = admission
            .run(Instant::now() + Duration::from_secs(30), || 2)
            .await;
        assert_eq!(later.expect("ran"), 2);
    }
}
