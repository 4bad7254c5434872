//! `klts ci github`: the generated workflow parses as YAML, has the job graph the docs
//! promise, lists every `must` release of the real KLTS manifest, and is byte-stable.

use klts_core::Manifest;
use klts_dist::ci::{github_workflow, WorkflowSpec};
use saphyr::{LoadableYamlNode, Yaml};
use std::path::Path;

fn fixture() -> Manifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../klts-core/tests/fixtures/kubernetes-lts.releases.yml");
    Manifest::load(&path).expect("fixture manifest loads")
}

fn spec(m: &Manifest) -> WorkflowSpec {
    WorkflowSpec::new(
        m.must_releases().map(|r| r.name.value.clone()).collect(),
        vec!["linux/amd64".into(), "linux/arm64".into()],
    )
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec()
        .expect("a sequence")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn workflow_parses_and_fans_out_over_every_must_release() {
    let m = fixture();
    let spec = spec(&m);
    assert!(
        spec.releases.len() > 10,
        "the real manifest has many must releases"
    );
    let text = github_workflow(&spec).unwrap();
    let docs = Yaml::load_from_str(&text).expect("generated workflow is YAML");
    assert_eq!(docs.len(), 1);
    let root = &docs[0];
    let jobs = &root["jobs"];
    let names: Vec<&str> = jobs
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["klts", "lint", "verify", "build", "test", "package", "image", "publish"]
    );
    // klts is installed once, by the `klts` job; the others download its binary.
    let install_runs = text.matches(&spec.install).count();
    assert_eq!(install_runs, 1, "klts is compiled in one job only");
    for (name, job) in jobs.as_mapping().unwrap() {
        if name.as_str() == Some("klts") {
            continue;
        }
        let downloads_klts = job["steps"].as_vec().unwrap().iter().any(|s| {
            s["uses"].as_str() == Some("actions/download-artifact@v4")
                && s["with"]["name"].as_str() == Some("klts-bin")
        });
        assert!(downloads_klts, "job {name:?} does not get the klts binary");
    }
    assert_eq!(jobs["lint"]["needs"].as_str(), Some("klts"));
    // Without known toolchains every release's Go is `stable`.
    for job in ["build", "test"] {
        let include = jobs[job]["strategy"]["matrix"]["include"].as_vec().unwrap();
        assert_eq!(include.len(), spec.releases.len());
        assert!(include.iter().all(|i| i["go"].as_str() == Some("stable")));
        assert!(text.contains("go-version: ${{ matrix.go }}"));
    }
    // Every must release is verified, built, tested; every platform is built and packaged.
    for job in ["verify", "build", "test", "package", "image"] {
        let matrix = &jobs[job]["strategy"]["matrix"];
        assert_eq!(strings(&matrix["release"]), spec.releases, "job {job}");
    }
    for job in ["build", "package"] {
        assert_eq!(
            strings(&jobs[job]["strategy"]["matrix"]["platform"]),
            spec.platforms
        );
    }
    for r in m.must_releases() {
        assert!(text.contains(&r.name.value), "{} missing", r.name.value);
    }
    // Non-must releases (the -ci intermediates) are not fanned out.
    for r in m.releases.iter().filter(|r| !r.must) {
        assert!(!spec.releases.contains(&r.name.value));
    }
    // The graph: publish waits for tests, packages and images.
    let needs = strings(&jobs["publish"]["needs"]);
    assert_eq!(needs, ["test", "package", "image"]);
    assert_eq!(jobs["build"]["needs"].as_str(), Some("verify"));
    // Every step that runs something is a string; every klts call names a subcommand we have.
    for (_, job) in jobs.as_mapping().unwrap() {
        for step in job["steps"].as_vec().unwrap() {
            let run = step
                .as_mapping()
                .unwrap()
                .iter()
                .find(|(k, _)| k.as_str() == Some("run"))
                .and_then(|(_, v)| v.as_str());
            if let Some(run) = run {
                for line in run.lines().filter(|l| l.contains("klts -w")) {
                    let sub = line
                        .split("klts -w \"$KLTS_WORKSPACE\" ")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                        .unwrap_or("");
                    assert!(
                        [
                            "lint", "fetch", "verify", "build", "test", "package", "image",
                            "publish"
                        ]
                        .contains(&sub),
                        "unexpected klts call: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn workflow_is_deterministic_and_follows_the_manifest() {
    let m = fixture();
    let a = github_workflow(&spec(&m)).unwrap();
    let b = github_workflow(&spec(&m)).unwrap();
    assert_eq!(a, b);
    let mut fewer = spec(&m);
    fewer.releases.pop();
    assert_ne!(github_workflow(&fewer).unwrap(), a);
    // A release's Go is part of the file: a Go bump makes the committed workflow stale.
    let mut bumped = spec(&m);
    bumped
        .go
        .insert(bumped.releases[0].clone(), "1.16.15".into());
    let c = github_workflow(&bumped).unwrap();
    assert_ne!(c, a);
    assert!(c.contains(&format!(
        "- release: \"{}\"\n            go: \"1.16.15\"",
        bumped.releases[0]
    )));
}

#[test]
fn setup_go_spellings() {
    use klts_core::goversion::GoRelease;
    use klts_dist::ci::setup_go_version;
    let v = |s: &str| setup_go_version(&GoRelease::parse(s).unwrap());
    assert_eq!(v("go1.13.15"), "1.13.15");
    assert_eq!(v("1.16"), "1.16");
    assert_eq!(v("go1.21rc2"), "1.21.0-rc.2");
    assert_eq!(v("go1.19beta1"), "1.19.0-beta.1");
}
