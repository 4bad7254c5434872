//! `klts image`: the command line over klts-dist's OCI layout writer and registry client.
//! Exit codes and messages; the registry round trip itself is tested in
//! crates/klts-dist/tests/images.rs.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn klts(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::klts_command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn fake_binaries(out: &Path) {
    for arch in ["amd64", "arm64"] {
        let dir = out.join("v1.0.1-lts.1/linux").join(arch);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kube-apiserver"), format!("#!{arch}\n")).unwrap();
    }
}

#[test]
fn builds_a_layout_and_reports_it() {
    let d = tempfile::tempdir().unwrap();
    fake_binaries(d.path());
    let out_dir = d.path().to_str().unwrap();
    let args = [
        "image",
        "v1.0.1-lts.1",
        "--out-dir",
        out_dir,
        "--images",
        "kube-apiserver",
        "-o",
        "json",
    ];
    let first = klts(&args, &[("SOURCE_DATE_EPOCH", "1600000000")]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let image = &v["layout"]["images"][0];
    assert_eq!(image["reference"], "kube-apiserver:v1.0.1-lts.1");
    assert_eq!(image["platforms"].as_array().unwrap().len(), 2);
    assert!(v["push"].is_null());
    assert!(d.path().join("v1.0.1-lts.1/oci/index.json").is_file());
    // SOURCE_DATE_EPOCH is part of the image: another one, another digest; the same, the same.
    let other = klts(&args, &[("SOURCE_DATE_EPOCH", "1700000000")]);
    let w: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_ne!(w["layout"]["images"][0]["digest"], image["digest"]);
    let same = klts(&args, &[("SOURCE_DATE_EPOCH", "1600000000")]);
    let s: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(s["layout"]["images"][0]["digest"], image["digest"]);
    // The table names the kubeadm command when told the repository.
    let table = klts(
        &[
            "image",
            "v1.0.1-lts.1",
            "--out-dir",
            out_dir,
            "--images",
            "kube-apiserver",
            "--repository",
            "registry.example/klts",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("kube-apiserver:v1.0.1-lts.1"), "{text}");
    assert!(
        text.contains("kubeadm config images pull --image-repository registry.example/klts --kubernetes-version v1.0.1-lts.1"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_with_help() {
    let d = tempfile::tempdir().unwrap();
    fake_binaries(d.path());
    let out_dir = d.path().to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--images", "kube-proxy"], "missing binary for kube-proxy"),
        (&["--platform", "linux"], "invalid platform `linux`"),
        (&["--tag", "v1+x"], "invalid tag"),
        (&["--base", "/nonexistent"], "not an OCI image layout"),
        (&["--push", "no-repository"], "invalid push target"),
    ];
    for (extra, expect) in cases {
        let mut args = vec!["image", "v1.0.1-lts.1", "--out-dir", out_dir];
        args.extend_from_slice(extra);
        let out = klts(&args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(expect), "{extra:?}: {err}");
        assert!(err.contains("help:"), "{extra:?}: {err}");
    }
    // A registry that is not there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("127.0.0.1:{port}/klts");
    let out = klts(
        &[
            "image",
            "v1.0.1-lts.1",
            "--out-dir",
            out_dir,
            "--images",
            "kube-apiserver",
            "--push",
            &target,
            "--insecure-http",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot talk to the registry"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

/// The credentials path of the command line: --username and KLTS_REGISTRY_PASSWORD against
/// Debian's docker-registry with htpasswd auth.
#[test]
fn pushes_with_credentials_from_the_environment() {
    if klts_testkit::require("/usr/bin/docker-registry", "docker-registry").is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    fake_binaries(d.path());
    let htpasswd = d.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("bot:{}\n", bcrypt::hash("pw", 4).unwrap()),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = d.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            d.path().join("data").display(),
            htpasswd.display()
        ),
    )
    .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _registry = Kill(
        Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "registry did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let target = format!("127.0.0.1:{port}/klts");
    let out_dir = d.path().to_str().unwrap();
    let args = [
        "image",
        "v1.0.1-lts.1",
        "--out-dir",
        out_dir,
        "--images",
        "kube-apiserver",
        "--push",
        &target,
        "--insecure-http",
        "--username",
        "bot",
    ];
    let denied = klts(&args, &[("KLTS_REGISTRY_PASSWORD", "nope")]);
    let err = String::from_utf8_lossy(&denied.stderr);
    assert_eq!(denied.status.code(), Some(2), "{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    let ok = klts(&args, &[("KLTS_REGISTRY_PASSWORD", "pw")]);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(text.contains("pushed 1 images: 4 blobs uploaded"), "{text}");
    assert!(
        text.contains(&format!(
            "kubeadm config images pull --image-repository {target} --kubernetes-version v1.0.1-lts.1"
        )),
        "{text}"
    );
}
