//! The `nimbus` binary: parses the command line and, for `nimbus serve`, binds the listener,
//! has [`nimbus::app`] wire the store, clock, services and gateway, prints the banner and
//! serves; on SIGINT/SIGTERM it stops the workers, saves the clock and stops the store.
//! `nimbus profile` writes an AWS CLI profile that points at a running Nimbus; `nimbus reset`
//! and `nimbus clock` call a running Nimbus's admin endpoints, signed. How crates are wired to each other is
//! the library's business, not this file's.

mod admin_client;
mod cli;
mod profile;

use anyhow::Context;
use nimbus::app::{self, App};
use nimbus_core::Ids;
use nimbus_gateway::GatewayConfig;
use std::sync::Arc;

/// mimalloc: the request path allocates dozens of small buffers per call, and glibc's
/// allocator costs measurably more per malloc/free pair under two worker threads (~5% of a
/// GetCallerIdentity's instructions). Built with `no_thp`: with transparent huge pages its
/// eagerly committed arenas tripled idle RSS (7 → 24 MB).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Inside an instance this binary is the guest's tools (yum, systemctl, httpd, ...) and the
    // sandbox's init: nimbus_runtime::guest picks by the name it was started as.
    if let Some(code) = nimbus_runtime::guest::dispatch() {
        std::process::exit(code);
    }
    let cmd = match cli::parse(std::env::args_os()) {
        Ok(c) => c,
        // `--help`, `--version` and usage errors: clap prints them with the right exit code.
        Err(e) => e.exit(),
    };
    let result = match cmd {
        cli::Command::Profile(p) => profile::write(&p),
        cli::Command::Serve(opts) => serve(opts),
        cli::Command::Reset(target) => admin_client::reset(&target),
        cli::Command::Ca(target) => admin_client::ca(&target),
        cli::Command::Clock(action, target) => admin_client::clock(&action, &target),
        cli::Command::Audit(account, json, target) => {
            admin_client::audit(account.as_deref(), json, &target)
        }
    };
    if let Err(e) = result {
        eprintln!("nimbus: {e:#}");
        std::process::exit(1);
    }
}

/// Structured logs on stderr (the banner stays on stdout): written by a background thread
/// so a request never waits on the terminal or a full pipe (lines are dropped instead, and
/// the drop is counted by tracing-appender); the guard flushes them at exit.
fn init_logging(
    opts: &cli::ServeOptions,
) -> anyhow::Result<tracing_appender::non_blocking::WorkerGuard> {
    let filter = tracing_subscriber::EnvFilter::try_new(&opts.log_filter)
        .with_context(|| format!("--log-level {:?} is not a level or filter", opts.log_filter))?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .thread_name("nimbus-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    if opts.log_json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    }
    .map_err(|e| anyhow::anyhow!("starting the logger: {e}"))?;
    Ok(guard)
}

fn serve(opts: cli::ServeOptions) -> anyhow::Result<()> {
    // An ordinary user's instances run in a user namespace, which only a single-threaded
    // process can enter: before the logger's and the async runtime's threads exist.
    let userns = nimbus_runtime::tier::prepare();
    let _log = init_logging(&opts)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("nimbus-worker")
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let addr: std::net::SocketAddr = tokio::net::lookup_host(&opts.listen)
            .await
            .with_context(|| format!("resolving {}", opts.listen))?
            .next()
            .with_context(|| format!("{} resolves to no address", opts.listen))?;
        let listener =
            nimbus_gateway::bind(addr).with_context(|| format!("binding {}", opts.listen))?;
        let mut limits = connection_limits();
        if let Some(n) = opts.max_connections {
            limits.max_connections = n;
        }
        limits.header_read = opts.header_read_timeout;
        limits.idle = opts.idle_timeout;
        let addr = listener.local_addr()?;

        let App {
            gateway,
            store,
            clock,
            hooks,
            workers,
            resumed_from,
            lb_plane,
            instances,
            // Already wired into the instances' metadata service by `app::build`.
            instance_roles: _,
        } = app::build(app::Config {
            gateway: GatewayConfig {
                auth: opts.auth.clone(),
                version: env!("CARGO_PKG_VERSION"),
                limits,
                ..Default::default()
            },
            account: opts.account.clone(),
            access_key: opts.access_key.clone(),
            secret_key: opts.secret_key.clone(),
            data_dir: opts.data_dir.clone(),
            time: app::Time::Scaled(opts.time_scale),
            ids: Arc::new(Ids::from_os()),
            enforce_iam: opts.enforce_iam,
            sns_egress: opts.sns_egress,
            lb_network: opts.lb_network,
            // This binary is also the instances' guest side (see `main`).
            guest_binary: std::env::current_exe().ok(),
            vcpu_limit: Some(opts.vcpu_limit),
        })?;

        let endpoint = format!("http://{addr}");
        let data = opts.data_dir.as_ref().map_or("(in memory)".to_string(), |d| d.display().to_string());
        println!("nimbus {} ready on {endpoint}", env!("CARGO_PKG_VERSION"));
        println!("  data directory: {data}");
        println!("  account {}: access key {} / secret {}", opts.account, opts.access_key, opts.secret_key);
        if let nimbus_gateway::AuthMode::Permissive { default_account } = &opts.auth {
            println!("  auth: permissive (any key accepted; default account {default_account})");
            if !opts.enforce_iam {
                println!("  iam: not enforced (pass --enforce-iam to enforce policies)");
            }
        }
        println!("  {}", nimbus_runtime::tier::current().describe());
        if let Err(why) = &userns {
            println!("  (no user namespace: {why})");
        }
        let ahead_ms = clock.now().0 - clock.real_now().0;
        if resumed_from.is_some() && ahead_ms >= 1000 {
            println!("  clock: {} s ahead of wall time (kept from an earlier run)", ahead_ms / 1000);
        }
        if let Some(dns) = &opts.dns_listen {
            let socket = std::net::UdpSocket::bind(dns).with_context(|| format!("binding the DNS server on {dns}"))?;
            socket.set_nonblocking(true)?;
            println!("  dns: {} (answers for load balancers' DNS names)", socket.local_addr()?);
            workers.add(Arc::new(nimbus_lb::dns::DnsServer { plane: lb_plane.clone(), socket }));
        }
        if let Some(front) = &opts.lb_localhost {
            let listener = std::net::TcpListener::bind(front).with_context(|| format!("binding the .localhost front on {front}"))?;
            listener.set_nonblocking(true)?;
            println!("  load balancers: http://<DNSName>.localhost via {}", listener.local_addr()?);
            workers.add(Arc::new(nimbus_lb::front::Front { plane: lb_plane.clone(), clock: clock.clone(), listener }));
        }
        println!(
            "  try: AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} aws --endpoint-url {endpoint} --region us-east-1 sts get-caller-identity",
            opts.access_key, opts.secret_key
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();

        workers.start();
        nimbus_gateway::serve(listener, gateway, shutdown_signal()).await;
        workers.shutdown(std::time::Duration::from_secs(10)).await;
        if let Some(i) = instances {
            // Every sandbox process, mount, namespace and cgroup goes; volumes stay.
            let _ = tokio::task::spawn_blocking(move || i.shutdown()).await;
        }
        // So a fast clock (--time-scale) resumes where it stopped, not at its last advance.
        if let Err(e) = hooks.save().await {
            tracing::error!(target: "nimbus", "could not save the clock: {e}");
        }
        store.shutdown();
        Ok(())
    })
}

/// Raises the open-file limit as far as this process may (the soft limit to the hard one;
/// as root, the hard one too, up to 1,048,576 — each connection is a descriptor, and a
/// machine's default 1,024–20,000 is what a few thousand idle clients exhaust), then caps
/// connections below it, keeping 1,024 descriptors for the store, blobs and workers.
fn connection_limits() -> nimbus_gateway::Limits {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    const WANT: u64 = 1 << 20;
    let cur = getrlimit(Resource::Nofile);
    let hard = cur.maximum.unwrap_or(WANT);
    let raised = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(WANT.max(hard)),
            maximum: Some(WANT.max(hard)),
        },
    )
    .or_else(|_| {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            },
        )
    });
    let _ = raised;
    let now = getrlimit(Resource::Nofile).current.unwrap_or(WANT);
    let defaults = nimbus_gateway::Limits::default();
    nimbus_gateway::Limits {
        max_connections: usize::try_from(now.saturating_sub(1024))
            .unwrap_or(usize::MAX)
            .clamp(64, 65_536),
        ..defaults
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}
