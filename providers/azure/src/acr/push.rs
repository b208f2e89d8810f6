//! A `push` event: the repository, the tag or digest, and what it carries.

use kargo_webhook_provider::{Outcome, PushedContent, RefreshBuilder, RepoKey};
use serde::Deserialize;

use kargo_webhook_provider::json::{Text, from_object, non_empty};
use kargo_webhook_provider::{is_oci_digest, is_oci_tag};

/// `target` of a push. ACR sends more (`size`, `length`, `url`), which is
/// skipped.
#[derive(Debug, Deserialize)]
struct Target<'a> {
    /// The manifest's media type, e.g.
    /// `application/vnd.docker.distribution.manifest.v2+json`.
    #[serde(rename = "mediaType", borrow, default)]
    media_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    digest: Option<Text<'a>>,
    /// The repository within the registry, e.g. `team/app`.
    #[serde(borrow, default)]
    repository: Option<Text<'a>>,
    /// Absent when the manifest was pushed by digest.
    #[serde(borrow, default)]
    tag: Option<Text<'a>>,
}

/// `request` of a push: only the registry host matters (`id`, `method`,
/// `useragent` are skipped).
#[derive(Debug, Deserialize)]
struct Request<'a> {
    /// The registry's host as clients address it, e.g. `myregistry.azurecr.io`.
    #[serde(borrow, default)]
    host: Option<Text<'a>>,
}

/// The repository a push names, with its tag and digest; `None` when the
/// objects are missing, not a push's shape, or name no repository.
///
/// A tag or digest outside the OCI grammar is left out (the repository
/// still counts), so that tag rules never see text no registry stores.
pub(crate) fn pushed(target: &[u8], request: &[u8]) -> Option<Outcome> {
    let target: Target<'_> = from_object(target)?;
    let request: Request<'_> = from_object(request)?;
    let host = non_empty(&request.host)?;
    let repository = non_empty(&target.repository)?;
    let key = RepoKey::image(&format!("{host}/{repository}")).ok()?;
    let mut builder = RefreshBuilder::default();
    let mut entry = builder.repository(key);
    if let Some(tag) = non_empty(&target.tag).filter(|tag| is_oci_tag(tag)) {
        entry.add_tag(tag);
    }
    if let Some(digest) = non_empty(&target.digest).filter(|digest| is_oci_digest(digest)) {
        entry.add_digest(digest);
    }
    entry.add_content(PushedContent::of_media_type(
        target.media_type.as_deref().unwrap_or_default(),
    ));
    Some(builder.build())
}
