//! The data plane in process, for what stands between a client and an instance: the
//! balancer's security groups decide on accept (a client they do not admit is reset
//! before any response; a republished snapshot with a rule for it lets it in), and an
//! instance target is reached through the plane's `Connector` with its VPC route and
//! private address — for requests and for health checks alike. The connector here is a
//! fake standing in for the instance runtime: it records what it was asked and connects
//! to a local backend.

use nimbus_core::{Clock, NimbusClock};
use nimbus_lb::config::*;
use nimbus_lb::{ConnectFuture, Connector, Plane};
use nimbus_workers::Workers;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// `Ok(Some((code, body)))` for an answer, `Ok(None)` when the connection ended without
/// one, `Err` when it could not be opened.
async fn get(addr: SocketAddr) -> std::io::Result<Option<(u16, String)>> {
    let mut s = TcpStream::connect(addr).await?;
    let _ = s
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let Some(code) = text.get(9..12).and_then(|c| c.parse().ok()) else {
        return Ok(None);
    };
    Ok(Some((
        code,
        text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )))
}

/// Stands in for the instance runtime: every instance is the one local backend.
struct FakeRuntime {
    backend: SocketAddr,
    asked: Mutex<Vec<(String, String, SocketAddr)>>,
}

struct Fake(Arc<FakeRuntime>);

impl Connector for Fake {
    fn connect(&self, route: &InstanceRoute, addr: SocketAddr) -> ConnectFuture {
        self.0
            .asked
            .lock()
            .unwrap()
            .push((route.instance_id.clone(), route.vpc_id.clone(), addr));
        let to = self.0.backend;
        Box::pin(async move { TcpStream::connect(to).await })
    }
}

fn instance_group() -> Arc<TargetGroup> {
    Arc::new(TargetGroup {
        arn: "tg".into(),
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
        targets: vec![Target {
            ip: "10.0.1.5".parse().unwrap(),
            port: 80,
            zone: Some("us-east-1a".into()),
            draining_until: None,
            instance: Some(InstanceRoute {
                instance_id: "i-0123456789abcdef0".into(),
                vpc_id: "vpc-0abc".into(),
                admitted: None,
            }),
        }],
        in_use: true,
        stickiness: Stickiness::None,
        slow_start: Duration::ZERO,
        algorithm: Algorithm::RoundRobin,
        connection_termination: false,
    })
}

fn snapshot(node: Ipv4Addr, port: u16, ingress: Option<Vec<Allow>>) -> Snapshot {
    let mut groups = HashMap::new();
    groups.insert("tg".to_string(), instance_group());
    Snapshot {
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
                arn: "l".into(),
                port,
                protocol: Protocol::Http,
                rules: vec![Rule {
                    arn: "default".into(),
                    priority: None,
                    conditions: vec![],
                    action: Action::Forward(vec![("tg".into(), 1)]),
                    group_stickiness: None,
                }],
                server_header: true,
                response_headers: Vec::new(),
                tls: None,
            }],
            idle_timeout: Duration::from_secs(5),
            cross_zone: true,
            xff: Xff::Append { client_port: false },
            http2: true,
            ingress,
        })],
        groups,
    }
}

fn tcp_from(cidr: &str, port: u16) -> Allow {
    Allow {
        proto: IpProto::Tcp,
        from_port: port,
        to_port: port,
        source: Cidr::parse(cidr).unwrap(),
    }
}

#[test]
fn security_group_rules_match_protocol_port_and_source() {
    let lo = "127.0.0.1".parse().unwrap();
    assert!(tcp_from("0.0.0.0/0", 80).allows(IpProto::Tcp, lo, 80));
    assert!(tcp_from("127.0.0.0/8", 80).allows(IpProto::Tcp, lo, 80));
    assert!(!tcp_from("10.0.0.0/8", 80).allows(IpProto::Tcp, lo, 80));
    assert!(!tcp_from("0.0.0.0/0", 80).allows(IpProto::Tcp, lo, 81));
    assert!(!tcp_from("0.0.0.0/0", 80).allows(IpProto::Udp, lo, 80));
    let range = Allow {
        from_port: 8000,
        to_port: 8100,
        ..tcp_from("127.0.0.1/32", 0)
    };
    assert!(range.allows(IpProto::Tcp, lo, 8080));
    assert!(!range.allows(IpProto::Tcp, "127.0.0.2".parse().unwrap(), 8080));
    let all = Allow {
        proto: IpProto::All,
        ..tcp_from("0.0.0.0/0", 0)
    };
    assert!(all.allows(IpProto::Udp, lo, 53) && all.allows(IpProto::Tcp, lo, 443));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_gate_the_listener_and_instances_are_reached_through_the_connector() {
    let (c, hc) = backend("C").await;
    let node: Ipv4Addr = format!("127.80.252.{}", 1 + std::process::id() % 250)
        .parse()
        .unwrap();
    let port = TcpListener::bind((node, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plane = Plane::new();
    let runtime = Arc::new(FakeRuntime {
        backend: c,
        asked: Mutex::new(Vec::new()),
    });
    plane.set_connector(Box::new(Fake(runtime.clone())));
    // The balancer's only rule admits 10.0.0.0/8: a loopback client is not inside it.
    plane.publish(snapshot(
        node,
        port,
        Some(vec![tcp_from("10.0.0.0/8", port)]),
    ));
    let clock: Arc<dyn Clock> = Arc::new(NimbusClock::new(10.0));
    let workers = Arc::new(Workers::new());
    nimbus_lb::add_workers(&plane, &clock, &workers);
    workers.start();
    let addr = SocketAddr::from((node, port));
    let mut bound = false;
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_ok() {
            bound = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(bound, "the listener binds");
    let refused = get(addr).await;
    assert!(
        matches!(refused, Ok(None) | Err(_)),
        "no response without a rule: {refused:?}"
    );
    assert!(
        runtime
            .asked
            .lock()
            .unwrap()
            .iter()
            .all(|a| a.2.port() == 80),
        "a refused client never reaches a target"
    );
    let asked_before = runtime
        .asked
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.2.ip().to_string() == "10.0.1.5")
        .count();
    // A rule for the port from anywhere (0.0.0.0/0 holds 127.0.0.1) lets it in.
    plane.publish(snapshot(
        node,
        port,
        Some(vec![tcp_from("0.0.0.0/0", port)]),
    ));
    let (code, body) = get(addr).await.unwrap().expect("an answer");
    assert_eq!((code, body.as_str()), (200, "C"));
    {
        let asked = runtime.asked.lock().unwrap();
        assert!(asked.len() > asked_before);
        assert!(asked.iter().all(|(i, v, a)| i == "i-0123456789abcdef0"
            && v == "vpc-0abc"
            && *a == "10.0.1.5:80".parse::<SocketAddr>().unwrap()));
    }
    // Health checks go the same way and find the instance healthy.
    let g = plane.snapshot().groups["tg"].clone();
    let t = g.targets[0].clone();
    let mut status = None;
    for _ in 0..100 {
        status = Some(plane.health.status(&g, &t, clock.now()));
        if status == Some(nimbus_lb::health::Status::Healthy) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, Some(nimbus_lb::health::Status::Healthy));
    workers.shutdown(Duration::from_secs(5)).await;
    hc.abort();
}

#[tokio::test]
async fn without_a_connector_an_instance_is_unreachable() {
    let plane = Plane::new();
    let t = instance_group().targets[0].clone();
    let e = plane.connect(&t, 80).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn a_port_the_instances_groups_do_not_admit_is_never_answered() {
    let plane = Plane::new();
    let mut t = instance_group().targets[0].clone();
    if let Some(r) = t.instance.as_mut() {
        r.admitted = Some(vec![(8080, 8080)]);
    }
    // Port 80 is not admitted: the connection hangs like a dropped SYN until the caller's
    // timeout (health checks read Target.Timeout).
    let hung = tokio::time::timeout(Duration::from_millis(300), plane.connect(&t, 80)).await;
    assert!(hung.is_err(), "never answered");
    // Port 8080 is: it goes on to the connector (none here, so refused).
    let e = tokio::time::timeout(Duration::from_millis(300), plane.connect(&t, 8080))
        .await
        .expect("answered at once")
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_groups_shut_the_balancer_out_times_out_with_a_504() {
    let (c, hc) = backend("C").await;
    let node: Ipv4Addr = format!("127.80.251.{}", 1 + std::process::id() % 250)
        .parse()
        .unwrap();
    let port = TcpListener::bind((node, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plane = Plane::new();
    let runtime = Arc::new(FakeRuntime {
        backend: c,
        asked: Mutex::new(Vec::new()),
    });
    plane.set_connector(Box::new(Fake(runtime.clone())));
    let mut snap = snapshot(node, port, None);
    let mut g = (*snap.groups["tg"]).clone();
    g.health.enabled = false;
    if let Some(r) = g.targets[0].instance.as_mut() {
        r.admitted = Some(vec![(22, 22)]);
    }
    snap.groups.insert("tg".into(), Arc::new(g));
    // An idle timeout longer than the connect timeout: the 504 is the connect timeout's.
    let mut b = (*snap.balancers[0]).clone();
    b.idle_timeout = Duration::from_secs(30);
    snap.balancers[0] = Arc::new(b);
    plane.publish(snap);
    let clock: Arc<dyn Clock> = Arc::new(NimbusClock::new(1.0));
    let workers = Arc::new(Workers::new());
    nimbus_lb::add_workers(&plane, &clock, &workers);
    workers.start();
    let addr = SocketAddr::from((node, port));
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = std::time::Instant::now();
    let (code, body) = get(addr).await.unwrap().expect("an answer");
    assert_eq!(code, 504, "{body}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(25),
        "after the connect timeout (10 s): {took:?}"
    );
    assert!(
        runtime.asked.lock().unwrap().is_empty(),
        "the connector is never reached"
    );
    workers.shutdown(Duration::from_secs(5)).await;
    hc.abort();
}
