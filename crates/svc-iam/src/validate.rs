//! AWS's input rules for IAM, checked before anything is planned: the model's constraints
//! (name patterns and lengths, paths, `MaxItems`, descriptions, tags, enum values), reported
//! as `ValidationError` with AWS's `Value '...' at '...' failed to satisfy constraint`
//! phrasing, plus the policy-document checks (grammar through `nimbus-iam-policy`, size
//! quotas) and policy ARN parsing. Identifier rules:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html>; quotas:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>. It reads
//! no state.

use crate::errors;
use crate::generated::Tag;
use crate::model::TagRec;
use nimbus_core::AwsError;
use nimbus_iam_policy::{limits, Policy, PolicyKind};

/// The model's pattern for user, group, role and policy names.
pub const NAME_PATTERN: &str = r"[\w+=,.@-]+";
const PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007E]*";
const DESCRIPTION_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
/// The largest document the model accepts at all; the quotas below it are `LimitExceeded`.
const DOCUMENT_MAX: usize = 131_072;
/// "You can add up to 50 tags to an IAM resource."
pub const MAX_TAGS: usize = 50;

/// Collects constraint failures so one answer names them all, as AWS does.
#[derive(Debug, Default)]
pub struct Checker {
    details: Vec<String>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    fn fail(&mut self, value: &str, field: &str, constraint: &str) {
        self.details.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A whole `Value '...' at '...' failed to satisfy constraint: ...` phrase.
    pub fn fail_raw(&mut self, detail: String) -> &mut Self {
        self.details.push(detail);
        self
    }

    fn length(&mut self, value: &str, field: &str, min: usize, max: usize) -> bool {
        let n = value.chars().count();
        if n < min {
            self.fail(
                value,
                field,
                &format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if n > max {
            self.fail(
                value,
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    fn pattern(&mut self, value: &str, field: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                value,
                field,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A user, group, role or policy name of at most `max` characters.
    pub fn name(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        if self.length(value, field, 1, max) {
            self.pattern(value, field, is_name(value), NAME_PATTERN);
        }
        self
    }

    pub fn path(&mut self, field: &str, value: Option<&str>) -> &mut Self {
        if let Some(p) = value {
            if self.length(p, field, 1, 512) {
                self.pattern(p, field, is_path(p), PATH_PATTERN);
            }
        }
        self
    }

    pub fn path_prefix(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(p) = value {
            if self.length(p, "pathPrefix", 1, 512) {
                let ok =
                    p.starts_with('/') && p.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
                self.pattern(p, "pathPrefix", ok, PATH_PREFIX_PATTERN);
            }
        }
        self
    }

    /// An MFA serial number (`serialNumberType`: 9 to 256 of `[\w+=/:,.@-]`).
    pub fn serial(&mut self, value: &str) -> &mut Self {
        if self.length(value, "serialNumber", 9, 256) {
            let ok = value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c));
            self.pattern(value, "serialNumber", ok, r"[\w+=/:,.@-]+");
        }
        self
    }

    /// An MFA code (`authenticationCodeType`: six characters of `[\d]`).
    pub fn auth_code(&mut self, field: &str, value: &str) -> &mut Self {
        if self.length(value, field, 6, 6) {
            let ok = value.bytes().all(|b| b.is_ascii_digit());
            self.pattern(value, field, ok, r"[\d]+");
        }
        self
    }

    pub fn max_items(&mut self, value: Option<i32>) -> &mut Self {
        if let Some(n) = value {
            if n < 1 {
                self.fail(
                    &n.to_string(),
                    "maxItems",
                    "Member must have value greater than or equal to 1",
                );
            } else if n > 1000 {
                self.fail(
                    &n.to_string(),
                    "maxItems",
                    "Member must have value less than or equal to 1000",
                );
            }
        }
        self
    }

    pub fn marker(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(m) = value {
            if self.length(m, "marker", 1, 320) {
                let ok = m.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c));
                self.pattern(m, "marker", ok, r"[\u0020-\u00FF]+");
            }
        }
        self
    }

    pub fn description(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(d) = value {
            if self.length(d, "description", 0, 1000) {
                let ok = d.chars().all(
                    |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
                );
                self.pattern(d, "description", ok, DESCRIPTION_PATTERN);
            }
        }
        self
    }

    pub fn range(&mut self, field: &str, value: Option<i32>, min: i32, max: i32) -> &mut Self {
        if let Some(n) = value {
            if n < min {
                self.fail(
                    &n.to_string(),
                    field,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            } else if n > max {
                self.fail(
                    &n.to_string(),
                    field,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
        self
    }

    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) -> &mut Self {
        if !allowed.contains(&value) {
            self.fail(
                value,
                field,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
        self
    }

    /// A policy document's model constraints (length, characters); the grammar is
    /// checked by [`policy`].
    pub fn document(&mut self, field: &str, value: &str) -> &mut Self {
        self.length(value, field, 1, DOCUMENT_MAX);
        self
    }

    pub fn tags(&mut self, tags: &[Tag]) -> &mut Self {
        for (i, t) in tags.iter().enumerate() {
            let kf = format!("tags.{}.member.key", i + 1);
            if self.length(&t.key, &kf, 1, 128) {
                self.pattern(&t.key, &kf, t.key.chars().all(tag_char), TAG_KEY_PATTERN);
            }
            let vf = format!("tags.{}.member.value", i + 1);
            if self.length(&t.value, &vf, 0, 256) {
                self.pattern(
                    &t.value,
                    &vf,
                    t.value.chars().all(tag_char),
                    TAG_VALUE_PATTERN,
                );
            }
        }
        self
    }

    pub fn tag_keys(&mut self, keys: &[String]) -> &mut Self {
        for (i, k) in keys.iter().enumerate() {
            let f = format!("tagKeys.{}.member", i + 1);
            if self.length(k, &f, 1, 128) {
                self.pattern(k, &f, k.chars().all(tag_char), TAG_KEY_PATTERN);
            }
        }
        self
    }

    pub fn done(&mut self) -> Result<(), AwsError> {
        if self.details.is_empty() {
            Ok(())
        } else {
            Err(errors::validation(&self.details))
        }
    }
}

/// `[\w+=,.@-]+` where `\w` is ASCII letters, digits and `_`.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// `/` alone, or `/`...`/` with printable ASCII between.
pub fn is_path(p: &str) -> bool {
    p == "/"
        || (p.len() >= 2
            && p.starts_with('/')
            && p.ends_with('/')
            && p.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)))
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The path a request gave, or `/`.
pub fn path_or_root(p: Option<String>) -> String {
    p.filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".to_string())
}

/// Parses a document as IAM does for `kind`, answering `MalformedPolicyDocument` in AWS's
/// words when it is not a valid policy.
pub fn policy(text: &str, kind: PolicyKind) -> Result<Policy, AwsError> {
    Policy::parse(text, kind).map_err(|e| errors::malformed_policy(e.to_string()))
}

/// A customer managed policy version: valid, and within the 6,144-character quota.
pub fn managed_document(text: &str) -> Result<(), AwsError> {
    Checker::new().document("policyDocument", text).done()?;
    if limits::policy_size(text) > limits::MANAGED_POLICY_MAX_CHARS {
        return Err(errors::limit(limits::managed_policy_too_large_message()));
    }
    policy(text, PolicyKind::Managed).map(drop)
}

/// A role trust policy: valid, and within the 2,048-character quota.
pub fn trust_document(text: &str) -> Result<(), AwsError> {
    Checker::new()
        .document("assumeRolePolicyDocument", text)
        .done()?;
    if limits::policy_size(text) > limits::ROLE_TRUST_POLICY_MAX_CHARS {
        return Err(errors::quota(
            "ACLSizePerRole",
            limits::ROLE_TRUST_POLICY_MAX_CHARS,
        ));
    }
    policy(text, PolicyKind::RoleTrust).map(drop)
}

/// Tags from a request: at most 50, keys unique case-insensitively.
pub fn new_tags(tags: Option<Vec<Tag>>, quota: &str) -> Result<Vec<TagRec>, AwsError> {
    let tags = tags.unwrap_or_default();
    Checker::new().tags(&tags).done()?;
    let mut out: Vec<TagRec> = Vec::with_capacity(tags.len());
    for t in tags {
        if out.iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(errors::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push(TagRec {
            key: t.key,
            value: t.value,
        });
    }
    if out.len() > MAX_TAGS {
        return Err(errors::quota(quota, MAX_TAGS));
    }
    Ok(out)
}

/// `existing` with `add` merged in (a key that exists, compared case-insensitively, gets
/// the new value), within the 50-tag quota.
pub fn merge_tags(
    existing: &[TagRec],
    add: Vec<TagRec>,
    quota: &str,
) -> Result<Vec<TagRec>, AwsError> {
    let mut out = existing.to_vec();
    for t in add {
        match out.iter_mut().find(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            Some(o) => *o = t,
            None => out.push(t),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(errors::quota(quota, MAX_TAGS));
    }
    Ok(out)
}

/// A managed policy ARN, split: `(account or "aws", path, name)`.
pub fn policy_arn(arn: &str) -> Result<(String, String, String), AwsError> {
    let invalid = || errors::invalid_input(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let path_name = resource.strip_prefix("policy").ok_or_else(invalid)?;
    let slash = path_name.rfind('/').ok_or_else(invalid)?;
    let (path, name) = (&path_name[..=slash], &path_name[slash + 1..]);
    let account_ok =
        account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !account_ok || !is_path(path) || !is_name(name) {
        return Err(invalid());
    }
    Ok((account.to_string(), path.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model_pattern() {
        for ok in ["alice", "Bob_1", "a+b=c,d.e@f-g", "x"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in ["", "with space", "slash/", "ünï", "colon:"] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn paths() {
        for ok in ["/", "/division_abc/", "/a/b/c/"] {
            assert!(is_path(ok), "{ok}");
        }
        for bad in ["", "a", "/a", "a/", "/a b/"] {
            assert!(!is_path(bad), "{bad}");
        }
    }

    #[test]
    fn validation_messages_are_awss() {
        let e = Checker::new()
            .name("userName", "bad name", 64)
            .done()
            .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        );
        let long = "a".repeat(65);
        let e = Checker::new()
            .name("userName", &long, 64)
            .max_items(Some(0))
            .done()
            .unwrap_err();
        assert!(e.message.starts_with("2 validation errors detected: "));
        assert!(e
            .message
            .contains("Member must have length less than or equal to 64"));
        assert!(e.message.contains("Value '0' at 'maxItems'"));
        let e = Checker::new()
            .range("maxSessionDuration", Some(100), 3600, 43200)
            .done()
            .unwrap_err();
        assert!(e
            .message
            .ends_with("Member must have value greater than or equal to 3600"));
    }

    #[test]
    fn policy_arns() {
        assert_eq!(
            policy_arn("arn:aws:iam::aws:policy/AdministratorAccess").unwrap(),
            ("aws".into(), "/".into(), "AdministratorAccess".into())
        );
        assert_eq!(
            policy_arn("arn:aws:iam::123456789012:policy/team/a/P1").unwrap(),
            ("123456789012".into(), "/team/a/".into(), "P1".into())
        );
        for bad in [
            "nope",
            "arn:aws:iam::123:policy/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:policy/",
        ] {
            assert_eq!(policy_arn(bad).unwrap_err().code, "InvalidInput", "{bad}");
        }
    }

    #[test]
    fn documents_and_quotas() {
        let ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        managed_document(ok).unwrap();
        assert_eq!(
            managed_document("{").unwrap_err().code,
            "MalformedPolicyDocument"
        );
        let old = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(
            managed_document(old).unwrap_err().message,
            "Policy document must be version 2012-10-17 or greater."
        );
        let actions: Vec<String> = (0..400).map(|i| format!("\"s3:GetObject{i}\"")).collect();
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
            actions.join(",")
        );
        let e = managed_document(&big).unwrap_err();
        assert_eq!(e.code, "LimitExceeded");
        assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
        let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
        trust_document(trust).unwrap();
        assert_eq!(
            trust_document(ok).unwrap_err().code,
            "MalformedPolicyDocument"
        );
    }

    #[test]
    fn tags_are_case_insensitive_and_capped() {
        let t = |k: &str| Tag {
            key: k.into(),
            value: "v".into(),
        };
        assert_eq!(
            new_tags(Some(vec![t("Team"), t("team")]), "TagsPerUser")
                .unwrap_err()
                .code,
            "InvalidInput"
        );
        let many: Vec<Tag> = (0..51).map(|i| t(&format!("k{i}"))).collect();
        assert_eq!(
            new_tags(Some(many), "TagsPerUser").unwrap_err().message,
            "Cannot exceed quota for TagsPerUser: 50"
        );
        let merged = merge_tags(
            &new_tags(Some(vec![t("Team")]), "q").unwrap(),
            vec![TagRec {
                key: "TEAM".into(),
                value: "x".into(),
            }],
            "q",
        )
        .unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].value, "x");
    }
}
