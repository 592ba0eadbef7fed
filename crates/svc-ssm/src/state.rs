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
            self.scopes.entry(key).or_default().insert(p.name.clone(), p);
        }
        for (account, region, name) in change.delete {
            if let Some(s) = self.scopes.get_mut(&(account, region)) {
                s.remove(&name);
            }
        }
    }

    fn loaded(params: Vec<ParamRec>) -> State {
        let mut st = State::default();
        st.apply(Change { put: params, delete: Vec::new() });
        st
    }
}

/// The Parameter Store service: implements the generated `Handlers` trait (see `handlers`).
pub struct Ssm {
    store: Store,
    pub(crate) ids: Arc<Ids>,
    state: RwLock<State>,
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
            state: RwLock::new(state),
            writer: tokio::sync::Mutex::new(()),
        })
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
            self.state.write().unwrap_or_else(|e| e.into_inner()).apply(change);
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
