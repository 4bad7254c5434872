//! `klts toolchain`: each release's Go toolchain read from its materialized tree, so a
//! Go-bump patch in the chain changes it between two releases; the manifest's `build.go` wins.

mod support;

use support::*;

fn upstream(dir: &std::path::Path) -> Repo {
    let up = Repo::init(dir);
    up.write("go.mod", "module k8s.io/kubernetes\n\ngo 1.13\n");
    up.write("build/build-image/cross/VERSION", "v1.13.15-1\n");
    up.write("main.go", "package main\n\nfunc main() {}\n");
    up.commit("v1.16.15");
    up.tag("v1.16.15");
    up
}

/// A Go-bump patch (cross VERSION 1.13.15 → 1.15.15), made on a branch then dropped.
fn bump_patch(up: &Repo) -> Vec<u8> {
    up.branch("bump", "v1.16.15");
    up.write("build/build-image/cross/VERSION", "v1.15.15-1\n");
    up.commit("Bump Go to 1.15.15");
    let patch = up.format_patch("v1.16.15..bump");
    up.checkout("master");
    git(&up.dir, &["branch", "-q", "-D", "bump"]);
    patch
}

#[test]
fn a_go_bump_patch_changes_the_toolchain_of_the_next_release() {
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(&tmp.path().join("up"));
    let patch = bump_patch(&up);
    let manifest = format!(
        "base: {}\nreleases:\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    must: true\n  - name: v1.16.15-lts.2\n    base_release: v1.16.15-lts.1\n    must: true\n    patches: [bump-go]\n",
        up.dir.display()
    );
    let ws = Ws::new(&tmp.path().join("lts"), &manifest);
    ws.patch("bump-go", &patch);

    let o = ws.klts(&["toolchain", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(&str, &str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["release"].as_str().unwrap(),
                r["toolchain"]["version"].as_str().unwrap(),
                r["toolchain"]["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "v1.16.15-lts.1",
                "1.13.15",
                "build/build-image/cross/VERSION"
            ),
            (
                "v1.16.15-lts.2",
                "1.15.15",
                "build/build-image/cross/VERSION"
            ),
        ]
    );

    let o = ws.klts(&["toolchain", "v1.16.15-lts.2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("v1.16.15-lts.2  1.15.15"), "{table}");

    // The manifest's build.go wins, per line or per release.
    std::fs::write(
        ws.dir.join("releases.yml"),
        format!("{manifest}build:\n  go:\n    v1.16: go1.14.15\n    v1.16.15-lts.2: go1.15.14\n"),
    )
    .unwrap();
    let o = ws.klts(&["toolchain", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["toolchain"]["version"], "1.14.15");
    assert_eq!(rows[0]["toolchain"]["source"], "releases.yml build.go");
    assert_eq!(rows[1]["toolchain"]["version"], "1.15.14");
}

#[test]
fn a_tree_with_only_a_go_directive_says_minimum_and_no_go_is_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("up"));
    up.write("go.mod", "module example.com/x\n\ngo 1.19\n");
    up.commit("v1.0.0");
    up.tag("v1.0.0");
    up.remove("go.mod");
    up.write("README", "no go here\n");
    up.commit("v1.0.1");
    up.tag("v1.0.1");
    let ws = Ws::new(
        &tmp.path().join("lts"),
        &format!(
            "base: {}\nreleases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n  - name: v1.0.1-lts.1\n    base_release: v1.0.1\n",
            up.dir.display()
        ),
    );
    let o = ws.klts(&["toolchain", "v1.0.0-lts.1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(">=1.19"), "{}", stdout(&o));
    assert!(stdout(&o).contains("a minimum"), "{}", stdout(&o));
    let o = ws.klts(&["toolchain", "--all"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("v1.0.1-lts.1  unknown"),
        "{}",
        stdout(&o)
    );
}

/// A release whose `build.go` names its Go is answered from the manifest alone: nothing is
/// materialized for it (no mirror is needed, offline), while a release without one says why it
/// has no answer.
#[test]
fn build_go_answers_without_materializing() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = "base: /nonexistent/upstream\nbuild:\n  go:\n    v1.16.15-lts.1: \"1.15.15\"\nreleases:\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    must: true\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n";
    let ws = Ws::new(&tmp.path().join("lts"), manifest);
    let out = ws.klts(&["toolchain", "--all", "--offline", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["release"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {rows}"))
    };
    let decided = row("v1.16.15-lts.1");
    assert_eq!(decided["toolchain"]["version"], "1.15.15", "{decided}");
    assert!(
        decided["error"].is_null() && decided["commit"].is_null(),
        "{decided}"
    );
    let unknown = row("v1.17.17-lts.1");
    assert!(
        unknown["toolchain"].is_null() && unknown["error"].is_string(),
        "{unknown}"
    );
    // Exit 1: one release has no answer.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Nothing was materialized.
    assert!(!ws.dir.join(".klts/upstream.git").exists());
}
