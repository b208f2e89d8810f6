//! `kargo-webhook-gateway explain`: a dry run of one delivery. Which
//! Warehouses would this payload refresh, and why, or why not?
//!
//! The payload goes through the provider's own parse step (authentication
//! skipped: no Secret is read), and each Warehouse subscribing to a pushed
//! repository is judged by the server's own selection
//! (`dispatch::judge_candidates`), so the dry run cannot disagree with the
//! server. Warehouses come from the cluster (read-only) or local manifests.
//!
//! - `args.rs`: the command line and the checked request;
//! - `receiver_url.rs`: the provider a receiver URL names;
//! - `delivery.rs`: the payload through the provider;
//! - `manifests.rs`, `source.rs`: the Warehouses, indexed;
//! - `decisions.rs`: the verdicts; `render.rs`: the output;
//! - `error.rs`: bad input (exit 2) and an unreadable cluster (exit 1).

mod args;
mod decisions;
mod delivery;
mod error;
mod manifests;
mod receiver_url;
mod render;
mod source;

pub use args::{ExplainArgs, Output, Request};
pub use decisions::{Decisions, Line, NOT_CONCERNED_SHOWN, PushLines};
pub use error::{BadInput, Failure};
pub use manifests::{ManifestError, Manifests};
pub use receiver_url::{UrlError, provider_of};
pub use render::emit;
pub use source::{Indexed, Source};

use std::process::ExitCode;

use kargo_webhook_provider::Outcome;

use crate::kargo::PromotionId;
use crate::providers_linked;

/// What a delivery comes to.
#[derive(Debug, Clone)]
pub enum Explanation {
    /// Pushes, judged per Warehouse.
    Refresh {
        /// The verdicts.
        decisions: Decisions,
        /// Where the Warehouses came from, in words.
        origin: String,
    },
    /// A ping: nothing to refresh.
    Ping,
    /// A pull request was closed.
    PullRequestClosed {
        /// The pull request's URL.
        url: String,
        /// The Promotions waiting on it, one line each; `None` when the
        /// Warehouses come from files (Promotions live in the cluster).
        waiting: Option<Vec<Line>>,
    },
}

/// A dry run's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// The provider that parsed the payload.
    pub provider: &'static str,
    /// What the delivery comes to.
    pub explanation: Explanation,
    /// What was passed over on the way, one line each.
    pub warnings: Vec<String>,
}

/// Explains `payload` as a delivery of `request`'s receiver, with the
/// Warehouses of `source`.
pub async fn explain(
    request: &Request,
    payload: &[u8],
    source: &Source,
) -> Result<Report, Failure> {
    let provider = request.provider.name();
    let report = |explanation, warnings| Report {
        provider,
        explanation,
        warnings,
    };
    match delivery::parse(request, payload)? {
        Outcome::Ignored(reason) => Err(BadInput::Ignored { provider, reason }.into()),
        Outcome::Ping => Ok(report(Explanation::Ping, Vec::new())),
        Outcome::PullRequestClosed { url } => {
            let waiting = match source.client().await? {
                None => None,
                Some(client) => {
                    let found =
                        source::promotions_waiting_on(&client, &request.scope, &url).await?;
                    Some(
                        found
                            .iter()
                            .map(|promotion| waiting_line(promotion, &url))
                            .collect(),
                    )
                }
            };
            Ok(report(
                Explanation::PullRequestClosed { url, waiting },
                Vec::new(),
            ))
        }
        Outcome::Refresh(pushes) => {
            let indexed = source::warehouses(source, &request.scope).await?;
            let decisions = decisions::decide(&indexed.index, &request.scope, &pushes);
            let origin = format!("{} ({} in scope)", indexed.origin, indexed.in_scope);
            Ok(report(
                Explanation::Refresh { decisions, origin },
                indexed.warnings,
            ))
        }
    }
}

/// A Promotion the server would refresh for a closed pull request.
fn waiting_line(promotion: &PromotionId, url: &str) -> Line {
    Line {
        namespace: promotion.namespace().to_owned(),
        name: promotion.name().to_owned(),
        subscription: format!("pull request {url}"),
        refresh: true,
        reason: "Running, and a git-wait-for-pr step waits on this pull request".to_owned(),
    }
}

/// The subcommand: prints the report (warnings on standard error) and
/// returns the exit code.
pub async fn run(args: ExplainArgs) -> ExitCode {
    match report(&args).await {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            match args.output {
                Output::Text => emit(&render::text(&report)),
                Output::Json => emit(&render::json(&report)),
            }
        }
        Err(failure) => {
            eprintln!("kargo-webhook-gateway explain: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

async fn report(args: &ExplainArgs) -> Result<Report, Failure> {
    let registry = providers_linked::registry().map_err(|e| Failure::Cluster(e.to_string()))?;
    let request = args.request(&registry)?;
    let payload = args.payload()?;
    let source = if args.warehouses.is_empty() {
        Source::Kubeconfig
    } else {
        Source::Files(args.warehouses.clone())
    };
    explain(&request, &payload, &source).await
}

#[cfg(test)]
mod tests;
