//! The command lines of etcd and kube-apiserver: loopback only, data in the
//! control plane's temporary directory, tuned for tests (no fsync).

use std::path::{Path, PathBuf};

use crate::service_account_key::ServiceAccountKey;

/// Everything the two command lines depend on.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The control plane's temporary directory.
    pub(crate) data_dir: PathBuf,
    /// etcd's client port.
    pub(crate) etcd_client_port: u16,
    /// etcd's peer port (unused, but etcd always listens on one).
    pub(crate) etcd_peer_port: u16,
    /// The API server's HTTPS port.
    pub(crate) apiserver_port: u16,
    /// The static token file.
    pub(crate) token_file: PathBuf,
    /// The service-account key pair.
    pub(crate) service_account_key: ServiceAccountKey,
}

impl Layout {
    /// `http://127.0.0.1:<client port>`.
    pub(crate) fn etcd_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.etcd_client_port)
    }

    /// `https://127.0.0.1:<port>`.
    pub(crate) fn apiserver_url(&self) -> String {
        apiserver_url_on(self.apiserver_port)
    }

    /// Where the API server writes its self-signed serving certificate.
    pub(crate) fn apiserver_cert_dir(&self) -> PathBuf {
        self.data_dir.join("apiserver-certs")
    }

    /// The API server's self-signed certificate; it also serves as the CA
    /// clients trust.
    pub(crate) fn apiserver_cert(&self) -> PathBuf {
        self.apiserver_cert_dir().join("apiserver.crt")
    }

    /// etcd's arguments.
    pub(crate) fn etcd_args(&self) -> Vec<String> {
        let peer = format!("http://127.0.0.1:{}", self.etcd_peer_port);
        vec![
            "--name=testenv".into(),
            flag("--data-dir", &self.data_dir.join("etcd")),
            format!("--listen-client-urls={}", self.etcd_url()),
            format!("--advertise-client-urls={}", self.etcd_url()),
            format!("--listen-peer-urls={peer}"),
            format!("--initial-advertise-peer-urls={peer}"),
            format!("--initial-cluster=testenv={peer}"),
            // Test data need not survive a power cut; fsync dominates the
            // write latency otherwise.
            "--unsafe-no-fsync=true".into(),
            "--log-level=warn".into(),
        ]
    }

    /// kube-apiserver's arguments.
    pub(crate) fn apiserver_args(&self) -> Vec<String> {
        self.apiserver_args_on(self.apiserver_port)
    }

    /// kube-apiserver's arguments with another HTTPS port: a second API
    /// server on the same etcd, certificates and tokens.
    pub(crate) fn apiserver_args_on(&self, port: u16) -> Vec<String> {
        vec![
            format!("--etcd-servers={}", self.etcd_url()),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={port}"),
            flag("--cert-dir", &self.apiserver_cert_dir()),
            "--authorization-mode=RBAC".into(),
            flag("--token-auth-file", &self.token_file),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            flag(
                "--service-account-key-file",
                &self.service_account_key.public_key,
            ),
            flag(
                "--service-account-signing-key-file",
                &self.service_account_key.private_key,
            ),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            "--profiling=false".into(),
        ]
    }
}

/// `https://127.0.0.1:<port>`.
pub(crate) fn apiserver_url_on(port: u16) -> String {
    format!("https://127.0.0.1:{port}")
}

fn flag(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}
