//! Instances against the machinery that runs them: the [`Instances`] part of the service's
//! shared state (the [`InstanceHost`] the binary sets, the clock, one lock per instance) and
//! the state machine that brings what runs in line with what the records say. API calls only
//! write the record's new state (`pending`, `stopping`, `shutting-down`) and ask for a
//! [`Ec2::drive`]; the drive, holding the instance's lock, makes the blocking host call on
//! the blocking pool and records the outcome (`running`, `stopped`, `terminated`), so
//! `RunInstances` answers `pending` at once as AWS does. [`Ec2::sync_instances`] (run by a
//! named worker the binary registers) drives every instance periodically: it notices the
//! guest's own shutdown (`PoweredOff` → InstanceInitiatedShutdownBehavior) and reboot
//! requests, an init that died (status checks impaired), instances to boot again after a
//! Nimbus restart, security group changes (the forwarder's open ports and the packet filter
//! between instances, `sg_firewall`) and terminated instances whose hour of visibility is
//! over.

use crate::defs::DefChange;
use crate::host::{HostSpec, HostState, InstanceHost, TcpIngress};
use crate::inst_errors;
use crate::inst_records::*;
use crate::model::Peer;
use crate::Ec2;
use nimbus_core::{AwsError, Clock, Timestamp};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, OnceLock};

/// The loopback block instances' public addresses come from (127.88.0.0/16: on `lo` already,
/// served by the runtime's forwarder).
pub const PUBLIC_IP_BLOCK: (u8, u8) = (127, 88);

/// A public address and the ports open on it.
type Access = (Option<Ipv4Addr>, Vec<TcpIngress>);

/// What the service keeps about running instances besides their records.
#[derive(Default)]
pub struct Instances {
    host: OnceLock<Arc<dyn InstanceHost>>,
    unavailable: OnceLock<String>,
    profiles: OnceLock<Arc<dyn crate::host::InstanceProfiles>>,
    clock: OnceLock<Arc<dyn Clock>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The access last given to the host per instance, so a sync pass changes only what
    /// changed.
    access: Mutex<HashMap<String, Access>>,
    /// The packet filters given to the host (`sg_firewall`).
    pub(crate) firewalls: crate::sg_firewall::Firewalls,
    /// EC2 Instance Connect keys per instance (`managed_keys`).
    pub(crate) managed_keys: crate::managed_keys::ManagedKeys,
    /// The account's running On-Demand Standard vCPU quota per region (`None`: no limit).
    vcpu_limit: OnceLock<u32>,
}

impl Instances {
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id.to_string())
            .or_default()
            .clone()
    }
}

type Key = (String, String, String);

impl Ec2 {
    /// Wires the machinery that runs instances (once; the binary does it at startup).
    pub fn set_instance_host(&self, host: Arc<dyn InstanceHost>) {
        let _ = self.instances.host.set(host);
    }

    /// Sets the running On-Demand Standard instances vCPU quota of every account and region
    /// (once; `nimbus serve --vcpu-limit`). Unset, launches are not limited by vCPUs.
    pub fn set_vcpu_limit(&self, vcpus: u32) {
        let _ = self.instances.vcpu_limit.set(vcpus);
    }

    /// How many instances of `vcpus` vCPUs each (account, region) may still start under its
    /// vCPU quota, with the quota: `None` when there is no quota.
    pub(crate) fn vcpu_headroom(
        &self,
        account: &str,
        region: &str,
        vcpus: i32,
    ) -> Option<(i32, u32)> {
        let limit = *self.instances.vcpu_limit.get()?;
        let used: i64 = self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .filter(|i| i.account == account && i.region == region)
                .filter(|i| i.state == PENDING || i.state == RUNNING)
                .filter(|i| crate::instance_types::standard_bucket(&i.instance_type))
                .map(|i| {
                    crate::instance_types::lookup(&i.instance_type)
                        .map_or(1, |t| i64::from(t.vcpus))
                })
                .sum()
        });
        let left = (i64::from(limit) - used).max(0);
        Some((
            (left / i64::from(vcpus.max(1))).min(i64::from(i32::MAX)) as i32,
            limit,
        ))
    }

    /// Says why there is no host (shown in `RunInstances`' `Unsupported` error).
    pub fn set_instance_host_unavailable(&self, reason: impl Into<String>) {
        let _ = self.instances.unavailable.set(reason.into());
    }

    /// Wires IAM's instance profiles (checked by `RunInstances`; unchecked without).
    pub fn set_instance_profiles(&self, profiles: Arc<dyn crate::host::InstanceProfiles>) {
        let _ = self.instances.profiles.set(profiles);
    }

    /// The ARN of the instance profile `name_or_arn` names, or AWS's refusal.
    pub(crate) fn check_profile(
        &self,
        account: &str,
        arn: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<String>, AwsError> {
        let (given, param, what) = match (arn, name) {
            (Some(a), _) => (a, "iamInstanceProfile.arn", "ARN"),
            (None, Some(n)) => (n, "iamInstanceProfile.name", "name"),
            (None, None) => return Ok(None),
        };
        match self.instances.profiles.get() {
            None => Ok(Some(if arn.is_some() {
                given.to_string()
            } else {
                format!("arn:aws:iam::{account}:instance-profile/{given}")
            })),
            Some(p) => p.find(account, given).map(Some).ok_or_else(|| {
                crate::errors::invalid_parameter_value(format!(
                    "Value ({given}) for parameter {param} is invalid. Invalid IAM Instance Profile {what}"
                ))
            }),
        }
    }

    pub(crate) fn set_clock(&self, clock: Arc<dyn Clock>) {
        let _ = self.instances.clock.set(clock);
    }

    /// Nimbus time.
    pub fn now(&self) -> Timestamp {
        match self.instances.clock.get() {
            Some(c) => c.now(),
            None => Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
            ),
        }
    }

    /// The host, or the `Unsupported` error saying why there is none.
    pub(crate) fn host(&self) -> Result<Arc<dyn InstanceHost>, AwsError> {
        self.instances.host.get().cloned().ok_or_else(|| {
            inst_errors::no_host(
                self.instances
                    .unavailable
                    .get()
                    .map(String::as_str)
                    .unwrap_or("no instance runtime is wired into this Nimbus"),
            )
        })
    }

    /// The instance `id`, whatever its account and region (for the metadata service, which
    /// knows only the id).
    pub fn instance_by_id(&self, id: &str) -> Option<Arc<InstanceRec>> {
        self.defs
            .read(|st| st.instances.values().find_map(|m| m.get(id)).cloned())
    }

    /// Every running instance of every account and region (for the metrics worker: records
    /// carry type, image, monitoring and the `aws:autoscaling:groupName` tag).
    pub fn running_instances(&self) -> Vec<Arc<InstanceRec>> {
        self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .filter(|i| i.state == RUNNING)
                .cloned()
                .collect()
        })
    }

    /// The instance `id` of (account, region).
    pub fn instance_record(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Option<Arc<InstanceRec>> {
        self.defs
            .read(|st| st.instance(account, region, id).cloned())
    }

    /// A free public address in [`PUBLIC_IP_BLOCK`] (random, so two Nimbus processes on one
    /// host rarely pick the same), not held by any live instance.
    pub(crate) fn free_public_ip(&self, taken_now: &[Ipv4Addr]) -> Result<Ipv4Addr, AwsError> {
        let used: std::collections::HashSet<String> = self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .filter(|i| !i.is_terminated())
                .filter_map(|i| i.public_ip.clone())
                .collect()
        });
        for _ in 0..4096 {
            let n = self.ids.next_u64();
            let (c, d) = ((n >> 8) as u8, n as u8);
            if d == 0 || d == 255 {
                continue;
            }
            let ip = Ipv4Addr::new(PUBLIC_IP_BLOCK.0, PUBLIC_IP_BLOCK.1, c, d);
            if !used.contains(&ip.to_string()) && !taken_now.contains(&ip) {
                return Ok(ip);
            }
        }
        Err(AwsError::client(
            "InsufficientAddressCapacity",
            "There are no more public IPv4 addresses available.",
        ))
    }

    /// Every recorded instance id.
    pub(crate) fn instance_ids(&self) -> Vec<String> {
        self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.keys().cloned())
                .collect()
        })
    }

    /// The volumes whose files the host keeps.
    pub(crate) fn kept_volume_ids(&self) -> Vec<String> {
        self.defs.read(|st| {
            st.volumes
                .values()
                .flat_map(|m| m.values())
                .filter(|v| v.on_host)
                .map(|v| v.volume.volume_id.clone())
                .collect()
        })
    }

    /// Removes `ids` from the host (after a reset wiped their records).
    pub(crate) async fn terminate_on_host(&self, ids: Vec<String>) {
        let Some(host) = self.instances.host.get().cloned() else {
            return;
        };
        for id in ids {
            self.instances
                .access
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            self.forget_firewall(&id);
            let out = Self::on_host(&host, move |h| {
                let _ = h.set_access(&id, None, Vec::new());
                h.terminate(&id)
            })
            .await;
            if let Some(Err(e)) = out {
                tracing::warn!(target: "nimbus::ec2", "removing an instance after a reset: {e}");
            }
        }
    }

    /// Changes the record of `id` with `f` (which returns false to leave it), durably.
    pub(crate) async fn update_instance(
        &self,
        account: &str,
        region: &str,
        id: &str,
        f: impl FnOnce(&mut InstanceRec) -> bool,
    ) -> Result<Option<InstanceRec>, AwsError> {
        self.defs
            .mutate(|st| {
                let Some(rec) = st.instance(account, region, id) else {
                    return Ok((DefChange::default(), None));
                };
                let mut rec = (**rec).clone();
                if !f(&mut rec) {
                    return Ok((DefChange::default(), None));
                }
                Ok((
                    DefChange {
                        put_instances: vec![rec.clone()],
                        ..Default::default()
                    },
                    Some(rec),
                ))
            })
            .await
    }

    /// The TCP ingress permissions of `groups` that name IPv4 sources (what the forwarder
    /// on the public address can apply; group and prefix-list peers reach instances only
    /// inside the VPC).
    pub fn tcp_ingress(&self, account: &str, region: &str, groups: &[String]) -> Vec<TcpIngress> {
        self.read_state(|st| {
            let mut out = Vec::new();
            let Some(scope) = st.scope_of(account, region) else {
                return out;
            };
            for g in groups.iter().filter_map(|g| scope.group(g)) {
                for r in g.rules.iter().filter(|r| !r.is_egress) {
                    let Peer::Ipv4(cidr) = &r.peer else { continue };
                    let (from, to) = match r.protocol.as_str() {
                        "-1" => (0, 65535),
                        "tcp" | "6" => (
                            r.from_port.unwrap_or(0).clamp(0, 65535) as u16,
                            r.to_port.unwrap_or(65535).clamp(0, 65535) as u16,
                        ),
                        _ => continue,
                    };
                    out.push(TcpIngress {
                        from,
                        to,
                        cidr: cidr.clone(),
                    });
                }
            }
            out.sort();
            out.dedup();
            out
        })
    }

    /// What the host boots for `rec`.
    pub(crate) fn host_spec(&self, rec: &InstanceRec) -> HostSpec {
        let t = crate::instance_types::lookup(&rec.instance_type);
        HostSpec {
            instance_id: rec.instance_id.clone(),
            hostname: rec.private_dns(),
            personality: rec.personality.clone(),
            vcpus: t.map_or(1, |t| t.vcpus.max(1) as u32),
            memory_mib: t.map_or(1024, |t| t.memory_mib.max(16) as u64),
            image: rec.captured_image.clone(),
            user_data: rec.user_data_bytes(),
            vpc_id: rec.vpc_id.clone(),
            vpc_cidr: rec.vpc_cidr.clone(),
            private_ip: rec.private_ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            subnet_prefix: rec.subnet_prefix,
            mac: rec.mac.clone(),
        }
    }

    /// Drives `id` in the background (see the module docs).
    pub(crate) fn spawn_drive(&self, account: &str, region: &str, id: &str) {
        let (ec2, key) = (
            self.clone(),
            (account.to_string(), region.to_string(), id.to_string()),
        );
        tokio::spawn(async move {
            let lock = ec2.instances.lock_for(&key.2);
            let _g = lock.lock().await;
            ec2.drive_locked(&key).await;
        });
    }

    /// One pass over every instance whose lock is free (a drive in flight owns the others).
    pub async fn sync_instances(&self) {
        let keys: Vec<Key> = self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .filter(|i| i.state != STOPPED)
                .map(|i| (i.account.clone(), i.region.clone(), i.instance_id.clone()))
                .collect()
        });
        for key in keys {
            let lock = self.instances.lock_for(&key.2);
            let Ok(_g) = lock.try_lock() else { continue };
            self.drive_locked(&key).await;
        }
    }

    /// One blocking host call on the blocking pool.
    /// Records the volumes of terminated `rec` that outlive it (`DeleteOnTermination=false`)
    /// as `available`: its other volumes, and its root volume when the host kept it.
    async fn keep_detached_volumes(&self, rec: &InstanceRec, root_kept: bool) {
        let kept: Vec<DetachedVolumeRec> = rec
            .volumes
            .iter()
            .enumerate()
            .filter(|(n, v)| !v.delete_on_termination && (*n > 0 || root_kept))
            .map(|(n, v)| DetachedVolumeRec {
                account: rec.account.clone(),
                region: rec.region.clone(),
                az: rec.az.clone(),
                volume: v.clone(),
                on_host: n == 0,
            })
            .collect();
        if kept.is_empty() {
            return;
        }
        let out = self
            .defs
            .mutate(|_| {
                Ok((
                    DefChange {
                        put_volumes: kept,
                        ..Default::default()
                    },
                    (),
                ))
            })
            .await;
        if let Err(e) = out {
            tracing::warn!(target: "nimbus::ec2", instance = %rec.instance_id, "recording its kept volumes failed: {}", e.message);
        }
    }

    /// Removes the files of kept volumes `ids` from the host (a reset or `DeleteVolume`).
    pub(crate) async fn delete_volumes_on_host(&self, ids: Vec<String>) {
        let Some(host) = self.instances.host.get().cloned() else {
            return;
        };
        for id in ids {
            let v = id.clone();
            if let Some(Err(e)) = Self::on_host(&host, move |h| h.delete_volume(&v)).await {
                tracing::warn!(target: "nimbus::ec2", volume = %id, "removing the volume's files failed: {e}");
            }
        }
    }

    /// Removes the captured root volume of image `image_id` from the host once no image
    /// record of that id remains (it was deregistered) and no instance that is not
    /// terminated was launched from it.
    pub(crate) async fn remove_captured_image_if_unused(&self, image_id: &str) {
        let in_use =
            self.defs.read(|st| {
                st.images
                    .values()
                    .flat_map(|m| m.values())
                    .any(|i| i.image_id == image_id)
                    || st.instances.values().flat_map(|m| m.values()).any(|i| {
                        !i.is_terminated() && i.captured_image.as_deref() == Some(image_id)
                    })
            });
        if in_use {
            return;
        }
        let Ok(host) = self.host() else {
            return;
        };
        let img = image_id.to_string();
        if let Some(Err(e)) = Self::on_host(&host, move |h| h.remove_image(&img)).await {
            tracing::warn!(target: "nimbus::ec2", image = %image_id, "removing the captured volume failed: {e}");
        }
    }

    async fn on_host<T: Send + 'static>(
        host: &Arc<dyn InstanceHost>,
        f: impl FnOnce(&dyn InstanceHost) -> T + Send + 'static,
    ) -> Option<T> {
        let h = host.clone();
        tokio::task::spawn_blocking(move || f(h.as_ref()))
            .await
            .ok()
    }

    /// Brings the instance in line with its record; the caller holds its lock. Loops while
    /// a step leads to another transitional state (at most a few steps).
    async fn drive_locked(&self, (account, region, id): &Key) {
        let Some(host) = self.instances.host.get().cloned() else {
            return;
        };
        for _ in 0..4 {
            let Some(rec) = self.instance_record(account, region, id) else {
                return;
            };
            let now = self.now();
            match rec.state.as_str() {
                PENDING => {
                    // Its security groups first: the host loads them before the first packet.
                    self.refresh_firewall(&host, &rec, true).await;
                    let spec = self.host_spec(&rec);
                    let out = Self::on_host(&host, move |h| h.launch(&spec)).await;
                    match out {
                        Some(Ok(())) => {
                            let _ = self
                                .update_instance(account, region, id, |r| {
                                    if r.state != PENDING {
                                        return false;
                                    }
                                    r.state = RUNNING.into();
                                    r.state_reason = None;
                                    r.state_transition_reason = String::new();
                                    r.running_since = Some(now);
                                    r.impaired_since = None;
                                    true
                                })
                                .await;
                            self.refresh_access(&host, account, region, id, true).await;
                            // What changed while it booted (a peer launched, a rule revoked).
                            self.refresh_firewall(&host, &rec, false).await;
                        }
                        failed => {
                            let why = match failed {
                                Some(Err(e)) => e,
                                _ => "the launch task failed".into(),
                            };
                            tracing::warn!(target: "nimbus::ec2", instance = %id, "launch failed: {why}");
                            let _ = self
                                .update_instance(account, region, id, |r| {
                                    if r.state != PENDING {
                                        return false;
                                    }
                                    r.state = SHUTTING_DOWN.into();
                                    r.state_reason = Some((
                                        "Server.InternalError".into(),
                                        "Server.InternalError: Internal error on launch".into(),
                                    ));
                                    true
                                })
                                .await;
                            // Shutting down next: clean up what the launch left.
                            continue;
                        }
                    }
                }
                RUNNING => {
                    let i = id.clone();
                    let seen = Self::on_host(&host, move |h| h.state(&i)).await.flatten();
                    match seen {
                        None | Some(HostState::Stopped) => {
                            // Not running here (Nimbus restarted): boot it again.
                            self.refresh_firewall(&host, &rec, true).await;
                            let spec = self.host_spec(&rec);
                            let out = Self::on_host(&host, move |h| h.launch(&spec)).await;
                            if !matches!(out, Some(Ok(()))) {
                                self.mark_impaired(account, region, id, now).await;
                                return;
                            }
                            let _ = self
                                .update_instance(account, region, id, |r| {
                                    r.running_since = Some(now);
                                    r.impaired_since = None;
                                    r.state == RUNNING
                                })
                                .await;
                            self.refresh_access(&host, account, region, id, true).await;
                        }
                        Some(HostState::PoweredOff) => {
                            let terminate = rec.shutdown_behavior == "terminate";
                            let _ = self
                                .update_instance(account, region, id, |r| {
                                    if r.state != RUNNING {
                                        return false;
                                    }
                                    r.state = if terminate { SHUTTING_DOWN } else { STOPPING }.into();
                                    r.state_reason = Some((
                                        "Client.InstanceInitiatedShutdown".into(),
                                        "Client.InstanceInitiatedShutdown: Instance initiated shutdown".into(),
                                    ));
                                    r.state_transition_reason = String::new();
                                    true
                                })
                                .await;
                            continue;
                        }
                        Some(HostState::RebootRequested) => {
                            let i = id.clone();
                            let _ = Self::on_host(&host, move |h| h.reboot(&i)).await;
                        }
                        Some(HostState::Failed(_)) => {
                            self.mark_impaired(account, region, id, now).await;
                        }
                        Some(HostState::Running) | Some(HostState::Pending) => {
                            self.refresh_access(&host, account, region, id, false).await;
                            self.refresh_firewall(&host, &rec, false).await;
                        }
                    }
                }
                STOPPING => {
                    self.clear_access(&host, id).await;
                    self.forget_firewall(id);
                    let i = id.clone();
                    let out = Self::on_host(&host, move |h| h.stop(&i)).await;
                    if let Some(Err(e)) = &out {
                        tracing::warn!(target: "nimbus::ec2", instance = %id, "stop failed: {e}");
                    }
                    let _ = self
                        .update_instance(account, region, id, |r| {
                            if r.state != STOPPING {
                                return false;
                            }
                            r.state = STOPPED.into();
                            r.running_since = None;
                            r.impaired_since = None;
                            true
                        })
                        .await;
                }
                SHUTTING_DOWN => {
                    self.clear_access(&host, id).await;
                    self.forget_firewall(id);
                    // A root volume with DeleteOnTermination=false outlives the instance.
                    let mut root_kept = false;
                    if let Some(v) = rec.volumes.first().filter(|v| !v.delete_on_termination) {
                        let (i, vol) = (id.clone(), v.volume_id.clone());
                        match Self::on_host(&host, move |h| h.keep_volume(&i, &vol)).await {
                            Some(Ok(())) => root_kept = true,
                            Some(Err(e)) => {
                                tracing::warn!(target: "nimbus::ec2", instance = %id, "keeping the root volume failed: {e}")
                            }
                            None => {}
                        }
                    }
                    let i = id.clone();
                    let out = Self::on_host(&host, move |h| h.terminate(&i)).await;
                    if let Some(Err(e)) = &out {
                        tracing::warn!(target: "nimbus::ec2", instance = %id, "terminate failed: {e}");
                    }
                    let _ = self
                        .remove_network_interface(account, region, &rec.eni_id)
                        .await;
                    let _ = self
                        .update_instance(account, region, id, |r| {
                            if r.state != SHUTTING_DOWN {
                                return false;
                            }
                            r.state = TERMINATED.into();
                            r.terminated_at = Some(now);
                            r.running_since = None;
                            true
                        })
                        .await;
                    self.keep_detached_volumes(&rec, root_kept).await;
                    // The last user of a deregistered captured image takes its tree along.
                    if let Some(image) = &rec.captured_image {
                        self.remove_captured_image_if_unused(image).await;
                    }
                }
                TERMINATED => {
                    let expired = rec
                        .terminated_at
                        .is_some_and(|t| now.0 - t.0 > TERMINATED_VISIBLE_MS);
                    if expired {
                        let _ = self
                            .defs
                            .mutate(|_| {
                                Ok((
                                    DefChange {
                                        delete_instances: vec![(
                                            account.clone(),
                                            region.clone(),
                                            id.clone(),
                                        )],
                                        ..Default::default()
                                    },
                                    (),
                                ))
                            })
                            .await;
                        self.instances
                            .locks
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(id);
                    }
                }
                _ => {}
            }
            return;
        }
    }

    async fn mark_impaired(&self, account: &str, region: &str, id: &str, now: Timestamp) {
        let _ = self
            .update_instance(account, region, id, |r| {
                if r.impaired_since.is_some() {
                    return false;
                }
                r.impaired_since = Some(now);
                true
            })
            .await;
    }

    /// Gives the host the instance's current public address and open ports (only when they
    /// changed, unless `force`).
    async fn refresh_access(
        &self,
        host: &Arc<dyn InstanceHost>,
        account: &str,
        region: &str,
        id: &str,
        force: bool,
    ) {
        let Some(rec) = self.instance_record(account, region, id) else {
            return;
        };
        let ip = rec
            .shown_public_ip()
            .and_then(|p| p.parse::<Ipv4Addr>().ok());
        let rules = if ip.is_some() {
            self.tcp_ingress(account, region, &rec.group_ids)
        } else {
            Vec::new()
        };
        let want = (ip, rules.clone());
        {
            let cache = self
                .instances
                .access
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if !force && cache.get(id) == Some(&want) {
                return;
            }
        }
        let i = id.to_string();
        let out = Self::on_host(host, move |h| h.set_access(&i, ip, rules)).await;
        match out {
            Some(Ok(())) => {
                self.instances
                    .access
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.to_string(), want);
            }
            Some(Err(e)) => {
                tracing::warn!(target: "nimbus::ec2", instance = %id, "opening the instance's ports failed: {e}");
            }
            None => {}
        }
    }

    async fn clear_access(&self, host: &Arc<dyn InstanceHost>, id: &str) {
        self.instances
            .access
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        let i = id.to_string();
        let _ = Self::on_host(host, move |h| h.set_access(&i, None, Vec::new())).await;
    }
}
