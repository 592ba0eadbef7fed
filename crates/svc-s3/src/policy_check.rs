//! Bucket-policy documents: what S3 accepts (and its `MalformedPolicy` wording for what it
//! does not), the form it stores and returns, and whether a policy makes the bucket
//! public. The operations that use this are in `policy.rs`; parsing and evaluation are the
//! policy library's (`nimbus_iam_policy`, with [`PolicyKind::Resource`]).
//!
//! S3 validates with the IAM grammar but answers in its own words, not IAM's
//! `MalformedPolicyDocument` messages: "Policies must be valid JSON and the first byte must
//! be '{'", "This policy contains invalid Json", "Missing required field Principal",
//! "Invalid principal in policy", "Policy has invalid resource", "Policy has invalid
//! action", "Action does not apply to any resource(s) in statement" — the messages
//! `aws s3api put-bucket-policy` users quote. On top of the grammar S3 requires every
//! resource to be this bucket or objects in it, every action to be an S3 action, and every
//! action to apply to some resource of its statement (the action table is
//! `policy_actions.rs`).
//!
//! Size: "Bucket policies are limited to 20 KB in size"
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/add-bucket-policy.html>),
//! counted here on the whitespace-free form, which is also what GetBucketPolicy returns:
//! S3 answers with the document compacted, not byte for byte as it was put.

use crate::faults;
use crate::policy_actions::{glob, scopes_of};
use nimbus_core::AwsError;
use nimbus_iam_policy::{Policy, PolicyError, PolicyKind};
use serde_json::Value;

/// 20 KB.
pub(crate) const MAX_POLICY_BYTES: usize = 20 * 1024;

/// A policy S3 accepted: its stored (compacted) text and parsed form.
pub(crate) struct Accepted {
    pub text: String,
    pub policy: Policy,
}

/// Checks `text` as the policy of `bucket`, the way PutBucketPolicy does.
pub(crate) fn accept(bucket: &str, text: &str) -> Result<Accepted, AwsError> {
    let bad = faults::malformed_policy;
    if !text.trim_start().starts_with('{') {
        return Err(bad(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    let Ok(json) = serde_json::from_str::<Value>(text) else {
        return Err(bad("This policy contains invalid Json"));
    };
    let compact = compact(text);
    if compact.len() > MAX_POLICY_BYTES {
        return Err(bad("Policy exceeds the maximum allowed document size."));
    }
    let policy = Policy::parse(text, PolicyKind::Resource)
        .map_err(|e| faults::malformed_policy(s3_wording(&e, &json)))?;
    for s in policy.statements() {
        check_statement(bucket, s)?;
    }
    Ok(Accepted {
        text: compact,
        policy,
    })
}

/// S3's message for a document the policy library rejected.
fn s3_wording(e: &PolicyError, json: &Value) -> String {
    use PolicyError as P;
    match e {
        P::Syntax | P::LegacyParsing => syntax_wording(json),
        P::MissingPrincipal | P::TrustPolicyWithoutPrincipal => {
            "Missing required field Principal".into()
        }
        P::InvalidPrincipal(_) => "Invalid principal in policy".into(),
        P::MissingActions => "Missing required field Action".into(),
        P::MissingResources => "Missing required field Resource".into(),
        P::ResourceNotArn(_)
        | P::InvalidPartition(..)
        | P::ResourceVendorNotQualified
        | P::IamResourceWithRegion(_)
        | P::S3ResourceWithRegion(_)
        | P::IamResourcePath => "Policy has invalid resource".into(),
        P::ActionWithoutVendor | P::ActionTooManyColons | P::InvalidVendor(_) => {
            "Policy has invalid action".into()
        }
        // Identity-policy and IAM `Sid` rules do not apply to `PolicyKind::Resource`; if a
        // future library raised one, IAM's own words are better than a made-up message.
        other => other.to_string(),
    }
}

/// The library reports every structural problem as one syntax error; S3 names a few of
/// them, which are found again here on the JSON value.
fn syntax_wording(json: &Value) -> String {
    let statements = match json.get("Statement") {
        None => return "Missing required field Statement".into(),
        Some(Value::Array(items)) if items.is_empty() => {
            return "Could not parse the policy: Statement is empty!".into()
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    for s in statements {
        match s.get("Effect") {
            None => return "Missing required field Effect".into(),
            Some(Value::String(e)) if e == "Allow" || e == "Deny" => {}
            Some(Value::String(e)) => return format!("Invalid effect: {e}"),
            Some(other) => return format!("Invalid effect: {other}"),
        }
    }
    "Invalid policy syntax.".into()
}

/// S3's own rules for one statement, after the IAM grammar.
fn check_statement(bucket: &str, s: &nimbus_iam_policy::Statement) -> Result<(), AwsError> {
    let bad = faults::malformed_policy;
    let (mut names_bucket, mut names_objects) = (false, false);
    let resources = s.resources();
    for r in resources.iter().flat_map(|r| &r.values) {
        let (b, o) = coverage(bucket, r).ok_or_else(|| bad("Policy has invalid resource"))?;
        names_bucket |= b;
        names_objects |= o;
    }
    let actions = s.actions();
    let negated = actions.negated || resources.is_some_and(|r| r.negated);
    for a in &actions.values {
        let scopes = scopes_of(a);
        if scopes.is_empty() {
            return Err(bad("Policy has invalid action"));
        }
        // With `NotAction` / `NotResource` the statement names what it leaves out, so
        // there is no pairing of named actions and resources to check.
        let applies = scopes
            .iter()
            .any(|sc| (sc.bucket() && names_bucket) || (sc.object() && names_objects));
        if !negated && !applies {
            return Err(bad("Action does not apply to any resource(s) in statement"));
        }
    }
    Ok(())
}

/// Whether resource entry `r` names `bucket` itself and/or objects in it; `None` when it is
/// not an S3 ARN within `bucket` (S3: "Policy has invalid resource"). `*` and `?` are
/// IAM wildcards; a `*` in the bucket part may reach into keys (`arn:aws:s3:::my-*`).
fn coverage(bucket: &str, r: &str) -> Option<(bool, bool)> {
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    let ["arn", _partition, "s3", "", "", path] = parts.as_slice() else {
        return None;
    };
    let names_bucket = glob(path.as_bytes(), bucket.as_bytes());
    let names_objects = match path.split_once('/') {
        Some((head, _)) => glob(head.as_bytes(), bucket.as_bytes()),
        None => path.ends_with('*') && names_bucket,
    };
    (names_bucket || names_objects).then_some((names_bucket, names_objects))
}

/// `text` without the white space between JSON tokens (strings are kept byte for byte).
pub(crate) fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// GetBucketPolicyStatus's `IsPublic`, after "The meaning of 'public'"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>):
/// a policy is public when an `Allow` statement grants to everyone (`"Principal": "*"`,
/// `{"AWS": "*"}` among its principals, or any `NotPrincipal`) and no condition pins the
/// request down to a fixed value of one of the documented keys: `aws:SourceIp` (a CIDR
/// other than `0.0.0.0/0` / `::/0`), `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`,
/// `aws:SourceOwner`, `aws:SourceAccount`, `s3:x-amz-server-side-encryption-aws-kms-key-id`
/// or `aws:userid` (a role's `AROLEID:*` counts as fixed).
///
/// Not considered (AWS does more): the "bad actions" nuance, how broad a CIDR may be
/// before it counts as public, keys AWS may have added to the list since, and ACLs and
/// Block Public Access settings (Nimbus has neither). A statement conditioned with an
/// `...IfExists` or `ForAllValues:` operator, or a negated one, does not count as pinned,
/// since a request without the key passes it.
pub(crate) fn is_public(text: &str) -> bool {
    let Ok(json) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    let statements: Vec<&Value> = match json.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => return false,
    };
    statements.into_iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && grants_everyone(s)
            && !pinned(s.get("Condition"))
    })
}

fn grants_everyone(s: &Value) -> bool {
    if s.get("NotPrincipal").is_some() {
        return true;
    }
    match s.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|v| strings(v).contains(&"*")),
        _ => false,
    }
}

const PINNING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
];

/// True when some clause of the `Condition` element limits the statement to fixed values.
fn pinned(condition: Option<&Value>) -> bool {
    let Some(Value::Object(ops)) = condition else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        let op = op.strip_prefix("ForAnyValue:").unwrap_or(op);
        if op.ends_with("IfExists") || op.contains(':') || op.starts_with("Not") {
            return false;
        }
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().any(|(key, values)| {
            let key = key.to_ascii_lowercase();
            let values = strings(values);
            if values.is_empty() {
                return false;
            }
            match op {
                "IpAddress" => {
                    key == "aws:sourceip"
                        && values.iter().all(|v| *v != "0.0.0.0/0" && *v != "::/0")
                }
                "StringEquals"
                | "StringEqualsIgnoreCase"
                | "StringLike"
                | "ArnEquals"
                | "ArnLike" => {
                    PINNING_KEYS.contains(&key.as_str()) && values.iter().all(|v| fixed(&key, v))
                }
                _ => false,
            }
        })
    })
}

fn fixed(key: &str, v: &str) -> bool {
    let v = if key == "aws:userid" {
        v.strip_suffix(":*").unwrap_or(v)
    } else {
        v
    };
    !v.is_empty() && !v.contains(['*', '?'])
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
