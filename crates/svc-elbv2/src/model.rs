//! The stored records of ELBv2: load balancers, target groups (with their registered
//! targets), listeners and rules, each with its attributes and tags. Actions and
//! conditions are kept in our own serde shapes (the wire shapes are not serde) and turned
//! back into wire shapes by `render`. Every record carries its account and region; ARNs are
//! unique across both. This module decides nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Tags = Vec<(String, String)>;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ZoneRec {
    pub zone: String,
    pub subnet_id: String,
    /// The node's loopback address (127.80.x.y).
    pub addr: String,
    /// The node's network interface in the subnet, and its private address there.
    #[serde(default)]
    pub eni_id: Option<String>,
    #[serde(default)]
    pub private_ip: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LbRec {
    pub account: String,
    pub region: String,
    pub arn: String,
    pub name: String,
    /// `application` or `network`.
    pub kind: String,
    pub scheme: String,
    pub vpc_id: String,
    pub zones: Vec<ZoneRec>,
    pub security_groups: Vec<String>,
    pub ip_address_type: String,
    pub dns_name: String,
    /// Nimbus time of creation (ms).
    pub created: i64,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HealthRec {
    pub enabled: bool,
    pub protocol: Option<String>,
    /// `traffic-port` or a number.
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval: i32,
    pub timeout: i32,
    pub healthy: i32,
    pub unhealthy: i32,
    /// `HttpCode` of the matcher (`200`, `200,302`, `200-299`).
    pub matcher: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TargetRec {
    pub id: String,
    pub port: i32,
    pub zone: Option<String>,
    /// Set when deregistered: Nimbus time (ms) the draining ends.
    pub draining_until: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TgRec {
    pub account: String,
    pub region: String,
    pub arn: String,
    pub name: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i32>,
    pub vpc_id: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    pub ip_address_type: Option<String>,
    pub health: HealthRec,
    pub created: i64,
    pub targets: Vec<TargetRec>,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RedirectRec {
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub status_code: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FixedRec {
    pub status_code: String,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ActionRec {
    /// `forward`, `redirect` or `fixed-response`.
    pub kind: String,
    pub order: Option<i32>,
    /// Forward: (target group ARN, weight).
    pub groups: Vec<(String, i32)>,
    /// Forward: whether the request named `TargetGroupArn` (rendered back the same way).
    pub single: bool,
    /// Forward: group-level stickiness (enabled, duration seconds).
    pub group_stickiness: Option<(bool, Option<i32>)>,
    pub redirect: Option<RedirectRec>,
    pub fixed: Option<FixedRec>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CondRec {
    pub field: String,
    pub values: Vec<String>,
    /// `http-header`: the header's name.
    pub header_name: Option<String>,
    /// `query-string`: (key, value) pairs.
    pub query: Vec<(Option<String>, String)>,
    /// Whether the request used the legacy `Values` list (host-header, path-pattern).
    pub legacy_values: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListenerRec {
    pub account: String,
    pub region: String,
    pub arn: String,
    pub lb_arn: String,
    pub port: i32,
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// The default certificate (HTTPS and TLS listeners).
    pub certificates: Vec<String>,
    /// The listener's certificate list beside the default (`AddListenerCertificates`).
    #[serde(default)]
    pub extra_certificates: Vec<String>,
    pub default_actions: Vec<ActionRec>,
    /// The ARN of the listener's default rule (as `DescribeRules` lists it).
    pub default_rule_arn: String,
    pub created: i64,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuleRec {
    pub account: String,
    pub region: String,
    pub arn: String,
    pub listener_arn: String,
    pub priority: i32,
    pub conditions: Vec<CondRec>,
    pub actions: Vec<ActionRec>,
    pub tags: Tags,
}
