//! `klts build` and `klts test` from the command line: exit codes, output formats, and a
//! missing toolchain. The synthetic Go upstream is shared with klts-dist's tests.

#[path = "../../klts-dist/tests/support/mod.rs"]
mod gosrc;

mod support;

use gosrc::*;
use std::path::Path;
use std::process::Output;

fn klts(ws: &Path, args: &[&str], path: Option<&Path>) -> Output {
    let mut cmd = support::klts_command();
    cmd.arg("--workspace").arg(ws).args(args);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().expect("run klts")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn build_and_test_from_the_command_line() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let ws = workspace(tmp.path(), &up, &patch, "sh build.sh");

    let o = klts(
        &ws,
        &[
            "build",
            "v1.0.1-lts.1",
            "--platform",
            "linux/amd64,linux/arm64",
            "--targets",
            "kubectl",
            "--keep-worktree",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["linux/amd64/kubectl", "linux/arm64/kubectl"]);
    assert_eq!(
        elf_machine(&ws.join("out/v1.0.1-lts.1/linux/arm64/kubectl")),
        0xB7
    );
    assert!(ws.join("out/v1.0.1-lts.1/provenance.intoto.json").is_file());
    let kept = Path::new(report["worktree"].as_str().unwrap());
    assert!(
        kept.join("go.mod").is_file(),
        "--keep-worktree keeps {}",
        kept.display()
    );

    let o = klts(&ws, &["build", "v1.0.1-lts.1", "--platform", "linux"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("os/arch"), "{}", text(&o));

    // Failures remain: exit 1, a table naming them.
    let o = klts(&ws, &["test", "v1.0.1-lts.1", "--retries", "1"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("example.com/kube/pkg/always") && out.contains("TestAlways"),
        "{out}"
    );
    assert!(out.contains("v1.0.1-lts.1: FAIL"), "{out}");
    assert!(out.contains("(2 runs)"), "--retries 1: {out}");
    assert!(ws.join("out/v1.0.1-lts.1/test/junit.xml").is_file());

    // Tolerated along the chain: exit 0.
    let o = klts(&ws, &["test", "v1.0.1-lts.2", "-o", "json"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["passed"], true);
    let flaky = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "example.com/kube/pkg/flaky")
        .unwrap();
    assert_eq!(flaky["verdict"], "flaky");

    // A build command that fails: exit 1 with the log's tail and a help line.
    let manifest = ws.join("releases.yml");
    let t = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        t.replace("command: sh build.sh", "command: sh build.sh && exit 7"),
    )
    .unwrap();
    let o = klts(
        &ws,
        &["build", "v1.0.1-lts.1", "--platform", "linux/amd64"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("exit status: 7") && text(&o).contains("help: read the log"),
        "{}",
        text(&o)
    );
    assert_eq!(paths.len(), 2);
    assert!(
        ws.join("out/v1.0.1-lts.1/linux/arm64/kubectl").is_file(),
        "previous output kept"
    );
}

#[test]
fn missing_toolchain_is_a_clear_error_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let ws = workspace(tmp.path(), &up, &patch, "make all");
    // A PATH with git and sh, but neither go nor make.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let paths = std::env::var_os("PATH").unwrap();
    for tool in ["git", "sh"] {
        let found = std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
            .unwrap();
        std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
    }
    for cmd in ["build", "test"] {
        let o = klts(&ws, &[cmd, "v1.0.1-lts.1"], Some(&bin));
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("go: not found on PATH") && err.contains("apt-get install golang-go"),
            "{err}"
        );
        assert!(!ws.join("out").exists(), "nothing written for {cmd}");
    }
    // `build:` is a known key; a typo inside it is a lint warning with its position.
    let manifest = ws.join("releases.yml");
    let t = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, t.replace("  images:", "  imagez:")).unwrap();
    let o = klts(&ws, &["lint", "-o", "json"], None);
    let lint: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let unknown: Vec<String> = lint["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unknown-key")
        .map(|d| {
            format!(
                "{} {}",
                d["location"]["line"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        unknown,
        ["16 unknown key `imagez` in build is ignored"],
        "{}",
        text(&o)
    );
    std::fs::write(&manifest, t).unwrap();

    let o = klts(&ws, &["build", "v9.9.9-lts.1"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown release"), "{}", text(&o));
}

/// A release whose tree needs another minor version of Go than the one that would run is
/// refused by `klts build` and `klts test` alike (exit 2, nothing built), saying which Go to
/// install and that `--go` points at one; `--go` at something that is no Go is exit 2 too.
#[test]
fn another_minor_version_of_go_is_refused_with_what_to_install() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let ws = workspace(tmp.path(), &up, &patch, "sh build.sh");
    let manifest = std::fs::read_to_string(ws.join("releases.yml")).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!("{manifest}  go: go1.9.7\n"),
    )
    .unwrap();
    for cmd in ["build", "test"] {
        let o = klts(&ws, &[cmd, "v1.0.1-lts.1"], None);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("needs Go 1.9.7 (releases.yml build.go)"),
            "{err}"
        );
        assert!(
            err.contains("install go1.9.7") && err.contains("--go"),
            "{err}"
        );
    }
    assert!(!ws.join("out/v1.0.1-lts.1/SHA256SUMS").exists());
    // Nothing ran, so no working tree is left behind.
    assert!(!ws.join(".klts/worktrees/v1.0.1-lts.1").exists());
    let o = klts(&ws, &["build", "v1.0.1-lts.1", "--go", "/bin/true"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no Go version"), "{}", text(&o));
}
