//! A pull request event: a closed (or merged) pull request releases the
//! Promotions waiting on it.

use kargo_webhook_provider::{Outcome, ProviderError};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::body::{INVALID_BODY, parse_body, parse_object};
use kargo_webhook_provider::json::{Text, non_empty};

/// Why a pull request event other than `closed` is acknowledged.
pub(crate) const NOT_CLOSED: &str =
    "only a closed pull request concerns the promotions waiting on it";

#[derive(Debug, Deserialize)]
struct PullRequestEvent<'a> {
    #[serde(borrow, default)]
    action: Option<Text<'a>>,
    /// Read only for a closed pull request.
    #[serde(borrow, default)]
    pull_request: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct PullRequest<'a> {
    /// The pull request's web page, the URL `git-wait-for-pr` records.
    #[serde(borrow, default)]
    html_url: Option<Text<'a>>,
}

/// `closed` (merged or not) names the pull request; every other action is
/// acknowledged and ignored.
pub(crate) fn outcome(body: &[u8]) -> Result<Outcome, ProviderError> {
    let event: PullRequestEvent<'_> = parse_body(body)?;
    match non_empty(&event.action) {
        Some("closed") => {}
        Some(_) => return Ok(Outcome::Ignored(NOT_CLOSED)),
        None => return Err(INVALID_BODY),
    }
    let pull_request = event.pull_request.ok_or(INVALID_BODY)?;
    let pull_request: PullRequest<'_> = parse_object(pull_request.get())?;
    let url = non_empty(&pull_request.html_url).ok_or(INVALID_BODY)?;
    Ok(Outcome::PullRequestClosed {
        url: url.to_owned(),
    })
}
