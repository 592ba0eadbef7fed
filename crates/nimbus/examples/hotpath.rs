//! Measures the request pipeline in process, without sockets or hyper's connection code:
//! builds the same gateway `nimbus serve` does (`nimbus::app`, in memory), signs one
//! request and runs it through `nimbus_gateway::handle_collected` N times, printing ns per
//! request.
//! Use it (natively, or under `valgrind --tool=callgrind`) to see what the front door and
//! a handler cost apart from the kernel's TCP work.
//!
//! `cargo run --release -p nimbus --example hotpath -- [sts|describe-sg|put-metric] [N]`

use bytes::Bytes;
use nimbus_sigv4::SigningParams;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map_or("sts", String::as_str).to_string();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let app = nimbus::app::build(nimbus::app::Config::default()).expect("wiring");
        let (gw, clock) = (app.gateway, app.clock);
        let (service, ctype, target, body): (&str, &str, Option<&str>, &str) = match op.as_str() {
            "sts" => ("sts", "application/x-www-form-urlencoded; charset=utf-8", None,
                      "Action=GetCallerIdentity&Version=2011-06-15"),
            "describe-sg" => ("ec2", "application/x-www-form-urlencoded; charset=utf-8", None,
                      "Action=DescribeSecurityGroups&Version=2016-11-15"),
            "put-metric" => ("monitoring", "application/x-amz-json-1.0",
                      Some("GraniteServiceVersion20100801.PutMetricData"),
                      r#"{"Namespace":"Bench","MetricData":[{"MetricName":"Latency","Value":1.5,"Unit":"Milliseconds"}]}"#),
            other => panic!("unknown op {other}"),
        };
        let amz_date = clock.now().to_amz_date();
        let mut headers = http::HeaderMap::new();
        headers.insert("host", http::HeaderValue::from_static("127.0.0.1:4566"));
        headers.insert("content-type", http::HeaderValue::from_str(ctype).expect("ascii"));
        if let Some(t) = target {
            headers.insert("x-amz-target", http::HeaderValue::from_str(t).expect("ascii"));
            headers.insert("x-amzn-query-mode", http::HeaderValue::from_static("true"));
        }
        nimbus_sigv4::sign_request_for_tests(
            "POST", "/", "", &mut headers, body.as_bytes(),
            &SigningParams {
                access_key: "test", secret_access_key: "test", region: "us-east-1",
                service, amz_date: &amz_date, session_token: None,
            },
        );
        headers.insert("content-length", http::HeaderValue::from(body.len()));
        let make = || {
            let mut req = http::Request::new(());
            *req.method_mut() = http::Method::POST;
            *req.uri_mut() = http::Uri::from_static("/");
            *req.headers_mut() = headers.clone();
            req.into_parts().0
        };
        let body = Bytes::from(body.to_string());
        let first = nimbus_gateway::handle_collected(&gw, make(), body.clone(), None).await;
        assert_eq!(first.status(), 200, "the signed request must succeed");
        let (t0, c0) = (Instant::now(), cpu_ns());
        for _ in 0..n {
            let r = nimbus_gateway::handle_collected(&gw, make(), body.clone(), None).await;
            std::hint::black_box(r);
        }
        let ns = t0.elapsed().as_nanos() as f64 / n as f64;
        let cpu = (cpu_ns() - c0) as f64 / n as f64;
        println!("{op}: {n} requests in process, {ns:.0} ns wall and {cpu:.0} ns CPU per request");
    });
}

/// This process's user+system CPU time so far (from /proc/self/stat, clock ticks of 10 ms):
/// less disturbed than wall time when other work shares the cores.
fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 12th and 13th after ')'.
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) * 10_000_000
}
