//! The Kargo webhook gateway: serves Kargo's receiver URLs, lets each
//! receiver's provider check and read a delivery, and refreshes the
//! Warehouses that subscribe to what changed.
//!
//! The public API is what the binary and the end-to-end tests run it with
//! (`docs/architecture.md` lists it): [`Gateway`] to start and stop it,
//! [`config`] and [`logging`] to set it up, the Kargo resources it reads
//! ([`kargo`]), the permissions it needs ([`rbac`]) and the providers linked
//! into it ([`providers_linked`]). Everything else is internal; the
//! `internals` feature exposes the few parts the fuzz targets, the
//! benchmarks and this crate's HTTP tests build on.

// Some items exist only for what reaches them through `internals`. A build
// with the feature (every `--all-targets` build: this crate's tests enable
// it) still reports real dead code.
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

mod app;
mod backoff;
pub mod cli;
pub mod config;
mod dispatch;
pub mod explain;
mod http;
mod index;
pub mod kargo;
mod kube_events;
mod lease;
pub mod logging;
mod metrics;
mod promotions;
pub mod providers_linked;
mod ratelimit;
pub mod rbac;
mod readiness;
mod receivers;
mod refresh_events;
mod refresher;
// `selection/mod.rs` re-exports an error type for callers outside the
// crate, of which there are none now that the module is private.
#[allow(unused_imports)]
mod selection;
mod watch;

pub use app::{Gateway, IndexedWarehouses};
/// The reason of the Event each refresh leaves on its Warehouse.
pub use refresh_events::REASON as REFRESH_EVENT_REASON;

/// The parts of the gateway that the fuzz targets, the benchmarks and this
/// crate's HTTP tests drive directly, without a Kubernetes API server: the
/// routing, the receiver table, the Warehouse and Promotion indexes, the
/// webhook server and the refresher. Not a stable API: behind the `internals` feature.
#[cfg(feature = "internals")]
pub mod internals {
    pub use crate::dispatch::{Targets, select_targets};
    pub use crate::http::body_budget::BodyBudget;
    pub use crate::http::route;
    pub use crate::http::server::{KEEP_ALIVE, ServerSettings, webhook_server};
    pub use crate::http::tls::TlsFiles;
    pub use crate::http::webhook::WebhookState;
    pub use crate::index::{SharedIndex, Subscriptions, WarehouseIndex};
    pub use crate::metrics::Metrics;
    pub use crate::promotions::{PromotionPatcher, Promotions, SharedPromotionIndex};
    pub use crate::ratelimit::{Rate, RateLimit};
    pub use crate::receivers::resolve::{ResolveContext, SecretData, SecretLookup, resolve};
    pub use crate::receivers::table::OwnerReceivers;
    pub use crate::receivers::url::PathInputs;
    pub use crate::receivers::{Receiver, ReceiverTable, UrlLayout};
    pub use crate::refresh_events::RefreshEvents;
    pub use crate::refresher::token::{TokenSource, sent_at};
    pub use crate::refresher::{
        NoObserver, PatchError, PatchResult, Patcher, RefreshSettings, Refresher,
    };
    pub use crate::selection::{RuleCache, is_digest_only};
}

#[cfg(test)]
pub(crate) mod test_support;
