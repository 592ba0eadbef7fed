//! The generated `Handlers` trait implemented for [`Ssm`]: one module per concern —
//! `params` (put, get, delete), `history` (history and labels), `listing`
//! (`GetParametersByPath`, `DescribeParameters`), `tags` — and the shared rendering and
//! paging helpers here. Public `/aws/service/…` parameters come from `nimbus_images` via
//! `crate::public`.

mod history;
mod listing;
mod params;
mod tags;

use crate::generated as g;
use crate::model::{ParamRec, VersionRec};
use crate::state::Ssm;
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext, Timestamp};

/// The ARN of an account's own parameter: a hierarchical name's leading slash is not
/// repeated after `parameter/`.
pub fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:ssm:{}:{}:parameter/{}",
        ctx.region,
        ctx.account_id(),
        name.strip_prefix('/').unwrap_or(name)
    )
}

/// The value a read shows: SecureString values only with decryption.
fn shown_value(v: &VersionRec, decrypt: bool) -> String {
    match (&v.ciphertext, decrypt) {
        (Some(c), false) if v.r#type == "SecureString" => c.clone(),
        _ => v.value.clone(),
    }
}

/// `Parameter` of a `GetParameter(s)`/`GetParametersByPath` answer.
pub fn render(
    ctx: &RequestContext,
    p: &ParamRec,
    v: &VersionRec,
    decrypt: bool,
    selector: Option<String>,
) -> g::Parameter {
    g::Parameter {
        name: Some(p.name.clone()),
        r#type: Some(v.r#type.clone()),
        value: Some(shown_value(v, decrypt)),
        version: Some(v.version),
        selector,
        source_result: None,
        last_modified_date: Some(Timestamp(v.last_modified_ms)),
        arn: Some(arn(ctx, &p.name)),
        data_type: Some(v.data_type.clone()),
    }
}

/// A page of `items` after the one named by `token`: (page, next token).
pub fn page<T: Clone>(
    items: &[T],
    key: impl Fn(&T) -> String,
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match token {
        None => 0,
        Some(t) => {
            let after = decode_token(t)?;
            items.iter().position(|i| key(i) > after).unwrap_or(items.len())
        }
    };
    let end = (start + max).min(items.len());
    let page = items[start..end].to_vec();
    let next = (end < items.len()).then(|| encode_token(&key(&items[end - 1])));
    Ok((page, next))
}

fn encode_token(after: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-ssm:{after}"))
}

fn decode_token(t: &str) -> Result<String, AwsError> {
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("nimbus-ssm:").map(str::to_string))
        .ok_or_else(crate::errors::invalid_next_token)
}

impl g::Handlers for Ssm {
    async fn add_tags_to_resource(&self, ctx: &RequestContext, input: g::AddTagsToResourceRequest) -> Result<g::AddTagsToResourceResult, AwsError> {
        tags::add(self, ctx, input).await
    }
    async fn remove_tags_from_resource(&self, ctx: &RequestContext, input: g::RemoveTagsFromResourceRequest) -> Result<g::RemoveTagsFromResourceResult, AwsError> {
        tags::remove(self, ctx, input).await
    }
    async fn list_tags_for_resource(&self, ctx: &RequestContext, input: g::ListTagsForResourceRequest) -> Result<g::ListTagsForResourceResult, AwsError> {
        tags::list(self, ctx, input)
    }
    async fn put_parameter(&self, ctx: &RequestContext, input: g::PutParameterRequest) -> Result<g::PutParameterResult, AwsError> {
        params::put(self, ctx, input).await
    }
    async fn get_parameter(&self, ctx: &RequestContext, input: g::GetParameterRequest) -> Result<g::GetParameterResult, AwsError> {
        params::get(self, ctx, input)
    }
    async fn get_parameters(&self, ctx: &RequestContext, input: g::GetParametersRequest) -> Result<g::GetParametersResult, AwsError> {
        params::get_many(self, ctx, input)
    }
    async fn delete_parameter(&self, ctx: &RequestContext, input: g::DeleteParameterRequest) -> Result<g::DeleteParameterResult, AwsError> {
        params::delete(self, ctx, input).await
    }
    async fn delete_parameters(&self, ctx: &RequestContext, input: g::DeleteParametersRequest) -> Result<g::DeleteParametersResult, AwsError> {
        params::delete_many(self, ctx, input).await
    }
    async fn get_parameter_history(&self, ctx: &RequestContext, input: g::GetParameterHistoryRequest) -> Result<g::GetParameterHistoryResult, AwsError> {
        history::history(self, ctx, input)
    }
    async fn label_parameter_version(&self, ctx: &RequestContext, input: g::LabelParameterVersionRequest) -> Result<g::LabelParameterVersionResult, AwsError> {
        history::label(self, ctx, input).await
    }
    async fn unlabel_parameter_version(&self, ctx: &RequestContext, input: g::UnlabelParameterVersionRequest) -> Result<g::UnlabelParameterVersionResult, AwsError> {
        history::unlabel(self, ctx, input).await
    }
    async fn get_parameters_by_path(&self, ctx: &RequestContext, input: g::GetParametersByPathRequest) -> Result<g::GetParametersByPathResult, AwsError> {
        listing::by_path(self, ctx, input)
    }
    async fn describe_parameters(&self, ctx: &RequestContext, input: g::DescribeParametersRequest) -> Result<g::DescribeParametersResult, AwsError> {
        listing::describe(self, ctx, input)
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.reset_with(then)
    }
}
