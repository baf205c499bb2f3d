//! Limits against abuse: caps on concurrent generations (all transports
//! together, and per client address), and the send timeout.
//!
//! | limit | default | flag |
//! |---|---|---|
//! | generations running at once in this instance (WS + SSE + chat) | 10,000 | `--max-generations` |
//! | generations running at once per client address | 16 | `--max-generations-per-client` |
//! | `Retry-After` of a refusal | 1 s | `--retry-after-secs` |
//! | a write to a client that makes no progress | 10 s, then the connection ends (and a WS or chat generation with it; an SSE generation goes on until it is abandoned) | `--send-timeout-secs` |
//!
//! Only *running* generations count: a finished SSE stream retained for
//! reconnects does not hold a place. The caps are per instance; behind a
//! load balancer the cluster-wide cap is their sum. The client address is
//! the TCP peer, or with `--client-ip-header x-real-ip` the header a trusted
//! proxy sets (use it only when clients cannot reach the port directly).
//!
//! A refusal is `429 Too Many Requests` with `Retry-After` on HTTP, and on
//! the WebSocket an `error` message followed by `done` (reason `error`).
//!
//! The send timeout lives in the connection itself ([`SendTimeoutIo`]), so
//! it bounds every response and the WebSocket alike: a write that stays
//! pending (the peer's receive window is full) for longer than the timeout
//! fails with `TimedOut`, and hyper or the WebSocket session then drops the
//! connection.

use super::metrics::Metrics;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Caps on concurrent generations.
pub struct Limits {
    max_generations: usize,
    max_per_client: usize,
    retry_after: Duration,
    running: AtomicUsize,
    per_client: Mutex<HashMap<IpAddr, usize>>,
}

/// Which cap refused a generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The instance runs its maximum.
    #[error("this server runs {0} generations at once already; retry later")]
    Global(usize),
    /// This client runs its maximum.
    #[error("this client runs {0} generations at once already; stop one or retry later")]
    PerClient(usize),
}

impl Limits {
    /// Caps of `max_generations` in all and `max_per_client` per address.
    pub fn new(max_generations: usize, max_per_client: usize, retry_after: Duration) -> Self {
        Limits {
            max_generations,
            max_per_client,
            retry_after,
            running: AtomicUsize::new(0),
            per_client: Mutex::new(HashMap::new()),
        }
    }

    /// The `Retry-After` of a refusal.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Generations running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Takes a place for a generation of `client`, released when the
    /// permit is dropped.
    pub fn acquire(self: &Arc<Self>, client: IpAddr) -> Result<GenerationPermit, LimitExceeded> {
        let mut map = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(client).or_insert(0);
        if *n >= self.max_per_client {
            return Err(LimitExceeded::PerClient(self.max_per_client));
        }
        if self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| {
                (r < self.max_generations).then_some(r + 1)
            })
            .is_err()
        {
            if *n == 0 {
                map.remove(&client);
            }
            return Err(LimitExceeded::Global(self.max_generations));
        }
        *n += 1;
        Ok(GenerationPermit {
            limits: self.clone(),
            client,
        })
    }
}

/// A place taken by a running generation.
pub struct GenerationPermit {
    limits: Arc<Limits>,
    client: IpAddr,
}

impl Drop for GenerationPermit {
    fn drop(&mut self) {
        self.limits.running.fetch_sub(1, Ordering::SeqCst);
        let mut map = self
            .limits
            .per_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

/// The 429 answer of a refused HTTP request.
pub(crate) fn too_many(
    e: &LimitExceeded,
    retry_after: Duration,
    body: serde_json::Value,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let _ = e;
    (
        http::StatusCode::TOO_MANY_REQUESTS,
        [(
            http::header::RETRY_AFTER,
            retry_after.as_secs().max(1).to_string(),
        )],
        axum::Json(body),
    )
        .into_response()
}

/// The client's TCP peer address (axum `ConnectInfo`).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TimeoutListener>>
    for ClientAddr
{
    fn connect_info(s: axum::serve::IncomingStream<'_, TimeoutListener>) -> Self {
        ClientAddr(*s.remote_addr())
    }
}

/// The address a limit counts: the `header` set by a trusted proxy (its
/// last comma-separated entry), else the TCP peer.
pub(crate) fn client_ip(
    header: Option<&str>,
    headers: &http::HeaderMap,
    peer: SocketAddr,
) -> IpAddr {
    header
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer.ip())
}

/// A TCP listener whose connections carry the send timeout.
pub struct TimeoutListener {
    inner: TcpListener,
    send_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl TimeoutListener {
    /// Wraps `inner`.
    pub fn new(inner: TcpListener, send_timeout: Duration, metrics: Arc<Metrics>) -> Self {
        TimeoutListener {
            inner,
            send_timeout,
            metrics,
        }
    }
}

impl axum::serve::Listener for TimeoutListener {
    type Io = SendTimeoutIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((s, addr)) => {
                    let _ = s.set_nodelay(true);
                    return (
                        SendTimeoutIo::new(s, self.send_timeout, self.metrics.clone()),
                        addr,
                    );
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum does.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An IO whose writes fail with `TimedOut` after making no progress for
/// the timeout. Reads are untouched (an idle client is fine; a client that
/// does not read is not).
pub struct SendTimeoutIo<T> {
    inner: T,
    timeout: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
    metrics: Arc<Metrics>,
}

impl<T> SendTimeoutIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, timeout: Duration, metrics: Arc<Metrics>) -> Self {
        SendTimeoutIo {
            inner,
            timeout,
            timer: None,
            armed: false,
            metrics,
        }
    }

    /// Called when a write is pending: starts the timer at the first
    /// pending write and fails once it expires.
    fn pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.armed {
            timer.as_mut().reset(deadline);
            self.armed = true;
        }
        ready!(timer.as_mut().poll(cx));
        self.metrics.send_timeouts.fetch_add(1, Ordering::Relaxed);
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the client read nothing for {:?}", self.timeout),
        ))
    }
}

use std::future::Future;

impl<T: AsyncRead + Unpin> AsyncRead for SendTimeoutIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

macro_rules! timed {
    ($self:ident, $cx:ident, $call:expr) => {{
        match $call {
            Poll::Ready(r) => {
                $self.armed = false;
                Poll::Ready(r)
            }
            Poll::Pending => match $self.pending($cx) {
                Poll::Ready(e) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            },
        }
    }};
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SendTimeoutIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        timed!(this, cx, Pin::new(&mut this.inner).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        timed!(
            this,
            cx,
            Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
        )
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        timed!(this, cx, Pin::new(&mut this.inner).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        timed!(this, cx, Pin::new(&mut this.inner).poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_running_generations_per_client_and_in_all() {
        let l = Arc::new(Limits::new(3, 2, Duration::from_secs(1)));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = l.acquire(a).unwrap();
        let _a2 = l.acquire(a).unwrap();
        assert_eq!(l.acquire(a).err(), Some(LimitExceeded::PerClient(2)));
        let _b1 = l.acquire(b).unwrap();
        assert_eq!(l.acquire(b).err(), Some(LimitExceeded::Global(3)));
        drop(a1);
        assert_eq!(l.running(), 2);
        let _b2 = l.acquire(b).unwrap();
        assert_eq!(l.running(), 3);
    }

    #[test]
    fn the_proxy_header_is_used_only_when_configured() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut h = http::HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 5.6.7.8".parse().unwrap());
        assert_eq!(client_ip(None, &h, peer), peer.ip());
        assert_eq!(
            client_ip(Some("x-forwarded-for"), &h, peer),
            "5.6.7.8".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(Some("x-real-ip"), &h, peer), peer.ip());
    }
}
