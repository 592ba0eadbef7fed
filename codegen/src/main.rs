//! `nimbus-codegen`: regenerates every service crate's `src/generated.rs` from the pinned
//! botocore models listed in `codegen/services.json`.
//!
//! ```text
//! cargo run -p nimbus-codegen -- --botocore <botocore package dir> [--root <workspace>] [--check]
//! ```
//! Every service also needs `codegen/authorization/<model>.json`, its authorization facts
//! (see `authz.rs`); a missing file or an implemented operation without an entry fails.
//!
//! `--check` writes nothing and exits 1 (listing the files) when any output would change;
//! CI runs it so that a hand edit or a forgotten regeneration fails the build. The
//! installed botocore must be exactly the pinned version: another version would silently
//! produce a different model.

mod authz;
mod botocore;
mod gen;
mod json;
mod naming;

use gen::{Provenance, ServiceConfig};
use json::Json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

struct Args {
    botocore: PathBuf,
    root: PathBuf,
    check: bool,
}

const USAGE: &str =
    "usage: nimbus-codegen --botocore <botocore package dir> [--root <workspace root>] [--check]";

fn parse_args() -> Result<Args, String> {
    let mut botocore = None;
    let mut root = None;
    let mut check = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--botocore" => botocore = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--root" => root = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--check" => check = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let root = root.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    Ok(Args {
        botocore: botocore.ok_or(USAGE)?,
        root,
        check,
    })
}

struct Config {
    botocore_version: String,
    services: Vec<ServiceConfig>,
}

fn load_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let j = Json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |j: &Json, k: &str| -> Result<String, String> {
        j.str_at(k)?
            .ok_or_else(|| format!("{}: missing string `{k}`", path.display()))
    };
    let mut services = Vec::new();
    for s in j.get("services").and_then(Json::as_arr).unwrap_or_default() {
        let operations = s
            .get("operations")
            .and_then(Json::as_arr)
            .unwrap_or_default()
            .iter()
            .map(|o| {
                o.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{}: operation names are strings", path.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        services.push(ServiceConfig {
            model: field(s, "model")?,
            krate: field(s, "crate")?,
            iam_prefix: field(s, "iam_prefix")?,
            operations,
        });
    }
    if services.is_empty() {
        return Err(format!("{}: no services", path.display()));
    }
    Ok(Config {
        botocore_version: field(&j, "botocore_version")?,
        services,
    })
}

/// `codegen/authorization/<model>.json`, required for every service.
fn load_facts(root: &Path, model: &str) -> Result<authz::Facts, String> {
    let rel = format!("codegen/authorization/{model}.json");
    let path = root.join(&rel);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {rel} ({e}): every service needs its authorization facts, one entry \
             per implemented operation (see codegen/src/authz.rs)"
        )
    })?;
    authz::parse(&text, &rel)
}

/// Formats with the pinned toolchain's rustfmt, exactly as `cargo fmt` would.
fn rustfmt(code: &str, cwd: &Path) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    let input = code.to_string();
    // Write from another thread so a large output cannot deadlock against our read.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_string())?
        .map_err(|e| format!("cannot feed rustfmt: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt output is not UTF-8: {e}"))
}

fn run(args: &Args) -> Result<bool, String> {
    let config = load_config(&args.root.join("codegen/services.json"))?;
    let installed = botocore::installed_version(&args.botocore)?;
    if installed != config.botocore_version {
        return Err(format!(
            "botocore at {} is version {installed}, but codegen/services.json pins {}; \
             install the pinned version (pip install botocore=={}) or change the pin on purpose",
            args.botocore.display(),
            config.botocore_version,
            config.botocore_version
        ));
    }
    let mut stale = Vec::new();
    for svc in &config.services {
        let (path, api_version_dir) = botocore::newest_model(&args.botocore, &svc.model)?;
        let model = botocore::load_model(&path)?;
        let prov = Provenance {
            botocore_version: installed.clone(),
            api_version_dir,
        };
        let facts = load_facts(&args.root, &svc.model)?;
        let code = gen::generate(&model, svc, &prov, &facts)?;
        let src = args.root.join("crates").join(&svc.krate).join("src");
        let code = rustfmt(&code, &args.root)?;
        let target = src.join("generated.rs");
        let current = std::fs::read_to_string(&target).ok();
        if current.as_deref() == Some(code.as_str()) {
            continue;
        }
        stale.push(target.clone());
        if !args.check {
            std::fs::create_dir_all(&src)
                .map_err(|e| format!("cannot create {}: {e}", src.display()))?;
            std::fs::write(&target, &code)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            eprintln!(
                "wrote {} ({} lines)",
                target.display(),
                code.lines().count()
            );
        }
    }
    if args.check && !stale.is_empty() {
        eprintln!("generated code is out of date; run scripts/codegen:");
        for p in &stale {
            eprintln!("  {}", p.display());
        }
        return Ok(false);
    }
    Ok(true)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("nimbus-codegen: {e}");
            ExitCode::from(2)
        }
    }
}
