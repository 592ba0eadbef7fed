//! In-process tests of virtual MFA devices: creation and the seed, enabling with two
//! consecutive TOTP codes, listing, deactivating, deleting, the conflicts with users,
//! resync, the `Directory` code check STS uses (drift window, single use), durability over
//! the same store and reset.

use nimbus_core::{AwsError, Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use nimbus_wire::ResetStep;
use std::sync::Arc;
use svc_iam::generated::*;
use svc_iam::totp;
use svc_iam::{Iam, TotpVerdict};

const ACCOUNT: &str = "123456789012";
/// A time on a step boundary, so `T0 + 30 * n` is step `STEP0 + n`.
const T0: i64 = 1_700_000_010;

fn at(secs: i64) -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp::from_secs(secs),
        host: "localhost".into(),
        source_ip: None,
    }
}

fn iam_over(store: Store, seed: u64) -> Iam {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
    Iam::load(store, clock, Arc::new(Ids::from_seed(seed))).expect("load IAM")
}

fn code<T: std::fmt::Debug>(r: Result<T, AwsError>) -> String {
    r.expect_err("expected an error").code.to_string()
}

/// The device's code at Unix time `secs`.
fn totp_at(seed: &[u8], secs: i64) -> String {
    let key = totp::base32_decode(std::str::from_utf8(seed).unwrap()).unwrap();
    totp::code_at_step(&key, totp::step_at(secs)).unwrap()
}

async fn make_user(iam: &Iam, name: &str) {
    iam.create_user(
        &at(T0),
        CreateUserRequest {
            user_name: name.into(),
            ..Default::default()
        },
    )
    .await
    .expect("create user");
}

/// Creates device `name` and returns (serial, seed text).
async fn device(iam: &Iam, name: &str) -> (String, Vec<u8>) {
    let d = iam
        .create_virtual_mfa_device(
            &at(T0),
            CreateVirtualMFADeviceRequest {
                virtual_mfa_device_name: name.into(),
                ..Default::default()
            },
        )
        .await
        .expect("create device")
        .virtual_mfa_device;
    (d.serial_number, d.base32_string_seed.unwrap().to_vec())
}

async fn enable(
    iam: &Iam,
    user: &str,
    serial: &str,
    c1: String,
    c2: String,
    now: i64,
) -> Result<(), AwsError> {
    iam.enable_mfa_device(
        &at(now),
        EnableMFADeviceRequest {
            user_name: user.into(),
            serial_number: serial.into(),
            authentication_code1: c1,
            authentication_code2: c2,
        },
    )
    .await
}

#[tokio::test]
async fn create_gives_an_arn_serial_and_a_base32_seed() {
    let iam = iam_over(Store::in_memory(), 1);
    let (serial, seed) = device(&iam, "alice-phone").await;
    assert_eq!(serial, format!("arn:aws:iam::{ACCOUNT}:mfa/alice-phone"));
    assert_eq!(seed.len(), 64);
    assert!(totp::base32_decode(std::str::from_utf8(&seed).unwrap()).is_some());
    let again = iam
        .create_virtual_mfa_device(
            &at(T0),
            CreateVirtualMFADeviceRequest {
                virtual_mfa_device_name: "ALICE-phone".into(),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(code(again), "EntityAlreadyExists");
    let pathed = iam
        .create_virtual_mfa_device(
            &at(T0),
            CreateVirtualMFADeviceRequest {
                virtual_mfa_device_name: "alice-phone".into(),
                path: Some("/team/".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .virtual_mfa_device;
    assert_eq!(
        pathed.serial_number,
        format!("arn:aws:iam::{ACCOUNT}:mfa/team/alice-phone")
    );
    assert!(pathed.qr_code_png.is_none());
}

#[tokio::test]
async fn enable_needs_two_consecutive_current_codes() {
    let iam = iam_over(Store::in_memory(), 1);
    make_user(&iam, "alice").await;
    let (serial, seed) = device(&iam, "alice").await;
    let now = T0 + 30;
    let prev = totp_at(&seed, T0);
    let cur = totp_at(&seed, now);
    // The same code twice, swapped codes, stale codes: refused with AWS's code.
    for (c1, c2, t) in [
        (cur.clone(), cur.clone(), now),
        (cur.clone(), prev.clone(), now),
        (prev.clone(), cur.clone(), now + 300),
        ("000000".to_string(), "000000".to_string(), now),
    ] {
        let r = enable(&iam, "alice", &serial, c1, c2, t).await;
        let e = r.expect_err("refused");
        assert_eq!(e.code, "InvalidAuthenticationCode");
        assert_eq!(e.status, 403);
        assert_eq!(e.message, "Authentication code for device is not valid.");
    }
    assert_eq!(
        code(enable(&iam, "alice", &serial, "12345a".into(), cur.clone(), now).await),
        "ValidationError"
    );
    assert_eq!(
        code(enable(&iam, "nobody", &serial, prev.clone(), cur.clone(), now).await),
        "NoSuchEntity"
    );
    let bad_serial = format!("arn:aws:iam::{ACCOUNT}:mfa/none");
    assert_eq!(
        code(enable(&iam, "alice", &bad_serial, prev.clone(), cur.clone(), now).await),
        "NoSuchEntity"
    );
    enable(&iam, "alice", &serial, prev.clone(), cur.clone(), now)
        .await
        .expect("two consecutive codes enable it");
    // Already enabled: in use.
    make_user(&iam, "bob").await;
    assert_eq!(
        code(enable(&iam, "bob", &serial, prev, cur, now).await),
        "EntityAlreadyExists"
    );

    let listed = iam
        .list_mfa_devices(
            &at(now),
            ListMFADevicesRequest {
                user_name: Some("alice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.mfa_devices.len(), 1);
    assert_eq!(listed.mfa_devices[0].serial_number, serial);
    assert_eq!(listed.mfa_devices[0].user_name, "alice");
    assert_eq!(listed.mfa_devices[0].enable_date, Timestamp::from_secs(now));
}

async fn virtual_list(iam: &Iam, status: Option<&str>) -> Vec<VirtualMFADevice> {
    iam.list_virtual_mfa_devices(
        &at(T0),
        ListVirtualMFADevicesRequest {
            assignment_status: status.map(str::to_string),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .virtual_mfa_devices
}

#[tokio::test]
async fn assignment_filter_deactivate_and_delete() {
    let iam = iam_over(Store::in_memory(), 1);
    make_user(&iam, "alice").await;
    let (serial, seed) = device(&iam, "a").await;
    let (spare, _) = device(&iam, "b").await;
    let now = T0 + 30;
    enable(
        &iam,
        "alice",
        &serial,
        totp_at(&seed, T0),
        totp_at(&seed, now),
        now,
    )
    .await
    .unwrap();
    assert_eq!(virtual_list(&iam, None).await.len(), 2);
    let assigned = virtual_list(&iam, Some("Assigned")).await;
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].serial_number, serial);
    assert_eq!(assigned[0].user.as_ref().unwrap().user_name, "alice");
    assert!(
        assigned[0].base32_string_seed.is_none(),
        "the seed is shown once"
    );
    let unassigned = virtual_list(&iam, Some("Unassigned")).await;
    assert_eq!(unassigned[0].serial_number, spare);
    assert!(unassigned[0].user.is_none() && unassigned[0].enable_date.is_none());

    // An enabled device cannot be deleted, nor its user.
    let del = |s: &str| DeleteVirtualMFADeviceRequest {
        serial_number: s.into(),
    };
    assert_eq!(
        code(iam.delete_virtual_mfa_device(&at(now), del(&serial)).await),
        "DeleteConflict"
    );
    let e = iam
        .delete_user(
            &at(now),
            DeleteUserRequest {
                user_name: "alice".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "DeleteConflict");
    assert_eq!(
        e.message,
        "Cannot delete entity, must delete MFA device first."
    );

    let deactivate = |s: &str| DeactivateMFADeviceRequest {
        user_name: Some("alice".into()),
        serial_number: s.into(),
    };
    assert_eq!(
        code(
            iam.deactivate_mfa_device(&at(now), deactivate(&spare))
                .await
        ),
        "NoSuchEntity"
    );
    iam.deactivate_mfa_device(&at(now), deactivate(&serial))
        .await
        .unwrap();
    assert_eq!(virtual_list(&iam, Some("Assigned")).await.len(), 0);
    iam.delete_virtual_mfa_device(&at(now), del(&serial))
        .await
        .unwrap();
    assert_eq!(
        code(iam.delete_virtual_mfa_device(&at(now), del(&serial)).await),
        "NoSuchEntity"
    );
    iam.delete_user(
        &at(now),
        DeleteUserRequest {
            user_name: "alice".into(),
        },
    )
    .await
    .expect("no device left");
}

#[tokio::test]
async fn directory_checks_codes_in_a_one_step_window_once() {
    let iam = iam_over(Store::in_memory(), 1);
    make_user(&iam, "alice").await;
    let (serial, seed) = device(&iam, "alice").await;
    let t1 = T0 + 30;
    enable(
        &iam,
        "alice",
        &serial,
        totp_at(&seed, T0),
        totp_at(&seed, t1),
        t1,
    )
    .await
    .unwrap();
    let dir = iam.directory();
    let check = |user: &str, code: &str, secs: i64| {
        dir.verify_totp(ACCOUNT, user, &serial, code, Timestamp::from_secs(secs))
    };
    let t = t1 + 300;
    // Codes spent enabling the device do not open sessions.
    assert_eq!(
        check("alice", &totp_at(&seed, t1), t1),
        TotpVerdict::InvalidCode
    );
    // Wrong user, unknown serial: not the caller's device.
    assert_eq!(
        check("bob", &totp_at(&seed, t), t),
        TotpVerdict::NotAssigned
    );
    assert_eq!(
        dir.verify_totp(
            ACCOUNT,
            "alice",
            "arn:aws:iam::123456789012:mfa/x",
            "123456",
            Timestamp::from_secs(t)
        ),
        TotpVerdict::NotAssigned
    );
    // Two steps off: refused; one step behind: accepted, then spent.
    assert_eq!(
        check("alice", &totp_at(&seed, t - 60), t),
        TotpVerdict::InvalidCode
    );
    assert_eq!(
        check("alice", &totp_at(&seed, t + 60), t),
        TotpVerdict::InvalidCode
    );
    assert_eq!(
        check("alice", &totp_at(&seed, t - 30), t),
        TotpVerdict::Valid
    );
    assert_eq!(
        check("alice", &totp_at(&seed, t - 30), t),
        TotpVerdict::InvalidCode
    );
    // The current code is newer: accepted once.
    assert_eq!(check("ALICE", &totp_at(&seed, t), t), TotpVerdict::Valid);
    assert_eq!(
        check("alice", &totp_at(&seed, t), t),
        TotpVerdict::InvalidCode
    );
    // One step ahead (the device's clock is fast): accepted.
    assert_eq!(
        check("alice", &totp_at(&seed, t + 30), t),
        TotpVerdict::Valid
    );
}

#[tokio::test]
async fn resync_learns_the_device_clock_offset() {
    let iam = iam_over(Store::in_memory(), 1);
    make_user(&iam, "alice").await;
    let (serial, seed) = device(&iam, "alice").await;
    let t1 = T0 + 30;
    enable(
        &iam,
        "alice",
        &serial,
        totp_at(&seed, T0),
        totp_at(&seed, t1),
        t1,
    )
    .await
    .unwrap();
    // The device now runs five minutes slow.
    let t = t1 + 3000;
    let slow = |secs: i64| totp_at(&seed, secs - 300);
    let dir = iam.directory();
    let verify = |c: &str| dir.verify_totp(ACCOUNT, "alice", &serial, c, Timestamp::from_secs(t));
    assert_eq!(verify(&slow(t)), TotpVerdict::InvalidCode);
    iam.resync_mfa_device(
        &at(t),
        ResyncMFADeviceRequest {
            user_name: "alice".into(),
            serial_number: serial.clone(),
            authentication_code1: slow(t - 30),
            authentication_code2: slow(t),
        },
    )
    .await
    .expect("resync");
    assert_eq!(
        dir.verify_totp(
            ACCOUNT,
            "alice",
            &serial,
            &slow(t + 30),
            Timestamp::from_secs(t + 30)
        ),
        TotpVerdict::Valid
    );
}

#[tokio::test]
async fn devices_survive_a_restart_and_reset_wipes_them() {
    let store = Store::in_memory();
    let first = iam_over(store.clone(), 1);
    make_user(&first, "alice").await;
    let (serial, seed) = device(&first, "alice").await;
    let t1 = T0 + 30;
    enable(
        &first,
        "alice",
        &serial,
        totp_at(&seed, T0),
        totp_at(&seed, t1),
        t1,
    )
    .await
    .unwrap();
    // A rename carries the device along.
    first
        .update_user(
            &at(t1),
            UpdateUserRequest {
                user_name: "alice".into(),
                new_user_name: Some("alicia".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    drop(first);
    let second = iam_over(store.clone(), 2);
    let t = t1 + 600;
    assert_eq!(
        second.directory().verify_totp(
            ACCOUNT,
            "alicia",
            &serial,
            &totp_at(&seed, t),
            Timestamp::from_secs(t)
        ),
        TotpVerdict::Valid
    );
    let assigned = virtual_list(&second, Some("Assigned")).await;
    assert_eq!(assigned[0].user.as_ref().unwrap().user_name, "alicia");
    let wipe_store = store.clone();
    let then: ResetStep<'_> = Box::pin(async move {
        wipe_store
            .wipe_async()
            .await
            .map_err(|e| nimbus_wire::ResetError(e.to_string()))
    });
    second.reset(then).await.unwrap();
    assert!(virtual_list(&second, None).await.is_empty());
    let third = iam_over(store, 3);
    assert!(virtual_list(&third, None).await.is_empty());
}
