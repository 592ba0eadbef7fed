//! EC2 instances on this host: [`start`] opens the sandbox runtime (`nimbus_runtime`) over
//! Nimbus's data directory (a temporary one, removed at shutdown, when state is in memory),
//! clears what a crashed run left, and gives EC2 its [`svc_ec2::InstanceHost`] ([`RuntimeHost`]:
//! launches, stops, the console log, and the public loopback address forwarded on the ports
//! the security groups open) and the metadata service its [`MetadataSource`] ([`Ec2Metadata`]:
//! each instance's tree from its EC2 record). Where the host cannot give sandboxes, EC2 is
//! told why and `RunInstances` answers `Unsupported`. [`InstanceSync`] is the named worker
//! that keeps records and sandboxes in step; [`Instances::shutdown`] stops every sandbox when
//! Nimbus stops (volumes stay, and running instances boot again at the next start).
//! Role credentials in the metadata come from an [`InstanceRoleCredentials`] provider that
//! `app.rs` passes to [`start`]; the one wired today ([`NoRoleCredentials`]) serves none.

use nimbus_runtime::{
    Exposure, IngressRule, InstanceMetadata, Ipv4Net, MetadataSource, NetworkSpec, Personality,
    Runtime, RuntimeConfig, RuntimeError, SecurityRules, SgRule, Traffic,
};
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use svc_ec2::{HostSpec, HostState, InstanceHost, TcpIngress};

/// Temporary credentials for an instance's role, as IMDS serves them.
#[derive(Clone, Debug)]
pub struct RoleCredentials {
    pub role_name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: String,
    /// ISO 8601.
    pub expiration: String,
    pub last_updated: String,
    pub instance_profile_id: String,
}

/// Where an instance's role credentials come from (STS's side).
pub trait InstanceRoleCredentials: Send + Sync + 'static {
    fn credentials(
        &self,
        account: &str,
        region: &str,
        instance_profile_arn: &str,
        instance_id: &str,
    ) -> Option<RoleCredentials>;
}

/// Serves no credentials (until STS issues instance role sessions).
pub struct NoRoleCredentials;

impl InstanceRoleCredentials for NoRoleCredentials {
    fn credentials(&self, _: &str, _: &str, _: &str, _: &str) -> Option<RoleCredentials> {
        None
    }
}

/// STS's instance-role sessions as IMDS serves them. The metadata service answers on plain
/// threads, so the (async, durable) issue is driven on the server's tokio runtime.
pub struct StsRoleCredentials {
    pub roles: svc_sts::InstanceRoles,
    pub handle: tokio::runtime::Handle,
}

impl InstanceRoleCredentials for StsRoleCredentials {
    fn credentials(
        &self,
        account: &str,
        _region: &str,
        instance_profile_arn: &str,
        instance_id: &str,
    ) -> Option<RoleCredentials> {
        // Never block a tokio worker: IMDS calls from its own threads.
        if tokio::runtime::Handle::try_current().is_ok() {
            return None;
        }
        let issued = self.handle.block_on(self.roles.instance_credentials(
            account,
            instance_profile_arn,
            instance_id,
        ));
        match issued {
            Ok(c) => Some(RoleCredentials {
                role_name: c.role_name,
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                token: c.token,
                expiration: c.expiration.to_iso8601_secs(),
                last_updated: c.last_updated.to_iso8601_secs(),
                instance_profile_id: c.instance_profile_id,
            }),
            Err(e) => {
                tracing::warn!(target: "nimbus", instance_id, "no role credentials: {e}");
                None
            }
        }
    }
}

/// IAM's instance profiles for `RunInstances`' check.
pub struct IamProfiles(pub svc_iam::Directory);

impl svc_ec2::InstanceProfiles for IamProfiles {
    fn find(&self, account: &str, name_or_arn: &str) -> Option<String> {
        self.0
            .instance_profile(account, name_or_arn)
            .map(|(arn, _)| arn)
    }
}

/// EC2's running instances as the account audit sees them (its
/// `instances-without-profile` check).
pub struct AuditInstances(pub svc_ec2::Ec2);

impl svc_iam::InstanceLookup for AuditInstances {
    fn running_instances(&self, account: &str) -> Vec<svc_iam::AuditedInstance> {
        self.0
            .running_instances()
            .into_iter()
            .filter(|i| i.account == account)
            .map(|i| svc_iam::AuditedInstance {
                instance_id: i.instance_id.clone(),
                region: i.region.clone(),
                profile_arn: i.profile.as_ref().map(|p| p.arn.clone()),
            })
            .collect()
    }
}

/// EC2's running instances as the metrics worker meters them (type → vCPUs from EC2's
/// instance type table; the group from the `aws:autoscaling:groupName` tag; detailed
/// monitoring from `MonitorInstances`).
pub struct Ec2Metered(pub svc_ec2::Ec2);

impl crate::instance_metrics::MeteredInstances for Ec2Metered {
    fn list(&self) -> Vec<crate::instance_metrics::Metered> {
        self.0
            .running_instances()
            .iter()
            .map(|i| crate::instance_metrics::Metered {
                account: i.account.clone(),
                region: i.region.clone(),
                instance_id: i.instance_id.clone(),
                image_id: i.image_id.clone(),
                instance_type: i.instance_type.clone(),
                vcpus: svc_ec2::instance_types::lookup(&i.instance_type)
                    .map_or(1, |t| t.vcpus.max(1) as u32),
                asg: i
                    .tags
                    .iter()
                    .find(|t| t.key == "aws:autoscaling:groupName")
                    .map(|t| t.value.clone()),
                detailed: i.monitoring,
            })
            .collect()
    }
}

/// The running instance machinery of one Nimbus.
pub struct Instances {
    runtime: Runtime,
    /// A temporary data directory to remove at shutdown (in-memory state).
    temp_dir: Option<PathBuf>,
}

/// Opens the runtime and wires it into `ec2` (role credentials in the metadata from
/// `credentials`); `None` (EC2 told why) where this host cannot run sandboxes or no guest
/// binary is given.
pub fn start(
    ec2: &svc_ec2::Ec2,
    data_dir: Option<&std::path::Path>,
    guest_binary: Option<PathBuf>,
    credentials: Arc<dyn InstanceRoleCredentials>,
) -> Option<Arc<Instances>> {
    let Some(guest_binary) = guest_binary else {
        ec2.set_instance_host_unavailable("this Nimbus was built without the guest side");
        return None;
    };
    if let Err(reason) = nimbus_runtime::check_support() {
        ec2.set_instance_host_unavailable(reason);
        return None;
    }
    let (dir, temp_dir) = match data_dir {
        Some(d) => (d.to_path_buf(), None),
        None => {
            let d = std::env::temp_dir().join(format!(
                "nimbus-instances-{}-{:08x}",
                std::process::id(),
                ec2_nonce()
            ));
            (d.clone(), Some(d))
        }
    };
    let runtime = match Runtime::new(RuntimeConfig {
        data_dir: dir,
        guest_binary,
    }) {
        Ok(r) => r,
        Err(e) => {
            ec2.set_instance_host_unavailable(e.to_string());
            if let Some(t) = &temp_dir {
                let _ = std::fs::remove_dir_all(t);
            }
            return None;
        }
    };
    if !nimbus_runtime::firewall::available() {
        tracing::warn!(target: "nimbus", "security groups are not enforced between instances: nft (package nftables) is not installed");
    }
    if let Err(e) = runtime.cleanup_orphans() {
        tracing::warn!(target: "nimbus", "cleaning what an earlier run left of instances: {e}");
    }
    runtime.set_metadata_source(Arc::new(Ec2Metadata {
        ec2: ec2.clone(),
        credentials,
    }));
    ec2.set_instance_host(Arc::new(RuntimeHost {
        runtime: runtime.clone(),
        handle: tokio::runtime::Handle::try_current().ok(),
        exposures: Mutex::default(),
    }));
    Some(Arc::new(Instances { runtime, temp_dir }))
}

fn ec2_nonce() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

impl Instances {
    /// Stops every sandbox (volumes stay); removes a temporary data directory.
    pub fn shutdown(&self) {
        if let Err(e) = self.runtime.shutdown() {
            tracing::error!(target: "nimbus", "stopping instances: {e}");
        }
        if let Some(t) = &self.temp_dir {
            let _ = self.runtime.cleanup_orphans();
            let _ = std::fs::remove_dir_all(t);
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }
}

/// `nimbus_runtime::Runtime` as EC2's [`InstanceHost`].
struct RuntimeHost {
    runtime: Runtime,
    /// For the forwarder's listeners (tokio), opened from the blocking pool.
    handle: Option<tokio::runtime::Handle>,
    exposures: Mutex<HashMap<String, Vec<Exposure>>>,
}

fn words(e: RuntimeError) -> String {
    e.to_string()
}

/// Ports opened on the public address: every port of ranges up to 64 ports; of wider ranges
/// (all traffic, 0-65535 …) the well-known service ports inside them. At most 256.
fn ports(rules: &[TcpIngress]) -> Vec<u16> {
    const WELL_KNOWN: &[u16] = &[
        22, 80, 443, 3000, 3306, 5000, 5432, 6379, 8000, 8080, 8443, 8888, 9000,
    ];
    let mut out: Vec<u16> = Vec::new();
    for r in rules {
        if u32::from(r.to) - u32::from(r.from) < 64 {
            out.extend(r.from..=r.to);
        } else {
            out.extend(WELL_KNOWN.iter().filter(|p| (r.from..=r.to).contains(p)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out.retain(|p| *p != 0);
    out.truncate(256);
    out
}

impl InstanceHost for RuntimeHost {
    fn launch(&self, spec: &HostSpec) -> Result<(), String> {
        let personality = Personality::parse(&spec.personality)
            .ok_or_else(|| format!("unknown guest personality {}", spec.personality))?;
        let vpc_cidr = Ipv4Net::parse(&spec.vpc_cidr)
            .ok_or_else(|| format!("VPC block {:?} does not parse", spec.vpc_cidr))?;
        self.runtime
            .launch(nimbus_runtime::InstanceSpec {
                id: spec.instance_id.clone(),
                hostname: spec.hostname.clone(),
                personality,
                vcpus: spec.vcpus,
                memory_mib: spec.memory_mib,
                user_data: spec.user_data.clone(),
                image: spec
                    .image
                    .as_deref()
                    .map(|i| self.image_dir(i))
                    .filter(|d| d.exists()),
                network: NetworkSpec {
                    vpc_id: spec.vpc_id.clone(),
                    vpc_cidr,
                    private_ip: spec.private_ip,
                    subnet_prefix: spec.subnet_prefix,
                    mac: spec.mac.clone(),
                },
            })
            .map_err(words)
    }

    fn stop(&self, id: &str) -> Result<(), String> {
        self.close(id);
        match self.runtime.stop(id) {
            Ok(()) | Err(RuntimeError::NotFound(_)) => Ok(()),
            Err(e) => Err(words(e)),
        }
    }

    fn reboot(&self, id: &str) -> Result<(), String> {
        self.runtime.reboot(id).map_err(words)
    }

    fn terminate(&self, id: &str) -> Result<(), String> {
        self.close(id);
        self.runtime.terminate(id).map_err(words)
    }

    fn capture_image(&self, id: &str, image_id: &str) -> Result<(), String> {
        if image_id.is_empty()
            || !image_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!("image id {image_id:?}"));
        }
        let dir = self.image_dir(image_id);
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        self.runtime.capture_image(id, &dir).map_err(words)
    }

    fn remove_image(&self, image_id: &str) -> Result<(), String> {
        plain_id(image_id)?;
        remove_tree(&self.image_dir(image_id))
    }

    fn keep_volume(&self, id: &str, volume_id: &str) -> Result<(), String> {
        plain_id(id)?;
        plain_id(volume_id)?;
        // Nothing may run over the volume while it moves.
        match self.runtime.stop(id) {
            Ok(()) | Err(RuntimeError::NotFound(_)) => {}
            Err(e) => return Err(words(e)),
        }
        let root = self.runtime.root_volume(id);
        let volume = root
            .parent()
            .ok_or("the instance has no volume directory")?;
        let dest = self.volume_dir(volume_id);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::rename(volume, &dest)
            .map_err(|e| format!("moving {} to {}: {e}", volume.display(), dest.display()))
    }

    fn delete_volume(&self, volume_id: &str) -> Result<(), String> {
        plain_id(volume_id)?;
        remove_tree(&self.volume_dir(volume_id))
    }

    fn state(&self, id: &str) -> Option<HostState> {
        use nimbus_runtime::InstanceState as S;
        Some(match self.runtime.state(id)? {
            S::Pending => HostState::Pending,
            S::Running => HostState::Running,
            S::Stopped => HostState::Stopped,
            S::PoweredOff => HostState::PoweredOff,
            S::RebootRequested => HostState::RebootRequested,
            S::Exited(c) => HostState::Failed(c),
        })
    }

    fn console_output(&self, id: &str) -> Option<String> {
        self.runtime.console_output(id).ok()
    }

    fn set_firewall(&self, id: &str, rules: Option<&svc_ec2::PacketRules>) -> Result<(), String> {
        self.runtime
            .set_security_rules(id, rules.map(security_rules))
            .map_err(words)
    }

    fn set_access(
        &self,
        id: &str,
        public_ip: Option<Ipv4Addr>,
        rules: Vec<TcpIngress>,
    ) -> Result<(), String> {
        self.close(id);
        let allowed: Vec<IngressRule> = rules
            .iter()
            .filter_map(|r| {
                Some(IngressRule {
                    from_port: r.from,
                    to_port: r.to,
                    source: Ipv4Net::parse(&r.cidr)?,
                })
            })
            .collect();
        let Some(ip) = public_ip else {
            // Nothing listens; the instance may already be gone.
            let _ = self.runtime.set_allowed_ingress(id, Some(Vec::new()));
            return Ok(());
        };
        self.runtime
            .set_allowed_ingress(id, Some(allowed))
            .map_err(words)?;
        let handle = self
            .handle
            .as_ref()
            .ok_or("no async runtime for the forwarder")?;
        let mut opened = Vec::new();
        for port in ports(&rules) {
            match handle.block_on(self.runtime.expose(id, ip, port)) {
                Ok(x) => opened.push(x),
                Err(e) => {
                    tracing::warn!(target: "nimbus", instance = %id, "forwarding {ip}:{port}: {e}")
                }
            }
        }
        self.exposures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), opened);
        Ok(())
    }
}

/// EC2's packet filter as the runtime's (decision 0013).
fn security_rules(r: &svc_ec2::PacketRules) -> SecurityRules {
    use svc_ec2::PacketTraffic as P;
    let rule = |p: &svc_ec2::PacketRule| SgRule {
        traffic: match p.traffic {
            P::All => Traffic::All,
            P::Tcp { from, to } => Traffic::Tcp {
                from_port: from,
                to_port: to,
            },
            P::Udp { from, to } => Traffic::Udp {
                from_port: from,
                to_port: to,
            },
            P::Icmp { icmp_type, code } => Traffic::Icmp { icmp_type, code },
            P::Protocol(n) => Traffic::Protocol(n),
        },
        peer: Ipv4Net {
            addr: p.addr,
            prefix: p.prefix,
        },
    };
    SecurityRules {
        ingress: r.ingress.iter().map(rule).collect(),
        egress: r.egress.iter().map(rule).collect(),
    }
}

/// Refuses an id that could name anything but one directory (`ami-…`, `vol-…`, `i-…`).
fn plain_id(id: &str) -> Result<(), String> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!("id {id:?}"));
    }
    Ok(())
}

/// Removes `dir` and everything below it; nothing when it is not there.
fn remove_tree(dir: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", dir.display())),
    }
}

impl RuntimeHost {
    /// Where a kept volume (`DeleteOnTermination=false`) lies.
    fn volume_dir(&self, volume_id: &str) -> PathBuf {
        self.runtime.root().join("volumes").join(volume_id)
    }

    /// Where a captured image's volume lies.
    fn image_dir(&self, image_id: &str) -> PathBuf {
        self.runtime.root().join("images").join(image_id)
    }

    /// Closes the instance's listeners.
    fn close(&self, id: &str) {
        self.exposures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// The metadata service's tree of each instance, from its EC2 record.
struct Ec2Metadata {
    ec2: svc_ec2::Ec2,
    credentials: Arc<dyn InstanceRoleCredentials>,
}

impl MetadataSource for Ec2Metadata {
    fn metadata(&self, instance_id: &str) -> Option<InstanceMetadata> {
        let i = self.ec2.instance_by_id(instance_id)?;
        let mut e = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            e.insert(k.to_string(), v);
        };
        let host = i.private_dns();
        let m = "meta-data/";
        put(&format!("{m}ami-id"), i.image_id.clone());
        put(
            &format!("{m}ami-launch-index"),
            i.ami_launch_index.to_string(),
        );
        put(&format!("{m}ami-manifest-path"), "(unknown)".into());
        put(&format!("{m}instance-id"), i.instance_id.clone());
        put(&format!("{m}instance-type"), i.instance_type.clone());
        put(&format!("{m}instance-action"), "none".into());
        put(&format!("{m}hostname"), host.clone());
        put(&format!("{m}local-hostname"), host.clone());
        put(&format!("{m}local-ipv4"), i.private_ip.clone());
        put(&format!("{m}mac"), i.mac.clone());
        put(&format!("{m}reservation-id"), i.reservation_id.clone());
        put(&format!("{m}profile"), "default-hvm".into());
        put(&format!("{m}placement/availability-zone"), i.az.clone());
        put(&format!("{m}placement/region"), i.region.clone());
        put(
            &format!("{m}placement/availability-zone-id"),
            svc_ec2::availability_zones(&i.region)
                .into_iter()
                .find(|(n, _)| *n == i.az)
                .map(|(_, id)| id)
                .unwrap_or_default(),
        );
        put(&format!("{m}services/domain"), "amazonaws.com".into());
        put(&format!("{m}services/partition"), "aws".into());
        let groups: Vec<String> = self.ec2.read_state(|st| {
            let scope = st.scope_of(&i.account, &i.region);
            i.group_ids
                .iter()
                .filter_map(|g| scope.and_then(|s| s.group(g)).map(|g| g.group_name.clone()))
                .collect()
        });
        put(&format!("{m}security-groups"), groups.join("\n"));
        if let Some(root) = i.volumes.first() {
            put(
                &format!("{m}block-device-mapping/ami"),
                root.device_name.clone(),
            );
            put(
                &format!("{m}block-device-mapping/root"),
                root.device_name.clone(),
            );
        }
        for (n, v) in i.volumes.iter().enumerate().skip(1) {
            put(
                &format!("{m}block-device-mapping/ebs{n}"),
                v.device_name.trim_start_matches("/dev/").to_string(),
            );
        }
        let mac = format!("{m}network/interfaces/macs/{}/", i.mac);
        put(&format!("{mac}device-number"), "0".into());
        put(&format!("{mac}interface-id"), i.eni_id.clone());
        put(&format!("{mac}local-hostname"), host.clone());
        put(&format!("{mac}local-ipv4s"), i.private_ip.clone());
        put(&format!("{mac}mac"), i.mac.clone());
        put(&format!("{mac}owner-id"), i.account.clone());
        put(&format!("{mac}security-group-ids"), i.group_ids.join("\n"));
        put(&format!("{mac}security-groups"), groups.join("\n"));
        put(&format!("{mac}subnet-id"), i.subnet_id.clone());
        put(&format!("{mac}vpc-id"), i.vpc_id.clone());
        put(&format!("{mac}vpc-ipv4-cidr-block"), i.vpc_cidr.clone());
        put(&format!("{mac}vpc-ipv4-cidr-blocks"), i.vpc_cidr.clone());
        if let Some(ip) = i.shown_public_ip() {
            put(&format!("{m}public-ipv4"), ip.to_string());
            put(
                &format!("{m}public-hostname"),
                i.public_dns().unwrap_or_default(),
            );
            put(&format!("{mac}public-ipv4s"), ip.to_string());
            put(
                &format!("{mac}public-hostname"),
                i.public_dns().unwrap_or_default(),
            );
            put(
                &format!("{mac}ipv4-associations/{ip}"),
                i.private_ip.clone(),
            );
        }
        if let Some(k) = &i.key_name {
            if let Some(pk) = self.ec2.key_pair_public_key(&i.account, &i.region, k) {
                put(
                    &format!("{m}public-keys/0/openssh-key"),
                    format!("{pk} {k}"),
                );
            }
        }
        // EC2 Instance Connect's keys, while they last (the guest's sshd asks at each login).
        for (user, keys) in self.ec2.managed_ssh_keys(&i.instance_id) {
            put(
                &format!("{m}managed-ssh-keys/active-keys/{user}"),
                keys.join("\n"),
            );
        }
        if i.metadata.tags == "enabled" {
            for t in &i.tags {
                put(&format!("{m}tags/instance/{}", t.key), t.value.clone());
            }
        }
        if let Some(p) = &i.profile {
            put(
                &format!("{m}iam/info"),
                format!(
                    "{{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"{}\",\n  \"InstanceProfileArn\" : \"{}\",\n  \"InstanceProfileId\" : \"{}\"\n}}",
                    self.ec2.now().to_iso8601_secs(),
                    p.arn,
                    p.id
                ),
            );
            if let Some(c) =
                self.credentials
                    .credentials(&i.account, &i.region, &p.arn, &i.instance_id)
            {
                put(
                    &format!("{m}iam/security-credentials/{}", c.role_name),
                    serde_json::json!({
                        "Code": "Success",
                        "LastUpdated": c.last_updated,
                        "Type": "AWS-HMAC",
                        "AccessKeyId": c.access_key_id,
                        "SecretAccessKey": c.secret_access_key,
                        "Token": c.token,
                        "Expiration": c.expiration,
                    })
                    .to_string(),
                );
            }
        }
        if let Some(raw) = i.user_data_bytes() {
            put("user-data", String::from_utf8_lossy(&raw).into_owned());
        }
        put(
            "dynamic/instance-identity/document",
            serde_json::to_string_pretty(&serde_json::json!({
                "accountId": i.account,
                "architecture": i.architecture,
                "availabilityZone": i.az,
                "billingProducts": null,
                "devpayProductCodes": null,
                "marketplaceProductCodes": null,
                "imageId": i.image_id,
                "instanceId": i.instance_id,
                "instanceType": i.instance_type,
                "kernelId": null,
                "pendingTime": i.launch_time.to_iso8601_secs(),
                "privateIp": i.private_ip,
                "ramdiskId": null,
                "region": i.region,
                "version": "2017-09-30",
            }))
            .unwrap_or_default(),
        );
        Some(InstanceMetadata {
            entries: e,
            http_tokens_required: i.metadata.http_tokens == "required",
            hop_limit: i.metadata.hop_limit.clamp(1, 64) as u8,
            disabled: i.metadata.endpoint == "disabled",
        })
    }
}

/// The named worker that keeps EC2's records and the sandboxes in step (see
/// `svc_ec2::instances`): a pass at once after every EC2 change (`subscribe_changes`: a
/// launch, a rule authorized or revoked, groups modified, an instance stopped or gone — so
/// packet filters and forwarded ports follow at once), and every half second of Nimbus time
/// besides, for what only the host sees (a guest's own shutdown or reboot, an init that died).
pub struct InstanceSync {
    pub ec2: svc_ec2::Ec2,
    pub clock: Arc<dyn nimbus_core::Clock>,
}

impl nimbus_workers::Worker for InstanceSync {
    fn name(&self) -> String {
        "ec2-instance-sync".into()
    }

    fn run(self: Arc<Self>, mut stop: nimbus_workers::Stop) -> nimbus_workers::RunFuture {
        Box::pin(async move {
            let mut changes = self.ec2.subscribe_changes();
            let mut closed = false;
            loop {
                if stop.is_stopped() {
                    return Ok(());
                }
                changes.borrow_and_update();
                self.ec2.sync_instances().await;
                tokio::select! {
                    // The sender lives as long as EC2 (this worker holds it).
                    r = changes.changed(), if !closed => closed = r.is_err(),
                    awake = stop.sleep(self.clock.as_ref(), std::time::Duration::from_millis(500)) => {
                        if !awake {
                            return Ok(());
                        }
                    }
                }
            }
        })
    }
}

/// The named worker `ec2-instance-roles` that drops STS's cached role session of every
/// instance that terminated or disappeared (a reset, the hour after termination), on each
/// EC2 change: a new instance with a recycled id never gets an old session, and the cache
/// does not grow with every instance ever launched.
pub struct ForgetRoleSessions {
    pub ec2: svc_ec2::Ec2,
    pub roles: svc_sts::InstanceRoles,
}

impl ForgetRoleSessions {
    /// (account, instance id) of every instance not terminated.
    fn live(&self) -> std::collections::HashSet<(String, String)> {
        self.ec2.live_instance_keys()
    }
}

impl nimbus_workers::Worker for ForgetRoleSessions {
    fn name(&self) -> String {
        "ec2-instance-roles".into()
    }

    fn run(self: Arc<Self>, mut stop: nimbus_workers::Stop) -> nimbus_workers::RunFuture {
        Box::pin(async move {
            let mut changes = self.ec2.subscribe_changes();
            let mut known = self.live();
            loop {
                tokio::select! {
                    r = changes.changed() => {
                        if r.is_err() {
                            return Ok(());
                        }
                    }
                    _ = stop.stopped() => return Ok(()),
                }
                let now = self.live();
                for (account, id) in known.difference(&now) {
                    self.roles.forget(account, id).await;
                }
                known = now;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_open_what_the_rules_name() {
        let r = |from, to| TcpIngress {
            from,
            to,
            cidr: "0.0.0.0/0".into(),
        };
        assert_eq!(ports(&[r(80, 80)]), vec![80]);
        assert_eq!(
            ports(&[r(8000, 8002), r(22, 22)]),
            vec![22, 8000, 8001, 8002]
        );
        assert_eq!(
            ports(&[r(0, 65535)]),
            vec![22, 80, 443, 3000, 3306, 5000, 5432, 6379, 8000, 8080, 8443, 8888, 9000]
        );
        assert!(ports(&[]).is_empty());
    }
}
