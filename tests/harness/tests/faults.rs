//! The fault switches work on a private control plane: the API server stops
//! and comes back on the same port with the same data; a paused etcd stalls
//! writes until resumed; a second API server serves the same data and stops
//! when asked; stopping removes everything.

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kargo_webhook_testenv::process::is_running;
use kargo_webhook_testenv::{ControlPlane, Identity};
use kube::api::{Api, ObjectMeta, PostParams};

fn config_map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some([("key".to_owned(), "value".to_owned())].into()),
        ..Default::default()
    }
}

/// A client that fails fast instead of retrying or waiting long.
fn impatient_client(control_plane: &ControlPlane) -> kube::Client {
    let mut config = control_plane.config(Identity::Admin);
    config.connect_timeout = Some(Duration::from_secs(2));
    config.read_timeout = Some(Duration::from_secs(3));
    config.default_retry = false;
    kube::Client::try_from(config).expect("a client")
}

#[tokio::test]
async fn the_apiserver_restarts_on_the_same_port_and_etcd_pauses() {
    let control_plane = ControlPlane::start()
        .await
        .expect("starting a private control plane");
    let namespace = control_plane.fresh_namespace("faults").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(control_plane.admin_client(), &namespace);
    config_maps
        .create(&PostParams::default(), &config_map("kept"))
        .await
        .expect("creating a ConfigMap");
    let url = control_plane.server_url();
    let first_pid = control_plane.apiserver_pid().expect("the API server runs");

    control_plane
        .stop_apiserver()
        .expect("stopping the API server");
    assert!(!is_running(first_pid));
    assert_eq!(control_plane.apiserver_pid(), None);
    let while_stopped: Api<ConfigMap> =
        Api::namespaced(impatient_client(&control_plane), &namespace);
    assert!(
        while_stopped.get("kept").await.is_err(),
        "nothing answers while the API server is stopped"
    );

    control_plane
        .start_apiserver()
        .await
        .expect("starting it again");
    assert_eq!(control_plane.server_url(), url);
    let second_pid = control_plane.apiserver_pid().expect("it runs again");
    assert_ne!(second_pid, first_pid);
    let kept = Api::<ConfigMap>::namespaced(control_plane.admin_client(), &namespace)
        .get("kept")
        .await
        .expect("the data survived in etcd");
    assert_eq!(kept.data, config_map("kept").data);

    control_plane.pause_etcd().expect("pausing etcd");
    let stalled: Api<ConfigMap> = Api::namespaced(impatient_client(&control_plane), &namespace);
    let during_pause = tokio::time::timeout(
        Duration::from_secs(5),
        stalled.create(&PostParams::default(), &config_map("during-pause")),
    )
    .await;
    assert!(
        !matches!(during_pause, Ok(Ok(_))),
        "a write must not succeed while etcd is paused"
    );
    control_plane.resume_etcd().expect("resuming etcd");
    let after: Api<ConfigMap> = Api::namespaced(control_plane.admin_client(), &namespace);
    after
        .create(&PostParams::default(), &config_map("after-resume"))
        .await
        .expect("writes work again after resume");

    // A second API server on the same etcd: what it writes, the main one
    // reads; it stops when asked.
    let extra = control_plane
        .start_extra_apiserver()
        .await
        .expect("starting a second API server");
    assert_ne!(extra.server_url(), control_plane.server_url());
    let extra_pid = extra.pid();
    Api::<ConfigMap>::namespaced(extra.client(Identity::Admin).expect("client"), &namespace)
        .create(&PostParams::default(), &config_map("through-extra"))
        .await
        .expect("writing through the second API server");
    after
        .get("through-extra")
        .await
        .expect("the main API server reads what the second one wrote");
    extra.stop().expect("stopping the second API server");
    assert!(!is_running(extra_pid));

    let etcd_pid = control_plane.etcd_pid();
    let apiserver_pid = second_pid;
    let data_dir = control_plane.data_dir().to_path_buf();
    control_plane.stop().expect("stopping the control plane");
    assert!(!is_running(etcd_pid) && !is_running(apiserver_pid));
    assert!(!data_dir.exists(), "{} is left behind", data_dir.display());
}
