//! `klts build` and Go toolchains: a tree that needs another minor version of Go is refused
//! with what to install, the provenance records the Go needed and used, and a pre-modules tree
//! (no go.mod) is built in a GOPATH layout that klts sets up. Uses the real `go` on PATH
//! (Debian's golang-go under CI).

mod support;

use klts_dist::build::{build, BuildError, BuildOptions};
use klts_forge::verify::VerifyOptions;
use klts_forge::Workspace;
use std::path::Path;
use std::process::Command;
use support::{git, go_available, go_cache};

fn write(dir: &Path, path: &str, content: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// The `go` that runs the tests, and its version (`1.19.8`).
fn go_here() -> (std::path::PathBuf, String) {
    let go = klts_dist::build::which("go").unwrap();
    let v = klts_dist::goenv::go_version(&go).unwrap().to_string();
    (go, v)
}

/// A pre-modules upstream tagged v1.0.0: `cmd/kubectl` imports its own subpackage by the
/// import path `example.com/pre/pkg/greet`, which resolves only under
/// `$GOPATH/src/example.com/pre` with GO111MODULE=off. `extra` files are added.
fn upstream(dir: &Path, extra: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "master"]);
    write(
        dir,
        "Godeps/Godeps.json",
        r#"{"ImportPath": "example.com/pre", "GoVersion": "go1.12", "Deps": []}"#,
    );
    write(
        dir,
        "cmd/kubectl/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/pre/pkg/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    );
    write(
        dir,
        "pkg/greet/greet.go",
        "package greet\n\n// Hello says hello.\nfunc Hello() string { return \"hello from GOPATH\" }\n",
    );
    for (p, c) in extra {
        write(dir, p, c);
    }
    git(dir, &["add", "-A"]);
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=U",
            "-c",
            "user.email=u@x.test",
            "commit",
            "-q",
            "-m",
            "v1.0.0",
        ])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "@1600000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1600000000 +0000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(dir, &["tag", "v1.0.0"]);
}

const BUILD: &str = "mkdir -p out/$GOOS/$GOARCH && CGO_ENABLED=0 go build -o out/$GOOS/$GOARCH/kubectl ./cmd/kubectl";

fn workspace(root: &Path, up: &Path, build_extra: &str) -> Workspace {
    let ws = root.join("lts");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!(
            "base: {up}\nreleases:\n  - name: v1.0.0-lts.1\n    base_release: v1.0.0\n    must: true\nbuild:\n  platforms: [linux/amd64]\n  targets: [kubectl]\n  images: []\n  command: {BUILD}\n  artifacts: out/{{os}}/{{arch}}\n  env:\n    GOCACHE: {cache}\n    GOFLAGS: -mod=mod\n    GOPROXY: 'off'\n{build_extra}",
            up = up.display(),
            cache = go_cache().display(),
        ),
    )
    .unwrap();
    Workspace::open(&ws, None).unwrap()
}

fn options(out: &Path) -> BuildOptions {
    BuildOptions {
        out_dir: out.to_path_buf(),
        verify: VerifyOptions::default(),
        ..BuildOptions::default()
    }
}

#[test]
fn a_pre_modules_tree_builds_in_a_gopath_layout() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let up = tmp.path().join("up");
    let (_, used) = go_here();
    // The tree names the Go that runs, so the check passes without a warning.
    upstream(&up, &[(".go-version", &format!("{used}\n"))]);

    // Outside a GOPATH layout the tree does not build: the import path resolves nowhere.
    let plain = Command::new("go")
        .current_dir(&up)
        .args(["build", "./cmd/kubectl"])
        .env("GOCACHE", go_cache())
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env_remove("GO111MODULE")
        .output()
        .unwrap();
    assert!(!plain.status.success(), "builds without GOPATH?");

    let ws = workspace(tmp.path(), &up, "");
    let out = tmp.path().join("out");
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let report = build(&ws, "v1.0.0-lts.1", &options(&out), &|l| {
        lines.lock().unwrap().push(l.to_string())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let bin = out.join("v1.0.0-lts.1/linux/amd64/kubectl");
    let run = Command::new(&bin).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "hello from GOPATH\n");
    let go = report.go.as_ref().unwrap();
    assert_eq!(go.import_path.as_deref(), Some("example.com/pre"));
    assert_eq!(go.used.to_string(), used);
    let lines = lines.into_inner().unwrap();
    assert!(lines.iter().any(|l| l.contains("GOPATH mode")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("warning")), "{lines:?}");
    // The layout is klts's own and goes away with the working tree.
    assert!(!ws.cache_dir.join("gopath/v1.0.0-lts.1").exists());

    let prov: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("v1.0.0-lts.1/provenance.intoto.json")).unwrap(),
    )
    .unwrap();
    let tc = &prov["predicate"]["buildDefinition"]["internalParameters"]["toolchain"];
    assert_eq!(tc["goNeeded"]["version"], used.as_str());
    assert_eq!(tc["goNeeded"]["source"], ".go-version");
    assert_eq!(tc["goUsed"], used.as_str());
    assert_eq!(tc["gopathImportPath"], "example.com/pre");
}

#[test]
fn another_minor_is_an_error_another_patch_a_warning() {
    if !go_available() {
        return;
    }
    let (go, used) = go_here();
    let v = klts_core::goversion::GoRelease::parse(&used).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let up = tmp.path().join("up");
    upstream(&up, &[]);
    let out = tmp.path().join("out");

    // build.go names another minor: refused before anything is built, saying what to do.
    let other = format!("go1.{}.3", v.minor - 6);
    let ws = workspace(tmp.path(), &up, &format!("  go: {other}\n"));
    let err = build(&ws, "v1.0.0-lts.1", &options(&out), &|_| {}).unwrap_err();
    assert!(matches!(err, BuildError::Usage(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("needs Go 1.{}.3", v.minor - 6)),
        "{msg}"
    );
    assert!(msg.contains(&format!("install {other}")), "{msg}");
    assert!(msg.contains("--go"), "{msg}");
    assert!(!out.join("v1.0.0-lts.1").exists());

    // Another patch of the same minor builds, with a warning; --go picks the binary.
    let patch = v.patch.unwrap_or(0) + 1;
    let ws = workspace(tmp.path(), &up, &format!("  go: go1.{}.{patch}\n", v.minor));
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let mut o = options(&out);
    o.go = Some(go.clone());
    let report = build(&ws, "v1.0.0-lts.1", &o, &|l| {
        lines.lock().unwrap().push(l.to_string())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let lines = lines.into_inner().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warning") && l.contains("another patch")),
        "{lines:?}"
    );
    assert_eq!(report.go.unwrap().go, go);
}
