//! The connection's peer address reaches the service as `RequestContext::source_ip` (the
//! value of `aws:SourceIp`,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip>):
//! a real TCP request to a served gateway, answered by the testkit's JSON probe service,
//! which records the context it was called with; in process there is no peer.

use nimbus_testkit::probe::Probe;
use nimbus_testkit::{Req, TestGateway};
use nimbus_wire::Service;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

#[tokio::test]
async fn the_peer_address_of_the_connection_is_the_source_ip() {
    let probe = Probe::json();
    let gw = TestGateway::permissive(vec![probe.clone() as Arc<dyn Service>]);
    let served = gw.serve().await;

    let reply = served.send_raw(&Req::json("JsonProbe.Echo", "{}")).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(
        probe.calls()[0].source_ip,
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
    );

    // In process (no socket), there is no source address.
    let r = gw.call(Req::json("JsonProbe.Echo", "{}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(probe.calls()[1].source_ip, None);
}
