//! The stored record of an instance ([`InstanceRec`], table `ec2.instances`, schema version 1,
//! kept by the definitions holder `defs` beside key pairs, images and templates), with its
//! volumes ([`VolumeRec`]: the root volume and the block device mappings' volumes live and
//! die with the instance), and the pure rules over it: AWS's state names and codes, which
//! transitions an API call may start from which state, and the DNS names EC2 derives from
//! addresses. Fields added later carry `#[serde(default)]`.

use crate::model::TagRec;
use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const SHUTTING_DOWN: &str = "shutting-down";
pub const TERMINATED: &str = "terminated";
pub const STOPPING: &str = "stopping";
pub const STOPPED: &str = "stopped";

/// How long a terminated instance stays visible, in Nimbus milliseconds (about an hour, as
/// on AWS).
pub const TERMINATED_VISIBLE_MS: i64 = 3_600_000;

/// After this long running (Nimbus time) the status checks move from `initializing` to `ok`.
pub const STATUS_INIT_MS: i64 = 1_000;

/// AWS's numeric code of a state name (the low byte of `InstanceState.Code`).
pub fn state_code(name: &str) -> i32 {
    match name {
        PENDING => 0,
        RUNNING => 16,
        SHUTTING_DOWN => 32,
        TERMINATED => 48,
        STOPPING => 64,
        STOPPED => 80,
        _ => -1,
    }
}

/// The instance's metadata options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataOpts {
    /// `optional` or `required`.
    pub http_tokens: String,
    pub hop_limit: i32,
    /// `enabled` or `disabled`.
    pub endpoint: String,
    pub protocol_ipv6: String,
    /// `enabled` or `disabled`: instance tags in the metadata.
    pub tags: String,
}

impl Default for MetadataOpts {
    fn default() -> Self {
        MetadataOpts {
            http_tokens: "optional".into(),
            hop_limit: 1,
            endpoint: "enabled".into(),
            protocol_ipv6: "disabled".into(),
            tags: "disabled".into(),
        }
    }
}

/// A volume attached to an instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeRec {
    pub volume_id: String,
    pub device_name: String,
    pub size_gib: i32,
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: bool,
    pub delete_on_termination: bool,
    pub snapshot_id: Option<String>,
    pub create_time: Timestamp,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// A volume that outlived its instance (`DeleteOnTermination=false`): `available` until
/// `DeleteVolume`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetachedVolumeRec {
    pub account: String,
    pub region: String,
    pub az: String,
    pub volume: VolumeRec,
    /// The host keeps its files (it was an instance's root volume); removed with it.
    pub on_host: bool,
}

/// The IAM instance profile an instance runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRec {
    pub arn: String,
    /// `AIPA…`, the instance profile id.
    pub id: String,
    /// `iip-assoc-…`.
    pub association_id: String,
    pub associated_at: Timestamp,
}

/// One instance of one (account, region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceRec {
    pub account: String,
    pub region: String,
    pub instance_id: String,
    pub reservation_id: String,
    /// Who launched it on the account's behalf (Auto Scaling's account), if not the owner.
    pub requester_id: Option<String>,
    pub image_id: String,
    /// The AMI's guest personality (`amzn2`, …).
    pub personality: String,
    pub architecture: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub launch_time: Timestamp,
    pub ami_launch_index: i32,
    pub state: String,
    /// (code, message) of `StateReason`.
    pub state_reason: Option<(String, String)>,
    pub state_transition_reason: String,
    pub az: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub vpc_cidr: String,
    pub subnet_prefix: u8,
    pub eni_id: String,
    pub eni_attachment_id: String,
    pub mac: String,
    pub private_ip: String,
    /// The loopback address Nimbus serves the instance's open ports on.
    pub public_ip: Option<String>,
    pub group_ids: Vec<String>,
    /// Base64, as given.
    pub user_data: Option<String>,
    pub profile: Option<ProfileRec>,
    pub metadata: MetadataOpts,
    pub monitoring: bool,
    pub disable_api_termination: bool,
    pub disable_api_stop: bool,
    /// `stop` or `terminate`.
    pub shutdown_behavior: String,
    pub ebs_optimized: bool,
    /// `standard` or `unlimited` (burstable types only).
    pub cpu_credits: Option<String>,
    pub source_dest_check: bool,
    pub root_device_name: String,
    pub volumes: Vec<VolumeRec>,
    pub client_token: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// When it last became running (status checks start from here).
    pub running_since: Option<Timestamp>,
    /// When its init died (status checks impaired).
    pub impaired_since: Option<Timestamp>,
    pub terminated_at: Option<Timestamp>,
    /// The captured image (`CreateImage`) its root volume started from.
    #[serde(default)]
    pub captured_image: Option<String>,
    /// Whether AWS assigns the instance a public address of its own (it was launched with
    /// one): it gets a new one when it starts again, or when an Elastic IP leaves it.
    /// `None` in records written before Elastic IPs could be associated with instances
    /// (then: whether it holds a public address when its first Elastic IP comes).
    #[serde(default)]
    pub auto_public_ip: Option<bool>,
}

impl InstanceRec {
    /// The user data, decoded.
    pub fn user_data_bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let u = self.user_data.as_ref()?;
        base64::engine::general_purpose::STANDARD
            .decode(u.trim())
            .ok()
    }

    pub fn is_terminated(&self) -> bool {
        self.state == TERMINATED
    }

    /// The private DNS name: `ip-10-0-1-5.ec2.internal` in us-east-1,
    /// `ip-10-0-1-5.REGION.compute.internal` elsewhere.
    pub fn private_dns(&self) -> String {
        private_dns(&self.region, &self.private_ip)
    }

    /// The public DNS name while the instance has a public address.
    pub fn public_dns(&self) -> Option<String> {
        self.shown_public_ip()
            .map(|ip| public_dns(&self.region, ip))
    }

    /// The public address as AWS shows it: only while pending or running.
    pub fn shown_public_ip(&self) -> Option<&str> {
        if self.state == PENDING || self.state == RUNNING {
            self.public_ip.as_deref()
        } else {
            None
        }
    }
}

/// `ip-a-b-c-d.ec2.internal` (us-east-1) or `ip-a-b-c-d.REGION.compute.internal`.
pub fn private_dns(region: &str, ip: &str) -> String {
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ip-{dashed}.ec2.internal")
    } else {
        format!("ip-{dashed}.{region}.compute.internal")
    }
}

/// `ec2-a-b-c-d.compute-1.amazonaws.com` (us-east-1) or
/// `ec2-a-b-c-d.REGION.compute.amazonaws.com`.
pub fn public_dns(region: &str, ip: &str) -> String {
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ec2-{dashed}.compute-1.amazonaws.com")
    } else {
        format!("ec2-{dashed}.{region}.compute.amazonaws.com")
    }
}

/// `User initiated (2026-12-07 19:42:10 GMT)`, EC2's StateTransitionReason wording.
pub fn user_initiated(now: Timestamp) -> String {
    format!("User initiated ({})", gmt(now))
}

/// `2026-12-07 19:42:10 GMT`.
pub fn gmt(t: Timestamp) -> String {
    let c = t.civil();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} GMT",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_follow_the_region() {
        assert_eq!(
            private_dns("us-east-1", "10.0.1.23"),
            "ip-10-0-1-23.ec2.internal"
        );
        assert_eq!(
            private_dns("eu-west-1", "172.31.0.5"),
            "ip-172-31-0-5.eu-west-1.compute.internal"
        );
        assert_eq!(
            public_dns("us-east-1", "127.88.0.5"),
            "ec2-127-88-0-5.compute-1.amazonaws.com"
        );
        assert_eq!(
            public_dns("eu-west-1", "127.88.0.5"),
            "ec2-127-88-0-5.eu-west-1.compute.amazonaws.com"
        );
    }

    #[test]
    fn codes_and_reasons() {
        let codes: Vec<i32> = [
            PENDING,
            RUNNING,
            SHUTTING_DOWN,
            TERMINATED,
            STOPPING,
            STOPPED,
        ]
        .iter()
        .map(|s| state_code(s))
        .collect();
        assert_eq!(codes, vec![0, 16, 32, 48, 64, 80]);
        assert_eq!(
            user_initiated(Timestamp::from_secs(1_767_225_600)),
            "User initiated (2026-01-01 00:00:00 GMT)"
        );
    }
}
