//! The refresh a Quay push announces.

use kargo_webhook_provider::{Outcome, RefreshBuilder, RepoKey};

use crate::notification::Notification;
use kargo_webhook_provider::is_oci_tag;

/// The repository of `docker_url` with the tags of `updated_tags`; `None`
/// when `docker_url` is missing or names no repository.
///
/// Quay's body carries no media type, so the content stays open (image or
/// chart). Without a valid tag (an empty, absent or unusable list) the
/// repository is reported alone: what that refreshes is the gateway's
/// selection to decide (Kargo refreshes every subscriber of the
/// repository).
pub(crate) fn refresh(notification: &Notification<'_>) -> Option<Outcome> {
    let repository = RepoKey::image(notification.docker_url.as_deref()?).ok()?;
    let mut refresh = RefreshBuilder::default();
    let mut entry = refresh.repository(repository);
    let tags = notification.updated_tags.iter().flat_map(|tags| &tags.0);
    for tag in tags.map(|tag| &**tag).filter(|tag| is_oci_tag(tag)) {
        entry.add_tag(tag);
    }
    Some(refresh.build())
}
