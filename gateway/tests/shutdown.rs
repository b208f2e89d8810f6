//! SIGTERM with deliveries in flight, on the real binary against a private
//! control plane whose etcd is paused so that the deliveries stay in
//! flight: each one is answered (503 with `Retry-After`, which Harbor
//! retries), new connections are refused, and the process exits 0 within
//! its shutdown bound, Lease release included.

mod real_binary;

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kargo_webhook_testenv::ControlPlane;
use kube::api::Api;
use real_binary::{
    GatewayProcess, REACTION, create_warehouse, eventually, fixture, post, published_path,
    put_project_config, put_secret,
};

const AUTH: &str = "Bearer shutdown-secret";
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(4);
const DEADLINE: Duration = Duration::from_secs(2);
/// What the process may take beyond its shutdown timeout to exit (a loaded
/// 2-core machine).
const EXIT_SLACK: Duration = Duration::from_secs(3);

#[tokio::test]
async fn sigterm_answers_in_flight_deliveries_refuses_new_ones_and_exits_0() {
    let control_plane = ControlPlane::start()
        .await
        .unwrap_or_else(|e| panic!("starting a private control plane: {e}"));
    let client = control_plane.admin_client();
    // Defaults otherwise, leader election included: shutdown releases the
    // Lease, which must not hold the exit up while Kubernetes is stalled.
    let mut gateway = GatewayProcess::start(
        &control_plane,
        &[
            "--log-format",
            "json",
            "--lease-namespace",
            "default",
            "--identity",
            "shutdown-test",
            "--shutdown-timeout",
            "4s",
            "--answer-deadline",
            "2s",
            // No Kargo controller here: the gateway publishes the URL.
            "--publish-status",
            "true",
        ],
    );
    let namespace = control_plane.fresh_namespace("shutdown").await;
    put_secret(&client, &namespace, "harbor-webhook", AUTH).await;
    put_project_config(&client, &namespace, "harbor-webhook").await;
    create_warehouse(
        &client,
        &namespace,
        "nginx",
        "harbor.example.com/library/nginx",
    )
    .await;
    let url = gateway.url(&published_path(&client, &namespace, None).await);
    let headers = [
        ("authorization", AUTH),
        ("content-type", "application/json"),
    ];
    eventually("a delivery refreshing nginx", REACTION, || async {
        let answer = post(&url, &headers, fixture("push-simple.json")).await;
        (answer.status == 200 && answer.json()["warehouses"].as_array()?.len() == 1).then_some(())
    })
    .await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
    eventually("the gateway holding its Lease", REACTION, || async {
        let holder = leases
            .get_opt("kargo-webhook-gateway")
            .await
            .ok()??
            .spec?
            .holder_identity?;
        (holder == "shutdown-test").then_some(())
    })
    .await;

    control_plane.pause_etcd().expect("pausing etcd");
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                post(
                    &url,
                    &[
                        ("authorization", AUTH),
                        ("content-type", "application/json"),
                    ],
                    fixture("push-simple.json"),
                )
                .await
            })
        })
        .collect();
    // Let them arrive and wait on their (stalled) patches.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let terminated = Instant::now();
    gateway.terminate();

    // The listener closes at once: a new connection is refused, not queued.
    let refused = eventually("new connections to be refused", REACTION, || async {
        match tokio::net::TcpStream::connect(gateway.webhook).await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                Some(terminated.elapsed())
            }
            _ => None,
        }
    })
    .await;

    let mut answers = Vec::new();
    for delivery in in_flight {
        answers.push(delivery.await.expect("the delivery task"));
    }
    let exit = gateway
        .wait_exit(SHUTDOWN_TIMEOUT + DEADLINE + EXIT_SLACK)
        .await;
    let exited_after = terminated.elapsed();
    control_plane.resume_etcd().expect("resuming etcd");

    let logs = if exit.is_some() {
        gateway.all_logs()
    } else {
        gateway.logs()
    };
    let logs = logs.join("\n");
    assert!(
        refused < Duration::from_secs(1),
        "new connections were still accepted {refused:?} after SIGTERM"
    );
    for answer in &answers {
        assert_eq!(answer.status, 503, "{answer:?}\n{logs}");
        assert!(answer.retry_after().is_some_and(|s| s >= 1), "{answer:?}");
        assert!(answer.took <= DEADLINE + EXIT_SLACK, "{answer:?}");
    }
    let exit = exit.unwrap_or_else(|| {
        panic!("the gateway did not exit within {exited_after:?} of SIGTERM:\n{logs}")
    });
    assert!(exit.success(), "the gateway exited with {exit}:\n{logs}");
    assert!(
        logs.contains("shutting down: finishing in-flight deliveries") && logs.contains("stopped"),
        "{logs}"
    );
}
