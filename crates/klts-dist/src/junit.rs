//! JUnit XML for `klts test`: one `<testsuite>` per Go package, one `<testcase>` per test.
//!
//! CI systems (GitHub Actions reporters, Jenkins, GitLab) read this format. Packages come in
//! import-path order and tests in output order, so the same results give the same bytes
//! (durations are not included for that reason).
//!
//! * a failed test is a `<testcase>` with a `<failure>` holding its output;
//! * a panic is the failure of the last test that failed (with the package's output), or,
//!   without a failed test, of a `[package]` case; a build failure is a `[package]` / `[build]` case with
//!   a `<failure>` / `<error>` holding the package's output;
//! * a tolerated failure is `<skipped message="tolerated …">`;
//! * a flaky package passes, with `<system-out>` saying on which attempt;
//! * a passing package whose tests are not listed (no `-v`) is one `[package]` case;
//! * a package without test files is an empty `<testsuite>`.
//!
//! The XML is written by `quick-junit` (the nextest authors' JUnit model): it owns the
//! format's details — escaping, dropping what XML 1.0 cannot carry and ANSI colour codes from
//! test output — and no times, timestamps or report UUID are set, so the output stays a
//! function of the results. This module only maps `klts test` verdicts to test cases.

use crate::testrun::{PackageReport, TestReport, Verdict};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// One test case of a package's suite.
fn case(package: &str, name: &str, status: TestCaseStatus) -> TestCase {
    let mut c = TestCase::new(name, status);
    c.set_classname(package);
    c
}

/// A failed (or errored) status with its message, type and the output as text.
fn non_success(kind: NonSuccessKind, message: &str, ty: &str, text: &str) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(kind);
    s.set_message(message).set_type(ty).set_description(text);
    s
}

fn cases(p: &PackageReport) -> Vec<TestCase> {
    let r = &p.result;
    let pkg = p.package.as_str();
    match p.verdict {
        // No test files: an empty suite, not a test.
        Verdict::NoTests => Vec::new(),
        Verdict::Pass => {
            if r.passed_tests.is_empty() {
                vec![case(pkg, "[package]", TestCaseStatus::success())]
            } else {
                r.passed_tests
                    .iter()
                    .map(|t| case(pkg, t, TestCaseStatus::success()))
                    .collect()
            }
        }
        Verdict::Flaky => {
            let mut c = case(pkg, "[package]", TestCaseStatus::success());
            c.set_system_out(format!(
                "flaky: failed on the first run, passed on attempt {}\n{}",
                p.attempts,
                p.first_failure
                    .as_ref()
                    .map(|f| f.output.as_str())
                    .unwrap_or("")
            ));
            vec![c]
        }
        Verdict::Tolerated => {
            let failing = p.first_failure.as_ref().unwrap_or(r);
            let names: Vec<&str> = failing
                .failed_tests
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "tolerated: test_failures_tolerated of the release chain lists this package (failing: {})",
                if names.is_empty() { "the package".to_string() } else { names.join(", ") }
            ));
            vec![case(pkg, "[package]", status)]
        }
        Verdict::BuildFailed => vec![case(
            pkg,
            "[build]",
            non_success(
                NonSuccessKind::Error,
                "the package does not build",
                "build-failed",
                &r.output,
            ),
        )],
        Verdict::Fail => {
            let last = r.failed_tests.len().saturating_sub(1);
            let mut out: Vec<TestCase> = r
                .failed_tests
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    // A panic ends the test binary: it belongs to the last test that failed.
                    let (kind, text) = match &r.panic {
                        Some(_) if i == last => ("panic", format!("{}{}", t.output, r.output)),
                        _ => ("test-failed", t.output.clone()),
                    };
                    let message = format!("{} failed ({} attempts)", t.name, p.attempts);
                    let status = non_success(NonSuccessKind::Failure, &message, kind, &text);
                    case(pkg, &t.name, status)
                })
                .collect();
            if out.is_empty() {
                let message = r
                    .panic
                    .clone()
                    .unwrap_or_else(|| "the package failed".to_string());
                let kind = if r.panic.is_some() {
                    "panic"
                } else {
                    "package-failed"
                };
                let status = non_success(NonSuccessKind::Failure, &message, kind, &r.output);
                out.push(case(pkg, "[package]", status));
            }
            out
        }
    }
}

/// Render the report as JUnit XML (no times or timestamps, so the same results give the same
/// bytes).
pub fn render(report: &TestReport) -> std::io::Result<String> {
    let mut junit = Report::new(format!("klts test {}", report.release));
    for p in &report.packages {
        let mut suite = TestSuite::new(p.package.as_str());
        suite.add_test_cases(cases(p));
        junit.add_test_suite(suite);
    }
    junit.to_string().map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gotest::{FailedTest, PackageResult, PackageStatus};
    use std::path::PathBuf;

    fn package(name: &str, verdict: Verdict, failed: &[(&str, &str)]) -> PackageReport {
        PackageReport {
            package: name.into(),
            verdict,
            attempts: 2,
            result: PackageResult {
                package: name.into(),
                status: PackageStatus::Fail,
                elapsed: String::new(),
                failed_tests: failed
                    .iter()
                    .map(|(n, o)| FailedTest {
                        name: n.to_string(),
                        output: o.to_string(),
                    })
                    .collect(),
                passed_tests: vec!["TestOk".into()],
                panic: None,
                output: "package output\n".into(),
            },
            first_failure: None,
        }
    }

    /// The report reads back as JUnit (quick-junit's own parser), with the counts CI shows,
    /// markup escaped, control characters and ANSI colours gone, and the same bytes each time.
    #[test]
    fn a_report_reads_back_with_its_counts_and_output() {
        let report = TestReport {
            release: "v1.0.1-lts.1".into(),
            passed: false,
            runs: 2,
            tolerated: vec![],
            packages: vec![
                package(
                    "example.com/a",
                    Verdict::Fail,
                    &[("TestX", "want <a> & \"b\"\u{1}\x1b[31mred\x1b[0m\n")],
                ),
                package("example.com/b", Verdict::Pass, &[]),
                package("example.com/c", Verdict::Tolerated, &[("TestY", "")]),
                package("example.com/d", Verdict::NoTests, &[]),
                package("example.com/e", Verdict::BuildFailed, &[]),
            ],
            junit: PathBuf::new(),
            log: PathBuf::new(),
        };
        let xml = render(&report).unwrap();
        assert_eq!(xml, render(&report).unwrap());
        assert!(
            xml.contains("want &lt;a&gt; &amp; &quot;b&quot;red"),
            "{xml}"
        );
        let back = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(
            back.name.as_ref().map(|n| n.as_str()),
            Some("klts test v1.0.1-lts.1")
        );
        assert_eq!(
            (back.tests, back.failures, back.errors, back.skipped),
            (4, 1, 1, 1)
        );
        let suites: Vec<(&str, usize)> = back
            .test_suites
            .iter()
            .map(|s| (s.name.as_str(), s.test_cases.len()))
            .collect();
        assert_eq!(
            suites,
            [
                ("example.com/a", 1),
                ("example.com/b", 1),
                ("example.com/c", 1),
                ("example.com/d", 0),
                ("example.com/e", 1)
            ]
        );
        match &back.test_suites[0].test_cases[0].status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ty,
                description,
                ..
            } => {
                assert_eq!(ty.as_ref().unwrap().as_str(), "test-failed");
                // (The reader trims the trailing newline.)
                assert_eq!(
                    description.as_ref().unwrap().as_str().trim_end(),
                    "want <a> & \"b\"red"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
