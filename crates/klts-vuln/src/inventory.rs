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

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

// The tree reader and the Go toolchain rule are `klts_forge::toolchain`'s (one owner for
// `klts build`, `klts ci` and the statuses here); re-exported so that callers keep one import.
pub use klts_forge::toolchain::{
    TreeFiles, TreeReadError, CROSS_VERSION, GODEPS_JSON, GO_MOD, GO_VERSION_FILE, SOURCE_GODEPS,
    SOURCE_GO_DIRECTIVE, SOURCE_MANIFEST, SOURCE_TOOLCHAIN,
};
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Modules by path.
    pub modules: BTreeMap<String, Module>,
    /// The Go version, when known.
    pub go: Option<GoToolchain>,
    /// The files that were read (present in the tree), in reading order.
    pub sources: Vec<String>,
    /// What could not be understood or looked inconsistent.
    pub warnings: Vec<String>,
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
            inv.warnings.push(format!(
                "no {GO_MOD}, {VENDOR_MODULES_TXT} or {GODEPS_JSON}: the module inventory is empty"
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
        self.warnings
            .extend(gm.warnings.iter().map(|w| format!("{GO_MOD}: {w}")));
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
                    self.warnings.push(format!(
                        "{GO_MOD}: {} is required twice ({} and {}); keeping {}",
                        req.path, old.version, req.version, req.version
                    ));
                }
            }
        }
    }

    fn apply_modules_txt(&mut self, mt: &ModulesTxt) {
        self.warnings.extend(
            mt.warnings
                .iter()
                .map(|w| format!("{VENDOR_MODULES_TXT}: {w}")),
        );
        for vm in &mt.modules {
            let replacement = vm
                .replacement
                .as_ref()
                .map(|(p, v)| (p.clone(), v.clone().unwrap_or_default()));
            match &vm.version {
                Some(version) => {
                    if let Some(m) = self.modules.get_mut(&vm.path) {
                        if m.version != *version && m.origin == ModuleOrigin::GoMod {
                            self.warnings.push(format!(
                                "{} is required at {} in {GO_MOD} but vendored at {} in \
                                 {VENDOR_MODULES_TXT}; using the vendored version",
                                vm.path, m.version, version
                            ));
                        }
                        m.version = version.clone();
                        m.origin = ModuleOrigin::VendorModulesTxt;
                        if replacement.is_some() || m.replaced_by.is_none() {
                            m.replaced_by = replacement;
                        } else if let Some((p, v)) = &m.replaced_by {
                            self.warnings.push(format!(
                                "{} is replaced by {p} {v} in {GO_MOD} but not in \
                                 {VENDOR_MODULES_TXT}; using the vendored, unreplaced module",
                                vm.path
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
        self.warnings
            .extend(gd.warnings.iter().map(|w| format!("{GODEPS_JSON}: {w}")));
        let main = gd.import_path.as_deref().unwrap_or("");
        for dep in &gd.deps {
            if !main.is_empty()
                && (dep.import_path == main || dep.import_path.starts_with(&format!("{main}/")))
            {
                continue;
            }
            let root = module_root(&dep.import_path);
            if root.is_empty() {
                self.warnings
                    .push(format!("{GODEPS_JSON}: empty import path skipped"));
                continue;
            }
            let version = match godeps_version(dep.comment.as_deref()) {
                Some(v) => v,
                None => match dep.rev.as_deref().map(clean_rev).filter(|r| !r.is_empty()) {
                    Some(rev) => format!("rev:{rev}"),
                    None => {
                        self.warnings.push(format!(
                            "{GODEPS_JSON}: {} has neither a release tag nor a revision; skipped",
                            dep.import_path
                        ));
                        continue;
                    }
                },
            };
            match self.modules.get(&root) {
                Some(m) if m.version != version => self.warnings.push(format!(
                    "{GODEPS_JSON}: packages of {root} are pinned at different versions \
                     ({} and {version}, from {}); keeping {}",
                    m.version, dep.import_path, m.version
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
                    self.warnings.push(format!(
                        "{GODEPS_JSON}: {} is pinned at revision {rev} without a release tag; \
                         its version is unknown",
                        m.path
                    ));
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// go.mod

/// A `require` of go.mod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Require {
    /// Module path.
    pub path: String,
    /// Version as written.
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
}

/// A `replace` directive of go.mod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replace {
    /// The replaced module.
    pub old_path: String,
    /// The replaced version, when the directive names one (else every version is replaced).
    pub old_version: Option<String>,
    /// The replacement module path, or a local directory.
    pub new_path: String,
    /// The replacement version; `None` for a local directory.
    pub new_version: Option<String>,
}

/// What klts reads of a go.mod file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoMod {
    /// The `module` path.
    pub module: Option<String>,
    /// The `go` directive (`1.16`, `1.22.0`).
    pub go: Option<String>,
    /// The `toolchain` directive (`go1.21.5`).
    pub toolchain: Option<String>,
    /// The `require`s, in file order.
    pub requires: Vec<Require>,
    /// The `replace`s, in file order.
    pub replaces: Vec<Replace>,
    /// Lines that could not be understood.
    pub warnings: Vec<String>,
}

impl GoMod {
    /// The replacement `(path, version)` of `path` at `version` (version empty for a local
    /// directory): a replace of that exact version wins over one of every version, and a later
    /// directive over an earlier one.
    pub fn replacement_of(&self, path: &str, version: &str) -> Option<(String, String)> {
        let exact = self
            .replaces
            .iter()
            .rev()
            .find(|r| r.old_path == path && r.old_version.as_deref() == Some(version));
        let any = || {
            self.replaces
                .iter()
                .rev()
                .find(|r| r.old_path == path && r.old_version.is_none())
        };
        exact.or_else(any).map(|r| {
            (
                r.new_path.clone(),
                r.new_version.clone().unwrap_or_default(),
            )
        })
    }
}

/// One line of go.mod split into tokens, and its `//` comment.
fn tokenize_line(line: &str) -> (Vec<String>, Option<String>) {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut chars = line.char_indices().peekable();
    let mut comment = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if line[i..].starts_with("//") => {
                comment = Some(line[i + 2..].trim().to_string());
                break;
            }
            '"' => {
                // Interpreted string: backslash escapes.
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                cur.push(e);
                            }
                        }
                        c => cur.push(c),
                    }
                }
                tokens.push(std::mem::take(&mut cur));
            }
            '`' => {
                for (_, c) in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                    cur.push(c);
                }
                tokens.push(std::mem::take(&mut cur));
            }
            '(' | ')' => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                tokens.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    (tokens, comment)
}

/// Whether a replacement target is a local directory rather than a module path.
fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || (p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

/// Whether a comment marks a requirement indirect (`// indirect`, `// indirect; …`).
fn is_indirect(comment: Option<&str>) -> bool {
    comment.is_some_and(|c| c == "indirect" || c.starts_with("indirect;"))
}

/// Parse a go.mod file. Never fails: what cannot be understood is reported in
/// [`GoMod::warnings`].
pub fn parse_go_mod(text: &str) -> GoMod {
    let mut gm = GoMod::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut block: Option<(String, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        let (tokens, comment) = tokenize_line(line);
        if tokens.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if tokens.len() == 1 && tokens[0] == ")" {
                block = None;
                continue;
            }
            let verb = verb.clone();
            directive(&mut gm, &verb, &tokens, comment.as_deref(), lineno);
            continue;
        }
        let verb = tokens[0].as_str();
        let args = &tokens[1..];
        if args.len() == 1 && args[0] == "(" {
            block = Some((verb.to_string(), lineno));
            continue;
        }
        if args.len() == 2 && args[0] == "(" && args[1] == ")" {
            continue;
        }
        directive(&mut gm, verb, args, comment.as_deref(), lineno);
    }
    if let Some((verb, lineno)) = block {
        gm.warnings
            .push(format!("line {lineno}: `{verb} (` block is not closed"));
    }
    gm
}

fn directive(gm: &mut GoMod, verb: &str, args: &[String], comment: Option<&str>, lineno: usize) {
    let bad = |gm: &mut GoMod, what: &str| {
        gm.warnings.push(format!(
            "line {lineno}: malformed {what}: {}",
            args.join(" ")
        ));
    };
    match verb {
        "module" => match args {
            [path] => gm.module = Some(path.clone()),
            _ => bad(gm, "module directive"),
        },
        "go" => match args {
            [v] => gm.go = Some(v.clone()),
            _ => bad(gm, "go directive"),
        },
        "toolchain" => match args {
            [v] => gm.toolchain = Some(v.clone()),
            _ => bad(gm, "toolchain directive"),
        },
        "require" => match args {
            [path, version] => gm.requires.push(Require {
                path: path.clone(),
                version: version.clone(),
                indirect: is_indirect(comment),
            }),
            _ => bad(gm, "require"),
        },
        "replace" => {
            let Some(arrow) = args.iter().position(|a| a == "=>") else {
                return bad(gm, "replace (no `=>`)");
            };
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            let (old_path, old_version) = match old {
                [p] => (p.clone(), None),
                [p, v] => (p.clone(), Some(v.clone())),
                _ => return bad(gm, "replace"),
            };
            let (new_path, new_version) = match new {
                [p] => {
                    if !is_local_path(p) {
                        gm.warnings.push(format!(
                            "line {lineno}: replacement {p} of {old_path} has no version and is not \
                             a local path"
                        ));
                    }
                    (p.clone(), None)
                }
                [p, v] => (p.clone(), Some(v.clone())),
                _ => return bad(gm, "replace"),
            };
            gm.replaces.push(Replace {
                old_path,
                old_version,
                new_path,
                new_version,
            });
        }
        "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
        other => gm
            .warnings
            .push(format!("line {lineno}: unknown directive {other:?}")),
    }
}

// ------------------------------------------------------------------------------------------
// vendor/modules.txt

/// A module line of vendor/modules.txt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendoredModule {
    /// Module path.
    pub path: String,
    /// Version; `None` for a replacement-only line (`# path => ./dir`).
    pub version: Option<String>,
    /// `(path, version)` of the replacement (version `None` for a local directory).
    pub replacement: Option<(String, Option<String>)>,
    /// Marked `## explicit` (required directly in go.mod).
    pub explicit: bool,
}

/// What klts reads of vendor/modules.txt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModulesTxt {
    /// Module lines, in file order.
    pub modules: Vec<VendoredModule>,
    /// Lines that could not be understood.
    pub warnings: Vec<String>,
}

/// Parse vendor/modules.txt: `# path version`, `# old version => new version`,
/// `# old => ./dir`, `## explicit[; go 1.x]`; package lines are skipped.
pub fn parse_modules_txt(text: &str) -> ModulesTxt {
    let mut mt = ModulesTxt::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(annotations) = line.strip_prefix("##") {
            let explicit = annotations.split(';').any(|a| a.trim() == "explicit");
            if let Some(last) = mt.modules.last_mut() {
                last.explicit |= explicit;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix('#') else {
            continue; // a package line, or empty
        };
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        let (old, new) = match tokens.iter().position(|t| *t == "=>") {
            Some(i) => (&tokens[..i], Some(&tokens[i + 1..])),
            None => (&tokens[..], None),
        };
        let (path, version) = match old {
            [p] => (p.to_string(), None),
            [p, v] => (p.to_string(), Some(v.to_string())),
            _ => {
                mt.warnings
                    .push(format!("line {}: malformed module line: {line}", n + 1));
                continue;
            }
        };
        let replacement = match new {
            None => None,
            Some([p]) => Some((p.to_string(), None)),
            Some([p, v]) => Some((p.to_string(), Some(v.to_string()))),
            Some(_) => {
                mt.warnings
                    .push(format!("line {}: malformed replacement: {line}", n + 1));
                continue;
            }
        };
        if version.is_none() && replacement.is_none() {
            mt.warnings
                .push(format!("line {}: module {path} without a version", n + 1));
            continue;
        }
        mt.modules.push(VendoredModule {
            path,
            version,
            replacement,
            explicit: false,
        });
    }
    mt
}

// ------------------------------------------------------------------------------------------
// Godeps/Godeps.json

/// One dependency of Godeps.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GodepsDep {
    /// The package import path (`github.com/gogo/protobuf/proto`).
    pub import_path: String,
    /// `git describe` of the pinned revision (`v1.0.0`, `v0.4-3-gc0656ed`), when recorded.
    pub comment: Option<String>,
    /// The pinned revision.
    pub rev: Option<String>,
}

/// What klts reads of Godeps/Godeps.json.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Godeps {
    /// The project's import path (`k8s.io/kubernetes`).
    pub import_path: Option<String>,
    /// `GoVersion` (`go1.12`): the Go version godep recorded.
    pub go_version: Option<String>,
    /// The dependencies, in file order.
    pub deps: Vec<GodepsDep>,
    /// What could not be understood.
    pub warnings: Vec<String>,
}

/// Parse Godeps/Godeps.json.
pub fn parse_godeps(bytes: &[u8]) -> Godeps {
    let mut gd = Godeps::default();
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            gd.warnings.push(format!("invalid JSON: {e}"));
            return gd;
        }
    };
    let str_field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    gd.import_path = str_field(&doc, "ImportPath");
    gd.go_version = str_field(&doc, "GoVersion");
    match doc.get("Deps") {
        Some(Value::Array(deps)) => {
            for (i, dep) in deps.iter().enumerate() {
                match str_field(dep, "ImportPath") {
                    Some(import_path) => gd.deps.push(GodepsDep {
                        import_path: import_path.trim().to_string(),
                        comment: str_field(dep, "Comment"),
                        rev: str_field(dep, "Rev"),
                    }),
                    None => gd.warnings.push(format!("Deps[{i}] has no ImportPath")),
                }
            }
        }
        Some(_) => gd.warnings.push("`Deps` is not an array".to_string()),
        None => gd.warnings.push("no `Deps`".to_string()),
    }
    gd
}

/// A revision without the quotes some Godeps.json files carry (`'75cd24fc…'`).
fn clean_rev(rev: &str) -> &str {
    rev.trim().trim_matches(|c| c == '\'' || c == '"').trim()
}

/// The number of leading path elements that make the module root, for a host.
fn root_elements(elems: &[&str]) -> usize {
    let host = elems.first().copied().unwrap_or("");
    match host {
        "github.com" | "bitbucket.org" | "gitlab.com" | "honnef.co" | "gonum.org" => 3,
        "golang.org" if elems.get(1) == Some(&"x") => 3,
        "gopkg.in" => {
            // gopkg.in/yaml.v2, gopkg.in/square/go-jose.v2
            match elems.get(1) {
                Some(e) if has_gopkg_version(e) => 2,
                _ => 3,
            }
        }
        // Single-element module roots.
        "go.opencensus.io" | "go4.org" | "go.starlark.net" | "gotest.tools" => 1,
        // k8s.io, sigs.k8s.io, go.etcd.io, go.uber.org, google.golang.org, cloud.google.com/go
        // (one module in the Godeps era), vbom.ml/util, and other vanity hosts.
        _ => 2,
    }
}

/// Whether a gopkg.in element carries its version (`yaml.v2`).
fn has_gopkg_version(elem: &str) -> bool {
    elem.rsplit_once(".v").is_some_and(|(name, v)| {
        !name.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether a path element is a major version suffix (`v2`, `v22`).
fn is_major_suffix(elem: &str) -> bool {
    elem.strip_prefix('v').is_some_and(|n| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && n.parse::<u64>().is_ok_and(|n| n >= 2)
    })
}

/// The module root of a package import path: `github.com/gogo/protobuf/proto` →
/// `github.com/gogo/protobuf`. Three elements for github.com and golang.org/x, two for gopkg.in
/// (`gopkg.in/yaml.v2`; three with a user: `gopkg.in/square/go-jose.v2`), k8s.io, sigs.k8s.io,
/// google.golang.org, go.etcd.io, go.uber.org, `cloud.google.com/go` and other hosts, plus a
/// major version suffix (`/v2`) when one follows.
pub fn module_root(import_path: &str) -> String {
    let elems: Vec<&str> = import_path
        .trim()
        .split('/')
        .filter(|e| !e.is_empty())
        .collect();
    let mut n = root_elements(&elems).min(elems.len());
    if elems.first() != Some(&"gopkg.in") && elems.get(n).is_some_and(|e| is_major_suffix(e)) {
        n += 1;
    }
    elems[..n].join("/")
}

/// The module version of a Godeps `Comment` (`git describe` output), when it names a release
/// tag: `v1.0.0` → `v1.0.0`, `1.2.0` → `v1.2.0`, `v1.0.0-5-gabc1234` → `v1.0.0` (the tag the
/// revision descends from), `v0.4-3-gc0656ed` → `v0.4.0` (missing minor/patch padded with 0).
/// `None` for anything else (`null-5`, branch names).
pub fn godeps_version(comment: Option<&str>) -> Option<String> {
    let c = comment?.trim().trim_matches(|c| c == '\'' || c == '"');
    let tag = strip_describe_suffix(c);
    normalize_tag(tag)
}

/// `tag-N-gHEX` → `tag`.
fn strip_describe_suffix(s: &str) -> &str {
    let mut parts = s.rsplitn(3, '-');
    let (Some(g), Some(n), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return s;
    };
    let is_hash = g
        .strip_prefix('g')
        .is_some_and(|h| h.len() >= 4 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    let is_count = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    if is_hash && is_count && !tag.is_empty() {
        tag
    } else {
        s
    }
}

/// `v1.2`, `1.2.0`, `v3.1.0-beta` → `v1.2.0`, `v1.2.0`, `v3.1.0-beta`; `None` when not a
/// semantic version tag.
fn normalize_tag(tag: &str) -> Option<String> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let split = t.find(['-', '+']).unwrap_or(t.len());
    let (core, rest) = t.split_at(split);
    let nums: Vec<&str> = core.split('.').collect();
    if nums.is_empty()
        || nums.len() > 3
        || nums
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if rest.len() == 1
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+'))
    {
        return None;
    }
    let mut out = format!("v{}", nums.join("."));
    for _ in nums.len()..3 {
        out.push_str(".0");
    }
    out.push_str(rest);
    Some(out)
}

// ------------------------------------------------------------------------------------------
// Go version

/// A Go version as klts reports it (`1.21.5`, `1.16`, `1.21rc2`) from `go1.21.5`, `1.21.5`,
/// `v1.21.5`; `None` when it is not one. The parser is
/// [`klts_core::goversion::GoRelease::parse`].
pub fn normalize_go_version(s: &str) -> Option<String> {
    klts_core::goversion::GoRelease::parse(s)
        .ok()
        .map(|v| v.to_string())
}

/// The Go version of `.go-version`, as text ([`klts_forge::toolchain::parse_go_version_file`]).
pub fn parse_go_version_file(text: &str) -> Option<String> {
    klts_forge::toolchain::parse_go_version_file(text).map(|v| v.to_string())
}

/// The Go version of `build/build-image/cross/VERSION`, as text
/// ([`klts_forge::toolchain::parse_cross_version`]).
pub fn parse_cross_version(text: &str) -> Option<String> {
    klts_forge::toolchain::parse_cross_version(text).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// A go.mod shaped like Kubernetes 1.20's: staging replaces, pinned versions, indirects.
    const GO_MOD_1_20: &str = r#"// This is a generated file. Do not edit directly.
// Ensure you've carefully read
// https://git.k8s.io/community/contributors/devel/sig-architecture/vendor.md
// Run hack/pin-dependency.sh to change pinned dependency versions.
// Run hack/update-vendor.sh to update go.mod files and the vendor directory.

module k8s.io/kubernetes

go 1.15

require (
	github.com/Azure/azure-sdk-for-go v43.0.0+incompatible
	github.com/containerd/containerd v1.4.4 // indirect
	github.com/docker/docker v20.10.2+incompatible
	github.com/gogo/protobuf v1.3.2
	github.com/golang/protobuf v1.4.3
	github.com/opencontainers/runc v1.0.0-rc92
	golang.org/x/net v0.0.0-20201110031124-69a78807bb2b
	google.golang.org/grpc v1.27.1
	gopkg.in/yaml.v2 v2.2.8
	k8s.io/api v0.0.0
	k8s.io/apimachinery v0.0.0
	k8s.io/client-go v0.0.0
	k8s.io/klog/v2 v2.4.0
	"sigs.k8s.io/yaml" v1.2.0
)

replace (
	github.com/golang/protobuf => github.com/golang/protobuf v1.4.3
	google.golang.org/grpc v1.27.1 => google.golang.org/grpc v1.27.2 // pinned
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)

replace golang.org/x/net => golang.org/x/net v0.0.0-20210224082022-3d97a244fca7

exclude github.com/example/broken v1.0.0
"#;

    fn tree(files: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    fn read(files: &HashMap<String, Vec<u8>>) -> Inventory {
        let mut f = |p: &str| files.get(p).cloned();
        Inventory::read(&mut f).unwrap()
    }

    #[test]
    fn go_mod_requires_replaces_and_directives() {
        let gm = parse_go_mod(GO_MOD_1_20);
        assert!(gm.warnings.is_empty(), "{:?}", gm.warnings);
        assert_eq!(gm.module.as_deref(), Some("k8s.io/kubernetes"));
        assert_eq!(gm.go.as_deref(), Some("1.15"));
        assert_eq!(gm.requires.len(), 14);
        let containerd = gm
            .requires
            .iter()
            .find(|r| r.path == "github.com/containerd/containerd")
            .unwrap();
        assert!(containerd.indirect);
        assert!(
            !gm.requires
                .iter()
                .find(|r| r.path == "github.com/gogo/protobuf")
                .unwrap()
                .indirect
        );
        assert!(gm
            .requires
            .iter()
            .any(|r| r.path == "sigs.k8s.io/yaml" && r.version == "v1.2.0"));
        assert_eq!(gm.replaces.len(), 6);
        assert_eq!(
            gm.replaces[1],
            Replace {
                old_path: "google.golang.org/grpc".into(),
                old_version: Some("v1.27.1".into()),
                new_path: "google.golang.org/grpc".into(),
                new_version: Some("v1.27.2".into()),
            }
        );
        assert_eq!(gm.replaces[2].new_path, "./staging/src/k8s.io/api");
        assert_eq!(gm.replaces[2].new_version, None);
        assert_eq!(gm.replacement_of("google.golang.org/grpc", "v1.27.0"), None);
    }

    #[test]
    fn inventory_from_go_mod() {
        let inv = read(&tree(&[(GO_MOD, GO_MOD_1_20)]));
        assert_eq!(inv.sources, vec![GO_MOD.to_string()]);
        let gogo = inv.module("github.com/gogo/protobuf").unwrap();
        assert_eq!(gogo.version, "v1.3.2");
        assert_eq!(gogo.origin, ModuleOrigin::GoMod);
        assert_eq!(gogo.replaced_by, None);
        assert_eq!(
            inv.effective_version("github.com/gogo/protobuf"),
            Some("v1.3.2")
        );

        let api = inv.module("k8s.io/api").unwrap();
        assert_eq!(api.version, "v0.0.0");
        assert_eq!(
            api.replaced_by,
            Some(("./staging/src/k8s.io/api".into(), String::new()))
        );
        assert!(api.is_local_replace());
        assert_eq!(inv.effective_version("k8s.io/api"), Some("v0.0.0"));

        assert_eq!(
            inv.effective_version("google.golang.org/grpc"),
            Some("v1.27.2")
        );
        assert_eq!(
            inv.effective_version("golang.org/x/net"),
            Some("v0.0.0-20210224082022-3d97a244fca7")
        );
        assert_eq!(inv.effective_version("github.com/example/absent"), None);
        assert_eq!(
            inv.go,
            Some(GoToolchain {
                version: "1.15".into(),
                source: SOURCE_GO_DIRECTIVE.into()
            })
        );
    }

    #[test]
    fn toolchain_directive_beats_go_directive() {
        let inv = read(&tree(&[(
            GO_MOD,
            "module k8s.io/kubernetes\n\ngo 1.22.0\n\ntoolchain go1.22.5\n",
        )]));
        assert_eq!(
            inv.go,
            Some(GoToolchain {
                version: "1.22.5".into(),
                source: SOURCE_TOOLCHAIN.into()
            })
        );
        let inv = read(&tree(&[(GO_MOD, "module m\ngo 1.21\ntoolchain default\n")]));
        assert_eq!(inv.go_version(), Some("1.21"));
    }

    const MODULES_TXT: &str = "\
# github.com/gogo/protobuf v1.3.1
## explicit
github.com/gogo/protobuf/gogoproto
github.com/gogo/protobuf/proto
# github.com/golang/protobuf v1.4.3 => github.com/golang/protobuf v1.4.3
## explicit; go 1.9
github.com/golang/protobuf/proto
# golang.org/x/net v0.0.0-20201110031124-69a78807bb2b => golang.org/x/net v0.0.0-20210224082022-3d97a244fca7
golang.org/x/net/http2
# gopkg.in/yaml.v2 v2.2.8
gopkg.in/yaml.v2
# k8s.io/api v0.0.0 => ./staging/src/k8s.io/api
## explicit
k8s.io/api/core/v1
# github.com/vendored/only v0.3.0
# k8s.io/api => ./staging/src/k8s.io/api
# k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
";

    #[test]
    fn modules_txt_lines() {
        let mt = parse_modules_txt(MODULES_TXT);
        assert!(mt.warnings.is_empty(), "{:?}", mt.warnings);
        assert_eq!(mt.modules.len(), 8);
        assert_eq!(
            mt.modules[0],
            VendoredModule {
                path: "github.com/gogo/protobuf".into(),
                version: Some("v1.3.1".into()),
                replacement: None,
                explicit: true,
            }
        );
        assert!(mt.modules[1].explicit);
        assert!(!mt.modules[2].explicit);
        assert_eq!(
            mt.modules[4].replacement,
            Some(("./staging/src/k8s.io/api".into(), None))
        );
        assert_eq!(mt.modules[6].version, None);
        assert!(!parse_modules_txt("# a b c d\n").warnings.is_empty());
    }

    #[test]
    fn vendor_versions_win_over_go_mod() {
        let inv = read(&tree(&[
            (GO_MOD, GO_MOD_1_20),
            (VENDOR_MODULES_TXT, MODULES_TXT),
        ]));
        assert_eq!(
            inv.sources,
            vec![GO_MOD.to_string(), VENDOR_MODULES_TXT.to_string()]
        );
        let gogo = inv.module("github.com/gogo/protobuf").unwrap();
        assert_eq!(gogo.version, "v1.3.1");
        assert_eq!(gogo.origin, ModuleOrigin::VendorModulesTxt);
        assert!(inv
            .warnings
            .iter()
            .any(|w| w.contains("github.com/gogo/protobuf") && w.contains("v1.3.1")));
        // Only in modules.txt.
        assert_eq!(
            inv.effective_version("github.com/vendored/only"),
            Some("v0.3.0")
        );
        // Only in go.mod: kept.
        assert_eq!(
            inv.module("github.com/docker/docker").unwrap().origin,
            ModuleOrigin::GoMod
        );
        assert_eq!(
            inv.effective_version("golang.org/x/net"),
            Some("v0.0.0-20210224082022-3d97a244fca7")
        );
        assert!(inv
            .module("k8s.io/apimachinery")
            .unwrap()
            .is_local_replace());
        // go.mod's replacement of grpc is not in modules.txt: the vendored module is unreplaced.
        assert_eq!(
            inv.effective_version("google.golang.org/grpc"),
            Some("v1.27.2")
        );
    }

    const GODEPS: &str = r#"{
	"ImportPath": "k8s.io/kubernetes",
	"GoVersion": "go1.12",
	"GodepVersion": "v80",
	"Packages": ["github.com/onsi/ginkgo/ginkgo", "./..."],
	"Deps": [
		{"ImportPath": "bitbucket.org/bertimus9/systemstat", "Rev": "6edb7bbfe4cd"},
		{"ImportPath": "bitbucket.org/ww/goautoneg", "Comment": "null-5", "Rev": "'75cd24fc2f2c2a2088577d12123ddee5f54e0675'"},
		{"ImportPath": "cloud.google.com/go/compute/metadata", "Comment": "v0.1.0-115-g3b1ae45", "Rev": "3b1ae45394a234c385be014e9a488f2bb6eef821"},
		{"ImportPath": "github.com/coreos/etcd/clientv3", "Comment": "v3.3.10", "Rev": "27fc7e2296f506182f58ce846e48f36b34fe6842"},
		{"ImportPath": "github.com/coreos/etcd/etcdserver", "Comment": "v3.3.10", "Rev": "27fc7e2296f506182f58ce846e48f36b34fe6842"},
		{"ImportPath": "github.com/gogo/protobuf/gogoproto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/gogo/protobuf/proto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/golang/glog", "Rev": "44145f04b68cf362d9c4df2182967c2275eaefed"},
		{"ImportPath": "golang.org/x/net/http2", "Rev": "0ed95abb35c445290478a5348a7b38bb154135fd"},
		{"ImportPath": "gopkg.in/square/go-jose.v2/jwt", "Comment": "v2.1.6-4-g89060de", "Rev": "89060dee6a84df9a4dae49f676f0c755037834f1"},
		{"ImportPath": "gopkg.in/yaml.v2", "Comment": "v2.2.1", "Rev": "5420a8b6744d3b0345ab293f6fcba19c978f1183"},
		{"ImportPath": "k8s.io/utils/exec", "Rev": "c2654d5206da6b7b6ace12841e8f359bb89b443c"},
		{"ImportPath": "k8s.io/klog", "Comment": "v0.3.0", "Rev": "8e90cee79f823779174776412c13478955131846"},
		{"ImportPath": "github.com/docker/distribution/reference", "Comment": "v2.6.0-rc.1-209-gedc3ab2", "Rev": "edc3ab29cdff8694dd6feb85cfeb4b5f1b38ed9c"},
		{"ImportPath": "github.com/json-iterator/go", "Comment": "1.1.5", "Rev": "1624edc4454b8682399def8740d46db5e4362ba4"}
	]
}"#;

    #[test]
    fn godeps_modules_and_versions() {
        let inv = read(&tree(&[
            (GODEPS_JSON, GODEPS),
            (CROSS_VERSION, "v1.12.5-1\n"),
        ]));
        assert_eq!(
            inv.sources,
            vec![GODEPS_JSON.to_string(), CROSS_VERSION.to_string()]
        );
        let gogo = inv.module("github.com/gogo/protobuf").unwrap();
        assert_eq!(gogo.version, "v0.4.0");
        assert_eq!(gogo.origin, ModuleOrigin::Godeps);
        assert_eq!(
            inv.effective_version("github.com/coreos/etcd"),
            Some("v3.3.10")
        );
        assert_eq!(inv.effective_version("cloud.google.com/go"), Some("v0.1.0"));
        assert_eq!(
            inv.effective_version("gopkg.in/square/go-jose.v2"),
            Some("v2.1.6")
        );
        assert_eq!(inv.effective_version("gopkg.in/yaml.v2"), Some("v2.2.1"));
        assert_eq!(
            inv.effective_version("github.com/json-iterator/go"),
            Some("v1.1.5")
        );
        assert_eq!(inv.effective_version("k8s.io/klog"), Some("v0.3.0"));
        assert_eq!(
            inv.effective_version("github.com/docker/distribution"),
            Some("v2.6.0-rc.1")
        );
        assert_eq!(
            inv.effective_version("golang.org/x/net"),
            Some("rev:0ed95abb35c445290478a5348a7b38bb154135fd")
        );
        assert_eq!(
            inv.effective_version("bitbucket.org/ww/goautoneg"),
            Some("rev:75cd24fc2f2c2a2088577d12123ddee5f54e0675")
        );
        assert_eq!(
            inv.module("k8s.io/utils").unwrap().version,
            "rev:c2654d5206da6b7b6ace12841e8f359bb89b443c"
        );
        assert!(inv
            .warnings
            .iter()
            .any(|w| w.contains("golang.org/x/net") && w.contains("revision")));
        assert!(!inv
            .warnings
            .iter()
            .any(|w| w.contains("github.com/gogo/protobuf")));
        assert_eq!(inv.modules.len(), 13);
        assert_eq!(
            inv.go,
            Some(GoToolchain {
                version: "1.12.5".into(),
                source: CROSS_VERSION.into()
            })
        );
    }

    #[test]
    fn godeps_tagged_gogo_and_go_version_fallback() {
        let json = r#"{"ImportPath":"k8s.io/kubernetes","GoVersion":"go1.10","Deps":[
            {"ImportPath":"github.com/gogo/protobuf/proto","Comment":"v1.0.0","Rev":"1adfc126b41513cc696b209667c8656ea7aac67c"},
            {"ImportPath":"github.com/gogo/protobuf/sortkeys","Comment":"v1.0.0","Rev":"1adfc126b41513cc696b209667c8656ea7aac67c"},
            {"ImportPath":"k8s.io/kubernetes/pkg/api","Rev":"x"}]}"#;
        let inv = read(&tree(&[(GODEPS_JSON, json)]));
        assert_eq!(inv.modules.len(), 1);
        assert_eq!(
            inv.effective_version("github.com/gogo/protobuf"),
            Some("v1.0.0")
        );
        assert_eq!(
            inv.go,
            Some(GoToolchain {
                version: "1.10".into(),
                source: SOURCE_GODEPS.into()
            })
        );
    }

    #[test]
    fn godeps_conflicting_pins_warn() {
        let json = r#"{"Deps":[
            {"ImportPath":"github.com/a/b/c","Comment":"v1.0.0","Rev":"aaaa"},
            {"ImportPath":"github.com/a/b/d","Comment":"v1.1.0","Rev":"bbbb"}]}"#;
        let inv = read(&tree(&[(GODEPS_JSON, json)]));
        assert_eq!(inv.effective_version("github.com/a/b"), Some("v1.0.0"));
        assert!(inv
            .warnings
            .iter()
            .any(|w| w.contains("different versions")));
        let inv = read(&tree(&[(GODEPS_JSON, "{not json")]));
        assert!(inv.modules.is_empty());
        assert!(inv.warnings.iter().any(|w| w.contains("invalid JSON")));
    }

    #[test]
    fn go_mod_present_ignores_godeps() {
        let mut asked = Vec::new();
        let mut f = |p: &str| {
            asked.push(p.to_string());
            match p {
                GO_MOD => Some(b"module k8s.io/kubernetes\ngo 1.12\n".to_vec()),
                GODEPS_JSON => Some(GODEPS.as_bytes().to_vec()),
                _ => None,
            }
        };
        let inv = Inventory::read(&mut f).unwrap();
        assert!(inv.modules.is_empty());
        assert!(!asked.iter().any(|p| p == GODEPS_JSON));
        assert_eq!(inv.sources, vec![GO_MOD.to_string()]);
    }

    #[test]
    fn module_roots() {
        for (import, root) in [
            ("github.com/gogo/protobuf/proto", "github.com/gogo/protobuf"),
            ("github.com/gogo/protobuf", "github.com/gogo/protobuf"),
            (
                "github.com/coreos/go-systemd/v22/dbus",
                "github.com/coreos/go-systemd/v22",
            ),
            (
                "github.com/aws/aws-sdk-go/private/signer/v4",
                "github.com/aws/aws-sdk-go",
            ),
            ("golang.org/x/net/http2/hpack", "golang.org/x/net"),
            ("gopkg.in/yaml.v2", "gopkg.in/yaml.v2"),
            (
                "gopkg.in/square/go-jose.v2/jwt",
                "gopkg.in/square/go-jose.v2",
            ),
            (
                "gopkg.in/natefinch/lumberjack.v2",
                "gopkg.in/natefinch/lumberjack.v2",
            ),
            ("k8s.io/utils/exec", "k8s.io/utils"),
            ("k8s.io/klog/v2", "k8s.io/klog/v2"),
            ("sigs.k8s.io/yaml", "sigs.k8s.io/yaml"),
            (
                "sigs.k8s.io/structured-merge-diff/v4/fieldpath",
                "sigs.k8s.io/structured-merge-diff/v4",
            ),
            (
                "google.golang.org/grpc/credentials",
                "google.golang.org/grpc",
            ),
            (
                "cloud.google.com/go/compute/metadata",
                "cloud.google.com/go",
            ),
            ("go.etcd.io/etcd/clientv3", "go.etcd.io/etcd"),
            ("go.uber.org/zap/zapcore", "go.uber.org/zap"),
            ("go.opencensus.io/trace", "go.opencensus.io"),
            ("vbom.ml/util/sortorder", "vbom.ml/util"),
            ("bitbucket.org/ww/goautoneg", "bitbucket.org/ww/goautoneg"),
            ("github.com/short", "github.com/short"),
            ("", ""),
        ] {
            assert_eq!(module_root(import), root, "{import}");
        }
    }

    #[test]
    fn godeps_comment_versions() {
        for (comment, version) in [
            (Some("v1.0.0"), Some("v1.0.0")),
            (Some("1.2.0"), Some("v1.2.0")),
            (Some("v0.4-3-gc0656ed"), Some("v0.4.0")),
            (Some("v1.0.0-5-gabc1234"), Some("v1.0.0")),
            (Some("v3.1.0-beta-24-g8316b90"), Some("v3.1.0-beta")),
            (Some("v4-12-g593d645"), Some("v4.0.0")),
            (Some("v1.0.0-rc1"), Some("v1.0.0-rc1")),
            (Some("null-5"), None),
            (Some("release-1.2"), None),
            (Some("v1.2.3.4"), None),
            (Some(""), None),
            (None, None),
        ] {
            assert_eq!(godeps_version(comment).as_deref(), version, "{comment:?}");
        }
    }

    #[test]
    fn go_version_files() {
        for (text, v) in [
            ("v1.15.10-1\n", Some("1.15.10")),
            ("v1.16.15-2", Some("1.16.15")),
            ("v1.12.5-1", Some("1.12.5")),
            ("v1.15.15-legacy-1\n", Some("1.15.15")),
            ("v1.22.0-go1.16.7-buster.0\n", Some("1.16.7")),
            ("v1.28.0-go1.20.8-bullseye.0", Some("1.20.8")),
            ("", None),
            ("latest", None),
        ] {
            assert_eq!(parse_cross_version(text).as_deref(), v, "{text:?}");
        }
        assert_eq!(parse_go_version_file("1.22.5\n").as_deref(), Some("1.22.5"));
        assert_eq!(parse_go_version_file("go1.21.0").as_deref(), Some("1.21.0"));
        assert_eq!(parse_go_version_file("1.21rc2").as_deref(), Some("1.21rc2"));
        assert_eq!(parse_go_version_file("stable"), None);
        assert_eq!(normalize_go_version("2.0"), None);
        assert_eq!(normalize_go_version("1"), None);
    }

    #[test]
    fn go_version_preference() {
        let gm = "module k8s.io/kubernetes\ngo 1.22.0\ntoolchain go1.22.3\n";
        let all = tree(&[
            (GO_MOD, gm),
            (GO_VERSION_FILE, "1.22.5\n"),
            (CROSS_VERSION, "v1.29.0-go1.22.4-bullseye.0\n"),
        ]);
        let inv = read(&all);
        assert_eq!(
            inv.go,
            Some(GoToolchain {
                version: "1.22.5".into(),
                source: GO_VERSION_FILE.into()
            })
        );
        let no_go_version = tree(&[
            (GO_MOD, gm),
            (CROSS_VERSION, "v1.29.0-go1.22.4-bullseye.0\n"),
        ]);
        assert_eq!(read(&no_go_version).go.unwrap().source, CROSS_VERSION);
        // A broken .go-version falls through, with a warning.
        let broken = tree(&[(GO_MOD, gm), (GO_VERSION_FILE, "garbage")]);
        let inv = read(&broken);
        assert_eq!(inv.go.as_ref().unwrap().source, SOURCE_TOOLCHAIN);
        assert!(inv.warnings.iter().any(|w| w.starts_with(GO_VERSION_FILE)));
        assert_eq!(
            inv.sources,
            vec![GO_MOD.to_string(), GO_VERSION_FILE.to_string()]
        );
    }

    #[test]
    fn empty_tree() {
        let inv = read(&HashMap::new());
        assert!(inv.modules.is_empty());
        assert_eq!(inv.go, None);
        assert!(inv.sources.is_empty());
        assert_eq!(inv.warnings.len(), 1);
    }

    #[test]
    fn go_mod_oddities() {
        let gm = parse_go_mod(
            "module \"example.com/m\"\nrequire example.com/a v1.0.0 // indirect; for tests\nrequire (\n\texample.com/b v1.0.0\n)\nrequire ()\nfrobnicate x\nreplace example.com/a\nreplace a => b\nrequire (\n",
        );
        assert_eq!(gm.module.as_deref(), Some("example.com/m"));
        assert_eq!(gm.requires.len(), 2);
        assert!(gm.requires[0].indirect);
        assert_eq!(gm.warnings.len(), 4, "{:?}", gm.warnings);
    }

    #[test]
    fn crlf_and_bom() {
        let gm = parse_go_mod("\u{feff}module m\r\n\r\nrequire (\r\n\tgithub.com/gogo/protobuf v1.3.2 // indirect\r\n)\r\n");
        assert!(gm.warnings.is_empty(), "{:?}", gm.warnings);
        assert_eq!(gm.module.as_deref(), Some("m"));
        assert!(gm.requires[0].indirect);
        let mt = parse_modules_txt("\u{feff}# github.com/gogo/protobuf v1.3.2\r\n## explicit\r\n");
        assert_eq!(mt.modules[0].version.as_deref(), Some("v1.3.2"));
        assert!(mt.modules[0].explicit);
    }

    #[test]
    fn serialize_origin_kebab_case() {
        assert_eq!(
            serde_json::to_string(&ModuleOrigin::VendorModulesTxt).unwrap(),
            "\"vendor-modules-txt\""
        );
        assert_eq!(
            serde_json::to_string(&ModuleOrigin::GoMod).unwrap(),
            "\"go-mod\""
        );
        assert_eq!(
            serde_json::to_string(&ModuleOrigin::Godeps).unwrap(),
            "\"godeps\""
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,400}") {
            let _ = parse_go_mod(&s);
            let _ = parse_modules_txt(&s);
            let _ = parse_godeps(s.as_bytes());
            let _ = parse_cross_version(&s);
            let _ = parse_go_version_file(&s);
            let _ = normalize_go_version(&s);
            let _ = godeps_version(Some(&s));
            let _ = module_root(&s);
        }

        #[test]
        fn go_mod_like_input_never_panics(
            s in "(module|go|toolchain|require|replace|exclude|\\(|\\)|=>|//|indirect|\"|`|v1\\.2\\.3|\\./x|k8s\\.io/api|github\\.com/a/b|#|##|explicit|;| |\t|\n|-|g[0-9a-f]{7}){0,60}"
        ) {
            let files = tree(&[(GO_MOD, s.as_str()), (VENDOR_MODULES_TXT, s.as_str()), (CROSS_VERSION, s.as_str()), (GO_VERSION_FILE, s.as_str())]);
            let _ = read(&files);
            let files = tree(&[(GODEPS_JSON, s.as_str())]);
            let _ = read(&files);
        }

        #[test]
        fn godeps_like_input_never_panics(
            comment in "(v|[0-9]|\\.|-|g|[a-f]|null|'|\"){0,20}",
            path in "([a-z.]{0,8}/){0,5}[a-z.]{0,8}",
        ) {
            let json = serde_json::json!({"ImportPath": "k8s.io/kubernetes", "Deps": [{"ImportPath": path, "Comment": comment, "Rev": comment}]});
            let _ = read(&tree(&[(GODEPS_JSON, json.to_string().as_str())]));
        }
    }
}
