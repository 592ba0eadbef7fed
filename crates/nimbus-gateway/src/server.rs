//! The HTTP server: accepts connections on an injected listener and serves both HTTP/1.1
//! (keep-alive) and cleartext HTTP/2 with prior knowledge (h2c) on the same port — each
//! connection's first bytes decide, the HTTP/2 preface or anything else. Every connection
//! gets `TCP_NODELAY` (without it, delayed ACKs cost ~40 ms per call). It collects bodies
//! under a size limit, whatever the HTTP version, and hands each request to
//! [`Gateway::handle`] with the connection's peer address (the `aws:SourceIp` policies
//! see); it stops when the injected shutdown future resolves.
//!
//! Holding a server open costs an attacker nothing, so every connection is bounded
//! (issue 8): headers must arrive within [`Limits::header_read`] (slowloris), a keep-alive
//! connection with no request in flight is closed after [`Limits::idle`], at most
//! [`Limits::max_connections`] are open at once (a connection over the cap gets a `503` and
//! is closed, so the descriptors left keep the process alive), and accept errors are logged
//! at most once a second with a count of the ones suppressed. [`bind`] listens with a
//! production-sized backlog (4096, as nginx and HAProxy use) so a connect burst is not
//! left to SYN retries.
//!
//! Shutdown drains: when the shutdown future resolves, the listener closes, every
//! connection finishes the requests it is serving (their answers say `connection: close`)
//! and [`serve`] returns once none is left, or after [`DRAIN`].
//! Not here: TLS (and so ALPN-negotiated `h2`) and the HTTP/1.1 `Upgrade: h2c` dance —
//! see docs/decisions/0004-front-door.md.

use crate::auth::{AuthMode, CredentialStore};
use crate::authz::Authorizer;
use crate::body::ReplyBody;
use crate::route::Registry;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use nimbus_core::{Clock, Ids};
use nimbus_sigv4::SigningKeyCache;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

/// How connections are bounded (see the module doc).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Open connections at most; the next one gets a 503 and is closed.
    pub max_connections: usize,
    /// A request's headers must be complete within this (HTTP/1.1).
    pub header_read: Duration,
    /// A connection with no request in flight and no bytes moving is closed after this.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 16_384,
            header_read: Duration::from_secs(30),
            idle: Duration::from_secs(120),
        }
    }
}

/// The listen backlog [`bind`] asks for (the kernel caps it at `net.core.somaxconn`).
pub const BACKLOG: u32 = 4096;

/// Binds `addr` for [`serve`] with [`BACKLOG`] (std's and tokio's `bind` use 128).
pub fn bind(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Limits and identity of the server.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub auth: AuthMode,
    /// Largest accepted body for non-S3 requests (AWS's own limits are far smaller).
    pub max_body: usize,
    /// Largest accepted S3 body that is collected whole (every S3 request but a streamed
    /// PutObject/UploadPart, whose raw limit is `dispatch::STREAMED_BODY_LIMIT`).
    pub max_object: usize,
    pub version: &'static str,
    pub limits: Limits,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            auth: AuthMode::Strict,
            max_body: 16 << 20,
            max_object: 1 << 30,
            version: "0.1.0",
            limits: Limits::default(),
        }
    }
}

/// Everything the front door needs, shared by all connections.
pub struct Gateway {
    pub config: GatewayConfig,
    pub registry: Registry,
    pub credentials: Arc<dyn CredentialStore>,
    pub authorizer: Arc<dyn Authorizer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub key_cache: SigningKeyCache,
    /// The store behind the admin endpoints (reset wipes it, clock advances are saved in it).
    pub admin: Arc<dyn crate::admin::AdminHooks>,
}

impl Gateway {
    /// Handles one request end to end. Never fails: every problem becomes an AWS error reply.
    /// `source_ip` is the connection's peer, `None` for a request that came over no socket.
    ///
    /// An S3 upload's body is streamed to the service rather than collected, and an object
    /// a service answers with as a stream is sent as one (`nimbus_wire::stream`).
    pub async fn handle(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        source_ip: Option<IpAddr>,
    ) -> hyper::Response<ReplyBody> {
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // One pass over the headers before anything is read: whether the body may be an S3
        // object, whether it streams, and the claimed key's credential (which sizes the
        // body and is then handed to authentication, so it is looked up once).
        let upload = crate::dispatch::may_be_object_upload(&parts);
        let (reply, exchange) = if upload && crate::dispatch::streams_request_body(&self, &parts) {
            let limit = crate::dispatch::STREAMED_BODY_LIMIT;
            if declared.is_some_and(|n| n > limit) {
                let too_large = usize::try_from(limit).unwrap_or(usize::MAX);
                return full(crate::dispatch::too_large(&self, &parts, too_large));
            }
            let body = crate::dispatch::RequestBody::Streamed {
                incoming: body,
                limit,
            };
            let handled = crate::dispatch::handle_body(&self, parts, body, source_ip, None);
            let ex = nimbus_wire::stream::Exchange::new();
            (nimbus_wire::stream::scope(ex.clone(), handled).await, ex)
        } else {
            let (limit, known) = self.body_limit(&parts, upload);
            if declared.is_some_and(|n| n > limit as u64) {
                return full(crate::dispatch::too_large(&self, &parts, limit));
            }
            let body = match collect(body, limit).await {
                Ok(b) => b,
                Err(BodyError::TooLarge) => {
                    return full(crate::dispatch::too_large(&self, &parts, limit))
                }
                Err(BodyError::Read(e)) => {
                    return full(crate::dispatch::unreadable_body(&self, &parts, &e))
                }
            };
            // Only an S3 GET of an object (a GET with a key in its path) answers with a
            // stream; every other request (the API calls, all POSTs to `/`) skips the
            // exchange's task-local scope. A GET outside it is answered with a whole body.
            let body = crate::dispatch::RequestBody::Collected(body);
            if parts.method == http::Method::GET && parts.uri.path() != "/" {
                let handled = crate::dispatch::handle_body(&self, parts, body, source_ip, known);
                let ex = nimbus_wire::stream::Exchange::new();
                (nimbus_wire::stream::scope(ex.clone(), handled).await, ex)
            } else {
                return full(
                    crate::dispatch::handle_body(&self, parts, body, source_ip, known).await,
                );
            }
        };
        // A service that answered with a stream left the reply's body empty.
        match exchange.take_response_body() {
            Some(stream) if reply.status().is_success() => {
                let (parts, _) = reply.into_parts();
                let remaining = stream.len_hint().unwrap_or(0);
                hyper::Response::from_parts(
                    parts,
                    ReplyBody::Stream {
                        body: stream,
                        remaining,
                    },
                )
            }
            _ => full(reply),
        }
    }
}

/// A collected reply as the server's reply type.
fn full(reply: hyper::Response<Full<Bytes>>) -> hyper::Response<ReplyBody> {
    reply.map(|mut body| {
        // `Full` is ready at once with its bytes as one frame: take them without a copy.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => ReplyBody::full(frame.into_data().unwrap_or_default()),
            _ => ReplyBody::Full(None),
        }
    })
}

/// The largest body an admin call may carry (they take `{"seconds": N}` at most).
pub const ADMIN_BODY: usize = 8 << 10;
/// The largest body of a request that names no known credential in strict mode: it will
/// be refused, so there is no reason to read more of it than an error needs (a web identity
/// token, the largest unsigned AWS request, stays under this).
pub const UNAUTHENTICATED_BODY: usize = 64 << 10;

impl Gateway {
    /// How much of this request's body may be read, decided from its headers alone, before
    /// anything is buffered: admin calls and (in strict mode) requests whose signature names
    /// no known access key get a few KiB; S3 object uploads (`upload`: see
    /// `may_be_object_upload`) the object limit; the rest the API body limit. In strict
    /// mode also the claimed key's credential, for authentication to reuse.
    fn body_limit(
        &self,
        parts: &http::request::Parts,
        upload: bool,
    ) -> (usize, Option<Arc<crate::auth::Credential>>) {
        let path = parts.uri.path();
        if path.starts_with("/_nimbus/") || path.starts_with("/moto-api/") {
            return (ADMIN_BODY, None);
        }
        let limit = if upload {
            self.config.max_object
        } else {
            self.config.max_body
        };
        if self.config.auth == AuthMode::Strict {
            let known = claimed_access_key(parts).and_then(|k| self.credentials.lookup(&k));
            if known.is_none() {
                return (limit.min(UNAUTHENTICATED_BODY), None);
            }
            return (limit, known);
        }
        (limit, None)
    }
}

/// The access key a request's signature claims (SigV4 or SigV2, header or query), unverified.
/// Borrowed from the request (the header case, every signed SDK call, allocates nothing).
fn claimed_access_key(parts: &http::request::Parts) -> Option<std::borrow::Cow<'_, str>> {
    if let Some(auth) = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(rest) = auth.split_once("Credential=").map(|(_, r)| r) {
            return rest.split('/').next().map(|s| s.trim().into());
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return rest.split(':').next().map(|s| s.trim().into());
        }
        return None;
    }
    let query = parts.uri.query()?;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
        match k {
            "X-Amz-Credential" => return v.split('/').next().map(|k| k.to_string().into()),
            "AWSAccessKeyId" => return Some(v.into_owned().into()),
            _ => {}
        }
    }
    None
}

/// Why a request body could not be collected.
enum BodyError {
    /// Over the limit (declared or streamed).
    TooLarge,
    /// The connection failed mid-body (the client will rarely see the answer).
    Read(hyper::Error),
}

/// Collects a body of at most `limit` bytes. A body that arrives in one frame (every small
/// request) is returned as that frame's bytes, without a copy or an intermediate list.
async fn collect(mut body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        // Trailers carry no payload (aws-chunked trailers are inside the body itself).
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len = len.saturating_add(data.len());
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(f), None) => {
                let mut buf = BytesMut::with_capacity(len);
                buf.extend_from_slice(f);
                buf.extend_from_slice(&data);
                rest = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&data),
        }
    }
    Ok(match (first, rest) {
        (_, Some(buf)) => buf.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    })
}

/// The connection builder [`serve`] uses for every connection (and [`serve_io`] for one).
pub fn connection_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    // One builder for every connection. HTTP/1.1 keeps hyper's defaults (keep-alive on) plus
    // a header-read timeout (it needs a timer to take effect); HTTP/2 keeps hyper's (200
    // concurrent streams, 16 KiB header list, 1 MiB windows). Detection costs one short read
    // per connection (the 24-byte preface window), not per request.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read)
        // hyper's default (~400 KiB) read and write buffers per connection are what dozens
        // of parallel streamed object transfers would hold; 64 KiB still takes any request
        // head AWS clients send and moves bodies in 64 KiB reads and writes.
        .max_buf_size(HTTP1_BUFFER);
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    builder
}

/// Serves one already-open byte stream as [`serve`] serves an accepted socket (the same
/// builder, the same [`Gateway::handle`]), without the connection cap, idle timeout or
/// drain, which belong to the accept loop: how the fuzzer (`fuzz/`, target `gateway_conn`)
/// feeds connection-level bytes through hyper and the gateway without a socket.
pub async fn serve_io<I>(gateway: Arc<Gateway>, io: I, source_ip: Option<IpAddr>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = connection_builder(&gateway.config.limits);
    let svc = service_fn(move |req| {
        let gw = gateway.clone();
        async move { Ok::<_, Infallible>(gw.handle(req, source_ip).await) }
    });
    // A malformed request ends the connection (hyper answers 400 first where it can).
    let _ = builder.serve_connection(TokioIo::new(io), svc).await;
}

/// Serves `gateway` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let limits = gateway.config.limits.clone();
    let builder = connection_builder(&limits);
    let builder = Arc::new(builder);
    let open = Arc::new(AtomicUsize::new(0));
    let (drain, draining) = tokio::sync::watch::channel(false);
    let mut accept_errors = RateLimitedLog::new(Duration::from_secs(1));
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: log (bounded), back off briefly, keep serving.
                accept_errors
                    .log(|suppressed| format!("accept failed: {e} ({suppressed} more suppressed)"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if open.load(Ordering::Relaxed) >= limits.max_connections {
            tokio::spawn(refuse(stream));
            continue;
        }
        let guard = OpenGuard::new(open.clone());
        // A dual-stack listener reports IPv4 clients as `::ffff:a.b.c.d`; policies name them
        // as IPv4 (`"aws:SourceIp": "203.0.113.0/24"`), so the mapped form is unwrapped.
        let source_ip = Some(peer.ip().to_canonical());
        let gw = gateway.clone();
        let builder = builder.clone();
        let idle = limits.idle;
        let mut draining = draining.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let activity = Arc::new(Activity::new());
            let io = TokioIo::new(Watched {
                inner: stream,
                activity: activity.clone(),
            });
            let in_flight = activity.clone();
            let svc = service_fn(move |req| {
                let gw = gw.clone();
                let busy = InFlight::enter(in_flight.clone());
                async move {
                    let reply = gw.handle(req, source_ip).await;
                    drop(busy);
                    Ok::<_, Infallible>(reply)
                }
            });
            let conn = builder.serve_connection(io, svc);
            tokio::pin!(conn);
            // Client resets are normal; nothing to report. An idle connection is dropped.
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = activity.idle_for(idle) => return,
                _ = draining.wait_for(|d| *d) => {}
            }
            // Shutting down: requests in flight finish and are answered (with
            // `connection: close`), then the connection ends; an idle one ends at once.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    // Stop accepting (the listener is dropped here), let every connection finish what it
    // is doing, and return once none is left — or after the drain window.
    drop(listener);
    let _ = drain.send(true);
    let deadline = tokio::time::Instant::now() + DRAIN;
    while open.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The HTTP/1.1 connection buffer limit (see `serve`).
const HTTP1_BUFFER: usize = 64 << 10;

/// How long a shutdown waits for requests in flight (SIGTERM must end Nimbus within 10 s,
/// and the workers and the store need a moment after this).
pub const DRAIN: Duration = Duration::from_secs(7);

/// Answers a connection over the cap with a 503 and closes it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = "{\"error\":\"Nimbus has too many open connections; retry shortly\"}";
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(reply.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// Counts an open connection while it lives.
struct OpenGuard(Arc<AtomicUsize>);

impl OpenGuard {
    fn new(open: Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        OpenGuard(open)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection's last I/O and its requests in flight, for the idle timeout.
struct Activity {
    born: Instant,
    /// Milliseconds since `born` of the last byte read or written.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            born: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        self.last_ms
            .store(self.born.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Resolves once the connection has had no request in flight and no I/O for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.born + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if self.in_flight.load(Ordering::Relaxed) == 0 && Instant::now() >= deadline {
                return;
            }
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(100));
            tokio::time::sleep(wait.min(idle)).await;
        }
    }
}

/// Marks a request in flight (the idle timeout never closes a connection mid-request).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(a: Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The connection's stream, noting every read and write in its [`Activity`].
struct Watched {
    inner: tokio::net::TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Logs a recurring error at most once per `every`, counting the ones in between.
struct RateLimitedLog {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimitedLog {
    fn new(every: Duration) -> Self {
        RateLimitedLog {
            every,
            last: None,
            suppressed: 0,
        }
    }

    fn log(&mut self, line: impl FnOnce(u64) -> String) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < self.every)
        {
            self.suppressed += 1;
            return;
        }
        tracing::error!(target: "nimbus::server", "{}", line(self.suppressed));
        self.last = Some(now);
        self.suppressed = 0;
    }
}
