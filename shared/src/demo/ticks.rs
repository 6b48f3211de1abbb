//! .NET ticks: the `NowTime` field of [`ServiceMsg`](super::ServiceMsg).
//!
//! `DateTime.Now.Ticks` counts 100 ns units of *local wall-clock time* since
//! 0001-01-01T00:00:00, so a tick value is a naive (zone-less) local date-time.

use std::fmt;

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

/// Ticks per second (one tick is 100 ns).
pub const TICKS_PER_SECOND: i64 = 10_000_000;

/// The largest valid tick value: `DateTime.MaxValue.Ticks` (9999-12-31 23:59:59.9999999).
pub const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

/// A tick value outside .NET's `DateTime` range (negative or above [`MAX_TICKS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicksOutOfRange(pub i64);

impl fmt::Display for TicksOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a valid .NET tick value (valid: 0 to {MAX_TICKS}); the record was probably never written",
            self.0
        )
    }
}

impl std::error::Error for TicksOutOfRange {}

/// 0001-01-01T00:00:00, where .NET ticks start.
const EPOCH: NaiveDateTime = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(date) => date.and_time(NaiveTime::MIN),
    None => NaiveDateTime::MIN,
};

/// Converts a local date-time to .NET ticks.
///
/// # Errors
/// [`TicksOutOfRange`] for a date-time before year 1 or after year 9999.
pub fn ticks_from_naive(time: NaiveDateTime) -> Result<i64, TicksOutOfRange> {
    let since = time.signed_duration_since(EPOCH);
    let secs = since.num_seconds();
    let nanos = i64::from(since.subsec_nanos());
    let ticks = secs
        .checked_mul(TICKS_PER_SECOND)
        .and_then(|t| t.checked_add(nanos / 100))
        .ok_or(TicksOutOfRange(i64::MAX))?;
    if (0..=MAX_TICKS).contains(&ticks) {
        Ok(ticks)
    } else {
        Err(TicksOutOfRange(ticks))
    }
}

/// Converts .NET ticks back to the local date-time they denote.
///
/// # Errors
/// [`TicksOutOfRange`] for a negative value or one past [`MAX_TICKS`].
pub fn naive_from_ticks(ticks: i64) -> Result<NaiveDateTime, TicksOutOfRange> {
    if !(0..=MAX_TICKS).contains(&ticks) {
        return Err(TicksOutOfRange(ticks));
    }
    let secs = ticks / TICKS_PER_SECOND;
    let nanos = (ticks % TICKS_PER_SECOND) * 100;
    let delta = TimeDelta::try_seconds(secs).ok_or(TicksOutOfRange(ticks))? + TimeDelta::nanoseconds(nanos);
    EPOCH.checked_add_signed(delta).ok_or(TicksOutOfRange(ticks))
}

/// `DateTime.Now.Ticks`: the current local time in .NET ticks.
pub fn now_ticks() -> i64 {
    // The clock always lies within years 1..=9999, so this cannot fail in practice;
    // fall back to 0 (the .NET default) rather than panic.
    ticks_from_naive(Local::now().naive_local()).unwrap_or(0)
}

/// Formats ticks the way the programs print them: `YYYY-MM-DD HH:MM:SS`, or
/// `invalid ticks N` for a value outside .NET's range.
pub fn format_ticks(ticks: i64) -> String {
    match naive_from_ticks(ticks) {
        Ok(time) => time.format("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => format!("invalid ticks {ticks}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, s))
            .expect("valid test date")
    }

    #[test]
    fn the_demo_example_converts_to_its_documented_ticks() {
        let time = at(2024, 11, 5, 21, 33, 48);
        assert_eq!(ticks_from_naive(time), Ok(638_664_392_280_000_000));
        assert_eq!(naive_from_ticks(638_664_392_280_000_000), Ok(time));
        assert_eq!(format_ticks(638_664_392_280_000_000), "2024-11-05 21:33:48");
    }

    #[test]
    fn ticks_round_trip_to_the_hundred_nanoseconds() {
        let time = at(1999, 12, 31, 23, 59, 59) + TimeDelta::nanoseconds(123_456_700);
        let ticks = ticks_from_naive(time).expect("in range");
        assert_eq!(naive_from_ticks(ticks), Ok(time));
    }

    #[test]
    fn range_ends_match_dotnet() {
        assert_eq!(naive_from_ticks(0), Ok(at(1, 1, 1, 0, 0, 0)));
        assert_eq!(format_ticks(0), "0001-01-01 00:00:00");
        let max = naive_from_ticks(MAX_TICKS).expect("max is valid");
        assert_eq!(max.format("%Y-%m-%d %H:%M:%S").to_string(), "9999-12-31 23:59:59");
        assert_eq!(naive_from_ticks(-1), Err(TicksOutOfRange(-1)));
        assert_eq!(
            naive_from_ticks(MAX_TICKS + 1),
            Err(TicksOutOfRange(MAX_TICKS + 1))
        );
        assert_eq!(format_ticks(i64::MIN), format!("invalid ticks {}", i64::MIN));
    }

    #[test]
    fn now_is_after_the_demo_example() {
        assert!(now_ticks() > 638_664_392_280_000_000);
    }
}
