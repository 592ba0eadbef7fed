//! Unit tests of the catalogue: id shape and determinism, per-region distinctness, lookups,
//! the public-parameter table's consistency with the images, and path selection.

use super::*;
use std::collections::HashSet;

fn is_hex17(s: &str) -> bool {
    s.len() == 17
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn ids_have_aws_shape_and_are_deterministic() {
    for img in images("us-east-1") {
        let hex = img.id.strip_prefix("ami-").expect("ami- prefix");
        assert!(is_hex17(hex), "{}", img.id);
        let snap = img.snapshot_id.strip_prefix("snap-").expect("snap- prefix");
        assert!(is_hex17(snap), "{}", img.snapshot_id);
        assert_eq!(image_id("us-east-1", img.name), img.id);
    }
    // A fixed value pins the derivation so ids survive code changes and machines.
    // (Computed independently: sha256("nimbus-image\0us-east-1\0<name>"), first 17 hex.)
    let al2 = image_by_name("us-east-1", "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2").unwrap();
    assert_eq!(al2.id, "ami-4cda197aeea7f6ad3");
}

#[test]
fn ids_differ_per_region_and_per_image() {
    let east: HashSet<String> = images("us-east-1").map(|i| i.id).collect();
    let west: HashSet<String> = images("eu-west-1").map(|i| i.id).collect();
    assert_eq!(east.len(), IMAGES.len());
    assert_eq!(west.len(), IMAGES.len());
    assert!(east.is_disjoint(&west));
    let snaps: HashSet<String> = images("us-east-1").map(|i| i.snapshot_id).collect();
    assert_eq!(snaps.len(), IMAGES.len());
    assert!(snaps
        .iter()
        .all(|s| !east.contains(&s.replace("snap-", "ami-"))));
}

#[test]
fn names_are_unique_and_lookups_agree() {
    let names: HashSet<&str> = IMAGES.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), IMAGES.len());
    for img in images("ap-south-1") {
        assert_eq!(image("ap-south-1", &img.id).unwrap(), img);
        assert_eq!(image_by_name("ap-south-1", img.name).unwrap(), img);
        assert!(image("us-east-1", &img.id).is_none(), "ids are per region");
    }
    assert!(image("us-east-1", "ami-0123456789abcdef0").is_none());
    assert!(image("us-east-1", "not-an-id").is_none());
    assert!(image_by_name("us-east-1", "no-such-image").is_none());
}

#[test]
fn image_attributes_follow_publishers() {
    let al2 = image_by_name("us-east-1", "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2").unwrap();
    assert_eq!(
        (al2.owner_id, al2.owner_alias),
        ("137112412989", Some("amazon"))
    );
    assert_eq!(
        (al2.root_device_name, al2.volume_type, al2.volume_size_gib),
        ("/dev/xvda", "gp2", 8)
    );
    assert_eq!(al2.personality, Personality::Amzn2);
    assert_eq!(al2.boot_mode, None);
    let al2023 =
        image_by_name("us-east-1", "al2023-ami-2023.6.20241111.0-kernel-6.1-arm64").unwrap();
    assert_eq!(
        (al2023.architecture, al2023.volume_type),
        (Arch::Arm64, "gp3")
    );
    assert_eq!(al2023.boot_mode, Some(BootMode::Uefi));
    assert_eq!(al2023.imds_support, Some("v2.0"));
    let noble = image_by_name(
        "us-east-1",
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241112",
    )
    .unwrap();
    assert_eq!((noble.owner_id, noble.owner_alias), ("099720109477", None));
    assert_eq!(
        (noble.root_device_name, noble.volume_type),
        ("/dev/sda1", "gp3")
    );
    assert_eq!(noble.boot_mode, Some(BootMode::UefiPreferred));
    let debian = image_by_name("us-east-1", "debian-12-amd64-20241111-1928").unwrap();
    assert_eq!(
        (debian.owner_id, debian.root_device_name),
        ("136693071363", "/dev/xvda")
    );
    for img in images("us-east-1") {
        assert_eq!(img.platform_details, "Linux/UNIX");
        assert!(img.ena_support);
        // Architecture is spelled in the name the way each publisher spells it.
        let arch_word = match (img.personality, img.architecture) {
            (Personality::Ubuntu | Personality::Debian, Arch::X86_64) => "amd64",
            (_, a) => a.as_str(),
        };
        assert!(
            img.name.contains(arch_word),
            "{} lacks {arch_word}",
            img.name
        );
        assert!(img.creation_date.ends_with(".000Z") && img.creation_date.len() == 24);
    }
}

#[test]
fn personalities() {
    assert_eq!(Personality::Amzn2.default_user(), "ec2-user");
    assert_eq!(Personality::Al2023.package_manager(), "dnf");
    assert_eq!(Personality::Amzn2.package_manager(), "yum");
    assert_eq!(Personality::Ubuntu.default_user(), "ubuntu");
    assert_eq!(Personality::Debian.default_user(), "admin");
    assert_eq!(Personality::Debian.package_manager(), "apt");
    assert_eq!(Personality::Al2023.os_release_id(), "amzn");
    assert_eq!(Personality::Al2023.as_str(), "al2023");
}

#[test]
fn every_parameter_resolves_and_table_is_sorted() {
    for p in PUBLIC_PARAMETERS {
        assert!(p.name.starts_with("/aws/service/"));
        let (q, img) = resolve_parameter("eu-central-1", p.name).expect(p.name);
        assert_eq!(q, p);
        assert_eq!(img.name, p.image_name);
        assert!(matches!(p.data_type, "text" | "aws:ec2:image"));
    }
    let names: Vec<&str> = PUBLIC_PARAMETERS.iter().map(|p| p.name).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn well_known_paths_resolve_to_matching_images() {
    let r = |path: &str| resolve_parameter("us-west-2", path).unwrap().1;
    assert_eq!(
        r("/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2").name,
        "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2"
    );
    assert_eq!(
        r("/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2").kernel,
        "5.10"
    );
    let def = r("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    assert_eq!(
        def,
        r("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64")
    );
    assert_eq!(
        (def.personality, def.architecture),
        (Personality::Al2023, Arch::X86_64)
    );
    assert_eq!(
        r("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64").architecture,
        Arch::Arm64
    );
    let noble =
        r("/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id");
    assert_eq!((noble.os_version, noble.volume_type), ("24.04", "gp3"));
    let jammy =
        r("/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id");
    assert_eq!((jammy.os_version, jammy.volume_type), ("22.04", "gp2"));
    assert_eq!(
        r("/aws/service/debian/release/12/latest/amd64").personality,
        Personality::Debian
    );
    assert!(resolve_parameter("us-west-2", "/aws/service/ami-amazon-linux-latest/nope").is_none());
    // The value differs per region, as on AWS.
    let east = resolve_parameter("us-east-1", "/aws/service/debian/release/12/latest/amd64")
        .unwrap()
        .1;
    assert_ne!(east.id, r("/aws/service/debian/release/12/latest/amd64").id);
}

#[test]
fn path_selection_direct_and_recursive() {
    let al: Vec<_> =
        public_parameters_under("/aws/service/ami-amazon-linux-latest", false).collect();
    assert_eq!(al.len(), 8);
    assert_eq!(
        public_parameters_under("/aws/service/ami-amazon-linux-latest/", false).count(),
        8
    );
    assert_eq!(public_parameters_under("/aws/service", false).count(), 0);
    assert_eq!(
        public_parameters_under("/aws/service", true).count(),
        PUBLIC_PARAMETERS.len()
    );
    assert_eq!(
        public_parameters_under("/aws/service/debian/release/12", true).count(),
        2
    );
    assert_eq!(
        public_parameters_under("/aws/service/debian/release/12/latest", false).count(),
        2
    );
    // A prefix that is not a whole path segment selects nothing.
    assert_eq!(
        public_parameters_under("/aws/service/ami-amazon", true).count(),
        0
    );
}
