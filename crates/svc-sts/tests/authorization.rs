//! What STS's generated access functions ask the authorizer
//! (`codegen/authorization/sts.json`): `sts:AssumeRole` on the role with the session's
//! condition keys, nothing for the operations AWS lets anyone call.

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
            ("sts:ExternalId", s(&["ext-1"])),
            ("sts:RoleSessionName", s(&["ci"])),
            ("sts:TransitiveTagKeys", s(&["team", "env"])),
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
