//! `klts fetch` and `klts lock`: bring sources into the cache, and pin downloads.

use crate::lock::Lock;
use crate::patches::{parse_change_url, FetchOptions, Origin};
use crate::upstream::{needed_roots, FetchReport, Mirror};
use crate::verify::patch_store;
use crate::{ForgeError, Workspace};
use klts_core::manifest::{PatchResolution, PatchSource};
use serde::Serialize;
use std::collections::BTreeSet;

/// URL sources used by some release (through the catalog), sorted.
pub fn used_urls(ws: &Workspace) -> BTreeSet<(String, String)> {
    let m = &ws.manifest;
    let mut out = BTreeSet::new();
    for r in &m.releases {
        for name in &r.patches {
            if let PatchResolution::Catalog(e) = m.resolve_patch(&name.value) {
                for s in &e.sources {
                    if let PatchSource::Url(u) = &s.value {
                        out.insert((u.clone(), e.name.value.clone()));
                    }
                }
            }
        }
    }
    out
}

/// One URL in a fetch or lock report.
#[derive(Clone, Debug, Serialize)]
pub struct UrlReport {
    /// The URL.
    pub url: String,
    /// The patch name using it.
    pub patch: String,
    /// sha256 of its content, when obtained.
    pub sha256: Option<String>,
    /// Where it came from, when obtained.
    pub origin: Option<Origin>,
    /// Why it could not be obtained.
    pub error: Option<String>,
}

/// What `klts fetch` did.
#[derive(Clone, Debug, Serialize)]
pub struct SyncReport {
    /// Whether this was an offline check (nothing fetched).
    pub offline: bool,
    /// Upstream tags.
    pub tags: FetchReport,
    /// URL patches.
    pub urls: Vec<UrlReport>,
}

impl SyncReport {
    /// Whether everything needed was obtained.
    pub fn complete(&self) -> bool {
        self.tags.missing.is_empty() && self.urls.iter().all(|u| u.error.is_none())
    }
}

/// Mirror the needed upstream tags (and the default branch when URLs name upstream changes,
/// unless `tags_only`), then download every URL patch into the cache (checked against pins).
///
/// With `offline`, nothing is fetched or downloaded: the report says which tags the mirror
/// lacks and which URLs cannot be resolved from the cache or the mirror.
pub fn fetch(ws: &Workspace, tags_only: bool, offline: bool) -> Result<SyncReport, ForgeError> {
    let mirror = Mirror::of(ws);
    let urls = used_urls(ws);
    let head = !tags_only && urls.iter().any(|(u, _)| parse_change_url(u).is_some());
    let tags = if offline {
        let refs = mirror.refs()?;
        let mut report = FetchReport::default();
        for root in needed_roots(ws) {
            if mirror.resolve_root(&refs, &root).is_some() {
                report.present.push(root);
            } else {
                report.missing.push(root);
            }
        }
        report
    } else {
        mirror.fetch(&needed_roots(ws), head)?
    };
    let store = patch_store(
        ws,
        &mirror,
        FetchOptions {
            offline,
            refresh: false,
        },
    )?;
    let urls = urls
        .into_iter()
        .map(
            |(url, patch)| match store.get(&patch, &PatchSource::Url(url.clone())) {
                Ok(f) => UrlReport {
                    url,
                    patch,
                    sha256: Some(f.sha256),
                    origin: Some(f.origin),
                    error: None,
                },
                Err(e) => UrlReport {
                    url,
                    patch,
                    sha256: None,
                    origin: None,
                    error: Some(e.to_string()),
                },
            },
        )
        .collect();
    Ok(SyncReport {
        offline,
        tags,
        urls,
    })
}

/// What `klts lock` did.
#[derive(Clone, Debug, Serialize)]
pub struct LockReport {
    /// Every used URL, with its pin.
    pub urls: Vec<UrlReport>,
    /// Pins added.
    pub added: usize,
    /// Pins changed (only with `update`).
    pub changed: usize,
    /// Pins removed because nothing uses them.
    pub removed: usize,
    /// URLs obtained only from the upstream mirror (not pinned; trusted by commit id).
    pub unpinned: usize,
    /// Whether the lock file was written.
    pub written: bool,
}

/// Pin every used URL. Existing pins are kept (and their content checked) unless `update`;
/// unused pins are dropped. The lock file is written only when every URL was obtained, so a
/// failed run changes nothing.
pub fn lock(ws: &Workspace, update: bool, offline: bool) -> Result<LockReport, ForgeError> {
    let mirror = Mirror::of(ws);
    let old = Lock::load(&ws.lock_path())?;
    let store = patch_store(
        ws,
        &mirror,
        FetchOptions {
            offline,
            refresh: update,
        },
    )?;
    let mut new = Lock::default();
    let mut report = LockReport {
        urls: Vec::new(),
        added: 0,
        changed: 0,
        removed: 0,
        unpinned: 0,
        written: false,
    };
    for (url, patch) in used_urls(ws) {
        match store.get(&patch, &PatchSource::Url(url.clone())) {
            Ok(f)
                if matches!(
                    f.origin,
                    Origin::UpstreamCommit { .. } | Origin::UpstreamPull { .. }
                ) =>
            {
                // Bytes klts produced from the mirror are identified by the upstream commit,
                // not by a pin: a pin of them would refuse GitHub's own rendering of the same
                // commits later. An existing pin (from a real download) is kept.
                if let Some(p) = old.pins.get(&url) {
                    new.pins.insert(url.clone(), p.clone());
                }
                report.unpinned += 1;
                report.urls.push(UrlReport {
                    url,
                    patch,
                    sha256: Some(f.sha256),
                    origin: Some(f.origin),
                    error: None,
                });
            }
            Ok(f) => {
                match old.pins.get(&url) {
                    None => report.added += 1,
                    Some(p) if *p != f.sha256 => report.changed += 1,
                    Some(_) => {}
                }
                new.pins.insert(url.clone(), f.sha256.clone());
                report.urls.push(UrlReport {
                    url,
                    patch,
                    sha256: Some(f.sha256),
                    origin: Some(f.origin),
                    error: None,
                });
            }
            Err(e) => report.urls.push(UrlReport {
                url,
                patch,
                sha256: None,
                origin: None,
                error: Some(e.to_string()),
            }),
        }
    }
    report.removed = old
        .pins
        .keys()
        .filter(|u| !new.pins.contains_key(*u))
        .count();
    if report.urls.iter().all(|u| u.error.is_none()) && (new != old || !ws.lock_path().exists()) {
        new.save(&ws.lock_path())?;
        report.written = true;
    }
    Ok(report)
}
