//! `klts test`: run the release's unit tests, forgive what the release chain tolerates, retry
//! what still fails, and write `out/<release>/test/junit.xml`.
//!
//! 1. The release is materialized into a working tree and `build.test.command` runs there with
//!    `KLTS_TEST_PACKAGES` and `KLTS_TEST_DIRS` empty (= every package).
//! 2. Its output is parsed ([`crate::gotest`]). Failing packages listed in the chain's
//!    `test_failures_tolerated` (the release's own list and its bases', as KLTS inherits them;
//!    an entry ending in `/...` covers the packages under it) become **tolerated**.
//! 3. The other failing packages run again, up to `build.test.retries` times, with
//!    `KLTS_TEST_PACKAGES` (import paths) and `KLTS_TEST_DIRS` (`./dirs` relative to the module
//!    in `go.mod`) naming only them. A package that passes on a retry is **flaky**: reported,
//!    and it passes.
//! 4. The release passes when no package is left failing.
//!
//! A command that exits non-zero without any failing package in its output (a missing tool,
//! a Makefile error) could not run the tests: that is an error, not a test failure.

use crate::build::{check_toolchain, io, run_logged, tail, BuildError, Materialized, Staging};
use crate::gotest::{self, PackageResult, PackageStatus};
use klts_core::build::Platform;
use klts_forge::verify::VerifyOptions;
use klts_forge::{ForgeError, Workspace};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The verdict on one package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Passed on the first run.
    Pass,
    /// No test files.
    NoTests,
    /// Failed first, passed on a retry.
    Flaky,
    /// Failed, and the release chain tolerates it.
    Tolerated,
    /// Still failing after every retry.
    Fail,
    /// Does not compile.
    BuildFailed,
}

impl Verdict {
    /// Whether this verdict fails the release.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::BuildFailed)
    }

    /// The word shown in tables.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NoTests => "no-tests",
            Verdict::Flaky => "flaky",
            Verdict::Tolerated => "tolerated",
            Verdict::Fail => "fail",
            Verdict::BuildFailed => "build-failed",
        }
    }
}

/// One package in the report.
#[derive(Clone, Debug, Serialize)]
pub struct PackageReport {
    /// The import path.
    pub package: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How many runs included it (1 = no retry).
    pub attempts: u32,
    /// Its last result.
    pub result: PackageResult,
    /// Its first failing result, when it failed at least once.
    pub first_failure: Option<PackageResult>,
}

/// The result of `klts test`.
#[derive(Clone, Debug, Serialize)]
pub struct TestReport {
    /// The release.
    pub release: String,
    /// Whether it passes (no package left failing).
    pub passed: bool,
    /// How many times the command ran.
    pub runs: u32,
    /// The chain's tolerated packages.
    pub tolerated: Vec<String>,
    /// Every package, sorted by import path.
    pub packages: Vec<PackageReport>,
    /// The JUnit file written.
    pub junit: PathBuf,
    /// The log of every run.
    pub log: PathBuf,
}

impl TestReport {
    /// How many packages have this verdict.
    pub fn count(&self, v: Verdict) -> usize {
        self.packages.iter().filter(|p| p.verdict == v).count()
    }
}

/// How to test.
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Override `build.test.retries`.
    pub retries: Option<u32>,
    /// The output root (`out`).
    pub out_dir: PathBuf,
    /// Keep the working tree.
    pub keep_worktree: bool,
    /// How to materialize.
    pub verify: VerifyOptions,
    /// The `go` to run [default: `go` on PATH] (`--go`), checked like `klts build`'s.
    pub go: Option<PathBuf>,
}

/// Whether `package` is covered by a tolerated entry (`pkg`, `pkg/...`, or `./dir` relative
/// to `module`).
pub fn is_tolerated(package: &str, tolerated: &BTreeSet<String>, module: &str) -> bool {
    tolerated.iter().any(|t| {
        let t = match t.strip_prefix("./") {
            Some(rel) if !module.is_empty() => format!("{module}/{rel}"),
            _ => t.clone(),
        };
        match t.strip_suffix("/...") {
            Some(prefix) => package == prefix || package.starts_with(&format!("{prefix}/")),
            None => package == t,
        }
    })
}

/// The `module` line of `go.mod` in `dir`, or empty.
pub fn module_path(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("go.mod"))
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("module")
                    .filter(|r| r.starts_with([' ', '\t']))
                    .map(|r| r.trim().trim_matches('"').to_string())
            })
        })
        .unwrap_or_default()
}

/// `./relative/dir` of an import path under `module` (`.` for the module itself).
pub fn package_dir(package: &str, module: &str) -> Option<String> {
    if package == module {
        return Some(".".into());
    }
    package
        .strip_prefix(module)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|_| !module.is_empty())
        .map(|r| format!("./{r}"))
}

fn host_platform() -> Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        "x86" => "386",
        other => other,
    };
    Platform {
        os: std::env::consts::OS.to_string(),
        arch: arch.to_string(),
    }
}

/// Run the tests of `release`. `progress` gets one line per run.
pub fn test(
    ws: &Workspace,
    release: &str,
    options: &TestOptions,
    progress: &dyn Fn(&str),
) -> Result<TestReport, BuildError> {
    crate::build::check_release_name(release)?;
    if ws.manifest.release(release).is_none() {
        return Err(ForgeError::unknown_release(&ws.manifest, release).into());
    }
    let tolerated = ws
        .manifest
        .tolerated_test_failures(release)
        .map_err(|e| BuildError::Usage(format!("{}: {e}", ws.manifest.path.display())))?;
    // What every product needs, before anything is materialized or written.
    check_toolchain("")?;
    progress(&format!("materializing {release}"));
    // Materialized first: the product, and so the default test command, may come from the
    // upstream's go.mod in the mirror (see `crate::build::build`).
    let mut m = Materialized::new(ws, release, &options.verify)?;
    let planned = ws.build_config().map_err(BuildError::from).and_then(|cfg| {
        check_toolchain(&cfg.test.command.value)?;
        m.setup_go(ws, options.go.as_deref(), progress)?;
        Ok(cfg)
    });
    let cfg = match planned {
        Ok(cfg) => cfg,
        Err(e) => {
            // Nothing ran in the tree: it is no evidence to keep.
            m.remove();
            return Err(e);
        }
    };
    let cfg = &cfg;
    let retries = options.retries.unwrap_or(cfg.test.retries);
    let dest = options.out_dir.join(release).join("test");
    let staging = match Staging::new(&dest) {
        Ok(s) => s,
        Err(e) => {
            m.remove();
            return Err(e);
        }
    };
    let module = module_path(&m.worktree);
    let targets: Vec<String> = cfg.targets.iter().map(|t| t.value.clone()).collect();
    let base_env = m.env(cfg, &host_platform(), &targets);
    let log = staging.dir.join("test.log");

    let mut runs = 0u32;
    let mut first: Vec<PackageResult> = Vec::new();
    let mut latest: std::collections::BTreeMap<String, PackageResult> = Default::default();
    let mut attempts: std::collections::BTreeMap<String, u32> = Default::default();
    let mut first_failure: std::collections::BTreeMap<String, PackageResult> = Default::default();
    let mut retry: Vec<String> = Vec::new();
    loop {
        let mut env = base_env.clone();
        env.insert("KLTS_TEST_PACKAGES".into(), retry.join(" "));
        env.insert(
            "KLTS_TEST_DIRS".into(),
            retry
                .iter()
                .filter_map(|p| package_dir(p, &module))
                .collect::<Vec<_>>()
                .join(" "),
        );
        runs += 1;
        progress(&if retry.is_empty() {
            format!("testing {release}")
        } else {
            format!("retry {} of {retries}: {}", runs - 1, retry.join(" "))
        });
        let start = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let ran = run_logged(
            "test",
            &cfg.test.command.value,
            &m.worktree,
            &env,
            m.unset(),
            &log,
            cfg.test.timeout,
        );
        let ran = match ran {
            Ok(ran) => ran,
            Err(BuildError::Timeout { what, limit, .. }) => {
                // Keep the log of the run that was stopped.
                let kept =
                    staging.keep_as(&options.out_dir.join(format!(".failed-{release}-test")));
                return Err(BuildError::Timeout {
                    what,
                    limit,
                    log: kept.join("test.log"),
                });
            }
            Err(e) => return Err(e),
        };
        let bytes = std::fs::read(&log).map_err(io(&log))?;
        let text =
            String::from_utf8_lossy(&bytes[(start as usize).min(bytes.len())..]).into_owned();
        let results = gotest::parse(&text);
        let any_failed = results.iter().any(PackageResult::failed);
        if (!ran.success && !any_failed) || (results.is_empty() && retry.is_empty()) {
            let tail = tail(&log, 30);
            let kept = staging.keep_as(&options.out_dir.join(format!(".failed-{release}-test")));
            return Err(BuildError::CommandFailed {
                what: if results.is_empty() {
                    "test command (no `go test` results in its output)".into()
                } else {
                    "test command (it failed, but no package did)".into()
                },
                status: ran.status,
                log: kept.join("test.log"),
                tail,
                worktree: m.worktree.clone(),
            });
        }
        for r in results {
            *attempts.entry(r.package.clone()).or_default() += 1;
            if r.failed() && !first_failure.contains_key(&r.package) {
                first_failure.insert(r.package.clone(), r.clone());
            }
            if runs == 1 {
                first.push(r.clone());
            }
            latest.insert(r.package.clone(), r);
        }
        retry = latest
            .values()
            .filter(|r| r.failed() && !is_tolerated(&r.package, &tolerated, &module))
            .map(|r| r.package.clone())
            .collect();
        if retry.is_empty() || runs > retries {
            break;
        }
    }
    let packages: Vec<PackageReport> = latest
        .into_values()
        .map(|r| {
            let failed_before = first_failure.contains_key(&r.package);
            let verdict = if r.failed() && is_tolerated(&r.package, &tolerated, &module) {
                Verdict::Tolerated
            } else {
                match r.status {
                    PackageStatus::Pass if failed_before => Verdict::Flaky,
                    PackageStatus::Pass => Verdict::Pass,
                    PackageStatus::NoTests => Verdict::NoTests,
                    PackageStatus::Fail => Verdict::Fail,
                    PackageStatus::BuildFailed => Verdict::BuildFailed,
                }
            };
            PackageReport {
                package: r.package.clone(),
                verdict,
                attempts: attempts.get(&r.package).copied().unwrap_or(1),
                first_failure: first_failure.remove(&r.package),
                result: r,
            }
        })
        .collect();
    let mut report = TestReport {
        release: release.to_string(),
        passed: !packages.iter().any(|p| p.verdict.fails()),
        runs,
        tolerated: tolerated.into_iter().collect(),
        packages,
        junit: dest.join("junit.xml"),
        log: dest.join("test.log"),
    };
    let junit = staging.dir.join("junit.xml");
    let xml = crate::junit::render(&report).map_err(io(&junit))?;
    std::fs::write(&junit, xml).map_err(io(&junit))?;
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    let summary = staging.dir.join("summary.json");
    std::fs::write(&summary, json + "\n").map_err(io(&summary))?;
    staging.commit()?;
    if options.keep_worktree {
        report.log = dest.join("test.log");
    } else {
        m.remove();
    }
    let _ = std::fs::remove_dir_all(options.out_dir.join(format!(".failed-{release}-test")));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_matching() {
        let t: BTreeSet<String> = ["m/a", "m/b/...", "./c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(is_tolerated("m/a", &t, "m"));
        assert!(!is_tolerated("m/a/x", &t, "m"));
        assert!(is_tolerated("m/b", &t, "m"));
        assert!(is_tolerated("m/b/x/y", &t, "m"));
        assert!(!is_tolerated("m/bb", &t, "m"));
        assert!(is_tolerated("m/c", &t, "m"));
    }

    #[test]
    fn package_dirs() {
        assert_eq!(
            package_dir("example.com/kube/pkg/a", "example.com/kube").as_deref(),
            Some("./pkg/a")
        );
        assert_eq!(
            package_dir("example.com/kube", "example.com/kube").as_deref(),
            Some(".")
        );
        assert_eq!(package_dir("example.com/kubex", "example.com/kube"), None);
        assert_eq!(package_dir("x", ""), None);
    }

    #[test]
    fn module_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("go.mod"),
            "// c\nmodule example.com/kube\n\ngo 1.19\n",
        )
        .unwrap();
        assert_eq!(module_path(d.path()), "example.com/kube");
    }
}
