//! Delivery to http subscribers: the JSON documents SNS POSTs (`SubscriptionConfirmation`,
//! `Notification`) with AWS's headers, the endpoint check (loopback only unless egress was
//! allowed), a minimal HTTP/1.1 client, and the `sns-delivery` worker that sends queued
//! messages and retries failures by SNS's default HTTP delivery policy (3 retries, 20 s
//! apart in Nimbus time). Every queued delivery is also a durable record (`sns.deliveries`,
//! written before the publish is answered, updated after each failed attempt, deleted once
//! delivered or given up), so deliveries pending when Nimbus stops are made after a restart.
//!
//! Messages are signed by `signing.rs` (with Nimbus's own key and certificate).

use crate::state::Change;
use nimbus_core::{Clock, Timestamp};
use nimbus_workers::{RunFuture, Stop, Worker};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// SNS's default HTTP retry policy: 3 retries, 20 s apart.
pub const RETRIES: u32 = 3;
pub const RETRY_DELAY_MS: i64 = 20_000;

/// A parsed `http://host:port/path` endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub addr: SocketAddr,
    pub path: String,
}

/// Checks an http(s) endpoint at subscribe time: `Ok` with where to send, or the reason it
/// is refused. Only `http://` with a loopback address or `localhost` is accepted unless
/// `egress` allows other literal addresses; `https` needs TLS, which Nimbus's delivery does
/// not speak yet.
pub fn parse_endpoint(protocol: &str, url: &str, egress: bool) -> Result<Endpoint, String> {
    let rest = match (protocol, url.split_once("://")) {
        ("http", Some(("http", rest))) => rest,
        ("https", Some(("https", _))) => return Err(
            "Nimbus cannot deliver to https endpoints yet (no TLS client); use an http endpoint"
                .into(),
        ),
        _ => {
            return Err(format!(
                "Invalid parameter: Endpoint must match the protocol {protocol}"
            ))
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, after) = h.split_once(']').ok_or("Invalid parameter: Endpoint")?;
        (h.to_string(), after.strip_prefix(':').unwrap_or(""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), ""),
        }
    };
    let port: u16 = if port.is_empty() {
        80
    } else {
        port.parse()
            .map_err(|_| "Invalid parameter: Endpoint".to_string())?
    };
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().map_err(|_| {
            format!("Nimbus delivers only to IP addresses or localhost; {host} is a name it will not resolve")
        })?
    };
    if !ip.is_loopback() && !egress {
        return Err(format!(
            "Nimbus delivers only to loopback endpoints (127.0.0.0/8, ::1) unless started with --sns-egress; {ip} is not one"
        ));
    }
    Ok(Endpoint {
        host: authority.to_string(),
        addr: SocketAddr::new(ip, port),
        path: path.to_string(),
    })
}

/// One HTTP POST to make.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its durable record's key.
    pub id: String,
    pub endpoint: Endpoint,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub attempts: u32,
    pub not_before: Timestamp,
}

/// The queue of POSTs, shared by the publishers and the worker.
#[derive(Default)]
pub struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    notify: tokio::sync::Notify,
    /// (endpoint, status or error) of every attempt, newest last (bounded), for tests and
    /// for the outbox endpoint's `deliveries`.
    pub log: Mutex<VecDeque<serde_json::Value>>,
}

impl Queue {
    pub fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.notify.notify_one();
    }

    pub fn clear(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn take_due(&self, now: Timestamp) -> Vec<Job> {
        let mut q = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let (due, later): (Vec<Job>, Vec<Job>) = q.drain(..).partition(|j| j.not_before <= now);
        q.extend(later);
        due
    }

    fn record(&self, v: serde_json::Value) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.push_back(v);
        while log.len() > 1000 {
            log.pop_front();
        }
    }
}

/// POSTs `body` to the endpoint; the HTTP status, or why there is none.
pub async fn post(job: &Job) -> Result<u16, String> {
    let io = async {
        let mut s = tokio::net::TcpStream::connect(job.endpoint.addr).await?;
        let mut req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            job.endpoint.path,
            job.endpoint.host,
            job.body.len()
        );
        for (k, v) in &job.headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await?;
        s.write_all(job.body.as_bytes()).await?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(2).any(|w| w == b"\r\n") {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(head)
    };
    let head = tokio::time::timeout(Duration::from_secs(15), io)
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "no HTTP status in the answer".to_string())
}

/// SNS counts 2xx–4xx (but 429) as delivered; anything else is retried.
fn delivered(status: u16) -> bool {
    (200..500).contains(&status) && status != 429
}

/// The `sns-delivery` worker.
pub struct Delivery {
    pub sns: Arc<crate::Sns>,
    pub queue: Arc<Queue>,
    pub clock: Arc<dyn Clock>,
}

impl Delivery {
    /// Sends every job due now (each in its own task) and requeues the failures.
    pub async fn run_due(self: &Arc<Self>) {
        let now = self.clock.now();
        for mut job in self.queue.take_due(now) {
            let me = self.clone();
            tokio::spawn(async move {
                let result = post(&job).await;
                job.attempts += 1;
                let ok = matches!(result, Ok(s) if delivered(s));
                me.queue.record(serde_json::json!({
                    "endpoint": format!("http://{}{}", job.endpoint.host, job.endpoint.path),
                    "attempt": job.attempts,
                    "status": result.as_ref().ok(),
                    "error": result.as_ref().err(),
                    "delivered": ok,
                    "timestamp": me.clock.now().to_iso8601(),
                }));
                let retry = !ok && job.attempts <= RETRIES;
                if retry {
                    job.not_before = Timestamp(me.clock.now().0 + RETRY_DELAY_MS);
                }
                // Record the outcome durably; a job a reset forgot is left alone.
                let id = job.id.clone();
                let again = job.clone();
                let recorded = me
                    .sns
                    .state
                    .change(|mem| {
                        if !mem.pending.contains_key(&id) {
                            return Ok((Change::default(), false));
                        }
                        let change = if retry {
                            Change {
                                put_jobs: vec![again],
                                ..Change::default()
                            }
                        } else {
                            Change {
                                delete_jobs: vec![id.clone()],
                                ..Change::default()
                            }
                        };
                        Ok((change, true))
                    })
                    .await;
                // If the store refused, the job stays queued in memory and is retried.
                if retry || recorded.is_err() {
                    me.queue.push(job);
                }
            });
        }
    }
}

impl Worker for Delivery {
    fn name(&self) -> String {
        "sns-delivery".into()
    }

    fn run(self: Arc<Self>, mut stop: Stop) -> RunFuture {
        Box::pin(async move {
            loop {
                self.run_due().await;
                // Wake on a new job, or after a second of Nimbus time for retries.
                tokio::select! {
                    _ = self.queue.notify.notified() => {}
                    more = stop.sleep(self.clock.as_ref(), Duration::from_secs(1)) => {
                        if !more {
                            return Ok(());
                        }
                    }
                }
                if stop.is_stopped() {
                    return Ok(());
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_loopback_only_unless_egress() {
        let e = parse_endpoint("http", "http://127.0.0.1:8080/hook?x=1", false).expect("ok");
        assert_eq!(e.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(e.path, "/hook?x=1");
        assert_eq!(
            parse_endpoint("http", "http://localhost/", false)
                .unwrap()
                .addr
                .port(),
            80
        );
        assert!(parse_endpoint("http", "http://[::1]:9/", false).is_ok());
        assert!(parse_endpoint("http", "http://10.0.0.1/", false)
            .unwrap_err()
            .contains("loopback"));
        assert!(parse_endpoint("http", "http://10.0.0.1/", true).is_ok());
        assert!(parse_endpoint("http", "http://example.com/", true).is_err());
        assert!(parse_endpoint("https", "https://127.0.0.1/", false)
            .unwrap_err()
            .contains("https"));
        assert!(parse_endpoint("http", "https://127.0.0.1/", false).is_err());
    }
}
