//! The chart lints and renders: with defaults, with every optional feature,
//! and with values that must be refused; the Deployment runs the gateway the
//! way docs/configuration.md says it should be run.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use common::{
    ALL_FEATURES, EnvSource, KARGO_ACCOUNT, OWN_ACCOUNT, PUBLISH_STATUS, RELEASE, all_of,
    container, env, env_value, kinds, named, one_of, render, render_error,
};
use kargo_webhook_gateway::config::{Config, parse_duration};
use kargo_webhook_testenv::helm::chart_dir;
use kargo_webhook_testenv::{GATEWAY_NAMESPACE, Manifest, helm_binary};
use serde_json::{Value, json};

/// One flag of the gateway: its long name, environment variable, and
/// whether it is hidden from `--help`.
#[derive(Debug, Clone)]
struct Flag {
    long: String,
    env: String,
    hidden: bool,
}

/// Every flag of the gateway that has an environment variable.
fn flags() -> Vec<Flag> {
    Config::command()
        .get_arguments()
        .filter_map(|argument| {
            Some(Flag {
                long: argument.get_long()?.to_owned(),
                env: argument.get_env()?.to_string_lossy().into_owned(),
                hidden: argument.is_hide_set(),
            })
        })
        .collect()
}

fn helm_lint(set: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(helm_binary().unwrap_or_else(|e| panic!("{e}")));
    command.arg("lint").arg("--strict").arg(chart_dir());
    for (key, value) in set {
        command.arg("--set").arg(format!("{key}={value}"));
    }
    let output = command.output().expect("running helm lint");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn helm_lint_strict_passes_with_defaults_and_with_every_feature() {
    for set in [&[][..], ALL_FEATURES] {
        let (passed, output) = helm_lint(set);
        assert!(passed, "helm lint --strict with {set:?} failed:\n{output}");
        assert!(
            output.contains("0 chart(s) failed"),
            "unexpected helm lint output:\n{output}"
        );
        // Lint only logs a template's `fail`; the values must not trigger one.
        assert!(
            !output.contains("funcMap fail"),
            "the chart refused these values:\n{output}"
        );
    }
}

#[test]
fn defaults_render_the_core_objects_and_nothing_optional() {
    let manifests = render(&[]);
    assert_eq!(
        kinds(&manifests),
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Service",
            "Service",
            "ServiceAccount",
        ]
    );
    let deployment = one_of(&manifests, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    // The drop-in install: Kargo's own webhook server's account, whose
    // Secret access Kargo grants.
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        KARGO_ACCOUNT
    );
    assert_eq!(
        one_of(&manifests, "ServiceAccount")["metadata"]["name"],
        KARGO_ACCOUNT
    );
    assert_eq!(
        env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_PUBLISH_STATUS"),
        "false",
        "Kargo's management controller owns status by default"
    );
    named(&manifests, "Service", RELEASE);
    named(&manifests, "Service", &format!("{RELEASE}-metrics"));
    for manifest in &manifests {
        let kind = manifest.object["kind"].as_str().unwrap_or_default();
        if !kind.starts_with("Cluster") {
            assert_eq!(
                manifest.object["metadata"]["namespace"],
                GATEWAY_NAMESPACE,
                "{kind} in {} has no explicit namespace",
                manifest.path.display()
            );
        }
    }
}

#[test]
fn the_image_tag_defaults_to_the_app_version() {
    let chart: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(chart_dir().join("Chart.yaml")).expect("Chart.yaml"),
    )
    .expect("Chart.yaml is YAML");
    let app_version = chart["appVersion"].as_str().expect("appVersion");
    assert_eq!(
        app_version,
        env!("CARGO_PKG_VERSION"),
        "appVersion follows the workspace version"
    );
    let image = |set: &[(&str, &str)]| container(&render(set))["image"].clone();
    assert_eq!(
        image(&[]),
        format!("ghcr.io/kargo-webhook-gateway/kargo-webhook-gateway:{app_version}")
    );
    assert_eq!(
        image(&[("image.tag", "v9.9.9")]),
        "ghcr.io/kargo-webhook-gateway/kargo-webhook-gateway:v9.9.9"
    );
}

#[test]
fn every_optional_feature_renders_and_fits_together() {
    let manifests = render(ALL_FEATURES);
    assert_eq!(
        kinds(&manifests),
        [
            "Certificate",
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "ClusterRoleBinding",
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Ingress",
            "Issuer",
            "PodDisruptionBudget",
            "PrometheusRule",
            "Role",
            "RoleBinding",
            "Service",
            "Service",
            "ServiceAccount",
            "ServiceMonitor",
        ]
    );
    let deployment = one_of(&manifests, "Deployment");
    assert_eq!(
        deployment["spec"]["replicas"],
        Value::Null,
        "the HPA owns the replica count"
    );
    let hpa = one_of(&manifests, "HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["name"],
        deployment["metadata"]["name"]
    );

    let webhook_service = named(&manifests, "Service", RELEASE);
    let ingress = one_of(&manifests, "Ingress");
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "hooks.example.org");
    assert_eq!(rule["http"]["paths"][0]["path"], "/webhooks/artifactory/");
    let backend = &rule["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], webhook_service["metadata"]["name"]);
    assert_eq!(
        backend["port"]["name"],
        webhook_service["spec"]["ports"][0]["name"]
    );
    assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "hooks-tls");
    assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], "hooks.example.org");

    // The ServiceMonitor scrapes the metrics Service, not the webhook one.
    let monitor = one_of(&manifests, "ServiceMonitor");
    let metrics_service = named(&manifests, "Service", &format!("{RELEASE}-metrics"));
    let selected: Vec<&Value> = all_of(&manifests, "Service")
        .into_iter()
        .filter(|service| selects(&monitor["spec"]["selector"]["matchLabels"], service))
        .collect();
    assert_eq!(selected, [metrics_service]);
    assert_eq!(
        monitor["spec"]["endpoints"][0]["port"],
        metrics_service["spec"]["ports"][0]["name"]
    );
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");

    let budget = one_of(&manifests, "PodDisruptionBudget");
    assert!(
        selects(
            &budget["spec"]["selector"]["matchLabels"],
            &json_pod(deployment)
        ),
        "the PodDisruptionBudget does not select the gateway's Pods"
    );
}

/// The Pod template as an object with `metadata.labels`.
fn json_pod(deployment: &Value) -> Value {
    deployment["spec"]["template"].clone()
}

/// Whether every label of `match_labels` is on `object`.
fn selects(match_labels: &Value, object: &Value) -> bool {
    let labels = &object["metadata"]["labels"];
    match_labels
        .as_object()
        .is_some_and(|wanted| wanted.iter().all(|(key, value)| &labels[key] == value))
}

#[test]
fn services_select_the_pods_and_reach_the_right_ports() {
    let manifests = render(&[]);
    let deployment = one_of(&manifests, "Deployment");
    let pod = json_pod(deployment);
    let ports = container(&manifests)["ports"]
        .as_array()
        .expect("ports")
        .clone();
    let port_named = |name: &str| {
        ports
            .iter()
            .find(|port| port["name"] == name)
            .and_then(|port| port["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("no container port named {name}"))
    };
    let address_port = |variable: &str| {
        env_value(&manifests, variable)
            .parse::<std::net::SocketAddr>()
            .unwrap_or_else(|e| panic!("{variable}: {e}"))
            .port()
    };
    assert_eq!(
        port_named("webhook"),
        u64::from(address_port("KARGO_WEBHOOK_GATEWAY_WEBHOOK_ADDRESS"))
    );
    assert_eq!(
        port_named("admin"),
        u64::from(address_port("KARGO_WEBHOOK_GATEWAY_ADMIN_ADDRESS"))
    );
    for (service, target) in [
        (RELEASE.to_owned(), "webhook"),
        (format!("{RELEASE}-metrics"), "admin"),
    ] {
        let service = named(&manifests, "Service", &service);
        assert!(
            selects(&service["spec"]["selector"], &pod),
            "{} does not select the gateway's Pods",
            service["metadata"]["name"]
        );
        assert_eq!(service["spec"]["ports"][0]["targetPort"], target);
    }
}

/// Value sets that together set every variable the chart can set.
const VARIABLE_COVERAGE: [&[(&str, &str)]; 3] = [
    &[],
    ALL_FEATURES,
    &[
        ("externalWebhooksServer.tls.enabled", "true"),
        ("externalWebhooksServer.tls.selfSignedCert", "false"),
    ],
];

#[test]
fn every_variable_the_chart_sets_is_a_flag_of_the_gateway_and_parses() {
    let flags = flags();
    let mut set_somewhere = BTreeSet::new();
    for set in VARIABLE_COVERAGE {
        let manifests = render(set);
        let env = env(&manifests);
        set_somewhere.extend(env.keys().cloned());
        let mut args = vec!["kargo-webhook-gateway".to_owned()];
        for (name, source) in &env {
            if !name.starts_with("KARGO_WEBHOOK_GATEWAY_") {
                continue;
            }
            let flag = flags
                .iter()
                .find(|flag| &flag.env == name)
                .unwrap_or_else(|| panic!("the chart sets {name}, which is no flag's variable"));
            assert!(
                !flag.hidden,
                "the chart sets {name} of hidden flag --{}",
                flag.long
            );
            let value = match source {
                EnvSource::Value(value) => value.clone(),
                // What the kubelet would put there.
                EnvSource::Field(_) => "kargo-webhook-gateway-7d9f8-abcde".to_owned(),
            };
            args.push(format!("--{}={value}", flag.long));
        }
        // The gateway would start with these values (same parser, same checks).
        let config = Config::try_parse_from(&args)
            .unwrap_or_else(|e| panic!("the chart's values do not parse as flags: {e}\n{args:?}"));
        assert_eq!(
            config.log_format,
            kargo_webhook_gateway::config::LogFormat::Json,
            "the chart logs JSON by default"
        );
    }
    // And every flag an operator may set is reachable from values.
    for flag in flags.iter().filter(|flag| !flag.hidden) {
        assert!(
            set_somewhere.contains(&flag.env),
            "the chart does not set {} (--{}); add a value for it",
            flag.env,
            flag.long
        );
    }
}

#[test]
fn lease_namespace_and_identity_come_from_the_pod() {
    let env = env(&render(&[]));
    assert_eq!(
        env["KARGO_WEBHOOK_GATEWAY_LEASE_NAMESPACE"],
        EnvSource::Field("metadata.namespace".into())
    );
    assert_eq!(
        env["KARGO_WEBHOOK_GATEWAY_IDENTITY"],
        EnvSource::Field("metadata.name".into())
    );
}

#[test]
fn values_reach_their_variables() {
    let manifests = render(&[
        ("externalWebhooksServer.logLevel", "debug"),
        ("externalWebhooksServer.logFormat", "text"),
        ("externalWebhooksServer.bodyLimit", "1048576"),
        ("externalWebhooksServer.receiverRate", "2.5"),
        ("externalWebhooksServer.failedAttemptRate", "3"),
        ("externalWebhooksServer.bodyMemoryBudget", "134217728"),
        ("externalWebhooksServer.answerDeadline", "2s"),
        ("externalWebhooksServer.secretLabelSelector", "team=a"),
        (
            "externalWebhooksServer.clusterSecretsNamespace",
            "kargo-cluster-secrets",
        ),
        ("externalWebhooksServer.workers", "4"),
        ("externalWebhooksServer.maxConcurrentPatches", "32"),
        PUBLISH_STATUS,
    ]);
    for (variable, value) in [
        ("KARGO_WEBHOOK_GATEWAY_LOG_LEVEL", "debug"),
        ("KARGO_WEBHOOK_GATEWAY_LOG_FORMAT", "text"),
        ("KARGO_WEBHOOK_GATEWAY_BODY_LIMIT", "1048576"),
        ("KARGO_WEBHOOK_GATEWAY_RECEIVER_RATE", "2.5"),
        ("KARGO_WEBHOOK_GATEWAY_FAILED_ATTEMPT_RATE", "3"),
        ("KARGO_WEBHOOK_GATEWAY_BODY_MEMORY_BUDGET", "134217728"),
        ("KARGO_WEBHOOK_GATEWAY_ANSWER_DEADLINE", "2s"),
        ("KARGO_WEBHOOK_GATEWAY_SECRET_LABEL_SELECTOR", "team=a"),
        (
            "KARGO_WEBHOOK_GATEWAY_CLUSTER_SECRETS_NAMESPACE",
            "kargo-cluster-secrets",
        ),
        ("KARGO_WEBHOOK_GATEWAY_WORKERS", "4"),
        ("KARGO_WEBHOOK_GATEWAY_MAX_CONCURRENT_PATCHES", "32"),
        ("KARGO_WEBHOOK_GATEWAY_PUBLISH_STATUS", "true"),
    ] {
        assert_eq!(env_value(&manifests, variable), value, "{variable}");
    }
}

#[test]
fn the_pod_runs_locked_down() {
    let manifests = render(&[]);
    let pod = &one_of(&manifests, "Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let security = &container(&manifests)["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(
        security["capabilities"]["add"],
        Value::Null,
        "no capability is added back"
    );
}

#[test]
fn probes_ask_the_admin_port() {
    let manifests = render(&[]);
    let container = container(&manifests);
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert_eq!(
            get["port"], "admin",
            "{probe} must not use the webhook port"
        );
    }
    // Timing values merge into the probe without replacing its target.
    let tuned = render(&[(
        "externalWebhooksServer.probes.readinessProbe.periodSeconds",
        "2",
    )]);
    let readiness = &common::container(&tuned)["readinessProbe"];
    assert_eq!(readiness["periodSeconds"], 2);
    assert_eq!(readiness["httpGet"]["path"], "/readyz");
}

#[test]
fn the_grace_period_outlasts_the_shutdown_timeout() {
    for (timeout, pre_stop) in [
        (None, None),
        (Some("2500ms"), None),
        (Some("1m"), None),
        (Some("90"), Some("0")),
        (Some("0.5h"), Some("20")),
    ] {
        let mut set = Vec::new();
        if let Some(timeout) = timeout {
            set.push(("externalWebhooksServer.shutdownTimeout", timeout));
        }
        if let Some(pre_stop) = pre_stop {
            set.push(("externalWebhooksServer.preStopSleepSeconds", pre_stop));
        }
        let manifests = render(&set);
        let shutdown = parse_duration(&env_value(
            &manifests,
            "KARGO_WEBHOOK_GATEWAY_SHUTDOWN_TIMEOUT",
        ))
        .expect("the chart passes a duration the gateway parses");
        if let Some(timeout) = timeout {
            assert_eq!(Ok(shutdown), parse_duration(timeout));
        }
        let pod = &one_of(&manifests, "Deployment")["spec"]["template"]["spec"];
        let grace = Duration::from_secs(
            pod["terminationGracePeriodSeconds"]
                .as_u64()
                .expect("terminationGracePeriodSeconds"),
        );
        let sleep = container(&manifests)["lifecycle"]["preStop"]["sleep"]["seconds"]
            .as_u64()
            .map_or(Duration::ZERO, Duration::from_secs);
        assert_eq!(
            sleep.is_zero(),
            pre_stop == Some("0"),
            "preStop sleep {sleep:?}"
        );
        assert!(
            grace > sleep + shutdown,
            "grace period {grace:?} does not outlast preStop {sleep:?} + shutdown {shutdown:?}"
        );
    }
    let error = render_error(&[("externalWebhooksServer.shutdownTimeout", "soon")]);
    assert!(error.contains("is not a duration"), "{error}");
}

/// What a release publishes: EXTERNAL_URL, BASE_PATH, and the Ingress
/// rule's path if there is an Ingress.
#[derive(Debug, PartialEq, Eq)]
struct Published {
    external_url: String,
    base_path: String,
    ingress_path: Option<String>,
}

impl Published {
    fn new(external_url: &str, base_path: &str, ingress_path: Option<&str>) -> Self {
        Self {
            external_url: external_url.to_owned(),
            base_path: base_path.to_owned(),
            ingress_path: ingress_path.map(str::to_owned),
        }
    }
}

/// Values for `--set`.
type Values<'a> = &'a [(&'a str, &'a str)];

fn published(set: Values<'_>) -> Published {
    let manifests = render(set);
    let ingress_path = all_of(&manifests, "Ingress").first().map(|ingress| {
        ingress["spec"]["rules"][0]["http"]["paths"][0]["path"]
            .as_str()
            .expect("ingress path")
            .to_owned()
    });
    Published {
        external_url: env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_EXTERNAL_URL"),
        base_path: env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_BASE_PATH"),
        ingress_path,
    }
}

#[test]
fn the_external_url_follows_the_ingress_host_tls_and_base_path() {
    const HOST: (&str, &str) = ("externalWebhooksServer.host", "hooks.example.org");
    const INGRESS: (&str, &str) = ("externalWebhooksServer.ingress.enabled", "true");
    const NO_TLS: (&str, &str) = ("externalWebhooksServer.ingress.tls.enabled", "false");
    const BASE: (&str, &str) = ("externalWebhooksServer.basePath", "/webhooks");
    const GATEWAY_TLS: (&str, &str) = ("externalWebhooksServer.tls.enabled", "true");
    let cases: [(Values<'_>, Published); 11] = [
        (
            &[HOST, INGRESS],
            Published::new("https://hooks.example.org", "", Some("/artifactory/")),
        ),
        (
            &[HOST, INGRESS, BASE],
            Published::new(
                "https://hooks.example.org",
                "/webhooks",
                Some("/webhooks/artifactory/"),
            ),
        ),
        (
            &[HOST, INGRESS, NO_TLS],
            Published::new("http://hooks.example.org", "", Some("/artifactory/")),
        ),
        (
            &[HOST],
            Published::new("http://hooks.example.org", "", None),
        ),
        (
            &[
                HOST,
                ("externalWebhooksServer.tls.terminatedUpstream", "true"),
            ],
            Published::new("https://hooks.example.org", "", None),
        ),
        (
            &[
                ("externalWebhooksServer.host", "hooks.example.org:8443"),
                INGRESS,
                BASE,
            ],
            Published::new(
                "https://hooks.example.org:8443",
                "/webhooks",
                Some("/webhooks/artifactory/"),
            ),
        ),
        (
            &[
                HOST,
                INGRESS,
                BASE,
                (
                    "externalWebhooksServer.externalURL",
                    "https://edge.example.net:9443/",
                ),
            ],
            Published::new(
                "https://edge.example.net:9443",
                "/webhooks",
                Some("/webhooks/artifactory/"),
            ),
        ),
        // No host: the Service's address inside the cluster.
        (
            &[],
            Published::new(
                "http://kargo-webhook-gateway.kargo-webhook-gateway.svc",
                "",
                None,
            ),
        ),
        // TLS in the gateway itself, without an Ingress (a LoadBalancer).
        (
            &[HOST, GATEWAY_TLS],
            Published::new("https://hooks.example.org", "", None),
        ),
        // With an Ingress, its TLS decides, as in Kargo's chart.
        (
            &[HOST, INGRESS, NO_TLS, GATEWAY_TLS],
            Published::new("http://hooks.example.org", "", Some("/artifactory/")),
        ),
        (
            &[GATEWAY_TLS],
            Published::new(
                "https://kargo-webhook-gateway.kargo-webhook-gateway.svc",
                "",
                None,
            ),
        ),
    ];
    for (set, expected) in cases {
        assert_eq!(published(set), expected, "with {set:?}");
    }
    // The Ingress names the host without its port.
    let manifests = render(&[
        ("externalWebhooksServer.host", "hooks.example.org:8443"),
        INGRESS,
    ]);
    assert_eq!(
        one_of(&manifests, "Ingress")["spec"]["rules"][0]["host"],
        "hooks.example.org"
    );
    assert_eq!(
        published(&[("externalWebhooksServer.service.port", "8080")]).external_url,
        "http://kargo-webhook-gateway.kargo-webhook-gateway.svc:8080"
    );
}

#[test]
fn inconsistent_values_are_refused_with_a_reason() {
    for (set, reason) in [
        (
            &[("externalWebhooksServer.basePath", "webhooks")][..],
            "must start with /",
        ),
        (
            &[("externalWebhooksServer.basePath", "/webhooks/")][..],
            "must not end",
        ),
        (
            &[("externalWebhooksServer.ingress.enabled", "true")][..],
            "needs externalWebhooksServer.host",
        ),
        (
            &[("externalWebhooksServer.leaderElection", "false")][..],
            "needs a single replica",
        ),
        (
            &[
                ("externalWebhooksServer.leaderElection", "false"),
                ("externalWebhooksServer.replicas", "1"),
                ("externalWebhooksServer.autoscaling.enabled", "true"),
            ][..],
            "needs a single replica",
        ),
        (
            &[(
                "externalWebhooksServer.podDisruptionBudget.minAvailable",
                "1",
            )][..],
            "not both",
        ),
        (
            &[
                ("externalWebhooksServer.host", "hooks.example.org"),
                ("externalWebhooksServer.ingress.enabled", "true"),
                ("externalWebhooksServer.ingress.providers", "{harbor/x}"),
            ][..],
            "is not a provider name",
        ),
    ] {
        let error = render_error(set);
        assert!(error.contains(reason), "with {set:?}: {error}");
    }
    // A single replica may run without leader election.
    let single = render(&[
        ("externalWebhooksServer.leaderElection", "false"),
        ("externalWebhooksServer.replicas", "1"),
    ]);
    assert_eq!(
        env_value(&single, "KARGO_WEBHOOK_GATEWAY_LEADER_ELECTION"),
        "false"
    );
}

#[test]
fn optional_objects_can_be_turned_off() {
    let manifests = render(&[(
        "externalWebhooksServer.podDisruptionBudget.enabled",
        "false",
    )]);
    let kinds: BTreeSet<String> = kinds(&manifests).into_iter().collect();
    assert!(!kinds.contains("PodDisruptionBudget"), "{kinds:?}");
    let budget = render(&[
        (
            "externalWebhooksServer.podDisruptionBudget.maxUnavailable",
            "",
        ),
        (
            "externalWebhooksServer.podDisruptionBudget.minAvailable",
            "50%",
        ),
    ]);
    assert_eq!(
        one_of(&budget, "PodDisruptionBudget")["spec"]["minAvailable"],
        "50%"
    );
}

/// An account Kargo's RoleBindings do not cover, with no Secret access of
/// the chart's: refused, in one line that says what to set.
#[test]
fn an_account_without_secret_access_is_refused_with_what_to_set() {
    for set in [
        &[OWN_ACCOUNT][..],
        &[("externalWebhooksServer.serviceAccount.name", "")][..],
        &[
            OWN_ACCOUNT,
            ("externalWebhooksServer.secretAccess.namespaces", "{}"),
            ("externalWebhooksServer.secretAccess.clusterWide", "false"),
        ][..],
    ] {
        let error = render_error(set);
        let line = error
            .lines()
            .find(|line| line.contains("Kargo's RoleBindings do not cover"))
            .unwrap_or_else(|| panic!("with {set:?}: {error}"));
        for named in [
            "externalWebhooksServer.serviceAccount.name",
            "externalWebhooksServer.secretAccess.namespaces",
            "externalWebhooksServer.secretAccess.clusterWide=true",
        ] {
            assert!(line.contains(named), "{line}");
        }
    }
    // Kargo's account name needs nothing more, created here or not.
    for create in ["true", "false"] {
        render(&[("externalWebhooksServer.serviceAccount.create", create)]);
    }
}

/// With `serviceAccount.create=false` the account is someone else's (Kargo's
/// chart's while Kargo's server stays): not rendered, but still used.
#[test]
fn the_service_account_can_be_left_to_kargos_chart() {
    let manifests = render(&[("externalWebhooksServer.serviceAccount.create", "false")]);
    assert!(all_of(&manifests, "ServiceAccount").is_empty());
    assert_eq!(
        one_of(&manifests, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"],
        KARGO_ACCOUNT
    );
    for binding in all_of(&manifests, "ClusterRoleBinding")
        .into_iter()
        .chain(all_of(&manifests, "RoleBinding"))
    {
        assert_eq!(binding["subjects"][0]["name"], KARGO_ACCOUNT);
    }
}

/// The Ingress routes `<basePath>/<provider>/` for each listed provider,
/// by default every provider the gateway has, so that Kargo's own server can
/// keep the rest of the base path on the same host.
#[test]
fn the_ingress_routes_the_listed_providers() {
    const HOST: (&str, &str) = ("externalWebhooksServer.host", "kargo.example.org");
    const INGRESS: (&str, &str) = ("externalWebhooksServer.ingress.enabled", "true");
    const BASE: (&str, &str) = ("externalWebhooksServer.basePath", "/webhooks");
    let paths = |set: &[(&str, &str)]| -> Vec<String> {
        let manifests = render(set);
        let ingress = one_of(&manifests, "Ingress");
        let service = named(&manifests, "Service", RELEASE);
        ingress["spec"]["rules"][0]["http"]["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .map(|path| {
                let backend = &path["backend"]["service"];
                assert_eq!(backend["name"], service["metadata"]["name"]);
                assert_eq!(backend["port"]["name"], service["spec"]["ports"][0]["name"]);
                assert_eq!(path["pathType"], "Prefix");
                path["path"].as_str().expect("path").to_owned()
            })
            .collect()
    };
    let registry =
        kargo_webhook_gateway::providers_linked::registry().expect("unique provider names");
    let every_provider: Vec<String> = registry
        .names()
        .map(|name| format!("/webhooks/{name}/"))
        .collect();
    assert_eq!(paths(&[HOST, INGRESS, BASE]), every_provider);
    assert_eq!(
        paths(&[
            HOST,
            INGRESS,
            BASE,
            (
                "externalWebhooksServer.ingress.providers",
                "{harbor,github}"
            ),
        ]),
        ["/webhooks/harbor/", "/webhooks/github/"]
    );
    assert_eq!(
        paths(&[
            HOST,
            INGRESS,
            ("externalWebhooksServer.ingress.providers", "{harbor}")
        ]),
        ["/harbor/"]
    );
    // No provider listed: the whole base path.
    assert_eq!(
        paths(&[
            HOST,
            INGRESS,
            BASE,
            ("externalWebhooksServer.ingress.providers", "{}")
        ]),
        ["/webhooks"]
    );
    assert_eq!(
        paths(&[
            HOST,
            INGRESS,
            ("externalWebhooksServer.ingress.providers", "{}")
        ]),
        ["/"]
    );
}

/// The mounted certificate of `manifests`: (Secret name, cert path, key path).
fn mounted_certificate(manifests: &[Manifest]) -> (String, String, String) {
    let pod = &one_of(manifests, "Deployment")["spec"]["template"]["spec"];
    let volumes = pod["volumes"].as_array().expect("volumes");
    let [volume] = volumes.as_slice() else {
        panic!("one volume expected: {volumes:?}");
    };
    let mounts = container(manifests)["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .clone();
    let [mount] = mounts.as_slice() else {
        panic!("one mount expected: {mounts:?}");
    };
    assert_eq!(mount["name"], volume["name"]);
    assert_eq!(mount["readOnly"], true);
    assert_eq!(
        mount["subPath"],
        Value::Null,
        "a subPath mount never sees a renewed certificate"
    );
    let directory = mount["mountPath"].as_str().expect("mountPath");
    let cert = env_value(manifests, "KARGO_WEBHOOK_GATEWAY_TLS_CERT_PATH");
    let key = env_value(manifests, "KARGO_WEBHOOK_GATEWAY_TLS_KEY_PATH");
    let items = &volume["secret"]["items"];
    for (path, secret_key) in [(&cert, "tls.crt"), (&key, "tls.key")] {
        let file = path
            .strip_prefix(directory)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or_else(|| panic!("{path} is not in the mounted {directory}"));
        assert!(
            items
                .as_array()
                .expect("items")
                .iter()
                .any(|item| item["key"] == secret_key && item["path"] == file),
            "{secret_key} is not mounted as {file}: {items}"
        );
    }
    let secret = volume["secret"]["secretName"]
        .as_str()
        .expect("secretName")
        .to_owned();
    (secret, cert, key)
}

#[test]
fn tls_in_the_gateway_with_a_self_signed_certificate() {
    let manifests = render(&[
        ("externalWebhooksServer.tls.enabled", "true"),
        ("externalWebhooksServer.host", "hooks.example.org:8443"),
        ("externalWebhooksServer.service.type", "LoadBalancer"),
    ]);
    let (secret, _, _) = mounted_certificate(&manifests);
    let certificate = one_of(&manifests, "Certificate");
    let issuer = one_of(&manifests, "Issuer");
    assert_eq!(certificate["spec"]["secretName"], secret.as_str());
    assert_eq!(secret, format!("{RELEASE}-cert"));
    assert_eq!(certificate["spec"]["issuerRef"]["kind"], "Issuer");
    assert_eq!(
        certificate["spec"]["issuerRef"]["name"],
        issuer["metadata"]["name"]
    );
    assert_eq!(issuer["spec"], json!({"selfSigned": {}}));
    // Not Kargo's Issuer name: both may live in Kargo's namespace.
    assert_ne!(issuer["metadata"]["name"], "kargo-selfsigned-cert-issuer");
    let names = &certificate["spec"]["dnsNames"];
    assert_eq!(
        names,
        &json!([
            "hooks.example.org",
            "kargo-webhook-gateway.kargo-webhook-gateway.svc",
            "kargo-webhook-gateway.kargo-webhook-gateway.svc.cluster.local",
        ])
    );
    // HTTPS on 443, URLs published as https.
    let service = named(&manifests, "Service", RELEASE);
    assert_eq!(service["spec"]["type"], "LoadBalancer");
    assert_eq!(service["spec"]["ports"][0]["port"], 443);
    assert_eq!(service["spec"]["ports"][0]["name"], "https");
    assert_eq!(
        env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_EXTERNAL_URL"),
        "https://hooks.example.org:8443"
    );
    // The probes stay on the plain-HTTP admin port.
    for probe in ["livenessProbe", "readinessProbe"] {
        let get = &container(&manifests)[probe]["httpGet"];
        assert_eq!(get["port"], "admin", "{probe}");
        assert_eq!(get["scheme"], Value::Null, "{probe}");
    }
}

#[test]
fn tls_in_the_gateway_with_your_own_secret() {
    let manifests = render(&[
        ("externalWebhooksServer.tls.enabled", "true"),
        ("externalWebhooksServer.tls.selfSignedCert", "false"),
        ("externalWebhooksServer.tls.secretName", "hooks-example-org"),
        ("externalWebhooksServer.service.port", "8443"),
    ]);
    let (secret, _, _) = mounted_certificate(&manifests);
    assert_eq!(secret, "hooks-example-org");
    let kinds: BTreeSet<String> = kinds(&manifests).into_iter().collect();
    assert!(
        !kinds.contains("Certificate") && !kinds.contains("Issuer"),
        "{kinds:?}"
    );
    assert_eq!(
        named(&manifests, "Service", RELEASE)["spec"]["ports"][0]["port"],
        8443
    );
    assert_eq!(
        env_value(&manifests, "KARGO_WEBHOOK_GATEWAY_EXTERNAL_URL"),
        "https://kargo-webhook-gateway.kargo-webhook-gateway.svc:8443"
    );
}

#[test]
fn without_tls_the_gateway_gets_no_certificate() {
    for set in [
        &[][..],
        &[("externalWebhooksServer.tls.terminatedUpstream", "true")][..],
    ] {
        let manifests = render(set);
        let variables = env(&manifests);
        assert!(!variables.contains_key("KARGO_WEBHOOK_GATEWAY_TLS_CERT_PATH"));
        assert!(!variables.contains_key("KARGO_WEBHOOK_GATEWAY_TLS_KEY_PATH"));
        let pod = &one_of(&manifests, "Deployment")["spec"]["template"]["spec"];
        assert_eq!(pod["volumes"], Value::Null);
        let service = named(&manifests, "Service", RELEASE);
        assert_eq!(service["spec"]["ports"][0]["port"], 80);
        assert_eq!(service["spec"]["ports"][0]["name"], "http");
    }
}

/// What `helm install` prints after installing, for `set`.
fn notes(set: &[(&str, &str)]) -> String {
    let mut command = Command::new(helm_binary().unwrap_or_else(|e| panic!("{e}")));
    command
        .args(["install", "--dry-run=client", RELEASE])
        .arg(chart_dir())
        .args(["--namespace", "kargo"]);
    for (key, value) in set {
        command.arg("--set").arg(format!("{key}={value}"));
    }
    let output = command.output().expect("running helm install --dry-run");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.split_once("NOTES:")
        .unwrap_or_else(|| panic!("no NOTES in:\n{text}"))
        .1
        .to_owned()
}

#[test]
fn the_notes_say_where_urls_come_from_and_who_owns_status() {
    let drop_in = notes(&[]);
    for expected in [
        ".status.webhookReceivers",
        "Kargo's management controller publishes that status",
        "kubectl get events",
        "this release must be in Kargo's namespace (it is in kargo)",
        "externalWebhooksServer.enabled=false",
    ] {
        assert!(
            drop_in.contains(expected),
            "{expected:?} missing:\n{drop_in}"
        );
    }
    let publishing = notes(&[PUBLISH_STATUS]);
    assert!(
        publishing.contains("This gateway publishes that status"),
        "{publishing}"
    );
    let listed = notes(&[
        OWN_ACCOUNT,
        ("externalWebhooksServer.secretAccess.namespaces", "{team-a}"),
    ]);
    assert!(
        listed.contains("team-a, kargo-system-resources only"),
        "{listed}"
    );
    let wide = notes(&[
        OWN_ACCOUNT,
        ("externalWebhooksServer.secretAccess.clusterWide", "true"),
    ]);
    assert!(wide.contains("wider than Kargo grants"), "{wide}");
}
