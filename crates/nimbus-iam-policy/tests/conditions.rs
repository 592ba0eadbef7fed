//! Condition operators, one table per family, evaluated through a real policy: a
//! condition "holds" when an Allow statement carrying it allows the request.

mod common;

use common::*;
use nimbus_iam_policy::*;

fn holds_in(version: &str, condition: &str, ctx: &Context) -> bool {
    let p = identity(&format!(
        r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}}}"#
    ));
    decide(&[&p], &user("bob"), "s3:GetObject", "*", ctx) == Decision::Allow
}

fn holds(condition: &str, ctx: &Context) -> bool {
    holds_in("2012-10-17", condition, ctx)
}

fn with(key: &str, value: &str) -> Context {
    Context::new().with(key, value)
}

fn multi(key: &str, values: &[&str]) -> Context {
    Context::new().with_multi(key, values.iter().copied())
}

/// `(condition, context, expected)` rows.
type Row<'a> = (&'a str, Context, bool);

fn run(rows: Vec<Row<'_>>) {
    for (cond, ctx, want) in rows {
        assert_eq!(holds(cond, &ctx), want, "{cond} with {ctx:?}");
    }
}

#[test]
fn string_operators() {
    let none = Context::new();
    run(vec![
        (
            r#"{"StringEquals":{"aws:username":"john"}}"#,
            with("aws:username", "john"),
            true,
        ),
        // "Users named John are denied access" (reference_policies_elements_condition.html)
        (
            r#"{"StringEquals":{"aws:username":"john"}}"#,
            with("aws:username", "John"),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:username":"john"}}"#,
            none.clone(),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:username":["ann","john"]}}"#,
            with("aws:username", "john"),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:username":"jo*"}}"#,
            with("aws:username", "john"),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:username":"jo*"}}"#,
            with("aws:username", "jo*"),
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"john"}}"#,
            with("aws:username", "ann"),
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"john"}}"#,
            with("aws:username", "john"),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"john"}}"#,
            none.clone(),
            true,
        ),
        // Multiple values under a negated operator are a NOR.
        (
            r#"{"StringNotEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}"#,
            with("aws:PrincipalAccount", "444455556666"),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}"#,
            with("aws:PrincipalAccount", "999999999999"),
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/department":["finance","hr"]}}"#,
            with("aws:PrincipalTag/department", "Finance"),
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/department":["finance","hr"]}}"#,
            with("aws:PrincipalTag/department", "legal"),
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k":"ABC"}}"#,
            with("k", "abc"),
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k":"ABC"}}"#,
            with("k", "abd"),
            true,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k":"ABC"}}"#,
            none.clone(),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            with("s3:prefix", "home/bob/x"),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            with("s3:prefix", ""),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            with("s3:prefix", "other/"),
            false,
        ),
        (
            r#"{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#,
            with("ec2:InstanceType", "t2.micro"),
            true,
        ),
        (
            r#"{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#,
            with("ec2:InstanceType", "T2.micro"),
            false,
        ),
        (r#"{"StringLike":{"k":"a?c"}}"#, with("k", "abc"), true),
        (r#"{"StringLike":{"k":"a?c"}}"#, with("k", "abbc"), false),
        (r#"{"StringNotLike":{"k":"a*"}}"#, with("k", "abc"), false),
        (r#"{"StringNotLike":{"k":"a*"}}"#, with("k", "bcd"), true),
        (r#"{"StringNotLike":{"k":"a*"}}"#, none, true),
    ]);
}

#[test]
fn condition_keys_are_case_insensitive() {
    run(vec![
        (
            r#"{"IpAddress":{"AWS:SourceIp":"203.0.113.0/24"}}"#,
            with("aws:sourceip", "203.0.113.9"),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}"#,
            with("AWS:principaltag/team", "blue"),
            true,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    let n = |v: &str| with("s3:max-keys", v);
    run(vec![
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            n("10"),
            true,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            n("11"),
            false,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":10}}"#,
            n("9"),
            true,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#,
            n("10"),
            false,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#,
            n("9.5"),
            true,
        ),
        (
            r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#,
            n("10"),
            false,
        ),
        (
            r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#,
            n("10.01"),
            true,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#,
            n("10"),
            true,
        ),
        (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, n("10.0"), true),
        (
            r#"{"NumericEquals":{"s3:max-keys":["5","10"]}}"#,
            n("5"),
            true,
        ),
        (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, n("ten"), false),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#,
            n("10"),
            false,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#,
            n("11"),
            true,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#,
            Context::new(),
            false,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"not-a-number"}}"#,
            n("1"),
            false,
        ),
    ]);
}

#[test]
fn date_operators() {
    let t = |v: &str| with("aws:CurrentTime", v);
    let window = r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}"#;
    run(vec![
        // reference_policies_examples_aws-dates.html
        (window, t("2020-05-15T12:00:00Z"), true),
        (window, t("2020-03-31T23:59:59Z"), false),
        (window, t("2020-07-01T00:00:00Z"), false),
        (window, Context::new(), false),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            with("aws:TokenIssueTime", "2020-01-01T00:00:02Z"),
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            Context::new(),
            false,
        ),
        // Epoch and ISO 8601 compare on one time line, either side.
        (
            r#"{"DateLessThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}"#,
            with("aws:EpochTime", "1577836799"),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:EpochTime":"1577836800"}}"#,
            with("aws:EpochTime", "1577836800"),
            false,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:EpochTime":"1577836800"}}"#,
            with("aws:EpochTime", "2020-01-01T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01"}}"#,
            t("2020-01-01T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}"#,
            t("2020-01-01T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            t("2020-01-01T00:00:00Z"),
            false,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            t("2020-01-02T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            t("garbage"),
            false,
        ),
    ]);
}

#[test]
fn bool_operator() {
    run(vec![
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            with("aws:SecureTransport", "true"),
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            with("aws:SecureTransport", "false"),
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":true}}"#,
            with("aws:SecureTransport", "true"),
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"TRUE"}}"#,
            with("aws:SecureTransport", "true"),
            true,
        ),
        (
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#,
            Context::new(),
            false,
        ),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            with("aws:MultiFactorAuthPresent", "true"),
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
            with("aws:SecureTransport", "true"),
            false,
        ),
    ]);
}

#[test]
fn binary_operator() {
    let b = "QmluYXJ5VmFsdWVJbkJhc2U2NA==";
    run(vec![
        (
            r#"{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            with("key", b),
            true,
        ),
        (
            r#"{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            with("key", "QmluYXJ5"),
            false,
        ),
        (
            r#"{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            Context::new(),
            false,
        ),
        (r#"{"BinaryEquals":{"key":"***"}}"#, with("key", b), false),
    ]);
}

#[test]
fn ip_operators() {
    let ip = |v: &str| with("aws:SourceIp", v);
    let mixed = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
    run(vec![
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            ip("203.0.113.255"),
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            ip("203.0.114.0"),
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#,
            ip("203.0.113.5"),
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#,
            ip("203.0.113.6"),
            false,
        ),
        (mixed, ip("2001:db8:1234:5678::42"), true),
        (mixed, ip("203.0.113.42"), true),
        (mixed, ip("198.51.100.1"), false),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            Context::new(),
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
            ip("192.0.2.7"),
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
            ip("198.51.100.7"),
            true,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24"]}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"not-a-cidr"}}"#,
            ip("203.0.113.1"),
            false,
        ),
    ]);
}

#[test]
fn arn_operators() {
    let src = |v: &str| with("aws:SourceArn", v);
    run(vec![
        (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#, src("arn:aws:sns:us-east-2:123456789012:TOPIC-ID"), true),
        (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#, src("arn:aws:sns:us-east-2:123456789012:topic-id"), false),
        (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, src("arn:aws:sns:eu-west-1:123456789012:t"), true),
        (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, src("arn:aws:sns:eu-west-1:123456789012:t"), true),
        // Segments are matched separately (Conditions_ARN), unlike StringLike.
        (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, src("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), false),
        (r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, src("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), true),
        (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, Context::new(), false),
        (r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}"#, with("aws:PrincipalArn", "arn:aws:iam::444455556666:user/user-name"), false),
        (r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}"#, with("aws:PrincipalArn", "arn:aws:iam::444455556666:user/other"), true),
        (r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}"#, with("aws:PrincipalArn", "arn:aws:iam::1:role/admin-x"), false),
        (r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}"#, Context::new(), true),
    ]);
}

#[test]
fn null_operator() {
    let tok = with("aws:TokenIssueTime", "2020-01-01T00:00:00Z");
    run(vec![
        (
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            tok.clone(),
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            tok.clone(),
            true,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            Context::new(),
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":true}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"Null":{"aws:TagKeys":"true"}}"#,
            multi("aws:TagKeys", &[]),
            true,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"maybe"}}"#,
            Context::new(),
            false,
        ),
    ]);
}

#[test]
fn if_exists_suffix() {
    let types = r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#;
    run(vec![
        (types, Context::new(), true),
        (types, with("ec2:InstanceType", "t2.large"), true),
        (types, with("ec2:InstanceType", "c5.large"), false),
        (
            r#"{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}"#,
            with("aws:ResourceTag/env", "prod"),
            false,
        ),
        (
            r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#,
            Context::new(),
            true,
        ),
    ]);
}

#[test]
fn for_all_values() {
    // reference_policies_multi-value-conditions.html, the DynamoDB Thread table.
    let allowed =
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}"#;
    let attrs = |v: &[&str]| multi("dynamodb:Attributes", v);
    run(vec![
        (allowed, attrs(&["ID", "Message", "Tags"]), true),
        (allowed, attrs(&["Message"]), true),
        (allowed, attrs(&["ID", "UserName"]), false),
        (allowed, attrs(&["PostDateTime", "UserName"]), false),
        // "It also returns true if there are no keys in the request" / an empty set.
        (allowed, Context::new(), true),
        (allowed, attrs(&[]), true),
        (allowed, with("dynamodb:Attributes", "ID"), true),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}"#,
            multi("aws:TagKeys", &["CreatedBy", "CreatedAt"]),
            true,
        ),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}"#,
            multi("aws:TagKeys", &["CreatedBy", "Owner"]),
            false,
        ),
        // With a negated operator the negation applies to each request value.
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            multi("aws:TagKeys", &["c", "d"]),
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            multi("aws:TagKeys", &["c", "a"]),
            false,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"ForAllValues:NumericLessThan":{"k":"10"}}"#,
            multi("k", &["1", "9"]),
            true,
        ),
        (
            r#"{"ForAllValues:NumericLessThan":{"k":"10"}}"#,
            multi("k", &["1", "10"]),
            false,
        ),
    ]);
}

#[test]
fn for_any_value() {
    let forbidden = r#"{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["ID","PostDateTime"]}}"#;
    let attrs = |v: &[&str]| multi("dynamodb:Attributes", v);
    run(vec![
        (
            forbidden,
            attrs(&["UserName", "Message", "PostDateTime"]),
            true,
        ),
        (forbidden, attrs(&["UserName"]), false),
        // "For no matching key or a null dataset, the condition returns false."
        (forbidden, Context::new(), false),
        (forbidden, attrs(&[]), false),
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"k":["a"]}}"#,
            Context::new(),
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            multi("aws:TagKeys", &["a", "c"]),
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#,
            multi("aws:TagKeys", &["a", "b"]),
            false,
        ),
        (
            r#"{"ForAnyValue:StringLike":{"aws:TagKeys":["env*"]}}"#,
            multi("aws:TagKeys", &["owner", "environment"]),
            true,
        ),
        (
            r#"{"ForAnyValue:IpAddress":{"k":["10.0.0.0/8"]}}"#,
            multi("k", &["192.168.0.1", "10.1.2.3"]),
            true,
        ),
    ]);
}

#[test]
fn multivalued_key_without_qualifier() {
    run(vec![
        (
            r#"{"StringEquals":{"aws:TagKeys":"a"}}"#,
            multi("aws:TagKeys", &["b", "a"]),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:TagKeys":"a"}}"#,
            multi("aws:TagKeys", &["b", "c"]),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#,
            multi("aws:TagKeys", &["b", "a"]),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#,
            multi("aws:TagKeys", &["b", "c"]),
            true,
        ),
    ]);
}

#[test]
fn keys_and_operators_are_anded() {
    // reference_policies_multi-value-conditions.html#reference_policies_multiple-conditions-eval
    let block = r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/department":["finance","hr","legal"],"aws:PrincipalTag/role":["audit","security"]},"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"#;
    let full = Context::new()
        .with("aws:PrincipalTag/department", "HR")
        .with("aws:PrincipalTag/role", "audit")
        .with("aws:PrincipalAccount", "123456789012");
    let mut wrong_account = full.clone();
    wrong_account.set("aws:PrincipalAccount", "999999999999");
    let mut no_role = full.clone();
    no_role.remove("aws:PrincipalTag/role");
    run(vec![
        (block, full, true),
        (block, wrong_account, false),
        (block, no_role, false),
    ]);
}

#[test]
fn empty_condition_blocks_hold() {
    run(vec![
        (r#"{}"#, Context::new(), true),
        (r#"{"StringEquals":{}}"#, Context::new(), true),
        (r#"{"UnknownButEmpty":{}}"#, Context::new(), true),
    ]);
}

#[test]
fn values_are_never_variables_in_legacy_documents() {
    let ctx = with("aws:username", "bob").with("k", "bob");
    assert!(holds(r#"{"StringEquals":{"k":"${aws:username}"}}"#, &ctx));
    assert!(!holds_in(
        "2008-10-17",
        r#"{"StringEquals":{"k":"${aws:username}"}}"#,
        &ctx
    ));
    let literal = with("k", "${aws:username}");
    assert!(holds_in(
        "2008-10-17",
        r#"{"StringEquals":{"k":"${aws:username}"}}"#,
        &literal
    ));
}
