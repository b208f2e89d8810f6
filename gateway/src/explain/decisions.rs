//! The dry run's verdicts: for each pushed repository, every candidate
//! subscription in scope with its rule's decision (the server's own
//! judgement, `dispatch::judge_candidates`), then the Warehouses that
//! subscribe to other repositories of the same host, which a typo in a
//! `repoURL` would put there.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use kargo_webhook_provider::{ChangedPaths, PushedContent, PushedRepository, RepoKey};
use serde::Serialize;

use crate::dispatch::{self, Judged};
use crate::index::WarehouseIndex;
use crate::kargo::{WarehouseId, WarehouseScope};
use crate::selection::SelectionRule;

/// How many Warehouses of the same host are listed at most.
pub const NOT_CONCERNED_SHOWN: usize = 20;
/// How many tags or refs a push summary names.
const NAMED: usize = 5;

/// One Warehouse's line: the JSON output's array element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The Warehouse's namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The subscription judged: kind and normalized repository.
    pub subscription: String,
    /// Whether the push refreshes it.
    pub refresh: bool,
    /// Why, in the words of the rule.
    pub reason: String,
}

/// The candidates of one pushed repository.
#[derive(Debug, Clone)]
pub struct PushLines {
    /// What was pushed, in words.
    pub summary: String,
    /// One line per subscription in scope to the repository, sorted.
    pub candidates: Vec<Line>,
}

/// Everything the dry run says about a push delivery.
#[derive(Debug, Clone)]
pub struct Decisions {
    /// Per pushed repository, its candidates.
    pub pushes: Vec<PushLines>,
    /// Warehouses subscribing to other repositories of a pushed host (at
    /// most [`NOT_CONCERNED_SHOWN`]).
    pub not_concerned: Vec<Line>,
    /// How many more there are.
    pub more_not_concerned: usize,
    /// Why the server ignores the delivery as a whole, if it does.
    pub ignored: Option<&'static str>,
}

impl Decisions {
    /// The Warehouses the server would refresh.
    pub fn refreshed(&self) -> BTreeSet<WarehouseId> {
        if self.ignored.is_some() {
            return BTreeSet::new();
        }
        self.pushes
            .iter()
            .flat_map(|push| &push.candidates)
            .filter(|line| line.refresh)
            .map(|line| WarehouseId::new(&line.namespace, &line.name))
            .collect()
    }

    /// Every line, candidates first.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.pushes
            .iter()
            .flat_map(|push| &push.candidates)
            .chain(&self.not_concerned)
    }
}

/// Judges `pushes` against the Warehouses of `index` in `scope`.
pub fn decide(
    index: &WarehouseIndex,
    scope: &WarehouseScope,
    pushes: &[PushedRepository],
) -> Decisions {
    let mut candidates: HashSet<WarehouseId> = HashSet::new();
    let pushes_lines = pushes
        .iter()
        .map(|push| {
            let mut lines = Vec::new();
            let one = std::slice::from_ref(push);
            dispatch::judge_candidates(index, scope, one, |judged: Judged<'_>| {
                candidates.insert(judged.warehouse.clone());
                lines.push(Line {
                    namespace: judged.warehouse.namespace().to_owned(),
                    name: judged.warehouse.name().to_owned(),
                    subscription: subscription(judged.rule, &judged.push.repository),
                    refresh: judged.decision.refresh,
                    reason: judged.decision.to_string(),
                });
            });
            lines.sort_by(|a, b| {
                (&a.namespace, &a.name, &a.subscription).cmp(&(
                    &b.namespace,
                    &b.name,
                    &b.subscription,
                ))
            });
            PushLines {
                summary: summary(push),
                candidates: lines,
            }
        })
        .collect();
    let mut not_concerned = same_host(index, scope, pushes, &candidates);
    let more_not_concerned = not_concerned.len().saturating_sub(NOT_CONCERNED_SHOWN);
    not_concerned.truncate(NOT_CONCERNED_SHOWN);
    Decisions {
        pushes: pushes_lines,
        not_concerned,
        more_not_concerned,
        ignored: dispatch::ignored_push(pushes),
    }
}

/// `image harbor.example.com/library/nginx`.
fn subscription(rule: &SelectionRule, repository: &RepoKey) -> String {
    format!("{} {repository}", rule.kind().field())
}

/// The host of a normalized repository key (its first component).
fn host(repository: &RepoKey) -> &str {
    repository.as_str().split('/').next().unwrap_or_default()
}

/// One line per Warehouse in scope (and not a candidate) subscribing to
/// another repository of a pushed host, sorted.
fn same_host(
    index: &WarehouseIndex,
    scope: &WarehouseScope,
    pushes: &[PushedRepository],
    candidates: &HashSet<WarehouseId>,
) -> Vec<Line> {
    let hosts: HashSet<&str> = pushes.iter().map(|push| host(&push.repository)).collect();
    let pushed: HashSet<&RepoKey> = pushes.iter().map(|push| &push.repository).collect();
    let mut found: BTreeMap<WarehouseId, String> = BTreeMap::new();
    for repository in index.repositories() {
        if pushed.contains(repository) || !hosts.contains(host(repository)) {
            continue;
        }
        for (warehouse, rule) in index.candidates(repository, scope) {
            if candidates.contains(warehouse) {
                continue;
            }
            let subscribed = subscription(rule, repository);
            found
                .entry(warehouse.clone())
                .and_modify(|known| {
                    if subscribed < *known {
                        known.clone_from(&subscribed);
                    }
                })
                .or_insert(subscribed);
        }
    }
    found
        .into_iter()
        .map(|(warehouse, subscription)| Line {
            namespace: warehouse.namespace().to_owned(),
            name: warehouse.name().to_owned(),
            reason: format!(
                "not concerned: subscribes to {subscription}, not to a pushed repository"
            ),
            subscription,
            refresh: false,
        })
        .collect()
}

/// `push to harbor.example.com/library/nginx: tag 1.27.1, 1 digest`.
fn summary(push: &PushedRepository) -> String {
    let mut parts = Vec::new();
    if let Some(named) = named("tag", &push.tags) {
        parts.push(named);
    }
    if let Some(named) = named("ref", &push.refs) {
        parts.push(named);
    }
    match push.digests.len() {
        0 => {}
        1 => parts.push("1 digest".to_owned()),
        n => parts.push(format!("{n} digests")),
    }
    if let ChangedPaths::Complete(files) = &push.changed_paths {
        parts.push(format!("{} changed file(s)", files.len()));
    }
    match push.content {
        PushedContent::Image => parts.push("an image".to_owned()),
        PushedContent::Chart => parts.push("a Helm chart".to_owned()),
        PushedContent::Either => {}
    }
    if parts.is_empty() {
        parts.push("no tag or ref".to_owned());
    }
    format!("push to {}: {}", push.repository, parts.join(", "))
}

/// `tags 1.0, 1.1 (and 3 more)`.
fn named(what: &str, values: &[String]) -> Option<String> {
    let (first, rest) = values.split_first()?;
    if rest.is_empty() {
        return Some(format!("{what} {first}"));
    }
    let shown: Vec<&str> = values.iter().take(NAMED).map(String::as_str).collect();
    let mut text = format!("{what}s {}", shown.join(", "));
    if values.len() > NAMED {
        text.push_str(&format!(" (and {} more)", values.len() - NAMED));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Subscriptions;
    use serde_json::json;

    fn index() -> WarehouseIndex {
        let mut index = WarehouseIndex::default();
        let warehouses = [
            (
                "demo",
                "nginx",
                json!([{"image": {"repoURL": "harbor.example.com/library/nginx", "constraint": "^1.27.0"}}]),
            ),
            (
                "demo",
                "nginx-rc",
                json!([{"image": {"repoURL": "harbor.example.com/library/nginx", "constraint": "^2.0.0"}}]),
            ),
            (
                "demo",
                "typo",
                json!([{"image": {"repoURL": "harbor.example.com/libary/nginx"}}]),
            ),
            (
                "demo",
                "elsewhere",
                json!([{"image": {"repoURL": "quay.io/library/nginx"}}]),
            ),
            (
                "other",
                "nginx",
                json!([{"image": {"repoURL": "harbor.example.com/library/nginx"}}]),
            ),
        ];
        for (namespace, name, subscriptions) in warehouses {
            index.apply(
                WarehouseId::new(namespace, name),
                Subscriptions::from_spec(subscriptions.as_array().expect("array")),
            );
        }
        for i in 0..25 {
            index.apply(
                WarehouseId::new("demo", &format!("many-{i:02}")),
                Subscriptions::from_spec(&[
                    json!({"image": {"repoURL": format!("harbor.example.com/many/r{i}")}}),
                ]),
            );
        }
        index
    }

    fn push(tags: &[&str]) -> PushedRepository {
        let mut push = PushedRepository::new(
            RepoKey::image("harbor.example.com/library/nginx").expect("valid"),
        );
        tags.iter().for_each(|tag| push.add_tag(tag));
        push
    }

    #[test]
    fn candidates_say_yes_or_no_with_the_rules_words() {
        let scope = WarehouseScope::Namespace("demo".into());
        let decisions = decide(&index(), &scope, &[push(&["1.27.1"])]);
        let lines: Vec<(&str, bool, &str)> = decisions.pushes[0]
            .candidates
            .iter()
            .map(|l| (l.name.as_str(), l.refresh, l.reason.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                ("nginx", true, "SemVer; 1.27.1 satisfies constraint ^1.27.0"),
                (
                    "nginx-rc",
                    false,
                    "tag 1.27.1 does not satisfy constraint ^2.0.0"
                ),
            ]
        );
        assert_eq!(
            decisions.pushes[0].summary,
            "push to harbor.example.com/library/nginx: tag 1.27.1"
        );
        assert_eq!(
            decisions.pushes[0].candidates[0].subscription,
            "image harbor.example.com/library/nginx"
        );
        assert_eq!(
            decisions.refreshed(),
            BTreeSet::from([WarehouseId::new("demo", "nginx")])
        );
    }

    #[test]
    fn other_repositories_of_the_host_are_listed_as_not_concerned_up_to_twenty() {
        let scope = WarehouseScope::Namespace("demo".into());
        let decisions = decide(&index(), &scope, &[push(&["1.27.1"])]);
        assert_eq!(decisions.not_concerned.len(), NOT_CONCERNED_SHOWN);
        assert_eq!(decisions.more_not_concerned, 6, "25 many-* and the typo");
        assert_eq!(decisions.not_concerned[0].name, "many-00");
        assert!(
            !decisions
                .not_concerned
                .iter()
                .any(|l| l.name == "elsewhere")
        );
        let (typo, _) = decide(&index(), &scope, &[push(&["1.27.1"])])
            .not_concerned
            .into_iter()
            .partition::<Vec<Line>, _>(|l| l.name == "typo");
        assert!(typo.is_empty(), "sorted after the first 20: {typo:?}");
        let few = {
            let mut index = WarehouseIndex::default();
            index.apply(
                WarehouseId::new("demo", "typo"),
                Subscriptions::from_spec(&[
                    json!({"image": {"repoURL": "harbor.example.com/libary/nginx"}}),
                ]),
            );
            decide(&index, &scope, &[push(&["1.27.1"])])
        };
        assert_eq!(
            few.not_concerned,
            [Line {
                namespace: "demo".into(),
                name: "typo".into(),
                subscription: "image harbor.example.com/libary/nginx".into(),
                refresh: false,
                reason: "not concerned: subscribes to image harbor.example.com/libary/nginx, not to a pushed repository".into(),
            }]
        );
        assert!(few.pushes[0].candidates.is_empty());
    }

    #[test]
    fn a_delivery_of_digests_only_is_ignored_as_a_whole() {
        let mut digest = PushedRepository::new(
            RepoKey::image("harbor.example.com/library/nginx").expect("valid"),
        );
        digest.add_digest("sha256:aa");
        let decisions = decide(&index(), &WarehouseScope::AllNamespaces, &[digest]);
        assert!(decisions.ignored.is_some());
        assert!(decisions.refreshed().is_empty());
        assert_eq!(decisions.pushes[0].candidates.len(), 3);
        assert!(
            decisions.pushes[0]
                .candidates
                .iter()
                .all(|l| !l.refresh && l.reason.contains("digests only"))
        );
        assert_eq!(
            decisions.pushes[0].summary,
            "push to harbor.example.com/library/nginx: 1 digest"
        );
    }

    #[test]
    fn summaries_name_a_few_tags_and_count_the_rest() {
        let tags: Vec<String> = (0..8).map(|i| format!("1.{i}")).collect();
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        assert_eq!(
            summary(&push(&refs)),
            "push to harbor.example.com/library/nginx: tags 1.0, 1.1, 1.2, 1.3, 1.4 (and 3 more)"
        );
        assert_eq!(
            summary(&push(&[])),
            "push to harbor.example.com/library/nginx: no tag or ref"
        );
    }
}
