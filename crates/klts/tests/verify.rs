//! End-to-end tests of the patch-queue engine through the `klts` binary, on synthetic
//! upstreams built in temp dirs. The reference for every materialized release is plain
//! `git am -3 --committer-date-is-author-date` on a checkout with the same committer: klts
//! must produce the very same commit ids (hence the same trees).

mod support;

use serde_json::Value;
use support::*;

/// An upstream with two minor lines and patches exercising every kind of change.
struct Fixture {
    _tmp: tempfile::TempDir,
    up: Repo,
    ws: Ws,
    /// Patch bytes by file name (without `.patch`).
    patches: std::collections::HashMap<&'static str, Vec<u8>>,
}

const MANIFEST: &str = r#"base: UPSTREAM
releases:
  - name: v1.1.1-lts.1
    base_release: v1.1.1-ci
    must: true
    patches:
      - fix-b
      - backport-a   # needs the 3-way fallback
  - name: v1.1.1-lts.2
    base_release: v1.1.1-ci
    must: true
    patches: [fix-b, backport-a, multi]
  - name: v1.1.1-ci
    base_release: v1.1.1
    patches: [build-fix]   # by convention: patches/build-fix.patch
    test_failures_tolerated: [k8s.io/x/pkg/flaky]
  - name: v1.1.1-lts.3
    base_release: v1.1.1-ci
    must: false
    patches: [conflicting]
  - name: v1.2.0-lts.1
    base_release: v1.2.0
    must: true
    patches: [fix-b]
patches:
  - name: fix-b
    patch: [patches/fix-b.patch]
  - name: backport-a
    patch: [patches/backport-a.patch]
  - name: multi
    patch:
      - patches/multi-1.patch
      - patches/multi-2.patch
  - name: conflicting
    patch: [patches/conflicting.patch]
"#;

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("pkg/a.go", lines(&[]));
    up.write("pkg/b.go", lines(&[]));
    up.write("pkg/old.go", lines(&[(3, "old three")]));
    up.write("pkg/gone.go", "package gone\n");
    up.write("docs/README.md", "# upstream\n");
    up.write("build/Makefile", "all:\n\tgo build ./...\n");
    up.write(
        "assets/logo.bin",
        (0u8..=255).cycle().take(3000).collect::<Vec<u8>>(),
    );
    up.commit("initial import");
    up.branch("release-1.1", "master");
    up.write("docs/README.md", "# upstream 1.1\n");
    up.commit("Release 1.1.0");
    up.tag("v1.1.0");
    up.write("docs/CHANGELOG.md", "1.1.1\n");
    up.commit("Release 1.1.1");
    up.tag("v1.1.1");
    up.checkout("master");
    up.write("pkg/a.go", lines(&[(5, "line 5 on master")]));
    up.commit("master: reword line 5");
    up.tag("v1.2.0");

    let mut patches = std::collections::HashMap::new();
    // build-fix: on v1.1.1.
    up.branch("p-build", "v1.1.1");
    up.write(
        "build/Makefile",
        "all:\n\tGOFLAGS=-mod=vendor go build ./...\n",
    );
    up.commit("build: vendor mode for old toolchains");
    patches.insert("build-fix", up.format_patch("v1.1.1..HEAD"));
    // fix-b: clean on both lines.
    up.branch("p-fixb", "v1.1.1");
    up.write("pkg/b.go", lines(&[(10, "line 10 fixed: CVE-0000-0001")]));
    up.commit("Fix CVE-0000-0001 in b\n\nThe body explains the fix.\n\nSigned-off-by: Dev <dev@upstream.test>");
    patches.insert("fix-b", up.format_patch("v1.1.1..HEAD"));
    // backport-a: made on master, where line 5 differs: plain apply fails, 3-way merges.
    up.branch("p-backport", "v1.2.0");
    up.write(
        "pkg/a.go",
        lines(&[(5, "line 5 on master"), (8, "line 8 fixed upstream")]),
    );
    up.commit("Fix line 8 (cherry picked from master)");
    patches.insert("backport-a", up.format_patch("v1.2.0..HEAD"));
    // multi: two mbox files, the first with three commits: create, delete, rename+modify,
    // and a binary change.
    up.branch("p-multi", "v1.1.1");
    up.write("pkg/new.go", "package newpkg\n\nfunc New() {}\n");
    up.commit("Add pkg/new.go");
    up.remove("pkg/gone.go");
    up.commit("Remove pkg/gone.go");
    up.mv("pkg/old.go", "pkg/renamed/old.go");
    up.write(
        "pkg/renamed/old.go",
        lines(&[(3, "old three"), (15, "renamed and edited")]),
    );
    up.commit("Move old.go and edit it");
    patches.insert("multi-1", up.format_patch("v1.1.1..HEAD"));
    let before = up.rev("HEAD");
    up.write(
        "assets/logo.bin",
        (0u8..=255).rev().cycle().take(3100).collect::<Vec<u8>>(),
    );
    up.commit("Update binary asset");
    patches.insert("multi-2", up.format_patch(&format!("{before}..HEAD")));
    // conflicting: rewrites line 5 on master; on 1.1 line 5 is different: a real conflict.
    up.branch("p-conflict", "v1.2.0");
    up.write("pkg/a.go", lines(&[(5, "line 5 rewritten")]));
    up.commit("Rewrite line 5");
    patches.insert("conflicting", up.format_patch("v1.2.0..HEAD"));
    up.checkout("master");

    let ws = Ws::new(
        &tmp.path().join("ws"),
        &MANIFEST.replace("UPSTREAM", up.dir.to_str().unwrap()),
    );
    for (name, bytes) in &patches {
        ws.patch(name, bytes);
    }
    if std::env::var("KLTS_TEST_KEEP").is_ok() {
        eprintln!("kept {}", tmp.keep().display());
        std::process::exit(0);
    }
    Fixture {
        _tmp: tmp,
        up,
        ws,
        patches,
    }
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}{}", stdout(o), stderr(o)))
}

fn release<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["release"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn releases_equal_git_am_commit_for_commit() {
    let f = fixture();
    let out = f.ws.klts(&["verify", "--all", "-o", "json", "-j", "2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one release conflicts: {}",
        stderr(&out)
    );
    let report = json(&out);
    let p = |n: &str| f.patches[n].clone();
    let scratch = f._tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let cases: Vec<(&str, &str, Vec<Vec<u8>>)> = vec![
        ("v1.1.1-ci", "v1.1.1", vec![p("build-fix")]),
        (
            "v1.1.1-lts.1",
            "v1.1.1",
            vec![p("build-fix"), p("fix-b"), p("backport-a")],
        ),
        (
            "v1.1.1-lts.2",
            "v1.1.1",
            vec![
                p("build-fix"),
                p("fix-b"),
                p("backport-a"),
                p("multi-1"),
                p("multi-2"),
            ],
        ),
        ("v1.2.0-lts.1", "v1.2.0", vec![p("fix-b")]),
    ];
    for (name, tag, chain) in cases {
        let r = release(&report, name);
        assert_eq!(r["status"], "ok", "{name}: {r}");
        let expected = reference_am(&f.up.dir, &scratch, tag, &chain).expect("git am applies");
        assert_eq!(
            r["commit"].as_str().unwrap(),
            expected,
            "{name} differs from git am -3"
        );
        // The release ref is recorded in the mirror.
        assert_eq!(
            f.ws.mirror_ref(&format!("refs/klts/releases/{name}"))
                .as_deref(),
            Some(expected.as_str())
        );
    }
    // backport-a needed (and got) the 3-way fallback, confirmed on a full index; every other
    // commit went through the fast path (an index of only the touched paths).
    assert_eq!(release(&report, "v1.1.1-lts.1")["three_way"], 1);
    assert_eq!(release(&report, "v1.1.1-lts.1")["full_index"], 1);
    assert_eq!(release(&report, "v1.1.1-lts.1")["fast_path"], 1);
    assert_eq!(release(&report, "v1.1.1-ci")["full_index"], 0);
    assert_eq!(release(&report, "v1.2.0-lts.1")["full_index"], 0);
    // The conflict is reported with everything a maintainer needs.
    let c = release(&report, "v1.1.1-lts.3");
    assert_eq!(c["status"], "conflict");
    assert_eq!(c["conflict"]["patch"], "conflicting");
    assert_eq!(c["conflict"]["source"], "patches/conflicting.patch");
    assert_eq!(c["conflict"]["subject"], "Rewrite line 5");
    assert_eq!(c["conflict"]["paths"], serde_json::json!(["pkg/a.go"]));
    // And plain git am agrees that it conflicts.
    assert!(reference_am(
        &f.up.dir,
        &scratch,
        "v1.1.1",
        &[p("build-fix"), p("conflicting")]
    )
    .is_none());
}

#[test]
fn must_releases_by_default_then_warm_cache() {
    let f = fixture();
    // First run on a fresh workspace: nothing is cached. One job, so that which release
    // applies a shared step first is fixed.
    let cold = json(&f.ws.klts(&["verify", "-o", "json", "-j", "1"]));
    let applied = |name: &str| release(&cold, name)["steps_applied"].as_u64().unwrap();
    // A step is one patch file on a parent commit. The -ci stage's build-fix is applied once
    // although three must releases are built on it (none of them applies it again); lts.1
    // applies fix-b and backport-a on the stage, and lts.2 finds those two in the step cache
    // and applies only multi's two files.
    let cached = |name: &str| release(&cold, name)["steps_cached"].as_u64().unwrap();
    assert_eq!(applied("v1.1.1-ci"), 1, "{cold}");
    assert_eq!(
        (applied("v1.1.1-lts.1"), cached("v1.1.1-lts.1")),
        (2, 0),
        "{cold}"
    );
    assert_eq!(
        (applied("v1.1.1-lts.2"), cached("v1.1.1-lts.2")),
        (2, 2),
        "{cold}"
    );
    assert_eq!(applied("v1.2.0-lts.1"), 1, "{cold}");

    let out = f.ws.klts(&["verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for name in ["v1.1.1-lts.1", "v1.1.1-lts.2", "v1.2.0-lts.1"] {
        assert!(text.contains(name), "{text}");
    }
    assert!(
        !text.contains("v1.1.1-lts.3"),
        "must: false is not verified by default: {text}"
    );
    // Another run: nothing changed, every step from the cache, same commits.
    let warm = json(&f.ws.klts(&["verify", "-o", "json"]));
    for r in warm["releases"].as_array().unwrap() {
        assert_eq!(r["steps_applied"], 0, "{r}");
        assert_eq!(
            r["commit"],
            release(&cold, r["release"].as_str().unwrap())["commit"]
        );
    }
}

#[test]
fn same_inputs_same_commit_ids_in_another_workspace() {
    let a = fixture();
    let b = fixture();
    let ra = json(&a.ws.klts(&["verify", "-o", "json"]));
    let rb = json(
        &b.ws
            .klts(&["verify", "-o", "json", "-j", "1", "--no-cache"]),
    );
    for r in ra["releases"].as_array().unwrap() {
        let name = r["release"].as_str().unwrap();
        assert_eq!(r["commit"], release(&rb, name)["commit"], "{name}");
        assert!(r["commit"].is_string());
    }
}

#[test]
fn changed_patch_is_recomputed() {
    let f = fixture();
    let first = json(&f.ws.klts(&["verify", "v1.2.0-lts.1", "-o", "json"]));
    // Edit the commit message of fix-b: same tree, different commit.
    let edited = String::from_utf8(f.patches["fix-b"].clone())
        .unwrap()
        .replace("The body explains", "The body now explains");
    f.ws.patch("fix-b", edited.as_bytes());
    let second = json(&f.ws.klts(&["verify", "v1.2.0-lts.1", "-o", "json"]));
    let (r1, r2) = (
        release(&first, "v1.2.0-lts.1"),
        release(&second, "v1.2.0-lts.1"),
    );
    assert_eq!(r2["steps_applied"], 1);
    assert_ne!(r1["commit"], r2["commit"]);
}

#[test]
fn checkout_tags_and_checks_out() {
    let f = fixture();
    let wt = f._tmp.path().join("wt");
    let out = f.ws.klts(&[
        "checkout",
        "v1.1.1-lts.2",
        "--worktree",
        wt.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let tag =
        f.ws.mirror_ref("refs/tags/v1.1.1-lts.2")
            .expect("tag written");
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), tag);
    assert!(wt.join("pkg/new.go").is_file());
    assert!(!wt.join("pkg/gone.go").exists());
    assert!(wt.join("pkg/renamed/old.go").is_file());
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
    // Never moves an upstream tag: a release named like one is refused.
    let ws2 = Ws::new(
        &f._tmp.path().join("ws2"),
        &format!("base: {}\nreleases:\n  - name: v1.2.0\n    base_release: v1.1.1\n    patches: [fix-b]\n", f.up.dir.display()),
    );
    ws2.patch("fix-b", &f.patches["fix-b"]);
    // Share the first workspace's mirror, which has the upstream tag v1.2.0.
    assert!(f.ws.klts(&["fetch"]).status.success());
    let cache = f.ws.dir.join(".klts");
    let out = ws2.klts(&["--cache-dir", cache.to_str().unwrap(), "checkout", "v1.2.0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was not created by klts"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn checkout_conflict_leaves_git_am_state() {
    let f = fixture();
    let wt = f._tmp.path().join("conflict-wt");
    let out = f.ws.klts(&[
        "checkout",
        "v1.1.1-lts.3",
        "--worktree",
        wt.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("patch `conflicting` does not apply"),
        "{text}"
    );
    assert!(text.contains("pkg/a.go"), "{text}");
    assert!(text.contains("git am --continue"), "{text}");
    // git am is in progress, stopped at the conflicting commit, with conflict markers.
    let rebase_apply = git(&wt, &["rev-parse", "--git-path", "rebase-apply"]);
    let rebase_apply = if std::path::Path::new(&rebase_apply).is_absolute() {
        rebase_apply.into()
    } else {
        wt.join(rebase_apply)
    };
    assert!(
        rebase_apply.is_dir(),
        "no am state in {}",
        rebase_apply.display()
    );
    assert!(std::fs::read_to_string(wt.join("pkg/a.go"))
        .unwrap()
        .contains("<<<<<<<"));
    // HEAD is the -ci release: the conflict is at the first patch of lts.3.
    let ci = f.ws.mirror_ref("refs/klts/releases/v1.1.1-ci").unwrap();
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), ci);
    // No tag for a release that did not materialize.
    assert_eq!(f.ws.mirror_ref("refs/tags/v1.1.1-lts.3"), None);
}

#[test]
fn releases_listing_and_lint() {
    let f = fixture();
    let out = f.ws.klts(&["releases", "-o", "json"]);
    assert!(out.status.success());
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lts3 = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "v1.1.1-lts.3")
        .unwrap();
    assert_eq!(lts3["latest_in_line"], true);
    assert_eq!(
        lts3["chain"],
        serde_json::json!(["v1.1.1", "v1.1.1-ci", "v1.1.1-lts.3"])
    );
    let out = f.ws.klts(&["lint"]);
    assert!(out.status.success(), "{}", stdout(&out));
    // A stray file and an unused entry are warnings, not errors.
    f.ws.patch("stray", b"x");
    let out = f.ws.klts(&["lint", "-o", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], 0);
    assert!(v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "unused-file"));
}
