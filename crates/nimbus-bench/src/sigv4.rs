//! A small AWS Signature Version 4 signer, just enough for the load generator: header-based
//! signing of one request with a known, small set of headers. It owns canonicalisation, the
//! signing-key derivation (cached per day) and the `Authorization` value. It does not do
//! presigned URLs, chunked (streaming) payloads or S3's unsigned-payload variant; the server
//! side of SigV4 lives in `nimbus-sigv4`, and the two are kept independent on purpose so a
//! bug in one cannot hide a bug in the other.
//!
//! Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What is signed: the request line, the headers to sign (names in any case, each at most
/// once; `host` and `x-amz-date` must be among them) and the payload.
#[derive(Debug)]
pub struct SignInput<'a> {
    pub method: &'a str,
    /// Absolute path, already URI-encoded (the load generator only ever uses `/`).
    pub path: &'a str,
    /// Raw query string without `?`; its pairs must already be URI-encoded the AWS way.
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
    /// `YYYYMMDDTHHMMSSZ`, the same value as the `x-amz-date` header.
    pub amz_date: &'a str,
}

/// Signs with one key pair for one region and service.
#[derive(Debug, Clone)]
pub struct Signer {
    access_key: String,
    secret_key: String,
    region: String,
    service: String,
    /// Signing key of the last date used: deriving it costs four HMACs per request otherwise.
    cached_key: Option<(String, [u8; 32])>,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str, service: &str) -> Self {
        Signer {
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            cached_key: None,
        }
    }

    fn signing_key(&mut self, date: &str) -> [u8; 32] {
        if let Some((d, k)) = &self.cached_key {
            if d == date {
                return *k;
            }
        }
        let k_date = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        let key = hmac(&k_service, b"aws4_request");
        self.cached_key = Some((date.to_string(), key));
        key
    }

    /// The hex signature of `input`.
    pub fn signature(&mut self, input: &SignInput<'_>) -> String {
        let (canonical_headers, signed_headers) = canonical_headers(input.headers);
        let canonical_request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            input.method,
            input.path,
            canonical_query(input.query),
            canonical_headers,
            signed_headers,
            sha256_hex(input.payload)
        );
        let date = &input.amz_date[..8];
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}",
            input.amz_date,
            date,
            self.region,
            self.service,
            sha256_hex(canonical_request.as_bytes())
        );
        let key = self.signing_key(date);
        hex::encode(hmac(&key, string_to_sign.as_bytes()))
    }

    /// The full `Authorization` header value for `input`.
    pub fn authorization(&mut self, input: &SignInput<'_>) -> String {
        let signature = self.signature(input);
        let (_, signed_headers) = canonical_headers(input.headers);
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
            self.access_key,
            &input.amz_date[..8],
            self.region,
            self.service,
            signed_headers,
            signature
        )
    }
}

/// Canonical header block (each `name:value\n`, names lower-cased and sorted, values trimmed
/// with inner runs of spaces collapsed) and the `;`-joined signed-header list.
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    hs.sort();
    let mut block = String::new();
    for (k, v) in &hs {
        block.push_str(k);
        block.push(':');
        block.push_str(v);
        block.push('\n');
    }
    let signed = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (block, signed)
}

/// Pairs sorted by name then value; a name without `=` gets an empty value.
fn canonical_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `YYYYMMDDTHHMMSSZ` for a time given in seconds since the Unix epoch (UTC).
pub fn amz_date_at(unix_secs: u64) -> String {
    nimbus_core::Timestamp::from_secs(unix_secs as i64).to_amz_date()
}

/// The current time as `x-amz-date`.
pub fn amz_date_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    amz_date_at(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the AWS documentation ("Examples of the complete Signature
    /// Version 4 signing process"): IAM ListUsers.
    #[test]
    fn aws_documented_example() {
        let mut s = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            "iam",
        );
        let headers = [
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ];
        let input = SignInput {
            method: "GET",
            path: "/",
            query: "Version=2010-05-08&Action=ListUsers",
            headers: &headers,
            payload: b"",
            amz_date: "20150830T123600Z",
        };
        assert_eq!(
            s.signature(&input),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        assert_eq!(
            s.authorization(&input),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn signing_key_cache_follows_the_date() {
        let mut s = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            "iam",
        );
        let k1 = s.signing_key("20150830");
        let k2 = s.signing_key("20150831");
        assert_ne!(k1, k2);
        assert_eq!(s.signing_key("20150830"), k1);
        // The documented derived key of the example above.
        assert_eq!(
            hex::encode(k1),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn amz_date_formats_utc() {
        assert_eq!(amz_date_at(0), "19700101T000000Z");
        assert_eq!(amz_date_at(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date_at(951_782_400), "20000229T000000Z");
        assert_eq!(amz_date_at(4_102_444_799), "20991231T235959Z");
    }
}
