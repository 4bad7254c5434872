//! Patch sources: from a patch name to the bytes of each of its files.
//!
//! Resolution of a name follows the KLTS convention: the `patches:` catalog first, then
//! `patches/<name>.patch` in the workspace. Each source of a catalog entry is then obtained:
//!
//! * a workspace path is read from the workspace;
//! * an `http(s)` URL is read from the content-addressed download cache when its pin (from
//!   `klts.lock`) or its last download is there; otherwise it is downloaded once (unless
//!   offline) and, when pinned, **refused** if the bytes differ from the pin;
//! * when the URL cannot be downloaded (offline, or the network fails) and it names a change the
//!   upstream mirror has — `…/commit/<sha>.patch` or `…/pull/<N>.patch` — the patch is produced
//!   from the mirror with `git format-patch` (the commit, or the second-parent range of the
//!   merge of pull request N). Such bytes are identified by the upstream commit id rather than
//!   by the pin, which covers GitHub's rendering of the same commits.

use crate::fsutil::{atomic_write, sha256_hex};
use crate::git::Git;
use crate::lock::Lock;
use klts_core::manifest::{PatchResolution, PatchSource};
use klts_core::Manifest;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest patch file klts reads or downloads: 64 MiB. A Kubernetes PR patch is a few MB
/// at most; the bytes of every patch of a run are held in memory while releases materialize.
pub const MAX_PATCH_BYTES: u64 = 64 * 1024 * 1024;

/// Where the bytes of a patch file came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// A file of the workspace.
    Workspace {
        /// Workspace-relative path.
        path: PathBuf,
    },
    /// The download cache.
    Cache,
    /// Downloaded in this run.
    Download,
    /// Produced from an upstream commit (`…/commit/<sha>.patch`).
    UpstreamCommit {
        /// The commit.
        commit: String,
    },
    /// Produced from the merge of a pull request (`…/pull/<N>.patch`).
    UpstreamPull {
        /// The pull request number.
        number: u64,
        /// The merge commit found in the mirror.
        merge: String,
    },
}

/// The bytes of one patch file.
#[derive(Clone, Debug)]
pub struct PatchFile {
    /// Where the manifest says it comes from.
    pub source: PatchSource,
    /// Its content.
    pub bytes: Arc<[u8]>,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// How it was obtained.
    pub origin: Origin,
}

/// How a patch name was resolved, for `--verbose` and JSON reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// Through the `patches:` catalog.
    Catalog,
    /// By the `patches/<name>.patch` convention.
    Convention,
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Via::Catalog => "the catalog",
            Via::Convention => "the patches/<name>.patch convention",
        })
    }
}

/// A patch name with all its files.
#[derive(Clone, Debug)]
pub struct ResolvedPatch {
    /// The name used in the release.
    pub name: String,
    /// How the name resolved.
    pub via: Via,
    /// The files, in application order.
    pub files: Vec<PatchFile>,
}

/// Why a patch could not be obtained.
#[derive(Clone, Debug, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PatchError {
    /// The name is in neither the catalog nor `patches/`.
    #[error("patch `{name}` is neither in the `patches:` catalog nor a file {looked_for}\n  help: add a catalog entry or the file; `klts lint` lists all such problems")]
    Unknown {
        /// The name.
        name: String,
        /// The conventional path looked for.
        looked_for: String,
    },
    /// A workspace file is missing or unreadable.
    #[error("patch `{name}`: cannot read {path}: {reason}\n  help: restore the file or fix the path in releases.yml")]
    File {
        /// The patch name.
        name: String,
        /// The path.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A workspace patch file is larger than [`MAX_PATCH_BYTES`].
    #[error("patch `{name}`: {path} is {size} bytes, over the limit of {limit} bytes for a patch file\n  help: split it into several patch files, or check that it is the right file")]
    TooLarge {
        /// The patch name.
        name: String,
        /// The path.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A download did not match its pin.
    #[error("{url}: content does not match its pin in klts.lock\n  pinned sha256: {pinned}\n  got sha256:    {got}\n  help: if the change is legitimate, review it and run `klts lock --update`")]
    Tampered {
        /// The URL.
        url: String,
        /// The pinned hash.
        pinned: String,
        /// The hash of what was received.
        got: String,
    },
    /// A download failed and no offline resolution was possible.
    #[error("{url}: download failed: {reason}{fallback}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
        /// What else was tried.
        fallback: String,
    },
    /// Offline, not cached, and not producible from the mirror.
    #[error("{url}: not available offline: not in the download cache and {why}\n  help: run `klts fetch` (or `klts lock`) once with network access")]
    Offline {
        /// The URL.
        url: String,
        /// Why the mirror could not produce it.
        why: String,
    },
    /// The download cache holds bytes that do not match their own name.
    #[error("{path}: download cache entry is corrupt (sha256 {got})\n  help: delete it; it is downloaded again on the next run")]
    CacheCorrupt {
        /// The cache file.
        path: String,
        /// Its actual hash.
        got: String,
    },
}

/// Options for obtaining patches.
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// Never touch the network.
    pub offline: bool,
    /// Ignore pins and cached downloads (used by `klts lock --update`).
    pub refresh: bool,
}

/// Obtains patch bytes; memoizes per source so that each file is read or downloaded once
/// per run, whatever the number of releases using it.
pub struct PatchStore {
    workspace: PathBuf,
    downloads: PathBuf,
    lock: Lock,
    mirror: Option<Git>,
    options: FetchOptions,
    agent: ureq::Agent,
    memo: Mutex<HashMap<PatchSource, Result<PatchFile, PatchError>>>,
}

impl PatchStore {
    /// A store for `workspace` with its download cache in `cache_dir/downloads`.
    pub fn new(
        workspace: &Path,
        cache_dir: &Path,
        lock: Lock,
        mirror: Option<Git>,
        options: FetchOptions,
    ) -> PatchStore {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(true)
            .user_agent(concat!("klts/", env!("CARGO_PKG_VERSION")))
            .build();
        PatchStore {
            workspace: workspace.to_path_buf(),
            downloads: cache_dir.join("downloads"),
            lock,
            mirror,
            options,
            agent: config.into(),
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// The lock this store checks against.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// Resolve a patch name and obtain all its files.
    pub fn resolve(&self, manifest: &Manifest, name: &str) -> Result<ResolvedPatch, PatchError> {
        let (via, sources) = match manifest.resolve_patch(name) {
            PatchResolution::Catalog(e) => (
                Via::Catalog,
                e.sources
                    .iter()
                    .map(|s| s.value.clone())
                    .collect::<Vec<_>>(),
            ),
            PatchResolution::Convention(path) => (Via::Convention, vec![PatchSource::File(path)]),
            PatchResolution::Missing { looked_for } => {
                return Err(PatchError::Unknown {
                    name: name.to_string(),
                    looked_for: looked_for.display().to_string(),
                })
            }
        };
        tracing::debug!(patch = name, via = ?via, "resolved patch name");
        let files = sources
            .iter()
            .map(|s| self.get(name, s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ResolvedPatch {
            name: name.to_string(),
            via,
            files,
        })
    }

    /// Obtain one source (memoized).
    pub fn get(&self, name: &str, source: &PatchSource) -> Result<PatchFile, PatchError> {
        if let Some(hit) = self.memo.lock().ok().and_then(|m| m.get(source).cloned()) {
            return hit;
        }
        let result = match source {
            PatchSource::File(path) => self.read_file(name, path),
            PatchSource::Url(url) => self.get_url(url),
        };
        if let Ok(mut m) = self.memo.lock() {
            m.insert(source.clone(), result.clone());
        }
        result
    }

    fn read_file(&self, name: &str, path: &Path) -> Result<PatchFile, PatchError> {
        let unreadable = |e: std::io::Error| PatchError::File {
            name: name.to_string(),
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        // The one containment rule (klts-core): no path or symlink may leave the workspace.
        let full = klts_core::manifest::workspace_file(&self.workspace, path).map_err(|e| {
            PatchError::File {
                name: name.to_string(),
                path: path.display().to_string(),
                reason: match e {
                    klts_core::manifest::WorkspacePathError::Io { source, .. } => {
                        source.to_string()
                    }
                    other => other.to_string(),
                },
            }
        })?;
        let too_large = |size| PatchError::TooLarge {
            name: name.to_string(),
            path: path.display().to_string(),
            size,
            limit: MAX_PATCH_BYTES,
        };
        let file = std::fs::File::open(&full).map_err(unreadable)?;
        if let Ok(meta) = file.metadata() {
            if meta.len() > MAX_PATCH_BYTES {
                return Err(too_large(meta.len()));
            }
        }
        // Never read more than the limit, even from a file that grows or is not regular.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_PATCH_BYTES + 1),
            &mut bytes,
        )
        .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_PATCH_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        Ok(PatchFile {
            source: PatchSource::File(path.to_path_buf()),
            sha256: sha256_hex(&bytes),
            bytes: bytes.into(),
            origin: Origin::Workspace {
                path: path.to_path_buf(),
            },
        })
    }

    fn cache_path(&self, sha: &str) -> PathBuf {
        self.downloads.join("sha256").join(sha)
    }

    fn url_index_path(&self, url: &str) -> PathBuf {
        self.downloads
            .join("by-url")
            .join(sha256_hex(url.as_bytes()))
    }

    fn read_cached(&self, sha: &str) -> Result<Option<Vec<u8>>, PatchError> {
        let path = self.cache_path(sha);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let got = sha256_hex(&bytes);
                if got != sha {
                    return Err(PatchError::CacheCorrupt {
                        path: path.display().to_string(),
                        got,
                    });
                }
                Ok(Some(bytes))
            }
            Err(_) => Ok(None),
        }
    }

    fn get_url(&self, url: &str) -> Result<PatchFile, PatchError> {
        let pin = self.lock.pins.get(url).cloned();
        let file = |bytes: Vec<u8>, origin| PatchFile {
            source: PatchSource::Url(url.to_string()),
            sha256: sha256_hex(&bytes),
            bytes: bytes.into(),
            origin,
        };
        if !self.options.refresh {
            // 1. The content-addressed cache, by pin or by the last download of this URL.
            let known = pin.clone().or_else(|| {
                std::fs::read_to_string(self.url_index_path(url))
                    .ok()
                    .map(|s| s.trim().to_string())
            });
            if let Some(sha) = known {
                if let Some(bytes) = self.read_cached(&sha)? {
                    tracing::debug!(url, "patch from download cache");
                    return Ok(file(bytes, Origin::Cache));
                }
            }
        }
        // 2. The network.
        let download_error = if self.options.offline {
            None
        } else {
            match self.download(url) {
                Ok(bytes) => {
                    let got = sha256_hex(&bytes);
                    if let Some(pinned) = pin.filter(|_| !self.options.refresh) {
                        if pinned != got {
                            return Err(PatchError::Tampered {
                                url: url.to_string(),
                                pinned,
                                got,
                            });
                        }
                    }
                    self.store(url, &bytes, &got);
                    tracing::info!(url, sha256 = %got, "downloaded patch");
                    return Ok(file(bytes, Origin::Download));
                }
                Err(reason) => Some(reason),
            }
        };
        // 3. The upstream mirror.
        match self.produce_from_upstream(url) {
            Ok((bytes, origin)) => {
                tracing::info!(url, ?origin, "patch produced from the upstream mirror");
                // Keep the bytes by content so that a pin made from them (`klts lock
                // --offline`) is found in the cache later, online or not.
                let _ = atomic_write(&self.cache_path(&sha256_hex(&bytes)), &bytes);
                Ok(file(bytes, origin))
            }
            Err(why) => match download_error {
                Some(reason) => Err(PatchError::Download {
                    url: url.to_string(),
                    reason,
                    fallback: format!("; the upstream mirror cannot produce it either: {why}"),
                }),
                None => Err(PatchError::Offline {
                    url: url.to_string(),
                    why,
                }),
            },
        }
    }

    fn store(&self, url: &str, bytes: &[u8], sha: &str) {
        // A cache write failure only costs a later re-download; it must not fail the run.
        if let Err(e) = atomic_write(&self.cache_path(sha), bytes)
            .and_then(|_| atomic_write(&self.url_index_path(url), format!("{sha}\n").as_bytes()))
        {
            tracing::warn!(url, error = %e, "cannot write download cache");
        }
    }

    fn download(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self.agent.get(url).call().map_err(|e| e.to_string())?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_PATCH_BYTES)
            .read_to_vec()
            .map_err(|e| e.to_string())
    }

    /// Produce `url`'s patch from the mirror, if it names a commit or a pull request.
    fn produce_from_upstream(&self, url: &str) -> Result<(Vec<u8>, Origin), String> {
        let Some(git) = &self.mirror else {
            return Err("there is no upstream mirror yet (run `klts fetch`)".into());
        };
        match parse_change_url(url) {
            Some(ChangeRef::Commit(sha)) => {
                let commit = git
                    .text(["rev-parse", "--verify", "--quiet", &format!("{sha}^{{commit}}")])
                    .map_err(|_| format!("the mirror has no commit {sha}"))?;
                let out = git
                    .run(["format-patch", "-1", "--stdout", "--no-signature", "--binary", &commit])
                    .map_err(|e| e.to_string())?;
                Ok((out.stdout, Origin::UpstreamCommit { commit }))
            }
            Some(ChangeRef::Pull(number)) => {
                let merges = crate::upstream::pull_request_merges(git, &[number])
                    .map_err(|e| e.to_string())?;
                let Some(pull) = merges.get(&number) else {
                    return Err(format!("the mirror has no merge of pull request #{number} (fetch the branch it was merged into)"));
                };
                let out = git
                    .run(["format-patch", "--stdout", "--no-signature", "--binary", &pull.range()])
                    .map_err(|e| e.to_string())?;
                Ok((
                    out.stdout,
                    Origin::UpstreamPull {
                        number,
                        merge: pull.merge.clone(),
                    },
                ))
            }
            None => Err("the URL names neither a commit (…/commit/<sha>.patch) nor a pull request (…/pull/<N>.patch)".into()),
        }
    }
}

/// The merge commit of pull request `number` in the mirror (GitHub's `Merge pull request #N
/// from …` message), if the mirror has it: [`crate::upstream::pull_request_merges`] for one
/// number (that function owns the rule; this is the one-PR convenience `klts backport` uses).
pub fn pull_request_merge(git: &Git, number: u64) -> Result<Option<String>, crate::git::GitError> {
    Ok(crate::upstream::pull_request_merges(git, &[number])?
        .remove(&number)
        .map(|p| p.merge))
}

/// A change an upstream URL refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeRef {
    /// `…/commit/<sha>.patch`
    Commit(String),
    /// `…/pull/<N>.patch`
    Pull(u64),
}

/// Recognize GitHub-style `…/commit/<sha>.patch` and `…/pull/<N>.patch` URLs.
pub fn parse_change_url(url: &str) -> Option<ChangeRef> {
    let path = url.split(['?', '#']).next()?;
    let stem = path.strip_suffix(".patch")?;
    let (head, last) = stem.rsplit_once('/')?;
    let kind = head.rsplit('/').next()?;
    match kind {
        "commit"
            if (7..=64).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Some(ChangeRef::Commit(last.to_ascii_lowercase()))
        }
        "pull" => last.parse().ok().map(ChangeRef::Pull),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A patch file over the limit is refused before it is read, with a message naming it.
    #[test]
    fn oversized_patch_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("patches")).unwrap();
        let path = dir.path().join("patches/huge.patch");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_PATCH_BYTES + 1) // sparse: costs no disk
            .unwrap();
        std::fs::write(dir.path().join("patches/ok.patch"), b"From x").unwrap();
        let store = PatchStore::new(
            dir.path(),
            &dir.path().join(".klts"),
            Lock::default(),
            None,
            FetchOptions::default(),
        );
        let err = store
            .get("huge", &PatchSource::File("patches/huge.patch".into()))
            .unwrap_err();
        assert!(
            matches!(err, PatchError::TooLarge { size, .. } if size == MAX_PATCH_BYTES + 1),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("patches/huge.patch is 67108865 bytes, over the limit of 67108864 bytes"),
            "{err}"
        );
        let ok = store
            .get("ok", &PatchSource::File("patches/ok.patch".into()))
            .unwrap();
        assert_eq!(&ok.bytes[..], b"From x");
    }

    #[test]
    fn change_urls() {
        assert_eq!(
            parse_change_url("https://github.com/kubernetes/kubernetes/pull/101327.patch"),
            Some(ChangeRef::Pull(101327))
        );
        assert_eq!(
            parse_change_url("https://github.com/containerd/containerd/commit/8686ededfc90076914c5238eb96c883ea093a8ba.patch"),
            Some(ChangeRef::Commit("8686ededfc90076914c5238eb96c883ea093a8ba".into()))
        );
        assert_eq!(parse_change_url("https://example.com/x.patch"), None);
        assert_eq!(
            parse_change_url("https://github.com/a/b/pull/abc.patch"),
            None
        );
        assert_eq!(
            parse_change_url("https://github.com/a/b/commit/xyz.patch"),
            None
        );
    }

    proptest! {
        #[test]
        fn change_url_parser_never_panics(s in "\\PC{0,80}") {
            let _ = parse_change_url(&s);
        }

        #[test]
        fn pull_numbers_round_trip(n in any::<u64>()) {
            let url = format!("https://github.com/o/r/pull/{n}.patch");
            prop_assert_eq!(parse_change_url(&url), Some(ChangeRef::Pull(n)));
        }
    }
}
