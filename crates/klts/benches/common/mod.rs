//! What the benchmark binaries share (a directory, so cargo does not take it for a benchmark).

use std::path::Path;

/// Whether the environment variable `name` is `1`.
pub fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Runs `run` in a new temporary directory named `prefix…` and exits as the benchmark should:
/// with `KLTS_BENCH_KEEP=1` the directory is released at once (so that it survives even a
/// panic) and printed; with `KLTS_BENCH_STRICT=1` a run that returns `false` (klts failed or
/// disagreed with the baseline) exits 1.
pub fn run_in_tempdir(prefix: &str, run: impl FnOnce(&Path) -> bool) {
    let (keep, strict) = (flag("KLTS_BENCH_KEEP"), flag("KLTS_BENCH_STRICT"));
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create temporary directory");
    let (_guard, root) = if keep {
        let path = tmp.keep();
        println!("keeping {}", path.display());
        (None, path)
    } else {
        let path = tmp.path().to_path_buf();
        (Some(tmp), path)
    };
    let ok = run(&root);
    if keep {
        println!("kept {}", root.display());
    }
    if strict && !ok {
        std::process::exit(1);
    }
}
