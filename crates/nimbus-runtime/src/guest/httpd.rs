//! The guest's `httpd` (and Debian's `apache2`): a static-file HTTP/1.1 server that reads the
//! parts of the Apache configuration that matter for the seed — `Listen`, `DocumentRoot`,
//! `DirectoryIndex`, `CustomLog` and `ErrorLog` — serves GET and HEAD with keep-alive, answers
//! 404/403/405 with Apache's bodies, and writes each request to the access log in the
//! `combined` format. After binding it touches `$NIMBUS_NOTIFY` (systemd's Type=notify
//! readiness). One thread per connection. Not provided: modules, CGI, .htaccess, TLS,
//! virtual hosts.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SERVER: &str = "Apache/2.4.62 ()";

struct Conf {
    listen: Vec<String>,
    root: PathBuf,
    index: Vec<String>,
    access_log: PathBuf,
    error_log: PathBuf,
}

fn read_conf() -> Conf {
    let (path, server_root, access, error) = if Path::new("/etc/httpd/conf/httpd.conf").exists() {
        (
            "/etc/httpd/conf/httpd.conf",
            "/etc/httpd",
            "/var/log/httpd/access_log",
            "/var/log/httpd/error_log",
        )
    } else {
        (
            "/etc/apache2/apache2.conf",
            "/etc/apache2",
            "/var/log/apache2/access.log",
            "/var/log/apache2/error.log",
        )
    };
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut c = Conf {
        listen: Vec::new(),
        root: "/var/www/html".into(),
        index: vec!["index.html".into()],
        access_log: access.into(),
        error_log: error.into(),
    };
    let abs = |p: &str| -> PathBuf {
        let p = p.trim_matches('"');
        if p.starts_with('/') {
            p.into()
        } else {
            Path::new(server_root).join(p)
        }
    };
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("Listen") => c.listen.extend(w.next().map(str::to_string)),
            Some("DocumentRoot") => c.root = abs(w.next().unwrap_or("/var/www/html")),
            Some("DirectoryIndex") => c.index = w.map(str::to_string).collect(),
            Some("CustomLog") => c.access_log = abs(w.next().unwrap_or(access)),
            Some("ErrorLog") => c.error_log = abs(w.next().unwrap_or(error)),
            _ => {}
        }
    }
    if c.listen.is_empty() {
        c.listen.push("80".into());
    }
    c
}

pub fn main(args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-v" || a == "-V") {
        println!("Server version: {SERVER}\nServer built:   Jul 23 2024 00:00:00");
        return 0;
    }
    if args.iter().any(|a| a == "-t") {
        println!("Syntax OK");
        return 0;
    }
    let conf = Arc::new(read_conf());
    let mut listeners = Vec::new();
    for l in &conf.listen {
        let addr = if l.contains(':') {
            l.clone()
        } else {
            format!("0.0.0.0:{l}")
        };
        match TcpListener::bind(&addr) {
            Ok(s) => listeners.push(s),
            Err(e) => {
                let msg = format!("(98)Address already in use: AH00072: make_sock: could not bind to address {addr}: {e}\nno listening sockets available, shutting down");
                eprintln!("{msg}");
                let _ = append(&conf.error_log, &format!("{msg}\n"));
                return 1;
            }
        }
    }
    let _ = fs::create_dir_all("/run/httpd");
    let _ = fs::write("/run/httpd/httpd.pid", std::process::id().to_string());
    let _ = append(&conf.error_log, &format!("[mpm_prefork:notice] [pid {}] AH00163: {SERVER} configured -- resuming normal operations\n", std::process::id()));
    if let Ok(n) = std::env::var("NIMBUS_NOTIFY") {
        let _ = fs::write(n, b"READY=1\n");
    }
    let log = Arc::new(Mutex::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&conf.access_log)
            .ok(),
    ));
    let mut handles = Vec::new();
    for l in listeners {
        let conf = conf.clone();
        let log = log.clone();
        handles.push(std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let conf = conf.clone();
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = serve(s, &conf, &log);
                });
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
    0
}

fn append(p: &Path, s: &str) -> std::io::Result<()> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)?
        .write_all(s.as_bytes())
}

fn log_time() -> String {
    let (y, mo, d, h, mi, s, _) = super::civil(super::now_secs());
    format!(
        "{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0000",
        super::MONTHS[mo as usize - 1]
    )
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=UTF-8",
        "txt" => "text/plain; charset=UTF-8",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn error_body(code: u16, reason: &str, detail: &str) -> String {
    format!("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{code} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n<p>{detail}</p>\n</body></html>\n")
}

fn serve(stream: TcpStream, conf: &Conf, log: &Mutex<Option<fs::File>>) -> std::io::Result<()> {
    let peer = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "-".into());
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request_line = line.trim_end().to_string();
        if request_line.is_empty() {
            continue;
        }
        let mut headers = Vec::new();
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
        let mut parts = request_line.split(' ');
        let (method, target, version) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("/"),
            parts.next().unwrap_or("HTTP/1.0"),
        );
        let keep_alive = match version {
            "HTTP/1.1" => !hdr("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")),
            _ => hdr("connection").is_some_and(|v| v.eq_ignore_ascii_case("keep-alive")),
        };
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let (status, reason, ctype, body): (u16, &str, &str, Vec<u8>) =
            if method != "GET" && method != "HEAD" {
                (
                    405,
                    "Method Not Allowed",
                    "text/html; charset=iso-8859-1",
                    error_body(
                        405,
                        "Method Not Allowed",
                        &format!("The requested method {method} is not allowed for this URL."),
                    )
                    .into_bytes(),
                )
            } else {
                respond(conf, path)
            };
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nDate: {}\r\nServer: {SERVER}\r\nContent-Length: {}\r\nContent-Type: {ctype}\r\n",
            super::http_date(super::now_secs()),
            body.len()
        );
        if status == 200 {
            head.push_str("Accept-Ranges: bytes\r\n");
        }
        head.push_str(if keep_alive {
            "Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        w.write_all(head.as_bytes())?;
        if method != "HEAD" {
            w.write_all(&body)?;
        }
        w.flush()?;
        let size = if method == "HEAD" || body.is_empty() {
            "-".to_string()
        } else {
            body.len().to_string()
        };
        let entry = format!(
            "{peer} - - [{}] \"{request_line}\" {status} {size} \"{}\" \"{}\"\n",
            log_time(),
            hdr("referer").unwrap_or_else(|| "-".into()),
            hdr("user-agent").unwrap_or_else(|| "-".into())
        );
        if let Some(f) = log.lock().expect("log lock").as_mut() {
            let _ = f.write_all(entry.as_bytes());
        }
        if !keep_alive {
            return Ok(());
        }
    }
}

use std::io::Read;

fn respond(conf: &Conf, path: &str) -> (u16, &'static str, &'static str, Vec<u8>) {
    let not_found = || {
        (
            404,
            "Not Found",
            "text/html; charset=iso-8859-1",
            error_body(
                404,
                "Not Found",
                "The requested URL was not found on this server.",
            )
            .into_bytes(),
        )
    };
    let decoded = percent_decode(path);
    if decoded.split('/').any(|seg| seg == "..") {
        return not_found();
    }
    let mut p = conf.root.join(decoded.trim_start_matches('/'));
    if p.is_dir() {
        match conf.index.iter().map(|i| p.join(i)).find(|f| f.is_file()) {
            Some(f) => p = f,
            None => {
                return (
                    403,
                    "Forbidden",
                    "text/html; charset=iso-8859-1",
                    error_body(
                        403,
                        "Forbidden",
                        "You don't have permission to access this resource.",
                    )
                    .into_bytes(),
                )
            }
        }
    }
    match fs::read(&p) {
        Ok(b) => (200, "OK", content_type(&p), b),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => (
            403,
            "Forbidden",
            "text/html; charset=iso-8859-1",
            error_body(
                403,
                "Forbidden",
                "You don't have permission to access this resource.",
            )
            .into_bytes(),
        ),
        Err(_) => not_found(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
