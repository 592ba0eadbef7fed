//! The instance metadata service at 169.254.169.254, one listener per VPC, bound inside the
//! VPC's namespace (the bridge holds the address; every instance routes it over `eth0`). The
//! caller is identified by its source address (VPC + private IP → instance). IMDSv2 tokens:
//! `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) returns a
//! token bound to the instance; a GET carrying `X-aws-ec2-metadata-token` must present a live
//! token of that instance (401 otherwise), and with `HttpTokens=required` a GET without one is
//! 401. The token response leaves with the instance's hop limit as its IP TTL. What the tree
//! holds comes from a [`MetadataSource`] the EC2 side implements; without one, a tree derived
//! from the instance spec (ids, addresses, MAC, user data) is served. Threads, not tokio: the
//! runtime's blocking API may run outside any async runtime.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One instance's metadata as IMDS serves it.
#[derive(Debug, Clone, Default)]
pub struct InstanceMetadata {
    /// Leaf paths under `/latest/` (`meta-data/instance-id`, `user-data`,
    /// `dynamic/instance-identity/document`, …) → value. Directories are implied.
    pub entries: BTreeMap<String, String>,
    /// `HttpTokens=required`: IMDSv1 (no token) is refused.
    pub http_tokens_required: bool,
    /// `HttpPutResponseHopLimit` (1–64): the token response's IP TTL.
    pub hop_limit: u8,
    /// `HttpEndpoint=disabled`: every request is refused (403).
    pub disabled: bool,
}

/// Where IMDS gets an instance's tree: implemented by the EC2 side (tags, placement,
/// instance profile credentials, identity document …). Called per request, so answers are
/// always current (rotated credentials, modified options).
pub trait MetadataSource: Send + Sync + 'static {
    fn metadata(&self, instance_id: &str) -> Option<InstanceMetadata>;
}

/// The tree derived from an instance spec, served when no source is set.
pub fn from_spec(spec: &crate::InstanceSpec) -> InstanceMetadata {
    let n = &spec.network;
    let short = spec
        .hostname
        .split('.')
        .next()
        .unwrap_or(&spec.hostname)
        .to_string();
    let mut e = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        e.insert(k.to_string(), v);
    };
    put("meta-data/instance-id", spec.id.clone());
    put("meta-data/hostname", spec.hostname.clone());
    put("meta-data/local-hostname", spec.hostname.clone());
    put("meta-data/local-ipv4", n.private_ip.to_string());
    put("meta-data/mac", n.mac.clone());
    let m = format!("meta-data/network/interfaces/macs/{}/", n.mac);
    put(&format!("{m}device-number"), "0".into());
    put(&format!("{m}local-hostname"), spec.hostname.clone());
    put(&format!("{m}local-ipv4s"), n.private_ip.to_string());
    put(&format!("{m}mac"), n.mac.clone());
    put(&format!("{m}vpc-id"), n.vpc_id.clone());
    put(&format!("{m}vpc-ipv4-cidr-block"), n.vpc_cidr.to_string());
    put("meta-data/services/domain", "amazonaws.com".into());
    let _ = short;
    if let Some(ud) = &spec.user_data {
        put("user-data", String::from_utf8_lossy(ud).into_owned());
    }
    InstanceMetadata {
        entries: e,
        http_tokens_required: false,
        hop_limit: 1,
        disabled: false,
    }
}

/// Resolves the caller: (VPC id, source address) → instance id and its metadata.
pub(crate) type Resolver =
    dyn Fn(&str, Ipv4Addr) -> Option<(String, InstanceMetadata)> + Send + Sync;

/// A running metadata listener of one VPC.
pub(crate) struct Server {
    stop: Arc<AtomicBool>,
    /// The VPC namespace, held open so the listener can be woken even if its file is gone.
    ns: std::fs::File,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Token {
    instance: String,
    expires: Instant,
}

impl Server {
    pub(crate) fn start(
        vpc_id: String,
        ns: PathBuf,
        resolve: Arc<Resolver>,
    ) -> std::io::Result<Server> {
        let listener =
            crate::netns::listen_in(&ns, SocketAddr::from((crate::netns::METADATA_ADDR, 80)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tokens: Arc<Mutex<HashMap<String, Token>>> = Arc::default();
        let thread = std::thread::Builder::new()
            .name(format!("imds-{vpc_id}"))
            .spawn(move || {
                accept_loop(listener, &flag, &vpc_id, &resolve, &tokens);
            })?;
        Ok(Server {
            stop,
            ns: std::fs::File::open(&ns)?,
            thread: Some(thread),
        })
    }

    /// Stops accepting and waits for the listener to close (its socket holds the namespace).
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept with one connection from inside the namespace.
        let addr = SocketAddr::from((crate::netns::METADATA_ADDR, 80));
        if let Ok(ns) = self.ns.try_clone() {
            let _ = crate::netns::in_namespace_of(ns, move || {
                TcpStream::connect_timeout(&addr, Duration::from_secs(1))
            });
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    l: TcpListener,
    stop: &AtomicBool,
    vpc: &str,
    resolve: &Arc<Resolver>,
    tokens: &Arc<Mutex<HashMap<String, Token>>>,
) {
    for conn in l.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        let (vpc, resolve, tokens) = (vpc.to_string(), resolve.clone(), tokens.clone());
        let _ = std::thread::Builder::new()
            .name("imds-conn".into())
            .spawn(move || {
                let _ = serve(conn, &vpc, &*resolve, &tokens);
            });
    }
}

fn new_token() -> String {
    let mut b = [0u8; 42];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn listing(entries: &BTreeMap<String, String>, dir: &str) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for k in entries.keys() {
        if let Some(rest) = k.strip_prefix(dir) {
            let item = match rest.split_once('/') {
                Some((d, _)) => format!("{d}/"),
                None => rest.to_string(),
            };
            if !item.is_empty() && names.last() != Some(&item) {
                names.push(item);
            }
        }
    }
    (!names.is_empty()).then(|| names.join("\n"))
}

fn serve(
    stream: TcpStream,
    vpc: &str,
    resolve: &Resolver,
    tokens: &Mutex<HashMap<String, Token>>,
) -> std::io::Result<()> {
    let peer = match stream.peer_addr()?.ip() {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => return Ok(()),
    };
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target, version) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("/").to_string(),
            parts.next().unwrap_or("HTTP/1.0").to_string(),
        );
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let hdr = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(n) = hdr("content-length").and_then(|v| v.parse::<u64>().ok()) {
            std::io::copy(&mut (&mut r).take(n), &mut std::io::sink())?;
        }
        let keep = version == "HTTP/1.1"
            && !hdr("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let (status, extra, body, ttl) = answer(&method, &target, &hdr, vpc, peer, resolve, tokens);
        if let Some(ttl) = ttl {
            let _ = w.set_ttl(u32::from(ttl));
        }
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}Date: {}\r\nServer: EC2ws\r\nConnection: {}\r\n\r\n",
            body.len(),
            crate::guest::http_date(crate::guest::now_secs()),
            if keep { "keep-alive" } else { "close" }
        );
        w.write_all(head.as_bytes())?;
        if method != "HEAD" {
            w.write_all(body.as_bytes())?;
        }
        let _ = w.set_ttl(64);
        if !keep {
            return Ok(());
        }
    }
}

type Answer = (u16, String, String, Option<u8>);

fn answer(
    method: &str,
    target: &str,
    hdr: &dyn Fn(&str) -> Option<String>,
    vpc: &str,
    peer: Ipv4Addr,
    resolve: &Resolver,
    tokens: &Mutex<HashMap<String, Token>>,
) -> Answer {
    let html = |code: u16, reason: &str| -> Answer {
        (code, String::new(), format!("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html>\n<html><head><title>{code} - {reason}</title></head><body><h1>{code} - {reason}</h1></body></html>\n"), None)
    };
    let Some((instance, md)) = resolve(vpc, peer) else {
        return html(403, "Forbidden");
    };
    if md.disabled {
        return html(403, "Forbidden");
    }
    let path = target.split('?').next().unwrap_or("/");
    if method == "PUT" {
        if path != "/latest/api/token" {
            return html(405, "Method Not Allowed");
        }
        if hdr("x-forwarded-for").is_some() {
            return html(403, "Forbidden");
        }
        let Some(ttl) = hdr("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|t| (1..=21_600).contains(t))
        else {
            return html(400, "Bad Request");
        };
        let token = new_token();
        let mut map = tokens.lock().expect("token lock");
        let now = Instant::now();
        map.retain(|_, t| t.expires > now);
        map.insert(
            token.clone(),
            Token {
                instance: instance.clone(),
                expires: now + Duration::from_secs(ttl),
            },
        );
        return (
            200,
            format!("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {ttl}\r\n"),
            token,
            Some(md.hop_limit.max(1)),
        );
    }
    if method != "GET" && method != "HEAD" {
        return html(405, "Method Not Allowed");
    }
    match hdr("x-aws-ec2-metadata-token") {
        Some(t) => {
            let map = tokens.lock().expect("token lock");
            let ok = map
                .get(&t)
                .is_some_and(|tok| tok.instance == instance && tok.expires > Instant::now());
            if !ok {
                return html(401, "Unauthorized");
            }
        }
        None if md.http_tokens_required => return html(401, "Unauthorized"),
        None => {}
    }
    if path == "/" {
        return (200, String::new(), "latest".into(), None);
    }
    let Some(rel) = path
        .strip_prefix("/latest/")
        .or_else(|| (path == "/latest").then_some(""))
    else {
        return html(404, "Not Found");
    };
    if let Some(v) = md.entries.get(rel.trim_end_matches('/')) {
        return (200, String::new(), v.clone(), None);
    }
    let dir = if rel.is_empty() || rel.ends_with('/') {
        rel.to_string()
    } else {
        format!("{rel}/")
    };
    match listing(&md.entries, &dir) {
        Some(l) if dir.is_empty() => (
            200,
            String::new(),
            l.replace("meta-data/", "meta-data")
                .replace("dynamic/", "dynamic"),
            None,
        ),
        Some(l) => (200, String::new(), l, None),
        None => html(404, "Not Found"),
    }
}
