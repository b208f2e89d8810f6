//! Command-line flags. Every flag can also be set through the environment
//! variable named in its help; the Helm chart sets them that way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::ratelimit::{Rate, RateLimit};

/// Default of `--max-concurrent-patches`, and of the refresher's setting
/// when it is built without a command line (tests, tools).
pub const DEFAULT_MAX_CONCURRENT_PATCHES: usize = 8;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Receives registry and Git webhooks and refreshes the Kargo Warehouses
/// that subscribe to what changed.
#[derive(Debug, Clone, Parser)]
#[command(name = "kargo-webhook-gateway", version, about, long_about = None)]
pub struct Config {
    /// Address the webhook server listens on.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_WEBHOOK_ADDRESS",
        default_value = "0.0.0.0:8080"
    )]
    pub webhook_address: SocketAddr,

    /// Address of the admin server (/healthz, /readyz, /metrics).
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_ADMIN_ADDRESS",
        default_value = "0.0.0.0:8081"
    )]
    pub admin_address: SocketAddr,

    /// PEM certificate chain for HTTPS on the webhook port (leaf first);
    /// with `--tls-key-path`. Unset: plain HTTP. Re-read when it changes.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_TLS_CERT_PATH",
        requires = "tls_key_path"
    )]
    pub tls_cert_path: Option<PathBuf>,

    /// PEM private key of the certificate in `--tls-cert-path`.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_TLS_KEY_PATH",
        requires = "tls_cert_path"
    )]
    pub tls_key_path: Option<PathBuf>,

    /// The URL senders reach the webhook server at, without the base path;
    /// published receiver URLs start with it.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_EXTERNAL_URL",
        default_value = "http://localhost:8080"
    )]
    pub external_url: String,

    /// Path prefix of every receiver URL, e.g. `/webhooks` (empty for none).
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_BASE_PATH", default_value = "")]
    pub base_path: String,

    /// Namespace holding the Secrets of ClusterConfig receivers.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_CLUSTER_SECRETS_NAMESPACE",
        default_value = "kargo-system-resources"
    )]
    pub cluster_secrets_namespace: String,

    /// Label selector of the Secrets the gateway watches in each namespace
    /// receivers read from. Empty (the default, as Kargo's own webhook
    /// server reads a receiver's Secret by name, label or not): every Secret
    /// there. A receiver's Secret must match it.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_SECRET_LABEL_SELECTOR",
        default_value = ""
    )]
    pub secret_label_selector: String,

    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    pub body_limit: usize,

    /// Memory for request bodies held at once, over all connections, in
    /// bytes; at least `--body-limit`. A body that finds no room within a
    /// short wait is answered 503 with Retry-After.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_BODY_MEMORY_BUDGET",
        default_value_t = 64 * 1024 * 1024
    )]
    pub body_memory_budget: usize,

    /// Time from receiving a delivery to answering it; a refresh not
    /// confirmed by then is answered 503 (and goes on). Keep it below the
    /// sender's timeout (Harbor: 3s).
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_ANSWER_DEADLINE", default_value = "2500ms", value_parser = parse_duration)]
    pub answer_deadline: Duration,

    /// Time allowed to receive a request's headers.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_HEADER_READ_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// Time allowed to receive a request's body once its headers arrived;
    /// below `--answer-deadline`, since a body that arrives later can no
    /// longer be answered in time.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_BODY_READ_TIMEOUT", default_value = "1s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,

    /// Sustained deliveries with the right credentials per second per
    /// receiver; 0 (the default) disables the limit. Failed attempts never
    /// count against it.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_RECEIVER_RATE",
        default_value_t = 0.0
    )]
    pub receiver_rate: f64,

    /// Deliveries with the right credentials per receiver allowed in a
    /// burst above `--receiver-rate`.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_RECEIVER_BURST",
        default_value_t = 500.0
    )]
    pub receiver_burst: f64,

    /// Failed attempts (wrong or missing credentials) per second per
    /// receiver answered 401; beyond it they get 429 and are logged at debug
    /// only. 0 disables the limit. Never affects the right credentials.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_FAILED_ATTEMPT_RATE",
        default_value_t = 10.0
    )]
    pub failed_attempt_rate: f64,

    /// Failed attempts per receiver answered 401 in a burst above
    /// `--failed-attempt-rate`.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_FAILED_ATTEMPT_BURST",
        default_value_t = 100.0
    )]
    pub failed_attempt_burst: f64,

    /// Worker threads of the webhook server (0: one per CPU).
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// On SIGTERM, time allowed for in-flight deliveries to finish.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_SHUTDOWN_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// Elect one replica to publish receiver status through a Lease. Turn
    /// off only when running a single replica.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,

    /// Namespace of the Lease (normally the gateway's own namespace).
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_LEASE_NAMESPACE",
        default_value = "default"
    )]
    pub lease_namespace: String,

    /// Name of the Lease.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_LEASE_NAME",
        default_value = "kargo-webhook-gateway"
    )]
    pub lease_name: String,

    /// This replica's identity in the Lease (normally the Pod name); a
    /// random one when empty.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_IDENTITY", default_value = "")]
    pub identity: String,

    /// Write `status.webhookReceivers` and the `Ready` condition of
    /// ProjectConfigs and ClusterConfigs. Leave off wherever Kargo's
    /// management controller runs: it owns that status and publishes the
    /// same URLs. Only for clusters without it.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_PUBLISH_STATUS", default_value_t = false, action = clap::ArgAction::Set)]
    pub publish_status: bool,

    /// Log format.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log level or filter, e.g. `info` or `info,kargo_webhook_gateway=debug`.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Refresh patches in flight at once, over all Warehouses; the others
    /// wait their turn in arrival order. Bounds the load a burst puts on
    /// the API server.
    #[arg(
        long,
        env = "KARGO_WEBHOOK_GATEWAY_MAX_CONCURRENT_PATCHES",
        default_value_t = DEFAULT_MAX_CONCURRENT_PATCHES,
        value_parser = parse_at_least_one
    )]
    pub max_concurrent_patches: usize,

    /// Per Warehouse, the first refresh in this time gets a Kubernetes
    /// Event (reason WebhookRefresh); later ones are counted into its series,
    /// updated once when the window ends. At least 1s.
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_REFRESH_EVENT_WINDOW", default_value = "60s", value_parser = parse_duration)]
    pub refresh_event_window: Duration,

    /// Coalesce refreshes of one Warehouse (always on in production; the
    /// benchmarks turn it off to measure what it saves).
    #[arg(long, env = "KARGO_WEBHOOK_GATEWAY_COALESCE", default_value_t = true, action = clap::ArgAction::Set, hide = true)]
    pub coalesce: bool,
}

impl Config {
    /// The configuration a flagless command line gives, for tests and tools.
    pub fn defaults() -> Self {
        Self::parse_from(["kargo-webhook-gateway"])
    }

    /// Checks what single flags cannot: values that contradict each other.
    pub fn check(&self) -> Result<(), String> {
        if self.body_memory_budget < self.body_limit {
            return Err(format!(
                "--body-memory-budget ({}) is smaller than --body-limit ({}): a body at the \
                 limit could never be read",
                self.body_memory_budget, self.body_limit
            ));
        }
        if self.refresh_event_window < Duration::from_secs(1) {
            return Err(format!(
                "--refresh-event-window ({:?}) is below 1s: Events would no longer be aggregated",
                self.refresh_event_window
            ));
        }
        Ok(())
    }

    /// The per-receiver limits these flags set.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            deliveries: Rate {
                per_second: self.receiver_rate,
                burst: self.receiver_burst,
            },
            failed_attempts: Rate {
                per_second: self.failed_attempt_rate,
                burst: self.failed_attempt_burst,
            },
        }
    }
}

/// Parses a whole number of at least 1.
fn parse_at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(count) => Ok(count),
        Err(error) => Err(error.to_string()),
    }
}

/// Parses `2500ms`, `2.5s`, `1m`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 2500ms, 2.5s or 1m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit {other:?}: use ms, s, m or h"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2500ms"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn patch_turns_are_at_least_one() {
        assert_eq!(parse_at_least_one("16"), Ok(16));
        assert_eq!(
            parse_at_least_one("0"),
            Err("must be at least 1".to_owned())
        );
        assert!(parse_at_least_one("-1").is_err());
        let flags = ["kargo-webhook-gateway", "--max-concurrent-patches", "0"];
        assert!(Config::try_parse_from(flags).is_err());
    }

    #[test]
    fn every_flag_has_an_environment_variable_and_help() {
        let command = Config::command();
        for argument in command.get_arguments() {
            let id = argument.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(
                argument.get_env().is_some(),
                "--{id} has no environment variable"
            );
            assert!(argument.get_help().is_some(), "--{id} has no help");
        }
        command.debug_assert();
    }

    /// docs/configuration.md is what operators read: every visible flag and
    /// its environment variable must be listed there.
    #[test]
    fn every_flag_is_documented() {
        let doc = include_str!("../../docs/configuration.md");
        for argument in Config::command().get_arguments() {
            let id = argument.get_id().as_str();
            if id == "help" || id == "version" || argument.is_hide_set() {
                continue;
            }
            let long = format!("`--{}`", argument.get_long().expect("long flag"));
            let env = format!("`{}`", argument.get_env().expect("env").to_string_lossy());
            assert!(
                doc.contains(&long),
                "{long} missing from docs/configuration.md"
            );
            assert!(
                doc.contains(&env),
                "{env} missing from docs/configuration.md"
            );
        }
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = Config::defaults();
        assert_eq!(config.body_limit, 2 * 1024 * 1024);
        assert_eq!(config.body_memory_budget, 64 * 1024 * 1024);
        assert_eq!(config.answer_deadline, Duration::from_millis(2500));
        assert!(
            config.body_read_timeout < config.answer_deadline,
            "a body that arrives after the deadline can never be answered in time"
        );
        assert_eq!(config.body_read_timeout, Duration::from_secs(1));
        assert_eq!(
            config.rate_limit().deliveries.per_second,
            0.0,
            "off by default"
        );
        assert_eq!(
            config.rate_limit().failed_attempts,
            Rate {
                per_second: 10.0,
                burst: 100.0
            }
        );
        assert_eq!(config.check(), Ok(()));
        assert_eq!(config.max_concurrent_patches, 8);
        assert_eq!(config.webhook_address.port(), 8080);
        assert_eq!(config.admin_address.port(), 8081);
        assert!(config.coalesce);
        assert!(!config.publish_status, "Kargo's controller owns status");
        assert_eq!(config.refresh_event_window, Duration::from_secs(60));
        let unaggregated =
            Config::try_parse_from(["x", "--refresh-event-window", "0s"]).expect("the flag parses");
        assert!(unaggregated.check().is_err());
    }

    #[test]
    fn tls_takes_both_files_or_neither() {
        let defaults = Config::defaults();
        assert_eq!(
            (defaults.tls_cert_path, defaults.tls_key_path),
            (None, None)
        );
        let both =
            Config::try_parse_from(["x", "--tls-cert-path", "c.pem", "--tls-key-path", "k.pem"])
                .expect("valid flags");
        assert_eq!(both.tls_cert_path, Some(PathBuf::from("c.pem")));
        assert_eq!(both.tls_key_path, Some(PathBuf::from("k.pem")));
        for (given, missing) in [
            ("--tls-cert-path", "--tls-key-path"),
            ("--tls-key-path", "--tls-cert-path"),
        ] {
            let error = Config::try_parse_from(["x", given, "file.pem"])
                .expect_err("one TLS file alone is refused")
                .to_string();
            assert!(error.contains(missing), "{given} alone: {error}");
        }
    }

    #[test]
    fn a_budget_smaller_than_one_body_is_refused() {
        let config = Config::try_parse_from([
            "x",
            "--body-limit",
            "1048576",
            "--body-memory-budget",
            "1048575",
        ])
        .expect("each flag parses");
        let error = config.check().expect_err("contradiction");
        assert!(error.contains("--body-memory-budget"), "{error}");
    }

    #[test]
    fn flags_override_defaults() {
        let config =
            Config::try_parse_from(["x", "--answer-deadline", "1s", "--leader-election", "false"])
                .expect("valid flags");
        assert_eq!(config.answer_deadline, Duration::from_secs(1));
        assert!(!config.leader_election);
    }
}
