//! In-process tests of what ELBv2 takes from EC2 beyond subnets: instance targets checked
//! through a fake `Instances` (shape, existence, running state, VPC; the group's port by
//! default), the snapshot routing to a running instance by its private address inside its
//! VPC, a stopped instance read as `unused` / `Target.InvalidState` and left out of the
//! snapshot, a terminated one deregistered by `refresh`; the balancer's security group
//! rules carried in the snapshot and republished by `refresh` when they change; and the
//! public API Auto Scaling is wired to.

use nimbus_core::{AwsError, Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_lb::config::{Allow, Cidr, IpProto};
use nimbus_lb::Plane;
use nimbus_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use svc_elbv2::generated::*;
use svc_elbv2::{
    Elb, IngressRule, InstanceState, InstanceTarget, Instances, NetFuture, Network, NodeInterface,
    RuleSource, SubnetInfo,
};

const ACCOUNT: &str = "123456789012";
const NOW: i64 = 1_700_000_000;

#[derive(Default)]
struct FakeNet {
    rules: Mutex<HashMap<String, Vec<IngressRule>>>,
}

impl Network for FakeNet {
    fn subnet(&self, _: &str, _: &str, id: &str) -> Option<SubnetInfo> {
        let zone = match id {
            "subnet-a" => "us-east-1a",
            "subnet-b" => "us-east-1b",
            _ => return None,
        };
        Some(SubnetInfo {
            subnet_id: id.into(),
            vpc_id: "vpc-1".into(),
            zone: zone.into(),
        })
    }
    fn security_group_vpc(&self, _: &str, _: &str, id: &str) -> Option<String> {
        (id == "sg-web" || id == "sg-default").then(|| "vpc-1".to_string())
    }
    fn security_group_ingress(&self, _: &str, _: &str, id: &str) -> Option<Vec<IngressRule>> {
        (id == "sg-web" || id == "sg-default").then(|| {
            self.rules
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .unwrap_or_default()
        })
    }
    fn default_security_group(&self, _: &str, _: &str, vpc: &str) -> Option<String> {
        (vpc == "vpc-1").then(|| "sg-default".to_string())
    }
    fn vpc_exists(&self, _: &str, _: &str, vpc: &str) -> bool {
        vpc == "vpc-1" || vpc == "vpc-2"
    }
    fn add_node_interface<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: NodeInterface,
    ) -> NetFuture<'a, (String, String)> {
        Box::pin(async { Ok(("eni-1".to_string(), "172.31.0.10".to_string())) })
    }
    fn remove_node_interface<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> NetFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// EC2's instances, by id, changeable by the test.
#[derive(Default)]
struct FakeInstances(Mutex<HashMap<String, InstanceTarget>>);

impl FakeInstances {
    fn put(&self, id: &str, vpc: &str, ip: &str, state: InstanceState) {
        self.0.lock().unwrap().insert(
            id.into(),
            InstanceTarget {
                instance_id: id.into(),
                vpc_id: vpc.into(),
                subnet_id: "subnet-a".into(),
                zone: "us-east-1a".into(),
                private_ip: ip.parse().unwrap(),
                state,
                security_groups: vec!["sg-default".into()],
            },
        );
    }
}

struct Shared(Arc<FakeInstances>);

impl Instances for Shared {
    fn lookup(&self, _: &str, _: &str, id: &str) -> Option<InstanceTarget> {
        self.0 .0.lock().unwrap().get(id).cloned()
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req".into(),
        principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp::from_secs(NOW),
        host: "localhost".into(),
        source_ip: None,
    }
}

struct World {
    elb: Elb,
    plane: Arc<Plane>,
    net: Arc<FakeNet>,
    ec2: Arc<FakeInstances>,
}

fn world() -> World {
    let plane = Plane::new();
    let net = Arc::new(FakeNet::default());
    let ec2 = Arc::new(FakeInstances::default());
    let elb = Elb::load(
        Store::in_memory(),
        Arc::new(ManualClock::new(Timestamp::from_secs(NOW))),
        Arc::new(Ids::from_seed(5)),
        net.clone(),
        plane.clone(),
        svc_elbv2::NODE_NETWORK,
        Arc::new(svc_elbv2::NoCertificates),
    )
    .expect("load");
    elb.set_instances(Arc::new(Shared(ec2.clone())));
    World {
        elb,
        plane,
        net,
        ec2,
    }
}

fn err<T: std::fmt::Debug>(r: Result<T, AwsError>) -> (String, String) {
    let e = r.expect_err("expected an error");
    (e.code.to_string(), e.message.to_string())
}

/// An ALB (with `groups`) forwarding HTTP:80 to an instance target group in vpc-1.
async fn alb_with_instance_group(w: &World, groups: Option<Vec<String>>) -> (String, String) {
    let c = ctx();
    let lb = w
        .elb
        .create_load_balancer(
            &c,
            CreateLoadBalancerInput {
                name: "web".into(),
                subnets: Some(vec!["subnet-a".into(), "subnet-b".into()]),
                security_groups: groups,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .load_balancers
        .unwrap()[0]
        .load_balancer_arn
        .clone()
        .unwrap();
    let tg = w
        .elb
        .create_target_group(
            &c,
            CreateTargetGroupInput {
                name: "instances".into(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                vpc_id: Some("vpc-1".into()),
                target_type: Some("instance".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .target_groups
        .unwrap()[0]
        .target_group_arn
        .clone()
        .unwrap();
    w.elb
        .create_listener(
            &c,
            CreateListenerInput {
                load_balancer_arn: lb.clone(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                default_actions: vec![Action {
                    r#type: "forward".into(),
                    target_group_arn: Some(tg.clone()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (lb, tg)
}

fn targets(ids: &[&str]) -> Vec<TargetDescription> {
    ids.iter()
        .map(|id| TargetDescription {
            id: id.to_string(),
            ..Default::default()
        })
        .collect()
}

async fn register(w: &World, tg: &str, ids: &[&str]) -> Result<RegisterTargetsOutput, AwsError> {
    w.elb
        .register_targets(
            &ctx(),
            RegisterTargetsInput {
                target_group_arn: tg.into(),
                targets: targets(ids),
            },
        )
        .await
}

/// (id, port, state, reason, description) of each target.
type Row = (String, i32, String, Option<String>, Option<String>);

fn health(w: &World, tg: &str) -> Vec<Row> {
    let out = futures_lite_block(w.elb.describe_target_health(
        &ctx(),
        DescribeTargetHealthInput {
            target_group_arn: tg.into(),
            ..Default::default()
        },
    ))
    .unwrap();
    out.target_health_descriptions
        .unwrap()
        .into_iter()
        .map(|d| {
            let t = d.target.unwrap();
            let h = d.target_health.unwrap();
            (
                t.id,
                t.port.unwrap(),
                h.state.unwrap(),
                h.reason,
                h.description,
            )
        })
        .collect()
}

/// `describe_target_health` reads memory only; its future is ready at once.
fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("describe_target_health waited"),
    }
}

const I1: &str = "i-0123456789abcdef0";
const I2: &str = "i-0123456789abcdef1";

#[tokio::test]
async fn instance_targets_are_checked_against_ec2_as_aws_checks_them() {
    let w = world();
    let (_, tg) = alb_with_instance_group(&w, None).await;
    assert_eq!(
        err(register(&w, &tg, &["10.0.0.5"]).await),
        (
            "ValidationError".into(),
            "Instance ID '10.0.0.5' is not valid".into()
        )
    );
    assert_eq!(
        err(register(&w, &tg, &[I1, I2]).await),
        (
            "InvalidTarget".into(),
            format!("The following instances do not exist: '{I1}', '{I2}'")
        )
    );
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Stopped);
    assert_eq!(
        err(register(&w, &tg, &[I1]).await),
        (
            "InvalidTarget".into(),
            format!(
                "The following targets are not in a running state and cannot be registered: '{I1}'"
            )
        )
    );
    w.ec2.put(I2, "vpc-2", "10.9.0.4", InstanceState::Running);
    assert_eq!(
        err(register(&w, &tg, &[I2]).await).0,
        "InvalidTarget",
        "an instance of another VPC"
    );
    // Running, in the group's VPC: registered on the group's port, routed by private IP.
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Running);
    register(&w, &tg, &[I1]).await.unwrap();
    let snap = w.plane.snapshot();
    let t = &snap.groups[&tg].targets;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].ip.to_string(), "172.31.1.10");
    assert_eq!(t[0].port, 80);
    assert_eq!(t[0].zone.as_deref(), Some("us-east-1a"));
    let route = t[0].instance.as_ref().expect("an instance route");
    assert_eq!(
        (route.instance_id.as_str(), route.vpc_id.as_str()),
        (I1, "vpc-1")
    );
    assert_eq!(
        health(&w, &tg),
        vec![(
            I1.to_string(),
            80,
            "initial".to_string(),
            Some("Elb.RegistrationInProgress".to_string()),
            Some("Target registration is in progress".to_string())
        )]
    );
}

#[tokio::test]
async fn stopped_instances_read_invalid_state_and_terminated_ones_are_deregistered() {
    let w = world();
    let (_, tg) = alb_with_instance_group(&w, None).await;
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Running);
    w.ec2
        .put(I2, "vpc-1", "172.31.1.11", InstanceState::Running);
    register(&w, &tg, &[I1, I2]).await.unwrap();
    assert_eq!(w.plane.snapshot().groups[&tg].targets.len(), 2);
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Stopped);
    w.elb.refresh().await;
    let snap = w.plane.snapshot();
    let ips: Vec<String> = snap.groups[&tg]
        .targets
        .iter()
        .map(|t| t.ip.to_string())
        .collect();
    assert_eq!(
        ips,
        vec!["172.31.1.11"],
        "a stopped instance gets no traffic"
    );
    let h = health(&w, &tg);
    let stopped = h.iter().find(|x| x.0 == I1).unwrap();
    assert_eq!(
        (
            stopped.2.as_str(),
            stopped.3.as_deref(),
            stopped.4.as_deref()
        ),
        (
            "unused",
            Some("Target.InvalidState"),
            Some("Target is in the stopped state")
        )
    );
    // Terminated: deregistered (it drains for the group's delay, then is gone).
    w.ec2
        .put(I2, "vpc-1", "172.31.1.11", InstanceState::Terminated);
    w.elb.refresh().await;
    let h = health(&w, &tg);
    assert!(h.iter().all(|x| x.0 != I2), "{h:?}");
    let d = w
        .elb
        .describe_target_health(
            &ctx(),
            DescribeTargetHealthInput {
                target_group_arn: tg.clone(),
                targets: Some(targets(&[I2])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let th = d.target_health_descriptions.unwrap()[0]
        .target_health
        .clone()
        .unwrap();
    assert_eq!(th.reason.as_deref(), Some("Target.NotRegistered"));
    // Deregistering it again is an error: it is no longer registered.
    let e = w
        .elb
        .deregister_targets(
            &ctx(),
            DeregisterTargetsInput {
                target_group_arn: tg.clone(),
                targets: targets(&[I2]),
            },
        )
        .await;
    assert_eq!(err(e).0, "InvalidTarget");
}

#[tokio::test]
async fn security_group_rules_reach_the_snapshot_and_changes_republish() {
    let w = world();
    let (lb, _) = alb_with_instance_group(&w, Some(vec!["sg-web".into()])).await;
    let ingress = |w: &World| {
        w.plane
            .snapshot()
            .balancers
            .iter()
            .find(|b| b.arn == lb)
            .unwrap()
            .ingress
            .clone()
    };
    assert_eq!(
        ingress(&w),
        Some(vec![]),
        "a group without rules admits nothing"
    );
    w.net.rules.lock().unwrap().insert(
        "sg-web".into(),
        vec![
            IngressRule {
                protocol: "tcp".into(),
                from_port: Some(80),
                to_port: Some(80),
                source: RuleSource::Cidr("0.0.0.0/0".into()),
            },
            IngressRule {
                protocol: "icmp".into(),
                from_port: Some(-1),
                to_port: Some(-1),
                source: RuleSource::Cidr("0.0.0.0/0".into()),
            },
        ],
    );
    assert_eq!(
        ingress(&w),
        Some(vec![]),
        "nothing changes before a refresh"
    );
    w.elb.refresh().await;
    let allow = Allow {
        proto: IpProto::Tcp,
        from_port: 80,
        to_port: 80,
        source: Cidr::parse("0.0.0.0/0").unwrap(),
    };
    assert_eq!(ingress(&w), Some(vec![allow]));
    let b = w.plane.snapshot().balancers[0].clone();
    assert!(b.admits(IpProto::Tcp, "127.0.0.1".parse().unwrap(), 80));
    assert!(!b.admits(IpProto::Tcp, "127.0.0.1".parse().unwrap(), 81));
}

#[tokio::test]
async fn auto_scaling_registers_instances_and_reads_their_health() {
    let w = world();
    let (_, tg) = alb_with_instance_group(&w, None).await;
    assert!(w.elb.target_group_exists(ACCOUNT, "us-east-1", &tg));
    assert!(!w.elb.target_group_exists("999999999999", "us-east-1", &tg));
    assert!(!w.elb.target_group_exists(ACCOUNT, "us-west-2", &tg));
    let e = w
        .elb
        .check_instance_target(ACCOUNT, "us-east-1", &tg, I1)
        .unwrap_err();
    assert_eq!(e.code.to_string(), "InvalidTarget");
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Running);
    w.elb
        .check_instance_target(ACCOUNT, "us-east-1", &tg, I1)
        .unwrap();
    assert!(health(&w, &tg).is_empty(), "a check changes nothing");
    w.elb
        .register_instance(ACCOUNT, "us-east-1", &tg, I1)
        .await
        .unwrap();
    assert_eq!(
        w.elb.instance_health(ACCOUNT, "us-east-1", &tg, I1),
        Some((
            "initial".to_string(),
            Some("Elb.RegistrationInProgress".to_string())
        ))
    );
    assert_eq!(w.elb.deregistration_delay(ACCOUNT, "us-east-1", &tg), 300);
    w.elb
        .deregister_instance(ACCOUNT, "us-east-1", &tg, I1)
        .await
        .unwrap();
    assert_eq!(
        w.elb
            .instance_health(ACCOUNT, "us-east-1", &tg, I1)
            .map(|h| h.0),
        Some("draining".to_string())
    );
}

#[tokio::test]
async fn instance_targets_are_admitted_only_where_their_groups_allow_the_balancer() {
    let w = world();
    let (_, tg) = alb_with_instance_group(&w, Some(vec!["sg-web".into()])).await;
    // The instance is in sg-default, which admits nothing yet.
    w.ec2
        .put(I1, "vpc-1", "172.31.1.10", InstanceState::Running);
    register(&w, &tg, &[I1]).await.unwrap();
    let admitted = |w: &World| {
        w.plane.snapshot().groups[&tg].targets[0]
            .instance
            .clone()
            .unwrap()
            .admitted
    };
    assert_eq!(admitted(&w), Some(vec![]));
    let rule = |source: RuleSource, port: i32| IngressRule {
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        source,
    };
    // A rule from another group, and one from a range that holds no node: still nothing.
    w.net.rules.lock().unwrap().insert(
        "sg-default".into(),
        vec![
            rule(RuleSource::Group("sg-other".into()), 80),
            rule(RuleSource::Cidr("10.0.0.0/8".into()), 80),
        ],
    );
    w.elb.refresh().await;
    assert_eq!(admitted(&w), Some(vec![]));
    // The balancer's group on port 80, and the nodes' subnet range on 8080.
    w.net.rules.lock().unwrap().insert(
        "sg-default".into(),
        vec![
            rule(RuleSource::Group("sg-web".into()), 80),
            rule(RuleSource::Cidr("172.31.0.0/16".into()), 8080),
        ],
    );
    w.elb.refresh().await;
    let route = w.plane.snapshot().groups[&tg].targets[0]
        .instance
        .clone()
        .unwrap();
    assert_eq!(route.admitted, Some(vec![(80, 80), (8080, 8080)]));
    assert!(route.admits(80) && route.admits(8080) && !route.admits(443));
}
