//! Materialization: applying a chain of patch files onto a commit, without a working tree.
//!
//! The shell tooling checks out ~25,000 files per release and runs `git am -3`. klts produces
//! the same commits from git objects alone:
//!
//! 1. the parent commit's tree is read into a **temporary index** (`git read-tree`, no files
//!    written);
//! 2. each message of the patch file is parsed by `git mailinfo` (as `git am` does) and its diff
//!    applied to that index with `git apply --cached`;
//! 3. if that fails, the same 3-way fallback as `git am -3`: a fake ancestor is built from the
//!    blob ids recorded in the patch (`git apply --build-fake-ancestor`), the patch is applied to
//!    it, and the result is merged into the current tree with `git merge-tree --write-tree` (the
//!    ort merge `git am` uses), so renames in the target tree are followed the same way;
//! 4. the tree is written and committed with the patch's author, date and message and the fixed
//!    committer [`COMMITTER_NAME`] <[`COMMITTER_EMAIL`]>, committer date = author date.
//!
//! Same inputs, same commit ids, on any machine. Each patch file is one **step**, cached by
//! content: `sha256(parent commit, patch bytes)` → resulting commit, so releases sharing a
//! prefix (every `-lts.N` on the same `-ci`) and unchanged releases cost a file read.

use crate::fsutil::{atomic_write, sha256_hex};
use crate::git::{Git, GitError, COMMITTER_EMAIL, COMMITTER_NAME};
use crate::mbox::{self, MailInfo};
use crate::odb::{oid_hex, parse_oid, Change, Odb, Oid};
use crate::ForgeError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version of the step-cache key; bump when the way commits are produced changes.
/// v2: entries record `commit parent patch-sha256` and are checked before use.
const STEP_KEY_VERSION: &str = "klts-step-v2";

/// One step-cache entry: `<commit> <parent> <patch sha256>\n`.
struct StepEntry<'a> {
    commit: &'a str,
    parent: &'a str,
    patch_sha256: &'a str,
}

fn parse_step_entry(text: &str) -> Option<StepEntry<'_>> {
    let mut words = text.split_ascii_whitespace();
    let (commit, parent, patch_sha256) = (words.next()?, words.next()?, words.next()?);
    (words.next().is_none()
        && crate::git::is_object_id(commit)
        && crate::git::is_object_id(parent)
        && patch_sha256.len() == 64
        && patch_sha256.bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(StepEntry {
        commit,
        parent,
        patch_sha256,
    })
}

/// One patch file to apply, with what to say about it when it fails.
#[derive(Clone, Debug)]
pub struct Step {
    /// The release whose chain contains this step.
    pub release: String,
    /// The patch name.
    pub patch: String,
    /// The source (URL or path) of this file.
    pub source: String,
    /// The bytes.
    pub bytes: std::sync::Arc<[u8]>,
    /// sha256 of the bytes.
    pub sha256: String,
}

/// A patch that did not apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The release being materialized.
    pub release: String,
    /// The patch name.
    pub patch: String,
    /// The file's source.
    pub source: String,
    /// Subject of the commit that failed.
    pub subject: String,
    /// 0-based position of that commit in the patch file.
    pub message_index: usize,
    /// The commit it was being applied on.
    pub onto: String,
    /// The paths that conflict or do not apply.
    pub paths: Vec<String>,
    /// git's own account, for the curious.
    pub detail: String,
}

/// The result of applying one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepResult {
    /// Applied (or found in the cache): the new head commit.
    Applied {
        /// The last commit of the step.
        commit: String,
        /// Whether it came from the step cache.
        cached: bool,
        /// How many commits of the step needed the 3-way fallback.
        three_way: usize,
    },
    /// Did not apply.
    Conflict(Conflict),
}

/// Applies steps; one per worker thread (it owns a temporary index).
pub struct Engine {
    git: Git,
    steps_dir: PathBuf,
    scratch: tempfile::TempDir,
    use_cache: bool,
    /// The commit whose tree the full temporary index currently holds (slow path only).
    index_commit: Option<String>,
    /// The tree the full index holds after the last slow-path apply.
    full_index_tree: Option<String>,
    /// Object reader/writer, started on first use (warm runs never need it).
    odb: Option<Odb>,
    /// How many commits went through the fast path and the full-index path.
    pub stats: EngineStats,
}

/// Counters of which path commits took, for `-v` and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    /// Commits applied on a temporary index holding only the touched paths.
    pub fast: usize,
    /// Commits applied on a full temporary index (fallback).
    pub full_index: usize,
}

/// Outcome of the fast path.
enum Fast {
    /// Applied: the new tree.
    Tree(String),
    /// `git apply` refused the patch: its complaint.
    Refused(String),
    /// The fast path cannot decide this patch (unusual paths): use the full index.
    Unsupported(&'static str),
}

impl Engine {
    /// An engine on the mirror `git`, caching steps in `cache_dir/steps` and using a scratch
    /// directory under `cache_dir/tmp`.
    pub fn new(git: &Git, cache_dir: &Path, use_cache: bool) -> Result<Engine, ForgeError> {
        let tmp = cache_dir.join("tmp");
        // Also removes the scratch directories of killed runs (see `crate::scratch`).
        let scratch = crate::scratch::engine_dir(&tmp).map_err(|e| ForgeError::io(&tmp, e))?;
        let git = git.with_index(&scratch.path().join("index"));
        Ok(Engine {
            git,
            steps_dir: cache_dir.join("steps"),
            scratch,
            use_cache,
            index_commit: None,
            full_index_tree: None,
            odb: None,
            stats: EngineStats::default(),
        })
    }

    fn step_key(parent: &str, patch_sha: &str) -> String {
        sha256_hex(
            format!(
                "{STEP_KEY_VERSION}\n{COMMITTER_NAME} <{COMMITTER_EMAIL}>\n{parent}\n{patch_sha}\n"
            )
            .as_bytes(),
        )
    }

    fn step_path(&self, key: &str) -> PathBuf {
        self.steps_dir.join(&key[..2]).join(key)
    }

    /// The cached result of applying `step` onto `parent`, if there is one that checks out.
    ///
    /// A cache entry is a claim, not a fact: it is used only when it names this very parent and
    /// patch, and the commit it names really is this patch's work on this parent — walking
    /// back one first parent per message of the patch reaches `parent`, and each of those
    /// commits has a single parent and klts's fixed committer. Anything else (a copied or edited
    /// entry, a commit of another patch or release, a missing object) is discarded with a
    /// warning and the step is recomputed: a wrong cache must never tag a wrong commit.
    /// (The entry does not carry the tree; a forged commit with the right parent, committer and
    /// length would need write access to the mirror itself, where it could move refs anyway.)
    fn cached(&mut self, parent: &str, step: &Step) -> Result<Option<String>, ForgeError> {
        if !self.use_cache {
            return Ok(None);
        }
        let path = self.step_path(&Self::step_key(parent, &step.sha256));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read step cache entry; recomputing");
                return Ok(None);
            }
        };
        let messages = mbox::split(&step.bytes).len();
        let verdict = match parse_step_entry(&text) {
            None => Err("the entry is malformed".to_string()),
            Some(e) if e.parent != parent || e.patch_sha256 != step.sha256 => Err(format!(
                "the entry is for parent {} and patch sha256 {}, not this step",
                e.parent, e.patch_sha256
            )),
            Some(e) => self
                .check_lineage(e.commit, parent, messages)?
                .map(|()| e.commit.to_string()),
        };
        match verdict {
            Ok(commit) => Ok(Some(commit)),
            Err(why) => {
                tracing::warn!(
                    "step cache entry {} for patch `{}` of {} is not trusted ({why}); discarding it and applying the patch again",
                    path.display(),
                    klts_core::names::printable(&step.patch, 128),
                    step.release
                );
                let _ = std::fs::remove_file(&path);
                Ok(None)
            }
        }
    }

    /// Whether `commit` is `count` klts commits on top of `parent` (see [`Engine::cached`]).
    /// `Ok(Err(why))` when it is not; `Err` only when the object reader itself fails.
    fn check_lineage(
        &mut self,
        commit: &str,
        parent: &str,
        count: usize,
    ) -> Result<Result<(), String>, ForgeError> {
        let committer = format!("committer {COMMITTER_NAME} <{COMMITTER_EMAIL}> ");
        let mut at = commit.to_string();
        for _ in 0..count {
            let Some((kind, body)) = self.odb()?.read(&at)? else {
                return Ok(Err(format!("commit {at} is not in the mirror")));
            };
            if kind != "commit" {
                return Ok(Err(format!("{at} is a {kind}, not a commit")));
            }
            let text = String::from_utf8_lossy(&body);
            let header = text.split("\n\n").next().unwrap_or_default();
            let parents: Vec<&str> = header
                .lines()
                .filter_map(|l| l.strip_prefix("parent "))
                .collect();
            if !header.lines().any(|l| l.starts_with(&committer)) {
                return Ok(Err(format!("commit {at} was not written by klts")));
            }
            match parents.as_slice() {
                [p] if crate::git::is_object_id(p) => at = p.to_string(),
                _ => return Ok(Err(format!("commit {at} does not have exactly one parent"))),
            }
        }
        Ok(if at == parent {
            Ok(())
        } else {
            Err(format!(
                "commit {commit} is not {count} commit(s) on top of {parent}"
            ))
        })
    }

    /// Apply one patch file onto `parent`.
    pub fn apply(&mut self, parent: &str, step: &Step) -> Result<StepResult, ForgeError> {
        if let Some(commit) = self.cached(parent, step)? {
            return Ok(StepResult::Applied {
                commit,
                cached: true,
                three_way: 0,
            });
        }
        let messages = mbox::split(&step.bytes);
        if messages.is_empty() {
            return Err(corrupt(step, "the file is empty"));
        }
        let mut head = parent.to_string();
        let mut three_way = 0;
        for (i, message) in messages.iter().enumerate() {
            // `git mailsplit` (used by `git am`) turns CRLF into LF; do the same.
            let raw = strip_cr(message.raw);
            let mail = self.mailinfo(&raw, step, i)?;
            let attempt = match self.fast_apply(&head, &mail.patch)? {
                Fast::Tree(tree) => {
                    self.stats.fast += 1;
                    Ok(tree)
                }
                // A refusal is confirmed on the full index before falling back to 3-way: the
                // fast path must never decide differently from `git apply` on the whole tree.
                Fast::Refused(complaint) => {
                    tracing::debug!(complaint, "fast path refused, confirming on a full index");
                    self.stats.full_index += 1;
                    self.load_index(&head)?;
                    self.apply_to_index(&mail.patch)?
                }
                Fast::Unsupported(why) => {
                    tracing::debug!(why, "fast path not applicable, using a full index");
                    self.stats.full_index += 1;
                    self.load_index(&head)?;
                    self.apply_to_index(&mail.patch)?
                }
            };
            let tree = match attempt {
                Ok(tree) => tree,
                Err(complaint) if is_corrupt(&complaint) => {
                    return Err(corrupt(
                        step,
                        &format!(
                            "message {} (\"{}\"): {}",
                            i + 1,
                            mail.info.subject,
                            complaint
                                .lines()
                                .find(|l| l.contains("corrupt") || l.contains("No valid"))
                                .unwrap_or(&complaint)
                        ),
                    ));
                }
                Err(first_failure) => match self.three_way(&head, &mail.patch)? {
                    Ok(tree) => {
                        three_way += 1;
                        tree
                    }
                    Err((paths, detail)) => {
                        self.index_commit = None;
                        let mut paths = paths;
                        if paths.is_empty() {
                            paths = failing_paths(&first_failure);
                        }
                        return Ok(StepResult::Conflict(Conflict {
                            release: step.release.clone(),
                            patch: step.patch.clone(),
                            source: step.source.clone(),
                            subject: mail.info.subject.clone(),
                            message_index: i,
                            onto: head,
                            paths,
                            detail: if detail.is_empty() {
                                first_failure
                            } else {
                                format!("{first_failure}\n{detail}")
                            },
                        }));
                    }
                },
            };
            let parent_of_commit = head.clone();
            head = self.commit(&tree, &head, &mail)?;
            // The full index (if any) still holds the parent's tree unless the slow path
            // just wrote this very tree.
            if self.index_commit.as_deref() == Some(parent_of_commit.as_str())
                && self.stats_last_full(&tree)
            {
                self.index_commit = Some(head.clone());
            }
        }
        if self.use_cache {
            let path = self.step_path(&Self::step_key(parent, &step.sha256));
            let entry = format!("{head} {parent} {}\n", step.sha256);
            if let Err(e) = atomic_write(&path, entry.as_bytes()) {
                tracing::warn!(path = %path.display(), error = %e, "cannot write step cache");
            }
        }
        Ok(StepResult::Applied {
            commit: head,
            cached: false,
            three_way,
        })
    }

    /// Try one patch file onto `parent` as [`Engine::apply`] does (same fast path, same 3-way
    /// fallback), but without reading or writing the step cache: for `klts backport`, which
    /// tries a fix on many releases and must leave no trace but unreferenced objects.
    pub fn try_apply(&mut self, parent: &str, step: &Step) -> Result<StepResult, ForgeError> {
        let saved = std::mem::replace(&mut self.use_cache, false);
        let result = self.apply(parent, step);
        self.use_cache = saved;
        result
    }

    /// Make the full temporary index hold `commit`'s tree (a no-op when it already does).
    fn load_index(&mut self, commit: &str) -> Result<(), ForgeError> {
        if self.index_commit.as_deref() != Some(commit) {
            self.git.run(["read-tree", commit])?;
            self.index_commit = Some(commit.to_string());
        }
        self.full_index_tree = None;
        Ok(())
    }

    /// Whether the last slow-path apply wrote `tree` into the full index.
    fn stats_last_full(&mut self, tree: &str) -> bool {
        let hit = self.full_index_tree.as_deref() == Some(tree);
        self.full_index_tree = None;
        if !hit {
            self.index_commit = None;
        }
        hit
    }

    fn odb(&mut self) -> Result<&mut Odb, ForgeError> {
        if self.odb.is_none() {
            self.odb = Some(Odb::open(self.git.git_dir())?);
        }
        self.odb
            .as_mut()
            .ok_or_else(|| ForgeError::Other("object reader unavailable".into()))
    }

    /// Apply `patch` onto `head` using a temporary index that holds only the paths the patch
    /// touches, then derive the new tree from the parent tree in-process. Same `git apply`,
    /// same result, without reading or writing ~25,000 index entries per commit.
    fn fast_apply(&mut self, head: &str, patch: &[u8]) -> Result<Fast, ForgeError> {
        let Some(paths) = touched_paths(patch) else {
            return Ok(Fast::Unsupported("cannot list the paths of the patch"));
        };
        let parent_tree = self.odb()?.commit_tree(head)?;
        // The current entries of every touched path.
        let mut before: BTreeMap<Vec<u8>, (String, Oid)> = BTreeMap::new();
        for path in &paths {
            match self.odb()?.lookup(&parent_tree, path)? {
                Some(e) if e.is_tree() => {
                    return Ok(Fast::Unsupported("the patch names a directory"))
                }
                Some(e) => {
                    before.insert(path.clone(), (e.mode, e.oid));
                }
                None => {}
            }
        }
        let tiny = self.scratch.path().join("tiny-index");
        // The tiny index is written and read in-process (see `crate::index`); git only applies.
        crate::index::write_index(&tiny, &before).map_err(|e| ForgeError::io(&tiny, e))?;
        let git = self.git.with_index(&tiny);
        if let Err(e) = git.run_with_input(["apply", "--cached"], patch) {
            return Ok(Fast::Refused(e.stderr().to_string()));
        }
        if let Some(after) = crate::index::read_index(&tiny) {
            return self.finish_fast(&parent_tree, &paths, &before, &after);
        }
        let listed = git.run(["ls-files", "-s", "-z"])?;
        let mut after: BTreeMap<Vec<u8>, (String, Oid)> = BTreeMap::new();
        for record in listed.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            // `<mode> <oid> <stage>\t<path>`
            let Some(tab) = record.iter().position(|&b| b == b'\t') else {
                return Ok(Fast::Unsupported("unexpected ls-files output"));
            };
            let meta = String::from_utf8_lossy(&record[..tab]).into_owned();
            let mut parts = meta.split(' ');
            let (Some(mode), Some(oid)) = (parts.next(), parts.next().and_then(parse_oid)) else {
                return Ok(Fast::Unsupported("unexpected ls-files output"));
            };
            after.insert(record[tab + 1..].to_vec(), (mode.to_string(), oid));
        }
        self.finish_fast(&parent_tree, &paths, &before, &after)
    }

    /// From the touched paths before and after `git apply`, derive the new tree.
    fn finish_fast(
        &mut self,
        parent_tree: &Oid,
        paths: &std::collections::BTreeSet<Vec<u8>>,
        before: &BTreeMap<Vec<u8>, (String, Oid)>,
        after: &BTreeMap<Vec<u8>, (String, Oid)>,
    ) -> Result<Fast, ForgeError> {
        let parent_tree = *parent_tree;
        let mut changes: BTreeMap<Vec<u8>, Change> = BTreeMap::new();
        for (path, (mode, oid)) in after {
            if before.get(path) != Some(&(mode.clone(), *oid)) {
                if !before.contains_key(path) && !paths.contains(path) {
                    // A path we did not look up: the full index would know whether it exists.
                    return Ok(Fast::Unsupported(
                        "the patch created a path it does not name",
                    ));
                }
                changes.insert(
                    path.clone(),
                    Change::Set {
                        mode: mode.clone(),
                        oid: *oid,
                    },
                );
            }
        }
        for path in before.keys() {
            if !after.contains_key(path) {
                changes.insert(path.clone(), Change::Delete);
            }
        }
        // A new file under a path that is a file in the parent (or the reverse) is a
        // directory/file conflict the full index reports; leave it to the full index.
        for (path, change) in &changes {
            if let Change::Set { .. } = change {
                let mut prefix = Vec::new();
                for part in path
                    .split(|&b| b == b'/')
                    .take(path.split(|&b| b == b'/').count().saturating_sub(1))
                {
                    if !prefix.is_empty() {
                        prefix.push(b'/');
                    }
                    prefix.extend_from_slice(part);
                    if let Some(e) = self.odb()?.lookup(&parent_tree, &prefix)? {
                        if !e.is_tree() && !matches!(changes.get(&prefix), Some(Change::Delete)) {
                            return Ok(Fast::Unsupported("directory/file conflict"));
                        }
                    }
                }
            }
        }
        let new_tree = self.odb()?.edit_tree(&parent_tree, &changes)?;
        Ok(Fast::Tree(oid_hex(&new_tree)))
    }

    fn mailinfo(&self, raw: &[u8], step: &Step, index: usize) -> Result<Mail, ForgeError> {
        let msg = self.scratch.path().join("msg");
        let patch = self.scratch.path().join("patch");
        let out = self
            .git
            .run_with_input(
                ["mailinfo".as_ref(), msg.as_os_str(), patch.as_os_str()],
                raw,
            )
            .map_err(|e| {
                corrupt(
                    step,
                    &format!("message {} cannot be parsed: {}", index + 1, e.stderr()),
                )
            })?;
        let info = MailInfo::parse(&String::from_utf8_lossy(&out.stdout));
        let body = std::fs::read(&msg).map_err(|e| ForgeError::io(&msg, e))?;
        // Name the patch, not the scratch file: the user has no business with `.klts/tmp`.
        let body = String::from_utf8(body).map_err(|_| {
            corrupt(
                step,
                &format!(
                    "message {}: its commit message is not valid UTF-8 even after `git mailinfo` (binary garbage, or a patch in another encoding without a charset)",
                    index + 1
                ),
            )
        })?;
        let diff = std::fs::read(&patch).map_err(|e| ForgeError::io(&patch, e))?;
        if info.email.is_empty() {
            return Err(corrupt(step, &format!(
                "message {} has no author (no `From:` header); it is not `git format-patch` output", index + 1)));
        }
        if diff.iter().all(u8::is_ascii_whitespace) {
            return Err(corrupt(
                step,
                &format!(
                    "message {} (\"{}\") contains no diff",
                    index + 1,
                    info.subject
                ),
            ));
        }
        Ok(Mail {
            message: mbox::commit_message(&info.subject, &body),
            info,
            patch: diff,
        })
    }

    /// `git apply --cached`; Ok(tree) or Err(git's complaint).
    fn apply_to_index(&mut self, patch: &[u8]) -> Result<Result<String, String>, ForgeError> {
        match self.git.run_with_input(["apply", "--cached"], patch) {
            Ok(_) => {
                let tree = self.git.text(["write-tree"])?;
                self.full_index_tree = Some(tree.clone());
                Ok(Ok(tree))
            }
            Err(GitError::Failed { stderr, .. }) => {
                // A failed `git apply` leaves the index untouched.
                Ok(Err(stderr))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The `git am -3` fallback. Ok(tree) when the merge is clean, else the conflicting paths.
    fn three_way(
        &mut self,
        head: &str,
        patch: &[u8],
    ) -> Result<Result<String, (Vec<String>, String)>, ForgeError> {
        let fake = self.scratch.path().join("fake-index");
        let _ = std::fs::remove_file(&fake);
        let fake_arg = format!("--build-fake-ancestor={}", fake.display());
        if let Err(e) = self.git.run_with_input(["apply", &fake_arg], patch) {
            // The blobs the patch was made from are not in the repository: no 3-way possible.
            return Ok(Err((
                failing_paths(e.stderr()),
                format!(
                    "{}\n3-way fallback impossible: the mirror lacks the blobs this patch was made from; \
                     fetch the upstream branch it was made on (`klts fetch` brings the default branch for URL patches)",
                    e.stderr()
                ),
            )));
        }
        let fake_git = self.git.with_index(&fake);
        let base_tree = fake_git.text(["write-tree"])?;
        if let Err(e) = fake_git.run_with_input(["apply", "--cached"], patch) {
            return Ok(Err((failing_paths(e.stderr()), e.stderr().to_string())));
        }
        let theirs_tree = fake_git.text(["write-tree"])?;
        // `git merge-tree --merge-base=<tree>` needs git 2.45; scaffolding commits (base, and
        // ours and theirs on top of it) give the same ort merge on any git since 2.38. Their
        // ids do not matter: only the merged tree is kept.
        let scaffold = self
            .git
            .with_env("GIT_AUTHOR_NAME", COMMITTER_NAME)
            .with_env("GIT_AUTHOR_EMAIL", COMMITTER_EMAIL)
            .with_env("GIT_AUTHOR_DATE", "@0 +0000")
            .with_env("GIT_COMMITTER_NAME", COMMITTER_NAME)
            .with_env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
            .with_env("GIT_COMMITTER_DATE", "@0 +0000");
        let base = scaffold.text(["commit-tree", &base_tree, "-m", "klts: fake ancestor"])?;
        let ours = scaffold.text([
            "commit-tree",
            &format!("{head}^{{tree}}"),
            "-p",
            &base,
            "-m",
            "klts: ours",
        ])?;
        let theirs = scaffold.text([
            "commit-tree",
            &theirs_tree,
            "-p",
            &base,
            "-m",
            "klts: theirs",
        ])?;
        match self.git.run([
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            &ours,
            &theirs,
        ]) {
            Ok(out) => {
                let tree = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                self.index_commit = None;
                Ok(Ok(tree))
            }
            Err(GitError::Failed {
                stdout,
                stderr,
                status,
                ..
            }) if status == "exit status: 1" => {
                // Exit 1: conflicts. stdout = tree, then the conflicted paths.
                let mut paths: Vec<String> = stdout
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                paths.dedup();
                Ok(Err((paths, stderr)))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn commit(&self, tree: &str, parent: &str, mail: &Mail) -> Result<String, ForgeError> {
        // The common case is written in-process: the same bytes `git commit-tree` writes.
        // Anything unusual (a date not in RFC 2822 form, an identity git would clean up) goes
        // through git itself.
        if let Some(date) = rfc2822_to_git(&mail.info.date) {
            if plain_ident(&mail.info.author)
                && plain_ident(&mail.info.email)
                && !mail.info.author.is_empty()
            {
                let body = format!(
                    "tree {tree}\nparent {parent}\nauthor {} <{}> {date}\ncommitter {COMMITTER_NAME} <{COMMITTER_EMAIL}> {date}\n\n{}",
                    mail.info.author, mail.info.email, mail.message
                );
                let oid = crate::odb::write_loose(self.git.git_dir(), "commit", body.as_bytes())
                    .map_err(|e| ForgeError::io(self.git.git_dir(), e))?;
                return Ok(oid_hex(&oid));
            }
        }
        let git = self
            .git
            .with_env("GIT_AUTHOR_NAME", mail.info.author.clone())
            .with_env("GIT_AUTHOR_EMAIL", mail.info.email.clone())
            .with_env("GIT_AUTHOR_DATE", mail.info.date.clone())
            .with_env("GIT_COMMITTER_NAME", COMMITTER_NAME)
            .with_env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
            .with_env("GIT_COMMITTER_DATE", mail.info.date.clone());
        let out =
            git.run_with_input(["commit-tree", tree, "-p", parent], mail.message.as_bytes())?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

struct Mail {
    info: MailInfo,
    message: String,
    patch: Vec<u8>,
}

fn corrupt(step: &Step, reason: &str) -> ForgeError {
    ForgeError::CorruptPatch {
        patch: step.patch.clone(),
        source_name: step.source.clone(),
        reason: reason.to_string(),
    }
}

/// Turn CRLF line endings into LF, as `git mailsplit` does without `--keep-cr`.
pub fn strip_cr(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Whether git would write this name or e-mail unchanged (no leading/trailing "crud", no
/// angle brackets or newlines).
fn plain_ident(s: &str) -> bool {
    let crud = |c: char| c.is_ascii_whitespace() || ".,:;<>\"\\'".contains(c);
    !s.is_empty()
        && !s.starts_with(crud)
        && !s.ends_with(crud)
        && !s.contains(['<', '>', '\n', '\r', '\0'])
}

/// `Mon, 17 Sep 2001 00:00:00 +0200` → `1000677600 +0200`, the form git stores. `None` for
/// anything but that exact shape (the caller then lets git parse it).
pub fn rfc2822_to_git(date: &str) -> Option<String> {
    let mut parts: Vec<&str> = date.split_ascii_whitespace().collect();
    if parts.first().is_some_and(|w| w.ends_with(',')) {
        parts.remove(0);
    }
    let [day, month, year, time, tz] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let days = klts_core::lifecycle::Date::new(year, month as u32, day as u32)?.to_days();
    let hms: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<Vec<_>>>()?;
    let [h, mi, se] = hms.as_slice() else {
        return None;
    };
    if !(0..24).contains(h) || !(0..60).contains(mi) || !(0..60).contains(se) {
        return None;
    }
    let tz_bytes = tz.as_bytes();
    if tz_bytes.len() != 5
        || !matches!(tz_bytes[0], b'+' | b'-')
        || !tz_bytes[1..].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let tz_h: i64 = tz[1..3].parse().ok()?;
    let tz_m: i64 = tz[3..5].parse().ok()?;
    if tz_m >= 60 {
        return None;
    }
    let offset = (tz_h * 3600 + tz_m * 60) * if tz_bytes[0] == b'-' { -1 } else { 1 };
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    (secs >= 0).then(|| format!("{secs} {tz}"))
}

/// Every path a diff names (old and new sides, renames and copies), or `None` when a header
/// cannot be read with certainty (the caller then uses the full index).
pub fn touched_paths(patch: &[u8]) -> Option<std::collections::BTreeSet<Vec<u8>>> {
    let mut out = std::collections::BTreeSet::new();
    let mut in_header = false;
    let mut headers = 0;
    for line in patch.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            headers += 1;
            in_header = true;
            // `a/P b/P` with the same P on both sides is unambiguous even with spaces.
            if !rest.starts_with(b"\"") {
                let half = rest.len().checked_sub(1)? / 2;
                let (a, b) = (&rest[..half], &rest[half + 1..]);
                if rest.get(half) == Some(&b' ')
                    && a.strip_prefix(b"a/").is_some()
                    && a.get(2..) == b.get(2..)
                {
                    out.insert(a[2..].to_vec());
                }
            }
            continue;
        }
        if !in_header {
            continue;
        }
        let field = |prefix: &[u8]| line.strip_prefix(prefix).map(<[u8]>::to_vec);
        if let Some(p) = field(b"--- ").or_else(|| field(b"+++ ")) {
            if p != b"/dev/null" {
                let p = unquote(&p)?;
                let p = p
                    .strip_prefix(b"a/")
                    .or_else(|| p.strip_prefix(b"b/"))?
                    .to_vec();
                out.insert(p);
            }
            if line.starts_with(b"+++ ") {
                in_header = false;
            }
        } else if let Some(p) = field(b"rename from ")
            .or_else(|| field(b"rename to "))
            .or_else(|| field(b"copy from "))
            .or_else(|| field(b"copy to "))
        {
            out.insert(unquote(&p)?);
        } else if line.starts_with(b"@@")
            || line.starts_with(b"GIT binary patch")
            || line.starts_with(b"Binary files")
        {
            in_header = false;
        }
    }
    // A header whose paths could not be read (quoted, spaces, no ---/+++) leaves nothing to
    // apply to safely.
    (headers > 0 && !out.is_empty() && out.len() >= headers).then_some(out)
}

/// Undo git's C-style quoting of a path (`"a/\303\244"`); unquoted paths pass through.
fn unquote(p: &[u8]) -> Option<Vec<u8>> {
    // A path followed by a tab and a timestamp (non-git diffs).
    let p = p.split(|&b| b == b'\t').next().unwrap_or(p);
    let Some(inner) = p.strip_prefix(b"\"").and_then(|x| x.strip_suffix(b"\"")) else {
        return Some(p.to_vec());
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        if inner[i] != b'\\' {
            out.push(inner[i]);
            i += 1;
            continue;
        }
        let c = *inner.get(i + 1)?;
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'r' => out.push(b'\r'),
            b'v' => out.push(11),
            b'0'..=b'3' => {
                let digits = inner.get(i..i + 2)?;
                let v =
                    u8::from_str_radix(std::str::from_utf8(&[c, digits[0], digits[1]]).ok()?, 8)
                        .ok()?;
                out.push(v);
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Whether `git apply` rejected the patch text itself rather than its fit.
fn is_corrupt(stderr: &str) -> bool {
    stderr.contains("corrupt patch at line")
        || stderr.contains("No valid patches in input")
        || stderr.contains("patch with only garbage")
        || stderr.contains("patch fragment without header")
}

/// The paths named in `git apply`'s error output.
pub fn failing_paths(stderr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("error: ") else {
            continue;
        };
        let path = if let Some(p) = rest.strip_prefix("patch failed: ") {
            p.rsplit_once(':').map(|(p, _)| p)
        } else {
            [
                ": patch does not apply",
                ": does not exist in index",
                ": already exists in index",
                ": does not match index",
                ": No such file or directory",
            ]
            .iter()
            .find_map(|suffix| rest.strip_suffix(suffix))
            .or_else(|| {
                rest.strip_prefix("repository lacks the necessary blob to perform 3-way merge. ")
                    .map(|_| "")
            })
        };
        if let Some(p) = path.filter(|p| !p.is_empty()) {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Turn the messages of steps from `(step, message)` on into one mbox (for `git am` in a
/// worktree), with CRLF normalized like `git mailsplit`.
pub fn remaining_mbox(steps: &[Step], from_step: usize, from_message: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, step) in steps.iter().enumerate().skip(from_step) {
        for (i, m) in mbox::split(&step.bytes).iter().enumerate() {
            if k == from_step && i < from_message {
                continue;
            }
            let raw = strip_cr(m.raw);
            if !raw.starts_with(b"From ") {
                out.extend_from_slice(
                    b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n",
                );
            }
            out.extend_from_slice(&raw);
            if !raw.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_apply_errors() {
        let stderr = "error: patch failed: pkg/a.go:12\nerror: pkg/a.go: patch does not apply\nerror: pkg/b.go: does not exist in index\n";
        assert_eq!(failing_paths(stderr), ["pkg/a.go", "pkg/b.go"]);
    }

    #[test]
    fn touched_paths_of_common_diffs() {
        let p = b"diff --git a/pkg/x.go b/pkg/x.go\nindex 1..2 100644\n--- a/pkg/x.go\n+++ b/pkg/x.go\n@@ -1 +1 @@\n-a\n+b\n\
diff --git a/old name.go b/new.go\nsimilarity index 90%\nrename from old name.go\nrename to new.go\n\
diff --git a/bin/logo b/bin/logo\nindex 1..2\nGIT binary patch\nliteral 1\nxx\n\
diff --git \"a/caf\\303\\251\" \"b/caf\\303\\251\"\nnew file mode 100644\n--- /dev/null\n+++ \"b/caf\\303\\251\"\n@@ -0,0 +1 @@\n+x\n";
        let got: Vec<String> = touched_paths(p)
            .unwrap()
            .into_iter()
            .map(|v| String::from_utf8(v).unwrap())
            .collect();
        assert_eq!(
            got,
            ["bin/logo", "café", "new.go", "old name.go", "pkg/x.go"]
        );
        assert_eq!(touched_paths(b"no diff here"), None);
    }

    #[test]
    fn rfc2822_dates_as_git_stores_them() {
        assert_eq!(
            rfc2822_to_git("Mon, 17 Sep 2001 00:00:00 +0200").as_deref(),
            Some("1000677600 +0200")
        );
        assert_eq!(
            rfc2822_to_git("Thu, 1 Jan 1970 00:00:00 +0000").as_deref(),
            Some("0 +0000")
        );
        assert_eq!(
            rfc2822_to_git("Tue, 29 Feb 2000 12:30:05 -0530").as_deref(),
            Some("951847205 -0530")
        );
        assert_eq!(rfc2822_to_git("yesterday"), None);
        assert_eq!(rfc2822_to_git("Mon, 17 Sep 2001 00:00:00 CEST"), None);
        assert!(plain_ident("Upstream Dev") && !plain_ident(" x") && !plain_ident("a>b"));
    }

    #[test]
    fn cr_is_stripped_only_before_lf() {
        assert_eq!(strip_cr(b"a\r\nb\rc\r\n"), b"a\nb\rc\n");
    }
}
