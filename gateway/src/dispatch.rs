//! From a provider's verdict to an answer: find the Warehouses the pushed
//! repositories concern, refresh them, and wait for the patches within the
//! answer deadline.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;
use kargo_webhook_provider::{Outcome, ProviderError, PushedRepository, RepoKind, Unauthenticated};
use tokio::time::Instant;

use crate::index::{SharedIndex, WarehouseIndex};
use crate::kargo::{WarehouseId, WarehouseScope};
use crate::ratelimit::Limited;
use crate::receivers::Receiver;
use crate::refresher::{PatchError, Refresher};

/// How long a client should wait before sending again after a 503.
pub const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(5);

/// How long a client should wait after a 503 for lack of body memory: the
/// bodies that hold it are gone within a second.
pub const RETRY_AFTER_OVERLOADED: Duration = Duration::from_secs(1);

/// The gateway's answer to one delivery, before it becomes HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No receiver at this URL (404).
    NotFound,
    /// Only POST delivers (405).
    MethodNotAllowed,
    /// The body exceeds the limit (413).
    PayloadTooLarge,
    /// The body did not arrive in time (408).
    BodyTimeout,
    /// The body could not be read (400).
    BadBody,
    /// One of the receiver's limits is exhausted (429).
    RateLimited {
        /// When to try again.
        retry_after: Duration,
        /// Which limit: authenticated deliveries, or failed attempts.
        limit: Limited,
    },
    /// The sender was not authenticated (401); no body was parsed.
    Unauthenticated(Unauthenticated),
    /// The provider refused the body (400, 415).
    Refused(ProviderError),
    /// The memory budget for request bodies had no room (503).
    Overloaded,
    /// A well-formed event with nothing to refresh (200).
    Ignored(String),
    /// Refreshes landed (200).
    Refreshed {
        /// Warehouses refreshed.
        warehouses: Vec<WarehouseId>,
        /// Warehouses that matched but were deleted before their patch.
        gone: Vec<WarehouseId>,
        /// Whether the answer names them. A cluster receiver's sender gets
        /// counts only: the Warehouses are other teams' (the log names them).
        named: bool,
    },
    /// Kubernetes failed or the deadline passed (503); the refresh goes on.
    Unavailable {
        /// Why, in one line.
        reason: &'static str,
    },
}

impl Answer {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::BodyTimeout => 408,
            Self::BadBody => 400,
            Self::RateLimited { .. } => 429,
            Self::Unauthenticated(refusal) => refusal.status(),
            Self::Refused(error) => error.status(),
            Self::Overloaded => 503,
            Self::Ignored(_) | Self::Refreshed { .. } => 200,
            Self::Unavailable { .. } => 503,
        }
    }

    /// The metrics and log label of the outcome.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::BadBody => "bad_body",
            Self::RateLimited {
                limit: Limited::Deliveries,
                ..
            } => "rate_limited",
            Self::RateLimited {
                limit: Limited::FailedAttempts,
                ..
            } => "failed_attempts_limited",
            Self::Unauthenticated(refusal) => refusal.kind(),
            Self::Refused(error) => error.kind(),
            Self::Overloaded => "overloaded",
            Self::Ignored(_) => "ignored",
            Self::Refreshed { .. } => "refreshed",
            Self::Unavailable { .. } => "unavailable",
        }
    }

    /// When to retry, for answers that carry `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Unavailable { .. } => Some(RETRY_AFTER_UNAVAILABLE),
            Self::Overloaded => Some(RETRY_AFTER_OVERLOADED),
            _ => None,
        }
    }

    /// The JSON body: `{"error": ...}` for refusals, `{"msg": ...}` otherwise.
    /// Nothing from the request is echoed. Encoded directly from small
    /// structs, without building a JSON value first: this runs for every
    /// delivery.
    pub fn body(&self) -> Vec<u8> {
        match self {
            Self::NotFound => error_body("not found"),
            Self::MethodNotAllowed => {
                error_body("method not allowed: webhooks are delivered with POST")
            }
            Self::PayloadTooLarge => error_body("request body too large"),
            Self::BodyTimeout => error_body("request body not received in time"),
            Self::BadBody => error_body("request body could not be read"),
            Self::RateLimited {
                limit: Limited::Deliveries,
                ..
            } => error_body("too many deliveries for this receiver; retry later"),
            Self::RateLimited {
                limit: Limited::FailedAttempts,
                ..
            } => error_body("too many failed attempts for this receiver; retry later"),
            Self::Unauthenticated(refusal) => error_body(refusal.reason()),
            Self::Refused(error) => error_body(error.reason()),
            Self::Overloaded => error_body("too many request bodies held at once; retry later"),
            Self::Ignored(reason) => encode(&MsgBody {
                msg: format!("ignored: {reason}"),
            }),
            Self::Refreshed {
                warehouses,
                gone,
                named: true,
            } => encode(&RefreshedBody {
                gone: (!gone.is_empty()).then_some(Names(gone)),
                msg: refreshed_message(warehouses, &[]),
                warehouses: Names(warehouses),
            }),
            Self::Refreshed {
                warehouses,
                gone,
                named: false,
            } => encode(&MsgBody {
                msg: refreshed_message(warehouses, gone),
            }),
            Self::Unavailable { reason } => error_body(reason),
        }
    }
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

#[derive(serde::Serialize)]
struct MsgBody {
    msg: String,
}

/// Keys in alphabetical order, as the answers have always been written.
#[derive(serde::Serialize)]
struct RefreshedBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    gone: Option<Names<'a>>,
    msg: String,
    warehouses: Names<'a>,
}

/// Warehouses as `namespace/name` strings.
struct Names<'a>(&'a [WarehouseId]);

impl serde::Serialize for Names<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

/// `refreshed N warehouse(s)`, and how many matched but no longer exist
/// when they are not listed by name.
fn refreshed_message(warehouses: &[WarehouseId], unlisted_gone: &[WarehouseId]) -> String {
    match unlisted_gone.len() {
        0 => format!("refreshed {} warehouse(s)", warehouses.len()),
        gone => format!(
            "refreshed {} warehouse(s); {gone} matched warehouse(s) no longer exist",
            warehouses.len()
        ),
    }
}

fn error_body(reason: &str) -> Vec<u8> {
    encode(&ErrorBody { error: reason })
}

fn encode(body: &impl serde::Serialize) -> Vec<u8> {
    // Serializing these structs to memory cannot fail (string keys only).
    serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())
}

/// Says why a push refreshes nothing even though it is well-formed.
const NO_TAG: &str = "the push names no tag (digest only), so no tag-based subscription can discover anything new from it; the tagged push that follows refreshes";

/// The Warehouses the pushes concern, or why there are none.
pub fn select_targets(
    index: &WarehouseIndex,
    receiver: &Receiver,
    pushes: &[PushedRepository],
) -> Result<BTreeSet<WarehouseId>, &'static str> {
    let mut targets = BTreeSet::new();
    let mut untagged = 0;
    for push in pushes {
        // An artifact push without a tag moves no tag; a Git push has none.
        if push.tags.is_empty() && push.repository.kind() != RepoKind::Git {
            untagged += 1;
            continue;
        }
        targets.extend(index.matching(&push.repository, &receiver.scope, &push.tags));
    }
    if untagged > 0 && untagged == pushes.len() {
        return Err(NO_TAG);
    }
    Ok(targets)
}

/// Acts on a provider's verdict and waits for the refreshes until `deadline`.
pub async fn act(
    outcome: Outcome,
    receiver: &Receiver,
    index: &SharedIndex,
    refresher: &Refresher,
    deadline: Instant,
) -> Answer {
    let pushes = match outcome {
        Outcome::Ignored(reason) => return Answer::Ignored(reason),
        Outcome::Refresh(pushes) => pushes,
    };
    let (targets, stale) = {
        let index = index.read().unwrap_or_else(|p| p.into_inner());
        match select_targets(&index, receiver, &pushes) {
            Ok(targets) => (targets, index.is_stale()),
            Err(reason) => return Answer::Ignored(reason.to_owned()),
        }
    };
    if stale {
        // The index may miss Warehouses, and a 200 would be a silent loss
        // for them (Harbor does not send the event again): refresh those it
        // knows (the patches go on without us) and have the sender retry.
        for warehouse in targets {
            drop(refresher.refresh(warehouse));
        }
        return Answer::Unavailable {
            reason: "the gateway is re-reading Warehouses from Kubernetes; the refresh goes on, retry later",
        };
    }
    // Only a project receiver's sender is told which Warehouses: they are
    // its own project's. A cluster receiver's are everyone's.
    let named = matches!(receiver.scope, WarehouseScope::Namespace(_));
    if targets.is_empty() {
        return Answer::Refreshed {
            warehouses: Vec::new(),
            gone: Vec::new(),
            named,
        };
    }
    let patches = targets.into_iter().map(|warehouse| {
        let pending = refresher.refresh(warehouse.clone());
        async move { (warehouse, pending.await) }
    });
    let Ok(results) = tokio::time::timeout_at(deadline, join_all(patches)).await else {
        return Answer::Unavailable {
            reason: "refresh not confirmed before the answer deadline; it goes on, retry later",
        };
    };
    let mut warehouses = Vec::new();
    let mut gone = Vec::new();
    for (warehouse, result) in results {
        match result {
            Ok(()) => warehouses.push(warehouse),
            Err(PatchError::NotFound) => gone.push(warehouse),
            Err(PatchError::Api(_) | PatchError::Stopped) => {
                return Answer::Unavailable {
                    reason: "Kubernetes API unavailable; the refresh goes on, retry later",
                };
            }
        }
    }
    Answer::Refreshed {
        warehouses,
        gone,
        named,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use kargo_webhook_provider::RepoKey;

    use crate::index::Subscriptions;
    use crate::refresher::{NoObserver, PatchResult, Patcher, RefreshSettings};
    use crate::test_support::team_a_receivers;

    /// Accepts every patch and counts them.
    #[derive(Default)]
    struct Accepting(std::sync::atomic::AtomicUsize);

    impl Accepting {
        fn count(&self) -> usize {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl Patcher for Accepting {
        fn patch<'a>(
            &'a self,
            _: &'a WarehouseId,
            _: &'a str,
        ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        }
    }

    fn receiver() -> Arc<Receiver> {
        let owner = team_a_receivers(serde_json::json!([
            {"name": "r", "harbor": {"secretRef": {"name": "s"}}}
        ]));
        Arc::clone(owner.results[0].state.as_ref().expect("live receiver"))
    }

    #[tokio::test]
    async fn a_stale_index_answers_503_instead_of_a_partial_200() {
        let repository = "harbor.example.com/library/nginx";
        let index = SharedIndex::default();
        {
            let mut index = index.write().expect("lock");
            index.apply(
                WarehouseId::new("team-a", "nginx"),
                Subscriptions::from_spec(&[serde_json::json!({"image": {"repoURL": repository}})]),
            );
            index.mark_stale();
        }
        let patcher = Arc::new(Accepting::default());
        let refresher = Refresher::new(
            Arc::clone(&patcher) as Arc<dyn Patcher>,
            Arc::new(NoObserver),
            RefreshSettings::default(),
        );
        let push = || {
            let mut push = PushedRepository::new(RepoKey::image(repository).expect("valid"));
            push.tags.push("1.27.1".into());
            Outcome::Refresh(vec![push])
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        let receiver = receiver();
        let answer = act(push(), &receiver, &index, &refresher, deadline).await;
        assert_eq!(answer.status(), 503, "{answer:?}");
        assert!(answer.retry_after().is_some());
        // What the stale index knows is refreshed all the same.
        for _ in 0..100 {
            if patcher.count() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(patcher.count(), 1);
        // A push that names no tag needs no index: still a 200.
        let digest_only = Outcome::Refresh(vec![PushedRepository::new(
            RepoKey::image(repository).expect("valid"),
        )]);
        let ignored = act(digest_only, &receiver, &index, &refresher, deadline).await;
        assert_eq!(ignored.status(), 200, "{ignored:?}");
        // Once re-listed, the same push refreshes.
        {
            let mut index = index.write().expect("lock");
            let mut fresh = WarehouseIndex::default();
            fresh.apply(
                WarehouseId::new("team-a", "nginx"),
                Subscriptions::from_spec(&[serde_json::json!({"image": {"repoURL": repository}})]),
            );
            *index = fresh;
        }
        let answer = act(push(), &receiver, &index, &refresher, deadline).await;
        assert_eq!(
            answer,
            Answer::Refreshed {
                warehouses: vec![WarehouseId::new("team-a", "nginx")],
                gone: vec![],
                named: true,
            }
        );
    }

    fn body(answer: &Answer) -> serde_json::Value {
        serde_json::from_slice(&answer.body()).expect("a JSON body")
    }

    #[test]
    fn answers_map_to_statuses_and_bodies() {
        let refreshed = Answer::Refreshed {
            warehouses: vec![WarehouseId::new("a", "w1"), WarehouseId::new("a", "w2")],
            gone: vec![],
            named: true,
        };
        assert_eq!(refreshed.status(), 200);
        assert_eq!(
            body(&refreshed),
            serde_json::json!({"msg": "refreshed 2 warehouse(s)", "warehouses": ["a/w1", "a/w2"]})
        );
        let with_gone = Answer::Refreshed {
            warehouses: vec![],
            gone: vec![WarehouseId::new("a", "w3")],
            named: true,
        };
        assert_eq!(body(&with_gone)["gone"], serde_json::json!(["a/w3"]));
        assert_eq!(body(&with_gone)["warehouses"], serde_json::json!([]));
        assert_eq!(body(&refreshed).get("gone"), None);
        assert_eq!(
            String::from_utf8(with_gone.body()).expect("UTF-8"),
            r#"{"gone":["a/w3"],"msg":"refreshed 0 warehouse(s)","warehouses":[]}"#
        );
        assert_eq!(
            body(&Answer::Ignored("x".into())),
            serde_json::json!({"msg": "ignored: x"})
        );
        assert_eq!(Answer::NotFound.status(), 404);
        assert_eq!(Answer::MethodNotAllowed.status(), 405);
        assert_eq!(Answer::PayloadTooLarge.status(), 413);
        for (limit, outcome) in [
            (Limited::Deliveries, "rate_limited"),
            (Limited::FailedAttempts, "failed_attempts_limited"),
        ] {
            let limited = Answer::RateLimited {
                retry_after: Duration::from_secs(2),
                limit,
            };
            assert_eq!(
                (limited.status(), limited.retry_after(), limited.outcome()),
                (429, Some(Duration::from_secs(2)), outcome)
            );
        }
        assert_eq!(
            (
                Answer::Overloaded.status(),
                Answer::Overloaded.retry_after()
            ),
            (503, Some(RETRY_AFTER_OVERLOADED))
        );
        let unavailable = Answer::Unavailable { reason: "r" };
        assert_eq!(unavailable.status(), 503);
        assert_eq!(unavailable.retry_after(), Some(RETRY_AFTER_UNAVAILABLE));
        let refused = Answer::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));
        assert_eq!(
            (refused.status(), body(&refused), refused.outcome()),
            (
                401,
                serde_json::json!({"error": "unauthorized"}),
                "wrong_credentials"
            )
        );
        let refused = Answer::Refused(ProviderError::MalformedBody("invalid request body"));
        assert_eq!(
            (refused.status(), body(&refused)),
            (400, serde_json::json!({"error": "invalid request body"}))
        );
    }

    /// A cluster receiver's sender learns how many Warehouses, never which:
    /// they belong to every project.
    #[test]
    fn a_cluster_receivers_answer_counts_without_names() {
        let answer = Answer::Refreshed {
            warehouses: vec![
                WarehouseId::new("team-b", "w1"),
                WarehouseId::new("team-c", "w2"),
            ],
            gone: vec![WarehouseId::new("team-d", "w3")],
            named: false,
        };
        assert_eq!(
            String::from_utf8(answer.body()).expect("UTF-8"),
            r#"{"msg":"refreshed 2 warehouse(s); 1 matched warehouse(s) no longer exist"}"#
        );
        let answer = Answer::Refreshed {
            warehouses: vec![WarehouseId::new("team-b", "w1")],
            gone: vec![],
            named: false,
        };
        assert_eq!(
            body(&answer),
            serde_json::json!({"msg": "refreshed 1 warehouse(s)"})
        );
    }
}
