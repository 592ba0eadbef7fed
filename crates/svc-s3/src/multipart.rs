//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads — what
//! `aws s3 cp` uses for every file over 8 MiB. See
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>.
//!
//! Each part is a blob of its own, durable before its record (the same protocol as a
//! PutObject, `blobs.rs`); an upload and its parts are records in `s3.uploads`/`s3.parts`,
//! so an upload in progress survives a restart and is listed until completed or aborted.
//! Completing concatenates the parts file to file into the object's blob, then commits the
//! object record and the removal of the upload in one batch; the part blobs (and a replaced
//! object's blob) are removed only once that is durable. The object's ETag is S3's
//! composite: the MD5 of the parts' binary MD5s, `-` and the part count.
//!
//! UploadPartCopy is authorized for `s3:PutObject` on the destination and `s3:GetObject` on
//! the source (codegen/authorization/s3.json), and copies the range file to file.
//!
//! Not here: composite or full-object checksums of the whole object (each part's checksum is
//! verified and listed; the completed object carries none), `partNumber` reads of a
//! completed object, and copies from another account's bucket (the source must be in a
//! bucket of the caller's account).

use crate::checksums::{Algorithm, Requested};
use crate::faults;
use crate::generated as g;
use crate::objects::check_key;
use crate::state::{owner_of, Change, ObjectRecord, PartRecord, UploadRecord, UploadState, S3};
use md5::{Digest as _, Md5};
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

/// Largest part: 5 GiB; smallest part that is not the last: 5 MiB; at most 10,000 parts.
const MAX_PART_BYTES: u64 = 5 * 1024 * 1024 * 1024;
const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
const MAX_PARTS: u32 = 10_000;
/// What ListParts and ListMultipartUploads return at most per page.
const MAX_LISTED: usize = 1000;
/// Upload metadata (`x-amz-meta-*` keys and values) at most, as for PutObject.
const MAX_METADATA_BYTES: usize = 2048;

fn no_such_upload(upload_id: &str) -> AwsError {
    AwsError::new(
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with_extra("UploadId", upload_id.to_string())
}

fn invalid_part() -> AwsError {
    AwsError::new(
        "InvalidPart",
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

fn check_part_number(n: i32) -> Result<u32, AwsError> {
    if (1..=MAX_PARTS as i32).contains(&n) {
        Ok(n as u32)
    } else {
        Err(faults::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            n.to_string(),
        ))
    }
}

/// The upload `upload_id` of `bucket/key`, if the caller may use the bucket.
fn upload<'a>(
    s3: &S3,
    index: &'a crate::state::Index,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    upload_id: &str,
    expected_owner: Option<&str>,
) -> Result<&'a UploadState, AwsError> {
    let b = s3.bucket(index, ctx, bucket, expected_owner)?;
    b.uploads
        .get(upload_id)
        .filter(|u| u.rec.key == key)
        .ok_or_else(|| no_such_upload(upload_id))
}

pub(crate) async fn create(
    s3: &S3,
    ctx: &RequestContext,
    input: g::CreateMultipartUploadRequest,
) -> Result<g::CreateMultipartUploadOutput, AwsError> {
    check_key(&input.key)?;
    if input.sse_customer_algorithm.is_some() {
        return Err(faults::unsupported(
            "server-side encryption with customer-provided keys (SSE-C)",
        ));
    }
    if input.object_lock_mode.is_some() || input.object_lock_legal_hold_status.is_some() {
        return Err(faults::unsupported("S3 Object Lock"));
    }
    let grants = [
        &input.grant_full_control,
        &input.grant_read,
        &input.grant_read_acp,
        &input.grant_write_acp,
    ];
    if grants.iter().any(|g| g.is_some()) || input.acl.as_deref().is_some_and(|a| a != "private") {
        return Err(faults::acl_not_supported());
    }
    let algorithm = match input.checksum_algorithm.as_deref() {
        None => None,
        Some(name) => Some(
            Algorithm::from_name(name)
                .ok_or_else(|| {
                    faults::invalid_request(
                        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                    )
                })?
                .name()
                .to_string(),
        ),
    };
    let metadata: Vec<(String, String)> = input
        .metadata
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let meta_size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if meta_size > MAX_METADATA_BYTES {
        return Err(faults::metadata_too_large(meta_size));
    }
    let tag_count = match input.tagging.as_deref() {
        None | Some("") => 0,
        Some(t) => t.split('&').count() as u32,
    };
    let upload_id = s3.blobs.ids().hex(64);
    let rec = Arc::new(UploadRecord {
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        upload_id: upload_id.clone(),
        initiated: ctx.now,
        owner: ctx.account_id().to_string(),
        content_type: input.content_type,
        content_encoding: input.content_encoding,
        cache_control: input.cache_control,
        content_disposition: input.content_disposition,
        content_language: input.content_language,
        expires: input.expires,
        website_redirect_location: input.website_redirect_location,
        metadata,
        storage_class: input
            .storage_class
            .unwrap_or_else(|| "STANDARD".to_string()),
        tag_count,
        checksum_algorithm: algorithm.clone(),
    });
    s3.mutate(|index| {
        s3.bucket(
            index,
            ctx,
            &input.bucket,
            input.expected_bucket_owner.as_deref(),
        )?;
        Ok((vec![Change::PutUpload(rec)], ()))
    })
    .await?;
    Ok(g::CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload_id),
        server_side_encryption: Some("AES256".to_string()),
        checksum_type: algorithm.as_ref().map(|_| "COMPOSITE".to_string()),
        checksum_algorithm: algorithm,
        ..Default::default()
    })
}

/// Puts the part record `rec` (whose blob is already durable) into its upload, replacing a
/// part of the same number; removes whichever blob no record names afterwards.
async fn commit_part(
    s3: &S3,
    ctx: &RequestContext,
    key: &str,
    expected_owner: Option<&str>,
    rec: Arc<PartRecord>,
) -> Result<(), AwsError> {
    let blob = rec.blob.clone();
    let committed = s3
        .mutate(|index| {
            let u = upload(
                s3,
                index,
                ctx,
                &rec.bucket,
                key,
                &rec.upload_id,
                expected_owner,
            )?;
            let replaced = u.parts.get(&rec.number).map(|p| p.blob.clone());
            Ok((vec![Change::PutPart(rec.clone())], replaced))
        })
        .await;
    match committed {
        Ok(replaced) => {
            if let Some(old) = replaced.filter(|b| *b != blob) {
                s3.blobs.remove(vec![old]).await;
            }
            Ok(())
        }
        Err(e) => {
            s3.blobs.remove(vec![blob]).await;
            Err(e)
        }
    }
}

pub(crate) async fn upload_part(
    s3: &S3,
    ctx: &RequestContext,
    mut input: g::UploadPartRequest,
) -> Result<g::UploadPartOutput, AwsError> {
    let number = check_part_number(input.part_number)?;
    if input.sse_customer_algorithm.is_some() {
        return Err(faults::unsupported(
            "server-side encryption with customer-provided keys (SSE-C)",
        ));
    }
    {
        let index = s3.read();
        upload(
            s3,
            &index,
            ctx,
            &input.bucket,
            &input.key,
            &input.upload_id,
            input.expected_bucket_owner.as_deref(),
        )?;
    }
    let requested = Requested::parse(
        input.content_md5.as_deref(),
        &crate::objects::given_checksums!(&input),
        input.checksum_algorithm.as_deref(),
    )?;
    let received =
        crate::streams::receive(&s3.blobs, input.body.take(), requested, MAX_PART_BYTES).await?;
    let (blob, size, verified) = (received.blob, received.size, received.verified);
    let rec = Arc::new(PartRecord {
        bucket: input.bucket.clone(),
        upload_id: input.upload_id.clone(),
        number,
        size,
        md5: verified.md5_hex,
        checksum: verified.checksum,
        last_modified: ctx.now,
        blob,
    });
    commit_part(
        s3,
        ctx,
        &input.key,
        input.expected_bucket_owner.as_deref(),
        rec.clone(),
    )
    .await?;
    let mut out = g::UploadPartOutput {
        e_tag: Some(format!("\"{}\"", rec.md5)),
        server_side_encryption: Some("AES256".to_string()),
        ..Default::default()
    };
    if let Some((alg, v)) = &rec.checksum {
        let slot = match Algorithm::from_name(alg) {
            Some(Algorithm::Crc32) => Some(&mut out.checksum_crc32),
            Some(Algorithm::Crc32c) => Some(&mut out.checksum_crc32_c),
            Some(Algorithm::Crc64Nvme) => Some(&mut out.checksum_crc64_nvme),
            Some(Algorithm::Sha1) => Some(&mut out.checksum_sha1),
            Some(Algorithm::Sha256) => Some(&mut out.checksum_sha256),
            Some(Algorithm::Sha512) => Some(&mut out.checksum_sha512),
            Some(Algorithm::Md5) => Some(&mut out.checksum_md5),
            Some(Algorithm::XxHash64) => Some(&mut out.checksum_xxhash64),
            Some(Algorithm::XxHash3) => Some(&mut out.checksum_xxhash3),
            Some(Algorithm::XxHash128) => Some(&mut out.checksum_xxhash128),
            None => None,
        };
        if let Some(slot) = slot {
            *slot = Some(v.clone());
        }
    }
    Ok(out)
}

/// `x-amz-copy-source`: `bucket/key` (URL-encoded, optionally with a leading `/` and
/// `?versionId=`); only the current version (or `null`) exists in Nimbus.
fn parse_copy_source(source: &str) -> Result<(String, String), AwsError> {
    let (path, version) = match source.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v)),
        None => (source, None),
    };
    if version.is_some_and(|v| v != "null") {
        return Err(faults::unsupported("copying a specific object version"));
    }
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| {
            faults::invalid_argument(
                "Invalid copy source encoding",
                "x-amz-copy-source",
                source.to_string(),
            )
        })?;
    match decoded.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_string(), k.to_string())),
        _ => Err(faults::invalid_argument(
            "Invalid copy source object key",
            "x-amz-copy-source",
            source.to_string(),
        )),
    }
}

/// `x-amz-copy-source-range: bytes=first-last`, inclusive and within the source.
fn parse_copy_range(range: &str, size: u64) -> Result<(u64, u64), AwsError> {
    let bad = || {
        faults::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            range.to_string(),
        )
    };
    let spec = range.strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.trim().parse().map_err(|_| bad())?;
    let last: u64 = b.trim().parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(AwsError::new(
            "InvalidRange",
            416,
            "The requested range is not satisfiable",
        )
        .with_extra("RangeRequested", range.to_string())
        .with_extra("ActualObjectSize", size.to_string()));
    }
    Ok((first, last - first + 1))
}

pub(crate) async fn upload_part_copy(
    s3: &S3,
    ctx: &RequestContext,
    input: g::UploadPartCopyRequest,
) -> Result<g::UploadPartCopyOutput, AwsError> {
    let number = check_part_number(input.part_number)?;
    let (src_bucket, src_key) = parse_copy_source(&input.copy_source)?;
    let source: Arc<ObjectRecord> = {
        let index = s3.read();
        upload(
            s3,
            &index,
            ctx,
            &input.bucket,
            &input.key,
            &input.upload_id,
            input.expected_bucket_owner.as_deref(),
        )?;
        let b = s3.bucket(
            &index,
            ctx,
            &src_bucket,
            input.expected_source_bucket_owner.as_deref(),
        )?;
        b.objects
            .get(&src_key)
            .cloned()
            .ok_or_else(|| faults::no_such_key(&src_key))?
    };
    crate::conditions::check_read(
        &source.md5,
        source.last_modified,
        input.copy_source_if_match.as_deref(),
        input.copy_source_if_none_match.as_deref(),
        input.copy_source_if_modified_since,
        input.copy_source_if_unmodified_since,
    )
    .map_err(|e| {
        // A copy's failed precondition is always 412, never 304.
        if e.status == 304 {
            faults::precondition_failed("x-amz-copy-source-If-None-Match")
        } else {
            e
        }
    })?;
    let (start, len) = match input.copy_source_range.as_deref() {
        Some(r) => parse_copy_range(r, source.size)?,
        None => (0, source.size),
    };
    if len > MAX_PART_BYTES {
        return Err(faults::entity_too_large(len, MAX_PART_BYTES));
    }
    // File to file: a 5 GiB part never passes through memory.
    let (blob, md5) = s3
        .blobs
        .copy_range(&source.blob, start, len)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => faults::no_such_key(&src_key),
            _ => faults::internal(format!("copying the copy source: {e}")),
        })?;
    let rec = Arc::new(PartRecord {
        bucket: input.bucket.clone(),
        upload_id: input.upload_id.clone(),
        number,
        size: len,
        md5,
        checksum: None,
        last_modified: ctx.now,
        blob,
    });
    commit_part(
        s3,
        ctx,
        &input.key,
        input.expected_bucket_owner.as_deref(),
        rec.clone(),
    )
    .await?;
    Ok(g::UploadPartCopyOutput {
        copy_part_result: Some(g::CopyPartResult {
            e_tag: Some(format!("\"{}\"", rec.md5)),
            last_modified: Some(rec.last_modified),
            ..Default::default()
        }),
        server_side_encryption: Some("AES256".to_string()),
        ..Default::default()
    })
}

/// S3's multipart ETag (unquoted): MD5 of the concatenated binary part MD5s, `-`, count.
fn composite_etag(parts: &[Arc<PartRecord>]) -> String {
    let mut h = Md5::new();
    for p in parts {
        if let Ok(raw) = hex::decode(&p.md5) {
            h.update(raw);
        }
    }
    format!("{}-{}", hex::encode(h.finalize()), parts.len())
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

pub(crate) async fn complete(
    s3: &S3,
    ctx: &RequestContext,
    input: g::CompleteMultipartUploadRequest,
) -> Result<g::CompleteMultipartUploadOutput, AwsError> {
    let listed = input
        .multipart_upload
        .as_ref()
        .and_then(|m| m.parts.clone())
        .unwrap_or_default();
    if listed.is_empty() {
        return Err(AwsError::new(
            "MalformedXML",
            400,
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    // Choose the parts (a snapshot: a part re-uploaded meanwhile is caught under the lock).
    let (upload_rec, chosen) = {
        let index = s3.read();
        let u = upload(
            s3,
            &index,
            ctx,
            &input.bucket,
            &input.key,
            &input.upload_id,
            input.expected_bucket_owner.as_deref(),
        )?;
        let mut chosen: Vec<Arc<PartRecord>> = Vec::with_capacity(listed.len());
        let mut previous = 0i32;
        for p in &listed {
            let n = p.part_number.unwrap_or(0);
            if n <= previous {
                return Err(AwsError::new(
                    "InvalidPartOrder",
                    400,
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                ));
            }
            previous = n;
            let number = check_part_number(n)?;
            let part = u.parts.get(&number).ok_or_else(invalid_part)?;
            if p.e_tag.as_deref().map(unquote) != Some(part.md5.as_str()) {
                return Err(invalid_part());
            }
            chosen.push(part.clone());
        }
        for (i, p) in chosen.iter().enumerate() {
            if i + 1 < chosen.len() && p.size < MIN_PART_BYTES {
                return Err(AwsError::new(
                    "EntityTooSmall",
                    400,
                    "Your proposed upload is smaller than the minimum allowed object size.",
                )
                .with_extra("ProposedSize", p.size.to_string())
                .with_extra("MinSizeAllowed", MIN_PART_BYTES.to_string())
                .with_extra("PartNumber", p.number.to_string())
                .with_extra("ETag", format!("\"{}\"", p.md5)));
            }
        }
        (u.rec.clone(), chosen)
    };
    let size: u64 = chosen.iter().map(|p| p.size).sum();
    if input.mpu_object_size.is_some_and(|s| s as u64 != size) {
        return Err(faults::invalid_request(format!(
            "The provided 'x-amz-mp-object-size' header value {} does not match what was computed: {size}",
            input.mpu_object_size.unwrap_or_default()
        )));
    }
    let blob = s3
        .blobs
        .concat(chosen.iter().map(|p| p.blob.clone()).collect())
        .await
        .map_err(|e| match e.kind() {
            // A part replaced or aborted between our snapshot and the copy.
            std::io::ErrorKind::NotFound => invalid_part(),
            _ => faults::internal(format!("assembling the object: {e}")),
        })?;
    let rec = Arc::new(ObjectRecord {
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        size,
        md5: composite_etag(&chosen),
        content_type: upload_rec
            .content_type
            .clone()
            .unwrap_or_else(|| "binary/octet-stream".to_string()),
        content_encoding: upload_rec.content_encoding.clone(),
        cache_control: upload_rec.cache_control.clone(),
        content_disposition: upload_rec.content_disposition.clone(),
        content_language: upload_rec.content_language.clone(),
        expires: upload_rec.expires.clone(),
        website_redirect_location: upload_rec.website_redirect_location.clone(),
        metadata: upload_rec.metadata.clone(),
        checksum: None,
        storage_class: upload_rec.storage_class.clone(),
        tag_count: upload_rec.tag_count,
        owner: upload_rec.owner.clone(),
        last_modified: ctx.now,
        blob: blob.clone(),
    });
    let committed = s3
        .mutate(|index| {
            let u = upload(
                s3,
                index,
                ctx,
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.expected_bucket_owner.as_deref(),
            )?;
            // Every chosen part must still be the one concatenated.
            for p in &chosen {
                if u.parts.get(&p.number).map(|c| &c.blob) != Some(&p.blob) {
                    return Err(invalid_part());
                }
            }
            let b = s3.bucket(index, ctx, &input.bucket, None)?;
            let current = b.objects.get(&input.key).cloned();
            crate::conditions::check_write(
                &input.key,
                current.as_deref().map(|c| c.md5.as_str()),
                input.if_match.as_deref(),
                input.if_none_match.as_deref(),
            )?;
            let mut freed: Vec<String> = u.parts.values().map(|p| p.blob.clone()).collect();
            freed.extend(current.map(|c| c.blob.clone()));
            Ok((
                vec![
                    Change::PutObject(rec.clone()),
                    Change::DeleteUpload {
                        bucket: input.bucket.clone(),
                        upload_id: input.upload_id.clone(),
                        parts: u.parts.keys().copied().collect(),
                    },
                ],
                freed,
            ))
        })
        .await;
    match committed {
        Ok(freed) => {
            s3.blobs.remove(freed).await;
            Ok(g::CompleteMultipartUploadOutput {
                location: Some(format!(
                    "http://{}/{}/{}",
                    ctx.host, input.bucket, input.key
                )),
                bucket: Some(input.bucket),
                key: Some(input.key),
                e_tag: Some(rec.etag()),
                server_side_encryption: Some("AES256".to_string()),
                ..Default::default()
            })
        }
        Err(e) => {
            s3.blobs.remove(vec![blob]).await;
            Err(e)
        }
    }
}

pub(crate) async fn abort(
    s3: &S3,
    ctx: &RequestContext,
    input: g::AbortMultipartUploadRequest,
) -> Result<g::AbortMultipartUploadOutput, AwsError> {
    let freed = s3
        .mutate(|index| {
            let u = upload(
                s3,
                index,
                ctx,
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.expected_bucket_owner.as_deref(),
            )?;
            if let Some(t) = input.if_match_initiated_time {
                if t.secs() != u.rec.initiated.secs() {
                    return Err(faults::precondition_failed("x-amz-if-match-initiated-time"));
                }
            }
            Ok((
                vec![Change::DeleteUpload {
                    bucket: input.bucket.clone(),
                    upload_id: input.upload_id.clone(),
                    parts: u.parts.keys().copied().collect(),
                }],
                u.parts.values().map(|p| p.blob.clone()).collect::<Vec<_>>(),
            ))
        })
        .await?;
    s3.blobs.remove(freed).await;
    Ok(g::AbortMultipartUploadOutput::default())
}

fn max_listed(given: Option<i32>, what: &str) -> Result<usize, AwsError> {
    match given {
        None => Ok(MAX_LISTED),
        Some(n) if n < 0 => Err(faults::invalid_argument(
            format!("Provided {what} not an integer or within integer range"),
            what,
            n.to_string(),
        )),
        Some(n) => Ok((n as usize).min(MAX_LISTED)),
    }
}

pub(crate) fn list_parts(
    s3: &S3,
    ctx: &RequestContext,
    input: g::ListPartsRequest,
) -> Result<g::ListPartsOutput, AwsError> {
    let max = max_listed(input.max_parts, "max-parts")?;
    let marker = input.part_number_marker.unwrap_or(0).max(0) as u32;
    let index = s3.read();
    let u = upload(
        s3,
        &index,
        ctx,
        &input.bucket,
        &input.key,
        &input.upload_id,
        input.expected_bucket_owner.as_deref(),
    )?;
    let mut after = u.parts.range(marker.saturating_add(1)..);
    let page: Vec<&Arc<PartRecord>> = after.by_ref().take(max).map(|(_, p)| p).collect();
    let truncated = after.next().is_some();
    let owner = owner_of(&u.rec.owner);
    Ok(g::ListPartsOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        upload_id: Some(input.upload_id.clone()),
        part_number_marker: Some(marker as i32),
        next_part_number_marker: page.last().map(|p| p.number as i32),
        max_parts: Some(max as i32),
        is_truncated: Some(truncated),
        parts: Some(
            page.iter()
                .map(|p| g::Part {
                    part_number: Some(p.number as i32),
                    last_modified: Some(p.last_modified),
                    e_tag: Some(format!("\"{}\"", p.md5)),
                    size: Some(p.size as i64),
                    ..Default::default()
                })
                .collect(),
        ),
        initiator: Some(g::Initiator {
            id: owner.id.clone(),
            display_name: owner.display_name.clone(),
        }),
        owner: Some(owner),
        storage_class: Some(u.rec.storage_class.clone()),
        checksum_algorithm: u.rec.checksum_algorithm.clone(),
        ..Default::default()
    })
}

pub(crate) fn list_uploads(
    s3: &S3,
    ctx: &RequestContext,
    input: g::ListMultipartUploadsRequest,
) -> Result<g::ListMultipartUploadsOutput, AwsError> {
    let max = max_listed(input.max_uploads, "max-uploads")?;
    let url = match input.encoding_type.as_deref() {
        None => false,
        Some("url") => true,
        Some(other) => {
            return Err(faults::invalid_argument(
                "Invalid Encoding Method specified in Request",
                "encoding-type",
                other.to_string(),
            ))
        }
    };
    let enc = |s: &str| {
        if url {
            crate::listing::url_encode(s)
        } else {
            s.to_string()
        }
    };
    let index = s3.read();
    let b = s3.bucket(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
    let key_marker = input.key_marker.clone().unwrap_or_default();
    let id_marker = input.upload_id_marker.clone().unwrap_or_default();
    // Uploads in key order, then by initiation (S3's order), after the markers.
    let mut all: Vec<&UploadState> = b
        .uploads
        .values()
        .filter(|u| u.rec.key.starts_with(&prefix))
        .collect();
    all.sort_by(|a, b| {
        (
            a.rec.key.as_str(),
            a.rec.initiated,
            a.rec.upload_id.as_str(),
        )
            .cmp(&(
                b.rec.key.as_str(),
                b.rec.initiated,
                b.rec.upload_id.as_str(),
            ))
    });
    let after_marker = |u: &&UploadState| {
        if key_marker.is_empty() {
            return true;
        }
        match u.rec.key.as_str().cmp(key_marker.as_str()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => {
                !id_marker.is_empty() && u.rec.upload_id.as_str() > id_marker.as_str()
            }
            std::cmp::Ordering::Less => false,
        }
    };
    let mut uploads = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut last: Option<(String, String)> = None;
    for u in all.into_iter().filter(after_marker) {
        let common = delimiter.as_ref().and_then(|d| {
            u.rec.key[prefix.len()..]
                .find(d.as_str())
                .map(|i| u.rec.key[..prefix.len() + i + d.len()].to_string())
        });
        if let Some(cp) = &common {
            if prefixes.last() == Some(cp) {
                continue;
            }
        }
        if uploads.len() + prefixes.len() >= max {
            truncated = true;
            break;
        }
        match common {
            Some(cp) => {
                last = Some((cp.clone(), String::new()));
                prefixes.push(cp);
            }
            None => {
                last = Some((u.rec.key.clone(), u.rec.upload_id.clone()));
                let owner = owner_of(&u.rec.owner);
                uploads.push(g::MultipartUpload {
                    upload_id: Some(u.rec.upload_id.clone()),
                    key: Some(enc(&u.rec.key)),
                    initiated: Some(u.rec.initiated),
                    storage_class: Some(u.rec.storage_class.clone()),
                    initiator: Some(g::Initiator {
                        id: owner.id.clone(),
                        display_name: owner.display_name.clone(),
                    }),
                    owner: Some(owner),
                    checksum_algorithm: u.rec.checksum_algorithm.clone(),
                    ..Default::default()
                });
            }
        }
    }
    Ok(g::ListMultipartUploadsOutput {
        bucket: Some(input.bucket.clone()),
        key_marker: Some(enc(&key_marker)),
        upload_id_marker: Some(id_marker),
        next_key_marker: if truncated {
            last.as_ref().map(|l| enc(&l.0))
        } else {
            None
        },
        next_upload_id_marker: if truncated { last.map(|l| l.1) } else { None },
        prefix: Some(enc(&prefix)),
        delimiter: delimiter.as_deref().map(enc),
        max_uploads: Some(max as i32),
        is_truncated: Some(truncated),
        uploads: Some(uploads),
        common_prefixes: (!prefixes.is_empty()).then(|| {
            prefixes
                .iter()
                .map(|p| g::CommonPrefix {
                    prefix: Some(enc(p)),
                })
                .collect()
        }),
        encoding_type: input.encoding_type,
        ..Default::default()
    })
}
