//! The credential report (`GenerateCredentialReport`, `GetCredentialReport`): AWS's CSV of
//! every user's credentials, from real state and real use on the Nimbus clock, in the
//! columns and with the `N/A` / `no_information` / `not_supported` markers AWS documents
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>).
//! A report is generated at most once per four hours of Nimbus time; within that window
//! `GenerateCredentialReport` answers `COMPLETE` and the stored report is served, after it
//! `GetCredentialReport` answers `ReportExpired` until a new one is generated. Nimbus
//! generates at once, so a report is never `INPROGRESS`. What Nimbus does not have shows
//! as on an AWS account that never used it: no console sign-in (`password_last_used` is
//! `no_information` when a password exists), no signing certificates (`cert_*` false /
//! `N/A`), no root MFA; the command line's root keys are not IAM's and are not listed.

use crate::errors;
use crate::generated::*;
use crate::model::{KeyRec, ReportRec, SigningCertRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam, State};
use crate::usage::UseRec;
use bytes::Bytes;
use nimbus_core::{AwsError, RequestContext, Timestamp};
use std::collections::HashMap;

/// "You can generate a credential report as often as once every four hours."
const FOUR_HOURS_MS: i64 = 4 * 3600 * 1000;

/// The columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

const NA: &str = "N/A";

/// ISO 8601 as the report writes it: `2026-12-07T17:09:52+00:00`.
fn date(ms: i64) -> String {
    let iso = Timestamp(ms).to_iso8601_secs();
    match iso.strip_suffix('Z') {
        Some(base) => format!("{base}+00:00"),
        None => iso,
    }
}

fn flag(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// A field as CSV writes it: quoted only when it holds a comma or a quote (IAM names
/// may contain commas).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The five columns of one access key (`None`: the user has no such key).
fn key_columns(key: Option<&KeyRec>, used: &HashMap<String, UseRec>) -> [String; 5] {
    let Some(k) = key else {
        return [flag(false), NA.into(), NA.into(), NA.into(), NA.into()];
    };
    let u = used.get(&k.id);
    [
        flag(k.active),
        date(k.created),
        u.map_or_else(|| NA.into(), |u| date(u.at)),
        // "The last used service is not Region-specific, such as Amazon S3": N/A.
        u.filter(|u| u.service != "s3")
            .map_or_else(|| NA.into(), |u| u.region.clone()),
        u.map_or_else(|| NA.into(), |u| u.service.clone()),
    ]
}

/// The `cert_1_*` and `cert_2_*` columns: the owner's signing certificates, oldest first.
fn certificate_columns(certs: &[&SigningCertRec]) -> [String; 4] {
    let col = |i: usize| match certs.get(i) {
        Some(c) => (flag(c.active), date(c.uploaded)),
        None => (flag(false), NA.into()),
    };
    let ((a1, r1), (a2, r2)) = (col(0), col(1));
    [a1, r1, a2, r2]
}

fn row(cols: Vec<String>) -> String {
    cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(",")
}

/// The earliest creation time of anything IAM holds for the account, or `now`.
fn earliest(st: &State, acct: &Account, account: &str, now: i64) -> i64 {
    let keys = st
        .keys
        .values()
        .filter(|k| k.account == account)
        .map(|k| k.created);
    acct.users
        .values()
        .map(|u| u.created)
        .chain(acct.groups.values().map(|g| g.created))
        .chain(acct.roles.values().map(|r| r.created))
        .chain(acct.policies.values().map(|p| p.created))
        .chain(acct.profiles.values().map(|p| p.created))
        .chain(acct.mfa.values().map(|m| m.created))
        .chain(keys)
        .fold(now, i64::min)
}

/// The whole CSV: the header, the `<root_account>` row, then one row per user by name.
pub fn csv(
    st: &State,
    acct: &Account,
    account: &str,
    account_created: i64,
    used: &HashMap<String, UseRec>,
) -> String {
    let mut lines = vec![COLUMNS.join(",")];
    let root_keys = st.keys_of(account, None);
    let mut root = vec![
        "<root_account>".to_string(),
        format!("arn:aws:iam::{account}:root"),
        date(account_created),
        "not_supported".into(),
        "no_information".into(),
        "not_supported".into(),
        "not_supported".into(),
        flag(false),
    ];
    root.extend(key_columns(root_keys.first().copied(), used));
    root.extend(key_columns(root_keys.get(1).copied(), used));
    root.extend(certificate_columns(&acct.signing_certs_of(None)));
    lines.push(row(root));
    let max_age = acct.password_policy.as_ref().and_then(|p| p.max_age);
    for u in acct.users.values() {
        let login = u.login.as_ref();
        let keys = st.keys_of(account, Some(&u.name));
        let mut cols = vec![
            u.name.clone(),
            u.arn(),
            date(u.created),
            flag(login.is_some()),
            login.map_or(NA, |_| "no_information").to_string(),
            login.map_or_else(|| NA.into(), |l| date(l.set_at)),
            match (login, max_age) {
                (Some(l), Some(days)) => date(l.set_at + i64::from(days) * 86_400_000),
                _ => NA.into(),
            },
            flag(acct.mfa_of(&u.name).next().is_some()),
        ];
        cols.extend(key_columns(keys.first().copied(), used));
        cols.extend(key_columns(keys.get(1).copied(), used));
        cols.extend(certificate_columns(&acct.signing_certs_of(Some(&u.name))));
        lines.push(row(cols));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

pub(super) async fn generate_credential_report(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GenerateCredentialReportResponse, AwsError> {
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    // Read before planning: the usage lock is never taken under the state's.
    let used = iam.shared.usage(|u| u.key_uses());
    iam.mutate(ctx, |st, acct| {
        if acct
            .report
            .as_ref()
            .is_some_and(|r| now - r.generated < FOUR_HOURS_MS)
        {
            let done = GenerateCredentialReportResponse {
                state: Some("COMPLETE".into()),
                description: None,
            };
            return Ok((Change::default(), done));
        }
        let account_created = acct
            .report
            .as_ref()
            .map_or_else(|| earliest(st, acct, &account, now), |r| r.account_created);
        let report = ReportRec {
            account: account.clone(),
            generated: now,
            content: csv(st, acct, &account, account_created, &used),
            account_created,
        };
        let started = GenerateCredentialReportResponse {
            state: Some("STARTED".into()),
            description: Some("No report exists. Starting a new report generation task".into()),
        };
        Ok((Change::one(Op::PutReport(report)), started))
    })
    .await
}

pub(super) async fn get_credential_report(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetCredentialReportResponse, AwsError> {
    let now = iam.now_ms(ctx);
    iam.read(ctx, |_, acct| {
        let r = acct
            .report
            .as_ref()
            .ok_or_else(errors::report_not_present)?;
        if now - r.generated >= FOUR_HOURS_MS {
            return Err(errors::report_expired());
        }
        Ok(GetCredentialReportResponse {
            content: Some(Bytes::from(r.content.clone())),
            report_format: Some("text/csv".into()),
            generated_time: Some(render::ts(r.generated)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_fields_are_written_as_aws_writes_them() {
        assert_eq!(date(1_765_127_392_000), "2025-12-07T17:09:52+00:00");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
        assert_eq!(COLUMNS.len(), 22);
    }
}
