//! Selection rules through the public API, one table per strategy.

use super::{ConstraintError, RuleError, SelectionRule};
use kargo_webhook_provider::{PushedRepository, RepoKey};
use proptest::prelude::*;
use serde_json::{Value, json};

fn image_rule(subscription: Value) -> SelectionRule {
    let (rule, error) = SelectionRule::for_image(&subscription);
    assert_eq!(error, None, "{subscription} should build");
    rule
}

fn chart_rule(subscription: Value) -> SelectionRule {
    let (rule, error) = SelectionRule::for_chart(&subscription);
    assert_eq!(error, None, "{subscription} should build");
    rule
}

/// Asserts, for each subscription, which tags its rule accepts.
fn assert_rules(build: fn(Value) -> SelectionRule, table: &[(Value, &[(&str, bool)])]) {
    let mut failures = Vec::new();
    for (subscription, tags) in table {
        let rule = build(subscription.clone());
        assert!(!rule.accepts_everything(), "{subscription} should filter");
        for (tag, want) in *tags {
            if rule.accepts(tag) != *want {
                failures.push(format!("{subscription} with tag {tag:?}: want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn semver_strategy_strict_by_default() {
    assert_rules(
        image_rule,
        &[
            (
                json!({"repoURL": "r"}),
                &[
                    ("1.2.3", true),
                    ("v1.2.3", true),
                    ("1.2.3-rc.1", true),
                    ("1.2.3+build.9", true),
                    ("1.2", false),
                    ("v1", false),
                    ("01.2.3", false),
                    ("latest", false),
                    ("sha-abc123", false),
                    ("1.2.3.4", false),
                ],
            ),
            (
                json!({"repoURL": "r", "imageSelectionStrategy": "SemVer", "strictSemvers": true}),
                &[("2.0.0", true), ("2.0", false)],
            ),
            (
                json!({"repoURL": "r", "imageSelectionStrategy": "", "strictSemvers": null}),
                &[("2.0.0", true), ("2.0", false)],
            ),
        ],
    );
}

#[test]
fn semver_strategy_lenient_when_strict_semvers_is_off() {
    assert_rules(
        image_rule,
        &[(
            json!({"repoURL": "r", "strictSemvers": false}),
            &[
                ("1.2.3", true),
                ("1.2", true),
                ("v1", true),
                ("1", true),
                ("01.02.03", true),
                ("1.2-rc.1", true),
                ("latest", false),
                ("1.2.3.4", false),
            ],
        )],
    );
}

#[test]
fn semver_strategy_applies_the_constraint() {
    assert_rules(
        image_rule,
        &[
            (
                json!({"repoURL": "r", "constraint": "^1.26.0"}),
                &[
                    ("1.26.0", true),
                    ("v1.27.3", true),
                    ("1.25.9", false),
                    ("2.0.0", false),
                    ("1.27.0-rc.1", false),
                    ("1.27", false),
                ],
            ),
            (
                json!({"repoURL": "r", "constraint": "~1.2 || >=3.0.0-0", "strictSemvers": false}),
                &[
                    ("1.2", true),
                    ("1.2.9", true),
                    ("1.3.0", false),
                    ("3.1.0-beta", true),
                    ("2.5.0", false),
                ],
            ),
            (
                json!({"repoURL": "r", "constraint": ">=1.0.0-0, <2"}),
                &[("1.5.0-rc.1", true), ("0.9.0", false), ("2.0.0", false)],
            ),
            // An empty constraint is no constraint.
            (
                json!({"repoURL": "r", "constraint": ""}),
                &[("9.9.9", true), ("nine", false)],
            ),
        ],
    );
}

#[test]
fn semver_strategy_applies_allow_and_ignore_lists_before_parsing() {
    assert_rules(
        image_rule,
        &[
            (
                json!({"repoURL": "r", "allowTagsRegexes": ["^v"], "ignoreTagsRegexes": ["-rc"]}),
                &[
                    ("v1.2.3", true),
                    ("1.2.3", false),
                    ("v1.2.3-rc.1", false),
                    ("vlatest", false),
                ],
            ),
            (
                json!({"repoURL": "r", "allowTags": "^1\\.", "ignoreTags": ["1.0.1"], "constraint": "<1.5"}),
                &[
                    ("1.0.0", true),
                    ("1.0.1", false),
                    ("1.6.0", false),
                    ("0.9.0", false),
                ],
            ),
        ],
    );
}

#[test]
fn lexical_strategy_filters_but_does_not_parse() {
    assert_rules(
        image_rule,
        &[
            (
                json!({"repoURL": "r", "imageSelectionStrategy": "Lexical", "constraint": "^1"}),
                &[
                    ("nightly-20240101", true),
                    ("latest", true),
                    ("2.0.0", true),
                ],
            ),
            (
                json!({
                    "repoURL": "r",
                    "imageSelectionStrategy": "Lexical",
                    "allowTagsRegexes": ["^nightly-\\d{8}$"],
                    "ignoreTagsRegexes": ["-19990101$"]
                }),
                &[
                    ("nightly-20240101", true),
                    ("nightly-19990101", false),
                    ("nightly-2024", false),
                    ("latest", false),
                ],
            ),
        ],
    );
}

#[test]
fn newest_build_strategy_filters_but_does_not_parse() {
    assert_rules(
        image_rule,
        &[
            (
                json!({"repoURL": "r", "imageSelectionStrategy": "NewestBuild", "strictSemvers": true}),
                &[("sha-0123abc", true), ("main", true)],
            ),
            (
                json!({
                    "repoURL": "r",
                    "imageSelectionStrategy": "NewestBuild",
                    "allowTagsRegexes": ["^[0-9a-f]{40}$", "^main$"],
                    "ignoreTags": ["main"]
                }),
                &[
                    ("0123456789abcdef0123456789abcdef01234567", true),
                    ("main", false),
                    ("0123abc", false),
                ],
            ),
        ],
    );
}

#[test]
fn digest_strategy_tracks_exactly_the_constraint_tag() {
    assert_rules(
        image_rule,
        &[
            (
                json!({
                    "repoURL": "r",
                    "imageSelectionStrategy": "Digest",
                    "constraint": "latest",
                    // Ignored by Kargo's Digest selector, so by the gateway too.
                    "allowTagsRegexes": ["^v"],
                    "ignoreTagsRegexes": ["latest"]
                }),
                &[
                    ("latest", true),
                    ("Latest", false),
                    ("latest-1", false),
                    ("v1.0.0", false),
                ],
            ),
            // Kargo v1.8 fallback on the deprecated field.
            (
                json!({"repoURL": "r", "imageSelectionStrategy": "Digest", "semverConstraint": "stable"}),
                &[("stable", true), ("latest", false)],
            ),
        ],
    );
}

#[test]
fn chart_subscriptions_accept_semver_versions_within_the_constraint() {
    assert_rules(
        chart_rule,
        &[
            (
                json!({"repoURL": "oci://registry/charts/app"}),
                &[
                    ("1.2.3", true),
                    ("0.1.0-alpha", true),
                    ("v2.0.0", true),
                    ("1.2", true),
                    ("latest", false),
                ],
            ),
            (
                json!({"repoURL": "oci://registry/charts/app", "semverConstraint": ""}),
                &[("1.2.3", true), ("latest", false)],
            ),
            (
                json!({"repoURL": "oci://registry/charts/app", "semverConstraint": ">=1.2.0 <2"}),
                &[
                    ("1.2.0", true),
                    ("1.9.9", true),
                    ("2.0.0", false),
                    ("1.1.0", false),
                    ("1.5.0-rc.1", false),
                    // Helm's OCI spelling of 1.3.0+build.7.
                    ("1.3.0_build.7", true),
                    ("1.3.0_bad_", false),
                ],
            ),
            // The whole subscription entry works as well as its `chart` value.
            (
                json!({"chart": {"repoURL": "oci://registry/charts/app", "semverConstraint": "^3"}}),
                &[("3.1.0", true), ("4.0.0", false)],
            ),
        ],
    );
}

#[test]
fn broken_configurations_accept_every_tag_and_say_why() {
    type IsExpected = fn(&RuleError) -> bool;
    let cases: &[(Value, IsExpected)] = &[
        (json!("not an object"), |e| {
            matches!(e, RuleError::NotAnObject)
        }),
        (
            json!({"allowTagsRegexes": ["("]}),
            |e| matches!(e, RuleError::InvalidRegex { field: "allowTagsRegexes", pattern, .. } if pattern == "("),
        ),
        (
            json!({"imageSelectionStrategy": "Lexical", "ignoreTagsRegexes": ["[z-a]"]}),
            |e| {
                matches!(
                    e,
                    RuleError::InvalidRegex {
                        field: "ignoreTagsRegexes",
                        ..
                    }
                )
            },
        ),
        (json!({"allowTags": "(?P<x"}), |e| {
            matches!(
                e,
                RuleError::InvalidRegex {
                    field: "allowTags",
                    ..
                }
            )
        }),
        (json!({"constraint": ">= bar"}), |e| {
            matches!(
                e,
                RuleError::InvalidConstraint {
                    field: "constraint",
                    source: ConstraintError::Improper(_)
                }
            )
        }),
        (json!({"constraint": "   "}), |e| {
            matches!(e, RuleError::InvalidConstraint { .. })
        }),
        (
            json!({"imageSelectionStrategy": "semver"}),
            |e| matches!(e, RuleError::UnknownStrategy { field: "imageSelectionStrategy", value } if value == "semver"),
        ),
        (json!({"imageSelectionStrategy": "Digest"}), |e| {
            matches!(e, RuleError::DigestWithoutTag)
        }),
        (
            json!({"imageSelectionStrategy": "Digest", "constraint": ""}),
            |e| matches!(e, RuleError::DigestWithoutTag),
        ),
        (json!({"imageSelectionStrategy": 7}), |e| {
            matches!(
                e,
                RuleError::WrongType {
                    field: "imageSelectionStrategy",
                    ..
                }
            )
        }),
        (json!({"strictSemvers": "false"}), |e| {
            matches!(
                e,
                RuleError::WrongType {
                    field: "strictSemvers",
                    ..
                }
            )
        }),
        (json!({"allowTagsRegexes": "^v"}), |e| {
            matches!(
                e,
                RuleError::WrongType {
                    field: "allowTagsRegexes",
                    ..
                }
            )
        }),
    ];
    for (subscription, is_expected) in cases {
        let (rule, error) = SelectionRule::for_image(subscription);
        let error = error.unwrap_or_else(|| panic!("{subscription} should not build"));
        assert!(
            is_expected(&error),
            "{subscription}: unexpected error {error:?}"
        );
        assert!(!error.to_string().is_empty());
        assert!(rule.accepts_everything(), "{subscription}");
        assert!(
            rule.accepts("anything-at-all") && rule.accepts(""),
            "{subscription}"
        );
    }

    let (rule, error) = SelectionRule::for_chart(&json!({"semverConstraint": "^1.2x"}));
    assert!(matches!(
        error,
        Some(RuleError::InvalidConstraint {
            field: "semverConstraint",
            source: ConstraintError::InvalidVersion(_)
        })
    ));
    assert!(rule.accepts("not-a-version"));
}

#[test]
fn error_messages_name_the_field_and_the_culprit() {
    let (_, error) = SelectionRule::for_image(&json!({"constraint": "^1 || nope"}));
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("field `constraint`: improper constraint \"nope\"".to_owned())
    );
    let (_, error) = SelectionRule::for_image(&json!({"ignoreTagsRegexes": ["("]}));
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("field `ignoreTagsRegexes`: regular expression \"(\" does not compile"),
        "{message}"
    );
}

fn push_of(tags: &[&str], digests: &[&str]) -> PushedRepository {
    let mut push =
        PushedRepository::new(RepoKey::image("registry.example.org/app").expect("valid"));
    tags.iter().for_each(|tag| push.add_tag(tag));
    digests.iter().for_each(|digest| push.add_digest(digest));
    push
}

#[test]
fn pushes_are_judged_by_any_tag_and_tagless_pushes_refresh() {
    let rule = image_rule(json!({"repoURL": "r", "constraint": "^1"}));
    assert!(rule.admits(&push_of(&["latest", "1.4.0"], &[])));
    assert!(!rule.admits(&push_of(&["latest", "2.0.0"], &[])));
    // A push that names nothing concerns every subscriber; one that names
    // digests only, none.
    assert!(rule.admits(&push_of(&[], &[])));
    assert!(!rule.admits(&push_of(&[], &["sha256:aa"])));
    assert!(rule.admits(&push_of(&["sha-1", "1.0.1"], &["sha256:aa"])));
    assert!(!rule.admits(&push_of(&["sha-1"], &[])));

    let (broken, error) = SelectionRule::for_image(&json!({"allowTagsRegexes": ["("]}));
    assert!(error.is_some() && broken.accepts_everything());
    assert!(broken.admits(&push_of(&["x"], &[])));
    assert!(!broken.admits(&push_of(&[], &["sha256:aa"])));
}

#[test]
fn rules_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    shareable::<SelectionRule>();
    shareable::<RuleError>();

    let rule = image_rule(json!({"repoURL": "r", "allowTagsRegexes": ["^v"], "constraint": ">=1"}));
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let rule = rule.clone();
            std::thread::spawn(move || rule.accepts(&format!("v{n}.0.0")))
        })
        .collect();
    let accepted: Vec<bool> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    assert_eq!(accepted, [false, true, true, true]);
}

/// Strings close to what the grammars deal in, so the fuzzing goes deep.
fn version_ish() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[v=<>!~^*xX|,. 0-9a-z+_-]{0,24}").expect("valid regex")
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        version_ish().prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
        prop::collection::vec(
            prop_oneof![
                version_ish().prop_map(Value::String),
                any::<u8>().prop_map(Value::from)
            ],
            0..3
        )
        .prop_map(Value::Array),
    ]
}

fn subscription() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("imageSelectionStrategy"),
        Just("constraint"),
        Just("semverConstraint"),
        Just("strictSemvers"),
        Just("allowTagsRegexes"),
        Just("ignoreTagsRegexes"),
        Just("allowTags"),
        Just("ignoreTags"),
    ];
    let strategy = prop_oneof![
        Just(Value::from("SemVer")),
        Just(Value::from("Lexical")),
        Just(Value::from("NewestBuild")),
        Just(Value::from("Digest")),
    ];
    (
        prop::collection::vec((field, json_leaf()), 0..6),
        proptest::option::of(strategy),
    )
        .prop_map(|(fields, strategy)| {
            let mut object = serde_json::Map::new();
            for (name, value) in fields {
                object.insert(name.to_owned(), value);
            }
            if let Some(strategy) = strategy {
                object.insert("imageSelectionStrategy".to_owned(), strategy);
            }
            Value::Object(object)
        })
}

proptest! {
    #[test]
    fn no_subscription_or_tag_makes_a_rule_panic(
        subscription in subscription(),
        tags in prop::collection::vec(prop_oneof![version_ish(), ".{0,40}"], 0..4),
    ) {
        let (rule, error) = SelectionRule::for_image(&subscription);
        if error.is_some() {
            prop_assert!(rule.accepts_everything());
        }
        let results: Vec<bool> = tags.iter().map(|tag| rule.accepts(tag)).collect();
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        let push = push_of(&tag_refs, &[]);
        let decision = rule.judge(&push);
        // The push is admitted when any tag is (or it names none), and the
        // reason can always be told.
        prop_assert_eq!(decision.refresh, tags.is_empty() || results.contains(&true));
        prop_assert!(!decision.to_string().is_empty());

        let (chart, _) = SelectionRule::for_chart(&subscription);
        for tag in &tags {
            chart.accepts(tag);
        }
    }

    #[test]
    fn no_constraint_text_makes_parsing_or_checking_panic(
        text in prop_oneof![version_ish(), ".{0,64}"],
        tag in version_ish(),
    ) {
        let (rule, _) = SelectionRule::for_chart(&json!({"semverConstraint": text}));
        rule.accepts(&tag);
    }

    #[test]
    fn comparison_constraints_agree_with_version_precedence(
        bound in (0u64..4, 0u64..4, 0u64..4),
        candidate in (0u64..4, 0u64..4, 0u64..4),
    ) {
        let bound_text = format!("{}.{}.{}", bound.0, bound.1, bound.2);
        let tag = format!("{}.{}.{}", candidate.0, candidate.1, candidate.2);
        let rule = |op: &str| chart_rule(json!({"semverConstraint": format!("{op}{bound_text}")}));
        prop_assert_eq!(rule(">=").accepts(&tag), candidate >= bound);
        prop_assert_eq!(rule(">").accepts(&tag), candidate > bound);
        prop_assert_eq!(rule("<=").accepts(&tag), candidate <= bound);
        prop_assert_eq!(rule("<").accepts(&tag), candidate < bound);
        prop_assert_eq!(rule("=").accepts(&tag), candidate == bound);
        prop_assert_eq!(rule("!=").accepts(&tag), candidate != bound);
        // ~0.0.0 is Masterminds' spelling of "anything".
        prop_assert_eq!(
            rule("~").accepts(&tag),
            candidate >= bound
                && (bound == (0, 0, 0) || (candidate.0 == bound.0 && candidate.1 == bound.1))
        );
    }
}
