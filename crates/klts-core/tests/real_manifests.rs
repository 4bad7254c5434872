//! The real KLTS manifests load unchanged, and their chains resolve.

use klts_core::lint::lint;
use klts_core::listing::summaries;
use klts_core::{Manifest, Severity, Version};
use std::path::Path;

fn load(name: &str) -> Manifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn kubernetes_lts_manifest_loads() {
    let m = load("kubernetes-lts.releases.yml");
    assert_eq!(m.base.value, "https://github.com/kubernetes/kubernetes");
    assert_eq!(m.releases.len(), 47);
    assert_eq!(m.patches.len(), 85);
    assert!(m.unknown_keys.is_empty());
    // Every chain ends in an upstream x.y.z tag with the same version.
    for r in &m.releases {
        let chain = m.chain(&r.name.value).unwrap();
        let root = Version::parse(&chain.root).unwrap();
        assert!(
            root.suffix().is_none(),
            "{} -> {}",
            r.name.value,
            chain.root
        );
        assert!(Version::parse(&r.name.value).unwrap().same_xyz(&root));
    }
    let c = m.chain("v1.17.17-lts.3").unwrap();
    assert_eq!(c.root, "v1.17.17");
    assert_eq!(c.releases.len(), 2);
    // The trailing space of `fix-kubectl-convert-97644.1.20 ` is not part of the name.
    assert_eq!(
        m.release("v1.20.15-lts.3").unwrap().patches[0].value,
        "fix-kubectl-convert-97644.1.20"
    );
    // `must: true` is read per release (the commented-out v1.20.2-lts.2 block is not one).
    let must: Vec<&str> = m.must_releases().map(|r| r.name.value.as_str()).collect();
    assert_eq!(
        must,
        [
            "v1.32.13-lts.1",
            "v1.31.14-lts.1",
            "v1.30.14-lts.1",
            "v1.29.15-lts.1",
            "v1.28.15-lts.2",
            "v1.28.15-lts.0",
            "v1.27.16-lts.1",
            "v1.26.15-lts.1",
            "v1.25.16-lts.1",
            "v1.24.17-lts.1",
            "v1.23.17-lts.1",
            "v1.22.17-lts.1",
            "v1.21.14-lts.2",
            "v1.20.15-lts.3",
            "v1.19.16-lts.4",
            "v1.18.20-lts.3",
            "v1.17.17-lts.3",
            "v1.16.15-lts.3",
        ]
    );
    let latest: Vec<_> = summaries(&m)
        .into_iter()
        .filter(|s| s.latest_in_line)
        .map(|s| s.name)
        .collect();
    assert!(latest.contains(&"v1.28.15-lts.2".to_string()));
    assert!(!latest.contains(&"v1.28.15-lts.0".to_string()));
    // Every `-ci` release is a base of the line's `-lts.N` ones: 23 stages, 24 published.
    let (stages, published): (Vec<&str>, Vec<&str>) = m
        .releases
        .iter()
        .map(|r| r.name.value.as_str())
        .partition(|n| m.is_stage(n));
    assert_eq!((stages.len(), published.len()), (23, 24));
    assert!(stages.iter().all(|n| n.ends_with("-ci")), "{stages:?}");
}

#[test]
fn kubernetes_lts_lint_without_patch_files() {
    // Without the patches/ directory, only file-related findings may be errors.
    let m = load("kubernetes-lts.releases.yml");
    let diags = lint(&m);
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        assert!(matches!(d.code, "missing-file" | "unknown-patch"), "{d}");
    }
    assert!(diags
        .iter()
        .any(|d| d.code == "unused-patch" && d.message.contains("CVE-2019-11252")));
}

#[test]
fn containerd_lts_manifest_loads() {
    let m = load("containerd-lts.releases.yml");
    assert_eq!(m.base.value, "https://github.com/containerd/containerd");
    assert_eq!(m.releases.len(), 1);
    assert_eq!(m.chain("v1.3.10-lts.1").unwrap().root, "v1.3.10");
}
