//! The whole distribution path through the `klts` binary, as a user runs it: build a real Go
//! upstream for two platforms, package it (rpms signed), publish signed apt and yum
//! repositories, serve them on 127.0.0.1, and install from them with the real `apt-get`; then
//! the OCI image layout, read back with `skopeo`. Each step consumes the previous step's
//! `out/` output, so this checks the contract between them, not each step alone (those have
//! their own tests in klts-dist).

#[path = "../../klts-dist/tests/support/mod.rs"]
mod gosrc;
#[path = "../../klts-dist/tests/support/http.rs"]
mod http;

mod support;

use gosrc::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RELEASE: &str = "v1.0.1-lts.1";

fn klts(ws: &Path, args: &[&str]) -> Output {
    support::klts_command()
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .output()
        .expect("run klts")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> Output {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    o
}

/// `name` on PATH; a skip outside CI, a failure under CI (`.ci/run` installs `package`).
fn tool(name: &str, package: &str) -> bool {
    klts_testkit::require(name, package).is_some()
}

fn host_arch() -> String {
    let o = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
fn build_package_publish_install_and_image() {
    if !go_available()
        || !tool("apt-get", "apt")
        || !tool("dpkg-deb", "dpkg")
        || !tool("rpmkeys", "rpm")
        || !tool("skopeo", "skopeo")
    {
        return;
    }
    let deb_arch = host_arch();
    let go_arch = match deb_arch.as_str() {
        "amd64" => "amd64",
        "arm64" => "arm64",
        other => {
            eprintln!("SKIPPED distribution test: host architecture {other} is not built here");
            return;
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let (up, _) = upstream(&tmp.path().join("up"));
    let patch = greeting_patch(&up);
    let ws = workspace(tmp.path(), &up, &patch, "sh build.sh");
    // The toy upstream (module example.com/kube) is Kubernetes-shaped but would be judged a
    // generic Go project, which has no packages: the manifest says which product it is.
    let manifest = ws.join("releases.yml");
    let yaml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("product: kubernetes\n{yaml}")).unwrap();
    let out = ws.join("out").join(RELEASE);

    // 1. Build both platforms (targets and the image binaries).
    ok(klts(&ws, &["build", RELEASE, "--images"]));
    for arch in ["amd64", "arm64"] {
        for bin in ["kubectl", "kubelet", "kubeadm", "kube-proxy"] {
            assert!(
                out.join("linux").join(arch).join(bin).is_file(),
                "{arch}/{bin}"
            );
        }
    }

    // 2. A signing key, then packages with signed rpms.
    let key = tmp.path().join("key.asc");
    ok(klts(
        &ws,
        &[
            "key",
            "generate",
            "--name",
            "KLTS Test",
            "--email",
            "klts@example.com",
            "--out",
            key.to_str().unwrap(),
        ],
    ));
    assert!(key.is_file());
    let public = tmp.path().join("key.pub.asc");
    assert!(
        public.is_file(),
        "key generate writes the public key beside the secret one"
    );
    // The default key is RSA 4096, the algorithm CentOS 7's rpm and Ubuntu 16.04's gpgv verify;
    // everything below (apt-get, rpmkeys) checks signatures made with it.
    let shown = Command::new("gpg")
        .args([
            "--homedir",
            tmp.path().to_str().unwrap(),
            "--show-keys",
            "--with-colons",
        ])
        .arg(&public)
        .output()
        .unwrap();
    let colons = String::from_utf8_lossy(&shown.stdout);
    let pubrec = colons
        .lines()
        .find(|l| l.starts_with("pub:"))
        .unwrap_or_default();
    let fields: Vec<&str> = pubrec.split(':').collect();
    assert_eq!(
        (fields.get(2).copied(), fields.get(3).copied()),
        (Some("4096"), Some("1")),
        "the default key is RSA (algorithm 1), 4096 bits: {colons}"
    );
    ok(klts(
        &ws,
        &["package", RELEASE, "--sign-key", key.to_str().unwrap()],
    ));
    let debs: Vec<PathBuf> = std::fs::read_dir(out.join("deb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let rpms: Vec<PathBuf> = std::fs::read_dir(out.join("rpm"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(debs.len(), 6, "3 packages × 2 architectures: {debs:?}");
    assert_eq!(rpms.len(), 6, "{rpms:?}");

    // rpm's own verification of the package signature, with the published key.
    let rpmdb = tmp.path().join("rpmdb");
    std::fs::create_dir_all(&rpmdb).unwrap();
    let import = Command::new("rpmkeys")
        .arg("--root")
        .arg(&rpmdb)
        .arg("--import")
        .arg(&public)
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", text(&import));
    for rpm in &rpms {
        let check = Command::new("rpmkeys")
            .arg("--root")
            .arg(&rpmdb)
            .arg("--checksig")
            .arg(rpm)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&check.stdout).to_string();
        assert!(
            check.status.success() && said.contains("signatures OK"),
            "{}",
            text(&check)
        );
    }

    // 3. Publish signed repositories from out/.
    let repo = tmp.path().join("repo");
    ok(klts(
        &ws,
        &[
            "publish",
            "apt",
            "--out",
            repo.join("apt").to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    ));
    ok(klts(
        &ws,
        &[
            "publish",
            "yum",
            "--out",
            repo.join("yum").to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    ));
    assert!(repo.join("yum/v1.0/repodata/repomd.xml.asc").is_file());

    // 4. A user installs from the line suite with the key as signed-by, as the portal says.
    let addr = http::serve(&repo);
    let apt = http::Apt::new(&format!(
        "deb [signed-by={}] http://{addr}/apt v1.0 main\n",
        repo.join("apt/klts.gpg").display()
    ));
    ok(apt.run(&["update"]));
    let dl = ok(apt.run(&["download", "kubectl=1.0.1+lts.1-1"]));
    // apt escapes '+' differently across versions; take the .deb it downloaded.
    let deb = std::fs::read_dir(apt.work())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .unwrap_or_else(|| panic!("no .deb downloaded: {}", text(&dl)));
    let root = tmp.path().join("root");
    let x = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .output()
        .unwrap();
    assert!(x.status.success(), "{}", text(&x));
    let installed = root.join("usr/bin/kubectl");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(out.join("linux").join(go_arch).join("kubectl")).unwrap(),
        "the binary apt delivers is the one klts built"
    );
    let run = Command::new(&installed).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        format!("kubectl {RELEASE} hello from klts lts"),
        "the LTS patch is in the installed binary"
    );

    // 5. Images of the manifest's build.images, for both platforms, tagged as the release.
    ok(klts(&ws, &["image", RELEASE]));
    let layout = out.join("oci");
    for arch in ["amd64", "arm64"] {
        let o = Command::new("skopeo")
            .args(["--override-os", "linux", "--override-arch", arch, "inspect"])
            .arg(format!("oci:{}:kube-proxy:{RELEASE}", layout.display()))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["Architecture"], arch);
    }
}
