//! What Auto Scaling is wired to (`svc_autoscaling::deps`), as adapters over the services
//! that exist. Each adapter answers only what is true today:
//! - zones come from EC2's region table, subnets and launch template versions from EC2's
//!   read API (`svc_ec2::Ec2::subnet`, `Ec2::launch_template_data`);
//! - instances are launched, terminated and observed through EC2's instance API
//!   ([`Ec2Fleet`]); a launch EC2 refuses fails with EC2's reason, which the group's
//!   activity history shows;
//! - target groups are Elastic Load Balancing's ([`ElbTargetGroups`] over the ELBv2
//!   handle): an InService instance is registered on the group's port, validated as
//!   `RegisterTargets` validates it, and its ELB health is what `DescribeTargetHealth`
//!   reports from the real health checker; Classic Load Balancers (`LoadBalancerNames`,
//!   the keys that are names rather than ARNs) likewise over `svc_elb::Classic`, their
//!   health being `DescribeInstanceHealth`'s;
//! - target tracking policies create and delete their alarms in CloudWatch
//!   ([`CloudWatchAlarms`]), and CloudWatch's alarm actions on Auto Scaling policy ARNs run
//!   the policy ([`Policies`], the `ScalingPolicies` hook of `alarm_actions`);
//! - notification configurations publish through SNS ([`Sns`]).

use nimbus_core::AwsError;
use std::sync::Arc;
use svc_autoscaling::deps::{
    AlarmSpec, Alarms, BoxFuture, Catalog, Deps, Fleet, LaunchRequest, Launched, Notifier,
    Observed, SubnetInfo, TargetGroups, TargetHealth, TemplateError, TemplateInfo,
};
use svc_autoscaling::model::TemplateRef;

/// The wiring for `app::build`.
pub fn deps(
    ec2: svc_ec2::Ec2,
    alarms: Arc<svc_cloudwatch::alarms::Alarms>,
    sns: svc_sns::Handle,
    elb: svc_elbv2::Elb,
    classic: svc_elb::Classic,
) -> Deps {
    Deps {
        catalog: Arc::new(Ec2Catalog { ec2: ec2.clone() }),
        fleet: Arc::new(Ec2Fleet { ec2: ec2.clone() }),
        target_groups: Arc::new(ElbTargetGroups { elb, classic }),
        // Weak: CloudWatch's alarm actions hold Auto Scaling, which would otherwise hold
        // CloudWatch's alarms back (a cycle that keeps the store open after shutdown).
        alarms: Arc::new(CloudWatchAlarms {
            alarms: Arc::downgrade(&alarms),
        }),
        notifier: Arc::new(Sns(sns)),
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

/// Auto Scaling's instances, launched through EC2's `RunInstances` path
/// ([`svc_ec2::Ec2::launch_instances`]) and tagged `aws:autoscaling:groupName` (with the
/// group's propagated tags) as AWS does. The fleet's calls are synchronous; each runs EC2's
/// future on a scoped thread through the ambient tokio handle.
struct Ec2Fleet {
    ec2: svc_ec2::Ec2,
}

/// Runs `f` to completion from synchronous code inside (or outside) a tokio runtime.
fn block<T: Send>(f: impl std::future::Future<Output = T> + Send) -> Result<T, String> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| "no async runtime to reach EC2 from".to_string())?;
    std::thread::scope(|s| {
        s.spawn(|| handle.block_on(f))
            .join()
            .map_err(|_| "the EC2 call panicked".to_string())
    })
}

impl Fleet for Ec2Fleet {
    fn launch(&self, req: &LaunchRequest) -> Result<Launched, String> {
        use svc_ec2::generated::{LaunchTemplateSpecification, Placement, RunInstancesRequest};
        let input = RunInstancesRequest {
            min_count: 1,
            max_count: 1,
            launch_template: req.template.as_ref().map(|t| LaunchTemplateSpecification {
                launch_template_id: t.id.clone(),
                launch_template_name: if t.id.is_some() { None } else { t.name.clone() },
                version: t.version.clone(),
            }),
            image_id: if req.template.is_some() {
                None
            } else {
                req.image_id.clone()
            },
            instance_type: if req.template.is_some() {
                None
            } else {
                req.instance_type.clone()
            },
            subnet_id: req.subnet.clone(),
            placement: req.subnet.is_none().then(|| Placement {
                availability_zone: Some(req.zone.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let opts = svc_ec2::LaunchOptions {
            requester_id: None,
            system_tags: req
                .tags
                .iter()
                .map(|(k, v)| svc_ec2::TagRec {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        };
        let out = block(
            self.ec2
                .launch_instances(&req.account, &req.region, input, opts),
        )?
        .map_err(|e| {
            format!(
                "{}. Launching EC2 instance failed.",
                e.message.trim_end_matches('.')
            )
        })?;
        let first = out
            .into_iter()
            .next()
            .ok_or("EC2 launched no instance. Launching EC2 instance failed.")?;
        Ok(Launched {
            instance_id: first.instance_id,
            instance_type: Some(first.instance_type),
            image_id: Some(first.image_id),
        })
    }

    fn terminate(&self, account: &str, region: &str, instance_id: &str) -> Result<(), String> {
        block(self.ec2.terminate_instance(account, region, instance_id))?.map_err(|e| e.message)
    }

    fn observe(&self, account: &str, region: &str, instance_id: &str) -> Observed {
        match self.ec2.instance_record(account, region, instance_id) {
            Some(i) if i.state == "pending" => Observed::Pending,
            Some(i) if i.state == "running" => Observed::Running {
                healthy: i.impaired_since.is_none(),
            },
            _ => Observed::Gone,
        }
    }
}

/// Elastic Load Balancing's target groups. Auto Scaling's calls are synchronous (they run
/// inside its reconciler's pass and its handlers), ELBv2's writes are durable and async:
/// a registration is validated at once (the answer is `RegisterTargets`' own error) and
/// then written on a task of its own; a deregistration likewise, answering the group's
/// deregistration delay.
struct ElbTargetGroups {
    elb: svc_elbv2::Elb,
    /// Classic Load Balancers (`LoadBalancerNames`): the keys that are names, not ARNs.
    classic: svc_elb::Classic,
}

/// Whether a group's load balancer key names a Classic Load Balancer (target groups are
/// ARNs; Classic balancers are named).
fn is_classic(key: &str) -> bool {
    !key.starts_with("arn:")
}

impl ElbTargetGroups {
    fn spawn(&self, what: impl std::future::Future<Output = ()> + Send + 'static) -> bool {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(what);
                true
            }
            Err(_) => false,
        }
    }
}

impl TargetGroups for ElbTargetGroups {
    fn exists(&self, account: &str, region: &str, arn: &str) -> bool {
        if is_classic(arn) {
            return self.classic.exists(account, region, arn);
        }
        self.elb.target_group_exists(account, region, arn)
    }

    fn register(&self, account: &str, region: &str, arn: &str, id: &str) -> Result<(), String> {
        if is_classic(arn) {
            if !self.classic.exists(account, region, arn) {
                return Err(format!("There is no ACTIVE Load Balancer named '{arn}'"));
            }
            let (c, a, r, n, i) = (
                self.classic.clone(),
                account.to_string(),
                region.to_string(),
                arn.to_string(),
                id.to_string(),
            );
            // Validated against EC2 there; a failure leaves the instance out and the
            // reconciler's next pass registers again.
            let spawned = self.spawn(async move {
                let _ = c.register_instance(&a, &r, &n, &i).await;
            });
            return if spawned {
                Ok(())
            } else {
                Err("Elastic Load Balancing is not running".into())
            };
        }
        self.elb
            .check_instance_target(account, region, arn, id)
            .map_err(|e| e.message.to_string())?;
        let (elb, a, r, g, i) = (
            self.elb.clone(),
            account.to_string(),
            region.to_string(),
            arn.to_string(),
            id.to_string(),
        );
        let spawned = self.spawn(async move {
            // A failure leaves the instance out; the reconciler's next pass registers again.
            let _ = elb.register_instance(&a, &r, &g, &i).await;
        });
        if spawned {
            Ok(())
        } else {
            Err("Elastic Load Balancing is not running".into())
        }
    }

    fn deregister(&self, account: &str, region: &str, arn: &str, id: &str) -> u32 {
        if is_classic(arn) {
            let delay = self.classic.draining_timeout(account, region, arn);
            let (c, a, r, n, i) = (
                self.classic.clone(),
                account.to_string(),
                region.to_string(),
                arn.to_string(),
                id.to_string(),
            );
            self.spawn(async move {
                let _ = c.deregister_instance(&a, &r, &n, &i).await;
            });
            return delay;
        }
        let delay = self.elb.deregistration_delay(account, region, arn);
        let (elb, a, r, g, i) = (
            self.elb.clone(),
            account.to_string(),
            region.to_string(),
            arn.to_string(),
            id.to_string(),
        );
        self.spawn(async move {
            // Not registered (never was, or already gone): nothing to drain.
            let _ = elb.deregister_instance(&a, &r, &g, &i).await;
        });
        delay
    }

    fn health(&self, account: &str, region: &str, arn: &str, id: &str) -> TargetHealth {
        if is_classic(arn) {
            return match self.classic.instance_health(account, region, arn, id) {
                svc_elb::InstanceHealth::InService => TargetHealth::Healthy,
                svc_elb::InstanceHealth::OutOfService => TargetHealth::Unhealthy,
                svc_elb::InstanceHealth::Unknown => TargetHealth::Unknown,
            };
        }
        match self.elb.instance_health(account, region, arn, id) {
            Some((state, _)) if state == "healthy" => TargetHealth::Healthy,
            Some((state, _)) if state == "unhealthy" => TargetHealth::Unhealthy,
            _ => TargetHealth::Unknown,
        }
    }
}

/// Target tracking's alarms, kept in CloudWatch.
struct CloudWatchAlarms {
    alarms: std::sync::Weak<svc_cloudwatch::alarms::Alarms>,
}

fn cloudwatch_gone() -> AwsError {
    AwsError::internal("CloudWatch is shutting down; the alarms could not be changed")
}

impl Alarms for CloudWatchAlarms {
    fn put<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        a: &'a AlarmSpec,
    ) -> BoxFuture<'a, Result<String, AwsError>> {
        use svc_cloudwatch::generated::{Dimension, PutMetricAlarmInput};
        Box::pin(async move {
            let input = PutMetricAlarmInput {
                alarm_name: a.name.clone(),
                alarm_description: Some(a.description.clone()),
                alarm_actions: Some(a.actions.clone()),
                metric_name: Some(a.metric_name.clone()),
                namespace: Some(a.namespace.clone()),
                statistic: Some(a.statistic.clone()),
                dimensions: Some(
                    a.dimensions
                        .iter()
                        .map(|(name, value)| Dimension {
                            name: name.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                ),
                period: Some(a.period),
                unit: a.unit.clone(),
                evaluation_periods: Some(a.evaluation_periods),
                datapoints_to_alarm: Some(a.datapoints_to_alarm),
                threshold: Some(a.threshold),
                comparison_operator: Some(a.comparison.clone()),
                ..Default::default()
            };
            let alarms = self.alarms.upgrade().ok_or_else(cloudwatch_gone)?;
            alarms
                .put_metric_alarm(account, region, input)
                .await
                .map_err(AwsError::from)?;
            Ok(format!(
                "arn:aws:cloudwatch:{region}:{account}:alarm:{}",
                a.name
            ))
        })
    }

    fn delete<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        names: &'a [String],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Deleting an owned alarm that is already gone is not an error for the policy.
            if let Some(alarms) = self.alarms.upgrade() {
                let _ = alarms.delete_alarms(account, region, names.to_vec()).await;
            }
        })
    }
}

/// CloudWatch's alarm actions on `arn:aws:autoscaling:…:scalingPolicy:…` ARNs.
pub struct Policies(pub svc_autoscaling::AutoScaling);

impl crate::alarm_actions::ScalingPolicies for Policies {
    fn execute<'a>(
        &'a self,
        policy_arn: &'a str,
        t: &'a svc_cloudwatch::alarms::AlarmTransition,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = svc_cloudwatch::alarms::ActionResult> + Send + 'a>,
    > {
        Box::pin(async move {
            let a = &t.alarm;
            if !self.0.policy_exists(policy_arn) {
                return Err(format!(
                    "action failed: the scaling policy {policy_arn} does not exist"
                ));
            }
            // The breaching value: the newest of the datapoints the evaluation recorded.
            let value = a
                .state_reason_data
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| {
                    d["recentDatapoints"]
                        .as_array()
                        .and_then(|v| v.last().and_then(|x| x.as_f64()))
                });
            match self
                .0
                .on_alarm(policy_arn, &a.name, &a.state, value, Some(a.threshold))
                .await
            {
                Ok(Some((old, new))) => Ok(format!(
                    "Successfully executed {policy_arn}: desired capacity {old} -> {new}"
                )),
                Ok(None) => Ok(format!(
                    "Successfully executed {policy_arn}: the desired capacity did not change"
                )),
                Err(e) => Err(format!("action failed: {}", e.message)),
            }
        })
    }
}

/// Notification configurations, published through SNS.
struct Sns(svc_sns::Handle);

impl Notifier for Sns {
    fn notify<'a>(
        &'a self,
        account: &'a str,
        topic_arn: &'a str,
        subject: &'a str,
        message: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.0
                .publish_as_service(account, topic_arn, subject, message)
                .await
                .map(|_| ())
        })
    }
}
