//! Images, instance types and launch templates through the handlers: the catalogue as the
//! seed's console flow finds it, register/copy/deregister with visibility per account,
//! instance type lookups, launch template versions and `resolve:ssm:`, the read APIs other
//! parts of Nimbus use, and durability of all of it over the same store.

mod common;

use common::*;
use nimbus_store::Store;
use svc_ec2::generated::*;
use svc_ec2::Ec2;

async fn amazon_linux_2(ec2: &Ec2, region: &str) -> Image {
    let mut out = ec2
        .describe_images(
            &ctx_in(ACCOUNT, region),
            DescribeImagesRequest {
                owners: Some(vec!["amazon".into()]),
                filters: Some(vec![filter("name", &["amzn2-ami-hvm-*-x86_64-gp2"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .images
        .unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

async fn register(ec2: &Ec2, ctx: &nimbus_core::RequestContext, name: &str, snap: &str) -> String {
    ec2.register_image(
        ctx,
        RegisterImageRequest {
            name: name.into(),
            root_device_name: Some("/dev/xvda".into()),
            block_device_mappings: Some(vec![BlockDeviceMapping {
                device_name: Some("/dev/xvda".into()),
                ebs: Some(EbsBlockDevice {
                    snapshot_id: Some(snap.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .image_id
    .unwrap()
}

#[tokio::test]
async fn catalogue_and_own_images() {
    let ec2 = ec2();
    let al2 = amazon_linux_2(&ec2, "us-east-1").await;
    assert_eq!(al2.image_owner_alias.as_deref(), Some("amazon"));
    let snap = al2.block_device_mappings.as_ref().unwrap()[0]
        .ebs
        .as_ref()
        .unwrap()
        .snapshot_id
        .clone()
        .unwrap();
    let mine = register(&ec2, &ctx(), "my-image", &snap).await;
    assert_eq!(
        ec2.image_base(ACCOUNT, "us-east-1", &mine).as_deref(),
        al2.name.as_deref()
    );
    // Another account does not see a private image.
    let other = ctx_in("111122223333", "us-east-1");
    let err = ec2
        .describe_images(
            &other,
            DescribeImagesRequest {
                image_ids: Some(vec![mine.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidAMIID.NotFound");
    assert_eq!(ec2.image_base("111122223333", "us-east-1", &mine), None);
    let err = ec2
        .deregister_image(
            &ctx(),
            DeregisterImageRequest {
                image_id: al2.image_id.clone().unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "AuthFailure");
    let malformed = ec2
        .describe_images(
            &ctx(),
            DescribeImagesRequest {
                image_ids: Some(vec!["ami-xyz".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(malformed.code, "InvalidAMIID.Malformed");
}

#[tokio::test]
async fn instance_types_by_name() {
    let ec2 = ec2();
    let out = ec2
        .describe_instance_types(
            &ctx(),
            DescribeInstanceTypesRequest {
                instance_types: Some(vec!["c5.large".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .instance_types
        .unwrap();
    let c5 = &out[0];
    assert_eq!(c5.v_cpu_info.as_ref().unwrap().default_v_cpus, Some(2));
    assert_eq!(c5.memory_info.as_ref().unwrap().size_in_mi_b, Some(4096));
    let t = svc_ec2::instance_types::lookup("r5.xlarge").unwrap();
    assert_eq!((t.vcpus, t.memory_mib), (4, 32768));
    let err = ec2
        .describe_instance_types(
            &ctx(),
            DescribeInstanceTypesRequest {
                instance_types: Some(vec!["z9.huge".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidInstanceType");
}

fn data(instance_type: &str) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData {
        instance_type: Some(instance_type.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn launch_template_versions_and_read_api() {
    let store = Store::in_memory();
    let ec2 = ec2_over(store.clone(), 1);
    let created = ec2
        .create_launch_template(
            &ctx(),
            CreateLaunchTemplateRequest {
                launch_template_name: "web".into(),
                launch_template_data: RequestLaunchTemplateData {
                    image_id: Some(
                        "resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
                            .into(),
                    ),
                    key_name: Some("k".into()),
                    ..data("t2.micro")
                },
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .launch_template
        .unwrap();
    let id = created.launch_template_id.unwrap();
    ec2.create_launch_template_version(
        &ctx(),
        CreateLaunchTemplateVersionRequest {
            launch_template_id: Some(id.clone()),
            source_version: Some("$Latest".into()),
            launch_template_data: data("t3.micro"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let al2 = amazon_linux_2(&ec2, "us-east-1").await.image_id;
    // Default (1) through the read API, by name: the image resolved.
    let (tid, n, d) = ec2
        .launch_template_data(ACCOUNT, "us-east-1", "web", None)
        .unwrap();
    assert_eq!((tid.as_str(), n), (id.as_str(), 1));
    assert_eq!(d.image_id, al2);
    assert_eq!(d.instance_type.as_deref(), Some("t2.micro"));
    let (_, n, d) = ec2
        .launch_template_data(ACCOUNT, "us-east-1", &id, Some("$Latest"))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(d.instance_type.as_deref(), Some("t3.micro"));
    assert_eq!(
        d.key_name.as_deref(),
        Some("k"),
        "inherited from the source version"
    );
    let err = ec2
        .launch_template_data(ACCOUNT, "us-east-1", &id, Some("7"))
        .unwrap_err();
    assert_eq!(err.code, "InvalidLaunchTemplateId.VersionNotFound");

    // A new service over the same store sees the same templates.
    let again = ec2_over(store, 2);
    let (_, n, _) = again
        .launch_template_data(ACCOUNT, "us-east-1", "web", Some("$Latest"))
        .unwrap();
    assert_eq!(n, 2);
    let dup = again
        .create_launch_template(
            &ctx(),
            CreateLaunchTemplateRequest {
                launch_template_name: "web".into(),
                launch_template_data: data("t2.micro"),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dup.code, "InvalidLaunchTemplateName.AlreadyExistsException");
}

#[tokio::test]
async fn tags_plug_point_finds_resources_by_id_prefix() {
    let ec2 = ec2();
    let key = ec2
        .create_key_pair(
            &ctx(),
            CreateKeyPairRequest {
                key_name: "tagme".into(),
                key_type: Some("ed25519".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key_pair_id
        .unwrap();
    let found = ec2
        .retag_def_resource(ACCOUNT, "us-east-1", &key, |tags| {
            tags.push(svc_ec2::TagRec {
                key: "env".into(),
                value: "prod".into(),
            });
            Ok(())
        })
        .await
        .unwrap();
    assert!(found);
    let missing = ec2
        .retag_def_resource(ACCOUNT, "us-east-1", "lt-0123456789abcdef0", |_| Ok(()))
        .await
        .unwrap();
    assert!(!missing);
    let all = ec2.def_resource_tags(ACCOUNT, "us-east-1");
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].0.as_str(), all[0].1), (key.as_str(), "key-pair"));
    assert_eq!(all[0].2[0].key, "env");
    let described = ec2
        .describe_key_pairs(
            &ctx(),
            DescribeKeyPairsRequest {
                filters: Some(vec![filter("tag:env", &["prod"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key_pairs
        .unwrap();
    assert_eq!(described.len(), 1);
}
