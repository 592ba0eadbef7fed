//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and
//! GetBucketPolicyStatus, and [`BucketPolicies`], the read API through which the binary's
//! authorizer finds a bucket's policy (decision 0007, "Who decides": resource-based
//! policies come from the owning service through a narrow trait). S3 itself evaluates
//! nothing here; what a valid policy is, and when one is public, is `policy_check.rs`.
//!
//! API reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>
//! (and the Get/Delete/GetBucketPolicyStatus pages beside it).

use crate::faults;
use crate::generated as g;
use crate::policy_check::{accept, is_public};
use crate::state::{BucketState, Change, Index, PolicyRecord, S3};
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_policy::{Policy, PolicyKind};
use std::sync::{Arc, RwLock};

/// A bucket's policy as the authorizer needs it.
#[derive(Debug)]
pub struct BucketPolicy {
    /// The account that owns the bucket (the resource account of every request on it).
    pub owner_account: String,
    /// Names the policy in decisions and logs: `arn:aws:s3:::BUCKET#policy`.
    pub id: String,
    /// Parsed once, when the policy was put or loaded.
    pub policy: Arc<Policy>,
}

/// One bucket's policy in the index: the stored record, the shared parsed form and its
/// public status (computed once, as GetBucketPolicyStatus asks for it repeatedly).
#[derive(Debug)]
pub(crate) struct StoredPolicy {
    pub record: PolicyRecord,
    pub shared: Arc<BucketPolicy>,
    pub public: bool,
}

impl StoredPolicy {
    fn new(owner: &str, record: PolicyRecord, policy: Policy) -> StoredPolicy {
        let public = is_public(&record.text);
        let shared = Arc::new(BucketPolicy {
            owner_account: owner.to_string(),
            id: format!("arn:aws:s3:::{}#policy", record.bucket),
            policy: Arc::new(policy),
        });
        StoredPolicy {
            record,
            shared,
            public,
        }
    }

    /// A stored policy read back at startup. One that no longer parses (a stricter future
    /// parser) stands as "deny everyone everything" rather than being dropped, since
    /// dropping a Deny would widen access (decision 0007); the bucket owner's root user
    /// can still read, replace or delete it, as AWS always lets it.
    pub(crate) fn load(owner: &str, record: PolicyRecord) -> StoredPolicy {
        let policy = Policy::parse(&record.text, PolicyKind::Resource)
            .unwrap_or_else(|_| Policy::deny_all(PolicyKind::Resource));
        StoredPolicy::new(owner, record, policy)
    }
}

/// Read access to every bucket's policy, shared with the running service: a put or delete
/// is visible to the next lookup. Cheap to clone; each lookup takes a short read lock and
/// clones one `Arc`.
#[derive(Clone)]
pub struct BucketPolicies {
    index: Arc<RwLock<Index>>,
}

impl BucketPolicies {
    pub(crate) fn new(index: Arc<RwLock<Index>>) -> BucketPolicies {
        BucketPolicies { index }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The policy of `bucket`, if the bucket exists and has one.
    pub fn policy(&self, bucket: &str) -> Option<Arc<BucketPolicy>> {
        let index = self.read();
        let p = index.buckets.get(bucket)?.policy.as_ref()?;
        Some(p.shared.clone())
    }

    /// The account owning `bucket`, policy or not (the resource account for cross-account
    /// decisions), if the bucket exists.
    pub fn bucket_owner(&self, bucket: &str) -> Option<String> {
        self.read().buckets.get(bucket).map(|b| b.rec.owner.clone())
    }
}

/// The bucket, for a bucket-policy operation: only identities of the owner's account may
/// manage a bucket's policy. Another account that got this far was allowed by the
/// authorizer, and AWS answers it 405 (`faults::method_not_allowed`).
fn owned<'a>(
    index: &'a Index,
    ctx: &RequestContext,
    name: &str,
    expected_owner: Option<&str>,
) -> Result<&'a BucketState, AwsError> {
    let b = index
        .buckets
        .get(name)
        .ok_or_else(|| faults::no_such_bucket(name))?;
    if expected_owner.is_some_and(|o| o != b.rec.owner) {
        return Err(faults::access_denied());
    }
    if b.rec.owner != ctx.account_id() {
        return Err(faults::method_not_allowed());
    }
    Ok(b)
}

pub(crate) async fn put_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: g::PutBucketPolicyRequest,
) -> Result<(), AwsError> {
    // `ConfirmRemoveSelfBucketAccess` guards against a policy that locks the caller out;
    // Nimbus keeps the owner's root user able to manage the policy whatever it says, as AWS
    // does, so the flag changes nothing here.
    let bucket = input.bucket;
    s3.mutate(|index| {
        let b = owned(index, ctx, &bucket, input.expected_bucket_owner.as_deref())?;
        let accepted = accept(&bucket, &input.policy)?;
        let record = PolicyRecord {
            bucket: bucket.clone(),
            text: accepted.text,
        };
        let stored = StoredPolicy::new(&b.rec.owner, record, accepted.policy);
        Ok((vec![Change::PutPolicy(Arc::new(stored))], ()))
    })
    .await
}

pub(crate) fn get_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: g::GetBucketPolicyRequest,
) -> Result<g::GetBucketPolicyOutput, AwsError> {
    let index = s3.read();
    let b = owned(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let p = b
        .policy
        .as_ref()
        .ok_or_else(|| faults::no_such_bucket_policy(&input.bucket))?;
    Ok(g::GetBucketPolicyOutput {
        policy: Some(p.record.text.clone()),
    })
}

pub(crate) fn get_bucket_policy_status(
    s3: &S3,
    ctx: &RequestContext,
    input: g::GetBucketPolicyStatusRequest,
) -> Result<g::GetBucketPolicyStatusOutput, AwsError> {
    let index = s3.read();
    let b = owned(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let p = b
        .policy
        .as_ref()
        .ok_or_else(|| faults::no_such_bucket_policy(&input.bucket))?;
    Ok(g::GetBucketPolicyStatusOutput {
        policy_status: Some(g::PolicyStatus {
            is_public: Some(p.public),
        }),
    })
}

/// Deleting a policy that does not exist succeeds (204), as on AWS.
pub(crate) async fn delete_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: g::DeleteBucketPolicyRequest,
) -> Result<(), AwsError> {
    s3.mutate(|index| {
        let b = owned(
            index,
            ctx,
            &input.bucket,
            input.expected_bucket_owner.as_deref(),
        )?;
        let changes = match b.policy {
            Some(_) => vec![Change::DeletePolicy(input.bucket.clone())],
            None => Vec::new(),
        };
        Ok((changes, ()))
    })
    .await
}
