//! Turns the control plane's state into the data plane's immutable configuration
//! ([`nimbus_lb::config::Snapshot`]): nodes from each balancer's zones, listeners with their
//! rules sorted by priority (the default rule last), target groups with health checks,
//! stickiness and registered targets (draining ones carry their end of draining; targets
//! whose draining ended are left out). HTTPS and TLS listeners get their rustls
//! configuration: the default certificate and the listener's list, resolved through ACM
//! ([`Certificates`]), with the security policy's protocols and ciphers. Pure: state, ACM's
//! answers and EC2's [`Facts`] in, snapshot out.
//! The facts give each balancer the ingress rules of its security groups (enforced on its
//! listeners) and each instance target its VPC, private address, zone, state and groups:
//! only running instances are routed to, by their private address inside their VPC, and
//! only on the ports their groups admit from the balancer (its group, or its nodes'
//! addresses) — elsewhere the connection is never answered, so the target reads
//! `Target.Timeout`, the misconfiguration every AWS beginner meets.

use crate::attributes::{self, Set};
use crate::certs::Certificates;
use crate::model::ListenerRec;
use crate::model::{ActionRec, CondRec, LbRec, TgRec};
use crate::state::State;
use nimbus_core::Timestamp;
use nimbus_lb::config::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What a snapshot needs from EC2, read when it is built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// By load balancer ARN: what its security groups let in (`None`: it has none).
    pub ingress: HashMap<String, Option<Vec<Allow>>>,
    /// By instance id: the instance as EC2 reports it (`None`: unknown).
    pub instances: HashMap<String, Option<crate::instances::InstanceTarget>>,
    /// By security group id: the ingress rules of each instance target's groups.
    pub groups: HashMap<String, Vec<crate::network::IngressRule>>,
}

/// A security group rule as the data plane applies it (`None` for rules that cannot admit
/// a TCP or UDP client: ICMP and other protocols).
pub fn allow(r: &crate::network::IngressRule) -> Option<Allow> {
    let proto = match r.protocol.to_ascii_lowercase().as_str() {
        "tcp" | "6" => IpProto::Tcp,
        "udp" | "17" => IpProto::Udp,
        "-1" | "all" => IpProto::All,
        _ => return None,
    };
    let port = |p: Option<i32>, default: u16| p.map_or(default, |p| p.clamp(0, 65535) as u16);
    Some(Allow {
        proto,
        from_port: port(r.from_port, 0),
        to_port: port(r.to_port, 65535),
        source: match &r.source {
            crate::network::RuleSource::Cidr(c) => Cidr::parse(c)?,
            // No client of a balancer's loopback node is a member of a group.
            crate::network::RuleSource::Group(_) => return None,
        },
    })
}

pub fn protocol(p: &str) -> Option<Protocol> {
    Some(match p {
        "HTTP" => Protocol::Http,
        "HTTPS" => Protocol::Https,
        "TCP" => Protocol::Tcp,
        "TLS" => Protocol::Tls,
        "UDP" => Protocol::Udp,
        "TCP_UDP" => Protocol::TcpUdp,
        _ => return None,
    })
}

/// Parses a matcher's `HttpCode` (`200`, `200,202`, `200-299`) into ranges.
pub fn matcher_ranges(code: &str) -> Option<Vec<(u16, u16)>> {
    let mut out = Vec::new();
    for part in code.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        if lo > hi {
            return None;
        }
        out.push((lo, hi));
    }
    (!out.is_empty()).then_some(out)
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

pub fn build(st: &State, now: Timestamp, facts: &Facts, certs: &dyn Certificates) -> Snapshot {
    let mut in_use: HashMap<&str, bool> = HashMap::new();
    let mut balancers = Vec::new();
    for lb in st.lbs.values() {
        let mut b = balancer(st, lb, &mut in_use, certs);
        b.ingress = facts.ingress.get(&lb.arn).cloned().unwrap_or_else(|| {
            // Groups EC2 no longer knows admit nothing.
            (!lb.security_groups.is_empty()).then(Vec::new)
        });
        balancers.push(Arc::new(b));
    }
    let groups = st
        .tgs
        .values()
        .map(|tg| {
            let used = in_use.contains_key(tg.arn.as_str());
            (tg.arn.clone(), Arc::new(group(st, tg, used, now, facts)))
        })
        .collect();
    Snapshot { balancers, groups }
}

/// The TLS configuration of a secure listener: its default certificate, then its list,
/// each as ACM has it now (one ACM no longer answers for is left out; without the default
/// there is no configuration and handshakes fail).
fn tls(
    l: &ListenerRec,
    http2: bool,
    certs: &dyn Certificates,
) -> Option<Arc<nimbus_lb::tls::ServerConfig>> {
    let mut list = Vec::new();
    for (i, arn) in l
        .certificates
        .iter()
        .chain(&l.extra_certificates)
        .enumerate()
    {
        match certs.material(&l.account, &l.region, arn) {
            Some(m) => list.push(nimbus_lb::tls::TlsCert {
                chain_pem: m.chain_pem,
                key_pem: m.key_pem,
                names: m.names,
            }),
            None if i == 0 => return None,
            None => {}
        }
    }
    let policy = l
        .ssl_policy
        .as_deref()
        .unwrap_or(crate::handlers::DEFAULT_SSL_POLICY);
    let (protocols, ciphers) = crate::handlers::ssl_policy(policy)?;
    let alpn: Vec<Vec<u8>> = match (l.protocol.as_str(), http2) {
        ("HTTPS", true) => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        ("HTTPS", false) => vec![b"http/1.1".to_vec()],
        _ => Vec::new(),
    };
    let settings = nimbus_lb::tls::TlsSettings {
        certs: list,
        protocols,
        ciphers,
        alpn,
    };
    match nimbus_lb::tls::server_config(&settings) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("nimbus: listener {} cannot terminate TLS: {e}", l.arn);
            None
        }
    }
}

fn balancer<'a>(
    st: &'a State,
    lb: &'a LbRec,
    in_use: &mut HashMap<&'a str, bool>,
    certs: &dyn Certificates,
) -> Balancer {
    let app = lb.kind == "application";
    let set = if app { Set::Alb } else { Set::Nlb };
    let http2 = attributes::get(&lb.attributes, set, "routing.http2.enabled") != "false";
    let mut listeners: Vec<Listener> = Vec::new();
    let mut ls: Vec<_> = st.listeners_of(&lb.arn).collect();
    ls.sort_by_key(|l| l.port);
    for l in ls {
        let mut rules: Vec<Rule> = Vec::new();
        let mut rs: Vec<_> = st.rules_of(&l.arn).collect();
        rs.sort_by_key(|r| r.priority);
        for r in rs {
            for a in &r.actions {
                for (g, _) in &a.groups {
                    in_use.insert(g.as_str(), true);
                }
            }
            rules.push(Rule {
                arn: r.arn.clone(),
                priority: Some(r.priority as u32),
                conditions: r.conditions.iter().map(condition).collect(),
                action: action(&r.actions),
                group_stickiness: group_stickiness(&r.actions),
            });
        }
        for a in &l.default_actions {
            for (g, _) in &a.groups {
                in_use.insert(g.as_str(), true);
            }
        }
        rules.push(Rule {
            arn: l.default_rule_arn.clone(),
            priority: None,
            conditions: Vec::new(),
            action: action(&l.default_actions),
            group_stickiness: group_stickiness(&l.default_actions),
        });
        if let Some(p) = protocol(&l.protocol) {
            let lset = crate::handlers::listener_set(&l.protocol);
            listeners.push(Listener {
                arn: l.arn.clone(),
                port: l.port as u16,
                protocol: p,
                rules,
                server_header: attributes::get(
                    &l.attributes,
                    lset,
                    "routing.http.response.server.enabled",
                ) != "false",
                response_headers: response_headers(&l.attributes),
                tls: matches!(p, Protocol::Https | Protocol::Tls)
                    .then(|| tls(l, http2, certs))
                    .flatten(),
            });
        }
    }
    Balancer {
        arn: lb.arn.clone(),
        name: lb.name.clone(),
        dns_name: lb.dns_name.clone(),
        kind: if app {
            Kind::Application
        } else {
            Kind::Network
        },
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
        idle_timeout: secs(
            attributes::get(&lb.attributes, set, "idle_timeout.timeout_seconds")
                .parse()
                .unwrap_or(60),
        ),
        cross_zone: app
            || attributes::get(&lb.attributes, set, "load_balancing.cross_zone.enabled") == "true",
        http2,
        ingress: None,
        xff: match attributes::get(
            &lb.attributes,
            set,
            "routing.http.xff_header_processing.mode",
        )
        .as_str()
        {
            "preserve" => Xff::Preserve,
            "remove" => Xff::Remove,
            _ => Xff::Append {
                client_port: attributes::get(
                    &lb.attributes,
                    set,
                    "routing.http.xff_client_port.enabled",
                ) == "true",
            },
        },
    }
}

/// The headers the `routing.http.response.<name>.header_value` attributes set, by the
/// header each attribute names.
fn response_headers(attrs: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    const NAMES: [(&str, &str); 10] = [
        (
            "access_control_allow_credentials",
            "Access-Control-Allow-Credentials",
        ),
        (
            "access_control_allow_headers",
            "Access-Control-Allow-Headers",
        ),
        (
            "access_control_allow_methods",
            "Access-Control-Allow-Methods",
        ),
        ("access_control_allow_origin", "Access-Control-Allow-Origin"),
        (
            "access_control_expose_headers",
            "Access-Control-Expose-Headers",
        ),
        ("access_control_max_age", "Access-Control-Max-Age"),
        ("content_security_policy", "Content-Security-Policy"),
        ("strict_transport_security", "Strict-Transport-Security"),
        ("x_content_type_options", "X-Content-Type-Options"),
        ("x_frame_options", "X-Frame-Options"),
    ];
    NAMES
        .iter()
        .filter_map(|(k, h)| {
            let v = attrs.get(&format!("routing.http.response.{k}.header_value"))?;
            (!v.is_empty()).then(|| (h.to_string(), v.clone()))
        })
        .collect()
}

/// A forward's group-level stickiness duration, when it is on (AWS's default duration is
/// one day when none is given).
fn group_stickiness(actions: &[ActionRec]) -> Option<Duration> {
    let a = actions.iter().find(|a| a.kind == "forward")?;
    match a.group_stickiness {
        Some((true, d)) => Some(secs(d.unwrap_or(86400).into())),
        _ => None,
    }
}

/// The action that decides (the one with the highest order: authenticate actions, which
/// come first, are not supported).
fn action(actions: &[ActionRec]) -> Action {
    let Some(a) = actions.iter().max_by_key(|a| a.order.unwrap_or(0)) else {
        return Action::Fixed {
            status: 503,
            content_type: None,
            body: String::new(),
        };
    };
    match a.kind.as_str() {
        "redirect" => {
            let r = a
                .redirect
                .clone()
                .unwrap_or_else(|| crate::model::RedirectRec {
                    protocol: None,
                    port: None,
                    host: None,
                    path: None,
                    query: None,
                    status_code: "HTTP_301".into(),
                });
            Action::Redirect(Redirect {
                protocol: r.protocol.unwrap_or_else(|| "#{protocol}".into()),
                host: r.host.unwrap_or_else(|| "#{host}".into()),
                port: r.port.unwrap_or_else(|| "#{port}".into()),
                path: r.path.unwrap_or_else(|| "/#{path}".into()),
                query: r.query.unwrap_or_else(|| "#{query}".into()),
                status: if r.status_code == "HTTP_302" {
                    302
                } else {
                    301
                },
            })
        }
        "fixed-response" => {
            let f = a.fixed.clone();
            Action::Fixed {
                status: f
                    .as_ref()
                    .and_then(|f| f.status_code.parse().ok())
                    .unwrap_or(200),
                content_type: f.as_ref().and_then(|f| f.content_type.clone()),
                body: f.and_then(|f| f.body).unwrap_or_default(),
            }
        }
        _ => Action::Forward(
            a.groups
                .iter()
                .map(|(g, w)| (g.clone(), (*w).max(0) as u32))
                .collect(),
        ),
    }
}

fn condition(c: &CondRec) -> Condition {
    match c.field.as_str() {
        "host-header" => Condition::Host(c.values.clone()),
        "path-pattern" => Condition::Path(c.values.clone()),
        "http-header" => Condition::Header {
            name: c.header_name.clone().unwrap_or_default(),
            values: c.values.clone(),
        },
        "http-request-method" => Condition::Method(c.values.clone()),
        "query-string" => Condition::Query(c.query.clone()),
        _ => Condition::SourceIp(c.values.iter().filter_map(|v| Cidr::parse(v)).collect()),
    }
}

/// The port ranges instance `i`'s security groups admit from the balancers that forward to
/// `tg`: rules naming one of their groups, or a range holding one of their nodes' private
/// addresses (where a balancer's connections come from on AWS).
fn admitted(
    st: &State,
    tg: &TgRec,
    i: &crate::instances::InstanceTarget,
    facts: &Facts,
) -> Vec<(u16, u16)> {
    let lbs: Vec<&LbRec> = st
        .lbs_of_group(&tg.arn)
        .iter()
        .filter_map(|a| st.lbs.get(a))
        .collect();
    let from_lb = |src: &crate::network::RuleSource| match src {
        crate::network::RuleSource::Group(g) => lbs.iter().any(|lb| lb.security_groups.contains(g)),
        crate::network::RuleSource::Cidr(c) => Cidr::parse(c).is_some_and(|c| {
            lbs.iter().any(|lb| {
                lb.zones.iter().any(|z| {
                    z.private_ip
                        .as_deref()
                        .and_then(|ip| ip.parse().ok())
                        .is_some_and(|ip| c.contains(ip))
                })
            })
        }),
    };
    let mut out = Vec::new();
    for g in &i.security_groups {
        for r in facts.groups.get(g).into_iter().flatten() {
            let tcp = matches!(
                r.protocol.to_ascii_lowercase().as_str(),
                "tcp" | "6" | "-1" | "all"
            );
            if tcp && from_lb(&r.source) {
                let all = r.protocol == "-1" || r.protocol.eq_ignore_ascii_case("all");
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

/// The data plane's target for a registered one: an IP target as registered, an instance
/// target at its private address inside its VPC while it runs (`None` otherwise), with the
/// ports its security groups admit from the balancer.
pub fn target(
    st: &State,
    tg: &TgRec,
    t: &crate::model::TargetRec,
    facts: &Facts,
) -> Option<Target> {
    if tg.target_type != "instance" {
        return Some(Target {
            ip: t.id.parse().ok()?,
            port: t.port as u16,
            zone: t.zone.clone(),
            draining_until: t.draining_until.map(Timestamp),
            instance: None,
        });
    }
    let i = facts.instances.get(&t.id)?.as_ref()?;
    (i.state == crate::instances::InstanceState::Running).then(|| Target {
        ip: i.private_ip.into(),
        port: t.port as u16,
        zone: Some(i.zone.clone()),
        draining_until: t.draining_until.map(Timestamp),
        instance: Some(InstanceRoute {
            instance_id: i.instance_id.clone(),
            vpc_id: i.vpc_id.clone(),
            admitted: Some(admitted(st, tg, i, facts)),
        }),
    })
}

fn group(st: &State, tg: &TgRec, in_use: bool, now: Timestamp, facts: &Facts) -> TargetGroup {
    let set = if tg
        .protocol
        .as_deref()
        .is_some_and(|p| p.starts_with("HTTP"))
    {
        Set::TgAlb
    } else {
        Set::TgNlb
    };
    let get = |k: &str| attributes::get(&tg.attributes, set, k);
    let stickiness = if get("stickiness.enabled") == "true" {
        match get("stickiness.type").as_str() {
            "lb_cookie" => Stickiness::LbCookie {
                duration: secs(
                    get("stickiness.lb_cookie.duration_seconds")
                        .parse()
                        .unwrap_or(86400),
                ),
            },
            "app_cookie" => Stickiness::AppCookie {
                cookie: get("stickiness.app_cookie.cookie_name"),
                duration: secs(
                    get("stickiness.app_cookie.duration_seconds")
                        .parse()
                        .unwrap_or(86400),
                ),
            },
            _ => Stickiness::None,
        }
    } else {
        Stickiness::None
    };
    let h = &tg.health;
    let proto = tg
        .protocol
        .as_deref()
        .and_then(protocol)
        .unwrap_or(Protocol::Http);
    TargetGroup {
        arn: tg.arn.clone(),
        protocol: proto,
        port: tg.port.unwrap_or(0) as u16,
        health: HealthCheck {
            enabled: h.enabled,
            protocol: h.protocol.as_deref().and_then(protocol).unwrap_or(proto),
            port: h.port.as_deref().and_then(|p| p.parse().ok()),
            path: h.path.clone().unwrap_or_else(|| "/".into()),
            interval: secs(h.interval.into()),
            timeout: secs(h.timeout.into()),
            healthy_threshold: h.healthy.max(1) as u32,
            unhealthy_threshold: h.unhealthy.max(1) as u32,
            matcher: h
                .matcher
                .as_deref()
                .and_then(matcher_ranges)
                .unwrap_or_else(|| vec![(200, 399)]),
        },
        targets: tg
            .targets
            .iter()
            .filter(|t| t.draining_until.is_none_or(|d| d > now.0))
            .filter_map(|t| target(st, tg, t, facts))
            .collect(),
        in_use,
        stickiness,
        slow_start: secs(get("slow_start.duration_seconds").parse().unwrap_or(0)),
        algorithm: match get("load_balancing.algorithm.type").as_str() {
            "least_outstanding_requests" => Algorithm::LeastOutstanding,
            "weighted_random" => Algorithm::WeightedRandom,
            _ => Algorithm::RoundRobin,
        },
        connection_termination: set == Set::TgNlb
            && get("deregistration_delay.connection_termination.enabled") == "true",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_parse_as_aws_writes_them() {
        assert_eq!(matcher_ranges("200"), Some(vec![(200, 200)]));
        assert_eq!(
            matcher_ranges("200,302"),
            Some(vec![(200, 200), (302, 302)])
        );
        assert_eq!(matcher_ranges("200-299"), Some(vec![(200, 299)]));
        assert_eq!(matcher_ranges("299-200"), None);
        assert_eq!(matcher_ranges("abc"), None);
    }
}
