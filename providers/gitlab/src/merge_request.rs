//! `Merge Request Hook`: a merged or closed merge request lets the
//! Promotions waiting on it look again.

use kargo_webhook_provider::{Outcome, ProviderError};
use serde::Deserialize;

use crate::INVALID_BODY;
use kargo_webhook_provider::json::{Text, from_object};

/// Why a merge request event that neither merged nor closed one is
/// acknowledged (opened, updated, approved, ...).
pub(crate) const NOT_CLOSED: &str = "a merge request that was neither merged nor closed";

#[derive(Debug, Deserialize)]
struct MergeRequestEvent<'a> {
    #[serde(borrow, default)]
    object_attributes: Option<Attributes<'a>>,
}

#[derive(Debug, Deserialize)]
struct Attributes<'a> {
    /// `open`, `close`, `reopen`, `update`, `approved`, ..., `merge`.
    #[serde(borrow, default)]
    action: Option<Text<'a>>,
    /// The merge request's web page, the URL `git-wait-for-pr` records.
    #[serde(borrow, default)]
    url: Option<Text<'a>>,
}

/// `PullRequestClosed` for the actions `merge` and `close`; ignored for the
/// others. A merged or closed merge request without its URL is refused:
/// GitLab always sends it.
pub(crate) fn closed(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: MergeRequestEvent<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let attributes = event.object_attributes.ok_or(INVALID_BODY)?;
    match attributes.action.as_deref() {
        Some("merge" | "close") => {
            let url = attributes
                .url
                .as_deref()
                .filter(|url| !url.is_empty())
                .ok_or(INVALID_BODY)?;
            Ok(Outcome::PullRequestClosed {
                url: url.to_owned(),
            })
        }
        _ => Ok(Outcome::Ignored(NOT_CLOSED)),
    }
}
