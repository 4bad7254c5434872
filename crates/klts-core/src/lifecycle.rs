//! The lifecycle calendar: when each minor line was released, when the community stops
//! supporting it, and how long the KLTS program supports it after that.
//!
//! # Policy
//!
//! KLTS keeps Kubernetes minor lines from 1.10 on supported for **three years after the
//! community's end of life**. For a line on a given day (see [`line_status`]):
//!
//! * Before its `released` date the line is [`Phase::Upcoming`].
//! * From `released` through `community_eol` it is [`Phase::Community`]: the Kubernetes
//!   community ships its patch releases. Support ends at the **end** of the EOL day, so on the
//!   EOL day itself the line is still `community`, and `days_left` is `0`. A line whose
//!   community end of life is not known yet (no `community_eol`) stays `community`.
//! * After the community's end of life, a line that is **in the program** is [`Phase::Lts`]
//!   until the end of the day `community_eol + lts_years` ([`Policy::lts_years`], default 3;
//!   February 29 plus a year that has none is February 28). A line is in the program when it
//!   is at least [`Policy::lts_from`] (1.10), it is maintained ([`Policy::maintained`]: with a
//!   manifest, it has a `must: true` release; without one, every line from `lts_from` on
//!   counts) and it is not dropped ([`Policy::dropped`]: all its releases are `must: false`).
//! * Otherwise the line is [`Phase::Eol`]. Support ends earlier when the manifest drops the
//!   line: a dropped line is `eol` as soon as community support ends.
//!
//! ```
//! use klts_core::lifecycle::{line_status, Calendar, Date, Phase, Policy};
//! use klts_core::version::MinorLine;
//!
//! let calendar = Calendar::builtin();
//! let facts = calendar.get(MinorLine::new(1, 17)).expect("1.17 is in the calendar");
//! let day: Date = "2022-06-01".parse()?;
//! let status = line_status(facts, &Policy::default(), day);
//! assert_eq!(status.phase, Phase::Lts);
//! // Community support ended 2021-01-13, LTS support three years later.
//! assert_eq!(status.lts_end, Some(Date::parse("2024-01-13")?));
//! # Ok::<(), klts_core::lifecycle::DateError>(())
//! ```
//!
//! # Data
//!
//! [`Calendar::builtin`] embeds `data/kubernetes-lifecycle.yml` (first release, community end of
//! life and newest upstream patch of every Kubernetes minor line, with sources in
//! `data/README.md`). A workspace may carry a `lifecycle.yml` in the same format
//! ([`parse_lifecycle_file`]) to correct or add lines, to change `lts_years`, or to describe
//! another product (`product: containerd`), which then starts from that product's built-in
//! calendar ([`Calendar::builtin_for`]: `data/containerd-lifecycle.yml`,
//! `data/runc-lifecycle.yml`), or from an empty one for a product klts does not know
//! ([`Calendar::with_overrides`]):
//!
//! ```yaml
//! product: kubernetes      # optional; see klts_core::product
//! lts_years: 3             # optional
//! lines:
//!   - line: "1.17"         # quote it: YAML reads an unquoted 1.10 as the number 1.1
//!     released: 2019-12-09
//!     community_eol: 2021-01-13   # optional: unknown means still community-supported
//!     latest_patch: "1.17.17"     # optional
//! ```
//!
//! # Dates
//!
//! [`Date`] is a proleptic Gregorian calendar day (`YYYY-MM-DD`, years 0001 to 9999) with its
//! own arithmetic, so that this crate needs no date library. All operations saturate at
//! [`Date::MIN`] and [`Date::MAX`] instead of panicking.

use crate::diag::Location;
use crate::product::Product;
use crate::version::{MinorLine, Version};
use saphyr::{MarkedYaml, Scalar, YamlData};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

/// The name of the workspace file with lifecycle overrides.
pub const LIFECYCLE_FILE: &str = "lifecycle.yml";

/// The text of the built-in calendar.
const BUILTIN: &str = include_str!("../data/kubernetes-lifecycle.yml");

/// Where the built-in calendar comes from, for messages.
const BUILTIN_PATH: &str = "klts-core/data/kubernetes-lifecycle.yml";

/// The built-in calendars of the other products: (text, path for messages).
const BUILTIN_CONTAINERD: (&str, &str) = (
    include_str!("../data/containerd-lifecycle.yml"),
    "klts-core/data/containerd-lifecycle.yml",
);
const BUILTIN_RUNC: (&str, &str) = (
    include_str!("../data/runc-lifecycle.yml"),
    "klts-core/data/runc-lifecycle.yml",
);

// ---- dates --------------------------------------------------------------------------------

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
fn month_name(month: u32) -> &'static str {
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
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)` of a day count.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
        Date::from_days(crate::time::system_now().div_euclid(86_400))
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

// ---- calendar -----------------------------------------------------------------------------

/// What is known about one minor line: the facts the policy is applied to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineFacts {
    /// The minor line (`1.17`).
    pub line: MinorLine,
    /// The day the `x.y.0` release was published.
    pub released: Date,
    /// The last day of community support; `None` while not announced.
    pub community_eol: Option<Date>,
    /// The newest upstream patch release of the line, canonical (`v1.17.17`).
    pub latest_patch: Option<String>,
}

/// The lifecycle facts of every minor line of one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// The product the lines belong to (`kubernetes`).
    pub product: String,
    /// One entry per line, sorted by line, oldest first.
    pub lines: Vec<LineFacts>,
    /// Where the facts come from (a citation for pages and reports).
    pub source: String,
}

impl Calendar {
    /// The built-in Kubernetes calendar, every minor line from 1.0 on (embedded from
    /// `data/kubernetes-lifecycle.yml`; parsed once per process).
    ///
    /// Never panics: should the embedded data ever fail to parse, the calendar is empty and
    /// [`Calendar::source`] carries the error (a unit test keeps that from shipping).
    pub fn builtin() -> Calendar {
        Self::builtin_ref().clone()
    }

    /// [`Calendar::builtin`] without a copy, for hot paths (every status of a matrix asks it
    /// which lines upstream supported on a date).
    pub fn builtin_ref() -> &'static Calendar {
        Calendar::builtin_for(Product::Kubernetes)
    }

    /// The built-in calendar of a product (embedded from `data/<product>-lifecycle.yml`,
    /// parsed once per process). A generic Go project has none: its calendar is empty and
    /// its [`Calendar::source`] says so.
    ///
    /// Never panics: should the embedded data ever fail to parse, the calendar is empty and
    /// [`Calendar::source`] carries the error (a unit test keeps that from shipping).
    pub fn builtin_for(product: Product) -> &'static Calendar {
        static KUBERNETES: OnceLock<Calendar> = OnceLock::new();
        static CONTAINERD: OnceLock<Calendar> = OnceLock::new();
        static RUNC: OnceLock<Calendar> = OnceLock::new();
        static GENERIC: OnceLock<Calendar> = OnceLock::new();
        let (cell, text, path) = match product {
            Product::Kubernetes => (&KUBERNETES, BUILTIN, BUILTIN_PATH),
            Product::Containerd => (&CONTAINERD, BUILTIN_CONTAINERD.0, BUILTIN_CONTAINERD.1),
            Product::Runc => (&RUNC, BUILTIN_RUNC.0, BUILTIN_RUNC.1),
            Product::Generic => {
                return GENERIC.get_or_init(|| Calendar {
                    product: Product::Generic.as_str().to_owned(),
                    lines: Vec::new(),
                    source: "no release calendar: a generic Go project has none built in (add a lifecycle.yml with its lines)".to_owned(),
                })
            }
        };
        cell.get_or_init(|| match parse(text, Path::new(path)) {
            Ok(parsed) => Calendar::from_lines(
                parsed
                    .file
                    .product
                    .unwrap_or_else(|| product.as_str().to_owned()),
                parsed.file.lines,
                parsed
                    .source
                    .unwrap_or_else(|| "built-in lifecycle data".to_owned()),
            ),
            Err(e) => Calendar {
                product: product.as_str().to_owned(),
                lines: Vec::new(),
                source: format!("the built-in lifecycle data is unreadable: {e}"),
            },
        })
    }

    /// The facts of `line`, if the calendar has them.
    pub fn get(&self, line: MinorLine) -> Option<&LineFacts> {
        self.lines.iter().find(|f| f.line == line)
    }

    /// This calendar with a workspace `lifecycle.yml` applied: each line of the file replaces
    /// the calendar's entry for that line or is added. A file naming a different `product:`
    /// (compared case-insensitively) starts from that product's built-in calendar
    /// (`containerd`, `runc`), or from an empty one for a product klts does not know. The file's `lts_years` is policy, not facts: apply it to [`Policy`].
    pub fn with_overrides(&self, file: &LifecycleFile) -> Calendar {
        let other_product = file
            .product
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.eq_ignore_ascii_case(self.product.trim()));
        // The same product corrects this calendar; another built-in product starts from its
        // own built-in calendar; anything else starts empty.
        let start: Option<&Calendar> = match other_product {
            None => Some(self),
            Some(name) => Product::parse(name)
                .filter(|p| *p != Product::Generic)
                .map(Calendar::builtin_for),
        };
        let mut calendar = match start {
            Some(start) => {
                let mut same = start.clone();
                if !file.lines.is_empty() {
                    same.source = format!(
                        "{}; with corrections from the workspace {LIFECYCLE_FILE}",
                        start.source
                    );
                }
                same
            }
            None => Calendar {
                product: other_product.unwrap_or_default().to_owned(),
                lines: Vec::new(),
                source: format!("the workspace {LIFECYCLE_FILE}"),
            },
        };
        for facts in &file.lines {
            calendar.upsert(facts.clone());
        }
        calendar.lines.sort_by_key(|f| f.line);
        calendar
    }

    /// A calendar from lines in any order; a later entry for a line replaces an earlier one.
    fn from_lines(product: String, lines: Vec<LineFacts>, source: String) -> Calendar {
        let mut calendar = Calendar {
            product,
            lines: Vec::new(),
            source,
        };
        for facts in lines {
            calendar.upsert(facts);
        }
        calendar.lines.sort_by_key(|f| f.line);
        calendar
    }

    /// Replaces the entry for `facts.line`, or appends `facts` (the caller sorts).
    fn upsert(&mut self, facts: LineFacts) {
        match self.lines.iter_mut().find(|f| f.line == facts.line) {
            Some(entry) => *entry = facts,
            None => self.lines.push(facts),
        }
    }
}

// ---- lifecycle.yml ------------------------------------------------------------------------

/// A parsed `lifecycle.yml`: lifecycle facts and policy settings of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecycleFile {
    /// `product`: which product the lines describe (`kubernetes` when absent).
    pub product: Option<String>,
    /// `lts_years`: years of LTS support after community end of life.
    pub lts_years: Option<u32>,
    /// `lines`: facts that correct or extend the calendar, in file order.
    pub lines: Vec<LineFacts>,
    /// `support`: the program's own support decision per line, in file order.
    pub support: Vec<LineSupport>,
}

/// The program's decision for one line (`support:` in `lifecycle.yml`): how long it is
/// supported, whatever `community_eol + lts_years` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineSupport {
    /// The line.
    pub line: MinorLine,
    /// The last day of support.
    pub until: SupportUntil,
}

/// The end of a line's support decided by the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "date")]
pub enum SupportUntil {
    /// A last day.
    Date(Date),
    /// Supported until the program announces an end (`until: further-notice`).
    FurtherNotice,
}

/// Why a `lifecycle.yml` could not be read (see [`crate::yaml::YamlFileError`]).
pub type LifecycleError = crate::yaml::YamlFileError;

/// Reads and parses a `lifecycle.yml`.
pub fn load_lifecycle_file(path: &Path) -> Result<LifecycleFile, LifecycleError> {
    let text = std::fs::read_to_string(path).map_err(|source| LifecycleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lifecycle_file(&text, path)
}

/// Parses the text of a workspace `lifecycle.yml`; `path` is only used in messages, which
/// name `path:line:col`.
///
/// Top-level keys: `product` (a string), `lts_years` (a whole number of years, at most 100),
/// `lines` (a list) and `source` (a citation, accepted and ignored). Each line has `line`
/// (`"1.17"`; an unquoted `1.17` is accepted as written), `released` (`YYYY-MM-DD`), and
/// optionally `community_eol` (`YYYY-MM-DD`, not before `released`) and `latest_patch` (a
/// version of that line). Unknown keys and repeated lines are errors, so that a typo cannot
/// silently leave a date out. An empty file is an empty [`LifecycleFile`].
pub fn parse_lifecycle_file(text: &str, path: &Path) -> Result<LifecycleFile, LifecycleError> {
    parse(text, path).map(|parsed| parsed.file)
}

/// A lifecycle file together with its `source:` citation.
struct Parsed {
    file: LifecycleFile,
    source: Option<String>,
}

/// Parses lifecycle text, keeping the `source:` citation (used by the built-in calendar).
fn parse(text: &str, path: &Path) -> Result<Parsed, LifecycleError> {
    let docs = crate::yaml::load_str(text).map_err(|e| LifecycleError::Yaml {
        path: path.to_path_buf(),
        loc: Location {
            line: e.marker().line(),
            col: e.marker().col() + 1,
        },
        message: e.info().to_string(),
    })?;
    let p = Parser { path, text };
    let root = match docs.as_slice() {
        [] => {
            return Ok(Parsed {
                file: LifecycleFile::default(),
                source: None,
            })
        }
        [doc] => doc,
        [_, second, ..] => {
            return Err(p.err(
                loc(second),
                "more than one YAML document: a lifecycle file is a single document",
            ))
        }
    };
    if matches!(root.data, YamlData::Value(Scalar::Null)) {
        return Ok(Parsed {
            file: LifecycleFile::default(),
            source: None,
        });
    }
    let mut file = LifecycleFile::default();
    let mut source = None;
    for (key, key_loc, value) in p.mapping(root, "the lifecycle file")? {
        match key.as_str() {
            "product" => {
                let (product, at) = p.string(value, "product")?;
                if product.is_empty() {
                    return Err(p.err(at, "`product` is empty: name the product, e.g. kubernetes"));
                }
                file.product = Some(product);
            }
            "lts_years" => file.lts_years = p.lts_years(value)?,
            "source" => source = Some(p.string(value, "source")?.0),
            "lines" => {
                for item in p.sequence(value, "lines")? {
                    let facts = p.line_facts(item)?;
                    if file.lines.iter().any(|f| f.line == facts.line) {
                        return Err(p.err(
                            loc(item),
                            format!(
                                "line {} is listed twice: keep one entry per line",
                                facts.line
                            ),
                        ));
                    }
                    file.lines.push(facts);
                }
            }
            "support" => {
                for item in p.sequence(value, "support")? {
                    let entry = p.line_support(item)?;
                    if file.support.iter().any(|s| s.line == entry.line) {
                        return Err(p.err(
                            loc(item),
                            format!(
                                "line {} is listed twice under `support`: keep one decision per line",
                                entry.line
                            ),
                        ));
                    }
                    file.support.push(entry);
                }
            }
            other => {
                return Err(p.err(
                    key_loc,
                    format!(
                        "unknown key `{other}`: a lifecycle file has `product`, `lts_years`, `lines`, `support` and `source`"
                    ),
                ))
            }
        }
    }
    Ok(Parsed { file, source })
}

use crate::yaml::{describe, loc};

/// The lifecycle-file reader: shape checks with positions.
struct Parser<'p> {
    path: &'p Path,
    text: &'p str,
}

impl Parser<'_> {
    fn err(&self, loc: Location, message: impl Into<String>) -> LifecycleError {
        LifecycleError::Schema {
            path: self.path.to_path_buf(),
            loc,
            message: message.into(),
        }
    }

    /// The entries of a mapping with string keys: `(key, key position, value)`.
    fn mapping<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<Vec<(String, Location, &'a MarkedYaml<'y>)>, LifecycleError> {
        match &node.data {
            YamlData::Mapping(map) => map
                .iter()
                .map(|(k, v)| {
                    let (key, at) = self.string(k, "a key")?;
                    Ok((key, at, v))
                })
                .collect(),
            _ => Err(self.err(
                loc(node),
                format!("expected a mapping for {what}, found {}", describe(node)),
            )),
        }
    }

    fn sequence<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<&'a [MarkedYaml<'y>], LifecycleError> {
        crate::yaml::sequence(self.path, node, what)
    }

    /// A string scalar, trimmed, with its position.
    fn string(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<(String, Location), LifecycleError> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => {
                Ok((s.trim().to_owned(), loc(node)))
            }
            _ => Err(self.err(
                loc(node),
                format!("expected a string for `{what}`, found {}", describe(node)),
            )),
        }
    }

    /// The text a scalar node was written as, when the span points into the source.
    fn raw(&self, node: &MarkedYaml<'_>) -> Option<&str> {
        let (start, end) = (node.span.start.index(), node.span.end.index());
        if end <= start {
            return None;
        }
        let mut chars = self
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain([self.text.len()]);
        let from = chars.nth(start)?;
        let to = chars.nth(end - start - 1)?;
        self.text.get(from..to).map(str::trim)
    }

    fn lts_years(&self, node: &MarkedYaml<'_>) -> Result<Option<u32>, LifecycleError> {
        match &node.data {
            YamlData::Value(Scalar::Null) => Ok(None),
            YamlData::Value(Scalar::Integer(n)) if (0..=100).contains(n) => {
                Ok(u32::try_from(*n).ok())
            }
            _ => Err(self.err(
                loc(node),
                format!(
                    "expected a whole number of years from 0 to 100 for `lts_years`, found {}",
                    describe(node)
                ),
            )),
        }
    }

    fn line(&self, node: &MarkedYaml<'_>) -> Result<MinorLine, LifecycleError> {
        let at = loc(node);
        let text = match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => {
                s.trim().to_owned()
            }
            // An unquoted 1.17 is a YAML number; read it as written (1.10 is not 1.1).
            YamlData::Value(Scalar::FloatingPoint(_) | Scalar::Integer(_)) => {
                match self.raw(node) {
                    Some(raw) => raw.to_owned(),
                    None => {
                        return Err(self.err(
                            at,
                            format!(
                            "expected a minor line such as \"1.17\" for `line`, found {}: quote it",
                            describe(node)
                        ),
                        ))
                    }
                }
            }
            _ => {
                return Err(self.err(
                    at,
                    format!(
                        "expected a minor line such as \"1.17\" for `line`, found {}",
                        describe(node)
                    ),
                ))
            }
        };
        text.parse::<MinorLine>()
            .map_err(|e| self.err(at, format!("`line`: {e}")))
    }

    fn date(&self, node: &MarkedYaml<'_>, what: &str) -> Result<Date, LifecycleError> {
        let at = loc(node);
        let text = match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => s.trim(),
            _ => {
                return Err(self.err(
                    at,
                    format!(
                        "expected a date YYYY-MM-DD for `{what}`, found {}",
                        describe(node)
                    ),
                ))
            }
        };
        Date::parse(text).map_err(|e| self.err(at, format!("`{what}`: {e}")))
    }

    /// `{line: "1.17", until: 2027-06-30}` or `{line: "1.17", until: further-notice}`.
    fn line_support(&self, node: &MarkedYaml<'_>) -> Result<LineSupport, LifecycleError> {
        let start = loc(node);
        let (mut line, mut until) = (None, None);
        for (key, key_loc, value) in self.mapping(node, "an entry of `support`")? {
            match key.as_str() {
                "line" => line = Some(self.line(value)?),
                "until" => {
                    let is_notice = matches!(&value.data, YamlData::Value(Scalar::String(t)) if t.trim() == "further-notice");
                    until = Some(if is_notice {
                        SupportUntil::FurtherNotice
                    } else {
                        SupportUntil::Date(self.date(value, "until").map_err(|e| match e {
                            LifecycleError::Schema { path, loc, message } => LifecycleError::Schema {
                                path,
                                loc,
                                message: format!("{message}\n  help: write a day (2027-06-30) or `further-notice`"),
                            },
                            other => other,
                        })?)
                    });
                }
                other => {
                    return Err(self.err(
                        key_loc,
                        format!("unknown key `{other}`: a support decision has `line` and `until`"),
                    ))
                }
            }
        }
        let line = line.ok_or_else(|| {
            self.err(
                start,
                "an entry of `support` without `line` (e.g. line: \"1.17\")",
            )
        })?;
        let until = until.ok_or_else(|| {
            self.err(
                start,
                format!("line {line} has no `until`: a day (2027-06-30) or `further-notice`"),
            )
        })?;
        Ok(LineSupport { line, until })
    }

    fn line_facts(&self, node: &MarkedYaml<'_>) -> Result<LineFacts, LifecycleError> {
        let start = loc(node);
        let (mut line, mut released, mut eol, mut patch) = (None, None, None, None);
        for (key, key_loc, value) in self.mapping(node, "an entry of `lines`")? {
            let is_null = matches!(value.data, YamlData::Value(Scalar::Null));
            match key.as_str() {
                "line" => line = Some(self.line(value)?),
                "released" => released = Some(self.date(value, "released")?),
                "community_eol" if is_null => eol = None,
                "community_eol" => eol = Some((self.date(value, "community_eol")?, loc(value))),
                "latest_patch" if is_null => patch = None,
                "latest_patch" => {
                    let (text, at) = match &value.data {
                        YamlData::Value(Scalar::FloatingPoint(_) | Scalar::Integer(_)) => {
                            (self.raw(value).unwrap_or_default().to_owned(), loc(value))
                        }
                        _ => self.string(value, "latest_patch")?,
                    };
                    let version = Version::parse(&text)
                        .map_err(|e| self.err(at, format!("`latest_patch`: {e}")))?;
                    patch = Some((version, at));
                }
                other => {
                    return Err(self.err(
                        key_loc,
                        format!(
                            "unknown key `{other}`: a line has `line`, `released`, `community_eol` and `latest_patch`"
                        ),
                    ))
                }
            }
        }
        let line = line.ok_or_else(|| {
            self.err(
                start,
                "an entry of `lines` without `line` (e.g. line: \"1.17\")",
            )
        })?;
        let released = released.ok_or_else(|| {
            self.err(
                start,
                format!("line {line} has no `released` date (the day {line}.0 was published)"),
            )
        })?;
        if let Some((eol, at)) = eol {
            if eol < released {
                return Err(self.err(
                    at,
                    format!("line {line}: `community_eol` {eol} is before `released` {released}"),
                ));
            }
        }
        if let Some((version, at)) = &patch {
            if version.line() != line {
                return Err(self.err(
                    *at,
                    format!(
                        "line {line}: `latest_patch` {version} belongs to line {}",
                        version.line()
                    ),
                ));
            }
        }
        Ok(LineFacts {
            line,
            released,
            community_eol: eol.map(|(d, _)| d),
            latest_patch: patch.map(|(v, _)| v.to_string()),
        })
    }
}

// ---- policy and status --------------------------------------------------------------------

/// How KLTS support is granted: the settings [`line_status`] applies to [`LineFacts`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Years of LTS support after the community's end of life (default 3).
    pub lts_years: u32,
    /// The oldest line in the program (default 1.10).
    pub lts_from: MinorLine,
    /// Lines that have a `must: true` release in the manifest; `None` when there is no
    /// manifest, in which case every line from [`Policy::lts_from`] on is in the program.
    pub maintained: Option<BTreeSet<MinorLine>>,
    /// Lines whose releases in the manifest are all `must: false`: no longer maintained, so
    /// they are `eol` as soon as community support ends.
    pub dropped: BTreeSet<MinorLine>,
    /// The program's own decisions (`support:` of `lifecycle.yml`): they replace
    /// `community_eol + lts_years` for their lines.
    pub support: std::collections::BTreeMap<MinorLine, SupportUntil>,
    /// The program's activity: the newest release of each line and the day it was added to
    /// the workspace (from its git history; see `klts_forge::activity`). Shown beside the
    /// policy, and checked against it.
    pub activity: std::collections::BTreeMap<MinorLine, Activity>,
}

/// The newest release of a line and when the program shipped it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The release (`v1.17.17-lts.3`).
    pub release: String,
    /// The day it was added to the workspace.
    pub date: Date,
}

impl Default for Policy {
    /// Three years of LTS for every line from 1.10 on.
    fn default() -> Self {
        Policy {
            lts_years: 3,
            lts_from: MinorLine::new(1, 10),
            maintained: None,
            dropped: BTreeSet::new(),
            support: std::collections::BTreeMap::new(),
            activity: std::collections::BTreeMap::new(),
        }
    }
}

impl Policy {
    /// The default policy with [`Policy::maintained`] and [`Policy::dropped`] taken from a
    /// manifest's releases (release names that are not versions are ignored).
    pub fn from_manifest(manifest: &crate::manifest::Manifest) -> Policy {
        let mut maintained = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for release in &manifest.releases {
            if let Ok(version) = Version::parse(&release.name.value) {
                seen.insert(version.line());
                if release.must {
                    maintained.insert(version.line());
                }
            }
        }
        let dropped = seen.difference(&maintained).copied().collect();
        Policy {
            maintained: Some(maintained),
            dropped,
            ..Policy::default()
        }
    }

    /// This policy with the `support:` decisions of a `lifecycle.yml` (a later entry for a line
    /// replaces an earlier one).
    pub fn with_support(mut self, file: &LifecycleFile) -> Policy {
        for s in &file.support {
            self.support.insert(s.line, s.until);
        }
        self
    }

    /// This policy for `product`: Kubernetes lines are in the program from 1.10 on (the KLTS
    /// program's founding scope); other products' from their first line, the manifest's
    /// `must` releases deciding which ones.
    pub fn for_product(mut self, product: Product) -> Policy {
        self.lts_from = match product {
            Product::Kubernetes => MinorLine::new(1, 10),
            _ => MinorLine::new(0, 0),
        };
        self
    }

    /// Whether `line` gets LTS support after its community end of life: it is at least
    /// [`Policy::lts_from`], maintained (or there is no manifest) and not dropped.
    pub fn in_program(&self, line: MinorLine) -> bool {
        line >= self.lts_from
            && self.maintained.as_ref().is_none_or(|m| m.contains(&line))
            && !self.dropped.contains(&line)
    }
}

/// Where a line is in its lifecycle on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Supported by the Kubernetes community (through the end of its EOL day).
    Community,
    /// Past community end of life, supported by KLTS.
    Lts,
    /// No support: past LTS, or never in the program (too old, not maintained, dropped).
    Eol,
    /// Not released yet (`released` is in the future).
    Upcoming,
}

impl Phase {
    /// Whether a line in this phase is supported (by the community or by KLTS): the one
    /// definition of "supported" for `klts lifecycle --supported` and the portal.
    pub fn is_supported(self) -> bool {
        matches!(self, Phase::Community | Phase::Lts)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Community => "community",
            Phase::Lts => "lts",
            Phase::Eol => "eol",
            Phase::Upcoming => "upcoming",
        })
    }
}

/// The lifecycle status of one line on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineStatus {
    /// The line.
    pub line: MinorLine,
    /// Where it is in its lifecycle.
    pub phase: Phase,
    /// The day `x.y.0` was published.
    pub released: Date,
    /// The last day of community support, when known.
    pub community_eol: Option<Date>,
    /// The last day of LTS support: `community_eol + lts_years`, for lines in the program with
    /// a known community end of life (also when that day has passed or not come yet).
    pub lts_end: Option<Date>,
    /// The last day of the support that applies on the day asked about: `community_eol` for
    /// `community`, `lts_end` for `lts`; for `eol`, the day support ended; `None` for
    /// `upcoming` lines and lines without a known end of life.
    pub support_end: Option<Date>,
    /// Days from the day asked about to `support_end` for `community` and `lts` lines (`0` on
    /// the last day of support); `None` otherwise.
    pub days_left: Option<i64>,
    /// The newest upstream patch release, when known.
    pub latest_patch: Option<String>,
    /// Whether the line gets LTS support after its community end of life
    /// ([`Policy::in_program`]).
    pub in_program: bool,
    /// Where the LTS end comes from: `policy` (a `support:` decision, or "until further
    /// notice" when `lts_end` is `None` and the phase is `lts`) or `rule` (community end of
    /// life + `lts_years`); `None` outside the program.
    pub lts_basis: Option<&'static str>,
    /// The program's newest release of the line, when known ([`Policy::activity`]).
    pub activity: Option<Activity>,
    /// Where the policy and the activity disagree: a release shipped after the line's support
    /// ended, said in one sentence (`klts lint` warns with it).
    pub disagreement: Option<String>,
}

impl LineStatus {
    /// Whether the line is supported on the day asked about ([`Phase::is_supported`]).
    pub fn is_supported(&self) -> bool {
        self.phase.is_supported()
    }
}

/// The lines supported on `date`, newest first: [`statuses`] filtered by
/// [`LineStatus::is_supported`] (what `klts lifecycle --supported` lists).
pub fn supported(cal: &Calendar, policy: &Policy, date: Date) -> Vec<LineStatus> {
    let mut lines = statuses(cal, policy, date);
    lines.retain(LineStatus::is_supported);
    lines
}

/// The status of a line on `date` under `policy` (see the [module documentation](self) for
/// the rules).
pub fn line_status(facts: &LineFacts, policy: &Policy, date: Date) -> LineStatus {
    let in_program = policy.in_program(facts.line);
    let years = i32::try_from(policy.lts_years).unwrap_or(i32::MAX);
    // The program's explicit decision applies even to a line it no longer maintains: it is
    // the record of until when that line was supported.
    let decided = policy.support.get(&facts.line);
    // `None` = supported until further notice.
    let (lts_end, until_further_notice, lts_basis) = match decided {
        Some(SupportUntil::Date(d)) => (Some(*d), false, Some("policy")),
        Some(SupportUntil::FurtherNotice) => (None, true, Some("policy")),
        None => (
            facts
                .community_eol
                .filter(|_| in_program)
                .map(|eol| eol.add_years(years)),
            false,
            in_program.then_some("rule"),
        ),
    };
    let (phase, support_end) = if date < facts.released {
        (Phase::Upcoming, None)
    } else {
        match (facts.community_eol, lts_end) {
            (None, _) => (Phase::Community, None),
            (Some(eol), _) if date <= eol => (Phase::Community, Some(eol)),
            (Some(_), None) if until_further_notice => (Phase::Lts, None),
            (Some(_), Some(end)) if date <= end => (Phase::Lts, Some(end)),
            (Some(_), Some(end)) => (Phase::Eol, Some(end)),
            (Some(eol), None) => (Phase::Eol, Some(eol)),
        }
    };
    let days_left = match phase {
        Phase::Community | Phase::Lts => support_end.map(|end| date.days_until(end)),
        Phase::Eol | Phase::Upcoming => None,
    };
    let activity = policy.activity.get(&facts.line).cloned();
    let support_ended = match phase {
        Phase::Eol => support_end,
        _ => None,
    };
    let disagreement = match (&activity, support_ended) {
        (Some(a), Some(end)) if a.date > end => Some(format!(
            "line {}: the program shipped {} on {}, after its support ended ({end}, {})",
            facts.line,
            a.release,
            a.date,
            match lts_basis {
                Some("policy") => "the `support:` decision of lifecycle.yml".to_string(),
                Some(_) => format!("community end of life + {} years", policy.lts_years),
                None => "community end of life; the line is not in the program".to_string(),
            }
        )),
        _ => None,
    };
    LineStatus {
        line: facts.line,
        phase,
        released: facts.released,
        community_eol: facts.community_eol,
        lts_end,
        support_end,
        days_left,
        latest_patch: facts.latest_patch.clone(),
        in_program,
        lts_basis,
        activity,
        disagreement,
    }
}

/// The status of every line of `cal` on `date`, newest line first.
pub fn statuses(cal: &Calendar, policy: &Policy, date: Date) -> Vec<LineStatus> {
    let mut all: Vec<LineStatus> = cal
        .lines
        .iter()
        .map(|facts| line_status(facts, policy, date))
        .collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.line));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        match Date::parse(s) {
            Ok(date) => date,
            Err(e) => panic!("{e}"),
        }
    }

    fn l(s: &str) -> MinorLine {
        match s.parse() {
            Ok(line) => line,
            Err(e) => panic!("{e}"),
        }
    }

    fn facts(line: &str, released: &str, eol: Option<&str>) -> LineFacts {
        LineFacts {
            line: l(line),
            released: d(released),
            community_eol: eol.map(d),
            latest_patch: None,
        }
    }

    fn parse_file(text: &str) -> Result<LifecycleFile, LifecycleError> {
        parse_lifecycle_file(text, Path::new("lifecycle.yml"))
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(2400));
        assert!(!is_leap_year(2023) && !is_leap_year(1900) && !is_leap_year(2100));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2023, 13), 0);
        assert_eq!(d("2024-02-29").add_years(3), d("2027-02-28"));
        assert_eq!(d("2020-02-29").add_years(4), d("2024-02-29"));
        assert_eq!(d("2024-02-29").add_years(1), d("2025-02-28"));
        assert_eq!(d("2024-02-29").add_years(-4), d("2020-02-29"));
        assert_eq!(d("2021-01-13").add_years(3), d("2024-01-13"));
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("1900-02-29").is_err());
        assert!(Date::parse("2000-02-29").is_ok());
    }

    #[test]
    fn epoch_and_known_day_counts() {
        assert_eq!(Date::EPOCH.to_days(), 0);
        assert_eq!(Date::from_days(0), Date::EPOCH);
        assert_eq!(d("1969-12-31").to_days(), -1);
        assert_eq!(d("2000-03-01").to_days(), 11_017);
        assert_eq!(d("2021-01-13").to_days(), 18_640);
        assert_eq!(Date::from_days(-719_162), Date::MIN);
        assert_eq!(Date::from_days(i64::MIN), Date::MIN);
        assert_eq!(Date::from_days(i64::MAX), Date::MAX);
    }

    #[test]
    fn days_until_across_years_and_leap_days() {
        assert_eq!(d("2023-12-31").days_until(d("2024-01-01")), 1);
        assert_eq!(d("2024-02-28").days_until(d("2024-03-01")), 2);
        assert_eq!(d("2023-02-28").days_until(d("2023-03-01")), 1);
        assert_eq!(d("2024-01-01").days_until(d("2025-01-01")), 366);
        assert_eq!(d("2025-01-01").days_until(d("2026-01-01")), 365);
        assert_eq!(d("2021-01-13").days_until(d("2024-01-13")), 1095);
        assert_eq!(d("2024-01-13").days_until(d("2021-01-13")), -1095);
        assert_eq!(d("2024-02-29").days_until(d("2024-02-29")), 0);
        assert_eq!(d("2024-02-29").add_days(365), d("2025-02-28"));
        assert_eq!(Date::MAX.add_days(1), Date::MAX);
        assert_eq!(Date::MIN.add_days(-1), Date::MIN);
        assert_eq!(Date::MAX.add_years(1), Date::MAX);
        assert_eq!(Date::MIN.add_years(i32::MIN), Date::MIN);
        assert_eq!(Date::MAX.add_days(i64::MAX), Date::MAX);
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(d("2019-12-09").to_string(), "2019-12-09");
        assert_eq!(d("0001-01-01"), Date::MIN);
        for bad in [
            "",
            "2019-12-9",
            "2019-1-09",
            "19-12-09",
            "2019/12/09",
            "2019-12-09 ",
            " 2019-12-09",
            "2019-12-09T00:00",
            "+019-12-09",
            "2019-1a-09",
            "２０１９-12-09",
            "2019-12-0é",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::Malformed { .. })),
                "{bad:?}: {:?}",
                Date::parse(bad)
            );
        }
        assert!(matches!(
            Date::parse("0000-01-01"),
            Err(DateError::Year { .. })
        ));
        assert!(matches!(
            Date::parse("2021-13-01"),
            Err(DateError::Month { month: 13, .. })
        ));
        assert!(matches!(
            Date::parse("2021-00-01"),
            Err(DateError::Month { month: 0, .. })
        ));
        assert!(matches!(
            Date::parse("2021-04-31"),
            Err(DateError::Day { max: 30, .. })
        ));
        assert!(matches!(
            Date::parse("2021-01-00"),
            Err(DateError::Day { .. })
        ));
        let msg = Date::parse("2023-02-29").err().map(|e| e.to_string());
        assert_eq!(
            msg.as_deref(),
            Some("invalid date \"2023-02-29\": February 2023 has 28 days")
        );
        assert_eq!("2024-02-29".parse::<Date>(), Ok(d("2024-02-29")));
    }

    #[test]
    fn out_of_range_fields_never_panic() {
        let odd = Date {
            year: 2021,
            month: 2,
            day: 30,
        };
        assert!(!odd.is_valid());
        assert_eq!(odd.add_days(0), d("2021-03-02"));
        assert_eq!(odd.add_years(1), d("2022-03-02"));
        let wild = Date {
            year: i32::MIN,
            month: 0,
            day: u32::MAX,
        };
        let _ = (
            wild.to_days(),
            wild.add_days(5),
            wild.add_years(i32::MAX),
            wild.to_string(),
        );
        assert_eq!(Date::new(2021, 2, 29), None);
        assert_eq!(Date::new(2024, 2, 29), Some(d("2024-02-29")));
    }

    #[test]
    fn today_is_valid() {
        let today = Date::today();
        assert!(today.is_valid());
        assert!(today >= d("2024-01-01"), "{today}");
    }

    #[test]
    fn other_products_have_their_own_calendars() {
        for (product, text, path) in [
            (
                Product::Containerd,
                BUILTIN_CONTAINERD.0,
                BUILTIN_CONTAINERD.1,
            ),
            (Product::Runc, BUILTIN_RUNC.0, BUILTIN_RUNC.1),
        ] {
            if let Err(e) = parse(text, Path::new(path)) {
                panic!("{e}");
            }
            let cal = Calendar::builtin_for(product);
            assert_eq!(cal.product, product.as_str());
            assert!(!cal.lines.is_empty());
            for f in &cal.lines {
                let eol = f.community_eol.unwrap_or(Date::MAX);
                assert!(f.released < eol, "{product} {}", f.line);
                let patch = f.latest_patch.as_deref().unwrap_or_default();
                assert!(
                    Version::parse(patch).is_ok_and(|v| v.line() == f.line),
                    "{product} {}: {patch}",
                    f.line
                );
            }
        }
        // containerd 1.3 ended 2021-03-04 (RELEASES.md): CVE-2021-41103 (2021-10-04) came after.
        let c13 = Calendar::builtin_for(Product::Containerd)
            .get(MinorLine::new(1, 3))
            .unwrap();
        assert_eq!(c13.community_eol, Some(d("2021-03-04")));
        assert!(Calendar::builtin_for(Product::Generic).lines.is_empty());
        assert!(Calendar::builtin_for(Product::Generic)
            .source
            .contains("generic"));
    }

    #[test]
    fn lifecycle_file_of_a_builtin_product_starts_from_its_calendar() {
        let file = LifecycleFile {
            product: Some("containerd".into()),
            ..Default::default()
        };
        let cal = Calendar::builtin().with_overrides(&file);
        assert_eq!(cal.product, "containerd");
        assert_eq!(cal, *Calendar::builtin_for(Product::Containerd));
        let file = LifecycleFile {
            product: Some("podman".into()),
            ..Default::default()
        };
        let cal = Calendar::builtin().with_overrides(&file);
        assert_eq!(cal.product, "podman");
        assert!(cal.lines.is_empty());
    }

    #[test]
    fn builtin_calendar_parses() {
        // Parse the embedded text directly so that an error is shown, not an empty calendar.
        let parsed = match parse(BUILTIN, Path::new(BUILTIN_PATH)) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert!(parsed.source.is_some());
        let cal = Calendar::builtin();
        assert_eq!(cal.product, "kubernetes");
        assert_eq!(cal.lines.len(), parsed.file.lines.len());
        assert!(!cal.source.contains("unreadable"), "{}", cal.source);
        assert!(cal.source.contains("kubernetes.io"), "{}", cal.source);
        for minor in 0..=33 {
            assert!(
                cal.get(MinorLine::new(1, minor)).is_some(),
                "1.{minor} missing"
            );
        }
        for pair in cal.lines.windows(2) {
            assert!(pair[0].line < pair[1].line);
        }
        for f in &cal.lines {
            let eol = f.community_eol.unwrap_or(Date::MAX);
            assert!(f.released < eol, "{}", f.line);
            let patch = f.latest_patch.as_deref().unwrap_or_default();
            assert!(
                Version::parse(patch).is_ok_and(|v| v.line() == f.line),
                "{}: {patch}",
                f.line
            );
        }
    }

    #[test]
    fn builtin_anchors() {
        let cal = Calendar::builtin();
        let check = |line: &str, released: &str, eol: &str, patch: &str| {
            let f = cal.get(l(line));
            assert_eq!(f.map(|f| f.released), Some(d(released)), "{line}");
            assert_eq!(f.and_then(|f| f.community_eol), Some(d(eol)), "{line}");
            assert_eq!(
                f.and_then(|f| f.latest_patch.clone()).as_deref(),
                Some(patch)
            );
        };
        check("1.10", "2018-03-26", "2019-02-13", "v1.10.13");
        check("1.16", "2019-09-18", "2020-09-02", "v1.16.15");
        check("1.17", "2019-12-09", "2021-01-13", "v1.17.17");
        check("1.18", "2020-03-25", "2021-06-18", "v1.18.20");
        check("1.19", "2020-08-26", "2021-10-28", "v1.19.16");
        check("1.20", "2020-12-08", "2022-02-28", "v1.20.15");
        check("1.21", "2021-04-08", "2022-06-28", "v1.21.14");
        check("1.28", "2023-08-15", "2024-10-28", "v1.28.15");
        assert_eq!(
            cal.get(l("1.32")).map(|f| (f.released, f.community_eol)),
            Some((d("2024-12-11"), Some(d("2026-02-28"))))
        );
    }

    #[test]
    fn eol_day_is_still_community() {
        let f = facts("1.17", "2019-12-09", Some("2021-01-13"));
        let p = Policy::default();
        let on = line_status(&f, &p, d("2021-01-13"));
        assert_eq!(on.phase, Phase::Community);
        assert_eq!(on.support_end, Some(d("2021-01-13")));
        assert_eq!(on.days_left, Some(0));
        let after = line_status(&f, &p, d("2021-01-14"));
        assert_eq!(after.phase, Phase::Lts);
        assert_eq!(after.support_end, Some(d("2024-01-13")));
        assert_eq!(after.days_left, Some(1094));
        let last = line_status(&f, &p, d("2024-01-13"));
        assert_eq!((last.phase, last.days_left), (Phase::Lts, Some(0)));
        let gone = line_status(&f, &p, d("2024-01-14"));
        assert_eq!((gone.phase, gone.days_left), (Phase::Eol, None));
        assert_eq!(gone.support_end, Some(d("2024-01-13")));
        let before = line_status(&f, &p, d("2019-12-08"));
        assert_eq!((before.phase, before.support_end), (Phase::Upcoming, None));
        let first = line_status(&f, &p, d("2019-12-09"));
        assert_eq!(first.phase, Phase::Community);
    }

    #[test]
    fn policy_variants() {
        let f = facts("1.20", "2020-12-08", Some("2022-02-28"));
        let day = d("2023-06-01");
        let one_year = Policy {
            lts_years: 1,
            ..Policy::default()
        };
        let s = line_status(&f, &one_year, day);
        assert_eq!((s.phase, s.lts_end), (Phase::Eol, Some(d("2023-02-28"))));
        let zero = Policy {
            lts_years: 0,
            ..Policy::default()
        };
        let s = line_status(&f, &zero, d("2022-03-01"));
        assert_eq!(
            (s.phase, s.support_end),
            (Phase::Eol, Some(d("2022-02-28")))
        );

        let dropped = Policy {
            dropped: [l("1.20")].into(),
            ..Policy::default()
        };
        let s = line_status(&f, &dropped, day);
        assert_eq!(
            (s.phase, s.in_program, s.lts_end),
            (Phase::Eol, false, None)
        );
        assert_eq!(s.support_end, Some(d("2022-02-28")));
        assert_eq!(
            line_status(&f, &dropped, d("2022-02-28")).phase,
            Phase::Community
        );

        let maintained = Policy {
            maintained: Some([l("1.18")].into()),
            ..Policy::default()
        };
        assert_eq!(line_status(&f, &maintained, day).phase, Phase::Eol);
        let maintained = Policy {
            maintained: Some([l("1.20")].into()),
            ..Policy::default()
        };
        assert_eq!(line_status(&f, &maintained, day).phase, Phase::Lts);

        let old = facts("1.9", "2017-12-15", Some("2018-09-29"));
        let s = line_status(&old, &Policy::default(), d("2019-01-01"));
        assert_eq!((s.phase, s.in_program), (Phase::Eol, false));
        let s = line_status(
            &facts("1.10", "2018-03-26", Some("2019-02-13")),
            &Policy::default(),
            d("2019-03-01"),
        );
        assert_eq!(s.phase, Phase::Lts);
    }

    #[test]
    fn unknown_eol_is_community() {
        let f = facts("1.40", "2027-08-01", None);
        let s = line_status(&f, &Policy::default(), d("2030-01-01"));
        assert_eq!(
            (s.phase, s.support_end, s.days_left, s.lts_end),
            (Phase::Community, None, None, None)
        );
        let s = line_status(&f, &Policy::default(), d("2027-07-31"));
        assert_eq!(s.phase, Phase::Upcoming);
    }

    #[test]
    fn statuses_are_newest_first() {
        let cal = Calendar::builtin();
        let all = statuses(&cal, &Policy::default(), d("2021-12-01"));
        assert_eq!(all.len(), cal.lines.len());
        for pair in all.windows(2) {
            assert!(pair[0].line > pair[1].line);
        }
        let phase = |line: &str| all.iter().find(|s| s.line == l(line)).map(|s| s.phase);
        assert_eq!(phase("1.23"), Some(Phase::Upcoming));
        assert_eq!(phase("1.22"), Some(Phase::Community));
        assert_eq!(phase("1.19"), Some(Phase::Lts));
        assert_eq!(phase("1.10"), Some(Phase::Lts));
        assert_eq!(phase("1.9"), Some(Phase::Eol));
    }

    #[test]
    fn supported_means_community_or_lts_on_the_day() {
        assert!(Phase::Community.is_supported());
        assert!(Phase::Lts.is_supported());
        assert!(!Phase::Eol.is_supported());
        assert!(!Phase::Upcoming.is_supported());
        let cal = Calendar::builtin();
        let lines: Vec<String> = supported(&cal, &Policy::default(), d("2021-12-01"))
            .iter()
            .map(|s| s.line.to_string())
            .collect();
        // 1.23 is upcoming and 1.9 out of the program on that day: neither is listed.
        assert_eq!(lines.first().map(String::as_str), Some("1.22"));
        assert_eq!(lines.last().map(String::as_str), Some("1.10"));
        assert_eq!(lines.len(), 13);
    }

    #[test]
    fn phases_display_lowercase() {
        let shown: Vec<String> = [Phase::Community, Phase::Lts, Phase::Eol, Phase::Upcoming]
            .iter()
            .map(Phase::to_string)
            .collect();
        assert_eq!(shown, ["community", "lts", "eol", "upcoming"]);
    }

    #[test]
    fn lifecycle_file_shape() {
        let text = "\
product: kubernetes
lts_years: 2
source: my notes
lines:
  - line: \"1.17\"
    released: 2019-12-09
    community_eol: 2021-01-13
    latest_patch: v1.17.17
  - line: 1.10
    released: 2018-03-26
    community_eol:
  - line: 1.37
    released: '2026-08-26'
    latest_patch: 1.37.0
";
        let file = match parse_file(text) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(file.product.as_deref(), Some("kubernetes"));
        assert_eq!(file.lts_years, Some(2));
        assert_eq!(file.lines.len(), 3);
        assert_eq!(file.lines[0].latest_patch.as_deref(), Some("v1.17.17"));
        assert_eq!(file.lines[1].line, l("1.10"));
        assert_eq!(file.lines[1].community_eol, None);
        assert_eq!(file.lines[2].line, l("1.37"));
        assert_eq!(file.lines[2].latest_patch.as_deref(), Some("v1.37.0"));
        // Unquoted numbers are read as written, also in flow style and with a comment after.
        let flow = parse_file(
            "lines: [{line: 1.10, released: 2018-03-26}, {line: 1.20 , released: 2020-12-08}]\nproduct: kubernetes # note\n",
        );
        assert!(
            flow.as_ref()
                .is_ok_and(|f| f.lines.iter().map(|x| x.line).eq([l("1.10"), l("1.20")])),
            "{flow:?}"
        );
        let commented = parse_file("lines:\n  - line: 1.30 # thirty\n    released: 2024-04-17\n");
        assert!(
            commented
                .as_ref()
                .is_ok_and(|f| f.lines[0].line == l("1.30")),
            "{commented:?}"
        );
        assert!(parse_file("").is_ok_and(|f| f == LifecycleFile::default()));
        assert!(parse_file("# nothing\n").is_ok_and(|f| f == LifecycleFile::default()));
        assert!(parse_file("lines:\n").is_ok_and(|f| f.lines.is_empty()));
    }

    #[test]
    fn lifecycle_file_errors_have_positions() {
        let at = |text: &str| match parse_file(text) {
            Ok(f) => panic!("{text:?} should not parse: {f:?}"),
            Err(e) => (e.location(), e.to_string()),
        };
        let (loc, msg) = at("lines:\n  - line: \"1.17\"\n    released: [unclosed\n");
        assert!(loc.is_some_and(|l| l.line >= 3), "{msg}");
        assert!(
            msg.starts_with("lifecycle.yml:") && msg.contains("invalid YAML"),
            "{msg}"
        );

        let (loc, msg) = at("lines:\n  - line: \"1.17\"\n    released: 2019-02-30\n");
        assert_eq!(loc, Some(Location { line: 3, col: 15 }), "{msg}");
        assert!(msg.contains("February 2019 has 28 days"), "{msg}");
        assert!(msg.starts_with("lifecycle.yml:3:15: "), "{msg}");

        let (loc, msg) = at(
            "lines:\n  - line: \"1.17\"\n    released: 2019-12-09\n    community_eol: 2019-01-01\n",
        );
        assert_eq!(loc, Some(Location { line: 4, col: 20 }), "{msg}");
        assert!(msg.contains("before `released`"), "{msg}");

        let (loc, msg) = at("lines:\n  - line: \"1.17\"\n    relased: 2019-12-09\n");
        assert_eq!(loc, Some(Location { line: 3, col: 5 }), "{msg}");
        assert!(msg.contains("unknown key `relased`"), "{msg}");

        let (_, msg) = at("lines:\n  - line: \"1.17\"\n");
        assert!(msg.contains("no `released`"), "{msg}");
        let (loc, msg) = at("lines:\n  - released: 2019-12-09\n");
        assert_eq!(loc.map(|l| l.line), Some(2), "{msg}");
        let (_, msg) = at("lts_years: -1\n");
        assert!(msg.contains("lts_years"), "{msg}");
        let (_, msg) = at("lts_years: three\n");
        assert!(msg.contains("lts_years"), "{msg}");
        let (loc, msg) = at("lines:\n  - {line: \"1.17\", released: 2019-12-09}\n  - {line: \"1.17\", released: 2019-12-09}\n");
        assert_eq!(loc.map(|l| l.line), Some(3), "{msg}");
        assert!(msg.contains("twice"), "{msg}");
        let (_, msg) =
            at("lines:\n  - {line: \"1.17\", released: 2019-12-09, latest_patch: 1.18.1}\n");
        assert!(msg.contains("belongs to line 1.18"), "{msg}");
        let (_, msg) = at("lines:\n  - {line: \"1.17\", released: 20191209}\n");
        assert!(msg.contains("expected a date"), "{msg}");
        let (_, msg) = at("lines:\n  - {line: one, released: 2019-12-09}\n");
        assert!(msg.contains("invalid minor line"), "{msg}");
        let (_, msg) = at("- just a list\n");
        assert!(msg.contains("expected a mapping"), "{msg}");
        let (loc, msg) = at("product: a\n---\nproduct: b\n");
        assert_eq!(loc.map(|l| l.line), Some(3), "{msg}");
        let (_, msg) = at("product: ''\n");
        assert!(msg.contains("`product` is empty"), "{msg}");
        let (_, msg) = at("lines: 3\n");
        assert!(msg.contains("expected a list"), "{msg}");
    }

    #[test]
    fn overrides_replace_add_and_switch_product() {
        let cal = Calendar::builtin();
        let file = match parse_file(
            "lines:\n  - line: \"1.17\"\n    released: 2019-12-09\n    community_eol: 2021-02-01\n  - line: \"1.99\"\n    released: 2030-01-01\n",
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let over = cal.with_overrides(&file);
        assert_eq!(over.product, "kubernetes");
        assert_eq!(over.lines.len(), cal.lines.len() + 1);
        assert_eq!(
            over.get(l("1.17")).and_then(|f| f.community_eol),
            Some(d("2021-02-01"))
        );
        assert_eq!(
            over.get(l("1.17")).and_then(|f| f.latest_patch.clone()),
            None
        );
        assert_eq!(over.lines.last().map(|f| f.line), Some(l("1.99")));
        assert!(over.source.contains("lifecycle.yml"), "{}", over.source);
        assert_eq!(over.get(l("1.16")), cal.get(l("1.16")));

        let same = cal.with_overrides(&LifecycleFile {
            product: Some("Kubernetes".into()),
            ..LifecycleFile::default()
        });
        assert_eq!(same, cal);

        let containerd = match parse_file("product: containerd\nlines:\n  - {line: \"1.6\", released: 2022-02-15, community_eol: 2025-07-23, latest_patch: 1.6.38}\n  - {line: \"1.5\", released: 2021-05-03, community_eol: 2023-02-28}\n") {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let other = cal.with_overrides(&containerd);
        assert_eq!(other.product, "containerd");
        // containerd's own calendar, corrected by the file: no Kubernetes line survives.
        assert_eq!(
            other.get(l("1.6")).and_then(|f| f.community_eol),
            Some(Date::parse("2025-07-23").unwrap())
        );
        assert_eq!(
            other.get(l("1.3")).map(|f| f.released),
            Some(Date::parse("2019-09-26").unwrap())
        );
        assert!(other.get(l("1.17")).is_none());
        assert!(other.source.contains("RELEASES.md"), "{}", other.source);
    }

    #[test]
    fn policy_from_manifest() {
        let text = "base: x\nreleases:\n  - {name: v1.17.17-lts.3, base_release: v1.17.17, must: true}\n  - {name: v1.18.20-lts.1, base_release: v1.18.20, must: false}\n  - {name: v1.17.17-ci, base_release: v1.17.17}\n  - {name: not-a-version, base_release: x, must: true}\n";
        let manifest = match crate::manifest::Manifest::parse(text, Path::new("releases.yml")) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        let p = Policy::from_manifest(&manifest);
        assert_eq!(p.maintained, Some([l("1.17")].into()));
        assert_eq!(p.dropped, [l("1.18")].into());
        assert!(p.in_program(l("1.17")));
        assert!(!p.in_program(l("1.18")));
        assert!(!p.in_program(l("1.19")));
        assert_eq!(p.lts_years, 3);
    }

    proptest! {
        #[test]
        fn prop_days_round_trip(days in Date::MIN.to_days()..=Date::MAX.to_days()) {
            let date = Date::from_days(days);
            prop_assert!(date.is_valid(), "{:?}", date);
            prop_assert_eq!(date.to_days(), days);
            prop_assert_eq!(Date::parse(&date.to_string()), Ok(date));
            prop_assert_eq!(date.add_days(1) > date, date != Date::MAX);
        }

        #[test]
        fn prop_order_matches_days(a in Date::MIN.to_days()..=Date::MAX.to_days(), b in Date::MIN.to_days()..=Date::MAX.to_days()) {
            let (x, y) = (Date::from_days(a), Date::from_days(b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x.days_until(y), b - a);
        }

        #[test]
        fn prop_add_years_keeps_month(days in -200_000i64..200_000, n in -50i32..50) {
            let date = Date::from_days(days);
            let later = date.add_years(n);
            prop_assert!(later.is_valid());
            prop_assert_eq!(later.month, date.month);
            prop_assert_eq!(later.year, date.year + n);
            prop_assert!(later.day == date.day || (date.month == 2 && date.day == 29 && later.day == 28));
        }

        #[test]
        fn prop_parse_never_panics(s in "\\PC{0,14}") {
            if let Ok(date) = Date::parse(&s) {
                prop_assert_eq!(date.to_string(), s);
            }
        }

        #[test]
        fn prop_parse_date_shaped(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
            if let Ok(date) = Date::parse(&s) {
                prop_assert!(date.is_valid());
                prop_assert_eq!(date.to_string(), s);
            }
        }

        #[test]
        fn prop_lifecycle_file_never_panics(s in "\\PC{0,200}") {
            let _ = parse_file(&s);
        }

        #[test]
        fn prop_lifecycle_shaped_never_panics(s in "(product: [a-z]{0,5}\n)?(lts_years: [0-9-]{0,3}\n)?(lines:\n)?(  - (line|released|community_eol|latest_patch): [0-9a-z.\"-]{0,12}\n){0,6}") {
            let _ = parse_file(&s);
        }

        #[test]
        fn prop_status_is_consistent(
            released in 10_000i64..20_000,
            eol_after in proptest::option::of(0i64..1000),
            offset in -2000i64..4000,
            years in 0u32..5,
            minor in 0u64..40,
        ) {
            let released = Date::from_days(released);
            let f = LineFacts {
                line: MinorLine::new(1, minor),
                released,
                community_eol: eol_after.map(|n| released.add_days(n)),
                latest_patch: None,
            };
            let policy = Policy { lts_years: years, ..Policy::default() };
            let date = released.add_days(offset);
            let s = line_status(&f, &policy, date);
            prop_assert_eq!(s.in_program, minor >= 10);
            match s.phase {
                Phase::Upcoming => prop_assert!(date < released),
                Phase::Community => prop_assert!(date >= released && f.community_eol.is_none_or(|e| date <= e)),
                Phase::Lts => prop_assert!(s.in_program && s.support_end.is_some_and(|e| date <= e) && f.community_eol.is_some_and(|e| date > e)),
                Phase::Eol => prop_assert!(s.support_end.is_some_and(|e| date > e)),
            }
            if let Some(left) = s.days_left {
                prop_assert!(left >= 0);
                prop_assert_eq!(Some(date.add_days(left)), s.support_end);
            }
        }
    }
}
