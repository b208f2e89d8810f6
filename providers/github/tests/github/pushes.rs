//! What a push refreshes: the repository under its URLs, the ref, and the
//! changed files when the payload lists them all.

use kargo_webhook_provider::{ChangedPaths, Outcome};
use serde_json::json;

use crate::support::*;

fn push_of(body: &serde_json::Value) -> Vec<kargo_webhook_provider::PushedRepository> {
    refreshed(deliver("push", body.to_string().as_bytes()))
}

fn commit(modified: &[&str]) -> serde_json::Value {
    json!({"id": "3f9a1c2e", "added": [], "removed": [], "modified": modified})
}

#[test]
fn each_url_spelling_github_uses_gives_one_key() {
    for (clone_url, ssh_url) in [
        (
            "https://github.com/Example-Org/Guestbook.git",
            "git@github.com:Example-Org/Guestbook.git",
        ),
        (
            "https://github.com/example-org/guestbook",
            "ssh://git@github.com/example-org/guestbook.git",
        ),
        (
            "https://github.com/Example-Org/Guestbook/",
            "ssh://git@github.com:22/Example-Org/Guestbook",
        ),
    ] {
        let body = json!({
            "ref": "refs/heads/main",
            "repository": {"clone_url": clone_url, "ssh_url": ssh_url},
            "commits": [commit(&["a.txt"])],
            "head_commit": commit(&["a.txt"]),
        });
        assert_eq!(
            push_of(&body),
            [git_push(GUESTBOOK, &["refs/heads/main"], paths(&["a.txt"]))],
            "{clone_url} {ssh_url}"
        );
    }
}

/// GitHub Enterprise Server may serve SSH from another host name: then the
/// push names two keys, each with the ref and the files.
#[test]
fn urls_that_differ_give_a_key_each() {
    let body = json!({
        "ref": "refs/tags/v2.0.0",
        "repository": {
            "clone_url": "https://ghe.example.com/platform/guestbook.git",
            "ssh_url": "git@ssh.ghe.example.com:platform/guestbook.git",
        },
        "commits": [],
        "head_commit": commit(&["b.txt"]),
    });
    assert_eq!(
        push_of(&body),
        [
            git_push(
                "https://ghe.example.com/platform/guestbook",
                &["refs/tags/v2.0.0"],
                paths(&["b.txt"])
            ),
            git_push(
                "https://ssh.ghe.example.com/platform/guestbook",
                &["refs/tags/v2.0.0"],
                paths(&["b.txt"])
            ),
        ]
    );
}

#[test]
fn one_usable_url_is_enough() {
    for repository in [
        json!({"clone_url": "https://github.com/example-org/guestbook.git"}),
        json!({"clone_url": "https://github.com/example-org/guestbook.git", "ssh_url": null}),
        json!({"clone_url": "not a url", "ssh_url": "git@github.com:example-org/guestbook.git"}),
        json!({"clone_url": "", "ssh_url": "git@github.com:example-org/guestbook.git"}),
    ] {
        let body = json!({"ref": "refs/heads/main", "repository": repository});
        assert_eq!(
            push_of(&body),
            [git_push(
                GUESTBOOK,
                &["refs/heads/main"],
                ChangedPaths::Unknown
            )],
            "{repository}"
        );
    }
}

#[test]
fn a_push_without_a_usable_repository_is_malformed() {
    for body in [
        json!({"ref": "refs/heads/main"}),
        json!({"ref": "refs/heads/main", "repository": null}),
        json!({"ref": "refs/heads/main", "repository": {}}),
        json!({"ref": "refs/heads/main", "repository": {"clone_url": "", "ssh_url": " "}}),
        json!({"ref": "refs/heads/main", "repository": {"clone_url": "https://github.com"}}),
    ] {
        assert_eq!(
            deliver("push", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

/// A push without a ref (GitHub always sends one) concerns every
/// subscriber of the repository: it is reported without refs.
#[test]
fn a_push_without_a_ref_names_none() {
    for git_ref in [json!(null), json!("")] {
        let body = json!({
            "ref": git_ref,
            "repository": {"clone_url": "https://github.com/example-org/guestbook.git"},
        });
        assert_eq!(
            push_of(&body),
            [git_push(GUESTBOOK, &[], ChangedPaths::Unknown)]
        );
    }
}

#[test]
fn changed_files_are_complete_below_the_commit_limit() {
    let commits: Vec<_> = (0..2047)
        .map(|i| commit(&[&format!("f{}.txt", i % 3)]))
        .collect();
    let body = json!({
        "ref": "refs/heads/main",
        "repository": {"clone_url": GUESTBOOK},
        "commits": commits,
        "head_commit": commit(&["g.txt"]),
    });
    assert_eq!(
        push_of(&body)[0].changed_paths,
        paths(&["f0.txt", "f1.txt", "f2.txt", "g.txt"])
    );
}

#[test]
fn changed_files_are_unknown_at_the_commit_limit() {
    let commits: Vec<_> = (0..2048).map(|_| commit(&["a.txt"])).collect();
    let body = json!({
        "ref": "refs/heads/main",
        "repository": {"clone_url": GUESTBOOK},
        "commits": commits,
        "head_commit": commit(&["a.txt"]),
    });
    assert_eq!(push_of(&body)[0].changed_paths, ChangedPaths::Unknown);
}

/// A commit whose payload carries no file list at all leaves the push's
/// files unknown; so does a push that lists no file.
#[test]
fn changed_files_are_unknown_when_a_commit_lists_none() {
    let bare = json!({"id": "3f9a1c2e", "message": "no lists"});
    for (commits, head) in [
        (json!([commit(&["a.txt"]), bare.clone()]), json!(null)),
        (json!([]), bare),
        (json!([]), json!(null)),
        (json!(null), json!(null)),
        (json!([commit(&[])]), commit(&[])),
    ] {
        let body = json!({
            "ref": "refs/heads/main",
            "repository": {"clone_url": GUESTBOOK},
            "commits": commits,
            "head_commit": head,
        });
        assert_eq!(
            push_of(&body)[0].changed_paths,
            ChangedPaths::Unknown,
            "{body}"
        );
    }
}

/// A deleted branch still names its ref (Kargo refreshes its subscribers
/// too); its files are unknown.
#[test]
fn a_deleted_ref_is_still_reported() {
    let pushes = refreshed(deliver("push", fixture!("push-branch-deleted.json")));
    assert_eq!(pushes[0].refs, ["refs/heads/feature/worker-chart"]);
    assert_eq!(pushes[0].changed_paths, ChangedPaths::Unknown);
}

#[test]
fn escaped_strings_are_decoded() {
    let body = r#"{"ref":"refs\/heads\/r\u00e9sum\u00e9","repository":{"clone_url":"https:\/\/github.com\/example-org\/guestbook.git"},"commits":[{"added":["docs\/caf\u00e9.md"]}]}"#;
    assert_eq!(
        refreshed(deliver("push", body.as_bytes())),
        [git_push(
            GUESTBOOK,
            &["refs/heads/résumé"],
            paths(&["docs/café.md"])
        )]
    );
}

#[test]
fn unknown_fields_are_skipped() {
    let body = json!({
        "ref": "refs/heads/main",
        "future_field": {"nested": [1, 2, {"x": null}]},
        "repository": {"clone_url": GUESTBOOK, "custom_properties": {"team": "a"}},
        "commits": [{"added": ["a.txt"], "unknown": true}],
    });
    assert_eq!(
        push_of(&body),
        [git_push(GUESTBOOK, &["refs/heads/main"], paths(&["a.txt"]))]
    );
}

/// The files of every commit count once, in order, whichever list names
/// them.
#[test]
fn files_are_merged_across_lists_and_commits() {
    let body = json!({
        "ref": "refs/heads/main",
        "repository": {"clone_url": GUESTBOOK},
        "commits": [
            {"added": ["z.txt", "a.txt"], "modified": [], "removed": ["m.txt"]},
            {"added": [], "modified": ["a.txt", ""], "removed": []},
        ],
        "head_commit": {"added": [], "modified": ["a.txt"], "removed": []},
    });
    assert_eq!(
        push_of(&body)[0].changed_paths,
        paths(&["a.txt", "m.txt", "z.txt"])
    );
}

#[test]
fn a_push_is_not_a_ping_or_pull_request() {
    let outcome = deliver("push", fixture!("push-tag.json")).expect("a push");
    assert!(matches!(outcome, Outcome::Refresh(_)), "{outcome:?}");
}
