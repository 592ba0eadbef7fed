//! How the ALB's pooled HTTP client reaches targets. hyper's pool is keyed by a request's
//! URI authority, so each target gets an authority of its own: an IP target its
//! `ip:port` (connected from the host, like hyper's own `HttpConnector`), an instance
//! target a name that carries its route — `10-0-1-5.i-0abc….vpc-0def….open.instance.nimbus:80`
//! (`shut` instead of `open` when its security groups do not admit the balancer on that
//! port) — which [`TargetConnector`] turns back into a [`crate::Plane::connect`] through
//! the plane's [`crate::Connector`]. The name never leaves Nimbus: the target receives the
//! client's own `Host` header.

use crate::config::{InstanceRoute, Target};
use crate::Plane;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

const SUFFIX: &str = ".instance.nimbus";

/// The URI authority the pooled client uses for `target` on `port`.
pub fn authority(target: &Target, port: u16) -> String {
    match (&target.instance, target.ip) {
        (Some(r), IpAddr::V4(ip)) => format!(
            "{}.{}.{}.{}{SUFFIX}:{port}",
            ip.to_string().replace('.', "-"),
            r.instance_id,
            r.vpc_id,
            if r.admits(port) { "open" } else { "shut" }
        ),
        _ => SocketAddr::new(target.ip, port).to_string(),
    }
}

/// The target an [`authority`] names (port included).
pub fn parse(host: &str, port: u16) -> Option<(Target, u16)> {
    if let Some(name) = host.strip_suffix(SUFFIX) {
        let mut parts = name.splitn(4, '.');
        let ip: Ipv4Addr = parts.next()?.replace('-', ".").parse().ok()?;
        let instance_id = parts.next()?.to_string();
        let vpc_id = parts.next()?.to_string();
        let admitted = match parts.next()? {
            "open" => None,
            "shut" => Some(Vec::new()),
            _ => return None,
        };
        return Some((
            Target {
                ip: IpAddr::V4(ip),
                port,
                zone: None,
                draining_until: None,
                instance: Some(InstanceRoute {
                    instance_id,
                    vpc_id,
                    admitted,
                }),
            },
            port,
        ));
    }
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some((
        Target {
            ip,
            port,
            zone: None,
            draining_until: None,
            instance: None,
        },
        port,
    ))
}

/// hyper's connector for the ALB's client: opens target connections through the plane.
/// Holds the plane weakly (the plane owns nothing that holds the client, but the client
/// lives in every connection task; a plane being dropped ends new connections).
#[derive(Clone)]
pub struct TargetConnector {
    pub plane: Weak<Plane>,
    pub timeout: Duration,
}

impl TargetConnector {
    pub fn new(plane: &Arc<Plane>) -> Self {
        TargetConnector {
            plane: Arc::downgrade(plane),
            timeout: Duration::from_secs(10),
        }
    }
}

type Connecting =
    Pin<Box<dyn Future<Output = std::io::Result<TokioIo<tokio::net::TcpStream>>> + Send>>;

impl tower_service::Service<http::Uri> for TargetConnector {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = std::io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let plane = self.plane.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let bad = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a target");
            let host = uri.host().ok_or_else(bad)?;
            let (target, port) = parse(host, uri.port_u16().unwrap_or(80)).ok_or_else(bad)?;
            let plane = plane.upgrade().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotConnected, "load balancer stopped")
            })?;
            let s = tokio::time::timeout(timeout, plane.connect(&target, port))
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                })??;
            let _ = s.set_nodelay(true);
            Ok(TokioIo::new(s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_round_trip() {
        let t = Target {
            ip: "10.0.1.5".parse().unwrap(),
            port: 80,
            zone: None,
            draining_until: None,
            instance: Some(InstanceRoute {
                instance_id: "i-0123456789abcdef0".into(),
                vpc_id: "vpc-0abc".into(),
                admitted: Some(vec![(8000, 8100)]),
            }),
        };
        let a = authority(&t, 8080);
        assert_eq!(
            a,
            "10-0-1-5.i-0123456789abcdef0.vpc-0abc.open.instance.nimbus:8080"
        );
        let uri: http::Uri = format!("http://{a}/x").parse().unwrap();
        let (back, port) = parse(uri.host().unwrap(), uri.port_u16().unwrap()).unwrap();
        assert_eq!((back.ip, port), (t.ip, 8080));
        assert!(back.instance.as_ref().unwrap().admits(8080));
        let shut = authority(&t, 80);
        assert!(shut.contains(".shut.instance.nimbus:80"), "{shut}");
        let (back, _) = parse(shut.rsplit_once(':').unwrap().0, 80).unwrap();
        assert!(!back.instance.unwrap().admits(80));
        let ip = Target {
            instance: None,
            ..t
        };
        assert_eq!(authority(&ip, 81), "10.0.1.5:81");
        let (back, _) = parse("10.0.1.5", 81).unwrap();
        assert!(back.instance.is_none());
        assert!(parse("example.com", 80).is_none());
    }
}
