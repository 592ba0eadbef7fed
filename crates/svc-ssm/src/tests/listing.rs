//! GetParametersByPath, DescribeParameters, GetParameters, deletes, tags and public parameters.

use super::*;

#[tokio::test]
async fn by_path_and_describe() {
    let (_, ssm) = new();
    for n in ["/app/a", "/app/b", "/app/sub/c", "/other/d", "flat"] {
        put(&ssm, n, "v", "String", false).await.unwrap();
    }
    put(&ssm, "/app/s", "v", "SecureString", false)
        .await
        .unwrap();
    let by = |path: &str, rec: bool, max: Option<i32>, tok: Option<String>| {
        g::GetParametersByPathRequest {
            path: path.into(),
            recursive: Some(rec),
            max_results: max,
            next_token: tok,
            ..Default::default()
        }
    };
    let names = |r: g::GetParametersByPathResult| {
        r.parameters
            .unwrap()
            .into_iter()
            .map(|p| p.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            ssm.get_parameters_by_path(&ctx(), by("/app", false, None, None))
                .await
                .unwrap()
        ),
        ["/app/a", "/app/b", "/app/s"]
    );
    assert_eq!(
        names(
            ssm.get_parameters_by_path(&ctx(), by("/app/", true, None, None))
                .await
                .unwrap()
        ),
        ["/app/a", "/app/b", "/app/s", "/app/sub/c"]
    );
    assert_eq!(
        names(
            ssm.get_parameters_by_path(&ctx(), by("/", false, None, None))
                .await
                .unwrap()
        ),
        Vec::<String>::new()
    );
    let first = ssm
        .get_parameters_by_path(&ctx(), by("/app", true, Some(3), None))
        .await
        .unwrap();
    let tok = first.next_token.clone().expect("more");
    assert_eq!(names(first).len(), 3);
    assert_eq!(
        names(
            ssm.get_parameters_by_path(&ctx(), by("/app", true, Some(3), Some(tok)))
                .await
                .unwrap()
        ),
        ["/app/sub/c"]
    );
    assert_eq!(
        code(
            ssm.get_parameters_by_path(&ctx(), by("/app", true, None, Some("garbage".into())))
                .await
        ),
        "InvalidNextToken"
    );
    assert_eq!(
        code(
            ssm.get_parameters_by_path(&ctx(), by("app", true, None, None))
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            ssm.get_parameters_by_path(&ctx(), by("/app", true, Some(11), None))
                .await
        ),
        "ValidationException"
    );
    let mut typed = by("/app", true, None, None);
    typed.parameter_filters = Some(vec![g::ParameterStringFilter {
        key: "Type".into(),
        option: None,
        values: Some(vec!["SecureString".into()]),
    }]);
    assert_eq!(
        names(ssm.get_parameters_by_path(&ctx(), typed).await.unwrap()),
        ["/app/s"]
    );

    let describe = |filters: Vec<(&str, Option<&str>, Vec<&str>)>| g::DescribeParametersRequest {
        parameter_filters: Some(
            filters
                .into_iter()
                .map(|(k, o, v)| g::ParameterStringFilter {
                    key: k.into(),
                    option: o.map(Into::into),
                    values: Some(v.into_iter().map(Into::into).collect()),
                })
                .collect(),
        ),
        ..Default::default()
    };
    let dnames = |r: g::DescribeParametersResult| {
        r.parameters
            .unwrap()
            .into_iter()
            .map(|p| p.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        dnames(
            ssm.describe_parameters(
                &ctx(),
                describe(vec![("Name", Some("BeginsWith"), vec!["/app/s"])])
            )
            .await
            .unwrap()
        ),
        ["/app/s", "/app/sub/c"]
    );
    assert_eq!(
        dnames(
            ssm.describe_parameters(
                &ctx(),
                describe(vec![("Type", Some("BeginsWith"), vec!["Secure"])])
            )
            .await
            .unwrap()
        ),
        ["/app/s"]
    );
    assert_eq!(
        dnames(
            ssm.describe_parameters(
                &ctx(),
                describe(vec![
                    ("Path", Some("Recursive"), vec!["/app"]),
                    ("Name", Some("Contains"), vec!["c"])
                ])
            )
            .await
            .unwrap()
        ),
        ["/app/sub/c"]
    );
    assert_eq!(
        dnames(
            ssm.describe_parameters(
                &ctx(),
                describe(vec![("KeyId", None, vec!["alias/aws/ssm"])])
            )
            .await
            .unwrap()
        ),
        ["/app/s"]
    );
    assert_eq!(
        code(
            ssm.describe_parameters(&ctx(), describe(vec![("Bogus", None, vec!["x"])]))
                .await
        ),
        "InvalidFilterKey"
    );
    assert_eq!(
        code(
            ssm.describe_parameters(
                &ctx(),
                describe(vec![("Type", Some("Contains"), vec!["S"])])
            )
            .await
        ),
        "InvalidFilterOption"
    );
    let all = ssm
        .describe_parameters(
            &ctx(),
            g::DescribeParametersRequest {
                max_results: Some(4),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.parameters.as_ref().unwrap().len(), 4);
    let rest = ssm
        .describe_parameters(
            &ctx(),
            g::DescribeParametersRequest {
                next_token: all.next_token,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(dnames(rest), ["/other/d", "flat"]);
    // Other regions and accounts see nothing.
    assert!(ssm
        .describe_parameters(&ctx_in("eu-west-1"), Default::default())
        .await
        .unwrap()
        .parameters
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn delete_tags_and_get_parameters() {
    let (_, ssm) = new();
    put(&ssm, "/d/1", "v", "String", false).await.unwrap();
    put(&ssm, "/d/2", "v", "String", false).await.unwrap();
    let tag = |k: &str, v: &str| g::Tag {
        key: k.into(),
        value: v.into(),
    };
    ssm.add_tags_to_resource(
        &ctx(),
        g::AddTagsToResourceRequest {
            resource_type: "Parameter".into(),
            resource_id: "/d/1".into(),
            tags: vec![tag("team", "red"), tag("env", "dev")],
        },
    )
    .await
    .unwrap();
    ssm.add_tags_to_resource(
        &ctx(),
        g::AddTagsToResourceRequest {
            resource_type: "Parameter".into(),
            resource_id: "/d/1".into(),
            tags: vec![tag("team", "blue")],
        },
    )
    .await
    .unwrap();
    let c = ctx();
    let list = |id: &str| {
        ssm.list_tags_for_resource(
            &c,
            g::ListTagsForResourceRequest {
                resource_type: "Parameter".into(),
                resource_id: id.into(),
            },
        )
    };
    let tags = list("/d/1").await.unwrap().tag_list.unwrap();
    assert_eq!(tags, vec![tag("team", "blue"), tag("env", "dev")]);
    assert_eq!(code(list("/d/9").await), "InvalidResourceId");
    let tagged = g::DescribeParametersRequest {
        parameter_filters: Some(vec![g::ParameterStringFilter {
            key: "tag:team".into(),
            option: None,
            values: Some(vec!["blue".into()]),
        }]),
        ..Default::default()
    };
    assert_eq!(
        ssm.describe_parameters(&ctx(), tagged)
            .await
            .unwrap()
            .parameters
            .unwrap()
            .len(),
        1
    );
    ssm.remove_tags_from_resource(
        &ctx(),
        g::RemoveTagsFromResourceRequest {
            resource_type: "Parameter".into(),
            resource_id: "/d/1".into(),
            tag_keys: vec!["team".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        list("/d/1").await.unwrap().tag_list.unwrap(),
        vec![tag("env", "dev")]
    );
    let fifty: Vec<g::Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        code(
            ssm.add_tags_to_resource(
                &ctx(),
                g::AddTagsToResourceRequest {
                    resource_type: "Parameter".into(),
                    resource_id: "/d/1".into(),
                    tags: fifty
                }
            )
            .await
        ),
        "TooManyTagsError"
    );
    assert_eq!(
        code(
            ssm.add_tags_to_resource(
                &ctx(),
                g::AddTagsToResourceRequest {
                    resource_type: "Parameter".into(),
                    resource_id: "/d/1".into(),
                    tags: vec![tag("aws:x", "v")]
                }
            )
            .await
        ),
        "ValidationException"
    );
    let mut tagged_overwrite = put_req("/d/1", "v", Some("String"));
    tagged_overwrite.overwrite = Some(true);
    tagged_overwrite.tags = Some(vec![tag("a", "b")]);
    assert_eq!(
        code(ssm.put_parameter(&ctx(), tagged_overwrite).await),
        "ValidationException"
    );

    let got = ssm
        .get_parameters(
            &ctx(),
            g::GetParametersRequest {
                names: vec![
                    "/d/1".into(),
                    "/d/nope".into(),
                    "/aws/service/debian/release/12/latest/amd64".into(),
                    "/d/1:5".into(),
                ],
                with_decryption: None,
            },
        )
        .await
        .unwrap();
    let names: Vec<String> = got
        .parameters
        .unwrap()
        .into_iter()
        .map(|p| p.name.unwrap())
        .collect();
    assert_eq!(
        names,
        ["/d/1", "/aws/service/debian/release/12/latest/amd64"]
    );
    assert_eq!(got.invalid_parameters.unwrap(), ["/d/nope", "/d/1:5"]);
    let eleven: Vec<String> = (0..11).map(|i| format!("/n{i}")).collect();
    assert_eq!(
        code(
            ssm.get_parameters(
                &ctx(),
                g::GetParametersRequest {
                    names: eleven,
                    with_decryption: None
                }
            )
            .await
        ),
        "ValidationException"
    );

    assert_eq!(
        code(
            ssm.delete_parameter(
                &ctx(),
                g::DeleteParameterRequest {
                    name: "/d/nope".into()
                }
            )
            .await
        ),
        "ParameterNotFound"
    );
    ssm.delete_parameter(
        &ctx(),
        g::DeleteParameterRequest {
            name: "/d/1".into(),
        },
    )
    .await
    .unwrap();
    let r = ssm
        .delete_parameters(
            &ctx(),
            g::DeleteParametersRequest {
                names: vec!["/d/1".into(), "/d/2".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (r.deleted_parameters.unwrap(), r.invalid_parameters.unwrap()),
        (vec!["/d/2".to_string()], vec!["/d/1".to_string()])
    );
}

#[tokio::test]
async fn public_parameters_resolve_per_region() {
    let (_, ssm) = new();
    let name = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2";
    let east = get(&ssm, name, false).await.unwrap();
    let expected = nimbus_images::resolve_parameter("us-east-1", name)
        .unwrap()
        .1
        .id;
    assert_eq!(east.value.as_deref(), Some(expected.as_str()));
    assert_eq!(east.arn.as_deref(), Some("arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"));
    assert_eq!(
        (east.r#type.as_deref(), east.data_type.as_deref()),
        (Some("String"), Some("text"))
    );
    let west = ssm
        .get_parameter(
            &ctx_in("eu-west-1"),
            g::GetParameterRequest {
                name: name.into(),
                with_decryption: None,
            },
        )
        .await
        .unwrap();
    assert_ne!(west.parameter.unwrap().value, east.value);
    let v = east.version.unwrap();
    assert!(get(&ssm, &format!("{name}:{v}"), false).await.is_ok());
    assert_eq!(
        code(get(&ssm, &format!("{name}:{}", v + 1), false).await),
        "ParameterVersionNotFound"
    );
    assert_eq!(
        code(get(&ssm, "/aws/service/ami-amazon-linux-latest/nope", false).await),
        "ParameterNotFound"
    );
    let ubuntu = get(
        &ssm,
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        false,
    )
    .await
    .unwrap();
    assert_eq!(ubuntu.data_type.as_deref(), Some("aws:ec2:image"));
    let all = ssm
        .get_parameters_by_path(
            &ctx(),
            g::GetParametersByPathRequest {
                path: "/aws/service".into(),
                recursive: Some(true),
                max_results: Some(10),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.parameters.unwrap().len(), 10);
    assert!(all.next_token.is_some());
    let hist = ssm
        .get_parameter_history(
            &ctx(),
            g::GetParameterHistoryRequest {
                name: name.into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(code(hist), "NotImplemented");
    // Public names cannot be created.
    assert_eq!(
        code(put(&ssm, name, "ami-0123456789abcdef0", "String", true).await),
        "ValidationException"
    );
}
