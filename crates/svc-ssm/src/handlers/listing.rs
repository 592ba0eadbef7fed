//! `GetParametersByPath` (a hierarchy's parameters with their values: the account's own, or
//! the public `/aws/service/…` ones; one level or recursive; `Type`/`KeyId`/`Label`
//! filters) and `DescribeParameters` (the account's parameters' metadata with AWS's
//! `ParameterFilters` — `Name`, `Path`, `Type`, `KeyId`, `Tier`, `DataType`, `Label`,
//! `tag:KEY` — or the older `Filters`). Both page by name.

use super::{arn, page, render};
use crate::errors::{self, validation};
use crate::generated as g;
use crate::model::ParamRec;
use crate::public;
use crate::state::Ssm;
use crate::validate;
use nimbus_core::{AwsError, RequestContext, Timestamp};

const PATH_RULES: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". \
It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), \
- (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". \
Valid example: /get/parameters2-/by1./path0_.";

fn check_path(path: &str) -> Result<(), AwsError> {
    if !path.starts_with('/') {
        return Err(validation(PATH_RULES));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(());
    }
    match validate::name_shape(trimmed) {
        Err(e) if e.code == "HierarchyLevelLimitExceededException" => Err(e),
        Err(_) => Err(validation(PATH_RULES)),
        Ok(()) => Ok(()),
    }
}

/// Whether `name` lies under `path` (directly unless `recursive`).
fn under(name: &str, path: &str, recursive: bool) -> bool {
    let mut prefix = path.trim_end_matches('/').to_string();
    prefix.push('/');
    match name.strip_prefix(prefix.as_str()) {
        Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
        None => false,
    }
}

fn option_of(f: &g::ParameterStringFilter, allowed: &[&str]) -> Result<String, AwsError> {
    let o = f.option.clone().unwrap_or_else(|| allowed[0].to_string());
    if !allowed.contains(&o.as_str()) {
        return Err(errors::invalid_filter_option(format!(
            "The filter option \"{o}\" is not valid for key \"{}\". Valid options include: [{}].",
            f.key,
            allowed.join(", ")
        )));
    }
    Ok(o)
}

fn values_of(f: &g::ParameterStringFilter) -> Result<Vec<String>, AwsError> {
    match &f.values {
        Some(v) if !v.is_empty() => Ok(v.clone()),
        _ => Err(errors::invalid_filter_value(format!("The filter \"{}\" requires at least one value.", f.key))),
    }
}

pub fn by_path(ssm: &Ssm, ctx: &RequestContext, input: g::GetParametersByPathRequest) -> Result<g::GetParametersByPathResult, AwsError> {
    let path = input.path.trim().to_string();
    check_path(&path)?;
    let recursive = input.recursive.unwrap_or(false);
    let max = validate::max_results(input.max_results, 10, 10)?;
    let decrypt = input.with_decryption.unwrap_or(false);
    let (mut types, mut keys, mut label) = (None, None, None);
    for f in input.parameter_filters.iter().flatten() {
        let slot = match f.key.as_str() {
            "Type" => &mut types,
            "KeyId" => &mut keys,
            "Label" => &mut label,
            other => {
                return Err(errors::invalid_filter_key(&format!(
                    "{other}. Valid filter keys for GetParametersByPath include: [Type, KeyId, Label]"
                )))
            }
        };
        option_of(f, &["Equals"])?;
        *slot = Some(values_of(f)?);
    }
    let all: Vec<g::Parameter> = if path == "/aws" || path.starts_with("/aws/") {
        nimbus_images::public_parameters_under(&path, recursive)
            .filter(|_| types.as_ref().is_none_or(|t: &Vec<String>| t.iter().any(|x| x == "String")))
            .filter(|_| keys.is_none() && label.is_none())
            .filter_map(|p| public::render(&ctx.region, p, None))
            .collect()
    } else {
        ssm.read(ctx, |scope| {
            scope
                .values()
                .filter(|p| under(&p.name, &path, recursive))
                .filter_map(|p| {
                    let v = match &label {
                        Some(ls) => p.versions.iter().rev().find(|v| v.labels.iter().any(|l| ls.contains(l)))?,
                        None => p.latest(),
                    };
                    if types.as_ref().is_some_and(|t| !t.contains(&v.r#type)) {
                        return None;
                    }
                    if keys.as_ref().is_some_and(|k| !v.key_id.as_ref().is_some_and(|x| k.contains(x))) {
                        return None;
                    }
                    let sel = label.as_ref().and_then(|_| v.labels.first().map(|l| format!(":{l}")));
                    Some(render(ctx, p, v, decrypt, sel))
                })
                .collect()
        })
    };
    let (parameters, next_token) = page(&all, |p| p.name.clone().unwrap_or_default(), input.next_token.as_deref(), max)?;
    Ok(g::GetParametersByPathResult { parameters: Some(parameters), next_token })
}

type Pred = Box<dyn Fn(&ParamRec) -> bool>;

fn string_filter(f: &g::ParameterStringFilter) -> Result<Pred, AwsError> {
    let key = f.key.as_str();
    if let Some(tag) = key.strip_prefix("tag:") {
        option_of(f, &["Equals"])?;
        let (tag, values) = (tag.to_string(), f.values.clone().unwrap_or_default());
        return Ok(Box::new(move |p| {
            p.tags.iter().any(|(k, v)| *k == tag && (values.is_empty() || values.contains(v)))
        }));
    }
    match key {
        "Name" => {
            let o = option_of(f, &["Equals", "BeginsWith", "Contains"])?;
            let vals = values_of(f)?;
            Ok(Box::new(move |p| {
                vals.iter().any(|v| match o.as_str() {
                    "Equals" => p.name == *v,
                    "BeginsWith" => p.name.starts_with(v.as_str()),
                    _ => p.name.contains(v.as_str()),
                })
            }))
        }
        "Path" => {
            let o = option_of(f, &["OneLevel", "Recursive"])?;
            let vals = values_of(f)?;
            for v in &vals {
                check_path(v)?;
            }
            Ok(Box::new(move |p| vals.iter().any(|v| under(&p.name, v, o == "Recursive"))))
        }
        "Type" | "KeyId" | "Tier" | "DataType" | "Label" => {
            option_of(f, &["Equals"])?;
            let vals = values_of(f)?;
            let key = key.to_string();
            Ok(Box::new(move |p| {
                let v = p.latest();
                match key.as_str() {
                    "Type" => vals.contains(&v.r#type),
                    "KeyId" => v.key_id.as_ref().is_some_and(|k| vals.contains(k)),
                    "Tier" => vals.contains(&v.tier),
                    "DataType" => vals.contains(&v.data_type),
                    _ => p.versions.iter().any(|x| x.labels.iter().any(|l| vals.contains(l))),
                }
            }))
        }
        other => Err(errors::invalid_filter_key(other)),
    }
}

fn legacy_filter(f: &g::ParametersFilter) -> Result<Pred, AwsError> {
    let vals = f.values.clone();
    if vals.is_empty() {
        return Err(errors::invalid_filter_value(format!("The filter \"{}\" requires at least one value.", f.key)));
    }
    match f.key.as_str() {
        "Name" => Ok(Box::new(move |p| vals.iter().any(|v| p.name.starts_with(v.as_str())))),
        "Type" => Ok(Box::new(move |p| vals.contains(&p.latest().r#type))),
        "KeyId" => Ok(Box::new(move |p| p.latest().key_id.as_ref().is_some_and(|k| vals.contains(k)))),
        other => Err(errors::invalid_filter_key(other)),
    }
}

fn metadata(ctx: &RequestContext, p: &ParamRec) -> g::ParameterMetadata {
    let v = p.latest();
    g::ParameterMetadata {
        name: Some(p.name.clone()),
        arn: Some(arn(ctx, &p.name)),
        r#type: Some(v.r#type.clone()),
        key_id: v.key_id.clone(),
        last_modified_date: Some(Timestamp(v.last_modified_ms)),
        last_modified_user: Some(v.last_modified_user.clone()),
        description: v.description.clone(),
        allowed_pattern: v.allowed_pattern.clone(),
        version: Some(v.version),
        tier: Some(v.tier.clone()),
        policies: Some(Vec::new()),
        data_type: Some(v.data_type.clone()),
    }
}

pub fn describe(ssm: &Ssm, ctx: &RequestContext, input: g::DescribeParametersRequest) -> Result<g::DescribeParametersResult, AwsError> {
    if input.filters.as_ref().is_some_and(|f| !f.is_empty()) && input.parameter_filters.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err(validation("You can use either Filters or ParameterFilters in a single request."));
    }
    let max = validate::max_results(input.max_results, 50, 50)?;
    let mut preds: Vec<Pred> = Vec::new();
    for f in input.parameter_filters.iter().flatten() {
        preds.push(string_filter(f)?);
    }
    for f in input.filters.iter().flatten() {
        preds.push(legacy_filter(f)?);
    }
    // No parameter is shared with a Nimbus account through AWS RAM.
    let all: Vec<g::ParameterMetadata> = if input.shared == Some(true) {
        Vec::new()
    } else {
        ssm.read(ctx, |scope| {
            scope.values().filter(|p| preds.iter().all(|f| f(p))).map(|p| metadata(ctx, p)).collect()
        })
    };
    let (parameters, next_token) = page(&all, |p| p.name.clone().unwrap_or_default(), input.next_token.as_deref(), max)?;
    Ok(g::DescribeParametersResult { parameters: Some(parameters), next_token })
}
