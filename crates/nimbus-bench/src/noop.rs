//! The do-nothing server: hyper on a multi-threaded tokio runtime (Nimbus's own shape)
//! answering every request with a fixed 200 of about the size of a GetCallerIdentity reply,
//! without reading headers, verifying anything or rendering anything. Run against it, the
//! load generator measures this machine's ceiling for one-request-at-a-time HTTP on
//! loopback (kernel TCP, hyper, the generator itself), the context a server's figure needs.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

/// About the size of Nimbus's GetCallerIdentity answer (headers aside).
const BODY: &str = concat!(
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">",
    "<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn>",
    "<UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult>",
    "<ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId>",
    "</ResponseMetadata></GetCallerIdentityResponse>"
);

/// Serves until the process is killed; prints `ready` once listening.
pub fn serve(listen: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("bind {listen}: {e}"))?;
        println!(
            "ready on {}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(_) => continue,
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    // Read the body, as any real server must.
                    let _ = req.into_body().collect().await;
                    let mut resp =
                        hyper::Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                    resp.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/xml"),
                    );
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}
