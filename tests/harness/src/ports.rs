//! Free loopback ports for the servers.

use std::net::{Ipv4Addr, TcpListener};

use crate::error::{Error, Result};

/// Asks the kernel for `count` distinct free ports on 127.0.0.1. All are held
/// until all are chosen (so none is handed out twice), then released before
/// the servers bind them; another process could take one in between, which is
/// unlikely enough on a test machine (the server would then fail to start with
/// "address already in use" in its log).
pub fn free_loopback_ports(count: usize) -> Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| {
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .map_err(|e| Error::io("binding a free loopback port", e))
        })
        .collect::<Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|listener| {
            listener
                .local_addr()
                .map(|addr| addr.port())
                .map_err(|e| Error::io("reading a bound port", e))
        })
        .collect()
}
