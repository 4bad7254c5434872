//! Finishing a backport by hand: `klts backport FIX --resolve LINE --worktree DIR` and
//! `klts refresh NAME --worktree DIR`.
//!
//! **Start.** The line's newest release is checked out into DIR by [`crate::checkout`] (the
//! release is materialized, tagged in the mirror and added as a linked worktree of the
//! mirror), then the real `git am -3` runs there with the fix's commits in the very form
//! `--write` writes them (`git format-patch` messages with the `(cherry picked from commit …)`
//! trailer). Commits already present or not applicable on the line are left out, as in the
//! report. `git am` stops at the conflicting commit with conflict markers: the maintainer
//! resolves, `git add`s, `git am --continue`s, exactly as with any mailing-list patch.
//!
//! **State.** What `refresh` needs — the line, its release and that release's commit (the base),
//! NAME and the fix's commits — is recorded in `klts-backport.json` in DIR's own git directory
//! (`<mirror>/worktrees/<DIR>/`), so it goes away with `git worktree remove` and is never
//! committed. It is validated when read: a file that does not parse, names another NAME or a
//! base that is not a commit id is refused, not guessed around.
//!
//! **Refresh.** Refused while `git am` is still in progress or while tracked files have
//! uncommitted changes (untracked files are ignored: they cannot be part of the commits). The
//! commits `base..HEAD` are written by the same writer as `--write`
//! (`crate::backport::plan_lines`: `patches/NAME.<line>.patch` in `git format-patch` form, and
//! the next release of the line in releases.yml with the comment-preserving edit), atomically;
//! nothing is written when a check fails. The line's newest release must still be the one the
//! worktree was made from, so the new release really sits on top of what was resolved against.
//! The state file is removed after a successful refresh, so a second refresh is refused.

use crate::backport::{new_patch, plan_lines, with_trailer, AppliedLine, BackportReport};
use crate::backport::{CommitStatus, WritePlan};
use crate::checkout::{check_new_worktree, checkout, CheckoutOutcome};
use crate::git::{is_object_id, Git, COMMITTER_EMAIL, COMMITTER_NAME};
use crate::upstream::Mirror;
use crate::verify::VerifyOptions;
use crate::{ForgeError, Workspace};
use klts_core::edit;
use klts_core::names::{self, NameKind};
use klts_core::MinorLine;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The state file's name inside the worktree's git directory.
pub const STATE_FILE: &str = "klts-backport.json";
const STATE_VERSION: u32 = 1;

/// What `refresh` needs to know about a worktree made by `--resolve`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveState {
    /// Format version of this file.
    pub version: u32,
    /// NAME of the backport (`patches/NAME.<line>.patch`).
    pub name: String,
    /// The line.
    pub line: String,
    /// The line's newest release when the worktree was made (the new release's base).
    pub release: String,
    /// That release's commit: the commits on top of it are the backport.
    pub base_commit: String,
    /// The upstream commits of the fix (for the record).
    pub fix_commits: Vec<String>,
}

impl ResolveState {
    fn check(&self, file: &Path) -> Result<(), ForgeError> {
        let bad = |what: String| {
            ForgeError::Other(format!(
                "{}: {what}\n  help: this file is written by `klts backport --resolve`; start again in a new directory",
                file.display()
            ))
        };
        if self.version != STATE_VERSION {
            return Err(bad(format!("unknown version {}", self.version)));
        }
        names::check(NameKind::Patch, &self.name).map_err(|e| bad(e.to_string()))?;
        self.line
            .parse::<MinorLine>()
            .map_err(|e| bad(format!("line: {e}")))?;
        names::check(NameKind::Release, &self.release).map_err(|e| bad(e.to_string()))?;
        if !is_object_id(&self.base_commit) {
            return Err(bad("base_commit is not a commit id".into()));
        }
        if let Some(c) = self.fix_commits.iter().find(|c| !is_object_id(c)) {
            return Err(bad(format!(
                "fix commit `{}` is not a commit id",
                names::printable(c, 80)
            )));
        }
        Ok(())
    }
}

/// Where `--resolve` left the worktree.
#[derive(Clone, Debug, Serialize)]
pub struct ResolveOutcome {
    /// The worktree.
    pub worktree: PathBuf,
    /// The recorded state.
    pub state: ResolveState,
    /// Whether `git am` stopped at a conflict (else every commit applied).
    pub stopped: bool,
    /// The subject of the commit `git am` stopped at.
    pub stopped_at: Option<String>,
    /// Paths with conflict markers.
    pub conflicts: Vec<String>,
}

/// `--resolve LINE --worktree DIR`: check out the line's newest release into DIR and run
/// `git am -3` there with the fix's commits (see the module doc). `report` must have tried
/// `line`. DIR is checked first: it must not exist or be empty.
pub fn start(
    ws: &Workspace,
    report: &BackportReport,
    line: MinorLine,
    dir: &Path,
    name: &str,
    offline: bool,
) -> Result<ResolveOutcome, ForgeError> {
    check_new_worktree(dir)?;
    let line_s = line.to_string();
    let l = report
        .lines
        .iter()
        .find(|l| l.line == line_s)
        .ok_or_else(|| {
            ForgeError::Other(format!(
                "--resolve {line}: the fix was not tried on line {line}\n  help: include it in --lines"
            ))
        })?;
    if let Some(e) = &l.error {
        return Err(ForgeError::Other(e.clone()));
    }
    let base = l
        .release_commit
        .clone()
        .ok_or_else(|| ForgeError::Other(format!("{} was not materialized", l.release)))?;
    // The commits to apply: everything but what the line already has or cannot take.
    let mut mbox = Vec::new();
    let mut fix_commits = Vec::new();
    for (c, o) in report.commits.iter().zip(&l.commits) {
        if matches!(
            o.status,
            CommitStatus::AlreadyPresent | CommitStatus::NotApplicable
        ) {
            continue;
        }
        match &c.commit {
            Some(id) => {
                mbox.extend(with_trailer(&c.mbox, id));
                fix_commits.push(id.clone());
            }
            None => mbox.extend_from_slice(&c.mbox),
        }
    }
    if mbox.is_empty() {
        return Err(ForgeError::Other(format!(
            "nothing to resolve on line {line}: the fix is {} there\n  help: see `klts backport FIX --lines {line}`",
            l.status.map(CommitStatus::word).unwrap_or("not applicable")
        )));
    }
    // Fail now, not at refresh, when NAME is bad or taken.
    new_patch(ws, name, &line_s)?;
    let options = VerifyOptions {
        jobs: 1,
        offline,
        use_cache: true,
    };
    match checkout(ws, &l.release, Some(dir), &options)? {
        CheckoutOutcome::Tagged { commit, .. } if commit == base => {}
        CheckoutOutcome::Tagged { commit, .. } => {
            return Err(ForgeError::Other(format!(
                "internal: {} checked out at {commit}, tried at {base}",
                l.release
            )))
        }
        _ => {
            return Err(ForgeError::Other(format!(
                "{} does not materialize\n  help: `klts verify {}` shows why",
                l.release, l.release
            )))
        }
    }
    let git_dir = worktree_git_dir(dir)?;
    let state = ResolveState {
        version: STATE_VERSION,
        name: name.to_string(),
        line: line_s,
        release: l.release.clone(),
        base_commit: base,
        fix_commits,
    };
    let state_path = git_dir.join(STATE_FILE);
    let json = serde_json::to_vec_pretty(&state)
        .map_err(|e| ForgeError::Other(format!("internal: {e}")))?;
    crate::fsutil::atomic_write(&state_path, &json).map_err(|e| ForgeError::io(&state_path, e))?;
    // The mbox lives in the worktree's git directory, not in the tree, so it never shows up as
    // an untracked file; `git am` keeps its own copy.
    let mbox_path = git_dir.join("klts-backport.mbox");
    crate::fsutil::atomic_write(&mbox_path, &mbox).map_err(|e| ForgeError::io(&mbox_path, e))?;
    let am = am_git(ws).run_in(
        dir,
        [
            "am".as_ref(),
            "-3".as_ref(),
            "--committer-date-is-author-date".as_ref(),
            mbox_path.as_os_str(),
        ],
    );
    let _ = std::fs::remove_file(&mbox_path);
    let mut outcome = ResolveOutcome {
        worktree: dir.to_path_buf(),
        state,
        stopped: false,
        stopped_at: None,
        conflicts: Vec::new(),
    };
    if let Err(e) = am {
        if !am_in_progress(&git_dir) {
            return Err(ForgeError::Other(format!(
                "git am in {} failed without stopping at a conflict: {}\n  help: remove the worktree (`git worktree remove --force {}`) and report this",
                dir.display(),
                e.stderr(),
                dir.display()
            )));
        }
        outcome.stopped = true;
        outcome.stopped_at = std::fs::read_to_string(git_dir.join("rebase-apply/final-commit"))
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string));
        let unmerged = am_git(ws).run_in(dir, ["diff", "--name-only", "--diff-filter=U"])?;
        outcome.conflicts = String::from_utf8_lossy(&unmerged.stdout)
            .lines()
            .map(str::to_string)
            .collect();
    }
    Ok(outcome)
}

/// `klts refresh NAME --worktree DIR`: what will be written (see the module doc). Nothing is
/// written here.
pub fn plan_refresh(
    ws: &Workspace,
    name: &str,
    dir: &Path,
) -> Result<(WritePlan, ResolveState, PathBuf), ForgeError> {
    let help_start = "help: prepare one with `klts backport FIX --resolve LINE --worktree DIR`";
    if !dir.is_dir() {
        return Err(ForgeError::Other(format!(
            "{}: no such worktree\n  {help_start}",
            dir.display()
        )));
    }
    let git_dir = worktree_git_dir(dir)?;
    let state_path = git_dir.join(STATE_FILE);
    let text = match std::fs::read(&state_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ForgeError::Other(format!(
                "{}: not a backport worktree (no {STATE_FILE} in its git directory; refreshed already?)\n  {help_start}",
                dir.display()
            )))
        }
        Err(e) => return Err(ForgeError::io(&state_path, e)),
    };
    let state: ResolveState = serde_json::from_slice(&text).map_err(|e| {
        ForgeError::Other(format!(
            "{}: not a valid backport state: {e}\n  help: this file is written by `klts backport --resolve`; start again in a new directory",
            state_path.display()
        ))
    })?;
    state.check(&state_path)?;
    if state.name != name {
        return Err(ForgeError::Other(format!(
            "{} holds backport `{}`, not `{}`\n  help: `klts refresh {} --worktree {}`",
            dir.display(),
            state.name,
            names::printable(name, 80),
            state.name,
            dir.display()
        )));
    }
    if am_in_progress(&git_dir) {
        return Err(ForgeError::Other(format!(
            "{}: `git am` is still in progress\n  help: resolve the conflicts, `git add` the files and run `git am --continue` there (or `git am --skip` for a commit the line does not need), then refresh again",
            dir.display()
        )));
    }
    let git = am_git(ws);
    let dirty = git.run_in(dir, ["status", "--porcelain", "--untracked-files=no"])?;
    if !dirty.stdout.is_empty() {
        return Err(ForgeError::Other(format!(
            "{}: uncommitted changes to tracked files:\n{}  help: commit them (`git commit --amend` folds them into the last commit) or discard them (`git checkout -- FILE`), then refresh again",
            dir.display(),
            String::from_utf8_lossy(&dirty.stdout)
        )));
    }
    let line: MinorLine = state
        .line
        .parse()
        .map_err(|e| ForgeError::Other(format!("{}: {e}", state_path.display())))?;
    match edit::newest_release(&ws.manifest, line) {
        Some((r, _)) if r.name.value == state.release => {}
        other => {
            return Err(ForgeError::Other(format!(
                "the newest release of line {line} is now {}, not {} which {} was made from\n  help: start again on the new release: `klts backport FIX --resolve {line} --worktree NEWDIR`",
                other.map_or("(none)".to_string(), |(r, _)| r.name.value.clone()),
                state.release,
                dir.display()
            )))
        }
    }
    let head = git.text_in(dir, ["rev-parse", "--verify", "HEAD^{commit}"])?;
    if git
        .run_in(
            dir,
            ["merge-base", "--is-ancestor", &state.base_commit, &head],
        )
        .is_err()
    {
        return Err(ForgeError::Other(format!(
            "{}: HEAD {head} is not on top of {} ({})\n  help: the backport's commits must sit on the release's commit; `git rebase {}` them there",
            dir.display(),
            state.release,
            state.base_commit,
            state.base_commit
        )));
    }
    let range = format!("{}..{head}", state.base_commit);
    let count: usize = git
        .text_in(dir, ["rev-list", "--count", &range])?
        .parse()
        .unwrap_or(0);
    if count == 0 {
        return Err(ForgeError::Other(format!(
            "{}: no commit on top of {}\n  help: finish `git am` there (or commit the resolution) first",
            dir.display(),
            state.release
        )));
    }
    if !git
        .text_in(dir, ["rev-list", "--merges", &range])?
        .is_empty()
    {
        return Err(ForgeError::Other(format!(
            "{}: merge commits on top of {}: a patch file holds a straight line of commits\n  help: `git rebase {}` to linearize them",
            dir.display(),
            state.release,
            state.base_commit
        )));
    }
    let plan = plan_lines(
        ws,
        &[AppliedLine {
            line: state.line.clone(),
            release: state.release.clone(),
            base: state.base_commit.clone(),
            head,
            commits: count,
        }],
        name,
    )?;
    Ok((plan, state, state_path))
}

/// Write a refresh plan ([`crate::backport::write`]) and retire the worktree's state file.
pub fn finish_refresh(
    ws: &Workspace,
    plan: &WritePlan,
    state_path: &Path,
) -> Result<(), ForgeError> {
    crate::backport::write(ws, plan)?;
    let _ = std::fs::remove_file(state_path);
    Ok(())
}

/// git for the worktree: the mirror's isolated configuration, klts's committer (as
/// `klts checkout` uses for `git am`).
fn am_git(ws: &Workspace) -> Git {
    Mirror::of(ws)
        .git
        .with_env("GIT_COMMITTER_NAME", COMMITTER_NAME)
        .with_env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
}

/// The git directory of the worktree DIR itself (not of a repository above it).
fn worktree_git_dir(dir: &Path) -> Result<PathBuf, ForgeError> {
    let not_ours = || {
        ForgeError::Other(format!(
            "{}: not a git worktree\n  help: prepare one with `klts backport FIX --resolve LINE --worktree DIR`",
            dir.display()
        ))
    };
    // `run_in` runs git in DIR itself (no --git-dir): the repository is whatever DIR is.
    let git = Git::new(PathBuf::new());
    let top = git
        .text_in(dir, ["rev-parse", "--show-toplevel"])
        .map_err(|_| not_ours())?;
    let same = |a: &Path, b: &Path| {
        a.canonicalize().ok().is_some() && a.canonicalize().ok() == b.canonicalize().ok()
    };
    if !same(Path::new(&top), dir) {
        return Err(not_ours());
    }
    let git_dir = git
        .text_in(dir, ["rev-parse", "--absolute-git-dir"])
        .map_err(|_| not_ours())?;
    Ok(PathBuf::from(git_dir))
}

fn am_in_progress(git_dir: &Path) -> bool {
    git_dir.join("rebase-apply").exists()
}
