//! The Kargo webhook gateway: receivers, routing, the Warehouse index, the
//! refresher and the operational surface.

pub mod app;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod explain;
pub mod http;
pub mod index;
pub mod kargo;
pub mod kube_events;
pub mod lease;
pub mod logging;
pub mod metrics;
pub mod promotions;
pub mod providers_linked;
pub mod ratelimit;
pub mod rbac;
pub mod readiness;
pub mod receivers;
pub mod refresh_events;
pub mod refresher;
pub mod selection;
pub mod watch;

#[cfg(test)]
pub(crate) mod test_support;
