//! `klts lifecycle` and `klts site build` through the binary.

mod support;

use serde_json::Value;
use std::process::Command;
use support::*;

fn klts_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(dir)
        .args(args)
        .env("KLTS_FEED_CACHE", dir.join(".feeds"))
        .output()
        .unwrap()
}

fn phase(v: &Value, line: &str) -> (String, Option<i64>) {
    let l = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == line)
        .unwrap_or_else(|| panic!("no {line}"));
    (
        l["phase"].as_str().unwrap().to_string(),
        l["days_left"].as_i64(),
    )
}

#[test]
fn lifecycle_on_a_date_without_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    // 1.17's community end of life is 2021-01-13: still community that day, LTS the next.
    let out = klts_in(
        tmp.path(),
        &["lifecycle", "--date", "2021-01-13", "-o", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(phase(&v, "1.17"), ("community".into(), Some(0)));
    assert_eq!(
        phase(&v, "1.9").0,
        "eol",
        "lines before 1.10 are not in the program"
    );
    let v: Value = serde_json::from_slice(
        &klts_in(
            tmp.path(),
            &["lifecycle", "--date", "2021-01-14", "-o", "json"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(phase(&v, "1.17").0, "lts");
    let v: Value = serde_json::from_slice(
        &klts_in(
            tmp.path(),
            &[
                "lifecycle",
                "--date",
                "2021-01-14",
                "--lts-years",
                "0",
                "-o",
                "json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(phase(&v, "1.17").0, "eol");
    // The chart.
    let svg = tmp.path().join("chart.svg");
    let out = klts_in(tmp.path(), &["lifecycle", "--svg", svg.to_str().unwrap()]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("<svg") && text.contains("1.17"),
        "{}",
        &text[..200.min(text.len())]
    );
    // Bad input.
    let out = klts_in(tmp.path(), &["lifecycle", "--date", "2021-02-30"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn workspace_lifecycle_file_and_dropped_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Ws::new(
        tmp.path(),
        "base: /nonexistent\nproduct: kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    must: false\n",
    );
    std::fs::write(ws.dir.join("lifecycle.yml"), "lts_years: 2\n").unwrap();
    let out = klts_in(
        &ws.dir,
        &["lifecycle", "--date", "2021-06-01", "-o", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lts_years"], 2);
    assert_eq!(phase(&v, "1.17").0, "lts");
    assert_eq!(
        phase(&v, "1.16").0,
        "eol",
        "only must: false releases: the line was dropped"
    );
    assert_eq!(phase(&v, "1.15").0, "eol", "not in the manifest");
    std::fs::write(
        ws.dir.join("lifecycle.yml"),
        "lines:\n  - line: \"1.40\"\n    released: 2027-13-01\n",
    )
    .unwrap();
    let out = klts_in(&ws.dir, &["lifecycle"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("lifecycle.yml:3:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn static_site_without_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("site");
    let out = klts_in(tmp.path(), &["site", "build", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("files to"), "{}", stdout(&out));
    let home = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert!(
        home.starts_with("<!DOCTYPE html>") || home.starts_with("<!doctype html>"),
        "{}",
        &home[..100]
    );
    let advisories: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("api/v1/advisories.json")).unwrap())
            .unwrap();
    assert!(advisories.to_string().contains("CVE-2021-3121"));
    assert!(out_dir
        .join("advisories/CVE-2021-3121/index.html")
        .is_file());
    assert!(out_dir.join("lifecycle.svg").is_file());
    // A second build replaces the first.
    let out = klts_in(tmp.path(), &["site", "build", out_dir.to_str().unwrap()]);
    assert!(out.status.success());
}

/// `klts serve` stops cleanly on SIGTERM and SIGINT, and says which one stopped it.
#[cfg(unix)]
#[test]
fn serve_stops_on_sigterm_and_sigint_and_says_so() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    for signal in ["TERM", "INT"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_klts"))
            .current_dir(tmp.path())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("KLTS_FEED_CACHE", tmp.path().join(".feeds"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read stderr on a thread: the lines so far, shared.
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let reader = {
            let lines = lines.clone();
            let stderr = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().unwrap().push(line);
                }
            })
        };
        let has = |what: &str| lines.lock().unwrap().iter().any(|l| l.contains(what));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !has("serving the portal at") {
            assert!(
                Instant::now() < deadline && child.try_wait().unwrap().is_none(),
                "klts serve did not start: {:?}",
                lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("klts serve still runs 30 s after SIG{signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        reader.join().unwrap();
        let lines = lines.lock().unwrap().clone();
        assert!(status.success(), "SIG{signal}: {status:?} {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("klts serve: stopping (SIG{signal})")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l == "klts serve: stopped"),
            "{lines:?}"
        );
    }
}

/// `--also`: another product's workspace under its prefix; two of one product are refused
/// (exit 2, naming both) by `site build` and `serve` before anything is built or bound.
#[test]
fn site_build_with_another_product_and_the_same_product_twice() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, product, release, base) in [
        ("k", "kubernetes", "v1.17.17-lts.1", "v1.17.17"),
        ("c", "containerd", "v1.4.3-lts.1", "v1.4.3"),
        ("c2", "containerd", "v1.4.3-lts.1", "v1.4.3"),
    ] {
        std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
        std::fs::write(
            tmp.path().join(dir).join("releases.yml"),
            format!("product: {product}\nbase: /nonexistent\nreleases:\n  - name: {release}\n    base_release: {base}\n    patches: []\n"),
        )
        .unwrap();
    }
    let out = klts_in(
        tmp.path(),
        &[
            "--workspace",
            "k",
            "site",
            "build",
            "public",
            "--also",
            "c",
            "--offline",
        ],
    );
    // 1: the releases are not verified (no mirror), which is said on stderr.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("containerd: "), "{}", stdout(&out));
    let public = tmp.path().join("public");
    for f in [
        "releases/v1.17.17-lts.1/index.html",
        "containerd/releases/v1.4.3-lts.1/index.html",
        "kubernetes/releases/v1.17.17-lts.1/index.html",
        "api/v1/containerd/releases/v1.4.3-lts.1.json",
    ] {
        assert!(public.join(f).is_file(), "{f}");
    }
    for args in [
        &[
            "--workspace",
            "k",
            "site",
            "build",
            "twice",
            "--also",
            "c",
            "--also",
            "c2",
        ][..],
        &[
            "--workspace",
            "k",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--also",
            "c",
            "--also",
            "c2",
        ],
    ] {
        let out = klts_in(tmp.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("c and c2 both maintain containerd"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!tmp.path().join("twice").exists());
}
