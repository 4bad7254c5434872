//! `klts backport` and `klts release new`: arguments and output over `klts_forge::backport`
//! (which does the git work and the writing; the manifest edit is `klts_core::edit`).
//!
//! Writing is opt-in (`--write`): trying a fix is the daily, read-only question ("where does
//! this apply?"), and it is asked before a name is chosen. `--dry-run` shows what `--write`
//! would write (the patch files and the diff of releases.yml) without writing.

use crate::{json, Failure, Format, HiArgs};
use clap::{Args, Subcommand};
use klts_core::MinorLine;
use klts_forge::backport::{self, BackportOptions, BackportReport, CommitStatus};
use klts_forge::resolve;
use std::path::PathBuf;

/// Try an upstream fix on the newest release of each line; optionally write the backport.
///
/// FIX is an upstream commit (a merge commit means its pull request's commits), a range
/// A..B, a pull request (https://github.com/OWNER/REPO/pull/N or #N), a …/commit/<sha>.patch
/// URL (resolved from the mirror), or a patch file. Each commit is tried in memory, with the
/// same apply and 3-way fallback as `klts verify`, and reported per line: clean, 3-way,
/// conflict (paths), already present (in the line's history, or a commit with the same
/// patch-id), or not applicable (none of its files exists there). Release bookkeeping commits
/// (changelogs, release notes, version files) of a pull request are left out with a note.
///
/// With --write, for each line where the fix applied: patches/NAME.LINE.patch (git
/// format-patch form, with a `(cherry picked from commit …)` trailer per commit) and a release
/// vX.Y.Z-lts.N+1 on top of the line's newest release, inserted into releases.yml as a text
/// edit that keeps comments and formatting. Nothing is written when any step fails.
///
/// With --resolve LINE --worktree DIR: the line's newest release is checked out into DIR and
/// `git am -3` stops at the conflicting commit; resolve, `git add`, `git am --continue`, then
/// `klts refresh NAME --worktree DIR` writes the patch file and the release.
///
/// Exit codes: 0 every line clean, 3-way, already present or not applicable; 1 a conflict (or
/// a line's release does not materialize); 2 bad input.
///
/// Examples:
///
///   klts backport https://github.com/kubernetes/kubernetes/pull/101327
///   klts backport 1a2b3c4d --lines 1.16,1.17 --name CVE-2021-25741 --write
///   klts backport fix.patch --all --name fix-foo --dry-run
///   klts backport 1a2b3c4d --resolve 1.16 --worktree ../fix-1.16 --name CVE-2021-25741
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub(crate) struct BackportArgs {
    /// The fix: commit, A..B, pull request URL or #N, …/commit/<sha>.patch URL, or patch file.
    fix: String,
    /// Lines to try, comma-separated [default: the lines of the `must` releases].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "X.Y",
        conflicts_with = "all"
    )]
    lines: Vec<MinorLine>,
    /// Try every line of the manifest.
    #[arg(long)]
    all: bool,
    /// Base name of the patches: patches/NAME.LINE.patch [default: pr-N, or backport-<commit>].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Leave out these commits of the fix (ids of at least 7 digits).
    #[arg(long, value_name = "COMMIT", num_args = 1..)]
    skip: Vec<String>,
    /// Write the patch files and the new releases.
    #[arg(long)]
    write: bool,
    /// Show what --write would write (patch files, diff of releases.yml) without writing.
    #[arg(long, conflicts_with = "write")]
    dry_run: bool,
    /// Finish this line by hand: check its newest release out into --worktree and stop in
    /// `git am -3` state at the conflicting commit; then `klts refresh NAME --worktree DIR`.
    #[arg(
        long,
        value_name = "LINE",
        requires = "worktree",
        conflicts_with_all = ["write", "dry_run", "all", "lines"]
    )]
    resolve: Option<MinorLine>,
    /// The new (or empty) directory for --resolve.
    #[arg(long, value_name = "DIR", requires = "resolve")]
    worktree: Option<PathBuf>,
    /// Never touch the network: use the mirror only.
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    list: crate::ListArgs,
}

/// Write the hand-finished backport in a `--resolve` worktree: the patch file and the release.
///
/// Takes the commits on top of the release the worktree was made from and writes them as
/// patches/NAME.LINE.patch (git format-patch form, as --write does), and the next release of
/// the line into releases.yml (comment-preserving edit). Refused while `git am` is in progress
/// or tracked files have uncommitted changes. Nothing is written when a check fails.
///
/// Example:
///
///   klts refresh CVE-2021-25741 --worktree ../resolve-1.18
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub(crate) struct RefreshArgs {
    /// The backport's NAME, as given to `klts backport --name` (or its default).
    name: String,
    /// The worktree `klts backport --resolve` prepared.
    #[arg(long, value_name = "DIR")]
    worktree: PathBuf,
    /// Show what would be written (patch file, diff of releases.yml) without writing.
    #[arg(long)]
    dry_run: bool,
}

/// Rewrite patch files under patches/ in one canonical form (never releases.yml).
///
/// Per message: `[PATCH n/m]` becomes `[PATCH]`, object ids on `index` lines of text diffs are
/// cut to 12 hex digits, and the `-- ` signature with the git version is removed. Headers,
/// messages and every byte of every hunk are kept, so the engine makes the same commits from
/// a formatted file. Files that are not `git format-patch` output are left alone (warning).
///
/// Exit codes: 0 done (or, with --check, nothing to change); 1 with --check when a file
/// would change (they are listed); 2 bad input.
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub(crate) struct FmtArgs {
    /// Change nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
}

pub(crate) fn run_fmt(hi: &HiArgs, args: &FmtArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    let files = klts_forge::patchfmt::scan(ws)?;
    for f in &files {
        if let Some(why) = &f.skipped {
            tracing::warn!("{}: left as it is: {why}", f.path.display());
        }
    }
    let changed: Vec<_> = files.iter().filter(|f| f.changed).collect();
    if args.check {
        for f in &changed {
            outln!("would reformat {}", f.path.display());
        }
        return Ok(u8::from(!changed.is_empty()));
    }
    klts_forge::patchfmt::write(ws, &files)?;
    for f in &changed {
        outln!("formatted {}", f.path.display());
    }
    Ok(0)
}

pub(crate) fn run_refresh(hi: &HiArgs, args: &RefreshArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    let (plan, state, state_path) = resolve::plan_refresh(ws, &args.name, &args.worktree)?;
    if !args.dry_run {
        resolve::finish_refresh(ws, &plan, &state_path)?;
    }
    let verb = if args.dry_run { "would write" } else { "wrote" };
    for p in &plan.patches {
        outln!("{verb} {} ({} commit(s))", p.path.display(), p.commits);
    }
    for (new, base) in &plan.releases {
        outln!("{verb} release {new} (base_release: {base}) in releases.yml");
    }
    if args.dry_run {
        outln!();
        for l in plan.manifest_diff.lines() {
            outln!("{l}");
        }
    } else {
        outln!(
            "\nnext: `klts verify {}`; the worktree can go: `git worktree remove {}` (line {})",
            plan.releases.first().map_or("", |(n, _)| n.as_str()),
            args.worktree.display(),
            state.line
        );
    }
    Ok(0)
}

pub(crate) fn run(hi: &HiArgs, args: &BackportArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    // The name is checked before any work, so that a bad one costs nothing.
    if let Some(name) = &args.name {
        klts_core::names::check(klts_core::names::NameKind::Patch, name)?;
    }
    // A --resolve directory that is in the way costs nothing either.
    if let Some(dir) = &args.worktree {
        klts_forge::checkout::check_new_worktree(dir)?;
    }
    let options = BackportOptions {
        lines: match args.resolve {
            Some(line) => Some(vec![line]),
            None => (!args.lines.is_empty()).then(|| args.lines.clone()),
        },
        all: args.all,
        skip: args.skip.clone(),
        offline: args.offline,
    };
    let report = backport::backport(ws, &args.fix, &options)?;
    if let (Some(line), Some(dir)) = (args.resolve, &args.worktree) {
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| backport::default_name(&report));
        let o = resolve::start(ws, &report, line, dir, &name, args.offline)?;
        return match args.list.output {
            Format::Json => {
                json(&serde_json::json!({ "report": report, "resolve": o }))?;
                Ok(u8::from(o.stopped))
            }
            Format::Table => {
                table(&report);
                resolve_help(&o);
                Ok(u8::from(o.stopped))
            }
        };
    }
    let plan = if args.write || args.dry_run {
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| backport::default_name(&report));
        Some(backport::plan_write(ws, &report, &name)?)
    } else {
        None
    };
    if args.write {
        if let Some(plan) = &plan {
            backport::write(ws, plan)?;
        }
    }
    match args.list.output {
        Format::Json => json(&serde_json::json!({
            "report": report,
            "write": plan,
            "written": args.write,
        }))?,
        Format::Table => {
            table(&report);
            if let Some(plan) = &plan {
                let verb = if args.write { "wrote" } else { "would write" };
                outln!();
                if plan.patches.is_empty() {
                    outln!("nothing to write: the fix applied on no line");
                }
                for p in &plan.patches {
                    outln!("{verb} {} ({} commit(s))", p.path.display(), p.commits);
                }
                for (new, base) in &plan.releases {
                    outln!("{verb} release {new} (base_release: {base}) in releases.yml");
                }
                if args.dry_run {
                    outln!();
                    for l in plan.manifest_diff.lines() {
                        outln!("{l}");
                    }
                }
            }
        }
    }
    Ok(u8::from(report.has_problems()))
}

fn resolve_help(o: &resolve::ResolveOutcome) {
    let dir = o.worktree.display();
    let s = &o.state;
    outln!();
    if o.stopped {
        outln!(
            "{dir}: {} checked out, `git am -3` stopped at {:?}{}",
            s.release,
            o.stopped_at.as_deref().unwrap_or("?"),
            if o.conflicts.is_empty() {
                String::new()
            } else {
                format!(" with conflicts in {}", o.conflicts.join(", "))
            }
        );
        outln!("next:");
        outln!("  cd {dir}");
        outln!("  # resolve the conflict markers, then");
        outln!("  git add <files> && git am --continue   # repeat until `git am` is done");
    } else {
        outln!(
            "{dir}: {} checked out, every commit applied with `git am -3`; review them, then",
            s.release
        );
        outln!("next:");
    }
    outln!(
        "  klts refresh {} --worktree {dir}   # writes patches/{}.{}.patch and the release",
        s.name,
        s.name,
        s.line
    );
}

fn short(c: &Option<String>) -> String {
    c.as_deref()
        .map(|c| c[..10.min(c.len())].to_string())
        .unwrap_or_else(|| "(file)".into())
}

fn table(report: &BackportReport) {
    let n = report.commits.len();
    outln!(
        "fix {}: {n} commit{}{}",
        report.fix,
        if n == 1 { "" } else { "s" },
        report
            .pull_request
            .map(|p| format!(" (pull request #{p})"))
            .unwrap_or_default()
    );
    for l in &report.left_out {
        outln!(
            "  left out {} {:?}: {}",
            short(&l.commit),
            l.subject,
            l.reason
        );
    }
    outln!();
    outln!("{:<6} {:<22} {:<16} DETAIL", "LINE", "RELEASE", "STATUS");
    for l in &report.lines {
        let status = match (&l.error, l.status) {
            (Some(_), _) => "error",
            (None, Some(s)) => s.word(),
            (None, None) => "-",
        };
        outln!("{:<6} {:<22} {:<16}", l.line, l.release, status);
        if let Some(e) = &l.error {
            outln!("       {e}");
        }
        for c in &l.commits {
            outln!(
                "         {:<12} {:<16} {}{}",
                short(&c.commit),
                c.status.word(),
                c.subject,
                if c.detail.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", c.detail.join(", "))
                }
            );
        }
        for c in l.commits.iter().filter(|c| !c.hunks.is_empty()) {
            outln!(
                "       {} does not apply at {}",
                short(&c.commit),
                c.hunks.join(", ")
            );
        }
        if l.status == Some(CommitStatus::Conflict) {
            outln!(
                "       help: finish by hand: `klts backport {} --resolve {} --worktree DIR`",
                report.fix,
                l.line
            );
        }
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum ReleaseCommand {
    /// Cut the next release of a line: vX.Y.Z-lts.N+1 on top of the line's newest release.
    ///
    /// The entry is inserted into releases.yml right before the previous newest release of
    /// the line, in its style, keeping every comment and blank line (checked by re-parsing).
    ///
    /// Example:
    ///
    ///   klts release new 1.17 --patch CVE-2021-25741.1.17 --dry-run
    #[command(verbatim_doc_comment)]
    New {
        /// The line (`1.17`).
        line: MinorLine,
        /// Patches of the new release, in order (catalog names or patches/NAME.patch).
        #[arg(long = "patch", value_name = "NAME")]
        patches: Vec<String>,
        /// Print the diff of releases.yml instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
}

pub(crate) fn run_release(hi: &HiArgs, cmd: &ReleaseCommand) -> Result<u8, Failure> {
    let ReleaseCommand::New {
        line,
        patches,
        dry_run,
    } = cmd;
    let ws = hi.workspace()?;
    let (new, text, diff) = backport::plan_release(ws, *line, patches)?;
    if *dry_run {
        for l in diff.lines() {
            outln!("{l}");
        }
        return Ok(0);
    }
    let path = ws.root.join(klts_forge::MANIFEST_FILE);
    klts_forge::fsutil::atomic_write(&path, text.as_bytes()).map_err(|e| Failure {
        code: 2,
        message: format!("{}: {e}", path.display()),
    })?;
    outln!(
        "added release {} (base_release: {}, patches: [{}]) to {}",
        new.name,
        new.base_release,
        new.patches.join(", "),
        path.display()
    );
    Ok(0)
}
