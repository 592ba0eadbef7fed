//! Virtual MFA devices: `CreateVirtualMFADevice`, `EnableMFADevice`,
//! `DeactivateMFADevice`, `DeleteVirtualMFADevice`, `ListMFADevices`,
//! `ListVirtualMFADevices`, `ResyncMFADevice`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html>).
//!
//! - A device is created unassigned with a fresh TOTP secret; its serial number is its ARN
//!   (`arn:aws:iam::A:mfa{path}{name}`). The secret leaves Nimbus once, in the create
//!   answer's `Base32StringSeed`: a blob holding the base32 text, so on the wire it is the
//!   base64 of that text, botocore hands back the text's bytes, and the CLI's
//!   `--bootstrap-method Base32StringSeed --outfile` writes the text an authenticator app
//!   takes. `QRCodePNG` is left out: Nimbus does not draw QR codes, and an image that does
//!   not scan would be worse than none.
//! - Enabling takes two consecutive codes, as AWS requires: the second from the current
//!   step or one step either side, the first from the step before it
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html>).
//!   A user holds at most eight MFA devices
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>).
//! - `ResyncMFADevice` looks for the two consecutive codes over a wider span
//!   ([`RESYNC_STEPS`]) and remembers the device's clock offset.
//! - A device is deleted only when no user has it enabled (`DeleteConflict`); a user is
//!   not deleted while it has a device enabled (`users`).
//!
//! Verifying a code for STS is [`crate::Directory::verify_totp`].

use super::common::target_user;
use crate::errors;
use crate::generated::*;
use crate::model::MfaRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::totp;
use crate::validate::{self, path_or_root, Checker};
use bytes::Bytes;
use nimbus_core::{AwsError, RequestContext};

/// "Assigned MFA devices per user: 8".
const MAX_PER_USER: usize = 8;
/// How far either side of now `ResyncMFADevice` looks for the device's codes: ten
/// minutes of drift (AWS does not publish its span; this is Nimbus's choice).
pub const RESYNC_STEPS: i64 = 20;
/// Length of the base32 seed: AWS hands out 64 characters (a 40-byte secret).
const SEED_CHARS: usize = 64;

fn device(acct: &Account, serial: &str) -> Result<MfaRec, AwsError> {
    acct.mfa_by_serial(serial)
        .cloned()
        .ok_or_else(|| errors::no_such_mfa(serial))
}

/// The device `serial` as enabled for user `user` (name as stored).
fn enabled_for(acct: &Account, serial: &str, user: &str) -> Result<MfaRec, AwsError> {
    let d = device(acct, serial)?;
    match &d.user {
        Some(u) if u.eq_ignore_ascii_case(user) => Ok(d),
        _ => Err(errors::mfa_not_enabled(serial, user)),
    }
}

/// The time step of the request (Nimbus time).
fn now_step(ctx: &RequestContext) -> i64 {
    totp::step_at(ctx.now.secs())
}

fn wire(d: &MfaRec, acct: &Account, seed: bool) -> VirtualMFADevice {
    VirtualMFADevice {
        serial_number: d.serial(),
        base32_string_seed: seed.then(|| Bytes::from(d.seed.clone())),
        qr_code_png: None,
        user: d
            .user
            .as_deref()
            .and_then(|n| acct.user(n).ok())
            .map(|u| render::user(u, false)),
        enable_date: d.enabled.map(render::ts),
        tags: (!d.tags.is_empty()).then(|| render::tags(&d.tags)),
    }
}

pub(super) async fn create_virtual_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateVirtualMFADeviceRequest,
) -> Result<CreateVirtualMFADeviceResponse, AwsError> {
    Checker::new()
        .name("virtualMFADeviceName", &input.virtual_mfa_device_name, 226)
        .path("path", input.path.as_deref())
        .done()?;
    let tags = validate::new_tags(input.tags, "TagsPerMFADevice")?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    let path = path_or_root(input.path);
    iam.mutate(ctx, |_, acct| {
        let key = format!("{path}{}", input.virtual_mfa_device_name).to_ascii_lowercase();
        if acct.mfa.contains_key(&key) {
            return Err(errors::mfa_exists());
        }
        let d = MfaRec {
            account: account.clone(),
            name: input.virtual_mfa_device_name,
            path,
            seed: iam.ids.upper_alnum(SEED_CHARS),
            created: now,
            tags,
            user: None,
            enabled: None,
            drift: 0,
            last_step: None,
        };
        let out = CreateVirtualMFADeviceResponse {
            virtual_mfa_device: wire(&d, acct, true),
        };
        Ok((Change::one(Op::PutMfa(d)), out))
    })
    .await
}

pub(super) async fn enable_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: EnableMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("userName", &input.user_name, 128)
        .serial(&input.serial_number)
        .auth_code("authenticationCode1", &input.authentication_code1)
        .auth_code("authenticationCode2", &input.authentication_code2)
        .done()?;
    let now = iam.now_ms(ctx);
    let step = now_step(ctx);
    iam.mutate(ctx, |_, acct| {
        let user = acct.user(&input.user_name)?.name.clone();
        let mut d = device(acct, &input.serial_number)?;
        if d.user.is_some() {
            return Err(errors::mfa_in_use());
        }
        if acct.mfa_of(&user).count() >= MAX_PER_USER {
            return Err(errors::quota("MFADevicesPerUser", MAX_PER_USER));
        }
        let c1 = &input.authentication_code1;
        let c2 = &input.authentication_code2;
        let second = totp::consecutive(&d.key(), c1, c2, step, totp::DRIFT_STEPS)
            .ok_or_else(errors::invalid_auth_code)?;
        d.user = Some(user);
        d.enabled = Some(now);
        d.drift = 0;
        // Both codes are spent: neither may open a session afterwards.
        d.last_step = Some(second);
        Ok((Change::one(Op::PutMfa(d)), ()))
    })
    .await
}

pub(super) async fn resync_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: ResyncMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("userName", &input.user_name, 128)
        .serial(&input.serial_number)
        .auth_code("authenticationCode1", &input.authentication_code1)
        .auth_code("authenticationCode2", &input.authentication_code2)
        .done()?;
    let step = now_step(ctx);
    iam.mutate(ctx, |_, acct| {
        let user = acct.user(&input.user_name)?.name.clone();
        let mut d = enabled_for(acct, &input.serial_number, &user)?;
        let c1 = &input.authentication_code1;
        let c2 = &input.authentication_code2;
        let second = totp::consecutive(&d.key(), c1, c2, step, RESYNC_STEPS)
            .ok_or_else(errors::invalid_auth_code)?;
        d.drift = second - step;
        d.last_step = Some(d.last_step.map_or(second, |l| l.max(second)));
        Ok((Change::one(Op::PutMfa(d)), ()))
    })
    .await
}

pub(super) async fn deactivate_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeactivateMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new().serial(&input.serial_number).done()?;
    let user = target_user(ctx, input.user_name)?;
    iam.mutate(ctx, |_, acct| {
        // The account root has no IAM-managed MFA devices in Nimbus.
        let Some(user) = user else {
            return Err(errors::no_such_mfa(&input.serial_number));
        };
        let user = acct.user(&user)?.name.clone();
        let mut d = enabled_for(acct, &input.serial_number, &user)?;
        d.user = None;
        d.enabled = None;
        d.drift = 0;
        Ok((Change::one(Op::PutMfa(d)), ()))
    })
    .await
}

pub(super) async fn delete_virtual_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteVirtualMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new().serial(&input.serial_number).done()?;
    iam.mutate(ctx, |_, acct| {
        let d = device(acct, &input.serial_number)?;
        if d.user.is_some() {
            // AWS: "You must deactivate a user's virtual MFA device before you can delete
            // it" (API_DeleteVirtualMFADevice); the wording is Nimbus's.
            return Err(errors::delete_conflict(
                "Cannot delete entity, must deactivate MFA device first.",
            ));
        }
        Ok((Change::one(Op::DeleteMfa(d.account, d.path, d.name)), ()))
    })
    .await
}

pub(super) async fn list_mfa_devices(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListMFADevicesRequest,
) -> Result<ListMFADevicesResponse, AwsError> {
    Checker::new()
        .marker(input.marker.as_deref())
        .max_items(input.max_items)
        .done()?;
    let user = target_user(ctx, input.user_name)?;
    let mut items: Vec<(String, MFADevice)> = iam.read(ctx, |_, acct| {
        let Some(user) = user else {
            return Ok(Vec::new());
        };
        let u = acct.user(&user)?;
        Ok::<_, AwsError>(
            acct.mfa_of(&u.name)
                .map(|d| {
                    let serial = d.serial();
                    let dev = MFADevice {
                        user_name: u.name.clone(),
                        serial_number: serial.clone(),
                        enable_date: render::ts(d.enabled.unwrap_or(d.created)),
                    };
                    (serial, dev)
                })
                .collect(),
        )
    })?;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (mfa_devices, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListMFADevicesResponse {
        mfa_devices,
        is_truncated,
        marker,
    })
}

pub(super) async fn list_virtual_mfa_devices(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListVirtualMFADevicesRequest,
) -> Result<ListVirtualMFADevicesResponse, AwsError> {
    let status = input.assignment_status.unwrap_or_else(|| "Any".into());
    Checker::new()
        .one_of(
            "assignmentStatus",
            &status,
            &["Assigned", "Unassigned", "Any"],
        )
        .marker(input.marker.as_deref())
        .max_items(input.max_items)
        .done()?;
    // "If you do not specify an AssignmentStatus, the operation defaults to Any"
    // (API_ListVirtualMFADevices).
    let mut items: Vec<(String, VirtualMFADevice)> = iam.read(ctx, |_, acct| {
        acct.mfa
            .values()
            .filter(|d| match status.as_str() {
                "Assigned" => d.user.is_some(),
                "Unassigned" => d.user.is_none(),
                _ => true,
            })
            .map(|d| (d.serial(), wire(d, acct, false)))
            .collect()
    });
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (virtual_mfa_devices, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListVirtualMFADevicesResponse {
        virtual_mfa_devices,
        is_truncated,
        marker,
    })
}
