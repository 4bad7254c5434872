//! `klts package` end to end: exit codes, JSON output, errors rendered once.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn klts(dir: &Path, args: &[&str]) -> Output {
    support::klts_command()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run klts")
}

/// Binaries and SHA256SUMS as `klts build` leaves them (one architecture).
fn fake_build(out: &Path, release: &str, arch: &str) {
    let dir = out.join(release).join("linux").join(arch);
    std::fs::create_dir_all(&dir).unwrap();
    let mut sums = String::new();
    for bin in ["kubeadm", "kubectl", "kubelet"] {
        let bytes = format!("#!/bin/sh\necho {bin}\n");
        std::fs::write(dir.join(bin), &bytes).unwrap();
        sums.push_str(&format!(
            "{}  linux/{arch}/{bin}\n",
            klts_forge::fsutil::sha256_hex(bytes.as_bytes())
        ));
    }
    std::fs::write(out.join(release).join("SHA256SUMS"), sums).unwrap();
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

fn key_generate(dir: &Path, name: &str, out: &str, expires: &str) {
    let o = klts(
        dir,
        &[
            "key",
            "generate",
            "--name",
            name,
            "--out",
            out,
            "--expires",
            expires,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `package --sign-key` refuses the keys `publish --key` refuses (one loader), and packages
/// only binaries that match the build's SHA256SUMS.
#[test]
fn package_refuses_bad_keys_and_unvouched_binaries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fake_build(&d.join("out"), "v1.17.17-lts.3", "amd64");
    key_generate(d, "Old", "old.asc", "1s");
    key_generate(d, "Good", "good.asc", "2y");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let package = |key: &str| {
        klts(
            d,
            &[
                "package",
                "v1.17.17-lts.3",
                "--format",
                "rpm",
                "--sign-key",
                key,
            ],
        )
    };
    for (key, says) in [
        ("old.asc", "expired"),
        ("good.pub.asc", "not an OpenPGP secret key"),
    ] {
        let o = package(key);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains(key), "{stderr}");
        assert!(stderr.contains("help:"), "{stderr}");
        assert!(!d.join("out/v1.17.17-lts.3/rpm").exists());
    }

    // A binary replaced after the build.
    let kubectl = d.join("out/v1.17.17-lts.3/linux/amd64/kubectl");
    std::fs::write(&kubectl, "#!/bin/sh\necho other\n").unwrap();
    let o = package("good.asc");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("kubectl has sha256"), "{stderr}");
    assert!(stderr.contains("SHA256SUMS says"), "{stderr}");
    assert!(!d.join("out/v1.17.17-lts.3/rpm").exists());
    std::fs::write(&kubectl, "#!/bin/sh\necho kubectl\n").unwrap();
    let o = package("good.asc");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("(signed)"));
}

/// A key revoked in GnuPG is refused by `package --sign-key` (as by `publish --key`).
#[test]
fn package_refuses_a_revoked_key() {
    if klts_testkit::require("gpg", "gpg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let home = d.join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    let gpg = |args: &[&str]| {
        let o = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    gpg(&[
        "--quick-generate-key",
        "Revoked <r@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    let listing = String::from_utf8(gpg(&["--with-colons", "--list-keys"])).unwrap();
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    let rev = std::fs::read_to_string(home.join("openpgp-revocs.d").join(format!("{fpr}.rev")))
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    std::fs::write(d.join("rev.asc"), rev).unwrap();
    gpg(&["--import", &d.join("rev.asc").display().to_string()]);
    std::fs::write(
        d.join("revoked.asc"),
        gpg(&["--armor", "--export-secret-keys", &fpr]),
    )
    .unwrap();
    fake_build(&d.join("out"), "v1.17.17-lts.3", "amd64");
    let o = klts(
        d,
        &[
            "package",
            "v1.17.17-lts.3",
            "--format",
            "rpm",
            "--sign-key",
            "revoked.asc",
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("revoked") && stderr.contains("revoked.asc"),
        "{stderr}"
    );
    assert!(!d.join("out/v1.17.17-lts.3/rpm").exists());
}
