//! What receivers are built from, as the watches last saw it: the receiver
//! entries of every ProjectConfig and ClusterConfig, and the watched Secrets
//! (only the keys some provider needs).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::Secret;
use kargo_webhook_provider::{Registry, SecretValue};
use kube::ResourceExt;
use tokio::sync::Notify;

use super::resolve::{Owner, SecretData};
use super::token::Scope;
use crate::kargo::{ClusterConfig, ProjectConfig, ReceiversStatus, WebhookReceiverConfig};
use crate::watch::WatchHandler;

/// One ProjectConfig or ClusterConfig as last seen.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// `spec.webhookReceivers`.
    pub receivers: Vec<WebhookReceiverConfig>,
    /// The current `status`, to publish only what changed.
    pub status: Option<ReceiversStatus>,
}

/// Everything receivers are built from.
#[derive(Debug, Default)]
pub struct Sources {
    /// Configs by owner.
    pub configs: HashMap<Owner, ConfigEntry>,
    /// Secrets by (namespace, name).
    pub secrets: HashMap<(String, String), Arc<SecretData>>,
}

/// [`Sources`] shared between the watches, the table builder and the status
/// publisher, with notifications for each.
#[derive(Debug, Default)]
pub struct SharedSources {
    sources: Mutex<Sources>,
    /// Woken when something receivers depend on changed.
    pub receivers_changed: Notify,
    /// Woken when a config's status changed (someone else may have written it).
    pub status_changed: Notify,
}

impl SharedSources {
    /// Locks the sources.
    pub fn lock(&self) -> MutexGuard<'_, Sources> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A resource that declares webhook receivers: ProjectConfig or ClusterConfig.
pub trait ConfigKind: Send + 'static {
    /// The scope of its receivers.
    const SCOPE: Scope;
    /// Its owner key and the parts receivers are built from.
    fn entry(&self) -> (Owner, ConfigEntry);
}

impl ConfigKind for ProjectConfig {
    const SCOPE: Scope = Scope::Project;
    fn entry(&self) -> (Owner, ConfigEntry) {
        (
            Owner {
                scope: Scope::Project,
                namespace: self.namespace().unwrap_or_default(),
                name: self.name_any(),
            },
            ConfigEntry {
                generation: self.metadata.generation,
                receivers: self.spec.webhook_receivers.clone(),
                status: self.status.clone(),
            },
        )
    }
}

impl ConfigKind for ClusterConfig {
    const SCOPE: Scope = Scope::Cluster;
    fn entry(&self) -> (Owner, ConfigEntry) {
        (
            Owner {
                scope: Scope::Cluster,
                namespace: String::new(),
                name: self.name_any(),
            },
            ConfigEntry {
                generation: self.metadata.generation,
                receivers: self.spec.webhook_receivers.clone(),
                status: self.status.clone(),
            },
        )
    }
}

/// Feeds ProjectConfig or ClusterConfig events into the sources.
#[derive(Debug)]
pub struct ConfigHandler<K> {
    shared: Arc<SharedSources>,
    relisted: Option<HashMap<Owner, ConfigEntry>>,
    kind: std::marker::PhantomData<fn(K)>,
}

impl<K> ConfigHandler<K> {
    /// A handler writing into `shared`.
    pub fn new(shared: Arc<SharedSources>) -> Self {
        Self {
            shared,
            relisted: None,
            kind: std::marker::PhantomData,
        }
    }
}

impl<K: ConfigKind> WatchHandler<K> for ConfigHandler<K> {
    fn apply(&mut self, object: K) {
        let (owner, entry) = object.entry();
        let previous = self.shared.lock().configs.insert(owner, entry.clone());
        let spec_changed = previous
            .as_ref()
            .is_none_or(|p| p.receivers != entry.receivers || p.generation != entry.generation);
        if spec_changed {
            self.shared.receivers_changed.notify_one();
        } else if previous.is_some_and(|p| p.status != entry.status) {
            self.shared.status_changed.notify_one();
        }
    }

    fn delete(&mut self, object: K) {
        let (owner, _) = object.entry();
        self.shared.lock().configs.remove(&owner);
        self.shared.receivers_changed.notify_one();
    }

    fn relist_start(&mut self) {
        self.relisted = Some(HashMap::new());
    }

    fn relist_apply(&mut self, object: K) {
        let (owner, entry) = object.entry();
        self.relisted
            .get_or_insert_with(HashMap::new)
            .insert(owner, entry);
    }

    fn relist_done(&mut self) {
        let listed = self.relisted.take().unwrap_or_default();
        {
            let mut sources = self.shared.lock();
            sources.configs.retain(|owner, _| owner.scope != K::SCOPE);
            sources.configs.extend(listed);
        }
        self.shared.receivers_changed.notify_one();
    }
}

/// Feeds Secret events into the sources, keeping only the keys some linked
/// provider declares: nothing else of a Secret stays in memory.
#[derive(Debug)]
pub struct SecretHandler {
    shared: Arc<SharedSources>,
    needed_keys: BTreeSet<&'static str>,
    relisted: Option<HashMap<(String, String), Arc<SecretData>>>,
}

impl SecretHandler {
    /// A handler keeping the keys the providers of `registry` need.
    pub fn new(shared: Arc<SharedSources>, registry: &Registry) -> Self {
        let needed_keys = registry
            .names()
            .filter_map(|name| registry.get(name))
            .flat_map(|provider| provider.secret_keys().iter().map(|spec| spec.key))
            .collect();
        Self {
            shared,
            needed_keys,
            relisted: None,
        }
    }

    fn entry(&self, secret: &Secret) -> ((String, String), Arc<SecretData>) {
        let mut data = SecretData::new();
        if let Some(values) = &secret.data {
            for (key, value) in values {
                if self.needed_keys.contains(key.as_str()) {
                    data.insert(key.clone(), SecretValue::new(value.0.clone()));
                }
            }
        }
        // stringData is write-only in the API, but be lenient with objects
        // that carry it (e.g. from a test client).
        if let Some(values) = &secret.string_data {
            for (key, value) in values {
                if self.needed_keys.contains(key.as_str()) {
                    data.insert(key.clone(), SecretValue::new(value.as_bytes().to_vec()));
                }
            }
        }
        (
            (secret.namespace().unwrap_or_default(), secret.name_any()),
            Arc::new(data),
        )
    }
}

impl WatchHandler<Secret> for SecretHandler {
    fn apply(&mut self, object: Secret) {
        let (key, data) = self.entry(&object);
        self.shared.lock().secrets.insert(key, data);
        self.shared.receivers_changed.notify_one();
    }

    fn delete(&mut self, object: Secret) {
        let (key, _) = self.entry(&object);
        self.shared.lock().secrets.remove(&key);
        self.shared.receivers_changed.notify_one();
    }

    fn relist_start(&mut self) {
        self.relisted = Some(HashMap::new());
    }

    fn relist_apply(&mut self, object: Secret) {
        let (key, data) = self.entry(&object);
        self.relisted
            .get_or_insert_with(HashMap::new)
            .insert(key, data);
    }

    fn relist_done(&mut self) {
        let listed = self.relisted.take().unwrap_or_default();
        self.shared.lock().secrets = listed;
        self.shared.receivers_changed.notify_one();
    }
}
