//! The words of every rule, accepting and rejecting: what the dry run and
//! the debug log print.

use kargo_webhook_provider::{ChangedPaths, PushedContent, PushedRepository, RepoKey};
use serde_json::{Value, json};

use super::SelectionRule;

fn image_push(tags: &[&str]) -> PushedRepository {
    let mut push =
        PushedRepository::new(RepoKey::image("registry.example.org/app").expect("valid"));
    tags.iter().for_each(|tag| push.add_tag(tag));
    push
}

fn judged(rule: &SelectionRule, push: &PushedRepository) -> (bool, String) {
    let decision = rule.judge(push);
    (decision.refresh, decision.to_string())
}

fn image(subscription: Value) -> SelectionRule {
    SelectionRule::for_image(&subscription).0
}

#[test]
fn image_strategies_say_which_rule_decided_with_which_values() {
    let cases: &[(Value, &[&str], bool, &str)] = &[
        (
            json!({"constraint": "^2.0.0"}),
            &["2.1.0-rc"],
            false,
            "tag 2.1.0-rc is a prerelease; constraint ^2.0.0 admits none",
        ),
        (
            json!({"constraint": "^2.0.0"}),
            &["1.9.0"],
            false,
            "tag 1.9.0 does not satisfy constraint ^2.0.0",
        ),
        (
            json!({"constraint": "^2.0.0"}),
            &["2.3.0"],
            true,
            "SemVer; 2.3.0 satisfies constraint ^2.0.0",
        ),
        (
            json!({}),
            &["1.2"],
            false,
            "tag 1.2 is not a semantic version (strictSemvers: X.Y.Z with an optional v)",
        ),
        (
            json!({"strictSemvers": false}),
            &["1.2"],
            true,
            "SemVer; 1.2 is a semantic version (no constraint)",
        ),
        (
            json!({"allowTagsRegexes": ["^v"]}),
            &["v1.0.0"],
            true,
            "SemVer; allowTagsRegexes ^v matches v1.0.0, v1.0.0 is a semantic version (no constraint)",
        ),
        (
            json!({"imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^v"]}),
            &["v1.4.0"],
            true,
            "Lexical; allowTagsRegexes ^v matches v1.4.0",
        ),
        (
            json!({"imageSelectionStrategy": "Lexical", "allowTagsRegexes": ["^v"]}),
            &["1.4.0"],
            false,
            "tag 1.4.0 matches none of allowTagsRegexes",
        ),
        (
            json!({"imageSelectionStrategy": "NewestBuild", "ignoreTagsRegexes": ["-rc"]}),
            &["1.0.0-rc.1"],
            false,
            "tag 1.0.0-rc.1 matches ignoreTagsRegexes -rc",
        ),
        (
            json!({"imageSelectionStrategy": "NewestBuild"}),
            &["main-abc"],
            true,
            "NewestBuild; main-abc is not ignored (no allowTagsRegexes)",
        ),
        (
            json!({"imageSelectionStrategy": "Lexical", "ignoreTags": ["latest"]}),
            &["latest"],
            false,
            "tag latest is listed in ignoreTags",
        ),
        (
            json!({"imageSelectionStrategy": "Digest", "constraint": "stable"}),
            &["stable"],
            true,
            "Digest; stable is the tag it tracks",
        ),
        (
            json!({"imageSelectionStrategy": "Digest", "constraint": "stable"}),
            &["latest", "edge"],
            false,
            "Digest tracks tag stable, not latest (and 1 more tag(s) rejected)",
        ),
    ];
    for (subscription, tags, refresh, reason) in cases {
        let rule = image(subscription.clone());
        assert_eq!(
            judged(&rule, &image_push(tags)),
            (*refresh, (*reason).to_owned()),
            "{subscription} with {tags:?}"
        );
    }
}

#[test]
fn chart_rules_speak_of_versions() {
    let rule = SelectionRule::for_chart(&json!({"semverConstraint": ">=1.2.0"})).0;
    assert_eq!(
        judged(&rule, &image_push(&["1.3.0"])),
        (
            true,
            "chart; version 1.3.0 satisfies semverConstraint >=1.2.0".into()
        )
    );
    assert_eq!(
        judged(&rule, &image_push(&["1.1.0"])),
        (
            false,
            "tag 1.1.0 does not satisfy constraint >=1.2.0".into()
        )
    );
    let any = SelectionRule::for_chart(&json!({})).0;
    assert_eq!(
        judged(&any, &image_push(&["latest"])),
        (false, "tag latest is not a semantic version".into())
    );
}

#[test]
fn push_level_rules_come_first() {
    let rule = image(json!({"constraint": "^1"}));
    assert_eq!(
        judged(&rule, &image_push(&[])),
        (
            true,
            "the push names no tag or ref; every subscriber refreshes".into()
        )
    );
    let mut digest = image_push(&[]);
    digest.add_digest("sha256:aa");
    assert!(!judged(&rule, &digest).0);
    assert!(judged(&rule, &digest).1.contains("digests only"));

    let mut chart = image_push(&["1.0.0"]);
    chart.content = PushedContent::Chart;
    assert_eq!(
        judged(&rule, &chart),
        (
            false,
            "the push is a Helm chart; this is an image subscription".into()
        )
    );
    let chart_rule = SelectionRule::for_chart(&json!({})).0;
    assert!(judged(&chart_rule, &chart).0);
    let mut image_only = image_push(&["1.0.0"]);
    image_only.content = PushedContent::Image;
    assert_eq!(
        judged(&chart_rule, &image_only),
        (
            false,
            "the push is a container image; this is a chart subscription".into()
        )
    );
    // Unknown content may be either.
    assert!(judged(&chart_rule, &image_push(&["1.0.0"])).0);

    let (broken, _) = SelectionRule::for_image(&json!({"constraint": "^^1"}));
    let (refresh, reason) = judged(&broken, &image_push(&["x"]));
    assert!(refresh);
    assert!(
        reason.starts_with("the subscription's rule cannot be built (field `constraint`"),
        "{reason}"
    );
}

fn git_push(refs: &[&str], changed: ChangedPaths) -> PushedRepository {
    let mut push =
        PushedRepository::new(RepoKey::git("https://github.com/example/app").expect("valid"));
    refs.iter().for_each(|git_ref| push.add_ref(git_ref));
    push.changed_paths = changed;
    push
}

fn git(subscription: Value) -> SelectionRule {
    let (rule, error) = SelectionRule::for_git(&subscription);
    assert_eq!(error, None, "{subscription}");
    rule
}

#[test]
fn git_strategies_follow_refs_as_kargo_does() {
    use ChangedPaths::Unknown;
    let cases: &[(Value, &str, bool, &str)] = &[
        (
            json!({}),
            "refs/heads/main",
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set)",
        ),
        (
            json!({}),
            "refs/heads/master",
            true,
            "NewestFromBranch; refs/heads/master is main or master (no branch set)",
        ),
        (
            json!({}),
            "refs/heads/develop",
            false,
            "refs/heads/develop is neither main nor master (no branch set, so the default branch is assumed)",
        ),
        (
            json!({"commitSelectionStrategy": "NewestFromBranch", "branch": "release"}),
            "refs/heads/release",
            true,
            "NewestFromBranch; refs/heads/release is branch release",
        ),
        (
            json!({"branch": "release"}),
            "refs/heads/main",
            false,
            "refs/heads/main is not branch release",
        ),
        (
            json!({}),
            "refs/tags/v1.0.0",
            false,
            "refs/tags/v1.0.0 is not a branch; NewestFromBranch follows a branch",
        ),
        (
            json!({"commitSelectionStrategy": "SemVer", "semverConstraint": "^1.0.0"}),
            "refs/tags/v1.2.0",
            true,
            "SemVer; v1.2.0 satisfies constraint ^1.0.0",
        ),
        (
            json!({"commitSelectionStrategy": "SemVer", "semverConstraint": "^1.0.0"}),
            "refs/tags/v2.0.0",
            false,
            "ref refs/tags/v2.0.0 does not satisfy constraint ^1.0.0",
        ),
        (
            json!({"commitSelectionStrategy": "SemVer"}),
            "refs/tags/nightly",
            false,
            "ref refs/tags/nightly is not a semantic version (strictSemvers: X.Y.Z with an optional v)",
        ),
        (
            json!({"commitSelectionStrategy": "SemVer", "ignoreTagsRegexes": ["-rc"]}),
            "refs/tags/v1.0.0-rc.1",
            false,
            "ref refs/tags/v1.0.0-rc.1 matches ignoreTagsRegexes -rc",
        ),
        (
            json!({"commitSelectionStrategy": "SemVer"}),
            "refs/heads/main",
            false,
            "refs/heads/main is not a tag; SemVer follows tags",
        ),
        (
            json!({"commitSelectionStrategy": "Lexical", "allowTagsRegexes": ["^release-"]}),
            "refs/tags/release-7",
            true,
            "Lexical; allowTagsRegexes ^release- matches release-7",
        ),
        (
            json!({"commitSelectionStrategy": "NewestTag"}),
            "refs/tags/anything",
            true,
            "NewestTag; anything is not ignored (no allowTagsRegexes)",
        ),
        (
            json!({"commitSelectionStrategy": "NewestTag"}),
            "refs/heads/main",
            false,
            "refs/heads/main is not a tag; NewestTag follows tags",
        ),
    ];
    for (subscription, git_ref, refresh, reason) in cases {
        let rule = git(subscription.clone());
        assert_eq!(
            judged(&rule, &git_push(&[git_ref], Unknown)),
            (*refresh, (*reason).to_owned()),
            "{subscription} with {git_ref}"
        );
    }
    // Any followed ref of several will do; a push naming no ref concerns
    // every subscriber.
    let rule = git(json!({}));
    assert!(
        judged(
            &rule,
            &git_push(&["refs/heads/dev", "refs/heads/main"], Unknown)
        )
        .0
    );
    assert_eq!(
        judged(&rule, &git_push(&["refs/heads/dev", "refs/heads/x"], Unknown)),
        (
            false,
            "refs/heads/dev is neither main nor master (no branch set, so the default branch is assumed) (and 1 more ref(s) rejected)".into()
        )
    );
    assert!(judged(&rule, &git_push(&[], Unknown)).0);
}

#[test]
fn git_path_filters_apply_only_to_complete_lists() {
    let rule = git(json!({
        "includePaths": ["apps/api", "glob:charts/*/values.yaml"],
        "excludePaths": ["regex:\\.md$"],
    }));
    let complete = |files: &[&str]| ChangedPaths::complete(files.iter().copied());
    let cases: &[(ChangedPaths, bool, &str)] = &[
        (
            complete(&["apps/api/main.go"]),
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set); changed file apps/api/main.go passes the path filters",
        ),
        (
            complete(&["charts/api/values.yaml"]),
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set); changed file charts/api/values.yaml passes the path filters",
        ),
        (
            complete(&["apps/api/README.md", "apps/web/main.go"]),
            false,
            "refs/heads/main is followed, but none of the 2 changed file(s) passes includePaths/excludePaths",
        ),
        (
            ChangedPaths::Unknown,
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set); changed files not listed in full, paths not checked",
        ),
        (
            complete(&[]),
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set); changed files not listed in full, paths not checked",
        ),
    ];
    for (changed, refresh, reason) in cases {
        assert_eq!(
            judged(&rule, &git_push(&["refs/heads/main"], changed.clone())),
            (*refresh, (*reason).to_owned()),
            "{changed:?}"
        );
    }
    // Without path filters, the files are not consulted.
    let unfiltered = git(json!({}));
    assert_eq!(
        judged(
            &unfiltered,
            &git_push(&["refs/heads/main"], complete(&["x.md"]))
        ),
        (
            true,
            "NewestFromBranch; refs/heads/main is main or master (no branch set)".into()
        )
    );
    // Only includes: a file outside them all leaves the push out.
    let only_include = git(json!({"includePaths": ["glob:**/*.go"]}));
    assert!(
        !judged(
            &only_include,
            &git_push(&["refs/heads/main"], complete(&["a.txt"]))
        )
        .0
    );
}

#[test]
fn broken_git_rules_fail_open() {
    for subscription in [
        json!({"commitSelectionStrategy": "Newest"}),
        json!({"includePaths": ["glob:[a"]}),
        json!({"commitSelectionStrategy": "SemVer", "semverConstraint": "^^1"}),
    ] {
        let (rule, error) = SelectionRule::for_git(&subscription);
        assert!(error.is_some(), "{subscription}");
        let (refresh, reason) = judged(&rule, &git_push(&["refs/heads/x"], ChangedPaths::Unknown));
        assert!(refresh, "{subscription}");
        assert!(reason.contains("cannot be built"), "{reason}");
    }
}

#[test]
fn a_decision_names_the_tag_or_ref_it_turned_on() {
    use super::Subject;
    let rule = image(json!({"constraint": "^2.0.0"}));
    let push = image_push(&["1.0.0", "2.1.0"]);
    let accepted = rule.judge(&push);
    assert_eq!(accepted.subject(), Some(Subject::Tag("2.1.0")));
    assert_eq!(
        accepted.subject().map(|s| s.to_string()).as_deref(),
        Some("tag 2.1.0")
    );
    let push = image_push(&["1.0.0", "1.1.0"]);
    assert_eq!(rule.judge(&push).subject(), Some(Subject::Tag("1.0.0")));
    assert_eq!(rule.judge(&image_push(&[])).subject(), None);

    let branch = git(json!({}));
    let push = git_push(&["refs/heads/main"], ChangedPaths::Unknown);
    let decision = branch.judge(&push);
    assert_eq!(decision.subject(), Some(Subject::Ref("refs/heads/main")));
    assert_eq!(
        decision.subject().map(|s| s.to_string()).as_deref(),
        Some("ref refs/heads/main")
    );
}
