//! Durability: everything acknowledged survives a new service over the same store (in
//! memory, and on disk after the store is shut down and reopened), default VPCs stay
//! stable across restarts, and `reset` empties memory and the store together, also while
//! writes race it.

mod common;

use common::*;
use nimbus_core::{Ids, ManualClock, Timestamp};
use nimbus_store::Store;
use nimbus_wire::{ResetError, ResetStep};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use svc_ec2::generated::*;

#[tokio::test]
async fn state_survives_a_new_service_over_the_same_store() {
    let store = Store::in_memory();
    let first = ec2_over(store.clone(), 1);
    let a = create(&first, &ctx(), "durable-a").await;
    let b = create(&first, &ctx(), "durable-b").await;
    first
        .authorize_security_group_ingress(&ctx(), legacy_ingress(&a, "tcp", 443, "0.0.0.0/0"))
        .await
        .unwrap();
    first
        .delete_security_group(
            &ctx(),
            DeleteSecurityGroupRequest {
                group_id: Some(b.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let vpc_before = first
        .describe_vpcs(&ctx(), Default::default())
        .await
        .unwrap()
        .vpcs;
    let a_before = describe_one(&first, &ctx(), &a).await;
    drop(first);

    // A different id seed: anything regenerated instead of loaded would differ.
    let second = ec2_over(store, 2);
    assert_eq!(describe_one(&second, &ctx(), &a).await, a_before);
    assert_eq!(
        describe_ids(&second, &ctx(), &[&b]).await.unwrap_err().code,
        "InvalidGroup.NotFound"
    );
    let vpc_after = second
        .describe_vpcs(&ctx(), Default::default())
        .await
        .unwrap()
        .vpcs;
    assert_eq!(vpc_after, vpc_before);
    let all = second
        .describe_security_groups(&ctx(), Default::default())
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert_eq!(all.len(), 2, "default + durable-a");
}

#[tokio::test]
async fn state_survives_reopening_the_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let (gid, vpc) = {
        let store = Store::open_dir(dir.path()).unwrap();
        let ec2 = ec2_over(store.clone(), 1);
        let gid = create(&ec2, &ctx(), "on-disk").await;
        let vpc = ec2
            .describe_vpcs(&ctx(), Default::default())
            .await
            .unwrap()
            .vpcs;
        drop(ec2);
        store.shutdown();
        (gid, vpc)
    };
    let store = Store::open_dir(dir.path()).unwrap();
    // Through the public entry point the binary uses.
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_700_000_000)));
    assert!(svc_ec2::service(store.clone(), clock, Arc::new(Ids::from_seed(3))).is_ok());
    let ec2 = ec2_over(store, 3);
    assert_eq!(
        describe_one(&ec2, &ctx(), &gid).await.group_name.as_deref(),
        Some("on-disk")
    );
    assert_eq!(
        ec2.describe_vpcs(&ctx(), Default::default())
            .await
            .unwrap()
            .vpcs,
        vpc
    );
}

fn wipe(store: &Store) -> ResetStep<'_> {
    Box::pin(async move {
        store
            .wipe_async()
            .await
            .map_err(|e| ResetError(e.to_string()))
    })
}

/// Every VPC, group and networking record id in memory, sorted (read without creating
/// defaults).
fn all_ids(ec2: &svc_ec2::Ec2) -> Vec<String> {
    ec2.read_state(|st| {
        let mut v: Vec<String> = st
            .scopes
            .values()
            .flat_map(|s| {
                s.vpcs
                    .keys()
                    .chain(s.groups.keys())
                    .chain(s.net.subnets.keys())
                    .chain(s.net.igws.keys())
                    .chain(s.net.route_tables.keys())
                    .chain(s.net.acls.keys())
                    .chain(s.net.dhcp_options.keys())
                    .chain(s.net.addresses.keys())
                    .chain(s.net.enis.keys())
                    .cloned()
            })
            .collect();
        v.sort();
        v
    })
}

#[tokio::test]
async fn reset_forgets_memory_and_store() {
    let store = Store::in_memory();
    let ec2 = ec2_over(store.clone(), 1);
    let gid = create(&ec2, &ctx(), "gone").await;
    let vpc_before = ec2
        .describe_vpcs(&ctx(), Default::default())
        .await
        .unwrap()
        .vpcs;
    ec2.reset(wipe(&store)).await.unwrap();
    assert!(all_ids(&ec2).is_empty());
    assert!(all_ids(&ec2_over(store.clone(), 2)).is_empty());
    assert_eq!(
        describe_ids(&ec2, &ctx(), &[&gid]).await.unwrap_err().code,
        "InvalidGroup.NotFound"
    );
    // A fresh default VPC appears on demand.
    let vpc_after = ec2
        .describe_vpcs(&ctx(), Default::default())
        .await
        .unwrap()
        .vpcs;
    assert_ne!(vpc_after, vpc_before);
    assert_eq!(vpc_after.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_reset_keeps_everything() {
    let store = Store::in_memory();
    let ec2 = ec2_over(store.clone(), 1);
    let gid = create(&ec2, &ctx(), "kept").await;
    let before = all_ids(&ec2);
    let failing: ResetStep<'_> = Box::pin(async { Err(ResetError("disk on fire".into())) });
    assert!(ec2.reset(failing).await.is_err());
    assert_eq!(all_ids(&ec2), before);
    assert_eq!(all_ids(&ec2_over(store, 2)), before);
    describe_one(&ec2, &ctx(), &gid).await;
}

/// Creates (each first creating its scope's default VPC and group when a reset removed
/// them) racing resets: after every reset, once the creates in flight have finished, memory
/// holds exactly what the store holds, and no create ever fails. Before resets held the
/// writers back, a write landing between the memory clear and the store wipe stayed in
/// memory but was wiped from disk (this failed within ~50 rounds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_racing_creates_leave_memory_and_store_agreeing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).unwrap();
    let ec2 = Arc::new(ec2_over(store.clone(), 1));
    let stop = Arc::new(AtomicBool::new(false));
    // Creates hold it shared for their whole call; the checker takes it to let them finish.
    let gate = Arc::new(tokio::sync::RwLock::new(()));
    let creators: Vec<_> = (0..6)
        .map(|t| {
            let (ec2, stop, gate) = (ec2.clone(), stop.clone(), gate.clone());
            tokio::spawn(async move {
                let ctx = ctx_in(ACCOUNT, ["us-east-1", "eu-west-1"][t % 2]);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let _in_flight = gate.read().await;
                    ec2.create_security_group(
                        &ctx,
                        CreateSecurityGroupRequest {
                            group_name: format!("race-{t}-{i}"),
                            description: "d".into(),
                            ..Default::default()
                        },
                    )
                    .await
                    .expect("a reset never makes a create fail");
                    i += 1;
                }
            })
        })
        .collect();
    for round in 0..300 {
        tokio::time::sleep(std::time::Duration::from_micros(300)).await;
        ec2.reset(wipe(&store)).await.unwrap();
        let _quiet = gate.write().await;
        assert_eq!(
            all_ids(&ec2),
            all_ids(&ec2_over(store.clone(), 2)),
            "memory and store disagree after reset {round}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for c in creators {
        c.await.unwrap();
    }
}

/// Networking (subnets with taken addresses, gateways, routes, tags, addresses, interfaces)
/// comes back from disk exactly, and a deleted default VPC stays deleted.
#[tokio::test]
async fn networking_survives_reopening_the_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let region = "eu-west-2";
    let c = ctx_in(ACCOUNT, region);
    let (ids, subnets, tables, tags) = {
        let store = Store::open_dir(dir.path()).unwrap();
        let ec2 = ec2_over(store.clone(), 1);
        let vpc = ec2
            .create_vpc(
                &c,
                CreateVpcRequest {
                    cidr_block: Some("10.8.0.0/16".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .vpc
            .unwrap()
            .vpc_id
            .unwrap();
        let subnet = ec2
            .create_subnet(
                &c,
                CreateSubnetRequest {
                    vpc_id: vpc.clone(),
                    cidr_block: Some("10.8.1.0/24".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .subnet
            .unwrap()
            .subnet_id
            .unwrap();
        ec2.add_network_interface(
            ACCOUNT,
            region,
            svc_ec2::NewInterface {
                subnet_id: subnet.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ec2.create_tags(
            &c,
            CreateTagsRequest {
                dry_run: None,
                resources: vec![vpc.clone(), subnet.clone()],
                tags: vec![Tag {
                    key: Some("k".into()),
                    value: Some("v".into()),
                }],
            },
        )
        .await
        .unwrap();
        ec2.allocate_address(&c, Default::default()).await.unwrap();
        let snapshot = (
            all_ids(&ec2),
            ec2.describe_subnets(&c, Default::default()).await.unwrap(),
            ec2.describe_route_tables(&c, Default::default())
                .await
                .unwrap(),
            ec2.describe_tags(&c, Default::default()).await.unwrap(),
        );
        drop(ec2);
        store.shutdown();
        snapshot
    };
    let store = Store::open_dir(dir.path()).unwrap();
    let ec2 = ec2_over(store, 9);
    assert_eq!(all_ids(&ec2), ids);
    assert_eq!(
        ec2.describe_subnets(&c, Default::default()).await.unwrap(),
        subnets
    );
    assert_eq!(
        ec2.describe_route_tables(&c, Default::default())
            .await
            .unwrap(),
        tables
    );
    assert_eq!(
        ec2.describe_tags(&c, Default::default()).await.unwrap(),
        tags
    );
    let counts: Vec<i32> = subnets
        .subnets
        .unwrap()
        .iter()
        .filter_map(|s| s.available_ip_address_count)
        .collect();
    assert!(
        counts.contains(&250),
        "the interface's address stays taken: {counts:?}"
    );
}
