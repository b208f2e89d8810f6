//! Memory under hostile load, on the real binary against a real control
//! plane: 400 connections at a time, each sending a 2 MiB body slowly with
//! wrong credentials (each one reconnecting as soon as it is cut off),
//! while Harbor delivers ten pushes a second. The gateway refuses each from
//! its head without reading the body, so its resident memory stays far
//! below the chart's limit, every right delivery is answered 200, and
//! nothing panics.

mod real_binary;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use kargo_webhook_testenv::ControlPlane;
use real_binary::{
    GatewayProcess, REACTION, create_warehouse, eventually, fixture, post, published_path,
    put_project_config, put_secret, refresh_token,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const AUTH: &str = "Bearer memory-test-secret";
const NGINX: &str = "harbor.example.com/library/nginx";
/// Connections open at once.
const ATTACKERS: usize = 400;
/// What each declares and trickles.
const BODY: usize = 2 * 1024 * 1024;
/// Sent every [`PAUSE`]: 2 MiB would take about 6.5 s.
const PIECE: usize = 16 * 1024;
const PAUSE: Duration = Duration::from_millis(50);
/// How long the attack lasts.
const ATTACK: Duration = Duration::from_secs(10);
/// The bound: half the chart's memory limit (256 Mi).
const RSS_LIMIT_KIB: u64 = 128 * 1024;

/// `VmRSS` and `VmHWM` (the peak) of a process, in KiB.
fn resident_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What the attackers saw.
#[derive(Debug, Default)]
struct Seen {
    connections: AtomicUsize,
    refused: AtomicUsize,
    limited: AtomicUsize,
    /// Anything else: another status, or no answer at all.
    other: std::sync::Mutex<Vec<String>>,
}

/// The status of the first answer on `reader`, if one comes.
async fn status_of(reader: &mut (impl AsyncReadExt + Unpin)) -> Option<u16> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1)?.parse().ok()
}

/// One attacker: connects, sends a wrong `Authorization` and a 2 MiB
/// `Content-Length`, and trickles the body while it reads the answer;
/// starts over once the connection is cut, until `stop`.
async fn attacker(
    address: std::net::SocketAddr,
    path: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer wrong-guess\r\n\
         content-type: application/json\r\ncontent-length: {BODY}\r\n\r\n"
    );
    while !stop.load(Ordering::SeqCst) {
        let Ok(stream) = TcpStream::connect(address).await else {
            tokio::time::sleep(PAUSE).await;
            continue;
        };
        seen.connections.fetch_add(1, Ordering::SeqCst);
        let (mut reader, mut writer) = stream.into_split();
        let head = head.clone().into_bytes();
        let sender = tokio::spawn(async move {
            if writer.write_all(&head).await.is_err() {
                return;
            }
            let piece = vec![b' '; PIECE];
            for _ in 0..BODY / PIECE {
                if writer.write_all(&piece).await.is_err() {
                    return;
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
        let status = tokio::time::timeout(Duration::from_secs(10), status_of(&mut reader)).await;
        match status {
            Ok(Some(401)) => seen.refused.fetch_add(1, Ordering::SeqCst),
            Ok(Some(429)) => seen.limited.fetch_add(1, Ordering::SeqCst),
            other => {
                seen.other.lock().expect("lock").push(format!("{other:?}"));
                0
            }
        };
        // Until the gateway cuts the connection off (or the body is sent).
        let mut sink = [0u8; 1024];
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
        sender.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_slow_bodies_cost_little_memory_and_the_right_sender_is_served() {
    let control_plane = ControlPlane::shared();
    let client = control_plane.admin_client();
    let mut gateway = GatewayProcess::start(
        control_plane,
        &["--leader-election", "false", "--publish-status", "true"],
    );
    let namespace = control_plane.fresh_namespace("memory").await;
    put_secret(&client, &namespace, "harbor-webhook", AUTH).await;
    put_project_config(&client, &namespace, "harbor-webhook").await;
    create_warehouse(&client, &namespace, "nginx", NGINX).await;
    let path = published_path(&client, &namespace, None).await;
    let url = gateway.url(&path);
    let json = ("content-type", "application/json");
    eventually("a refreshing delivery", REACTION, || async {
        let answer = post(
            &url,
            &[("authorization", AUTH), json],
            fixture("push-simple.json"),
        )
        .await;
        (answer.status == 200 && answer.json()["warehouses"].as_array()?.len() == 1).then_some(())
    })
    .await;
    let (before, _) = resident_kib(gateway.pid());

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Seen::default());
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            tokio::spawn(attacker(
                gateway.webhook,
                path.clone(),
                Arc::clone(&stop),
                Arc::clone(&seen),
            ))
        })
        .collect();
    let started = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut statuses = Vec::new();
    let mut most = before;
    while started.elapsed() < ATTACK {
        ticks.tick().await;
        let answer = post(
            &url,
            &[("authorization", AUTH), json],
            fixture("push-simple.json"),
        )
        .await;
        statuses.push(answer.status);
        most = most.max(resident_kib(gateway.pid()).0);
    }
    stop.store(true, Ordering::SeqCst);
    for attacker in attackers {
        attacker.await.expect("attacker task");
    }
    let (after, peak) = resident_kib(gateway.pid());
    eprintln!(
        "RSS: {before} KiB before, {most} KiB at most while sampled, {after} KiB after, \
         peak (VmHWM) {peak} KiB; {} connections: {} answered 401, {} 429; {} deliveries",
        seen.connections.load(Ordering::SeqCst),
        seen.refused.load(Ordering::SeqCst),
        seen.limited.load(Ordering::SeqCst),
        statuses.len()
    );

    assert!(
        statuses.iter().all(|status| *status == 200),
        "a right delivery was not served: {statuses:?}"
    );
    assert!(statuses.len() >= 50, "{} deliveries", statuses.len());
    assert!(refresh_token(&client, &namespace, "nginx").await.is_some());
    assert!(
        seen.connections.load(Ordering::SeqCst) >= ATTACKERS,
        "the attack never had {ATTACKERS} connections"
    );
    let other = seen.other.lock().expect("lock").clone();
    assert!(other.is_empty(), "attackers got {other:?}");
    let peak = peak.max(most);
    assert!(
        peak < RSS_LIMIT_KIB,
        "the gateway's resident memory peaked at {peak} KiB"
    );

    gateway.terminate();
    let exit = gateway.wait_exit(Duration::from_secs(20)).await;
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}");
    let logs = gateway.all_logs().join("\n");
    assert!(!logs.contains("panicked"), "the gateway panicked:\n{logs}");
}
