//! The gateway's `auth`, in process through `nimbus_testkit`: in strict mode an unsigned
//! request, an unknown key, a signature made with the wrong secret or over other bytes, and
//! a request dated more than 15 minutes off the server's time each get AWS's error for the
//! addressed protocol (code, status and message), and reach no service; within the skew a
//! signed request is accepted (EC2, with its own codes: `AuthFailure`, `RequestExpired`).
//! Permissive mode takes any key, signed or not.

use nimbus_core::Timestamp;
use nimbus_testkit::probe::Probe;
use nimbus_testkit::{Req, Signer, TestGateway};
use nimbus_wire::Service;
use std::sync::Arc;

const MISMATCH: &str =
    "The request signature we calculated does not match the signature you provided.";

fn gateway() -> (Arc<Probe>, Arc<Probe>, TestGateway) {
    let json = Probe::json();
    let query = Probe::query();
    let services: Vec<Arc<dyn Service>> = vec![json.clone(), query.clone()];
    (json, query, TestGateway::strict(services))
}

fn echo() -> Req {
    Req::json("JsonProbe.Echo", "{}")
}

fn ping() -> Req {
    Req::query("Ping", "2020-01-01", "")
}

#[tokio::test]
async fn an_unsigned_request_is_missing_its_authentication_token() {
    let (json, query, gw) = gateway();
    let r = gw.call(echo()).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("MissingAuthenticationToken"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("Request is missing Authentication Token"),
        "{}",
        r.text()
    );
    // A form request is answered as the service its Action names (query XML).
    let r = gw.call(ping()).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("<Code>MissingAuthenticationToken</Code>"),
        "{}",
        r.text()
    );
    assert!(json.calls().is_empty() && query.calls().is_empty());
}

#[tokio::test]
async fn an_unknown_access_key_is_an_invalid_client_token() {
    let (json, _, gw) = gateway();
    let stranger = Signer::new("AKIDSTRANGER", "whatever", "jsonprobe", gw.wall_time());
    let r = gw.call(echo().signed(&stranger)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("InvalidClientTokenId"), "{}", r.text());
    assert!(
        r.text()
            .contains("The security token included in the request is invalid."),
        "{}",
        r.text()
    );
    assert!(json.calls().is_empty());
}

#[tokio::test]
async fn a_wrong_secret_or_changed_bytes_do_not_match_the_signature() {
    let (json, query, gw) = gateway();
    let wrong = gw.root_signer("jsonprobe").secret("not-the-secret");
    let r = gw.call(echo().signed(&wrong)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());
    assert!(r.text().contains(MISMATCH), "{}", r.text());

    // Signed, then the body changed on the way.
    let tampered = ping()
        .signed(&gw.root_signer("queryprobe"))
        .body("Action=Ping&Version=2020-01-01&X=1");
    let r = gw.call(tampered).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("<Code>SignatureDoesNotMatch</Code>"),
        "{}",
        r.text()
    );
    assert!(json.calls().is_empty() && query.calls().is_empty());
}

#[tokio::test]
async fn a_request_dated_more_than_15_minutes_off_is_refused_and_within_is_accepted() {
    let (json, _, gw) = gateway();
    let now = gw.wall_time();
    let at = |minutes: i64| Timestamp(now.0 + minutes * 60_000);

    let r = gw
        .call(echo().signed(&gw.root_signer("jsonprobe").at(at(-16))))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // Outside S3 and EC2, AWS answers a stale signature as a mismatch naming the window.
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());
    assert!(r.text().contains("Signature expired"), "{}", r.text());
    assert!(r.text().contains("is now earlier than"), "{}", r.text());

    let r = gw
        .call(echo().signed(&gw.root_signer("jsonprobe").at(at(16))))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("Signature not yet current"),
        "{}",
        r.text()
    );
    assert!(json.calls().is_empty());

    for minutes in [-14, 14] {
        let r = gw
            .call(echo().signed(&gw.root_signer("jsonprobe").at(at(minutes))))
            .await;
        assert_eq!(r.status, 200, "{minutes} min: {}", r.text());
    }
    assert_eq!(json.calls().len(), 2);
}

#[tokio::test]
async fn permissive_mode_takes_any_key_signed_or_not() {
    let json = Probe::json();
    let gw = TestGateway::permissive(vec![json.clone() as Arc<dyn Service>]);
    let twelve = Signer::new("111122223333", "anything", "jsonprobe", gw.wall_time());
    let r = gw.call(echo().signed(&twelve)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gw.call(echo()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let accounts: Vec<String> = json.calls().into_iter().map(|c| c.account).collect();
    // A 12-digit key is its own account; anything else is the default account.
    assert_eq!(accounts, ["111122223333", "123456789012"]);
}

/// EC2 words authentication failures its own way: `AuthFailure` (401) for a missing or
/// unknown key, `RequestExpired` (400) for a stale signature, in EC2's error shape.
#[tokio::test]
async fn ec2_answers_authentication_failures_in_its_own_words() {
    let ec2 = Probe::ec2();
    let gw = TestGateway::strict(vec![ec2.clone() as Arc<dyn Service>]);
    let call = || Req::query("Ping", "2016-11-15", "");

    let r = gw.call(call()).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(
        r.text().contains("<Code>AuthFailure</Code>"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("<Response><Errors><Error>"),
        "EC2's error shape: {}",
        r.text()
    );

    let stranger = Signer::new("AKIDSTRANGER", "whatever", "ec2", gw.wall_time());
    let r = gw.call(call().signed(&stranger)).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(
        r.text().contains("<Code>AuthFailure</Code>"),
        "{}",
        r.text()
    );

    let stale = gw
        .root_signer("ec2")
        .at(Timestamp(gw.wall_time().0 - 16 * 60_000));
    let r = gw.call(call().signed(&stale)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("<Code>RequestExpired</Code>"),
        "{}",
        r.text()
    );

    let r = gw.call(call().signed(&gw.root_signer("ec2"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ec2.calls().len(), 1);
}
