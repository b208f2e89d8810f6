//! A real Kubernetes control plane for the gateway's tests and local run.
//!
//! [`ControlPlane`] runs etcd and kube-apiserver (built from source by
//! `tests/controlplane/build.sh`, pinned by its `go.mod`) on loopback ports,
//! with RBAC on, two identities ([`Identity::Admin`] and the gateway's
//! ServiceAccount [`Identity::Gateway`]) and the Kargo CRDs of `config/crd/`.
//!
//! ```no_run
//! # async fn example() {
//! use kargo_webhook_testenv::ControlPlane;
//! let control_plane = ControlPlane::shared();
//! let namespace = control_plane.fresh_namespace("harbor").await;
//! let client = control_plane.admin_client();
//! # let _ = (namespace, client);
//! # }
//! ```
//!
//! [`helm`] renders the gateway's Helm chart and installs its RBAC, so that
//! [`Identity::Gateway`] has exactly the rights the chart gives the gateway
//! ([`apply_chart_rbac`]).
//!
//! Nothing outlives the process that started it: see [`ControlPlane`].

mod binaries;
mod build_script;
mod control_plane;
mod error;
mod guardian;
pub mod helm;
mod identity;
mod kubeconfig;
mod manifests;
pub mod paths;
mod ports;
pub mod process;
mod readiness;
mod server_flags;
mod service_account_key;

pub use binaries::{BIN_DIR_ENV, Binaries};
pub use control_plane::{ControlPlane, ExtraApiServer};
pub use error::{Error, Result};
pub use helm::{apply_chart_rbac, helm_binary, render_chart};
pub use identity::{GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT, Identity};
pub use manifests::{FIELD_MANAGER, Manifest, read_manifests};
