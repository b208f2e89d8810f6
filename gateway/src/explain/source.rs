//! Where the dry run's Warehouses come from: the cluster (`KUBECONFIG`;
//! read-only, Warehouses and, for a closed pull request, Promotions are
//! listed, nothing else is read) or local manifests. Either way they are
//! indexed exactly as the server indexes them.

use std::path::PathBuf;

use kube::ResourceExt;
use kube::api::{Api, ListParams};

use super::error::Failure;
use super::manifests;
use crate::index::{Subscriptions, WarehouseIndex};
use crate::kargo::{Promotion, PromotionId, Warehouse, WarehouseId, WarehouseScope};

/// Where Warehouses are read from.
#[derive(Clone)]
pub enum Source {
    /// YAML files or folders.
    Files(Vec<PathBuf>),
    /// The cluster of this client.
    Cluster(kube::Client),
    /// The cluster of `KUBECONFIG` (or the in-cluster account), connected
    /// to only when needed: a payload refused before costs no connection.
    Kubeconfig,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Files(paths) => f.debug_tuple("Files").field(paths).finish(),
            Self::Cluster(_) => f.write_str("Cluster"),
            Self::Kubeconfig => f.write_str("Kubeconfig"),
        }
    }
}

impl Source {
    /// The client of a cluster source; `None` for files.
    pub async fn client(&self) -> Result<Option<kube::Client>, Failure> {
        match self {
            Self::Files(_) => Ok(None),
            Self::Cluster(client) => Ok(Some(client.clone())),
            Self::Kubeconfig => kube::Client::try_default().await.map(Some).map_err(|e| {
                Failure::Cluster(format!("cannot configure the Kubernetes client: {e}"))
            }),
        }
    }
}

/// The Warehouses, indexed, and what could not be used as written.
#[derive(Debug, Default)]
pub struct Indexed {
    /// Every Warehouse read, by the server's index.
    pub index: WarehouseIndex,
    /// How many Warehouses in scope were read.
    pub in_scope: usize,
    /// Where they came from, in words.
    pub origin: String,
    /// Files, documents and subscriptions passed over, one line each.
    pub warnings: Vec<String>,
}

/// Reads the Warehouses of `scope` from `source` and indexes them.
pub async fn warehouses(source: &Source, scope: &WarehouseScope) -> Result<Indexed, Failure> {
    let mut indexed = Indexed::default();
    let warehouses = match (source, source.client().await?) {
        (_, Some(client)) => {
            indexed.origin = "the cluster".to_owned();
            list::<Warehouse>(&client, scope)
                .await
                .map_err(|e| Failure::Cluster(format!("cannot list Warehouses: {e}")))?
        }
        (Source::Files(paths), None) => {
            let read = manifests::read(paths).map_err(|e| Failure::BadInput(e.into()))?;
            indexed.warnings = read.warnings;
            indexed.origin = paths
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            read.warehouses
        }
        (Source::Cluster(_) | Source::Kubeconfig, None) => Vec::new(),
    };
    for warehouse in warehouses {
        let Some(id) = identity(&warehouse, scope, &mut indexed.warnings) else {
            continue;
        };
        let subscriptions = Subscriptions::from_spec(&warehouse.spec.subscriptions);
        for warning in &subscriptions.warnings {
            indexed.warnings.push(format!("{id}: {warning}"));
        }
        if scope.contains(id.namespace()) {
            indexed.in_scope += 1;
        }
        indexed.index.apply(id, subscriptions);
    }
    Ok(indexed)
}

/// The Warehouse's identity; one without a namespace (common in GitOps
/// manifests) is the project's, or left out for a cluster-wide scope.
fn identity(
    warehouse: &Warehouse,
    scope: &WarehouseScope,
    warnings: &mut Vec<String>,
) -> Option<WarehouseId> {
    let name = warehouse.name_any();
    match (warehouse.namespace(), scope) {
        (Some(namespace), _) => Some(WarehouseId::new(&namespace, &name)),
        (None, WarehouseScope::Namespace(project)) => Some(WarehouseId::new(project, &name)),
        (None, WarehouseScope::AllNamespaces) => {
            warnings.push(format!(
                "skipped Warehouse {name}: it has no namespace (give it one, or use --project)"
            ));
            None
        }
    }
}

/// The Promotions in `scope` waiting on the pull request at `url`, as the
/// server's Promotion index finds them.
pub async fn promotions_waiting_on(
    client: &kube::Client,
    scope: &WarehouseScope,
    url: &str,
) -> Result<Vec<PromotionId>, Failure> {
    let promotions = list::<Promotion>(client, scope)
        .await
        .map_err(|e| Failure::Cluster(format!("cannot list Promotions: {e}")))?;
    let mut waiting: Vec<PromotionId> = promotions
        .iter()
        .filter(|promotion| promotion.awaited_pull_requests().iter().any(|u| u == url))
        .map(|promotion| {
            PromotionId::new(
                &promotion.namespace().unwrap_or_default(),
                &promotion.name_any(),
            )
        })
        .collect();
    waiting.sort();
    Ok(waiting)
}

async fn list<K>(client: &kube::Client, scope: &WarehouseScope) -> Result<Vec<K>, kube::Error>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
    K::DynamicType: Default,
{
    let api: Api<K> = match scope {
        WarehouseScope::Namespace(namespace) => Api::namespaced(client.clone(), namespace),
        WarehouseScope::AllNamespaces => Api::all(client.clone()),
    };
    Ok(api.list(&ListParams::default()).await?.items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_indexed_like_the_server_indexes_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let documents = [
            "kind: Warehouse\nmetadata: {name: nginx}\nspec: {subscriptions: [{image: \
             {repoURL: harbor.example.com/library/nginx, allowTagsRegexes: ['(']}}]}",
            "kind: Warehouse\nmetadata: {name: other, namespace: elsewhere}\nspec: \
             {subscriptions: [{image: {repoURL: harbor.example.com/library/nginx}}]}",
        ]
        .map(|document| format!("apiVersion: kargo.akuity.io/v1alpha1\n{document}\n"));
        std::fs::write(dir.path().join("w.yaml"), documents.join("---\n")).expect("write");
        let source = Source::Files(vec![dir.path().to_owned()]);
        let project = WarehouseScope::Namespace("demo".into());
        let indexed = warehouses(&source, &project).await.expect("read");
        assert_eq!(indexed.in_scope, 1);
        assert!(indexed.index.contains(&WarehouseId::new("demo", "nginx")));
        assert!(
            indexed
                .index
                .contains(&WarehouseId::new("elsewhere", "other"))
        );
        assert_eq!(indexed.warnings.len(), 1, "{:?}", indexed.warnings);
        assert!(indexed.warnings[0].starts_with("demo/nginx: subscription 0"));

        let everywhere = warehouses(&source, &WarehouseScope::AllNamespaces)
            .await
            .expect("read");
        assert_eq!(everywhere.in_scope, 1, "the namespace-less one is left out");
        assert!(everywhere.warnings[0].contains("has no namespace"));
    }
}
