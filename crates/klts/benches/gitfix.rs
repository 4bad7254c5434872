//! Benchmark of git evidence (`klts_vuln::gitfix`) over a full matrix: 47 releases × 100
//! advisories, `upstream_fix` and `patch_fix` for every pair.
//!
//! The synthetic upstream has 16 minor lines. For each line, a `release-1.M` branch is cut from
//! master and tagged `v1.M.0`; then six fixes land on master (every third one through a pull
//! request merged with `--no-ff`, "Merge pull request #N from …"), the first two are
//! `cherry-pick -x`-ed onto the release branch for `v1.M.1`, a third one for `v1.M.2`. The LTS
//! workspace has one release per tag (47: all but `v1.16.2`), each with a patch exporting a
//! later fix (patch-id match), a different backport naming a later fix in an `Upstream commit`
//! trailer, and an unrelated patch. 96 advisories reference those fixes (by commit or pull
//! request URL); 4 more reference commits the mirror does not have.
//!
//! It prints the cold run (empty patch-id cache: every patch-id, merge-base and range is
//! computed) and the warm run (median of 5, from the cache), the warm/cold ratio, the git
//! processes each started, and how many verdicts of each kind came out.
//!
//! Run: `cargo bench -p klts --bench gitfix`.

use klts_forge::upstream::{needed_roots, Mirror};
use klts_forge::verify::{verify, Status, VerifyOptions};
use klts_forge::Workspace;
use klts_vuln::gitfix::{fix_refs, FixIndex, GitFix, GitRuns};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const LINES: u32 = 16;
const FIXES_PER_LINE: usize = 6;

fn git(dir: &Path, args: &[&str]) -> String {
    klts_testkit::git_at(dir, args, "@1600000000 +0000")
        .trim()
        .to_string()
}

/// [`klts_testkit::lines`] over owned replacement lines.
fn lines(changes: &[(usize, String)]) -> String {
    let changes: Vec<(usize, &str)> = changes.iter().map(|(n, s)| (*n, s.as_str())).collect();
    klts_testkit::lines(&changes)
}

fn commit_file(dir: &Path, file: &str, content: &str, message: &str) -> String {
    std::fs::write(dir.join(file), content).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// One fix: the commit, and the pull request that merged it (if any).
struct Fix {
    commit: String,
    pull: Option<u64>,
}

/// One pass over the matrix; returns the time, the git processes and the verdict counts.
fn matrix(
    ws: &Workspace,
    advisories: &[Vec<String>],
    releases: &[(String, String, String)],
) -> (Duration, GitRuns, BTreeMap<&'static str, usize>) {
    let start = Instant::now();
    let mut index = FixIndex::open(ws).expect("open").expect("mirror");
    let mut counts = BTreeMap::new();
    for refs in advisories {
        let fix = index
            .resolve(&fix_refs(refs, "github.com/kubernetes/kubernetes"))
            .expect("resolve");
        for (_, root, commit) in releases {
            let kind = match index.upstream_fix(root, &fix).expect("upstream_fix") {
                Some(GitFix::Contains { .. }) => "contains",
                Some(_) => "cherry-pick",
                None => match index.patch_fix(root, commit, &fix).expect("patch_fix") {
                    Some(GitFix::PatchId { .. }) => "patch-id",
                    Some(_) => "trailer",
                    None => "none",
                },
            };
            *counts.entry(kind).or_insert(0) += 1;
        }
    }
    index.flush().expect("flush");
    let runs = index.git_runs();
    drop(index);
    (start.elapsed(), runs, counts)
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let up = tmp.path().join("upstream");
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    let total = LINES as usize * FIXES_PER_LINE;
    for k in 0..total {
        std::fs::write(up.join(format!("f{k}.go")), lines(&[])).unwrap();
    }
    commit_file(&up, "README", "upstream\n", "initial");

    let build = Instant::now();
    let mut fixes: Vec<Fix> = Vec::new();
    let mut tags = Vec::new();
    for m in 1..=LINES {
        let branch = format!("release-1.{m}");
        git(&up, &["branch", &branch, "master"]);
        git(&up, &["tag", &format!("v1.{m}.0"), &branch]);
        for k in fixes.len()..fixes.len() + FIXES_PER_LINE {
            let file = format!("f{k}.go");
            let content = lines(&[(4, format!("line 4 fixed by {k}"))]);
            let message = format!("Fix CVE-2099-{k:04}");
            if k % 3 == 0 {
                let number = 1000 + k as u64;
                git(&up, &["checkout", "-q", "-b", &format!("pr-{k}")]);
                let commit = commit_file(&up, &file, &content, &message);
                git(&up, &["checkout", "-q", "master"]);
                git(
                    &up,
                    &[
                        "merge",
                        "-q",
                        "--no-ff",
                        &format!("pr-{k}"),
                        "-m",
                        &format!("Merge pull request #{number} from dev/pr-{k}"),
                    ],
                );
                fixes.push(Fix {
                    commit,
                    pull: Some(number),
                });
            } else {
                let commit = commit_file(&up, &file, &content, &message);
                fixes.push(Fix { commit, pull: None });
            }
        }
        let first = fixes.len() - FIXES_PER_LINE;
        git(&up, &["checkout", "-q", &branch]);
        for fix in &fixes[first..first + 2] {
            git(&up, &["cherry-pick", "-x", &fix.commit]);
        }
        git(&up, &["tag", &format!("v1.{m}.1")]);
        git(&up, &["cherry-pick", "-x", &fixes[first + 2].commit]);
        git(&up, &["tag", &format!("v1.{m}.2")]);
        git(&up, &["checkout", "-q", "master"]);
        for p in 0..3 {
            tags.push((m, p));
        }
    }
    tags.retain(|&(m, p)| !(m == LINES && p == 2));

    // Workspace: per release, an exported later fix, a trailer backport of another, and an
    // unrelated patch.
    let wsdir = tmp.path().join("ws");
    std::fs::create_dir_all(wsdir.join("patches")).unwrap();
    let mut yml = format!("base: {}\nreleases:\n", up.display());
    for &(m, p) in &tags {
        let tag = format!("v1.{m}.{p}");
        let mut patches = Vec::new();
        // Fixes of the next line are in no tag of this line.
        let later = m as usize * FIXES_PER_LINE;
        if later + 5 < total {
            let k = later + p as usize;
            let name = format!("fix-{k}-on-{tag}");
            let bytes = git(&up, &["format-patch", "-1", "--stdout", &fixes[k].commit]);
            std::fs::write(
                wsdir.join("patches").join(format!("{name}.patch")),
                bytes + "\n",
            )
            .unwrap();
            patches.push(name);
            let k = later + 3 + p as usize;
            git(&up, &["checkout", "-q", "-b", "scratch", &tag]);
            commit_file(
                &up,
                &format!("f{k}.go"),
                &lines(&[(8, format!("line 8 backported {k}"))]),
                &format!(
                    "Backport CVE-2099-{k:04}\n\nUpstream commit {}\n",
                    fixes[k].commit
                ),
            );
            let name = format!("backport-{k}-on-{tag}");
            let bytes = git(&up, &["format-patch", "-1", "--stdout", "HEAD"]);
            std::fs::write(
                wsdir.join("patches").join(format!("{name}.patch")),
                bytes + "\n",
            )
            .unwrap();
            patches.push(name);
            git(&up, &["checkout", "-q", "master"]);
            git(&up, &["branch", "-q", "-D", "scratch"]);
        }
        git(&up, &["checkout", "-q", "-b", "scratch", &tag]);
        commit_file(&up, "README", &format!("lts {tag}\n"), "LTS note");
        let name = format!("note-{tag}");
        let bytes = git(&up, &["format-patch", "-1", "--stdout", "HEAD"]);
        std::fs::write(
            wsdir.join("patches").join(format!("{name}.patch")),
            bytes + "\n",
        )
        .unwrap();
        patches.push(name);
        git(&up, &["checkout", "-q", "master"]);
        git(&up, &["branch", "-q", "-D", "scratch"]);
        yml.push_str(&format!(
            "  - name: {tag}-lts.1\n    base_release: {tag}\n    patches: [{}]\n",
            patches.join(", ")
        ));
    }
    std::fs::write(wsdir.join("releases.yml"), yml).unwrap();
    let ws = Workspace::open(&wsdir, None).expect("workspace");
    Mirror::of(&ws)
        .fetch(&needed_roots(&ws), true)
        .expect("fetch");
    let names: Vec<String> = ws
        .manifest
        .releases
        .iter()
        .map(|r| r.name.value.clone())
        .collect();
    let options = VerifyOptions {
        jobs: 2,
        ..VerifyOptions::default()
    };
    let report = verify(&ws, &names, &options, &|_, _| {}).expect("verify");
    let releases: Vec<(String, String, String)> = report
        .releases
        .iter()
        .map(|r| {
            assert_eq!(r.status, Status::Ok, "{}: {:?}", r.release, r.error);
            (
                r.release.clone(),
                r.root_commit.clone().expect("root"),
                r.commit.clone().expect("commit"),
            )
        })
        .collect();
    let setup = build.elapsed();

    let base = "https://github.com/kubernetes/kubernetes";
    let mut advisories: Vec<Vec<String>> = fixes
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let fix = match f.pull {
                Some(n) => format!("{base}/pull/{n}"),
                None => format!("{base}/commit/{}", &f.commit[..12]),
            };
            vec![fix, format!("{base}/issues/{}", 90_000 + k)]
        })
        .collect();
    for k in 0..4 {
        advisories.push(vec![format!("{base}/commit/deadbeef{k:04}")]);
    }

    let (cold, cold_runs, counts) = matrix(&ws, &advisories, &releases);
    let mut warm = Vec::new();
    let mut warm_runs = GitRuns::default();
    for _ in 0..5 {
        let (t, runs, c) = matrix(&ws, &advisories, &releases);
        assert_eq!(c, counts, "warm verdicts differ from cold ones");
        warm.push(t);
        warm_runs = runs;
    }
    warm.sort();
    let median = warm[warm.len() / 2];
    println!("klts gitfix benchmark");
    println!(
        "  releases × advisories   {} × {} = {} pairs (upstream_fix, then patch_fix)",
        releases.len(),
        advisories.len(),
        releases.len() * advisories.len()
    );
    println!(
        "  setup (repo + verify)   {:>8.0} ms",
        setup.as_secs_f64() * 1e3
    );
    println!(
        "  cold (empty cache)      {:>8.1} ms  git processes {} (patch-id {})",
        cold.as_secs_f64() * 1e3,
        cold_runs.total,
        cold_runs.patch_id
    );
    println!(
        "  warm (median of 5)      {:>8.1} ms  git processes {} (patch-id {})  runs {:?}",
        median.as_secs_f64() * 1e3,
        warm_runs.total,
        warm_runs.patch_id,
        warm
    );
    println!(
        "  warm / cold             {:>8.3}",
        median.as_secs_f64() / cold.as_secs_f64()
    );
    println!("  verdicts                {counts:?}");
}
