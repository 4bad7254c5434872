//! Static checks of a manifest and its workspace (`klts lint`).
//!
//! Errors mean a release cannot be produced as written; warnings are dead weight or likely
//! mistakes. Checks that need git (does the upstream carry the root tag?) or downloads (is
//! every URL pinned?) live in `klts-forge` and report through the same [`Diagnostic`] type.

use crate::chains::ChainStatus;
use crate::diag::{Diagnostic, Location, Severity};
use crate::manifest::{Manifest, PatchResolution, PatchSource, WorkspacePathError};
use crate::version::Version;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

crate::diagnostic_codes! {
    /// The checks of `releases.yml` ([`lint`]).
    pub enum ManifestCode {
        /// A key the manifest format does not know (typo or another tool's).
        UnknownKey => "unknown-key",
        /// Releases whose `base_release` chains loop.
        BaseCycle => "base-cycle",
        /// A chain ends in a name that is neither a release nor an upstream tag.
        BaseMissing => "base-missing",
        /// A release based on another minor line's tag.
        VersionMismatch => "version-mismatch",
        /// A release name that is not a version (`vX.Y.Z-lts.N`).
        NameNotVersion => "name-not-version",
        /// A chain rooted at a branch: the same manifest gives different commits over time.
        MovingBase => "moving-base",
        /// A release names a patch that is neither in the catalog nor in `patches/`.
        UnknownPatch => "unknown-patch",
        /// A catalog entry with no sources.
        EmptyPatch => "empty-patch",
        /// A catalog source path that does not exist.
        MissingFile => "missing-file",
        /// A catalog entry no release uses.
        UnusedPatch => "unused-patch",
        /// A patch path that leaves the workspace (`..`, absolute, or through a symlink).
        OutsideWorkspace => "outside-workspace",
        /// A file in `patches/` that no release or catalog entry uses.
        UnusedFile => "unused-file",
    }
}

/// Run every static check. Diagnostics come out ordered by position in the manifest, then
/// the ones about files without a position.
pub fn lint(manifest: &Manifest) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let file = manifest.path.clone();
    let diag = |sev, code: ManifestCode, loc: Location, msg: String| {
        Diagnostic::new(sev, code, file.clone(), Some(loc), msg)
    };

    for key in &manifest.unknown_keys {
        out.push(
            diag(
                Severity::Warning,
                ManifestCode::UnknownKey,
                key.key.loc,
                format!(
                    "unknown key `{}` in {} is ignored",
                    key.key.value, key.mapping
                ),
            )
            .with_help(key.help()),
        );
    }

    // Base chains, resolved once for all releases (crate::chains): linear in the releases.
    // A cycle is reported once, at its member defined first; releases based on a cycle are
    // not reported separately (fixing the cycle fixes them).
    let chains = manifest.chain_index();
    for id in 0..chains.cycle_count() {
        let members = chains.cycle(id);
        if let Some(first) = members.first() {
            let mut names: Vec<&str> = members.iter().map(|r| r.name.value.as_str()).collect();
            names.push(&first.name.value);
            out.push(
                diag(
                    Severity::Error,
                    ManifestCode::BaseCycle,
                    first.base_release.loc,
                    format!("base_release chain cycles: {}", names.join(" -> ")),
                )
                .with_help("one release in the cycle must be based on an upstream tag"),
            );
        }
    }
    for r in &manifest.releases {
        if let (Some(ChainStatus::Rooted { root, .. }), Some(first)) = (
            chains.status(&r.name.value),
            manifest.release(&r.name.value),
        ) {
            // Only the release based directly on the root (the first of its chain) says so.
            if first.base_release.value == root {
                if let Ok(v) = Version::parse(root) {
                    if v.suffix().is_some() && !v.is_prerelease() {
                        out.push(
                            diag(Severity::Error, ManifestCode::BaseMissing, first.base_release.loc, format!(
                                "base_release `{}` of `{}` is not a release of this manifest, and upstream does not tag LTS builds",
                                root, r.name.value))
                                .with_help(format!("add a release named `{}` or base `{}` on an upstream tag such as v{}", root, r.name.value, v.base().to_string().trim_start_matches('v'))),
                        );
                    }
                }
            }
        }
        // x.y.z must agree with the base's.
        if let (Ok(v), Ok(b)) = (
            Version::parse(&r.name.value),
            Version::parse(&r.base_release.value),
        ) {
            if !v.same_xyz(&b) {
                out.push(
                    diag(Severity::Error, ManifestCode::VersionMismatch, r.base_release.loc, format!(
                        "release `{}` is based on `{}`: a release keeps its base's version {} and only changes the suffix",
                        r.name.value, r.base_release.value, b.base()))
                        .with_help(format!("rename the release to {}-<suffix> or fix base_release", b.base())),
                );
            }
        } else if Version::parse(&r.name.value).is_err() {
            out.push(
                diag(Severity::Warning, ManifestCode::NameNotVersion, r.name.loc, format!(
                    "release name `{}` is not a version; it cannot be ordered or matched against advisories", r.name.value))
                    .with_help("name releases like v1.17.17-lts.3"),
            );
        }
        if Version::parse(&r.base_release.value).is_err()
            && manifest.release(&r.base_release.value).is_none()
        {
            out.push(
                diag(Severity::Warning, ManifestCode::MovingBase, r.base_release.loc, format!(
                    "base `{}` is not a version tag; if it is a branch the release is not reproducible", r.base_release.value))
                    .with_help("base releases on upstream tags"),
            );
        }
    }

    // Patch names and files.
    let ws = manifest.workspace_dir();
    let mut used_entries: HashSet<&str> = HashSet::new();
    let mut used_files: HashSet<PathBuf> = HashSet::new();
    let mut missing_reported: HashSet<PathBuf> = HashSet::new();
    for r in &manifest.releases {
        for name in &r.patches {
            match manifest.resolve_patch(&name.value) {
                PatchResolution::Catalog(e) => {
                    used_entries.insert(&e.name.value);
                }
                PatchResolution::Convention(path) => {
                    used_files.insert(path);
                }
                PatchResolution::Missing { looked_for } => {
                    out.push(
                        diag(
                            Severity::Error,
                            ManifestCode::UnknownPatch,
                            name.loc,
                            format!(
                        "patch `{}` of `{}` is neither in the `patches:` catalog nor a file {}",
                        name.value, r.name.value, looked_for.display()),
                        )
                        .with_help(format!(
                            "add a catalog entry named `{}` or create {}",
                            name.value,
                            looked_for.display()
                        )),
                    )
                }
            }
        }
    }
    for e in &manifest.patches {
        if e.sources.is_empty() {
            out.push(
                diag(
                    Severity::Warning,
                    ManifestCode::EmptyPatch,
                    e.name.loc,
                    format!(
                        "catalog entry `{}` has an empty `patch` list and changes nothing",
                        e.name.value
                    ),
                )
                .with_help("add the patch files or remove the entry"),
            );
        }
        for src in &e.sources {
            if let PatchSource::File(path) = &src.value {
                used_files.insert(path.clone());
                if !ws.join(path).is_file() && missing_reported.insert(path.clone()) {
                    let sev = if used_entries.contains(e.name.value.as_str()) {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    out.push(
                        diag(
                            sev,
                            ManifestCode::MissingFile,
                            src.loc,
                            format!(
                                "patch file {} of `{}` does not exist{}",
                                path.display(),
                                e.name.value,
                                if sev == Severity::Warning {
                                    " (the entry is unused)"
                                } else {
                                    ""
                                }
                            ),
                        )
                        .with_help("add the file (git format-patch output) or fix the path"),
                    );
                }
            }
        }
        if !used_entries.contains(e.name.value.as_str()) {
            let help = match e.name.value.strip_suffix(".patch") {
                // A catalog name ending in `.patch` never matches: releases use the bare name,
                // which then resolves by convention to a file, bypassing this entry.
                Some(bare) if manifest.releases.iter().any(|r| r.patches.iter().any(|p| p.value == bare)) => format!(
                    "releases refer to `{bare}`, which resolves by convention to patches/{bare}.patch, not to this entry: drop the `.patch` suffix from the name if this entry is meant"
                ),
                _ => "remove it, or keep it knowingly for a future backport".to_string(),
            };
            out.push(
                diag(
                    Severity::Warning,
                    ManifestCode::UnusedPatch,
                    e.name.loc,
                    format!("catalog entry `{}` is used by no release", e.name.value),
                )
                .with_help(help),
            );
        }
    }
    // Containment after symlinks: a name or path that passed the parser may still be a
    // symlink under patches/ pointing out of the workspace.
    let mut escape_checked: HashSet<PathBuf> = HashSet::new();
    let convention = manifest
        .releases
        .iter()
        .flat_map(|r| r.patches.iter())
        .filter_map(|n| match manifest.resolve_patch(&n.value) {
            PatchResolution::Convention(path) => Some((path, n.loc)),
            _ => None,
        });
    let catalog = manifest
        .patches
        .iter()
        .flat_map(|e| e.sources.iter())
        .filter_map(|s| match &s.value {
            PatchSource::File(path) => Some((path.clone(), s.loc)),
            PatchSource::Url(_) => None,
        });
    for (path, loc) in convention.chain(catalog) {
        if !escape_checked.insert(path.clone()) {
            continue;
        }
        if let Err(e @ WorkspacePathError::Escapes { .. }) = manifest.workspace_file(&path) {
            out.push(
                diag(Severity::Error, ManifestCode::OutsideWorkspace, loc, e.to_string().lines().next().unwrap_or_default().to_string())
                    .with_help("patch files must be regular files inside the workspace; replace the symlink by the file it points to"),
            );
        }
    }
    for path in patch_files(ws) {
        if !used_files.contains(&path) {
            out.push(
                Diagnostic::new(Severity::Warning, ManifestCode::UnusedFile, ws.join(&path), None, format!(
                    "{} is used by no catalog entry and by no release (as patches/<name>.patch)", path.display()))
                    .with_help("delete it or reference it from the manifest"),
            );
        }
    }
    out.sort_by(|a, b| {
        (a.location.is_none(), a.location, &a.file).cmp(&(
            b.location.is_none(),
            b.location,
            &b.file,
        ))
    });
    out
}

/// `*.patch` files under `patches/`, relative to the workspace, sorted.
fn patch_files(ws: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from("patches")];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(ws.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let child = rel.join(entry.file_name());
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(child),
                Ok(t) if t.is_file() && child.extension().is_some_and(|e| e == "patch") => {
                    out.push(child)
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(manifest: &str, files: &[&str]) -> (tempfile_lite::Dir, Manifest) {
        let dir = tempfile_lite::Dir::new();
        std::fs::create_dir_all(dir.0.join("patches")).unwrap();
        for f in files {
            std::fs::write(dir.0.join(f), "x").unwrap();
        }
        let path = dir.0.join("releases.yml");
        std::fs::write(&path, manifest).unwrap();
        let m = Manifest::load(&path).unwrap();
        (dir, m)
    }

    /// A tiny self-cleaning temp dir so the core crate needs no extra dev-dependency.
    mod tempfile_lite {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "klts-core-lint-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn codes(d: &[Diagnostic]) -> Vec<(&'static str, Severity, Option<usize>)> {
        d.iter()
            .map(|d| (d.code, d.severity, d.location.map(|l| l.line)))
            .collect()
    }

    #[test]
    fn clean_manifest_has_no_findings() {
        let (_d, m) = ws(
            "base: up\nreleases:\n  - name: v1.2.3-lts.1\n    base_release: v1.2.3-ci\n    must: true\n    patches: [fix]\n  - name: v1.2.3-ci\n    base_release: v1.2.3\n    patches: [conv]\npatches:\n  - name: fix\n    patch: [patches/fix.patch]\n",
            &["patches/fix.patch", "patches/conv.patch"],
        );
        assert_eq!(lint(&m), vec![]);
    }

    #[test]
    fn reports_each_problem_with_its_line() {
        let (_d, m) = ws(
            r#"base: up
releases:
  - name: v1.2.3-lts.1
    base_release: v1.2.4-ci
    patches: [nothing-here]
  - name: v1.2.4-ci
    base_release: v1.2.4
  - name: a
    base_release: b
  - name: b
    base_release: a
  - name: v1.2.3-lts.2
    base_release: v1.2.3
    mst: true
patches:
  - name: unused
    patch: [patches/gone.patch]
"#,
            &["patches/stray.patch"],
        );
        let got = codes(&lint(&m));
        assert!(
            got.contains(&("version-mismatch", Severity::Error, Some(4))),
            "{got:?}"
        );
        assert!(
            got.contains(&("unknown-patch", Severity::Error, Some(5))),
            "{got:?}"
        );
        assert!(
            got.contains(&("base-cycle", Severity::Error, Some(9))),
            "{got:?}"
        );
        assert!(
            got.contains(&("unknown-key", Severity::Warning, Some(14))),
            "{got:?}"
        );
        assert!(
            got.contains(&("unused-patch", Severity::Warning, Some(16))),
            "{got:?}"
        );
        assert!(
            got.contains(&("missing-file", Severity::Warning, Some(17))),
            "{got:?}"
        );
        assert!(
            got.contains(&("unused-file", Severity::Warning, None)),
            "{got:?}"
        );
        assert_eq!(
            got.iter().filter(|c| c.0 == "base-cycle").count(),
            1,
            "{got:?}"
        );
    }

    #[test]
    fn chain_ending_in_lts_name_is_an_error() {
        let (_d, m) = ws(
            "base: up\nreleases:\n  - name: v1.2.3-lts.1\n    base_release: v1.2.3-ci\n",
            &[],
        );
        let got = codes(&lint(&m));
        assert_eq!(got, vec![("base-missing", Severity::Error, Some(4))]);
    }

    #[test]
    fn missing_file_of_used_entry_is_an_error() {
        let (_d, m) = ws(
            "base: up\nreleases:\n  - name: v1.2.3-lts.1\n    base_release: v1.2.3\n    patches: [fix]\npatches:\n  - name: fix\n    patch: [patches/fix.patch]\n",
            &[],
        );
        assert_eq!(
            codes(&lint(&m)),
            vec![("missing-file", Severity::Error, Some(8))]
        );
    }
}
