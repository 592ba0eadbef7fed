//! `nimbus-bench`: the compiled load generator behind `scripts/bench`. It signs real SigV4
//! requests itself and drives a server (Nimbus or a peer such as moto) hard enough that the
//! client is not what limits the measurement — boto3 tops out near a thousand calls a second.
//! It prints one JSON line per run. Starting servers, RSS and the comparison table are the
//! harness's job (`bench/run.py`), not this binary's.

mod first_answer;
mod load;
mod mixed;
mod noop;
mod ops;
mod sigv4;
mod stats;

use first_answer::Creds;
use ops::{Op, RequestMaker, Target};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: nimbus-bench --op OP [options]

ops:
  sts            STS GetCallerIdentity (query protocol)
  describe-sg    EC2 DescribeSecurityGroups
  put-metric     CloudWatch PutMetricData (JSON 1.0, x-amzn-query-mode)
  create-sg      EC2 CreateSecurityGroup, a unique group per request (signed per request)
  mixed          the soak cycle: STS, IAM, EC2, S3 and CloudWatch calls that create, read
                 and delete their own resources (raw client; --duration only; see mixed.rs)
  describe-subnets      EC2 DescribeSubnets
  describe-images       EC2 DescribeImages --owners amazon, name filter amzn2-ami-hvm-2.0.*-x86_64-gp2
  describe-lt-versions  EC2 DescribeLaunchTemplateVersions of launch template `nimbus-bench`
  first-answer   spawn --exec, report ms from spawn to the first 200 to GetCallerIdentity
  wait           wait until --endpoint answers GetCallerIdentity with 200
  sign           sign create-sg requests in a loop, no network (the signer's own speed)
  serve-noop     serve a fixed 200 on --listen until killed (this machine's HTTP ceiling)

options:
  --endpoint URL       http://HOST:PORT (first-answer: default http://127.0.0.1:{port})
  --concurrency N      connections, each with one request in flight (default 32)
  --duration SECS      run length (default 10; wait/first-answer: timeout, default 30)
  --count N            total requests instead of a duration (first-answer: starts, default 1)
  --threads N          client runtime threads (default 1)
  --client raw|hyper   raw (default): pre-serialised HTTP/1.1 bytes, minimal parsing;
                       hyper: hyper's full client (costs the client ~3x more CPU)
  --exec CMDLINE       first-answer: server command; {port} = a free port, {run} = start index
  --access-key KEY     (default test)
  --secret-key KEY     (default test)
  --region REGION      (default us-east-1)
  --listen ADDR        serve-noop: where to listen (default 127.0.0.1:0)
  --rate RPS           mixed: total requests/s spread over the connections (default: closed loop)
  --bucket NAME        mixed: the S3 bucket it creates and uses (default nimbus-soak)

Output: one JSON line, {\"op\",\"concurrency\",\"requests\",\"errors\",\"seconds\",\"rps\",\"p50_us\",\"p99_us\",...};
requests and rps count 2xx answers only, errors has the rest (see status, sample_error).";

#[derive(Debug)]
struct Args {
    op: String,
    endpoint: Option<String>,
    concurrency: usize,
    duration: Option<f64>,
    count: Option<u64>,
    threads: usize,
    client: load::Client,
    listen: String,
    exec: Option<String>,
    rate: Option<f64>,
    bucket: String,
    creds: Creds,
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut a = Args {
        op: String::new(),
        endpoint: None,
        concurrency: 32,
        duration: None,
        count: None,
        threads: 1,
        client: load::Client::Raw,
        listen: "127.0.0.1:0".into(),
        exec: None,
        rate: None,
        bucket: "nimbus-soak".into(),
        creds: Creds {
            access_key: "test".into(),
            secret_key: "test".into(),
            region: "us-east-1".into(),
        },
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if flag.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        let num = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or(format!("{name}: not a positive number: {v:?}"))
        };
        let int = |v: &str| {
            v.parse::<u64>()
                .ok()
                .filter(|x| *x > 0)
                .ok_or(format!("{name}: not a positive integer: {v:?}"))
        };
        match name {
            "--op" => a.op = value,
            "--endpoint" => a.endpoint = Some(value),
            "--concurrency" | "-c" => a.concurrency = int(&value)? as usize,
            "--duration" | "-d" => a.duration = Some(num(&value)?),
            "--count" | "-n" => a.count = Some(int(&value)?),
            "--threads" => a.threads = int(&value)? as usize,
            "--exec" => a.exec = Some(value),
            "--listen" => a.listen = value,
            "--rate" => a.rate = Some(num(&value)?),
            "--bucket" => a.bucket = value,
            "--client" => {
                a.client = match value.as_str() {
                    "raw" => load::Client::Raw,
                    "hyper" => load::Client::Hyper,
                    _ => return Err(format!("--client: raw or hyper, not {value:?}")),
                }
            }
            "--access-key" => a.creds.access_key = value,
            "--secret-key" => a.creds.secret_key = value,
            "--region" => a.creds.region = value,
            _ => return Err(format!("unknown flag {name}")),
        }
    }
    if a.op.is_empty() {
        return Err("--op is required".into());
    }
    if a.duration.is_some() && a.count.is_some() && !matches!(a.op.as_str(), "first-answer") {
        return Err("give --duration or --count, not both".into());
    }
    Ok(a)
}

fn run(a: Args) -> Result<serde_json::Value, String> {
    let timeout = Duration::from_secs_f64(a.duration.unwrap_or(30.0));
    match a.op.as_str() {
        "first-answer" => {
            let exec = a.exec.as_deref().ok_or("first-answer needs --exec")?;
            first_answer::first_answer(
                exec,
                a.endpoint.as_deref(),
                a.count.unwrap_or(1),
                &a.creds,
                timeout,
            )
        }
        "wait" => first_answer::wait(
            a.endpoint.as_deref().ok_or("wait needs --endpoint")?,
            &a.creds,
            timeout,
        ),
        "sign" => Ok(sign_speed(&a)),
        "serve-noop" => noop::serve(&a.listen).map(|()| serde_json::Value::Null),
        "mixed" => {
            if a.count.is_some() {
                return Err("mixed runs for --duration, not --count".into());
            }
            let endpoint = a.endpoint.as_deref().ok_or("--endpoint is required")?;
            let (host, addr) = first_answer::parse_endpoint(endpoint)?;
            let run_id = Target::new(Op::Sts, String::new(), "", "", "")
                .run_id
                .clone();
            let cfg = std::sync::Arc::new(mixed::Mixed {
                host,
                access_key: a.creds.access_key.clone(),
                secret_key: a.creds.secret_key.clone(),
                region: a.creds.region.clone(),
                run_id,
                bucket: a.bucket.clone(),
            });
            let duration = Duration::from_secs_f64(a.duration.unwrap_or(10.0));
            let mut out = mixed::run(cfg, addr, a.concurrency, duration, a.rate, a.threads)?;
            out["threads"] = a.threads.into();
            Ok(out)
        }
        name => {
            let op = Op::parse(name).ok_or_else(|| format!("unknown --op {name:?}"))?;
            let endpoint = a.endpoint.as_deref().ok_or("--endpoint is required")?;
            let (host, addr) = first_answer::parse_endpoint(endpoint)?;
            let limit = match a.count {
                Some(n) => load::Limit::Count(n),
                None => load::Limit::Duration(Duration::from_secs_f64(a.duration.unwrap_or(10.0))),
            };
            let target = Target::new(
                op,
                host,
                &a.creds.access_key,
                &a.creds.secret_key,
                &a.creds.region,
            );
            let mut out = load::run(target, addr, a.concurrency, limit, a.threads, a.client);
            out["threads"] = a.threads.into();
            out["client"] = format!("{:?}", a.client).to_lowercase().into();
            Ok(out)
        }
    }
}

/// How fast one thread signs unique create-sg requests: the signer must be far faster than
/// any server it measures, or create-sg would measure the client.
fn sign_speed(a: &Args) -> serde_json::Value {
    let target = Target::new(
        Op::CreateSg,
        "127.0.0.1:4566".into(),
        &a.creds.access_key,
        &a.creds.secret_key,
        &a.creds.region,
    );
    let mut maker = RequestMaker::new(target);
    let count = a.count.unwrap_or(u64::MAX);
    let deadline = match (a.duration, a.count) {
        (Some(d), _) => Duration::from_secs_f64(d),
        (None, Some(_)) => Duration::MAX,
        (None, None) => Duration::from_secs(2),
    };
    let t0 = Instant::now();
    let mut n = 0u64;
    while n < count && (!n.is_multiple_of(256) || t0.elapsed() < deadline) {
        std::hint::black_box(maker.next());
        n += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    serde_json::json!({
        "op": "sign", "concurrency": 1, "requests": n, "errors": 0, "seconds": stats::round3(secs),
        "rps": stats::round1(n as f64 / secs), "us_per_request": stats::round3(secs * 1e6 / n as f64),
    })
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("nimbus-bench: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    match run(args) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("nimbus-bench: {e}");
            std::process::exit(1);
        }
    }
}
