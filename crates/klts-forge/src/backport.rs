//! The backport workbench: take an upstream fix to the newest release of each maintained line,
//! in memory, and write the result as patch files and new releases.
//!
//! This lives in `klts-forge` because it is engine work: the fix's commits come from the
//! upstream mirror, each line's newest release is materialized by [`crate::verify`] (cached),
//! and each commit is tried with [`Engine::try_apply`] — the same apply and `git am -3`
//! fallback as `klts verify`, without step-cache entries or refs. The CLI only parses arguments
//! and prints. The manifest edit itself belongs to `klts_core::edit` (one owner for "add a
//! release"); this module writes the files.
//!
//! **What a FIX is.** An upstream commit (`1a2b3c4…`; a merge commit means its pull request:
//! the second-parent range), a range `A..B` (merges left out), a pull request
//! (`https://github.com/o/r/pull/N`, `…/pull/N.patch`, `#N`: the second-parent range of its
//! `Merge pull request #N` commit), a `…/commit/<sha>.patch` URL (resolved from the mirror; no
//! network when the mirror has it), or a patch file (an mbox; a message whose `From <sha>` line
//! names a commit the mirror has is treated as that commit). A commit the mirror lacks makes
//! klts fetch the upstream default branch once (unless offline).
//!
//! **Statuses, per line and per commit.** `already-present`: the commit is in the line's
//! history, or a commit with the same `git patch-id --stable` is among the commits of the line
//! that the fix's own history lacks (the release branch since it forked, and the release
//! chain), or applying it changes nothing. `not-applicable`: none of the files it modifies or
//! deletes exists there. Otherwise `clean`, `3-way` or `conflict` (with the paths); commits after
//! a conflict are `not-tried`. A line's status is its worst commit's.
//!
//! **Bookkeeping.** In a fix of several commits, a commit that only touches release
//! bookkeeping files (changelogs, release notes, version files; see [`is_bookkeeping`]) is left
//! out and reported with a note; `--skip` leaves out others.
//!
//! **Writing.** For each line where something applied, `patches/<NAME>.<line>.patch` holds the
//! applied commits in `git format-patch` form, as they apply onto the line's release, each
//! message ending with `(cherry picked from commit <sha>)` (as `git cherry-pick -x` writes it),
//! and a release `vX.Y.Z-lts.N+1` on top of the previous newest release of the line is added to
//! `releases.yml`. Everything is computed and checked first (names, existing files, the
//! re-parsed manifest); then the patch files and, last, the manifest are written atomically.
//! If a write fails, the patch files written so far are removed.

use crate::engine::{Engine, Step, StepResult};
use crate::fsutil::{atomic_write, sha256_hex};
use crate::git::{is_object_id, Git};
use crate::upstream::{Mirror, UPSTREAM_HEAD_REF};
use crate::verify::{verify, Status, VerifyOptions};
use crate::{ForgeError, Workspace};
use klts_core::edit::{self, NewRelease};
use klts_core::names::{self, NameKind};
use klts_core::MinorLine;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// What the user asked to backport, before it is looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixSpec {
    /// A commit id (abbreviated or full).
    Commit(String),
    /// `A..B`.
    Range(String, String),
    /// A pull request number.
    Pull(u64),
    /// A patch file.
    File(PathBuf),
}

impl FixSpec {
    /// Recognise FIX. A path that exists is a patch file; anything unrecognised is an error
    /// that says what FIX may be.
    pub fn parse(fix: &str) -> Result<FixSpec, ForgeError> {
        let fix = fix.trim();
        let bad = |why: &str| {
            ForgeError::Other(format!(
                "FIX `{}` {why}\n  help: give an upstream commit id, a range A..B, a pull request (https://github.com/OWNER/REPO/pull/N or #N), a …/commit/<sha>.patch URL, or a patch file",
                names::printable(fix, 120)
            ))
        };
        if fix.contains("://") {
            let url = fix
                .split(['?', '#'])
                .next()
                .unwrap_or(fix)
                .trim_end_matches('/');
            let url = url
                .strip_suffix("/commits")
                .or_else(|| url.strip_suffix("/files"))
                .unwrap_or(url);
            let as_patch = if url.ends_with(".patch") {
                url.to_string()
            } else {
                format!("{}.patch", url.trim_end_matches(".diff"))
            };
            return match crate::patches::parse_change_url(&as_patch) {
                Some(crate::patches::ChangeRef::Commit(sha)) => Ok(FixSpec::Commit(sha)),
                Some(crate::patches::ChangeRef::Pull(n)) => Ok(FixSpec::Pull(n)),
                None => Err(bad(
                    "is a URL that names neither a commit nor a pull request",
                )),
            };
        }
        if let Some(n) = fix.strip_prefix('#') {
            return n
                .parse()
                .map(FixSpec::Pull)
                .map_err(|_| bad("is not a pull request number"));
        }
        let is_rev =
            |s: &str| (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some((a, b)) = fix.split_once("..") {
            if is_rev(a) && is_rev(b) {
                return Ok(FixSpec::Range(
                    a.to_ascii_lowercase(),
                    b.to_ascii_lowercase(),
                ));
            }
        }
        if Path::new(fix).is_file() {
            return Ok(FixSpec::File(PathBuf::from(fix)));
        }
        if is_rev(fix) && fix.len() >= 7 {
            return Ok(FixSpec::Commit(fix.to_ascii_lowercase()));
        }
        Err(bad(
            "is neither a commit id, a range, a pull request nor an existing patch file",
        ))
    }
}

/// Options of a backport run.
#[derive(Clone, Debug, Default)]
pub struct BackportOptions {
    /// The lines to try (`None`: the lines of the `must` releases).
    pub lines: Option<Vec<MinorLine>>,
    /// Every line of the manifest.
    pub all: bool,
    /// Commits to leave out (ids or prefixes of at least 7 digits).
    pub skip: Vec<String>,
    /// Never touch the network.
    pub offline: bool,
}

/// One commit of the fix.
#[derive(Clone, Debug, Serialize)]
pub struct FixCommit {
    /// The upstream commit, when known.
    pub commit: Option<String>,
    /// Its subject.
    pub subject: String,
    /// The files it touches.
    pub paths: Vec<String>,
    /// `git patch-id --stable`.
    pub patch_id: Option<String>,
    #[serde(skip)]
    old_paths: Vec<String>,
    #[serde(skip)]
    pub(crate) mbox: Vec<u8>,
}

/// A commit of the fix that is not backported, and why.
#[derive(Clone, Debug, Serialize)]
pub struct LeftOut {
    /// The commit.
    pub commit: Option<String>,
    /// Its subject.
    pub subject: String,
    /// Why it is left out.
    pub reason: String,
}

/// The outcome of one commit on one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitStatus {
    /// None of the files it modifies exists on the line.
    NotApplicable,
    /// Already in the line's history (or its patch-id is).
    AlreadyPresent,
    /// Applied directly.
    Clean,
    /// Applied with the 3-way fallback.
    #[serde(rename = "3-way")]
    ThreeWay,
    /// Not tried: an earlier commit conflicted.
    NotTried,
    /// Did not apply.
    Conflict,
}

impl CommitStatus {
    /// The word used in tables and JSON.
    pub fn word(self) -> &'static str {
        match self {
            CommitStatus::NotApplicable => "not applicable",
            CommitStatus::AlreadyPresent => "already present",
            CommitStatus::Clean => "clean",
            CommitStatus::ThreeWay => "3-way",
            CommitStatus::NotTried => "not tried",
            CommitStatus::Conflict => "conflict",
        }
    }
}

/// One commit on one line.
#[derive(Clone, Debug, Serialize)]
pub struct CommitOutcome {
    /// The upstream commit, when known.
    pub commit: Option<String>,
    /// Its subject.
    pub subject: String,
    /// The outcome.
    pub status: CommitStatus,
    /// Conflicting paths (conflict), or the evidence (already present: `in history`,
    /// `patch-id of <commit>`, `no change`).
    pub detail: Vec<String>,
    /// The hunks that did not apply directly, as `path:line` (conflict).
    pub hunks: Vec<String>,
    /// The commit it became on the line (clean, 3-way).
    pub applied_as: Option<String>,
}

/// One line.
#[derive(Clone, Debug, Serialize)]
pub struct LineOutcome {
    /// The line (`1.17`).
    pub line: String,
    /// Its newest release, which the fix was tried on.
    pub release: String,
    /// That release's commit, when it materialized.
    pub release_commit: Option<String>,
    /// The worst commit status (`None` when the release did not materialize).
    pub status: Option<CommitStatus>,
    /// Per commit.
    pub commits: Vec<CommitOutcome>,
    /// Why the line could not be tried.
    pub error: Option<String>,
}

impl LineOutcome {
    /// The last commit applied, when something applied.
    pub fn head(&self) -> Option<&str> {
        self.commits
            .iter()
            .rev()
            .find_map(|c| c.applied_as.as_deref())
    }
}

/// Everything a backport run found.
#[derive(Clone, Debug, Serialize)]
pub struct BackportReport {
    /// FIX as given.
    pub fix: String,
    /// The pull request, when FIX is one.
    pub pull_request: Option<u64>,
    /// The commits tried, in order.
    pub commits: Vec<FixCommit>,
    /// Commits left out (bookkeeping, --skip).
    pub left_out: Vec<LeftOut>,
    /// Per line, ascending.
    pub lines: Vec<LineOutcome>,
}

impl BackportReport {
    /// Whether some line conflicts or could not be tried.
    pub fn has_problems(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.error.is_some() || l.status == Some(CommitStatus::Conflict))
    }
}

/// Whether a path is upstream release bookkeeping: a changelog, release notes or a version
/// file. Such commits inside a pull request (a version bump, release notes) are not fixes.
pub fn is_bookkeeping(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    lower.split('/').any(|c| c == "changelog")
        || base.starts_with("changelog")
        || base.starts_with("release_notes")
        || base.starts_with("release-notes")
        || base.starts_with("releasenotes")
        || base == "releases.md"
        || (lower.starts_with("releases/") && base.ends_with(".toml"))
        || matches!(base, "version" | "version.txt" | "version.go")
}

/// The lines to try: those given, every line (`all`), or those of the `must` releases; each
/// with its newest release. A line given that has no release is an error.
pub fn target_lines(
    ws: &Workspace,
    options: &BackportOptions,
) -> Result<Vec<(MinorLine, String)>, ForgeError> {
    let m = &ws.manifest;
    let lines = match &options.lines {
        Some(given) => given.clone(),
        None => edit::lines(m, !options.all),
    };
    if lines.is_empty() {
        return Err(ForgeError::Other(
            "no line to backport to: no release has `must: true`\n  help: name lines with --lines 1.16,1.17 or use --all".into(),
        ));
    }
    let mut out = Vec::new();
    for line in lines {
        let (r, _) = edit::newest_release(m, line).ok_or_else(|| {
            ForgeError::Other(format!(
                "line {line} has no release in {}\n  help: `klts releases` lists the lines; add a first release of the line by hand",
                m.path.display()
            ))
        })?;
        if !out.iter().any(|(l, _)| *l == line) {
            out.push((line, r.name.value.clone()));
        }
    }
    out.sort();
    Ok(out)
}

/// Try FIX on the newest release of each line.
pub fn backport(
    ws: &Workspace,
    fix: &str,
    options: &BackportOptions,
) -> Result<BackportReport, ForgeError> {
    crate::git::check_version()?;
    let spec = FixSpec::parse(fix)?;
    let targets = target_lines(ws, options)?;
    for s in &options.skip {
        if !(7..=64).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ForgeError::Other(format!(
                "--skip {}: not a commit id (7 to 64 hexadecimal digits)",
                names::printable(s, 80)
            )));
        }
    }
    // Materialize the releases first: it creates the mirror and fetches the roots if needed.
    let names: Vec<String> = targets.iter().map(|(_, r)| r.clone()).collect();
    let verified = verify(
        ws,
        &names,
        &VerifyOptions {
            jobs: 1,
            offline: options.offline,
            use_cache: true,
        },
        &|_, _| {},
    )?;
    let mirror = Mirror::of(ws);
    let (pull_request, mut commits) = resolve_fix(&mirror, &spec, fix, options.offline)?;
    let mut left_out = Vec::new();
    let several = commits.len() > 1;
    let mut used_skips = HashSet::new();
    commits.retain(|c| {
        if let Some(s) = options.skip.iter().find(|s| {
            c.commit
                .as_deref()
                .is_some_and(|id| id.starts_with(&s.to_ascii_lowercase()))
        }) {
            used_skips.insert(s.clone());
            left_out.push(LeftOut {
                commit: c.commit.clone(),
                subject: c.subject.clone(),
                reason: "--skip".into(),
            });
            return false;
        }
        if several && !c.paths.is_empty() && c.paths.iter().all(|p| is_bookkeeping(p)) {
            left_out.push(LeftOut {
                commit: c.commit.clone(),
                subject: c.subject.clone(),
                reason: format!("release bookkeeping: touches only {}", c.paths.join(", ")),
            });
            return false;
        }
        true
    });
    if let Some(s) = options.skip.iter().find(|s| !used_skips.contains(*s)) {
        return Err(ForgeError::Other(format!(
            "--skip {s}: no commit of the fix has that id\n  help: the fix's commits are listed by `klts backport FIX -o json`"
        )));
    }
    if commits.is_empty() {
        return Err(ForgeError::Other(format!(
            "FIX `{}` leaves nothing to backport ({} commit(s) left out)",
            names::printable(fix, 120),
            left_out.len()
        )));
    }
    let mut engine = Engine::new(&mirror.git, &ws.cache_dir, false)?;
    let mut lines = Vec::new();
    for (line, release) in &targets {
        let r = verified.releases.iter().find(|r| &r.release == release);
        let mut outcome = LineOutcome {
            line: line.to_string(),
            release: release.clone(),
            release_commit: None,
            status: None,
            commits: Vec::new(),
            error: None,
        };
        match r {
            Some(r) if r.status == Status::Ok => {
                outcome.release_commit = r.commit.clone();
            }
            Some(r) => {
                outcome.error = Some(format!(
                    "{release} does not materialize ({}){}\n  help: `klts verify {release}` shows why; fix the release first",
                    crate::verify::status_word(r.status),
                    r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ));
            }
            None => outcome.error = Some(format!("{release} was not materialized")),
        }
        if let Some(base) = outcome.release_commit.clone() {
            outcome.commits = try_line(&mirror.git, &mut engine, release, &base, &commits)?;
            outcome.status = outcome.commits.iter().map(|c| c.status).max();
        }
        lines.push(outcome);
    }
    Ok(BackportReport {
        fix: fix.to_string(),
        pull_request,
        commits,
        left_out,
        lines,
    })
}

fn try_line(
    git: &Git,
    engine: &mut Engine,
    release: &str,
    base: &str,
    commits: &[FixCommit],
) -> Result<Vec<CommitOutcome>, ForgeError> {
    let known: Vec<&str> = commits.iter().filter_map(|c| c.commit.as_deref()).collect();
    let present = line_patch_ids(git, base, &known)?;
    let mut head = base.to_string();
    let mut out = Vec::new();
    let mut stopped = false;
    for c in commits {
        let mut o = CommitOutcome {
            commit: c.commit.clone(),
            subject: c.subject.clone(),
            status: CommitStatus::NotTried,
            detail: Vec::new(),
            hunks: Vec::new(),
            applied_as: None,
        };
        if stopped {
            out.push(o);
            continue;
        }
        if let Some(id) = &c.commit {
            if git.run(["merge-base", "--is-ancestor", id, base]).is_ok() {
                o.status = CommitStatus::AlreadyPresent;
                o.detail.push("in the line's history".into());
                out.push(o);
                continue;
            }
        }
        if let Some(twin) = c.patch_id.as_ref().and_then(|p| present.get(p)) {
            o.status = CommitStatus::AlreadyPresent;
            o.detail.push(format!("same patch-id as {twin}"));
            out.push(o);
            continue;
        }
        if !c.old_paths.is_empty() && !any_path_exists(git, &head, &c.old_paths)? {
            o.status = CommitStatus::NotApplicable;
            o.detail
                .push(format!("none of {} exists", c.old_paths.join(", ")));
            out.push(o);
            continue;
        }
        let bytes = match &c.commit {
            Some(id) => with_trailer(&c.mbox, id),
            None => c.mbox.clone(),
        };
        let step = Step {
            release: release.to_string(),
            patch: "backport".into(),
            source: c.commit.clone().unwrap_or_else(|| c.subject.clone()),
            sha256: sha256_hex(&bytes),
            bytes: bytes.into(),
        };
        match engine.try_apply(&head, &step)? {
            StepResult::Applied {
                commit, three_way, ..
            } => {
                let tree = |c: &str| git.text(["rev-parse", &format!("{c}^{{tree}}")]);
                if tree(&commit)? == tree(&head)? {
                    o.status = CommitStatus::AlreadyPresent;
                    o.detail.push("applying it changes nothing".into());
                } else {
                    o.status = if three_way > 0 {
                        CommitStatus::ThreeWay
                    } else {
                        CommitStatus::Clean
                    };
                    o.applied_as = Some(commit.clone());
                    head = commit;
                }
            }
            StepResult::Conflict(conflict) => {
                o.status = CommitStatus::Conflict;
                o.detail = conflict.paths;
                o.hunks = conflict
                    .detail
                    .lines()
                    .filter_map(|l| l.strip_prefix("error: patch failed: "))
                    .map(str::to_string)
                    .collect();
                stopped = true;
            }
        }
        out.push(o);
    }
    Ok(out)
}

/// patch-id → commit, for the commits of the line at `base` that the fix's history lacks:
/// the release branch since it forked from the fix's branch, and the release chain. Without a
/// known fix commit, the commits not on the upstream default branch (or, without it, none).
fn line_patch_ids(
    git: &Git,
    base: &str,
    fix_commits: &[&str],
) -> Result<BTreeMap<String, String>, ForgeError> {
    let mut args: Vec<String> = vec![
        "log".into(),
        "-p".into(),
        "--no-merges".into(),
        "--no-color".into(),
        base.into(),
        "--not".into(),
    ];
    if fix_commits.is_empty() {
        if git
            .run(["rev-parse", "--verify", "--quiet", UPSTREAM_HEAD_REF])
            .is_err()
        {
            return Ok(BTreeMap::new());
        }
        args.push(UPSTREAM_HEAD_REF.into());
    } else {
        args.extend(fix_commits.iter().map(|c| c.to_string()));
    }
    let log = git.run(&args)?;
    if log.stdout.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids = git.run_with_input(["patch-id", "--stable"], &log.stdout)?;
    Ok(String::from_utf8_lossy(&ids.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect())
}

fn any_path_exists(git: &Git, commit: &str, paths: &[String]) -> Result<bool, ForgeError> {
    let input: String = paths.iter().map(|p| format!("{commit}:{p}\n")).collect();
    let out = git.run_with_input(["cat-file", "--batch-check"], input.as_bytes())?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| !l.ends_with(" missing")))
}

/// Look FIX up in the mirror (fetching the upstream default branch once when it lacks it).
fn resolve_fix(
    mirror: &Mirror,
    spec: &FixSpec,
    fix: &str,
    offline: bool,
) -> Result<(Option<u64>, Vec<FixCommit>), ForgeError> {
    let git = &mirror.git;
    let shown = names::printable(fix, 120);
    let mut fetched = false;
    let mut fetch_head = |what: &str| -> Result<bool, ForgeError> {
        if offline || fetched {
            return Ok(false);
        }
        tracing::info!("{what} is not in the mirror; fetching the upstream default branch");
        mirror.fetch(&BTreeSet::new(), true)?;
        fetched = true;
        Ok(true)
    };
    let commit_of = |rev: &str| -> Option<String> {
        git.text([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
        .ok()
        .filter(|s| is_object_id(s))
    };
    let not_found = |what: String| {
        ForgeError::Other(format!(
            "FIX `{shown}`: {what}\n  help: check the id; the mirror has the release tags and (after one fetch) the upstream default branch{}",
            if offline { "; --offline forbids fetching it" } else { "" }
        ))
    };
    let mut lookup = |rev: &str| -> Result<String, ForgeError> {
        if let Some(c) = commit_of(rev) {
            return Ok(c);
        }
        if fetch_head(rev)? {
            if let Some(c) = commit_of(rev) {
                return Ok(c);
            }
        }
        Err(not_found(format!("the upstream has no commit `{rev}`")))
    };
    let (pull, ids): (Option<u64>, Vec<String>) = match spec {
        FixSpec::Commit(rev) => {
            let c = lookup(rev)?;
            let parents = git.text(["rev-list", "--parents", "-n", "1", &c])?;
            if parents.split(' ').count() > 2 {
                // A merge: its pull request's commits.
                let subject = git.text(["log", "-1", "--format=%s", &c])?;
                let number = subject
                    .strip_prefix("Merge pull request #")
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok());
                (number, range(git, &format!("{c}^1..{c}^2"))?)
            } else {
                (None, vec![c])
            }
        }
        FixSpec::Range(a, b) => {
            let (a, b) = (lookup(a)?, lookup(b)?);
            let ids = range(git, &format!("{a}..{b}"))?;
            if ids.is_empty() {
                return Err(not_found(format!("the range {a}..{b} holds no commit")));
            }
            (None, ids)
        }
        FixSpec::Pull(n) => {
            let mut merge = crate::patches::pull_request_merge(git, *n)?;
            if merge.is_none() && fetch_head(&format!("pull request #{n}"))? {
                merge = crate::patches::pull_request_merge(git, *n)?;
            }
            let merge = merge.ok_or_else(|| {
                not_found(format!(
                    "no merge of pull request #{n} upstream: it is not merged (or not into the default branch)"
                ))
            })?;
            (Some(*n), range(git, &format!("{merge}^1..{merge}^2"))?)
        }
        FixSpec::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| ForgeError::io(path, e))?;
            let messages = crate::mbox::split(&bytes);
            if messages.is_empty() || crate::mbox::check(&bytes).is_err() {
                return Err(ForgeError::Other(format!(
                    "{}: not a `git format-patch` file ({})\n  help: produce it with `git format-patch --stdout`",
                    path.display(),
                    crate::mbox::check(&bytes).err().unwrap_or_else(|| "empty".into())
                )));
            }
            let mut out = Vec::new();
            for m in messages {
                let raw = crate::engine::strip_cr(m.raw);
                let named = from_line_commit(&raw).and_then(|c| commit_of(&c));
                out.push(fix_commit(git, named, raw)?);
            }
            return Ok((None, out));
        }
    };
    let mut out = Vec::new();
    for id in ids {
        let out_patch = git.run([
            "format-patch",
            "-1",
            "--stdout",
            "--no-signature",
            "--binary",
            &id,
        ])?;
        out.push(fix_commit(git, Some(id), out_patch.stdout)?);
    }
    Ok((pull, out))
}

fn range(git: &Git, range: &str) -> Result<Vec<String>, ForgeError> {
    Ok(git
        .text(["rev-list", "--reverse", "--no-merges", range])?
        .lines()
        .map(str::to_string)
        .collect())
}

/// The commit a format-patch message names on its `From <sha> Mon Sep 17 …` line.
fn from_line_commit(raw: &[u8]) -> Option<String> {
    let first = raw.split(|&b| b == b'\n').next()?;
    let sha = std::str::from_utf8(first.strip_prefix(b"From ")?)
        .ok()?
        .split(' ')
        .next()?;
    (is_object_id(sha) && sha.bytes().any(|b| b != b'0')).then(|| sha.to_string())
}

fn fix_commit(git: &Git, commit: Option<String>, mbox: Vec<u8>) -> Result<FixCommit, ForgeError> {
    let text = String::from_utf8_lossy(&mbox);
    let subject = text
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .map(|s| {
            let s = s.trim();
            match s.strip_prefix("[PATCH") {
                Some(rest) => rest.split_once("] ").map_or(s, |(_, t)| t),
                None => s,
            }
            .to_string()
        })
        .unwrap_or_default();
    let (old_paths, paths) = diff_paths(&text);
    let patch_id = git
        .run_with_input(["patch-id", "--stable"], &mbox)
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split(' ')
                .next()
                .filter(|p| is_object_id(p))
                .map(str::to_string)
        });
    Ok(FixCommit {
        commit,
        subject,
        paths,
        patch_id,
        old_paths,
        mbox,
    })
}

/// The paths a diff modifies or deletes (old side), and every path it touches.
fn diff_paths(text: &str) -> (Vec<String>, Vec<String>) {
    let mut old = Vec::new();
    let mut all = BTreeSet::new();
    // Per `diff --git` block: (header path, created, old side seen)
    let mut block: Option<(String, bool, Option<String>)> = None;
    let flush = |b: Option<(String, bool, Option<String>)>, old: &mut Vec<String>| {
        if let Some((header, created, minus)) = b {
            if !created {
                let p = minus.unwrap_or(header);
                if !p.is_empty() && !old.contains(&p) {
                    old.push(p);
                }
            }
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            flush(block.take(), &mut old);
            // `a/P b/P` with the same P on both sides (renames are read below).
            let half = rest.len().saturating_sub(1) / 2;
            let header = match (rest.get(..half), rest.get(half + 1..)) {
                (Some(a), Some(b)) if a.get(2..) == b.get(2..) && a.starts_with("a/") => {
                    a[2..].to_string()
                }
                _ => String::new(),
            };
            if !header.is_empty() {
                all.insert(header.clone());
            }
            block = Some((header, false, None));
        } else if let Some(b) = block.as_mut() {
            if line.starts_with("new file mode") {
                b.1 = true;
            } else if let Some(p) = line
                .strip_prefix("--- a/")
                .or_else(|| line.strip_prefix("rename from "))
                .or_else(|| line.strip_prefix("copy from "))
            {
                b.2 = Some(p.trim_end().to_string());
                all.insert(p.trim_end().to_string());
            } else if let Some(p) = line
                .strip_prefix("+++ b/")
                .or_else(|| line.strip_prefix("rename to "))
                .or_else(|| line.strip_prefix("copy to "))
            {
                all.insert(p.trim_end().to_string());
            }
        }
    }
    flush(block.take(), &mut old);
    (old, all.into_iter().collect())
}

/// Add `(cherry picked from commit <sha>)` to the message of one format-patch message, as
/// `git cherry-pick -x` does: in the trailer block when the message ends with one, else after
/// a blank line. Messages in base64 or quoted-printable are left as they are.
pub fn with_trailer(mbox: &[u8], commit: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(mbox);
    if text.contains("\nContent-Transfer-Encoding: base64")
        || text.contains("\nContent-Transfer-Encoding: quoted-printable")
    {
        return mbox.to_vec();
    }
    let trailer = format!("(cherry picked from commit {commit})");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(header_end) = lines.iter().position(|l| l.trim_end().is_empty()) else {
        return mbox.to_vec();
    };
    let Some(sep) = lines
        .iter()
        .enumerate()
        .skip(header_end + 1)
        .find(|(_, l)| l.trim_end() == "---" || l.starts_with("diff --git "))
        .map(|(i, _)| i)
    else {
        return mbox.to_vec();
    };
    let body: Vec<&str> = lines[header_end + 1..sep]
        .iter()
        .map(|l| l.trim_end())
        .collect();
    let end = body
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    let last_paragraph = body[..end]
        .iter()
        .rev()
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>();
    let is_trailer = |l: &str| {
        l.starts_with("(cherry picked from commit ")
            || l.split_once(": ").is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    let mut out = String::new();
    for l in &lines[..=header_end] {
        out.push_str(l);
    }
    for l in &body[..end] {
        out.push_str(l);
        out.push('\n');
    }
    if end > 0 && !last_paragraph.iter().all(|l| is_trailer(l)) {
        out.push('\n');
    }
    out.push_str(&trailer);
    out.push('\n');
    for l in &lines[sep..] {
        out.push_str(l);
    }
    out.into_bytes()
}

/// What `--write` will write.
#[derive(Clone, Debug, Serialize)]
pub struct WritePlan {
    /// Patch files, workspace-relative, with their bytes' size.
    pub patches: Vec<PlannedPatch>,
    /// The releases added: (new release, its base).
    pub releases: Vec<(String, String)>,
    /// The unified diff of releases.yml.
    pub manifest_diff: String,
    #[serde(skip)]
    manifest_text: String,
}

/// One patch file to write.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedPatch {
    /// The patch name (`NAME.<line>`).
    pub name: String,
    /// Workspace-relative path.
    pub path: PathBuf,
    /// Number of commits.
    pub commits: usize,
    #[serde(skip)]
    bytes: Vec<u8>,
}

/// The default NAME: `pr-<N>` for a pull request, `backport-<12 digits>` for commits (of the
/// last one), the file stem for a patch file.
pub fn default_name(report: &BackportReport) -> String {
    if let Some(n) = report.pull_request {
        return format!("pr-{n}");
    }
    match report
        .commits
        .iter()
        .rev()
        .find_map(|c| c.commit.as_deref())
    {
        Some(c) => format!("backport-{}", &c[..12.min(c.len())]),
        None => Path::new(&report.fix)
            .file_stem()
            .map(|s| s.to_string_lossy().trim_end_matches(".patch").to_string())
            .unwrap_or_else(|| "backport".into()),
    }
}

/// Compute what `--write` writes: checks names, existing files and the edited manifest.
pub fn plan_write(
    ws: &Workspace,
    report: &BackportReport,
    name: &str,
) -> Result<WritePlan, ForgeError> {
    let mut applied = Vec::new();
    for l in &report.lines {
        let (Some(base), Some(head)) = (l.release_commit.as_deref(), l.head()) else {
            continue;
        };
        applied.push(AppliedLine {
            line: l.line.clone(),
            release: l.release.clone(),
            base: base.to_string(),
            head: head.to_string(),
            commits: l.commits.iter().filter(|c| c.applied_as.is_some()).count(),
        });
    }
    plan_lines(ws, &applied, name)
}

/// The patch `<name>.<line>` and its workspace-relative file, checked to be a valid name that
/// neither the catalog nor `patches/` has yet.
pub(crate) fn new_patch(
    ws: &Workspace,
    name: &str,
    line: &str,
) -> Result<(String, PathBuf), ForgeError> {
    let m = &ws.manifest;
    let patch = format!("{name}.{line}");
    names::check(NameKind::Patch, &patch).map_err(|e| ForgeError::Other(e.to_string()))?;
    let rel = PathBuf::from("patches").join(format!("{patch}.patch"));
    if m.catalog_entry(&patch).is_some() || ws.root.join(&rel).symlink_metadata().is_ok() {
        return Err(ForgeError::Other(format!(
            "patch `{patch}` already exists ({})\n  help: choose another --name",
            if m.catalog_entry(&patch).is_some() {
                "in the `patches:` catalog".to_string()
            } else {
                rel.display().to_string()
            }
        )));
    }
    Ok((patch, rel))
}

/// Commits of a fix on top of one line's newest release, to be written as a patch file.
pub(crate) struct AppliedLine {
    pub(crate) line: String,
    pub(crate) release: String,
    pub(crate) base: String,
    pub(crate) head: String,
    pub(crate) commits: usize,
}

/// The one writer of backport results (`--write` and `klts refresh`): `base..head` of each
/// line as `patches/<name>.<line>.patch` in `git format-patch` form, and a release on top of
/// the line's newest one.
pub(crate) fn plan_lines(
    ws: &Workspace,
    applied: &[AppliedLine],
    name: &str,
) -> Result<WritePlan, ForgeError> {
    let mut patches = Vec::new();
    let mut adds = Vec::new();
    let git = Mirror::of(ws).git;
    for l in applied {
        let (base, head) = (l.base.as_str(), l.head.as_str());
        let (patch, rel) = new_patch(ws, name, &l.line)?;
        let out = git.run([
            "format-patch",
            "--stdout",
            "--no-signature",
            "--binary",
            &format!("{base}..{head}"),
        ])?;
        let commits = l.commits;
        let prev = klts_core::Version::parse(&l.release)
            .map_err(|e| ForgeError::Other(format!("release `{}`: {e}", l.release)))?;
        let new_name = edit::next_lts(&prev).to_string();
        adds.push((
            l.release.clone(),
            NewRelease {
                name: new_name.clone(),
                base_release: l.release.clone(),
                must: true,
                patches: vec![patch.clone()],
            },
        ));
        patches.push(PlannedPatch {
            name: patch,
            path: rel,
            commits,
            // Written in the form `klts fmt` keeps, so a fresh backport is already formatted.
            bytes: crate::patchfmt::canonical(&out.stdout),
        });
    }
    let path = ws.root.join(crate::MANIFEST_FILE);
    if patches.is_empty() {
        // Nothing applied anywhere (already present, not applicable, or conflicting): not an
        // error, and nothing to write.
        return Ok(WritePlan {
            patches,
            releases: Vec::new(),
            manifest_diff: String::new(),
            manifest_text: String::new(),
        });
    }
    let source = std::fs::read_to_string(&path).map_err(|e| ForgeError::io(&path, e))?;
    let edited =
        edit::add_releases(&source, &path, &adds).map_err(|e| ForgeError::Other(e.to_string()))?;
    Ok(WritePlan {
        releases: adds
            .iter()
            .map(|(base, r)| (r.name.clone(), base.clone()))
            .collect(),
        manifest_diff: edit::unified_diff(&source, &edited.insertions, crate::MANIFEST_FILE),
        manifest_text: edited.text,
        patches,
    })
}

/// Write a plan: the patch files, then the manifest, each atomically. On failure, the patch
/// files written so far are removed and the manifest is untouched.
pub fn write(ws: &Workspace, plan: &WritePlan) -> Result<(), ForgeError> {
    if plan.patches.is_empty() {
        return Ok(());
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| {
        for p in &plan.patches {
            let full = ws.root.join(&p.path);
            if full.symlink_metadata().is_ok() {
                return Err(ForgeError::Other(format!(
                    "{} appeared while klts was working; nothing else was written",
                    full.display()
                )));
            }
            atomic_write(&full, &p.bytes).map_err(|e| ForgeError::io(&full, e))?;
            written.push(full);
        }
        let path = ws.root.join(crate::MANIFEST_FILE);
        atomic_write(&path, plan.manifest_text.as_bytes()).map_err(|e| ForgeError::io(&path, e))
    })();
    if result.is_err() {
        for f in written {
            let _ = std::fs::remove_file(f);
        }
    }
    result
}

/// `klts release new`: the next release of `line` on top of its newest release, with
/// `patches` (each checked by the name rule and resolved through the catalog or `patches/`),
/// as the edited manifest text and its diff. Nothing is written here.
pub fn plan_release(
    ws: &Workspace,
    line: MinorLine,
    patches: &[String],
) -> Result<(NewRelease, String, String), ForgeError> {
    let m = &ws.manifest;
    let (prev, version) = edit::newest_release(m, line).ok_or_else(|| {
        ForgeError::Other(format!(
            "line {line} has no release in {}\n  help: `klts releases` lists the lines; add a first release of the line by hand",
            m.path.display()
        ))
    })?;
    for p in patches {
        names::check(NameKind::Patch, p).map_err(|e| ForgeError::Other(e.to_string()))?;
        if let klts_core::manifest::PatchResolution::Missing { looked_for } = m.resolve_patch(p) {
            return Err(ForgeError::Other(format!(
                "patch `{p}` is neither in the `patches:` catalog nor a file {}\n  help: add the file (or a catalog entry) first",
                looked_for.display()
            )));
        }
    }
    let new = NewRelease {
        name: edit::next_lts(&version).to_string(),
        base_release: prev.name.value.clone(),
        must: true,
        patches: patches.to_vec(),
    };
    let path = ws.root.join(crate::MANIFEST_FILE);
    let source = std::fs::read_to_string(&path).map_err(|e| ForgeError::io(&path, e))?;
    let edited = edit::add_releases(&source, &path, &[(prev.name.value.clone(), new.clone())])
        .map_err(|e| ForgeError::Other(e.to_string()))?;
    let diff = edit::unified_diff(&source, &edited.insertions, crate::MANIFEST_FILE);
    Ok((new, edited.text, diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_specs() {
        let c = "8686ededfc90076914c5238eb96c883ea093a8ba";
        assert_eq!(
            FixSpec::parse(&format!(
                "https://github.com/containerd/containerd/commit/{c}.patch"
            ))
            .unwrap(),
            FixSpec::Commit(c.into())
        );
        assert_eq!(
            FixSpec::parse("https://github.com/kubernetes/kubernetes/pull/101327").unwrap(),
            FixSpec::Pull(101327)
        );
        assert_eq!(
            FixSpec::parse("https://github.com/o/r/pull/7/commits").unwrap(),
            FixSpec::Pull(7)
        );
        assert_eq!(FixSpec::parse("#12").unwrap(), FixSpec::Pull(12));
        assert_eq!(
            FixSpec::parse("abc1234..DEF5678").unwrap(),
            FixSpec::Range("abc1234".into(), "def5678".into())
        );
        assert_eq!(
            FixSpec::parse("ABCDEF1").unwrap(),
            FixSpec::Commit("abcdef1".into())
        );
        for bad in ["nope", "#x", "https://example.com/x", "abc", ""] {
            assert!(FixSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bookkeeping_paths() {
        for p in [
            "CHANGELOG.md",
            "CHANGELOG/CHANGELOG-1.17.md",
            "releases/v1.5.8.toml",
            "version/version.go",
            "RELEASE_NOTES.md",
            "VERSION",
        ] {
            assert!(is_bookkeeping(p), "{p}");
        }
        for p in [
            "pkg/kubelet/kubelet.go",
            "releases.go",
            "docs/versioning.md",
        ] {
            assert!(!is_bookkeeping(p), "{p}");
        }
    }

    #[test]
    fn trailer_like_cherry_pick_x() {
        let m = b"From 1 Mon Sep 17 00:00:00 2001\nFrom: A <a@x>\nSubject: [PATCH] Fix\n\nBody line.\n---\n a | 1 +\n\ndiff --git a/a b/a\n";
        let got = String::from_utf8(with_trailer(m, "abc")).unwrap();
        assert!(
            got.contains("\n\nBody line.\n\n(cherry picked from commit abc)\n---\n a | 1 +\n"),
            "{got}"
        );
        let m = b"From: A <a@x>\nSubject: Fix\n\nBody.\n\nSigned-off-by: A <a@x>\n---\ndiff --git a/a b/a\n";
        let got = String::from_utf8(with_trailer(m, "abc")).unwrap();
        assert!(
            got.contains("Signed-off-by: A <a@x>\n(cherry picked from commit abc)\n---\n"),
            "{got}"
        );
        let m = b"From: A <a@x>\nSubject: Fix\n\n---\ndiff --git a/a b/a\n";
        let got = String::from_utf8(with_trailer(m, "abc")).unwrap();
        assert!(
            got.contains("Subject: Fix\n\n(cherry picked from commit abc)\n---\n"),
            "{got}"
        );
    }

    #[test]
    fn paths_of_a_diff() {
        let d = "diff --git a/x.go b/x.go\nindex 1..2 100644\n--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/new.go b/new.go\nnew file mode 100644\n--- /dev/null\n+++ b/new.go\ndiff --git a/o.go b/n.go\nsimilarity index 90%\nrename from o.go\nrename to n.go\n";
        let (old, all) = diff_paths(d);
        assert_eq!(old, ["x.go", "o.go"]);
        assert_eq!(all, ["n.go", "new.go", "o.go", "x.go"]);
    }
}
