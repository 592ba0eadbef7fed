//! The AWS managed policies Nimbus knows, under `arn:aws:iam::aws:policy/...`: every
//! account can attach them, nobody can change them. Each document, default version and
//! creation/edit time is the one the AWS Managed Policy Reference publishes
//! (<https://docs.aws.amazon.com/aws-managed-policy/latest/reference/>); a policy whose
//! current document could not be reproduced faithfully is left out rather than
//! approximated (`ReadOnlyAccess`, `AmazonEC2FullAccess`, `AmazonEC2ReadOnlyAccess`,
//! `CloudWatchFullAccess`, `CloudWatchReadOnlyAccess`, `ElasticLoadBalancingFullAccess`
//! for now). AWS's real policy ids are not published, so each gets a stable `ANPA` id
//! derived from its name. This module owns the catalogue only; attaching is `handlers`'.

use nimbus_core::Timestamp;

/// One AWS managed policy.
#[derive(Debug)]
pub struct AwsPolicy {
    pub name: &'static str,
    pub description: &'static str,
    /// The default version's id.
    pub version: &'static str,
    /// (year, month, day, hour, minute) UTC, as the reference gives them.
    pub created: (i64, u32, u32, u32, u32),
    pub updated: (i64, u32, u32, u32, u32),
    pub document: &'static str,
}

impl AwsPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy/{}", self.name)
    }

    /// A stable `ANPA` + 17 base32 characters id derived from the name (FNV-1a).
    pub fn id(&self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let fnv = |basis: u64| {
            self.name.bytes().fold(basis, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        };
        // Two differently seeded hashes: 17 base32 characters need 85 bits.
        let (mut a, mut b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x9e37_79b9_7f4a_7c15));
        let mut s = String::from("ANPA");
        for i in 0..17 {
            let h = if i < 12 { &mut a } else { &mut b };
            s.push(A[(*h % 32) as usize] as char);
            *h /= 32;
        }
        s
    }

    pub fn created_ms(&self) -> i64 {
        at(self.created)
    }

    pub fn updated_ms(&self) -> i64 {
        at(self.updated)
    }
}

fn at((y, mo, d, h, mi): (i64, u32, u32, u32, u32)) -> i64 {
    Timestamp::from_civil(y, mo, d, h, mi, 0, 0).0
}

/// The catalogue, by name.
pub static POLICIES: &[AwsPolicy] = &[
    AwsPolicy {
        name: "AdministratorAccess",
        description: "Provides full access to AWS services and resources.",
        version: "v1",
        created: (2015, 2, 6, 18, 39),
        updated: (2015, 2, 6, 18, 39),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "PowerUserAccess",
        description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        version: "v12",
        created: (2015, 2, 6, 18, 39),
        updated: (2026, 2, 12, 17, 59),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "IAMFullAccess",
        description: "Provides full access to IAM via the AWS Management Console.",
        version: "v2",
        created: (2015, 2, 6, 18, 40),
        updated: (2019, 6, 21, 19, 40),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "IAMReadOnlyAccess",
        description: "Provides read only access to IAM via the AWS Management Console.",
        version: "v4",
        created: (2015, 2, 6, 18, 40),
        updated: (2018, 1, 25, 19, 11),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonS3FullAccess",
        description: "Provides full access to all buckets via the AWS Management Console.",
        version: "v2",
        created: (2015, 2, 6, 18, 40),
        updated: (2021, 9, 27, 20, 16),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonS3ReadOnlyAccess",
        description: "Provides read only access to all buckets via the AWS Management Console.",
        version: "v3",
        created: (2015, 2, 6, 18, 40),
        updated: (2023, 8, 10, 21, 31),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AutoScalingFullAccess",
        description: "Provides full access to Auto Scaling.",
        version: "v2",
        created: (2017, 1, 12, 19, 31),
        updated: (2018, 2, 6, 21, 59),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"autoscaling:*","Resource":"*"},{"Effect":"Allow","Action":"cloudwatch:PutMetricAlarm","Resource":"*"},{"Effect":"Allow","Action":["ec2:DescribeAccountAttributes","ec2:DescribeAvailabilityZones","ec2:DescribeImages","ec2:DescribeInstanceAttribute","ec2:DescribeInstances","ec2:DescribeKeyPairs","ec2:DescribeLaunchTemplateVersions","ec2:DescribePlacementGroups","ec2:DescribeSecurityGroups","ec2:DescribeSpotInstanceRequests","ec2:DescribeSubnets","ec2:DescribeVpcClassicLink"],"Resource":"*"},{"Effect":"Allow","Action":["elasticloadbalancing:DescribeLoadBalancers","elasticloadbalancing:DescribeTargetGroups"],"Resource":"*"},{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}]}"#,
    },
];

/// The AWS managed policy with this ARN.
pub fn by_arn(arn: &str) -> Option<&'static AwsPolicy> {
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    POLICIES.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_iam_policy::{Policy, PolicyKind};

    #[test]
    fn every_document_is_a_valid_managed_policy() {
        for p in POLICIES {
            Policy::parse(p.document, PolicyKind::Managed)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert!(p.updated_ms() >= p.created_ms() && p.created_ms() > 0);
        }
    }

    #[test]
    fn ids_are_stable_distinct_and_well_formed() {
        let ids: Vec<String> = POLICIES.iter().map(AwsPolicy::id).collect();
        for id in &ids {
            assert_eq!(id.len(), 21);
            assert!(id.starts_with("ANPA"));
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(POLICIES[0].id(), POLICIES[0].id());
        assert!(by_arn("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(by_arn("arn:aws:iam::aws:policy/Nope").is_none());
    }
}
