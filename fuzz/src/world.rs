//! The in-process Nimbus the stateful targets (`typed_convert`, `gateway_request`) run
//! against: the binary's own wiring (`nimbus::app`, so every service over one in-memory
//! store, S3 object bytes in memory too), with the gateway in permissive auth mode (so
//! fuzzed requests get past authentication to the decoders and handlers), a clock that only
//! moves when told to, and seeded ids. Built once per process; [`World::reset`] empties it
//! between inputs (the same reset as `POST /_nimbus/reset`, plus the clock set back to
//! [`START`]) so each input starts from the same state and a crash replays from its input
//! alone. This module owns only those choices; the list of services is `nimbus::app`'s.

use nimbus::app::{self, Time};
use nimbus::hooks::Hooks;
use nimbus_core::{Clock, Ids, Principal, RequestContext, Timestamp};
use nimbus_gateway::admin::AdminHooks;
use nimbus_gateway::{AuthMode, Gateway, GatewayConfig};
use nimbus_wire::{Service, ServiceModel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Nimbus time at the start of every input: 2026-11-25T10:00:00Z (= [`crate::FIXED_NOW`]).
pub const START: Timestamp = Timestamp(crate::FIXED_NOW * 1000);

/// Largest body the fuzz gateway accepts after gzip inflation (the real default is 16 MiB;
/// smaller keeps a decompression bomb from dominating a run without changing the logic).
pub const MAX_BODY: usize = 1 << 20;

/// A clock that stands still except when advanced (`POST /_nimbus/clock/advance`), and
/// that [`World::reset`] sets back to [`START`].
pub struct FuzzClock(Mutex<Timestamp>);

impl FuzzClock {
    fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for FuzzClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn real_now(&self) -> Timestamp {
        self.now()
    }
    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        now.0 = now.0.saturating_add(by);
    }
    fn scale(&self) -> f64 {
        1.0
    }
}

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub gw: Arc<Gateway>,
    pub clock: Arc<FuzzClock>,
    /// Wipes the store on reset; never saves the clock (it is injected).
    hooks: Arc<Hooks>,
}

/// The process's world, built on first use.
pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(World::new)
}

impl World {
    fn new() -> World {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let clock = Arc::new(FuzzClock(Mutex::new(START)));
        let app = app::build(app::Config {
            gateway: GatewayConfig {
                auth: AuthMode::Permissive {
                    default_account: "123456789012".to_string(),
                },
                max_body: MAX_BODY,
                max_object: MAX_BODY,
                version: "fuzz",
            },
            account: "000000000000".to_string(),
            access_key: "test".to_string(),
            secret_key: "test".to_string(),
            data_dir: None,
            time: Time::Injected(clock.clone()),
            ids: Arc::new(Ids::from_seed(7)),
            sns_egress: false,
        })
        .expect("wiring the in-memory world");
        World {
            rt,
            gw: app.gateway,
            clock,
            hooks: app.hooks,
        }
    }

    /// Empties every service and the store (`POST /_nimbus/reset`'s path) and sets the
    /// clock back to [`START`].
    pub fn reset(&self) {
        let services = self.gw.registry.services();
        self.rt
            .block_on(nimbus_wire::reset_all(services, self.hooks.wipe_store()))
            .expect("reset of the in-memory world");
        self.clock.set(START);
    }

    /// The registered service whose model is `model`.
    pub fn service(&self, model: &ServiceModel) -> &Arc<dyn Service> {
        self.gw
            .registry
            .services()
            .iter()
            .find(|s| std::ptr::eq(s.model(), model))
            .expect("every fuzzed model has a registered service")
    }

    /// A request context as the gateway builds it for a permissive-mode root caller.
    pub fn context(&self) -> RequestContext {
        RequestContext {
            request_id: "fuzz-request-id".to_string(),
            principal: Arc::new(Principal::root("123456789012", "AKIDFUZZ")),
            region: "us-east-1".to_string(),
            now: self.clock.now(),
            host: "localhost:4566".to_string(),
            source_ip: None,
        }
    }
}
