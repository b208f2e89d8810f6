//! A docker `pushed` event's data: the repository, the tag, and whether an
//! image or an OCI artifact was pushed.
//!
//! Artifactory names the pushed manifest by its path inside a repository:
//! `data.repo_key` is the repository (e.g. `docker-local`), `data.path` the
//! manifest's path, `<image path>/<tag>/manifest.json` (or
//! `list.manifest.json` for a multi-platform image). The image is pulled as
//! `<registry host>/<repository key>/<image path>:<tag>`, the registry host
//! being the platform's base URL (`jpd_origin`).

use kargo_webhook_provider::{Outcome, PushedContent, RefreshBuilder, RepoKey};
use serde::Deserialize;

use crate::origin;
use kargo_webhook_provider::is_oci_tag;
use kargo_webhook_provider::json::{Text, from_object, non_empty};

/// `data` of a docker event. Artifactory sends more (`name`, `sha256`,
/// `size`, `image_name`, `platforms`), which is skipped: `image_name` can
/// be rebuilt from the path, which is what Kargo reads too.
#[derive(Debug, Deserialize)]
struct PushData<'a> {
    #[serde(borrow, default)]
    path: Option<Text<'a>>,
    #[serde(borrow, default)]
    repo_key: Option<Text<'a>>,
    /// `docker` or `oci`; absent in payloads of versions before it existed.
    #[serde(borrow, default)]
    image_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    tag: Option<Text<'a>>,
}

/// Why a push of any other image type is acknowledged without acting.
pub(crate) const OTHER_IMAGE_TYPE: &str =
    "image types other than docker and oci announce no image or chart";

/// What a push is, once its data is read.
#[derive(Debug)]
pub(crate) enum Pushed {
    /// The verdict.
    Outcome(Outcome),
    /// The data is not a push's shape or names no repository.
    Malformed,
}

/// The repository a push names. `virtual_repo` (the receiver's
/// `virtualRepoName`) replaces `data.repo_key` when set.
pub(crate) fn pushed(data: &[u8], jpd_origin: Option<&str>, virtual_repo: Option<&str>) -> Pushed {
    let Some(data) = from_object::<PushData<'_>>(data) else {
        return Pushed::Malformed;
    };
    let content = match data.image_type.as_deref() {
        Some("docker") => PushedContent::Image,
        // OCI artifacts are images or Helm charts (or anything else).
        Some("oci") | None => PushedContent::Either,
        Some(_) => return Pushed::Outcome(Outcome::Ignored(OTHER_IMAGE_TYPE)),
    };
    match repository(&data, jpd_origin, virtual_repo) {
        Some(key) => {
            let mut builder = RefreshBuilder::default();
            let mut entry = builder.repository(key);
            if let Some(tag) = non_empty(&data.tag).filter(|tag| is_oci_tag(tag)) {
                entry.add_tag(tag);
            }
            entry.add_content(content);
            Pushed::Outcome(builder.build())
        }
        None => Pushed::Malformed,
    }
}

/// `<host of jpd_origin>/<repository>/<directories of path>`, the path
/// without its last two segments (`<tag>/manifest.json`).
fn repository(
    data: &PushData<'_>,
    jpd_origin: Option<&str>,
    virtual_repo: Option<&str>,
) -> Option<RepoKey> {
    let host = origin::host(jpd_origin?)?;
    let repository = virtual_repo.or_else(|| non_empty(&data.repo_key))?;
    let path = non_empty(&data.path)?;
    let segments: Vec<&str> = path.split('/').collect();
    let image_path = segments.get(..segments.len().checked_sub(2)?)?;
    // Artifactory writes no empty directory; one would fold into its
    // neighbour (`a//v1/...` into `a`) instead of naming an image.
    if image_path.iter().any(|segment| segment.is_empty()) {
        return None;
    }
    let mut reference = format!("{host}/{repository}");
    for segment in image_path {
        reference.push('/');
        reference.push_str(segment);
    }
    RepoKey::image(&reference).ok()
}
