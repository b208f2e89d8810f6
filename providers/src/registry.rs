//! Provider registration through `inventory`, and the registry the gateway
//! builds from it at startup.
//!
//! # The linker pitfall
//!
//! `inventory` collects the registrations of every crate that ends up in the
//! final binary. A provider crate that is listed in `Cargo.toml` but never
//! named in the binary's code is not linked at all, so its registration is
//! silently missing at run time. The gateway therefore names each provider
//! crate once (`use kargo_webhook_harbor as _;`), and a test in the gateway
//! asserts that every provider it depends on is registered.

use std::collections::BTreeMap;
use std::fmt;

use crate::provider::Provider;

/// One registered provider. Created by [`register_provider!`](crate::register_provider).
pub struct Registration {
    provider: &'static dyn Provider,
}

impl Registration {
    /// Wraps a provider with `'static` lifetime.
    pub const fn new(provider: &'static dyn Provider) -> Self {
        Self { provider }
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Registration")
            .field(&self.provider.name())
            .finish()
    }
}

inventory::collect!(Registration);

/// Registers a provider with the gateway. Takes a constant expression of a
/// type implementing [`Provider`], usually a unit struct:
///
/// ```
/// use kargo_webhook_provider::{
///     Authenticated, AuthenticatedDelivery, Credentials, Outcome, Provider, ProviderError,
///     ReceiverOptions, RequestHead, SecretKeySpec, Unauthenticated,
/// };
///
/// pub struct Example;
///
/// impl Provider for Example {
///     fn name(&self) -> &'static str {
///         "example"
///     }
///     fn secret_keys(&self) -> &'static [SecretKeySpec] {
///         &[]
///     }
///     fn authentication(&self) -> &'static str {
///         "the receiver URL"
///     }
///     fn authenticate<'a>(
///         &self,
///         head: RequestHead<'a>,
///         _: &'a Credentials,
///     ) -> Result<Authenticated<'a>, Unauthenticated> {
///         Ok(Authenticated::by_receiver_url(head))
///     }
///     fn parse(
///         &self,
///         _: &AuthenticatedDelivery<'_>,
///         _: &ReceiverOptions,
///     ) -> Result<Outcome, ProviderError> {
///         Ok(Outcome::Ignored("an example announces nothing"))
///     }
/// }
///
/// kargo_webhook_provider::register_provider!(Example);
/// ```
#[macro_export]
macro_rules! register_provider {
    ($provider:expr) => {
        $crate::inventory::submit! {
            $crate::Registration::new(&$provider)
        }
    };
}

/// Two providers claimed the same name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "two providers are registered under the name {name:?}: each provider name must be unique; \
     remove one of the provider crates from the gateway binary"
)]
pub struct DuplicateProvider {
    /// The contested name.
    pub name: &'static str,
}

/// The providers available to this gateway, by name.
#[derive(Clone, Default)]
pub struct Registry {
    by_name: BTreeMap<&'static str, &'static dyn Provider>,
}

impl Registry {
    /// Every provider linked into this binary.
    pub fn from_inventory() -> Result<Self, DuplicateProvider> {
        Self::from_providers(inventory::iter::<Registration>().map(|r| r.provider))
    }

    /// A registry of exactly these providers (also used by tests).
    pub fn from_providers(
        providers: impl IntoIterator<Item = &'static dyn Provider>,
    ) -> Result<Self, DuplicateProvider> {
        let mut by_name = BTreeMap::new();
        for provider in providers {
            let name = provider.name();
            if by_name.insert(name, provider).is_some() {
                return Err(DuplicateProvider { name });
            }
        }
        Ok(Self { by_name })
    }

    /// The provider called `name`.
    pub fn get(&self, name: &str) -> Option<&'static dyn Provider> {
        self.by_name.get(name).copied()
    }

    /// The names of all providers, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Authenticated, AuthenticatedDelivery, Credentials, Outcome, ProviderError, ReceiverOptions,
        RequestHead, SecretKeySpec, Unauthenticated,
    };

    struct Named(&'static str);

    impl Provider for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn secret_keys(&self) -> &'static [SecretKeySpec] {
            &[]
        }
        fn authentication(&self) -> &'static str {
            "the receiver URL"
        }
        fn authenticate<'a>(
            &self,
            head: RequestHead<'a>,
            _: &'a Credentials,
        ) -> Result<Authenticated<'a>, Unauthenticated> {
            Ok(Authenticated::by_receiver_url(head))
        }
        fn parse(
            &self,
            _: &AuthenticatedDelivery<'_>,
            _: &ReceiverOptions,
        ) -> Result<Outcome, ProviderError> {
            Ok(Outcome::Ignored("test"))
        }
    }

    static ALPHA: Named = Named("alpha");
    static BETA: Named = Named("beta");
    static ALPHA_AGAIN: Named = Named("alpha");

    #[test]
    fn registry_finds_providers_by_name() {
        let registry = Registry::from_providers([&ALPHA as &dyn Provider, &BETA]).expect("unique");
        assert_eq!(registry.get("beta").map(Provider::name), Some("beta"));
        assert!(registry.get("gamma").is_none());
        assert_eq!(registry.names().collect::<Vec<_>>(), ["alpha", "beta"]);
    }

    #[test]
    fn duplicate_names_are_rejected_with_the_name() {
        let err = Registry::from_providers([&ALPHA as &dyn Provider, &BETA, &ALPHA_AGAIN])
            .expect_err("duplicate");
        assert_eq!(err.name, "alpha");
        assert!(err.to_string().contains("\"alpha\""));
    }

    #[test]
    fn the_sdk_itself_registers_nothing() {
        let registry = Registry::from_inventory().expect("no duplicates");
        assert_eq!(registry.names().count(), 0);
    }
}
