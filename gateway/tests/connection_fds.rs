//! The idle watch (`http::idle_watch`) holds a second descriptor of every
//! webhook connection's socket; it must let go when the connection ends, or
//! descriptors pile up until the process can accept no more. A test binary
//! of its own: it counts the whole process's open descriptors, which other
//! tests running in parallel would disturb.

mod support;

use std::time::{Duration, Instant};

use support::{AUTH, Options, PULL, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Sends one delivery on a new connection, reads the whole answer (the
/// request asks the server to close), and closes.
async fn deliver_once(address: std::net::SocketAddr, path: &str) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: gateway.test\r\nAuthorization: {AUTH}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        PULL.len()
    );
    stream.write_all(request.as_bytes()).await.expect("head");
    stream.write_all(PULL).await.expect("body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn ended_connections_leave_no_descriptor_behind() {
    let gateway = start(Options {
        header_read_timeout: Duration::from_secs(1),
        keep_alive: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    deliver_once(gateway.address, &gateway.path).await;
    let baseline = open_descriptors();

    // Connections the client ends, and connections the server ends (408
    // after the header timeout for ones that never send anything).
    for _ in 0..100 {
        deliver_once(gateway.address, &gateway.path).await;
    }
    let silent: Vec<TcpStream> =
        futures::future::join_all((0..20).map(|_| TcpStream::connect(gateway.address)))
            .await
            .into_iter()
            .map(|stream| stream.expect("connect"))
            .collect();
    for mut stream in silent {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
            .await
            .expect("the server closes a silent connection")
            .expect("read");
    }

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let open = open_descriptors();
        if open <= baseline + 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} descriptors open after 120 ended connections, {baseline} before"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
