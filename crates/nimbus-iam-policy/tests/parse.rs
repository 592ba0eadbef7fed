//! Parsing and validation: what IAM accepts, and the exact message of what it rejects.
//! Accepted documents are the examples of the IAM User Guide; rejections are the errors
//! IAM answers (`MalformedPolicyDocument`).

mod common;

use nimbus_iam_policy::limits::*;
use nimbus_iam_policy::*;
use PolicyKind::*;

const ALLOW_S3: &str = r#""Effect":"Allow","Action":"s3:*","Resource":"*""#;

fn doc(statement_body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{{{statement_body}}}}}"#)
}

#[test]
fn rejections_carry_aws_messages() {
    let cases: Vec<(&str, PolicyKind, String, &str)> = vec![
        ("not json", Inline, "{".into(), "Syntax errors in policy."),
        ("array at top", Inline, "[]".into(), "Syntax errors in policy."),
        ("unknown top element", Inline, format!(r#"{{"Version":"2012-10-17","Foo":1,"Statement":{{{ALLOW_S3}}}}}"#), "Syntax errors in policy."),
        ("no statement", Inline, r#"{"Version":"2012-10-17"}"#.into(), "Syntax errors in policy."),
        ("empty statement list", Inline, r#"{"Version":"2012-10-17","Statement":[]}"#.into(), "Syntax errors in policy."),
        ("statement is a string", Inline, r#"{"Version":"2012-10-17","Statement":"x"}"#.into(), "Syntax errors in policy."),
        ("bad version", Inline, format!(r#"{{"Version":"2012-10-18","Statement":{{{ALLOW_S3}}}}}"#), "Syntax errors in policy."),
        ("numeric version", Inline, format!(r#"{{"Version":2012,"Statement":{{{ALLOW_S3}}}}}"#), "Syntax errors in policy."),
        ("duplicate key", Inline, doc(r#""Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*""#), "Syntax errors in policy."),
        ("unknown statement element", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Foo":"x""#), "Syntax errors in policy."),
        ("missing effect", Inline, doc(r#""Action":"s3:*","Resource":"*""#), "Syntax errors in policy."),
        ("unknown effect", Inline, doc(r#""Effect":"Permit","Action":"s3:*","Resource":"*""#), "Syntax errors in policy."),
        ("lowercase effect", Inline, doc(r#""Effect":"allow","Action":"s3:*","Resource":"*""#), "The policy failed legacy parsing"),
        ("action and notaction", Inline, doc(r#""Effect":"Allow","Action":"s3:*","NotAction":"ec2:*","Resource":"*""#), "Syntax errors in policy."),
        ("resource and notresource", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*""#), "Syntax errors in policy."),
        ("action is a number", Inline, doc(r#""Effect":"Allow","Action":5,"Resource":"*""#), "Syntax errors in policy."),
        ("resource list with object", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":[{}]"#), "Syntax errors in policy."),
        ("sid is a number", Inline, doc(r#""Sid":1,"Effect":"Allow","Action":"s3:*","Resource":"*""#), "Syntax errors in policy."),
        ("condition not an object", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]"#), "Syntax errors in policy."),
        ("condition operator body not an object", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}"#), "Syntax errors in policy."),
        ("unknown condition operator", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"bob"}}"#), "Syntax errors in policy."),
        ("NullIfExists is not an operator", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}"#), "Syntax errors in policy."),
        ("condition value is an object", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}"#), "Syntax errors in policy."),
        ("condition value is null", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":null}}"#), "Syntax errors in policy."),
        ("bad date value", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}"#), "The policy failed legacy parsing"),
        ("character out of range", Inline, doc("\"Sid\":\"\u{263a}\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\""), "Syntax errors in policy."),
        ("managed policy without version", Managed, format!(r#"{{"Statement":{{{ALLOW_S3}}}}}"#), "Policy document must be version 2012-10-17 or greater."),
        ("managed policy with old version", Managed, format!(r#"{{"Version":"2008-10-17","Statement":{{{ALLOW_S3}}}}}"#), "Policy document must be version 2012-10-17 or greater."),
        ("principal in identity policy", Inline, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*""#), "Policy document should not specify a principal."),
        ("notprincipal in managed policy", Managed, doc(r#""Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*""#), "Policy document should not specify a principal."),
        ("principal in session policy", Session, doc(r#""Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*""#), "Policy document should not specify a principal."),
        ("resource in trust policy", RoleTrust, doc(r#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*""#), "Has prohibited field Resource"),
        ("notresource in trust policy", RoleTrust, doc(r#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*""#), "Has prohibited field NotResource"),
        ("notprincipal in trust policy", RoleTrust, doc(r#""Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole""#), "Has prohibited field NotPrincipal"),
        ("trust policy without principal", RoleTrust, doc(r#""Effect":"Allow","Action":"sts:AssumeRole""#), "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"),
        ("trust policy with empty principal", RoleTrust, doc(r#""Effect":"Allow","Principal":{},"Action":"sts:AssumeRole""#), "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"),
        ("bucket policy without principal", Resource, doc(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#), "Missing required field Principal"),
        ("wildcard inside principal arn", RoleTrust, doc(r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"sts:AssumeRole""#), r#"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*""#),
        ("unknown principal type", Resource, doc(r#""Effect":"Allow","Principal":{"Group":"devs"},"Action":"s3:*","Resource":"*""#), r#"Invalid principal in policy: "Group":"devs""#),
        ("principal string other than star", Resource, doc(r#""Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*","Resource":"*""#), "Syntax errors in policy."),
        ("duplicate sid", Inline, r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#.into(), "Statement IDs (SID) in a single policy must be unique."),
        ("sid with dash", Inline, doc(r#""Sid":"autogenerated-id","Effect":"Allow","Action":"s3:*","Resource":"*""#), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        ("missing action", Inline, doc(r#""Effect":"Allow","Resource":"*""#), "Policy statement must contain actions."),
        ("empty action list", Inline, doc(r#""Effect":"Allow","Action":[],"Resource":"*""#), "Policy statement must contain actions."),
        ("trust policy without action", RoleTrust, doc(r#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}"#), "Policy statement must contain actions."),
        ("missing resource", Inline, doc(r#""Effect":"Allow","Action":"s3:*""#), "Policy statement must contain resources."),
        ("empty resource list", Managed, doc(r#""Effect":"Allow","Action":"s3:*","Resource":[]"#), "Policy statement must contain resources."),
        ("empty resource string", Inline, doc(r#""Effect":"Allow","Action":"kms:Decrypt","Resource":"""#), r#"Resource  must be in ARN format or "*"."#),
        ("resource not an arn", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"my-bucket""#), r#"Resource my-bucket must be in ARN format or "*"."#),
        ("bad partition", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws-moon:s3:::b""#), r#"Partition "aws-moon" is not valid for resource "arn:aws-moon:s3:::b"."#),
        ("wildcard service", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s*:::b""#), "Resource vendor must be fully qualified and cannot contain regexes."),
        ("iam resource with region", Inline, doc(r#""Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:111122223333:user/bob""#), "IAM resource arn:aws:iam:us-east-1:111122223333:user/bob cannot contain region information."),
        ("s3 resource with region", Inline, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::b""#), "Resource arn:aws:s3:us-east-1::b can not contain region information."),
        ("iam resource path", Inline, doc(r#""Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:person/bob""#), r#"IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#),
        ("action without vendor", Inline, doc(r#""Effect":"Allow","Action":"GetObject","Resource":"*""#), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ("action with two colons", Inline, doc(r#""Effect":"Allow","Action":"s3:Get:Object","Resource":"*""#), "Actions/Condition can contain only one colon."),
        ("bad vendor", Inline, doc(r#""Effect":"Allow","Action":"s 3:GetObject","Resource":"*""#), "Vendor s 3 is not valid"),
        ("wildcard vendor", Inline, doc(r#""Effect":"Allow","Action":"s*:GetObject","Resource":"*""#), "Vendor s* is not valid"),
    ];
    for (name, kind, text, want) in cases {
        match Policy::parse(&text, kind) {
            Ok(_) => panic!("{name}: accepted\n{text}"),
            Err(e) => {
                assert_eq!(e.to_string(), want, "{name}");
                assert_eq!(e.code(), "MalformedPolicyDocument");
                assert_eq!(e.http_status(), 400);
            }
        }
    }
}

#[test]
fn errors_are_reported_in_iam_order() {
    // Syntax beats everything, even in a managed policy without a version.
    let e = Policy::parse(
        r#"{"Statement":{"Effect":"Maybe","Action":"s3:*"}}"#,
        Managed,
    )
    .unwrap_err();
    assert_eq!(e, PolicyError::Syntax);
    // Version beats legacy parsing.
    let e = Policy::parse(
        r#"{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#,
        Managed,
    )
    .unwrap_err();
    assert_eq!(e, PolicyError::VersionTooOld);
    // Legacy parsing beats a principal in an identity policy.
    let e = Policy::parse(
        &doc(r#""Effect":"deny","Principal":"*","Action":"s3:*","Resource":"*""#),
        Inline,
    )
    .unwrap_err();
    assert_eq!(e, PolicyError::LegacyParsing);
    // Missing actions beat missing resources, across statements.
    let e = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"},{"Effect":"Allow","Resource":"*"}]}"#,
        Inline,
    )
    .unwrap_err();
    assert_eq!(e, PolicyError::MissingActions);
    // Resource format beats action format.
    let e = Policy::parse(
        &doc(r#""Effect":"Allow","Action":"GetObject","Resource":"bucket""#),
        Inline,
    )
    .unwrap_err();
    assert_eq!(e, PolicyError::ResourceNotArn("bucket".into()));
}

#[test]
fn accepts_documented_shapes() {
    let cases: Vec<(&str, PolicyKind, &str)> = vec![
        (
            "single statement object, no version",
            Inline,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}}"#,
        ),
        (
            "2008 version",
            Inline,
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ),
        (
            "Id and Sid",
            Managed,
            r#"{"Version":"2012-10-17","Id":"cd3ad3d9-2776-4ef1-a904-4c229d1642ee","Statement":[{"Sid":"1","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ),
        (
            "keys in any order",
            Managed,
            r#"{"Statement":[{"Resource":"*","Action":"s3:*","Effect":"Deny"}],"Version":"2012-10-17"}"#,
        ),
        (
            "numbers and booleans as condition values",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}}}"#,
        ),
        (
            "unknown operator with an empty body",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Whatever":{}}}}"#,
        ),
        (
            "all operators",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
            "StringEquals":{"a":"x"},"StringNotEquals":{"a":"x"},"StringEqualsIgnoreCase":{"a":"x"},"StringNotEqualsIgnoreCase":{"a":"x"},
            "StringLike":{"a":"x*"},"StringNotLike":{"a":"x?"},"NumericEquals":{"n":"1"},"NumericNotEquals":{"n":"1"},
            "NumericLessThan":{"n":"1"},"NumericLessThanEquals":{"n":"1"},"NumericGreaterThan":{"n":"1"},"NumericGreaterThanEquals":{"n":"1"},
            "DateEquals":{"d":"2020-01-01"},"DateNotEquals":{"d":"1577836800"},"DateLessThan":{"d":"2020-01-01T00:00:00Z"},
            "DateLessThanEquals":{"d":"2020-01-01"},"DateGreaterThan":{"d":"2020-01-01"},"DateGreaterThanEquals":{"d":"2020-01-01"},
            "Bool":{"b":"true"},"BinaryEquals":{"bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="},"IpAddress":{"ip":"203.0.113.0/24"},
            "NotIpAddress":{"ip":"2001:DB8:1234:5678::/64"},"ArnEquals":{"arn":"arn:aws:sns:*:*:t"},"ArnLike":{"arn":"arn:aws:sns:*:*:t"},
            "ArnNotEquals":{"arn":"arn:aws:sns:*:*:t"},"ArnNotLike":{"arn":"arn:aws:sns:*:*:t"},"Null":{"k":"true"},
            "ForAllValues:StringLike":{"aws:TagKeys":["a*"]},"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]},
            "NumericLessThanIfExists":{"n":"5"}}}}"#,
        ),
        (
            "NotAction and NotResource",
            Inline,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::bucket-name","arn:aws:s3:::bucket-name/*"]}]}"#,
        ),
        (
            "iam resources",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::111122223333:role/*","arn:aws:iam::111122223333:*"]}}"#,
        ),
        (
            "other partitions",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws-cn:s3:::b","arn:aws-us-gov:s3:::b"]}}"#,
        ),
        (
            "short arn",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:sqs:*"}}"#,
        ),
        (
            "star action",
            Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        ),
        (
            "trust policy for a service",
            RoleTrust,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs.amazonaws.com","elasticloadbalancing.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
        ),
        (
            "trust policy for an account",
            RoleTrust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#,
        ),
        (
            "trust policy for a web identity",
            RoleTrust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"app"}}}}"#,
        ),
        (
            "bucket policy with everyone",
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        ),
        (
            "bucket policy with mixed principals",
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","999999999999"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"}}"#,
        ),
        (
            "NotPrincipal with Deny",
            Resource,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}]}"#,
        ),
        (
            "resource policy sids may repeat and contain spaces",
            Resource,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"a b","Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"},{"Sid":"a b","Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"}]}"#,
        ),
        (
            "empty sids do not collide",
            Inline,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ),
    ];
    for (name, kind, text) in cases {
        if let Err(e) = Policy::parse(text, kind) {
            panic!("{name}: rejected with {e}");
        }
    }
}

#[test]
fn parsed_structure_is_exposed() {
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"One","Effect":"Deny","NotAction":["s3:*","iam:*"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        Inline,
    )
    .unwrap();
    assert_eq!(p.version(), Version::V2012_10_17);
    assert!(p.has_version());
    assert_eq!(p.id(), Some("x"));
    let s = &p.statements()[0];
    assert_eq!(s.sid(), Some("One"));
    assert_eq!(s.effect(), Effect::Deny);
    assert!(s.actions().negated);
    assert_eq!(s.actions().values, vec!["s3:*", "iam:*"]);
    assert_eq!(s.resources().unwrap().values, vec!["*"]);
    assert!(s.has_condition());
    assert!(s.principal().is_none());

    let legacy = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        Inline,
    )
    .unwrap();
    assert_eq!(legacy.version(), Version::V2008_10_17);
    assert!(!legacy.has_version());

    let trust = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#,
        RoleTrust,
    )
    .unwrap();
    let t = &trust.statements()[0];
    assert!(t.resources().is_none());
    assert_eq!(
        t.principal(),
        Some(&PrincipalElement::Principal(PrincipalSet::Listed(vec![(
            PrincipalType::Aws,
            vec!["111122223333".to_string()]
        )])))
    );
}

#[test]
fn size_quotas_are_available() {
    assert_eq!(MANAGED_POLICY_MAX_CHARS, 6_144);
    assert_eq!(USER_INLINE_POLICIES_MAX_CHARS, 2_048);
    assert_eq!(ROLE_INLINE_POLICIES_MAX_CHARS, 10_240);
    assert_eq!(GROUP_INLINE_POLICIES_MAX_CHARS, 5_120);
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":[{}]}}}}"#,
        (0..300)
            .map(|i| format!("\"arn:aws:s3:::bucket-{i:04}/*\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(policy_size(&big) > MANAGED_POLICY_MAX_CHARS);
    assert!(
        policy_size(&big) < big.len(),
        "spaces after commas are not counted"
    );
    assert!(
        Policy::parse(&big, Managed).is_ok(),
        "size is the service's check, not the parser's"
    );
}
