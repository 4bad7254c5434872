//! Support follows the program: a `support:` decision in lifecycle.yml replaces the formula,
//! the workspace's git history says when each line last shipped, and `klts lint` warns where
//! the two disagree (the real KLTS manifest shipped 1.17 releases in 2026, two years after
//! "community end of life + 3 years").

mod support;

use support::{git_output, stderr, stdout, Repo};

/// Commit the workspace's files on `day` (YYYY-MM-DD).
fn commit_on(dir: &std::path::Path, day: &str, message: &str) {
    let date = format!("{day}T12:00:00Z");
    for args in [&["add", "-A"][..], &["commit", "-q", "-m", message][..]] {
        let out = git_output(
            dir,
            args,
            &[("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

fn klts(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    support::klts_command()
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .env("KLTS_FEED_CACHE", dir.join(".feeds"))
        .output()
        .unwrap()
}

#[test]
fn support_follows_the_programs_decisions_and_lint_checks_its_activity() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let repo = Repo::init(&ws);
    // Kubernetes 1.17: community end of life 2021-01-13, + 3 years = 2024-01-13.
    repo.write(
        "releases.yml",
        "base: https://github.com/kubernetes/kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n",
    );
    commit_on(&ws, "2021-06-01", "1.17: first LTS release");
    repo.write(
        "releases.yml",
        "base: https://github.com/kubernetes/kubernetes\nreleases:\n  - name: v1.17.17-lts.2\n    base_release: v1.17.17-lts.1\n    must: true\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n",
    );
    commit_on(&ws, "2026-04-14", "1.17: CVE-2025-1767");

    // The formula says 1.17 ended in 2024, but the program shipped lts.2 in 2026.
    let out = klts(&ws, &["lint"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("warning[support-disagrees]")
            && text.contains("v1.17.17-lts.2 on 2026-04-14")
            && text.contains("2024-01-13"),
        "{text}"
    );
    // It points at the release in releases.yml.
    assert!(text.contains("releases.yml:3:"), "{text}");
    let out = klts(&ws, &["lifecycle", "--date", "2026-12-01", "-o", "json"]);
    let l: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l17 = l["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["line"] == "1.17")
        .cloned()
        .unwrap();
    assert_eq!(l17["phase"], "eol", "{l17}");
    assert_eq!(l17["activity"]["release"], "v1.17.17-lts.2", "{l17}");
    assert_eq!(l17["activity"]["date"], "2026-04-14", "{l17}");
    assert!(l17["disagreement"].is_string(), "{l17}");

    // The program's decision: until further notice. No warning; the line is supported.
    std::fs::write(
        ws.join("lifecycle.yml"),
        "support:\n  - line: \"1.17\"\n    until: further-notice\n",
    )
    .unwrap();
    let out = klts(&ws, &["lint"]);
    let text = stdout(&out) + &stderr(&out);
    assert!(!text.contains("support-disagrees"), "{text}");
    let out = klts(&ws, &["lifecycle", "--date", "2026-12-01"]);
    let table = stdout(&out);
    let row = table.lines().find(|l| l.starts_with("1.17 ")).unwrap();
    assert!(
        row.contains("lts") && row.contains("further notice"),
        "{row}"
    );
    assert!(row.contains("v1.17.17-lts.2 2026-04-14"), "{row}");
    // The portal says the same, on the line's page and in the chart.
    let site = tmp.path().join("site");
    let out = klts(
        &ws,
        &[
            "site",
            "build",
            site.to_str().unwrap(),
            "--offline",
            "--date",
            "2026-12-01",
        ],
    );
    // Exit 1: the releases are not verified (no mirror); the pages are written.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let page = std::fs::read_to_string(site.join("lines/1.17/index.html")).unwrap();
    assert!(page.contains("until further notice"), "{page}");
    assert!(page.contains("v1.17.17-lts.2 on"), "{page}");
    assert!(!page.contains("class=\"notice\""), "{page}");
    let svg = std::fs::read_to_string(site.join("lifecycle.svg")).unwrap();
    assert!(svg.contains("1.17: KLTS support 2021-01-14 to further notice"));

    // A decided last day before the activity is a disagreement again, named as the policy's.
    std::fs::write(
        ws.join("lifecycle.yml"),
        "support:\n  - {line: \"1.17\", until: 2025-12-31}\n",
    )
    .unwrap();
    let out = klts(&ws, &["lint"]);
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("support-disagrees") && text.contains("`support:` decision"),
        "{text}"
    );
    let out = klts(
        &ws,
        &[
            "site",
            "build",
            site.to_str().unwrap(),
            "--offline",
            "--date",
            "2026-12-01",
        ],
    );
    // Exit 1: the releases are not verified (no mirror); the pages are written.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let page = std::fs::read_to_string(site.join("lines/1.17/index.html")).unwrap();
    assert!(
        page.contains("class=\"notice\"")
            && page.contains(
                "after the line's support ended on <span class=\"date\">2025-12-31</span>"
            )
            && page.contains("<code>support:</code> decision")
            && page.contains("href=\"/releases/v1.17.17-lts.2/\""),
        "{page}"
    );
    // In Chinese, from the same facts.
    let zh = std::fs::read_to_string(site.join("zh/lines/1.17/index.html")).unwrap();
    assert!(
        zh.contains("而该版本线的支持已于 <span class=\"date\">2025-12-31</span> 结束")
            && !zh.contains("after the line's support ended"),
        "{zh}"
    );

    // A bad decision is an error with its position and what to write.
    std::fs::write(
        ws.join("lifecycle.yml"),
        "support:\n  - {line: \"1.17\", until: someday}\n",
    )
    .unwrap();
    let out = klts(&ws, &["lifecycle"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("lifecycle.yml:2:") && stderr(&out).contains("further-notice"),
        "{}",
        stderr(&out)
    );
}

/// A workspace that is not a git repository has no activity: nothing to warn about, and no
/// error either.
#[test]
fn no_history_no_activity() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("releases.yml"),
        "base: https://github.com/kubernetes/kubernetes\nreleases:\n  - name: v1.17.17-lts.2\n    base_release: v1.17.17\n    must: true\n",
    )
    .unwrap();
    let out = klts(tmp.path(), &["lint"]);
    let text = stdout(&out) + &stderr(&out);
    assert!(!text.contains("support-disagrees"), "{text}");
    let out = klts(tmp.path(), &["lifecycle", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
