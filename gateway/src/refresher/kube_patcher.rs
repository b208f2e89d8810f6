//! The production [`Patcher`]: a metadata-only merge patch of the refresh
//! annotation, the one write to a Warehouse that cannot lose Kargo's fields.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams};

use super::{ApiFailure, PatchError, PatchResult, Patcher};
use crate::kargo::{REFRESH_ANNOTATION, Warehouse, WarehouseId};

/// How long one patch may take. The client has no read timeout of its own
/// (watches need none), so without this bound a patch stuck on a stalled
/// API server or a dead connection would hold its Warehouse's refreshes
/// (every later delivery queues behind it) until the server gives up, or
/// forever. A timed-out patch counts as an error and is retried.
pub const PATCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Patches Warehouses through the Kubernetes API.
#[derive(Clone)]
pub struct KubePatcher {
    client: kube::Client,
}

impl std::fmt::Debug for KubePatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubePatcher")
    }
}

impl KubePatcher {
    /// A patcher using `client`.
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }
}

impl Patcher for KubePatcher {
    fn patch<'a>(
        &'a self,
        warehouse: &'a WarehouseId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        let api: Api<Warehouse> = Api::namespaced(self.client.clone(), warehouse.namespace());
        Box::pin(patch_refresh_annotation(api, warehouse.name(), token))
    }
}

/// Sets the refresh annotation of the object `name` to `token`, within
/// [`PATCH_TIMEOUT`]: the one write the gateway makes to a Kargo object.
pub async fn patch_refresh_annotation<K>(api: Api<K>, name: &str, token: &str) -> PatchResult
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let body = serde_json::json!({
        "metadata": {"annotations": {REFRESH_ANNOTATION: token}}
    });
    let (params, merge) = (PatchParams::default(), Patch::Merge(&body));
    let patch = api.patch_metadata(name, &params, &merge);
    match tokio::time::timeout(PATCH_TIMEOUT, patch).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(status))) if status.code == 404 => Err(PatchError::NotFound),
        Ok(Err(error)) => Err(PatchError::Api(error.into())),
        Err(_) => Err(PatchError::Api(ApiFailure::Timeout(
            PATCH_TIMEOUT.as_secs(),
        ))),
    }
}
