//! `klts build`, `package`, `image` and `ci github` on containerd-, runc- and generic-shaped
//! workspaces with no `build:` section: the product (from the upstream's go.mod) brings the
//! defaults. The upstreams are tiny: a go.mod and a Makefile whose target writes small
//! scripts where the real Makefile writes the binaries, so the tests stay fast.

#[path = "../../klts-dist/tests/support/mod.rs"]
mod gosrc;

mod support;

use gosrc::{git, go_available};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn klts(ws: &Path, args: &[&str]) -> Output {
    support::klts_command()
        .arg("--workspace")
        .arg(ws)
        .args(args)
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

/// `tool` on PATH: a skip outside CI, a failure under CI (`.ci/run` installs the package).
fn have(tool: &str) -> bool {
    let package = match tool {
        "dpkg-deb" => "dpkg",
        other => other,
    };
    klts_testkit::require(tool, package).is_some()
}

/// An upstream tagged `tag` with `go.mod` naming `module`, and a Makefile whose `target`
/// writes each of `outputs` (paths) as a script naming GOOS/GOARCH, as the real Makefile's
/// `go build` would.
fn upstream(dir: &Path, module: &str, tag: &str, target: &str, outputs: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("go.mod"), format!("module {module}\n\ngo 1.13\n")).unwrap();
    let mut make = format!(".PHONY: {target}\n{target}:\n");
    for out in outputs {
        if let Some((d, _)) = out.rsplit_once('/') {
            make.push_str(&format!("\tmkdir -p {d}\n"));
        }
        make.push_str(&format!(
            "\tprintf '#!/bin/sh\\necho {out} %s/%s\\n' \"$$GOOS\" \"$$GOARCH\" > {out}\n\tchmod 755 {out}\n"
        ));
    }
    std::fs::write(dir.join("Makefile"), make).unwrap();
    std::fs::write(dir.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    std::fs::write(
        dir.join("main_test.go"),
        "package main\n\nimport \"testing\"\n\nfunc TestMain0(t *testing.T) {}\n",
    )
    .unwrap();
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Up",
            "-c",
            "user.email=up@example.test",
            "commit",
            "-q",
            "-m",
            "upstream",
        ],
    );
    git(dir, &["tag", tag]);
    dir.to_path_buf()
}

/// A workspace with one must release on `tag` and no `build:` section.
fn workspace(root: &Path, up: &Path, tag: &str) -> (PathBuf, String) {
    let ws = root.join("lts");
    std::fs::create_dir_all(&ws).unwrap();
    let release = format!("{tag}-lts.1");
    std::fs::write(
        ws.join("releases.yml"),
        format!(
            "base: {}\nreleases:\n  - name: {release}\n    base_release: {tag}\n    must: true\n",
            up.display()
        ),
    )
    .unwrap();
    (ws, release)
}

fn listing(deb: &Path) -> Vec<String> {
    let o = Command::new("dpkg-deb")
        .arg("-c")
        .arg(deb)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .filter(|p| !p.ends_with('/'))
        .collect();
    files.sort();
    files
}

fn rpm_files(rpm: &Path) -> Vec<String> {
    let o = Command::new("rpm").arg("-qpl").arg(rpm).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn containerd_workspace_builds_and_packages_without_a_build_section() {
    if !go_available() || !have("make") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Like containerd 2.x: no containerd-shim, no containerd-shim-runc-v1.
    let up = upstream(
        &tmp.path().join("up"),
        "github.com/containerd/containerd",
        "v1.3.10",
        "binaries",
        &[
            "bin/containerd",
            "bin/containerd-shim-runc-v2",
            "bin/ctr",
            "bin/containerd-stress",
        ],
    );
    let (ws, release) = workspace(tmp.path(), &up, "v1.3.10");

    let o = klts(&ws, &["build", &release, "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "linux/amd64/containerd",
            "linux/amd64/containerd-shim-runc-v2",
            "linux/amd64/ctr",
            "linux/arm64/containerd",
            "linux/arm64/containerd-shim-runc-v2",
            "linux/arm64/ctr",
        ]
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("containerd-shim-runc-v1 is not built by"),
        "{err}"
    );
    let built = std::fs::read_to_string(ws.join(format!("out/{release}/linux/arm64/ctr"))).unwrap();
    assert!(built.contains("bin/ctr linux/arm64"), "{built}");

    // A shim asked for by name must exist.
    let o = klts(&ws, &["build", &release, "--targets", "containerd-shim"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("containerd-shim"), "{}", text(&o));

    if have("dpkg-deb") && have("rpm") {
        let o = klts(&ws, &["package", &release, "-o", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let written: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let names: Vec<&str> = written
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["package"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["containerd"; 4]);
        let rel = ws.join("out").join(&release);
        assert_eq!(
            listing(&rel.join("deb/containerd_1.3.10+lts.1-1_amd64.deb")),
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
        assert_eq!(
            rpm_files(&rel.join("rpm/containerd-1.3.10+lts.1-1.aarch64.rpm")),
            [
                "/usr/bin/containerd",
                "/usr/bin/containerd-shim-runc-v2",
                "/usr/bin/ctr",
                "/usr/lib/systemd/system/containerd.service",
            ]
        );
    }

    // No images by default: said, and not a failure.
    let o = klts(&ws, &["image", &release]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("no images to build"), "{}", text(&o));
    assert!(!ws.join("out").join(&release).join("oci").exists());

    let o = klts(&ws, &["ci", "github", "--out", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let wf = String::from_utf8_lossy(&o.stdout);
    assert!(
        wf.contains("# Targets: containerd, containerd-shim, containerd-shim-runc-v1, containerd-shim-runc-v2, ctr; images: none.\n"),
        "{wf}"
    );
    assert!(!wf.contains("  image:\n"), "{wf}");
}

#[test]
fn runc_workspace_builds_and_packages_without_a_build_section() {
    if !go_available() || !have("make") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(
        &tmp.path().join("up"),
        "github.com/opencontainers/runc",
        "v1.1.12",
        "runc",
        &["runc"],
    );
    let (ws, release) = workspace(tmp.path(), &up, "v1.1.12");
    let o = klts(&ws, &["build", &release, "--platform", "linux/amd64"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(ws.join(format!("out/{release}/linux/amd64/runc")).is_file());
    if have("dpkg-deb") && have("rpm") {
        let o = klts(&ws, &["package", &release]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let rel = ws.join("out").join(&release);
        let deb = listing(&rel.join("deb/runc_1.1.12+lts.1-1_amd64.deb"));
        assert!(deb.contains(&"./usr/bin/runc".to_string()), "{deb:?}");
        assert_eq!(
            rpm_files(&rel.join("rpm/runc-1.1.12+lts.1-1.x86_64.rpm")),
            ["/usr/bin/runc"]
        );
    }
    // The default test command is plain `go test` (runc's own targets need root or docker).
    let o = Command::new(env!("CARGO_BIN_EXE_klts"))
        .arg("--workspace")
        .arg(&ws)
        .args(["test", &release, "-o", "json"])
        .env_remove("KLTS_CACHE_DIR")
        .env("GOCACHE", gosrc::go_cache())
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("github.com/opencontainers/runc"),
        "{}",
        text(&o)
    );
    let o = klts(&ws, &["ci", "github", "--out", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("# Targets: runc; images: none.\n"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_generic_project_is_asked_for_its_build_command() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let up = upstream(
        &tmp.path().join("up"),
        "example.com/tool",
        "v0.3.0",
        "all",
        &["bin/tool"],
    );
    let (ws, release) = workspace(tmp.path(), &up, "v0.3.0");
    let o = klts(&ws, &["build", &release]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("set build.command and build.targets"), "{t}");
    assert!(!t.contains("KLTS_WHAT"), "never Kubernetes' Makefile: {t}");
    assert!(!ws.join("out").join(&release).exists());
}

/// A pre-modules containerd tree (vendor.conf, no go.mod) built from `--workspace .`: klts
/// puts it under an absolute GOPATH (Go refuses a relative GOPATH entry, which a workspace
/// given as `.` used to produce), at containerd's import path, with the real `go`.
#[test]
fn a_pre_modules_containerd_builds_from_a_relative_workspace() {
    if !go_available() || !have("make") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let up = tmp.path().join("upstream");
    std::fs::create_dir_all(up.join("cmd/containerd")).unwrap();
    std::fs::create_dir_all(up.join("version")).unwrap();
    git(&up, &["init", "-q", "-b", "main"]);
    std::fs::write(up.join("vendor.conf"), "github.com/pkg/errors v0.8.1\n").unwrap();
    std::fs::write(
        up.join("version/version.go"),
        "package version\n\n// Version of the build.\nconst Version = \"1.3.10\"\n",
    )
    .unwrap();
    // Builds only inside GOPATH at the import path: the import is the project's own package.
    std::fs::write(
        up.join("cmd/containerd/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/containerd/containerd/version\"\n)\n\nfunc main() { fmt.Println(\"containerd\", version.Version) }\n",
    )
    .unwrap();
    std::fs::write(
        up.join("Makefile"),
        ".PHONY: binaries\nbinaries:\n\tmkdir -p bin\n\tgo build -o bin/containerd ./cmd/containerd\n\tgo build -o bin/ctr ./cmd/containerd\n",
    )
    .unwrap();
    git(&up, &["add", "-A"]);
    git(
        &up,
        &[
            "-c",
            "user.name=Up",
            "-c",
            "user.email=up@example.test",
            "commit",
            "-q",
            "-m",
            "v1.3.10",
        ],
    );
    git(&up, &["tag", "v1.3.10"]);
    let ws = tmp.path().join("lts");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!(
            "base: {}\nproduct: containerd\nreleases:\n  - name: v1.3.10-lts.1\n    base_release: v1.3.10\n    must: true\n",
            up.display()
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_klts"))
        .current_dir(&ws)
        .args([
            "--workspace",
            ".",
            "build",
            "v1.3.10-lts.1",
            "--platform",
            "linux/amd64",
        ])
        .env_remove("KLTS_CACHE_DIR")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("GOPATH mode"), "{}", text(&o));
    let bin = ws.join("out/v1.3.10-lts.1/linux/amd64/containerd");
    let run = Command::new(&bin).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "containerd 1.3.10"
    );
}
