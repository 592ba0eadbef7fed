//! Pure decisions of the request path: which rule of a listener matches a request
//! ([`matches`], AWS's condition semantics: host and header values case-insensitive with
//! `*`/`?` wildcards, paths case-sensitive, methods exact, query pairs, source CIDRs), which
//! target group of a weighted forward gets the request ([`pick_group`]), which targets may
//! receive traffic ([`eligible`]: healthy ones, or all when none is — AWS's fail-open), and
//! the stickiness cookie that names a target ([`encode_target`] / [`decode_target`]).
//! No sockets, no clocks: everything here is table-testable.

use crate::config::{Condition, Rule, Stickiness, Target, TargetGroup};
use crate::health::{State, View};
use base64::Engine;
use std::net::{IpAddr, SocketAddr};

/// What a rule looks at in a request.
#[derive(Clone, Debug, Default)]
pub struct RequestFacts<'a> {
    /// The `Host` header without its port.
    pub host: &'a str,
    /// The path without the query.
    pub path: &'a str,
    pub method: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub source: Option<IpAddr>,
}

/// `*` (any run) and `?` (one character) wildcard match.
pub fn wildcard(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let norm = |s: &str| {
        if case_insensitive {
            s.to_ascii_lowercase().chars().collect::<Vec<_>>()
        } else {
            s.chars().collect::<Vec<_>>()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn condition_matches(c: &Condition, r: &RequestFacts<'_>) -> bool {
    match c {
        Condition::Host(v) => v.iter().any(|p| wildcard(p, r.host, true)),
        Condition::Path(v) => v.iter().any(|p| wildcard(p, r.path, false)),
        Condition::Header { name, values } => r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .any(|(_, hv)| values.iter().any(|p| wildcard(p, hv, true))),
        Condition::Method(v) => v.iter().any(|m| m == r.method),
        Condition::Query(pairs) => {
            let got: Vec<(String, String)> = r
                .query
                .split('&')
                .filter(|s| !s.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (percent_decode(k), percent_decode(v)),
                    None => (percent_decode(kv), String::new()),
                })
                .collect();
            pairs.iter().any(|(k, v)| {
                got.iter().any(|(gk, gv)| {
                    k.as_deref().is_none_or(|k| wildcard(k, gk, true)) && wildcard(v, gv, true)
                })
            })
        }
        Condition::SourceIp(cidrs) => r
            .source
            .is_some_and(|ip| cidrs.iter().any(|c| c.contains(ip))),
    }
}

/// The first rule (they are sorted by priority, the default last) whose every condition
/// matches.
pub fn matches<'r>(rules: &'r [Rule], r: &RequestFacts<'_>) -> Option<&'r Rule> {
    rules
        .iter()
        .find(|rule| rule.conditions.iter().all(|c| condition_matches(c, r)))
}

/// The target group of a weighted forward that request number `n` goes to (weighted round
/// robin; groups of weight 0 get nothing). `None` if every weight is 0.
pub fn pick_group(groups: &[(String, u32)], n: usize) -> Option<&str> {
    let total: u64 = groups.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut k = (n as u64) % total;
    for (g, w) in groups {
        if k < u64::from(*w) {
            return Some(g);
        }
        k -= u64::from(*w);
    }
    None
}

/// The targets of `group` that may get new requests: not draining, in `zone` unless
/// `cross_zone`, and healthy — or, when none is healthy, all of them (fail open). Health
/// checks disabled: all of them.
pub fn eligible<'g>(
    group: &'g TargetGroup,
    view: &View,
    zone: Option<&str>,
    cross_zone: bool,
) -> Vec<&'g Target> {
    let live: Vec<&Target> = group
        .targets
        .iter()
        .filter(|t| t.draining_until.is_none())
        .filter(|t| {
            // A target outside the VPC is registered in zone `all`: every node reaches it.
            cross_zone
                || zone.is_none()
                || t.zone.as_deref().is_none_or(|z| z == "all")
                || t.zone.as_deref() == zone
        })
        .collect();
    if !group.health.enabled {
        return live;
    }
    let states = view.get(&group.arn);
    let healthy: Vec<&Target> = live
        .iter()
        .copied()
        .filter(|t| states.and_then(|s| s.get(&t.addr())) == Some(&State::Healthy))
        .collect();
    if healthy.is_empty() {
        live
    } else {
        healthy
    }
}

const STICKY_PREFIX: &str = "nlb1:";

/// A stickiness cookie value naming `addr` of target group `group` (base64url; it names the
/// target, so a Nimbus restart keeps sessions where the target still exists).
pub fn encode_target(group: &str, addr: SocketAddr) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{STICKY_PREFIX}{addr}|{group}"))
}

/// The target a stickiness cookie names, if it was made for `group`.
pub fn decode_target(value: &str, group: &str) -> Option<SocketAddr> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let rest = s.strip_prefix(STICKY_PREFIX)?;
    let (addr, g) = rest.split_once('|')?;
    (g == group).then(|| addr.parse().ok())?
}

const GROUP_PREFIX: &str = "nlbtg1:";

/// A group stickiness cookie value (`AWSALBTG`) naming target group `group` for rule `rule`.
pub fn encode_group(rule: &str, group: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{GROUP_PREFIX}{group}|{rule}"))
}

/// The target group an `AWSALBTG` value names, if it was made for `rule`.
pub fn decode_group(value: &str, rule: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (group, r) = s.strip_prefix(GROUP_PREFIX)?.rsplit_once('|')?;
    (r == rule).then(|| group.to_string())
}

/// The name of the cookie that carries stickiness for `s` (`AWSALB`, `AWSALBAPP-0`).
pub fn sticky_cookie(s: &Stickiness) -> Option<&'static str> {
    match s {
        Stickiness::None => None,
        Stickiness::LbCookie { .. } => Some("AWSALB"),
        Stickiness::AppCookie { .. } => Some("AWSALBAPP-0"),
        Stickiness::ElbCookie { .. } | Stickiness::ElbAppCookie { .. } => Some("AWSELB"),
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: impl Iterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    for h in headers {
        for part in h.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == name {
                    return Some(v);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Action, Cidr, HealthCheck, Protocol};
    use std::collections::HashMap;
    use std::time::Duration;

    fn rule(priority: Option<u32>, conditions: Vec<Condition>) -> Rule {
        Rule {
            arn: format!("r{priority:?}"),
            priority,
            conditions,
            action: Action::Fixed {
                status: 200,
                content_type: None,
                body: String::new(),
            },
            group_stickiness: None,
        }
    }

    fn facts<'a>(
        host: &'a str,
        path: &'a str,
        method: &'a str,
        query: &'a str,
    ) -> RequestFacts<'a> {
        RequestFacts {
            host,
            path,
            method,
            query,
            headers: Vec::new(),
            source: None,
        }
    }

    #[test]
    fn wildcards_as_aws_documents_them() {
        assert!(wildcard("*.example.com", "www.Example.com", true));
        assert!(!wildcard("*.example.com", "example.com", true));
        assert!(wildcard("/img/*", "/img/a/b.png", false));
        assert!(!wildcard("/IMG/*", "/img/a.png", false));
        assert!(wildcard("/a?c", "/abc", false));
        assert!(!wildcard("/a?c", "/ac", false));
        assert!(wildcard("*", "", false));
        assert!(wildcard("/api*", "/api", false));
    }

    #[test]
    fn the_first_matching_rule_by_priority_wins_and_the_default_catches_the_rest() {
        let rules = vec![
            rule(
                Some(5),
                vec![
                    Condition::Path(vec!["/api/*".into()]),
                    Condition::Method(vec!["POST".into()]),
                ],
            ),
            rule(Some(10), vec![Condition::Path(vec!["/api/*".into()])]),
            rule(Some(20), vec![Condition::Host(vec!["admin.*".into()])]),
            rule(
                Some(30),
                vec![Condition::Query(vec![(Some("v".into()), "2*".into())])],
            ),
            rule(None, vec![]),
        ];
        let at = |f: RequestFacts| matches(&rules, &f).and_then(|r| r.priority);
        assert_eq!(at(facts("x", "/api/a", "POST", "")), Some(5));
        assert_eq!(at(facts("x", "/api/a", "GET", "")), Some(10));
        assert_eq!(at(facts("ADMIN.example.com", "/", "GET", "")), Some(20));
        assert_eq!(at(facts("x", "/", "GET", "a=1&v=2.1")), Some(30));
        assert_eq!(at(facts("x", "/", "GET", "v=1")), None);
        assert!(
            matches(&rules, &facts("x", "/", "GET", "v=1")).is_some_and(|r| r.priority.is_none())
        );
    }

    #[test]
    fn headers_and_source_addresses() {
        let rules = vec![
            rule(
                Some(1),
                vec![Condition::Header {
                    name: "User-Agent".into(),
                    values: vec!["*Mobile*".into()],
                }],
            ),
            rule(
                Some(2),
                vec![Condition::SourceIp(
                    vec![Cidr::parse("10.0.0.0/8").unwrap()],
                )],
            ),
        ];
        let mut f = facts("x", "/", "GET", "");
        f.headers = vec![("user-agent", "Foo mobile Safari")];
        assert_eq!(matches(&rules, &f).and_then(|r| r.priority), Some(1));
        let mut f = facts("x", "/", "GET", "");
        f.source = Some("10.1.2.3".parse().unwrap());
        assert_eq!(matches(&rules, &f).and_then(|r| r.priority), Some(2));
        f.source = Some("11.1.2.3".parse().unwrap());
        assert!(matches(&rules, &f).is_none());
    }

    #[test]
    fn weighted_groups() {
        let g = vec![
            ("a".to_string(), 3),
            ("b".to_string(), 1),
            ("c".to_string(), 0),
        ];
        let picks: Vec<&str> = (0..8).filter_map(|n| pick_group(&g, n)).collect();
        assert_eq!(picks, ["a", "a", "a", "b", "a", "a", "a", "b"]);
        assert_eq!(pick_group(&[("a".into(), 0)], 1), None);
    }

    fn group(targets: Vec<Target>) -> TargetGroup {
        TargetGroup {
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
            targets,
            in_use: true,
            stickiness: Stickiness::None,
            slow_start: Duration::ZERO,
            algorithm: crate::config::Algorithm::RoundRobin,
            connection_termination: false,
        }
    }

    fn target(port: u16, draining: bool) -> Target {
        Target {
            ip: "127.0.0.1".parse().unwrap(),
            port,
            zone: None,
            draining_until: draining.then_some(nimbus_core::Timestamp(1)),
            instance: None,
        }
    }

    #[test]
    fn healthy_targets_or_all_when_none_is_healthy() {
        let g = group(vec![target(1, false), target(2, false), target(3, true)]);
        let mut view: View = HashMap::new();
        let ports = |v: &View| {
            eligible(&g, v, None, true)
                .iter()
                .map(|t| t.port)
                .collect::<Vec<_>>()
        };
        assert_eq!(ports(&view), [1, 2], "fail open, never a draining target");
        view.entry("tg".into())
            .or_default()
            .insert(target(2, false).addr(), State::Healthy);
        view.entry("tg".into())
            .or_default()
            .insert(target(1, false).addr(), State::Unhealthy);
        assert_eq!(ports(&view), [2]);
    }

    #[test]
    fn without_cross_zone_a_node_keeps_to_its_zone() {
        let mut a = target(1, false);
        a.zone = Some("z1".into());
        let mut b = target(2, false);
        b.zone = Some("z2".into());
        let mut c = target(3, false);
        c.zone = Some("all".into());
        let g = group(vec![a, b, c]);
        let view: View = HashMap::new();
        let ports = |cross| {
            eligible(&g, &view, Some("z1"), cross)
                .iter()
                .map(|t| t.port)
                .collect::<Vec<_>>()
        };
        assert_eq!(ports(false), [1, 3]);
        assert_eq!(ports(true), [1, 2, 3]);
    }

    #[test]
    fn sticky_cookies_round_trip_per_group() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let v = encode_target("arn:tg/x", a);
        assert_eq!(decode_target(&v, "arn:tg/x"), Some(a));
        assert_eq!(decode_target(&v, "arn:tg/y"), None);
        assert_eq!(decode_target("garbage", "arn:tg/x"), None);
        let g = encode_group("rule-1", "arn:tg/a|b");
        assert_eq!(decode_group(&g, "rule-1").as_deref(), Some("arn:tg/a|b"));
        assert_eq!(decode_group(&g, "rule-2"), None);
        let hs = ["a=1; AWSALB=xyz; b=2"];
        assert_eq!(cookie(hs.iter().copied(), "AWSALB"), Some("xyz"));
        assert_eq!(cookie(hs.iter().copied(), "AWSALBCORS"), None);
    }
}
