//! Free loopback ports for the servers.
//!
//! A port is chosen by binding it, then released so that the server can
//! bind it; in between another process may take it. The kernel's own
//! choice (port 0) comes from the ephemeral range, the same range every
//! outgoing connection's source port comes from: a benchmark or a gateway
//! opening connections beside the tests can take the port in that gap, and
//! the server then fails with "address already in use". So ports are drawn
//! at random below the ephemeral range, where only other servers that pick
//! their ports the same way can land, and those rarely pick the same one.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, TcpListener};
use std::ops::Range;

use crate::error::{Error, Result};

/// Where random ports are drawn from when the ephemeral range allows it:
/// above the usual fixed service and development ports.
const LOWEST: u16 = 20_000;
/// Linux's default ephemeral range starts here.
const DEFAULT_EPHEMERAL_START: u16 = 32_768;
/// Random draws per port before falling back to the kernel's choice.
const DRAWS: usize = 64;

/// Asks for `count` distinct free ports on 127.0.0.1. All are held until all
/// are chosen (so none is handed out twice), then released before the
/// servers bind them.
pub fn free_loopback_ports(count: usize) -> Result<Vec<u16>> {
    let candidates = candidate_range(ephemeral_start());
    let mut draws = Draws::new();
    let mut held: Vec<TcpListener> = Vec::with_capacity(count);
    while held.len() < count {
        let listener = (0..DRAWS)
            .filter_map(|_| candidates.as_ref().map(|range| draws.next_in(range)))
            .find_map(|port| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).ok());
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .map_err(|e| Error::io("binding a free loopback port", e))?,
        };
        held.push(listener);
    }
    held.iter()
        .map(|listener| {
            listener
                .local_addr()
                .map(|addr| addr.port())
                .map_err(|e| Error::io("reading a bound port", e))
        })
        .collect()
}

/// The first port of the kernel's ephemeral range.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

/// The ports to draw from, if there is room below the ephemeral range.
fn candidate_range(ephemeral_start: u16) -> Option<Range<u16>> {
    (ephemeral_start > LOWEST + 1_000).then_some(LOWEST..ephemeral_start)
}

/// A small random sequence (xorshift), seeded by the standard library's
/// per-process random hasher keys: no dependency for a test harness.
struct Draws(u64);

impl Draws {
    fn new() -> Self {
        Self(RandomState::new().hash_one(std::process::id()) | 1)
    }

    fn next_in(&mut self, range: &Range<u16>) -> u16 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let span = u64::from(range.end - range.start);
        // The remainder is below `span`, which fits in u16.
        range.start + u16::try_from(self.0 % span).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_free_and_below_the_ephemeral_range() {
        let ports = free_loopback_ports(5).expect("ports");
        let distinct: std::collections::HashSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), 5, "{ports:?}");
        let start = ephemeral_start();
        let range = candidate_range(start)
            .unwrap_or_else(|| panic!("the ephemeral range starts at {start}: no room below it"));
        for port in &ports {
            assert!(range.contains(port), "{port} outside {range:?}");
            // Released again: a server can bind it.
            TcpListener::bind((Ipv4Addr::LOCALHOST, *port)).expect("free");
        }
    }

    #[test]
    fn no_candidates_when_the_ephemeral_range_starts_low() {
        assert_eq!(candidate_range(32_768), Some(20_000..32_768));
        assert_eq!(candidate_range(1_024), None);
        assert_eq!(candidate_range(20_500), None);
    }

    #[test]
    fn draws_stay_in_range_and_vary() {
        let mut draws = Draws::new();
        let range = 20_000..20_010;
        let drawn: std::collections::HashSet<_> = (0..200).map(|_| draws.next_in(&range)).collect();
        assert!(drawn.iter().all(|port| range.contains(port)));
        assert!(drawn.len() > 5, "{drawn:?}");
    }
}
