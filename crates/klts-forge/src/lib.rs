//! `klts-forge` is the git engine of klts. It owns everything that touches git objects,
//! downloads and the on-disk cache:
//!
//! * [`upstream`] — the bare mirror of the upstream repository in the cache directory; fetches
//!   only the tags the manifest needs.
//! * [`patches`] — turns a patch name into bytes: workspace files, `http(s)` downloads kept in a
//!   content-addressed cache and pinned in [`lock`], or — offline — the upstream's own commit or
//!   pull-request merge.
//! * [`engine`] — materializes a release **without a working tree**: each patch commit is
//!   applied to a temporary index (`git apply --cached`, with the same 3-way fallback `git am -3`
//!   uses), written as a commit with a fixed committer, and each step is cached by content.
//! * [`verify`] — materializes many releases in dependency order, in parallel, and reports
//!   conflicts without stopping at the first one.
//! * [`activity`] — when the program shipped each line's newest release (the workspace's git
//!   history), for support windows that follow the program rather than a formula.
//! * [`backport`] — tries an upstream fix on the newest release of each line in memory
//!   (`klts backport`), and writes the patch files and new releases.
//! * [`toolchain`] — which Go toolchain a materialized tree needs (the one rule for build, CI
//!   and the stdlib vulnerability statuses), read from git objects or a working tree.
//! * [`patchfmt`] — the canonical form of patch files (`klts fmt`).
//! * [`resolve`] — finishing a conflicting backport by hand in a `git am` worktree
//!   (`klts backport --resolve`, `klts refresh`).
//! * [`checkout`] — tags a release and leaves a working tree, at the failing patch in the usual
//!   `git am` state when there is a conflict.
//!
//! Layout of the cache directory (default `<workspace>/.klts`):
//!
//! ```text
//! .klts/upstream.git        bare mirror: upstream tags, refs/klts/releases/<name> after verify
//! .klts/downloads/sha256/   downloaded patch bytes by content hash
//! .klts/downloads/by-url/   URL → content hash, for unpinned URLs
//! .klts/steps/              step cache: (parent commit, patch sha256) → resulting commit
//! .klts/tmp/                per-run scratch (temporary indexes), removed after each run;
//!                           a killed run's is removed by the next one (see [`scratch`])
//! ```

pub mod activity;
pub mod backport;
pub mod checkout;
pub mod engine;
pub mod fsutil;
pub mod git;
pub mod index;
pub mod lint;
pub mod lock;
pub mod mbox;
pub mod odb;
pub mod patches;
pub mod patchfmt;
pub mod resolve;
pub mod scratch;
pub mod sync;
pub mod toolchain;
pub mod upstream;
pub mod verify;

use klts_core::{Manifest, ManifestError};
use std::path::{Path, PathBuf};

/// File name of the manifest in a workspace.
pub const MANIFEST_FILE: &str = "releases.yml";

/// An LTS workspace: the manifest, its patches and the cache directory.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace root (the directory holding `releases.yml`).
    pub root: PathBuf,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// Where klts keeps its mirror, downloads and step cache.
    pub cache_dir: PathBuf,
}

impl Workspace {
    /// Open the workspace at `root`: reads `root/releases.yml`. The cache directory is
    /// `root/.klts` unless `cache_dir` is given.
    pub fn open(root: &Path, cache_dir: Option<&Path>) -> Result<Workspace, ForgeError> {
        let manifest_path = root.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(ForgeError::NoManifest(manifest_path));
        }
        let manifest = Manifest::load(&manifest_path)?;
        let cache_dir = cache_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join(".klts"));
        Ok(Workspace {
            root: root.to_path_buf(),
            manifest,
            cache_dir,
        })
    }

    /// Which product this workspace maintains, and why (the rule is
    /// [`klts_core::product::resolve`]). The upstream `go.mod` is read only when nothing else
    /// decides, and only from an existing mirror (no fetch): the newest root tag's.
    ///
    /// A `lifecycle.yml` that cannot be read, or a mirror that cannot be read, is an error,
    /// not a guess.
    pub fn product(&self) -> Result<klts_core::product::ProductChoice, ForgeError> {
        use klts_core::product::{resolve, ProductHints};
        let lifecycle_path = self.root.join(klts_core::lifecycle::LIFECYCLE_FILE);
        let lifecycle = if lifecycle_path.is_file() {
            klts_core::lifecycle::load_lifecycle_file(&lifecycle_path)
                .map_err(|e| ForgeError::Other(e.to_string()))?
                .product
        } else {
            None
        };
        let mut hints = ProductHints {
            manifest: self
                .manifest
                .product
                .as_ref()
                .map(|p| (p.value, p.loc.line)),
            lifecycle: lifecycle.as_deref(),
            base: Some(self.manifest.base.value.as_str()),
            go_module: None,
        };
        let decided = resolve(hints);
        if decided.product != klts_core::Product::Generic || hints.lifecycle.is_some() {
            return Ok(decided);
        }
        let go_mod = self.upstream_go_mod()?;
        hints.go_module = go_mod
            .as_deref()
            .and_then(klts_core::product::go_mod_module);
        Ok(resolve(hints))
    }

    /// The `build:` section with every key the manifest does not write taken from this
    /// workspace's product ([`Workspace::product`]; see [`klts_core::build`] for the
    /// defaults). The one accessor for build, test, package, image and CI: the parsed
    /// [`Manifest::build`] alone holds Kubernetes' defaults.
    pub fn build_config(&self) -> Result<klts_core::build::BuildConfig, ForgeError> {
        let product = self.product()?.product;
        Ok(self.manifest.build.clone().with_product_defaults(product))
    }

    /// The `go.mod` text of the newest root tag in the mirror; `None` without a mirror, a
    /// tag or a `go.mod`.
    fn upstream_go_mod(&self) -> Result<Option<String>, ForgeError> {
        let mirror = upstream::Mirror::of(self);
        if !mirror.exists() {
            return Ok(None);
        }
        let newest = upstream::needed_roots(self)
            .into_iter()
            .filter(|t| klts_core::names::check(klts_core::names::NameKind::UpstreamRef, t).is_ok())
            .max_by(
                |a, b| match (klts_core::Version::parse(a), klts_core::Version::parse(b)) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Less,
                    (Err(_), Err(_)) => a.cmp(b),
                },
            );
        let Some(tag) = newest else {
            return Ok(None);
        };
        let mut odb = odb::Odb::open(&self.mirror_dir())?;
        Ok(odb
            .read(&format!("refs/tags/{tag}:go.mod"))?
            .filter(|(kind, body)| kind == "blob" && body.len() <= 1 << 20)
            .map(|(_, body)| String::from_utf8_lossy(&body).into_owned()))
    }

    /// The bare mirror of the upstream.
    pub fn mirror_dir(&self) -> PathBuf {
        self.cache_dir.join("upstream.git")
    }

    /// The lock file path.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(lock::LOCK_FILE)
    }

    /// The upstream location as git understands it: a URL, or an absolute local path (a
    /// relative `base:` path is relative to the workspace root).
    pub fn upstream_location(&self) -> String {
        let base = self.manifest.base.value.trim();
        if base.contains("://") || base.starts_with("git@") {
            return base.to_string();
        }
        let p = Path::new(base);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        };
        abs.to_string_lossy().into_owned()
    }
}

/// Errors of the git engine. Per-release problems (a conflict, a missing patch) are reported
/// in [`verify::ReleaseReport`]s instead, so that one bad release does not hide the others.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// No `releases.yml` where the workspace should be.
    #[error("{}: no manifest here\n  help: run klts in an LTS workspace or pass --workspace DIR", .0.display())]
    NoManifest(PathBuf),
    /// The manifest could not be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The lock file could not be read or written.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] git::GitError),
    /// A patch could not be obtained.
    #[error(transparent)]
    Patch(#[from] patches::PatchError),
    /// The upstream could not be read.
    #[error("upstream {location}: {message}")]
    Upstream {
        /// The `base:` location.
        location: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A release name the manifest does not have.
    #[error("unknown release `{name}`{hint}\n  help: `klts releases` lists them")]
    UnknownRelease {
        /// The name asked for.
        name: String,
        /// ", did you mean …?" or empty.
        hint: String,
    },
    /// A patch file is not an mbox of format-patch commits.
    #[error("corrupt patch {source_name} (patch `{patch}`): {reason}\n  help: regenerate it with `git format-patch --stdout`")]
    CorruptPatch {
        /// Patch name.
        patch: String,
        /// Where the bytes came from.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// Cache or worktree I/O.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Any other condition with a message that says what to do.
    #[error("{0}")]
    Other(String),
}

/// Every engine error means the command could not run (exit 2): a release that does not apply
/// is not an error but a report ([`verify::ReleaseReport`]), whose failures the commands turn
/// into exit 1 themselves.
impl klts_core::HasExitClass for ForgeError {
    fn exit_class(&self) -> klts_core::ExitClass {
        klts_core::ExitClass::Usage
    }
}

impl ForgeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ForgeError {
        ForgeError::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`ForgeError::UnknownRelease`] with a close match from the manifest, if any.
    pub fn unknown_release(manifest: &Manifest, name: &str) -> ForgeError {
        let hint = manifest
            .releases
            .iter()
            .map(|r| r.name.value.as_str())
            .find(|candidate| {
                candidate.trim_start_matches('v') == name.trim_start_matches('v')
                    || candidate.starts_with(name)
                    || name.starts_with(candidate)
            })
            .map(|c| format!(", did you mean `{c}`?"))
            .unwrap_or_default();
        ForgeError::UnknownRelease {
            // Typed by a user or taken from elsewhere: never printed raw.
            name: klts_core::names::printable(name, 128),
            hint,
        }
    }
}
