//! Counts panics on the in-process gateways' threads. A task that panics
//! inside a runtime is caught by tokio or actix and leaves no other trace
//! than a line on stderr, so fault tests ask this counter instead: "the
//! gateway did not panic" is part of what they check.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The name of every thread of a gateway's tokio runtime.
pub(crate) const GATEWAY_THREAD: &str = "gateway-runtime";
/// actix-server names its acceptor and worker threads with this prefix.
const ACTIX_THREAD_PREFIX: &str = "actix-server";

static PANICS: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

/// Installs (once per process) a panic hook that counts panics on gateway
/// threads and then reports them as the previous hook did.
pub(crate) fn watch_gateway_threads() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or_default();
            if name == GATEWAY_THREAD || name.starts_with(ACTIX_THREAD_PREFIX) {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// Panics seen so far on the threads of any gateway started by this test
/// binary (the gateway runtime and its HTTP servers).
pub fn gateway_panics() -> usize {
    PANICS.load(Ordering::SeqCst)
}
