//! The README's quick start (examples/quickstart.sh) works, offline, with this binary.

use std::process::Command;

#[test]
fn quickstart_script_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(tmp.path())
        .env("KLTS", env!("CARGO_BIN_EXE_klts"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("2 of 2 releases ok; 3 steps applied, 0 from cache"),
        "{text}"
    );
    assert!(
        text.contains("2 of 2 releases ok; 0 steps applied, 3 from cache"),
        "{text}"
    );
    // Then the README's own commands, as written, in the workspace the script made; its
    // last one (a worktree checkout) used to fail because the script had made it already.
    for args in [
        &["releases"][..],
        &["lint"],
        &["verify", "-v"],
        &["checkout", "v1.0.0-lts.1", "--worktree", "../v1.0.0-lts.1"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_klts"))
            .current_dir(tmp.path().join("lts"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "klts {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(tmp
        .path()
        .join("v1.0.0-lts.1/pkg/server/server.go")
        .is_file());
}
