//! The repository writer: indexes, `Release`, signatures (see [`super`]).

use crate::publish::{self, PublishError, ReleaseInput};
use crate::sign::{SignError, SigningKey};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Errors of reading packages and writing an apt repository.
#[derive(Debug, thiserror::Error)]
pub enum AptError {
    /// A file given as a package is not a `.deb`, or its control data is unusable.
    #[error("{path}: not a valid .deb: {msg}\nhelp: rebuild it with `klts package` (or `dpkg-deb --build`); check it with `dpkg-deb --info`")]
    BadDeb {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// Two different files would be stored under the same pool path.
    #[error("{path}: and {other}: both would be {pool} in the pool but differ\nhelp: two builds of the same package version must not be published; bump the version")]
    Conflict {
        /// One of the files.
        path: PathBuf,
        /// The other file with that pool path.
        other: PathBuf,
        /// The pool path both map to (see [`Deb::pool_path`]).
        pool: String,
    },
    /// Publishing the repository (locking, writing, flipping generations) failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Signing `Release` failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// What one `.deb` says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deb {
    /// Where the `.deb` was read.
    pub path: PathBuf,
    /// Control fields in file order (without Filename/Size/checksums).
    pub fields: Vec<(String, String)>,
    /// The `Package:` field.
    pub package: String,
    /// The `Version:` field, as written (epoch included).
    pub version: String,
    /// The `Architecture:` field, e.g. `amd64`, `arm64`, `all`.
    pub architecture: String,
    /// The source package name (the first word of `Source:`), or the package name when there is
    /// none; names the pool directory.
    pub source: String,
    /// Size in bytes of the `.deb` file (the `Size:` field of `Packages`).
    pub size: u64,
    /// MD5 of the `.deb` file, lowercase hex (`MD5sum:`).
    pub md5: String,
    /// SHA-256 of the `.deb` file, lowercase hex (`SHA256:`).
    pub sha256: String,
}

impl Deb {
    /// `pool/main/<l>/<source>/<package>_<version without epoch>_<arch>.deb`.
    pub fn pool_path(&self) -> String {
        let prefix = if self.source.starts_with("lib") && self.source.len() > 3 {
            &self.source[..4]
        } else {
            &self.source[..1]
        };
        let version = self
            .version
            .split_once(':')
            .map(|(_, v)| v)
            .unwrap_or(&self.version);
        format!(
            "pool/main/{prefix}/{}/{}_{}_{}.deb",
            self.source, self.package, version, self.architecture
        )
    }
}

/// Members of an ar archive: (name, data). Errors are messages.
pub fn ar_members(bytes: &[u8]) -> Result<Vec<(String, &[u8])>, String> {
    let rest = bytes
        .strip_prefix(b"!<arch>\n")
        .ok_or("missing the ar magic `!<arch>`")?;
    let mut pos = 0usize;
    let mut out = Vec::new();
    while pos < rest.len() {
        if rest.len() - pos < 60 {
            return Err(format!("truncated ar header at byte {}", pos + 8));
        }
        let h = &rest[pos..pos + 60];
        if &h[58..60] != b"`\n" {
            return Err(format!("bad ar header at byte {}", pos + 8));
        }
        let name = String::from_utf8_lossy(&h[..16])
            .trim_end()
            .trim_end_matches('/')
            .to_string();
        let size: usize = std::str::from_utf8(&h[48..58])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| format!("bad ar member size for {name:?}"))?;
        let start = pos + 60;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= rest.len())
            .ok_or_else(|| format!("ar member {name:?} is truncated"))?;
        out.push((name, &rest[start..end]));
        pos = end + (size & 1);
    }
    Ok(out)
}

/// Parse a deb822 paragraph (the `control` file) into fields in order.
pub fn parse_control(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if fields.is_empty() {
                continue;
            }
            // Only one paragraph in a control file; trailing blank lines are fine.
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            let Some(last) = fields.last_mut() else {
                return Err(format!(
                    "control line {}: continuation before any field",
                    n + 1
                ));
            };
            last.1.push('\n');
            last.1.push_str(line);
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("control line {}: expected `Field: value`", n + 1))?;
        if k.is_empty()
            || k.contains(char::is_whitespace)
            || k.starts_with('-')
            || k.starts_with('#')
        {
            return Err(format!("control line {}: bad field name {k:?}", n + 1));
        }
        fields.push((k.to_string(), v.trim().to_string()));
    }
    Ok(fields)
}

fn decompress(name: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let r = if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(data).read_to_end(&mut out)
    } else if name.ends_with(".xz") {
        liblzma::read::XzDecoder::new(data).read_to_end(&mut out)
    } else if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(data).and_then(|mut d| d.read_to_end(&mut out))
    } else if name == "control.tar" {
        out.extend_from_slice(data);
        Ok(0)
    } else {
        return Err(format!(
            "{name}: unsupported compression (supported: none, gz, xz, zst)"
        ));
    };
    r.map_err(|e| format!("{name}: {e}"))?;
    Ok(out)
}

/// Read a `.deb`'s control fields and checksums.
pub fn read_deb(path: &Path) -> Result<Deb, AptError> {
    let bad = |msg: String| AptError::BadDeb {
        path: path.to_path_buf(),
        msg,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    parse_deb(&bytes, path)
}

/// [`read_deb`] from bytes; `path` is used for the result and messages.
pub fn parse_deb(bytes: &[u8], path: &Path) -> Result<Deb, AptError> {
    let bad = |msg: String| AptError::BadDeb {
        path: path.to_path_buf(),
        msg,
    };
    let members = ar_members(bytes).map_err(bad)?;
    match members.first() {
        Some((n, d)) if n == "debian-binary" && d.starts_with(b"2.") => {}
        _ => return Err(bad("the first member is not `debian-binary` 2.x".into())),
    }
    let (name, data) = members
        .iter()
        .find(|(n, _)| n.starts_with("control.tar"))
        .ok_or_else(|| bad("no control.tar member".into()))?;
    let tar_bytes = decompress(name, data).map_err(bad)?;
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut control = None;
    for entry in archive.entries().map_err(|e| bad(format!("{name}: {e}")))? {
        let mut entry = entry.map_err(|e| bad(format!("{name}: {e}")))?;
        let p = entry
            .path()
            .map_err(|e| bad(format!("{name}: {e}")))?
            .to_string_lossy()
            .into_owned();
        if p == "./control" || p == "control" {
            let mut s = String::new();
            entry
                .read_to_string(&mut s)
                .map_err(|e| bad(format!("{name}/control: {e}")))?;
            control = Some(s);
            break;
        }
    }
    let control = control.ok_or_else(|| bad(format!("{name} has no ./control")))?;
    let fields: Vec<(String, String)> = parse_control(&control)
        .map_err(bad)?
        .into_iter()
        .filter(|(k, _)| {
            !["filename", "size", "md5sum", "sha1", "sha256", "sha512"]
                .contains(&k.to_ascii_lowercase().as_str())
        })
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.~:_".contains(c))
    };
    let package = get("Package")
        .filter(|s| valid(s) && !s.contains([':', '_', '~']))
        .ok_or_else(|| bad("control has no valid Package field".into()))?;
    let version = get("Version")
        .filter(|s| valid(s))
        .ok_or_else(|| bad("control has no valid Version field".into()))?;
    let architecture = get("Architecture")
        .filter(|s| valid(s) && !s.contains([':', '_', '~']))
        .ok_or_else(|| bad("control has no valid Architecture field".into()))?;
    let source = get("Source")
        .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
        .filter(|s| valid(s) && !s.contains([':', '_', '~']))
        .unwrap_or_else(|| package.clone());
    Ok(Deb {
        path: path.to_path_buf(),
        fields,
        package,
        version,
        architecture,
        source,
        size: bytes.len() as u64,
        md5: hex::encode(Md5::digest(bytes)),
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

/// Repository labels.
#[derive(Debug, Clone)]
pub struct AptOptions {
    /// The `Origin:` field of `Release`.
    pub origin: String,
    /// The `Label:` field of `Release`, also used in its `Description:`.
    pub label: String,
    /// `Date:` of `Release` (unix seconds); the signatures are made at [`AptOptions::sign_time`].
    pub date: u32,
    /// Creation time of the `InRelease` and `Release.gpg` signatures, unix seconds.
    pub sign_time: u32,
    /// `Valid-Until:` this many seconds after `Date:`, or none. apt then refuses indexes older
    /// than that (protection against a mirror that replays or freezes old metadata), so the
    /// repository must be republished within the window.
    pub valid_for: Option<u32>,
    /// Waiting for a concurrent publish, and key rotation.
    pub policy: publish::Policy,
}

/// One suite of the published repository.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct AptSuite {
    /// The suite: a release (`v1.17.17-lts.3`) or a minor line (`v1.17`).
    pub suite: String,
    /// The architectures it has packages for, sorted (its `Architectures:` field).
    pub architectures: Vec<String>,
    /// `package=version` (arch), sorted.
    pub packages: Vec<AptPackage>,
}

/// One package of a published [`AptSuite`].
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AptPackage {
    /// Package name.
    pub package: String,
    /// Version, as in the `.deb`.
    pub version: String,
    /// Architecture.
    pub architecture: String,
    /// Path of the `.deb` in the repository, `pool/main/<l>/<source>/<file>` (the `Filename:`
    /// field).
    pub filename: String,
}

/// What was published.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AptReport {
    /// One entry per suite, sorted by suite name.
    pub suites: Vec<AptSuite>,
    /// Fingerprint of the signing key, 40 uppercase hex digits.
    pub fingerprint: String,
}

/// RFC 2822 date in UTC as apt writes it: `Sat, 01 Jan 2022 00:00:00 UTC` ([`klts_core::time`]).
pub fn rfc2822(secs: u64) -> String {
    klts_core::time::rfc2822(i64::try_from(secs).unwrap_or(i64::MAX), "UTC")
}

fn paragraph(deb: &Deb) -> String {
    let mut s = String::new();
    let mut fields = deb.fields.clone();
    // Package first, as dpkg writes it.
    fields.sort_by_key(|(k, _)| !k.eq_ignore_ascii_case("Package"));
    for (k, v) in &fields {
        s.push_str(&format!("{k}: {v}\n"));
    }
    s.push_str(&format!(
        "Filename: {}\nSize: {}\nMD5sum: {}\nSHA256: {}\n",
        deb.pool_path(),
        deb.size,
        deb.md5,
        deb.sha256
    ));
    s
}

/// Write a complete apt repository for `inputs` into the empty directory `dir`.
pub fn write_repo(
    inputs: &[ReleaseInput],
    key: &SigningKey,
    opts: &AptOptions,
    dir: &Path,
) -> Result<AptReport, AptError> {
    // Read every package first: a bad .deb fails before anything is written.
    let debs = publish::read_packages(inputs, read_deb)?;
    let pool = publish::unique_by(debs.values(), Deb::pool_path, |d| &d.sha256).map_err(
        |(deb, other, pool)| AptError::Conflict {
            path: deb.path.clone(),
            other: other.path.clone(),
            pool,
        },
    )?;
    for (p, deb) in &pool {
        publish::place_file(&deb.path, dir, p, None)?;
    }
    let mut suites = Vec::new();
    for (suite, files) in publish::suites(inputs) {
        let mut members: Vec<&Deb> = files.iter().map(|f| &debs[f]).collect();
        members.sort_by(|a, b| {
            (&a.package, &a.version, &a.architecture, a.pool_path()).cmp(&(
                &b.package,
                &b.version,
                &b.architecture,
                b.pool_path(),
            ))
        });
        members.dedup_by_key(|d| d.pool_path());
        let mut arches: BTreeSet<String> = members
            .iter()
            .map(|d| d.architecture.clone())
            .filter(|a| a != "all")
            .collect();
        if arches.is_empty() {
            arches.insert("all".into());
        }
        let mut index_files: Vec<(String, Vec<u8>)> = Vec::new();
        for arch in &arches {
            let text: Vec<String> = members
                .iter()
                .filter(|d| &d.architecture == arch || d.architecture == "all")
                .map(|d| paragraph(d))
                .collect();
            let text = text.join("\n");
            let rel = format!("main/binary-{arch}/Packages");
            index_files.push((format!("{rel}.gz"), crate::fsdir::gzip(text.as_bytes())));
            let xz = crate::fsdir::xz(text.as_bytes()).map_err(|source| PublishError::Io {
                path: dir.join(format!("dists/{suite}/{rel}.xz")),
                source,
            })?;
            index_files.push((format!("{rel}.xz"), xz));
            index_files.push((rel, text.into_bytes()));
        }
        index_files.sort_by(|a, b| a.0.cmp(&b.0));
        let arch_list: Vec<String> = arches.iter().cloned().collect();
        let mut release = format!(
            "Origin: {}\nLabel: {}\nSuite: {suite}\nCodename: {suite}\nDate: {}\nArchitectures: {}\nComponents: main\nDescription: {} packages for {suite}\nAcquire-By-Hash: yes\n",
            opts.origin,
            opts.label,
            rfc2822(opts.date as u64),
            arch_list.join(" "),
            opts.label,
        );
        if let Some(secs) = opts.valid_for {
            release.push_str(&format!(
                "Valid-Until: {}\n",
                rfc2822(opts.date as u64 + secs as u64)
            ));
        }
        release.push_str("MD5Sum:\n");
        for (rel, bytes) in &index_files {
            release.push_str(&format!(
                " {} {:>8} {rel}\n",
                hex::encode(Md5::digest(bytes)),
                bytes.len()
            ));
        }
        release.push_str("SHA256:\n");
        for (rel, bytes) in &index_files {
            release.push_str(&format!(
                " {} {:>8} {rel}\n",
                hex::encode(Sha256::digest(bytes)),
                bytes.len()
            ));
        }
        let base = format!("dists/{suite}");
        for (rel, bytes) in &index_files {
            let canonical = format!("{base}/{rel}");
            publish::write_file(dir, &canonical, bytes)?;
            let by_hash = by_hash_path(&canonical, &hex::encode(Sha256::digest(bytes)));
            let canonical = dir.join(canonical);
            publish::place_file(&canonical, dir, &by_hash, Some(&canonical))?;
        }
        let inrelease = key.clearsign(&release, opts.sign_time)?;
        let detached = key.detached(release.as_bytes(), opts.sign_time)?;
        publish::write_file(dir, &format!("{base}/Release"), release.as_bytes())?;
        publish::write_file(dir, &format!("{base}/InRelease"), inrelease.as_bytes())?;
        publish::write_file(dir, &format!("{base}/Release.gpg"), detached.as_bytes())?;
        let mut packages: Vec<AptPackage> = members
            .iter()
            .map(|d| AptPackage {
                package: d.package.clone(),
                version: d.version.clone(),
                architecture: d.architecture.clone(),
                filename: d.pool_path(),
            })
            .collect();
        packages.sort();
        suites.push(AptSuite {
            suite,
            architectures: arch_list,
            packages,
        });
    }
    publish::write_file(dir, "klts.asc", key.public_armored()?.as_bytes())?;
    publish::write_file(dir, "klts.gpg", &key.public_binary()?)?;
    Ok(AptReport {
        suites,
        fingerprint: key.fingerprint(),
    })
}

/// `<dir of index>/by-hash/SHA256/<sha256>`, the name apt fetches with `Acquire-By-Hash`.
fn by_hash_path(index: &str, sha256: &str) -> String {
    match index.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/by-hash/SHA256/{sha256}"),
        None => format!("by-hash/SHA256/{sha256}"),
    }
}

/// The `SHA256:` section of a `Release` file: (hash, size, path relative to the suite).
pub fn release_sha256(release: &str) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in release.lines() {
        if !line.starts_with(' ') {
            inside = line.trim_end() == "SHA256:";
            continue;
        }
        if !inside {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if let [hash, size, path] = f[..] {
            if let Ok(size) = size.parse() {
                out.push((hash.to_string(), size, path.to_string()));
            }
        }
    }
    out
}

/// Carry the by-hash files that `previous` (the generation being replaced) names in its
/// `Release`s into the new generation `dir`, for the suites `dir` still has: a client that read
/// the old `InRelease` just before the flip fetches those names after it. Only what the
/// previous `Release` names is kept, so files do not pile up over generations. Hard links
/// (both generations are siblings on one file system), else copies. Returns how many.
fn keep_previous_by_hash(previous: &Path, dir: &Path) -> Result<usize, PublishError> {
    let mut kept = 0;
    let Ok(suites) = std::fs::read_dir(dir.join("dists")) else {
        return Ok(0);
    };
    let mut suites: Vec<String> = suites
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    suites.sort();
    for suite in suites {
        let old = previous.join("dists").join(&suite);
        // No previous repository, or no such suite in it: nothing to keep.
        let Ok(release) = std::fs::read_to_string(old.join("Release")) else {
            continue;
        };
        for (hash, _, rel) in release_sha256(&release) {
            // The previous Release is read back from disk: take only names this module writes.
            let safe = hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && rel
                    .split('/')
                    .all(|c| !c.is_empty() && c != "." && c != "..");
            if !safe {
                continue;
            }
            let by_hash = by_hash_path(&rel, &hash);
            let src = old.join(&by_hash);
            let dest = format!("dists/{suite}/{by_hash}");
            if src.is_file() && !dir.join(&dest).exists() {
                publish::place_file(&src, dir, &dest, Some(&src))?;
                kept += 1;
            }
        }
    }
    Ok(kept)
}

/// Collect `out_dir/<release>/deb/*.deb` and publish them atomically as an apt repository at
/// `target`. On any error the previous repository at `target` is left as it was.
pub fn publish(
    out_dir: &Path,
    releases: &[String],
    key: &SigningKey,
    opts: &AptOptions,
    target: &Path,
) -> Result<AptReport, AptError> {
    let inputs = publish::collect(out_dir, "deb", releases)?;
    publish::publish_dir(target, &key.fingerprint(), &opts.policy, |dir| {
        let report = write_repo(&inputs, key, opts, dir)?;
        // `target` still serves the previous generation here (the flip comes after).
        keep_previous_by_hash(target, dir)?;
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_are_rfc2822() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 UTC");
        assert_eq!(rfc2822(1_640_995_200), "Sat, 01 Jan 2022 00:00:00 UTC");
        assert_eq!(rfc2822(1_709_210_096), "Thu, 29 Feb 2024 12:34:56 UTC");
    }

    #[test]
    fn release_hash_sections_and_by_hash_names() {
        let r = "Origin: KLTS\nMD5Sum:\n 0123 12 main/binary-amd64/Packages\nSHA256:\n abcd 12 main/binary-amd64/Packages\n ef01     7 main/binary-amd64/Packages.xz\n bad line\nValid-Until: x\n";
        assert_eq!(
            release_sha256(r),
            vec![
                ("abcd".into(), 12, "main/binary-amd64/Packages".into()),
                ("ef01".into(), 7, "main/binary-amd64/Packages.xz".into()),
            ]
        );
        assert_eq!(
            by_hash_path("dists/v1.17/main/binary-amd64/Packages.gz", "ab"),
            "dists/v1.17/main/binary-amd64/by-hash/SHA256/ab"
        );
        assert_eq!(by_hash_path("Packages", "ab"), "by-hash/SHA256/ab");
    }

    #[test]
    fn control_fields_parse_with_continuations() {
        let f =
            parse_control("Package: kubectl\nVersion: 1.17.17-lts.3\nDescription: x\n more\n .\n")
                .unwrap();
        assert_eq!(f[0], ("Package".into(), "kubectl".into()));
        assert_eq!(f[2].1, "x\n more\n .");
        assert!(parse_control(" lead\n").is_err());
        assert!(parse_control("NoColon\n").is_err());
    }

    fn ar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = b"!<arch>\n".to_vec();
        for (n, d) in members {
            out.extend_from_slice(
                format!(
                    "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                    n,
                    0,
                    0,
                    0,
                    100644,
                    d.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(d);
            if d.len() % 2 == 1 {
                out.push(b'\n');
            }
        }
        out
    }

    #[test]
    fn ar_members_roundtrip_and_errors() {
        let a = ar(&[("debian-binary", b"2.0\n"), ("odd", b"abc")]);
        let m = ar_members(&a).unwrap();
        assert_eq!(
            m,
            vec![
                ("debian-binary".to_string(), &b"2.0\n"[..]),
                ("odd".to_string(), &b"abc"[..])
            ]
        );
        assert!(ar_members(&a[..a.len() - 3]).is_err());
        assert!(ar_members(b"garbage").is_err());
        let e = parse_deb(&ar(&[("debian-binary", b"2.0\n")]), Path::new("x.deb")).unwrap_err();
        assert!(
            e.to_string().contains("x.deb") && e.to_string().contains("no control.tar"),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = ar_members(&bytes);
            let _ = parse_deb(&bytes, Path::new("f.deb"));
            let _ = parse_control(&String::from_utf8_lossy(&bytes));
            let mut prefixed = b"!<arch>\n".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = parse_deb(&prefixed, Path::new("f.deb"));
        }

        #[test]
        fn control_roundtrip(fields in proptest::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,10}", "[ -~]{0,20}"), 1..6)) {
            let text: String = fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
            let parsed = parse_control(&text).unwrap();
            let expect: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.clone(), v.trim().to_string())).collect();
            prop_assert_eq!(parsed, expect);
        }
    }
}
