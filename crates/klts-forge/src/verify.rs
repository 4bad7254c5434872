//! Verification: materialize releases, in dependency order and in parallel, and report.
//!
//! A release is materialized on top of its base release's result (or the upstream root tag),
//! so that shared prefixes are computed once per run and, through the step cache, once ever.
//! Releases are processed level by level (all releases based on a tag, then those based on
//! them, …); within a level, `jobs` workers run at once. A release whose patch is missing or
//! does not apply is reported and the others go on; releases based on it are reported as
//! `base-failed`.

use crate::engine::{Conflict, Engine, Step, StepResult};
use crate::lock::Lock;
use crate::patches::{FetchOptions, Origin, PatchStore, Via};
use crate::upstream::{needed_roots, Mirror, RELEASES_REF_PREFIX};
use crate::{ForgeError, Workspace};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// How to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Parallel workers (at least 1).
    pub jobs: usize,
    /// Never touch the network: no fetch, no download.
    pub offline: bool,
    /// Read the step cache (`false` recomputes every step; results are still written).
    pub use_cache: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            jobs: 1,
            offline: false,
            use_cache: true,
        }
    }
}

/// Outcome of one release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every patch applied.
    Ok,
    /// A patch did not apply.
    Conflict,
    /// A patch could not be obtained, or the root is missing, or the chain is broken.
    Error,
    /// The base release failed, so this one was not attempted.
    BaseFailed,
}

/// One file of a patch, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// URL or workspace path.
    pub source: String,
    /// sha256 of the bytes applied.
    pub sha256: String,
    /// Where the bytes came from.
    pub origin: Origin,
}

/// One patch of a release, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct PatchReport {
    /// The patch name.
    pub name: String,
    /// Catalog or convention.
    pub via: Via,
    /// Its files.
    pub files: Vec<FileReport>,
}

/// The report of one release.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseReport {
    /// Release name.
    pub release: String,
    /// Whether it was asked for (bases materialized along the way have `false`).
    pub requested: bool,
    /// `must:` in the manifest.
    pub must: bool,
    /// `base_release:` in the manifest.
    pub base: String,
    /// The upstream root of the chain.
    pub root: String,
    /// The commit of the root, when found.
    pub root_commit: Option<String>,
    /// The outcome.
    pub status: Status,
    /// The resulting commit (when `ok`).
    pub commit: Option<String>,
    /// The release's own patches.
    pub patches: Vec<PatchReport>,
    /// Steps served by the step cache.
    pub steps_cached: usize,
    /// Steps applied in this run.
    pub steps_applied: usize,
    /// Commits that needed the 3-way fallback.
    pub three_way: usize,
    /// Commits applied on a temporary index of only the touched paths (the fast path).
    pub fast_path: usize,
    /// Commits that needed a full temporary index (unusual paths, or a patch that does not
    /// apply directly).
    pub full_index: usize,
    /// The conflict, when `conflict`.
    pub conflict: Option<Conflict>,
    /// The error, when `error` or `base-failed`.
    pub error: Option<String>,
    /// Wall time spent on this release, in milliseconds.
    pub millis: u64,
}

/// Everything a verify run produced.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// One report per release materialized: the requested ones in the order asked, then the
    /// bases that were needed.
    pub releases: Vec<ReleaseReport>,
    /// Tags fetched because they were missing from the mirror.
    pub fetched: Vec<String>,
}

impl VerifyReport {
    /// Whether every requested release is `ok`.
    pub fn all_ok(&self) -> bool {
        self.releases
            .iter()
            .filter(|r| r.requested)
            .all(|r| r.status == Status::Ok)
    }
}

/// Resolve the requested names (empty = the `must` releases; `all` = every release).
pub fn select(ws: &Workspace, names: &[String], all: bool) -> Result<Vec<String>, ForgeError> {
    let m = &ws.manifest;
    if all {
        return Ok(m
            .releases
            .iter()
            .map(|r| r.name.value.clone())
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Vec::new(), dedup));
    }
    if names.is_empty() {
        return Ok(m
            .must_releases()
            .map(|r| r.name.value.clone())
            .fold(Vec::new(), dedup));
    }
    for n in names {
        if m.release(n).is_none() {
            return Err(ForgeError::unknown_release(m, n));
        }
    }
    Ok(names.iter().cloned().fold(Vec::new(), dedup))
}

fn dedup(mut acc: Vec<String>, s: String) -> Vec<String> {
    if !acc.contains(&s) {
        acc.push(s);
    }
    acc
}

/// The steps (patch files) of one release's own patches, and their report.
pub fn release_steps(
    ws: &Workspace,
    store: &PatchStore,
    release: &str,
) -> Result<(Vec<Step>, Vec<PatchReport>), String> {
    let r = ws
        .manifest
        .release(release)
        .ok_or_else(|| format!("unknown release `{release}`"))?;
    let mut steps = Vec::new();
    let mut reports = Vec::new();
    for name in &r.patches {
        let resolved = store
            .resolve(&ws.manifest, &name.value)
            .map_err(|e| format!("{}:{}: {e}", ws.manifest.path.display(), name.loc))?;
        let mut files = Vec::new();
        for f in &resolved.files {
            steps.push(Step {
                release: release.to_string(),
                patch: resolved.name.clone(),
                source: f.source.to_string(),
                bytes: f.bytes.clone(),
                sha256: f.sha256.clone(),
            });
            files.push(FileReport {
                source: f.source.to_string(),
                sha256: f.sha256.clone(),
                origin: f.origin.clone(),
            });
        }
        tracing::debug!(release, patch = %resolved.name, via = ?resolved.via, "patch resolved");
        reports.push(PatchReport {
            name: resolved.name,
            via: resolved.via,
            files,
        });
    }
    Ok((steps, reports))
}

/// Open the patch store of a workspace (lock file + download cache + mirror).
pub fn patch_store(
    ws: &Workspace,
    mirror: &Mirror,
    options: FetchOptions,
) -> Result<PatchStore, ForgeError> {
    let lock = Lock::load(&ws.lock_path())?;
    let git = mirror.exists().then(|| mirror.git.clone());
    Ok(PatchStore::new(&ws.root, &ws.cache_dir, lock, git, options))
}

/// Materialize `names` and report on each. `on_done` is called as each release finishes
/// (for progress bars), with the number of releases in the run.
pub fn verify(
    ws: &Workspace,
    names: &[String],
    options: &VerifyOptions,
    on_done: &(dyn Fn(&ReleaseReport, usize) + Sync),
) -> Result<VerifyReport, ForgeError> {
    let m = &ws.manifest;
    let mirror = Mirror::of(ws);
    crate::git::check_version()?;

    // The closure of the request over base chains, with each release's depth.
    let mut order: Vec<String> = Vec::new();
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut broken: HashMap<String, String> = HashMap::new();
    for name in names {
        match m.chain(name) {
            Ok(chain) => {
                for (d, r) in chain.releases.iter().enumerate() {
                    if depth.insert(r.name.value.clone(), d).is_none() {
                        order.push(r.name.value.clone());
                    }
                }
            }
            Err(e) => {
                broken.insert(name.clone(), e.to_string());
                order.push(name.clone());
            }
        }
    }
    let requested: BTreeSet<&String> = names.iter().collect();

    // Roots: fetch the missing ones unless offline.
    let roots: BTreeSet<String> = m
        .chain_index()
        .roots_of(order.iter().filter_map(|n| m.release(n)));
    let mut refs = mirror.refs()?;
    let mut fetched = Vec::new();
    if roots
        .iter()
        .any(|r| mirror.resolve_root(&refs, r).is_none())
    {
        // Fetch every root the manifest needs, not only the requested ones: the blobs of the
        // other lines are what the 3-way fallback uses for backports, and a release must
        // materialize the same whether it is verified alone or with the others.
        let missing: BTreeSet<String> = needed_roots(ws)
            .into_iter()
            .chain(roots.iter().cloned())
            .filter(|r| mirror.resolve_root(&refs, r).is_none())
            .collect();
        if options.offline {
            if !mirror.exists() {
                return Err(ForgeError::Upstream {
                    location: mirror.location.clone(),
                    message: "there is no mirror yet and --offline forbids fetching\n  help: run `klts fetch` once with access to the upstream".into(),
                });
            }
        } else {
            let report = mirror.fetch(&missing, false)?;
            fetched = report.fetched;
            refs = mirror.refs()?;
        }
    }
    mirror.ensure()?;

    let store = patch_store(
        ws,
        &mirror,
        FetchOptions {
            offline: options.offline,
            refresh: false,
        },
    )?;
    let jobs = options.jobs.max(1);
    let engines: Vec<Mutex<Engine>> = (0..jobs)
        .map(|_| Engine::new(&mirror.git, &ws.cache_dir, options.use_cache).map(Mutex::new))
        .collect::<Result<_, _>>()?;

    let results: Mutex<HashMap<String, ReleaseReport>> = Mutex::new(HashMap::new());
    let total = order.len();
    let max_depth = depth.values().copied().max().unwrap_or(0);
    for level in 0..=max_depth {
        let batch: Vec<&String> = order
            .iter()
            .filter(|n| depth.get(*n) == Some(&level) || (level == 0 && broken.contains_key(*n)))
            .collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for engine in &engines {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(name) = batch.get(i) else { break };
                    let started = Instant::now();
                    let mut report = {
                        let done = results.lock().map(|r| r.clone()).unwrap_or_default();
                        let mut engine = match engine.lock() {
                            Ok(e) => e,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                        one_release(
                            ws,
                            &mirror,
                            &refs,
                            &store,
                            &mut engine,
                            name,
                            &done,
                            broken.get(*name),
                        )
                    };
                    report.requested = requested.contains(name);
                    report.millis = started.elapsed().as_millis() as u64;
                    on_done(&report, total);
                    if let Ok(mut r) = results.lock() {
                        r.insert((*name).clone(), report);
                    }
                });
            }
        });
    }
    let mut results = results.into_inner().unwrap_or_default();

    // Keep every materialized release reachable (and inspectable) in the mirror.
    let mut updates = Vec::new();
    for r in results.values() {
        if let (Status::Ok, Some(commit)) = (r.status, &r.commit) {
            let full = format!("{RELEASES_REF_PREFIX}{}", r.release);
            if refs.get(&full) != Some(commit.as_str()) {
                updates.push((full, commit.clone()));
            }
        }
    }
    if !updates.is_empty() {
        mirror.git.update_refs(&updates).map_err(|e| {
            ForgeError::Other(format!(
                "cannot record release refs in the mirror: {}\n  help: if the step cache refers to objects that were removed, run `klts verify --no-cache`",
                match e.stderr() {
                    "" => e.to_string(),
                    stderr => stderr.to_string(),
                }
            ))
        })?;
    }
    let mut releases = Vec::new();
    for n in names.iter().chain(order.iter()) {
        if let Some(r) = results.remove(n) {
            releases.push(r);
        }
    }
    Ok(VerifyReport { releases, fetched })
}

#[allow(clippy::too_many_arguments)]
fn one_release(
    ws: &Workspace,
    mirror: &Mirror,
    refs: &crate::upstream::Refs,
    store: &PatchStore,
    engine: &mut Engine,
    name: &str,
    done: &HashMap<String, ReleaseReport>,
    broken: Option<&String>,
) -> ReleaseReport {
    let m = &ws.manifest;
    let release = m.release(name);
    let mut report = ReleaseReport {
        release: name.to_string(),
        requested: false,
        must: release.is_some_and(|r| r.must),
        base: release
            .map(|r| r.base_release.value.clone())
            .unwrap_or_default(),
        root: String::new(),
        root_commit: None,
        status: Status::Error,
        commit: None,
        patches: Vec::new(),
        steps_cached: 0,
        steps_applied: 0,
        three_way: 0,
        fast_path: 0,
        full_index: 0,
        conflict: None,
        error: None,
        millis: 0,
    };
    if let Some(why) = broken {
        report.error = Some(why.clone());
        return report;
    }
    let chain = match m.chain(name) {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.root = chain.root.clone();
    report.root_commit = mirror.resolve_root(refs, &chain.root);
    // The parent: the base release's result, or the root.
    let parent = if m.release(&report.base).is_some() {
        match done.get(&report.base) {
            Some(b) if b.status == Status::Ok => b.commit.clone(),
            Some(b) => {
                report.status = Status::BaseFailed;
                report.error = Some(format!(
                    "base release `{}` failed ({})",
                    b.release,
                    status_word(b.status)
                ));
                return report;
            }
            None => None,
        }
    } else {
        report.root_commit.clone()
    };
    let Some(parent) = parent else {
        report.error = Some(format!(
            "upstream has no tag `{}` (looked in {})\n  help: check base_release of the chain, or run `klts fetch`",
            chain.root, mirror.location
        ));
        return report;
    };
    let (steps, patches) = match release_steps(ws, store, name) {
        Ok(x) => x,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    report.patches = patches;
    let mut head = parent;
    let stats_before = engine.stats;
    let report_stats = |report: &mut ReleaseReport, engine: &Engine| {
        report.fast_path = engine.stats.fast - stats_before.fast;
        report.full_index = engine.stats.full_index - stats_before.full_index;
    };
    for step in &steps {
        let result = engine.apply(&head, step);
        report_stats(&mut report, engine);
        match result {
            Ok(StepResult::Applied {
                commit,
                cached,
                three_way,
            }) => {
                if cached {
                    report.steps_cached += 1;
                } else {
                    report.steps_applied += 1;
                }
                report.three_way += three_way;
                head = commit;
            }
            Ok(StepResult::Conflict(c)) => {
                report.status = Status::Conflict;
                report.conflict = Some(c);
                return report;
            }
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        }
    }
    report.status = Status::Ok;
    report.commit = Some(head);
    report
}

/// The word used for a status in tables.
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Conflict => "conflict",
        Status::Error => "error",
        Status::BaseFailed => "base-failed",
    }
}

/// The roots the manifest needs (re-exported for `klts fetch`).
pub fn roots(ws: &Workspace) -> BTreeSet<String> {
    needed_roots(ws)
}
