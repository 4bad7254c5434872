//! The judgement rules on the real advisory facts of the embedded snapshot: who assessed which
//! line, and what the status of a version is (the table in README.md, "How a status is
//! decided"). Each case here was judged wrongly by the union of feed ranges.

use klts_core::Version;
use klts_vuln::db::Database;
use klts_vuln::report::check;
use klts_vuln::status::{status, Evidence, PatchFacts, ReleaseFacts, Status, StatusKind};
use klts_vuln::triage::Triage;

fn db() -> Database {
    klts_vuln::sources::load(None).expect("embedded snapshot")
}

fn at(version: &str) -> ReleaseFacts {
    let v = Version::parse(version).unwrap();
    ReleaseFacts {
        name: version.to_string(),
        upstream: Some(v.base()),
        ..ReleaseFacts::default()
    }
}

fn judge(db: &Database, id: &str, facts: &ReleaseFacts) -> Status {
    let adv = db.get(id).unwrap_or_else(|| panic!("{id} in the snapshot"));
    status(adv, facts, &Triage::default())
}

fn text(st: &Status) -> String {
    st.evidence
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn lines_upstream_did_not_assess_are_unassessed_not_unaffected() {
    let db = db();
    // CVE-2023-3676: the Kubernetes record starts at 1.24.0, published 2023-07-14, when 1.23
    // had been out of support since February. The Go record claims every older version.
    let st = judge(&db, "CVE-2023-3676", &at("1.23.17"));
    assert_eq!(st.status, StatusKind::Unassessed, "{}", text(&st));
    assert!(text(&st).contains("did not assess 1.23"), "{}", text(&st));
    assert!(
        st.evidence.iter().any(|e| matches!(
            e,
            Evidence::Scope {
                assessed: false,
                ..
            }
        )),
        "{}",
        text(&st)
    );
    // The line upstream did assess is decided by the Kubernetes record.
    assert_eq!(
        judge(&db, "CVE-2023-3676", &at("1.24.16")).status,
        StatusKind::Affected
    );
    assert_eq!(
        judge(&db, "CVE-2023-3676", &at("1.24.17")).status,
        StatusKind::FixedUpstream
    );
}

#[test]
fn the_primary_record_keeps_its_backports() {
    let db = db();
    // GO-2021-0066 says CVE-2020-8564 is fixed only in 1.20.0-alpha.1; the Kubernetes record
    // has the backports to 1.17.13, 1.18.10 and 1.19.3.
    for v in ["1.17.13", "1.18.10", "1.19.3"] {
        let st = judge(&db, "CVE-2020-8564", &at(v));
        assert_eq!(st.status, StatusKind::FixedUpstream, "{v}: {}", text(&st));
        // The disagreeing secondary claim is shown, labelled, not hidden.
        assert!(
            text(&st).contains("claim of GO-2021-0066"),
            "{v}: {}",
            text(&st)
        );
    }
    assert_eq!(
        judge(&db, "CVE-2020-8564", &at("1.18.9")).status,
        StatusKind::Affected
    );
    // 1.16 was out of support when it was published (2020-10-15).
    let st = judge(&db, "CVE-2020-8564", &at("1.16.15"));
    assert_eq!(st.status, StatusKind::Unassessed, "{}", text(&st));
    assert!(
        st.is_open(),
        "a secondary source claims it: the gate must ask"
    );
    // CVE-2019-11245 hit only 1.13.6 and 1.14.2 (the Go record marks 1.13.0–1.13.6).
    assert_eq!(
        judge(&db, "CVE-2019-11245", &at("1.13.2")).status,
        StatusKind::NotAffected
    );
    assert_eq!(
        judge(&db, "CVE-2019-11245", &at("1.13.6")).status,
        StatusKind::Affected
    );
    // CVE-2019-11250 was fixed in 1.16.0; client-go's 0.17.0 bound does not make 1.16 affected.
    for v in ["1.16.0", "1.16.15"] {
        let st = judge(&db, "CVE-2019-11250", &at(v));
        assert!(
            matches!(
                st.status,
                StatusKind::FixedUpstream | StatusKind::NotAffected
            ),
            "{v}: {:?} {}",
            st.status,
            text(&st)
        );
    }
    assert_eq!(
        judge(&db, "CVE-2019-11250", &at("1.15.12")).status,
        StatusKind::Affected
    );
}

#[test]
fn no_fix_and_every_version_affected_is_affected() {
    let db = db();
    // CVE-2020-8554 (externalIPs): only the official feed knows it, and it says every version
    // is affected with no patch.
    for v in ["1.10.13", "1.18.20", "1.31.14"] {
        let st = judge(&db, "CVE-2020-8554", &at(v));
        assert_eq!(st.status, StatusKind::Affected, "{v}: {}", text(&st));
        assert!(text(&st).contains("no fix upstream"), "{}", text(&st));
    }
    // A patch of the chain (KLTS's CVE-2020-8554.1.18) settles it.
    let mut facts = at("1.18.20");
    facts.patches.push(PatchFacts {
        name: "CVE-2020-8554.1.18".into(),
        release: "v1.18.20-lts.1".into(),
        fixes: vec![],
    });
    assert_eq!(
        judge(&db, "CVE-2020-8554", &facts).status,
        StatusKind::FixedByPatch
    );
}

#[test]
fn the_suggested_fix_agrees_with_the_status() {
    let db = db();
    let triage = Triage::default();
    for v in ["1.18.5", "1.17.4", "1.24.3", "1.13.6"] {
        let facts = at(v);
        for e in check(&db, &facts, &[], &triage, false) {
            let Some(fix) = &e.upstream_fix else { continue };
            let adv = db.get(&e.advisory.id).unwrap();
            let st = status(adv, &at(fix), &triage);
            assert!(
                matches!(
                    st.status,
                    StatusKind::FixedUpstream | StatusKind::NotAffected
                ),
                "{v}: {} suggests {fix}, which is {:?}: {}",
                e.advisory.id,
                st.status,
                text(&st)
            );
        }
    }
    // 1.18.5 → 1.18.10 for CVE-2020-8564, not 1.18.6.
    let e = check(&db, &at("1.18.5"), &[], &triage, false);
    let cve = e.iter().find(|e| e.advisory.id == "CVE-2020-8564").unwrap();
    assert_eq!(cve.upstream_fix.as_deref(), Some("v1.18.10"));
}

#[test]
fn placeholder_dates_are_not_dates() {
    let db = db();
    for a in &db.advisories {
        for d in [&a.published, &a.modified].into_iter().flatten() {
            assert!(!d.starts_with("0001-"), "{}: {d}", a.id);
        }
    }
}

#[test]
fn the_products_own_module_is_the_product() {
    use klts_vuln::model::*;
    let mut adv = Advisory::new("GO-2099-0001");
    adv.affected.push(Affected {
        package: Package {
            ecosystem: Ecosystem::Go,
            name: "github.com/kubernetes/kubernetes".into(),
        },
        ranges: vec![Range {
            kind: RangeKind::Semver,
            events: vec![Event::Introduced("0".into()), Event::Fixed("1.20.0".into())],
        }],
        versions: vec![],
        record: None,
    });
    // Judged at the upstream version, not looked up as a dependency of the tree.
    let st = status(&adv, &at("1.19.4"), &Triage::default());
    assert_eq!(st.status, StatusKind::Affected, "{}", text(&st));
    let st = status(&adv, &at("1.20.1"), &Triage::default());
    assert_eq!(st.status, StatusKind::FixedUpstream, "{}", text(&st));
}

/// klts.io's own per-CVE pages say which upstream releases fixed each CVE ("Fixed by
/// official") and which LTS releases KLTS fixed ("Fixed by KLTS"). On the real KLTS manifest,
/// without a mirror: every upstream version klts.io calls fixed is not open here, and the
/// newest release of every line klts.io says KLTS fixed is not open either (its chain carries
/// the patch).
#[test]
fn klts_io_claims_hold_on_the_real_manifest() {
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/klts-io-claims.json")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../klts-core/tests/fixtures/kubernetes-lts.releases.yml"
        ),
        tmp.path().join("releases.yml"),
    )
    .unwrap();
    let ws = klts_forge::Workspace::open(tmp.path(), None).unwrap();
    // The real manifest's base URL says what it is.
    let product = ws.product().unwrap();
    assert_eq!(
        product.product,
        klts_core::Product::Kubernetes,
        "{product:?}"
    );
    let releases = klts_vuln::facts::manifest_facts(&ws, product.product);
    let db = db();
    let triage = Triage::default();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (cve, c) in claims["claims"].as_object().unwrap() {
        let adv = db.get(cve);
        let Some(adv) = adv else {
            // CVE-2019-11246 and CVE-2019-1002101 are in no upstream feed of the snapshot:
            // the program's own advisories/ carry them (tested in the CLI tests).
            continue;
        };
        for v in c["fixed_upstream_in"].as_array().unwrap() {
            let st = status(adv, &at(v.as_str().unwrap()), &triage);
            checked += 1;
            if st.is_open() {
                wrong.push(format!(
                    "{cve} at upstream {v}: {:?} {}",
                    st.status,
                    text(&st)
                ));
            }
        }
        for r in c["fixed_by_klts_in"].as_array().unwrap() {
            let line = Version::parse(r.as_str().unwrap()).unwrap().line();
            // The release klts.io names may have been superseded: the newest of its line.
            let newest = releases
                .iter()
                .filter(|f| f.line() == Some(line) && f.name.contains("-lts."))
                .max_by_key(|f| Version::parse(&f.name).ok());
            let Some(facts) = newest else { continue };
            let st = status(adv, facts, &triage);
            checked += 1;
            if st.is_open() {
                wrong.push(format!(
                    "{cve} on {}: {:?} {}",
                    facts.name,
                    st.status,
                    text(&st)
                ));
            }
        }
    }
    assert!(checked > 40, "{checked} claims checked");
    // Where the sources themselves disagree, the status follows the primary record and the
    // evidence shows the other claim; these are the only such cases, each understood:
    let known = [
        // klts.io names v1.12.12, which was never released (the 1.12 line ended at v1.12.10);
        // the Kubernetes record's single interval ends at 1.13.9.
        "CVE-2019-11247 at upstream \"v1.12.12\"",
        // The Kubernetes record says 1.19.16; the announcement, klts.io and GO-2022-0910 say
        // 1.19.15. The status shows GO-2022-0910's claim; with a mirror, git evidence (the
        // fix commit in the v1.19.15 tag) settles it as fixed-upstream.
        "CVE-2021-25741 at upstream \"v1.19.15\"",
    ];
    let unexpected: Vec<&String> = wrong
        .iter()
        .filter(|w| !known.iter().any(|k| w.starts_with(k)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} of {checked} claims contradicted:\n{}",
        unexpected.len(),
        wrong.join("\n")
    );
    assert_eq!(
        wrong.len(),
        known.len(),
        "a known disagreement went away: {wrong:?}"
    );
    assert!(
        wrong[1].contains("claim of GO-2022-0910"),
        "the other source is shown: {}",
        wrong[1]
    );
}

fn product_at(product: klts_core::Product, version: &str) -> ReleaseFacts {
    ReleaseFacts {
        product,
        ..at(version)
    }
}

/// containerd's own advisories are judged at containerd's version; Kubernetes' never reach a
/// containerd release (before products, 43 Kubernetes CVEs were "affected" on containerd
/// v1.3.10 and CVE-2021-41103 was "not in the tree").
#[test]
fn containerd_is_judged_as_containerd() {
    use klts_core::Product;
    let all = db();
    let db = all.clone().for_product(Product::Containerd);
    // No advisory of Kubernetes itself concerns containerd. Kubernetes' CNA also publishes
    // records for Go modules released apart from Kubernetes (sigs.k8s.io/secrets-store-csi-
    // driver): those stay, judged as dependencies (absent from containerd: not affected).
    let kubernetes_own: Vec<&str> = db
        .advisories
        .iter()
        .filter(|a| {
            a.affected
                .iter()
                .any(|p| klts_vuln::status::is_product_component(p, Product::Kubernetes))
        })
        .map(|a| a.id.as_str())
        .collect();
    assert!(kubernetes_own.is_empty(), "{kubernetes_own:?}");
    assert!(
        all.advisories
            .iter()
            .filter(|a| a
                .affected
                .iter()
                .any(|p| p.package.ecosystem == klts_vuln::model::Ecosystem::Kubernetes))
            .count()
            > 40
    );
    assert!(db.get("CVE-2020-8559").is_none());
    assert!(db.get("GHSA-c2h3-6mxw-7mvq").is_some());
    // The real containerd-lts manifest says containerd by its base URL.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../klts-core/tests/fixtures/containerd-lts.releases.yml"
        ),
        tmp.path().join("releases.yml"),
    )
    .unwrap();
    let ws = klts_forge::Workspace::open(tmp.path(), None).unwrap();
    let product = ws.product().unwrap();
    assert_eq!(product.product, Product::Containerd, "{product:?}");
    assert!(product.source.contains("base URL"), "{product:?}");
    let releases = klts_vuln::facts::manifest_facts(&ws, product.product);
    let lts = releases
        .iter()
        .find(|r| r.name == "v1.3.10-lts.1")
        .expect("the release");
    // Fixed by KLTS's patch on the release; open on the upstream tag it is based on.
    let st = judge(&db, "CVE-2021-41103", lts);
    assert_eq!(st.status, StatusKind::FixedByPatch, "{}", text(&st));
    let st = judge(
        &db,
        "CVE-2021-41103",
        &product_at(Product::Containerd, "1.3.10"),
    );
    assert_eq!(st.status, StatusKind::Affected, "{}", text(&st));
    assert!(text(&st).contains("upstream version"), "{}", text(&st));
    // Upstream's fixes: 1.4.11 and 1.5.7.
    for fixed in ["1.4.11", "1.5.7"] {
        let st = judge(
            &db,
            "CVE-2021-41103",
            &product_at(Product::Containerd, fixed),
        );
        assert_eq!(
            st.status,
            StatusKind::FixedUpstream,
            "{fixed}: {}",
            text(&st)
        );
    }
    // The same advisory is not Kubernetes': a Kubernetes 1.17 release is never judged by it.
    let k8s = all.clone().for_product(Product::Kubernetes);
    assert!(k8s.get("CVE-2021-41103").is_none());
    // `vulns check` for the bare version finds it open, with the upstream fix of the line.
    let exposures = check(
        &db,
        &product_at(Product::Containerd, "1.4.3"),
        &[],
        &Triage::default(),
        false,
    );
    let e = exposures
        .iter()
        .find(|e| {
            std::iter::once(&e.advisory.id)
                .chain(&e.advisory.aliases)
                .any(|a| a == "CVE-2021-41103")
        })
        .expect("CVE-2021-41103 open on 1.4.3");
    assert_eq!(e.upstream_fix.as_deref(), Some("v1.4.11"));
}

/// A generic Go project has no advisories of its own, only Go's and its modules'.
#[test]
fn a_generic_project_has_no_advisories_of_its_own() {
    use klts_core::Product;
    let db = db().for_product(Product::Generic);
    assert!(db.get("CVE-2021-41103").is_none());
    assert!(db.get("CVE-2020-8559").is_none());
    // Go's own advisories still concern it.
    assert!(db
        .advisories
        .iter()
        .any(|a| a.affected.iter().any(|p| p.package.name == "stdlib")));
    let st = judge(&db, "CVE-2021-3121", &product_at(Product::Generic, "1.0.0"));
    // gogo/protobuf: a module, judged only in a tree (none here).
    assert_eq!(st.status, StatusKind::Unknown, "{}", text(&st));
}

/// Line by line, as a security tracker shows it, from the same judgement as the statuses.
#[test]
fn upstream_on_each_line() {
    use klts_core::{MinorLine, Product};
    use klts_vuln::report::{upstream_on_line, LineFix};
    let db = db();
    let adv = db.get("CVE-2020-8559").unwrap();
    let t = Triage::default();
    let on = |minor| upstream_on_line(adv, MinorLine::new(1, minor), Product::Kubernetes, &t);
    assert_eq!(on(17), Some(LineFix::FixedIn("v1.17.9".into())));
    assert_eq!(on(16), Some(LineFix::FixedIn("v1.16.13".into())));
    assert_eq!(on(15), Some(LineFix::Open("v1.15.12".into())));
    // Released after the fix.
    assert!(matches!(
        on(19),
        Some(LineFix::ReleasedFixed(_) | LineFix::NotAffected)
    ));
    // CVE-2023-3676 was published when 1.23 was out of support: not assessed, never "open".
    let adv = db.get("CVE-2023-3676").unwrap();
    assert_eq!(
        upstream_on_line(adv, MinorLine::new(1, 23), Product::Kubernetes, &t),
        Some(LineFix::Unassessed)
    );
    // A Go module advisory needs a tree for every patch release: no line verdict.
    let adv = db.get("CVE-2021-3121").unwrap();
    assert_eq!(
        upstream_on_line(adv, MinorLine::new(1, 17), Product::Kubernetes, &t),
        None
    );
}

/// Go's own advisories on a tree that names no Go version are unknown, never "absent" (every
/// tree is built with some Go); a module the tree does not have is absent; a named Go version
/// is judged.
#[test]
fn go_advisories_on_a_tree_without_a_go_version_are_unknown() {
    use klts_vuln::inventory::{GoToolchain, Inventory};
    let db = db();
    let stdlib = db
        .advisories
        .iter()
        .find(|a| {
            a.affected.len() == 1
                && a.affected[0].package.name == "stdlib"
                && !a.affected[0].ranges.is_empty()
        })
        .expect("a Go stdlib advisory in the snapshot");
    let module = db
        .advisories
        .iter()
        .find(|a| {
            a.affected.len() == 1
                && a.affected[0].package.name.starts_with("github.com/")
                && !a.affected[0].ranges.is_empty()
        })
        .expect("a Go module advisory in the snapshot");
    let nameless = ReleaseFacts {
        tree: Some(Inventory::default()),
        ..at("v1.17.17-lts.1")
    };
    let st = status(stdlib, &nameless, &Triage::default());
    assert_eq!(
        st.status,
        StatusKind::Unknown,
        "{}: {}",
        stdlib.id,
        text(&st)
    );
    assert!(
        text(&st).contains("the Go version the release builds with"),
        "{}",
        text(&st)
    );
    let st = status(module, &nameless, &Triage::default());
    assert_eq!(
        st.status,
        StatusKind::NotAffected,
        "{}: {}",
        module.id,
        text(&st)
    );

    let named = ReleaseFacts {
        tree: Some(Inventory {
            go: Some(GoToolchain {
                version: "1.15.15".into(),
                source: ".go-version".into(),
            }),
            ..Inventory::default()
        }),
        ..at("v1.17.17-lts.1")
    };
    let st = status(stdlib, &named, &Triage::default());
    assert!(
        !matches!(st.status, StatusKind::Unknown | StatusKind::NotAffected),
        "{}: {:?} {}",
        stdlib.id,
        st.status,
        text(&st)
    );
    assert!(text(&st).contains("1.15.15"), "{}", text(&st));
}
