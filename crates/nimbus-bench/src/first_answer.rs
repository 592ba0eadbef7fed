//! Time to first answer: spawn a server, then probe it with a signed STS GetCallerIdentity
//! until it answers 200, and report the time from spawn to that answer. A bound socket that
//! does not yet answer (or answers 5xx) does not count. Also the readiness wait the harness
//! uses for servers it started itself (`wait`). Probing is blocking std I/O on purpose: it is
//! one connection at a time, and a sleep of a fraction of a millisecond between attempts keeps
//! the probe from competing with the starting server for the CPU.

use crate::ops::{Op, RequestMaker, Target};
use crate::stats::{median, round3};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROBE_PAUSE: Duration = Duration::from_micros(250);

/// Key pair and region the probe signs with.
#[derive(Debug, Clone)]
pub struct Creds {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

/// The server being measured, shared with the signal watcher so that a SIGTERM/SIGINT/SIGHUP
/// sent to this process (e.g. by the harness on Ctrl-C) still kills it by PID.
type Slot = Arc<Mutex<Option<Child>>>;

fn kill(slot: &Slot) {
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(mut c) = guard.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Kills the child in `slot` by PID when dropped (also on an early return).
struct Spawned(Slot);

impl Drop for Spawned {
    fn drop(&mut self) {
        kill(&self.0);
    }
}

/// On a terminating signal: kill the child, then exit as if killed by that signal.
fn watch_signals(slot: Slot) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let code = rt.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
                signal(SignalKind::hangup()),
            ) else {
                return None;
            };
            tokio::select! {
                _ = term.recv() => Some(143),
                _ = int.recv() => Some(130),
                _ = hup.recv() => Some(129),
            }
        });
        if let Some(code) = code {
            kill(&slot);
            std::process::exit(code);
        }
    });
}

/// Splits a command line into words: whitespace separates, '…' and "…" quote, and \ escapes
/// the next character outside single quotes. No expansion of any kind.
pub fn split_command_line(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated ' in --exec".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => cur.push(chars.next().ok_or("trailing \\ in --exec")?),
                        Some(x) => cur.push(x),
                        None => return Err("unterminated \" in --exec".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next().ok_or("trailing \\ in --exec")?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    if words.is_empty() {
        return Err("--exec is empty".into());
    }
    Ok(words)
}

/// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `http://host:port[/]` to the `Host` header value and a socket address.
pub fn parse_endpoint(endpoint: &str) -> Result<(String, SocketAddr), String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("endpoint must start with http:// (got {endpoint:?})"))?;
    let host = rest.trim_end_matches('/');
    if host.contains('/') {
        return Err(format!("endpoint must not have a path (got {endpoint:?})"));
    }
    let with_port = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("resolving {with_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{with_port} resolves to nothing"))?;
    Ok((host.to_string(), addr))
}

/// One probe: the status of the answer to `request`, or `None` if there was no HTTP answer.
fn probe(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_nodelay(true).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(request).ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // The status line is all we need.
    while !buf.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf);
    line.split_whitespace().nth(1)?.parse().ok()
}

fn signed_probe(host: &str, creds: &Creds) -> Vec<u8> {
    let target = Target::new(
        Op::Sts,
        host.to_string(),
        &creds.access_key,
        &creds.secret_key,
        &creds.region,
    );
    let mut signed = RequestMaker::new(target).sign_new();
    signed.headers.insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    signed.to_http1()
}

/// Probes until a 200; `child` (if any) must stay alive meanwhile. Returns the elapsed time
/// since `t0` and the number of probes that connected but got no 200.
fn wait_for_200(
    addr: SocketAddr,
    host: &str,
    creds: &Creds,
    t0: Instant,
    timeout: Duration,
    child: Option<&Slot>,
) -> Result<(Duration, u64), String> {
    let mut request = signed_probe(host, creds);
    let mut signed_at = Instant::now();
    let mut not_ready = 0u64;
    let mut last = String::from("no connection");
    loop {
        if t0.elapsed() > timeout {
            return Err(format!(
                "no 200 from {addr} within {timeout:?} (last: {last})"
            ));
        }
        if let Some(slot) = child {
            let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(Ok(Some(status))) = guard.as_mut().map(Child::try_wait) {
                return Err(format!("the server exited before answering: {status}"));
            }
        }
        if signed_at.elapsed() > Duration::from_secs(60) {
            request = signed_probe(host, creds);
            signed_at = Instant::now();
        }
        match probe(addr, &request) {
            Some(200) => return Ok((t0.elapsed(), not_ready)),
            Some(s) => {
                not_ready += 1;
                last = format!("HTTP {s}");
            }
            None => {}
        }
        std::thread::sleep(PROBE_PAUSE);
    }
}

/// Waits until `endpoint` answers a signed GetCallerIdentity with 200.
pub fn wait(endpoint: &str, creds: &Creds, timeout: Duration) -> Result<serde_json::Value, String> {
    let (host, addr) = parse_endpoint(endpoint)?;
    let t0 = Instant::now();
    let (elapsed, not_ready) = wait_for_200(addr, &host, creds, t0, timeout, None)?;
    Ok(
        serde_json::json!({"op": "wait", "ms": round3(elapsed.as_secs_f64() * 1000.0), "non_200_answers": not_ready}),
    )
}

/// Starts `exec` `runs` times (one at a time, each killed before the next), and reports the
/// time from spawn to first 200. `{port}` in `exec` and `endpoint` is replaced by a fresh free
/// port per start, `{run}` by the start's index; without `endpoint`, it is
/// `http://127.0.0.1:{port}`.
pub fn first_answer(
    exec: &str,
    endpoint: Option<&str>,
    runs: u64,
    creds: &Creds,
    timeout: Duration,
) -> Result<serde_json::Value, String> {
    if endpoint.is_none() && !exec.contains("{port}") {
        return Err("first-answer needs --endpoint, or {port} in --exec".into());
    }
    let slot: Slot = Arc::new(Mutex::new(None));
    watch_signals(slot.clone());
    let mut samples = Vec::new();
    let mut pids = Vec::new();
    let mut non_200 = 0;
    for run in 0..runs.max(1) {
        let port = free_port()?.to_string();
        let subst = |s: &str| {
            s.replace("{port}", &port)
                .replace("{run}", &run.to_string())
        };
        let endpoint = subst(endpoint.unwrap_or("http://127.0.0.1:{port}"));
        let (host, addr) = parse_endpoint(&endpoint)?;
        let argv = split_command_line(&subst(exec))?;
        // Signed before the clock starts: the probe's cost is the client's, not the server's.
        let _ = signed_probe(&host, creds);
        let spawned = Spawned(slot.clone());
        let t0 = {
            // Spawned under the lock, so a signal cannot slip between spawn and bookkeeping.
            let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
            let t0 = Instant::now();
            let child = Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("spawning {:?}: {e}", argv[0]))?;
            pids.push(child.id());
            *guard = Some(child);
            t0
        };
        let (elapsed, n) = wait_for_200(addr, &host, creds, t0, timeout, Some(&slot))?;
        non_200 += n;
        samples.push(elapsed.as_secs_f64() * 1000.0);
        drop(spawned);
        // Let the killed server's socket and memory go before the next start.
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(serde_json::json!({
        "op": "first-answer",
        "runs": samples.len(),
        "median_ms": median(&samples).map(round3),
        "min_ms": sorted.first().copied().map(round3),
        "max_ms": sorted.last().copied().map(round3),
        "samples_ms": samples.iter().map(|x| round3(*x)).collect::<Vec<_>>(),
        "non_200_answers": non_200,
        "pids": pids,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_command_lines() {
        assert_eq!(
            split_command_line(
                r#"target/release/nimbus serve --listen 127.0.0.1:{port}  --data-dir ':memory:'"#
            )
            .unwrap(),
            [
                "target/release/nimbus",
                "serve",
                "--listen",
                "127.0.0.1:{port}",
                "--data-dir",
                ":memory:"
            ]
        );
        assert_eq!(
            split_command_line(r#"a "b c" d\ e ''"#).unwrap(),
            ["a", "b c", "d e", ""]
        );
        assert!(split_command_line("a 'b").is_err());
        assert!(split_command_line("   ").is_err());
    }

    #[test]
    fn parses_endpoints() {
        let (h, a) = parse_endpoint("http://127.0.0.1:4566/").unwrap();
        assert_eq!(h, "127.0.0.1:4566");
        assert_eq!(a, "127.0.0.1:4566".parse().unwrap());
        assert!(parse_endpoint("https://127.0.0.1:1").is_err());
        assert!(parse_endpoint("http://127.0.0.1:1/x").is_err());
    }
}
