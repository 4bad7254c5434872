//! OSV range evaluation: is a version inside an advisory's affected ranges, past a fix, or
//! neither?
//!
//! Versions compare with their package's ecosystem:
//!
//! * [`Ecosystem::Kubernetes`] — [`klts_core::version::Version`], the LTS ordering, so
//!   `1.17.17 < 1.17.17-lts.1 < 1.17.18`;
//! * [`Ecosystem::Go`] — [`GoVersion`] (semver precedence, `go1.21rc2` toolchain names).
//!
//! Other ecosystems, and `GIT` ranges (commits, not versions), are skipped: they never match.
//!
//! # Event semantics (OSV)
//!
//! Each range's events are sorted by version (`introduced: "0"` is the beginning of time) and
//! walked: `introduced` opens an interval, `fixed` closes it (exclusive), `last_affected`
//! closes it (inclusive). A range may hold several intervals (`introduced 1.3.0, fixed 1.7.14,
//! introduced 1.8.0, fixed 1.8.9, …`). `limit` events bound the whole range: a version is in
//! the range only if it is below some limit. The package's explicit `versions` list also
//! counts as affected.
//!
//! The [`Verdict`] is:
//!
//! * [`Verdict::Affected`] — inside an interval (or listed);
//! * [`Verdict::Fixed`] — inside none, but at or after the closing `fixed` (or after the
//!   `last_affected`) of an interval that began at or before the version: the fix is in its
//!   history. The evidence names the nearest such fix;
//! * [`Verdict::NotAffected`] — otherwise (before every `introduced`, say).

use crate::gover::GoVersion;
use crate::model::{Affected, Ecosystem, Event, Range, RangeKind};
use klts_core::version::Version;
use serde::Serialize;
use std::cmp::Ordering;
use std::fmt;

/// Why a range could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// The version being evaluated is not a version of the package's ecosystem.
    #[error("cannot compare {version:?} with {package} ({ecosystem} versions): {reason}")]
    InvalidVersion {
        /// The package.
        package: String,
        /// The ecosystem.
        ecosystem: String,
        /// The rejected version.
        version: String,
        /// Why it does not parse.
        reason: String,
    },
    /// An event of one of the package's ranges is not a version of its ecosystem.
    #[error("{package}: invalid {event} event {value:?} in range {range}: {reason}")]
    InvalidEvent {
        /// The package.
        package: String,
        /// The index of the range in the package's ranges.
        range: usize,
        /// The event kind: `introduced`, `fixed`, `last_affected` or `limit`.
        event: &'static str,
        /// The rejected value.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
}

/// The outcome of evaluating a version against an affected package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "evidence", rename_all = "snake_case")]
pub enum Verdict {
    /// The version is inside an affected interval, or explicitly listed.
    Affected(Evidence),
    /// The version is past the fix of an interval that began at or before it.
    Fixed(Evidence),
    /// Neither.
    NotAffected,
}

/// Which interval decided a [`Verdict`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The package name.
    pub package: String,
    /// The interval, for people: `>=1.8.0, <1.8.9`, `<1.24.14`, `>=1.0.0, <=1.2.3`, `=1.2.3`.
    pub range: String,
    /// The interval's `introduced` event, as written (`0` for the beginning of time).
    pub introduced: Option<String>,
    /// The interval's `fixed` event, as written.
    pub fixed: Option<String>,
    /// The interval's `last_affected` event, as written.
    pub last_affected: Option<String>,
}

/// A version of one of the supported ecosystems.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AnyVersion {
    /// Kubernetes, LTS ordering.
    Kube(Version),
    /// Go semver.
    Go(GoVersion),
}

/// Whether versions of `ecosystem` can be compared here.
pub(crate) fn supported(ecosystem: &Ecosystem) -> bool {
    matches!(ecosystem, Ecosystem::Kubernetes | Ecosystem::Go)
}

/// Parses `s` as a version of `ecosystem`; `Ok(None)` for an unsupported ecosystem.
pub(crate) fn parse_version(ecosystem: &Ecosystem, s: &str) -> Result<Option<AnyVersion>, String> {
    match ecosystem {
        Ecosystem::Kubernetes => Version::parse(s)
            .map(|v| Some(AnyVersion::Kube(v)))
            .map_err(|e| e.to_string()),
        Ecosystem::Go => GoVersion::parse(s)
            .map(|v| Some(AnyVersion::Go(v)))
            .map_err(|e| e.to_string()),
        Ecosystem::Other(_) => Ok(None),
    }
}

/// Checks that an event value is a version of `ecosystem` (`0` is allowed for `introduced`).
/// Used by the OSV reader so that a range it keeps always evaluates.
pub(crate) fn check_event(ecosystem: &Ecosystem, event: &Event) -> Result<(), String> {
    match event {
        Event::Introduced(v) if v == "0" => Ok(()),
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => {
            parse_version(ecosystem, v).map(|_| ())
        }
    }
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Introduced(_) => "introduced",
        Event::Fixed(_) => "fixed",
        Event::LastAffected(_) => "last_affected",
        Event::Limit(_) => "limit",
    }
}

/// A bound of an interval: a parsed version and its text as written.
#[derive(Clone, Debug)]
struct Bound {
    version: AnyVersion,
    text: String,
}

/// How an interval ends.
#[derive(Clone, Debug)]
enum End {
    /// Open-ended: every later version is affected.
    Open,
    /// `fixed`: exclusive.
    Fixed(Bound),
    /// `last_affected`: inclusive.
    LastAffected(Bound),
}

/// One affected interval of a range.
#[derive(Clone, Debug)]
struct Interval {
    /// `None` = from the beginning of time (`introduced: "0"`).
    start: Option<Bound>,
    end: End,
}

impl Interval {
    fn starts_at_or_before(&self, v: &AnyVersion) -> bool {
        self.start.as_ref().is_none_or(|s| s.version <= *v)
    }

    fn contains(&self, v: &AnyVersion) -> bool {
        self.starts_at_or_before(v)
            && match &self.end {
                End::Open => true,
                End::Fixed(b) => *v < b.version,
                End::LastAffected(b) => *v <= b.version,
            }
    }

    /// The closing bound if `v` is past it (and the interval began at or before `v`).
    fn fix_before(&self, v: &AnyVersion) -> Option<&Bound> {
        if !self.starts_at_or_before(v) {
            return None;
        }
        match &self.end {
            End::Fixed(b) if *v >= b.version => Some(b),
            End::LastAffected(b) if *v > b.version => Some(b),
            _ => None,
        }
    }

    fn evidence(&self, package: &str, limit: Option<&Bound>) -> Evidence {
        let mut parts = Vec::new();
        if let Some(s) = &self.start {
            parts.push(format!(">={}", s.text));
        }
        let (mut fixed, mut last_affected) = (None, None);
        match &self.end {
            End::Open => {}
            End::Fixed(b) => {
                parts.push(format!("<{}", b.text));
                fixed = Some(b.text.clone());
            }
            End::LastAffected(b) => {
                parts.push(format!("<={}", b.text));
                last_affected = Some(b.text.clone());
            }
        }
        if let Some(l) = limit {
            parts.push(format!("<{} (limit)", l.text));
        }
        Evidence {
            package: package.to_string(),
            range: if parts.is_empty() {
                "*".to_string()
            } else {
                parts.join(", ")
            },
            introduced: Some(
                self.start
                    .as_ref()
                    .map_or_else(|| "0".to_string(), |s| s.text.clone()),
            ),
            fixed,
            last_affected,
        }
    }
}

/// A range, parsed: its intervals and its limits.
struct Parsed {
    intervals: Vec<Interval>,
    limits: Vec<Bound>,
}

impl Parsed {
    /// The smallest limit above `v`, or `Ok(None)` when there are no limits; `Err` when `v` is
    /// at or above every limit (outside the range).
    fn limit_for(&self, v: &AnyVersion) -> Result<Option<&Bound>, ()> {
        if self.limits.is_empty() {
            return Ok(None);
        }
        self.limits
            .iter()
            .filter(|l| *v < l.version)
            .min_by(|a, b| a.version.cmp(&b.version))
            .map(Some)
            .ok_or(())
    }
}

/// Sort rank of events at the same version: open before close, so `introduced X, fixed X` is
/// an empty interval and `introduced X, last_affected X` is exactly `X`.
fn tie_rank(e: &Event) -> u8 {
    match e {
        Event::Introduced(_) => 0,
        Event::LastAffected(_) => 1,
        Event::Fixed(_) => 2,
        Event::Limit(_) => 3,
    }
}

fn parse_range(
    ecosystem: &Ecosystem,
    package: &str,
    index: usize,
    range: &Range,
) -> Result<Parsed, RangeError> {
    // (version — None for introduced "0" —, event)
    let mut events: Vec<(Option<Bound>, &Event)> = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let text = match e {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        };
        let bound = if matches!(e, Event::Introduced(_)) && text == "0" {
            None
        } else {
            match parse_version(ecosystem, text) {
                Ok(Some(version)) => Some(Bound {
                    version,
                    text: text.clone(),
                }),
                Ok(None) => continue,
                Err(reason) => {
                    return Err(RangeError::InvalidEvent {
                        package: package.to_string(),
                        range: index,
                        event: event_name(e),
                        value: text.clone(),
                        reason,
                    })
                }
            }
        };
        events.push((bound, e));
    }
    events.sort_by(|(a, ea), (b, eb)| {
        let by_version = match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.version.cmp(&b.version),
        };
        by_version.then_with(|| tie_rank(ea).cmp(&tie_rank(eb)))
    });

    let mut intervals = Vec::new();
    let mut limits = Vec::new();
    let mut open: Option<Option<Bound>> = None;
    for (bound, e) in events {
        match e {
            Event::Introduced(_) => {
                if open.is_none() {
                    open = Some(bound);
                }
            }
            Event::Fixed(_) | Event::LastAffected(_) => {
                if let (Some(start), Some(b)) = (open.take(), bound) {
                    let end = if matches!(e, Event::Fixed(_)) {
                        End::Fixed(b)
                    } else {
                        End::LastAffected(b)
                    };
                    intervals.push(Interval { start, end });
                }
            }
            Event::Limit(_) => {
                if let Some(b) = bound {
                    limits.push(b);
                }
            }
        }
    }
    if let Some(start) = open {
        intervals.push(Interval {
            start,
            end: End::Open,
        });
    }
    Ok(Parsed { intervals, limits })
}

/// The ranges of `affected` that can be evaluated (not `GIT`), parsed.
fn parsed_ranges(affected: &Affected) -> Result<Vec<Parsed>, RangeError> {
    let mut out = Vec::new();
    if !supported(&affected.package.ecosystem) {
        return Ok(out);
    }
    for (i, r) in affected.ranges.iter().enumerate() {
        if r.kind == RangeKind::Git {
            continue;
        }
        out.push(parse_range(
            &affected.package.ecosystem,
            &affected.package.name,
            i,
            r,
        )?);
    }
    Ok(out)
}

/// Evaluates `version` against `affected`. See the [module documentation](self).
///
/// `Err` when `version` (or an event of an evaluable range) is not a version of the package's
/// ecosystem. Unsupported ecosystems and `GIT` ranges never match (`Ok(NotAffected)`).
pub fn evaluate(affected: &Affected, version: &str) -> Result<Verdict, RangeError> {
    let ecosystem = &affected.package.ecosystem;
    let package = affected.package.name.as_str();
    let v = match parse_version(ecosystem, version) {
        Ok(Some(v)) => v,
        Ok(None) => return Ok(Verdict::NotAffected),
        Err(reason) => {
            return Err(RangeError::InvalidVersion {
                package: package.to_string(),
                ecosystem: ecosystem.to_string(),
                version: version.to_string(),
                reason,
            })
        }
    };

    for listed in &affected.versions {
        let hit = match parse_version(ecosystem, listed) {
            Ok(Some(l)) => l == v,
            _ => listed == version,
        };
        if hit {
            return Ok(Verdict::Affected(Evidence {
                package: package.to_string(),
                range: format!("={listed}"),
                introduced: None,
                fixed: None,
                last_affected: None,
            }));
        }
    }

    let ranges = parsed_ranges(affected)?;
    for r in &ranges {
        let Ok(limit) = r.limit_for(&v) else { continue };
        if let Some(i) = r.intervals.iter().find(|i| i.contains(&v)) {
            return Ok(Verdict::Affected(i.evidence(package, limit)));
        }
    }

    // The nearest fix at or before `v`: the greatest closing bound among intervals that began
    // at or before `v`.
    let nearest = ranges
        .iter()
        .flat_map(|r| r.intervals.iter())
        .filter_map(|i| i.fix_before(&v).map(|b| (b, i)))
        .max_by(|(a, _), (b, _)| a.version.cmp(&b.version));
    Ok(match nearest {
        Some((_, i)) => Verdict::Fixed(i.evidence(package, None)),
        None => Verdict::NotAffected,
    })
}

/// Every `fixed` event of the package's version ranges (not `GIT` ranges), in record order,
/// without duplicates.
pub fn fixed_versions(affected: &Affected) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in affected.ranges.iter().filter(|r| r.kind != RangeKind::Git) {
        for e in &r.events {
            if let Event::Fixed(v) = e {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
        }
    }
    out
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.package, self.range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Package;
    use proptest::prelude::*;

    fn affected(eco: Ecosystem, ranges: Vec<Vec<Event>>) -> Affected {
        Affected {
            package: Package {
                ecosystem: eco,
                name: "k8s.io/kubelet".into(),
            },
            ranges: ranges
                .into_iter()
                .map(|events| Range {
                    kind: RangeKind::Semver,
                    events,
                })
                .collect(),
            versions: Vec::new(),
            record: None,
        }
    }

    fn i(s: &str) -> Event {
        Event::Introduced(s.into())
    }
    fn f(s: &str) -> Event {
        Event::Fixed(s.into())
    }
    fn la(s: &str) -> Event {
        Event::LastAffected(s.into())
    }
    fn lim(s: &str) -> Event {
        Event::Limit(s.into())
    }

    fn word(v: &Result<Verdict, RangeError>) -> &'static str {
        match v {
            Ok(Verdict::Affected(_)) => "affected",
            Ok(Verdict::Fixed(_)) => "fixed",
            Ok(Verdict::NotAffected) => "not affected",
            Err(_) => "error",
        }
    }

    fn multi() -> Affected {
        // CVE-2017-1002101
        affected(
            Ecosystem::Kubernetes,
            vec![vec![
                i("1.3.0"),
                f("1.7.14"),
                i("1.8.0"),
                f("1.8.9"),
                i("1.9.0"),
                f("1.9.4"),
            ]],
        )
    }

    #[test]
    fn multi_interval() {
        let a = multi();
        for (v, want) in [
            ("1.2.9", "not affected"),
            ("1.3.0", "affected"),
            ("v1.6.3", "affected"),
            ("1.7.13", "affected"),
            ("1.7.14", "fixed"),
            ("1.7.99", "fixed"),
            ("1.8.0", "affected"),
            ("1.8.8", "affected"),
            ("1.8.8-lts.1", "affected"),
            ("1.8.9", "fixed"),
            ("1.9.3", "affected"),
            ("1.9.4", "fixed"),
            ("1.17.17", "fixed"),
            ("1.17.17-lts.1", "fixed"),
        ] {
            assert_eq!(word(&evaluate(&a, v)), want, "{v}");
        }
        assert_eq!(
            evaluate(&a, "1.8.5"),
            Ok(Verdict::Affected(Evidence {
                package: "k8s.io/kubelet".into(),
                range: ">=1.8.0, <1.8.9".into(),
                introduced: Some("1.8.0".into()),
                fixed: Some("1.8.9".into()),
                last_affected: None,
            }))
        );
        // The nearest fix is named.
        match evaluate(&a, "1.8.20") {
            Ok(Verdict::Fixed(e)) => assert_eq!(e.fixed.as_deref(), Some("1.8.9")),
            other => panic!("{other:?}"),
        }
        match evaluate(&a, "1.20.0") {
            Ok(Verdict::Fixed(e)) => {
                assert_eq!(e.fixed.as_deref(), Some("1.9.4"));
                assert_eq!(e.range, ">=1.9.0, <1.9.4");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fixed_versions(&a), vec!["1.7.14", "1.8.9", "1.9.4"]);
    }

    #[test]
    fn lts_ordering_applies_to_kubernetes() {
        // fixed in 1.17.17-lts.1 (an LTS release): 1.17.17 is affected, lts.1 is fixed.
        let a = affected(
            Ecosystem::Kubernetes,
            vec![vec![i("0"), f("1.17.17-lts.1")]],
        );
        assert_eq!(word(&evaluate(&a, "1.17.17")), "affected");
        assert_eq!(word(&evaluate(&a, "v1.17.17-lts.1")), "fixed");
        assert_eq!(word(&evaluate(&a, "v1.17.17-lts.2")), "fixed");
        assert_eq!(word(&evaluate(&a, "v1.17.17-rc.1")), "affected");
    }

    #[test]
    fn introduced_zero_and_unsorted_events() {
        let a = affected(
            Ecosystem::Kubernetes,
            vec![vec![
                f("1.26.5"),
                i("1.26.0"),
                f("1.24.14"),
                i("1.25.0"),
                i("0"),
                f("1.25.10"),
            ]],
        );
        for (v, want) in [
            ("0.0.1", "affected"),
            ("1.0.0", "affected"),
            ("1.24.13", "affected"),
            ("1.24.14", "fixed"),
            ("1.25.0", "affected"),
            ("1.25.10", "fixed"),
            ("1.26.4", "affected"),
            ("1.26.5", "fixed"),
            ("1.27.0", "fixed"),
        ] {
            assert_eq!(word(&evaluate(&a, v)), want, "{v}");
        }
        match evaluate(&a, "1.0.0") {
            Ok(Verdict::Affected(e)) => {
                assert_eq!(e.range, "<1.24.14");
                assert_eq!(e.introduced.as_deref(), Some("0"));
            }
            other => panic!("{other:?}"),
        }
        let all = affected(Ecosystem::Go, vec![vec![i("0")]]);
        match evaluate(&all, "v9.9.9") {
            Ok(Verdict::Affected(e)) => assert_eq!(e.range, "*"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn last_affected_is_inclusive() {
        let a = affected(Ecosystem::Go, vec![vec![i("1.0.0"), la("1.2.3")]]);
        assert_eq!(word(&evaluate(&a, "0.9.0")), "not affected");
        assert_eq!(word(&evaluate(&a, "1.0.0")), "affected");
        assert_eq!(word(&evaluate(&a, "v1.2.3")), "affected");
        assert_eq!(word(&evaluate(&a, "v1.2.4-rc.1")), "fixed");
        match evaluate(&a, "1.5.0") {
            Ok(Verdict::Fixed(e)) => {
                assert_eq!(e.last_affected.as_deref(), Some("1.2.3"));
                assert_eq!(e.fixed, None);
                assert_eq!(e.range, ">=1.0.0, <=1.2.3");
            }
            other => panic!("{other:?}"),
        }
        // introduced X, last_affected X: exactly X.
        let one = affected(Ecosystem::Go, vec![vec![i("1.1.0"), la("1.1.0")]]);
        assert_eq!(word(&evaluate(&one, "1.1.0")), "affected");
        assert_eq!(word(&evaluate(&one, "1.1.1")), "fixed");
        // introduced X, fixed X: empty.
        let empty = affected(Ecosystem::Go, vec![vec![i("1.1.0"), f("1.1.0")]]);
        assert_eq!(word(&evaluate(&empty, "1.1.0")), "fixed");
    }

    #[test]
    fn limit_bounds_the_range() {
        let a = affected(Ecosystem::Go, vec![vec![i("1.0.0"), lim("2.0.0")]]);
        assert_eq!(word(&evaluate(&a, "1.5.0")), "affected");
        assert_eq!(word(&evaluate(&a, "2.0.0")), "not affected");
        assert_eq!(word(&evaluate(&a, "0.5.0")), "not affected");
        match evaluate(&a, "1.5.0") {
            Ok(Verdict::Affected(e)) => assert_eq!(e.range, ">=1.0.0, <2.0.0 (limit)"),
            other => panic!("{other:?}"),
        }
        let b = affected(
            Ecosystem::Go,
            vec![vec![i("1.0.0"), f("1.2.0"), lim("3.0.0")]],
        );
        assert_eq!(word(&evaluate(&b, "1.1.0")), "affected");
        assert_eq!(word(&evaluate(&b, "1.3.0")), "fixed");
        assert_eq!(word(&evaluate(&b, "3.1.0")), "fixed");
    }

    #[test]
    fn several_ranges_and_listed_versions() {
        let mut a = affected(
            Ecosystem::Go,
            vec![vec![i("0"), f("1.14.14")], vec![i("1.15.0-0"), f("1.15.7")]],
        );
        a.package.name = "toolchain".into();
        assert_eq!(word(&evaluate(&a, "go1.14.13")), "affected");
        assert_eq!(word(&evaluate(&a, "go1.14.14")), "fixed");
        assert_eq!(word(&evaluate(&a, "go1.15rc1")), "affected");
        assert_eq!(word(&evaluate(&a, "go1.15.7")), "fixed");
        a.versions = vec!["1.16.3".into(), "not-a-version".into()];
        match evaluate(&a, "v1.16.3") {
            Ok(Verdict::Affected(e)) => assert_eq!(e.range, "=1.16.3"),
            other => panic!("{other:?}"),
        }
        assert_eq!(word(&evaluate(&a, "1.16.4")), "fixed");
    }

    #[test]
    fn skipped_and_errors() {
        let mut git = affected(Ecosystem::Go, vec![vec![i("0"), f("abcdef")]]);
        git.ranges[0].kind = RangeKind::Git;
        assert_eq!(word(&evaluate(&git, "1.0.0")), "not affected");
        let other = affected(Ecosystem::Other("npm".into()), vec![vec![i("0")]]);
        assert_eq!(word(&evaluate(&other, "anything")), "not affected");
        let a = multi();
        let e = evaluate(&a, "1.17")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("\"1.17\"") && e.contains("k8s.io/kubelet"),
            "{e}"
        );
        let bad = affected(Ecosystem::Kubernetes, vec![vec![i("0"), f("1.x")]]);
        assert!(matches!(
            evaluate(&bad, "1.2.3"),
            Err(RangeError::InvalidEvent { event: "fixed", .. })
        ));
        assert!(check_event(&Ecosystem::Kubernetes, &f("1.x")).is_err());
        assert!(check_event(&Ecosystem::Kubernetes, &i("0")).is_ok());
        assert!(check_event(&Ecosystem::Kubernetes, &f("0")).is_err());
        assert!(check_event(&Ecosystem::Go, &f("1.16.0-0")).is_ok());
    }

    fn kube_version() -> impl Strategy<Value = (u64, u64, u64)> {
        (1u64..2, 0u64..6, 0u64..6)
    }

    fn s((a, b, c): (u64, u64, u64)) -> String {
        format!("{a}.{b}.{c}")
    }

    proptest! {
        #[test]
        fn prop_single_interval(a in kube_version(), b in kube_version(), v in kube_version(), go in any::<bool>()) {
            let eco = if go { Ecosystem::Go } else { Ecosystem::Kubernetes };
            let aff = affected(eco, vec![vec![i(&s(a)), f(&s(b))]]);
            let verdict = evaluate(&aff, &s(v));
            if a <= b {
                prop_assert_eq!(word(&verdict) == "affected", a <= v && v < b);
                prop_assert_eq!(word(&verdict) == "fixed", a <= v && v >= b);
            } else {
                // A fix before the introduction closes nothing (OSV walk): open-ended.
                prop_assert_eq!(word(&verdict) == "affected", a <= v);
                prop_assert!(word(&verdict) != "fixed");
            }
            prop_assert_eq!(word(&verdict) == "not affected", v < a);
        }

        #[test]
        fn prop_event_order_is_irrelevant(
            bounds in prop::collection::vec(kube_version(), 0..6),
            v in kube_version(),
            seed in any::<u64>(),
        ) {
            let mut sorted: Vec<(u64, u64, u64)> = bounds;
            sorted.sort();
            sorted.dedup();
            let events: Vec<Event> = sorted.iter().enumerate()
                .map(|(n, b)| if n.is_multiple_of(2) { i(&s(*b)) } else { f(&s(*b)) })
                .collect();
            let mut shuffled = events.clone();
            let len = shuffled.len();
            if len > 1 {
                let mut x = seed;
                for k in (1..len).rev() {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    shuffled.swap(k, (x >> 33) as usize % (k + 1));
                }
            }
            let a = affected(Ecosystem::Kubernetes, vec![events]);
            let b = affected(Ecosystem::Kubernetes, vec![shuffled]);
            prop_assert_eq!(evaluate(&a, &s(v)), evaluate(&b, &s(v)));
            // Affected iff inside some [introduced, fixed).
            let inside = sorted.chunks(2).any(|c| match c {
                [lo, hi] => *lo <= v && v < *hi,
                [lo] => *lo <= v,
                _ => false,
            });
            prop_assert_eq!(word(&evaluate(&a, &s(v))) == "affected", inside);
        }

        #[test]
        fn prop_evaluate_never_panics(v in any::<String>(), e in any::<String>()) {
            let a = affected(Ecosystem::Kubernetes, vec![vec![i("0"), f(&e)]]);
            let _ = evaluate(&a, &v);
            let g = affected(Ecosystem::Go, vec![vec![i(&e), la(&v)]]);
            let _ = evaluate(&g, &v);
        }
    }
}
