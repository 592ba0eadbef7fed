//! The `nimbus` command line, parsed by clap: every subcommand answers `--help`, errors
//! name the flag, and every `serve` flag has an environment equivalent (`NIMBUS_LISTEN`, …;
//! an empty variable counts as unset). This module only turns arguments into a [`Command`];
//! what each command does lives in `main.rs`, `profile.rs` and `admin_client.rs`.

use clap::{Args, Parser, Subcommand};
use nimbus_gateway::AuthMode;
use std::path::PathBuf;

/// `nimbus --version`: the crate version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("NIMBUS_COMMIT"), ")");

#[derive(Parser, Debug)]
#[command(
    name = "nimbus",
    version = VERSION,
    about = "A local AWS cloud in one binary: the aws CLI, boto3 and the SDKs talk to it unchanged.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Run Nimbus.
    Serve(ServeArgs),
    /// Write an AWS CLI profile pointing at Nimbus (other profiles are kept byte for byte).
    Profile(ProfileArgs),
    /// Empty every service of a running Nimbus (signed with an account root's keys).
    Reset(TargetArgs),
    /// Audit an account of a running Nimbus against IAM's best practices; exits non-zero
    /// when something fails.
    Audit(AuditArgs),
    /// Show, advance or reset the Nimbus clock of a running Nimbus.
    Clock {
        #[command(subcommand)]
        action: Option<ClockSub>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Print the root CA certificate (PEM) of a running Nimbus, which issues ACM's
    /// certificates: `curl --cacert <(nimbus ca) https://…`.
    Ca(TargetArgs),
}

#[derive(Args, Debug)]
struct AuditArgs {
    /// The account to audit [default: the account of Nimbus's root keys].
    #[arg(long, value_parser = account_id)]
    account: Option<String>,
    /// Print the report as JSON (as `GET /_nimbus/audit` returns it).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Subcommand, Debug)]
enum ClockSub {
    /// Print Nimbus time (the default).
    Show,
    /// Move Nimbus time forward by SECONDS.
    Advance {
        /// How far, in seconds (fractions allowed).
        seconds: f64,
    },
    /// Put Nimbus time back on wall time, forgetting every advance.
    Reset,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to serve on (port 0 picks a free one).
    #[arg(long, env = "NIMBUS_LISTEN", default_value = "127.0.0.1:4566")]
    listen: String,
    /// Durable state directory, or `:memory:` for none
    /// [default: $XDG_DATA_HOME/nimbus or ~/.local/share/nimbus].
    #[arg(long, env = "NIMBUS_DATA_DIR")]
    data_dir: Option<String>,
    /// Nimbus time runs this many times faster than real time.
    #[arg(long, env = "NIMBUS_TIME_SCALE", default_value_t = 1.0, value_parser = positive_f64)]
    time_scale: f64,
    /// Serve DNS (UDP) here: A records for load balancers' DNS names.
    #[arg(long, env = "NIMBUS_DNS_LISTEN")]
    dns_listen: Option<String>,
    /// Loopback network load balancer nodes take their addresses from: a CIDR inside
    /// 127.80.0.0/16, /16 to /28.
    #[arg(long, env = "NIMBUS_LB_NETWORK", default_value = "127.80.0.0/16", value_parser = parse_lb_network)]
    lb_network: (std::net::Ipv4Addr, u8),
    /// Also serve every load balancer as `http://<DNSName>.localhost/` on this address
    /// (browsers resolve `*.localhost` to loopback by themselves).
    #[arg(long, env = "NIMBUS_LB_LOCALHOST")]
    lb_localhost: Option<String>,
    /// Each account's "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
    /// quota per region, in vCPUs (AWS's default: 5); RunInstances beyond it answers
    /// `VcpuLimitExceeded`.
    #[arg(long, env = "NIMBUS_VCPU_LIMIT", default_value_t = 5)]
    vcpu_limit: u32,
    /// `strict` (SigV4 against known keys) or `permissive` (any key is an account root).
    #[arg(long, env = "NIMBUS_AUTH", default_value = "strict", value_parser = ["strict", "permissive"])]
    auth: String,
    /// With `--auth permissive`: still enforce IAM policies (permissive mode alone allows
    /// every call and lets account roots assume roles). Strict mode always enforces.
    #[arg(long, env = "NIMBUS_ENFORCE_IAM", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    enforce_iam: bool,
    /// SNS may deliver to http endpoints off this machine (`on`); by default only to
    /// loopback (127.0.0.0/8, ::1) and Nimbus's own networks.
    #[arg(long, env = "NIMBUS_SNS_EGRESS", default_value = "off", value_parser = ["on", "off"])]
    sns_egress: String,
    /// Account of the root keys, and permissive mode's default account.
    #[arg(long, env = "NIMBUS_ACCOUNT", default_value = "000000000000", value_parser = account_id)]
    account: String,
    /// Root access key id.
    #[arg(long, env = "NIMBUS_ACCESS_KEY", default_value = "test")]
    access_key: String,
    /// Root secret access key.
    #[arg(long, env = "NIMBUS_SECRET_KEY", default_value = "test")]
    secret_key: String,
    /// Most connections open at once [default: the open-file limit less 1,024, at most 65,536].
    #[arg(long, env = "NIMBUS_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Seconds a client has to send a request's headers.
    #[arg(long, env = "NIMBUS_HEADER_READ_TIMEOUT", default_value_t = 30.0, value_parser = positive_f64)]
    header_read_timeout: f64,
    /// Log level or filter (`error`, `warn`, `info`: one line per request, `debug`, or a
    /// tracing filter such as `info,nimbus::request=warn`) [default: $RUST_LOG, else info].
    #[arg(long, env = "NIMBUS_LOG_LEVEL")]
    log_level: Option<String>,
    /// Log format on stderr.
    #[arg(long, env = "NIMBUS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Seconds a keep-alive connection may sit with no request before it is closed.
    #[arg(long, env = "NIMBUS_IDLE_TIMEOUT", default_value_t = 120.0, value_parser = positive_f64)]
    idle_timeout: f64,
}

#[derive(Args, Debug)]
struct ProfileArgs {
    /// Profile name.
    #[arg(long, env = "NIMBUS_PROFILE", default_value = "nimbus")]
    name: String,
    /// Nimbus endpoint.
    #[arg(long, env = "NIMBUS_ENDPOINT", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// Default region.
    #[arg(long, env = "AWS_DEFAULT_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, env = "NIMBUS_ACCESS_KEY", default_value = "test")]
    access_key: String,
    #[arg(long, env = "NIMBUS_SECRET_KEY", default_value = "test")]
    secret_key: String,
}

/// Which Nimbus an admin command talks to, and with whose keys — found the way the aws CLI
/// finds them (see `admin_client::Target::resolve`).
#[derive(Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Endpoint [default: $AWS_ENDPOINT_URL, the profile's endpoint_url, or http://127.0.0.1:4566].
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// AWS CLI profile whose endpoint_url and keys to use [default: $AWS_PROFILE or default].
    #[arg(long, global = true)]
    pub profile: Option<String>,
}

/// A load balancer node network: an IPv4 loopback CIDR inside 127.80.0.0/16, /16 to /28.
fn parse_lb_network(s: &str) -> Result<(std::net::Ipv4Addr, u8), String> {
    let bad = || format!("must be a CIDR inside 127.80.0.0/16 (/16 to /28), got {s:?}");
    let (a, p) = s.split_once('/').ok_or_else(bad)?;
    let addr: std::net::Ipv4Addr = a.parse().map_err(|_| bad())?;
    let prefix: u8 = p.parse().map_err(|_| bad())?;
    let o = addr.octets();
    if !(16..=28).contains(&prefix) || o[0] != 127 || o[1] != 80 {
        return Err(bad());
    }
    Ok((addr, prefix))
}

fn positive_f64(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f > 0.0)
        .ok_or_else(|| format!("must be a positive number, got {s:?}"))
}

fn account_id(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!("must be 12 digits, got {s:?}"))
    }
}

#[derive(Debug)]
pub enum Command {
    Serve(ServeOptions),
    Profile(ProfileOptions),
    Reset(TargetArgs),
    Clock(ClockAction, TargetArgs),
    Ca(TargetArgs),
    /// `nimbus audit`: account (default: Nimbus's), JSON output, target.
    Audit(Option<String>, bool, TargetArgs),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClockAction {
    Show,
    Advance(f64),
    Reset,
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: String,
    pub data_dir: Option<PathBuf>,
    pub time_scale: f64,
    pub dns_listen: Option<String>,
    pub lb_network: (std::net::Ipv4Addr, u8),
    pub lb_localhost: Option<String>,
    /// Running On-Demand Standard vCPUs per account and region (`--vcpu-limit`).
    pub vcpu_limit: u32,
    pub auth: AuthMode,
    /// IAM policies are enforced (always in strict mode; with `--enforce-iam` in permissive).
    pub enforce_iam: bool,
    /// SNS may deliver off loopback.
    pub sns_egress: bool,
    pub account: String,
    pub access_key: String,
    pub secret_key: String,
    pub max_connections: Option<usize>,
    pub header_read_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub log_filter: String,
    pub log_json: bool,
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

/// Parses the process's arguments (`args` includes the program name). `--help`, `--version`
/// and usage errors come back as clap's error, which prints itself with the right exit code.
pub fn parse<I, T>(args: I) -> Result<Command, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    Ok(match cli.command {
        Sub::Serve(a) => {
            let data_dir = match a.data_dir.filter(|d| !d.is_empty()) {
                Some(d) if d == ":memory:" => None,
                Some(d) => Some(PathBuf::from(d)),
                None => Some(default_data_dir().ok_or_else(|| {
                    Cli::command_error("no HOME to keep state under: pass --data-dir")
                })?),
            };
            let auth = match a.auth.as_str() {
                "permissive" => AuthMode::Permissive {
                    default_account: a.account.clone(),
                },
                _ => AuthMode::Strict,
            };
            Command::Serve(ServeOptions {
                listen: a.listen,
                data_dir,
                time_scale: a.time_scale,
                dns_listen: a.dns_listen.filter(|d| !d.is_empty()),
                lb_network: a.lb_network,
                lb_localhost: a.lb_localhost.filter(|d| !d.is_empty()),
                vcpu_limit: a.vcpu_limit,
                enforce_iam: a.enforce_iam || auth == AuthMode::Strict,
                sns_egress: a.sns_egress == "on",
                auth,
                account: a.account,
                access_key: a.access_key,
                secret_key: a.secret_key,
                max_connections: a.max_connections.map(|n| n as usize),
                header_read_timeout: std::time::Duration::from_secs_f64(a.header_read_timeout),
                idle_timeout: std::time::Duration::from_secs_f64(a.idle_timeout),
                log_filter: a
                    .log_level
                    .filter(|l| !l.is_empty())
                    .or_else(|| std::env::var("RUST_LOG").ok().filter(|l| !l.is_empty()))
                    .unwrap_or_else(|| "info".to_string()),
                log_json: a.log_format == "json",
            })
        }
        Sub::Profile(a) => Command::Profile(ProfileOptions {
            name: a.name,
            endpoint: a.endpoint,
            region: a.region,
            access_key: a.access_key,
            secret_key: a.secret_key,
        }),
        Sub::Reset(t) => Command::Reset(t),
        Sub::Ca(t) => Command::Ca(t),
        Sub::Audit(a) => Command::Audit(a.account, a.json, a.target),
        Sub::Clock { action, target } => Command::Clock(
            match action {
                None | Some(ClockSub::Show) => ClockAction::Show,
                Some(ClockSub::Advance { seconds }) => ClockAction::Advance(seconds),
                Some(ClockSub::Reset) => ClockAction::Reset,
            },
            target,
        ),
    })
}

impl Cli {
    fn command_error(msg: &str) -> clap::Error {
        use clap::CommandFactory;
        Cli::command().error(clap::error::ErrorKind::ValueValidation, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        std::iter::once("nimbus".to_string())
            .chain(s.split_whitespace().map(String::from))
            .collect()
    }

    #[test]
    fn parses_serve_flags() {
        match parse(args(
            "serve --listen 127.0.0.1:0 --data-dir :memory: --time-scale 60 --auth permissive",
        )) {
            Ok(Command::Serve(o)) => {
                assert_eq!(o.listen, "127.0.0.1:0");
                assert!(o.data_dir.is_none());
                assert_eq!(o.time_scale, 60.0);
                assert!(matches!(o.auth, AuthMode::Permissive { .. }));
                assert!(!o.enforce_iam);
            }
            other => panic!("{other:?}"),
        }
        match parse(args(
            "serve --auth permissive --enforce-iam --listen 127.0.0.1:0",
        )) {
            Ok(Command::Serve(o)) => assert!(o.enforce_iam && o.listen == "127.0.0.1:0"),
            other => panic!("{other:?}"),
        }
        match parse(args("serve")) {
            Ok(Command::Serve(o)) => assert!(o.enforce_iam && o.vcpu_limit == 5),
            other => panic!("{other:?}"),
        }
        match parse(args("serve --vcpu-limit 64")) {
            Ok(Command::Serve(o)) => assert_eq!(o.vcpu_limit, 64),
            other => panic!("{other:?}"),
        }
        for bad in [
            "serve --time-scale -1",
            "serve --bogus 1",
            "serve --lb-network 10.0.0.0/16",
            "serve --account 12",
            "serve --auth maybe",
            "serve --vcpu-limit many",
        ] {
            assert!(parse(args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_flag_and_every_command_has_help() {
        let e = parse(args("serve --time-scale fast")).expect_err("refused");
        assert!(e.to_string().contains("--time-scale"), "{e}");
        for sub in ["serve", "profile", "reset", "clock", "clock advance"] {
            let e = parse(args(&format!("{sub} --help"))).expect_err("help is clap's");
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{sub}");
        }
        let e = parse(args("--version")).expect_err("version is clap's");
        assert!(e.to_string().contains(VERSION), "{e}");
    }

    #[test]
    fn parses_admin_commands() {
        match parse(args("clock advance 90.5 --endpoint-url http://127.0.0.1:1")) {
            Ok(Command::Clock(ClockAction::Advance(s), t)) => {
                assert_eq!(s, 90.5);
                assert_eq!(t.endpoint_url.as_deref(), Some("http://127.0.0.1:1"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(args("clock")),
            Ok(Command::Clock(ClockAction::Show, _))
        ));
        assert!(matches!(
            parse(args("reset --profile p")),
            Ok(Command::Reset(TargetArgs {
                profile: Some(_),
                ..
            }))
        ));
    }
}
