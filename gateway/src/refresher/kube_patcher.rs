//! The production [`Patcher`]: a metadata-only merge patch of the refresh
//! annotation, the one write to a Warehouse that cannot lose Kargo's fields.

use std::future::Future;
use std::pin::Pin;

use kube::api::{Api, Patch, PatchParams};

use super::{PatchError, PatchResult, Patcher};
use crate::index::WarehouseId;
use crate::kargo::{REFRESH_ANNOTATION, Warehouse};

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
        Box::pin(async move {
            let api: Api<Warehouse> = Api::namespaced(self.client.clone(), warehouse.namespace());
            let body = serde_json::json!({
                "metadata": {"annotations": {REFRESH_ANNOTATION: token}}
            });
            match api
                .patch_metadata(
                    warehouse.name(),
                    &PatchParams::default(),
                    &Patch::Merge(&body),
                )
                .await
            {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.code == 404 => Err(PatchError::NotFound),
                Err(error) => Err(PatchError::Api(error.to_string())),
            }
        })
    }
}
