//! [`Service`]: the object-safe face every AWS service presents to the gateway. Generated
//! code implements it for a service's typed handlers (see each `svc-*` crate's
//! `generated.rs`): it converts the decoded [`Value`] into the typed input, asks the
//! [`Authorizer`] for every access the operation needs, calls the handler, and converts the
//! typed output back.
//!
//! It also owns the shape of a reset (`POST /_nimbus/reset`), [`reset_all`]: every service
//! stops its writers, then the durable store is wiped, then every service forgets its memory
//! and lets its writers go again, so a mutation racing the reset lands entirely before it
//! (and is wiped with the rest) or entirely after it, never half in memory and half on disk.

use crate::{Operation, Protocol, ServiceModel, Value};
use nimbus_core::{Authorizer, AwsError, RequestContext};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a reset failed (the store could not be wiped). A failed reset changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reset failed: {0}")]
pub struct ResetError(pub String);

/// A step of a reset: what [`Service::reset`] runs while it holds its writers back (the
/// remaining services' resets, and finally the store wipe).
pub type ResetStep<'a> = BoxFut<'a, Result<(), ResetError>>;

pub trait Service: Send + Sync + 'static {
    fn model(&self) -> &'static ServiceModel;

    /// The operations AWS serves without a signature: botocore's `"authtype": "none"`
    /// (smithy's `noAuth`), such as STS's `AssumeRoleWithWebIdentity`, whose token is the
    /// credential. The gateway lets an unsigned request for one of these through strict
    /// authentication as an anonymous caller; generated routers list them from the model.
    fn unsigned_operations(&self) -> &'static [&'static str] {
        &[]
    }

    /// Runs `op`. `input` is the decoded input structure (`None` when the operation has no
    /// input shape); the result is the output structure (`None` when it has none).
    /// `protocol` is only used to phrase input-conversion errors the protocol's way.
    ///
    /// Before the handler runs, `authz` is asked once with the operation's accesses (from
    /// `codegen/authorization/<service>.json`); a refusal becomes the protocol's
    /// access-denied error ([`crate::access_denied`]) and the handler never runs.
    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        authz: &'a dyn Authorizer,
        protocol: Protocol,
        op: &'static Operation,
        input: Option<Value>,
    ) -> BoxFut<'a, Result<Option<Value>, AwsError>>;

    /// Wipes all state (`POST /_nimbus/reset`) together with `then`, which resets the other
    /// services and finally wipes the durable store (see [`reset_all`]). A service with
    /// state must:
    /// 1. wait until none of its writes is between planning and submitting its batch to the
    ///    store, and keep new ones from starting (take its writer lock and hold it);
    /// 2. await `then`: the store wipe is queued behind every batch already submitted, so
    ///    whatever the service acknowledged or will acknowledge from before is wiped too;
    /// 3. only if `then` succeeded, forget its in-memory state (and anything it keeps
    ///    outside the store), then let its writers go.
    ///
    /// A failed `then` leaves memory as it was (the store wipe is atomic, so the store is
    /// unchanged too). The default, for a service without state, just runs `then`.
    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        then
    }
}

/// Resets `services` and the store as one step: each service in turn holds its writers
/// back, `wipe_store` runs once all of them do, then each clears its memory and lets go
/// (the last one first). Services are always taken in the same order and none takes
/// another's lock, so two concurrent resets cannot deadlock.
///
/// The returned future must run to completion: dropping it half-way (after the wipe,
/// before the services cleared their memory) would leave memory ahead of the store, so
/// callers that can be cancelled (an HTTP handler) should run it on its own task.
pub fn reset_all<'a>(services: &'a [Arc<dyn Service>], wipe_store: ResetStep<'a>) -> ResetStep<'a> {
    match services.split_first() {
        None => wipe_store,
        Some((first, rest)) => first.reset(reset_all(rest, wipe_store)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A service that records what its reset does, in a log shared by all of them.
    struct Recorder {
        name: &'static str,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl Recorder {
        fn note(&self, what: &str) {
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{} {what}", self.name));
        }
    }

    impl Service for Recorder {
        fn model(&self) -> &'static ServiceModel {
            unreachable!("not called by reset")
        }

        fn call<'a>(
            &'a self,
            _ctx: &'a RequestContext,
            _authz: &'a dyn Authorizer,
            _protocol: Protocol,
            _op: &'static Operation,
            _input: Option<Value>,
        ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
            unreachable!("not called by reset")
        }

        fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
            Box::pin(async move {
                self.note("holds");
                let outcome = then.await;
                if outcome.is_ok() {
                    self.note("clears");
                }
                self.note("lets go");
                outcome
            })
        }
    }

    /// A service with no state: keeps the trait's default reset.
    struct Stateless;

    impl Service for Stateless {
        fn model(&self) -> &'static ServiceModel {
            unreachable!("not called by reset")
        }

        fn call<'a>(
            &'a self,
            _ctx: &'a RequestContext,
            _authz: &'a dyn Authorizer,
            _protocol: Protocol,
            _op: &'static Operation,
            _input: Option<Value>,
        ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
            unreachable!("not called by reset")
        }
    }

    fn services(log: &Arc<Mutex<Vec<String>>>) -> Vec<Arc<dyn Service>> {
        vec![
            Arc::new(Recorder {
                name: "a",
                log: log.clone(),
            }),
            Arc::new(Stateless),
            Arc::new(Recorder {
                name: "b",
                log: log.clone(),
            }),
        ]
    }

    fn run(f: ResetStep<'_>) -> Result<(), ResetError> {
        // The steps above never wait on anything, so one poll finishes them.
        let waker = std::task::Waker::noop();
        let mut f = f;
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => panic!("reset did not finish"),
        }
    }

    fn wipe(log: &Arc<Mutex<Vec<String>>>, ok: bool) -> ResetStep<'static> {
        let log = log.clone();
        Box::pin(async move {
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push("store wiped".into());
            if ok {
                Ok(())
            } else {
                Err(ResetError("disk on fire".into()))
            }
        })
    }

    #[test]
    fn every_service_holds_before_the_wipe_and_clears_after_it() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let svcs = services(&log);
        assert_eq!(run(reset_all(&svcs, wipe(&log, true))), Ok(()));
        assert_eq!(
            *log.lock().unwrap(),
            [
                "a holds",
                "b holds",
                "store wiped",
                "b clears",
                "b lets go",
                "a clears",
                "a lets go"
            ]
        );
    }

    #[test]
    fn a_failed_wipe_clears_nothing() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let svcs = services(&log);
        assert_eq!(
            run(reset_all(&svcs, wipe(&log, false))),
            Err(ResetError("disk on fire".into()))
        );
        assert_eq!(
            *log.lock().unwrap(),
            [
                "a holds",
                "b holds",
                "store wiped",
                "b lets go",
                "a lets go"
            ]
        );
    }

    #[test]
    fn no_services_just_wipes() {
        let log = Arc::new(Mutex::new(Vec::new()));
        assert_eq!(run(reset_all(&[], wipe(&log, true))), Ok(()));
        assert_eq!(*log.lock().unwrap(), ["store wiped"]);
    }
}
