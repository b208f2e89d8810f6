//! Which Azure service sent a delivery, from its `User-Agent`.
//!
//! Both services post to the same receiver URL and neither signs its
//! requests; they differ in their `User-Agent`: Azure DevOps service hooks
//! send `VSServices/<version>`, Azure Container Registry webhooks
//! `AzureContainerRegistry/<version>`. The header is not a credential (the
//! receiver URL is): it only says which payload format to expect.

/// The service a delivery comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sender {
    /// Azure DevOps service hooks: Git pushes and pull requests.
    DevOps,
    /// Azure Container Registry webhooks: image and artifact pushes.
    ContainerRegistry,
}

impl Sender {
    /// The sender a `User-Agent` value names, by its prefix (case-sensitive,
    /// as Azure writes it); `None` for anything else.
    pub(crate) fn of_user_agent(user_agent: Option<&[u8]>) -> Option<Self> {
        let user_agent = user_agent?;
        if user_agent.starts_with(b"VSServices") {
            Some(Self::DevOps)
        } else if user_agent.starts_with(b"AzureContainerRegistry") {
            Some(Self::ContainerRegistry)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_is_told_by_its_prefix() {
        for (user_agent, sender) in [
            (&b"VSServices/16.255.35115.1"[..], Some(Sender::DevOps)),
            (b"VSServices", Some(Sender::DevOps)),
            (
                b"AzureContainerRegistry/1.0",
                Some(Sender::ContainerRegistry),
            ),
            (b"AzureContainerRegistry", Some(Sender::ContainerRegistry)),
            (b"vsservices/16.0", None),
            (b" VSServices/16.0", None),
            (b"Mozilla/5.0 AzureContainerRegistry", None),
            (b"curl/8.5.0", None),
            (b"", None),
            (b"\xffVSServices", None),
        ] {
            assert_eq!(
                Sender::of_user_agent(Some(user_agent)),
                sender,
                "{}",
                String::from_utf8_lossy(user_agent)
            );
        }
        assert_eq!(Sender::of_user_agent(None), None);
    }
}
