//! The built-in machine-image catalogue Nimbus offers in every region, and the public
//! Systems Manager parameters that point at it. Pure data and lookups — no AWS wire
//! knowledge: EC2 renders these images in `describe-images`, SSM serves the parameters, and
//! the instance runtime reads each image's guest [`Personality`] (which distribution to boot,
//! its default user and package manager).
//!
//! Image ids are `ami-` + 17 lowercase hex digits, derived from SHA-256 of the region and the
//! image name: stable across restarts and machines, and different in every region, as AMI
//! ids are on AWS. The root volume's snapshot id (`snap-` + 17 hex) is derived the same way.
//! [`catalogue`] says which attribute values come from the publishers' real images and which
//! are Nimbus-made; [`parameters`] does the same for the public parameters.

pub mod catalogue;
pub mod parameters;

use sha2::{Digest, Sha256};

pub use catalogue::{ImageSpec, IMAGES};
pub use parameters::{PublicParameter, PUBLIC_PARAMETERS};

/// An image's CPU architecture, as EC2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// `x86_64` or `arm64` (EC2's `Architecture` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// An image's boot mode, as EC2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootMode {
    LegacyBios,
    Uefi,
    UefiPreferred,
}

impl BootMode {
    /// `legacy-bios`, `uefi` or `uefi-preferred`.
    pub fn as_str(self) -> &'static str {
        match self {
            BootMode::LegacyBios => "legacy-bios",
            BootMode::Uefi => "uefi",
            BootMode::UefiPreferred => "uefi-preferred",
        }
    }
}

/// The guest an image boots: which distribution, and how a user gets into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Personality {
    /// Amazon Linux 2.
    Amzn2,
    /// Amazon Linux 2023.
    Al2023,
    Ubuntu,
    Debian,
}

impl Personality {
    /// Nimbus's short name: `amzn2`, `al2023`, `ubuntu`, `debian`.
    pub fn as_str(self) -> &'static str {
        match self {
            Personality::Amzn2 => "amzn2",
            Personality::Al2023 => "al2023",
            Personality::Ubuntu => "ubuntu",
            Personality::Debian => "debian",
        }
    }

    /// The `ID` in the guest's `/etc/os-release` (`amzn` for both Amazon Linux generations;
    /// the image's `os_version` is `VERSION_ID`).
    pub fn os_release_id(self) -> &'static str {
        match self {
            Personality::Amzn2 | Personality::Al2023 => "amzn",
            Personality::Ubuntu => "ubuntu",
            Personality::Debian => "debian",
        }
    }

    /// The login user that gets the launch key pair: `ec2-user`, `ubuntu` or `admin`.
    pub fn default_user(self) -> &'static str {
        match self {
            Personality::Amzn2 | Personality::Al2023 => "ec2-user",
            Personality::Ubuntu => "ubuntu",
            Personality::Debian => "admin",
        }
    }

    /// The package manager command: `yum`, `dnf` or `apt`.
    pub fn package_manager(self) -> &'static str {
        match self {
            Personality::Amzn2 => "yum",
            Personality::Al2023 => "dnf",
            Personality::Ubuntu | Personality::Debian => "apt",
        }
    }
}

/// A catalogue image as it exists in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `ami-` + 17 hex, derived from (region, name).
    pub id: String,
    /// The root volume's snapshot, `snap-` + 17 hex, derived from (region, name).
    pub snapshot_id: String,
    pub spec: &'static ImageSpec,
}

impl std::ops::Deref for Image {
    type Target = ImageSpec;
    fn deref(&self) -> &ImageSpec {
        self.spec
    }
}

fn derived(prefix: &str, salt: &str, region: &str, name: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(region.as_bytes());
    h.update([0]);
    h.update(name.as_bytes());
    let hex = hex::encode(h.finalize());
    format!("{prefix}{}", &hex[..17])
}

/// The id image `name` has in `region` (whether or not `name` is in the catalogue).
pub fn image_id(region: &str, name: &str) -> String {
    derived("ami-", "nimbus-image", region, name)
}

fn materialize(region: &str, spec: &'static ImageSpec) -> Image {
    Image {
        id: image_id(region, spec.name),
        snapshot_id: derived("snap-", "nimbus-image-snapshot", region, spec.name),
        spec,
    }
}

/// Every built-in image of `region`, in catalogue order.
pub fn images(region: &str) -> impl Iterator<Item = Image> + '_ {
    IMAGES.iter().map(move |s| materialize(region, s))
}

/// The built-in image with id `id` in `region`, if any (an id from another region is not
/// found, as on AWS).
pub fn image(region: &str, id: &str) -> Option<Image> {
    if !id.starts_with("ami-") {
        return None;
    }
    images(region).find(|i| i.id == id)
}

/// The built-in image named `name` in `region`, if any.
pub fn image_by_name(region: &str, name: &str) -> Option<Image> {
    IMAGES
        .iter()
        .find(|s| s.name == name)
        .map(|s| materialize(region, s))
}

/// The public parameter at exactly `path`, if any.
pub fn public_parameter(path: &str) -> Option<&'static PublicParameter> {
    PUBLIC_PARAMETERS.iter().find(|p| p.name == path)
}

/// Resolves a public parameter path to the image it names in `region`.
pub fn resolve_parameter(region: &str, path: &str) -> Option<(&'static PublicParameter, Image)> {
    let p = public_parameter(path)?;
    let image = image_by_name(region, p.image_name)?;
    Some((p, image))
}

/// Public parameters under `path` (a hierarchy such as `/aws/service/ami-amazon-linux-latest`,
/// with or without a trailing slash): only direct children unless `recursive`, as
/// `get-parameters-by-path` selects them. Sorted by name.
pub fn public_parameters_under(
    path: &str,
    recursive: bool,
) -> impl Iterator<Item = &'static PublicParameter> {
    let mut prefix = path.trim_end_matches('/').to_string();
    prefix.push('/');
    PUBLIC_PARAMETERS
        .iter()
        .filter(move |p| match p.name.strip_prefix(prefix.as_str()) {
            Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
            None => false,
        })
}

#[cfg(test)]
mod tests;
