//! Nimbus's own HTTP endpoints beside the AWS APIs: health, reset (Nimbus's and moto's
//! spellings, so other projects' test suites can run against Nimbus), and the clock.

use crate::server::Gateway;
use nimbus_core::Timestamp;
use std::time::Duration;

/// A JSON reply (status, body).
pub type Reply = (u16, String);

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
pub fn handle(gw: &Gateway, method: &str, path: &str, body: &[u8]) -> Option<Reply> {
    if !(path.starts_with("/_nimbus/") || path.starts_with("/moto-api/")) {
        return None;
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
                serde_json::json!({"status": "running", "version": gw.config.version, "services": services}),
            )
        }
        ("POST", "/_nimbus/reset") | ("POST", "/moto-api/reset") => {
            for s in gw.registry.services() {
                s.reset();
            }
            match (gw.on_reset)() {
                Ok(()) => json(200, serde_json::json!({"status": "reset"})),
                Err(e) => json(500, serde_json::json!({"error": e})),
            }
        }
        // moto answers this (used to toggle its IAM enforcement) with a JSON status.
        ("POST", "/moto-api/reset-auth") => json(
            200,
            serde_json::json!({"PASS": "The IAM authentication is now reset"}),
        ),
        ("GET", "/_nimbus/clock") => json(200, clock_json(gw.clock.now(), gw.clock.scale())),
        ("POST", "/_nimbus/clock/advance") => {
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
            let secs = parsed
                .ok()
                .and_then(|v| v.get("seconds").and_then(|s| s.as_f64()));
            match secs {
                Some(s) if s.is_finite() && s >= 0.0 => {
                    gw.clock.advance(Duration::from_secs_f64(s));
                    json(200, clock_json(gw.clock.now(), gw.clock.scale()))
                }
                _ => json(
                    400,
                    serde_json::json!({"error": "body must be JSON {\"seconds\": N} with N a non-negative number"}),
                ),
            }
        }
        _ => json(
            404,
            serde_json::json!({"error": format!("no admin endpoint {method} {path}")}),
        ),
    })
}
