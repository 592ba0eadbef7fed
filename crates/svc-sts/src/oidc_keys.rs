//! Where an OpenID Connect provider's signing keys come from. On AWS, STS reads
//! `ISSUER/.well-known/openid-configuration`, follows its `jwks_uri` and verifies tokens
//! with that key set. Nimbus sends no traffic off this host, so it does the same only for
//! issuers on loopback (`127.0.0.0/8`, `[::1]`, `localhost`): both documents are fetched
//! with a plain HTTP/1.1 `GET` on the issuer's port (loopback traffic never leaves the
//! host; Nimbus has no TLS client), and a `jwks_uri` off loopback is refused. Any other
//! issuer answers `IDPCommunicationError` saying why. Each call fetches afresh (no cache),
//! so a key rotated by the test's identity provider is seen at once.

use crate::errors::StsError;
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one fetch may take, connect to last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest document read.
const MAX_DOCUMENT: usize = 1 << 20;

/// A URL on loopback: host (as written, for `Host:`), address and port, path with query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoopbackUrl {
    host: String,
    addr: IpAddr,
    port: u16,
    path: String,
}

/// `url` (`https://` or `http://`, host, optional port, path) when its host is a loopback
/// address or `localhost`; `None` otherwise.
pub(crate) fn loopback(url: &str) -> Option<LoopbackUrl> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else {
        return None;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, default_port),
        }
    };
    let addr: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().ok()?
    };
    if !addr.is_loopback() {
        return None;
    }
    Some(LoopbackUrl {
        host: authority.to_string(),
        addr,
        port,
        path: path.to_string(),
    })
}

fn unreachable(issuer: &str, why: impl std::fmt::Display) -> StsError {
    StsError::IdpCommunication(format!(
        "The identity provider {issuer} could not be reached: {why}"
    ))
}

/// The key set of issuer `issuer` (the token's `iss`, `https://HOST[:PORT][/PATH]`).
pub(crate) async fn fetch_jwks(issuer: &str) -> Result<Value, StsError> {
    let Some(base) = loopback(issuer) else {
        return Err(unreachable(
            issuer,
            "Nimbus fetches signing keys only from identity providers on loopback \
             (127.0.0.0/8, [::1], localhost)",
        ));
    };
    let mut discovery = base.clone();
    discovery.path = format!(
        "{}/.well-known/openid-configuration",
        base.path.trim_end_matches('/')
    );
    let config = get_json(&discovery)
        .await
        .map_err(|e| unreachable(issuer, e))?;
    let jwks_uri = config
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| unreachable(issuer, "its openid-configuration names no jwks_uri"))?;
    let jwks_url = loopback(jwks_uri).ok_or_else(|| {
        unreachable(
            issuer,
            format!("its jwks_uri {jwks_uri} is not on loopback, where Nimbus may fetch"),
        )
    })?;
    get_json(&jwks_url)
        .await
        .map_err(|e| unreachable(issuer, e))
}

async fn get_json(url: &LoopbackUrl) -> Result<Value, String> {
    let body = tokio::time::timeout(FETCH_TIMEOUT, get(url))
        .await
        .map_err(|_| format!("GET {} timed out", url.path))??;
    serde_json::from_slice(&body).map_err(|_| format!("GET {} did not answer JSON", url.path))
}

/// `GET url` over HTTP/1.1 with `Connection: close`; the body of a 200 answer.
async fn get(url: &LoopbackUrl) -> Result<Vec<u8>, String> {
    let mut conn = tokio::net::TcpStream::connect((url.addr, url.port))
        .await
        .map_err(|e| format!("connecting to port {}: {e}", url.port))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\
         User-Agent: nimbus-sts\r\n\r\n",
        url.path, url.host
    );
    conn.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    conn.take(MAX_DOCUMENT as u64 + 16 * 1024)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| e.to_string())?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let body = &raw[end + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if status != "200" {
        return Err(format!("GET {} answered {status}", url.path));
    }
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    if chunked {
        dechunk(body).ok_or_else(|| "a broken chunked body".to_string())
    } else {
        Ok(body.to_vec())
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_fetched() {
        let u = loopback("https://127.0.0.1:8443/realms/x").expect("loopback");
        assert_eq!((u.port, u.path.as_str()), (8443, "/realms/x"));
        assert_eq!(loopback("https://127.9.9.9").expect("lo").port, 443);
        assert_eq!(loopback("http://localhost:80/").expect("lo").path, "/");
        assert!(loopback("https://[::1]:99/a").is_some());
        for off in [
            "https://accounts.google.com",
            "https://10.0.0.1:443/x",
            "https://localhost.example.com/",
            "ftp://127.0.0.1/",
            "https://127.0.0.1:notaport/",
        ] {
            assert_eq!(loopback(off), None, "{off}");
        }
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").as_deref(),
            Some(&b"abcde"[..])
        );
        assert_eq!(dechunk(b"5\r\nab"), None);
    }

    #[tokio::test]
    async fn keys_are_fetched_through_the_discovery_document() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            for _ in 0..2 {
                let (mut s, _) = listener.accept().await.expect("accept");
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.expect("read");
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let body = if req.starts_with("GET /idp/.well-known/openid-configuration ") {
                    format!(r#"{{"jwks_uri": "https://127.0.0.1:{port}/idp/keys"}}"#)
                } else if req.starts_with("GET /idp/keys ") {
                    r#"{"keys": [{"kty": "EC", "kid": "k"}]}"#.to_string()
                } else {
                    String::new()
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(answer.as_bytes()).await.expect("write");
            }
        });
        let jwks = fetch_jwks(&format!("https://127.0.0.1:{port}/idp"))
            .await
            .expect("fetched");
        assert_eq!(jwks["keys"][0]["kid"], "k");
        server.await.expect("server");
    }

    #[tokio::test]
    async fn an_issuer_off_loopback_is_not_contacted() {
        let e = fetch_jwks("https://accounts.google.com")
            .await
            .expect_err("refused");
        assert_eq!(e.code(), "IDPCommunicationError");
    }
}
