//! Every metric the chart's Grafana dashboard and alerts query exists in
//! `/metrics` of a running gateway: one started in-process against the
//! shared control plane, serving TLS (so the certificate metrics exist),
//! after a Harbor delivery (so the labelled delivery and patch series exist)
//! and a certificate renewal (so the reload counter exists). A name counts
//! only if the scrape has a sample of exactly that name (a histogram's
//! `_bucket`, `_sum` and `_count`, a counter's `_total`).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::observability::{dashboard, dashboard_queries, metric_names, prometheus_rule, rules};
use kargo_webhook_e2e::{
    REACTION, RunningGateway, eventually, fixture, nginx_project, receiver_path, test_config,
};
use kargo_webhook_testenv::{ControlPlane, Identity};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

const AUTH: &str = "Bearer observability-secret";

/// A certificate authority and a way to issue server certificates for
/// `127.0.0.1` into `tls.crt`/`tls.key` of a directory.
struct TestCa(CertifiedIssuer<'static, KeyPair>);

impl TestCa {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "observability test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        Self(CertifiedIssuer::self_signed(params, key).expect("CA certificate"))
    }

    /// Writes a new server certificate and its key into `dir`.
    fn issue(&self, dir: &Path) {
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("leaf params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("leaf key");
        let certificate = params.signed_by(&key, &self.0).expect("leaf certificate");
        // Key first: the gateway waits out a pair seen half written.
        std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("tls.key");
        std::fs::write(dir.join("tls.crt"), certificate.pem()).expect("tls.crt");
    }
}

/// The names of the samples of an OpenMetrics scrape.
fn sample_names(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_metric_the_dashboard_and_the_alerts_query_is_exported() {
    // What the dashboard and the alerts query, each expression valid PromQL.
    let mut queried: Vec<(String, String)> = Vec::new();
    for (place, expr) in dashboard_queries(&dashboard()) {
        for name in metric_names(&expr) {
            queried.push((format!("dashboard {place}"), name));
        }
    }
    for rule in rules(&prometheus_rule(&[])) {
        let expr = rule["expr"].as_str().expect("expr");
        for name in metric_names(expr) {
            queried.push((format!("alert {}", rule["alert"]), name));
        }
    }
    assert!(queried.len() > 20, "too few queries found: {queried:?}");

    // A gateway serving TLS from files, as it does from a mounted Secret.
    let control_plane = ControlPlane::shared();
    let admin = control_plane.admin_client();
    let certificates = tempfile::tempdir().expect("a directory for the certificate");
    let ca = TestCa::new();
    ca.issue(certificates.path());
    let mut config = test_config();
    config.tls_cert_path = Some(certificates.path().join("tls.crt"));
    config.tls_key_path = Some(certificates.path().join("tls.key"));
    let gateway = RunningGateway::start(control_plane, Identity::Admin, config);

    // One Harbor delivery that refreshes a Warehouse, over HTTPS.
    let namespace = control_plane.fresh_namespace("observability").await;
    nginx_project(&admin, &namespace, AUTH, &[&gateway]).await;
    let path = receiver_path(&admin, &namespace, "harbor").await;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(ca.0.pem().as_bytes()).expect("the CA as PEM"),
        )
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTPS client");
    let url = format!("https://127.0.0.1:{}{path}", gateway.webhook.port());
    let status = client
        .post(&url)
        .header("content-type", "application/json")
        .header("authorization", AUTH)
        .body(fixture("push-simple.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("delivering over HTTPS: {e}"))
        .status();
    assert_eq!(status, 200, "the Harbor delivery");

    // A renewal, which the gateway reloads.
    ca.issue(certificates.path());
    eventually(
        "the renewed certificate to be reloaded",
        REACTION,
        || async {
            let scrape = gateway.metrics().await;
            (scrape.value(
                "kargo_webhook_tls_certificate_reloads_total",
                r#"result="success""#,
            ) >= 1.0)
                .then_some(())
        },
    )
    .await;

    let scrape = gateway.metrics().await;
    let exported = sample_names(&scrape.0);
    assert!(
        exported.contains("kargo_webhook_deliveries_total"),
        "the scrape has no deliveries: {}",
        scrape.0
    );
    let missing: Vec<String> = queried
        .iter()
        .filter(|(_, name)| !exported.contains(name))
        .map(|(place, name)| format!("{place}: {name}"))
        .collect();
    assert!(
        missing.is_empty(),
        "queried but not exported: {missing:#?}\nexported: {exported:#?}"
    );
    gateway.stop();
}
