//! Case 2's micro-benchmarks: one `WarehouseIndex::matching` call over a
//! fleet-sized index, and one receiver-table lookup with few or many
//! ProjectConfigs. No API server: these are the in-memory costs of a
//! delivery.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kargo_webhook_gateway::internals::{
    OwnerReceivers, RateLimit, ReceiverTable, ResolveContext, RuleCache, SecretData, SecretLookup,
    Subscriptions, UrlLayout, WarehouseIndex, resolve, route,
};
use kargo_webhook_gateway::kargo::WebhookReceiverConfig;
use kargo_webhook_gateway::kargo::{Owner, WarehouseId, WarehouseScope};
use kargo_webhook_gateway::providers_linked;
use kargo_webhook_provider::{PushedRepository, RepoKey, SecretValue};
use serde_json::json;

use crate::stats::median;
use crate::table::{Table, fixed};
use crate::workload::fleet_subscriptions;

/// Each timed batch lasts at least this long.
const BATCH: Duration = Duration::from_millis(50);
/// Timed batches per measurement; the median is reported.
const BATCHES: usize = 7;
/// Warehouses per project, as in the index case.
const PER_NAMESPACE: usize = 100;
/// The hot repository of the burst case, and its subscribers.
const HOT: &str = "harbor.example.com/library/nginx";
const HOT_SUBSCRIBERS: usize = 200;

/// Median nanoseconds per call of `f`.
fn per_call(mut f: impl FnMut()) -> f64 {
    let mut iterations = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        if start.elapsed() >= BATCH {
            break;
        }
        iterations *= 2;
    }
    let samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    median(&samples)
}

/// This process's resident memory (`VmRSS`) in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_owned()).collect()
}

/// Runs both micro-benchmarks.
pub fn run(warehouses: usize) -> anyhow::Result<Vec<Table>> {
    Ok(vec![index_table(warehouses)?, receiver_table()?])
}

fn index_table(warehouses: usize) -> anyhow::Result<Table> {
    let specs: Vec<(WarehouseId, serde_json::Value)> = (0..warehouses)
        .map(|i| {
            let team = i / PER_NAMESPACE;
            let id = WarehouseId::new(
                &format!("fleet-{team}"),
                &format!("service-{}", i % PER_NAMESPACE),
            );
            (id, fleet_subscriptions(team, i % PER_NAMESPACE))
        })
        .collect();
    let hot: Vec<(WarehouseId, serde_json::Value)> = (0..HOT_SUBSCRIBERS)
        .map(|i| {
            (
                WarehouseId::new("bench-burst", &format!("subscriber-{i}")),
                json!([{"image": {"repoURL": HOT, "constraint": "^1.0.0"}}]),
            )
        })
        .collect();

    // Building: what the watch does per Warehouse during a sync, without
    // the API server and JSON decoding.
    let rss_before = resident_kib();
    let start = Instant::now();
    let mut index = WarehouseIndex::default();
    let mut rules = RuleCache::default();
    let mut subscriptions = 0;
    for (id, spec) in specs.iter().chain(&hot) {
        let array = spec.as_array().map_or(&[][..], Vec::as_slice);
        let parsed = Subscriptions::from_spec_cached(array, &mut rules);
        subscriptions += parsed.len();
        index.apply(id.clone(), parsed);
    }
    let build = start.elapsed();
    let grown_mib = resident_kib().saturating_sub(rss_before) as f64 / 1024.0;

    let mut table = Table::new(
        &format!(
            "WarehouseIndex::matching over {subscriptions} subscriptions ({} Warehouses)",
            warehouses + HOT_SUBSCRIBERS
        ),
        &["lookup", "Warehouses found", "ns per call"],
    );
    let fleet = |team: usize| WarehouseScope::Namespace(format!("fleet-{team}"));
    let team = warehouses / PER_NAMESPACE / 2;
    let cases = [
        (
            "image, SemVer, 5 subscribers, tag accepted",
            RepoKey::image(&format!("registry.example.org/team-{team}/service-3"))?,
            fleet(team),
            tags(&["1.4.2"]),
        ),
        (
            "image, Lexical regex, 5 subscribers, tag accepted",
            RepoKey::image(&format!("registry.example.org/team-{team}/service-0"))?,
            fleet(team),
            tags(&["main-0a1b2c3"]),
        ),
        (
            "chart, 5 subscribers, tag rejected",
            RepoKey::chart(
                &format!("oci://registry.example.org/team-{team}/charts/service-3"),
                None,
            )?,
            fleet(team),
            tags(&["2.0.0"]),
        ),
        (
            "image nobody subscribes to",
            RepoKey::image("registry.example.org/elsewhere/app")?,
            fleet(team),
            tags(&["1.0.0"]),
        ),
        (
            "hot image, 200 subscribers",
            RepoKey::image(HOT)?,
            WarehouseScope::Namespace("bench-burst".into()),
            tags(&["1.27.1"]),
        ),
    ];
    for (label, key, scope, pushed) in &cases {
        let mut push = PushedRepository::new(key.clone());
        pushed.iter().for_each(|tag| push.add_tag(tag));
        let found = index.matching(&push, scope).len();
        let nanos = per_call(|| {
            black_box(index.matching(black_box(&push), scope));
        });
        table.row(vec![(*label).into(), found.to_string(), fixed(nanos, 0)]);
    }
    table.note(format!(
        "Median of {BATCHES} batches of at least {} ms each. Building the index from the Warehouses' JSON specs \
         (rules compiled, repository URLs normalized) took {:.0} ms, {:.1} us per Warehouse, \
         with {} distinct rules, and grew this process's RSS by {grown_mib:.1} MiB.",
        BATCH.as_millis(),
        build.as_secs_f64() * 1000.0,
        build.as_secs_f64() * 1e6 / (warehouses + HOT_SUBSCRIBERS) as f64,
        rules.len(),
    ));
    Ok(table)
}

fn receiver_table() -> anyhow::Result<Table> {
    let registry = providers_linked::registry()?;
    let mut table = Table::new(
        "Receiver table: route + lookup by URL",
        &[
            "ProjectConfigs",
            "hit ns per call",
            "miss ns per call",
            "table build ms",
        ],
    );
    for projects in [10usize, 1_000, 5_000] {
        let mut secrets: HashMap<(String, String), Arc<SecretData>> = HashMap::new();
        let entries: Vec<WebhookReceiverConfig> = serde_json::from_value(
            json!([{"name": "harbor", "harbor": {"secretRef": {"name": "s"}}}]),
        )?;
        let layout = UrlLayout::new("http://bench", "").expect("valid layout");
        let start = Instant::now();
        let owners: Vec<OwnerReceivers> = (0..projects)
            .map(|i| {
                let namespace = format!("project-{i}");
                let data: SecretData = [(
                    "auth-header".to_owned(),
                    SecretValue::new(format!("Bearer {i}").into_bytes()),
                )]
                .into_iter()
                .collect();
                secrets.insert((namespace.clone(), "s".into()), Arc::new(data));
                let owner = Owner::Project {
                    namespace: namespace.clone(),
                    name: namespace,
                };
                let context = ResolveContext {
                    registry: &registry,
                    cluster_secrets_namespace: "kargo-system-resources",
                    rate_limit: RateLimit::UNLIMITED,
                    layout: &layout,
                };
                let lookup = |ns: &str, name: &str| {
                    secrets
                        .get(&(ns.to_owned(), name.to_owned()))
                        .cloned()
                        .map_or(SecretLookup::NotFound, SecretLookup::Found)
                };
                OwnerReceivers {
                    owner: owner.clone(),
                    generation: Some(1),
                    results: resolve(&owner, &entries, context, &lookup),
                    published: Vec::new(),
                }
            })
            .collect();
        let receivers = ReceiverTable::build(owners, None);
        let build = start.elapsed();
        let middle = &receivers.owners()[projects / 2].results[0];
        let hit = middle
            .state
            .as_ref()
            .map_err(|problem| anyhow::anyhow!("receiver not live: {problem}"))?
            .path
            .as_str()
            .to_owned();
        let miss = format!("/harbor/{}", "0".repeat(64));
        let lookup = |path: &str| route::lookup(&receivers, path, None).cloned();
        anyhow::ensure!(lookup(&hit).is_some() && lookup(&miss).is_none());
        let hit_ns = per_call(|| {
            black_box(lookup(black_box(&hit)));
        });
        let miss_ns = per_call(|| {
            black_box(lookup(black_box(&miss)));
        });
        table.row(vec![
            projects.to_string(),
            fixed(hit_ns, 0),
            fixed(miss_ns, 0),
            fixed(build.as_secs_f64() * 1000.0, 1),
        ]);
    }
    table.note(
        "One Harbor receiver per ProjectConfig; the path is looked up as the webhook handler does \
         (the Arc of the receiver is cloned, as on the request path).",
    );
    Ok(table)
}
