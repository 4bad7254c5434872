//! End-to-end vulnerability statuses on a synthetic, KLTS-shaped workspace, with the embedded
//! advisory snapshot. CVE-2021-3121 (gogo/protobuf < 1.3.2, GO-2021-0053) is:
//! fixed upstream from 1.18.19 (gogo v1.3.2 in the tree), fixed by an LTS patch named after it
//! on 1.17, fixed by a dependency bump on 1.16, ignored by triage on 1.15, and open on 1.14
//! (a Godeps.json-era tree).

mod support;

use serde_json::Value;
use std::collections::HashMap;
use support::*;

fn go_mod(gogo: &str) -> String {
    format!(
        "module k8s.io/kubernetes\n\ngo 1.15\n\nrequire (\n\tgithub.com/gogo/protobuf {gogo}\n\tgolang.org/x/text v0.3.4\n\tk8s.io/api v0.0.0\n)\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n)\n"
    )
}

fn modules_txt(gogo: &str) -> String {
    format!("# github.com/gogo/protobuf {gogo}\n## explicit\ngithub.com/gogo/protobuf/proto\n# golang.org/x/text v0.3.4\ngolang.org/x/text/unicode\n# k8s.io/api v0.0.0 => ./staging/src/k8s.io/api\nk8s.io/api/core/v1\n")
}

struct Setup {
    _tmp: tempfile::TempDir,
    ws: Ws,
    feeds: std::path::PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("README.md", "kubernetes\n");
    up.write("pkg/apis/generated.pb.go", lines(&[]));
    up.commit("initial");
    // 1.14: before Go modules.
    up.write(
        "Godeps/Godeps.json",
        r#"{"ImportPath":"k8s.io/kubernetes","GoVersion":"go1.12","Deps":[{"ImportPath":"github.com/gogo/protobuf/proto","Comment":"v1.0.0","Rev":"342cbe0a04158f6dcb03ca0079991a51a4248c02"}]}"#,
    );
    up.write("build/build-image/cross/VERSION", "v1.12.12-1\n");
    up.commit("Release 1.14.10");
    up.tag("v1.14.10");
    std::fs::remove_dir_all(up.dir.join("Godeps")).unwrap();
    for (tag, gogo, go) in [
        ("v1.15.12", "v1.3.1", "v1.12.17-1"),
        ("v1.16.15", "v1.3.1", "v1.13.15-1"),
        ("v1.17.17", "v1.3.1", "v1.15.10-1"),
        ("v1.18.20", "v1.3.2", "v1.15.15-1"),
    ] {
        up.write("go.mod", go_mod(gogo));
        up.write("vendor/modules.txt", modules_txt(gogo));
        up.write("build/build-image/cross/VERSION", format!("{go}\n"));
        up.commit(&format!("Release {tag}"));
        up.tag(tag);
    }
    // Patches: a gogo bump for 1.16, a regenerated-code fix for 1.17, a build fix for -ci.
    up.branch("bump", "v1.16.15");
    up.write("go.mod", go_mod("v1.3.2"));
    up.write("vendor/modules.txt", modules_txt("v1.3.2"));
    up.commit("Bump github.com/gogo/protobuf to v1.3.2");
    let bump = up.format_patch("v1.16.15..HEAD");
    up.branch("regen", "v1.17.17");
    up.write(
        "pkg/apis/generated.pb.go",
        lines(&[(7, "if skippy < 0 { return ErrInvalidLength }")]),
    );
    up.commit("Regenerate protobuf code with the skippy fix");
    let regen = up.format_patch("v1.17.17..HEAD");
    up.branch("ci", "v1.17.17");
    up.write("README.md", "kubernetes (lts build)\n");
    up.commit("build: fix for old toolchains");
    let ci = up.format_patch("v1.17.17..HEAD");
    up.checkout("master");

    let manifest = format!(
        r#"base: {}
releases:
  - name: v1.18.20-lts.3
    base_release: v1.18.20
    must: true
    patches: []
  - name: v1.17.17-lts.3
    base_release: v1.17.17-ci
    must: true
    patches:
      - CVE-2021-3121
  - name: v1.17.17-ci
    base_release: v1.17.17
    patches: [fix-ci]
  - name: v1.16.15-lts.3
    base_release: v1.16.15
    must: true
    patches: [bump-gogo]
  - name: v1.15.12-lts.1
    base_release: v1.15.12
    must: true
    patches: []
  - name: v1.14.10-lts.2
    base_release: v1.14.10
    must: true
    patches: []
patches:
  - name: bump-gogo
    patch: [patches/bump-gogo.patch]
    fixes: [GO-2021-0053]
"#,
        up.dir.display()
    );
    let ws = Ws::new(&tmp.path().join("ws"), &manifest);
    ws.patch("CVE-2021-3121", &regen);
    ws.patch("bump-gogo", &bump);
    ws.patch("fix-ci", &ci);
    std::fs::write(
        ws.dir.join("triage.yml"),
        "triage:\n  - advisory: CVE-2021-3121\n    lines: [\"1.15\"]\n    justification: vulnerable_code_not_in_execute_path\n    note: protobuf is disabled on our 1.15 clusters\n",
    )
    .unwrap();
    let feeds = tmp.path().join("feeds");
    Setup {
        _tmp: tmp,
        ws,
        feeds,
    }
}

fn klts(s: &Setup, args: &[&str]) -> std::process::Output {
    support::klts_command()
        .arg("--workspace")
        .arg(&s.ws.dir)
        .args(args)
        .env("KLTS_FEED_CACHE", &s.feeds)
        .output()
        .unwrap()
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}{}", stdout(o), stderr(o)))
}

#[test]
fn cve_2021_3121_story() {
    let s = setup();
    let out = klts(&s, &["vulns", "show", "CVE-2021-3121", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["advisory"]["id"], "CVE-2021-3121");
    let aliases: Vec<&str> = report["advisory"]["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(aliases.contains(&"GO-2021-0053"), "{aliases:?}");
    let statuses: HashMap<String, Value> = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].clone()))
        .collect();
    let st = |r: &str| statuses[r]["status"].as_str().unwrap().to_string();
    assert_eq!(st("v1.18.20-lts.3"), "fixed-upstream");
    assert_eq!(st("v1.17.17-lts.3"), "fixed-by-patch");
    assert_eq!(st("v1.17.17-ci"), "affected");
    assert_eq!(
        st("v1.16.15-lts.3"),
        "fixed-by-patch",
        "bump-gogo says `fixes: [GO-2021-0053]`"
    );
    assert_eq!(st("v1.15.12-lts.1"), "ignored");
    assert_eq!(st("v1.14.10-lts.2"), "affected");
    // Evidence: the range and the module version that decided.
    let ev = statuses["v1.14.10-lts.2"]["evidence"].to_string();
    assert!(
        ev.contains("github.com/gogo/protobuf") && ev.contains("v1.0.0"),
        "{ev}"
    );
    let ev = statuses["v1.17.17-lts.3"]["evidence"].to_string();
    assert!(ev.contains("\"patch\":\"CVE-2021-3121\""), "{ev}");
    let ev = statuses["v1.15.12-lts.1"]["evidence"].to_string();
    assert!(ev.contains("vulnerable_code_not_in_execute_path"), "{ev}");

    // A `kubernetes`-ecosystem advisory for a project released outside kubernetes/kubernetes
    // (ingress-nginx) is never compared with the Kubernetes version.
    let report = json(&klts(&s, &["vulns", "show", "CVE-2024-7646", "-o", "json"]));
    for pair in report["releases"].as_array().unwrap() {
        assert_eq!(pair[1]["status"], "not-affected", "{pair}");
    }

    // check on a version the mirror has no tree for: the dependency advisory is unknown there,
    // and the lowest upstream tag of the line whose tree is fixed is named.
    let out = klts(
        &s,
        &[
            "vulns",
            "check",
            "1.18.10",
            "--include-unknown",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let c = json(&out);
    let e = c["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["advisory"]["id"] == "CVE-2021-3121")
        .expect("listed")
        .clone();
    assert_eq!(e["status"]["status"], "unknown");
    assert_eq!(e["upstream_fix"], "v1.18.20");
    // An LTS release name the workspace does not have is an error, not upstream 1.17.17.
    let out = klts(&s, &["vulns", "check", "v1.17.17-lts.9"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dependency_bump_without_metadata_is_fixed_by_dependency() {
    let s = setup();
    // Drop the `fixes:` metadata: the bump is then recognized from the tree alone.
    let m = std::fs::read_to_string(s.ws.dir.join("releases.yml"))
        .unwrap()
        .replace("    fixes: [GO-2021-0053]\n", "");
    std::fs::write(s.ws.dir.join("releases.yml"), m).unwrap();
    let report = json(&klts(&s, &["vulns", "show", "GO-2021-0053", "-o", "json"]));
    let row = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "v1.16.15-lts.3")
        .unwrap()
        .clone();
    assert_eq!(row[1]["status"], "fixed-by-dependency", "{row}");
    assert!(row[1]["evidence"].to_string().contains("v1.3.2"), "{row}");
}

#[test]
fn matrix_formats_gate_check_and_vex() {
    let s = setup();
    let out = klts(
        &s,
        &[
            "vulns",
            "matrix",
            "-o",
            "json",
            "--status",
            "fixed-by-patch",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let m = json(&out);
    // Six releases, one of them the `v1.17.17-ci` stage of v1.17.17-lts.3: five columns.
    let columns: Vec<&str> = m["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(columns.len(), 5, "{columns:?}");
    assert!(!columns.contains(&"v1.17.17-ci"), "{columns:?}");
    assert!(m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["advisory"]["id"] == "CVE-2021-3121"));
    // Same inputs, same bytes.
    let again = klts(
        &s,
        &[
            "vulns",
            "matrix",
            "-o",
            "json",
            "--status",
            "fixed-by-patch",
        ],
    );
    assert_eq!(out.stdout, again.stdout);
    // The columns are the published releases; the `-ci` stage only with --stages.
    let csv = stdout(&klts(
        &s,
        &["vulns", "matrix", "-o", "csv", "--line", "1.17"],
    ));
    assert!(
        csv.starts_with("advisory,severity,score,v1.17.17-lts.3\n"),
        "{csv}"
    );
    let csv = stdout(&klts(
        &s,
        &["vulns", "matrix", "-o", "csv", "--line", "1.17", "--stages"],
    ));
    assert!(
        csv.starts_with("advisory,severity,score,v1.17.17-lts.3,v1.17.17-ci\n"),
        "{csv}"
    );
    let md = stdout(&klts(
        &s,
        &[
            "vulns",
            "matrix",
            "-o",
            "markdown",
            "--min-severity",
            "high",
        ],
    ));
    assert!(md.starts_with("| advisory | severity |"), "{md}");

    // The gate fails: v1.14.10-lts.2 is must and open on a high advisory.
    let out = klts(
        &s,
        &["vulns", "gate", "--min-severity", "high", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let g = json(&out);
    assert!(g["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["release"] == "v1.14.10-lts.2" && v["advisory"]["id"] == "CVE-2021-3121"));
    assert!(!g["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["release"] == "v1.17.17-lts.3" && v["advisory"]["id"] == "CVE-2021-3121"));

    // check: 1.17.17 in this workspace is exposed; the LTS release of the line fixes it.
    let out = klts(&s, &["vulns", "check", "1.17.17", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c = json(&out);
    let e = c["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["advisory"]["id"] == "CVE-2021-3121")
        .expect("exposed")
        .clone();
    assert_eq!(e["lts_fix"], "v1.17.17-lts.3");

    // VEX for the 1.17 LTS release: fixed, deterministic.
    let out = klts(&s, &["vex", "v1.17.17-lts.3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let vex = json(&out);
    assert_eq!(vex["@context"], "https://openvex.dev/ns/v0.2.0");
    let st = vex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["vulnerability"]["name"] == "CVE-2021-3121")
        .unwrap()
        .clone();
    assert_eq!(st["status"], "fixed");
    assert_eq!(
        st["products"][0]["@id"],
        "pkg:golang/k8s.io/kubernetes@v1.17.17-lts.3"
    );
    assert_eq!(klts(&s, &["vex", "v1.17.17-lts.3"]).stdout, out.stdout);
    // The document's time: SOURCE_DATE_EPOCH when set, else the release commit's committer
    // time (read from the mirror's objects), never the wall clock; a malformed
    // SOURCE_DATE_EPOCH is exit 2 (it used to fall back to the commit time silently).
    let vex_at = |epoch: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_klts"));
        cmd.arg("--workspace")
            .arg(&s.ws.dir)
            .args(["vex", "v1.17.17-lts.3"])
            .env("KLTS_FEED_CACHE", &s.feeds)
            .env_remove("SOURCE_DATE_EPOCH");
        if let Some(e) = epoch {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        cmd.output().unwrap()
    };
    let committed = json(&vex_at(None))["timestamp"].clone();
    let ts = committed.as_str().unwrap();
    assert!(ts.ends_with('Z') && !ts.starts_with("1970-"), "{committed}");
    assert_eq!(json(&vex_at(None))["timestamp"], committed);
    assert_eq!(
        json(&vex_at(Some("1700000000")))["timestamp"],
        "2023-11-14T22:13:20Z"
    );
    let bad = vex_at(Some("-5"));
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("SOURCE_DATE_EPOCH=\"-5\" is not a time"),
        "{}",
        stderr(&bad)
    );
    let vex15 = json(&klts(&s, &["vex", "v1.15.12-lts.1"]));
    let st = vex15["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["vulnerability"]["name"] == "CVE-2021-3121")
        .unwrap()
        .clone();
    assert_eq!(st["status"], "not_affected");
    assert_eq!(st["justification"], "vulnerable_code_not_in_execute_path");

    // OSV export credits the LTS releases.
    let out = klts(&s, &["osv", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let records = json(&out);
    let r = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "KLTS-CVE-2021-3121")
        .expect("exported")
        .clone();
    let fixed: Vec<String> = r["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["ranges"][0]["events"][1]["fixed"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        fixed.contains(&"1.17.17-lts.3".to_string())
            && fixed.contains(&"1.16.15-lts.3".to_string()),
        "{fixed:?}"
    );
}

#[test]
fn check_without_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(tmp.path())
        .args(["vulns", "check", "v1.17.17", "-o", "json"])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let c = json(&out);
    assert_eq!(c["facts"], "version");
    // A Kubernetes advisory fixed upstream in a later 1.17 release would list that fix; for
    // CVE-2021-25741 (subPath symlink) the 1.17 line has none and the status is affected.
    let ids: Vec<&str> = c["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["advisory"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"CVE-2021-25741"), "{ids:?}");
    // Inside a workspace whose upstream cannot be reached, check still answers from the
    // manifest (with a warning) instead of failing: the upstream version, and the chain's
    // patches credited by name.
    std::fs::write(
        tmp.path().join("releases.yml"),
        "base: /nonexistent/upstream\nproduct: kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n    patches: [CVE-2021-25741.1.17]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(tmp.path())
        .args(["vulns", "check", "v1.17.17-lts.1", "-o", "json"])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let c = json(&out);
    assert_eq!(c["facts"], "manifest", "{c}");
    assert!(
        !c["exposures"].to_string().contains("CVE-2021-25741"),
        "the chain's patch fixes it: {c}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(tmp.path())
        .args(["vulns", "check", "1.17.17", "-o", "json"])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("statuses come from the manifest only"),
        "{}",
        stderr(&out)
    );
    assert!(json(&out)["exposures"]
        .to_string()
        .contains("CVE-2021-25741"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(tmp.path())
        .args(["vulns", "check", "1.17"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn malformed_triage_is_an_error_with_position() {
    let s = setup();
    std::fs::write(
        s.ws.dir.join("triage.yml"),
        "triage:\n  - advisory: CVE-2021-3121\n    justification: trust-me\n",
    )
    .unwrap();
    let out = klts(&s, &["vulns", "matrix"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("triage.yml:3:20: unknown justification `trust-me`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_programs_own_advisories_are_merged_and_judged() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("releases.yml"),
        "base: /nonexistent/upstream\nproduct: kubernetes\nreleases:\n  - name: v1.11.10-lts.1\n    base_release: v1.11.10\n    must: true\n    patches: [CVE-2019-11246.1.11]\n",
    )
    .unwrap();
    std::fs::create_dir(tmp.path().join("advisories")).unwrap();
    // The real KLTS fixed CVE-2019-11246 (kubectl cp) on 1.10–1.14; upstream fixed 1.12.9,
    // 1.13.6 and 1.14.2, and its record never covered the older lines.
    std::fs::write(
        tmp.path().join("advisories/CVE-2019-11246.json"),
        r#"{"id": "CVE-2019-11246", "published": "2019-06-21T00:00:00Z",
            "affected": [{"package": {"ecosystem": "kubernetes", "name": "k8s.io/kubectl"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.10.0"}, {"fixed": "1.12.9"},
                {"introduced": "1.13.0"}, {"fixed": "1.13.6"}, {"introduced": "1.14.0"}, {"fixed": "1.14.2"}]}]}],
            "references": [{"type": "ADVISORY", "url": "https://github.com/kubernetes/kubernetes/issues/76788"}]}"#,
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
            .current_dir(tmp.path())
            .args(args)
            .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
            .output()
            .unwrap()
    };
    let out = run(&["vulns", "check", "1.11.10", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c = json(&out);
    let e = c["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["advisory"]["id"] == "CVE-2019-11246")
        .unwrap_or_else(|| panic!("the program's record is judged: {c}"));
    assert_eq!(e["status"]["status"], "affected");
    assert!(e.to_string().contains("(program)"), "{e}");
    // The LTS release's chain carries the fix.
    let out = run(&["vulns", "check", "v1.11.10-lts.1", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!json(&out)["exposures"]
        .to_string()
        .contains("CVE-2019-11246"));
    // A broken record is a warning naming the file, not a silent gap.
    std::fs::write(tmp.path().join("advisories/broken.json"), "{not json").unwrap();
    let out = run(&["vulns", "check", "1.11.10"]);
    assert!(
        stderr(&out).contains("advisories/broken.json"),
        "{}",
        stderr(&out)
    );
}

/// The real KLTS manifest (a copy is the core crate's fixture), without a mirror and offline:
/// `vulns check v1.17.17-lts.3` credits what the release's own chain patches by name, which
/// plain 1.17.17 is exposed to.
#[test]
fn real_klts_manifest_without_a_mirror_credits_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../klts-core/tests/fixtures/kubernetes-lts.releases.yml"
        ),
        tmp.path().join("releases.yml"),
    )
    .unwrap();
    let check = |version: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
            .current_dir(tmp.path())
            .args(["vulns", "check", version, "--offline", "-o", "json"])
            .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let c = json(&out);
        let ids: Vec<String> = c["exposures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["advisory"]["id"].as_str().unwrap().to_string())
            .collect();
        (c, ids)
    };
    // v1.17.17-ci patches CVE-2024-10220.1.18, CVE-2025-13281, CVE-2025-1767, CVE-2025-5187.
    let chain = [
        "CVE-2024-10220",
        "CVE-2025-13281",
        "CVE-2025-1767",
        "CVE-2025-5187",
    ];
    let (_, upstream) = check("1.17.17");
    for id in chain {
        assert!(
            upstream.contains(&id.to_string()),
            "1.17.17 is exposed to {id}: {upstream:?}"
        );
    }
    let (c, lts) = check("v1.17.17-lts.3");
    assert_eq!(c["facts"], "manifest");
    for id in chain {
        assert!(
            !lts.contains(&id.to_string()),
            "the chain fixes {id}: {lts:?}"
        );
    }
    // What the chain does not patch stays open: CVE-2021-25741 is commented out in the manifest.
    assert!(lts.contains(&"CVE-2021-25741".to_string()), "{lts:?}");
    // The matrix works the same way, labelled, instead of failing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(tmp.path())
        .args([
            "vulns",
            "matrix",
            "--offline",
            "--line",
            "1.17",
            "-o",
            "json",
        ])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("manifest only"), "{}", stderr(&out));
}

/// Git evidence beats ranges and names: a fix named by its upstream commit is found in a tag
/// (a cherry-pick on the release branch) and in a chain patch that is the fix under another
/// name (same patch-id) — neither of which the ranges or the patch names could tell.
#[test]
fn git_evidence_beats_ranges_and_names() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("pkg/kubelet/volume.go", lines(&[]));
    up.commit("initial");
    up.tag("v1.17.0");
    up.write("README.md", "1.17.1\n");
    up.commit("Release 1.17.1");
    up.tag("v1.17.1");
    // The fix, on master.
    up.write("pkg/kubelet/volume.go", lines(&[(7, "validate the path")]));
    let fix = up.commit("Validate subPath before mounting");
    up.tag("v1.18.0");
    // The 1.17 release branch picks it up with `cherry-pick -x` for 1.17.2.
    up.branch("release-1.17", "v1.17.1");
    git(&up.dir, &["cherry-pick", "-x", &fix]);
    up.write("README.md", "1.17.2\n");
    up.commit("Release 1.17.2");
    up.tag("v1.17.2");
    up.checkout("master");
    // An LTS patch that is the fix, exported onto 1.17.1 under a name that says nothing.
    up.branch("lts", "v1.17.1");
    git(&up.dir, &["cherry-pick", &fix]);
    let patch = up.format_patch("v1.17.1..HEAD");
    up.checkout("master");

    let ws = Ws::new(
        &tmp.path().join("ws"),
        &format!(
            "base: {}\nproduct: kubernetes\nreleases:\n  - name: v1.17.1-lts.1\n    base_release: v1.17.1\n    must: true\n    patches: [subpath-hardening]\n  - name: v1.17.1-lts.0\n    base_release: v1.17.1\n    must: true\n  - name: v1.17.2-lts.1\n    base_release: v1.17.2\n    must: true\n  - name: v1.18.0-lts.1\n    base_release: v1.18.0\n",
            up.dir.display()
        ),
    );
    ws.patch("subpath-hardening", &patch);
    std::fs::create_dir(ws.dir.join("advisories")).unwrap();
    // The program's record says 1.17 is fixed only in 1.17.5 (a wrong range, as records have).
    std::fs::write(
        ws.dir.join("advisories/CVE-2099-0001.json"),
        format!(
            r#"{{"id": "CVE-2099-0001", "published": "2020-01-01T00:00:00Z",
              "affected": [{{"package": {{"ecosystem": "kubernetes", "name": "k8s.io/kubelet"}},
                "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "1.17.0"}}, {{"fixed": "1.17.5"}}]}}]}}],
              "references": [{{"type": "FIX", "url": "https://github.com/kubernetes/kubernetes/commit/{fix}"}}]}}"#
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(&ws.dir)
        .args(["vulns", "show", "CVE-2099-0001", "-o", "json"])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let st = |release: &str| -> (String, String) {
        let s = &v["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == release)
            .unwrap_or_else(|| panic!("{release} in {v}"))[1];
        (
            s["status"].as_str().unwrap_or_default().to_string(),
            s["evidence"].to_string(),
        )
    };
    let (lts1, ev) = st("v1.17.1-lts.1");
    assert_eq!(lts1, "fixed-by-patch", "{ev}");
    assert!(ev.contains("patch-id") && ev.contains(&fix), "{ev}");
    let (lts0, ev) = st("v1.17.1-lts.0");
    assert_eq!(lts0, "affected", "{ev}");
    let (picked, ev) = st("v1.17.2-lts.1");
    assert_eq!(
        picked, "fixed-upstream",
        "the tag carries a cherry-pick: {ev}"
    );
    assert!(ev.contains("cherry-pick"), "{ev}");
    let (contains, ev) = st("v1.18.0-lts.1");
    assert_eq!(contains, "fixed-upstream", "{ev}");
}
