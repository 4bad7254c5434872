//! `.deb` and `.rpm` packages checked by the real tools: `dpkg --compare-versions` and rpm's
//! `rpm.vercmp` for the version mapping, `dpkg-deb` and `lintian` for debs, `rpm -qp` and
//! `rpmkeys --checksig` for rpms, `gpg` to make throw-away signing keys.
//!
//! A missing tool skips the test with a message, except under `CI` (set by the CI runner),
//! where `.ci/run` installs them and their absence is a failure.

use klts_core::version::Version;
use klts_core::Product;
use klts_dist::package::{package_release, Arch, Format, PackageError, PackageOptions};
use klts_dist::pkgversion::package_version;
use klts_dist::rpmpkg::RpmSigner;
use klts_dist::sign::{self, SignError};
use proptest::prelude::*;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::process::Command;

const EPOCH: u64 = 1_600_000_000;

/// Whether every tool is on PATH; otherwise prints SKIPPED for `test` (or panics under CI).
fn have(test: &str, tools: &[(&str, &str)]) -> bool {
    let all = tools
        .iter()
        .all(|(tool, package)| klts_testkit::require(tool, package).is_some());
    if !all {
        eprintln!("SKIPPED {test}");
    }
    all
}

/// Runs a command: (success, stdout, stdout + stderr).
fn run(cmd: &mut Command) -> (bool, String) {
    let (success, stdout, stderr) = run3(cmd);
    (success, format!("{stdout}{stderr}"))
}

fn run3(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that must succeed; returns its stdout.
fn ok(cmd: &mut Command) -> String {
    let (success, stdout, stderr) = run3(cmd);
    assert!(success, "{cmd:?} failed:\n{stdout}{stderr}");
    stdout
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// `out/<release>/linux/<arch>/{kubeadm,kubelet,kubectl}` with small shell scripts, and
/// `out/<release>/SHA256SUMS` listing every binary there, as `klts build` writes them.
fn fake_build(out: &Path, release: &str, arches: &[&str]) {
    for arch in arches {
        let dir = out.join(release).join("linux").join(arch);
        std::fs::create_dir_all(&dir).unwrap();
        for bin in ["kubeadm", "kubelet", "kubectl"] {
            std::fs::write(
                dir.join(bin),
                format!("#!/bin/sh\necho \"{bin} {release} linux/{arch}\"\n"),
            )
            .unwrap();
        }
    }
    write_sums(&out.join(release));
}

fn write_sums(release_dir: &Path) {
    let mut lines = Vec::new();
    for arch in std::fs::read_dir(release_dir.join("linux"))
        .unwrap()
        .flatten()
    {
        for bin in std::fs::read_dir(arch.path()).unwrap().flatten() {
            let bytes = std::fs::read(bin.path()).unwrap();
            lines.push(format!(
                "{}  linux/{}/{}\n",
                klts_forge::fsutil::sha256_hex(&bytes),
                arch.file_name().to_string_lossy(),
                bin.file_name().to_string_lossy()
            ));
        }
    }
    lines.sort();
    std::fs::write(release_dir.join("SHA256SUMS"), lines.concat()).unwrap();
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

fn opts(formats: &[Format]) -> PackageOptions {
    PackageOptions {
        formats: formats.to_vec(),
        source_date_epoch: Some(EPOCH),
        ..PackageOptions::default()
    }
}

// ---------------------------------------------------------------- version ordering

/// dpkg's three-way comparison.
fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    let test = |op: &str| {
        Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .status()
            .expect("run dpkg")
            .success()
    };
    if test("lt") {
        Ordering::Less
    } else if test("eq") {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// rpm's own comparison (`rpm.vercmp`, i.e. rpmvercmp on EVR strings), many pairs in one
/// process.
fn rpm_cmp_many(pairs: &[(String, String)]) -> Vec<Ordering> {
    let list: String = pairs
        .iter()
        .map(|(a, b)| format!("{{\"{a}\",\"{b}\"}},"))
        .collect();
    let script = format!(
        "%{{lua: local r = {{}} for _, p in ipairs({{{list}}}) do r[#r+1] = rpm.vercmp(p[1], p[2]) end print(table.concat(r, ' '))}}"
    );
    let out = ok(Command::new("rpm").args(["--eval", &script]));
    let result: Vec<Ordering> = out
        .split_whitespace()
        .map(|n| {
            n.parse::<i32>()
                .unwrap_or_else(|_| panic!("rpm printed {out:?} for {script}"))
                .cmp(&0)
        })
        .collect();
    assert_eq!(result.len(), pairs.len(), "rpm output: {out}");
    result
}

fn rpm_evr(s: &str) -> String {
    let p = package_version(&v(s), 1).unwrap();
    format!("{}-{}", p.rpm_version(), p.rpm_release())
}

fn deb_version(s: &str) -> String {
    package_version(&v(s), 1).unwrap().deb()
}

#[test]
fn the_lts_chain_sorts_the_same_in_dpkg_and_rpm() {
    if !have("version chain", &[("dpkg", "dpkg"), ("rpm", "rpm")]) {
        return;
    }
    let chain = [
        "v1.17.16",
        "v1.17.17-rc.1",
        "v1.17.17",
        "v1.17.17-lts.1",
        "v1.17.17-lts.2",
        "v1.17.17-lts.10",
        "v1.17.18-alpha.1",
        "v1.17.18-beta.0",
        "v1.17.18",
    ];
    for w in chain.windows(2) {
        assert!(v(w[0]) < v(w[1]), "klts order {} < {}", w[0], w[1]);
    }
    let mut rpm_pairs = Vec::new();
    for (i, a) in chain.iter().enumerate() {
        for b in &chain[i + 1..] {
            let (da, db) = (deb_version(a), deb_version(b));
            assert_eq!(dpkg_cmp(&da, &db), Ordering::Less, "dpkg: {da} < {db}");
            assert_eq!(dpkg_cmp(&db, &da), Ordering::Greater, "dpkg: {db} > {da}");
            rpm_pairs.push((rpm_evr(a), rpm_evr(b)));
        }
    }
    for (o, (a, b)) in rpm_cmp_many(&rpm_pairs).iter().zip(&rpm_pairs) {
        assert_eq!(*o, Ordering::Less, "rpm: {a} < {b}");
    }

    // Above the upstream packages of the same patch, below the next patch.
    let lts = deb_version("v1.17.17-lts.3");
    assert_eq!(lts, "1.17.17+lts.3-1");
    for upstream in ["1.17.17-00", "1.17.17-01", "1.17.17-150500.1.1"] {
        assert_eq!(dpkg_cmp(upstream, &lts), Ordering::Less, "{upstream}");
    }
    assert_eq!(dpkg_cmp(&lts, "1.17.18-00"), Ordering::Less);
    let lts28 = deb_version("v1.28.15-lts.1");
    assert_eq!(dpkg_cmp("1.28.15-1.1", &lts28), Ordering::Less);
    assert_eq!(dpkg_cmp(&lts28, "1.28.16-1.1"), Ordering::Less);
    let r = rpm_cmp_many(&[
        ("1.17.17-0".into(), rpm_evr("v1.17.17-lts.3")),
        ("1.28.15-150500.1.1".into(), rpm_evr("v1.28.15-lts.1")),
        (rpm_evr("v1.28.15-lts.1"), "1.28.16-150500.1.1".into()),
        (rpm_evr("v1.18.0-rc.1"), "1.18.0-0".into()),
    ]);
    assert_eq!(r, vec![Ordering::Less; 4]);
}

fn arb_version() -> impl Strategy<Value = Version> {
    let ident = prop_oneof![0u64..4, 0u64..1000].prop_map(|n| n.to_string());
    let idents = proptest::collection::vec(ident, 0..3);
    let suffix = prop_oneof![
        Just(None),
        (
            prop_oneof![Just("alpha"), Just("beta"), Just("rc")],
            idents.clone()
        )
            .prop_map(|(l, ids)| Some((l, ids))),
        idents.prop_map(|ids| Some(("lts", ids))),
    ];
    (0u64..3, prop_oneof![0u64..3, 0u64..40], 0u64..3, suffix).prop_map(|(ma, mi, pa, suffix)| {
        let mut s = format!("v{ma}.{mi}.{pa}");
        if let Some((label, ids)) = suffix {
            s.push('-');
            s.push_str(label);
            for id in ids {
                s.push('.');
                s.push_str(&id);
            }
        }
        Version::parse(&s).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    /// For random pairs of packageable versions, klts' order, dpkg's order of the deb versions
    /// and rpm's order of the rpm EVRs are the same.
    #[test]
    fn klts_dpkg_and_rpm_agree_on_random_versions(
        pairs in proptest::collection::vec((arb_version(), arb_version()), 40)
    ) {
        if !have("random version order", &[("dpkg", "dpkg"), ("rpm", "rpm")]) {
            return Ok(());
        }
        let mapped: Vec<_> = pairs
            .iter()
            .map(|(a, b)| (package_version(a, 1).unwrap(), package_version(b, 1).unwrap()))
            .collect();
        let rpm_pairs: Vec<(String, String)> = mapped
            .iter()
            .map(|(a, b)| (
                format!("{}-{}", a.rpm_version(), a.rpm_release()),
                format!("{}-{}", b.rpm_version(), b.rpm_release()),
            ))
            .collect();
        let rpm = rpm_cmp_many(&rpm_pairs);
        for (i, (a, b)) in pairs.iter().enumerate() {
            let want = a.cmp(b);
            let (da, db) = (mapped[i].0.deb(), mapped[i].1.deb());
            prop_assert_eq!(dpkg_cmp(&da, &db), want, "dpkg {} vs {} ({} vs {})", da, db, a, b);
            prop_assert_eq!(rpm[i], want, "rpm {:?} ({} vs {})", rpm_pairs[i], a, b);
        }
    }
}

// ---------------------------------------------------------------- .deb

#[test]
fn debs_show_their_fields_files_and_conffiles() {
    if !have(
        "deb packages",
        &[("dpkg-deb", "dpkg"), ("lintian", "lintian")],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64", "arm64"]);
    let written = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap();
    assert_eq!(written.len(), 6);
    let deb_dir = out.join("v1.17.17-lts.3/deb");
    let mut names: Vec<String> = std::fs::read_dir(&deb_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kubeadm_1.17.17+lts.3-1_amd64.deb",
            "kubeadm_1.17.17+lts.3-1_arm64.deb",
            "kubectl_1.17.17+lts.3-1_amd64.deb",
            "kubectl_1.17.17+lts.3-1_arm64.deb",
            "kubelet_1.17.17+lts.3-1_amd64.deb",
            "kubelet_1.17.17+lts.3-1_arm64.deb",
        ]
    );
    for w in &written {
        let bytes = std::fs::read(&w.path).unwrap();
        assert_eq!(bytes.len() as u64, w.size);
        assert_eq!(w.sha256, klts_forge::fsutil::sha256_hex(&bytes));
    }

    let kubelet = deb_dir.join("kubelet_1.17.17+lts.3-1_amd64.deb");
    let info = ok(Command::new("dpkg-deb").arg("--info").arg(&kubelet));
    for want in [
        " Package: kubelet\n",
        " Version: 1.17.17+lts.3-1\n",
        " Architecture: amd64\n",
        " Maintainer: KLTS Maintainers <maintainers@klts.io>\n",
        " Depends: iptables (>= 1.4.21), iproute2, mount, ethtool, socat, conntrack, ebtables\n",
        " Section: admin\n",
        " Priority: optional\n",
        " Description: Kubernetes node agent\n",
        "v1.17.17-lts.3",
    ] {
        assert!(info.contains(want), "missing {want:?} in\n{info}");
    }
    let contents = ok(Command::new("dpkg-deb").arg("--contents").arg(&kubelet));
    for want in [
        "drwxr-xr-x root/root         0 2020-09-13 12:26 ./\n".to_string(),
        "-rwxr-xr-x root/root        52 2020-09-13 12:26 ./usr/bin/kubelet\n".to_string(),
        format!(
            "-rw-r--r-- root/root {:>9} 2020-09-13 12:26 ./lib/systemd/system/kubelet.service\n",
            klts_dist::package::KUBELET_SERVICE.len()
        ),
        " ./usr/share/doc/kubelet/copyright\n".to_string(),
        " ./usr/share/doc/kubelet/changelog.Debian.gz\n".to_string(),
    ] {
        assert!(
            contents.contains(want.as_str()),
            "missing {want:?} in\n{contents}"
        );
    }

    let kubeadm = deb_dir.join("kubeadm_1.17.17+lts.3-1_arm64.deb");
    let info = ok(Command::new("dpkg-deb").arg("--info").arg(&kubeadm));
    assert!(info.contains(" Architecture: arm64\n"), "{info}");
    assert!(
        info.contains(" Depends: kubelet (>= 1.16.0), kubectl (>= 1.16.0)\n"),
        "{info}"
    );
    let conffiles = ok(Command::new("dpkg-deb")
        .args(["--info"])
        .arg(&kubeadm)
        .arg("conffiles"));
    assert_eq!(
        conffiles,
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf\n"
    );

    // Extracted, the binary is byte for byte the input, with its mode.
    let root = tmp.path().join("root");
    ok(Command::new("dpkg-deb").arg("-x").arg(&kubeadm).arg(&root));
    assert_eq!(
        std::fs::read(root.join("usr/bin/kubeadm")).unwrap(),
        std::fs::read(out.join("v1.17.17-lts.3/linux/arm64/kubeadm")).unwrap()
    );
    let dropin =
        std::fs::read_to_string(root.join("etc/systemd/system/kubelet.service.d/10-kubeadm.conf"))
            .unwrap();
    assert!(
        dropin.contains("EnvironmentFile=-/etc/default/kubelet\n"),
        "{dropin}"
    );
}

/// A small statically linked ELF for the host (what lintian sees in a real Go binary).
fn static_elf(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join("main.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void) { puts(\"kube\"); return 0; }\n",
    )
    .unwrap();
    let bin = dir.join("a.out");
    ok(Command::new("gcc")
        .args(["-static", "-O2", "-s", "-o"])
        .arg(&bin)
        .arg(&src));
    bin
}

#[test]
fn debs_are_lintian_clean() {
    if !have(
        "lintian",
        &[("lintian", "lintian"), ("dpkg", "dpkg"), ("gcc", "gcc")],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let host = ok(Command::new("dpkg").arg("--print-architecture"));
    let arch: Arch = host.trim().parse().expect("a supported host architecture");
    let elf = static_elf(&tmp.path().join("cc"));
    let out = tmp.path().join("out");
    let dir = out.join("v1.17.17-lts.3/linux").join(arch.go());
    std::fs::create_dir_all(&dir).unwrap();
    for bin in ["kubeadm", "kubelet", "kubectl"] {
        std::fs::copy(&elf, dir.join(bin)).unwrap();
    }
    write_sums(&out.join("v1.17.17-lts.3"));
    let written = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap();
    let debs: Vec<&PathBuf> = written.iter().map(|w| &w.path).collect();
    assert_eq!(debs.len(), 3);
    // No errors and no warnings; the accepted tags are overridden in the packages themselves
    // (usr/share/lintian/overrides) and must be used (an unused override is reported).
    let (_, report) = run(Command::new("lintian")
        .args([
            "--tag-display-limit",
            "0",
            "--display-info",
            "--show-overrides",
        ])
        .args(&debs));
    eprintln!("lintian:\n{report}");
    let bad: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:") || l.contains("unused-override"))
        .collect();
    assert!(bad.is_empty(), "lintian:\n{}", bad.join("\n"));
    for package in ["kubeadm", "kubelet", "kubectl"] {
        for tag in [
            "statically-linked-binary",
            "no-manual-page",
            "initial-upload-closes-no-bugs",
        ] {
            assert!(
                report.contains(&format!("O: {package}: {tag}")),
                "{package}: {tag} not overridden:\n{report}"
            );
        }
    }
}

// ---------------------------------------------------------------- .rpm

#[test]
fn rpms_show_their_fields_files_and_config() {
    if !have("rpm packages", &[("rpm", "rpm")]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64", "arm64"]);
    let written = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Rpm])).unwrap();
    assert_eq!(written.len(), 6);
    let rpm_dir = out.join("v1.17.17-lts.3/rpm");

    let kubeadm = rpm_dir.join("kubeadm-1.17.17+lts.3-1.x86_64.rpm");
    let info = ok(Command::new("rpm").arg("-qpi").arg(&kubeadm));
    for want in [
        "Name        : kubeadm\n",
        "Version     : 1.17.17+lts.3\n",
        "Release     : 1\n",
        "Architecture: x86_64\n",
        "License     : Apache-2.0\n",
        "Summary     : Kubernetes cluster bootstrapping tool\n",
        "URL         : https://github.com/klts-io/klts\n",
        "Packager    : KLTS Maintainers <maintainers@klts.io>\n",
        "Signature   : (none)\n",
        "v1.17.17-lts.3",
    ] {
        assert!(info.contains(want), "missing {want:?} in\n{info}");
    }
    let files = ok(Command::new("rpm")
        .args([
            "-qp",
            "--qf",
            "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEMTIMES} %{FILENAMES}\n]",
        ])
        .arg(&kubeadm));
    assert_eq!(
        files,
        format!(
            "-rwxr-xr-x root root {EPOCH} /usr/bin/kubeadm\n\
             drwxr-xr-x root root {EPOCH} /usr/lib/systemd/system/kubelet.service.d\n\
             -rw-r--r-- root root {EPOCH} /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf\n"
        )
    );
    let config = ok(Command::new("rpm")
        .args(["-qp", "--configfiles"])
        .arg(&kubeadm));
    assert_eq!(
        config,
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf\n"
    );
    let noreplace = ok(Command::new("rpm")
        .args(["-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]"])
        .arg(&kubeadm));
    assert!(
        noreplace.contains("cn /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
        "{noreplace}"
    );
    let requires = ok(Command::new("rpm").args(["-qpR"]).arg(&kubeadm));
    assert!(requires.contains("kubelet >= 1.16.0\n"), "{requires}");
    assert!(requires.contains("kubectl >= 1.16.0\n"), "{requires}");
    let buildtime = ok(Command::new("rpm")
        .args(["-qp", "--qf", "%{BUILDTIME}"])
        .arg(&kubeadm));
    assert_eq!(buildtime, EPOCH.to_string());

    let kubelet = rpm_dir.join("kubelet-1.17.17+lts.3-1.aarch64.rpm");
    let list = ok(Command::new("rpm").arg("-qpl").arg(&kubelet));
    assert_eq!(
        list,
        "/usr/bin/kubelet\n/usr/lib/systemd/system/kubelet.service\n"
    );
    let requires = ok(Command::new("rpm").args(["-qpR"]).arg(&kubelet));
    assert!(requires.contains("iptables >= 1.4.21\n"), "{requires}");
    assert!(requires.contains("conntrack\n"), "{requires}");

    // The payload is the input, byte for byte.
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    ok(Command::new("sh").current_dir(&root).arg("-c").arg(format!(
        "rpm2archive - < '{}' | tar -xzf -",
        kubelet.display()
    )));
    assert_eq!(
        std::fs::read(root.join("usr/bin/kubelet")).unwrap(),
        std::fs::read(out.join("v1.17.17-lts.3/linux/arm64/kubelet")).unwrap()
    );
}

/// A throw-away RSA key made by gpg in `home`; returns (secret.asc, public.asc).
fn gpg_key(home: &Path, name: &str, passphrase: &str) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(home).unwrap();
    let gpg = |args: &[&str]| {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", home)
            .args([
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                passphrase,
            ])
            .args(args);
        c
    };
    let uid = format!("{name} <{name}@klts.io>");
    ok(&mut gpg(&[
        "--quick-gen-key",
        &uid,
        "rsa2048",
        "sign",
        "never",
    ]));
    let secret = home.join("secret.asc");
    let public = home.join("public.asc");
    std::fs::write(
        &secret,
        ok(&mut gpg(&["--armor", "--export-secret-keys", &uid])),
    )
    .unwrap();
    std::fs::write(&public, ok(&mut gpg(&["--armor", "--export", &uid]))).unwrap();
    (secret, public)
}

#[test]
fn signed_rpms_verify_with_their_key_only() {
    if !have(
        "signed rpm",
        &[("rpm", "rpm"), ("rpmkeys", "rpm"), ("gpg", "gpg")],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (secret, public) = gpg_key(&tmp.path().join("gpg-a"), "release", "");
    let (other_secret, other_public) = gpg_key(&tmp.path().join("gpg-b"), "other", "s3cret");
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64"]);
    let mut o = opts(&[Format::Rpm]);
    o.signer = Some(RpmSigner::from_file(&secret, None, now()).unwrap());
    let written = package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    assert!(written.iter().all(|w| w.signed));
    let kubectl = out.join("v1.17.17-lts.3/rpm/kubectl-1.17.17+lts.3-1.x86_64.rpm");

    let info = ok(Command::new("rpm").arg("-qpi").arg(&kubectl));
    assert!(info.contains("Signature   : RSA/SHA256"), "{info}");

    let checksig = |root: &Path, key: &Path| {
        std::fs::create_dir_all(root).unwrap();
        ok(Command::new("rpmkeys")
            .arg("--root")
            .arg(root)
            .arg("--import")
            .arg(key));
        run(Command::new("rpmkeys")
            .arg("--root")
            .arg(root)
            .arg("--checksig")
            .arg(&kubectl))
    };
    let (good, text) = checksig(&tmp.path().join("root-a"), &public);
    assert!(good, "{text}");
    assert!(text.contains("signatures OK"), "{text}");
    let (bad, text) = checksig(&tmp.path().join("root-b"), &other_public);
    assert!(!bad, "verified with the wrong key: {text}");
    assert!(text.contains("SIGNATURES NOT OK"), "{text}");

    // A protected key needs its passphrase: refused when loaded, before anything is written.
    let e = RpmSigner::from_file(&other_secret, Some("nope"), now()).unwrap_err();
    assert!(matches!(e, SignError::Unusable { .. }), "{e}");
    assert!(e.to_string().contains("KLTS_SIGNING_PASSPHRASE"), "{e}");
    assert!(kubectl.is_file());
    let right = RpmSigner::from_file(&other_secret, Some("s3cret"), now()).unwrap();
    o.signer = Some(right);
    package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    let (good, text) = checksig(&tmp.path().join("root-c"), &other_public);
    assert!(good, "{text}");

    // A public key only: refused as `klts publish` refuses it.
    let e = RpmSigner::from_file(&public, None, now()).unwrap_err();
    assert!(matches!(e, SignError::Parse { .. }), "{e}");
    assert!(e.to_string().contains("public.asc"), "{e}");
}

/// A `SOURCE_DATE_EPOCH` older than the signing key gave rpm signatures dated before the key:
/// a "Time conflict" for GnuPG, rejected by rpm-sequoia. They are now made when the key was
/// created at the earliest (the rule repository signatures follow), still reproducibly.
#[test]
fn rpm_signatures_are_never_older_than_their_key() {
    let created = EPOCH as u32 + 1_000_000;
    let g = sign::generate(&sign::KeyParams {
        algorithm: sign::KeyAlgorithm::Ed25519,
        name: "KLTS Late Key".into(),
        email: Some("late@example.com".into()),
        expires_in: None,
        created,
        passphrase: None,
    })
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("key.asc");
    sign::write_key_files(&g, &secret, false).unwrap();
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64"]);
    let mut o = opts(&[Format::Rpm]);
    o.signer = Some(RpmSigner::from_file(&secret, None, now()).unwrap());
    let written = package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    let first = std::fs::read(&written[0].path).unwrap();
    package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    assert_eq!(
        first,
        std::fs::read(&written[0].path).unwrap(),
        "reproducible"
    );

    let pkg = rpm::Package::open(&written[0].path).unwrap();
    let raw = pkg.raw_signatures().unwrap();
    assert_eq!(raw.len(), 1);
    let sig = <pgp::composed::DetachedSignature as pgp::composed::Deserializable>::from_bytes(
        &raw[0][..],
    )
    .unwrap();
    assert_eq!(sig.signature.created().unwrap().as_secs(), created);
    // The build time stays the epoch.
    assert_eq!(pkg.metadata.get_build_time().unwrap(), EPOCH);

    if have("gpg --verify of an rpm header", &[("gpg", "gpg")]) {
        let home = tmp.path().join("gnupg");
        std::fs::create_dir_all(&home).unwrap();
        let header = tmp.path().join("header");
        std::fs::write(&header, pkg.header_bytes().unwrap()).unwrap();
        std::fs::write(tmp.path().join("header.sig"), &raw[0]).unwrap();
        let gpg = |args: &[&str]| {
            let mut c = Command::new("gpg");
            c.env("GNUPGHOME", &home).arg("--batch").args(args);
            run(&mut c)
        };
        let (imported, text) = gpg(&["--import", &public_path(&secret)]);
        assert!(imported, "{text}");
        let (good, text) = gpg(&[
            "--verify",
            &tmp.path().join("header.sig").display().to_string(),
            &header.display().to_string(),
        ]);
        assert!(good, "{text}");
        assert!(text.contains("Good signature"), "{text}");
        assert!(
            !text.contains("onflict") && !text.contains("newer than"),
            "{text}"
        );
    }
    if have("rpmkeys --checksig", &[("rpmkeys", "rpm")]) {
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        ok(Command::new("rpmkeys")
            .arg("--root")
            .arg(&root)
            .arg("--import")
            .arg(public_path(&secret)));
        let (good, text) = run(Command::new("rpmkeys")
            .arg("--root")
            .arg(&root)
            .arg("--checksig")
            .arg(&written[0].path));
        assert!(good && text.contains("signatures OK"), "{text}");
    }
}

fn public_path(secret: &Path) -> String {
    sign::public_key_path(secret).display().to_string()
}

/// `package --sign-key` refuses what `publish --key` refuses: the same loader.
#[test]
fn expired_and_public_only_keys_are_refused_for_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let g = sign::generate(&sign::KeyParams {
        algorithm: sign::KeyAlgorithm::Ed25519,
        name: "Old".into(),
        email: None,
        expires_in: Some(100),
        created: EPOCH as u32,
        passphrase: None,
    })
    .unwrap();
    let secret = tmp.path().join("old.asc");
    let public = sign::write_key_files(&g, &secret, false).unwrap();
    let e = RpmSigner::from_file(&secret, None, now()).unwrap_err();
    assert!(matches!(e, SignError::Expired { .. }), "{e}");
    assert!(e.to_string().contains("old.asc"), "{e}");
    let e = RpmSigner::from_file(&public, None, EPOCH as u32).unwrap_err();
    assert!(matches!(e, SignError::Parse { .. }), "{e}");
}

/// `package` packages only what `klts build` vouched for in SHA256SUMS.
#[test]
fn binaries_must_match_the_builds_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64"]);
    let rel = out.join("v1.17.17-lts.3");
    let kubelet = rel.join("linux/amd64/kubelet");
    let expected = klts_forge::fsutil::sha256_hex(&std::fs::read(&kubelet).unwrap());
    std::fs::write(&kubelet, b"#!/bin/sh\necho swapped\n").unwrap();
    let actual = klts_forge::fsutil::sha256_hex(b"#!/bin/sh\necho swapped\n");
    let e = package_release(
        &out,
        &v("v1.17.17-lts.3"),
        &opts(&[Format::Deb, Format::Rpm]),
    )
    .unwrap_err();
    assert!(matches!(e, PackageError::ChecksumMismatch { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&kubelet.display().to_string()), "{msg}");
    assert!(msg.contains(&expected) && msg.contains(&actual), "{msg}");
    assert!(!rel.join("deb").exists() && !rel.join("rpm").exists());

    // Listed nowhere: a binary dropped in after the build.
    let sums = std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap();
    let without: String = sums
        .lines()
        .filter(|l| !l.ends_with("/kubelet"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(rel.join("SHA256SUMS"), without).unwrap();
    let e = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap_err();
    assert!(matches!(e, PackageError::NotInChecksums { .. }), "{e}");
    assert!(e.to_string().contains("linux/amd64/kubelet"), "{e}");

    std::fs::remove_file(rel.join("SHA256SUMS")).unwrap();
    let e = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap_err();
    assert!(matches!(e, PackageError::NoChecksums { .. }), "{e}");
    assert!(e.to_string().contains("klts build v1.17.17-lts.3"), "{e}");
    assert!(!rel.join("deb").exists());

    // Rebuilt: packaged.
    write_sums(&rel);
    package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap();
}

// ---------------------------------------------------------------- reproducibility

fn build_all(dir: &Path, signer: Option<RpmSigner>) -> Vec<(String, Vec<u8>)> {
    let out = dir.join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64", "arm64"]);
    let mut o = opts(&[Format::Deb, Format::Rpm]);
    o.signer = signer;
    let mut files: Vec<(String, Vec<u8>)> = package_release(&out, &v("v1.17.17-lts.3"), &o)
        .unwrap()
        .into_iter()
        .map(|w| {
            (
                w.path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&w.path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn packages_are_byte_reproducible() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let first = build_all(a.path(), None);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = build_all(b.path(), None);
    assert_eq!(first.len(), 12);
    for ((n1, b1), (n2, b2)) in first.iter().zip(&second) {
        assert_eq!(n1, n2);
        assert!(b1 == b2, "{n1} differs between two builds");
    }
    // A different epoch changes the bytes: the test can tell.
    let c = tempfile::tempdir().unwrap();
    let out = c.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64"]);
    let mut o = opts(&[Format::Deb]);
    o.source_date_epoch = Some(EPOCH + 1);
    let w = package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    let other = std::fs::read(&w[0].path).unwrap();
    let same_name = first.iter().find(|(n, _)| w[0].path.ends_with(n)).unwrap();
    assert_ne!(same_name.1, other);
}

#[test]
fn signed_rpms_are_byte_reproducible_too() {
    if !have("signed reproducibility", &[("gpg", "gpg")]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (secret, _) = gpg_key(&tmp.path().join("gpg"), "release", "");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let first = build_all(
        a.path(),
        Some(RpmSigner::from_file(&secret, None, now()).unwrap()),
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = build_all(
        b.path(),
        Some(RpmSigner::from_file(&secret, None, now()).unwrap()),
    );
    for ((n1, b1), (_, b2)) in first.iter().zip(&second) {
        assert!(b1 == b2, "signed {n1} differs between two builds");
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn a_missing_binary_names_the_path_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fake_build(&out, "v1.17.17-lts.3", &["amd64", "arm64"]);
    package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap();
    let deb_dir = out.join("v1.17.17-lts.3/deb");
    let before: Vec<_> = std::fs::read_dir(&deb_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before.len(), 6);

    let missing = out.join("v1.17.17-lts.3/linux/arm64/kubelet");
    std::fs::remove_file(&missing).unwrap();
    let e = package_release(
        &out,
        &v("v1.17.17-lts.3"),
        &opts(&[Format::Deb, Format::Rpm]),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(
        msg.contains("klts build v1.17.17-lts.3 --platform linux/arm64"),
        "{msg}"
    );
    // Nothing written, nothing lost, no temporary directory left.
    let mut entries: Vec<String> = std::fs::read_dir(out.join("v1.17.17-lts.3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["SHA256SUMS", "deb", "linux"]);
    assert_eq!(std::fs::read_dir(&deb_dir).unwrap().count(), 6);

    // Packaging only amd64 keeps the arm64 packages of the previous run.
    let mut o = opts(&[Format::Deb]);
    o.arches = vec![Arch::Amd64];
    o.revision = 2;
    package_release(&out, &v("v1.17.17-lts.3"), &o).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&deb_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.contains(&"kubeadm_1.17.17+lts.3-2_amd64.deb".to_string()));
    assert!(names.contains(&"kubeadm_1.17.17+lts.3-1_arm64.deb".to_string()));
    assert!(!names.contains(&"kubeadm_1.17.17+lts.3-1_amd64.deb".to_string()));
}

#[test]
fn nothing_built_and_unpackageable_versions_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let e = package_release(&out, &v("v1.17.17-lts.3"), &opts(&[Format::Deb])).unwrap_err();
    assert!(matches!(e, PackageError::NothingBuilt { .. }), "{e}");
    assert!(e.to_string().contains("klts build v1.17.17-lts.3"), "{e}");
    fake_build(&out, "v1.17.17-ci", &["amd64"]);
    let e = package_release(&out, &v("v1.17.17-ci"), &opts(&[Format::Deb])).unwrap_err();
    assert!(e.to_string().contains("-lts.N"), "{e}");
    assert!(!out.join("v1.17.17-ci/deb").exists());
}

// ---------------------------------------------------------------- containerd and runc

/// `out/<release>/linux/<arch>/<bins>` as small scripts, and SHA256SUMS.
fn fake_build_of(out: &Path, release: &str, arch: &str, bins: &[&str]) {
    let dir = out.join(release).join("linux").join(arch);
    std::fs::create_dir_all(&dir).unwrap();
    for bin in bins {
        std::fs::write(
            dir.join(bin),
            format!("#!/bin/sh\necho \"{bin} {release}\"\n"),
        )
        .unwrap();
    }
    write_sums(&out.join(release));
}

fn product_opts(product: Product, formats: &[Format]) -> PackageOptions {
    PackageOptions {
        product,
        ..opts(formats)
    }
}

/// containerd 2.x builds no containerd-shim nor containerd-shim-runc-v1: the package holds
/// the binaries this version built, its unit, and depends on runc.
#[test]
fn containerd_package_holds_what_was_built_and_its_unit() {
    if !have(
        "containerd packages",
        &[("dpkg-deb", "dpkg"), ("rpm", "rpm")],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let release = "v1.3.10-lts.1";
    fake_build_of(
        &out,
        release,
        "amd64",
        &["containerd", "containerd-shim-runc-v2", "ctr"],
    );
    let written = package_release(
        &out,
        &v(release),
        &product_opts(Product::Containerd, &[Format::Deb, Format::Rpm]),
    )
    .unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|w| w.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "containerd_1.3.10+lts.1-1_amd64.deb",
            "containerd-1.3.10+lts.1-1.x86_64.rpm"
        ]
    );
    let deb = &written[0].path;
    let listing = ok(Command::new("dpkg-deb").arg("-c").arg(deb));
    let mut files: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|p| !p.ends_with('/'))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "./lib/systemd/system/containerd.service",
            "./usr/bin/containerd",
            "./usr/bin/containerd-shim-runc-v2",
            "./usr/bin/ctr",
            "./usr/share/doc/containerd/changelog.Debian.gz",
            "./usr/share/doc/containerd/copyright",
            "./usr/share/lintian/overrides/containerd",
        ]
    );
    let depends = ok(Command::new("dpkg-deb").arg("-f").arg(deb).arg("Depends"));
    assert_eq!(depends.trim(), "libc6, runc");
    let unit = ok(Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .env("LC_ALL", "C"));
    assert!(unit.contains("ExecStart=/usr/bin/containerd\n"), "{unit}");
    let rpm = &written[1].path;
    let listing = ok(Command::new("rpm").args(["-qpl"]).arg(rpm));
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        [
            "/usr/bin/containerd",
            "/usr/bin/containerd-shim-runc-v2",
            "/usr/bin/ctr",
            "/usr/lib/systemd/system/containerd.service",
        ]
    );
    let requires = ok(Command::new("rpm").args(["-qp", "--requires"]).arg(rpm));
    assert!(requires.lines().any(|l| l.trim() == "runc"), "{requires}");
    let summary = ok(Command::new("rpm")
        .args(["-qp", "--qf", "%{SUMMARY}\n%{DESCRIPTION}"])
        .arg(rpm));
    assert!(
        summary.contains("containerd LTS release v1.3.10-lts.1"),
        "{summary}"
    );
    assert!(!summary.contains("Kubernetes"), "{summary}");

    // A required binary missing is an error naming it; an optional one is not.
    std::fs::remove_file(out.join(release).join("linux/amd64/ctr")).unwrap();
    write_sums(&out.join(release));
    let err = package_release(
        &out,
        &v(release),
        &product_opts(Product::Containerd, &[Format::Deb]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("linux/amd64/ctr is missing"), "{err}");
}

#[test]
fn runc_package_and_generic_projects() {
    if !have("runc packages", &[("dpkg-deb", "dpkg"), ("rpm", "rpm")]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let release = "v1.1.12-lts.1";
    fake_build_of(&out, release, "arm64", &["runc"]);
    let written = package_release(
        &out,
        &v(release),
        &product_opts(Product::Runc, &[Format::Deb, Format::Rpm]),
    )
    .unwrap();
    assert_eq!(written.len(), 2);
    assert!(written.iter().all(|w| w.package == "runc"));
    let listing = ok(Command::new("dpkg-deb").arg("-c").arg(&written[0].path));
    assert!(listing.contains("./usr/bin/runc\n"), "{listing}");
    assert!(!listing.contains("systemd"), "{listing}");
    let depends = ok(Command::new("dpkg-deb")
        .arg("-f")
        .arg(&written[0].path)
        .arg("Depends"));
    assert_eq!(depends.trim(), "libc6, libseccomp2");
    let listing = ok(Command::new("rpm").args(["-qpl"]).arg(&written[1].path));
    assert_eq!(listing.trim(), "/usr/bin/runc");

    let err = package_release(
        &out,
        &v(release),
        &product_opts(Product::Generic, &[Format::Deb]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no packages"), "{err}");
}

/// A small dynamically linked ELF (containerd and ctr use cgo, runc links libseccomp).
fn dynamic_elf(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join("main.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void) { puts(\"ctr\"); return 0; }\n",
    )
    .unwrap();
    let bin = dir.join("dyn.out");
    ok(Command::new("gcc")
        .args(["-O2", "-s", "-o"])
        .arg(&bin)
        .arg(&src));
    bin
}

#[test]
fn containerd_and_runc_debs_are_lintian_clean() {
    if !have(
        "lintian",
        &[("lintian", "lintian"), ("dpkg", "dpkg"), ("gcc", "gcc")],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let host = ok(Command::new("dpkg").arg("--print-architecture"));
    let arch: Arch = host.trim().parse().expect("a supported host architecture");
    let stat = static_elf(&tmp.path().join("cc"));
    let dynamic = dynamic_elf(&tmp.path().join("cc"));
    let mut debs = Vec::new();
    for (product, release, bins) in [
        (
            Product::Containerd,
            "v1.3.10-lts.1",
            &[
                ("containerd", false),
                ("containerd-shim", true),
                ("containerd-shim-runc-v1", true),
                ("containerd-shim-runc-v2", true),
                ("ctr", false),
            ][..],
        ),
        (Product::Runc, "v1.1.12-lts.1", &[("runc", false)][..]),
    ] {
        let out = tmp.path().join(product.as_str());
        let dir = out.join(release).join("linux").join(arch.go());
        std::fs::create_dir_all(&dir).unwrap();
        for (bin, is_static) in bins {
            std::fs::copy(if *is_static { &stat } else { &dynamic }, dir.join(bin)).unwrap();
        }
        write_sums(&out.join(release));
        let w = package_release(&out, &v(release), &product_opts(product, &[Format::Deb])).unwrap();
        debs.extend(w.into_iter().map(|w| w.path));
    }
    let (_, report) = run(Command::new("lintian")
        .args([
            "--tag-display-limit",
            "0",
            "--display-info",
            "--show-overrides",
        ])
        .args(&debs));
    eprintln!("lintian:\n{report}");
    let bad: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:") || l.contains("unused-override"))
        .collect();
    assert!(bad.is_empty(), "lintian:\n{}", bad.join("\n"));
}
