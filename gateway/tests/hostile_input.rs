//! Hostile input against the running webhook server, over raw TCP so that
//! no client library normalizes or refuses what is sent: slow senders.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{AUTH, Gateway, Options, PULL, PUSH, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the server did with a raw request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// It answered with this status.
    Status(u16),
    /// It closed (or reset) the connection without an answer.
    Closed,
}

/// One answer read off a connection.
#[derive(Debug)]
struct Answer {
    reply: Reply,
}

/// Reads one answer; `Closed` if the connection ends before a whole head.
async fn read_answer(stream: &mut (impl AsyncReadExt + Unpin)) -> Answer {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let closed = Answer {
        reply: Reply::Closed,
    };
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return closed,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"));
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse::<usize>().expect("content-length"));
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Answer {
        reply: Reply::Status(status),
    }
}

/// A request head: the request line, then `headers`, then the blank line.
fn head(request_line: &str, headers: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\nHost: gateway.test\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A complete authenticated delivery of `body` to `path`.
fn delivery(path: &str, body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut out = head(
        &format!("POST {path} HTTP/1.1"),
        &[
            ("Authorization", AUTH.as_bytes()),
            ("Content-Type", b"application/json"),
            ("Content-Length", length.as_bytes()),
        ],
    );
    out.extend_from_slice(body);
    out
}

/// The server still answers a well-formed delivery.
async fn assert_still_serving(gateway: &Gateway) {
    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PULL).await;
    assert_eq!(status, 200, "the server stopped answering: {body}");
}

/// What a slow sender saw.
#[derive(Debug)]
struct Trickled {
    /// The server's answer, or `Closed`.
    reply: Reply,
    /// From the first byte to the answer (or close).
    answered: Duration,
    /// From the first byte to the connection's close, if it closed within
    /// [`CLOSE_LIMIT`] while the sender went on sending.
    closed: Option<Duration>,
}

/// How long a test waits for a connection to close after its answer.
const CLOSE_LIMIT: Duration = Duration::from_secs(10);

/// Sends `prefix` at once, then `bytes` one at a time `pause` apart, and
/// then holds the connection open, as an attacker would; meanwhile reads
/// the answer and waits for the connection to close.
async fn trickle(
    address: SocketAddr,
    prefix: Vec<u8>,
    bytes: Vec<u8>,
    pause: Duration,
) -> Trickled {
    let stream = TcpStream::connect(address).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        if writer.write_all(&prefix).await.is_err() {
            return;
        }
        for byte in bytes {
            tokio::time::sleep(pause).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    let answer = tokio::time::timeout(Duration::from_secs(30), read_answer(&mut reader))
        .await
        .expect("the slow sender was answered or cut off");
    let answered = started.elapsed();
    let closed = if answer.reply == Reply::Closed {
        Some(answered)
    } else {
        wait_for_close(&mut reader, CLOSE_LIMIT)
            .await
            .then(|| started.elapsed())
    };
    sender.abort();
    Trickled {
        reply: answer.reply,
        answered,
        closed,
    }
}

/// Reads and discards until the connection closes; false if it is still
/// open after `limit`.
async fn wait_for_close(reader: &mut (impl AsyncReadExt + Unpin), limit: Duration) -> bool {
    let mut sink = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match reader.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A head long enough to outlast any timeout at one byte per `pause`.
fn endless_head(path: &str) -> Vec<u8> {
    let padding = "x".repeat(4096);
    head(
        &format!("POST {path} HTTP/1.1"),
        &[("X-Padding", padding.as_bytes())],
    )
}

// ---------------------------------------------------------------- slow senders

/// One byte every 50 ms: far slower than any real sender.
const SLOW: Duration = Duration::from_millis(50);

/// A gateway whose header and body timeouts and keep-alive are all 1 s:
/// a connection idle outside a delivery is closed after 2 s.
async fn impatient_gateway() -> Gateway {
    start(Options {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        keep_alive: Duration::from_secs(1),
        ..Options::default()
    })
    .await
}

/// The head of an authenticated delivery to `path` with these headers
/// besides `Authorization` (the body is sent separately).
fn delivery_head(path: &str, headers: &[(&str, &[u8])]) -> Vec<u8> {
    let mut all = vec![("Authorization", AUTH.as_bytes())];
    all.extend_from_slice(headers);
    head(&format!("POST {path} HTTP/1.1"), &all)
}

/// Asserts the slow sender was refused with one of `replies` within
/// `within` and the connection closed shortly after.
fn assert_cut_off(trickled: &Trickled, replies: &[Reply], within: Duration) {
    assert!(replies.contains(&trickled.reply), "{trickled:?}");
    assert!(trickled.answered < within, "{trickled:?}");
    let closed = trickled
        .closed
        .unwrap_or_else(|| panic!("the connection stayed open: {trickled:?}"));
    assert!(closed < within + Duration::from_secs(2), "{trickled:?}");
}

#[tokio::test]
async fn headers_sent_byte_by_byte_are_cut_off_after_the_header_timeout() {
    let gateway = impatient_gateway().await;
    let trickled = trickle(
        gateway.address,
        Vec::new(),
        endless_head(&gateway.path),
        SLOW,
    )
    .await;
    assert!(
        trickled.answered >= Duration::from_millis(900),
        "{trickled:?}"
    );
    assert_cut_off(
        &trickled,
        &[Reply::Status(408), Reply::Closed],
        Duration::from_secs(3),
    );
    assert_still_serving(&gateway).await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let gateway = impatient_gateway().await;
    let trickled = trickle(gateway.address, Vec::new(), Vec::new(), SLOW).await;
    assert_cut_off(
        &trickled,
        &[Reply::Status(408), Reply::Closed],
        Duration::from_secs(3),
    );
}

#[tokio::test]
async fn a_slow_second_request_on_the_same_connection_is_cut_off() {
    let gateway = impatient_gateway().await;
    // A quick, complete first delivery, then the next head byte by byte on
    // the same connection.
    let trickled = trickle(
        gateway.address,
        delivery(&gateway.path, PULL),
        endless_head(&gateway.path),
        SLOW,
    )
    .await;
    assert_eq!(trickled.reply, Reply::Status(200), "{trickled:?}");
    let closed = trickled
        .closed
        .unwrap_or_else(|| panic!("the connection stayed open: {trickled:?}"));
    assert!(closed < Duration::from_secs(4), "{trickled:?}");
}

#[tokio::test]
async fn a_body_sent_byte_by_byte_gets_408_after_the_body_timeout() {
    let gateway = impatient_gateway().await;
    let body = vec![b' '; 4096];
    let length = body.len().to_string();
    let trickled = trickle(
        gateway.address,
        delivery_head(&gateway.path, &[("Content-Length", length.as_bytes())]),
        body,
        SLOW,
    )
    .await;
    assert!(
        trickled.answered >= Duration::from_millis(900),
        "{trickled:?}"
    );
    assert_cut_off(&trickled, &[Reply::Status(408)], Duration::from_secs(3));
    assert_still_serving(&gateway).await;
}

#[tokio::test]
async fn a_chunked_body_sent_byte_by_byte_gets_408_after_the_body_timeout() {
    let gateway = impatient_gateway().await;
    let trickled = trickle(
        gateway.address,
        delivery_head(&gateway.path, &[("Transfer-Encoding", b"chunked")]),
        b"1\r\n \r\n".repeat(1000),
        SLOW,
    )
    .await;
    assert_cut_off(&trickled, &[Reply::Status(408)], Duration::from_secs(3));
    assert_still_serving(&gateway).await;
}

#[tokio::test]
async fn a_slow_body_to_an_unknown_url_is_not_drained_forever() {
    let gateway = impatient_gateway().await;
    let unknown = format!("/harbor/{}", "0".repeat(64));
    for framing in [
        &b"Content-Length: 100000"[..],
        b"Transfer-Encoding: chunked",
    ] {
        let (name, value) = std::str::from_utf8(framing)
            .expect("ascii")
            .split_once(": ")
            .expect("header");
        let body = if name == "Content-Length" {
            vec![b' '; 100_000]
        } else {
            b"1\r\n \r\n".repeat(1000)
        };
        let trickled = trickle(
            gateway.address,
            delivery_head(&unknown, &[(name, value.as_bytes())]),
            body,
            SLOW,
        )
        .await;
        assert_cut_off(&trickled, &[Reply::Status(404)], Duration::from_secs(3));
    }
}

#[tokio::test]
async fn deliveries_are_answered_promptly_while_slow_clients_hang_on() {
    let gateway = start(Options {
        header_read_timeout: Duration::from_secs(3),
        body_read_timeout: Duration::from_secs(3),
        keep_alive: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    // One worker thread serves everything, as on a one-CPU Pod.
    let unknown = format!("/harbor/{}", "0".repeat(64));
    let mut slow = Vec::new();
    for i in 0..60 {
        let (prefix, bytes) = match i % 3 {
            0 => (Vec::new(), endless_head(&gateway.path)),
            1 => (
                delivery_head(&gateway.path, &[("Content-Length", b"100000")]),
                vec![b' '; 100_000],
            ),
            _ => (
                delivery_head(&unknown, &[("Transfer-Encoding", b"chunked")]),
                b"1\r\n \r\n".repeat(10_000),
            ),
        };
        slow.push(tokio::spawn(trickle(gateway.address, prefix, bytes, SLOW)));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut latencies = Vec::new();
    for _ in 0..50 {
        let sent = Instant::now();
        let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
        latencies.push(sent.elapsed());
        assert_eq!(status, 200, "{body}");
    }
    // The measurement is only worth something if they all still hang on.
    assert!(
        slow.iter().all(|task| !task.is_finished()),
        "a slow client was cut off before the measurement ended"
    );
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let max = latencies[latencies.len() - 1];
    eprintln!("with 60 slow clients hanging on: median {median:?}, max {max:?} over 50 deliveries");
    assert!(max < Duration::from_millis(500), "{latencies:?}");

    for task in slow {
        let trickled = task.await.expect("slow client task");
        let closed = trickled
            .closed
            .unwrap_or_else(|| panic!("a slow client was never cut off: {trickled:?}"));
        // Header and body timeout 3 s, then at most the 4 s idle limit.
        assert!(closed < Duration::from_secs(8), "{trickled:?}");
    }
}
