//! `klts key generate` and `klts publish apt|yum` end to end through the binary: exit codes,
//! reproducible output under SOURCE_DATE_EPOCH (signatures included), and a bad key or package
//! that leaves the published repository byte-identical.
//!
//! Packages are built with Debian's `dpkg-deb`; without it the test is skipped with a message,
//! except under `CI`, where `.ci/run` installs it and its absence is a failure.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn klts(dir: &Path, args: &[&str]) -> Output {
    support::klts_command()
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn show(o: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn have_dpkg_deb() -> bool {
    klts_testkit::require("dpkg-deb", "dpkg").is_some()
}

fn make_deb(dir: &Path, name: &str, version: &str) -> PathBuf {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("DEBIAN")).unwrap();
    std::fs::write(
        root.path().join("DEBIAN/control"),
        format!("Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: KLTS <klts@example.com>\nDescription: test\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let out = dir.join(format!("{name}_{version}_amd64.deb"));
    let o = Command::new("dpkg-deb")
        .args(["--build", "-Zgzip", "--root-owner-group"])
        .arg(root.path())
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    out
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, map: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, map);
            } else {
                map.insert(
                    p.strip_prefix(base).unwrap().into(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut map = BTreeMap::new();
    walk(dir, dir, &mut map);
    map
}

#[test]
fn publish_apt_is_reproducible_and_bad_input_changes_nothing() {
    if !have_dpkg_deb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = klts(
        d,
        &[
            "key",
            "generate",
            "--name",
            "KLTS Test",
            "--email",
            "t@example.com",
            "--out",
            "key.asc",
        ],
    );
    assert!(o.status.success(), "{}", show(&o));
    assert!(d.join("key.pub.asc").is_file());
    // Refuses to overwrite a key.
    let o = klts(
        d,
        &["key", "generate", "--name", "KLTS Test", "--out", "key.asc"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));

    make_deb(
        &d.join("out/v1.17.17-lts.3/deb"),
        "kubectl",
        "1.17.17-lts.3",
    );
    make_deb(
        &d.join("out/v1.18.20-lts.1/deb"),
        "kubectl",
        "1.18.20-lts.1",
    );
    let o = klts(
        d,
        &[
            "publish", "apt", "--out", "repo", "--key", "key.asc", "-o", "json",
        ],
    );
    assert!(o.status.success(), "{}", show(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let suites: Vec<&str> = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suite"].as_str().unwrap())
        .collect();
    assert_eq!(
        suites,
        ["v1.17", "v1.17.17-lts.3", "v1.18", "v1.18.20-lts.1"]
    );
    let o = klts(d, &["publish", "apt", "--out", "repo2", "--key", "key.asc"]);
    assert!(o.status.success(), "{}", show(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains(
            "signed-by=/etc/apt/keyrings/klts.gpg] https://packages.example.com v1.18 main"
        ),
        "{table}"
    );
    let before = snapshot(&d.join("repo"));
    assert_eq!(
        before,
        snapshot(&d.join("repo2")),
        "same inputs and SOURCE_DATE_EPOCH, same bytes"
    );
    assert!(String::from_utf8_lossy(&before[Path::new("klts.asc")]).contains("PUBLIC KEY BLOCK"));

    // Not a secret key; an expired key; a corrupt package: exit 2, repository untouched.
    let o = klts(
        d,
        &["publish", "apt", "--out", "repo", "--key", "key.pub.asc"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("help:"),
        "{}",
        show(&o)
    );
    let o = klts(
        d,
        &[
            "key",
            "generate",
            "--name",
            "Old",
            "--out",
            "old.asc",
            "--expires",
            "1s",
        ],
    );
    assert!(o.status.success(), "{}", show(&o));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = klts(d, &["publish", "apt", "--out", "repo", "--key", "old.asc"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expired"),
        "{}",
        show(&o)
    );
    std::fs::write(
        d.join("out/v1.18.20-lts.1/deb/kubeadm_1.18.20-lts.1_amd64.deb"),
        b"!<arch>\nbroken",
    )
    .unwrap();
    let o = klts(d, &["publish", "apt", "--out", "repo", "--key", "key.asc"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("kubeadm_1.18.20-lts.1_amd64.deb"),
        "{}",
        show(&o)
    );
    assert_eq!(snapshot(&d.join("repo")), before);
    // yum: no rpm packages at all is a clear error too.
    let o = klts(
        d,
        &["publish", "yum", "--out", "rpmrepo", "--key", "key.asc"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(!d.join("rpmrepo").exists());
}

fn key_fingerprint(d: &Path, name: &str, out: &str) -> String {
    let o = klts(d, &["key", "generate", "--name", name, "--out", out]);
    assert!(o.status.success(), "{}", show(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint "))
        .unwrap()
        .trim()
        .to_string()
}

/// Every pool file the signed indexes name exists with its hash.
fn assert_apt_complete(repo: &Path) {
    let mut checked = 0;
    for suite in std::fs::read_dir(repo.join("dists")).unwrap().flatten() {
        let packages =
            std::fs::read_to_string(suite.path().join("main/binary-amd64/Packages")).unwrap();
        for para in packages.split("\n\n").filter(|p| !p.trim().is_empty()) {
            let field = |k: &str| para.lines().find_map(|l| l.strip_prefix(k)).unwrap();
            let bytes = std::fs::read(repo.join(field("Filename: "))).unwrap();
            assert_eq!(
                klts_forge::fsutil::sha256_hex(&bytes),
                field("SHA256: "),
                "{para}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// Two `klts publish` processes into one repository: the second waits for the first (both
/// exit 0, the repository is complete); `--no-wait` fails clearly while the lock is held; a
/// different key needs `--rotate-key`.
#[test]
fn concurrent_publishes_wait_and_a_new_key_needs_rotate_key() {
    if !have_dpkg_deb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let a = key_fingerprint(d, "KLTS A", "a.asc");
    let b = key_fingerprint(d, "KLTS B", "b.asc");
    for (release, version) in [
        ("v1.17.16-lts.1", "1.17.16-lts.1"),
        ("v1.17.17-lts.3", "1.17.17-lts.3"),
        ("v1.18.20-lts.1", "1.18.20-lts.1"),
    ] {
        for name in ["kubectl", "kubeadm", "kubelet"] {
            make_deb(&d.join("out").join(release).join("deb"), name, version);
        }
    }
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_klts"))
            .args(["publish", "apt", "--out", "repo", "--key", "a.asc"])
            .current_dir(d)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("KLTS_SIGNING_PASSPHRASE")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Staggered, so that later runs start while earlier ones are building: before the lock,
    // a starting run deleted the others' staging directories (exit 2, or a partial repository
    // swapped in with exit 0). The sleeps only create overlap; nothing is timed.
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let run = spawn();
            std::thread::sleep(std::time::Duration::from_millis(30));
            run
        })
        .collect();
    for run in runs {
        let o = run.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", show(&o));
    }
    assert_apt_complete(&d.join("repo"));
    let mut left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("repo"))
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left[0].starts_with(".repo.klts-gen-"), "{left:?}");

    // While another publish holds the lock: --no-wait fails at once, naming the repository.
    let lock = std::fs::File::open(d.join(".repo.klts-lock")).unwrap();
    lock.lock().unwrap();
    let o = klts(
        d,
        &[
            "publish",
            "apt",
            "--out",
            "repo",
            "--key",
            "a.asc",
            "--no-wait",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("another publish") && stderr.contains("repo"),
        "{stderr}"
    );
    drop(lock);

    // Another key: refused with both fingerprints, repository untouched; --rotate-key allows it.
    let before = snapshot(&d.join("repo"));
    let o = klts(d, &["publish", "apt", "--out", "repo", "--key", "b.asc"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(&a) && stderr.contains(&b), "{stderr}");
    assert!(
        stderr.contains("NO_PUBKEY") && stderr.contains("--rotate-key"),
        "{stderr}"
    );
    assert_eq!(snapshot(&d.join("repo")), before);
    let o = klts(
        d,
        &[
            "publish",
            "apt",
            "--out",
            "repo",
            "--key",
            "b.asc",
            "--rotate-key",
        ],
    );
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        std::fs::read(d.join("repo/klts.asc")).unwrap(),
        std::fs::read(d.join("b.pub.asc")).unwrap()
    );
    let o = klts(d, &["publish", "apt", "--out", "repo", "--key", "b.asc"]);
    assert!(o.status.success(), "{}", show(&o));
}

/// An Ed25519 key makes repositories that CentOS 7's rpm and Ubuntu 16.04's gpgv cannot
/// verify: publish says so (for the default clients), and RSA (the default key) passes.
#[test]
fn publish_warns_when_the_declared_clients_cannot_verify_the_key() {
    if !have_dpkg_deb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    make_deb(
        &d.join("out/v1.17.17-lts.3/deb"),
        "kubectl",
        "1.17.17-lts.3",
    );
    let gen = |out: &str, alg: &[&str]| {
        let mut args = vec!["key", "generate", "--name", "KLTS Test", "--out", out];
        args.extend_from_slice(alg);
        let o = klts(d, &args);
        assert!(o.status.success(), "{}", show(&o));
    };
    gen("ed.asc", &["--algorithm", "ed25519"]);
    gen("rsa.asc", &[]);
    let publish = |repo: &str, key: &str, extra: &[&str]| {
        let mut args = vec!["publish", "apt", "--out", repo, "--key", key];
        args.extend_from_slice(extra);
        let o = klts(d, &args);
        assert!(o.status.success(), "{}", show(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let warned = publish("ed-repo", "ed.asc", &[]);
    assert!(
        warned.contains("CentOS 7") && warned.contains("Ubuntu 16.04"),
        "{warned}"
    );
    let quiet = publish("ed-repo2", "ed.asc", &["--compat", "rpm-sequoia"]);
    assert!(!quiet.contains("cannot verify"), "{quiet}");
    let rsa = publish("rsa-repo", "rsa.asc", &[]);
    assert!(!rsa.contains("cannot verify"), "{rsa}");
    let o = klts(
        d,
        &[
            "publish",
            "apt",
            "--out",
            "x",
            "--key",
            "rsa.asc",
            "--compat",
            "windows95",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
}
