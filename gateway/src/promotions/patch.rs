//! The refresh of a Promotion: the same annotation as a Warehouse's, set
//! with a metadata-only merge patch.

use std::future::Future;
use std::pin::Pin;

use kube::api::Api;

use crate::kargo::{Promotion, PromotionId};
use crate::refresher::PatchResult;
use crate::refresher::kube_patcher::patch_refresh_annotation;

/// Sets a Promotion's refresh annotation to `token`.
pub trait PromotionPatcher: Send + Sync + 'static {
    /// One patch; [`PatchError::NotFound`](crate::refresher::PatchError)
    /// when the Promotion is gone.
    fn patch<'a>(
        &'a self,
        promotion: &'a PromotionId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>>;
}

/// Patches Promotions through the Kubernetes API.
#[derive(Clone)]
pub struct KubePromotionPatcher {
    client: kube::Client,
}

impl std::fmt::Debug for KubePromotionPatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubePromotionPatcher")
    }
}

impl KubePromotionPatcher {
    /// A patcher using `client`.
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }
}

impl PromotionPatcher for KubePromotionPatcher {
    fn patch<'a>(
        &'a self,
        promotion: &'a PromotionId,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
        let api: Api<Promotion> = Api::namespaced(self.client.clone(), promotion.namespace());
        Box::pin(patch_refresh_annotation(api, promotion.name(), token))
    }
}
