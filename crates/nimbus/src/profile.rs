//! `nimbus profile`: writes (or replaces) a named profile in `~/.aws/config` and
//! `~/.aws/credentials` with `endpoint_url`, so `aws --profile nimbus ...` talks to Nimbus.
//! Other profiles and comments in those files are kept as they are.

use crate::cli::ProfileOptions;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Replaces section `[header]` of an INI text with `body` lines (or appends it).
pub fn upsert_section(text: &str, header: &str, body: &[String]) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    let mut written = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            skipping = t == format!("[{header}]");
            if skipping {
                out.push(format!("[{header}]"));
                out.extend(body.iter().cloned());
                written = true;
                continue;
            }
        }
        if !skipping {
            out.push(line.to_string());
        }
    }
    if !written {
        if out.last().is_some_and(|l| !l.trim().is_empty()) {
            out.push(String::new());
        }
        out.push(format!("[{header}]"));
        out.extend(body.iter().cloned());
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn aws_dir() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".aws"))
}

fn rewrite(path: &Path, header: &str, body: &[String]) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, upsert_section(&old, header, body))
        .with_context(|| format!("writing {}", path.display()))
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
}
