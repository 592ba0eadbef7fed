//! The gateway's `dispatch`, in process through `nimbus_testkit`: a request reaches the
//! service its protocol addresses (JSON by `X-Amz-Target`, query by the signature's
//! service or, unsigned in permissive mode, by `Action`), in the region it was signed for;
//! an unknown service, operation or action is answered with the protocol's error and
//! reaches no service; a model operation Nimbus does not implement answers 501; body
//! limits hold for declared and gzip-inflated bodies.

use nimbus_gateway::GatewayConfig;
use nimbus_testkit::probe::{Call, Probe};
use nimbus_testkit::{Req, TestGateway, ROOT_ACCOUNT};
use nimbus_wire::{Protocol, Service};
use std::io::Write;
use std::sync::Arc;

fn two_probes() -> (Arc<Probe>, Arc<Probe>, Vec<Arc<dyn Service>>) {
    let json = Probe::json();
    let query = Probe::query();
    let services: Vec<Arc<dyn Service>> = vec![json.clone(), query.clone()];
    (json, query, services)
}

fn call(operation: &'static str, protocol: Protocol, account: &str, region: &str) -> Call {
    Call {
        operation,
        protocol,
        account: account.into(),
        region: region.into(),
        source_ip: None,
    }
}

#[tokio::test]
async fn json_and_query_requests_reach_the_service_their_protocol_names() {
    let (json, query, services) = two_probes();
    let gw = TestGateway::strict(services);

    let r = gw
        .call(Req::json("JsonProbe.Echo", "{}").signed(&gw.root_signer("jsonprobe")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gw
        .call(Req::query("Ping", "2020-01-01", "").signed(&gw.root_signer("queryprobe")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<PingResponse"), "{}", r.text());

    assert_eq!(
        json.calls(),
        [call("Echo", Protocol::Json, ROOT_ACCOUNT, "us-east-1")]
    );
    assert_eq!(
        query.calls(),
        [call("Ping", Protocol::Query, ROOT_ACCOUNT, "us-east-1")]
    );
}

#[tokio::test]
async fn the_region_is_the_one_the_request_was_signed_for() {
    let (json, _, services) = two_probes();
    let gw = TestGateway::strict(services);
    let mut signer = gw.root_signer("jsonprobe");
    signer.region = "eu-west-1".into();
    let r = gw
        .call(Req::json("JsonProbe.Echo", "{}").signed(&signer))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(json.calls()[0].region, "eu-west-1");
}

#[tokio::test]
async fn an_unsigned_query_request_is_routed_by_its_action_in_permissive_mode() {
    let (json, query, services) = two_probes();
    let gw = TestGateway::permissive(services);
    let r = gw.call(Req::query("Ping", "2020-01-01", "")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        query.calls(),
        [call("Ping", Protocol::Query, "123456789012", "us-east-1")]
    );
    assert!(json.calls().is_empty());
}

#[tokio::test]
async fn unknown_services_operations_and_actions_reach_no_service() {
    let (json, query, services) = two_probes();
    let gw = TestGateway::permissive(services);

    let r = gw.call(Req::json("Nobody.Echo", "{}")).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("UnknownOperationException"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("No service here is named Nobody"),
        "{}",
        r.text()
    );

    let r = gw.call(Req::json("JsonProbe.Nothing", "{}")).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("Unknown operation JsonProbe.Nothing"),
        "{}",
        r.text()
    );

    let r = gw.call(Req::query("Nothing", "2020-01-01", "")).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("<Code>InvalidAction</Code>"),
        "{}",
        r.text()
    );

    let r = gw
        .call(
            Req::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("Version=2020-01-01"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("MissingAction"), "{}", r.text());

    assert!(json.calls().is_empty() && query.calls().is_empty());
}

#[tokio::test]
async fn an_operation_nimbus_does_not_implement_answers_501_naming_it() {
    let (json, query, services) = two_probes();
    let gw = TestGateway::permissive(services);
    let r = gw.call(Req::json("JsonProbe.Later", "{}")).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(r.text().contains("NotImplemented"), "{}", r.text());
    assert!(r.text().contains("Later"), "{}", r.text());
    let r = gw.call(Req::query("Later", "2020-01-01", "")).await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(json.calls().is_empty() && query.calls().is_empty());
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

#[tokio::test]
async fn a_gzip_body_is_inflated_up_to_the_body_limit_only() {
    let (json, _, services) = two_probes();
    let config = GatewayConfig {
        max_body: 4096,
        ..GatewayConfig::default()
    };
    let gw = TestGateway::with_config(services, config);
    let small = format!("{{\"pad\": \"{}\"}}", "x".repeat(1000));
    let r = gw
        .call(
            Req::json("JsonProbe.Echo", "")
                .header("content-encoding", "gzip")
                .body(gzip(small.as_bytes()))
                .signed(&gw.root_signer("jsonprobe")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A few hundred compressed bytes that inflate past the limit (a decompression bomb).
    let bomb = gzip(&vec![b' '; 64 * 1024]);
    assert!(bomb.len() < 4096);
    let r = gw
        .call(
            Req::json("JsonProbe.Echo", "")
                .header("content-encoding", "gzip")
                .body(bomb)
                .signed(&gw.root_signer("jsonprobe")),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("RequestEntityTooLarge"), "{}", r.text());
    assert_eq!(json.calls().len(), 1, "the bomb reached no service");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_before_any_service_runs() {
    let (json, _, services) = two_probes();
    let config = GatewayConfig {
        max_body: 1024,
        ..GatewayConfig::default()
    };
    let gw = TestGateway::with_config(services, config);
    let served = gw.serve().await;

    let fits = Req::json(
        "JsonProbe.Echo",
        &format!("{{\"p\":\"{}\"}}", "x".repeat(900)),
    )
    .signed(&gw.root_signer("jsonprobe"));
    let reply = served.send_raw(&fits).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    let big = Req::json(
        "JsonProbe.Echo",
        &format!("{{\"p\":\"{}\"}}", "x".repeat(2000)),
    )
    .signed(&gw.root_signer("jsonprobe"));
    let reply = served.send_raw(&big).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("RequestEntityTooLarge"), "{reply}");
    assert!(reply.contains("exceeds the limit of 1024 bytes"), "{reply}");
    assert_eq!(json.calls().len(), 1, "only the request that fits ran");
}
