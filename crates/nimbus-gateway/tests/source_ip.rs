//! The connection's peer address reaches the service as `RequestContext::source_ip` (the
//! value of `aws:SourceIp`,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip>):
//! a real TCP request to a served gateway, answered by a one-operation JSON service that
//! records the context it was called with.

use bytes::Bytes;
use nimbus_core::{AllowAll, Authorizer, AwsError, Ids, ManualClock, RequestContext, Timestamp};
use nimbus_gateway::admin::NoStore;
use nimbus_gateway::route::Registry;
use nimbus_gateway::{AuthMode, Gateway, GatewayConfig, StaticCredentials};
use nimbus_wire::{BoxFut, Operation, Protocol, Service, ServiceModel, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static OPS: [Operation; 1] = [Operation {
    name: "Echo",
    http_method: "POST",
    request_uri: "/",
    response_code: 200,
    input: None,
    output: None,
    result_wrapper: None,
    errors: &[],
    implemented: true,
}];

static MODEL: ServiceModel = ServiceModel {
    name: "probe",
    service_id: "Probe",
    endpoint_prefix: "probe",
    signing_name: "probe",
    iam_prefix: "probe",
    api_version: "2024-01-01",
    protocols: &[Protocol::Json],
    target_prefix: Some("Probe"),
    json_version: Some("1.0"),
    xml_namespace: None,
    query_compatible: false,
    operations: &OPS,
    shapes: &[],
};

/// Remembers the source address of every call.
#[derive(Default)]
struct Probe(Mutex<Vec<Option<IpAddr>>>);

impl Service for Probe {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        _authz: &'a dyn Authorizer,
        _protocol: Protocol,
        _op: &'static Operation,
        _input: Option<Value>,
    ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
        self.0.lock().unwrap().push(ctx.source_ip);
        Box::pin(async { Ok(None) })
    }
}

#[tokio::test]
async fn the_peer_address_of_the_connection_is_the_source_ip() {
    let probe = Arc::new(Probe::default());
    let mut registry = Registry::new();
    registry.register(probe.clone());
    let gateway = Arc::new(Gateway {
        config: GatewayConfig {
            auth: AuthMode::Permissive {
                default_account: "123456789012".into(),
            },
            ..GatewayConfig::default()
        },
        registry,
        credentials: Arc::new(StaticCredentials::new()),
        authorizer: Arc::new(AllowAll),
        clock: Arc::new(ManualClock::new(Timestamp(0))),
        ids: Arc::new(Ids::from_seed(1)),
        key_cache: Default::default(),
        admin: Arc::new(NoStore),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(nimbus_gateway::serve(listener, gateway.clone(), async {
        let _ = stopped.await;
    }));

    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Probe.Echo\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(
        *probe.0.lock().unwrap(),
        [Some(IpAddr::V4(Ipv4Addr::LOCALHOST))]
    );

    // In process (no socket), there is no source address.
    let (parts, ()) = http::Request::post("/")
        .header("x-amz-target", "Probe.Echo")
        .header("content-type", "application/x-amz-json-1.0")
        .body(())
        .unwrap()
        .into_parts();
    let r =
        nimbus_gateway::handle_collected(&gateway, parts, Bytes::from_static(b"{}"), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(probe.0.lock().unwrap()[1], None);

    stop.send(()).unwrap();
    server.await.unwrap();
}
