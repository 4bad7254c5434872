//! Bad input: one clear error each, the documented exit code, and nothing half-written.

mod support;

use support::*;

fn upstream(tmp: &std::path::Path) -> Repo {
    let up = Repo::init(&tmp.join("upstream"));
    up.write("a.txt", lines(&[]));
    up.commit("initial");
    up.tag("v1.0.0");
    up
}

fn fix_patch(up: &Repo) -> Vec<u8> {
    up.branch("fix", "v1.0.0");
    up.write("a.txt", lines(&[(2, "fixed")]));
    up.commit("Fix a");
    let p = up.format_patch("v1.0.0..HEAD");
    up.checkout("master");
    p
}

fn ws_with(tmp: &std::path::Path, up: &Repo, releases: &str) -> Ws {
    Ws::new(
        &tmp.join("ws"),
        &format!("base: {}\nreleases:\n{releases}", up.dir.display()),
    )
}

/// No stray temporary files in the cache after a run.
fn assert_no_temp_files(ws: &Ws) {
    let mut stack = vec![ws.dir.join(".klts")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(".klts-tmp-") && !name.starts_with("engine-"),
                "leftover {}",
                e.path().display()
            );
            if e.file_type().unwrap().is_dir() && name != "upstream.git" {
                stack.push(e.path());
            }
        }
    }
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Ws::new(
        tmp.path(),
        "base: x\nreleases:\n  - name: v1.0.0-lts.1\n    patches: [a, b\n",
    );
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("releases.yml:"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
    assert!(regex_like_line_col(&err), "{err}");
}

fn regex_like_line_col(s: &str) -> bool {
    // `releases.yml:<line>:<col>:`
    s.split("releases.yml:").nth(1).is_some_and(|rest| {
        let mut parts = rest.splitn(3, ':');
        parts.next().is_some_and(|l| l.parse::<usize>().is_ok())
            && parts.next().is_some_and(|c| c.parse::<usize>().is_ok())
    })
}

#[test]
fn wrong_types_are_schema_errors_with_position() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Ws::new(
        tmp.path(),
        "base: x\nreleases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: maybe\n",
    );
    let out = ws.klts(&["releases"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("releases.yml:5:11: expected `true` or `false` for `must`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_manifest_and_unknown_release() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Ws {
        dir: tmp.path().to_path_buf(),
    }
    .klts(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no manifest here"),
        "{}",
        stderr(&out)
    );

    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n",
    );
    let out = ws.klts(&["verify", "1.0.0-lts.1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown release `1.0.0-lts.1`, did you mean `v1.0.0-lts.1`?"),
        "{err}"
    );
    let out = ws.klts(&["checkout", "v9.9.9"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_and_corrupt_patches_fail_that_release_only() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let good = fix_patch(&up);
    let ws = ws_with(
        tmp.path(),
        &up,
        concat!(
            "  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n    patches: [good]\n",
            "  - name: v1.0.0-lts.2\n    base_release: v1.0.0\n    must: true\n    patches: [gone]\n",
            "  - name: v1.0.0-lts.3\n    base_release: v1.0.0\n    must: true\n    patches: [garbage]\n",
            "  - name: v1.0.0-lts.4\n    base_release: v1.0.0\n    must: true\n    patches: [truncated]\n",
            "  - name: v1.0.0-lts.5\n    base_release: v1.0.0\n    must: true\n    patches: [listed]\n",
            "patches:\n  - name: listed\n    patch: [patches/not-there.patch]\n",
        ),
    );
    ws.patch("good", &good);
    ws.patch("garbage", b"this is not a patch at all\n");
    let text = String::from_utf8(good.clone()).unwrap();
    let cut = text.find("@@").unwrap();
    ws.patch(
        "truncated",
        format!("{}@@ -1,3 +1,3 @@\n-line 1\n+broken", &text[..cut]).as_bytes(),
    );

    let out = ws.klts(&["verify", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let get = |n: &str| {
        report["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["release"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(get("v1.0.0-lts.1")["status"], "ok");
    for (name, needle) in [
        ("v1.0.0-lts.2", "patches/gone.patch"),
        ("v1.0.0-lts.3", "corrupt patch"),
        ("v1.0.0-lts.4", "corrupt patch"),
        ("v1.0.0-lts.5", "patches/not-there.patch"),
    ] {
        let r = get(name);
        assert_eq!(r["status"], "error", "{name}: {r}");
        assert!(r["error"].as_str().unwrap().contains(needle), "{name}: {r}");
        // Nothing recorded for a release that failed.
        assert_eq!(ws.mirror_ref(&format!("refs/klts/releases/{name}")), None);
    }
    // The unknown name is reported with its manifest line.
    assert!(
        get("v1.0.0-lts.2")["error"]
            .as_str()
            .unwrap()
            .contains("releases.yml:10:15:"),
        "{}",
        get("v1.0.0-lts.2")
    );
    assert_no_temp_files(&ws);

    // Table output says the same to a person.
    let out = ws.klts(&["verify"]);
    let text = stdout(&out);
    assert!(
        text.contains("error: v1.0.0-lts.3: corrupt patch patches/garbage.patch"),
        "{text}"
    );
    assert!(text.contains("1 of 5 releases ok"), "{text}");
    // Lint finds the missing file with its line, as an error.
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("releases.yml:25:13: error[missing-file]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn upstream_without_tag_and_unreachable_upstream() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n  - name: v1.0.7-lts.1\n    base_release: v1.0.7\n    must: true\n",
    );
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("upstream has no tag `v1.0.7`"), "{text}");
    assert!(text.contains("1 of 2 releases ok"), "{text}");
    let out = ws.klts(&["fetch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("upstream has no tag `v1.0.7`"),
        "{}",
        stdout(&out)
    );
    let out = ws.klts(&["lint"]);
    assert!(
        stdout(&out).contains("error[missing-tag]"),
        "{}",
        stdout(&out)
    );
    let out = ws.klts(&["fetch", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the mirror has no tag `v1.0.7`"),
        "{}",
        stdout(&out)
    );

    let ws2 = Ws::new(
        &tmp.path().join("ws2"),
        "base: /nonexistent/upstream\nreleases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n",
    );
    let out = ws2.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("upstream /nonexistent/upstream: cannot be read"),
        "{}",
        stderr(&out)
    );
    let out = ws2.klts(&["verify", "--offline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--offline forbids fetching"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cycles_and_bad_lock_files() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "  - name: v1.0.0-lts.1\n    base_release: v1.0.0-lts.2\n    must: true\n  - name: v1.0.0-lts.2\n    base_release: v1.0.0-lts.1\n",
    );
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("releases.yml:4:19: error[base-cycle]"),
        "{}",
        stdout(&out)
    );
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("cycles"), "{}", stdout(&out));

    let ws = Ws::new(
        &tmp.path().join("ws-lock"),
        &format!("base: {}\nreleases: []\n", up.dir.display()),
    );
    std::fs::write(ws.dir.join("klts.lock"), "version = 1\n[[pin]\nurl = 1\n").unwrap();
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("klts.lock: invalid lock file"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn an_explicit_workspace_that_does_not_exist_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-workspace");
    let site_out = tmp.path().join("site");
    let site_out = site_out.to_str().unwrap();
    for args in [
        &["vulns", "check", "1.17.17"][..],
        &["lifecycle"],
        &["site", "build", site_out],
        &["serve", "--addr", "127.0.0.1:0"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
            .arg("--workspace")
            .arg(&missing)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // `serve` used to start serving the embedded data: give it a bounded time to refuse.
        let mut status = None;
        for _ in 0..200 {
            if let Some(s) = child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if status.is_none() {
            let _ = child.kill();
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(2),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("is not a directory"),
            "{}",
            stderr(&out)
        );
        assert!(!std::path::Path::new(site_out).exists());
    }
}

/// 20,000 nested lists in the manifest aborted the CLI with a stack overflow; now it is an
/// ordinary YAML error naming file:line:col and the limit (exit 2).
#[test]
fn deeply_nested_manifest_is_an_error_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Ws::new(
        tmp.path(),
        &format!("base: x\nreleases:\n{}x\n", "- ".repeat(20_000)),
    );
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("releases.yml:3:127: invalid YAML"), "{err}");
    assert!(err.contains("64 levels"), "{err}");
}

/// A run that was killed leaves `.klts/tmp/engine-*` behind; the next run removes the ones
/// whose owner is gone, and keeps the ones of runs still going.
#[test]
fn scratch_directories_of_killed_runs_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(tmp.path());
    let ws = ws_with(
        tmp.path(),
        &up,
        "  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n",
    );
    let out = ws.klts(&["fetch"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scratch = ws.dir.join(".klts/tmp");
    std::fs::create_dir_all(&scratch).unwrap();
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    let (Ok(host), Ok(boot)) = (
        read("/proc/sys/kernel/hostname"),
        read("/proc/sys/kernel/random/boot_id"),
    ) else {
        eprintln!("skipped: no /proc to identify processes");
        return;
    };
    // Killed: its process has exited.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let killed = scratch.join("engine-killed");
    std::fs::create_dir(&killed).unwrap();
    std::fs::write(
        killed.join("owner"),
        format!("{host} {boot} {dead_pid} 1\n"),
    )
    .unwrap();
    std::fs::write(killed.join("index"), b"left over").unwrap();
    // Still running, on another machine sharing the cache.
    let remote = scratch.join("engine-remote");
    std::fs::create_dir(&remote).unwrap();
    std::fs::write(remote.join("owner"), format!("elsewhere {boot} 1 1\n")).unwrap();

    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !killed.exists(),
        "the killed run's scratch directory is still there"
    );
    assert!(
        remote.exists(),
        "a running run's scratch directory was removed"
    );
}
