//! The loopback forwarder: how the host reaches an instance without a route or interface
//! being changed. A listener on a host loopback address (all of 127.0.0.0/8 is routed to `lo`
//! already) accepts, checks the instance's allowed-ingress rules — port and the caller's
//! source address — (the security-group hook:
//! a refused port gets a reset), opens a connection from inside the VPC's namespace to the
//! instance's private IP and copies bytes both ways. One tokio task per listener and per
//! connection; dropping the [`Exposure`] stops accepting (open connections finish).

use crate::Runtime;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// A running forwarder; dropping it closes the listener.
#[derive(Debug)]
pub struct Exposure {
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Exposure {
    /// The address the forwarder listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl Drop for Exposure {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn expose(
    rt: Runtime,
    id: String,
    listen: SocketAddr,
    port: u16,
    ingress: Arc<RwLock<Option<Vec<crate::IngressRule>>>>,
) -> io::Result<Exposure> {
    let listener = TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((client, peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let allowed = ingress
                .read()
                .expect("ingress lock")
                .as_ref()
                .is_none_or(|rules| match peer.ip() {
                    std::net::IpAddr::V4(ip) => rules.iter().any(|r| r.allows(ip, port)),
                    std::net::IpAddr::V6(_) => false,
                });
            if !allowed {
                // Refuse the way a closed port does: a reset.
                reset(&client);
                drop(client);
                continue;
            }
            let rt = rt.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let _ = proxy(rt, id, port, client).await;
            });
        }
    });
    Ok(Exposure { local, task })
}

async fn proxy(rt: Runtime, id: String, port: u16, mut client: TcpStream) -> io::Result<()> {
    let (ns, ip) = rt.route_to(&id).map_err(io::Error::other)?;
    // The dial runs on a fresh thread that enters the VPC namespace (never on a pool thread).
    let upstream = tokio::task::spawn_blocking(move || {
        crate::netns::connect_in(&ns, SocketAddr::from((ip, port)), Duration::from_secs(3))
    })
    .await
    .map_err(io::Error::other)?;
    let upstream = match upstream {
        Ok(s) => s,
        Err(e) => {
            reset(&client);
            return Err(e);
        }
    };
    upstream.set_nonblocking(true)?;
    let mut upstream = TcpStream::from_std(upstream)?;
    let _ = upstream.set_nodelay(true);
    let _ = client.set_nodelay(true);
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Closes with a reset (SO_LINGER 0). Zero linger never blocks, which is what the
/// deprecation warns about.
#[allow(deprecated)]
fn reset(s: &TcpStream) {
    let _ = s.set_linger(Some(Duration::ZERO));
}
