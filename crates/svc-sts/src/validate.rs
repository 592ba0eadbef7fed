//! STS's input rules, checked before anything else: the constraints botocore's STS model
//! gives each member (lengths, patterns, ranges; the generated wire layer does not check
//! them), reported together as one `ValidationError` in AWS's `Value '...' at '...' failed
//! to satisfy constraint: ...` phrasing with the member's wire name in lowerCamelCase; and
//! the session-tag and packed-size rules of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html>. Member
//! constraints: <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
//! `API_GetSessionToken.html`, `API_GetAccessKeyInfo.html`. It reads no state.

use crate::errors::StsError;
use crate::generated::{PolicyDescriptorType, Tag};
use crate::session::SessionTag;
use nimbus_iam_policy::limits;

/// `[\w+=,.@-]*`: role session names and source identities.
pub const SESSION_NAME_PATTERN: &str = r"[\w+=,.@-]*";
const EXTERNAL_ID_PATTERN: &str = r"[\w+=,.@:\/-]*";
const SERIAL_NUMBER_PATTERN: &str = r"[\w+=/:,.@-]*";
const TOKEN_CODE_PATTERN: &str = r"[\d]*";
const ACCESS_KEY_ID_PATTERN: &str = r"[\w]*";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
const POLICY_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
const ARN_PATTERN: &str =
    r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+";

/// "You can pass up to 50 session tags."
pub const MAX_TAGS: usize = 50;
/// "You can provide up to 10 managed policy ARNs."
pub const MAX_POLICY_ARNS: usize = 10;

/// Collects constraint failures so that one answer names them all, as AWS does.
#[derive(Debug, Default)]
pub struct Checker {
    details: Vec<String>,
}

fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `\p{Z}`: the Unicode space separators (not tabs or line breaks).
fn space_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || space_separator(c) || "_.:/=+-@".contains(c)
}

fn arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}') || c >= '\u{a0}'
}

fn policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    fn fail(&mut self, value: &str, field: &str, constraint: String) {
        self.details.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Length in characters within `min..=max`; `true` if it was.
    fn length(&mut self, field: &str, value: &str, min: usize, max: usize) -> bool {
        let n = value.chars().count();
        if n < min {
            self.fail(
                value,
                field,
                format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.fail(
                value,
                field,
                format!("Member must have length less than or equal to {max}"),
            );
        } else {
            return true;
        }
        false
    }

    fn pattern(&mut self, field: &str, value: &str, ok: impl Fn(char) -> bool, pattern: &str) {
        if !value.chars().all(ok) {
            self.fail(
                value,
                field,
                format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A string member with a length range and a per-character pattern.
    fn string(
        &mut self,
        field: &str,
        value: &str,
        (min, max): (usize, usize),
        ok: impl Fn(char) -> bool,
        pattern: &str,
    ) -> &mut Self {
        if self.length(field, value, min, max) {
            self.pattern(field, value, ok, pattern);
        }
        self
    }

    pub fn role_arn(&mut self, value: &str) -> &mut Self {
        self.string("roleArn", value, (20, 2048), arn_char, ARN_PATTERN)
    }

    /// `RoleSessionName` or `SourceIdentity`.
    pub fn session_name(&mut self, field: &str, value: &str) -> &mut Self {
        let ok = |c: char| word(c) || "+=,.@-".contains(c);
        self.string(field, value, (2, 64), ok, SESSION_NAME_PATTERN)
    }

    /// `AssumeRoleWithWebIdentity`'s `WebIdentityToken`: 4 to 20,000 characters.
    pub fn web_identity_token(&mut self, value: &str) -> &mut Self {
        self.length("webIdentityToken", value, 4, 20_000);
        self
    }

    /// `AssumeRoleWithWebIdentity`'s deprecated `ProviderId` (OAuth 2.0 providers): 4 to
    /// 2,048 characters.
    pub fn opt_provider_id(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.length("providerId", v, 4, 2_048);
        }
        self
    }

    /// `GetFederationToken`'s `Name`: 2 to 32 characters of `[\w+=,.@-]`.
    pub fn federated_name(&mut self, value: &str) -> &mut Self {
        let ok = |c: char| word(c) || "+=,.@-".contains(c);
        self.string("name", value, (2, 32), ok, SESSION_NAME_PATTERN)
    }

    pub fn opt_source_identity(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.session_name("sourceIdentity", v);
        }
        self
    }

    /// `DurationSeconds` within `min..=max`.
    pub fn duration(&mut self, value: Option<i32>, min: i32, max: i32) -> &mut Self {
        if let Some(v) = value {
            let text = v.to_string();
            if v < min {
                let c = format!("Member must have value greater than or equal to {min}");
                self.fail(&text, "durationSeconds", c);
            } else if v > max {
                let c = format!("Member must have value less than or equal to {max}");
                self.fail(&text, "durationSeconds", c);
            }
        }
        self
    }

    /// The inline session policy's model constraint: 1 to 2,048 characters ("The plaintext
    /// that you use for both inline and managed session policies can't exceed 2,048
    /// characters"), printable Latin-1. Its grammar is checked by [`session_policy`].
    pub fn opt_policy(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            let max = limits::SESSION_POLICY_MAX_CHARS;
            self.string("policy", v, (1, max), policy_char, POLICY_PATTERN);
        }
        self
    }

    pub fn policy_arns(&mut self, arns: &[PolicyDescriptorType]) -> &mut Self {
        if arns.len() > MAX_POLICY_ARNS {
            let listed: Vec<&str> = arns.iter().filter_map(|p| p.arn.as_deref()).collect();
            self.fail(
                &format!("[{}]", listed.join(", ")),
                "policyArns",
                format!("Member must have length less than or equal to {MAX_POLICY_ARNS}"),
            );
        }
        for (i, p) in arns.iter().enumerate() {
            if let Some(arn) = &p.arn {
                let field = format!("policyArns.{}.member.arn", i + 1);
                self.string(&field, arn, (20, 2048), arn_char, ARN_PATTERN);
            }
        }
        self
    }

    pub fn tags(&mut self, tags: &[Tag]) -> &mut Self {
        if tags.len() > MAX_TAGS {
            let listed: Vec<String> = tags
                .iter()
                .map(|t| format!("Tag(Key={}, Value={})", t.key, t.value))
                .collect();
            self.fail(
                &format!("[{}]", listed.join(", ")),
                "tags",
                format!("Member must have length less than or equal to {MAX_TAGS}"),
            );
        }
        for (i, t) in tags.iter().enumerate() {
            let n = i + 1;
            let key = format!("tags.{n}.member.key");
            self.string(&key, &t.key, (1, 128), tag_char, TAG_KEY_PATTERN);
            let value = format!("tags.{n}.member.value");
            self.string(&value, &t.value, (0, 256), tag_char, TAG_VALUE_PATTERN);
        }
        self
    }

    pub fn transitive_tag_keys(&mut self, keys: &[String]) -> &mut Self {
        if keys.len() > MAX_TAGS {
            self.fail(
                &format!("[{}]", keys.join(", ")),
                "transitiveTagKeys",
                format!("Member must have length less than or equal to {MAX_TAGS}"),
            );
        }
        for (i, k) in keys.iter().enumerate() {
            let field = format!("transitiveTagKeys.{}.member", i + 1);
            self.string(&field, k, (1, 128), tag_char, TAG_KEY_PATTERN);
        }
        self
    }

    pub fn opt_external_id(&mut self, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            let ok = |c: char| word(c) || "+=,.@:/-".contains(c);
            self.string("externalId", v, (2, 1224), ok, EXTERNAL_ID_PATTERN);
        }
        self
    }

    /// `SerialNumber` and `TokenCode` (MFA).
    pub fn mfa(&mut self, serial: Option<&str>, code: Option<&str>) -> &mut Self {
        if let Some(v) = serial {
            let ok = |c: char| word(c) || "+=/:,.@-".contains(c);
            self.string("serialNumber", v, (9, 256), ok, SERIAL_NUMBER_PATTERN);
        }
        if let Some(v) = code {
            let ok = |c: char| c.is_ascii_digit();
            self.string("tokenCode", v, (6, 6), ok, TOKEN_CODE_PATTERN);
        }
        self
    }

    pub fn access_key_id(&mut self, value: &str) -> &mut Self {
        self.string("accessKeyId", value, (16, 128), word, ACCESS_KEY_ID_PATTERN)
    }

    /// `Err` naming every failure, if there was one.
    pub fn finish(&mut self) -> Result<(), StsError> {
        if self.details.is_empty() {
            Ok(())
        } else {
            Err(StsError::Validation(std::mem::take(&mut self.details)))
        }
    }
}

/// Parses the inline session policy with IAM's grammar; the error is
/// `MalformedPolicyDocument` with the policy library's (AWS's) message.
pub fn session_policy(document: &str) -> Result<(), StsError> {
    nimbus_iam_policy::Policy::parse(document, nimbus_iam_policy::PolicyKind::Session)
        .map(|_| ())
        .map_err(|e| StsError::MalformedPolicy(e.to_string()))
}

/// The session tags of a new role session: the transitive tags inherited from the calling
/// role session first, then the ones passed. Tag keys are case-insensitive, so two passed
/// tags may not share a key, a passed tag may not override an inherited transitive one,
/// and each transitive key must name a tag of the new session. (AWS documents these rules
/// but not its exact wording; the messages here are Nimbus's.)
pub fn session_tags(
    inherited: &[SessionTag],
    passed: &[Tag],
    transitive: &[String],
) -> Result<Vec<SessionTag>, StsError> {
    let mut tags: Vec<SessionTag> = inherited.to_vec();
    for t in passed {
        if inherited.iter().any(|i| i.key.eq_ignore_ascii_case(&t.key)) {
            return Err(StsError::InvalidParameterValue(format!(
                "The session tag {} is a transitive tag inherited from the calling session \
                 and cannot be overridden.",
                t.key
            )));
        }
        if tags.iter().any(|x| x.key.eq_ignore_ascii_case(&t.key)) {
            return Err(StsError::InvalidParameterValue(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
        tags.push(SessionTag {
            key: t.key.clone(),
            value: t.value.clone(),
        });
    }
    if let Some(k) = transitive
        .iter()
        .find(|k| !passed.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(StsError::InvalidParameterValue(format!(
            "The transitive tag key {k} is not the key of a session tag passed in this request."
        )));
    }
    Ok(tags)
}

/// The space session policies and tags may take in a session token. AWS packs them into a
/// compressed binary form whose size it does not document; Nimbus charges their plain
/// characters (policy white space not counted) against this allowance, policies and tags
/// separately, which keeps the documented limits (a 2,048-character policy, 50 tags)
/// inside it while a request that piles everything up still fails the AWS way.
pub const PACKED_ALLOWANCE: usize = 4096;

/// `PackedPolicySize`: the larger of the policies' and the tags' share of
/// [`PACKED_ALLOWANCE`], in percent (rounded up); `PackedPolicyTooLarge` over 100 %, worded
/// as AWS words it
/// (<https://repost.aws/knowledge-center/iam-role-aws-sts-error>).
pub fn packed_size(
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[SessionTag],
) -> Result<i32, StsError> {
    let percent = |chars: usize| chars.saturating_mul(100).div_ceil(PACKED_ALLOWANCE);
    let policies = policy.map_or(0, limits::policy_size)
        + policy_arns.iter().map(|a| a.chars().count()).sum::<usize>();
    let tag_chars: usize = tags
        .iter()
        .map(|t| t.key.chars().count() + t.value.chars().count())
        .sum();
    let (p, t) = (percent(policies), percent(tag_chars));
    if p > 100 {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {p}% of allotted space, please use smaller policy."
        )));
    }
    if t > 100 {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed size of session tags consumes {t}% of allotted space."
        )));
    }
    Ok(p.max(t) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(c: &mut Checker) -> Vec<String> {
        match c.finish() {
            Ok(()) => Vec::new(),
            Err(StsError::Validation(d)) => d,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn session_names() {
        for ok in ["ab", "alice@example.com", "a_b-c.d=e,f+g", &"x".repeat(64)] {
            assert!(messages(Checker::new().session_name("roleSessionName", ok)).is_empty());
        }
        assert_eq!(
            messages(Checker::new().session_name("roleSessionName", "a")),
            [
                "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have \
              length greater than or equal to 2"
            ]
        );
        assert_eq!(
            messages(Checker::new().session_name("roleSessionName", "dependabot[bot]")),
            [
                "Value 'dependabot[bot]' at 'roleSessionName' failed to satisfy constraint: \
              Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            ]
        );
        let long = "y".repeat(65);
        assert_eq!(
            messages(Checker::new().session_name("roleSessionName", &long)),
            [format!(
                "Value '{long}' at 'roleSessionName' failed to satisfy constraint: Member must \
                 have length less than or equal to 64"
            )]
        );
        // `\w` is ASCII in AWS's (Java) patterns.
        assert_eq!(
            messages(Checker::new().session_name("sourceIdentity", "héllo")).len(),
            1
        );
    }

    #[test]
    fn durations() {
        assert!(messages(Checker::new().duration(Some(900), 900, 43200)).is_empty());
        assert!(messages(Checker::new().duration(None, 900, 43200)).is_empty());
        assert_eq!(
            messages(Checker::new().duration(Some(899), 900, 43200)),
            [
                "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have \
              value greater than or equal to 900"
            ]
        );
        assert_eq!(
            messages(Checker::new().duration(Some(129_601), 900, 129_600)),
            [
                "Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must \
              have value less than or equal to 129600"
            ]
        );
    }

    #[test]
    fn failures_are_collected_in_one_answer() {
        let e = Checker::new()
            .role_arn("arn:aws:iam::1:r")
            .session_name("roleSessionName", "a b")
            .duration(Some(60), 900, 43200)
            .finish()
            .expect_err("three failures");
        assert!(e.to_string().starts_with("3 validation errors detected: "));
        assert_eq!(e.code(), "ValidationError");
    }

    #[test]
    fn mfa_members() {
        assert!(messages(
            Checker::new().mfa(Some("arn:aws:iam::123456789012:mfa/bob"), Some("123456"))
        )
        .is_empty());
        assert_eq!(
            messages(Checker::new().mfa(Some("GAHT1"), Some("12a456"))).len(),
            2
        );
    }

    #[test]
    fn policies() {
        assert!(session_policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#
        )
        .is_ok());
        let e = session_policy("{nope").expect_err("malformed");
        assert_eq!(e.code(), "MalformedPolicyDocument");
        assert_eq!(e.to_string(), "Syntax errors in policy.");
        let e = session_policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
        )
        .expect_err("principal");
        assert_eq!(
            e.to_string(),
            "Policy document should not specify a principal."
        );
        let long = "x".repeat(2049);
        assert_eq!(messages(Checker::new().opt_policy(Some(&long))).len(), 1);
    }

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn tag_rules() {
        assert!(
            messages(Checker::new().tags(&[tag("Project", "blue sky"), tag("ünï", "")])).is_empty()
        );
        assert_eq!(
            messages(Checker::new().tags(&[tag("", "x"), tag("a", "<b>")])).len(),
            2
        );
        let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(messages(Checker::new().tags(&many)).len(), 1);

        let inherited = [SessionTag {
            key: "Project".into(),
            value: "blue".into(),
        }];
        let tags = session_tags(&inherited, &[tag("Team", "red")], &["team".into()]).expect("ok");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].key, "Project");
        for (passed, transitive) in [
            (vec![tag("project", "x")], vec![]),
            (vec![tag("a", "1"), tag("A", "2")], vec![]),
            (vec![tag("a", "1")], vec!["b".to_string()]),
        ] {
            let e = session_tags(&inherited, &passed, &transitive).expect_err("refused");
            assert_eq!(e.code(), "InvalidParameterValue");
        }
    }

    #[test]
    fn packed_sizes() {
        assert_eq!(packed_size(None, &[], &[]), Ok(0));
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}}}"#,
            "b".repeat(1900)
        );
        let p = packed_size(Some(&doc), &[], &[]).expect("fits");
        assert!((40..=60).contains(&p), "{p}");
        let arns: Vec<String> = (0..10)
            .map(|i| format!("arn:aws:iam::123456789012:policy/{}{i}", "p".repeat(400)))
            .collect();
        let e = packed_size(Some(&doc), &arns, &[]).expect_err("too large");
        assert_eq!(e.code(), "PackedPolicyTooLarge");
        assert!(e.to_string().starts_with("Packed policy consumes 1"), "{e}");
        let tags: Vec<SessionTag> = (0..50)
            .map(|i| SessionTag {
                key: format!("{i:0>128}"),
                value: "v".repeat(256),
            })
            .collect();
        let e = packed_size(None, &[], &tags).expect_err("too large");
        assert!(
            e.to_string()
                .starts_with("Packed size of session tags consumes"),
            "{e}"
        );
    }
}
