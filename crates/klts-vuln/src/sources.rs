//! Where the advisory database comes from: the embedded facts-only snapshot, plus whatever
//! `klts feed sync` downloaded into the feed cache (synced records are merged over the
//! snapshot by id, so a newer feed adds advisories and facts, and brings prose summaries that
//! the snapshot deliberately leaves out). Synced records are not trusted to fuse advisories
//! through their aliases (see [`crate::merge`]), and records over the limits of
//! [`crate::osv`] are skipped with a warning.

use crate::db::Database;
use crate::model::Source;
use crate::snapshot::Snapshot;
use klts_forge::fsutil::{atomic_write, sha256_hex};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Curated CVSS vectors for advisories whose sources carry none.
pub const CVSS_OVERRIDES: &str = include_str!("../data/cvss-overrides.json");

/// The official Kubernetes CVE feed (JSON Feed 1.1).
pub const OFFICIAL_FEED: &str =
    "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json";

/// The feed cache directory: `$KLTS_FEED_CACHE`, else `$XDG_CACHE_HOME/klts/feeds`, else
/// `~/.cache/klts/feeds`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("KLTS_FEED_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("klts/feeds");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache/klts/feeds")
}

/// What one synced URL holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedKind {
    /// A JSON Feed with `items` (the official Kubernetes feed).
    JsonFeed,
    /// One OSV record.
    OsvRecord,
    /// A JSON array of OSV records.
    OsvArray,
}

impl std::fmt::Display for FeedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FeedKind::JsonFeed => "JSON feed",
            FeedKind::OsvRecord => "OSV record",
            FeedKind::OsvArray => "OSV records",
        })
    }
}

/// The cache index: URL → file, kind, last sync.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FeedIndex {
    /// Entries by URL.
    pub feeds: BTreeMap<String, FeedEntry>,
}

/// One synced URL.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FeedEntry {
    /// File name in the cache directory.
    pub file: String,
    /// What it holds.
    pub kind: FeedKind,
    /// sha256 of the content.
    pub sha256: String,
    /// When it was last synced (seconds since the epoch).
    pub synced_at: u64,
    /// Which source its OSV records count as.
    pub source: Source,
}

/// The result of syncing one URL.
#[derive(Clone, Debug, Serialize)]
pub struct SyncResult {
    /// The URL.
    pub url: String,
    /// What it held, when it worked.
    pub kind: Option<FeedKind>,
    /// Bytes downloaded.
    pub bytes: usize,
    /// The error, when it did not work (the previous copy, if any, is kept).
    pub error: Option<String>,
}

fn classify(bytes: &[u8]) -> Result<FeedKind, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("items").is_some_and(|i| i.is_array()) {
        Ok(FeedKind::JsonFeed)
    } else if v.get("id").is_some() && (v.get("affected").is_some() || v.get("aliases").is_some()) {
        Ok(FeedKind::OsvRecord)
    } else if v
        .as_array()
        .is_some_and(|a| a.iter().all(|r| r.get("id").is_some()))
    {
        Ok(FeedKind::OsvArray)
    } else {
        Err("neither a JSON Feed (with items), an OSV record nor an array of OSV records".into())
    }
}

fn source_for(url: &str) -> Source {
    if url.contains("vuln.go.dev") || url.contains("vulndb") || url.contains("/GO-") {
        Source::GoVulnDb
    } else if url.contains("official-cve-feed") {
        Source::KubernetesFeed
    } else {
        Source::KubernetesOsv
    }
}

/// Download each URL into `cache` (atomically: a failed or invalid download keeps the previous
/// copy) and update the index, recording `now` (seconds since 1970, the caller's clock: this
/// crate never reads it) as each feed's sync time.
pub fn sync(urls: &[String], cache: &Path, now: u64) -> Result<Vec<SyncResult>, String> {
    let index_path = cache.join("index.json");
    let mut index: FeedIndex = std::fs::read(&index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(true)
        .user_agent(concat!("klts/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut out = Vec::new();
    for url in urls {
        let got = agent
            .get(url)
            .call()
            .map_err(|e| e.to_string())
            .and_then(|mut r| {
                r.body_mut()
                    .with_config()
                    .limit(256 * 1024 * 1024)
                    .read_to_vec()
                    .map_err(|e| e.to_string())
            });
        let result = got.and_then(|bytes| classify(&bytes).map(|k| (k, bytes)));
        match result {
            Ok((kind, bytes)) => {
                let file = format!("{}.json", &sha256_hex(url.as_bytes())[..24]);
                atomic_write(&cache.join(&file), &bytes)
                    .map_err(|e| format!("{}: {e}", cache.display()))?;
                index.feeds.insert(
                    url.clone(),
                    FeedEntry {
                        file,
                        kind,
                        sha256: sha256_hex(&bytes),
                        synced_at: now,
                        source: source_for(url),
                    },
                );
                out.push(SyncResult {
                    url: url.clone(),
                    kind: Some(kind),
                    bytes: bytes.len(),
                    error: None,
                });
            }
            Err(e) => out.push(SyncResult {
                url: url.clone(),
                kind: None,
                bytes: 0,
                error: Some(e),
            }),
        }
    }
    let text = serde_json::to_vec_pretty(&index).map_err(|e| e.to_string())?;
    atomic_write(&index_path, &text).map_err(|e| format!("{}: {e}", index_path.display()))?;
    Ok(out)
}

/// The synced feeds of `cache` (empty when never synced).
pub fn synced(cache: &Path) -> FeedIndex {
    std::fs::read(cache.join("index.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The directory of the program's own advisories in a workspace: OSV records, one per file.
pub const PROGRAM_ADVISORIES_DIR: &str = "advisories";

/// The database: the embedded snapshot, plus synced feeds from `cache` when given.
pub fn load(cache: Option<&Path>) -> Result<Database, String> {
    load_for_workspace(cache, None)
}

/// [`load`] plus the LTS program's own advisories of a workspace (`advisories/*.json`, OSV),
/// merged by the same rules as every other source ([`Source::Program`], a primary source: the
/// real KLTS fixed CVE-2019-11246 on 1.10–1.14, which the upstream feeds lack). A workspace
/// without the directory has none; a directory that cannot be read is an error.
pub fn load_for_workspace(
    cache: Option<&Path>,
    workspace: Option<&Path>,
) -> Result<Database, String> {
    let snap = Snapshot::embedded()?;
    let mut osv: Vec<(String, Vec<u8>, Source)> = snap
        .records
        .into_iter()
        .enumerate()
        .map(|(i, (source, bytes))| (format!("snapshot record {i}"), bytes, source))
        .collect();
    // Curated vectors for advisories whose sources carry none (data/cvss-overrides.json).
    if let Ok(serde_json::Value::Object(o)) =
        serde_json::from_str::<serde_json::Value>(CVSS_OVERRIDES)
    {
        for v in o
            .get("vectors")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let (Some(id), Some(vector)) = (
                v.get("id").and_then(|x| x.as_str()),
                v.get("cvss_v3").and_then(|x| x.as_str()),
            ) {
                let record = serde_json::json!({"id": id, "severity": [{"type": "CVSS_V3", "score": vector}]});
                osv.push((
                    format!("cvss-overrides.json {id}"),
                    record.to_string().into_bytes(),
                    Source::KubernetesOsv,
                ));
            }
        }
    }
    let feeds: Vec<(String, Vec<u8>)> = vec![("snapshot feed".into(), snap.feed)];
    // Synced records are kept apart: they may not fuse advisories through aliases.
    let mut synced_osv: Vec<(String, Vec<u8>, Source)> = Vec::new();
    let mut synced_feeds: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(cache) = cache {
        for (url, entry) in synced(cache).feeds {
            let Ok(bytes) = std::fs::read(cache.join(&entry.file)) else {
                tracing::warn!(%url, "synced feed file missing; run `klts feed sync`");
                continue;
            };
            match entry.kind {
                FeedKind::JsonFeed => synced_feeds.push((url, bytes)),
                FeedKind::OsvRecord => synced_osv.push((url, bytes, entry.source)),
                FeedKind::OsvArray => {
                    if let Ok(serde_json::Value::Array(items)) =
                        serde_json::from_slice::<serde_json::Value>(&bytes)
                    {
                        for (i, item) in items.iter().enumerate() {
                            synced_osv.push((
                                format!("{url}[{i}]"),
                                serde_json::to_vec(item).unwrap_or_default(),
                                entry.source,
                            ));
                        }
                    }
                }
            }
        }
    }
    // The program's own records are local input: like synced ones, they join an advisory only
    // through their own id or CVE, so a crafted alias cannot fuse distinct CVEs.
    if let Some(ws) = workspace {
        let dir = ws.join(PROGRAM_ADVISORIES_DIR);
        match Database::load_dir(&dir, Source::Program) {
            Ok(records) => synced_osv.extend(records.into_iter().map(|(name, bytes, source)| {
                (format!("{PROGRAM_ADVISORIES_DIR}/{name}"), bytes, source)
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: cannot be read: {e}", dir.display())),
        }
    }
    Ok(Database::with_synced(osv, feeds, synced_osv, synced_feeds))
}

#[cfg(test)]
mod sync_tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// The sync time recorded is the one passed in (the CLI's one read of the clock).
    #[test]
    fn sync_records_the_time_it_is_given() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).unwrap();
            let body = br#"[{"id":"GHSA-test-0001","affected":[]}]"#;
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            conn.write_all(body).unwrap();
        });
        let cache = tempfile::tempdir().unwrap();
        let url = format!("http://{addr}/osv.json");
        let results = sync(std::slice::from_ref(&url), cache.path(), 1_700_000_000).unwrap();
        server.join().unwrap();
        assert!(results[0].error.is_none(), "{:?}", results[0].error);
        assert_eq!(synced(cache.path()).feeds[&url].synced_at, 1_700_000_000);
    }
}
