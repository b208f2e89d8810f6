//! The Azure provider stays free of Kubernetes and HTTP-server crates: it
//! turns bytes into a verdict and nothing more. Checked on the workspace's
//! lock file, which lists every package with its dependencies.

use std::collections::{BTreeMap, BTreeSet};

/// Package name -> names of its dependencies, from `Cargo.lock`.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock = include_str!("../../../Cargo.lock");
    let mut graph = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let mut name = None;
        let mut dependencies = Vec::new();
        let mut in_dependencies = false;
        for line in package.lines().map(str::trim) {
            if let Some(value) = line.strip_prefix("name = ") {
                name = Some(value.trim_matches('"').to_owned());
            } else if line.starts_with("dependencies = [") {
                in_dependencies = true;
            } else if in_dependencies && line == "]" {
                in_dependencies = false;
            } else if in_dependencies {
                // `"name"` or `"name version"` when several versions exist.
                let entry = line.trim_end_matches(',').trim_matches('"');
                dependencies.push(entry.split(' ').next().unwrap_or(entry).to_owned());
            }
        }
        if let Some(name) = name {
            graph
                .entry(name)
                .or_insert_with(Vec::new)
                .extend(dependencies);
        }
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
    let dependencies = closure(&graph, "kargo-webhook-azure");
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
        "the Azure provider pulls in {forbidden:?}"
    );
    // The gateway, by contrast, does depend on them: the check can fail.
    assert!(closure(&graph, "kargo-webhook-gateway").contains("kube"));
}
