//! The `repository` object of Azure DevOps Git events.

use serde::Deserialize;

use kargo_webhook_provider::json::Text;

/// The fields of `resource.repository` that matter; Azure sends more
/// (`id`, `name`, `project`, `defaultBranch`, ...), which are skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct Repository<'a> {
    /// The clone URL over HTTPS, e.g.
    /// `https://fabrikam@dev.azure.com/fabrikam/Fabrikam/_git/app` (with
    /// the organization as user name) or, for organizations on the older
    /// host, `https://fabrikam.visualstudio.com/DefaultCollection/_git/app`.
    #[serde(rename = "remoteUrl", borrow, default)]
    pub(crate) remote_url: Option<Text<'a>>,
    /// The clone URL over SSH (`git@ssh.dev.azure.com:v3/org/project/app`),
    /// when the payload carries it.
    #[serde(rename = "sshUrl", borrow, default)]
    pub(crate) ssh_url: Option<Text<'a>>,
    /// The repository's web page (`https://dev.azure.com/org/project/_git/app`),
    /// when the payload carries it.
    #[serde(rename = "webUrl", borrow, default)]
    pub(crate) web_url: Option<Text<'a>>,
}
