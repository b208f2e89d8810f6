//! Azure DevOps events: what a push refreshes, and which pull request a
//! merge or an abandonment names.

use kargo_webhook_provider::Outcome;

use crate::support::*;

fn push_of(repository: &str, ref_updates: &str) -> String {
    format!(
        r#"{{"eventType":"git.push","resource":{{"refUpdates":{ref_updates},"repository":{repository}}}}}"#
    )
}

fn pull_request(event_type: &str, resource: &str) -> String {
    format!(r#"{{"eventType":"{event_type}","resource":{resource}}}"#)
}

const MAIN: &str = r#"[{"name":"refs/heads/main"}]"#;

#[test]
fn a_push_names_its_repository_and_every_ref() {
    assert_eq!(
        pushes(deliver(DEVOPS, fixture!("devops-git-push.json"))),
        vec![git_push(
            "https://dev.azure.com/contoso/Payments/_git/payments-api",
            &["refs/heads/main"]
        )]
    );
    let body = push_of(
        r#"{"remoteUrl":"https://dev.azure.com/o/p/_git/r"}"#,
        r#"[{"name":"refs/heads/main"},{"name":"refs/tags/v1.0.0"},{"name":"refs/heads/main"},{"name":""},{"oldObjectId":"0"}]"#,
    );
    assert_eq!(
        pushes(deliver(DEVOPS, body.as_bytes())),
        vec![git_push(
            "https://dev.azure.com/o/p/_git/r",
            &["refs/heads/main", "refs/tags/v1.0.0"]
        )]
    );
}

/// Every spelling of an Azure Repos URL that a payload or a Warehouse may
/// use gives one key: the organization as user name, upper case, `.git`, a
/// trailing `/`.
#[test]
fn remote_url_spellings_meet_one_subscription() {
    let plain = git_push(
        "https://dev.azure.com/contoso/payments/_git/payments-api",
        &["refs/heads/main"],
    );
    for remote in [
        "https://dev.azure.com/contoso/Payments/_git/payments-api",
        "https://contoso@dev.azure.com/contoso/Payments/_git/payments-api",
        "https://contoso:pat@dev.azure.com/contoso/Payments/_git/payments-api",
        "https://DEV.AZURE.COM/contoso/Payments/_git/payments-api/",
        "https://dev.azure.com/contoso/Payments/_git/payments-api.git",
        "https://dev.azure.com:443/contoso/Payments/_git/payments-api",
    ] {
        let body = push_of(&format!(r#"{{"remoteUrl":"{remote}"}}"#), MAIN);
        assert_eq!(
            pushes(deliver(DEVOPS, body.as_bytes())),
            vec![plain.clone()],
            "{remote}"
        );
    }
    // The older host and Azure DevOps Server keep their own paths.
    for (remote, key) in [
        (
            "https://fabrikam.visualstudio.com/DefaultCollection/_git/Fabrikam",
            "fabrikam.visualstudio.com/defaultcollection/_git/fabrikam",
        ),
        (
            "https://tfs.example.com/tfs/DefaultCollection/Ops/_git/infra",
            "tfs.example.com/tfs/defaultcollection/ops/_git/infra",
        ),
    ] {
        let body = push_of(&format!(r#"{{"remoteUrl":"{remote}"}}"#), MAIN);
        let pushed = pushes(deliver(DEVOPS, body.as_bytes()));
        assert_eq!(pushed.len(), 1);
        assert_eq!(pushed[0].repository.as_str(), key);
    }
}

/// A subscription by the SSH URL meets the push too when the payload names
/// it; an `sshUrl` that names nothing leaves the remote URL alone.
#[test]
fn an_ssh_url_in_the_payload_is_a_second_key() {
    let pushed = pushes(deliver(
        DEVOPS,
        fixture!("devops-git-push-tag-and-branch.json"),
    ));
    let keys: Vec<&str> = pushed.iter().map(|p| p.repository.as_str()).collect();
    assert_eq!(
        keys,
        [
            "dev.azure.com/fabrikam/checkout/_git/checkout",
            "ssh.dev.azure.com/v3/fabrikam/checkout/checkout"
        ]
    );
    for ssh in [r#""""#, "null", r#""git@ssh.dev.azure.com:""#] {
        let body = push_of(
            &format!(r#"{{"remoteUrl":"https://dev.azure.com/o/p/_git/r","sshUrl":{ssh}}}"#),
            MAIN,
        );
        assert_eq!(
            pushes(deliver(DEVOPS, body.as_bytes())),
            vec![git_push(
                "https://dev.azure.com/o/p/_git/r",
                &["refs/heads/main"]
            )],
            "{ssh}"
        );
    }
}

/// A push without refs names the repository alone (every subscriber looks
/// again); Azure always sends `refUpdates`, so this is only tolerance.
#[test]
fn a_push_without_ref_updates_names_the_repository() {
    for ref_updates in ["[]", "null"] {
        let body = push_of(
            r#"{"remoteUrl":"https://dev.azure.com/o/p/_git/r"}"#,
            ref_updates,
        );
        assert_eq!(
            pushes(deliver(DEVOPS, body.as_bytes())),
            vec![git_push("https://dev.azure.com/o/p/_git/r", &[])]
        );
    }
}

#[test]
fn a_push_without_a_usable_remote_url_is_malformed() {
    for repository in [
        "{}",
        r#"{"remoteUrl":""}"#,
        r#"{"remoteUrl":null,"sshUrl":"git@ssh.dev.azure.com:v3/o/p/r"}"#,
        r#"{"remoteUrl":"https://dev.azure.com/o//r"}"#,
        r#"{"remoteUrl":"https://dev.azure.com/o/p r"}"#,
    ] {
        let body = push_of(repository, MAIN);
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Err(INVALID_BODY),
            "{repository}"
        );
    }
    for body in [
        r#"{"eventType":"git.push"}"#,
        r#"{"eventType":"git.push","resource":null}"#,
        r#"{"eventType":"git.push","resource":{}}"#,
        r#"{"eventType":"git.push","resource":[]}"#,
    ] {
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Err(INVALID_BODY),
            "{body}"
        );
    }
}

/// The URL Kargo's `git-wait-for-pr` step records is
/// `<repository web URL>/pullrequest/<id>`: the link's view fragment is cut.
#[test]
fn a_merge_names_the_pull_request_page_kargo_records() {
    assert_eq!(
        deliver(DEVOPS, fixture!("devops-pullrequest-merged.json")),
        closed(PR_57)
    );
    for href in [
        "https://dev.azure.com/o/p/_git/r/pullrequest/42",
        "https://dev.azure.com/o/p/_git/r/pullrequest/42#view=discussion",
        "https://dev.azure.com/o/p/_git/r/pullrequest/42?_a=overview",
    ] {
        let body = pull_request(
            "git.pullrequest.merged",
            &format!(
                r#"{{"pullRequestId":42,"status":"completed","_links":{{"web":{{"href":"{href}"}}}}}}"#
            ),
        );
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            closed("https://dev.azure.com/o/p/_git/r/pullrequest/42"),
            "{href}"
        );
    }
}

/// "Merge attempted" also fires while the pull request is still open (a
/// merge that failed): Kargo refreshes the waiters all the same, and they
/// ask Azure DevOps for the pull request's state, so nothing is lost.
#[test]
fn a_merge_event_refreshes_whatever_the_status() {
    for status in [r#""active""#, r#""completed""#, "null"] {
        let body = pull_request(
            "git.pullrequest.merged",
            &format!(
                r#"{{"pullRequestId":7,"status":{status},"mergeStatus":"conflicts","_links":{{"web":{{"href":"https://dev.azure.com/o/p/_git/r/pullrequest/7"}}}}}}"#
            ),
        );
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            closed("https://dev.azure.com/o/p/_git/r/pullrequest/7"),
            "{status}"
        );
    }
}

#[test]
fn only_an_abandoning_update_closes_the_pull_request() {
    assert_eq!(
        deliver(
            DEVOPS,
            fixture!("devops-pullrequest-updated-abandoned.json")
        ),
        closed(PR_57)
    );
    assert_eq!(
        deliver(DEVOPS, fixture!("devops-pullrequest-updated-active.json")),
        Ok(Outcome::Ignored(NOT_ABANDONED))
    );
    let link = r#""_links":{"web":{"href":"https://dev.azure.com/o/p/_git/r/pullrequest/9"}}"#;
    for status in [
        r#""active""#,
        r#""completed""#,
        r#""Abandoned""#,
        "null",
        r#""""#,
    ] {
        let body = pull_request(
            "git.pullrequest.updated",
            &format!(r#"{{"pullRequestId":9,"status":{status},{link}}}"#),
        );
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Ok(Outcome::Ignored(NOT_ABANDONED)),
            "{status}"
        );
    }
    // An update that is not abandoned needs no URL.
    let body = pull_request("git.pullrequest.updated", r#"{"status":"active"}"#);
    assert_eq!(
        deliver(DEVOPS, body.as_bytes()),
        Ok(Outcome::Ignored(NOT_ABANDONED))
    );
}

/// Without `_links` (the event reference's `git.pullrequest.updated`
/// sample), Kargo's own formula gives the URL: the repository's web URL, or
/// its clone URL without the user name.
#[test]
fn without_a_link_the_url_comes_from_the_repository() {
    assert_eq!(
        deliver(
            DEVOPS,
            fixture!("devops-pullrequest-updated-abandoned-no-links.json")
        ),
        closed(PR_57)
    );
    for repository in [
        r#"{"webUrl":"https://dev.azure.com/o/p/_git/r","remoteUrl":"https://x@other.example/y"}"#,
        r#"{"webUrl":"https://dev.azure.com/o/p/_git/r/"}"#,
        r#"{"remoteUrl":"https://o@dev.azure.com/o/p/_git/r"}"#,
        r#"{"webUrl":"","remoteUrl":"https://dev.azure.com/o/p/_git/r"}"#,
        r#"{"webUrl":"not a url","remoteUrl":"https://dev.azure.com/o/p/_git/r"}"#,
    ] {
        for links in ["", r#","_links":{}"#, r#","_links":{"web":{"href":""}}"#] {
            let body = pull_request(
                "git.pullrequest.updated",
                &format!(
                    r#"{{"pullRequestId":12,"status":"abandoned","repository":{repository}{links}}}"#
                ),
            );
            assert_eq!(
                deliver(DEVOPS, body.as_bytes()),
                closed("https://dev.azure.com/o/p/_git/r/pullrequest/12"),
                "{repository} {links}"
            );
        }
    }
}

#[test]
fn a_pull_request_event_that_names_no_page_is_malformed() {
    for resource in [
        "{}",
        r#"{"pullRequestId":3}"#,
        r#"{"pullRequestId":3,"repository":{}}"#,
        r#"{"repository":{"webUrl":"https://dev.azure.com/o/p/_git/r"}}"#,
        r#"{"pullRequestId":3,"repository":{"remoteUrl":"git@ssh.dev.azure.com:v3/o/p/r"}}"#,
        r#"{"pullRequestId":3,"_links":{"web":{"href":"/o/p/_git/r/pullrequest/3"}}}"#,
        r#"{"pullRequestId":"3","_links":{"web":{"href":"https://dev.azure.com/o/p/_git/r/pullrequest/3"}}}"#,
        r#"{"pullRequestId":-3,"repository":{"webUrl":"https://dev.azure.com/o/p/_git/r"}}"#,
        r#"{"_links":{"web":"https://dev.azure.com/o/p/_git/r/pullrequest/3"}}"#,
        // Found by fuzzing: a repository URL with a fragment or a query is
        // no repository's URL, and must not make a pull request URL.
        r#"{"pullRequestId":3,"repository":{"remoteUrl":"https://dev.azure.com/o/p#x/_git/r"}}"#,
        r#"{"pullRequestId":3,"repository":{"webUrl":"https://dev.azure.com/o/p/_git/r?v=1"}}"#,
    ] {
        let body = pull_request("git.pullrequest.merged", resource);
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Err(INVALID_BODY),
            "{resource}"
        );
        let abandoned = resource.replacen('{', r#"{"status":"abandoned","#, 1);
        let abandoned = abandoned.replace(",}", "}");
        let body = pull_request("git.pullrequest.updated", &abandoned);
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Err(INVALID_BODY),
            "{abandoned}"
        );
    }
}

#[test]
fn other_event_types_are_ignored_whatever_their_resource() {
    for resource in ["5", "\"text\"", "[1,2]", r#"{"refUpdates":"x"}"#, "null"] {
        let body = format!(r#"{{"eventType":"git.pullrequest.created","resource":{resource}}}"#);
        assert_eq!(
            deliver(DEVOPS, body.as_bytes()),
            Ok(Outcome::Ignored(
                "event type git.pullrequest.created announces no new commits"
            )),
            "{resource}"
        );
    }
    let body = r#"{"eventType":"workitem.updated"}"#;
    assert_eq!(
        deliver(DEVOPS, body.as_bytes()),
        Ok(Outcome::Ignored(
            "event type workitem.updated announces no new commits"
        ))
    );
}

#[test]
fn unknown_event_types_are_ignored_without_echoing_them() {
    for name in [
        "git.pullrequest.deleted",
        "GIT.PUSH",
        "git.push ",
        "<b>x</b>",
    ] {
        let body = format!(r#"{{"eventType":"{name}","resource":{{}}}}"#);
        let outcome = deliver(DEVOPS, body.as_bytes()).expect("ignored");
        assert_eq!(
            outcome,
            Outcome::Ignored("unknown event type announces no new commits"),
            "{name}"
        );
    }
}

#[test]
fn unknown_fields_and_escapes_read_as_usual() {
    let body = r#"{"eventType":"git\u002epush","future":{"x":[1,{"y":null}]},
        "resource":{"commits":"none","refUpdates":[{"name":"refs\/heads\/main","extra":true}],
                    "repository":{"remoteUrl":"https:\/\/dev.azure.com\/o\/p\/_git\/r","size":12}}}"#;
    assert_eq!(
        pushes(deliver(DEVOPS, body.as_bytes())),
        vec![git_push(
            "https://dev.azure.com/o/p/_git/r",
            &["refs/heads/main"]
        )]
    );
}
