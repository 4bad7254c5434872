//! Shared file helpers of the distribution steps: replacing a whole directory atomically, and
//! deterministic gzip and xz. The steps build, package and image build their output in a
//! temporary sibling and swap it in with `swap_in`, so a failure leaves the previous output.
//! `publish`, whose output is served while it is replaced, flips a symlink instead (see
//! [`crate::publish`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

fn aside_prefix(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    format!(".{name}.klts-old-")
}

/// The name of the aside copy of `dest` while it is being replaced (`publish` puts back a
/// repository that an older klts left aside under this name when it crashed).
pub(crate) fn aside_path(dest: &Path) -> PathBuf {
    dest.with_file_name(format!("{}{}", aside_prefix(dest), std::process::id()))
}

/// Remove aside copies that an earlier, interrupted swap of `dest` left behind.
fn remove_stale_asides(dest: &Path) {
    let prefix = aside_prefix(dest);
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Replace the directory `dest` by `staged` (a sibling on the same file system): rename the old
/// one aside, rename the new one in (putting the old one back if that fails), then remove the
/// old one. Between the two renames `dest` is briefly absent; it is never half-written.
pub(crate) fn swap_in(staged: &Path, dest: &Path) -> std::io::Result<()> {
    if !staged.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: the staged directory is missing", staged.display()),
        ));
    }
    remove_stale_asides(dest);
    let old = aside_path(dest);
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(dest, &old)?;
    }
    if let Err(e) = std::fs::rename(staged, dest) {
        if had_old {
            let _ = std::fs::rename(&old, dest);
        }
        return Err(e);
    }
    if let Some(parent) = dest.parent() {
        if let Ok(d) = std::fs::File::open(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        }) {
            let _ = d.sync_all();
        }
    }
    if had_old {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// gzip at maximum compression, with no file name and mtime 0, so equal input gives equal bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail; an error here would be a flate2 bug.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

#[cfg(feature = "repositories")]
/// xz (LZMA2 preset 6, CRC64 check, one block, one thread), as single-threaded `xz -6` writes
/// it: equal input gives equal bytes for a given liblzma version (pinned by Cargo.lock when it
/// is built from source; xz-utils' encoder output at a preset has been stable across 5.x). The
/// encoder is the liblzma that already links in to read xz `.deb` members, so there is no
/// second implementation (its output for a 34 KB `Packages` was byte-identical to xz-utils
/// 5.4.1's `xz -6 -T1`). Fails only when liblzma cannot allocate its state (xz documents about
/// 94 MiB for preset 6; little of it is touched for small input).
pub fn xz(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let stream = liblzma::stream::Stream::new_easy_encoder(6, liblzma::stream::Check::Crc64)
        .map_err(std::io::Error::other)?;
    let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    enc.write_all(data)?;
    enc.finish()
}

/// The newest modification time of `paths`, in seconds since 1970 (0 when none is readable):
/// the default `SOURCE_DATE_EPOCH` of the steps after `klts build`, which sets its binaries'
/// mtime to the release commit's time.
pub fn newest_mtime<'a>(paths: impl IntoIterator<Item = &'a Path>) -> u64 {
    paths
        .into_iter()
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_deterministic_and_round_trips() {
        assert_eq!(gzip(b"abc"), gzip(b"abc"));
        assert_eq!(&gzip(b"abc")[4..8], &[0, 0, 0, 0], "no mtime");
        let mut out = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&gzip(b"abc")[..]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "abc");
    }

    #[test]
    fn xz_is_deterministic_and_round_trips() {
        let text = "Package: kubectl\n".repeat(100);
        let a = xz(text.as_bytes()).unwrap();
        assert_eq!(a, xz(text.as_bytes()).unwrap());
        assert!(a.starts_with(b"\xfd7zXZ\0"), "xz magic");
        assert!(a.len() < text.len() / 4, "compressed: {} bytes", a.len());
        let mut out = String::new();
        std::io::Read::read_to_string(&mut liblzma::read::XzDecoder::new(&a[..]), &mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn swap_replaces_and_keeps_the_old_on_failure() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("old"), "1").unwrap();
        let staged = tmp.path().join(".staged");
        std::fs::create_dir(&staged).unwrap();
        std::fs::write(staged.join("new"), "2").unwrap();
        swap_in(&staged, &dest).unwrap();
        assert!(dest.join("new").is_file() && !dest.join("old").exists());
        assert!(!aside_path(&dest).exists() && !staged.exists());
        // A staged directory that does not exist: the current one stays.
        assert!(swap_in(&tmp.path().join("missing"), &dest).is_err());
        assert!(dest.join("new").is_file());
    }
}
