//! The instance API over a fake host: the state machine (pending → running, stop, start,
//! terminate, the guest's own shutdown following InstanceInitiatedShutdownBehavior, a failed
//! launch), what runs on the host, DescribeInstances' filters and paging, the protections and
//! state errors, and the honest refusal without a host.

mod common;

use common::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use svc_ec2::generated::*;
use svc_ec2::{Ec2, HostSpec, HostState, InstanceHost, TcpIngress};

const AMI: &str = "resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2";

#[derive(Default)]
struct FakeHost {
    states: Mutex<HashMap<String, HostState>>,
    calls: Mutex<Vec<String>>,
    specs: Mutex<Vec<HostSpec>>,
    fail_launch: bool,
}

impl FakeHost {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn set(&self, id: &str, s: HostState) {
        self.states.lock().unwrap().insert(id.into(), s);
    }
}

impl InstanceHost for FakeHost {
    fn launch(&self, spec: &HostSpec) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("launch {}", spec.instance_id));
        self.specs.lock().unwrap().push(spec.clone());
        if self.fail_launch {
            return Err("no room".into());
        }
        self.set(&spec.instance_id, HostState::Running);
        Ok(())
    }
    fn stop(&self, id: &str) -> Result<(), String> {
        self.calls.lock().unwrap().push(format!("stop {id}"));
        self.set(id, HostState::Stopped);
        Ok(())
    }
    fn reboot(&self, id: &str) -> Result<(), String> {
        self.calls.lock().unwrap().push(format!("reboot {id}"));
        self.set(id, HostState::Running);
        Ok(())
    }
    fn terminate(&self, id: &str) -> Result<(), String> {
        self.calls.lock().unwrap().push(format!("terminate {id}"));
        self.states.lock().unwrap().remove(id);
        Ok(())
    }
    fn capture_image(&self, id: &str, image: &str) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("capture {id} {image}"));
        Ok(())
    }
    fn keep_volume(&self, id: &str, volume: &str) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("keep {id} {volume}"));
        Ok(())
    }
    fn delete_volume(&self, volume: &str) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("delete-volume {volume}"));
        Ok(())
    }
    fn state(&self, id: &str) -> Option<HostState> {
        self.states.lock().unwrap().get(id).copied()
    }
    fn console_output(&self, _id: &str) -> Option<String> {
        Some("Cloud-init v. 19.3 finished\n".into())
    }
    fn set_access(
        &self,
        id: &str,
        ip: Option<std::net::Ipv4Addr>,
        rules: Vec<TcpIngress>,
    ) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("access {id} {ip:?} {}", rules.len()));
        Ok(())
    }
}

fn with_host(fail_launch: bool) -> (Ec2, Arc<FakeHost>) {
    let ec2 = ec2();
    let host = Arc::new(FakeHost {
        fail_launch,
        ..Default::default()
    });
    ec2.set_instance_host(host.clone());
    (ec2, host)
}

fn run_req(count: i32) -> RunInstancesRequest {
    RunInstancesRequest {
        image_id: Some(AMI.into()),
        instance_type: Some("t2.micro".into()),
        min_count: count,
        max_count: count,
        ..Default::default()
    }
}

async fn state_of(ec2: &Ec2, id: &str) -> String {
    let out = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                instance_ids: Some(vec![id.into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    out.reservations.unwrap()[0].instances.as_ref().unwrap()[0]
        .state
        .as_ref()
        .unwrap()
        .name
        .clone()
        .unwrap()
}

async fn wait_state(ec2: &Ec2, id: &str, want: &str) {
    for _ in 0..200 {
        if state_of(ec2, id).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{id} never reached {want}: {}", state_of(ec2, id).await);
}

async fn launch(ec2: &Ec2, req: RunInstancesRequest) -> Vec<Instance> {
    ec2.run_instances(&ctx(), req)
        .await
        .unwrap()
        .instances
        .unwrap()
}

#[tokio::test]
async fn without_a_host_nothing_is_made() {
    let ec2 = ec2();
    ec2.set_instance_host_unavailable("not running as root");
    let err = err_code(ec2.run_instances(&ctx(), run_req(1)).await);
    assert_eq!(err, "Unsupported");
    let out = ec2
        .describe_instances(&ctx(), DescribeInstancesRequest::default())
        .await
        .unwrap();
    assert!(out.reservations.unwrap().is_empty());
    // Validation still comes first: a bad image is named as such.
    let mut bad = run_req(1);
    bad.image_id = Some("ami-0123456789abcdef0".into());
    assert_eq!(
        err_code(ec2.run_instances(&ctx(), bad).await),
        "InvalidAMIID.NotFound"
    );
}

#[tokio::test]
async fn the_lifecycle_drives_the_host() {
    let (ec2, host) = with_host(false);
    let [i] = launch(&ec2, run_req(1)).await.try_into().unwrap();
    let id = i.instance_id.clone().unwrap();
    assert_eq!(i.state.as_ref().unwrap().name.as_deref(), Some("pending"));
    assert_eq!(i.state.as_ref().unwrap().code, Some(0));
    wait_state(&ec2, &id, "running").await;
    let spec = host.specs.lock().unwrap()[0].clone();
    assert_eq!(spec.personality, "amzn2");
    assert_eq!((spec.vcpus, spec.memory_mib), (1, 1024));
    assert_eq!(
        spec.hostname,
        format!(
            "ip-{}.ec2.internal",
            i.private_ip_address.clone().unwrap().replace('.', "-")
        )
    );
    // The default subnet maps a public (loopback) address.
    let public = i.public_ip_address.clone().unwrap();
    assert!(public.starts_with("127.88."), "{public}");

    let out = ec2
        .stop_instances(
            &ctx(),
            StopInstancesRequest {
                instance_ids: vec![id.clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let change = &out.stopping_instances.unwrap()[0];
    assert_eq!(
        change.current_state.as_ref().unwrap().name.as_deref(),
        Some("stopping")
    );
    assert_eq!(
        change.previous_state.as_ref().unwrap().name.as_deref(),
        Some("running")
    );
    wait_state(&ec2, &id, "stopped").await;
    assert!(host.calls().contains(&format!("stop {id}")));
    // Type changes need a stopped instance.
    ec2.modify_instance_attribute(
        &ctx(),
        ModifyInstanceAttributeRequest {
            instance_id: id.clone(),
            instance_type: Some(AttributeValue {
                value: Some("t3.small".into()),
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ec2.start_instances(
        &ctx(),
        StartInstancesRequest {
            instance_ids: vec![id.clone()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(&ec2, &id, "running").await;
    assert_eq!(host.specs.lock().unwrap()[1].memory_mib, 2048);
    let err = ec2
        .modify_instance_attribute(
            &ctx(),
            ModifyInstanceAttributeRequest {
                instance_id: id.clone(),
                instance_type: Some(AttributeValue {
                    value: Some("t3.micro".into()),
                }),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "IncorrectInstanceState");

    ec2.terminate_instances(
        &ctx(),
        TerminateInstancesRequest {
            instance_ids: vec![id.clone()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(&ec2, &id, "terminated").await;
    assert!(host.calls().contains(&format!("terminate {id}")));
    // The interface is gone with it.
    let enis = ec2
        .describe_network_interfaces(&ctx(), DescribeNetworkInterfacesRequest::default())
        .await
        .unwrap();
    assert!(enis.network_interfaces.unwrap().iter().all(|e| e
        .attachment
        .as_ref()
        .and_then(|a| a.instance_id.as_deref())
        != Some(&id)));
    let err = ec2
        .start_instances(
            &ctx(),
            StartInstancesRequest {
                instance_ids: vec![id.clone()],
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "IncorrectInstanceState");
}

#[tokio::test]
async fn the_guests_own_shutdown_follows_the_shutdown_behavior() {
    let (ec2, host) = with_host(false);
    let a = launch(&ec2, run_req(1)).await[0]
        .instance_id
        .clone()
        .unwrap();
    let mut req = run_req(1);
    req.instance_initiated_shutdown_behavior = Some("terminate".into());
    let b = launch(&ec2, req).await[0].instance_id.clone().unwrap();
    wait_state(&ec2, &a, "running").await;
    wait_state(&ec2, &b, "running").await;
    host.set(&a, HostState::PoweredOff);
    host.set(&b, HostState::PoweredOff);
    ec2.sync_instances().await;
    wait_state(&ec2, &a, "stopped").await;
    wait_state(&ec2, &b, "terminated").await;
    let out = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                instance_ids: Some(vec![a.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rs = out.reservations.unwrap();
    let i = &rs[0].instances.as_ref().unwrap()[0];
    assert_eq!(
        i.state_reason.as_ref().unwrap().code.as_deref(),
        Some("Client.InstanceInitiatedShutdown")
    );
    // An init that died: status checks impaired.
    let c = launch(&ec2, run_req(1)).await[0]
        .instance_id
        .clone()
        .unwrap();
    wait_state(&ec2, &c, "running").await;
    host.set(&c, HostState::Failed(1));
    ec2.sync_instances().await;
    let st = ec2
        .describe_instance_status(
            &ctx(),
            DescribeInstanceStatusRequest {
                instance_ids: Some(vec![c]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let s = &st.instance_statuses.unwrap()[0];
    assert_eq!(
        s.instance_status.as_ref().unwrap().status.as_deref(),
        Some("impaired")
    );
}

#[tokio::test]
async fn a_failed_launch_terminates_with_a_server_error() {
    let (ec2, _host) = with_host(true);
    let id = launch(&ec2, run_req(1)).await[0]
        .instance_id
        .clone()
        .unwrap();
    wait_state(&ec2, &id, "terminated").await;
}

#[tokio::test]
async fn describe_filters_and_pages() {
    let (ec2, _host) = with_host(false);
    let mut req = run_req(6);
    req.tag_specifications = Some(vec![TagSpecification {
        resource_type: Some("instance".into()),
        tags: Some(vec![Tag {
            key: Some("Name".into()),
            value: Some("web".into()),
        }]),
    }]);
    req.disable_api_termination = Some(true);
    let made = launch(&ec2, req).await;
    assert_eq!(made.len(), 6);
    let one = launch(&ec2, run_req(1)).await;
    let find = |fs: Vec<Filter>| {
        let ec2 = ec2.clone();
        async move {
            let out = ec2
                .describe_instances(
                    &ctx(),
                    DescribeInstancesRequest {
                        filters: Some(fs),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            out.reservations
                .unwrap()
                .iter()
                .flat_map(|r| r.instances.clone().unwrap())
                .count()
        }
    };
    assert_eq!(find(vec![filter("tag:Name", &["web"])]).await, 6);
    assert_eq!(find(vec![filter("tag-key", &["Name"])]).await, 6);
    assert_eq!(find(vec![filter("instance-type", &["t2.*"])]).await, 7);
    let ip = one[0].private_ip_address.clone().unwrap();
    assert_eq!(find(vec![filter("private-ip-address", &[&ip])]).await, 1);
    let err = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                filters: Some(vec![filter("no-such-filter", &["x"])]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "InvalidParameterValue");
    // Pages of 5.
    let first = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                max_results: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let n1: usize = first
        .reservations
        .iter()
        .flatten()
        .map(|r| r.instances.as_ref().unwrap().len())
        .sum();
    assert_eq!(n1, 5);
    let second = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                max_results: Some(5),
                next_token: first.next_token,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let n2: usize = second
        .reservations
        .iter()
        .flatten()
        .map(|r| r.instances.as_ref().unwrap().len())
        .sum();
    assert_eq!(n2, 2);
    assert!(second.next_token.is_none());
    // Protected, unknown and malformed ids.
    let id = made[0].instance_id.clone().unwrap();
    let err = ec2
        .terminate_instances(
            &ctx(),
            TerminateInstancesRequest {
                instance_ids: vec![id],
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "OperationNotPermitted");
    let err = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                instance_ids: Some(vec!["i-0123456789abcdef0".into()]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "InvalidInstanceID.NotFound");
    let err = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                instance_ids: Some(vec!["i-zz".into()]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(err), "InvalidInstanceID.Malformed");
}

async fn public_ip(ec2: &Ec2, id: &str) -> Option<String> {
    let out = ec2
        .describe_instances(
            &ctx(),
            DescribeInstancesRequest {
                instance_ids: Some(vec![id.into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    out.reservations.unwrap()[0].instances.as_ref().unwrap()[0]
        .public_ip_address
        .clone()
}

async fn stop_start(ec2: &Ec2, id: &str) {
    ec2.stop_instances(
        &ctx(),
        StopInstancesRequest {
            instance_ids: vec![id.into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(ec2, id, "stopped").await;
    ec2.start_instances(
        &ctx(),
        StartInstancesRequest {
            instance_ids: vec![id.into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(ec2, id, "running").await;
}

#[tokio::test]
async fn an_elastic_ip_is_the_instances_public_address_while_associated() {
    let (ec2, _host) = with_host(false);
    let [i] = launch(&ec2, run_req(1)).await.try_into().unwrap();
    let id = i.instance_id.clone().unwrap();
    assert!(i
        .public_ip_address
        .as_deref()
        .unwrap()
        .starts_with("127.88."));
    wait_state(&ec2, &id, "running").await;
    let a = ec2
        .allocate_address(&ctx(), AllocateAddressRequest::default())
        .await
        .unwrap();
    let eip = a.public_ip.clone().unwrap();
    assert!(eip.starts_with("127.89."), "{eip}");
    let assoc = ec2
        .associate_address(
            &ctx(),
            AssociateAddressRequest {
                instance_id: Some(id.clone()),
                allocation_id: a.allocation_id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .association_id
        .unwrap();
    assert_eq!(public_ip(&ec2, &id).await.as_deref(), Some(eip.as_str()));
    let release = ReleaseAddressRequest {
        allocation_id: a.allocation_id.clone(),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.release_address(&ctx(), release.clone()).await),
        "InvalidIPAddress.InUse"
    );
    // Kept across a stop and start.
    stop_start(&ec2, &id).await;
    assert_eq!(public_ip(&ec2, &id).await.as_deref(), Some(eip.as_str()));
    // Disassociated: a new address of its own; another stop/start: another new one.
    ec2.disassociate_address(
        &ctx(),
        DisassociateAddressRequest {
            association_id: Some(assoc),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let fresh = public_ip(&ec2, &id).await.unwrap();
    assert!(fresh.starts_with("127.88.") && fresh != eip, "{fresh}");
    stop_start(&ec2, &id).await;
    let again = public_ip(&ec2, &id).await.unwrap();
    assert!(again.starts_with("127.88.") && again != fresh, "{again}");
    ec2.release_address(&ctx(), release).await.unwrap();
    // Unknown instances are refused as AWS refuses them.
    let a = ec2
        .allocate_address(&ctx(), AllocateAddressRequest::default())
        .await
        .unwrap();
    let bad = AssociateAddressRequest {
        instance_id: Some("i-0123456789abcdef0".into()),
        allocation_id: a.allocation_id,
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.associate_address(&ctx(), bad).await),
        "InvalidInstanceID.NotFound"
    );
}

#[tokio::test]
async fn the_vcpu_limit_refuses_launches_beyond_it() {
    let (ec2, _host) = with_host(false);
    ec2.set_vcpu_limit(3);
    assert_eq!(launch(&ec2, run_req(2)).await.len(), 2);
    let mut t3 = run_req(1);
    t3.instance_type = Some("t3.micro".into());
    let e = ec2.run_instances(&ctx(), t3).await.unwrap_err();
    assert_eq!(e.code, "VcpuLimitExceeded");
    assert!(
        e.message.contains("current vCPU limit of 3 allows"),
        "{}",
        e.message
    );
    let mut some = run_req(1);
    some.max_count = 4;
    assert_eq!(launch(&ec2, some).await.len(), 1);
    assert_eq!(
        err_code(ec2.run_instances(&ctx(), run_req(1)).await),
        "VcpuLimitExceeded"
    );
}

#[tokio::test]
async fn volumes_kept_on_termination_stay_available_until_deleted() {
    let (ec2, host) = with_host(false);
    let kept = |dev: &str, size: Option<i32>| BlockDeviceMapping {
        device_name: Some(dev.into()),
        ebs: Some(EbsBlockDevice {
            delete_on_termination: Some(false),
            volume_size: size,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut req = run_req(1);
    req.block_device_mappings = Some(vec![kept("/dev/xvda", None), kept("/dev/sdf", Some(1))]);
    let id = launch(&ec2, req).await[0].instance_id.clone().unwrap();
    wait_state(&ec2, &id, "running").await;
    ec2.terminate_instances(
        &ctx(),
        TerminateInstancesRequest {
            instance_ids: vec![id.clone()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wait_state(&ec2, &id, "terminated").await;
    let all = DescribeVolumesRequest {
        max_results: Some(1000),
        ..Default::default()
    };
    let vols = ec2
        .describe_volumes(&ctx(), all.clone())
        .await
        .unwrap()
        .volumes
        .unwrap();
    assert_eq!(vols.len(), 2);
    assert!(vols
        .iter()
        .all(|v| v.state.as_deref() == Some("available") && v.attachments == Some(vec![])));
    let root = vols
        .iter()
        .find(|v| v.size != Some(1))
        .and_then(|v| v.volume_id.clone())
        .unwrap();
    assert!(host.calls().contains(&format!("keep {id} {root}")));
    let del = |v: &str| DeleteVolumeRequest {
        volume_id: v.into(),
        dry_run: None,
    };
    ec2.delete_volume(&ctx(), del(&root)).await.unwrap();
    assert!(host.calls().contains(&format!("delete-volume {root}")));
    assert_eq!(
        err_code(ec2.delete_volume(&ctx(), del(&root)).await),
        "InvalidVolume.NotFound"
    );
    let left = ec2
        .describe_volumes(&ctx(), all)
        .await
        .unwrap()
        .volumes
        .unwrap();
    assert_eq!(left.len(), 1);
}
