//! [`Acm`], the service's state holder: every account's and region's certificates in
//! memory (keyed by ARN) over the store, and the root CA. Writes go through
//! [`Inner::mutate`] (plan → submit → apply under one writer lock, then wait until
//! durable). [`Certificates`] is the read side other services use: the issued material of a
//! certificate (ELB terminates TLS with it) and the root CA's PEM; the load balancers tell
//! ACM who uses a certificate through [`Users`], a trait this crate owns.

use crate::ca::{self, CaRec};
use crate::model::{CertRec, CA, CA_KEY, CERTS};
use nimbus_core::{AwsError, Clock, Ids};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Who uses certificates (the load balancers' listeners), as ACM asks.
pub trait Users: Send + Sync + 'static {
    /// The ARNs of the resources using certificate `arn` (`InUseBy`).
    fn users(&self, arn: &str) -> Vec<String>;
    /// A certificate's material changed (re-imported) or it was deleted.
    fn changed(&self);
}

/// One change: records to put, ARNs to delete.
#[derive(Default)]
pub struct Change {
    pub put: Vec<CertRec>,
    pub delete: Vec<String>,
}

pub struct Inner {
    store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<Ids>,
    state: RwLock<BTreeMap<String, CertRec>>,
    writer: tokio::sync::Mutex<()>,
    pub(crate) ca: CaRec,
    users: OnceLock<Arc<dyn Users>>,
}

/// The ACM service (implements the generated `Handlers`, see `handlers`).
pub struct Acm(pub(crate) Arc<Inner>);

/// ACM's read side for other services.
#[derive(Clone)]
pub struct Certificates(Arc<Inner>);

/// [`Certificates`] that does not keep ACM alive: for a service ACM itself holds through
/// [`Users`] (a strong handle both ways would be a reference cycle keeping the store open).
#[derive(Clone)]
pub struct WeakCertificates(std::sync::Weak<Inner>);

impl WeakCertificates {
    /// [`Certificates::material`], or `None` once ACM is gone.
    pub fn material(&self, account: &str, region: &str, arn: &str) -> Option<Material> {
        Certificates(self.0.upgrade()?).material(account, region, arn)
    }
}

/// An issued certificate as a TLS server needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Material {
    /// The certificate, then its chain, PEM.
    pub chain_pem: String,
    pub key_pem: String,
    /// The names it serves (its subject alternative names, else its common name).
    pub names: Vec<String>,
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("ACM state could not be stored: {e}"))
}

fn loaded(store: &Store) -> Result<BTreeMap<String, CertRec>, StoreError> {
    Ok(CERTS
        .scan(store, b"")?
        .into_iter()
        .map(|(_, r)| (r.arn.clone(), r))
        .collect())
}

impl Acm {
    /// Loads every stored certificate and the root CA (made and stored on first use).
    pub fn load(store: Store, clock: Arc<dyn Clock>, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let ca = match CA.get(&store, CA_KEY)? {
            Some(ca) => ca,
            None => {
                let ca = ca::new_ca(clock.real_now().secs()).map_err(|e| {
                    StoreError::Engine(format!("the Nimbus root CA could not be made: {e}"))
                })?;
                let mut b = Batch::new();
                CA.put(&mut b, CA_KEY, &ca);
                store.commit_blocking(b)?;
                ca
            }
        };
        let state = loaded(&store)?;
        Ok(Acm(Arc::new(Inner {
            store,
            clock,
            ids,
            state: RwLock::new(state),
            writer: tokio::sync::Mutex::new(()),
            ca,
            users: OnceLock::new(),
        })))
    }

    pub fn certificates(&self) -> Certificates {
        Certificates(self.0.clone())
    }
}

impl Inner {
    pub fn read<R>(&self, f: impl FnOnce(&BTreeMap<String, CertRec>) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The ARNs of the resources using `arn`.
    pub fn users_of(&self, arn: &str) -> Vec<String> {
        self.users.get().map(|u| u.users(arn)).unwrap_or_default()
    }

    pub fn notify_users(&self) {
        if let Some(u) = self.users.get() {
            u.changed();
        }
    }

    /// Plans a change, submits it, applies it, and answers once it is durable.
    pub async fn mutate<R>(
        &self,
        plan: impl FnOnce(&BTreeMap<String, CertRec>) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let durable = {
            let _w = self.writer.lock().await;
            let (change, answer) = self.read(plan)?;
            if change.put.is_empty() && change.delete.is_empty() {
                return Ok(answer);
            }
            let mut b = Batch::new();
            for r in &change.put {
                CERTS.put(&mut b, r.arn.clone(), r);
            }
            for a in &change.delete {
                CERTS.delete(&mut b, a.clone());
            }
            let durable = self.store.submit(b);
            {
                let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
                for r in change.put {
                    st.insert(r.arn.clone(), r);
                }
                for a in change.delete {
                    st.remove(&a);
                }
            }
            (durable, answer)
        };
        let (durable, answer) = durable;
        if let Err(e) = durable.await {
            let _w = self.writer.lock().await;
            if let Ok(st) = loaded(&self.store) {
                *self.state.write().unwrap_or_else(|e| e.into_inner()) = st;
            }
            return Err(store_error(e));
        }
        Ok(answer)
    }

    /// Wipes every certificate with `then` (the store's wipe), then writes the root CA back:
    /// the CA belongs to the data directory, not to an account.
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.writer.lock().await;
            then.await?;
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            let mut b = Batch::new();
            CA.put(&mut b, CA_KEY, &self.ca);
            self.store
                .submit(b)
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))?;
            drop(_w);
            self.notify_users();
            Ok(())
        })
    }
}

impl Certificates {
    /// The root CA's certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.0.ca.cert_pem.clone()
    }

    /// A handle that does not keep ACM alive.
    pub fn downgrade(&self) -> WeakCertificates {
        WeakCertificates(Arc::downgrade(&self.0))
    }

    /// Tells ACM who uses certificates (set once, at wiring).
    pub fn set_users(&self, users: Arc<dyn Users>) {
        let _ = self.0.users.set(users);
    }

    /// The material of certificate `arn` of `account` in `region` if it is issued (and not
    /// expired) now.
    pub fn material(&self, account: &str, region: &str, arn: &str) -> Option<Material> {
        let now = self.0.clock.now().0;
        self.0.read(|st| {
            let r = st.get(arn)?;
            if r.account != account || r.region != region || r.status(now) != "ISSUED" {
                return None;
            }
            Some(Material {
                chain_pem: format!("{}{}", ensure_nl(&r.cert_pem), r.chain_pem),
                key_pem: r.key_pem.clone(),
                names: r.sans.clone(),
            })
        })
    }
}

fn ensure_nl(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}
