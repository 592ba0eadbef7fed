//! [`Defs`]: the state holder for what instances are defined from — key pairs, the
//! account's own images and launch templates — beside (not inside) the networking state of
//! `state`, with its own lock, writer and store tables (`ec2.key_pairs`, `ec2.images`,
//! `ec2.launch_templates`, schema version 1, keyed `{account}/{region}/{id}`). Writes follow
//! the same discipline as [`crate::Ec2::mutate`]: one writer plans a [`DefChange`] against
//! the current state, submits its batch to the store's ordered queue and applies it to
//! memory under the writer lock, then waits for durability with the lock released; a failed
//! commit reloads memory from the store. [`crate::Ec2`]'s reset clears this holder under
//! both writer locks. Records are shared (`Arc`) so reads hand them out without copying.

use crate::def_records::{ImageRec, KeyPairRec, TemplateRec};
use crate::state::ScopeKey;
use nimbus_core::AwsError;
use nimbus_store::{Batch, Store, StoreError, Table};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

pub const KEY_PAIRS: Table<KeyPairRec> = Table::new("ec2.key_pairs", 1);
pub const IMAGES: Table<ImageRec> = Table::new("ec2.images", 1);
pub const TEMPLATES: Table<TemplateRec> = Table::new("ec2.launch_templates", 1);

fn key(account: &str, region: &str, id: &str) -> Vec<u8> {
    format!("{account}/{region}/{id}").into_bytes()
}

/// Every (account, region)'s key pairs by name, every region's registered images by id
/// (an image may be launchable by other accounts, so they are found by region), and every
/// (account, region)'s launch templates by id.
#[derive(Debug, Default)]
pub struct DefsState {
    pub key_pairs: HashMap<ScopeKey, BTreeMap<String, Arc<KeyPairRec>>>,
    pub images: HashMap<String, BTreeMap<String, Arc<ImageRec>>>,
    pub templates: HashMap<ScopeKey, BTreeMap<String, Arc<TemplateRec>>>,
}

impl DefsState {
    pub fn key_pairs_of(&self, account: &str, region: &str) -> Option<&BTreeMap<String, Arc<KeyPairRec>>> {
        self.key_pairs.get(&(account.to_string(), region.to_string()))
    }

    pub fn templates_of(&self, account: &str, region: &str) -> Option<&BTreeMap<String, Arc<TemplateRec>>> {
        self.templates.get(&(account.to_string(), region.to_string()))
    }

    pub fn images_in(&self, region: &str) -> Option<&BTreeMap<String, Arc<ImageRec>>> {
        self.images.get(region)
    }

    fn apply(&mut self, change: DefChange) {
        for k in change.put_key_pairs {
            let scope = (k.account.clone(), k.region.clone());
            self.key_pairs
                .entry(scope)
                .or_default()
                .insert(k.key_name.clone(), Arc::new(k));
        }
        for (account, region, name) in change.delete_key_pairs {
            if let Some(m) = self.key_pairs.get_mut(&(account, region)) {
                m.remove(&name);
            }
        }
        for i in change.put_images {
            self.images
                .entry(i.region.clone())
                .or_default()
                .insert(i.image_id.clone(), Arc::new(i));
        }
        for (_, region, id) in change.delete_images {
            if let Some(m) = self.images.get_mut(&region) {
                m.remove(&id);
            }
        }
        for t in change.put_templates {
            let scope = (t.account.clone(), t.region.clone());
            self.templates
                .entry(scope)
                .or_default()
                .insert(t.template_id.clone(), Arc::new(t));
        }
        for (account, region, id) in change.delete_templates {
            if let Some(m) = self.templates.get_mut(&(account, region)) {
                m.remove(&id);
            }
        }
    }
}

/// Everything one mutation of this holder writes. Deletions are (account, region, key):
/// the key pair's name, the image's or template's id.
#[derive(Debug, Default)]
pub struct DefChange {
    pub put_key_pairs: Vec<KeyPairRec>,
    pub delete_key_pairs: Vec<(String, String, String)>,
    pub put_images: Vec<ImageRec>,
    pub delete_images: Vec<(String, String, String)>,
    pub put_templates: Vec<TemplateRec>,
    pub delete_templates: Vec<(String, String, String)>,
}

impl DefChange {
    fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for k in &self.put_key_pairs {
            KEY_PAIRS.put(&mut b, key(&k.account, &k.region, &k.key_name), k);
        }
        for (a, r, n) in &self.delete_key_pairs {
            KEY_PAIRS.delete(&mut b, key(a, r, n));
        }
        for i in &self.put_images {
            IMAGES.put(&mut b, key(&i.owner, &i.region, &i.image_id), i);
        }
        for (a, r, id) in &self.delete_images {
            IMAGES.delete(&mut b, key(a, r, id));
        }
        for t in &self.put_templates {
            TEMPLATES.put(&mut b, key(&t.account, &t.region, &t.template_id), t);
        }
        for (a, r, id) in &self.delete_templates {
            TEMPLATES.delete(&mut b, key(a, r, id));
        }
        b
    }
}

fn load(store: &Store) -> Result<DefsState, StoreError> {
    let mut change = DefChange::default();
    change.put_key_pairs = KEY_PAIRS.scan(store, b"")?.into_iter().map(|(_, v)| v).collect();
    change.put_images = IMAGES.scan(store, b"")?.into_iter().map(|(_, v)| v).collect();
    change.put_templates = TEMPLATES.scan(store, b"")?.into_iter().map(|(_, v)| v).collect();
    let mut st = DefsState::default();
    st.apply(change);
    Ok(st)
}

/// The holder: memory over the store, one writer at a time.
pub struct Defs {
    store: Store,
    state: RwLock<DefsState>,
    pub(crate) writer: tokio::sync::Mutex<()>,
}

impl Defs {
    pub fn load(store: Store) -> Result<Self, StoreError> {
        Ok(Defs {
            state: RwLock::new(load(&store)?),
            store,
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// Empties memory; the caller holds `writer` and has wiped the store.
    pub(crate) fn clear(&self) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = DefsState::default();
    }

    pub fn read<R>(&self, f: impl FnOnce(&DefsState) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Plans a change against the current state, makes it durable, and returns the plan's
    /// answer. A refused plan writes nothing.
    pub async fn mutate<R>(
        &self,
        plan: impl FnOnce(&DefsState) -> Result<(DefChange, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, answer) = {
            let _w = self.writer.lock().await;
            let planned = self.read(plan);
            let (change, answer) = planned?;
            let durable = self.store.submit(change.batch());
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply(change);
            (durable, answer)
        };
        if let Err(e) = durable.await {
            let _w = self.writer.lock().await;
            // Batches apply in order: after this no-op barrier every earlier change has
            // landed or failed, so the reload sees exactly what the store holds.
            let mut barrier = Batch::new();
            barrier.delete(KEY_PAIRS.name(), b"\0barrier".to_vec());
            let _ = self.store.submit(barrier).await;
            if let Ok(st) = load(&self.store) {
                *self.state.write().unwrap_or_else(|e| e.into_inner()) = st;
            }
            return Err(AwsError::internal(format!(
                "EC2 state could not be stored: {e}"
            )));
        }
        Ok(answer)
    }
}

impl crate::Ec2 {
    /// The OpenSSH public key line of the key pair `name` of (account, region), for the
    /// parts of Nimbus that install it on instances; `None` when there is no such key pair.
    pub fn key_pair_public_key(&self, account: &str, region: &str, name: &str) -> Option<String> {
        self.defs.read(|st| {
            st.key_pairs_of(account, region)
                .and_then(|m| m.get(name))
                .map(|k| k.public_key.clone())
        })
    }
}
