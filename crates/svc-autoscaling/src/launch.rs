//! One launch of the group reconciler: the zone and subnet (AZ balance, see
//! `termination::launch_zone`), the launch template version resolved through the
//! [`crate::deps::Catalog`] (or the launch configuration), the propagated tags and
//! `aws:autoscaling:groupName`, the call to the [`crate::deps::Fleet`], and the activity —
//! `PreInService` for a launched instance, `Failed` with the fleet's reason (and a back-off
//! before the next try) otherwise.

use crate::capacity::{self, at};
use crate::deps::LaunchRequest;
use crate::model::{InstanceRec, LaunchConfigRec, TemplateRef};
use crate::reconciler::{backoff_ms, Pass};
use crate::state::AutoScaling;

impl AutoScaling {
    /// Launches one instance; `false` when the launch failed (the failure is recorded).
    pub(crate) fn launch_one(&self, p: &mut Pass, lc: Option<&LaunchConfigRec>, live: i32) -> bool {
        let now = p.now;
        let (zone, subnet) = crate::termination::launch_zone(&p.g);
        let what = format!(
            "At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {live} to {}.",
            at(now),
            live + 1
        );
        let cause = capacity::cause(&p.g, what);
        let mut template: Option<TemplateRef> = None;
        let mut image_id = lc.map(|l| l.image_id.clone());
        let mut instance_type = lc.map(|l| l.instance_type.clone());
        let resolved = match &p.g.template {
            Some(t) => match self.deps.catalog.template(&p.g.account, &p.g.region, t) {
                Ok(info) => {
                    template = Some(TemplateRef {
                        id: Some(info.id),
                        name: Some(info.name).filter(|n| !n.is_empty()),
                        version: Some(info.version.to_string()),
                    });
                    image_id = info.image_id;
                    instance_type = info.instance_type;
                    Ok(())
                }
                Err(_) => Err(format!(
                    "The specified launch template, with {}, does not exist or no longer has the version {}. Launching EC2 instance failed.",
                    t.id.as_ref().map_or_else(
                        || format!("template name {}", t.name.clone().unwrap_or_default()),
                        |id| format!("template ID {id}")
                    ),
                    t.version.as_deref().unwrap_or("$Default")
                )),
            },
            None if lc.is_none() => Err(format!(
                "Launch configuration {} does not exist. Launching EC2 instance failed.",
                p.g.launch_config.clone().unwrap_or_default()
            )),
            None => Ok(()),
        };
        let mut tags: Vec<(String, String)> =
            p.g.tags
                .iter()
                .filter(|t| t.propagate)
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
        tags.push(("aws:autoscaling:groupName".into(), p.g.name.clone()));
        let req = LaunchRequest {
            account: p.g.account.clone(),
            region: p.g.region.clone(),
            group: p.g.name.clone(),
            zone: zone.clone(),
            subnet: subnet.clone(),
            template: template.clone(),
            launch_config: p.g.launch_config.clone(),
            image_id: image_id.clone(),
            instance_type: instance_type.clone(),
            tags,
        };
        let result = resolved.and_then(|()| self.deps.fleet.launch(&req));
        let details = match &subnet {
            Some(s) => format!("{{\"Subnet ID\":\"{s}\",\"Availability Zone\":\"{zone}\"}}"),
            None => format!("{{\"Availability Zone\":\"{zone}\"}}"),
        };
        match result {
            Ok(l) => {
                let mut act = capacity::activity(
                    &p.g,
                    self.uuid(),
                    format!("Launching a new EC2 instance: {}", l.instance_id),
                    cause,
                    details,
                    now,
                );
                act.status = "PreInService".into();
                act.progress = 30;
                p.g.instances.push(InstanceRec {
                    id: l.instance_id,
                    az: zone,
                    subnet,
                    lifecycle: "Pending".into(),
                    health: "Healthy".into(),
                    protected: p.g.protect_new,
                    launch_config: if template.is_some() {
                        None
                    } else {
                        p.g.launch_config.clone()
                    },
                    template,
                    instance_type: l.instance_type.or(instance_type),
                    image_id: l.image_id.or(image_id),
                    launched: now,
                    in_service_since: None,
                    terminate_after: None,
                    terminate_cause: None,
                    activity: Some(act.id.clone()),
                    unhealthy_reason: None,
                    hook: None,
                });
                p.activities.insert(act.id.clone(), act);
                p.g.launch_failures = 0;
                p.g.retry_at = None;
                true
            }
            Err(msg) => {
                let mut act = capacity::activity(
                    &p.g,
                    self.uuid(),
                    format!("Launching a new EC2 instance. Status Reason: {msg}"),
                    cause,
                    details,
                    now,
                );
                capacity::finish(&mut act, "Failed", Some(msg), now);
                p.activities.insert(act.id.clone(), act);
                p.g.launch_failures = p.g.launch_failures.saturating_add(1);
                p.g.retry_at = Some(now + backoff_ms(p.g.launch_failures));
                false
            }
        }
    }
}
