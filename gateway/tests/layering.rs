//! The gateway's modules form a stack (see `docs/architecture.md`): a
//! module may use modules of lower layers only, never one of its own layer
//! or above. This test reads the sources and fails on any `crate::` path
//! that points sideways or up.

use std::collections::BTreeMap;
use std::path::Path;

/// Each top-level module of `gateway/src` and its layer, lowest first.
/// Layer 0 has the leaves: the Kargo model, selection and the support
/// modules that know nothing of the gateway's flow.
const LAYERS: &[(&str, u8)] = &[
    ("kargo", 0),
    ("backoff", 0),
    ("selection", 0),
    ("ratelimit", 0),
    ("readiness", 0),
    ("metrics", 0),
    ("lease", 0),
    ("rbac", 0),
    ("providers_linked", 0),
    ("watch", 1),
    ("config", 1),
    ("kube_events", 1),
    ("logging", 2),
    ("index", 3),
    ("refresher", 3),
    ("receivers", 4),
    ("promotions", 4),
    ("refresh_events", 4),
    ("dispatch", 5),
    ("http", 6),
    ("explain", 6),
    ("app", 7),
    ("cli", 8),
];

/// Files that are not part of the stack: the crate root, the binary and the
/// test-only helpers.
const OUTSIDE: &[&str] = &["lib", "main", "test_support"];

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every module named right after `crate::`, including inside
/// `use crate::{a::x, b};` groups.
fn crate_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                let name: String = item
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        } else {
            names.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect(),
            );
        }
    }
    names
}

#[test]
fn no_module_uses_one_of_its_layer_or_above() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let src = kargo_webhook_testenv::paths::repository_root().join("gateway/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut seen = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("non-empty path")
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs");
        if OUTSIDE.contains(&module) {
            continue;
        }
        let Some(&own) = layers.get(module) else {
            violations.push(format!(
                "{}: module `{module}` has no layer",
                relative.display()
            ));
            continue;
        };
        seen += 1;
        let text = std::fs::read_to_string(file).expect("readable source");
        for used in crate_references(&text) {
            if used == module || used == "test_support" {
                continue;
            }
            match layers.get(used.as_str()) {
                Some(&layer) if layer >= own => violations.push(format!(
                    "{}: `{module}` (layer {own}) uses `{used}` (layer {layer})",
                    relative.display()
                )),
                Some(_) => {}
                None => violations.push(format!(
                    "{}: uses `crate::{used}`, which has no layer",
                    relative.display()
                )),
            }
        }
    }
    assert!(seen > 30, "only {seen} source files read from {src:?}");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn grouped_and_nested_references_are_both_seen() {
    let text = "use crate::{index::X, kargo};\nlet a = crate::http::y();";
    assert_eq!(crate_references(text), ["index", "kargo", "http"]);
}
