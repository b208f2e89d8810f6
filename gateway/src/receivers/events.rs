//! Tells operators about receivers the gateway cannot serve through
//! Kubernetes Events on their ProjectConfig or ClusterConfig: one Event when
//! a receiver's problem appears or changes, one when it is ready again,
//! never one per delivery. This is how problems reach `kubectl describe`
//! while Kargo's controller owns the status. Only the Lease holder reports,
//! so that replicas do not repeat each other.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder};
use tokio::sync::watch;

use super::builder::SharedTable;
use super::resolve::ReceiverProblem;
use super::sources::SharedSources;
use crate::kargo::Owner;
use crate::kube_events;

/// Reason of the Event that says a receiver works again.
pub const REASON_READY: &str = "ReceiverReady";
/// The Events' action.
const ACTION: &str = "SetUpReceiver";

/// A receiver, by its owner and name.
type ReceiverKey = (Owner, String);

/// What an Event says of one receiver; compared with the last one sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// It works.
    Ready,
    /// It does not, for this reason; the text names what to fix.
    Problem {
        /// The condition-style reason.
        reason: &'static str,
        /// The human-readable text (no secret, no path).
        message: String,
    },
}

/// Reports receiver problems as Events while this replica leads.
pub struct ProblemReporter {
    sources: Arc<SharedSources>,
    table: SharedTable,
    leader: watch::Receiver<bool>,
    recorder: Recorder,
    /// The last report sent per receiver.
    sent: HashMap<ReceiverKey, Report>,
}

impl std::fmt::Debug for ProblemReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProblemReporter")
            .field("reported", &self.sent.len())
            .finish_non_exhaustive()
    }
}

impl ProblemReporter {
    /// A reporter that publishes as `instance` (this replica's identity).
    pub fn new(
        client: kube::Client,
        instance: String,
        sources: Arc<SharedSources>,
        table: SharedTable,
        leader: watch::Receiver<bool>,
    ) -> Self {
        Self {
            sources,
            table,
            leader,
            recorder: Recorder::new(client, kube_events::reporter(instance)),
            sent: HashMap::new(),
        }
    }

    /// Reports on every table change until the process ends.
    pub async fn run(mut self) {
        loop {
            if *self.leader.borrow_and_update() {
                self.report_changes().await;
            } else {
                // A new leader reports afresh; this one forgets.
                self.sent.clear();
            }
            tokio::select! {
                () = self.sources.table_changed.notified() => {}
                changed = self.leader.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn report_changes(&mut self) {
        let table = self.table.load_full();
        let current = current_reports(&table);
        let changes = changed_reports(&self.sent, &current);
        for (key, report) in changes {
            let Some(reference) = self.reference(&key.0) else {
                continue;
            };
            let event = event_for(&key.1, &report);
            match self.recorder.publish(&event, &reference).await {
                Ok(()) => {
                    self.sent.insert(key, report);
                }
                Err(error) => tracing::warn!(
                    owner = %key.0,
                    receiver = %key.1,
                    %error,
                    "could not create an Event about a receiver"
                ),
            }
        }
        self.sent.retain(|key, _| current.contains_key(key));
    }

    /// The object an Event is about, or `None` when it is gone.
    fn reference(&self, owner: &Owner) -> Option<ObjectReference> {
        let uid = self.sources.lock().configs.get(owner)?.uid.clone();
        Some(kube_events::regarding(
            owner.kind(),
            owner.namespace(),
            owner.name(),
            uid,
        ))
    }
}

/// What each receiver of the table would be reported as now. Receivers
/// that are still waiting for their Secrets to be read are left out.
pub fn current_reports(table: &super::table::ReceiverTable) -> HashMap<ReceiverKey, Report> {
    table
        .owners()
        .iter()
        .flat_map(|owner| {
            owner.results.iter().filter_map(|result| {
                let report = match &result.state {
                    Ok(_) => Report::Ready,
                    Err(problem) if problem.is_pending() => return None,
                    Err(problem) => problem_report(problem),
                };
                Some(((owner.owner.clone(), result.name.clone()), report))
            })
        })
        .collect()
}

fn problem_report(problem: &ReceiverProblem) -> Report {
    Report::Problem {
        reason: problem.reason(),
        message: problem.to_string(),
    }
}

/// The reports to send: every problem that is new or changed, and every
/// receiver that became ready after a reported problem. A receiver seen
/// ready for the first time is not worth an Event.
pub fn changed_reports(
    sent: &HashMap<ReceiverKey, Report>,
    current: &HashMap<ReceiverKey, Report>,
) -> Vec<(ReceiverKey, Report)> {
    let mut changes: Vec<(ReceiverKey, Report)> = current
        .iter()
        .filter(|(key, report)| match (sent.get(*key), report) {
            (None, Report::Ready) => false,
            (previous, report) => previous != Some(*report),
        })
        .map(|(key, report)| (key.clone(), report.clone()))
        .collect();
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}

fn event_for(receiver: &str, report: &Report) -> Event {
    match report {
        Report::Ready => Event {
            type_: EventType::Normal,
            reason: REASON_READY.to_owned(),
            note: Some(format!("webhook receiver {receiver:?} is ready")),
            action: ACTION.to_owned(),
            secondary: None,
        },
        Report::Problem { reason, message } => Event {
            type_: EventType::Warning,
            reason: (*reason).to_owned(),
            note: Some(format!("webhook receiver {receiver:?}: {message}")),
            action: ACTION.to_owned(),
            secondary: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receivers::table::ReceiverTable;
    use crate::test_support::team_a_receivers;

    fn reports(spec: serde_json::Value) -> HashMap<ReceiverKey, Report> {
        current_reports(&ReceiverTable::build(vec![team_a_receivers(spec)], None))
    }

    fn names(changes: &[(ReceiverKey, Report)]) -> Vec<(&str, &Report)> {
        changes.iter().map(|((_, n), r)| (n.as_str(), r)).collect()
    }

    #[test]
    fn a_problem_is_reported_once_and_its_end_once() {
        let broken = reports(serde_json::json!([
            {"name": "good", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "bad", "harbor": {"secretRef": {"name": "missing"}}},
        ]));
        let first = changed_reports(&HashMap::new(), &broken);
        assert_eq!(
            first.len(),
            1,
            "a receiver ready from the start is not news"
        );
        let (_, report) = &first[0];
        assert!(matches!(
            report,
            Report::Problem {
                reason: "SecretNotFound",
                ..
            }
        ));
        let sent: HashMap<_, _> = broken.clone();
        assert!(changed_reports(&sent, &broken).is_empty(), "no repeat");

        let fixed = reports(serde_json::json!([
            {"name": "good", "harbor": {"secretRef": {"name": "s"}}},
            {"name": "bad", "harbor": {"secretRef": {"name": "s"}}},
        ]));
        let recovered = changed_reports(&sent, &fixed);
        assert_eq!(names(&recovered), [("bad", &Report::Ready)]);
    }

    #[test]
    fn a_changed_problem_is_reported_again() {
        let missing = reports(serde_json::json!([
            {"name": "r", "harbor": {"secretRef": {"name": "missing"}}},
        ]));
        let no_ref = reports(serde_json::json!([{"name": "r", "harbor": {}}]));
        let changes = changed_reports(&missing, &no_ref);
        assert!(matches!(
            changes.as_slice(),
            [(
                _,
                Report::Problem {
                    reason: "NoSecretRef",
                    ..
                }
            )]
        ));
    }

    #[test]
    fn events_name_the_problem_without_secrets_or_paths() {
        let table = ReceiverTable::build(
            vec![team_a_receivers(serde_json::json!([
                {"name": "good", "harbor": {"secretRef": {"name": "s"}}},
                {"name": "bad", "harbor": {"secretRef": {"name": "missing"}}},
            ]))],
            None,
        );
        let good = table.owners()[0].results[0].state.as_ref().expect("live");
        for report in current_reports(&table).values() {
            let event = event_for("bad", report);
            let note = event.note.unwrap_or_default();
            assert!(!note.contains("Bearer a"));
            assert!(!note.contains(good.path.as_str()));
            assert!(!note.contains(&good.path.as_str()[8..]));
        }
        let problem = Report::Problem {
            reason: "SecretNotFound",
            message: "Secret team-a/missing not found".into(),
        };
        let event = event_for("bad", &problem);
        assert_eq!(event.reason, "SecretNotFound");
        assert!(matches!(event.type_, EventType::Warning));
        assert_eq!(
            event.note.as_deref(),
            Some("webhook receiver \"bad\": Secret team-a/missing not found")
        );
    }
}
