//! The Go a build runs with: checked against the toolchain the release needs, and the GOPATH
//! layout of pre-modules trees.
//!
//! **Which Go.** The needed toolchain is [`klts_forge::toolchain::toolchain`] of the working
//! tree (the manifest's `build.go` first; the same rule as `klts toolchain`, `klts ci github`
//! and the stdlib vulnerability statuses). The Go that runs is `--go PATH`, else `go` on PATH;
//! its `go version` is compared: another minor version is an error that names the Go to
//! install (a tree and a toolchain of different minors fail to compile or ship another
//! standard library than the statuses assume); another patch version is a warning. When the
//! tree names only a minimum (the go.mod `go` directive), an older Go is an error and a newer
//! one is fine. `GOTOOLCHAIN=local` is set so that Go ≥ 1.21 never swaps in a downloaded
//! toolchain behind the check. The provenance records both versions.
//!
//! **GOPATH layout.** A tree with no `go.mod` at its root that has `Godeps/`, `vendor.conf` or
//! `vendor/` is a pre-modules tree: Go only builds it as `$GOPATH/src/<import path>` with
//! `GO111MODULE=off`. klts moves the working tree to
//! `<cache>/gopath/<release>/src/<import path>` (a real directory, not a link: Go derives the
//! import path from the working directory, and a link is seen through), sets `GOPATH` to
//! `<cache>/gopath/<release>` and `GO111MODULE=off`, and unsets `GOFLAGS` (a `-mod=` flag is
//! an error outside module mode). The import path is, in order: `build.import_path`; the
//! `ImportPath` of `Godeps/Godeps.json`; the `// import "…"` comment of `doc.go` at the root;
//! the workspace's product (`klts_core::Product::import_path`: k8s.io/kubernetes,
//! github.com/containerd/containerd, github.com/opencontainers/runc); else (a generic
//! project) an error asking for `build.import_path`.

use crate::build::BuildError;
use klts_core::goversion::GoRelease;
use klts_forge::toolchain::{DirTree, Toolchain, TreeFiles};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What was decided about Go for one build.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GoSetup {
    /// The toolchain the release needs, when known.
    pub needed: Option<Toolchain>,
    /// The `go` that runs.
    pub go: PathBuf,
    /// Its version.
    pub used: GoRelease,
    /// Patch-level (or unknown-need) differences, for the user.
    pub warnings: Vec<String>,
    /// The import path, when the tree is built in a GOPATH layout.
    pub import_path: Option<String>,
    /// `GOPATH` of that layout.
    pub gopath: Option<PathBuf>,
}

impl GoSetup {
    /// Environment to set for the build and test commands (on top of `build.env`).
    pub fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert("GOTOOLCHAIN".into(), "local".into());
        if let Some(dir) = self.go.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The chosen go first on PATH, so that `make` and scripts that call `go` get it.
            let rest = std::env::var_os("PATH").unwrap_or_default();
            let path = std::env::join_paths(
                std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)),
            )
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| rest.to_string_lossy().into_owned());
            env.insert("PATH".into(), path);
        }
        if let Some(gopath) = &self.gopath {
            env.insert("GOPATH".into(), gopath.display().to_string());
            env.insert("GO111MODULE".into(), "off".into());
        }
        env
    }

    /// Variables to remove from the environment.
    pub fn unset(&self) -> &'static [&'static str] {
        if self.gopath.is_some() {
            &["GOFLAGS"]
        } else {
            &[]
        }
    }
}

/// The `go version` of `go`.
pub fn go_version(go: &Path) -> Result<GoRelease, BuildError> {
    let out = Command::new(go)
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| BuildError::MissingTool {
            tool: go.display().to_string(),
            why: format!("cannot run `go version`: {e}"),
            package: "golang-go".into(),
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    GoRelease::from_go_version_output(&text).map_err(|e| {
        BuildError::Usage(format!(
            "{}: {e}\n  help: point --go at a Go toolchain's bin/go",
            go.display()
        ))
    })
}

/// Compare the needed toolchain with the one that runs: `Err` for another minor version (or
/// older than a minimum), `Ok(Some(warning))` for another patch version.
pub fn compare(needed: &Toolchain, used: &GoRelease, go: &Path) -> Result<Option<String>, String> {
    let want = needed.version;
    let install = |v: &GoRelease| {
        format!(
            "  help: install {} (e.g. `go install golang.org/dl/{}@latest && {} download`, or a distribution package) and pass --go PATH/TO/bin/go, or set build.go in releases.yml if the tree is wrong",
            v.go_name(),
            v.go_name(),
            v.go_name()
        )
    };
    if needed.minimum {
        if used < &want {
            return Err(format!(
                "{} is Go {used}, older than the Go {want} this tree requires ({})\n{}",
                go.display(),
                needed.source,
                install(&want)
            ));
        }
        return Ok(None);
    }
    if !want.same_minor(used) {
        return Err(format!(
            "{} is Go {used}, but this release needs Go {want} ({}): another minor version compiles another standard library\n{}",
            go.display(),
            needed.source,
            install(&want)
        ));
    }
    if want.patch.is_some() && want != *used {
        return Ok(Some(format!(
            "{} is Go {used}, this release names Go {want} ({}): same minor, another patch",
            go.display(),
            needed.source
        )));
    }
    Ok(None)
}

/// Whether the tree at `root` is pre-modules, and its import path: `Ok(None)` for a module
/// tree. See the [module documentation](self) for the rule.
pub fn pre_modules_import_path(
    root: &Path,
    configured: Option<&str>,
    product: klts_core::Product,
) -> Result<Option<String>, BuildError> {
    let mut t = DirTree {
        root: root.to_path_buf(),
    };
    let read_err = |e: klts_forge::toolchain::TreeReadError| BuildError::Usage(e.to_string());
    if t.read("go.mod").map_err(read_err)?.is_some() {
        return Ok(None);
    }
    let godeps = t.is_dir("Godeps").map_err(read_err)?;
    let vendor_conf = t.read("vendor.conf").map_err(read_err)?.is_some();
    let vendor = t.is_dir("vendor").map_err(read_err)?;
    if !(godeps || vendor_conf || vendor) {
        return Ok(None);
    }
    if let Some(p) = configured {
        return Ok(Some(p.to_string()));
    }
    if let Some(bytes) = t.read("Godeps/Godeps.json").map_err(read_err)? {
        let import = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|d| d.get("ImportPath")?.as_str().map(str::to_string));
        if let Some(p) = import.filter(|p| klts_core::build::is_go_import_path(p)) {
            return Ok(Some(p));
        }
    }
    if let Some(bytes) = t.read("doc.go").map_err(read_err)? {
        let text = String::from_utf8_lossy(&bytes);
        if let Some(p) = text.lines().find_map(import_comment) {
            return Ok(Some(p));
        }
    }
    // The product's own import path (klts_core::product: one owner of what Kubernetes,
    // containerd and runc are).
    if let Some(p) = product.import_path() {
        return Ok(Some(p.to_string()));
    }
    Err(BuildError::Usage(format!(
        "{} has no go.mod but {}: it builds only in a GOPATH layout, and its import path is unknown\n  help: set build.import_path in releases.yml (e.g. github.com/containerd/containerd)",
        root.display(),
        if godeps { "has Godeps/" } else if vendor_conf { "has vendor.conf" } else { "has vendor/" }
    )))
}

/// `package x // import "example.com/x"` → `example.com/x`.
fn import_comment(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("package ")?;
    let (_, comment) = rest.split_once("//")?;
    let p = comment.trim().strip_prefix("import")?.trim();
    let p = p.strip_prefix('"')?.strip_suffix('"')?;
    klts_core::build::is_go_import_path(p).then(|| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(v: &str, minimum: bool) -> Toolchain {
        Toolchain {
            version: GoRelease::parse(v).unwrap(),
            source: ".go-version".into(),
            minimum,
        }
    }

    #[test]
    fn minor_is_an_error_patch_a_warning() {
        let go = Path::new("/usr/bin/go");
        let used = GoRelease::parse("1.19.8").unwrap();
        let e = compare(&tc("1.13.15", false), &used, go).unwrap_err();
        assert!(e.contains("needs Go 1.13.15"), "{e}");
        assert!(e.contains("go1.13.15") && e.contains("--go"), "{e}");
        let w = compare(&tc("1.19.13", false), &used, go).unwrap().unwrap();
        assert!(w.contains("another patch"), "{w}");
        assert_eq!(compare(&tc("1.19.8", false), &used, go), Ok(None));
        assert_eq!(compare(&tc("1.19", false), &used, go), Ok(None));
        assert_eq!(compare(&tc("1.16", true), &used, go), Ok(None));
        assert!(compare(&tc("1.21", true), &used, go).is_err());
    }

    #[test]
    fn import_paths() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        use klts_core::Product;
        assert_eq!(
            pre_modules_import_path(root, None, Product::Generic).unwrap(),
            None
        );
        std::fs::write(root.join("vendor.conf"), "github.com/x/y v1\n").unwrap();
        assert!(pre_modules_import_path(root, None, Product::Generic)
            .unwrap_err()
            .to_string()
            .contains("build.import_path"));
        assert_eq!(
            pre_modules_import_path(root, None, Product::Containerd)
                .unwrap()
                .as_deref(),
            Some("github.com/containerd/containerd")
        );
        std::fs::write(
            root.join("doc.go"),
            "package x // import \"example.com/x\"\n",
        )
        .unwrap();
        assert_eq!(
            pre_modules_import_path(root, None, Product::Generic)
                .unwrap()
                .as_deref(),
            Some("example.com/x")
        );
        assert_eq!(
            pre_modules_import_path(root, Some("example.com/y"), Product::Runc)
                .unwrap()
                .as_deref(),
            Some("example.com/y")
        );
        std::fs::write(root.join("go.mod"), "module example.com/x\n").unwrap();
        assert_eq!(
            pre_modules_import_path(root, None, Product::Runc).unwrap(),
            None
        );
        assert_eq!(import_comment("package x // import \"../etc\""), None);
    }
}
