//! Benchmark of base-chain resolution on a long chain: 5,000 releases, each based on the
//! previous one (listed newest first, the worst order for a walk per release).
//!
//! It prints:
//! * `klts lint` on that manifest (it used to take 58 s: a cycle check per step per release);
//! * in-process, resolving every release's root with one `Manifest::chain` call per release
//!   (quadratic: each call walks the whole chain below) against one `ChainIndex` for the
//!   whole manifest (linear), and their ratio.
//!
//! Run: `cargo bench -p klts --bench chains` (`KLTS_BENCH_RELEASES=N` changes the size).

use klts_core::Manifest;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::var("KLTS_BENCH_RELEASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("base: https://example.invalid/upstream\nreleases:\n");
    for i in (0..n).rev() {
        let base = if i == 0 {
            "v1.2.3".to_string()
        } else {
            format!("v1.2.3-lts.{i}")
        };
        text.push_str(&format!(
            "  - name: v1.2.3-lts.{}\n    base_release: {base}\n    must: true\n",
            i + 1
        ));
    }
    let path = dir.path().join("releases.yml");
    std::fs::write(&path, &text).expect("write manifest");

    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(dir.path())
        .arg("lint")
        .output()
        .expect("klts");
    let lint = start.elapsed();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "klts lint: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let m = Manifest::load(&path).expect("manifest");
    let per_release = median(
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let roots = m
                    .releases
                    .iter()
                    .filter(|r| m.chain(&r.name.value).is_ok())
                    .count();
                assert_eq!(roots, n);
                start.elapsed()
            })
            .collect(),
    );
    let indexed = median(
        (0..5)
            .map(|_| {
                let start = Instant::now();
                let idx = m.chain_index();
                let roots = m
                    .releases
                    .iter()
                    .filter(|r| idx.root(&r.name.value).is_ok())
                    .count();
                assert_eq!(roots, n);
                start.elapsed()
            })
            .collect(),
    );
    println!("{n} releases in one base chain");
    println!("  klts lint                          {:>10.1?}", lint);
    println!(
        "  Manifest::chain per release (n^2)  {:>10.1?}",
        per_release
    );
    println!("  one ChainIndex (n)                 {:>10.1?}", indexed);
    println!(
        "  ratio                              {:>9.0}x",
        per_release.as_secs_f64() / indexed.as_secs_f64().max(1e-9)
    );
}
