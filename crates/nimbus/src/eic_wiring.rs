//! EC2 Instance Connect over EC2: [`Ec2Connect`] finds instances in EC2's records and
//! publishes pushed keys in their metadata (`svc_ec2::Ec2::push_managed_ssh_key`), which the
//! metadata service serves to the guest's sshd.

use nimbus_core::Timestamp;

/// EC2's instances as EC2 Instance Connect sees them.
pub struct Ec2Connect(pub svc_ec2::Ec2);

impl svc_ec2_instance_connect::Instances for Ec2Connect {
    fn find(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Option<svc_ec2_instance_connect::InstanceView> {
        self.0.instance_record(account, region, id).map(|i| {
            svc_ec2_instance_connect::InstanceView {
                state: i.state.clone(),
                availability_zone: i.az.clone(),
            }
        })
    }

    fn push_key(
        &self,
        _account: &str,
        _region: &str,
        id: &str,
        user: &str,
        key: &str,
        until: Timestamp,
    ) {
        self.0.push_managed_ssh_key(id, user, key, until);
    }
}
