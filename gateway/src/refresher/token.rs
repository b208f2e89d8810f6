//! Refresh tokens: the values written into `kargo.akuity.io/refresh`.
//!
//! Kargo reconciles a Warehouse whenever the value changes, so every patch
//! needs a value no other patch used. Kargo's own one-second timestamps can
//! collide, turning the second refresh of a second into a no-op; ours carry
//! nanoseconds, a per-process nonce (replicas never collide) and a counter
//! (one process never collides, whatever the clock does). The leading
//! timestamp is the send time, which the invariant tests read back.

use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::jiff::Timestamp;

/// Issues unique refresh tokens.
#[derive(Debug)]
pub struct TokenSource {
    nonce: String,
    counter: AtomicU64,
}

impl TokenSource {
    /// A source with a fresh random nonce.
    pub fn new() -> Self {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        Self {
            nonce: nonce[..8].to_owned(),
            counter: AtomicU64::new(0),
        }
    }

    /// `<RFC 3339 time with nanoseconds>_<nonce>_<counter>`.
    pub fn next(&self) -> String {
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{:.9}_{}_{count}", Timestamp::now(), self.nonce)
    }
}

impl Default for TokenSource {
    fn default() -> Self {
        Self::new()
    }
}

/// The send time encoded at the start of a token, if it has one.
pub fn sent_at(token: &str) -> Option<Timestamp> {
    token.split('_').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_carry_their_send_time() {
        let source = TokenSource::new();
        let before = Timestamp::now();
        let tokens: Vec<String> = (0..1000).map(|_| source.next()).collect();
        let after = Timestamp::now();
        let mut unique = tokens.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), tokens.len());
        for token in &tokens {
            let sent = sent_at(token).expect("token starts with a timestamp");
            assert!(before <= sent && sent <= after, "{token}");
        }
    }

    #[test]
    fn two_sources_never_collide() {
        let (a, b) = (TokenSource::new(), TokenSource::new());
        assert_ne!(a.next(), b.next());
    }

    #[test]
    fn foreign_tokens_have_no_send_time() {
        assert!(sent_at("not-a-time").is_none());
        assert!(sent_at("2026-01-01T00:00:00Z").is_some());
    }
}
