//! From policy text to a validated [`Policy`], rejecting what IAM rejects with the message
//! IAM gives. This module owns the checks and their order; the element types live in
//! `document`, the condition and principal sub-grammars in `condition` and `principal`.
//!
//! IAM reports one problem per request, and which one depends on an order observable from
//! the outside: syntax first (JSON, element names and types, `Effect`, operators), then the
//! managed-policy version rule, then "legacy parsing" failures, then the principal rules of
//! the document kind, then `Sid` rules, then missing actions/resources, then the format of
//! resources and actions. The grammar:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>;
//! the allowed characters: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>.

use crate::condition::ConditionBlock;
use crate::document::{Effect, Entries, Policy, PolicyKind, PrincipalElement, Statement, Version};
use crate::error::PolicyError;
use crate::json::Json;
use crate::matching::{is_known_partition, ActionPattern, ArnPattern};
use crate::principal::PrincipalSet;

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The resource types an IAM ARN may name (what follows `arn:aws:iam::ACCOUNT:`).
const IAM_RESOURCE_PREFIXES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

impl Policy {
    /// Parses and validates `text` as a policy of the given kind.
    ///
    /// ```
    /// use nimbus_iam_policy::{Policy, PolicyKind, PolicyError};
    /// let ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    /// assert!(Policy::parse(ok, PolicyKind::Managed).is_ok());
    /// let bad = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
    /// assert_eq!(Policy::parse(bad, PolicyKind::Inline), Err(PolicyError::PrincipalNotAllowed));
    /// ```
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse_policy(text, kind)
    }

    /// Parses a policy AWS itself wrote (an AWS managed policy): the same language, but
    /// without the checks IAM applies only to the `Resource` ARNs customers submit
    /// (partition `*`, regions in S3/IAM ARNs, IAM resource types), which AWS's own
    /// policies do not always pass (`AutoScalingServiceRolePolicy` names
    /// `arn:*:resource-groups:*:*:group/*`). Such entries simply match as patterns.
    pub fn parse_aws_authored(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse_inner(text, kind, false)
    }
}

/// A statement after the syntax pass, before the semantic checks.
struct Draft<'a> {
    sid: Option<String>,
    effect: Effect,
    principal: Option<(bool, &'a Json)>,
    actions: Option<Entries>,
    resources: Option<Entries>,
    condition: ConditionBlock,
}

/// See [`Policy::parse`].
pub fn parse_policy(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    parse_inner(text, kind, true)
}

fn parse_inner(text: &str, kind: PolicyKind, check_resources: bool) -> Result<Policy, PolicyError> {
    // "Policy documents can contain only the following Unicode characters: horizontal tab,
    // linefeed, carriage return, and characters in the range U+0020 to U+00FF."
    if !text
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(PolicyError::Syntax);
    }
    let Some(Json::Object(top)) = Json::parse(text) else {
        return Err(PolicyError::Syntax);
    };

    // --- Syntax pass -------------------------------------------------------------------
    let mut version = None;
    let mut id = None;
    let mut statement_json = None;
    for (name, value) in &top {
        match (name.as_str(), value) {
            ("Version", Json::String(v)) => {
                version = Some(match v.as_str() {
                    "2012-10-17" => Version::V2012_10_17,
                    "2008-10-17" => Version::V2008_10_17,
                    _ => return Err(PolicyError::Syntax),
                })
            }
            ("Id", Json::String(v)) => id = Some(v.clone()),
            ("Statement", v) => statement_json = Some(v),
            _ => return Err(PolicyError::Syntax),
        }
    }
    let statements: Vec<&Json> = match statement_json {
        Some(Json::Array(items)) if !items.is_empty() => items.iter().collect(),
        Some(obj @ Json::Object(_)) => vec![obj],
        _ => return Err(PolicyError::Syntax),
    };
    let variables = version == Some(Version::V2012_10_17);
    let mut legacy = None;
    let drafts = statements
        .into_iter()
        .map(|s| draft_statement(s, variables, &mut legacy))
        .collect::<Result<Vec<_>, _>>()?;

    // --- Semantic passes, in IAM's order -----------------------------------------------
    if kind == PolicyKind::Managed && version != Some(Version::V2012_10_17) {
        return Err(PolicyError::VersionTooOld);
    }
    if let Some(e) = legacy {
        return Err(e);
    }
    let principals = drafts
        .iter()
        .map(|d| check_principal(d, kind))
        .collect::<Result<Vec<_>, _>>()?;
    if kind.uses_iam_sid_rules() {
        check_sids(&drafts)?;
    }
    for d in &drafts {
        if d.actions.as_ref().is_none_or(|a| a.values.is_empty()) {
            return Err(PolicyError::MissingActions);
        }
    }
    if kind != PolicyKind::RoleTrust {
        for d in &drafts {
            if d.resources.as_ref().is_none_or(|r| r.values.is_empty()) {
                return Err(PolicyError::MissingResources);
            }
        }
        for d in drafts.iter().filter(|_| check_resources) {
            for r in d.resources.iter().flat_map(|r| &r.values) {
                check_resource(r)?;
            }
        }
    }
    for d in &drafts {
        for a in d.actions.iter().flat_map(|a| &a.values) {
            check_action(a)?;
        }
    }

    let statements = drafts
        .into_iter()
        .zip(principals)
        .map(|(d, principal)| build_statement(d, principal, variables))
        .collect();
    Ok(Policy {
        version: version.unwrap_or(Version::V2008_10_17),
        version_given: version.is_some(),
        id,
        statements,
    })
}

fn draft_statement<'a>(
    json: &'a Json,
    variables: bool,
    legacy: &mut Option<PolicyError>,
) -> Result<Draft<'a>, PolicyError> {
    let Json::Object(members) = json else {
        return Err(PolicyError::Syntax);
    };
    let has = |n: &str| members.iter().any(|(k, _)| k == n);
    if members
        .iter()
        .any(|(k, _)| !STATEMENT_ELEMENTS.contains(&k.as_str()))
        || (has("Principal") && has("NotPrincipal"))
        || (has("Action") && has("NotAction"))
        || (has("Resource") && has("NotResource"))
    {
        return Err(PolicyError::Syntax);
    }
    let mut draft = Draft {
        sid: None,
        effect: Effect::Allow,
        principal: None,
        actions: None,
        resources: None,
        condition: ConditionBlock::default(),
    };
    let mut effect_seen = false;
    for (name, value) in members {
        match name.as_str() {
            "Sid" => match value {
                Json::String(s) => draft.sid = Some(s.clone()),
                _ => return Err(PolicyError::Syntax),
            },
            "Effect" => {
                let Json::String(e) = value else {
                    return Err(PolicyError::Syntax);
                };
                draft.effect = match e.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    // IAM's first pass compares case-insensitively, its legacy parser
                    // exactly: `"allow"` is not a syntax error but fails legacy parsing.
                    e if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {
                        legacy.get_or_insert(PolicyError::LegacyParsing);
                        Effect::Allow
                    }
                    _ => return Err(PolicyError::Syntax),
                };
                effect_seen = true;
            }
            "Principal" | "NotPrincipal" => {
                match value {
                    Json::String(s) if s == "*" => {}
                    Json::Object(_) => {}
                    _ => return Err(PolicyError::Syntax),
                }
                draft.principal = Some((name == "NotPrincipal", value));
            }
            "Action" | "NotAction" => {
                draft.actions = Some(Entries {
                    negated: name == "NotAction",
                    values: string_or_list(value)?,
                })
            }
            "Resource" | "NotResource" => {
                draft.resources = Some(Entries {
                    negated: name == "NotResource",
                    values: string_or_list(value)?,
                })
            }
            "Condition" => draft.condition = ConditionBlock::from_json(value, variables, legacy)?,
            _ => return Err(PolicyError::Syntax),
        }
    }
    if !effect_seen {
        return Err(PolicyError::Syntax);
    }
    Ok(draft)
}

fn string_or_list(v: &Json) -> Result<Vec<String>, PolicyError> {
    match v {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::Syntax),
            })
            .collect(),
        _ => Err(PolicyError::Syntax),
    }
}

fn check_principal(
    d: &Draft<'_>,
    kind: PolicyKind,
) -> Result<Option<PrincipalElement>, PolicyError> {
    if kind.is_identity() {
        // reference_policies_elements_principal.html: "You cannot use the Principal element
        // in an identity-based policy."
        return match d.principal {
            Some(_) => Err(PolicyError::PrincipalNotAllowed),
            None => Ok(None),
        };
    }
    if kind == PolicyKind::RoleTrust {
        // reference_policies_elements_notprincipal.html: not in "an IAM role trust policy".
        if d.principal.is_some_and(|(not, _)| not) {
            return Err(PolicyError::ProhibitedField("NotPrincipal"));
        }
        if let Some(r) = &d.resources {
            return Err(PolicyError::ProhibitedField(if r.negated {
                "NotResource"
            } else {
                "Resource"
            }));
        }
    }
    let Some((not, json)) = d.principal else {
        return Err(missing_principal(kind));
    };
    let set = PrincipalSet::from_json(json)?;
    if set.is_empty() {
        return Err(missing_principal(kind));
    }
    Ok(Some(if not {
        PrincipalElement::NotPrincipal(set)
    } else {
        PrincipalElement::Principal(set)
    }))
}

fn missing_principal(kind: PolicyKind) -> PolicyError {
    if kind == PolicyKind::RoleTrust {
        PolicyError::TrustPolicyWithoutPrincipal
    } else {
        PolicyError::MissingPrincipal
    }
}

/// reference_policies_elements_sid.html: "In IAM, the Sid value must be unique within a
/// JSON policy" and "supports ASCII uppercase letters (A-Z), lowercase letters (a-z), and
/// numbers (0-9)". Empty Sids are not compared.
fn check_sids(drafts: &[Draft<'_>]) -> Result<(), PolicyError> {
    let sids: Vec<&str> = drafts
        .iter()
        .filter_map(|d| d.sid.as_deref())
        .filter(|s| !s.is_empty())
        .collect();
    for (i, s) in sids.iter().enumerate() {
        if sids[..i].contains(s) {
            return Err(PolicyError::DuplicateSid);
        }
    }
    if sids
        .iter()
        .any(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(PolicyError::SidNotAlphanumeric);
    }
    Ok(())
}

/// A `Resource` entry must be `*` or an ARN in a known partition with a concrete service.
fn check_resource(r: &str) -> Result<(), PolicyError> {
    if r == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    if parts.len() < 2 || parts[0] != "arn" {
        return Err(PolicyError::ResourceNotArn(r.to_owned()));
    }
    let seg = |i: usize| parts.get(i).copied().unwrap_or("*");
    if !is_known_partition(parts[1]) {
        let shown = format!(
            "arn:{}:{}:{}:{}:{}",
            parts[1],
            seg(2),
            seg(3),
            seg(4),
            seg(5)
        );
        return Err(PolicyError::InvalidPartition(parts[1].to_owned(), shown));
    }
    let service = parts.get(2).copied().unwrap_or("");
    if service.is_empty() || service.contains(['*', '?']) {
        return Err(PolicyError::ResourceVendorNotQualified);
    }
    let region = parts.get(3).copied().unwrap_or("");
    match service {
        "iam" if !region.is_empty() => {
            return Err(PolicyError::IamResourceWithRegion(r.to_owned()))
        }
        "s3" if !region.is_empty() => return Err(PolicyError::S3ResourceWithRegion(r.to_owned())),
        _ => {}
    }
    if parts.len() < 6 && r.contains("::") {
        // A short ARN with an empty segment is something the old parser cannot place.
        return Err(PolicyError::LegacyParsing);
    }
    if service == "iam" && parts.len() == 6 {
        let res = parts[5];
        if res != "*" && !IAM_RESOURCE_PREFIXES.iter().any(|p| res.starts_with(p)) {
            return Err(PolicyError::IamResourcePath);
        }
    }
    Ok(())
}

/// An `Action` entry must be `*` or `vendor:action` with a plain vendor.
fn check_action(a: &str) -> Result<(), PolicyError> {
    if a == "*" {
        return Ok(());
    }
    let mut parts = a.split(':');
    let vendor = parts.next().unwrap_or("");
    match parts.count() {
        0 => Err(PolicyError::ActionWithoutVendor),
        1 if vendor.is_empty()
            || !vendor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
        {
            Err(PolicyError::InvalidVendor(vendor.to_owned()))
        }
        1 => Ok(()),
        _ => Err(PolicyError::ActionTooManyColons),
    }
}

fn build_statement(
    d: Draft<'_>,
    principal: Option<PrincipalElement>,
    variables: bool,
) -> Statement {
    let actions = d.actions.unwrap_or(Entries {
        negated: false,
        values: Vec::new(),
    });
    let action_patterns = actions
        .values
        .iter()
        .map(|a| ActionPattern::new(a))
        .collect();
    let resource_patterns = d
        .resources
        .iter()
        .flat_map(|r| &r.values)
        .map(|r| ArnPattern::new(r, variables))
        .collect();
    Statement {
        sid: d.sid,
        effect: d.effect,
        principal,
        actions,
        action_patterns,
        resources: d.resources,
        resource_patterns,
        condition: d.condition,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_authored_policies_skip_only_the_resource_arn_checks() {
        let wild = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"resource-groups:Tag","Resource":"arn:*:resource-groups:*:*:group/*"}]}"#;
        assert!(matches!(
            Policy::parse(wild, PolicyKind::Managed),
            Err(PolicyError::InvalidPartition(..))
        ));
        let p = Policy::parse_aws_authored(wild, PolicyKind::Managed).expect("accepted");
        assert_eq!(p.statements().len(), 1);
        // Everything else is still checked.
        let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#;
        assert_eq!(
            Policy::parse_aws_authored(bad, PolicyKind::Managed).err(),
            Some(PolicyError::MissingActions)
        );
    }
}
