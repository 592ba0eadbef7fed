//! The Network Load Balancer's UDP relay: each client address is a flow, sent to one target
//! of the listener's target group (chosen as for TCP: healthy targets in the node's zone
//! unless cross-zone is on, all when none is healthy, round robin) through a socket of its
//! own, so the target's answers come back on that flow and go out from the listener's
//! address. A flow with no traffic for 120 s (NLB's UDP idle timeout) is forgotten.
//! A client the balancer's security groups do not admit (UDP to the listener's port) opens
//! no flow: its datagrams are dropped, as on AWS. Instance targets are not reached over UDP
//! yet (the instance runtime offers TCP connections only): flows to them are not opened.

use crate::config::{Action, IpProto};
use crate::select;
use crate::Plane;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;

const IDLE: Duration = Duration::from_secs(120);

type Flows = Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>>;

pub async fn serve(sock: UdpSocket, plane: Arc<Plane>) {
    let sock = Arc::new(sock);
    let flows: Flows = Arc::default();
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, client)) = sock.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let existing = flows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&client)
            .cloned();
        let upstream = match existing {
            Some(u) => u,
            None => match open_flow(&sock, &plane, client, &flows).await {
                Some(u) => u,
                None => continue, // no target: the datagram is dropped
            },
        };
        let _ = upstream.send(&buf[..n]).await;
    }
}

/// Picks a target for `client` and starts relaying its answers back.
async fn open_flow(
    sock: &Arc<UdpSocket>,
    plane: &Arc<Plane>,
    client: SocketAddr,
    flows: &Flows,
) -> Option<Arc<UdpSocket>> {
    let local = sock.local_addr().ok()?;
    let IpAddr::V4(ip) = local.ip() else {
        return None;
    };
    let snap = plane.snapshot();
    let lb = snap.balancer_at(ip)?;
    if !lb.admits(IpProto::Udp, client.ip(), local.port()) {
        return None;
    }
    let l = lb.listeners.iter().find(|l| l.port == local.port())?;
    let rule = l.rules.last()?;
    let Action::Forward(groups) = &rule.action else {
        return None;
    };
    let g = select::pick_group(groups, plane.next(&rule.arn)).and_then(|a| snap.groups.get(a))?;
    let zone = lb
        .nodes
        .iter()
        .find(|x| x.addr == ip)
        .map(|x| x.zone.as_str());
    let view = plane.health.view();
    let candidates = select::eligible(g, &view, zone, lb.cross_zone);
    if candidates.is_empty() {
        return None;
    }
    let chosen = candidates[plane.next(&g.arn) % candidates.len()];
    if chosen.instance.is_some() {
        return None;
    }
    let target = chosen.addr();
    let bind: SocketAddr = if target.ip().is_loopback() {
        "127.0.0.1:0".parse().ok()?
    } else {
        "0.0.0.0:0".parse().ok()?
    };
    let up = Arc::new(UdpSocket::bind(bind).await.ok()?);
    up.connect(target).await.ok()?;
    flows
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(client, up.clone());
    let (sock, up2, flows) = (sock.clone(), up.clone(), flows.clone());
    // The flow's return path; it ends when the flow has been idle for IDLE.
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok(Ok(n)) = tokio::time::timeout(IDLE, up2.recv(&mut buf)).await {
            let _ = sock.send_to(&buf[..n], client).await;
        }
        flows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&client);
    });
    Some(up)
}
