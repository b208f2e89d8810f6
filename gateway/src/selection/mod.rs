//! Selection rules: which Warehouses a push could give something new, and
//! why.
//!
//! When a push announces new content for a repository, every Warehouse
//! subscribing to that repository is a candidate for a refresh. A
//! [`SelectionRule`], built once per subscription, judges the push as
//! Kargo's own rules would:
//!
//! | subscription | a push is accepted when |
//! | --- | --- |
//! | any | it names no tag and no ref (every subscriber refreshes, as in Kargo); never when it names digests only |
//! | image | it is not a Helm chart push; then by tag: |
//! | image, `SemVer` (default) | a tag passes the allow/ignore lists, parses as a semantic version (strict by default: `1.2.3` or `v1.2.3`; with `strictSemvers: false` also `1.2` or `v1`), and satisfies `constraint` if set |
//! | image, `Lexical`, `NewestBuild` | a tag is not ignored (`ignoreTagsRegexes`, `ignoreTags`) and matches an allow regex if any are given |
//! | image, `Digest` | a tag equals `constraint`, the mutable tag Kargo tracks |
//! | chart | it is not an image push, and a tag is a semantic version satisfying `semverConstraint` if set |
//! | git | a ref is one the `commitSelectionStrategy` follows, and a changed file passes the path filters (see `git.rs`) |
//!
//! Each judgement is a [`Decision`] that says which rule decided with which
//! values; the server only reads whether, the dry run and the debug log
//! print why.
//!
//! Constraints have the meaning Masterminds/semver v3 gives them; see
//! `constraint.rs` for the grammar and its corners.
//!
//! Failing open: a subscription whose rule cannot be built (a regex that does
//! not compile, a constraint that does not parse, an unknown strategy, a
//! field of the wrong type) gets a rule that accepts every push, together
//! with a [`RuleError`] for the log. Refreshing such a Warehouse makes Kargo
//! report the problem on it; filtering on a guess could hide a push for good.
//! The same bias settles the few places where Kargo versions disagree: the
//! gateway takes the reading that accepts more (see `strategy.rs`).

mod cache;
mod constraint;
mod constraint_scan;
mod decision;
mod error;
mod fields;
mod git;
mod paths;
mod strategy;
mod tag_filter;
mod version;

#[cfg(test)]
mod reason_tests;
#[cfg(test)]
mod tests;

pub use cache::RuleCache;
pub use constraint::ConstraintError;
pub use decision::{Decision, Subject};
pub use error::RuleError;

use std::fmt;
use std::sync::Arc;

use decision::Why;
use fields::Fields;
use kargo_webhook_provider::{PushedContent, PushedRepository};
use serde_json::Value;
use strategy::Strategy;

/// The kind of a subscription, `spec.subscriptions[].<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionKind {
    /// `image`
    Image,
    /// `chart`
    Chart,
    /// `git`
    Git,
}

impl SubscriptionKind {
    /// The field name in the Warehouse spec.
    pub fn field(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Chart => "chart",
            Self::Git => "git",
        }
    }
}

/// "an image", "a chart", "a Git", for reasons.
impl fmt::Display for SubscriptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "an image",
            Self::Chart => "a chart",
            Self::Git => "a Git",
        })
    }
}

/// True when a push names digests and nothing else: it moved no tag, so no
/// subscription can discover anything from it (a multi-arch child manifest,
/// a push by digest); the tagged push that follows does the work.
pub fn is_digest_only(push: &PushedRepository) -> bool {
    push.tags.is_empty() && push.refs.is_empty() && !push.digests.is_empty()
}

/// The selection rule of one subscription: which pushes could give the
/// subscriber something new.
///
/// Built once when the Warehouse is indexed (regexes compiled, constraint
/// parsed) and cheap to evaluate and to clone afterwards.
#[derive(Debug, Clone)]
pub struct SelectionRule {
    kind: SubscriptionKind,
    strategy: Arc<Strategy>,
}

impl SelectionRule {
    /// The rule of an image subscription: `subscription` is the value of the
    /// subscription's `image` field (the whole `spec.subscriptions[]` entry is
    /// accepted too). When the rule cannot be built, the rule returned
    /// accepts every push and the error says why.
    pub fn for_image(subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        Self::build(
            SubscriptionKind::Image,
            Fields::of(subscription, "image").and_then(|fields| Strategy::for_image(&fields)),
        )
    }

    /// The rule of a chart subscription (the value of `chart`, or the
    /// entry); fails open like [`for_image`](Self::for_image).
    pub fn for_chart(subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        Self::build(
            SubscriptionKind::Chart,
            Fields::of(subscription, "chart").and_then(|fields| Strategy::for_chart(&fields)),
        )
    }

    /// The rule of a Git subscription (the value of `git`, or the entry);
    /// fails open like [`for_image`](Self::for_image).
    pub fn for_git(subscription: &Value) -> (SelectionRule, Option<RuleError>) {
        Self::build(
            SubscriptionKind::Git,
            Fields::of(subscription, "git")
                .and_then(|fields| git::GitRule::from_fields(&fields))
                .map(Strategy::Git),
        )
    }

    /// The kind of subscription.
    pub fn kind(&self) -> SubscriptionKind {
        self.kind
    }

    /// True when this rule could not be built and accepts every push.
    pub fn accepts_everything(&self) -> bool {
        matches!(*self.strategy, Strategy::FailOpen(_))
    }

    /// True when `push` could give the subscriber something new.
    pub fn admits(&self, push: &PushedRepository) -> bool {
        self.judge(push).refresh
    }

    /// Whether `push` could give the subscriber something new, and why:
    /// Kargo's rules (see the table in this module's documentation).
    pub fn judge<'a>(&'a self, push: &'a PushedRepository) -> Decision<'a> {
        let other_content = matches!(
            (self.kind, push.content),
            (SubscriptionKind::Image, PushedContent::Chart)
                | (SubscriptionKind::Chart, PushedContent::Image)
        );
        if other_content {
            return Decision::reject(Why::OtherContent {
                pushed: push.content,
                subscribed: self.kind,
            });
        }
        if is_digest_only(push) {
            return Decision::reject(Why::DigestOnly);
        }
        if let Strategy::FailOpen(error) = &*self.strategy {
            return Decision::accept(Why::FailOpen(error));
        }
        match &*self.strategy {
            Strategy::Git(rule) => judge_refs(rule, push),
            strategy => judge_tags(strategy, push),
        }
    }

    /// True when a push of `tag` alone could give the subscriber something
    /// new (tag rules only).
    #[cfg(test)]
    pub(crate) fn accepts(&self, tag: &str) -> bool {
        self.strategy.accepts(tag)
    }

    fn build(
        kind: SubscriptionKind,
        strategy: Result<Strategy, RuleError>,
    ) -> (SelectionRule, Option<RuleError>) {
        let (strategy, error) = match strategy {
            Ok(strategy) => (strategy, None),
            Err(error) => (Strategy::FailOpen(error.to_string()), Some(error)),
        };
        (
            SelectionRule {
                kind,
                strategy: Arc::new(strategy),
            },
            error,
        )
    }
}

/// A registry push: the first tag the rule accepts, or why the first one
/// was rejected. A push that names no tag concerns every subscriber.
fn judge_tags<'a>(strategy: &'a Strategy, push: &'a PushedRepository) -> Decision<'a> {
    let Some(first) = push.tags.first() else {
        return Decision::accept(Why::NamesNothing);
    };
    let mut rejection = None;
    for tag in &push.tags {
        match strategy.judge_tag(tag) {
            Ok(accepted) => {
                return Decision::accept(Why::Tag {
                    tag,
                    verdict: Ok(accepted),
                    more: 0,
                });
            }
            Err(rejected) => {
                rejection.get_or_insert(rejected);
            }
        }
    }
    let verdict = Err(rejection.expect("at least one tag was judged"));
    Decision::reject(Why::Tag {
        tag: first,
        verdict,
        more: push.tags.len() - 1,
    })
}

/// A Git push: the first ref the rule follows whose changed files concern
/// it, or why none does. A push that names no ref concerns every
/// subscriber, whatever its files (as in Kargo).
fn judge_refs<'a>(rule: &'a git::GitRule, push: &'a PushedRepository) -> Decision<'a> {
    let Some(first) = push.refs.first() else {
        return Decision::accept(Why::NamesNothing);
    };
    let mut rejection = None;
    for git_ref in &push.refs {
        match rule.judge_ref(git_ref) {
            Ok(accepted) => {
                return match rule.judge_paths(&push.changed_paths) {
                    Ok(paths) => Decision::accept(Why::Ref {
                        git_ref,
                        verdict: Ok(accepted),
                        more: 0,
                        paths,
                    }),
                    // The files are the push's, whatever the ref: no other
                    // ref can do better.
                    Err(files) => Decision::reject(Why::NoPathPasses { git_ref, files }),
                };
            }
            Err(rejected) => {
                rejection.get_or_insert(rejected);
            }
        }
    }
    let verdict = Err(rejection.expect("at least one ref was judged"));
    Decision::reject(Why::Ref {
        git_ref: first,
        verdict,
        more: push.refs.len() - 1,
        paths: decision::Paths::Unfiltered,
    })
}
