//! `PutParameter`, `GetParameter`, `GetParameters`, `DeleteParameter` and
//! `DeleteParameters`: versions, tiers, types, allowed patterns, data types, SecureString
//! values, and `name:version` / `name:label` selectors.

use super::render;
use crate::errors::{self, constraint, validation};
use crate::generated as g;
use crate::model::{ParamRec, VersionRec, DEFAULT_KEY_ID, MAX_VERSIONS};
use crate::persist::Change;
use crate::public;
use crate::state::{Scope, Ssm};
use crate::validate::{self, Selector};
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext};

/// Most Standard-tier parameters one account may have in a region.
const MAX_STANDARD_PARAMETERS: usize = 10_000;

fn random_ciphertext(ssm: &Ssm, value: &str) -> String {
    // KMS ciphertext blobs start with a fixed header; the rest is random (module docs of
    // `model`).
    let mut bytes = vec![0u8; 5 + 100 + value.len()];
    bytes[..5].copy_from_slice(&[0x01, 0x02, 0x02, 0x00, 0x78]);
    ssm.ids.fill(&mut bytes[5..]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub async fn put(ssm: &Ssm, ctx: &RequestContext, input: g::PutParameterRequest) -> Result<g::PutParameterResult, AwsError> {
    let name = input.name.trim().to_string();
    validate::new_name(&name)?;
    if let Some(t) = &input.r#type {
        validate::param_type(t)?;
    }
    if let Some(t) = &input.tier {
        validate::tier(t)?;
    }
    let data_type = input.data_type.clone().unwrap_or_else(|| "text".to_string());
    validate::data_type(&data_type)?;
    if input.policies.is_some() {
        return Err(AwsError::not_implemented("SSM", "PutParameter with Policies (parameter policies)"));
    }
    if let Some(d) = &input.description {
        if d.chars().count() > 1024 {
            return Err(constraint(d, "description", "have length less than or equal to 1024"));
        }
    }
    if input.value.is_empty() {
        return Err(constraint("", "value", "have length greater than or equal to 1"));
    }
    if input.value.chars().count() > validate::ADVANCED_VALUE_MAX {
        return Err(constraint("", "value", "have length less than or equal to 8192"));
    }
    let pattern = match &input.allowed_pattern {
        Some(p) if p.chars().count() > 1024 => {
            return Err(constraint(p, "allowedPattern", "have length less than or equal to 1024"))
        }
        Some(p) => Some((p.clone(), regex::Regex::new(p).map_err(|_| errors::invalid_allowed_pattern())?)),
        None => None,
    };
    let overwrite = input.overwrite.unwrap_or(false);
    let tags: Vec<(String, String)> = input.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect();
    if !tags.is_empty() && overwrite {
        return Err(validation(
            "Tags and overwrite can't be used together. To create a parameter with tags, clear the overwrite option. \
             To add tags to an existing parameter, use the AddTagsToResource API operation.",
        ));
    }
    validate::tags(&tags)?;
    if tags.len() > validate::MAX_TAGS {
        return Err(errors::too_many_tags());
    }
    let ciphertext = random_ciphertext(ssm, &input.value);
    ssm.mutate(ctx, |scope: &Scope| {
        let existing = scope.get(&name);
        if existing.is_some() && !overwrite {
            return Err(errors::already_exists());
        }
        let prev = existing.map(ParamRec::latest);
        let ty = match (&input.r#type, prev) {
            (Some(t), _) => t.clone(),
            (None, Some(p)) => p.r#type.clone(),
            (None, None) => return Err(validation("A parameter type is required when you create a parameter.")),
        };
        if existing.is_none() && scope.len() >= MAX_STANDARD_PARAMETERS {
            return Err(errors::parameter_limit());
        }
        if data_type == "aws:ec2:image" {
            if ty != "String" {
                return Err(validation(format!(
                    "The data type aws:ec2:image is supported only for parameters of type String, not {ty}."
                )));
            }
            if !validate::ami_id(&input.value) {
                return Err(validation(format!(
                    "Parameter value {} is not a valid Amazon Machine Image (AMI) ID: it must be ami- followed by 8 or 17 hexadecimal digits.",
                    input.value
                )));
            }
        }
        let key_id = match (&input.key_id, ty.as_str()) {
            (Some(_), t) if t != "SecureString" => {
                return Err(validation("KeyId is required for SecureString type parameter only."))
            }
            (Some(k), _) if k != DEFAULT_KEY_ID => return Err(errors::invalid_key_id()),
            (Some(k), _) => Some(k.clone()),
            (None, "SecureString") => Some(
                prev.and_then(|p| p.key_id.clone()).unwrap_or_else(|| DEFAULT_KEY_ID.to_string()),
            ),
            (None, _) => None,
        };
        let len = input.value.chars().count();
        let prev_tier = prev.map(|p| p.tier.as_str());
        let tier = match (input.tier.as_deref(), prev_tier) {
            (Some("Standard"), Some("Advanced")) => {
                return Err(validation(
                    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the \
                     advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the \
                     advanced parameter and recreate it as a standard parameter.",
                ))
            }
            (Some("Advanced"), _) | (_, Some("Advanced")) => "Advanced",
            (Some("Intelligent-Tiering"), _) if len > validate::STANDARD_VALUE_MAX => "Advanced",
            _ => "Standard",
        };
        if tier == "Standard" && len > validate::STANDARD_VALUE_MAX {
            return Err(validation(
                "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger \
                 parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see \
                 https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
            ));
        }
        // Settings the request leaves out carry over from the previous version.
        let allowed_pattern = pattern.as_ref().map(|(p, _)| p.clone()).or_else(|| prev.and_then(|p| p.allowed_pattern.clone()));
        if let Some(p) = &allowed_pattern {
            let re = match &pattern {
                Some((_, re)) => re.clone(),
                None => regex::Regex::new(p).map_err(|_| errors::invalid_allowed_pattern())?,
            };
            if !re.is_match(&input.value) {
                return Err(errors::pattern_mismatch(p));
            }
        }
        let description = input.description.clone().or_else(|| prev.and_then(|p| p.description.clone()));
        let mut rec = existing.cloned().unwrap_or_else(|| ParamRec {
            account: ctx.account_id().to_string(),
            region: ctx.region.clone(),
            name: name.clone(),
            versions: Vec::new(),
            tags: tags.clone(),
        });
        let version = prev.map_or(1, |p| p.version + 1);
        if rec.versions.len() >= MAX_VERSIONS {
            let oldest = &rec.versions[0];
            if !oldest.labels.is_empty() {
                return Err(errors::max_versions(&name, oldest.version));
            }
            rec.versions.remove(0);
        }
        rec.versions.push(VersionRec {
            version,
            r#type: ty.clone(),
            value: input.value.clone(),
            ciphertext: (ty == "SecureString").then(|| ciphertext.clone()),
            key_id,
            description,
            allowed_pattern,
            tier: tier.to_string(),
            data_type: data_type.clone(),
            labels: Vec::new(),
            last_modified_ms: ctx.now.millis(),
            last_modified_user: ctx.principal.arn.clone(),
        });
        Ok((Change::put(rec), g::PutParameterResult { version: Some(version), tier: Some(tier.to_string()) }))
    })
    .await
}

/// Looks up one `name[:selector]` for a read; `Err` is the error `GetParameter` answers.
fn lookup(ssm: &Ssm, ctx: &RequestContext, raw: &str, decrypt: bool) -> Result<g::Parameter, AwsError> {
    let (name, selector) = validate::split_selector(raw)?;
    if public::is_public(&name) {
        let p = nimbus_images::public_parameter(&name).ok_or_else(errors::not_found)?;
        match &selector {
            Selector::None => {}
            Selector::Version(v) if *v == p.version as i64 => {}
            Selector::Version(v) => return Err(errors::version_not_found(&name, &v.to_string())),
            Selector::Label(l) => return Err(errors::version_not_found(&name, l)),
        }
        return public::render(&ctx.region, p, selector.render()).ok_or_else(errors::not_found);
    }
    ssm.read(ctx, |scope| {
        let p = scope.get(&name).ok_or_else(errors::not_found)?;
        let v = match &selector {
            Selector::None => p.latest(),
            Selector::Version(v) => p.version(*v).ok_or_else(|| errors::version_not_found(&name, &v.to_string()))?,
            Selector::Label(l) => p.labelled(l).ok_or_else(|| errors::version_not_found(&name, l))?,
        };
        Ok(render(ctx, p, v, decrypt, selector.render()))
    })
}

pub fn get(ssm: &Ssm, ctx: &RequestContext, input: g::GetParameterRequest) -> Result<g::GetParameterResult, AwsError> {
    let p = lookup(ssm, ctx, &input.name, input.with_decryption.unwrap_or(false))?;
    Ok(g::GetParameterResult { parameter: Some(p) })
}

fn check_names(names: &[String]) -> Result<(), AwsError> {
    if names.is_empty() || names.len() > 10 {
        let shown = format!("[{}]", names.join(", "));
        let rule = if names.is_empty() { "have length greater than or equal to 1" } else { "have length less than or equal to 10" };
        return Err(constraint(&shown, "names", rule));
    }
    Ok(())
}

pub fn get_many(ssm: &Ssm, ctx: &RequestContext, input: g::GetParametersRequest) -> Result<g::GetParametersResult, AwsError> {
    check_names(&input.names)?;
    let decrypt = input.with_decryption.unwrap_or(false);
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for raw in &input.names {
        if !seen.insert(raw.as_str()) {
            continue;
        }
        match lookup(ssm, ctx, raw, decrypt) {
            Ok(p) => found.push(p),
            Err(e) if e.code == "ValidationException" && validate::split_selector(raw).is_err() => return Err(e),
            Err(_) => invalid.push(raw.clone()),
        }
    }
    Ok(g::GetParametersResult { parameters: Some(found), invalid_parameters: Some(invalid) })
}

pub async fn delete(ssm: &Ssm, ctx: &RequestContext, input: g::DeleteParameterRequest) -> Result<g::DeleteParameterResult, AwsError> {
    let name = input.name.trim().to_string();
    validate::name_shape(&name)?;
    ssm.mutate(ctx, |scope| {
        if !scope.contains_key(&name) {
            return Err(errors::not_found());
        }
        let change = Change { put: Vec::new(), delete: vec![(ctx.account_id().to_string(), ctx.region.clone(), name.clone())] };
        Ok((change, g::DeleteParameterResult {}))
    })
    .await
}

pub async fn delete_many(ssm: &Ssm, ctx: &RequestContext, input: g::DeleteParametersRequest) -> Result<g::DeleteParametersResult, AwsError> {
    check_names(&input.names)?;
    ssm.mutate(ctx, |scope| {
        let mut change = Change::default();
        let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
        for raw in &input.names {
            let name = raw.trim();
            if scope.contains_key(name) && !deleted.iter().any(|d: &String| d == name) {
                change.delete.push((ctx.account_id().to_string(), ctx.region.clone(), name.to_string()));
                deleted.push(name.to_string());
            } else if !deleted.iter().any(|d| d == name) {
                invalid.push(raw.clone());
            }
        }
        Ok((change, g::DeleteParametersResult { deleted_parameters: Some(deleted), invalid_parameters: Some(invalid) }))
    })
    .await
}
