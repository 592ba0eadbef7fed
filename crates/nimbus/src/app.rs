//! The one place Nimbus is wired together: [`build`] opens the store (or keeps everything in
//! memory), resumes the Nimbus clock from it (or takes an injected one), builds every service
//! over that one store, clock and id generator, and puts them behind a [`Gateway`] with the
//! root credentials, the authorizer and the admin [`Hooks`]. Services never import each
//! other; whatever one needs from another is wired here.
//!
//! This module does not listen, print, or handle signals (the binary does), and it owns no
//! service or gateway logic. Errors are `anyhow` because this is an edge: each one says which
//! step of starting up failed.

use crate::access::{Enforcer, Keys};
use crate::hooks::{self, Hooks};
use anyhow::Context;
use nimbus_core::{Clock, ClockCheckpoint, Ids, NimbusClock};
use nimbus_gateway::{Gateway, GatewayConfig, StaticCredentials};
use nimbus_store::Store;
use nimbus_wire::Service;
use nimbus_workers::Workers;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where Nimbus time comes from.
pub enum Time {
    /// Nimbus's own clock, running this many times faster than real time; resumed from the
    /// checkpoint an earlier run left in the store, and saved there by the admin hooks.
    Scaled(f64),
    /// A clock the caller owns (tests, fuzzing): used as it is, never resumed or saved.
    Injected(Arc<dyn Clock>),
}

/// What to build. [`Config::default`] is an in-memory Nimbus with the CLI's defaults.
pub struct Config {
    /// Auth mode, body limits and the version the health endpoint reports.
    pub gateway: GatewayConfig,
    /// The account the root keys belong to.
    pub account: String,
    pub access_key: String,
    pub secret_key: String,
    /// Durable state (created if missing; S3 object bytes under `s3/`), or `None` to keep
    /// everything in memory.
    pub data_dir: Option<PathBuf>,
    pub time: Time,
    /// The id generator every service and the gateway draw from (seed it for replayable runs).
    pub ids: Arc<Ids>,
    /// Whether IAM policies decide (true unless permissive mode runs without
    /// `--enforce-iam`); off, the account root may also assume roles.
    pub enforce_iam: bool,
    /// SNS may deliver to http endpoints off loopback (`--sns-egress on`).
    pub sns_egress: bool,
    /// Where load balancer nodes take their loopback addresses (decision 0010).
    pub lb_network: (std::net::Ipv4Addr, u8),
    /// The binary holding the guest side of instances (the `nimbus` binary itself); `None`:
    /// EC2 instances cannot run (`RunInstances` answers `Unsupported`).
    pub guest_binary: Option<PathBuf>,
    /// Running On-Demand Standard vCPUs per account and region (`--vcpu-limit`); `None`: no
    /// limit.
    pub vcpu_limit: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gateway: GatewayConfig {
                version: env!("CARGO_PKG_VERSION"),
                ..GatewayConfig::default()
            },
            account: "000000000000".to_string(),
            access_key: "test".to_string(),
            secret_key: "test".to_string(),
            data_dir: None,
            time: Time::Scaled(1.0),
            ids: Arc::new(Ids::from_os()),
            enforce_iam: true,
            sns_egress: false,
            lb_network: svc_elbv2::NODE_NETWORK,
            guest_binary: None,
            vcpu_limit: None,
        }
    }
}

/// A wired Nimbus, ready to serve.
pub struct App {
    pub gateway: Arc<Gateway>,
    /// Shut it down after serving, once the clock is saved (`hooks.save()`).
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hooks: Arc<Hooks>,
    /// Every named background worker the services registered; the binary starts them once
    /// its runtime runs ([`Workers::start`]) and stops them on shutdown.
    pub workers: Arc<Workers>,
    /// The clock checkpoint an earlier run left in the store and the clock resumed from
    /// (`None` on a first run and for an injected clock).
    pub resumed_from: Option<ClockCheckpoint>,
    /// The load balancer data plane (the binary adds the DNS server over it).
    pub lb_plane: Arc<nimbus_lb::Plane>,
    /// The instance runtime, when this host runs instances: shut it down when serving ends.
    pub instances: Option<Arc<crate::instances_wiring::Instances>>,
    /// Instance-role credentials for instances' metadata service (STS role sessions).
    pub instance_roles: svc_sts::InstanceRoles,
}

/// Builds Nimbus as `config` says: loads every service's stored state, so a corrupt store
/// fails here, before anything is served. Needs no async runtime (the store writes on its
/// own thread), though serving the gateway does.
pub fn build(config: Config) -> anyhow::Result<App> {
    let store = open_store(config.data_dir.as_deref())?;
    let (clock, hooks, resumed_from): (Arc<dyn Clock>, _, _) = match config.time {
        Time::Scaled(scale) => {
            let saved = hooks::load_clock(&store).context("reading the saved clock")?;
            let clock = Arc::new(NimbusClock::resume(scale, saved));
            (clock.clone(), Hooks::new(store.clone(), clock), saved)
        }
        Time::Injected(clock) => (clock, Hooks::without_clock(store.clone()), None),
    };
    let hooks = Arc::new(hooks);
    let blob_dir = config.data_dir.as_ref().map(|d| d.join("s3"));
    let mut roots = StaticCredentials::new();
    roots.add_root(&config.account, &config.access_key, &config.secret_key);
    let workers = hooks.workers.clone();
    let wired = services(
        &store,
        &clock,
        &config.ids,
        blob_dir,
        &roots,
        &hooks,
        !config.enforce_iam,
        config.sns_egress,
        config.lb_network,
        (config.data_dir.as_deref(), config.guest_binary),
    )?;
    if let Some(vcpus) = config.vcpu_limit {
        wired.ec2.set_vcpu_limit(vcpus);
    }
    hooks.set_audit(wired.iam.clone(), config.account.clone(), clock.clone());
    hooks.set_audit_instances(Arc::new(crate::instances_wiring::AuditInstances(
        wired.ec2.clone(),
    )));
    let mut registry = nimbus_gateway::route::Registry::new();
    for s in wired.services {
        registry.register(s);
    }
    let gateway = Arc::new(Gateway {
        config: config.gateway,
        registry,
        credentials: Arc::new(Keys {
            roots,
            iam: wired.iam.clone(),
            sessions: wired.sessions.clone(),
        }),
        authorizer: Arc::new(Enforcer {
            iam: wired.iam,
            sessions: wired.sessions,
            buckets: wired.buckets,
            messages: wired.messages,
            enforce: config.enforce_iam,
            resource_tags: Some(Arc::new(crate::access::Ec2InstanceTags(wired.ec2))),
        }),
        clock: clock.clone(),
        ids: config.ids,
        key_cache: Default::default(),
        admin: hooks.clone(),
    });
    Ok(App {
        gateway,
        store,
        clock,
        hooks,
        workers,
        resumed_from,
        lb_plane: wired.lb_plane,
        instances: wired.instances,
        instance_roles: wired.instance_roles,
    })
}

fn open_store(data_dir: Option<&Path>) -> anyhow::Result<Store> {
    let Some(dir) = data_dir else {
        return Ok(Store::in_memory());
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    // Secret keys, session tokens and object bytes live below: owner only (also for a
    // directory an older Nimbus created 0755).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting data directory {} to its owner", dir.display()))?;
    Store::open_dir(dir).with_context(|| format!("opening the store in {}", dir.display()))
}

/// Every service Nimbus serves, each loading its state from `store`, and the read sides of
/// IAM, STS and S3 (bucket policies) that authentication and authorization need.
struct Wired {
    services: Vec<Arc<dyn Service>>,
    iam: svc_iam::Directory,
    sessions: svc_sts::Sessions,
    buckets: svc_s3::BucketPolicies,
    lb_plane: Arc<nimbus_lb::Plane>,
    instances: Option<Arc<crate::instances_wiring::Instances>>,
    instance_roles: svc_sts::InstanceRoles,
    messages: svc_sts::AuthorizationMessages,
    /// EC2's handle: its quotas are set from the configuration, and the authorizer's
    /// resource-tag lookups read its state.
    ec2: svc_ec2::Ec2,
}

fn services(
    store: &Store,
    clock: &Arc<dyn Clock>,
    ids: &Arc<Ids>,
    s3_blobs: Option<PathBuf>,
    roots: &StaticCredentials,
    hooks: &Hooks,
    root_may_assume: bool,
    sns_egress: bool,
    lb_network: (std::net::Ipv4Addr, u8),
    (data_dir, guest_binary): (Option<&Path>, Option<PathBuf>),
) -> anyhow::Result<Wired> {
    // Services with background work add their workers here (`workers.add(...)`).
    let workers = &hooks.workers;
    let (iam, directory) =
        svc_iam::build(store.clone(), clock.clone(), ids.clone()).context("loading IAM state")?;
    let roles = Arc::new(IamRoles {
        iam: directory.clone(),
        roots: roots.clone(),
        root_may_assume,
    });
    let (sts, sessions, messages) =
        svc_sts::build_with_messages(store.clone(), clock.clone(), ids.clone(), roles.clone())
            .context("loading STS state")?;
    let instance_roles =
        svc_sts::InstanceRoles::new(sessions.clone(), roles, ids.clone(), clock.clone());
    let (s3, buckets) = svc_s3::build(store.clone(), clock.clone(), ids.clone(), s3_blobs)
        .context("loading S3 state")?;
    let (ssm, parameters) =
        svc_ssm::build(store.clone(), clock.clone(), ids.clone()).context("loading SSM state")?;
    // EC2's `resolve:ssm:` image ids read Parameter Store.
    let lookup = move |account: &str, region: &str, reference: &str| {
        parameters
            .resolve(account, region, reference)
            .map(|p| (p.value, p.data_type))
    };
    let (ec2, ec2_net) =
        svc_ec2::build(store.clone(), clock.clone(), ids.clone()).context("loading EC2 state")?;
    ec2_net.clone().with_parameters(Arc::new(lookup));
    let (acm, certificates) =
        svc_acm::build(store.clone(), clock.clone(), ids.clone()).context("loading ACM state")?;
    hooks.set_acm(certificates.clone());
    // Instances run as sandboxes on this host where it can give them.
    ec2_net.set_instance_profiles(Arc::new(crate::instances_wiring::IamProfiles(
        directory.clone(),
    )));
    // Instance role credentials in IMDS: STS role sessions for the instance profile's role
    // (driven on the server's tokio runtime; none where there is no runtime, as in tests).
    let credentials: Arc<dyn crate::instances_wiring::InstanceRoleCredentials> =
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => Arc::new(crate::instances_wiring::StsRoleCredentials {
                roles: instance_roles.clone(),
                handle,
            }),
            Err(_) => Arc::new(crate::instances_wiring::NoRoleCredentials),
        };
    let instances = crate::instances_wiring::start(&ec2_net, data_dir, guest_binary, credentials);
    workers.add(Arc::new(crate::instances_wiring::InstanceSync {
        ec2: ec2_net.clone(),
        clock: clock.clone(),
    }));
    workers.add(Arc::new(crate::instances_wiring::ForgetRoleSessions {
        ec2: ec2_net.clone(),
        roles: instance_roles.clone(),
    }));
    let lb_plane = nimbus_lb::Plane::new();
    let (elbv2, elb_handle) = svc_elbv2::build(
        store.clone(),
        clock.clone(),
        ids.clone(),
        Arc::new(Ec2Network(ec2_net.clone())),
        lb_plane.clone(),
        lb_network,
        Arc::new(crate::acm_wiring::ElbCertificates(certificates.downgrade())),
    )
    .context("loading ELBv2 state")?;
    // ACM's InUseBy and ResourceInUseException read the listeners; re-imports republish.
    certificates.set_users(Arc::new(crate::acm_wiring::CertificateUsers(
        elb_handle.handle(),
    )));
    nimbus_lb::add_workers(&lb_plane, clock, workers);
    // Instance targets: EC2's records, reached inside their VPC through the runtime.
    elb_handle.set_instances(Arc::new(crate::elb_wiring::Ec2Instances(ec2_net.clone())));
    if let Some(i) = &instances {
        lb_plane.set_connector(Box::new(crate::elb_wiring::RuntimeConnector(Arc::new(
            i.runtime().clone(),
        ))));
    }
    // Classic Load Balancers: the same EC2 and ACM adapters, the same data plane.
    let (elb_classic, classic_handle) = svc_elb::build(
        store.clone(),
        clock.clone(),
        ids.clone(),
        Arc::new(Ec2Network(ec2_net.clone())),
        lb_plane.clone(),
        lb_network,
        Arc::new(crate::acm_wiring::ElbCertificates(certificates.downgrade())),
    )
    .context("loading Classic ELB state")?;
    classic_handle.set_instances(Arc::new(crate::elb_wiring::Ec2Instances(ec2_net.clone())));
    workers.add(Arc::new(crate::elb_wiring::Refresh {
        elb: elb_handle.clone(),
        changes: ec2_net.subscribe_changes(),
        classic: classic_handle.clone(),
    }));
    let (cloudwatch, alarms, publisher) =
        svc_cloudwatch::build_with_publisher(store.clone(), clock.clone())
            .context("loading CloudWatch state")?;
    // AWS/ApplicationELB, AWS/NetworkELB and AWS/ELB from the data plane's counters.
    workers.add(Arc::new(crate::elb_metrics::ElbMetrics {
        plane: lb_plane.clone(),
        publisher: publisher.clone(),
        clock: clock.clone(),
    }));
    // AWS/EC2 metrics measured from each running instance's own accounting.
    if let Some(i) = &instances {
        workers.add(Arc::new(crate::instance_metrics::InstanceMetrics::new(
            Arc::new(crate::instances_wiring::Ec2Metered(ec2_net.clone())),
            Arc::new(i.runtime().clone()),
            Arc::new(publisher),
            clock.clone(),
        )));
    }
    let (sns, sns_handle, sns_delivery) =
        svc_sns::build(store.clone(), clock.clone(), ids.clone(), sns_egress)
            .context("loading SNS state")?;
    workers.add(sns_delivery);
    hooks.set_sns(sns_handle.clone());
    // EC2 alarm actions stop, terminate and reboot instances through EC2's own API.
    let ec2_alarm_actions = ec2_net.clone();
    let (autoscaling, autoscaling_handle) = svc_autoscaling::build(
        store.clone(),
        clock.clone(),
        ids.clone(),
        crate::autoscaling_wiring::deps(
            ec2_net.clone(),
            alarms.clone(),
            sns_handle.clone(),
            elb_handle,
            classic_handle,
        ),
    )
    .context("loading Auto Scaling state")?;
    // Alarm actions on scaling policy ARNs run the policy in Auto Scaling.
    alarms.set_actions(Arc::new(crate::alarm_actions::Wired {
        sns: sns_handle,
        autoscaling: Some(Arc::new(crate::autoscaling_wiring::Policies(
            autoscaling_handle.clone(),
        ))),
        ec2: Some(ec2_alarm_actions),
    }));
    workers.add(Arc::new(svc_cloudwatch::alarms::worker::AlarmEvaluator {
        alarms,
    }));
    workers.add(Arc::new(svc_autoscaling::Reconciler {
        svc: autoscaling_handle,
    }));
    Ok(Wired {
        services: vec![
            sts,
            ec2,
            s3,
            cloudwatch,
            acm,
            iam,
            ssm,
            sns,
            elbv2,
            autoscaling,
            svc_ec2_instance_connect::service(Arc::new(crate::eic_wiring::Ec2Connect(
                ec2_net.clone(),
            ))),
            elb_classic,
            // scripts/new-service: new services go above this line
        ],
        iam: directory,
        sessions,
        buckets,
        lb_plane,
        instances,
        instance_roles,
        messages,
        ec2: ec2_net,
    })
}

/// What ELBv2 needs from EC2's networking: subnets, security groups, VPCs.
struct Ec2Network(svc_ec2::Ec2);

impl svc_elbv2::Network for Ec2Network {
    fn subnet(
        &self,
        account: &str,
        region: &str,
        subnet_id: &str,
    ) -> Option<svc_elbv2::SubnetInfo> {
        self.0
            .subnet(account, region, subnet_id)
            .map(|s| svc_elbv2::SubnetInfo {
                subnet_id: s.subnet_id,
                vpc_id: s.vpc_id,
                zone: s.availability_zone,
            })
    }

    fn security_group_vpc(&self, account: &str, region: &str, group_id: &str) -> Option<String> {
        self.0.security_group_vpc(account, region, group_id)
    }

    fn security_group_ingress(
        &self,
        account: &str,
        region: &str,
        group_id: &str,
    ) -> Option<Vec<svc_elbv2::IngressRule>> {
        let rules = self.0.security_group_ingress(account, region, group_id)?;
        Some(
            rules
                .into_iter()
                .filter_map(|r| {
                    let source = match r.peer {
                        svc_ec2::IngressPeer::Cidr(c) => svc_elbv2::RuleSource::Cidr(c),
                        svc_ec2::IngressPeer::Group(g) => svc_elbv2::RuleSource::Group(g),
                        // Prefix lists are not resolved for load balancers yet.
                        svc_ec2::IngressPeer::PrefixList(_) => return None,
                    };
                    Some(svc_elbv2::IngressRule {
                        protocol: r.protocol,
                        from_port: r.from_port,
                        to_port: r.to_port,
                        source,
                    })
                })
                .collect(),
        )
    }

    fn default_security_group(&self, account: &str, region: &str, vpc_id: &str) -> Option<String> {
        self.0.read_state(|st| {
            st.scope_of(account, region)
                .and_then(|s| s.group_by_name(vpc_id, "default"))
                .map(|g| g.group_id.clone())
        })
    }

    fn vpc_exists(&self, account: &str, region: &str, vpc_id: &str) -> bool {
        self.0.read_state(|st| {
            st.scope_of(account, region)
                .is_some_and(|s| s.vpcs.contains_key(vpc_id))
        })
    }

    fn default_subnet(
        &self,
        account: &str,
        region: &str,
        zone: &str,
    ) -> Option<svc_elbv2::SubnetInfo> {
        self.0.read_state(|st| {
            st.scope_of(account, region)?
                .net
                .subnets
                .values()
                .find(|s| s.default_for_az && s.az == zone)
                .map(|s| svc_elbv2::SubnetInfo {
                    subnet_id: s.subnet_id.clone(),
                    vpc_id: s.vpc_id.clone(),
                    zone: s.az.clone(),
                })
        })
    }

    fn add_node_interface<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        node: svc_elbv2::NodeInterface,
    ) -> svc_elbv2::NetFuture<'a, (String, String)> {
        Box::pin(async move {
            let spec = svc_ec2::NewInterface {
                subnet_id: node.subnet_id,
                group_ids: node.group_ids,
                description: node.description,
                interface_type: node.interface_type,
                requester_id: Some("amazon-elb".into()),
                private_ip: None,
                attachment: None,
                assign_public_ip: node.public,
            };
            let eni = self.0.add_network_interface(account, region, spec).await?;
            Ok((eni.network_interface_id, eni.private_ip.to_string()))
        })
    }

    fn remove_node_interface<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        eni_id: &'a str,
    ) -> svc_elbv2::NetFuture<'a, ()> {
        Box::pin(async move {
            self.0
                .remove_network_interface(account, region, eni_id)
                .await?;
            Ok(())
        })
    }
}

/// What STS needs from IAM (roles to assume, which account a key belongs to), over IAM's
/// directory and the command line's root keys.
struct IamRoles {
    iam: svc_iam::Directory,
    roots: StaticCredentials,
    root_may_assume: bool,
}

impl svc_sts::RoleDirectory for IamRoles {
    fn root_may_assume(&self) -> bool {
        self.root_may_assume
    }

    fn role(&self, arn: &str) -> Option<svc_sts::RoleView> {
        self.iam.role_by_arn(arn).map(|r| svc_sts::RoleView {
            account: r.account.clone(),
            name: r.name.clone(),
            role_id: r.role_id.clone(),
            max_session_duration: r.max_session_duration,
        })
    }

    fn key_account(&self, access_key_id: &str) -> Option<String> {
        use nimbus_gateway::CredentialStore;
        self.iam
            .access_key(access_key_id)
            .map(|k| k.account)
            .or_else(|| {
                self.roots
                    .lookup(access_key_id)
                    .map(|c| c.principal.account_id.clone())
            })
    }

    fn instance_profile(&self, account: &str, name_or_arn: &str) -> Option<svc_sts::ProfileView> {
        self.iam
            .instance_profile_role(account, name_or_arn)
            .map(|p| svc_sts::ProfileView {
                arn: p.profile_arn,
                id: p.profile_id,
                role_arn: p.role_arn,
            })
    }

    fn service_may_assume(&self, role_arn: &str, service: &str) -> bool {
        self.iam.role_trusts_service(role_arn, service)
    }

    fn oidc_provider(&self, account: &str, url: &str) -> Option<svc_sts::OidcProviderView> {
        self.iam
            .oidc_provider(account, url)
            .map(|p| svc_sts::OidcProviderView {
                arn: p.arn,
                url: p.url,
                client_ids: p.client_ids,
            })
    }

    fn web_identity_may_assume(
        &self,
        role_arn: &str,
        provider_arn: &str,
        conditions: &[(String, Vec<String>)],
    ) -> bool {
        self.iam
            .role_trusts_web_identity(role_arn, provider_arn, conditions)
    }

    fn verify_mfa(
        &self,
        account: &str,
        user_name: &str,
        serial: &str,
        code: &str,
        now: nimbus_core::Timestamp,
    ) -> svc_sts::MfaCheck {
        match self.iam.verify_totp(account, user_name, serial, code, now) {
            svc_iam::TotpVerdict::Valid => svc_sts::MfaCheck::Valid,
            svc_iam::TotpVerdict::InvalidCode => svc_sts::MfaCheck::InvalidCode,
            svc_iam::TotpVerdict::NotAssigned => svc_sts::MfaCheck::NotAssigned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::{ManualClock, Timestamp};
    use std::time::Duration;

    fn names(app: &App) -> Vec<&'static str> {
        let services = app.gateway.registry.services();
        services.iter().map(|s| s.model().name).collect()
    }

    #[tokio::test]
    async fn an_injected_clock_is_used_as_is_and_never_saved() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_767_225_600)));
        let app = build(Config {
            time: Time::Injected(clock.clone()),
            ..Config::default()
        })
        .expect("build");
        assert_eq!(app.gateway.clock.now(), clock.now());
        assert!(app.resumed_from.is_none());
        app.hooks.save().await.expect("save is a no-op");
        assert_eq!(hooks::load_clock(&app.store).expect("load"), None);
        // Each service once: the registry routes by model, so a second copy would shadow
        // the first and split its state.
        let mut unique = names(&app);
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names(&app).len(), "{:?}", names(&app));
        assert!(unique.contains(&"sts"), "{unique:?}");
    }

    #[tokio::test]
    async fn a_data_dir_is_created_and_the_clock_resumes_from_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("nested").join("data");
        let config = || Config {
            data_dir: Some(data_dir.clone()),
            ..Config::default()
        };
        let first = build(config()).expect("first build");
        assert!(first.resumed_from.is_none());
        let mode = |p: &Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
        };
        assert_eq!(mode(&data_dir), 0o700, "data dir is its owner's only");
        assert_eq!(
            mode(&data_dir.join("nimbus.redb")),
            0o600,
            "database is its owner's only"
        );
        first.clock.advance(Duration::from_secs(3600));
        first.hooks.save().await.expect("save");
        first.store.shutdown();
        drop(first);

        let second = build(config()).expect("second build");
        let saved = second.resumed_from.expect("resumed from the first run");
        assert_eq!(saved.advanced_ms, 3_600_000);
        assert!(second.clock.now().0 - second.clock.real_now().0 >= 3_600_000 - 60_000);
        second.store.shutdown();
    }
}
