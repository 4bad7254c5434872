//! Statements for scanners: an OpenVEX document per release, and OSV records that credit the
//! `-lts.N` releases with the fixes they carry.
//!
//! Both are deterministic: statements are ordered by advisory id, keys are sorted, and the
//! timestamp is an input (the CLI uses `SOURCE_DATE_EPOCH` when set, else the release's commit
//! date), so the same inputs give the same bytes.

use crate::db::Database;
use crate::model::Advisory;
use crate::status::{status, Evidence, ReleaseFacts, Status, StatusKind};
use crate::triage::Triage;
use klts_core::Version;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The package URL of a Kubernetes release, as scanners identify it.
pub fn purl(release: &str) -> String {
    format!(
        "pkg:golang/k8s.io/kubernetes@{}",
        if release.starts_with('v') {
            release.to_string()
        } else {
            format!("v{release}")
        }
    )
}

fn notes(st: &Status) -> String {
    st.evidence
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One OpenVEX statement, or `None` for advisories that do not concern the release at all
/// (plain `not-affected` by version range: listing hundreds of those helps nobody).
fn statement(adv: &Advisory, release: &str, st: &Status) -> Option<Value> {
    let mut s = serde_json::Map::new();
    let aliases: Vec<&String> = adv.aliases.iter().collect();
    s.insert(
        "vulnerability".into(),
        json!({"name": adv.id, "aliases": aliases}),
    );
    s.insert("products".into(), json!([{"@id": purl(release)}]));
    match st.status {
        StatusKind::NotAffected => {
            let absent = st
                .evidence
                .iter()
                .any(|e| matches!(e, Evidence::Absent { .. }));
            if !absent {
                return None;
            }
            s.insert("status".into(), json!("not_affected"));
            s.insert("justification".into(), json!("component_not_present"));
            s.insert("impact_statement".into(), json!(notes(st)));
        }
        StatusKind::Ignored => {
            let (j, note) = st
                .evidence
                .iter()
                .find_map(|e| match e {
                    Evidence::Triage {
                        justification,
                        note,
                    } => Some((justification.clone(), note.clone())),
                    _ => None,
                })
                .unwrap_or_else(|| ("vulnerable_code_not_in_execute_path".into(), None));
            s.insert("status".into(), json!("not_affected"));
            s.insert("justification".into(), json!(j));
            s.insert(
                "impact_statement".into(),
                json!(note.unwrap_or_else(|| "triaged by the LTS maintainers".into())),
            );
        }
        StatusKind::FixedUpstream | StatusKind::FixedByPatch | StatusKind::FixedByDependency => {
            s.insert("status".into(), json!("fixed"));
            s.insert(
                "status_notes".into(),
                json!(format!("{}: {}", st.status, notes(st))),
            );
        }
        StatusKind::Affected => {
            s.insert("status".into(), json!("affected"));
            s.insert("status_notes".into(), json!(notes(st)));
            s.insert(
                "action_statement".into(),
                json!("No fix in this release. Run `klts vulns check` for the lowest release of this line that fixes it."),
            );
        }
        // Not assessed upstream is not "not affected": under investigation until triage, a
        // patch or git evidence settles it.
        StatusKind::Unknown | StatusKind::Unassessed => {
            s.insert("status".into(), json!("under_investigation"));
            s.insert("status_notes".into(), json!(notes(st)));
        }
    }
    Some(Value::Object(s))
}

/// An OpenVEX (v0.2.0) document for one release.
pub fn openvex(db: &Database, facts: &ReleaseFacts, triage: &Triage, timestamp: &str) -> Value {
    let mut statements: Vec<Value> = Vec::new();
    let mut advisories: Vec<&Advisory> = db.advisories.iter().collect();
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    for adv in advisories {
        let st = status(adv, facts, triage);
        if let Some(mut s) = statement(adv, &facts.name, &st) {
            if let Some(obj) = s.as_object_mut() {
                obj.insert("timestamp".into(), json!(timestamp));
            }
            statements.push(s);
        }
    }
    let body = serde_json::to_vec(&statements).unwrap_or_default();
    let digest = klts_forge::fsutil::sha256_hex(&body);
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://klts.io/vex/{}/{}", facts.name, &digest[..16]),
        "author": "klts",
        "timestamp": timestamp,
        "version": 1,
        "tooling": concat!("klts ", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

/// OSV records (schema 1.6) stating which LTS releases fix which advisory: one record per
/// advisory fixed by a patch or a dependency bump in some release, with one `affected` entry per
/// minor line: `introduced` at the line's first version, `fixed` at the lowest fixing release.
/// The range type is `ECOSYSTEM` because `-lts.N` sorts after x.y.z in the LTS ordering, not in
/// semver.
pub fn osv_export(
    db: &Database,
    releases: &[ReleaseFacts],
    triage: &Triage,
    timestamp: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut advisories: Vec<&Advisory> = db.advisories.iter().collect();
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    for adv in advisories {
        // Lowest fixing release per line.
        let mut per_line: BTreeMap<(u64, u64), (Version, Vec<String>)> = BTreeMap::new();
        for r in releases {
            let st = status(adv, r, triage);
            if !matches!(
                st.status,
                StatusKind::FixedByPatch | StatusKind::FixedByDependency
            ) {
                continue;
            }
            let Ok(v) = Version::parse(&r.name) else {
                continue;
            };
            let line = v.line();
            let entry = per_line
                .entry((line.major, line.minor))
                .or_insert_with(|| (v.clone(), Vec::new()));
            if v < entry.0 {
                entry.0 = v.clone();
            }
            entry.1.push(r.name.clone());
        }
        if per_line.is_empty() {
            continue;
        }
        let affected: Vec<Value> = per_line
            .iter()
            .map(|((major, minor), (lowest, all))| {
                let mut all = all.clone();
                all.sort();
                json!({
                    "package": {"ecosystem": "Kubernetes", "name": "k8s.io/kubernetes", "purl": "pkg:golang/k8s.io/kubernetes"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": format!("{major}.{minor}.0")}, {"fixed": lowest.to_string().trim_start_matches('v')}]}],
                    "database_specific": {"klts_fixed_in": all, "ordering": "LTS: X.Y.Z < X.Y.Z-ci < X.Y.Z-lts.1 < X.Y.Z-lts.2 < X.Y.(Z+1)"},
                })
            })
            .collect();
        let mut upstream: Vec<&str> = adv.ids().collect();
        upstream.sort();
        out.push(json!({
            "schema_version": "1.6.0",
            "id": format!("KLTS-{}", adv.id),
            "modified": timestamp,
            "published": timestamp,
            "upstream": upstream,
            "summary": format!("Kubernetes LTS releases that fix {}", adv.id),
            "affected": affected,
            "references": adv.references.iter().map(|u| json!({"type": "WEB", "url": u})).collect::<Vec<_>>(),
        }));
    }
    out
}
