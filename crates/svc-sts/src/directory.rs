//! [`RoleDirectory`]: what STS needs to know about IAM, as a trait STS owns (services never
//! import each other; the binary adapts `svc_iam::Directory` to it). STS asks: the role a
//! caller wants to assume (to name the session and bound its duration), which account an
//! access key belongs to (`GetAccessKeyInfo`), whether an MFA code is good for the caller's
//! device (`SerialNumber`/`TokenCode`), and, for instance-role credentials (`instance`),
//! an instance profile's role and whether that role trusts the EC2 service. Whether a
//! caller may assume a role is not asked here: the binary's authorizer evaluates
//! `sts:AssumeRole` against the role's trust policy before the handler runs (decision 0007).

use nimbus_core::Timestamp;

/// What `AssumeRole` needs of a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleView {
    /// The account that owns the role (and so the session).
    pub account: String,
    /// The role's name, without its path (the assumed-role ARN leaves the path out).
    pub name: String,
    /// `AROA...`
    pub role_id: String,
    /// The role's `MaxSessionDuration`, in seconds (3600 to 43200; IAM's default 3600).
    pub max_session_duration: i32,
}

/// An instance profile, as instance-role credentials need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileView {
    /// `arn:aws:iam::A:instance-profile/path/Name`
    pub arn: String,
    /// `AIPA...`
    pub id: String,
    /// The ARN of the role it holds (`None` while it holds none).
    pub role_arn: Option<String>,
}

/// An OpenID Connect identity provider registered in IAM, as `AssumeRoleWithWebIdentity`
/// needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProviderView {
    /// `arn:aws:iam::A:oidc-provider/HOST/PATH`
    pub arn: String,
    /// The issuer URL without `https://` (the prefix of its condition keys, `URL:aud`).
    pub url: String,
    /// The audiences (client ids) tokens may be issued for.
    pub client_ids: Vec<String>,
}

/// What IAM says of an MFA code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaCheck {
    /// The device is enabled for the caller and the code is its current, unused code.
    Valid,
    /// The device is the caller's, but the code is not good now (wrong, stale, reused).
    InvalidCode,
    /// No such device, or it is not enabled for the caller.
    NotAssigned,
}

/// IAM, as STS sees it.
pub trait RoleDirectory: Send + Sync + 'static {
    /// The role with exactly this ARN (`arn:aws:iam::A:role/path/Name`), if it exists.
    fn role(&self, arn: &str) -> Option<RoleView>;

    /// The account a long-term access key (`AKIA...`) belongs to: an IAM user's key or an
    /// account root's key (the binary also knows the root keys it was started with).
    fn key_account(&self, access_key_id: &str) -> Option<String>;

    /// Checks `code` from MFA device `serial` of IAM user `user_name` (name without path)
    /// of `account` at `now`. A directory that knows no devices says `NotAssigned`, which
    /// STS refuses as AWS refuses a serial number that is not the caller's.
    fn verify_mfa(
        &self,
        _account: &str,
        _user_name: &str,
        _serial: &str,
        _code: &str,
        _now: Timestamp,
    ) -> MfaCheck {
        MfaCheck::NotAssigned
    }

    /// An instance profile of `account`, named by name or ARN, and the role it holds
    /// (for instance-role credentials). A directory that knows no profiles says `None`.
    fn instance_profile(&self, _account: &str, _name_or_arn: &str) -> Option<ProfileView> {
        None
    }

    /// Whether role `role_arn`'s trust policy lets AWS service principal `service`
    /// (`ec2.amazonaws.com`) assume it.
    fn service_may_assume(&self, _role_arn: &str, _service: &str) -> bool {
        false
    }

    /// The OpenID Connect provider of `account` for issuer `url` (the token's `iss` without
    /// `https://` and without a trailing `/`). A directory that knows none says `None`.
    fn oidc_provider(&self, _account: &str, _url: &str) -> Option<OidcProviderView> {
        None
    }

    /// Whether role `role_arn`'s trust policy lets the web identity federated through
    /// provider `provider_arn` perform `sts:AssumeRoleWithWebIdentity`, with `conditions`
    /// (`URL:aud`, `URL:sub`, `URL:amr`, ...) as the request's condition keys.
    fn web_identity_may_assume(
        &self,
        _role_arn: &str,
        _provider_arn: &str,
        _conditions: &[(String, Vec<String>)],
    ) -> bool {
        false
    }

    /// Whether an account root may assume roles. AWS forbids it ("Roles may not be assumed
    /// by root accounts."); the binary allows it only in its permissive compatibility mode,
    /// where the default identity of other local clouds' test suites is a root.
    fn root_may_assume(&self) -> bool {
        false
    }
}

/// A directory with no roles and no keys: for a binary without IAM, and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDirectory;

impl RoleDirectory for NoDirectory {
    fn role(&self, _arn: &str) -> Option<RoleView> {
        None
    }

    fn key_account(&self, _access_key_id: &str) -> Option<String> {
        None
    }
}
