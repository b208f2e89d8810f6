//! A provider stays free of Kubernetes and HTTP-server crates: it turns
//! bytes into a verdict and nothing more. Checked on the crate's Cargo.toml
//! (its direct dependencies) and on the workspace's Cargo.lock (everything
//! they pull in).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The parts of `Cargo.lock` this check reads.
#[derive(Debug, Deserialize)]
struct Lock {
    package: Vec<LockedPackage>,
}

#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    /// `"name"`, or `"name version"` when several versions are locked.
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The parts of a crate's `Cargo.toml` this check reads.
#[derive(Debug, Deserialize)]
struct Manifest {
    package: ManifestPackage,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
struct ManifestPackage {
    name: String,
}

/// The root `Cargo.toml`: where each of the workspace's crates lives.
#[derive(Debug, Deserialize)]
struct Workspace {
    workspace: WorkspaceTable,
}

#[derive(Debug, Deserialize)]
struct WorkspaceTable {
    dependencies: BTreeMap<String, toml::Value>,
}

fn workspace_root() -> PathBuf {
    crate::fixtures::workspace_root()
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    toml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Package name -> names of its dependencies, from `Cargo.lock`.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock: Lock = read_toml(&workspace_root().join("Cargo.lock"));
    let mut graph = BTreeMap::new();
    for package in lock.package {
        let dependencies = package.dependencies.iter().map(|entry| {
            entry
                .split_once(' ')
                .map_or(entry.as_str(), |(name, _version)| name)
                .to_owned()
        });
        graph
            .entry(package.name)
            .or_insert_with(Vec::new)
            .extend(dependencies);
    }
    graph
}

fn closure(graph: &BTreeMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            stack.extend(graph.get(&name).into_iter().flatten().cloned());
        }
    }
    seen
}

/// The crate's manifest, found through the `path` of its line in the root
/// `[workspace.dependencies]`.
fn manifest_of(package: &str) -> Manifest {
    let root = workspace_root();
    let workspace: Workspace = read_toml(&root.join("Cargo.toml"));
    let path = workspace
        .workspace
        .dependencies
        .get(package)
        .and_then(|entry| entry.get("path"))
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("no path for {package} in [workspace.dependencies]"));
    read_toml(&root.join(path).join("Cargo.toml"))
}

fn is_forbidden(name: &str) -> bool {
    name.starts_with("kube") || name.starts_with("actix") || name.starts_with("k8s-openapi")
}

/// Fails when `package` (a provider's package name) depends, directly or
/// through anything, on kube, k8s-openapi or actix.
pub fn assert_depends_on_neither_kube_nor_actix(package: &str) {
    let manifest = manifest_of(package);
    assert_eq!(manifest.package.name, package);
    assert!(
        manifest.dependencies.contains_key("kargo-webhook-provider"),
        "{package} does not build on the SDK: {:?}",
        manifest.dependencies.keys()
    );
    let direct: Vec<_> = manifest
        .dependencies
        .keys()
        .filter(|name| is_forbidden(name))
        .collect();
    assert!(direct.is_empty(), "{package} depends on {direct:?}");

    let graph = lock_graph();
    let dependencies = closure(&graph, package);
    assert!(
        dependencies.contains("kargo-webhook-provider") && dependencies.contains("serde_json"),
        "the lock file was read: {dependencies:?}"
    );
    let forbidden: Vec<_> = dependencies
        .iter()
        .filter(|name| is_forbidden(name))
        .collect();
    assert!(forbidden.is_empty(), "{package} pulls in {forbidden:?}");
    // The gateway, by contrast, does depend on them: the check can fail.
    assert!(closure(&graph, "kargo-webhook-gateway").contains("kube"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_itself_is_free_of_them() {
        let graph = lock_graph();
        let sdk = closure(&graph, "kargo-webhook-provider");
        assert!(sdk.contains("serde_json"), "{sdk:?}");
        assert!(!sdk.iter().any(|name| is_forbidden(name)), "{sdk:?}");
    }

    #[test]
    fn a_crate_is_found_through_the_workspace() {
        let harbor = manifest_of("kargo-webhook-harbor");
        assert_eq!(harbor.package.name, "kargo-webhook-harbor");
        assert!(harbor.dependencies.contains_key("serde"));
    }

    #[test]
    #[should_panic(expected = "kargo-webhook-gateway depends on")]
    fn the_gateway_fails_the_check() {
        assert_depends_on_neither_kube_nor_actix("kargo-webhook-gateway");
    }
}
