//! Gathering [`ReleaseFacts`] from an LTS workspace: materialize the releases (cached, see
//! `klts-forge`), then read the Go module inventory of each release tree and of its upstream
//! root tag **from git objects** (one `git cat-file --batch`; no checkout).

use crate::inventory::Inventory;
use crate::status::{PatchFacts, ReleaseFacts};
use klts_core::goversion::GoRelease;
use klts_core::{Product, Version};
use klts_forge::odb::{Odb, Oid};
use klts_forge::toolchain::GitTree;
use klts_forge::upstream::Mirror;
use klts_forge::verify::{verify, Status as BuildStatus, VerifyOptions, VerifyReport};
use klts_forge::{ForgeError, Workspace};
use std::collections::HashMap;

/// Facts of every release of the workspace, in manifest order, and the verify report that
/// produced the trees.
pub struct WorkspaceFacts {
    /// Which product the workspace maintains, and why.
    pub product: klts_core::product::ProductChoice,
    /// One entry per release.
    pub releases: Vec<ReleaseFacts>,
    /// Whether each release is `must`.
    pub must: HashMap<String, bool>,
    /// The verify run (a release that did not materialize has no tree facts).
    pub verify: VerifyReport,
}

/// Reads inventories of commits, memoized by tree id.
pub struct InventoryReader {
    odb: Odb,
    memo: HashMap<(Oid, Option<GoRelease>), Inventory>,
}

impl InventoryReader {
    /// A reader on the workspace mirror.
    pub fn open(ws: &Workspace) -> Result<InventoryReader, ForgeError> {
        Ok(InventoryReader {
            odb: Odb::open(&ws.mirror_dir())?,
            memo: HashMap::new(),
        })
    }

    /// The inventory of `commit` (a commit id or any rev the mirror resolves). A commit or a
    /// file that cannot be read is an error: it must never look like an empty tree.
    pub fn commit(&mut self, commit: &str) -> Result<Inventory, ForgeError> {
        self.commit_with(commit, None)
    }

    /// [`InventoryReader::commit`] with the manifest's `build.go` for the release, which
    /// decides its Go version over the tree's files (`klts_forge::toolchain`).
    pub fn commit_with(
        &mut self,
        commit: &str,
        explicit: Option<&GoRelease>,
    ) -> Result<Inventory, ForgeError> {
        let tree = self.odb.commit_tree(commit)?;
        let key = (tree, explicit.copied());
        if let Some(inv) = self.memo.get(&key) {
            return Ok(inv.clone());
        }
        let mut files = GitTree {
            odb: &mut self.odb,
            tree,
        };
        let inv = Inventory::read_with(&mut files, explicit)
            .map_err(|e| ForgeError::Other(format!("{commit}: {e}")))?;
        self.memo.insert(key, inv.clone());
        Ok(inv)
    }
}

/// The published releases among `releases`: every one but the stages
/// ([`klts_core::Manifest::is_stage`]: a `-ci` base that only serves the releases built on it,
/// never shipped). The matrix of the CLI and of the portal has these as its columns.
pub fn published(manifest: &klts_core::Manifest, releases: &[ReleaseFacts]) -> Vec<ReleaseFacts> {
    releases
        .iter()
        .filter(|r| !manifest.is_stage(&r.name))
        .cloned()
        .collect()
}

/// The chain's patches with their `fixes:` metadata.
pub fn chain_patches(ws: &Workspace, release: &str) -> Vec<PatchFacts> {
    let m = &ws.manifest;
    let Ok(chain) = m.chain(release) else {
        return Vec::new();
    };
    chain
        .releases
        .iter()
        .flat_map(|r| {
            r.patches.iter().map(|p| PatchFacts {
                name: p.value.clone(),
                release: r.name.value.clone(),
                fixes: m
                    .catalog_entry(&p.value)
                    .map(|e| e.fixes.iter().map(|f| f.value.clone()).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Materialize every release (from the step cache when unchanged) and gather its facts.
pub fn workspace_facts(
    ws: &Workspace,
    options: &VerifyOptions,
) -> Result<WorkspaceFacts, ForgeError> {
    let names: Vec<String> = ws
        .manifest
        .releases
        .iter()
        .map(|r| r.name.value.clone())
        .fold(Vec::new(), |mut acc, n| {
            if !acc.contains(&n) {
                acc.push(n);
            }
            acc
        });
    let report = verify(ws, &names, options, &|_, _| {})?;
    // After verify: a mirror fetched just now lets the upstream go.mod name the product.
    let product = ws.product()?;
    let mut reader = if Mirror::of(ws).exists() {
        Some(InventoryReader::open(ws)?)
    } else {
        None
    };
    let mut releases = Vec::new();
    let mut must = HashMap::new();
    for name in &names {
        let r = report.releases.iter().find(|r| &r.release == name);
        let root = r.map(|r| r.root.clone()).unwrap_or_default();
        let upstream = Version::parse(&root).ok().map(|v| v.base());
        let (tree, base_tree) = match (&mut reader, r) {
            (Some(reader), Some(r)) => (
                r.commit
                    .as_deref()
                    .filter(|_| r.status == BuildStatus::Ok)
                    .map(|c| {
                        // The release is built with the manifest's Go when it names one; its
                        // upstream root tag (below) with whatever that tree says.
                        let explicit = ws.manifest.build.go.for_release(name).map(|v| &v.value);
                        reader.commit_with(c, explicit)
                    })
                    .transpose()?,
                r.root_commit
                    .as_deref()
                    .map(|c| reader.commit(c))
                    .transpose()?,
            ),
            _ => (None, None),
        };
        must.insert(
            name.clone(),
            ws.manifest.release(name).is_some_and(|r| r.must),
        );
        releases.push(ReleaseFacts {
            name: name.clone(),
            product: product.product,
            upstream,
            patches: chain_patches(ws, name),
            tree,
            base_tree,
            git: HashMap::new(),
        });
    }
    Ok(WorkspaceFacts {
        product,
        releases,
        must,
        verify: report,
    })
}

/// Add git evidence to every materialized release of `facts`: for each advisory whose
/// references name fix commits or pull requests of the upstream, whether the release's root
/// tag contains a fix (or a cherry-pick of it) and whether a commit of its chain carries one
/// (same patch-id, or a trailer). Nothing happens without a mirror. Patch-ids are cached
/// under the cache directory, so a warm run reads files only (see [`crate::gitfix`]).
pub fn attach_git_evidence(
    ws: &Workspace,
    db: &crate::db::Database,
    facts: &mut WorkspaceFacts,
) -> Result<(), ForgeError> {
    // Fix links count only when they point into the product's own repository.
    let Some(repo) = facts.product.product.repository() else {
        return Ok(());
    };
    let Some(mut index) = crate::gitfix::FixIndex::open(ws)? else {
        return Ok(());
    };
    let commits: HashMap<&str, (Option<&str>, Option<&str>)> = facts
        .verify
        .releases
        .iter()
        .map(|r| {
            (
                r.release.as_str(),
                (
                    r.root_commit.as_deref(),
                    r.commit.as_deref().filter(|_| r.status == BuildStatus::Ok),
                ),
            )
        })
        .collect();
    for adv in &db.advisories {
        let refs = crate::gitfix::fix_refs(&adv.references, repo);
        if refs.is_empty() {
            continue;
        }
        let resolved = index.resolve(&refs)?;
        if resolved.commits.is_empty() {
            continue;
        }
        for rel in facts.releases.iter_mut() {
            let Some(&(Some(root), commit)) = commits.get(rel.name.as_str()) else {
                continue;
            };
            let upstream = index.upstream_fix(root, &resolved)?;
            let patch = match (&upstream, commit) {
                (None, Some(commit)) => index.patch_fix(root, commit, &resolved)?,
                _ => None,
            };
            if upstream.is_some() || patch.is_some() {
                rel.git.insert(
                    adv.id.clone(),
                    crate::status::GitFinding {
                        upstream,
                        patch,
                        patch_name: None,
                    },
                );
            }
        }
    }
    index.flush()
}

/// Facts of every release from the manifest alone, for a workspace whose releases cannot be
/// materialized (no mirror, no network): the upstream version from the chain's root tag and the
/// chain's patches (credited by name and `fixes:`), no trees. Statuses computed from these are
/// labelled "manifest only" by the caller; fetching the mirror upgrades the same commands to
/// tree and git evidence.
pub fn manifest_facts(ws: &Workspace, product: Product) -> Vec<ReleaseFacts> {
    ws.manifest
        .releases
        .iter()
        .map(|r| {
            let name = r.name.value.clone();
            let upstream = ws
                .manifest
                .chain(&name)
                .ok()
                .and_then(|c| Version::parse(&c.root).ok())
                .map(|v| v.base());
            ReleaseFacts {
                patches: chain_patches(ws, &name),
                name,
                product,
                upstream,
                ..ReleaseFacts::default()
            }
        })
        .collect()
}

/// [`manifest_facts`] as a [`WorkspaceFacts`] (no verify run): what `klts vulns` and the
/// portal fall back to when the releases cannot be materialized.
///
/// The product is still decided (it needs no tree unless nothing else names it); a
/// `lifecycle.yml` that cannot be read is an error.
pub fn manifest_workspace_facts(ws: &Workspace) -> Result<WorkspaceFacts, ForgeError> {
    let product = ws.product()?;
    Ok(WorkspaceFacts {
        releases: manifest_facts(ws, product.product),
        product,
        must: ws
            .manifest
            .releases
            .iter()
            .map(|r| (r.name.value.clone(), r.must))
            .collect(),
        verify: VerifyReport {
            releases: Vec::new(),
            fetched: Vec::new(),
        },
    })
}

/// Facts for a bare version of `product` with no tree at all: the upstream version only.
pub fn bare_version_facts(version: &Version, product: Product) -> ReleaseFacts {
    ReleaseFacts {
        name: version.to_string(),
        product,
        upstream: Some(version.base()),
        ..ReleaseFacts::default()
    }
}

/// Facts for a bare version (`1.17.17`): upstream ranges only, plus — when a workspace mirror
/// has the tag — the inventory of the upstream tree.
pub fn version_facts(
    version: &Version,
    product: Product,
    ws: Option<&Workspace>,
) -> Result<ReleaseFacts, ForgeError> {
    let base = version.base();
    let mut facts = bare_version_facts(version, product);
    if let Some(ws) = ws {
        let mirror = Mirror::of(ws);
        // A mirror without the tag has no tree to offer (not an error); a tag it has must be
        // readable.
        if let Some(commit) = mirror.refs()?.tag(&base.to_string()).map(str::to_string) {
            let mut reader = InventoryReader::open(ws)?;
            facts.base_tree = Some(reader.commit(&commit)?);
            facts.tree = facts.base_tree.clone();
        }
    }
    Ok(facts)
}
