//! Patch sources: URL patches from a loopback HTTP server, sha256 pins in klts.lock, tampered
//! and unreachable downloads, and offline resolution from the upstream's own commits and
//! pull-request merges.

mod support;

use serde_json::Value;
use support::*;

struct Setup {
    tmp: tempfile::TempDir,
    up: Repo,
    fix: Vec<u8>,
    fix_commit: String,
}

/// Upstream: master with a PR merged (#42, two commits) and a tag v2.0.0 before it.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let up = Repo::init(&tmp.path().join("upstream"));
    up.write("src/main.go", lines(&[]));
    up.write("src/util.go", lines(&[]));
    up.commit("initial");
    up.tag("v2.0.0");
    up.branch("feature", "master");
    up.write("src/main.go", lines(&[(4, "line 4 hardened")]));
    let fix_commit = up.commit("Harden main (CVE-0000-0042)");
    up.write("src/util.go", lines(&[(12, "util fixed")]));
    up.commit("Fix util as well");
    let fix = up.format_patch("v2.0.0..HEAD");
    up.checkout("master");
    let out = git_output(
        &up.dir,
        &[
            "merge",
            "-q",
            "--no-ff",
            "feature",
            "-m",
            "Merge pull request #42 from dev/feature\n\nHarden main",
        ],
        &[
            ("GIT_AUTHOR_DATE", "@1700000000 +0000"),
            ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    Setup {
        tmp,
        up,
        fix,
        fix_commit,
    }
}

fn manifest(up: &Repo, url: &str) -> String {
    format!(
        "base: {}\nreleases:\n  - name: v2.0.0-lts.1\n    base_release: v2.0.0\n    must: true\n    patches: [CVE-0000-0042]\npatches:\n  # CVSS 7.5\n  - name: CVE-0000-0042\n    patch:\n      - {url}\n",
        up.dir.display()
    )
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}{}", stdout(o), stderr(o)))
}

#[test]
fn url_patch_is_downloaded_once_pinned_and_tamper_is_refused() {
    let s = setup();
    let server = HttpServer::start();
    server.serve("/o/r/pull/42.patch", &s.fix);
    let url = format!("{}/o/r/pull/42.patch", server.base);
    let ws = Ws::new(&s.tmp.path().join("ws"), &manifest(&s.up, &url));

    // Unpinned: lint says so.
    let lint = ws.klts(&["lint", "-o", "json"]);
    assert!(stdout(&lint).contains("unpinned-url"), "{}", stdout(&lint));

    let out = ws.klts(&["lock"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let lock = std::fs::read_to_string(ws.dir.join("klts.lock")).unwrap();
    let sha = klts_forge::fsutil::sha256_hex(&s.fix);
    assert!(lock.contains(&url) && lock.contains(&sha), "{lock}");
    let hits = server.hits.load(std::sync::atomic::Ordering::SeqCst);

    // Verify uses the cache: no new request.
    let out = ws.klts(&["verify", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), hits);
    let report = json(&out);
    let r = &report["releases"][0];
    assert_eq!(r["patches"][0]["files"][0]["sha256"], sha.as_str());
    // Same commit as `git am -3` of the downloaded patch.
    let expected = reference_am(
        &s.up.dir,
        s.tmp.path(),
        "v2.0.0",
        std::slice::from_ref(&s.fix),
    )
    .unwrap();
    assert_eq!(r["commit"], expected.as_str());

    // The server now returns something else; a fresh cache must refuse it.
    let mut evil = s.fix.clone();
    evil.extend_from_slice(b"\n-- \nsneaky\n");
    server.serve("/o/r/pull/42.patch", &evil);
    let fresh = s.tmp.path().join("fresh-cache");
    let out = ws.klts(&["--cache-dir", fresh.to_str().unwrap(), "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("does not match its pin"), "{text}");
    assert!(
        text.contains(&url)
            && text.contains(&sha)
            && text.contains(&klts_forge::fsutil::sha256_hex(&evil)),
        "{text}"
    );
    // Nothing was tagged or cached for the tampered content.
    assert!(!fresh
        .join("downloads/sha256")
        .join(klts_forge::fsutil::sha256_hex(&evil))
        .exists());

    // `lock --update` re-pins after review; the lock file changes.
    let out = ws.klts(&["--cache-dir", fresh.to_str().unwrap(), "lock", "--update"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let relocked = std::fs::read_to_string(ws.dir.join("klts.lock")).unwrap();
    assert!(relocked.contains(&klts_forge::fsutil::sha256_hex(&evil)));
}

#[test]
fn unreachable_url_fails_clearly_and_lock_is_not_written() {
    let s = setup();
    let url = format!("http://127.0.0.1:{}/downloads/fix.patch", dead_port());
    let ws = Ws::new(&s.tmp.path().join("ws"), &manifest(&s.up, &url));
    let out = ws.klts(&["lock"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(&url), "{}", stdout(&out));
    assert!(stdout(&out).contains("download failed"), "{}", stdout(&out));
    assert!(
        !ws.dir.join("klts.lock").exists(),
        "no lock file after a failed lock"
    );
    let out = ws.klts(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("download failed"), "{}", stdout(&out));
    // Offline: says it is not available offline, and never tries the network.
    let out = ws.klts(&["verify", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("not available offline"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn offline_pull_and_commit_urls_come_from_the_upstream() {
    let s = setup();
    // Nothing listens there: only the mirror can provide these patches.
    let port = dead_port();
    let pull = format!("http://127.0.0.1:{port}/o/r/pull/42.patch");
    let ws = Ws::new(&s.tmp.path().join("ws"), &manifest(&s.up, &pull));
    // `fetch` brings the tag and the default branch (where PR #42 was merged).
    // The URL itself cannot be downloaded, so fetch falls back on the merge of PR #42.
    let out = ws.klts(&["fetch", "-o", "json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(json(&out)["urls"][0]["origin"]["kind"], "upstream-pull");
    let out = ws.klts(&["verify", "--offline", "-o", "json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(&out);
    let r = &report["releases"][0];
    assert_eq!(
        r["patches"][0]["files"][0]["origin"]["kind"],
        "upstream-pull"
    );
    assert_eq!(r["patches"][0]["files"][0]["origin"]["number"], 42);
    // The PR's two commits, as git am -3 of the PR's own patch gives them.
    let expected = reference_am(
        &s.up.dir,
        s.tmp.path(),
        "v2.0.0",
        std::slice::from_ref(&s.fix),
    )
    .unwrap();
    assert_eq!(r["commit"], expected.as_str());

    // A commit URL: just that commit.
    let commit_url = format!("http://127.0.0.1:{port}/o/r/commit/{}.patch", s.fix_commit);
    std::fs::write(ws.dir.join("releases.yml"), manifest(&s.up, &commit_url)).unwrap();
    let out = ws.klts(&["verify", "--offline", "-o", "json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["releases"][0]["patches"][0]["files"][0]["origin"]["kind"],
        "upstream-commit"
    );
    let single = s.up.format_patch(&format!("{0}^..{0}", s.fix_commit));
    let expected = reference_am(&s.up.dir, s.tmp.path(), "v2.0.0", &[single]).unwrap();
    assert_eq!(report["releases"][0]["commit"], expected.as_str());

    // `lock --offline` does not pin what the mirror produced: a pin of klts's own rendering
    // would later refuse GitHub's rendering of the same commit. It says so.
    let out = ws.klts(&["lock", "--offline"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("not pinned"), "{}", stdout(&out));
    assert!(!std::fs::read_to_string(ws.dir.join("klts.lock"))
        .unwrap_or_default()
        .contains(&commit_url));
    // Later, the real URL serves GitHub-style bytes of the same commit: accepted, and pinned.
    let server = HttpServer::start();
    let github = s.up.format_patch(&format!("{0}^..{0}", s.fix_commit));
    let served_url = format!("{}/o/r/commit/{}.patch", server.base, s.fix_commit);
    server.serve(&format!("/o/r/commit/{}.patch", s.fix_commit), &github);
    std::fs::write(ws.dir.join("releases.yml"), manifest(&s.up, &served_url)).unwrap();
    let out = ws.klts(&["lock"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(std::fs::read_to_string(ws.dir.join("klts.lock"))
        .unwrap()
        .contains(&served_url));
    let out = ws.klts(&["verify", "--offline", "-o", "json"]);
    assert_eq!(
        json(&out)["releases"][0]["patches"][0]["files"][0]["origin"]["kind"],
        "cache"
    );
}
