//! Parameter Store's operations against an in-memory store: versions, selectors and
//! labels, SecureString reads, AWS's input rules, tiers, allowed patterns, the 100-version
//! window, listings with filters and paging, tags, public parameters, durability (a reload
//! from the same store sees the same parameters; a write the disk refuses changes nothing),
//! reset, and the ARNs the authorizer sees.

use crate::generated::{self as g, Handlers as _};

mod listing;
mod params;
use crate::state::Ssm;
use nimbus_core::{AwsError, Ids, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::sync::Arc;

pub(super) fn ctx_in(region: &str) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        principal: Principal::root("000000000000", "AK").into(),
        region: region.into(),
        now: Timestamp(1_796_000_000_000),
        host: "h".into(),
        source_ip: None,
    }
}

pub(super) fn ctx() -> RequestContext {
    ctx_in("us-east-1")
}

pub(super) fn new() -> (Store, Ssm) {
    let store = Store::in_memory();
    let ssm = Ssm::load(store.clone(), Arc::new(Ids::from_seed(7))).expect("load");
    (store, ssm)
}

pub(super) fn put_req(name: &str, value: &str, ty: Option<&str>) -> g::PutParameterRequest {
    g::PutParameterRequest {
        name: name.into(),
        value: value.into(),
        r#type: ty.map(Into::into),
        ..Default::default()
    }
}

pub(super) async fn put(
    ssm: &Ssm,
    name: &str,
    value: &str,
    ty: &str,
    overwrite: bool,
) -> Result<i64, AwsError> {
    let mut r = put_req(name, value, Some(ty));
    r.overwrite = Some(overwrite);
    Ok(ssm.put_parameter(&ctx(), r).await?.version.unwrap())
}

pub(super) async fn get(ssm: &Ssm, name: &str, decrypt: bool) -> Result<g::Parameter, AwsError> {
    let r = g::GetParameterRequest {
        name: name.into(),
        with_decryption: Some(decrypt),
    };
    Ok(ssm.get_parameter(&ctx(), r).await?.parameter.unwrap())
}

pub(super) fn code(r: Result<impl std::fmt::Debug, AwsError>) -> String {
    r.expect_err("expected an error").code.to_string()
}

#[tokio::test]
async fn durable_and_reset() {
    let (store, ssm) = new();
    put(&ssm, "/keep", "1", "String", false).await.unwrap();
    put(&ssm, "/keep", "2", "SecureString", true).await.unwrap();
    ssm.label_parameter_version(
        &ctx(),
        g::LabelParameterVersionRequest {
            name: "/keep".into(),
            parameter_version: Some(1),
            labels: vec!["old".into()],
        },
    )
    .await
    .unwrap();
    put(&ssm, "/gone", "x", "String", false).await.unwrap();
    ssm.delete_parameter(
        &ctx(),
        g::DeleteParameterRequest {
            name: "/gone".into(),
        },
    )
    .await
    .unwrap();
    let cipher = get(&ssm, "/keep", false).await.unwrap().value;
    let again = Ssm::load(store.clone(), Arc::new(Ids::from_seed(8))).expect("reload");
    assert_eq!(
        get(&again, "/keep:old", false)
            .await
            .unwrap()
            .value
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        get(&again, "/keep", true).await.unwrap().value.as_deref(),
        Some("2")
    );
    assert_eq!(get(&again, "/keep", false).await.unwrap().value, cipher);
    assert_eq!(code(get(&again, "/gone", false).await), "ParameterNotFound");

    let wiped = store.clone();
    again
        .reset(Box::pin(async move {
            wiped
                .wipe_async()
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        }))
        .await
        .expect("reset");
    assert_eq!(code(get(&again, "/keep", false).await), "ParameterNotFound");
    let after = Ssm::load(store, Arc::new(Ids::from_seed(9))).expect("reload");
    assert_eq!(code(get(&after, "/keep", false).await), "ParameterNotFound");
}

/// A write the disk refuses is answered with a 500 and leaves nothing behind: not in
/// memory (reads still show the old value), not in the store; writes resume once the disk
/// does.
#[tokio::test]
async fn a_refused_write_is_a_500_and_changes_nothing() {
    use nimbus_store::{Fault, FaultyEngine, MemoryEngine};
    let faulty = Arc::new(FaultyEngine::new(Arc::new(MemoryEngine::new())));
    let store = Store::new(faulty.clone());
    let ssm = Ssm::load(store.clone(), Arc::new(Ids::from_seed(7))).expect("load");
    assert_eq!(put(&ssm, "/p", "one", "String", false).await.unwrap(), 1);

    faulty.arm(Fault::DiskFull);
    let err = put(&ssm, "/p", "two", "String", true)
        .await
        .expect_err("a full disk refuses the write");
    assert_eq!(
        (err.code.as_ref(), err.status),
        ("InternalServerError", 500)
    );
    assert!(
        err.message.contains("No space left on device"),
        "{}",
        err.message
    );
    assert_eq!(
        get(&ssm, "/p", false).await.unwrap().value.as_deref(),
        Some("one")
    );
    let reloaded = Ssm::load(store.clone(), Arc::new(Ids::from_seed(8))).expect("reload");
    assert_eq!(get(&reloaded, "/p", false).await.unwrap().version, Some(1));

    faulty.clear();
    assert_eq!(put(&ssm, "/p", "two", "String", true).await.unwrap(), 2);
    assert_eq!(
        get(&ssm, "/p", false).await.unwrap().value.as_deref(),
        Some("two")
    );
}

#[test]
fn authorizer_sees_aws_parameter_arns() {
    use crate::authz::normalize;
    let own = "arn:aws:ssm:us-east-1:111122223333:parameter/";
    assert_eq!(
        normalize(&format!("{own}/dev/db")),
        "arn:aws:ssm:us-east-1:111122223333:parameter/dev/db"
    );
    assert_eq!(
        normalize(&format!("{own}flat")),
        "arn:aws:ssm:us-east-1:111122223333:parameter/flat"
    );
    assert_eq!(
        normalize(&format!("{own}/dev/db:3")),
        "arn:aws:ssm:us-east-1:111122223333:parameter/dev/db"
    );
    assert_eq!(
        normalize(&format!("{own}flat:prod")),
        "arn:aws:ssm:us-east-1:111122223333:parameter/flat"
    );
    assert_eq!(
        normalize(&format!("{own}/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")),
        "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
    );
    assert_eq!(
        normalize(&format!(
            "{own}arn:aws:ssm:eu-west-1:444455556666:parameter/x/y:2"
        )),
        "arn:aws:ssm:eu-west-1:444455556666:parameter/x/y"
    );
    assert_eq!(normalize("*"), "*");
}

#[tokio::test]
async fn other_services_resolve_references_through_parameters() {
    let (_, ssm) = new();
    let params = ssm.parameters();
    put(&ssm, "/golden", "ami-0123456789abcdef0", "String", false)
        .await
        .unwrap();
    put(&ssm, "/golden", "ami-00000000000000001", "String", true)
        .await
        .unwrap();
    ssm.label_parameter_version(
        &ctx(),
        g::LabelParameterVersionRequest {
            name: "/golden".into(),
            parameter_version: Some(1),
            labels: vec!["prod".into()],
        },
    )
    .await
    .unwrap();
    let r = |name: &str| {
        params
            .resolve("000000000000", "us-east-1", name)
            .map(|r| r.value)
    };
    assert_eq!(r("/golden").as_deref(), Some("ami-00000000000000001"));
    assert_eq!(r("/golden:prod").as_deref(), Some("ami-0123456789abcdef0"));
    assert_eq!(r("/golden:1").as_deref(), Some("ami-0123456789abcdef0"));
    assert_eq!(r("/golden:3"), None);
    assert_eq!(params.resolve("111111111111", "us-east-1", "/golden"), None);
    let al = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    let expected = nimbus_images::resolve_parameter("eu-west-1", al)
        .unwrap()
        .1
        .id;
    assert_eq!(
        params
            .resolve("000000000000", "eu-west-1", al)
            .unwrap()
            .value,
        expected
    );
}
