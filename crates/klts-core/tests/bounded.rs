//! Hostile or oversized input costs bounded time and memory and never crashes: deep YAML,
//! long base chains.

use klts_core::chains::links_followed;
use klts_core::lifecycle::parse_lifecycle_file;
use klts_core::yaml::MAX_YAML_DEPTH;
use klts_core::Manifest;
use std::path::Path;

/// 20,000 nested lists (40 KB) aborted the process with a stack overflow; now it is an error
/// naming file:line:col and the limit.
#[test]
fn deeply_nested_manifest_is_an_error_not_a_crash() {
    let text = format!("base: x\nreleases:\n{}x\n", "- ".repeat(20_000));
    let err = Manifest::parse(&text, Path::new("releases.yml")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("releases.yml:3:{}:", 2 * MAX_YAML_DEPTH - 1)),
        "{msg}"
    );
    assert!(msg.contains(&format!("{MAX_YAML_DEPTH} levels")), "{msg}");
    let flow = format!(
        "base: x\nreleases: {}{}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(Manifest::parse(&flow, Path::new("releases.yml")).is_err());
}

#[test]
fn deeply_nested_lifecycle_file_is_an_error_not_a_crash() {
    let text = format!("lines:\n  {}x\n", "- ".repeat(20_000));
    let err = parse_lifecycle_file(&text, Path::new("lifecycle.yml")).unwrap_err();
    assert!(err.to_string().contains("lifecycle.yml:2:"), "{err}");
}

/// `klts lint` on a 3,000-release chain used to resolve each release's chain separately, with
/// a scan of the chain so far at every step: billions of steps for 5,000 releases. Now each
/// `base_release` link is followed a bounded number of times.
#[test]
fn lint_of_a_long_chain_is_linear() {
    let n = 3_000;
    let mut text = String::from("base: x\nreleases:\n");
    for i in 0..n {
        let base = if i == 0 {
            "v1.2.3".to_string()
        } else {
            format!("v1.2.3-lts.{i}")
        };
        text.push_str(&format!(
            "  - {{name: v1.2.3-lts.{}, base_release: {base}}}\n",
            i + 1
        ));
    }
    // A workspace with no patches/ directory: only the chains matter here.
    let ws = Path::new(env!("CARGO_TARGET_TMPDIR")).join("klts-core-bounded-no-such-dir");
    let m = Manifest::parse(&text, &ws.join("releases.yml")).unwrap();
    let before = links_followed();
    let diags = klts_core::lint::lint(&m);
    let steps = links_followed() - before;
    assert!(steps <= 4 * n as u64, "{steps} steps for {n} releases");
    assert!(
        diags
            .iter()
            .all(|d| d.severity != klts_core::Severity::Error),
        "{diags:?}"
    );
}

/// A 50 MB manifest took 1.8 GB to parse; anything over the documented limit is refused
/// before it is read.
#[test]
fn oversized_manifest_is_refused_before_reading() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("klts-core-bounded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("releases.yml");
    let file = std::fs::File::create(&path).unwrap();
    // Sparse: costs no disk.
    file.set_len(klts_core::manifest::MAX_MANIFEST_BYTES + 1)
        .unwrap();
    let err = Manifest::load(&path).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    let msg = err.to_string();
    assert!(
        msg.contains("releases.yml: the file is 4194305 bytes, over the limit of 4194304 bytes for a manifest"),
        "{msg}"
    );
    assert!(msg.contains("help:"), "{msg}");
}
