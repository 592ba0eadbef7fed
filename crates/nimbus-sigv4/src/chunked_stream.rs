//! The incremental `aws-chunked` decoder: the same framing, signature chain and trailers as
//! the one-shot decoder in `chunked.rs`, fed a body piece by piece as it arrives from the
//! network, so an upload never has to be held whole. Each chunk's data is passed on as soon
//! as it arrives (zero-copy slices of the input) while its SHA-256 is computed; its
//! signature is checked when its last byte has arrived, so a receiver must not commit
//! anything before [`ChunkedDecoder::finish`] succeeds — a bad chunk, trailer or length
//! anywhere fails the whole body.

use crate::chunked::{parse_size, ChunkSigner, MAX_LINE, MAX_TRAILERS};
use crate::{ParsedAuth, PayloadMode, SigV4Error, Verified};
use bytes::Bytes;
use sha2::{Digest, Sha256};

enum State {
    /// Reading a chunk header line (`hex-size[;chunk-signature=sig]`).
    Header,
    /// Inside a chunk's data.
    Data {
        remaining: u64,
        signature: Option<String>,
        hasher: Option<Sha256>,
    },
    /// Expecting the CRLF after a chunk's data; `seen` of its two bytes arrived.
    DataEnd { seen: u8 },
    /// After the final (zero-size) chunk: trailer lines until an empty one.
    Trailers,
    /// The closing empty line arrived; nothing may follow.
    Done,
}

/// Decodes one `aws-chunked` body incrementally (see the module doc).
pub struct ChunkedDecoder {
    signer: Option<ChunkSigner>,
    expected_len: Option<u64>,
    state: State,
    /// The part of a header or trailer line received so far.
    line: Vec<u8>,
    decoded: u64,
    index: usize,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
}

impl ChunkedDecoder {
    /// A decoder for a verified request: chunk and trailer signatures are checked in
    /// [`PayloadMode::StreamingSigned`] mode, and the decoded length must equal
    /// `x-amz-decoded-content-length` when it was sent.
    pub fn verified(mode: PayloadMode, verified: &Verified, auth: &ParsedAuth) -> Self {
        let signer = match mode {
            PayloadMode::StreamingSigned => Some(ChunkSigner::for_request(verified, auth)),
            _ => None,
        };
        Self::new(signer, verified.decoded_content_length)
    }

    /// A decoder that checks framing only (requests that were not verified).
    pub fn unverified() -> Self {
        Self::new(None, None)
    }

    fn new(signer: Option<ChunkSigner>, expected_len: Option<u64>) -> Self {
        ChunkedDecoder {
            signer,
            expected_len,
            state: State::Header,
            line: Vec::new(),
            decoded: 0,
            index: 0,
            trailers: Vec::new(),
            trailer_signature: None,
        }
    }

    /// Payload bytes decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Consumes `input` (the next bytes of the encoded body), appending the payload pieces
    /// it completes to `out`.
    pub fn feed(&mut self, mut input: Bytes, out: &mut Vec<Bytes>) -> Result<(), SigV4Error> {
        while !input.is_empty() {
            match &mut self.state {
                State::Header => {
                    let Some(line) = self.take_line(&mut input, "chunk header")? else {
                        return Ok(());
                    };
                    self.start_chunk(&line)?;
                }
                State::Data {
                    remaining,
                    signature,
                    hasher,
                } => {
                    let n = (*remaining).min(input.len() as u64) as usize;
                    let piece = input.split_to(n);
                    if let Some(h) = hasher.as_mut() {
                        h.update(&piece);
                    }
                    *remaining -= n as u64;
                    self.decoded += n as u64;
                    if let Some(e) = self.expected_len.filter(|e| self.decoded > *e) {
                        return Err(SigV4Error::DecodedLengthMismatch {
                            expected: e,
                            actual: self.decoded,
                        });
                    }
                    out.push(piece);
                    if *remaining == 0 {
                        let provided = signature.take();
                        let digest = hasher.take().map(|h| hex::encode(h.finalize()));
                        self.check_chunk_signature(digest.as_deref(), provided.as_deref())?;
                        self.state = State::DataEnd { seen: 0 };
                    }
                }
                State::DataEnd { seen } => {
                    let want = if *seen == 0 { b'\r' } else { b'\n' };
                    if input[0] != want {
                        return Err(SigV4Error::chunked(format!(
                            "chunk {} data is not followed by CRLF",
                            self.index
                        )));
                    }
                    let _ = input.split_to(1);
                    if *seen == 0 {
                        *seen = 1;
                    } else {
                        self.index += 1;
                        self.state = State::Header;
                    }
                }
                State::Trailers => {
                    let Some(line) = self.take_line(&mut input, "trailer")? else {
                        return Ok(());
                    };
                    self.trailer_line(&line)?;
                }
                State::Done => {
                    return Err(SigV4Error::chunked("unexpected data after the final chunk"));
                }
            }
        }
        Ok(())
    }

    /// Ends the body: the framing must be complete, the trailer signature (if any) and the
    /// decoded length right. Returns the trailers (names lowercase).
    pub fn finish(&mut self) -> Result<Vec<(String, String)>, SigV4Error> {
        match self.state {
            State::Done => {}
            // A body that ends right after the final chunk line or the trailers, without
            // the closing CRLF, is accepted (as by the one-shot decoder).
            State::Trailers if self.line.is_empty() => {}
            State::Header if !self.line.is_empty() => {
                return Err(SigV4Error::chunked(
                    "chunk header is not terminated by CRLF",
                ))
            }
            _ => {
                return Err(SigV4Error::chunked(format!(
                    "the body ended inside chunk {}",
                    self.index
                )))
            }
        }
        if let Some(s) = self.signer.as_mut() {
            if !self.trailers.is_empty() || self.trailer_signature.is_some() {
                let Some(provided) = self.trailer_signature.as_deref() else {
                    return Err(SigV4Error::chunked(
                        "signed trailers require x-amz-trailer-signature",
                    ));
                };
                s.verify_trailer(&self.trailers, provided, self.index + 1)?;
            }
        }
        if let Some(e) = self.expected_len.filter(|e| self.decoded != *e) {
            return Err(SigV4Error::DecodedLengthMismatch {
                expected: e,
                actual: self.decoded,
            });
        }
        self.state = State::Done;
        Ok(std::mem::take(&mut self.trailers))
    }

    /// Moves bytes of `input` into the current line; returns the line (without CRLF) once
    /// complete.
    fn take_line(&mut self, input: &mut Bytes, what: &str) -> Result<Option<String>, SigV4Error> {
        let (piece, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (input.split_to(i + 1), true),
            None => (input.split_to(input.len()), false),
        };
        self.line.extend_from_slice(&piece);
        if self.line.len() > MAX_LINE + 2 {
            return Err(SigV4Error::chunked(format!(
                "{what} is not terminated by CRLF"
            )));
        }
        if !complete {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        if !line.ends_with(b"\r\n") {
            return Err(SigV4Error::chunked(format!(
                "{what} is not terminated by CRLF"
            )));
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line)
            .map(Some)
            .map_err(|_| SigV4Error::chunked(format!("{what} is not valid UTF-8")))
    }

    fn start_chunk(&mut self, line: &str) -> Result<(), SigV4Error> {
        let mut parts = line.split(';');
        let size = parse_size(parts.next().unwrap_or_default())? as u64;
        let signature = parts.find_map(|ext| {
            let (k, v) = ext.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("chunk-signature")
                .then(|| v.trim().to_string())
        });
        if self.signer.is_some() && signature.is_none() {
            return Err(SigV4Error::chunked(format!(
                "chunk {} has no chunk-signature",
                self.index
            )));
        }
        if size == 0 {
            let empty = hex::encode(Sha256::digest([]));
            self.check_chunk_signature(Some(&empty), signature.as_deref())?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data {
                remaining: size,
                hasher: self.signer.as_ref().map(|_| Sha256::new()),
                signature,
            };
        }
        Ok(())
    }

    fn check_chunk_signature(
        &mut self,
        digest: Option<&str>,
        provided: Option<&str>,
    ) -> Result<(), SigV4Error> {
        match (self.signer.as_mut(), digest, provided) {
            (Some(s), Some(d), Some(p)) => s.verify_chunk_hashed(d, p, self.index),
            (Some(_), _, _) => Err(SigV4Error::chunked(format!(
                "chunk {} has no chunk-signature",
                self.index
            ))),
            (None, _, _) => Ok(()),
        }
    }

    fn trailer_line(&mut self, line: &str) -> Result<(), SigV4Error> {
        if line.is_empty() {
            self.state = State::Done;
            return Ok(());
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
            self.trailer_signature = Some(value);
        } else {
            if self.trailers.len() >= MAX_TRAILERS {
                return Err(SigV4Error::chunked("too many trailer lines"));
            }
            self.trailers.push((name, value));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::encode_aws_chunked;

    fn signer() -> ChunkSigner {
        ChunkSigner::new(
            [7u8; 32],
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            "seed",
        )
    }

    /// Feeds `body` in pieces of `step` bytes.
    fn run(
        body: &[u8],
        step: usize,
        signer: Option<ChunkSigner>,
        expected: Option<u64>,
    ) -> Result<(Vec<u8>, Vec<(String, String)>), SigV4Error> {
        let mut d = ChunkedDecoder::new(signer, expected);
        let mut out = Vec::new();
        for piece in body.chunks(step.max(1)) {
            d.feed(Bytes::copy_from_slice(piece), &mut out)?;
        }
        let trailers = d.finish()?;
        Ok((out.concat(), trailers))
    }

    #[test]
    fn any_split_decodes_like_the_whole() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let trailers = [("x-amz-checksum-crc32", "AAAAAA==")];
        let signed = encode_aws_chunked(&data, 8192, Some(&mut signer()), &trailers);
        let unsigned = encode_aws_chunked(&data, 8192, None, &trailers);
        for step in [1, 2, 3, 7, 100, 8191, 8194, 65_536, usize::MAX] {
            let (d, t) = run(&signed, step, Some(signer()), Some(data.len() as u64)).expect("ok");
            assert_eq!(d, data, "step {step}");
            assert_eq!(t, vec![("x-amz-checksum-crc32".into(), "AAAAAA==".into())]);
            let (d, _) = run(&unsigned, step, None, None).expect("ok");
            assert_eq!(d, data, "step {step}");
        }
    }

    #[test]
    fn tampering_fails() {
        let data = vec![1u8; 20_000];
        let signed = encode_aws_chunked(&data, 4096, Some(&mut signer()), &[]);
        // A flipped data byte breaks that chunk's signature.
        let mut bad = signed.clone();
        let at = bad.len() / 2;
        bad[at] ^= 1;
        let e = run(&bad, 1000, Some(signer()), None).unwrap_err();
        assert!(matches!(
            e,
            SigV4Error::ChunkSignatureDoesNotMatch { .. } | SigV4Error::MalformedChunkedBody { .. }
        ));
        // A wrong declared length, a truncated body, data after the end.
        let e = run(&signed, 1000, Some(signer()), Some(19_999)).unwrap_err();
        assert!(matches!(e, SigV4Error::DecodedLengthMismatch { .. }));
        let e = run(&signed, 1000, Some(signer()), Some(20_001)).unwrap_err();
        assert!(matches!(e, SigV4Error::DecodedLengthMismatch { .. }));
        let e = run(&signed[..signed.len() - 200], 1000, Some(signer()), None).unwrap_err();
        assert!(matches!(e, SigV4Error::MalformedChunkedBody { .. }));
        let mut extra = signed.clone();
        extra.extend_from_slice(b"junk");
        assert!(run(&extra, 1000, Some(signer()), None).is_err());
        // Unsigned chunks are refused when signatures are expected.
        let unsigned = encode_aws_chunked(&data, 4096, None, &[]);
        assert!(run(&unsigned, 1000, Some(signer()), None).is_err());
    }

    #[test]
    fn trailers_need_their_signature_when_signed() {
        let data = b"hello".to_vec();
        let mut s = signer();
        let mut body = encode_aws_chunked(&data, 5, Some(&mut s), &[("x-amz-checksum-crc32", "x")]);
        let (d, t) = run(&body, 3, Some(signer()), None).expect("ok");
        assert_eq!(d, data);
        assert_eq!(t.len(), 1);
        // Change the trailer's value: its signature no longer matches.
        let pos = body
            .windows(22)
            .position(|w| w == b"x-amz-checksum-crc32:x")
            .expect("trailer");
        body[pos + 21] = b'y';
        assert!(run(&body, 3, Some(signer()), None).is_err());
    }
}
