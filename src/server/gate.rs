//! Where GraphQL work runs: off the async workers, a bounded amount at a time.
//!
//! Parsing a new document, validating and executing a request are CPU-bound (a first render,
//! the link graph or the diagnostics can take seconds). Run on the async workers, a few such
//! requests would leave every worker busy, so `/healthz` went unanswered and the timeout
//! could not fire. Here that work runs on `max_concurrent` threads of its own, which take
//! pieces from one queue in order; at most `max_queued` requests wait for a turn, and any
//! request beyond that is refused at once (503 with `Retry-After`) rather than queued without
//! bound. The async workers only route requests, answer from caches and wait, so they stay
//! free.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The gate every GraphQL request's work passes.
#[derive(Debug)]
pub struct WorkGate {
    /// Requests running or waiting.
    admitted: Arc<Semaphore>,
    /// The threads that run the work.
    workers: Arc<Workers>,
}

/// A request let in: it may run work, one piece at a time, until it is dropped.
#[derive(Debug)]
pub struct Admission {
    _place: OwnedSemaphorePermit,
    workers: Arc<Workers>,
}

/// Why work did not run to its end for its caller.
#[derive(Debug)]
pub enum RunError {
    /// The deadline passed first (waiting for a turn, or running). Work that had started
    /// goes on in the background, keeping its turn, until it ends.
    Deadline,
    /// The work panicked (with this message), or its thread was gone.
    Panicked(String),
}

impl WorkGate {
    /// A gate running at most `max_concurrent` pieces of work (at least 1), with at most
    /// `max_queued` more requests waiting.
    pub fn new(max_concurrent: usize, max_queued: usize) -> Self {
        let max_concurrent = max_concurrent.clamp(1, MAX_WORKERS);
        let max_queued = max_queued.min(Semaphore::MAX_PERMITS / 2);
        WorkGate {
            admitted: Arc::new(Semaphore::new(max_concurrent + max_queued)),
            workers: Arc::new(Workers::start(max_concurrent)),
        }
    }

    /// Lets a request in, or `None` at once when as many are running and waiting as allowed.
    pub fn admit(&self) -> Option<Admission> {
        let place = self.admitted.clone().try_acquire_owned().ok()?;
        Some(Admission {
            _place: place,
            workers: self.workers.clone(),
        })
    }
}

/// Most threads a gate starts.
const MAX_WORKERS: usize = 1024;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads taking work from one queue, in order: a thread that finishes a
/// piece takes the next waiting one at once. (Waiting for a turn on a semaphore and then
/// handing the work to tokio's blocking pool left a core idle between pieces: about a fifth
/// of the CPU under load, measured.)
#[derive(Debug)]
struct Workers {
    queue: Mutex<mpsc::Sender<Job>>,
}

impl Workers {
    /// Starts `count` threads (fewer if the system refuses some; panics if it refuses all:
    /// a server that cannot run a single query must not start).
    fn start(count: usize) -> Workers {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        let mut refused = None;
        for i in 0..count {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("graphql-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking a piece, not while running it.
                    let job = receiver
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    match job {
                        // A job contains its own panics (`queue`); this one is a last guard
                        // so that a thread is never lost to one.
                        Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
                        // The gate is gone.
                        Err(_) => return,
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(err) => refused = Some(err),
            }
        }
        if let Some(err) = refused {
            assert!(started > 0, "cannot start any GraphQL worker thread: {err}");
            tracing::error!("started {started} of {count} GraphQL worker threads: {err}");
        }
        Workers {
            queue: Mutex::new(sender),
        }
    }

    /// Queues `work`; its result (or its panic's message) goes to `done`. The work waits in
    /// `slot`: whoever gives up on it before its turn takes it back out (and drops it, with
    /// whatever it holds), so a piece nobody waits for any more neither runs nor keeps its
    /// data while it waits.
    fn queue<T, F>(&self, slot: Arc<Mutex<Option<F>>>, done: oneshot::Sender<Result<T, String>>)
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        // The work may use the runtime it came from (async-graphql's executor, timers), as
        // it could on tokio's blocking pool.
        let runtime = tokio::runtime::Handle::try_current().ok();
        let job: Job = Box::new(move || {
            let Some(work) = take(&slot) else {
                return;
            };
            let _runtime = runtime.as_ref().map(tokio::runtime::Handle::enter);
            let result = std::panic::catch_unwind(AssertUnwindSafe(work))
                .map_err(|panic| crate::panics::message(&*panic));
            let _ = done.send(result);
        });
        // A send fails only when every worker thread is gone: the caller hears of it when
        // `done` is dropped with the job.
        let _ = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
    }
}

/// The work in `slot`, taken out (`None` once taken).
fn take<F>(slot: &Mutex<Option<F>>) -> Option<F> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// Takes the work back out of its slot when dropped: its caller gave up (or got its result,
/// when the slot is empty already).
struct TakeBack<F>(Arc<Mutex<Option<F>>>);

impl<F> Drop for TakeBack<F> {
    fn drop(&mut self) {
        drop(take(&self.0));
    }
}

impl Admission {
    /// Runs `work` on the gate's threads as soon as one is free, and waits for its result
    /// until `deadline`.
    pub async fn run<T, F>(&self, deadline: Instant, work: F) -> Result<T, RunError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let slot = Arc::new(Mutex::new(Some(work)));
        let _take_back = TakeBack(slot.clone());
        self.workers.queue(slot, done);
        run_until(deadline, async {
            match result.await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(panic)) => Err(RunError::Panicked(panic)),
                Err(_) => Err(RunError::Panicked(
                    "no GraphQL worker thread is running".into(),
                )),
            }
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
    async fn a_panic_is_reported_and_the_threads_keep_working() {
        let gate = WorkGate::new(1, 4);
        let admission = gate.admit().expect("admitted");
        let far = Instant::now() + Duration::from_secs(30);
        let panicked = admission.run(far, || -> u32 { panic!("boom") }).await;
        assert!(
            matches!(&panicked, Err(RunError::Panicked(message)) if message.contains("boom")),
            "{panicked:?}"
        );
        assert_eq!(admission.run(far, || 7).await.expect("ran"), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_max_concurrent_pieces_run_at_once_and_they_can_use_the_runtime() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(WorkGate::new(2, 16));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let far = Instant::now() + Duration::from_secs(30);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let admission = gate.admit().expect("room for all eight");
                admission
                    .run(far, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        // As on tokio's blocking pool: the runtime the work came from.
                        tokio::runtime::Handle::current().block_on(async { 1 })
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("joined").expect("ran"), 1);
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
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
        let held = Arc::new(());
        let in_work = held.clone();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ran_in_work = ran.clone();
        let waiting = admission
            .run(Instant::now() + Duration::from_millis(100), move || {
                let _held = in_work;
                ran_in_work.store(true, std::sync::atomic::Ordering::SeqCst);
                1
            })
            .await;
        assert!(matches!(waiting, Err(RunError::Deadline)));
        // Given up on while it waited: dropped at once, with what it holds, though its job is
        // still in the queue.
        assert_eq!(Arc::strong_count(&held), 1, "the abandoned work still held");
        tx.send(()).expect("the work is still running");
        let later = admission
            .run(Instant::now() + Duration::from_secs(30), || 2)
            .await;
        assert_eq!(later.expect("ran"), 2);
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "work nobody waited for any more ran"
        );
    }
}
