//! Command-line parsing (hand-written: a handful of flags does not justify a parser crate's
//! build time). Every flag has an environment equivalent (`NIMBUS_LISTEN`, ...).

use nimbus_gateway::AuthMode;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: nimbus serve [options]      run Nimbus
       nimbus profile [options]    write an AWS CLI profile pointing at Nimbus
       nimbus --version

serve options (environment variable in brackets):
  --listen ADDR       address to serve on [NIMBUS_LISTEN] (default 127.0.0.1:4566)
  --data-dir DIR      durable state directory, or :memory: [NIMBUS_DATA_DIR]
                      (default $XDG_DATA_HOME/nimbus or ~/.local/share/nimbus)
  --time-scale F      Nimbus time runs F times faster than real time [NIMBUS_TIME_SCALE] (default 1)
  --dns-listen ADDR   DNS server address [NIMBUS_DNS_LISTEN] (accepted; served once load balancers exist)
  --auth MODE         strict (SigV4 against known keys, default) or permissive [NIMBUS_AUTH]
  --account ID        account of the root keys, and permissive mode's default account
                      [NIMBUS_ACCOUNT] (default 000000000000)
  --access-key KEY    root access key id [NIMBUS_ACCESS_KEY] (default test)
  --secret-key KEY    root secret access key [NIMBUS_SECRET_KEY] (default test)
  --sns-egress on|off SNS may deliver to http endpoints off loopback [NIMBUS_SNS_EGRESS]
                      (default off: only 127.0.0.0/8 and ::1)

profile options:
  --name NAME         profile name (default nimbus)
  --endpoint URL      Nimbus endpoint (default http://127.0.0.1:4566)
  --region REGION     default region (default us-east-1)
  --access-key KEY / --secret-key KEY   (default test / test)";

#[derive(Debug)]
pub enum Command {
    Serve(ServeOptions),
    Profile(ProfileOptions),
    Help,
    Version,
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: String,
    pub data_dir: Option<PathBuf>,
    pub time_scale: f64,
    pub dns_listen: Option<String>,
    pub auth: AuthMode,
    pub account: String,
    pub access_key: String,
    pub secret_key: String,
    /// SNS may deliver to http endpoints that are not on loopback.
    pub sns_egress: bool,
}

#[derive(Debug, Clone)]
pub struct ProfileOptions {
    pub name: String,
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

fn default_data_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("nimbus"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/nimbus"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let (cmd, rest) = match args.split_first() {
        None => return Ok(Command::Help),
        Some((c, r)) => (c.as_str(), r),
    };
    let mut flags = std::collections::HashMap::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let (k, v) = match a.split_once('=') {
            Some((k, v)) if a.starts_with("--") => (k.to_string(), v.to_string()),
            _ if a.starts_with("--") => {
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                (a.clone(), v.clone())
            }
            _ => return Err(format!("unexpected argument {a:?}")),
        };
        flags.insert(k, v);
    }
    let mut take = |k: &str, envname: &str| flags.remove(k).or_else(|| env(envname));
    let out = match cmd {
        "serve" => {
            let listen =
                take("--listen", "NIMBUS_LISTEN").unwrap_or_else(|| "127.0.0.1:4566".into());
            let data_dir = match take("--data-dir", "NIMBUS_DATA_DIR") {
                Some(d) if d == ":memory:" => None,
                Some(d) => Some(PathBuf::from(d)),
                None => Some(default_data_dir().ok_or("no HOME: pass --data-dir")?),
            };
            let time_scale = match take("--time-scale", "NIMBUS_TIME_SCALE") {
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| format!("--time-scale must be a positive number, got {s:?}"))?,
                None => 1.0,
            };
            let dns_listen = take("--dns-listen", "NIMBUS_DNS_LISTEN");
            let account =
                take("--account", "NIMBUS_ACCOUNT").unwrap_or_else(|| "000000000000".into());
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("--account must be 12 digits, got {account:?}"));
            }
            let auth = match take("--auth", "NIMBUS_AUTH").as_deref() {
                None | Some("strict") => AuthMode::Strict,
                Some("permissive") => AuthMode::Permissive {
                    default_account: account.clone(),
                },
                Some(o) => return Err(format!("--auth must be strict or permissive, got {o:?}")),
            };
            let sns_egress = match take("--sns-egress", "NIMBUS_SNS_EGRESS").as_deref() {
                None | Some("off") => false,
                Some("on") => true,
                Some(o) => return Err(format!("--sns-egress must be on or off, got {o:?}")),
            };
            Command::Serve(ServeOptions {
                sns_egress,
                listen,
                data_dir,
                time_scale,
                dns_listen,
                auth,
                account,
                access_key: take("--access-key", "NIMBUS_ACCESS_KEY")
                    .unwrap_or_else(|| "test".into()),
                secret_key: take("--secret-key", "NIMBUS_SECRET_KEY")
                    .unwrap_or_else(|| "test".into()),
            })
        }
        "profile" => Command::Profile(ProfileOptions {
            name: take("--name", "NIMBUS_PROFILE").unwrap_or_else(|| "nimbus".into()),
            endpoint: take("--endpoint", "NIMBUS_ENDPOINT")
                .unwrap_or_else(|| "http://127.0.0.1:4566".into()),
            region: take("--region", "AWS_DEFAULT_REGION").unwrap_or_else(|| "us-east-1".into()),
            access_key: take("--access-key", "NIMBUS_ACCESS_KEY").unwrap_or_else(|| "test".into()),
            secret_key: take("--secret-key", "NIMBUS_SECRET_KEY").unwrap_or_else(|| "test".into()),
        }),
        "help" | "--help" | "-h" => Command::Help,
        "version" | "--version" | "-V" => Command::Version,
        other => return Err(format!("unknown command {other:?}")),
    };
    if let Some(k) = flags.keys().next() {
        return Err(format!("unknown option {k}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_serve_flags() {
        match parse(&args(
            "serve --listen 127.0.0.1:0 --data-dir :memory: --time-scale 60 --auth permissive",
        )) {
            Ok(Command::Serve(o)) => {
                assert_eq!(o.listen, "127.0.0.1:0");
                assert!(o.data_dir.is_none());
                assert_eq!(o.time_scale, 60.0);
                assert!(matches!(o.auth, AuthMode::Permissive { .. }));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&args("serve --time-scale -1")).is_err());
        assert!(parse(&args("serve --bogus 1")).is_err());
        assert!(parse(&args("serve --account 12")).is_err());
    }
}
