//! Matching a request's action and resource against a statement's `Action`/`NotAction` and
//! `Resource`/`NotResource` entries, and ARN-against-ARN for the `Arn*` condition operators.
//! This module owns the comparison rules; it does not combine entries into a statement
//! decision (`evaluate`) nor validate what a policy may contain (`parse`).
//!
//! - Actions are `service:Action`, matched case-insensitively with `*`/`?` anywhere
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
//! - Resources are ARNs, matched case-sensitively, each of the six colon-separated segments
//!   on its own, so a `*` never spans a colon except in the last segment (which is
//!   everything after the fifth colon and may itself contain colons)
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>,
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).
//!   When either side has fewer than six segments (`"*"`, a bare `arn:aws:s3:*`, a request
//!   for an action without resource-level permissions) the two are compared as whole
//!   strings, which gives `*` its obvious meaning.
//! - Policy variables are substituted in every segment; AWS documents them for the resource
//!   segment only, and a variable elsewhere is at worst a pattern that matches less.

use crate::context::Context;
use crate::glob::Glob;
use crate::variables::Template;

/// Partitions IAM knows; a resource ARN in another partition is rejected at parse time.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

pub(crate) fn is_known_partition(p: &str) -> bool {
    PARTITIONS.contains(&p)
}

/// One `Action`/`NotAction` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    glob: Glob,
}

impl ActionPattern {
    pub(crate) fn new(raw: &str) -> ActionPattern {
        ActionPattern {
            glob: Glob::new(raw, true),
        }
    }

    /// `action_lower` must already be lower-cased (once per request, not per pattern).
    pub(crate) fn matches(&self, action_lower: &str) -> bool {
        self.glob.matches(action_lower)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    template: Template,
    /// Precompiled when the segment has no variables.
    glob: Option<Glob>,
}

impl Segment {
    fn new(template: Template) -> Segment {
        let glob = template.as_plain().map(|t| Glob::new(t, false));
        Segment { template, glob }
    }

    fn matches(&self, value: &str, ctx: &Context) -> bool {
        match &self.glob {
            Some(g) => g.matches(value),
            None => match self.template.resolve(ctx) {
                Some(pieces) => Glob::from_pieces(&pieces, false).matches(value),
                // "the resource that includes a policy variable with no value will not
                // match any resource" (reference_policies_variables.html#policy-vars-no-value)
                None => false,
            },
        }
    }
}

/// One `Resource`/`NotResource` entry, or the value of an `Arn*` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    whole: Segment,
    /// Six segments, or empty when the pattern has fewer (compared whole).
    segments: Vec<Segment>,
}

impl ArnPattern {
    pub(crate) fn new(raw: &str, variables: bool) -> ArnPattern {
        let template = Template::parse(raw, variables);
        let split = template.split_colons(6);
        let segments = if split.len() == 6 {
            split.into_iter().map(Segment::new).collect()
        } else {
            Vec::new()
        };
        ArnPattern {
            whole: Segment::new(template),
            segments,
        }
    }

    pub(crate) fn matches(&self, value: &str, ctx: &Context) -> bool {
        if self.whole.glob.as_ref().is_some_and(Glob::is_match_all) {
            return true;
        }
        if self.segments.len() == 6 {
            let values: Vec<&str> = value.splitn(6, ':').collect();
            if values.len() == 6 {
                return self
                    .segments
                    .iter()
                    .zip(values)
                    .all(|(seg, v)| seg.matches(v, ctx));
            }
        }
        self.whole.matches(value, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_case_insensitive() {
        let p = ActionPattern::new("S3:Get*");
        assert!(p.matches("s3:getobject"));
        assert!(!p.matches("s3:putobject"));
        assert!(ActionPattern::new("*").matches("ec2:runinstances"));
        assert!(ActionPattern::new("iam:*AccessKey*").matches("iam:updateaccesskey"));
        assert!(ActionPattern::new("ec2:Describe?pcs").matches("ec2:describevpcs"));
    }

    #[test]
    fn arn_segments_are_matched_separately() {
        let ctx = Context::new();
        // The documented StringLike-vs-ArnLike contrast (Conditions_ARN).
        let p = ArnPattern::new("arn:aws:someservice:*:111122223333:finance/*", true);
        let v = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!p.matches(v, &ctx));
        assert!(Glob::new("arn:aws:someservice:*:111122223333:finance/*", false).matches(v));
        assert!(p.matches("arn:aws:someservice:us-east-2:111122223333:finance/x", &ctx));
    }

    #[test]
    fn arn_table() {
        let ctx = Context::new();
        let cases: &[(&str, &str, bool)] = &[
            ("*", "arn:aws:s3:::bucket", true),
            ("*", "*", true),
            ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", false),
            ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", false),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true),
            (
                "arn:aws:s3:::*log*",
                "arn:aws:s3:::carlossalazar-logs",
                true,
            ),
            (
                "arn:aws:ec2:*:*:instance/*",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
                true,
            ),
            (
                "arn:aws:ec2:*:*:instance/*",
                "arn:aws:ec2:us-east-1:123456789012:volume/v-1",
                false,
            ),
            (
                "arn:aws:ec2:us-east-?:*:*",
                "arn:aws:ec2:us-east-1:1:x",
                true,
            ),
            (
                "arn:aws:ec2:us-east-?:*:*",
                "arn:aws:ec2:us-west-1:1:x",
                false,
            ),
            (
                "arn:aws:iam::*:user/*",
                "arn:aws:iam::123456789012:user/div/bob",
                true,
            ),
            ("arn:aws:s3:*", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3:::bucket", "*", false),
            (
                "arn:aws:sqs:*:*:q",
                "arn:aws:sqs:us-east-1:1:q:extra",
                false,
            ),
        ];
        for (pat, value, want) in cases {
            assert_eq!(
                ArnPattern::new(pat, true).matches(value, &ctx),
                *want,
                "{pat} vs {value}"
            );
        }
    }

    #[test]
    fn variables_resolve_per_request() {
        let p = ArnPattern::new("arn:aws:s3:::mybucket/${aws:username}/*", true);
        let bob = Context::new().with("aws:username", "bob");
        assert!(p.matches("arn:aws:s3:::mybucket/bob/notes.txt", &bob));
        assert!(!p.matches("arn:aws:s3:::mybucket/alice/notes.txt", &bob));
        assert!(!p.matches("arn:aws:s3:::mybucket/bob/notes.txt", &Context::new()));
        let legacy = ArnPattern::new("arn:aws:s3:::mybucket/${aws:username}/*", false);
        assert!(!legacy.matches("arn:aws:s3:::mybucket/bob/notes.txt", &bob));
        assert!(legacy.matches("arn:aws:s3:::mybucket/${aws:username}/x", &bob));
    }
}
