//! The public Systems Manager parameters that point at the built-in images: the
//! `/aws/service/…` paths AWS, Canonical and Debian publish in every region, each naming the
//! catalogue image it resolves to. Paths are the publishers' real ones. `DataType` is
//! `aws:ec2:image` for Canonical's parameters (as `get-parameter` shows them on AWS) and
//! `text` for Amazon Linux's; Debian's is `text` (not confirmed against AWS). Versions and
//! modification times are Nimbus-made (the times are a little after each image's creation).

/// One public parameter: its full path and the image name it resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicParameter {
    /// The full parameter name, starting `/aws/service/`.
    pub name: &'static str,
    /// The catalogue image (`ImageSpec::name`) whose per-region id is the value.
    pub image_name: &'static str,
    /// `text` or `aws:ec2:image`.
    pub data_type: &'static str,
    /// The parameter's `Version`.
    pub version: u64,
    /// `LastModifiedDate`, seconds since the Unix epoch (UTC).
    pub last_modified_epoch_seconds: i64,
}

const AL2: &str = "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2";
const AL2_ARM: &str = "amzn2-ami-hvm-2.0.20241113.1-arm64-gp2";
const AL2_510: &str = "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-x86_64-gp2";
const AL2_510_ARM: &str = "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-arm64-gp2";
const AL2023: &str = "al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64";
const AL2023_ARM: &str = "al2023-ami-2023.6.20241111.0-kernel-6.1-arm64";
const NOBLE: &str = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241112";
const NOBLE_ARM: &str = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20241112";
const JAMMY: &str = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241109";
const JAMMY_ARM: &str = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20241109";
const DEBIAN: &str = "debian-12-amd64-20241111-1928";
const DEBIAN_ARM: &str = "debian-12-arm64-20241111-1928";

/// 2024-11-14T01:05:31Z
const AL2_MODIFIED: i64 = 1_731_546_331;
/// 2024-11-12T03:20:07Z
const AL2023_MODIFIED: i64 = 1_731_381_607;
/// 2024-11-12T09:44:52Z
const NOBLE_MODIFIED: i64 = 1_731_404_692;
/// 2024-11-09T08:02:16Z
const JAMMY_MODIFIED: i64 = 1_731_139_336;
/// 2024-11-11T21:10:45Z
const DEBIAN_MODIFIED: i64 = 1_731_359_445;

const fn p(
    name: &'static str,
    image_name: &'static str,
    data_type: &'static str,
    version: u64,
    last_modified_epoch_seconds: i64,
) -> PublicParameter {
    PublicParameter {
        name,
        image_name,
        data_type,
        version,
        last_modified_epoch_seconds,
    }
}

/// Every public parameter, sorted by name (the order `get-parameters-by-path` pages in).
pub static PUBLIC_PARAMETERS: &[PublicParameter] = &[
    p(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64",
        AL2023_ARM,
        "text",
        94,
        AL2023_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64",
        AL2023,
        "text",
        94,
        AL2023_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        AL2023_ARM,
        "text",
        94,
        AL2023_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        AL2023,
        "text",
        94,
        AL2023_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2",
        AL2_ARM,
        "text",
        112,
        AL2_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2",
        AL2,
        "text",
        131,
        AL2_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-arm64-gp2",
        AL2_510_ARM,
        "text",
        88,
        AL2_MODIFIED,
    ),
    p(
        "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
        AL2_510,
        "text",
        88,
        AL2_MODIFIED,
    ),
    p(
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        JAMMY,
        "aws:ec2:image",
        61,
        JAMMY_MODIFIED,
    ),
    p(
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
        JAMMY_ARM,
        "aws:ec2:image",
        61,
        JAMMY_MODIFIED,
    ),
    p(
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        NOBLE,
        "aws:ec2:image",
        27,
        NOBLE_MODIFIED,
    ),
    p(
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
        NOBLE_ARM,
        "aws:ec2:image",
        27,
        NOBLE_MODIFIED,
    ),
    p(
        "/aws/service/debian/release/12/latest/amd64",
        DEBIAN,
        "text",
        43,
        DEBIAN_MODIFIED,
    ),
    p(
        "/aws/service/debian/release/12/latest/arm64",
        DEBIAN_ARM,
        "text",
        43,
        DEBIAN_MODIFIED,
    ),
    p(
        "/aws/service/debian/release/bookworm/latest/amd64",
        DEBIAN,
        "text",
        43,
        DEBIAN_MODIFIED,
    ),
    p(
        "/aws/service/debian/release/bookworm/latest/arm64",
        DEBIAN_ARM,
        "text",
        43,
        DEBIAN_MODIFIED,
    ),
];
