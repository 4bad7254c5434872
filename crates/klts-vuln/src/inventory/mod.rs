//! The Go module inventory and the Go version of a Kubernetes release tree.
//!
//! The tree is read through [`TreeFiles`], which hands out the bytes of a file by its path in
//! the tree (the caller reads them from git objects, not from a checkout). What is read:
//!
//! * `go.mod` (Kubernetes ≥ 1.15): `require` lines and blocks (with `// indirect`), `replace`
//!   directives (single and block forms; `old => new v1.2.3`, `old v1.0.0 => new v1.2.3` and
//!   local paths `old => ./staging/src/k8s.io/api`), the `go` and `toolchain` directives.
//! * `vendor/modules.txt`: what is actually vendored. When present its versions win over
//!   go.mod's (a difference is reported in [`Inventory::warnings`]).
//! * `Godeps/Godeps.json` (Kubernetes ≤ 1.14, before Go modules), read only when there is no
//!   `go.mod`: import paths are mapped to their module root ([`module_root`]), the version is the
//!   release tag of `Comment` when there is one ([`godeps_version`]), else `rev:<sha>` (with a
//!   warning: the pseudo-version cannot be known without the repository).
//! * The Go version: [`klts_forge::toolchain::toolchain`] decides it (the manifest's
//!   `build.go`, then `.go-version`, `build/build-image/cross/VERSION`, the go.mod `toolchain`
//!   and `go` directives, and for Godeps trees the `GoVersion` of `Godeps/Godeps.json`), the
//!   same rule `klts build` and `klts ci github` use, so a status speaks of the Go the release
//!   is built with.
//!
//! Nothing here panics on malformed input: what cannot be understood is skipped and reported
//! as a warning.
//!
//! One file per input format: go.mod parsing lives in `gomod.rs`, `modules_txt.rs`,
//! `godeps.rs` (the Go version is [`klts_forge::toolchain`]'s); this module joins them into an
//! [`Inventory`]. Their items are re-exported here, so `klts_vuln::inventory::parse_go_mod`
//! stays the one path callers use.

use klts_core::diag::{Diagnostic, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// The tree reader and the Go toolchain rule are `klts_forge::toolchain`'s (one owner for
// `klts build`, `klts ci` and the statuses here); re-exported so that callers keep one import.
pub use klts_forge::toolchain::{
    TreeFiles, TreeReadError, CROSS_VERSION, GODEPS_JSON, GO_MOD, GO_VERSION_FILE, SOURCE_GODEPS,
    SOURCE_GO_DIRECTIVE, SOURCE_MANIFEST, SOURCE_TOOLCHAIN,
};
klts_core::diagnostic_codes! {
    /// What can be wrong in a tree's module files: the codes of [`Inventory::warnings`].
    pub enum InventoryCode {
        /// A line or document that could not be read; it was skipped.
        Malformed => "malformed",
        /// The tree has no go.mod, vendor/modules.txt or Godeps/Godeps.json.
        NoModuleFiles => "no-module-files",
        /// go.mod requires a module twice.
        DuplicateRequire => "duplicate-require",
        /// vendor/modules.txt and go.mod disagree; the vendored module wins.
        VendorDiffers => "vendor-differs",
        /// A Godeps dependency has no release tag: its version is unknown.
        Unpinned => "unpinned",
        /// Packages of one module are pinned at different versions.
        ConflictingPins => "conflicting-pins",
    }
}

/// A warning about `file` of the tree (at `line` when known). The message is bounded and made
/// printable once, here: it may quote the file's own text.
pub(crate) fn warn(
    code: InventoryCode,
    file: &str,
    line: Option<usize>,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        code,
        file,
        line.map(|line| klts_core::diag::Location { line, col: 1 }),
        klts_core::names::printable(&message.into(), 300),
    )
}

/// Path of the vendored module list.
pub const VENDOR_MODULES_TXT: &str = "vendor/modules.txt";

/// Where a module entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleOrigin {
    /// A `require` of `go.mod`.
    GoMod,
    /// `vendor/modules.txt` (what is actually vendored).
    VendorModulesTxt,
    /// `Godeps/Godeps.json`.
    Godeps,
}

/// One Go module of the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// The module path (`github.com/gogo/protobuf`).
    pub path: String,
    /// The version as written (`v1.3.2`, `v0.0.0` for staging modules, `rev:<sha>` for a
    /// Godeps revision without a release tag).
    pub version: String,
    /// `(path, version)` of the replacement when a `replace` directive applies; the version is
    /// empty for a local directory (`./staging/src/k8s.io/api`).
    pub replaced_by: Option<(String, String)>,
    /// Which file the entry (and its version) came from.
    pub origin: ModuleOrigin,
}

impl Module {
    /// The version that is built: the replacement's when it has one, else [`Module::version`].
    pub fn effective_version(&self) -> &str {
        match &self.replaced_by {
            Some((_, v)) if !v.is_empty() => v,
            _ => &self.version,
        }
    }

    /// Whether the module is replaced by a local directory (Kubernetes' staging modules).
    pub fn is_local_replace(&self) -> bool {
        matches!(&self.replaced_by, Some((_, v)) if v.is_empty())
    }
}

/// The Go version a tree is built with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoToolchain {
    /// `1.15.10`, or `1.16` when only the go.mod `go` directive says it.
    pub version: String,
    /// Where it was read: `.go-version`, `build/build-image/cross/VERSION`,
    /// `go.mod toolchain directive`, `go.mod go directive`, `Godeps/Godeps.json GoVersion`.
    pub source: String,
}

/// The Go modules and Go version of a release tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Modules by path.
    pub modules: BTreeMap<String, Module>,
    /// The Go version, when known.
    pub go: Option<GoToolchain>,
    /// The files that were read (present in the tree), in reading order.
    pub sources: Vec<String>,
    /// What could not be understood or looked inconsistent, as diagnostics whose file is the
    /// path in the tree (`go.mod`, with its line when known).
    pub warnings: Vec<Diagnostic>,
}

impl Inventory {
    /// Read the inventory of a tree. A file that cannot be read is an error, not an absence.
    pub fn read(files: &mut dyn TreeFiles) -> Result<Inventory, TreeReadError> {
        Inventory::read_with(files, None)
    }

    /// [`Inventory::read`], with the manifest's `build.go` for this release (`explicit`), which
    /// wins over the tree's files.
    pub fn read_with(
        files: &mut dyn TreeFiles,
        explicit: Option<&klts_core::goversion::GoRelease>,
    ) -> Result<Inventory, TreeReadError> {
        let mut inv = Inventory::default();

        let go_mod = files.read(GO_MOD)?.map(|bytes| {
            inv.sources.push(GO_MOD.to_string());
            parse_go_mod(&String::from_utf8_lossy(&bytes))
        });
        if let Some(gm) = &go_mod {
            inv.apply_go_mod(gm);
        }

        if let Some(bytes) = files.read(VENDOR_MODULES_TXT)? {
            inv.sources.push(VENDOR_MODULES_TXT.to_string());
            let mt = parse_modules_txt(&String::from_utf8_lossy(&bytes));
            inv.apply_modules_txt(&mt);
        }

        if go_mod.is_none() {
            if let Some(bytes) = files.read(GODEPS_JSON)? {
                inv.sources.push(GODEPS_JSON.to_string());
                let gd = parse_godeps(&bytes);
                inv.apply_godeps(&gd);
            }
        }

        if inv.sources.is_empty() {
            inv.warnings.push(warn(
                InventoryCode::NoModuleFiles,
                GO_MOD,
                None,
                format!(
                    "no {GO_MOD}, {VENDOR_MODULES_TXT} or {GODEPS_JSON}: the module inventory is empty"
                ),
            ));
        }

        let found = klts_forge::toolchain::toolchain(files, explicit)?;
        for path in found.read {
            if !inv.sources.contains(&path) {
                inv.sources.push(path);
            }
        }
        inv.warnings.extend(found.warnings);
        inv.go = found.toolchain.map(|t| GoToolchain {
            version: t.version.to_string(),
            source: t.source,
        });
        Ok(inv)
    }

    /// The module at `path`.
    pub fn module(&self, path: &str) -> Option<&Module> {
        self.modules.get(path)
    }

    /// The version of `path` that is built: the replacement's version when the module is
    /// replaced by a versioned module, else the version as written.
    pub fn effective_version(&self, path: &str) -> Option<&str> {
        self.module(path).map(Module::effective_version)
    }

    /// The Go version, when known (`1.15.10`).
    pub fn go_version(&self) -> Option<&str> {
        self.go.as_ref().map(|g| g.version.as_str())
    }

    fn apply_go_mod(&mut self, gm: &GoMod) {
        self.warnings.extend(gm.warnings.iter().cloned());
        for req in &gm.requires {
            let replaced_by = gm.replacement_of(&req.path, &req.version);
            let module = Module {
                path: req.path.clone(),
                version: req.version.clone(),
                replaced_by,
                origin: ModuleOrigin::GoMod,
            };
            if let Some(old) = self.modules.insert(req.path.clone(), module) {
                if old.version != req.version {
                    self.warnings.push(warn(
                        InventoryCode::DuplicateRequire,
                        GO_MOD,
                        None,
                        format!(
                            "{} is required twice ({} and {}); keeping {}",
                            req.path, old.version, req.version, req.version
                        ),
                    ));
                }
            }
        }
    }

    fn apply_modules_txt(&mut self, mt: &ModulesTxt) {
        self.warnings.extend(mt.warnings.iter().cloned());
        for vm in &mt.modules {
            let replacement = vm
                .replacement
                .as_ref()
                .map(|(p, v)| (p.clone(), v.clone().unwrap_or_default()));
            match &vm.version {
                Some(version) => {
                    if let Some(m) = self.modules.get_mut(&vm.path) {
                        if m.version != *version && m.origin == ModuleOrigin::GoMod {
                            self.warnings.push(warn(
                                InventoryCode::VendorDiffers,
                                VENDOR_MODULES_TXT,
                                None,
                                format!(
                                    "{} is required at {} in {GO_MOD} but vendored at {}; using the vendored version",
                                    vm.path, m.version, version
                                ),
                            ));
                        }
                        m.version = version.clone();
                        m.origin = ModuleOrigin::VendorModulesTxt;
                        if replacement.is_some() || m.replaced_by.is_none() {
                            m.replaced_by = replacement;
                        } else if let Some((p, v)) = &m.replaced_by {
                            self.warnings.push(warn(
                                InventoryCode::VendorDiffers,
                                VENDOR_MODULES_TXT,
                                None,
                                format!(
                                    "{} is replaced by {p} {v} in {GO_MOD} but not here; using the vendored, unreplaced module",
                                    vm.path
                                ),
                            ));
                            m.replaced_by = None;
                        }
                    } else {
                        self.modules.insert(
                            vm.path.clone(),
                            Module {
                                path: vm.path.clone(),
                                version: version.clone(),
                                replaced_by: replacement,
                                origin: ModuleOrigin::VendorModulesTxt,
                            },
                        );
                    }
                }
                // `# path => replacement`: a replacement without a vendored version, which only
                // says how an already known module is replaced.
                None => {
                    if let Some(m) = self.modules.get_mut(&vm.path) {
                        if m.replaced_by.is_none() {
                            m.replaced_by = replacement;
                        }
                    }
                }
            }
        }
    }

    fn apply_godeps(&mut self, gd: &Godeps) {
        self.warnings.extend(gd.warnings.iter().cloned());
        let main = gd.import_path.as_deref().unwrap_or("");
        for dep in &gd.deps {
            if !main.is_empty()
                && (dep.import_path == main || dep.import_path.starts_with(&format!("{main}/")))
            {
                continue;
            }
            let root = module_root(&dep.import_path);
            if root.is_empty() {
                self.warnings.push(warn(
                    InventoryCode::Malformed,
                    GODEPS_JSON,
                    None,
                    "empty import path skipped",
                ));
                continue;
            }
            let version = match godeps_version(dep.comment.as_deref()) {
                Some(v) => v,
                None => match dep.rev.as_deref().map(clean_rev).filter(|r| !r.is_empty()) {
                    Some(rev) => format!("rev:{rev}"),
                    None => {
                        self.warnings.push(warn(
                            InventoryCode::Unpinned,
                            GODEPS_JSON,
                            None,
                            format!(
                                "{} has neither a release tag nor a revision; skipped",
                                dep.import_path
                            ),
                        ));
                        continue;
                    }
                },
            };
            match self.modules.get(&root) {
                Some(m) if m.version != version => self.warnings.push(warn(
                    InventoryCode::ConflictingPins,
                    GODEPS_JSON,
                    None,
                    format!(
                        "packages of {root} are pinned at different versions ({} and {version}, from {}); keeping {}",
                        m.version, dep.import_path, m.version
                    ),
                )),
                Some(_) => {}
                None => {
                    self.modules.insert(
                        root.clone(),
                        Module {
                            path: root,
                            version,
                            replaced_by: None,
                            origin: ModuleOrigin::Godeps,
                        },
                    );
                }
            }
        }
        for m in self.modules.values() {
            if m.origin == ModuleOrigin::Godeps {
                if let Some(rev) = m.version.strip_prefix("rev:") {
                    self.warnings.push(warn(
                        InventoryCode::Unpinned,
                        GODEPS_JSON,
                        None,
                        format!(
                            "{} is pinned at revision {rev} without a release tag; its version is unknown",
                            m.path
                        ),
                    ));
                }
            }
        }
    }
}

mod godeps;
mod gomod;
mod modules_txt;
#[cfg(test)]
mod tests;

use godeps::clean_rev;
pub use godeps::{godeps_version, module_root, parse_godeps, Godeps, GodepsDep};
pub use gomod::{parse_go_mod, GoMod, Replace, Require};
pub use modules_txt::{parse_modules_txt, ModulesTxt, VendoredModule};
