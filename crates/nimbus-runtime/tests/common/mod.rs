//! Helpers shared by the runtime's integration tests: a runtime over a temporary data
//! directory (or a clear skip where this host cannot give the sandbox), instance specs, and
//! polling helpers (readiness is polled, never slept for).
#![allow(dead_code)]

use nimbus_runtime::{InstanceSpec, Ipv4Net, NetworkSpec, Personality, Runtime, RuntimeConfig};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

pub const SEED_USER_DATA: &str = "#!bin/bash\n# for user-data to install and launch httpd (Linux 2 version)\nyum update -y\nyum install -y httpd\nsystemctl start httpd\nsystemctl enable httpd\necho \"<h1>Hello World from $(hostname -f)</h1>\" > /var/www/html/index.html\n";

pub struct Env {
    pub rt: Runtime,
    pub dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.rt.shutdown();
        let _ = self.rt.cleanup_orphans();
    }
}

/// A runtime over a fresh data directory, or None (with the reason printed) where the host
/// cannot give the sandbox.
pub fn env() -> Option<Env> {
    if let Err(why) = nimbus_runtime::check_support() {
        eprintln!("SKIPPED: the sandbox is unavailable here: {why}");
        return None;
    }
    let dir = tempfile::Builder::new().prefix("nimbus-rt-test").tempdir_in("/tmp").expect("tempdir");
    let rt = Runtime::new(RuntimeConfig { data_dir: dir.path().to_path_buf(), guest_binary: env!("CARGO_BIN_EXE_nimbus-guest").into() })
        .expect("runtime");
    Some(Env { rt, dir })
}

pub fn spec(id: &str, ip: [u8; 4], user_data: Option<&str>) -> InstanceSpec {
    InstanceSpec {
        id: id.into(),
        hostname: format!("ip-{}-{}-{}-{}.ec2.internal", ip[0], ip[1], ip[2], ip[3]),
        personality: Personality::Amzn2,
        vcpus: 1,
        memory_mib: 512,
        user_data: user_data.map(|s| s.as_bytes().to_vec()),
        network: NetworkSpec {
            vpc_id: "vpc-0test".into(),
            vpc_cidr: Ipv4Net::parse("10.0.0.0/16").unwrap(),
            private_ip: Ipv4Addr::from(ip),
            subnet_prefix: 24,
            mac: format!("02:00:{:02x}:{:02x}:{:02x}:{:02x}", ip[0], ip[1], ip[2], ip[3]),
        },
    }
}

/// GET `path` from the instance's port 80 through the runtime; (status line, body).
pub fn http_get(rt: &Runtime, id: &str, path: &str) -> std::io::Result<(String, String)> {
    let mut s = rt.connect(id, 80).map_err(std::io::Error::other)?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: test\r\nUser-Agent: nimbus-test\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok((head.lines().next().unwrap_or("").to_string(), body.to_string()))
}

/// Polls `f` every 5 ms until it returns Some or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the instance's user data has finished (cloud-init's boot-finished marker).
pub fn wait_user_data(e: &Env, id: &str, limit: Duration) -> bool {
    let marker = e.rt.root_volume(id).join("var/lib/cloud/instance/boot-finished");
    wait_for(limit, || marker.exists().then_some(())).is_some()
}
