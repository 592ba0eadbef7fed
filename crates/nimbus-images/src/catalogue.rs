//! The table of built-in machine images: one [`ImageSpec`] per AMI Nimbus offers in every
//! region, written the way `describe-images` shows the corresponding public AMI on AWS.
//!
//! Sources and what is Nimbus-made:
//! - Image names follow the publishers' real naming schemes (Amazon Linux 2
//!   `amzn2-ami-hvm-2.0.<date>.<n>-<arch>-gp2` and `amzn2-ami-kernel-5.10-hvm-…`, Amazon Linux
//!   2023 `al2023-ami-2023.<minor>.<date>.<n>-kernel-6.1-<arch>`, Canonical
//!   `ubuntu/images/hvm-ssd[-gp3]/ubuntu-<codename>-<version>-<arch>-server-<date>`, Debian
//!   `debian-12-<arch>-<date>-<build>`), with release stamps from November 2024.
//! - Owner ids are the publishers' real accounts (Amazon 137112412989 with alias `amazon`,
//!   Canonical 099720109477, Debian 136693071363; the latter two have no owner alias).
//! - Root device names (`/dev/xvda` for Amazon Linux and Debian, `/dev/sda1` for Ubuntu),
//!   8 GiB root volumes, volume types (gp2, and gp3 for AL2023 and Ubuntu 24.04), ENA,
//!   `SriovNetSupport=simple`, `PlatformDetails=Linux/UNIX`, `UsageOperation=RunInstances`
//!   and the boot modes (arm64 images boot `uefi`; AL2023 and Ubuntu 24.04 x86_64 are
//!   `uefi-preferred`; the others leave it unset, i.e. legacy BIOS) are as the publishers'
//!   images show them.
//! - Nimbus-made: the time of day in each creation date, the descriptions of the images whose
//!   exact wording we could not source (Debian's), and everything derived per region (image
//!   and snapshot ids, see the crate root). No image bytes: the instance runtime builds each
//!   guest from its [`Personality`](crate::Personality).

use crate::{Arch, BootMode, Personality};

/// One built-in image, region-independent. Ids are derived per region by the crate root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// The AMI name (`Name` in `describe-images`), unique in the catalogue.
    pub name: &'static str,
    pub description: &'static str,
    pub owner_id: &'static str,
    /// `ImageOwnerAlias`: `amazon` for Amazon's images, absent for Canonical's and Debian's.
    pub owner_alias: Option<&'static str>,
    pub architecture: Arch,
    /// `CreationDate`, in EC2's wire format (`2024-11-13T22:41:05.000Z`).
    pub creation_date: &'static str,
    pub root_device_name: &'static str,
    pub volume_size_gib: u32,
    /// `gp2` or `gp3`.
    pub volume_type: &'static str,
    pub ena_support: bool,
    /// `simple`, or `None` when the image leaves the attribute unset.
    pub sriov_net_support: Option<&'static str>,
    /// `None` when the image leaves `BootMode` unset (the instance type's default applies).
    pub boot_mode: Option<BootMode>,
    /// `ImdsSupport`: `v2.0` when instances launched from it default to IMDSv2 only.
    pub imds_support: Option<&'static str>,
    /// Always `Linux/UNIX` in this catalogue.
    pub platform_details: &'static str,
    /// Always `RunInstances` (the billing code of Linux/UNIX).
    pub usage_operation: &'static str,
    /// Always `hvm`.
    pub virtualization_type: &'static str,
    /// Always `xen` (what EC2 reports for HVM images, Nitro included).
    pub hypervisor: &'static str,
    /// The guest this image boots.
    pub personality: Personality,
    /// The distribution's os-release `VERSION_ID` (`2`, `2023`, `22.04`, `24.04`, `12`).
    pub os_version: &'static str,
    /// The guest kernel series, as the image name or publisher states it.
    pub kernel: &'static str,
}

const fn spec(
    name: &'static str,
    description: &'static str,
    architecture: Arch,
    creation_date: &'static str,
    personality: Personality,
    os_version: &'static str,
    kernel: &'static str,
) -> ImageSpec {
    let (owner_id, owner_alias, root_device_name) = match personality {
        Personality::Amzn2 | Personality::Al2023 => ("137112412989", Some("amazon"), "/dev/xvda"),
        Personality::Ubuntu => ("099720109477", None, "/dev/sda1"),
        Personality::Debian => ("136693071363", None, "/dev/xvda"),
    };
    ImageSpec {
        name,
        description,
        owner_id,
        owner_alias,
        architecture,
        creation_date,
        root_device_name,
        volume_size_gib: 8,
        volume_type: "gp2",
        ena_support: true,
        sriov_net_support: Some("simple"),
        boot_mode: match architecture {
            Arch::Arm64 => Some(BootMode::Uefi),
            Arch::X86_64 => None,
        },
        imds_support: None,
        platform_details: "Linux/UNIX",
        usage_operation: "RunInstances",
        virtualization_type: "hvm",
        hypervisor: "xen",
        personality,
        os_version,
        kernel,
    }
}

const fn gp3(mut s: ImageSpec) -> ImageSpec {
    s.volume_type = "gp3";
    s
}

const fn uefi_preferred_on_x86(mut s: ImageSpec) -> ImageSpec {
    if let Arch::X86_64 = s.architecture {
        s.boot_mode = Some(BootMode::UefiPreferred);
    }
    s
}

const fn imdsv2(mut s: ImageSpec) -> ImageSpec {
    s.imds_support = Some("v2.0");
    s
}

const AL2_DATE: &str = "2024-11-13T22:41:05.000Z";
const AL2023_DATE: &str = "2024-11-11T22:11:30.000Z";
const NOBLE_DATE: &str = "2024-11-12T05:26:43.000Z";
const JAMMY_DATE: &str = "2024-11-09T04:16:20.000Z";
const DEBIAN_DATE: &str = "2024-11-11T19:35:21.000Z";

/// Every built-in image, in a fixed order (the order `describe-images` lists them).
pub static IMAGES: &[ImageSpec] = &[
    spec(
        "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2",
        "Amazon Linux 2 AMI 2.0.20241113.1 x86_64 HVM gp2",
        Arch::X86_64,
        AL2_DATE,
        Personality::Amzn2,
        "2",
        "4.14",
    ),
    spec(
        "amzn2-ami-hvm-2.0.20241113.1-arm64-gp2",
        "Amazon Linux 2 AMI 2.0.20241113.1 arm64 HVM gp2",
        Arch::Arm64,
        AL2_DATE,
        Personality::Amzn2,
        "2",
        "4.14",
    ),
    spec(
        "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-x86_64-gp2",
        "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241113.1 x86_64 HVM gp2",
        Arch::X86_64,
        AL2_DATE,
        Personality::Amzn2,
        "2",
        "5.10",
    ),
    spec(
        "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-arm64-gp2",
        "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241113.1 arm64 HVM gp2",
        Arch::Arm64,
        AL2_DATE,
        Personality::Amzn2,
        "2",
        "5.10",
    ),
    imdsv2(uefi_preferred_on_x86(gp3(spec(
        "al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64",
        "Amazon Linux 2023 AMI 2023.6.20241111.0 x86_64 HVM kernel-6.1",
        Arch::X86_64,
        AL2023_DATE,
        Personality::Al2023,
        "2023",
        "6.1",
    )))),
    imdsv2(uefi_preferred_on_x86(gp3(spec(
        "al2023-ami-2023.6.20241111.0-kernel-6.1-arm64",
        "Amazon Linux 2023 AMI 2023.6.20241111.0 arm64 HVM kernel-6.1",
        Arch::Arm64,
        AL2023_DATE,
        Personality::Al2023,
        "2023",
        "6.1",
    )))),
    uefi_preferred_on_x86(gp3(spec(
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241112",
        "Canonical, Ubuntu, 24.04, amd64 noble image",
        Arch::X86_64,
        NOBLE_DATE,
        Personality::Ubuntu,
        "24.04",
        "6.8",
    ))),
    gp3(spec(
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20241112",
        "Canonical, Ubuntu, 24.04, arm64 noble image",
        Arch::Arm64,
        NOBLE_DATE,
        Personality::Ubuntu,
        "24.04",
        "6.8",
    )),
    spec(
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241109",
        "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-11-09",
        Arch::X86_64,
        JAMMY_DATE,
        Personality::Ubuntu,
        "22.04",
        "6.8",
    ),
    spec(
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20241109",
        "Canonical, Ubuntu, 22.04 LTS, arm64 jammy image build on 2024-11-09",
        Arch::Arm64,
        JAMMY_DATE,
        Personality::Ubuntu,
        "22.04",
        "6.8",
    ),
    spec(
        "debian-12-amd64-20241111-1928",
        "Debian 12 (20241111-1928)",
        Arch::X86_64,
        DEBIAN_DATE,
        Personality::Debian,
        "12",
        "6.1",
    ),
    spec(
        "debian-12-arm64-20241111-1928",
        "Debian 12 (20241111-1928)",
        Arch::Arm64,
        DEBIAN_DATE,
        Personality::Debian,
        "12",
        "6.1",
    ),
];
