//! Who is who in Kargo: a Warehouse's identity, the ProjectConfig or
//! ClusterConfig a receiver is declared in, and which Warehouses such a
//! receiver may refresh. Every layer of the gateway speaks of these, so they
//! live here, below all of them.

use std::fmt;
use std::sync::Arc;

/// A Warehouse's namespace and name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WarehouseId {
    namespace: Arc<str>,
    name: Arc<str>,
}

impl WarehouseId {
    /// The Warehouse `namespace/name`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
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

impl fmt::Display for WarehouseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl fmt::Debug for WarehouseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Where a receiver is declared, which decides the Warehouses it refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A ProjectConfig's receiver: Warehouses of its own namespace only.
    Project,
    /// A ClusterConfig's receiver: Warehouses in every namespace.
    Cluster,
}

impl Scope {
    /// A stable label, also used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Cluster => "cluster",
        }
    }
}

/// The ProjectConfig or ClusterConfig a receiver is declared in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    /// Project or cluster.
    pub scope: Scope,
    /// The ProjectConfig's namespace; empty for the ClusterConfig.
    pub namespace: String,
    /// The object's name.
    pub name: String,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Scope::Project => write!(f, "{}/{}", self.namespace, self.name),
            Scope::Cluster => write!(f, "{}", self.name),
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
