//! `server::serve_io` serves a byte stream as the accept loop serves a socket: requests on
//! one connection are answered in order by the gateway, and connection-level garbage after
//! them gets hyper's 400 and ends the connection (what the `gateway_conn` fuzzer relies on).

use nimbus_gateway::server::serve_io;
use nimbus_testkit::probe::Probe;
use nimbus_testkit::TestGateway;
use nimbus_wire::Service;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_stream_is_served_like_a_socket_and_garbage_ends_it_with_a_400() {
    let gw = TestGateway::permissive(vec![Probe::json() as Arc<dyn Service>]);
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let served = tokio::spawn(serve_io(gw.gateway.clone(), server, None));
    client
        .write_all(b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    client
        .write_all(b"\x00\x01 not http\r\n\r\n")
        .await
        .unwrap();
    client.shutdown().await.unwrap();
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    served.await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // The health body is JSON: the next status line follows its last byte.
    let second = text[1..].find("HTTP/1.1 ").map(|i| &text[i + 1..]);
    assert!(
        second.is_some_and(|s| s.starts_with("HTTP/1.1 400")),
        "{text}"
    );
}
