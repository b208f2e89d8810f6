//! RFC 3339 timestamps in UTC with microseconds, the form every log line
//! starts with (`2026-11-30T16:02:10.123456Z`), written with integer
//! arithmetic into a fixed buffer: no allocation, no formatting machinery.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of a formatted timestamp.
const LEN: usize = 27;

/// A formatted instant.
#[derive(Clone, Copy)]
pub struct Timestamp([u8; LEN]);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::at(SystemTime::now())
    }

    /// `time`, or the epoch for a time before it (a clock set back that
    /// far is not worth a second code path).
    pub fn at(time: SystemTime) -> Self {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Self::since_epoch(since_epoch)
    }

    fn since_epoch(elapsed: Duration) -> Self {
        let seconds = elapsed.as_secs();
        let (year, month, day) = civil_date(seconds / 86_400);
        let of_day = seconds % 86_400;
        let mut out = *b"0000-00-00T00:00:00.000000Z";
        put_digits(&mut out[0..4], year);
        put_digits(&mut out[5..7], month);
        put_digits(&mut out[8..10], day);
        put_digits(&mut out[11..13], of_day / 3600);
        put_digits(&mut out[14..16], of_day % 3600 / 60);
        put_digits(&mut out[17..19], of_day % 60);
        put_digits(&mut out[20..26], u64::from(elapsed.subsec_micros()));
        Self(out)
    }

    /// The timestamp as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00T00:00:00.000000Z")
    }
}

/// Writes `value`'s last `slot.len()` decimal digits into `slot`.
fn put_digits(slot: &mut [u8], mut value: u64) {
    for byte in slot.iter_mut().rev() {
        // `value % 10` is below 10: the cast cannot truncate.
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from
/// 1970-01-01 (Howard Hinnant's days-to-civil algorithm).
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Shifted so that eras of 400 years start on 0000-03-01.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so that February's length comes last.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, micros: u32) -> String {
        let elapsed = Duration::from_secs(seconds) + Duration::from_micros(u64::from(micros));
        Timestamp::since_epoch(elapsed).as_str().to_owned()
    }

    #[test]
    fn instants_are_written_in_rfc_3339_with_microseconds() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(86_399, 999_999), "1970-01-01T23:59:59.999999Z");
        // Leap days: a year divisible by 400, and one by 4 only.
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(1_709_164_800, 0), "2024-02-29T00:00:00.000000Z");
        // Not a leap year: divisible by 100, not by 400.
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        assert_eq!(at(1_796_054_530, 123_456), "2026-11-30T16:02:10.123456Z");
        assert_eq!(at(1_798_761_599, 500_000), "2026-12-31T23:59:59.500000Z");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        // Walks day by day from 1970 to 2370, checking each date against the
        // previous one: the same month with the next day, or the first of
        // the next month after the right last day.
        let mut previous = civil_date(0);
        for days in 1..146_097 {
            let (year, month, day) = civil_date(days);
            let (p_year, p_month, p_day) = previous;
            let leap = (p_year % 4 == 0 && p_year % 100 != 0) || p_year % 400 == 0;
            let last = match p_month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expected = if p_day < last {
                (p_year, p_month, p_day + 1)
            } else if p_month < 12 {
                (p_year, p_month + 1, 1)
            } else {
                (p_year + 1, 1, 1)
            };
            assert_eq!((year, month, day), expected, "day {days}");
            previous = (year, month, day);
        }
    }

    #[test]
    fn a_time_before_the_epoch_is_written_as_the_epoch() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            Timestamp::at(before).as_str(),
            "1970-01-01T00:00:00.000000Z"
        );
    }
}
