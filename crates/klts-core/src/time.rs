//! The one owner of time formats: seconds since 1970 (UTC) as the RFC 3339 and RFC 2822 texts
//! that provenance, OCI configs, apt `Release` files, Debian changelogs and OpenVEX documents
//! carry, and a civil date as days since 1970. The calendar arithmetic itself is
//! [`crate::lifecycle::Date`]'s (one algorithm, proleptic Gregorian, saturating).
//!
//! Reading "now" ([`system_now`]) and `SOURCE_DATE_EPOCH` happens once, at the command
//! line's edge, into a [`BuildTime`] ([`BuildTime::parse`]); libraries take the resulting [`BuildTime`] (or the seconds it
//! implies) as an argument and never read the clock or the environment for a time themselves,
//! so a test passes a fixed `BuildTime` and gets the bytes it implies.
//!
//! `SOURCE_DATE_EPOCH` is validated once, as the reproducible-builds specification asks: a
//! decimal count of seconds since 1970 (`date +%s`, `git log -1 --format=%ct`). A value that
//! is not one (`abc`, `-5`, `1.5`) is an error naming the variable, never silently "now".
//! An empty value counts as unset. Where a format stores 32-bit times (OpenPGP signatures,
//! rpm headers, apt and yum metadata), [`BuildTime::reproducible_or_now_u32`] refuses a value
//! past 2106-02-07 instead of wrapping it.

use crate::lifecycle::Date;

/// The environment variable of reproducible builds.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The two times a command may record: the wall clock when it started, and the
/// reproducible-builds time when the environment sets one. Read once by the CLI, passed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildTime {
    /// Seconds since 1970 when the command started (the system clock).
    pub now: i64,
    /// `SOURCE_DATE_EPOCH`, when set (validated: non-negative).
    pub source_date_epoch: Option<i64>,
}

/// A `SOURCE_DATE_EPOCH` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not a non-negative decimal integer.
    #[error("SOURCE_DATE_EPOCH={value:?} is not a time: expected the seconds since 1970-01-01 UTC as a non-negative integer (e.g. 1700000000)\n  help: set it with `export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`, or unset it to use the current time")]
    Invalid {
        /// The value as found (lossily decoded).
        value: String,
    },
    /// Past what a 32-bit time can hold (2106-02-07T06:28:15Z).
    #[error("SOURCE_DATE_EPOCH={value} is past 2106-02-07T06:28:15Z (4294967295), the last time OpenPGP signatures and apt/yum/rpm metadata can record\n  help: use the commit time of the release (`git log -1 --format=%ct`)")]
    PastU32 {
        /// The value.
        value: i64,
    },
}

impl BuildTime {
    /// The clock alone, `SOURCE_DATE_EPOCH` unset (what commands that record no time use).
    pub fn clock(now: i64) -> BuildTime {
        BuildTime {
            now,
            source_date_epoch: None,
        }
    }

    /// A fixed time for both (tests, and callers that already know the time to record).
    pub fn fixed(secs: i64) -> BuildTime {
        BuildTime {
            now: secs,
            source_date_epoch: Some(secs),
        }
    }

    /// The one parse of `SOURCE_DATE_EPOCH`: `value` is the variable's value (`None` when
    /// unset), `now` the clock's seconds since 1970.
    pub fn parse(value: Option<&std::ffi::OsStr>, now: i64) -> Result<BuildTime, TimeError> {
        let source_date_epoch = match value {
            None => None,
            Some(raw) => {
                let text = raw.to_string_lossy();
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    None
                } else if trimmed.bytes().all(|b| b.is_ascii_digit()) {
                    // All digits: only overflow can fail, and that is not a time either.
                    Some(trimmed.parse::<i64>().map_err(|_| TimeError::Invalid {
                        value: text.to_string(),
                    })?)
                } else {
                    return Err(TimeError::Invalid {
                        value: text.to_string(),
                    });
                }
            }
        };
        Ok(BuildTime {
            now,
            source_date_epoch,
        })
    }

    /// The time a reproducible output records: `SOURCE_DATE_EPOCH` when set, else now.
    pub fn reproducible_or_now(&self) -> i64 {
        self.source_date_epoch.unwrap_or(self.now)
    }

    /// `SOURCE_DATE_EPOCH` as unsigned seconds (it is never negative once parsed).
    pub fn source_date_epoch_u64(&self) -> Option<u64> {
        self.source_date_epoch.and_then(|s| u64::try_from(s).ok())
    }

    /// [`BuildTime::reproducible_or_now`] for formats with 32-bit times: a
    /// `SOURCE_DATE_EPOCH` past 2106 is an error; a clock outside the range is clamped (a
    /// clock is not user input).
    pub fn reproducible_or_now_u32(&self) -> Result<u32, TimeError> {
        match self.source_date_epoch {
            Some(value) => u32::try_from(value).map_err(|_| TimeError::PastU32 { value }),
            None => Ok(self.now_u32()),
        }
    }

    /// The clock as a 32-bit time (clamped to 0 ..= u32::MAX), for checks against "now" such
    /// as key expiry.
    pub fn now_u32(&self) -> u32 {
        u32::try_from(self.now.max(0)).unwrap_or(u32::MAX)
    }

    /// Today in UTC by the clock (lifecycle questions are about the real day, not the
    /// reproducible one).
    pub fn today(&self) -> Date {
        Date::from_unix(self.now)
    }
}

/// The system clock in seconds since 1970 (negative before it, saturating). Only the command
/// line's edge calls it, once per run, and passes the result down in a [`BuildTime`].
pub fn system_now() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            // A clock before 1970 with a fraction of a second belongs to the previous second.
            whole
                .saturating_add(i64::from(d.subsec_nanos() > 0))
                .saturating_neg()
        }
    }
}

/// `2022-01-01T00:00:00Z` for `secs` since 1970-01-01T00:00:00Z (second precision).
pub fn rfc3339(secs: i64) -> String {
    let (date, s) = split(secs);
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// `Sat, 01 Jan 2022 00:00:00 <zone>` for `secs` since 1970: `zone` is `UTC` for apt's
/// `Release` (as apt writes it) and `+0000` for a Debian changelog (as dpkg-parsechangelog
/// wants it).
pub fn rfc2822(secs: i64, zone: &str) -> String {
    let (date, s) = split(secs);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[usize::try_from(date.to_days().rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[date.month.clamp(1, 12) as usize - 1];
    format!(
        "{weekday}, {:02} {month} {} {:02}:{:02}:{:02} {zone}",
        date.day,
        date.year,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The day and the second of the day of `secs` since 1970.
fn split(secs: i64) -> (Date, i64) {
    (
        Date::from_days(secs.div_euclid(86_400)),
        secs.rem_euclid(86_400),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_640_995_200), "2022-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc2822(1_640_995_200, "UTC"),
            "Sat, 01 Jan 2022 00:00:00 UTC"
        );
        assert_eq!(
            rfc2822(1_700_000_000, "+0000"),
            "Tue, 14 Nov 2023 22:13:20 +0000"
        );
        assert_eq!(rfc2822(951_782_400, "UTC"), "Tue, 29 Feb 2000 00:00:00 UTC");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn source_date_epoch_is_validated_once() {
        use std::ffi::OsStr;
        let parse = |v: &str| BuildTime::parse(Some(OsStr::new(v)), 42);
        assert_eq!(
            BuildTime::parse(None, 42).unwrap().reproducible_or_now(),
            42
        );
        assert_eq!(parse("").unwrap().source_date_epoch, None);
        assert_eq!(
            parse("1700000000").unwrap().reproducible_or_now(),
            1_700_000_000
        );
        assert_eq!(
            parse("1700000000\n").unwrap().source_date_epoch,
            Some(1_700_000_000)
        );
        for bad in ["abc", "-5", "1.5", "+5", "0x10", "99999999999999999999"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("SOURCE_DATE_EPOCH="), "{bad}: {e}");
            assert!(e.contains("non-negative integer"), "{bad}: {e}");
        }
        let far = parse("4294967296").unwrap();
        assert_eq!(far.reproducible_or_now(), 4_294_967_296);
        let e = far.reproducible_or_now_u32().unwrap_err().to_string();
        assert!(e.contains("past 2106"), "{e}");
        assert_eq!(
            parse("4294967295").unwrap().reproducible_or_now_u32(),
            Ok(u32::MAX)
        );
        assert_eq!(
            BuildTime::parse(None, -3)
                .unwrap()
                .reproducible_or_now_u32(),
            Ok(0)
        );
        assert_eq!(
            BuildTime::fixed(86_400 * 365).today().to_string(),
            "1971-01-01"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(secs in proptest::num::i64::ANY) {
            let _ = rfc3339(secs);
            let _ = rfc2822(secs, "UTC");
        }
    }
}
