//! The account audit (`nimbus audit`, `GET /_nimbus/audit`): IAM's security best practices
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html>) checked against
//! one account's real state and real use on the Nimbus clock. Each [`Finding`] names the
//! practice, the entity and the command that fixes it; the report passes when there is none.
//!
//! Checks, in order:
//! - `root-access-keys`: the account root holds IAM-issued access keys (active, or used at
//!   all). The keys Nimbus itself was started with are its bootstrap credentials, not the
//!   account's, and are not counted;
//! - `console-users-without-mfa`: users with a console password and no MFA device;
//! - `password-policy`: none, or weaker than IAM's strongest recommendation (at least 14
//!   characters, upper and lower case, numbers and symbols required);
//! - `policies-on-users`: users with managed or inline policies of their own instead of
//!   through groups;
//! - `unused-credentials`: active access keys not used for 90 days (or never, 90 days after
//!   they were made);
//! - `unrotated-access-keys`: active access keys older than 90 days;
//! - `two-active-keys`: users with both access keys active;
//! - `full-admin-wildcards`: customer managed and inline policies with a statement allowing
//!   `*` (or `*:*`) on `*`, and entities holding `AdministratorAccess`;
//! - `instances-without-profile`: running EC2 instances with no instance profile, whose code
//!   would need long-lived access keys to call AWS (EC2's instances, through the
//!   [`InstanceLookup`] the binary passes to [`Directory::audit_with`]).
//!
//! Not checked here: root-account MFA (Nimbus has no root sign-in).

use crate::directory::Directory;
use crate::model::{InlineRec, UserRec};
use crate::state::Account;
use nimbus_core::Timestamp;
use nimbus_iam_policy::{Effect, Policy, PolicyKind};
use serde::Serialize;

const NINETY_DAYS_MS: i64 = 90 * 86_400_000;
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's id (`root-access-keys`...).
    pub check: &'static str,
    /// The practice, as IAM's best-practices page names it.
    pub practice: &'static str,
    /// The ARN of what is wrong (an access key is named by its user's ARN and the key id).
    pub entity: String,
    pub detail: String,
    /// An `aws` command that fixes it.
    pub fix: String,
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub practice: &'static str,
    /// `PASS` or `FAIL`.
    pub status: &'static str,
    pub findings: usize,
}

/// The audit of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub account: String,
    /// Nimbus time, ISO 8601.
    pub generated: String,
    pub passed: bool,
    pub checks: Vec<Check>,
    pub findings: Vec<Finding>,
}

/// A running EC2 instance, as the audit sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedInstance {
    pub instance_id: String,
    pub region: String,
    /// The ARN of its instance profile, if it has one.
    pub profile_arn: Option<String>,
}

/// EC2's running instances of an account (IAM does not import EC2; the binary adapts it).
pub trait InstanceLookup: Send + Sync + 'static {
    fn running_instances(&self, account: &str) -> Vec<AuditedInstance>;
}

const CHECKS: [(&str, &str); 9] = [
    ("root-access-keys", "Do not use the root user's access keys"),
    (
        "console-users-without-mfa",
        "Require multi-factor authentication (MFA)",
    ),
    ("password-policy", "Use a strong password policy"),
    (
        "policies-on-users",
        "Grant permissions to groups rather than to users directly",
    ),
    (
        "unused-credentials",
        "Remove unused users, roles, permissions, policies and credentials",
    ),
    (
        "unrotated-access-keys",
        "Rotate access keys regularly for use cases that require long-term credentials",
    ),
    ("two-active-keys", "Keep one active access key per user"),
    ("full-admin-wildcards", "Apply least-privilege permissions"),
    (
        "instances-without-profile",
        "Require workloads to use temporary credentials with IAM roles to access AWS",
    ),
];

fn practice(check: &str) -> &'static str {
    CHECKS
        .iter()
        .find(|(c, _)| *c == check)
        .map_or("", |(_, p)| p)
}

fn days(ms: i64) -> i64 {
    ms / 86_400_000
}

/// Whether `doc` allows every action on every resource.
fn grants_everything(doc: &str, kind: PolicyKind) -> bool {
    let Ok(p) = Policy::parse(doc, kind) else {
        return false;
    };
    p.statements().iter().any(|s| {
        s.effect() == Effect::Allow
            && !s.actions().negated
            && s.actions().values.iter().any(|a| a == "*" || a == "*:*")
            && s.resources()
                .is_some_and(|r| !r.negated && r.values.iter().any(|v| v == "*"))
    })
}

struct Audit<'a> {
    account: &'a str,
    findings: Vec<Finding>,
}

impl Audit<'_> {
    fn find(&mut self, check: &'static str, entity: String, detail: String, fix: String) {
        self.findings.push(Finding {
            check,
            practice: practice(check),
            entity,
            detail,
            fix,
        });
    }

    fn inline_wildcards(&mut self, kind: &str, owner: &str, arn: &str, inline: &[InlineRec]) {
        for p in inline
            .iter()
            .filter(|p| grants_everything(&p.document, PolicyKind::Inline))
        {
            self.find(
                "full-admin-wildcards",
                arn.to_string(),
                format!("inline policy {} allows * on *", p.name),
                format!(
                    "aws iam delete-{kind}-policy --{kind}-name {owner} --policy-name {}",
                    p.name
                ),
            );
        }
    }

    fn admin_attached(&mut self, kind: &str, owner: &str, arn: &str, attached: &[String]) {
        if attached.iter().any(|a| a == ADMIN) {
            self.find(
                "full-admin-wildcards",
                arn.to_string(),
                "AdministratorAccess (allows * on *) is attached".into(),
                format!("aws iam detach-{kind}-policy --{kind}-name {owner} --policy-arn {ADMIN}"),
            );
        }
    }

    fn user(&mut self, u: &UserRec, acct: &Account) {
        let arn = u.arn();
        if u.login.is_some() && acct.mfa_of(&u.name).next().is_none() {
            self.find(
                "console-users-without-mfa",
                arn.clone(),
                format!("{} can sign in to the console without MFA", u.name),
                format!(
                    "aws iam create-virtual-mfa-device --virtual-mfa-device-name {0} \
                     --outfile {0}.png --bootstrap-method QRCodePNG, then aws iam \
                     enable-mfa-device --user-name {0} ...",
                    u.name
                ),
            );
        }
        if !u.attached.is_empty() || !u.inline.is_empty() {
            self.find(
                "policies-on-users",
                arn.clone(),
                format!(
                    "{} has {} managed and {} inline policies of its own",
                    u.name,
                    u.attached.len(),
                    u.inline.len()
                ),
                format!(
                    "aws iam add-user-to-group --user-name {} --group-name GROUP, attach the \
                     policies to the group, then detach them from the user",
                    u.name
                ),
            );
        }
        self.admin_attached("user", &u.name, &arn, &u.attached);
        self.inline_wildcards("user", &u.name, &arn, &u.inline);
    }
}

impl Audit<'_> {
    fn instances(&mut self, instances: &[AuditedInstance]) {
        for i in instances.iter().filter(|i| i.profile_arn.is_none()) {
            self.find(
                "instances-without-profile",
                format!(
                    "arn:aws:ec2:{}:{}:instance/{}",
                    i.region, self.account, i.instance_id
                ),
                format!(
                    "instance {} runs without an instance profile: code on it would need \
                     long-lived access keys",
                    i.instance_id
                ),
                format!(
                    "aws ec2 associate-iam-instance-profile --region {} --instance-id {} \
                     --iam-instance-profile Name=PROFILE",
                    i.region, i.instance_id
                ),
            );
        }
    }
}

impl Directory {
    /// Audits `account` at `now` against IAM's best practices, without instances.
    pub fn audit(&self, account: &str, now: Timestamp) -> AuditReport {
        self.audit_with(account, now, None)
    }

    /// [`Directory::audit`], with EC2's running instances seen through `instances`.
    pub fn audit_with(
        &self,
        account: &str,
        now: Timestamp,
        instances: Option<&dyn InstanceLookup>,
    ) -> AuditReport {
        let now_ms = now.secs() * 1000;
        let used = self.shared.usage(|u| u.key_uses());
        let mut a = Audit {
            account,
            findings: Vec::new(),
        };
        self.shared.read(|st| {
            let empty = Account::default();
            let acct = st.account(account).unwrap_or(&empty);
            for k in st.keys_of(account, None) {
                if k.active || used.contains_key(&k.id) {
                    a.find(
                        "root-access-keys",
                        format!("arn:aws:iam::{}:root", a.account),
                        format!("the root user holds access key {}", k.id),
                        format!("aws iam delete-access-key --access-key-id {}", k.id),
                    );
                }
            }
            match &acct.password_policy {
                None => a.find(
                    "password-policy",
                    format!("arn:aws:iam::{account}:root"),
                    "the account has no password policy".into(),
                    STRONG_POLICY.into(),
                ),
                Some(p) => {
                    let mut weak = Vec::new();
                    if p.min_length < 14 {
                        weak.push(format!("minimum length {} (< 14)", p.min_length));
                    }
                    for (on, what) in [
                        (p.symbols, "symbols"),
                        (p.numbers, "numbers"),
                        (p.uppercase, "upper case"),
                        (p.lowercase, "lower case"),
                    ] {
                        if !on {
                            weak.push(format!("{what} not required"));
                        }
                    }
                    if !weak.is_empty() {
                        a.find(
                            "password-policy",
                            format!("arn:aws:iam::{account}:root"),
                            format!("the password policy is weak: {}", weak.join(", ")),
                            STRONG_POLICY.into(),
                        );
                    }
                }
            }
            for u in acct.users.values() {
                a.user(u, acct);
                let keys = st.keys_of(account, Some(&u.name));
                let active: Vec<_> = keys.iter().filter(|k| k.active).collect();
                if active.len() >= 2 {
                    a.find(
                        "two-active-keys",
                        u.arn(),
                        format!("{} has two active access keys", u.name),
                        format!(
                            "aws iam update-access-key --user-name {} --access-key-id {} \
                             --status Inactive",
                            u.name, active[0].id
                        ),
                    );
                }
                for k in active {
                    let last = used.get(&k.id).map_or(k.created, |r| r.at);
                    if now_ms - last >= NINETY_DAYS_MS {
                        let what = if used.contains_key(&k.id) {
                            format!("last used {} days ago", days(now_ms - last))
                        } else {
                            format!("never used in {} days", days(now_ms - k.created))
                        };
                        a.find(
                            "unused-credentials",
                            u.arn(),
                            format!("access key {} is {what}", k.id),
                            format!(
                                "aws iam update-access-key --user-name {} --access-key-id {} \
                                 --status Inactive",
                                u.name, k.id
                            ),
                        );
                    }
                    if now_ms - k.created >= NINETY_DAYS_MS {
                        a.find(
                            "unrotated-access-keys",
                            u.arn(),
                            format!(
                                "access key {} was created {} days ago",
                                k.id,
                                days(now_ms - k.created)
                            ),
                            format!(
                                "aws iam create-access-key --user-name {0}, switch to it, then \
                                 aws iam delete-access-key --user-name {0} --access-key-id {1}",
                                u.name, k.id
                            ),
                        );
                    }
                }
            }
            for g in acct.groups.values() {
                let arn = g.arn();
                a.admin_attached("group", &g.name, &arn, &g.attached);
                a.inline_wildcards("group", &g.name, &arn, &g.inline);
            }
            for r in acct
                .roles
                .values()
                .filter(|r| !r.path.starts_with("/aws-service-role/"))
            {
                let arn = r.arn();
                a.admin_attached("role", &r.name, &arn, &r.attached);
                a.inline_wildcards("role", &r.name, &arn, &r.inline);
            }
            for p in acct.policies.values() {
                if grants_everything(p.default_document(), PolicyKind::Managed) {
                    let arn = format!("arn:aws:iam::{account}:policy{}{}", p.path, p.name);
                    a.find(
                        "full-admin-wildcards",
                        arn.clone(),
                        format!("policy {} allows * on *", p.name),
                        format!(
                            "aws iam create-policy-version --policy-arn {arn} \
                             --policy-document file://least-privilege.json --set-as-default"
                        ),
                    );
                }
            }
        });
        if let Some(lookup) = instances {
            a.instances(&lookup.running_instances(account));
        }
        let checks = CHECKS
            .iter()
            .map(|(check, practice)| {
                let n = a.findings.iter().filter(|f| f.check == *check).count();
                Check {
                    check,
                    practice,
                    status: if n == 0 { "PASS" } else { "FAIL" },
                    findings: n,
                }
            })
            .collect();
        AuditReport {
            account: account.to_string(),
            generated: now.to_iso8601_secs(),
            passed: a.findings.is_empty(),
            checks,
            findings: a.findings,
        }
    }
}

const STRONG_POLICY: &str = "aws iam update-account-password-policy --minimum-password-length 14 \
     --require-symbols --require-numbers --require-uppercase-characters \
     --require-lowercase-characters --password-reuse-prevention 24 --max-password-age 90";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_grants() {
        let all = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let some = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let deny =
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#;
        assert!(grants_everything(all, PolicyKind::Inline));
        assert!(!grants_everything(some, PolicyKind::Inline));
        assert!(!grants_everything(deny, PolicyKind::Inline));
        assert_eq!(CHECKS.len(), 9);
        assert_eq!(
            practice("two-active-keys"),
            "Keep one active access key per user"
        );
    }

    struct Fleet(Vec<AuditedInstance>);

    impl InstanceLookup for Fleet {
        fn running_instances(&self, _account: &str) -> Vec<AuditedInstance> {
            self.0.clone()
        }
    }

    #[test]
    fn instances_without_a_profile_fail_the_audit() {
        use std::sync::Arc;
        let clock = Arc::new(nimbus_core::ManualClock::new(Timestamp(0)));
        let ids = Arc::new(nimbus_core::Ids::from_seed(1));
        let (_, d) = crate::build(nimbus_store::Store::in_memory(), clock, ids).expect("build");
        let check = |d: &Directory, fleet: Option<&dyn InstanceLookup>| {
            let r = d.audit_with("123456789012", Timestamp(0), fleet);
            let c = r
                .checks
                .iter()
                .find(|c| c.check == "instances-without-profile")
                .expect("the check")
                .clone();
            let found: Vec<Finding> = r
                .findings
                .into_iter()
                .filter(|f| f.check == "instances-without-profile")
                .collect();
            (c.status, found)
        };
        assert_eq!(
            check(&d, None),
            ("PASS", Vec::new()),
            "no EC2: nothing to find"
        );
        let fleet = Fleet(vec![
            AuditedInstance {
                instance_id: "i-0aaaaaaaaaaaaaaaa".into(),
                region: "eu-west-1".into(),
                profile_arn: None,
            },
            AuditedInstance {
                instance_id: "i-0bbbbbbbbbbbbbbbb".into(),
                region: "us-east-1".into(),
                profile_arn: Some("arn:aws:iam::123456789012:instance-profile/web".into()),
            },
        ]);
        let (status, found) = check(&d, Some(&fleet));
        assert_eq!(status, "FAIL");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].entity,
            "arn:aws:ec2:eu-west-1:123456789012:instance/i-0aaaaaaaaaaaaaaaa"
        );
        assert!(found[0]
            .fix
            .starts_with("aws ec2 associate-iam-instance-profile --region eu-west-1"));
    }
}
