//! What receivers are built from, as the watches last saw it: the receiver
//! entries and published paths of every ProjectConfig and ClusterConfig, and
//! the Secrets of the namespaces receivers read them from (only the keys
//! some provider needs).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::Secret;
use kargo_webhook_provider::{Registry, SecretValue};
use kube::ResourceExt;
use kube::runtime::watcher;
use tokio::sync::Notify;

use super::resolve::{SecretData, SecretLookup};
use super::url::ReceiverPath;
use crate::kargo::{ClusterConfig, Owner, ProjectConfig, ReceiversStatus, WebhookReceiverConfig};
use crate::watch::{self, FailureHandled};

/// One ProjectConfig or ClusterConfig as last seen.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    /// `metadata.uid`, for Events about the object.
    pub uid: Option<String>,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// `spec.webhookReceivers`.
    pub receivers: Vec<WebhookReceiverConfig>,
    /// The current `status`, to publish only what changed.
    pub status: Option<ReceiversStatus>,
}

impl ConfigEntry {
    /// `status.webhookReceivers[]` as (name, path): the paths a user may
    /// have read and registered, whoever published them.
    pub fn published_paths(&self) -> Vec<(String, ReceiverPath)> {
        self.status
            .iter()
            .flat_map(|status| &status.webhook_receivers)
            .map(|details| (details.name.clone(), ReceiverPath::published(&details.path)))
            .collect()
    }
}

/// The Secrets of one namespace: which watch feeds them, how far read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceState {
    /// The feeding watch's number; writes of any other are ignored.
    pub epoch: u64,
    /// How far it has read.
    pub read: NamespaceRead,
}

/// How far the Secrets of one namespace have been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceRead {
    /// Its watch has not listed yet.
    Pending,
    /// Listed; kept current by its watch.
    Read,
    /// The API server refused the list (no RoleBinding there).
    Denied,
}

/// Everything receivers are built from.
#[derive(Debug, Default)]
pub struct Sources {
    /// Configs by owner.
    pub configs: HashMap<Owner, ConfigEntry>,
    /// Secrets by (namespace, name).
    pub secrets: HashMap<(String, String), Arc<SecretData>>,
    /// Per namespace whose Secrets are watched: its watch and how far it
    /// has read.
    pub secret_namespaces: HashMap<String, NamespaceState>,
}

impl Sources {
    /// What is known of Secret `namespace/name`.
    pub fn secret(&self, namespace: &str, name: &str) -> SecretLookup {
        match self
            .secret_namespaces
            .get(namespace)
            .map(|state| state.read)
        {
            None | Some(NamespaceRead::Pending) => SecretLookup::NotYetRead,
            Some(NamespaceRead::Denied) => SecretLookup::AccessDenied,
            Some(NamespaceRead::Read) => self
                .secrets
                .get(&(namespace.to_owned(), name.to_owned()))
                .cloned()
                .map_or(SecretLookup::NotFound, SecretLookup::Found),
        }
    }

    /// The namespaces whose Secrets receivers need: those of ProjectConfigs
    /// with receivers, and the cluster Secrets namespace while a
    /// ClusterConfig has receivers.
    pub fn secret_namespaces_needed(&self, cluster_secrets_namespace: &str) -> BTreeSet<String> {
        self.configs
            .iter()
            .filter(|(_, entry)| !entry.receivers.is_empty())
            .map(|(owner, _)| {
                owner
                    .namespace()
                    .unwrap_or(cluster_secrets_namespace)
                    .to_owned()
            })
            .collect()
    }
}

/// [`Sources`] shared between the watches, the table builder and the status
/// publisher, with notifications for each.
#[derive(Debug, Default)]
pub struct SharedSources {
    sources: Mutex<Sources>,
    /// Woken when something receivers depend on changed.
    pub receivers_changed: Notify,
    /// Woken when the set of configs changed (which namespaces' Secrets
    /// are needed may have).
    pub configs_changed: Notify,
    /// Woken when a config's status changed (someone else may have written it).
    pub status_changed: Notify,
    /// Woken when a new receiver table was swapped in.
    pub table_changed: Notify,
}

impl SharedSources {
    /// Locks the sources.
    pub fn lock(&self) -> MutexGuard<'_, Sources> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A resource that declares webhook receivers: ProjectConfig or ClusterConfig.
pub trait ConfigKind: kube::Resource<DynamicType = ()> + Send + 'static {
    /// Who declares the receivers.
    fn owner(&self) -> Owner;
    /// `spec.webhookReceivers` and `status`.
    fn receivers(&self) -> (&[WebhookReceiverConfig], Option<&ReceiversStatus>);

    /// Its owner key and the parts receivers are built from.
    fn entry(&self) -> (Owner, ConfigEntry) {
        let (receivers, status) = self.receivers();
        (
            self.owner(),
            ConfigEntry {
                uid: self.meta().uid.clone(),
                generation: self.meta().generation,
                receivers: receivers.to_vec(),
                status: status.cloned(),
            },
        )
    }
}

impl ConfigKind for ProjectConfig {
    fn owner(&self) -> Owner {
        Owner::Project {
            namespace: self.namespace().unwrap_or_default(),
            name: self.name_any(),
        }
    }

    fn receivers(&self) -> (&[WebhookReceiverConfig], Option<&ReceiversStatus>) {
        (&self.spec.webhook_receivers, self.status.as_ref())
    }
}

impl ConfigKind for ClusterConfig {
    fn owner(&self) -> Owner {
        Owner::Cluster {
            name: self.name_any(),
        }
    }

    fn receivers(&self) -> (&[WebhookReceiverConfig], Option<&ReceiversStatus>) {
        (&self.spec.webhook_receivers, self.status.as_ref())
    }
}

/// Keeps the ProjectConfigs or the ClusterConfigs of the sources in step
/// with their watch. A (re-)list gathers the entries on the side and
/// replaces this kind's all at once when complete.
#[derive(Debug)]
pub struct ConfigIndex<K> {
    shared: Arc<SharedSources>,
    kind: std::marker::PhantomData<fn(K)>,
}

impl<K> ConfigIndex<K> {
    /// An index writing into `shared`.
    pub fn new(shared: Arc<SharedSources>) -> Self {
        Self {
            shared,
            kind: std::marker::PhantomData,
        }
    }
}

impl<K: ConfigKind> watch::Index<K> for ConfigIndex<K> {
    type Listing = Vec<(Owner, ConfigEntry)>;

    fn apply(&mut self, object: K) {
        let (owner, entry) = object.entry();
        let previous = self.shared.lock().configs.insert(owner, entry.clone());
        let spec_changed = previous
            .as_ref()
            .is_none_or(|p| p.receivers != entry.receivers || p.generation != entry.generation);
        // Published paths route deliveries too (see ReceiverTable::build).
        let paths_changed = previous
            .as_ref()
            .is_none_or(|p| p.published_paths() != entry.published_paths());
        if spec_changed {
            self.shared.configs_changed.notify_one();
        }
        if spec_changed || paths_changed {
            self.shared.receivers_changed.notify_one();
        } else if previous.is_some_and(|p| p.status != entry.status) {
            self.shared.status_changed.notify_one();
        }
    }

    fn delete(&mut self, object: K) {
        let (owner, _) = object.entry();
        self.shared.lock().configs.remove(&owner);
        self.shared.configs_changed.notify_one();
        self.shared.receivers_changed.notify_one();
    }

    fn start_listing(&self) -> Self::Listing {
        Vec::new()
    }

    fn listed(&mut self, listing: &mut Self::Listing, object: K) {
        listing.push(object.entry());
    }

    fn reset(&mut self, listing: Self::Listing) {
        {
            let mut sources = self.shared.lock();
            // Only this kind's: the other kind has its own watch.
            sources
                .configs
                .retain(|owner, _| owner.kind() != K::kind(&()));
            sources.configs.extend(listing);
        }
        self.shared.configs_changed.notify_one();
        self.shared.receivers_changed.notify_one();
    }
}

/// The Secret keys the linked providers read: nothing else of a Secret is
/// kept in memory.
pub fn needed_secret_keys(registry: &Registry) -> Arc<BTreeSet<&'static str>> {
    Arc::new(
        registry
            .names()
            .filter_map(|name| registry.get(name))
            .flat_map(|provider| provider.secret_keys().iter().map(|spec| spec.key))
            .collect(),
    )
}

/// Keeps the Secrets of one namespace in the sources in step with their
/// watch, keeping only the keys some linked provider declares. A (re-)list
/// gathers them on the side and replaces the namespace's all at once when
/// complete.
#[derive(Debug)]
pub struct SecretIndex {
    shared: Arc<SharedSources>,
    namespace: String,
    epoch: u64,
    needed_keys: Arc<BTreeSet<&'static str>>,
}

impl SecretIndex {
    /// An index of the Secrets of `namespace`, fed by watch number `epoch`,
    /// keeping `needed_keys`.
    pub fn new(
        shared: Arc<SharedSources>,
        namespace: String,
        epoch: u64,
        needed_keys: Arc<BTreeSet<&'static str>>,
    ) -> Self {
        Self {
            shared,
            namespace,
            epoch,
            needed_keys,
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

    /// The sources, if this handler's watch is still the namespace's.
    fn current(&self) -> Option<MutexGuard<'_, Sources>> {
        let sources = self.shared.lock();
        let state = sources.secret_namespaces.get(&self.namespace)?;
        (state.epoch == self.epoch).then_some(sources)
    }

    /// Replaces everything known of this namespace.
    fn replace(&self, read: NamespaceRead, listed: HashMap<(String, String), Arc<SecretData>>) {
        {
            let Some(mut sources) = self.current() else {
                return;
            };
            sources.secrets.retain(|(ns, _), _| ns != &self.namespace);
            sources.secrets.extend(listed);
            sources.secret_namespaces.insert(
                self.namespace.clone(),
                NamespaceState {
                    epoch: self.epoch,
                    read,
                },
            );
        }
        self.shared.receivers_changed.notify_one();
    }
}

impl watch::Index<Secret> for SecretIndex {
    type Listing = HashMap<(String, String), Arc<SecretData>>;

    fn apply(&mut self, object: Secret) {
        let (key, data) = self.entry(&object);
        if let Some(mut sources) = self.current() {
            sources.secrets.insert(key, data);
            drop(sources);
            self.shared.receivers_changed.notify_one();
        }
    }

    fn delete(&mut self, object: Secret) {
        let (key, _) = self.entry(&object);
        if let Some(mut sources) = self.current() {
            sources.secrets.remove(&key);
            drop(sources);
            self.shared.receivers_changed.notify_one();
        }
    }

    fn start_listing(&self) -> Self::Listing {
        HashMap::new()
    }

    fn listed(&mut self, listing: &mut Self::Listing, object: Secret) {
        let (key, data) = self.entry(&object);
        listing.insert(key, data);
    }

    fn reset(&mut self, listing: Self::Listing) {
        self.replace(NamespaceRead::Read, listing);
    }

    fn failed(&mut self, error: &watcher::Error) -> FailureHandled {
        if !is_forbidden(error) {
            return FailureHandled::No;
        }
        // Report it once; the watch keeps trying, so a RoleBinding created
        // later (Kargo creates it right after the project) is picked up.
        let denied = self
            .shared
            .lock()
            .secret_namespaces
            .get(&self.namespace)
            .is_some_and(|state| state.read == NamespaceRead::Denied);
        if !denied {
            tracing::warn!(
                namespace = %self.namespace,
                "may not list Secrets in this namespace; its receivers report SecretAccessDenied"
            );
            self.replace(NamespaceRead::Denied, HashMap::new());
        }
        FailureHandled::Yes
    }
}

/// True when the API server refused the request for lack of permission.
fn is_forbidden(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status))
        | watcher::Error::WatchError(status) => status.code == 403,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::ByteString;

    use super::*;
    use crate::watch::Index;

    fn project_config(namespace: &str, receiver: &str) -> ProjectConfig {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "ProjectConfig",
            "metadata": {"name": namespace, "namespace": namespace},
            "spec": {"webhookReceivers": [
                {"name": receiver, "github": {"secretRef": {"name": "s"}}},
            ]},
        }))
        .expect("a ProjectConfig")
    }

    fn cluster_config() -> ClusterConfig {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "kargo.akuity.io/v1alpha1",
            "kind": "ClusterConfig",
            "metadata": {"name": "cluster"},
            "spec": {"webhookReceivers": [{"name": "c", "github": {}}]},
        }))
        .expect("a ClusterConfig")
    }

    fn owner(namespace: &str) -> Owner {
        Owner::Project {
            namespace: namespace.to_owned(),
            name: namespace.to_owned(),
        }
    }

    /// Each config held and the name of its first receiver.
    fn receivers(shared: &SharedSources) -> BTreeSet<(Owner, String)> {
        shared
            .lock()
            .configs
            .iter()
            .map(|(owner, entry)| (owner.clone(), entry.receivers[0].name.clone()))
            .collect()
    }

    #[test]
    fn a_config_list_in_progress_is_not_visible_and_a_complete_one_replaces_its_kind() {
        let shared = Arc::new(SharedSources::default());
        let mut projects = ConfigIndex::<ProjectConfig>::new(Arc::clone(&shared));
        let mut clusters = ConfigIndex::<ClusterConfig>::new(Arc::clone(&shared));
        let mut listing = clusters.start_listing();
        clusters.listed(&mut listing, cluster_config());
        clusters.reset(listing);
        let mut listing = projects.start_listing();
        projects.listed(&mut listing, project_config("old", "a"));
        projects.reset(listing);

        let cluster = (
            Owner::Cluster {
                name: "cluster".to_owned(),
            },
            "c".to_owned(),
        );

        let mut listing = projects.start_listing();
        projects.listed(&mut listing, project_config("new", "b"));
        assert_eq!(
            receivers(&shared),
            BTreeSet::from([cluster.clone(), (owner("old"), "a".to_owned())]),
            "a list in progress is not a list"
        );

        projects.reset(listing);
        assert_eq!(
            receivers(&shared),
            BTreeSet::from([cluster, (owner("new"), "b".to_owned())]),
            "what was not re-listed is gone, the other kind is left alone"
        );
    }

    fn secret(name: &str, keys: &[(&str, &str)]) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.name = Some(name.to_owned());
        secret.metadata.namespace = Some("demo".to_owned());
        secret.data = Some(
            keys.iter()
                .map(|(key, value)| ((*key).to_owned(), ByteString(value.as_bytes().to_vec())))
                .collect(),
        );
        secret
    }

    /// The keys held of Secret `demo/name`, or `None` if it is not known.
    fn keys(shared: &SharedSources, name: &str) -> Option<Vec<String>> {
        match shared.lock().secret("demo", name) {
            SecretLookup::Found(data) => Some(data.keys().cloned().collect()),
            SecretLookup::NotFound => None,
            other => panic!("demo is read: {other:?}"),
        }
    }

    #[test]
    fn a_secret_list_in_progress_is_not_visible_and_a_complete_one_replaces_the_namespace() {
        let shared = Arc::new(SharedSources::default());
        shared.lock().secret_namespaces.insert(
            "demo".to_owned(),
            NamespaceState {
                epoch: 1,
                read: NamespaceRead::Pending,
            },
        );
        let needed = Arc::new(BTreeSet::from(["secret"]));
        let mut index = SecretIndex::new(Arc::clone(&shared), "demo".to_owned(), 1, needed);
        let mut listing = index.start_listing();
        index.listed(&mut listing, secret("old", &[("secret", "1")]));
        assert!(
            matches!(
                shared.lock().secret("demo", "old"),
                SecretLookup::NotYetRead
            ),
            "a list in progress is not a list"
        );
        index.reset(listing);
        assert_eq!(keys(&shared, "old"), Some(vec!["secret".to_owned()]));

        let mut listing = index.start_listing();
        index.listed(
            &mut listing,
            secret("new", &[("secret", "2"), ("other", "x")]),
        );
        assert_eq!(
            keys(&shared, "new"),
            None,
            "a list in progress is not a list"
        );
        assert_eq!(keys(&shared, "old"), Some(vec!["secret".to_owned()]));

        index.reset(listing);
        assert_eq!(keys(&shared, "old"), None, "what was not re-listed is gone");
        assert_eq!(
            keys(&shared, "new"),
            Some(vec!["secret".to_owned()]),
            "only the keys a provider needs are kept"
        );
    }
}
