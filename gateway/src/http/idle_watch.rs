//! Closes webhook connections that linger outside a delivery.
//!
//! actix-web times the head of a connection's *first* request only: on a
//! kept-alive connection, a client that sends the next head one byte at a
//! time is never cut off. And after an early answer (404, 405, 408, 413,
//! 429) it drains the rest of a chunked body with no time limit, so a
//! client trickling chunks holds the connection forever. Either way the
//! connection spends its time outside the handler, where the body timeout
//! and the answer deadline do not reach.
//!
//! So every connection gets a watch: the handler marks the time it spends
//! on a delivery, and a connection that has gone longer than its idle
//! limit without a delivery in progress is shut down. The limit is
//! keep-alive plus the header timeout: the longest an honest client takes
//! from one answer to the head of its next request (actix closes a silent
//! kept-alive connection at the keep-alive timeout by itself).

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::time::Duration;

use actix_web::dev::Extensions;
use tokio::sync::watch;
use tokio::time::Instant;

/// What a connection is doing, as the handler reports it.
#[derive(Debug, Clone, Copy)]
struct Activity {
    /// Deliveries in the handler right now (more than one when pipelined).
    deliveries: u32,
    /// When the last delivery left the handler, or the connection opened.
    idle_since: Instant,
}

/// A connection's activity, kept in its extensions for the handler.
/// Dropped with the connection, which ends the watch.
#[derive(Debug)]
pub struct ConnectionActivity(watch::Sender<Activity>);

impl ConnectionActivity {
    /// Marks a delivery in progress until the returned guard is dropped.
    pub fn delivery(&self) -> DeliveryInProgress<'_> {
        self.0.send_modify(|activity| activity.deliveries += 1);
        DeliveryInProgress(self)
    }
}

/// A delivery the connection is busy with; see [`ConnectionActivity::delivery`].
#[derive(Debug)]
pub struct DeliveryInProgress<'a>(&'a ConnectionActivity);

impl Drop for DeliveryInProgress<'_> {
    fn drop(&mut self) {
        self.0.0.send_modify(|activity| {
            activity.deliveries = activity.deliveries.saturating_sub(1);
            activity.idle_since = Instant::now();
        });
    }
}

/// Watches a new connection: call from `HttpServer::on_connect`. A
/// connection that is not a plain TCP stream, or whose socket cannot be
/// duplicated (out of file descriptors), goes unwatched.
pub fn watch_connection(connection: &dyn Any, extensions: &mut Extensions, idle_limit: Duration) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    // A second descriptor of the same socket, to shut it down from outside
    // actix; it is closed when the watch ends with the connection.
    let socket = match stream.as_fd().try_clone_to_owned() {
        Ok(fd) => std::net::TcpStream::from(fd),
        Err(error) => {
            tracing::warn!(%error, "cannot watch a webhook connection for idling");
            return;
        }
    };
    let (sender, receiver) = watch::channel(Activity {
        deliveries: 0,
        idle_since: Instant::now(),
    });
    extensions.insert(ConnectionActivity(sender));
    actix_web::rt::spawn(close_when_idle(receiver, socket, idle_limit));
}

/// Shuts `socket` down once it has been idle for `idle_limit`; returns
/// early when the connection ends by itself.
async fn close_when_idle(
    mut activity: watch::Receiver<Activity>,
    socket: std::net::TcpStream,
    idle_limit: Duration,
) {
    loop {
        let current = *activity.borrow_and_update();
        let idle_until = (current.deliveries == 0).then(|| current.idle_since + idle_limit);
        let expired = async {
            match idle_until {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = activity.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = expired => {
                tracing::debug!("closing a webhook connection idle outside a delivery");
                let _ = socket.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}
