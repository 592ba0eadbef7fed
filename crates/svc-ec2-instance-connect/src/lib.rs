//! AWS EC2 Instance Connect (ec2-instance-connect): `SendSSHPublicKey` pushes an OpenSSH
//! public key to a running instance for one OS user, for 60 seconds of Nimbus time. The
//! service keeps nothing of its own: the key goes into the instance's metadata (EC2 holds it,
//! IMDS serves it at `managed-ssh-keys/active-keys/USER`, and the guest's sshd asks IMDS at
//! each login, as EC2 Instance Connect's agent does). What it needs of EC2 is the
//! [`Instances`] trait, which the binary implements over EC2's records. `generated` holds
//! the wire model, typed shapes and the `Handlers` trait that `codegen/` produces from
//! botocore; `handlers` implements it; `keys` checks the key material; `errors` words AWS's
//! errors (decision 0012).

pub mod errors;
pub mod generated;
mod handlers;
pub mod keys;

use nimbus_core::Timestamp;
use std::sync::Arc;

pub use handlers::Service;

/// How long a pushed key is accepted (AWS: "The key remains for 60 seconds").
pub const KEY_LIFETIME_MS: i64 = 60_000;

/// What EC2 Instance Connect knows of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceView {
    /// EC2's state name (`pending`, `running`, `stopped`, …).
    pub state: String,
    /// The availability zone it runs in (`us-east-1a`).
    pub availability_zone: String,
}

/// EC2's side: look instances up and hand them keys (implemented by the binary).
pub trait Instances: Send + Sync + 'static {
    /// The instance `id` of (account, region), or `None` where there is none.
    fn find(&self, account: &str, region: &str, id: &str) -> Option<InstanceView>;
    /// Publishes `key` for `user` in the instance's metadata until `until` (Nimbus time).
    fn push_key(
        &self,
        account: &str,
        region: &str,
        id: &str,
        user: &str,
        key: &str,
        until: Timestamp,
    );
}

/// The service over EC2's instances.
pub fn service(instances: Arc<dyn Instances>) -> Arc<dyn nimbus_wire::Service> {
    Arc::new(generated::Router(Service { instances }))
}
