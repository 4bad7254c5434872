//! A manifest is hostile until checked: names that try to leave the workspace, inject git
//! refs or terminal escapes, and a tampered step cache. Each test here failed before the
//! fix it guards (issue: hardening, security and integrity items 1–4).

mod support;

use support::*;

fn upstream(tmp: &std::path::Path) -> Repo {
    let up = Repo::init(&tmp.join("upstream"));
    up.write("a.txt", lines(&[]));
    up.commit("initial");
    up.tag("v1.0.0");
    up.write("a.txt", lines(&[(5, "one-one")]));
    up.commit("release 1.1.0");
    up.tag("v1.1.0");
    up
}

fn fix_patch(up: &Repo, line: usize, text: &str) -> Vec<u8> {
    let branch = format!("fix-{line}");
    up.branch(&branch, "v1.0.0");
    up.write("a.txt", lines(&[(line, text)]));
    up.commit(&format!("Fix line {line}"));
    let p = up.format_patch("v1.0.0..HEAD");
    up.checkout("master");
    p
}

fn ws_with(tmp: &std::path::Path, up: &Repo, body: &str) -> Ws {
    Ws::new(
        &tmp.join("ws"),
        &format!("base: {}\n{body}", up.dir.display()),
    )
}

#[test]
fn convention_patch_names_cannot_leave_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    // A valid patch outside the workspace: the attack is that it gets applied.
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(
        tmp.path().join("outside/secret.patch"),
        fix_patch(&up, 2, "from outside"),
    )
    .unwrap();
    for name in [
        "../../outside/secret".to_string(),
        tmp.path().join("outside/secret").display().to_string(),
    ] {
        let ws = ws_with(
            tmp.path(),
            &up,
            &format!("releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n    patches: ['{name}']\n"),
        );
        for cmd in [&["verify"][..], &["lint"]] {
            let out = ws.klts(cmd);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{cmd:?} {name}: {err}");
            assert!(err.contains("releases.yml:6:"), "{err}");
            assert!(err.contains("patch name"), "{err}");
            assert!(err.contains("path separator"), "{err}");
        }
        assert!(ws.mirror_ref("refs/klts/releases/v1.0.0-lts.1").is_none());
    }
}

#[test]
fn symlinks_out_of_the_workspace_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    let secret = tmp.path().join("outside/secret.patch");
    std::fs::write(&secret, fix_patch(&up, 2, "from outside")).unwrap();
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n    patches: [linked, listed]\npatches:\n  - name: listed\n    patch: [patches/other.patch]\n",
    );
    std::os::unix::fs::symlink(&secret, ws.dir.join("patches/linked.patch")).unwrap();
    std::os::unix::fs::symlink(&secret, ws.dir.join("patches/other.patch")).unwrap();

    let out = ws.klts(&["verify"]);
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("outside the workspace"), "{err}");
    assert!(ws.mirror_ref("refs/klts/releases/v1.0.0-lts.1").is_none());

    let out = ws.klts(&["lint"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text.matches("error[outside-workspace]").count(),
        2,
        "{text}"
    );

    // A symlink that stays inside the workspace is fine.
    std::fs::remove_file(ws.dir.join("patches/linked.patch")).unwrap();
    std::fs::remove_file(ws.dir.join("patches/other.patch")).unwrap();
    std::fs::write(
        ws.dir.join("patches/real.patch"),
        fix_patch(&up, 3, "inside"),
    )
    .unwrap();
    std::os::unix::fs::symlink("real.patch", ws.dir.join("patches/linked.patch")).unwrap();
    std::os::unix::fs::symlink("real.patch", ws.dir.join("patches/other.patch")).unwrap();
    let out = ws.klts(&["lint"]);
    assert!(
        !stdout(&out).contains("outside-workspace"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_newline_in_a_release_name_cannot_move_upstream_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let v110 = up.rev("v1.1.0");
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: \"v1.0.0-lts.1\\nupdate refs/tags/v1.1.0 HEAD\"\n    base_release: v1.0.0\n    must: true\n  - name: v1.1.0-lts.1\n    base_release: v1.1.0\n    must: true\n",
    );
    ws.patch("fix", &fix_patch(&up, 2, "x"));
    let out = ws.klts(&["verify"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("releases.yml:3:"), "{err}");
    assert!(err.contains("line break"), "{err}");
    // Nothing reached git: no mirror was even created, so no tag could move.
    assert!(ws.mirror_ref("refs/tags/v1.1.0").is_none_or(|c| c == v110));
}

#[test]
fn terminal_escapes_in_names_are_never_printed_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: \"v1.0.0-lts.1\\e]0;owned\\a\\e[2J\"\n    base_release: v1.0.0\n",
    );
    for cmd in [&["verify"][..], &["lint"], &["releases"]] {
        let out = ws.klts(cmd);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(!all.contains(&0x1b), "{cmd:?}: {}", stderr(&out));
        assert!(!all.contains(&0x07), "{cmd:?}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(2));
    }
    // An unknown release typed on the command line is shown escaped too.
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n",
    );
    let out = ws.klts(&["verify", "v9\u{1b}[2Jx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "{}", stderr(&out));
}

#[test]
fn build_and_test_create_nothing_outside_out_for_a_hostile_name() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let escape = tmp.path().join("escaped");
    let name = format!("../../../../../../../../..{}", escape.display());
    let ws = ws_with(
        tmp.path(),
        &up,
        &format!("releases:\n  - name: '{name}'\n    base_release: v1.0.0\n"),
    );
    for cmd in ["build", "test"] {
        let out = ws.klts(&[cmd, &name]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        assert!(!escape.exists(), "{cmd} created {}", escape.display());
    }
    // Named on the command line only (the manifest is fine): still nothing is created.
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n",
    );
    for cmd in ["build", "test"] {
        let out = ws.klts(&[cmd, &name]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        assert!(!escape.exists(), "{cmd} created {}", escape.display());
    }
}

/// Every file of the step cache.
fn step_entries(ws: &Ws) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(ws.dir.join(".klts/steps"))
        .unwrap()
        .flatten()
    {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            out.push(f.path());
        }
    }
    out.sort();
    out
}

#[test]
fn a_tampered_step_cache_is_discarded_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n    patches: [one]\n  - name: v1.0.0-lts.2\n    base_release: v1.0.0\n    must: true\n    patches: [two]\n",
    );
    ws.patch("one", &fix_patch(&up, 2, "one"));
    ws.patch("two", &fix_patch(&up, 3, "two"));
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lts1 = ws.mirror_ref("refs/klts/releases/v1.0.0-lts.1").unwrap();
    let lts2 = ws.mirror_ref("refs/klts/releases/v1.0.0-lts.2").unwrap();
    assert_ne!(lts1, lts2);

    // Point every entry at another valid commit: lts.2's for lts.1's step and vice versa, in
    // each format an attacker might try (the bare commit, and a full entry copied over).
    let entries = step_entries(&ws);
    assert_eq!(entries.len(), 2);
    let (a, b) = (
        std::fs::read_to_string(&entries[0]).unwrap(),
        std::fs::read_to_string(&entries[1]).unwrap(),
    );
    std::fs::write(&entries[0], &b).unwrap();
    let other = b.split_whitespace().next().unwrap();
    let wrong = if other == lts1 { &lts2 } else { &lts1 };
    let first_word_a = a.split_whitespace().next().unwrap().to_string();
    std::fs::write(&entries[1], a.replace(&first_word_a, wrong)).unwrap();

    let out = ws.klts(&["checkout", "v1.0.0-lts.1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("not trusted"), "{err}");
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        ws.mirror_ref("refs/klts/releases/v1.0.0-lts.1").unwrap(),
        lts1
    );
    assert_eq!(
        ws.mirror_ref("refs/klts/releases/v1.0.0-lts.2").unwrap(),
        lts2
    );
    assert_eq!(ws.mirror_ref("refs/tags/v1.0.0-lts.1").unwrap(), lts1);
    // The recomputed entries are good again: a third run uses them silently.
    let out = ws.klts(&["verify"]);
    assert!(!stderr(&out).contains("not trusted"), "{}", stderr(&out));
}

#[test]
fn lint_parses_patch_files() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n    patches: [good, garbage, listed]\npatches:\n  - name: listed\n    patch: [patches/cover.txt]\n",
    );
    ws.patch("good", &fix_patch(&up, 2, "good"));
    std::fs::write(
        ws.dir.join("patches/garbage.patch"),
        b"\x7fELF\x02\x01\x00\x00binary",
    )
    .unwrap();
    std::fs::write(
        ws.dir.join("patches/cover.txt"),
        b"From: A <a@example.com>\nSubject: [PATCH 0/2] cover letter\n\nno diff here\n",
    )
    .unwrap();
    let out = ws.klts(&["lint"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let corrupt: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("error[corrupt-patch]"))
        .collect();
    assert_eq!(corrupt.len(), 2, "{text}");
    assert!(
        corrupt[0].contains("patches/garbage.patch") && corrupt[0].contains("NUL"),
        "{text}"
    );
    assert!(
        corrupt[1].contains("patches/cover.txt") && corrupt[1].contains("no diff"),
        "{text}"
    );
}

#[test]
fn lint_checks_triage_yml() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "releases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n",
    );
    std::fs::write(
        ws.dir.join("triage.yml"),
        "triage:\n  - advisory: CVE-2021-3121\n    justification: trust-me\n",
    )
    .unwrap();
    let out = ws.klts(&["lint"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("triage.yml:3:20: error[triage-invalid]: unknown justification `trust-me`"),
        "{text}"
    );
    std::fs::write(
        ws.dir.join("triage.yml"),
        "triage:\n  - advisory: CVE-2099-0001\n    releases: [v9.9.9-lts.1]\n    justification: vulnerable_code_not_in_execute_path\n",
    )
    .unwrap();
    let out = ws.klts(&["lint"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("warning[triage-unknown-advisory]"), "{text}");
    assert!(text.contains("warning[triage-unknown-release]"), "{text}");
}

#[test]
fn a_non_utf8_manifest_error_has_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("ws")).unwrap();
    std::fs::write(
        tmp.path().join("ws/releases.yml"),
        b"base: x\nreleases:\n  - name: v1\xff\n",
    )
    .unwrap();
    let ws = Ws {
        dir: tmp.path().join("ws"),
    };
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("releases.yml:3:13:"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("UTF-8"), "{}", stderr(&out));
}
