//! The aggregation behind refresh Events: per Warehouse, one window at a
//! time. The first refresh opens a window and gets an Event of its own; the
//! refreshes that follow within the window are only counted, and when the
//! window ends with more than one, the Event's series is updated once with
//! the count and the time of the last one. However many deliveries arrive,
//! a Warehouse costs at most two writes per window.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

use crate::kargo::WarehouseId;

/// The open windows.
#[derive(Debug)]
pub struct Windows {
    length: Duration,
    open: HashMap<WarehouseId, Open>,
    /// The open windows by end, earliest first: all windows have the same
    /// length, so the order they opened in is the order they end in.
    ends: VecDeque<(Instant, WarehouseId)>,
}

/// One Warehouse's open window.
#[derive(Debug)]
struct Open {
    /// The Event's name, once created (never, if creating it failed).
    event: Option<String>,
    /// Refreshes in the window, the first included.
    count: u32,
    /// When the last of them happened.
    last_observed: Timestamp,
}

/// A series update due at the end of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesUpdate {
    /// The Warehouse.
    pub warehouse: WarehouseId,
    /// Its Event's name.
    pub event: String,
    /// Refreshes in the window, the first included (at least 2).
    pub count: i32,
    /// When the last of them happened.
    pub last_observed: Timestamp,
}

impl Windows {
    /// No window open; each lasts `length`.
    pub fn new(length: Duration) -> Self {
        Self {
            length,
            open: HashMap::new(),
            ends: VecDeque::new(),
        }
    }

    /// Counts a refresh of `warehouse` at `now` (`at` on the wall clock).
    /// True when it opens a window: the caller then creates the Event and
    /// reports its name through [`created`](Self::created).
    pub fn observe(&mut self, warehouse: &WarehouseId, now: Instant, at: Timestamp) -> bool {
        if let Some(open) = self.open.get_mut(warehouse) {
            open.count = open.count.saturating_add(1);
            open.last_observed = at;
            return false;
        }
        self.open.insert(
            warehouse.clone(),
            Open {
                event: None,
                count: 1,
                last_observed: at,
            },
        );
        self.ends.push_back((now + self.length, warehouse.clone()));
        true
    }

    /// Records the name of the Event created for `warehouse`'s window.
    pub fn created(&mut self, warehouse: &WarehouseId, event: String) {
        if let Some(open) = self.open.get_mut(warehouse) {
            open.event = Some(event);
        }
    }

    /// When the earliest open window ends.
    pub fn next_end(&self) -> Option<Instant> {
        self.ends.front().map(|(end, _)| *end)
    }

    /// Closes every window ended by `now` (all of them with `None`) and
    /// returns the series updates they owe: one per window that saw more
    /// refreshes than its Event tells and whose Event exists.
    pub fn close(&mut self, now: Option<Instant>) -> Vec<SeriesUpdate> {
        let mut updates = Vec::new();
        while let Some((end, _)) = self.ends.front() {
            if now.is_some_and(|now| *end > now) {
                break;
            }
            let Some((_, warehouse)) = self.ends.pop_front() else {
                break;
            };
            let Some(open) = self.open.remove(&warehouse) else {
                continue;
            };
            if let (Some(event), true) = (open.event, open.count > 1) {
                updates.push(SeriesUpdate {
                    warehouse,
                    event,
                    count: i32::try_from(open.count).unwrap_or(i32::MAX),
                    last_observed: open.last_observed,
                });
            }
        }
        updates
    }

    /// How many windows are open.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when no window is open.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).expect("valid time")
    }

    #[test]
    fn a_burst_opens_one_window_and_owes_one_series_update() {
        let start = Instant::now();
        let nginx = WarehouseId::new("demo", "nginx");
        let mut windows = Windows::new(WINDOW);
        assert!(windows.observe(&nginx, start, at(0)), "the first opens");
        windows.created(&nginx, "nginx.1".into());
        for second in 1..500 {
            let now = start + Duration::from_millis(second * 10);
            assert!(!windows.observe(&nginx, now, at(1)));
        }
        assert_eq!(windows.len(), 1);
        assert_eq!(windows.next_end(), Some(start + WINDOW));
        assert!(
            windows.close(Some(start + WINDOW / 2)).is_empty(),
            "not yet"
        );
        assert_eq!(
            windows.close(Some(start + WINDOW)),
            [SeriesUpdate {
                warehouse: nginx.clone(),
                event: "nginx.1".into(),
                count: 500,
                last_observed: at(1),
            }]
        );
        assert!(windows.is_empty());
        assert!(
            windows.observe(&nginx, start + WINDOW, at(60)),
            "a refresh after the window opens the next"
        );
    }

    #[test]
    fn a_lone_refresh_or_a_failed_event_owes_no_update() {
        let start = Instant::now();
        let (lone, failed) = (
            WarehouseId::new("a", "lone"),
            WarehouseId::new("a", "failed"),
        );
        let mut windows = Windows::new(WINDOW);
        assert!(windows.observe(&lone, start, at(0)));
        windows.created(&lone, "lone.1".into());
        assert!(windows.observe(&failed, start, at(0)));
        // Its Event could not be created: nothing to update.
        assert!(!windows.observe(&failed, start, at(1)));
        assert!(windows.close(Some(start + WINDOW)).is_empty());
        assert!(windows.is_empty());
    }

    #[test]
    fn windows_end_in_the_order_they_opened() {
        let start = Instant::now();
        let mut windows = Windows::new(WINDOW);
        let first = WarehouseId::new("a", "first");
        let second = WarehouseId::new("a", "second");
        windows.observe(&first, start, at(0));
        windows.observe(&second, start + Duration::from_secs(30), at(30));
        for warehouse in [&first, &second] {
            windows.created(warehouse, format!("{}.1", warehouse.name()));
            windows.observe(warehouse, start + Duration::from_secs(40), at(40));
        }
        let due = windows.close(Some(start + WINDOW));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].warehouse, first);
        assert_eq!(windows.next_end(), Some(start + Duration::from_secs(90)));
        // Closing everything (the queue closed) settles the rest at once.
        let rest = windows.close(None);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].warehouse, second);
        assert_eq!(windows.next_end(), None);
    }
}
