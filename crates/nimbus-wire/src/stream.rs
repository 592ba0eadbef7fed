//! Bodies too large to hold in memory: an S3 object's bytes on their way in (PutObject,
//! UploadPart) and out (GetObject). Every other request is decoded from a collected body into
//! a [`crate::Value`]; these bytes instead travel beside it, through the *exchange* of the
//! request being served.
//!
//! The gateway runs each request it serves inside [`scope`] with a fresh [`Exchange`]. For an
//! upload it puts the request body there ([`Exchange::put_request_body`]) after
//! authentication — a [`BodyStream`] that already enforces the declared length, decodes
//! `aws-chunked` framing and checks the SigV4 payload hash and chunk signatures as bytes
//! arrive, yielding an error as its last item when any of that fails. The service takes it
//! with [`take_request_body`] (the operation's blob member is then absent) and writes it to
//! disk as it comes. On the way out, a service answers with a [`BodyStream`] through
//! [`set_response_body`] and leaves the output's blob member absent; the gateway sends the
//! stream as the reply body.
//!
//! Outside a scope (in-process tests, fuzzing, the hot-path measurement) there is no
//! exchange: [`take_request_body`] gives `None` and [`set_response_body`] hands the stream
//! back, so services fall back to whole bodies.

use bytes::Bytes;
use nimbus_core::AwsError;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// A body delivered piece by piece.
pub trait BodyStream: Send {
    /// The next piece; `None` at a clean end. After an `Err` the stream is finished.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>>;

    /// The total length, when known up front (a reply's `Content-Length`; for a request,
    /// the decoded length the client declared).
    fn len_hint(&self) -> Option<u64>;

    /// Trailing headers that came after the payload (`aws-chunked` trailers such as
    /// `x-amz-checksum-crc32`, names lowercase). Complete once the stream has ended.
    fn trailers(&self) -> &[(String, String)] {
        &[]
    }

    /// The trailer names the client announced up front (`x-amz-trailer`), lowercase, so a
    /// receiver can compute those checksums while the bytes pass.
    fn announced_trailers(&self) -> &[String] {
        &[]
    }
}

impl dyn BodyStream + '_ {
    /// Awaits the next piece (see [`BodyStream::poll_chunk`]).
    pub async fn chunk(&mut self) -> Option<Result<Bytes, AwsError>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }
}

/// The streaming side of one request being served (see the module doc).
#[derive(Default)]
pub struct Exchange {
    request: Mutex<Option<Box<dyn BodyStream>>>,
    response: Mutex<Option<Box<dyn BodyStream>>>,
}

impl Exchange {
    pub fn new() -> Arc<Exchange> {
        Arc::new(Exchange::default())
    }

    /// Offers the request body to the service (the gateway, after authentication).
    pub fn put_request_body(&self, body: Box<dyn BodyStream>) {
        *self.request.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
    }

    /// The reply body a service set, if any (the gateway, after the call).
    pub fn take_response_body(&self) -> Option<Box<dyn BodyStream>> {
        self.response
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Whether a request body was offered and not taken (the gateway drops it unread).
    pub fn request_body_untaken(&self) -> bool {
        self.request
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

tokio::task_local! {
    static EXCHANGE: Arc<Exchange>;
}

/// Runs `f` (one request's handling) with `exchange` as its exchange.
pub async fn scope<F: Future>(exchange: Arc<Exchange>, f: F) -> F::Output {
    EXCHANGE.scope(exchange, f).await
}

/// The current request's exchange, if it is being served inside [`scope`].
pub fn current() -> Option<Arc<Exchange>> {
    EXCHANGE.try_with(Arc::clone).ok()
}

/// Takes the current request's streamed body (once), if the gateway offered one.
pub fn take_request_body() -> Option<Box<dyn BodyStream>> {
    let ex = current()?;
    let body = ex.request.lock().unwrap_or_else(|e| e.into_inner()).take();
    body
}

/// Answers the current request with `body` as its reply body. Outside a [`scope`] the body
/// is handed back (`Err`), and the caller must answer with a whole body instead.
pub fn set_response_body(body: Box<dyn BodyStream>) -> Result<(), Box<dyn BodyStream>> {
    match current() {
        Some(ex) => {
            *ex.response.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
            Ok(())
        }
        None => Err(body),
    }
}

/// Whether a reply body set with [`set_response_body`] would be streamed.
pub fn can_stream_response() -> bool {
    current().is_some()
}

/// A [`BodyStream`] over bytes already in memory (tests, and small bodies).
pub struct InMemory {
    chunks: std::collections::VecDeque<Bytes>,
    len: u64,
    trailers: Vec<(String, String)>,
    announced: Vec<String>,
}

impl InMemory {
    /// `chunks` in order; `trailers` as if sent after them (each also announced).
    pub fn new(chunks: Vec<Bytes>, trailers: Vec<(String, String)>) -> InMemory {
        InMemory {
            len: chunks.iter().map(|c| c.len() as u64).sum(),
            chunks: chunks.into(),
            announced: trailers.iter().map(|(k, _)| k.clone()).collect(),
            trailers,
        }
    }
}

impl BodyStream for InMemory {
    fn poll_chunk(&mut self, _cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>> {
        Poll::Ready(self.chunks.pop_front().map(Ok))
    }

    fn len_hint(&self) -> Option<u64> {
        Some(self.len)
    }

    fn trailers(&self) -> &[(String, String)] {
        if self.chunks.is_empty() {
            &self.trailers
        } else {
            &[]
        }
    }

    fn announced_trailers(&self) -> &[String] {
        &self.announced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_travel_only_inside_a_scope() {
        let body = || Box::new(InMemory::new(vec![Bytes::from_static(b"ab")], Vec::new()));
        assert!(take_request_body().is_none());
        assert!(set_response_body(body()).is_err());
        let ex = Exchange::new();
        ex.put_request_body(body());
        let got = scope(ex.clone(), async {
            let mut req = take_request_body().expect("offered");
            assert!(take_request_body().is_none(), "taken once");
            let piece = req.chunk().await.expect("a piece").expect("ok");
            assert_eq!(&piece[..], b"ab");
            assert!(req.chunk().await.is_none());
            set_response_body(body()).is_ok()
        })
        .await;
        assert!(got);
        assert!(!ex.request_body_untaken());
        assert_eq!(ex.take_response_body().and_then(|b| b.len_hint()), Some(2));
    }
}
