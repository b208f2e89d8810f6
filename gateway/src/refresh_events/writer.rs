//! Writing refresh Events to Kubernetes (`events.k8s.io/v1`): create one
//! per window, update its series at the window's end. Behind a trait, so
//! that the aggregation is tested without an API server.

use std::future::Future;
use std::pin::Pin;

use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

use super::window::SeriesUpdate;
use crate::kargo::{Warehouse, WarehouseId};
use crate::kube_events::{self, REPORTER};

/// Why a write failed, for the log.
pub type WriteError = Box<dyn std::error::Error + Send + Sync>;

/// A write in progress.
pub type Writing<'a, T> = Pin<Box<dyn Future<Output = Result<T, WriteError>> + Send + 'a>>;

/// The Event's reason.
pub const REASON: &str = "WebhookRefresh";
/// The Event's action.
const ACTION: &str = "Refresh";

/// The Event that opens a window.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The refreshed Warehouse.
    pub warehouse: &'a WarehouseId,
    /// What to say about it.
    pub note: &'a str,
    /// When the refresh happened.
    pub at: Timestamp,
}

/// Where refresh Events go.
pub trait EventWriter: Send + Sync {
    /// Creates the Event; its name, or `None` when the Warehouse no longer
    /// exists.
    fn create<'a>(&'a self, event: NewEvent<'a>) -> Writing<'a, Option<String>>;

    /// Sets the series of an Event created before.
    fn update<'a>(&'a self, update: &'a SeriesUpdate) -> Writing<'a, ()>;
}

/// Writes through the Kubernetes API: `create` and `patch` on
/// `events.k8s.io` Events, and a `list` of the Warehouse by name for its
/// uid (without which `kubectl describe` would not show the Event).
#[derive(Clone)]
pub struct KubeEventWriter {
    client: kube::Client,
    instance: String,
}

impl std::fmt::Debug for KubeEventWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KubeEventWriter({})", self.instance)
    }
}

impl KubeEventWriter {
    /// A writer reporting as `instance` (this replica's identity; the
    /// controller's name when empty).
    pub fn new(client: kube::Client, instance: &str) -> Self {
        let instance = if instance.is_empty() {
            REPORTER
        } else {
            instance
        };
        Self {
            client,
            instance: instance.to_owned(),
        }
    }

    async fn uid(&self, warehouse: &WarehouseId) -> Result<Option<String>, kube::Error> {
        let api: Api<Warehouse> = Api::namespaced(self.client.clone(), warehouse.namespace());
        let by_name = ListParams::default().fields(&format!("metadata.name={}", warehouse.name()));
        let found = api.list_metadata(&by_name).await?;
        Ok(found.items.into_iter().find_map(|item| item.metadata.uid))
    }

    fn events(&self, warehouse: &WarehouseId) -> Api<Event> {
        Api::namespaced(self.client.clone(), warehouse.namespace())
    }
}

impl EventWriter for KubeEventWriter {
    fn create<'a>(&'a self, new: NewEvent<'a>) -> Writing<'a, Option<String>> {
        Box::pin(async move {
            let warehouse = new.warehouse;
            let Some(uid) = self.uid(warehouse).await? else {
                return Ok(None);
            };
            let kube_reporter = kube_events::reporter(self.instance.clone());
            let event = Event {
                metadata: ObjectMeta {
                    name: Some(event_name(warehouse, new.at)),
                    namespace: Some(warehouse.namespace().to_owned()),
                    ..ObjectMeta::default()
                },
                event_time: Some(MicroTime(new.at)),
                action: Some(ACTION.to_owned()),
                reason: Some(REASON.to_owned()),
                note: Some(new.note.to_owned()),
                type_: Some("Normal".to_owned()),
                regarding: Some(kube_events::regarding(
                    "Warehouse",
                    Some(warehouse.namespace()),
                    warehouse.name(),
                    Some(uid),
                )),
                reporting_controller: Some(kube_reporter.controller),
                reporting_instance: kube_reporter.instance,
                ..Event::default()
            };
            let created = self
                .events(warehouse)
                .create(&PostParams::default(), &event)
                .await?;
            Ok(created.metadata.name)
        })
    }

    fn update<'a>(&'a self, update: &'a SeriesUpdate) -> Writing<'a, ()> {
        Box::pin(async move {
            let series = serde_json::json!({
                "series": {
                    "count": update.count,
                    "lastObservedTime": MicroTime(update.last_observed),
                },
            });
            self.events(&update.warehouse)
                .patch(
                    &update.event,
                    &PatchParams::default(),
                    &Patch::Merge(&series),
                )
                .await?;
            Ok(())
        })
    }
}

/// `<warehouse>.<hex nanoseconds>`, as `kubectl` and kube-rs name Events:
/// unique per Warehouse and moment, and a valid object name.
fn event_name(warehouse: &WarehouseId, at: Timestamp) -> String {
    let mut prefix = warehouse.name();
    if prefix.len() > 200 {
        let mut cut = 200;
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix = prefix[..cut].trim_end_matches(['.', '-']);
    }
    format!("{prefix}.{:x}", at.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_valid_object_names() {
        let at = Timestamp::from_second(1_800_000_000).expect("valid");
        let name = event_name(&WarehouseId::new("demo", "nginx"), at);
        assert_eq!(name, format!("nginx.{:x}", 1_800_000_000_000_000_000_i128));
        let long = format!("{}.{}", "a".repeat(199), "b".repeat(52));
        let name = event_name(&WarehouseId::new("demo", &long), at);
        assert!(name.len() <= 253, "{}", name.len());
        assert!(name.starts_with(&"a".repeat(199)));
        assert!(!name.contains(".."), "{name}");
    }
}
