//! `klts build` and `klts test` on a synthetic upstream whose build and tests are real Go
//! (Debian's golang-go): cross-compiled binaries, checksums, provenance, reproducibility,
//! failing builds, and tests that fail, flake, panic and do not compile.

mod support;

use klts_dist::build::{build, BuildError, BuildOptions};
use klts_dist::testrun::{test, TestOptions, Verdict};
use klts_forge::verify::VerifyOptions;
use klts_forge::Workspace;
use std::path::Path;
use std::process::Command;
use support::*;

const BUILD: &str = "sh build.sh";
const RELEASE: &str = "v1.0.1-lts.1";

fn options(out: &Path) -> BuildOptions {
    BuildOptions {
        out_dir: out.to_path_buf(),
        verify: VerifyOptions::default(),
        ..BuildOptions::default()
    }
}

fn ws(dir: &Path) -> Workspace {
    Workspace::open(dir, None).unwrap()
}

#[test]
fn builds_cross_compiled_binaries_with_checksums_and_provenance() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, tag_commit) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let dir = workspace(tmp.path(), &up, &patch, BUILD);
    let out = tmp.path().join("out");
    let report = build(&ws(&dir), RELEASE, &options(&out), &|_| {}).unwrap();
    let rel = out.join(RELEASE);
    assert_eq!(report.artifacts.len(), 6, "{report:?}");
    for name in ["kubectl", "kubelet", "kubeadm"] {
        assert_eq!(elf_machine(&rel.join("linux/amd64").join(name)), 0x3E);
        assert_eq!(elf_machine(&rel.join("linux/arm64").join(name)), 0xB7);
    }
    assert!(
        !rel.join("linux/amd64/kube-proxy").exists(),
        "images only with --images"
    );
    if std::env::consts::ARCH == "x86_64" {
        let run = Command::new(rel.join("linux/amd64/kubectl"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            "kubectl v1.0.1-lts.1 hello from klts lts\n",
            "the patched, versioned program"
        );
    }
    // sha256sum -c verifies SHA256SUMS, which lists every artifact, sorted.
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&rel)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let sums = std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap();
    let paths: Vec<&str> = sums
        .lines()
        .map(|l| l.split("  ").nth(1).unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 6);
    // Logs are kept; the working tree is removed on success.
    assert!(rel.join("logs/build-linux-arm64.log").is_file());
    assert!(!dir.join(".klts/worktrees").join(RELEASE).exists());

    // Provenance: in-toto statement, SLSA v1 predicate, upstream commit and patch hash.
    let prov: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rel.join("provenance.intoto.json")).unwrap())
            .unwrap();
    assert_eq!(prov["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(prov["predicateType"], "https://slsa.dev/provenance/v1");
    let subjects = prov["subject"].as_array().unwrap();
    assert_eq!(subjects.len(), 6);
    for s in subjects {
        let line = format!(
            "{}  {}",
            s["digest"]["sha256"].as_str().unwrap(),
            s["name"].as_str().unwrap()
        );
        assert!(sums.contains(&line), "{line} not in SHA256SUMS");
    }
    let deps = prov["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    assert_eq!(deps[0]["digest"]["gitCommit"], tag_commit.as_str());
    assert!(deps[0]["uri"]
        .as_str()
        .unwrap()
        .ends_with("@refs/tags/v1.0.1"));
    let patch_sha = klts_forge::fsutil::sha256_hex(&patch);
    assert_eq!(deps.len(), 2, "{deps:?}");
    assert_eq!(deps[1]["digest"]["sha256"], patch_sha.as_str());
    assert_eq!(deps[1]["uri"], "file:patches/greeting.patch");
    let def = &prov["predicate"]["buildDefinition"];
    assert_eq!(def["externalParameters"]["command"], BUILD);
    assert_eq!(def["externalParameters"]["release"], RELEASE);
    assert_eq!(
        def["internalParameters"]["releaseCommit"],
        report.commit.as_str()
    );
    assert!(def["internalParameters"]["toolchain"]["go"]
        .as_str()
        .unwrap()
        .starts_with("go version go"));
    // SOURCE_DATE_EPOCH is the release commit's committer time (the patch's author date, as
    // `git am --committer-date-is-author-date` sets it), and the artifacts' mtime.
    assert_eq!(def["internalParameters"]["sourceDateEpoch"], 1_600_003_600);
    let mtime = std::fs::metadata(rel.join("linux/amd64/kubectl"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_003_600)
    );
    assert!(prov["predicate"]["runDetails"]["metadata"]["startedOn"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // A second build gives the same bytes.
    let again = build(&ws(&dir), RELEASE, &options(&out), &|_| {}).unwrap();
    assert_eq!(
        std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap(),
        sums
    );
    assert_eq!(again.commit, report.commit);

    // --images adds the image binaries; --platform narrows.
    let mut o = options(&tmp.path().join("out2"));
    o.images = true;
    o.platforms = vec![klts_core::build::Platform::parse("linux/arm64").unwrap()];
    o.targets = vec!["kubectl".into()];
    let r = build(&ws(&dir), RELEASE, &o, &|_| {}).unwrap();
    let got: Vec<&str> = r.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(got, ["linux/arm64/kube-proxy", "linux/arm64/kubectl"]);
    o.targets = vec!["kubectx".into()];
    let err = build(&ws(&dir), RELEASE, &o, &|_| {}).unwrap_err();
    assert!(
        err.to_string().contains("not one of build.targets"),
        "{err}"
    );

    // A failing build leaves the previous output intact, keeps logs and the working tree.
    let manifest = dir.join("releases.yml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "command: sh build.sh",
            "command: sh build.sh && echo linker exploded >&2 && exit 3",
        ),
    )
    .unwrap();
    let err = build(&ws(&dir), RELEASE, &options(&out), &|_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, BuildError::CommandFailed { .. }), "{msg}");
    assert!(
        msg.contains("linker exploded") && msg.contains("exit status: 3"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap(),
        sums
    );
    assert!(out
        .join(format!(".failed-{RELEASE}/logs/build-linux-amd64.log"))
        .is_file());
    assert!(dir
        .join(".klts/worktrees")
        .join(RELEASE)
        .join("go.mod")
        .is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".klts-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An artifact that is not where build.artifacts says: named in the error, nothing published.
    std::fs::write(
        &manifest,
        text.replace(
            "artifacts: _output/bin/{os}/{arch}",
            "artifacts: _output/{os}",
        ),
    )
    .unwrap();
    let err = build(&ws(&dir), RELEASE, &options(&out), &|_| {}).unwrap_err();
    assert!(matches!(err, BuildError::MissingArtifact { .. }), "{err}");
    assert!(err.to_string().contains("_output/linux/kubectl"), "{err}");
    assert_eq!(
        std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap(),
        sums
    );
}

#[test]
fn tests_fail_flake_panic_and_are_tolerated_along_the_chain() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let dir = workspace(tmp.path(), &up, &patch, BUILD);
    let out = tmp.path().join("out");
    let opts = TestOptions {
        out_dir: out.clone(),
        ..TestOptions::default()
    };
    let verdicts = |r: &klts_dist::testrun::TestReport| -> Vec<(String, Verdict)> {
        r.packages
            .iter()
            .map(|p| {
                (
                    p.package
                        .trim_start_matches("example.com/kube/")
                        .to_string(),
                    p.verdict,
                )
            })
            .collect()
    };

    // lts.1 tolerates only pkg/broken (inherited from v1.0.1-ci).
    let r = test(&ws(&dir), RELEASE, &opts, &|_| {}).unwrap();
    assert!(!r.passed);
    assert_eq!(r.runs, 3, "first run + 2 retries of what still fails");
    assert_eq!(
        verdicts(&r),
        [
            ("cmd/kube-proxy".into(), Verdict::NoTests),
            ("cmd/kubeadm".into(), Verdict::NoTests),
            ("cmd/kubectl".into(), Verdict::NoTests),
            ("cmd/kubelet".into(), Verdict::NoTests),
            ("pkg/always".into(), Verdict::Fail),
            ("pkg/broken".into(), Verdict::Tolerated),
            ("pkg/flaky".into(), Verdict::Flaky),
            ("pkg/good".into(), Verdict::Pass),
            ("pkg/panics".into(), Verdict::Fail),
            ("pkg/version".into(), Verdict::Pass),
        ]
    );
    let always = r
        .packages
        .iter()
        .find(|p| p.package.ends_with("pkg/always"))
        .unwrap();
    assert_eq!(always.attempts, 3);
    let flaky = r
        .packages
        .iter()
        .find(|p| p.package.ends_with("pkg/flaky"))
        .unwrap();
    assert_eq!(flaky.attempts, 2);
    let xml = std::fs::read_to_string(out.join(RELEASE).join("test/junit.xml")).unwrap();
    let always_case = xml
        .split("<testcase name=\"TestAlways\" classname=\"example.com/kube/pkg/always\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no TestAlways case: {xml}"));
    assert!(always_case.trim_start().starts_with("<failure"), "{xml}");
    assert!(
        xml.contains("always fails: &lt;want&gt; &amp; &quot;got&quot;"),
        "escaped output: {xml}"
    );
    assert!(xml.contains("name=\"TestTable/case_b\""), "{xml}");
    assert!(xml.contains("type=\"panic\""), "{xml}");
    assert!(xml.contains("<skipped message=\"tolerated"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"example.com/kube/cmd/kubectl\" tests=\"0\""),
        "no test files: an empty suite: {xml}"
    );
    assert!(
        xml.contains("flaky: failed on the first run, passed on attempt 2"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuites name=\"klts test v1.0.1-lts.1\" tests=\"")
            && xml.contains("failures=\"4\""),
        "{xml}"
    );
    // Packages sorted: the same results give the same bytes.
    let suites: Vec<&str> = xml.lines().filter(|l| l.contains("<testsuite ")).collect();
    let mut sorted = suites.clone();
    sorted.sort();
    assert_eq!(suites, sorted);

    // lts.2 tolerates pkg/always and pkg/panics too: the release passes.
    let r = test(&ws(&dir), "v1.0.1-lts.2", &opts, &|_| {}).unwrap();
    assert!(r.passed, "{:?}", verdicts(&r));
    assert_eq!(r.runs, 2, "only the flaky package is retried");
    assert_eq!(r.tolerated.len(), 3);
    let v = verdicts(&r);
    assert!(v.contains(&("pkg/always".into(), Verdict::Tolerated)));
    assert!(v.contains(&("pkg/panics".into(), Verdict::Tolerated)));
    assert!(v.contains(&("pkg/flaky".into(), Verdict::Flaky)));
    assert!(out.join("v1.0.1-lts.2/test/junit.xml").is_file());
}

#[test]
fn a_test_command_that_cannot_run_is_an_error_not_a_failure() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let dir = workspace(tmp.path(), &up, &patch, BUILD);
    let manifest = dir.join("releases.yml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("command: go test -count=1", "command: no-such-tool test"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let opts = TestOptions {
        out_dir: out.clone(),
        ..TestOptions::default()
    };
    let err = test(&ws(&dir), RELEASE, &opts, &|_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no `go test` results") && msg.contains("no-such-tool"),
        "{msg}"
    );
    assert!(!out.join(RELEASE).join("test").exists());
}

#[test]
fn a_test_run_over_its_timeout_is_stopped() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let dir = workspace(tmp.path(), &up, &patch, BUILD);
    let manifest = dir.join("releases.yml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text
        .replace(
            "command: go test -count=1",
            "command: echo started; sleep 30; go test",
        )
        .replace("timeout: 10m", "timeout: 1s");
    std::fs::write(&manifest, text).unwrap();
    let out = tmp.path().join("out");
    let opts = TestOptions {
        out_dir: out.clone(),
        ..TestOptions::default()
    };
    let started = std::time::Instant::now();
    let err = test(&ws(&dir), RELEASE, &opts, &|_| {}).unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "stopped, not waited for"
    );
    let msg = err.to_string();
    assert!(msg.contains("did not finish within 1s"), "{msg}");
    let log = out.join(format!(".failed-{RELEASE}-test/test.log"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "started\n");
    assert!(msg.contains(&log.display().to_string()), "{msg}");
    assert!(!out.join(RELEASE).join("test").exists());
}
