//! `aws-chunked` bodies (`Content-Encoding: aws-chunked`): the framing S3 clients use to
//! stream a payload whose hash is not known up front. Owns the decoder (framing, per-chunk
//! signature chain, trailing headers such as `x-amz-checksum-crc32`, the optional
//! `x-amz-trailer-signature`) and [`ChunkSigner`], the signature chain shared with the
//! test encoder. It does not check checksums carried in trailers; the S3 service does.
//!
//! Framing (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>):
//! `hex-size[;chunk-signature=sig]\r\n<data>\r\n` repeated, then a zero-size chunk line,
//! then zero or more `name:value\r\n` trailer lines, then `\r\n`.

use crate::key::{sha256_hex, sign_hex, signatures_equal, EMPTY_SHA256};
use crate::verify::credential_scope;
use crate::{ParsedAuth, PayloadMode, SigV4Error, Verified};
use bytes::Bytes;

/// Longest chunk-header or trailer line accepted (a signed header line is ~85 bytes).
pub(crate) const MAX_LINE: usize = 4096;
/// Most trailer lines accepted.
pub(crate) const MAX_TRAILERS: usize = 64;

/// The running signature chain of a signed `aws-chunked` body: each chunk's signature covers
/// the previous one, starting from the seed (the request's own signature).
#[derive(Clone, Debug)]
pub struct ChunkSigner {
    key: [u8; 32],
    amz_date: String,
    scope: String,
    prev: String,
}

impl ChunkSigner {
    /// Starts a chain. `scope` is `date/region/service/aws4_request`.
    pub fn new(key: [u8; 32], amz_date: &str, scope: &str, seed_signature: &str) -> Self {
        ChunkSigner {
            key,
            amz_date: amz_date.to_string(),
            scope: scope.to_string(),
            prev: seed_signature.to_string(),
        }
    }

    /// Starts the chain of a verified request.
    pub fn for_request(verified: &Verified, auth: &ParsedAuth) -> Self {
        Self::new(
            verified.signing_key,
            &auth.amz_date,
            &credential_scope(auth),
            &verified.seed_signature,
        )
    }

    /// The string to sign for the next chunk.
    pub fn chunk_string_to_sign(&self, data: &[u8]) -> String {
        self.chunk_string_to_sign_hashed(&sha256_hex(data))
    }

    /// The string to sign for the next chunk, given its data's SHA-256 (lowercase hex), for
    /// a decoder that hashes a chunk as it arrives (`chunked_stream.rs`).
    fn chunk_string_to_sign_hashed(&self, data_sha256_hex: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}",
            self.amz_date, self.scope, self.prev, EMPTY_SHA256, data_sha256_hex
        )
    }

    /// [`Self::verify_chunk`] for a chunk whose data was hashed as it streamed past.
    pub(crate) fn verify_chunk_hashed(
        &mut self,
        data_sha256_hex: &str,
        provided: &str,
        chunk_index: usize,
    ) -> Result<(), SigV4Error> {
        let sts = self.chunk_string_to_sign_hashed(data_sha256_hex);
        let sig = sign_hex(&self.key, &sts);
        if !signatures_equal(&sig, provided) {
            return Err(SigV4Error::ChunkSignatureDoesNotMatch {
                chunk_index,
                string_to_sign: sts,
            });
        }
        self.prev = sig;
        Ok(())
    }

    /// Signs the next chunk and advances the chain.
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sig = sign_hex(&self.key, &self.chunk_string_to_sign(data));
        self.prev.clone_from(&sig);
        sig
    }

    /// Checks the next chunk's signature; advances the chain only on success.
    fn verify_chunk(
        &mut self,
        data: &[u8],
        provided: &str,
        chunk_index: usize,
    ) -> Result<(), SigV4Error> {
        let sts = self.chunk_string_to_sign(data);
        let sig = sign_hex(&self.key, &sts);
        if !signatures_equal(&sig, provided) {
            return Err(SigV4Error::ChunkSignatureDoesNotMatch {
                chunk_index,
                string_to_sign: sts,
            });
        }
        self.prev = sig;
        Ok(())
    }

    /// The string to sign for trailing headers. The trailers are canonicalized as
    /// `name:value\n` per header, names lowercased and sorted (`line_end` lets the verifier
    /// also accept CRLF-terminated canonical lines; see `verify_trailer`).
    fn trailer_string_to_sign(&self, trailers: &[(String, String)], line_end: &str) -> String {
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort();
        let mut canon = String::new();
        for (k, v) in sorted {
            canon.push_str(k);
            canon.push(':');
            canon.push_str(v);
            canon.push_str(line_end);
        }
        format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.prev,
            sha256_hex(canon.as_bytes())
        )
    }

    /// Signs trailing headers (names lowercase) after the final chunk.
    pub fn sign_trailer(&mut self, trailers: &[(String, String)]) -> String {
        let sig = sign_hex(&self.key, &self.trailer_string_to_sign(trailers, "\n"));
        self.prev.clone_from(&sig);
        sig
    }

    pub(crate) fn verify_trailer(
        &mut self,
        trailers: &[(String, String)],
        provided: &str,
        index: usize,
    ) -> Result<(), SigV4Error> {
        // The S3 docs canonicalize each trailer as `name:value\n`; a CRLF-terminated form is
        // also accepted so that a client differing only in line endings is not refused.
        let primary = self.trailer_string_to_sign(trailers, "\n");
        for sts in [
            primary.clone(),
            self.trailer_string_to_sign(trailers, "\r\n"),
        ] {
            let sig = sign_hex(&self.key, &sts);
            if signatures_equal(&sig, provided) {
                self.prev = sig;
                return Ok(());
            }
        }
        Err(SigV4Error::ChunkSignatureDoesNotMatch {
            chunk_index: index,
            string_to_sign: primary,
        })
    }
}

/// Returns the line starting at `*pos` (without its CRLF) and moves past it.
fn read_line<'a>(body: &'a [u8], pos: &mut usize, what: &str) -> Result<&'a str, SigV4Error> {
    let rest = body.get(*pos..).unwrap_or_default();
    let window = &rest[..rest.len().min(MAX_LINE + 2)];
    let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
        return Err(SigV4Error::chunked(format!(
            "{what} is not terminated by CRLF"
        )));
    };
    let line = std::str::from_utf8(&rest[..end])
        .map_err(|_| SigV4Error::chunked(format!("{what} is not valid UTF-8")))?;
    *pos += end + 2;
    Ok(line)
}

pub(crate) fn parse_size(s: &str) -> Result<usize, SigV4Error> {
    let s = s.trim();
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SigV4Error::chunked(format!("invalid chunk size '{s}'")));
    }
    let n = u64::from_str_radix(s, 16)
        .map_err(|_| SigV4Error::chunked(format!("invalid chunk size '{s}'")))?;
    usize::try_from(n).map_err(|_| SigV4Error::chunked(format!("chunk size '{s}' too large")))
}

/// Decodes `body`, verifying the chunk and trailer signatures when `signer` is given.
fn decode(
    body: &[u8],
    mut signer: Option<ChunkSigner>,
    expected_len: Option<u64>,
) -> Result<(Bytes, Vec<(String, String)>), SigV4Error> {
    // Decoded data is never longer than the encoded body, so this bounds the allocation.
    let cap = expected_len.map_or(body.len(), |e| {
        usize::try_from(e).unwrap_or(usize::MAX).min(body.len())
    });
    let mut out: Vec<u8> = Vec::with_capacity(cap);
    let mut pos = 0usize;
    let mut index = 0usize;
    loop {
        let line = read_line(body, &mut pos, "chunk header")?;
        let mut parts = line.split(';');
        let size = parse_size(parts.next().unwrap_or_default())?;
        let signature = parts.find_map(|ext| {
            let (k, v) = ext.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("chunk-signature")
                .then(|| v.trim())
        });
        let remaining = body.len() - pos;
        if size > remaining {
            return Err(SigV4Error::chunked(format!(
                "chunk {index} declares {size} bytes but only {remaining} remain"
            )));
        }
        let data = &body[pos..pos + size];
        pos += size;
        if let Some(s) = signer.as_mut() {
            let Some(provided) = signature else {
                return Err(SigV4Error::chunked(format!(
                    "chunk {index} has no chunk-signature"
                )));
            };
            s.verify_chunk(data, provided, index)?;
        }
        if size == 0 {
            break;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n".as_slice()) {
            return Err(SigV4Error::chunked(format!(
                "chunk {index} data is not followed by CRLF"
            )));
        }
        pos += 2;
        out.extend_from_slice(data);
        if let Some(e) = expected_len {
            if out.len() as u64 > e {
                return Err(SigV4Error::DecodedLengthMismatch {
                    expected: e,
                    actual: out.len() as u64,
                });
            }
        }
        index += 1;
    }

    // Trailer section: lines until an empty one. A body that simply ends after the final
    // chunk line (no closing CRLF) is accepted, as some clients omit it.
    let mut trailers: Vec<(String, String)> = Vec::new();
    let mut trailer_signature: Option<String> = None;
    while pos < body.len() {
        let line = read_line(body, &mut pos, "trailer")?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(SigV4Error::chunked(format!(
                "trailer line '{line}' has no ':'"
            )));
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
        if name.is_empty() {
            return Err(SigV4Error::chunked("trailer line has an empty name"));
        }
        if name == "x-amz-trailer-signature" {
            trailer_signature = Some(value);
        } else {
            if trailers.len() >= MAX_TRAILERS {
                return Err(SigV4Error::chunked("too many trailer lines"));
            }
            trailers.push((name, value));
        }
    }
    if pos != body.len() {
        return Err(SigV4Error::chunked("unexpected data after the final chunk"));
    }
    if let Some(s) = signer.as_mut() {
        if !trailers.is_empty() || trailer_signature.is_some() {
            let Some(provided) = trailer_signature.as_deref() else {
                return Err(SigV4Error::chunked(
                    "signed trailers require x-amz-trailer-signature",
                ));
            };
            s.verify_trailer(&trailers, provided, index + 1)?;
        }
    }
    if let Some(e) = expected_len {
        if out.len() as u64 != e {
            return Err(SigV4Error::DecodedLengthMismatch {
                expected: e,
                actual: out.len() as u64,
            });
        }
    }
    Ok((Bytes::from(out), trailers))
}

pub(crate) fn decode_verified(
    body: &[u8],
    mode: PayloadMode,
    verified: &Verified,
    auth: &ParsedAuth,
) -> Result<(Bytes, Vec<(String, String)>), SigV4Error> {
    let signer = match mode {
        PayloadMode::StreamingSigned => Some(ChunkSigner::for_request(verified, auth)),
        // Unsigned-trailer bodies carry no signatures; for Plain/Unsigned the whole encoded
        // body was already covered (or deliberately not) by the request signature.
        PayloadMode::StreamingUnsignedTrailer | PayloadMode::Plain | PayloadMode::Unsigned => None,
    };
    decode(body, signer, verified.decoded_content_length)
}

pub(crate) fn decode_unverified(body: &[u8]) -> Result<(Bytes, Vec<(String, String)>), SigV4Error> {
    decode(body, None, None)
}

/// Encodes `data` as an `aws-chunked` body of `chunk_size`-byte chunks (the last may be
/// shorter), signing every chunk and the trailers when `signer` is given. Trailer names
/// should be lowercase. For tests and for Nimbus's own clients.
pub fn encode_aws_chunked(
    data: &[u8],
    chunk_size: usize,
    mut signer: Option<&mut ChunkSigner>,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let chunk_size = chunk_size.max(1);
    let mut out = Vec::with_capacity(data.len() + 128 + data.len() / chunk_size * 90);
    let header = |out: &mut Vec<u8>, chunk: &[u8], signer: &mut Option<&mut ChunkSigner>| {
        out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
        if let Some(s) = signer.as_deref_mut() {
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(s.sign_chunk(chunk).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    };
    for chunk in data.chunks(chunk_size) {
        header(&mut out, chunk, &mut signer);
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    header(&mut out, &[], &mut signer);
    for (k, v) in trailers {
        out.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
    }
    if let Some(s) = signer {
        if !trailers.is_empty() {
            let owned: Vec<(String, String)> = trailers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            out.extend_from_slice(
                format!("x-amz-trailer-signature:{}\r\n", s.sign_trailer(&owned)).as_bytes(),
            );
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}
