//! The upstream mirror: a bare repository in the cache directory that holds only what the
//! manifest needs (the root tags of its release chains, and — when the manifest has
//! `…/commit/<sha>.patch` or `…/pull/<N>.patch` URLs — the upstream's default branch, so that
//! those patches can be produced offline).

use crate::git::{is_object_id, Git, GitError};
use crate::{ForgeError, Workspace};
use std::collections::{BTreeMap, BTreeSet};

/// Ref under which the upstream's default branch (HEAD) is kept.
pub const UPSTREAM_HEAD_REF: &str = "refs/klts/upstream/HEAD";
/// Prefix of the refs `klts verify` writes for every release it materialized.
pub const RELEASES_REF_PREFIX: &str = "refs/klts/releases/";
/// Prefix of the refs recording which `refs/tags/*` klts created (so it never moves an
/// upstream tag).
pub const TAGGED_REF_PREFIX: &str = "refs/klts/tags/";

/// The local mirror of the upstream.
#[derive(Clone, Debug)]
pub struct Mirror {
    /// The git handle on the bare mirror.
    pub git: Git,
    /// The upstream location (URL or absolute path).
    pub location: String,
}

/// What `klts fetch` did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FetchReport {
    /// Tags fetched in this run.
    pub fetched: Vec<String>,
    /// Tags that were already in the mirror.
    pub present: Vec<String>,
    /// Tags the manifest needs that the upstream does not have.
    pub missing: Vec<String>,
    /// Whether the upstream's default branch was fetched too.
    pub head: bool,
}

/// All refs of the mirror, peeled to commits.
#[derive(Clone, Debug, Default)]
pub struct Refs {
    /// Full ref name → peeled commit id.
    pub map: BTreeMap<String, String>,
}

impl Refs {
    /// The commit of tag `name`.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.map
            .get(&format!("refs/tags/{name}"))
            .map(String::as_str)
    }
    /// The commit of any full ref.
    pub fn get(&self, full: &str) -> Option<&str> {
        self.map.get(full).map(String::as_str)
    }
}

impl Mirror {
    /// The mirror of `ws` (not created yet).
    pub fn of(ws: &Workspace) -> Mirror {
        Mirror {
            git: Git::new(ws.mirror_dir()),
            location: ws.upstream_location(),
        }
    }

    /// Whether the mirror exists on disk.
    pub fn exists(&self) -> bool {
        self.git.git_dir().join("HEAD").is_file()
    }

    /// Create the bare mirror if it does not exist. Created in a temporary directory and
    /// renamed, so that an interrupted run leaves no half-initialized repository.
    pub fn ensure(&self) -> Result<(), ForgeError> {
        if self.exists() {
            return Ok(());
        }
        let dir = self.git.git_dir();
        let parent = dir.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(|e| ForgeError::io(parent, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".upstream-init-")
            .tempdir_in(parent)
            .map_err(|e| ForgeError::io(parent, e))?;
        Git::new(tmp.path()).run(["init", "--bare", "--quiet"])?;
        // Objects we write ourselves must never be garbage-collected behind the step cache's
        // back; releases are kept reachable through refs/klts/releases/*.
        Git::new(tmp.path()).run(["config", "gc.pruneExpire", "never"])?;
        let tmp_path = tmp.keep();
        std::fs::rename(&tmp_path, dir).map_err(|e| ForgeError::io(dir, e))?;
        Ok(())
    }

    /// Every ref of the mirror, with annotated tags peeled to their commit.
    pub fn refs(&self) -> Result<Refs, ForgeError> {
        if !self.exists() {
            return Ok(Refs::default());
        }
        let out = self.git.text([
            "for-each-ref",
            "--format=%(refname) %(objectname) %(*objectname)",
        ])?;
        let mut map = BTreeMap::new();
        for line in out.lines() {
            let mut parts = line.split(' ');
            if let (Some(name), Some(oid)) = (parts.next(), parts.next()) {
                let peeled = parts.next().filter(|p| !p.is_empty()).unwrap_or(oid);
                map.insert(name.to_string(), peeled.to_string());
            }
        }
        Ok(Refs { map })
    }

    /// Tags the upstream has, by `git ls-remote` (one round trip).
    pub fn remote_tags(&self) -> Result<BTreeSet<String>, ForgeError> {
        let out = self
            .git
            .with_user_config()
            .text(["ls-remote", "--tags", "--refs", &self.location])
            .map_err(|e| self.unreachable(e))?;
        Ok(out
            .lines()
            .filter_map(|l| l.split('\t').nth(1))
            .filter_map(|r| r.strip_prefix("refs/tags/"))
            .map(str::to_string)
            .collect())
    }

    fn unreachable(&self, e: GitError) -> ForgeError {
        ForgeError::Upstream {
            location: self.location.clone(),
            message: format!(
                "cannot be read: {}\n  help: check `base:` in releases.yml and your network; --offline works from the mirror alone",
                e.stderr()
                    .lines()
                    .find(|l| l.starts_with("fatal:"))
                    .or_else(|| e.stderr().lines().next())
                    .unwrap_or("")
                    .trim_start_matches("fatal: ")
            ),
        }
    }

    /// Fetch the `wanted` tags that are not in the mirror yet (and the upstream HEAD when
    /// `head`). Tags the upstream lacks are reported in [`FetchReport::missing`], not fetched.
    pub fn fetch(&self, wanted: &BTreeSet<String>, head: bool) -> Result<FetchReport, ForgeError> {
        let refs = self.refs()?;
        let mut report = FetchReport::default();
        let mut need = Vec::new();
        for tag in wanted {
            if refs.tag(tag).is_some() || is_object_id(tag) {
                report.present.push(tag.clone());
            } else {
                need.push(tag.clone());
            }
        }
        if need.is_empty() && !head {
            return Ok(report);
        }
        // Ask the upstream first: an unreachable upstream leaves no empty mirror behind.
        let available = self.remote_tags()?;
        self.ensure()?;
        let mut refspecs = Vec::new();
        for tag in need {
            if available.contains(&tag) {
                refspecs.push(format!("+refs/tags/{tag}:refs/tags/{tag}"));
                report.fetched.push(tag);
            } else {
                report.missing.push(tag);
            }
        }
        if head {
            refspecs.push(format!("+HEAD:{UPSTREAM_HEAD_REF}"));
            report.head = true;
        }
        if refspecs.is_empty() {
            return Ok(report);
        }
        let mut args = vec![
            "fetch".to_string(),
            "--no-tags".into(),
            "--quiet".into(),
            "--no-write-fetch-head".into(),
            self.location.clone(),
        ];
        args.extend(refspecs);
        self.git
            .with_user_config()
            .run(&args)
            .map_err(|e| self.unreachable(e))?;
        Ok(report)
    }

    /// Resolve a chain root (a tag, or a full commit id) to a commit in the mirror.
    pub fn resolve_root(&self, refs: &Refs, root: &str) -> Option<String> {
        if let Some(c) = refs.tag(root) {
            return Some(c.to_string());
        }
        if is_object_id(root) {
            return self
                .git
                .text([
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{root}^{{commit}}"),
                ])
                .ok();
        }
        None
    }
}

/// The merge of a pull request in the mirror: `Merge pull request #N from …`, whose second
/// parent is the pull request's branch. Its commits are the range `first_parent..second_parent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullMerge {
    /// The pull request number.
    pub number: u64,
    /// The merge commit.
    pub merge: String,
    /// Its first parent (the branch the pull request was merged into).
    pub first_parent: String,
    /// Its second parent (the pull request's head).
    pub second_parent: String,
}

impl PullMerge {
    /// The pull request's own commits as a revision range (`first..second`).
    pub fn range(&self) -> String {
        format!("{}..{}", self.first_parent, self.second_parent)
    }
}

/// Find the merges of pull requests `numbers` in the mirror, in **one** `git log`: merges
/// reachable from a tag or from [`UPSTREAM_HEAD_REF`] (the upstream history; releases klts
/// materialized have no merges of their own) whose subject is exactly
/// `Merge pull request #N from …`. When a number was merged twice, the newest merge wins.
/// Numbers not found are absent from the map (the mirror may lack the branch they were
/// merged into: `klts fetch` fetches the default branch only when it is needed).
pub fn pull_request_merges(
    git: &Git,
    numbers: &[u64],
) -> Result<BTreeMap<u64, PullMerge>, GitError> {
    let mut found = BTreeMap::new();
    if numbers.is_empty() {
        return Ok(found);
    }
    let mut args: Vec<String> = vec![
        "log".into(),
        "--tags".into(),
        "--glob=refs/klts/upstream/*".into(),
        "--merges".into(),
        "-F".into(),
        "--format=%H %P%x00%s".into(),
    ];
    // Only u64 numbers reach git: the patterns cannot be options or regexes.
    args.extend(
        numbers
            .iter()
            .map(|n| format!("--grep=Merge pull request #{n} from ")),
    );
    let out = git.run(&args)?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((ids, subject)) = line.split_once('\0') else {
            continue;
        };
        let Some(number) = subject
            .strip_prefix("Merge pull request #")
            .and_then(|rest| rest.split_once(" from "))
            .and_then(|(n, _)| n.parse::<u64>().ok())
            .filter(|n| numbers.contains(n))
        else {
            continue;
        };
        let mut ids = ids.split(' ');
        let (Some(merge), Some(first), Some(second)) = (ids.next(), ids.next(), ids.next()) else {
            continue;
        };
        // git log lists newest first: keep the first merge seen for each number.
        found.entry(number).or_insert_with(|| PullMerge {
            number,
            merge: merge.to_string(),
            first_parent: first.to_string(),
            second_parent: second.to_string(),
        });
    }
    Ok(found)
}

/// The upstream refs the manifest needs: the root of every release chain.
pub fn needed_roots(ws: &Workspace) -> BTreeSet<String> {
    // Resolved once for all releases: linear in the manifest (klts_core::chains).
    ws.manifest.chain_index().roots_of(&ws.manifest.releases)
}
