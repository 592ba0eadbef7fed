//! The data plane's configuration: an immutable [`Snapshot`] of every load balancer (its
//! nodes, listeners and rules) and every target group (targets, health check, stickiness,
//! draining), built by the control plane (svc-elbv2) after each change and published whole
//! through [`crate::Plane::publish`]. Plain data with no AWS wire knowledge: ARNs are only
//! names here. Rules are kept sorted by priority, the default rule last.

use nimbus_core::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Everything the data plane serves, at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub balancers: Vec<Arc<Balancer>>,
    /// Target groups by ARN.
    pub groups: HashMap<String, Arc<TargetGroup>>,
}

impl Snapshot {
    /// Every (node address, port) some listener should be bound on, with the balancer and
    /// the listener's index in it.
    pub fn bindings(&self) -> Vec<(SocketAddr, Arc<Balancer>, usize)> {
        let mut out = Vec::new();
        for b in &self.balancers {
            for n in &b.nodes {
                for (i, l) in b.listeners.iter().enumerate() {
                    out.push((SocketAddr::new(IpAddr::V4(n.addr), l.port), b.clone(), i));
                }
            }
        }
        out
    }

    /// The load balancer one of whose nodes has address `addr`.
    pub fn balancer_at(&self, addr: Ipv4Addr) -> Option<&Arc<Balancer>> {
        self.balancers
            .iter()
            .find(|b| b.nodes.iter().any(|n| n.addr == addr))
    }

    /// The load balancer whose DNS name is `name` (case-insensitive, trailing dot ignored).
    pub fn balancer_named(&self, name: &str) -> Option<&Arc<Balancer>> {
        let name = name.trim_end_matches('.');
        self.balancers
            .iter()
            .find(|b| b.dns_name.eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Application,
    Network,
    /// A Classic Load Balancer (`elb`): HTTP/HTTPS listeners take the application path,
    /// TCP/SSL listeners the network one.
    Classic,
}

/// One load balancer.
#[derive(Clone, Debug)]
pub struct Balancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub kind: Kind,
    /// One node per enabled availability zone, each with its own loopback address.
    pub nodes: Vec<Node>,
    pub listeners: Vec<Listener>,
    /// `idle_timeout.timeout_seconds` (ALB).
    pub idle_timeout: Duration,
    /// Cross-zone load balancing (always on for ALB).
    pub cross_zone: bool,
    /// `routing.http.xff_header_processing.mode` and `routing.http.xff_client_port.enabled`.
    pub xff: Xff,
    /// `routing.http2.enabled`: clients may speak HTTP/2.
    pub http2: bool,
    /// What the balancer's security groups let in (their ingress rules, resolved by the
    /// control plane); `None` when the balancer has no security groups (an NLB created
    /// without them), which filters nothing.
    pub ingress: Option<Vec<Allow>>,
}

impl Balancer {
    /// Whether the balancer's security groups let a client at `source` reach `port` over
    /// `proto` (AWS: some rule of some group allows it; loopback sources count as their
    /// address, so 127.0.0.1 is inside 0.0.0.0/0 and 127.0.0.0/8).
    pub fn admits(&self, proto: IpProto, source: IpAddr, port: u16) -> bool {
        match &self.ingress {
            None => true,
            Some(rules) => rules.iter().any(|r| r.allows(proto, source, port)),
        }
    }
}

/// The transport a security group rule names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpProto {
    Tcp,
    Udp,
    /// `-1`: every protocol, every port.
    All,
}

/// One ingress rule of a balancer's security group, as the data plane applies it: a
/// protocol, an inclusive port range and a source range. (Rules whose peer is another
/// security group or a prefix list are not carried: no client of a balancer's loopback node
/// is a member of a group.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allow {
    pub proto: IpProto,
    pub from_port: u16,
    pub to_port: u16,
    pub source: Cidr,
}

impl Allow {
    pub fn allows(&self, proto: IpProto, source: IpAddr, port: u16) -> bool {
        let proto_ok = self.proto == IpProto::All || self.proto == proto;
        let port_ok = self.proto == IpProto::All || (self.from_port..=self.to_port).contains(&port);
        proto_ok && port_ok && self.source.contains(source)
    }
}

/// What an ALB does with `X-Forwarded-For`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Xff {
    /// Append the client's address (with its port when `client_port`).
    Append { client_port: bool },
    /// Pass the header on as the client sent it.
    Preserve,
    /// Remove it.
    #[default]
    Remove,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub zone: String,
    pub addr: Ipv4Addr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
    Tcp,
    Tls,
    Udp,
    TcpUdp,
}

#[derive(Clone, Debug)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    pub protocol: Protocol,
    /// By priority, the default rule (priority `None`) last.
    pub rules: Vec<Rule>,
    /// `routing.http.response.server.enabled`: the balancer's own answers carry
    /// `Server: awselb/2.0`.
    pub server_header: bool,
    /// Response headers the listener sets on every answer (`routing.http.response.*`
    /// attributes), replacing a target's own.
    pub response_headers: Vec<(String, String)>,
    /// HTTPS and TLS listeners: what they terminate TLS with (`crate::tls`); `None` when
    /// their certificates could not be had, and then handshakes fail.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub arn: String,
    /// `None` for the listener's default rule.
    pub priority: Option<u32>,
    /// All must match (an empty list matches everything).
    pub conditions: Vec<Condition>,
    pub action: Action,
    /// Group-level stickiness of a weighted forward (`AWSALBTG`), with its duration.
    pub group_stickiness: Option<Duration>,
}

/// A rule condition; within one condition any value may match.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Host patterns (`*` and `?` wildcards, case-insensitive).
    Host(Vec<String>),
    /// Path patterns (`*` and `?` wildcards, case-sensitive, without the query).
    Path(Vec<String>),
    /// A header's value patterns (name and values case-insensitive).
    Header { name: String, values: Vec<String> },
    /// Methods (exact, case-sensitive).
    Method(Vec<String>),
    /// Query-string pairs: key (optional) and value patterns.
    Query(Vec<(Option<String>, String)>),
    /// Source address ranges.
    SourceIp(Vec<Cidr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = s.split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        let prefix: u8 = p.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Action {
    /// Target groups with weights.
    Forward(Vec<(String, u32)>),
    Redirect(Redirect),
    Fixed {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
}

/// A redirect; each part may hold `#{protocol}`, `#{host}`, `#{port}`, `#{path}`, `#{query}`.
#[derive(Clone, Debug)]
pub struct Redirect {
    pub protocol: String,
    pub host: String,
    pub port: String,
    pub path: String,
    pub query: String,
    /// 301 or 302.
    pub status: u16,
}

#[derive(Clone, Debug)]
pub struct TargetGroup {
    pub arn: String,
    pub protocol: Protocol,
    pub port: u16,
    pub health: HealthCheck,
    /// Registered targets (draining ones included, with their end of draining).
    pub targets: Vec<Target>,
    /// Whether some listener or rule forwards to it (only those are health-checked).
    pub in_use: bool,
    pub stickiness: Stickiness,
    pub slow_start: Duration,
    /// `load_balancing.algorithm.type`.
    pub algorithm: Algorithm,
    /// NLB `deregistration_delay.connection_termination.enabled`: close a drained target's
    /// connections when its delay ends (otherwise they live on until either side closes).
    pub connection_termination: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The address connections go to: an IP target's own, or an instance's private IP
    /// inside its VPC.
    pub ip: IpAddr,
    pub port: u16,
    pub zone: Option<String>,
    /// Set once deregistered: the Nimbus time its draining ends.
    pub draining_until: Option<Timestamp>,
    /// An instance target: reached inside its VPC through the plane's
    /// [`crate::Connector`]; `None` for IP targets, reached from the host directly.
    pub instance: Option<InstanceRoute>,
}

/// Where an instance target lives: its id and its VPC (the address is the target's `ip`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstanceRoute {
    pub instance_id: String,
    pub vpc_id: String,
    /// The port ranges the instance's security groups admit from the balancer (its group
    /// or its nodes' addresses); `None` when not enforced. A connection to any other port
    /// is never answered, as a dropped SYN: the caller's timeout ends it
    /// (`Target.Timeout`, 504).
    pub admitted: Option<Vec<(u16, u16)>>,
}

impl InstanceRoute {
    pub fn admits(&self, port: u16) -> bool {
        self.admitted
            .as_ref()
            .is_none_or(|r| r.iter().any(|&(a, b)| (a..=b).contains(&port)))
    }
}

impl Target {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }
}

#[derive(Clone, Debug)]
pub struct HealthCheck {
    pub enabled: bool,
    pub protocol: Protocol,
    /// `None`: the target's own (traffic) port.
    pub port: Option<u16>,
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    /// Inclusive ranges of success codes.
    pub matcher: Vec<(u16, u16)>,
}

impl HealthCheck {
    pub fn matches(&self, code: u16) -> bool {
        self.matcher
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&code))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    #[default]
    RoundRobin,
    /// The target with the fewest requests in flight (ties by round robin).
    LeastOutstanding,
    /// A random target.
    WeightedRandom,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stickiness {
    None,
    /// Duration-based (`AWSALB` / `AWSALBCORS`).
    LbCookie {
        duration: Duration,
    },
    /// Application-based: follows `cookie`, sets `AWSALBAPP-<n>`.
    AppCookie {
        cookie: String,
        duration: Duration,
    },
    /// Classic's duration-based policy (`AWSELB`): `None` lasts the browser session.
    ElbCookie {
        duration: Option<Duration>,
    },
    /// Classic's application-controlled policy: `AWSELB` is (re)issued whenever the
    /// application sets `cookie`, for the browser session.
    ElbAppCookie {
        cookie: String,
    },
}
