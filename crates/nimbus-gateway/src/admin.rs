//! Nimbus's own HTTP endpoints beside the AWS APIs: health, reset (Nimbus's and moto's
//! spellings, so other projects' test suites can run against Nimbus), and the clock. What
//! they need from outside the gateway (the durable store) comes through [`AdminHooks`],
//! wired by the binary.
//!
//! **Reset** (`POST /_nimbus/reset`, `POST /moto-api/reset`) empties every service and the
//! store as one step ([`nimbus_wire::reset_all`]): each service holds its writers back, the
//! store is wiped behind every batch already submitted, then each service forgets its
//! memory. A request racing the reset so lands entirely before it (and is wiped) or entirely
//! after it. The reply comes once the wipe is durable; the reset runs on its own task, so a
//! client hanging up cannot stop it half-way.
//!
//! **The clock** (`GET /_nimbus/clock`, `POST /_nimbus/clock/advance {"seconds": N}`) moves
//! only forward. An advance is saved in the store before it is answered, and Nimbus time
//! resumes after a restart at `max(wall time + all advances, last saved Nimbus time)` (see
//! `nimbus_core::NimbusClock::resume`; the binary also saves the clock when it stops). A
//! reset keeps the clock: AWS has no equivalent and moto's reset does not touch time either,
//! and keeping it means timestamps never go backwards, not even relative to records created
//! before the reset.

use crate::server::Gateway;
use nimbus_core::Timestamp;
use nimbus_wire::{BoxFut, ResetStep};
use std::sync::Arc;
use std::time::Duration;

/// A JSON reply (status, body).
pub type Reply = (u16, String);

/// The latest Nimbus time an advance may reach: ISO 8601 (and AWS) timestamps have
/// four-digit years.
const LATEST: Timestamp = Timestamp(253_402_300_799_999); // 9999-12-31T23:59:59.999Z

/// What the admin endpoints need from the binary's wiring.
pub trait AdminHooks: Send + Sync + 'static {
    /// Wipes the durable store except what a reset keeps (the clock), durably. Called by a
    /// reset once every service holds its writers back (see [`nimbus_wire::reset_all`]).
    fn wipe_store(&self) -> ResetStep<'_>;

    /// Makes the clock's current state durable; called after every advance, before the
    /// answer.
    fn save_clock(&self) -> BoxFut<'_, Result<(), String>>;

    /// The background workers' states for `GET /_nimbus/health` (a JSON array); none by
    /// default.
    fn workers(&self) -> serde_json::Value {
        serde_json::Value::Array(Vec::new())
    }

    /// Admin endpoints a service adds (`GET /_nimbus/sns/outbox`, …): the reply, or `None`
    /// when `path` is not one of them.
    fn extra<'a>(
        &'a self,
        _method: &'a str,
        _path: &'a str,
        _query: &'a str,
        _body: &'a [u8],
    ) -> Option<BoxFut<'a, Reply>> {
        None
    }
}

/// Hooks for a gateway without a durable store (in-process tests): nothing to wipe or save.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

impl AdminHooks for NoStore {
    fn wipe_store(&self) -> ResetStep<'_> {
        Box::pin(async { Ok(()) })
    }

    fn save_clock(&self) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

fn json(status: u16, v: serde_json::Value) -> Reply {
    (status, v.to_string())
}

fn clock_json(now: Timestamp, scale: f64) -> serde_json::Value {
    serde_json::json!({
        "now": now.to_iso8601(),
        "epoch_millis": now.millis(),
        "time_scale": scale,
    })
}

/// Handles `/_nimbus/*` and `/moto-api/*`; `None` when the path is not an admin path.
pub async fn handle(
    gw: &Arc<Gateway>,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Option<Reply> {
    if !(path.starts_with("/_nimbus/") || path.starts_with("/moto-api/")) {
        return None;
    }
    if let Some(reply) = gw.admin.extra(method, path, query, body) {
        return Some(reply.await);
    }
    Some(match (method, path) {
        ("GET", "/_nimbus/health") => {
            let services: Vec<serde_json::Value> = gw
                .registry
                .services()
                .iter()
                .map(|s| {
                    let m = s.model();
                    serde_json::json!({
                        "name": m.name,
                        "service_id": m.service_id,
                        "api_version": m.api_version,
                        "implemented": m.operations.iter().filter(|o| o.implemented).map(|o| o.name).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json(
                200,
                serde_json::json!({"status": "running", "version": gw.config.version, "services": services, "workers": gw.admin.workers()}),
            )
        }
        ("POST", "/_nimbus/reset") | ("POST", "/moto-api/reset") => reset(gw).await,
        // moto answers this (used to toggle its IAM enforcement) with a JSON status.
        ("POST", "/moto-api/reset-auth") => json(
            200,
            serde_json::json!({"PASS": "The IAM authentication is now reset"}),
        ),
        ("GET", "/_nimbus/clock") => json(200, clock_json(gw.clock.now(), gw.clock.scale())),
        ("POST", "/_nimbus/clock/advance") => advance(gw, body).await,
        _ => json(
            404,
            serde_json::json!({"error": format!("no admin endpoint {method} {path}")}),
        ),
    })
}

async fn reset(gw: &Arc<Gateway>) -> Reply {
    let gw = Arc::clone(gw);
    let task = tokio::spawn(async move {
        nimbus_wire::reset_all(gw.registry.services(), gw.admin.wipe_store()).await
    });
    match task.await {
        Ok(Ok(())) => json(200, serde_json::json!({"status": "reset"})),
        Ok(Err(e)) => json(500, serde_json::json!({"error": e.to_string()})),
        Err(e) => json(
            500,
            serde_json::json!({"error": format!("reset task failed: {e}")}),
        ),
    }
}

async fn advance(gw: &Gateway, body: &[u8]) -> Reply {
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
    let secs = parsed
        .ok()
        .and_then(|v| v.get("seconds").and_then(|s| s.as_f64()));
    let Some(by) = secs
        .filter(|s| s.is_finite() && *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    else {
        return json(
            400,
            serde_json::json!({"error": "body must be JSON {\"seconds\": N} with N a non-negative number"}),
        );
    };
    let room = Duration::from_millis(u64::try_from(LATEST.0 - gw.clock.now().0).unwrap_or(0));
    if by > room {
        return json(
            400,
            serde_json::json!({"error": format!("advancing by {} seconds would pass {}", by.as_secs_f64(), LATEST.to_iso8601())}),
        );
    }
    gw.clock.advance(by);
    match gw.admin.save_clock().await {
        Ok(()) => json(200, clock_json(gw.clock.now(), gw.clock.scale())),
        Err(e) => json(
            500,
            serde_json::json!({"error": format!("the clock advanced but could not be saved: {e}")}),
        ),
    }
}
