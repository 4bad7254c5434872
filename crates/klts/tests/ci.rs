//! `klts ci github` through the binary: writes the workflow, `--check` notices a stale one, and
//! the file validates against GitHub's workflow JSON schema (check-jsonschema's vendored copy,
//! from PyPI; `.ci/run` installs it — elsewhere the schema check is skipped with a message).

mod support;

use support::*;

const MANIFEST: &str = "base: https://github.com/kubernetes/kubernetes\nreleases:\n  - name: v1.17.17-lts.3\n    base_release: v1.17.17\n    must: true\n    patches: []\n  - name: v1.18.20-lts.2\n    base_release: v1.18.20\n    must: true\n    patches: []\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    patches: []\npatches: []\n";

/// Validate `path` with GitHub's workflow schema (skipped with a message outside CI when
/// check-jsonschema is missing).
fn schema_check(path: &std::path::Path) {
    // `python3 -m` rather than the console script: pyenv shims may not see a fresh install.
    let schema = std::process::Command::new("python3")
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .arg(path)
        .output()
        .ok()
        .filter(|o| !String::from_utf8_lossy(&o.stderr).contains("No module named"));
    match schema {
        Some(o) => assert!(
            o.status.success(),
            "schema validation failed:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        None if !ci_required() => {
            eprintln!(
                "SKIPPED schema check: check-jsonschema not found (pip install check-jsonschema)"
            )
        }
        None => panic!("check-jsonschema is missing under CI: .ci/run installs it"),
    }
}

fn ci_required() -> bool {
    klts_testkit::under_ci()
}

#[test]
fn ci_github_writes_checks_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Ws::new(tmp.path(), MANIFEST);
    let out = ws.klts(&["ci", "github"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = tmp.path().join(".github/workflows/klts.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"v1.17.17-lts.3\", \"v1.18.20-lts.2\""));
    assert!(!text.contains("v1.16.15-lts.1"), "not a must release");
    assert!(stderr(&out).contains("2 must releases × 2 platforms"));

    let check = ws.klts(&["ci", "github", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));

    // The manifest moves on: the committed workflow is stale until regenerated.
    std::fs::write(
        tmp.path().join("releases.yml"),
        MANIFEST.replace(
            "v1.16.15-lts.1\n    base_release: v1.16.15\n",
            "v1.16.15-lts.1\n    base_release: v1.16.15\n    must: true\n",
        ),
    )
    .unwrap();
    let stale = ws.klts(&["ci", "github", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stderr(&stale).contains("stale"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "--check writes nothing"
    );
    let printed = ws.klts(&["ci", "github", "--out", "-", "--platform", "linux/amd64"]);
    assert!(stdout(&printed).contains("v1.16.15-lts.1"));
    assert!(stdout(&printed).contains("platform: [\"linux/amd64\"]"));

    // `--check` with `--out -` has nothing to compare with: a usage error, not a silent print.
    let both = ws.klts(&["ci", "github", "--out", "-", "--check"]);
    assert_eq!(both.status.code(), Some(2), "{}", stdout(&both));
    assert!(stdout(&both).is_empty());
    assert!(stderr(&both).contains("--check"), "{}", stderr(&both));

    let bad = ws.klts(&["ci", "github", "--out", "-", "--platform", "amd64"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not os/arch"), "{}", stderr(&bad));

    // GitHub's own schema for workflow files.
    schema_check(&path);
    assert!(
        stderr(&out).contains("no upstream mirror"),
        "{}",
        stderr(&out)
    );
}

/// With a mirror, each release's jobs install the Go its materialized tree needs (the same
/// answer as `klts toolchain`), and a Go-bump patch makes the committed workflow stale.
#[test]
fn each_release_gets_the_go_of_its_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("up"));
    up.write("go.mod", "module k8s.io/kubernetes\n\ngo 1.13\n");
    up.write("build/build-image/cross/VERSION", "v1.13.15-1\n");
    up.commit("v1.16.15");
    up.tag("v1.16.15");
    up.write("go.mod", "module k8s.io/kubernetes\n\ngo 1.16\n");
    up.remove("build/build-image/cross/VERSION");
    up.commit("v1.17.17");
    up.tag("v1.17.17");
    up.branch("bump", "v1.16.15");
    up.write("build/build-image/cross/VERSION", "v1.15.15-1\n");
    up.commit("Bump Go to 1.15.15");
    let bump = up.format_patch("v1.16.15..bump");
    up.checkout("master");
    let manifest = format!(
        "base: {}\nreleases:\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    must: true\n  - name: v1.16.15-lts.2\n    base_release: v1.16.15-lts.1\n    must: true\n    patches: [bump-go]\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n",
        up.dir.display()
    );
    let ws = Ws::new(&tmp.path().join("lts"), &manifest);
    ws.patch("bump-go", &bump);
    // `klts verify` mirrors the upstream tags; generating the workflow reads the mirror only.
    let v = ws.klts(&["verify", "--all"]);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    let out = ws.klts(&["ci", "github"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = ws.dir.join(".github/workflows/klts.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    schema_check(&path);

    // The workflow's Go per release is `klts toolchain`'s.
    let tc = ws.klts(&["toolchain", "--offline", "-o", "json"]);
    assert!(tc.status.success(), "{}", stderr(&tc));
    let rows: serde_json::Value = serde_json::from_slice(&tc.stdout).unwrap();
    let want: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["release"].as_str().unwrap().to_string(),
                r["toolchain"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        want,
        [
            ("v1.16.15-lts.1".to_string(), "1.13.15".to_string()),
            ("v1.16.15-lts.2".into(), "1.15.15".into()),
            ("v1.17.17-lts.1".into(), "1.16".into()),
        ]
    );
    // The build and the test job each carry every release's Go in their matrix.
    for (release, go) in &want {
        let entry = format!("          - release: \"{release}\"\n            go: \"{go}\"\n");
        assert_eq!(
            text.matches(&entry).count(),
            2,
            "{entry} in build and test:\n{text}"
        );
    }
    assert!(!text.contains("go: \"stable\""), "{text}");
    let check = ws.klts(&["ci", "github", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));

    // A newer Go-bump patch: the committed workflow is stale.
    up.branch("bump2", "v1.16.15");
    up.write("build/build-image/cross/VERSION", "v1.15.16-1\n");
    up.commit("Bump Go to 1.15.16");
    ws.patch("bump-go", &up.format_patch("v1.16.15..bump2"));
    let stale = ws.klts(&["ci", "github", "--check"]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
}
