//! Turning what a caller asks to authorize or revoke into normalised rule specs: the
//! `IpPermissions` list and the legacy flat parameters (`IpProtocol`, `FromPort`, `ToPort`,
//! `CidrIp`, `SourceSecurityGroupName/OwnerId`), with AWS's validation of protocols
//! (names or numbers: tcp/6, udp/17, icmp/1, icmpv6/58, -1/all), port ranges, ICMP
//! type/code, CIDR blocks and rule descriptions. Resolving a referenced group is left to
//! the caller (a closure), because only the handler knows the account's groups.
//! See <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html>.

use crate::errors;
use crate::generated::{IpPermission, UserIdGroupPair};
use crate::model::Peer;
use nimbus_core::AwsError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A rule as requested: everything of a `RuleRec` but its id and direction.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSpec {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
}

/// The legacy flat parameters of the authorize/revoke calls.
#[derive(Clone, Debug, Default)]
pub struct Legacy {
    pub ip_protocol: Option<String>,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr_ip: Option<String>,
    pub source_group_name: Option<String>,
    pub source_group_owner_id: Option<String>,
}

impl Legacy {
    pub fn is_empty(&self) -> bool {
        self.ip_protocol.is_none()
            && self.from_port.is_none()
            && self.to_port.is_none()
            && self.cidr_ip.is_none()
            && self.source_group_name.is_none()
            && self.source_group_owner_id.is_none()
    }
}

/// Resolves a `UserIdGroupPair` (by id, or by name in the default VPC) to a group peer.
pub type Resolve<'a> = dyn Fn(&UserIdGroupPair) -> Result<Peer, AwsError> + 'a;

/// All rule specs of one authorize/revoke request, in request order.
pub fn specs_from_request(
    permissions: Option<Vec<IpPermission>>,
    legacy: Legacy,
    resolve: &Resolve<'_>,
) -> Result<Vec<RuleSpec>, AwsError> {
    let mut specs = Vec::new();
    let had_permissions = permissions.as_ref().is_some_and(|p| !p.is_empty());
    for p in permissions.unwrap_or_default() {
        specs.extend(specs_from_permission(p, resolve)?);
    }
    if !legacy.is_empty() {
        specs.extend(specs_from_legacy(legacy, resolve)?);
    } else if !had_permissions {
        return Err(errors::missing_parameter(
            "The request must contain the parameter ipPermissions",
        ));
    }
    Ok(specs)
}

fn specs_from_permission(
    p: IpPermission,
    resolve: &Resolve<'_>,
) -> Result<Vec<RuleSpec>, AwsError> {
    let raw = p.ip_protocol.ok_or_else(|| {
        errors::missing_parameter("The request must contain the parameter ipProtocol")
    })?;
    let protocol = normalise_protocol(&raw)?;
    let (from_port, to_port) = normalise_ports(&protocol, p.from_port, p.to_port)?;
    let mut peers: Vec<(Peer, Option<String>)> = Vec::new();
    for r in p.ip_ranges.unwrap_or_default() {
        let cidr = r.cidr_ip.unwrap_or_default();
        validate_cidr4(&cidr)?;
        peers.push((Peer::Ipv4(cidr), r.description));
    }
    for r in p.ipv6_ranges.unwrap_or_default() {
        let cidr = r.cidr_ipv6.unwrap_or_default();
        validate_cidr6(&cidr)?;
        peers.push((Peer::Ipv6(cidr), r.description));
    }
    for pl in p.prefix_list_ids.unwrap_or_default() {
        let id = pl.prefix_list_id.unwrap_or_default();
        validate_prefix_list(&id)?;
        peers.push((Peer::PrefixList(id), pl.description));
    }
    for pair in p.user_id_group_pairs.unwrap_or_default() {
        let peer = resolve(&pair)?;
        peers.push((peer, pair.description));
    }
    if peers.is_empty() {
        return Err(errors::invalid_parameter_value(
            "The IP permission must specify at least one of IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs",
        ));
    }
    peers
        .into_iter()
        .map(|(peer, description)| {
            validate_description(description.as_deref())?;
            Ok(RuleSpec {
                protocol: protocol.clone(),
                from_port,
                to_port,
                peer,
                description,
            })
        })
        .collect()
}

fn specs_from_legacy(legacy: Legacy, resolve: &Resolve<'_>) -> Result<Vec<RuleSpec>, AwsError> {
    if let Some(name) = legacy.source_group_name.clone() {
        if legacy.cidr_ip.is_some() {
            return Err(errors::invalid_parameter_combination(
                "The parameter CidrIp cannot be used with the parameter SourceSecurityGroupName",
            ));
        }
        let pair = UserIdGroupPair {
            group_name: Some(name),
            user_id: legacy.source_group_owner_id.clone(),
            ..Default::default()
        };
        let peer = resolve(&pair)?;
        // A named source group without a protocol grants full ICMP, TCP and UDP access
        // (API reference, `SourceSecurityGroupName`).
        let protocols: Vec<String> = match &legacy.ip_protocol {
            Some(p) => vec![normalise_protocol(p)?],
            None => vec!["icmp".into(), "tcp".into(), "udp".into()],
        };
        return protocols
            .into_iter()
            .map(|protocol| {
                let (from_port, to_port) =
                    normalise_ports(&protocol, legacy.from_port, legacy.to_port)?;
                Ok(RuleSpec {
                    protocol,
                    from_port,
                    to_port,
                    peer: peer.clone(),
                    description: None,
                })
            })
            .collect();
    }
    if legacy.source_group_owner_id.is_some() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter SourceSecurityGroupName",
        ));
    }
    let raw = legacy.ip_protocol.ok_or_else(|| {
        errors::missing_parameter("The request must contain the parameter ipProtocol")
    })?;
    let protocol = normalise_protocol(&raw)?;
    let (from_port, to_port) = normalise_ports(&protocol, legacy.from_port, legacy.to_port)?;
    let cidr = legacy.cidr_ip.ok_or_else(|| {
        errors::missing_parameter("The request must contain the parameter CidrIp")
    })?;
    validate_cidr4(&cidr)?;
    Ok(vec![RuleSpec {
        protocol,
        from_port,
        to_port,
        peer: Peer::Ipv4(cidr),
        description: None,
    }])
}

/// `tcp`/`6` → `tcp`, `udp`/`17` → `udp`, `icmp`/`1` → `icmp`, `icmpv6`/`58` → `icmpv6`,
/// `-1`/`all` → `-1`; any other protocol number 0–255 stays a number.
pub fn normalise_protocol(raw: &str) -> Result<String, AwsError> {
    let lower = raw.trim().to_ascii_lowercase();
    let named = match lower.as_str() {
        "tcp" | "6" => Some("tcp"),
        "udp" | "17" => Some("udp"),
        "icmp" | "1" => Some("icmp"),
        "icmpv6" | "58" => Some("icmpv6"),
        "-1" | "all" => Some("-1"),
        _ => None,
    };
    if let Some(n) = named {
        return Ok(n.to_string());
    }
    match lower.parse::<i32>() {
        Ok(n) if (0..=255).contains(&n) => Ok(n.to_string()),
        _ => Err(errors::invalid_parameter_value(format!(
            "Invalid value '{raw}' for IP protocol. Unknown protocol."
        ))),
    }
}

/// Port pair as stored: tcp/udp ranges (all ports when none or `-1` given), ICMP
/// type/code (`-1` = all), nothing for protocols without ports.
pub fn normalise_ports(
    protocol: &str,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<(Option<i32>, Option<i32>), AwsError> {
    match protocol {
        "tcp" | "udp" => {
            let (f, t) = match (from, to) {
                (None, None) | (Some(-1), Some(-1)) => (0, 65535),
                (Some(f), Some(t)) => (f, t),
                _ => {
                    return Err(errors::invalid_parameter_value(
                        "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.",
                    ))
                }
            };
            if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid port range {f}-{t}: ports must be within 0-65535 and FromPort must not exceed ToPort"
                )));
            }
            Ok((Some(f), Some(t)))
        }
        "icmp" | "icmpv6" => {
            let f = from.unwrap_or(-1);
            let t = to.unwrap_or(-1);
            if !(-1..=255).contains(&f) || !(-1..=255).contains(&t) {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid ICMP type {f} or code {t}: both must be within -1-255"
                )));
            }
            Ok((Some(f), Some(t)))
        }
        _ => Ok((None, None)),
    }
}

fn cidr_malformed(cidr: &str) -> AwsError {
    errors::invalid_parameter_value(format!("CIDR block {cidr} is malformed"))
}

fn split_prefix(cidr: &str, max: u8) -> Option<(&str, u8)> {
    let (addr, len) = cidr.split_once('/')?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u8 = len.parse().ok()?;
    (len <= max).then_some((addr, len))
}

pub fn validate_cidr4(cidr: &str) -> Result<(), AwsError> {
    match split_prefix(cidr, 32) {
        Some((addr, _)) if addr.parse::<Ipv4Addr>().is_ok() => Ok(()),
        _ => Err(cidr_malformed(cidr)),
    }
}

pub fn validate_cidr6(cidr: &str) -> Result<(), AwsError> {
    match split_prefix(cidr, 128) {
        Some((addr, _)) if addr.parse::<Ipv6Addr>().is_ok() => Ok(()),
        _ => Err(cidr_malformed(cidr)),
    }
}

fn validate_prefix_list(id: &str) -> Result<(), AwsError> {
    match id.strip_prefix("pl-") {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(AwsError::client(
            "InvalidPrefixListId.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"pl-...\")"),
        )),
    }
}

/// Characters AWS allows in security group names, descriptions and rule descriptions.
pub fn allowed_text_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)
}

fn validate_description(d: Option<&str>) -> Result<(), AwsError> {
    match d {
        Some(d) if d.chars().count() > 255 || !d.chars().all(allowed_text_char) => {
            Err(errors::invalid_parameter_value(
                "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        let ok = [
            ("tcp", "tcp"),
            ("TCP", "tcp"),
            ("6", "tcp"),
            ("udp", "udp"),
            ("17", "udp"),
            ("icmp", "icmp"),
            ("1", "icmp"),
            ("icmpv6", "icmpv6"),
            ("58", "icmpv6"),
            ("-1", "-1"),
            ("all", "-1"),
            ("50", "50"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalise_protocol(raw).unwrap(), want, "{raw}");
        }
        for bad in ["foo", "256", "-2", ""] {
            assert!(normalise_protocol(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports() {
        type Ports = (Option<i32>, Option<i32>);
        type Case<'a> = (&'a str, Option<i32>, Option<i32>, Option<Ports>);
        let cases: [Case; 10] = [
            ("tcp", Some(80), Some(80), Some((Some(80), Some(80)))),
            ("tcp", None, None, Some((Some(0), Some(65535)))),
            ("udp", Some(-1), Some(-1), Some((Some(0), Some(65535)))),
            ("tcp", Some(90), Some(80), None),
            ("tcp", Some(0), Some(65536), None),
            ("tcp", Some(80), None, None),
            ("icmp", None, None, Some((Some(-1), Some(-1)))),
            ("icmp", Some(8), Some(0), Some((Some(8), Some(0)))),
            ("icmp", Some(300), Some(0), None),
            ("-1", Some(5), Some(7), Some((None, None))),
        ];
        for (proto, f, t, want) in cases {
            let got = normalise_ports(proto, f, t).ok();
            assert_eq!(got, want, "{proto} {f:?} {t:?}");
        }
    }

    #[test]
    fn cidrs() {
        for ok in ["0.0.0.0/0", "10.0.0.0/8", "192.168.1.7/32"] {
            assert!(validate_cidr4(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0/8",
            "10.0.0.0/33",
            "10.0.0.0",
            "abc/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
        ] {
            let e = validate_cidr4(bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameterValue");
            assert!(e.message.contains("is malformed"), "{bad}");
        }
        assert!(validate_cidr6("::/0").is_ok());
        assert!(validate_cidr6("2001:db8::/32").is_ok());
        assert!(validate_cidr6("2001:db8::/129").is_err());
        assert!(validate_cidr6("10.0.0.0/8").is_err());
    }
}
