//! The Grafana dashboard and the PrometheusRule the chart ships: opt-in,
//! well-formed, labelled for Grafana's sidecar, every panel with a query,
//! every query and alert valid PromQL over the gateway's own metrics, and
//! every alert with a runbook in docs/operations.md. That the metrics exist
//! in a running gateway's `/metrics` is `observability_metrics.rs`.

mod common;

use std::collections::BTreeSet;

use common::observability::{
    ALERTS, DASHBOARD, alert_runbook_anchors, dashboard, dashboard_queries, metric_names, panels,
    prometheus_rule, rules,
};
use common::{RELEASE, all_of, named, render};
use kargo_webhook_testenv::GATEWAY_NAMESPACE;
use serde_json::Value;

#[test]
fn neither_is_rendered_by_default() {
    let manifests = render(&[]);
    assert!(all_of(&manifests, "ConfigMap").is_empty());
    assert!(all_of(&manifests, "PrometheusRule").is_empty());
}

#[test]
fn the_dashboard_is_well_formed_and_every_panel_queries() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "kargo-webhook-gateway");
    assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()));
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .expect("templating.list")
        .iter()
        .filter_map(|variable| variable["name"].as_str())
        .collect();
    assert_eq!(variables, ["datasource", "namespace", "job"]);

    let panels = panels(&dashboard);
    assert!(panels.len() >= 10, "only {} panels", panels.len());
    let mut ids = BTreeSet::new();
    for panel in &panels {
        let title = &panel["title"];
        let id = panel["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("{title} has no id"));
        assert!(ids.insert(id), "panel id of {title} reused");
        for field in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][field].is_u64(), "{title}: gridPos.{field}");
        }
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{title}");
        let targets = panel["targets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert!(!targets.is_empty(), "panel {title} has no query");
        for target in targets {
            let expr = target["expr"].as_str().unwrap_or_default();
            assert!(!expr.trim().is_empty(), "panel {title} has an empty query");
            assert!(
                expr.contains(r#"job=~"$job""#) && expr.contains(r#"namespace=~"$namespace""#),
                "panel {title} ignores the dashboard's variables: {expr}"
            );
        }
    }

    // What operators look for, each in some query.
    let all_queries: Vec<String> = dashboard_queries(&dashboard)
        .into_iter()
        .map(|(_, expr)| expr)
        .collect();
    let queried: BTreeSet<String> = all_queries.iter().flat_map(|q| metric_names(q)).collect();
    for metric in [
        "kargo_webhook_deliveries_total",
        "kargo_webhook_delivery_duration_seconds_bucket",
        "kargo_webhook_refresh_patches_total",
        "kargo_webhook_coalesced_deliveries_total",
        "kargo_webhook_receivers",
        "kargo_webhook_indexed_warehouses",
        "kargo_webhook_tls_certificate_not_after_timestamp_seconds",
    ] {
        assert!(queried.contains(metric), "no panel shows {metric}");
    }
    assert!(
        all_queries
            .iter()
            .any(|q| q.contains("histogram_quantile(0.99")),
        "no latency percentile"
    );
    for outcome in ["wrong_credentials", "rate_limited", "unavailable"] {
        assert!(
            all_queries.iter().any(|q| q.contains(outcome)),
            "no panel shows outcome {outcome} (401, 429, 503)"
        );
    }
}

#[test]
fn the_dashboard_configmap_is_labelled_for_grafanas_sidecar() {
    let manifests = render(&[DASHBOARD]);
    let map = named(&manifests, "ConfigMap", &format!("{RELEASE}-dashboard"));
    assert_eq!(map["metadata"]["namespace"], GATEWAY_NAMESPACE);
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], "1");
    let data = map["data"].as_object().expect("data");
    assert_eq!(data.len(), 1, "one dashboard per ConfigMap");
    let (key, shipped) = data.iter().next().expect("a dashboard");
    assert!(key.ends_with(".json"), "the sidecar loads *.json: {key}");
    let shipped: Value =
        serde_json::from_str(shipped.as_str().expect("text")).expect("the ConfigMap holds JSON");
    // Byte for byte what Grafana gets: Helm expanded none of its legend
    // templates (`{{provider}}`).
    assert_eq!(
        shipped,
        dashboard(),
        "the ConfigMap holds files/dashboard.json"
    );

    let moved = render(&[
        DASHBOARD,
        (
            "externalWebhooksServer.metrics.grafanaDashboard.namespace",
            "monitoring",
        ),
        (
            "externalWebhooksServer.metrics.grafanaDashboard.labelKey",
            "dashboards",
        ),
        (
            "externalWebhooksServer.metrics.grafanaDashboard.labelValue",
            "kargo",
        ),
        (
            "externalWebhooksServer.metrics.grafanaDashboard.annotations.grafana_folder",
            "Kargo",
        ),
    ]);
    let map = named(&moved, "ConfigMap", &format!("{RELEASE}-dashboard"));
    assert_eq!(map["metadata"]["namespace"], "monitoring");
    assert_eq!(map["metadata"]["labels"]["dashboards"], "kargo");
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], Value::Null);
    assert_eq!(map["metadata"]["annotations"]["grafana_folder"], "Kargo");
}

#[test]
fn the_rules_render_the_expected_alerts_each_with_a_runbook() {
    let rule = prometheus_rule(&[]);
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["metadata"]["name"], RELEASE);
    assert_eq!(rule["metadata"]["namespace"], GATEWAY_NAMESPACE);
    let rules = rules(&rule);
    let alerts: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
    assert_eq!(alerts, ALERTS);

    let anchors = alert_runbook_anchors();
    let base = "https://github.com/kargo-webhook-gateway/kargo-webhook-gateway/blob/main/docs/operations.md#";
    for rule in &rules {
        let alert = rule["alert"].as_str().unwrap_or_default();
        let expr = rule["expr"].as_str().unwrap_or_default();
        let names = metric_names(expr);
        assert!(
            !names.is_empty() && names.iter().all(|n| n.starts_with("kargo_webhook_")),
            "{alert} queries {names:?}"
        );
        assert!(
            ["info", "warning", "critical"]
                .contains(&rule["labels"]["severity"].as_str().unwrap_or_default()),
            "{alert}: severity {}",
            rule["labels"]["severity"]
        );
        for annotation in ["summary", "description"] {
            assert!(
                rule["annotations"][annotation]
                    .as_str()
                    .is_some_and(|t| !t.trim().is_empty()),
                "{alert} has no {annotation}"
            );
        }
        let runbook = rule["annotations"]["runbook_url"]
            .as_str()
            .unwrap_or_default();
        let anchor = runbook
            .strip_prefix(base)
            .unwrap_or_else(|| panic!("{alert}: runbook_url {runbook}"));
        assert_eq!(anchor, alert.to_lowercase(), "{alert}: its own section");
        assert!(
            anchors.contains(anchor),
            "{alert}: docs/operations.md has no `### ` heading for #{anchor} under Alerts: {anchors:?}"
        );
        if let Some(duration) = rule["for"].as_str() {
            assert!(
                duration.ends_with('m') || duration.ends_with('h'),
                "{alert}: for {duration}"
            );
        }
    }
    // A runbook section for each alert and none for an alert not shipped.
    let expected: BTreeSet<String> = ALERTS.iter().map(|a| a.to_lowercase()).collect();
    assert_eq!(anchors, expected);
}

#[test]
fn rule_labels_and_the_runbook_base_come_from_values() {
    let rule = prometheus_rule(&[
        (
            "externalWebhooksServer.metrics.prometheusRule.additionalLabels.release",
            "kube-prometheus-stack",
        ),
        (
            "externalWebhooksServer.metrics.prometheusRule.alertLabels.team",
            "platform",
        ),
        (
            "externalWebhooksServer.metrics.prometheusRule.runbookBaseURL",
            "https://wiki.example.org/kargo/",
        ),
    ]);
    assert_eq!(
        rule["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    for rule in rules(&rule) {
        let alert = rule["alert"].as_str().unwrap_or_default();
        assert_eq!(rule["labels"]["team"], "platform", "{alert}");
        assert!(
            rule["labels"]["severity"].is_string(),
            "{alert} kept its severity"
        );
        assert_eq!(
            rule["annotations"]["runbook_url"],
            format!("https://wiki.example.org/kargo#{}", alert.to_lowercase())
        );
    }
}

#[test]
fn alert_templates_reach_prometheus_unexpanded() {
    // Helm must leave `{{ $labels.x }}` and `{{ $value }}` for Prometheus.
    for rule in rules(&prometheus_rule(&[])) {
        let description = rule["annotations"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            description.contains("{{ $labels.namespace }}"),
            "{}: {description}",
            rule["alert"]
        );
    }
}
