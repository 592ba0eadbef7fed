//! How IAM records sit in the durable store: eleven typed tables (schema version 1) —
//! `iam.users`, `iam.groups`, `iam.roles`, `iam.policies` keyed `{account}/{lower-cased
//! name}` (names are unique case-insensitively), `iam.access_keys` keyed by key id (key
//! ids are global), `iam.mfa_devices` keyed `{account}/{lower-cased path and name}`,
//! `iam.instance_profiles` keyed `{account}/{lower-cased name}` and
//! `iam.password_policies`, `iam.credential_reports` and `iam.account_aliases` keyed by
//! account (login profiles live in their user's record), `iam.slr_deletions` keyed
//! `{account}/{deletion task id}`, `iam.access_advisor_jobs` keyed `{account}/{job id}`,
//! `iam.oidc_providers` keyed `{account}/{url without https://}`,
//! `iam.server_certificates` keyed `{account}/{lower-cased name}`,
//! `iam.signing_certificates` keyed `{account}/{certificate id}` —
//! a loader that reads them all at startup, and the [`Change`] a
//! mutation produces, turned into one [`Batch`] so that a mutation is durable as a whole
//! or not at all. A rename is a delete of the old key and a put of the new one in the
//! same batch. This module decides nothing about IAM's rules.

use crate::model::{
    AccessJobRec, AliasRec, DeletionRec, GroupRec, InstanceProfileRec, KeyRec, MfaRec, OidcRec,
    PasswordPolicyRec, PolicyRec, ReportRec, RoleRec, ServerCertRec, SigningCertRec, UserRec,
};
use nimbus_store::{Batch, Store, StoreError, Table};

pub const USERS: Table<UserRec> = Table::new("iam.users", 1);
pub const GROUPS: Table<GroupRec> = Table::new("iam.groups", 1);
pub const ROLES: Table<RoleRec> = Table::new("iam.roles", 1);
pub const POLICIES: Table<PolicyRec> = Table::new("iam.policies", 1);
pub const KEYS: Table<KeyRec> = Table::new("iam.access_keys", 1);
pub const MFA: Table<MfaRec> = Table::new("iam.mfa_devices", 1);
pub const PROFILES: Table<InstanceProfileRec> = Table::new("iam.instance_profiles", 1);
pub const PASSWORD_POLICIES: Table<PasswordPolicyRec> = Table::new("iam.password_policies", 1);
pub const REPORTS: Table<ReportRec> = Table::new("iam.credential_reports", 1);
pub const ALIASES: Table<AliasRec> = Table::new("iam.account_aliases", 1);
pub const DELETIONS: Table<DeletionRec> = Table::new("iam.slr_deletions", 1);
pub const ACCESS_JOBS: Table<AccessJobRec> = Table::new("iam.access_advisor_jobs", 1);
pub const OIDC: Table<OidcRec> = Table::new("iam.oidc_providers", 1);
pub const SERVER_CERTS: Table<ServerCertRec> = Table::new("iam.server_certificates", 1);
pub const SIGNING_CERTS: Table<SigningCertRec> = Table::new("iam.signing_certificates", 1);

/// The store key of a named entity: `{account}/{lower-cased name}`.
pub fn name_key(account: &str, name: &str) -> String {
    format!("{account}/{}", name.to_ascii_lowercase())
}

/// The store key of an MFA device: `{account}/{lower-cased path and name}` (its serial
/// number without the fixed part).
pub fn mfa_key(account: &str, path: &str, name: &str) -> String {
    format!("{account}/{}", format!("{path}{name}").to_ascii_lowercase())
}

/// One write of a mutation.
#[derive(Clone, Debug)]
pub enum Op {
    PutUser(UserRec),
    /// (account, name)
    DeleteUser(String, String),
    PutGroup(GroupRec),
    DeleteGroup(String, String),
    PutRole(RoleRec),
    DeleteRole(String, String),
    PutPolicy(PolicyRec),
    DeletePolicy(String, String),
    PutKey(KeyRec),
    /// key id
    DeleteKey(String),
    PutMfa(MfaRec),
    /// (account, path, name)
    DeleteMfa(String, String, String),
    PutProfile(InstanceProfileRec),
    /// (account, name)
    DeleteProfile(String, String),
    PutPasswordPolicy(PasswordPolicyRec),
    /// account
    DeletePasswordPolicy(String),
    PutReport(ReportRec),
    PutAlias(AliasRec),
    /// account
    DeleteAlias(String),
    PutDeletion(DeletionRec),
    PutAccessJob(Box<AccessJobRec>),
    /// (account, job id)
    DeleteAccessJob(String, String),
    PutOidc(OidcRec),
    /// (account, url)
    DeleteOidc(String, String),
    PutServerCert(ServerCertRec),
    /// (account, name)
    DeleteServerCert(String, String),
    PutSigningCert(SigningCertRec),
    /// (account, certificate id)
    DeleteSigningCert(String, String),
}

/// Everything one mutation writes, in order.
#[derive(Clone, Debug, Default)]
pub struct Change {
    pub ops: Vec<Op>,
}

impl Change {
    pub fn one(op: Op) -> Self {
        Change { ops: vec![op] }
    }

    pub fn push(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }

    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for op in &self.ops {
            match op {
                Op::PutUser(u) => USERS.put(&mut b, name_key(&u.account, &u.name), u),
                Op::DeleteUser(a, n) => USERS.delete(&mut b, name_key(a, n)),
                Op::PutGroup(g) => GROUPS.put(&mut b, name_key(&g.account, &g.name), g),
                Op::DeleteGroup(a, n) => GROUPS.delete(&mut b, name_key(a, n)),
                Op::PutRole(r) => ROLES.put(&mut b, name_key(&r.account, &r.name), r),
                Op::DeleteRole(a, n) => ROLES.delete(&mut b, name_key(a, n)),
                Op::PutPolicy(p) => POLICIES.put(&mut b, name_key(&p.account, &p.name), p),
                Op::DeletePolicy(a, n) => POLICIES.delete(&mut b, name_key(a, n)),
                Op::PutKey(k) => KEYS.put(&mut b, k.id.clone(), k),
                Op::DeleteKey(id) => KEYS.delete(&mut b, id.clone()),
                Op::PutMfa(m) => MFA.put(&mut b, mfa_key(&m.account, &m.path, &m.name), m),
                Op::DeleteMfa(a, p, n) => MFA.delete(&mut b, mfa_key(a, p, n)),
                Op::PutProfile(p) => PROFILES.put(&mut b, name_key(&p.account, &p.name), p),
                Op::DeleteProfile(a, n) => PROFILES.delete(&mut b, name_key(a, n)),
                Op::PutPasswordPolicy(p) => PASSWORD_POLICIES.put(&mut b, p.account.clone(), p),
                Op::DeletePasswordPolicy(a) => PASSWORD_POLICIES.delete(&mut b, a.clone()),
                Op::PutReport(r) => REPORTS.put(&mut b, r.account.clone(), r),
                Op::PutAlias(a) => ALIASES.put(&mut b, a.account.clone(), a),
                Op::DeleteAlias(a) => ALIASES.delete(&mut b, a.clone()),
                Op::PutDeletion(d) => DELETIONS.put(&mut b, format!("{}/{}", d.account, d.id), d),
                Op::PutAccessJob(j) => {
                    ACCESS_JOBS.put(&mut b, format!("{}/{}", j.account, j.id), j.as_ref())
                }
                Op::DeleteAccessJob(a, id) => ACCESS_JOBS.delete(&mut b, format!("{a}/{id}")),
                Op::PutOidc(o) => OIDC.put(&mut b, format!("{}/{}", o.account, o.url), o),
                Op::DeleteOidc(a, url) => OIDC.delete(&mut b, format!("{a}/{url}")),
                Op::PutServerCert(c) => SERVER_CERTS.put(&mut b, name_key(&c.account, &c.name), c),
                Op::DeleteServerCert(a, n) => SERVER_CERTS.delete(&mut b, name_key(a, n)),
                Op::PutSigningCert(c) => {
                    SIGNING_CERTS.put(&mut b, format!("{}/{}", c.account, c.id), c)
                }
                Op::DeleteSigningCert(a, id) => SIGNING_CERTS.delete(&mut b, format!("{a}/{id}")),
            }
        }
        b
    }
}

/// Every stored IAM record, as one change that recreates them.
pub fn load(store: &Store) -> Result<Change, StoreError> {
    let mut c = Change::default();
    for (_, u) in USERS.scan(store, b"")? {
        c.push(Op::PutUser(u));
    }
    for (_, g) in GROUPS.scan(store, b"")? {
        c.push(Op::PutGroup(g));
    }
    for (_, r) in ROLES.scan(store, b"")? {
        c.push(Op::PutRole(r));
    }
    for (_, p) in POLICIES.scan(store, b"")? {
        c.push(Op::PutPolicy(p));
    }
    for (_, k) in KEYS.scan(store, b"")? {
        c.push(Op::PutKey(k));
    }
    for (_, m) in MFA.scan(store, b"")? {
        c.push(Op::PutMfa(m));
    }
    for (_, p) in PROFILES.scan(store, b"")? {
        c.push(Op::PutProfile(p));
    }
    for (_, p) in PASSWORD_POLICIES.scan(store, b"")? {
        c.push(Op::PutPasswordPolicy(p));
    }
    for (_, r) in REPORTS.scan(store, b"")? {
        c.push(Op::PutReport(r));
    }
    for (_, a) in ALIASES.scan(store, b"")? {
        c.push(Op::PutAlias(a));
    }
    for (_, d) in DELETIONS.scan(store, b"")? {
        c.push(Op::PutDeletion(d));
    }
    for (_, j) in ACCESS_JOBS.scan(store, b"")? {
        c.push(Op::PutAccessJob(Box::new(j)));
    }
    for (_, o) in OIDC.scan(store, b"")? {
        c.push(Op::PutOidc(o));
    }
    for (_, sc) in SERVER_CERTS.scan(store, b"")? {
        c.push(Op::PutServerCert(sc));
    }
    for (_, sc) in SIGNING_CERTS.scan(store, b"")? {
        c.push(Op::PutSigningCert(sc));
    }
    Ok(c)
}
