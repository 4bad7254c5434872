//! apt and yum repositories checked with the real clients: packages are built with
//! `dpkg-deb` and `rpmbuild`, published with klts-dist, served over HTTP on 127.0.0.1, and
//! fetched with `apt-get update` + `apt-get download` (key as `signed-by`) and
//! `dnf makecache` + `dnf download` (repo_gpgcheck=1). Tampered metadata and a wrong key must
//! fail; a failing publish must leave the previous repository byte-identical.
//!
//! A missing tool skips its test with a message, except under `CI` (set by the CI runner),
//! where `.ci/run` installs them and their absence is a failure.

#[path = "support/http.rs"]
mod http;

use http::{serve, Apt};
use klts_dist::apt::{self, AptOptions};
use klts_dist::sign::{self, KeyParams, SigningKey};
use klts_dist::yum::{self, YumOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const T0: u32 = 1_700_000_000;

// `name` on PATH, or None (skip) — a panic under CI.
use klts_testkit::require as tool;

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    out
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn host_deb_arch() -> String {
    let out = run(Command::new("dpkg").arg("--print-architecture"));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Build `<dir>/<name>_<version>_<arch>.deb` with dpkg-deb.
fn make_deb(dir: &Path, name: &str, version: &str, arch: &str) -> PathBuf {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
    std::fs::write(
        root.path().join("DEBIAN/control"),
        format!("Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: KLTS <klts@example.com>\nSection: admin\nPriority: optional\nDescription: {name} test package\n built by the klts-dist tests\n"),
    )
    .unwrap();
    std::fs::write(
        root.path().join("usr/bin").join(name),
        format!("#!/bin/sh\necho {name} {version}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let out = dir.join(format!("{name}_{version}_{arch}.deb"));
    let o = run(Command::new("dpkg-deb")
        .args(["--build", "-Zgzip", "--root-owner-group"])
        .arg(root.path())
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", T0.to_string()));
    assert!(o.status.success(), "{}", text(&o));
    out
}

struct Key {
    key: SigningKey,
    public_armored: String,
}

fn key(name: &str) -> Key {
    let g = sign::generate(&KeyParams {
        algorithm: sign::KeyAlgorithm::Ed25519,
        name: name.into(),
        email: Some("repo@example.com".into()),
        expires_in: None,
        created: T0 - 100,
        passphrase: None,
    })
    .unwrap();
    let key = SigningKey::from_bytes(g.secret_armored.as_bytes(), Path::new("key.asc"), None, T0)
        .unwrap();
    Key {
        key,
        public_armored: g.public_armored,
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut map = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, map: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, map);
            } else {
                map.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    walk(dir, dir, &mut map);
    map
}

fn apt_opts() -> AptOptions {
    AptOptions {
        origin: "KLTS".into(),
        label: "KLTS".into(),
        date: T0,
        sign_time: T0,
        valid_for: None,
        policy: Default::default(),
    }
}

/// out/<release>/deb/ with kubectl in two releases of 1.17 and kubeadm in the newer one.
fn deb_out(tmp: &Path, arch: &str) -> PathBuf {
    let out = tmp.join("out");
    make_deb(
        &out.join("v1.17.16-lts.1/deb"),
        "kubectl",
        "1.17.16-lts.1",
        arch,
    );
    make_deb(
        &out.join("v1.17.17-lts.3/deb"),
        "kubectl",
        "1.17.17-lts.3",
        arch,
    );
    make_deb(
        &out.join("v1.17.17-lts.3/deb"),
        "kubeadm",
        "1.17.17-lts.3",
        arch,
    );
    out
}

#[test]
fn apt_get_updates_and_downloads_from_a_published_repository() {
    if tool("apt-get", "apt").is_none() || tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let arch = host_deb_arch();
    let out = deb_out(tmp.path(), &arch);
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    let report = apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap();
    let suites: Vec<&str> = report.suites.iter().map(|s| s.suite.as_str()).collect();
    assert_eq!(suites, ["v1.17", "v1.17.16-lts.1", "v1.17.17-lts.3"]);
    assert_eq!(report.suites[0].packages.len(), 3);
    let addr = serve(&repo);
    let keyring = repo.join("klts.gpg");
    let url = format!("http://{addr}/");

    // The line suite: newest wins, older versions can be pinned.
    let apt = Apt::new(&format!(
        "{}\n",
        apt::sources_line(&url, "v1.17", &keyring.display().to_string())
    ));
    let o = apt.run(&["update"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("W:"),
        "{}",
        text(&o)
    );
    let o = apt.run(&["download", "kubectl"]);
    assert!(o.status.success(), "{}", text(&o));
    let got = std::fs::read(apt.work().join(format!("kubectl_1.17.17-lts.3_{arch}.deb"))).unwrap();
    assert_eq!(
        got,
        std::fs::read(out.join(format!(
            "v1.17.17-lts.3/deb/kubectl_1.17.17-lts.3_{arch}.deb"
        )))
        .unwrap()
    );
    let o = apt.run(&["download", "kubectl=1.17.16-lts.1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(apt
        .work()
        .join(format!("kubectl_1.17.16-lts.1_{arch}.deb"))
        .is_file());

    // A release suite holds only that release.
    let apt = Apt::new(&format!(
        "{}\n",
        apt::sources_line(&url, "v1.17.16-lts.1", &keyring.display().to_string())
    ));
    let o = apt.run(&["update"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = apt.run(&["download", "kubeadm"]);
    assert!(
        !o.status.success(),
        "kubeadm is not in v1.17.16-lts.1: {}",
        text(&o)
    );

    // A wrong key: the signature does not verify.
    let other = key("Someone Else");
    let wrong = tmp.path().join("wrong.gpg");
    std::fs::write(&wrong, other.key.public_binary().unwrap()).unwrap();
    let apt = Apt::new(&format!(
        "{}\n",
        apt::sources_line(&url, "v1.17", &wrong.display().to_string())
    ));
    let o = apt.run(&["update"]);
    let t = text(&o);
    assert!(
        !o.status.success() || t.contains("NO_PUBKEY") || t.contains("is not signed"),
        "{t}"
    );
    assert!(t.contains("NO_PUBKEY") || t.contains("signature"), "{t}");
    let o = apt.run(&["download", "kubectl"]);
    assert!(!o.status.success(), "{}", text(&o));

    // Tampered Packages (and Packages.gz): hash sum mismatch.
    let dir = repo.join(format!("dists/v1.17/main/binary-{arch}"));
    let packages = std::fs::read_to_string(dir.join("Packages")).unwrap();
    let tampered = packages.replacen("Section: admin", "Section: admiN", 1);
    assert_ne!(tampered, packages);
    // Replaced, not written through: the by-hash names are hard links to the same bytes.
    std::fs::remove_file(dir.join("Packages")).unwrap();
    std::fs::write(dir.join("Packages"), &tampered).unwrap();
    // Without Packages.{xz,gz} and by-hash, apt falls back to the (same-size, tampered) Packages.
    std::fs::remove_file(dir.join("Packages.gz")).unwrap();
    std::fs::remove_file(dir.join("Packages.xz")).unwrap();
    let apt = Apt::new(&format!(
        "{}\n",
        apt::sources_line(&url, "v1.17", &keyring.display().to_string())
    ));
    let o = apt.run(&["-o", "Acquire::By-Hash=no", "update"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("Hash Sum mismatch"),
        "same size, other bytes: {t}"
    );
}

#[test]
fn failed_publish_leaves_previous_apt_repository_byte_identical() {
    if tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = deb_out(tmp.path(), "amd64");
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap();
    let before = snapshot(&repo);
    assert!(before.contains_key(Path::new("dists/v1.17/InRelease")));
    // A corrupt .deb in a new release.
    let bad = out.join("v1.17.18-lts.1/deb/kubectl_1.17.18-lts.1_amd64.deb");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    let mut bytes =
        std::fs::read(out.join("v1.17.17-lts.3/deb/kubectl_1.17.17-lts.3_amd64.deb")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, &bytes).unwrap();
    let e = apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap_err();
    assert!(
        e.to_string().contains("kubectl_1.17.18-lts.1_amd64.deb"),
        "{e}"
    );
    assert_eq!(snapshot(&repo), before);
    // A release that was asked for but has no packages.
    let e = apt::publish(&out, &["v1.17.99".into()], &k.key, &apt_opts(), &repo).unwrap_err();
    assert!(e.to_string().contains("v1.17.99"), "{e}");
    assert_eq!(snapshot(&repo), before);
    // Nothing left next to the repository but its one generation and the lock.
    let mut names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("repo"))
        .collect();
    names.sort();
    assert_eq!(names, [".repo.klts-gen-1", ".repo.klts-lock", "repo"]);
}

#[test]
fn apt_publishing_is_deterministic() {
    if tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = deb_out(tmp.path(), "amd64");
    let k = key("KLTS Test");
    apt::publish(&out, &[], &k.key, &apt_opts(), &tmp.path().join("a")).unwrap();
    apt::publish(&out, &[], &k.key, &apt_opts(), &tmp.path().join("b")).unwrap();
    let a = snapshot(&tmp.path().join("a"));
    assert_eq!(a, snapshot(&tmp.path().join("b")));
    // The detached signature verifies with the exported public key.
    let release = &a[Path::new("dists/v1.17/Release")];
    let sig = String::from_utf8(a[Path::new("dists/v1.17/Release.gpg")].clone()).unwrap();
    sign::verify_detached(&k.public_armored, &sig, release).unwrap();
    let text = String::from_utf8(release.clone()).unwrap();
    assert!(
        text.contains("Date: Tue, 14 Nov 2023 22:13:20 UTC\n"),
        "{text}"
    );
    assert!(text.contains(" main/binary-amd64/Packages.gz\n"), "{text}");
}

/// The times of a publish come from the `BuildTime` the caller passes (the CLI reads it once):
/// a fixed clock without SOURCE_DATE_EPOCH dates `Release` at that clock, with it at the
/// epoch, whatever the environment of the test process says.
#[test]
fn publish_times_come_from_the_build_time_passed_in() {
    use klts_core::time::BuildTime;
    let tmp = tempfile::tempdir().unwrap();
    let out = native_out(&tmp.path().join("out"), &[("v1.17.17-lts.1", false)]);
    let k = key("KLTS Test");
    let publish = |name: &str, time: BuildTime| {
        let opts = AptOptions {
            date: klts_dist::publish::metadata_time(&time).unwrap(),
            sign_time: klts_dist::publish::metadata_time(&time).unwrap(),
            ..apt_opts()
        };
        let repo = tmp.path().join(name);
        apt::publish(&out, &[], &k.key, &opts, &repo).unwrap();
        std::fs::read_to_string(repo.join("dists/v1.17/Release")).unwrap()
    };
    let clock = BuildTime {
        now: i64::from(T0) + 86_400,
        source_date_epoch: None,
    };
    let text = publish("now", clock);
    assert!(
        text.contains("Date: Wed, 15 Nov 2023 22:13:20 UTC\n"),
        "{text}"
    );
    let text = publish(
        "epoch",
        BuildTime {
            source_date_epoch: Some(i64::from(T0)),
            ..clock
        },
    );
    assert!(
        text.contains("Date: Tue, 14 Nov 2023 22:13:20 UTC\n"),
        "{text}"
    );
    // Past what the metadata's 32-bit times hold: an error naming the variable, not a wrap.
    let far = BuildTime::fixed(i64::from(u32::MAX) + 1);
    let e = klts_dist::publish::metadata_time(&far).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("SOURCE_DATE_EPOCH=4294967296 is past 2106"),
        "{e}"
    );
}

/// Build `<dir>/<name>-<version>-<release>.<arch>.rpm` with rpmbuild.
fn make_rpm(dir: &Path, name: &str, version: &str, release: &str) -> PathBuf {
    let top = tempfile::tempdir().unwrap();
    let spec = top.path().join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!("Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: {name} test package <&>\nLicense: Apache-2.0\nBuildArch: noarch\nAutoReqProv: no\n%description\nbuilt by the klts-dist tests\n%install\nmkdir -p %{{buildroot}}/usr/bin\nprintf '#!/bin/sh\\necho {name}\\n' > %{{buildroot}}/usr/bin/{name}\nchmod 755 %{{buildroot}}/usr/bin/{name}\n%files\n/usr/bin/{name}\n"),
    )
    .unwrap();
    let o = run(Command::new("rpmbuild")
        .arg("-bb")
        .arg("--define")
        .arg(format!("_topdir {}", top.path().display()))
        .args([
            "--define",
            "_build_id_links none",
            "--define",
            "__os_install_post %{nil}",
        ])
        .arg(&spec)
        .env("SOURCE_DATE_EPOCH", T0.to_string())
        .env("HOME", top.path()));
    assert!(o.status.success(), "{}", text(&o));
    let built = top
        .path()
        .join(format!("RPMS/noarch/{name}-{version}-{release}.noarch.rpm"));
    std::fs::create_dir_all(dir).unwrap();
    let dest = dir.join(built.file_name().unwrap());
    std::fs::copy(&built, &dest).unwrap();
    dest
}

/// An rpm with everything createrepo_c filters or marks in its requires (its own primary
/// file, a name it provides, a scriptlet requirement, a repeat), plus conflicts, obsoletes, a
/// %dir, a %ghost and a %config file, built by rpmbuild into `out/v1.17.17-lts.3/rpm/`.
fn rich_rpm_out(tmp: &Path) -> PathBuf {
    let top = tempfile::tempdir().unwrap();
    let spec = top.path().join("rich.spec");
    std::fs::write(
        &spec,
        "Name: richpkg\nVersion: 1.0\nRelease: 1\nSummary: rich\nLicense: MIT\nBuildArch: noarch\nAutoReqProv: no\nProvides: richpkg-data = 1.0\nRequires: richpkg-data\nRequires: /usr/bin/richpkg\nRequires(post): /bin/sh\nRequires: coreutils >= 8\nRequires: tar\nRequires: coreutils >= 8\nConflicts: oldpkg < 1.0\nObsoletes: oldpkg < 1.0\n%description\nrich\n%install\nmkdir -p %{buildroot}/usr/bin %{buildroot}/etc/richpkg %{buildroot}/var/log\necho x > %{buildroot}/usr/bin/richpkg\necho c > %{buildroot}/etc/richpkg/conf\ntouch %{buildroot}/var/log/richpkg.log\n%post\ntrue\n%files\n/usr/bin/richpkg\n%dir /etc/richpkg\n%config(noreplace) /etc/richpkg/conf\n%ghost /var/log/richpkg.log\n",
    )
    .unwrap();
    let o = run(Command::new("rpmbuild")
        .arg("-bb")
        .arg("--define")
        .arg(format!("_topdir {}", top.path().display()))
        .args([
            "--define",
            "_build_id_links none",
            "--define",
            "__os_install_post %{nil}",
        ])
        .arg(&spec)
        .env("SOURCE_DATE_EPOCH", T0.to_string())
        .env("HOME", top.path()));
    assert!(o.status.success(), "{}", text(&o));
    let out = tmp.join("out");
    let dir = out.join("v1.17.17-lts.3/rpm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        top.path().join("RPMS/noarch/richpkg-1.0-1.noarch.rpm"),
        dir.join("richpkg-1.0-1.noarch.rpm"),
    )
    .unwrap();
    out
}

fn rpm_out(tmp: &Path) -> PathBuf {
    let out = tmp.join("out");
    make_rpm(
        &out.join("v1.17.16-lts.1/rpm"),
        "kubectl",
        "1.17.16",
        "lts.1",
    );
    make_rpm(
        &out.join("v1.17.17-lts.3/rpm"),
        "kubectl",
        "1.17.17",
        "lts.3",
    );
    make_rpm(
        &out.join("v1.17.17-lts.3/rpm"),
        "kubeadm",
        "1.17.17",
        "lts.3",
    );
    out
}

fn yum_opts() -> YumOptions {
    YumOptions {
        date: T0,
        sign_time: T0,
        policy: Default::default(),
    }
}

/// dnf with a private configuration and cache; `gpgkey` is the key it trusts for the repo.
fn dnf(state: &Path, url: &str, gpgkey: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("dnf");
    cmd.arg("-y")
        .arg(format!("--config={}", state.join("dnf.conf").display()))
        .arg("--setopt=reposdir=/dev/null")
        .arg(format!(
            "--setopt=cachedir={}",
            state.join("cache").display()
        ))
        .arg(format!(
            "--setopt=persistdir={}",
            state.join("persist").display()
        ))
        .arg(format!("--setopt=logdir={}", state.join("log").display()))
        .arg(format!("--installroot={}", state.join("root").display()))
        .arg("--releasever=1")
        .arg(format!("--repofrompath=klts,{url}"))
        .arg("--repo=klts")
        .arg("--setopt=klts.gpgcheck=0")
        .arg("--setopt=klts.repo_gpgcheck=1")
        .arg(format!("--setopt=klts.gpgkey=file://{}", gpgkey.display()))
        .args(args)
        .current_dir(state);
    for d in ["root", "cache", "persist", "log"] {
        std::fs::create_dir_all(state.join(d)).unwrap();
    }
    if !state.join("dnf.conf").exists() {
        std::fs::write(state.join("dnf.conf"), "[main]\n").unwrap();
    }
    run(&mut cmd)
}

#[test]
fn dnf_makecache_and_download_from_a_published_repository() {
    if tool("dnf", "dnf").is_none() || tool("rpmbuild", "rpm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = rpm_out(tmp.path());
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    let report = yum::publish(&out, &[], &k.key, &yum_opts(), &repo).unwrap();
    let suites: Vec<&str> = report.suites.iter().map(|s| s.suite.as_str()).collect();
    assert_eq!(suites, ["v1.17", "v1.17.16-lts.1", "v1.17.17-lts.3"]);
    let addr = serve(&repo);
    let url = format!("http://{addr}/v1.17/");
    let pubkey = repo.join("klts.asc");

    let state = tempfile::tempdir().unwrap();
    let o = dnf(state.path(), &url, &pubkey, &["makecache"]);
    assert!(o.status.success(), "{}", text(&o));
    let dest = state.path().join("dl");
    let o = dnf(
        state.path(),
        &url,
        &pubkey,
        &[
            "install",
            "--downloadonly",
            "--destdir",
            &dest.display().to_string(),
            "kubectl",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let got = std::fs::read(dest.join("kubectl-1.17.17-lts.3.noarch.rpm")).unwrap();
    assert_eq!(
        got,
        std::fs::read(out.join("v1.17.17-lts.3/rpm/kubectl-1.17.17-lts.3.noarch.rpm")).unwrap()
    );
    let o = dnf(
        state.path(),
        &url,
        &pubkey,
        &[
            "install",
            "--downloadonly",
            "--destdir",
            &dest.display().to_string(),
            "kubectl-1.17.16-lts.1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(dest.join("kubectl-1.17.16-lts.1.noarch.rpm").is_file());

    // A wrong key: repomd.xml's signature does not verify.
    let other = key("Someone Else");
    let wrong = tmp.path().join("wrong.asc");
    std::fs::write(&wrong, &other.public_armored).unwrap();
    let state = tempfile::tempdir().unwrap();
    let o = dnf(state.path(), &url, &wrong, &["makecache"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("GPG signature verification error"),
        "{}",
        text(&o)
    );

    // Tampered repomd.xml: the signature does not match.
    let repomd = repo.join("v1.17/repodata/repomd.xml");
    let text0 = std::fs::read_to_string(&repomd).unwrap();
    std::fs::write(&repomd, text0.replace("<revision>", "<revision>1")).unwrap();
    let state = tempfile::tempdir().unwrap();
    let o = dnf(state.path(), &url, &pubkey, &["makecache"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("GPG signature verification error"),
        "{}",
        text(&o)
    );
}

#[test]
fn yum_publishing_is_deterministic_and_atomic() {
    if tool("rpmbuild", "rpm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = rpm_out(tmp.path());
    let k = key("KLTS Test");
    yum::publish(&out, &[], &k.key, &yum_opts(), &tmp.path().join("a")).unwrap();
    yum::publish(&out, &[], &k.key, &yum_opts(), &tmp.path().join("b")).unwrap();
    let a = snapshot(&tmp.path().join("a"));
    assert_eq!(a, snapshot(&tmp.path().join("b")));
    let repomd = &a[Path::new("v1.17/repodata/repomd.xml")];
    let sig = String::from_utf8(a[Path::new("v1.17/repodata/repomd.xml.asc")].clone()).unwrap();
    sign::verify_detached(&k.public_armored, &sig, repomd).unwrap();
    // A corrupt rpm fails the publish and leaves the previous repository as it was.
    let bad = out.join("v1.17.18-lts.1/rpm/kubectl-1.17.18-lts.1.noarch.rpm");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"\xed\xab\xee\xdb not really").unwrap();
    let e = yum::publish(&out, &[], &k.key, &yum_opts(), &tmp.path().join("a")).unwrap_err();
    assert!(
        e.to_string().contains("kubectl-1.17.18-lts.1.noarch.rpm"),
        "{e}"
    );
    assert_eq!(snapshot(&tmp.path().join("a")), a);
}

fn gpg(home: &Path, args: &[&str]) -> Output {
    let o = run(Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args([
            "--batch",
            "--yes",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ])
        .args(args));
    assert!(o.status.success(), "gpg {args:?}: {}", text(&o));
    o
}

/// A key made by GnuPG (certify-only primary, Ed25519 signing subkey) signs through its subkey
/// and `gpgv` accepts the result; once revoked, it is refused before anything is written.
#[test]
fn gnupg_keys_with_signing_subkeys_work_and_revoked_keys_are_refused() {
    if tool("gpg", "gpg").is_none() || tool("gpgv", "gpgv").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    gpg(
        &home,
        &[
            "--quick-generate-key",
            "GnuPG Made <g@example.com>",
            "ed25519",
            "cert",
            "never",
        ],
    );
    let o = gpg(&home, &["--with-colons", "--list-keys"]);
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    gpg(
        &home,
        &["--quick-add-key", &fpr, "ed25519", "sign", "never"],
    );
    let secret = gpg(&home, &["--armor", "--export-secret-keys", &fpr]).stdout;
    let public = gpg(&home, &["--export", &fpr]).stdout;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let key = SigningKey::from_bytes(&secret, Path::new("gnupg.asc"), None, now).unwrap();
    assert_eq!(key.fingerprint(), fpr);
    let data = b"Origin: KLTS\n";
    let sig = key.detached(data, now).unwrap();
    std::fs::write(tmp.path().join("keyring.gpg"), &public).unwrap();
    std::fs::write(tmp.path().join("data"), data).unwrap();
    std::fs::write(tmp.path().join("data.asc"), &sig).unwrap();
    let o = run(Command::new("gpgv")
        .arg("--keyring")
        .arg(tmp.path().join("keyring.gpg"))
        .arg(tmp.path().join("data.asc"))
        .arg(tmp.path().join("data")));
    assert!(o.status.success(), "{}", text(&o));
    let clear = key.clearsign("Suite: v1.17\n", now).unwrap();
    std::fs::write(tmp.path().join("InRelease"), &clear).unwrap();
    let o = run(Command::new("gpgv")
        .arg("--keyring")
        .arg(tmp.path().join("keyring.gpg"))
        .arg(tmp.path().join("InRelease")));
    assert!(o.status.success(), "{}", text(&o));

    // Revoke it (GnuPG's pre-made revocation certificate) and try again.
    let rev_path = home.join("openpgp-revocs.d").join(format!("{fpr}.rev"));
    let rev = std::fs::read_to_string(&rev_path)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    std::fs::write(tmp.path().join("rev.asc"), rev).unwrap();
    gpg(
        &home,
        &[
            "--import",
            &tmp.path().join("rev.asc").display().to_string(),
        ],
    );
    let secret = gpg(&home, &["--armor", "--export-secret-keys", &fpr]).stdout;
    let e = SigningKey::from_bytes(&secret, Path::new("revoked.asc"), None, now).unwrap_err();
    assert!(
        e.to_string().contains("revoked") && e.to_string().contains("revoked.asc"),
        "{e}"
    );
}

/// `out/<release>/{deb,rpm}/` with kubectl (and kubeadm for `with_kubeadm`) for amd64, written
/// by klts' own package writers (no tool needed).
fn native_out(dir: &Path, releases: &[(&str, bool)]) -> PathBuf {
    use klts_dist::package::{deb_package, rpm_package, Arch};
    let out = dir.to_path_buf();
    for (release, with_kubeadm) in releases {
        let v = klts_core::Version::parse(release).unwrap();
        let pv = klts_dist::pkgversion::package_version(&v, 1).unwrap();
        let bins: &[&str] = if *with_kubeadm {
            &["kubeadm", "kubectl"]
        } else {
            &["kubectl"]
        };
        for bin in bins {
            let binary = format!("#!/bin/sh\necho {bin} {release}\n").into_bytes();
            let deb =
                deb_package(bin, binary.clone(), &v, &pv, Arch::Amd64, "m <m@x.io>", 1).unwrap();
            let d = out.join(release).join("deb");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join(format!("{bin}_{}_amd64.deb", pv.deb())),
                deb.to_bytes(T0 as u64).unwrap(),
            )
            .unwrap();
            let rpm = rpm_package(bin, binary, &v, &pv, Arch::Amd64, "m <m@x.io>").unwrap();
            let d = out.join(release).join("rpm");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join(rpm.file_name()),
                rpm.to_bytes(T0 as u64, None).unwrap(),
            )
            .unwrap();
        }
    }
    out
}

fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    klts_forge::fsutil::sha256_hex(&bytes)
}

/// Every file an apt client can be sent to exists with the hash the signed metadata names.
fn assert_apt_consistent(repo: &Path, public: &str) -> usize {
    let mut checked = 0;
    for suite in std::fs::read_dir(repo.join("dists")).unwrap().flatten() {
        let dir = suite.path();
        let release = std::fs::read(dir.join("Release")).unwrap();
        let sig = std::fs::read_to_string(dir.join("Release.gpg")).unwrap();
        sign::verify_detached(public, &sig, &release).unwrap();
        let text = String::from_utf8(release).unwrap();
        let sha = text.split("SHA256:\n").nth(1).unwrap();
        for line in sha.lines().take_while(|l| l.starts_with(' ')) {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                sha256_file(&dir.join(f[2])),
                f[0],
                "{}",
                dir.join(f[2]).display()
            );
            if f[2].ends_with("/Packages") {
                let packages = std::fs::read_to_string(dir.join(f[2])).unwrap();
                for para in packages.split("\n\n").filter(|p| !p.trim().is_empty()) {
                    let field = |k: &str| {
                        para.lines()
                            .find_map(|l| l.strip_prefix(k))
                            .unwrap()
                            .to_string()
                    };
                    let file = repo.join(field("Filename: "));
                    assert_eq!(sha256_file(&file), field("SHA256: "), "{}", file.display());
                    checked += 1;
                }
            }
        }
    }
    checked
}

/// Every file a dnf client can be sent to exists with the hash the signed metadata names.
fn assert_yum_consistent(repo: &Path, public: &str) -> usize {
    let mut checked = 0;
    for suite in std::fs::read_dir(repo).unwrap().flatten() {
        let dir = suite.path();
        if !dir.is_dir() {
            continue;
        }
        let repomd = std::fs::read(dir.join("repodata/repomd.xml")).unwrap();
        let sig = std::fs::read_to_string(dir.join("repodata/repomd.xml.asc")).unwrap();
        sign::verify_detached(public, &sig, &repomd).unwrap();
        let repomd = String::from_utf8(repomd).unwrap();
        for data in repomd.split("<data ").skip(1) {
            let sum = data
                .split("<checksum type=\"sha256\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap();
            let href = data
                .split("<location href=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert_eq!(sha256_file(&dir.join(href)), sum, "{href}");
            if href.ends_with("primary.xml.gz") {
                let mut xml = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&std::fs::read(dir.join(href)).unwrap()[..]),
                    &mut xml,
                )
                .unwrap();
                for pkg in xml.split("<package ").skip(1) {
                    let sum = pkg
                        .split("pkgid=\"YES\">")
                        .nth(1)
                        .unwrap()
                        .split('<')
                        .next()
                        .unwrap();
                    let href = pkg
                        .split("<location href=\"")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap();
                    assert_eq!(sha256_file(&dir.join(href)), sum, "{href}");
                    checked += 1;
                }
            }
        }
    }
    checked
}

/// Publishes racing for one repository (issue: both exited 0 with `pool/` and `Packages`
/// partly gone) now take turns: every one succeeds and the final repository is complete,
/// every file the signed metadata names present with its hash.
#[test]
fn concurrent_publishes_leave_a_complete_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let outs = [
        native_out(&tmp.path().join("out-a"), &[("v1.17.16-lts.1", false)]),
        native_out(
            &tmp.path().join("out-b"),
            &[("v1.17.16-lts.1", false), ("v1.17.17-lts.3", true)],
        ),
        native_out(&tmp.path().join("out-c"), &[("v1.18.20-lts.1", true)]),
    ];
    let k = key("KLTS Test");
    let apt_repo = tmp.path().join("apt");
    let yum_repo = tmp.path().join("yum");
    std::thread::scope(|s| {
        for t in 0..3 {
            let (outs, k, apt_repo, yum_repo) = (&outs, &k, &apt_repo, &yum_repo);
            s.spawn(move || {
                for i in 0..3 {
                    let out = &outs[(t + i) % outs.len()];
                    apt::publish(out, &[], &k.key, &apt_opts(), apt_repo).unwrap();
                    yum::publish(out, &[], &k.key, &yum_opts(), yum_repo).unwrap();
                }
            });
        }
    });
    assert!(assert_apt_consistent(&apt_repo, &k.public_armored) > 0);
    assert!(assert_yum_consistent(&yum_repo, &k.public_armored) > 0);
    for name in ["apt", "yum"] {
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!(".{name}.")))
            .collect();
        left.sort();
        assert_eq!(left.len(), 2, "one generation and the lock: {left:?}");
        assert!(
            left[0].starts_with(&format!(".{name}.klts-gen-")),
            "{left:?}"
        );
    }
}

/// `Valid-Until:` is honoured by the real apt: a fresh window updates, an expired one is
/// refused (what protects clients from a mirror that replays old indexes).
#[test]
fn apt_refuses_expired_indexes_and_takes_fresh_ones() {
    if tool("apt-get", "apt").is_none() || tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = deb_out(tmp.path(), &host_deb_arch());
    let k = key("KLTS Test");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let publish = |name: &str, date: u32| {
        let repo = tmp.path().join(name);
        let opts = AptOptions {
            date,
            sign_time: date,
            valid_for: Some(7 * 86_400),
            ..apt_opts()
        };
        apt::publish(&out, &[], &k.key, &opts, &repo).unwrap();
        let release = std::fs::read_to_string(repo.join("dists/v1.17/Release")).unwrap();
        assert!(release.contains("\nValid-Until: "), "{release}");
        repo
    };
    let update = |repo: &Path| {
        let addr = serve(repo);
        let apt = Apt::new(&format!(
            "{}\n",
            apt::sources_line(
                &format!("http://{addr}/"),
                "v1.17",
                &repo.join("klts.gpg").display().to_string()
            )
        ));
        apt.run(&["update"])
    };
    let fresh = update(&publish("fresh", now - 60));
    assert!(fresh.status.success(), "{}", text(&fresh));
    assert!(!text(&fresh).contains("expired"), "{}", text(&fresh));
    // Published 30 days ago with a 7-day window: expired.
    let stale = update(&publish("stale", now - 30 * 86_400));
    let said = text(&stale);
    assert!(
        !stale.status.success() || said.contains("expired") || said.contains("E:"),
        "apt accepted expired indexes: {said}"
    );
    assert!(said.to_ascii_lowercase().contains("expired"), "{said}");
}

/// The by-hash files of one index directory: (hash, bytes).
fn by_hash_files(index_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let dir = index_dir.join("by-hash/SHA256");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        files.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path()).unwrap(),
        );
    }
    files
}

/// `Acquire-By-Hash` and `.xz` indexes, read by the real apt: by-hash forced succeeds and every
/// by-hash file is named after its own SHA256; xz alone succeeds; a tampered by-hash file (the
/// canonical names untouched) is a hash sum mismatch, so apt really fetched by hash.
#[test]
fn apt_get_reads_by_hash_and_xz_indexes() {
    if tool("apt-get", "apt").is_none() || tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let arch = host_deb_arch();
    let out = deb_out(tmp.path(), &arch);
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap();
    let suite = repo.join("dists/v1.17");
    let release = std::fs::read_to_string(suite.join("Release")).unwrap();
    assert!(release.contains("\nAcquire-By-Hash: yes\n"), "{release}");
    let listed = apt::release_sha256(&release);
    let index = format!("main/binary-{arch}");
    let names: Vec<&str> = listed.iter().map(|(_, _, p)| p.as_str()).collect();
    for name in ["Packages", "Packages.gz", "Packages.xz"] {
        assert!(
            names.contains(&format!("{index}/{name}").as_str()),
            "{release}"
        );
    }
    let by_hash = by_hash_files(&suite.join(&index));
    assert_eq!(by_hash.len(), 3, "{:?}", by_hash.keys());
    for (hash, size, path) in &listed {
        let bytes = &by_hash[hash];
        assert_eq!(bytes.len() as u64, *size, "{path}");
        assert_eq!(bytes, &std::fs::read(suite.join(path)).unwrap(), "{path}");
        assert_eq!(&klts_forge::fsutil::sha256_hex(bytes), hash, "{path}");
    }
    let addr = serve(&repo);
    let url = format!("http://{addr}/");
    let sources = format!(
        "{}\n",
        apt::sources_line(&url, "v1.17", &repo.join("klts.gpg").display().to_string())
    );

    let apt = Apt::new(&sources);
    let o = apt.run(&["-o", "Acquire::By-Hash=force", "update"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("W:"), "{}", text(&o));
    let o = apt.run(&["download", "kubectl=1.17.16-lts.1"]);
    assert!(o.status.success(), "{}", text(&o));

    // Only xz: with the other compressions and by-hash out of the way, Packages.xz must do.
    let idx = suite.join(&index);
    let hidden = tmp.path().join("hidden");
    std::fs::create_dir_all(&hidden).unwrap();
    for name in ["Packages", "Packages.gz"] {
        std::fs::rename(idx.join(name), hidden.join(name)).unwrap();
    }
    let xz_only = Apt::new(&sources);
    let o = xz_only.run(&[
        "-o",
        "Acquire::By-Hash=no",
        "-o",
        "Acquire::CompressionTypes::Order::=xz",
        "update",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = xz_only.run(&["download", "kubeadm"]);
    assert!(o.status.success(), "{}", text(&o));
    for name in ["Packages", "Packages.gz"] {
        std::fs::rename(hidden.join(name), idx.join(name)).unwrap();
    }

    // Tamper every by-hash file (same size, one byte changed; replaced, so the hard-linked
    // canonical names keep their bytes): forced by-hash must now fail.
    for (hash, mut bytes) in by_hash {
        let p = idx.join("by-hash/SHA256").join(&hash);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, &bytes).unwrap();
    }
    let apt = Apt::new(&sources);
    let o = apt.run(&["-o", "Acquire::By-Hash=force", "update"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("Hash Sum mismatch"), "{t}");
    // The canonical names are intact: without by-hash the same repository still updates.
    let o = Apt::new(&sources).run(&["-o", "Acquire::By-Hash=no", "update"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// A client that read `InRelease` just before a publish flipped the repository fetches the
/// indexes that `InRelease` names after the flip: each generation keeps the previous one's
/// by-hash files, and only those (no pile-up over generations).
#[test]
fn a_client_mid_update_finds_the_previous_indexes_by_hash() {
    if tool("apt-get", "apt").is_none() || tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let arch = host_deb_arch();
    let out = tmp.path().join("out");
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    let suite = repo.join("dists/v1.17");
    let idx = format!("main/binary-{arch}");
    let mut generations = Vec::new();
    for release in ["1.17.16-lts.1", "1.17.17-lts.3", "1.17.18-lts.1"] {
        make_deb(
            &out.join(format!("v{release}/deb")),
            "kubectl",
            release,
            &arch,
        );
        apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap();
        let release = std::fs::read_to_string(suite.join("Release")).unwrap();
        let hashes: Vec<String> = apt::release_sha256(&release)
            .into_iter()
            .filter(|(_, _, p)| p.starts_with(&idx))
            .map(|(h, _, _)| h)
            .collect();
        assert_eq!(hashes.len(), 3);
        let signed: Vec<Vec<u8>> = ["InRelease", "Release", "Release.gpg"]
            .iter()
            .map(|f| std::fs::read(suite.join(f)).unwrap())
            .collect();
        generations.push((hashes, signed));
    }
    // The third generation has its own by-hash files and the second's, not the first's.
    let by_hash = by_hash_files(&suite.join(&idx));
    let want: std::collections::BTreeSet<&String> =
        generations[1].0.iter().chain(&generations[2].0).collect();
    assert_eq!(
        by_hash.keys().collect::<std::collections::BTreeSet<_>>(),
        want
    );
    assert!(!generations[0].0.iter().any(|h| by_hash.contains_key(h)));

    // The client got the second generation's InRelease; everything else comes from the third.
    for (f, bytes) in ["InRelease", "Release", "Release.gpg"]
        .iter()
        .zip(&generations[1].1)
    {
        std::fs::remove_file(suite.join(f)).unwrap();
        std::fs::write(suite.join(f), bytes).unwrap();
    }
    let addr = serve(&repo);
    let apt = Apt::new(&format!(
        "{}\n",
        apt::sources_line(
            &format!("http://{addr}/"),
            "v1.17",
            &repo.join("klts.gpg").display().to_string()
        )
    ));
    let o = apt.run(&["update"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("W:"), "{}", text(&o));
    // The client sees the second generation's package list.
    let o = apt.run(&["download", "kubectl"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(apt
        .work()
        .join(format!("kubectl_1.17.17-lts.3_{arch}.deb"))
        .is_file());
}

/// One deb822 paragraph as field → value.
fn deb822(para: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut last = String::new();
    for line in para.lines() {
        if line.starts_with(' ') {
            let v: &mut String = fields.get_mut(&last).unwrap();
            v.push('\n');
            v.push_str(line);
        } else if let Some((k, v)) = line.split_once(':') {
            last = k.to_string();
            fields.insert(last.clone(), v.trim().to_string());
        }
    }
    fields
}

/// Debian's own index generator, `apt-ftparchive packages`, run over the same pool, writes the
/// same fields with the same values for every package; it adds only the hashes klts leaves
/// out on purpose (SHA1, SHA512: see the apt module docs).
#[test]
fn apt_ftparchive_agrees_with_the_packages_index() {
    if tool("apt-ftparchive", "apt-utils").is_none() || tool("dpkg-deb", "dpkg").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = deb_out(tmp.path(), "amd64");
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    apt::publish(&out, &[], &k.key, &apt_opts(), &repo).unwrap();
    let o = run(Command::new("apt-ftparchive")
        .args(["packages", "pool"])
        .current_dir(&repo));
    assert!(o.status.success(), "{}", text(&o));
    let theirs: BTreeMap<String, BTreeMap<String, String>> = String::from_utf8(o.stdout)
        .unwrap()
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(deb822)
        .map(|f| (f["Filename"].clone(), f))
        .collect();
    let ours_text =
        std::fs::read_to_string(repo.join("dists/v1.17/main/binary-amd64/Packages")).unwrap();
    let ours: Vec<BTreeMap<String, String>> = ours_text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(deb822)
        .collect();
    assert_eq!(ours.len(), 3);
    assert_eq!(theirs.len(), 3, "{theirs:?}");
    for mine in &ours {
        let other = &theirs[&mine["Filename"]];
        let mut extra: Vec<&String> = other.keys().filter(|k| !mine.contains_key(*k)).collect();
        extra.sort();
        assert_eq!(extra, ["SHA1", "SHA512"], "{mine:?}\n{other:?}");
        for (k, v) in mine {
            assert_eq!(other.get(k), Some(v), "{k} of {}", mine["Filename"]);
        }
    }
}

/// `repomd.xml` with what depends on the compressor masked: the compressed files' checksum,
/// size and (checksum-prefixed) name. Everything else, the open checksums and sizes included,
/// must match.
fn repomd_masked(repomd: &str) -> String {
    repomd
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            if t.starts_with("<checksum ") {
                format!("{indent}<checksum …/>")
            } else if t.starts_with("<size>") {
                format!("{indent}<size …/>")
            } else if let Some(rest) = t.strip_prefix("<location href=\"repodata/") {
                let name = rest.split_once('-').map(|(_, n)| n).unwrap_or(rest);
                format!("{indent}<location href=\"repodata/…-{name}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The decompressed metadata files of a repository, by type, as its repomd.xml names them.
fn yum_metadata(suite: &Path) -> BTreeMap<String, String> {
    let repomd = std::fs::read_to_string(suite.join("repodata/repomd.xml")).unwrap();
    repomd
        .split("<data type=\"")
        .skip(1)
        .map(|d| {
            let kind = d.split('"').next().unwrap().to_string();
            let href = d
                .split("<location href=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let gz = std::fs::read(suite.join(href)).unwrap();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut xml)
                .unwrap();
            (kind, xml)
        })
        .collect()
}

/// The metadata klts writes is what createrepo_c (the generator behind yum 3's and dnf's
/// repositories) writes for the same rpms: primary, filelists and other byte for byte, and
/// repomd.xml record for record (revision, types, open-checksum, open-size, timestamp; only the
/// compressed bytes differ). Then sqliterepo_c, which converts the XML into the sqlite caches
/// the way yum 3's yum-metadata-parser does on CentOS 7, reads it without a complaint. Checked
/// on rpmbuild's rpms (plain ones, and one with every requires rule createrepo_c applies) and on
/// klts's own.
#[test]
fn yum_metadata_matches_createrepo_c_and_converts_to_sqlite() {
    if tool("createrepo_c", "createrepo-c").is_none()
        || tool("sqliterepo_c", "createrepo-c").is_none()
        || tool("rpmbuild", "rpm").is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let k = key("KLTS Test");
    let outs = [
        rpm_out(&tmp.path().join("rpmbuild")),
        rich_rpm_out(&tmp.path().join("rich")),
        native_out(
            &tmp.path().join("native"),
            &[("v1.17.16-lts.1", false), ("v1.17.17-lts.3", true)],
        ),
    ];
    for (n, out) in outs.iter().enumerate() {
        let repo = tmp.path().join(format!("repo-{n}"));
        yum::publish(out, &[], &k.key, &yum_opts(), &repo).unwrap();
        let suite = repo.join("v1.17");
        // createrepo_c over copies of the same rpms; it takes `time file` from the mtime.
        let theirs = tmp.path().join(format!("createrepo-{n}"));
        std::fs::create_dir_all(theirs.join("Packages")).unwrap();
        for e in std::fs::read_dir(suite.join("Packages")).unwrap().flatten() {
            let dest = theirs.join("Packages").join(e.file_name());
            std::fs::copy(e.path(), &dest).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&dest)
                .unwrap()
                .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(T0.into()))
                .unwrap();
        }
        let o = run(Command::new("createrepo_c")
            .args(["--no-database", "--revision", &T0.to_string()])
            // gzip, as klts writes it (newer createrepo_c releases default to zstd).
            .args(["--general-compress-type", "gz"])
            .arg("--set-timestamp-to-revision")
            .arg(&theirs));
        assert!(o.status.success(), "{}", text(&o));
        let ours_md = yum_metadata(&suite);
        let theirs_md = yum_metadata(&theirs);
        assert_eq!(
            ours_md.keys().collect::<Vec<_>>(),
            ["filelists", "other", "primary"]
        );
        for (kind, xml) in &theirs_md {
            assert_eq!(&ours_md[kind], xml, "{kind}.xml of {}", out.display());
        }
        let ours = std::fs::read_to_string(suite.join("repodata/repomd.xml")).unwrap();
        let want = std::fs::read_to_string(theirs.join("repodata/repomd.xml")).unwrap();
        assert_eq!(repomd_masked(&ours), repomd_masked(&want));

        // sqliterepo_c parses every file strictly (a parse error or an unknown element fails
        // or warns) and adds the *_db records to a copy of the repository.
        let copy = tmp.path().join(format!("sqlite-{n}"));
        std::fs::create_dir_all(copy.join("repodata")).unwrap();
        for e in std::fs::read_dir(suite.join("repodata")).unwrap().flatten() {
            std::fs::copy(e.path(), copy.join("repodata").join(e.file_name())).unwrap();
        }
        let o = run(Command::new("sqliterepo_c").arg(&copy));
        assert!(o.status.success(), "{}", text(&o));
        assert!(!text(&o).to_lowercase().contains("warning"), "{}", text(&o));
        let repomd = std::fs::read_to_string(copy.join("repodata/repomd.xml")).unwrap();
        for db in ["primary_db", "filelists_db", "other_db"] {
            assert!(
                repomd.contains(&format!("<data type=\"{db}\">")),
                "{repomd}"
            );
        }
    }
}

/// A dnf that fetched `repomd.xml` just before a publish flipped the repository fetches the
/// metadata files it names after the flip: each generation keeps the previous one's
/// `repodata/` files, and only those.
#[test]
fn a_dnf_client_mid_update_finds_the_previous_metadata() {
    if tool("dnf", "dnf").is_none() || tool("rpmbuild", "rpm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let k = key("KLTS Test");
    let repo = tmp.path().join("repo");
    let repodata = repo.join("v1.17/repodata");
    let mut generations = Vec::new();
    for (version, release) in [
        ("1.17.16", "lts.1"),
        ("1.17.17", "lts.3"),
        ("1.17.18", "lts.1"),
    ] {
        make_rpm(
            &out.join(format!("v{version}-{release}/rpm")),
            "kubectl",
            version,
            release,
        );
        yum::publish(&out, &[], &k.key, &yum_opts(), &repo).unwrap();
        let repomd = std::fs::read_to_string(repodata.join("repomd.xml")).unwrap();
        let asc = std::fs::read(repodata.join("repomd.xml.asc")).unwrap();
        generations.push((yum::repomd_locations(&repomd), repomd, asc));
    }
    // The third generation has its own files and the second's, not the first's.
    let mut have: Vec<String> = std::fs::read_dir(&repodata)
        .unwrap()
        .flatten()
        .map(|e| format!("repodata/{}", e.file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".xml.gz"))
        .collect();
    have.sort();
    let mut want: Vec<String> = generations[1]
        .0
        .iter()
        .chain(&generations[2].0)
        .cloned()
        .collect();
    want.sort();
    assert_eq!(have, want);
    assert!(!generations[0].0.iter().any(|h| have.contains(h)));

    // The client got the second generation's repomd.xml; everything else is the third's.
    for (f, bytes) in [
        ("repomd.xml", generations[1].1.as_bytes()),
        ("repomd.xml.asc", &generations[1].2[..]),
    ] {
        std::fs::remove_file(repodata.join(f)).unwrap();
        std::fs::write(repodata.join(f), bytes).unwrap();
    }
    let addr = serve(&repo);
    let url = format!("http://{addr}/v1.17/");
    let state = tempfile::tempdir().unwrap();
    let pubkey = repo.join("klts.asc");
    let o = dnf(state.path(), &url, &pubkey, &["makecache"]);
    assert!(o.status.success(), "{}", text(&o));
    let dest = state.path().join("dl");
    let o = dnf(
        state.path(),
        &url,
        &pubkey,
        &[
            "install",
            "--downloadonly",
            "--destdir",
            &dest.display().to_string(),
            "kubectl",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        dest.join("kubectl-1.17.17-lts.3.noarch.rpm").is_file(),
        "the second generation's newest"
    );
}
