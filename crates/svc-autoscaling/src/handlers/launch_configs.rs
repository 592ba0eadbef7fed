//! Launch configurations: `CreateLaunchConfiguration`, `DescribeLaunchConfigurations`,
//! `DeleteLaunchConfiguration`. Names are unique per account and region; a configuration
//! a group uses cannot be deleted. Creating one from an instance (`InstanceId`) is not
//! supported yet (no instances exist) and says so.

use super::common::{max_records, page};
use crate::errors;
use crate::generated::*;
use crate::model::LaunchConfigRec;
use crate::persist::{Change, Op};
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext, Timestamp};

/// "Launch configurations per Region: 200".
pub const MAX_LAUNCH_CONFIGS: usize = 200;

pub(super) async fn create(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: CreateLaunchConfigurationType,
) -> Result<(), AwsError> {
    let name = input.launch_configuration_name;
    if name.is_empty() || name.chars().count() > 255 {
        return Err(errors::validation(
            "1 validation error detected: Value at 'launchConfigurationName' failed to satisfy constraint: Member must have length between 1 and 255",
        ));
    }
    if input.instance_id.is_some() {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            "Nimbus does not implement autoscaling:CreateLaunchConfiguration from an InstanceId yet (EC2 instances do not exist yet)",
        ));
    }
    let Some(image_id) = input.image_id else {
        return Err(errors::validation(
            "Valid requests must contain either the ImageId or the InstanceId parameter.",
        ));
    };
    let Some(instance_type) = input.instance_type else {
        return Err(errors::validation(
            "Valid requests must contain either the InstanceType or the InstanceId parameter.",
        ));
    };
    if !image_id.starts_with("ami-") {
        return Err(errors::validation(format!(
            "AMI {image_id} is invalid: Invalid id: \"{image_id}\" (expecting \"ami-...\")"
        )));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    svc.mutate(&account, &region, |scope| {
        if scope.launch_configs.contains_key(&name) {
            return Err(errors::launch_config_exists(&name));
        }
        if scope.launch_configs.len() >= MAX_LAUNCH_CONFIGS {
            return Err(errors::limit(format!(
                "Launch configuration limit exceeded. You have {MAX_LAUNCH_CONFIGS} launch configurations, the maximum allowed."
            )));
        }
        let rec = LaunchConfigRec {
            account: account.clone(),
            region: region.clone(),
            name: name.clone(),
            uuid: svc.uuid(),
            created: now,
            image_id,
            instance_type,
            key_name: input.key_name,
            security_groups: input.security_groups.unwrap_or_default(),
            user_data: input.user_data,
            iam_instance_profile: input.iam_instance_profile,
            monitoring: input
                .instance_monitoring
                .and_then(|m| m.enabled)
                .unwrap_or(true),
            ebs_optimized: input.ebs_optimized.unwrap_or(false),
            associate_public_ip: input.associate_public_ip_address,
            spot_price: input.spot_price,
            placement_tenancy: input.placement_tenancy,
            kernel_id: input.kernel_id,
            ramdisk_id: input.ramdisk_id,
            metadata: input.metadata_options.map(|m| {
                (m.http_tokens, m.http_put_response_hop_limit, m.http_endpoint)
            }),
        };
        Ok((Change::one(Op::PutLaunchConfig(rec)), ()))
    })
    .await
}

fn render(l: &LaunchConfigRec) -> LaunchConfiguration {
    LaunchConfiguration {
        launch_configuration_name: l.name.clone(),
        launch_configuration_arn: Some(l.arn()),
        image_id: l.image_id.clone(),
        key_name: Some(l.key_name.clone().unwrap_or_default()),
        security_groups: Some(l.security_groups.clone()),
        classic_link_vpc_security_groups: Some(Vec::new()),
        user_data: Some(l.user_data.clone().unwrap_or_default()),
        instance_type: l.instance_type.clone(),
        kernel_id: Some(l.kernel_id.clone().unwrap_or_default()),
        ramdisk_id: Some(l.ramdisk_id.clone().unwrap_or_default()),
        block_device_mappings: Some(Vec::new()),
        instance_monitoring: Some(InstanceMonitoring {
            enabled: Some(l.monitoring),
        }),
        spot_price: l.spot_price.clone(),
        iam_instance_profile: l.iam_instance_profile.clone(),
        created_time: Timestamp(l.created),
        ebs_optimized: Some(l.ebs_optimized),
        associate_public_ip_address: l.associate_public_ip,
        placement_tenancy: l.placement_tenancy.clone(),
        metadata_options: l.metadata.clone().map(|(t, h, e)| InstanceMetadataOptions {
            http_tokens: t,
            http_put_response_hop_limit: h,
            http_endpoint: e,
        }),
        ..Default::default()
    }
}

pub(super) async fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: LaunchConfigurationNamesType,
) -> Result<LaunchConfigurationsType, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let names = input.launch_configuration_names.unwrap_or_default();
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        scope
            .launch_configs
            .values()
            .filter(|l| names.is_empty() || names.contains(&l.name))
            .map(|l| (l.name.clone(), render(l)))
            .collect()
    });
    let (launch_configurations, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(LaunchConfigurationsType {
        launch_configurations,
        next_token,
    })
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: LaunchConfigurationNameType,
) -> Result<(), AwsError> {
    let name = input.launch_configuration_name;
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        if !scope.launch_configs.contains_key(&name) {
            return Err(errors::no_launch_config(&name));
        }
        if let Some(g) = scope.groups.values().find(|g| {
            g.launch_config.as_deref() == Some(name.as_str())
                || g.instances
                    .iter()
                    .any(|i| i.launch_config.as_deref() == Some(name.as_str()))
        }) {
            return Err(errors::launch_config_in_use(&name, &g.name));
        }
        Ok((
            Change::one(Op::DeleteLaunchConfig(
                account.clone(),
                region.clone(),
                name,
            )),
            (),
        ))
    })
    .await
}
