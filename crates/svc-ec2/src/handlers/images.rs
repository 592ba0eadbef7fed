//! `DescribeImages`, `RegisterImage`, `DeregisterImage`, `CopyImage` and the image
//! attributes (`Describe`/`Modify`/`ResetImageAttribute`: description, launch permissions,
//! IMDS support). The built-in catalogue and the accounts' own images are seen through
//! `images::ImageView`. Registering needs the root device to come from a snapshot Nimbus
//! has, which today means a built-in image's root snapshot (there are no EBS snapshots of
//! one's own until volumes exist); registering from an S3 manifest is refused as
//! unsupported. See <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html>.

use super::check_dry_run;
use crate::def_errors;
use crate::def_records::{BlockDeviceRec, EbsRec, ImageRec};
use crate::defs::{DefChange, DefsState};
use crate::errors;
use crate::filters;
use crate::generated::{
    AttributeValue, BlockDeviceMapping, CopyImageRequest, CopyImageResult, DeregisterImageRequest,
    DeregisterImageResult, DescribeImageAttributeRequest, DescribeImagesRequest,
    DescribeImagesResult, ImageAttribute, LaunchPermission, ModifyImageAttributeRequest,
    RegisterImageRequest, RegisterImageResult, ResetImageAttributeRequest,
};
use crate::images::{self, ImageView};
use crate::state::Ec2;
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

fn check_ids(ids: &[String]) -> Result<(), AwsError> {
    for id in ids {
        if !images::is_image_id(id) {
            return Err(def_errors::ami_malformed(id));
        }
    }
    Ok(())
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeImagesRequest,
) -> Result<DescribeImagesResult, AwsError> {
    let filters = filters::parse(input.filters, images::FILTERS, true)?;
    filters::check_max_results(input.max_results, 1, 1000)?;
    check_dry_run(input.dry_run)?;
    let ids = input.image_ids.unwrap_or_default();
    check_ids(&ids)?;
    if input.max_results.is_some() && !ids.is_empty() {
        return Err(errors::invalid_parameter_combination(
            "The parameter imageIdsSet cannot be used with the parameter maxResults",
        ));
    }
    let owners = input.owners.unwrap_or_default();
    let users = input.executable_users.unwrap_or_default();
    let account = ctx.account_id();
    let all = ec2
        .defs
        .read(|st| images::visible(st, &ctx.region, account));
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !all.iter().any(|i| i.id() == id.as_str()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(def_errors::ami_not_found(&missing));
    }
    let owner_ok = |i: &ImageView| {
        owners.is_empty()
            || owners.iter().any(|o| match o.as_str() {
                "self" => i.owner() == account,
                "amazon" => i.owner_alias() == Some("amazon"),
                other => i.owner() == other,
            })
    };
    let user_ok = |i: &ImageView| {
        users.is_empty()
            || users.iter().any(|u| match u.as_str() {
                "all" => i.is_public(),
                "self" => match i {
                    ImageView::Owned(r) => {
                        r.owner == account || r.launch_accounts.iter().any(|a| a == account)
                    }
                    ImageView::Builtin(_) => false,
                },
                other => i.launchable_by(other),
            })
    };
    let picked: Vec<ImageView> = all
        .into_iter()
        .filter(|i| ids.is_empty() || ids.iter().any(|id| id == i.id()))
        .filter(|i| owner_ok(i) && user_ok(i))
        .filter(|i| filters.iter().all(|f| i.matches(f)))
        .collect();
    let (page, next_token) = filters::paginate(
        picked,
        |i| i.id(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeImagesResult {
        next_token,
        images: Some(page.iter().map(ImageView::render).collect()),
    })
}

/// AMI names: 3 to 128 characters of letters, digits, `()[] ./-'@_`.
pub(super) fn check_name(name: &str) -> Result<(), AwsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c);
    if name.len() < 3 || name.len() > 128 || !name.chars().all(ok_char) {
        return Err(AwsError::client(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '[', ']', ' ', '.', '/', '-', ''', '@' and '_'",
        ));
    }
    Ok(())
}

fn name_taken(st: &DefsState, region: &str, account: &str, name: &str) -> Option<String> {
    st.images_in(region)?
        .values()
        .find(|r| r.owner == account && r.name == name)
        .map(|r| r.image_id.clone())
}

fn device_rec(d: BlockDeviceMapping) -> BlockDeviceRec {
    BlockDeviceRec {
        device_name: d.device_name,
        virtual_name: d.virtual_name,
        no_device: d.no_device,
        ebs: d.ebs.map(|e| EbsRec {
            snapshot_id: e.snapshot_id,
            volume_size: e.volume_size,
            volume_type: e.volume_type,
            delete_on_termination: e.delete_on_termination,
            encrypted: e.encrypted,
            iops: e.iops,
            throughput: e.throughput,
            kms_key_id: e.kms_key_id,
        }),
    }
}

pub(super) async fn register(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: RegisterImageRequest,
) -> Result<RegisterImageResult, AwsError> {
    check_name(&input.name)?;
    let tags = tags::from_specs(input.tag_specifications, "image")?;
    if input
        .image_location
        .as_deref()
        .is_some_and(|l| !l.is_empty())
    {
        return Err(AwsError::client(
            "UnsupportedOperation",
            "Nimbus does not register instance store-backed AMIs from an S3 manifest; register from a snapshot.",
        ));
    }
    let root_device_name = input
        .root_device_name
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            errors::missing_parameter("The request must contain the parameter rootDeviceName")
        })?;
    let mut devices: Vec<BlockDeviceRec> = input
        .block_device_mappings
        .unwrap_or_default()
        .into_iter()
        .map(device_rec)
        .collect();
    let root = devices
        .iter_mut()
        .find(|d| d.device_name.as_deref() == Some(root_device_name.as_str()))
        .ok_or_else(|| {
            AwsError::client(
                "InvalidBlockDeviceMapping",
                format!("The device '{root_device_name}' has no block device mapping for the root device."),
            )
        })?;
    let snapshot = root
        .ebs
        .as_ref()
        .and_then(|e| e.snapshot_id.clone())
        .ok_or_else(|| {
            AwsError::client(
                "InvalidBlockDeviceMapping",
                "The root device mapping must name a snapshot.",
            )
        })?;
    let base = nimbus_images::images(&ctx.region)
        .find(|i| i.snapshot_id == snapshot)
        .ok_or_else(|| {
            AwsError::client(
                "InvalidSnapshot.NotFound",
                format!("The snapshot '{snapshot}' does not exist."),
            )
        })?;
    if let Some(ebs) = root.ebs.as_mut() {
        let size = ebs.volume_size.get_or_insert(base.volume_size_gib as i32);
        if (*size as u32) < base.volume_size_gib {
            return Err(errors::invalid_parameter_value(format!(
                "Volume of size {size}GB is smaller than snapshot '{snapshot}', expect size >= {}GB",
                base.volume_size_gib
            )));
        }
        ebs.volume_type
            .get_or_insert_with(|| base.volume_type.to_string());
        ebs.delete_on_termination.get_or_insert(true);
        ebs.encrypted.get_or_insert(false);
    }
    let architecture = input.architecture.unwrap_or_else(|| "x86_64".into());
    if !matches!(architecture.as_str(), "x86_64" | "arm64" | "i386") {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({architecture}) for parameter architecture is invalid."
        )));
    }
    check_dry_run(input.dry_run)?;
    let account = ctx.account_id().to_string();
    let rec = ImageRec {
        owner: account.clone(),
        region: ctx.region.clone(),
        image_id: ec2.ids.resource_id("ami"),
        name: input.name,
        description: input.description,
        architecture,
        root_device_name,
        root_device_type: "ebs".into(),
        virtualization_type: input.virtualization_type.unwrap_or_else(|| "hvm".into()),
        ena_support: input.ena_support,
        sriov_net_support: input.sriov_net_support,
        boot_mode: input.boot_mode,
        imds_support: input.imds_support,
        tpm_support: input.tpm_support,
        kernel_id: input.kernel_id,
        ramdisk_id: input.ramdisk_id,
        block_devices: devices,
        creation_date: ctx.now,
        state: "available".into(),
        source_image_id: None,
        source_region: None,
        base_image: Some(base.name.to_string()),
        launch_accounts: Vec::new(),
        public: false,
        tags,
        captured: false,
    };
    store_new(ec2, rec)
        .await
        .map(|image_id| RegisterImageResult {
            image_id: Some(image_id),
        })
}

/// Stores a new image unless its name is taken in (account, region); answers its id.
pub(super) async fn store_new(ec2: &Ec2, rec: ImageRec) -> Result<String, AwsError> {
    ec2.defs
        .mutate(|st| {
            if let Some(other) = name_taken(st, &rec.region, &rec.owner, &rec.name) {
                return Err(def_errors::ami_name_duplicate(&rec.name, &other));
            }
            let id = rec.image_id.clone();
            Ok((
                DefChange {
                    put_images: vec![rec],
                    ..Default::default()
                },
                id,
            ))
        })
        .await
}

pub(super) async fn copy(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CopyImageRequest,
) -> Result<CopyImageResult, AwsError> {
    check_name(&input.name)?;
    let mut tags = tags::from_specs(input.tag_specifications, "image")?;
    check_ids(std::slice::from_ref(&input.source_image_id))?;
    if !crate::regions::DEFAULT_REGIONS.contains(&input.source_region.as_str())
        && !crate::regions::OPT_IN_REGIONS.contains(&input.source_region.as_str())
    {
        return Err(errors::invalid_parameter_value(format!(
            "Invalid region: {}",
            input.source_region
        )));
    }
    check_dry_run(input.dry_run)?;
    let account = ctx.account_id().to_string();
    let source = ec2
        .defs
        .read(|st| images::find(st, &input.source_region, &account, &input.source_image_id))
        .ok_or_else(|| def_errors::ami_not_found(&[input.source_image_id.as_str()]))?;
    if input.copy_image_tags == Some(true) && source.owner() == account {
        for t in source.tags() {
            if !tags.iter().any(|x| x.key == t.key) {
                tags.push(t.clone());
            }
        }
    }
    let (kernel_id, ramdisk_id, tpm, virt) = match &source {
        ImageView::Owned(r) => (
            r.kernel_id.clone(),
            r.ramdisk_id.clone(),
            r.tpm_support.clone(),
            r.virtualization_type.clone(),
        ),
        ImageView::Builtin(i) => (None, None, None, i.virtualization_type.to_string()),
    };
    let rendered = source.render();
    let rec = ImageRec {
        owner: account,
        region: ctx.region.clone(),
        image_id: ec2.ids.resource_id("ami"),
        name: input.name,
        description: input.description.or(rendered.description),
        architecture: source.architecture().to_string(),
        root_device_name: source.root_device_name().to_string(),
        root_device_type: "ebs".into(),
        virtualization_type: virt,
        ena_support: rendered.ena_support,
        sriov_net_support: rendered.sriov_net_support,
        boot_mode: rendered.boot_mode,
        imds_support: rendered.imds_support,
        tpm_support: tpm,
        kernel_id,
        ramdisk_id,
        block_devices: source.block_devices(),
        creation_date: ctx.now,
        state: "available".into(),
        source_image_id: Some(input.source_image_id),
        source_region: Some(input.source_region),
        base_image: source.base_image().map(str::to_string),
        launch_accounts: Vec::new(),
        public: false,
        tags,
        captured: false,
    };
    store_new(ec2, rec).await.map(|image_id| CopyImageResult {
        image_id: Some(image_id),
    })
}

/// The caller's own image `id`: `InvalidAMIID.NotFound` when nobody has it (visible to the
/// caller), `AuthFailure` when it is someone else's.
fn own_image(st: &DefsState, ctx: &RequestContext, id: &str) -> Result<ImageRec, AwsError> {
    let account = ctx.account_id();
    match images::find(st, &ctx.region, account, id) {
        Some(ImageView::Owned(r)) if r.owner == account => Ok((*r).clone()),
        Some(_) => Err(AwsError::client(
            "AuthFailure",
            format!("Not authorized for image:{id}"),
        )),
        None => Err(def_errors::ami_not_found(&[id])),
    }
}

pub(super) async fn deregister(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeregisterImageRequest,
) -> Result<DeregisterImageResult, AwsError> {
    check_ids(std::slice::from_ref(&input.image_id))?;
    check_dry_run(input.dry_run)?;
    let (out, captured) = ec2
        .defs
        .mutate(|st| {
            let rec = own_image(st, ctx, &input.image_id)?;
            let captured = rec.captured;
            let change = DefChange {
                delete_images: vec![(rec.owner, rec.region, rec.image_id)],
                ..Default::default()
            };
            Ok((
                change,
                (
                    DeregisterImageResult {
                        r#return: Some(true),
                        delete_snapshot_results: None,
                    },
                    captured,
                ),
            ))
        })
        .await?;
    // A captured image's root volume tree goes with it, unless an instance launched from
    // it still runs (then it goes with the last of them).
    if captured {
        ec2.remove_captured_image_if_unused(&input.image_id).await;
    }
    Ok(out)
}

/// Applies launch permission changes: `group=all` makes the image public.
fn apply_permissions(
    rec: &mut ImageRec,
    perms: &[LaunchPermission],
    add: bool,
) -> Result<(), AwsError> {
    for p in perms {
        if let Some(g) = p.group.as_deref() {
            if g != "all" {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid value '{g}' for launchPermission group: the only group is 'all'"
                )));
            }
            rec.public = add;
        }
        if let Some(u) = p.user_id.as_deref() {
            if u.len() != 12 || !u.bytes().all(|b| b.is_ascii_digit()) {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid user id: '{u}'"
                )));
            }
            rec.launch_accounts.retain(|a| a != u);
            if add {
                rec.launch_accounts.push(u.to_string());
            }
        }
        if p.organization_arn.is_some() || p.organizational_unit_arn.is_some() {
            return Err(AwsError::client(
                "UnsupportedOperation",
                "Nimbus has no AWS Organizations: launch permissions for organizations are not supported.",
            ));
        }
    }
    Ok(())
}

pub(super) async fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyImageAttributeRequest,
) -> Result<(), AwsError> {
    check_ids(std::slice::from_ref(&input.image_id))?;
    check_dry_run(input.dry_run)?;
    ec2.defs
        .mutate(|st| {
            let mut rec = own_image(st, ctx, &input.image_id)?;
            let attribute = input.attribute.as_deref().unwrap_or_default();
            let op = input.operation_type.as_deref();
            let mut changed = false;
            if let Some(d) = input.description.as_ref().and_then(|d| d.value.clone()) {
                rec.description = Some(d);
                changed = true;
            } else if attribute == "description" {
                rec.description = input.value.clone();
                changed = true;
            }
            if let Some(m) = &input.launch_permission {
                apply_permissions(&mut rec, m.add.as_deref().unwrap_or_default(), true)?;
                apply_permissions(&mut rec, m.remove.as_deref().unwrap_or_default(), false)?;
                changed = true;
            }
            let users = input.user_ids.clone().unwrap_or_default();
            let groups = input.user_groups.clone().unwrap_or_default();
            if !users.is_empty() || !groups.is_empty() {
                let add = match op {
                    Some("add") => true,
                    Some("remove") => false,
                    _ => {
                        return Err(errors::missing_parameter(
                            "The request must contain the parameter operationType",
                        ))
                    }
                };
                let perms: Vec<LaunchPermission> = users
                    .into_iter()
                    .map(|u| LaunchPermission {
                        user_id: Some(u),
                        ..Default::default()
                    })
                    .chain(groups.into_iter().map(|g| LaunchPermission {
                        group: Some(g),
                        ..Default::default()
                    }))
                    .collect();
                apply_permissions(&mut rec, &perms, add)?;
                changed = true;
            }
            if let Some(v) = input.imds_support.as_ref().and_then(|v| v.value.clone()) {
                if v != "v2.0" {
                    return Err(errors::invalid_parameter_value(format!(
                        "Value ({v}) for parameter imdsSupport is invalid. The only valid value is v2.0."
                    )));
                }
                rec.imds_support = Some(v);
                changed = true;
            }
            if !changed {
                return Err(errors::missing_parameter(
                    "The request must contain an attribute to modify",
                ));
            }
            Ok((
                DefChange {
                    put_images: vec![rec],
                    ..Default::default()
                },
                (),
            ))
        })
        .await
}

fn value(v: Option<String>) -> Option<AttributeValue> {
    Some(AttributeValue { value: v })
}

pub(super) async fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeImageAttributeRequest,
) -> Result<ImageAttribute, AwsError> {
    check_ids(std::slice::from_ref(&input.image_id))?;
    check_dry_run(input.dry_run)?;
    let account = ctx.account_id();
    let image = ec2
        .defs
        .read(|st| images::find(st, &ctx.region, account, &input.image_id))
        .ok_or_else(|| def_errors::ami_not_found(&[input.image_id.as_str()]))?;
    let rendered = image.render();
    let mut out = ImageAttribute {
        image_id: Some(input.image_id.clone()),
        ..Default::default()
    };
    match input.attribute.as_str() {
        "description" => out.description = value(rendered.description),
        "kernel" => out.kernel_id = value(rendered.kernel_id),
        "ramdisk" => out.ramdisk_id = value(rendered.ramdisk_id),
        "sriovNetSupport" => out.sriov_net_support = value(rendered.sriov_net_support),
        "bootMode" => out.boot_mode = value(rendered.boot_mode),
        "tpmSupport" => out.tpm_support = value(rendered.tpm_support),
        "imdsSupport" => out.imds_support = value(rendered.imds_support),
        "blockDeviceMapping" => out.block_device_mappings = rendered.block_device_mappings,
        "productCodes" => out.product_codes = Some(Vec::new()),
        "launchPermission" => {
            let ImageView::Owned(r) = &image else {
                return Err(AwsError::client(
                    "AuthFailure",
                    format!("Not authorized for image:{}", input.image_id),
                ));
            };
            if r.owner != account {
                return Err(AwsError::client(
                    "AuthFailure",
                    format!("Not authorized for image:{}", input.image_id),
                ));
            }
            let mut perms: Vec<LaunchPermission> = r
                .launch_accounts
                .iter()
                .map(|a| LaunchPermission {
                    user_id: Some(a.clone()),
                    ..Default::default()
                })
                .collect();
            if r.public {
                perms.insert(
                    0,
                    LaunchPermission {
                        group: Some("all".into()),
                        ..Default::default()
                    },
                );
            }
            out.launch_permissions = Some(perms);
        }
        "uefiData" | "lastLaunchedTime" | "deregistrationProtection" => {}
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}

pub(super) async fn reset_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ResetImageAttributeRequest,
) -> Result<(), AwsError> {
    check_ids(std::slice::from_ref(&input.image_id))?;
    if input.attribute != "launchPermission" {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter attribute is invalid. Only launchPermission can be reset.",
            input.attribute
        )));
    }
    check_dry_run(input.dry_run)?;
    ec2.defs
        .mutate(|st| {
            let mut rec = own_image(st, ctx, &input.image_id)?;
            rec.public = false;
            rec.launch_accounts.clear();
            Ok((
                DefChange {
                    put_images: vec![rec],
                    ..Default::default()
                },
                (),
            ))
        })
        .await
}

impl Ec2 {
    /// The built-in image an image id of (account, region) boots from, for the instance
    /// runtime: `None` when the caller cannot see such an image.
    pub fn image_base(&self, account: &str, region: &str, image_id: &str) -> Option<String> {
        self.defs.read(|st| {
            images::find(st, region, account, image_id)
                .and_then(|i| i.base_image().map(str::to_string))
        })
    }
}
