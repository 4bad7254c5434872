//! Git evidence on a synthetic upstream and LTS workspace: a fix on master, its `cherry-pick -x`
//! on a release branch, a pull request merged with `--no-ff`, and LTS patches that carry the
//! fix by patch-id, by an `Upstream commit` trailer, or not at all.

use klts_forge::upstream::{needed_roots, Mirror};
use klts_forge::verify::{verify, Status, VerifyOptions, VerifyReport};
use klts_forge::Workspace;
use klts_vuln::gitfix::{fix_refs, is_commit_abbrev, FixIndex, FixRef, GitFix, Resolved};
use proptest::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

const REPO: &str = "github.com/kubernetes/kubernetes";

static CLOCK: AtomicU64 = AtomicU64::new(0);

fn git(dir: &Path, args: &[&str]) -> String {
    let t = format!(
        "@{} +0000",
        1_600_000_000 + 3600 * CLOCK.fetch_add(1, Ordering::SeqCst)
    );
    klts_testkit::git_at(dir, args, &t).trim().to_string()
}

use klts_testkit::lines;

fn commit(dir: &Path, file: &str, content: &str, message: &str) -> String {
    std::fs::write(dir.join(file), content).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

struct Setup {
    _tmp: tempfile::TempDir,
    ws: Workspace,
    report: VerifyReport,
    /// The fix on master.
    fix: String,
    /// Its `cherry-pick -x` on release-1.0.
    pick: String,
    /// The commit of pull request #42.
    pr_commit: String,
}

impl Setup {
    fn root(&self, release: &str) -> String {
        self.rel(release).root_commit.clone().expect("root commit")
    }
    fn commit(&self, release: &str) -> String {
        self.rel(release).commit.clone().expect("release commit")
    }
    fn rel(&self, release: &str) -> &klts_forge::verify::ReleaseReport {
        let r = self
            .report
            .releases
            .iter()
            .find(|r| r.release == release)
            .expect("release in report");
        assert_eq!(r.status, Status::Ok, "{release}: {:?}", r.error);
        r
    }
}

/// Upstream: v1.0.0; master gets an unrelated change, the fix, and PR #42 (merged `--no-ff`),
/// then v1.1.0; release-1.0 gets `cherry-pick -x` of the fix, then v1.0.1. The workspace has
/// one release per case.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let up = tmp.path().join("upstream");
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    std::fs::write(up.join("b.go"), lines(&[])).unwrap();
    std::fs::write(up.join("c.go"), lines(&[])).unwrap();
    commit(&up, "a.go", &lines(&[]), "initial");
    git(&up, &["tag", "v1.0.0"]);
    commit(
        &up,
        "c.go",
        &lines(&[(18, "unrelated")]),
        "Unrelated change",
    );
    let fix = commit(
        &up,
        "a.go",
        &lines(&[(4, "line 4 checked")]),
        "Check the input (CVE-0000-0001)",
    );
    git(&up, &["checkout", "-q", "-b", "feature"]);
    let pr_commit = commit(&up, "b.go", &lines(&[(10, "line 10 safe")]), "Make b safe");
    git(&up, &["checkout", "-q", "master"]);
    git(
        &up,
        &[
            "merge",
            "-q",
            "--no-ff",
            "feature",
            "-m",
            "Merge pull request #42 from a/b",
        ],
    );
    git(&up, &["tag", "v1.1.0"]);
    git(&up, &["checkout", "-q", "-b", "release-1.0", "v1.0.0"]);
    git(&up, &["cherry-pick", "-x", &fix]);
    let pick = git(&up, &["rev-parse", "HEAD"]);
    git(&up, &["tag", "v1.0.1"]);

    // LTS patches, made on a scratch branch that is deleted again.
    git(&up, &["checkout", "-q", "-b", "scratch", "v1.0.0"]);
    let exported = git(&up, &["format-patch", "-1", "--stdout", &fix]);
    commit(
        &up,
        "a.go",
        &lines(&[(5, "line 5 checked differently")]),
        &format!("Check the input, 1.0 style\n\nUpstream commit {fix}\n"),
    );
    let backport = git(&up, &["format-patch", "-1", "--stdout", "HEAD"]);
    commit(
        &up,
        "c.go",
        &lines(&[(2, "lts only")]),
        "LTS-only tweak\n\n(cherry picked from commit 0123456)\n",
    );
    let unrelated = git(&up, &["format-patch", "-1", "--stdout", "HEAD"]);
    git(&up, &["checkout", "-q", "master"]);
    git(&up, &["branch", "-D", "-q", "scratch"]);

    let wsdir = tmp.path().join("ws");
    std::fs::create_dir_all(wsdir.join("patches")).unwrap();
    for (name, bytes) in [
        ("fix-exported", &exported),
        ("backport", &backport),
        ("unrelated", &unrelated),
    ] {
        std::fs::write(
            wsdir.join("patches").join(format!("{name}.patch")),
            format!("{bytes}\n"),
        )
        .unwrap();
    }
    let manifest = format!(
        "base: {}\nreleases:\n\
         - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    patches: [fix-exported]\n\
         - name: v1.0.0-lts.2\n    base_release: v1.0.0\n    patches: [backport]\n\
         - name: v1.0.0-lts.3\n    base_release: v1.0.0\n    patches: [unrelated]\n\
         - name: v1.0.1-lts.1\n    base_release: v1.0.1\n    patches: [unrelated]\n\
         - name: v1.1.0-lts.1\n    base_release: v1.1.0\n    patches: [unrelated]\n",
        up.display()
    )
    .replace("\n- name", "\n  - name");
    std::fs::write(wsdir.join("releases.yml"), manifest).unwrap();
    let ws = Workspace::open(&wsdir, None).expect("workspace");
    // The tags and the default branch, as `klts fetch` does when patches name upstream changes.
    Mirror::of(&ws)
        .fetch(&needed_roots(&ws), true)
        .expect("fetch");
    let names: Vec<String> = ws
        .manifest
        .releases
        .iter()
        .map(|r| r.name.value.clone())
        .collect();
    let report = verify(&ws, &names, &VerifyOptions::default(), &|_, _| {}).expect("verify");
    Setup {
        _tmp: tmp,
        ws,
        report,
        fix,
        pick,
        pr_commit,
    }
}

fn references(fix: &str) -> Vec<String> {
    vec![
        format!(
            "https://github.com/kubernetes/kubernetes/commit/{}",
            &fix[..12]
        ),
        "https://github.com/kubernetes/kubernetes/pull/42".into(),
        "https://github.com/kubernetes/kubernetes/pull/4.patch".into(),
        "https://github.com/kubernetes/kubernetes/commit/deadbeefdeadbeefdead".into(),
        "https://github.com/kubernetes/kubernetes/issues/1".into(),
    ]
}

/// Every verdict of the scenario, in a fixed order.
fn verdicts(s: &Setup, index: &mut FixIndex) -> (Resolved, Vec<Option<GitFix>>) {
    let refs = fix_refs(&references(&s.fix), REPO);
    let fix = index.resolve(&refs).expect("resolve");
    let mut out = Vec::new();
    for r in ["v1.1.0-lts.1", "v1.0.1-lts.1", "v1.0.0-lts.1"] {
        out.push(index.upstream_fix(&s.root(r), &fix).expect("upstream_fix"));
    }
    for r in [
        "v1.0.0-lts.1",
        "v1.0.0-lts.2",
        "v1.0.0-lts.3",
        "v1.1.0-lts.1",
    ] {
        out.push(
            index
                .patch_fix(&s.root(r), &s.commit(r), &fix)
                .expect("patch_fix"),
        );
    }
    (fix, out)
}

#[test]
fn contains_cherry_pick_patch_id_trailer_and_none() {
    let s = setup();
    let mut index = FixIndex::open(&s.ws).expect("open").expect("a mirror");
    let (fix, got) = verdicts(&s, &mut index);

    // The fix commit (from an abbreviation) and the PR's commit; what the mirror lacks.
    let commits: Vec<(&str, &FixRef)> = fix
        .commits
        .iter()
        .map(|c| (c.commit.as_str(), &c.via))
        .collect();
    assert_eq!(
        commits,
        vec![
            (s.fix.as_str(), &FixRef::Commit(s.fix[..12].to_string())),
            (s.pr_commit.as_str(), &FixRef::Pull(42)),
        ]
    );
    assert_eq!(fix.commits[0].subject, "Check the input (CVE-0000-0001)");
    assert!(fix.commits.iter().all(|c| c.patch_id.is_some()));
    // `#4` is not `#42`.
    assert_eq!(
        fix.missing,
        vec![
            FixRef::Commit("deadbeefdeadbeefdead".into()),
            FixRef::Pull(4)
        ]
    );

    let lts1 = s.commit("v1.0.0-lts.1");
    let lts2 = s.commit("v1.0.0-lts.2");
    assert_eq!(
        got,
        vec![
            Some(GitFix::Contains { fix: s.fix.clone() }),
            Some(GitFix::CherryPick {
                fix: s.fix.clone(),
                commit: s.pick.clone()
            }),
            None,
            Some(GitFix::PatchId {
                fix: s.fix.clone(),
                commit: lts1,
                subject: "Check the input (CVE-0000-0001)".into()
            }),
            Some(GitFix::Trailer {
                fix: s.fix.clone(),
                commit: lts2,
                subject: "Check the input, 1.0 style".into(),
                trailer: format!("Upstream commit {}", s.fix),
            }),
            // The unrelated patch's `(cherry picked from commit 0123456)` is too short to count.
            None,
            None,
        ]
    );
    assert!(index.git_runs().patch_id > 0);

    // A pull request alone: its second-parent range is the fix.
    let pr = index.resolve(&[FixRef::Pull(42)]).unwrap();
    assert_eq!(pr.commits.len(), 1);
    assert_eq!(
        index.upstream_fix(&s.root("v1.1.0-lts.1"), &pr).unwrap(),
        Some(GitFix::Contains {
            fix: s.pr_commit.clone()
        })
    );
    assert_eq!(
        index.upstream_fix(&s.root("v1.0.1-lts.1"), &pr).unwrap(),
        None
    );
    index.flush().unwrap();
    drop(index);

    // Warm: the same answers from the cache. No patch-id, no log, no merge-base: the one git
    // process is the `for-each-ref` that checks the references found missing last time are
    // still missing (the mirror's upstream refs did not change).
    let mut warm = FixIndex::open(&s.ws).unwrap().unwrap();
    let (warm_fix, warm_got) = verdicts(&s, &mut warm);
    assert_eq!(warm_fix, fix);
    assert_eq!(warm_got, got);
    assert_eq!(warm.git_runs().patch_id, 0);
    assert_eq!(warm.git_runs().total, 1, "{:?}", warm.git_runs());
    drop(warm);
    // Without missing references, a warm run starts no git process at all.
    let mut warm = FixIndex::open(&s.ws).unwrap().unwrap();
    let found = warm
        .resolve(&fix_refs(&references(&s.fix)[..2], REPO))
        .unwrap();
    assert_eq!(found.commits, fix.commits);
    assert_eq!(
        warm.upstream_fix(&s.root("v1.0.1-lts.1"), &found).unwrap(),
        got[1]
    );
    assert_eq!(warm.git_runs().total, 0, "{:?}", warm.git_runs());
    assert!(s.ws.cache_dir.join("patch-ids/v1/refs").is_file());
}

#[test]
fn hostile_refs_and_bad_commits() {
    let s = setup();
    let mut index = FixIndex::open(&s.ws).unwrap().unwrap();
    // Hand-built refs that are not hex never reach git: they are simply not found.
    let r = index
        .resolve(&[
            FixRef::Commit("--all".into()),
            FixRef::Commit("HEAD".into()),
            FixRef::Commit(s.fix.to_uppercase()),
        ])
        .unwrap();
    assert!(r.commits.is_empty());
    assert_eq!(r.missing.len(), 3);
    // Roots and releases must be commit ids; one the mirror lacks is an error, not a verdict.
    let fix = index.resolve(&[FixRef::Commit(s.fix.clone())]).unwrap();
    assert!(index.upstream_fix("HEAD", &fix).is_err());
    let absent = "0".repeat(40);
    assert!(index.upstream_fix(&absent, &fix).is_err());
    assert!(index
        .patch_fix(&s.root("v1.0.0-lts.1"), &absent, &fix)
        .is_err());
    // No fix commits: nothing to carry.
    assert_eq!(
        index
            .upstream_fix(&s.root("v1.1.0-lts.1"), &Resolved::default())
            .unwrap(),
        None
    );
}

#[test]
fn no_mirror_no_index() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("releases.yml"),
        "base: https://example.invalid/k\nreleases: []\n",
    )
    .unwrap();
    let ws = Workspace::open(tmp.path(), None).unwrap();
    assert!(FixIndex::open(&ws).unwrap().is_none());
}

proptest! {
    #[test]
    fn fix_refs_never_panics_and_returns_only_valid_refs(
        urls in prop::collection::vec(
            prop_oneof![
                "\\PC{0,60}",
                "https://github\\.com/kubernetes/kubernetes/(commit|pull)/[0-9a-fA-Fx+\\-]{0,70}(\\.patch|\\.diff|/commits/[0-9a-z]{0,50})?",
            ],
            0..6,
        ),
        repo in prop_oneof![Just(REPO.to_string()), "\\PC{0,30}"],
    ) {
        let refs = fix_refs(&urls, &repo);
        for r in &refs {
            match r {
                FixRef::Commit(sha) => prop_assert!(is_commit_abbrev(sha), "{sha}"),
                FixRef::Pull(n) => prop_assert!(*n > 0),
            }
        }
        let mut sorted = refs.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(sorted, refs);
    }
}
