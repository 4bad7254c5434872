//! The portal's data: everything the pages and the JSON API show, computed once per build
//! from the workspace (when there is one), the advisory database and the lifecycle calendar.
//!
//! A broken workspace file does not stop the build: the error is recorded in
//! [`SiteData::errors`] with the page scope it affects, and the rest is built from what could
//! be read (without a manifest, from the embedded lifecycle and advisory data alone).
//!
//! **Published releases only.** A stage ([`klts_core::Manifest::is_stage`]: `v1.17.17-ci`, the
//! base of the line's `-lts.N` releases) is not a release users get: it is kept apart in
//! [`SiteData::stages`], so every count, list, line, matrix column and advisory status is of
//! published releases, and "changes since" compares with the line's previous published release.
//! Its patches show inside its children (their chain carries them); its page stays reachable
//! from their chains, unlisted, and says which releases it is a stage of.
//!
//! **What the public sees.** Pages and the API are public: they never carry the build
//! machine's paths. A release that did not materialize says "not yet verified"; why (with
//! paths) is in [`SiteData::operator_problems`], which the CLI prints and nothing renders.
//! Workspace file errors name files relative to the workspace.

use klts_core::diag::Diagnostic;
use klts_core::lifecycle::{statuses, Calendar, Date, LineStatus, Policy, LIFECYCLE_FILE};
use klts_core::{MinorLine, Version};
use klts_forge::verify::VerifyOptions;
use klts_forge::Workspace;
use klts_vuln::db::Database;
use klts_vuln::facts::{workspace_facts, WorkspaceFacts};
use klts_vuln::model::Severity;
use klts_vuln::report::{matrix, AdvisorySummary, Matrix, MatrixFilter};
use klts_vuln::status::{status, ReleaseFacts, StatusKind};
use klts_vuln::triage::{Triage, TRIAGE_FILE};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where users get packages and images; shown in install instructions.
#[derive(Clone, Debug, Serialize)]
pub struct SiteConfig {
    /// Base URL of the apt and yum repositories (`<url>/apt`, `<url>/yum`).
    pub package_url: String,
    /// Container image repository for `kubeadm --image-repository`.
    pub image_repository: String,
    /// The day the portal describes (today unless asked otherwise).
    pub date: Date,
    /// Lifecycle policy overrides (years of LTS after community end of life).
    pub lts_years: Option<u32>,
    /// Never touch the network while building (the server always builds offline).
    pub offline: bool,
}

impl SiteConfig {
    /// The portal of `date` with klts.io's addresses, offline. The day is the caller's: the
    /// CLI passes its run's day (or `--date`), so that no library code reads the clock.
    pub fn on(date: Date) -> SiteConfig {
        SiteConfig {
            package_url: "https://packages.klts.io".into(),
            image_repository: "ghcr.io/klts-io/kubernetes-lts".into(),
            date,
            lts_years: None,
            offline: true,
        }
    }
}

klts_core::diagnostic_codes! {
    /// What went wrong reading a workspace for the portal: the codes of [`SiteError`].
    pub enum SiteCode {
        /// `releases.yml` cannot be read or parsed.
        ManifestUnreadable => "manifest-unreadable",
        /// `triage.yml` cannot be read or parsed.
        TriageUnreadable => "triage-unreadable",
        /// `lifecycle.yml` cannot be read or parsed.
        LifecycleUnreadable => "lifecycle-unreadable",
        /// The releases could not be materialized (no mirror yet, an unreachable upstream):
        /// the pages are built from the manifest alone.
        NotVerified => "not-verified",
        /// A release did not materialize: a conflict, a missing tag.
        NotMaterialized => "not-materialized",
    }
}

/// A problem reading a workspace file, in the one diagnostic shape, with the pages it affects.
/// Serialized flat: `{scope, severity, code, message, file, location, help}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteError {
    /// Which pages it affects: `releases` (manifest, verify), `advisories` (triage), `lifecycle`.
    pub scope: String,
    /// The finding: the file (relative to the workspace once public), the code, the message.
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

impl SiteError {
    /// An error about `file`, shown on the pages of `scope`.
    pub fn new(
        scope: &str,
        code: SiteCode,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> SiteError {
        SiteError {
            scope: scope.to_string(),
            diagnostic: Diagnostic::new(
                klts_core::diag::Severity::Error,
                code,
                file,
                None,
                message,
            ),
        }
    }
}

/// A minor line.
#[derive(Clone, Debug, Serialize)]
pub struct LineView {
    /// `1.17`.
    pub line: String,
    /// Lifecycle status on [`SiteConfig::date`].
    pub status: LineStatus,
    /// LTS releases of this line in the workspace, newest first.
    pub releases: Vec<String>,
    /// The newest LTS release, else the newest upstream patch.
    pub newest: Option<String>,
    /// Open advisories of the newest LTS release (ids), when there is one.
    pub open_advisories: Vec<String>,
}

/// A patch of a release, for display.
#[derive(Clone, Debug, Serialize)]
pub struct PatchView {
    /// Patch name.
    pub name: String,
    /// The release of the chain that carries it.
    pub release: String,
    /// Sources: URLs (linked) or workspace paths.
    pub sources: Vec<String>,
}

/// An advisory reference with its status in a release.
#[derive(Clone, Debug, Serialize)]
pub struct AdvisoryRef {
    /// Advisory id.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// CVSS base score.
    pub score: Option<f64>,
    /// Status in the release.
    pub status: StatusKind,
    /// Evidence, one line each.
    pub evidence: Vec<String>,
}

/// How to install a release.
#[derive(Clone, Debug, Serialize)]
pub struct InstallView {
    /// The Debian/Ubuntu package version (`1.17.17+lts.3`: sorts after 1.17.17 and before 1.17.18).
    pub package_version: String,
    /// Lines for apt.
    pub apt: Vec<String>,
    /// A yum/dnf repository file and command.
    pub yum: Vec<String>,
    /// Pulling the control-plane images with kubeadm.
    pub kubeadm: Vec<String>,
}

/// A release page.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseView {
    /// Release name.
    pub name: String,
    /// Minor line.
    pub line: Option<String>,
    /// The upstream tag the chain starts from.
    pub base_tag: String,
    /// The chain, root first.
    pub chain: Vec<String>,
    /// `must`.
    pub must: bool,
    /// Patches of the whole chain, root first.
    pub patches: Vec<PatchView>,
    /// Advisories fixed (upstream, by patch, by dependency) that affected the upstream line.
    pub fixed: Vec<AdvisoryRef>,
    /// Advisories still open (affected). Unknown statuses (facts missing) are on the matrix and advisory pages.
    pub open: Vec<AdvisoryRef>,
    /// Advisories ignored by triage.
    pub ignored: Vec<AdvisoryRef>,
    /// The previous release of the same line, if any.
    pub previous: Option<String>,
    /// Patches added since the previous release of the line.
    pub added_patches: Vec<String>,
    /// Patches dropped since the previous release of the line.
    pub removed_patches: Vec<String>,
    /// Whether the release materialized (klts verify); `false` reads "not yet verified".
    pub materialized: bool,
    /// For a stage: the published releases whose chains carry it (empty for a release).
    pub stage_of: Vec<String>,
    /// The release commit, when materialized.
    pub commit: Option<String>,
    /// Install instructions.
    pub install: InstallView,
}

/// An advisory page.
#[derive(Clone, Debug, Serialize)]
pub struct AdvisoryView {
    /// Facts.
    pub advisory: AdvisorySummary,
    /// Summary from a synced feed (never from the embedded snapshot).
    pub summary: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// Affected ranges, one line per package.
    pub ranges: Vec<String>,
    /// Upstream versions that fix it: the first fixed patch release of each line by the
    /// status judgement, and upstream tags whose tree carries the fix (dependencies).
    pub fixed_upstream_in: Vec<String>,
    /// One row per line it concerns, newest first (the Debian-tracker view).
    pub by_line: Vec<LineRow>,
    /// LTS releases that fix it by a patch or dependency.
    pub fixed_by_lts_in: Vec<String>,
    /// Releases still affected.
    pub open_in: Vec<String>,
    /// Status in each release.
    pub statuses: Vec<(String, StatusKind)>,
}

/// An advisory on one line: what upstream did, and the line's newest published LTS release
/// with its status.
#[derive(Clone, Debug, Serialize)]
pub struct LineRow {
    /// `1.17`.
    pub line: String,
    /// Upstream's judgement on the line (`None`: it needs a source tree, e.g. a Go module
    /// advisory).
    pub upstream: Option<klts_vuln::report::LineFix>,
    /// The newest published LTS release of the line and its status.
    pub lts: Option<(String, StatusKind)>,
}

/// Everything the portal shows.
#[derive(Clone, Debug, Serialize)]
pub struct SiteData {
    /// The day described.
    pub date: Date,
    /// The product (`kubernetes`), as the calendar names it.
    pub product: String,
    /// The product the workspace maintains.
    #[serde(skip)]
    pub product_kind: klts_core::Product,
    /// Whether a workspace was read.
    pub workspace: bool,
    /// Minor lines, newest first.
    pub lines: Vec<LineView>,
    /// Published releases, in manifest order.
    pub releases: Vec<ReleaseView>,
    /// Stages (bases that are not published releases), in manifest order; unlisted.
    pub stages: Vec<ReleaseView>,
    /// Advisories, by severity.
    pub advisories: Vec<AdvisoryView>,
    /// Releases × advisories (advisories that concern some release).
    pub matrix: Matrix,
    /// Problems reading workspace files (public: paths relative to the workspace).
    pub errors: Vec<SiteError>,
    /// Problems for the operator only (releases that did not materialize, and why, with the
    /// build machine's paths): printed by the CLI, never rendered or served.
    #[serde(skip)]
    pub operator_problems: Vec<SiteError>,
    /// Installation settings.
    pub config: SiteConfig,
    /// The newest date in the advisory data.
    pub advisories_as_of: String,
    /// The day of [`SiteData::advisories_as_of`] (`2024-08-16`), for pages to show in their
    /// language; empty when unknown.
    pub advisories_newest_day: String,
    /// The newest Go database entry of [`SiteData::advisories_as_of`], when there is one.
    pub advisories_newest_id: Option<String>,
    /// The advisory database (for `/api/v1/status/<version>` on any version).
    #[serde(skip)]
    pub db: std::sync::Arc<Database>,
    /// Facts of the workspace releases.
    #[serde(skip)]
    pub facts: Vec<ReleaseFacts>,
    /// Triage decisions.
    #[serde(skip)]
    pub triage: Triage,
    /// Where this product's pages live: `""` for the root site, `/containerd` for a product of
    /// a program under its prefix ([`crate::program`]); its API lives under `/api/v1<base>/`.
    /// Always `""` or `/` and a product name (no character needs escaping).
    #[serde(skip)]
    pub base: String,
    /// The products of the program this site is part of (empty for a site alone).
    #[serde(skip)]
    pub products: Vec<ProductLink>,
}

/// One product of a program, as the home page and `/api/v1/index.json` list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProductLink {
    /// `containerd` (the URL prefix).
    pub name: String,
    /// `containerd`, `Kubernetes`.
    pub display_name: String,
    /// Its home page (`/containerd/`).
    pub href: String,
    /// Its API index (`/api/v1/containerd/index.json`).
    pub api: String,
}

impl SiteData {
    /// A published release by name.
    pub fn release(&self, name: &str) -> Option<&ReleaseView> {
        self.releases.iter().find(|r| r.name == name)
    }
    /// A published release or a stage by name (for pages reachable from chains).
    pub fn release_or_stage(&self, name: &str) -> Option<&ReleaseView> {
        self.release(name)
            .or_else(|| self.stages.iter().find(|r| r.name == name))
    }
    /// An advisory by id or alias (case-insensitive).
    pub fn advisory(&self, id: &str) -> Option<&AdvisoryView> {
        self.advisories.iter().find(|a| {
            a.advisory.id.eq_ignore_ascii_case(id)
                || a.advisory
                    .aliases
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(id))
        })
    }
    /// A line by `1.17`.
    pub fn line(&self, line: &str) -> Option<&LineView> {
        self.lines.iter().find(|l| l.line == line)
    }
    /// What a cluster at `version` is exposed to: the `klts vulns check` answer, in its shape
    /// ([`klts_vuln::report::CheckAnswer`]), by the same rule for choosing the facts. `Err`
    /// with 400 when the version does not parse, 404 for an LTS release the workspace lacks.
    pub fn version_status(&self, version: &str) -> Result<serde_json::Value, (u16, String)> {
        let v = Version::parse(version).map_err(|e| (400, e.to_string()))?;
        // A release the portal lists is defined, even when its facts are not gathered.
        let listed = self
            .releases
            .iter()
            .chain(&self.stages)
            .any(|r| r.name == version || Version::parse(&r.name).ok().as_ref() == Some(&v));
        let workspace = self.workspace && !listed;
        let facts = klts_vuln::report::select_facts(&v, version, &self.facts, workspace)
            .map_err(|e| (404, e.to_string()))?
            .cloned()
            .unwrap_or_else(|| klts_vuln::facts::bare_version_facts(&v, self.product_kind));
        let exposures =
            klts_vuln::report::check(&self.db, &facts, &self.facts, &self.triage, false);
        let answer = klts_vuln::report::CheckAnswer {
            version: facts.name.clone(),
            upstream: facts.upstream.as_ref().map(|u| u.to_string()),
            facts: if facts.tree.is_some() || !facts.git.is_empty() {
                "mirror"
            } else if self.facts.iter().any(|r| r.name == facts.name) {
                "manifest"
            } else {
                "version"
            },
            lts_release: listed || self.facts.iter().any(|r| r.name == facts.name),
            exposures,
        };
        serde_json::to_value(&answer).map_err(|e| (500, e.to_string()))
    }

    /// Errors affecting `scope`.
    pub fn errors_for(&self, scope: &str) -> Vec<&SiteError> {
        self.errors.iter().filter(|e| e.scope == scope).collect()
    }
}

/// The package version of a release: `v1.17.17-lts.3` → `1.17.17+lts.3`.
pub fn package_version(release: &str) -> String {
    package_versions(release).0
}

/// The Debian version and the rpm `Version` of `release`'s packages as `klts package` writes
/// them (packaging revision 1), e.g. `1.17.17+lts.3-1` and `1.17.17+lts.3`. Names that are not
/// package versions (`-ci`, not a version) fall back to the name without its `v`.
fn package_versions(release: &str) -> (String, String) {
    klts_core::version::Version::parse(release)
        .ok()
        .and_then(|v| klts_dist::pkgversion::package_version(&v, 1).ok())
        .map(|pv| (pv.deb(), pv.rpm_version().to_string()))
        .unwrap_or_else(|| {
            let r = release.trim_start_matches('v').to_string();
            (r.clone(), r)
        })
}

fn install(
    release: &str,
    line: Option<&str>,
    config: &SiteConfig,
    product: klts_core::Product,
) -> InstallView {
    // The packages are the product's (the table `klts package` builds from): kubeadm, kubelet
    // and kubectl for Kubernetes, `containerd`, `runc`; a generic project has none.
    let version = Version::parse(release).unwrap_or_else(|_| Version::new(0, 0, 0));
    let names: Vec<&str> = klts_dist::package::packages(product, &version)
        .iter()
        .map(|p| p.name)
        .collect();
    if names.is_empty() {
        return InstallView {
            package_version: package_versions(release).0,
            apt: Vec::new(),
            yum: Vec::new(),
            kubeadm: Vec::new(),
        };
    }
    // The layout `klts publish apt|yum --out REPO/apt|REPO/yum` writes: one suite per release
    // and one per minor line (`v1.17`).
    let (pv, rpm_version) = package_versions(release);
    let url = config.package_url.trim_end_matches('/');
    let line = line
        .map(|l| format!("v{l}"))
        .unwrap_or_else(|| release.to_string());
    // The sources line and the .repo section come from the code that publishes the
    // repositories (klts-dist), so the page can never name another repo id or key URL.
    const KEYRING: &str = "/etc/apt/keyrings/klts.gpg";
    let apt_url = format!("{url}/apt");
    let yum_url = format!("{url}/yum");
    let mut yum = vec!["cat <<EOF | sudo tee /etc/yum.repos.d/klts.repo".to_string()];
    yum.extend(
        klts_dist::yum::repo_file(&yum_url, release)
            .lines()
            .map(str::to_string),
    );
    yum.push("EOF".into());
    yum.push(format!(
        "sudo yum install -y {}",
        names
            .iter()
            .map(|n| format!("{n}-{rpm_version}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    yum.push(format!(
        "# or follow the line: {}",
        klts_dist::yum::repo_file(&yum_url, &line)
            .lines()
            .find(|l| l.starts_with("baseurl="))
            .unwrap_or_default()
    ));
    InstallView {
        package_version: pv.clone(),
        apt: vec![
            format!("sudo curl -fsSLo {KEYRING} {apt_url}/klts.gpg"),
            format!(
                "echo '{}' | sudo tee /etc/apt/sources.list.d/klts.list",
                klts_dist::apt::sources_line(&apt_url, release, KEYRING)
            ),
            "sudo apt-get update".into(),
            format!(
                "sudo apt-get install -y {}",
                names
                    .iter()
                    .map(|n| format!("{n}={pv}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            format!(
                "# or follow the line: {}",
                klts_dist::apt::sources_line(&apt_url, &line, KEYRING)
            ),
        ],
        yum,
        kubeadm: if product == klts_core::Product::Kubernetes {
            vec![format!(
                "kubeadm config images pull --image-repository {} --kubernetes-version {release}",
                config.image_repository
            )]
        } else {
            Vec::new()
        },
    }
}

/// Build the portal data. `workspace` is a directory that may hold `releases.yml`; without
/// one (or when it cannot be read) the portal shows the embedded lifecycle and advisories.
pub fn build(
    workspace: Option<&Path>,
    cache_dir: Option<&Path>,
    db: std::sync::Arc<Database>,
    config: &SiteConfig,
) -> SiteData {
    build_with(workspace, cache_dir, &db, config)
}

/// The product a workspace maintains ([`Workspace::product`]); Kubernetes when there is no
/// workspace. A workspace that cannot be opened shows its error on the pages; its product is
/// then decided from what can still be read, never silently from a broken file.
pub fn workspace_product(
    workspace: Option<&Path>,
    cache_dir: Option<&Path>,
) -> klts_core::product::ProductChoice {
    use klts_core::product::ProductChoice;
    let fallback = |source: &str| ProductChoice {
        product: klts_core::Product::Kubernetes,
        source: source.to_owned(),
        basis: klts_core::product::ProductBasis::Caller,
    };
    let Some(dir) = workspace.filter(|d| d.join(klts_forge::MANIFEST_FILE).is_file()) else {
        return fallback("no workspace: the built-in Kubernetes data");
    };
    match Workspace::open(dir, cache_dir).map(|w| w.product()) {
        Ok(Ok(choice)) => choice,
        Ok(Err(e)) | Err(e) => {
            tracing::warn!("the workspace's product cannot be decided ({e}); showing Kubernetes");
            fallback("the workspace could not be read")
        }
    }
}

fn build_with(
    workspace: Option<&Path>,
    cache_dir: Option<&Path>,
    all_advisories: &Database,
    config: &SiteConfig,
) -> SiteData {
    let mut errors = Vec::new();
    let mut operator_problems = Vec::new();
    let mut ws: Option<Workspace> = None;
    let mut facts: Option<WorkspaceFacts> = None;
    let mut triage = Triage::default();
    if let Some(dir) = workspace {
        let manifest = dir.join(klts_forge::MANIFEST_FILE);
        if manifest.is_file() {
            match Workspace::open(dir, cache_dir) {
                Ok(w) => ws = Some(w),
                Err(e) => errors.push(SiteError::new(
                    "releases",
                    SiteCode::ManifestUnreadable,
                    &manifest,
                    e.to_string(),
                )),
            }
        }
        let triage_path = dir.join(TRIAGE_FILE);
        match Triage::load(&triage_path) {
            Ok(t) => triage = t,
            Err(e) => errors.push(SiteError::new(
                "advisories",
                SiteCode::TriageUnreadable,
                &triage_path,
                e.to_string(),
            )),
        }
    }
    if let Some(w) = &ws {
        let options = VerifyOptions {
            jobs: 2,
            offline: config.offline,
            use_cache: true,
        };
        match workspace_facts(w, &options).and_then(|mut f| {
            klts_vuln::facts::attach_git_evidence(w, all_advisories, &mut f).map(|()| f)
        }) {
            Ok(f) => {
                // The release pages say "not yet verified"; the why is the operator's.
                for r in f.verify.releases.iter().filter(|r| r.commit.is_none()) {
                    operator_problems.push(SiteError::new(
                        "releases",
                        SiteCode::NotMaterialized,
                        &w.manifest.path,
                        format!(
                            "{} did not materialize ({}): {}",
                            r.release,
                            klts_forge::verify::status_word(r.status),
                            r.error
                                .clone()
                                .or_else(|| r
                                    .conflict
                                    .as_ref()
                                    .map(|c| format!("patch `{}` does not apply", c.patch)))
                                .unwrap_or_default()
                        ),
                    ));
                }
                facts = Some(f);
            }
            Err(e) => {
                // No facts from the mirror (none yet, or unreachable): the release pages say
                // "not yet verified"; the why, with the machine's paths, is the operator's.
                operator_problems.push(SiteError::new(
                    "releases",
                    SiteCode::NotVerified,
                    &w.manifest.path,
                    e.to_string(),
                ));
                // Still show every release the manifest defines, from the manifest alone
                // (the same facts `klts vulns` falls back to), rather than none.
                match klts_vuln::facts::manifest_workspace_facts(w) {
                    Ok(f) => facts = Some(f),
                    Err(e) => errors.push(SiteError::new(
                        "releases",
                        SiteCode::ManifestUnreadable,
                        &w.manifest.path,
                        e.to_string(),
                    )),
                }
            }
        }
    }
    // The product, decided once the mirror had its chance (its go.mod is the last resort):
    // the facts say it, else the workspace, else Kubernetes.
    let product = match &facts {
        Some(f) => f.product.clone(),
        None => workspace_product(workspace, cache_dir),
    };
    // Another product's advisories are not listed at all (klts_vuln::status::applies_to).
    let shared = std::sync::Arc::new(all_advisories.clone().for_product(product.product));
    let db: &Database = &shared;
    let mut calendar = Calendar::builtin_for(product.product).clone();
    let mut policy = match &ws {
        Some(w) => Policy::from_manifest(&w.manifest),
        None => Policy::default(),
    }
    .for_product(product.product);
    if let Some(y) = config.lts_years {
        policy.lts_years = y;
    }
    if let Some(dir) = workspace {
        let lifecycle_path = dir.join(LIFECYCLE_FILE);
        // The workspace is open already: its manifest is not parsed again.
        let loaded = match &ws {
            Some(w) => {
                klts_forge::activity::lifecycle_of(w, config.lts_years, Some(product.product))
            }
            None => klts_forge::activity::workspace_lifecycle(
                Some(dir),
                config.lts_years,
                Some(product.product),
            ),
        };
        match loaded {
            Ok((c, p)) => {
                calendar = c;
                policy = p;
            }
            Err(e) if e.starts_with(&lifecycle_path.display().to_string()) => {
                errors.push(SiteError::new(
                    "lifecycle",
                    SiteCode::LifecycleUnreadable,
                    &lifecycle_path,
                    e,
                ))
            }
            // A broken manifest is reported once, with the releases.
            Err(_) => {}
        }
    }
    let all_facts = facts
        .as_ref()
        .map(|f| f.releases.clone())
        .unwrap_or_default();
    // Advisory statuses and matrix columns are of published releases only (the rule the
    // CLI's matrix uses too).
    let release_facts: Vec<ReleaseFacts> = match &ws {
        Some(w) => klts_vuln::facts::published(&w.manifest, &all_facts),
        None => all_facts.clone(),
    };

    // Releases and stages.
    let mut releases = Vec::new();
    let mut stages = Vec::new();
    if let (Some(w), Some(f)) = (&ws, &facts) {
        for rf in &f.releases {
            let Some(r) = w.manifest.release(&rf.name) else {
                continue;
            };
            let report = f.verify.releases.iter().find(|x| x.release == rf.name);
            let chain = w.manifest.chain(&rf.name).ok();
            let mut chain_names: Vec<String> = chain
                .as_ref()
                .map(|c| vec![c.root.clone()])
                .unwrap_or_default();
            chain_names.extend(
                chain
                    .iter()
                    .flat_map(|c| c.releases.iter().map(|x| x.name.value.clone())),
            );
            let patches: Vec<PatchView> = rf
                .patches
                .iter()
                .map(|p| PatchView {
                    name: p.name.clone(),
                    release: p.release.clone(),
                    sources: match w.manifest.resolve_patch(&p.name) {
                        klts_core::manifest::PatchResolution::Catalog(e) => {
                            e.sources.iter().map(|s| s.value.to_string()).collect()
                        }
                        klts_core::manifest::PatchResolution::Convention(path) => {
                            vec![path.display().to_string()]
                        }
                        klts_core::manifest::PatchResolution::Missing { looked_for } => {
                            vec![format!("missing: {}", looked_for.display())]
                        }
                    },
                })
                .collect();
            let (mut fixed, mut open, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
            for adv in db.sorted_by_severity() {
                let st = status(adv, rf, &triage);
                let aref = AdvisoryRef {
                    id: adv.id.clone(),
                    severity: adv.severity(),
                    score: adv.score(),
                    status: st.status,
                    evidence: st.evidence.iter().map(|e| e.to_string()).collect(),
                };
                match st.status {
                    StatusKind::FixedByPatch | StatusKind::FixedByDependency => fixed.push(aref),
                    StatusKind::Affected => open.push(aref),
                    StatusKind::Ignored => ignored.push(aref),
                    _ => {}
                }
            }
            let line = Version::parse(&rf.name).ok().map(|v| v.line().to_string());
            let stage = w.manifest.is_stage(&rf.name);
            let list = if stage { &mut stages } else { &mut releases };
            list.push(ReleaseView {
                name: rf.name.clone(),
                line: line.clone(),
                base_tag: chain.as_ref().map(|c| c.root.clone()).unwrap_or_default(),
                chain: chain_names,
                must: r.must,
                patches,
                fixed,
                open,
                ignored,
                previous: None,
                added_patches: Vec::new(),
                removed_patches: Vec::new(),
                materialized: report.is_some_and(|x| x.commit.is_some()),
                stage_of: Vec::new(),
                commit: report.and_then(|x| x.commit.clone()),
                install: install(&rf.name, line.as_deref(), config, product.product),
            });
        }
        // Which published releases carry each stage.
        for s in &mut stages {
            s.stage_of = releases
                .iter()
                .filter(|r| r.chain.contains(&s.name))
                .map(|r| r.name.clone())
                .collect();
        }
        // Previous published release of the line (by LTS ordering) and the patch changes since
        // it: stages are not in `releases`, so lts.3 is compared with lts.2, not its `-ci` base.
        let versions: Vec<(Version, usize)> = releases
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Version::parse(&r.name).ok().map(|v| (v, i)))
            .collect();
        for (v, i) in &versions {
            let prev = versions
                .iter()
                .filter(|(o, _)| o.line() == v.line() && o < v)
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, j)| *j);
            if let Some(j) = prev {
                let before: BTreeSet<String> =
                    releases[j].patches.iter().map(|p| p.name.clone()).collect();
                let after: BTreeSet<String> = releases[*i]
                    .patches
                    .iter()
                    .map(|p| p.name.clone())
                    .collect();
                let name = releases[j].name.clone();
                let r = &mut releases[*i];
                r.previous = Some(name);
                r.added_patches = after.difference(&before).cloned().collect();
                r.removed_patches = before.difference(&after).cloned().collect();
            }
        }
    }

    // Lines.
    let line_statuses = statuses(&calendar, &policy, config.date);
    let mut by_line: BTreeMap<MinorLine, Vec<&ReleaseView>> = BTreeMap::new();
    for r in &releases {
        if let Some(l) = r.line.as_deref().and_then(|l| l.parse::<MinorLine>().ok()) {
            by_line.entry(l).or_default().push(r);
        }
    }
    let lines = line_statuses
        .iter()
        .map(|st| {
            let mut rels: Vec<&ReleaseView> = by_line.get(&st.line).cloned().unwrap_or_default();
            rels.sort_by(|a, b| {
                Version::parse(&b.name)
                    .ok()
                    .cmp(&Version::parse(&a.name).ok())
            });
            let newest_release = rels.iter().find(|r| r.must).or(rels.first());
            LineView {
                line: st.line.to_string(),
                status: st.clone(),
                releases: rels.iter().map(|r| r.name.clone()).collect(),
                newest: newest_release.map(|r| r.name.clone()).or_else(|| {
                    st.latest_patch
                        .as_ref()
                        .map(|p| format!("v{}", p.trim_start_matches('v')))
                }),
                open_advisories: newest_release
                    .map(|r| r.open.iter().map(|a| a.id.clone()).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();

    // Advisories.
    let advisories = db
        .sorted_by_severity()
        .into_iter()
        .map(|adv| {
            // Per line, by the judgement (not by every `fixed` event of every record): what
            // upstream did, and the line's newest published LTS release.
            let mut fixed_upstream: BTreeSet<Version> = BTreeSet::new();
            let mut lines_of_interest: BTreeSet<MinorLine> =
                release_facts.iter().filter_map(|rf| rf.line()).collect();
            // Lines someone runs with support: supported by upstream or the program now, or
            // shipped by it (a line that ended years before the program is history).
            lines_of_interest.extend(
                line_statuses
                    .iter()
                    .filter(|st| st.in_program || st.phase != klts_core::lifecycle::Phase::Eol)
                    .map(|st| st.line),
            );
            let mut by_line = Vec::new();
            for line in lines_of_interest.iter().rev() {
                let upstream =
                    klts_vuln::report::upstream_on_line(adv, *line, product.product, &triage);
                let newest = release_facts
                    .iter()
                    .filter(|rf| rf.line() == Some(*line))
                    .filter_map(|rf| Version::parse(&rf.name).ok().map(|v| (v, rf)))
                    .max_by(|a, b| a.0.cmp(&b.0))
                    .map(|(_, rf)| rf);
                let lts = newest.map(|rf| (rf.name.clone(), status(adv, rf, &triage).status));
                if let Some(klts_vuln::report::LineFix::FixedIn(v)) = &upstream {
                    if let Ok(v) = Version::parse(v) {
                        fixed_upstream.insert(v);
                    }
                }
                // A line that was never affected (or shipped with the fix already in) and
                // whose LTS release, if any, is not exposed either is noise: left out, so the
                // table shows the lines where something happened.
                let quiet = matches!(
                    upstream,
                    None | Some(
                        klts_vuln::report::LineFix::NotAffected
                            | klts_vuln::report::LineFix::ReleasedFixed(_)
                    )
                ) && lts.as_ref().is_none_or(|(_, st)| {
                    matches!(st, StatusKind::NotAffected | StatusKind::FixedUpstream)
                });
                if !quiet {
                    by_line.push(LineRow {
                        line: line.to_string(),
                        upstream,
                        lts,
                    });
                }
            }
            let statuses: Vec<(String, StatusKind)> = release_facts
                .iter()
                .map(|rf| (rf.name.clone(), status(adv, rf, &triage).status))
                .collect();
            // Upstream tags whose own tree carries the fix (dependency advisories have no
            // `fixed` event in Kubernetes versions).
            for (rf, (_, st)) in release_facts.iter().zip(&statuses) {
                if *st == StatusKind::FixedUpstream {
                    if let Some(up) = &rf.upstream {
                        fixed_upstream.insert(up.clone());
                    }
                }
            }
            let report = klts_vuln::report::show(adv, &[], &triage);
            AdvisoryView {
                advisory: AdvisorySummary::of(adv),
                summary: adv.summary.clone(),
                references: adv.references.clone(),
                ranges: report.ranges,
                fixed_upstream_in: fixed_upstream.iter().map(|v| v.to_string()).collect(),
                by_line,
                fixed_by_lts_in: statuses
                    .iter()
                    .filter(|(_, s)| {
                        matches!(s, StatusKind::FixedByPatch | StatusKind::FixedByDependency)
                    })
                    .map(|(n, _)| n.clone())
                    .collect(),
                open_in: statuses
                    .iter()
                    .filter(|(_, s)| *s == StatusKind::Affected)
                    .map(|(n, _)| n.clone())
                    .collect(),
                statuses,
            }
        })
        .collect();

    let m = matrix(db, &release_facts, &triage, &MatrixFilter::default());
    // Public errors name workspace files relative to the workspace, never the machine's paths.
    if let Some(dir) = workspace {
        for e in &mut errors {
            let d = &mut e.diagnostic;
            d.file = PathBuf::from(relative_to(dir, &d.file.display().to_string()));
            d.message = relative_to(dir, &d.message);
        }
    }
    // The embedded snapshot is parsed once for its day, the database scanned once for its id.
    let (newest_day, newest_id) = (newest_day(), newest_go_id(db));
    SiteData {
        date: config.date,
        product: calendar.product.clone(),
        product_kind: product.product,
        // A workspace whose manifest cannot be read is still a workspace: its pages show the
        // error rather than claim there is none.
        workspace: ws.is_some()
            || workspace.is_some_and(|d| d.join(klts_forge::MANIFEST_FILE).is_file()),
        lines,
        releases,
        stages,
        advisories,
        matrix: m,
        errors,
        operator_problems,
        config: config.clone(),
        advisories_as_of: advisories_as_of(&newest_day, newest_id.as_deref()),
        advisories_newest_day: newest_day,
        advisories_newest_id: newest_id,
        db: shared,
        // Every release's facts, stages too: `/api/v1/status/<stage>` still answers.
        facts: all_facts,
        triage,
        base: String::new(),
        products: Vec::new(),
    }
}

/// `text` with the workspace directory `dir` taken out of the paths it names
/// (`/home/ci/ws/releases.yml:3:7` → `releases.yml:3:7`).
/// A relative `dir` is left alone: it is no machine's path, and a short one (`ws`) could
/// occur inside words.
fn relative_to(dir: &Path, text: &str) -> String {
    let mut out = text.to_string();
    let canonical = std::fs::canonicalize(dir).ok();
    for d in std::iter::once(dir).chain(canonical.as_deref()) {
        if !d.is_absolute() {
            continue;
        }
        let d = d.display().to_string();
        let d = d.trim_end_matches('/');
        if !d.is_empty() {
            out = out.replace(&format!("{d}/"), "").replace(d, ".");
        }
    }
    out
}

/// How recent the advisory data is: the newest dated record of the embedded snapshot, and the
/// newest id of the database (the Go database copy carries placeholder dates, so its ids say
/// more than its dates).
fn advisories_as_of(day: &str, newest_id: Option<&str>) -> String {
    match newest_id {
        Some(id) => format!("{day} (newest dated record); newest entry {id}"),
        None => day.to_string(),
    }
}

/// The day of the newest dated record of the embedded snapshot.
fn newest_day() -> String {
    let date = klts_vuln::snapshot::Snapshot::embedded()
        .map(|s| s.generated_from.newest_modified)
        .unwrap_or_default();
    date.get(..10).unwrap_or(&date).to_string()
}

/// The newest `GO-YYYY-NNNN` id of the database.
fn newest_go_id(db: &Database) -> Option<String> {
    let key = |id: &str| -> Option<(u32, u32)> {
        let mut parts = id.strip_prefix("GO-")?.split('-');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    db.advisories
        .iter()
        .flat_map(|a| a.ids())
        .filter_map(|id| key(id).map(|k| (k, id)))
        .max()
        .map(|(_, id)| id.to_string())
}

/// Files whose change means the site must be rebuilt (for `klts serve`).
pub fn watched_files(workspace: &Path) -> Vec<PathBuf> {
    let mut out = vec![
        workspace.join(klts_forge::MANIFEST_FILE),
        workspace.join(TRIAGE_FILE),
        workspace.join(LIFECYCLE_FILE),
        workspace.join(klts_forge::lock::LOCK_FILE),
    ];
    if let Ok(entries) = std::fs::read_dir(workspace.join("patches")) {
        let mut patches: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        patches.sort();
        out.extend(patches);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_versions_sort_after_upstream() {
        assert_eq!(package_version("v1.17.17-lts.3"), "1.17.17+lts.3-1");
        assert_eq!(package_version("v1.17.17"), "1.17.17-1");
    }

    /// The install lines are the publisher's own: the repo id and key URL of the `.repo`
    /// section and the apt sources line cannot drift from what `klts publish` serves.
    #[test]
    fn install_lines_name_the_products_packages() {
        let config = SiteConfig::on(Date::today());
        let c = install(
            "v1.3.10-lts.1",
            Some("1.3"),
            &config,
            klts_core::Product::Containerd,
        );
        let apt = c.apt.join("\n");
        assert!(
            apt.contains("apt-get install -y containerd=1.3.10+lts.1-1"),
            "{apt}"
        );
        assert!(!apt.contains("kube"), "{apt}");
        assert!(c.kubeadm.is_empty());
        assert!(
            c.yum
                .iter()
                .any(|l| l == "sudo yum install -y containerd-1.3.10+lts.1"),
            "{:?}",
            c.yum
        );
        let g = install("v1.0.0-lts.1", None, &config, klts_core::Product::Generic);
        assert!(g.apt.is_empty() && g.yum.is_empty() && g.kubeadm.is_empty());
    }

    #[test]
    fn install_lines_come_from_the_publisher() {
        let config = SiteConfig {
            package_url: "https://pkgs.example.test/".into(),
            image_repository: "r".into(),
            date: klts_core::lifecycle::Date::parse("2026-01-01").unwrap(),
            lts_years: None,
            offline: true,
        };
        let v = install(
            "v1.17.17-lts.3",
            Some("1.17"),
            &config,
            klts_core::Product::Kubernetes,
        );
        let repo = klts_dist::yum::repo_file("https://pkgs.example.test/yum", "v1.17.17-lts.3");
        for line in repo.lines() {
            assert!(v.yum.iter().any(|l| l == line), "{line} in {:?}", v.yum);
        }
        let deb = klts_dist::apt::sources_line(
            "https://pkgs.example.test/apt",
            "v1.17.17-lts.3",
            "/etc/apt/keyrings/klts.gpg",
        );
        assert!(v.apt.iter().any(|l| l.contains(&deb)), "{:?}", v.apt);
        assert!(
            v.apt.iter().any(|l| l.contains("/apt v1.17 main")),
            "{:?}",
            v.apt
        );
    }

    /// A site error is a diagnostic with a scope, and its JSON keeps the keys the API had
    /// (`scope`, `file`, `message`) beside the code.
    #[test]
    fn site_errors_are_diagnostics_with_the_old_keys() {
        let e = SiteError::new(
            "advisories",
            SiteCode::TriageUnreadable,
            "triage.yml",
            "triage.yml:2:3: invalid YAML",
        );
        assert_eq!(
            e.diagnostic.to_string(),
            "triage.yml: error[triage-unreadable]: triage.yml:2:3: invalid YAML"
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["scope"], "advisories");
        assert_eq!(json["file"], "triage.yml");
        assert_eq!(json["message"], "triage.yml:2:3: invalid YAML");
        assert_eq!(json["code"], "triage-unreadable");
        assert_eq!(json["severity"], "error");
    }
}
