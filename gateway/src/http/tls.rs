//! HTTPS on the webhook port, for installs that expose the gateway without
//! an Ingress to terminate TLS (a LoadBalancer Service).
//!
//! The certificate chain and key come from two PEM files, normally a
//! mounted Kubernetes Secret that cert-manager renews. Every handshake
//! takes the key pair [`CertificateResolver`] holds at that moment, and a
//! [`Reloader`] re-reads the files every [`RELOAD_INTERVAL`] and swaps in
//! a new pair when their content has changed. Content, not modification
//! times: Kubernetes updates a mounted Secret by swapping a `..data`
//! symlink, which leaves what a `stat` of the file names says unchanged.
//!
//! A new pair that cannot serve (unreadable, not PEM, a key that is not
//! the certificate's) is refused and the old pair keeps serving; the
//! refusal is logged once per change and counted. No message ever quotes
//! the key file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use zeroize::Zeroizing;

use crate::metrics::{Metrics, NoLabels, ReloadLabels};

/// How often the files are re-read. A renewed certificate serves new
/// connections at most this long (plus a read) after the files change.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The largest certificate or key file read: far above any real chain,
/// and a path pointed at something endless fails instead of hanging.
const FILE_LIMIT: u64 = 1024 * 1024;

/// The two files of a key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's certificate first.
    pub certificate: PathBuf,
    /// PEM private key of that certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a key pair cannot serve. Each message names the file at fault and
/// never quotes the key file's content.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// A file cannot be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What reading it said.
        error: std::io::Error,
    },
    /// A file is larger than any certificate chain or key.
    #[error("{}: larger than {} bytes", path.display(), FILE_LIMIT)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{}: no PEM certificate (BEGIN CERTIFICATE) in the file", path.display())]
    NoCertificate {
        /// The certificate file.
        path: PathBuf,
    },
    /// The certificate file is not well-formed PEM.
    #[error("{}: malformed PEM: {reason}", path.display())]
    MalformedCertificate {
        /// The certificate file.
        path: PathBuf,
        /// What the PEM reader said (a certificate is public).
        reason: String,
    },
    /// The first certificate is not a valid X.509 certificate.
    #[error("{}: the first certificate is not valid X.509: {reason}", path.display())]
    InvalidCertificate {
        /// The certificate file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// The key file holds no PEM private key.
    #[error("{}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in the file", path.display())]
    NoKey {
        /// The key file.
        path: PathBuf,
    },
    /// The key file is not well-formed PEM. The PEM reader's own message
    /// is left out: it can quote a line of the file.
    #[error("{}: malformed PEM private key", path.display())]
    MalformedKey {
        /// The key file.
        path: PathBuf,
    },
    /// The key is of a kind the gateway cannot sign with.
    #[error("{}: unusable private key: {reason}", path.display())]
    UnusableKey {
        /// The key file.
        path: PathBuf,
        /// What rustls said (it names the key types it tried).
        reason: String,
    },
    /// The key is not the one the certificate was issued for.
    #[error("{}: the private key does not match the certificate in {}", key.display(), certificate.display())]
    Mismatch {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
    },
}

/// A key pair that can serve, with what logs and metrics say of it.
#[derive(Debug, Clone)]
pub struct LoadedPair {
    certified: Arc<CertifiedKey>,
    /// The certificate's notAfter, in Unix seconds.
    pub not_after: i64,
    /// The certificate's notAfter, for people (RFC 2822).
    pub not_after_text: String,
    /// The certificate's serial number (hex, colon-separated).
    pub serial: String,
}

/// Parses a key pair from the two files' content; `files` only names them
/// in errors.
pub fn parse_pair(
    files: &TlsFiles,
    certificate_pem: &[u8],
    key_pem: &[u8],
    provider: &CryptoProvider,
) -> Result<LoadedPair, PairError> {
    let chain = CertificateDer::pem_slice_iter(certificate_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| PairError::MalformedCertificate {
            path: files.certificate.clone(),
            reason: error.to_string(),
        })?;
    let leaf = chain.first().ok_or_else(|| PairError::NoCertificate {
        path: files.certificate.clone(),
    })?;
    let (not_after, not_after_text, serial) = match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, parsed)) => {
            let not_after = &parsed.validity().not_after;
            (
                not_after.timestamp(),
                not_after
                    .to_rfc2822()
                    .unwrap_or_else(|_| not_after.to_string()),
                parsed.raw_serial_as_string(),
            )
        }
        Err(error) => {
            return Err(PairError::InvalidCertificate {
                path: files.certificate.clone(),
                reason: error.to_string(),
            });
        }
    };
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|error| match error {
        pem::Error::NoItemsFound => PairError::NoKey {
            path: files.key.clone(),
        },
        _ => PairError::MalformedKey {
            path: files.key.clone(),
        },
    })?;
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|error| PairError::UnusableKey {
            path: files.key.clone(),
            reason: error.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(PairError::Mismatch {
                certificate: files.certificate.clone(),
                key: files.key.clone(),
            });
        }
        // rustls's own loader accepts a key that cannot tell its public
        // half; the handshake's signature check still catches a wrong one.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(error) => {
            return Err(PairError::InvalidCertificate {
                path: files.certificate.clone(),
                reason: error.to_string(),
            });
        }
    }
    Ok(LoadedPair {
        certified: Arc::new(certified),
        not_after,
        not_after_text,
        serial,
    })
}

/// What the files held at one look, reduced to what telling looks apart
/// needs: a digest of the content, or the read error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Content(blake3::Hash),
    Unreadable(String),
}

/// A file's content, wiped on drop (the key's, at least, is secret).
type Content = Zeroizing<Vec<u8>>;

/// One look at the files. Not `Debug`: it holds the key.
struct Snapshot {
    seen: Seen,
    /// The certificate and key files' content.
    content: Result<(Content, Content), PairError>,
}

impl Snapshot {
    fn read(files: &TlsFiles) -> Self {
        let content = read_file(&files.certificate)
            .and_then(|certificate| Ok((certificate, read_file(&files.key)?)));
        let seen = match &content {
            Ok((certificate, key)) => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(&(certificate.len() as u64).to_le_bytes());
                hasher.update(certificate);
                hasher.update(key);
                Seen::Content(hasher.finalize())
            }
            Err(error) => Seen::Unreadable(error.to_string()),
        };
        Self { seen, content }
    }

    fn parse(self, files: &TlsFiles, provider: &CryptoProvider) -> Result<LoadedPair, PairError> {
        let (certificate, key) = self.content?;
        parse_pair(files, &certificate, &key, provider)
    }
}

/// Reads a whole file of at most [`FILE_LIMIT`] bytes.
fn read_file(path: &Path) -> Result<Content, PairError> {
    let mut content = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|file| file.take(FILE_LIMIT + 1).read_to_end(&mut content))
        .map_err(|error| PairError::Read {
            path: path.to_owned(),
            error,
        })?;
    if content.len() as u64 > FILE_LIMIT {
        return Err(PairError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(content)
}

/// What one look at the files leads to.
#[derive(Debug)]
enum Verdict<T> {
    /// The files hold what serves, or a refusal already reported.
    Nothing,
    /// A new pair that can serve: swap it in.
    Serve(T),
    /// A new pair that cannot serve and has held still for two looks:
    /// report it (once).
    Refuse(PairError),
    /// A new pair that cannot serve, seen once: it may be half written
    /// (files replaced one after the other), so look again first.
    Wait,
}

/// Tells, look after look, whether the files changed and what to do.
#[derive(Debug)]
struct ChangeTracker {
    /// What the serving pair was read from.
    serving: Seen,
    /// The previous look.
    previous: Seen,
    /// The refused content last reported, not to report it twice.
    reported: Option<Seen>,
}

impl ChangeTracker {
    fn new(serving: Seen) -> Self {
        Self {
            previous: serving.clone(),
            serving,
            reported: None,
        }
    }

    /// Judges a look; `parse` runs only for content not judged before.
    fn look<T>(&mut self, seen: Seen, parse: impl FnOnce() -> Result<T, PairError>) -> Verdict<T> {
        let previous = std::mem::replace(&mut self.previous, seen.clone());
        if seen == self.serving {
            self.reported = None;
            return Verdict::Nothing;
        }
        if self.reported.as_ref() == Some(&seen) {
            return Verdict::Nothing;
        }
        match parse() {
            Ok(pair) => {
                self.serving = seen;
                self.reported = None;
                Verdict::Serve(pair)
            }
            Err(error) if previous == seen => {
                self.reported = Some(seen);
                Verdict::Refuse(error)
            }
            Err(_) => Verdict::Wait,
        }
    }
}

/// Gives every handshake the current key pair; [`Reloader`] swaps it.
#[derive(Debug)]
pub struct CertificateResolver {
    current: ArcSwap<CertifiedKey>,
}

impl ResolvesServerCert for CertificateResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// Re-reads the key pair's files and swaps a changed pair in; see
/// [`Reloader::run`].
#[derive(Debug)]
pub struct Reloader {
    files: TlsFiles,
    /// Weak: the reloader ends once the server (holding the only strong
    /// references, in its TLS configuration) is gone.
    resolver: Weak<CertificateResolver>,
    provider: Arc<CryptoProvider>,
    metrics: Arc<Metrics>,
    tracker: ChangeTracker,
    interval: Duration,
}

/// Why HTTPS cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The key pair cannot serve.
    #[error(transparent)]
    Pair(#[from] PairError),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Loads the key pair (the error names the file and what is wrong) and
/// returns the server's TLS configuration with the [`Reloader`] that keeps
/// it current (spawn [`Reloader::run`]). Sets the expiry metric.
pub fn load(
    files: &TlsFiles,
    metrics: Arc<Metrics>,
    interval: Duration,
) -> Result<(ServerConfig, Reloader), TlsError> {
    // ring, as kube's client uses: one crypto library in the binary.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let snapshot = Snapshot::read(files);
    let seen = snapshot.seen.clone();
    let pair = snapshot.parse(files, &provider)?;
    set_not_after(&metrics, &pair);
    tracing::info!(
        certificate = %files.certificate.display(),
        serial = %pair.serial,
        not_after = %pair.not_after_text,
        "serving HTTPS on the webhook port"
    );
    let resolver = Arc::new(CertificateResolver {
        current: ArcSwap::new(pair.certified),
    });
    let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(&resolver) as Arc<dyn ResolvesServerCert>);
    // No session resumption: every connection gets a full handshake with
    // the current certificate (a session resumed from before a renewal
    // would go on without one). Webhook senders open few connections, so
    // resumption would save little.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let reloader = Reloader {
        files: files.clone(),
        resolver: Arc::downgrade(&resolver),
        provider,
        metrics,
        tracker: ChangeTracker::new(seen),
        interval,
    };
    Ok((config, reloader))
}

fn set_not_after(metrics: &Metrics, pair: &LoadedPair) {
    metrics
        .tls_not_after
        .get_or_create(&NoLabels {})
        .set(pair.not_after);
}

impl Reloader {
    /// Looks at the files every interval until the server is gone.
    pub async fn run(mut self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate, and `load` has just read the files.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let files = self.files.clone();
            let Ok(snapshot) = tokio::task::spawn_blocking(move || Snapshot::read(&files)).await
            else {
                continue;
            };
            let Some(resolver) = self.resolver.upgrade() else {
                return;
            };
            let seen = snapshot.seen.clone();
            let (files, provider) = (&self.files, &self.provider);
            match self.tracker.look(seen, || snapshot.parse(files, provider)) {
                Verdict::Nothing | Verdict::Wait => {}
                Verdict::Serve(pair) => {
                    resolver.current.store(Arc::clone(&pair.certified));
                    set_not_after(&self.metrics, &pair);
                    self.count("success");
                    tracing::info!(
                        certificate = %self.files.certificate.display(),
                        serial = %pair.serial,
                        not_after = %pair.not_after_text,
                        "reloaded the webhook TLS certificate"
                    );
                }
                Verdict::Refuse(error) => {
                    self.count("error");
                    tracing::warn!(
                        %error,
                        "refused the changed TLS certificate files; still serving the previous certificate"
                    );
                }
            }
        }
    }

    fn count(&self, result: &'static str) {
        self.metrics
            .tls_reloads
            .get_or_create(&ReloadLabels { result })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> TlsFiles {
        TlsFiles {
            certificate: PathBuf::from("/tls/tls.crt"),
            key: PathBuf::from("/tls/tls.key"),
        }
    }

    fn provider() -> CryptoProvider {
        rustls::crypto::ring::default_provider()
    }

    /// A self-signed certificate for `localhost`: (certificate PEM, key
    /// PEM, notAfter in Unix seconds).
    fn self_signed() -> (String, String, i64) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params.not_after = rcgen::date_time_ymd(2031, 7, 9);
        let not_after = params.not_after.unix_timestamp();
        let certificate = params.self_signed(&key).expect("certificate");
        (certificate.pem(), key.serialize_pem(), not_after)
    }

    #[test]
    fn a_matching_pair_loads_with_its_expiry() {
        let (certificate, key, not_after) = self_signed();
        let pair = parse_pair(
            &files(),
            certificate.as_bytes(),
            key.as_bytes(),
            &provider(),
        )
        .expect("loads");
        assert_eq!(pair.not_after, not_after);
        assert!(
            pair.not_after_text.contains("2031"),
            "{}",
            pair.not_after_text
        );
        assert!(!pair.serial.is_empty());
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (certificate, _, _) = self_signed();
        let (_, other_key, _) = self_signed();
        let error = parse_pair(
            &files(),
            certificate.as_bytes(),
            other_key.as_bytes(),
            &provider(),
        )
        .expect_err("mismatch");
        assert_eq!(
            error.to_string(),
            "/tls/tls.key: the private key does not match the certificate in /tls/tls.crt"
        );
    }

    #[test]
    fn each_broken_file_is_named_with_what_is_wrong() {
        let (certificate, key, _) = self_signed();
        let cases: [(&str, &str, &str); 4] = [
            ("", &key, "/tls/tls.crt: no PEM certificate"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                &key,
                "/tls/tls.crt: the first certificate is not valid X.509",
            ),
            (
                &certificate,
                "not a key",
                "/tls/tls.key: no PEM private key",
            ),
            (
                &certificate,
                "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n",
                "/tls/tls.key: malformed PEM private key",
            ),
        ];
        for (certificate, key, expected) in cases {
            let error = parse_pair(
                &files(),
                certificate.as_bytes(),
                key.as_bytes(),
                &provider(),
            )
            .expect_err("refused")
            .to_string();
            assert!(error.starts_with(expected), "{error}");
            assert!(!error.contains("TOPSECRET"), "{error}");
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let missing = TlsFiles {
            certificate: PathBuf::from("/nonexistent/tls.crt"),
            key: PathBuf::from("/nonexistent/tls.key"),
        };
        let error = Snapshot::read(&missing)
            .parse(&missing, &provider())
            .expect_err("missing")
            .to_string();
        assert!(
            error.starts_with("cannot read /nonexistent/tls.crt: "),
            "{error}"
        );
    }

    #[test]
    fn an_endless_file_is_refused() {
        let endless = TlsFiles {
            certificate: PathBuf::from("/dev/zero"),
            key: PathBuf::from("/dev/zero"),
        };
        let error = Snapshot::read(&endless)
            .parse(&endless, &provider())
            .expect_err("endless")
            .to_string();
        assert_eq!(error, "/dev/zero: larger than 1048576 bytes");
    }

    fn content(byte: u8) -> Seen {
        Seen::Content(blake3::hash(&[byte]))
    }

    fn valid() -> Result<(), PairError> {
        Ok(())
    }

    fn invalid() -> Result<(), PairError> {
        Err(PairError::NoKey {
            path: PathBuf::from("k"),
        })
    }

    fn verdict(tracker: &mut ChangeTracker, seen: Seen, ok: bool) -> &'static str {
        let parse = if ok { valid } else { invalid };
        match tracker.look(seen, parse) {
            Verdict::Nothing => "nothing",
            Verdict::Serve(()) => "serve",
            Verdict::Refuse(_) => "refuse",
            Verdict::Wait => "wait",
        }
    }

    #[test]
    fn unchanged_files_are_not_parsed_again() {
        let mut tracker = ChangeTracker::new(content(1));
        let verdict = tracker.look(content(1), || -> Result<(), PairError> {
            panic!("parsed unchanged content")
        });
        assert!(matches!(verdict, Verdict::Nothing));
    }

    #[test]
    fn a_valid_change_serves_at_once() {
        let mut tracker = ChangeTracker::new(content(1));
        assert_eq!(verdict(&mut tracker, content(2), true), "serve");
        assert_eq!(verdict(&mut tracker, content(2), true), "nothing");
    }

    #[test]
    fn a_refusal_waits_for_stable_files_and_is_reported_once_per_change() {
        let mut tracker = ChangeTracker::new(content(1));
        // Half written, then complete: never reported.
        assert_eq!(verdict(&mut tracker, content(2), false), "wait");
        assert_eq!(verdict(&mut tracker, content(3), true), "serve");
        // Broken and staying so: reported on the second look, once.
        assert_eq!(verdict(&mut tracker, content(4), false), "wait");
        assert_eq!(verdict(&mut tracker, content(4), false), "refuse");
        assert_eq!(verdict(&mut tracker, content(4), false), "nothing");
        // Another broken content is another change.
        let unreadable = Seen::Unreadable("cannot read k".to_owned());
        assert_eq!(verdict(&mut tracker, unreadable.clone(), false), "wait");
        assert_eq!(verdict(&mut tracker, unreadable, false), "refuse");
        // Back to what serves, then the same breakage again: reported again.
        assert_eq!(verdict(&mut tracker, content(3), true), "nothing");
        assert_eq!(verdict(&mut tracker, content(4), false), "wait");
        assert_eq!(verdict(&mut tracker, content(4), false), "refuse");
        // Fixed.
        assert_eq!(verdict(&mut tracker, content(5), true), "serve");
    }
}
