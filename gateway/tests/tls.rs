//! HTTPS on the webhook port over real TLS, with test certificate
//! authorities made by rcgen: a delivery, a certificate renewed in place
//! as the kubelet updates a mounted Secret, a broken renewal, slow TLS
//! clients, and a start with a missing file.
//!
//! The only time bound asserted is the documented one: a renewed
//! certificate serves new connections within 10 s of the files changing
//! (slow clients are held to the same bound, far above their timeouts).

mod support;

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kargo_webhook_gateway::internals::TlsFiles;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use serde_json::json;
use support::{AUTH, Gateway, Options, PULL, PUSH, start, try_start};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// New connections get a renewed certificate within this.
const BOUND: Duration = Duration::from_secs(10);

/// A test certificate authority.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate for `127.0.0.1` and its key.
struct Leaf {
    der: Vec<u8>,
    pem: String,
    key_pem: String,
    not_after: i64,
}

impl TestCa {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn leaf(&self) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("leaf params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_after = rcgen::date_time_ymd(2035, 3, 1);
        let not_after = params.not_after.unix_timestamp();
        let key = KeyPair::generate().expect("leaf key");
        let certificate = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf {
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            not_after,
        }
    }
}

/// A directory laid out as the kubelet mounts a Secret: `tls.crt` and
/// `tls.key` are symlinks through `..data`, a symlink to the current
/// version's directory; an update writes a new directory and swaps
/// `..data` in one rename, so the files' paths never change.
struct SecretVolume {
    dir: tempfile::TempDir,
    version: u32,
}

impl SecretVolume {
    fn new(certificate_pem: &str, key_pem: &str) -> Self {
        let mut volume = Self {
            dir: tempfile::tempdir().expect("temporary directory"),
            version: 0,
        };
        volume.update(certificate_pem, key_pem);
        for name in ["tls.crt", "tls.key"] {
            std::os::unix::fs::symlink(format!("..data/{name}"), volume.dir.path().join(name))
                .expect("file symlink");
        }
        volume
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            certificate: self.dir.path().join("tls.crt"),
            key: self.dir.path().join("tls.key"),
        }
    }

    fn update(&mut self, certificate_pem: &str, key_pem: &str) {
        self.version += 1;
        let root = self.dir.path();
        let version = format!("..version-{}", self.version);
        std::fs::create_dir(root.join(&version)).expect("version directory");
        std::fs::write(root.join(&version).join("tls.crt"), certificate_pem).expect("write");
        std::fs::write(root.join(&version).join("tls.key"), key_pem).expect("write");
        std::os::unix::fs::symlink(&version, root.join("..data_tmp")).expect("symlink");
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).expect("swap ..data");
    }
}

/// A client that trusts only `authorities`, opens a new connection for
/// every request, and reports the certificate each connection was served.
fn client(authorities: &[&TestCa]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .tls_info(true)
        .pool_max_idle_per_host(0);
    for authority in authorities {
        let root = reqwest::Certificate::from_pem(authority.pem().as_bytes()).expect("CA PEM");
        builder = builder.add_root_certificate(root);
    }
    builder.build().expect("client")
}

/// The certificate a new connection to `url` is served (a GET: answered
/// 405, no delivery).
async fn served_certificate(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let response = client.get(url).send().await.expect("HTTPS request");
    assert_eq!(response.status().as_u16(), 405);
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the peer certificate")
        .to_vec()
}

/// Waits until `check` holds, failing after [`BOUND`].
async fn within_bound<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + BOUND;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {BOUND:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn reloads(gateway: &Gateway, result: &str) -> bool {
    gateway.metrics.encode().contains(&format!(
        "kargo_webhook_tls_certificate_reloads_total{{result=\"{result}\"}} 1\n"
    ))
}

fn not_after_metric(leaf: &Leaf) -> String {
    format!(
        "kargo_webhook_tls_certificate_not_after_timestamp_seconds {}\n",
        leaf.not_after
    )
}

async fn https_gateway(volume: &SecretVolume, authority: &TestCa) -> Gateway {
    let mut gateway = start(Options {
        tls: Some(volume.files()),
        ..Options::default()
    })
    .await;
    gateway.client = client(&[authority]);
    gateway
}

#[tokio::test]
async fn a_harbor_delivery_over_https_refreshes() {
    let authority = TestCa::new("test CA");
    let leaf = authority.leaf();
    let volume = SecretVolume::new(&leaf.pem, &leaf.key_pem);
    let gateway = https_gateway(&volume, &authority).await;
    assert!(
        gateway.url.starts_with("https://127.0.0.1:"),
        "{}",
        gateway.url
    );

    let (status, body) = gateway.post(&gateway.url, Some(AUTH), PUSH).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"msg": "refreshed 2 warehouse(s)", "warehouses": ["team-a/nginx-any", "team-a/nginx-semver"]})
        )
    );
    assert_eq!(
        gateway.patched(),
        ["team-a/nginx-any", "team-a/nginx-semver"]
    );
    assert_eq!(
        served_certificate(&gateway.client, &gateway.url).await,
        leaf.der
    );
    assert!(
        gateway.metrics.encode().contains(&not_after_metric(&leaf)),
        "{}",
        gateway.metrics.encode()
    );

    // The port speaks HTTPS only: plain HTTP gets no answer.
    let plain = gateway.url.replacen("https://", "http://", 1);
    let answer = reqwest::Client::new()
        .post(&plain)
        .header("authorization", AUTH)
        .body(PUSH)
        .send()
        .await;
    assert!(answer.is_err(), "plain HTTP was answered: {answer:?}");
    assert_eq!(gateway.patched().len(), 2);
}

#[tokio::test]
async fn a_renewed_certificate_serves_new_connections_without_a_restart() {
    let old_authority = TestCa::new("old CA");
    let old = old_authority.leaf();
    let mut volume = SecretVolume::new(&old.pem, &old.key_pem);
    let mut gateway = https_gateway(&volume, &old_authority).await;
    assert_eq!(
        served_certificate(&gateway.client, &gateway.url).await,
        old.der
    );

    let new_authority = TestCa::new("new CA");
    let new = new_authority.leaf();
    volume.update(&new.pem, &new.key_pem);
    let either = client(&[&old_authority, &new_authority]);
    within_bound("the renewed certificate is served", || async {
        served_certificate(&either, &gateway.url).await == new.der
    })
    .await;

    // A sender that trusts only the new authority delivers.
    gateway.client = client(&[&new_authority]);
    let (status, _) = gateway.post(&gateway.url, Some(AUTH), PULL).await;
    assert_eq!(status, 200);
    assert!(reloads(&gateway, "success"));
    let metrics = gateway.metrics.encode();
    assert!(metrics.contains(&not_after_metric(&new)), "{metrics}");
    assert!(!metrics.contains("result=\"error\""), "{metrics}");
}

#[tokio::test]
async fn a_broken_renewal_keeps_the_old_certificate_and_is_counted() {
    let authority = TestCa::new("test CA");
    let old = authority.leaf();
    let mut volume = SecretVolume::new(&old.pem, &old.key_pem);
    let gateway = https_gateway(&volume, &authority).await;

    // A new certificate with the key of another one.
    let new = authority.leaf();
    let stranger = authority.leaf();
    volume.update(&new.pem, &stranger.key_pem);
    within_bound("the refused reload is counted", || async {
        reloads(&gateway, "error")
    })
    .await;
    assert_eq!(
        served_certificate(&gateway.client, &gateway.url).await,
        old.der
    );
    let (status, _) = gateway.post(&gateway.url, Some(AUTH), PULL).await;
    assert_eq!(status, 200);
    let metrics = gateway.metrics.encode();
    assert!(metrics.contains(&not_after_metric(&old)), "{metrics}");
    assert!(!metrics.contains("result=\"success\""), "{metrics}");

    // Fixed: the new certificate serves.
    volume.update(&new.pem, &new.key_pem);
    within_bound("the fixed certificate is served", || async {
        served_certificate(&gateway.client, &gateway.url).await == new.der
    })
    .await;
}

#[tokio::test]
async fn a_missing_file_fails_the_start_with_its_name() {
    let authority = TestCa::new("test CA");
    let leaf = authority.leaf();
    let volume = SecretVolume::new(&leaf.pem, &leaf.key_pem);
    let missing = volume.dir.path().join("absent.key");
    let error = try_start(Options {
        tls: Some(TlsFiles {
            key: missing.clone(),
            ..volume.files()
        }),
        ..Options::default()
    })
    .await
    .expect_err("a missing key file fails the start");
    let message = format!("{error:#}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(&format!("cannot read {}: ", missing.display())),
        "{message}"
    );
    assert!(message.contains("No such file"), "{message}");
}

// ------------------------------------------------------------- slow clients

/// A gateway whose header timeout (hence TLS handshake timeout) and
/// keep-alive are 1 s.
async fn impatient_https_gateway(volume: &SecretVolume) -> Gateway {
    start(Options {
        tls: Some(volume.files()),
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        keep_alive: Duration::from_secs(1),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_connection_that_never_says_hello_is_closed() {
    let authority = TestCa::new("test CA");
    let leaf = authority.leaf();
    let volume = SecretVolume::new(&leaf.pem, &leaf.key_pem);
    let gateway = impatient_https_gateway(&volume).await;
    let mut silent = tokio::net::TcpStream::connect(gateway.address)
        .await
        .expect("connect");
    let mut sink = [0u8; 64];
    let closed = tokio::time::timeout(BOUND, async {
        loop {
            match silent.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a silent TLS connection stayed open");
}

/// The idle watch reaches TLS connections: after a quick delivery, a next
/// head sent byte by byte on the same connection is cut off (without the
/// watch, it would go on for minutes).
#[tokio::test]
async fn a_slow_second_request_over_tls_is_cut_off() {
    let authority = TestCa::new("test CA");
    let leaf = authority.leaf();
    let volume = SecretVolume::new(&leaf.pem, &leaf.key_pem);
    let gateway = impatient_https_gateway(&volume).await;
    let (address, path, root) = (gateway.address, gateway.path.clone(), authority.pem());
    let outcome = tokio::task::spawn_blocking(move || slow_second_request(address, &path, &root))
        .await
        .expect("blocking client");
    assert_eq!(outcome, Ok(()), "the slow connection stayed open");
}

/// Over blocking TLS: one delivery, then a padded head one byte every
/// 50 ms until the gateway closes the connection (`Ok`) or [`BOUND`]
/// passes (`Err`).
fn slow_second_request(address: SocketAddr, path: &str, root_pem: &str) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    let root =
        rustls::pki_types::CertificateDer::from_pem_slice(root_pem.as_bytes()).expect("CA PEM");
    roots.add(root).expect("CA");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let connection = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let socket = std::net::TcpStream::connect(address).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    let mut stream = rustls::StreamOwned::new(connection, socket);

    let delivery = format!(
        "POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: {AUTH}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        PULL.len()
    );
    stream.write_all(delivery.as_bytes()).expect("head");
    stream.write_all(PULL).expect("body");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut buffer = [0u8; 1024];
        match stream.read(&mut buffer) {
            Ok(0) => return Err("closed before answering".to_owned()),
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(format!("no answer: {e}")),
        }
        if started.elapsed() > BOUND {
            return Err("no answer".to_owned());
        }
    }
    if !answer.starts_with(b"HTTP/1.1 200") {
        return Err(format!("answered {:?}", String::from_utf8_lossy(&answer)));
    }

    let next_head = format!(
        "POST {path} HTTP/1.1\r\nX-Padding: {}\r\n\r\n",
        "x".repeat(4096)
    );
    let started = std::time::Instant::now();
    for byte in next_head.bytes() {
        if stream.write_all(&[byte]).is_err() {
            return Ok(());
        }
        let mut buffer = [0u8; 1024];
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(()),
        }
        if started.elapsed() > BOUND {
            return Err("still open".to_owned());
        }
    }
    Err("the whole head went through".to_owned())
}
