//! The command line: without a subcommand the gateway serves (every flag
//! of [`Config`]); `explain` dry-runs a delivery, `providers` lists the
//! providers linked into this binary.

pub mod providers;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::explain::ExplainArgs;

/// Receives registry and Git webhooks and refreshes the Kargo Warehouses
/// that subscribe to what changed. Without a subcommand, serves.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kargo-webhook-gateway",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// How to serve.
    #[command(flatten)]
    pub serve: Config,

    /// A tool instead of the server.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The tools.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Dry run: which Warehouses would a payload refresh, and why (or why
    /// not)? Authentication is skipped; no Secret is read.
    ///
    /// Parses the payload as the receiver's provider would, skipping
    /// authentication, and judges it with the server's own selection rules
    /// against the Warehouses of the cluster (KUBECONFIG; read-only) or of
    /// local manifests (--warehouses). Prints one line per Warehouse
    /// subscribing to a pushed repository, `namespace/name  yes|no  reason`,
    /// then Warehouses subscribing to other repositories of the same host.
    /// Exit code 0 when it ran, 2 on bad input, 1 when the cluster could not
    /// be read.
    Explain(ExplainArgs),
    /// The providers this gateway serves: Secret keys, authentication,
    /// options.
    Providers(providers::ProvidersArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::Output;
    use clap::CommandFactory;

    fn parse(flags: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kargo-webhook-gateway").chain(flags.iter().copied()))
    }

    #[test]
    fn flags_alone_serve_as_before() {
        let cli = parse(&["--answer-deadline", "1s", "--publish-status", "true"]).expect("flags");
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.answer_deadline, std::time::Duration::from_secs(1));
        assert!(cli.serve.publish_status);
        let bare = parse(&[]).expect("no flags");
        assert!(bare.command.is_none());
        assert_eq!(
            format!("{:?}", bare.serve),
            format!("{:?}", Config::defaults()),
            "no flags: the same configuration as before subcommands existed"
        );
        Cli::command().debug_assert();
    }

    #[test]
    fn explain_takes_a_payload_a_provider_headers_options_and_a_scope() {
        let cli = parse(&[
            "explain",
            "--file",
            "push.json",
            "--provider",
            "harbor",
            "--header",
            "Content-Type: application/cloudevents+json",
            "--header",
            "X-Other:1",
            "--option",
            "virtualRepoName=docker",
            "--project",
            "kargo-demo",
            "--warehouses",
            "manifests/",
            "--warehouses",
            "more.yaml",
            "--output",
            "json",
        ])
        .expect("valid");
        let Some(Command::Explain(args)) = cli.command else {
            panic!("explain expected");
        };
        assert_eq!(
            args.file.as_deref(),
            Some(std::path::Path::new("push.json"))
        );
        assert_eq!(args.provider.as_deref(), Some("harbor"));
        assert_eq!(
            args.headers,
            [
                (
                    "Content-Type".to_owned(),
                    "application/cloudevents+json".to_owned()
                ),
                ("X-Other".to_owned(), "1".to_owned()),
            ]
        );
        assert_eq!(
            args.options,
            [("virtualRepoName".to_owned(), "docker".to_owned())]
        );
        assert_eq!(args.project.as_deref(), Some("kargo-demo"));
        assert!(!args.cluster);
        assert_eq!(args.warehouses.len(), 2);
        assert_eq!(args.output, Output::Json);
    }

    #[test]
    fn explain_needs_one_provider_and_one_scope() {
        for (flags, why) in [
            (&["explain", "--project", "p"][..], "no provider"),
            (&["explain", "--provider", "harbor"][..], "no scope"),
            (
                &[
                    "explain",
                    "--provider",
                    "harbor",
                    "--url",
                    "u",
                    "--project",
                    "p",
                ][..],
                "provider and URL",
            ),
            (
                &[
                    "explain",
                    "--provider",
                    "harbor",
                    "--project",
                    "p",
                    "--cluster",
                ][..],
                "project and cluster",
            ),
            (
                &[
                    "explain",
                    "--provider",
                    "harbor",
                    "--cluster",
                    "--header",
                    "nocolon",
                ][..],
                "a header without a colon",
            ),
            (
                &[
                    "explain",
                    "--provider",
                    "harbor",
                    "--cluster",
                    "--option",
                    "noequals",
                ][..],
                "an option without =",
            ),
        ] {
            let error = parse(flags).expect_err(why);
            // clap exits with 2 on a usage error: bad input, as documented.
            assert_eq!(error.exit_code(), 2, "{why}");
        }
        let cli = parse(&["explain", "--provider", "harbor", "--cluster"]).expect("stdin, cluster");
        let Some(Command::Explain(args)) = cli.command else {
            panic!("explain expected");
        };
        assert_eq!(
            (args.file, args.cluster, args.output),
            (None, true, Output::Text)
        );
    }

    #[test]
    fn server_flags_do_not_mix_with_subcommands() {
        assert!(parse(&["--workers", "2", "providers"]).is_err());
        let cli = parse(&["providers", "--output", "json"]).expect("valid");
        assert!(matches!(
            cli.command,
            Some(Command::Providers(providers::ProvidersArgs {
                output: Output::Json
            }))
        ));
    }

    /// docs/configuration.md documents the subcommands' flags too.
    #[test]
    fn every_subcommand_flag_is_documented() {
        let doc = include_str!("../../../docs/configuration.md");
        let command = Cli::command();
        for sub in command.get_subcommands() {
            let name = format!("`{}`", sub.get_name());
            assert!(
                doc.contains(&name),
                "{name} missing from docs/configuration.md"
            );
            for argument in sub.get_arguments() {
                let Some(long) = argument.get_long() else {
                    continue;
                };
                if long == "help" {
                    continue;
                }
                let flag = format!("`--{long}");
                assert!(
                    doc.contains(&flag),
                    "{flag}` missing from docs/configuration.md"
                );
            }
        }
    }
}
