//! The one owner of time formats: seconds since 1970 (UTC) as the RFC 3339 and RFC 2822 texts
//! that provenance, OCI configs, apt `Release` files, Debian changelogs and OpenVEX documents
//! carry, and a civil date as days since 1970. The calendar arithmetic itself is
//! [`crate::lifecycle::Date`]'s (one algorithm, proleptic Gregorian, saturating).
//!
//! Reading "now" and `SOURCE_DATE_EPOCH` stays at the edges that decide which time a document
//! records; everything here is a pure function of its arguments.

use crate::lifecycle::Date;

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

    proptest::proptest! {
        #[test]
        fn never_panics(secs in proptest::num::i64::ANY) {
            let _ = rfc3339(secs);
            let _ = rfc2822(secs, "UTC");
        }
    }
}
