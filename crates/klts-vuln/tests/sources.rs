//! The advisory sources end to end, on real records (prose replaced by placeholders):
//! Kubernetes OSV, the Go vulnerability database, the official Kubernetes CVE feed, their
//! merge, and malformed inputs.

use klts_core::diag::Diagnostic as Warning;
use klts_vuln::db::Database;
use klts_vuln::feed::parse_feed;
use klts_vuln::merge::merge;
use klts_vuln::model::{Advisory, Ecosystem, Event, RangeKind, Severity, Source};
use klts_vuln::osv::parse_record;
use klts_vuln::range::{evaluate, fixed_versions, RangeError, Verdict};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    match std::fs::read(fixtures().join(rel)) {
        Ok(b) => b,
        Err(e) => panic!("fixture {rel}: {e}"),
    }
}

fn record(rel: &str, source: Source) -> (Advisory, Vec<Warning>) {
    match parse_record(&read(rel), rel, source) {
        Ok(x) => x,
        Err(w) => panic!("{w}"),
    }
}

fn feed() -> Vec<Advisory> {
    match parse_feed(
        &read("feed/official-cve-feed.json"),
        "official-cve-feed.json",
    ) {
        Ok((advs, warnings)) => {
            assert!(warnings.is_empty(), "{warnings:?}");
            advs
        }
        Err(w) => panic!("{w}"),
    }
}

/// `affected`, `fixed` or `not affected`, with the evidence's fix.
fn verdict(a: &Advisory, package: &str, version: &str) -> (String, Option<String>) {
    let Some(aff) = a.affected.iter().find(|x| x.package.name == package) else {
        panic!("{} has no {package}", a.id)
    };
    match evaluate(aff, version) {
        Ok(Verdict::Affected(e)) => ("affected".into(), e.fixed),
        Ok(Verdict::Fixed(e)) => ("fixed".into(), e.fixed.or(e.last_affected)),
        Ok(Verdict::NotAffected) => ("not affected".into(), None),
        Err(e) => panic!("{package} {version}: {e}"),
    }
}

fn v(word: &str, fix: Option<&str>) -> (String, Option<String>) {
    (word.to_string(), fix.map(String::from))
}

#[test]
fn k8s_osv_cve_2017_1002101() {
    let (a, w) = record("k8s-osv/CVE-2017-1002101.json", Source::KubernetesOsv);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(a.id, "CVE-2017-1002101");
    assert!(a.aliases.is_empty());
    assert_eq!(a.published.as_deref(), Some("2018-03-05T20:53:58Z"));
    assert_eq!(a.modified.as_deref(), Some("2018-03-05T20:53:58Z"));
    assert_eq!(a.summary.as_deref(), Some("placeholder"));
    assert_eq!(
        a.issue.as_deref(),
        Some("https://github.com/kubernetes/kubernetes/issues/60813")
    );
    assert_eq!(
        a.references,
        vec![
            "https://github.com/kubernetes/kubernetes/issues/60813".to_string(),
            "https://www.cve.org/cverecord?id=CVE-2017-1002101".to_string(),
        ]
    );
    assert_eq!(
        a.cvss_v3.as_deref(),
        Some("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(a.score(), Some(8.8));
    assert_eq!(a.severity(), Severity::High);
    assert_eq!(
        a.sources.iter().copied().collect::<Vec<_>>(),
        vec![Source::KubernetesOsv]
    );

    let names: Vec<&str> = a.affected.iter().map(|x| x.package.name.as_str()).collect();
    assert_eq!(names, vec!["k8s.io/apiserver", "k8s.io/kubelet"]);
    let kubelet = &a.affected[1];
    assert_eq!(kubelet.package.ecosystem, Ecosystem::Kubernetes);
    assert_eq!(kubelet.ranges.len(), 1);
    assert_eq!(kubelet.ranges[0].kind, RangeKind::Semver);
    assert_eq!(
        kubelet.ranges[0].events,
        vec![
            Event::Introduced("1.3.0".into()),
            Event::Fixed("1.7.14".into()),
            Event::Introduced("1.8.0".into()),
            Event::Fixed("1.8.9".into()),
            Event::Introduced("1.9.0".into()),
            Event::Fixed("1.9.4".into()),
        ]
    );
    assert_eq!(fixed_versions(kubelet), vec!["1.7.14", "1.8.9", "1.9.4"]);

    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "v1.2.7"),
        v("not affected", None)
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "v1.3.0"),
        v("affected", Some("1.7.14"))
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "v1.7.14"),
        v("fixed", Some("1.7.14"))
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "1.8.8"),
        v("affected", Some("1.8.9"))
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "1.8.8-lts.1"),
        v("affected", Some("1.8.9"))
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "1.9.4"),
        v("fixed", Some("1.9.4"))
    );
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "v1.17.17-lts.1"),
        v("fixed", Some("1.9.4"))
    );
    match evaluate(kubelet, "1.8") {
        Err(RangeError::InvalidVersion { version, .. }) => assert_eq!(version, "1.8"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn k8s_osv_multiple_packages() {
    let (a, w) = record("k8s-osv/CVE-2020-8558.json", Source::KubernetesOsv);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(a.affected.len(), 2);
    assert_eq!(a.affected[1].package.name, "k8s.io/kube-proxy");
    assert_eq!(
        a.cvss_v3.as_deref(),
        Some("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N")
    );
    assert_eq!(a.severity(), Severity::Medium);
    assert_eq!(
        a.issue.as_deref(),
        Some("https://github.com/kubernetes/kubernetes/issues/92315")
    );
    for pkg in ["k8s.io/kubelet", "k8s.io/kube-proxy"] {
        assert_eq!(verdict(&a, pkg, "1.0.0"), v("affected", Some("1.16.11")));
        assert_eq!(verdict(&a, pkg, "1.16.15"), v("fixed", Some("1.16.11")));
        assert_eq!(verdict(&a, pkg, "1.17.6"), v("affected", Some("1.17.7")));
        assert_eq!(
            verdict(&a, pkg, "1.17.17-lts.2"),
            v("fixed", Some("1.17.7"))
        );
        assert_eq!(verdict(&a, pkg, "1.18.3"), v("affected", Some("1.18.4")));
        assert_eq!(verdict(&a, pkg, "1.19.0"), v("fixed", Some("1.18.4")));
    }

    // The official score printed in the feed for CVE-2023-2431 is 3.4 (Low).
    let (b, _) = record("k8s-osv/CVE-2023-2431.json", Source::KubernetesOsv);
    assert_eq!(b.score(), Some(3.4));
    assert_eq!(b.severity(), Severity::Low);
    assert_eq!(
        verdict(&b, "k8s.io/kubelet", "1.24.13"),
        v("affected", Some("1.24.14"))
    );
    assert_eq!(
        verdict(&b, "k8s.io/kubelet", "1.27.1"),
        v("affected", Some("1.27.2"))
    );
}

#[test]
fn govulndb_gogo_protobuf() {
    let (go, w) = record("govulndb/GO-2021-0053.json", Source::GoVulnDb);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(go.id, "GO-2021-0053");
    assert_eq!(
        go.aliases.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["CVE-2021-3121", "GHSA-c3h9-896r-86jm"]
    );
    assert_eq!(go.cvss_v3, None);
    assert_eq!(go.severity(), Severity::Unknown);
    assert_eq!(go.issue, None);
    // The Go database writes 0001-01-01 for unknown dates: a placeholder, not a date.
    assert_eq!(go.modified, None);
    let aff = &go.affected[0];
    assert_eq!(aff.package.ecosystem, Ecosystem::Go);
    assert_eq!(aff.package.name, "github.com/gogo/protobuf");
    assert_eq!(
        aff.ranges[0].events,
        vec![Event::Introduced("0".into()), Event::Fixed("1.3.2".into())]
    );
    assert_eq!(
        verdict(&go, "github.com/gogo/protobuf", "v1.3.1"),
        v("affected", Some("1.3.2"))
    );
    assert_eq!(
        verdict(
            &go,
            "github.com/gogo/protobuf",
            "v0.0.0-20190410021324-65acae22fc9d"
        ),
        v("affected", Some("1.3.2"))
    );
    assert_eq!(
        verdict(&go, "github.com/gogo/protobuf", "v1.3.2"),
        v("fixed", Some("1.3.2"))
    );
    assert_eq!(
        verdict(
            &go,
            "github.com/gogo/protobuf",
            "1.3.3-0.20221024144010-f67b8970b736"
        ),
        v("fixed", Some("1.3.2"))
    );

    // Merged with the official feed's CVE-2021-3121: one advisory with every id.
    let feed_item: Vec<Advisory> = feed()
        .into_iter()
        .filter(|a| a.id == "CVE-2021-3121")
        .collect();
    assert_eq!(feed_item.len(), 1);
    let merged = merge(vec![go.clone(), feed_item[0].clone()]);
    assert_eq!(merged.len(), 1);
    let m = &merged[0];
    assert_eq!(m.id, "CVE-2021-3121");
    assert!(m.is_named("GO-2021-0053") && m.is_named("ghsa-c3h9-896r-86jm"));
    assert_eq!(
        m.sources.iter().copied().collect::<Vec<_>>(),
        vec![Source::GoVulnDb, Source::KubernetesFeed]
    );
    assert_eq!(
        m.issue.as_deref(),
        Some("https://github.com/kubernetes/kubernetes/issues/101435")
    );
    assert_eq!(m.published.as_deref(), Some("2021-04-14T20:04:52Z"));
    // The Go placeholder is no date; the feed item has no modification date either.
    assert_eq!(m.modified, None);
    assert_eq!(m.affected, go.affected);
    assert!(m
        .references
        .contains(&"https://www.cve.org/cverecord?id=CVE-2021-3121".to_string()));
    assert!(m.references.contains(
        &"https://github.com/gogo/protobuf/commit/b03c65ea87cdc3521ede29f62fe3ce239267c1bc"
            .to_string()
    ));

    // And with a Kubernetes-OSV-shaped record of the same CVE: its vector wins.
    let k8s = br#"{"id":"CVE-2021-3121","published":"2021-04-23T18:07:32Z",
      "affected":[{"package":{"ecosystem":"kubernetes","name":"k8s.io/apimachinery"},
        "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"}],
        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.0"}]}]}],
      "references":[{"url":"https://github.com/kubernetes/kubernetes/issues/101435"}]}"#;
    let (k, w) = match parse_record(k8s, "CVE-2021-3121.json", Source::KubernetesOsv) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert!(w.is_empty());
    let merged = merge(vec![go, k, feed_item[0].clone()]);
    assert_eq!(merged.len(), 1);
    let m = &merged[0];
    assert_eq!(m.id, "CVE-2021-3121");
    assert_eq!(m.aliases.len(), 2);
    assert_eq!(m.sources.len(), 3);
    assert_eq!(m.affected.len(), 2);
    assert_eq!(m.affected[0].package.ecosystem, Ecosystem::Kubernetes);
    assert_eq!(m.severity(), Severity::Medium);
}

#[test]
fn govulndb_kubernetes_module_stdlib_toolchain_withdrawn() {
    let (k, w) = record("govulndb/GO-2021-0066.json", Source::GoVulnDb);
    assert!(w.is_empty(), "{w:?}");
    assert!(k.is_named("CVE-2020-8564"));
    assert_eq!(k.affected[0].package.name, "k8s.io/kubernetes");
    assert_eq!(
        k.issue.as_deref(),
        Some("https://github.com/kubernetes/kubernetes/issues/95622")
    );
    assert_eq!(
        verdict(&k, "k8s.io/kubernetes", "v1.19.3"),
        v("affected", Some("1.20.0-alpha.1"))
    );
    assert_eq!(
        verdict(&k, "k8s.io/kubernetes", "v1.20.0-alpha.0"),
        v("affected", Some("1.20.0-alpha.1"))
    );
    assert_eq!(
        verdict(&k, "k8s.io/kubernetes", "v1.20.0-alpha.1"),
        v("fixed", Some("1.20.0-alpha.1"))
    );
    assert_eq!(
        verdict(&k, "k8s.io/kubernetes", "v1.20.0"),
        v("fixed", Some("1.20.0-alpha.1"))
    );

    let (s, w) = record("govulndb/GO-2021-0067.json", Source::GoVulnDb);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(s.affected[0].package.name, "stdlib");
    assert_eq!(verdict(&s, "stdlib", "go1.15.10"), v("not affected", None));
    assert_eq!(
        verdict(&s, "stdlib", "go1.16beta1"),
        v("affected", Some("1.16.1"))
    );
    assert_eq!(
        verdict(&s, "stdlib", "go1.16rc1"),
        v("affected", Some("1.16.1"))
    );
    assert_eq!(
        verdict(&s, "stdlib", "go1.16"),
        v("affected", Some("1.16.1"))
    );
    assert_eq!(
        verdict(&s, "stdlib", "1.16.0"),
        v("affected", Some("1.16.1"))
    );
    assert_eq!(
        verdict(&s, "stdlib", "go1.16.1"),
        v("fixed", Some("1.16.1"))
    );
    assert_eq!(
        verdict(&s, "stdlib", "go1.21.0"),
        v("fixed", Some("1.16.1"))
    );

    let (t, _) = record("govulndb/GO-2021-0068.json", Source::GoVulnDb);
    assert_eq!(t.affected[0].package.name, "toolchain");
    assert_eq!(
        verdict(&t, "toolchain", "go1.14.13"),
        v("affected", Some("1.14.14"))
    );
    assert_eq!(
        verdict(&t, "toolchain", "go1.14.15"),
        v("fixed", Some("1.14.14"))
    );
    assert_eq!(
        verdict(&t, "toolchain", "go1.15rc2"),
        v("affected", Some("1.15.7"))
    );
    assert_eq!(
        verdict(&t, "toolchain", "go1.15.7"),
        v("fixed", Some("1.15.7"))
    );

    match parse_record(
        &read("govulndb/GO-2022-0617.json"),
        "GO-2022-0617.json",
        Source::GoVulnDb,
    ) {
        Err(w) => {
            assert_eq!(
                (
                    w.file.to_str().unwrap_or(""),
                    w.field.as_deref().unwrap_or("")
                ),
                ("GO-2022-0617.json", "withdrawn")
            );
            assert!(w.message.contains("2024-08-21T16:25:56Z"), "{w}");
        }
        Ok(a) => panic!("withdrawn record read: {a:?}"),
    }
}

#[test]
fn official_feed_sample() {
    let advs = feed();
    let ids: Vec<&str> = advs.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "CVE-2023-2431",
            "CVE-2023-2727",
            "CVE-2023-2728",
            "CVE-2023-2878",
            "CVE-2021-3121",
            "CVE-2020-8554",
            "CVE-2020-8557",
            "CVE-2017-1002102"
        ]
    );
    assert!(advs
        .iter()
        .all(|a| a.sources.contains(&Source::KubernetesFeed) && a.affected.is_empty()));

    // The multi-CVE item: one advisory per CVE; two CVEs are not aliases of each other.
    let (a, b) = (&advs[1], &advs[2]);
    assert!(a.aliases.is_empty() && b.aliases.is_empty());
    for x in [a, b] {
        assert_eq!(
            x.cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N")
        );
        assert_eq!(
            x.issue.as_deref(),
            Some("https://github.com/kubernetes/kubernetes/issues/118640")
        );
        assert_eq!(x.published.as_deref(), Some("2023-06-13T14:42:06Z"));
        assert_eq!(x.summary.as_deref(), Some("placeholder"));
        assert_eq!(x.score(), Some(6.5)); // NVD: 6.5 MEDIUM
        assert!(x
            .references
            .contains(&format!("https://www.cve.org/cverecord?id={}", x.id)));
        assert!(
            x.references.iter().all(|r| !r.contains(' ')),
            "{:?}",
            x.references
        );
    }

    // Vectors from content_text, checked against the official scores printed in the feed.
    let score = |id: &str| advs.iter().find(|a| a.id == id).and_then(Advisory::score);
    let severity = |id: &str| advs.iter().find(|a| a.id == id).map(Advisory::severity);
    assert_eq!(score("CVE-2023-2431"), Some(3.4));
    assert_eq!(severity("CVE-2023-2431"), Some(Severity::Low));
    assert_eq!(score("CVE-2023-2878"), Some(6.5));
    assert_eq!(score("CVE-2020-8557"), Some(5.5));
    assert_eq!(severity("CVE-2020-8554"), Some(Severity::Medium));
    assert_eq!(
        advs[6].cvss_v3.as_deref(),
        Some("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H/CR:H/IR:H/AR:M")
    );
    assert_eq!(score("CVE-2021-3121"), None);
    assert_eq!(severity("CVE-2021-3121"), Some(Severity::Unknown));
    assert_eq!(
        advs[0].issue.as_deref(),
        Some("https://github.com/kubernetes/kubernetes/issues/118690")
    );
}

#[test]
fn database_from_fixture_dirs() -> std::io::Result<()> {
    let mut osv = Database::load_dir(&fixtures().join("k8s-osv"), Source::KubernetesOsv)?;
    osv.extend(Database::load_dir(
        &fixtures().join("govulndb"),
        Source::GoVulnDb,
    )?);
    osv.extend(Database::load_dir(
        &fixtures().join("malformed"),
        Source::KubernetesOsv,
    )?);
    assert_eq!(osv.len(), 12);
    assert_eq!(osv[0].0, "CVE-2017-1002101.json");
    let feeds = vec![(
        "official-cve-feed.json".to_string(),
        read("feed/official-cve-feed.json"),
    )];
    let db = Database::from_sources(osv, feeds);
    let warned: Vec<String> = db
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.file.display(), w.field.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        warned,
        vec![
            "GO-2022-0617.json: withdrawn",
            "bad-event.json: affected[0].ranges[1].events[1]",
            "bad-event.json: affected[1].ranges[0].events[1]",
            "bad-event.json: affected[1]",
            "missing-id.json: id",
            "not-json.json: $",
            "unknown-range-type.json: affected[0].ranges[1].type",
            "unknown-range-type.json: affected[1].ranges[0].type",
            "unknown-range-type.json: affected[1]",
        ]
    );
    let m = db.get("go-2021-0053").map(|a| a.id.as_str());
    assert_eq!(m, Some("CVE-2021-3121"));
    let c = db.get("CVE-2023-2431");
    assert_eq!(
        c.map(|a| a.sources.iter().copied().collect::<Vec<_>>()),
        Some(vec![Source::KubernetesOsv, Source::KubernetesFeed])
    );
    assert_eq!(
        c.and_then(|a| a.published.as_deref()),
        Some("2023-06-15T14:42:32Z")
    );
    assert!(db.get("CVE-2020-8562").is_none(), "withdrawn");
    // Ids are unique across advisories, output sorted by id.
    assert!(db.advisories.windows(2).all(|w| w[0].id < w[1].id));
    let sorted: Vec<&str> = db
        .sorted_by_severity()
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(sorted.first().copied(), Some("CVE-2017-1002101"));
    let sev: Vec<Severity> = db
        .sorted_by_severity()
        .iter()
        .map(|a| a.severity())
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(sev.last().copied(), Some(Severity::Unknown));
    Ok(())
}

#[test]
fn malformed_inputs() {
    let err = |rel: &str| match parse_record(&read(rel), rel, Source::KubernetesOsv) {
        Err(w) => w,
        Ok(a) => panic!("{rel}: {a:?}"),
    };
    let w = err("malformed/not-json.json");
    assert_eq!(
        (
            w.file.to_str().unwrap_or(""),
            w.field.as_deref().unwrap_or("")
        ),
        ("malformed/not-json.json", "$")
    );
    assert!(w.message.contains("invalid JSON"), "{w}");
    let w = err("malformed/missing-id.json");
    assert_eq!(
        w.to_string(),
        "malformed/missing-id.json: warning[bad-id]: id: missing id; record skipped"
    );

    let (a, w) = record("malformed/bad-event.json", Source::KubernetesOsv);
    let fields: Vec<&str> = w.iter().map(|w| w.field.as_deref().unwrap_or("")).collect();
    assert_eq!(
        fields,
        vec![
            "affected[0].ranges[1].events[1]",
            "affected[1].ranges[0].events[1]",
            "affected[1]"
        ]
    );
    assert!(w[1].message.contains("1.24.x"), "{}", w[1]);
    // The bad range is dropped whole, never half-read: 1.25.x is not claimed either way.
    assert_eq!(a.affected.len(), 1);
    assert_eq!(a.affected[0].ranges.len(), 1);
    assert_eq!(
        verdict(&a, "k8s.io/kubelet", "1.25.3"),
        v("fixed", Some("1.24.14"))
    );
    assert_eq!(a.severity(), Severity::Low);

    let (a, w) = record("malformed/unknown-range-type.json", Source::GoVulnDb);
    let fields: Vec<&str> = w.iter().map(|w| w.field.as_deref().unwrap_or("")).collect();
    assert_eq!(
        fields,
        vec![
            "affected[0].ranges[1].type",
            "affected[1].ranges[0].type",
            "affected[1]"
        ]
    );
    assert!(w[0].message.contains("CALVER"));
    assert_eq!(a.affected.len(), 1);
    assert_eq!(a.affected[0].ranges.len(), 1);

    match parse_feed(b"{\"items\": 3}", "feed.json") {
        Err(w) => assert_eq!(
            w.to_string(),
            "feed.json: warning[not-a-document]: items: expected an array, found a number; file skipped"
        ),
        Ok(x) => panic!("{x:?}"),
    }
}

// ---- robustness ---------------------------------------------------------------------------

const SAMPLES: [&str; 6] = [
    "k8s-osv/CVE-2017-1002101.json",
    "k8s-osv/CVE-2020-8558.json",
    "govulndb/GO-2021-0053.json",
    "govulndb/GO-2021-0068.json",
    "malformed/bad-event.json",
    "feed/official-cve-feed.json",
];

/// Replaces the `n`-th node (pre-order) of `v` with `with`.
fn replace_nth(v: &mut serde_json::Value, n: &mut usize, with: &serde_json::Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        serde_json::Value::Array(items) => items.iter_mut().any(|x| replace_nth(x, n, with)),
        serde_json::Value::Object(m) => m.values_mut().any(|x| replace_nth(x, n, with)),
        _ => false,
    }
}

/// What a successful parse guarantees: every kept range of a supported ecosystem evaluates.
fn check_kept_ranges(a: &Advisory) -> Result<(), TestCaseError> {
    for aff in &a.affected {
        prop_assert!(!aff.ranges.is_empty() || !aff.versions.is_empty());
        for version in ["1.17.17", "go1.21rc2", "v0.0.0-20210226172049-e18ecbb05110"] {
            if let Err(RangeError::InvalidEvent { .. }) = evaluate(aff, version) {
                prop_assert!(
                    false,
                    "{} kept an unevaluable range: {:?}",
                    a.id,
                    aff.ranges
                );
            }
        }
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9.:/ -]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "0",
            "1.x",
            "",
            "v1.2.3",
            "go1.21rc2",
            "CVSS:3.1/AV:N",
            "SEMVER",
            "GIT"
        ])
        .prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"introduced": "0"}, {"fixed": 1}])),
        Just(json!({"introduced": "1.0.0", "fixed": "1.1.0"})),
        Just(json!({"type": "SEMVER", "events": [{"last_affected": "1.2.3"}]})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prop_parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_record(&bytes, "x.json", Source::GoVulnDb);
        let _ = parse_feed(&bytes, "x.json");
    }

    #[test]
    fn prop_parsers_never_panic_on_mutated_bytes(
        which in 0..SAMPLES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = read(SAMPLES[which]);
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        if let Ok((a, _)) = parse_record(&bytes, "x.json", Source::KubernetesOsv) {
            check_kept_ranges(&a)?;
        }
        let _ = parse_feed(&bytes, "x.json");
    }

    #[test]
    fn prop_parsers_never_panic_on_mutated_json(
        which in 0..SAMPLES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4),
    ) {
        let mut doc: serde_json::Value = match serde_json::from_slice(&read(SAMPLES[which])) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        for (at, with) in edits {
            let size = count(&doc);
            let mut n = at.index(size);
            replace_nth(&mut doc, &mut n, &with);
        }
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        for source in [Source::KubernetesOsv, Source::GoVulnDb] {
            match parse_record(&bytes, "x.json", source) {
                Ok((a, warnings)) => {
                    check_kept_ranges(&a)?;
                    prop_assert!(warnings.iter().all(|w| w.file == std::path::Path::new("x.json") && w.field.as_deref().is_some_and(|f| !f.is_empty())));
                }
                Err(w) => prop_assert_eq!(w.file.to_str(), Some("x.json")),
            }
        }
        if let Ok((advs, _)) = parse_feed(&bytes, "x.json") {
            for a in &advs {
                prop_assert!(!a.id.is_empty());
                prop_assert!(a.cvss_v3.as_deref().is_none_or(|v| klts_vuln::cvss::base_score(v).is_some()));
            }
        }
    }
}

fn count(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(items) => items.iter().map(count).sum(),
        serde_json::Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}
