//! The mixed workload of the soak bench (issue 8): every worker cycles through STS, IAM,
//! EC2, S3 and CloudWatch calls that create, read and delete their own resources, so the
//! server's state stays bounded while every kind of durable write keeps happening. It owns
//! the cycle (what each step's signed request is), the optional rate limit (`--rate`: a
//! fixed request rate spread over the workers, for "half capacity") and the per-service
//! tallies; the connection handling and answer parsing are `load`'s raw client's.
//!
//! One cycle of worker `w`, iteration `k`, name `soak-RUN-w-k`:
//! GetCallerIdentity; CreateUser, GetUser, DeleteUser; CreateSecurityGroup,
//! DescribeSecurityGroups (by name), DeleteSecurityGroup (by name); PutObject (4 KiB),
//! GetObject, DeleteObject; PutMetricData (one point), ListMetrics. What grows is only
//! CloudWatch's data points (kept as AWS keeps them) and what the server keeps per call.

use crate::load::{connect_raw, read_response};
use crate::sigv4::{amz_date_now, SignInput, Signer};
use crate::stats::{round1, Recorder};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const JSON10: &str = "application/x-amz-json-1.0";
/// Steps per cycle (see the module doc).
pub const STEPS: usize = 13;
/// Bytes of each S3 object.
const OBJECT_BYTES: usize = 4096;

/// What a run needs to know.
#[derive(Debug)]
pub struct Mixed {
    pub host: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub run_id: String,
    /// The bucket every worker's objects go to (created by [`run`] first).
    pub bucket: String,
}

/// One signed request as HTTP/1.1 bytes, and the service it belongs to (for the tallies).
struct Step {
    service: &'static str,
    bytes: Vec<u8>,
}

/// Signs a worker's requests, one signer per service.
struct Maker {
    cfg: Arc<Mixed>,
    worker: usize,
    signers: BTreeMap<&'static str, Signer>,
    object: Vec<u8>,
    object_sha: String,
}

impl Maker {
    fn new(cfg: Arc<Mixed>, worker: usize) -> Self {
        let mut signers = BTreeMap::new();
        for svc in ["sts", "iam", "ec2", "s3", "monitoring"] {
            signers.insert(
                svc,
                Signer::new(&cfg.access_key, &cfg.secret_key, &cfg.region, svc),
            );
        }
        let object: Vec<u8> = (0..OBJECT_BYTES)
            .map(|i| b'a' + ((i + worker) % 26) as u8)
            .collect();
        let object_sha = hex::encode(Sha256::digest(&object));
        Maker {
            cfg,
            worker,
            signers,
            object,
            object_sha,
        }
    }

    /// A query/ec2-protocol POST to `/`.
    fn form(&mut self, service: &'static str, body: String) -> Step {
        self.post(service, body.into_bytes(), FORM, None)
    }

    fn post(
        &mut self,
        service: &'static str,
        body: Vec<u8>,
        content_type: &str,
        target: Option<&str>,
    ) -> Step {
        let date = amz_date_now();
        let mut hs: Vec<(&str, &str)> = vec![
            ("content-type", content_type),
            ("host", &self.cfg.host),
            ("x-amz-date", &date),
        ];
        if let Some(t) = target {
            hs.push(("x-amz-target", t));
            hs.push(("x-amzn-query-mode", "true"));
        }
        let signer = self.signers.get_mut(service).expect("a signer per service");
        let auth = signer.authorization(&SignInput {
            method: "POST",
            path: "/",
            query: "",
            headers: &hs,
            payload: &body,
            amz_date: &date,
        });
        Step {
            service,
            bytes: http1("POST", "/", &hs, &auth, &body),
        }
    }

    /// An S3 request on `/bucket[/key]` with a signed payload hash.
    fn s3(&mut self, method: &str, path: &str, body: &[u8]) -> Step {
        let date = amz_date_now();
        let sha = if body.is_empty() {
            hex::encode(Sha256::digest(b""))
        } else {
            self.object_sha.clone()
        };
        let hs: Vec<(&str, &str)> = vec![
            ("host", &self.cfg.host),
            ("x-amz-content-sha256", &sha),
            ("x-amz-date", &date),
        ];
        let signer = self.signers.get_mut("s3").expect("a signer per service");
        let auth = signer.authorization(&SignInput {
            method,
            path,
            query: "",
            headers: &hs,
            payload: body,
            amz_date: &date,
        });
        Step {
            service: "s3",
            bytes: http1(method, path, &hs, &auth, body),
        }
    }

    fn create_bucket(&mut self) -> Step {
        let path = format!("/{}", self.cfg.bucket);
        self.s3("PUT", &path, &[])
    }

    /// Step `step` of iteration `k`.
    fn step(&mut self, k: u64, step: usize) -> Step {
        let name = format!("soak-{}-{}-{k}", self.cfg.run_id, self.worker);
        let key = format!("/{}/{name}", self.cfg.bucket);
        match step {
            0 => self.form("sts", "Action=GetCallerIdentity&Version=2011-06-15".into()),
            1 => self.form(
                "iam",
                format!("Action=CreateUser&Version=2010-05-08&UserName={name}"),
            ),
            2 => self.form(
                "iam",
                format!("Action=GetUser&Version=2010-05-08&UserName={name}"),
            ),
            3 => self.form(
                "iam",
                format!("Action=DeleteUser&Version=2010-05-08&UserName={name}"),
            ),
            4 => self.form(
                "ec2",
                format!("Action=CreateSecurityGroup&Version=2016-11-15&GroupName={name}&GroupDescription=soak"),
            ),
            5 => self.form(
                "ec2",
                format!("Action=DescribeSecurityGroups&Version=2016-11-15&GroupName.1={name}"),
            ),
            6 => self.form(
                "ec2",
                format!("Action=DeleteSecurityGroup&Version=2016-11-15&GroupName={name}"),
            ),
            7 => {
                let body = std::mem::take(&mut self.object);
                let s = self.s3("PUT", &key, &body);
                self.object = body;
                s
            }
            8 => self.s3("GET", &key, &[]),
            9 => self.s3("DELETE", &key, &[]),
            10 => {
                let body = format!(
                    r#"{{"Namespace":"Soak","MetricData":[{{"MetricName":"Calls","Dimensions":[{{"Name":"Worker","Value":"{}"}}],"Value":{k},"Unit":"Count"}}]}}"#,
                    self.worker
                );
                self.post(
                    "monitoring",
                    body.into_bytes(),
                    JSON10,
                    Some("GraniteServiceVersion20100801.PutMetricData"),
                )
            }
            _ => self.post(
                "monitoring",
                br#"{"Namespace":"Soak","MetricName":"Calls"}"#.to_vec(),
                JSON10,
                Some("GraniteServiceVersion20100801.ListMetrics"),
            ),
        }
    }
}

/// Serialises a request; `headers` are the signed ones.
fn http1(method: &str, path: &str, headers: &[(&str, &str)], auth: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "authorization: {auth}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// What one worker saw: the recorder plus per-service counts of 2xx and other answers.
#[derive(Default)]
struct Tally {
    rec: Recorder,
    per_service: BTreeMap<&'static str, (u64, u64)>,
    /// Times the worker fell more than a second behind its schedule (rate mode).
    behind: u64,
}

/// Sends one request on `stream` (connecting first if needed); the status, or an error.
async fn send(
    stream: &mut Option<TcpStream>,
    addr: SocketAddr,
    bytes: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    if stream.is_none() {
        *stream = Some(connect_raw(addr).await?);
    }
    let Some(s) = stream.as_mut() else {
        return Err("no connection".into());
    };
    if let Err(e) = s.write_all(bytes).await {
        *stream = None;
        return Err(format!("write: {e}"));
    }
    buf.clear();
    match read_response(s, buf).await {
        Ok(r) => {
            if r.close {
                *stream = None;
            }
            let body = buf[r.body_start..r.body_start + r.body_len].to_vec();
            Ok((r.status, body))
        }
        Err(e) => {
            *stream = None;
            Err(e)
        }
    }
}

async fn worker(
    cfg: Arc<Mixed>,
    w: usize,
    addr: SocketAddr,
    deadline: Instant,
    interval: Option<Duration>,
) -> Tally {
    let mut t = Tally::default();
    let mut maker = Maker::new(cfg, w);
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(16 * 1024);
    // Spread the workers' first requests over one interval.
    let mut next = Instant::now() + interval.map_or(Duration::ZERO, |i| i * w as u32 / 64);
    let mut k = 0u64;
    'run: loop {
        for step in 0..STEPS {
            if let Some(iv) = interval {
                let now = Instant::now();
                if next > now {
                    tokio::time::sleep_until(next.into()).await;
                } else if now - next > Duration::from_secs(1) {
                    t.behind += 1;
                    next = now;
                }
                next += iv;
            }
            if Instant::now() >= deadline {
                break 'run;
            }
            let req = maker.step(k, step);
            let t0 = Instant::now();
            let entry = t.per_service.entry(req.service).or_default();
            match send(&mut stream, addr, &req.bytes, &mut buf).await {
                Ok((status, body)) if (200..300).contains(&status) => {
                    entry.0 += 1;
                    t.rec.success(status, t0.elapsed().as_nanos() as u64);
                    let _ = body;
                }
                Ok((status, body)) => {
                    entry.1 += 1;
                    t.rec.failure(status, &body);
                }
                Err(e) => {
                    entry.1 += 1;
                    t.rec.io_error(&e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        k += 1;
    }
    t
}

/// Runs the mixed load for `duration` on `concurrency` connections, at `rate` requests/s
/// in total when given (otherwise closed loop), and returns the summary line.
pub fn run(
    cfg: Arc<Mixed>,
    addr: SocketAddr,
    concurrency: usize,
    duration: Duration,
    rate: Option<f64>,
    threads: usize,
) -> Result<serde_json::Value, String> {
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("building the tokio runtime: {e}"))?;
    rt.block_on(async move {
        // The bucket first: 200, or 409 BucketAlreadyOwnedByYou from an earlier run.
        let mut setup = Maker::new(cfg.clone(), 0);
        let mut stream = None;
        let mut buf = Vec::new();
        let (status, body) =
            send(&mut stream, addr, &setup.create_bucket().bytes, &mut buf).await?;
        if status != 200 && status != 409 {
            return Err(format!(
                "CreateBucket {}: HTTP {status}: {}",
                cfg.bucket,
                String::from_utf8_lossy(&body)
            ));
        }
        drop(stream);
        let interval = rate.map(|r| Duration::from_secs_f64(concurrency as f64 / r));
        let start = Instant::now();
        let deadline = start + duration;
        let tasks: Vec<_> = (0..concurrency)
            .map(|w| tokio::spawn(worker(cfg.clone(), w, addr, deadline, interval)))
            .collect();
        let mut all = Recorder::default();
        let mut per_service: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut behind = 0;
        for task in tasks {
            match task.await {
                Ok(t) => {
                    all.merge(t.rec);
                    for (k, (ok, bad)) in t.per_service {
                        let e = per_service.entry(k).or_default();
                        e.0 += ok;
                        e.1 += bad;
                    }
                    behind += t.behind;
                }
                Err(e) => all.io_error(&format!("worker panicked: {e}")),
            }
        }
        let mut out = all.summary("mixed", concurrency, start.elapsed().as_secs_f64());
        out["target_rps"] = rate.map(round1).into();
        out["behind"] = behind.into();
        out["per_service"] = per_service
            .iter()
            .map(|(k, (ok, bad))| {
                (
                    (*k).to_string(),
                    serde_json::json!({"ok": ok, "failed": bad}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maker() -> Maker {
        let cfg = Arc::new(Mixed {
            host: "127.0.0.1:4566".into(),
            access_key: "test".into(),
            secret_key: "test".into(),
            region: "us-east-1".into(),
            run_id: "r1".into(),
            bucket: "soak".into(),
        });
        Maker::new(cfg, 3)
    }

    #[test]
    fn a_cycle_covers_every_service_and_cleans_up_after_itself() {
        let mut m = maker();
        let steps: Vec<(String, &str)> = (0..STEPS)
            .map(|i| {
                let s = m.step(7, i);
                (String::from_utf8_lossy(&s.bytes).into_owned(), s.service)
            })
            .collect();
        let services: std::collections::BTreeSet<_> = steps.iter().map(|s| s.1).collect();
        assert_eq!(
            services.into_iter().collect::<Vec<_>>(),
            ["ec2", "iam", "monitoring", "s3", "sts"]
        );
        assert!(steps[1]
            .0
            .contains("Action=CreateUser&Version=2010-05-08&UserName=soak-r1-3-7"));
        assert!(steps[3]
            .0
            .contains("Action=DeleteUser&Version=2010-05-08&UserName=soak-r1-3-7"));
        assert!(steps[6]
            .0
            .contains("Action=DeleteSecurityGroup&Version=2016-11-15&GroupName=soak-r1-3-7"));
        assert!(steps[7].0.starts_with("PUT /soak/soak-r1-3-7 HTTP/1.1\r\n"));
        assert!(steps[7].0.contains("content-length: 4096\r\n"));
        assert!(steps[9]
            .0
            .starts_with("DELETE /soak/soak-r1-3-7 HTTP/1.1\r\n"));
        assert!(steps[7].0.contains(
            "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
        ));
    }

    #[test]
    fn the_put_signs_the_hash_of_its_body() {
        let mut m = maker();
        let s = String::from_utf8_lossy(&m.step(0, 7).bytes).into_owned();
        let body = &s[s.find("\r\n\r\n").unwrap() + 4..];
        let want = hex::encode(Sha256::digest(body.as_bytes()));
        assert!(s.contains(&format!("x-amz-content-sha256: {want}\r\n")));
    }
}
