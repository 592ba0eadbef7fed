//! `TagSpecifications` on create-style calls and the tags of `CreateTags`: picks the tags
//! meant for this call's resource type and applies AWS's tag rules (key required, at most 128 characters, no `aws:`
//! prefix, value at most 256 characters, no repeated key, at most 50 tags). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions>.

use crate::errors;
use crate::generated::{Tag, TagSpecification};
use crate::model::TagRec;
use nimbus_core::AwsError;

/// The tags for `resource_type` from `specs`; a spec for another resource type is refused.
pub fn from_specs(
    specs: Option<Vec<TagSpecification>>,
    resource_type: &str,
) -> Result<Vec<TagRec>, AwsError> {
    let mut out: Vec<TagRec> = Vec::new();
    for spec in specs.unwrap_or_default() {
        let rt = spec.resource_type.unwrap_or_default();
        if rt != resource_type {
            return Err(errors::invalid_parameter_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        for tag in spec.tags.unwrap_or_default() {
            let t = check(tag)?;
            if out.iter().any(|o| o.key == t.key) {
                return Err(errors::invalid_parameter_value(format!(
                    "Duplicate tag key '{}' specified.",
                    t.key
                )));
            }
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(AwsError::client(
            "TagLimitExceeded",
            "The maximum number of tags for a resource is 50.",
        ));
    }
    Ok(out)
}

/// AWS's limit of tags per resource.
pub const MAX_TAGS: usize = 50;

/// The tags of a `CreateTags` call, checked (keys, values, no repeats, at most 50).
pub fn check_all(tags: Vec<Tag>) -> Result<Vec<TagRec>, AwsError> {
    if tags.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter tagSet",
        ));
    }
    from_specs(
        Some(vec![TagSpecification {
            resource_type: Some(String::new()),
            tags: Some(tags),
        }]),
        "",
    )
}

/// A tag key's rules: 1–128 characters, no `aws:` prefix.
pub fn check_key(key: &str) -> Result<(), AwsError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(errors::invalid_parameter_value(
            "Tag keys must be between 1 and 128 characters long.",
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(errors::invalid_parameter_value(
            "Tag keys starting with 'aws:' are reserved for internal use",
        ));
    }
    Ok(())
}

fn check(tag: Tag) -> Result<TagRec, AwsError> {
    let key = tag.key.unwrap_or_default();
    let value = tag.value.unwrap_or_default();
    check_key(&key)?;
    if value.chars().count() > 256 {
        return Err(errors::invalid_parameter_value(
            "Tag values must be at most 256 characters long.",
        ));
    }
    Ok(TagRec { key, value })
}

/// Wire tags, or `None` when there are none (AWS leaves `tagSet` out then).
pub fn render(tags: &[TagRec]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|t| Tag {
                key: Some(t.key.clone()),
                value: Some(t.value.clone()),
            })
            .collect()
    })
}
