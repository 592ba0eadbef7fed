//! Bucket operations: CreateBucket, ListBuckets, DeleteBucket, HeadBucket and
//! GetBucketLocation. Bucket names are global to one Nimbus (as they are to all of AWS),
//! each bucket is owned by one account and records the region it was created in. Object
//! operations live in `objects.rs`, listings in `listing.rs`.

use crate::faults;
use crate::generated as g;
use crate::names::valid_bucket_name;
use crate::state::{owner_of, BucketRecord, Change, S3};
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext};

/// The region whose buckets report an empty `LocationConstraint` and which accepts no
/// explicit one.
const US_EAST_1: &str = "us-east-1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Canned ACLs that mean "the owner has full control and nobody else anything": the only
/// ones a bucket with ObjectOwnership `BucketOwnerEnforced` (S3's default since April
/// 2023, and the only setting Nimbus has) accepts.
pub(crate) fn acl_allowed(acl: Option<&str>) -> bool {
    matches!(
        acl,
        None | Some("private") | Some("bucket-owner-full-control")
    )
}

pub(crate) async fn create_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: g::CreateBucketRequest,
) -> Result<g::CreateBucketOutput, AwsError> {
    let name = input.bucket;
    if !valid_bucket_name(&name) {
        return Err(faults::invalid_bucket_name(&name));
    }
    let constraint = input
        .create_bucket_configuration
        .as_ref()
        .and_then(|c| c.location_constraint.as_deref())
        .filter(|c| !c.is_empty());
    let region = match constraint {
        Some(US_EAST_1) => return Err(faults::invalid_location_constraint(US_EAST_1)),
        Some(c) if c != ctx.region => return Err(faults::illegal_location_constraint(Some(c))),
        Some(c) => c.to_string(),
        // A regional endpoint other than us-east-1 needs the constraint spelled out.
        None if ctx.region != US_EAST_1 => return Err(faults::illegal_location_constraint(None)),
        None => US_EAST_1.to_string(),
    };
    let grants = [
        &input.grant_full_control,
        &input.grant_read,
        &input.grant_read_acp,
        &input.grant_write,
        &input.grant_write_acp,
    ];
    if !acl_allowed(input.acl.as_deref()) || grants.iter().any(|g| g.is_some()) {
        return Err(faults::bucket_acl_with_ownership());
    }
    if input
        .object_ownership
        .as_deref()
        .is_some_and(|o| o != "BucketOwnerEnforced")
    {
        return Err(faults::unsupported(
            "S3 object ownership settings other than BucketOwnerEnforced",
        ));
    }
    if input.object_lock_enabled_for_bucket == Some(true) {
        return Err(faults::unsupported("S3 Object Lock"));
    }
    let owner = ctx.account_id().to_string();
    s3.mutate(|index| {
        if let Some(existing) = index.buckets.get(&name) {
            return Err(if existing.rec.owner == owner {
                faults::bucket_already_owned_by_you(&name)
            } else {
                faults::bucket_already_exists(&name)
            });
        }
        let rec = BucketRecord {
            name: name.clone(),
            owner: owner.clone(),
            region,
            created: ctx.now,
        };
        Ok((vec![Change::PutBucket(rec)], ()))
    })
    .await?;
    Ok(g::CreateBucketOutput {
        location: Some(format!("/{name}")),
        bucket_arn: None,
    })
}

pub(crate) async fn delete_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: g::DeleteBucketRequest,
) -> Result<(), AwsError> {
    let part_blobs = s3
        .mutate(|index| {
            let b = s3.bucket(
                index,
                ctx,
                &input.bucket,
                input.expected_bucket_owner.as_deref(),
            )?;
            if !b.objects.is_empty() {
                return Err(faults::bucket_not_empty(&input.bucket));
            }
            // Uploads still in progress go with the bucket (their parts are no object).
            let mut changes: Vec<Change> = b
                .uploads
                .values()
                .map(|u| Change::DeleteUpload {
                    bucket: input.bucket.clone(),
                    upload_id: u.rec.upload_id.clone(),
                    parts: u.parts.keys().copied().collect(),
                })
                .collect();
            let part_blobs: Vec<String> = b.blobs().cloned().collect();
            changes.push(Change::DeleteBucket(input.bucket.clone()));
            Ok((changes, part_blobs))
        })
        .await?;
    s3.blobs.remove(part_blobs).await;
    Ok(())
}

pub(crate) fn head_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: g::HeadBucketRequest,
) -> Result<g::HeadBucketOutput, AwsError> {
    let index = s3.read();
    let b = s3.bucket(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    Ok(g::HeadBucketOutput {
        bucket_region: Some(b.rec.region.clone()),
        access_point_alias: Some(false),
        ..Default::default()
    })
}

pub(crate) fn get_bucket_location(
    s3: &S3,
    ctx: &RequestContext,
    input: g::GetBucketLocationRequest,
) -> Result<g::GetBucketLocationOutput, AwsError> {
    let index = s3.read();
    let b = s3.bucket(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let region = &b.rec.region;
    Ok(g::GetBucketLocationOutput {
        location_constraint: (region != US_EAST_1).then(|| region.clone()),
    })
}

/// The caller's buckets in name order, optionally filtered by prefix and region and
/// paginated with `MaxBuckets` / `ContinuationToken`.
pub(crate) fn list_buckets(
    s3: &S3,
    ctx: &RequestContext,
    input: g::ListBucketsRequest,
) -> Result<g::ListBucketsOutput, AwsError> {
    let max = match input.max_buckets {
        None => usize::MAX,
        Some(m) if (1..=10_000).contains(&m) => m as usize,
        Some(m) => {
            return Err(faults::invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000",
                "max-buckets",
                m.to_string(),
            ))
        }
    };
    let after = match &input.continuation_token {
        None => None,
        Some(t) => Some(decode_bucket_token(t).ok_or_else(|| {
            faults::invalid_argument(
                "The continuation token provided is incorrect",
                "continuation-token",
                t.clone(),
            )
        })?),
    };
    let prefix = input.prefix.as_deref().unwrap_or("");
    let index = s3.read();
    let mine = index.buckets.values().map(|b| &b.rec).filter(|r| {
        r.owner == ctx.account_id()
            && r.name.starts_with(prefix)
            && after.as_ref().is_none_or(|a| r.name > *a)
            && input
                .bucket_region
                .as_ref()
                .is_none_or(|reg| r.region == *reg)
    });
    let mut buckets = Vec::new();
    let mut truncated = false;
    for r in mine {
        if buckets.len() == max {
            truncated = true;
            break;
        }
        buckets.push(g::Bucket {
            name: Some(r.name.clone()),
            creation_date: Some(r.created),
            bucket_region: Some(r.region.clone()),
            bucket_arn: None,
        });
    }
    let next = if truncated {
        buckets
            .last()
            .and_then(|b| b.name.as_deref())
            .map(encode_bucket_token)
    } else {
        None
    };
    Ok(g::ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner_of(ctx.account_id())),
        continuation_token: next,
        prefix: input.prefix,
    })
}

const BUCKET_TOKEN_TAG: &str = "nimbus-buckets:";

fn encode_bucket_token(last: &str) -> String {
    B64.encode(format!("{BUCKET_TOKEN_TAG}{last}"))
}

fn decode_bucket_token(token: &str) -> Option<String> {
    let raw = B64.decode(token).ok()?;
    let s = String::from_utf8(raw).ok()?;
    s.strip_prefix(BUCKET_TOKEN_TAG).map(str::to_string)
}
