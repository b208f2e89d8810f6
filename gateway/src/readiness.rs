//! Readiness: the gateway is ready once every watch has synced and the API
//! server is reachable. A watch that fails (API server down) makes it
//! unready until that watch has listed its resources again.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared readiness state.
#[derive(Debug, Default)]
pub struct Readiness {
    /// Per watched resource: has a list completed since the watch last
    /// failed?
    synced: Mutex<BTreeMap<&'static str, bool>>,
    /// Cleared by a failing watch, set again by a successful API call.
    api_reachable: AtomicBool,
}

impl Readiness {
    /// Readiness waiting for the named watches.
    pub fn new(watches: &[&'static str]) -> Self {
        Self {
            synced: Mutex::new(watches.iter().map(|w| (*w, false)).collect()),
            api_reachable: AtomicBool::new(true),
        }
    }

    fn synced(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, bool>> {
        self.synced.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The watch of `resource` completed a (re-)list.
    pub fn mark_synced(&self, resource: &'static str) {
        self.synced().insert(resource, true);
        self.api_reachable.store(true, Ordering::Relaxed);
    }

    /// True once the watch of `resource` has listed (and not failed since).
    pub fn is_synced(&self, resource: &str) -> bool {
        self.synced().get(resource).copied().unwrap_or(false)
    }

    /// The watch of `resource` failed: its view may miss changes until it
    /// has listed again.
    pub fn mark_unsynced(&self, resource: &'static str) {
        self.synced().insert(resource, false);
    }

    /// A watch failed: the API server may be gone.
    pub fn mark_api_unreachable(&self) {
        self.api_reachable.store(false, Ordering::Relaxed);
    }

    /// The API server answered.
    pub fn mark_api_reachable(&self) {
        self.api_reachable.store(true, Ordering::Relaxed);
    }

    /// True when the API server was last seen unreachable.
    pub fn api_unreachable(&self) -> bool {
        !self.api_reachable.load(Ordering::Relaxed)
    }

    /// `Ok` when ready; otherwise what is missing (`/readyz` shows it).
    pub fn check(&self) -> Result<(), NotReady> {
        let waiting: Vec<&'static str> = self
            .synced()
            .iter()
            .filter(|(_, synced)| !**synced)
            .map(|(name, _)| *name)
            .collect();
        let api_unreachable = self.api_unreachable();
        if waiting.is_empty() && !api_unreachable {
            return Ok(());
        }
        Err(NotReady {
            api_unreachable,
            waiting,
        })
    }
}

/// What keeps the gateway from being ready: at least one of the two.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct NotReady {
    /// The API server was last seen unreachable.
    pub api_unreachable: bool,
    /// The watches that have not listed since they started or last failed.
    pub waiting: Vec<&'static str>,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.api_unreachable {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_after_every_watch_synced_and_while_the_api_answers() {
        let readiness = Readiness::new(&["warehouses", "secrets"]);
        assert_eq!(
            readiness.check().map_err(|e| e.to_string()),
            Err("waiting for the list of: secrets, warehouses".to_owned())
        );
        assert_eq!(
            readiness.check(),
            Err(NotReady {
                api_unreachable: false,
                waiting: vec!["secrets", "warehouses"],
            })
        );
        readiness.mark_synced("warehouses");
        assert!(readiness.check().is_err());
        readiness.mark_synced("secrets");
        assert_eq!(readiness.check(), Ok(()));
        readiness.mark_api_unreachable();
        assert_eq!(
            readiness.check().map_err(|e| e.to_string()),
            Err("Kubernetes API server unreachable".to_owned())
        );
        readiness.mark_api_reachable();
        assert_eq!(readiness.check(), Ok(()));
    }

    #[test]
    fn a_failed_watch_keeps_it_unready_until_it_listed_again() {
        let readiness = Readiness::new(&["warehouses", "secrets"]);
        readiness.mark_synced("warehouses");
        readiness.mark_synced("secrets");
        readiness.mark_unsynced("warehouses");
        readiness.mark_api_unreachable();
        assert_eq!(
            readiness.check().map_err(|e| e.to_string()),
            Err(
                "Kubernetes API server unreachable; waiting for the list of: warehouses".to_owned()
            )
        );
        // The API server answering is not enough: the view may be stale.
        readiness.mark_api_reachable();
        assert_eq!(
            readiness.check().map_err(|e| e.to_string()),
            Err("waiting for the list of: warehouses".to_owned())
        );
        readiness.mark_synced("warehouses");
        assert_eq!(readiness.check(), Ok(()));
    }
}
