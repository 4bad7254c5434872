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
        ["lint", "verify", "build", "test", "package", "image", "publish"]
    );
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
}
