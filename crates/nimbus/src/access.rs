//! Who may do what: joins IAM's state (`svc_iam::Directory`), STS's sessions
//! (`svc_sts::Sessions`), S3's bucket policies (`svc_s3::BucketPolicies`) and the policy
//! evaluator (`nimbus_iam_policy`) into the gateway's two hooks (decision 0007).
//!
//! - [`Keys`] is the gateway's `CredentialStore`: the account roots from the command line,
//!   then keys IAM issued (active ones only), then STS session keys (with their token and
//!   expiry, which the gateway checks against the Nimbus clock).
//! - [`Enforcer`] is the `Authorizer` every generated router consults after decoding a
//!   call and before its handler runs: it gathers the caller's identity-based policies, its
//!   permissions boundary, its session policies and the resource's policy (a role's trust
//!   policy for `sts:AssumeRole`/`TagSession`/`SetSourceIdentity`, a bucket's policy for
//!   S3), fills the global condition keys (time, region, source IP, MFA), and asks the
//!   evaluator about every action and resource of the call. It also applies the limits AWS
//!   puts on `GetSessionToken` credentials whatever the policies say.
//!
//! Not here: which actions, resources and condition keys an operation involves (generated
//! from `codegen/authorization/*.json`), how a refusal is rendered per protocol
//! (`nimbus_wire`), policy semantics (`nimbus_iam_policy`).

use nimbus_core::{Access, Authorizer, Denial, PrincipalKind, RequestContext};
use nimbus_gateway::auth::{Credential, CredentialStore, StaticCredentials};
use nimbus_iam_policy as policy;
use std::sync::Arc;
use svc_iam::{Directory, NamedPolicy};
use svc_sts::{SessionKind, SessionView, Sessions};

/// Every key Nimbus accepts.
pub struct Keys {
    pub roots: StaticCredentials,
    pub iam: Directory,
    pub sessions: Sessions,
}

impl CredentialStore for Keys {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        if let Some(c) = self.roots.lookup(access_key_id) {
            return Some(c);
        }
        if let Some(k) = self.iam.access_key(access_key_id) {
            // An inactive key is refused exactly like an unknown one, as AWS does.
            if !k.active {
                return None;
            }
            let kind = match k.user_name {
                Some(_) => PrincipalKind::User,
                None => PrincipalKind::Root,
            };
            return Some(Arc::new(Credential {
                secret_access_key: k.secret,
                principal: Arc::new(nimbus_core::Principal {
                    kind,
                    account_id: k.account,
                    arn: k.arn,
                    user_id: k.user_id,
                    access_key_id: access_key_id.to_string(),
                }),
                session_token: None,
                expiration: None,
            }));
        }
        let s = self.sessions.lookup(access_key_id)?;
        let kind = match &s.kind {
            SessionKind::AssumedRole { .. } => PrincipalKind::AssumedRole,
            SessionKind::UserSession { .. } => PrincipalKind::User,
            SessionKind::RootSession => PrincipalKind::Root,
            SessionKind::FederatedUser { .. } => PrincipalKind::FederatedUser,
        };
        Some(Arc::new(Credential {
            secret_access_key: s.secret.clone(),
            principal: Arc::new(nimbus_core::Principal {
                kind,
                account_id: s.account.clone(),
                arn: s.arn.clone(),
                user_id: s.user_id.clone(),
                access_key_id: access_key_id.to_string(),
            }),
            session_token: Some(s.session_token.clone()),
            expiration: Some(s.expiration),
        }))
    }
}

/// The IAM policy evaluator, over IAM's, STS's and S3's (bucket policies) state.
pub struct Enforcer {
    pub iam: Directory,
    pub sessions: Sessions,
    pub buckets: svc_s3::BucketPolicies,
    /// Seals EC2's encoded authorization failure messages (STS decodes them).
    pub messages: svc_sts::AuthorizationMessages,
    /// `false` in permissive mode without `--enforce-iam`: every call is allowed (its use
    /// of credentials is still recorded), as the test suites of other local clouds expect.
    pub enforce: bool,
    /// The tags of resources other services hold (EC2 instances), for
    /// `aws:ResourceTag/...` conditions; IAM's own come from `iam`.
    pub resource_tags: Option<Arc<dyn ResourceTags>>,
}

/// A service's answer to "which tags does the resource this ARN names carry?"
pub trait ResourceTags: Send + Sync + 'static {
    /// `None` when the ARN is not one of this service's resources (or is gone).
    fn tags(&self, arn: &str) -> Option<Vec<(String, String)>>;
}

/// EC2 instances' tags (`arn:aws:ec2:REGION:ACCOUNT:instance/i-...`).
pub struct Ec2InstanceTags(pub svc_ec2::Ec2);

impl ResourceTags for Ec2InstanceTags {
    fn tags(&self, arn: &str) -> Option<Vec<(String, String)>> {
        let rest = arn.strip_prefix("arn:aws:ec2:")?;
        let mut parts = rest.splitn(3, ':');
        let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
        let id = resource.strip_prefix("instance/")?;
        let i = self.0.instance_record(account, region, id)?;
        Some(
            i.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
        )
    }
}

/// Everything that decides for one caller: built once per call, from the directory's
/// shared, already parsed policies (no document is parsed or copied per call).
struct Subject {
    principal: policy::Principal,
    /// The user's or the role's own policies and boundary.
    user: Option<Arc<svc_iam::PrincipalPolicies>>,
    role: Option<Arc<svc_iam::RoleInfo>>,
    /// Grants that come from elsewhere (the password policy's change-your-own-password).
    extra: Vec<NamedPolicy>,
    session: Vec<NamedPolicy>,
    context: policy::Context,
}

impl Subject {
    fn identity(&self) -> impl Iterator<Item = &NamedPolicy> {
        let own = match (&self.user, &self.role) {
            (Some(u), _) => u.identity.as_slice(),
            (None, Some(r)) => r.policies.as_slice(),
            (None, None) => &[],
        };
        own.iter().chain(&self.extra)
    }

    fn boundary(&self) -> Option<&NamedPolicy> {
        match (&self.user, &self.role) {
            (Some(u), _) => u.boundary.as_ref(),
            (None, Some(r)) => r.boundary.as_ref(),
            (None, None) => None,
        }
    }
}

impl Enforcer {
    /// The caller as the evaluator sees it. An account root has no policies of its own: it
    /// may do everything in its account unless a resource's policy denies it.
    fn subject(&self, ctx: &RequestContext, s: Option<&SessionView>) -> Subject {
        let p = &ctx.principal;
        let account = p.account_id.as_str();
        let mut extra = Vec::new();
        let (principal, user, role, session) = match p.kind {
            PrincipalKind::Root => (policy::Principal::root(account), None, None, Vec::new()),
            // An unsigned call: no policy of any account grants it anything.
            PrincipalKind::Anonymous => (policy::Principal::anonymous(), None, None, Vec::new()),
            PrincipalKind::User => {
                let name = p.arn.rsplit('/').next().unwrap_or_default();
                let principal = policy::Principal::user(account, &p.arn).with_unique_id(&p.user_id);
                // A user deleted while its request was in flight: nothing allows it.
                let user = self.iam.user_policies(account, name);
                if user.as_ref().is_some_and(|u| u.may_change_password) {
                    extra.push(own_password_grant(&p.arn));
                }
                (principal, user, None, Vec::new())
            }
            PrincipalKind::AssumedRole => {
                let (role_arn, role_id) = match s.map(|s| &s.kind) {
                    Some(SessionKind::AssumedRole {
                        role_arn, role_id, ..
                    }) => (role_arn.clone(), role_id.clone()),
                    _ => (String::new(), String::new()),
                };
                let principal = policy::Principal::role_session(account, &role_arn, &p.arn)
                    .with_unique_id(&role_id);
                let session = s.map(|s| self.session_policies(s)).unwrap_or_default();
                // A deleted role's sessions can do nothing any more.
                (principal, None, self.iam.role_by_arn(&role_arn), session)
            }
            PrincipalKind::FederatedUser => {
                // The caller of GetFederationToken's identity policies, narrowed by the
                // session policies; with none passed, the session may do nothing.
                let federator = match s.map(|s| &s.kind) {
                    Some(SessionKind::FederatedUser { federator_arn, .. }) => federator_arn.clone(),
                    _ => String::new(),
                };
                let principal = policy::Principal::federated_user(account, &p.arn, &federator);
                let user = match federator.split_once(":user/") {
                    Some((_, path_name)) => {
                        let name = path_name.rsplit('/').next().unwrap_or_default();
                        self.iam.user_policies(account, name)
                    }
                    None => {
                        // An account root's federated users: everything the root may do.
                        extra.push(allow_everything());
                        None
                    }
                };
                let mut session = s.map(|s| self.session_policies(s)).unwrap_or_default();
                if session.is_empty() {
                    session.push(NamedPolicy {
                        source: format!("{}#no-session-policy", p.arn),
                        policy: Arc::new(policy::Policy::deny_all(policy::PolicyKind::Session)),
                    });
                }
                (principal, user, None, session)
            }
        };
        let mut context = policy::Context::for_principal(&principal);
        context.set("aws:CurrentTime", ctx.now.to_iso8601_secs());
        context.set("aws:EpochTime", ctx.now.secs().to_string());
        context.set("aws:RequestedRegion", ctx.region.as_str());
        context.set("aws:SecureTransport", "false");
        if let Some(ip) = ctx.source_ip {
            context.set("aws:SourceIp", ip.to_string());
        }
        // Keys every temporary credential carries: when it was issued and whether (and how
        // long ago) MFA was presented; long-term keys carry neither
        // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent>).
        if let Some(s) = s {
            context.set("aws:TokenIssueTime", s.issued.to_iso8601_secs());
            context.set(
                "aws:MultiFactorAuthPresent",
                if s.mfa_authenticated { "true" } else { "false" },
            );
            if let (true, Some(at)) = (s.mfa_authenticated, s.mfa_authenticated_at) {
                let age = (ctx.now.secs() - at.secs()).max(0);
                context.set("aws:MultiFactorAuthAge", age.to_string());
            }
        }
        Subject {
            principal,
            user,
            role,
            extra,
            session,
            context,
        }
    }
}

impl Enforcer {
    /// Records the credential's use, whatever the decision: an IAM access key's (service
    /// and region, for `GetAccessKeyLastUsed` and the credential report) or, for a role
    /// session, the role's (`RoleLastUsed`); and for IAM users and roles, each action
    /// attempted (Access Advisor). Memory only; IAM writes it out in batches.
    fn note_use(&self, ctx: &RequestContext, access: &[Access], session: Option<&SessionView>) {
        let key = ctx.principal.access_key_id.as_str();
        if ctx.principal.kind == PrincipalKind::Anonymous {
            return; // no credential was used
        }
        // The common case, the command line's root keys: nothing of IAM's is touched.
        if ctx.principal.kind == PrincipalKind::Root
            && session.is_none()
            && !self.iam.roots_have_iam_keys()
        {
            return;
        }
        let actions = || access.iter().map(|a| a.action);
        if let Some(s) = session {
            match &s.kind {
                SessionKind::AssumedRole { role_id, .. } => {
                    self.iam
                        .record_actions(role_id, actions(), &ctx.region, ctx.now);
                    self.iam.note_role_used(role_id, &ctx.region, ctx.now);
                }
                // A user's own session (`GetSessionToken`) acts as the user.
                SessionKind::UserSession { user_id, .. } => {
                    self.iam
                        .note_actions(user_id, actions(), &ctx.region, ctx.now);
                }
                SessionKind::RootSession | SessionKind::FederatedUser { .. } => {}
            }
            return;
        }
        // The service namespace of the action asked; the only operations that ask for no
        // permission at all are STS's (GetCallerIdentity, GetSessionToken).
        let service = access
            .first()
            .and_then(|a| a.action.split_once(':'))
            .map_or("sts", |(service, _)| service);
        let user = (ctx.principal.kind == PrincipalKind::User).then_some(&*ctx.principal.user_id);
        self.iam
            .note_key_call(key, user, actions(), service, &ctx.region, ctx.now);
    }
}

impl Enforcer {
    /// A session's own policies: its inline policy and its managed `PolicyArns`.
    fn session_policies(&self, s: &SessionView) -> Vec<NamedPolicy> {
        let mut session = Vec::new();
        if let Some(doc) = &s.policy {
            // Validated when the session was issued; one a stricter parser refuses now
            // limits the session to nothing rather than vanishing.
            let parsed = policy::Policy::parse(doc, policy::PolicyKind::Session)
                .unwrap_or_else(|_| policy::Policy::deny_all(policy::PolicyKind::Session));
            session.push(NamedPolicy {
                source: format!("{}#session", s.arn),
                policy: Arc::new(parsed),
            });
        }
        for arn in &s.policy_arns {
            // A session policy that no longer exists allows nothing: keep the session
            // limited rather than widen it.
            session.push(
                self.iam
                    .managed_policy(&s.account, arn)
                    .unwrap_or_else(|| NamedPolicy {
                        source: arn.clone(),
                        policy: Arc::new(policy::Policy::deny_all(policy::PolicyKind::Session)),
                    }),
            );
        }
        session
    }
}

/// What an account root's federated users start from before their session policies.
fn allow_everything() -> NamedPolicy {
    let document =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let policy = policy::Policy::parse(document, policy::PolicyKind::Inline)
        .unwrap_or_else(|_| policy::Policy::deny_all(policy::PolicyKind::Inline));
    NamedPolicy {
        source: "account root (GetFederationToken)".to_string(),
        policy: Arc::new(policy),
    }
}

/// What the bucket owner's root may always do to a bucket's policy.
const BUCKET_POLICY_ACTIONS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// IAM operations that act on the calling user when the request names none
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html>,
/// `API_CreateAccessKey.html` and the other access-key and login-profile pages,
/// `API_ChangePassword.html`, the signing-certificate pages): AWS authorizes them on the
/// caller's own ARN.
const SELF_ACTING: [&str; 14] = [
    "iam:GetUser",
    "iam:CreateAccessKey",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:ChangePassword",
    "iam:CreateLoginProfile",
    "iam:GetLoginProfile",
    "iam:DeleteLoginProfile",
    "iam:ListSSHPublicKeys",
    "iam:UploadSigningCertificate",
    "iam:ListSigningCertificates",
    "iam:UpdateSigningCertificate",
    "iam:DeleteSigningCertificate",
];

impl Enforcer {
    /// What `GetSessionToken` credentials may not do, whatever the policies say
    /// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html>):
    /// call IAM unless MFA was presented when they were issued (AWS answers as for an
    /// invalid token), or call STS except `AssumeRole` and `GetCallerIdentity` (the latter needs no
    /// permission and never gets here).
    fn session_limits(
        ctx: &RequestContext,
        session: Option<&SessionView>,
        access: &[Access],
    ) -> Result<(), Denial> {
        let Some(session) = session else {
            return Ok(());
        };
        if ctx.principal.kind == PrincipalKind::AssumedRole {
            return Ok(());
        }
        let federated = ctx.principal.kind == PrincipalKind::FederatedUser;
        for a in access {
            let (service, name) = a.action.split_once(':').unwrap_or(("", a.action));
            // GetFederationToken credentials: "You cannot use these credentials to call any
            // IAM API operations", nor "any STS API operations except GetCallerIdentity".
            if federated
                && (service.eq_ignore_ascii_case("iam") || service.eq_ignore_ascii_case("sts"))
            {
                return Err(Denial::new(format!(
                    "Cannot call {name} with federated user credentials"
                )));
            }
            if service.eq_ignore_ascii_case("iam") && !session.mfa_authenticated {
                return Err(Denial::token_not_valid_here());
            }
            if service.eq_ignore_ascii_case("sts") && !name.eq_ignore_ascii_case("AssumeRole") {
                return Err(Denial::new(format!(
                    "Cannot call {name} with session credentials"
                )));
            }
        }
        Ok(())
    }

    /// The ARN a policy statement is matched against: IAM users, groups and roles with their
    /// path (requests name them without it), and the calling user for operations that act
    /// on the caller when no user is named.
    fn as_policies_see_it(&self, ctx: &RequestContext, action: &str, resource: &str) -> String {
        if resource == "*" {
            if ctx.principal.kind == PrincipalKind::User
                && SELF_ACTING.iter().any(|a| a.eq_ignore_ascii_case(action))
            {
                return ctx.principal.arn.clone();
            }
            return resource.to_string();
        }
        if resource.starts_with("arn:aws:iam::") {
            if let Some(full) = self.iam.entity_arn(resource) {
                return full;
            }
        }
        resource.to_string()
    }
}

/// The resource-based policy that also decides an access, kept alive for one evaluation.
enum Held {
    /// The role's trust policy: `sts:AssumeRole`, and the `sts:TagSession` /
    /// `sts:SetSourceIdentity` asked with it, are decided by it
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required>).
    Trust(Arc<svc_iam::RoleInfo>),
    /// An S3 bucket policy.
    Bucket(Arc<svc_s3::BucketPolicy>, Option<String>),
}

impl Held {
    fn as_ref(&self) -> policy::ResourcePolicy<'_> {
        match self {
            Held::Trust(role) => policy::ResourcePolicy {
                id: &role.trust.source,
                policy: &role.trust.policy,
                kind: policy::ResourcePolicyKind::RoleTrust,
            },
            Held::Bucket(b, _) => policy::ResourcePolicy {
                id: &b.id,
                policy: &b.policy,
                kind: policy::ResourcePolicyKind::Resource,
            },
        }
    }

    /// The account that owns the resource, when the ARN does not say.
    fn owner(&self) -> Option<&String> {
        match self {
            Held::Trust(role) => Some(&role.account),
            Held::Bucket(_, owner) => owner.as_ref(),
        }
    }
}

/// The bucket an S3 ARN names (`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`).
fn s3_bucket(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:s3:::")?;
    Some(rest.split_once('/').map_or(rest, |(b, _)| b)).filter(|b| !b.is_empty())
}

impl Enforcer {
    /// The resource-based policy that takes part in deciding `action` on `resource`.
    fn resource_policy(&self, action: &str, resource: &str) -> Option<Held> {
        let trust_decides = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action));
        if trust_decides {
            return self.iam.role_by_arn(resource).map(Held::Trust);
        }
        let bucket = s3_bucket(resource)?;
        let p = self.buckets.policy(bucket)?;
        let owner = Some(p.owner_account.clone());
        Some(Held::Bucket(p, owner))
    }
}

/// What the account password policy's `AllowUsersToChangePassword` grants each IAM user:
/// `iam:ChangePassword` on itself and `iam:GetAccountPasswordPolicy`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_enable-user-change.html>).
fn own_password_grant(user_arn: &str) -> NamedPolicy {
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": user_arn},
            {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}
        ]
    })
    .to_string();
    let policy = policy::Policy::parse(&document, policy::PolicyKind::Inline)
        .unwrap_or_else(|_| policy::Policy::deny_all(policy::PolicyKind::Inline));
    NamedPolicy {
        source: "account password policy (AllowUsersToChangePassword)".to_string(),
        policy: Arc::new(policy),
    }
}

/// The account of an ARN (`arn:aws:iam::123456789012:role/x` → `123456789012`); `None` for
/// ARNs without one (S3 buckets) and for `*`.
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(3).filter(|a| !a.is_empty())
}

impl Authorizer for Enforcer {
    fn authorize(&self, ctx: &RequestContext, access: &[Access]) -> Result<(), Denial> {
        // Temporary credentials: their session, looked up once for every use below.
        let session = ctx
            .principal
            .access_key_id
            .starts_with("ASIA")
            .then(|| self.sessions.lookup(&ctx.principal.access_key_id))
            .flatten();
        let session = session.as_deref();
        self.note_use(ctx, access, session);
        if access.is_empty() {
            return Ok(());
        }
        // Unsigned calls reach only operations that need no permission (the gateway lets
        // through just the model's `authtype: none` operations); anything else is refused,
        // in every mode.
        if ctx.principal.kind == PrincipalKind::Anonymous {
            return Err(Denial::new(format!(
                "Anonymous callers are not authorized to perform: {}",
                access[0].action
            )));
        }
        if !self.enforce {
            return Ok(());
        }
        Self::session_limits(ctx, session, access)?;
        let root = ctx.principal.kind == PrincipalKind::Root;
        // The common case: a root without any resource policy in play is allowed outright.
        if root
            && !access.iter().any(|a| {
                a.resources
                    .iter()
                    .any(|r| self.resource_policy(a.action, r).is_some())
            })
        {
            return Ok(());
        }
        let subject = self.subject(ctx, session);
        let identity: Vec<_> = subject.identity().map(policy_ref).collect();
        let session: Vec<_> = subject.session.iter().map(policy_ref).collect();
        let boundary = subject.boundary().map(policy_ref);
        let mut first_implicit: Option<(policy::Evaluation, &str, String, policy::Context)> = None;
        for a in access {
            let mut context = subject.context.clone();
            for (key, values) in &a.conditions {
                context.set_multi(key, values.iter().map(String::as_str));
            }
            let star = ["*".to_string()];
            let resources: &[String] = if a.resources.is_empty() {
                &star
            } else {
                &a.resources
            };
            for resource in resources {
                let resource = &self.as_policies_see_it(ctx, a.action, resource);
                // The bucket's owner, for a bucket without a policy (S3 ARNs name no account).
                let owner = s3_bucket(resource).and_then(|b| self.buckets.bucket_owner(b));
                let held = self.resource_policy(a.action, resource);
                // The resource's own tags, as `aws:ResourceTag/<key>` (and IAM's own
                // `iam:ResourceTag/<key>` for users and roles).
                let tagged = self.tagged_context(&context, resource);
                let context = tagged.as_ref().unwrap_or(&context);
                // The bucket owner's root may always read, replace or delete the bucket's
                // policy, even one that denies it everything (AWS's way out of a lockout:
                // <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>).
                if root
                    && (held.is_none()
                        || (BUCKET_POLICY_ACTIONS
                            .iter()
                            .any(|x| x.eq_ignore_ascii_case(a.action))
                            && held.as_ref().and_then(Held::owner)
                                == Some(&ctx.principal.account_id)))
                {
                    continue;
                }
                let policies = policy::Policies {
                    identity: identity.clone(),
                    permissions_boundary: boundary,
                    session: session.clone(),
                    resource: held.as_ref().map(|h| h.as_ref()),
                };
                let own = subject.principal.account();
                let request = policy::Request {
                    principal: &subject.principal,
                    action: a.action,
                    resource,
                    resource_account: held
                        .as_ref()
                        .and_then(|h| h.owner().map(String::as_str))
                        .or_else(|| arn_account(resource))
                        .or(owner.as_deref())
                        .filter(|acct| *acct != own),
                    context,
                };
                let e = policy::evaluate(&request, &policies);
                match e.decision {
                    policy::Decision::Allow => {}
                    policy::Decision::ExplicitDeny => {
                        return Err(self.denial(ctx, &e, a.action, resource, context));
                    }
                    policy::Decision::ImplicitDeny => {
                        if first_implicit.is_none() {
                            first_implicit = Some((e, a.action, resource.clone(), context.clone()));
                        }
                    }
                }
            }
        }
        match first_implicit {
            Some((e, action, resource, context)) => {
                Err(self.denial(ctx, &e, action, &resource, &context))
            }
            None => Ok(()),
        }
    }
}

impl Enforcer {
    /// `context` with the tags of the resource `arn` names, when it is an IAM user or role
    /// or a resource another service answers for; `None` when it has no tags to add.
    fn tagged_context(&self, context: &policy::Context, arn: &str) -> Option<policy::Context> {
        if arn == "*" {
            return None;
        }
        let iam = arn.starts_with("arn:aws:iam::");
        let tags = if iam {
            self.iam.resource_tags(arn)
        } else {
            self.resource_tags.as_ref().and_then(|t| t.tags(arn))
        }?;
        if tags.is_empty() {
            return None;
        }
        let mut c = context.clone();
        for (k, v) in &tags {
            c.set(&format!("aws:ResourceTag/{k}"), v.as_str());
            if iam {
                c.set(&format!("iam:ResourceTag/{k}"), v.as_str());
            }
        }
        Some(c)
    }
}

fn policy_ref(n: &NamedPolicy) -> policy::PolicyRef<'_> {
    policy::PolicyRef {
        id: &n.source,
        policy: &n.policy,
    }
}

impl Enforcer {
    /// The refusal of `action` on `resource`, in AWS's words; for mutating EC2 actions also
    /// the sealed details ("Encoded authorization failure message", which
    /// `sts:DecodeAuthorizationMessage` opens in the caller's account).
    fn denial(
        &self,
        ctx: &RequestContext,
        e: &policy::Evaluation,
        action: &str,
        resource: &str,
        context: &policy::Context,
    ) -> Denial {
        let shown = (resource != "*").then_some(resource);
        let message = e
            .denial_message(&ctx.principal.arn, action, shown)
            .unwrap_or_else(|| {
                format!(
                    "User: {} is not authorized to perform: {action}",
                    ctx.principal.arn
                )
            });
        let denial = Denial::new(message);
        // EC2 encodes the details of refused mutating calls; its read calls (`Describe*`,
        // `Get*`) answer with the message alone.
        let Some(name) = action.strip_prefix("ec2:") else {
            return denial;
        };
        if name.starts_with("Describe") || name.starts_with("Get") {
            return denial;
        }
        let details = policy::authorization_failure_json(
            &policy::FailedRequest {
                principal_id: &ctx.principal.user_id,
                principal_arn: &ctx.principal.arn,
                action,
                resource,
                context,
            },
            e,
        );
        denial.with_encoded(self.messages.seal(&ctx.principal.account_id, &details))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_accounts() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/x"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket/key"), None);
        assert_eq!(arn_account("*"), None);
        assert_eq!(
            arn_account("arn:aws:ec2:us-east-1:000000000000:security-group/sg-1"),
            Some("000000000000")
        );
    }

    #[test]
    fn the_deny_all_policy_allows_nothing() {
        let p = policy::Policy::deny_all(policy::PolicyKind::Session);
        let who = policy::Principal::user("1", "arn:aws:iam::1:user/u");
        let ctx = policy::Context::for_principal(&who);
        let e = policy::evaluate(
            &policy::Request {
                principal: &who,
                action: "s3:GetObject",
                resource: "*",
                resource_account: None,
                context: &ctx,
            },
            &policy::Policies {
                identity: vec![policy::PolicyRef {
                    id: "x",
                    policy: &p,
                }],
                ..Default::default()
            },
        );
        assert!(!e.is_allowed());
    }
}
