//! Turns the Classic Load Balancers into the data plane's configuration (the plane part
//! `"elb"`): a balancer per record (kind `Classic`, a node per zone, cross-zone as its
//! attribute says, the idle timeout of its connection settings), a listener per Classic
//! listener whose only rule forwards to a target group of its own (key
//! `ARN#PORT`: the registered instances on the listener's instance port, the balancer's
//! health check, the listener's stickiness policy as the `AWSELB` cookie). Only running
//! instances are routed to, at their private address inside their VPC, on the ports their
//! security groups admit from the balancer (its groups, or its nodes' addresses), as for
//! ELBv2's instance targets. HTTPS and SSL listeners carry their one certificate's TLS
//! configuration. Pure: state, EC2's [`Facts`] and ACM in, snapshot out.

use crate::state::{LbRec, ListenerRec, State};
use nimbus_core::Timestamp;
use nimbus_lb::config::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What a snapshot needs from EC2, read when it is built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// By balancer key: what its security groups let in (`None`: it has none).
    pub ingress: HashMap<String, Option<Vec<Allow>>>,
    /// By instance id: the instance as EC2 reports it (`None`: unknown).
    pub instances: HashMap<String, Option<svc_elbv2::InstanceTarget>>,
    /// By security group id: the ingress rules of each registered instance's groups.
    pub groups: HashMap<String, Vec<svc_elbv2::IngressRule>>,
}

/// The target group key of a listener (`ARN#PORT`).
pub fn group_key(lb: &LbRec, lb_port: i32) -> String {
    format!("{}#{lb_port}", lb.arn())
}

/// A parsed health check target: protocol, port, path (HTTP/HTTPS only).
pub fn parse_target(t: &str) -> Option<(String, u16, Option<String>)> {
    let (proto, rest) = t.split_once(':')?;
    let proto = proto.to_ascii_uppercase();
    let (port, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i..].to_string())),
        None => (rest, None),
    };
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    match (proto.as_str(), &path) {
        ("HTTP" | "HTTPS", Some(_)) | ("TCP" | "SSL", None) => Some((proto, port, path)),
        _ => None,
    }
}

fn protocol(p: &str) -> Option<Protocol> {
    Some(match p.to_ascii_uppercase().as_str() {
        "HTTP" => Protocol::Http,
        "HTTPS" => Protocol::Https,
        "TCP" => Protocol::Tcp,
        "SSL" => Protocol::Tls,
        _ => return None,
    })
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

pub fn build(
    st: &State,
    now: Timestamp,
    facts: &Facts,
    certs: &dyn svc_elbv2::Certificates,
) -> Snapshot {
    let mut snap = Snapshot::default();
    for lb in st.lbs.values() {
        let mut listeners = Vec::new();
        for l in &lb.listeners {
            let Some(p) = protocol(&l.protocol) else {
                continue;
            };
            let key = group_key(lb, l.lb_port);
            snap.groups
                .insert(key.clone(), Arc::new(group(lb, l, &key, now, facts)));
            listeners.push(Listener {
                arn: format!("{key}/listener"),
                port: l.lb_port as u16,
                protocol: p,
                rules: vec![Rule {
                    arn: format!("{key}/default"),
                    priority: None,
                    conditions: Vec::new(),
                    action: Action::Forward(vec![(key.clone(), 1)]),
                    group_stickiness: None,
                }],
                server_header: true,
                response_headers: Vec::new(),
                tls: matches!(p, Protocol::Https | Protocol::Tls)
                    .then(|| tls(lb, l, certs))
                    .flatten(),
            });
        }
        let ingress = facts
            .ingress
            .get(&lb.key())
            .cloned()
            .unwrap_or_else(|| (!lb.security_groups.is_empty()).then(Vec::new));
        snap.balancers.push(Arc::new(Balancer {
            arn: lb.arn(),
            name: lb.name.clone(),
            dns_name: lb.dns_name.clone(),
            kind: Kind::Classic,
            nodes: lb
                .zones
                .iter()
                .filter_map(|z| {
                    Some(Node {
                        zone: z.zone.clone(),
                        addr: z.addr.parse().ok()?,
                    })
                })
                .collect(),
            listeners,
            idle_timeout: secs(lb.attrs.idle_timeout.into()),
            cross_zone: lb.attrs.cross_zone,
            // Classic appends the client's address to X-Forwarded-For.
            xff: Xff::Append { client_port: false },
            http2: false,
            ingress,
        }));
    }
    snap
}

/// The TLS configuration of an HTTPS/SSL listener: its one certificate, under AWS's
/// default security policy (`None` when ACM does not answer for the certificate: then
/// handshakes fail).
fn tls(
    lb: &LbRec,
    l: &ListenerRec,
    certs: &dyn svc_elbv2::Certificates,
) -> Option<Arc<nimbus_lb::tls::ServerConfig>> {
    let m = certs.material(&lb.account, &lb.region, l.certificate.as_deref()?)?;
    let (protocols, ciphers) = svc_elbv2::ssl_policy(svc_elbv2::DEFAULT_SSL_POLICY)?;
    let settings = nimbus_lb::tls::TlsSettings {
        certs: vec![nimbus_lb::tls::TlsCert {
            chain_pem: m.chain_pem,
            key_pem: m.key_pem,
            names: m.names,
        }],
        protocols,
        ciphers,
        alpn: if l.protocol.eq_ignore_ascii_case("HTTPS") {
            vec![b"http/1.1".to_vec()]
        } else {
            Vec::new()
        },
    };
    nimbus_lb::tls::server_config(&settings).ok()
}

/// The port ranges instance `i`'s groups admit from balancer `lb`: rules naming one of its
/// groups, or a range holding one of its nodes' private addresses.
fn admitted(lb: &LbRec, i: &svc_elbv2::InstanceTarget, facts: &Facts) -> Vec<(u16, u16)> {
    let from_lb = |src: &svc_elbv2::RuleSource| match src {
        svc_elbv2::RuleSource::Group(g) => lb.security_groups.contains(g),
        svc_elbv2::RuleSource::Cidr(c) => Cidr::parse(c).is_some_and(|c| {
            lb.zones.iter().any(|z| {
                z.private_ip
                    .as_deref()
                    .and_then(|ip| ip.parse().ok())
                    .is_some_and(|ip| c.contains(ip))
            })
        }),
    };
    let mut out = Vec::new();
    for g in &i.security_groups {
        for r in facts.groups.get(g).into_iter().flatten() {
            let proto = r.protocol.to_ascii_lowercase();
            let all = proto == "-1" || proto == "all";
            if (all || proto == "tcp" || proto == "6") && from_lb(&r.source) {
                let port = |p: Option<i32>, d: u16| p.map_or(d, |p| p.clamp(0, 65535) as u16);
                out.push(if all {
                    (0, 65535)
                } else {
                    (port(r.from_port, 0), port(r.to_port, 65535))
                });
            }
        }
    }
    out
}

fn group(lb: &LbRec, l: &ListenerRec, key: &str, now: Timestamp, facts: &Facts) -> TargetGroup {
    let (hproto, hport, hpath) =
        parse_target(&lb.health.target).unwrap_or(("TCP".into(), 80, None));
    let stickiness = l
        .policies
        .iter()
        .find_map(|name| lb.policies.iter().find(|p| &p.name == name))
        .map_or(Stickiness::None, |p| match &p.app_cookie {
            Some(cookie) => Stickiness::ElbAppCookie {
                cookie: cookie.clone(),
            },
            None => Stickiness::ElbCookie {
                duration: p.lb_cookie_expiration.map(secs),
            },
        });
    let targets = lb
        .instances
        .iter()
        .filter(|r| r.draining_until.is_none_or(|d| d > now.0))
        .filter_map(|r| {
            let i = facts.instances.get(&r.id)?.as_ref()?;
            (i.state == svc_elbv2::InstanceState::Running).then(|| Target {
                ip: i.private_ip.into(),
                port: l.instance_port as u16,
                zone: Some(i.zone.clone()),
                draining_until: r.draining_until.map(Timestamp),
                instance: Some(InstanceRoute {
                    instance_id: i.instance_id.clone(),
                    vpc_id: i.vpc_id.clone(),
                    admitted: Some(admitted(lb, i, facts)),
                }),
            })
        })
        .collect();
    TargetGroup {
        arn: key.to_string(),
        protocol: protocol(&l.instance_protocol).unwrap_or(Protocol::Http),
        port: l.instance_port as u16,
        health: HealthCheck {
            enabled: true,
            protocol: if hproto == "HTTP" {
                Protocol::Http
            } else {
                Protocol::Tcp
            },
            port: Some(hport),
            path: hpath.unwrap_or_else(|| "/".into()),
            interval: secs(lb.health.interval.into()),
            timeout: secs(lb.health.timeout.into()),
            healthy_threshold: lb.health.healthy.max(1) as u32,
            unhealthy_threshold: lb.health.unhealthy.max(1) as u32,
            // Classic: only 200 OK passes an HTTP health check.
            matcher: vec![(200, 200)],
        },
        targets,
        in_use: true,
        stickiness,
        slow_start: Duration::ZERO,
        algorithm: Algorithm::RoundRobin,
        connection_termination: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_check_targets_parse_as_aws_writes_them() {
        assert_eq!(
            parse_target("HTTP:80/index.html"),
            Some(("HTTP".into(), 80, Some("/index.html".into())))
        );
        assert_eq!(parse_target("TCP:8080"), Some(("TCP".into(), 8080, None)));
        assert_eq!(parse_target("HTTP:80"), None, "HTTP needs a path");
        assert_eq!(parse_target("TCP:80/x"), None, "TCP takes no path");
        assert_eq!(parse_target("FTP:21"), None);
        assert_eq!(parse_target("HTTP:0/"), None);
    }
}

#[cfg(test)]
mod build_tests {
    use super::*;
    use crate::state::{AttrsRec, HealthRec, InstanceRec, PolicyRec, ZoneRec};

    fn lb() -> LbRec {
        LbRec {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: "web".into(),
            dns_name: "web-1234567890.us-east-1.elb.amazonaws.com".into(),
            scheme: "internet-facing".into(),
            vpc_id: "vpc-1".into(),
            zones: vec![ZoneRec {
                zone: "us-east-1a".into(),
                subnet_id: "subnet-1".into(),
                addr: "127.80.0.1".into(),
                eni_id: None,
                private_ip: Some("10.0.0.9".into()),
            }],
            security_groups: vec!["sg-lb".into()],
            listeners: vec![ListenerRec {
                protocol: "HTTP".into(),
                lb_port: 80,
                instance_protocol: "HTTP".into(),
                instance_port: 8080,
                certificate: None,
                policies: vec!["sticky".into()],
            }],
            health: HealthRec {
                target: "HTTP:8080/index.html".into(),
                ..HealthRec::default()
            },
            policies: vec![PolicyRec {
                name: "sticky".into(),
                lb_cookie_expiration: Some(60),
                app_cookie: None,
            }],
            instances: vec![
                InstanceRec {
                    id: "i-1".into(),
                    draining_until: None,
                },
                InstanceRec {
                    id: "i-2".into(),
                    draining_until: Some(5_000),
                },
                InstanceRec {
                    id: "i-3".into(),
                    draining_until: None,
                },
            ],
            attrs: AttrsRec::default(),
            tags: Vec::new(),
            created: 0,
        }
    }

    fn instance(
        id: &str,
        ip: [u8; 4],
        state: svc_elbv2::InstanceState,
    ) -> svc_elbv2::InstanceTarget {
        svc_elbv2::InstanceTarget {
            instance_id: id.into(),
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
            zone: "us-east-1a".into(),
            private_ip: ip.into(),
            state,
            security_groups: vec!["sg-web".into()],
        }
    }

    #[test]
    fn a_classic_balancer_becomes_a_listener_forwarding_to_its_instances() {
        let mut st = State::default();
        let rec = lb();
        st.lbs.insert(rec.key(), rec.clone());
        let mut facts = Facts::default();
        use svc_elbv2::InstanceState as S;
        facts.instances.insert(
            "i-1".into(),
            Some(instance("i-1", [10, 0, 0, 5], S::Running)),
        );
        facts.instances.insert(
            "i-2".into(),
            Some(instance("i-2", [10, 0, 0, 6], S::Running)),
        );
        facts.instances.insert(
            "i-3".into(),
            Some(instance("i-3", [10, 0, 0, 7], S::Stopped)),
        );
        facts.groups.insert(
            "sg-web".into(),
            vec![svc_elbv2::IngressRule {
                protocol: "tcp".into(),
                from_port: Some(8080),
                to_port: Some(8080),
                source: svc_elbv2::RuleSource::Group("sg-lb".into()),
            }],
        );
        let snap = build(&st, Timestamp(1_000), &facts, &svc_elbv2::NoCertificates);
        let b = &snap.balancers[0];
        assert_eq!(b.kind, Kind::Classic);
        assert!(!b.cross_zone, "cross-zone is off by default");
        assert_eq!(b.listeners[0].port, 80);
        let key = group_key(&rec, 80);
        let g = &snap.groups[&key];
        assert_eq!(
            g.stickiness,
            Stickiness::ElbCookie {
                duration: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(g.health.port, Some(8080));
        assert_eq!(g.health.path, "/index.html");
        assert_eq!(g.health.matcher, vec![(200, 200)]);
        // The stopped instance is left out; the draining one is carried with its deadline.
        let ips: Vec<String> = g.targets.iter().map(|t| t.addr().to_string()).collect();
        assert_eq!(ips, ["10.0.0.5:8080", "10.0.0.6:8080"]);
        assert_eq!(g.targets[1].draining_until, Some(Timestamp(5_000)));
        let route = g.targets[0].instance.as_ref().unwrap();
        assert!(route.admits(8080) && !route.admits(80));
        // Once the drain ended, the instance is gone from the group.
        let later = build(&st, Timestamp(6_000), &facts, &svc_elbv2::NoCertificates);
        assert_eq!(later.groups[&key].targets.len(), 1);
    }
}
