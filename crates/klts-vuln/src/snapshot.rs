//! The embedded, facts-only advisory snapshot.
//!
//! `data/snapshot.json` holds the Kubernetes advisories in OSV form
//! (kubernetes-sigs/cve-feed-osv), the records of the Go vulnerability database that can concern
//! Kubernetes, and the official Kubernetes CVE feed, stripped of their prose: ids, aliases, dates,
//! packages, ranges, versions, CVSS vectors and reference URLs only. It lets klts answer without
//! network access; synced feeds replace it at run time.
//!
//! This module only splits the document and hands out the bytes of each record and of the feed:
//! the OSV and feed readers turn them into advisories. Regenerate the file with
//! `cargo run -p klts-vuln --example gen_snapshot -- <shared-data-dir> crates/klts-vuln/data/snapshot.json`
//! (see `data/README.md`).

use crate::model::Source;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The snapshot document, embedded at build time.
pub const SNAPSHOT_JSON: &str = include_str!("../data/snapshot.json");

/// The snapshot format this module reads.
pub const FORMAT: u32 = 1;

/// What the snapshot was generated from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFrom {
    /// Number of Kubernetes OSV records.
    pub kubernetes_osv: usize,
    /// Number of Go vulnerability database records (those relevant to Kubernetes).
    pub govulndb: usize,
    /// Number of items of the official Kubernetes CVE feed.
    pub feed_items: usize,
    /// The newest modification date among the inputs (RFC 3339).
    pub newest_modified: String,
}

/// The snapshot, split into records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The snapshot format (`1`).
    pub format: u32,
    /// What it was generated from.
    pub generated_from: GeneratedFrom,
    /// Each OSV record's source and JSON bytes (re-serialized), in snapshot order
    /// (Kubernetes OSV records first, then Go vulndb ones, each sorted by id).
    pub records: Vec<(Source, Vec<u8>)>,
    /// The official feed (JSON Feed) bytes; empty when the snapshot has no feed.
    pub feed: Vec<u8>,
}

impl Snapshot {
    /// The embedded snapshot (same as [`embedded`]).
    pub fn embedded() -> Result<Snapshot, String> {
        embedded()
    }

    /// Parse a snapshot document (same as [`parse`]).
    pub fn parse(text: &str) -> Result<Snapshot, String> {
        parse(text)
    }

    /// The records of one source.
    pub fn records_of(&self, source: Source) -> impl Iterator<Item = &[u8]> {
        self.records
            .iter()
            .filter(move |(s, _)| *s == source)
            .map(|(_, b)| b.as_slice())
    }
}

/// The embedded snapshot.
pub fn embedded() -> Result<Snapshot, String> {
    parse(SNAPSHOT_JSON).map_err(|e| format!("embedded advisory snapshot: {e}"))
}

/// The source named in a snapshot entry.
fn source_of(name: &str) -> Option<Source> {
    match name {
        "kubernetes-osv" => Some(Source::KubernetesOsv),
        "govulndb" | "go-vuln-db" => Some(Source::GoVulnDb),
        "kubernetes-feed" => Some(Source::KubernetesFeed),
        _ => None,
    }
}

/// Parse a snapshot document.
pub fn parse(text: &str) -> Result<Snapshot, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = doc.as_object().ok_or("the snapshot is not a JSON object")?;

    let format = obj
        .get("format")
        .and_then(Value::as_u64)
        .ok_or("the snapshot has no numeric `format`")?;
    if format != u64::from(FORMAT) {
        return Err(format!(
            "unsupported snapshot format {format} (this klts reads {FORMAT})"
        ));
    }

    let generated_from = match obj.get("generated_from") {
        Some(v) => GeneratedFrom::deserialize(v).map_err(|e| format!("`generated_from`: {e}"))?,
        None => GeneratedFrom::default(),
    };

    let entries = match obj.get("records") {
        Some(v) => v.as_array().ok_or("`records` is not an array")?.as_slice(),
        None => &[],
    };
    let mut records = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let name = entry
            .get("source")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("record {i}: no `source`"))?;
        let source =
            source_of(name).ok_or_else(|| format!("record {i}: unknown source {name:?}"))?;
        let record = entry
            .get("record")
            .filter(|r| r.is_object())
            .ok_or_else(|| format!("record {i}: no `record` object"))?;
        let bytes = serde_json::to_vec(record).map_err(|e| format!("record {i}: {e}"))?;
        records.push((source, bytes));
    }

    let feed = match obj.get("feed") {
        Some(Value::Null) | None => Vec::new(),
        Some(v) if v.is_object() => serde_json::to_vec(v).map_err(|e| format!("`feed`: {e}"))?,
        Some(_) => return Err("`feed` is not an object".into()),
    };

    Ok(Snapshot {
        format: FORMAT,
        generated_from,
        records,
        feed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether any object in `v` has the key `key`.
    fn has_key(v: &Value, key: &str) -> bool {
        match v {
            Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
            Value::Array(a) => a.iter().any(|x| has_key(x, key)),
            _ => false,
        }
    }

    #[test]
    fn embedded_snapshot_parses() {
        let snap = Snapshot::embedded().unwrap();
        assert_eq!(snap.format, 1);
        let k8s = snap.records_of(Source::KubernetesOsv).count();
        let go = snap.records_of(Source::GoVulnDb).count();
        assert!(k8s > 40, "only {k8s} kubernetes-osv records");
        assert_eq!(k8s, snap.generated_from.kubernetes_osv);
        assert_eq!(go, snap.generated_from.govulndb);
        assert!(go > 0);
        assert!(!snap.generated_from.newest_modified.is_empty());

        let gogo = snap
            .records_of(Source::GoVulnDb)
            .map(|b| serde_json::from_slice::<Value>(b).unwrap())
            .find(|r| r["id"] == "GO-2021-0053")
            .expect("GO-2021-0053 in the snapshot");
        assert!(gogo["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "CVE-2021-3121"));
        assert_eq!(
            gogo["affected"][0]["package"]["name"],
            "github.com/gogo/protobuf"
        );

        let feed: Value = serde_json::from_slice(&snap.feed).unwrap();
        let items = feed["items"].as_array().unwrap();
        assert_eq!(items.len(), snap.generated_from.feed_items);
        assert!(items.iter().any(|i| i["_klts"]["cvss_v3"]
            .as_str()
            .is_some_and(|v| v.starts_with("CVSS:3."))));
    }

    #[test]
    fn embedded_snapshot_is_facts_only() {
        let snap = embedded().unwrap();
        let feed: Value = serde_json::from_slice(&snap.feed).unwrap();
        for (source, bytes) in &snap.records {
            let rec: Value = serde_json::from_slice(bytes).unwrap();
            for key in [
                "summary",
                "details",
                "content_text",
                "credits",
                "database_specific",
                "ecosystem_specific",
            ] {
                assert!(!has_key(&rec, key), "{source:?} {} has {key}", rec["id"]);
            }
        }
        for key in ["summary", "details", "content_text"] {
            assert!(!has_key(&feed, key), "feed has {key}");
        }
    }

    #[test]
    fn parse_small_documents() {
        let text = r#"{"format":1,"generated_from":{"kubernetes_osv":1,"govulndb":1,"feed_items":0,"newest_modified":"2024-01-01T00:00:00Z"},
            "records":[{"source":"kubernetes-osv","record":{"id":"CVE-1"}},{"source":"govulndb","record":{"id":"GO-1"}}],
            "feed":{"version":"https://jsonfeed.org/version/1.1","items":[]}}"#;
        let snap = parse(text).unwrap();
        assert_eq!(snap.records.len(), 2);
        assert_eq!(snap.records[0].0, Source::KubernetesOsv);
        assert_eq!(snap.records[1].0, Source::GoVulnDb);
        assert_eq!(snap.records[1].1, br#"{"id":"GO-1"}"#.to_vec());
        assert_eq!(snap.generated_from.newest_modified, "2024-01-01T00:00:00Z");

        assert!(parse(r#"{"format":1}"#).unwrap().records.is_empty());
        assert!(parse(r#"{"format":2,"records":[]}"#).is_err());
        assert!(parse(r#"{"records":[]}"#).is_err());
        assert!(parse(r#"{"format":1,"records":[{"source":"nvd","record":{}}]}"#).is_err());
        assert!(parse(r#"{"format":1,"records":[{"source":"govulndb"}]}"#).is_err());
        assert!(parse(r#"{"format":1,"feed":[]}"#).is_err());
        assert!(parse("[").is_err());
        assert!(parse("").is_err());
    }
}
