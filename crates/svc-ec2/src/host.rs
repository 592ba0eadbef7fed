//! What EC2 asks of the machinery that really runs instances: the [`InstanceHost`] trait
//! this crate owns and the binary implements over `nimbus_runtime::Runtime` (services never
//! import the runtime). Every call is blocking (a launch forks, mounts and waits for the
//! sandbox), so EC2 makes them from blocking tasks, never on the async threads. Without a
//! host (the sandbox is unavailable: not root, no namespaces …) `RunInstances` answers
//! `Unsupported` with the reason, and no instance record is ever made.

use std::net::Ipv4Addr;

/// What should run: one instance's sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSpec {
    pub instance_id: String,
    /// The private DNS name (`ip-10-0-1-23.ec2.internal`): the hostname inside.
    pub hostname: String,
    /// The AMI's guest personality (`amzn2`, `al2023`, `ubuntu`, `debian`).
    pub personality: String,
    pub vcpus: u32,
    pub memory_mib: u64,
    /// A captured image (`CreateImage`) the new root volume starts from: its AMI id.
    pub image: Option<String>,
    /// Decoded user data (run once, on the first boot of a new root volume).
    pub user_data: Option<Vec<u8>>,
    pub vpc_id: String,
    /// The VPC's primary IPv4 block (`10.0.0.0/16`).
    pub vpc_cidr: String,
    pub private_ip: Ipv4Addr,
    /// The subnet's prefix length.
    pub subnet_prefix: u8,
    pub mac: String,
}

/// What the host sees of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    /// Being booted.
    Pending,
    Running,
    /// Not running (stopped, or never booted since the host came up).
    Stopped,
    /// The guest shut itself down (`shutdown -h now`).
    PoweredOff,
    /// The guest asked for a reboot.
    RebootRequested,
    /// The guest's init died with this code: the instance is impaired.
    Failed(i32),
}

/// A TCP ingress permission as the host's forwarder applies it to the instance's public
/// address: ports `from..=to` from sources in `cidr` (`a.b.c.d/n`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TcpIngress {
    pub from: u16,
    pub to: u16,
    pub cidr: String,
}

/// IAM's instance profiles, as `RunInstances` checks the one it is given: the profile's
/// ARN (by name or ARN, in the caller's account), `None` when there is no such profile.
pub trait InstanceProfiles: Send + Sync + 'static {
    fn find(&self, account: &str, name_or_arn: &str) -> Option<String>;
}

/// The machinery that runs instances. Errors are the reason, in words.
pub trait InstanceHost: Send + Sync + 'static {
    /// Boots `spec`: a new root volume runs its user data once; an existing one (a start
    /// after a stop, or after Nimbus restarted) boots again without it.
    fn launch(&self, spec: &HostSpec) -> Result<(), String>;
    /// Stops the instance's processes; the root volume stays.
    fn stop(&self, instance_id: &str) -> Result<(), String>;
    /// Kills every process and boots again from the root volume.
    fn reboot(&self, instance_id: &str) -> Result<(), String>;
    /// Stops the instance and removes everything of it, root volume included.
    fn terminate(&self, instance_id: &str) -> Result<(), String>;
    /// Captures the instance's root volume as the image `image_id` (what `CreateImage` makes).
    fn capture_image(&self, instance_id: &str, image_id: &str) -> Result<(), String>;
    /// Removes what [`InstanceHost::capture_image`] kept for image `image_id` (its image is
    /// deregistered and nothing launches from it any more). A host that captures nothing
    /// has nothing to remove.
    fn remove_image(&self, _image_id: &str) -> Result<(), String> {
        Ok(())
    }
    /// Keeps the root volume of the (stopped or running) instance as volume `volume_id`
    /// before the instance is terminated (`DeleteOnTermination=false`).
    fn keep_volume(&self, _instance_id: &str, _volume_id: &str) -> Result<(), String> {
        Err("this host cannot keep volumes".into())
    }
    /// Removes a kept volume's files (`DeleteVolume`); nothing when there are none.
    fn delete_volume(&self, _volume_id: &str) -> Result<(), String> {
        Ok(())
    }
    /// What the host sees now (`None`: it does not know the instance).
    fn state(&self, instance_id: &str) -> Option<HostState>;
    /// Everything the instance wrote to its console, across boots.
    fn console_output(&self, instance_id: &str) -> Option<String>;
    /// Makes the instance reachable on `public_ip` (a loopback address) on exactly the
    /// ports `rules` open, to the sources they name; `None` or no rules: not reachable.
    fn set_access(
        &self,
        instance_id: &str,
        public_ip: Option<Ipv4Addr>,
        rules: Vec<TcpIngress>,
    ) -> Result<(), String>;
    /// The packet filter of the instance's interface between instances (security groups,
    /// ingress and egress; `None`: none). For an instance not booted yet the host keeps it
    /// and loads it before the instance's first packet; while running it applies at once.
    /// A host that cannot filter says so (the default).
    fn set_firewall(
        &self,
        instance_id: &str,
        rules: Option<&crate::sg_firewall::PacketRules>,
    ) -> Result<(), String> {
        let _ = (instance_id, rules);
        Err("this host does not filter traffic between instances".into())
    }
}
