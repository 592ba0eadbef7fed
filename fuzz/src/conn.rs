//! `gateway_conn`: raw connection bytes through the server's own connection handling
//! (`nimbus_gateway::server::serve_io`: the hyper builder `serve` uses, HTTP/1.1 and h2c)
//! into `Gateway::handle`, over an in-memory stream, against the in-memory [`crate::world`]
//! (reset first). It reaches what `gateway_request` (requests already parsed, bodies
//! collected) cannot: connection-level garbage (bad request lines and headers, broken
//! chunked framing, pipelining, truncated bodies, the HTTP/2 preface and frames), the body
//! limits applied while reading, S3's streamed uploads, and the admin paths
//! (`/_nimbus/*`, `/moto-api/*`) as they arrive on the wire.
//!
//! Layout: the bytes the client sends, written in pieces split at [`SEPARATOR`] lines
//! (so a request can arrive in parts); then the client closes its side and reads to the end.
//! (hyper, as the server is configured, ends a connection when it reads the client's EOF,
//! so an answer still being computed then is not sent: the last requests of an input may go
//! unanswered, which is what a real client closing early gets too.)
//!
//! The oracle: nothing panics (a panic in the connection's task is re-raised here), the
//! connection ends within [`LIMIT`] of the client closing its side (no hang), and the first
//! HTTP/1 answer, when there is one, is not a 5xx other than 501 or 503. Later answers are
//! not framed here: a HEAD's `Content-Length` describes no body, and object bytes may look
//! like anything.

use crate::world::world;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the input is cut into separate writes.
pub use crate::gateway::SEPARATOR;

/// How long a connection may take to end once the client has sent everything and closed.
pub const LIMIT: Duration = Duration::from_secs(5);

/// Writes beyond this many pieces are sent with the last one.
const MAX_WRITES: usize = 16;

/// Splits the input into the client's writes.
pub fn split_writes(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < MAX_WRITES {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// Sends `data` on a fresh connection to the reset world and returns everything the server
/// answered. Panics if the server's connection task panicked or did not end in time.
pub fn run_conn(data: &[u8]) -> Vec<u8> {
    let w = world();
    w.reset();
    let gw = w.gw.clone();
    let writes = split_writes(data);
    w.rt.block_on(async move {
        let (client, server) = tokio::io::duplex(64 << 10);
        let served = tokio::spawn(nimbus_gateway::server::serve_io(gw, server, None));
        let (mut rd, mut wr) = tokio::io::split(client);
        let write = async move {
            for piece in writes {
                if wr.write_all(piece).await.is_err() {
                    break; // the server ended the connection
                }
                tokio::task::yield_now().await;
            }
            let _ = wr.shutdown().await;
        };
        let read = async move {
            let mut out = Vec::new();
            let _ = rd.read_to_end(&mut out).await;
            out
        };
        let both = async { tokio::join!(write, read).1 };
        let out = match tokio::time::timeout(LIMIT, both).await {
            Ok(out) => out,
            Err(_) => panic!("the connection did not end within {LIMIT:?} of the client closing"),
        };
        match tokio::time::timeout(LIMIT, served).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("the connection task failed: {e}"),
            Err(_) => {
                panic!("the connection task did not end within {LIMIT:?} of its stream closing")
            }
        }
        out
    })
}

/// The status of the first HTTP/1 answer in `out`, if it starts with one.
pub fn first_status(out: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(out) {
        Ok(httparse::Status::Complete(_)) => resp.code,
        _ => None,
    }
}

pub fn gateway_conn(data: &[u8]) {
    let out = run_conn(data);
    if let Some(status) = first_status(&out) {
        assert!(
            status < 500 || status == 501 || status == 503,
            "answered {status}: {}",
            String::from_utf8_lossy(&out[..out.len().min(2000)])
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_writes_and_keeps_the_tail() {
        assert_eq!(split_writes(b"ab\n~~~\ncd"), vec![&b"ab"[..], b"cd"]);
        assert_eq!(split_writes(b""), vec![&b""[..]]);
        let many = "x\n~~~\n".repeat(40);
        assert_eq!(split_writes(many.as_bytes()).len(), MAX_WRITES);
    }

    #[test]
    fn a_pipelined_admin_session_is_answered() {
        let out = run_conn(
            b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\n\r\nPOST /moto-api/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /_nimbus/clock HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&out);
        assert_eq!(first_status(&out), Some(200), "{text}");
        assert!(text.contains("\"status\":\"running\""), "{text}");
    }

    #[test]
    fn garbage_gets_a_400_and_an_end() {
        let out = run_conn(b"\x16\x03\x01 not http at all\r\n\r\n");
        assert_eq!(first_status(&out), Some(400));
    }
}
