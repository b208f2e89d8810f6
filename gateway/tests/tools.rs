//! The binary's tools, run as users run them: `providers`, and `explain`
//! with Warehouses from files and from a real cluster (`KUBECONFIG`), its
//! output and its exit codes.

mod real_binary;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kargo_webhook_testenv::{ControlPlane, Identity, paths};
use real_binary::create_warehouse;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kargo-webhook-gateway"));
    command.env_remove("KUBECONFIG");
    command
}

/// Runs the binary with `args`, `stdin` on its standard input.
fn run(command: &mut Command, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting kargo-webhook-gateway");
    child
        .stdin
        .take()
        .expect("stdin pipe")
        .write_all(stdin)
        .expect("writing stdin");
    child.wait_with_output().expect("waiting for it")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture_path(name: &str) -> String {
    paths::repository_root()
        .join("tests/fixtures/harbor")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn providers_lists_each_provider() {
    let output = run(&mut binary(), &["providers"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("harbor\n  authentication: "), "{stdout}");
    assert!(stdout.contains("  Secret key auth-header: "), "{stdout}");
    let json = run(&mut binary(), &["providers", "--output", "json"], b"");
    let listed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(
        listed
            .as_array()
            .is_some_and(|providers| providers.iter().any(|p| p["name"] == "harbor"))
    );
}

#[test]
fn explain_over_files_prints_decisions_and_exits_0() {
    let samples = paths::samples_dir().display().to_string();
    let output = run(
        &mut binary(),
        &[
            "explain",
            "--provider",
            "harbor",
            "--project",
            "kargo-demo",
            "--warehouses",
            &samples,
            "--file",
            &fixture_path("push-simple.json"),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.lines().any(
            |line| line == "kargo-demo/nginx  yes  SemVer; 1.27.1 satisfies constraint ^1.27.0"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("authentication skipped"), "{stdout}");
}

#[test]
fn explain_refuses_bad_input_with_one_line_and_exit_2() {
    let samples = paths::samples_dir().display().to_string();
    let token = "0".repeat(64);
    let url = format!("https://hooks.example.org/webhooks/harbor/{token}");
    let pull = std::fs::read(fixture_path("pull.json")).expect("fixture");
    for (args, stdin, says) in [
        (
            // The payload on standard input, the provider from the URL.
            vec![
                "explain",
                "--url",
                &url,
                "--project",
                "p",
                "--warehouses",
                &samples,
            ],
            pull.as_slice(),
            "the harbor provider ignores this event: event type PULL_ARTIFACT announces no new artifact",
        ),
        (
            vec![
                "explain",
                "--provider",
                "harbor",
                "--cluster",
                "--file",
                "-",
            ],
            b"{\"type\":".as_slice(),
            "the harbor provider refuses the payload (malformed_body): invalid request body",
        ),
        (
            vec!["explain", "--provider", "nexus", "--project", "p"],
            b"{}".as_slice(),
            "unknown provider \"nexus\"; this gateway serves: artifactory, azure, bitbucket, \
             dockerhub, gitea, github, gitlab, harbor, quay",
        ),
    ] {
        let output = run(&mut binary(), &args, stdin);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&output.stderr),
            format!("kargo-webhook-gateway explain: {says}\n"),
            "{args:?}"
        );
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!text(&output.stderr).contains(&token));
    }
    let no_scope = run(&mut binary(), &["explain", "--provider", "harbor"], b"");
    assert_eq!(no_scope.status.code(), Some(2));
}

#[tokio::test]
async fn explain_reads_the_warehouses_of_the_cluster_in_kubeconfig() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let namespace = control_plane.fresh_namespace("explain").await;
    for (name, repository) in [
        ("nginx", "harbor.example.com/library/nginx"),
        ("redis", "harbor.example.com/library/redis"),
    ] {
        create_warehouse(&client, &namespace, name, repository).await;
    }
    let kubeconfig = control_plane.kubeconfig_path(Identity::Admin).to_owned();
    let push = std::fs::read(fixture_path("push-simple.json")).expect("fixture");
    let output = tokio::task::spawn_blocking(move || {
        run(
            binary().env("KUBECONFIG", kubeconfig),
            &[
                "explain",
                "--provider",
                "harbor",
                "--project",
                &namespace,
                "--output",
                "json",
            ],
            &push,
        )
    })
    .await
    .expect("ran");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let decided: Vec<(String, bool)> = lines
        .as_array()
        .expect("an array")
        .iter()
        .map(|line| {
            (
                line["name"].as_str().unwrap_or_default().to_owned(),
                line["refresh"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [("nginx".to_owned(), true), ("redis".to_owned(), false)]
    );
    assert!(
        lines[1]["reason"]
            .as_str()
            .is_some_and(|reason| reason.starts_with("not concerned"))
    );
}
