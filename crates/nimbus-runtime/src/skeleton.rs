//! The skeleton layer of the user-namespace tier: the host's directory tree under each
//! overlaid system directory (`/usr`, `/etc`), two levels deep, as empty directories with the
//! host's modes, owned by the Nimbus user. In a user namespace the host's root-owned
//! directories belong to an unmapped uid, which even root inside may not write to; laid
//! between the personality layer and the host, this layer makes the merged directories
//! (`/usr/share/httpd`'s parent, `/etc/sysconfig` ...) the instance's root's, so packages and
//! user data can add files there. Deeper host directories and host-owned files stay read-only
//! (said at startup). Built once per data directory, atomically (a temporary directory
//! renamed into place).

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// How many levels below each system directory are copied.
const DEPTH: usize = 2;

/// Builds the skeleton at `dir` (no-op when it is complete) for the system directories
/// `names` of the host.
pub fn build(dir: &Path, names: &[&str]) -> io::Result<()> {
    if dir.join(".complete").exists() {
        return Ok(());
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(&tmp)?;
    for name in names {
        let host = Path::new("/").join(name);
        let meta = match fs::symlink_metadata(&host) {
            Ok(m) if m.is_dir() => m,
            _ => continue,
        };
        copy_tree(&host, &tmp.join(name), meta.permissions().mode(), 0)?;
    }
    fs::write(tmp.join(".complete"), b"")?;
    fs::rename(&tmp, dir)
}

fn copy_tree(host: &Path, out: &Path, mode: u32, depth: usize) -> io::Result<()> {
    fs::create_dir(out)?;
    if depth < DEPTH {
        // A directory the user may not read (0700 root) shows no children: it is still
        // made, and the host's content under it stays out of reach as before.
        if let Ok(rd) = fs::read_dir(host) {
            for e in rd.flatten() {
                let Ok(m) = e.path().symlink_metadata() else {
                    continue;
                };
                if m.is_dir() {
                    copy_tree(
                        &e.path(),
                        &out.join(e.file_name()),
                        m.permissions().mode(),
                        depth + 1,
                    )?;
                }
            }
        }
    }
    fs::set_permissions(out, fs::Permissions::from_mode(mode & 0o7777))
}
