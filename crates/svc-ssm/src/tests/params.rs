//! Put/get/labels/history/SecureString/name rules/tiers/patterns/the 100-version window.

use super::*;

#[tokio::test]
async fn versions_overwrite_and_selectors() {
    let (_, ssm) = new();
    assert_eq!(
        put(&ssm, "/app/db/host", "a", "String", false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        code(put(&ssm, "/app/db/host", "b", "String", false).await),
        "ParameterAlreadyExists"
    );
    assert_eq!(
        put(&ssm, "/app/db/host", "b", "String", true)
            .await
            .unwrap(),
        2
    );
    let p = get(&ssm, "/app/db/host", false).await.unwrap();
    assert_eq!(
        (p.value.as_deref(), p.version, p.selector),
        (Some("b"), Some(2), None)
    );
    assert_eq!(
        p.arn.as_deref(),
        Some("arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host")
    );
    let p1 = get(&ssm, "/app/db/host:1", false).await.unwrap();
    assert_eq!(
        (p1.value.as_deref(), p1.version, p1.selector.as_deref()),
        (Some("a"), Some(1), Some(":1"))
    );
    assert_eq!(p1.name.as_deref(), Some("/app/db/host"));
    assert_eq!(
        code(get(&ssm, "/app/db/host:9", false).await),
        "ParameterVersionNotFound"
    );
    assert_eq!(
        code(get(&ssm, "/app/db/nope", false).await),
        "ParameterNotFound"
    );
    // Overwrite without Type keeps the type; a new parameter needs one.
    let r = ssm
        .put_parameter(&ctx(), {
            let mut r = put_req("/app/db/host", "c", None);
            r.overwrite = Some(true);
            r
        })
        .await
        .unwrap();
    assert_eq!(r.version, Some(3));
    let e = ssm
        .put_parameter(&ctx(), put_req("/app/new", "c", None))
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "A parameter type is required when you create a parameter."
    );
    // A flat name's ARN has one slash.
    put(&ssm, "flat", "v", "StringList", false).await.unwrap();
    assert_eq!(
        get(&ssm, "flat", false).await.unwrap().arn.as_deref(),
        Some("arn:aws:ssm:us-east-1:000000000000:parameter/flat")
    );
    // The ARN form of a name reads the same parameter.
    let by_arn = get(
        &ssm,
        "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host:2",
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        (by_arn.name.as_deref(), by_arn.value.as_deref()),
        (Some("/app/db/host"), Some("b"))
    );
}

#[tokio::test]
async fn labels_move_and_select() {
    let (_, ssm) = new();
    for v in ["a", "b", "c"] {
        put(&ssm, "/l", v, "String", true).await.unwrap();
    }
    let label = |v: Option<i64>, ls: &[&str]| g::LabelParameterVersionRequest {
        name: "/l".into(),
        parameter_version: v,
        labels: ls.iter().map(|s| s.to_string()).collect(),
    };
    let r = ssm
        .label_parameter_version(
            &ctx(),
            label(Some(1), &["prod", "1bad", "awsx", "ok.v-1_x"]),
        )
        .await
        .unwrap();
    assert_eq!(
        r.invalid_labels,
        Some(vec!["1bad".to_string(), "awsx".to_string()])
    );
    assert_eq!(
        get(&ssm, "/l:prod", false).await.unwrap().value.as_deref(),
        Some("a")
    );
    // Labelling the latest version moves the label.
    let r = ssm
        .label_parameter_version(&ctx(), label(None, &["prod"]))
        .await
        .unwrap();
    assert_eq!(r.parameter_version, Some(3));
    let p = get(&ssm, "/l:prod", false).await.unwrap();
    assert_eq!(
        (p.value.as_deref(), p.selector.as_deref()),
        (Some("c"), Some(":prod"))
    );
    assert_eq!(
        code(get(&ssm, "/l:staging", false).await),
        "ParameterVersionNotFound"
    );
    assert_eq!(
        code(
            ssm.label_parameter_version(&ctx(), label(Some(7), &["x"]))
                .await
        ),
        "ParameterVersionNotFound"
    );
    ssm.label_parameter_version(&ctx(), label(Some(2), &["first"]))
        .await
        .unwrap();
    let many: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        code(
            ssm.label_parameter_version(&ctx(), label(Some(2), &refs))
                .await
        ),
        "ParameterVersionLabelLimitExceeded"
    );
    let hist = ssm
        .get_parameter_history(
            &ctx(),
            g::GetParameterHistoryRequest {
                name: "/l".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .parameters
        .unwrap();
    let labels: Vec<Vec<String>> = hist.iter().map(|h| h.labels.clone().unwrap()).collect();
    assert_eq!(
        labels,
        vec![
            vec!["ok.v-1_x".to_string()],
            vec!["first".to_string()],
            vec!["prod".to_string()]
        ]
    );
    let un = ssm
        .unlabel_parameter_version(
            &ctx(),
            g::UnlabelParameterVersionRequest {
                name: "/l".into(),
                parameter_version: 3,
                labels: vec!["prod".into(), "zzz".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (un.removed_labels, un.invalid_labels),
        (Some(vec!["prod".into()]), Some(vec!["zzz".into()]))
    );
    assert_eq!(
        code(get(&ssm, "/l:prod", false).await),
        "ParameterVersionNotFound"
    );
}

#[tokio::test]
async fn secure_strings_are_opaque_without_decryption() {
    let (_, ssm) = new();
    put(&ssm, "/s", "hunter2", "SecureString", false)
        .await
        .unwrap();
    let enc = get(&ssm, "/s", false).await.unwrap().value.unwrap();
    assert_ne!(enc, "hunter2");
    assert!(enc.starts_with("AQICAH"), "{enc}");
    assert_eq!(
        get(&ssm, "/s", false).await.unwrap().value.unwrap(),
        enc,
        "stable across reads"
    );
    assert_eq!(
        get(&ssm, "/s", true).await.unwrap().value.as_deref(),
        Some("hunter2")
    );
    put(&ssm, "/s", "hunter2", "SecureString", true)
        .await
        .unwrap();
    assert_ne!(
        get(&ssm, "/s", false).await.unwrap().value.unwrap(),
        enc,
        "a new version is encrypted anew"
    );
    let mut r = put_req("/k", "v", Some("String"));
    r.key_id = Some("alias/aws/ssm".into());
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r).await),
        "ValidationException"
    );
    let mut r = put_req("/k", "v", Some("SecureString"));
    r.key_id = Some("alias/mine".into());
    assert_eq!(code(ssm.put_parameter(&ctx(), r).await), "InvalidKeyId");
}

#[tokio::test]
async fn name_rules() {
    let (_, ssm) = new();
    for bad in ["/aws/x", "ssm-x", "AWSfoo", "a b", "/a//b", "/a/b/", "a$b"] {
        assert_eq!(
            code(put(&ssm, bad, "v", "String", false).await),
            "ValidationException",
            "{bad}"
        );
    }
    let e = put(&ssm, "a/b", "v", "String", false).await.unwrap_err();
    assert_eq!(e.message, "Parameter name must be a fully qualified name.");
    let deep = "/a".repeat(16);
    assert_eq!(
        code(put(&ssm, &deep, "v", "String", false).await),
        "HierarchyLevelLimitExceededException"
    );
    put(&ssm, &"/a".repeat(15), "v", "String", false)
        .await
        .unwrap();
    let long = format!("/{}", "x".repeat(1011));
    assert_eq!(
        code(put(&ssm, &long, "v", "String", false).await),
        "ValidationException"
    );
    // Surrounding spaces are trimmed.
    put(&ssm, "  /trimmed  ", "v", "String", false)
        .await
        .unwrap();
    assert!(get(&ssm, "/trimmed", false).await.is_ok());
    assert_eq!(
        code(put(&ssm, "/t", "v", "Strin", false).await),
        "ValidationException"
    );
}

#[tokio::test]
async fn tiers_patterns_and_data_types() {
    let (_, ssm) = new();
    let big = "x".repeat(5000);
    let e = put(&ssm, "/big", &big, "String", false).await.unwrap_err();
    assert!(
        e.message
            .starts_with("Standard tier parameters support a maximum parameter value of 4096"),
        "{}",
        e.message
    );
    let mut r = put_req("/big", &big, Some("String"));
    r.tier = Some("Intelligent-Tiering".into());
    assert_eq!(
        ssm.put_parameter(&ctx(), r).await.unwrap().tier.as_deref(),
        Some("Advanced")
    );
    let mut r = put_req("/big", "small", Some("String"));
    r.overwrite = Some(true);
    r.tier = Some("Standard".into());
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r).await),
        "ValidationException"
    );
    assert_eq!(
        code(put(&ssm, "/huge", &"x".repeat(8193), "String", false).await),
        "ValidationException"
    );

    let mut r = put_req("/num", "abc", Some("String"));
    r.allowed_pattern = Some("^\\d+$".into());
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r.clone()).await),
        "ParameterPatternMismatchException"
    );
    r.value = "123".into();
    ssm.put_parameter(&ctx(), r).await.unwrap();
    // The pattern stays with the parameter.
    assert_eq!(
        code(put(&ssm, "/num", "x1", "String", true).await),
        "ParameterPatternMismatchException"
    );
    let mut r = put_req("/bad-pattern", "v", Some("String"));
    r.allowed_pattern = Some("(".into());
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r).await),
        "InvalidAllowedPatternException"
    );

    let mut r = put_req("/ami", "ami-12345", Some("String"));
    r.data_type = Some("aws:ec2:image".into());
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r.clone()).await),
        "ValidationException"
    );
    r.value = "ami-0123456789abcdef0".into();
    ssm.put_parameter(&ctx(), r.clone()).await.unwrap();
    assert_eq!(
        get(&ssm, "/ami", false).await.unwrap().data_type.as_deref(),
        Some("aws:ec2:image")
    );
    r.data_type = Some("Text".into());
    r.name = "/t2".into();
    assert_eq!(
        code(ssm.put_parameter(&ctx(), r).await),
        "ValidationException"
    );
}

#[tokio::test]
async fn at_most_100_versions_and_labelled_oldest_blocks() {
    let (_, ssm) = new();
    for i in 1..=100 {
        put(&ssm, "/v", &i.to_string(), "String", true)
            .await
            .unwrap();
    }
    assert_eq!(put(&ssm, "/v", "101", "String", true).await.unwrap(), 101);
    assert_eq!(
        code(get(&ssm, "/v:1", false).await),
        "ParameterVersionNotFound"
    );
    assert_eq!(
        get(&ssm, "/v:2", false).await.unwrap().value.as_deref(),
        Some("2")
    );
    ssm.label_parameter_version(
        &ctx(),
        g::LabelParameterVersionRequest {
            name: "/v".into(),
            parameter_version: Some(2),
            labels: vec!["keep".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        code(put(&ssm, "/v", "102", "String", true).await),
        "ParameterMaxVersionLimitExceeded"
    );
    // History pages through the 100 retained versions.
    let mut token = None;
    let mut seen = Vec::new();
    loop {
        let r = ssm
            .get_parameter_history(
                &ctx(),
                g::GetParameterHistoryRequest {
                    name: "/v".into(),
                    max_results: Some(30),
                    next_token: token,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(
            r.parameters
                .unwrap()
                .into_iter()
                .map(|h| h.version.unwrap()),
        );
        token = r.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, (2..=101).collect::<Vec<i64>>());
}
