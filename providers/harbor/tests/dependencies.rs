//! The Harbor provider stays free of Kubernetes and HTTP-server crates: it
//! turns bytes into a verdict and nothing more. Checked on the workspace's
//! lock file, which lists every package with its dependencies.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// The parts of `Cargo.lock` this test reads.
#[derive(Debug, Deserialize)]
struct Lock {
    package: Vec<Package>,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    /// `"name"`, or `"name version"` when several versions are locked.
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Package name -> names of its dependencies, from `Cargo.lock`.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock: Lock =
        toml::from_str(include_str!("../../../Cargo.lock")).expect("Cargo.lock is TOML");
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

#[test]
fn the_provider_depends_on_neither_kube_nor_actix() {
    let graph = lock_graph();
    let dependencies = closure(&graph, "kargo-webhook-harbor");
    assert!(
        dependencies.contains("kargo-webhook-provider"),
        "{dependencies:?}"
    );
    assert!(
        dependencies.contains("serde_json"),
        "the lock file was read: {dependencies:?}"
    );
    let forbidden: Vec<_> = dependencies
        .iter()
        .filter(|name| {
            name.starts_with("kube") || name.starts_with("actix") || name.starts_with("k8s-openapi")
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "the Harbor provider pulls in {forbidden:?}"
    );
    // The gateway, by contrast, does depend on them: the check can fail.
    assert!(closure(&graph, "kargo-webhook-gateway").contains("kube"));
}
