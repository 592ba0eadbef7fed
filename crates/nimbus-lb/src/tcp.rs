//! The Network Load Balancer's TCP pass-through: each accepted connection goes to one
//! target of the listener's target group (healthy targets in the node's zone unless
//! cross-zone is on; all of them when none is healthy), chosen round robin, and bytes are
//! copied both ways until either side closes. No target, or a target that refuses the
//! connection, closes the client's connection (an NLB sends a reset).

use crate::config::Action;
use crate::select;
use crate::Plane;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

pub async fn accept(listener: TcpListener, plane: Arc<Plane>) {
    loop {
        let Ok((client, _peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let plane = plane.clone();
        tokio::spawn(async move {
            let _ = pass(client, plane).await;
        });
    }
}

async fn pass(mut client: TcpStream, plane: Arc<Plane>) -> std::io::Result<()> {
    let local = client.local_addr()?;
    let IpAddr::V4(ip) = local.ip() else { return Ok(()) };
    let snap = plane.snapshot();
    let Some(lb) = snap.balancer_at(ip) else { return Ok(()) };
    let Some(l) = lb.listeners.iter().find(|l| l.port == local.port()) else { return Ok(()) };
    let Some(rule) = l.rules.last() else { return Ok(()) };
    let Action::Forward(groups) = &rule.action else { return Ok(()) };
    let n = plane.next(&rule.arn);
    let Some(g) = select::pick_group(groups, n).and_then(|a| snap.groups.get(a)) else {
        return Ok(());
    };
    let zone = lb.nodes.iter().find(|x| x.addr == ip).map(|x| x.zone.as_str());
    let view = plane.health.view();
    let candidates = select::eligible(g, &view, zone, lb.cross_zone);
    if candidates.is_empty() {
        return Ok(());
    }
    let t = candidates[plane.next(&g.arn) % candidates.len()];
    let mut upstream =
        tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(t.addr())).await??;
    let _ = upstream.set_nodelay(true);
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
