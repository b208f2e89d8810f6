//! Kubeconfig files for the two identities, and the `kube::Config` loaded
//! from them (so that tests and `kubectl` see exactly the same settings).

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{Error, Result};
use crate::identity::Identity;

const CLUSTER_NAME: &str = "kargo-testenv";

/// Writes `<dir>/<identity>.kubeconfig`: the server URL, the API server's
/// self-signed certificate as the CA, and the identity's bearer token.
pub(crate) fn write(
    dir: &Path,
    identity: Identity,
    server_url: &str,
    ca_file: &Path,
    token: &str,
) -> Result<PathBuf> {
    let user = identity.short_name();
    let context = format!("{CLUSTER_NAME}-{user}");
    let document = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": CLUSTER_NAME,
            "cluster": {
                "server": server_url,
                "certificate-authority": ca_file,
            },
        }],
        "users": [{ "name": user, "user": { "token": token } }],
        "contexts": [{
            "name": context,
            "context": { "cluster": CLUSTER_NAME, "user": user, "namespace": "default" },
        }],
        "current-context": context,
    });
    let path = dir.join(format!("{user}.kubeconfig"));
    let yaml = serde_yaml::to_string(&document).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&path, yaml).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

/// Loads a kubeconfig written by [`write`] into a client configuration.
pub(crate) async fn load(path: &Path) -> Result<kube::Config> {
    let kubeconfig_error = |source| Error::Kubeconfig {
        path: path.to_path_buf(),
        source,
    };
    let kubeconfig = Kubeconfig::read_from(path).map_err(kubeconfig_error)?;
    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(kubeconfig_error)
}
