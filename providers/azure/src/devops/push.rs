//! A `git.push` event: the repository and the refs that moved.

use kargo_webhook_provider::{ChangedPaths, Outcome, RepoKey};
use serde::Deserialize;

use crate::devops::repository::Repository;
use kargo_webhook_provider::json::{Text, from_object, non_empty};

/// `resource` of a `git.push` event. Azure sends more (`commits`, without
/// their files; `pushedBy`, ...), which is skipped.
#[derive(Debug, Deserialize)]
struct PushResource<'a> {
    #[serde(rename = "refUpdates", borrow, default)]
    ref_updates: Option<Vec<RefUpdate<'a>>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
}

/// One ref the push moved.
#[derive(Debug, Deserialize)]
struct RefUpdate<'a> {
    /// The full ref, e.g. `refs/heads/main`.
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

/// The repository a push names, with every ref it moved; `None` when the
/// resource is not a push's shape or names no usable repository.
///
/// The repository is keyed by its `remoteUrl`, and by its `sshUrl` too when
/// the payload has one, so that subscriptions by either URL meet it. The
/// payload lists commits without their files, so changed paths are unknown
/// and path filters do not apply.
pub(crate) fn pushed(resource: &[u8]) -> Option<Outcome> {
    let resource: PushResource<'_> = from_object(resource)?;
    let repository = resource.repository?;
    let remote = RepoKey::git(non_empty(&repository.remote_url)?).ok()?;
    // An SSH URL that names no repository is left out: the remote URL counts.
    let ssh = non_empty(&repository.ssh_url).and_then(|url| RepoKey::git(url).ok());
    let refs: Vec<&str> = resource
        .ref_updates
        .iter()
        .flatten()
        .filter_map(|update| non_empty(&update.name))
        .collect();
    let keys = std::iter::once(remote).chain(ssh);
    Some(Outcome::git_push(keys, &refs, &ChangedPaths::Unknown))
}
