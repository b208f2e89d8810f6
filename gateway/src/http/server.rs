//! Builds the webhook HTTP server with the connection limits that protect
//! it from slow and hostile clients. The gateway and the HTTP tests build it
//! through here, so the tests exercise the limits production runs with.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use super::idle_watch::watch_connection;
use super::webhook::{self, WebhookState};

/// How long a kept-alive connection may stay silent between requests
/// (actix's default, stated here because the idle watch depends on it).
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How long a client has to read the answer and close once the gateway
/// is done with a connection.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Connection settings of the webhook server.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Time allowed to receive a request's headers.
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may stay silent ([`KEEP_ALIVE`]).
    pub keep_alive: Duration,
    /// On shutdown, time allowed for in-flight deliveries.
    pub shutdown_timeout: Duration,
}

/// The webhook server on `listener`, not yet running: spawn or await it.
pub fn webhook_server(
    state: WebhookState,
    listener: TcpListener,
    settings: ServerSettings,
) -> std::io::Result<Server> {
    // The most an honest client takes from one answer to its next head.
    let idle_limit = settings.keep_alive + settings.header_read_timeout;
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(webhook::configure)
    })
    .on_connect(move |connection, extensions| {
        watch_connection(connection, extensions, idle_limit);
    })
    .workers(settings.workers.max(1))
    .keep_alive(settings.keep_alive)
    .client_request_timeout(settings.header_read_timeout)
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1))
    .disable_signals()
    .listen(listener)?
    .run())
}
