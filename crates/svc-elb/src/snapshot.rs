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
