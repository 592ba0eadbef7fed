//! What the gateway's admin endpoints need from the wiring ([`crate::app`]): wiping the
//! store for a reset, and keeping the Nimbus clock in the store so that Nimbus time survives
//! restarts (a [`ClockCheckpoint`] under `nimbus_store::CLOCK_KEY` in the metadata table,
//! which a wipe keeps). The rules for resuming the clock are `NimbusClock::resume`'s; this
//! module only loads and saves. A clock injected by a test or the fuzz harness belongs to
//! its caller and is never saved.

use nimbus_core::{ClockCheckpoint, NimbusClock};
use nimbus_gateway::admin::AdminHooks;
use nimbus_store::{Batch, Store, StoreError, Table, CLOCK_KEY, META_TABLE};
use nimbus_wire::{BoxFut, ResetError, ResetStep};
use nimbus_workers::Workers;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// `%XX` escapes and `+` of a query value, decoded.
fn percent_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The clock's checkpoint record (schema version 1).
const CLOCK: Table<ClockCheckpoint> = Table::new(META_TABLE, 1);

/// The clock saved by an earlier run, if any.
pub fn load_clock(store: &Store) -> Result<Option<ClockCheckpoint>, StoreError> {
    CLOCK.get(store, CLOCK_KEY)
}

/// The admin hooks over the store and (unless the clock was injected) the clock.
pub struct Hooks {
    store: Store,
    /// `None` for an injected clock: it has no checkpoint, and its owner decides its time.
    clock: Option<Arc<NimbusClock>>,
    /// Orders checkpoint-taking with submitting, so a later checkpoint always lands last.
    saving: Mutex<()>,
    /// The background workers, reported by health.
    pub workers: Arc<Workers>,
    /// SNS's outbox and confirmation endpoints (`/_nimbus/sns/…`), once SNS is built.
    sns: std::sync::OnceLock<svc_sns::Handle>,
    /// ACM's root CA (`GET /_nimbus/acm/ca.pem`), once ACM is built.
    acm: std::sync::OnceLock<svc_acm::Certificates>,
    /// The account audit (`GET /_nimbus/audit[?account=ID]`): IAM, the default account and
    /// the clock, once IAM is built.
    audit: std::sync::OnceLock<(svc_iam::Directory, String, Arc<dyn nimbus_core::Clock>)>,
    /// EC2's running instances, for the audit's `instances-without-profile` check.
    audit_instances: std::sync::OnceLock<Arc<dyn svc_iam::InstanceLookup>>,
}

/// Where Nimbus serves its root CA's certificate (what `nimbus ca` prints).
pub const CA_PATH: &str = "/_nimbus/acm/ca.pem";

impl Hooks {
    /// Hooks that keep `clock` in `store`.
    pub fn new(store: Store, clock: Arc<NimbusClock>) -> Self {
        Hooks {
            store,
            clock: Some(clock),
            saving: Mutex::new(()),
            workers: Arc::new(Workers::new()),
            sns: std::sync::OnceLock::new(),
            acm: std::sync::OnceLock::new(),
            audit: std::sync::OnceLock::new(),
            audit_instances: std::sync::OnceLock::new(),
        }
    }

    /// Serves the account audit (`GET /_nimbus/audit[?account=ID]`, default `account`)
    /// over IAM's `directory` at `clock`'s time.
    pub fn set_audit(
        &self,
        directory: svc_iam::Directory,
        account: String,
        clock: Arc<dyn nimbus_core::Clock>,
    ) {
        let _ = self.audit.set((directory, account, clock));
    }

    /// Lets the audit see EC2's running instances.
    pub fn set_audit_instances(&self, instances: Arc<dyn svc_iam::InstanceLookup>) {
        let _ = self.audit_instances.set(instances);
    }

    /// Serves SNS's admin endpoints (`GET /_nimbus/sns/outbox[?to=ADDRESS]`,
    /// `GET /_nimbus/sns/confirm?TopicArn=…&Token=…`,
    /// `GET /_nimbus/sns/unsubscribe?SubscriptionArn=…`) through `handle`.
    pub fn set_sns(&self, handle: svc_sns::Handle) {
        let _ = self.sns.set(handle);
    }

    /// Serves ACM's root CA certificate at [`CA_PATH`].
    pub fn set_acm(&self, certificates: svc_acm::Certificates) {
        let _ = self.acm.set(certificates);
    }

    /// Hooks that only wipe `store`; saving the clock succeeds without doing anything.
    pub fn without_clock(store: Store) -> Self {
        Hooks {
            store,
            clock: None,
            saving: Mutex::new(()),
            workers: Arc::new(Workers::new()),
            sns: std::sync::OnceLock::new(),
            acm: std::sync::OnceLock::new(),
            audit: std::sync::OnceLock::new(),
            audit_instances: std::sync::OnceLock::new(),
        }
    }

    /// Queues IAM's unsaved credential use (last use, Access Advisor's attempts) and the
    /// clock's current checkpoint for the store; resolves once the checkpoint is durable
    /// (the store applies batches in order, so the use has landed too).
    pub fn save(&self) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        if let Some((iam, _, _)) = self.audit.get() {
            // Submitted now; a failure loses only "last used" facts, as a crash would.
            drop(iam.flush_usage());
        }
        // Submitted now, not when first polled, so the order of calls is the order of writes.
        let durable = self.clock.as_ref().map(|clock| {
            let _order = self.saving.lock().unwrap_or_else(|e| e.into_inner());
            let mut batch = Batch::new();
            CLOCK.put(&mut batch, CLOCK_KEY, &clock.checkpoint());
            self.store.submit(batch)
        });
        async move {
            match durable {
                Some(durable) => durable.await,
                None => Ok(()),
            }
        }
    }
}

impl AdminHooks for Hooks {
    fn wipe_store(&self) -> ResetStep<'_> {
        Box::pin(async move {
            self.store
                .wipe_async()
                .await
                .map_err(|e| ResetError(e.to_string()))
        })
    }

    fn reset_clock(&self) -> BoxFut<'_, Result<(), String>> {
        let Some(clock) = &self.clock else {
            return Box::pin(async {
                Err("this Nimbus's clock belongs to its embedder".to_string())
            });
        };
        clock.back_to_wall();
        let durable = self.save();
        Box::pin(async move { durable.await.map_err(|e| e.to_string()) })
    }

    fn degraded(&self) -> Option<String> {
        self.store.degraded()
    }

    fn workers(&self) -> serde_json::Value {
        serde_json::to_value(self.workers.status()).unwrap_or_default()
    }

    fn instance_sandbox(&self) -> serde_json::Value {
        nimbus_runtime::tier::current().to_json()
    }

    fn save_clock(&self) -> BoxFut<'_, Result<(), String>> {
        let durable = self.save();
        Box::pin(async move { durable.await.map_err(|e| e.to_string()) })
    }

    fn extra<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        query: &'a str,
        _body: &'a [u8],
    ) -> Option<BoxFut<'a, (u16, String)>> {
        if (method, path) == ("GET", CA_PATH) {
            let pem = self.acm.get()?.ca_pem();
            return Some(Box::pin(async move { (200, pem) }));
        }
        if (method, path) == ("GET", "/_nimbus/audit") {
            let (iam, default, clock) = self.audit.get()?;
            let account = query
                .split('&')
                .find_map(|p| p.strip_prefix("account="))
                .map(percent_decode)
                .unwrap_or_else(|| default.clone());
            let instances = self.audit_instances.get().map(|i| &**i);
            let report = iam.audit_with(&account, clock.now(), instances);
            let body = serde_json::to_string(&report).unwrap_or_default();
            return Some(Box::pin(async move { (200, body) }));
        }
        let sns = self.sns.get()?;
        match (method, path) {
            ("GET", "/_nimbus/sns/outbox") => {
                let to = query
                    .split('&')
                    .find_map(|p| p.strip_prefix("to="))
                    .map(percent_decode);
                let body = sns.outbox_json(to.as_deref()).to_string();
                Some(Box::pin(async move { (200, body) }))
            }
            ("GET", svc_sns::signing::CERT_PATH) => Some(Box::pin(async move {
                match sns.cert_pem().await {
                    Some(pem) => (200, pem),
                    None => (
                        503,
                        "{\"error\": \"the signing key could not be made\"}".to_string(),
                    ),
                }
            })),
            ("GET", "/_nimbus/sns/unsubscribe") => Some(Box::pin(async move {
                let (status, v) = sns.unsubscribe_by_url(query).await;
                (status, v.to_string())
            })),
            ("GET", "/_nimbus/sns/confirm") => Some(Box::pin(async move {
                let (status, v) = sns.confirm_by_url(query).await;
                (status, v.to_string())
            })),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Clock;
    use std::time::Duration;

    const DAY_MS: i64 = 86_400_000;

    #[tokio::test]
    async fn the_clock_survives_a_restart_and_a_reset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let saved_at = {
            let store = Store::open_dir(dir.path()).expect("open");
            assert_eq!(load_clock(&store).expect("load"), None);
            let clock = Arc::new(NimbusClock::new(1.0));
            let hooks = Hooks::new(store.clone(), clock.clone());
            clock.advance(Duration::from_secs(86_400));
            hooks.save_clock().await.expect("save");
            hooks.wipe_store().await.expect("wipe");
            store.shutdown();
            clock.now()
        };
        let store = Store::open_dir(dir.path()).expect("reopen");
        let saved = load_clock(&store).expect("load").expect("a checkpoint");
        assert_eq!(saved.advanced_ms, DAY_MS);
        let clock = NimbusClock::resume(1.0, Some(saved));
        assert!(clock.now() >= saved_at, "Nimbus time went backwards");
        assert!(clock.now().0 - clock.real_now().0 >= DAY_MS - 60_000);
    }
}
