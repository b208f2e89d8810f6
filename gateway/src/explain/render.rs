//! The dry run's output: lines for people (comments start with `#`), or a
//! JSON array of `{namespace, name, subscription, refresh, reason}`.

use std::fmt::Write;
use std::io::Write as _;
use std::process::ExitCode;

use super::decisions::{Decisions, Line};
use super::{Explanation, Report};

/// The report as text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# dry run of a {} delivery: authentication skipped (no Secret read); the payload is \
         parsed as if its sender had been authenticated",
        report.provider
    );
    match &report.explanation {
        Explanation::Ping => {
            out.push_str(
                "# a ping: the sender checks the receiver; the server answers 200 and refreshes nothing\n",
            );
        }
        Explanation::PullRequestClosed { url, waiting } => {
            let _ = writeln!(
                out,
                "# pull request {url} closed: the server refreshes the Running Promotions in \
                 scope whose git-wait-for-pr step waits on this URL"
            );
            match waiting {
                None => out.push_str(
                    "# Promotions are read from the cluster only: run without --warehouses to list them\n",
                ),
                Some(lines) if lines.is_empty() => {
                    out.push_str("# no Promotion in scope waits on it\n");
                }
                Some(lines) => table(&mut out, lines),
            }
        }
        Explanation::Refresh { decisions, origin } => refresh(&mut out, decisions, origin),
    }
    out
}

fn refresh(out: &mut String, decisions: &Decisions, origin: &str) {
    let _ = writeln!(out, "# Warehouses from {origin}");
    if decisions.pushes.is_empty() {
        out.push_str("# the delivery names no repository\n");
    }
    for push in &decisions.pushes {
        let _ = writeln!(out, "# {}", push.summary);
        if push.candidates.is_empty() {
            out.push_str("# no Warehouse in scope subscribes to this repository\n");
        }
        table(out, &push.candidates);
    }
    if !decisions.not_concerned.is_empty() {
        out.push_str("# Warehouses subscribing to other repositories of the same host:\n");
        table(out, &decisions.not_concerned);
        if decisions.more_not_concerned > 0 {
            let _ = writeln!(out, "# ... and {} more", decisions.more_not_concerned);
        }
    }
    match decisions.ignored {
        Some(reason) => {
            let _ = writeln!(out, "# the server answers 200 \"ignored: {reason}\"");
        }
        None => {
            let refreshed = decisions.refreshed();
            let _ = writeln!(
                out,
                "# the server would refresh {} Warehouse(s)",
                refreshed.len()
            );
        }
    }
}

/// `namespace/name  yes|no  reason`, names padded to one width.
fn table(out: &mut String, lines: &[Line]) {
    let width = lines
        .iter()
        .map(|line| line.namespace.len() + 1 + line.name.len())
        .max()
        .unwrap_or_default();
    for line in lines {
        let name = format!("{}/{}", line.namespace, line.name);
        let verdict = if line.refresh { "yes" } else { "no " };
        let _ = writeln!(out, "{name:width$}  {verdict}  {}", line.reason);
    }
}

/// The report as a JSON array (a ping gives an empty one).
pub fn json(report: &Report) -> String {
    let lines: Vec<&Line> = match &report.explanation {
        Explanation::Ping => Vec::new(),
        Explanation::PullRequestClosed { waiting, .. } => waiting.iter().flatten().collect(),
        Explanation::Refresh { decisions, .. } => decisions.lines().collect(),
    };
    let mut text = serde_json::to_string_pretty(&lines).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// Writes a tool's result to standard output: success, unless it could not
/// be written (a reader that went away early is no failure of ours).
pub fn emit(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kargo-webhook-gateway: cannot write the output: {error}");
            ExitCode::FAILURE
        }
    }
}
