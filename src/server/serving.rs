//! Serving a router over TCP with server-side timeouts (SPEC.md §9): the one serving loop of
//! `keyhub serve` and of the tests. Every connection is watched: a request head must arrive within
//! the header timeout of its first byte, a connection with nothing in flight is closed after the idle
//! timeout, and so is one whose client stops reading its answer. Request bodies may pause at most the
//! body timeout; a handler gets the request timeout to start its answer (gateway streams excepted,
//! see `router.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::config::HttpTimeouts;

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight finish.
/// Handlers see the client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: HttpTimeouts,
    shutdown: impl Future<Output = ()>,
) {
    // HTTP/1.1 only (and no upgrades, which would ignore that): the connection clock below times
    // HTTP/1 heads, bodies and idle waits; an HTTP/2 stream stuck behind a zero flow-control window
    // would escape it.
    let builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let clock = Arc::new(ConnectionClock::new());
        let service = {
            let clock = clock.clone();
            let router = router.clone();
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let in_flight = clock.begin_request();
                let mut request =
                    request.map(|body| Body::new(TimeoutBody::new(timeouts.body, body)));
                request.extensions_mut().insert(ConnectInfo(remote));
                let router = router.clone();
                async move {
                    let response = router.oneshot(request).await?;
                    Ok::<_, Infallible>(response.map(|body| InFlightBody {
                        body,
                        _in_flight: in_flight,
                    }))
                }
            })
        };
        let io = TokioIo::new(Watched {
            stream,
            clock: clock.clone(),
        });
        let connection = graceful.watch(builder.serve_connection(io, service).into_owned());
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                () = clock.expired(timeouts) => {
                    tracing::debug!(%remote, "connection closed: the client kept it waiting");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers 503 when a handler has not started its answer within `limit`.
pub async fn limit_request_time(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "error": {
                "code": "timeout",
                "message": "KeyHub could not answer this request in time. Try again."
            }})),
        )
            .into_response(),
    }
}

/// Like `axum::serve`: a failed connection is the client's business; anything else (too many open
/// files) is logged and waited out.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// What a connection is waiting for, to know when it has waited too long. hyper's own
/// `header_read_timeout` also runs while a kept-alive connection waits for its next request, which
/// would make the idle timeout the header timeout; this clock tells the two apart.
///
/// The socket and the requests only write down what happens; the watcher ([`Self::expired`])
/// looks at least once per shortest timeout and then sleeps exactly to the deadline it sees. A
/// wake-up per change would reschedule the connection's task twice a request (the watcher runs in
/// it), and the runtime then wakes an idle worker for each: on the gateway's hot path that cost
/// more than the clock itself.
struct ConnectionClock {
    state: Mutex<Waiting>,
}

struct Waiting {
    requests_in_flight: usize,
    /// Since when no request has been in flight.
    idle_since: Instant,
    /// When the first byte arrived while no request was in flight: a request head is coming.
    head_started: Option<Instant>,
    /// Since when a write has waited for the client to read.
    write_blocked_since: Option<Instant>,
}

impl ConnectionClock {
    fn new() -> ConnectionClock {
        ConnectionClock {
            state: Mutex::new(Waiting {
                requests_in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
                write_blocked_since: None,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, Waiting> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bytes_read(&self) {
        let mut state = self.state();
        if state.requests_in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
        }
    }

    fn write_blocked(&self, blocked: bool) {
        let mut state = self.state();
        match (blocked, state.write_blocked_since) {
            (true, None) => state.write_blocked_since = Some(Instant::now()),
            (false, Some(_)) => state.write_blocked_since = None,
            _ => {}
        }
    }

    fn begin_request(self: &Arc<Self>) -> InFlight {
        let mut state = self.state();
        state.requests_in_flight += 1;
        state.head_started = None;
        InFlight(self.clone())
    }

    fn end_request(&self) {
        let mut state = self.state();
        state.requests_in_flight -= 1;
        if state.requests_in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_started = None;
        }
    }

    /// When the connection has waited too long, as things stand; `None` while requests are being
    /// answered and the client reads.
    fn deadline(&self, timeouts: &HttpTimeouts) -> Option<Instant> {
        let state = self.state();
        let waiting = (state.requests_in_flight == 0).then(|| match state.head_started {
            Some(started) => started + timeouts.header,
            None => state.idle_since + timeouts.idle,
        });
        let unread = state.write_blocked_since.map(|since| since + timeouts.idle);
        waiting.into_iter().chain(unread).min()
    }

    /// Completes once the connection has waited too long. Every deadline lies at least the
    /// shortest timeout after the change that set it, so looking that often sees each in time.
    async fn expired(&self, timeouts: HttpTimeouts) {
        let look_every = timeouts.header.min(timeouts.idle);
        loop {
            let now = Instant::now();
            match self.deadline(&timeouts) {
                Some(at) if at <= now => return,
                Some(at) => tokio::time::sleep_until(at.min(now + look_every)).await,
                None => tokio::time::sleep_until(now + look_every).await,
            }
        }
    }
}

/// A request being answered, until its response body is done with.
struct InFlight(Arc<ConnectionClock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

/// A response body that keeps its request in flight until hyper has sent or dropped it.
struct InFlightBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, telling its clock when bytes arrive and when the client stops reading.
struct Watched {
    stream: TcpStream,
    clock: Arc<ConnectionClock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        self.clock.write_blocked(polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, data);
        self.clock.write_blocked(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
