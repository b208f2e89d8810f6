//! `kargo-webhook-gateway providers`: each provider linked into this
//! binary, with the Secret keys it reads and what for, how it
//! authenticates senders, and the options its receiver entries take.

use std::fmt::Write;
use std::process::ExitCode;

use clap::Args;
use kargo_webhook_provider::{Provider, Registry, SecretUsage};
use serde::Serialize;

use crate::explain::{Output, emit};
use crate::providers_linked;

/// The providers this gateway serves.
#[derive(Debug, Clone, Args)]
pub struct ProvidersArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// One provider, as printed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Described {
    name: &'static str,
    secret_keys: Vec<SecretKey>,
    authentication: &'static str,
    options: Vec<ProviderOption>,
}

#[derive(Debug, Serialize)]
struct SecretKey {
    key: &'static str,
    usage: &'static str,
    description: &'static str,
}

#[derive(Debug, Serialize)]
struct ProviderOption {
    field: &'static str,
    description: &'static str,
}

/// A stable label and the words for what a provider does with a key.
fn usage(usage: SecretUsage) -> (&'static str, &'static str) {
    match usage {
        SecretUsage::HeaderMatch => (
            "header-match",
            "the sender presents the value verbatim in a header; only its digest is kept",
        ),
        SecretUsage::SigningKey => (
            "signing-key",
            "the key the sender signs the body with; checked before the body is parsed",
        ),
        SecretUsage::UrlOnly => (
            "url-only",
            "only part of the receiver URL (the sender cannot sign); must not be empty",
        ),
    }
}

fn describe(provider: &dyn Provider) -> Described {
    Described {
        name: provider.name(),
        secret_keys: provider
            .secret_keys()
            .iter()
            .map(|spec| {
                let (label, description) = usage(spec.usage);
                SecretKey {
                    key: spec.key,
                    usage: label,
                    description,
                }
            })
            .collect(),
        authentication: provider.authentication(),
        options: provider
            .options()
            .iter()
            .map(|spec| ProviderOption {
                field: spec.field,
                description: spec.description,
            })
            .collect(),
    }
}

/// Every provider of `registry`, in `output`'s format.
pub fn render(registry: &Registry, output: Output) -> String {
    let described: Vec<Described> = registry
        .names()
        .filter_map(|name| registry.get(name))
        .map(describe)
        .collect();
    match output {
        Output::Json => {
            let mut text =
                serde_json::to_string_pretty(&described).unwrap_or_else(|_| "[]".to_owned());
            text.push('\n');
            text
        }
        Output::Text => {
            let mut text = String::new();
            for provider in &described {
                let _ = writeln!(text, "{}", provider.name);
                let _ = writeln!(text, "  authentication: {}", provider.authentication);
                for key in &provider.secret_keys {
                    let _ = writeln!(text, "  Secret key {}: {}", key.key, key.description);
                }
                if provider.options.is_empty() {
                    text.push_str("  options: none\n");
                }
                for option in &provider.options {
                    let _ = writeln!(text, "  option {}: {}", option.field, option.description);
                }
            }
            text
        }
    }
}

/// The subcommand.
pub fn run(args: &ProvidersArgs) -> ExitCode {
    match providers_linked::registry() {
        Ok(registry) => emit(&render(&registry, args.output)),
        Err(error) => {
            eprintln!("kargo-webhook-gateway providers: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Harbor's entry, exactly; every other registered provider by name
    /// (providers are added by their own crates).
    #[test]
    fn each_provider_is_listed_with_keys_authentication_and_options() {
        let registry = providers_linked::registry().expect("registry");
        let text = render(&registry, Output::Text);
        assert!(
            text.contains(
                "harbor\n  authentication: Authorization header equal to the Secret's auth-header value\n  \
                 Secret key auth-header: the sender presents the value verbatim in a header; only its digest is kept\n  \
                 options: none\n"
            ),
            "{text}"
        );
        for name in registry.names() {
            assert!(
                text.lines().any(|line| line == name),
                "{name} missing: {text}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_str(&render(&registry, Output::Json)).expect("JSON");
        let entries = json.as_array().expect("an array");
        assert_eq!(
            entries.len(),
            registry.names().count(),
            "one entry per provider"
        );
        let harbor = entries
            .iter()
            .find(|entry| entry["name"] == "harbor")
            .expect("harbor listed");
        assert_eq!(
            *harbor,
            serde_json::json!({
                "name": "harbor",
                "secretKeys": [{
                    "key": "auth-header",
                    "usage": "header-match",
                    "description": "the sender presents the value verbatim in a header; only its digest is kept",
                }],
                "authentication": "Authorization header equal to the Secret's auth-header value",
                "options": [],
            })
        );
    }
}
