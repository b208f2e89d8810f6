//! Pacing: how long a follow-up patch waits after the patch of the same
//! Warehouse before it, learnt from how the API server answers.
//!
//! A follow-up collects every delivery that arrives while it waits, so a
//! short wait after a patch returns lets the senders it just answered come
//! back and share the next patch instead of splitting into groups that
//! each cost a patch. How long that wait may be depends on the API server:
//! it is one smoothed patch latency, so a server that answers in 3 ms gets
//! the follow-up 3 ms after the patch returned (a Warehouse then costs at
//! most half the patches the server could take back to back, and a sender
//! waits about three latencies), and a slow or loaded one gets fewer,
//! larger patches. Failures push back harder: each patch the API server
//! refused or did not answer doubles a penalty (halved again by each patch
//! that lands), and a 429's `Retry-After` holds every follow-up until it
//! has passed. Nothing here delays a first patch: a Warehouse with no patch
//! in flight is patched at once.
//!
//! A patch that waits for a turn (`--max-concurrent-patches`) is spaced by
//! that wait as well; the pacer does not add to it: when turns are scarce
//! the API server is busy and the turns already go round-robin, and a gap
//! grown on top would leave it idle between rounds.
//!
//! The pacer is shared by every Warehouse: they all talk to one API server.

use std::time::Duration;

use tokio::time::Instant;

/// Weight of the newest latency in the smoothed one (1/4).
const SMOOTHING: u32 = 4;
/// The penalty after the first refused or unanswered patch; doubled by
/// each further one.
const FIRST_PENALTY: Duration = Duration::from_millis(50);
/// A penalty halved below this is gone.
const PENALTY_FLOOR: Duration = Duration::from_millis(1);
/// The longest wait between a patch and its follow-up, whatever the API
/// server does: the follow-up's senders are still waiting for their answer
/// (within the answer deadline, 2.5 s by default).
pub const MAX_SPACING: Duration = Duration::from_secs(1);
/// The longest `Retry-After` honoured: a server asking for more is
/// overruled, so that a refresh is never held for long.
pub const MAX_HOLD: Duration = Duration::from_secs(30);
/// A 429 without a `Retry-After` of its own waits this long (what the API
/// server's own throttling sends).
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// How the API server answered one patch, as far as pacing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// It answered (the patch landed, or the Warehouse is gone) after
    /// `took`.
    Answered {
        /// Send to answer.
        took: Duration,
    },
    /// It refused the patch, or the connection failed.
    Refused,
    /// It throttled the patch (429); the follow-up waits `retry_after`.
    Throttled {
        /// The server's `Retry-After`, or [`DEFAULT_RETRY_AFTER`].
        retry_after: Duration,
    },
    /// It did not answer within the patch timeout.
    Unanswered,
}

/// The pacing state: learnt latency, failure penalty, `Retry-After` hold.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    /// Smoothed latency of answered patches; `None` before the first.
    latency: Option<Duration>,
    /// Grows with refused and unanswered patches, shrinks with answered ones.
    penalty: Duration,
    /// No follow-up before this (the API server asked for it).
    hold_until: Option<Instant>,
}

impl Pacer {
    /// Learns from a patch the API server answered with `answer` at `now`.
    pub fn observe(&mut self, answer: Answer, now: Instant) {
        match answer {
            Answer::Answered { took } => {
                self.latency = Some(match self.latency {
                    None => took,
                    Some(smoothed) if took >= smoothed => smoothed + (took - smoothed) / SMOOTHING,
                    Some(smoothed) => smoothed - (smoothed - took) / SMOOTHING,
                });
                self.penalty /= 2;
                if self.penalty < PENALTY_FLOOR {
                    self.penalty = Duration::ZERO;
                }
            }
            Answer::Refused | Answer::Unanswered => self.grow_penalty(),
            Answer::Throttled { retry_after } => {
                self.grow_penalty();
                let until = now + retry_after.min(MAX_HOLD);
                self.hold_until = Some(self.hold_until.map_or(until, |held| held.max(until)));
            }
        }
    }

    fn grow_penalty(&mut self) {
        self.penalty = (self.penalty * 2).clamp(FIRST_PENALTY, MAX_SPACING);
    }

    /// The least time between a patch's return and the start of the
    /// follow-up behind it: one smoothed latency, or the penalty if larger.
    pub fn spacing(&self) -> Duration {
        self.latency
            .unwrap_or_default()
            .max(self.penalty)
            .min(MAX_SPACING)
    }

    /// The earliest start of a follow-up to a patch that returned at
    /// `returned`.
    pub fn follow_up_at(&self, returned: Instant) -> Instant {
        let spaced = returned + self.spacing();
        match self.hold_until {
            Some(held) if held > spaced => held,
            _ => spaced,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn answered(pacer: &mut Pacer, took: Duration, now: Instant) {
        pacer.observe(Answer::Answered { took }, now);
    }

    #[test]
    fn before_any_answer_a_follow_up_goes_at_once() {
        let now = Instant::now();
        assert_eq!(Pacer::default().spacing(), Duration::ZERO);
        assert_eq!(Pacer::default().follow_up_at(now), now);
    }

    #[test]
    fn a_fast_server_gets_its_follow_ups_after_one_latency() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        for _ in 0..20 {
            answered(&mut pacer, ms(3), now);
        }
        assert_eq!(pacer.spacing(), ms(3));
        assert_eq!(pacer.follow_up_at(now), now + ms(3));
    }

    #[test]
    fn the_spacing_follows_the_latency_smoothly() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        answered(&mut pacer, ms(4), now);
        assert_eq!(pacer.spacing(), ms(4), "the first answer is taken as it is");
        answered(&mut pacer, ms(40), now);
        assert_eq!(
            pacer.spacing(),
            ms(13),
            "one slow answer moves it a quarter"
        );
        for _ in 0..40 {
            answered(&mut pacer, ms(40), now);
        }
        assert!(pacer.spacing() >= ms(39), "{:?}", pacer.spacing());
        for _ in 0..40 {
            answered(&mut pacer, ms(2), now);
        }
        assert!(pacer.spacing() <= ms(3), "{:?}", pacer.spacing());
    }

    #[test]
    fn a_slow_server_is_spaced_at_most_the_bound() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        answered(&mut pacer, Duration::from_secs(8), now);
        assert_eq!(pacer.spacing(), MAX_SPACING);
    }

    #[test]
    fn failures_double_a_penalty_that_answers_halve() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        answered(&mut pacer, ms(2), now);
        let mut spacings = Vec::new();
        for answer in [Answer::Refused, Answer::Unanswered, Answer::Refused] {
            pacer.observe(answer, now);
            spacings.push(pacer.spacing());
        }
        assert_eq!(spacings, [ms(50), ms(100), ms(200)]);
        for _ in 0..10 {
            pacer.observe(Answer::Refused, now);
        }
        assert_eq!(pacer.spacing(), MAX_SPACING, "the penalty is bounded");
        let mut recovering = Vec::new();
        for _ in 0..3 {
            answered(&mut pacer, ms(2), now);
            recovering.push(pacer.spacing());
        }
        assert_eq!(recovering, [ms(500), ms(250), ms(125)]);
        for _ in 0..7 {
            answered(&mut pacer, ms(2), now);
        }
        assert_eq!(pacer.spacing(), ms(2), "back to the latency");
    }

    #[test]
    fn a_retry_after_holds_follow_ups_until_it_has_passed() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        answered(&mut pacer, ms(2), now);
        pacer.observe(
            Answer::Throttled {
                retry_after: Duration::from_secs(3),
            },
            now,
        );
        assert_eq!(pacer.follow_up_at(now), now + Duration::from_secs(3));
        // A patch that returns later is spaced from its own return, but
        // never before the hold ends.
        assert_eq!(
            pacer.follow_up_at(now + Duration::from_secs(1)),
            now + Duration::from_secs(3)
        );
        // Landed patches do not lift the hold, but once it has passed only
        // the spacing counts.
        answered(&mut pacer, ms(2), now + ms(10));
        let later = now + Duration::from_secs(5);
        assert_eq!(pacer.follow_up_at(later), later + pacer.spacing());
    }

    #[test]
    fn a_shorter_retry_after_does_not_shorten_a_hold() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        let throttled = |seconds| Answer::Throttled {
            retry_after: Duration::from_secs(seconds),
        };
        pacer.observe(throttled(5), now);
        pacer.observe(throttled(1), now + ms(100));
        assert_eq!(pacer.follow_up_at(now), now + Duration::from_secs(5));
    }

    #[test]
    fn an_excessive_retry_after_is_bounded() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        pacer.observe(
            Answer::Throttled {
                retry_after: Duration::from_secs(3600),
            },
            now,
        );
        assert_eq!(pacer.follow_up_at(now), now + MAX_HOLD);
    }
}
