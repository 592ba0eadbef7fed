//! Authorization on the wire side: [`access_denied`] turns a [`Denial`] into the error the
//! service's protocol uses for it, and [`expand`] / [`condition`] / [`keyed_condition`] /
//! [`AuthzValues`] are the small runtime
//! the generated per-operation access functions (`generated.rs`, `mod access`) use to fill
//! the ARN and condition templates of `codegen/authorization/<service>.json` from the
//! request context and the typed input.
//!
//! The decision itself is not here: it belongs to the [`nimbus_core::Authorizer`] the
//! gateway passes to [`crate::Service::call`].

use crate::{Protocol, ServiceModel};
use nimbus_core::{AwsError, Denial, Timestamp};
use std::borrow::Cow;

/// The protocol's refusal for `denial`:
/// - SNS: `AuthorizationError`, 403;
/// - EC2: `UnauthorizedOperation`, 403, "You are not authorized to perform this operation. "
///   followed by the reason and, when the denial carries one, ". Encoded authorization
///   failure message: " and the sealed details
///   (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>);
/// - query services, query-compatible JSON services (CloudWatch) and S3: `AccessDenied`,
///   403 (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>). For
///   CloudWatch on JSON/CBOR the code travels in `x-amzn-query-error`, which botocore
///   reports as the error code, so the CLI sees `AccessDenied` on every protocol;
/// - other JSON services: `AccessDeniedException`, 400 (the shape ACM and most JSON
///   services model);
/// - whatever the service, a [`nimbus_core::DenialKind::TokenNotValidHere`] refusal is
///   `InvalidClientTokenId`, 403, as AWS answers IAM calls made with `GetSessionToken`
///   credentials that carry no MFA
///   (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html>).
pub fn access_denied(model: &ServiceModel, denial: Denial) -> AwsError {
    if denial.kind == nimbus_core::DenialKind::TokenNotValidHere {
        return AwsError::new("InvalidClientTokenId", 403, denial.message);
    }
    let preferred = model.protocols.first().copied();
    // SNS has its own refusal, `AuthorizationError`, 403
    // (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors).
    if model.name == "sns" {
        return AwsError::new("AuthorizationError", 403, denial.message);
    }
    if model.protocols.contains(&Protocol::Ec2) {
        let message = match &denial.encoded {
            Some(encoded) => format!(
                "You are not authorized to perform this operation. {}. Encoded authorization \
                 failure message: {encoded}",
                denial.message.trim_end_matches('.')
            ),
            None => format!(
                "You are not authorized to perform this operation. {}",
                denial.message
            ),
        };
        return AwsError::new("UnauthorizedOperation", 403, message);
    }
    if model.query_compatible || matches!(preferred, Some(Protocol::Query | Protocol::RestXml)) {
        return AwsError::new("AccessDenied", 403, denial.message);
    }
    AwsError::new("AccessDeniedException", 400, denial.message)
}

/// One piece of an ARN or condition-value template.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    /// Text copied as is (including `${Partition}`, `${Region}` and `${Account}` once
    /// resolved).
    Lit(&'a str),
    /// An input member's values: the template expands once per value.
    Each(&'a [String]),
}

/// Appends every expansion of `parts` to `out`: one string per combination of the
/// [`Part::Each`] values (a member that is a list of strings gives one resource per
/// element), and nothing at all when some member has no value (it was absent).
pub fn expand(parts: &[Part<'_>], out: &mut Vec<String>) {
    fn go(parts: &[Part<'_>], prefix: &mut String, out: &mut Vec<String>) {
        match parts.split_first() {
            None => out.push(prefix.clone()),
            Some((Part::Lit(s), rest)) => {
                let len = prefix.len();
                prefix.push_str(s);
                go(rest, prefix, out);
                prefix.truncate(len);
            }
            Some((Part::Each(values), rest)) => {
                for v in *values {
                    let len = prefix.len();
                    prefix.push_str(v);
                    go(rest, prefix, out);
                    prefix.truncate(len);
                }
            }
        }
    }
    go(parts, &mut String::new(), out);
}

/// The `s3-copy-source` placeholder filter (see codegen's `authz.rs`): each
/// `x-amz-copy-source` value (`bucket/key`, URL-encoded, maybe with a leading `/` and a
/// `?versionId=`) becomes the `bucket/key` an object ARN names; a value that names no
/// object is dropped.
pub fn s3_copy_source_objects(values: &mut Vec<String>) {
    values.retain_mut(|v| {
        let path = v.split_once("?versionId=").map_or(v.as_str(), |(p, _)| p);
        let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
            .decode_utf8()
            .ok()
            .map(|d| d.into_owned());
        match decoded {
            Some(d)
                if d.split_once('/')
                    .is_some_and(|(b, k)| !b.is_empty() && !k.is_empty()) =>
            {
                *v = d;
                true
            }
            _ => false,
        }
    });
}

/// The resource list of one access: what the templates expanded to, or `*` when none of
/// them could be filled (the request names no resource the action can be scoped to).
pub fn resources_or_star(resources: Vec<String>) -> Vec<String> {
    if resources.is_empty() {
        vec!["*".to_string()]
    } else {
        resources
    }
}

/// Adds condition `key` to `conditions` when its template expands to at least one value
/// (a condition whose member the request leaves out is omitted).
pub fn condition(
    conditions: &mut Vec<(Cow<'static, str>, Vec<String>)>,
    key: &'static str,
    parts: &[Part<'_>],
) {
    let mut values = Vec::new();
    expand(parts, &mut values);
    if !values.is_empty() {
        conditions.push((Cow::Borrowed(key), values));
    }
}

/// Adds the conditions whose key is itself a template, for one element of a list: the
/// request-tag keys `aws:RequestTag/${TagKey}` built from one `{Key, Value}` of `Tags`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag>).
/// Each key `key_parts` expands to gets the values `value_parts` expands to; nothing is
/// added when either expands to nothing. A key already present (a tag key given twice)
/// gains the values rather than a second entry, so that a lookup by key sees them all.
pub fn keyed_condition(
    conditions: &mut Vec<(Cow<'static, str>, Vec<String>)>,
    key_parts: &[Part<'_>],
    value_parts: &[Part<'_>],
) {
    let mut values = Vec::new();
    expand(value_parts, &mut values);
    if values.is_empty() {
        return;
    }
    let mut keys = Vec::new();
    expand(key_parts, &mut keys);
    for key in keys {
        match conditions.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => existing.extend(values.iter().cloned()),
            None => conditions.push((Cow::Owned(key), values.clone())),
        }
    }
}

/// The string forms of a typed input member, as templates and condition keys see them:
/// strings as they are, numbers and booleans in their usual text form, timestamps in ISO
/// 8601, an absent optional member as nothing and a list as one value per element.
pub trait AuthzValues {
    fn push_values(&self, out: &mut Vec<String>);
}

impl AuthzValues for String {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.clone());
    }
}

impl AuthzValues for bool {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(if *self { "true" } else { "false" }.to_string());
    }
}

impl AuthzValues for i32 {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.to_string());
    }
}

impl AuthzValues for i64 {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.to_string());
    }
}

impl AuthzValues for f64 {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.to_string());
    }
}

impl AuthzValues for Timestamp {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.to_iso8601());
    }
}

impl<T: AuthzValues> AuthzValues for Option<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.push_values(out);
        }
    }
}

impl<T: AuthzValues> AuthzValues for Vec<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        for v in self {
            v.push_values(out);
        }
    }
}

impl<T: AuthzValues> AuthzValues for Box<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        (**self).push_values(out);
    }
}

/// The values of one member, collected.
pub fn values(member: &impl AuthzValues) -> Vec<String> {
    let mut out = Vec::new();
    member.push_values(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_become_object_paths() {
        let mut v = vec![
            "src/open/a%20b%2Bc.txt".to_string(),
            "/src/k?versionId=null".to_string(),
            "no-key".to_string(),
            "/".to_string(),
        ];
        s3_copy_source_objects(&mut v);
        assert_eq!(v, ["src/open/a b+c.txt", "src/k"]);
    }
    use crate::model::Operation;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn expanded(parts: &[Part<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        expand(parts, &mut out);
        out
    }

    #[test]
    fn present_members_fill_the_template() {
        let bucket = values(&"photos".to_string());
        let key = values(&Some("a/b.jpg".to_string()));
        assert_eq!(
            expanded(&[
                Part::Lit("arn:aws:s3:::"),
                Part::Each(&bucket),
                Part::Lit("/"),
                Part::Each(&key)
            ]),
            ["arn:aws:s3:::photos/a/b.jpg"]
        );
    }

    #[test]
    fn an_absent_member_yields_nothing_and_the_access_falls_back_to_star() {
        let vpc = values(&None::<String>);
        let out = expanded(&[Part::Lit("arn:aws:ec2:us-east-1:1:vpc/"), Part::Each(&vpc)]);
        assert!(out.is_empty());
        assert_eq!(resources_or_star(out), ["*"]);
        let mut conditions = Vec::new();
        condition(&mut conditions, "s3:prefix", &[Part::Each(&vpc)]);
        assert!(conditions.is_empty());
    }

    #[test]
    fn lists_give_one_value_per_element() {
        let keys = values(&vec!["a".to_string(), "b".to_string()]);
        assert_eq!(
            expanded(&[Part::Lit("arn:aws:s3:::bk/"), Part::Each(&keys)]),
            ["arn:aws:s3:::bk/a", "arn:aws:s3:::bk/b"]
        );
        let mut conditions = Vec::new();
        condition(
            &mut conditions,
            "sts:TransitiveTagKeys",
            &[Part::Each(&keys)],
        );
        assert_eq!(
            conditions,
            [("sts:TransitiveTagKeys".into(), strings(&["a", "b"]))]
        );
    }

    #[test]
    fn keyed_conditions_build_their_key_and_merge_repeats() {
        let mut conditions = Vec::new();
        condition(&mut conditions, "aws:TagKeys", &[Part::Lit("team")]);
        let (team, red, blue) = (strings(&["team"]), strings(&["red"]), strings(&["blue"]));
        let key = [Part::Lit("aws:RequestTag/"), Part::Each(&team)];
        keyed_condition(&mut conditions, &key, &[Part::Each(&red)]);
        keyed_condition(&mut conditions, &key, &[Part::Each(&blue)]);
        // A tag without a value, or a key that expands to nothing, adds nothing.
        keyed_condition(&mut conditions, &key, &[Part::Each(&[])]);
        keyed_condition(
            &mut conditions,
            &[Part::Lit("aws:RequestTag/"), Part::Each(&[])],
            &[Part::Each(&red)],
        );
        assert_eq!(
            conditions,
            [
                (Cow::Borrowed("aws:TagKeys"), strings(&["team"])),
                (
                    Cow::Owned("aws:RequestTag/team".to_string()),
                    strings(&["red", "blue"])
                ),
            ]
        );
    }

    #[test]
    fn a_literal_star_is_kept_and_scalars_render_as_text() {
        assert_eq!(expanded(&[Part::Lit("*")]), ["*"]);
        assert_eq!(values(&Some(1000i32)), ["1000"]);
        assert_eq!(values(&true), ["true"]);
        assert_eq!(values(&Timestamp(0)), ["1970-01-01T00:00:00.000Z"]);
    }

    const NO_OPS: [Operation; 0] = [];

    fn model(protocols: &'static [Protocol], query_compatible: bool) -> ServiceModel {
        ServiceModel {
            name: "x",
            service_id: "X",
            endpoint_prefix: "x",
            signing_name: "x",
            iam_prefix: "x",
            api_version: "2020-01-01",
            protocols,
            target_prefix: None,
            json_version: None,
            xml_namespace: None,
            query_compatible,
            operations: &NO_OPS,
            shapes: &[],
        }
    }

    #[test]
    fn denials_render_per_protocol() {
        let why = "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: x:Y";
        let d = || Denial::new(why);
        let e = access_denied(&model(&[Protocol::Ec2], false), d());
        assert_eq!((e.code.as_ref(), e.status), ("UnauthorizedOperation", 403));
        assert_eq!(
            e.message,
            format!("You are not authorized to perform this operation. {why}")
        );
        let e = access_denied(
            &model(&[Protocol::Ec2], false),
            d().with_encoded("sealed-123".into()),
        );
        assert_eq!(
            e.message,
            format!(
                "You are not authorized to perform this operation. {why}. Encoded \
                 authorization failure message: sealed-123"
            )
        );
        for m in [
            model(&[Protocol::Query], false),
            model(&[Protocol::RestXml], false),
            model(
                &[Protocol::RpcV2Cbor, Protocol::Json, Protocol::Query],
                true,
            ),
        ] {
            let e = access_denied(&m, d());
            assert_eq!(
                (e.code.as_ref(), e.status, e.message.as_str()),
                ("AccessDenied", 403, why)
            );
            assert!(e.sender_fault);
        }
        let e = access_denied(&model(&[Protocol::Json], false), d());
        assert_eq!((e.code.as_ref(), e.status), ("AccessDeniedException", 400));
    }
}
