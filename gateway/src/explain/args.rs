//! The command line of `kargo-webhook-gateway explain`, and the request it
//! makes: which provider, which headers and options, which scope.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};
use kargo_webhook_provider::{Provider, ReceiverOptions, Registry};

use super::error::BadInput;
use super::receiver_url;
use crate::kargo::WarehouseScope;

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Lines for people.
    #[default]
    Text,
    /// JSON for tools.
    Json,
}

/// The flags of `explain` (its help is `cli::Command::Explain`'s).
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("provider_from").required(true).args(["provider", "url"])))]
#[command(group(ArgGroup::new("scope").required(true).args(["project", "cluster"])))]
pub struct ExplainArgs {
    /// The payload, as the sender posts it; `-` or absent: standard input.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// The receiver's provider, e.g. `harbor` (see `providers`).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// A receiver URL (or path) to take the provider from: the path segment
    /// before its 64-hex-digit token, under any base path.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// A request header the provider reads, `Name: value`; repeatable.
    #[arg(long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// A receiver option, `field=value` (e.g. Artifactory's
    /// `virtualRepoName`); repeatable.
    #[arg(long = "option", value_name = "FIELD=VALUE", value_parser = parse_option)]
    pub options: Vec<(String, String)>,

    /// A project receiver's scope: the Warehouses of this namespace.
    #[arg(long, value_name = "NAMESPACE")]
    pub project: Option<String>,

    /// A ClusterConfig receiver's scope: the Warehouses of every namespace.
    #[arg(long)]
    pub cluster: bool,

    /// Read Warehouses from these YAML files or folders (recursively; other
    /// kinds are ignored) instead of the cluster; repeatable. A Warehouse
    /// without a namespace is taken to be in `--project`'s.
    #[arg(long = "warehouses", value_name = "PATH")]
    pub warehouses: Vec<PathBuf>,

    /// Output format; `json` prints an array of
    /// `{namespace, name, subscription, refresh, reason}`.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// What to explain, checked: everything but the payload and the
/// Warehouses.
#[derive(Clone)]
pub struct Request {
    /// The provider that parses the payload.
    pub provider: &'static dyn Provider,
    /// The request headers, as given.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The receiver's options, checked by the provider's own rules.
    pub options: ReceiverOptions,
    /// The Warehouses the receiver may refresh.
    pub scope: WarehouseScope,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("provider", &self.provider.name())
            .field("options", &self.options)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl ExplainArgs {
    /// The checked request, with the provider from `registry`.
    pub fn request(&self, registry: &Registry) -> Result<Request, BadInput> {
        let name = match (&self.provider, &self.url) {
            (Some(name), _) => name.as_str(),
            (None, Some(url)) => receiver_url::provider_of(url)?,
            // clap requires one of the two.
            (None, None) => "",
        };
        let provider = registry
            .get(name)
            .ok_or_else(|| BadInput::UnknownProvider {
                name: name.to_owned(),
                known: registry.names().collect::<Vec<_>>().join(", "),
            })?;
        let scope = match &self.project {
            Some(namespace) => WarehouseScope::Namespace(namespace.clone()),
            None => WarehouseScope::AllNamespaces,
        };
        Ok(Request {
            provider,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
                .collect(),
            options: options(provider, &self.options)?,
            scope,
        })
    }

    /// The payload, from `--file` or standard input.
    pub fn payload(&self) -> Result<Vec<u8>, BadInput> {
        match self.file.as_deref() {
            Some(path) if path.as_os_str() != "-" => {
                std::fs::read(path).map_err(|source| BadInput::Payload {
                    from: path.display().to_string(),
                    source,
                })
            }
            _ => {
                let mut payload = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut payload)
                    .map_err(|source| BadInput::Payload {
                        from: "standard input".to_owned(),
                        source,
                    })?;
                Ok(payload)
            }
        }
    }
}

/// The receiver options given, checked as the gateway checks a receiver
/// entry's: through the provider's declared options.
fn options(
    provider: &dyn Provider,
    given: &[(String, String)],
) -> Result<ReceiverOptions, BadInput> {
    let declared = provider.options();
    if let Some((field, _)) = given
        .iter()
        .find(|(field, _)| !declared.iter().any(|spec| spec.field == field))
    {
        let names: Vec<&str> = declared.iter().map(|spec| spec.field).collect();
        return Err(BadInput::UnknownOption {
            provider: provider.name(),
            field: field.clone(),
            declared: if names.is_empty() {
                "it reads none".to_owned()
            } else {
                format!("it reads {}", names.join(", "))
            },
        });
    }
    let values: BTreeMap<&str, &str> = given
        .iter()
        .map(|(field, value)| (field.as_str(), value.as_str()))
        .collect();
    Ok(ReceiverOptions::from_lookup(declared, |field| {
        Ok(values.get(field).copied())
    })?)
}

/// `Name: value` (the value trimmed, as HTTP does).
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{name:?} is not a header name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// `field=value`.
fn parse_option(text: &str) -> Result<(String, String), String> {
    let (field, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not `field=value`"))?;
    if field.trim().is_empty() {
        return Err(format!("{text:?} names no field"));
    }
    Ok((field.trim().to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_options_split_at_the_first_separator() {
        assert_eq!(
            parse_header("Content-Type: application/cloudevents+json; charset=utf-8"),
            Ok((
                "Content-Type".into(),
                "application/cloudevents+json; charset=utf-8".into()
            ))
        );
        assert_eq!(
            parse_header("X-Empty:"),
            Ok(("X-Empty".into(), String::new()))
        );
        assert!(parse_header("no separator").is_err());
        assert!(parse_header(": value").is_err());
        assert!(parse_header("Bad Name: v").is_err());
        assert_eq!(
            parse_option("virtualRepoName=docker-virtual=x"),
            Ok(("virtualRepoName".into(), "docker-virtual=x".into()))
        );
        assert!(parse_option("=x").is_err());
        assert!(parse_option("novalue").is_err());
    }
}
