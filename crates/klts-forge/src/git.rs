//! A thin, typed wrapper over the `git` command line.
//!
//! klts drives the `git` CLI for everything that writes objects or applies patches: it is the
//! tool maintainers already trust, its `apply`/`merge-tree` are the reference behaviour of
//! `git am -3`, and using it keeps the produced commits byte-identical to what a maintainer gets
//! by hand. Every invocation is isolated from the user's and the system's git configuration
//! (`GIT_CONFIG_GLOBAL=/dev/null`, `GIT_CONFIG_NOSYSTEM=1`) unless it talks to a remote, so that
//! settings such as `commit.gpgSign` or `am.keepcr` cannot change commit ids from one machine to
//! the next.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A failed git invocation, with what it printed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be started at all.
    #[error("cannot run `git` ({0}): install git 2.38 or newer and make sure it is on PATH")]
    Spawn(std::io::Error),
    /// A ref name that klts was about to write does not pass the name rule
    /// ([`klts_core::names`]); nothing was written.
    #[error("refusing to write ref `{shown}`: {reason}")]
    BadRef {
        /// The ref, made printable.
        shown: String,
        /// Why.
        reason: &'static str,
    },
    /// git ran and exited non-zero.
    #[error("`git {args}` failed ({status}): {stderr}")]
    Failed {
        /// The arguments, space-joined.
        args: String,
        /// The exit status.
        status: String,
        /// What git printed on stderr (trimmed).
        stderr: String,
        /// What git printed on stdout.
        stdout: String,
    },
}

impl GitError {
    /// stderr of a failed run (empty for spawn errors).
    pub fn stderr(&self) -> &str {
        match self {
            GitError::Spawn(_) | GitError::BadRef { .. } => "",
            GitError::Failed { stderr, .. } => stderr,
        }
    }
    /// stdout of a failed run (empty for spawn errors).
    pub fn stdout(&self) -> &str {
        match self {
            GitError::Spawn(_) | GitError::BadRef { .. } => "",
            GitError::Failed { stdout, .. } => stdout,
        }
    }
}

/// A git repository (normally the bare mirror) plus the environment to run git with.
#[derive(Clone, Debug)]
pub struct Git {
    git_dir: PathBuf,
    env: Vec<(String, String)>,
    isolated: bool,
}

/// The fixed identity of every commit klts writes, so that commit ids are the same on every
/// machine. The committer date is the author date of the same commit (as with
/// `git am --committer-date-is-author-date`).
pub const COMMITTER_NAME: &str = "klts";
/// See [`COMMITTER_NAME`].
pub const COMMITTER_EMAIL: &str = "klts@localhost";

impl Git {
    /// Operate on the repository at `git_dir`, isolated from user configuration.
    pub fn new(git_dir: impl Into<PathBuf>) -> Git {
        Git {
            git_dir: git_dir.into(),
            env: Vec::new(),
            isolated: true,
        }
    }

    /// The repository directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// A copy that also sets `key=value` in the environment.
    pub fn with_env(&self, key: &str, value: impl Into<String>) -> Git {
        let mut g = self.clone();
        g.env.retain(|(k, _)| k != key);
        g.env.push((key.to_string(), value.into()));
        g
    }

    /// A copy that uses the temporary index file at `index`.
    pub fn with_index(&self, index: &Path) -> Git {
        self.with_env("GIT_INDEX_FILE", index.to_string_lossy().into_owned())
    }

    /// A copy that reads the user's configuration (for talking to remotes: proxies, credentials).
    pub fn with_user_config(&self) -> Git {
        let mut g = self.clone();
        g.isolated = false;
        g
    }

    fn command<I, S>(&self, args: I) -> (Command, String)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir").arg(&self.git_dir);
        let mut shown = Vec::new();
        for a in args {
            shown.push(a.as_ref().to_string_lossy().into_owned());
            cmd.arg(a);
        }
        cmd.env("LC_ALL", "C")
            .env("LANG", "C")
            .env("GIT_TERMINAL_PROMPT", "0");
        if self.isolated {
            cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1");
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        (cmd, shown.join(" "))
    }

    /// Run git, feeding `stdin`, and return its output when it exits 0.
    pub fn run_with_input<I, S>(&self, args: I, stdin: &[u8]) -> Result<Output, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (mut cmd, shown) = self.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(GitError::Spawn)?;
        let mut input = child.stdin.take();
        // Write stdin on another thread: git may fill its stdout pipe before reading all input.
        let output = std::thread::scope(|s| {
            s.spawn(move || {
                if let Some(mut w) = input.take() {
                    let _ = w.write_all(stdin);
                }
            });
            child.wait_with_output()
        })
        .map_err(GitError::Spawn)?;
        check(output, shown)
    }

    /// Run `git <first>` fed `stdin`, with its stdout streamed straight into `git <second>`;
    /// return the second's output when both exit 0. For streams too large to hold in memory:
    /// a `log -p` of a Kubernetes release branch is hundreds of megabytes, the `patch-id` of
    /// it a few kilobytes.
    pub fn pipe<I, S, J, T>(&self, first: I, stdin: &[u8], second: J) -> Result<Output, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
        J: IntoIterator<Item = T>,
        T: AsRef<OsStr>,
    {
        let (mut producer, shown_first) = self.command(first);
        let (mut consumer, shown_second) = self.command(second);
        producer
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = producer.spawn().map_err(GitError::Spawn)?;
        let stream = child
            .stdout
            .take()
            .ok_or_else(|| GitError::Spawn(std::io::Error::other("no stdout")))?;
        consumer
            .stdin(Stdio::from(stream))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let consumer = match consumer.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError::Spawn(e));
            }
        };
        let mut input = child.stdin.take();
        // Feed and drain the producer on other threads: either side may block on a full pipe.
        let (first_out, second_out) = std::thread::scope(|s| {
            s.spawn(move || {
                if let Some(mut w) = input.take() {
                    let _ = w.write_all(stdin);
                }
            });
            let first = s.spawn(move || child.wait_with_output());
            let second = consumer.wait_with_output();
            let first = first
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("producer thread panicked")));
            (first, second)
        });
        check(first_out.map_err(GitError::Spawn)?, shown_first)?;
        check(second_out.map_err(GitError::Spawn)?, shown_second)
    }

    /// Set refs in one transaction: `git update-ref --stdin -z`, all or nothing. Every ref is
    /// checked against the name rule first, and the NUL-separated form means that even a name
    /// that slipped past it could not start a second command (the ref injection a newline in a
    /// release name once caused).
    pub fn update_refs(&self, updates: &[(String, String)]) -> Result<(), GitError> {
        let mut input = Vec::new();
        for (name, commit) in updates {
            klts_core::names::check(klts_core::names::NameKind::UpstreamRef, name).map_err(
                |e| GitError::BadRef {
                    shown: e.shown.clone(),
                    reason: e.reason,
                },
            )?;
            if !name.starts_with("refs/") || !is_object_id(commit) {
                return Err(GitError::BadRef {
                    shown: klts_core::names::printable(&format!("{name} {commit}"), 200),
                    reason: "not a full ref name and an object id",
                });
            }
            input.extend_from_slice(b"update ");
            input.extend_from_slice(name.as_bytes());
            input.push(0);
            input.extend_from_slice(commit.as_bytes());
            input.push(0);
            input.push(0);
        }
        if input.is_empty() {
            return Ok(());
        }
        self.run_with_input(["update-ref", "--stdin", "-z"], &input)
            .map(|_| ())
    }

    /// Run git with no input.
    pub fn run<I, S>(&self, args: I) -> Result<Output, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (mut cmd, shown) = self.command(args);
        cmd.stdin(Stdio::null());
        let output = cmd.output().map_err(GitError::Spawn)?;
        check(output, shown)
    }

    /// Run git and return its trimmed stdout as a string.
    pub fn text<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(args)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Run git in `dir` as its working directory (for worktree commands such as `am`).
    pub fn run_in<I, S>(&self, dir: &Path, args: I) -> Result<Output, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir).env("LC_ALL", "C").env("LANG", "C");
        if self.isolated {
            cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1");
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut shown = Vec::new();
        for a in args {
            shown.push(a.as_ref().to_string_lossy().into_owned());
            cmd.arg(a);
        }
        cmd.stdin(Stdio::null());
        let output = cmd.output().map_err(GitError::Spawn)?;
        check(output, shown.join(" "))
    }

    /// [`Git::run_in`], returning its trimmed stdout as a string.
    pub fn text_in<I, S>(&self, dir: &Path, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run_in(dir, args)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn check(output: Output, args: String) -> Result<Output, GitError> {
    if output.status.success() {
        Ok(output)
    } else {
        Err(GitError::Failed {
            args,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        })
    }
}

/// The oldest git klts works with (`merge-tree --write-tree`).
pub const MIN_GIT: (u32, u32) = (2, 38);

/// Check that `git` is installed and recent enough; returns its version string.
pub fn check_version() -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("--version")
        .output()
        .map_err(GitError::Spawn)?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let version = text.trim_start_matches("git version ").to_string();
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if (major, minor) < MIN_GIT {
        return Err(GitError::Spawn(std::io::Error::other(format!(
            "found `{text}`, klts needs git {}.{} or newer",
            MIN_GIT.0, MIN_GIT.1
        ))));
    }
    Ok(version)
}

/// Whether `s` looks like a full hexadecimal object id (SHA-1 or SHA-256).
pub fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_streams_one_git_into_another_and_reports_either_failure() {
        let d = tempfile::tempdir().unwrap();
        let git = Git::new(d.path().join("repo.git"));
        git.run([
            "init",
            "--bare",
            "--quiet",
            d.path().join("repo.git").to_str().unwrap(),
        ])
        .unwrap();
        // hash-object prints the id of "x" without writing it; cat-file reads it as a name.
        let out = git
            .pipe(
                ["hash-object", "--stdin"],
                b"x",
                ["cat-file", "--batch-check"],
            )
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!(
                "{} missing",
                crate::odb::oid_hex(&crate::odb::object_id("blob", b"x"))
            )
        );
        let err = git
            .pipe(["no-such-command"], b"", ["cat-file", "--batch-check"])
            .unwrap_err();
        assert!(err.to_string().contains("no-such-command"), "{err}");
        let err = git
            .pipe(["hash-object", "--stdin"], b"x", ["no-such-command"])
            .unwrap_err();
        assert!(err.to_string().contains("no-such-command"), "{err}");
    }
}
