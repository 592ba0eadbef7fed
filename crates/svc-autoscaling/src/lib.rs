//! Amazon EC2 Auto Scaling (query protocol, botocore model `autoscaling`): launch
//! configurations; groups over launch templates or configurations across zones, with their
//! tags, target groups, suspended processes, lifecycle hooks, standby and notification
//! configurations; scaling policies (simple, step, target tracking) and scheduled actions;
//! the group reconciler; activity history. Durable and reset-aware.
//!
//! `generated` is the wire model and `Handlers` trait produced by `codegen/`; `handlers`
//! implements it, one module per resource; [`AutoScaling`] (`state`) holds the records
//! (`model`) over the store (`persist`). Policy math is in [`scaling`], running a policy
//! (alarm actions, `ExecutePolicy`) in `apply`, cron schedules in `cron`. The [`reconciler`]
//! worker drives groups to their desired capacity (launches in `launch`, placement and
//! termination choice in `termination`), words activities with `capacity` and publishes
//! notifications with `notify`. What Auto Scaling needs from EC2, ELB, CloudWatch and SNS
//! comes through the traits of [`deps`], which the binary wires.

mod apply;
mod capacity;
mod cron;
pub mod deps;
mod errors;
pub mod generated;
mod handlers;
mod launch;
pub mod model;
mod notify;
mod persist;
pub mod reconciler;
mod render;
pub mod scaling;
mod state;
mod termination;

pub use deps::Deps;
pub use reconciler::Reconciler;
pub use state::AutoScaling;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The Auto Scaling service over `store`, and its handle (for the reconciler and for
/// CloudWatch's alarm actions).
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    deps: Deps,
) -> Result<(Arc<dyn nimbus_wire::Service>, AutoScaling), StoreError> {
    let svc = AutoScaling::load(store, clock, ids, deps)?;
    Ok((Arc::new(generated::Router(svc.clone())), svc))
}
