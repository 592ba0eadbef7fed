//! [`Defs`]: the state holder for what instances are defined from — key pairs, the
//! account's own images and launch templates — and for the instances themselves
//! (`inst_records`), beside (not inside) the networking state of
//! `state`, with its own lock, writer and store tables (`ec2.key_pairs`, `ec2.images`,
//! `ec2.launch_templates`, `ec2.instances`, `ec2.volumes`, schema version 1, keyed `{account}/{region}/{id}`). Writes follow
//! the same discipline as [`crate::Ec2::mutate`]: one writer plans a [`DefChange`] against
//! the current state, submits its batch to the store's ordered queue and applies it to
//! memory under the writer lock, then waits for durability with the lock released; a failed
//! commit reloads memory from the store. [`crate::Ec2`]'s reset clears this holder under
//! both writer locks. Records are shared (`Arc`) so reads hand them out without copying.

use crate::def_records::{ImageRec, KeyPairRec, TemplateRec};
use crate::inst_records::{DetachedVolumeRec, InstanceRec};
use crate::state::ScopeKey;
use nimbus_core::AwsError;
use nimbus_store::{Batch, Store, StoreError, Table};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

pub const KEY_PAIRS: Table<KeyPairRec> = Table::new("ec2.key_pairs", 1);
pub const IMAGES: Table<ImageRec> = Table::new("ec2.images", 1);
pub const TEMPLATES: Table<TemplateRec> = Table::new("ec2.launch_templates", 1);
pub const INSTANCES: Table<InstanceRec> = Table::new("ec2.instances", 1);
/// Volumes that outlived their instances.
pub const VOLUMES: Table<DetachedVolumeRec> = Table::new("ec2.volumes", 1);

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
    pub instances: HashMap<ScopeKey, BTreeMap<String, Arc<InstanceRec>>>,
    /// Volumes that outlived their instances, by volume id.
    pub volumes: HashMap<ScopeKey, BTreeMap<String, Arc<DetachedVolumeRec>>>,
}

impl DefsState {
    pub fn key_pairs_of(
        &self,
        account: &str,
        region: &str,
    ) -> Option<&BTreeMap<String, Arc<KeyPairRec>>> {
        self.key_pairs
            .get(&(account.to_string(), region.to_string()))
    }

    pub fn templates_of(
        &self,
        account: &str,
        region: &str,
    ) -> Option<&BTreeMap<String, Arc<TemplateRec>>> {
        self.templates
            .get(&(account.to_string(), region.to_string()))
    }

    pub fn instances_of(
        &self,
        account: &str,
        region: &str,
    ) -> Option<&BTreeMap<String, Arc<InstanceRec>>> {
        self.instances
            .get(&(account.to_string(), region.to_string()))
    }

    /// The instance `id` of (account, region).
    pub fn instance(&self, account: &str, region: &str, id: &str) -> Option<&Arc<InstanceRec>> {
        self.instances_of(account, region).and_then(|m| m.get(id))
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
        for i in change.put_instances {
            let scope = (i.account.clone(), i.region.clone());
            self.instances
                .entry(scope)
                .or_default()
                .insert(i.instance_id.clone(), Arc::new(i));
        }
        for (account, region, id) in change.delete_instances {
            if let Some(m) = self.instances.get_mut(&(account, region)) {
                m.remove(&id);
            }
        }
        for v in change.put_volumes {
            let scope = (v.account.clone(), v.region.clone());
            self.volumes
                .entry(scope)
                .or_default()
                .insert(v.volume.volume_id.clone(), Arc::new(v));
        }
        for (account, region, id) in change.delete_volumes {
            if let Some(m) = self.volumes.get_mut(&(account, region)) {
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
    pub put_instances: Vec<InstanceRec>,
    pub delete_instances: Vec<(String, String, String)>,
    pub put_volumes: Vec<DetachedVolumeRec>,
    pub delete_volumes: Vec<(String, String, String)>,
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
        for i in &self.put_instances {
            INSTANCES.put(&mut b, key(&i.account, &i.region, &i.instance_id), i);
        }
        for (a, r, id) in &self.delete_instances {
            INSTANCES.delete(&mut b, key(a, r, id));
        }
        for v in &self.put_volumes {
            VOLUMES.put(&mut b, key(&v.account, &v.region, &v.volume.volume_id), v);
        }
        for (a, r, id) in &self.delete_volumes {
            VOLUMES.delete(&mut b, key(a, r, id));
        }
        b
    }
}

fn load(store: &Store) -> Result<DefsState, StoreError> {
    let change = DefChange {
        put_key_pairs: KEY_PAIRS
            .scan(store, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        put_images: IMAGES
            .scan(store, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        put_templates: TEMPLATES
            .scan(store, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        put_instances: INSTANCES
            .scan(store, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        put_volumes: VOLUMES
            .scan(store, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        ..Default::default()
    };
    let mut st = DefsState::default();
    st.apply(change);
    Ok(st)
}

/// The holder: memory over the store, one writer at a time.
pub struct Defs {
    store: Store,
    /// Parameter Store's read side, for `resolve:ssm:` image ids (see
    /// [`crate::launch_templates::ParameterLookup`]).
    /// Set once, when the binary wires Parameter Store in (the handle is shared by then).
    parameters: std::sync::OnceLock<Arc<dyn crate::launch_templates::ParameterLookup>>,
    state: RwLock<DefsState>,
    pub(crate) writer: tokio::sync::Mutex<()>,
    /// EC2's change generation (this holder's writes and the networking state's; see
    /// [`crate::Ec2::subscribe_changes`]).
    pub(crate) changes: tokio::sync::watch::Sender<u64>,
}

impl Defs {
    pub fn load(store: Store) -> Result<Self, StoreError> {
        Ok(Defs {
            parameters: std::sync::OnceLock::new(),
            state: RwLock::new(load(&store)?),
            store,
            writer: tokio::sync::Mutex::new(()),
            changes: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Bumps the change generation (wakes every follower).
    pub(crate) fn notify_changed(&self) {
        self.changes.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Empties memory; the caller holds `writer` and has wiped the store.
    pub(crate) fn clear(&self) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = DefsState::default();
        self.notify_changed();
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
            self.notify_changed();
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
    /// This service with Parameter Store's read side wired in, so `resolve:ssm:` image ids
    /// resolve the account's own parameters as well as the public ones.
    pub fn with_parameters(self, p: Arc<dyn crate::launch_templates::ParameterLookup>) -> Self {
        // Only the first wiring counts; there is exactly one, in the binary.
        let _ = self.defs.parameters.set(p);
        self
    }

    /// The AMI a `resolve:ssm:` image id names for (account, region).
    pub fn resolve_ssm(
        &self,
        account: &str,
        region: &str,
        image_id: &str,
    ) -> Result<String, AwsError> {
        crate::launch_templates::resolve_ssm(
            self.defs.parameters.get().map(|p| p.as_ref()),
            account,
            region,
            image_id,
        )
    }

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

/// The plug point for `CreateTags` / `DeleteTags` / `DescribeTags` (which live with the
/// networking resources): the tags of this holder's resources, found by id prefix (`key-`,
/// `ami-`, `lt-`).
impl crate::Ec2 {
    /// Every key pair, own image and launch template of (account, region) with its EC2
    /// resource type (`key-pair`, `image`, `launch-template`) and tags.
    pub fn def_resource_tags(
        &self,
        account: &str,
        region: &str,
    ) -> Vec<(String, &'static str, Vec<crate::model::TagRec>)> {
        self.defs.read(|st| {
            let mut out = Vec::new();
            for k in st
                .key_pairs_of(account, region)
                .into_iter()
                .flat_map(|m| m.values())
            {
                out.push((k.key_pair_id.clone(), "key-pair", k.tags.clone()));
            }
            for i in st.images_in(region).into_iter().flat_map(|m| m.values()) {
                if i.owner == account {
                    out.push((i.image_id.clone(), "image", i.tags.clone()));
                }
            }
            for t in st
                .templates_of(account, region)
                .into_iter()
                .flat_map(|m| m.values())
            {
                out.push((t.template_id.clone(), "launch-template", t.tags.clone()));
            }
            for i in st
                .instances_of(account, region)
                .into_iter()
                .flat_map(|m| m.values())
                .filter(|i| !i.is_terminated())
            {
                out.push((i.instance_id.clone(), "instance", i.tags.clone()));
                for v in &i.volumes {
                    out.push((v.volume_id.clone(), "volume", v.tags.clone()));
                }
            }
            out
        })
    }

    /// Changes the tags of the key pair, own image or launch template `id` of (account,
    /// region) with `edit` (which may refuse, e.g. past the 50-tag limit), durably.
    /// `Ok(false)` when this holder has no such resource.
    pub async fn retag_def_resource(
        &self,
        account: &str,
        region: &str,
        id: &str,
        edit: impl FnOnce(&mut Vec<crate::model::TagRec>) -> Result<(), AwsError>,
    ) -> Result<bool, AwsError> {
        self.defs
            .mutate(|st| {
                let mut change = DefChange::default();
                if id.starts_with("key-") {
                    let found = st
                        .key_pairs_of(account, region)
                        .and_then(|m| m.values().find(|k| k.key_pair_id == id));
                    if let Some(k) = found {
                        let mut k = (**k).clone();
                        edit(&mut k.tags)?;
                        change.put_key_pairs.push(k);
                    }
                } else if id.starts_with("ami-") {
                    let found = st
                        .images_in(region)
                        .and_then(|m| m.get(id))
                        .filter(|i| i.owner == account);
                    if let Some(i) = found {
                        let mut i = (**i).clone();
                        edit(&mut i.tags)?;
                        change.put_images.push(i);
                    }
                } else if id.starts_with("lt-") {
                    if let Some(t) = st.templates_of(account, region).and_then(|m| m.get(id)) {
                        let mut t = (**t).clone();
                        edit(&mut t.tags)?;
                        change.put_templates.push(t);
                    }
                } else if id.starts_with("i-") {
                    if let Some(i) = st
                        .instance(account, region, id)
                        .filter(|i| !i.is_terminated())
                    {
                        let mut i = (**i).clone();
                        edit(&mut i.tags)?;
                        change.put_instances.push(i);
                    }
                } else if id.starts_with("vol-") {
                    let holder = st
                        .instances_of(account, region)
                        .into_iter()
                        .flat_map(|m| m.values())
                        .find(|i| i.volumes.iter().any(|v| v.volume_id == id));
                    if let Some(i) = holder {
                        let mut i = (**i).clone();
                        if let Some(v) = i.volumes.iter_mut().find(|v| v.volume_id == id) {
                            edit(&mut v.tags)?;
                        }
                        change.put_instances.push(i);
                    }
                }
                let found = !(change.put_key_pairs.is_empty()
                    && change.put_images.is_empty()
                    && change.put_templates.is_empty()
                    && change.put_instances.is_empty());
                Ok((change, found))
            })
            .await
    }
}
