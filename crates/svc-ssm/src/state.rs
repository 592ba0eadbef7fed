//! [`Ssm`], the service's state holder: every (account, region)'s parameters in memory,
//! loaded from the store at startup and held by a [`Durable`]: reads are served from
//! memory; writes go through [`Ssm::mutate`], which plans a [`Change`] against the
//! caller's scope, and the change reaches memory once it is durable (a failed commit
//! reloads memory from the store; decision 0011). A reset empties memory after the store's
//! wipe with no write in flight.

use crate::model::ParamRec;
use crate::persist::{self, Change};
use nimbus_core::{AwsError, Ids, RequestContext};
use nimbus_store::{Batch, Durable, Persisted, Store, StoreError, View};
use nimbus_wire::ResetStep;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One (account, region)'s parameters by name (sorted, so listings page by name).
pub type Scope = BTreeMap<String, ParamRec>;

/// All scopes, keyed (account id, region).
#[derive(Debug, Default)]
pub struct State {
    pub scopes: HashMap<(String, String), Scope>,
}

impl Persisted for State {
    type Change = Change;

    fn load(store: &Store) -> Result<Self, StoreError> {
        let mut st = State::default();
        st.apply(Change {
            put: persist::load(store)?,
            delete: Vec::new(),
        });
        Ok(st)
    }

    fn write(change: &Change, batch: &mut Batch) {
        batch.append(change.batch());
    }

    fn apply(&mut self, change: Change) {
        for p in change.put {
            let key = (p.account.clone(), p.region.clone());
            self.scopes
                .entry(key)
                .or_default()
                .insert(p.name.clone(), p);
        }
        for (account, region, name) in change.delete {
            if let Some(s) = self.scopes.get_mut(&(account, region)) {
                s.remove(&name);
            }
        }
    }
}

/// The Parameter Store service: implements the generated `Handlers` trait (see `handlers`).
pub struct Ssm {
    pub(crate) ids: Arc<Ids>,
    state: Durable<State>,
}

impl std::fmt::Debug for Ssm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssm").finish_non_exhaustive()
    }
}

static EMPTY: Scope = BTreeMap::new();

impl Ssm {
    /// Loads every stored parameter.
    pub fn load(store: Store, ids: Arc<Ids>) -> Result<Self, StoreError> {
        Ok(Ssm {
            ids,
            state: Durable::load("ssm", store)?,
        })
    }

    /// The read side other services resolve `resolve:ssm:` references through.
    pub fn parameters(&self) -> Parameters {
        Parameters {
            state: self.state.view(),
        }
    }

    /// Resets Parameter Store together with `then` (see [`nimbus_wire::Service::reset`]).
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(self.state.reset_with(then))
    }

    /// Runs `f` on the caller's scope.
    pub fn read<R>(&self, ctx: &RequestContext, f: impl FnOnce(&Scope) -> R) -> R {
        scope_of(&self.state.read(), ctx, f)
    }

    /// Plans a change with `plan` (which sees the caller's scope), makes it durable and
    /// applies it, and returns the plan's answer.
    pub async fn mutate<R>(
        &self,
        ctx: &RequestContext,
        plan: impl FnOnce(&Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        self.state
            .mutate(|st| scope_of(st, ctx, plan))
            .await
            .map_err(|e| e.or_store(crate::errors::store_failure))
    }
}

fn scope_of<R>(st: &State, ctx: &RequestContext, f: impl FnOnce(&Scope) -> R) -> R {
    let key = (ctx.account_id().to_string(), ctx.region.clone());
    f(st.scopes.get(&key).unwrap_or(&EMPTY))
}

/// A parameter value as another service sees it when it resolves a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The plaintext value (SecureString included: the caller decides whether it may use one).
    pub value: String,
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    pub r#type: String,
    /// `text`, `aws:ec2:image` or `aws:ssm:integration`.
    pub data_type: String,
}

/// The read side of Parameter Store for the rest of Nimbus (wired in the binary's `app.rs`):
/// resolves `NAME`, `NAME:VERSION` or `NAME:LABEL` in an account and region — its own
/// parameters and the public `/aws/service/…` ones — as EC2's `resolve:ssm:` does.
#[derive(Clone)]
pub struct Parameters {
    state: View<State>,
}

impl std::fmt::Debug for Parameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameters").finish_non_exhaustive()
    }
}

impl Parameters {
    pub fn resolve(&self, account: &str, region: &str, reference: &str) -> Option<Resolved> {
        use crate::validate::{split_selector, Selector};
        let (name, selector) = split_selector(reference).ok()?;
        if crate::public::is_public(&name) {
            let (p, image) = nimbus_images::resolve_parameter(region, &name)?;
            let current = p.version as i64;
            return match selector {
                Selector::None => Some(current),
                Selector::Version(v) if v == current => Some(current),
                _ => None,
            }
            .map(|version| Resolved {
                value: image.id,
                version,
                r#type: "String".to_string(),
                data_type: p.data_type.to_string(),
            });
        }
        let st = self.state.read();
        let p = st
            .scopes
            .get(&(account.to_string(), region.to_string()))?
            .get(&name)?;
        let v = match selector {
            Selector::None => p.latest(),
            Selector::Version(n) => p.version(n)?,
            Selector::Label(l) => p.labelled(&l)?,
        };
        Some(Resolved {
            value: v.value.clone(),
            version: v.version,
            r#type: v.r#type.clone(),
            data_type: v.data_type.clone(),
        })
    }
}
