//! `CreateImage` from an instance: the host captures the instance's root volume (a
//! crash-consistent copy of a running one, as `--no-reboot`; a consistent one of a stopped
//! one), and the new AMI is recorded as the account's own image with the instance's volumes as
//! its block devices. Instances launched from it start from a copy of the captured volume (and
//! run their own user data). The image is `available` once the capture is done, before the
//! answer.

use super::check_dry_run;
use super::images::{check_name, store_new};
use crate::def_records::{BlockDeviceRec, EbsRec, ImageRec};
use crate::generated::*;
use crate::inst_errors;
use crate::inst_records::*;
use crate::state::{scope_key, Ec2};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateImageRequest,
) -> Result<CreateImageResult, AwsError> {
    let i =
        super::inst_lifecycle::named(ec2, ctx, std::slice::from_ref(&input.instance_id))?.remove(0);
    check_name(&input.name)?;
    if i.state != RUNNING && i.state != STOPPED {
        return Err(inst_errors::cannot_from_state(&i.instance_id, "imaged"));
    }
    let specs: Vec<TagSpecification> = input
        .tag_specifications
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.resource_type.as_deref() != Some("snapshot"))
        .collect();
    let image_tags = tags::from_specs(Some(specs), "image")?;
    let (account, region) = scope_key(ctx);
    let base = ec2
        .defs
        .read(|st| crate::images::find(st, &region, &account, &i.image_id))
        .and_then(|v| v.base_image().map(str::to_string))
        .or_else(|| {
            nimbus_images::images(&region)
                .find(|img| img.personality.as_str() == i.personality)
                .map(|img| img.name.to_string())
        });
    let host = ec2.host()?;
    check_dry_run(input.dry_run)?;
    let now = ec2.now();
    let image_id = ec2.ids.resource_id("ami");
    let rec = ImageRec {
        owner: account.clone(),
        region: region.clone(),
        image_id: image_id.clone(),
        name: input.name,
        description: input.description,
        architecture: i.architecture.clone(),
        root_device_name: i.root_device_name.clone(),
        root_device_type: "ebs".into(),
        virtualization_type: "hvm".into(),
        ena_support: Some(true),
        sriov_net_support: Some("simple".into()),
        boot_mode: None,
        imds_support: None,
        tpm_support: None,
        kernel_id: None,
        ramdisk_id: None,
        block_devices: i
            .volumes
            .iter()
            .map(|v| BlockDeviceRec {
                device_name: Some(v.device_name.clone()),
                ebs: Some(EbsRec {
                    snapshot_id: Some(ec2.ids.resource_id("snap")),
                    volume_size: Some(v.size_gib),
                    volume_type: Some(v.volume_type.clone()),
                    delete_on_termination: Some(v.delete_on_termination),
                    encrypted: Some(v.encrypted),
                    iops: v.iops,
                    throughput: v.throughput,
                    kms_key_id: None,
                }),
                ..Default::default()
            })
            .collect(),
        creation_date: now,
        state: "available".into(),
        source_image_id: None,
        source_region: None,
        base_image: base,
        launch_accounts: Vec::new(),
        public: false,
        tags: image_tags,
        captured: true,
    };
    // The name is checked before the (slower) capture, and again when stored.
    let taken = ec2.defs.read(|st| {
        crate::images::visible(st, &region, &account)
            .into_iter()
            .find(|v| v.owner() == account && v.name() == rec.name)
            .map(|v| v.id().to_string())
    });
    if let Some(other) = taken {
        return Err(crate::def_errors::ami_name_duplicate(&rec.name, &other));
    }
    let (iid, aid) = (i.instance_id.clone(), image_id.clone());
    tokio::task::spawn_blocking(move || host.capture_image(&iid, &aid))
        .await
        .map_err(|_| AwsError::internal("the capture task failed"))?
        .map_err(|e| AwsError::internal(format!("capturing the instance's volume failed: {e}")))?;
    let id = store_new(ec2, rec).await?;
    Ok(CreateImageResult { image_id: Some(id) })
}
