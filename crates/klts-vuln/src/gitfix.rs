//! Git evidence for statuses, kernel-CNA style: from an advisory's fix references to the
//! upstream commits that fix it, and whether a release carries one of them.
//!
//! 1. [`fix_refs`] reads the advisory's reference URLs (OSV `FIX` references, the official
//!    feed's PR links): `…/commit/<sha>[.patch|.diff]`, `…/pull/<N>[.patch|.diff]` and
//!    `…/pull/<N>/commits/<sha>` of the upstream repository. Everything else is ignored. Only
//!    `[0-9a-f]{7,64}` shas and `u64` pull-request numbers come out, so nothing an advisory
//!    says can reach git as an option or a revision expression.
//! 2. [`FixIndex::resolve`] finds them in the upstream mirror: a commit by its (possibly
//!    abbreviated) id, a pull request by its merge `Merge pull request #N from …` reachable from
//!    a tag or the upstream default branch, whose **second-parent range** is the fix. What the
//!    mirror lacks is listed as missing, never an error (the mirror may hold tags only).
//! 3. [`FixIndex::upstream_fix`]: the root tag **contains** a fix commit (it is an ancestor), or
//!    contains a **cherry-pick** of it: among the root's commits since its merge-base with the
//!    fix, one with the same patch-id (`git patch-id --stable`), or one naming the fix in a
//!    trailer (below).
//! 4. [`FixIndex::patch_fix`]: a commit of the chain `root..release` (one per patch message,
//!    written by the engine) has the fix's **patch-id**, or names the fix in a **trailer**:
//!    `(cherry picked from commit <sha>)`, `Upstream commit <sha>`, `commit <sha> upstream.`,
//!    `Backport of <sha>`, with the full id or an abbreviation of at least 12 hex digits. A
//!    shorter abbreviation is too easy to match by chance across a Kubernetes-sized history.
//!
//! Name matching (`CVE-2021-3121.1.17`) and `fixes:` metadata stay with [`crate::status`]; this
//! module only reports what git shows, and every [`GitFix`] names the fix commit.
//!
//! **Cost.** Git work is batched: one `git log -p … | git patch-id --stable` per range of
//! commits, one `git log` for all pull requests of a call, one `git merge-base` per (root, fix)
//! pair. Everything derived from commit ids is immutable, so it is cached on disk under
//! `<cache>/patch-ids/v1/` and a warm run spawns no git process at all:
//!
//! ```text
//! commits/<xx>         <commit> <patch-id|-> <subject>, bucketed by the first byte
//! ranges/<a>-<b>.json  the commits of a..b (no merges): id, patch-id, subject, trailers
//! bases/<root>         <fix> <merge-base|->: merge-bases of fix commits with a root
//! refs                 commit <abbrev> <full> | pull <N> <merge> <first-parent> <second-parent>
//! missing              commits and pull requests not found, valid while the mirror's upstream
//!                      refs (tags, default branch) are unchanged
//! ```
//!
//! Files are written atomically; an entry that does not parse is ignored and recomputed (the
//! cache is never trusted to put anything but hex ids on a git command line). In memory, at
//! most [`MAX_RANGES`] ranges are kept; the rest is what one run asks for.

use klts_forge::fsutil::{atomic_write, sha256_hex};
use klts_forge::git::{is_object_id, Git, GitError};
use klts_forge::odb::{object_id, oid_hex, Odb};
use klts_forge::upstream::{pull_request_merges, Mirror, PullMerge};
use klts_forge::{ForgeError, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Ranges kept in memory at once (each is the commits of a release chain or of a release
/// branch since a merge-base; a run asks for about two per release).
pub const MAX_RANGES: usize = 256;

/// A fix named by an advisory reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixRef {
    /// A commit id, full or abbreviated (`[0-9a-f]{7,64}`).
    Commit(String),
    /// A pull request number.
    Pull(u64),
}

impl fmt::Display for FixRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixRef::Commit(sha) => write!(f, "commit {sha}"),
            FixRef::Pull(n) => write!(f, "pull request #{n}"),
        }
    }
}

/// Whether `s` is a lowercase hexadecimal commit id or abbreviation (7 to 64 digits).
pub fn is_commit_abbrev(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Fix references of an advisory for the upstream repository `repo`
/// (`github.com/kubernetes/kubernetes`): `…/commit/<sha>`, `…/commit/<sha>.patch`,
/// `…/pull/<N>`, `…/pull/<N>/commits/<sha>` (both the commit and the pull request),
/// `…/pull/<N>.patch` (and `.diff`). Other repositories and issue links are ignored.
/// Sorted (commits, then pull requests) and deduplicated.
pub fn fix_refs(references: &[String], repo: &str) -> Vec<FixRef> {
    let repo = repo.trim().trim_matches('/');
    let mut out = BTreeSet::new();
    if repo.is_empty() {
        return Vec::new();
    }
    for url in references {
        parse_fix_url(url, repo, &mut out);
    }
    out.into_iter().collect()
}

fn parse_fix_url(url: &str, repo: &str, out: &mut BTreeSet<FixRef>) {
    let url = url.trim();
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return;
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    // `get` instead of indexing: a multi-byte character may straddle the repo's length.
    let Some(head) = rest.get(..repo.len()) else {
        return;
    };
    if !head.eq_ignore_ascii_case(repo) {
        return;
    }
    let Some(tail) = rest[repo.len()..].strip_prefix('/') else {
        return;
    };
    let segments: Vec<&str> = tail.trim_end_matches('/').split('/').collect();
    let strip = |s: &str| -> String {
        s.strip_suffix(".patch")
            .or_else(|| s.strip_suffix(".diff"))
            .unwrap_or(s)
            .to_string()
    };
    let commit = |s: &str| {
        let s = strip(s).to_ascii_lowercase();
        is_commit_abbrev(&s).then_some(FixRef::Commit(s))
    };
    let pull = |s: &str| {
        let s = strip(s);
        // Digits only: `u64::from_str` also takes a leading `+`.
        (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n > 0)
            .map(FixRef::Pull)
    };
    match segments.as_slice() {
        ["commit", sha] => out.extend(commit(sha)),
        ["pull", n] => out.extend(pull(n)),
        ["pull", n, "commits", sha] => {
            out.extend(commit(sha));
            out.extend(pull(n));
        }
        _ => {}
    }
}

/// One upstream fix commit, resolved in the mirror.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FixCommit {
    /// The full commit id.
    pub commit: String,
    /// Its subject.
    pub subject: String,
    /// `git patch-id --stable` of its diff (`None` for a commit without a diff).
    pub patch_id: Option<String>,
    /// The reference that named it.
    pub via: FixRef,
}

/// Fix references resolved in the mirror.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The fix commits, in reference order, each once.
    pub commits: Vec<FixCommit>,
    /// References the mirror does not have (or an abbreviation it cannot tell apart).
    pub missing: Vec<FixRef>,
}

/// How a release carries a fix. Every variant names the fix commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GitFix {
    /// The root tag contains the fix commit itself.
    Contains {
        /// The fix commit.
        fix: String,
    },
    /// The root tag contains a cherry-pick of the fix on its release branch: a commit with
    /// the fix's patch-id, or one naming the fix in a trailer.
    CherryPick {
        /// The fix commit.
        fix: String,
        /// The commit of the root's history that carries it.
        commit: String,
    },
    /// A commit of the release chain (a patch) has the fix's patch-id.
    PatchId {
        /// The fix commit.
        fix: String,
        /// The chain commit.
        commit: String,
        /// Its subject.
        subject: String,
    },
    /// A commit of the release chain names the fix in a trailer.
    Trailer {
        /// The fix commit.
        fix: String,
        /// The chain commit.
        commit: String,
        /// Its subject.
        subject: String,
        /// The trailer line.
        trailer: String,
    },
}

impl GitFix {
    /// The fix commit this evidence is about.
    pub fn fix(&self) -> &str {
        match self {
            GitFix::Contains { fix }
            | GitFix::CherryPick { fix, .. }
            | GitFix::PatchId { fix, .. }
            | GitFix::Trailer { fix, .. } => fix,
        }
    }
}

/// A commit message line naming another commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// The commit named, lowercase hex, 12 to 64 digits.
    pub commit: String,
    /// The line, made printable.
    pub line: String,
}

impl Trailer {
    /// Whether the trailer names `commit` (a full id).
    pub fn names(&self, commit: &str) -> bool {
        self.commit.len() >= 12 && commit.starts_with(&self.commit)
    }
}

/// Trailers of a commit message that name another commit (see the module docs).
pub fn trailers(message: &str) -> Vec<Trailer> {
    let mut out = Vec::new();
    for line in message.lines() {
        let text = line.trim();
        let lower = text.to_ascii_lowercase();
        let lower = lower.trim_start_matches("[ ").trim_start_matches('[');
        let named = if let Some(r) = lower.strip_prefix("(cherry picked from commit ") {
            leading_sha(r).filter(|(_, rest)| rest.starts_with(')'))
        } else if let Some(r) = lower.strip_prefix("upstream commit ") {
            leading_sha(r)
        } else if let Some(r) = lower.strip_prefix("backport of ") {
            leading_sha(r.strip_prefix("commit ").unwrap_or(r))
        } else if let Some(r) = lower.strip_prefix("commit ") {
            leading_sha(r).filter(|(_, rest)| rest.starts_with(" upstream"))
        } else {
            None
        };
        if let Some((sha, _)) = named {
            out.push(Trailer {
                commit: sha.to_string(),
                line: klts_core::names::printable(text, 200),
            });
        }
    }
    out
}

/// A 12..=64-digit hex token at the start of `s`, and what follows it.
fn leading_sha(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_hexdigit).count();
    let (sha, rest) = s.split_at(n);
    let whole_token = !rest.starts_with(|c: char| c.is_ascii_alphanumeric());
    ((12..=64).contains(&n) && whole_token).then_some((sha, rest))
}

/// The subject git shows (`%s`): the first paragraph of the message, lines joined by spaces.
fn subject_of(message: &str) -> String {
    message
        .trim_start_matches('\n')
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One commit of a range, as cached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCommit {
    /// The commit id.
    pub commit: String,
    /// Its patch-id (`None` without a diff).
    pub patch_id: Option<String>,
    /// Its subject.
    pub subject: String,
    /// Lines naming other commits.
    pub trailers: Vec<Trailer>,
}

/// The commits of a range, indexed by patch-id.
#[derive(Debug)]
struct RangeIndex {
    commits: Vec<RangeCommit>,
    by_patch_id: HashMap<String, usize>,
}

impl RangeIndex {
    fn new(commits: Vec<RangeCommit>) -> RangeIndex {
        let mut by_patch_id = HashMap::new();
        for (i, c) in commits.iter().enumerate() {
            if let Some(p) = &c.patch_id {
                // The oldest commit with a patch-id is the one that first carried the change.
                by_patch_id.insert(p.clone(), i);
            }
        }
        RangeIndex {
            commits,
            by_patch_id,
        }
    }
}

/// What a cached commit is: its patch-id and subject.
#[derive(Clone, Debug)]
struct CommitInfo {
    patch_id: Option<String>,
    subject: String,
}

#[derive(Default)]
struct Bucket {
    entries: HashMap<String, CommitInfo>,
    dirty: bool,
}

#[derive(Default)]
struct Bases {
    map: HashMap<String, Option<String>>,
    dirty: bool,
}

/// How many git processes an index started (for tests and benchmarks: a warm run starts none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GitRuns {
    /// `git patch-id` runs.
    pub patch_id: usize,
    /// Every git process, `patch-id` included.
    pub total: usize,
}

/// Fix commits and patch-ids of an upstream mirror, with their on-disk cache.
pub struct FixIndex {
    git: Git,
    dir: PathBuf,
    odb: Option<Odb>,
    runs: GitRuns,
    buckets: HashMap<u8, Bucket>,
    ranges: HashMap<(String, String), Arc<RangeIndex>>,
    bases: HashMap<String, Bases>,
    refs_loaded: bool,
    commit_refs: HashMap<String, String>,
    pull_refs: HashMap<u64, PullMerge>,
    refs_dirty: bool,
    missing: Option<(String, BTreeSet<FixRef>)>,
    missing_dirty: bool,
}

const CACHE_VERSION: &str = "v1";

fn is_patch_id(s: &str) -> bool {
    is_object_id(s) && !s.bytes().any(|b| b.is_ascii_uppercase())
}

impl FixIndex {
    /// The index of the workspace's mirror; `None` when there is no mirror yet.
    pub fn open(ws: &Workspace) -> Result<Option<FixIndex>, ForgeError> {
        let mirror = Mirror::of(ws);
        if !mirror.exists() {
            return Ok(None);
        }
        Ok(Some(FixIndex::at(
            &ws.mirror_dir(),
            &ws.cache_dir.join("patch-ids"),
        )))
    }

    /// An index on the bare repository `git_dir`, caching under `cache`.
    pub fn at(git_dir: &Path, cache: &Path) -> FixIndex {
        FixIndex {
            git: Git::new(git_dir),
            dir: cache.join(CACHE_VERSION),
            odb: None,
            runs: GitRuns::default(),
            buckets: HashMap::new(),
            ranges: HashMap::new(),
            bases: HashMap::new(),
            refs_loaded: false,
            commit_refs: HashMap::new(),
            pull_refs: HashMap::new(),
            refs_dirty: false,
            missing: None,
            missing_dirty: false,
        }
    }

    /// Git processes started so far.
    pub fn git_runs(&self) -> GitRuns {
        self.runs
    }

    fn run(&mut self, args: &[String]) -> Result<std::process::Output, GitError> {
        self.runs.total += 1;
        self.git.run(args)
    }

    // ---- cache files -------------------------------------------------------------------

    fn read_cache(&self, path: &Path) -> Result<Option<String>, ForgeError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(cache_error(path, e)),
        }
    }

    fn write_cache(&self, path: &Path, text: &str) -> Result<(), ForgeError> {
        atomic_write(path, text.as_bytes()).map_err(|e| cache_error(path, e))
    }

    fn bucket(&mut self, commit: &str) -> Result<&mut Bucket, ForgeError> {
        let key = u8::from_str_radix(commit.get(..2).unwrap_or("00"), 16).unwrap_or(0);
        if !self.buckets.contains_key(&key) {
            let mut bucket = Bucket::default();
            let path = self.dir.join("commits").join(format!("{key:02x}"));
            if let Some(text) = self.read_cache(&path)? {
                for line in text.lines() {
                    let mut parts = line.splitn(3, ' ');
                    let (Some(c), Some(p), Some(subject)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let patch_id = match p {
                        "-" => None,
                        p if is_patch_id(p) => Some(p.to_string()),
                        _ => continue,
                    };
                    if is_object_id(c) {
                        bucket.entries.insert(
                            c.to_string(),
                            CommitInfo {
                                patch_id,
                                subject: subject.to_string(),
                            },
                        );
                    }
                }
            }
            self.buckets.insert(key, bucket);
        }
        Ok(self.buckets.entry(key).or_default())
    }

    fn cached_commit(&mut self, commit: &str) -> Result<Option<CommitInfo>, ForgeError> {
        Ok(self.bucket(commit)?.entries.get(commit).cloned())
    }

    fn remember_commit(&mut self, commit: &str, info: CommitInfo) -> Result<(), ForgeError> {
        let bucket = self.bucket(commit)?;
        bucket.entries.insert(commit.to_string(), info);
        bucket.dirty = true;
        Ok(())
    }

    fn load_refs(&mut self) -> Result<(), ForgeError> {
        if self.refs_loaded {
            return Ok(());
        }
        self.refs_loaded = true;
        let Some(text) = self.read_cache(&self.dir.join("refs"))? else {
            return Ok(());
        };
        for line in text.lines() {
            let w: Vec<&str> = line.split(' ').collect();
            match w.as_slice() {
                ["commit", abbrev, full] if is_commit_abbrev(abbrev) && is_object_id(full) => {
                    self.commit_refs
                        .insert(abbrev.to_string(), full.to_string());
                }
                ["pull", n, merge, first, second]
                    if [merge, first, second].iter().all(|c| is_object_id(c)) =>
                {
                    if let Ok(number) = n.parse::<u64>() {
                        self.pull_refs.insert(
                            number,
                            PullMerge {
                                number,
                                merge: merge.to_string(),
                                first_parent: first.to_string(),
                                second_parent: second.to_string(),
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn load_bases(&mut self, root: &str) -> Result<(), ForgeError> {
        if self.bases.contains_key(root) {
            return Ok(());
        }
        let mut bases = Bases::default();
        if let Some(text) = self.read_cache(&self.dir.join("bases").join(root))? {
            for line in text.lines() {
                if let Some((fix, base)) = line.split_once(' ') {
                    if !is_object_id(fix) {
                        continue;
                    }
                    match base {
                        "-" => bases.map.insert(fix.to_string(), None),
                        b if is_object_id(b) => bases.map.insert(fix.to_string(), Some(b.into())),
                        _ => continue,
                    };
                }
            }
        }
        self.bases.insert(root.to_string(), bases);
        Ok(())
    }

    /// Write what this run learned to the cache. Also done (best effort) when the index is
    /// dropped; call it to see the errors.
    pub fn flush(&mut self) -> Result<(), ForgeError> {
        let mut keys: Vec<u8> = self
            .buckets
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable();
        for key in keys {
            let mut lines: Vec<String> = self.buckets[&key]
                .entries
                .iter()
                .map(|(c, i)| {
                    format!(
                        "{c} {} {}\n",
                        i.patch_id.as_deref().unwrap_or("-"),
                        i.subject
                    )
                })
                .collect();
            lines.sort();
            self.write_cache(
                &self.dir.join("commits").join(format!("{key:02x}")),
                &lines.concat(),
            )?;
            if let Some(b) = self.buckets.get_mut(&key) {
                b.dirty = false;
            }
        }
        let mut roots: Vec<String> = self
            .bases
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(r, _)| r.clone())
            .collect();
        roots.sort();
        for root in roots {
            let mut lines: Vec<String> = self.bases[&root]
                .map
                .iter()
                .map(|(f, b)| format!("{f} {}\n", b.as_deref().unwrap_or("-")))
                .collect();
            lines.sort();
            self.write_cache(&self.dir.join("bases").join(&root), &lines.concat())?;
            if let Some(b) = self.bases.get_mut(&root) {
                b.dirty = false;
            }
        }
        if self.refs_dirty {
            let mut lines: Vec<String> = self
                .commit_refs
                .iter()
                .map(|(a, f)| format!("commit {a} {f}\n"))
                .chain(self.pull_refs.values().map(|p| {
                    format!(
                        "pull {} {} {} {}\n",
                        p.number, p.merge, p.first_parent, p.second_parent
                    )
                }))
                .collect();
            lines.sort();
            self.write_cache(&self.dir.join("refs"), &lines.concat())?;
            self.refs_dirty = false;
        }
        if self.missing_dirty {
            if let Some((fingerprint, refs)) = &self.missing {
                let mut text = format!("{fingerprint}\n");
                for r in refs {
                    match r {
                        FixRef::Commit(sha) => text.push_str(&format!("commit {sha}\n")),
                        FixRef::Pull(n) => text.push_str(&format!("pull {n}\n")),
                    }
                }
                self.write_cache(&self.dir.join("missing"), &text)?;
            }
            self.missing_dirty = false;
        }
        Ok(())
    }

    // ---- git ---------------------------------------------------------------------------

    /// Patch-ids of `commits` (full ids), in one `git log -p | git patch-id --stable`.
    fn compute_patch_ids(
        &mut self,
        commits: &[String],
    ) -> Result<HashMap<String, String>, ForgeError> {
        let mut out = HashMap::new();
        if commits.is_empty() {
            return Ok(out);
        }
        let input: String = commits.iter().map(|c| format!("{c}\n")).collect();
        self.runs.total += 2;
        self.runs.patch_id += 1;
        // Fixed diff options: the patch-id must not depend on configuration (renames, external
        // diff drivers, colour), on either side of a comparison.
        let output = self.git.pipe(
            [
                "log",
                "--no-walk=unsorted",
                "--stdin",
                "-p",
                "--no-renames",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                "--format=commit %H",
            ],
            input.as_bytes(),
            ["patch-id", "--stable"],
        )?;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some((pid, commit)) = line.split_once(' ') {
                if is_patch_id(pid) && is_object_id(commit) {
                    out.insert(commit.to_string(), pid.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The commits of `a..b` (no merges), oldest first, with patch-ids and trailers.
    fn range(&mut self, a: &str, b: &str) -> Result<Arc<RangeIndex>, ForgeError> {
        let key = (a.to_string(), b.to_string());
        if let Some(r) = self.ranges.get(&key) {
            return Ok(Arc::clone(r));
        }
        let path = self.dir.join("ranges").join(format!("{a}-{b}.json"));
        let cached = self
            .read_cache(&path)?
            .and_then(|text| serde_json::from_str::<Vec<RangeCommit>>(&text).ok())
            .filter(|commits| {
                commits.iter().all(|c| {
                    is_object_id(&c.commit) && c.patch_id.as_deref().is_none_or(is_patch_id)
                })
            });
        let commits = match cached {
            Some(commits) => commits,
            None => {
                let commits = self.compute_range(a, b)?;
                let json = serde_json::to_string(&commits)
                    .map_err(|e| ForgeError::Other(format!("serializing a range: {e}")))?;
                self.write_cache(&path, &json)?;
                commits
            }
        };
        let index = Arc::new(RangeIndex::new(commits));
        if self.ranges.len() >= MAX_RANGES {
            self.ranges.clear();
        }
        self.ranges.insert(key, Arc::clone(&index));
        Ok(index)
    }

    fn compute_range(&mut self, a: &str, b: &str) -> Result<Vec<RangeCommit>, ForgeError> {
        let out = self.run(&[
            "log".into(),
            "--no-merges".into(),
            "--reverse".into(),
            "-z".into(),
            "--format=%H%n%B".into(),
            format!("{a}..{b}"),
        ])?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut commits = Vec::new();
        for record in text.split('\0') {
            let record = record.trim_start_matches('\n');
            let (commit, message) = record.split_once('\n').unwrap_or((record, ""));
            if !is_object_id(commit) {
                continue;
            }
            commits.push(RangeCommit {
                commit: commit.to_string(),
                patch_id: None,
                subject: subject_of(message),
                trailers: trailers(message),
            });
        }
        let mut unknown = Vec::new();
        for c in &mut commits {
            match self.cached_commit(&c.commit)? {
                Some(info) => c.patch_id = info.patch_id,
                None => unknown.push(c.commit.clone()),
            }
        }
        let ids = self.compute_patch_ids(&unknown)?;
        // A set: a release branch since an old merge-base has thousands of commits.
        let unknown: HashSet<String> = unknown.into_iter().collect();
        for c in &mut commits {
            if unknown.contains(&c.commit) {
                c.patch_id = ids.get(&c.commit).cloned();
                self.remember_commit(
                    &c.commit,
                    CommitInfo {
                        patch_id: c.patch_id.clone(),
                        subject: c.subject.clone(),
                    },
                )?;
            }
        }
        Ok(commits)
    }

    /// The merge-base of `fix` and `root` (cached per root).
    fn merge_base(&mut self, fix: &str, root: &str) -> Result<Option<String>, ForgeError> {
        self.load_bases(root)?;
        if let Some(b) = self.bases.get(root).and_then(|b| b.map.get(fix)) {
            return Ok(b.clone());
        }
        let base = match self.run(&["merge-base".into(), fix.into(), root.into()]) {
            Ok(out) => Some(String::from_utf8_lossy(&out.stdout).trim().to_string()),
            // Exit 1 without a message: the histories are unrelated.
            Err(GitError::Failed { stderr, stdout, .. })
                if stderr.is_empty() && stdout.trim().is_empty() =>
            {
                None
            }
            Err(e) => return Err(e.into()),
        };
        let base = base.filter(|b| is_object_id(b));
        let entry = self.bases.entry(root.to_string()).or_default();
        entry.map.insert(fix.to_string(), base.clone());
        entry.dirty = true;
        Ok(base)
    }

    fn odb(&mut self) -> Result<&mut Odb, ForgeError> {
        if self.odb.is_none() {
            self.runs.total += 1;
            self.odb = Some(Odb::open(self.git.git_dir())?);
        }
        self.odb
            .as_mut()
            .ok_or_else(|| ForgeError::Other("object reader not started".into()))
    }

    /// The fingerprint of the upstream refs (tags and the default branch): commits and pull
    /// requests not found stay not found while it is unchanged. One cheap `git for-each-ref`,
    /// only in a run that meets a reference the mirror lacked before.
    fn upstream_fingerprint(&mut self) -> Result<String, ForgeError> {
        let out = self.run(&[
            "for-each-ref".into(),
            "--format=%(refname) %(objectname)".into(),
            "refs/tags".into(),
            "refs/klts/upstream".into(),
        ])?;
        Ok(sha256_hex(&out.stdout))
    }

    /// References known to be absent from the mirror in its current state.
    fn missing(&mut self) -> Result<&mut BTreeSet<FixRef>, ForgeError> {
        if self.missing.is_none() {
            let fingerprint = self.upstream_fingerprint()?;
            let mut refs = BTreeSet::new();
            if let Some(text) = self.read_cache(&self.dir.join("missing"))? {
                let mut lines = text.lines();
                if lines.next() == Some(fingerprint.as_str()) {
                    for line in lines {
                        match line.split_once(' ') {
                            Some(("commit", sha)) if is_commit_abbrev(sha) => {
                                refs.insert(FixRef::Commit(sha.to_string()));
                            }
                            Some(("pull", n)) => refs.extend(n.parse().ok().map(FixRef::Pull)),
                            _ => {}
                        }
                    }
                }
            }
            self.missing = Some((fingerprint, refs));
        }
        self.missing
            .as_mut()
            .map(|(_, refs)| refs)
            .ok_or_else(|| ForgeError::Other("missing references not loaded".into()))
    }

    fn mark_missing(&mut self, r: FixRef) -> Result<(), ForgeError> {
        if self.missing()?.insert(r) {
            self.missing_dirty = true;
        }
        Ok(())
    }

    /// Resolve `refs` to commits of the mirror: a commit by its id, a pull request by the
    /// second-parent range of its merge. What the mirror does not have is in
    /// [`Resolved::missing`]. Commits are listed once, in reference order.
    pub fn resolve(&mut self, refs: &[FixRef]) -> Result<Resolved, ForgeError> {
        self.load_refs()?;
        let mut resolved = Resolved::default();
        let mut found: Vec<(String, FixRef)> = Vec::new();
        // Pull requests: cached merges, then one `git log` for the rest.
        let wanted: Vec<u64> = refs
            .iter()
            .filter_map(|r| match r {
                FixRef::Pull(n) if !self.pull_refs.contains_key(n) => Some(*n),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !wanted.is_empty() {
            let known_missing = self.missing()?.clone();
            let search: Vec<u64> = wanted
                .into_iter()
                .filter(|n| !known_missing.contains(&FixRef::Pull(*n)))
                .collect();
            if !search.is_empty() {
                self.runs.total += 1;
                let merges = pull_request_merges(&self.git, &search)?;
                for n in &search {
                    match merges.get(n) {
                        Some(m)
                            if [&m.merge, &m.first_parent, &m.second_parent]
                                .iter()
                                .all(|c| is_object_id(c)) =>
                        {
                            self.pull_refs.insert(*n, m.clone());
                            self.refs_dirty = true;
                        }
                        _ => self.mark_missing(FixRef::Pull(*n))?,
                    }
                }
            }
        }
        for r in refs {
            match r {
                FixRef::Commit(sha) => match self.find_commit(sha)? {
                    Some(full) => found.push((full, r.clone())),
                    None => resolved.missing.push(r.clone()),
                },
                FixRef::Pull(n) => {
                    let Some(pull) = self.pull_refs.get(n).cloned() else {
                        resolved.missing.push(r.clone());
                        continue;
                    };
                    let range = self.range(&pull.first_parent, &pull.second_parent)?;
                    if range.commits.is_empty() {
                        resolved.missing.push(r.clone());
                    }
                    for c in &range.commits {
                        found.push((c.commit.clone(), r.clone()));
                    }
                }
            }
        }
        // Patch-ids of commits named directly, in one batch.
        let mut seen = HashSet::new();
        found.retain(|(c, _)| seen.insert(c.clone()));
        let mut unknown = Vec::new();
        for (c, _) in &found {
            if self.cached_commit(c)?.is_none() {
                unknown.push(c.clone());
            }
        }
        if !unknown.is_empty() {
            let ids = self.compute_patch_ids(&unknown)?;
            for c in &unknown {
                let subject = self.read_subject(c)?;
                self.remember_commit(
                    c,
                    CommitInfo {
                        patch_id: ids.get(c).cloned(),
                        subject,
                    },
                )?;
            }
        }
        for (commit, via) in found {
            let info = self.cached_commit(&commit)?.ok_or_else(|| {
                ForgeError::Other(format!("commit {commit} vanished from the patch-id cache"))
            })?;
            resolved.commits.push(FixCommit {
                commit,
                subject: info.subject,
                patch_id: info.patch_id,
                via,
            });
        }
        Ok(resolved)
    }

    /// The full id of the commit `sha` names, if the mirror has exactly one.
    fn find_commit(&mut self, sha: &str) -> Result<Option<String>, ForgeError> {
        // Checked again here: a `FixRef` may be built by hand, and only hex reaches git.
        if !is_commit_abbrev(sha) {
            return Ok(None);
        }
        if let Some(full) = self.commit_refs.get(sha) {
            return Ok(Some(full.clone()));
        }
        if is_object_id(sha) && self.cached_commit(sha)?.is_some() {
            return Ok(Some(sha.to_string()));
        }
        let key = FixRef::Commit(sha.to_string());
        if self.missing()?.contains(&key) {
            return Ok(None);
        }
        // `cat-file --batch` answers `missing` for an unknown or ambiguous abbreviation.
        let found = self.odb()?.read(sha)?;
        let Some(("commit", body)) = found.as_ref().map(|(k, b)| (k.as_str(), b)) else {
            self.mark_missing(key)?;
            return Ok(None);
        };
        let full = oid_hex(&object_id("commit", body));
        self.commit_refs.insert(sha.to_string(), full.clone());
        self.refs_dirty = true;
        Ok(Some(full))
    }

    fn read_subject(&mut self, commit: &str) -> Result<String, ForgeError> {
        let (_, body) = self
            .odb()?
            .read(commit)?
            .ok_or_else(|| ForgeError::Other(format!("the mirror has no commit {commit}")))?;
        let text = String::from_utf8_lossy(&body);
        let message = text.split_once("\n\n").map(|(_, m)| m).unwrap_or("");
        Ok(subject_of(message))
    }

    fn commit_arg(what: &str, rev: &str) -> Result<String, ForgeError> {
        if is_object_id(rev) {
            Ok(rev.to_ascii_lowercase())
        } else {
            Err(ForgeError::Other(format!(
                "{what} `{}` is not a full commit id\n  help: pass the commits of a verify report (`root_commit`, `commit`)",
                klts_core::names::printable(rev, 80)
            )))
        }
    }

    /// Whether the upstream root commit carries the fix: it contains a fix commit, or a commit
    /// with its patch-id or naming it in a trailer among the root's commits since its
    /// merge-base with the fix. `None` when it does not (or `fix` has no commits).
    pub fn upstream_fix(
        &mut self,
        root: &str,
        fix: &Resolved,
    ) -> Result<Option<GitFix>, ForgeError> {
        let root = Self::commit_arg("root", root)?;
        let mut bases = Vec::new();
        for c in &fix.commits {
            let base = self.merge_base(&c.commit, &root)?;
            if base.as_deref() == Some(c.commit.as_str()) {
                return Ok(Some(GitFix::Contains {
                    fix: c.commit.clone(),
                }));
            }
            bases.push(base);
        }
        for (c, base) in fix.commits.iter().zip(bases) {
            // Unrelated histories: nothing of the root's can be a pick of it.
            let Some(base) = base else { continue };
            let range = self.range(&base, &root)?;
            if let Some(&i) = c.patch_id.as_ref().and_then(|p| range.by_patch_id.get(p)) {
                return Ok(Some(GitFix::CherryPick {
                    fix: c.commit.clone(),
                    commit: range.commits[i].commit.clone(),
                }));
            }
            if let Some(rc) = range
                .commits
                .iter()
                .find(|rc| rc.trailers.iter().any(|t| t.names(&c.commit)))
            {
                return Ok(Some(GitFix::CherryPick {
                    fix: c.commit.clone(),
                    commit: rc.commit.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// Whether a commit of the chain `root..release` (the release's patches) carries the fix:
    /// the same patch-id first, then a trailer naming a fix commit.
    pub fn patch_fix(
        &mut self,
        root: &str,
        release: &str,
        fix: &Resolved,
    ) -> Result<Option<GitFix>, ForgeError> {
        let root = Self::commit_arg("root", root)?;
        let release = Self::commit_arg("release", release)?;
        if fix.commits.is_empty() {
            return Ok(None);
        }
        let range = self.range(&root, &release)?;
        for c in &fix.commits {
            if let Some(&i) = c.patch_id.as_ref().and_then(|p| range.by_patch_id.get(p)) {
                let rc = &range.commits[i];
                return Ok(Some(GitFix::PatchId {
                    fix: c.commit.clone(),
                    commit: rc.commit.clone(),
                    subject: rc.subject.clone(),
                }));
            }
        }
        for rc in &range.commits {
            for t in &rc.trailers {
                if let Some(c) = fix.commits.iter().find(|c| t.names(&c.commit)) {
                    return Ok(Some(GitFix::Trailer {
                        fix: c.commit.clone(),
                        commit: rc.commit.clone(),
                        subject: rc.subject.clone(),
                        trailer: t.line.clone(),
                    }));
                }
            }
        }
        Ok(None)
    }
}

impl Drop for FixIndex {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "cannot write the patch-id cache");
        }
    }
}

fn cache_error(path: &Path, e: std::io::Error) -> ForgeError {
    ForgeError::Other(format!(
        "{}: {e}\n  help: the patch-id cache can be deleted; it is rebuilt from the mirror",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &str = "github.com/kubernetes/kubernetes";

    #[test]
    fn reference_forms() {
        let refs: Vec<String> = [
            "https://github.com/kubernetes/kubernetes/pull/101327",
            "https://github.com/kubernetes/kubernetes/pull/101327.patch",
            "https://github.com/kubernetes/kubernetes/commit/8686EDEDFC90076914c5238eb96c883ea093a8ba",
            "https://github.com/kubernetes/kubernetes/commit/abcdef1.patch",
            "https://github.com/Kubernetes/Kubernetes/pull/7/commits/0123456789ab?diff=split",
            "https://github.com/kubernetes/kubernetes/issues/60813",
            "https://github.com/kubernetes/kubernetes-sigs/pull/5",
            "https://github.com/containerd/containerd/commit/8686ededfc90076914c5238eb96c883ea093a8ba",
            "https://github.com/kubernetes/kubernetes/pull/+5",
            "https://github.com/kubernetes/kubernetes/commit/abc",
            "https://github.com/kubernetes/kubernetes/commit/--all",
            "https://www.cve.org/cverecord?id=CVE-2017-1002101",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            fix_refs(&refs, REPO),
            vec![
                FixRef::Commit("0123456789ab".into()),
                FixRef::Commit("8686ededfc90076914c5238eb96c883ea093a8ba".into()),
                FixRef::Commit("abcdef1".into()),
                FixRef::Pull(7),
                FixRef::Pull(101327),
            ]
        );
    }

    #[test]
    fn trailer_forms() {
        let msg = "Fix it\n\nUpstream commit 0123456789abcdef\n(cherry picked from commit aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)\ncommit bbbbbbbbbbbb upstream.\nBackport of cccccccccccc1\n[ Upstream commit dddddddddddd ]\nUpstream commit 0123456 (too short)\ncommit eeeeeeeeeeee is great\n";
        let t: Vec<String> = trailers(msg).into_iter().map(|t| t.commit).collect();
        assert_eq!(
            t,
            [
                "0123456789abcdef",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "bbbbbbbbbbbb",
                "cccccccccccc1",
                "dddddddddddd"
            ]
        );
        let tr = &trailers(msg)[0];
        assert!(tr.names("0123456789abcdef0000000000000000000000ff"));
        assert!(!tr.names("1123456789abcdef0000000000000000000000ff"));
    }

    #[test]
    fn subjects_join_the_first_paragraph() {
        assert_eq!(subject_of("one\ntwo\n\nbody\n"), "one two");
        assert_eq!(subject_of(""), "");
    }
}
