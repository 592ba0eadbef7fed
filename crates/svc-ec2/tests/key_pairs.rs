//! Key pairs through the handlers: create (rsa and ed25519) and import, names unique per
//! (account, region), describe by name/id/filter with and without the public key, delete by
//! name (idempotent) and id, durability over the same store, reset, and the public key read
//! API the instance runtime uses.

mod common;

use bytes::Bytes;
use common::*;
use nimbus_store::Store;
use svc_ec2::generated::*;

async fn create_key(ec2: &svc_ec2::Ec2, name: &str, kind: &str) -> KeyPair {
    ec2.create_key_pair(
        &ctx(),
        CreateKeyPairRequest {
            key_name: name.into(),
            key_type: Some(kind.into()),
            ..Default::default()
        },
    )
    .await
    .expect("create key pair")
}

#[tokio::test]
async fn create_describe_delete() {
    let ec2 = ec2();
    let rsa = create_key(&ec2, "a-rsa", "rsa").await;
    let ed = create_key(&ec2, "b-ed", "ed25519").await;
    assert!(rsa.key_material.unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(ed.key_pair_id.as_deref().unwrap().starts_with("key-"));
    let dup = ec2
        .create_key_pair(
            &ctx(),
            CreateKeyPairRequest {
                key_name: "a-rsa".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dup.code, "InvalidKeyPair.Duplicate");
    // Same name in another region is another key pair.
    ec2.create_key_pair(
        &ctx_in(ACCOUNT, "eu-west-1"),
        CreateKeyPairRequest {
            key_name: "a-rsa".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let all = ec2
        .describe_key_pairs(&ctx(), Default::default())
        .await
        .unwrap()
        .key_pairs
        .unwrap();
    assert_eq!(
        all.iter().map(|k| k.key_name.clone().unwrap()).collect::<Vec<_>>(),
        ["a-rsa", "b-ed"]
    );
    assert!(all.iter().all(|k| k.public_key.is_none()));
    let typed = ec2
        .describe_key_pairs(
            &ctx(),
            DescribeKeyPairsRequest {
                filters: Some(vec![filter("key-type", &["ed25519"])]),
                include_public_key: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key_pairs
        .unwrap();
    assert_eq!(typed.len(), 1);
    assert!(typed[0].public_key.as_deref().unwrap().starts_with("ssh-ed25519 AAAA"));
    assert_eq!(
        ec2.key_pair_public_key(ACCOUNT, "us-east-1", "b-ed"),
        typed[0].public_key
    );
    assert_eq!(ec2.key_pair_public_key(ACCOUNT, "us-west-2", "b-ed"), None);

    let gone = ec2
        .delete_key_pair(
            &ctx(),
            DeleteKeyPairRequest {
                key_pair_id: ed.key_pair_id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(gone.key_pair_id, ed.key_pair_id);
    let again = ec2
        .delete_key_pair(
            &ctx(),
            DeleteKeyPairRequest {
                key_name: Some("b-ed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((again.r#return, again.key_pair_id), (Some(true), None));
    let err = ec2
        .delete_key_pair(
            &ctx(),
            DeleteKeyPairRequest {
                key_pair_id: ed.key_pair_id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidKeyPair.NotFound");
}

#[tokio::test]
async fn import_checks_material() {
    let ec2 = ec2();
    let made = create_key(&ec2, "src", "ed25519").await;
    let public = ec2.key_pair_public_key(ACCOUNT, "us-east-1", "src").unwrap();
    let imported = ec2
        .import_key_pair(
            &ctx(),
            ImportKeyPairRequest {
                key_name: "copy".into(),
                public_key_material: Bytes::from(public.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(imported.key_fingerprint, made.key_fingerprint);
    let bad = ec2
        .import_key_pair(
            &ctx(),
            ImportKeyPairRequest {
                key_name: "bad".into(),
                public_key_material: Bytes::from_static(b"ssh-dss AAAAB3NzaC1kc3M="),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "InvalidKeyPair.Format");
}

#[tokio::test]
async fn key_pairs_are_durable_and_reset() {
    let store = Store::in_memory();
    let first = ec2_over(store.clone(), 1);
    let k = create_key(&first, "kept", "rsa").await;
    let second = ec2_over(store.clone(), 2);
    let seen = second
        .describe_key_pairs(
            &ctx(),
            DescribeKeyPairsRequest {
                key_names: Some(vec!["kept".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key_pairs
        .unwrap();
    assert_eq!(seen[0].key_fingerprint, k.key_fingerprint);
    use nimbus_wire::Service;
    let router = svc_ec2::generated::Router(second);
    router.reset(Box::pin(async { Ok(()) })).await.unwrap();
    let after = router
        .0
        .describe_key_pairs(&ctx(), Default::default())
        .await
        .unwrap();
    assert_eq!(after.key_pairs.unwrap().len(), 0);
}
