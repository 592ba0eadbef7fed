//! The stored records of [`crate::defs::Defs`]: key pairs (public half only: EC2 never
//! keeps the private key), the account's registered images, and launch templates with all
//! their versions. Serialized with serde into the store (schema version 1 of each table);
//! fields added later carry `#[serde(default)]`.

use crate::model::TagRec;
use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};

/// One key pair of one (account, region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyPairRec {
    pub account: String,
    pub region: String,
    pub key_pair_id: String,
    pub key_name: String,
    /// `rsa` or `ed25519`.
    pub key_type: String,
    pub fingerprint: String,
    /// The OpenSSH public key line.
    pub public_key: String,
    pub create_time: Timestamp,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// A block device mapping of an image or a launch template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockDeviceRec {
    pub device_name: Option<String>,
    pub virtual_name: Option<String>,
    pub no_device: Option<String>,
    pub ebs: Option<EbsRec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EbsRec {
    pub snapshot_id: Option<String>,
    pub volume_size: Option<i32>,
    pub volume_type: Option<String>,
    pub delete_on_termination: Option<bool>,
    pub encrypted: Option<bool>,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub kms_key_id: Option<String>,
}

/// An image an account registered or copied (the built-in catalogue is not stored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRec {
    /// The owning account.
    pub owner: String,
    pub region: String,
    pub image_id: String,
    pub name: String,
    pub description: Option<String>,
    pub architecture: String,
    pub root_device_name: String,
    pub root_device_type: String,
    pub virtualization_type: String,
    pub ena_support: Option<bool>,
    pub sriov_net_support: Option<String>,
    pub boot_mode: Option<String>,
    pub imds_support: Option<String>,
    pub tpm_support: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub block_devices: Vec<BlockDeviceRec>,
    pub creation_date: Timestamp,
    /// `available` (copies become available at once: there is no data to copy yet).
    pub state: String,
    /// For a copy: `ami-…` in `source_region`.
    pub source_image_id: Option<String>,
    pub source_region: Option<String>,
    /// The built-in image whose root snapshot this image boots from (what the instance
    /// runtime builds its guest from).
    pub base_image: Option<String>,
    /// Accounts granted launch permission, and whether the image is public (`all`).
    #[serde(default)]
    pub launch_accounts: Vec<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// Made by `CreateImage`: the host keeps the captured root volume, and instances of this
    /// image start from a copy of it.
    #[serde(default)]
    pub captured: bool,
}

/// A launch template and all its versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateRec {
    pub account: String,
    pub region: String,
    pub template_id: String,
    pub name: String,
    pub created_by: String,
    pub create_time: Timestamp,
    pub default_version: i64,
    pub latest_version: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// Versions in ascending order of number (deleted ones are gone).
    pub versions: Vec<TemplateVersionRec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateVersionRec {
    pub number: i64,
    pub description: Option<String>,
    pub created_by: String,
    pub create_time: Timestamp,
    pub data: LaunchData,
}

/// A launch template version's data: what RunInstances and Auto Scaling launch from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchData {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterfaceRec>,
    #[serde(default)]
    pub block_devices: Vec<BlockDeviceRec>,
    pub iam_instance_profile_arn: Option<String>,
    pub iam_instance_profile_name: Option<String>,
    pub metadata: Option<MetadataRec>,
    /// Base64, as given.
    pub user_data: Option<String>,
    #[serde(default)]
    pub tag_specifications: Vec<(String, Vec<TagRec>)>,
    /// `standard` or `unlimited`.
    pub cpu_credits: Option<String>,
    pub monitoring: Option<bool>,
    pub disable_api_termination: Option<bool>,
    pub disable_api_stop: Option<bool>,
    pub shutdown_behavior: Option<String>,
    pub ebs_optimized: Option<bool>,
    pub availability_zone: Option<String>,
    pub tenancy: Option<String>,
    pub placement_group: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkInterfaceRec {
    pub device_index: Option<i32>,
    pub associate_public_ip_address: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub description: Option<String>,
    pub subnet_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataRec {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub http_endpoint: Option<String>,
    pub http_protocol_ipv6: Option<String>,
    pub instance_metadata_tags: Option<String>,
}
