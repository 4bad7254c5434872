//! CI fan-out: a GitHub Actions workflow generated from the manifest.
//!
//! Building and testing ~20 releases × 2 platforms does not fit one machine, and CI engines
//! already know how to spread jobs over runners. So klts does not schedule; it writes the
//! workflow, and every job calls `klts` itself:
//!
//! ```text
//! klts ─► lint ─► verify (one job per `must` release)
//!                   ├─► build   (release × platform) ─► package (release × platform) ─┐
//!                   │                                └► image   (release)            ├─► publish
//!                   └─► test    (release)  ───────────────────────────────────────────┘
//! ```
//!
//! A first job, `klts`, installs klts once (`spec.install`, cached by `actions/cache` under a
//! key derived from the install command) and uploads the binary as the `klts-bin` artifact;
//! every other job downloads it instead of compiling klts again.
//!
//! **Go per release.** The build and test jobs install, with `actions/setup-go`, the Go each
//! release needs: `klts_forge::toolchain` (the rule `klts build` checks against) evaluated
//! **when the workflow is generated**, from the materialized trees in the mirror, and written
//! into the matrix as `include: [{release, go}]`. One design, chosen over a first job that
//! runs `klts toolchain` and feeds a dynamic matrix, because the versions are then visible in
//! the committed file and in review, and `klts ci github --check` reports the workflow stale
//! when a Go-bump patch changes a release's toolchain. A release whose toolchain is unknown at
//! generation time (no mirror yet: run `klts fetch`; a tree that names no Go) gets
//! `go-version: stable` and `klts ci github` warns.
//!
//! Jobs hand their `out/<release>/…` directories to each other as workflow artifacts. The
//! publish job runs only on the default branch (or a manual dispatch) and needs the repository
//! secrets `KLTS_SIGNING_KEY` (armored OpenPGP secret key) and, for images,
//! `KLTS_REGISTRY_PASSWORD`; the registry and user come from the `KLTS_REGISTRY` and
//! `KLTS_REGISTRY_USER` variables.
//!
//! The output is deterministic: releases in manifest order, platforms in the given order, no
//! timestamps. A `--check` mode compares a committed workflow with what the manifest says now.

use std::fmt::Write as _;

/// What the workflow is generated from.
#[derive(Clone, Debug)]
pub struct WorkflowSpec {
    /// The `must` releases, in manifest order.
    pub releases: Vec<String>,
    /// Platforms as `os/arch` (e.g. `linux/amd64`).
    pub platforms: Vec<String>,
    /// How a runner installs klts (a shell command).
    pub install: String,
    /// Workspace directory relative to the repository root (`.` when releases.yml is at the top).
    pub workspace: String,
    /// The runner label.
    pub runs_on: String,
    /// The `actions/setup-go` version of each release (`1.13.15`, `1.16` for a minimum,
    /// `1.21.0-rc.2`); a release without one gets `stable`.
    pub go: std::collections::BTreeMap<String, String>,
    /// The binaries the build job packages (the product-resolved `build.targets`), listed in
    /// the workflow's header so that a reviewer sees what it ships.
    pub targets: Vec<String>,
    /// The server images (`build.images`); none (containerd, runc) leaves the image job and
    /// the image push out.
    pub images: Vec<String>,
}

/// The `go-version` input of `actions/setup-go` for a Go release: `1.13.15`, `1.16` (the newest
/// 1.16.x, right for a go.mod minimum), `1.21.0-rc.2` (setup-go's spelling of go1.21rc2).
pub fn setup_go_version(v: &klts_core::goversion::GoRelease) -> String {
    use klts_core::goversion::GoPre;
    match v.pre {
        Some(GoPre::Rc(n)) => format!("{}.{}.0-rc.{n}", v.major, v.minor),
        Some(GoPre::Beta(n)) => format!("{}.{}.0-beta.{n}", v.major, v.minor),
        None => v.to_string(),
    }
}

impl WorkflowSpec {
    /// Defaults for everything but the releases.
    pub fn new(releases: Vec<String>, platforms: Vec<String>) -> WorkflowSpec {
        WorkflowSpec {
            releases,
            platforms,
            install: "cargo install --locked --git https://github.com/klts-io/klts klts".into(),
            workspace: ".".into(),
            runs_on: "ubuntu-latest".into(),
            go: Default::default(),
            // Kubernetes' (the `build:` defaults without a product); callers set the
            // workspace's resolved ones.
            targets: klts_core::build::DEFAULT_TARGETS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            images: klts_core::build::DEFAULT_IMAGES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Why a workflow cannot be generated.
#[derive(Debug, thiserror::Error)]
pub enum CiError {
    /// Nothing to fan out.
    #[error("the manifest has no `must` release, so there is nothing to build\n  help: mark the releases you ship with `must: true`")]
    NoReleases,
    /// A platform that is not `os/arch`.
    #[error("platform `{0}` is not os/arch\n  help: write platforms like linux/amd64")]
    BadPlatform(String),
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A flow sequence of quoted scalars.
fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The GitHub Actions workflow for `spec`, as YAML text.
pub fn github_workflow(spec: &WorkflowSpec) -> Result<String, CiError> {
    if spec.releases.is_empty() {
        return Err(CiError::NoReleases);
    }
    // The one platform rule of `klts build` (which each job runs with this value).
    for p in &spec.platforms {
        if klts_core::build::Platform::parse(p).is_err() || p.trim() != p {
            return Err(CiError::BadPlatform(klts_core::names::printable(p, 80)));
        }
    }
    let mut y = String::new();
    let releases = list(&spec.releases);
    let platforms = list(&spec.platforms);
    let w = q(&spec.workspace);
    let runs_on = q(&spec.runs_on);
    // The klts binary is built (or restored) once, by the `klts` job, and shared as an
    // artifact. The cache key names the install command, so changing it builds again.
    let install_key = {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(spec.install.as_bytes())[..8])
    };
    // Each job starts on a fresh runner: check out, fetch klts, restore the upstream mirror.
    let setup = |y: &mut String| {
        y.push_str("      - uses: actions/checkout@v4\n");
        y.push_str("      - uses: actions/cache@v4\n");
        y.push_str("        with:\n");
        y.push_str("          path: .klts\n");
        y.push_str("          key: klts-${{ runner.os }}-${{ hashFiles('**/releases.yml', '**/klts.lock') }}\n");
        y.push_str("          restore-keys: klts-${{ runner.os }}-\n");
        y.push_str("      - uses: actions/download-artifact@v4\n        with:\n          name: klts-bin\n          path: ${{ runner.temp }}/klts-bin\n");
        y.push_str("      - name: Put klts on PATH\n        run: |\n          chmod +x \"$RUNNER_TEMP/klts-bin/klts\"\n          echo \"$RUNNER_TEMP/klts-bin\" >> \"$GITHUB_PATH\"\n");
    };
    // Each release's Go, as a matrix `include` that adds `go` to that release's combinations.
    let go_include = {
        let mut inc = String::from("        include:\n");
        for r in &spec.releases {
            let go = spec.go.get(r).map(String::as_str).unwrap_or("stable");
            let _ = writeln!(
                inc,
                "          - release: {}\n            go: {}",
                q(r),
                q(go)
            );
        }
        inc
    };
    let names = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            // Binary names are checked by the manifest parser; quoted anyway for YAML comments.
            v.iter()
                .map(|n| n.replace(['\n', '\r'], " "))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let (targets, images) = (names(&spec.targets), names(&spec.images));
    let _ = write!(
        y,
        "# Generated by `klts ci github` from releases.yml; do not edit by hand.\n\
         # Regenerate after changing the manifest; `klts ci github --check` fails when it is stale.\n\
         # Targets: {targets}; images: {images}.\n\
         name: klts\n\
         on:\n  push:\n    branches: [main]\n  pull_request:\n  workflow_dispatch:\n\
         permissions:\n  contents: read\n\
         concurrency:\n  group: klts-${{{{ github.ref }}}}\n  cancel-in-progress: true\n\
         env:\n  KLTS_WORKSPACE: {w}\n  KLTS_CACHE_DIR: ${{{{ github.workspace }}}}/.klts\n\
         jobs:\n"
    );

    // klts: built once, shared as an artifact
    let _ = writeln!(y, "  klts:\n    runs-on: {runs_on}\n    steps:");
    y.push_str(
        "      - uses: actions/cache@v4\n        with:\n          path: ~/.cargo/bin/klts\n",
    );
    let _ = writeln!(
        y,
        "          key: klts-bin-${{{{ runner.os }}}}-{install_key}"
    );
    let _ = writeln!(
        y,
        "      - name: Install klts\n        run: command -v klts || {}",
        spec.install
    );
    y.push_str("      - name: Stage the binary\n        run: mkdir -p \"$RUNNER_TEMP/klts-bin\" && cp \"$(command -v klts)\" \"$RUNNER_TEMP/klts-bin/klts\"\n");
    y.push_str("      - uses: actions/upload-artifact@v4\n        with:\n          name: klts-bin\n          path: ${{ runner.temp }}/klts-bin/klts\n          if-no-files-found: error\n          retention-days: 1\n");

    // lint
    let _ = writeln!(
        y,
        "  lint:\n    needs: klts\n    runs-on: {runs_on}\n    steps:"
    );
    setup(&mut y);
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" lint\n");

    // verify: one job per must release
    let _ = writeln!(
        y,
        "  verify:\n    needs: lint\n    runs-on: {runs_on}\n    strategy:\n      fail-fast: false\n      matrix:\n        release: {releases}\n    steps:"
    );
    setup(&mut y);
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" fetch\n");
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" verify \"${{ matrix.release }}\"\n");

    // build: release × platform
    let _ = writeln!(
        y,
        "  build:\n    needs: verify\n    runs-on: {runs_on}\n    strategy:\n      fail-fast: false\n      matrix:\n        release: {releases}\n        platform: {platforms}\n{go_include}    steps:"
    );
    setup(&mut y);
    y.push_str("      - uses: actions/setup-go@v5\n        with:\n          go-version: ${{ matrix.go }}\n");
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" fetch\n");
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" build \"${{ matrix.release }}\" --platform \"${{ matrix.platform }}\" --images\n");
    y.push_str("      - id: name\n        run: echo \"platform=$(echo '${{ matrix.platform }}' | tr / -)\" >> \"$GITHUB_OUTPUT\"\n");
    y.push_str("      - uses: actions/upload-artifact@v4\n        with:\n          name: build-${{ matrix.release }}-${{ steps.name.outputs.platform }}\n          path: ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}\n          if-no-files-found: error\n");

    // test: per release, on the runner's own platform
    let _ = writeln!(
        y,
        "  test:\n    needs: verify\n    runs-on: {runs_on}\n    strategy:\n      fail-fast: false\n      matrix:\n        release: {releases}\n{go_include}    steps:"
    );
    setup(&mut y);
    y.push_str("      - uses: actions/setup-go@v5\n        with:\n          go-version: ${{ matrix.go }}\n");
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" fetch\n");
    y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" test \"${{ matrix.release }}\"\n");
    y.push_str("      - if: always()\n        uses: actions/upload-artifact@v4\n        with:\n          name: junit-${{ matrix.release }}\n          path: ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}/test/junit.xml\n");

    // package: release × platform, from that platform's build
    let _ = writeln!(
        y,
        "  package:\n    needs: build\n    runs-on: {runs_on}\n    strategy:\n      fail-fast: false\n      matrix:\n        release: {releases}\n        platform: {platforms}\n    steps:"
    );
    setup(&mut y);
    y.push_str("      - id: name\n        run: |\n          echo \"platform=$(echo '${{ matrix.platform }}' | tr / -)\" >> \"$GITHUB_OUTPUT\"\n          echo \"arch=${PLATFORM#*/}\" >> \"$GITHUB_OUTPUT\"\n        env:\n          PLATFORM: ${{ matrix.platform }}\n");
    y.push_str("      - uses: actions/download-artifact@v4\n        with:\n          name: build-${{ matrix.release }}-${{ steps.name.outputs.platform }}\n          path: ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}\n");
    // rpms carry their own signature (yum's gpgcheck=1); pull requests, which do not see
    // secrets, build unsigned packages.
    y.push_str("      - name: Package (rpms signed when KLTS_SIGNING_KEY is available)\n        env:\n          KLTS_SIGNING_KEY_TEXT: ${{ secrets.KLTS_SIGNING_KEY }}\n        run: |\n          sign=()\n          if [ -n \"$KLTS_SIGNING_KEY_TEXT\" ]; then\n            umask 077; printf '%s\\n' \"$KLTS_SIGNING_KEY_TEXT\" > \"$RUNNER_TEMP/key.asc\"\n            sign=(--sign-key \"$RUNNER_TEMP/key.asc\")\n          fi\n          klts -w \"$KLTS_WORKSPACE\" package \"${{ matrix.release }}\" --arch \"${{ steps.name.outputs.arch }}\" \"${sign[@]}\"\n");
    y.push_str("      - uses: actions/upload-artifact@v4\n        with:\n          name: packages-${{ matrix.release }}-${{ steps.name.outputs.platform }}\n          path: |\n            ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}/deb\n            ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}/rpm\n          if-no-files-found: error\n");

    // image: per release, over every platform's build (no job for a product without images)
    let has_images = !spec.images.is_empty();
    if has_images {
        let _ = writeln!(
            y,
            "  image:\n    needs: build\n    runs-on: {runs_on}\n    strategy:\n      fail-fast: false\n      matrix:\n        release: {releases}\n    steps:"
        );
        setup(&mut y);
        y.push_str("      - uses: actions/download-artifact@v4\n        with:\n          pattern: build-${{ matrix.release }}-*\n          merge-multiple: true\n          path: ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}\n");
        y.push_str("      - run: klts -w \"$KLTS_WORKSPACE\" image \"${{ matrix.release }}\"\n");
        y.push_str("      - uses: actions/upload-artifact@v4\n        with:\n          name: image-${{ matrix.release }}\n          path: ${{ env.KLTS_WORKSPACE }}/out/${{ matrix.release }}/oci\n          if-no-files-found: error\n");
    }

    // publish: everything, signed, only from the default branch
    let _ = writeln!(
        y,
        "  publish:\n    needs: [test, package{}]\n    if: github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'\n    runs-on: {runs_on}\n    environment: publish\n    steps:",
        if has_images { ", image" } else { "" }
    );
    setup(&mut y);
    y.push_str("      - uses: actions/download-artifact@v4\n        with:\n          pattern: packages-*\n          path: artifacts\n");
    // Images are pushed from the binaries again: the layout is deterministic, so these are
    // byte for byte the images the image job built.
    y.push_str("      - uses: actions/download-artifact@v4\n        with:\n          pattern: build-*\n          path: artifacts\n");
    y.push_str("      - name: Lay the artifacts out as out/<release>/…\n        run: |\n");
    y.push_str("          for d in artifacts/packages-* artifacts/build-*; do\n            r=${d#artifacts/*-}; r=${r%-*-*}\n            mkdir -p \"$KLTS_WORKSPACE/out/$r\"\n            cp -R \"$d\"/. \"$KLTS_WORKSPACE/out/$r/\"\n          done\n");
    y.push_str("      - name: Sign and publish the apt and yum repositories\n        env:\n          KLTS_SIGNING_KEY_TEXT: ${{ secrets.KLTS_SIGNING_KEY }}\n        run: |\n          umask 077\n          printf '%s\\n' \"$KLTS_SIGNING_KEY_TEXT\" > \"$RUNNER_TEMP/key.asc\"\n          klts -w \"$KLTS_WORKSPACE\" publish apt --key \"$RUNNER_TEMP/key.asc\" --out repository/apt\n          klts -w \"$KLTS_WORKSPACE\" publish yum --key \"$RUNNER_TEMP/key.asc\" --out repository/yum\n");
    if has_images {
        let _ = writeln!(
        y,
        "      - name: Push the images\n        env:\n          KLTS_REGISTRY_PASSWORD: ${{{{ secrets.KLTS_REGISTRY_PASSWORD }}}}\n        run: |\n          for r in {}; do\n            klts -w \"$KLTS_WORKSPACE\" image \"$r\" --push \"${{{{ vars.KLTS_REGISTRY }}}}\" --username \"${{{{ vars.KLTS_REGISTRY_USER }}}}\"\n          done",
        spec.releases
            .iter()
            .map(|r| shell_word(r))
            .collect::<Vec<_>>()
            .join(" ")
    );
    }
    // repository/apt and repository/yum are links to hidden generation directories
    // (crate::publish); upload-artifact follows links and leaves hidden files out, so the
    // artifact holds each repository once.
    y.push_str("      - uses: actions/upload-artifact@v4\n        with:\n          name: repository\n          path: repository\n");
    Ok(y)
}

/// A release name as one shell word (single-quoted unless it is plainly safe).
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_odd_names() {
        assert_eq!(shell_word("v1.17.17-lts.3"), "v1.17.17-lts.3");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
        assert_eq!(q("x\"y"), "\"x\\\"y\"");
    }

    #[test]
    fn products_without_images_have_no_image_job() {
        let mut spec = WorkflowSpec::new(vec!["v1.3.10-lts.1".into()], vec!["linux/amd64".into()]);
        let k = github_workflow(&spec).unwrap();
        assert!(k.contains("  image:\n"), "{k}");
        assert!(k.contains("# Targets: kubectl, kubelet, kubeadm; images: kube-apiserver"));
        spec.targets = vec!["containerd".into(), "ctr".into()];
        spec.images = Vec::new();
        let c = github_workflow(&spec).unwrap();
        assert!(
            c.contains("# Targets: containerd, ctr; images: none.\n"),
            "{c}"
        );
        assert!(!c.contains("  image:\n"), "{c}");
        assert!(!c.contains("Push the images"), "{c}");
        assert!(c.contains("needs: [test, package]\n"), "{c}");
    }

    #[test]
    fn refuses_empty_and_bad_platforms() {
        let spec = WorkflowSpec::new(vec![], vec!["linux/amd64".into()]);
        assert!(matches!(github_workflow(&spec), Err(CiError::NoReleases)));
        // The build's platform rule: a platform that `klts build --platform` would refuse
        // (here, text that would break out of the workflow's YAML) is refused here too.
        for bad in [
            "linux",
            "linux/amd64/v8",
            "linux/amd64\"\n  evil: x",
            "Linux/amd64",
            " linux/amd64",
        ] {
            let spec = WorkflowSpec::new(vec!["v1".into()], vec![bad.into()]);
            assert!(
                matches!(github_workflow(&spec), Err(CiError::BadPlatform(_))),
                "{bad:?}"
            );
        }
        let spec = WorkflowSpec::new(vec!["v1".into()], vec!["linux/ppc64le".into()]);
        assert!(github_workflow(&spec).is_ok());
    }
}
