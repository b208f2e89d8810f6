//! Builds the webhook HTTP server with the connection limits that protect
//! it from slow and hostile clients. The gateway and the HTTP tests build it
//! through here, so the tests exercise the limits production runs with.

use std::any::Any;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::Server;
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use super::idle_watch::watch_connection;
use super::tls::{self, TlsFiles};
use super::webhook::{self, WebhookState};

/// How long a kept-alive connection may stay silent between requests
/// (actix's default, stated here because the idle watch depends on it).
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How long a client has to read the answer and close once the gateway
/// is done with a connection.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Connection settings of the webhook server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Time allowed to receive a request's headers (and, over HTTPS, to
    /// complete the TLS handshake before them).
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may stay silent ([`KEEP_ALIVE`]).
    pub keep_alive: Duration,
    /// On shutdown, time allowed for in-flight deliveries.
    pub shutdown_timeout: Duration,
    /// Serve HTTPS only, with the key pair in these files (re-read when
    /// they change); `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// The webhook server on `listener`, not yet running: spawn or await it.
/// With TLS, fails when the key pair cannot serve (the error names the
/// file), and spawns the task that reloads it: call within a Tokio runtime.
pub fn webhook_server(
    state: WebhookState,
    listener: TcpListener,
    settings: ServerSettings,
) -> anyhow::Result<Server> {
    let tls = match &settings.tls {
        Some(files) => Some(
            tls::load(files, Arc::clone(&state.metrics), tls::RELOAD_INTERVAL)
                .context("cannot serve HTTPS on the webhook port")?,
        ),
        None => None,
    };
    // The most an honest client takes from one answer to its next head.
    let idle_limit = settings.keep_alive + settings.header_read_timeout;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(webhook::configure)
    })
    .on_connect(move |connection, extensions| {
        if let Some(socket) = tcp_stream(connection) {
            watch_connection(socket, extensions, idle_limit);
        }
    })
    .workers(settings.workers.max(1))
    .keep_alive(settings.keep_alive)
    .client_request_timeout(settings.header_read_timeout)
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1))
    .disable_signals();
    let server = match tls {
        None => server.listen(listener)?,
        Some((config, reloader)) => {
            tokio::spawn(reloader.run());
            server
                .tls_handshake_timeout(settings.header_read_timeout)
                .listen_rustls_0_23(listener, config)?
        }
    };
    Ok(server.run())
}

/// The TCP stream under a new connection, plain or TLS: the idle watch
/// shuts the socket down beneath either.
fn tcp_stream(connection: &dyn Any) -> Option<&dyn Any> {
    if connection.is::<TcpStream>() {
        return Some(connection);
    }
    let tls = connection.downcast_ref::<TlsStream<TcpStream>>()?;
    let (socket, _session) = tls.get_ref();
    Some(socket)
}
