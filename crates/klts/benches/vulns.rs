//! Benchmark of the vulnerability matrix: the 47 releases of the real KLTS manifest × every
//! advisory of the embedded snapshot, with the Go module inventory of every release tree and
//! of every upstream root tag read from git objects (no checkout).
//!
//! The workspace keeps the real manifest's release names, chains and patch names (from
//! `crates/klts-core/tests/fixtures/kubernetes-lts.releases.yml`) on a synthetic upstream:
//! one tag per root with a Kubernetes-like `go.mod` and `vendor/modules.txt` (~200 modules,
//! gogo/protobuf at v1.3.1 before 1.18 and v1.3.2 after, as upstream did), and each patch name
//! a real patch file. It prints:
//!
//! * the cold `klts verify --all` that materializes the trees (not the subject here),
//! * `klts vulns matrix --all -o json` with trees cached (median of 5) — the figure asked for,
//! * the same for `klts vulns gate`, and the matrix size.
//!
//! Run: `cargo bench -p klts --bench vulns`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn git(dir: &Path, args: &[&str]) -> String {
    klts_testkit::git_at(dir, args, "@1600000000 +0000")
        .trim()
        .to_string()
}

fn klts(ws: &Path, feeds: &Path, args: &[&str]) -> (Duration, std::process::Output) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env("KLTS_FEED_CACHE", feeds)
        .output()
        .expect("klts");
    (start.elapsed(), out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let manifest_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../klts-core/tests/fixtures/kubernetes-lts.releases.yml");
    let manifest = klts_core::Manifest::load(&manifest_path).expect("fixture manifest");

    // Upstream: one tag per root.
    let up = tmp.path().join("upstream");
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    let mut roots: Vec<klts_core::Version> = manifest
        .releases
        .iter()
        .filter_map(|r| manifest.chain(&r.name.value).ok())
        .filter_map(|c| klts_core::Version::parse(&c.root).ok())
        .collect();
    roots.sort();
    roots.dedup();
    for v in &roots {
        let gogo = if v.minor() >= 18 { "v1.3.2" } else { "v1.3.1" };
        let mut go_mod = format!(
            "module k8s.io/kubernetes\n\ngo 1.{}\n\nrequire (\n\tgithub.com/gogo/protobuf {gogo}\n",
            12 + v.minor() / 3
        );
        let mut modules = format!(
            "# github.com/gogo/protobuf {gogo}\n## explicit\ngithub.com/gogo/protobuf/proto\n"
        );
        for i in 0..200 {
            go_mod.push_str(&format!(
                "\tgithub.com/example/dep{i} v0.{}.{}\n",
                v.minor(),
                i % 7
            ));
            modules.push_str(&format!(
                "# github.com/example/dep{i} v0.{}.{}\ngithub.com/example/dep{i}\n",
                v.minor(),
                i % 7
            ));
        }
        go_mod.push_str(")\n");
        std::fs::write(up.join("go.mod"), go_mod).unwrap();
        std::fs::create_dir_all(up.join("vendor")).unwrap();
        std::fs::write(up.join("vendor/modules.txt"), modules).unwrap();
        std::fs::create_dir_all(up.join("build/build-image/cross")).unwrap();
        std::fs::write(
            up.join("build/build-image/cross/VERSION"),
            format!("v1.{}.{}-1\n", 12 + v.minor() / 3, v.patch() % 10),
        )
        .unwrap();
        git(&up, &["add", "-A"]);
        git(&up, &["commit", "-q", "-m", &format!("Release {v}")]);
        git(&up, &["tag", &v.to_string()]);
    }

    // Workspace: the real chains; every patch name is a file creating its own path.
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    let mut yml = format!("base: {}\nreleases:\n", up.display());
    let mut names = std::collections::BTreeSet::new();
    for r in &manifest.releases {
        yml.push_str(&format!(
            "  - name: {}\n    base_release: {}\n    must: {}\n    patches: [{}]\n",
            r.name.value,
            r.base_release.value,
            r.must,
            r.patches
                .iter()
                .map(|p| p.value.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        names.extend(r.patches.iter().map(|p| p.value.clone()));
    }
    std::fs::write(ws.join("releases.yml"), yml).unwrap();
    let first = roots.first().expect("roots").to_string();
    git(&up, &["checkout", "-q", "-b", "patches", &first]);
    for name in &names {
        std::fs::create_dir_all(up.join("klts")).unwrap();
        std::fs::write(
            up.join("klts").join(format!("{name}.txt")),
            format!("{name}\n"),
        )
        .unwrap();
        git(&up, &["add", "-A"]);
        git(&up, &["commit", "-q", "-m", &format!("Backport {name}")]);
        let patch = git(&up, &["format-patch", "-1", "--stdout", "HEAD"]);
        std::fs::write(
            ws.join("patches").join(format!("{name}.patch")),
            patch + "\n",
        )
        .unwrap();
        git(&up, &["rm", "-q", "-r", "klts"]);
        git(&up, &["commit", "-q", "-m", "reset"]);
    }
    git(&up, &["checkout", "-q", "master"]);

    let feeds = tmp.path().join("feeds");
    let (cold, out) = klts(&ws, &feeds, &["verify", "--all", "-o", "json"]);
    assert!(
        out.status.success(),
        "verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut runs = Vec::new();
    let mut size = (0, 0);
    for _ in 0..5 {
        let (t, out) = klts(
            &ws,
            &feeds,
            &["vulns", "matrix", "--all", "--stages", "-o", "json"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        size = (
            m["releases"].as_array().map_or(0, |a| a.len()),
            m["rows"].as_array().map_or(0, |a| a.len()),
        );
        runs.push(t);
    }
    let mut gate_runs = Vec::new();
    for _ in 0..5 {
        let (t, _) = klts(&ws, &feeds, &["vulns", "gate", "-o", "json"]);
        gate_runs.push(t);
    }
    println!("klts vulns benchmark");
    println!(
        "  releases × advisories     {} × {} = {} statuses",
        size.0,
        size.1,
        size.0 * size.1
    );
    println!("  upstream root tags        {}", roots.len());
    println!("  patch names               {}", names.len());
    println!(
        "  verify --all (cold, trees) {:>8.0} ms",
        cold.as_secs_f64() * 1000.0
    );
    println!(
        "  vulns matrix --all (warm)  {:>8.0} ms  (median of 5: {:?})",
        median(runs.clone()).as_secs_f64() * 1000.0,
        runs
    );
    println!(
        "  vulns gate (warm)          {:>8.0} ms  (median of 5)",
        median(gate_runs).as_secs_f64() * 1000.0
    );
}
