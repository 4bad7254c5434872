//! `klts checkout`: get one release as a tag, and optionally as a working tree.
//!
//! When the release materializes, `refs/tags/<release>` is set in the mirror (never moving a
//! tag klts did not create) and, with a worktree directory, the tree is checked out there
//! (`git worktree add`). When a patch conflicts, the worktree is created at the commit the
//! failing patch was applied on and `git am -3` is run there with the remaining patches of the
//! chain, so the maintainer lands in the usual `git am` state: resolve, `git add`,
//! `git am --continue`.

use crate::engine::remaining_mbox;
use crate::git::{COMMITTER_EMAIL, COMMITTER_NAME};
use crate::patches::FetchOptions;
use crate::upstream::{Mirror, TAGGED_REF_PREFIX};
use crate::verify::{patch_store, release_steps, verify, Status, VerifyOptions, VerifyReport};
use crate::{ForgeError, Workspace};
use std::path::{Path, PathBuf};

/// What `checkout` produced.
#[derive(Debug)]
pub enum CheckoutOutcome {
    /// The release materialized and was tagged.
    Tagged {
        /// The tag name.
        tag: String,
        /// Its commit.
        commit: String,
        /// The worktree, when asked for.
        worktree: Option<PathBuf>,
    },
    /// A patch conflicted; the worktree (if asked for) is in `git am` state.
    Conflict {
        /// The verify report with the conflict.
        report: VerifyReport,
        /// The worktree, when asked for.
        worktree: Option<PathBuf>,
    },
    /// The release failed for another reason (see the report).
    Failed {
        /// The verify report.
        report: VerifyReport,
    },
}

/// Materialize `release`, tag it, and optionally leave a worktree at `worktree`.
pub fn checkout(
    ws: &Workspace,
    release: &str,
    worktree: Option<&Path>,
    options: &VerifyOptions,
) -> Result<CheckoutOutcome, ForgeError> {
    if ws.manifest.release(release).is_none() {
        return Err(ForgeError::unknown_release(&ws.manifest, release));
    }
    if let Some(dir) = worktree {
        check_new_worktree(dir)?;
    }
    let report = verify(ws, &[release.to_string()], options, &|_, _| {})?;
    let mirror = Mirror::of(ws);
    let target = report.releases.iter().find(|r| r.release == release);
    match target.map(|r| r.status) {
        Some(Status::Ok) => {
            let commit = target.and_then(|r| r.commit.clone()).unwrap_or_default();
            tag(&mirror, release, &commit)?;
            let wt = match worktree {
                Some(dir) => {
                    add_worktree(&mirror, dir, &commit)?;
                    Some(dir.to_path_buf())
                }
                None => None,
            };
            Ok(CheckoutOutcome::Tagged {
                tag: release.to_string(),
                commit,
                worktree: wt,
            })
        }
        _ => {
            // Find the conflicting release of the chain, if the failure is a conflict.
            let conflict = report.releases.iter().find_map(|r| r.conflict.clone());
            let Some(conflict) = conflict else {
                return Ok(CheckoutOutcome::Failed { report });
            };
            let Some(dir) = worktree else {
                return Ok(CheckoutOutcome::Conflict {
                    report,
                    worktree: None,
                });
            };
            // All steps of the chain, root first, to replay from the failing message on.
            let store = patch_store(
                ws,
                &mirror,
                FetchOptions {
                    offline: options.offline,
                    refresh: false,
                },
            )?;
            let chain = ws
                .manifest
                .chain(release)
                .map_err(|e| ForgeError::Other(e.to_string()))?;
            let mut steps = Vec::new();
            for r in &chain.releases {
                let (s, _) = release_steps(ws, &store, &r.name.value).map_err(ForgeError::Other)?;
                steps.extend(s);
            }
            let from = steps
                .iter()
                .position(|s| {
                    s.release == conflict.release
                        && s.patch == conflict.patch
                        && s.source == conflict.source
                })
                .ok_or_else(|| {
                    ForgeError::Other("internal: conflicting step not found in chain".into())
                })?;
            add_worktree(&mirror, dir, &conflict.onto)?;
            let mbox = remaining_mbox(&steps, from, conflict.message_index);
            let mut file = tempfile::NamedTempFile::new()
                .map_err(|e| ForgeError::io(std::env::temp_dir(), e))?;
            std::io::Write::write_all(&mut file, &mbox)
                .map_err(|e| ForgeError::io(file.path(), e))?;
            let am = mirror
                .git
                .with_env("GIT_COMMITTER_NAME", COMMITTER_NAME)
                .with_env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
                .run_in(
                    dir,
                    [
                        "am".as_ref(),
                        "-3".as_ref(),
                        "--committer-date-is-author-date".as_ref(),
                        file.path().as_os_str(),
                    ],
                );
            if am.is_ok() {
                // `git am` managed what `git apply` + merge could not (should not happen):
                // say so rather than pretend there is a conflict to resolve.
                tracing::warn!("git am applied the remaining patches cleanly in the worktree");
            }
            Ok(CheckoutOutcome::Conflict {
                report,
                worktree: Some(dir.to_path_buf()),
            })
        }
    }
}

/// A `--worktree` directory must not exist or be empty: klts never checks out over files.
pub fn check_new_worktree(dir: &Path) -> Result<(), ForgeError> {
    if dir.symlink_metadata().is_ok()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(ForgeError::Other(format!(
            "{}: exists and is not empty (or is not a directory)\n  help: choose a new directory for --worktree",
            dir.display()
        )));
    }
    Ok(())
}

fn tag(mirror: &Mirror, name: &str, commit: &str) -> Result<(), ForgeError> {
    let refs = mirror.refs()?;
    let tag_ref = format!("refs/tags/{name}");
    let ours = format!("{TAGGED_REF_PREFIX}{name}");
    if let Some(existing) = refs.get(&tag_ref) {
        if refs.get(&ours) != Some(existing) && existing != commit {
            return Err(ForgeError::Other(format!(
                "tag {name} already exists in the mirror at {existing} and was not created by klts (an upstream tag?)\n  help: rename the release; klts never moves upstream tags"
            )));
        }
    }
    mirror
        .git
        .update_refs(&[(tag_ref, commit.to_string()), (ours, commit.to_string())])?;
    Ok(())
}

fn add_worktree(mirror: &Mirror, dir: &Path, commit: &str) -> Result<(), ForgeError> {
    let _ = mirror.git.run(["worktree", "prune"]);
    mirror.git.run([
        "worktree".as_ref(),
        "add".as_ref(),
        "--detach".as_ref(),
        "--quiet".as_ref(),
        dir.as_os_str(),
        commit.as_ref(),
    ])?;
    Ok(())
}
