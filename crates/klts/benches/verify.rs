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
    keep: bool,
    strict: bool,
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
            keep: env::var("KLTS_BENCH_KEEP").is_ok_and(|v| v == "1"),
            strict: env::var("KLTS_BENCH_STRICT").is_ok_and(|v| v == "1"),
        }
    }
}

fn main() {
    let cfg = Config::from_env();
    let tmp = tempfile::Builder::new()
        .prefix("klts-bench-")
        .tempdir()
        .expect("create temporary directory");
    // With KLTS_BENCH_KEEP=1 the directory is released right away, so that it survives even a
    // panic; otherwise the guard removes it at the end.
    let (_guard, root) = if cfg.keep {
        let path = tmp.keep();
        println!("keeping {}", path.display());
        (None, path)
    } else {
        let path = tmp.path().to_path_buf();
        (Some(tmp), path)
    };
    let ok = run(&cfg, &root);
    if cfg.keep {
        println!("kept {}", root.display());
    }
    if cfg.strict && !ok {
        std::process::exit(1);
    }
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

// ---------------------------------------------------------------------------------------------
// backport

/// Runs of `klts backport` after the first (which is the cold one); the median is reported.
const BACKPORT_RUNS: usize = 3;

/// `klts backport FIX --all` on the ten lines against the by-hand baseline: in the baseline
/// clone, `git checkout -f <release>` + `git cherry-pick -x FIX` per line (the cheapest way by
/// hand: one clone, no worktree per line). FIX is a new upstream `master` commit that edits a
/// Go file every line's newest release has unchanged, so it applies cleanly on all ten; the
/// trees klts made in memory are checked against the baseline's, line by line.
///
/// klts runs on the verified cache (the releases' commits are in the step cache, as they are
/// for a maintainer who verifies daily); the fix commit is fetched into the mirror untimed (the
/// one network fetch of the upstream default branch is not what is measured). "Cold" is the
/// first try of this fix: nothing about it is in any cache. Returns whether klts agreed.
fn backport_bench(
    upstream: &Path,
    clone: &Path,
    ws_dir: &Path,
    cache: &Path,
    ws: &Workspace,
) -> bool {
    let releases: Vec<&str> = ws
        .releases
        .iter()
        .filter(|r| r.must && r.name.contains("-lts."))
        .map(|r| r.name.as_str())
        .collect();
    let blobs = |cmd: Command| -> HashMap<String, String> {
        check(cmd)
            .lines()
            .filter_map(|l| {
                let (meta, path) = l.split_once('\t')?;
                let blob = meta.split(' ').nth(2)?;
                Some((path.to_string(), blob.to_string()))
            })
            .collect()
    };
    let mut c = git_dir(upstream);
    c.args(["ls-tree", "-r", "master"]);
    let master = blobs(c);
    let mut common: Vec<(String, String)> = master
        .iter()
        .filter(|(p, _)| p.starts_with("pkg/") && p.ends_with(".go"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    for rel in &releases {
        let mut c = git_in(clone);
        c.args(["ls-tree", "-r", rel]);
        let t = blobs(c);
        common.retain(|(p, b)| t.get(p) == Some(b));
    }
    common.sort();
    let Some((path, blob)) = common.first().cloned() else {
        println!("\nbackport: no file is the same in master and every line; skipped");
        return false;
    };
    // The fix: one line in the middle of the file, committed on master.
    let mut c = git_dir(upstream);
    c.args(["cat-file", "blob", &blob]);
    let text = check(c);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mid = lines.len() / 2;
    lines[mid].push_str(" // fixed upstream");
    let fixed = lines.join("\n") + "\n";
    let index = upstream.join("bench-backport-index");
    let mut c = git_dir(upstream);
    c.args(["hash-object", "-w", "--stdin"]);
    let new_blob = {
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git hash-object");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(fixed.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    for args in [
        vec!["read-tree".to_string(), "master".into()],
        vec![
            "update-index".into(),
            "--cacheinfo".into(),
            format!("100644,{new_blob},{path}"),
        ],
    ] {
        let mut c = git_dir(upstream);
        c.env("GIT_INDEX_FILE", &index).args(&args);
        check(c);
    }
    let mut c = git_dir(upstream);
    c.env("GIT_INDEX_FILE", &index).arg("write-tree");
    let tree = check(c).trim().to_string();
    let _ = fs::remove_file(&index);
    let mut c = git_dir(upstream);
    c.args([
        "commit-tree",
        &tree,
        "-p",
        "master",
        "-m",
        "Fix a bug in the middle of a file",
    ]);
    let fix = check(c).trim().to_string();
    let mut c = git_dir(upstream);
    c.args(["update-ref", "refs/heads/master", &fix]);
    check(c);
    let mut c = git_in(clone);
    c.args(["fetch", "-q", "origin", "master"]);
    check(c);
    let mut c = git_dir(&cache.join("upstream.git"));
    c.args(["fetch", "-q", "--no-tags"])
        .arg(upstream)
        .arg("+HEAD:refs/klts/upstream/HEAD");
    check(c);

    // klts: cold (first try of this fix), then the median of the next runs.
    let cache_arg = cache.to_string_lossy().into_owned();
    let args = [
        "--cache-dir",
        cache_arg.as_str(),
        "backport",
        fix.as_str(),
        "--all",
        "-o",
        "json",
    ];
    flush_disk();
    let cold = klts(ws_dir, &args);
    let mut warm: Vec<KltsRun> = (0..BACKPORT_RUNS).map(|_| klts(ws_dir, &args)).collect();
    warm.sort_by_key(|r| r.time);
    let warm_median = warm[warm.len() / 2].time;

    // Baseline: per line, checkout + cherry-pick -x in the one clone.
    flush_disk();
    let start = Instant::now();
    let mut baseline_trees = BTreeMap::new();
    for rel in &releases {
        let mut c = git_in(clone);
        c.args(["checkout", "-f", "-q", rel]);
        check(c);
        let mut c = git_in(clone);
        c.args(["cherry-pick", "-x", &fix]);
        check(c);
        let mut c = git_in(clone);
        c.args(["rev-parse", "HEAD^{tree}"]);
        baseline_trees.insert(rel.to_string(), check(c).trim().to_string());
    }
    let t_baseline = start.elapsed();

    // Agreement: every line clean, with the baseline's tree.
    let mut agree = 0;
    let mut problems = Vec::new();
    match serde_json::from_str::<serde_json::Value>(&cold.stdout) {
        Ok(v) => {
            for l in v["report"]["lines"].as_array().into_iter().flatten() {
                let rel = l["release"].as_str().unwrap_or_default();
                let applied = l["commits"][0]["applied_as"].as_str().unwrap_or_default();
                let mut c = git_dir(&cache.join("upstream.git"));
                c.args(["rev-parse", &format!("{applied}^{{tree}}")]);
                let tree = c
                    .output()
                    .ok()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
                if l["status"] == "clean" && tree.as_ref() == baseline_trees.get(rel) {
                    agree += 1;
                } else {
                    problems.push(format!("{rel}: {} tree {tree:?}", l["status"]));
                }
            }
        }
        Err(e) => problems.push(format!("klts output is not JSON: {e}")),
    }
    if agree + problems.len() != releases.len() {
        problems.push(format!(
            "klts reported {} lines, not {}",
            agree + problems.len(),
            releases.len()
        ));
    }
    println!();
    println!("backport: one fix ({path}) on {} lines", releases.len());
    println!("  {:<48} {:>10}  status", "step", "time");
    println!("  {}", "-".repeat(72));
    println!(
        "  {:<48} {:>10}  ok",
        "baseline checkout + cherry-pick -x per line",
        secs(t_baseline)
    );
    println!(
        "  {:<48} {:>10}  {}",
        "klts backport FIX --all, cold (first try)",
        secs(cold.time),
        cold.status_text()
    );
    println!(
        "  {:<48} {:>10}  {}",
        format!("klts backport FIX --all (median of {BACKPORT_RUNS} more)"),
        secs(warm_median),
        warm[0].status_text()
    );
    println!(
        "  baseline / klts cold = {}   baseline / klts = {}",
        ratio(t_baseline, cold.time),
        ratio(t_baseline, warm_median)
    );
    println!(
        "  trees: {agree} of {} lines clean and identical to the baseline's",
        releases.len()
    );
    for p in &problems {
        println!("    differs: {p}");
    }
    if !cold.ok() {
        print_indented("stderr", &cold.stderr);
    }
    cold.ok() && problems.is_empty() && agree == releases.len()
}

fn print_indented(label: &str, text: &str) {
    const LIMIT: usize = 8000;
    let text = if text.len() > LIMIT {
        let mut cut = LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}\n… ({} more bytes)", &text[..cut], text.len() - cut)
    } else {
        text.to_string()
    };
    println!("  {label}:");
    for line in text.lines() {
        println!("    {line}");
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "n/a".into();
    }
    format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// git helpers

/// A `git` command isolated from the user's and the system's configuration (so that e.g. an
/// `am.threeWay` or `core.autocrlf` setting cannot change what is measured), with a fixed
/// identity and locale.
fn git() -> Command {
    let mut c = Command::new("git");
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env("GIT_AUTHOR_NAME", COMMITTER_NAME)
        .env("GIT_AUTHOR_EMAIL", COMMITTER_EMAIL)
        .env("GIT_AUTHOR_DATE", COMMITTER_DATE)
        .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
        .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
        .env("GIT_COMMITTER_DATE", COMMITTER_DATE)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

/// `git --git-dir <dir> ...`
fn git_dir(dir: &Path) -> Command {
    let mut c = git();
    c.arg("--git-dir").arg(dir);
    c
}

/// `git -C <dir> ...`
fn git_in(dir: &Path) -> Command {
    let mut c = git();
    c.arg("-C").arg(dir);
    c
}

/// Run a command to completion; panic with its stderr if it fails. Returns stdout.
fn check(mut cmd: Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("git output is UTF-8")
}

// ---------------------------------------------------------------------------------------------
// deterministic randomness

/// SplitMix64: small, fast and good enough for generating test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// file contents

/// Defines `fn $name() -> &'static [&'static str]` over a whitespace-separated list, split once.
macro_rules! word_list {
    ($name:ident, $text:expr) => {
        fn $name() -> &'static [&'static str] {
            static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
            LIST.get_or_init(|| $text.split_whitespace().collect())
        }
    };
}

word_list!(
    words,
    "\
    pod node volume service endpoint secret config cache informer lister client scheme codec \
    watch event quota admission auth token cert proxy iptables ipvs dns cgroup container \
    runtime image network storage csi scheduler priority preempt taint toleration affinity \
    label selector namespace deployment replica stateful daemon job cron garbage finalizer \
    webhook crd schema validation defaulting conversion metrics healthz leader election \
    lease rbac role binding audit encryption kms etcd handler filter request response \
    serializer protobuf json yaml util wait clock errors sets strings types fields labels \
    meta unstructured discovery dynamic rest transport flowcontrol retry portforward exec \
    attach logs stats summary probe prober lifecycle hook kuberuntime dockershim eviction \
    status server options app testing fake framework upgrade apps core batch policy \
    networking ingress endpointslice topology resource limit range hpa autoscaling cloud \
    route balancer firewall disk mount attacher detacher snapshot claim persistent \
    provisioner plugin registry generic tokenreview bootstrap kubeadm phases certs \
    kubeconfig manifest static mirror sandbox checkpoint device manager allocator cpuset \
    hugepages numa signal queue worker backoff throttle limiter buffer stream frame header \
    cookie session tls cipher x509 csr signer approver"
);

const K8S_HEADER: &str = "Licensed under the Apache License, Version 2.0 (the \"License\");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an \"AS IS\" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
";

const GO_IMPORTS: &[&str] = &[
    "context",
    "errors",
    "fmt",
    "io",
    "net/http",
    "os",
    "path/filepath",
    "sort",
    "strings",
    "sync",
    "time",
    "k8s.io/api/core/v1",
    "k8s.io/apimachinery/pkg/api/errors",
    "metav1 \"k8s.io/apimachinery/pkg/apis/meta/v1\"",
    "k8s.io/apimachinery/pkg/runtime",
    "k8s.io/apimachinery/pkg/util/sets",
    "k8s.io/apimachinery/pkg/util/wait",
    "k8s.io/client-go/kubernetes",
    "k8s.io/client-go/tools/cache",
    "k8s.io/klog",
];

const GO_TYPES: &[&str] = &[
    "string",
    "int",
    "int32",
    "int64",
    "bool",
    "[]string",
    "map[string]string",
    "*int64",
    "metav1.Time",
    "metav1.ObjectMeta",
    "time.Duration",
    "[]byte",
    "*v1.Pod",
    "v1.ResourceList",
];

word_list!(
    users,
    "\
    liggitt deads2k thockin smarterclayton lavalamp derekwaynecarr dims sttts caesarxuchao \
    msau42 saad-ali mtaufen yujuhong bsalamat ahg-g neolit123 fabriziopandini soltysh \
    justinsb cheftako"
);

fn word(r: &mut Rng) -> &'static str {
    r.pick(words())
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// `PodVolumeCache`
fn camel(r: &mut Rng, words: usize) -> String {
    (0..words).map(|_| capitalize(word(r))).collect()
}

/// `podVolumeCache`
fn lower_camel(r: &mut Rng, words: usize) -> String {
    let mut s = word(r).to_string();
    for _ in 1..words {
        s.push_str(&capitalize(word(r)));
    }
    s
}

fn phrase(r: &mut Rng, words: usize) -> String {
    (0..words).map(|_| word(r)).collect::<Vec<_>>().join(" ")
}

/// A file size: log-uniform between 250 bytes and 5 KB.
fn file_size(r: &mut Rng) -> usize {
    (250.0 * 20f64.powf(r.unit())) as usize
}

/// What a file is, from its name; decides its content and how it is edited.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Go,
    Shell,
    Yaml,
    Json,
    Markdown,
    Bazel,
    Owners,
    Text,
    Binary,
}

fn kind_of(path: &str) -> Kind {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match (name, ext) {
        ("BUILD" | "BUILD.bazel" | "WORKSPACE", _) | (_, "bzl") => Kind::Bazel,
        ("OWNERS" | "OWNERS_ALIASES", _) => Kind::Owners,
        (_, "go") => Kind::Go,
        (_, "sh") => Kind::Shell,
        (_, "yaml" | "yml" | "manifest") => Kind::Yaml,
        (_, "json") => Kind::Json,
        (_, "md") => Kind::Markdown,
        (_, "png" | "gz" | "bin" | "pb" | "ico" | "tar") => Kind::Binary,
        _ => Kind::Text,
    }
}

/// One entry of a tree: mode and content (shared between tree versions).
#[derive(Clone)]
struct Entry {
    mode: &'static str,
    data: Rc<Vec<u8>>,
}

impl Entry {
    fn file(mode: &'static str, data: Vec<u8>) -> Entry {
        Entry {
            mode,
            data: Rc::new(data),
        }
    }
    /// Whether the generator may edit it line by line (text files, not symlinks).
    fn editable(&self, path: &str) -> bool {
        self.mode != "120000" && kind_of(path) != Kind::Binary
    }
}

/// A whole tree: path → entry.
type Tree = BTreeMap<String, Entry>;

/// One change of a commit: a new content for a path, or its deletion.
type Change = (String, Option<Entry>);

fn apply(tree: &mut Tree, changes: &[Change]) {
    for (path, entry) in changes {
        match entry {
            Some(e) => {
                tree.insert(path.clone(), e.clone());
            }
            None => {
                tree.remove(path);
            }
        }
    }
}

/// Go package name for a directory (`kube-apiserver` → `kubeapiserver`).
fn go_package(path: &str) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("main");
    let last = dir.rsplit('/').next().unwrap_or("main");
    let mut p: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        p.insert_str(0, "pkg");
    }
    p
}

fn go_stmt(r: &mut Rng) -> String {
    let a = {
        let n = r.range(1, 2);
        lower_camel(r, n)
    };
    let b = lower_camel(r, 1);
    let c = {
        let n = r.range(1, 3);
        camel(r, n)
    };
    match r.below(9) {
        0 => format!("{a} := {b}.{c}()"),
        1 => format!(
            "if {a} == nil {{ return fmt.Errorf(\"{}: %v\", {b}) }}",
            phrase(r, 4)
        ),
        2 => format!(
            "klog.V({}).Infof(\"{} %q\", {a})",
            r.range(2, 5),
            phrase(r, 5)
        ),
        3 => format!("{a}.{c} = append({a}.{c}, {b})"),
        4 => format!("// {}", {
            let n = r.range(5, 10);
            phrase(r, n)
        }),
        5 => format!("defer {a}.{c}()"),
        6 => format!("{a}, err := {b}.{c}(ctx, metav1.GetOptions{{}})"),
        7 => format!("if err := {a}.{c}({b}); err != nil {{ return err }}"),
        _ => format!("{a}[\"{b}\"] = {}", r.below(10_000)),
    }
}

fn go_file(r: &mut Rng, path: &str, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    if path.starts_with("vendor/") {
        s.push_str("// Copyright 2017 The Go Authors. All rights reserved.\n");
        s.push_str("// Use of this source code is governed by a BSD-style\n");
        s.push_str("// license that can be found in the LICENSE file.\n\n");
    } else {
        let _ = write!(
            s,
            "/*\nCopyright {} The Kubernetes Authors.\n\n",
            2014 + r.below(6)
        );
        s.push_str(K8S_HEADER);
        s.push_str("*/\n\n");
    }
    if path.ends_with("zz_generated.deepcopy.go") {
        s.push_str("// Code generated by deepcopy-gen. DO NOT EDIT.\n\n");
    }
    let _ = writeln!(s, "package {}\n", go_package(path));
    s.push_str("import (\n");
    for _ in 0..r.range(1, 5) {
        let imp = r.pick(GO_IMPORTS);
        if imp.contains(' ') {
            let _ = writeln!(s, "\t{imp}");
        } else {
            let _ = writeln!(s, "\t\"{imp}\"");
        }
    }
    s.push_str(")\n");
    while s.len() < target {
        s.push('\n');
        match r.below(4) {
            0 => {
                let t = {
                    let n = r.range(1, 3);
                    camel(r, n)
                };
                let _ = writeln!(s, "// {t} {}.", {
                    let n = r.range(4, 10);
                    phrase(r, n)
                });
                let _ = writeln!(s, "type {t} struct {{");
                for _ in 0..r.range(2, 7) {
                    let f = {
                        let n = r.range(1, 2);
                        lower_camel(r, n)
                    };
                    let ty = r.pick(GO_TYPES);
                    let _ = writeln!(s, "\t{} {ty} `json:\"{f},omitempty\"`", capitalize(&f));
                }
                s.push_str("}\n");
            }
            1 => {
                let n = {
                    let n = r.range(1, 3);
                    camel(r, n)
                };
                let a = lower_camel(r, 1);
                let t = camel(r, 2);
                let _ = writeln!(s, "// {n} {}.", {
                    let n = r.range(4, 10);
                    phrase(r, n)
                });
                let _ = writeln!(s, "func {n}({a} *{t}, name string) error {{");
                for _ in 0..r.range(2, 8) {
                    let _ = writeln!(s, "\t{}", go_stmt(r));
                }
                s.push_str("\treturn nil\n}\n");
            }
            2 => {
                let recv = word(r).chars().next().unwrap_or('x');
                let t = camel(r, 2);
                let m = {
                    let n = r.range(1, 2);
                    camel(r, n)
                };
                let t2 = camel(r, 1);
                let _ = writeln!(
                    s,
                    "func ({recv} *{t}) {m}(ctx context.Context) (*{t2}, error) {{"
                );
                for _ in 0..r.range(2, 8) {
                    let _ = writeln!(s, "\t{}", go_stmt(r));
                }
                let _ = writeln!(s, "\treturn &{t2}{{}}, nil\n}}");
            }
            _ => {
                s.push_str("const (\n");
                for _ in 0..r.range(2, 6) {
                    let _ = writeln!(s, "\t{} = \"{}\"", camel(r, 2), lower_camel(r, 2));
                }
                s.push_str(")\n");
            }
        }
    }
    s
}

fn shell_stmt(r: &mut Rng) -> String {
    match r.below(5) {
        0 => format!("kube::log::status \"{}\"", phrase(r, 5)),
        1 => format!(
            "local {}=\"${{{}:-{}}}\"",
            word(r),
            word(r).to_ascii_uppercase(),
            word(r)
        ),
        2 => format!("\"${{KUBE_ROOT}}/hack/{}.sh\" \"$@\"", word(r)),
        3 => format!("# {}", phrase(r, 7)),
        _ => format!(
            "kube::util::{}_{} \"${{{}}}\"",
            word(r),
            word(r),
            word(r).to_ascii_uppercase()
        ),
    }
}

fn shell_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    s.push_str("#!/usr/bin/env bash\n\n");
    let _ = writeln!(
        s,
        "# Copyright {} The Kubernetes Authors.",
        2014 + r.below(6)
    );
    s.push_str("#\n# Licensed under the Apache License, Version 2.0 (the \"License\").\n\n");
    s.push_str("set -o errexit\nset -o nounset\nset -o pipefail\n\n");
    s.push_str("KUBE_ROOT=$(dirname \"${BASH_SOURCE[0]}\")/..\n");
    s.push_str("source \"${KUBE_ROOT}/hack/lib/init.sh\"\n");
    while s.len() < target {
        let _ = writeln!(
            s,
            "\nfunction kube::{}::{}() {{",
            word(r),
            lower_camel(r, 2)
        );
        for _ in 0..r.range(2, 8) {
            let _ = writeln!(s, "  {}", shell_stmt(r));
        }
        s.push_str("}\n");
    }
    s
}

fn yaml_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let _ = writeln!(s, "apiVersion: {}/v1", word(r));
    let _ = writeln!(s, "kind: {}", camel(r, 1));
    let _ = writeln!(
        s,
        "metadata:\n  name: {}-{}\n  namespace: kube-system",
        word(r),
        word(r)
    );
    let _ = writeln!(s, "  labels:\n    k8s-app: {}\nspec:", word(r));
    while s.len() < target {
        let _ = writeln!(s, "  {}{}:", word(r), r.below(100));
        for _ in 0..r.range(1, 4) {
            let _ = writeln!(
                s,
                "    {}: {}-{}",
                lower_camel(r, 2),
                word(r),
                r.below(1000)
            );
        }
    }
    s
}

fn json_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    s.push_str("{\n  \"swagger\": \"2.0\",\n  \"definitions\": {\n");
    while s.len() < target {
        let _ = writeln!(
            s,
            "    \"io.k8s.api.{}.v1.{}\": {{\"description\": \"{}\", \"type\": \"object\"}},",
            word(r),
            camel(r, 2),
            phrase(r, 6)
        );
    }
    s.push_str("    \"end\": {}\n  }\n}\n");
    s
}

fn markdown_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let _ = writeln!(s, "# {}\n", capitalize(&phrase(r, 3)));
    while s.len() < target {
        if r.chance(20) {
            let _ = writeln!(s, "## {}\n", capitalize(&phrase(r, 3)));
        }
        let _ = writeln!(
            s,
            "{}.\n",
            capitalize(&{
                let n = r.range(8, 25);
                phrase(r, n)
            })
        );
    }
    s
}

fn bazel_file(r: &mut Rng, path: &str, target: usize) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut s = String::with_capacity(target + 512);
    s.push_str("package(default_visibility = [\"//visibility:public\"])\n\n");
    s.push_str("load(\n    \"@io_bazel_rules_go//go:def.bzl\",\n    \"go_library\",\n    \"go_test\",\n)\n\n");
    s.push_str("go_library(\n    name = \"go_default_library\",\n    srcs = [\n");
    for _ in 0..r.range(1, 6) {
        let _ = writeln!(s, "        \"{}.go\",", word(r));
    }
    let _ = writeln!(
        s,
        "    ],\n    importpath = \"k8s.io/kubernetes/{dir}\",\n    deps = ["
    );
    while s.len() < target / 2 {
        let _ = writeln!(
            s,
            "        \"//vendor/k8s.io/{}/{}:go_default_library\",",
            word(r),
            word(r)
        );
    }
    s.push_str(
        "    ],\n)\n\nfilegroup(\n    name = \"package-srcs\",\n    srcs = glob([\"**\"]),\n",
    );
    s.push_str("    tags = [\"automanaged\"],\n    visibility = [\"//visibility:private\"],\n)\n");
    s
}

fn owners_file(r: &mut Rng) -> String {
    let mut s = String::from("# See the OWNERS docs at https://go.k8s.io/owners\n\napprovers:\n");
    for _ in 0..r.range(2, 5) {
        let _ = writeln!(s, "- {}", r.pick(users()));
    }
    s.push_str("reviewers:\n");
    for _ in 0..r.range(2, 6) {
        let _ = writeln!(s, "- {}", r.pick(users()));
    }
    s
}

fn text_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 128);
    while s.len() < target {
        let _ = writeln!(
            s,
            "{}: {}\n\t$(MAKE) -C {} {}",
            word(r),
            word(r),
            word(r),
            phrase(r, 3)
        );
    }
    s
}

fn binary_file(r: &mut Rng, path: &str) -> Vec<u8> {
    let len = r.range(1024, 16 * 1024);
    let mut v: Vec<u8> = if path.ends_with(".png") {
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()
    } else if path.ends_with(".gz") {
        vec![0x1f, 0x8b, 0x08, 0x00]
    } else {
        vec![0u8; 4]
    };
    while v.len() < len {
        v.extend_from_slice(&r.next().to_le_bytes());
    }
    v
}

/// New content for `path`.
fn gen_file(r: &mut Rng, path: &str) -> Entry {
    let target = file_size(r);
    let kind = kind_of(path);
    let text = match kind {
        Kind::Go => go_file(r, path, target),
        Kind::Shell => shell_file(r, target),
        Kind::Yaml => yaml_file(r, target),
        Kind::Json => json_file(r, target),
        Kind::Markdown => markdown_file(r, target),
        Kind::Bazel => bazel_file(r, path, target),
        Kind::Owners => owners_file(r),
        Kind::Text => text_file(r, target),
        Kind::Binary => return Entry::file("100644", binary_file(r, path)),
    };
    let mode = if kind == Kind::Shell {
        "100755"
    } else {
        "100644"
    };
    Entry::file(mode, text.into_bytes())
}

/// A line that fits in a file of this kind, for edits.
fn edit_line(r: &mut Rng, kind: Kind) -> String {
    match kind {
        Kind::Go => format!("\t{}", go_stmt(r)),
        Kind::Shell => format!("  {}", shell_stmt(r)),
        Kind::Yaml => format!("    {}: {}-{}", lower_camel(r, 2), word(r), r.below(1000)),
        Kind::Json => format!("    \"{}\": \"{}\",", lower_camel(r, 2), phrase(r, 4)),
        Kind::Markdown => format!(
            "{}.",
            capitalize(&{
                let n = r.range(6, 14);
                phrase(r, n)
            })
        ),
        Kind::Bazel => format!(
            "        \"//pkg/{}/{}:go_default_library\",",
            word(r),
            word(r)
        ),
        Kind::Owners => format!("- {}", r.pick(users())),
        Kind::Text | Kind::Binary => format!("# {}", phrase(r, 6)),
    }
}

/// Edit a text file the way a real change does: `hunks` places where a line is replaced,
/// lines are inserted, or a line is removed.
fn modify_text(r: &mut Rng, path: &str, data: &[u8], hunks: usize) -> Entry {
    let kind = kind_of(path);
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..hunks {
        // Below the license header when the file is long enough, never on line 0 (shebangs,
        // comment openers).
        let lo = if lines.len() > 40 { 18 } else { 1 };
        let i = lo + r.below(lines.len().max(lo + 1) - lo);
        match r.below(4) {
            0 if i < lines.len() => lines[i] = edit_line(r, kind),
            1 if lines.len() > 12 && i < lines.len() => {
                lines.remove(i);
            }
            _ => {
                for k in 0..r.range(1, 4) {
                    let at = (i + k).min(lines.len());
                    lines.insert(at, edit_line(r, kind));
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    let mode = if kind == Kind::Shell {
        "100755"
    } else {
        "100644"
    };
    Entry::file(mode, out.into_bytes())
}

// ---------------------------------------------------------------------------------------------
// tree layout

word_list!(
    staging_repos,
    "\
    api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
    cluster-bootstrap code-generator component-base cri-api csi-translation-lib \
    kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet \
    legacy-cloud-providers metrics sample-apiserver sample-controller"
);

word_list!(
    vendor_modules,
    "\
    github.com/golang/protobuf github.com/gogo/protobuf github.com/google/gofuzz \
    github.com/google/cadvisor github.com/prometheus/client_golang \
    github.com/prometheus/common github.com/spf13/cobra github.com/spf13/pflag \
    github.com/coreos/etcd github.com/docker/docker github.com/opencontainers/runc \
    github.com/opencontainers/runtime-spec github.com/emicklei/go-restful \
    github.com/json-iterator/go github.com/davecgh/go-spew github.com/stretchr/testify \
    github.com/onsi/ginkgo github.com/onsi/gomega github.com/fsnotify/fsnotify \
    github.com/hashicorp/golang-lru github.com/grpc-ecosystem/grpc-gateway \
    github.com/evanphx/json-patch github.com/containerd/containerd \
    github.com/vishvananda/netlink github.com/miekg/dns github.com/Azure/azure-sdk-for-go \
    github.com/aws/aws-sdk-go github.com/gophercloud/gophercloud github.com/vmware/govmomi \
    github.com/go-openapi/spec github.com/sirupsen/logrus golang.org/x/net golang.org/x/sys \
    golang.org/x/text golang.org/x/crypto golang.org/x/oauth2 golang.org/x/time \
    golang.org/x/tools google.golang.org/grpc google.golang.org/genproto \
    google.golang.org/api gopkg.in/yaml.v2 gopkg.in/inf.v0 gopkg.in/square/go-jose.v2 \
    k8s.io/klog k8s.io/kube-openapi k8s.io/utils k8s.io/gengo sigs.k8s.io/yaml \
    sigs.k8s.io/structured-merge-diff"
);

word_list!(
    pkg_dirs,
    "\
    api apis auth capabilities client cloudprovider controller credentialprovider features \
    fieldpath kubeapiserver kubectl kubelet kubemark master printers probe proxy quota \
    registry scheduler security securitycontext serviceaccount ssh util volume windows"
);

word_list!(
    cmd_dirs,
    "\
    kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubelet kubeadm kubectl \
    cloud-controller-manager genman gendocs genswaggertypedocs importverifier linkcheck"
);

/// Top-level areas of the tree and their share of the files (percent).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Area {
    Vendor,
    Staging,
    Pkg,
    Test,
    Cmd,
    Plugin,
    Cluster,
    Hack,
    Build,
    ThirdParty,
    Docs,
}

const AREAS: &[(Area, usize)] = &[
    (Area::Vendor, 34),
    (Area::Staging, 20),
    (Area::Pkg, 24),
    (Area::Test, 8),
    (Area::Cmd, 3),
    (Area::Plugin, 2),
    (Area::Cluster, 4),
    (Area::Hack, 1),
    (Area::Build, 1),
    (Area::ThirdParty, 1),
    (Area::Docs, 2),
];

fn pick_area(r: &mut Rng) -> Area {
    let total: usize = AREAS.iter().map(|a| a.1).sum();
    let mut x = r.below(total);
    for &(area, w) in AREAS {
        if x < w {
            return area;
        }
        x -= w;
    }
    Area::Pkg
}

/// `n` random lowercase path segments joined by `/`.
fn subpath(r: &mut Rng, min: usize, max: usize) -> String {
    (0..r.range(min, max))
        .map(|_| word(r))
        .collect::<Vec<_>>()
        .join("/")
}

fn join(a: &str, b: &str) -> String {
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// The files of a new package (directory) in `area`: paths only, contents are generated by
/// [`gen_file`]. Directory segments are lowercase words; file names carry an extension or
/// start with a capital, so a directory and a file can never have the same path.
fn new_package(r: &mut Rng, area: Area) -> Vec<String> {
    let (dir, go) = match area {
        Area::Vendor => (
            join(
                &format!("vendor/{}", r.pick(vendor_modules())),
                &subpath(r, 0, 2),
            ),
            true,
        ),
        Area::Staging => {
            let repo = r.pick(staging_repos());
            let mid = r.pick(&["pkg", "pkg/apis", "tools", "plugin/pkg", "pkg/util", ""]);
            (
                join(
                    &join(&format!("staging/src/k8s.io/{repo}"), mid),
                    &subpath(r, 1, 3),
                ),
                true,
            )
        }
        Area::Pkg => (
            join(&format!("pkg/{}", r.pick(pkg_dirs())), &subpath(r, 0, 3)),
            true,
        ),
        Area::Test => {
            let top = r.pick(&[
                "e2e",
                "e2e_node",
                "integration",
                "utils",
                "images",
                "e2e/framework",
            ]);
            (join(&format!("test/{top}"), &subpath(r, 0, 2)), true)
        }
        Area::Cmd => (
            join(&format!("cmd/{}", r.pick(cmd_dirs())), &subpath(r, 0, 2)),
            true,
        ),
        Area::Plugin => (join("plugin/pkg", &subpath(r, 1, 3)), true),
        Area::ThirdParty => (join("third_party/forked", &subpath(r, 1, 2)), true),
        Area::Cluster => {
            let top = r.pick(&[
                "gce", "addons", "images", "log-dump", "kubemark", "skeleton",
            ]);
            (join(&format!("cluster/{top}"), &subpath(r, 0, 2)), false)
        }
        Area::Hack => (join("hack", &subpath(r, 0, 1)), false),
        Area::Build => (join("build", &subpath(r, 0, 2)), false),
        Area::Docs => (join("docs/api-reference", &subpath(r, 1, 2)), false),
    };
    let vendor = area == Area::Vendor;
    let mut names = BTreeSet::new();
    if go {
        for _ in 0..r.range(2, 9) {
            let w = word(r);
            names.insert(format!("{w}.go"));
            if r.chance(40) {
                names.insert(format!("{w}_test.go"));
            }
        }
        if r.chance(30) {
            names.insert("doc.go".to_string());
        }
        if dir.contains("/apis/") && r.chance(60) {
            names.insert("zz_generated.deepcopy.go".to_string());
            names.insert("types.go".to_string());
        }
        if r.chance(if vendor { 30 } else { 80 }) {
            names.insert("BUILD".to_string());
        }
        if !vendor && r.chance(15) {
            names.insert("OWNERS".to_string());
        }
        if r.chance(1) {
            let ext = r.pick(&["png", "gz", "bin", "pb"]);
            names.insert(format!("testdata/{}.{ext}", word(r)));
        }
    } else {
        let exts: &[&str] = match area {
            Area::Cluster => &["sh", "yaml", "yaml", "json", "manifest", "md"],
            Area::Hack => &["sh", "sh", "sh", "go", "md"],
            Area::Build => &["sh", "sh", "bzl", "md", "yaml"],
            _ => &["md", "md", "json", "yaml"],
        };
        for _ in 0..r.range(2, 8) {
            names.insert(format!("{}.{}", word(r), r.pick(exts)));
        }
        if area == Area::Build && r.chance(40) {
            names.insert(r.pick(&["Dockerfile", "Makefile", "VERSION"]).to_string());
        }
        if r.chance(20) {
            names.insert("OWNERS".to_string());
        }
    }
    names.into_iter().map(|n| format!("{dir}/{n}")).collect()
}

/// The v1.10 tree: fixed top-level files, staging symlinks, then packages until `target` files.
fn initial_tree(r: &mut Rng, target: usize) -> Tree {
    let mut tree = Tree::new();
    for path in [
        ".bazelrc",
        ".gitignore",
        "BUILD.bazel",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "LICENSE",
        "Makefile",
        "Makefile.generated_files",
        "OWNERS",
        "OWNERS_ALIASES",
        "README.md",
        "SECURITY_CONTACTS",
        "SUPPORT.md",
        "WORKSPACE",
        "go.mod",
        "go.sum",
        "Godeps/Godeps.json",
        "api/openapi-spec/swagger.json",
        "build/root/Makefile",
        "build/build-image/cross/VERSION",
        "hack/lib/golang.sh",
        "hack/lib/version.sh",
        "pkg/version/base.go",
        "logo/logo.png",
        "logo/favicon.ico",
    ] {
        let e = gen_file(r, path);
        tree.insert(path.to_string(), e);
    }
    for repo in staging_repos() {
        let target = format!("../../staging/src/k8s.io/{repo}");
        tree.insert(
            format!("vendor/k8s.io/{repo}"),
            Entry::file("120000", target.into_bytes()),
        );
    }
    while tree.len() < target {
        let area = pick_area(r);
        for path in new_package(r, area) {
            if tree.len() >= target {
                break;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = tree.entry(path) {
                let e = gen_file(r, slot.key());
                slot.insert(e);
            }
        }
    }
    tree
}

/// Up to `n` distinct editable files of `tree`, at random, avoiding `used` (which is updated).
fn pick_files(
    r: &mut Rng,
    tree: &Tree,
    pool: &[String],
    n: usize,
    used: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < 50 * n + 100 {
        tries += 1;
        let p = &pool[r.below(pool.len())];
        if used.contains(p) {
            continue;
        }
        match tree.get(p) {
            Some(e) if e.editable(p) => {
                used.insert(p.clone());
                out.push(p.clone());
            }
            _ => {}
        }
    }
    out
}

/// A sibling name for a renamed file: `dir/<word>_<name>`.
fn renamed(r: &mut Rng, path: &str, tree: &Tree) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    loop {
        let new = join(dir, &format!("{}_{name}", word(r)));
        if !tree.contains_key(&new) {
            return new;
        }
    }
}

/// The changes of one minor line over the previous one (on master): edits of ~1.2% of the
/// files, new packages (~0.2%), deletions (~0.05%), renames (~0.025%), and a changelog.
fn evolve(r: &mut Rng, tree: &Tree, files: usize, minor: u32) -> Vec<Change> {
    let pool: Vec<String> = tree.keys().cloned().collect();
    let mut used = BTreeSet::new();
    let mut changes: Vec<Change> = Vec::new();
    for p in pick_files(r, tree, &pool, (files * 12 / 1000).max(20), &mut used) {
        let hunks = r.range(1, 4);
        let e = modify_text(r, &p, &tree[&p].data, hunks);
        changes.push((p, Some(e)));
    }
    let mut added = 0;
    while added < (files / 500).max(4) {
        let area = pick_area(r);
        for path in new_package(r, area) {
            if !tree.contains_key(&path) && used.insert(path.clone()) {
                let e = gen_file(r, &path);
                changes.push((path, Some(e)));
                added += 1;
            }
        }
    }
    for p in pick_files(r, tree, &pool, (files / 2000).max(2), &mut used) {
        changes.push((p, None));
    }
    let go_pool: Vec<String> = pool
        .iter()
        .filter(|p| p.ends_with(".go"))
        .cloned()
        .collect();
    for p in pick_files(r, tree, &go_pool, (files / 4000).max(1), &mut used) {
        let new = renamed(r, &p, tree);
        let e = modify_text(r, &p, &tree[&p].data, 1);
        used.insert(new.clone());
        changes.push((p, None));
        changes.push((new, Some(e)));
    }
    let changelog = format!("CHANGELOG/CHANGELOG-1.{minor}.md");
    let e = gen_file(r, &changelog);
    changes.push((changelog, Some(e)));
    changes
}

// ---------------------------------------------------------------------------------------------
// fast-import

/// A `git fast-import` process and the stream written to it.
struct Importer {
    child: Child,
    out: BufWriter<ChildStdin>,
    next_mark: u32,
    clock: i64,
    commits: usize,
}

impl Importer {
    fn start(dir: &Path, marks: &Path) -> Importer {
        let mut child = git_dir_cmd_fast_import(dir, marks)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start git fast-import");
        let stdin = child.stdin.take().expect("fast-import stdin");
        Importer {
            child,
            out: BufWriter::with_capacity(1 << 20, stdin),
            next_mark: 1,
            clock: EPOCH,
            commits: 0,
        }
    }

    /// Write a commit on `refname` with parent `from`; returns its mark.
    fn commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        author: &str,
        msg: &str,
        changes: &[Change],
    ) -> u32 {
        let mark = self.next_mark;
        self.next_mark += 1;
        self.clock += 3600;
        self.commits += 1;
        let o = &mut self.out;
        let t = self.clock;
        write!(
            o,
            "commit {refname}\nmark :{mark}\nauthor {author} {t} +0000\n"
        )
        .unwrap();
        write!(
            o,
            "committer {COMMITTER} {t} +0000\ndata {}\n{msg}\n",
            msg.len()
        )
        .unwrap();
        if let Some(from) = from {
            writeln!(o, "from :{from}").unwrap();
        }
        for (path, entry) in changes {
            match entry {
                Some(e) => {
                    write!(o, "M {} inline {path}\ndata {}\n", e.mode, e.data.len()).unwrap();
                    o.write_all(&e.data).unwrap();
                    o.write_all(b"\n").unwrap();
                }
                None => writeln!(o, "D {path}").unwrap(),
            }
        }
        o.write_all(b"\n").unwrap();
        mark
    }

    /// An annotated tag.
    fn tag(&mut self, name: &str, commit: u32) {
        let msg = format!("Kubernetes release {name}\n");
        let t = self.clock;
        write!(
            self.out,
            "tag {name}\nfrom :{commit}\ntagger {COMMITTER} {t} +0000\ndata {}\n{msg}\n",
            msg.len()
        )
        .unwrap();
    }

    fn finish(mut self) -> usize {
        self.out.write_all(b"done\n").unwrap();
        self.out.flush().unwrap();
        drop(self.out);
        let status = self.child.wait().expect("wait for fast-import");
        assert!(status.success(), "git fast-import failed: {status}");
        self.commits
    }
}

fn git_dir_cmd_fast_import(dir: &Path, marks: &Path) -> Command {
    let mut c = git_dir(dir);
    c.args(["fast-import", "--quiet", "--done", "--date-format=raw"])
        .arg(format!("--export-marks={}", marks.display()));
    c
}

// ---------------------------------------------------------------------------------------------
// upstream + patch commits

/// One file of a patch: the commit range it is exported from.
struct PatchFile {
    rel_path: String,
    from: u32,
    to: u32,
}

/// One patch name of the manifest.
struct PatchEntry {
    name: String,
    catalog: bool,
    files: Vec<PatchFile>,
    commits: usize,
}

/// One release of the manifest.
struct ReleaseSpec {
    name: String,
    base_release: String,
    root_tag: String,
    must: bool,
    /// Indexes into the patch entries: this release's own patches.
    patches: Vec<usize>,
    /// Workspace-relative patch files of the whole chain, root first (what the baseline applies).
    chain_files: Vec<String>,
}

struct Generated {
    entries: Vec<PatchEntry>,
    releases: Vec<ReleaseSpec>,
    root_tags: Vec<String>,
    marks: HashMap<u32, String>,
    tmp_refs: Vec<String>,
    upstream_commits: usize,
}

word_list!(
    build_topics,
    "\
    go-version bazel e2e-image cross-build debs etcd-image golang-sh test-flake kind \
    verify-scripts gcr-mirror rpms"
);

word_list!(
    cves,
    "\
    CVE-2019-11253 CVE-2019-11254 CVE-2020-8552 CVE-2020-8555 CVE-2020-8557 CVE-2020-8558 \
    CVE-2020-8559 CVE-2020-8563 CVE-2020-8564 CVE-2020-8565 CVE-2020-8566 CVE-2021-25735 \
    CVE-2021-25737 CVE-2021-25741 CVE-2021-3121 CVE-2022-3162 CVE-2022-3294 CVE-2023-2431 \
    CVE-2023-2727 CVE-2023-2728"
);

/// Paths a build fix touches, and paths a CVE fix touches.
const BUILD_PREFIXES: &[&str] = &["build/", "hack/", "cluster/", "test/e2e/", "Makefile"];
const CVE_PREFIXES: &[&str] = &[
    "pkg/",
    "staging/src/k8s.io/apiserver/",
    "staging/src/k8s.io/client-go/",
    "staging/src/k8s.io/apimachinery/",
    "vendor/golang.org/x/",
    "plugin/",
];

fn candidates(tree: &Tree, prefixes: &[&str]) -> Vec<String> {
    let c: Vec<String> = tree
        .iter()
        .filter(|(p, e)| e.editable(p) && prefixes.iter().any(|x| p.starts_with(x)))
        .map(|(p, _)| p.clone())
        .collect();
    if c.len() >= 10 {
        c
    } else {
        tree.iter()
            .filter(|(p, e)| e.editable(p))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    Add,
    Delete,
    Rename,
}

/// The changes of one patch commit: edits of 1–3 files, sometimes a new file next to them,
/// and the `special` operation.
fn patch_commit(r: &mut Rng, tree: &Tree, pool: &[String], special: Special) -> Vec<Change> {
    let mut used = BTreeSet::new();
    let mut changes: Vec<Change> = Vec::new();
    let n = r.range(1, 3);
    for p in pick_files(r, tree, pool, n, &mut used) {
        let hunks = r.range(1, 2);
        let e = modify_text(r, &p, &tree[&p].data, hunks);
        changes.push((p, Some(e)));
    }
    if special == Special::Add || r.chance(25) {
        if let Some((first, _)) = changes.first() {
            let dir = first
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("")
                .to_string();
            let ext = first
                .rsplit_once('.')
                .map(|(_, e)| e)
                .filter(|e| !e.contains('/'))
                .unwrap_or("md");
            loop {
                let path = join(&dir, &format!("{}_{}.{ext}", word(r), word(r)));
                if !tree.contains_key(&path) && !used.contains(&path) {
                    let e = gen_file(r, &path);
                    changes.push((path, Some(e)));
                    break;
                }
            }
        }
    }
    match special {
        Special::Delete => {
            for p in pick_files(r, tree, pool, 1, &mut used) {
                changes.push((p, None));
            }
        }
        Special::Rename => {
            // Rename a Go file (not a BUILD or OWNERS file) within its package.
            let go: Vec<String> = pool
                .iter()
                .filter(|p| p.ends_with(".go"))
                .cloned()
                .collect();
            let go = if go.is_empty() { pool } else { &go[..] };
            for p in pick_files(r, tree, go, 1, &mut used) {
                let new = renamed(r, &p, tree);
                let e = modify_text(r, &p, &tree[&p].data, 1);
                changes.push((p, None));
                changes.push((new, Some(e)));
            }
        }
        _ => {}
    }
    changes
}

fn patch_message(r: &mut Rng, subject: &str, author: &str) -> String {
    let mut body = String::new();
    let words = r.range(20, 60);
    let mut line = String::new();
    for _ in 0..words {
        if line.len() > 64 {
            body.push_str(&line);
            body.push('\n');
            line.clear();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word(r));
    }
    body.push_str(&line);
    format!(
        "{subject}\n\n{}\n\nCherry-picked from kubernetes/kubernetes#{}.\n\nSigned-off-by: {author}\n",
        capitalize(&body),
        70_000 + r.below(30_000)
    )
}

/// Write the upstream (all lines, branches, tags) and the patch commits, in one fast-import
/// stream; returns what the workspace needs.
fn generate(files: usize, upstream: &Path) -> Generated {
    let mut c = git();
    c.args(["init", "-q", "--bare", "-b", "master"])
        .arg(upstream);
    check(c);
    let mut c = git_dir(upstream);
    c.args(["config", "gc.auto", "0"]);
    check(c);
    let marks_file = upstream.join("bench-marks");
    let mut g = Generator {
        imp: Importer::start(upstream, &marks_file),
        r: Rng::new(0x6b6c_7473_2d62_656e), // "klts-ben"
        files,
        entries: Vec::new(),
    };

    let mut master = initial_tree(&mut g.r, files);
    let all: Vec<Change> = master
        .iter()
        .map(|(p, e)| (p.clone(), Some(e.clone())))
        .collect();
    let mut master_tip = g.imp.commit(
        "refs/heads/master",
        None,
        UPSTREAM_AUTHORS[0],
        "Kubernetes v1.10 development\n",
        &all,
    );
    drop(all);

    let mut releases_by_line: Vec<[ReleaseSpec; 2]> = Vec::new();
    let mut root_tags = Vec::new();
    let mut tmp_refs = Vec::new();
    for (li, &(minor, last)) in LINES.iter().enumerate() {
        if li > 0 {
            master_tip = g.advance_master(&mut master, master_tip, li, minor);
        }
        g.imp.tag(&format!("v1.{minor}.0"), master_tip);
        let (rel, tag_commit) = g.release_branch(&master, master_tip, minor, last);
        let tag = format!("v1.{minor}.{last}");
        let tmp_ref = format!("refs/heads/bench-tmp/release-1.{minor}");
        releases_by_line.push(g.line_patches(li, minor, &tag, &tmp_ref, rel, tag_commit));
        root_tags.push(tag);
        tmp_refs.push(tmp_ref);
    }
    let patch_commits: usize = g.entries.iter().map(|e| e.commits).sum();
    let upstream_commits = g.imp.finish() - patch_commits;

    let marks = fs::read_to_string(&marks_file)
        .expect("read fast-import marks")
        .lines()
        .filter_map(|l| {
            let (m, sha) = l.strip_prefix(':')?.split_once(' ')?;
            Some((m.parse().ok()?, sha.to_string()))
        })
        .collect();
    fs::remove_file(&marks_file).ok();

    // Manifest order: newest line first, each -lts before its -ci (as KLTS's releases.yml).
    let releases = releases_by_line.into_iter().rev().flatten().collect();
    Generated {
        entries: g.entries,
        releases,
        root_tags,
        marks,
        tmp_refs,
        upstream_commits,
    }
}

/// State of the generation: the fast-import stream, the randomness, the patches so far.
struct Generator {
    imp: Importer,
    r: Rng,
    files: usize,
    entries: Vec<PatchEntry>,
}

impl Generator {
    /// `master` → the next minor: ~300 changed files, in three commits. Returns the new tip.
    fn advance_master(&mut self, master: &mut Tree, mut tip: u32, li: usize, minor: u32) -> u32 {
        let r = &mut self.r;
        let changes = evolve(r, master, self.files, minor);
        for (k, chunk) in changes.chunks(changes.len().div_ceil(3)).enumerate() {
            let pr = 60_000 + li * 100 + k;
            let msg = format!("Merge pull request #{pr}: {}\n", phrase(r, 6));
            let author = r.pick(UPSTREAM_AUTHORS);
            tip = self
                .imp
                .commit("refs/heads/master", Some(tip), author, &msg, chunk);
            apply(master, chunk);
        }
        tip
    }

    /// `release-1.X`: four cherry-pick commits from the branch point, tagged as patch releases
    /// up to `v1.X.<last>`. Returns the tree and commit of that last tag.
    fn release_branch(&mut self, master: &Tree, from: u32, minor: u32, last: u32) -> (Tree, u32) {
        let r = &mut self.r;
        let branch = format!("refs/heads/release-1.{minor}");
        let mut tree = master.clone();
        let mut tip = from;
        let pool = candidates(&tree, &["pkg/", "staging/", "cmd/"]);
        for k in 1..=4u32 {
            let mut used = BTreeSet::new();
            let mut changes = Vec::new();
            for p in pick_files(r, &tree, &pool, (self.files / 1000).max(3), &mut used) {
                let e = modify_text(r, &p, &tree[&p].data, 1);
                changes.push((p, Some(e)));
            }
            let patch = (last * k).div_ceil(4);
            let msg = format!("Release commit for Kubernetes v1.{minor}.{patch}\n");
            tip = self
                .imp
                .commit(&branch, Some(tip), UPSTREAM_AUTHORS[0], &msg, &changes);
            apply(&mut tree, &changes);
            self.imp.tag(&format!("v1.{minor}.{patch}"), tip);
        }
        (tree, tip)
    }

    /// The two releases of line `li` and their patches: commits on the throwaway branch
    /// `tmp_ref` starting at `tag` (tree `tree`, commit `tip`) — the `-ci` patches, then the
    /// `-lts` patches, each starting where the previous one ended. Returns `[lts, ci]`.
    fn line_patches(
        &mut self,
        li: usize,
        minor: u32,
        tag: &str,
        tmp_ref: &str,
        mut tree: Tree,
        mut tip: u32,
    ) -> [ReleaseSpec; 2] {
        let n_ci = 2 + li % 3;
        let n_lts = 3 + (2 * li + 1) % 3;
        let build_pool = candidates(&tree, BUILD_PREFIXES);
        let cve_pool = candidates(&tree, CVE_PREFIXES);
        let mut ci_patches = Vec::new();
        let mut lts_patches = Vec::new();
        for j in 0..n_ci + n_lts {
            let is_ci = j < n_ci;
            let k = if is_ci { j } else { j - n_ci };
            let (name, topic) = if is_ci {
                let t = build_topics()[(li + k) % build_topics().len()];
                (
                    format!("build-fix-{t}.1.{minor}"),
                    format!("build: fix {t} on release-1.{minor}"),
                )
            } else {
                let cve = cves()[(2 * li + k) % cves().len()];
                (
                    format!("{cve}.1.{minor}"),
                    format!("Fix {cve}: {}", phrase(&mut self.r, 5)),
                )
            };
            // The last -lts patch of each line has two commits, exported as two files of one
            // catalog entry.
            let split = !is_ci && k == n_lts - 1;
            let commits = if split {
                2
            } else {
                match self.r.below(100) {
                    0..=64 => 1,
                    65..=89 => 2,
                    _ => 3,
                }
            };
            let catalog = split || self.entries.len().is_multiple_of(2);
            let author = PATCH_AUTHORS[(li + j) % PATCH_AUTHORS.len()];
            let pool = if is_ci { &build_pool } else { &cve_pool };
            let start = tip;
            let mut ends = Vec::new();
            for c in 0..commits {
                // Per line: the first build fix adds a file, the first CVE fix deletes one,
                // the second renames one (besides random additions).
                let special = match (is_ci, k, c) {
                    (true, 0, 0) => Special::Add,
                    (false, 0, 0) => Special::Delete,
                    (false, 1, 0) => Special::Rename,
                    _ => Special::None,
                };
                let changes = patch_commit(&mut self.r, &tree, pool, special);
                let subject = if commits > 1 {
                    format!("{topic} ({}/{commits})", c + 1)
                } else {
                    topic.clone()
                };
                let msg = patch_message(&mut self.r, &subject, author);
                tip = self.imp.commit(tmp_ref, Some(tip), author, &msg, &changes);
                apply(&mut tree, &changes);
                ends.push(tip);
            }
            let file = |suffix: &str, from, to| PatchFile {
                rel_path: format!("patches/{name}{suffix}.patch"),
                from,
                to,
            };
            let files = if split {
                vec![file("-1", start, ends[0]), file("-2", ends[0], tip)]
            } else {
                vec![file("", start, tip)]
            };
            let index = self.entries.len();
            self.entries.push(PatchEntry {
                name,
                catalog,
                files,
                commits,
            });
            if is_ci {
                ci_patches.push(index);
            } else {
                lts_patches.push(index);
            }
        }

        let files_of = |idx: &[usize]| -> Vec<String> {
            idx.iter()
                .flat_map(|&i| self.entries[i].files.iter().map(|f| f.rel_path.clone()))
                .collect()
        };
        let ci_name = format!("{tag}-ci");
        let mut lts_chain = files_of(&ci_patches);
        lts_chain.extend(files_of(&lts_patches));
        let lts = ReleaseSpec {
            name: format!("{tag}-lts.1"),
            base_release: ci_name.clone(),
            root_tag: tag.to_string(),
            must: true,
            chain_files: lts_chain,
            patches: lts_patches,
        };
        let ci = ReleaseSpec {
            name: ci_name,
            base_release: tag.to_string(),
            root_tag: tag.to_string(),
            must: true,
            chain_files: files_of(&ci_patches),
            patches: ci_patches,
        };
        [lts, ci]
    }
}

/// Export the patches with `git format-patch`, write `releases.yml`, and delete the throwaway
/// branches from the upstream.
fn write_workspace(gen: &Generated, upstream: &Path, ws: &Path) -> Workspace {
    fs::create_dir_all(ws.join("patches")).expect("create workspace");
    for entry in &gen.entries {
        for f in &entry.files {
            let range = format!("{}..{}", gen.marks[&f.from], gen.marks[&f.to]);
            let mut c = git_dir(upstream);
            c.args(["format-patch", "--stdout", "-M", "--binary", &range]);
            let mbox = check(c);
            assert!(mbox.starts_with("From "), "empty patch for {range}");
            fs::write(ws.join(&f.rel_path), mbox).expect("write patch");
        }
    }
    for r in &gen.tmp_refs {
        let mut c = git_dir(upstream);
        c.args(["update-ref", "-d", r]);
        check(c);
    }

    let mut y = String::new();
    let _ = writeln!(y, "# Generated by crates/klts/benches/verify.rs");
    let _ = writeln!(y, "base: {}", yaml_quote(&upstream.to_string_lossy()));
    y.push_str("releases:\n");
    for rel in &gen.releases {
        let _ = writeln!(y, "  - name: {}", rel.name);
        let _ = writeln!(y, "    base_release: {}", rel.base_release);
        let _ = writeln!(y, "    must: {}", rel.must);
        y.push_str("    patches:\n");
        for &i in &rel.patches {
            let _ = writeln!(y, "      - {}", gen.entries[i].name);
        }
    }
    y.push_str("patches:\n");
    for e in gen.entries.iter().filter(|e| e.catalog) {
        let _ = writeln!(y, "  - name: {}", e.name);
        y.push_str("    patch:\n");
        for f in &e.files {
            let _ = writeln!(y, "      - {}", f.rel_path);
        }
    }
    fs::write(ws.join("releases.yml"), y).expect("write releases.yml");

    Workspace {
        releases: gen
            .releases
            .iter()
            .map(|r| BaselineRelease {
                name: r.name.clone(),
                root_tag: r.root_tag.clone(),
                must: r.must,
                chain_files: r.chain_files.iter().map(|f| ws.join(f)).collect(),
            })
            .collect(),
        entries: gen
            .entries
            .iter()
            .map(|e| EntrySummary {
                catalog: e.catalog,
                files: e.files.iter().map(|f| f.rel_path.clone()).collect(),
                commits: e.commits,
            })
            .collect(),
    }
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Smallest and largest file count of the root tags' trees.
fn tree_sizes(upstream: &Path, tags: &[String]) -> (usize, usize) {
    let counts: Vec<usize> = tags
        .iter()
        .map(|t| {
            let mut c = git_dir(upstream);
            c.args(["ls-tree", "-r", "--name-only", t]);
            check(c).lines().count()
        })
        .collect();
    (
        *counts.iter().min().unwrap_or(&0),
        *counts.iter().max().unwrap_or(&0),
    )
}

// ---------------------------------------------------------------------------------------------
// the workspace as the measurements see it

struct BaselineRelease {
    name: String,
    root_tag: String,
    must: bool,
    /// Absolute paths of the chain's patch files, root first.
    chain_files: Vec<PathBuf>,
}

struct EntrySummary {
    catalog: bool,
    files: Vec<String>,
    commits: usize,
}

struct Workspace {
    releases: Vec<BaselineRelease>,
    entries: Vec<EntrySummary>,
}

// ---------------------------------------------------------------------------------------------
// baseline

/// The non-bare clone the shell tooling works in (not timed). Automatic gc is off so that a
/// background `git gc --auto` cannot land in the measurement.
fn prepare_baseline(upstream: &Path, clone: &Path) {
    let mut c = git();
    c.args(["clone", "-q"]).arg(upstream).arg(clone);
    check(c);
    for (k, v) in [("gc.auto", "0"), ("maintenance.auto", "false")] {
        let mut c = git_in(clone);
        c.args(["config", k, v]);
        check(c);
    }
}

/// The shell tooling, timed: for each must release, a clean checkout of the root tag, `git am
/// -3` of every patch file of its chain, `git tag -f`. Any failure is a bug of the generator.
fn run_baseline(clone: &Path, ws: &Workspace) -> Duration {
    let start = Instant::now();
    for rel in ws.releases.iter().filter(|r| r.must) {
        let mut c = git_in(clone);
        c.args(["checkout", "-f", "-q", &rel.root_tag]);
        check(c);
        let mut c = git_in(clone);
        c.args(["clean", "-fdxq"]);
        check(c);
        for f in &rel.chain_files {
            let mut c = git_in(clone);
            c.args(["am", "-3", "-q"]).arg(f);
            check(c);
        }
        let mut c = git_in(clone);
        c.args(["tag", "-f", &rel.name]);
        check(c);
    }
    start.elapsed()
}

// ---------------------------------------------------------------------------------------------
// klts

struct KltsRun {
    time: Duration,
    status: Result<ExitStatus, String>,
    stdout: String,
    stderr: String,
}

impl KltsRun {
    fn ok(&self) -> bool {
        matches!(&self.status, Ok(s) if s.success())
    }
    fn status_text(&self) -> String {
        match &self.status {
            Ok(s) => match s.code() {
                Some(c) => format!("exit {c}"),
                None => format!("{s}"),
            },
            Err(e) => format!("not run: {e}"),
        }
    }
}

/// Run `klts --workspace <ws> <args>` with the caller's environment, timing it.
fn klts(ws: &Path, args: &[&str]) -> KltsRun {
    let start = Instant::now();
    let out = Command::new(KLTS)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .stdin(Stdio::null())
        .output();
    let time = start.elapsed();
    match out {
        Ok(o) => KltsRun {
            time,
            status: Ok(o.status),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => KltsRun {
            time,
            status: Err(e.to_string()),
            stdout: String::new(),
            stderr: String::new(),
        },
    }
}

struct TreeCheck {
    summary: String,
    mismatches: Vec<String>,
    all_match: bool,
}

/// Compare every must release's tree in the baseline clone with klts's
/// `refs/klts/releases/<release>` in its mirror.
fn compare_trees(clone: &Path, mirror: &Path, ws: &Workspace) -> TreeCheck {
    let rev = |mut c: Command, what: String| -> Option<String> {
        c.args(["rev-parse", "--verify", "-q", &what])
            .stdin(Stdio::null());
        let out = c.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let mut matched = 0;
    let mut total = 0;
    let mut mismatches = Vec::new();
    let mut missing = Vec::new();
    for rel in ws.releases.iter().filter(|r| r.must) {
        total += 1;
        let base = rev(git_in(clone), format!("refs/tags/{}^{{tree}}", rel.name))
            .unwrap_or_else(|| panic!("baseline has no tag {}", rel.name));
        match rev(
            git_dir(mirror),
            format!("refs/klts/releases/{}^{{tree}}", rel.name),
        ) {
            None => missing.push(rel.name.clone()),
            Some(t) if t == base => matched += 1,
            Some(t) => mismatches.push(format!("{}: baseline {base}, klts {t}", rel.name)),
        }
    }
    if !missing.is_empty() {
        return TreeCheck {
            summary: format!(
                "trees: not comparable (ref missing: refs/klts/releases/{}{})",
                missing[0],
                if missing.len() > 1 {
                    format!(" and {} more", missing.len() - 1)
                } else {
                    String::new()
                }
            ),
            mismatches,
            all_match: false,
        };
    }
    TreeCheck {
        summary: format!("trees match: {matched}/{total}"),
        all_match: matched == total,
        mismatches,
    }
}
