//! Instances' public addresses as AWS manages them: an Elastic IP associated with an
//! instance (or its interface) becomes the instance's public address, served on this host
//! like an auto-assigned one (both are loopback addresses the runtime's forwarder listens
//! on); when the Elastic IP leaves, an instance launched with a public address gets a new
//! one, others none; an instance started again after a stop gets a new public address
//! unless an Elastic IP holds it. The instance record and its interface record both carry
//! the address (`DescribeInstances`, `DescribeNetworkInterfaces`); the sync pass then moves
//! the forwarder to it (`instances::refresh_access`).

use crate::network::NetRec;
use crate::persist::Change;
use crate::Ec2;
use nimbus_core::AwsError;

impl Ec2 {
    /// The Elastic IP associated with interface `eni_id` of (account, region), if any.
    pub(crate) fn elastic_ip_of(
        &self,
        account: &str,
        region: &str,
        eni_id: &str,
    ) -> Option<String> {
        self.read_state(|st| {
            st.scope_of(account, region).and_then(|s| {
                s.net
                    .addresses
                    .values()
                    .find(|a| a.association.as_ref().is_some_and(|x| x.0 == eni_id))
                    .map(|a| a.public_ip.clone())
            })
        })
    }

    /// The instance (not terminated) whose interface is `eni_id`.
    pub(crate) fn instance_of_eni(
        &self,
        account: &str,
        region: &str,
        eni_id: &str,
    ) -> Option<String> {
        self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .find_map(|i| {
                    (i.account == account
                        && i.region == region
                        && i.eni_id == eni_id
                        && !i.is_terminated())
                    .then(|| i.instance_id.clone())
                })
        })
    }

    /// Sets the public address of instance `id` and of its interface.
    async fn set_public_ip(
        &self,
        account: &str,
        region: &str,
        id: &str,
        ip: Option<String>,
    ) -> Result<(), AwsError> {
        let Some(rec) = self
            .update_instance(account, region, id, |x| {
                if x.auto_public_ip.is_none() {
                    x.auto_public_ip = Some(x.public_ip.is_some());
                }
                x.public_ip = ip.clone();
                true
            })
            .await?
        else {
            return Ok(());
        };
        let k = (account.to_string(), region.to_string());
        self.mutate_scope(k.clone(), |_, scope| {
            let Some(eni) = scope.net.enis.get(&rec.eni_id) else {
                return Ok((Change::default(), ()));
            };
            let mut eni = eni.clone();
            eni.public_ip = ip.clone();
            Ok((Change::put_net(&k, NetRec::NetworkInterface(eni)), ()))
        })
        .await
    }

    /// An Elastic IP (`ip`) now holds instance `id`'s interface.
    pub(crate) async fn elastic_ip_arrived(
        &self,
        account: &str,
        region: &str,
        id: &str,
        ip: &str,
    ) -> Result<(), AwsError> {
        self.set_public_ip(account, region, id, Some(ip.to_string()))
            .await
    }

    /// The Elastic IP left instance `id`: a new AWS-assigned public address if it was
    /// launched with one, else none.
    pub(crate) async fn elastic_ip_left(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let Some(rec) = self.instance_record(account, region, id) else {
            return Ok(());
        };
        if let Some(other) = self.elastic_ip_of(account, region, &rec.eni_id) {
            // Another Elastic IP took its place.
            return self.set_public_ip(account, region, id, Some(other)).await;
        }
        let auto = rec.auto_public_ip.unwrap_or(rec.public_ip.is_some());
        let ip = if auto {
            Some(self.free_public_ip(&[])?.to_string())
        } else {
            None
        };
        self.set_public_ip(account, region, id, ip).await
    }

    /// The public address instance `rec` starts with again after a stop: its Elastic IP's,
    /// or a new one (when it has an AWS-assigned one), or none.
    pub(crate) fn public_ip_on_start(
        &self,
        rec: &crate::inst_records::InstanceRec,
    ) -> Result<Option<String>, AwsError> {
        if let Some(eip) = self.elastic_ip_of(&rec.account, &rec.region, &rec.eni_id) {
            return Ok(Some(eip));
        }
        if rec.auto_public_ip.unwrap_or(rec.public_ip.is_some()) {
            return Ok(Some(self.free_public_ip(&[])?.to_string()));
        }
        Ok(None)
    }

    /// Gives interface `eni_id` the public address its instance now has (after a start).
    pub(crate) async fn sync_eni_public_ip(
        &self,
        account: &str,
        region: &str,
        eni_id: &str,
        ip: Option<String>,
    ) -> Result<(), AwsError> {
        let k = (account.to_string(), region.to_string());
        self.mutate_scope(k.clone(), |_, scope| match scope.net.enis.get(eni_id) {
            Some(e) if e.public_ip != ip => {
                let mut e = e.clone();
                e.public_ip = ip.clone();
                Ok((Change::put_net(&k, NetRec::NetworkInterface(e)), ()))
            }
            _ => Ok((Change::default(), ())),
        })
        .await
    }
}
