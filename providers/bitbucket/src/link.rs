//! Bitbucket's link objects, `{"href": "..."}`, in both products' payloads.

use serde::Deserialize;

use kargo_webhook_provider::json::Text;

/// One link; Bitbucket sends more fields (`name`), skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct Link<'a> {
    #[serde(borrow, default)]
    href: Option<Text<'a>>,
}

impl Link<'_> {
    /// The URL, unless absent or empty.
    pub(crate) fn href(&self) -> Option<&str> {
        self.href.as_deref().filter(|href| !href.is_empty())
    }
}
