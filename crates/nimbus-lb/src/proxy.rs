//! The Application Load Balancer's request path (HTTP/1.1 and HTTP/2 from clients, HTTP/1.1
//! to targets). Each request loads the current
//! snapshot (lock-free), finds its balancer and listener by the node address and port it
//! arrived on, evaluates the listener's rules by priority, and answers a fixed response, a
//! redirect, or forwards to a target: weighted target groups (group stickiness with
//! `AWSALBTG`/`AWSALBTGCORS`), target stickiness cookies (`AWSALB`/`AWSALBCORS`,
//! `AWSALBAPP-0`), then the group's algorithm over the healthy targets (all of them when
//! none is healthy): round robin, least outstanding requests (a request counts as
//! outstanding until its response headers arrive), or random. Forwarded requests carry
//! `X-Forwarded-For` (appended, preserved or removed as the balancer's attributes say),
//! `X-Forwarded-Proto` (`https` on HTTPS listeners)/`-Port` and `X-Amzn-Trace-Id`, and go through one keep-alive
//! connection pool. WebSocket (any `Upgrade`) requests are passed on and, on a `101`, the
//! two upgraded connections are joined byte for byte until either side closes. Every answer
//! gets the listener's response header settings (`routing.http.response.*`: security and
//! CORS headers, and whether the balancer's own answers say `Server: awselb/2.0`). Failures are
//! classified by origin as AWS does: no target → 503, a target that refuses or resets →
//! 502, no connection within the connect timeout (10 s) or no answer within the idle
//! timeout → 504, each with the balancer's own HTML body.

use crate::config::{
    Action, Algorithm, Balancer, Redirect, Rule, Stickiness, Target, TargetGroup, Xff,
};
use crate::connect::TargetConnector;
use crate::select::{self, RequestFacts};
use crate::Plane;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use nimbus_core::{Clock, Timestamp};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What every ALB connection shares.
pub struct Alb {
    pub plane: Arc<Plane>,
    pub clock: Arc<dyn Clock>,
    client: Client<TargetConnector, Incoming>,
    trace_seq: AtomicU64,
}

impl Alb {
    pub fn new(plane: Arc<Plane>, clock: Arc<dyn Clock>) -> Arc<Self> {
        // IP targets are connected from the host, instance targets inside their VPC
        // (`connect`); one pool for both, keyed by target.
        let conn = TargetConnector::new(&plane);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build(conn);
        Arc::new(Alb {
            plane,
            clock,
            client,
            trace_seq: AtomicU64::new(0),
        })
    }
}

fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// The balancer's own error page (AWS's shape: a small HTML page, `Server: awselb/2.0`).
pub fn error_page(status: StatusCode) -> Response<Body> {
    let line = format!(
        "{} {}",
        status.as_u16(),
        match status.as_u16() {
            502 => "Bad Gateway",
            503 => "Service Temporarily Unavailable",
            504 => "Gateway Time-out",
            400 => "Bad Request",
            _ => status.canonical_reason().unwrap_or(""),
        }
    );
    let body = format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    r
}

fn fixed(status: u16, content_type: Option<&str>, body: &str) -> Response<Body> {
    let mut r = Response::new(full(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    h.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    let ct = content_type.unwrap_or("text/plain; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(ct) {
        h.insert(header::CONTENT_TYPE, v);
    }
    r
}

/// Fills a redirect's `#{…}` placeholders from a plain HTTP request and builds the
/// `Location`.
pub fn redirect_location(r: &Redirect, host: &str, port: u16, path: &str, query: &str) -> String {
    redirect_location_for(r, "http", host, port, path, query)
}

/// [`redirect_location`] for a request that arrived over `scheme` (`http` or `https`).
pub fn redirect_location_for(
    r: &Redirect,
    scheme: &str,
    host: &str,
    port: u16,
    path: &str,
    query: &str,
) -> String {
    let sub = |s: &str| {
        s.replace("#{protocol}", scheme)
            .replace("#{host}", host)
            .replace("#{port}", &port.to_string())
            .replace("#{path}", path.trim_start_matches('/'))
            .replace("#{query}", query)
    };
    let proto = sub(&r.protocol).to_ascii_lowercase();
    let port_s = sub(&r.port);
    let default = (proto == "http" && port_s == "80") || (proto == "https" && port_s == "443");
    let mut loc = format!("{proto}://{}", sub(&r.host));
    if !default && !port_s.is_empty() {
        loc.push(':');
        loc.push_str(&port_s);
    }
    let p = sub(&r.path);
    loc.push_str(if p.is_empty() { "/" } else { &p });
    let q = sub(&r.query);
    if !q.is_empty() {
        loc.push('?');
        loc.push_str(&q);
    }
    loc
}

const HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

fn strip_hop(h: &mut HeaderMap) {
    if let Some(c) = h
        .get(header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    {
        for name in c.split(',') {
            if let Ok(n) = HeaderName::from_bytes(name.trim().as_bytes()) {
                h.remove(n);
            }
        }
    }
    for n in HOP {
        h.remove(n);
    }
}

impl Alb {
    fn trace_id(&self) -> String {
        let secs = self.clock.real_now().secs();
        let n = self.trace_seq.fetch_add(1, Ordering::Relaxed);
        let mut r = [0u8; 8];
        let _ = getrandom::getrandom(&mut r);
        format!(
            "1-{:08x}-{:08x}{:016x}",
            secs as u32,
            n as u32,
            u64::from_le_bytes(r)
        )
    }

    /// Answers one request that arrived on `local` from `peer`, with the listener's
    /// response header settings applied.
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Response<Body>, std::convert::Infallible> {
        let snap = self.plane.snapshot();
        let mut resp = self.clone().answer(req, local, peer).await?;
        let lb = match local.ip() {
            IpAddr::V4(ip) => snap.balancer_at(ip).map(|lb| (lb, node_zone(lb, ip))),
            IpAddr::V6(_) => None,
        };
        // CloudWatch's counters: a target's answer (marked by `forward`) or the balancer's own.
        if let Some((lb, zone)) = lb {
            let zone = zone.unwrap_or("");
            let status = resp.status().as_u16();
            match resp.extensions_mut().remove::<Served>() {
                Some(s) => self
                    .plane
                    .meters
                    .get(&lb.arn, &s.group, zone)
                    .target(status, s.took),
                None => self.plane.meters.get(&lb.arn, "", zone).elb(status),
            }
        }
        let listener = lb.and_then(|(lb, _)| lb.listeners.iter().find(|l| l.port == local.port()));
        if let Some(l) = listener {
            let h = resp.headers_mut();
            if !l.server_header && h.get(header::SERVER).is_some_and(|v| v == "awselb/2.0") {
                h.remove(header::SERVER);
            }
            for (name, value) in &l.response_headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    h.insert(n, v);
                }
            }
        }
        Ok(resp)
    }

    async fn answer(
        self: Arc<Self>,
        req: Request<Incoming>,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> Result<Response<Body>, std::convert::Infallible> {
        let snap = self.plane.snapshot();
        let IpAddr::V4(node_ip) = local.ip() else {
            return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE));
        };
        let Some(lb) = snap.balancer_at(node_ip) else {
            return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE));
        };
        let Some(listener) = lb.listeners.iter().find(|l| l.port == local.port()) else {
            return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE));
        };
        let host_full = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_default();
        let host = host_full
            .rsplit_once(':')
            .map_or(host_full.as_str(), |(h, p)| {
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    host_full.as_str()
                }
            });
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let rule = {
            let facts = RequestFacts {
                host,
                path: &path,
                method: req.method().as_str(),
                query: &query,
                headers: req
                    .headers()
                    .iter()
                    .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
                    .collect(),
                source: Some(peer.ip()),
            };
            select::matches(&listener.rules, &facts).cloned()
        };
        let Some(rule) = rule else {
            return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE));
        };
        match &rule.action {
            Action::Fixed {
                status,
                content_type,
                body,
            } => Ok(fixed(*status, content_type.as_deref(), body)),
            Action::Redirect(r) => {
                let scheme = if listener.protocol == crate::config::Protocol::Https {
                    "https"
                } else {
                    "http"
                };
                let loc = redirect_location_for(r, scheme, host, listener.port, &path, &query);
                let mut resp = fixed(r.status, Some("text/html"), "");
                *resp.status_mut() =
                    StatusCode::from_u16(r.status).unwrap_or(StatusCode::MOVED_PERMANENTLY);
                if let Ok(v) = HeaderValue::from_str(&loc) {
                    resp.headers_mut().insert(header::LOCATION, v);
                }
                Ok(resp)
            }
            Action::Forward(groups) => {
                // Group-level stickiness: the AWSALBTG cookie names the group of this rule.
                let stuck = rule.group_stickiness.and_then(|_| {
                    let cookies = req
                        .headers()
                        .get_all(header::COOKIE)
                        .iter()
                        .filter_map(|v| v.to_str().ok());
                    let g = select::decode_group(select::cookie(cookies, "AWSALBTG")?, &rule.arn)?;
                    groups.iter().any(|(a, w)| *a == g && *w > 0).then_some(g)
                });
                let n = self.plane.next(&rule.arn);
                let chosen = stuck.as_deref().or_else(|| select::pick_group(groups, n));
                let Some(g) = chosen.and_then(|a| snap.groups.get(a)) else {
                    return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE));
                };
                let g = g.clone();
                let secure = listener.protocol == crate::config::Protocol::Https;
                let mut resp = self
                    .forward(
                        req,
                        lb,
                        (listener.port, secure),
                        &g,
                        node_zone(lb, node_ip),
                        peer,
                    )
                    .await;
                self.set_group_sticky(&mut resp, &rule, &g.arn);
                Ok(resp)
            }
        }
    }

    async fn forward(
        &self,
        mut req: Request<Incoming>,
        lb: &Balancer,
        (port, secure): (u16, bool),
        g: &TargetGroup,
        zone: Option<&str>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let view = self.plane.health.view();
        let candidates = select::eligible(g, &view, zone, lb.cross_zone);
        if candidates.is_empty() {
            return error_page(StatusCode::SERVICE_UNAVAILABLE);
        }
        let sticky_name = select::sticky_cookie(&g.stickiness);
        let stuck = sticky_name.and_then(|name| {
            let cookies = req
                .headers()
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let v = select::cookie(cookies, name)?;
            let addr = select::decode_target(v, &g.arn)?;
            candidates.iter().find(|t| t.addr() == addr).copied()
        });
        let target = match stuck {
            Some(t) => t,
            None => self.choose(g, &candidates),
        };
        let addr = target.addr();
        let inflight = self.plane.inflight(&format!("{}|{addr}", g.arn));
        inflight.fetch_add(1, Ordering::Relaxed);
        let _done = Decrement(inflight);
        // A protocol upgrade (WebSocket): the Upgrade header goes on to the target, and on a
        // 101 both upgraded connections are joined.
        let upgrade = is_upgrade(req.headers()).then(|| {
            let proto = req.headers().get(header::UPGRADE).cloned();
            (proto, hyper::upgrade::on(&mut req))
        });
        let (mut parts, body) = req.into_parts();
        // An HTTP/2 request names its host in `:authority`; the target gets it as `Host`.
        if !parts.headers.contains_key(header::HOST) {
            if let Some(v) = parts
                .uri
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            {
                parts.headers.insert(header::HOST, v);
            }
        }
        let pq = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        parts.uri = match Uri::builder()
            .scheme("http")
            .authority(crate::connect::authority(target, addr.port()))
            .path_and_query(pq)
            .build()
        {
            Ok(u) => u,
            Err(_) => return error_page(StatusCode::BAD_REQUEST),
        };
        parts.version = http::Version::HTTP_11;
        let h = &mut parts.headers;
        strip_hop(h);
        if let Some((Some(proto), _)) = &upgrade {
            h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            h.insert(header::UPGRADE, proto.clone());
        }
        match lb.xff {
            Xff::Append { client_port } => {
                let me = if client_port {
                    peer.to_string()
                } else {
                    peer.ip().to_string()
                };
                let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
                    Some(prev) => format!("{prev}, {me}"),
                    None => me,
                };
                if let Ok(v) = HeaderValue::from_str(&xff) {
                    h.insert("x-forwarded-for", v);
                }
            }
            Xff::Preserve => {}
            Xff::Remove => {
                h.remove("x-forwarded-for");
            }
        }
        h.insert(
            "x-forwarded-proto",
            HeaderValue::from_static(if secure { "https" } else { "http" }),
        );
        h.insert("x-forwarded-port", HeaderValue::from(port));
        let trace = match h.get("x-amzn-trace-id").and_then(|v| v.to_str().ok()) {
            Some(prev) if prev.contains("Root=") => format!("Self={};{prev}", self.trace_id()),
            _ => format!("Root={}", self.trace_id()),
        };
        if let Ok(v) = HeaderValue::from_str(&trace) {
            h.insert("x-amzn-trace-id", v);
        }
        let upstream = Request::from_parts(parts, body);
        let started = std::time::Instant::now();
        let sent = tokio::time::timeout(lb.idle_timeout, self.client.request(upstream)).await;
        let took = started.elapsed();
        let mut target_resp = match sent {
            Err(_) => return error_page(StatusCode::GATEWAY_TIMEOUT),
            // A connection that could not be made within the connect timeout (10 s, as
            // AWS's) is a timeout too; a refused or reset one is a bad gateway.
            Ok(Err(e)) if timed_out(&e) => return error_page(StatusCode::GATEWAY_TIMEOUT),
            Ok(Err(_)) => return error_page(StatusCode::BAD_GATEWAY),
            Ok(Ok(r)) => r,
        };
        if let (Some((_, client_side)), StatusCode::SWITCHING_PROTOCOLS) =
            (upgrade, target_resp.status())
        {
            let target_side = hyper::upgrade::on(&mut target_resp);
            // The joined connection lives until either side closes it.
            tokio::spawn(async move {
                if let (Ok(c), Ok(t)) = (client_side.await, target_side.await) {
                    let (mut c, mut t) = (TokioIo::new(c), TokioIo::new(t));
                    let _ = tokio::io::copy_bidirectional(&mut c, &mut t).await;
                }
            });
            return target_resp.map(|b| b.boxed());
        }
        let mut resp = target_resp.map(|b| b.boxed());
        resp.extensions_mut().insert(Served {
            group: g.arn.clone(),
            took,
        });
        strip_hop(resp.headers_mut());
        // Framing is the client connection's own (HTTP/2 forbids the header outright).
        resp.headers_mut().remove(header::TRANSFER_ENCODING);
        self.set_sticky(&mut resp, g, addr);
        resp
    }

    /// The next target among `candidates` by the group's algorithm.
    fn choose<'t>(&self, g: &TargetGroup, candidates: &[&'t Target]) -> &'t Target {
        let n = self.plane.next(&g.arn);
        match g.algorithm {
            Algorithm::RoundRobin => candidates[n % candidates.len()],
            Algorithm::WeightedRandom => {
                let mut r = [0u8; 8];
                let _ = getrandom::getrandom(&mut r);
                candidates[(u64::from_le_bytes(r) % candidates.len() as u64) as usize]
            }
            Algorithm::LeastOutstanding => {
                // Fewest in flight; among equals, round robin.
                let len = candidates.len();
                (0..len)
                    .map(|i| candidates[(n + i) % len])
                    .min_by_key(|t| {
                        self.plane
                            .inflight(&format!("{}|{}", g.arn, t.addr()))
                            .load(Ordering::Relaxed)
                    })
                    .unwrap_or(candidates[0])
            }
        }
    }

    /// Adds `AWSALBTG` / `AWSALBTGCORS` naming `group` when `rule` has group stickiness.
    fn set_group_sticky(&self, resp: &mut Response<Body>, rule: &Rule, group: &str) {
        let Some(duration) = rule.group_stickiness else {
            return;
        };
        let value = select::encode_group(&rule.arn, group);
        let expires =
            Timestamp(self.clock.real_now().0 + duration.as_millis() as i64).to_http_date();
        for c in [
            format!("AWSALBTG={value}; Expires={expires}; Path=/"),
            format!("AWSALBTGCORS={value}; Expires={expires}; Path=/; SameSite=None; Secure"),
        ] {
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }

    /// Adds the stickiness cookies of `g` naming `addr` to a target's response.
    fn set_sticky(&self, resp: &mut Response<Body>, g: &TargetGroup, addr: std::net::SocketAddr) {
        let sets_app_cookie = |resp: &Response<Body>, cookie: &str| {
            resp.headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|c| c.split('=').next().is_some_and(|n| n.trim() == cookie))
        };
        let (name, duration) = match &g.stickiness {
            Stickiness::None => return,
            Stickiness::LbCookie { duration } => ("AWSALB", Some(*duration)),
            Stickiness::AppCookie { cookie, duration } => {
                // Application-based stickiness follows the application's own cookie.
                if !sets_app_cookie(resp, cookie) {
                    return;
                }
                ("AWSALBAPP-0", Some(*duration))
            }
            Stickiness::ElbCookie { duration } => ("AWSELB", *duration),
            Stickiness::ElbAppCookie { cookie } => {
                if !sets_app_cookie(resp, cookie) {
                    return;
                }
                ("AWSELB", None)
            }
        };
        let value = select::encode_target(&g.arn, addr);
        let expires = duration
            .map(|d| Timestamp(self.clock.real_now().0 + d.as_millis() as i64).to_http_date());
        let h = resp.headers_mut();
        let mut add = |c: String| {
            if let Ok(v) = HeaderValue::from_str(&c) {
                h.append(header::SET_COOKIE, v);
            }
        };
        let expires = expires.map_or_else(String::new, |e| format!("; Expires={e}"));
        add(format!("{name}={value}{expires}; Path=/"));
        if name == "AWSALB" {
            add(format!(
                "AWSALBCORS={value}{expires}; Path=/; SameSite=None; Secure"
            ));
        }
    }
}

/// Whether a client error comes from a connection attempt that timed out.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Whether a request asks for a protocol upgrade (`Connection: upgrade` and `Upgrade`).
fn is_upgrade(h: &HeaderMap) -> bool {
    h.contains_key(header::UPGRADE)
        && h.get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

/// Marks a response a target gave (for the metrics `handle` counts): its target group and
/// how long the target took to answer.
#[derive(Clone, Debug)]
struct Served {
    group: String,
    took: std::time::Duration,
}

/// Lowers an in-flight count when the request is answered (or fails).
struct Decrement(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Decrement {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn node_zone(lb: &Balancer, ip: std::net::Ipv4Addr) -> Option<&str> {
    lb.nodes
        .iter()
        .find(|n| n.addr == ip)
        .map(|n| n.zone.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_fill_placeholders_and_drop_default_ports() {
        let r = Redirect {
            protocol: "HTTPS".into(),
            host: "#{host}".into(),
            port: "443".into(),
            path: "/#{path}".into(),
            query: "#{query}".into(),
            status: 301,
        };
        assert_eq!(
            redirect_location(&r, "ex.com", 80, "/a/b", "x=1"),
            "https://ex.com/a/b?x=1"
        );
        let r = Redirect {
            port: "#{port}".into(),
            protocol: "#{protocol}".into(),
            query: "".into(),
            ..r
        };
        assert_eq!(
            redirect_location(&r, "ex.com", 8080, "/", ""),
            "http://ex.com:8080/"
        );
    }

    #[test]
    fn error_pages_name_their_status() {
        let r = error_page(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["server"], "awselb/2.0");
    }
}
