//! `GetParameterHistory`, `LabelParameterVersion` and `UnlabelParameterVersion`: every
//! retained version with its labels, and labels that move between versions (a label names
//! at most one version of a parameter; a version carries at most ten).

use super::{page, shown_value};
use crate::errors::{self, constraint};
use crate::generated as g;
use crate::model::MAX_LABELS_PER_VERSION;
use crate::persist::Change;
use crate::state::Ssm;
use crate::validate;
use nimbus_core::{AwsError, RequestContext, Timestamp};

pub fn history(ssm: &Ssm, ctx: &RequestContext, input: g::GetParameterHistoryRequest) -> Result<g::GetParameterHistoryResult, AwsError> {
    let name = input.name.trim().to_string();
    validate::name_shape(&name)?;
    let max = validate::max_results(input.max_results, 50, 50)?;
    let decrypt = input.with_decryption.unwrap_or(false);
    let all: Vec<g::ParameterHistory> = ssm.read(ctx, |scope| {
        let p = scope.get(&name).ok_or_else(errors::not_found)?;
        Ok::<_, AwsError>(
            p.versions
                .iter()
                .map(|v| g::ParameterHistory {
                    name: Some(p.name.clone()),
                    r#type: Some(v.r#type.clone()),
                    key_id: v.key_id.clone(),
                    last_modified_date: Some(Timestamp(v.last_modified_ms)),
                    last_modified_user: Some(v.last_modified_user.clone()),
                    description: v.description.clone(),
                    value: Some(shown_value(v, decrypt)),
                    allowed_pattern: v.allowed_pattern.clone(),
                    version: Some(v.version),
                    labels: Some(v.labels.clone()),
                    tier: Some(v.tier.clone()),
                    policies: Some(Vec::new()),
                    data_type: Some(v.data_type.clone()),
                })
                .collect(),
        )
    })?;
    // Versions are unique and ascending; zero-padding makes their string order match.
    let (parameters, next_token) = page(&all, |h| format!("{:020}", h.version.unwrap_or(0)), input.next_token.as_deref(), max)?;
    Ok(g::GetParameterHistoryResult { parameters: Some(parameters), next_token })
}

fn check_labels(labels: &[String]) -> Result<(), AwsError> {
    if labels.is_empty() || labels.len() > 10 {
        let rule = if labels.is_empty() { "have length greater than or equal to 1" } else { "have length less than or equal to 10" };
        return Err(constraint(&format!("[{}]", labels.join(", ")), "labels", rule));
    }
    Ok(())
}

pub async fn label(ssm: &Ssm, ctx: &RequestContext, input: g::LabelParameterVersionRequest) -> Result<g::LabelParameterVersionResult, AwsError> {
    let name = input.name.trim().to_string();
    validate::name_shape(&name)?;
    check_labels(&input.labels)?;
    ssm.mutate(ctx, |scope| {
        let mut rec = scope.get(&name).cloned().ok_or_else(errors::not_found)?;
        let target = input.parameter_version.unwrap_or_else(|| rec.latest().version);
        let idx = rec
            .versions
            .iter()
            .position(|v| v.version == target)
            .ok_or_else(|| errors::version_not_found(&name, &target.to_string()))?;
        let mut invalid = Vec::new();
        for l in &input.labels {
            if !validate::label_ok(l) {
                invalid.push(l.clone());
                continue;
            }
            for (i, v) in rec.versions.iter_mut().enumerate() {
                if i != idx {
                    v.labels.retain(|x| x != l);
                }
            }
            let labels = &mut rec.versions[idx].labels;
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        if rec.versions[idx].labels.len() > MAX_LABELS_PER_VERSION {
            return Err(errors::label_limit());
        }
        Ok((Change::put(rec), g::LabelParameterVersionResult { invalid_labels: Some(invalid), parameter_version: Some(target) }))
    })
    .await
}

pub async fn unlabel(ssm: &Ssm, ctx: &RequestContext, input: g::UnlabelParameterVersionRequest) -> Result<g::UnlabelParameterVersionResult, AwsError> {
    let name = input.name.trim().to_string();
    validate::name_shape(&name)?;
    check_labels(&input.labels)?;
    let target = input.parameter_version;
    if target < 1 {
        return Err(constraint(&target.to_string(), "parameterVersion", "have value greater than or equal to 1"));
    }
    ssm.mutate(ctx, |scope| {
        let mut rec = scope.get(&name).cloned().ok_or_else(errors::not_found)?;
        let v = rec
            .versions
            .iter_mut()
            .find(|v| v.version == target)
            .ok_or_else(|| errors::version_not_found(&name, &target.to_string()))?;
        let (mut removed, mut invalid) = (Vec::new(), Vec::new());
        for l in &input.labels {
            if v.labels.contains(l) {
                v.labels.retain(|x| x != l);
                removed.push(l.clone());
            } else if !removed.contains(l) {
                invalid.push(l.clone());
            }
        }
        Ok((Change::put(rec), g::UnlabelParameterVersionResult { removed_labels: Some(removed), invalid_labels: Some(invalid) }))
    })
    .await
}
