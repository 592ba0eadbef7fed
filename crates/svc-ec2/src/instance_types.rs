//! The instance types Nimbus runs (the t2, t3, t3a, m5, c5 and r5 families) with the figures
//! EC2 publishes for them, as `DescribeInstanceTypes` shows them. The table is
//! `instance_types.json` beside this file: one row per type, taken from a capture of EC2's
//! own `DescribeInstanceTypes` answers and checked against the EC2 User Guide's tables
//! (vCPUs, cores, threads and valid CPU options; memory; network performance; maximum
//! network interfaces and IPv4/IPv6 addresses per interface), where the guide's newer
//! "12 Gigabit" for c5.9xlarge, m5.12xlarge and r5.12xlarge wins over the capture. What is
//! not sourced is left out of the answers rather than guessed. [`lookup`] is the read API the
//! instance runtime uses (vCPUs, memory).

use serde::Deserialize;
use std::sync::OnceLock;

/// One instance type's published figures.
#[derive(Clone, Debug, Deserialize)]
pub struct TypeSpec {
    pub name: String,
    pub free_tier: bool,
    pub usage_classes: Vec<String>,
    /// `None` on bare metal.
    pub hypervisor: Option<String>,
    pub bare_metal: bool,
    pub architectures: Vec<String>,
    pub clock_ghz: f64,
    pub vcpus: i32,
    pub cores: Option<i32>,
    pub threads_per_core: Option<i32>,
    pub valid_cores: Vec<i32>,
    pub valid_threads_per_core: Vec<i32>,
    pub memory_mib: i64,
    pub ebs_optimized: String,
    pub network_performance: String,
    pub max_network_interfaces: i32,
    pub ipv4_per_interface: i32,
    pub ipv6_per_interface: i32,
    pub ena: String,
    pub placement_strategies: Vec<String>,
    pub hibernation: bool,
    pub burstable: bool,
    pub dedicated_hosts: bool,
    pub auto_recovery: bool,
}

/// Every type, in family and size order.
pub fn all() -> &'static [TypeSpec] {
    static TABLE: OnceLock<Vec<TypeSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("instance_types.json"))
            .expect("instance_types.json is a valid table")
    })
}

/// The type named `name`, if Nimbus knows it.
pub fn lookup(name: &str) -> Option<&'static TypeSpec> {
    all().iter().find(|t| t.name == name)
}

/// Whether `name` counts against the "Running On-Demand Standard (A, C, D, H, I, M, R, T,
/// Z) instances" vCPU quota (every family Nimbus runs does).
pub fn standard_bucket(name: &str) -> bool {
    name.chars().next().is_some_and(|c| "acdhimrtz".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_is_consistent() {
        let all = all();
        assert_eq!(all.len(), 48);
        for t in all {
            if let (Some(c), Some(th)) = (t.cores, t.threads_per_core) {
                assert_eq!(c * th, t.vcpus, "{}", t.name);
            }
            assert_eq!(t.bare_metal, t.hypervisor.is_none(), "{}", t.name);
        }
        let micro = lookup("t2.micro").unwrap();
        assert_eq!((micro.vcpus, micro.memory_mib), (1, 1024));
        assert!(micro.free_tier && micro.burstable);
        let m5 = lookup("m5.large").unwrap();
        assert_eq!(
            (m5.vcpus, m5.memory_mib, m5.max_network_interfaces),
            (2, 8192, 3)
        );
        assert!(lookup("t2.mega").is_none());
    }
}
