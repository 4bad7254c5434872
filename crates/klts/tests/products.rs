//! Every product from one tool: containerd- and runc-shaped upstreams are judged by their own
//! advisories and calendars, never by Kubernetes'; a project klts does not know is a generic Go
//! project and says so.

mod support;

use support::{stderr, stdout, Repo, Ws};

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The workspace's releases × advisories, as `vulns matrix -o json` gives them:
/// advisory id (and aliases) → status per release.
fn matrix(ws: &Ws, feeds: &std::path::Path) -> Vec<(Vec<String>, Vec<String>)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(&ws.dir)
        .args(["vulns", "matrix", "-o", "json", "--offline"])
        .env("KLTS_FEED_CACHE", feeds)
        .env_remove("KLTS_CACHE_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let m = json(&out);
    m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let mut ids = vec![row["advisory"]["id"].as_str().unwrap().to_string()];
            ids.extend(
                row["advisory"]["aliases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string()),
            );
            let cells = row["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["status"].as_str().unwrap().to_string())
                .collect();
            (ids, cells)
        })
        .collect()
}

fn row<'a>(m: &'a [(Vec<String>, Vec<String>)], id: &str) -> &'a [String] {
    &m.iter()
        .find(|(ids, _)| ids.iter().any(|i| i == id))
        .unwrap_or_else(|| panic!("{id} in the matrix: {m:?}"))
        .1
}

/// An upstream whose go.mod names `module`, tagged `tag`, with a fix commit on top.
fn upstream(dir: &std::path::Path, module: &str, tag: &str) -> (Repo, Vec<u8>) {
    let up = Repo::init(dir);
    up.write("go.mod", format!("module {module}\n\ngo 1.13\n"));
    up.write("main.go", "package main\n\nfunc main() {}\n");
    up.write(
        "oci/spec.go",
        "package oci\n\n// Mode of new directories.\nconst DirMode = 0711\n",
    );
    up.commit("release");
    up.tag(tag);
    up.write(
        "oci/spec.go",
        "package oci\n\n// Mode of new directories.\nconst DirMode = 0700\n",
    );
    up.commit("oci: restrict directory permissions");
    let fix = up.format_patch("HEAD~1..HEAD");
    up.checkout(tag);
    (up, fix)
}

#[test]
fn containerd_is_judged_by_containerds_advisories_and_calendar() {
    let tmp = tempfile::tempdir().unwrap();
    let (up, fix) = upstream(
        &tmp.path().join("upstream"),
        "github.com/containerd/containerd",
        "v1.4.3",
    );
    // No `product:` and a local base: the upstream go.mod says what it is.
    let ws = Ws::new(
        &tmp.path().join("ws"),
        &format!(
            "base: {}\nreleases:\n  - name: v1.4.3-lts.1\n    base_release: v1.4.3\n    must: true\n    patches: [CVE-2021-41103.1.4]\n  - name: v1.4.3-lts.0\n    base_release: v1.4.3\n",
            up.dir.display()
        ),
    );
    ws.patch("CVE-2021-41103.1.4", &fix);
    let out = ws.klts(&["verify"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let feeds = tmp.path().join("feeds");
    let m = matrix(&ws, &feeds);
    // CVE-2021-41103 (fixed upstream in 1.4.11): open on the bare tag, fixed by the patch.
    assert_eq!(
        row(&m, "CVE-2021-41103"),
        ["fixed-by-patch", "affected"],
        "{m:?}"
    );
    assert_eq!(row(&m, "GHSA-c2h3-6mxw-7mvq"), row(&m, "CVE-2021-41103"));
    // Not one Kubernetes advisory, and no runc advisory either.
    for (ids, _) in &m {
        for id in [
            "CVE-2020-8559",
            "CVE-2021-25741",
            "CVE-2021-3121",
            "CVE-2024-21626",
        ] {
            assert!(!ids.iter().any(|i| i == id), "{id} listed for containerd");
        }
    }
    // Why it is containerd, said where an operator looks.
    let out = ws.klts(&["-v", "vulns", "check", "1.4.3", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("containerd") && stderr(&out).contains("go.mod"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("CVE-2021-41103"), "{}", stdout(&out));
    // A Kubernetes advisory asked about by name is refused with the reason.
    let out = ws.klts(&["vulns", "show", "CVE-2021-25741", "--offline"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("does not concern containerd"),
        "{}",
        stderr(&out)
    );

    // containerd's calendar: 1.3 ended on 2021-03-04 (RELEASES.md), no Kubernetes line.
    let out = ws.klts(&["lifecycle", "--date", "2022-01-01", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let l = json(&out);
    assert_eq!(l["product"], "containerd", "{l}");
    let lines = l["lines"].as_array().unwrap();
    let l13 = lines.iter().find(|x| x["line"] == "1.3").expect("1.3");
    assert_eq!(l13["community_eol"], "2021-03-04", "{l13}");
    assert!(lines.iter().all(|x| x["line"] != "1.17"), "{l}");
    // The 1.4 line has a must release: in the program after its community EOL.
    let l14 = lines.iter().find(|x| x["line"] == "1.4").expect("1.4");
    assert_eq!(l14["phase"], "community", "{l14}");
    let out = ws.klts(&["lifecycle", "--date", "2023-01-01", "-o", "json"]);
    let l = json(&out);
    let l14 = l["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["line"] == "1.4")
        .cloned()
        .unwrap();
    assert_eq!(l14["phase"], "lts", "{l14}");
    // `--product` asks about another product's calendar.
    let out = ws.klts(&["lifecycle", "--product", "kubernetes", "-o", "json"]);
    assert_eq!(json(&out)["product"], "kubernetes");
    let out = ws.klts(&["lifecycle", "--product", "podman"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown product"), "{}", stderr(&out));
}

#[test]
fn runc_is_judged_by_runcs_advisories() {
    let tmp = tempfile::tempdir().unwrap();
    let (up, fix) = upstream(
        &tmp.path().join("upstream"),
        "github.com/opencontainers/runc",
        "v1.1.11",
    );
    // Declared, although the go.mod would say it too.
    let ws = Ws::new(
        &tmp.path().join("ws"),
        &format!(
            "base: {}\nproduct: runc\nreleases:\n  - name: v1.1.11-lts.1\n    base_release: v1.1.11\n    must: true\n    patches: [CVE-2024-21626.1.1]\n  - name: v1.1.11-lts.0\n    base_release: v1.1.11\n",
            up.dir.display()
        ),
    );
    ws.patch("CVE-2024-21626.1.1", &fix);
    assert!(ws.klts(&["verify"]).status.success());
    let m = matrix(&ws, &tmp.path().join("feeds"));
    assert_eq!(
        row(&m, "CVE-2024-21626"),
        ["fixed-by-patch", "affected"],
        "{m:?}"
    );
    for (ids, _) in &m {
        for id in ["CVE-2021-41103", "CVE-2020-8559"] {
            assert!(!ids.iter().any(|i| i == id), "{id} listed for runc");
        }
    }
    // A bad `product:` is a manifest error with its position.
    std::fs::write(
        ws.dir.join("releases.yml"),
        "base: x\nproduct: dockerd\nreleases: []\n",
    )
    .unwrap();
    let out = ws.klts(&["lint"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("releases.yml:2") && stderr(&out).contains("unknown product"),
        "{}",
        stderr(&out)
    );
}

/// The quick start's toy upstream is no Kubernetes 1.0: a generic Go project gets Go's
/// advisories only, and its gate does not fail on Kubernetes CVEs.
#[test]
fn a_toy_upstream_is_a_generic_go_project() {
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("upstream"), "example.com/toy", "v1.0.0");
    let ws = Ws::new(
        &tmp.path().join("ws"),
        &format!(
            "base: {}\nreleases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\n",
            up.dir.display()
        ),
    );
    // Before the mirror, nothing names the product: lint says so.
    let out = ws.klts(&["lint"]);
    assert!(
        stdout(&out).contains("warning[product-undecided]"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(ws.klts(&["verify"]).status.success());
    // After it, the go.mod decides (a generic project): no warning.
    let out = ws.klts(&["lint"]);
    assert!(
        !stdout(&out).contains("product-undecided"),
        "{}",
        stdout(&out)
    );
    let m = matrix(&ws, &tmp.path().join("feeds"));
    for (ids, _) in &m {
        assert!(
            !ids.iter()
                .any(|i| i.starts_with("CVE-2020-85") || i == "CVE-2021-41103"),
            "{ids:?} listed for a generic project"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(&ws.dir)
        .args(["vulns", "gate", "--offline"])
        .env("KLTS_FEED_CACHE", tmp.path().join("feeds"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = ws.klts(&["-v", "vulns", "matrix", "--offline"]);
    assert!(
        stderr(&out).contains("example.com/toy is not a built-in product"),
        "{}",
        stderr(&out)
    );
}
