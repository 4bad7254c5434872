//! Calendar days: [`Date`], a proleptic Gregorian day with its own saturating arithmetic.

use super::*;

/// A calendar day, `YYYY-MM-DD` (proleptic Gregorian, UTC, years 0001 to 9999).
///
/// Parse with [`Date::parse`] or [`str::parse`], which validate the month and the day
/// (February 29 only in leap years). The fields are public for convenience; a value built by
/// hand with fields out of range is never a panic: arithmetic clamps the month into 1–12 and
/// counts the day from the first of the month (so `2021-02-30` behaves like `2021-03-02`).
///
/// Ordering is chronological. Serializes as the string `"YYYY-MM-DD"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year, 1 to 9999.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 28, 29, 30 or 31.
    pub day: u32,
}

/// Why a string is not a [`Date`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` with four, two and two digits.
    #[error("invalid date {input:?}: expected YYYY-MM-DD such as 2021-06-28")]
    Malformed {
        /// The rejected input.
        input: String,
    },
    /// The year is 0000.
    #[error("invalid date {input:?}: the year must be between 0001 and 9999")]
    Year {
        /// The rejected input.
        input: String,
    },
    /// The month is not 01 to 12.
    #[error("invalid date {input:?}: there is no month {month}; expected 01 to 12")]
    Month {
        /// The rejected input.
        input: String,
        /// The month as written.
        month: u32,
    },
    /// The day does not exist in that month (`2023-02-29`, `2021-04-31`, `2021-01-00`).
    #[error("invalid date {input:?}: {} {year} has {max} days", month_name(*.month))]
    Day {
        /// The rejected input.
        input: String,
        /// The year.
        year: i32,
        /// The month, 1 to 12.
        month: u32,
        /// How many days that month has.
        max: u32,
    },
}

/// The English name of a month (1 to 12), for messages.
pub(crate) fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    month
        .checked_sub(1)
        .and_then(|i| NAMES.get(i as usize))
        .copied()
        .unwrap_or("month")
}

/// Whether `year` is a leap year of the Gregorian calendar (divisible by 4, except centuries
/// not divisible by 400: 2000 and 2024 are, 1900 and 2100 are not).
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// How many days `month` (1 to 12) of `year` has; `0` for a month out of range.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to `year-month-day` (Howard Hinnant's `days_from_civil`), in `i64` so
/// that no valid input overflows; `month` must be 1 to 12, `day` may be any number.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)` of a day count.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // `month` and `day` are small positive numbers by construction.
    (year, month as u32, day as u32)
}

impl Date {
    /// The earliest representable day, 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };

    /// The latest representable day, 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The 1970-01-01 epoch that [`Date::to_days`] counts from.
    pub const EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };

    /// A validated date: `None` unless `year` is 1 to 9999, `month` 1 to 12 and `day` exists in
    /// that month.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let date = Date { year, month, day };
        date.is_valid().then_some(date)
    }

    /// Whether the fields name a real day between [`Date::MIN`] and [`Date::MAX`].
    pub fn is_valid(&self) -> bool {
        (1..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
    }

    /// Today in UTC, from the system clock. Commands take the day from the
    /// [`crate::time::BuildTime`] they were given instead ([`crate::time::BuildTime::today`]).
    pub fn today() -> Date {
        Date::from_unix(crate::time::system_now())
    }

    /// The UTC day of `secs` seconds since 1970 (before it when negative), saturating.
    pub fn from_unix(secs: i64) -> Date {
        Date::from_days(secs.div_euclid(86_400))
    }

    /// The day `days_since_epoch` days after 1970-01-01 (before it when negative), saturating
    /// at [`Date::MIN`] and [`Date::MAX`].
    pub fn from_days(days_since_epoch: i64) -> Date {
        let days = days_since_epoch.clamp(Date::MIN.to_days(), Date::MAX.to_days());
        let (year, month, day) = civil_from_days(days);
        Date {
            // In range by the clamp above.
            year: i32::try_from(year).unwrap_or(9999),
            month,
            day,
        }
    }

    /// Days since 1970-01-01 (negative before it). The inverse of [`Date::from_days`] for valid
    /// dates.
    pub fn to_days(&self) -> i64 {
        let month = i64::from(self.month.clamp(1, 12));
        days_from_civil(i64::from(self.year), month, i64::from(self.day))
    }

    /// The same day `n` years later (earlier when negative). February 29 becomes February 28
    /// in a year without it (`2024-02-29 + 1y = 2025-02-28`); the result saturates at
    /// [`Date::MIN`] and [`Date::MAX`].
    pub fn add_years(&self, n: i32) -> Date {
        let base = self.normalized();
        let year = i64::from(base.year) + i64::from(n);
        if year > 9999 {
            return Date::MAX;
        }
        if year < 1 {
            return Date::MIN;
        }
        let year = i32::try_from(year).unwrap_or(9999);
        Date {
            year,
            month: base.month,
            day: base.day.min(days_in_month(year, base.month)),
        }
    }

    /// The day `n` days later (earlier when negative), saturating at [`Date::MIN`] and
    /// [`Date::MAX`].
    pub fn add_days(&self, n: i64) -> Date {
        Date::from_days(self.to_days().saturating_add(n))
    }

    /// Days from `self` to `other`: positive when `other` is later, `0` on the same day.
    pub fn days_until(&self, other: Date) -> i64 {
        other.to_days() - self.to_days()
    }

    /// Parses `YYYY-MM-DD` (exactly four, two and two digits), checking that the day exists.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let malformed = || DateError::Malformed {
            input: s.to_owned(),
        };
        let b = s.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(range)?;
            part.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(malformed());
        }
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(malformed());
        };
        // At most four digits, so it fits.
        let year = i32::try_from(year).map_err(|_| malformed())?;
        if year == 0 {
            return Err(DateError::Year {
                input: s.to_owned(),
            });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month {
                input: s.to_owned(),
                month,
            });
        }
        let max = days_in_month(year, month);
        if day == 0 || day > max {
            return Err(DateError::Day {
                input: s.to_owned(),
                year,
                month,
                max,
            });
        }
        Ok(Date { year, month, day })
    }

    /// The valid date this value denotes (itself when valid).
    fn normalized(&self) -> Date {
        if self.is_valid() {
            *self
        } else {
            Date::from_days(self.to_days())
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}
