//! The `kargo-webhook-gateway` binary: serves, or runs one of its tools
//! (`explain`, `providers`).

use clap::Parser;
use kargo_webhook_gateway::Gateway;
use kargo_webhook_gateway::cli::{Cli, Command, providers};
use kargo_webhook_gateway::config::Config;
use kargo_webhook_gateway::{explain, logging};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Explain(args)) => explain::run(args).await,
        Some(Command::Providers(args)) => providers::run(&args),
        None => serve(cli.serve).await,
    }
}

async fn serve(config: Config) -> std::process::ExitCode {
    if let Err(error) = logging::init(config.log_format, &config.log_level) {
        eprintln!("kargo-webhook-gateway: {error}");
        return std::process::ExitCode::from(2);
    }
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "gateway stopped");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let client = kube::Client::try_default()
        .await
        .map_err(|e| anyhow::anyhow!("cannot configure the Kubernetes client: {e}"))?;
    let gateway = Gateway::start(config, client).await?;
    shutdown_signal().await?;
    tracing::info!("shutting down: finishing in-flight deliveries");
    gateway.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}
