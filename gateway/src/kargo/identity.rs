//! Who is who in Kargo: a Warehouse's identity, the ProjectConfig or
//! ClusterConfig a receiver is declared in, and which Warehouses such a
//! receiver may refresh. Every layer of the gateway speaks of these, so they
//! live here, below all of them.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A namespaced Kargo object's namespace and name; `K` says which kind, so
/// that a Promotion's identity can never be handed to what refreshes
/// Warehouses.
pub struct ObjectId<K> {
    namespace: Arc<str>,
    name: Arc<str>,
    kind: PhantomData<fn() -> K>,
}

/// The kind marker of [`WarehouseId`].
#[derive(Debug)]
pub enum WarehouseKind {}

/// The kind marker of [`PromotionId`].
#[derive(Debug)]
pub enum PromotionKind {}

/// A Warehouse's namespace and name.
pub type WarehouseId = ObjectId<WarehouseKind>;

/// A Promotion's namespace and name.
pub type PromotionId = ObjectId<PromotionKind>;

impl<K> ObjectId<K> {
    /// The object `namespace/name`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            kind: PhantomData,
        }
    }

    /// The object `name` in `namespace`, sharing the namespace's text with
    /// every identity made from the same `Arc` (an index of thousands of
    /// objects in a few namespaces holds each namespace once).
    pub fn in_namespace(namespace: Arc<str>, name: &str) -> Self {
        Self {
            namespace,
            name: name.into(),
            kind: PhantomData,
        }
    }

    /// Its namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

// By hand: derived impls would ask the marker `K` for them too.
impl<K> Clone for ObjectId<K> {
    fn clone(&self) -> Self {
        Self {
            namespace: Arc::clone(&self.namespace),
            name: Arc::clone(&self.name),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for ObjectId<K> {
    fn eq(&self, other: &Self) -> bool {
        (&self.namespace, &self.name) == (&other.namespace, &other.name)
    }
}

impl<K> Eq for ObjectId<K> {}

impl<K> std::hash::Hash for ObjectId<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.namespace.hash(state);
        self.name.hash(state);
    }
}

impl<K> PartialOrd for ObjectId<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for ObjectId<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.namespace, &self.name).cmp(&(&other.namespace, &other.name))
    }
}

impl<K> fmt::Display for ObjectId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl<K> fmt::Debug for ObjectId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The ProjectConfig or ClusterConfig a receiver is declared in, which
/// decides the Warehouses it may refresh.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A ProjectConfig, in its project's namespace: its receivers refresh
    /// Warehouses of that namespace only.
    Project {
        /// The project's namespace.
        namespace: String,
        /// The ProjectConfig's name.
        name: String,
    },
    /// The ClusterConfig (cluster-scoped): its receivers refresh
    /// Warehouses in every namespace.
    Cluster {
        /// The ClusterConfig's name.
        name: String,
    },
}

impl Owner {
    /// The object's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Project { name, .. } | Self::Cluster { name } => name,
        }
    }

    /// The project's namespace; `None` for the ClusterConfig.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Self::Project { namespace, .. } => Some(namespace),
            Self::Cluster { .. } => None,
        }
    }

    /// The object's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Project { .. } => "ProjectConfig",
            Self::Cluster { .. } => "ClusterConfig",
        }
    }

    /// The Warehouses its receivers may refresh.
    pub fn warehouses(&self) -> WarehouseScope {
        match self {
            Self::Project { namespace, .. } => WarehouseScope::Namespace(namespace.clone()),
            Self::Cluster { .. } => WarehouseScope::AllNamespaces,
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Project { namespace, name } => write!(f, "{namespace}/{name}"),
            Self::Cluster { name } => f.write_str(name),
        }
    }
}

/// Which Warehouses a receiver may refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseScope {
    /// Only those in this namespace (a project receiver).
    Namespace(String),
    /// Every namespace (a cluster receiver).
    AllNamespaces,
}

impl WarehouseScope {
    /// True when a Warehouse in `namespace` is in scope.
    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            Self::Namespace(own) => own == namespace,
            Self::AllNamespaces => true,
        }
    }
}
