//! What STS's generated access functions ask the authorizer
//! (`codegen/authorization/sts.json`): `sts:AssumeRole` on the role with the session's
//! condition keys, plus `sts:TagSession` / `sts:SetSourceIdentity` when the request passes
//! session tags / a source identity; nothing for the operations AWS lets anyone call.

use nimbus_wire::testing::context;
use svc_sts::generated::*;

#[test]
fn assume_role_asks_for_the_role_with_its_condition_keys() {
    let input = AssumeRoleRequest {
        role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
        role_session_name: "ci".into(),
        external_id: Some("ext-1".into()),
        transitive_tag_keys: Some(vec!["team".into(), "env".into()]),
        ..Default::default()
    };
    let a = access::assume_role(&context(), &input);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].action, "sts:AssumeRole");
    assert_eq!(a[0].resources, ["arn:aws:iam::123456789012:role/deploy"]);
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        a[0].conditions,
        [
            ("sts:ExternalId".into(), s(&["ext-1"])),
            ("sts:RoleSessionName".into(), s(&["ci"])),
            ("sts:TransitiveTagKeys".into(), s(&["team", "env"])),
        ]
    );
}

#[test]
fn caller_identity_and_session_tokens_need_no_permission() {
    assert!(access::get_caller_identity(&context(), &Default::default()).is_empty());
    assert!(access::get_session_token(&context(), &Default::default()).is_empty());
    let k = access::get_access_key_info(&context(), &Default::default());
    assert_eq!(
        (k[0].action, k[0].resources.as_slice()),
        ("sts:GetAccessKeyInfo", &["*".to_string()][..])
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Session tags need `sts:TagSession` on the role, with the tags as `aws:RequestTag/<key>`
/// and `aws:TagKeys`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required>);
/// a source identity needs `sts:SetSourceIdentity`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html>).
#[test]
fn session_tags_and_source_identity_add_their_actions_only_when_passed() {
    let role = "arn:aws:iam::123456789012:role/deploy";
    let plain = AssumeRoleRequest {
        role_arn: role.into(),
        role_session_name: "ci".into(),
        ..Default::default()
    };
    let actions = |a: &[nimbus_core::Access]| a.iter().map(|a| a.action).collect::<Vec<_>>();
    assert_eq!(
        actions(&access::assume_role(&context(), &plain)),
        ["sts:AssumeRole"]
    );
    // An empty tag list passes no tags.
    let empty = AssumeRoleRequest {
        tags: Some(Vec::new()),
        ..plain.clone()
    };
    assert_eq!(
        actions(&access::assume_role(&context(), &empty)),
        ["sts:AssumeRole"]
    );

    let tagged = AssumeRoleRequest {
        tags: Some(vec![
            Tag {
                key: "team".into(),
                value: "red".into(),
            },
            Tag {
                key: "env".into(),
                value: "prod".into(),
            },
        ]),
        transitive_tag_keys: Some(vec!["team".into()]),
        ..plain.clone()
    };
    let a = access::assume_role(&context(), &tagged);
    assert_eq!(actions(&a), ["sts:AssumeRole", "sts:TagSession"]);
    assert_eq!(a[1].resources, [role]);
    assert_eq!(
        a[1].conditions,
        [
            ("aws:RequestTag/team".into(), strings(&["red"])),
            ("aws:RequestTag/env".into(), strings(&["prod"])),
            ("aws:TagKeys".into(), strings(&["team", "env"])),
            ("sts:TransitiveTagKeys".into(), strings(&["team"])),
        ]
    );
    // The tag keys are not AssumeRole's own condition keys.
    assert_eq!(a[0].condition("aws:TagKeys"), None);

    let sourced = AssumeRoleRequest {
        source_identity: Some("alice".into()),
        ..tagged
    };
    let a = access::assume_role(&context(), &sourced);
    assert_eq!(
        actions(&a),
        ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    );
    assert_eq!(a[2].resources, [role]);
    assert_eq!(
        a[2].conditions,
        [("sts:SourceIdentity".into(), strings(&["alice"]))]
    );
}
