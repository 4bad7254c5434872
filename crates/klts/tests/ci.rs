//! `klts ci github` through the binary: writes the workflow, `--check` notices a stale one, and
//! the file validates against GitHub's workflow JSON schema (check-jsonschema's vendored copy,
//! from PyPI; `.ci/run` installs it — elsewhere the schema check is skipped with a message).

mod support;

use support::*;

const MANIFEST: &str = "base: https://github.com/kubernetes/kubernetes\nreleases:\n  - name: v1.17.17-lts.3\n    base_release: v1.17.17\n    must: true\n    patches: []\n  - name: v1.18.20-lts.2\n    base_release: v1.18.20\n    must: true\n    patches: []\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    patches: []\npatches: []\n";

fn ci_required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
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
    // `python3 -m` rather than the console script: pyenv shims may not see a fresh install.
    let schema = std::process::Command::new("python3")
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .arg(&path)
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
