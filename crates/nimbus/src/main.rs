//! The `nimbus` binary: parses the command line and, for `nimbus serve`, binds the listener,
//! has [`nimbus::app`] wire the store, clock, services and gateway, prints the banner and
//! serves; on SIGINT/SIGTERM it saves the clock and stops the store. `nimbus profile` writes
//! an AWS CLI profile that points at a running Nimbus. How crates are wired to each other is
//! the library's business, not this file's.

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nimbus: {e}\n\n{}", cli::USAGE);
            std::process::exit(2);
        }
    };
    let result = match cmd {
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        cli::Command::Version => {
            println!("nimbus {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        cli::Command::Profile(p) => profile::write(&p),
        cli::Command::Serve(opts) => serve(opts),
    };
    if let Err(e) = result {
        eprintln!("nimbus: {e:#}");
        std::process::exit(1);
    }
}

fn serve(opts: cli::ServeOptions) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("nimbus-worker")
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .with_context(|| format!("binding {}", opts.listen))?;
        let addr = listener.local_addr()?;

        let App {
            gateway,
            store,
            clock,
            hooks,
            workers,
            resumed_from,
        } = app::build(app::Config {
            gateway: GatewayConfig {
                auth: opts.auth.clone(),
                version: env!("CARGO_PKG_VERSION"),
                ..Default::default()
            },
            account: opts.account.clone(),
            access_key: opts.access_key.clone(),
            secret_key: opts.secret_key.clone(),
            data_dir: opts.data_dir.clone(),
            time: app::Time::Scaled(opts.time_scale),
            ids: Arc::new(Ids::from_os()),
            sns_egress: opts.sns_egress,
        })?;

        let endpoint = format!("http://{addr}");
        let data = opts.data_dir.as_ref().map_or("(in memory)".to_string(), |d| d.display().to_string());
        println!("nimbus {} ready on {endpoint}", env!("CARGO_PKG_VERSION"));
        println!("  data directory: {data}");
        println!("  account {}: access key {} / secret {}", opts.account, opts.access_key, opts.secret_key);
        if let nimbus_gateway::AuthMode::Permissive { default_account } = &opts.auth {
            println!("  auth: permissive (any key accepted; default account {default_account})");
        }
        let ahead_ms = clock.now().0 - clock.real_now().0;
        if resumed_from.is_some() && ahead_ms >= 1000 {
            println!("  clock: {} s ahead of wall time (kept from an earlier run)", ahead_ms / 1000);
        }
        if let Some(dns) = &opts.dns_listen {
            println!("  dns: {dns} (accepted; the DNS server arrives with load balancers)");
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
        // So a fast clock (--time-scale) resumes where it stopped, not at its last advance.
        if let Err(e) = hooks.save().await {
            eprintln!("nimbus: could not save the clock: {e}");
        }
        store.shutdown();
        Ok(())
    })
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
