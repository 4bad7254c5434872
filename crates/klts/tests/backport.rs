//! `klts backport` end to end on a synthetic upstream with five lines, where the same master
//! fix applies cleanly on two, needs the 3-way fallback on one, conflicts on one and is already
//! present (cherry-picked) on one.

mod support;

use serde_json::Value;
use support::*;

const MANIFEST: &str = "# KLTS manifest (test)\nbase: UPSTREAM   # the upstream\n\nreleases:\n\n  # 1.4: newest line\n  - name: v1.4.0-lts.1\n    base_release: v1.4.0\n    must: true\n    patches: []\n\n  - name: v1.3.0-lts.1\n    base_release: v1.3.0\n    must: true\n    patches:\n      - keep   # an existing patch\n\n  - {name: v1.2.0-lts.1, base_release: v1.2.0, must: true}\n\n  - name: v1.1.0-lts.1\n    base_release: v1.1.0\n    must: true\n\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n\n# end of releases\n";

struct Fixture {
    _tmp: tempfile::TempDir,
    up: Repo,
    ws: Ws,
    fix: String,
    merge: String,
    /// A fix of a file only master has.
    master_only: String,
}

/// master: a.go and b.go; release-1.X forks from the first commit. Then on master, pull
/// request #7 = the fix (a.go line 10) + a CHANGELOG commit, merged.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("pkg/a.go", lines(&[]));
    up.write("pkg/b.go", lines(&[]));
    up.write("CHANGELOG.md", "# changes\n");
    let root = up.commit("initial import");
    // The fix, on a PR branch off master.
    up.branch("fix-branch", &root);
    up.write("pkg/a.go", lines(&[(10, "line 10 fixed")]));
    let fix =
        up.commit("Fix line 10\n\nThe line was wrong.\n\nSigned-off-by: Dev <dev@upstream.test>");
    up.write("CHANGELOG.md", "# changes\n- fix line 10\n");
    up.commit("Update CHANGELOG");
    up.checkout("master");
    git(
        &up.dir,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #7 from dev/fix-branch",
            "fix-branch",
        ],
    );
    let merge = up.rev("HEAD");
    up.write("pkg/master-only.go", lines(&[]));
    up.commit("add a master-only file");
    up.write("pkg/master-only.go", lines(&[(1, "fixed")]));
    let master_only = up.commit("fix the master-only file");
    // release-1.0: line 10 changed differently: conflict.
    up.branch("release-1.0", &root);
    up.write("pkg/a.go", lines(&[(10, "line 10 as 1.0 has it")]));
    up.commit("1.0: line 10");
    up.tag("v1.0.0");
    // release-1.1: line 13 changed (inside the fix's context): plain apply fails, 3-way merges.
    up.branch("release-1.1", &root);
    up.write("pkg/a.go", lines(&[(13, "line 13 in 1.1")]));
    up.commit("1.1: line 13");
    up.tag("v1.1.0");
    // release-1.2: the fix cherry-picked already.
    up.branch("release-1.2", &root);
    git(&up.dir, &["cherry-pick", "-x", &fix]);
    up.tag("v1.2.0");
    // release-1.3 and 1.4: unrelated changes: clean.
    up.branch("release-1.3", &root);
    up.write("pkg/b.go", lines(&[(2, "b in 1.3")]));
    up.commit("1.3: b");
    up.tag("v1.3.0");
    up.branch("release-1.4", &root);
    up.write("pkg/b.go", lines(&[(4, "b in 1.4")]));
    up.commit("1.4: b");
    up.tag("v1.4.0");
    up.checkout("master");
    let ws = Ws::new(
        &tmp.path().join("ws"),
        &MANIFEST.replace("UPSTREAM", up.dir.to_str().unwrap()),
    );
    // `keep`: an existing patch of 1.3 (b.go line 20).
    up.checkout("release-1.3");
    up.write("pkg/b.go", lines(&[(2, "b in 1.3"), (20, "kept")]));
    up.commit("keep: line 20");
    ws.patch("keep", &up.format_patch("-1"));
    git(&up.dir, &["reset", "-q", "--hard", "HEAD~1"]);
    up.checkout("master");
    Fixture {
        _tmp: tmp,
        up,
        ws,
        fix,
        merge,
        master_only,
    }
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk_files(&p) } else { 1 })
            .sum()
    })
}

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn line<'a>(v: &'a Value, l: &str) -> &'a Value {
    v["report"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["line"] == l)
        .unwrap_or_else(|| panic!("no line {l}"))
}

#[test]
fn statuses_per_line_and_bookkeeping_left_out() {
    let f = fixture();
    let out = f.ws.klts(&["backport", "#7", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json_of(&out);
    let commits = v["report"]["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 1, "{v}");
    assert_eq!(commits[0]["commit"], f.fix.as_str());
    let left = v["report"]["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["subject"], "Update CHANGELOG");
    assert!(left[0]["reason"].as_str().unwrap().contains("bookkeeping"));
    let status = |l: &str| line(&v, l)["status"].as_str().unwrap().to_string();
    assert_eq!(status("1.0"), "conflict");
    assert_eq!(status("1.1"), "3-way");
    assert_eq!(status("1.2"), "already-present");
    assert_eq!(status("1.3"), "clean");
    assert_eq!(status("1.4"), "clean");
    assert_eq!(
        line(&v, "1.0")["commits"][0]["detail"],
        serde_json::json!(["pkg/a.go"])
    );
    assert_eq!(
        line(&v, "1.0")["commits"][0]["hunks"],
        serde_json::json!(["pkg/a.go:7"])
    );
    assert!(line(&v, "1.2")["commits"][0]["detail"][0]
        .as_str()
        .unwrap()
        .contains("patch-id"));
    // Nothing written without --write; no ref or step-cache entry for the tries: the only
    // step entry is `keep` of v1.3.0-lts.1, which verify materialized.
    let steps: usize = walk_files(&f.ws.dir.join(".klts/steps"));
    assert_eq!(steps, 1);
    let refs = git(&f.ws.mirror(), &["for-each-ref", "--format=%(refname)"]);
    assert!(
        refs.lines().all(|r| r.starts_with("refs/tags/v")
            || r.starts_with("refs/klts/releases/")
            || r == "refs/klts/upstream/HEAD"),
        "{refs}"
    );
    assert!(!f.ws.dir.join("patches/pr-7.1.4.patch").exists());
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        MANIFEST.replace("UPSTREAM", f.up.dir.to_str().unwrap())
    );

    // The table says the same, and the same merge commit as FIX means the same PR.
    let out = f.ws.klts(&["backport", &f.merge, "--lines", "1.3,1.4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("pull request #7"), "{text}");
    assert!(text.contains("left out"), "{text}");
    assert!(text.contains("1.4    v1.4.0-lts.1"), "{text}");
    assert!(!text.contains("1.0 "), "{text}");
}

#[test]
fn write_adds_patches_and_releases_that_verify() {
    let f = fixture();
    let before = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    // --dry-run: the diff, nothing written.
    let out = f.ws.klts(&[
        "backport",
        &f.fix,
        "--lines",
        "1.1,1.2,1.3,1.4",
        "--name",
        "fix10",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("would write patches/fix10.1.4.patch"),
        "{text}"
    );
    assert!(text.contains("+  - name: v1.4.0-lts.2\n"), "{text}");
    assert!(!f.ws.dir.join("patches/fix10.1.4.patch").exists());
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        before
    );

    let out = f.ws.klts(&[
        "backport",
        &f.fix,
        "--lines",
        "1.1,1.2,1.3,1.4",
        "--name",
        "fix10",
        "--write",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Patches for the lines where it applied (1.1 by 3-way, 1.3, 1.4), none for 1.2.
    for l in ["1.1", "1.3", "1.4"] {
        let p = f.ws.dir.join(format!("patches/fix10.{l}.patch"));
        let bytes = std::fs::read_to_string(&p).unwrap();
        assert!(
            bytes.contains(&format!(
                "Signed-off-by: Dev <dev@upstream.test>\n(cherry picked from commit {})\n",
                f.fix
            )),
            "{bytes}"
        );
        assert!(bytes.contains("From: Upstream Dev <dev@upstream.test>"));
        // It applies with `git am` onto the line's release.
        let wt = f._tmp.path().join(format!("am-{l}"));
        git(
            f._tmp.path(),
            &[
                "clone",
                "-q",
                f.up.dir.to_str().unwrap(),
                wt.to_str().unwrap(),
            ],
        );
        git(&wt, &["checkout", "-q", &format!("v{l}.0")]);
        if l == "1.3" {
            let keep = f.ws.dir.join("patches/keep.patch");
            git(&wt, &["am", "-q", keep.to_str().unwrap()]);
        }
        git(&wt, &["am", "-q", p.to_str().unwrap()]);
        assert!(git(&wt, &["show", "HEAD:pkg/a.go"]).contains("line 10 fixed"));
    }
    assert!(!f.ws.dir.join("patches/fix10.1.2.patch").exists());
    // Written already in the form `klts fmt` keeps (only the hand-made `keep` would change).
    let out = f.ws.klts(&["fmt", "--check"]);
    assert_eq!(stdout(&out), "would reformat patches/keep.patch\n");
    // releases.yml: the old text plus exactly the inserted entries, in the anchors' style.
    let after = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let inserted = [
        "  - name: v1.4.0-lts.2\n    base_release: v1.4.0-lts.1\n    must: true\n    patches: [fix10.1.4]\n\n",
        "  - name: v1.3.0-lts.2\n    base_release: v1.3.0-lts.1\n    must: true\n    patches:\n      - fix10.1.3\n\n",
        "  - name: v1.1.0-lts.2\n    base_release: v1.1.0-lts.1\n    must: true\n    patches:\n      - fix10.1.1\n\n",
    ];
    let mut rebuilt = after.clone();
    for i in inserted {
        assert!(after.contains(i), "{i}\n---\n{after}");
        rebuilt = rebuilt.replacen(i, "", 1);
    }
    assert_eq!(rebuilt, before);
    assert!(after.contains("  # 1.4: newest line\n  - name: v1.4.0-lts.2\n"));
    // The new releases verify (the patch applies onto the previous newest release).
    let out = f.ws.klts(&[
        "verify",
        "v1.1.0-lts.2",
        "v1.3.0-lts.2",
        "v1.4.0-lts.2",
        "--offline",
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // Running it again: 1.4's newest release is now v1.4.0-lts.2, whose chain has the fix
    // (by patch-id): already present, nothing to write, nothing changes.
    let out = f.ws.klts(&[
        "backport", &f.fix, "--lines", "1.4", "--name", "fix10", "--write", "-o", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(line(&v, "1.4")["release"], "v1.4.0-lts.2");
    assert_eq!(line(&v, "1.4")["status"], "already-present");
    assert_eq!(v["write"]["patches"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        after
    );
}

#[test]
fn patch_file_and_commit_url_fixes() {
    let f = fixture();
    // A commit URL resolves from the mirror (the upstream's default branch is fetched once).
    let url = format!("https://github.com/o/r/commit/{}.patch", f.fix);
    let out =
        f.ws.klts(&["backport", &url, "--lines", "1.4", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(line(&json_of(&out), "1.4")["status"], "clean");
    // A patch file: its `From <sha>` line names the commit, so 1.2 knows it has it.
    let file = f._tmp.path().join("fix.patch");
    let bytes = git_output(&f.up.dir, &["format-patch", "-1", "--stdout", &f.fix], &[]).stdout;
    std::fs::write(&file, bytes).unwrap();
    let out = f.ws.klts(&[
        "backport",
        file.to_str().unwrap(),
        "--lines",
        "1.2,1.4",
        "--offline",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(line(&v, "1.2")["status"], "already-present");
    assert_eq!(line(&v, "1.4")["status"], "clean");
    // A fix of a file the line does not have: not applicable, exit 0, nothing to write.
    let out = f.ws.klts(&[
        "backport",
        &f.master_only,
        "--lines",
        "1.4",
        "--offline",
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(line(&v, "1.4")["status"], "not-applicable");
    assert_eq!(v["write"]["patches"], serde_json::json!([]));
}

#[test]
fn release_new_cuts_the_next_release_of_a_line() {
    let f = fixture();
    let before = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let out =
        f.ws.klts(&["release", "new", "1.2", "--patch", "keep", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "+  - {name: v1.2.0-lts.2, base_release: v1.2.0-lts.1, must: true, patches: [keep]}\n"
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        before
    );
    let out = f.ws.klts(&["release", "new", "1.2", "--patch", "keep"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    assert_eq!(
        after.replacen(
            "  - {name: v1.2.0-lts.2, base_release: v1.2.0-lts.1, must: true, patches: [keep]}\n\n",
            "",
            1
        ),
        before
    );
    // Bad input: a line without a release, an unknown patch, a hostile name; nothing written.
    for args in [
        &["release", "new", "1.9"][..],
        &["release", "new", "1.2", "--patch", "nope"],
        &["release", "new", "1.2", "--patch", "../x"],
        &["release", "new", "x.y"],
    ] {
        let out = f.ws.klts(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        after
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let f = fixture();
    let before = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let cases: &[&[&str]] = &[
        &["backport", "0123456789abcdef0123456789abcdef01234567"],
        &["backport", "not-a-fix"],
        &["backport", "#99"],
        &["backport", &f.fix, "--lines", "1.9"],
        &["backport", &f.fix, "--name", "../evil", "--write"],
        &["backport", &f.fix, "--skip", "fedcba9876"],
        &[
            "backport", &f.fix, "--lines", "1.4", "--name", "keep", "--write",
        ],
    ];
    // `keep.1.4` does not exist, but make NAME collide: patches/keep.1.4.patch.
    std::fs::write(f.ws.dir.join("patches/keep.1.4.patch"), "x").unwrap();
    for args in cases {
        let out = f.ws.klts(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("help:") || stderr(&out).contains("error:"),
            "{args:?}"
        );
    }
    let e = stderr(&f.ws.klts(&["backport", &f.fix, "--lines", "1.9"]));
    assert!(e.contains("line 1.9 has no release"), "{e}");
    let e = stderr(&f.ws.klts(&["backport", "#99"]));
    assert!(e.contains("not merged"), "{e}");
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        before
    );
    let mut patches: Vec<_> = std::fs::read_dir(f.ws.dir.join("patches"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    patches.sort();
    assert_eq!(patches, ["keep.1.4.patch", "keep.patch"]);
}

/// `--resolve 1.0 --worktree DIR` stops in `git am` state at the conflict; after the
/// maintainer resolves and continues, `klts refresh` writes the patch and the release, which
/// verify. Refresh refuses while `git am` runs, with uncommitted changes, and with another
/// NAME; `--resolve` refuses a non-empty directory without touching anything.
#[test]
fn resolve_by_hand_then_refresh_writes_a_release_that_verifies() {
    let f = fixture();
    let before = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let wt = f._tmp.path().join("resolve-1.0");

    // A directory in the way: exit 2, its file untouched, no worktree added to the mirror.
    std::fs::create_dir_all(&wt).unwrap();
    std::fs::write(wt.join("mine.txt"), "keep me").unwrap();
    let wt_s = wt.to_str().unwrap().to_string();
    let out = f.ws.klts(&[
        "backport",
        &f.fix,
        "--resolve",
        "1.0",
        "--worktree",
        &wt_s,
        "--name",
        "fix10",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(wt.join("mine.txt")).unwrap(),
        "keep me"
    );
    assert!(!f.ws.mirror().join("worktrees").exists());
    std::fs::remove_dir_all(&wt).unwrap();

    let out = f.ws.klts(&[
        "backport",
        &f.fix,
        "--resolve",
        "1.0",
        "--worktree",
        &wt_s,
        "--name",
        "fix10",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("stopped at \"Fix line 10\""), "{text}");
    assert!(text.contains("conflicts in pkg/a.go"), "{text}");
    assert!(text.contains("git am --continue"), "{text}");
    assert!(
        text.contains(&format!("klts refresh fix10 --worktree {wt_s}")),
        "{text}"
    );
    let a = std::fs::read_to_string(wt.join("pkg/a.go")).unwrap();
    assert!(a.contains("<<<<<<<") && a.contains(">>>>>>>"), "{a}");
    // The real `git am` state, with the message as --write would write it (trailer included).
    let git_dir = git(&wt, &["rev-parse", "--absolute-git-dir"]);
    let git_dir = std::path::Path::new(&git_dir);
    assert!(git_dir.join("rebase-apply").is_dir());
    let msg = std::fs::read_to_string(git_dir.join("rebase-apply/final-commit")).unwrap();
    assert!(
        msg.contains(&format!("(cherry picked from commit {})", f.fix)),
        "{msg}"
    );
    assert!(git_dir.join("klts-backport.json").is_file());

    let refresh = |name: &str| f.ws.klts(&["refresh", name, "--worktree", &wt_s]);
    let out = refresh("fix10");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`git am` is still in progress"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("git am --continue"),
        "{}",
        stderr(&out)
    );

    // Resolve: keep the fix's line 10.
    std::fs::write(wt.join("pkg/a.go"), lines(&[(10, "line 10 fixed")])).unwrap();
    git(&wt, &["add", "pkg/a.go"]);
    git(&wt, &["am", "--continue"]);
    assert!(!git_dir.join("rebase-apply").exists());

    // Dirty tracked file: refused; an untracked file is fine.
    std::fs::write(wt.join("pkg/b.go"), "scribble\n").unwrap();
    let out = refresh("fix10");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uncommitted changes"),
        "{}",
        stderr(&out)
    );
    git(&wt, &["checkout", "--", "pkg/b.go"]);
    std::fs::write(wt.join("notes.txt"), "untracked\n").unwrap();
    // Another NAME: refused, says which.
    let out = refresh("other");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds backport `fix10`"),
        "{}",
        stderr(&out)
    );
    // Nothing written by the refusals.
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        before
    );
    assert!(!f.ws.dir.join("patches/fix10.1.0.patch").exists());

    let out = refresh("fix10");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("wrote patches/fix10.1.0.patch (1 commit(s))"),
        "{}",
        stdout(&out)
    );
    let patch = std::fs::read_to_string(f.ws.dir.join("patches/fix10.1.0.patch")).unwrap();
    assert!(
        patch.contains(&format!(
            "Signed-off-by: Dev <dev@upstream.test>\n(cherry picked from commit {})\n",
            f.fix
        )),
        "{patch}"
    );
    assert!(
        patch.contains("From: Upstream Dev <dev@upstream.test>"),
        "{patch}"
    );
    assert!(patch.contains("+line 10 fixed"), "{patch}");
    let after = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let inserted = "  - name: v1.0.0-lts.2\n    base_release: v1.0.0-lts.1\n    must: true\n    patches:\n      - fix10.1.0\n\n";
    assert_eq!(after.replacen(inserted, "", 1), before, "{after}");
    // The new release verifies, to the tree the maintainer resolved.
    let out = f.ws.klts(&["verify", "v1.0.0-lts.2", "--offline"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let verified = f.ws.mirror_ref("refs/klts/releases/v1.0.0-lts.2").unwrap();
    assert_eq!(
        git(
            &f.ws.mirror(),
            &["rev-parse", &format!("{verified}^{{tree}}")]
        ),
        git(&wt, &["rev-parse", "HEAD^{tree}"])
    );
    // Refreshed once: the state is gone, a second refresh is refused and writes nothing.
    let out = refresh("fix10");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a backport worktree"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        after
    );
    // A missing worktree: exit 2 with what to do.
    let out =
        f.ws.klts(&["refresh", "fix10", "--worktree", "/nonexistent/klts-wt"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--resolve LINE --worktree DIR"),
        "{}",
        stderr(&out)
    );
}

/// `--resolve` bad input: no release on the line, nothing to resolve (already present), a
/// taken NAME, `--worktree` alone — each exit 2 before any directory or worktree exists.
/// Refresh refuses a tampered state file and a line that got a newer release meanwhile.
#[test]
fn resolve_and_refresh_bad_input_touch_nothing() {
    let f = fixture();
    let before = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let wt = f._tmp.path().join("wt");
    let wt_s = wt.to_str().unwrap().to_string();
    std::fs::write(f.ws.dir.join("patches/keep.1.4.patch"), "x").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--resolve", "1.9", "--worktree", &wt_s],
            "line 1.9 has no release",
        ),
        (
            &["--resolve", "1.2", "--worktree", &wt_s],
            "nothing to resolve on line 1.2",
        ),
        (
            &["--resolve", "1.4", "--worktree", &wt_s, "--name", "keep"],
            "already exists",
        ),
        (&["--worktree", &wt_s], "--resolve"),
    ];
    for (args, says) in cases {
        let mut all = vec!["backport", f.fix.as_str()];
        all.extend_from_slice(args);
        let out = f.ws.klts(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!wt.exists(), "{args:?}");
        assert!(!f.ws.mirror().join("worktrees").exists(), "{args:?}");
    }
    std::fs::remove_file(f.ws.dir.join("patches/keep.1.4.patch")).unwrap();

    // A line where the fix applies cleanly: `git am` finishes, exit 0, refresh is next.
    let out = f.ws.klts(&[
        "backport",
        &f.fix,
        "--resolve",
        "1.4",
        "--worktree",
        &wt_s,
        "--name",
        "fix10",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("every commit applied"),
        "{}",
        stdout(&out)
    );
    assert!(git(&wt, &["show", "HEAD:pkg/a.go"]).contains("line 10 fixed"));
    let git_dir = std::path::PathBuf::from(git(&wt, &["rev-parse", "--absolute-git-dir"]));
    let state = git_dir.join("klts-backport.json");
    let good = std::fs::read_to_string(&state).unwrap();

    // A tampered state file is refused, not guessed around.
    std::fs::write(
        &state,
        good.replace("\"base_commit\": \"", "\"base_commit\": \"zz"),
    )
    .unwrap();
    let out = f.ws.klts(&["refresh", "fix10", "--worktree", &wt_s]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a commit id"), "{}", stderr(&out));
    std::fs::write(&state, &good).unwrap();

    // The line moved on meanwhile: refused, says to start again on the new release.
    let out = f.ws.klts(&["release", "new", "1.4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let moved = std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap();
    let out = f.ws.klts(&["refresh", "fix10", "--worktree", &wt_s]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("newest release of line 1.4 is now v1.4.0-lts.2"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(f.ws.dir.join("releases.yml")).unwrap(),
        moved
    );
    assert!(!f.ws.dir.join("patches/fix10.1.4.patch").exists());
    assert_ne!(moved, before);
}
