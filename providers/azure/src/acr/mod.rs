//! Azure Container Registry webhooks (`User-Agent: AzureContainerRegistry/...`).
//!
//! A registry webhook posts one JSON object per event: `action` names it,
//! `target` the manifest and repository, `request` the registry host the
//! client used. Only `push` is acted on, and `ping` is answered; every other
//! action is acknowledged and ignored.

mod action;
mod push;

use kargo_webhook_provider::{Outcome, ProviderError};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::INVALID_BODY;
use kargo_webhook_provider::json::{Text, from_object};

use action::Action;

/// The top level of a registry event. `target` and `request` stay unparsed
/// until the action says they matter; `id`, `timestamp`, `actor` and
/// `source` are skipped.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    action: Option<Text<'a>>,
    #[serde(borrow, default)]
    target: Option<&'a RawValue>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

/// The verdict on an Azure Container Registry event.
pub(crate) fn parse(body: &[u8]) -> Result<Outcome, ProviderError> {
    let envelope: Envelope<'_> = from_object(body).ok_or(INVALID_BODY)?;
    let action = envelope.action.as_deref().ok_or(INVALID_BODY)?;
    match Action::of(action) {
        Action::Push => {
            let (Some(target), Some(request)) = (envelope.target, envelope.request) else {
                return Err(INVALID_BODY);
            };
            push::pushed(target.get().as_bytes(), request.get().as_bytes()).ok_or(INVALID_BODY)
        }
        Action::Ping => Ok(Outcome::Ping),
        Action::Other { reason } => Ok(Outcome::Ignored(reason)),
    }
}
