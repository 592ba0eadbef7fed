//! [`Ssm`], the service's state holder: every (account, region)'s parameters in memory,
//! loaded from the store at startup. Reads are served from memory. Writes go through
//! [`Ssm::mutate`]: one writer at a time plans a [`Change`] against the current state,
//! submits it to the store's ordered writer queue and applies it to memory; then, with the
//! lock released, the caller waits until the change is durable before answering. If the
//! store fails a commit, memory is reloaded from the store. A reset holds the writer lock
//! while the store is wiped (the same discipline as svc-ec2's state).

use crate::model::ParamRec;
use crate::persist::{self, Change};
use nimbus_core::{AwsError, Ids, RequestContext};
use nimbus_store::{Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// One (account, region)'s parameters by name (sorted, so listings page by name).
pub type Scope = BTreeMap<String, ParamRec>;

/// All scopes, keyed (account id, region).
#[derive(Debug, Default)]
pub struct State {
    pub scopes: HashMap<(String, String), Scope>,
}

impl State {
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

    fn loaded(params: Vec<ParamRec>) -> State {
        let mut st = State::default();
        st.apply(Change {
            put: params,
            delete: Vec::new(),
        });
        st
    }
}

/// The Parameter Store service: implements the generated `Handlers` trait (see `handlers`).
pub struct Ssm {
    store: Store,
    pub(crate) ids: Arc<Ids>,
    state: Arc<RwLock<State>>,
    writer: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Ssm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssm").finish_non_exhaustive()
    }
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::new(
        "InternalServerError",
        500,
        format!("Parameter Store state could not be stored: {e}"),
    )
}

static EMPTY: Scope = BTreeMap::new();

impl Ssm {
    /// Loads every stored parameter.
    pub fn load(store: Store, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let state = State::loaded(persist::load(&store)?);
        Ok(Ssm {
            store,
            ids,
            state: Arc::new(RwLock::new(state)),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// The read side other services resolve `resolve:ssm:` references through.
    pub fn parameters(&self) -> Parameters {
        Parameters {
            state: self.state.clone(),
        }
    }

    /// Resets Parameter Store together with `then` (see [`nimbus_wire::Service::reset`]).
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.writer.lock().await;
            then.await?;
            *self.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
            Ok(())
        })
    }

    /// Runs `f` on the caller's scope.
    pub fn read<R>(&self, ctx: &RequestContext, f: impl FnOnce(&Scope) -> R) -> R {
        let st = self.state.read().unwrap_or_else(|e| e.into_inner());
        let key = (ctx.account_id().to_string(), ctx.region.clone());
        f(st.scopes.get(&key).unwrap_or(&EMPTY))
    }

    /// Plans a change with `plan` (which sees the caller's scope), submits and applies it,
    /// and returns the plan's answer once the change is durable.
    pub async fn mutate<R>(
        &self,
        ctx: &RequestContext,
        plan: impl FnOnce(&Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, answer) = {
            let _w = self.writer.lock().await;
            let (change, answer) = self.read(ctx, plan)?;
            let durable = self.store.submit(change.batch());
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply(change);
            (durable, answer)
        };
        if let Err(e) = durable.await {
            let _w = self.writer.lock().await;
            // A no-op barrier: once it settles, every earlier batch has landed or failed.
            let mut barrier = nimbus_store::Batch::new();
            barrier.delete(persist::PARAMETERS.name(), b"\0barrier".to_vec());
            let _ = self.store.submit(barrier).await;
            if let Ok(params) = persist::load(&self.store) {
                *self.state.write().unwrap_or_else(|e| e.into_inner()) = State::loaded(params);
            }
            return Err(store_error(e));
        }
        Ok(answer)
    }
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
    state: Arc<RwLock<State>>,
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
        let st = self.state.read().unwrap_or_else(|e| e.into_inner());
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
