//! Security groups as packet filters between instances, over a fake host that records the
//! filters EC2 gives it: each instance's filter reaches the host before its launch; group
//! peers resolve to the members' private addresses (the default group admitting its own
//! members); an instance leaving a group, a rule revoked, a peer terminated re-filter the
//! instances concerned on the next sync pass; every change wakes the change subscription.

mod common;

use common::*;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use svc_ec2::generated::*;
use svc_ec2::{
    Ec2, HostSpec, HostState, InstanceHost, PacketRule, PacketRules, PacketTraffic, TcpIngress,
};

const AMI: &str = "resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2";

#[derive(Default)]
struct FirewallHost {
    states: Mutex<HashMap<String, HostState>>,
    /// "firewall ID" and "launch ID", in call order.
    calls: Mutex<Vec<String>>,
    firewalls: Mutex<HashMap<String, Option<PacketRules>>>,
}

impl FirewallHost {
    fn rules(&self, id: &str) -> Option<PacketRules> {
        self.firewalls.lock().unwrap().get(id).cloned().flatten()
    }
}

impl InstanceHost for FirewallHost {
    fn launch(&self, spec: &HostSpec) -> Result<(), String> {
        let id = &spec.instance_id;
        self.calls.lock().unwrap().push(format!("launch {id}"));
        self.states
            .lock()
            .unwrap()
            .insert(id.clone(), HostState::Running);
        Ok(())
    }
    fn stop(&self, id: &str) -> Result<(), String> {
        self.states
            .lock()
            .unwrap()
            .insert(id.into(), HostState::Stopped);
        Ok(())
    }
    fn reboot(&self, _id: &str) -> Result<(), String> {
        Ok(())
    }
    fn terminate(&self, id: &str) -> Result<(), String> {
        self.states.lock().unwrap().remove(id);
        self.firewalls.lock().unwrap().remove(id);
        Ok(())
    }
    fn capture_image(&self, _id: &str, _image: &str) -> Result<(), String> {
        Ok(())
    }
    fn state(&self, id: &str) -> Option<HostState> {
        self.states.lock().unwrap().get(id).copied()
    }
    fn console_output(&self, _id: &str) -> Option<String> {
        None
    }
    fn set_access(&self, _: &str, _: Option<Ipv4Addr>, _: Vec<TcpIngress>) -> Result<(), String> {
        Ok(())
    }
    fn set_firewall(&self, id: &str, rules: Option<&PacketRules>) -> Result<(), String> {
        self.calls.lock().unwrap().push(format!("firewall {id}"));
        self.firewalls
            .lock()
            .unwrap()
            .insert(id.into(), rules.cloned());
        Ok(())
    }
}

async fn state_of(ec2: &Ec2, id: &str) -> String {
    ec2.describe_instances(
        &ctx(),
        DescribeInstancesRequest {
            instance_ids: Some(vec![id.into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .reservations
    .unwrap()[0]
        .instances
        .as_ref()
        .unwrap()[0]
        .state
        .as_ref()
        .unwrap()
        .name
        .clone()
        .unwrap()
}

async fn wait_state(ec2: &Ec2, id: &str, want: &str) {
    for _ in 0..500 {
        if state_of(ec2, id).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{id} never reached {want}");
}

/// Launches one instance (in the default VPC's default group unless `groups` says) and
/// waits until it runs: (id, private address).
async fn launch(ec2: &Ec2, groups: Option<Vec<String>>) -> (String, Ipv4Addr) {
    let out = ec2
        .run_instances(
            &ctx(),
            RunInstancesRequest {
                image_id: Some(AMI.into()),
                instance_type: Some("t2.micro".into()),
                min_count: 1,
                max_count: 1,
                security_group_ids: groups,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let i = &out.instances.unwrap()[0];
    let id = i.instance_id.clone().unwrap();
    wait_state(ec2, &id, "running").await;
    (id, i.private_ip_address.clone().unwrap().parse().unwrap())
}

/// Runs sync passes until the host holds `want` for `id` (a drive in flight owns its
/// instance, and a pass skips it): the final condition, with a generous deadline.
async fn settle(ec2: &Ec2, host: &FirewallHost, id: &str, want: impl Fn(&PacketRules) -> bool) {
    for _ in 0..1000 {
        ec2.sync_instances().await;
        if host.rules(id).as_ref().is_some_and(&want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{id}'s filter never settled: {:?}", host.rules(id));
}

fn from(traffic: PacketTraffic, ip: Ipv4Addr) -> PacketRule {
    PacketRule {
        traffic,
        addr: ip,
        prefix: 32,
    }
}

fn anywhere(traffic: PacketTraffic) -> PacketRule {
    PacketRule {
        traffic,
        addr: Ipv4Addr::UNSPECIFIED,
        prefix: 0,
    }
}

#[tokio::test]
async fn filters_follow_groups_members_and_rules() {
    let ec2 = ec2();
    let host = Arc::new(FirewallHost::default());
    ec2.set_instance_host(host.clone());
    let mut changes = ec2.subscribe_changes();
    changes.borrow_and_update();

    // Two instances of the default group: each admits everything from both (the group
    // admits its own members) and sends anywhere.
    let (a, a_ip) = launch(&ec2, None).await;
    assert!(changes.has_changed().unwrap(), "a launch wakes followers");
    let (b, b_ip) = launch(&ec2, None).await;
    let calls = host.calls.lock().unwrap().clone();
    for id in [&a, &b] {
        let fw = calls.iter().position(|c| *c == format!("firewall {id}"));
        let boot = calls.iter().position(|c| *c == format!("launch {id}"));
        assert!(fw.is_some() && fw < boot, "filter before boot: {calls:?}");
    }
    let mut both = vec![
        from(PacketTraffic::All, a_ip),
        from(PacketTraffic::All, b_ip),
    ];
    both.sort();
    for id in [&a, &b] {
        settle(&ec2, &host, id, |r| r.ingress == both).await;
        assert_eq!(
            host.rules(id).unwrap().egress,
            vec![anywhere(PacketTraffic::All)]
        );
    }

    // A moves to a web group admitting port 80 from the default group's members.
    let web = create(&ec2, &ctx(), "web").await;
    let default = ec2
        .describe_security_groups(
            &ctx(),
            DescribeSecurityGroupsRequest {
                group_names: Some(vec!["default".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap()[0]
        .group_id
        .clone()
        .unwrap();
    let http_from_default = || IpPermission {
        ip_protocol: Some("tcp".into()),
        from_port: Some(80),
        to_port: Some(80),
        user_id_group_pairs: Some(vec![UserIdGroupPair {
            group_id: Some(default.clone()),
            ..Default::default()
        }]),
        ..Default::default()
    };
    ec2.authorize_security_group_ingress(
        &ctx(),
        AuthorizeSecurityGroupIngressRequest {
            group_id: Some(web.clone()),
            ip_permissions: Some(vec![http_from_default()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    changes.borrow_and_update();
    ec2.modify_instance_attribute(
        &ctx(),
        ModifyInstanceAttributeRequest {
            instance_id: a.clone(),
            groups: Some(vec![web.clone()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        changes.has_changed().unwrap(),
        "a group change wakes followers"
    );
    let web_port = PacketTraffic::Tcp { from: 80, to: 80 };
    // A admits port 80 from B, the default group's only member now; A left the default
    // group, so B no longer admits it.
    settle(&ec2, &host, &a, |r| r.ingress == vec![from(web_port, b_ip)]).await;
    settle(&ec2, &host, &b, |r| {
        r.ingress == vec![from(PacketTraffic::All, b_ip)]
    })
    .await;

    // Revoking the rule leaves A admitting nothing.
    ec2.revoke_security_group_ingress(
        &ctx(),
        RevokeSecurityGroupIngressRequest {
            group_id: Some(web.clone()),
            ip_permissions: Some(vec![http_from_default()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    settle(&ec2, &host, &a, |r| r.ingress.is_empty()).await;

    // Authorized again, then B terminates: A's filter loses B's address.
    ec2.authorize_security_group_ingress(
        &ctx(),
        AuthorizeSecurityGroupIngressRequest {
            group_id: Some(web.clone()),
            ip_permissions: Some(vec![http_from_default()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    settle(&ec2, &host, &a, |r| r.ingress == vec![from(web_port, b_ip)]).await;
    ec2.terminate_instances(
        &ctx(),
        TerminateInstancesRequest {
            instance_ids: vec![b.clone()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(&ec2, &b, "terminated").await;
    settle(&ec2, &host, &a, |r| r.ingress.is_empty()).await;
    assert!(!ec2.live_instance_keys().iter().any(|(_, id)| *id == b));
}
