//! Bitbucket Server and Data Center: what `repo:refs_changed` refreshes,
//! merged or declined pull requests, and the test connection's ping.

use kargo_webhook_provider::Outcome;

use crate::support::*;

/// A `repo:refs_changed` body with these clone links and changes (JSON).
fn refs_changed(clone: &str, changes: &str) -> String {
    format!(
        r#"{{"eventKey":"repo:refs_changed","date":"2025-05-12T09:20:44+0000","actor":{{"name":"ada"}},
            "repository":{{"slug":"app-config","links":{{"clone":{clone},"self":[{{"href":"https://bitbucket.example.com/projects/PLAT/repos/app-config/browse"}}]}}}},
            "changes":{changes}}}"#
    )
}

const CLONE: &str = r#"[{"href":"ssh://git@bitbucket.example.com:7999/plat/app-config.git","name":"ssh"},
                        {"href":"https://bitbucket.example.com/scm/plat/app-config.git","name":"http"}]"#;

fn change(id: &str, kind: &str) -> String {
    format!(
        r#"{{"ref":{{"id":"{id}","displayId":"x","type":"BRANCH"}},"refId":"{id}","fromHash":"a","toHash":"b","type":"{kind}"}}"#
    )
}

/// Each clone URL is a key of its own (host, port and path differ), so a
/// Warehouse subscribed to either is found.
#[test]
fn every_clone_url_is_reported_with_every_ref() {
    let changes = format!(
        "[{},{}]",
        change("refs/heads/main", "UPDATE"),
        change("refs/tags/v1.4.0", "ADD")
    );
    assert_eq!(
        refreshed(deliver(
            Some("repo:refs_changed"),
            refs_changed(CLONE, &changes).as_bytes()
        )),
        vec![
            repo(SERVER_SSH, &["refs/heads/main", "refs/tags/v1.4.0"]),
            repo(SERVER_HTTP, &["refs/heads/main", "refs/tags/v1.4.0"]),
        ]
    );
}

#[test]
fn clone_url_spellings_normalize() {
    let clone = r#"[{"href":"https://ada@Bitbucket.Example.com:443/scm/PLAT/app-config.git"},
                    {"href":"ssh://git@bitbucket.example.com:7999/PLAT/App-Config.git/"},
                    {"href":"https://bitbucket.example.com/scm/plat/app-config"}]"#;
    let changes = format!("[{}]", change("refs/heads/main", "UPDATE"));
    assert_eq!(
        refreshed(deliver(
            Some("repo:refs_changed"),
            refs_changed(clone, &changes).as_bytes()
        )),
        vec![
            repo(SERVER_HTTP, &["refs/heads/main"]),
            repo(SERVER_SSH, &["refs/heads/main"]),
        ]
    );
}

#[test]
fn unusable_clone_urls_are_skipped_while_another_is_usable() {
    let clone = r#"[{"href":""},{"name":"ssh"},{"href":"https://bitbucket.example.com/scm//x"},
                    {"href":"https://bitbucket.example.com/scm/plat/app-config.git"}]"#;
    let changes = format!("[{}]", change("refs/heads/main", "UPDATE"));
    assert_eq!(
        refreshed(deliver(
            Some("repo:refs_changed"),
            refs_changed(clone, &changes).as_bytes()
        )),
        vec![repo(SERVER_HTTP, &["refs/heads/main"])]
    );
}

/// Bitbucket always sends the clone URLs.
#[test]
fn a_push_without_a_usable_clone_url_is_malformed() {
    let changes = format!("[{}]", change("refs/heads/main", "UPDATE"));
    for clone in ["[]", "null", r#"[{"href":""}]"#, r#"[{"href":"a b"}]"#] {
        assert_eq!(
            deliver(
                Some("repo:refs_changed"),
                refs_changed(clone, &changes).as_bytes()
            ),
            Err(INVALID_BODY),
            "{clone}"
        );
    }
    for body in [
        r#"{"changes":[]}"#,
        r#"{"repository":{},"changes":[]}"#,
        r#"{"repository":{"links":{"self":[{"href":"https://bitbucket.example.com/x"}]}},"changes":[]}"#,
    ] {
        assert_eq!(
            deliver(Some("repo:refs_changed"), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

/// Deleted refs are reported like the others (a `DELETE` change), as
/// Kargo's receiver does: the Warehouses following them look again.
#[test]
fn deleted_refs_are_reported() {
    let changes = format!("[{}]", change("refs/heads/feature/old", "DELETE"));
    assert_eq!(
        refreshed(deliver(
            Some("repo:refs_changed"),
            refs_changed(CLONE, &changes).as_bytes()
        )),
        vec![
            repo(SERVER_SSH, &["refs/heads/feature/old"]),
            repo(SERVER_HTTP, &["refs/heads/feature/old"]),
        ]
    );
}

#[test]
fn ref_id_stands_in_for_a_missing_ref_object() {
    let changes = r#"[{"refId":"refs/heads/main","type":"UPDATE"},
                      {"ref":{"displayId":"v2"},"refId":"refs/tags/v2","type":"ADD"},
                      {"ref":{"id":""},"type":"ADD"},
                      {"type":"ADD"}]"#;
    assert_eq!(
        refreshed(deliver(
            Some("repo:refs_changed"),
            refs_changed(CLONE, changes).as_bytes()
        )),
        vec![
            repo(SERVER_SSH, &["refs/heads/main", "refs/tags/v2"]),
            repo(SERVER_HTTP, &["refs/heads/main", "refs/tags/v2"]),
        ]
    );
}

#[test]
fn a_push_without_changes_still_reports_the_repository() {
    for changes in ["[]", "null"] {
        assert_eq!(
            refreshed(deliver(
                Some("repo:refs_changed"),
                refs_changed(CLONE, changes).as_bytes()
            )),
            vec![repo(SERVER_SSH, &[]), repo(SERVER_HTTP, &[])],
            "{changes}"
        );
    }
}

#[test]
fn merged_and_declined_pull_requests_report_their_first_self_link() {
    let body = r#"{"eventKey":"pr:merged","pullRequest":{"id":5,"state":"MERGED","links":{"self":[
        {"href":"https://bitbucket.example.com/projects/PLAT/repos/app-config/pull-requests/5"},
        {"href":"https://bitbucket.example.com/elsewhere"}]}}}"#;
    for key in ["pr:merged", "pr:declined"] {
        assert_eq!(
            deliver(Some(key), body.as_bytes()),
            closed("https://bitbucket.example.com/projects/PLAT/repos/app-config/pull-requests/5"),
            "{key}"
        );
    }
}

#[test]
fn a_closed_pull_request_without_its_self_link_is_malformed() {
    for body in [
        r#"{"pullRequest":{"links":{"self":[]}}}"#,
        r#"{"pullRequest":{"links":{"self":[{"href":""}]}}}"#,
        r#"{"pullRequest":{"links":{"self":[{}]}}}"#,
        r#"{"pullRequest":{"links":{}}}"#,
        r#"{"pullRequest":{}}"#,
        r#"{"pullrequest":{"links":{"self":[{"href":"https://bitbucket.example.com/x"}]}}}"#,
    ] {
        assert_eq!(
            deliver(Some("pr:merged"), body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

/// "Test connection" is answered as a ping whatever its body says.
#[test]
fn the_ping_is_a_ping_whatever_its_body() {
    for body in [
        &fixture!("server-diagnostics-ping.json")[..],
        b"{}",
        b"",
        b"not json",
    ] {
        assert_eq!(deliver(Some("diagnostics:ping"), body), Ok(Outcome::Ping));
    }
}
