//! Warehouses from local YAML: files or folders (read recursively) of
//! Kubernetes manifests, as a GitOps repository holds them. Every file
//! ending in `.yaml` or `.yml` may hold several documents; the documents of
//! `kind: Warehouse` (Kargo's API group) are kept, others are ignored, and
//! `kind: List` documents (what `kubectl get -o yaml` writes) are opened.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::kargo::{GROUP, Warehouse};

/// Warehouses read from manifests, and what was passed over on the way.
#[derive(Debug, Default)]
pub struct Manifests {
    /// Each Warehouse, in reading order (files sorted by path).
    pub warehouses: Vec<Warehouse>,
    /// Files and documents that could not be read, one line each.
    pub warnings: Vec<String>,
}

/// A path given on the command line that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// It does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file named on the command line is not YAML.
    #[error("{path} is not YAML: {source}")]
    NotYaml {
        /// The path.
        path: PathBuf,
        /// Why.
        source: Box<serde_saphyr::Error>,
    },
}

/// Reads every Warehouse under `paths`. A file named directly must be
/// YAML; in a folder, a file that is not (a Helm template, say) is passed
/// over with a warning.
pub fn read(paths: &[PathBuf]) -> Result<Manifests, ManifestError> {
    let mut manifests = Manifests::default();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| ManifestError::Unreadable {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let mut files = Vec::new();
            yaml_files(path, &mut files)?;
            for file in files {
                if let Err(error) = read_file(&file, &mut manifests) {
                    manifests.warnings.push(format!("skipped {error}"));
                }
            }
        } else {
            read_file(path, &mut manifests)?;
        }
    }
    Ok(manifests)
}

/// The YAML files under `dir`, recursively, sorted.
fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    let unreadable = |source| ManifestError::Unreadable {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, found)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            found.push(path);
        }
    }
    Ok(())
}

fn read_file(path: &Path, manifests: &mut Manifests) -> Result<(), ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    // The YAML reader the Kubernetes client links already, into JSON
    // values: the Warehouse type reads its subscriptions as JSON.
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&text).map_err(|source| ManifestError::NotYaml {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
    for (position, document) in documents.into_iter().enumerate() {
        let place = format!("{} (document {})", path.display(), position + 1);
        collect(document, &place, manifests);
    }
    Ok(())
}

/// Keeps `document` if it is a Warehouse, opens it if it is a List.
fn collect(document: Value, place: &str, manifests: &mut Manifests) {
    let kind = document.get("kind").and_then(Value::as_str);
    let api_version = document
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        Some("Warehouse") if api_version.split('/').next() == Some(GROUP) => {
            match warehouse(document) {
                Ok(warehouse) => manifests.warehouses.push(warehouse),
                Err(error) => manifests
                    .warnings
                    .push(format!("skipped the Warehouse in {place}: {error}")),
            }
        }
        Some(list) if list.ends_with("List") => {
            if let Some(Value::Array(items)) = document.get("items") {
                for item in items.clone() {
                    collect(item, place, manifests);
                }
            }
        }
        _ => {}
    }
}

fn warehouse(document: Value) -> Result<Warehouse, String> {
    serde_json::from_value(document).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::ResourceExt;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(&path, text).expect("write");
        path
    }

    const TWO_DOCUMENTS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-warehouse}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: nginx, namespace: demo}
spec:
  subscriptions:
    - image: {repoURL: harbor.example.com/library/nginx, constraint: ^1.27.0}
---
# an empty document
---
apiVersion: example.org/v1
kind: Warehouse
metadata: {name: someone-elses-warehouse}
";

    #[test]
    fn only_kargo_warehouses_are_kept_from_multi_document_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write(dir.path(), "all.yaml", TWO_DOCUMENTS);
        let read = read(&[file]).expect("readable");
        let names: Vec<String> = read.warehouses.iter().map(ResourceExt::name_any).collect();
        assert_eq!(names, ["nginx"]);
        assert_eq!(read.warehouses[0].namespace().as_deref(), Some("demo"));
        assert_eq!(
            read.warehouses[0].spec.subscriptions[0]["image"]["constraint"],
            "^1.27.0"
        );
        assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    }

    #[test]
    fn folders_are_read_recursively_and_skip_what_is_not_yaml() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "a/b/all.yml", TWO_DOCUMENTS);
        write(
            dir.path(),
            "list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: kargo.akuity.io/v1alpha1\n  kind: Warehouse\n  metadata: {name: listed, namespace: demo}\n  spec: {subscriptions: []}\n",
        );
        write(dir.path(), "templates/helm.yaml", "a: {{ .Values.x }\n");
        write(dir.path(), "README.md", "kind: Warehouse\n");
        write(
            dir.path(),
            "broken.yaml",
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: {name: broken}\nspec: {subscriptions: 7}\n",
        );
        let read = read(&[dir.path().to_owned()]).expect("readable");
        let names: Vec<String> = read.warehouses.iter().map(ResourceExt::name_any).collect();
        assert_eq!(names, ["nginx", "listed"], "sorted by path: a/, list.yaml");
        assert_eq!(read.warnings.len(), 2, "{:?}", read.warnings);
        assert!(
            read.warnings[0].contains("broken.yaml"),
            "{:?}",
            read.warnings
        );
        assert!(
            read.warnings[1].contains("helm.yaml"),
            "{:?}",
            read.warnings
        );
    }

    #[test]
    fn a_named_file_must_exist_and_be_yaml() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.yaml");
        assert!(matches!(
            read(&[missing]),
            Err(ManifestError::Unreadable { .. })
        ));
        let template = write(dir.path(), "t.yaml", "a: {{ .Values.x }\n");
        let error = read(&[template]).expect_err("not YAML");
        assert!(matches!(error, ManifestError::NotYaml { .. }));
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}", dir.path().join("t.yaml").display()))
        );
    }
}
