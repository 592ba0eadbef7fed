//! Where a group launches and which instance it terminates, pure: launches go to the zone
//! with the fewest live instances (first in the group's zone order on a tie) and that
//! zone's first subnet; scale-in first picks the zone with the most live instances that has
//! an unprotected candidate, then narrows the candidates by the group's termination
//! policies in order — `Default` is "oldest launch template or configuration, then closest
//! to the next instance hour" — and takes the first by instance id among those left
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html>).
//! Scale-in-protected instances are never chosen, except when a forced delete drains the
//! group.

use crate::model::{GroupRec, InstanceRec};
use std::collections::BTreeMap;

/// Live instances per zone, every zone of the group present.
fn per_zone(g: &GroupRec) -> BTreeMap<String, usize> {
    let mut m: BTreeMap<String, usize> = g.zones.iter().map(|z| (z.clone(), 0)).collect();
    for i in g.live() {
        *m.entry(i.az.clone()).or_default() += 1;
    }
    m
}

/// The zone (and subnet, for groups in a VPC) for the next launch.
pub fn launch_zone(g: &GroupRec) -> (String, Option<String>) {
    let counts = per_zone(g);
    let zone = g
        .zones
        .iter()
        .min_by_key(|z| counts.get(*z).copied().unwrap_or(0))
        .cloned()
        .unwrap_or_default();
    let subnet = g
        .subnets
        .iter()
        .find(|(_, z)| *z == zone)
        .map(|(s, _)| s.clone());
    (zone, subnet)
}

/// Whether `i` was launched from something other than the group's current launch
/// template (or a lower version of it) or launch configuration.
fn outdated(g: &GroupRec, i: &InstanceRec) -> bool {
    match (&g.template, &i.template) {
        (Some(gt), Some(it)) => {
            let same =
                (gt.id.is_some() && gt.id == it.id) || (gt.name.is_some() && gt.name == it.name);
            if !same {
                return true;
            }
            match gt.version.as_deref().and_then(|v| v.parse::<i64>().ok()) {
                Some(want) => {
                    it.version.as_deref().and_then(|v| v.parse::<i64>().ok()) != Some(want)
                }
                None => false,
            }
        }
        (Some(_), None) => true,
        (None, _) => i.launch_config != g.launch_config,
    }
}

fn secs_to_next_hour(i: &InstanceRec, now: i64) -> i64 {
    let age = ((now - i.launched) / 1000).max(0);
    3600 - age % 3600
}

/// Keeps the candidates that minimise `key` (all of them if `key` is constant).
fn keep_min<K: Ord>(c: Vec<&InstanceRec>, key: impl Fn(&InstanceRec) -> K) -> Vec<&InstanceRec> {
    let Some(best) = c.iter().map(|i| key(i)).min() else {
        return c;
    };
    c.into_iter().filter(|i| key(i) == best).collect()
}

/// The instance to terminate next for scale-in (or draining when `deleting`).
pub fn choose(g: &GroupRec, now: i64, deleting: bool) -> Option<String> {
    let candidates: Vec<&InstanceRec> = g.live().filter(|i| deleting || !i.protected).collect();
    if candidates.is_empty() {
        return None;
    }
    let counts = per_zone(g);
    let zone = candidates.iter().map(|i| i.az.clone()).max_by(|a, b| {
        let (ca, cb) = (
            counts.get(a).copied().unwrap_or(0),
            counts.get(b).copied().unwrap_or(0),
        );
        // Most instances; on a tie the zone earlier in order loses an instance first.
        ca.cmp(&cb).then_with(|| b.cmp(a))
    })?;
    let mut c: Vec<&InstanceRec> = candidates.into_iter().filter(|i| i.az == zone).collect();
    let mut policies: Vec<&str> = g.termination_policies.iter().map(String::as_str).collect();
    if policies.is_empty() {
        policies.push("Default");
    }
    for p in policies {
        c = match p {
            "OldestInstance" => keep_min(c, |i| i.launched),
            "NewestInstance" => keep_min(c, |i| -i.launched),
            "OldestLaunchConfiguration" | "OldestLaunchTemplate" => {
                keep_min(c, |i| !outdated(g, i))
            }
            "ClosestToNextInstanceHour" => keep_min(c, |i| secs_to_next_hour(i, now)),
            "Default" => {
                let c = keep_min(c, |i| !outdated(g, i));
                keep_min(c, |i| secs_to_next_hour(i, now))
            }
            _ => c,
        };
        if c.len() == 1 {
            break;
        }
    }
    c.iter().map(|i| i.id.clone()).min()
}
