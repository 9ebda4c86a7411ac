//! Connections: the accept loop, a cap on open connections, and per-connection timeouts so
//! slow or silent clients (slowloris) cannot hold sockets and file descriptors forever.
//!
//! `axum::serve` has no header-read timeout and no connection cap, so [`serve_connections`]
//! drives hyper itself. Each connection is watched:
//!
//! - a new connection must send its first request's headers within the header-read timeout;
//! - a request's headers, once their first byte arrived, within the header-read timeout;
//! - between requests a connection may stay idle for the keep-alive timeout;
//! - while a request is handled, the client must keep reading the answer (no progress for
//!   the stall bound closes it); its body must arrive within the request-body timeout,
//!   else it is answered 408 ([`limit_body_time`]).
//!
//! Over the cap a connection is answered 503 and closed. A WebSocket keeps its connection's
//! slot ([`ConnectionSlot`]) until it closes.

use super::HttpConfig;
use crate::api::ErrorCode;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tower::Service;

/// File descriptors kept free for everything but client connections (content files read
/// while reloading, the watcher, logs).
pub const RESERVED_FILES: u64 = 64;

/// Connections over the cap being answered 503 at once; beyond this they are just closed.
const MAX_REJECTING: usize = 64;

/// How long a connection over the cap gets to receive its 503.
const REJECT_LINGER: Duration = Duration::from_secs(1);

/// How the accept loop bounds connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once (WebSockets included).
    pub max_connections: usize,
    /// For a request's headers, from their first byte (or from the accept, for the first).
    pub header_read_timeout: Duration,
    /// For an idle connection between requests; zero turns keep-alive off.
    pub keep_alive_timeout: Duration,
    /// For a request being handled without any bytes moving (a client that stopped reading
    /// its answer): longer than any body wait or execution may take.
    pub stall_timeout: Duration,
}

impl ConnectionLimits {
    /// The limits `config` asks for.
    pub fn new(config: &HttpConfig) -> Self {
        ConnectionLimits {
            max_connections: config.max_connections.max(1),
            header_read_timeout: config.header_read_timeout,
            keep_alive_timeout: config.keep_alive_timeout,
            stall_timeout: 2 * config
                .request_body_timeout
                .max(config.timeout)
                .max(config.header_read_timeout),
        }
    }
}

/// A connection's place under the cap. Request handlers find it in the request extensions;
/// a WebSocket keeps a clone so the slot stays taken until the socket closes.
#[derive(Clone, Debug)]
pub struct ConnectionSlot(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Accepts connections on `listener` and serves `router` on them until `shutdown` resolves;
/// then stops accepting, lets every connection finish its request in flight (idle ones close
/// at once) and returns when all are closed. Upgraded connections (WebSockets) are not
/// waited for: they close when their subscriptions end.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let rejecting = Arc::new(Semaphore::new(MAX_REJECTING));
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a sender; `recv` answers `None` once all are gone.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                // E.g. EMFILE: wait a little instead of spinning; say so at most once a second.
                if last_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                    tracing::warn!("cannot accept a connection: {err}");
                    last_warning = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let router = router.clone();
                let stop = stop_rx.clone();
                let done = done_tx.clone();
                tokio::spawn(async move {
                    serve_connection(
                        stream,
                        router,
                        limits,
                        ConnectionSlot(Arc::new(permit)),
                        stop,
                    )
                    .await;
                    drop(done);
                });
            }
            Err(_) => {
                if let Ok(permit) = rejecting.clone().try_acquire_owned() {
                    let max = limits.max_connections;
                    tokio::spawn(async move {
                        reject(stream, max).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    let _ = done_rx.recv().await;
}

/// Serves one connection until it closes, a timeout closes it, or shutdown finishes it.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: ConnectionLimits,
    slot: ConnectionSlot,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            let handling = Handling::begin(activity.clone());
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(slot.clone());
            let mut router = router.clone();
            async move {
                let response = router.call(request).await;
                // The request counts as handled until its answer is sent.
                response.map(|response| {
                    response.map(|body| {
                        Body::new(Guarded {
                            inner: body,
                            _handling: handling,
                        })
                    })
                })
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper starts this clock whenever it waits for a request head, idle time included;
        // the watchdog below is the real bound, this one only a backstop behind it.
        .header_read_timeout(limits.header_read_timeout + limits.keep_alive_timeout)
        .keep_alive(!limits.keep_alive_timeout.is_zero());
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        let wait = match activity.check(&limits) {
            Check::Expired => break,
            Check::Within(wait) => wait,
        };
        tokio::select! {
            _ = connection.as_mut() => break,
            stopped = async { stop.wait_for(|stop| *stop).await.is_ok() }, if !stopping => {
                stopping = true;
                if stopped {
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Answers a connection over the cap with 503 and closes it.
async fn reject(mut stream: TcpStream, max: usize) {
    let body = serde_json::json!({"errors": [{
        "message": format!("too many open connections: at most {max} (--max-connections / INKGRAPH_MAX_CONNECTIONS); retry later"),
        "extensions": {"code": ErrorCode::ServiceUnavailable.as_str()},
    }]})
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REJECT_LINGER, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes, so closing does not reset the
        // connection before it read the answer.
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// Errors of one connection that `accept` reports; the listener itself is fine.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Milliseconds since `epoch`, as the watchdog keeps times.
type Millis = u64;

/// No time recorded.
const NEVER: Millis = u64::MAX;

/// What a connection is doing, for the watchdog.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    /// Requests being handled (until their answer is sent).
    handling: AtomicUsize,
    /// When bytes last moved either way.
    last_io: AtomicU64,
    /// When the connection last became idle: the accept, or the end of the last answer.
    idle_since: AtomicU64,
    /// When the first byte arrived since it became idle (a request head is coming).
    head_started: AtomicU64,
    /// Whether a request was ever handled (the first waits on the header-read timeout).
    served: AtomicBool,
}

enum Check {
    Expired,
    Within(Duration),
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            handling: AtomicUsize::new(0),
            last_io: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(NEVER),
            served: AtomicBool::new(false),
        }
    }

    fn now(&self) -> Millis {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    fn on_read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.handling.load(Ordering::Relaxed) == 0 {
            let _ = self.head_started.compare_exchange(
                NEVER,
                now,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    fn on_write(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }

    /// Whether the connection overstayed, else how long until it might.
    fn check(&self, limits: &ConnectionLimits) -> Check {
        let now = self.now();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NEVER / 2);
        let deadline = if self.handling.load(Ordering::SeqCst) > 0 {
            self.last_io
                .load(Ordering::Relaxed)
                .saturating_add(ms(limits.stall_timeout))
        } else {
            let head = self.head_started.load(Ordering::Relaxed);
            let idle = self.idle_since.load(Ordering::Relaxed);
            if head != NEVER {
                head.saturating_add(ms(limits.header_read_timeout))
            } else if !self.served.load(Ordering::Relaxed) {
                idle.saturating_add(ms(limits.header_read_timeout))
            } else {
                idle.saturating_add(ms(limits.keep_alive_timeout.max(Duration::from_millis(1))))
            }
        };
        match deadline.checked_sub(now) {
            Some(left) if left > 0 => Check::Within(Duration::from_millis(left)),
            _ => Check::Expired,
        }
    }
}

/// A request being handled; dropped when its answer was sent (or abandoned).
struct Handling(Arc<Activity>);

impl Handling {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.handling.fetch_add(1, Ordering::SeqCst);
        activity.served.store(true, Ordering::Relaxed);
        activity.head_started.store(NEVER, Ordering::Relaxed);
        activity.last_io.store(activity.now(), Ordering::Relaxed);
        Handling(activity)
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.handling.fetch_sub(1, Ordering::SeqCst) == 1 {
            activity.idle_since.store(activity.now(), Ordering::Relaxed);
            activity.head_started.store(NEVER, Ordering::Relaxed);
        }
    }
}

/// An answer's body that keeps its request counted as handled until it is dropped.
struct Guarded {
    inner: Body,
    _handling: Handling,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that tells its [`Activity`] when bytes move.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.on_write();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.on_write();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Middleware: a request body must arrive within `timeout` (from when the request's headers
/// were read); else the request is answered 408 and the connection closed.
pub async fn limit_body_time(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    use http_body::Body as _;
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let fired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            fired: fired.clone(),
        })
    });
    let response = next.run(request).await;
    if !fired.load(Ordering::SeqCst) {
        return response;
    }
    let message = format!(
        "the request body did not arrive within {} ms (--request-body-timeout / INKGRAPH_REQUEST_BODY_TIMEOUT)",
        timeout.as_millis()
    );
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        axum::Json(serde_json::json!({"errors": [{
            "message": message,
            "extensions": {"code": ErrorCode::RequestTimeout.as_str()},
        }]})),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The request body did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    fired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.fired.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Raises the soft open-file limit to the hard one where allowed; answers the soft limit in
/// force afterwards (`None` where it cannot be read).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::raise_nofile()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How many connections fit under an open-file limit of `files`.
pub fn connections_fitting(files: u64) -> usize {
    usize::try_from(files.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX)
}

#[cfg(unix)]
mod rlimit {
    /// `rlim_t` as `u64` (it is `u64` on Linux, but not on every Unix).
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    fn to_u64(value: libc::rlim_t) -> u64 {
        u64::try_from(value).unwrap_or(u64::MAX)
    }

    pub fn raise_nofile() -> Option<u64> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit` only writes the struct it is given, which lives on this frame.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: `setrlimit` only reads the struct it is given. It fails (and changes
            // nothing) where the hard limit is above what the kernel allows, e.g. macOS.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        Some(to_u64(limit.rlim_cur))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 10,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(30),
        }
    }

    fn expired(activity: &Activity) -> bool {
        matches!(activity.check(&limits()), Check::Expired)
    }

    /// An activity as if it started `ago` earlier.
    fn started(ago: Duration) -> Activity {
        let mut activity = Activity::new();
        activity.epoch = Instant::now() - ago;
        activity
    }

    #[test]
    fn a_silent_new_connection_gets_the_header_timeout() {
        assert!(!expired(&started(Duration::from_secs(9))));
        assert!(expired(&started(Duration::from_secs(11))));
    }

    #[test]
    fn an_idle_connection_after_a_request_gets_the_keep_alive_timeout() {
        // Accepted 100 s ago, answered a request that ended `ended_ago`.
        let idle_for = |ended_ago: u64| {
            let activity = started(Duration::from_secs(100));
            activity.served.store(true, Ordering::Relaxed);
            activity
                .idle_since
                .store((100 - ended_ago) * 1000, Ordering::Relaxed);
            expired(&activity)
        };
        assert!(!idle_for(0));
        assert!(!idle_for(30), "longer than the header timeout is fine");
        assert!(idle_for(61), "longer than the keep-alive timeout is not");
    }

    #[test]
    fn a_trickled_head_gets_the_header_timeout_from_its_first_byte() {
        let activity = started(Duration::from_secs(20));
        activity.served.store(true, Ordering::Relaxed);
        activity.idle_since.store(activity.now(), Ordering::Relaxed);
        activity.head_started.store(0, Ordering::Relaxed);
        assert!(expired(&activity), "head started 20 s ago");
    }

    #[test]
    fn a_request_in_flight_is_bounded_by_io_progress() {
        let activity = Arc::new(started(Duration::from_secs(40)));
        let handling = Handling::begin(activity.clone());
        assert!(!expired(&activity), "just began");
        activity.last_io.store(0, Ordering::Relaxed);
        assert!(expired(&activity), "no bytes moved for 40 s");
        drop(handling);
        assert!(!expired(&activity), "idle since now");
    }

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let Some(soft) = raise_open_file_limit() else {
            return;
        };
        assert!(soft >= 1);
        #[cfg(target_os = "linux")]
        {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: as in `raise_nofile`.
            assert_eq!(
                unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
                0
            );
            assert_eq!(limit.rlim_cur, limit.rlim_max);
        }
        assert_eq!(connections_fitting(1024), 960);
        assert_eq!(connections_fitting(10), 1);
    }
}
