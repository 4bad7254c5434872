//! The lifecycle calendar through the public API: date arithmetic, the support policy, the
//! built-in Kubernetes data and workspace `lifecycle.yml` overrides.

use klts_core::diag::Location;
use klts_core::lifecycle::{
    line_status, parse_lifecycle_file, statuses, Calendar, Date, LifecycleError, LifecycleFile,
    LineFacts, Phase, Policy,
};
use klts_core::version::{MinorLine, Version};
use proptest::prelude::*;
use std::path::Path;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn l(s: &str) -> MinorLine {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn facts(line: &str, released: &str, eol: Option<&str>) -> LineFacts {
    LineFacts {
        line: l(line),
        released: d(released),
        community_eol: eol.map(d),
        latest_patch: None,
    }
}

fn parse(text: &str) -> Result<LifecycleFile, LifecycleError> {
    parse_lifecycle_file(text, Path::new("ws/lifecycle.yml"))
}

// ---- dates ------------------------------------------------------------------------------

#[test]
fn leap_day_plus_years() {
    assert_eq!(d("2024-02-29").add_years(3), d("2027-02-28"));
    assert_eq!(d("2020-02-29").add_years(4), d("2024-02-29"));
    assert_eq!(d("2000-02-29").add_years(100), d("2100-02-28"));
    assert_eq!(d("2023-03-01").add_years(1), d("2024-03-01"));
    assert_eq!(d("2021-06-28").add_years(3), d("2024-06-28"));
}

#[test]
fn days_until_across_years_and_leap_days() {
    assert_eq!(d("2021-12-31").days_until(d("2022-01-01")), 1);
    assert_eq!(d("2024-02-28").days_until(d("2024-03-01")), 2);
    assert_eq!(d("2100-02-28").days_until(d("2100-03-01")), 1);
    assert_eq!(d("2000-02-28").days_until(d("2000-03-01")), 2);
    assert_eq!(d("2020-01-01").days_until(d("2024-01-01")), 4 * 365 + 1);
    assert_eq!(d("2023-01-01").days_until(d("2024-12-31")), 365 + 365);
    assert_eq!(d("2024-03-01").days_until(d("2024-02-28")), -2);
    assert_eq!(d("2019-12-09").add_days(400), d("2021-01-12"));
    assert_eq!(d("2024-01-01").add_days(-1), d("2023-12-31"));
}

#[test]
fn dates_parse_strictly_and_display_canonically() {
    assert_eq!(d("2019-12-09").to_string(), "2019-12-09");
    assert_eq!(
        d("2019-12-09"),
        Date {
            year: 2019,
            month: 12,
            day: 9
        }
    );
    for bad in [
        "2023-02-29",
        "2021-04-31",
        "2021-13-01",
        "2021-00-10",
        "0000-01-01",
        "2021-6-28",
        "28/06/2021",
        "2021-06-28T00:00:00Z",
        "",
    ] {
        assert!(Date::parse(bad).is_err(), "{bad:?}");
    }
    assert!(d("2019-12-09") < d("2019-12-10") && d("2019-12-31") < d("2020-01-01"));
}

#[test]
fn epoch_anchors() {
    assert_eq!(Date::from_days(0), d("1970-01-01"));
    assert_eq!(d("2000-01-01").to_days(), 10_957);
    assert_eq!(Date::from_days(-1), d("1969-12-31"));
    assert!(Date::today() > d("2024-01-01"));
}

proptest! {
    #[test]
    fn from_days_to_days_round_trip(days in -719_162i64..=2_932_896) {
        let date = Date::from_days(days);
        prop_assert_eq!(date.to_days(), days);
        prop_assert_eq!(Date::parse(&date.to_string()), Ok(date));
        prop_assert_eq!(date.add_days(1).days_until(date), -1);
    }

    #[test]
    fn to_days_from_days_round_trip(year in 1i32..=9999, month in 1u32..=12, day in 1u32..=31) {
        if let Ok(date) = Date::parse(&format!("{year:04}-{month:02}-{day:02}")) {
            prop_assert_eq!(Date::from_days(date.to_days()), date);
        }
    }
}

// ---- policy -----------------------------------------------------------------------------

#[test]
fn a_line_whose_eol_is_today_is_community_and_tomorrow_lts() {
    let f = facts("1.28", "2023-08-15", Some("2024-10-28"));
    let policy = Policy::default();
    let today = line_status(&f, &policy, d("2024-10-28"));
    assert_eq!(today.phase, Phase::Community);
    assert_eq!(today.support_end, Some(d("2024-10-28")));
    assert_eq!(today.days_left, Some(0));
    assert_eq!(today.lts_end, Some(d("2027-10-28")));
    let tomorrow = line_status(&f, &policy, d("2024-10-29"));
    assert_eq!(tomorrow.phase, Phase::Lts);
    assert_eq!(tomorrow.support_end, Some(d("2027-10-28")));
    assert_eq!(
        tomorrow.days_left,
        Some(d("2024-10-29").days_until(d("2027-10-28")))
    );
    assert_eq!(line_status(&f, &policy, d("2027-10-28")).phase, Phase::Lts);
    assert_eq!(line_status(&f, &policy, d("2027-10-29")).phase, Phase::Eol);
}

#[test]
fn eol_on_a_leap_day_ends_lts_on_february_28() {
    let f = facts("1.40", "2023-01-01", Some("2024-02-29"));
    let s = line_status(&f, &Policy::default(), d("2025-01-01"));
    assert_eq!((s.phase, s.lts_end), (Phase::Lts, Some(d("2027-02-28"))));
    assert_eq!(
        line_status(&f, &Policy::default(), d("2027-03-01")).phase,
        Phase::Eol
    );
}

#[test]
fn lts_years_override() {
    let f = facts("1.20", "2020-12-08", Some("2022-02-28"));
    let one = Policy {
        lts_years: 1,
        ..Policy::default()
    };
    assert_eq!(line_status(&f, &one, d("2023-02-28")).phase, Phase::Lts);
    let s = line_status(&f, &one, d("2023-03-01"));
    assert_eq!((s.phase, s.days_left), (Phase::Eol, None));
    assert_eq!(
        line_status(&f, &Policy::default(), d("2023-03-01")).phase,
        Phase::Lts
    );
}

#[test]
fn a_dropped_line_ends_with_community_support() {
    let f = facts("1.18", "2020-03-25", Some("2021-06-18"));
    let policy = Policy {
        dropped: [l("1.18")].into(),
        ..Policy::default()
    };
    assert_eq!(
        line_status(&f, &policy, d("2021-06-18")).phase,
        Phase::Community
    );
    let s = line_status(&f, &policy, d("2021-06-19"));
    assert_eq!(s.phase, Phase::Eol);
    assert!(!s.in_program);
    assert_eq!(s.lts_end, None);
    assert_eq!(s.support_end, Some(d("2021-06-18")));
}

#[test]
fn only_maintained_lines_get_lts() {
    let policy = Policy {
        maintained: Some([l("1.17"), l("1.18")].into()),
        ..Policy::default()
    };
    let day = d("2022-01-01");
    let s17 = line_status(
        &facts("1.17", "2019-12-09", Some("2021-01-13")),
        &policy,
        day,
    );
    let s16 = line_status(
        &facts("1.16", "2019-09-18", Some("2020-09-02")),
        &policy,
        day,
    );
    assert_eq!((s17.phase, s17.in_program), (Phase::Lts, true));
    assert_eq!((s16.phase, s16.in_program), (Phase::Eol, false));
    // A maintained line that is also dropped is out.
    let both = Policy {
        dropped: [l("1.17")].into(),
        ..policy
    };
    assert_eq!(
        line_status(&facts("1.17", "2019-12-09", Some("2021-01-13")), &both, day).phase,
        Phase::Eol
    );
}

#[test]
fn lines_before_lts_from_are_not_in_the_program() {
    let policy = Policy::default();
    assert_eq!(policy.lts_from, l("1.10"));
    let s9 = line_status(
        &facts("1.9", "2017-12-15", Some("2018-09-29")),
        &policy,
        d("2018-10-01"),
    );
    assert_eq!(
        (s9.phase, s9.in_program, s9.lts_end),
        (Phase::Eol, false, None)
    );
    let s10 = line_status(
        &facts("1.10", "2018-03-26", Some("2019-02-13")),
        &policy,
        d("2019-02-14"),
    );
    assert_eq!((s10.phase, s10.in_program), (Phase::Lts, true));
    let later = Policy {
        lts_from: l("1.11"),
        ..Policy::default()
    };
    let s10 = line_status(
        &facts("1.10", "2018-03-26", Some("2019-02-13")),
        &later,
        d("2019-02-14"),
    );
    assert_eq!(s10.phase, Phase::Eol);
}

#[test]
fn upcoming_and_unannounced_lines() {
    let f = facts("1.99", "2031-01-01", None);
    let s = line_status(&f, &Policy::default(), d("2030-12-31"));
    assert_eq!(
        (s.phase, s.support_end, s.days_left),
        (Phase::Upcoming, None, None)
    );
    let s = line_status(&f, &Policy::default(), d("2031-01-01"));
    assert_eq!(
        (s.phase, s.support_end, s.lts_end),
        (Phase::Community, None, None)
    );
}

// ---- built-in data ----------------------------------------------------------------------

#[test]
fn builtin_calendar_is_complete_sorted_and_consistent() {
    let cal = Calendar::builtin();
    assert_eq!(cal.product, "kubernetes");
    assert!(!cal.source.is_empty());
    assert!(cal.lines.len() >= 34, "{}", cal.lines.len());
    for minor in 0..=33 {
        assert!(
            cal.get(MinorLine::new(1, minor)).is_some(),
            "1.{minor} is missing"
        );
    }
    for pair in cal.lines.windows(2) {
        assert!(
            pair[0].line < pair[1].line,
            "{} / {}",
            pair[0].line,
            pair[1].line
        );
        assert!(pair[0].released <= pair[1].released, "{}", pair[1].line);
    }
    for f in &cal.lines {
        let eol = f
            .community_eol
            .unwrap_or_else(|| panic!("{} has no EOL", f.line));
        assert!(f.released < eol, "{}: {} >= {}", f.line, f.released, eol);
        // About 9 months (1.0-1.18) to 14 months (1.19+) of community support.
        let days = f.released.days_until(eol);
        assert!((100..=500).contains(&days), "{}: {days} days", f.line);
        let patch = f.latest_patch.as_deref().map(Version::parse);
        assert!(
            matches!(&patch, Some(Ok(v)) if v.line() == f.line && !v.is_prerelease()),
            "{}: {:?}",
            f.line,
            f.latest_patch
        );
    }
    // Anchors.
    let f = cal.get(l("1.17")).cloned();
    assert_eq!(
        f.map(|f| (f.released, f.community_eol, f.latest_patch)),
        Some((
            d("2019-12-09"),
            Some(d("2021-01-13")),
            Some("v1.17.17".into())
        ))
    );
    assert_eq!(
        cal.get(l("1.19")).and_then(|f| f.community_eol),
        Some(d("2021-10-28"))
    );
}

#[test]
fn builtin_statuses_on_a_fixed_day() {
    let all = statuses(&Calendar::builtin(), &Policy::default(), d("2024-11-01"));
    assert!(all.windows(2).all(|w| w[0].line > w[1].line));
    let phase = |line: &str| all.iter().find(|s| s.line == l(line)).map(|s| s.phase);
    assert_eq!(phase("1.31"), Some(Phase::Community));
    assert_eq!(phase("1.28"), Some(Phase::Lts)); // community EOL 2024-10-28
    assert_eq!(phase("1.21"), Some(Phase::Lts)); // until 2025-06-28
    assert_eq!(phase("1.18"), Some(Phase::Eol)); // until 2024-06-18
    assert_eq!(phase("1.9"), Some(Phase::Eol));
    assert_eq!(phase("1.32"), Some(Phase::Upcoming));
}

// ---- lifecycle.yml ----------------------------------------------------------------------

#[test]
fn bad_yaml_is_an_error_with_line_and_column() {
    let err = match parse("lts_years: 3\nlines:\n  - line: \"1.17\"\n    released: [2019-12-09\n") {
        Ok(f) => panic!("parsed: {f:?}"),
        Err(e) => e,
    };
    assert!(matches!(err, LifecycleError::Yaml { .. }), "{err}");
    let loc = err.location().unwrap_or_default();
    assert!(loc.line >= 4 && loc.col >= 1, "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "ws/lifecycle.yml:{}:{}: invalid YAML",
            loc.line, loc.col
        )),
        "{msg}"
    );
}

#[test]
fn a_bad_date_names_its_line_and_column() {
    let text =
        "lines:\n  - line: \"1.17\"\n    released: 2019-12-09\n    community_eol: 2021-02-29\n";
    let err = match parse(text) {
        Ok(f) => panic!("parsed: {f:?}"),
        Err(e) => e,
    };
    assert_eq!(err.location(), Some(Location { line: 4, col: 20 }));
    let msg = err.to_string();
    assert!(msg.starts_with("ws/lifecycle.yml:4:20: "), "{msg}");
    assert!(
        msg.contains("community_eol") && msg.contains("2021-02-29"),
        "{msg}"
    );
    assert!(msg.contains("February 2021 has 28 days"), "{msg}");
}

#[test]
fn overriding_an_existing_line() {
    let file = parse(
        "lts_years: 5\nlines:\n  - line: \"1.18\"\n    released: 2020-03-25\n    community_eol: 2021-06-30\n    latest_patch: \"1.18.21\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.lts_years, Some(5));
    let base = Calendar::builtin();
    let cal = base.with_overrides(&file);
    assert_eq!(cal.product, "kubernetes");
    assert_eq!(cal.lines.len(), base.lines.len());
    let f = cal.get(l("1.18")).cloned();
    assert_eq!(
        f.map(|f| (f.community_eol, f.latest_patch)),
        Some((Some(d("2021-06-30")), Some("v1.18.21".into())))
    );
    assert_eq!(cal.get(l("1.17")), base.get(l("1.17")));
    let policy = Policy {
        lts_years: file.lts_years.unwrap_or(3),
        ..Policy::default()
    };
    let s = statuses(&cal, &policy, d("2025-01-01"));
    let s18 = s.iter().find(|s| s.line == l("1.18"));
    assert_eq!(s18.and_then(|s| s.lts_end), Some(d("2026-06-30")));
    assert_eq!(s18.map(|s| s.phase), Some(Phase::Lts));
}

#[test]
fn an_unknown_product_starts_from_an_empty_calendar() {
    let file = parse(
        "product: podman\nlines:\n  - line: \"1.6\"\n    released: 2022-02-15\n    community_eol: 2025-07-23\n    latest_patch: v1.6.38\n  - line: \"1.7\"\n    released: 2023-03-10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cal = Calendar::builtin().with_overrides(&file);
    assert_eq!(cal.product, "podman");
    assert_eq!(
        cal.lines.iter().map(|f| f.line).collect::<Vec<_>>(),
        [l("1.6"), l("1.7")]
    );
    let s = statuses(&cal, &Policy::default(), d("2026-01-01"));
    assert_eq!(s.len(), 2);
    // Newest first. 1.7 has no announced end of life: community. 1.6 is past it, and the
    // Kubernetes default `lts_from` (1.10) keeps it out of the program: another product's
    // policy (`Policy::for_product`) starts at its first line.
    assert_eq!(s[0].phase, Phase::Community);
    assert_eq!(s[1].phase, Phase::Eol);
    let other = Policy::default().for_product(klts_core::Product::Generic);
    let s = statuses(&cal, &other, d("2026-01-01"));
    assert_eq!(s[1].phase, Phase::Lts);
}

#[test]
fn a_builtin_product_starts_from_its_own_calendar() {
    let file = parse("product: containerd\nlines:\n  - line: \"1.6\"\n    released: 2022-02-15\n    community_eol: 2025-07-23\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let cal = Calendar::builtin().with_overrides(&file);
    assert_eq!(cal.product, "containerd");
    // containerd's own lines, 1.6 corrected by the file, no Kubernetes line.
    assert_eq!(
        cal.get(l("1.6")).and_then(|f| f.community_eol),
        Some(d("2025-07-23"))
    );
    assert_eq!(
        cal.get(l("1.3")).and_then(|f| f.community_eol),
        Some(d("2021-03-04"))
    );
    assert!(cal.get(l("1.17")).is_none());
    let policy = Policy::default().for_product(klts_core::Product::Containerd);
    let s = statuses(&cal, &policy, d("2022-01-01"));
    let s13 = s.iter().find(|s| s.line == l("1.3")).unwrap();
    assert_eq!(s13.phase, Phase::Lts);
    assert_eq!(s13.lts_end, Some(d("2024-03-04")));
}

#[test]
fn support_decisions_replace_the_formula() {
    use klts_core::lifecycle::{Activity, SupportUntil};
    let file = parse(
        "support:\n  - {line: \"1.17\", until: further-notice}\n  - line: \"1.16\"\n    until: 2026-12-31\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.support.len(), 2);
    assert_eq!(file.support[0].until, SupportUntil::FurtherNotice);
    let cal = Calendar::builtin();
    let mut policy = Policy::default().with_support(&file);
    policy.activity.insert(
        l("1.18"),
        Activity {
            release: "v1.18.20-lts.3".into(),
            date: d("2026-04-14"),
        },
    );
    let day = d("2026-12-01");
    let s = statuses(&cal, &policy, day);
    let get = |x: &str| s.iter().find(|s| s.line == l(x)).unwrap();
    assert_eq!(get("1.17").phase, Phase::Lts);
    assert_eq!(get("1.17").lts_end, None);
    assert_eq!(get("1.17").lts_basis, Some("policy"));
    assert_eq!(get("1.16").lts_end, Some(d("2026-12-31")));
    assert_eq!(get("1.16").days_left, Some(30));
    // 1.18: the formula ended it in 2024; the program shipped in 2026.
    assert_eq!(get("1.18").phase, Phase::Eol);
    assert_eq!(get("1.18").lts_basis, Some("rule"));
    let msg = get("1.18").disagreement.clone().unwrap();
    assert!(
        msg.contains("v1.18.20-lts.3") && msg.contains("2024-06-18"),
        "{msg}"
    );
    assert!(get("1.17").disagreement.is_none());

    for (bad, what) in [
        ("support:\n  - {line: \"1.17\"}\n", "no `until`"),
        ("support:\n  - {until: 2026-01-01}\n", "without `line`"),
        ("support:\n  - {line: \"1.17\", until: soon}\n", "further-notice"),
        ("support:\n  - {line: \"1.17\", until: 2026-01-01, from: 2020-01-01}\n", "unknown key `from`"),
        ("support:\n  - {line: \"1.17\", until: 2026-01-01}\n  - {line: \"1.17\", until: 2027-01-01}\n", "twice"),
    ] {
        match parse(bad) {
            Ok(f) => panic!("{bad} parsed: {f:?}"),
            Err(e) => assert!(e.to_string().contains(what), "{bad}: {e}"),
        }
    }
}
