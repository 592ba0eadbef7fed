//! Load balancer, target group and listener attributes: AWS's key lists with their defaults
//! per load balancer / protocol / target type, and the value rules `Modify*Attributes`
//! enforces (booleans, integer ranges, enumerations). Keys and defaults follow the ELB user
//! guides' attribute tables
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#target-group-attributes>,
//! the Network Load Balancer equivalents). Unknown keys and bad values are refused, and so
//! is turning on what Nimbus cannot do yet (access, connection and health check logs to S3,
//! proxy protocol v2). Other attributes without an effect in the data plane yet are stored
//! and reported (see decision 0010).

use crate::errors;
use nimbus_core::AwsError;
use std::collections::BTreeMap;

/// How one attribute's value is checked.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    Bool,
    Int(i64, i64),
    OneOf(&'static [&'static str]),
    /// Any string (bucket names, prefixes, header values).
    Text,
}

type Spec = (&'static str, &'static str, Rule);

const ALB: &[Spec] = &[
    ("access_logs.s3.enabled", "false", Rule::Bool),
    ("access_logs.s3.bucket", "", Rule::Text),
    ("access_logs.s3.prefix", "", Rule::Text),
    ("client_keep_alive.seconds", "3600", Rule::Int(60, 604800)),
    ("connection_logs.s3.enabled", "false", Rule::Bool),
    ("connection_logs.s3.bucket", "", Rule::Text),
    ("connection_logs.s3.prefix", "", Rule::Text),
    ("deletion_protection.enabled", "false", Rule::Bool),
    ("health_check_logs.s3.enabled", "false", Rule::Bool),
    ("health_check_logs.s3.bucket", "", Rule::Text),
    ("health_check_logs.s3.prefix", "", Rule::Text),
    ("idle_timeout.timeout_seconds", "60", Rule::Int(1, 4000)),
    (
        "routing.http.desync_mitigation_mode",
        "defensive",
        Rule::OneOf(&["monitor", "defensive", "strictest"]),
    ),
    (
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.preserve_host_header.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
        Rule::Bool,
    ),
    ("routing.http.xff_client_port.enabled", "false", Rule::Bool),
    (
        "routing.http.xff_header_processing.mode",
        "append",
        Rule::OneOf(&["append", "preserve", "remove"]),
    ),
    ("routing.http2.enabled", "true", Rule::Bool),
    ("waf.fail_open.enabled", "false", Rule::Bool),
    ("zonal_shift.config.enabled", "false", Rule::Bool),
];

const NLB: &[Spec] = &[
    ("access_logs.s3.enabled", "false", Rule::Bool),
    ("access_logs.s3.bucket", "", Rule::Text),
    ("access_logs.s3.prefix", "", Rule::Text),
    ("deletion_protection.enabled", "false", Rule::Bool),
    (
        "dns_record.client_routing_policy",
        "any_availability_zone",
        Rule::OneOf(&[
            "availability_zone_affinity",
            "partial_availability_zone_affinity",
            "any_availability_zone",
        ]),
    ),
    ("load_balancing.cross_zone.enabled", "false", Rule::Bool),
    ("zonal_shift.config.enabled", "false", Rule::Bool),
];

const TG_ALB: &[Spec] = &[
    (
        "deregistration_delay.timeout_seconds",
        "300",
        Rule::Int(0, 3600),
    ),
    (
        "load_balancing.algorithm.anomaly_mitigation",
        "off",
        Rule::OneOf(&["on", "off"]),
    ),
    (
        "load_balancing.algorithm.type",
        "round_robin",
        Rule::OneOf(&[
            "round_robin",
            "least_outstanding_requests",
            "weighted_random",
        ]),
    ),
    (
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
        Rule::OneOf(&["true", "false", "use_load_balancer_configuration"]),
    ),
    ("slow_start.duration_seconds", "0", Rule::Int(0, 900)),
    ("stickiness.app_cookie.cookie_name", "", Rule::Text),
    (
        "stickiness.app_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604800),
    ),
    ("stickiness.enabled", "false", Rule::Bool),
    (
        "stickiness.lb_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604800),
    ),
    (
        "stickiness.type",
        "lb_cookie",
        Rule::OneOf(&["lb_cookie", "app_cookie"]),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 1_000_000),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Rule::Text,
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 1_000_000),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Rule::Text,
    ),
];

const TG_NLB: &[Spec] = &[
    (
        "deregistration_delay.connection_termination.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "deregistration_delay.timeout_seconds",
        "300",
        Rule::Int(0, 3600),
    ),
    (
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
        Rule::OneOf(&["true", "false", "use_load_balancer_configuration"]),
    ),
    ("preserve_client_ip.enabled", "false", Rule::Bool),
    ("proxy_protocol_v2.enabled", "false", Rule::Bool),
    ("stickiness.enabled", "false", Rule::Bool),
    ("stickiness.type", "source_ip", Rule::OneOf(&["source_ip"])),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 1_000_000),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Rule::Text,
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 1_000_000),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Rule::Text,
    ),
    (
        "target_health_state.unhealthy.connection_termination.enabled",
        "true",
        Rule::Bool,
    ),
    (
        "target_health_state.unhealthy.draining_interval_seconds",
        "0",
        Rule::Int(0, 360000),
    ),
];

const LISTENER_HTTP: &[Spec] = &[
    (
        "routing.http.request.x_amzn_mtls_clientcert.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_subject.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_validity.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_tls_cipher_suite.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.request.x_amzn_tls_version.header_name",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_allow_credentials.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_allow_headers.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_allow_methods.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_allow_origin.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_expose_headers.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.access_control_max_age.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.content_security_policy.header_value",
        "",
        Rule::Text,
    ),
    ("routing.http.response.server.enabled", "true", Rule::Bool),
    (
        "routing.http.response.strict_transport_security.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.x_content_type_options.header_value",
        "",
        Rule::Text,
    ),
    (
        "routing.http.response.x_frame_options.header_value",
        "",
        Rule::Text,
    ),
];

const LISTENER_TCP: &[Spec] = &[("tcp.idle_timeout.seconds", "350", Rule::Int(60, 6000))];

/// Which attribute set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    Alb,
    Nlb,
    TgAlb,
    TgNlb,
    ListenerHttp,
    ListenerTcp,
    /// UDP / TCP_UDP / TLS listeners carry no attributes.
    None,
}

impl Set {
    fn specs(self) -> &'static [Spec] {
        match self {
            Set::Alb => ALB,
            Set::Nlb => NLB,
            Set::TgAlb => TG_ALB,
            Set::TgNlb => TG_NLB,
            Set::ListenerHttp => LISTENER_HTTP,
            Set::ListenerTcp => LISTENER_TCP,
            Set::None => &[],
        }
    }

    /// Every key with its default.
    pub fn defaults(self) -> BTreeMap<String, String> {
        self.specs()
            .iter()
            .map(|(k, v, _)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The stored values over the defaults (keys added to AWS's list later get defaults).
    pub fn effective(self, stored: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let mut all = self.defaults();
        for (k, v) in stored {
            if all.contains_key(k) {
                all.insert(k.clone(), v.clone());
            }
        }
        all.into_iter().collect()
    }

    /// Checks each (key, value) and returns them normalised; refuses unknown keys and
    /// values outside their rule.
    pub fn check(self, changes: &[(String, String)]) -> Result<Vec<(String, String)>, AwsError> {
        let specs = self.specs();
        let mut out = Vec::new();
        for (k, v) in changes {
            let Some((_, _, rule)) = specs.iter().find(|(n, _, _)| n == k) else {
                return Err(errors::invalid_config(format!("Key {k} not valid")));
            };
            let ok = match rule {
                Rule::Bool => v == "true" || v == "false",
                Rule::Int(lo, hi) => v.parse::<i64>().is_ok_and(|n| (*lo..=*hi).contains(&n)),
                Rule::OneOf(vals) => vals.contains(&v.as_str()),
                Rule::Text => true,
            };
            if !ok {
                let expect = match rule {
                    Rule::Bool => "must be true or false".to_string(),
                    Rule::Int(lo, hi) => format!("must be between {lo} and {hi}"),
                    Rule::OneOf(vals) => format!("must be one of [{}]", vals.join(", ")),
                    Rule::Text => String::new(),
                };
                return Err(errors::invalid_config(format!(
                    "The value of '{k}' {expect}, but was '{v}'"
                )));
            }
            // Features whose effect Nimbus cannot produce yet are refused rather than stored
            // as if they worked.
            const NOT_YET: [&str; 4] = [
                "access_logs.s3.enabled",
                "connection_logs.s3.enabled",
                "health_check_logs.s3.enabled",
                "proxy_protocol_v2.enabled",
            ];
            if NOT_YET.contains(&k.as_str()) && v == "true" {
                return Err(errors::invalid_config(format!(
                    "Setting '{k}' to 'true' is not supported by Nimbus yet"
                )));
            }
            out.push((k.clone(), v.clone()));
        }
        Ok(out)
    }
}

/// The target group's effective value of `key`.
pub fn get(stored: &BTreeMap<String, String>, set: Set, key: &str) -> String {
    stored
        .get(key)
        .cloned()
        .or_else(|| set.defaults().get(key).cloned())
        .unwrap_or_default()
}

/// Reserved application cookie names ("AWSALB", "AWSALBAPP" and "AWSALBTG" prefixes).
pub fn reserved_cookie(name: &str) -> bool {
    ["AWSALB", "AWSALBAPP", "AWSALBTG"]
        .iter()
        .any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_enums_are_checked() {
        let ok = Set::TgAlb.check(&[("deregistration_delay.timeout_seconds".into(), "0".into())]);
        assert!(ok.is_ok());
        for (k, v) in [
            ("deregistration_delay.timeout_seconds", "3601"),
            ("stickiness.lb_cookie.duration_seconds", "0"),
            ("stickiness.lb_cookie.duration_seconds", "604801"),
            ("stickiness.type", "source_ip"),
            ("stickiness.enabled", "yes"),
            ("no.such.key", "1"),
            ("proxy_protocol_v2.enabled", "true"),
        ] {
            let set = if k.starts_with("proxy") {
                Set::TgNlb
            } else {
                Set::TgAlb
            };
            let e = set.check(&[(k.into(), v.into())]).expect_err(k);
            assert_eq!(e.code, "InvalidConfigurationRequest", "{k}");
        }
    }

    #[test]
    fn effective_fills_defaults() {
        let mut stored = BTreeMap::new();
        stored.insert("idle_timeout.timeout_seconds".to_string(), "30".to_string());
        let eff = Set::Alb.effective(&stored);
        assert!(eff.contains(&("idle_timeout.timeout_seconds".into(), "30".into())));
        assert!(eff.contains(&("deletion_protection.enabled".into(), "false".into())));
        assert_eq!(eff.len(), ALB.len());
    }
}
