//! `git` commands isolated from the user's configuration.

use super::*;

/// A `git` command isolated from the user's and the system's configuration (so that e.g. an
/// `am.threeWay` or `core.autocrlf` setting cannot change what is measured), with a fixed
/// identity and locale.
pub(crate) fn git() -> Command {
    let mut c = Command::new("git");
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env("GIT_AUTHOR_NAME", COMMITTER_NAME)
        .env("GIT_AUTHOR_EMAIL", COMMITTER_EMAIL)
        .env("GIT_AUTHOR_DATE", COMMITTER_DATE)
        .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
        .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
        .env("GIT_COMMITTER_DATE", COMMITTER_DATE)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

/// `git --git-dir <dir> ...`
pub(crate) fn git_dir(dir: &Path) -> Command {
    let mut c = git();
    c.arg("--git-dir").arg(dir);
    c
}

/// `git -C <dir> ...`
pub(crate) fn git_in(dir: &Path) -> Command {
    let mut c = git();
    c.arg("-C").arg(dir);
    c
}

/// Run a command to completion; panic with its stderr if it fails. Returns stdout.
pub(crate) fn check(mut cmd: Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("git output is UTF-8")
}
