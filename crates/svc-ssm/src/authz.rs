//! SSM's parameter ARNs as AWS forms them, applied to the accesses the generated code builds
//! from `codegen/authorization/ssm.json` before the authorizer sees them. The facts file
//! writes `parameter/${Name}`, which for a hierarchical name gives `parameter//dev/db`; AWS
//! documents that the name's leading slash is not repeated (`parameter/dev/db`). Public
//! parameters (`/aws/service/…`) belong to no account, so their ARN has an empty account
//! field (`arn:aws:ssm:us-east-1::parameter/aws/service/…`), which is what policies granting
//! them name. A `name:version` / `name:label` selector is not part of the resource, and a
//! name given as a full parameter ARN is used as it is.
//!
//! [`SsmService`] wraps the generated `Router`: it decodes the typed input once more to
//! build the accesses, normalises them, asks the authorizer, then runs the router with the
//! decision already taken.

use crate::generated as g;
use crate::public;
use nimbus_core::{Access, AllowAll, Authorizer, AwsError, RequestContext};
use nimbus_wire::convert::FromValue;
use nimbus_wire::{BoxFut, Operation, Protocol, ResetStep, ServiceModel, Value};

/// The SSM service as the gateway sees it.
pub struct SsmService(pub g::Router<crate::Ssm>);

/// One resource ARN in AWS's form (see the module docs).
pub fn normalize(resource: &str) -> String {
    const MARK: &str = ":parameter/";
    let Some(at) = resource.find(MARK) else {
        return resource.to_string();
    };
    let (head, rest) = (&resource[..at], &resource[at + MARK.len()..]);
    if let Some(arn) = rest.strip_prefix("arn:") {
        // `arn:aws:ssm:R:A:parameter/NAME[:selector]`: keep the first six fields' worth.
        let mut fields = arn.splitn(6, ':');
        let kept: Vec<&str> = fields.by_ref().take(5).collect();
        let tail = fields.next().unwrap_or("");
        let tail = tail.split(':').next().unwrap_or(tail);
        return format!("arn:{}:{tail}", kept.join(":"));
    }
    let name = rest.split(':').next().unwrap_or(rest);
    let name = name.strip_prefix('/').unwrap_or(name);
    if public::is_public(&format!("/{name}")) {
        let region = head.split(':').nth(3).unwrap_or("");
        return public::arn(region, name);
    }
    format!("{head}{MARK}{name}")
}

fn typed<T: FromValue>(input: &Option<Value>, shape: &str) -> Option<T> {
    T::from_value(input.clone()?, shape).ok()
}

/// The accesses `op` needs, normalised; `None` when the input does not decode (the router
/// then answers with the decoding error before authorizing).
fn accesses(ctx: &RequestContext, op: &str, input: &Option<Value>) -> Option<Vec<Access>> {
    use g::access as a;
    let mut list = match op {
        "AddTagsToResource" => a::add_tags_to_resource(ctx, &typed(input, "AddTagsToResourceRequest")?),
        "DeleteParameter" => a::delete_parameter(ctx, &typed(input, "DeleteParameterRequest")?),
        "DeleteParameters" => a::delete_parameters(ctx, &typed(input, "DeleteParametersRequest")?),
        "DescribeParameters" => a::describe_parameters(ctx, &typed(input, "DescribeParametersRequest")?),
        "GetParameter" => a::get_parameter(ctx, &typed(input, "GetParameterRequest")?),
        "GetParameterHistory" => a::get_parameter_history(ctx, &typed(input, "GetParameterHistoryRequest")?),
        "GetParameters" => a::get_parameters(ctx, &typed(input, "GetParametersRequest")?),
        "GetParametersByPath" => a::get_parameters_by_path(ctx, &typed(input, "GetParametersByPathRequest")?),
        "LabelParameterVersion" => a::label_parameter_version(ctx, &typed(input, "LabelParameterVersionRequest")?),
        "ListTagsForResource" => a::list_tags_for_resource(ctx, &typed(input, "ListTagsForResourceRequest")?),
        "PutParameter" => a::put_parameter(ctx, &typed(input, "PutParameterRequest")?),
        "RemoveTagsFromResource" => a::remove_tags_from_resource(ctx, &typed(input, "RemoveTagsFromResourceRequest")?),
        "UnlabelParameterVersion" => a::unlabel_parameter_version(ctx, &typed(input, "UnlabelParameterVersionRequest")?),
        _ => return None,
    };
    for access in &mut list {
        for r in &mut access.resources {
            *r = normalize(r);
        }
    }
    Some(list)
}

impl nimbus_wire::Service for SsmService {
    fn model(&self) -> &'static ServiceModel {
        self.0.model()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        authz: &'a dyn Authorizer,
        protocol: Protocol,
        op: &'static Operation,
        input: Option<Value>,
    ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
        Box::pin(async move {
            match accesses(ctx, op.name, &input) {
                Some(list) => {
                    authz
                        .authorize(ctx, &list)
                        .map_err(|d| nimbus_wire::access_denied(self.model(), d))?;
                    self.0.call(ctx, &AllowAll, protocol, op, input).await
                }
                None => self.0.call(ctx, authz, protocol, op, input).await,
            }
        })
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        self.0.reset(then)
    }
}
