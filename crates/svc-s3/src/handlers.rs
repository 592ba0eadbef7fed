//! The generated [`Handlers`](crate::generated::Handlers) trait, implemented by delegating
//! each operation to its home: `buckets.rs`, `objects.rs`, `listing.rs` or `policy.rs`. Nothing else
//! lives here, so the wiring of an operation is readable at a glance.

use crate::generated as g;
use crate::state::S3;
use crate::{buckets, listing, multipart, objects, policy};
use nimbus_core::{AwsError, RequestContext};

impl g::Handlers for S3 {
    async fn abort_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: g::AbortMultipartUploadRequest,
    ) -> Result<g::AbortMultipartUploadOutput, AwsError> {
        multipart::abort(self, ctx, input).await
    }

    async fn complete_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: g::CompleteMultipartUploadRequest,
    ) -> Result<g::CompleteMultipartUploadOutput, AwsError> {
        multipart::complete(self, ctx, input).await
    }

    async fn create_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: g::CreateMultipartUploadRequest,
    ) -> Result<g::CreateMultipartUploadOutput, AwsError> {
        multipart::create(self, ctx, input).await
    }

    async fn list_multipart_uploads(
        &self,
        ctx: &RequestContext,
        input: g::ListMultipartUploadsRequest,
    ) -> Result<g::ListMultipartUploadsOutput, AwsError> {
        multipart::list_uploads(self, ctx, input)
    }

    async fn list_parts(
        &self,
        ctx: &RequestContext,
        input: g::ListPartsRequest,
    ) -> Result<g::ListPartsOutput, AwsError> {
        multipart::list_parts(self, ctx, input)
    }

    async fn upload_part(
        &self,
        ctx: &RequestContext,
        input: g::UploadPartRequest,
    ) -> Result<g::UploadPartOutput, AwsError> {
        multipart::upload_part(self, ctx, input).await
    }

    async fn upload_part_copy(
        &self,
        ctx: &RequestContext,
        input: g::UploadPartCopyRequest,
    ) -> Result<g::UploadPartCopyOutput, AwsError> {
        multipart::upload_part_copy(self, ctx, input).await
    }

    async fn create_bucket(
        &self,
        ctx: &RequestContext,
        input: g::CreateBucketRequest,
    ) -> Result<g::CreateBucketOutput, AwsError> {
        buckets::create_bucket(self, ctx, input).await
    }

    async fn delete_bucket(
        &self,
        ctx: &RequestContext,
        input: g::DeleteBucketRequest,
    ) -> Result<(), AwsError> {
        buckets::delete_bucket(self, ctx, input).await
    }

    async fn delete_bucket_policy(
        &self,
        ctx: &RequestContext,
        input: g::DeleteBucketPolicyRequest,
    ) -> Result<(), AwsError> {
        policy::delete_bucket_policy(self, ctx, input).await
    }

    async fn delete_object(
        &self,
        ctx: &RequestContext,
        input: g::DeleteObjectRequest,
    ) -> Result<g::DeleteObjectOutput, AwsError> {
        objects::delete_object(self, ctx, input).await
    }

    async fn delete_objects(
        &self,
        ctx: &RequestContext,
        input: g::DeleteObjectsRequest,
    ) -> Result<g::DeleteObjectsOutput, AwsError> {
        objects::delete_objects(self, ctx, input).await
    }

    async fn get_bucket_location(
        &self,
        ctx: &RequestContext,
        input: g::GetBucketLocationRequest,
    ) -> Result<g::GetBucketLocationOutput, AwsError> {
        buckets::get_bucket_location(self, ctx, input)
    }

    async fn get_bucket_policy(
        &self,
        ctx: &RequestContext,
        input: g::GetBucketPolicyRequest,
    ) -> Result<g::GetBucketPolicyOutput, AwsError> {
        policy::get_bucket_policy(self, ctx, input)
    }

    async fn get_bucket_policy_status(
        &self,
        ctx: &RequestContext,
        input: g::GetBucketPolicyStatusRequest,
    ) -> Result<g::GetBucketPolicyStatusOutput, AwsError> {
        policy::get_bucket_policy_status(self, ctx, input)
    }

    async fn get_object(
        &self,
        ctx: &RequestContext,
        input: g::GetObjectRequest,
    ) -> Result<g::GetObjectOutput, AwsError> {
        objects::get_object(self, ctx, input).await
    }

    async fn head_bucket(
        &self,
        ctx: &RequestContext,
        input: g::HeadBucketRequest,
    ) -> Result<g::HeadBucketOutput, AwsError> {
        buckets::head_bucket(self, ctx, input)
    }

    async fn head_object(
        &self,
        ctx: &RequestContext,
        input: g::HeadObjectRequest,
    ) -> Result<g::HeadObjectOutput, AwsError> {
        objects::head_object(self, ctx, input).await
    }

    async fn list_buckets(
        &self,
        ctx: &RequestContext,
        input: g::ListBucketsRequest,
    ) -> Result<g::ListBucketsOutput, AwsError> {
        buckets::list_buckets(self, ctx, input)
    }

    async fn list_objects(
        &self,
        ctx: &RequestContext,
        input: g::ListObjectsRequest,
    ) -> Result<g::ListObjectsOutput, AwsError> {
        listing::list_objects(self, ctx, input)
    }

    async fn list_objects_v2(
        &self,
        ctx: &RequestContext,
        input: g::ListObjectsV2Request,
    ) -> Result<g::ListObjectsV2Output, AwsError> {
        listing::list_objects_v2(self, ctx, input)
    }

    async fn put_bucket_policy(
        &self,
        ctx: &RequestContext,
        input: g::PutBucketPolicyRequest,
    ) -> Result<(), AwsError> {
        policy::put_bucket_policy(self, ctx, input).await
    }

    async fn put_object(
        &self,
        ctx: &RequestContext,
        input: g::PutObjectRequest,
    ) -> Result<g::PutObjectOutput, AwsError> {
        objects::put_object(self, ctx, input).await
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.reset_with(then)
    }
}
