//! `klts package` end to end: exit codes, JSON output, errors rendered once.

use std::path::Path;
use std::process::{Command, Output};

fn klts(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("KLTS_SIGNING_KEY")
        .args(args)
        .output()
        .expect("run klts")
}

fn fake_build(out: &Path, release: &str, arch: &str) {
    let dir = out.join(release).join("linux").join(arch);
    std::fs::create_dir_all(&dir).unwrap();
    for bin in ["kubeadm", "kubelet", "kubectl"] {
        std::fs::write(dir.join(bin), format!("#!/bin/sh\necho {bin}\n")).unwrap();
    }
}

#[test]
fn package_writes_debs_and_rpms_and_lists_them() {
    let tmp = tempfile::tempdir().unwrap();
    fake_build(&tmp.path().join("out"), "v1.17.17-lts.3", "arm64");
    let out = klts(
        tmp.path(),
        &[
            "package",
            "v1.17.17-lts.3",
            "--source-date-epoch",
            "1600000000",
            "-o",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 6);
    let names: Vec<String> = list
        .iter()
        .map(|w| {
            Path::new(w["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        names.contains(&"kubelet_1.17.17+lts.3-1_arm64.deb".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"kubelet-1.17.17+lts.3-1.aarch64.rpm".to_string()),
        "{names:?}"
    );
    for w in list {
        assert!(
            tmp.path().join(w["path"].as_str().unwrap()).is_file(),
            "{w}"
        );
        assert_eq!(w["sha256"].as_str().unwrap().len(), 64);
    }

    let table = klts(
        tmp.path(),
        &[
            "package",
            "v1.17.17-lts.3",
            "--format",
            "deb",
            "--revision",
            "2",
        ],
    );
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("1.17.17+lts.3-2"), "{text}");
}

#[test]
fn package_errors_exit_2_with_help() {
    let tmp = tempfile::tempdir().unwrap();
    let out = klts(
        tmp.path(),
        &["package", "v1.17.17-lts.3", "--arch", "arm64"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("klts build v1.17.17-lts.3 --platform linux/arm64"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");

    let out = klts(
        tmp.path(),
        &["package", "v1.17.17-lts.3", "--format", "zip"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deb or rpm"));

    fake_build(&tmp.path().join("out"), "v1.17.17-lts.3", "amd64");
    let key = tmp.path().join("key.asc");
    std::fs::write(&key, "not a key").unwrap();
    let out = klts(
        tmp.path(),
        &[
            "package",
            "v1.17.17-lts.3",
            "--sign-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key.asc"), "{stderr}");
    assert!(!tmp.path().join("out/v1.17.17-lts.3/rpm").exists());
}
