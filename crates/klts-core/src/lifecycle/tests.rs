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

    let (loc, msg) =
        at("lines:\n  - line: \"1.17\"\n    released: 2019-12-09\n    community_eol: 2019-01-01\n");
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
    let (_, msg) = at("lines:\n  - {line: \"1.17\", released: 2019-12-09, latest_patch: 1.18.1}\n");
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
