//! The advisory database: every source parsed, warnings collected, records merged.

use crate::feed::parse_feed;
use crate::merge::{merge_records, Record};
use crate::model::{Advisory, Source};
use crate::osv::parse_record;
use klts_core::diag::Diagnostic;
use std::cmp::Ordering;
use std::path::Path;

/// Merged advisories and what could not be read on the way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Database {
    /// One advisory per vulnerability, sorted by id (see [`crate::merge`]).
    pub advisories: Vec<Advisory>,
    /// Everything skipped while reading the sources, in input order.
    pub warnings: Vec<Diagnostic>,
}

impl Database {
    /// Parses OSV records (`(name, bytes, source)`) and JSON feeds (`(name, bytes)`), collects
    /// the warnings, and merges the advisories. Never fails: unreadable inputs become warnings.
    ///
    /// Every input counts as curated (the embedded snapshot); use [`Database::with_synced`]
    /// for feeds synced at run time.
    pub fn from_sources(
        osv: Vec<(String, Vec<u8>, Source)>,
        feeds: Vec<(String, Vec<u8>)>,
    ) -> Database {
        Database::with_synced(osv, feeds, Vec::new(), Vec::new())
    }

    /// Like [`Database::from_sources`], plus records from synced (or local) feeds, whose
    /// aliases may not fuse advisories (see [`crate::merge`]).
    pub fn with_synced(
        osv: Vec<(String, Vec<u8>, Source)>,
        feeds: Vec<(String, Vec<u8>)>,
        synced_osv: Vec<(String, Vec<u8>, Source)>,
        synced_feeds: Vec<(String, Vec<u8>)>,
    ) -> Database {
        let mut advisories = Vec::new();
        let mut warnings = Vec::new();
        let osv = osv.into_iter().map(|i| (i, false));
        for ((name, bytes, source), synced) in osv.chain(synced_osv.into_iter().map(|i| (i, true)))
        {
            match parse_record(&bytes, &name, source) {
                Ok((a, w)) => {
                    advisories.push(Record {
                        advisory: a,
                        file: name,
                        synced,
                    });
                    warnings.extend(w);
                }
                Err(w) => warnings.push(w),
            }
        }
        let feeds = feeds.into_iter().map(|i| (i, false));
        for ((name, bytes), synced) in feeds.chain(synced_feeds.into_iter().map(|i| (i, true))) {
            match parse_feed(&bytes, &name) {
                Ok((a, w)) => {
                    advisories.extend(a.into_iter().map(|advisory| Record {
                        advisory,
                        file: name.clone(),
                        synced,
                    }));
                    warnings.extend(w);
                }
                Err(w) => warnings.push(w),
            }
        }
        let records = advisories.len();
        let (advisories, merge_warnings) = merge_records(advisories);
        warnings.extend(merge_warnings);
        tracing::debug!(
            records,
            advisories = advisories.len(),
            warnings = warnings.len(),
            "advisory database built"
        );
        Database {
            advisories,
            warnings,
        }
    }

    /// Reads the `*.json` files directly in `dir` (not in subdirectories), sorted by file
    /// name, as `(file name, bytes, source)` for [`Database::from_sources`].
    pub fn load_dir(dir: &Path, source: Source) -> std::io::Result<Vec<(String, Vec<u8>, Source)>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // `Path::is_file` follows symbolic links.
            if !name.ends_with(".json") || !entry.path().is_file() {
                continue;
            }
            files.push((name, entry.path()));
        }
        files.sort();
        files
            .into_iter()
            .map(|(name, path)| Ok((name, std::fs::read(path)?, source)))
            .collect()
    }

    /// Only the advisories that can concern `product` ([`crate::status::applies_to`]): another
    /// product's own advisories are not listed for it at all, not even as "not affected".
    pub fn for_product(mut self, product: klts_core::Product) -> Database {
        self.advisories
            .retain(|a| crate::status::applies_to(a, product));
        self
    }

    /// The advisory named `id` (its primary id or any alias, case-insensitive).
    pub fn get(&self, id: &str) -> Option<&Advisory> {
        let id = id.trim();
        self.advisories.iter().find(|a| a.is_named(id))
    }

    /// The advisories, most severe first: by severity, then score (descending), then id.
    pub fn sorted_by_severity(&self) -> Vec<&Advisory> {
        let mut out: Vec<(crate::model::Severity, Option<f64>, &Advisory)> = self
            .advisories
            .iter()
            .map(|a| (a.severity(), a.score(), a))
            .collect();
        out.sort_by(|(sa, ca, a), (sb, cb, b)| {
            sb.cmp(sa)
                .then_with(|| match (ca, cb) {
                    (Some(x), Some(y)) => y.partial_cmp(x).unwrap_or(Ordering::Equal),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                })
                .then_with(|| a.id.cmp(&b.id))
        });
        out.into_iter().map(|(_, _, a)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    #[test]
    fn builds_merges_and_sorts() {
        let osv = vec![
            (
                "a.json".to_string(),
                br#"{"id":"GO-1","aliases":["CVE-2020-2"],"affected":[{"package":{"name":"m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#.to_vec(),
                Source::GoVulnDb,
            ),
            ("b.json".to_string(), b"{".to_vec(), Source::GoVulnDb),
            (
                "c.json".to_string(),
                br#"{"id":"CVE-2020-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N"}]}"#.to_vec(),
                Source::KubernetesOsv,
            ),
            (
                "d.json".to_string(),
                br#"{"id":"CVE-2020-3","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:N"}]}"#.to_vec(),
                Source::KubernetesOsv,
            ),
        ];
        let feeds = vec![(
            "feed.json".to_string(),
            br#"{"items":[{"id":"CVE-2020-2","content_text":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}, 3]}"#.to_vec(),
        )];
        let db = Database::from_sources(osv, feeds);
        let ids: Vec<&str> = db.advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["CVE-2020-1", "CVE-2020-2", "CVE-2020-3"]);
        let w: Vec<String> = db
            .warnings
            .iter()
            .map(|w| format!("{}:{}", w.file.display(), w.field.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(w, vec!["b.json:$", "feed.json:items[1]"]);
        assert_eq!(db.get("go-1").map(|a| a.id.as_str()), Some("CVE-2020-2"));
        assert_eq!(db.get(" cve-2020-2 ").map(|a| a.affected.len()), Some(1));
        assert!(db.get("GO-404").is_none());
        let sorted: Vec<(&str, Severity)> = db
            .sorted_by_severity()
            .into_iter()
            .map(|a| (a.id.as_str(), a.severity()))
            .collect();
        assert_eq!(
            sorted,
            vec![
                ("CVE-2020-2", Severity::Critical),
                ("CVE-2020-3", Severity::Medium),
                ("CVE-2020-1", Severity::Low)
            ]
        );
    }

    #[test]
    fn load_dir_reads_json_sorted() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("b.json"), b"{}")?;
        std::fs::write(dir.path().join("a.json"), b"[]")?;
        std::fs::write(dir.path().join("notes.txt"), b"x")?;
        std::fs::create_dir(dir.path().join("sub.json"))?;
        let files = Database::load_dir(dir.path(), Source::GoVulnDb)?;
        let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, vec!["a.json", "b.json"]);
        assert_eq!(files[1].1, b"{}".to_vec());
        assert!(Database::load_dir(&dir.path().join("missing"), Source::GoVulnDb).is_err());
        Ok(())
    }
}
