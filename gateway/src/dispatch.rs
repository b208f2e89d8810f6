//! The delivery flow, from a provider's verdict to what became of it: find
//! the Warehouses the pushed repositories concern, refresh them, and wait
//! for the patches within the answer deadline. How that is told to the
//! sender is the HTTP layer's (`http::answer`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::join_all;
use kargo_webhook_provider::{Outcome, PushedRepository};
use tokio::time::Instant;

use crate::index::{SharedIndex, WarehouseIndex};
use crate::kargo::{PromotionId, WarehouseId, WarehouseScope};
use crate::promotions::{Promotions, PromotionsRefreshed};
use crate::receivers::Receiver;
use crate::refresh_events::{Cause, RefreshEvents, SubjectAt};
use crate::refresher::{PatchError, Refresher};
use crate::selection::{self, Decision, SelectionRule};

/// What became of a delivery whose provider asked for refreshes or ignored
/// it. The HTTP layer turns it into an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// A well-formed event with nothing to refresh.
    Ignored(&'static str),
    /// The sender checked the receiver.
    Pinged,
    /// The Promotions waiting on a closed pull request were refreshed.
    PromotionsRefreshed {
        /// Promotions refreshed.
        promotions: Vec<PromotionId>,
        /// Whether the answer may name them (project receivers only).
        named: bool,
    },
    /// Refreshes landed.
    Refreshed {
        /// Warehouses refreshed.
        warehouses: Vec<WarehouseId>,
        /// Warehouses that matched but were deleted before their patch.
        gone: Vec<WarehouseId>,
        /// Whether the answer may name them. A cluster receiver's sender
        /// gets counts only: the Warehouses are other teams' (the log names
        /// them).
        named: bool,
    },
    /// The refreshes could not be confirmed; they go on, the sender should
    /// retry.
    Unavailable(Unconfirmed),
}

/// Why refreshes could not be confirmed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unconfirmed {
    /// The Warehouse index is being re-listed and may miss Warehouses.
    Relisting,
    /// The answer deadline passed before the patches landed.
    Deadline,
    /// A patch failed at the Kubernetes API.
    KubernetesApi,
}

/// Says why a push refreshes nothing even though it is well-formed.
const NO_TAG: &str = "the push names no tag (digest only), so no tag-based subscription can discover anything new from it; the tagged push that follows refreshes";

/// Why a delivery's pushes concern no Warehouse at all, whatever the index
/// holds: they name digests and nothing else.
pub fn ignored_push(pushes: &[PushedRepository]) -> Option<&'static str> {
    (!pushes.is_empty() && pushes.iter().all(selection::is_digest_only)).then_some(NO_TAG)
}

/// One candidate subscription and its rule's decision on one push.
#[derive(Debug)]
pub struct Judged<'a> {
    /// The subscriber.
    pub warehouse: &'a WarehouseId,
    /// The push to a repository it subscribes to.
    pub push: &'a PushedRepository,
    /// The subscription's rule.
    pub rule: &'a SelectionRule,
    /// What the rule decided, and why.
    pub decision: Decision<'a>,
}

/// Hands `visit` every subscription in `scope` to each pushed repository,
/// with its rule's decision on the push. The server acts on these decisions
/// and the dry run (`explain`) prints them: one judgement for both.
pub fn judge_candidates<'a>(
    index: &'a WarehouseIndex,
    scope: &'a WarehouseScope,
    pushes: &'a [PushedRepository],
    mut visit: impl FnMut(Judged<'a>),
) {
    for push in pushes {
        for (warehouse, rule) in index.candidates(&push.repository, scope) {
            visit(Judged {
                warehouse,
                push,
                rule,
                decision: rule.judge(push),
            });
        }
    }
}

/// Which push selected a Warehouse (its position in the delivery), and
/// with which of its tags or refs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selected {
    /// The push's position.
    pub push: usize,
    /// The tag or ref that decided, if one did.
    pub subject: Option<SubjectAt>,
}

/// The Warehouses the pushes concern, each with what selected it, or why
/// there are none. With the log at `debug`, one line per candidate
/// subscription says what its rule decided and why.
pub fn select(
    index: &WarehouseIndex,
    receiver: &Receiver,
    pushes: &[PushedRepository],
) -> Result<BTreeMap<WarehouseId, Selected>, &'static str> {
    // A delivery of nothing but digests needs no index to be answered.
    if let Some(reason) = ignored_push(pushes) {
        return Err(reason);
    }
    let explain = tracing::enabled!(tracing::Level::DEBUG);
    let mut selected = BTreeMap::new();
    for (position, push) in pushes.iter().enumerate() {
        let one = std::slice::from_ref(push);
        judge_candidates(index, &receiver.scope, one, |judged| {
            if explain {
                log_judged(receiver, &judged);
            }
            if judged.decision.refresh && !selected.contains_key(judged.warehouse) {
                let subject = judged
                    .decision
                    .subject()
                    .and_then(|s| SubjectAt::of(push, s));
                let why = Selected {
                    push: position,
                    subject,
                };
                selected.insert(judged.warehouse.clone(), why);
            }
        });
    }
    Ok(selected)
}

/// The debug line of one candidate subscription.
fn log_judged(receiver: &Receiver, judged: &Judged<'_>) {
    tracing::debug!(
        receiver = receiver.log_name(),
        warehouse = %judged.warehouse,
        repository = %judged.push.repository,
        refresh = judged.decision.refresh,
        reason = %judged.decision,
        "selection"
    );
}

/// The Warehouses the pushes concern, or why there are none (see
/// [`select`]).
pub fn select_targets(
    index: &WarehouseIndex,
    receiver: &Receiver,
    pushes: &[PushedRepository],
) -> Result<BTreeSet<WarehouseId>, &'static str> {
    select(index, receiver, pushes).map(|selected| selected.into_keys().collect())
}

/// What the delivery flow acts with: the indexes it reads and what
/// refreshes.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Warehouses by subscribed repository.
    pub index: SharedIndex,
    /// Refreshes Warehouses.
    pub refresher: Refresher,
    /// Promotions by awaited pull request, and their refresh.
    pub promotions: Promotions,
    /// Tells of refreshes through Events on the Warehouses.
    pub events: RefreshEvents,
}

/// Acts on a provider's verdict and waits for the refreshes until `deadline`.
pub async fn act(
    outcome: Outcome,
    receiver: &Receiver,
    targets: &Targets,
    deadline: Instant,
) -> Dispatched {
    let pushes = match outcome {
        Outcome::Ignored(reason) => return Dispatched::Ignored(reason),
        Outcome::Ping => return Dispatched::Pinged,
        Outcome::PullRequestClosed { url } => {
            return pull_request_closed(&url, receiver, &targets.promotions, deadline).await;
        }
        Outcome::Refresh(pushes) => pushes,
    };
    let (index, refresher, events) = (&targets.index, &targets.refresher, &targets.events);
    let (targets, stale) = {
        let index = index.read().unwrap_or_else(|p| p.into_inner());
        match select(&index, receiver, &pushes) {
            Ok(targets) => (targets, index.is_stale()),
            Err(reason) => return Dispatched::Ignored(reason),
        }
    };
    if stale {
        // The index may miss Warehouses, and a 200 would be a silent loss
        // for them (Harbor does not send the event again): refresh those it
        // knows (the patches go on without us) and have the sender retry.
        for warehouse in targets.into_keys() {
            drop(refresher.refresh(warehouse));
        }
        return Dispatched::Unavailable(Unconfirmed::Relisting);
    }
    // Only a project receiver's sender is told which Warehouses: they are
    // its own project's. A cluster receiver's are everyone's.
    let named = matches!(receiver.scope, WarehouseScope::Namespace(_));
    if targets.is_empty() {
        return Dispatched::Refreshed {
            warehouses: Vec::new(),
            gone: Vec::new(),
            named,
        };
    }
    let patches = targets.into_iter().map(|(warehouse, selected)| {
        let pending = refresher.refresh(warehouse.clone());
        async move { (warehouse, selected, pending.await) }
    });
    let Ok(results) = tokio::time::timeout_at(deadline, join_all(patches)).await else {
        return Dispatched::Unavailable(Unconfirmed::Deadline);
    };
    let receiver_name: Arc<str> = Arc::from(receiver.log_name());
    let pushes: Vec<Arc<PushedRepository>> = pushes.into_iter().map(Arc::new).collect();
    let mut warehouses = Vec::new();
    let mut gone = Vec::new();
    for (warehouse, selected, result) in results {
        match result {
            Ok(()) => {
                if let Some(push) = pushes.get(selected.push) {
                    let cause = Cause {
                        push: Arc::clone(push),
                        subject: selected.subject,
                    };
                    events.refreshed(warehouse.clone(), &receiver_name, cause);
                }
                warehouses.push(warehouse);
            }
            Err(PatchError::NotFound) => gone.push(warehouse),
            Err(PatchError::Api(_) | PatchError::Stopped) => {
                return Dispatched::Unavailable(Unconfirmed::KubernetesApi);
            }
        }
    }
    Dispatched::Refreshed {
        warehouses,
        gone,
        named,
    }
}

/// Refreshes the Promotions in the receiver's scope waiting on `url`.
async fn pull_request_closed(
    url: &str,
    receiver: &Receiver,
    promotions: &Promotions,
    deadline: Instant,
) -> Dispatched {
    match promotions
        .refresh_waiting_on(url, &receiver.scope, deadline)
        .await
    {
        PromotionsRefreshed::Done(promotions) => Dispatched::PromotionsRefreshed {
            promotions,
            named: matches!(receiver.scope, WarehouseScope::Namespace(_)),
        },
        PromotionsRefreshed::Relisting => Dispatched::Unavailable(Unconfirmed::Relisting),
        PromotionsRefreshed::Deadline => Dispatched::Unavailable(Unconfirmed::Deadline),
        PromotionsRefreshed::KubernetesApi => Dispatched::Unavailable(Unconfirmed::KubernetesApi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::time::Duration;

    use kargo_webhook_provider::RepoKey;

    use crate::index::Subscriptions;
    use crate::promotions::SharedPromotionIndex;
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

    /// For tests without Promotions: a patch finds none.
    struct NoPromotion;

    impl crate::promotions::PromotionPatcher for NoPromotion {
        fn patch<'a>(
            &'a self,
            _: &'a PromotionId,
            _: &'a str,
        ) -> Pin<Box<dyn Future<Output = PatchResult> + Send + 'a>> {
            Box::pin(async { Err(PatchError::NotFound) })
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
        let targets = Targets {
            index: index.clone(),
            refresher,
            promotions: Promotions::new(SharedPromotionIndex::default(), Arc::new(NoPromotion)),
            events: RefreshEvents::disabled(),
        };
        let push = || {
            let mut push = PushedRepository::new(RepoKey::image(repository).expect("valid"));
            push.tags.push("1.27.1".into());
            Outcome::Refresh(vec![push])
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        let receiver = receiver();
        let answer = act(push(), &receiver, &targets, deadline).await;
        assert_eq!(answer, Dispatched::Unavailable(Unconfirmed::Relisting));
        // What the stale index knows is refreshed all the same.
        for _ in 0..100 {
            if patcher.count() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(patcher.count(), 1);
        // A push that names no tag needs no index: still a 200.
        let mut digest = PushedRepository::new(RepoKey::image(repository).expect("valid"));
        digest.add_digest("sha256:aa");
        let digest_only = Outcome::Refresh(vec![digest]);
        let ignored = act(digest_only, &receiver, &targets, deadline).await;
        assert!(matches!(ignored, Dispatched::Ignored(_)), "{ignored:?}");
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
        let answer = act(push(), &receiver, &targets, deadline).await;
        assert_eq!(
            answer,
            Dispatched::Refreshed {
                warehouses: vec![WarehouseId::new("team-a", "nginx")],
                gone: vec![],
                named: true,
            }
        );
    }

    /// Each selected Warehouse keeps the push and the tag that selected it,
    /// for its Event; rejected ones are left out.
    #[test]
    fn selection_keeps_which_push_and_tag_decided() {
        let receiver = receiver();
        let mut index = WarehouseIndex::default();
        for (name, repository, constraint) in [
            ("api", "registry.example.org/api", "^2.0.0"),
            ("web", "registry.example.org/web", "^1.0.0"),
            ("web-next", "registry.example.org/web", "^3.0.0"),
        ] {
            let subscription =
                serde_json::json!({"image": {"repoURL": repository, "constraint": constraint}});
            index.apply(
                WarehouseId::new("team-a", name),
                Subscriptions::from_spec(&[subscription]),
            );
        }
        let push = |repository: &str, tags: &[&str]| {
            let mut push = PushedRepository::new(RepoKey::image(repository).expect("valid"));
            tags.iter().for_each(|tag| push.add_tag(tag));
            push
        };
        let pushes = [
            push("registry.example.org/api", &["1.0.0", "2.1.0"]),
            push("registry.example.org/web", &["1.4.0"]),
        ];
        let selected = select(&index, &receiver, &pushes).expect("not ignored");
        assert_eq!(
            selected.into_iter().collect::<Vec<_>>(),
            [
                (
                    WarehouseId::new("team-a", "api"),
                    Selected {
                        push: 0,
                        subject: Some(SubjectAt::Tag(1))
                    }
                ),
                (
                    WarehouseId::new("team-a", "web"),
                    Selected {
                        push: 1,
                        subject: Some(SubjectAt::Tag(0))
                    }
                ),
            ]
        );
    }
}
