//! One view over both kinds of image EC2 answers for: the built-in catalogue of
//! `nimbus-images` (public, owned by their publishers, the same names in every region with
//! per-region ids) and the images accounts register or copy (`ImageRec`). [`ImageView`] is
//! what `DescribeImages` filters and renders; [`visible`] lists the images a caller may see
//! in a region (public ones, its own, and those shared with it by launch permission), and
//! [`find`] finds one by id the same way. Rendering follows `describe-images`: `ebs` root
//! devices, `machine` images, `xen` hypervisor, `Linux/UNIX` platform details.

use crate::def_records::{BlockDeviceRec, EbsRec, ImageRec};
use crate::defs::DefsState;
use crate::filters::Parsed;
use crate::generated::{BlockDeviceMapping, EbsBlockDevice, Image};
use crate::model::TagRec;
use crate::tags;
use std::sync::Arc;

/// An image as `DescribeImages` sees it.
#[derive(Clone, Debug)]
pub enum ImageView {
    Builtin(nimbus_images::Image),
    Owned(Arc<ImageRec>),
}

impl ImageView {
    pub fn id(&self) -> &str {
        match self {
            ImageView::Builtin(i) => &i.id,
            ImageView::Owned(r) => &r.image_id,
        }
    }

    pub fn owner(&self) -> &str {
        match self {
            ImageView::Builtin(i) => i.owner_id,
            ImageView::Owned(r) => &r.owner,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ImageView::Builtin(i) => i.name,
            ImageView::Owned(r) => &r.name,
        }
    }

    pub fn is_public(&self) -> bool {
        match self {
            ImageView::Builtin(_) => true,
            ImageView::Owned(r) => r.public,
        }
    }

    pub fn owner_alias(&self) -> Option<&str> {
        match self {
            ImageView::Builtin(i) => i.owner_alias,
            ImageView::Owned(_) => None,
        }
    }

    pub fn architecture(&self) -> &str {
        match self {
            ImageView::Builtin(i) => i.architecture.as_str(),
            ImageView::Owned(r) => &r.architecture,
        }
    }

    /// The built-in image this one boots (itself for a built-in image).
    pub fn base_image(&self) -> Option<&str> {
        match self {
            ImageView::Builtin(i) => Some(i.name),
            ImageView::Owned(r) => r.base_image.as_deref(),
        }
    }

    pub fn tags(&self) -> &[TagRec] {
        match self {
            ImageView::Builtin(_) => &[],
            ImageView::Owned(r) => &r.tags,
        }
    }

    /// Whether `account` may launch (and so see) this image.
    pub fn launchable_by(&self, account: &str) -> bool {
        match self {
            ImageView::Builtin(_) => true,
            ImageView::Owned(r) => {
                r.owner == account || r.public || r.launch_accounts.iter().any(|a| a == account)
            }
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            ImageView::Builtin(i) => Some(i.description),
            ImageView::Owned(r) => r.description.as_deref(),
        }
    }

    pub fn block_devices(&self) -> Vec<BlockDeviceRec> {
        match self {
            ImageView::Builtin(i) => vec![BlockDeviceRec {
                device_name: Some(i.root_device_name.to_string()),
                ebs: Some(EbsRec {
                    snapshot_id: Some(i.snapshot_id.clone()),
                    volume_size: Some(i.volume_size_gib as i32),
                    volume_type: Some(i.volume_type.to_string()),
                    delete_on_termination: Some(true),
                    encrypted: Some(false),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ImageView::Owned(r) => r.block_devices.clone(),
        }
    }

    pub fn root_device_name(&self) -> &str {
        match self {
            ImageView::Builtin(i) => i.root_device_name,
            ImageView::Owned(r) => &r.root_device_name,
        }
    }

    fn creation_date(&self) -> String {
        match self {
            ImageView::Builtin(i) => i.creation_date.to_string(),
            ImageView::Owned(r) => r.creation_date.to_iso8601(),
        }
    }

    fn boot_mode(&self) -> Option<String> {
        match self {
            ImageView::Builtin(i) => i.boot_mode.map(|b| b.as_str().to_string()),
            ImageView::Owned(r) => r.boot_mode.clone(),
        }
    }

    fn imds_support(&self) -> Option<String> {
        match self {
            ImageView::Builtin(i) => i.imds_support.map(str::to_string),
            ImageView::Owned(r) => r.imds_support.clone(),
        }
    }

    fn ena_support(&self) -> Option<bool> {
        match self {
            ImageView::Builtin(i) => Some(i.ena_support),
            ImageView::Owned(r) => r.ena_support,
        }
    }

    fn sriov(&self) -> Option<String> {
        match self {
            ImageView::Builtin(i) => i.sriov_net_support.map(str::to_string),
            ImageView::Owned(r) => r.sriov_net_support.clone(),
        }
    }

    fn location(&self) -> String {
        match self {
            ImageView::Builtin(i) => format!("{}/{}", i.owner_alias.unwrap_or(i.owner_id), i.name),
            ImageView::Owned(r) => format!("{}/{}", r.owner, r.name),
        }
    }

    /// The `DescribeImages` shape.
    pub fn render(&self) -> Image {
        let (kernel_id, ramdisk_id, source_id, source_region, tpm, virt) = match self {
            ImageView::Builtin(i) => (None, None, None, None, None, i.virtualization_type.to_string()),
            ImageView::Owned(r) => (
                r.kernel_id.clone(),
                r.ramdisk_id.clone(),
                r.source_image_id.clone(),
                r.source_region.clone(),
                r.tpm_support.clone(),
                r.virtualization_type.clone(),
            ),
        };
        Image {
            platform_details: Some("Linux/UNIX".into()),
            usage_operation: Some("RunInstances".into()),
            block_device_mappings: Some(self.block_devices().iter().map(render_device).collect()),
            description: self.description().map(str::to_string),
            ena_support: self.ena_support(),
            hypervisor: Some("xen".into()),
            image_owner_alias: self.owner_alias().map(str::to_string),
            name: Some(self.name().to_string()),
            root_device_name: Some(self.root_device_name().to_string()),
            root_device_type: Some("ebs".into()),
            sriov_net_support: self.sriov(),
            tags: tags::render(self.tags()),
            virtualization_type: Some(virt),
            boot_mode: self.boot_mode(),
            tpm_support: tpm,
            imds_support: self.imds_support(),
            source_image_id: source_id,
            source_image_region: source_region,
            image_id: Some(self.id().to_string()),
            image_location: Some(self.location()),
            state: Some("available".into()),
            owner_id: Some(self.owner().to_string()),
            creation_date: Some(self.creation_date()),
            public: Some(self.is_public()),
            architecture: Some(self.architecture().to_string()),
            image_type: Some("machine".into()),
            kernel_id,
            ramdisk_id,
            ..Default::default()
        }
    }

    /// Whether this image passes filter `f` (names checked by the caller).
    pub fn matches(&self, f: &Parsed) -> bool {
        if let Some(m) = f.match_tags(self.tags()) {
            return m;
        }
        let devices = self.block_devices();
        let ebs = || devices.iter().filter_map(|d| d.ebs.as_ref());
        let b = |v: bool| if v { "true" } else { "false" };
        match f.name.as_str() {
            "architecture" => f.matches(self.architecture()),
            "block-device-mapping.device-name" => {
                f.matches_any(devices.iter().filter_map(|d| d.device_name.as_deref()))
            }
            "block-device-mapping.snapshot-id" => {
                f.matches_any(ebs().filter_map(|e| e.snapshot_id.as_deref()))
            }
            "block-device-mapping.volume-size" => {
                let sizes: Vec<String> = ebs().filter_map(|e| e.volume_size).map(|s| s.to_string()).collect();
                f.matches_any(sizes.iter().map(String::as_str))
            }
            "block-device-mapping.volume-type" => {
                f.matches_any(ebs().filter_map(|e| e.volume_type.as_deref()))
            }
            "block-device-mapping.delete-on-termination" => {
                f.matches_any(ebs().filter_map(|e| e.delete_on_termination).map(b))
            }
            "block-device-mapping.encrypted" => {
                f.matches_any(ebs().map(|e| b(e.encrypted.unwrap_or(false))))
            }
            "boot-mode" => self.boot_mode().is_some_and(|m| f.matches(&m)),
            "creation-date" => f.matches(&self.creation_date()),
            "description" => self.description().is_some_and(|d| f.matches(d)),
            "ena-support" => f.matches(b(self.ena_support().unwrap_or(false))),
            "hypervisor" => f.matches("xen"),
            "image-id" => f.matches(self.id()),
            "image-type" => f.matches("machine"),
            "imds-support" => self.imds_support().is_some_and(|m| f.matches(&m)),
            "is-public" => f.matches(b(self.is_public())),
            "manifest-location" => f.matches(&self.location()),
            "name" => f.matches(self.name()),
            "owner-alias" => self.owner_alias().is_some_and(|a| f.matches(a)),
            "owner-id" => f.matches(self.owner()),
            "platform-details" => f.matches("Linux/UNIX"),
            "root-device-name" => f.matches(self.root_device_name()),
            "root-device-type" => f.matches("ebs"),
            "source-image-id" => matches!(self, ImageView::Owned(r) if r.source_image_id.as_deref().is_some_and(|s| f.matches(s))),
            "source-image-region" => matches!(self, ImageView::Owned(r) if r.source_region.as_deref().is_some_and(|s| f.matches(s))),
            "sriov-net-support" => self.sriov().is_some_and(|s| f.matches(&s)),
            "state" => f.matches("available"),
            "usage-operation" => f.matches("RunInstances"),
            "virtualization-type" => f.matches("hvm"),
            // Nimbus images have no kernel/ramdisk/product codes/platform (Linux only).
            _ => false,
        }
    }
}

/// The filter names `DescribeImages` accepts (plus the tag filters).
pub const FILTERS: &[&str] = &[
    "architecture",
    "block-device-mapping.delete-on-termination",
    "block-device-mapping.device-name",
    "block-device-mapping.encrypted",
    "block-device-mapping.snapshot-id",
    "block-device-mapping.volume-size",
    "block-device-mapping.volume-type",
    "boot-mode",
    "creation-date",
    "description",
    "ena-support",
    "hypervisor",
    "image-allowed",
    "image-id",
    "image-type",
    "imds-support",
    "is-public",
    "kernel-id",
    "manifest-location",
    "name",
    "owner-alias",
    "owner-id",
    "platform",
    "platform-details",
    "product-code",
    "product-code.type",
    "ramdisk-id",
    "root-device-name",
    "root-device-type",
    "source-image-id",
    "source-image-region",
    "source-instance-id",
    "sriov-net-support",
    "state",
    "state-reason-code",
    "state-reason-message",
    "usage-operation",
    "virtualization-type",
    "deprecation-time",
];

pub fn render_device(d: &BlockDeviceRec) -> BlockDeviceMapping {
    BlockDeviceMapping {
        device_name: d.device_name.clone(),
        virtual_name: d.virtual_name.clone(),
        no_device: d.no_device.clone(),
        ebs: d.ebs.as_ref().map(|e| EbsBlockDevice {
            delete_on_termination: e.delete_on_termination,
            iops: e.iops,
            snapshot_id: e.snapshot_id.clone(),
            volume_size: e.volume_size,
            volume_type: e.volume_type.clone(),
            kms_key_id: e.kms_key_id.clone(),
            throughput: e.throughput,
            encrypted: e.encrypted,
            ..Default::default()
        }),
    }
}

/// Every image of `region` that `account` may see, sorted by id.
pub fn visible(st: &DefsState, region: &str, account: &str) -> Vec<ImageView> {
    let mut out: Vec<ImageView> = nimbus_images::images(region).map(ImageView::Builtin).collect();
    if let Some(own) = st.images_in(region) {
        out.extend(
            own.values()
                .map(|r| ImageView::Owned(r.clone()))
                .filter(|v| v.launchable_by(account)),
        );
    }
    out.sort_by(|a, b| a.id().cmp(b.id()));
    out
}

/// The image `id` of `region` if `account` may see it.
pub fn find(st: &DefsState, region: &str, account: &str, id: &str) -> Option<ImageView> {
    if let Some(i) = nimbus_images::image(region, id) {
        return Some(ImageView::Builtin(i));
    }
    st.images_in(region)
        .and_then(|m| m.get(id))
        .map(|r| ImageView::Owned(r.clone()))
        .filter(|v| v.launchable_by(account))
}

/// Whether `id` is shaped like an AMI id (`ami-` + 8 or 17 hex digits).
pub fn is_image_id(id: &str) -> bool {
    crate::state::is_resource_id(id, "ami-")
}
