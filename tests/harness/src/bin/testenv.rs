//! `testenv`: the test control plane from the command line.
//!
//! - `testenv build`: build (or find in the cache) etcd and kube-apiserver.
//! - `testenv up [--samples]`: start the control plane with the Kargo CRDs
//!   (and optionally the samples), print how to reach it, run until Ctrl-C
//!   or SIGTERM, then clean up.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kargo_webhook_testenv::{Binaries, ControlPlane, Identity};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Debug, Parser)]
#[command(about = "A real Kubernetes control plane with the Kargo CRDs, for tests and local runs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build etcd and kube-apiserver (or reuse the cached build) and print
    /// the directory that holds them.
    Build,
    /// Start the control plane and keep it running until Ctrl-C or SIGTERM.
    Up {
        /// Also apply config/samples/ (the Harbor guide's resources).
        #[arg(long)]
        samples: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build => build(),
        Command::Up { samples } => up(samples).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("testenv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<(), Box<dyn std::error::Error>> {
    let binaries = Binaries::build()?;
    let dir = binaries.etcd.parent().unwrap_or(&binaries.etcd);
    writeln!(std::io::stdout().lock(), "{}", dir.display())?;
    Ok(())
}

async fn up(samples: bool) -> Result<(), Box<dyn std::error::Error>> {
    // Installed before "ready" is printed, so that a signal sent as soon as
    // the caller reads it is handled (not the default: exit without cleanup).
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let control_plane = ControlPlane::start().await?;
    if samples {
        for object in control_plane.apply_samples().await? {
            eprintln!("testenv: applied {object}");
        }
    }
    // Lines of `key: value`, read by people and by the crate's tests.
    let admin = control_plane
        .kubeconfig_path(Identity::Admin)
        .display()
        .to_string();
    let report = [
        ("server", control_plane.server_url()),
        ("kubeconfig", admin.clone()),
        (
            "gateway-kubeconfig",
            control_plane
                .kubeconfig_path(Identity::Gateway)
                .display()
                .to_string(),
        ),
        ("data-dir", control_plane.data_dir().display().to_string()),
        ("guardian-pid", control_plane.guardian_pid().to_string()),
        ("etcd-pid", control_plane.etcd_pid().to_string()),
        (
            "apiserver-pid",
            control_plane
                .apiserver_pid()
                .map(|pid| pid.to_string())
                .unwrap_or_default(),
        ),
    ];
    {
        let mut out = std::io::stdout().lock();
        for (key, value) in report {
            writeln!(out, "{key}: {value}")?;
        }
        writeln!(out, "ready: export KUBECONFIG={admin}   (Ctrl-C to stop)")?;
        out.flush()?;
    }
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("testenv: stopping");
    control_plane.stop()?;
    Ok(())
}
