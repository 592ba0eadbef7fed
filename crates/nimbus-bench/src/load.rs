//! The closed-loop load generator: `concurrency` workers, each with its own keep-alive
//! HTTP/1.1 connection (TCP_NODELAY), each sending its next request as soon as the previous
//! answer's body has been read, until a deadline or a total request count. Two clients: the
//! raw one (default; pre-serialised bytes and a minimal answer parser, cheap enough that
//! the server is what gets measured) and hyper's (a full HTTP client, for comparison). It
//! owns the connections and the timing; what the requests are is `ops`'s business.

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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Which HTTP client the workers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Raw,
    Hyper,
}

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Duration(Duration),
    /// Total requests sent by all workers together.
    Count(u64),
}

impl Limit {
    /// Whether a worker should stop before its next request (a count limit also claims
    /// that request's slot).
    fn reached(self, start: Instant, issued: &AtomicU64) -> bool {
        match self {
            Limit::Duration(d) => start.elapsed() >= d,
            Limit::Count(n) => issued.fetch_add(1, Ordering::Relaxed) >= n,
        }
    }
}

/// Runs the load on a runtime of `threads` threads and returns the summary line.
pub fn run(
    target: Arc<Target>,
    addr: SocketAddr,
    concurrency: usize,
    limit: Limit,
    threads: usize,
    client: Client,
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
            let (t, i) = (target.clone(), issued.clone());
            tasks.push(match client {
                Client::Raw => tokio::spawn(raw_worker(t, addr, limit, start, i)),
                Client::Hyper => tokio::spawn(worker(t, addr, limit, start, i)),
            });
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
    let stream = connect_raw(addr).await?;
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
        if limit.reached(start, &issued) {
            break;
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

/// The raw client: writes pre-serialised HTTP/1.1 bytes on a keep-alive socket and reads
/// the answer with a minimal parser (status line, `Content-Length`, `Connection: close`).
/// It costs a fraction of hyper's client per request, so the server, not the client, is
/// what a run measures — the harness's equivalent of replaying one signed request with wrk.
async fn raw_worker(
    target: Arc<Target>,
    addr: SocketAddr,
    limit: Limit,
    start: Instant,
    issued: Arc<AtomicU64>,
) -> Recorder {
    let mut rec = Recorder::default();
    let mut maker = RequestMaker::new(target);
    let mut stream: Option<TcpStream> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    loop {
        if limit.reached(start, &issued) {
            break;
        }
        let bytes = maker.next_http1();
        let t0 = Instant::now();
        if stream.is_none() {
            match connect_raw(addr).await {
                Ok(s) => stream = Some(s),
                Err(e) => {
                    rec.io_error(&e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = stream.as_mut() else { continue };
        if let Err(e) = s.write_all(&bytes).await {
            rec.io_error(&format!("write: {e}"));
            stream = None;
            continue;
        }
        buf.clear();
        match read_response(s, &mut buf).await {
            Ok(r) => {
                if r.close {
                    stream = None;
                }
                let body = &buf[r.body_start..r.body_start + r.body_len];
                if (200..300).contains(&r.status) {
                    rec.success(r.status, t0.elapsed().as_nanos() as u64);
                } else {
                    rec.failure(r.status, body);
                }
            }
            Err(e) => {
                rec.io_error(&e);
                stream = None;
            }
        }
    }
    rec
}

pub(crate) async fn connect_raw(addr: SocketAddr) -> Result<TcpStream, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    Ok(stream)
}

/// Where a complete answer sits in the read buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub body_start: usize,
    pub body_len: usize,
    pub close: bool,
}

/// Reads one answer: headers up to the blank line, then exactly `Content-Length` body
/// bytes. Chunked answers are not needed here (both servers send a length); they are an
/// error rather than a guess.
pub(crate) async fn read_response(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<RawResponse, String> {
    loop {
        if let Some(head) = parse_head(buf)? {
            let want = head.body_start + head.body_len;
            while buf.len() < want {
                read_more(s, buf).await?;
            }
            return Ok(head);
        }
        read_more(s, buf).await?;
    }
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 * 1024);
    }
    match s.read_buf(buf).await {
        Ok(0) => Err("connection closed mid-answer".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// Parses the status line and headers once the blank line has arrived (`None` before).
fn parse_head(buf: &[u8]) -> Result<Option<RawResponse>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "answer head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut len = None;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            len = Some(
                v.parse::<usize>()
                    .map_err(|_| format!("bad Content-Length {v:?}"))?,
            );
        } else if k.eq_ignore_ascii_case("connection") {
            close = v.eq_ignore_ascii_case("close");
        } else if k.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!("raw client does not read Transfer-Encoding {v:?}"));
        }
    }
    let body_len = match len {
        Some(n) => n,
        // HEAD-less requests only; 1xx/204/304 carry no body.
        None if status == 204 || status == 304 || status < 200 => 0,
        None => return Err("answer has no Content-Length".into()),
    };
    Ok(Some(RawResponse {
        status,
        body_start: end + 4,
        body_len,
        close,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_head() {
        let buf = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nContent-Length: 5\r\n\r\nhello";
        let r = parse_head(buf).unwrap().unwrap();
        assert_eq!(
            r,
            RawResponse {
                status: 200,
                body_start: buf.len() - 5,
                body_len: 5,
                close: false
            }
        );
    }

    #[test]
    fn waits_for_the_blank_line_and_sees_close() {
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n").unwrap(),
            None
        );
        let r = parse_head(b"HTTP/1.0 403 FORBIDDEN\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(r.close);
        assert_eq!(r.status, 403);
        let r = parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 1\r\n\r\nx")
            .unwrap()
            .unwrap();
        assert!(r.close);
    }

    #[test]
    fn refuses_what_it_cannot_frame() {
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_head(b"SSH-2.0 hello\r\n\r\n").is_err());
        assert_eq!(
            parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")
                .unwrap()
                .unwrap()
                .body_len,
            0
        );
    }
}
