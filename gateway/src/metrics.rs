//! Prometheus metrics, served in the OpenMetrics text format on the admin
//! port. Label values are fixed sets chosen by the gateway: nothing from a
//! request (path, token, header) ever becomes a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a delivery.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// The receiver's provider; `none` when no receiver matched.
    pub provider: &'static str,
    /// How the delivery ended (see [`Outcome`]).
    pub outcome: &'static str,
}

/// Labels of a provider-level histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    /// The receiver's provider; `none` when no receiver matched.
    pub provider: &'static str,
}

/// Labels of a refresh patch.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PatchLabels {
    /// `success`, `not_found` or `error`.
    pub result: &'static str,
}

/// Labels of the receiver gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReceiverLabels {
    /// `ready` or `failed`.
    pub state: &'static str,
}

/// Labels of a watch.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WatchLabels {
    /// The watched resource, e.g. `warehouses`.
    pub resource: &'static str,
}

/// Labels of a TLS certificate reload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `success` (the new pair serves) or `error` (refused; the old one
    /// keeps serving).
    pub result: &'static str,
}

/// No labels: a family of one series that exists only once it is set, so
/// that a gateway without TLS exports no certificate expiry at all.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NoLabels {}

/// Every metric the gateway exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Deliveries by provider and outcome.
    pub deliveries: Family<DeliveryLabels, Counter>,
    /// Time from request to answer, by provider.
    pub delivery_duration: Family<ProviderLabels, Histogram>,
    /// Refresh patches by result.
    pub patches: Family<PatchLabels, Counter>,
    /// Deliveries that joined a patch queued by another delivery.
    pub coalesced: Counter,
    /// Refresh patches waiting for a turn (`--max-concurrent-patches`).
    pub patches_waiting: Gauge,
    /// Bytes of request bodies held right now (`--body-memory-budget`).
    pub request_body_bytes: Gauge,
    /// Receivers by state.
    pub receivers: Family<ReceiverLabels, Gauge>,
    /// Warehouses with at least one indexed subscription.
    pub indexed_warehouses: Gauge,
    /// Watch failures by resource (each one is retried with back-off).
    pub watch_errors: Family<WatchLabels, Counter>,
    /// Status patches of ProjectConfigs and ClusterConfigs by result.
    pub status_updates: Family<PatchLabels, Counter>,
    /// 1 while this replica holds the status-publishing Lease.
    pub leader: Gauge,
    /// Reloads of the webhook port's TLS certificate by result.
    pub tls_reloads: Family<ReloadLabels, Counter>,
    /// notAfter of the certificate being served, in Unix seconds (absent
    /// without TLS).
    pub tls_not_after: Family<NoLabels, Gauge>,
    /// Refresh Events on Warehouses by result: `created`, `updated` (a
    /// series count), `dropped` (queue full), `failed`.
    pub refresh_events: Family<PatchLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0,
    ])
}

impl Metrics {
    /// Creates and registers every metric under the `kargo_webhook` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kargo_webhook");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let delivery_duration = Family::<ProviderLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let patches = Family::<PatchLabels, Counter>::default();
        let coalesced = Counter::default();
        let patches_waiting = Gauge::default();
        let request_body_bytes = Gauge::default();
        let receivers = Family::<ReceiverLabels, Gauge>::default();
        let indexed_warehouses = Gauge::default();
        let watch_errors = Family::<WatchLabels, Counter>::default();
        let status_updates = Family::<PatchLabels, Counter>::default();
        let leader = Gauge::default();
        let tls_reloads = Family::<ReloadLabels, Counter>::default();
        let tls_not_after = Family::<NoLabels, Gauge>::default();
        let refresh_events = Family::<PatchLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Webhook deliveries by provider and outcome",
            deliveries.clone(),
        );
        registry.register(
            "delivery_duration_seconds",
            "Time from receiving a delivery to answering it",
            delivery_duration.clone(),
        );
        registry.register(
            "refresh_patches",
            "Warehouse refresh patches by result",
            patches.clone(),
        );
        registry.register(
            "coalesced_deliveries",
            "Deliveries that joined a refresh patch already queued by another delivery",
            coalesced.clone(),
        );
        registry.register(
            "refresh_patches_waiting",
            "Warehouse refresh patches waiting for a turn, all turns being taken",
            patches_waiting.clone(),
        );
        registry.register(
            "request_body_bytes",
            "Bytes of request bodies held in memory, out of --body-memory-budget",
            request_body_bytes.clone(),
        );
        registry.register("receivers", "Webhook receivers by state", receivers.clone());
        registry.register(
            "indexed_warehouses",
            "Warehouses with at least one subscription a webhook can match",
            indexed_warehouses.clone(),
        );
        registry.register(
            "watch_errors",
            "Failed Kubernetes watches by resource",
            watch_errors.clone(),
        );
        registry.register(
            "status_updates",
            "Status patches of ProjectConfigs and ClusterConfigs by result",
            status_updates.clone(),
        );
        registry.register(
            "status_leader",
            "1 while this replica publishes receiver status",
            leader.clone(),
        );
        registry.register(
            "tls_certificate_reloads",
            "Reloads of the webhook TLS certificate by result",
            tls_reloads.clone(),
        );
        registry.register(
            "tls_certificate_not_after_timestamp_seconds",
            "Expiry (notAfter) of the webhook TLS certificate being served, in Unix seconds",
            tls_not_after.clone(),
        );
        registry.register(
            "refresh_events",
            "Kubernetes Events about Warehouse refreshes by result",
            refresh_events.clone(),
        );
        Self {
            registry,
            deliveries,
            delivery_duration,
            patches,
            coalesced,
            patches_waiting,
            request_body_bytes,
            receivers,
            indexed_warehouses,
            watch_errors,
            status_updates,
            leader,
            tls_reloads,
            tls_not_after,
            refresh_events,
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Sets the receiver gauges.
    pub fn set_receivers(&self, ready: usize, failed: usize) {
        let set = |state, n: usize| {
            self.receivers
                .get_or_create(&ReceiverLabels { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        };
        set("ready", ready);
        set("failed", failed);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_is_openmetrics_with_our_names() {
        let metrics = Metrics::new();
        metrics
            .deliveries
            .get_or_create(&DeliveryLabels {
                provider: "harbor",
                outcome: "refreshed",
            })
            .inc();
        metrics
            .patches
            .get_or_create(&PatchLabels { result: "success" })
            .inc();
        metrics.coalesced.inc();
        metrics.set_receivers(2, 1);
        let without_tls = metrics.encode();
        assert!(
            !without_tls.contains("kargo_webhook_tls_certificate_not_after_timestamp_seconds ")
        );
        metrics
            .tls_not_after
            .get_or_create(&NoLabels {})
            .set(1_900_000_000);
        metrics
            .tls_reloads
            .get_or_create(&ReloadLabels { result: "error" })
            .inc();
        let text = metrics.encode();
        assert!(
            text.contains("kargo_webhook_tls_certificate_not_after_timestamp_seconds 1900000000\n")
        );
        assert!(text.contains("kargo_webhook_tls_certificate_reloads_total{result=\"error\"} 1"));
        assert!(text.contains(
            "kargo_webhook_deliveries_total{provider=\"harbor\",outcome=\"refreshed\"} 1"
        ));
        assert!(text.contains("kargo_webhook_refresh_patches_total{result=\"success\"} 1"));
        assert!(text.contains("kargo_webhook_coalesced_deliveries_total 1"));
        assert!(text.contains("kargo_webhook_receivers{state=\"failed\"} 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
