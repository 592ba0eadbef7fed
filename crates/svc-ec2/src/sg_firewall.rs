//! Security groups as packet filters between instances (decision 0013), EC2's half: what
//! each instance's interface lets in and out ([`PacketRules`], the union of its groups'
//! ingress and egress rules with every peer resolved to IPv4 blocks), computed from the
//! records, and handed to the host ([`crate::InstanceHost::set_firewall`]) before an
//! instance boots and again whenever it changes (the instance sync pass, which runs at once
//! on every EC2 change: `changes`).
//!
//! Peers resolve as AWS documents them: a CIDR is itself; a security group is the private
//! address (`/32`) of every network interface in the instance's VPC that has the group —
//! the group itself included (the default group's "all traffic from members") and whatever
//! state the instance is in short of terminated, since its interface keeps its address while
//! stopped; a prefix list is its current entries. IPv6 peers and ICMPv6 are left out: VPCs
//! here are IPv4-only. A host that cannot filter (no `nft`) says so once in the log and the
//! instance runs unfiltered, as before; nothing pretends to filter.

use crate::inst_records::InstanceRec;
use crate::model::Peer;
use crate::state::Scope;
use crate::Ec2;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

/// What a rule lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PacketTraffic {
    /// Every protocol (`-1`).
    All,
    Tcp {
        from: u16,
        to: u16,
    },
    Udp {
        from: u16,
        to: u16,
    },
    /// ICMP of one type (and code), or of every type / code (`None`).
    Icmp {
        icmp_type: Option<u8>,
        code: Option<u8>,
    },
    /// Another IP protocol, by number.
    Protocol(u8),
}

/// One permission: `traffic` from (ingress) or to (egress) `addr/prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PacketRule {
    pub traffic: PacketTraffic,
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

/// The union of an interface's groups, sorted and without duplicates (so two computations
/// of the same facts compare equal).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketRules {
    pub ingress: Vec<PacketRule>,
    pub egress: Vec<PacketRule>,
}

/// What the service remembers of the filters it gave the host.
#[derive(Default)]
pub(crate) struct Firewalls {
    /// The rules last given to the host per instance, so a pass changes only what changed.
    applied: Mutex<HashMap<String, PacketRules>>,
    /// Whether the host's refusal was logged already (once per process).
    warned: std::sync::atomic::AtomicBool,
}

/// A CIDR as (network address, prefix); `None` when it does not parse.
fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, p) = s.split_once('/')?;
    let addr: Ipv4Addr = a.parse().ok()?;
    let prefix: u8 = p.parse().ok().filter(|p| *p <= 32)?;
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    Some((Ipv4Addr::from(u32::from(addr) & mask), prefix))
}

/// The traffic of a stored rule (protocol names as `permissions` normalises them);
/// `None` for what an IPv4-only VPC never carries (ICMPv6).
fn traffic(protocol: &str, from: Option<i32>, to: Option<i32>) -> Option<PacketTraffic> {
    let port = |p: Option<i32>, d: u16| p.map_or(d, |p| p.clamp(0, 65535) as u16);
    let icmp = |p: Option<i32>| p.filter(|p| (0..=255).contains(p)).map(|p| p as u8);
    Some(match protocol {
        "-1" => PacketTraffic::All,
        "tcp" => PacketTraffic::Tcp {
            from: port(from, 0),
            to: port(to, 65535),
        },
        "udp" => PacketTraffic::Udp {
            from: port(from, 0),
            to: port(to, 65535),
        },
        "icmp" => {
            let icmp_type = icmp(from);
            PacketTraffic::Icmp {
                icmp_type,
                // A code means something only with a type.
                code: icmp_type.and(icmp(to)),
            }
        }
        "icmpv6" | "58" => return None,
        n => PacketTraffic::Protocol(n.parse().ok()?),
    })
}

/// Who holds each group in one VPC: (the holder's groups, its private address).
pub(crate) type Members = Vec<(Vec<String>, Ipv4Addr)>;

/// The interfaces of `vpc_id` in `scope` with their groups, plus `extra` (instance records,
/// which carry their groups too).
pub(crate) fn members(scope: &Scope, vpc_id: &str, extra: &Members) -> Members {
    let mut out: Members = scope
        .net
        .enis
        .values()
        .filter(|e| e.vpc_id == vpc_id)
        .filter_map(|e| Some((e.group_ids.clone(), e.private_ip.parse().ok()?)))
        .collect();
    out.extend(extra.iter().cloned());
    out
}

/// The filter of an interface holding `groups`, with group peers resolved over `members`
/// (every holder of a group in the interface's VPC).
pub(crate) fn rules_for(scope: &Scope, groups: &[String], members: &Members) -> PacketRules {
    let mut out = PacketRules::default();
    for g in groups.iter().filter_map(|g| scope.group(g)) {
        for r in &g.rules {
            let Some(t) = traffic(&r.protocol, r.from_port, r.to_port) else {
                continue;
            };
            let peers: Vec<(Ipv4Addr, u8)> = match &r.peer {
                Peer::Ipv4(c) => parse_cidr(c).into_iter().collect(),
                Peer::Ipv6(_) => Vec::new(),
                Peer::PrefixList(pl) => scope
                    .net
                    .prefix_lists
                    .get(pl)
                    .map(|p| {
                        p.entries()
                            .iter()
                            .filter_map(|(c, _)| parse_cidr(c))
                            .collect()
                    })
                    .unwrap_or_default(),
                Peer::Group { group_id, .. } => members
                    .iter()
                    .filter(|(gs, _)| gs.iter().any(|x| x == group_id))
                    .map(|(_, ip)| (*ip, 32))
                    .collect(),
            };
            let side = if r.is_egress {
                &mut out.egress
            } else {
                &mut out.ingress
            };
            side.extend(peers.into_iter().map(|(addr, prefix)| PacketRule {
                traffic: t,
                addr,
                prefix,
            }));
        }
    }
    for side in [&mut out.ingress, &mut out.egress] {
        side.sort_unstable();
        side.dedup();
    }
    out
}

impl Ec2 {
    /// The packet filter of instance `id` now: the union of its groups' rules, peers
    /// resolved (see the module doc). `None` when there is no such instance.
    pub fn packet_rules(&self, account: &str, region: &str, id: &str) -> Option<PacketRules> {
        let (rec, holders) = self.defs.read(|st| {
            let rec = st.instance(account, region, id)?.clone();
            let holders: Members = st
                .instances_of(account, region)
                .into_iter()
                .flat_map(|m| m.values())
                .filter(|i| !i.is_terminated() && i.vpc_id == rec.vpc_id)
                .filter_map(|i| Some((i.group_ids.clone(), i.private_ip.parse().ok()?)))
                .collect();
            Some((rec, holders))
        })?;
        Some(self.read_state(|st| match st.scope_of(account, region) {
            Some(scope) => rules_for(
                scope,
                &rec.group_ids,
                &members(scope, &rec.vpc_id, &holders),
            ),
            None => PacketRules::default(),
        }))
    }

    /// Gives the host the filter of `rec` (before a boot: the host keeps it for the launch;
    /// while running: applied at once) when it differs from the last one given, or always
    /// with `force`. The caller holds the instance's lock.
    pub(crate) async fn refresh_firewall(
        &self,
        host: &Arc<dyn crate::InstanceHost>,
        rec: &InstanceRec,
        force: bool,
    ) {
        let (account, region, id) = (&rec.account, &rec.region, &rec.instance_id);
        let Some(rules) = self.packet_rules(account, region, id) else {
            return;
        };
        let fw = &self.instances.firewalls;
        if !force && fw.applied.lock().unwrap_or_else(|e| e.into_inner()).get(id) == Some(&rules) {
            return;
        }
        let (h, i, r) = (host.clone(), id.clone(), rules.clone());
        let out = tokio::task::spawn_blocking(move || h.set_firewall(&i, Some(&r))).await;
        match out {
            Ok(Ok(())) => {
                fw.applied
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone(), rules);
            }
            Ok(Err(e)) => {
                // Remembered as given, so the refusal is not retried on every pass; the next
                // change of the rules asks again.
                fw.applied
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone(), rules);
                if !fw.warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(target: "nimbus::ec2", instance = %id,
                        "security groups are not enforced between instances: {e}");
                }
            }
            Err(_) => {}
        }
    }

    /// Forgets what was given for `id` (it stopped or went away; the host drops its filter
    /// with the sandbox, and keeps a stopped instance's for its next boot).
    pub(crate) fn forget_firewall(&self, id: &str) {
        self.instances
            .firewalls
            .applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupRec, RuleRec};

    fn rule(
        egress: bool,
        protocol: &str,
        from: Option<i32>,
        to: Option<i32>,
        peer: Peer,
    ) -> RuleRec {
        RuleRec {
            rule_id: "sgr-1".into(),
            is_egress: egress,
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            peer,
            description: None,
            tags: Vec::new(),
        }
    }

    fn group(id: &str, rules: Vec<RuleRec>) -> Arc<GroupRec> {
        Arc::new(GroupRec {
            account: "1".into(),
            region: "r".into(),
            group_id: id.into(),
            group_name: id.into(),
            description: String::new(),
            vpc_id: "vpc-1".into(),
            tags: Vec::new(),
            rules,
        })
    }

    fn sg(id: &str) -> Peer {
        Peer::Group {
            group_id: id.into(),
            user_id: "1".into(),
        }
    }

    #[test]
    fn peers_resolve_to_members_blocks_and_prefix_list_entries() {
        let mut scope = Scope::default();
        scope.groups.insert(
            "sg-a".into(),
            group(
                "sg-a",
                vec![
                    rule(false, "tcp", Some(80), Some(80), sg("sg-b")),
                    rule(false, "-1", None, None, sg("sg-a")),
                    rule(
                        false,
                        "icmp",
                        Some(8),
                        Some(-1),
                        Peer::Ipv4("10.0.0.0/16".into()),
                    ),
                    rule(
                        false,
                        "udp",
                        Some(53),
                        Some(53),
                        Peer::PrefixList("pl-1".into()),
                    ),
                    rule(false, "tcp", Some(22), Some(22), Peer::Ipv6("::/0".into())),
                    rule(
                        true,
                        "tcp",
                        Some(443),
                        Some(443),
                        Peer::Ipv4("10.1.2.3/8".into()),
                    ),
                    rule(true, "47", None, None, Peer::Ipv4("0.0.0.0/0".into())),
                ],
            ),
        );
        scope
            .groups
            .insert("sg-b".into(), group("sg-b", Vec::new()));
        scope.net.prefix_lists.insert(
            "pl-1".into(),
            crate::network::PrefixListRec {
                pl_id: "pl-1".into(),
                name: "p".into(),
                address_family: "IPv4".into(),
                max_entries: 5,
                state: "create-complete".into(),
                versions: vec![
                    vec![("192.0.2.0/24".into(), None)],
                    vec![("198.51.100.0/24".into(), None)],
                ],
                tags: Vec::new(),
            },
        );
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        let members: Members = vec![
            (vec!["sg-a".into()], ip("10.0.1.4")),
            (vec!["sg-b".into(), "sg-c".into()], ip("10.0.1.5")),
            (vec!["sg-c".into()], ip("10.0.1.6")),
        ];
        let r = rules_for(&scope, &["sg-a".into(), "sg-missing".into()], &members);
        let at = |t, a: &str, p| PacketRule {
            traffic: t,
            addr: ip(a),
            prefix: p,
        };
        let mut want = vec![
            at(PacketTraffic::Tcp { from: 80, to: 80 }, "10.0.1.5", 32),
            at(PacketTraffic::All, "10.0.1.4", 32),
            at(
                PacketTraffic::Icmp {
                    icmp_type: Some(8),
                    code: None,
                },
                "10.0.0.0",
                16,
            ),
            at(PacketTraffic::Udp { from: 53, to: 53 }, "198.51.100.0", 24),
        ];
        want.sort();
        assert_eq!(r.ingress, want);
        let mut want = vec![
            at(PacketTraffic::Tcp { from: 443, to: 443 }, "10.0.0.0", 8),
            at(PacketTraffic::Protocol(47), "0.0.0.0", 0),
        ];
        want.sort();
        assert_eq!(r.egress, want);
        // A group nobody holds resolves to nothing; no groups, no permissions.
        let lonely = rules_for(&scope, &["sg-a".into()], &Vec::new());
        assert_eq!(lonely.ingress.len(), 2, "{lonely:?}");
        assert_eq!(rules_for(&scope, &[], &members), PacketRules::default());
    }

    #[test]
    fn protocols_map_to_traffic() {
        assert_eq!(traffic("-1", None, None), Some(PacketTraffic::All));
        assert_eq!(
            traffic("tcp", Some(0), Some(65535)),
            Some(PacketTraffic::Tcp { from: 0, to: 65535 })
        );
        assert_eq!(
            traffic("icmp", Some(-1), Some(-1)),
            Some(PacketTraffic::Icmp {
                icmp_type: None,
                code: None
            })
        );
        assert_eq!(
            traffic("icmp", Some(3), Some(4)),
            Some(PacketTraffic::Icmp {
                icmp_type: Some(3),
                code: Some(4)
            })
        );
        assert_eq!(traffic("icmpv6", Some(-1), Some(-1)), None);
        assert_eq!(traffic("50", None, None), Some(PacketTraffic::Protocol(50)));
        assert_eq!(
            parse_cidr("10.1.2.3/8"),
            Some(("10.0.0.0".parse().unwrap(), 8))
        );
        assert_eq!(parse_cidr("10.1.2.3/33"), None);
    }
}
