//! Security groups between instances: a stateful packet filter inside each instance's own
//! network namespace (decision 0013), set through [`crate::Runtime::set_security_rules`] (here). One instance namespace holds exactly one network
//! interface (`eth0`), so its `input` and `output` hooks are that interface's ingress and
//! egress — per network interface, as AWS applies groups. The rules are the union of the
//! instance's groups' permissions (allow-only, as security groups are); replies to allowed
//! traffic pass by connection tracking; everything else is dropped (a refused peer sees a
//! timeout, as on AWS). Always allowed, as AWS leaves them outside security groups: the
//! metadata service and the VPC router's address (Nimbus itself: its forwarder checks the
//! groups against the real caller before it connects from there). Packets an instance sends
//! with a source address other than its own are dropped (no spoofing past another
//! instance's rules), and guests lack CAP_NET_ADMIN, so they cannot change the rules.
//!
//! The rules are nftables rules, loaded with the `nft` program (package nftables) run with
//! the instance's namespace set before exec — never in the host's namespace. A ruleset is
//! replaced in one transaction, so there is no moment without rules.

use crate::netns::{Ipv4Net, METADATA_ADDR};
use crate::sys;
use std::fs::File;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a rule lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// Every protocol (`IpProtocol` `-1`).
    All,
    Tcp {
        from_port: u16,
        to_port: u16,
    },
    Udp {
        from_port: u16,
        to_port: u16,
    },
    /// ICMP of one type (and code), or of every type (`None`).
    Icmp {
        icmp_type: Option<u8>,
        code: Option<u8>,
    },
    /// Any other IP protocol, by number (`IpProtocol` `47`).
    Protocol(u8),
}

/// One permission: `traffic` from (ingress) or to (egress) addresses in `peer`. Group
/// references are the EC2 side's to resolve into the members' private addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SgRule {
    pub traffic: Traffic,
    pub peer: Ipv4Net,
}

/// The union of an interface's security groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityRules {
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

impl SecurityRules {
    /// What a new security group has: no ingress, all egress.
    pub fn default_group() -> SecurityRules {
        SecurityRules {
            ingress: Vec::new(),
            egress: vec![SgRule {
                traffic: Traffic::All,
                peer: Ipv4Net {
                    addr: Ipv4Addr::UNSPECIFIED,
                    prefix: 0,
                },
            }],
        }
    }
}

impl SecurityRules {
    /// The same groups as the loopback forwarder's allowed-ingress list
    /// ([`crate::Runtime::set_allowed_ingress`]): the TCP and all-traffic ingress permissions,
    /// so the EC2 side derives both from one set of rules.
    pub fn forwarder_rules(&self) -> Vec<crate::IngressRule> {
        self.ingress
            .iter()
            .filter_map(|r| {
                let (from_port, to_port) = match r.traffic {
                    Traffic::All => (0, u16::MAX),
                    Traffic::Tcp { from_port, to_port } => (from_port, to_port),
                    _ => return None,
                };
                Some(crate::IngressRule {
                    from_port,
                    to_port,
                    source: r.peer,
                })
            })
            .collect()
    }
}

const TABLE: &str = "inet nimbus_sg";

fn matcher(r: &SgRule, dir: &str) -> String {
    let peer = if r.peer.prefix == 0 {
        String::new()
    } else {
        format!("ip {dir} {} ", r.peer)
    };
    let what = match r.traffic {
        Traffic::All => "meta nfproto ipv4 ".to_string(),
        Traffic::Tcp { from_port, to_port } => format!("tcp dport {} ", ports(from_port, to_port)),
        Traffic::Udp { from_port, to_port } => format!("udp dport {} ", ports(from_port, to_port)),
        Traffic::Icmp { icmp_type, code } => {
            let mut s = "meta l4proto icmp ".to_string();
            if let Some(t) = icmp_type {
                s.push_str(&format!("icmp type {t} "));
                if let Some(c) = code {
                    s.push_str(&format!("icmp code {c} "));
                }
            }
            s
        }
        Traffic::Protocol(p) => format!("meta nfproto ipv4 meta l4proto {p} "),
    };
    format!("{peer}{what}accept")
}

/// A port or a port range as nft writes it (a range must have two different ends).
fn ports(from: u16, to: u16) -> String {
    if from >= to {
        from.to_string()
    } else {
        format!("{from}-{to}")
    }
}

/// The nftables script that replaces the instance's ruleset.
pub fn ruleset(rules: &SecurityRules, private_ip: Ipv4Addr, vpc: Ipv4Net) -> String {
    let router = vpc.router();
    let mut s = format!("table {TABLE}\ndelete table {TABLE}\ntable {TABLE} {{\n");
    s.push_str("  chain ingress {\n    type filter hook input priority 0; policy drop;\n");
    s.push_str(
        "    iif lo accept\n    ct state established,related accept\n    ct state invalid drop\n",
    );
    s.push_str(&format!("    ip saddr {router} accept\n"));
    for r in &rules.ingress {
        s.push_str(&format!("    {}\n", matcher(r, "saddr")));
    }
    s.push_str("  }\n");
    s.push_str("  chain egress {\n    type filter hook output priority 0; policy drop;\n");
    s.push_str("    oif lo accept\n");
    s.push_str(&format!(
        "    meta nfproto ipv4 ip saddr != {private_ip} drop\n"
    ));
    s.push_str("    ct state established,related accept\n    ct state invalid drop\n");
    s.push_str(&format!(
        "    ip daddr {METADATA_ADDR} accept\n    ip daddr {router} accept\n"
    ));
    for r in &rules.egress {
        s.push_str(&format!("    {}\n", matcher(r, "daddr")));
    }
    s.push_str("  }\n}\n");
    s
}

/// The script that removes the filter (everything passes again).
pub fn clear_script() -> String {
    format!("table {TABLE}\ndelete table {TABLE}\n")
}

impl crate::Runtime {
    /// Security groups between instances: the union of the instance's groups' rules,
    /// enforced on its interface for ingress and egress (`None`: no filter, everything
    /// passes). Kept across stop/start and reboot; applied at once to a running instance.
    /// For an id this runtime does not know yet, the rules wait for its `launch`, which
    /// loads them before the sandbox starts (so a first boot is never unfiltered).
    /// Needs `nft` (package nftables): `Unsupported` without it.
    pub fn set_security_rules(&self, id: &str, rules: Option<SecurityRules>) -> crate::Result<()> {
        if rules.is_some() && !available() {
            return Err(crate::RuntimeError::Unsupported(
                "security groups between instances need nft (package nftables)".into(),
            ));
        }
        let (cell, spec, live) = {
            let mut st = self.inner.state.lock().expect("runtime lock");
            let Some(inst) = st.instances.get(id) else {
                if !crate::valid_id(id) {
                    return Err(crate::RuntimeError::NotFound(id.into()));
                }
                match rules {
                    Some(r) => st.firewall_presets.insert(id.to_string(), r),
                    None => st.firewall_presets.remove(id),
                };
                return Ok(());
            };
            (
                inst.firewall.clone(),
                inst.spec.clone(),
                inst.running.is_some() || inst.booting,
            )
        };
        let mut held = cell.lock().expect("firewall lock");
        *held = rules;
        let ns = self.inst_dir(id).join("netns");
        // Without nft no rules can have been loaded, so there are none to clear.
        if live && ns.exists() && (held.is_some() || available()) {
            self.apply_firewall(&spec, &ns, held.as_ref())?;
        }
        Ok(())
    }

    /// Starts loading `rules` into the namespace `ns` of the instance `spec` (a boot).
    pub(crate) fn start_firewall(
        &self,
        spec: &crate::InstanceSpec,
        ns: &Path,
        rules: &SecurityRules,
    ) -> crate::Result<NftRun> {
        let script = ruleset(rules, spec.network.private_ip, spec.network.vpc_cidr);
        crate::ctx(nft_start(ns, script), || {
            format!("applying the security groups of {}", spec.id)
        })
    }

    pub(crate) fn apply_firewall(
        &self,
        spec: &crate::InstanceSpec,
        ns: &Path,
        rules: Option<&SecurityRules>,
    ) -> crate::Result<()> {
        let script = match rules {
            Some(r) => ruleset(r, spec.network.private_ip, spec.network.vpc_cidr),
            None => clear_script(),
        };
        crate::ctx(nft_in(ns, &script), || {
            format!("applying the security groups of {}", spec.id)
        })
    }
}

/// Whether `nft` can be run here (asked once per process: a run costs a few ms, and every
/// rule change would pay it).
pub fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("nft")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs `nft -f -` with `script` inside the namespace `ns`.
pub fn nft_in(ns: &Path, script: &str) -> io::Result<()> {
    nft_start(ns, script.to_string())?.wait()
}

/// An `nft -f -` run under way ([`nft_start`]); [`NftRun::wait`] says how it ended. A boot
/// starts one and builds the rest of the instance while `nft` works.
pub struct NftRun {
    child: std::process::Child,
    script: String,
}

/// Starts `nft -f -` with `script` inside the namespace `ns` (its standard input written
/// and closed before this returns).
pub fn nft_start(ns: &Path, script: String) -> io::Result<NftRun> {
    let nsfile = File::open(ns)?;
    let mut cmd = Command::new("nft");
    cmd.args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    sys::setns_before_exec(&mut cmd, nsfile, sys::CLONE_NEWNET);
    let mut child = cmd.spawn().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("running nft (package nftables, needed for security groups): {e}"),
        )
    })?;
    // A write error means nft ended early: its status and stderr (in `wait`) say why.
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes());
    Ok(NftRun { child, script })
}

impl NftRun {
    /// Waits for `nft`; its error output when it failed.
    pub fn wait(self) -> io::Result<()> {
        let out = self.child.wait_with_output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "nft failed ({}): {}\nscript:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                self.script
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        Ipv4Net::parse(s).unwrap()
    }

    #[test]
    fn rules_become_one_replacing_transaction() {
        let rules = SecurityRules {
            ingress: vec![
                SgRule {
                    traffic: Traffic::Tcp {
                        from_port: 80,
                        to_port: 80,
                    },
                    peer: net("0.0.0.0/0"),
                },
                SgRule {
                    traffic: Traffic::Tcp {
                        from_port: 22,
                        to_port: 22,
                    },
                    peer: net("10.0.1.5/32"),
                },
                SgRule {
                    traffic: Traffic::Icmp {
                        icmp_type: Some(8),
                        code: None,
                    },
                    peer: net("10.0.0.0/16"),
                },
            ],
            egress: vec![SgRule {
                traffic: Traffic::Udp {
                    from_port: 53,
                    to_port: 53,
                },
                peer: net("10.0.0.0/16"),
            }],
        };
        let s = ruleset(&rules, "10.0.1.9".parse().unwrap(), net("10.0.0.0/16"));
        assert!(s.starts_with(
            "table inet nimbus_sg\ndelete table inet nimbus_sg\ntable inet nimbus_sg {\n"
        ));
        for line in [
            "type filter hook input priority 0; policy drop;",
            "type filter hook output priority 0; policy drop;",
            "    tcp dport 80 accept\n",
            "    ip saddr 10.0.1.5/32 tcp dport 22 accept\n",
            "    ip saddr 10.0.0.0/16 meta l4proto icmp icmp type 8 accept\n",
            "    ip daddr 10.0.0.0/16 udp dport 53 accept\n",
            "    meta nfproto ipv4 ip saddr != 10.0.1.9 drop\n",
            "    ip daddr 169.254.169.254 accept\n",
            "    ip saddr 10.0.0.1 accept\n",
        ] {
            assert!(s.contains(line), "{line:?} missing from\n{s}");
        }
        let fwd = rules.forwarder_rules();
        assert_eq!(fwd.len(), 2, "TCP permissions only: {fwd:?}");
        assert!(fwd[0].allows("203.0.113.9".parse().unwrap(), 80));
        assert!(fwd[1].allows("10.0.1.5".parse().unwrap(), 22));
        assert!(!fwd[1].allows("10.0.1.6".parse().unwrap(), 22));
        let all = ruleset(
            &SecurityRules::default_group(),
            "10.0.1.9".parse().unwrap(),
            net("10.0.0.0/16"),
        );
        assert!(all.contains("    meta nfproto ipv4 accept\n"), "{all}");
    }
}
