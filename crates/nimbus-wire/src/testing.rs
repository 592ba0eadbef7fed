//! Test support for services' generated routers, shared by every service crate's tests:
//! an authorizer that records what it is asked and refuses ([`DenyAndRecord`]), a fixed
//! request context ([`context`]), and [`poll_once`] for calls that must answer without
//! waiting (a refusal happens before any handler runs). Nothing in Nimbus itself uses it.

use nimbus_core::{Access, Authorizer, Denial, Principal, RequestContext, Timestamp};
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

/// Records every access it is asked about, then refuses it.
#[derive(Default)]
pub struct DenyAndRecord(Mutex<Vec<Access>>);

impl DenyAndRecord {
    /// Everything asked so far, in order.
    pub fn asked(&self) -> Vec<Access> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Authorizer for DenyAndRecord {
    fn authorize(&self, _ctx: &RequestContext, access: &[Access]) -> Result<(), Denial> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(access.iter().cloned());
        Err(Denial::new(
            "User: arn:aws:iam::123456789012:user/bob is not authorized",
        ))
    }
}

/// A call by the root of account 123456789012 in us-east-1 at the epoch, made in process
/// (no peer address).
#[must_use]
pub fn context() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root("123456789012", "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp(0),
        host: "localhost".into(),
        source_ip: None,
    }
}

/// Polls `fut` once and returns its output.
///
/// # Panics
/// If the future is not ready at once.
pub fn poll_once<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the call did not answer at once"),
    }
}
