//! All of Nimbus in process (`nimbus_testkit::app::InMemoryNimbus`): real services behind
//! the real gateway with strict SigV4, no process and no socket. STS answers who signed,
//! SSM keeps a parameter until a reset empties every service, and an unsigned call is
//! refused in the addressed service's own dialect.

use nimbus_testkit::app::InMemoryNimbus;
use nimbus_testkit::{Req, ROOT_ACCOUNT};

fn ssm(op: &str, body: &str) -> Req {
    Req::post("/")
        .header("x-amz-target", &format!("AmazonSSM.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
}

#[tokio::test]
async fn real_services_answer_signed_calls_and_a_reset_empties_them() {
    let nimbus = InMemoryNimbus::new().expect("wiring every service in memory");
    let gw = &nimbus.gw;

    let r = gw
        .call(Req::query("GetCallerIdentity", "2011-06-15", "").signed(&gw.root_signer("sts")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text()
            .contains(&format!("<Account>{ROOT_ACCOUNT}</Account>")),
        "{}",
        r.text()
    );
    assert!(r
        .text()
        .contains(&format!("<Arn>arn:aws:iam::{ROOT_ACCOUNT}:root</Arn>")));

    let put = ssm(
        "PutParameter",
        r#"{"Name":"/app/db","Value":"v1","Type":"String"}"#,
    );
    let r = gw.call(put.signed(&gw.root_signer("ssm"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(r#""Version":1"#), "{}", r.text());
    let get = || ssm("GetParameter", r#"{"Name":"/app/db"}"#).signed(&gw.root_signer("ssm"));
    let r = gw.call(get()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(r#""Value":"v1""#), "{}", r.text());

    nimbus.reset().await.expect("reset");
    let r = gw.call(get()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("ParameterNotFound"), "{}", r.text());

    let r = gw
        .call(Req::query("GetCallerIdentity", "2011-06-15", ""))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("<Code>MissingAuthenticationToken</Code>"),
        "{}",
        r.text()
    );
    assert!(
        r.text()
            .contains("https://sts.amazonaws.com/doc/2011-06-15/"),
        "{}",
        r.text()
    );
}
