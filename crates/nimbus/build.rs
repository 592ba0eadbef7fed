//! Records the commit the binary is built from, for `nimbus --version` (`unknown` outside a
//! git checkout, e.g. a source tarball), and links the `nimbus` binary as a non-PIE
//! executable on Linux.

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=NIMBUS_COMMIT={commit}");
    // Rebuilt when HEAD moves (a new commit on the branch or a checkout).
    if let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .output()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !dir.is_empty() {
            println!("cargo:rerun-if-changed={dir}/HEAD");
            println!("cargo:rerun-if-changed={dir}/logs/HEAD");
        }
    }
    // Non-PIE on Linux: a position-independent executable has every pointer in its
    // read-only data (~1.2 MB of `.data.rel.ro`: vtables, string tables, the generated
    // models) patched by the dynamic loader at start, which turns those pages into private
    // dirty memory, and reads ~0.9 MB of `.rela.dyn` to do it. Linked at a fixed address,
    // they stay clean pages of the file, resident only when touched. Only this package's
    // binaries are affected (not its tests, examples or any other crate); the cost is that
    // the binary's own code is not placed at a random address (ASLR for libraries, stack
    // and heap is unchanged), acceptable for a local development server.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
