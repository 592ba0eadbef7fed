//! `DeleteVolume`: removes a volume that outlived its instance (`DeleteOnTermination=false`,
//! `available` in `DescribeVolumes`), its record and, for a kept root volume, its files on
//! the host. A volume still attached to an instance is refused (`VolumeInUse`), an unknown
//! one is `InvalidVolume.NotFound`. Volumes are otherwise made and removed with their
//! instances (see `instances`).

use super::check_dry_run;
use super::inst_lifecycle::visible;
use crate::defs::DefChange;
use crate::generated::DeleteVolumeRequest;
use crate::inst_errors;
use crate::state::{is_resource_id, scope_key, Ec2};
use nimbus_core::{AwsError, RequestContext};

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteVolumeRequest,
) -> Result<(), AwsError> {
    let id = input.volume_id;
    if !is_resource_id(&id, "vol-") {
        return Err(inst_errors::volume_malformed(&id));
    }
    check_dry_run(input.dry_run)?;
    if let Some(i) = visible(ec2, ctx)
        .iter()
        .filter(|i| !i.is_terminated())
        .find(|i| i.volumes.iter().any(|v| v.volume_id == id))
    {
        return Err(inst_errors::volume_in_use(&id, &i.instance_id));
    }
    let (account, region) = scope_key(ctx);
    let on_host = ec2
        .defs
        .mutate(|st| {
            let v = st
                .volumes
                .get(&(account.clone(), region.clone()))
                .and_then(|m| m.get(&id))
                .ok_or_else(|| inst_errors::volume_not_found(&[id.as_str()]))?;
            Ok((
                DefChange {
                    delete_volumes: vec![(account.clone(), region.clone(), id.clone())],
                    ..Default::default()
                },
                v.on_host,
            ))
        })
        .await?;
    if on_host {
        ec2.delete_volumes_on_host(vec![id]).await;
    }
    Ok(())
}
