//! The repository writer: rpm headers to `repodata/`, signed (see [`super`]).

use crate::publish::{self, PublishError, ReleaseInput};
use crate::sign::{SignError, SigningKey};
use rpm::{DependencyFlags, FileType, IndexSignatureTag, IndexTag};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors of reading packages and writing a yum repository.
#[derive(Debug, thiserror::Error)]
pub enum YumError {
    /// A file given as a package is not an rpm, or one this reader cannot parse.
    #[error("{path}: not a valid .rpm: {msg}\nhelp: rebuild it with `klts package` (or rpmbuild); check it with `rpm -qip`")]
    BadRpm {
        /// The file.
        path: PathBuf,
        /// What the rpm reader found wrong.
        msg: String,
    },
    /// Two different files of the same package version (same file name) are in the input.
    #[error("{path}: and {other}: both are {file} but differ\nhelp: two builds of the same package version must not be published; bump the release")]
    Conflict {
        /// One of the files.
        path: PathBuf,
        /// The other file with that name.
        other: PathBuf,
        /// The file name both have, `<name>-<ver>-<rel>.<arch>.rpm`.
        file: String,
    },
    /// Publishing the repository (locking, writing, flipping generations) failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Signing `repomd.xml` failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// A dependency entry (`rpm:entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// The capability, e.g. `kubelet` or `/bin/sh`.
    pub name: String,
    /// The comparison, as createrepo writes it (`EQ`, `LT`, `LE`, `GT`, `GE`); `None` for an
    /// unversioned entry.
    pub flags: Option<&'static str>,
    /// The epoch of the version compared with, `0` when it has none.
    pub epoch: String,
    /// The version compared with, without epoch and release; empty for an unversioned entry.
    pub ver: String,
    /// The release compared with, if the entry names one.
    pub rel: Option<String>,
    /// A requirement of an install scriptlet (`Requires(pre)`, `Requires(post)`, legacy
    /// `PreReq`): createrepo's `pre="1"`. Always false for provides, conflicts, obsoletes.
    pub pre: bool,
}

/// What one `.rpm` says about itself, for the metadata.
#[derive(Debug, Clone)]
pub struct Rpm {
    /// Where the `.rpm` was read.
    pub path: PathBuf,
    /// Package name (`Name:`).
    pub name: String,
    /// Architecture, e.g. `x86_64`, `aarch64`, `noarch` (as in the file name).
    pub arch: String,
    /// Epoch, 0 when the package has none.
    pub epoch: u32,
    /// Version (`Version:`).
    pub version: String,
    /// Release (`Release:`), e.g. `lts.3`.
    pub release: String,
    /// SHA-256 of the whole `.rpm` file, lowercase hex: the `pkgid` checksum in primary.xml.
    pub sha256: String,
    /// One-line summary (`Summary:`).
    pub summary: String,
    /// Long description (`%description`).
    pub description: String,
    /// Packager (`Packager:`), empty when unset.
    pub packager: String,
    /// Homepage (`URL:`), empty when unset.
    pub url: String,
    /// License (`License:`).
    pub license: String,
    /// Vendor (`Vendor:`), empty when unset.
    pub vendor: String,
    /// Group (`Group:`), empty when unset.
    pub group: String,
    /// Host the package was built on.
    pub buildhost: String,
    /// File name of the source rpm it was built from, empty for packages built without one.
    pub sourcerpm: String,
    /// Build time, seconds since 1970 (primary.xml's `time build`).
    pub build_time: u64,
    /// Size in bytes of the `.rpm` file.
    pub size_package: u64,
    /// Sum of the sizes in bytes of the installed files (the header's installed size).
    pub size_installed: u64,
    /// Size in bytes of the uncompressed payload archive, from the signature header.
    pub size_archive: u64,
    /// Byte offset in the file where the main header starts (after lead and signature):
    /// createrepo's `rpm:header-range start`.
    pub header_start: u64,
    /// Byte offset where the header ends and the payload starts: `rpm:header-range end`.
    pub header_end: u64,
    /// What the package provides, in header order.
    pub provides: Vec<Dep>,
    /// What the package requires, filtered as createrepo_c does (see `createrepo_requires`).
    pub requires: Vec<Dep>,
    /// What the package conflicts with, in header order.
    pub conflicts: Vec<Dep>,
    /// What the package obsoletes, in header order.
    pub obsoletes: Vec<Dep>,
    /// (path, createrepo's `type`: `""` for a file, `"dir"`, `"ghost"`), sorted.
    pub files: Vec<(String, &'static str)>,
}

impl Rpm {
    /// `<name>-<version>-<release>.<arch>.rpm`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }
}

fn flags_name(f: DependencyFlags) -> Option<&'static str> {
    let cmp = f & (DependencyFlags::LESS | DependencyFlags::GREATER | DependencyFlags::EQUAL);
    match cmp.bits() {
        b if b == DependencyFlags::EQUAL.bits() => Some("EQ"),
        b if b == DependencyFlags::LE.bits() => Some("LE"),
        b if b == DependencyFlags::GE.bits() => Some("GE"),
        b if b == DependencyFlags::LESS.bits() => Some("LT"),
        b if b == DependencyFlags::GREATER.bits() => Some("GT"),
        _ => None,
    }
}

fn dep(d: &rpm::Dependency) -> Dep {
    let flags = flags_name(d.flags);
    let (epoch, rest) = match d.version.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) => (e.to_string(), r),
        _ => ("0".to_string(), d.version.as_str()),
    };
    let (ver, rel) = match rest.rsplit_once('-') {
        Some((v, r)) => (v.to_string(), Some(r.to_string())),
        None => (rest.to_string(), None),
    };
    Dep {
        name: d.name.clone(),
        flags,
        epoch,
        ver,
        rel,
        pre: false,
    }
}

/// The requires createrepo_c lists, in header order: not `rpmlib(…)`, not a file the package
/// ships itself when that file is in primary.xml, not one the package provides with the same
/// flags and version, `pre` for scriptlet requirements, and no repeat of the latest entry of
/// the same name. (Older createrepo_c releases dropped a self-provided require by name alone;
/// either way the package satisfies it itself. Its one other rule, keeping only the highest
/// `libc.so.6(GLIBC_x)` require, is not applied: klts's own packages are static binaries
/// without automatic requires.)
fn createrepo_requires(
    requires: &[rpm::Dependency],
    provides: &[Dep],
    files: &[(String, &'static str)],
) -> Vec<Dep> {
    let scriptlet =
        DependencyFlags::PREREQ | DependencyFlags::SCRIPT_PRE | DependencyFlags::SCRIPT_POST;
    let mut out: Vec<Dep> = Vec::new();
    for r in requires {
        let d = dep(r);
        if r.name.starts_with("rpmlib(")
            || provides.contains(&d)
            || (primary_file(&r.name) && files.iter().any(|(f, _)| *f == r.name))
        {
            continue;
        }
        let d = Dep {
            pre: r.flags.intersects(scriptlet),
            ..d
        };
        if out.iter().rev().find(|o| o.name == d.name) == Some(&d) {
            continue;
        }
        out.push(d);
    }
    out
}

/// Read an `.rpm`'s header (not its payload) and checksum the file.
pub fn read_rpm(path: &Path) -> Result<Rpm, YumError> {
    let bad = |msg: String| YumError::BadRpm {
        path: path.to_path_buf(),
        msg,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let meta =
        rpm::PackageMetadata::parse(&mut bytes.as_slice()).map_err(|e| bad(e.to_string()))?;
    if meta.is_source_package() {
        return Err(bad(
            "a source package; only binary packages are published".into()
        ));
    }
    let s = |r: Result<&str, rpm::Error>| r.map(str::to_string).unwrap_or_default();
    let need = |what: &str, r: Result<&str, rpm::Error>| {
        r.map(str::to_string)
            .map_err(|e| bad(format!("no {what}: {e}")))
    };
    let offsets = meta.get_package_segment_offsets();
    let files: Vec<(String, &'static str)> = meta
        .get_file_entries()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|f| {
            // The precedence createrepo_c gives them: a directory, else a %ghost, else a file.
            let kind = if f.file_type() == FileType::Dir {
                "dir"
            } else if f.flags().contains(rpm::FileFlags::GHOST) {
                "ghost"
            } else {
                ""
            };
            (f.path().to_string_lossy().into_owned(), kind)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Header order, as createrepo_c keeps it; duplicates are only dropped from requires.
    let deps = |r: Result<Vec<rpm::Dependency>, rpm::Error>| -> Vec<Dep> {
        r.unwrap_or_default().iter().map(dep).collect()
    };
    let provides = deps(meta.get_provides());
    let requires = createrepo_requires(&meta.get_requires().unwrap_or_default(), &provides, &files);
    let size_archive = meta
        .signature
        .get_entry_data_as_u32(IndexSignatureTag::RPMSIGTAG_PAYLOADSIZE)
        .map(u64::from)
        .or_else(|_| {
            meta.signature
                .get_entry_data_as_u64(IndexSignatureTag::RPMSIGTAG_LONGARCHIVESIZE)
        })
        .or_else(|_| {
            meta.header
                .get_entry_data_as_u32(IndexTag::RPMTAG_ARCHIVESIZE)
                .map(u64::from)
        })
        .unwrap_or(0);
    // Name, version, release and arch make the file name under `Packages/`: a header that
    // could put `/` or `..` there would write outside the repository.
    let field = |what: &str, r: Result<&str, rpm::Error>| {
        let v = need(what, r)?;
        let ok = !v.is_empty()
            && !v.starts_with('.')
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-._~^".contains(c));
        if ok {
            Ok(v)
        } else {
            Err(bad(format!(
                "{what} {v:?} is not a valid rpm {what} (letters, digits and + - . _ ~ ^)"
            )))
        }
    };
    Ok(Rpm {
        path: path.to_path_buf(),
        name: field("Name", meta.get_name())?,
        arch: field("Arch", meta.get_arch())?,
        epoch: meta.get_epoch().unwrap_or(0),
        version: field("Version", meta.get_version())?,
        release: field("Release", meta.get_release())?,
        sha256: hex::encode(Sha256::digest(&bytes)),
        summary: s(meta.get_summary()),
        description: s(meta.get_description()),
        packager: s(meta.get_packager()),
        url: s(meta.get_url()),
        license: s(meta.get_license()),
        vendor: s(meta.get_vendor()),
        group: s(meta.get_group()),
        buildhost: s(meta.get_build_host()),
        sourcerpm: s(meta.get_source_rpm()),
        build_time: meta.get_build_time().unwrap_or(0),
        size_package: bytes.len() as u64,
        size_installed: meta.get_installed_size().unwrap_or(0),
        size_archive,
        header_start: offsets.header,
        header_end: offsets.payload,
        provides,
        requires,
        conflicts: deps(meta.get_conflicts()),
        obsoletes: deps(meta.get_obsoletes()),
        files,
    })
}

/// Escape text for XML content and attribute values; characters XML 1.0 cannot carry
/// (control characters other than tab, newline, carriage return) become U+FFFD.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn version_el(r: &Rpm) -> String {
    format!(
        "<version epoch=\"{}\" ver=\"{}\" rel=\"{}\"/>",
        r.epoch,
        esc(&r.version),
        esc(&r.release)
    )
}

fn deps_el(tag: &str, deps: &[Dep]) -> String {
    if deps.is_empty() {
        return String::new();
    }
    let mut s = format!("    <rpm:{tag}>\n");
    for d in deps {
        s.push_str(&format!("      <rpm:entry name=\"{}\"", esc(&d.name)));
        if let Some(f) = d.flags {
            s.push_str(&format!(
                " flags=\"{f}\" epoch=\"{}\" ver=\"{}\"",
                esc(&d.epoch),
                esc(&d.ver)
            ));
            if let Some(rel) = &d.rel {
                s.push_str(&format!(" rel=\"{}\"", esc(rel)));
            }
        }
        if d.pre {
            s.push_str(" pre=\"1\"");
        }
        s.push_str("/>\n");
    }
    s.push_str(&format!("    </rpm:{tag}>\n"));
    s
}

/// ` type="dir"` or ` type="ghost"` on a `<file>`, nothing for a plain file.
fn type_attr(kind: &str) -> String {
    if kind.is_empty() {
        String::new()
    } else {
        format!(" type=\"{kind}\"")
    }
}

/// Files createrepo lists in primary.xml (the rest are only in filelists.xml).
fn primary_file(path: &str) -> bool {
    path.starts_with("/etc/") || path.contains("bin/") || path == "/usr/lib/sendmail"
}

fn primary_xml(pkgs: &[&Rpm], time: u32) -> String {
    let mut s = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n", pkgs.len());
    for r in pkgs {
        s.push_str(&format!(
            "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  {}\n  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <summary>{}</summary>\n  <description>{}</description>\n  <packager>{}</packager>\n  <url>{}</url>\n  <time file=\"{time}\" build=\"{}\"/>\n  <size package=\"{}\" installed=\"{}\" archive=\"{}\"/>\n  <location href=\"Packages/{}\"/>\n  <format>\n    <rpm:license>{}</rpm:license>\n    <rpm:vendor>{}</rpm:vendor>\n    <rpm:group>{}</rpm:group>\n    <rpm:buildhost>{}</rpm:buildhost>\n    <rpm:sourcerpm>{}</rpm:sourcerpm>\n    <rpm:header-range start=\"{}\" end=\"{}\"/>\n",
            esc(&r.name), esc(&r.arch), version_el(r), r.sha256, esc(&r.summary), esc(&r.description),
            esc(&r.packager), esc(&r.url), r.build_time, r.size_package, r.size_installed, r.size_archive,
            esc(&r.file_name()), esc(&r.license), esc(&r.vendor), esc(&r.group), esc(&r.buildhost),
            esc(&r.sourcerpm), r.header_start, r.header_end,
        ));
        s.push_str(&deps_el("provides", &r.provides));
        s.push_str(&deps_el("requires", &r.requires));
        s.push_str(&deps_el("conflicts", &r.conflicts));
        s.push_str(&deps_el("obsoletes", &r.obsoletes));
        for (f, kind) in &r.files {
            if primary_file(f) {
                let t = type_attr(kind);
                s.push_str(&format!("    <file{t}>{}</file>\n", esc(f)));
            }
        }
        s.push_str("  </format>\n</package>\n");
    }
    // No final newline: byte for byte what createrepo_c writes (the tests compare).
    s.push_str("</metadata>");
    s
}

fn filelists_xml(pkgs: &[&Rpm]) -> String {
    let mut s = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"{}\">\n", pkgs.len());
    for r in pkgs {
        s.push_str(&format!(
            "<package pkgid=\"{}\" name=\"{}\" arch=\"{}\">\n  {}\n",
            r.sha256,
            esc(&r.name),
            esc(&r.arch),
            version_el(r)
        ));
        for (f, kind) in &r.files {
            let t = type_attr(kind);
            s.push_str(&format!("  <file{t}>{}</file>\n", esc(f)));
        }
        s.push_str("</package>\n");
    }
    s.push_str("</filelists>");
    s
}

fn other_xml(pkgs: &[&Rpm]) -> String {
    let mut s = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"{}\">\n", pkgs.len());
    for r in pkgs {
        s.push_str(&format!(
            "<package pkgid=\"{}\" name=\"{}\" arch=\"{}\">\n  {}\n</package>\n",
            r.sha256,
            esc(&r.name),
            esc(&r.arch),
            version_el(r)
        ));
    }
    s.push_str("</otherdata>");
    s
}

/// Repository options.
#[derive(Debug, Clone)]
pub struct YumOptions {
    /// `revision` and timestamps of repomd.xml (unix seconds).
    pub date: u32,
    /// Signature creation time.
    pub sign_time: u32,
    /// Waiting for a concurrent publish, and key rotation.
    pub policy: publish::Policy,
}

/// One published yum repository (suite).
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct YumSuite {
    /// The suite: a release (`v1.17.17-lts.3`) or a minor line (`v1.17`).
    pub suite: String,
    /// The packages in it, sorted.
    pub packages: Vec<YumPackage>,
}

/// One package of a published [`YumSuite`].
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct YumPackage {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture.
    pub arch: String,
    /// Path of the `.rpm` relative to the repository root, `<suite>/Packages/<file>`.
    pub location: String,
}

/// What was published.
#[derive(Debug, Clone, serde::Serialize)]
pub struct YumReport {
    /// One entry per suite, sorted by suite name.
    pub suites: Vec<YumSuite>,
    /// Fingerprint of the signing key, 40 uppercase hex digits.
    pub fingerprint: String,
}

/// Write complete yum repositories for `inputs` into the empty directory `dir`.
pub fn write_repo(
    inputs: &[ReleaseInput],
    key: &SigningKey,
    opts: &YumOptions,
    dir: &Path,
) -> Result<YumReport, YumError> {
    let rpms = publish::read_packages(inputs, read_rpm)?;
    let by_name = publish::unique_by(rpms.values(), Rpm::file_name, |r| &r.sha256).map_err(
        |(rpm, other, file)| YumError::Conflict {
            path: rpm.path.clone(),
            other: other.path.clone(),
            file,
        },
    )?;
    let public = key.public_armored()?;
    publish::write_file(dir, "klts.asc", public.as_bytes())?;
    // First placement of each package file, for hard links in the other suites.
    let mut placed: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut suites = Vec::new();
    for (suite, files) in publish::suites(inputs) {
        let mut pkgs: Vec<&Rpm> = files
            .iter()
            .map(|f| by_name[&rpms[f].file_name()])
            .collect();
        pkgs.sort_by_key(|r| r.file_name());
        pkgs.dedup_by_key(|r| r.file_name());
        for r in &pkgs {
            let rel = format!("{suite}/Packages/{}", r.file_name());
            let first = placed.get(&r.file_name()).cloned();
            publish::place_file(&r.path, dir, &rel, first.as_deref())?;
            placed
                .entry(r.file_name())
                .or_insert_with(|| dir.join(&rel));
        }
        let mut data = String::new();
        for (kind, xml) in [
            ("primary", primary_xml(&pkgs, opts.date)),
            ("filelists", filelists_xml(&pkgs)),
            ("other", other_xml(&pkgs)),
        ] {
            let gz = crate::fsdir::gzip(xml.as_bytes());
            let sum = hex::encode(Sha256::digest(&gz));
            let href = format!("repodata/{sum}-{kind}.xml.gz");
            publish::write_file(dir, &format!("{suite}/{href}"), &gz)?;
            data.push_str(&format!(
                "  <data type=\"{kind}\">\n    <checksum type=\"sha256\">{sum}</checksum>\n    <open-checksum type=\"sha256\">{}</open-checksum>\n    <location href=\"{href}\"/>\n    <timestamp>{}</timestamp>\n    <size>{}</size>\n    <open-size>{}</open-size>\n  </data>\n",
                hex::encode(Sha256::digest(xml.as_bytes())),
                opts.date,
                gz.len(),
                xml.len(),
            ));
        }
        let repomd = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n  <revision>{}</revision>\n{data}</repomd>\n",
            opts.date
        );
        let sig = key.detached(repomd.as_bytes(), opts.sign_time)?;
        publish::write_file(
            dir,
            &format!("{suite}/repodata/repomd.xml"),
            repomd.as_bytes(),
        )?;
        publish::write_file(
            dir,
            &format!("{suite}/repodata/repomd.xml.asc"),
            sig.as_bytes(),
        )?;
        publish::write_file(
            dir,
            &format!("{suite}/repodata/repomd.xml.key"),
            public.as_bytes(),
        )?;
        let mut packages: Vec<YumPackage> = pkgs
            .iter()
            .map(|r| YumPackage {
                name: r.name.clone(),
                version: r.version.clone(),
                release: r.release.clone(),
                arch: r.arch.clone(),
                location: format!("{suite}/Packages/{}", r.file_name()),
            })
            .collect();
        packages.sort();
        suites.push(YumSuite { suite, packages });
    }
    Ok(YumReport {
        suites,
        fingerprint: key.fingerprint(),
    })
}

/// Collect `out_dir/<release>/rpm/*.rpm` and publish them atomically as yum repositories at
/// `target`. On any error the previous repositories at `target` are left as they were.
pub fn publish(
    out_dir: &Path,
    releases: &[String],
    key: &SigningKey,
    opts: &YumOptions,
    target: &Path,
) -> Result<YumReport, YumError> {
    let inputs = publish::collect(out_dir, "rpm", releases)?;
    publish::publish_dir(target, &key.fingerprint(), &opts.policy, |dir| {
        let report = write_repo(&inputs, key, opts, dir)?;
        // `target` still serves the previous generation here (the flip comes after).
        keep_previous_metadata(target, dir)?;
        Ok(report)
    })
}

/// The `location href`s of a `repomd.xml`.
pub fn repomd_locations(repomd: &str) -> Vec<String> {
    repomd
        .split("<location href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Carry the `repodata/` files that `previous` (the generation being replaced) names in each
/// suite's `repomd.xml` into the new generation `dir`, for the suites `dir` still has: a dnf or
/// yum that fetched the old `repomd.xml` just before the flip fetches those names after it
/// (what `createrepo_c --retain-old-md 1` does in place). Only what the previous `repomd.xml`
/// names is kept, so files do not pile up. Hard links, else copies. Returns how many.
fn keep_previous_metadata(previous: &Path, dir: &Path) -> Result<usize, PublishError> {
    let mut kept = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut suites: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("repodata").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    suites.sort();
    for suite in suites {
        let old = previous.join(&suite);
        // No previous repository, or no such suite in it: nothing to keep.
        let Ok(repomd) = std::fs::read_to_string(old.join("repodata/repomd.xml")) else {
            continue;
        };
        for href in repomd_locations(&repomd) {
            // Read back from disk: take only the names this module writes.
            let Some(name) = href.strip_prefix("repodata/") else {
                continue;
            };
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                continue;
            }
            let src = old.join(&href);
            let dest = format!("{suite}/{href}");
            if src.is_file() && !dir.join(&dest).exists() {
                publish::place_file(&src, dir, &dest, Some(&src))?;
                kept += 1;
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("a<b>&\"c'\u{1}\td"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\td"
        );
    }

    mod esc_props {
        use super::*;

        proptest! {
            #[test]
            fn escaped_text_carries_no_markup(s in "\\PC{0,80}|[<>&\"'\u{0}-\u{1f}a-z]{0,40}") {
                let e = esc(&s);
                prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
                prop_assert!(!e.chars().any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')));
                // Every & starts an entity.
                for (i, _) in e.match_indices('&') {
                    let rest = &e[i..];
                    prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|x| rest.starts_with(x)));
                }
                // Unescaping gives the input back (control characters aside).
                let back = e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
                let want: String = s.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') { '\u{FFFD}' } else { c }).collect();
                prop_assert_eq!(back, want);
            }
        }
    }

    #[test]
    fn repomd_locations_are_read_back() {
        let x = "<data type=\"primary\">\n<location href=\"repodata/ab-primary.xml.gz\"/>\n</data><data type=\"other\"><location href=\"repodata/cd-other.xml.gz\"/></data>";
        assert_eq!(
            repomd_locations(x),
            ["repodata/ab-primary.xml.gz", "repodata/cd-other.xml.gz"]
        );
        assert!(repomd_locations("<repomd/>").is_empty());
    }

    #[test]
    fn dependency_versions_split() {
        let d = dep(&rpm::Dependency::greater_eq("kubelet", "1:1.17.17-lts.3"));
        assert_eq!(
            d,
            Dep {
                name: "kubelet".into(),
                flags: Some("GE"),
                epoch: "1".into(),
                ver: "1.17.17".into(),
                rel: Some("lts.3".into()),
                pre: false,
            }
        );
        let d = dep(&rpm::Dependency::any("/bin/sh"));
        assert_eq!(d.flags, None);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.rpm");
        std::fs::write(&p, b"\xed\xab\xee\xdbgarbage").unwrap();
        let e = read_rpm(&p).unwrap_err();
        assert!(e.to_string().contains("x.rpm"), "{e}");
    }

    #[test]
    fn a_name_that_is_a_path_is_refused() {
        let pkg = crate::rpmpkg::RpmPackage {
            name: "evil".into(),
            version: "1.0".into(),
            release: "1".into(),
            arch: "x86_64/../../..".into(),
            license: "MIT".into(),
            summary: "s".into(),
            description: "d".into(),
            url: "https://example.com".into(),
            packager: "p <p@example.com>".into(),
            files: vec![],
            dirs: vec![],
            requires: vec![],
        };
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("evil.rpm");
        std::fs::write(&p, pkg.to_bytes(1_600_000_000, None).unwrap()).unwrap();
        let e = read_rpm(&p).unwrap_err().to_string();
        assert!(e.contains("evil.rpm") && e.contains("Arch"), "{e}");
    }

    proptest! {

        #[test]
        fn rpm_header_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut b = vec![0xed, 0xab, 0xee, 0xdb];
            b.extend_from_slice(&bytes);
            let _ = rpm::PackageMetadata::parse(&mut b.as_slice());
        }
    }
}
