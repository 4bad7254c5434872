//! Atomic, locked publishing of a whole repository directory, and the inputs shared by apt and
//! yum.
//!
//! ## Layout and the swap
//!
//! The served path `REPO` is a symbolic link to a complete generation beside it:
//!
//! ```text
//! REPO -> .REPO.klts-gen-7        (relative target, so the tree can be moved or mounted)
//! .REPO.klts-gen-7/               the complete repository
//! .REPO.klts-lock                 the publish lock (never removed: see below)
//! ```
//!
//! A publish builds the new repository into a fresh `.REPO.klts-new-*` directory, syncs it,
//! renames it to the next generation (`.REPO.klts-gen-8`), and flips `REPO` with **one**
//! `rename(2)` of a temporary symlink over it. A client resolves `REPO` on every request, so it
//! sees the old generation or the new one, never a mix of half-written files nor a missing
//! `REPO`; the previous generation is removed only after the flip. A failed build removes its
//! staging directory and leaves `REPO` untouched. A client that reads the signed index
//! (`InRelease`, `repomd.xml`) before a flip fetches the files it names after it: each apt and
//! yum generation therefore keeps the files the previous generation's index names (apt's
//! by-hash indexes, yum's checksum-named `repodata/` files; see [`crate::apt`],
//! [`crate::yum`]), and only those. Web servers follow the link (nginx and
//! Apache do by default; nginx's `disable_symlinks` must stay off); to copy a repository
//! elsewhere, dereference it (`cp -rL`, `rsync -L`).
//!
//! **Migration.** A `REPO` that is still a plain directory (published by an older klts) is
//! exchanged with the new link in one `renameat2(RENAME_EXCHANGE)` on Linux, so it is never
//! missing either; elsewhere (or on a file system without it) the old directory is first
//! renamed to a generation, leaving `REPO` absent between two renames, once.
//!
//! **Crash recovery** (at the start of the next publish, under the lock): staging directories
//! and temporary links are removed, generations the link does not point to are removed, a
//! missing `REPO` is pointed at the newest generation (every generation is complete: it gets
//! its name only after it is written and synced), and an old-style `.REPO.klts-old-*` aside
//! is put back.
//!
//! ## The lock
//!
//! Two publishes to one `REPO` at once would each remove the other's generation. Every
//! publish therefore holds an exclusive advisory lock (`flock(2)` via `File::lock`) on
//! `.REPO.klts-lock` from before recovery until after the flip and clean-up. By default a
//! second publish waits (and says so); with [`Policy::wait`] false it fails at once with
//! [`PublishError::Busy`]. The lock file is never deleted: deleting it would let a third
//! publish lock a new file while the second still holds the old one. The kernel drops the
//! lock when the process dies, so a killed publish never leaves the repository locked. The
//! lock does not work across hosts on NFS: publish from one machine.
//!
//! ## The signing key
//!
//! The repository's public key (`REPO/klts.asc`, written by apt and yum alike) records which
//! key signed the previous publish. A publish with another key fails with
//! [`PublishError::KeyChanged`] unless [`Policy::rotate_key`] is set: clients that trusted
//! the old key (apt's `signed-by` keyring, dnf's imported `gpgkey`) fail with NO_PUBKEY or a
//! bad signature until they import the new one, which should be a decision, not an accident.

use klts_core::time::{BuildTime, TimeError};
use klts_core::Version;
use std::path::{Path, PathBuf};

/// The time written into repository metadata (`Date:`, `revision`, timestamps):
/// `SOURCE_DATE_EPOCH` when set, else now, from the command's [`BuildTime`] (read once by the
/// CLI; this crate never reads the clock or the environment for it). A `SOURCE_DATE_EPOCH`
/// past 2106 is an error: the metadata and its signatures store 32-bit times.
pub fn metadata_time(time: &BuildTime) -> Result<u32, TimeError> {
    time.reproducible_or_now_u32()
}

/// Errors of collecting inputs and publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file or directory of the inputs or the repository could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// No release in the output directory has packages of this kind (nothing to publish).
    #[error("{dir}: no release has {kind} packages (expected {dir}/<release>/{kind}/*.{kind})\nhelp: run `klts package` first, or pass --out-dir")]
    NoPackages {
        /// The output directory searched.
        dir: PathBuf,
        /// `deb` or `rpm`.
        kind: String,
    },
    /// A release named on the command line has no packages of this kind.
    #[error("{path}: release {release:?} has no {kind} packages\nhelp: run `klts package {release}` first, or leave it out")]
    ReleaseWithoutPackages {
        /// The directory where its packages were expected, `<out>/<release>/<kind>`.
        path: PathBuf,
        /// The release.
        release: String,
        /// `deb` or `rpm`.
        kind: String,
    },
    /// A directory in the output directory (or a name given) is not a release name.
    #[error("{path}: {release:?} is not a release name (expected vX.Y.Z[-suffix]): {msg}\nhelp: only directories named after releases belong in the output directory")]
    BadRelease {
        /// The directory.
        path: PathBuf,
        /// Its name.
        release: String,
        /// Why it does not parse as a release version.
        msg: String,
    },
    /// The repository path exists and is neither a directory nor a link to one.
    #[error("{path}: the repository target is not a directory\nhelp: choose another --out")]
    NotADirectory {
        /// The repository path.
        path: PathBuf,
    },
    /// Another publish holds the repository's lock and [`Policy::wait`] is false.
    #[error("{path}: another publish of this repository is running (lock {lock} held)\nhelp: wait for it to finish, or run without --no-wait to wait for it")]
    Busy {
        /// The repository path.
        path: PathBuf,
        /// The lock file, `.REPO.klts-lock`.
        lock: PathBuf,
    },
    /// The repository was published with another key and [`Policy::rotate_key`] is not set.
    #[error("{path}: the repository was published with the key {old}, this publish signs with {new}\nhelp: clients that trust {old} will fail with NO_PUBKEY (apt) or a bad signature (dnf) until they import the new key from {path}/klts.asc; pass --rotate-key if you mean to change the key, and announce it")]
    KeyChanged {
        /// The repository path.
        path: PathBuf,
        /// Fingerprint of the key of the previous publish (from `REPO/klts.asc`).
        old: String,
        /// Fingerprint of the key of this publish.
        new: String,
    },
    /// The public key of the previous publish, `REPO/klts.asc`, cannot be read or parsed.
    #[error("{path}: cannot read the key the repository was published with: {msg}\nhelp: restore it, or pass --rotate-key to publish with the new key anyway")]
    BadPublishedKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
}

/// How [`publish_dir`] treats a concurrent publish and a changed signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Wait for a concurrent publish of the same repository (true, the default) or fail with
    /// [`PublishError::Busy`].
    pub wait: bool,
    /// Allow signing with a key other than the one the repository was published with.
    pub rotate_key: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            wait: true,
            rotate_key: false,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The packages of one release, as laid out by `klts package` (`out/<release>/<kind>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInput {
    /// The release name, e.g. `v1.17.17-lts.3`.
    pub release: String,
    /// Its minor line as a suite name, e.g. `v1.17`.
    pub line: String,
    /// Package files, sorted by path.
    pub files: Vec<PathBuf>,
}

/// Package files of `kind` (`deb` or `rpm`) under `out_dir/<release>/<kind>/*.<kind>`, for the
/// named releases, or every release that has some when `releases` is empty. Sorted by release.
pub fn collect(
    out_dir: &Path,
    kind: &str,
    releases: &[String],
) -> Result<Vec<ReleaseInput>, PublishError> {
    let names: Vec<String> = if releases.is_empty() {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(out_dir).map_err(io(out_dir))? {
            let entry = entry.map_err(io(out_dir))?;
            if entry.path().join(kind).is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names
    } else {
        releases.to_vec()
    };
    let mut inputs = Vec::new();
    for release in names {
        let dir = out_dir.join(&release).join(kind);
        let version = Version::parse(&release).map_err(|e| PublishError::BadRelease {
            path: out_dir.join(&release),
            release: release.clone(),
            msg: e.to_string(),
        })?;
        let mut files = Vec::new();
        if dir.is_dir() {
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let path = entry.map_err(io(&dir))?.path();
                if path.extension().is_some_and(|e| e == kind) && path.is_file() {
                    files.push(path);
                }
            }
        }
        files.sort();
        if files.is_empty() {
            if releases.is_empty() {
                continue;
            }
            return Err(PublishError::ReleaseWithoutPackages {
                path: dir,
                release,
                kind: kind.into(),
            });
        }
        inputs.push(ReleaseInput {
            line: format!("v{}.{}", version.major(), version.minor()),
            release,
            files,
        });
    }
    if inputs.is_empty() {
        return Err(PublishError::NoPackages {
            dir: out_dir.to_path_buf(),
            kind: kind.into(),
        });
    }
    inputs.sort_by(|a, b| {
        let va = Version::parse(&a.release).ok();
        let vb = Version::parse(&b.release).ok();
        va.cmp(&vb).then_with(|| a.release.cmp(&b.release))
    });
    Ok(inputs)
}

/// Suites: one per release and one per minor line (all releases of the line), sorted by name.
/// Each suite lists its package files (deduplicated, sorted).
pub fn suites(inputs: &[ReleaseInput]) -> Vec<(String, Vec<PathBuf>)> {
    let mut map: std::collections::BTreeMap<String, std::collections::BTreeSet<PathBuf>> =
        Default::default();
    for input in inputs {
        map.entry(input.release.clone())
            .or_default()
            .extend(input.files.iter().cloned());
        map.entry(input.line.clone())
            .or_default()
            .extend(input.files.iter().cloned());
    }
    map.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

/// The directory holding `target` and the base name of its siblings (`.<name>.klts-`).
fn sibling_base(target: &Path) -> (PathBuf, String) {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    (parent, format!(".{name}.klts-"))
}

/// The generation number of a sibling name `.<name>.klts-gen-<N>`.
fn generation_of(base: &str, file_name: &str) -> Option<u64> {
    file_name
        .strip_prefix(base)?
        .strip_prefix("gen-")?
        .parse()
        .ok()
}

/// The lock file of `target` (`.<name>.klts-lock` beside it).
pub fn lock_path(target: &Path) -> PathBuf {
    let (_, base) = sibling_base(target);
    // `with_file_name` keeps a relative target's path as the user wrote it (no `./`).
    target.with_file_name(format!("{base}lock"))
}

/// Take the publish lock of `target`, waiting for (or, per `policy`, failing on) a
/// concurrent publish. The lock is released when the returned file is dropped.
fn lock(target: &Path, policy: &Policy) -> Result<std::fs::File, PublishError> {
    let path = lock_path(target);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) if policy.wait => {
            tracing::warn!(
                "waiting for another publish of {} (lock {} held)",
                target.display(),
                path.display()
            );
            file.lock().map_err(io(&path))?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(PublishError::Busy {
            path: target.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(PublishError::Io { path, source: e }),
    }
}

/// What `target` is now.
enum Current {
    Missing,
    /// A link to our generation `N`.
    Generation(u64),
    /// A plain directory (older klts), or a link we did not make.
    Foreign,
}

fn current(target: &Path, base: &str) -> Current {
    match std::fs::symlink_metadata(target) {
        Err(_) => Current::Missing,
        Ok(m) if m.file_type().is_symlink() => std::fs::read_link(target)
            .ok()
            .and_then(|l| generation_of(base, &l.to_string_lossy()))
            .map(Current::Generation)
            .unwrap_or(Current::Foreign),
        Ok(_) => Current::Foreign,
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Put `target` back into a consistent state after a crash (see the module docs). Runs under
/// the lock, so nothing it removes belongs to a running publish.
fn recover(target: &Path) -> Result<(), PublishError> {
    let (parent, base) = sibling_base(target);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Ok(());
    };
    let mut generations = Vec::new();
    let mut old_asides = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&base) else {
            continue;
        };
        if let Some(n) = generation_of(&base, &name) {
            generations.push((n, entry.path()));
        } else if rest.starts_with("new-") || rest.starts_with("link-") {
            remove_any(&entry.path()).map_err(io(&entry.path()))?;
        } else if rest.starts_with("old-") {
            old_asides.push(entry.path());
        }
    }
    generations.sort();
    // An old-style aside (the previous klts renamed the directory away, then crashed).
    for old in old_asides {
        if matches!(current(target, &base), Current::Missing) && generations.is_empty() {
            std::fs::rename(&old, target).map_err(io(target))?;
        } else {
            remove_any(&old).map_err(io(&old))?;
        }
    }
    let keep = match current(target, &base) {
        Current::Generation(n) => Some(n),
        // Killed between the two renames of the fallback migration: every generation is
        // complete, the newest is what that publish was putting in place.
        Current::Missing => match generations.last() {
            Some((n, _)) => {
                flip(target, *n)?;
                Some(*n)
            }
            None => None,
        },
        Current::Foreign => None,
    };
    for (n, path) in &generations {
        if Some(*n) != keep {
            remove_any(path).map_err(io(path))?;
        }
    }
    Ok(())
}

/// Point `target` at generation `n` with one rename of a temporary link over it. A plain
/// directory at `target` is exchanged with the link atomically where the OS can (Linux), and
/// is removed afterwards.
fn flip(target: &Path, n: u64) -> Result<(), PublishError> {
    let (parent, base) = sibling_base(target);
    let generation = format!("{base}gen-{n}");
    let link = parent.join(format!("{base}link-{n}"));
    remove_any(&link).map_err(io(&link))?;
    symlink_dir(Path::new(&generation), &link).map_err(io(&link))?;
    let is_plain_dir = std::fs::symlink_metadata(target)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if is_plain_dir {
        // rename(2) cannot put a link over a directory.
        if exchange(&link, target).is_ok() {
            // `link` is now the old directory.
            sync_dir(&parent);
            remove_any(&link).map_err(io(&link))?;
            return Ok(());
        }
        // No atomic exchange: rename the old directory aside first. A crash before the next
        // rename leaves `target` missing; recovery then points it at this complete generation.
        let aside = parent.join(format!("{base}old-{}", std::process::id()));
        std::fs::rename(target, &aside).map_err(io(target))?;
        if let Err(e) = std::fs::rename(&link, target) {
            let _ = std::fs::rename(&aside, target);
            return Err(PublishError::Io {
                path: target.to_path_buf(),
                source: e,
            });
        }
        sync_dir(&parent);
        remove_any(&aside).map_err(io(&aside))?;
        return Ok(());
    }
    std::fs::rename(&link, target).map_err(io(target))?;
    sync_dir(&parent);
    Ok(())
}

#[cfg(unix)]
fn symlink_dir(to: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(to, link)
}

#[cfg(not(unix))]
fn symlink_dir(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "publishing needs symbolic links (a Unix system)",
    ))
}

/// Swap two paths atomically (`renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        a,
        rustix::fs::CWD,
        b,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

fn sync_dir(dir: &Path) {
    // Best effort: the renames are done; a failed fsync only weakens crash durability.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The fingerprint of the key `target` was last published with (its `klts.asc`), if any.
fn published_fingerprint(target: &Path) -> Result<Option<String>, PublishError> {
    let path = target.join("klts.asc");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PublishError::BadPublishedKey {
                path,
                msg: e.to_string(),
            })
        }
    };
    crate::sign::public_key_fingerprint(&text)
        .map(Some)
        .map_err(|e| PublishError::BadPublishedKey {
            path,
            msg: e.to_string(),
        })
}

/// Build a repository signed by the key `fingerprint` with `build` into a fresh directory
/// beside `target`, then make it the one `target` serves (see the module docs). Holds the
/// publish lock of `target` throughout. On error, `target` is left exactly as it was.
pub fn publish_dir<T, E>(
    target: &Path,
    fingerprint: &str,
    policy: &Policy,
    build: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<PublishError>,
{
    if target.exists() && !target.is_dir() {
        return Err(PublishError::NotADirectory {
            path: target.to_path_buf(),
        }
        .into());
    }
    let (parent, base) = sibling_base(target);
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let _lock = lock(target, policy)?;
    recover(target)?;
    if !policy.rotate_key {
        if let Some(old) = published_fingerprint(target)? {
            if !old.eq_ignore_ascii_case(fingerprint) {
                return Err(PublishError::KeyChanged {
                    path: target.to_path_buf(),
                    old,
                    new: fingerprint.to_string(),
                }
                .into());
            }
        }
    }
    let staging = tempfile::Builder::new()
        .prefix(&format!("{base}new-"))
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let value = build(staging.path())?;
    // Directories from tempfile are 0700; a repository is served to everyone.
    set_mode(staging.path(), 0o755).map_err(io(staging.path()))?;
    sync_tree(staging.path()).map_err(io(staging.path()))?;
    let previous = match current(target, &base) {
        Current::Generation(n) => Some(n),
        _ => None,
    };
    let n = previous.map_or(1, |p| p + 1);
    let generation = parent.join(format!("{base}gen-{n}"));
    // Only complete, synced trees get a generation name (recovery relies on it).
    std::fs::rename(staging.path(), &generation).map_err(io(&generation))?;
    let _ = staging.keep();
    sync_dir(&parent);
    if let Err(e) = flip(target, n) {
        let _ = remove_any(&generation);
        return Err(e.into());
    }
    if let Some(p) = previous {
        let old = parent.join(format!("{base}gen-{p}"));
        // The new repository is served already; a leftover is removed by the next publish.
        if let Err(e) = remove_any(&old) {
            tracing::warn!(
                "{}: cannot remove the previous generation: {e}",
                old.display()
            );
        }
    }
    Ok(value)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            std::fs::File::open(entry.path())?.sync_all()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()
}

/// Write `bytes` to `dir/rel`, creating parent directories (inside a staging directory, so no
/// temp-and-rename is needed per file).
pub(crate) fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
    let path = dir.join(rel);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io(p))?;
    }
    std::fs::write(&path, bytes).map_err(io(&path))
}

/// Place `src` at `dir/rel`: a hard link to `first` when given (same bytes already in the
/// repository), else a copy.
pub(crate) fn place_file(
    src: &Path,
    dir: &Path,
    rel: &str,
    first: Option<&Path>,
) -> Result<(), PublishError> {
    let path = dir.join(rel);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io(p))?;
    }
    if let Some(first) = first {
        if std::fs::hard_link(first, &path).is_ok() {
            return Ok(());
        }
    }
    std::fs::copy(src, &path).map_err(io(&path))?;
    set_mode(&path, 0o644).map_err(io(&path))
}

/// Read every package file of `inputs` once (a file may be in several releases' inputs), before
/// anything is written: a bad package fails the publish with the repository untouched.
pub(crate) fn read_packages<P, E>(
    inputs: &[ReleaseInput],
    read: impl Fn(&Path) -> Result<P, E>,
) -> Result<std::collections::BTreeMap<PathBuf, P>, E> {
    let mut packages = std::collections::BTreeMap::new();
    for f in inputs.iter().flat_map(|i| &i.files) {
        if !packages.contains_key(f) {
            packages.insert(f.clone(), read(f)?);
        }
    }
    Ok(packages)
}

/// Index `packages` by the repository path `key` gives them. Equal bytes under one path are
/// one package; different bytes are a conflict, returned as (package, the other one, path).
pub(crate) fn unique_by<'p, P>(
    packages: impl Iterator<Item = &'p P>,
    key: impl Fn(&P) -> String,
    sha256: impl Fn(&P) -> &str,
) -> Result<std::collections::BTreeMap<String, &'p P>, (&'p P, &'p P, String)> {
    let mut by_key: std::collections::BTreeMap<String, &'p P> = std::collections::BTreeMap::new();
    for p in packages {
        let k = key(p);
        match by_key.get(&k) {
            Some(other) if sha256(other) != sha256(p) => return Err((p, *other, k)),
            Some(_) => {}
            None => {
                by_key.insert(k, p);
            }
        }
    }
    Ok(by_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(
        target: &Path,
        build: impl FnOnce(&Path) -> Result<(), PublishError>,
    ) -> Result<(), PublishError> {
        publish_dir(target, "F", &Policy::default(), build)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn failed_build_leaves_target_untouched_and_success_swaps() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        publish(&target, |d| write_file(d, "a/x", b"one")).unwrap();
        assert_eq!(std::fs::read(target.join("a/x")).unwrap(), b"one");
        let r = publish(&target, |d| {
            write_file(d, "a/x", b"two")?;
            Err(PublishError::NotADirectory { path: d.into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("a/x")).unwrap(), b"one");
        publish(&target, |d| write_file(d, "b", b"three")).unwrap();
        assert!(!target.join("a/x").exists());
        assert_eq!(std::fs::read(target.join("b")).unwrap(), b"three");
        // The served path is a relative link to the one generation left, beside the lock.
        assert_eq!(
            std::fs::read_link(&target).unwrap(),
            Path::new(".repo.klts-gen-2")
        );
        assert_eq!(
            names(tmp.path()),
            [".repo.klts-gen-2", ".repo.klts-lock", "repo"]
        );
    }

    #[test]
    fn a_plain_directory_is_migrated_without_a_gap() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("x"), b"old layout").unwrap();
        publish(&target, |d| write_file(d, "x", b"new")).unwrap();
        assert!(std::fs::symlink_metadata(&target).unwrap().is_symlink());
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"new");
        assert_eq!(
            names(tmp.path()),
            [".repo.klts-gen-1", ".repo.klts-lock", "repo"]
        );
    }

    #[test]
    fn crashes_are_recovered_by_the_next_publish() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        // An older klts renamed the repository aside and crashed before renaming the new in.
        std::fs::create_dir(tmp.path().join(".repo.klts-old-999")).unwrap();
        std::fs::write(tmp.path().join(".repo.klts-old-999/x"), b"old").unwrap();
        std::fs::create_dir(tmp.path().join(".repo.klts-new-abc")).unwrap();
        let r = publish(&target, |_| {
            Err(PublishError::NotADirectory { path: "x".into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"old");
        assert_eq!(names(tmp.path()), [".repo.klts-lock", "repo"]);

        // Killed after the new generation got its name but before the flip: the link still
        // points at the previous one, which stays; the unused generation goes.
        publish(&target, |d| write_file(d, "x", b"gen1")).unwrap();
        std::fs::create_dir(tmp.path().join(".repo.klts-gen-2")).unwrap();
        std::os::unix::fs::symlink(".repo.klts-gen-2", tmp.path().join(".repo.klts-link-2"))
            .unwrap();
        let r = publish(&target, |_| {
            Err(PublishError::NotADirectory { path: "x".into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"gen1");
        assert_eq!(
            names(tmp.path()),
            [".repo.klts-gen-1", ".repo.klts-lock", "repo"]
        );

        // Killed between the two renames of a migration without renameat2: the served path
        // is missing and the newest (complete) generation is put in place.
        std::fs::remove_file(&target).unwrap();
        let r = publish(&target, |_| {
            Err(PublishError::NotADirectory { path: "x".into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"gen1");
    }

    #[test]
    fn a_held_lock_waits_or_fails_with_no_wait() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        publish(&target, |d| write_file(d, "x", b"1")).unwrap();
        let held = std::fs::File::open(lock_path(&target)).unwrap();
        held.lock().unwrap();
        let no_wait = Policy {
            wait: false,
            ..Policy::default()
        };
        let e =
            publish_dir::<_, PublishError>(&target, "F", &no_wait, |d| write_file(d, "x", b"2"))
                .unwrap_err();
        assert!(matches!(e, PublishError::Busy { .. }), "{e}");
        assert!(e.to_string().contains("another publish"), "{e}");
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"1");
        // A waiting publish goes ahead once the lock is released.
        let t = target.clone();
        let waiter = std::thread::spawn(move || publish(&t, |d| write_file(d, "x", b"3")));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"1", "it waited");
        drop(held);
        waiter.join().unwrap().unwrap();
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"3");
    }

    #[test]
    fn concurrent_publishes_serialize() {
        // Each build writes a manifest and the files it names; every publish must succeed and
        // the result must be one complete build.
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let target = target.clone();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        let tag = format!("{t}-{i}");
                        publish(&target, |d| {
                            for f in 0..10 {
                                write_file(d, &format!("pool/{tag}/{f}"), tag.as_bytes())?;
                            }
                            write_file(d, "manifest", tag.as_bytes())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let tag = std::fs::read_to_string(target.join("manifest")).unwrap();
        for f in 0..10 {
            assert_eq!(
                std::fs::read_to_string(target.join(format!("pool/{tag}/{f}"))).unwrap(),
                tag
            );
        }
        assert_eq!(names(&target.join("pool")), [tag]);
        assert_eq!(names(tmp.path()).len(), 3, "{:?}", names(tmp.path()));
    }

    #[test]
    fn another_key_needs_rotate_key() {
        let key = |name: &str| {
            crate::sign::generate(&crate::sign::KeyParams {
                algorithm: crate::sign::KeyAlgorithm::Ed25519,
                name: name.into(),
                email: None,
                expires_in: None,
                created: 1_700_000_000,
                passphrase: None,
            })
            .unwrap()
        };
        let (a, b) = (key("A"), key("B"));
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        let with = |k: &crate::sign::GeneratedKey, policy: Policy| {
            let public = k.public_armored.clone();
            publish_dir::<_, PublishError>(&target, &k.fingerprint, &policy, move |d| {
                write_file(d, "klts.asc", public.as_bytes())
            })
        };
        with(&a, Policy::default()).unwrap();
        with(&a, Policy::default()).unwrap();
        let e = with(&b, Policy::default()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, PublishError::KeyChanged { .. }), "{msg}");
        assert!(
            msg.contains(&a.fingerprint) && msg.contains(&b.fingerprint),
            "{msg}"
        );
        assert!(
            msg.contains("NO_PUBKEY") && msg.contains("--rotate-key"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("klts.asc")).unwrap(),
            a.public_armored
        );
        let rotate = Policy {
            rotate_key: true,
            ..Policy::default()
        };
        with(&b, rotate).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("klts.asc")).unwrap(),
            b.public_armored
        );
        with(&b, Policy::default()).unwrap();
        // A published key that cannot be read is not silently replaced either.
        let gen = std::fs::canonicalize(&target).unwrap();
        std::fs::write(gen.join("klts.asc"), "garbage").unwrap();
        let e = with(&b, Policy::default()).unwrap_err();
        assert!(matches!(e, PublishError::BadPublishedKey { .. }), "{e}");
    }

    #[test]
    fn same_path_with_other_bytes_is_a_conflict() {
        let pkgs = [("a.deb", "1"), ("b.deb", "2"), ("a.deb", "1")];
        let ok = unique_by(pkgs.iter(), |p| p.0.to_string(), |p| p.1).unwrap();
        assert_eq!(ok.len(), 2, "equal bytes under one path are one package");
        let bad = [("a.deb", "1"), ("a.deb", "9")];
        let (dup, other, path) = unique_by(bad.iter(), |p| p.0.to_string(), |p| p.1).unwrap_err();
        assert_eq!((dup.1, other.1, path.as_str()), ("9", "1", "a.deb"));
    }
}
