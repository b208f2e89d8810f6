//! Azure DevOps service hook events (`User-Agent: VSServices/...`).
//!
//! A service hook posts one JSON object per event: `eventType` names the
//! event, `resource` holds its object (a push, a pull request, ...). Only
//! `git.push`, `git.pullrequest.merged` and `git.pullrequest.updated` are
//! acted on; every other type is acknowledged and ignored.

mod event_type;
mod pull_request;
mod push;
mod repository;

use kargo_webhook_provider::{Outcome, ProviderError};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::INVALID_BODY;
use kargo_webhook_provider::json::{Text, from_object};

use event_type::EventType;
use pull_request::Closing;

/// The top level of a service hook event. `resource` stays unparsed
/// ([`RawValue`]) until the type says it matters, so an ignored event costs
/// one scan of the body. `message`, `detailedMessage` and the rest are
/// skipped.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "eventType", borrow, default)]
    event_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
}

/// The verdict on an Azure DevOps event.
pub(crate) fn parse(body: &[u8]) -> Result<Outcome, ProviderError> {
    let envelope: Envelope<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let event_type = envelope.event_type.as_deref().ok_or(INVALID_BODY)?;
    let resource = || {
        envelope
            .resource
            .map(|raw| raw.get().as_bytes())
            .ok_or(INVALID_BODY)
    };
    let outcome = match EventType::of(event_type) {
        EventType::Push => push::pushed(resource()?),
        EventType::PullRequestMerged => pull_request::closed(resource()?, Closing::Merged),
        EventType::PullRequestUpdated => pull_request::closed(resource()?, Closing::IfAbandoned),
        EventType::Other { reason } => Some(Outcome::Ignored(reason)),
    };
    outcome.ok_or(INVALID_BODY)
}
