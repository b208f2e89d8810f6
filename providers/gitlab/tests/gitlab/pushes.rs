//! What a push refreshes: the repository under each of its URLs, the pushed
//! ref, and the changed files when GitLab listed every commit.

use kargo_webhook_provider::ChangedPaths;

use crate::support::*;

/// A push body with these repository URLs (JSON values), commits and count.
fn push_of(http: &str, ssh: &str, commits: &str, total: &str) -> String {
    format!(
        r#"{{"object_kind":"push","ref":"refs/heads/main","commits":{commits},"total_commits_count":{total},
            "repository":{{"name":"app","git_http_url":{http},"git_ssh_url":{ssh}}}}}"#
    )
}

fn commit(added: &str, modified: &str, removed: &str) -> String {
    format!(r#"{{"id":"c","added":{added},"modified":{modified},"removed":{removed}}}"#)
}

#[test]
fn both_urls_are_reported_and_merge_when_they_name_one_repository() {
    let refreshed = refreshed(deliver(Some(PUSH), fixture!("push.json")));
    assert_eq!(refreshed.len(), 1, "{refreshed:?}");
    assert_eq!(refreshed[0].0, APP_CONFIG);
}

/// Every spelling GitLab uses, or an instance's settings give, normalizes:
/// scheme, userinfo, `.git`, case, a default port; a non-default SSH port
/// is another key.
#[test]
fn url_spellings_normalize() {
    for (http, ssh, expected) in [
        (
            "https://gitlab.example.com/Platform/App-Config.git",
            "git@gitlab.example.com:platform/app-config.git",
            vec![APP_CONFIG],
        ),
        (
            "http://gitlab.example.com:80/platform/app-config",
            "ssh://git@gitlab.example.com/platform/app-config.git",
            vec![APP_CONFIG],
        ),
        (
            "https://oauth2:glpat-x@GITLAB.example.com:443/platform/app-config.git/",
            "ssh://git@gitlab.example.com:22/platform/app-config.git",
            vec![APP_CONFIG],
        ),
        (
            "https://gitlab.example.com:8443/platform/app-config.git",
            "ssh://git@gitlab.example.com:2222/platform/app-config.git",
            vec![
                "gitlab.example.com:8443/platform/app-config",
                "gitlab.example.com:2222/platform/app-config",
            ],
        ),
        (
            "https://gitlab.example.com/group/subgroup/app.git",
            "git@gitlab.example.com:group/subgroup/app.git",
            vec!["gitlab.example.com/group/subgroup/app"],
        ),
    ] {
        let body = push_of(&format!("{http:?}"), &format!("{ssh:?}"), "[]", "0");
        let keys: Vec<String> = refreshed(deliver(Some(PUSH), body.as_bytes()))
            .into_iter()
            .map(|(key, _, _)| key)
            .collect();
        assert_eq!(keys, expected, "{http} {ssh}");
    }
}

#[test]
fn one_usable_url_is_enough() {
    for (http, ssh) in [
        (
            r#""https://gitlab.example.com/platform/app-config.git""#,
            "null",
        ),
        (
            r#""""#,
            r#""git@gitlab.example.com:platform/app-config.git""#,
        ),
        (
            r#""https://gitlab.example.com/platform//x.git""#,
            r#""git@gitlab.example.com:platform/app-config.git""#,
        ),
    ] {
        let body = push_of(http, ssh, "[]", "0");
        assert_eq!(
            refreshed(deliver(Some(PUSH), body.as_bytes())),
            vec![repo(
                APP_CONFIG,
                &["refs/heads/main"],
                ChangedPaths::Unknown
            )],
            "{http} {ssh}"
        );
    }
}

/// GitLab always sends the repository with both URLs: a push that names
/// no usable one is not GitLab's.
#[test]
fn a_push_without_a_usable_repository_is_malformed() {
    for body in [
        push_of("null", "null", "[]", "0"),
        push_of(r#""""#, r#""   ""#, "[]", "0"),
        push_of(r#""https://gitlab.example.com/a b""#, "null", "[]", "0"),
        r#"{"ref":"refs/heads/main","commits":[],"total_commits_count":0}"#.to_owned(),
        r#"{"ref":"refs/heads/main","repository":null}"#.to_owned(),
        r#"{"ref":"refs/heads/main","repository":{}}"#.to_owned(),
    ] {
        assert_eq!(
            deliver(Some(PUSH), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
        assert_eq!(
            deliver(Some(TAG_PUSH), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

/// A push that names no ref still names its repository; the gateway then
/// refreshes every subscription to it.
#[test]
fn a_missing_or_empty_ref_reports_the_repository_alone() {
    for git_ref in [None, Some(r#""""#), Some("null")] {
        let field = git_ref.map_or(String::new(), |value| format!(r#""ref":{value},"#));
        let body = format!(
            r#"{{{field}"repository":{{"git_http_url":"https://gitlab.example.com/platform/app-config.git"}}}}"#
        );
        assert_eq!(
            refreshed(deliver(Some(PUSH), body.as_bytes())),
            vec![repo(APP_CONFIG, &[], ChangedPaths::Unknown)],
            "{body}"
        );
    }
}

#[test]
fn a_deleted_branch_reports_its_ref() {
    // GitLab's push for a deleted branch: `after` all zeros, no commits.
    let body = r#"{"object_kind":"push","before":"5d8f1c2a9e7b3f4061a2c8d9e0f1a2b3c4d5e6f7",
        "after":"0000000000000000000000000000000000000000","ref":"refs/heads/feature/old",
        "commits":[],"total_commits_count":0,
        "repository":{"git_http_url":"https://gitlab.example.com/platform/app-config.git",
                      "git_ssh_url":"git@gitlab.example.com:platform/app-config.git"}}"#;
    assert_eq!(
        refreshed(deliver(Some(PUSH), body.as_bytes())),
        vec![repo(
            APP_CONFIG,
            &["refs/heads/feature/old"],
            ChangedPaths::Unknown
        )]
    );
}

#[test]
fn changed_files_are_complete_only_when_every_commit_is_listed() {
    let http = r#""https://gitlab.example.com/platform/app-config.git""#;
    let two = format!(
        "[{},{}]",
        commit(r#"["b.yaml"]"#, r#"["a.yaml"]"#, "[]"),
        commit("[]", r#"["a.yaml"]"#, r#"["c/d.yaml"]"#)
    );
    let complete = files(&["a.yaml", "b.yaml", "c/d.yaml"]);
    for (total, expected) in [
        ("2", complete.clone()),
        // Fewer counted than listed is odd, but nothing is missing.
        ("1", complete.clone()),
        ("0", complete),
        ("3", ChangedPaths::Unknown),
        ("21", ChangedPaths::Unknown),
        ("null", ChangedPaths::Unknown),
    ] {
        let body = push_of(http, "null", &two, total);
        assert_eq!(
            refreshed(deliver(Some(PUSH), body.as_bytes())),
            vec![repo(APP_CONFIG, &["refs/heads/main"], expected)],
            "total {total}"
        );
    }
    // No `total_commits_count` at all: nothing says the list is whole.
    let body = format!(
        r#"{{"ref":"refs/heads/main","commits":{two},"repository":{{"git_http_url":{http}}}}}"#
    );
    assert_eq!(
        refreshed(deliver(Some(PUSH), body.as_bytes())),
        vec![repo(
            APP_CONFIG,
            &["refs/heads/main"],
            ChangedPaths::Unknown
        )]
    );
}

/// GitLab's cap: 20 commits listed of 20 is complete, of 21 is not.
#[test]
fn twenty_listed_commits_are_complete_only_when_there_are_twenty() {
    let http = r#""https://gitlab.example.com/platform/app-config.git""#;
    let commits: Vec<String> = (0..20)
        .map(|i| commit(&format!(r#"["dir/{i}.yaml"]"#), "[]", "[]"))
        .collect();
    let commits = format!("[{}]", commits.join(","));
    let every: Vec<String> = (0..20).map(|i| format!("dir/{i}.yaml")).collect();
    let every: Vec<&str> = every.iter().map(String::as_str).collect();
    let body = push_of(http, "null", &commits, "20");
    assert_eq!(
        refreshed(deliver(Some(PUSH), body.as_bytes())),
        vec![repo(APP_CONFIG, &["refs/heads/main"], files(&every))]
    );
    let body = push_of(http, "null", &commits, "21");
    assert_eq!(
        refreshed(deliver(Some(PUSH), body.as_bytes())),
        vec![repo(
            APP_CONFIG,
            &["refs/heads/main"],
            ChangedPaths::Unknown
        )]
    );
}

/// A tag push names no changed files, whatever its body lists: a tag can
/// point at any commit, so its Warehouses are never turned away by path.
#[test]
fn a_tag_push_never_lists_changed_files() {
    let http = r#""https://gitlab.example.com/platform/app-config.git""#;
    let body = push_of(
        http,
        "null",
        &format!("[{}]", commit(r#"["a.yaml"]"#, "[]", "[]")),
        "1",
    )
    .replace("refs/heads/main", "refs/tags/v2.0.0");
    assert_eq!(
        refreshed(deliver(Some(TAG_PUSH), body.as_bytes())),
        vec![repo(
            APP_CONFIG,
            &["refs/tags/v2.0.0"],
            ChangedPaths::Unknown
        )]
    );
}

#[test]
fn unknown_fields_and_escapes_are_read_like_any_other() {
    let body = r#"{"object_kind":"push","future":{"nested":[1,{"x":null}]},"ref":"refs\/heads\/ma\u0069n",
        "commits":[{"id":"c","added":["a\u002fb.yaml"],"modified":[],"removed":[],"extra":true}],
        "total_commits_count":1,"project":{"id":7},
        "repository":{"git_http_url":"https:\/\/gitlab.example.com\/platform\/app-config.git","visibility_level":0}}"#;
    assert_eq!(
        refreshed(deliver(Some(PUSH), body.as_bytes())),
        vec![repo(APP_CONFIG, &["refs/heads/main"], files(&["a/b.yaml"]))]
    );
}
