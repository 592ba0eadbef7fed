//! What Auto Scaling is wired to (`svc_autoscaling::deps`), as adapters over the services
//! that exist. Each adapter answers only what is true today:
//! - zones come from EC2's region table, subnets and launch template versions from EC2's
//!   read API (`svc_ec2::Ec2::subnet`, `Ec2::launch_template_data`);
//! - instances cannot be launched (EC2 `RunInstances` is not implemented yet): a launch
//!   fails with that reason, which the group's activity history shows; no fake instance
//!   is ever made;
//! - target groups do not exist yet (Elastic Load Balancing is not wired), so none is found;
//! - CloudWatch alarms cannot be created yet, so target tracking policies are refused with
//!   that reason.

use nimbus_core::AwsError;
use std::sync::Arc;
use svc_autoscaling::deps::{
    AlarmSpec, Alarms, Catalog, Deps, Fleet, LaunchRequest, Launched, Observed, SubnetInfo,
    TargetGroups, TargetHealth, TemplateError, TemplateInfo,
};
use svc_autoscaling::model::TemplateRef;

/// The wiring for `app::build`.
pub fn deps(ec2: svc_ec2::Ec2) -> Deps {
    Deps {
        catalog: Arc::new(Ec2Catalog { ec2 }),
        fleet: Arc::new(NoInstances),
        target_groups: Arc::new(NoTargetGroups),
        alarms: Arc::new(NoAlarms),
    }
}

struct Ec2Catalog {
    ec2: svc_ec2::Ec2,
}

impl Catalog for Ec2Catalog {
    fn zones(&self, region: &str) -> Vec<String> {
        svc_ec2::availability_zones(region)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    fn subnet(&self, account: &str, region: &str, id: &str) -> Option<SubnetInfo> {
        self.ec2.subnet(account, region, id).map(|s| SubnetInfo {
            id: s.subnet_id,
            vpc_id: s.vpc_id,
            zone: s.availability_zone,
        })
    }

    fn template(
        &self,
        account: &str,
        region: &str,
        spec: &TemplateRef,
    ) -> Result<TemplateInfo, TemplateError> {
        let Some(which) = spec.id.as_deref().or(spec.name.as_deref()) else {
            return Err(TemplateError::NoSuchTemplate);
        };
        match self
            .ec2
            .launch_template_data(account, region, which, spec.version.as_deref())
        {
            Ok((id, version, data)) => Ok(TemplateInfo {
                id,
                name: spec.name.clone().unwrap_or_default(),
                version,
                image_id: data.image_id,
                instance_type: data.instance_type,
            }),
            Err(e) if e.code.contains("Version") => Err(TemplateError::NoSuchVersion),
            Err(_) => Err(TemplateError::NoSuchTemplate),
        }
    }
}

/// The reason every launch fails until EC2 instances exist.
pub const NO_RUN_INSTANCES: &str = "Nimbus cannot launch EC2 instances yet: RunInstances is not implemented. Launching EC2 instance failed.";

struct NoInstances;

impl Fleet for NoInstances {
    fn launch(&self, _req: &LaunchRequest) -> Result<Launched, String> {
        Err(NO_RUN_INSTANCES.to_string())
    }

    fn terminate(&self, _account: &str, _region: &str, _instance_id: &str) -> Result<(), String> {
        // Nothing was ever launched, so there is nothing to terminate.
        Ok(())
    }

    fn observe(&self, _account: &str, _region: &str, _instance_id: &str) -> Observed {
        Observed::Gone
    }
}

struct NoTargetGroups;

impl TargetGroups for NoTargetGroups {
    fn exists(&self, _account: &str, _region: &str, _arn: &str) -> bool {
        false
    }

    fn register(&self, _a: &str, _r: &str, arn: &str, _id: &str) -> Result<(), String> {
        Err(format!("Target group {arn} does not exist"))
    }

    fn deregister(&self, _a: &str, _r: &str, _arn: &str, _id: &str) -> u32 {
        0
    }

    fn health(&self, _a: &str, _r: &str, _arn: &str, _id: &str) -> TargetHealth {
        TargetHealth::Unknown
    }
}

struct NoAlarms;

impl Alarms for NoAlarms {
    fn put(&self, _account: &str, _region: &str, _alarm: &AlarmSpec) -> Result<String, AwsError> {
        Err(AwsError::new(
            "NotImplemented",
            501,
            "Nimbus cannot create CloudWatch alarms yet (PutMetricAlarm is not implemented), so target tracking policies cannot be created.",
        ))
    }

    fn delete(&self, _account: &str, _region: &str, _names: &[String]) {}
}
