//! `klts-testkit` owns what the klts crates' tests and benches share, so that each rule is
//! written once (it is a dev-dependency only; nothing in the product links it):
//!
//! * [`under_ci`] — whether the tests run under CI (`CI` set to anything but empty, `0` or
//!   `false`). Under CI a missing tool is a failure: `.ci/run` installs every tool the tests
//!   drive, so a skip there would hide a broken setup.
//! * [`require`] — a tool (a path, or a command on `PATH`), or a skip with the Debian package
//!   that provides it; a panic under CI.
//! * [`git`], [`git_at`], [`git_output`] — the `git` CLI in a directory, isolated from the user's and the
//!   system's configuration, with a fixed identity and the C locale, so that commit ids and
//!   messages are the same on every machine.
//! * [`lines`] — twenty numbered lines with some replaced, the text patches are made of.
//! * [`Repo`] — a synthetic upstream built commit by commit, with deterministic, increasing
//!   dates: the same inputs give the same commit ids in every crate's tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Whether the tests run under CI: `CI` is set to something other than empty, `0` or `false`.
pub fn under_ci() -> bool {
    means_ci(std::env::var("CI").ok().as_deref())
}

/// Whether a value of `CI` means CI (one of the copies this replaces counted `CI=0` as set).
pub fn means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// `tool` (an absolute path, or a command looked up on `PATH`) when it is there; otherwise
/// `None` after printing `SKIPPED` with the Debian `package` to install, or a panic under CI
/// ([`under_ci`]), where `.ci/run` installs it.
pub fn require(tool: &str, package: &str) -> Option<PathBuf> {
    let found = if tool.contains('/') {
        Some(PathBuf::from(tool)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(tool))
                .find(|c| c.is_file())
        })
    };
    if found.is_none() {
        assert!(
            !under_ci(),
            "{tool} is missing under CI: .ci/run installs Debian's `{package}` package"
        );
        eprintln!(
            "SKIPPED: {tool} not found (apt-get install {package}); set CI=true to make this a failure"
        );
    }
    found
}

/// Run `git args` in `dir` and return its trimmed stdout; panics with git's stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args, &[]);
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Run `git args` in `dir` with author and committer date `date` (`@1600000000 +0000`), and
/// return its stdout untrimmed (a `format-patch` must keep its last newline); panics with git's
/// stderr on failure.
pub fn git_at(dir: &Path, args: &[&str], date: &str) -> String {
    let out = git_output(
        dir,
        args,
        &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
    );
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `git args` in `dir` with extra `env`, isolated from global and system configuration,
/// with a fixed author and committer and the C locale.
pub fn git_output(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Upstream Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@upstream.test")
        .env("GIT_COMMITTER_NAME", "Upstream Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@upstream.test")
        .env("LC_ALL", "C");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run git")
}

/// A non-bare upstream repository built commit by commit (branch `master`), with author and
/// committer dates one hour apart from `@1600000000`, so its commit ids are the same everywhere.
pub struct Repo {
    /// The working tree.
    pub dir: PathBuf,
    clock: AtomicUsize,
}

impl Repo {
    /// `git init` in `dir` (created if needed).
    pub fn init(dir: &Path) -> Repo {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "master"]);
        Repo {
            dir: dir.to_path_buf(),
            clock: AtomicUsize::new(0),
        }
    }

    /// Write a file of the working tree (its directories are created).
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// `git rm` a file.
    pub fn remove(&self, path: &str) {
        git(&self.dir, &["rm", "-q", path]);
    }

    /// `git mv` a file (the target's directories are created).
    pub fn mv(&self, from: &str, to: &str) {
        if let Some(parent) = Path::new(to).parent() {
            std::fs::create_dir_all(self.dir.join(parent)).unwrap();
        }
        git(&self.dir, &["mv", from, to]);
    }

    /// Commit everything with the next date; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.dir, &["add", "-A"]);
        let t = 1_600_000_000 + 3600 * self.clock.fetch_add(1, Ordering::SeqCst);
        git_at(
            &self.dir,
            &["commit", "-q", "--allow-empty", "-m", message],
            &format!("@{t} +0000"),
        );
        git(&self.dir, &["rev-parse", "HEAD"])
    }

    /// A lightweight tag at HEAD.
    pub fn tag(&self, name: &str) {
        git(&self.dir, &["tag", name]);
    }

    /// `git checkout` a revision.
    pub fn checkout(&self, rev: &str) {
        git(&self.dir, &["checkout", "-q", rev]);
    }

    /// A new branch `name` from `from`, checked out.
    pub fn branch(&self, name: &str, from: &str) {
        git(&self.dir, &["checkout", "-q", "-b", name, from]);
    }

    /// `git format-patch --stdout` of a range (renames detected, binary diffs kept).
    pub fn format_patch(&self, range: &str) -> Vec<u8> {
        let out = git_output(
            &self.dir,
            &["format-patch", "-M", "--stdout", "--binary", range],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The commit id of a revision.
    pub fn rev(&self, rev: &str) -> String {
        git(&self.dir, &["rev-parse", rev])
    }
}

/// Twenty numbered lines (`line 1` … `line 20`, each ending in a newline), with the lines
/// `changes` names replaced: the text the tests and benches edit to make patches that apply,
/// conflict or need a 3-way merge.
pub fn lines(changes: &[(usize, &str)]) -> String {
    (1..=20)
        .map(|i| match changes.iter().find(|(n, _)| *n == i) {
            Some((_, s)) => format!("{s}\n"),
            None => format!("line {i}\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values() {
        assert!(means_ci(Some("true")) && means_ci(Some("1")) && means_ci(Some("yes")));
        for v in [
            None,
            Some(""),
            Some("0"),
            Some("false"),
            Some("FALSE"),
            Some(" 0 "),
        ] {
            assert!(!means_ci(v), "{v:?}");
        }
    }

    #[test]
    fn finds_git_and_runs_it_isolated() {
        let d = std::env::temp_dir();
        assert!(require("git", "git").is_some());
        assert!(git(&d, &["--version"]).starts_with("git version"));
    }
}
