//! Which Go toolchain a release tree needs: the one owner of that rule, used by `klts
//! toolchain`, `klts build` (which Go to run), `klts ci github` (which Go each job installs)
//! and the vulnerability statuses of `stdlib`/`toolchain` advisories (which standard library
//! the release ships).
//!
//! [`toolchain`] reads the materialized tree (the chain's patches applied, so a Go-bump patch
//! changes the answer) through [`TreeFiles`] — from git objects ([`GitTree`]) or a working
//! tree on disk ([`DirTree`]) — and takes the first source that names a version, in this order
//! of authority:
//!
//! 1. the manifest's `build.go` (for that release or its minor line): the operator's word;
//! 2. `.go-version` (Kubernetes ≥ 1.29 and many Go projects): the exact toolchain;
//! 3. `build/build-image/cross/VERSION` (Kubernetes' kube-cross image: `v1.13.15-1` → 1.13.15,
//!    `v1.22.0-go1.16.7-buster.0` → 1.16.7): the exact toolchain of the official build;
//! 4. the go.mod `toolchain go1.X.Y` directive (Go ≥ 1.21): the toolchain Go itself would pick;
//! 5. the go.mod `go 1.X` directive: only the **oldest** Go the tree accepts, so
//!    [`Toolchain::minimum`] is set and the source says so;
//! 6. the `GoVersion` of `Godeps/Godeps.json`, for pre-modules trees without any of the above;
//! 7. else unknown (`toolchain: None`).
//!
//! A file that is present but names no version is a warning, and the next source is tried. A
//! file that cannot be read is an error: an unreadable tree must never look like one that
//! names no Go. Every version goes through the one strict parser,
//! [`klts_core::goversion::GoRelease::parse`]; files are read up to [`MAX_FILE`] bytes.

use crate::odb::{Odb, Oid};
use klts_core::diag::{Diagnostic, Severity};
use klts_core::goversion::GoRelease;
use serde::Serialize;
use std::path::PathBuf;

/// Path of the module file.
pub const GO_MOD: &str = "go.mod";
/// Path of the godep manifest (Kubernetes ≤ 1.14).
pub const GODEPS_JSON: &str = "Godeps/Godeps.json";
/// Path of the Go version file (recent Kubernetes).
pub const GO_VERSION_FILE: &str = ".go-version";
/// Path of the kube-cross image version (its Go version is the build's).
pub const CROSS_VERSION: &str = "build/build-image/cross/VERSION";

/// `source` of a version set by the manifest.
pub const SOURCE_MANIFEST: &str = "releases.yml build.go";
/// `source` of a Go version taken from the go.mod `toolchain` directive.
pub const SOURCE_TOOLCHAIN: &str = "go.mod toolchain directive";
/// `source` of a Go version taken from the go.mod `go` directive.
pub const SOURCE_GO_DIRECTIVE: &str = "go.mod go directive";
/// `source` of a Go version taken from the `GoVersion` of `Godeps/Godeps.json`.
pub const SOURCE_GODEPS: &str = "Godeps/Godeps.json GoVersion";

/// The most bytes of a version file (or go.mod, Godeps.json) that are looked at; past it the
/// file is treated as naming no version (a hostile tree cannot make klts read gigabytes).
pub const MAX_FILE: usize = 4 << 20;

/// Read access to the files of a release tree.
pub trait TreeFiles {
    /// The bytes of the file at `path` (relative to the tree root, `/`-separated): `Ok(None)`
    /// when the tree has no such file, `Err` when it could not be read. The difference
    /// matters: a module that is absent makes an advisory `not-affected`, and a read that
    /// failed must never do that.
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError>;

    /// Whether `path` is a directory of the tree (pre-modules markers such as `vendor/`).
    /// The default says no, for readers that only know files.
    fn is_dir(&mut self, _path: &str) -> Result<bool, TreeReadError> {
        Ok(false)
    }
}

/// A file of a tree could not be read (a git object reader failed, an object is missing).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {path} of the tree: {reason}")]
pub struct TreeReadError {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// In-memory trees (tests, fixtures): a closure from path to bytes never fails.
impl<F: FnMut(&str) -> Option<Vec<u8>>> TreeFiles for F {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
        Ok(self(path))
    }
}

/// Files of one tree, read through the object database (no checkout).
pub struct GitTree<'a> {
    /// The object reader of the mirror.
    pub odb: &'a mut Odb,
    /// The tree.
    pub tree: Oid,
}

impl TreeFiles for GitTree<'_> {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
        let err = |e: &dyn std::fmt::Display| TreeReadError {
            path: path.to_string(),
            reason: e.to_string(),
        };
        let Some(entry) = self
            .odb
            .lookup(&self.tree, path.as_bytes())
            .map_err(|e| err(&e))?
        else {
            return Ok(None);
        };
        if entry.is_tree() {
            return Ok(None);
        }
        let oid = crate::odb::oid_hex(&entry.oid);
        match self.odb.read(&oid).map_err(|e| err(&e))? {
            Some((kind, body)) if kind == "blob" => Ok(Some(body)),
            // A submodule (commit) entry is no file.
            Some((kind, _)) if kind == "commit" => Ok(None),
            Some((kind, _)) => Err(err(&format!("{oid} is a {kind}, not a blob"))),
            None => Err(err(&format!("blob {oid} is missing from the mirror"))),
        }
    }

    fn is_dir(&mut self, path: &str) -> Result<bool, TreeReadError> {
        let entry = self
            .odb
            .lookup(&self.tree, path.as_bytes())
            .map_err(|e| TreeReadError {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
        Ok(entry.is_some_and(|e| e.is_tree()))
    }
}

/// Files of a working tree on disk (`klts build`'s checkout). Symbolic links are not followed
/// out of the tree: a link is read as absent, since a tree's version files are regular files.
pub struct DirTree {
    /// The root of the working tree.
    pub root: PathBuf,
}

impl TreeFiles for DirTree {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
        let full = self.root.join(path);
        let err = |e: std::io::Error| TreeReadError {
            path: full.display().to_string(),
            reason: e.to_string(),
        };
        match std::fs::symlink_metadata(&full) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(e)),
        }
        use std::io::Read;
        let mut buf = Vec::new();
        std::fs::File::open(&full)
            .and_then(|f| f.take(MAX_FILE as u64 + 1).read_to_end(&mut buf))
            .map_err(err)?;
        Ok(Some(buf))
    }

    fn is_dir(&mut self, path: &str) -> Result<bool, TreeReadError> {
        Ok(std::fs::symlink_metadata(self.root.join(path)).is_ok_and(|m| m.is_dir()))
    }
}

/// The Go toolchain a tree needs, and where that was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// `1.15.10`, or `1.16` when only the go.mod `go` directive says it.
    pub version: GoRelease,
    /// Where it was read: [`SOURCE_MANIFEST`], `.go-version`,
    /// `build/build-image/cross/VERSION`, [`SOURCE_TOOLCHAIN`], [`SOURCE_GO_DIRECTIVE`],
    /// [`SOURCE_GODEPS`].
    pub source: String,
    /// Only a minimum (the go.mod `go` directive): any newer Go of that line also builds it.
    pub minimum: bool,
}

/// What [`toolchain`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The toolchain, when some source names one.
    pub toolchain: Option<Toolchain>,
    /// The version files that are present in the tree, in reading order.
    pub read: Vec<String>,
    /// Files that are present but name no version (code [`ToolchainCode::NotAGoVersion`], the
    /// file as it is named in the tree).
    pub warnings: Vec<Diagnostic>,
}

/// The Go version of `.go-version` (`1.22.5`, possibly `go1.22.5`): the first line that is
/// neither empty nor a `#` comment.
pub fn parse_go_version_file(text: &str) -> Option<GoRelease> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    GoRelease::parse(line).ok()
}

/// The Go version of `build/build-image/cross/VERSION`: `v1.15.10-1` → `1.15.10` (kube-cross
/// tagged by Go version, with a build number or `-legacy-1`), and
/// `v1.22.0-go1.16.7-buster.0` → `1.16.7` (kube-cross tagged by Kubernetes version, then Go's).
pub fn parse_cross_version(text: &str) -> Option<GoRelease> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    if let Some(i) = line.find("-go") {
        let after = &line[i + 3..];
        let go = after.split('-').next().unwrap_or("");
        return GoRelease::parse(go).ok();
    }
    let first = line.split('-').next().unwrap_or("");
    GoRelease::parse(first).ok()
}

/// The `go` and `toolchain` directives of a go.mod (their raw text), outside blocks and
/// comments. The rest of go.mod (requires, replaces) is `klts_vuln::inventory`'s business.
pub fn go_mod_directives(text: &str) -> (Option<String>, Option<String>) {
    let (mut go, mut toolchain) = (None, None);
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if in_block {
            if line.starts_with(')') {
                in_block = false;
            }
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.last() == Some(&"(") {
            in_block = true;
            continue;
        }
        match words.as_slice() {
            ["go", v] => go = Some(v.to_string()),
            ["toolchain", v] => toolchain = Some(v.to_string()),
            _ => {}
        }
    }
    (go, toolchain)
}

fn text(bytes: &[u8]) -> Option<String> {
    (bytes.len() <= MAX_FILE).then(|| String::from_utf8_lossy(bytes).into_owned())
}

fn shown(s: &str) -> String {
    klts_core::names::printable(s.trim(), 60)
}

klts_core::diagnostic_codes! {
    /// What can be wrong with the Go version a tree names.
    pub enum ToolchainCode {
        /// A version file or directive is present but names no Go version.
        NotAGoVersion => "not-a-go-version",
    }
}

/// A warning about the version file `path` of a tree.
fn not_a_version(path: &str, message: String) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        ToolchainCode::NotAGoVersion,
        path,
        None,
        message,
    )
    .with_help("name the version there (e.g. `1.15.15`), or set `build.go` for the release in releases.yml")
}

/// The toolchain the manifest's `build.go` names: the answer whatever the tree says.
fn manifest_toolchain(v: &GoRelease) -> Toolchain {
    Toolchain {
        version: *v,
        source: SOURCE_MANIFEST.to_string(),
        minimum: false,
    }
}

/// The toolchain a tree needs. `explicit` is the manifest's `build.go` for this release
/// ([`klts_core::build::GoSetting::for_release`]), which wins over the tree. See the
/// [module documentation](self) for the order.
pub fn toolchain(
    files: &mut dyn TreeFiles,
    explicit: Option<&GoRelease>,
) -> Result<Found, TreeReadError> {
    let mut found = Found::default();
    if let Some(v) = explicit {
        found.toolchain = Some(manifest_toolchain(v));
        return Ok(found);
    }
    type VersionParser = fn(&str) -> Option<GoRelease>;
    let file_sources: [(&str, VersionParser); 2] = [
        (GO_VERSION_FILE, parse_go_version_file),
        (CROSS_VERSION, parse_cross_version),
    ];
    for (path, parse) in file_sources {
        if let Some(bytes) = files.read(path)? {
            found.read.push(path.to_string());
            let t = text(&bytes).unwrap_or_default();
            match parse(&t) {
                Some(version) => {
                    found.toolchain = Some(Toolchain {
                        version,
                        source: path.to_string(),
                        minimum: false,
                    });
                    return Ok(found);
                }
                None => found.warnings.push(not_a_version(
                    path,
                    format!("no Go version in {:?}", shown(&t)),
                )),
            }
        }
    }
    if let Some(bytes) = files.read(GO_MOD)? {
        found.read.push(GO_MOD.to_string());
        let (go, tc) = go_mod_directives(&text(&bytes).unwrap_or_default());
        for (raw, source, minimum) in [
            (tc, SOURCE_TOOLCHAIN, false),
            (go, SOURCE_GO_DIRECTIVE, true),
        ] {
            let Some(raw) = raw else { continue };
            match GoRelease::parse(&raw) {
                Ok(version) => {
                    found.toolchain = Some(Toolchain {
                        version,
                        source: source.to_string(),
                        minimum,
                    });
                    return Ok(found);
                }
                // `toolchain default` names no version.
                Err(_) if raw == "default" => {}
                Err(_) => found.warnings.push(not_a_version(
                    GO_MOD,
                    format!("{source}: not a Go version: {:?}", shown(&raw)),
                )),
            }
        }
        return Ok(found);
    }
    if let Some(bytes) = files.read(GODEPS_JSON)? {
        found.read.push(GODEPS_JSON.to_string());
        let go = (bytes.len() <= MAX_FILE)
            .then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .flatten()
            .and_then(|d| d.get("GoVersion")?.as_str().map(str::to_string));
        if let Some(raw) = go {
            match GoRelease::parse(&raw) {
                Ok(version) => {
                    found.toolchain = Some(Toolchain {
                        version,
                        source: SOURCE_GODEPS.to_string(),
                        minimum: false,
                    })
                }
                Err(_) => found.warnings.push(not_a_version(
                    GODEPS_JSON,
                    format!("GoVersion: not a Go version: {:?}", shown(&raw)),
                )),
            }
        }
    }
    Ok(found)
}

/// The toolchain of one release of the manifest (`klts toolchain`, `klts ci github`).
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseToolchain {
    /// The release.
    pub release: String,
    /// The materialized commit the toolchain was read from.
    pub commit: Option<String>,
    /// The toolchain, when the manifest or the tree names one.
    pub toolchain: Option<Toolchain>,
    /// Version files present but naming no version.
    pub warnings: Vec<Diagnostic>,
    /// Why the tree could not be read (the release does not materialize).
    pub error: Option<String>,
}

/// Each release's toolchain: the manifest's `build.go` when it names one (no tree needed, so
/// the release is not materialized), else read with [`toolchain`] from the release's tree,
/// materialized for the purpose (cached steps; see [`crate::verify`]). A release that does not
/// materialize, or cannot be tried (no mirror offline), has an `error` and no toolchain.
pub fn release_toolchains(
    ws: &crate::Workspace,
    names: &[String],
    options: &crate::verify::VerifyOptions,
) -> Result<Vec<ReleaseToolchain>, crate::ForgeError> {
    let explicit = |name: &str| ws.manifest.build.go.for_release(name).map(|v| v.value);
    let from_tree: Vec<String> = names
        .iter()
        .filter(|n| explicit(n).is_none())
        .cloned()
        .collect();
    // Only the releases whose answer is in their tree are materialized; a failure to try them
    // at all is each one's error, not the others'.
    let report = if from_tree.is_empty() {
        Ok(None)
    } else {
        crate::verify::verify(ws, &from_tree, options, &|_, _| {}).map(Some)
    };
    let mut odb = None;
    let mut out = Vec::new();
    for name in names {
        let mut row = ReleaseToolchain {
            release: name.clone(),
            commit: None,
            toolchain: None,
            warnings: Vec::new(),
            error: None,
        };
        if let Some(v) = explicit(name) {
            row.toolchain = Some(manifest_toolchain(&v));
            out.push(row);
            continue;
        }
        let r = match &report {
            Ok(report) => report
                .as_ref()
                .and_then(|rep| rep.releases.iter().find(|r| &r.release == name)),
            Err(e) => {
                row.error = Some(e.to_string());
                out.push(row);
                continue;
            }
        };
        row.commit = r
            .filter(|r| r.status == crate::verify::Status::Ok)
            .and_then(|r| r.commit.clone());
        match &row.commit {
            Some(c) => {
                if odb.is_none() {
                    odb = Some(Odb::open(&ws.mirror_dir())?);
                }
                let odb = odb.as_mut().expect("opened above");
                let tree = odb.commit_tree(c)?;
                let found = toolchain(&mut GitTree { odb, tree }, None)
                    .map_err(|e| crate::ForgeError::Other(format!("{name}: {e}")))?;
                row.toolchain = found.toolchain;
                row.warnings = found.warnings;
            }
            None => {
                row.error = Some(r.and_then(|r| r.error.clone()).unwrap_or_else(|| {
                    format!("{name} does not materialize (`klts verify {name}` shows why)")
                }));
            }
        }
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_files() {
        let text = |v: Option<GoRelease>| v.map(|v| v.to_string());
        for (file, v) in [
            ("v1.15.10-1\n", Some("1.15.10")),
            ("v1.16.15-2", Some("1.16.15")),
            ("v1.12.5-1", Some("1.12.5")),
            ("v1.15.15-legacy-1\n", Some("1.15.15")),
            ("v1.22.0-go1.16.7-buster.0\n", Some("1.16.7")),
            ("v1.28.0-go1.20.8-bullseye.0", Some("1.20.8")),
            ("", None),
            ("latest", None),
        ] {
            assert_eq!(text(parse_cross_version(file)).as_deref(), v, "{file:?}");
        }
        assert_eq!(
            text(parse_go_version_file("1.22.5\n")).as_deref(),
            Some("1.22.5")
        );
        assert_eq!(
            text(parse_go_version_file("go1.21.0")).as_deref(),
            Some("1.21.0")
        );
        assert_eq!(
            text(parse_go_version_file("1.21rc2")).as_deref(),
            Some("1.21rc2")
        );
        assert_eq!(parse_go_version_file("stable"), None);
        assert_eq!(parse_go_version_file("2.0"), None);
    }
    use std::collections::HashMap;

    fn tree(files: &[(&str, &str)]) -> impl FnMut(&str) -> Option<Vec<u8>> {
        let map: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect();
        move |p: &str| map.get(p).cloned()
    }

    fn found(files: &[(&str, &str)], explicit: Option<&str>) -> Option<(String, String, bool)> {
        let explicit = explicit.map(|e| GoRelease::parse(e).unwrap());
        let f = toolchain(&mut tree(files), explicit.as_ref()).unwrap();
        f.toolchain
            .map(|t| (t.version.to_string(), t.source, t.minimum))
    }

    const GO_MOD: &str =
        "module k8s.io/kubernetes\n\ngo 1.21\n\ntoolchain go1.21.9 // pinned\n\nrequire (\n\tgo 1.99\n)\n";

    #[test]
    fn order_of_authority() {
        let all = [
            (".go-version", "1.22.5\n"),
            (CROSS_VERSION, "v1.22.0-go1.22.4-bullseye.0\n"),
            ("go.mod", GO_MOD),
        ];
        let s = |v: &str, src: &str, min: bool| Some((v.to_string(), src.to_string(), min));
        assert_eq!(
            found(&all, Some("go1.20.1")),
            s("1.20.1", SOURCE_MANIFEST, false)
        );
        assert_eq!(found(&all, None), s("1.22.5", ".go-version", false));
        assert_eq!(found(&all[1..], None), s("1.22.4", CROSS_VERSION, false));
        assert_eq!(found(&all[2..], None), s("1.21.9", SOURCE_TOOLCHAIN, false));
        assert_eq!(
            found(&[("go.mod", "module x\ngo 1.16\n")], None),
            s("1.16", SOURCE_GO_DIRECTIVE, true)
        );
        assert_eq!(
            found(&[(CROSS_VERSION, "v1.13.15-1\n")], None),
            s("1.13.15", CROSS_VERSION, false)
        );
        assert_eq!(
            found(
                &[(
                    GODEPS_JSON,
                    r#"{"ImportPath":"k8s.io/kubernetes","GoVersion":"go1.12"}"#
                )],
                None
            ),
            s("1.12", SOURCE_GODEPS, false)
        );
        assert_eq!(found(&[("README", "go1.2.3")], None), None);
    }

    #[test]
    fn unreadable_versions_warn_and_fall_through() {
        let f = toolchain(
            &mut tree(&[
                (".go-version", "latest\n"),
                ("go.mod", "module x\ntoolchain default\ngo 1.x\n"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(f.toolchain, None);
        assert_eq!(f.read, [".go-version", "go.mod"]);
        assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
        assert_eq!(f.warnings[0].file, std::path::Path::new(".go-version"));
        assert_eq!(f.warnings[0].code, "not-a-go-version");
    }

    #[test]
    fn read_errors_are_errors() {
        struct Broken;
        impl TreeFiles for Broken {
            fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
                Err(TreeReadError {
                    path: path.into(),
                    reason: "gone".into(),
                })
            }
        }
        assert!(toolchain(&mut Broken, None).is_err());
    }

    #[test]
    fn dir_tree_reads_files_not_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".go-version"), "go1.23.4\n").unwrap();
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        let mut t = DirTree {
            root: dir.path().to_path_buf(),
        };
        let f = toolchain(&mut t, None).unwrap();
        assert_eq!(f.toolchain.unwrap().version.to_string(), "1.23.4");
        assert!(t.is_dir("vendor").unwrap());
        assert!(!t.is_dir(".go-version").unwrap());
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("go.mod")).unwrap();
        assert_eq!(t.read("go.mod").unwrap(), None);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn version_files_never_panic(s in "\\PC{0,80}") {
                let _ = parse_go_version_file(&s);
                let _ = parse_cross_version(&s);
                let _ = go_mod_directives(&s);
                let _ = toolchain(&mut tree(&[("go.mod", &s), (GODEPS_JSON, &s)]), None);
            }

            #[test]
            fn go_mod_shaped_input_never_panics(s in "((go|toolchain|require|\\)|//) ?[0-9a-z.( ]{0,10}\n){0,8}") {
                let _ = go_mod_directives(&s);
            }
        }
    }
}
