//! `klts build` and `klts test`: arguments and output over `klts_dist::build` and
//! `klts_dist::testrun`.

use crate::{json, Failure, Format, HiArgs, ListArgs};
use clap::Args;
use klts_core::build::Platform;
use klts_dist::build::{build, BuildError, BuildOptions};
use klts_dist::testrun::{test, TestOptions, Verdict};
use klts_forge::verify::VerifyOptions;
use std::path::PathBuf;

/// Build a release: binaries, SHA256SUMS and provenance in out/RELEASE/.
///
/// Binaries land in out/RELEASE/<os>/<arch>/. The release is materialized into a working tree (.klts/worktrees/RELEASE), the manifest's
/// `build.command` runs there with `sh -c` once per platform, and the binaries named in
/// `build.targets` (and `build.images` with --images) are collected from `build.artifacts`.
/// Then out/RELEASE/SHA256SUMS (`sha256sum -c` format) and out/RELEASE/provenance.intoto.json
/// (in-toto Statement v1, SLSA provenance v1: upstream commit, patch hashes, command, toolchain)
/// are written. Logs go to out/RELEASE/logs/build-<os>-<arch>.log.
///
/// Everything is written aside and swapped in at the end: a failed build leaves the previous
/// out/RELEASE intact, its logs in out/.failed-RELEASE/ and its working tree for inspection.
///
/// Without a `build:` section the workspace's product decides (see README "Products"):
/// Kubernetes `make all WHAT="$KLTS_WHAT" KUBE_BUILD_PLATFORMS=$KLTS_PLATFORM` (kubectl
/// kubelet kubeadm), containerd `make binaries` (containerd, its shims, ctr), runc `make runc`,
/// for linux/amd64,linux/arm64; a generic project must set `build.command` and `build.targets`.
///
/// Examples:
///
///   klts build v1.17.17-lts.3
///   klts build v1.17.17-lts.3 --platform linux/arm64 --targets kubectl
///   klts build v1.17.17-lts.3 --images --out-dir /srv/out
///
/// Exit codes: 0 built; 1 the release does not materialize, the build failed, or an artifact
/// is missing; 2 could not run (missing go/make/sh, unknown release or target).
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct BuildArgs {
    /// The release to build.
    release: String,
    /// Platforms (os/arch), comma-separated [default: build.platforms].
    #[arg(long, value_delimiter = ',', value_name = "OS/ARCH", value_parser = parse_platform)]
    platform: Vec<Platform>,
    /// Targets, comma-separated, among build.targets [default: all of them].
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    targets: Vec<String>,
    /// Also build the server image binaries (build.images).
    #[arg(long)]
    images: bool,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    list: ListArgs,
}

/// Run a release's unit tests, forgiving tolerated failures and retrying the rest.
///
/// The manifest's `build.test.command` (default `make test WHAT="$KLTS_TEST_DIRS"`) runs in
/// the release's working tree and its `go test` output is parsed. Failing packages listed in
/// `test_failures_tolerated` of the release or any release down its base chain are reported
/// as tolerated. The others run again (up to --retries times) with KLTS_TEST_PACKAGES and
/// KLTS_TEST_DIRS naming only them; a package that then passes is reported as flaky.
/// The JUnit report goes to out/RELEASE/test/junit.xml, the log to out/RELEASE/test/test.log.
///
/// Examples:
///
///   klts test v1.17.17-lts.3
///   klts test v1.17.17-lts.3 --retries 0 -o json
///
/// Exit codes: 0 the release passes; 1 packages still fail (or it does not materialize);
/// 2 the tests could not run (missing go, a command that fails without test results).
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct TestArgs {
    /// The release to test.
    release: String,
    /// Re-runs of packages still failing [default: build.test.retries, 2].
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Args, Debug)]
struct Common {
    /// The `go` to run [default: `go` on PATH]; checked against the release's toolchain
    /// (`klts toolchain`): another minor version is an error, another patch a warning.
    #[arg(long, value_name = "PATH")]
    go: Option<PathBuf>,
    /// Output root [default: WORKSPACE/out].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Keep the working tree after success too (it is always kept after a failure).
    #[arg(long)]
    keep_worktree: bool,
    /// Never touch the network: use the mirror and the download cache only.
    #[arg(long)]
    offline: bool,
}

impl Common {
    fn out_dir(&self, hi: &HiArgs) -> PathBuf {
        hi.out_dir(self.out_dir.as_deref())
    }

    fn verify(&self) -> VerifyOptions {
        VerifyOptions {
            offline: self.offline,
            ..VerifyOptions::default()
        }
    }
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    Platform::parse(s)
}

fn progress(line: &str) {
    eprintln!("{line}");
}

/// `klts build`.
pub fn run_build(hi: &HiArgs, a: &BuildArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    let options = BuildOptions {
        platforms: a.platform.clone(),
        targets: a.targets.clone(),
        images: a.images,
        out_dir: a.common.out_dir(hi),
        keep_worktree: a.common.keep_worktree,
        verify: a.common.verify(),
        go: a.common.go.clone(),
    };
    // The error's own class (klts_dist: a failed build is exit 1, bad input exit 2).
    let report = build(ws, &a.release, &options, &progress)?;
    match a.list.output {
        Format::Json => json(&report)?,
        Format::Table => {
            let w = report
                .artifacts
                .iter()
                .map(|x| x.path.len())
                .max()
                .unwrap_or(0)
                .max(8);
            outln!("{:<w$}  {:>10}  SHA256", "ARTIFACT", "BYTES");
            for x in &report.artifacts {
                outln!("{:<w$}  {:>10}  {}", x.path, x.size, x.sha256);
            }
            outln!(
                "\nbuilt {} at {} in {:.1}s: {} artifacts in {} (SHA256SUMS, provenance.intoto.json)",
                report.release,
                &report.commit[..report.commit.len().min(12)],
                report.seconds,
                report.artifacts.len(),
                report.dir.display()
            );
            if let Some(w) = &report.worktree {
                outln!("working tree kept at {}", w.display());
            }
        }
    }
    Ok(0)
}

/// `klts test`.
pub fn run_test(hi: &HiArgs, a: &TestArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    let options = TestOptions {
        retries: a.retries,
        out_dir: a.common.out_dir(hi),
        keep_worktree: a.common.keep_worktree,
        verify: a.common.verify(),
        go: a.common.go.clone(),
    };
    // Failing tests are in the report (exit 1 below); an error from `test` itself means the
    // test command could not produce results (CommandFailed here is a broken test command,
    // not a failed build), so only a release that does not materialize keeps its class.
    let report = test(ws, &a.release, &options, &progress).map_err(|e| match e {
        BuildError::Materialize { .. } => Failure::from(e),
        other => Failure::usage(other.to_string()),
    })?;
    match a.list.output {
        Format::Json => json(&report)?,
        Format::Table => {
            let w = report
                .packages
                .iter()
                .map(|p| p.package.len())
                .max()
                .unwrap_or(0)
                .max(7);
            outln!(
                "{:<w$}  {:<12}  {:>8}  FAILED TESTS",
                "PACKAGE",
                "VERDICT",
                "ATTEMPTS"
            );
            for p in &report.packages {
                let failing = p.first_failure.as_ref().unwrap_or(&p.result);
                let mut tests: Vec<&str> = failing
                    .failed_tests
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                if tests.is_empty() && failing.panic.is_some() {
                    tests.push("(panic)");
                }
                outln!(
                    "{:<w$}  {:<12}  {:>8}  {}",
                    p.package,
                    p.verdict.word(),
                    p.attempts,
                    if p.verdict == Verdict::Pass || p.verdict == Verdict::NoTests {
                        String::new()
                    } else {
                        tests.join(" ")
                    }
                );
            }
            let n = |v| report.count(v);
            outln!(
                "\n{}: {} — {} pass, {} flaky, {} tolerated, {} fail, {} build-failed, {} without tests ({} run{}); JUnit: {}",
                report.release,
                if report.passed { "PASS" } else { "FAIL" },
                n(Verdict::Pass),
                n(Verdict::Flaky),
                n(Verdict::Tolerated),
                n(Verdict::Fail),
                n(Verdict::BuildFailed),
                n(Verdict::NoTests),
                report.runs,
                if report.runs == 1 { "" } else { "s" },
                report.junit.display()
            );
        }
    }
    Ok(u8::from(!report.passed))
}
