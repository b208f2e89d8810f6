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
//!
//! The handler can also end a connection sooner: after a refused sender's
//! answer ([`DeliveryInProgress::end_connection`]), the connection is shut
//! down a short grace after the delivery, so that a sender still sending a
//! body it was refused for (chunked bodies are drained, not cut, by actix)
//! holds nothing for long.
//!
//! Marking costs the handler two atomic updates and wakes nobody: the
//! watch sleeps until the earliest moment the connection could have gone
//! idle for too long, looks, and sleeps again; it is woken early only when
//! the connection closes or a delivery asks for its end.

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::dev::Extensions;
use tokio::sync::Notify;
use tokio::time::Instant;

/// What a connection is doing, as the handler reports it.
#[derive(Debug)]
struct Activity {
    /// The connection's opening, the origin of `idle_since`.
    opened: Instant,
    /// Deliveries in the handler right now (more than one when pipelined).
    deliveries: AtomicU32,
    /// When the last delivery left the handler, in milliseconds after
    /// `opened` (0: the connection has had none yet).
    idle_since: AtomicU64,
    /// Signalled when the connection is dropped.
    closed: Notify,
    /// A shorter idle limit a delivery asked for, in milliseconds (0: none).
    ending_within: AtomicU64,
    /// Signalled when a delivery that asked for the end is over.
    ending: Notify,
}

impl Activity {
    fn millis_since_opened(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// When the connection will have been idle for `limit`, unless a
    /// delivery is in progress (then `None`).
    fn idle_deadline(&self, limit: Duration) -> Option<Instant> {
        if self.deliveries.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = Duration::from_millis(self.idle_since.load(Ordering::Acquire));
        let limit = match self.ending_within.load(Ordering::Acquire) {
            0 => limit,
            ending => limit.min(Duration::from_millis(ending)),
        };
        Some(self.opened + since + limit)
    }
}

/// A connection's activity, kept in its extensions for the handler.
/// Dropped with the connection, which ends the watch.
#[derive(Debug)]
pub struct ConnectionActivity(Arc<Activity>);

impl ConnectionActivity {
    /// Marks a delivery in progress until the returned guard is dropped.
    pub fn delivery(&self) -> DeliveryInProgress<'_> {
        self.0.deliveries.fetch_add(1, Ordering::AcqRel);
        DeliveryInProgress(self)
    }
}

impl Drop for ConnectionActivity {
    fn drop(&mut self) {
        self.0.closed.notify_one();
    }
}

/// A delivery the connection is busy with; see [`ConnectionActivity::delivery`].
#[derive(Debug)]
pub struct DeliveryInProgress<'a>(&'a ConnectionActivity);

impl DeliveryInProgress<'_> {
    /// Shuts the connection down `grace` after this delivery, whatever the
    /// client still sends: time enough for the answer to go out.
    pub fn end_connection(&self, grace: Duration) {
        let millis = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX).max(1);
        self.0.0.ending_within.store(millis, Ordering::Release);
    }
}

impl Drop for DeliveryInProgress<'_> {
    fn drop(&mut self) {
        let activity = &self.0.0;
        // The time first: a watch that sees no delivery sees this time.
        activity
            .idle_since
            .store(activity.millis_since_opened(), Ordering::Release);
        activity.deliveries.fetch_sub(1, Ordering::AcqRel);
        if activity.ending_within.load(Ordering::Acquire) > 0 {
            activity.ending.notify_one();
        }
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
    let activity = Arc::new(Activity {
        opened: Instant::now(),
        deliveries: AtomicU32::new(0),
        idle_since: AtomicU64::new(0),
        closed: Notify::new(),
        ending_within: AtomicU64::new(0),
        ending: Notify::new(),
    });
    extensions.insert(ConnectionActivity(Arc::clone(&activity)));
    actix_web::rt::spawn(close_when_idle(activity, socket, idle_limit));
}

/// Shuts `socket` down once it has been idle for `idle_limit`; returns
/// early when the connection ends by itself.
async fn close_when_idle(
    activity: Arc<Activity>,
    socket: std::net::TcpStream,
    idle_limit: Duration,
) {
    // While a delivery runs, look again this often (the handler's own
    // deadlines bound a delivery; this only has to notice its end).
    let busy_recheck = idle_limit;
    loop {
        let (check_at, idle) = match activity.idle_deadline(idle_limit) {
            Some(deadline) => (deadline, deadline <= Instant::now()),
            None => (Instant::now() + busy_recheck, false),
        };
        if idle {
            tracing::debug!("closing a webhook connection idle outside a delivery");
            let _ = socket.shutdown(Shutdown::Both);
            return;
        }
        tokio::select! {
            () = activity.closed.notified() => return,
            () = activity.ending.notified() => {}
            () = tokio::time::sleep_until(check_at) => {}
        }
    }
}
