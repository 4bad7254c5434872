//! Workspace checks that need more than the manifest text: pins in the lock file and tags in
//! the upstream mirror. They report through the same [`Diagnostic`] type as
//! [`klts_core::lint`], so `klts lint` renders one list.

use crate::lock::Lock;
use crate::upstream::{needed_roots, Mirror};
use crate::{ForgeError, Workspace};
use klts_core::chains::ChainStatus;
use klts_core::diag::{Diagnostic, Severity};
use klts_core::manifest::{PatchResolution, PatchSource};
use std::collections::BTreeSet;

klts_core::diagnostic_codes! {
    /// The checks of a workspace beyond its manifest: pins, patch files, the mirror.
    pub enum WorkspaceCode {
        /// A downloaded patch without a sha256 pin in `klts.lock`.
        UnpinnedUrl => "unpinned-url",
        /// A pin in `klts.lock` for a URL the manifest no longer names.
        StalePin => "stale-pin",
        /// A patch file that is not a `git format-patch` mbox.
        CorruptPatch => "corrupt-patch",
        /// A chain root the mirror does not have.
        MissingTag => "missing-tag",
        /// No upstream mirror yet: tags are not checked.
        NoMirror => "no-mirror",
        /// The program shipped a release of a line after the line's support ended.
        SupportDisagrees => "support-disagrees",
        /// Nothing says which product the workspace maintains: it is judged as a generic Go
        /// project.
        ProductUndecided => "product-undecided",
    }
}

/// All checks: [`klts_core::lint::lint`] plus lock pins and (when the mirror exists) upstream
/// tags. Never touches the network.
pub fn lint_workspace(ws: &Workspace) -> Result<Vec<Diagnostic>, ForgeError> {
    let m = &ws.manifest;
    let mut out = klts_core::lint::lint(m);
    let lock = Lock::load(&ws.lock_path())?;

    // A workspace whose product nothing names is judged as a generic Go project: no
    // advisories of its own, no calendar. Say so before a report is read as "nothing open".
    let product = ws.product()?;
    if product.basis == klts_core::product::ProductBasis::Nothing {
        out.push(
            Diagnostic::new(
                Severity::Warning,
                WorkspaceCode::ProductUndecided,
                &m.path,
                Some(m.base.loc),
                format!(
                    "nothing says which product this workspace maintains ({}): it is judged as a generic Go project, with no advisories of its own",
                    product.source
                ),
            )
            .with_help("add `product: kubernetes` (or containerd, runc, generic) to releases.yml, or `klts fetch` so the upstream go.mod can say it"),
        );
    }

    // URLs used by some release but not pinned; pins nothing uses.
    let mut used_urls = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for r in &m.releases {
        for name in &r.patches {
            if let PatchResolution::Catalog(e) = m.resolve_patch(&name.value) {
                for src in &e.sources {
                    if let PatchSource::Url(url) = &src.value {
                        used_urls.insert(url.clone());
                        if !lock.pins.contains_key(url) && reported.insert(url.clone()) {
                            out.push(
                                Diagnostic::new(Severity::Warning, WorkspaceCode::UnpinnedUrl, &m.path, Some(src.loc), format!(
                                    "{url} (patch `{}`) is not pinned in klts.lock; its content could change unnoticed", e.name.value))
                                    .with_help("run `klts lock` and commit klts.lock"),
                            );
                        }
                    }
                }
            }
        }
    }
    for url in lock.pins.keys() {
        if !used_urls.contains(url) {
            out.push(
                Diagnostic::new(
                    Severity::Warning,
                    WorkspaceCode::StalePin,
                    ws.lock_path(),
                    None,
                    format!("{url} is pinned but used by no release"),
                )
                .with_help("run `klts lock` to drop it"),
            );
        }
    }

    // Local patch files parse as `git format-patch` output (each file once).
    let mut checked = BTreeSet::new();
    let mut local = Vec::new();
    for r in &m.releases {
        for name in &r.patches {
            match m.resolve_patch(&name.value) {
                PatchResolution::Convention(path) => local.push((path, name.loc)),
                PatchResolution::Catalog(e) => {
                    for src in &e.sources {
                        if let PatchSource::File(path) = &src.value {
                            local.push((path.clone(), src.loc));
                        }
                    }
                }
                PatchResolution::Missing { .. } => {}
            }
        }
    }
    for (path, loc) in local {
        if !checked.insert(path.clone()) {
            continue;
        }
        // Missing files and escaping symlinks are reported by the manifest checks.
        let Ok(full) = m.workspace_file(&path) else {
            continue;
        };
        let problem = match std::fs::read(&full) {
            Ok(bytes) => crate::mbox::check(&bytes).err(),
            Err(e) => Some(format!("cannot be read: {e}")),
        };
        if let Some(problem) = problem {
            out.push(
                Diagnostic::new(
                    Severity::Error,
                    WorkspaceCode::CorruptPatch,
                    &m.path,
                    Some(loc),
                    format!("patch file {}: {problem}", path.display()),
                )
                .with_help("regenerate it with `git format-patch --stdout BASE..FIX > FILE`"),
            );
        }
    }

    // Root tags, when there is a mirror to look in.
    let mirror = Mirror::of(ws);
    if mirror.exists() {
        let refs = mirror.refs()?;
        // The releases based directly on each root, gathered in one pass (a lookup per root
        // would cost roots × releases).
        let chains = m.chain_index();
        let mut users_of: std::collections::HashMap<&str, Vec<&klts_core::Release>> =
            std::collections::HashMap::new();
        for r in &m.releases {
            if let Some(ChainStatus::Rooted { root, .. }) = chains.status(&r.name.value) {
                if m.release(&r.base_release.value).is_none() {
                    users_of.entry(root).or_default().push(r);
                }
            }
        }
        for root in needed_roots(ws) {
            if mirror.resolve_root(&refs, &root).is_none() {
                let users = users_of.get(root.as_str()).cloned().unwrap_or_default();
                let loc = users.first().map(|r| r.base_release.loc);
                let sev = if users.iter().any(|r| r.must) || users.is_empty() {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                out.push(
                    Diagnostic::new(sev, WorkspaceCode::MissingTag, &m.path, loc, format!(
                        "upstream tag `{root}` is not in the mirror{}",
                        if users.iter().any(|r| r.must) { "" } else { " (used only by releases with must: false)" }))
                        .with_help("run `klts fetch`; if it is still missing, the upstream has no such tag: fix base_release"),
                );
            }
        }
    } else {
        out.push(
            Diagnostic::new(
                Severity::Note,
                WorkspaceCode::NoMirror,
                &m.path,
                None,
                "upstream tags not checked: there is no mirror yet",
            )
            .with_help("run `klts fetch` to check that every chain ends in an upstream tag"),
        );
    }
    Ok(out)
}
/// Where the program's support policy and its activity disagree on `today`: a line whose
/// support ended (by `lifecycle.yml`'s `support:` decision, or community end of life +
/// `lts_years`) although the program shipped a release of it afterwards. Each finding points at
/// that release in `releases.yml`; the fix is a decision in `lifecycle.yml`.
pub fn lint_support(
    ws: &Workspace,
    today: klts_core::lifecycle::Date,
) -> Result<Vec<Diagnostic>, ForgeError> {
    let (calendar, policy) =
        crate::activity::lifecycle_of(ws, None, None).map_err(ForgeError::Other)?;
    let mut out = Vec::new();
    for st in klts_core::lifecycle::statuses(&calendar, &policy, today) {
        let (Some(message), Some(activity)) = (&st.disagreement, &st.activity) else {
            continue;
        };
        let loc = ws.manifest.release(&activity.release).map(|r| r.name.loc);
        out.push(
            Diagnostic::new(
                Severity::Warning,
                WorkspaceCode::SupportDisagrees,
                &ws.manifest.path,
                loc,
                message.clone(),
            )
            .with_help(if st.in_program {
                format!(
                    "say what the program does in {}: `support: [{{line: \"{}\", until: further-notice}}]` (or its last day)",
                    klts_core::lifecycle::LIFECYCLE_FILE,
                    st.line
                )
            } else {
                format!(
                    "the line is no longer maintained (no `must` release): record until when it was in {}: `support: [{{line: \"{}\", until: {}}}]`",
                    klts_core::lifecycle::LIFECYCLE_FILE,
                    st.line,
                    activity.date
                )
            }),
        );
    }
    Ok(out)
}
