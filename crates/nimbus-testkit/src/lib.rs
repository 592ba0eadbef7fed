//! `nimbus-testkit`: what Nimbus's tests share, so each test says only what it is about. A
//! clock that stands still until told to move ([`still_clock`], at [`START`]), seeded ids
//! ([`ids`]), request contexts ([`Ctx`]), requests built and SigV4-signed the way the AWS
//! SDKs sign them ([`Req`], [`Signer`]), probe services with a one-operation model in each
//! protocol family that record how they were called ([`probe`]), and a gateway running
//! them in process or on a loopback port ([`TestGateway`]). It is a dev-dependency only:
//! nothing in the product links it. Service-router helpers that need no gateway
//! ([`DenyAndRecord`], [`poll_once`]) are `nimbus_wire::testing`'s, re-exported here.
//! With the feature `app`, `app::InMemoryNimbus` is the whole of Nimbus (every service, as
//! the binary wires them) over an in-memory store behind the same [`TestGateway`].

#[cfg(feature = "app")]
pub mod app;
mod gateway;
pub mod probe;
mod request;

pub use gateway::{Reply, Served, TestGateway, ROOT_ACCESS_KEY, ROOT_ACCOUNT, ROOT_SECRET};
pub use nimbus_wire::testing::{poll_once, DenyAndRecord};
pub use request::{Req, Signer};

use nimbus_core::{ManualClock, Principal, RequestContext, Timestamp};
use std::sync::Arc;

/// Nimbus time at the start of every test: 2026-11-25T10:00:00Z.
pub const START: Timestamp = Timestamp(1_795_600_800_000);

/// A clock at [`START`] that moves only when advanced (Nimbus time) or set (`set_real`,
/// the wall time SigV4 checks request dates against).
pub fn still_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(START))
}

/// Ids from a fixed seed: the same test makes the same ids every run.
pub fn ids() -> Arc<nimbus_core::Ids> {
    Arc::new(nimbus_core::Ids::from_seed(7))
}

/// A [`RequestContext`] builder: by default the root of account `123456789012` in
/// `us-east-1` at [`START`], made in process (no peer address).
#[derive(Clone, Debug)]
pub struct Ctx {
    account: String,
    region: String,
    now: Timestamp,
    principal: Option<Arc<Principal>>,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            now: START,
            principal: None,
        }
    }
}

impl Ctx {
    pub fn new() -> Self {
        Self::default()
    }

    /// The caller is this account's root.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The caller is `principal` (an IAM user or role session).
    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = Some(Arc::new(principal));
        self
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }

    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    pub fn build(self) -> RequestContext {
        let principal = self
            .principal
            .unwrap_or_else(|| Arc::new(Principal::root(&self.account, "AKIDEXAMPLE")));
        RequestContext {
            request_id: "test-request-id".into(),
            principal,
            region: self.region,
            now: self.now,
            host: "localhost:4566".into(),
            source_ip: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Clock;

    #[test]
    fn start_is_the_documented_instant() {
        assert_eq!(START.to_amz_date(), "20261125T100000Z");
        let c = still_clock();
        assert_eq!(c.now(), START);
        assert_eq!(c.now(), START, "a still clock does not move by itself");
    }

    #[test]
    fn contexts_default_to_a_root_in_us_east_1() {
        let ctx = Ctx::new().build();
        assert_eq!(ctx.account_id(), "123456789012");
        assert_eq!(ctx.region, "us-east-1");
        let other = Ctx::new()
            .account("111122223333")
            .region("eu-west-1")
            .build();
        assert_eq!(other.principal.arn, "arn:aws:iam::111122223333:root");
        assert_eq!(other.region, "eu-west-1");
    }

    #[test]
    fn seeded_ids_repeat() {
        assert_eq!(ids().request_id(), ids().request_id());
    }
}
