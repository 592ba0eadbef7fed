//! `SendSSHPublicKey`: checks the request against the model's constraints and the key
//! material (`keys`), finds the instance in the caller's account and region (and zone, when
//! one is named), refuses instances that are not running, and publishes the key in the
//! instance's metadata for [`crate::KEY_LIFETIME_MS`] of Nimbus time.

use crate::generated as g;
use crate::{errors, keys, Instances, KEY_LIFETIME_MS};
use nimbus_core::{AwsError, RequestContext, Timestamp};
use std::sync::Arc;

/// The EC2 Instance Connect service over EC2's instances.
pub struct Service {
    pub instances: Arc<dyn Instances>,
}

/// `^i-[a-f0-9]+$`, 10–32 characters.
fn valid_instance_id(id: &str) -> bool {
    (10..=32).contains(&id.len())
        && id.strip_prefix("i-").is_some_and(|h| {
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// `^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$` (or all-digit-led names as the
/// model's second alternative allows), 1–32 characters.
fn valid_os_user(user: &str) -> bool {
    let b = user.as_bytes();
    if b.is_empty() || b.len() > 32 {
        return false;
    }
    let mid = |c: u8| c.is_ascii_alphanumeric() || b"@._-".contains(&c);
    let last = |c: u8| c.is_ascii_alphanumeric() || b"$_-".contains(&c);
    let (head, body) = (b[0], &b[1..]);
    if !(head.is_ascii_alphabetic() || head == b'_' || head.is_ascii_digit()) {
        return false;
    }
    match body.split_last() {
        None => true,
        Some((l, rest)) => rest.iter().all(|c| mid(*c)) && (mid(*l) || last(*l)),
    }
}

impl g::Handlers for Service {
    async fn send_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: g::SendSSHPublicKeyRequest,
    ) -> Result<g::SendSSHPublicKeyResponse, AwsError> {
        if !valid_instance_id(&input.instance_id) {
            return Err(errors::invalid_args(format!(
                "Invalid instance ID {}",
                input.instance_id
            )));
        }
        if !valid_os_user(&input.instance_os_user) {
            return Err(errors::invalid_args(format!(
                "Invalid OS user {}",
                input.instance_os_user
            )));
        }
        if !(80..=4096).contains(&input.ssh_public_key.len()) {
            return Err(errors::invalid_args(
                "SSH Public key length must be between 80 and 4096",
            ));
        }
        let key = keys::parse(&input.ssh_public_key).map_err(|e| errors::invalid_args(e.0))?;
        let account = ctx.account_id();
        let found = self
            .instances
            .find(account, &ctx.region, &input.instance_id)
            .filter(|i| {
                input
                    .availability_zone
                    .as_deref()
                    .is_none_or(|z| z == i.availability_zone)
            })
            .ok_or_else(errors::instance_not_found)?;
        match found.state.as_str() {
            "running" => {}
            "pending" => return Err(errors::unavailable()),
            _ => return Err(errors::state_invalid()),
        }
        self.instances.push_key(
            account,
            &ctx.region,
            &input.instance_id,
            &input.instance_os_user,
            &key,
            Timestamp(ctx.now.0 + KEY_LIFETIME_MS),
        );
        Ok(g::SendSSHPublicKeyResponse {
            request_id: Some(ctx.request_id.clone()),
            success: Some(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_users_follow_the_model() {
        assert!(valid_instance_id("i-0123456789abcdef0"));
        assert!(!valid_instance_id("i-0123"));
        assert!(!valid_instance_id("i-0123456789ABCDEF0"));
        assert!(!valid_instance_id("x-0123456789abcdef0"));
        assert!(valid_os_user("ec2-user"));
        assert!(valid_os_user("ubuntu"));
        assert!(valid_os_user("a"));
        assert!(valid_os_user("svc$"));
        assert!(!valid_os_user("-root"));
        assert!(!valid_os_user("bad user"));
        assert!(!valid_os_user(&"a".repeat(33)));
    }
}
