//! The baseline shell tooling, klts runs, and the tree comparison.

use super::*;

pub(crate) struct BaselineRelease {
    pub(crate) name: String,
    pub(crate) root_tag: String,
    pub(crate) must: bool,
    /// Absolute paths of the chain's patch files, root first.
    pub(crate) chain_files: Vec<PathBuf>,
}

pub(crate) struct EntrySummary {
    pub(crate) catalog: bool,
    pub(crate) files: Vec<String>,
    pub(crate) commits: usize,
}

pub(crate) struct Workspace {
    pub(crate) releases: Vec<BaselineRelease>,
    pub(crate) entries: Vec<EntrySummary>,
}

// ---------------------------------------------------------------------------------------------
// baseline

/// The non-bare clone the shell tooling works in (not timed). Automatic gc is off so that a
/// background `git gc --auto` cannot land in the measurement.
pub(crate) fn prepare_baseline(upstream: &Path, clone: &Path) {
    let mut c = git();
    c.args(["clone", "-q"]).arg(upstream).arg(clone);
    check(c);
    for (k, v) in [("gc.auto", "0"), ("maintenance.auto", "false")] {
        let mut c = git_in(clone);
        c.args(["config", k, v]);
        check(c);
    }
}

/// The shell tooling, timed: for each must release, a clean checkout of the root tag, `git am
/// -3` of every patch file of its chain, `git tag -f`. Any failure is a bug of the generator.
pub(crate) fn run_baseline(clone: &Path, ws: &Workspace) -> Duration {
    let start = Instant::now();
    for rel in ws.releases.iter().filter(|r| r.must) {
        let mut c = git_in(clone);
        c.args(["checkout", "-f", "-q", &rel.root_tag]);
        check(c);
        let mut c = git_in(clone);
        c.args(["clean", "-fdxq"]);
        check(c);
        for f in &rel.chain_files {
            let mut c = git_in(clone);
            c.args(["am", "-3", "-q"]).arg(f);
            check(c);
        }
        let mut c = git_in(clone);
        c.args(["tag", "-f", &rel.name]);
        check(c);
    }
    start.elapsed()
}

// ---------------------------------------------------------------------------------------------
// klts

pub(crate) struct KltsRun {
    pub(crate) time: Duration,
    pub(crate) status: Result<ExitStatus, String>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl KltsRun {
    pub(crate) fn ok(&self) -> bool {
        matches!(&self.status, Ok(s) if s.success())
    }
    pub(crate) fn status_text(&self) -> String {
        match &self.status {
            Ok(s) => match s.code() {
                Some(c) => format!("exit {c}"),
                None => format!("{s}"),
            },
            Err(e) => format!("not run: {e}"),
        }
    }
}

/// Run `klts --workspace <ws> <args>` with the caller's environment, timing it.
pub(crate) fn klts(ws: &Path, args: &[&str]) -> KltsRun {
    let start = Instant::now();
    let out = Command::new(KLTS)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .stdin(Stdio::null())
        .output();
    let time = start.elapsed();
    match out {
        Ok(o) => KltsRun {
            time,
            status: Ok(o.status),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => KltsRun {
            time,
            status: Err(e.to_string()),
            stdout: String::new(),
            stderr: String::new(),
        },
    }
}

pub(crate) struct TreeCheck {
    pub(crate) summary: String,
    pub(crate) mismatches: Vec<String>,
    pub(crate) all_match: bool,
}

/// Compare every must release's tree in the baseline clone with klts's
/// `refs/klts/releases/<release>` in its mirror.
pub(crate) fn compare_trees(clone: &Path, mirror: &Path, ws: &Workspace) -> TreeCheck {
    let rev = |mut c: Command, what: String| -> Option<String> {
        c.args(["rev-parse", "--verify", "-q", &what])
            .stdin(Stdio::null());
        let out = c.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let mut matched = 0;
    let mut total = 0;
    let mut mismatches = Vec::new();
    let mut missing = Vec::new();
    for rel in ws.releases.iter().filter(|r| r.must) {
        total += 1;
        let base = rev(git_in(clone), format!("refs/tags/{}^{{tree}}", rel.name))
            .unwrap_or_else(|| panic!("baseline has no tag {}", rel.name));
        match rev(
            git_dir(mirror),
            format!("refs/klts/releases/{}^{{tree}}", rel.name),
        ) {
            None => missing.push(rel.name.clone()),
            Some(t) if t == base => matched += 1,
            Some(t) => mismatches.push(format!("{}: baseline {base}, klts {t}", rel.name)),
        }
    }
    if !missing.is_empty() {
        return TreeCheck {
            summary: format!(
                "trees: not comparable (ref missing: refs/klts/releases/{}{})",
                missing[0],
                if missing.len() > 1 {
                    format!(" and {} more", missing.len() - 1)
                } else {
                    String::new()
                }
            ),
            mismatches,
            all_match: false,
        };
    }
    TreeCheck {
        summary: format!("trees match: {matched}/{total}"),
        all_match: matched == total,
        mismatches,
    }
}
