//! Scratch directories of the engine (`.klts/tmp/engine-*`), and cleaning up after runs that
//! were killed.
//!
//! Each [`crate::engine::Engine`] works in its own `engine-XXXXXX` directory, removed when the
//! engine is dropped. A run that is killed (SIGKILL, power loss) leaves it behind, and those
//! piled up. [`engine_dir`] therefore sweeps the stale ones before creating a new one. It
//! must never remove the directory of a run that is still going, possibly started from
//! another terminal or another machine sharing the cache, so each directory gets an `owner`
//! file right after it is created: `host boot-id pid start-time`. A directory is stale when:
//!
//! * its owner ran on this host and this boot, and no process with that pid *and* start time
//!   exists any more (the start time guards against a reused pid);
//! * its owner ran on this host during an earlier boot;
//! * the owner is unknown (no `owner` file, or it cannot be checked: another host, no
//!   `/proc`), and the directory has not changed for [`STALE_AFTER_UNKNOWN`]. A directory
//!   without an owner file is only that old when its creator died between creating it and
//!   writing the file.
//!
//! Removal errors are ignored: two runs may sweep at once, and a leftover is harmless.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// How old a scratch directory whose owner cannot be checked must be before it is removed.
pub const STALE_AFTER_UNKNOWN: Duration = Duration::from_secs(24 * 3600);

const PREFIX: &str = "engine-";
const OWNER: &str = "owner";

/// Who owns a scratch directory: enough to tell whether that process still runs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owner {
    host: String,
    boot: String,
    pid: u32,
    start: String,
}

impl Owner {
    /// This process, when `/proc` can identify it (Linux).
    fn current() -> Option<Owner> {
        let pid = std::process::id();
        Some(Owner {
            host: read_trimmed("/proc/sys/kernel/hostname")?,
            boot: read_trimmed("/proc/sys/kernel/random/boot_id")?,
            pid,
            start: start_time(pid)?,
        })
    }

    fn parse(text: &str) -> Option<Owner> {
        let mut f = text.split_whitespace();
        let owner = Owner {
            host: f.next()?.to_string(),
            boot: f.next()?.to_string(),
            pid: f.next()?.parse().ok()?,
            start: f.next()?.to_string(),
        };
        f.next().is_none().then_some(owner)
    }

    fn render(&self) -> String {
        format!("{} {} {} {}\n", self.host, self.boot, self.pid, self.start)
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty() && !s.contains(char::is_whitespace)).then(|| s.to_string())
}

/// The start time of process `pid` (field 22 of `/proc/PID/stat`, clock ticks since boot).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

/// Whether the scratch directory `dir` belongs to no running process (see the module docs).
fn is_stale(dir: &Path, me: Option<&Owner>, now: SystemTime) -> bool {
    let owner = std::fs::read_to_string(dir.join(OWNER))
        .ok()
        .and_then(|t| Owner::parse(&t));
    if let (Some(owner), Some(me)) = (&owner, me) {
        if owner.host == me.host {
            if owner.boot != me.boot {
                return true;
            }
            return start_time(owner.pid).as_deref() != Some(owner.start.as_str());
        }
    }
    // Unknown owner: by age.
    let modified = std::fs::metadata(dir.join(OWNER))
        .or_else(|_| std::fs::metadata(dir))
        .and_then(|m| m.modified());
    match modified {
        Ok(t) => now
            .duration_since(t)
            .is_ok_and(|age| age > STALE_AFTER_UNKNOWN),
        Err(_) => false,
    }
}

/// Remove the stale `engine-*` directories of `tmp`; returns how many were removed.
pub fn sweep(tmp: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let me = Owner::current();
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_scratch = name.to_str().is_some_and(|n| n.starts_with(PREFIX))
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if is_scratch && is_stale(&entry.path(), me.as_ref(), now) {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => {
                    tracing::debug!(dir = %entry.path().display(), "removed a stale scratch directory");
                    removed += 1;
                }
                Err(e) => {
                    tracing::debug!(dir = %entry.path().display(), error = %e, "cannot remove a stale scratch directory")
                }
            }
        }
    }
    removed
}

/// A new scratch directory `tmp/engine-XXXXXX` owned by this process, after sweeping the
/// stale ones. It is removed when the returned value is dropped.
pub fn engine_dir(tmp: &Path) -> std::io::Result<tempfile::TempDir> {
    std::fs::create_dir_all(tmp)?;
    sweep(tmp);
    let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(tmp)?;
    if let Some(me) = Owner::current() {
        crate::fsutil::atomic_write(&dir.path().join(OWNER), me.render().as_bytes())?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned_by(tmp: &Path, name: &str, owner: &Owner) -> std::path::PathBuf {
        let dir = tmp.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(OWNER), owner.render()).unwrap();
        std::fs::write(dir.join("index"), b"left over").unwrap();
        dir
    }

    #[test]
    fn sweeps_only_directories_of_dead_runs() {
        let Some(me) = Owner::current() else {
            eprintln!("skipped: no /proc to identify processes");
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        // A run that was killed: its pid no longer exists (a child that has exited).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = owned_by(
            tmp.path(),
            "engine-dead",
            &Owner {
                pid: dead_pid,
                ..me.clone()
            },
        );
        // The pid is alive but is another process than the owner (a reused pid).
        let reused = owned_by(
            tmp.path(),
            "engine-reused",
            &Owner {
                start: "1".into(),
                ..me.clone()
            },
        );
        let other_boot = owned_by(
            tmp.path(),
            "engine-boot",
            &Owner {
                boot: "another-boot".into(),
                ..me.clone()
            },
        );
        // Still running: this very process, and a run on another host sharing the cache.
        let live = owned_by(tmp.path(), "engine-live", &me);
        let remote = owned_by(
            tmp.path(),
            "engine-remote",
            &Owner {
                host: "elsewhere".into(),
                ..me.clone()
            },
        );
        // Being created right now (no owner file yet), and something that is not ours.
        let young = tmp.path().join("engine-young");
        std::fs::create_dir(&young).unwrap();
        let unrelated = tmp.path().join("keep-me");
        std::fs::create_dir(&unrelated).unwrap();

        assert_eq!(sweep(tmp.path()), 3);
        for gone in [&dead, &reused, &other_boot] {
            assert!(!gone.exists(), "{}", gone.display());
        }
        for kept in [&live, &remote, &young, &unrelated] {
            assert!(kept.exists(), "{}", kept.display());
        }

        // Unknown owners go once they are old enough.
        let old = SystemTime::now() + STALE_AFTER_UNKNOWN + Duration::from_secs(60);
        assert!(is_stale(&young, Some(&me), old));
        assert!(is_stale(&remote, Some(&me), old));
        assert!(!is_stale(&live, Some(&me), old));
    }

    #[test]
    fn engine_dir_records_its_owner_and_sweeps() {
        let tmp = tempfile::tempdir().unwrap();
        let leftover = tmp.path().join("engine-leftover");
        std::fs::create_dir(&leftover).unwrap();
        std::fs::write(leftover.join(OWNER), "h b 1 x y\n").unwrap(); // unreadable: by age
        let dir = engine_dir(tmp.path()).unwrap();
        assert!(
            leftover.exists(),
            "a young directory of unknown owner is kept"
        );
        if let Some(me) = Owner::current() {
            let text = std::fs::read_to_string(dir.path().join(OWNER)).unwrap();
            assert_eq!(Owner::parse(&text), Some(me.clone()));
            assert!(!is_stale(dir.path(), Some(&me), SystemTime::now()));
        }
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }
}
