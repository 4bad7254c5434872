//! `klts fmt`: patch files in canonical form, and the proof that a formatted patch
//! materializes to the very same commits (3-way fallback included).

mod support;

use serde_json::Value;
use support::*;

const MANIFEST: &str = "# fmt test\nbase: UPSTREAM\n\nreleases:\n  - name: v1.1.0-lts.1   # needs 3-way\n    base_release: v1.1.0\n    patches: [fix]\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    patches: [fix]\n";

fn verify_json(ws: &Ws) -> Value {
    let out = ws.klts(&["verify", "--all", "--no-cache", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn commits_and_three_way(v: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = v["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["release"].as_str().unwrap().to_string(),
                r["commit"].as_str().unwrap().to_string(),
                r["three_way"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fmt_rewrites_noise_only_and_commits_stay_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("pkg/a.go", lines(&[]));
    up.write("pkg/old.go", "to be deleted\n");
    let root = up.commit("initial import");
    up.tag("v1.0.0");
    up.branch("fix", &root);
    up.write("pkg/a.go", lines(&[(10, "line 10 fixed")]));
    up.commit("Fix line 10\n\nSigned-off-by: Dev <dev@upstream.test>");
    up.write("pkg/new.go", "new file\n");
    up.remove("pkg/old.go");
    up.commit("Add new.go, drop old.go");
    // Exported the noisy way: numbered, full index, with the git-version signature.
    let noisy = git_output(
        &up.dir,
        &[
            "format-patch",
            "--stdout",
            "--full-index",
            &format!("{root}..fix"),
        ],
        &[],
    )
    .stdout;
    // release-1.1 changed line 13, inside the fix's context: only the 3-way fallback (which
    // finds the original blob through the index line) applies it.
    up.branch("release-1.1", &root);
    up.write("pkg/a.go", lines(&[(13, "line 13 in 1.1")]));
    up.commit("1.1: line 13");
    up.tag("v1.1.0");
    up.checkout("master");
    let manifest = MANIFEST.replace("UPSTREAM", up.dir.to_str().unwrap());
    let ws = Ws::new(&tmp.path().join("ws"), &manifest);
    ws.patch("fix", &noisy);
    std::fs::write(ws.dir.join("patches/junk.patch"), "not a patch\n").unwrap();

    let before = commits_and_three_way(&verify_json(&ws));
    assert!(
        before
            .iter()
            .any(|(r, _, t)| r == "v1.1.0-lts.1" && *t == 1),
        "{before:?}"
    );

    let out = ws.klts(&["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "would reformat patches/fix.patch\n");
    let noisy_text = String::from_utf8(noisy.clone()).unwrap();
    assert_eq!(
        std::fs::read(ws.dir.join("patches/fix.patch")).unwrap(),
        noisy
    );

    let out = ws.klts(&["fmt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "formatted patches/fix.patch\n");
    assert!(stderr(&out).contains("junk.patch"), "{}", stderr(&out));
    let formatted = std::fs::read_to_string(ws.dir.join("patches/fix.patch")).unwrap();
    assert!(
        !formatted.contains("[PATCH 1/2]") && formatted.contains("Subject: [PATCH] Fix line 10\n")
    );
    assert!(!formatted.contains("\n-- \n"), "{formatted}");
    for l in formatted.lines().filter(|l| l.starts_with("index ")) {
        let ids = l[6..].split(' ').next().unwrap();
        let (a, b) = ids.split_once("..").unwrap();
        assert_eq!((a.len(), b.len()), (12, 12), "{l}");
    }
    // Hunks byte for byte: every +/-/space line of the diff is kept, in order.
    let hunk_lines = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with(['+', '-', ' ', '@']) && *l != "-- ")
            .map(str::to_string)
            .collect()
    };
    assert_eq!(hunk_lines(&formatted), hunk_lines(&noisy_text));
    // Nothing else changed: the manifest, the junk file.
    assert_eq!(
        std::fs::read_to_string(ws.dir.join("releases.yml")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read_to_string(ws.dir.join("patches/junk.patch")).unwrap(),
        "not a patch\n"
    );

    // Clean now, and formatting again changes nothing.
    let out = ws.klts(&["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
    let out = ws.klts(&["fmt"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(ws.dir.join("patches/fix.patch")).unwrap(),
        formatted
    );

    // The proof: the same commits, recomputed from the formatted bytes (no step cache), the
    // 3-way fallback included.
    let after = commits_and_three_way(&verify_json(&ws));
    assert_eq!(after, before);
}
