//! What the host side hands the sandbox's first stage: a JSON file in the instance's runtime
//! directory describing the root volume, the layers, the system directories to lay over the
//! host's, the namespace and cgroup to join, and who the instance is. Read once by
//! `guest::init` before it unshares anything; never visible inside the instance.

use crate::personality::Personality;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// How one top-level system directory of the host appears in the instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SystemDir {
    /// An overlay: the personality layer (if it has this dir) over the host's directory, the
    /// writable upper layer in the root volume.
    Overlay { name: String },
    /// The host has a symlink here (merged /usr): the same link in the root volume.
    Symlink { name: String, target: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BootConfig {
    pub instance_id: String,
    pub hostname: String,
    pub private_ip: Ipv4Addr,
    pub personality: Personality,
    /// The root volume's plain tree (becomes `/`).
    pub rootfs: PathBuf,
    /// `<name>/upper` and `<name>/work` for each overlay system directory.
    pub layers: PathBuf,
    /// The personality's read-only layer (`usr/`, `etc/`).
    pub personality_layer: PathBuf,
    pub system_dirs: Vec<SystemDir>,
    pub guest_binary: PathBuf,
    /// The instance's network namespace (a bind-mounted nsfs file).
    pub netns: PathBuf,
    /// `cgroup.procs` files to join before anything forks.
    pub cgroup_procs: Vec<PathBuf>,
    /// The user-namespace tier: overlays are mounted with `userxattr` over the skeleton
    /// layer (decision 0009, "Without root").
    #[serde(default)]
    pub skeleton_layer: Option<PathBuf>,
}

/// The directories of the host that form the instance's read-only system tree. Everything
/// else at the host's top level (/root, /home, /work, /tmp, /var, /srv, /opt, /mnt, the data
/// directory ...) is simply absent: the instance's `/` is its own root volume.
pub const SYSTEM_DIRS: &[&str] = &[
    "usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
];

/// The fd number on which stage 1 and PID 1 report "ready" or an error to the host.
pub const READY_FD: i32 = 3;

/// The first argument that makes the guest binary run the sandbox's first stage.
pub const STAGE1_ARG: &str = "__nimbus_sandbox_stage1";
