//! Which resource type each S3 IAM action applies to, for the bucket-policy checks "Policy
//! has invalid action" (not an S3 action) and "Action does not apply to any resource(s)
//! in statement" (an action whose resource type the statement's `Resource` does not name).
//! Only those two checks read this table; authorization facts per operation live in
//! `codegen/authorization/s3.json`.
//!
//! Source: the Service Authorization Reference, "Actions defined by Amazon S3"
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>),
//! column "Resource types". Actions whose resource is an access point, Object Lambda or
//! Multi-Region Access Point, batch job, Storage Lens configuration or group, or an Access
//! Grants resource — or no resource at all (`*`) — can never apply to the bucket and object
//! ARNs a bucket policy may name, so they are [`Scope::Elsewhere`].

/// What an S3 action can be granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `arn:aws:s3:::bucket`.
    Bucket,
    /// `arn:aws:s3:::bucket/key`.
    Object,
    /// Both (`s3:TagResource` and friends, which take a bucket among other types).
    BucketOrObject,
    /// Neither: an account-level action or one on another resource type.
    Elsewhere,
}

impl Scope {
    pub(crate) fn bucket(self) -> bool {
        matches!(self, Scope::Bucket | Scope::BucketOrObject)
    }

    pub(crate) fn object(self) -> bool {
        matches!(self, Scope::Object | Scope::BucketOrObject)
    }
}

use Scope::{Bucket as B, BucketOrObject as BO, Elsewhere as E, Object as O};

/// The S3 actions (without the `s3:` prefix) and their scopes.
pub(crate) const ACTIONS: &[(&str, Scope)] = &[
    ("AbortMultipartUpload", O),
    ("AssociateAccessGrantsIdentityCenter", E),
    ("BypassGovernanceRetention", O),
    ("CreateAccessGrant", E),
    ("CreateAccessGrantsInstance", E),
    ("CreateAccessGrantsLocation", E),
    ("CreateAccessPoint", E),
    ("CreateAccessPointForObjectLambda", E),
    ("CreateBucket", B),
    ("CreateBucketMetadataTableConfiguration", B),
    ("CreateJob", E),
    ("CreateMultiRegionAccessPoint", E),
    ("CreateStorageLensGroup", E),
    ("DeleteAccessGrant", E),
    ("DeleteAccessGrantsInstance", E),
    ("DeleteAccessGrantsInstanceResourcePolicy", E),
    ("DeleteAccessGrantsLocation", E),
    ("DeleteAccessPoint", E),
    ("DeleteAccessPointForObjectLambda", E),
    ("DeleteAccessPointPolicy", E),
    ("DeleteAccessPointPolicyForObjectLambda", E),
    ("DeleteBucket", B),
    ("DeleteBucketMetadataTableConfiguration", B),
    ("DeleteBucketOwnershipControls", B),
    ("DeleteBucketPolicy", B),
    ("DeleteBucketWebsite", B),
    ("DeleteJobTagging", E),
    ("DeleteMultiRegionAccessPoint", E),
    ("DeleteObject", O),
    ("DeleteObjectTagging", O),
    ("DeleteObjectVersion", O),
    ("DeleteObjectVersionTagging", O),
    ("DeleteStorageLensConfiguration", E),
    ("DeleteStorageLensConfigurationTagging", E),
    ("DeleteStorageLensGroup", E),
    ("DescribeJob", E),
    ("DescribeMultiRegionAccessPointOperation", E),
    ("DissociateAccessGrantsIdentityCenter", E),
    ("GetAccelerateConfiguration", B),
    ("GetAccessGrant", E),
    ("GetAccessGrantsInstance", E),
    ("GetAccessGrantsInstanceForPrefix", E),
    ("GetAccessGrantsInstanceResourcePolicy", E),
    ("GetAccessGrantsLocation", E),
    ("GetAccessPoint", E),
    ("GetAccessPointConfigurationForObjectLambda", E),
    ("GetAccessPointForObjectLambda", E),
    ("GetAccessPointPolicy", E),
    ("GetAccessPointPolicyForObjectLambda", E),
    ("GetAccessPointPolicyStatus", E),
    ("GetAccessPointPolicyStatusForObjectLambda", E),
    ("GetAccountPublicAccessBlock", E),
    ("GetAnalyticsConfiguration", B),
    ("GetBucketAbac", B),
    ("GetBucketAcl", B),
    ("GetBucketCORS", B),
    ("GetBucketLocation", B),
    ("GetBucketLogging", B),
    ("GetBucketMetadataTableConfiguration", B),
    ("GetBucketNotification", B),
    ("GetBucketObjectLockConfiguration", B),
    ("GetBucketOwnershipControls", B),
    ("GetBucketPolicy", B),
    ("GetBucketPolicyStatus", B),
    ("GetBucketPublicAccessBlock", B),
    ("GetBucketRequestPayment", B),
    ("GetBucketTagging", B),
    ("GetBucketVersioning", B),
    ("GetBucketWebsite", B),
    ("GetDataAccess", E),
    ("GetEncryptionConfiguration", B),
    ("GetIntelligentTieringConfiguration", B),
    ("GetInventoryConfiguration", B),
    ("GetJobTagging", E),
    ("GetLifecycleConfiguration", B),
    ("GetMetricsConfiguration", B),
    ("GetMultiRegionAccessPoint", E),
    ("GetMultiRegionAccessPointPolicy", E),
    ("GetMultiRegionAccessPointPolicyStatus", E),
    ("GetMultiRegionAccessPointRoutes", E),
    ("GetObject", O),
    ("GetObjectAcl", O),
    ("GetObjectAttributes", O),
    ("GetObjectLegalHold", O),
    ("GetObjectRetention", O),
    ("GetObjectTagging", O),
    ("GetObjectTorrent", O),
    ("GetObjectVersion", O),
    ("GetObjectVersionAcl", O),
    ("GetObjectVersionAttributes", O),
    ("GetObjectVersionForReplication", O),
    ("GetObjectVersionTagging", O),
    ("GetObjectVersionTorrent", O),
    ("GetReplicationConfiguration", B),
    ("GetStorageLensConfiguration", E),
    ("GetStorageLensConfigurationTagging", E),
    ("GetStorageLensDashboard", E),
    ("GetStorageLensGroup", E),
    ("InitiateReplication", O),
    ("ListAccessGrants", E),
    ("ListAccessGrantsInstances", E),
    ("ListAccessGrantsLocations", E),
    ("ListAccessPoints", E),
    ("ListAccessPointsForObjectLambda", E),
    ("ListAllMyBuckets", E),
    ("ListBucket", B),
    ("ListBucketMultipartUploads", B),
    ("ListBucketVersions", B),
    ("ListCallerAccessGrants", E),
    ("ListJobs", E),
    ("ListMultiRegionAccessPoints", E),
    ("ListMultipartUploadParts", O),
    ("ListStorageLensConfigurations", E),
    ("ListStorageLensGroups", E),
    ("ListTagsForResource", B),
    ("ObjectOwnerOverrideToBucketOwner", O),
    ("PauseReplication", B),
    ("PutAccelerateConfiguration", B),
    ("PutAccessGrantsInstanceResourcePolicy", E),
    ("PutAccessPointConfigurationForObjectLambda", E),
    ("PutAccessPointPolicy", E),
    ("PutAccessPointPolicyForObjectLambda", E),
    ("PutAccessPointPublicAccessBlock", E),
    ("PutAccountPublicAccessBlock", E),
    ("PutAnalyticsConfiguration", B),
    ("PutBucketAbac", B),
    ("PutBucketAcl", B),
    ("PutBucketCORS", B),
    ("PutBucketLogging", B),
    ("PutBucketNotification", B),
    ("PutBucketObjectLockConfiguration", B),
    ("PutBucketOwnershipControls", B),
    ("PutBucketPolicy", B),
    ("PutBucketPublicAccessBlock", B),
    ("PutBucketRequestPayment", B),
    ("PutBucketTagging", B),
    ("PutBucketVersioning", B),
    ("PutBucketWebsite", B),
    ("PutEncryptionConfiguration", B),
    ("PutIntelligentTieringConfiguration", B),
    ("PutInventoryConfiguration", B),
    ("PutJobTagging", E),
    ("PutLifecycleConfiguration", B),
    ("PutMetricsConfiguration", B),
    ("PutMultiRegionAccessPointPolicy", E),
    ("PutObject", O),
    ("PutObjectAcl", O),
    ("PutObjectLegalHold", O),
    ("PutObjectRetention", O),
    ("PutObjectTagging", O),
    ("PutObjectVersionAcl", O),
    ("PutObjectVersionTagging", O),
    ("PutReplicationConfiguration", B),
    ("PutStorageLensConfiguration", E),
    ("PutStorageLensConfigurationTagging", E),
    ("ReplicateDelete", O),
    ("ReplicateObject", O),
    ("ReplicateTags", O),
    ("RestoreObject", O),
    ("SubmitMultiRegionAccessPointRoutes", E),
    ("TagResource", BO),
    ("UntagResource", BO),
    ("UpdateAccessGrantsLocation", E),
    ("UpdateBucketMetadataInventoryTableConfiguration", B),
    ("UpdateBucketMetadataJournalTableConfiguration", B),
    ("UpdateJobPriority", E),
    ("UpdateJobStatus", E),
    ("UpdateStorageLensGroup", E),
];

/// The scopes of the S3 actions an `Action` entry names (`s3:GetObject`, `s3:Get*`,
/// `s3:*`, `*`), case-insensitively as IAM matches actions. Empty when the entry names no
/// S3 action: another service's action, or an S3 name that does not exist.
pub(crate) fn scopes_of(entry: &str) -> Vec<Scope> {
    if entry == "*" {
        return ACTIONS.iter().map(|(_, s)| *s).collect();
    }
    let Some((vendor, name)) = entry.split_once(':') else {
        return Vec::new();
    };
    if !vendor.eq_ignore_ascii_case("s3") {
        return Vec::new();
    }
    let pattern = name.to_ascii_lowercase();
    ACTIONS
        .iter()
        .filter(|(a, _)| glob(pattern.as_bytes(), a.to_ascii_lowercase().as_bytes()))
        .map(|(_, s)| *s)
        .collect()
}

/// IAM's wildcard match: `*` any run of characters (including none), `?` exactly one.
pub(crate) fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_wildcards() {
        assert_eq!(scopes_of("s3:GetObject"), [Scope::Object]);
        assert_eq!(scopes_of("S3:listbucket"), [Scope::Bucket]);
        assert!(scopes_of("s3:Get*").contains(&Scope::Object));
        assert!(scopes_of("s3:Get*").contains(&Scope::Bucket));
        assert_eq!(scopes_of("s3:ListAllMyBuckets"), [Scope::Elsewhere]);
        assert!(scopes_of("s3:NoSuchAction").is_empty());
        assert!(scopes_of("s3:Nope*").is_empty());
        assert!(scopes_of("iam:CreateUser").is_empty());
        assert_eq!(scopes_of("*").len(), ACTIONS.len());
        assert_eq!(scopes_of("s3:*").len(), ACTIONS.len());
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for w in ACTIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn glob_matches_like_iam() {
        assert!(glob(b"a*c", b"abbbc"));
        assert!(glob(b"a?c", b"abc"));
        assert!(!glob(b"a?c", b"ac"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"abc", b"abcd"));
        assert!(glob(b"my-*/*", b"my-bucket/k"));
    }
}
