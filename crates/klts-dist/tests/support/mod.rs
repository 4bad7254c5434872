//! A small synthetic Kubernetes-shaped upstream whose build is real: a Go module with
//! `cmd/kubectl`, `cmd/kubelet`, `cmd/kubeadm`, a `build.sh` that cross-compiles them with
//! `CGO_ENABLED=0 GOOS=$GOOS GOARCH=$GOARCH go build -trimpath`, and test packages that pass,
//! always fail, flake, panic and do not compile. Also used by `crates/klts/tests/build.rs`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `go` on PATH, or None after printing SKIPPED (a panic under `CI`, where `.ci/run`
/// installs Debian's golang-go).
pub fn go_available() -> bool {
    klts_testkit::require("go", "golang-go").is_some()
}

/// The isolated git runner of every crate's tests (klts-testkit).
pub use klts_testkit::{git, git_output};

fn write(dir: &Path, path: &str, content: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn commit(dir: &Path, message: &str, t: u64) -> String {
    git(dir, &["add", "-A"]);
    let date = format!("@{t} +0000");
    let out = git_output(
        dir,
        &["commit", "-q", "-m", message],
        &[("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(dir, &["rev-parse", "HEAD"])
}

pub const MODULE: &str = "example.com/kube";

const BUILD_SH: &str = r#"#!/bin/sh
# Honors the klts build environment: GOOS, GOARCH, KLTS_TARGETS, KLTS_VERSION.
set -eu
out="_output/bin/$GOOS/$GOARCH"
mkdir -p "$out"
for t in $KLTS_TARGETS; do
  CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "-buildid= -X example.com/kube/pkg/version.Version=$KLTS_VERSION" \
    -o "$out/$t" "./cmd/$t"
done
"#;

fn main_go(name: &str) -> String {
    format!(
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/kube/pkg/version\"\n)\n\nfunc main() {{\n\tfmt.Println(\"{name}\", version.Version, version.Greeting())\n}}\n"
    )
}

const VERSION_GO: &str = "package version\n\n// Version is set at build time with -ldflags -X.\nvar Version = \"dev\"\n\n// Greeting says where the build comes from.\nfunc Greeting() string {\n\treturn \"hello from upstream\"\n}\n";

/// The upstream repository, tagged `v1.0.1`; returns its directory and the tag's commit.
pub fn upstream(dir: &Path) -> (PathBuf, String) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "master"]);
    write(dir, "go.mod", &format!("module {MODULE}\n\ngo 1.19\n"));
    write(dir, "build.sh", BUILD_SH);
    for name in ["kubectl", "kubelet", "kubeadm", "kube-proxy"] {
        write(dir, &format!("cmd/{name}/main.go"), &main_go(name));
    }
    write(dir, "pkg/version/version.go", VERSION_GO);
    write(
        dir,
        "pkg/version/version_test.go",
        "package version\n\nimport \"testing\"\n\nfunc TestGreeting(t *testing.T) {\n\tif Greeting() == \"\" {\n\t\tt.Fatal(\"empty\")\n\t}\n}\n",
    );
    write(
        dir,
        "pkg/good/good.go",
        "package good\n\nfunc Add(a, b int) int { return a + b }\n",
    );
    write(
        dir,
        "pkg/good/good_test.go",
        "package good\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"math\")\n\t}\n}\n",
    );
    write(dir, "pkg/always/always.go", "package always\n");
    write(
        dir,
        "pkg/always/always_test.go",
        "package always\n\nimport \"testing\"\n\nfunc TestAlways(t *testing.T) {\n\tt.Errorf(\"always fails: <want> & \\\"got\\\"\")\n}\n\nfunc TestTable(t *testing.T) {\n\tt.Run(\"case_b\", func(t *testing.T) { t.Error(\"want 2, got 3\") })\n}\n",
    );
    write(dir, "pkg/flaky/flaky.go", "package flaky\n");
    write(
        dir,
        "pkg/flaky/flaky_test.go",
        "package flaky\n\nimport (\n\t\"os\"\n\t\"path/filepath\"\n\t\"testing\"\n)\n\n// Fails the first time in each marker directory, passes afterwards.\nfunc TestFlaky(t *testing.T) {\n\tdir := filepath.Join(os.Getenv(\"FLAKE_DIR\"), os.Getenv(\"KLTS_RELEASE\"))\n\tmarker := filepath.Join(dir, \"flaky-ran\")\n\tif _, err := os.Stat(marker); err != nil {\n\t\t_ = os.MkdirAll(dir, 0o755)\n\t\t_ = os.WriteFile(marker, []byte(\"x\"), 0o644)\n\t\tt.Fatal(\"first run fails\")\n\t}\n}\n",
    );
    write(dir, "pkg/panics/panics.go", "package panics\n");
    write(
        dir,
        "pkg/panics/panics_test.go",
        "package panics\n\nimport \"testing\"\n\nfunc TestPanics(t *testing.T) {\n\tvar m map[string]int\n\tm[\"boom\"] = 1\n}\n",
    );
    write(
        dir,
        "pkg/broken/broken.go",
        "package broken\n\nfunc OK() bool { return true }\n",
    );
    write(
        dir,
        "pkg/broken/broken_test.go",
        "package broken\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) {\n\tif notDefined() {\n\t\tt.Fatal(\"x\")\n\t}\n}\n",
    );
    let tag_commit = commit(dir, "v1.0.1", 1_600_000_000);
    git(dir, &["tag", "v1.0.1"]);
    (dir.to_path_buf(), tag_commit)
}

/// A format-patch mbox changing the greeting to "hello from klts lts" (made on a branch of
/// the upstream, which is then deleted so that only the tag is published).
pub fn greeting_patch(up: &Path) -> Vec<u8> {
    git(up, &["checkout", "-q", "-b", "lts", "v1.0.1"]);
    write(
        up,
        "pkg/version/version.go",
        &VERSION_GO.replace("hello from upstream", "hello from klts lts"),
    );
    commit(up, "version: LTS greeting", 1_600_003_600);
    let out = git_output(up, &["format-patch", "--stdout", "v1.0.1..lts"], &[]);
    assert!(out.status.success());
    git(up, &["checkout", "-q", "master"]);
    git(up, &["branch", "-q", "-D", "lts"]);
    out.stdout
}

/// The shared Go build cache (all tests reuse it, so the toolchain compiles once).
pub fn go_cache() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("klts-go-cache");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A workspace: `releases.yml` with releases v1.0.1-ci (tolerates pkg/broken), v1.0.1-lts.1
/// (the greeting patch) and v1.0.1-lts.2 (tolerates pkg/always and pkg/panics), and a build
/// section using build.sh. `extra_build` is appended inside `build:`.
pub fn workspace(root: &Path, up: &Path, patch: &[u8], build_command: &str) -> PathBuf {
    let ws = root.join("lts");
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    std::fs::write(ws.join("patches/greeting.patch"), patch).unwrap();
    let flake = root.join("flake");
    let gocache = go_cache();
    let manifest = format!(
        "base: {up}
releases:
  - name: v1.0.1-ci
    base_release: v1.0.1
    test_failures_tolerated: [{MODULE}/pkg/broken]
  - name: v1.0.1-lts.1
    base_release: v1.0.1-ci
    must: true
    patches: [greeting]
  - name: v1.0.1-lts.2
    base_release: v1.0.1-lts.1
    test_failures_tolerated: [{MODULE}/pkg/always, {MODULE}/pkg/panics]
build:
  platforms: [linux/amd64, linux/arm64]
  targets: [kubectl, kubelet, kubeadm]
  images: [kube-proxy]
  command: {build_command}
  artifacts: _output/bin/{{os}}/{{arch}}
  env:
    GOCACHE: {gocache}
    GOPATH: {gopath}
    GOFLAGS: -mod=mod
    GOPROXY: 'off'
    FLAKE_DIR: {flake}
  test:
    command: go test -count=1 ${{KLTS_TEST_DIRS:-./...}}
    retries: 2
    timeout: 10m
",
        up = up.display(),
        gocache = gocache.display(),
        gopath = root.join("gopath").display(),
        flake = flake.display(),
    );
    std::fs::write(ws.join("releases.yml"), manifest).unwrap();
    ws
}

/// ELF `e_machine` of a file (0x3E x86-64, 0xB7 aarch64).
pub fn elf_machine(path: &Path) -> u16 {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
    u16::from_le_bytes([b[18], b[19]])
}
