//! Durability: everything acknowledged survives a new service over the same store (in
//! memory, and on disk after the store is shut down and reopened), default VPCs stay
//! stable across restarts, and `reset` forgets memory.

mod common;

use common::*;
use nimbus_core::{Ids, ManualClock, Timestamp};
use nimbus_store::Store;
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

#[tokio::test]
async fn reset_forgets_memory() {
    let store = Store::in_memory();
    let ec2 = ec2_over(store.clone(), 1);
    let gid = create(&ec2, &ctx(), "gone").await;
    let vpc_before = ec2
        .describe_vpcs(&ctx(), Default::default())
        .await
        .unwrap()
        .vpcs;
    store.wipe().unwrap();
    ec2.reset();
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
