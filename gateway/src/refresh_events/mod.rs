//! Refresh Events: what `kubectl describe warehouse` says about the
//! gateway. Each refresh the gateway confirmed becomes a Kubernetes Event on
//! the Warehouse (`events.k8s.io/v1`, type `Normal`, reason
//! `WebhookRefresh`), whose note names the receiver (`namespace/owner#name`,
//! as in the log; never its path), the pushed repository and the tag or
//! ref that selected it. Nothing secret is in it.
//!
//! Events are aggregated per Warehouse in windows (`--refresh-event-window`,
//! see `window.rs`): the first refresh of a window creates an Event at once,
//! the following ones are counted into that Event's series
//! (`series.count`, `series.lastObservedTime`), written once when the window
//! ends. A burst of any size gives each Warehouse one Event per window and
//! replica, and at most two API writes.
//!
//! A delivery never waits for an Event: it hands a notice to a bounded
//! queue and goes on; a full queue drops the notice and counts it
//! (`kargo_webhook_refresh_events_total{result="dropped"}`). One background
//! task writes, each write within a time limit.

mod window;
mod writer;

pub use window::{SeriesUpdate, Windows};
#[cfg(test)]
pub(crate) use writer::Writing;
pub use writer::{EventWriter, KubeEventWriter, NewEvent, REASON};

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kargo_webhook_provider::PushedRepository;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::kargo::WarehouseId;
use crate::metrics::{Metrics, PatchLabels};
use crate::selection::Subject;

/// Notices waiting for the background task at most; beyond, they are
/// dropped and counted.
pub const QUEUE: usize = 4096;
/// Time allowed for one write.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest note the Events API takes, in bytes.
const MAX_NOTE: usize = 1024;

/// What selected a refreshed Warehouse: the push, shared with the other
/// Warehouses it selected, and the tag or ref its rule decided on. Nothing
/// is copied or formatted for it on the delivery's path; the note is
/// written only when an Event is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// The push.
    pub push: Arc<PushedRepository>,
    /// Which of its tags or refs decided, if one did.
    pub subject: Option<SubjectAt>,
}

/// A tag or ref of a push, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectAt {
    /// `tags[i]`.
    Tag(usize),
    /// `refs[i]`.
    Ref(usize),
}

impl SubjectAt {
    /// Where `subject` stands in `push`.
    pub fn of(push: &PushedRepository, subject: Subject<'_>) -> Option<Self> {
        match subject {
            Subject::Tag(tag) => push.tags.iter().position(|t| t == tag).map(Self::Tag),
            Subject::Ref(git_ref) => push.refs.iter().position(|r| r == git_ref).map(Self::Ref),
        }
    }
}

impl Cause {
    /// The tag or ref that decided, if one did.
    pub fn subject(&self) -> Option<Subject<'_>> {
        match self.subject? {
            SubjectAt::Tag(at) => self.push.tags.get(at).map(|tag| Subject::Tag(tag)),
            SubjectAt::Ref(at) => self.push.refs.get(at).map(|r| Subject::Ref(r)),
        }
    }
}

/// One refresh to tell of.
#[derive(Debug)]
struct Notice {
    warehouse: WarehouseId,
    receiver: Arc<str>,
    cause: Cause,
}

/// Where the delivery flow reports refreshes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RefreshEvents {
    queue: Option<mpsc::Sender<Notice>>,
    metrics: Option<Arc<Metrics>>,
}

impl RefreshEvents {
    /// Reports nothing (tests and tools without Kubernetes).
    pub fn disabled() -> Self {
        Self {
            queue: None,
            metrics: None,
        }
    }

    /// Starts the background task writing through `writer`, aggregating
    /// per `window`; it ends once every clone of the handle is dropped.
    pub fn start(
        writer: Arc<dyn EventWriter>,
        window: Duration,
        metrics: Arc<Metrics>,
    ) -> (Self, JoinHandle<()>) {
        let (queue, notices) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(notices, writer, window, Arc::clone(&metrics)));
        (
            Self {
                queue: Some(queue),
                metrics: Some(metrics),
            },
            task,
        )
    }

    /// Tells of a refresh of `warehouse` for a delivery to `receiver` (its
    /// log name). Never waits: with the queue full, the notice is dropped.
    pub fn refreshed(&self, warehouse: WarehouseId, receiver: &Arc<str>, cause: Cause) {
        let Some(queue) = &self.queue else {
            return;
        };
        let notice = Notice {
            warehouse,
            receiver: Arc::clone(receiver),
            cause,
        };
        if queue.try_send(notice).is_err() {
            count(self.metrics.as_deref(), "dropped");
        }
    }
}

fn count(metrics: Option<&Metrics>, result: &'static str) {
    if let Some(metrics) = metrics {
        metrics
            .refresh_events
            .get_or_create(&PatchLabels { result })
            .inc();
    }
}

/// The note of the Event that opens a window.
fn note(notice: &Notice) -> String {
    let repository = &notice.cause.push.repository;
    let mut note = match notice.cause.subject() {
        Some(subject) => format!("Refreshed for a push of {repository} {subject}"),
        None => format!("Refreshed for a push of {repository}"),
    };
    note.push_str(&format!(
        ", received by webhook receiver {}",
        notice.receiver
    ));
    if note.len() > MAX_NOTE {
        let mut cut = MAX_NOTE;
        while !note.is_char_boundary(cut) {
            cut -= 1;
        }
        note.truncate(cut);
    }
    note
}

/// The background task: aggregates notices into windows and writes.
async fn run(
    mut notices: mpsc::Receiver<Notice>,
    writer: Arc<dyn EventWriter>,
    window: Duration,
    metrics: Arc<Metrics>,
) {
    let mut windows = Windows::new(window);
    loop {
        let next_end = windows.next_end();
        tokio::select! {
            notice = notices.recv() => match notice {
                Some(notice) => open(&mut windows, notice, writer.as_ref(), &metrics).await,
                None => {
                    // Every sender is gone: settle what is owed, then stop.
                    let owed = windows.close(None);
                    update(owed, writer.as_ref(), &metrics).await;
                    return;
                }
            },
            () = until(next_end) => {
                let owed = windows.close(Some(Instant::now()));
                update(owed, writer.as_ref(), &metrics).await;
            }
        }
    }
}

/// Sleeps until `end`, or forever without one.
async fn until(end: Option<Instant>) {
    match end {
        Some(end) => tokio::time::sleep_until(end).await,
        None => std::future::pending().await,
    }
}

/// Counts a notice; creates the Event when it opens a window.
async fn open(windows: &mut Windows, notice: Notice, writer: &dyn EventWriter, metrics: &Metrics) {
    let at = Timestamp::now();
    if !windows.observe(&notice.warehouse, Instant::now(), at) {
        return;
    }
    let note = note(&notice);
    let new = NewEvent {
        warehouse: &notice.warehouse,
        note: &note,
        at,
    };
    match tokio::time::timeout(WRITE_TIMEOUT, writer.create(new)).await {
        Ok(Ok(Some(event))) => {
            windows.created(&notice.warehouse, event);
            count(Some(metrics), "created");
        }
        // Deleted since its refresh: nobody to tell.
        Ok(Ok(None)) => {}
        Ok(Err(error)) => failed(metrics, &notice.warehouse, &error.to_string()),
        Err(_) => failed(metrics, &notice.warehouse, "timed out"),
    }
}

/// Writes the series updates windows owe.
async fn update(owed: Vec<SeriesUpdate>, writer: &dyn EventWriter, metrics: &Metrics) {
    for due in owed {
        match tokio::time::timeout(WRITE_TIMEOUT, writer.update(&due)).await {
            Ok(Ok(())) => count(Some(metrics), "updated"),
            Ok(Err(error)) => failed(metrics, &due.warehouse, &error.to_string()),
            Err(_) => failed(metrics, &due.warehouse, "timed out"),
        }
    }
}

fn failed(metrics: &Metrics, warehouse: &WarehouseId, error: &str) {
    count(Some(metrics), "failed");
    tracing::warn!(%warehouse, error, "could not write an Event about a refresh");
}

#[cfg(test)]
mod tests;
