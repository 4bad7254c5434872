//! # `verify` benchmark: klts against the KLTS shell tooling (and `klts backport`)
//!
//! Run with `cargo bench -p klts --bench verify`. Optional environment:
//!
//! * `KLTS_BENCH_FILES=N` — files in the generated upstream tree (default 20000), so that the
//!   benchmark can be rerun quickly on a smaller repository;
//! * `KLTS_BENCH_KEEP=1` — print and keep the temporary directory (upstream, workspace, baseline
//!   clone) for inspection;
//! * `KLTS_BENCH_STRICT=1` — exit non-zero when klts fails or its trees differ from the baseline.
//!
//! Arguments (cargo passes `--bench`, maybe a filter) are ignored.
//!
//! ## What is generated
//!
//! Everything is synthetic, deterministic (fixed seeds, authors, committers and dates) and local:
//!
//! * an **upstream** bare repository the size of Kubernetes: about `KLTS_BENCH_FILES` files in a
//!   realistic tree (`pkg/…`, `cmd/…`, `staging/src/k8s.io/<repo>/…`, `vendor/<module>/…`,
//!   `test/…`, `cluster/…`, `hack/…`, Bazel `BUILD` and `OWNERS` files, symlinks
//!   `vendor/k8s.io/<repo>` → staging, a few binary files), with Go-like text of a few hundred
//!   bytes to a few KB per file. Ten minor lines 1.10 … 1.19 each have a `release-1.X` branch
//!   (a few cherry-pick commits) and patch tags up to `v1.10.13` … `v1.19.16`; between two
//!   lines `master` changes about 300 files (edits, additions, deletions, renames), much as
//!   upstream Kubernetes does. It is written with one `git fast-import` stream.
//! * an **LTS workspace** (`releases.yml` + `patches/*.patch`): per line a `v1.X.N-ci` release
//!   (2–4 build-fix patches, based on the upstream tag) and a `v1.X.N-lts.1` release (3–5
//!   CVE-fix patches, based on the `-ci` release), all `must: true` — 20 releases and ~70
//!   patch names. Patches are real: commits made on throwaway branches starting at the tag
//!   (each patch starting where the previous one of the chain ended, so the chain applies in
//!   order), touching a few files (edits, additions, a deletion, a rename), some with several
//!   commits, some split into two files of one catalog entry, exported with
//!   `git format-patch --stdout`. The throwaway branches are deleted again; their objects stay
//!   in the upstream's pack. About half of the names are in the `patches:` catalog, the others are
//!   found by the `patches/<name>.patch` convention.
//!
//! ## What is measured, and why
//!
//! 1. **Baseline, the shell tooling.** The KLTS scripts verify a release in a working tree of a
//!    Kubernetes clone: `git checkout -f <root tag>`, `git clean -fdx`, `git am -3` of every
//!    patch file of the chain (root first), `git tag -f <release>`. Every step walks or rewrites
//!    the whole ~20k-file working tree (checkout and clean stat every file, each `git am`
//!    refreshes the index and writes the touched files), once per release, one release after
//!    another; the shared `-ci` prefix of an `-lts` chain is applied again for each release.
//!    The clone is made beforehand and not timed; only the per-release loop is.
//! 2. **klts, cold.** After `klts fetch` (mirrors the root tags into `.klts/upstream.git`;
//!    timed separately, not part of the ratios) and with the step cache `.klts/steps` removed,
//!    `klts verify --all -j 2`: klts applies each patch commit to a temporary index without any
//!    working tree (`git apply --cached`, with the 3-way fallback of `git am -3`), writes trees
//!    and commits directly, caches every step by content (parent commit, patch bytes) — so the
//!    `-ci` steps of an `-lts` chain are computed once — and runs independent chains in
//!    parallel.
//! 3. **klts, warm.** The same command again with nothing changed (median of 5 runs): every
//!    step is found in the content-addressed step cache, so this is the cost of a no-op
//!    re-verification.
//!
//! 4. **Backport.** One new upstream fix tried on the ten lines' newest releases with
//!    `klts backport FIX --all`, against `git checkout -f` + `git cherry-pick -x` per line in
//!    the baseline clone (see `backport_bench`); the trees are compared line by line.
//!
//! As a correctness cross-check, the tree of every release in the baseline clone is compared
//! with the tree of `refs/klts/releases/<release>` in klts's mirror.
//!
//! Generation (a fast-import stream of ~35 MB plus ~80 `git format-patch` calls) takes about
//! 6 s on a 2-core machine at the default size; the baseline takes about 17 s.

#[path = "../common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[macro_use]
mod content;
mod backport;
mod gitcmd;
mod import;
mod layout;
mod measure;
mod upstream;

use backport::*;
use content::*;
use gitcmd::*;
use import::*;
use layout::*;
use measure::*;
use upstream::*;

/// The klts binary under test.
const KLTS: &str = env!("CARGO_BIN_EXE_klts");

/// Default number of files in the generated upstream tree.
const DEFAULT_FILES: usize = 20_000;
/// Below this the tree is too small for the generator's categories to make sense.
const MIN_FILES: usize = 500;
/// Warm runs of `klts verify`; the median is reported.
const WARM_RUNS: usize = 5;

/// Minor lines and their last patch release (as in upstream Kubernetes).
const LINES: &[(u32, u32)] = &[
    (10, 13),
    (11, 10),
    (12, 10),
    (13, 12),
    (14, 10),
    (15, 12),
    (16, 15),
    (17, 17),
    (18, 20),
    (19, 16),
];

/// Committer of every generated commit (upstream and patches) and of the baseline's `git am`.
const COMMITTER: &str = "KLTS Bench <bench@klts.invalid>";
const COMMITTER_NAME: &str = "KLTS Bench";
const COMMITTER_EMAIL: &str = "bench@klts.invalid";
/// Fixed committer date of the baseline's `git am` commits.
const COMMITTER_DATE: &str = "1700000000 +0000";
/// Date of the first generated commit (2018-01-01T00:00:00Z); each commit is an hour later.
const EPOCH: i64 = 1_514_764_800;

const UPSTREAM_AUTHORS: &[&str] = &[
    "Kubernetes Prow Robot <k8s-ci-robot@k8s.invalid>",
    "Jordan Example <jordan@k8s.invalid>",
    "Clayton Example <clayton@k8s.invalid>",
    "Tim Example <tim@k8s.invalid>",
];
const PATCH_AUTHORS: &[&str] = &[
    "Alice Maintainer <alice@klts.invalid>",
    "Bob Backporter <bob@klts.invalid>",
    "Carol Security <carol@klts.invalid>",
];

// ---------------------------------------------------------------------------------------------
// main

struct Config {
    files: usize,
}

impl Config {
    fn from_env() -> Config {
        // `cargo bench` passes `--bench` (and possibly a filter): nothing to parse.
        let files = match env::var("KLTS_BENCH_FILES") {
            Ok(v) => v
                .trim()
                .replace('_', "")
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("KLTS_BENCH_FILES={v:?} is not a number")),
            Err(_) => DEFAULT_FILES,
        };
        if files < MIN_FILES {
            eprintln!("KLTS_BENCH_FILES={files} raised to the minimum {MIN_FILES}");
        }
        Config {
            files: files.max(MIN_FILES),
        }
    }
}

fn main() {
    let cfg = Config::from_env();
    common::run_in_tempdir("klts-bench-", |root| run(&cfg, root));
}

/// The whole benchmark. Returns whether klts succeeded and agreed with the baseline.
/// Cold runs; the median is reported.
const COLD_RUNS: usize = 3;

/// `sync`: write dirty pages out before a timed phase.
fn flush_disk() {
    let _ = Command::new("sync").status();
}

/// `cp -a from to`.
fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "cp -a {} {}", from.display(), to.display());
}

fn run(cfg: &Config, root: &Path) -> bool {
    println!("klts verify benchmark (klts: {KLTS})");

    // 1. Generate the upstream repository and the workspace.
    let upstream = root.join("upstream.git");
    let ws_dir = root.join("workspace");
    eprintln!("generating upstream ({} files) and patches ...", cfg.files);
    let t = Instant::now();
    let gen = generate(cfg.files, &upstream);
    let t_import = t.elapsed();
    let t = Instant::now();
    let ws = write_workspace(&gen, &upstream, &ws_dir);
    let t_patches = t.elapsed();
    let tree_sizes = tree_sizes(&upstream, &gen.root_tags);

    // 2. Baseline: the shell tooling in a non-bare clone.
    let clone = root.join("baseline");
    eprintln!("baseline: cloning, then checkout + am per release ...");
    prepare_baseline(&upstream, &clone);
    flush_disk();
    let t_baseline = run_baseline(&clone, &ws);

    // 3. klts: fetch, cold verify, warm verifies.
    eprintln!("klts: fetch, cold verify, {WARM_RUNS} warm verifies ...");
    let fetch = klts(&ws_dir, &["fetch"]);
    // Each cold run gets its own copy of the cache exactly as `klts fetch` left it (no
    // objects, refs or step-cache entries from an earlier run), made before the timer starts
    // and never deleted in between: on ext4, creating files right after deleting thousands
    // costs far more than on a fresh checkout, and a new user starts from a fresh fetch.
    // Dirty pages are flushed before each timed phase.
    let fetched = ws_dir.join(".klts");
    let mut colds: Vec<KltsRun> = Vec::new();
    let mut cache = fetched.clone();
    for i in 0..COLD_RUNS {
        cache = root.join(format!("cold-cache-{i}"));
        copy_dir(&fetched, &cache);
        flush_disk();
        let cache_arg = cache.to_string_lossy().into_owned();
        colds.push(klts(
            &ws_dir,
            &[
                "--cache-dir",
                &cache_arg,
                "verify",
                "--all",
                "-j",
                "2",
                "-o",
                "json",
            ],
        ));
    }
    let cold_times: Vec<Duration> = colds.iter().map(|r| r.time).collect();
    colds.sort_by_key(|r| r.time);
    let cold = colds.swap_remove(colds.len() / 2);
    let cache_arg = cache.to_string_lossy().into_owned();
    let verify_args = [
        "--cache-dir",
        cache_arg.as_str(),
        "verify",
        "--all",
        "-j",
        "2",
        "-o",
        "json",
    ];
    let warm: Vec<KltsRun> = (0..WARM_RUNS)
        .map(|_| klts(&ws_dir, &verify_args))
        .collect();
    let trees = compare_trees(&clone, &cache.join("upstream.git"), &ws);

    // 4. Report.
    let mut warm_times: Vec<Duration> = warm.iter().map(|r| r.time).collect();
    warm_times.sort();
    let warm_median = warm_times[warm_times.len() / 2];
    let n_must = ws.releases.iter().filter(|r| r.must).count();

    println!();
    println!("workload");
    println!(
        "  upstream files     {} generated at v1.10; {}–{} per release tree (root tags)",
        cfg.files, tree_sizes.0, tree_sizes.1
    );
    println!(
        "  minor lines        {} (v1.{}.x … v1.{}.x), {} upstream commits",
        LINES.len(),
        LINES[0].0,
        LINES[LINES.len() - 1].0,
        gen.upstream_commits
    );
    println!(
        "  releases           {} ({} must)",
        ws.releases.len(),
        n_must
    );
    println!(
        "  patches            {} names ({} catalog, {} by convention), {} files, {} commits",
        ws.entries.len(),
        ws.entries.iter().filter(|e| e.catalog).count(),
        ws.entries.iter().filter(|e| !e.catalog).count(),
        ws.entries.iter().map(|e| e.files.len()).sum::<usize>(),
        ws.entries.iter().map(|e| e.commits).sum::<usize>(),
    );
    println!(
        "  baseline applies   {} patch files (each release's whole chain)",
        ws.releases
            .iter()
            .map(|r| r.chain_files.len())
            .sum::<usize>()
    );
    println!(
        "  generation         {} (fast-import) + {} (format-patch, workspace)",
        secs(t_import),
        secs(t_patches)
    );
    println!();
    println!("  {:<48} {:>10}  status", "step", "time");
    println!("  {}", "-".repeat(72));
    println!(
        "  {:<48} {:>10}  ok",
        format!("baseline shell tooling ({n_must} releases)"),
        secs(t_baseline),
    );
    println!(
        "  {:<48} {:>10}  {}",
        "klts fetch (not in ratios)",
        secs(fetch.time),
        fetch.status_text()
    );
    println!(
        "  {:<48} {:>10}  {}",
        format!("klts verify --all -j 2, cold (median of {COLD_RUNS})"),
        secs(cold.time),
        cold.status_text()
    );
    println!(
        "    cold runs                                  {}",
        cold_times
            .iter()
            .map(|t| secs(*t))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  {:<48} {:>10}  {}",
        format!("klts verify --all -j 2, warm (median of {WARM_RUNS})"),
        secs(warm_median),
        match warm.iter().find(|r| !r.ok()) {
            None => "exit 0".to_string(),
            Some(r) => r.status_text(),
        }
    );
    println!(
        "  {:<48} {:>10}",
        "  warm runs",
        warm_times
            .iter()
            .map(|t| secs(*t))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!(
        "  baseline / klts cold = {}   baseline / klts warm = {}",
        ratio(t_baseline, cold.time),
        ratio(t_baseline, warm_median)
    );
    println!("  {}", trees.summary);
    for m in &trees.mismatches {
        println!("    differs: {m}");
    }

    // The output of every failed klts command (of the warm runs, the first failure only).
    let failed_warm = warm.iter().find(|r| !r.ok());
    for (what, run) in [
        ("klts fetch", Some(&fetch)),
        ("klts verify (cold)", Some(&cold)),
        ("klts verify (warm)", failed_warm),
    ] {
        let Some(run) = run.filter(|r| !r.ok()) else {
            continue;
        };
        println!();
        println!("{what}: {}", run.status_text());
        print_indented("stderr", &run.stderr);
        if run.stderr.trim().is_empty() {
            print_indented("stdout", &run.stdout);
        }
    }
    let backport_ok = backport_bench(&upstream, &clone, &ws_dir, &cache, &ws);
    fetch.ok() && cold.ok() && warm.iter().all(KltsRun::ok) && trees.all_match && backport_ok
}
