//! In-process tests of the ELBv2 handlers over a fake EC2 network: load balancer creation
//! rules (zones, subnets, groups, names), node address allocation, the snapshot published to
//! the data plane after each change, draining, durability over the same store, reset, and
//! HTTPS listeners with certificates from a fake ACM.

use nimbus_core::{AwsError, Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_lb::Plane;
use nimbus_store::Store;
use std::sync::Arc;
use std::sync::Mutex;
use svc_elbv2::generated::*;
use svc_elbv2::{Elb, IngressRule, NetFuture, Network, NodeInterface, SubnetInfo};

const ACCOUNT: &str = "123456789012";
const NOW: i64 = 1_700_000_000;

/// Subnets and groups of two VPCs, and the node interfaces alive.
#[derive(Default)]
struct FakeNet {
    enis: Mutex<Vec<(String, NodeInterface)>>,
    /// Address-range ingress rules by group (a group absent here has none).
    rules: Mutex<std::collections::HashMap<String, Vec<IngressRule>>>,
}

impl Network for FakeNet {
    fn subnet(&self, _: &str, _: &str, id: &str) -> Option<SubnetInfo> {
        let (vpc, zone) = match id {
            "subnet-a" => ("vpc-1", "us-east-1a"),
            "subnet-b" => ("vpc-1", "us-east-1b"),
            "subnet-a2" => ("vpc-1", "us-east-1a"),
            "subnet-other" => ("vpc-2", "us-east-1c"),
            _ => return None,
        };
        Some(SubnetInfo {
            subnet_id: id.into(),
            vpc_id: vpc.into(),
            zone: zone.into(),
        })
    }
    fn security_group_vpc(&self, _: &str, _: &str, id: &str) -> Option<String> {
        (id == "sg-1" || id == "sg-default").then(|| "vpc-1".to_string())
    }
    fn default_security_group(&self, _: &str, _: &str, vpc: &str) -> Option<String> {
        (vpc == "vpc-1").then(|| "sg-default".to_string())
    }
    fn security_group_ingress(&self, _: &str, _: &str, id: &str) -> Option<Vec<IngressRule>> {
        (id == "sg-1" || id == "sg-default").then(|| {
            self.rules
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .unwrap_or_default()
        })
    }
    fn vpc_exists(&self, _: &str, _: &str, vpc: &str) -> bool {
        vpc == "vpc-1"
    }
    fn add_node_interface<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        node: NodeInterface,
    ) -> NetFuture<'a, (String, String)> {
        Box::pin(async move {
            let mut e = self.enis.lock().unwrap();
            let id = format!("eni-{}", e.len());
            e.push((id.clone(), node));
            Ok((id, "172.31.0.10".to_string()))
        })
    }
    fn remove_node_interface<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        eni: &'a str,
    ) -> NetFuture<'a, ()> {
        Box::pin(async move {
            self.enis.lock().unwrap().retain(|(i, _)| i != eni);
            Ok(())
        })
    }
}

fn ctx_at(secs: i64) -> RequestContext {
    RequestContext {
        request_id: "req".into(),
        principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp::from_secs(secs),
        host: "localhost".into(),
        source_ip: None,
    }
}

fn ctx() -> RequestContext {
    ctx_at(NOW)
}

fn elb_over(store: Store, plane: Arc<Plane>) -> Elb {
    elb_with(store, plane, Arc::new(FakeNet::default()))
}

fn elb_with(store: Store, plane: Arc<Plane>, net: Arc<FakeNet>) -> Elb {
    elb_certs(store, plane, net, Arc::new(svc_elbv2::NoCertificates))
}

fn elb_certs(
    store: Store,
    plane: Arc<Plane>,
    net: Arc<FakeNet>,
    certs: Arc<dyn svc_elbv2::Certificates>,
) -> Elb {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(NOW)));
    Elb::load(
        store,
        clock,
        Arc::new(Ids::from_seed(3)),
        net,
        plane,
        svc_elbv2::NODE_NETWORK,
        certs,
    )
    .expect("load")
}

fn code<T: std::fmt::Debug>(r: Result<T, AwsError>) -> String {
    r.expect_err("expected an error").code.to_string()
}

fn alb(name: &str, subnets: &[&str]) -> CreateLoadBalancerInput {
    CreateLoadBalancerInput {
        name: name.into(),
        subnets: Some(subnets.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

#[tokio::test]
async fn albs_need_two_zones_of_one_vpc_and_get_a_node_per_zone() {
    let plane = Plane::new();
    let elb = elb_over(Store::in_memory(), plane.clone());
    let c = ctx();
    assert_eq!(
        code(
            elb.create_load_balancer(&c, alb("one", &["subnet-a"]))
                .await
        ),
        "ValidationError"
    );
    assert_eq!(
        code(
            elb.create_load_balancer(&c, alb("same", &["subnet-a", "subnet-a2"]))
                .await
        ),
        "InvalidConfigurationRequest"
    );
    assert_eq!(
        code(
            elb.create_load_balancer(&c, alb("vpcs", &["subnet-a", "subnet-other"]))
                .await
        ),
        "InvalidConfigurationRequest"
    );
    assert_eq!(
        code(
            elb.create_load_balancer(&c, alb("nope", &["subnet-a", "subnet-x"]))
                .await
        ),
        "SubnetNotFound"
    );
    assert_eq!(
        code(
            elb.create_load_balancer(&c, alb("-bad", &["subnet-a", "subnet-b"]))
                .await
        ),
        "ValidationError"
    );
    let mut bad_sg = alb("sg", &["subnet-a", "subnet-b"]);
    bad_sg.security_groups = Some(vec!["sg-404".into()]);
    assert_eq!(
        code(elb.create_load_balancer(&c, bad_sg).await),
        "InvalidSecurityGroup"
    );

    let lb = elb
        .create_load_balancer(&c, alb("web", &["subnet-b", "subnet-a"]))
        .await
        .expect("create");
    let lb = &lb.load_balancers.unwrap()[0];
    assert_eq!(
        lb.security_groups.as_deref(),
        Some(&["sg-default".to_string()][..]),
        "the VPC's default group"
    );
    let zones: Vec<_> = lb
        .availability_zones
        .as_ref()
        .unwrap()
        .iter()
        .map(|z| z.zone_name.clone().unwrap())
        .collect();
    assert_eq!(zones, ["us-east-1a", "us-east-1b"]);
    let snap = plane.snapshot();
    assert_eq!(snap.balancers.len(), 1);
    let addrs: Vec<String> = snap.balancers[0]
        .nodes
        .iter()
        .map(|n| n.addr.to_string())
        .collect();
    assert_eq!(addrs, ["127.80.0.1", "127.80.0.2"]);
    let second = elb
        .create_load_balancer(&c, alb("api", &["subnet-a", "subnet-b"]))
        .await
        .expect("second");
    let _ = second;
    let addrs: Vec<String> = plane
        .snapshot()
        .balancers
        .iter()
        .flat_map(|b| b.nodes.iter().map(|n| n.addr.to_string()))
        .collect();
    assert_eq!(addrs.len(), 4);
    assert!(addrs.contains(&"127.80.0.3".to_string()) && addrs.contains(&"127.80.0.4".to_string()));
}

async fn setup(elb: &Elb) -> (String, String, String) {
    let c = ctx();
    let lb = elb
        .create_load_balancer(&c, alb("web", &["subnet-a", "subnet-b"]))
        .await
        .unwrap();
    let lb_arn = lb.load_balancers.unwrap()[0]
        .load_balancer_arn
        .clone()
        .unwrap();
    let tg = elb
        .create_target_group(
            &c,
            CreateTargetGroupInput {
                name: "tg".into(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                vpc_id: Some("vpc-1".into()),
                target_type: Some("ip".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tg_arn = tg.target_groups.unwrap()[0]
        .target_group_arn
        .clone()
        .unwrap();
    let l = elb
        .create_listener(
            &c,
            CreateListenerInput {
                load_balancer_arn: lb_arn.clone(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                default_actions: vec![Action {
                    r#type: "forward".into(),
                    target_group_arn: Some(tg_arn.clone()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (
        lb_arn,
        tg_arn,
        l.listeners.unwrap()[0].listener_arn.clone().unwrap(),
    )
}

#[tokio::test]
async fn every_change_publishes_a_snapshot_and_deregistered_targets_drain() {
    let plane = Plane::new();
    let elb = elb_over(Store::in_memory(), plane.clone());
    let (_, tg, _) = setup(&elb).await;
    let mut changes = plane.subscribe();
    let c = ctx();
    elb.register_targets(
        &c,
        RegisterTargetsInput {
            target_group_arn: tg.clone(),
            targets: vec![TargetDescription {
                id: "127.0.0.1".into(),
                port: Some(8080),
                ..Default::default()
            }],
        },
    )
    .await
    .unwrap();
    assert!(changes.has_changed().unwrap());
    changes.mark_unchanged();
    let g = plane.snapshot().groups[&tg].clone();
    assert!(g.in_use);
    assert_eq!(g.targets.len(), 1);
    assert_eq!(g.targets[0].port, 8080);
    assert_eq!(g.health.path, "/");
    assert_eq!(g.health.matcher, vec![(200, 200)]);

    assert_eq!(
        code(
            elb.register_targets(
                &c,
                RegisterTargetsInput {
                    target_group_arn: tg.clone(),
                    targets: vec![TargetDescription {
                        id: "i-0123456789abcdef0".into(),
                        ..Default::default()
                    }],
                }
            )
            .await
        ),
        "InvalidTarget"
    );
    elb.deregister_targets(
        &c,
        DeregisterTargetsInput {
            target_group_arn: tg.clone(),
            targets: vec![TargetDescription {
                id: "127.0.0.1".into(),
                port: Some(8080),
                ..Default::default()
            }],
        },
    )
    .await
    .unwrap();
    let g = plane.snapshot().groups[&tg].clone();
    assert_eq!(
        g.targets[0].draining_until,
        Some(Timestamp::from_secs(NOW + 300))
    );
    let h = elb
        .describe_target_health(
            &c,
            DescribeTargetHealthInput {
                target_group_arn: tg.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let th = h.target_health_descriptions.unwrap()[0]
        .target_health
        .clone()
        .unwrap();
    assert_eq!(th.state.as_deref(), Some("draining"));
    assert_eq!(
        th.reason.as_deref(),
        Some("Target.DeregistrationInProgress")
    );
    // After the delay the target is gone.
    let later = ctx_at(NOW + 301);
    let h = elb
        .describe_target_health(
            &later,
            DescribeTargetHealthInput {
                target_group_arn: tg.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(h.target_health_descriptions.unwrap().is_empty());
}

#[tokio::test]
async fn state_survives_a_reload_and_reset_empties_it() {
    let store = Store::in_memory();
    let plane = Plane::new();
    let elb = elb_over(store.clone(), plane.clone());
    let (lb, tg, listener) = setup(&elb).await;
    let c = ctx();
    elb.create_rule(
        &c,
        CreateRuleInput {
            listener_arn: listener.clone(),
            priority: 3,
            conditions: vec![RuleCondition {
                field: Some("path-pattern".into()),
                values: Some(vec!["/a/*".into()]),
                ..Default::default()
            }],
            actions: vec![Action {
                r#type: "fixed-response".into(),
                fixed_response_config: Some(FixedResponseActionConfig {
                    status_code: "204".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        code(
            elb.delete_target_group(
                &c,
                DeleteTargetGroupInput {
                    target_group_arn: tg.clone()
                }
            )
            .await
        ),
        "ResourceInUse"
    );
    drop(elb);

    let plane2 = Plane::new();
    let again = elb_over(store.clone(), plane2.clone());
    let lbs = again
        .describe_load_balancers(&c, DescribeLoadBalancersInput::default())
        .await
        .unwrap();
    assert_eq!(
        lbs.load_balancers.unwrap()[0].load_balancer_arn.as_deref(),
        Some(lb.as_str())
    );
    let rules = again
        .describe_rules(
            &c,
            DescribeRulesInput {
                listener_arn: Some(listener.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .rules
        .unwrap();
    assert_eq!(
        rules
            .iter()
            .map(|r| r.priority.clone().unwrap())
            .collect::<Vec<_>>(),
        ["3", "default"]
    );
    let snap = plane2.snapshot();
    assert_eq!(
        snap.balancers[0].listeners[0].rules.len(),
        2,
        "the loaded state is published at once"
    );

    let wipe = store.clone();
    again
        .reset_with(Box::pin(async move {
            wipe.wipe_async()
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        }))
        .await
        .unwrap();
    assert!(plane2.snapshot().balancers.is_empty());
}

#[tokio::test]
async fn each_node_holds_an_interface_until_the_balancer_goes() {
    let net = Arc::new(FakeNet::default());
    let elb = elb_with(Store::in_memory(), Plane::new(), net.clone());
    let c = ctx();
    let lb = elb
        .create_load_balancer(&c, alb("web", &["subnet-a", "subnet-b"]))
        .await
        .unwrap();
    let lb = lb.load_balancers.unwrap()[0].clone();
    {
        let enis = net.enis.lock().unwrap();
        assert_eq!(enis.len(), 2);
        let id = lb
            .load_balancer_arn
            .as_ref()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(enis[0].1.description, format!("ELB app/web/{id}"));
        assert_eq!(enis[0].1.group_ids, ["sg-default"]);
        assert!(enis[0].1.public);
    }
    // The same name again (idempotent) makes no interfaces; a duplicate none either.
    elb.create_load_balancer(&c, alb("web", &["subnet-a", "subnet-b"]))
        .await
        .unwrap();
    let mut internal = alb("web", &["subnet-a", "subnet-b"]);
    internal.scheme = Some("internal".into());
    assert_eq!(
        code(elb.create_load_balancer(&c, internal).await),
        "DuplicateLoadBalancerName"
    );
    assert_eq!(net.enis.lock().unwrap().len(), 2);
    elb.delete_load_balancer(
        &c,
        DeleteLoadBalancerInput {
            load_balancer_arn: lb.load_balancer_arn.unwrap(),
        },
    )
    .await
    .unwrap();
    assert!(net.enis.lock().unwrap().is_empty());
}

/// ACM with certificates of `ACCOUNT` in us-east-1 (self-signed by rcgen).
struct FakeAcm(Vec<(String, svc_elbv2::CertMaterial)>);

impl svc_elbv2::Certificates for FakeAcm {
    fn material(&self, account: &str, region: &str, arn: &str) -> Option<svc_elbv2::CertMaterial> {
        (account == ACCOUNT && region == "us-east-1")
            .then(|| {
                self.0
                    .iter()
                    .find(|(a, _)| a == arn)
                    .map(|(_, m)| m.clone())
            })
            .flatten()
    }
}

fn cert_arn(n: u32) -> String {
    format!("arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0000000{n}-0000-0000-0000-000000000000")
}

fn material(name: &str) -> svc_elbv2::CertMaterial {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    svc_elbv2::CertMaterial {
        chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        names: vec![name.to_string()],
    }
}

fn cert(arn: &str) -> Certificate {
    Certificate {
        certificate_arn: Some(arn.to_string()),
        is_default: None,
    }
}

#[tokio::test]
async fn https_listeners_take_issued_certificates_and_a_list_beside_the_default() {
    let plane = Plane::new();
    let acm = FakeAcm(vec![
        (cert_arn(1), material("a.example.com")),
        (cert_arn(2), material("b.example.com")),
    ]);
    let elb = elb_certs(
        Store::in_memory(),
        plane.clone(),
        Arc::new(FakeNet::default()),
        Arc::new(acm),
    );
    let c = ctx();
    let (lb_arn, tg_arn, _) = setup(&elb).await;
    let https = |certs: Vec<Certificate>| CreateListenerInput {
        load_balancer_arn: lb_arn.clone(),
        protocol: Some("HTTPS".into()),
        port: Some(443),
        certificates: Some(certs),
        default_actions: vec![Action {
            r#type: "forward".into(),
            target_group_arn: Some(tg_arn.clone()),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(
        code(elb.create_listener(&c, https(vec![])).await),
        "ValidationError"
    );
    assert_eq!(
        code(
            elb.create_listener(&c, https(vec![cert(&cert_arn(9))]))
                .await
        ),
        "CertificateNotFound"
    );
    assert_eq!(
        code(
            elb.create_listener(&c, https(vec![cert(&cert_arn(1)), cert(&cert_arn(2))]))
                .await
        ),
        "ValidationError",
        "one default certificate"
    );
    let l = elb
        .create_listener(&c, https(vec![cert(&cert_arn(1))]))
        .await
        .unwrap();
    let l = &l.listeners.unwrap()[0];
    assert_eq!(l.ssl_policy.as_deref(), Some("ELBSecurityPolicy-2016-08"));
    let la = l.listener_arn.clone().unwrap();
    let tls_of = || {
        plane.snapshot().balancers[0]
            .listeners
            .iter()
            .find(|x| x.port == 443)
            .and_then(|x| x.tls.clone())
    };
    assert!(
        tls_of().is_some(),
        "the snapshot carries the listener's TLS configuration"
    );
    let add = |arns: Vec<String>| AddListenerCertificatesInput {
        listener_arn: la.clone(),
        certificates: arns.iter().map(|a| cert(a)).collect(),
    };
    assert_eq!(
        code(
            elb.add_listener_certificates(&c, add(vec![cert_arn(9)]))
                .await
        ),
        "CertificateNotFound"
    );
    elb.add_listener_certificates(&c, add(vec![cert_arn(2)]))
        .await
        .unwrap();
    let listed = elb
        .describe_listener_certificates(
            &c,
            DescribeListenerCertificatesInput {
                listener_arn: la.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .certificates
        .unwrap();
    let pairs: Vec<(String, bool)> = listed
        .iter()
        .map(|x| (x.certificate_arn.clone().unwrap(), x.is_default.unwrap()))
        .collect();
    assert_eq!(pairs, [(cert_arn(1), true), (cert_arn(2), false)]);
    let handle = elb.handle();
    assert_eq!(handle.users(&cert_arn(2)), std::slice::from_ref(&lb_arn));
    let remove = |arns: Vec<String>| RemoveListenerCertificatesInput {
        listener_arn: la.clone(),
        certificates: arns.iter().map(|a| cert(a)).collect(),
    };
    assert_eq!(
        code(
            elb.remove_listener_certificates(&c, remove(vec![cert_arn(1)]))
                .await
        ),
        "OperationNotPermitted"
    );
    elb.remove_listener_certificates(&c, remove(vec![cert_arn(2)]))
        .await
        .unwrap();
    assert!(handle.users(&cert_arn(2)).is_empty());
    assert_eq!(handle.users(&cert_arn(1)), std::slice::from_ref(&lb_arn));
    elb.delete_listener(&c, DeleteListenerInput { listener_arn: la })
        .await
        .unwrap();
    assert!(
        handle.users(&cert_arn(1)).is_empty(),
        "no listener, no user"
    );
}
