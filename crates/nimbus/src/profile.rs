//! `nimbus profile`: writes (or replaces) a named profile in `~/.aws/config` and
//! `~/.aws/credentials` with `endpoint_url`, so `aws --profile nimbus ...` talks to Nimbus.
//! Other profiles and comments in those files are kept as they are.

use crate::cli::ProfileOptions;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Replaces section `[header]` of an INI text with `body` lines (or appends it). Every byte
/// outside that section is kept as it was (line endings, comments, blank lines, a missing
/// final newline), so other profiles are never disturbed.
pub fn upsert_section(text: &str, header: &str, body: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 128);
    let mut skipping = false;
    let mut written = false;
    let section: String = {
        let mut s = format!("[{header}]\n");
        for l in body {
            s.push_str(l);
            s.push('\n');
        }
        s
    };
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            skipping = t == format!("[{header}]");
            if skipping {
                out.push_str(&section);
                written = true;
                continue;
            }
        }
        if !skipping {
            out.push_str(line);
        }
    }
    if !written {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if out.lines().last().is_some_and(|l| !l.trim().is_empty()) {
            out.push('\n');
        }
        out.push_str(&section);
    }
    out
}

fn aws_dir() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".aws"))
}

/// The current text of `path` ("" when it does not exist). Anything else that stops us
/// reading it — permissions, a byte that is not UTF-8 — is an error: rewriting a file we
/// could not read would lose the user's other profiles.
fn read_existing(path: &Path) -> anyhow::Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{} is not valid UTF-8 (byte {}); refusing to rewrite it — fix or move it first",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Rewrites `path` with section `header` replaced: written to a temporary file (mode 0600,
/// since it may hold secret keys) beside it, synced, then renamed over the old one, so a
/// crash leaves either the old file or the new one, never half of each.
fn rewrite(path: &Path, header: &str, body: &[String]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let old = read_existing(path)?;
    let new = upsert_section(&old, header, body);
    let file_name = path.file_name().context("profile path has no file name")?;
    let tmp = path.with_file_name(format!(
        ".{}.nimbus-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(new.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

pub fn write(p: &ProfileOptions) -> anyhow::Result<()> {
    let dir = match std::env::var_os("AWS_CONFIG_FILE") {
        Some(_) => None,
        None => Some(aws_dir()?),
    };
    let config = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.clone().unwrap_or_default().join("config"));
    let credentials = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| config.with_file_name("credentials"));
    if let Some(parent) = config.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let section = if p.name == "default" {
        "default".to_string()
    } else {
        format!("profile {}", p.name)
    };
    rewrite(
        &config,
        &section,
        &[
            format!("region = {}", p.region),
            "output = json".into(),
            format!("endpoint_url = {}", p.endpoint),
        ],
    )?;
    rewrite(
        &credentials,
        &p.name,
        &[
            format!("aws_access_key_id = {}", p.access_key),
            format!("aws_secret_access_key = {}", p.secret_key),
        ],
    )?;
    println!(
        "wrote profile {:?} to {} and {}",
        p.name,
        config.display(),
        credentials.display()
    );
    println!("try: aws --profile {} sts get-caller-identity", p.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_replaces_only_its_section() {
        let text =
            "[default]\nregion = eu-west-1\n\n[profile nimbus]\nregion = old\n[profile x]\na = 1\n";
        let out = upsert_section(text, "profile nimbus", &["region = us-east-1".into()]);
        assert_eq!(out, "[default]\nregion = eu-west-1\n\n[profile nimbus]\nregion = us-east-1\n[profile x]\na = 1\n");
        let out = upsert_section("", "nimbus", &["k = v".into()]);
        assert_eq!(out, "[nimbus]\nk = v\n");
    }

    #[test]
    fn other_profiles_keep_every_byte() {
        let text = "# mine\r\n[a]\r\nk = v  \r\n\r\n[nimbus]\r\nold = 1\r\n[b]\r\nx=y";
        let out = upsert_section(text, "nimbus", &["n = 2".into()]);
        assert_eq!(
            out,
            "# mine\r\n[a]\r\nk = v  \r\n\r\n[nimbus]\nn = 2\n[b]\r\nx=y"
        );
        let out = upsert_section("[a]\nk = v", "nimbus", &["n = 2".into()]);
        assert_eq!(out, "[a]\nk = v\n\n[nimbus]\nn = 2\n");
    }

    #[test]
    fn an_unreadable_file_is_refused_and_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        let original = b"[keep]\naws_access_key_id = A\xff\n".to_vec();
        std::fs::write(&path, &original).expect("write");
        let err = rewrite(&path, "nimbus", &["k = v".into()]).expect_err("refused");
        assert!(format!("{err:#}").contains("not valid UTF-8"), "{err:#}");
        assert_eq!(std::fs::read(&path).expect("read"), original);

        std::fs::write(&path, "[keep]\nk = 1\n").expect("write");
        rewrite(&path, "nimbus", &["k = v".into()]).expect("rewritten");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "[keep]\nk = 1\n\n[nimbus]\nk = v\n"
        );
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
