//! The Network Load Balancer's TCP pass-through: each accepted connection goes to one
//! target of the listener's target group (healthy targets in the node's zone unless
//! cross-zone is on; all of them when none is healthy), chosen round robin, and bytes are
//! copied both ways until either side closes. No target, or a target that refuses the
//! connection, closes the client's connection (an NLB sends a reset). A connection to a
//! deregistered target lives on while it drains; when the deregistration delay ends it is
//! closed if the group's `deregistration_delay.connection_termination.enabled` is on, as
//! on AWS (off by default: it lives on until either side closes). TLS listeners do the same
//! with the bytes they decrypted ([`accept_tls`]), after a handshake with the listener's
//! certificates (`crate::tls`). The balancer's security groups (when it has any) are
//! checked on accept, before any handshake, as for HTTP listeners
//! ([`crate::listeners::refuse`]); instance targets are reached through [`Plane::connect`].

use crate::config::{Action, IpProto};
use crate::select;
use crate::Plane;
use nimbus_core::Clock;
use std::net::IpAddr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

pub async fn accept(listener: TcpListener, plane: Arc<Plane>, clock: Arc<dyn Clock>) {
    loop {
        let Ok((client, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (plane, clock) = (plane.clone(), clock.clone());
        tokio::spawn(async move {
            let Some(local) = admitted(&client, peer, &plane) else {
                crate::listeners::refuse(client);
                return;
            };
            let _ = pass(client, local, plane, clock).await;
        });
    }
}

/// A TLS listener: terminates TLS, then passes the plain bytes on as TCP does.
pub async fn accept_tls(listener: TcpListener, plane: Arc<Plane>, clock: Arc<dyn Clock>) {
    loop {
        let Ok((client, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (plane, clock) = (plane.clone(), clock.clone());
        tokio::spawn(async move {
            let Some(local) = admitted(&client, peer, &plane) else {
                crate::listeners::refuse(client);
                return;
            };
            let Some(cfg) = crate::listeners::tls_config(&plane, local) else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            let handshake = acceptor.accept(client);
            let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), handshake).await else {
                return;
            };
            let _ = pass(tls, local, plane, clock).await;
        });
    }
}

/// The connection's local address when the balancer's security groups admit `peer` on its
/// port (a balancer without groups, or an address no balancer holds, admits everyone);
/// `None` when they do not.
fn admitted(client: &TcpStream, peer: SocketAddr, plane: &Plane) -> Option<SocketAddr> {
    let local = client.local_addr().ok()?;
    let IpAddr::V4(ip) = local.ip() else {
        return Some(local);
    };
    let snap = plane.snapshot();
    match snap.balancer_at(ip) {
        Some(lb) if !lb.admits(IpProto::Tcp, peer.ip(), local.port()) => None,
        _ => Some(local),
    }
}

async fn pass<S>(
    mut client: S,
    local: SocketAddr,
    plane: Arc<Plane>,
    clock: Arc<dyn Clock>,
) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let IpAddr::V4(ip) = local.ip() else {
        return Ok(());
    };
    let snap = plane.snapshot();
    let Some(lb) = snap.balancer_at(ip) else {
        return Ok(());
    };
    let Some(l) = lb.listeners.iter().find(|l| l.port == local.port()) else {
        return Ok(());
    };
    let Some(rule) = l.rules.last() else {
        return Ok(());
    };
    let Action::Forward(groups) = &rule.action else {
        return Ok(());
    };
    let n = plane.next(&rule.arn);
    let Some(g) = select::pick_group(groups, n).and_then(|a| snap.groups.get(a)) else {
        return Ok(());
    };
    let zone = lb
        .nodes
        .iter()
        .find(|x| x.addr == ip)
        .map(|x| x.zone.as_str());
    let view = plane.health.view();
    let candidates = select::eligible(g, &view, zone, lb.cross_zone);
    if candidates.is_empty() {
        return Ok(());
    }
    let t = candidates[plane.next(&g.arn) % candidates.len()];
    let mut upstream =
        tokio::time::timeout(Duration::from_secs(10), plane.connect(t, t.port)).await??;
    let _ = upstream.set_nodelay(true);
    let group = g.arn.clone();
    let addr = t.addr();
    let terminate = g.connection_termination;
    drop(snap);
    if !terminate {
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    tokio::select! {
        r = tokio::io::copy_bidirectional(&mut client, &mut upstream) => { r?; }
        _ = drained(&plane, clock.as_ref(), &group, addr) => {}
    }
    Ok(())
}

/// Resolves once `addr` no longer belongs to `group`: it was removed, or its draining ended.
async fn drained(plane: &Plane, clock: &dyn Clock, group: &str, addr: SocketAddr) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let snap = plane.snapshot();
        let now = clock.now();
        let live = snap.groups.get(group).is_some_and(|g| {
            g.targets
                .iter()
                .any(|t| t.addr() == addr && t.draining_until.is_none_or(|d| d > now))
        });
        if !live {
            return;
        }
    }
}
