//! The named worker `elb-listeners`: keeps one bound socket per (node address, port) of
//! every listener in the current snapshot, binding new ones and closing removed ones each
//! time a snapshot is published (and retrying binds that failed, every second). HTTP
//! listeners serve HTTP/1.1 and HTTP/2 (prior knowledge) through [`crate::proxy`], TCP
//! listeners pass bytes through [`crate::tcp`], UDP listeners relay datagrams through
//! [`crate::udp`] (TCP_UDP binds both). HTTPS listeners terminate TLS ([`crate::tls`], the
//! configuration looked up per connection from the current snapshot, so certificate changes
//! apply to the next handshake) and then serve HTTP as HTTP listeners do (HTTP/2 when ALPN
//! chose `h2`); TLS listeners terminate TLS and pass the plain bytes on as TCP listeners do.
//! Accept loops run in a `JoinSet` the worker owns; connections already accepted live
//! on by themselves, so a configuration change never drops them.
//!
//! The balancer's security groups are enforced on every accepted connection (and, for UDP,
//! every new flow), before any handshake: a client whose source address no ingress rule of
//! the balancer's groups allows on the listener's port is reset at once, before any byte is
//! read or written. On AWS the SYN is dropped and the client times out; a user-space
//! listener cannot drop a SYN without the host's firewall (which Nimbus never touches), so
//! the nearest honest equivalent is a connection that ends with a reset and never carries a
//! response.

use crate::config::{IpProto, Protocol};
use crate::proxy::Alb;
use crate::Plane;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use nimbus_core::Clock;
use nimbus_workers::{RunFuture, Stop, Worker};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{AbortHandle, JoinSet};

pub struct Listeners {
    pub plane: Arc<Plane>,
    pub clock: Arc<dyn Clock>,
}

/// What is bound on one (address, port): TCP carrying HTTP, TCP passed through, or UDP.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Http,
    Https,
    Tcp,
    Tls,
    Udp,
}

impl Listeners {
    async fn run_loop(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        let alb = Alb::new(self.plane.clone(), self.clock.clone());
        let mut tasks: JoinSet<()> = JoinSet::new();
        // Keyed by (address, UDP?): TCP_UDP listeners hold both on one port.
        let mut bound: HashMap<(SocketAddr, bool), (Kind, AbortHandle)> = HashMap::new();
        let mut changes = self.plane.subscribe();
        // Addresses whose bind failure was already reported (reported once per streak).
        let mut reported: std::collections::HashSet<(SocketAddr, bool)> = Default::default();
        loop {
            while tasks.try_join_next().is_some() {}
            let snap = self.plane.snapshot();
            let mut wanted: HashMap<(SocketAddr, bool), Kind> = HashMap::new();
            for (addr, lb, i) in snap.bindings() {
                let kinds: &[Kind] = match lb.listeners[i].protocol {
                    Protocol::Http => &[Kind::Http],
                    Protocol::Tcp => &[Kind::Tcp],
                    Protocol::Udp => &[Kind::Udp],
                    Protocol::TcpUdp => &[Kind::Tcp, Kind::Udp],
                    Protocol::Https => &[Kind::Https],
                    Protocol::Tls => &[Kind::Tls],
                };
                for k in kinds {
                    wanted.insert((addr, *k == Kind::Udp), *k);
                }
            }
            bound.retain(|key, (kind, h)| {
                let keep = wanted.get(key) == Some(kind);
                if !keep {
                    h.abort();
                }
                keep
            });
            let mut failed = false;
            for (key, kind) in wanted {
                if bound.contains_key(&key) {
                    continue;
                }
                let addr = key.0;
                let spawned = match kind {
                    Kind::Udp => tokio::net::UdpSocket::bind(addr)
                        .await
                        .map(|s| tasks.spawn(crate::udp::serve(s, self.plane.clone()))),
                    Kind::Http => TcpListener::bind(addr)
                        .await
                        .map(|l| tasks.spawn(accept_http(l, alb.clone()))),
                    Kind::Https => TcpListener::bind(addr)
                        .await
                        .map(|l| tasks.spawn(accept_https(l, alb.clone()))),
                    Kind::Tcp => TcpListener::bind(addr).await.map(|l| {
                        tasks.spawn(crate::tcp::accept(
                            l,
                            self.plane.clone(),
                            self.clock.clone(),
                        ))
                    }),
                    Kind::Tls => TcpListener::bind(addr).await.map(|l| {
                        tasks.spawn(crate::tcp::accept_tls(
                            l,
                            self.plane.clone(),
                            self.clock.clone(),
                        ))
                    }),
                };
                match spawned {
                    Ok(h) => {
                        reported.remove(&key);
                        bound.insert(key, (kind, h));
                    }
                    Err(e) => {
                        if reported.insert(key) {
                            eprintln!("nimbus: load balancer listener {addr} ({kind:?}) could not bind (retrying every second): {e}");
                        }
                        failed = true;
                    }
                }
            }
            let retry = if failed {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(3600)
            };
            tokio::select! {
                _ = stop.stopped() => return Ok(()),
                _ = changes.changed() => {}
                _ = tokio::time::sleep(retry) => {}
            }
        }
    }
}

async fn accept_http(listener: TcpListener, alb: Arc<Alb>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let alb = alb.clone();
        if !admitted(&alb, local, peer) {
            refuse(stream);
            continue;
        }
        let (idle, http2) = conn_settings(&alb, local);
        // One task per connection; it ends with the connection. HTTP/1.1, or HTTP/2 when the
        // client opens with its preface (prior knowledge: there is no TLS to negotiate).
        tokio::spawn(serve(stream, alb, local, peer, idle, http2));
    }
}

/// The balancer's idle timeout and whether it speaks HTTP/2, for a connection on `local`.
fn conn_settings(alb: &Alb, local: SocketAddr) -> (Duration, bool) {
    match local.ip() {
        std::net::IpAddr::V4(a) => alb
            .plane
            .snapshot()
            .balancer_at(a)
            .map_or((Duration::from_secs(60), true), |b| {
                (b.idle_timeout, b.http2)
            }),
        _ => (Duration::from_secs(60), true),
    }
}

/// Serves HTTP on one accepted (and, for HTTPS, decrypted) connection until it ends.
async fn serve<S>(
    stream: S,
    alb: Arc<Alb>,
    local: SocketAddr,
    peer: SocketAddr,
    idle: Duration,
    http2: bool,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| alb.clone().handle(req, local, peer));
    let io = TokioIo::new(stream);
    if !http2 {
        let _ = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(idle)
            .keep_alive(true)
            .serve_connection(io, svc)
            .with_upgrades()
            .await;
        return;
    }
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(None);
    let _ = builder.serve_connection_with_upgrades(io, svc).await;
}

/// Whether the balancer's security groups admit `peer` on `local`'s port (a balancer
/// without groups admits everyone).
fn admitted(alb: &Alb, local: SocketAddr, peer: SocketAddr) -> bool {
    let std::net::IpAddr::V4(a) = local.ip() else {
        return true;
    };
    let snap = alb.plane.snapshot();
    snap.balancer_at(a)
        .is_none_or(|b| b.admits(IpProto::Tcp, peer.ip(), local.port()))
}

/// Ends a connection the balancer's security groups do not admit: a reset, no response.
pub fn refuse(stream: tokio::net::TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// The TLS configuration of the listener bound on `local` in the current snapshot.
pub fn tls_config(plane: &Plane, local: SocketAddr) -> Option<Arc<rustls::ServerConfig>> {
    let std::net::IpAddr::V4(ip) = local.ip() else {
        return None;
    };
    let snap = plane.snapshot();
    let lb = snap.balancer_at(ip)?;
    lb.listeners
        .iter()
        .find(|l| l.port == local.port())
        .and_then(|l| l.tls.clone())
}

async fn accept_https(listener: TcpListener, alb: Arc<Alb>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let alb = alb.clone();
        if !admitted(&alb, local, peer) {
            refuse(stream);
            continue;
        }
        tokio::spawn(async move {
            let Some(cfg) = tls_config(&alb.plane, local) else {
                return;
            };
            let (idle, http2) = conn_settings(&alb, local);
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            let Ok(Ok(tls)) = tokio::time::timeout(idle, acceptor.accept(stream)).await else {
                return;
            };
            // HTTP/2 when ALPN chose it (the auto builder recognises its preface).
            serve(tls, alb, local, peer, idle, http2).await;
        });
    }
}

impl Worker for Listeners {
    fn name(&self) -> String {
        "elb-listeners".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.run_loop(stop))
    }
}
