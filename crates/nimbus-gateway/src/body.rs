//! Bodies that are never held whole: an S3 upload's request body as it arrives
//! ([`Upload`], handed to the service through the request's `nimbus_wire::stream` exchange)
//! and the reply body of every request the server answers ([`ReplyBody`]: collected bytes,
//! or an object's bytes streamed from disk).
//!
//! [`Upload`] is what makes a streamed PutObject/UploadPart as safe as a collected one: it
//! enforces the raw size limit, decodes `aws-chunked` framing incrementally (checking every
//! chunk signature and the trailer signature of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD*`
//! body, and the decoded length against `x-amz-decoded-content-length`), and compares a hex
//! `x-amz-content-sha256` with the SHA-256 of the bytes received. Any failure is the
//! stream's last item, an error, so the service refuses the upload before anything is
//! committed. The declared `Content-Length` itself is enforced by hyper's framing: a body
//! that ends early is a read error here, and one cannot run past it.

use crate::auth::{sigv4_error, Authenticated};
use crate::route::{Family, X_AMZ_CONTENT_SHA256};
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use nimbus_core::AwsError;
use nimbus_sigv4::{ChunkedDecoder, PayloadMode, SigV4Error};
use nimbus_wire::BodyStream;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A streamed upload's request body (see the module doc).
pub(crate) struct Upload {
    incoming: Incoming,
    /// Raw (encoded) bytes allowed.
    limit: u64,
    received: u64,
    chunked: Option<ChunkedDecoder>,
    /// The running SHA-256 of the raw body and the digest the client declared.
    sha256: Option<(Sha256, String)>,
    pending: VecDeque<Bytes>,
    trailers: Vec<(String, String)>,
    announced: Vec<String>,
    len_hint: Option<u64>,
    family: Family,
    done: bool,
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

impl Upload {
    /// Wraps `incoming` for a request that `auth` authenticated (its payload mode decides
    /// the decoding and checks).
    pub(crate) fn new(
        incoming: Incoming,
        limit: u64,
        parts: &http::request::Parts,
        auth: &Authenticated,
        family: Family,
    ) -> Upload {
        let content_sha256 = parts
            .headers
            .get(&X_AMZ_CONTENT_SHA256)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        let encoding = header(parts, "content-encoding").unwrap_or("");
        let is_chunked = content_sha256.is_some_and(|v| v.starts_with("STREAMING-"))
            || encoding
                .split(',')
                .any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"));
        let chunked = is_chunked.then(|| match (&auth.verified, &auth.parsed) {
            (Some(v), Some(p)) => ChunkedDecoder::verified(v.payload, v, p),
            _ => ChunkedDecoder::unverified(),
        });
        // A declared digest covers the bytes on the wire; it is checked whatever the auth
        // mode, as S3 does.
        let sha256 = content_sha256
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| {
                auth.verified
                    .as_ref()
                    .is_none_or(|v| v.payload == PayloadMode::Plain)
            })
            .map(|h| (Sha256::new(), h.to_ascii_lowercase()));
        let number = |name: &str| header(parts, name).and_then(|v| v.trim().parse::<u64>().ok());
        let len_hint = if is_chunked {
            number("x-amz-decoded-content-length")
        } else {
            number("content-length")
        };
        let announced = header(parts, "x-amz-trailer")
            .map(|t| {
                t.split(',')
                    .map(|n| n.trim().to_ascii_lowercase())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Upload {
            incoming,
            limit,
            received: 0,
            chunked,
            sha256,
            pending: VecDeque::new(),
            trailers: Vec::new(),
            announced,
            len_hint,
            family,
            done: false,
        }
    }

    fn fail(&mut self, e: &SigV4Error) -> Poll<Option<Result<Bytes, AwsError>>> {
        self.done = true;
        self.pending.clear();
        Poll::Ready(Some(Err(sigv4_error(e, self.family))))
    }

    /// The body ended: finish the decoder and compare the declared digest.
    fn end(&mut self) -> Result<(), SigV4Error> {
        if let Some(d) = self.chunked.as_mut() {
            self.trailers = d.finish()?;
        }
        if let Some((h, declared)) = self.sha256.take() {
            let computed = hex::encode(h.finalize());
            if computed != declared {
                return Err(SigV4Error::ContentSha256Mismatch {
                    client: declared,
                    computed,
                });
            }
        }
        Ok(())
    }
}

impl BodyStream for Upload {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Poll::Ready(Some(Ok(b)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            let frame = match Pin::new(&mut self.incoming).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(f) => f,
            };
            match frame {
                None => {
                    if let Err(e) = self.end() {
                        return self.fail(&e);
                    }
                    self.done = true;
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(AwsError::client(
                        "IncompleteBody",
                        format!("The request body could not be read completely: {e}"),
                    ))));
                }
                Some(Ok(frame)) => {
                    // HTTP trailers carry no payload (aws-chunked trailers are in the body).
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    self.received += data.len() as u64;
                    if self.received > self.limit {
                        self.done = true;
                        return Poll::Ready(Some(Err(AwsError::new(
                            "RequestEntityTooLarge",
                            413,
                            format!("Request body exceeds the limit of {} bytes", self.limit),
                        ))));
                    }
                    if let Some((h, _)) = self.sha256.as_mut() {
                        h.update(&data);
                    }
                    match self.chunked.as_mut() {
                        Some(d) => {
                            let mut out = Vec::new();
                            if let Err(e) = d.feed(data, &mut out) {
                                return self.fail(&e);
                            }
                            self.pending.extend(out);
                        }
                        None => self.pending.push_back(data),
                    }
                }
            }
        }
    }

    fn len_hint(&self) -> Option<u64> {
        self.len_hint
    }

    fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    fn announced_trailers(&self) -> &[String] {
        &self.announced
    }
}

/// The body of every reply the server sends.
pub enum ReplyBody {
    /// Bytes already in memory (every reply but a streamed object).
    Full(Option<Bytes>),
    /// An object's bytes, `remaining` of them still to come.
    Stream {
        body: Box<dyn BodyStream>,
        remaining: u64,
    },
}

impl ReplyBody {
    pub(crate) fn full(b: Bytes) -> ReplyBody {
        ReplyBody::Full(Some(b))
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ReplyBody::Full(b) => Poll::Ready(
                b.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            ReplyBody::Stream { body, remaining } => match body.poll_chunk(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) if *remaining == 0 => Poll::Ready(None),
                // Fewer bytes than the Content-Length sent: the connection must fail rather
                // than let the client take a short object for a whole one.
                Poll::Ready(None) => Poll::Ready(Some(Err(std::io::Error::other(
                    "object data ended before its length",
                )))),
                Poll::Ready(Some(Ok(b))) => {
                    if b.len() as u64 > *remaining {
                        return Poll::Ready(Some(Err(std::io::Error::other(
                            "object data is longer than its length",
                        ))));
                    }
                    *remaining -= b.len() as u64;
                    Poll::Ready(Some(Ok(Frame::data(b))))
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::error!(target: "nimbus::server", error = %e.message,
                        "streaming an object body failed");
                    Poll::Ready(Some(Err(std::io::Error::other(e.message))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            ReplyBody::Stream { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ReplyBody::Stream { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use nimbus_wire::stream::InMemory;

    fn streamed(pieces: &[&'static [u8]], len: u64) -> ReplyBody {
        let chunks = pieces.iter().map(|p| Bytes::from_static(p)).collect();
        ReplyBody::Stream {
            body: Box::new(InMemory::new(chunks, Vec::new())),
            remaining: len,
        }
    }

    #[tokio::test]
    async fn replies_report_their_length_and_stream_exactly_it() {
        let full = ReplyBody::full(Bytes::from_static(b"abc"));
        assert_eq!(full.size_hint().exact(), Some(3));
        assert_eq!(&full.collect().await.expect("ok").to_bytes()[..], b"abc");
        assert!(ReplyBody::Full(None).is_end_stream());

        let s = streamed(&[b"hello ", b"world"], 11);
        assert_eq!(s.size_hint().exact(), Some(11));
        assert_eq!(
            &s.collect().await.expect("ok").to_bytes()[..],
            b"hello world"
        );
        // A source shorter or longer than the length sent fails the body, so the client
        // never takes a truncated object for a whole one.
        assert!(streamed(&[b"hello"], 11).collect().await.is_err());
        assert!(streamed(&[b"hello world!"], 11).collect().await.is_err());
    }
}
