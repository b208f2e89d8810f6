//! The control plane: etcd and kube-apiserver on loopback ports, the Kargo
//! CRDs installed, clients for the two identities, and the fault switches
//! (stop/start the API server, pause/resume etcd, a second API server on
//! the same etcd) for failure tests.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use rustix::process::Signal;

use crate::binaries::Binaries;
use crate::error::{Error, Result};
use crate::guardian::Guardian;
use crate::identity::{Identity, Tokens};
use crate::readiness::{self, Watched};
use crate::server_flags::{Layout, apiserver_url_on};
use crate::service_account_key::ServiceAccountKey;
use crate::{kubeconfig, manifests, paths, ports, process};

const ETCD: &str = "etcd";
const APISERVER: &str = "apiserver";
/// The guardian's name for the second API server (lowercase letters only).
const EXTRA_APISERVER: &str = "extraapiserver";

/// A running etcd + kube-apiserver pair with the Kargo CRDs installed.
///
/// Its servers run under a guardian process that stops them and removes the
/// data directory when this value is dropped or [`stop`](Self::stop)ped,
/// and equally when the owning process dies without dropping it (a panic,
/// SIGKILL, or a `static` that is never dropped).
///
/// Clients are made per call ([`admin_client`](Self::admin_client)) because a
/// `kube::Client` belongs to the tokio runtime it was made in, and every
/// `#[tokio::test]` has its own.
#[derive(Debug)]
pub struct ControlPlane {
    layout: Layout,
    binaries: Binaries,
    servers: Mutex<Servers>,
    admin_config: kube::Config,
    gateway_config: kube::Config,
    admin_kubeconfig: PathBuf,
    gateway_kubeconfig: PathBuf,
    namespaces_made: AtomicU64,
}

/// The processes, behind one lock so that start/stop never interleave.
#[derive(Debug)]
struct Servers {
    guardian: Guardian,
    etcd_pid: u32,
    /// `None` while stopped by [`ControlPlane::stop_apiserver`].
    apiserver_pid: Option<u32>,
}

impl ControlPlane {
    /// The control plane shared by every test of this test binary, started
    /// on first use (building the binaries first if needed, which can take
    /// many minutes once).
    ///
    /// # Panics
    /// If it cannot start, with the reason (tests never skip). Every later
    /// call panics with the same reason without retrying.
    pub fn shared() -> &'static ControlPlane {
        static SHARED: OnceLock<std::result::Result<ControlPlane, String>> = OnceLock::new();
        let started = SHARED.get_or_init(|| {
            // Started on a thread of its own: the caller may be inside a
            // runtime (a #[tokio::test]) that must not be blocked on.
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("building a tokio runtime: {e}"))?;
                runtime
                    .block_on(ControlPlane::start())
                    .map_err(|e| e.to_string())
            })
            .join()
            .unwrap_or_else(|_| Err("the start-up thread panicked".into()))
        });
        match started {
            Ok(control_plane) => control_plane,
            Err(reason) => panic!("the test control plane could not start: {reason}"),
        }
    }

    /// Starts a private control plane: finds or builds the binaries, starts
    /// etcd and kube-apiserver, waits for `/readyz` and installs the CRDs of
    /// `config/crd/`.
    pub async fn start() -> Result<Self> {
        let binaries = tokio::task::spawn_blocking(Binaries::locate_or_build)
            .await
            .map_err(|e| Error::Build(format!("the build task failed: {e}")))??;
        Self::start_with(binaries).await
    }

    /// Like [`start`](Self::start), with the given binaries.
    pub async fn start_with(binaries: Binaries) -> Result<Self> {
        let data_dir = tempfile::Builder::new()
            .prefix("kargo-testenv-")
            .tempdir()
            .map_err(|e| Error::io("creating the data directory", e))?
            // From here on the guardian owns the directory's removal.
            .keep();
        let mut guardian = Guardian::spawn(&data_dir)?;
        // It holds bearer tokens and a signing key: owner only.
        std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("restricting the data directory", e))?;

        let [etcd_client_port, etcd_peer_port, apiserver_port] =
            <[u16; 3]>::try_from(ports::free_loopback_ports(3)?)
                .map_err(|_| Error::Guardian("port allocation returned a wrong count".into()))?;
        let tokens = Tokens::generate();
        let token_file = data_dir.join("tokens.csv");
        tokens.write_token_file(&token_file)?;
        let layout = Layout {
            service_account_key: ServiceAccountKey::generate_into(&data_dir)?,
            data_dir,
            etcd_client_port,
            etcd_peer_port,
            apiserver_port,
            token_file,
        };

        let etcd_pid = guardian.start(ETCD, &binaries.etcd, &layout.etcd_args())?;
        let apiserver_pid = guardian.start(
            APISERVER,
            &binaries.kube_apiserver,
            &layout.apiserver_args(),
        )?;
        let since = Instant::now();
        let apiserver_log = guardian.log_path(APISERVER);
        let watched = Watched {
            pid: apiserver_pid,
            log: &apiserver_log,
            since,
        };
        let cert = layout.apiserver_cert();
        readiness::wait_for(&watched, || readiness::certificate_written(&cert)).await?;

        let write_kubeconfig = |identity| {
            kubeconfig::write(
                &layout.data_dir,
                identity,
                &layout.apiserver_url(),
                &cert,
                tokens.of(identity),
            )
        };
        let admin_kubeconfig = write_kubeconfig(Identity::Admin)?;
        let gateway_kubeconfig = write_kubeconfig(Identity::Gateway)?;
        let control_plane = Self {
            admin_config: kubeconfig::load(&admin_kubeconfig).await?,
            gateway_config: kubeconfig::load(&gateway_kubeconfig).await?,
            admin_kubeconfig,
            gateway_kubeconfig,
            layout,
            binaries,
            servers: Mutex::new(Servers {
                guardian,
                etcd_pid,
                apiserver_pid: Some(apiserver_pid),
            }),
            namespaces_made: AtomicU64::new(0),
        };
        control_plane.wait_until_ready(apiserver_pid, since).await?;
        manifests::install_crds(&control_plane.client(Identity::Admin)?, &paths::crd_dir()).await?;
        Ok(control_plane)
    }

    /// Stops both servers, removes the data directory, and waits for all of
    /// that to finish. Dropping the value does the same, without reporting
    /// errors.
    pub fn stop(self) -> Result<()> {
        self.lock_servers().guardian.shut_down()
    }

    /// `https://127.0.0.1:<port>`: the API server's URL. It stays the same
    /// across [`stop_apiserver`](Self::stop_apiserver) /
    /// [`start_apiserver`](Self::start_apiserver).
    pub fn server_url(&self) -> String {
        self.layout.apiserver_url()
    }

    /// `http://127.0.0.1:<port>`: etcd's client URL.
    pub fn etcd_url(&self) -> String {
        self.layout.etcd_url()
    }

    /// The temporary directory holding etcd's data, the certificates, the
    /// kubeconfigs and the servers' logs (`etcd.log`, `apiserver.log`).
    pub fn data_dir(&self) -> &Path {
        &self.layout.data_dir
    }

    /// The API server's certificate, which clients use as their CA.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.layout.apiserver_cert()
    }

    /// The binaries this control plane runs.
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// The kubeconfig file of `identity` (written at start; usable with
    /// `kubectl --kubeconfig` or a gateway's `KUBECONFIG`).
    pub fn kubeconfig_path(&self, identity: Identity) -> &Path {
        match identity {
            Identity::Admin => &self.admin_kubeconfig,
            Identity::Gateway => &self.gateway_kubeconfig,
        }
    }

    /// The client configuration of `identity`, for callers that want to
    /// adjust it (timeouts, retries) before making a client.
    pub fn config(&self, identity: Identity) -> kube::Config {
        match identity {
            Identity::Admin => self.admin_config.clone(),
            Identity::Gateway => self.gateway_config.clone(),
        }
    }

    /// A client acting as `identity`. Call it inside the tokio runtime that
    /// will use the client.
    pub fn client(&self, identity: Identity) -> Result<kube::Client> {
        kube::Client::try_from(self.config(identity))
            .map_err(|e| Error::kube(format!("making the {} client", identity.short_name()), e))
    }

    /// A cluster-admin client (group `system:masters`).
    ///
    /// # Panics
    /// If the client cannot be made (e.g. outside a tokio runtime).
    pub fn admin_client(&self) -> kube::Client {
        self.client(Identity::Admin)
            .unwrap_or_else(|e| panic!("admin client: {e}"))
    }

    /// A client acting as the gateway's ServiceAccount, with only the rights
    /// RBAC gives it.
    ///
    /// # Panics
    /// If the client cannot be made (e.g. outside a tokio runtime).
    pub fn gateway_client(&self) -> kube::Client {
        self.client(Identity::Gateway)
            .unwrap_or_else(|e| panic!("gateway client: {e}"))
    }

    /// Creates a namespace named `<prefix>-<n>-<random>` and returns its name.
    /// `prefix` is reduced to a valid DNS label part.
    ///
    /// # Panics
    /// If the namespace cannot be created.
    pub async fn fresh_namespace(&self, prefix: &str) -> String {
        let name = self.unique_namespace_name(prefix);
        let namespace = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(self.admin_client())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
        name
    }

    /// Server-side applies the YAML objects of `path` (a file, or a
    /// directory of `.yaml` files in name order) as the admin. Returns one
    /// `Kind/[namespace/]name` per object.
    pub async fn apply_manifests(&self, path: &Path) -> Result<Vec<String>> {
        manifests::apply_manifests(&self.client(Identity::Admin)?, path).await
    }

    /// Applies `config/samples/`: the Harbor guide's namespace, Secret,
    /// ProjectConfig and Warehouses.
    pub async fn apply_samples(&self) -> Result<Vec<String>> {
        self.apply_manifests(&paths::samples_dir()).await
    }

    /// The API server's process id, `None` while it is stopped.
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.lock_servers().apiserver_pid
    }

    /// etcd's process id.
    pub fn etcd_pid(&self) -> u32 {
        self.lock_servers().etcd_pid
    }

    /// The guardian's process id (the parent of both servers).
    pub fn guardian_pid(&self) -> u32 {
        self.lock_servers().guardian.pid()
    }

    /// Stops the API server (SIGTERM, SIGKILL after 10 s) and waits until it
    /// has exited; etcd keeps running. Blocks the calling thread meanwhile.
    /// On [`shared`](Self::shared) this disturbs every other test of the
    /// binary: fault tests should [`start`](Self::start) their own.
    pub fn stop_apiserver(&self) -> Result<()> {
        let mut servers = self.lock_servers();
        servers.guardian.stop(APISERVER)?;
        servers.apiserver_pid = None;
        Ok(())
    }

    /// Starts the API server again, on the same port, with the same etcd,
    /// certificates and tokens, and waits for `/readyz`. Existing clients and
    /// kubeconfigs keep working. Does nothing if it is running.
    pub async fn start_apiserver(&self) -> Result<()> {
        let pid = {
            let mut servers = self.lock_servers();
            if servers.apiserver_pid.is_some() {
                return Ok(());
            }
            let pid = servers.guardian.start(
                APISERVER,
                &self.binaries.kube_apiserver,
                &self.layout.apiserver_args(),
            )?;
            servers.apiserver_pid = Some(pid);
            pid
        };
        self.wait_until_ready(pid, Instant::now()).await
    }

    /// Starts a second kube-apiserver on the same etcd, certificates and
    /// tokens, on a port of its own, and waits for its `/readyz`. Changes
    /// made through it are changes of this control plane; clients of the
    /// main API server do not see its connections, which is what a test of
    /// a client that was disconnected while the cluster changed needs (stop
    /// the main one, change things through this one, start the main one).
    ///
    /// It stops when the returned handle is dropped or
    /// [`stop`](ExtraApiServer::stop)ped, and with the control plane. One
    /// at a time.
    pub async fn start_extra_apiserver(&self) -> Result<ExtraApiServer<'_>> {
        let port = ports::free_loopback_ports(1)?
            .first()
            .copied()
            .ok_or_else(|| Error::Guardian("port allocation returned nothing".into()))?;
        let url = apiserver_url_on(port);
        let since = Instant::now();
        let pid = self.lock_servers().guardian.start(
            EXTRA_APISERVER,
            &self.binaries.kube_apiserver,
            &self.layout.apiserver_args_on(port),
        )?;
        let extra = ExtraApiServer {
            control_plane: self,
            url,
            pid,
            running: true,
        };
        self.wait_until_serving(EXTRA_APISERVER, extra.config(Identity::Admin), pid, since)
            .await?;
        Ok(extra)
    }

    /// Freezes etcd (SIGSTOP): the API server stays up but every request
    /// that needs storage hangs until [`resume_etcd`](Self::resume_etcd).
    pub fn pause_etcd(&self) -> Result<()> {
        process::signal(self.etcd_pid(), Signal::STOP)
    }

    /// Lets a paused etcd continue (SIGCONT).
    pub fn resume_etcd(&self) -> Result<()> {
        process::signal(self.etcd_pid(), Signal::CONT)
    }

    async fn wait_until_ready(&self, apiserver_pid: u32, since: Instant) -> Result<()> {
        self.wait_until_serving(
            APISERVER,
            self.config(Identity::Admin),
            apiserver_pid,
            since,
        )
        .await
    }

    /// Waits for `/readyz` of the API server the guardian knows as `name`,
    /// reached with `config`.
    async fn wait_until_serving(
        &self,
        name: &str,
        config: kube::Config,
        apiserver_pid: u32,
        since: Instant,
    ) -> Result<()> {
        // Short timeouts and no retries: the poll loop is the retry.
        let mut probe_config = config;
        probe_config.connect_timeout = Some(Duration::from_secs(2));
        probe_config.read_timeout = Some(Duration::from_secs(5));
        probe_config.default_retry = false;
        let probe_client = kube::Client::try_from(probe_config)
            .map_err(|e| Error::kube("making the readiness client", e))?;
        let log = self.lock_servers().guardian.log_path(name);
        let watched = Watched {
            pid: apiserver_pid,
            log: &log,
            since,
        };
        readiness::wait_for(&watched, || readiness::readyz(&probe_client)).await
    }

    fn unique_namespace_name(&self, prefix: &str) -> String {
        let n = self.namespaces_made.fetch_add(1, Ordering::Relaxed);
        let random = uuid::Uuid::new_v4().simple().to_string();
        namespace_name(prefix, n, &random[..6])
    }

    fn lock_servers(&self) -> MutexGuard<'_, Servers> {
        // A panic while holding the lock leaves the processes as they were;
        // the state is still usable.
        self.servers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A second kube-apiserver of a [`ControlPlane`], from
/// [`ControlPlane::start_extra_apiserver`]. Stops when dropped.
#[derive(Debug)]
pub struct ExtraApiServer<'a> {
    control_plane: &'a ControlPlane,
    url: String,
    pid: u32,
    running: bool,
}

impl ExtraApiServer<'_> {
    /// `https://127.0.0.1:<port>`: this API server's URL.
    pub fn server_url(&self) -> &str {
        &self.url
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The client configuration of `identity` for this API server (the
    /// control plane's, with this server's URL: same CA, same token).
    pub fn config(&self, identity: Identity) -> kube::Config {
        let mut config = self.control_plane.config(identity);
        // The URL was made by `apiserver_url_on`, so it always parses.
        if let Ok(uri) = self.url.parse() {
            config.cluster_url = uri;
        }
        config
    }

    /// A client acting as `identity` on this API server. Call it inside the
    /// tokio runtime that will use the client.
    pub fn client(&self, identity: Identity) -> Result<kube::Client> {
        kube::Client::try_from(self.config(identity))
            .map_err(|e| Error::kube(format!("making the {} client", identity.short_name()), e))
    }

    /// Stops it (SIGTERM, SIGKILL after 10 s) and waits until it has exited.
    pub fn stop(mut self) -> Result<()> {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Result<()> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        self.control_plane
            .lock_servers()
            .guardian
            .stop(EXTRA_APISERVER)
    }
}

impl Drop for ExtraApiServer<'_> {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; the guardian stops it with
        // the control plane anyway.
        let _ = self.stop_now();
    }
}

/// `<prefix>-<n>-<random>`, with `prefix` lowercased, anything but letters
/// and digits turned into `-`, cut to 30 characters, and `test` if nothing is
/// left: always a valid namespace name (a DNS label of at most 63).
fn namespace_name(prefix: &str, n: u64, random: &str) -> String {
    let label: String = prefix
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(30)
        .collect();
    let label = label.trim_matches('-');
    let label = if label.is_empty() { "test" } else { label };
    format!("{label}-{n}-{random}")
}

#[cfg(test)]
mod tests {
    use super::namespace_name;

    fn is_dns_label(name: &str) -> bool {
        (1..=63).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn namespace_names_are_dns_labels_whatever_the_prefix() {
        let long = "Ab_".repeat(40);
        for prefix in ["Webhook Tests!", "", "---", "harbor", long.as_str()] {
            let name = namespace_name(prefix, u64::MAX, "a1b2c3");
            assert!(is_dns_label(&name), "{name:?} from {prefix:?}");
        }
        assert_eq!(
            namespace_name("Harbor E2E", 7, "abcdef"),
            "harbor-e2e-7-abcdef"
        );
        assert_eq!(namespace_name("", 0, "abcdef"), "test-0-abcdef");
    }
}
