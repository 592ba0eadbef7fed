//! The records IAM keeps: users, groups, roles, customer managed policies (with their
//! versions) and access keys, as serde structs that are both the in-memory state and,
//! versioned, the durable store's values. Inline policies, managed-policy attachments,
//! permissions boundaries and group memberships live inside the record of the entity that
//! has them, so changing one rewrites one record. Rendering these as wire shapes is
//! `render`'s job; checking requests against AWS's rules is `validate`'s.

use serde::{Deserialize, Serialize};

/// A key/value tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRec {
    pub key: String,
    pub value: String,
}

/// An inline policy: its name and the document exactly as it was submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineRec {
    pub name: String,
    pub document: String,
}

/// One IAM user. `groups` holds the names of the groups it belongs to (renaming a group
/// rewrites its members' records in the same batch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRec {
    pub account: String,
    pub name: String,
    /// `AIDA...`
    pub id: String,
    pub path: String,
    /// Milliseconds since the epoch (Nimbus time), whole seconds as AWS reports them.
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// The permissions boundary's policy ARN.
    #[serde(default)]
    pub boundary: Option<String>,
    /// Attached managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub inline: Vec<InlineRec>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// The console password (`CreateLoginProfile`), if the user has one.
    #[serde(default)]
    pub login: Option<LoginRec>,
    /// SSH public keys (`UploadSSHPublicKey`), in upload order.
    #[serde(default)]
    pub ssh_keys: Vec<SshKeyRec>,
}

/// An SSH public key of a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyRec {
    /// `APKA...`
    pub id: String,
    /// The key as uploaded (`ssh-rsa AAAA... comment`), trimmed.
    pub body: String,
    /// MD5 of the key blob, colon-separated hex.
    pub fingerprint: String,
    pub active: bool,
    /// Milliseconds, whole seconds.
    pub uploaded: i64,
}

/// A salted password hash: `sha256` over the salt and the password, iterated
/// ([`crate::password::hash`]). The password itself is never kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashRec {
    pub salt: String,
    pub hash: String,
}

/// A user's login profile: its current password's hash and the hashes of the passwords
/// before it, newest first, as many as the password policy's `PasswordReusePrevention`
/// can ask about (at most 24).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRec {
    pub created: i64,
    pub reset_required: bool,
    pub password: HashRec,
    /// When the current password was set (for `MaxPasswordAge`).
    pub set_at: i64,
    #[serde(default)]
    pub previous: Vec<HashRec>,
}

/// The account's password policy (`UpdateAccountPasswordPolicy`); absent until one is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicyRec {
    pub account: String,
    pub min_length: i32,
    pub symbols: bool,
    pub numbers: bool,
    pub uppercase: bool,
    pub lowercase: bool,
    pub allow_change: bool,
    /// Days; `None`: passwords do not expire.
    pub max_age: Option<i32>,
    /// How many previous passwords may not be reused; `None`: any may.
    pub reuse_prevention: Option<i32>,
    pub hard_expiry: bool,
}

/// An instance profile: a container for at most one role that EC2 instances carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceProfileRec {
    pub account: String,
    pub name: String,
    /// `AIPA...`
    pub id: String,
    pub path: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// The role's name as stored, if a role was added.
    #[serde(default)]
    pub role: Option<String>,
}

impl InstanceProfileRec {
    pub fn arn(&self) -> String {
        entity_arn(&self.account, "instance-profile", &self.path, &self.name)
    }
}

/// One IAM group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    pub account: String,
    pub name: String,
    /// `AGPA...`
    pub id: String,
    pub path: String,
    pub created: i64,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub inline: Vec<InlineRec>,
}

/// One IAM role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleRec {
    pub account: String,
    pub name: String,
    /// `AROA...`
    pub id: String,
    pub path: String,
    pub created: i64,
    /// The trust policy (`AssumeRolePolicyDocument`) as submitted.
    pub trust: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Seconds, 3600..=43200.
    pub max_session: i32,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub inline: Vec<InlineRec>,
}

/// One version of a managed policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRec {
    /// `v1`, `v2`, ...
    pub id: String,
    pub document: String,
    pub created: i64,
}

/// A customer managed policy of one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRec {
    pub account: String,
    pub name: String,
    /// `ANPA...`
    pub id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    /// The default version's id.
    pub default_version: String,
    /// Live versions, oldest first (at most five).
    pub versions: Vec<VersionRec>,
    /// The number the next version gets (version ids are never reused).
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

impl PolicyRec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    pub fn default_document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
            .unwrap_or_default()
    }
}

/// When and where an access key was last used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsedRec {
    pub at: i64,
    pub service: String,
    pub region: String,
}

/// An access key. `user` is `None` for the account root's own keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRec {
    pub account: String,
    pub user: Option<String>,
    /// `AKIA...`
    pub id: String,
    pub secret: String,
    pub active: bool,
    pub created: i64,
    /// Never written any more: a key's last use lives in `usage` (batched, not a key
    /// rewrite per request). Kept so older records still load.
    #[serde(default)]
    pub last_used: Option<LastUsedRec>,
}

/// `arn:aws:iam::{account}:{kind}{path}{name}`, the ARN shape of users, groups and roles.
pub fn entity_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

impl UserRec {
    pub fn arn(&self) -> String {
        entity_arn(&self.account, "user", &self.path, &self.name)
    }
}

impl GroupRec {
    pub fn arn(&self) -> String {
        entity_arn(&self.account, "group", &self.path, &self.name)
    }
}

impl RoleRec {
    pub fn arn(&self) -> String {
        entity_arn(&self.account, "role", &self.path, &self.name)
    }
}

/// A virtual MFA device of one account (`CreateVirtualMFADevice`). Its serial number is
/// its ARN. It is assigned to at most one user, from `EnableMFADevice` until
/// `DeactivateMFADevice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// The TOTP secret as base32 text (what `Base32StringSeed` carries).
    pub seed: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// The user it is enabled for (its name as stored), if any.
    #[serde(default)]
    pub user: Option<String>,
    /// When it was enabled (milliseconds, whole seconds).
    #[serde(default)]
    pub enabled: Option<i64>,
    /// How many time steps the device's clock runs ahead of Nimbus's (negative: behind),
    /// as measured by `ResyncMFADevice`.
    #[serde(default)]
    pub drift: i64,
    /// The latest time step whose code was accepted: a code, once used, is not accepted
    /// again, and neither is any earlier one.
    #[serde(default)]
    pub last_step: Option<i64>,
}

impl MfaRec {
    /// The serial number: `arn:aws:iam::{account}:mfa{path}{name}`.
    pub fn serial(&self) -> String {
        format!(
            "arn:aws:iam::{}:mfa{}{}",
            self.account, self.path, self.name
        )
    }

    /// The device's key: base32 text in the rare case it stops decoding counts as a key
    /// no code matches (an empty key is never produced by `CreateVirtualMFADevice`).
    pub fn key(&self) -> Vec<u8> {
        crate::totp::base32_decode(&self.seed).unwrap_or_default()
    }
}

/// How a stored MFA device is found from its serial number: `{account}/{lower-cased path
/// and name}`, plus the account. `None` for anything that is not a virtual MFA ARN.
pub fn mfa_key_of_serial(serial: &str) -> Option<(String, String)> {
    let rest = serial.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_name = resource.strip_prefix("mfa")?;
    if !path_name.starts_with('/') || path_name.ends_with('/') {
        return None;
    }
    Some((account.to_string(), path_name.to_ascii_lowercase()))
}

/// An account's latest credential report (`GenerateCredentialReport`): the CSV as generated
/// and when, kept until the next generation (at most one per four hours).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRec {
    pub account: String,
    /// Milliseconds, whole seconds.
    pub generated: i64,
    pub content: String,
    /// What the report gives as the root's `user_creation_time`: the earliest creation
    /// time among the account's IAM entities when its first report was generated (or that
    /// generation's time), carried over to later reports. Nimbus has no account-creation
    /// event of its own.
    pub account_created: i64,
}

/// The account's alias (`CreateAccountAlias`; at most one per account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRec {
    pub account: String,
    pub alias: String,
}

/// An Access Advisor report (`GenerateServiceLastAccessedDetails`), computed when it was
/// asked for and kept so that `GetServiceLastAccessedDetails[WithEntities]` page through
/// the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessJobRec {
    pub account: String,
    /// A UUID.
    pub id: String,
    /// The user, group, role or policy reported on.
    pub arn: String,
    /// `SERVICE_LEVEL` or `ACTION_LEVEL`.
    pub granularity: String,
    /// Milliseconds, whole seconds; the job completes when it is created.
    pub created: i64,
    /// The services the entity's policies allow, by namespace.
    pub services: Vec<ServiceAccessRec>,
    /// The users and roles that could use those policies.
    pub entities: Vec<EntityAccessRec>,
}

/// One service of an Access Advisor report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccessRec {
    pub namespace: String,
    pub name: String,
    /// The latest attempt: when, by which entity (ARN), from which region.
    pub last: Option<(i64, String, String)>,
    /// How many of the report's entities attempted the service.
    pub total: i32,
    /// `ACTION_LEVEL` on a tracked service: each attempted action's latest attempt
    /// (action name, entity ARN, when, region).
    pub actions: Option<Vec<(String, String, i64, String)>>,
}

/// A user or role an Access Advisor report covers, and its last attempt per service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityAccessRec {
    pub arn: String,
    pub name: String,
    /// `USER` or `ROLE`.
    pub kind: String,
    pub id: String,
    pub path: String,
    /// Service namespace → its last attempt (milliseconds).
    pub last: std::collections::BTreeMap<String, i64>,
}

/// An OpenID Connect identity provider (`CreateOpenIDConnectProvider`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcRec {
    pub account: String,
    /// The issuer URL without its `https://` (what the ARN names), as given otherwise.
    pub url: String,
    pub client_ids: Vec<String>,
    /// SHA-1 thumbprints of the provider's certificate, 40 hex characters each.
    pub thumbprints: Vec<String>,
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

impl OidcRec {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:oidc-provider/{}", self.account, self.url)
    }
}

/// A server certificate (`UploadServerCertificate`): the certificate, its chain and
/// what IAM reports of it. The private key is checked against the certificate when
/// uploaded and never kept (IAM never returns it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertRec {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `ASCA...`
    pub id: String,
    /// The PEM certificate, as uploaded (trimmed).
    pub body: String,
    pub chain: Option<String>,
    /// Milliseconds, whole seconds.
    pub uploaded: i64,
    /// The certificate's `notAfter`, milliseconds.
    pub expiration: i64,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

impl ServerCertRec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:server-certificate{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An X.509 signing certificate of a user or of the account root
/// (`UploadSigningCertificate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertRec {
    pub account: String,
    /// The IAM user's name; `None` for the account root's.
    pub user: Option<String>,
    /// 28 upper-case letters and digits.
    pub id: String,
    /// The PEM certificate, as uploaded (trimmed).
    pub body: String,
    pub active: bool,
    /// Milliseconds, whole seconds.
    pub uploaded: i64,
}

/// A service-linked role deletion task (`DeleteServiceLinkedRole`), kept so that
/// `GetServiceLinkedRoleDeletionStatus` can answer for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRec {
    pub account: String,
    /// `task/aws-service-role/{service}/{role}/{uuid}`
    pub id: String,
    /// `SUCCEEDED`, `IN_PROGRESS`, `FAILED` or `NOT_STARTED`.
    pub status: String,
}
