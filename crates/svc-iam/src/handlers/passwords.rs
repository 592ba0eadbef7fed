//! Console passwords: the account password policy (`GetAccountPasswordPolicy`,
//! `UpdateAccountPasswordPolicy`, `DeleteAccountPasswordPolicy`), login profiles
//! (`CreateLoginProfile`, `GetLoginProfile`, `UpdateLoginProfile`, `DeleteLoginProfile`)
//! and `ChangePassword`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html>).
//!
//! - `UpdateAccountPasswordPolicy` replaces the whole policy: a parameter left out takes
//!   its default (the API reference: `MinimumPasswordLength` 6, every requirement off, no
//!   expiry, no reuse prevention), not its previous value.
//! - Every new password — set by an administrator or by the user — must satisfy the
//!   policy in force (or AWS's default policy, `crate::password`); `PasswordReusePrevention`
//!   applies when the user changes its own password, where it is about the user's history.
//! - Passwords are stored only as salted hashes (`crate::password::hash`), with a fresh
//!   salt per password from the injected ids, and never returned.
//! - `ChangePassword` is for IAM users acting on themselves: the root and role sessions
//!   get `InvalidUserType`. Whether the caller may call it at all is the authorizer's
//!   business (with the policy's `AllowUsersToChangePassword`, AWS grants it implicitly;
//!   see `codegen/authorization/iam.json`).

use super::common::target_user;
use crate::errors;
use crate::generated::*;
use crate::model::{HashRec, LoginRec, PasswordPolicyRec};
use crate::password;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::Checker;
use nimbus_core::{AwsError, PrincipalKind, RequestContext};

/// The API's default minimum length when `MinimumPasswordLength` is left out.
const DEFAULT_MIN_LENGTH: i32 = 6;
/// The most previous passwords `PasswordReusePrevention` can ask about.
const MAX_HISTORY: usize = 24;
/// Characters of salt per password.
const SALT_CHARS: usize = 16;

fn wire_policy(p: &PasswordPolicyRec) -> PasswordPolicy {
    PasswordPolicy {
        minimum_password_length: Some(p.min_length),
        require_symbols: Some(p.symbols),
        require_numbers: Some(p.numbers),
        require_uppercase_characters: Some(p.uppercase),
        require_lowercase_characters: Some(p.lowercase),
        allow_users_to_change_password: Some(p.allow_change),
        expire_passwords: Some(p.max_age.is_some()),
        max_password_age: p.max_age,
        password_reuse_prevention: p.reuse_prevention,
        hard_expiry: (p.hard_expiry || p.max_age.is_some()).then_some(p.hard_expiry),
    }
}

fn wire_login(user: &str, l: &LoginRec) -> LoginProfile {
    LoginProfile {
        user_name: user.to_string(),
        create_date: render::ts(l.created),
        password_reset_required: Some(l.reset_required),
    }
}

/// The user a login-profile call acts on: the named one, or the calling IAM user.
fn login_target(ctx: &RequestContext, name: Option<String>) -> Result<String, AwsError> {
    target_user(ctx, name)?.ok_or_else(|| {
        errors::validation_message("Must specify userName when calling with root credentials")
    })
}

/// A fresh salted hash of `pw`.
fn new_hash(iam: &Iam, pw: &str) -> HashRec {
    password::hash(&iam.ids.upper_alnum(SALT_CHARS), pw)
}

pub(super) async fn get_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetAccountPasswordPolicyResponse, AwsError> {
    iam.read(ctx, |_, acct| {
        acct.password_policy
            .as_ref()
            .map(|p| GetAccountPasswordPolicyResponse {
                password_policy: wire_policy(p),
            })
            .ok_or_else(|| errors::no_password_policy(ctx.account_id()))
    })
}

pub(super) async fn update_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateAccountPasswordPolicyRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .range(
            "minimumPasswordLength",
            input.minimum_password_length,
            6,
            128,
        )
        .range("maxPasswordAge", input.max_password_age, 1, 1095)
        .range(
            "passwordReusePrevention",
            input.password_reuse_prevention,
            1,
            24,
        )
        .done()?;
    let p = PasswordPolicyRec {
        account: ctx.account_id().to_string(),
        min_length: input.minimum_password_length.unwrap_or(DEFAULT_MIN_LENGTH),
        symbols: input.require_symbols.unwrap_or(false),
        numbers: input.require_numbers.unwrap_or(false),
        uppercase: input.require_uppercase_characters.unwrap_or(false),
        lowercase: input.require_lowercase_characters.unwrap_or(false),
        allow_change: input.allow_users_to_change_password.unwrap_or(false),
        max_age: input.max_password_age,
        reuse_prevention: input.password_reuse_prevention,
        hard_expiry: input.hard_expiry.unwrap_or(false),
    };
    iam.mutate(ctx, |_, _| Ok((Change::one(Op::PutPasswordPolicy(p)), ())))
        .await
}

pub(super) async fn delete_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct.password_policy.is_none() {
            return Err(errors::no_password_policy(&account));
        }
        Ok((Change::one(Op::DeletePasswordPolicy(account.clone())), ()))
    })
    .await
}

pub(super) async fn create_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateLoginProfileRequest,
) -> Result<CreateLoginProfileResponse, AwsError> {
    let name = login_target(ctx, input.user_name)?;
    // Optional in the model only for root sessions (`AssumeRoot`); an IAM user needs one.
    let pw = input.password.ok_or_else(|| {
        errors::validation_message(
            "Password is required when creating a login profile for an IAM user",
        )
    })?;
    let hash = new_hash(iam, &pw);
    let now = iam.now_ms(ctx);
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&name)?.clone();
        if u.login.is_some() {
            return Err(errors::login_profile_exists(&u.name));
        }
        password::check(acct.password_policy.as_ref(), &pw)?;
        let l = LoginRec {
            created: now,
            reset_required: input.password_reset_required.unwrap_or(false),
            password: hash,
            set_at: now,
            previous: Vec::new(),
        };
        let out = CreateLoginProfileResponse {
            login_profile: wire_login(&u.name, &l),
        };
        u.login = Some(l);
        Ok((Change::one(Op::PutUser(u)), out))
    })
    .await
}

pub(super) async fn get_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetLoginProfileRequest,
) -> Result<GetLoginProfileResponse, AwsError> {
    let name = login_target(ctx, input.user_name)?;
    iam.read(ctx, |_, acct| {
        let u = acct.user(&name)?;
        let l = u
            .login
            .as_ref()
            .ok_or_else(|| errors::no_login_profile(&u.name))?;
        Ok(GetLoginProfileResponse {
            login_profile: wire_login(&u.name, l),
        })
    })
}

pub(super) async fn update_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateLoginProfileRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("userName", &input.user_name, 64)
        .done()?;
    let hash = input.password.as_deref().map(|pw| new_hash(iam, pw));
    let now = iam.now_ms(ctx);
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&input.user_name)?.clone();
        let Some(l) = u.login.as_mut() else {
            return Err(errors::no_login_profile(&u.name));
        };
        if let (Some(pw), Some(h)) = (input.password.as_deref(), hash) {
            password::check(acct.password_policy.as_ref(), pw)?;
            set_password(l, h, now);
        }
        if let Some(r) = input.password_reset_required {
            l.reset_required = r;
        }
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

/// Makes `h` the current password, keeping the one before it in the history.
fn set_password(l: &mut LoginRec, h: HashRec, now: i64) {
    let old = std::mem::replace(&mut l.password, h);
    l.previous.insert(0, old);
    l.previous.truncate(MAX_HISTORY);
    l.set_at = now;
}

pub(super) async fn delete_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteLoginProfileRequest,
) -> Result<(), AwsError> {
    let name = login_target(ctx, input.user_name)?;
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&name)?.clone();
        if u.login.take().is_none() {
            return Err(errors::no_login_profile(&u.name));
        }
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn change_password(
    iam: &Iam,
    ctx: &RequestContext,
    input: ChangePasswordRequest,
) -> Result<(), AwsError> {
    if ctx.principal.kind != PrincipalKind::User {
        return Err(errors::not_an_iam_user());
    }
    let name = target_user(ctx, None)?.ok_or_else(errors::not_an_iam_user)?;
    let hash = new_hash(iam, &input.new_password);
    let now = iam.now_ms(ctx);
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&name)?.clone();
        let Some(l) = u.login.as_mut() else {
            return Err(errors::no_login_profile(&u.name));
        };
        if !password::matches(&l.password, &input.old_password) {
            return Err(errors::wrong_old_password());
        }
        let policy = acct.password_policy.as_ref();
        password::check(policy, &input.new_password)?;
        if let Some(n) = policy.and_then(|p| p.reuse_prevention) {
            if password::reused(&l.password, &l.previous, n as usize, &input.new_password) {
                return Err(errors::password_violation(
                    "Password was used recently and cannot be reused.",
                ));
            }
        }
        set_password(l, hash, now);
        l.reset_required = false;
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}
