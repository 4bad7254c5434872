//! `SOURCE_DATE_EPOCH` is read once by the CLI and validated: a malformed value is an exit-2
//! error naming the variable for every command that records a time (publish, package, image,
//! vex), never silently "now"; commands that record no time do not care about it.

use std::path::Path;
use std::process::{Command, Output};

fn klts(dir: &Path, epoch: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", epoch)
        .env_remove("KLTS_SIGNING_KEY")
        .env_remove("KLTS_SIGNING_PASSPHRASE")
        .env("KLTS_FEED_CACHE", dir.join("feeds"))
        .args(args)
        .output()
        .expect("run klts")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn malformed_source_date_epoch_is_exit_2_naming_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let commands: [&[&str]; 4] = [
        // publish used to take a malformed value for "now" silently.
        &["publish", "apt", "--out", "repo", "--key", "missing.asc"],
        &["publish", "yum", "--out", "repo", "--key", "missing.asc"],
        &["package", "v1.17.17-lts.1", "--out-dir", "out"],
        &["image", "v1.17.17-lts.1", "--out-dir", "out"],
    ];
    for args in commands {
        for bad in ["abc", "-5", "1.5"] {
            let o = klts(dir, bad, args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?} {bad}: {e}");
            assert!(
                e.contains(&format!("error: SOURCE_DATE_EPOCH=\"{bad}\" is not a time"))
                    && e.contains("non-negative integer"),
                "{args:?} {bad}: {e}"
            );
        }
    }
    // Apt and yum metadata and OpenPGP signatures hold 32-bit times: past 2106 is refused,
    // not wrapped.
    let o = klts(dir, "4294967296", commands[0]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("SOURCE_DATE_EPOCH=4294967296 is past 2106-02-07T06:28:15Z"),
        "{e}"
    );
    // An explicit --source-date-epoch wins, so the variable is not consulted.
    let o = klts(
        dir,
        "abc",
        &[
            "package",
            "v1.17.17-lts.1",
            "--out-dir",
            "out",
            "--source-date-epoch",
            "1700000000",
        ],
    );
    assert!(!stderr(&o).contains("SOURCE_DATE_EPOCH"), "{}", stderr(&o));
}

#[test]
fn commands_that_record_no_time_ignore_source_date_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let o = klts(
        tmp.path(),
        "abc",
        &["lifecycle", "--date", "2024-01-01", "--supported"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("1.29"), "{out}");
    assert!(!out.contains("1.9 "), "{out}");
}
