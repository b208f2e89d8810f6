//! Reading YAML manifests and server-side applying them: the CRDs (then
//! waiting until each is Established) and any other objects, such as the
//! samples.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use kube::runtime::wait::{await_condition, conditions};
use serde::Deserialize;

use crate::error::{Error, Result};

/// The field manager of everything the harness applies.
pub const FIELD_MANAGER: &str = "kargo-webhook-testenv";

/// How long a CRD gets to become Established.
const CRD_ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(30);

/// One YAML document and the file it came from.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file it was read from.
    pub path: PathBuf,
    /// The object.
    pub object: serde_json::Value,
}

/// Reads every document of `path` (a `.yaml`/`.yml` file, or a directory whose
/// such files are read in name order, as `kubectl apply -f DIR` does).
/// Empty documents are skipped.
pub fn read_manifests(path: &Path) -> Result<Vec<Manifest>> {
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(format!("listing {}", path.display()), e))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|file| {
                matches!(
                    file.extension().and_then(|ext| ext.to_str()),
                    Some("yaml" | "yml")
                )
            })
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut manifests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        manifests.extend(parse_manifests(&text, &file)?);
    }
    Ok(manifests)
}

/// Parses every document of the YAML `text`, recording `origin` as each
/// one's path. Empty documents are skipped.
pub(crate) fn parse_manifests(text: &str, origin: &Path) -> Result<Vec<Manifest>> {
    let mut manifests = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let object = serde_json::Value::deserialize(document).map_err(|e| Error::Manifest {
            path: origin.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !object.is_null() {
            manifests.push(Manifest {
                path: origin.to_path_buf(),
                object,
            });
        }
    }
    Ok(manifests)
}

/// Applies every CRD in `dir` and waits until each is Established.
/// Returns the CRD names.
pub(crate) async fn install_crds(client: &kube::Client, dir: &Path) -> Result<Vec<String>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for manifest in read_manifests(dir)? {
        let crd: CustomResourceDefinition =
            serde_json::from_value(manifest.object).map_err(|e| Error::Manifest {
                path: manifest.path.clone(),
                reason: format!("not a CustomResourceDefinition: {e}"),
            })?;
        let name = crd.metadata.name.clone().ok_or_else(|| Error::Manifest {
            path: manifest.path.clone(),
            reason: "a CRD without metadata.name".into(),
        })?;
        api.patch(&name, &params, &Patch::Apply(&crd))
            .await
            .map_err(|e| Error::kube(format!("applying CRD {name}"), e))?;
        names.push(name);
    }
    for name in &names {
        let established = await_condition(api.clone(), name, conditions::is_crd_established());
        match tokio::time::timeout(CRD_ESTABLISHED_TIMEOUT, established).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(Error::Wait(format!("watching CRD {name}: {e}"))),
            Err(_) => {
                return Err(Error::Wait(format!(
                    "CRD {name} was not Established within {} s",
                    CRD_ESTABLISHED_TIMEOUT.as_secs()
                )));
            }
        }
    }
    Ok(names)
}

/// Server-side applies every object of `path` (file or directory, see
/// [`read_manifests`]) in order. Namespaced objects without a namespace go
/// to `default`. Returns `kind/name` (or `kind/namespace/name`) per object.
pub(crate) async fn apply_manifests(client: &kube::Client, path: &Path) -> Result<Vec<String>> {
    apply_objects(client, read_manifests(path)?).await
}

/// Server-side applies `manifests` in order, as [`apply_manifests`] does.
pub(crate) async fn apply_objects(
    client: &kube::Client,
    manifests: Vec<Manifest>,
) -> Result<Vec<String>> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut applied = Vec::new();
    for manifest in manifests {
        let object: DynamicObject =
            serde_json::from_value(manifest.object.clone()).map_err(|e| Error::Manifest {
                path: manifest.path.clone(),
                reason: format!("not a Kubernetes object: {e}"),
            })?;
        let types = object.types.clone().ok_or_else(|| Error::Manifest {
            path: manifest.path.clone(),
            reason: "an object without apiVersion/kind".into(),
        })?;
        let gvk = GroupVersionKind::try_from(&types).map_err(|e| Error::Manifest {
            path: manifest.path.clone(),
            reason: e.to_string(),
        })?;
        let name = object
            .metadata
            .name
            .clone()
            .ok_or_else(|| Error::Manifest {
                path: manifest.path.clone(),
                reason: format!("a {} without metadata.name", gvk.kind),
            })?;
        let (resource, capabilities) = kube::discovery::pinned_kind(client, &gvk)
            .await
            .map_err(|e| Error::kube(format!("looking up the API of {}", gvk.kind), e))?;
        let (api, description): (Api<DynamicObject>, String) = match capabilities.scope {
            Scope::Cluster => (
                Api::all_with(client.clone(), &resource),
                format!("{}/{name}", gvk.kind),
            ),
            Scope::Namespaced => {
                let namespace = object.metadata.namespace.as_deref().unwrap_or("default");
                (
                    Api::namespaced_with(client.clone(), namespace, &resource),
                    format!("{}/{namespace}/{name}", gvk.kind),
                )
            }
        };
        api.patch(&name, &params, &Patch::Apply(&manifest.object))
            .await
            .map_err(|e| Error::kube(format!("applying {description}"), e))?;
        applied.push(description);
    }
    Ok(applied)
}
