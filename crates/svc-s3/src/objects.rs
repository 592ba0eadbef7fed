//! Object operations: PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects.
//!
//! PutObject is durable before it answers: the body streams to an upload file while it is
//! hashed, is verified (MD5 → ETag, Content-MD5, `x-amz-checksum-*` headers or trailers,
//! and — by the gateway's stream — the SigV4 payload hash), becomes a blob once fsynced
//! (`streams.rs`), and only then is the metadata
//! record submitted (`S3::mutate`, outside the writer lock, so the index never names a blob
//! that is not on disk); the blob the record replaced is removed only after the new record
//! is durable. Reads take the record from memory and the bytes from its blob. A blob can
//! vanish between the two (a concurrent overwrite or delete became durable and removed it);
//! once opened it cannot (the open file survives its removal). So a read that finds its
//! blob gone looks the key up again, and gets NoSuchKey if the key was deleted meanwhile, or
//! if it keeps losing that race, as it would to a concurrent DeleteObject.
//! A GetObject of more than [`INLINE_READ_BYTES`] from disk streams its range out of the
//! blob rather than reading it whole. Preconditions and ranges are evaluated in
//! `conditions.rs`.

use crate::checksums::{Algorithm, Requested};
use crate::conditions::{self, ByteRange};
use crate::faults;
use crate::generated as g;
use crate::names::MAX_KEY_BYTES;
use crate::state::{Change, ObjectRecord, S3};
use bytes::Bytes;
use nimbus_core::{AwsError, RequestContext, Timestamp};
use std::sync::Arc;

/// S3's single-PUT limit (5 GiB).
const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// S3's limit on user-defined metadata (sum of key and value UTF-8 bytes).
const MAX_METADATA_BYTES: usize = 2048;
/// Reads up to this size are answered whole; larger ones stream from the blob.
const INLINE_READ_BYTES: u64 = 256 * 1024;
/// How often a read looks its key up again after the blob it chose was removed by a
/// concurrent overwrite or delete.
const MAX_READ_ATTEMPTS: usize = 8;
/// DeleteObjects' per-request limit.
const MAX_DELETE_KEYS: usize = 1000;
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];
/// Classes whose objects must be restored before they can be read.
const ARCHIVED: &[&str] = &["GLACIER", "DEEP_ARCHIVE"];

pub(crate) fn check_key(key: &str) -> Result<(), AwsError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(faults::key_too_long(key));
    }
    Ok(())
}

/// Versioning is not implemented: every bucket is unversioned, where the only version id
/// S3 accepts is `null`.
fn check_version(version_id: Option<&str>) -> Result<(), AwsError> {
    match version_id {
        None | Some("null") => Ok(()),
        Some(v) => Err(faults::invalid_argument(
            "Invalid version id specified",
            "versionId",
            v,
        )),
    }
}

/// The values of the `x-amz-checksum-*` headers a PutObject carries.
/// The `x-amz-checksum-*` values a request carries, for any generated input with the ten
/// `checksum_*` members (PutObject, UploadPart).
macro_rules! given_checksums {
    ($input:expr) => {{
        let input = $input;
        [
            (Algorithm::Crc32, &input.checksum_crc32),
            (Algorithm::Crc32c, &input.checksum_crc32_c),
            (Algorithm::Crc64Nvme, &input.checksum_crc64_nvme),
            (Algorithm::Sha1, &input.checksum_sha1),
            (Algorithm::Sha256, &input.checksum_sha256),
            (Algorithm::Sha512, &input.checksum_sha512),
            (Algorithm::Md5, &input.checksum_md5),
            (Algorithm::XxHash64, &input.checksum_xxhash64),
            (Algorithm::XxHash3, &input.checksum_xxhash3),
            (Algorithm::XxHash128, &input.checksum_xxhash128),
        ]
        .into_iter()
        .filter_map(|(a, v)| v.as_deref().map(|v| (a, v)))
        .collect::<Vec<(Algorithm, &str)>>()
    }};
}
pub(crate) use given_checksums;

/// Rejects what S3 would reject, and what S3 has but Nimbus does not, before any byte is
/// written.
fn check_put_features(input: &g::PutObjectRequest) -> Result<(), AwsError> {
    let grants = [
        &input.grant_full_control,
        &input.grant_read,
        &input.grant_read_acp,
        &input.grant_write_acp,
    ];
    if !crate::buckets::acl_allowed(input.acl.as_deref()) || grants.iter().any(|g| g.is_some()) {
        return Err(faults::acl_not_supported());
    }
    if input.sse_customer_algorithm.is_some() || input.sse_customer_key.is_some() {
        return Err(faults::unsupported(
            "server-side encryption with customer-provided keys (SSE-C)",
        ));
    }
    match input.server_side_encryption.as_deref() {
        None | Some("AES256") => {}
        Some("aws:kms") | Some("aws:kms:dsse") => return Err(faults::unsupported("SSE-KMS")),
        Some(_) => {
            return Err(faults::invalid_argument(
                "The encryption method specified is not supported",
                "x-amz-server-side-encryption",
                input.server_side_encryption.clone().unwrap_or_default(),
            ))
        }
    }
    if input.object_lock_mode.is_some()
        || input.object_lock_retain_until_date.is_some()
        || input.object_lock_legal_hold_status.is_some()
    {
        return Err(faults::invalid_request(
            "Bucket is missing Object Lock Configuration",
        ));
    }
    if input.write_offset_bytes.is_some() {
        return Err(faults::unsupported(
            "appends to objects (x-amz-write-offset-bytes, directory buckets only)",
        ));
    }
    if let Some(sc) = &input.storage_class {
        if !STORAGE_CLASSES.contains(&sc.as_str()) {
            return Err(AwsError::new(
                "InvalidStorageClass",
                400,
                "The storage class you specified is not valid",
            )
            .with_extra("StorageClassRequested", sc.clone()));
        }
    }
    Ok(())
}

/// The Content-Encoding to store: S3 drops `aws-chunked`, which only describes how this
/// upload was framed on the wire, and keeps any real encoding listed with it.
fn stored_encoding(given: Option<String>) -> Option<String> {
    let given = given?;
    let kept: Vec<&str> = given
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

fn tag_count(tagging: Option<&str>) -> Result<u32, AwsError> {
    let n = tagging.map_or(0, |t| t.split('&').filter(|p| !p.is_empty()).count());
    if n > 10 {
        return Err(AwsError::client(
            "BadRequest",
            "Object tags cannot be greater than 10",
        ));
    }
    Ok(n as u32)
}

fn set_checksum(out: &mut g::GetObjectOutput, algorithm: &str, value: &str) {
    let slot = match Algorithm::from_name(algorithm) {
        Some(Algorithm::Crc32) => &mut out.checksum_crc32,
        Some(Algorithm::Crc32c) => &mut out.checksum_crc32_c,
        Some(Algorithm::Crc64Nvme) => &mut out.checksum_crc64_nvme,
        Some(Algorithm::Sha1) => &mut out.checksum_sha1,
        Some(Algorithm::Sha256) => &mut out.checksum_sha256,
        Some(Algorithm::Sha512) => &mut out.checksum_sha512,
        Some(Algorithm::Md5) => &mut out.checksum_md5,
        Some(Algorithm::XxHash64) => &mut out.checksum_xxhash64,
        Some(Algorithm::XxHash3) => &mut out.checksum_xxhash3,
        Some(Algorithm::XxHash128) => &mut out.checksum_xxhash128,
        None => return,
    };
    *slot = Some(value.to_string());
    out.checksum_type = Some("FULL_OBJECT".to_string());
}

fn put_output(etag: String, checksum: Option<&(String, String)>) -> g::PutObjectOutput {
    let mut tmp = g::GetObjectOutput::default();
    if let Some((alg, v)) = checksum {
        set_checksum(&mut tmp, alg, v);
    }
    g::PutObjectOutput {
        e_tag: Some(etag),
        checksum_crc32: tmp.checksum_crc32,
        checksum_crc32_c: tmp.checksum_crc32_c,
        checksum_crc64_nvme: tmp.checksum_crc64_nvme,
        checksum_sha1: tmp.checksum_sha1,
        checksum_sha256: tmp.checksum_sha256,
        checksum_sha512: tmp.checksum_sha512,
        checksum_md5: tmp.checksum_md5,
        checksum_xxhash64: tmp.checksum_xxhash64,
        checksum_xxhash3: tmp.checksum_xxhash3,
        checksum_xxhash128: tmp.checksum_xxhash128,
        checksum_type: tmp.checksum_type,
        server_side_encryption: Some("AES256".to_string()),
        ..Default::default()
    }
}

/// The request members that shape a read (shared by GetObject and HeadObject).
pub(crate) struct ReadRequest<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub expected_owner: Option<&'a str>,
    pub version_id: Option<&'a str>,
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<Timestamp>,
    pub if_unmodified_since: Option<Timestamp>,
    pub range: Option<&'a str>,
    pub part_number: Option<i32>,
    pub checksum_mode: Option<&'a str>,
}

pub(crate) async fn put_object(
    s3: &S3,
    ctx: &RequestContext,
    mut input: g::PutObjectRequest,
) -> Result<g::PutObjectOutput, AwsError> {
    check_key(&input.key)?;
    {
        let index = s3.read();
        s3.bucket(
            &index,
            ctx,
            &input.bucket,
            input.expected_bucket_owner.as_deref(),
        )?;
    }
    check_put_features(&input)?;
    let tags = tag_count(input.tagging.as_deref())?;
    let metadata: Vec<(String, String)> = input
        .metadata
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let meta_size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if meta_size > MAX_METADATA_BYTES {
        return Err(faults::metadata_too_large(meta_size));
    }
    let requested = Requested::parse(
        input.content_md5.as_deref(),
        &given_checksums!(&input),
        input.checksum_algorithm.as_deref(),
    )?;
    let received =
        crate::streams::receive(&s3.blobs, input.body.take(), requested, MAX_PUT_BYTES).await?;
    let (blob, size, verified) = (received.blob, received.size, received.verified);
    let rec = Arc::new(ObjectRecord {
        bucket: input.bucket,
        key: input.key,
        size,
        md5: verified.md5_hex,
        content_type: input
            .content_type
            .unwrap_or_else(|| "binary/octet-stream".to_string()),
        content_encoding: stored_encoding(input.content_encoding),
        cache_control: input.cache_control,
        content_disposition: input.content_disposition,
        content_language: input.content_language,
        expires: input.expires,
        website_redirect_location: input.website_redirect_location,
        metadata,
        checksum: verified.checksum,
        storage_class: input
            .storage_class
            .unwrap_or_else(|| "STANDARD".to_string()),
        tag_count: tags,
        owner: ctx.account_id().to_string(),
        last_modified: ctx.now,
        blob: blob.clone(),
    });
    // The bytes are durable and named by `rec`; now the record. `mutate` answers once it is
    // durable, and only then may the blob it replaced go.
    let committed = s3
        .mutate(|index| {
            let b = s3.bucket(index, ctx, &rec.bucket, None)?;
            let cur = b.objects.get(&rec.key).cloned();
            conditions::check_write(
                &rec.key,
                cur.as_deref().map(|c| c.md5.as_str()),
                input.if_match.as_deref(),
                input.if_none_match.as_deref(),
            )?;
            Ok((vec![Change::PutObject(rec.clone())], cur))
        })
        .await;
    match committed {
        Ok(prev) => {
            if let Some(p) = prev.filter(|p| p.blob != blob) {
                s3.blobs.remove(vec![p.blob.clone()]).await;
            }
            Ok(put_output(rec.etag(), rec.checksum.as_ref()))
        }
        Err(e) => {
            // Rejected, or the store failed (and the index was rebuilt without this record):
            // no record names the new blob.
            s3.blobs.remove(vec![blob]).await;
            Err(e)
        }
    }
}

/// The current record of `bucket/key` for a reader.
fn current(
    s3: &S3,
    ctx: &RequestContext,
    r: &ReadRequest<'_>,
) -> Result<Arc<ObjectRecord>, AwsError> {
    let index = s3.read();
    let b = s3.bucket(&index, ctx, r.bucket, r.expected_owner)?;
    b.objects
        .get(r.key)
        .cloned()
        .ok_or_else(|| faults::no_such_key(r.key))
}

/// Everything GetObject and HeadObject report about an object, with the body when
/// `with_body`. `None` body for HEAD.
pub(crate) async fn read_object(
    s3: &S3,
    ctx: &RequestContext,
    r: &ReadRequest<'_>,
    with_body: bool,
) -> Result<g::GetObjectOutput, AwsError> {
    check_key(r.key)?;
    check_version(r.version_id)?;
    if let Some(p) = r.part_number {
        if !(1..=10_000).contains(&p) {
            return Err(faults::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
                "partNumber",
                p.to_string(),
            ));
        }
        if r.range.is_some() {
            return Err(faults::invalid_request(
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
    }
    // The blob of the record chosen last time round, which turned out to be gone.
    let mut vanished: Option<String> = None;
    for _ in 0..MAX_READ_ATTEMPTS {
        let rec = current(s3, ctx, r)?;
        if vanished.as_deref() == Some(rec.blob.as_str()) {
            // The index still names a blob that is not there: not a race but lost bytes.
            return Err(faults::internal(format!(
                "object data missing for {}/{}",
                r.bucket, r.key
            )));
        }
        conditions::check_read(
            &rec.md5,
            rec.last_modified,
            r.if_match,
            r.if_none_match,
            r.if_modified_since,
            r.if_unmodified_since,
        )?;
        if let Some(p) = r.part_number {
            // An object uploaded in one PUT has exactly one part.
            if p != 1 {
                return Err(faults::invalid_part_number(p, 1));
            }
        }
        let range = conditions::parse_range(r.range, rec.size)?;
        if with_body && ARCHIVED.contains(&rec.storage_class.as_str()) {
            return Err(AwsError::new(
                "InvalidObjectState",
                403,
                "The operation is not valid for the object's storage class",
            )
            .with_extra("StorageClass", rec.storage_class.clone()));
        }
        let span = range.unwrap_or(ByteRange {
            first: 0,
            last: rec.size.saturating_sub(1),
        });
        let len = if rec.size == 0 { 0 } else { span.len() };
        let stream =
            with_body && len > INLINE_READ_BYTES && nimbus_wire::stream::can_stream_response();
        let body = if stream {
            match s3.blobs.open_range(&rec.blob, span.first, len).await {
                Ok(Some(reader)) => {
                    // The reply's body is this reader; the output's blob member stays
                    // absent. (Outside a gateway exchange `stream` is false.)
                    if nimbus_wire::stream::set_response_body(Box::new(reader)).is_err() {
                        return Err(faults::internal("no exchange to stream a reply through"));
                    }
                    None
                }
                Ok(None) => Some(
                    s3.blobs
                        .read(&rec.blob, span.first, len)
                        .await
                        .map_err(|e| faults::internal(format!("reading object data: {e}")))?,
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    vanished = Some(rec.blob.clone());
                    continue;
                }
                Err(e) => return Err(faults::internal(format!("reading object data: {e}"))),
            }
        } else if with_body {
            // Once the blob is open the read is safe (removing an open file does not
            // disturb it); only the step from looking the record up to opening can race.
            match s3.blobs.read(&rec.blob, span.first, len).await {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A concurrent overwrite or delete made its change durable and removed
                    // this blob in between: look the key up again.
                    vanished = Some(rec.blob.clone());
                    continue;
                }
                Err(e) => return Err(faults::internal(format!("reading object data: {e}"))),
            }
        } else {
            None
        };
        return Ok(describe(&rec, range, body, r.checksum_mode));
    }
    // Every version this read chose was replaced before it could be opened (a hot key under
    // constant overwrite): answer as if a delete had won the race, not with a server fault.
    Err(faults::no_such_key(r.key))
}

pub(crate) async fn get_object(
    s3: &S3,
    ctx: &RequestContext,
    input: g::GetObjectRequest,
) -> Result<g::GetObjectOutput, AwsError> {
    if input.sse_customer_algorithm.is_some() {
        return Err(faults::unsupported(
            "server-side encryption with customer-provided keys (SSE-C)",
        ));
    }
    let r = ReadRequest {
        bucket: &input.bucket,
        key: &input.key,
        expected_owner: input.expected_bucket_owner.as_deref(),
        version_id: input.version_id.as_deref(),
        if_match: input.if_match.as_deref(),
        if_none_match: input.if_none_match.as_deref(),
        if_modified_since: input.if_modified_since,
        if_unmodified_since: input.if_unmodified_since,
        range: input.range.as_deref(),
        part_number: input.part_number,
        checksum_mode: input.checksum_mode.as_deref(),
    };
    let mut out = read_object(s3, ctx, &r, true).await?;
    // response-* query parameters override the stored headers in this reply only.
    let overrides = [
        (&input.response_content_type, &mut out.content_type),
        (&input.response_content_language, &mut out.content_language),
        (
            &input.response_content_disposition,
            &mut out.content_disposition,
        ),
        (&input.response_content_encoding, &mut out.content_encoding),
        (&input.response_cache_control, &mut out.cache_control),
    ];
    for (given, slot) in overrides {
        if let Some(v) = given {
            *slot = Some(v.clone());
        }
    }
    if let Some(t) = input.response_expires {
        out.expires = Some(t.to_http_date());
    }
    Ok(out)
}

pub(crate) async fn head_object(
    s3: &S3,
    ctx: &RequestContext,
    input: g::HeadObjectRequest,
) -> Result<g::HeadObjectOutput, AwsError> {
    let r = ReadRequest {
        bucket: &input.bucket,
        key: &input.key,
        expected_owner: input.expected_bucket_owner.as_deref(),
        version_id: input.version_id.as_deref(),
        if_match: input.if_match.as_deref(),
        if_none_match: input.if_none_match.as_deref(),
        if_modified_since: input.if_modified_since,
        if_unmodified_since: input.if_unmodified_since,
        range: input.range.as_deref(),
        part_number: input.part_number,
        checksum_mode: input.checksum_mode.as_deref(),
    };
    let o = read_object(s3, ctx, &r, false).await?;
    Ok(g::HeadObjectOutput {
        accept_ranges: o.accept_ranges,
        last_modified: o.last_modified,
        content_length: o.content_length,
        checksum_crc32: o.checksum_crc32,
        checksum_crc32_c: o.checksum_crc32_c,
        checksum_crc64_nvme: o.checksum_crc64_nvme,
        checksum_sha1: o.checksum_sha1,
        checksum_sha256: o.checksum_sha256,
        checksum_sha512: o.checksum_sha512,
        checksum_md5: o.checksum_md5,
        checksum_xxhash64: o.checksum_xxhash64,
        checksum_xxhash3: o.checksum_xxhash3,
        checksum_xxhash128: o.checksum_xxhash128,
        checksum_type: o.checksum_type,
        e_tag: o.e_tag,
        cache_control: o.cache_control,
        content_disposition: o.content_disposition,
        content_encoding: o.content_encoding,
        content_language: o.content_language,
        content_type: o.content_type,
        content_range: o.content_range,
        expires: o.expires,
        website_redirect_location: o.website_redirect_location,
        server_side_encryption: o.server_side_encryption,
        metadata: o.metadata,
        storage_class: o.storage_class,
        tag_count: o.tag_count,
        ..Default::default()
    })
}

pub(crate) async fn delete_object(
    s3: &S3,
    ctx: &RequestContext,
    input: g::DeleteObjectRequest,
) -> Result<g::DeleteObjectOutput, AwsError> {
    check_key(&input.key)?;
    check_version(input.version_id.as_deref())?;
    let gone = s3
        .mutate(|index| {
            let b = s3.bucket(
                index,
                ctx,
                &input.bucket,
                input.expected_bucket_owner.as_deref(),
            )?;
            let cur = b.objects.get(&input.key).cloned();
            if input.if_match.is_some() {
                conditions::check_write(
                    &input.key,
                    cur.as_deref().map(|c| c.md5.as_str()),
                    input.if_match.as_deref(),
                    None,
                )?;
            }
            let Some(c) = cur else {
                return Ok((Vec::new(), None));
            };
            if input
                .if_match_size
                .is_some_and(|s| s < 0 || s as u64 != c.size)
            {
                return Err(faults::precondition_failed("x-amz-if-match-size"));
            }
            if input
                .if_match_last_modified_time
                .is_some_and(|t| t.secs() != c.last_modified.secs())
            {
                return Err(faults::precondition_failed(
                    "x-amz-if-match-last-modified-time",
                ));
            }
            let change = Change::DeleteObject {
                bucket: input.bucket.clone(),
                key: input.key.clone(),
            };
            Ok((vec![change], Some(c)))
        })
        .await?;
    // Durable: no record names the blob any more.
    if let Some(c) = gone {
        s3.blobs.remove(vec![c.blob.clone()]).await;
    }
    Ok(g::DeleteObjectOutput::default())
}

pub(crate) async fn delete_objects(
    s3: &S3,
    ctx: &RequestContext,
    input: g::DeleteObjectsRequest,
) -> Result<g::DeleteObjectsOutput, AwsError> {
    let objects = input.delete.objects;
    if objects.is_empty() || objects.len() > MAX_DELETE_KEYS {
        return Err(faults::malformed_xml());
    }
    let quiet = input.delete.quiet == Some(true);
    let (deleted, errors, removed_blobs) = s3
        .mutate(|index| {
            let b = s3.bucket(
                index,
                ctx,
                &input.bucket,
                input.expected_bucket_owner.as_deref(),
            )?;
            let mut deleted = Vec::new();
            let mut errors = Vec::new();
            let mut removed_blobs = Vec::new();
            let mut changes = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for o in objects {
                if let Err(e) =
                    check_key(&o.key).and_then(|()| check_version(o.version_id.as_deref()))
                {
                    errors.push(g::ErrorShape {
                        key: Some(o.key),
                        version_id: o.version_id,
                        code: Some(e.code.to_string()),
                        message: Some(e.message),
                    });
                    continue;
                }
                if seen.insert(o.key.clone()) {
                    if let Some(cur) = b.objects.get(&o.key) {
                        removed_blobs.push(cur.blob.clone());
                        changes.push(Change::DeleteObject {
                            bucket: input.bucket.clone(),
                            key: o.key.clone(),
                        });
                    }
                }
                if !quiet {
                    deleted.push(g::DeletedObject {
                        key: Some(o.key),
                        version_id: o.version_id,
                        ..Default::default()
                    });
                }
            }
            Ok((changes, (deleted, errors, removed_blobs)))
        })
        .await?;
    // Durable: no record names these blobs any more.
    s3.blobs.remove(removed_blobs).await;
    Ok(g::DeleteObjectsOutput {
        deleted: (!deleted.is_empty()).then_some(deleted),
        errors: (!errors.is_empty()).then_some(errors),
        request_charged: None,
    })
}

/// The GetObject view of `rec`: stored headers, ETag, size or range, and the checksum when
/// the client asked for it on a whole-object read (S3 returns none for a range).
fn describe(
    rec: &ObjectRecord,
    range: Option<ByteRange>,
    body: Option<Bytes>,
    checksum_mode: Option<&str>,
) -> g::GetObjectOutput {
    let mut out = g::GetObjectOutput {
        body,
        accept_ranges: Some("bytes".to_string()),
        last_modified: Some(rec.last_modified),
        content_length: Some(range.map_or(rec.size, |r| r.len()) as i64),
        e_tag: Some(rec.etag()),
        cache_control: rec.cache_control.clone(),
        content_disposition: rec.content_disposition.clone(),
        content_encoding: rec.content_encoding.clone(),
        content_language: rec.content_language.clone(),
        content_range: range.map(|r| r.content_range(rec.size)),
        content_type: Some(rec.content_type.clone()),
        expires: rec.expires.clone(),
        website_redirect_location: rec.website_redirect_location.clone(),
        server_side_encryption: Some("AES256".to_string()),
        metadata: (!rec.metadata.is_empty()).then(|| rec.metadata.clone()),
        // S3 omits the header for STANDARD.
        storage_class: (rec.storage_class != "STANDARD").then(|| rec.storage_class.clone()),
        tag_count: (rec.tag_count > 0).then_some(rec.tag_count as i32),
        ..Default::default()
    };
    if range.is_none() && checksum_mode.is_some_and(|m| m.eq_ignore_ascii_case("ENABLED")) {
        if let Some((alg, v)) = &rec.checksum {
            set_checksum(&mut out, alg, v);
        }
    }
    out
}
