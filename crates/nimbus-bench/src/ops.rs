//! The API calls the benchmark makes, as signed HTTP requests: what each operation's wire
//! request looks like (protocol, body, headers) and when it must be re-signed. It does not
//! send anything; `load` does.

use crate::sigv4::{amz_date_now, SignInput, Signer};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A signature is valid for 15 minutes; replayed requests are re-signed well before that.
const RESIGN_AFTER: Duration = Duration::from_secs(60);

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const JSON10: &str = "application/x-amz-json-1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// STS GetCallerIdentity (query protocol).
    Sts,
    /// EC2 DescribeSecurityGroups (ec2 protocol).
    DescribeSg,
    /// CloudWatch PutMetricData (JSON 1.0 with `x-amzn-query-mode`, as botocore sends it).
    PutMetric,
    /// EC2 CreateSecurityGroup with a unique name per request (a durable write).
    CreateSg,
    /// EC2 DescribeSubnets, no parameters (a new account's default subnets).
    DescribeSubnets,
    /// EC2 DescribeImages as the console flow finds Amazon Linux 2: `--owners amazon` and a
    /// name filter with a wildcard.
    DescribeImages,
    /// EC2 DescribeLaunchTemplateVersions of the launch template named [`LAUNCH_TEMPLATE`]
    /// (the harness creates it first).
    DescribeLtVersions,
}

/// The launch template `describe-lt-versions` reads (created by `bench/run.py`).
pub const LAUNCH_TEMPLATE: &str = "nimbus-bench";

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "sts" => Op::Sts,
            "describe-sg" => Op::DescribeSg,
            "put-metric" => Op::PutMetric,
            "create-sg" => Op::CreateSg,
            "describe-subnets" => Op::DescribeSubnets,
            "describe-images" => Op::DescribeImages,
            "describe-lt-versions" => Op::DescribeLtVersions,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Sts => "sts",
            Op::DescribeSg => "describe-sg",
            Op::PutMetric => "put-metric",
            Op::CreateSg => "create-sg",
            Op::DescribeSubnets => "describe-subnets",
            Op::DescribeImages => "describe-images",
            Op::DescribeLtVersions => "describe-lt-versions",
        }
    }

    fn service(self) -> &'static str {
        match self {
            Op::Sts => "sts",
            Op::DescribeSg
            | Op::CreateSg
            | Op::DescribeSubnets
            | Op::DescribeImages
            | Op::DescribeLtVersions => "ec2",
            Op::PutMetric => "monitoring",
        }
    }

    /// Whether every request differs (and so is signed on its own).
    fn unique(self) -> bool {
        matches!(self, Op::CreateSg)
    }
}

/// Settings shared by every worker of a run.
#[derive(Debug)]
pub struct Target {
    pub op: Op,
    /// `host[:port]` as sent in the `Host` header (and signed).
    pub host: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// Distinguishes this run's security-group names from earlier runs against the same server.
    pub run_id: String,
    /// Next sequence number for unique requests, shared by all workers.
    pub seq: AtomicU64,
}

impl Target {
    pub fn new(
        op: Op,
        host: String,
        access_key: &str,
        secret_key: &str,
        region: &str,
    ) -> Arc<Target> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let run_id = format!(
            "{:x}",
            (nanos as u64) ^ (u64::from(std::process::id()) << 40)
        );
        Arc::new(Target {
            op,
            host,
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            region: region.to_string(),
            run_id,
            seq: AtomicU64::new(0),
        })
    }
}

/// A signed request, kept as parts so it can be replayed cheaply (cloning a `HeaderMap`
/// shares its values; building one from strings per request cost the client measurably).
#[derive(Debug, Clone)]
pub struct Signed {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Signed {
    /// The request as HTTP/1.1 bytes, for the raw client and the blocking readiness probe.
    pub fn to_http1(&self) -> Vec<u8> {
        let mut out = b"POST / HTTP/1.1\r\n".to_vec();
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Builds one worker's requests; each worker owns one (no locks on the hot path).
#[derive(Debug)]
pub struct RequestMaker {
    target: Arc<Target>,
    signer: Signer,
    cached: Option<(Instant, Signed)>,
    cached_http1: Option<(Instant, Bytes)>,
}

fn value(s: &str) -> HeaderValue {
    // Every value here is ASCII built by this crate (dates, hex, the host, fixed strings).
    HeaderValue::from_str(s).expect("header values are visible ASCII")
}

impl RequestMaker {
    pub fn new(target: Arc<Target>) -> Self {
        let signer = Signer::new(
            &target.access_key,
            &target.secret_key,
            &target.region,
            target.op.service(),
        );
        RequestMaker {
            target,
            signer,
            cached: None,
            cached_http1: None,
        }
    }

    fn body(&self) -> (String, &'static str, Option<&'static str>) {
        match self.target.op {
            Op::Sts => ("Action=GetCallerIdentity&Version=2011-06-15".into(), FORM, None),
            Op::DescribeSg => ("Action=DescribeSecurityGroups&Version=2016-11-15".into(), FORM, None),
            Op::DescribeSubnets => ("Action=DescribeSubnets&Version=2016-11-15".into(), FORM, None),
            // Byte for byte what `aws ec2 describe-images --owners amazon --filters
            // Name=name,Values=amzn2-ami-hvm-2.0.*-x86_64-gp2` sends (botocore escapes `*`).
            Op::DescribeImages => (
                "Action=DescribeImages&Version=2016-11-15&Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=amzn2-ami-hvm-2.0.%2A-x86_64-gp2".into(),
                FORM,
                None,
            ),
            Op::DescribeLtVersions => (
                format!("Action=DescribeLaunchTemplateVersions&Version=2016-11-15&LaunchTemplateName={LAUNCH_TEMPLATE}"),
                FORM,
                None,
            ),
            Op::PutMetric => (
                r#"{"Namespace":"Bench","MetricData":[{"MetricName":"Latency","Value":1.5,"Unit":"Milliseconds"}]}"#.into(),
                JSON10,
                Some("GraniteServiceVersion20100801.PutMetricData"),
            ),
            Op::CreateSg => {
                let n = self.target.seq.fetch_add(1, Ordering::Relaxed);
                (
                    format!(
                        "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=bench-{}-{n}&GroupDescription=bench",
                        self.target.run_id
                    ),
                    FORM,
                    None,
                )
            }
        }
    }

    /// Signs a fresh request of this worker's operation.
    pub fn sign_new(&mut self) -> Signed {
        let (body, content_type, amz_target) = self.body();
        let date = amz_date_now();
        let mut to_sign: Vec<(&str, &str)> = vec![
            ("content-type", content_type),
            ("host", &self.target.host),
            ("x-amz-date", &date),
        ];
        if let Some(t) = amz_target {
            to_sign.push(("x-amz-target", t));
            to_sign.push(("x-amzn-query-mode", "true"));
        }
        let auth = self.signer.authorization(&SignInput {
            method: "POST",
            path: "/",
            query: "",
            headers: &to_sign,
            payload: body.as_bytes(),
            amz_date: &date,
        });
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(HOST, value(&self.target.host));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert("x-amz-date", value(&date));
        headers.insert(AUTHORIZATION, value(&auth));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(t) = amz_target {
            headers.insert("x-amz-target", HeaderValue::from_static(t));
            headers.insert("x-amzn-query-mode", HeaderValue::from_static("true"));
        }
        Signed {
            headers,
            body: Bytes::from(body),
        }
    }

    /// The next request as HTTP/1.1 bytes (for the raw client), cached like [`Self::next`].
    pub fn next_http1(&mut self) -> Bytes {
        if self.target.op.unique() {
            return Bytes::from(self.sign_new().to_http1());
        }
        match &self.cached_http1 {
            Some((at, b)) if at.elapsed() < RESIGN_AFTER => b.clone(),
            _ => {
                let b = Bytes::from(self.sign_new().to_http1());
                self.cached_http1 = Some((Instant::now(), b.clone()));
                b
            }
        }
    }

    /// The next request: a freshly signed one for unique operations, otherwise the cached
    /// signed request, re-signed once a minute.
    pub fn next(&mut self) -> Request<Full<Bytes>> {
        let signed = if self.target.op.unique() {
            self.sign_new()
        } else {
            match &self.cached {
                Some((at, s)) if at.elapsed() < RESIGN_AFTER => s.clone(),
                _ => {
                    let s = self.sign_new();
                    self.cached = Some((Instant::now(), s.clone()));
                    s
                }
            }
        };
        let mut req = Request::new(Full::new(signed.body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = Uri::from_static("/");
        *req.headers_mut() = signed.headers;
        req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sg_requests_are_unique_and_signed() {
        let t = Target::new(
            Op::CreateSg,
            "127.0.0.1:4566".into(),
            "test",
            "test",
            "us-east-1",
        );
        let mut m = RequestMaker::new(t);
        let a = m.sign_new();
        let b = m.sign_new();
        assert_ne!(a.body, b.body);
        let auth = a.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=test/"),
            "{auth}"
        );
        assert!(auth.contains(
            "/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ));
    }

    #[test]
    fn describe_requests_are_the_clis() {
        // Bodies and signed headers as `aws ec2 describe-…` sends them (captured with
        // `aws --debug` from aws-cli 1.45 / botocore 1.43).
        let cases = [
            (Op::DescribeSubnets, "Action=DescribeSubnets&Version=2016-11-15"),
            (
                Op::DescribeImages,
                "Action=DescribeImages&Version=2016-11-15&Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=amzn2-ami-hvm-2.0.%2A-x86_64-gp2",
            ),
            (
                Op::DescribeLtVersions,
                "Action=DescribeLaunchTemplateVersions&Version=2016-11-15&LaunchTemplateName=nimbus-bench",
            ),
        ];
        for (op, body) in cases {
            assert_eq!(Op::parse(op.name()), Some(op));
            let t = Target::new(op, "127.0.0.1:4566".into(), "test", "test", "us-east-1");
            let s = RequestMaker::new(t).sign_new();
            assert_eq!(s.body, body.as_bytes());
            assert_eq!(s.headers["content-type"], FORM);
            assert!(s.headers["authorization"].to_str().unwrap().contains(
                "/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
            ));
        }
    }

    #[test]
    fn put_metric_signs_its_target_header() {
        let t = Target::new(
            Op::PutMetric,
            "localhost".into(),
            "test",
            "test",
            "us-east-1",
        );
        let mut m = RequestMaker::new(t);
        let req = m.next();
        assert_eq!(
            req.headers()["x-amz-target"],
            "GraniteServiceVersion20100801.PutMetricData"
        );
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-amzn-query-mode,"));
    }
}
