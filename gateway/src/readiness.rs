//! Readiness: the gateway is ready once every component that registered
//! has synced and the API server is reachable. Each component holds a
//! [`SyncHandle`] (kubert's `initialized` is the model) and says through it
//! when it has synced and when it lost sync: a watch that fails makes the
//! gateway unready until that watch has listed its resources again.

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shared readiness state.
#[derive(Debug, Default)]
pub struct Readiness {
    /// Every registered component and whether it is synced.
    components: Mutex<Vec<(&'static str, Synced)>>,
    /// Set by a failing watch, with its failure; cleared by a completed
    /// list or a successful API call.
    api_unreachable: Mutex<Option<ApiUnreachable>>,
}

impl Readiness {
    /// From now on, readiness waits for `component` until the returned
    /// handle says it has synced.
    pub fn register(self: &Arc<Self>, component: &'static str) -> SyncHandle {
        let synced = Synced::default();
        self.components().push((component, synced.clone()));
        SyncHandle {
            component,
            synced,
            readiness: Arc::clone(self),
        }
    }

    fn components(&self) -> MutexGuard<'_, Vec<(&'static str, Synced)>> {
        self.components.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn api(&self) -> MutexGuard<'_, Option<ApiUnreachable>> {
        self.api_unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The API server answered.
    pub fn mark_api_reachable(&self) {
        *self.api() = None;
    }

    /// True when the API server was last seen unreachable.
    pub fn api_unreachable(&self) -> bool {
        self.api().is_some()
    }

    /// `Ok` when ready; otherwise what is missing (`/readyz` shows it).
    pub fn check(&self) -> Result<(), NotReady> {
        let mut waiting: Vec<&'static str> = self
            .components()
            .iter()
            .filter(|(_, synced)| !synced.is_synced())
            .map(|(name, _)| *name)
            .collect();
        waiting.sort_unstable();
        waiting.dedup();
        let api_unreachable = self.api().clone();
        if waiting.is_empty() && api_unreachable.is_none() {
            return Ok(());
        }
        Err(NotReady {
            waiting,
            api_unreachable,
        })
    }
}

/// A component's part of readiness: it is not synced until it says so.
#[derive(Debug)]
pub struct SyncHandle {
    component: &'static str,
    synced: Synced,
    readiness: Arc<Readiness>,
}

impl SyncHandle {
    /// The component has synced (a watch completed a list): the API server
    /// answered, too.
    pub fn synced(&self) {
        self.synced.0.store(true, Ordering::Relaxed);
        self.readiness.mark_api_reachable();
    }

    /// The component's watch failed with `cause`: its view may miss changes
    /// until it has synced again, and the API server may be gone.
    pub fn lost(&self, cause: Arc<dyn Error + Send + Sync>) {
        self.synced.0.store(false, Ordering::Relaxed);
        *self.readiness.api() = Some(ApiUnreachable {
            component: self.component,
            cause,
        });
    }

    /// Whether this component is synced, for another that waits on it.
    pub fn view(&self) -> Synced {
        self.synced.clone()
    }
}

/// Whether one component is synced, as a reader sees it.
#[derive(Debug, Clone, Default)]
pub struct Synced(Arc<AtomicBool>);

impl Synced {
    /// True once the component has synced (and not lost it since).
    pub fn is_synced(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What keeps the gateway from being ready: at least one of the two.
#[derive(Debug, Clone, thiserror::Error)]
pub struct NotReady {
    /// The components that have not synced since they started or last
    /// failed, by name.
    pub waiting: Vec<&'static str>,
    /// Set when the API server was last seen unreachable.
    #[source]
    pub api_unreachable: Option<ApiUnreachable>,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.api_unreachable.is_some() {
            f.write_str("Kubernetes API server unreachable")?;
            if !self.waiting.is_empty() {
                f.write_str("; ")?;
            }
        }
        if !self.waiting.is_empty() {
            write!(f, "waiting for the list of: {}", self.waiting.join(", "))?;
        }
        Ok(())
    }
}

/// The API server was last seen unreachable: by this component's watch,
/// which failed with its `source`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the watch of {component} failed")]
pub struct ApiUnreachable {
    /// Whose watch failed.
    pub component: &'static str,
    /// How.
    #[source]
    pub cause: Arc<dyn Error + Send + Sync>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    fn refused() -> Arc<dyn Error + Send + Sync> {
        Arc::new(Refused)
    }

    fn text(readiness: &Readiness) -> Result<(), String> {
        readiness.check().map_err(|e| e.to_string())
    }

    #[test]
    fn ready_after_every_component_synced_and_while_the_api_answers() {
        let readiness = Arc::new(Readiness::default());
        let warehouses = readiness.register("warehouses");
        let secrets = readiness.register("secrets");
        assert_eq!(
            text(&readiness),
            Err("waiting for the list of: secrets, warehouses".to_owned())
        );
        let not_ready = readiness.check().expect_err("nothing synced");
        assert_eq!(not_ready.waiting, ["secrets", "warehouses"]);
        assert!(not_ready.api_unreachable.is_none());
        warehouses.synced();
        assert!(readiness.check().is_err());
        secrets.synced();
        assert_eq!(text(&readiness), Ok(()));
    }

    #[test]
    fn a_lost_component_keeps_it_unready_until_it_synced_again_and_says_why() {
        let readiness = Arc::new(Readiness::default());
        let warehouses = readiness.register("warehouses");
        let secrets = readiness.register("secrets");
        let view = warehouses.view();
        warehouses.synced();
        secrets.synced();
        assert!(view.is_synced());
        warehouses.lost(refused());
        assert!(!view.is_synced());
        assert!(readiness.api_unreachable());
        let not_ready = readiness.check().expect_err("lost");
        assert_eq!(
            not_ready.to_string(),
            "Kubernetes API server unreachable; waiting for the list of: warehouses"
        );
        // The cause is kept: the component, then its watch's error.
        let unreachable = not_ready.source().expect("why the API is unreachable");
        assert_eq!(unreachable.to_string(), "the watch of warehouses failed");
        assert_eq!(
            unreachable.source().map(ToString::to_string),
            Some("connection refused".to_owned())
        );
        // The API server answering is not enough: the view may be stale.
        readiness.mark_api_reachable();
        assert_eq!(
            text(&readiness),
            Err("waiting for the list of: warehouses".to_owned())
        );
        warehouses.synced();
        assert_eq!(text(&readiness), Ok(()));
        // A completed list is an answer from the API server too.
        warehouses.lost(refused());
        warehouses.synced();
        assert!(!readiness.api_unreachable());
    }
}
