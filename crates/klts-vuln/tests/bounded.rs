//! Synced feeds cannot hijack advisories or make every command slow: alias merging is
//! refused when it would fuse distinct CVEs, and records over the documented limits are
//! skipped with a warning.

use klts_vuln::db::Database;
use klts_vuln::model::Source;
use klts_vuln::osv::{parse_record, MAX_AFFECTED_PER_RECORD, MAX_OSV_RECORD_BYTES};
use klts_vuln::sources::{FeedEntry, FeedIndex, FeedKind};
use std::path::Path;

/// A feed cache holding one synced OSV array (as `klts feed sync` leaves it).
fn cache_with(dir: &Path, records: serde_json::Value) {
    std::fs::write(dir.join("synced.json"), records.to_string()).unwrap();
    let mut index = FeedIndex::default();
    index.feeds.insert(
        "https://example.invalid/osv.json".into(),
        FeedEntry {
            file: "synced.json".into(),
            kind: FeedKind::OsvArray,
            sha256: String::new(),
            synced_at: 0,
            source: Source::KubernetesOsv,
        },
    );
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// The crafted record of the issue: it used to merge CVE-2021-3121, GO-2021-0053 and
/// CVE-2020-8554 into one advisory, so one triage decision covered all three.
#[test]
fn synced_aliases_cannot_fuse_distinct_cves() {
    let dir = tempfile::tempdir().unwrap();
    cache_with(
        dir.path(),
        serde_json::json!([
            {"id": "CVE-2020-8554", "aliases": ["GO-2021-0053", "CVE-2021-3121"], "summary": "crafted"},
            {"id": "GO-2021-0053", "aliases": ["CVE-2020-8554"]},
            // Legitimate: a new Go record learning its CVE, and a newer copy of a known one.
            {"id": "GO-2099-0001", "aliases": ["CVE-2099-1234", "GHSA-new1-new1-new1"]},
            {"id": "CVE-2099-1234", "summary": "the CVE of a new Go record"},
            {"id": "CVE-2021-3121", "aliases": ["GHSA-c3h9-896r-86jm"], "summary": "synced prose"},
        ]),
    );
    let db = klts_vuln::sources::load(Some(dir.path())).unwrap();
    let gogo = db.get("CVE-2021-3121").expect("CVE-2021-3121");
    let lb = db.get("CVE-2020-8554").expect("CVE-2020-8554");
    assert_ne!(gogo.id, lb.id, "two CVEs fused into one advisory");
    assert_eq!(db.get("GO-2021-0053").map(|a| &a.id), Some(&gogo.id));
    assert!(!lb.is_named("GO-2021-0053") && !lb.is_named("CVE-2021-3121"));
    assert!(!gogo.is_named("CVE-2020-8554"));
    // Every refused alias is a warning naming both CVEs and the synced input.
    let refused: Vec<String> = db
        .warnings
        .iter()
        .filter(|w| w.field.as_deref() == Some("aliases"))
        .map(|w| w.to_string())
        .collect();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    for w in &refused {
        assert!(
            w.starts_with("https://example.invalid/osv.json[")
                && w.contains("CVE-2020-8554")
                && w.contains("CVE-2021-3121"),
            "{w}"
        );
    }
    // What synced feeds are for still works.
    assert_eq!(gogo.summary.as_deref(), Some("synced prose"));
    let new = db.get("GO-2099-0001").expect("new record");
    assert_eq!(new.id, "CVE-2099-1234");
    assert!(new.is_named("GHSA-new1-new1-new1"));
    assert_eq!(new.summary.as_deref(), Some("the CVE of a new Go record"));
    // Ids stay unique across advisories.
    let mut seen = std::collections::HashSet::new();
    for a in &db.advisories {
        for id in a.ids() {
            assert!(seen.insert(id.to_ascii_lowercase()), "{id} twice");
        }
    }
}

fn affected(n: usize) -> serde_json::Value {
    (0..n)
        .map(|i| {
            serde_json::json!({
                "package": {"ecosystem": "Go", "name": format!("example.com/m{i}")},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]
            })
        })
        .collect()
}

#[test]
fn records_over_the_limits_are_skipped_with_a_warning() {
    let big =
        serde_json::json!({"id": "GO-2099-1", "affected": affected(MAX_AFFECTED_PER_RECORD + 1)});
    let w = parse_record(big.to_string().as_bytes(), "big.json", Source::GoVulnDb).unwrap_err();
    assert_eq!(w.field.as_deref(), Some("affected"));
    assert!(
        w.message
            .contains("1001 affected entries, over the limit of 1000"),
        "{w}"
    );
    let ok = serde_json::json!({"id": "GO-2099-1", "affected": affected(MAX_AFFECTED_PER_RECORD)});
    let (a, _) = parse_record(ok.to_string().as_bytes(), "ok.json", Source::GoVulnDb).unwrap();
    assert_eq!(a.affected.len(), MAX_AFFECTED_PER_RECORD);

    let mut huge = serde_json::json!({"id": "GO-2099-2", "summary": ""});
    huge["summary"] = serde_json::Value::String("x".repeat(MAX_OSV_RECORD_BYTES));
    let w = parse_record(huge.to_string().as_bytes(), "huge.json", Source::GoVulnDb).unwrap_err();
    assert!(w.message.contains("over the limit of 4194304 bytes"), "{w}");

    // Deep nesting is a JSON error (serde_json's recursion limit), not a stack overflow.
    let deep = format!(
        "{{\"id\":\"GO-2099-3\",\"affected\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let w = parse_record(deep.as_bytes(), "deep.json", Source::GoVulnDb).unwrap_err();
    assert!(w.message.contains("recursion limit"), "{w}");
}

/// The embedded data is within the limits (nothing of it is skipped by them).
#[test]
fn embedded_data_is_within_the_limits() {
    let db = klts_vuln::sources::load(None).unwrap();
    assert!(
        db.warnings
            .iter()
            .all(|w| !w.message.contains("over the limit")),
        "{:?}",
        db.warnings
    );
    let most = db
        .advisories
        .iter()
        .map(|a| a.affected.len())
        .max()
        .unwrap_or(0);
    assert!(most < MAX_AFFECTED_PER_RECORD / 10, "{most}");
}

/// Merging removes duplicate affected entries with a set: 20,000 entries across two records
/// used to cost 200 million comparisons (a minute for 100,000 entries, on every command).
#[test]
fn merging_many_affected_entries_is_linear() {
    let mut osv = Vec::new();
    for part in 0..20 {
        let entries: Vec<serde_json::Value> = (0..MAX_AFFECTED_PER_RECORD)
            .map(|i| {
                serde_json::json!({
                    "package": {"ecosystem": "Go", "name": format!("example.com/p{part}/m{i}")},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]
                })
            })
            .collect();
        let rec = serde_json::json!({"id": format!("GO-2099-{part}"), "aliases": ["CVE-2099-7"], "affected": entries});
        osv.push((
            format!("{part}.json"),
            rec.to_string().into_bytes(),
            Source::GoVulnDb,
        ));
        // The same record twice: its entries are exact duplicates.
        osv.push((
            format!("{part}-again.json"),
            rec.to_string().into_bytes(),
            Source::GoVulnDb,
        ));
    }
    let db = Database::from_sources(osv, Vec::new());
    assert_eq!(db.advisories.len(), 1);
    assert_eq!(
        db.advisories[0].affected.len(),
        20 * MAX_AFFECTED_PER_RECORD
    );
}

/// A deeply nested `triage.yml` is an error naming file:line:col and the limit, not a crash.
#[test]
fn deeply_nested_triage_file_is_an_error_not_a_crash() {
    let text = format!("triage:\n{}x\n", "- ".repeat(20_000));
    let err = klts_vuln::triage::Triage::parse(&text, Path::new("triage.yml")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("triage.yml:2:"), "{msg}");
    assert!(msg.contains("64 levels"), "{msg}");
}
