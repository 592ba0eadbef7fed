//! Security groups between instances of one VPC (`Runtime::set_security_rules`): ingress on
//! the server's interface lets one port through and not another, egress on the client's
//! interface narrows what it may reach, the metadata service and Nimbus itself stay
//! reachable, the rules survive a reboot, a guest cannot remove them, clearing them
//! opens everything again, and rules set before a first launch filter its user data. A refused peer times out (packets are dropped, as on AWS).

mod common;
use common::*;
use nimbus_runtime::{Ipv4Net, SecurityRules, SgRule, Traffic};
use std::time::Duration;

const A: &str = "i-0sgclient0000001";
const B: &str = "i-0sgserver0000001";

/// `curl` from A: (exit code, HTTP status).
fn curl_from_a(e: &Env, url: &str) -> (i32, String) {
    let out =
        e.rt.exec(
            A,
            &[
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--connect-timeout",
                "1",
                "-m",
                "2",
                url,
            ],
        )
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn tcp(port: u16, peer: &str) -> SgRule {
    SgRule {
        traffic: Traffic::Tcp {
            from_port: port,
            to_port: port,
        },
        peer: Ipv4Net::parse(peer).unwrap(),
    }
}

#[test]
fn groups_filter_ingress_and_egress_between_instances() {
    let Some(e) = env() else { return };
    if !nimbus_runtime::firewall::available() {
        eprintln!("SKIPPED: nft (package nftables) is not installed on this host");
        return;
    }
    let ud_b = format!(
        "{SEED_USER_DATA}setsid python3 -m http.server 8081 --directory /var/www/html >/dev/null 2>&1 < /dev/null &\n"
    );
    e.rt.launch(spec(B, [10, 0, 1, 81], Some(&ud_b)))
        .expect("launch B");
    e.rt.launch(spec(A, [10, 0, 1, 80], None))
        .expect("launch A");
    assert!(
        wait_user_data(&e, A, Duration::from_secs(8)),
        "{}",
        diag(&e, A)
    );
    assert!(
        wait_user_data(&e, B, Duration::from_secs(8)),
        "{}",
        diag(&e, B)
    );
    assert!(
        wait_for(Duration::from_secs(10), || http_get(&e.rt, B, "/")
            .ok()
            .filter(|r| r.0.contains("200"))
            .and(e.rt.connect(B, 8081).ok()))
        .is_some(),
        "{}",
        diag(&e, B)
    );
    let b80 = "http://10.0.1.81/";
    let b8081 = "http://10.0.1.81:8081/";
    // No groups yet: everything passes.
    assert_eq!(curl_from_a(&e, b8081), (0, "200".into()));

    // B admits port 80 from the VPC, nothing else.
    let b_rules = SecurityRules {
        ingress: vec![tcp(80, "10.0.0.0/16")],
        ..SecurityRules::default_group()
    };
    e.rt.set_security_rules(B, Some(b_rules.clone())).unwrap();
    assert_eq!(curl_from_a(&e, b80), (0, "200".into()));
    assert_eq!(
        curl_from_a(&e, b8081),
        (28, "000".into()),
        "dropped: a timeout"
    );
    // Nimbus itself (the forwarder checks groups against the real caller) still reaches B.
    assert!(e.rt.connect(B, 8081).is_ok());

    // Now 8081 from A's address only.
    let mut wider = b_rules.clone();
    wider.ingress.push(tcp(8081, "10.0.1.80/32"));
    e.rt.set_security_rules(B, Some(wider)).unwrap();
    assert_eq!(curl_from_a(&e, b8081), (0, "200".into()));

    // A's egress: port 80 within the VPC only.
    let a_rules = SecurityRules {
        ingress: vec![],
        egress: vec![tcp(80, "10.0.0.0/16")],
    };
    e.rt.set_security_rules(A, Some(a_rules)).unwrap();
    assert_eq!(curl_from_a(&e, b8081), (28, "000".into()));
    assert_eq!(curl_from_a(&e, b80), (0, "200".into()));
    // The metadata service is outside security groups.
    assert_eq!(
        curl_from_a(&e, "http://169.254.169.254/latest/meta-data/instance-id"),
        (0, "200".into())
    );
    // A guest cannot lift its rules (no CAP_NET_ADMIN).
    let flush = e.rt.exec(A, &["nft", "flush", "ruleset"]).unwrap();
    assert!(!flush.status.success(), "{flush:?}");
    let addr =
        e.rt.exec(A, &["ip", "addr", "add", "10.0.1.99/24", "dev", "eth0"])
            .unwrap();
    assert!(!addr.status.success(), "{addr:?}");
    assert_eq!(curl_from_a(&e, b8081), (28, "000".into()));

    // The rules are the instance's, not its boot's.
    e.rt.reboot(A).unwrap();
    assert_eq!(curl_from_a(&e, b8081), (28, "000".into()));
    e.rt.set_security_rules(A, None).unwrap();
    assert_eq!(curl_from_a(&e, b8081), (0, "200".into()));

    // Rules set before an instance's first launch filter that boot from its first packet:
    // C's user data, first thing, tries B's port 80 (which B admits from the VPC) while C's
    // egress admits only 8081.
    const C: &str = "i-0sgpreset0000001";
    e.rt.set_security_rules(
        C,
        Some(SecurityRules {
            ingress: vec![],
            egress: vec![tcp(8081, "10.0.0.0/16")],
        }),
    )
    .unwrap();
    let probe = "#!/bin/sh\ncurl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 -m 2 \
                 http://10.0.1.81/ > /var/lib/probe.tmp\nmv /var/lib/probe.tmp /var/lib/probe\n";
    e.rt.launch(spec(C, [10, 0, 1, 82], Some(probe)))
        .expect("launch C");
    let result = e.rt.root_volume(C).join("var/lib/probe");
    assert!(
        wait_for(Duration::from_secs(30), || result.exists().then_some(())).is_some(),
        "{}",
        diag(&e, C)
    );
    assert_eq!(std::fs::read_to_string(&result).unwrap(), "000");
    e.rt.terminate(C).unwrap();
    e.rt.terminate(A).unwrap();
    e.rt.terminate(B).unwrap();
}

/// Every kind of permission becomes rules the kernel takes (loaded into a namespace of the
/// test's own, then removed).
#[test]
fn every_kind_of_rule_loads() {
    let Some(e) = env() else { return };
    if !nimbus_runtime::firewall::available() {
        eprintln!("SKIPPED: nft (package nftables) is not installed on this host");
        return;
    }
    let net = |s: &str| Ipv4Net::parse(s).unwrap();
    let kinds = [
        Traffic::All,
        Traffic::Tcp {
            from_port: 0,
            to_port: 65535,
        },
        Traffic::Udp {
            from_port: 53,
            to_port: 53,
        },
        Traffic::Icmp {
            icmp_type: None,
            code: None,
        },
        Traffic::Icmp {
            icmp_type: Some(8),
            code: None,
        },
        Traffic::Icmp {
            icmp_type: Some(3),
            code: Some(4),
        },
        Traffic::Protocol(47),
    ];
    let rules = SecurityRules {
        ingress: kinds
            .iter()
            .map(|&traffic| SgRule {
                traffic,
                peer: net("10.0.1.7/24"),
            })
            .collect(),
        egress: kinds
            .iter()
            .map(|&traffic| SgRule {
                traffic,
                peer: net("0.0.0.0/0"),
            })
            .collect(),
    };
    let ns = e.dir.path().join("sg-check-netns");
    nimbus_runtime::netns::create(&ns).unwrap();
    let script =
        nimbus_runtime::firewall::ruleset(&rules, "10.0.1.9".parse().unwrap(), net("10.0.0.0/16"));
    let loaded = nimbus_runtime::firewall::nft_in(&ns, &script);
    let cleared = nimbus_runtime::firewall::nft_in(&ns, &nimbus_runtime::firewall::clear_script());
    nimbus_runtime::netns::destroy(&ns).unwrap();
    loaded.unwrap();
    cleared.unwrap();
}
