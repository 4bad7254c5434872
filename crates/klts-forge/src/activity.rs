//! The program's activity: when each line's newest release was added to the workspace.
//!
//! Support windows computed from upstream's calendar (community end of life + N years) say
//! nothing about what the program actually does: the real KLTS manifest shipped 1.17 releases
//! with 2025 CVE patches long after "1.17 support ends 2024-01-13". The workspace's own git
//! history is the record of what it shipped, so the day a release's entry first appeared in
//! `releases.yml` is the day the program shipped it.
//!
//! One `git log --reverse -p` over `releases.yml` reads the whole history in one process (the
//! real kubernetes-lts history: a few hundred commits); an added line `- name: <release>` marks
//! the day. A workspace that is not a git repository has no activity to report (`Ok` and
//! empty: there is nothing to read, which is not an error); a git that fails inside a
//! repository is an error.

use crate::{ForgeError, Workspace, MANIFEST_FILE};
use klts_core::lifecycle::{load_lifecycle_file, Activity, Calendar, Date, Policy, LIFECYCLE_FILE};
use klts_core::{MinorLine, Version};
use std::collections::{BTreeMap, HashMap};

/// The lifecycle of a workspace (or, without one, the built-in Kubernetes calendar and the
/// default policy): the product's calendar with `lifecycle.yml` corrections, and the policy
/// from the manifest's `must` flags, `lifecycle.yml`'s `lts_years` and `support:` decisions,
/// `lts_years` (when given) over both, and the program's activity from the workspace's git
/// history. `product` picks the calendar; `None` means the workspace's own
/// ([`Workspace::product`]). `Err` names the file that could not be read, with line and column.
///
/// The CLI (`klts lifecycle`, `klts lint`) and the portal both call this: one rule for which
/// lines are supported until when.
pub fn workspace_lifecycle(
    workspace: Option<&std::path::Path>,
    lts_years: Option<u32>,
    product: Option<klts_core::Product>,
) -> Result<(Calendar, Policy), String> {
    let ws = match workspace.filter(|d| d.join(MANIFEST_FILE).is_file()) {
        Some(dir) => Some(Workspace::open(dir, None).map_err(|e| e.to_string())?),
        None => None,
    };
    lifecycle(ws.as_ref(), workspace, lts_years, product)
}

/// [`workspace_lifecycle`] of a workspace already open (`klts lint` has one): the manifest is
/// not read again.
pub fn lifecycle_of(
    ws: &Workspace,
    lts_years: Option<u32>,
    product: Option<klts_core::Product>,
) -> Result<(Calendar, Policy), String> {
    lifecycle(Some(ws), Some(&ws.root), lts_years, product)
}

fn lifecycle(
    ws: Option<&Workspace>,
    dir: Option<&std::path::Path>,
    lts_years: Option<u32>,
    product: Option<klts_core::Product>,
) -> Result<(Calendar, Policy), String> {
    let product = match (product, ws) {
        (Some(p), _) => p,
        (None, Some(ws)) => ws.product().map_err(|e| e.to_string())?.product,
        (None, None) => klts_core::Product::Kubernetes,
    };
    let mut calendar = Calendar::builtin_for(product).clone();
    let mut policy = match ws {
        Some(ws) => Policy::from_manifest(&ws.manifest),
        None => Policy::default(),
    }
    .for_product(product);
    if let Some(dir) = dir {
        let path = dir.join(LIFECYCLE_FILE);
        if path.is_file() {
            let file = load_lifecycle_file(&path).map_err(|e| e.to_string())?;
            if let Some(y) = file.lts_years {
                policy.lts_years = y;
            }
            calendar = calendar.with_overrides(&file);
            policy = policy.with_support(&file);
        }
    }
    if let Some(ws) = ws {
        policy.activity = line_activity(ws).map_err(|e| e.to_string())?;
    }
    if let Some(y) = lts_years {
        policy.lts_years = y;
    }
    Ok((calendar, policy))
}

/// The newest published release of every line and the day it was added, from the workspace's
/// git history. Stages (bases of other releases) do not count: they are not shipped.
pub fn line_activity(ws: &Workspace) -> Result<BTreeMap<MinorLine, Activity>, ForgeError> {
    // One git process: a workspace that is not in a git repository has no history to read
    // (no activity, not an error); any other failure of the log is an error.
    // The git runner of the engine (C locale, no user configuration, stdin closed); the
    // workspace itself is the working directory, found by git as usual.
    let log = crate::git::Git::new(&ws.root).run_in(
        &ws.root,
        [
            "-c",
            "core.quotepath=off",
            "log",
            "--reverse",
            "--no-color",
            "--no-ext-diff",
            "--format=%x00%cs",
            "-p",
            "--unified=0",
            "--",
            MANIFEST_FILE,
        ],
    );
    let out = match log {
        Ok(out) => out,
        Err(crate::git::GitError::Failed { stderr, .. })
            if stderr.contains("not a git repository") =>
        {
            return Ok(BTreeMap::new());
        }
        Err(e) => {
            return Err(ForgeError::Other(format!(
                "{}: git log of {MANIFEST_FILE} failed: {e}\n  help: check the workspace repository (`git -C {} log -- {MANIFEST_FILE}`)",
                ws.root.display(),
                ws.root.display()
            )))
        }
    };
    let added = first_added(&String::from_utf8_lossy(&out.stdout));
    // The newest published release of each line.
    let mut newest: BTreeMap<MinorLine, (Version, &str)> = BTreeMap::new();
    for r in &ws.manifest.releases {
        let name = r.name.value.as_str();
        if ws.manifest.is_stage(name) {
            continue;
        }
        let Ok(v) = Version::parse(name) else {
            continue;
        };
        let e = newest.entry(v.line()).or_insert((v.clone(), name));
        if v > e.0 {
            *e = (v, name);
        }
    }
    Ok(newest
        .into_iter()
        .filter_map(|(line, (_, name))| {
            added.get(name).map(|date| {
                (
                    line,
                    Activity {
                        release: name.to_string(),
                        date: *date,
                    },
                )
            })
        })
        .collect())
}

/// The first day each release name appears as an added `name:` line in a `git log --reverse
/// -p --format=%x00%cs` of the manifest.
fn first_added(log: &str) -> HashMap<String, Date> {
    let mut out = HashMap::new();
    let mut day: Option<Date> = None;
    for line in log.lines() {
        if let Some(d) = line.strip_prefix('\0') {
            day = Date::parse(d.trim()).ok();
            continue;
        }
        let Some(added) = line.strip_prefix('+') else {
            continue;
        };
        if added.starts_with("++") {
            continue;
        }
        let t = added.trim_start().trim_start_matches('-').trim_start();
        // Block form `- name: X`, or flow form `- {name: X, …}`.
        let t = t.strip_prefix('{').map(str::trim_start).unwrap_or(t);
        let Some(rest) = t.strip_prefix("name:") else {
            continue;
        };
        let name = rest
            .split(['#', ',', '}'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        if let (Some(d), false) = (day, name.is_empty()) {
            out.entry(name.to_string()).or_insert(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_added_reads_the_oldest_addition() {
        let log = "\u{0}2024-01-02\n\ndiff --git a/releases.yml b/releases.yml\n+++ b/releases.yml\n@@ -1 +1,2 @@\n+  - name: v1.17.17-lts.1\n+    base_release: v1.17.17\n\u{0}2025-03-04\n@@ -3 +3 @@\n-  - name: v1.17.17-lts.1\n+  - name: \"v1.17.17-lts.1\"  # moved\n+  - {name: v1.17.17-lts.2, base_release: v1.17.17-lts.1}\n";
        let added = first_added(log);
        assert_eq!(
            added.get("v1.17.17-lts.1"),
            Some(&Date::parse("2024-01-02").unwrap())
        );
        assert_eq!(
            added.get("v1.17.17-lts.2"),
            Some(&Date::parse("2025-03-04").unwrap())
        );
    }

    /// A workspace outside any git repository has no activity (one git process decides);
    /// in a repository, a line's newest published release is dated by the commit that added it.
    #[test]
    fn activity_outside_and_inside_git() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(
            root.join(MANIFEST_FILE),
            "product: kubernetes\nbase: ./up\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n",
        )
        .unwrap();
        let ws = Workspace::open(root, Some(&root.join("cache"))).unwrap();
        assert!(line_activity(&ws).unwrap().is_empty());

        klts_testkit::git(root, &["init", "-q"]);
        klts_testkit::git(root, &["add", MANIFEST_FILE]);
        klts_testkit::git_at(
            root,
            &["commit", "-q", "-m", "first"],
            "2025-03-04T00:00:00Z",
        );
        let act = line_activity(&ws).unwrap();
        let line = Version::parse("v1.17.17").unwrap().line();
        assert_eq!(act[&line].release, "v1.17.17-lts.1");
        assert_eq!(act[&line].date, Date::parse("2025-03-04").unwrap());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = first_added(&s);
        }
    }
}
