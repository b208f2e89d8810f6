//! Bitbucket Cloud: what `repo:push` refreshes, and merged or declined pull
//! requests.

use crate::support::*;

/// A `repo:push` body for the repository web URL `html` (a JSON value) with
/// these `changes` (a JSON array).
fn push_of(html: &str, changes: &str) -> String {
    format!(
        r#"{{"actor":{{"type":"user"}},"repository":{{"type":"repository","full_name":"acme/app-config",
            "links":{{"html":{{"href":{html}}}}}}},"push":{{"changes":{changes}}}}}"#
    )
}

const HTML: &str = r#""https://bitbucket.org/acme/app-config""#;

fn change(new: &str, old: &str) -> String {
    format!(r#"{{"new":{new},"old":{old},"created":false,"closed":false,"commits":[]}}"#)
}

fn state(kind: &str, name: &str) -> String {
    format!(r#"{{"type":"{kind}","name":"{name}","target":{{"type":"commit","hash":"9a1b"}}}}"#)
}

/// Kargo's receiver uses the web URL as it comes; here it is normalized
/// like every Git URL, so that a Warehouse subscribed to the clone URL, with
/// `.git`, in another case or over SSH, is found.
#[test]
fn the_web_url_is_normalized() {
    for html in [
        HTML,
        r#""https://bitbucket.org/Acme/App-Config""#,
        r#""https://bitbucket.org/acme/app-config/""#,
        r#""https://bitbucket.org/acme/app-config.git""#,
        r#""https://ada@bitbucket.org/acme/app-config.git""#,
        r#""git@bitbucket.org:acme/app-config.git""#,
    ] {
        let body = push_of(
            html,
            &format!("[{}]", change(&state("branch", "main"), "null")),
        );
        assert_eq!(
            refreshed(deliver(Some("repo:push"), body.as_bytes())),
            vec![repo(CLOUD_REPO, &["refs/heads/main"])],
            "{html}"
        );
    }
}

#[test]
fn each_change_names_its_ref_by_type() {
    let changes = format!(
        "[{},{},{},{}]",
        change(&state("branch", "main"), &state("branch", "main")),
        change(&state("tag", "v1.4.0"), "null"),
        change(&state("named_branch", "default"), "null"),
        change(&state("branch", "release/2.x"), "null"),
    );
    assert_eq!(
        refreshed(deliver(
            Some("repo:push"),
            push_of(HTML, &changes).as_bytes()
        )),
        vec![repo(
            CLOUD_REPO,
            &[
                "refs/heads/main",
                "refs/tags/v1.4.0",
                "refs/heads/default",
                "refs/heads/release/2.x",
            ]
        )]
    );
}

/// A deleted ref (`new` is `null`) is reported by its old name, so that the
/// Warehouses following it look again at once, as for a Server push or a
/// GitLab push that deletes a ref.
#[test]
fn a_deleted_ref_is_reported_by_its_old_name() {
    let changes = format!(
        "[{},{}]",
        change("null", &state("branch", "feature/old")),
        change("null", &state("tag", "v0.9.0")),
    );
    assert_eq!(
        refreshed(deliver(
            Some("repo:push"),
            push_of(HTML, &changes).as_bytes()
        )),
        vec![repo(
            CLOUD_REPO,
            &["refs/heads/feature/old", "refs/tags/v0.9.0"]
        )]
    );
}

/// Changes whose states name no usable ref add no ref, but the repository
/// is still reported: the gateway then refreshes every subscription to it.
#[test]
fn changes_without_a_usable_ref_still_report_the_repository() {
    for changes in [
        "[]".to_owned(),
        "null".to_owned(),
        format!("[{}]", change("null", "null")),
        format!("[{}]", change(&state("bookmark", "stable"), "null")),
        format!("[{}]", change(&state("branch", ""), "null")),
        format!("[{}]", change(r#"{"name":"main"}"#, "null")),
        format!("[{}]", change(r#"{"type":"branch"}"#, "null")),
        r#"[{}]"#.to_owned(),
    ] {
        assert_eq!(
            refreshed(deliver(
                Some("repo:push"),
                push_of(HTML, &changes).as_bytes()
            )),
            vec![repo(CLOUD_REPO, &[])],
            "{changes}"
        );
    }
    let without_changes = r#"{"repository":{"links":{"html":{"href":"https://bitbucket.org/acme/app-config"}}},"push":{}}"#;
    assert_eq!(
        refreshed(deliver(Some("repo:push"), without_changes.as_bytes())),
        vec![repo(CLOUD_REPO, &[])]
    );
}

#[test]
fn one_ref_moved_twice_is_reported_once() {
    let changes = format!(
        "[{},{}]",
        change(&state("branch", "main"), "null"),
        change(&state("branch", "main"), &state("branch", "main")),
    );
    assert_eq!(
        refreshed(deliver(
            Some("repo:push"),
            push_of(HTML, &changes).as_bytes()
        )),
        vec![repo(CLOUD_REPO, &["refs/heads/main"])]
    );
}

/// Bitbucket always sends the repository's web URL and the `push` object.
#[test]
fn a_push_without_its_repository_or_push_is_malformed() {
    let one = format!("[{}]", change(&state("branch", "main"), "null"));
    for body in [
        push_of("null", &one),
        push_of(r#""""#, &one),
        push_of(r#""https://bitbucket.org/acme//app-config""#, &one),
        push_of(r#""https://bitbucket.org/acme/app config""#, &one),
        format!(r#"{{"push":{{"changes":{one}}}}}"#),
        format!(r#"{{"repository":{{}},"push":{{"changes":{one}}}}}"#),
        format!(r#"{{"repository":{{"links":{{}}}},"push":{{"changes":{one}}}}}"#),
        format!(r#"{{"repository":{{"links":{{"html":null}}}},"push":{{"changes":{one}}}}}"#),
        r#"{"repository":{"links":{"html":{"href":"https://bitbucket.org/acme/app-config"}}}}"#
            .to_owned(),
        r#"{"repository":{"links":{"html":{"href":"https://bitbucket.org/acme/app-config"}}},"push":null}"#
            .to_owned(),
    ] {
        assert_eq!(
            deliver(Some("repo:push"), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

#[test]
fn merged_and_declined_pull_requests_report_their_web_page() {
    let body = r#"{"pullrequest":{"id":3,"state":"MERGED","links":{
        "self":{"href":"https://api.bitbucket.org/2.0/repositories/acme/app-config/pullrequests/3"},
        "html":{"href":"https://bitbucket.org/acme/app-config/pull-requests/3"}}}}"#;
    for key in ["pullrequest:fulfilled", "pullrequest:rejected"] {
        assert_eq!(
            deliver(Some(key), body.as_bytes()),
            closed("https://bitbucket.org/acme/app-config/pull-requests/3"),
            "{key}"
        );
    }
}

#[test]
fn a_closed_pull_request_without_its_web_page_is_malformed() {
    for body in [
        r#"{"pullrequest":{"links":{"html":{"href":""}}}}"#,
        r#"{"pullrequest":{"links":{"html":{}}}}"#,
        r#"{"pullrequest":{"links":{"self":{"href":"https://api.bitbucket.org/x"}}}}"#,
        r#"{"pullrequest":{}}"#,
        r#"{"pullrequest":null}"#,
        r#"{"pullRequest":{"links":{"html":{"href":"https://bitbucket.org/a/b/pull-requests/1"}}}}"#,
    ] {
        assert_eq!(
            deliver(Some("pullrequest:fulfilled"), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}
