//! Atomic publishing of a whole repository directory, and the inputs shared by apt and yum.
//!
//! A repository is built into a fresh sibling directory (`.<name>.klts-new-*` next to the
//! target), then swapped in: the old directory is renamed to `.<name>.klts-old-*`, the new one
//! renamed to the target, and the old one removed. At every instant the target is either
//! missing for the time between two renames (only on the first publish it never existed) or a
//! complete repository; a crash between the two renames leaves the complete previous
//! repository in `.<name>.klts-old-*`, which the next publish puts back before anything else.
//! If building fails, the new directory is removed and the target is not touched.

use klts_core::Version;
use std::path::{Path, PathBuf};

/// `SOURCE_DATE_EPOCH` (reproducible builds), if set and a valid unix time.
pub fn source_date_epoch() -> Option<u32> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
}

/// The time written into repository metadata (`Date:`, `revision`, timestamps):
/// `SOURCE_DATE_EPOCH` when set, else now.
pub fn metadata_time() -> u32 {
    source_date_epoch().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs().min(u32::MAX as u64) as u32)
            .unwrap_or(0)
    })
}

/// Errors of collecting inputs and publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{dir}: no release has {kind} packages (expected {dir}/<release>/{kind}/*.{kind})\nhelp: run `klts package` first, or pass --out-dir")]
    NoPackages { dir: PathBuf, kind: String },
    #[error("{path}: release {release:?} has no {kind} packages\nhelp: run `klts package {release}` first, or leave it out")]
    ReleaseWithoutPackages {
        path: PathBuf,
        release: String,
        kind: String,
    },
    #[error("{path}: {release:?} is not a release name (expected vX.Y.Z[-suffix]): {msg}\nhelp: only directories named after releases belong in the output directory")]
    BadRelease {
        path: PathBuf,
        release: String,
        msg: String,
    },
    #[error("{path}: the repository target is not a directory\nhelp: choose another --out")]
    NotADirectory { path: PathBuf },
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

fn sibling(target: &Path, tag: &str) -> Result<(PathBuf, String), PublishError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    Ok((parent, format!(".{name}.klts-{tag}-")))
}

/// Put back a previous repository that a crash left renamed away (`.<name>.klts-old-*`), and
/// remove abandoned new directories.
fn recover(target: &Path) -> Result<(), PublishError> {
    let (parent, old_prefix) = sibling(target, "old")?;
    let (_, new_prefix) = sibling(target, "new")?;
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&old_prefix) {
            if target.exists() {
                std::fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
            } else {
                std::fs::rename(entry.path(), target).map_err(io(target))?;
            }
        } else if name.starts_with(&new_prefix) {
            std::fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
        }
    }
    Ok(())
}

/// Build a repository with `build` into a fresh sibling directory of `target`, then swap it in.
/// On error, `target` is left exactly as it was.
pub fn publish_dir<T, E>(target: &Path, build: impl FnOnce(&Path) -> Result<T, E>) -> Result<T, E>
where
    E: From<PublishError>,
{
    if target.exists() && !target.is_dir() {
        return Err(PublishError::NotADirectory {
            path: target.to_path_buf(),
        }
        .into());
    }
    recover(target)?;
    let (parent, new_prefix) = sibling(target, "new")?;
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(&new_prefix)
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let value = build(staging.path())?;
    // Directories from tempfile are 0700; a repository is served to everyone.
    set_mode(staging.path(), 0o755).map_err(io(staging.path()))?;
    sync_tree(staging.path()).map_err(io(staging.path()))?;
    let staging = staging.keep();
    if let Err(e) = crate::fsdir::swap_in(&staging, target) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(PublishError::Io {
            path: target.to_path_buf(),
            source: e,
        }
        .into());
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

    #[test]
    fn failed_build_leaves_target_untouched_and_success_swaps() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        publish_dir::<_, PublishError>(&target, |d| write_file(d, "a/x", b"one")).unwrap();
        assert_eq!(std::fs::read(target.join("a/x")).unwrap(), b"one");
        let r: Result<(), PublishError> = publish_dir(&target, |d| {
            write_file(d, "a/x", b"two")?;
            Err(PublishError::NotADirectory { path: d.into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("a/x")).unwrap(), b"one");
        publish_dir::<_, PublishError>(&target, |d| write_file(d, "b", b"three")).unwrap();
        assert!(!target.join("a/x").exists());
        assert_eq!(std::fs::read(target.join("b")).unwrap(), b"three");
        // Nothing left beside the target.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("repo")]);
    }

    #[test]
    fn crash_between_renames_is_recovered() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("repo");
        publish_dir::<_, PublishError>(&target, |d| write_file(d, "x", b"old")).unwrap();
        // Simulate a crash after "rename old away" and before "rename new in".
        std::fs::rename(&target, tmp.path().join(".repo.klts-old-999")).unwrap();
        std::fs::create_dir(tmp.path().join(".repo.klts-new-abc")).unwrap();
        let r: Result<(), PublishError> = publish_dir(&target, |_| {
            Err(PublishError::NotADirectory { path: "x".into() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(target.join("x")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
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
