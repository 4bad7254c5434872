//! `klts backport` against `git cherry-pick -x` per line.

use super::*;

/// Runs of `klts backport` after the first (which is the cold one); the median is reported.
pub(crate) const BACKPORT_RUNS: usize = 3;

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
pub(crate) fn backport_bench(
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

pub(crate) fn print_indented(label: &str, text: &str) {
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

pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

pub(crate) fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "n/a".into();
    }
    format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64())
}
