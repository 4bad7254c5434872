//! The KLTS manifest (`releases.yml`), read unchanged.
//!
//! ```yaml
//! base: https://github.com/kubernetes/kubernetes   # the upstream: URL or local path
//! releases:
//!   - name: v1.17.17-lts.3          # the release (and tag) this entry produces
//!     base_release: v1.17.17-ci     # another release of this manifest, or an upstream tag
//!     must: true                    # verified by default; false = no longer maintained
//!     published: true               # klts extension, optional: see below
//!     patches: [CVE-2021-3121, nokmem.1.20]
//!     test_failures_tolerated: []
//!     test_integration_failures_tolerated: []
//! patches:
//!   - name: CVE-2021-3121           # referenced from `releases[].patches`
//!     patch:                        # applied in order: URLs or workspace paths
//!       - https://github.com/kubernetes/kubernetes/pull/101327.patch
//!     fixes: [CVE-2021-3121]        # klts extension, ignored by the KLTS shell tooling
//! ```
//!
//! The parser keeps the position of every value so that `klts lint` and every error can name
//! `file:line:col`. Keys it does not know are kept in [`Manifest::unknown_keys`] and reported
//! as warnings (a typo such as `base_relase` would otherwise silently change a release), never
//! rejected: the KLTS format is extended by adding keys.
//!
//! A patch name resolves through the `patches:` catalog first; a name absent from the catalog
//! resolves by convention to `patches/<name>.patch` in the workspace, as the KLTS tooling does.
//!
//! **Stages.** Not every release is something users install: `v1.17.17-ci` only carries the
//! build fixes that the `-lts.N` releases of its line are based on. [`Manifest::is_stage`] owns
//! that rule (the portal counts, lists and compares published releases only): a release is a
//! stage when its name is not an `-lts.N` version and another release uses it as
//! `base_release`. The optional `published: true|false` of a release (a klts extension the KLTS
//! tooling ignores) overrides the rule either way; `published: false` hides a release even when
//! nothing builds on it.

use crate::diag::Location;
use crate::names::{self, NameKind};
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it starts in the manifest.
    pub loc: Location,
}

impl<T> Spanned<T> {
    fn new(value: T, loc: Location) -> Self {
        Spanned { value, loc }
    }
}

/// Keys of each mapping of the manifest, for "did you mean" and the unknown-key help.
pub mod keys {
    /// The top-level mapping.
    pub const TOP: &[&str] = &["base", "product", "releases", "patches", "build"];
    /// A release.
    pub const RELEASE: &[&str] = &[
        "name",
        "base_release",
        "must",
        "published",
        "patches",
        "test_failures_tolerated",
        "test_integration_failures_tolerated",
    ];
    /// A catalog entry.
    pub const PATCH: &[&str] = &["name", "patch", "fixes"];
    /// `build:`.
    pub const BUILD: &[&str] = &[
        "platforms",
        "targets",
        "images",
        "command",
        "artifacts",
        "env",
        "test",
        "go",
        "import_path",
    ];
    /// `build.test:`.
    pub const BUILD_TEST: &[&str] = &["command", "retries", "timeout"];
}

/// A key the parser does not know, with the mapping it was found in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    /// The key and where it was written.
    pub key: Spanned<String>,
    /// The mapping it is in, as a user would name it (`a release`, `build.test`).
    pub mapping: &'static str,
    /// The keys that mapping knows.
    pub known: &'static [&'static str],
}

impl UnknownKey {
    /// The known key this one is most likely a typo of (edit distance at most 2, or one
    /// contains the other), if any.
    pub fn suggestion(&self) -> Option<&'static str> {
        did_you_mean(&self.key.value, self.known)
    }

    /// The `help:` line: the likely key, or the keys this mapping knows.
    pub fn help(&self) -> String {
        match self.suggestion() {
            Some(k) => format!(
                "did you mean `{k}`? (keys of {}: {})",
                self.mapping,
                self.known.join(", ")
            ),
            None => format!(
                "check the spelling; the keys of {} are {}",
                self.mapping,
                self.known.join(", ")
            ),
        }
    }
}

/// The candidate `word` is most likely a misspelling of: edit distance at most 2 (a third of
/// the word for short words), ties broken by the order of `candidates`.
pub fn did_you_mean(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 2);
    candidates
        .iter()
        .map(|c| (edit_distance(&word, c, limit + 1), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, giving up (returning `cap`) once it exceeds `cap`; bounded cost on
/// hostile keys.
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) >= cap || a.len() > 256 {
        return cap;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        if cur.iter().all(|&d| d >= cap) {
            return cap;
        }
        prev = cur;
    }
    prev[b.len()].min(cap)
}

/// One entry of `releases:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// `name`: the release this entry produces (`v1.17.17-lts.3`).
    pub name: Spanned<String>,
    /// `base_release`: another release of the manifest or an upstream tag.
    pub base_release: Spanned<String>,
    /// `must`: whether the release is maintained and verified by default.
    pub must: bool,
    /// `published`: whether users get this release (klts extension). `None` when absent: then
    /// [`Manifest::is_stage`] decides from the name and the other releases.
    pub published: Option<bool>,
    /// `patches`: patch names applied on top of the base, in order.
    pub patches: Vec<Spanned<String>>,
    /// `test_failures_tolerated`: Go packages whose unit-test failures do not fail the release.
    pub test_failures_tolerated: Vec<String>,
    /// `test_integration_failures_tolerated`: the same for integration tests.
    pub test_integration_failures_tolerated: Vec<String>,
    /// Where the entry starts.
    pub loc: Location,
}

/// Where the bytes of one patch file come from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatchSource {
    /// An `http://` or `https://` URL, downloaded once and pinned in the lock file.
    Url(String),
    /// A path relative to the workspace root.
    File(PathBuf),
}

impl PatchSource {
    /// Classify a string from a `patch:` list.
    pub fn parse(s: &str) -> Result<PatchSource, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("an empty patch source".into());
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(PatchSource::Url(s.to_string()));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unsupported scheme `{scheme}://` in `{s}`: use an http(s) URL or a path inside the workspace"
            ));
        }
        let path = Path::new(s);
        if path.is_absolute() {
            return Err(format!(
                "absolute path `{s}`: patch files must live inside the workspace (e.g. patches/NAME.patch)"
            ));
        }
        if path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(format!("path `{s}` leaves the workspace (`..`)"));
        }
        Ok(PatchSource::File(path.to_path_buf()))
    }
}

impl fmt::Display for PatchSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchSource::Url(u) => f.write_str(u),
            PatchSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One entry of the `patches:` catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchEntry {
    /// `name`: how releases refer to it.
    pub name: Spanned<String>,
    /// `patch`: the files making up this patch, applied in order.
    pub sources: Vec<Spanned<PatchSource>>,
    /// `fixes`: advisories this patch fixes (klts extension).
    pub fixes: Vec<Spanned<String>>,
    /// Where the entry starts.
    pub loc: Location,
}

/// How a patch name resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchResolution<'m> {
    /// Found in the `patches:` catalog.
    Catalog(&'m PatchEntry),
    /// Not in the catalog; `patches/<name>.patch` exists in the workspace.
    Convention(PathBuf),
    /// Neither.
    Missing {
        /// The conventional path that was looked for.
        looked_for: PathBuf,
    },
}

/// The base chain of a release, resolved to its upstream root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain<'m> {
    /// The upstream ref (normally a tag) the chain starts from.
    pub root: String,
    /// The releases of the chain, root-most first; the last one is the release asked for.
    pub releases: Vec<&'m Release>,
}

impl Chain<'_> {
    /// Patch names of the whole chain, in application order.
    pub fn patch_names(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.releases.iter().flat_map(|r| r.patches.iter())
    }
}

/// Why a base chain cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The name is not a release of the manifest.
    #[error("unknown release `{}`", crate::names::printable(.0, 128))]
    UnknownRelease(String),
    /// Following `base_release` comes back to a release already visited.
    #[error("base_release chain cycles: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// Why a workspace-relative path cannot be used (see [`Manifest::workspace_file`]).
#[derive(Debug, thiserror::Error)]
pub enum WorkspacePathError {
    /// The path is absolute or climbs out with `..` (a catalog `patch:` path is refused by the
    /// parser already; this covers every other caller).
    #[error("{} is not a path inside the workspace", .0.display())]
    NotRelative(PathBuf),
    /// The path, after following symlinks, lands outside the workspace.
    #[error("{} resolves to {}, outside the workspace {}\n  help: patch files must be regular files inside the workspace; replace the symlink by the file", rel.display(), target.display(), workspace.display())]
    Escapes {
        /// The path as written.
        rel: PathBuf,
        /// Where it really points.
        target: PathBuf,
        /// The workspace, canonicalized.
        workspace: PathBuf,
    },
    /// The file (or the workspace) cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error (`NotFound` for a missing file).
        source: std::io::Error,
    },
}

/// [`Manifest::workspace_file`] for a workspace directory.
pub fn workspace_file(workspace: &Path, rel: &Path) -> Result<PathBuf, WorkspacePathError> {
    if rel.is_absolute()
        || rel.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(WorkspacePathError::NotRelative(rel.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkspacePathError::Io { path, source }
    };
    let root = std::fs::canonicalize(workspace).map_err(io(workspace))?;
    let joined = workspace.join(rel);
    let target = std::fs::canonicalize(&joined).map_err(io(&joined))?;
    if !target.starts_with(&root) {
        return Err(WorkspacePathError::Escapes {
            rel: rel.to_path_buf(),
            target,
            workspace: root,
        });
    }
    Ok(target)
}

/// The largest `releases.yml` klts reads: 4 MiB, over a hundred times the real KLTS manifest
/// (30 KB). Parsed YAML takes about 40 times its size in memory.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Why a manifest could not be read (see [`crate::yaml::YamlFileError`]).
pub type ManifestError = crate::yaml::YamlFileError;

/// A parsed `releases.yml`.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The path it was read from (used in diagnostics).
    pub path: PathBuf,
    /// `base`: the upstream repository, URL or local path.
    pub base: Spanned<String>,
    /// `product`: which product the workspace maintains (a klts key the KLTS shell tooling
    /// ignores; see [`crate::product`] for what decides it when absent).
    pub product: Option<Spanned<crate::product::Product>>,
    /// `releases`, in file order.
    pub releases: Vec<Release>,
    /// `patches`, in file order.
    pub patches: Vec<PatchEntry>,
    /// `build`: how releases are built and tested (klts extension; Kubernetes' defaults
    /// when absent, see [`crate::build`]).
    pub build: crate::build::BuildConfig,
    /// Keys the parser does not know, with their position and mapping (reported by lint).
    pub unknown_keys: Vec<UnknownKey>,
    release_index: HashMap<String, usize>,
    patch_index: HashMap<String, usize>,
    /// Names some other release uses as `base_release`, computed once so that
    /// [`Manifest::is_stage`] costs a lookup, not a scan of the manifest.
    bases: std::collections::HashSet<String>,
}

impl Manifest {
    /// Read and parse a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let source = crate::yaml::read_limited(path, MAX_MANIFEST_BYTES, "a manifest")?;
        Manifest::parse(&source, path)
    }

    /// Parse manifest text; `path` is only used in messages.
    pub fn parse(source: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let docs = crate::yaml::load_str(source).map_err(|e| ManifestError::Yaml {
            path: path.to_path_buf(),
            loc: Location {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info().to_string(),
        })?;
        let mut p = Parser {
            path,
            unknown: Vec::new(),
        };
        let root = match docs.as_slice() {
            [doc] => doc,
            [] => return Err(p.err(
                Location { line: 1, col: 1 },
                "the manifest is empty: expected a mapping with `base`, `releases` and `patches`",
            )),
            [_, second, ..] => {
                return Err(p.err(
                    loc(second),
                    "more than one YAML document: a manifest is a single document",
                ))
            }
        };
        let map = p.mapping(root, "the manifest")?;
        let mut base = None;
        let mut product = None;
        let mut releases = Vec::new();
        let mut patches = Vec::new();
        let mut build = crate::build::BuildConfig::default();
        for (key, value) in map {
            match key.value.as_str() {
                "base" => base = Some(p.string(value, "base")?),
                "product" => {
                    let name = p.string(value, "product")?;
                    match crate::product::Product::parse(&name.value) {
                        Some(v) => product = Some(Spanned::new(v, name.loc)),
                        None => {
                            return Err(p.err(
                                name.loc,
                                format!(
                                    "unknown product `{}`\n  help: {}",
                                    crate::names::printable(&name.value, 64),
                                    crate::product::Product::expected()
                                ),
                            ))
                        }
                    }
                }
                "releases" => {
                    for item in p.sequence(value, "releases")? {
                        releases.push(p.release(item)?);
                    }
                }
                "patches" => {
                    for item in p.sequence(value, "patches")? {
                        patches.push(p.patch_entry(item)?);
                    }
                }
                "build" => build = p.build_section(value, key.loc)?,
                _ => p.unknown(key, "the manifest", keys::TOP),
            }
        }
        let base = base.ok_or_else(|| {
            p.err(
                loc(root),
                "missing `base`: the upstream repository URL or path (e.g. base: https://github.com/kubernetes/kubernetes)",
            )
        })?;
        // A name defined twice is an error for every command, not a lint finding that
        // `verify` would ignore by silently using the first definition.
        let mut release_index: HashMap<String, usize> = HashMap::new();
        for (i, r) in releases.iter().enumerate() {
            if let Some(&first) = release_index.get(&r.name.value) {
                return Err(p.err(
                    r.name.loc,
                    format!(
                        "release `{}` is defined twice (first at line {})\n  help: remove or rename one of them",
                        r.name.value, releases[first].name.loc.line
                    ),
                ));
            }
            release_index.insert(r.name.value.clone(), i);
        }
        let mut patch_index: HashMap<String, usize> = HashMap::new();
        for (i, e) in patches.iter().enumerate() {
            if let Some(&first) = patch_index.get(&e.name.value) {
                return Err(p.err(
                    e.name.loc,
                    format!(
                        "patch `{}` is defined twice in the catalog (first at line {})\n  help: remove or rename one of them",
                        e.name.value, patches[first].name.loc.line
                    ),
                ));
            }
            patch_index.insert(e.name.value.clone(), i);
        }
        let bases = releases
            .iter()
            .filter(|r| r.base_release.value != r.name.value)
            .map(|r| r.base_release.value.clone())
            .collect();
        Ok(Manifest {
            path: path.to_path_buf(),
            base,
            releases,
            patches,
            build,
            product,
            unknown_keys: p.unknown,
            release_index,
            patch_index,
            bases,
        })
    }

    /// The directory the manifest lives in: patch paths are relative to it.
    pub fn workspace_dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// The file at `rel` (a path relative to the workspace, as in a `patch:` list or the
    /// `patches/<name>.patch` convention), checked to be inside the workspace **after**
    /// following symlinks: a `patches/` entry that links to `/etc/shadow` or `../../secret` is
    /// refused, so that no name or path in a manifest can read a file outside the workspace.
    /// Errors are errors (a missing file is [`WorkspacePathError::Io`] with `NotFound`), never
    /// "absent".
    pub fn workspace_file(&self, rel: &Path) -> Result<PathBuf, WorkspacePathError> {
        workspace_file(self.workspace_dir(), rel)
    }

    /// The release with this name (names are unique: the parser refuses duplicates).
    pub fn release(&self, name: &str) -> Option<&Release> {
        self.release_index.get(name).map(|&i| &self.releases[i])
    }

    /// The catalog entry with this name (unique, as release names).
    pub fn catalog_entry(&self, name: &str) -> Option<&PatchEntry> {
        self.patch_index.get(name).map(|&i| &self.patches[i])
    }

    /// Resolve a patch name: the catalog first, then `patches/<name>.patch` by convention.
    pub fn resolve_patch(&self, name: &str) -> PatchResolution<'_> {
        if let Some(entry) = self.catalog_entry(name) {
            return PatchResolution::Catalog(entry);
        }
        let rel = PathBuf::from("patches").join(format!("{name}.patch"));
        if self.workspace_dir().join(&rel).is_file() {
            PatchResolution::Convention(rel)
        } else {
            PatchResolution::Missing { looked_for: rel }
        }
    }

    /// The base chain of `name`, root-most release first.
    pub fn chain(&self, name: &str) -> Result<Chain<'_>, ChainError> {
        let mut release = self
            .release(name)
            .ok_or_else(|| ChainError::UnknownRelease(name.to_string()))?;
        let mut releases = vec![release];
        // Names already on the chain: a set, so a long chain costs its length, not its square.
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        seen.insert(&release.name.value);
        loop {
            crate::chains::count_link();
            let base = &release.base_release.value;
            match self.release(base) {
                None => {
                    releases.reverse();
                    return Ok(Chain {
                        root: base.clone(),
                        releases,
                    });
                }
                Some(next) => {
                    if !seen.insert(&next.name.value) {
                        let mut cycle: Vec<String> =
                            releases.iter().map(|r| r.name.value.clone()).collect();
                        cycle.push(next.name.value.clone());
                        return Err(ChainError::Cycle(cycle));
                    }
                    releases.push(next);
                    release = next;
                }
            }
        }
    }

    /// The Go packages whose test failures `name` tolerates: its own
    /// `test_failures_tolerated` and those of every release down its base chain (as the KLTS
    /// tooling inherits them), sorted and without duplicates.
    pub fn tolerated_test_failures(
        &self,
        name: &str,
    ) -> Result<std::collections::BTreeSet<String>, ChainError> {
        Ok(self
            .chain(name)?
            .releases
            .iter()
            .flat_map(|r| r.test_failures_tolerated.iter().cloned())
            .collect())
    }

    /// Whether the release `name` is a stage of the releases built on it rather than a
    /// published release: `published:` when the entry has it, otherwise true when the name is
    /// not an `-lts.N` version (`-ci`, a vendor suffix, not a version at all) and another
    /// release uses it as `base_release`. Stages are shown inside their children, never counted
    /// or listed as releases. `false` for a name the manifest does not define (an upstream tag
    /// is not a stage of this program).
    pub fn is_stage(&self, name: &str) -> bool {
        let Some(r) = self.release(name) else {
            return false;
        };
        if let Some(published) = r.published {
            return !published;
        }
        let lts = crate::Version::parse(name).is_ok_and(|v| v.lts_number().is_some());
        !lts && self.bases.contains(name)
    }

    /// The releases verified by default: those with `must: true`, in file order.
    pub fn must_releases(&self) -> impl Iterator<Item = &Release> {
        self.releases.iter().filter(|r| r.must)
    }
}

use crate::yaml::{describe, loc};

pub(crate) struct Parser<'p> {
    path: &'p Path,
    pub(crate) unknown: Vec<UnknownKey>,
}

impl<'p> Parser<'p> {
    pub(crate) fn err(&self, loc: Location, message: impl Into<String>) -> ManifestError {
        ManifestError::Schema {
            path: self.path.to_path_buf(),
            loc,
            message: message.into(),
        }
    }

    pub(crate) fn unknown(
        &mut self,
        key: Spanned<String>,
        mapping: &'static str,
        known: &'static [&'static str],
    ) {
        self.unknown.push(UnknownKey {
            key,
            mapping,
            known,
        });
    }

    /// The error for a missing required key: when an unknown key of the same mapping (those
    /// from `unknown_from` on) is a likely typo of it, say so — `base_relase` must not be
    /// reported only as "no base_release".
    fn missing(
        &self,
        start: Location,
        unknown_from: usize,
        required: &str,
        message: String,
    ) -> ManifestError {
        let typo = self.unknown[unknown_from.min(self.unknown.len())..]
            .iter()
            .find(|u| u.suggestion() == Some(required));
        match typo {
            Some(u) => self.err(
                u.key.loc,
                format!(
                    "{message}\n  help: unknown key `{}` here: did you mean `{required}`?",
                    u.key.value
                ),
            ),
            None => self.err(start, message),
        }
    }

    pub(crate) fn mapping<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<Vec<(Spanned<String>, &'a MarkedYaml<'y>)>, ManifestError> {
        match &node.data {
            YamlData::Mapping(map) => {
                let mut out = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let key = self.string(k, "a key")?;
                    out.push((key, v));
                }
                Ok(out)
            }
            _ => Err(self.err(
                loc(node),
                format!("expected a mapping for {what}, found {}", describe(node)),
            )),
        }
    }

    fn sequence<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<&'a [MarkedYaml<'y>], ManifestError> {
        crate::yaml::sequence(self.path, node, what)
    }

    pub(crate) fn string(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<Spanned<String>, ManifestError> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Ok(Spanned::new(s.trim().to_string(), loc(node))),
            YamlData::Representation(s, _, _) => Ok(Spanned::new(s.trim().to_string(), loc(node))),
            YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => Err(self.err(
                loc(node),
                format!(
                    "expected a string for `{what}`, found {}: quote it (e.g. \"v1.20\") so YAML keeps it as text",
                    describe(node)
                ),
            )),
            _ => Err(self.err(
                loc(node),
                format!("expected a string for `{what}`, found {}", describe(node)),
            )),
        }
    }

    pub(crate) fn non_empty(
        &self,
        s: Spanned<String>,
        what: &str,
    ) -> Result<Spanned<String>, ManifestError> {
        if s.value.is_empty() {
            Err(self.err(s.loc, format!("`{what}` is empty")))
        } else {
            Ok(s)
        }
    }

    /// A string that must pass the name rule of [`crate::names`]: refused here, with its
    /// position, before it can reach git, a path or a terminal.
    fn name(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
        kind: NameKind,
    ) -> Result<Spanned<String>, ManifestError> {
        let s = self.non_empty(self.string(node, what)?, what)?;
        self.check_name(&s, kind)?;
        Ok(s)
    }

    fn check_name(&self, s: &Spanned<String>, kind: NameKind) -> Result<(), ManifestError> {
        names::check(kind, &s.value).map_err(|e| self.err(s.loc, e.to_string()))
    }

    fn bool(&self, node: &MarkedYaml<'_>, what: &str) -> Result<bool, ManifestError> {
        match &node.data {
            YamlData::Value(Scalar::Boolean(b)) => Ok(*b),
            YamlData::Value(Scalar::Null) => Ok(false),
            _ => Err(self.err(
                loc(node),
                format!(
                    "expected `true` or `false` for `{what}`, found {}",
                    describe(node)
                ),
            )),
        }
    }

    pub(crate) fn strings(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<Vec<Spanned<String>>, ManifestError> {
        self.sequence(node, what)?
            .iter()
            .map(|item| {
                self.string(item, what)
                    .and_then(|s| self.non_empty(s, what))
            })
            .collect()
    }

    fn release(&mut self, node: &MarkedYaml<'_>) -> Result<Release, ManifestError> {
        let start = loc(node);
        let fields = self.mapping(node, "a release")?;
        let unknown_from = self.unknown.len();
        let (mut name, mut base, mut must, mut published) = (None, None, false, None);
        let (mut patches, mut tolerated, mut tolerated_int) = (Vec::new(), Vec::new(), Vec::new());
        for (key, value) in fields {
            match key.value.as_str() {
                "name" => name = Some(self.name(value, "name", NameKind::Release)?),
                "base_release" => {
                    base = Some(self.name(value, "base_release", NameKind::UpstreamRef)?)
                }
                "must" => must = self.bool(value, "must")?,
                // An empty `published:` says nothing, so the rule decides (not "hidden").
                "published" => {
                    published = match &value.data {
                        YamlData::Value(Scalar::Null) => None,
                        _ => Some(self.bool(value, "published")?),
                    }
                }
                "patches" => {
                    patches = self.strings(value, "patches")?;
                    for p in &patches {
                        self.check_name(p, NameKind::Patch)?;
                    }
                }
                "test_failures_tolerated" => {
                    tolerated = self.strings(value, "test_failures_tolerated")?
                }
                "test_integration_failures_tolerated" => {
                    tolerated_int = self.strings(value, "test_integration_failures_tolerated")?
                }
                _ => self.unknown(key, "a release", keys::RELEASE),
            }
        }
        let name = name.ok_or_else(|| {
            self.missing(start, unknown_from, "name", "release without `name`".into())
        })?;
        let base_release = base.ok_or_else(|| {
            self.missing(
                start,
                unknown_from,
                "base_release",
                format!(
                    "release `{}` has no `base_release`: name an upstream tag (v1.17.17) or another release",
                    name.value
                ),
            )
        })?;
        Ok(Release {
            name,
            base_release,
            must,
            published,
            patches,
            test_failures_tolerated: tolerated.into_iter().map(|s| s.value).collect(),
            test_integration_failures_tolerated: tolerated_int
                .into_iter()
                .map(|s| s.value)
                .collect(),
            loc: start,
        })
    }

    fn patch_entry(&mut self, node: &MarkedYaml<'_>) -> Result<PatchEntry, ManifestError> {
        let start = loc(node);
        let fields = self.mapping(node, "a patch entry")?;
        let unknown_from = self.unknown.len();
        let (mut name, mut sources, mut fixes) = (None, None, Vec::new());
        for (key, value) in fields {
            match key.value.as_str() {
                "name" => name = Some(self.name(value, "name", NameKind::Patch)?),
                "patch" => {
                    let mut list = Vec::new();
                    for s in self.strings(value, "patch")? {
                        let src = PatchSource::parse(&s.value).map_err(|m| self.err(s.loc, m))?;
                        list.push(Spanned::new(src, s.loc));
                    }
                    sources = Some(list);
                }
                "fixes" => fixes = self.strings(value, "fixes")?,
                _ => self.unknown(key, "a patch entry", keys::PATCH),
            }
        }
        let name = name.ok_or_else(|| {
            self.missing(
                start,
                unknown_from,
                "name",
                "patch entry without `name`".into(),
            )
        })?;
        let sources = sources.ok_or_else(|| {
            self.missing(
                start,
                unknown_from,
                "patch",
                format!(
                    "patch entry `{}` has no `patch` list: give URLs or workspace paths",
                    name.value
                ),
            )
        })?;
        Ok(PatchEntry {
            name,
            sources,
            fixes,
            loc: start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
base: https://github.com/kubernetes/kubernetes

releases:
  - name: v1.17.17-lts.3
    base_release: v1.17.17-ci
    must: true
    patches:
      # - CVE-2020-8554.1.18
      - CVE-2021-3121
      - nokmem.1.20 
  - name: v1.17.17-ci
    base_release: v1.17.17
    patches:
    test_failures_tolerated:
      - k8s.io/kubernetes/pkg/util/mount
    test_integration_failures_tolerated: []
patches:
  - name: CVE-2021-3121
    patch:
      - https://github.com/kubernetes/kubernetes/pull/101327.patch
      - patches/CVE-2021-3121.fix.patch # conflict resolution
    fixes: [CVE-2021-3121]
";

    fn parse(s: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(s, Path::new("releases.yml"))
    }

    #[test]
    fn parses_klts_shape() {
        let m = parse(SAMPLE).unwrap();
        assert_eq!(m.base.value, "https://github.com/kubernetes/kubernetes");
        assert_eq!(m.releases.len(), 2);
        let r = &m.releases[0];
        assert_eq!(r.name.value, "v1.17.17-lts.3");
        assert_eq!(r.name.loc, Location { line: 4, col: 11 });
        assert!(r.must);
        assert_eq!(
            r.patches
                .iter()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>(),
            ["CVE-2021-3121", "nokmem.1.20"]
        );
        assert_eq!(r.patches[0].loc.line, 9);
        let ci = &m.releases[1];
        assert!(!ci.must);
        assert!(ci.patches.is_empty());
        assert_eq!(
            ci.test_failures_tolerated,
            ["k8s.io/kubernetes/pkg/util/mount"]
        );
        let e = &m.patches[0];
        assert_eq!(e.sources.len(), 2);
        assert!(matches!(e.sources[0].value, PatchSource::Url(_)));
        assert_eq!(
            e.sources[1].value,
            PatchSource::File("patches/CVE-2021-3121.fix.patch".into())
        );
        assert_eq!(e.fixes[0].value, "CVE-2021-3121");
    }

    #[test]
    fn chain_resolves_root_first() {
        let m = parse(SAMPLE).unwrap();
        let c = m.chain("v1.17.17-lts.3").unwrap();
        assert_eq!(c.root, "v1.17.17");
        let names: Vec<_> = c.releases.iter().map(|r| r.name.value.as_str()).collect();
        assert_eq!(names, ["v1.17.17-ci", "v1.17.17-lts.3"]);
        assert_eq!(
            m.chain("nope"),
            Err(ChainError::UnknownRelease("nope".into()))
        );
    }

    #[test]
    fn tolerated_failures_are_inherited_along_the_chain() {
        let m = parse(SAMPLE).unwrap();
        let t = m.tolerated_test_failures("v1.17.17-lts.3").unwrap();
        assert_eq!(
            t.into_iter().collect::<Vec<_>>(),
            ["k8s.io/kubernetes/pkg/util/mount"]
        );
        let src = "base: x\nreleases:\n  - {name: a, base_release: v1, test_failures_tolerated: [p/one, p/two]}\n  - {name: b, base_release: a, test_failures_tolerated: [p/three, p/one]}\n  - {name: c, base_release: v1}\n";
        let m = parse(src).unwrap();
        let b: Vec<String> = m
            .tolerated_test_failures("b")
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(b, ["p/one", "p/three", "p/two"]);
        assert!(m.tolerated_test_failures("c").unwrap().is_empty());
        assert!(m.tolerated_test_failures("zz").is_err());
    }

    #[test]
    fn cycle_is_reported() {
        let src =
            "base: x\nreleases:\n  - {name: a, base_release: b}\n  - {name: b, base_release: a}\n";
        let m = parse(src).unwrap();
        assert_eq!(
            m.chain("a"),
            Err(ChainError::Cycle(vec!["a".into(), "b".into(), "a".into()]))
        );
    }

    #[test]
    fn bad_yaml_has_line_and_column() {
        let err = parse("base: x\nreleases:\n  - name: [unclosed\n").unwrap_err();
        let loc = err.location().unwrap();
        assert!(loc.line >= 3, "{err}");
        assert!(err.to_string().starts_with("releases.yml:"), "{err}");
    }

    #[test]
    fn schema_errors_point_at_the_value() {
        let err =
            parse("base: x\nreleases:\n  - name: a\n    base_release: b\n    must: yes-please\n")
                .unwrap_err();
        assert_eq!(err.location(), Some(Location { line: 5, col: 11 }));
        assert!(
            err.to_string()
                .contains("expected `true` or `false` for `must`"),
            "{err}"
        );
        let err = parse("base: x\nreleases:\n  - name: 1.20\n    base_release: b\n").unwrap_err();
        assert!(err.to_string().contains("quote it"), "{err}");
        let err = parse("releases: []\n").unwrap_err();
        assert!(err.to_string().contains("missing `base`"), "{err}");
        let err = parse("base: x\nreleases:\n  - name: a\n").unwrap_err();
        assert!(err.to_string().contains("no `base_release`"), "{err}");
    }

    #[test]
    fn duplicate_names_are_errors() {
        let err = parse("base: x\nreleases:\n  - {name: a, base_release: v1}\n  - {name: b, base_release: v1}\n  - {name: a, base_release: v2}\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(5));
        assert!(
            err.to_string().contains("defined twice (first at line 3)"),
            "{err}"
        );
        let err = parse("base: x\npatches:\n  - {name: p, patch: []}\n  - {name: p, patch: []}\n")
            .unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(4));
    }

    #[test]
    fn duplicate_keys_are_yaml_errors() {
        let err = parse("base: x\nbase: y\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(2));
    }

    #[test]
    fn unknown_keys_are_kept_with_position() {
        let m = parse("base: x\nreleases:\n  - name: a\n    base_relase: b\n    base_release: c\n")
            .unwrap();
        assert_eq!(m.unknown_keys.len(), 1);
        assert_eq!(m.unknown_keys[0].key.value, "base_relase");
        assert_eq!(m.unknown_keys[0].key.loc.line, 4);
        assert_eq!(m.unknown_keys[0].suggestion(), Some("base_release"));
        assert!(m.unknown_keys[0]
            .help()
            .contains("did you mean `base_release`"));
    }

    #[test]
    fn a_typo_of_a_required_key_is_named() {
        let err = parse("base: x\nreleases:\n  - name: a\n    base_relase: v1\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(err.location(), Some(Location { line: 4, col: 5 }), "{text}");
        assert!(text.contains("did you mean `base_release`"), "{text}");
        let err = parse("base: x\npatches:\n  - name: a\n    patches: [x]\n").unwrap_err();
        assert!(err.to_string().contains("did you mean `patch`"), "{err}");
        assert_eq!(did_you_mean("colour", keys::BUILD), None);
        assert_eq!(did_you_mean("platform", keys::BUILD), Some("platforms"));
        assert_eq!(did_you_mean("Must", keys::RELEASE), Some("must"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = String> {
            "v1\\.[0-9]{1,2}\\.[0-9]{1,2}(-ci|-lts\\.[0-9]{1,2})?"
        }

        proptest! {
            #[test]
            fn never_panics_on_arbitrary_text(s in "\\PC{0,300}") {
                let _ = parse(&s);
            }

            #[test]
            fn never_panics_on_yaml_shaped_text(s in "(base: [a-z]{0,5}\n)?(releases:\n)?(  - (name|base_release|must|patches): [a-z0-9.\\[\\], -]{0,12}\n){0,6}(patches:( \\[\\])?\n)?") {
                let _ = parse(&s);
            }

            #[test]
            fn generated_manifests_round_trip(
                releases in proptest::collection::vec((name(), name(), any::<bool>(), proptest::collection::vec("[a-z][a-z0-9-]{0,4}(\\.[a-z0-9]{1,3}){0,2}", 0..4)), 0..8),
                entries in proptest::collection::vec(("[a-z][a-z0-9-]{0,4}(\\.[a-z0-9]{1,3}){0,2}", proptest::collection::vec("patches/[a-z]{1,8}\\.patch", 1..3)), 0..5),
            ) {
                // Names are unique in a valid manifest (duplicates are an error of their own).
                let mut seen = std::collections::HashSet::new();
                let releases: Vec<_> = releases.into_iter().filter(|r| seen.insert(r.0.clone())).collect();
                let mut seen = std::collections::HashSet::new();
                let entries: Vec<_> = entries.into_iter().filter(|e| seen.insert(e.0.clone())).collect();
                let mut text = String::from("base: https://example.com/up\nreleases:\n");
                for (n, b, must, patches) in &releases {
                    text.push_str(&format!("  - name: {n}\n    base_release: {b}\n    must: {must}\n    patches:\n"));
                    for p in patches {
                        text.push_str(&format!("      - {p}\n"));
                    }
                }
                text.push_str("patches:\n");
                for (n, files) in &entries {
                    text.push_str(&format!("  - name: {n}\n    patch:\n"));
                    for f in files {
                        text.push_str(&format!("      - {f}\n"));
                    }
                }
                let m = parse(&text).unwrap();
                prop_assert_eq!(m.releases.len(), releases.len());
                for (r, (n, b, must, patches)) in m.releases.iter().zip(&releases) {
                    prop_assert_eq!(&r.name.value, n);
                    prop_assert_eq!(&r.base_release.value, b);
                    prop_assert_eq!(r.must, *must);
                    let got: Vec<&String> = r.patches.iter().map(|p| &p.value).collect();
                    prop_assert_eq!(got, patches.iter().collect::<Vec<_>>());
                }
                prop_assert_eq!(m.patches.len(), entries.len());
                // Chains either resolve or report a cycle; never loop forever or panic.
                for r in &m.releases {
                    let _ = m.chain(&r.name.value);
                }
            }
        }
    }

    #[test]
    fn patch_sources_are_classified() {
        assert!(PatchSource::parse("ftp://x/y.patch").is_err());
        assert!(PatchSource::parse("/etc/passwd").is_err());
        assert!(PatchSource::parse("../outside.patch").is_err());
        assert_eq!(
            PatchSource::parse("http://127.0.0.1:1/p.patch").unwrap(),
            PatchSource::Url("http://127.0.0.1:1/p.patch".into())
        );
    }

    /// `-ci` bases with children are stages; `-lts.N` never is, nor a childless `-ci`;
    /// `published:` overrides either way.
    #[test]
    fn stages_are_bases_that_are_not_lts_versions() {
        let m = parse(
            "base: x\nreleases:\n  - {name: v1.17.17-lts.2, base_release: v1.17.17-lts.1}\n  - {name: v1.17.17-lts.1, base_release: v1.17.17-ci}\n  - {name: v1.17.17-ci, base_release: v1.17.17}\n  - {name: v1.18.20-ci, base_release: v1.18.20}\n  - {name: build-fixes, base_release: v1.19.16}\n  - {name: v1.19.16-lts.1, base_release: build-fixes}\n  - {name: v1.20.15-ci, base_release: v1.20.15, published: true}\n  - {name: v1.20.15-lts.1, base_release: v1.20.15-ci}\n  - {name: v1.21.14-dce.1, base_release: v1.21.14, published: false}\n  - {name: v1.22.17-ci, base_release: v1.22.17, published: }\n  - {name: v1.22.17-lts.1, base_release: v1.22.17-ci}\npatches: []\n",
        )
        .unwrap();
        let stages: Vec<&str> = m
            .releases
            .iter()
            .map(|r| r.name.value.as_str())
            .filter(|n| m.is_stage(n))
            .collect();
        assert_eq!(
            stages,
            [
                "v1.17.17-ci",
                "build-fixes",
                "v1.21.14-dce.1",
                "v1.22.17-ci"
            ]
        );
        assert!(!m.is_stage("v1.17.17"), "an upstream tag is not a stage");
        assert!(m.unknown_keys.is_empty(), "lint knows `published`");
        assert_eq!(m.release("v1.20.15-ci").unwrap().published, Some(true));
        assert_eq!(m.release("v1.22.17-ci").unwrap().published, None);
        assert!(
            parse("base: x\nreleases:\n  - {name: a, base_release: b, published: yes}\n")
                .unwrap_err()
                .to_string()
                .contains("`published`")
        );
    }
}
