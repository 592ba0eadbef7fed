//! What Elastic Load Balancing is wired to beyond EC2's networking (`app.rs` has the
//! `Network` adapter), as adapters that answer only what is true today:
//! - instances for instance targets ([`svc_elbv2::Instances`]): [`Ec2Instances`] over EC2's
//!   instance records (id → VPC, subnet, zone, private IP, state, groups);
//! - how the data plane reaches an instance inside its VPC ([`nimbus_lb::Connector`]):
//!   [`RuntimeConnector`] over `nimbus_runtime::Runtime::connect` (a connection opened from
//!   inside the VPC's network namespace), set where the binary opens its runtime; without
//!   a runtime (a host that cannot run sandboxes) no instance runs, so none is registered;
//! - the named worker `elb-refresh` ([`Refresh`]): at once after every EC2 change (EC2's
//!   change notification, `svc_ec2::Ec2::subscribe_changes`) and every second besides it
//!   asks ELBv2 (and the Classic Load Balancers,
//!   `svc_elb::Classic::refresh`) to compare the EC2 facts its snapshot was built from (security group rules,
//!   instance states) with EC2's current ones and republish when they changed — so
//!   authorizing a rule on a balancer's group lets clients in at once — and to deregister
//!   targets whose instance was terminated. The one-second pass stays for what is not an
//!   EC2 change: deregistration delays ending on the clock. (The comparison is a few map
//!   lookups per balancer and instance target.)

use nimbus_workers::{RunFuture, Stop, Worker};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// ELB's [`svc_elbv2::Instances`] over EC2's instance records.
pub struct Ec2Instances(pub svc_ec2::Ec2);

impl svc_elbv2::Instances for Ec2Instances {
    fn lookup(
        &self,
        account: &str,
        region: &str,
        instance_id: &str,
    ) -> Option<svc_elbv2::InstanceTarget> {
        use svc_elbv2::InstanceState as S;
        let i = self.0.instance_record(account, region, instance_id)?;
        let state = match i.state.as_str() {
            "pending" => S::Pending,
            "running" => S::Running,
            "shutting-down" => S::ShuttingDown,
            "terminated" => S::Terminated,
            "stopping" => S::Stopping,
            "stopped" => S::Stopped,
            _ => return None,
        };
        Some(svc_elbv2::InstanceTarget {
            instance_id: i.instance_id.clone(),
            vpc_id: i.vpc_id.clone(),
            subnet_id: i.subnet_id.clone(),
            zone: i.az.clone(),
            private_ip: i.private_ip.parse().ok()?,
            state,
            security_groups: i.group_ids.clone(),
        })
    }
}

pub struct RuntimeConnector(pub Arc<nimbus_runtime::Runtime>);

impl nimbus_lb::Connector for RuntimeConnector {
    fn connect(
        &self,
        route: &nimbus_lb::config::InstanceRoute,
        addr: SocketAddr,
    ) -> nimbus_lb::ConnectFuture {
        let runtime = self.0.clone();
        let id = route.instance_id.clone();
        Box::pin(async move {
            // The runtime connects from a thread that entered the VPC's namespace
            // (blocking); the instance's private address is its own.
            let s = tokio::task::spawn_blocking(move || runtime.connect(&id, addr.port()))
                .await
                .map_err(std::io::Error::other)?
                .map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::ConnectionRefused, e.to_string())
                })?;
            s.set_nonblocking(true)?;
            tokio::net::TcpStream::from_std(s)
        })
    }
}

/// The named worker `elb-refresh` (see the module doc).
pub struct Refresh {
    pub elb: svc_elbv2::Elb,
    /// EC2's change notification.
    pub changes: tokio::sync::watch::Receiver<u64>,
    /// Classic Load Balancers, refreshed the same way.
    pub classic: svc_elb::Classic,
}

impl Refresh {
    async fn run_loop(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        let mut changes = self.changes.clone();
        // EC2 gone (shutting down): the clock alone drives the passes.
        let mut closed = false;
        loop {
            changes.borrow_and_update();
            self.elb.refresh().await;
            self.classic.refresh().await;
            // Real time: whatever the time scale, a change is followed at once and the
            // clock's work within a second.
            tokio::select! {
                r = changes.changed(), if !closed => closed = r.is_err(),
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.stopped() => return Ok(()),
            }
        }
    }
}

impl Worker for Refresh {
    fn name(&self) -> String {
        "elb-refresh".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.run_loop(stop))
    }
}
