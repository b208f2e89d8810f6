//! Hostile input against the running webhook server, over raw TCP so that
//! no client library normalizes or refuses what is sent: slow senders,
//! oversized and malformed heads, lying `Content-Length`s, hostile bodies
//! and every spelling of a receiver's path. Each attack must get a 4xx or a
//! closed connection, never a 5xx, and the server must go on answering.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{AUTH, Gateway, Options, PULL, PUSH, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any single exchange may take before the test fails.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(10);

/// What the server did with a raw request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// It answered with this status.
    Status(u16),
    /// It closed (or reset) the connection without an answer.
    Closed,
}

impl Reply {
    /// A refusal the sender is to blame for: a 4xx, or a closed connection
    /// for what HTTP parsing refuses outright.
    fn is_refusal(self) -> bool {
        match self {
            Self::Status(status) => (400..500).contains(&status),
            Self::Closed => true,
        }
    }
}

/// One answer read off a connection.
#[derive(Debug)]
struct Answer {
    reply: Reply,
    /// The body as announced by `Content-Length`.
    body: Vec<u8>,
}

/// Reads one answer; `Closed` if the connection ends before a whole head.
async fn read_answer(stream: &mut (impl AsyncReadExt + Unpin)) -> Answer {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let closed = Answer {
        reply: Reply::Closed,
        body: Vec::new(),
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
        body,
    }
}

/// Sends `bytes` on a new connection and reads one answer. A write the
/// server cuts short (it answered and closed early) is not an error.
async fn exchange(address: SocketAddr, bytes: &[u8]) -> Answer {
    tokio::time::timeout(EXCHANGE_LIMIT, async {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        let _ = stream.write_all(bytes).await;
        read_answer(&mut stream).await
    })
    .await
    .expect("the server answered or closed in time")
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
    for (name, value, body) in [
        ("Content-Length", &b"100000"[..], vec![b' '; 100_000]),
        ("Transfer-Encoding", b"chunked", b"1\r\n \r\n".repeat(1000)),
    ] {
        let trickled = trickle(
            gateway.address,
            delivery_head(&unknown, &[(name, value)]),
            body,
            SLOW,
        )
        .await;
        assert_cut_off(&trickled, &[Reply::Status(404)], Duration::from_secs(3));
    }
}

/// What a sender of a large body, sent slowly, saw.
#[derive(Debug)]
struct SlowBody {
    reply: Reply,
    /// Body bytes sent when the answer arrived.
    sent_before_answer: usize,
    /// The whole body.
    total: usize,
    /// Whether the connection closed (within [`CLOSE_LIMIT`]) while the
    /// sender went on sending.
    closed: bool,
    /// Body bytes the gateway held while it was being sent.
    held: i64,
}

/// Sends `head`, then a `total`-byte body in 1 KiB pieces 50 ms apart; reads
/// the answer meanwhile.
async fn send_slow_body(gateway: &Gateway, head: Vec<u8>, total: usize, chunked: bool) -> SlowBody {
    const PIECE: usize = 1024;
    let stream = TcpStream::connect(gateway.address).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let sent = Arc::clone(&sent);
        tokio::spawn(async move {
            if writer.write_all(&head).await.is_err() {
                return;
            }
            while sent.load(Ordering::SeqCst) < total {
                let piece = if chunked {
                    [
                        format!("{PIECE:x}\r\n").as_bytes(),
                        &[b' '; PIECE][..],
                        b"\r\n",
                    ]
                    .concat()
                } else {
                    vec![b' '; PIECE]
                };
                if writer.write_all(&piece).await.is_err() {
                    return;
                }
                sent.fetch_add(PIECE, Ordering::SeqCst);
                tokio::time::sleep(SLOW).await;
            }
            std::future::pending::<()>().await;
        })
    };
    let answer = tokio::time::timeout(EXCHANGE_LIMIT, read_answer(&mut reader))
        .await
        .expect("an answer");
    let sent_before_answer = sent.load(Ordering::SeqCst);
    let held = gateway.metrics.request_body_bytes.get();
    let closed = answer.reply == Reply::Closed || wait_for_close(&mut reader, CLOSE_LIMIT).await;
    sender.abort();
    SlowBody {
        reply: answer.reply,
        sent_before_answer,
        total,
        closed,
        held,
    }
}

/// A wrong or missing `Authorization` is refused from the head: the 401
/// comes while the 2 MiB body is still being sent, nothing of it is held,
/// and the connection is closed instead of drained.
#[tokio::test]
async fn a_wrong_authorization_is_refused_without_reading_the_body() {
    const TOTAL: usize = 2 * 1024 * 1024;
    // A connection idle outside a delivery is cut after keep-alive plus the
    // header timeout: made longer than the test waits for the close, so a
    // close it sees comes from the refusal.
    let gateway = start(Options {
        header_read_timeout: CLOSE_LIMIT * 3,
        ..Options::default()
    })
    .await;
    let length = TOTAL.to_string();
    let wrong = ("Authorization", &b"Bearer wrong"[..]);
    let json = ("Content-Type", &b"application/json"[..]);
    let declared = ("Content-Length", length.as_bytes());
    let chunked = ("Transfer-Encoding", &b"chunked"[..]);
    let request =
        |headers: &[(&str, &[u8])]| head(&format!("POST {} HTTP/1.1", gateway.path), headers);
    for (what, head, is_chunked) in [
        (
            "wrong, declared length",
            request(&[wrong, json, declared]),
            false,
        ),
        ("wrong, chunked", request(&[wrong, json, chunked]), true),
        (
            "missing, declared length",
            request(&[json, declared]),
            false,
        ),
    ] {
        let slow = send_slow_body(&gateway, head, TOTAL, is_chunked).await;
        assert_eq!(slow.reply, Reply::Status(401), "{what}: {slow:?}");
        assert!(
            slow.sent_before_answer < slow.total,
            "{what}: answered only once the body was sent: {slow:?}"
        );
        assert_eq!(slow.held, 0, "{what}: body bytes were held: {slow:?}");
        assert!(slow.closed, "{what}: the connection stayed open: {slow:?}");
    }
    assert_still_serving(&gateway).await;
}

/// The median and maximum latency of 50 deliveries sent one after another.
async fn latencies_of_deliveries(gateway: &Gateway) -> (Duration, Duration) {
    let mut latencies = Vec::new();
    for _ in 0..50 {
        let sent = Instant::now();
        let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
        latencies.push(sent.elapsed());
        assert_eq!(status, 200, "{body}");
    }
    latencies.sort();
    (
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
    )
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
    let (quiet_median, quiet_max) = latencies_of_deliveries(&gateway).await;
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

    let (median, max) = latencies_of_deliveries(&gateway).await;
    // The measurement is only worth something if they all still hang on.
    assert!(
        slow.iter().all(|task| !task.is_finished()),
        "a slow client was cut off before the measurement ended"
    );
    eprintln!(
        "50 deliveries, median / max: {quiet_median:?} / {quiet_max:?} alone, \
         {median:?} / {max:?} with 60 slow clients hanging on"
    );
    assert!(max < Duration::from_millis(500), "{max:?}");

    for task in slow {
        let trickled = task.await.expect("slow client task");
        let closed = trickled
            .closed
            .unwrap_or_else(|| panic!("a slow client was never cut off: {trickled:?}"));
        // Header and body timeout 3 s, then at most the 4 s idle limit.
        assert!(closed < Duration::from_secs(8), "{trickled:?}");
    }
}

// ------------------------------------------------- oversized and odd heads

/// Sends `bytes` and asserts the reply is one of `expected`, then that the
/// server still serves.
async fn assert_reply(gateway: &Gateway, what: &str, bytes: &[u8], expected: &[Reply]) {
    let answer = exchange(gateway.address, bytes).await;
    eprintln!("{what}: {:?}", answer.reply);
    assert!(
        !matches!(answer.reply, Reply::Status(500..=599)),
        "{what}: the server failed: {:?}",
        answer.reply
    );
    assert!(
        expected.contains(&answer.reply),
        "{what}: got {:?}, expected one of {expected:?}",
        answer.reply
    );
    assert_still_serving(gateway).await;
}

/// A complete delivery of `body` to `path` with `headers` (Host and
/// Content-Length are added).
fn request_with(path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut all = headers.to_vec();
    all.push(("Content-Length", length.as_bytes()));
    let mut out = head(&format!("POST {path} HTTP/1.1"), &all);
    out.extend_from_slice(body);
    out
}

const JSON: (&str, &[u8]) = ("Content-Type", b"application/json");

#[tokio::test]
async fn oversized_heads_get_431_and_the_server_goes_on() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    let too_large = [Reply::Status(431), Reply::Closed];

    let big = vec![b'a'; 200 * 1024];
    let request = request_with(&path, &[auth, JSON, ("X-Big", &big)], PULL);
    assert_reply(&gateway, "one 200 KiB header", &request, &too_large).await;

    let huge_auth = vec![b'x'; 1024 * 1024];
    let request = request_with(&path, &[("Authorization", &huge_auth), JSON], PULL);
    assert_reply(&gateway, "a 1 MiB Authorization", &request, &too_large).await;

    let names: Vec<String> = (0..200).map(|i| format!("X-Header-{i}")).collect();
    let mut many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
    many.extend([auth, JSON]);
    let request = request_with(&path, &many, PULL);
    assert_reply(&gateway, "200 headers", &request, &too_large).await;

    let long_path = format!("{path}{}", "a".repeat(200 * 1024));
    let request = request_with(&long_path, &[auth, JSON], PULL);
    assert_reply(&gateway, "a 200 KiB path", &request, &too_large).await;
}

#[tokio::test]
async fn heads_just_under_the_limits_are_served() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    let big = vec![b'a'; 64 * 1024];
    let request = request_with(&path, &[auth, JSON, ("X-Big", &big)], PULL);
    assert_reply(&gateway, "a 64 KiB header", &request, &[Reply::Status(200)]).await;
    let names: Vec<String> = (0..80).map(|i| format!("X-Header-{i}")).collect();
    let mut many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
    many.extend([auth, JSON]);
    let request = request_with(&path, &many, PULL);
    assert_reply(&gateway, "80 headers", &request, &[Reply::Status(200)]).await;
    // A wrong 64 KiB Authorization is simply wrong.
    let wrong = vec![b'x'; 64 * 1024];
    let request = request_with(&path, &[("Authorization", &wrong), JSON], PULL);
    assert_reply(
        &gateway,
        "a wrong 64 KiB Authorization",
        &request,
        &[Reply::Status(401)],
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_in_heads_and_bodies_is_refused() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    let bad_auth = ("Authorization", &b"Bearer test-harbor-secret\xff\xfe"[..]);
    let request = request_with(&path, &[bad_auth, JSON], PULL);
    assert_reply(&gateway, "Authorization", &request, &[Reply::Status(401)]).await;

    let latin1_auth = ("Authorization", &b"Bearer \xe9t\xe9"[..]);
    let request = request_with(&path, &[latin1_auth, JSON], PULL);
    assert_reply(
        &gateway,
        "Latin-1 Authorization",
        &request,
        &[Reply::Status(401)],
    )
    .await;

    let mut request = request_with(&path, &[auth, JSON], PULL);
    let line_end = request
        .iter()
        .position(|&b| b == b'\n')
        .expect("request line")
        + 1;
    request.splice(line_end..line_end, b"X-\xff: v\r\n".iter().copied());
    assert_reply(&gateway, "header name", &request, &[Reply::Status(400)]).await;

    let mut bad_path = path.clone().into_bytes();
    bad_path.extend_from_slice(b"\xff");
    let mut request = b"POST ".to_vec();
    request.extend_from_slice(&bad_path);
    request.extend_from_slice(&request_with("", &[auth, JSON], PULL)[5..]);
    assert_reply(&gateway, "request target", &request, &[Reply::Status(400)]).await;

    let body = PUSH
        .iter()
        .map(|&b| if b == b'P' { 0xff } else { b })
        .collect::<Vec<u8>>();
    let request = request_with(&path, &[auth, JSON], &body);
    assert_reply(&gateway, "body", &request, &[Reply::Status(400)]).await;
    let request = request_with(&path, &[auth, JSON], b"\xff\xfe\x00{\x00}");
    assert_reply(&gateway, "UTF-16 body", &request, &[Reply::Status(400)]).await;
    assert!(gateway.patched().is_empty());
}

// ------------------------------------------------------- framing that lies

#[tokio::test]
async fn a_content_length_shorter_than_the_body_is_refused() {
    let gateway = start(Options::default()).await;
    // The first 10 bytes are the delivery (not JSON: 400); the rest is read
    // as the next request on the connection, which is not HTTP (400, closed).
    let mut request = head(
        &format!("POST {} HTTP/1.1", gateway.path),
        &[
            ("Authorization", AUTH.as_bytes()),
            JSON,
            ("Content-Length", b"10"),
        ],
    );
    request.extend_from_slice(PUSH);
    let mut stream = TcpStream::connect(gateway.address).await.expect("connect");
    stream.write_all(&request).await.expect("sent");
    let first = read_answer(&mut stream).await;
    assert_eq!(first.reply, Reply::Status(400), "{first:?}");
    let second = read_answer(&mut stream).await;
    assert!(second.reply.is_refusal(), "{second:?}");
    assert!(wait_for_close(&mut stream, Duration::from_secs(3)).await);
    assert!(gateway.patched().is_empty());
    assert_still_serving(&gateway).await;
}

#[tokio::test]
async fn a_content_length_longer_than_the_body_gets_408() {
    let gateway = start(Options {
        body_read_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut request = head(
        &format!("POST {} HTTP/1.1", gateway.path),
        &[
            ("Authorization", AUTH.as_bytes()),
            JSON,
            ("Content-Length", b"100000"),
        ],
    );
    request.extend_from_slice(PUSH);
    let started = Instant::now();
    assert_reply(
        &gateway,
        "Content-Length too long",
        &request,
        &[Reply::Status(408)],
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn malformed_framing_is_refused() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    let framed = |framing: &[(&str, &[u8])], body: &[u8]| {
        let mut headers = vec![auth, JSON];
        headers.extend_from_slice(framing);
        let mut out = head(&format!("POST {path} HTTP/1.1"), &headers);
        out.extend_from_slice(body);
        out
    };
    let bad = [Reply::Status(400)];
    for (what, framing) in [
        (
            "non-numeric Content-Length",
            &[("Content-Length", &b"abc"[..])][..],
        ),
        ("negative Content-Length", &[("Content-Length", b"-1")]),
        (
            "Content-Length over u64",
            &[("Content-Length", b"99999999999999999999999")],
        ),
        (
            "two different Content-Lengths",
            &[("Content-Length", b"5"), ("Content-Length", b"6")],
        ),
        ("a Content-Length list", &[("Content-Length", b"5, 6")]),
        (
            "Content-Length and chunked",
            &[("Content-Length", b"5"), ("Transfer-Encoding", b"chunked")],
        ),
        (
            "an unknown transfer coding",
            &[("Transfer-Encoding", b"gzip")],
        ),
    ] {
        assert_reply(&gateway, what, &framed(framing, PULL), &bad).await;
    }
    let chunk_overflow = framed(
        &[("Transfer-Encoding", b"chunked")],
        b"FFFFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n",
    );
    assert_reply(&gateway, "chunk size over u64", &chunk_overflow, &bad).await;
    let bad_chunk = framed(
        &[("Transfer-Encoding", b"chunked")],
        b"zz\r\nx\r\n0\r\n\r\n",
    );
    assert_reply(&gateway, "chunk size not hex", &bad_chunk, &bad).await;
    // A declared length over the body limit is refused before any body.
    let huge = framed(&[("Content-Length", b"1000000000000000")], b"");
    assert_reply(
        &gateway,
        "a 1 PB Content-Length",
        &huge,
        &[Reply::Status(413)],
    )
    .await;
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn odd_request_lines_are_refused() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let rest = |line: &str| {
        let mut out = head(
            line,
            &[
                ("Authorization", AUTH.as_bytes()),
                JSON,
                ("Content-Length", b"2"),
            ],
        );
        out.extend_from_slice(b"{}");
        out
    };
    for (what, request, expected) in [
        (
            "lower-case method",
            rest(&format!("post {path} HTTP/1.1")),
            &[Reply::Status(405)][..],
        ),
        (
            "unknown method",
            rest(&format!("BREW {path} HTTP/1.1")),
            &[Reply::Status(405)],
        ),
        (
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            &[Reply::Status(400)],
        ),
        (
            "HTTP/0.9 line",
            format!("GET {path}\r\n").into_bytes(),
            &[Reply::Status(400)],
        ),
        (
            "HTTP/3.0",
            rest(&format!("POST {path} HTTP/3.0")),
            &[Reply::Status(400)],
        ),
        (
            "NUL in the path",
            rest(&format!("POST {path}\0 HTTP/1.1")),
            &[Reply::Status(400)],
        ),
        (
            "a target that is no path",
            rest(&format!("POST {} HTTP/1.1", path.replace('/', "\\"))),
            &[Reply::Status(400)],
        ),
        (
            "a space in the path",
            rest(&format!("POST {path} x HTTP/1.1")),
            &[Reply::Status(400)],
        ),
        (
            "not HTTP at all",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            &[Reply::Status(400)],
        ),
    ] {
        assert_reply(&gateway, what, &request, expected).await;
    }
    assert!(gateway.patched().is_empty());
}

// ------------------------------------------------------------ hostile JSON

/// `PUSH` with `from` replaced by `to` (once).
fn push_with(from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(PUSH).expect("UTF-8 fixture");
    assert!(text.contains(from), "{from} not in the fixture");
    text.replacen(from, to, 1).into_bytes()
}

#[tokio::test]
async fn json_nesting_bombs_are_refused_where_read_and_skipped_where_not() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    // As deep as fits in the 2 MiB body limit.
    for (kind, open, close, deep) in [
        ("arrays", "[", "]", 1_000_000),
        ("objects", "{\"a\":", "}", 250_000),
    ] {
        // Where the provider reads (the push's data, a tag), where it only
        // skips (an unknown field), and as the whole body.
        for (template, answer_when_closed) in [
            (
                "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{\"resources\":@}}",
                400,
            ),
            (
                "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{\"resources\":[{\"tag\":@}]}}",
                400,
            ),
            ("{\"type\":\"PULL_ARTIFACT\",\"event_data\":@}", 200),
            (
                "{\"type\":\"PULL_ARTIFACT\",\"event_data\":{},\"x\":@}",
                200,
            ),
            ("@", 400),
        ] {
            for closed in [true, false] {
                let mut nested = open.repeat(deep) + "0";
                if closed {
                    nested.push_str(&close.repeat(deep));
                }
                let body = template.replace('@', &nested);
                let request = request_with(&path, &[auth, JSON], body.as_bytes());
                let what = format!("{deep} nested {kind} in {template}, closed: {closed}");
                // Skipped values are checked in one pass without recursion:
                // a well-formed pull is still just a pull. An unclosed one
                // is not JSON.
                let expected = if closed { answer_when_closed } else { 400 };
                let started = Instant::now();
                assert_reply(&gateway, &what, &request, &[Reply::Status(expected)]).await;
                assert!(started.elapsed() < Duration::from_secs(2), "{what}");
            }
        }
    }
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn duplicate_keys_get_400() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    for (what, body) in [
        // Which `type` wins decides whether anything is refreshed: refuse.
        (
            "type",
            push_with(
                "\"type\": \"PUSH_ARTIFACT\",",
                "\"type\": \"PULL_ARTIFACT\", \"type\": \"PUSH_ARTIFACT\",",
            ),
        ),
        (
            "event_data",
            push_with("\"event_data\": {", "\"event_data\": {}, \"event_data\": {"),
        ),
        (
            "resources",
            push_with("\"resources\": [", "\"resources\": [], \"resources\": ["),
        ),
        (
            "resource_url",
            push_with(
                "\"resource_url\"",
                "\"resource_url\": \"evil.example.com/x:1\", \"resource_url\"",
            ),
        ),
        ("tag", push_with("\"tag\"", "\"tag\": \"9.9.9\", \"tag\"")),
    ] {
        let request = request_with(&path, &[auth, JSON], &body);
        assert_reply(
            &gateway,
            &format!("duplicate {what}"),
            &request,
            &[Reply::Status(400)],
        )
        .await;
    }
    assert!(gateway.patched().is_empty());
}

#[tokio::test]
async fn numbers_out_of_range_are_refused_where_read_and_skipped_where_not() {
    let gateway = start(Options::default()).await;
    let path = gateway.path.clone();
    let auth = ("Authorization", AUTH.as_bytes());
    // Where the provider expects text, any number is refused.
    for (what, body) in [
        ("type", push_with("\"PUSH_ARTIFACT\"", "1e999999")),
        ("tag", push_with("\"1.27.1\"", "18446744073709551616")),
        (
            "resource_url",
            push_with("\"harbor.example.com/library/nginx:1.27.1\"", "-1e400"),
        ),
        (
            "resources",
            push_with("\"resources\": [", "\"resources\": 1e400, \"x\": ["),
        ),
    ] {
        let request = request_with(&path, &[auth, JSON], &body);
        assert_reply(
            &gateway,
            &format!("number as {what}"),
            &request,
            &[Reply::Status(400)],
        )
        .await;
    }
    assert!(gateway.patched().is_empty());
    // Fields the provider never reads are skipped unparsed, whatever they
    // hold: a push with an absurd `occur_at` still refreshes.
    let body = push_with("1767225600", "1e999999999999999999");
    let request = request_with(&path, &[auth, JSON], &body);
    assert_reply(&gateway, "absurd occur_at", &request, &[Reply::Status(200)]).await;
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
}

// ---------------------------------------------------------- path spellings

/// The reply to a pull with valid credentials sent to `target`, the
/// request target exactly as written.
async fn reply_at(gateway: &Gateway, target: &str) -> Reply {
    let request = request_with(target, &[("Authorization", AUTH.as_bytes()), JSON], PULL);
    exchange(gateway.address, &request).await.reply
}

/// Asserts that exactly the `same` targets reach the receiver (200) and
/// every one of `other` gets the same 404 as an unknown URL.
async fn assert_only_same_urls_reach(gateway: &Gateway, same: &[String], other: &[String]) {
    for target in same {
        assert_eq!(
            reply_at(gateway, target).await,
            Reply::Status(200),
            "{target}"
        );
    }
    for target in other {
        let answer = exchange(
            gateway.address,
            &request_with(target, &[("Authorization", AUTH.as_bytes()), JSON], PULL),
        )
        .await;
        assert_eq!(answer.reply, Reply::Status(404), "{target}");
        assert_eq!(answer.body, br#"{"error":"not found"}"#, "{target}");
    }
    assert!(gateway.patched().is_empty());
}

/// Every other spelling of `/{base}/harbor/{token}`.
fn other_spellings(base: &str, token: &str) -> Vec<String> {
    let first = token.as_bytes()[0];
    let (head, tail) = token.split_at(token.len() / 2);
    let last_hex_letter = token
        .rfind(|c: char| c.is_ascii_alphabetic())
        .expect("a hex letter");
    let mut upper_one = token.to_owned();
    upper_one.replace_range(
        last_hex_letter..=last_hex_letter,
        &token[last_hex_letter..=last_hex_letter].to_uppercase(),
    );
    vec![
        // Slashes: trailing, doubled, encoded.
        format!("{base}/harbor/{token}/"),
        format!("/{base}/harbor/{token}"),
        format!("{base}//harbor/{token}"),
        format!("{base}/harbor//{token}"),
        format!("{base}/harbor%2F{token}"),
        format!("{base}/harbor%2f{token}"),
        format!("{base}/harbor/{token}%2F"),
        format!("{base}/harbor/{head}%2F{tail}"),
        // Dot segments, plain and encoded.
        format!("{base}/harbor/./{token}"),
        format!("{base}/harbor/../harbor/{token}"),
        format!("{base}/x/../harbor/{token}"),
        format!("{base}/harbor/{token}/."),
        format!("{base}/harbor/{token}/x/.."),
        format!("{base}/harbor/%2e%2e/harbor/{token}"),
        format!("{base}/harbor/%2E/{token}"),
        // Case.
        format!("{base}/HARBOR/{token}"),
        format!("{base}/Harbor/{token}"),
        format!("{base}/harbor/{}", token.to_uppercase()),
        format!("{base}/harbor/{upper_one}"),
        // Percent-encoded characters of the provider and the token, in
        // lower- and upper-case hex.
        format!("{base}/%68arbor/{token}"),
        format!("{base}/harbor/%{first:02x}{}", &token[1..]),
        format!("{base}/harbor/%{first:02X}{}", &token[1..]),
        format!(
            "{base}/harbor/{head}%{:02X}{}",
            tail.as_bytes()[0],
            &tail[1..]
        ),
        // Query strings, empty or not, and other suffixes.
        format!("{base}/harbor/{token}?"),
        format!("{base}/harbor/{token}?x=1"),
        format!("{base}/harbor/{token}?{token}"),
        format!("{base}/harbor/{token};x"),
        format!("{base}/harbor\\{token}"),
        format!("{base}/\\harbor/{token}"),
        format!("{base}/harbor/{token}%00"),
        format!("{base}/harbor/{token}%20"),
        format!("{base}/harbor/{token}0"),
        format!("{base}/harbor/{}", &token[..token.len() - 1]),
        // Another provider, none, or nothing but the token.
        format!("{base}/quay/{token}"),
        format!("{base}//{token}"),
        format!("{base}/{token}"),
        format!("{base}/harbor"),
        format!("{base}/harbor/"),
        // Other request-target forms.
        "*".to_owned(),
        format!("http://gateway.test{base}/harbor/{token}/"),
        format!("http://gateway.test{base}/harbor%2F{token}"),
    ]
}

#[tokio::test]
async fn only_the_published_spelling_of_a_receiver_path_reaches_it() {
    let gateway = start(Options::default()).await;
    let token = gateway.path.rsplit('/').next().expect("token").to_owned();
    let same = [
        gateway.path.clone(),
        // The absolute form names the same URL (RFC 9112, 3.2.2).
        format!("http://gateway.test{}", gateway.path),
        // A fragment is never part of what a client sends; the HTTP layer
        // drops one sent anyway, leaving the same URL.
        format!("{}#x", gateway.path),
    ];
    assert_only_same_urls_reach(&gateway, &same, &other_spellings("", &token)).await;
}

#[tokio::test]
async fn only_the_published_spelling_under_a_base_path_reaches_it() {
    let gateway = start(Options {
        base_path: "/hooks",
        ..Options::default()
    })
    .await;
    let token = gateway.path.rsplit('/').next().expect("token").to_owned();
    let mut other = other_spellings("/hooks", &token);
    other.extend([
        format!("/harbor/{token}"),
        format!("/HOOKS/harbor/{token}"),
        format!("/hooks%2Fharbor/{token}"),
        format!("/%68ooks/harbor/{token}"),
        format!("/hooksx/harbor/{token}"),
        format!("/hooks/./harbor/{token}"),
        format!("/x/../hooks/harbor/{token}"),
        format!("/hooks/../hooks/harbor/{token}"),
    ]);
    assert_only_same_urls_reach(&gateway, std::slice::from_ref(&gateway.path), &other).await;
}
