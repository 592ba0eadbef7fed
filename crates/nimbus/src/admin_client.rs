//! `nimbus reset` and `nimbus clock …`: the client side of the admin endpoints. Finds the
//! endpoint and keys the way the aws CLI does (flags, then `AWS_ENDPOINT_URL` /
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, then the profile's
//! `endpoint_url` and keys in `~/.aws/config` and `~/.aws/credentials`, `AWS_PROFILE` or
//! `default`; failing all that, Nimbus's own defaults), signs the request with SigV4 as a
//! root must in strict mode, and speaks plain HTTP/1.1 to it. Nimbus listens on plain HTTP,
//! so no TLS client is needed; a `https://` endpoint is refused with a clear message.

use crate::cli::{ClockAction, TargetArgs};
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::path::PathBuf;

/// Where to send an admin call and with which keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `key = value` of `[section]` in an INI text.
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            inside = t[1..t.len() - 1].trim() == section;
            continue;
        }
        if inside {
            if let Some((k, v)) = t.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string()).filter(|v| !v.is_empty());
                }
            }
        }
    }
    None
}

impl Target {
    /// Resolves flags, environment and profile files as described in the module doc.
    pub fn resolve(args: &TargetArgs) -> Target {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let config_path = env("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/config"));
        let creds_path = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/credentials"));
        let config = std::fs::read_to_string(config_path).unwrap_or_default();
        let creds = std::fs::read_to_string(creds_path).unwrap_or_default();
        Self::resolve_with(args, &|n| env(n), &config, &creds)
    }

    fn resolve_with(
        args: &TargetArgs,
        env: &dyn Fn(&str) -> Option<String>,
        config: &str,
        creds: &str,
    ) -> Target {
        let profile = args
            .profile
            .clone()
            .or_else(|| env("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_string());
        let config_section = if profile == "default" {
            "default".to_string()
        } else {
            format!("profile {profile}")
        };
        let from_profile = |key: &str| {
            ini_value(creds, &profile, key).or_else(|| ini_value(config, &config_section, key))
        };
        let endpoint = args
            .endpoint_url
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .or_else(|| ini_value(config, &config_section, "endpoint_url"))
            .unwrap_or_else(|| "http://127.0.0.1:4566".to_string());
        // Keys come as a pair from one place, as the aws CLI takes them.
        let (access_key, secret_key, session_token) =
            match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(a), Some(s)) if args.profile.is_none() => (a, s, env("AWS_SESSION_TOKEN")),
                _ => match (
                    from_profile("aws_access_key_id"),
                    from_profile("aws_secret_access_key"),
                ) {
                    (Some(a), Some(s)) => (a, s, from_profile("aws_session_token")),
                    _ => ("test".to_string(), "test".to_string(), None),
                },
            };
        Target {
            endpoint,
            access_key,
            secret_key,
            session_token,
        }
    }
}

/// The reply of one admin call: status and body.
struct Reply {
    status: u16,
    body: String,
}

/// Sends `method path` with a JSON `body`, SigV4-signed with `target`'s keys.
fn call(target: &Target, method: &str, path: &str, body: Option<&str>) -> anyhow::Result<Reply> {
    let rest = target.endpoint.strip_prefix("http://").with_context(|| {
        format!(
            "endpoint {} is not http:// (Nimbus serves plain HTTP)",
            target.endpoint
        )
    })?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let body = body.unwrap_or("");
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::HOST, http::HeaderValue::from_str(authority)?);
    if !body.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    let amz_date = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| nimbus_core::Timestamp(d.as_millis() as i64).to_amz_date())
        .unwrap_or_default();
    nimbus_sigv4::sign_request_for_tests(
        method,
        path,
        "",
        &mut headers,
        body.as_bytes(),
        &nimbus_sigv4::SigningParams {
            access_key: &target.access_key,
            secret_access_key: &target.secret_key,
            region: "us-east-1",
            service: "nimbus",
            amz_date: &amz_date,
            session_token: target.session_token.as_deref(),
        },
    );
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        request.push_str(&format!("{}: {}\r\n", k, v.to_str()?));
    }
    request.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = std::net::TcpStream::connect(authority)
        .with_context(|| format!("connecting to Nimbus at {}", target.endpoint))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("Nimbus's reply had no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("Nimbus's reply had no status")?;
    Ok(Reply {
        status,
        body: body.to_string(),
    })
}

fn finish(reply: Reply) -> anyhow::Result<()> {
    if (200..300).contains(&reply.status) {
        println!("{}", reply.body.trim());
        Ok(())
    } else {
        bail!("Nimbus answered {}: {}", reply.status, reply.body.trim())
    }
}

/// `nimbus reset`.
pub fn reset(args: &TargetArgs) -> anyhow::Result<()> {
    finish(call(
        &Target::resolve(args),
        "POST",
        "/_nimbus/reset",
        None,
    )?)
}

/// `nimbus ca`: the root CA certificate, PEM, exactly as served.
pub fn ca(args: &TargetArgs) -> anyhow::Result<()> {
    let reply = call(&Target::resolve(args), "GET", nimbus::hooks::CA_PATH, None)?;
    if reply.status != 200 {
        bail!("Nimbus answered {}: {}", reply.status, reply.body.trim());
    }
    print!("{}", reply.body);
    Ok(())
}

/// `nimbus clock [show|advance SECONDS|reset]`.
pub fn clock(action: &ClockAction, args: &TargetArgs) -> anyhow::Result<()> {
    let target = Target::resolve(args);
    let reply = match action {
        ClockAction::Show => call(&target, "GET", "/_nimbus/clock", None)?,
        ClockAction::Advance(s) => call(
            &target,
            "POST",
            "/_nimbus/clock/advance",
            Some(&format!("{{\"seconds\": {s}}}")),
        )?,
        ClockAction::Reset => call(&target, "POST", "/_nimbus/clock/reset", None)?,
    };
    finish(reply)
}

/// `nimbus audit`: prints the account audit (`GET /_nimbus/audit`) as a list of checks
/// and findings, or as JSON; an audit with findings is an error (exit status 1), so CI can
/// gate on it.
pub fn audit(account: Option<&str>, json: bool, args: &TargetArgs) -> anyhow::Result<()> {
    let path = match account {
        Some(a) => format!("/_nimbus/audit?account={a}"),
        None => "/_nimbus/audit".to_string(),
    };
    let reply = call(&Target::resolve(args), "GET", &path, None)?;
    if !(200..300).contains(&reply.status) {
        bail!("Nimbus answered {}: {}", reply.status, reply.body.trim());
    }
    let report: serde_json::Value =
        serde_json::from_str(&reply.body).context("reading the audit report")?;
    if json {
        println!("{}", reply.body.trim());
    } else {
        print!("{}", audit_text(&report));
    }
    let failed = report["findings"].as_array().map_or(0, Vec::len);
    if failed > 0 {
        bail!("the audit found {failed} problem(s)");
    }
    Ok(())
}

/// The audit report as text: one line per check, then each finding with its fix.
fn audit_text(report: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut out = format!(
        "Account {} audited at {}\n",
        s(&report["account"]),
        s(&report["generated"])
    );
    for c in report["checks"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:4}  {:27} {}\n",
            s(&c["status"]),
            s(&c["check"]),
            s(&c["practice"])
        ));
    }
    for f in report["findings"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n[{}] {}\n  {}\n  fix: {}\n",
            s(&f["check"]),
            s(&f["entity"]),
            s(&f["detail"]),
            s(&f["fix"])
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_endpoint_are_found_as_the_aws_cli_finds_them() {
        let config =
            "[default]\nregion = us-east-1\n[profile nimbus]\nendpoint_url = http://127.0.0.1:9\n";
        let creds = "[nimbus]\naws_access_key_id = AK\naws_secret_access_key = SK\n";
        let none = |_: &str| None;
        let t = Target::resolve_with(&TargetArgs::default(), &none, config, creds);
        assert_eq!(
            (t.endpoint.as_str(), t.access_key.as_str()),
            ("http://127.0.0.1:4566", "test")
        );
        let by_profile = TargetArgs {
            profile: Some("nimbus".into()),
            ..Default::default()
        };
        let t = Target::resolve_with(&by_profile, &none, config, creds);
        assert_eq!(
            (
                t.endpoint.as_str(),
                t.access_key.as_str(),
                t.secret_key.as_str()
            ),
            ("http://127.0.0.1:9", "AK", "SK")
        );
        let env = |n: &str| match n {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:7".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("EK".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("ES".to_string()),
            "AWS_PROFILE" => Some("nimbus".to_string()),
            _ => None,
        };
        let t = Target::resolve_with(&TargetArgs::default(), &env, config, creds);
        assert_eq!(
            (t.endpoint.as_str(), t.access_key.as_str()),
            ("http://127.0.0.1:7", "EK")
        );
    }
}
