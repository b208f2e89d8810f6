//! The chart's Grafana dashboard and Prometheus alerts, read as Grafana and
//! Prometheus would: the dashboard's panels and queries, the rules' alerts,
//! and the metric names their PromQL selects.

use std::collections::BTreeSet;

use kargo_webhook_testenv::helm::chart_dir;
use promql_parser::parser::{self, Expr};
use serde_json::Value;

use super::{one_of, render};

/// Values that turn the dashboard ConfigMap on.
pub const DASHBOARD: (&str, &str) = (
    "externalWebhooksServer.metrics.grafanaDashboard.enabled",
    "true",
);

/// Values that turn the PrometheusRule on.
pub const RULES: (&str, &str) = (
    "externalWebhooksServer.metrics.prometheusRule.enabled",
    "true",
);

/// The alerts the chart ships, each with a runbook section in
/// docs/operations.md.
pub const ALERTS: [&str; 6] = [
    "KargoWebhookReceiverNotReady",
    "KargoWebhookUnavailable",
    "KargoWebhookUnauthorizedBurst",
    "KargoWebhookDeliveriesStopped",
    "KargoWebhookCertificateExpiringSoon",
    "KargoWebhookCertificateReloadFailed",
];

/// The dashboard file as shipped (`files/dashboard.json`), unparsed.
pub fn dashboard_text() -> String {
    let path = chart_dir().join("files/dashboard.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The dashboard file, parsed.
///
/// # Panics
/// If it is not JSON.
pub fn dashboard() -> Value {
    serde_json::from_str(&dashboard_text())
        .unwrap_or_else(|e| panic!("files/dashboard.json is not JSON: {e}"))
}

/// Every panel of `dashboard`, rows' nested panels included, rows excluded.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    fn collect<'a>(list: &'a Value, into: &mut Vec<&'a Value>) {
        for panel in list.as_array().into_iter().flatten() {
            if panel["type"] == "row" {
                collect(&panel["panels"], into);
            } else {
                into.push(panel);
            }
        }
    }
    let mut all = Vec::new();
    collect(&dashboard["panels"], &mut all);
    all
}

/// The PromQL of a Grafana query, with Grafana's own variables replaced by
/// what Grafana would put there (an interval; label values are inside
/// quoted matchers and stay as they are).
pub fn grafana_to_promql(query: &str) -> String {
    query
        .replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$__range", "6h")
}

/// Every PromQL expression of the dashboard: `(where, expression)`, from
/// its panels' targets and its query variables (`label_values(selector,
/// label)` contributes its selector).
pub fn dashboard_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            queries.push((
                format!(
                    "panel {:?} target {}",
                    panel["title"].as_str().unwrap_or_default(),
                    target["refId"].as_str().unwrap_or_default()
                ),
                grafana_to_promql(expr),
            ));
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] != "query" {
            continue;
        }
        let query = variable["query"]
            .as_str()
            .or_else(|| variable["query"]["query"].as_str())
            .unwrap_or_default();
        let selector = query
            .strip_prefix("label_values(")
            .and_then(|rest| rest.rsplit_once(','))
            .map_or(query, |(selector, _label)| selector);
        queries.push((
            format!("variable {}", variable["name"].as_str().unwrap_or_default()),
            grafana_to_promql(selector),
        ));
    }
    queries
}

/// The PrometheusRule the chart renders with `set` (plus [`RULES`]).
pub fn prometheus_rule(set: &[(&str, &str)]) -> Value {
    let mut all = vec![RULES];
    all.extend_from_slice(set);
    one_of(&render(&all), "PrometheusRule").clone()
}

/// Every rule of `rule` (a PrometheusRule), over its groups.
pub fn rules(rule: &Value) -> Vec<&Value> {
    rule["spec"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["rules"].as_array().into_iter().flatten())
        .collect()
}

/// The metric names `promql` selects, every selector naming its metric.
///
/// # Panics
/// If `promql` does not parse, or a selector names no metric (a bare
/// `{__name__=~...}` could not be checked against a scrape).
pub fn metric_names(promql: &str) -> BTreeSet<String> {
    fn walk(expr: &Expr, names: &mut BTreeSet<String>, promql: &str) {
        match expr {
            Expr::Aggregate(aggregate) => {
                walk(&aggregate.expr, names, promql);
                if let Some(param) = &aggregate.param {
                    walk(param, names, promql);
                }
            }
            Expr::Unary(unary) => walk(&unary.expr, names, promql),
            Expr::Binary(binary) => {
                walk(&binary.lhs, names, promql);
                walk(&binary.rhs, names, promql);
            }
            Expr::Paren(paren) => walk(&paren.expr, names, promql),
            Expr::Subquery(subquery) => walk(&subquery.expr, names, promql),
            Expr::VectorSelector(selector) => {
                names.insert(
                    selector
                        .name
                        .clone()
                        .unwrap_or_else(|| panic!("a selector without a metric name in {promql}")),
                );
            }
            Expr::MatrixSelector(matrix) => {
                walk(&Expr::VectorSelector(matrix.vs.clone()), names, promql);
            }
            Expr::Call(call) => {
                for arg in &call.args.args {
                    walk(arg, names, promql);
                }
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => {}
            Expr::Extension(_) => panic!("a PromQL extension in {promql}"),
        }
    }
    let expr = parser::parse(promql).unwrap_or_else(|e| panic!("not PromQL: {e}\n{promql}"));
    let mut names = BTreeSet::new();
    walk(&expr, &mut names, promql);
    names
}

/// The anchors GitHub gives the headings of docs/operations.md's `## Alerts`
/// section: the text lower-cased, spaces to `-`, other punctuation dropped.
pub fn alert_runbook_anchors() -> BTreeSet<String> {
    let path = chart_dir().join("../../docs/operations.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = text
        .split_once("\n## Alerts\n")
        .expect("docs/operations.md has an `## Alerts` section")
        .1;
    let section = section
        .split_once("\n## ")
        .map_or(section, |(alerts, _)| alerts);
    section
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .map(|heading| {
            heading
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}
