//! HTTP versions and bodies at the front door: the gateway, built by `nimbus::app` and
//! started in-process on port 0, answers cleartext HTTP/2 with prior knowledge (h2c) and
//! HTTP/1.1 on the same listener. Over HTTP/2 there is no `Host` header — SigV4's `host` is
//! the `:authority` pseudo-header — so these tests sign with `host` and then send the
//! request without one, as AWS SDKs do over HTTP/2. (They live in this crate, not the
//! gateway's, because the gateway cannot depend on the crate that wires it.)

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use nimbus::app::{self, Config, Time};
use nimbus_core::{Ids, ManualClock, Timestamp};
use nimbus_gateway::GatewayConfig;
use nimbus_sigv4::{format_amz_date, sign_request_for_tests, SigningParams};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

const ACCOUNT: &str = "123456789012";
const ACCESS_KEY: &str = "AKIDH2TEST";
const SECRET: &str = "h2-secret";
const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Starts an in-memory Nimbus with one root key and a clock standing at [`NOW`]; returns its
/// address and a handle that stops it when dropped.
async fn start(max_body: usize) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app::build(Config {
        gateway: GatewayConfig {
            max_body,
            ..Config::default().gateway
        },
        account: ACCOUNT.to_string(),
        access_key: ACCESS_KEY.to_string(),
        secret_key: SECRET.to_string(),
        data_dir: None,
        time: Time::Injected(Arc::new(ManualClock::new(Timestamp::from_secs(NOW)))),
        ids: Arc::new(Ids::from_seed(7)),
        sns_egress: false,
    })
    .expect("wiring an in-memory Nimbus");
    let gateway = app.gateway;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(nimbus_gateway::serve(listener, gateway, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// Signs the GetCallerIdentity form POST for `authority` and returns its headers without
/// `host` (HTTP/2 carries it as `:authority`).
fn signed_sts_headers(authority: &str, secret: &str) -> HeaderMap {
    let amz_date = format_amz_date(NOW);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(authority).unwrap());
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    let params = SigningParams {
        access_key: ACCESS_KEY,
        secret_access_key: secret,
        region: "us-east-1",
        service: "sts",
        amz_date: &amz_date,
        session_token: None,
    };
    sign_request_for_tests("POST", "/", "", &mut headers, BODY.as_bytes(), &params);
    headers.remove("host");
    headers
}

/// Opens one prior-knowledge HTTP/2 connection and sends `req` on it.
async fn send_h2<B>(addr: SocketAddr, req: Request<B>) -> (http::response::Parts, String)
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.expect("HTTP/2 request");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("HTTP/2 body").to_bytes();
    (parts, String::from_utf8_lossy(&bytes).into_owned())
}

fn sts_request(addr: SocketAddr, headers: HeaderMap) -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/"))
        .version(Version::HTTP_2)
        .body(Full::new(Bytes::from_static(BODY.as_bytes())))
        .unwrap();
    *req.headers_mut() = headers;
    req
}

#[tokio::test]
async fn signed_get_caller_identity_over_h2c_prior_knowledge() {
    let (addr, _stop) = start(16 << 20).await;
    let authority = addr.to_string();
    let headers = signed_sts_headers(&authority, SECRET);
    assert!(headers.get("host").is_none());
    let (resp, body) = send_h2(addr, sts_request(addr, headers)).await;
    assert_eq!(resp.version, Version::HTTP_2);
    assert_eq!(resp.status, 200, "{body}");
    assert!(
        body.contains(&format!("<Arn>arn:aws:iam::{ACCOUNT}:root</Arn>")),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_signature_over_h2_is_signature_does_not_match() {
    let (addr, _stop) = start(16 << 20).await;
    let headers = signed_sts_headers(&addr.to_string(), "not-the-secret");
    let (resp, body) = send_h2(addr, sts_request(addr, headers)).await;
    assert_eq!(resp.status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn signature_over_another_authority_is_rejected_over_h2() {
    // The authority really is what is verified: signed for one, sent to another.
    let (addr, _stop) = start(16 << 20).await;
    let headers = signed_sts_headers("sts.amazonaws.com", SECRET);
    let (resp, body) = send_h2(addr, sts_request(addr, headers)).await;
    assert_eq!(resp.status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn h2_bodies_are_size_limited() {
    let (addr, _stop) = start(1024).await;
    let big = Bytes::from(format!("{BODY}&Pad={}", "x".repeat(4096)));

    // Declared: `content-length` over the limit.
    let req = Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(big.clone()))
        .unwrap();
    let (resp, body) = send_h2(addr, req).await;
    assert_eq!(resp.status, 413, "{body}");
    assert!(body.contains("RequestEntityTooLarge"), "{body}");

    // Undeclared: a body with no known length streams as DATA frames and is cut off by
    // the limit while it is read.
    let streamed = Full::new(big).map_frame(|f| f);
    assert_eq!(hyper::body::Body::size_hint(&streamed).exact(), None);
    let req = Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(streamed)
        .unwrap();
    let (resp, body) = send_h2(addr, req).await;
    assert_eq!(resp.status, 413, "{body}");
    assert!(body.contains("RequestEntityTooLarge"), "{body}");
}

#[tokio::test]
async fn http1_still_served_on_the_same_listener() {
    let (addr, _stop) = start(16 << 20).await;
    let authority = addr.to_string();
    let mut headers = signed_sts_headers(&authority, SECRET);
    headers.insert("host", HeaderValue::from_str(&authority).unwrap());
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    for _ in 0..2 {
        // Twice on one connection: keep-alive survives version detection.
        let mut req = Request::builder()
            .method("POST")
            .uri("/")
            .body(Full::new(Bytes::from_static(BODY.as_bytes())))
            .unwrap();
        *req.headers_mut() = headers.clone();
        let resp = sender.send_request(req).await.expect("HTTP/1.1 request");
        assert_eq!(resp.version(), Version::HTTP_11);
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains(ACCOUNT));
    }
}

#[tokio::test]
async fn many_streams_on_one_h2_connection() {
    let (addr, _stop) = start(16 << 20).await;
    let headers = signed_sts_headers(&addr.to_string(), SECRET);
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(conn);
    // Two rounds of 16 concurrent streams: multiplexed, then the connection reused.
    for _ in 0..2 {
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let mut sender = sender.clone();
            let req = sts_request(addr, headers.clone());
            calls.spawn(async move {
                let resp = sender.send_request(req).await.expect("HTTP/2 request");
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            });
        }
        let mut n = 0;
        while let Some(done) = calls.join_next().await {
            let (status, body) = done.unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(body.contains(ACCOUNT), "{body}");
            n += 1;
        }
        assert_eq!(n, 16);
    }
}

/// A body that arrives in several pieces (HTTP/1.1 chunked, written with pauses so the
/// server sees separate frames) is reassembled in order: the signature covers its hash, so
/// a lost, duplicated or reordered piece would fail verification.
#[tokio::test]
async fn a_body_in_several_frames_is_reassembled() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _stop) = start(16 << 20).await;
    let authority = addr.to_string();
    let headers = signed_sts_headers(&authority, SECRET);
    let mut head = format!("POST / HTTP/1.1\r\nhost: {authority}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in [&BODY[..10], &BODY[10..25], &BODY[25..]] {
        stream
            .write_all(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes())
            .await
            .unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(ACCOUNT), "{answer}");
}
