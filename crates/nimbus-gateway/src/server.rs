//! The HTTP server: accepts connections on an injected listener and serves both HTTP/1.1
//! (keep-alive) and cleartext HTTP/2 with prior knowledge (h2c) on the same port — each
//! connection's first bytes decide, the HTTP/2 preface or anything else. Every connection
//! gets `TCP_NODELAY` (without it, delayed ACKs cost ~40 ms per call). It collects bodies
//! under a size limit, whatever the HTTP version, and hands each request to
//! [`Gateway::handle`] with the connection's peer address (the `aws:SourceIp` policies
//! see); it stops when the injected shutdown future resolves.
//! Not here: TLS (and so ALPN-negotiated `h2`) and the HTTP/1.1 `Upgrade: h2c` dance —
//! see docs/decisions/0004-front-door.md.

use crate::auth::{AuthMode, CredentialStore};
use crate::authz::Authorizer;
use crate::route::Registry;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use nimbus_core::{Clock, Ids};
use nimbus_sigv4::SigningKeyCache;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Limits and identity of the server.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub auth: AuthMode,
    /// Largest accepted body for non-S3 requests (AWS's own limits are far smaller).
    pub max_body: usize,
    /// Largest accepted S3 object body (kept in memory while being stored).
    pub max_object: usize,
    pub version: &'static str,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            auth: AuthMode::Strict,
            max_body: 16 << 20,
            max_object: 1 << 30,
            version: "0.1.0",
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
    pub async fn handle(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        source_ip: Option<IpAddr>,
    ) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let limit = if crate::dispatch::may_be_object_upload(&parts) {
            self.config.max_object
        } else {
            self.config.max_body
        };
        if declared.is_some_and(|n| n > limit as u64) {
            return crate::dispatch::too_large(&self, &parts, limit);
        }
        let body = match collect(body, limit).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => return crate::dispatch::too_large(&self, &parts, limit),
            Err(BodyError::Read(e)) => return crate::dispatch::unreadable_body(&self, &parts, &e),
        };
        crate::dispatch::handle(&self, parts, body, source_ip).await
    }
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

/// Serves `gateway` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    // One builder for every connection. HTTP/1.1 keeps hyper's defaults (keep-alive on);
    // HTTP/2 keeps hyper's (200 concurrent streams, 16 KiB header list, 1 MiB windows).
    // Detection costs one short read per connection (the 24-byte preface window), not per
    // request.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: log, back off briefly, keep serving.
                eprintln!("nimbus: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // A dual-stack listener reports IPv4 clients as `::ffff:a.b.c.d`; policies name them
        // as IPv4 (`"aws:SourceIp": "203.0.113.0/24"`), so the mapped form is unwrapped.
        let source_ip = Some(peer.ip().to_canonical());
        let gw = gateway.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let gw = gw.clone();
                async move { Ok::<_, Infallible>(gw.handle(req, source_ip).await) }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            // Client resets are normal; nothing to report.
            let _ = conn.await;
        });
    }
}
