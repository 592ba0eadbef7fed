//! What EC2's generated access functions ask about request tags
//! (`codegen/authorization/ec2.json`): `CreateSecurityGroup` with `TagSpecifications` carries
//! `aws:RequestTag/<key>` per tag and `aws:TagKeys`, as the Service Authorization Reference
//! lists for the security-group resource
//! (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html>).

use nimbus_wire::testing::context;
use svc_ec2::generated::*;

fn tag(key: &str, value: Option<&str>) -> Tag {
    Tag {
        key: Some(key.into()),
        value: value.map(Into::into),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn create_security_group_carries_the_tags_of_its_specifications() {
    let input = CreateSecurityGroupRequest {
        group_name: "web".into(),
        description: "web".into(),
        vpc_id: Some("vpc-1".into()),
        tag_specifications: Some(vec![
            TagSpecification {
                resource_type: Some("security-group".into()),
                tags: Some(vec![tag("team", Some("red")), tag("env", Some("prod"))]),
            },
            TagSpecification {
                resource_type: Some("security-group".into()),
                tags: Some(vec![tag("owner", Some("ops"))]),
            },
        ]),
        ..Default::default()
    };
    let a = access::create_security_group(&context(), &input);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].action, "ec2:CreateSecurityGroup");
    for (k, v) in [("team", "red"), ("env", "prod"), ("owner", "ops")] {
        assert_eq!(
            a[0].condition(&format!("aws:RequestTag/{k}")),
            Some(&strings(&[v])[..]),
            "{k}"
        );
    }
    assert_eq!(
        a[0].condition("aws:TagKeys"),
        Some(&strings(&["team", "env", "owner"])[..])
    );
    assert_eq!(
        a[0].condition("ec2:Vpc"),
        Some(&strings(&["arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"])[..])
    );

    let untagged = CreateSecurityGroupRequest {
        tag_specifications: None,
        ..input
    };
    let a = access::create_security_group(&context(), &untagged);
    assert!(a[0]
        .conditions
        .iter()
        .all(|(k, _)| !k.starts_with("aws:RequestTag/") && k != "aws:TagKeys"));
}
