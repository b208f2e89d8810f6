//! Sharing built rules between subscriptions that spell them alike.
//!
//! A fleet of Warehouses repeats a few rules thousands of times (the same
//! constraint, the same allow-regex, on different repositories). Each
//! compiled regex costs kilobytes and tens of microseconds, so the index
//! builds every distinct rule once and shares it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fields::Fields;
use super::{RuleError, SelectionRule};

/// Built rules by the subscription fields they were built from.
#[derive(Debug, Default)]
pub struct RuleCache {
    rules: HashMap<String, SelectionRule>,
    /// Size after the last pruning; the cache prunes itself when it has
    /// grown well past it.
    pruned_len: usize,
}

impl RuleCache {
    /// [`SelectionRule::for_image`], shared with earlier identical rules.
    pub fn image(&mut self, subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        self.get_or_build("image", subscription, SelectionRule::for_image)
    }

    /// [`SelectionRule::for_chart`], shared with earlier identical rules.
    pub fn chart(&mut self, subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        self.get_or_build("chart", subscription, SelectionRule::for_chart)
    }

    /// [`SelectionRule::for_git`], shared with earlier identical rules.
    pub fn git(&mut self, subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        self.get_or_build("git", subscription, SelectionRule::for_git)
    }

    /// Forgets the rules that no subscription holds any more.
    pub fn prune(&mut self) {
        self.rules
            .retain(|_, rule| Arc::strong_count(&rule.strategy) > 1);
        self.pruned_len = self.rules.len();
    }

    /// Distinct rules held.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is held.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn get_or_build(
        &mut self,
        kind: &'static str,
        subscription: &Value,
        build: fn(&Value) -> (SelectionRule, Option<RuleError>),
    ) -> (SelectionRule, Option<RuleError>) {
        let Some(key) = rule_key(kind, subscription) else {
            return build(subscription);
        };
        if let Some(rule) = self.rules.get(&key) {
            return (rule.clone(), None);
        }
        let (rule, problem) = build(subscription);
        // A rule that could not be built is rebuilt each time, so that its
        // problem is reported for every subscription that has it.
        if problem.is_none() {
            self.rules.insert(key, rule.clone());
            if self.rules.len() > 2 * self.pruned_len + 64 {
                self.prune();
            }
        }
        (rule, problem)
    }
}

/// The kind and every field of the subscription except those naming the
/// repository (`repoURL`, a chart's `name`), which no rule reads: two
/// subscriptions with equal keys build equal rules.
fn rule_key(kind: &str, subscription: &Value) -> Option<String> {
    let fields = Fields::of(subscription, kind).ok()?;
    let rule_fields: Map<String, Value> = fields
        .object()
        .iter()
        .filter(|(field, _)| !matches!(field.as_str(), "repoURL" | "name"))
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect();
    // Serialized with sorted keys: equal objects give equal text.
    Some(format!("{kind}:{}", Value::Object(rule_fields)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_rules_on_different_repositories_are_built_once() {
        let mut cache = RuleCache::default();
        let a = json!({"repoURL": "r.example.org/a", "imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^main-"]});
        let b = json!({"image": {"repoURL": "r.example.org/b", "imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^main-"]}});
        let (rule_a, _) = cache.image(&a);
        let (rule_b, _) = cache.image(&b);
        assert!(Arc::ptr_eq(&rule_a.strategy, &rule_b.strategy));
        assert!(rule_b.accepts("main-1") && !rule_b.accepts("1.0.0"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn rules_that_differ_in_any_rule_field_or_kind_are_not_shared() {
        let mut cache = RuleCache::default();
        let (strict, _) = cache.image(&json!({"repoURL": "r", "constraint": "^1.0.0"}));
        let (lenient, _) =
            cache.image(&json!({"repoURL": "r", "constraint": "^1.0.0", "strictSemvers": false}));
        let (chart, _) = cache.chart(&json!({"repoURL": "r", "semverConstraint": "^1.0.0"}));
        let (other, _) = cache.chart(&json!({"repoURL": "r", "semverConstraint": "^2.0.0"}));
        assert!(strict.accepts("1.2.3") && !strict.accepts("1.2"));
        assert!(lenient.accepts("1.2"));
        assert!(chart.accepts("1.5.0") && !other.accepts("1.5.0"));
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn broken_rules_are_reported_every_time_and_not_kept() {
        let mut cache = RuleCache::default();
        let broken = json!({"repoURL": "r", "allowTagsRegexes": ["("]});
        for _ in 0..2 {
            let (rule, problem) = cache.image(&broken);
            assert!(rule.accepts_everything());
            assert!(matches!(problem, Some(RuleError::InvalidRegex { .. })));
        }
        assert!(cache.is_empty());
    }

    #[test]
    fn pruning_forgets_rules_nobody_holds() {
        let mut cache = RuleCache::default();
        let (kept, _) = cache.image(&json!({"repoURL": "r", "constraint": "^1.0.0"}));
        let (dropped, _) = cache.image(&json!({"repoURL": "r", "constraint": "^2.0.0"}));
        drop(dropped);
        cache.prune();
        assert_eq!(cache.len(), 1);
        let (again, _) = cache.image(&json!({"repoURL": "other", "constraint": "^1.0.0"}));
        assert!(Arc::ptr_eq(&kept.strategy, &again.strategy));
    }
}
