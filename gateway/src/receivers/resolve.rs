//! Turns the `spec.webhookReceivers` of one ProjectConfig or ClusterConfig
//! into live receivers, or into the problem that keeps each one from working.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use kargo_webhook_provider::{
    Credentials, OptionError, Provider, ReceiverOptions, Registry, SecretKeyError, SecretValue,
    UnusableValue,
};

use super::url::{PathInputs, ReceiverPath, UrlLayout};
use crate::kargo::{Owner, WarehouseScope, WebhookReceiverConfig};
use crate::ratelimit::{RateLimit, ReceiverLimiter};

/// A receiver that is set up and reachable at its path.
pub struct Receiver {
    /// Where it is declared.
    pub owner: Owner,
    /// Its name in the spec.
    pub name: String,
    /// The provider that checks and parses its deliveries.
    pub provider: &'static dyn Provider,
    /// The credentials prepared from its Secret.
    pub credentials: Credentials,
    /// The provider's options from the receiver entry, checked.
    pub options: ReceiverOptions,
    /// Its path, computed with Kargo's formula from the current Secret.
    pub path: ReceiverPath,
    /// The Warehouses it may refresh.
    pub scope: WarehouseScope,
    /// Its limits: authenticated deliveries, failed attempts.
    pub limiter: ReceiverLimiter,
    /// See [`Receiver::log_name`]; made once, logged with every delivery.
    log_name: String,
}

impl Receiver {
    /// `namespace/name` of the owner plus the receiver's name, for logs.
    /// Holds no secret: the path is not part of it.
    pub fn log_name(&self) -> &str {
        &self.log_name
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("owner", &self.owner)
            .field("name", &self.name)
            .field("provider", &self.provider.name())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Why a receiver could not be set up. Each problem has its own condition
/// reason, so that alerts and `kubectl` users can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiverProblem {
    /// The entry names no provider.
    NoProvider,
    /// The entry names more than one provider.
    MultipleProviders(Vec<String>),
    /// The entry names a provider this gateway was not built with.
    UnknownProvider(String),
    /// The provider field has no `secretRef.name`.
    NoSecretRef,
    /// The referenced Secret does not exist (or lacks the label of a configured selector).
    SecretNotFound {
        /// Namespace the Secret was looked up in.
        namespace: String,
        /// The Secret's name.
        name: String,
    },
    /// The Secrets of this namespace have not been read yet: the receiver
    /// waits, and nothing is reported about it until they have.
    SecretsNotYetRead {
        /// The namespace being read.
        namespace: String,
    },
    /// The gateway is not allowed to read Secrets in this namespace.
    SecretAccessDenied {
        /// The namespace it may not read.
        namespace: String,
    },
    /// The Secret lacks a key the provider needs.
    SecretKeyMissing {
        /// The Secret's name.
        secret: String,
        /// The missing key.
        key: &'static str,
    },
    /// A key's value can never authenticate a sender: empty, or (for a
    /// header value) surrounded by whitespace or holding a control
    /// character, which no HTTP sender can present.
    SecretValueUnusable {
        /// The Secret's name.
        secret: String,
        /// The key.
        key: &'static str,
        /// What is wrong with the value (never the value).
        problem: UnusableValue,
    },
    /// An option of the receiver entry (besides `secretRef`) cannot work.
    InvalidOption(OptionError),
    /// The name is empty or longer than 253 characters.
    InvalidName,
    /// An earlier entry of the same list has this name.
    DuplicateName,
}

impl ReceiverProblem {
    /// True for a state that resolves itself in a moment (a namespace whose
    /// Secrets are still being read): not reported, not published.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::SecretsNotYetRead { .. })
    }

    /// The condition reason, in Kubernetes' CamelCase convention.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoProvider => "NoProvider",
            Self::MultipleProviders(_) => "MultipleProviders",
            Self::UnknownProvider(_) => "UnknownProvider",
            Self::NoSecretRef => "NoSecretRef",
            Self::SecretNotFound { .. } => "SecretNotFound",
            Self::SecretsNotYetRead { .. } => "SecretsNotYetRead",
            Self::SecretAccessDenied { .. } => "SecretAccessDenied",
            Self::SecretKeyMissing { .. } => "SecretKeyMissing",
            Self::SecretValueUnusable { .. } => "SecretValueUnusable",
            Self::InvalidOption(_) => "InvalidOption",
            Self::InvalidName => "InvalidName",
            Self::DuplicateName => "DuplicateName",
        }
    }
}

impl fmt::Display for ReceiverProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoProvider => f.write_str("names no provider"),
            Self::MultipleProviders(names) => {
                write!(f, "names more than one provider ({})", names.join(", "))
            }
            Self::UnknownProvider(name) => {
                write!(f, "provider {name:?} is not served by this gateway")
            }
            Self::NoSecretRef => f.write_str("has no secretRef.name"),
            Self::SecretNotFound { namespace, name } => write!(
                f,
                "Secret {namespace}/{name} not found (it must exist, and match --secret-label-selector when one is set)"
            ),
            Self::SecretsNotYetRead { namespace } => {
                write!(
                    f,
                    "the Secrets of namespace {namespace} are still being read"
                )
            }
            Self::SecretAccessDenied { namespace } => write!(
                f,
                "the gateway may not list Secrets in namespace {namespace} (Kargo grants its \
                 webhook server's ServiceAccount this through the RoleBinding \
                 kargo-project-secrets-reader; see docs/install.md)"
            ),
            Self::SecretKeyMissing { secret, key } => {
                write!(f, "Secret {secret} has no key {key:?}")
            }
            Self::SecretValueUnusable {
                secret,
                key,
                problem,
            } => write!(
                f,
                "the value of key {key:?} of Secret {secret} {problem}; no sender can \
                 authenticate with it"
            ),
            Self::InvalidOption(error) => write!(f, "{error}"),
            Self::InvalidName => f.write_str("name must be 1 to 253 characters"),
            Self::DuplicateName => f.write_str("name is used by an earlier receiver"),
        }
    }
}

/// The outcome for one `spec.webhookReceivers[]` entry, in spec order.
#[derive(Debug, Clone)]
pub struct ReceiverResult {
    /// The entry's name.
    pub name: String,
    /// The live receiver or what is wrong with it.
    pub state: Result<Arc<Receiver>, ReceiverProblem>,
}

/// The Secret data the gateway keeps: per key, the value.
pub type SecretData = BTreeMap<String, SecretValue>;

/// What the gateway knows of one Secret.
#[derive(Debug, Clone)]
pub enum SecretLookup {
    /// The Secret and the keys some provider needs.
    Found(Arc<SecretData>),
    /// Its namespace was read and it is not there.
    NotFound,
    /// Its namespace has not been read yet (a project that just appeared).
    NotYetRead,
    /// The gateway may not read Secrets in its namespace.
    AccessDenied,
}

/// What a resolution needs besides the entries themselves.
#[derive(Debug, Clone, Copy)]
pub struct ResolveContext<'a> {
    /// The providers linked into this gateway.
    pub registry: &'a Registry,
    /// Namespace holding the Secrets of ClusterConfig receivers.
    pub cluster_secrets_namespace: &'a str,
    /// The limits of each receiver.
    pub rate_limit: RateLimit,
    /// How receiver paths are spelled.
    pub layout: &'a UrlLayout,
}

/// Resolves every entry of one object's `spec.webhookReceivers`.
pub fn resolve(
    owner: &Owner,
    entries: &[WebhookReceiverConfig],
    context: ResolveContext<'_>,
    secret: &dyn Fn(&str, &str) -> SecretLookup,
) -> Vec<ReceiverResult> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .map(|entry| {
            let state = if entry.name.is_empty() || entry.name.len() > 253 {
                Err(ReceiverProblem::InvalidName)
            } else if !seen.insert(entry.name.as_str()) {
                Err(ReceiverProblem::DuplicateName)
            } else {
                resolve_one(owner, entry, context, secret).map(Arc::new)
            };
            ReceiverResult {
                name: entry.name.clone(),
                state,
            }
        })
        .collect()
}

fn resolve_one(
    owner: &Owner,
    entry: &WebhookReceiverConfig,
    context: ResolveContext<'_>,
    secret: &dyn Fn(&str, &str) -> SecretLookup,
) -> Result<Receiver, ReceiverProblem> {
    let (provider_name, provider_config) = match entry.providers.len() {
        0 => return Err(ReceiverProblem::NoProvider),
        1 => entry
            .providers
            .iter()
            .next()
            .ok_or(ReceiverProblem::NoProvider)?,
        _ => {
            let names = entry.providers.keys().cloned().collect();
            return Err(ReceiverProblem::MultipleProviders(names));
        }
    };
    let provider = context
        .registry
        .get(provider_name)
        .ok_or_else(|| ReceiverProblem::UnknownProvider(provider_name.clone()))?;
    let secret_name =
        WebhookReceiverConfig::secret_name(provider_config).ok_or(ReceiverProblem::NoSecretRef)?;
    let options = ReceiverOptions::from_lookup(provider.options(), |field| {
        match provider_config.get(field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(()),
        }
    })
    .map_err(ReceiverProblem::InvalidOption)?;
    let secret_namespace = owner
        .namespace()
        .unwrap_or(context.cluster_secrets_namespace);
    let data = match secret(secret_namespace, secret_name) {
        SecretLookup::Found(data) => data,
        SecretLookup::NotFound => {
            return Err(ReceiverProblem::SecretNotFound {
                namespace: secret_namespace.to_owned(),
                name: secret_name.to_owned(),
            });
        }
        SecretLookup::NotYetRead => {
            return Err(ReceiverProblem::SecretsNotYetRead {
                namespace: secret_namespace.to_owned(),
            });
        }
        SecretLookup::AccessDenied => {
            return Err(ReceiverProblem::SecretAccessDenied {
                namespace: secret_namespace.to_owned(),
            });
        }
    };
    let credentials = Credentials::from_lookup(provider.secret_keys(), |key| {
        data.get(key).map(SecretValue::expose)
    })
    .map_err(|error| match error {
        SecretKeyError::Missing { key } => ReceiverProblem::SecretKeyMissing {
            secret: secret_name.to_owned(),
            key,
        },
        SecretKeyError::Unusable { key, problem } => ReceiverProblem::SecretValueUnusable {
            secret: secret_name.to_owned(),
            key,
            problem,
        },
    })?;
    let secret_values: Vec<&[u8]> = provider
        .secret_keys()
        .iter()
        .filter_map(|spec| data.get(spec.key).map(SecretValue::expose))
        .collect();
    let path = context.layout.path(&PathInputs {
        // Kargo's formula: the ClusterConfig's receivers hash an empty project.
        project: owner.namespace().unwrap_or_default(),
        receiver_type: provider.name(),
        receiver_name: &entry.name,
        secret_values: &secret_values,
    });
    Ok(Receiver {
        log_name: format!("{owner}#{}", entry.name),
        owner: owner.clone(),
        name: entry.name.clone(),
        provider,
        credentials,
        options,
        path,
        scope: owner.warehouses(),
        limiter: ReceiverLimiter::new(context.rate_limit),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::{entries, secrets, test_registry};

    fn project() -> Owner {
        Owner::Project {
            namespace: "team-a".into(),
            name: "team-a".into(),
        }
    }

    fn run(owner: &Owner, spec: serde_json::Value) -> Vec<ReceiverResult> {
        let registry = test_registry();
        let store = secrets(&[
            ("team-a", "harbor-secret", &[("auth-header", "Bearer a")]),
            ("team-a", "no-key", &[("token", "x")]),
            (
                "team-a",
                "from-file",
                &[("auth-header", "Bearer s3cret-from-file\n")],
            ),
            (
                "team-a",
                "leading-space",
                &[("auth-header", " Bearer s3cret")],
            ),
            ("team-a", "empty", &[("auth-header", "")]),
            (
                "kargo-system-resources",
                "cluster-secret",
                &[("auth-header", "Bearer c")],
            ),
        ]);
        let layout = UrlLayout::new("https://hooks.example.org", "").expect("valid layout");
        let context = ResolveContext {
            registry: &registry,
            cluster_secrets_namespace: "kargo-system-resources",
            rate_limit: RateLimit::UNLIMITED,
            layout: &layout,
        };
        resolve(owner, &entries(spec), context, &|ns, name| match ns {
            "denied" => SecretLookup::AccessDenied,
            "unread" => SecretLookup::NotYetRead,
            _ => store
                .get(&(ns.to_owned(), name.to_owned()))
                .cloned()
                .map_or(SecretLookup::NotFound, SecretLookup::Found),
        })
    }

    fn problems(results: &[ReceiverResult]) -> Vec<Option<ReceiverProblem>> {
        results
            .iter()
            .map(|r| r.state.as_ref().err().cloned())
            .collect()
    }

    #[test]
    fn each_problem_is_reported_and_good_siblings_work() {
        let results = run(
            &project(),
            serde_json::json!([
                {"name": "good", "harbor": {"secretRef": {"name": "harbor-secret"}}},
                {"name": "missing", "harbor": {"secretRef": {"name": "nope"}}},
                {"name": "nokey", "harbor": {"secretRef": {"name": "no-key"}}},
                {"name": "none"},
                {"name": "two", "harbor": {"secretRef": {"name": "harbor-secret"}}, "quay": {}},
                {"name": "unknown", "nexus": {"secretRef": {"name": "harbor-secret"}}},
                {"name": "noref", "harbor": {}},
                {"name": "", "harbor": {"secretRef": {"name": "harbor-secret"}}},
                {"name": "good", "harbor": {"secretRef": {"name": "harbor-secret"}}},
            ]),
        );
        assert_eq!(
            problems(&results),
            [
                None,
                Some(ReceiverProblem::SecretNotFound {
                    namespace: "team-a".into(),
                    name: "nope".into()
                }),
                Some(ReceiverProblem::SecretKeyMissing {
                    secret: "no-key".into(),
                    key: "auth-header"
                }),
                Some(ReceiverProblem::NoProvider),
                Some(ReceiverProblem::MultipleProviders(vec![
                    "harbor".into(),
                    "quay".into()
                ])),
                Some(ReceiverProblem::UnknownProvider("nexus".into())),
                Some(ReceiverProblem::NoSecretRef),
                Some(ReceiverProblem::InvalidName),
                Some(ReceiverProblem::DuplicateName),
            ]
        );
        let good = results[0].state.as_ref().expect("good receiver");
        assert_eq!(good.scope, WarehouseScope::Namespace("team-a".into()));
        assert!(
            good.credentials
                .header("auth-header")
                .is_some_and(|h| h.matches(b"Bearer a"))
        );
    }

    #[test]
    fn cluster_receivers_read_secrets_from_the_configured_namespace() {
        let owner = Owner::Cluster {
            name: "cluster".into(),
        };
        let results = run(
            &owner,
            serde_json::json!([
                {"name": "c", "harbor": {"secretRef": {"name": "cluster-secret"}}},
                {"name": "p", "harbor": {"secretRef": {"name": "harbor-secret"}}},
            ]),
        );
        let receiver = results[0].state.as_ref().expect("cluster receiver");
        assert_eq!(receiver.scope, WarehouseScope::AllNamespaces);
        assert!(receiver.scope.contains("any-namespace"));
        assert_eq!(
            results[1].state.as_ref().err(),
            Some(&ReceiverProblem::SecretNotFound {
                namespace: "kargo-system-resources".into(),
                name: "harbor-secret".into()
            })
        );
    }

    #[test]
    fn paths_follow_kargos_formula_with_the_owners_project() {
        let results = run(
            &project(),
            serde_json::json!([{"name": "good", "harbor": {"secretRef": {"name": "harbor-secret"}}}]),
        );
        let receiver = results[0].state.as_ref().expect("live");
        let expected = UrlLayout::new("https://hooks.example.org", "")
            .expect("valid layout")
            .path(&PathInputs {
                project: "team-a",
                receiver_type: "harbor",
                receiver_name: "good",
                secret_values: &[b"Bearer a"],
            });
        assert_eq!(receiver.path, expected);
        let cluster = Owner::Cluster {
            name: "cluster".into(),
        };
        let results = run(
            &cluster,
            serde_json::json!([{"name": "c", "harbor": {"secretRef": {"name": "cluster-secret"}}}]),
        );
        let receiver = results[0].state.as_ref().expect("live");
        let expected = UrlLayout::new("https://hooks.example.org", "")
            .expect("valid layout")
            .path(&PathInputs {
                project: "",
                receiver_type: "harbor",
                receiver_name: "c",
                secret_values: &[b"Bearer c"],
            });
        assert_eq!(
            receiver.path, expected,
            "a cluster receiver's project is empty"
        );
    }

    #[test]
    fn unread_and_forbidden_namespaces_are_their_own_problems() {
        for (namespace, reason, pending) in [
            ("unread", "SecretsNotYetRead", true),
            ("denied", "SecretAccessDenied", false),
        ] {
            let owner = Owner::Project {
                namespace: namespace.into(),
                name: namespace.into(),
            };
            let results = run(
                &owner,
                serde_json::json!([{"name": "r", "harbor": {"secretRef": {"name": "s"}}}]),
            );
            let problem = results[0].state.as_ref().expect_err("not live");
            assert_eq!(problem.reason(), reason);
            assert_eq!(problem.is_pending(), pending);
            assert!(problem.to_string().contains(namespace));
        }
    }

    /// A value no sender can present makes the receiver not ready with its
    /// own reason, instead of a receiver that refuses every delivery (or
    /// would accept an empty header).
    #[test]
    fn secret_values_no_sender_can_present_are_their_own_problem() {
        let results = run(
            &project(),
            serde_json::json!([
                {"name": "newline", "harbor": {"secretRef": {"name": "from-file"}}},
                {"name": "space", "harbor": {"secretRef": {"name": "leading-space"}}},
                {"name": "empty", "harbor": {"secretRef": {"name": "empty"}}},
                {"name": "good", "harbor": {"secretRef": {"name": "harbor-secret"}}},
            ]),
        );
        let expected = [
            ("from-file", UnusableValue::SurroundingWhitespace),
            ("leading-space", UnusableValue::SurroundingWhitespace),
            ("empty", UnusableValue::Empty),
        ];
        for (result, (secret, problem)) in results.iter().zip(expected) {
            let found = result.state.as_ref().expect_err("not ready");
            assert_eq!(
                found,
                &ReceiverProblem::SecretValueUnusable {
                    secret: secret.into(),
                    key: "auth-header",
                    problem
                }
            );
            assert_eq!(found.reason(), "SecretValueUnusable");
            assert!(!found.is_pending());
            let message = found.to_string();
            assert!(message.contains(secret) && message.contains("auth-header"));
            assert!(!message.contains("s3cret"), "{message}");
        }
        assert!(
            results[1]
                .state
                .as_ref()
                .expect_err("not ready")
                .to_string()
                .contains("whitespace")
        );
        assert!(results[3].state.is_ok(), "good siblings still work");
    }

    #[test]
    fn problem_messages_name_what_is_wrong_without_secret_values() {
        let missing = ReceiverProblem::SecretKeyMissing {
            secret: "s".into(),
            key: "auth-header",
        };
        assert_eq!(missing.to_string(), "Secret s has no key \"auth-header\"");
        assert_eq!(missing.reason(), "SecretKeyMissing");
    }
}
