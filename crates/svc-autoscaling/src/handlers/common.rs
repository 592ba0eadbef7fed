//! What the handlers share: pagination (`NextToken` is the sort key of the first item of
//! the next page), `MaxRecords` bounds, the group lookup with AWS's not-found error, and
//! tag checks.

use crate::errors;
use crate::model::GroupRec;
use crate::state::Scope;
use nimbus_core::AwsError;

/// Checks `MaxRecords` against `limit` (AWS's bound; 100 for most listings) and returns
/// the page size (`default` when absent).
pub fn max_records(v: Option<i32>, default: usize, limit: i32) -> Result<usize, AwsError> {
    match v {
        None => Ok(default),
        Some(n) if n < 1 => Err(errors::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ))),
        Some(n) if n > limit => Err(errors::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to {limit}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// One page of `items` (sorted by key) starting at `token`.
pub fn page<T>(
    items: Vec<(String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match token {
        None => 0,
        Some(t) => {
            if t.is_empty() {
                return Err(errors::bad_token());
            }
            items
                .iter()
                .position(|(k, _)| k.as_str() >= t)
                .unwrap_or(items.len())
        }
    };
    let mut rest: Vec<(String, T)> = items.into_iter().skip(start).collect();
    let next = if rest.len() > size {
        Some(rest[size].0.clone())
    } else {
        None
    };
    rest.truncate(size);
    Ok((rest.into_iter().map(|(_, v)| v).collect(), next))
}

pub fn group<'a>(scope: &'a Scope, name: &str) -> Result<&'a GroupRec, AwsError> {
    scope.group(name).ok_or_else(|| errors::no_group(name))
}

/// A group that may be changed: exists and is not being deleted.
pub fn live_group(scope: &Scope, name: &str) -> Result<GroupRec, AwsError> {
    let g = group(scope, name)?;
    if g.status.is_some() {
        return Err(errors::group_deleting(name));
    }
    Ok(g.clone())
}

/// A tag key and value as Auto Scaling accepts them.
pub fn check_tag(key: &str, value: &str) -> Result<(), AwsError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(errors::validation(format!(
            "Tag key must be between 1 and 128 characters long: {key}"
        )));
    }
    if value.chars().count() > 256 {
        return Err(errors::validation(format!(
            "Tag value must be no more than 256 characters long: {value}"
        )));
    }
    if key.starts_with("aws:") {
        return Err(errors::validation(format!(
            "Tag keys starting with 'aws:' are reserved for internal use: {key}"
        )));
    }
    Ok(())
}

/// Auto Scaling's limit on tags per group.
pub const MAX_TAGS: usize = 50;
