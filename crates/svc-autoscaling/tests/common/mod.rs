//! Test world for Auto Scaling: the service over an in-memory (or given) store with a
//! manual clock and fakes of every dependency — a catalog with three zones, two subnets
//! and one launch template, a fleet whose instances the test moves between states, target
//! groups with settable health and draining delay, and an alarm store. No sockets.
#![allow(dead_code)]

use nimbus_core::{Clock, Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use svc_autoscaling::deps::*;
use svc_autoscaling::generated::*;
use svc_autoscaling::model::TemplateRef;
use svc_autoscaling::AutoScaling;

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";
/// 2026-12-07T10:00:00Z
pub const T0: i64 = 1_796_637_600;

#[derive(Default)]
pub struct FakeCatalog {
    /// Latest version of `lt-0001` / `web`.
    pub latest: Mutex<i64>,
}

impl Catalog for FakeCatalog {
    fn zones(&self, _region: &str) -> Vec<String> {
        vec![
            "us-east-1a".into(),
            "us-east-1b".into(),
            "us-east-1c".into(),
        ]
    }
    fn subnet(&self, _a: &str, _r: &str, id: &str) -> Option<SubnetInfo> {
        let zone = match id {
            "subnet-a" => "us-east-1a",
            "subnet-b" => "us-east-1b",
            "subnet-c" => "us-east-1c",
            "subnet-other-vpc" => "us-east-1a",
            _ => return None,
        };
        let vpc = if id == "subnet-other-vpc" {
            "vpc-2"
        } else {
            "vpc-1"
        };
        Some(SubnetInfo {
            id: id.into(),
            vpc_id: vpc.into(),
            zone: zone.into(),
        })
    }
    fn template(
        &self,
        _a: &str,
        _r: &str,
        spec: &TemplateRef,
    ) -> Result<TemplateInfo, TemplateError> {
        let ok = spec.id.as_deref() == Some("lt-0001") || spec.name.as_deref() == Some("web");
        if !ok {
            return Err(TemplateError::NoSuchTemplate);
        }
        let latest = (*self.latest.lock().unwrap()).max(1);
        let version = match spec.version.as_deref() {
            None | Some("$Default") => 1,
            Some("$Latest") => latest,
            Some(n) => {
                let n: i64 = n.parse().map_err(|_| TemplateError::NoSuchVersion)?;
                if n < 1 || n > latest {
                    return Err(TemplateError::NoSuchVersion);
                }
                n
            }
        };
        Ok(TemplateInfo {
            id: "lt-0001".into(),
            name: "web".into(),
            version,
            image_id: Some("ami-12345678".into()),
            instance_type: Some("t2.micro".into()),
        })
    }
}

#[derive(Default)]
pub struct FakeFleet {
    pub next: Mutex<u32>,
    pub states: Mutex<BTreeMap<String, Observed>>,
    pub launches: Mutex<Vec<LaunchRequest>>,
    pub terminated: Mutex<Vec<String>>,
    /// When set, every launch fails with this reason.
    pub fail: Mutex<Option<String>>,
}

impl FakeFleet {
    pub fn set(&self, id: &str, o: Observed) {
        self.states.lock().unwrap().insert(id.into(), o);
    }
    /// Every Pending instance starts running (healthy).
    pub fn boot_all(&self) {
        for o in self.states.lock().unwrap().values_mut() {
            if *o == Observed::Pending {
                *o = Observed::Running { healthy: true };
            }
        }
    }
}

impl Fleet for FakeFleet {
    fn launch(&self, req: &LaunchRequest) -> Result<Launched, String> {
        if let Some(f) = self.fail.lock().unwrap().clone() {
            return Err(f);
        }
        let mut n = self.next.lock().unwrap();
        *n += 1;
        let id = format!("i-{:017x}", *n);
        self.states
            .lock()
            .unwrap()
            .insert(id.clone(), Observed::Pending);
        self.launches.lock().unwrap().push(req.clone());
        Ok(Launched {
            instance_id: id,
            instance_type: req.instance_type.clone(),
            image_id: req.image_id.clone(),
        })
    }
    fn terminate(&self, _a: &str, _r: &str, id: &str) -> Result<(), String> {
        self.states
            .lock()
            .unwrap()
            .insert(id.into(), Observed::Gone);
        self.terminated.lock().unwrap().push(id.into());
        Ok(())
    }
    fn observe(&self, _a: &str, _r: &str, id: &str) -> Observed {
        self.states
            .lock()
            .unwrap()
            .get(id)
            .copied()
            .unwrap_or(Observed::Gone)
    }
}

pub const TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";

#[derive(Default)]
pub struct FakeTargetGroups {
    /// (target group, instance) registered.
    pub registered: Mutex<Vec<(String, String)>>,
    pub deregistered: Mutex<Vec<(String, String)>>,
    pub health: Mutex<HashMap<String, TargetHealth>>,
    pub delay: Mutex<u32>,
}

impl TargetGroups for FakeTargetGroups {
    fn exists(&self, _a: &str, _r: &str, arn: &str) -> bool {
        arn == TG
    }
    fn register(&self, _a: &str, _r: &str, arn: &str, id: &str) -> Result<(), String> {
        self.registered
            .lock()
            .unwrap()
            .push((arn.into(), id.into()));
        Ok(())
    }
    fn deregister(&self, _a: &str, _r: &str, arn: &str, id: &str) -> u32 {
        self.deregistered
            .lock()
            .unwrap()
            .push((arn.into(), id.into()));
        self.registered
            .lock()
            .unwrap()
            .retain(|(t, i)| !(t == arn && i == id));
        *self.delay.lock().unwrap()
    }
    fn health(&self, _a: &str, _r: &str, _arn: &str, id: &str) -> TargetHealth {
        self.health
            .lock()
            .unwrap()
            .get(id)
            .copied()
            .unwrap_or(TargetHealth::Healthy)
    }
}

#[derive(Default)]
pub struct FakeAlarms {
    pub alarms: Mutex<BTreeMap<String, AlarmSpec>>,
}

impl Alarms for FakeAlarms {
    fn put<'a>(
        &'a self,
        _a: &'a str,
        region: &'a str,
        alarm: &'a AlarmSpec,
    ) -> BoxFuture<'a, Result<String, nimbus_core::AwsError>> {
        Box::pin(async move {
            self.alarms
                .lock()
                .unwrap()
                .insert(alarm.name.clone(), alarm.clone());
            Ok(format!(
                "arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{}",
                alarm.name
            ))
        })
    }
    fn delete<'a>(&'a self, _a: &'a str, _r: &'a str, names: &'a [String]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut m = self.alarms.lock().unwrap();
            for n in names {
                m.remove(n);
            }
        })
    }
}

#[derive(Default)]
pub struct FakeNotifier {
    /// (topic, subject, message)
    pub sent: Mutex<Vec<(String, String, String)>>,
}

impl Notifier for FakeNotifier {
    fn notify<'a>(
        &'a self,
        _a: &'a str,
        topic: &'a str,
        subject: &'a str,
        message: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.sent
                .lock()
                .unwrap()
                .push((topic.into(), subject.into(), message.into()));
            Ok(())
        })
    }
}

pub struct World {
    pub svc: AutoScaling,
    pub clock: Arc<ManualClock>,
    pub catalog: Arc<FakeCatalog>,
    pub fleet: Arc<FakeFleet>,
    pub tgs: Arc<FakeTargetGroups>,
    pub alarms: Arc<FakeAlarms>,
    pub notifier: Arc<FakeNotifier>,
}

impl World {
    pub fn new() -> World {
        Self::over(Store::in_memory())
    }

    pub fn over(store: Store) -> World {
        let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
        let catalog = Arc::new(FakeCatalog::default());
        let fleet = Arc::new(FakeFleet::default());
        let tgs = Arc::new(FakeTargetGroups::default());
        let alarms = Arc::new(FakeAlarms::default());
        let notifier = Arc::new(FakeNotifier::default());
        let deps = Deps {
            catalog: catalog.clone(),
            fleet: fleet.clone(),
            target_groups: tgs.clone(),
            alarms: alarms.clone(),
            notifier: notifier.clone(),
        };
        let svc = AutoScaling::load(store, clock.clone(), Arc::new(Ids::from_seed(7)), deps)
            .expect("load");
        World {
            svc,
            clock,
            catalog,
            fleet,
            tgs,
            alarms,
            notifier,
        }
    }

    pub fn ctx(&self) -> RequestContext {
        RequestContext {
            request_id: "req-1".into(),
            principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
            region: REGION.into(),
            now: self.clock.now(),
            host: "localhost".into(),
            source_ip: None,
        }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub async fn pass(&self) {
        self.svc.reconcile_all().await.expect("reconcile");
    }

    /// Creates a group from template `lt-0001` ($Latest) over subnets a, b and c.
    pub async fn group(
        &self,
        name: &str,
        min: i32,
        max: i32,
        desired: i32,
        extra: impl FnOnce(&mut CreateAutoScalingGroupType),
    ) {
        let mut input = CreateAutoScalingGroupType {
            auto_scaling_group_name: name.into(),
            launch_template: Some(LaunchTemplateSpecification {
                launch_template_id: Some("lt-0001".into()),
                version: Some("$Latest".into()),
                ..Default::default()
            }),
            min_size: min,
            max_size: max,
            desired_capacity: Some(desired),
            vpc_zone_identifier: Some("subnet-a,subnet-b,subnet-c".into()),
            ..Default::default()
        };
        extra(&mut input);
        self.svc
            .create_auto_scaling_group(&self.ctx(), input)
            .await
            .expect("create group");
    }

    pub async fn describe(&self, name: &str) -> AutoScalingGroup {
        let out = self
            .svc
            .describe_auto_scaling_groups(
                &self.ctx(),
                AutoScalingGroupNamesType {
                    auto_scaling_group_names: Some(vec![name.into()]),
                    ..Default::default()
                },
            )
            .await
            .expect("describe");
        out.auto_scaling_groups.into_iter().next().expect("group")
    }

    pub async fn instances(&self, name: &str) -> Vec<Instance> {
        self.describe(name).await.instances.unwrap_or_default()
    }

    pub async fn activities(&self, name: &str) -> Vec<Activity> {
        self.svc
            .describe_scaling_activities(
                &self.ctx(),
                DescribeScalingActivitiesType {
                    auto_scaling_group_name: Some(name.into()),
                    ..Default::default()
                },
            )
            .await
            .expect("activities")
            .activities
    }

    pub async fn set_desired(&self, name: &str, d: i32) {
        self.svc
            .set_desired_capacity(
                &self.ctx(),
                SetDesiredCapacityType {
                    auto_scaling_group_name: name.into(),
                    desired_capacity: d,
                    honor_cooldown: None,
                },
            )
            .await
            .expect("set desired");
    }
}

use svc_autoscaling::generated::Handlers;
