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
//! **Who may call them.** A reset wipes every account and an advance expires every session,
//! so in strict mode the state-changing endpoints (every `POST`) need a SigV4 signature by an
//! account root's keys, exactly as an AWS call would (any service name in the scope; `nimbus
//! reset` / `nimbus clock …` sign for the user). Permissive mode leaves them open to test
//! suites, as moto and LocalStack do. In every mode a request a web page could have made is
//! refused: a browser sends `Origin` on cross-site requests (and on every POST), and an HTML
//! form can only send `application/x-www-form-urlencoded`, `multipart/form-data` or
//! `text/plain`, so an `Origin` other than this endpoint, or a form content type on a POST,
//! gets 403 (see <https://fetch.spec.whatwg.org/#cors-safelisted-request-header>). `GET`s
//! (health, the clock) change nothing and stay open.
//!
//! **The clock** (`GET /_nimbus/clock`, `POST /_nimbus/clock/advance {"seconds": N}`) moves
//! only forward. An advance is saved in the store before it is answered, and Nimbus time
//! resumes after a restart at `max(wall time + all advances, last saved Nimbus time)` (see
//! `nimbus_core::NimbusClock::resume`; the binary also saves the clock when it stops). A
//! reset keeps the clock: AWS has no equivalent and moto's reset does not touch time either,
//! and keeping it means timestamps never go backwards, not even relative to records created
//! before the reset. An advance may not take Nimbus time more than [`MAX_AHEAD`] past wall
//! time, and `POST /_nimbus/clock/reset` puts it back on wall time (forgetting every
//! advance) — the one way Nimbus time goes backwards, for a clock advanced by mistake.

use crate::route::Family;
use crate::server::Gateway;
use http::request::Parts;
use nimbus_core::PrincipalKind;
use nimbus_core::Timestamp;
use nimbus_wire::{BoxFut, ResetStep};
use std::sync::Arc;
use std::time::Duration;

/// A JSON reply (status, body).
pub type Reply = (u16, String);

/// The latest Nimbus time an advance may reach: ISO 8601 (and AWS) timestamps have
/// four-digit years.
const LATEST: Timestamp = Timestamp(253_402_300_799_999); // 9999-12-31T23:59:59.999Z

/// How far Nimbus time may run ahead of wall time through advances: ten years covers every
/// AWS retention and expiry period (CloudWatch keeps 15 months, certificates 13 months).
pub const MAX_AHEAD: Duration = Duration::from_secs(10 * 366 * 86_400);

/// What the admin endpoints need from the binary's wiring.
pub trait AdminHooks: Send + Sync + 'static {
    /// Wipes the durable store except what a reset keeps (the clock), durably. Called by a
    /// reset once every service holds its writers back (see [`nimbus_wire::reset_all`]).
    fn wipe_store(&self) -> ResetStep<'_>;

    /// Makes the clock's current state durable; called after every advance, before the
    /// answer.
    fn save_clock(&self) -> BoxFut<'_, Result<(), String>>;

    /// Puts the clock back on wall time, forgetting every advance, and saves it. `Err` when
    /// the clock is not Nimbus's own (an injected test clock).
    fn reset_clock(&self) -> BoxFut<'_, Result<(), String>> {
        Box::pin(async { Err("this Nimbus's clock belongs to its embedder".to_string()) })
    }

    /// `Some(why)` while the durable store is failing writes (health then says
    /// `"degraded"`); `None` by default.
    fn degraded(&self) -> Option<String> {
        None
    }

    /// The background workers' states for `GET /_nimbus/health` (a JSON array); none by
    /// default.
    fn workers(&self) -> serde_json::Value {
        serde_json::Value::Array(Vec::new())
    }

    /// Which instance sandbox this Nimbus gives and what is weaker than the full one, for
    /// `GET /_nimbus/health` (`null` by default).
    fn instance_sandbox(&self) -> serde_json::Value {
        serde_json::Value::Null
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
pub async fn handle(gw: &Arc<Gateway>, parts: &Parts, body: &[u8]) -> Option<Reply> {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    if !(path.starts_with("/_nimbus/") || path.starts_with("/moto-api/")) {
        return None;
    }
    if let Err(refused) = admit(gw, parts, body) {
        return Some(refused);
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
            json(200, {
                let degraded = gw.admin.degraded();
                serde_json::json!({
                    "status": if degraded.is_some() { "degraded" } else { "running" },
                    "store_error": degraded,
                    "version": gw.config.version,
                    "services": services,
                    "workers": gw.admin.workers(),
                    "instance_sandbox": gw.admin.instance_sandbox(),
                })
            })
        }
        ("POST", "/_nimbus/reset") | ("POST", "/moto-api/reset") => reset(gw).await,
        // moto answers this (used to toggle its IAM enforcement) with a JSON status.
        ("POST", "/moto-api/reset-auth") => json(
            200,
            serde_json::json!({"PASS": "The IAM authentication is now reset"}),
        ),
        ("GET", "/_nimbus/clock") => json(200, clock_json(gw.clock.now(), gw.clock.scale())),
        ("POST", "/_nimbus/clock/advance") => advance(gw, body).await,
        ("POST", "/_nimbus/clock/reset") => match gw.admin.reset_clock().await {
            Ok(()) => json(200, clock_json(gw.clock.now(), gw.clock.scale())),
            Err(e) => json(409, serde_json::json!({"error": e})),
        },
        _ => json(
            404,
            serde_json::json!({"error": format!("no admin endpoint {method} {path}")}),
        ),
    })
}

/// The host part of an `Origin` or `Host` value (`http://127.0.0.1:4566` → `127.0.0.1:4566`).
fn origin_authority(origin: &str) -> &str {
    origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/')
}

/// Refuses what a web page could have sent, and in strict mode any state-changing call not
/// signed by an account root (see the module doc).
fn admit(gw: &Gateway, parts: &Parts, body: &[u8]) -> Result<(), Reply> {
    let header =
        |name: http::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let host = header(http::header::HOST)
        .or(parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    if let Some(origin) = parts.headers.get(http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if origin_authority(origin) != host {
            return Err(json(
                403,
                serde_json::json!({"error": format!("admin endpoints refuse requests from web pages (Origin {origin} is not this endpoint)")}),
            ));
        }
    }
    if parts.method == http::Method::GET {
        return Ok(());
    }
    let content_type = header(http::header::CONTENT_TYPE)
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if matches!(
        content_type.as_str(),
        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
    ) {
        return Err(json(
            403,
            serde_json::json!({"error": format!("admin endpoints refuse {content_type} bodies (an HTML form could send them); send JSON or no body")}),
        ));
    }
    if gw.config.auth != crate::auth::AuthMode::Strict {
        return Ok(());
    }
    let view = nimbus_sigv4::RequestView {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body,
        authority: parts.uri.authority().map(|a| a.as_str()),
    };
    let denied = |why: String| json(403, serde_json::json!({"error": why}));
    let auth = crate::auth::authenticate(
        &view,
        nimbus_sigv4::parse(&view),
        Family::Json,
        &gw.config.auth,
        &*gw.credentials,
        &*gw.clock,
        &gw.key_cache,
    )
    .map_err(|e| {
        denied(format!(
            "{} {} changes Nimbus for every account: sign it with an account root's keys (SigV4, as `nimbus reset` and `nimbus clock` do). {}: {}",
            parts.method, parts.uri.path(), e.code, e.message
        ))
    })?;
    if auth.principal.kind != PrincipalKind::Root {
        return Err(denied(format!(
            "{} is not an account root; only a root's keys may call {} {}",
            auth.principal.arn,
            parts.method,
            parts.uri.path()
        )));
    }
    Ok(())
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
    let limit = Timestamp(
        gw.clock
            .real_now()
            .0
            .saturating_add(MAX_AHEAD.as_millis() as i64)
            .min(LATEST.0),
    );
    let room = Duration::from_millis(u64::try_from(limit.0 - gw.clock.now().0).unwrap_or(0));
    if by > room {
        return json(
            400,
            serde_json::json!({"error": format!(
                "advancing by {} seconds would take Nimbus time past {} (at most {} days ahead of wall time); POST /_nimbus/clock/reset puts the clock back on wall time",
                by.as_secs_f64(), limit.to_iso8601(), MAX_AHEAD.as_secs() / 86_400)}),
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
