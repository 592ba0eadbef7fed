//! [`InMemoryNimbus`]: all of Nimbus in process — the binary's own wiring (`nimbus::app`,
//! every service over one in-memory store, S3 object bytes in memory too) with strict
//! SigV4 against the root keys of [`crate::ROOT_ACCOUNT`], the still clock and seeded ids —
//! driven through [`TestGateway`]. [`InMemoryNimbus::reset`] is `POST /_nimbus/reset`'s
//! path. This is the fuzz world's set of choices, for tests that want real services
//! behind the real gateway without a process or a socket.

use crate::{TestGateway, ROOT_ACCESS_KEY, ROOT_ACCOUNT, ROOT_SECRET};
use nimbus::app::{self, Time};
use nimbus::hooks::Hooks;
use nimbus_gateway::admin::AdminHooks;
use nimbus_gateway::GatewayConfig;
use std::sync::Arc;

/// See the module doc.
pub struct InMemoryNimbus {
    pub gw: TestGateway,
    hooks: Arc<Hooks>,
}

impl InMemoryNimbus {
    /// Builds it (no runtime needed; calls need one). Fails only if a service cannot load.
    pub fn new() -> anyhow::Result<Self> {
        let clock = crate::still_clock();
        let built = app::build(app::Config {
            gateway: GatewayConfig {
                version: "testkit",
                ..GatewayConfig::default()
            },
            account: ROOT_ACCOUNT.to_string(),
            access_key: ROOT_ACCESS_KEY.to_string(),
            secret_key: ROOT_SECRET.to_string(),
            data_dir: None,
            time: Time::Injected(clock.clone()),
            ids: crate::ids(),
            ..app::Config::default()
        })?;
        Ok(InMemoryNimbus {
            gw: TestGateway {
                gateway: built.gateway,
                clock,
            },
            hooks: built.hooks,
        })
    }

    /// Empties every service and the store, as `POST /_nimbus/reset` does.
    pub async fn reset(&self) -> Result<(), nimbus_wire::ResetError> {
        let services = self.gw.gateway.registry.services();
        nimbus_wire::reset_all(services, self.hooks.wipe_store()).await
    }
}
