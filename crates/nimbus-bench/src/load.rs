//! The closed-loop load generator: `concurrency` workers, each with its own keep-alive
//! HTTP/1.1 connection (TCP_NODELAY), each sending its next request as soon as the previous
//! answer's body has been read, until a deadline or a total request count. It owns the
//! connections and the timing; what the requests are is `ops`'s business.

use crate::ops::{RequestMaker, Target};
use crate::stats::Recorder;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Duration(Duration),
    /// Total requests sent by all workers together.
    Count(u64),
}

/// Runs the load on a runtime of `threads` threads and returns the summary line.
pub fn run(
    target: Arc<Target>,
    addr: SocketAddr,
    concurrency: usize,
    limit: Limit,
    threads: usize,
) -> serde_json::Value {
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("building the tokio runtime");
    let op = target.op.name();
    rt.block_on(async move {
        let issued = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            tasks.push(tokio::spawn(worker(
                target.clone(),
                addr,
                limit,
                start,
                issued.clone(),
            )));
        }
        let mut all = Recorder::default();
        for t in tasks {
            match t.await {
                Ok(r) => all.merge(r),
                Err(e) => all.io_error(&format!("worker panicked: {e}")),
            }
        }
        all.summary(op, concurrency, start.elapsed().as_secs_f64())
    })
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        // Ends when the server closes the connection or the sender is dropped; a failed
        // request reports the reason itself.
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(
    target: Arc<Target>,
    addr: SocketAddr,
    limit: Limit,
    start: Instant,
    issued: Arc<AtomicU64>,
) -> Recorder {
    let mut rec = Recorder::default();
    let mut maker = RequestMaker::new(target);
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    loop {
        match limit {
            Limit::Duration(d) if start.elapsed() >= d => break,
            Limit::Count(n) if issued.fetch_add(1, Ordering::Relaxed) >= n => break,
            _ => {}
        }
        let req = maker.next();
        let t0 = Instant::now();
        // A connection the server closed (e.g. `Connection: close`) is replaced silently;
        // the time to reconnect counts toward this request's latency.
        let ready = match sender.as_mut() {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !ready {
            sender = None;
            match connect(addr).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    rec.io_error(&e);
                    // Do not spin on a server that is gone.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let resp = match s.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                rec.io_error(&format!("request: {e}"));
                sender = None;
                continue;
            }
        };
        let status = resp.status().as_u16();
        let body = match resp.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                rec.io_error(&format!("reading body: {e}"));
                sender = None;
                continue;
            }
        };
        if (200..300).contains(&status) {
            rec.success(status, t0.elapsed().as_nanos() as u64);
        } else {
            rec.failure(status, &body);
        }
    }
    rec
}
