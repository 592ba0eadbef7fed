//! The public parameters AWS and the distributions publish under `/aws/service/`, served
//! from the `nimbus_images` catalogue: each resolves to the built-in image's id in the
//! caller's region. They belong to no account (their ARN has an empty account field) and
//! are read-only: names under `/aws/` are reserved, so no account can create one.

use crate::generated as g;
use nimbus_core::Timestamp;
use nimbus_images::PublicParameter;

/// Whether `name` is in the public namespace (`/aws/service/…`).
pub fn is_public(name: &str) -> bool {
    name == "/aws/service" || name.starts_with("/aws/service/")
}

/// The account-less ARN of a public parameter in `region`.
pub fn arn(region: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}::parameter/{}", name.trim_start_matches('/'))
}

/// `p` as a `Parameter` of `region`, or `None` if its image is missing from the catalogue.
pub fn render(region: &str, p: &PublicParameter, selector: Option<String>) -> Option<g::Parameter> {
    let (_, image) = nimbus_images::resolve_parameter(region, p.name)?;
    Some(g::Parameter {
        name: Some(p.name.to_string()),
        r#type: Some("String".to_string()),
        value: Some(image.id),
        version: Some(p.version as i64),
        selector,
        source_result: None,
        last_modified_date: Some(Timestamp::from_secs(p.last_modified_epoch_seconds)),
        arn: Some(arn(region, p.name)),
        data_type: Some(p.data_type.to_string()),
    })
}
