//! The `.localhost` front (`--lb-localhost ADDR`, the named worker `elb-localhost`):
//! browsers and curl resolve every `*.localhost` name to loopback by themselves, so a
//! balancer is reachable as `http://<DNSName>.localhost[:port]/` with no resolver set up.
//! The front listens on one address (typically `127.0.0.1:80`), finds the balancer by the
//! request's `Host` (without `.localhost` and the port), and serves the request exactly as
//! that balancer's listener on the same port would, as if it had arrived on the balancer's
//! first node. A name that is no balancer's gets a 404 saying so. The balancer's security
//! groups apply as on its own listener: a request from a source they do not admit on the
//! front's port gets no response, its connection is closed.

use crate::proxy::{Alb, Body};
use crate::Plane;
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use nimbus_core::Clock;
use nimbus_workers::{RunFuture, Stop, Worker};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The balancer name a `Host` header addresses through the front, if any.
pub fn balancer_name(host: &str) -> Option<&str> {
    let host = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_end_matches('.');
    let n = host.len().checked_sub(".localhost".len())?;
    host.get(n..)
        .is_some_and(|s| s.eq_ignore_ascii_case(".localhost"))
        .then(|| &host[..n])
        .filter(|h| !h.is_empty())
}

pub struct Front {
    pub plane: Arc<Plane>,
    pub clock: Arc<dyn Clock>,
    pub listener: std::net::TcpListener,
}

fn not_found(name: &str) -> Response<Body> {
    let body = format!("Nimbus: no load balancer is named '{name}'\n");
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    r
}

/// A request the balancer's security groups do not admit: hyper closes the connection
/// without answering.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused by the load balancer's security groups")
    }
}

impl std::error::Error for Refused {}

async fn route(
    alb: Arc<Alb>,
    req: Request<Incoming>,
    port: u16,
    peer: SocketAddr,
) -> Result<Response<Body>, Refused> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let Some(name) = balancer_name(&host) else {
        return Ok(not_found(&host));
    };
    let snap = alb.plane.snapshot();
    let lb = snap.balancer_named(name);
    if lb.is_some_and(|b| !b.admits(crate::config::IpProto::Tcp, peer.ip(), port)) {
        return Err(Refused);
    }
    let node = lb.and_then(|b| b.nodes.first().map(|n| n.addr));
    drop(snap);
    match node {
        Some(addr) => {
            match alb
                .handle(req, SocketAddr::new(IpAddr::V4(addr), port), peer)
                .await
            {
                Ok(r) => Ok(r),
                Err(never) => match never {},
            }
        }
        None => Ok(not_found(name)),
    }
}

impl Front {
    async fn serve(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener.try_clone()?)?;
        let port = listener.local_addr()?.port();
        let alb = Alb::new(self.plane.clone(), self.clock.clone());
        loop {
            let (stream, peer) = tokio::select! {
                a = listener.accept() => match a {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = stop.stopped() => return Ok(()),
            };
            let alb = alb.clone();
            // One task per connection; it ends with the connection.
            tokio::spawn(async move {
                let svc = service_fn(move |req| route(alb.clone(), req, port, peer));
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(60))
                    .keep_alive(true);
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .await;
            });
        }
    }
}

impl Worker for Front {
    fn name(&self) -> String {
        "elb-localhost".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.serve(stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_under_localhost() {
        let n = "my-alb-123.us-east-1.elb.amazonaws.com";
        assert_eq!(balancer_name(&format!("{n}.localhost")), Some(n));
        assert_eq!(balancer_name(&format!("{n}.LOCALHOST:8080")), Some(n));
        assert_eq!(balancer_name(&format!("{n}.localhost.")), Some(n));
        assert_eq!(balancer_name("localhost"), None);
        assert_eq!(balancer_name(".localhost"), None);
        assert_eq!(balancer_name(n), None);
    }
}
