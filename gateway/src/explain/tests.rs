//! The dry run over the repository's samples and Harbor fixtures, from
//! files (the comparison with a real API server is in `tests/e2e`).

use std::path::PathBuf;

use super::*;
use crate::kargo::WarehouseScope;

fn repository(path: &str) -> PathBuf {
    kargo_webhook_testenv::paths::repository_root().join(path)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repository("tests/fixtures/harbor").join(name)).expect("fixture")
}

fn request(headers: &[(&str, &str)]) -> Request {
    let registry = providers_linked::registry().expect("registry");
    Request {
        provider: registry.get("harbor").expect("harbor is linked"),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect(),
        options: kargo_webhook_provider::ReceiverOptions::default(),
        scope: WarehouseScope::Namespace("kargo-demo".into()),
    }
}

fn samples() -> Source {
    Source::Files(vec![repository("config/samples")])
}

#[tokio::test]
async fn a_push_over_the_samples_says_yes_no_and_not_concerned() {
    let report = explain(&request(&[]), &fixture("push-simple.json"), &samples())
        .await
        .expect("explained");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let text = render::text(&report);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("# dry run of a harbor delivery: authentication skipped"),
        "{text}"
    );
    assert!(
        lines.contains(&"kargo-demo/nginx  yes  SemVer; 1.27.1 satisfies constraint ^1.27.0"),
        "{text}"
    );
    assert!(
        lines.contains(&"kargo-demo/redis    no   not concerned: subscribes to image harbor.example.com/library/redis, not to a pushed repository"),
        "{text}"
    );
    assert!(text.contains("kargo-demo/podinfo"), "{text}");
    assert!(
        text.ends_with("# the server would refresh 1 Warehouse(s)\n"),
        "{text}"
    );

    let json: serde_json::Value = serde_json::from_str(&render::json(&report)).expect("JSON");
    assert_eq!(
        json[0],
        serde_json::json!({
            "namespace": "kargo-demo",
            "name": "nginx",
            "subscription": "image harbor.example.com/library/nginx",
            "refresh": true,
            "reason": "SemVer; 1.27.1 satisfies constraint ^1.27.0",
        })
    );
    assert_eq!(json.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_chart_push_refreshes_the_chart_subscription_only() {
    let report = explain(&request(&[]), &fixture("push-chart.json"), &samples())
        .await
        .expect("explained");
    let Explanation::Refresh { decisions, .. } = &report.explanation else {
        panic!("a push: {report:?}");
    };
    let refreshed: Vec<String> = decisions
        .refreshed()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(refreshed, ["kargo-demo/podinfo"]);
}

#[tokio::test]
async fn ignored_and_malformed_payloads_are_bad_input_with_the_reason() {
    let ignored = explain(&request(&[]), &fixture("pull.json"), &samples())
        .await
        .expect_err("ignored");
    assert_eq!(ignored.exit_code(), 2);
    assert!(
        ignored
            .to_string()
            .starts_with("the harbor provider ignores this event: "),
        "{ignored}"
    );
    let malformed = explain(&request(&[]), &fixture("not-json.txt"), &samples())
        .await
        .expect_err("malformed");
    assert_eq!(malformed.exit_code(), 2);
    assert_eq!(
        malformed.to_string(),
        "the harbor provider refuses the payload (malformed_body): invalid request body"
    );
    // The content type the sender would send decides the format.
    let cloudevents = explain(
        &request(&[("Content-Type", "application/cloudevents+json")]),
        &fixture("cloudevents-push-tag.json"),
        &samples(),
    )
    .await
    .expect("explained");
    assert!(matches!(
        cloudevents.explanation,
        Explanation::Refresh { .. }
    ));
}

#[tokio::test]
async fn missing_warehouse_files_are_bad_input() {
    let missing = Source::Files(vec![repository("config/no-such-folder")]);
    let error = explain(&request(&[]), &fixture("push-simple.json"), &missing)
        .await
        .expect_err("missing");
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().starts_with("cannot read "), "{error}");
}

#[test]
fn the_provider_comes_from_the_flag_or_the_url_and_options_are_checked() {
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: ExplainArgs,
    }
    let registry = providers_linked::registry().expect("registry");
    let parse = |flags: &[&str]| {
        Command::try_parse_from(std::iter::once("explain").chain(flags.iter().copied()))
            .map(|c| c.args)
    };
    let token = "a".repeat(64);
    let url = format!("https://hooks.example.org/base/harbor/{token}");
    let args = parse(&["--url", &url, "--cluster"]).expect("valid");
    let request = args.request(&registry).expect("known provider");
    assert_eq!(request.provider.name(), "harbor");
    assert_eq!(request.scope, WarehouseScope::AllNamespaces);

    let unknown = parse(&["--provider", "nexus", "--project", "p"]).expect("valid flags");
    let error = unknown.request(&registry).expect_err("not linked");
    assert_eq!(
        error.to_string(),
        "unknown provider \"nexus\"; this gateway serves: artifactory, azure, bitbucket, \
         dockerhub, gitea, github, gitlab, harbor, quay"
    );
    let option = parse(&[
        "--provider",
        "harbor",
        "--project",
        "p",
        "--option",
        "virtualRepoName=x",
    ])
    .expect("valid flags");
    let error = option
        .request(&registry)
        .expect_err("harbor reads no option");
    assert_eq!(
        error.to_string(),
        "the harbor provider has no option \"virtualRepoName\" (it reads none)"
    );
    let no_token = parse(&["--url", "https://h/harbor/x", "--project", "p"]).expect("valid flags");
    assert!(matches!(
        no_token.request(&registry),
        Err(BadInput::Url(UrlError::NoToken))
    ));
}
