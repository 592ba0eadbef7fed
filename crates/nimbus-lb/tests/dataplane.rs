//! The data plane in process: a published snapshot, the `elb-listeners` and `elb-health`
//! workers, two local backends; requests through a node address are spread round robin,
//! fixed responses and 503s come from the balancer, and stopping the workers closes the
//! listener. No AWS API involved.

use nimbus_core::{Clock, NimbusClock};
use nimbus_lb::config::*;
use nimbus_lb::Plane;
use nimbus_workers::Workers;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A backend answering every request with its name.
async fn backend(name: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{name}",
                    name.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (addr, h)
}

async fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text.get(9..12)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Some((code, body))
}

fn target(a: SocketAddr) -> Target {
    Target {
        ip: a.ip(),
        port: a.port(),
        zone: None,
        draining_until: None,
        instance: None,
    }
}

fn group(arn: &str, targets: Vec<Target>) -> Arc<TargetGroup> {
    Arc::new(TargetGroup {
        arn: arn.into(),
        protocol: Protocol::Http,
        port: 80,
        health: HealthCheck {
            enabled: true,
            protocol: Protocol::Http,
            port: None,
            path: "/".into(),
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            healthy_threshold: 2,
            unhealthy_threshold: 2,
            matcher: vec![(200, 200)],
        },
        targets,
        in_use: true,
        stickiness: Stickiness::None,
        slow_start: Duration::ZERO,
        algorithm: Algorithm::RoundRobin,
        connection_termination: false,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_flow_through_a_node_and_stop_with_the_workers() {
    let (a, ha) = backend("A").await;
    let (b, hb) = backend("B").await;
    // A free port on a node address of our own.
    let node: Ipv4Addr = format!("127.80.253.{}", 1 + std::process::id() % 250)
        .parse()
        .unwrap();
    let port = TcpListener::bind((node, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plane = Plane::new();
    let rule = |arn: &str, priority, conditions, action| Rule {
        arn: arn.into(),
        priority,
        conditions,
        action,
        group_stickiness: None,
    };
    let mut groups = HashMap::new();
    groups.insert("tg".to_string(), group("tg", vec![target(a), target(b)]));
    groups.insert("empty".to_string(), group("empty", Vec::new()));
    plane.publish(Snapshot {
        balancers: vec![Arc::new(Balancer {
            arn: "lb".into(),
            name: "lb".into(),
            dns_name: "lb-1.us-east-1.elb.amazonaws.com".into(),
            kind: Kind::Application,
            nodes: vec![Node {
                zone: "us-east-1a".into(),
                addr: node,
            }],
            listeners: vec![Listener {
                tls: None,
                arn: "l".into(),
                port,
                protocol: Protocol::Http,
                rules: vec![
                    rule(
                        "r1",
                        Some(1),
                        vec![Condition::Path(vec!["/fixed".into()])],
                        Action::Fixed {
                            status: 200,
                            content_type: None,
                            body: "fixed".into(),
                        },
                    ),
                    rule(
                        "r2",
                        Some(2),
                        vec![Condition::Path(vec!["/empty".into()])],
                        Action::Forward(vec![("empty".into(), 1)]),
                    ),
                    rule(
                        "default",
                        None,
                        vec![],
                        Action::Forward(vec![("tg".into(), 1)]),
                    ),
                ],
                server_header: true,
                response_headers: Vec::new(),
            }],
            idle_timeout: Duration::from_secs(5),
            cross_zone: true,
            xff: Xff::Append { client_port: false },
            http2: true,
            ingress: None,
        })],
        groups,
    });
    let clock: Arc<dyn Clock> = Arc::new(NimbusClock::new(10.0));
    let workers = Arc::new(Workers::new());
    nimbus_lb::add_workers(&plane, &clock, &workers);
    workers.start();
    let addr = SocketAddr::from((node, port));
    let mut first = None;
    for _ in 0..200 {
        first = get(addr, "/").await;
        if first.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = first.expect("the listener binds").1;
    let second = get(addr, "/").await.unwrap().1;
    assert_ne!(first, second, "round robin over both targets");
    assert_eq!(
        get(addr, "/fixed").await.unwrap(),
        (200, "fixed".to_string())
    );
    let (code, body) = get(addr, "/empty").await.unwrap();
    assert_eq!(code, 503);
    assert!(body.contains("503 Service Temporarily Unavailable"));
    // Both targets pass their checks (threshold 2 at 0.5 s real per check).
    let g = plane.snapshot().groups["tg"].clone();
    for _ in 0..100 {
        let healthy = [a, b].iter().all(|t| {
            plane.health.status(&g, &target(*t), clock.now()) == nimbus_lb::health::Status::Healthy
        });
        if healthy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        plane.health.status(&g, &target(a), clock.now()),
        nimbus_lb::health::Status::Healthy
    );
    workers.shutdown(Duration::from_secs(5)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
    ha.abort();
    hb.abort();
}
