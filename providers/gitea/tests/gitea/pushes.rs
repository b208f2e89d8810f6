//! What a push refreshes: the repository under its URLs, the ref, and the
//! changed files when Gitea listed every commit.

use kargo_webhook_provider::{ChangedPaths, PushedRepository};
use serde_json::{Value, json};

use crate::support::*;

fn push_of(body: &Value) -> Vec<PushedRepository> {
    refreshed(deliver("push", body.to_string().as_bytes()))
}

fn commit(added: Value, removed: Value, modified: Value) -> Value {
    json!({"id": "4e4e1b2c", "added": added, "removed": removed, "modified": modified})
}

fn repository() -> Value {
    json!({
        "clone_url": "https://gitea.example.com/platform/Guestbook.git",
        "ssh_url": "git@gitea.example.com:platform/Guestbook.git",
    })
}

#[test]
fn each_url_spelling_gitea_uses_gives_its_key() {
    for (clone_url, ssh_url, keys) in [
        (
            "https://gitea.example.com/platform/Guestbook.git",
            "git@gitea.example.com:platform/Guestbook.git",
            vec![GUESTBOOK],
        ),
        (
            "https://gitea.example.com:443/platform/guestbook.git",
            "ssh://git@gitea.example.com:22/platform/guestbook.git",
            vec![GUESTBOOK],
        ),
        (
            "http://gitea.example.com:3000/platform/Guestbook.git",
            "ssh://git@gitea.example.com:2222/platform/Guestbook.git",
            vec![
                "http://gitea.example.com:3000/platform/guestbook",
                "ssh://git@gitea.example.com:2222/platform/guestbook",
            ],
        ),
        (
            "https://gitea.example.com/sub/path/platform/Guestbook.git",
            "",
            vec!["https://gitea.example.com/sub/path/platform/guestbook"],
        ),
    ] {
        let body = json!({
            "ref": "refs/heads/main",
            "repository": {"clone_url": clone_url, "ssh_url": ssh_url},
            "commits": [commit(json!(["a.txt"]), json!(null), json!(null))],
            "total_commits": 1,
        });
        let expected: Vec<_> = keys
            .into_iter()
            .map(|key| git_push(key, &["refs/heads/main"], paths(&["a.txt"])))
            .collect();
        assert_eq!(push_of(&body), expected, "{clone_url} {ssh_url}");
    }
}

#[test]
fn a_push_without_a_usable_repository_is_malformed() {
    for body in [
        json!({"ref": "refs/heads/main"}),
        json!({"ref": "refs/heads/main", "repository": null}),
        json!({"ref": "refs/heads/main", "repository": {"html_url": "https://gitea.example.com/a/b"}}),
        json!({"ref": "refs/heads/main", "repository": {"clone_url": "", "ssh_url": ""}}),
    ] {
        assert_eq!(
            deliver("push", body.to_string().as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

#[test]
fn a_push_without_a_ref_names_none() {
    let body = json!({"repository": repository()});
    assert_eq!(
        push_of(&body),
        [git_push(GUESTBOOK, &[], ChangedPaths::Unknown)]
    );
}

/// Gitea lists the newest `FEED_MAX_COMMIT_NUM` commits (5 by default) and
/// counts them all in `total_commits`.
#[test]
fn changed_files_are_unknown_when_commits_were_left_out() {
    let five: Vec<_> = (0..5)
        .map(|i| commit(json!(null), json!(null), json!([format!("f{i}.txt")])))
        .collect();
    for (total, expected) in [
        (json!(6), ChangedPaths::Unknown),
        (json!(500), ChangedPaths::Unknown),
        (
            json!(5),
            paths(&["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]),
        ),
        (
            json!(null),
            paths(&["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]),
        ),
        (
            json!(-1),
            paths(&["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]),
        ),
    ] {
        let body = json!({
            "ref": "refs/heads/main",
            "repository": repository(),
            "commits": five,
            "total_commits": total,
        });
        assert_eq!(push_of(&body)[0].changed_paths, expected, "{total}");
    }
}

/// Gitea writes empty lists as `null`; a push that lists no file at all (a
/// tag push, an empty commit) leaves the files unknown.
#[test]
fn null_lists_are_empty_and_nothing_listed_is_unknown() {
    let body = json!({
        "ref": "refs/heads/main",
        "repository": repository(),
        "commits": [
            commit(json!(null), json!(["old.txt"]), json!(null)),
            commit(json!(["new.txt"]), json!(null), json!(["new.txt", ""])),
        ],
        "total_commits": 2,
    });
    assert_eq!(
        push_of(&body)[0].changed_paths,
        paths(&["new.txt", "old.txt"])
    );
    for commits in [
        json!(null),
        json!([]),
        json!([commit(json!(null), json!(null), json!(null))]),
    ] {
        let body = json!({
            "ref": "refs/tags/v1.2.0",
            "repository": repository(),
            "commits": commits,
            "total_commits": 0,
        });
        assert_eq!(
            push_of(&body)[0].changed_paths,
            ChangedPaths::Unknown,
            "{commits}"
        );
    }
}

/// Only `commits` counts, as in Kargo's receiver: `head_commit` repeats
/// the newest listed commit of a branch push, and for a tag push it is
/// the tagged commit, whose files say nothing about what the tag brings.
#[test]
fn the_head_commit_is_not_read() {
    let body = json!({
        "ref": "refs/tags/v1.2.0",
        "repository": repository(),
        "commits": [],
        "total_commits": 0,
        "head_commit": commit(json!(["a.txt"]), json!(null), json!(null)),
    });
    assert_eq!(push_of(&body)[0].changed_paths, ChangedPaths::Unknown);
}

#[test]
fn escaped_strings_are_decoded() {
    let body = r#"{"ref":"refs\/heads\/caf\u00e9","repository":{"clone_url":"https:\/\/gitea.example.com\/platform\/Guestbook.git"},"commits":[{"added":["docs\/\u00fcber.md"]}],"total_commits":1}"#;
    assert_eq!(
        refreshed(deliver("push", body.as_bytes())),
        [git_push(
            GUESTBOOK,
            &["refs/heads/café"],
            paths(&["docs/über.md"])
        )]
    );
}

#[test]
fn unknown_fields_are_skipped() {
    let body = json!({
        "ref": "refs/heads/main",
        "secret": "",
        "repository": {"clone_url": "https://gitea.example.com/platform/Guestbook.git", "topics": null},
        "commits": [{"added": ["a.txt"], "verification": {"verified": false}}],
        "total_commits": 1,
        "future": [1, {"x": []}],
    });
    assert_eq!(
        push_of(&body),
        [git_push(GUESTBOOK, &["refs/heads/main"], paths(&["a.txt"]))]
    );
}
