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

use crate::testrun::{PackageReport, TestReport, Verdict};
use std::fmt::Write;

/// Escape text for XML content and attribute values; characters XML 1.0 cannot carry
/// (control characters other than tab, newline, carriage return) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    body: String,
    failure: bool,
    error: bool,
    skipped: bool,
}

fn cases(p: &PackageReport) -> Vec<Case> {
    let r = &p.result;
    let case = |name: &str, body: String| Case {
        name: name.to_string(),
        body,
        failure: false,
        error: false,
        skipped: false,
    };
    match p.verdict {
        // No test files: an empty suite, not a test.
        Verdict::NoTests => Vec::new(),
        Verdict::Pass => {
            if r.passed_tests.is_empty() {
                vec![case("[package]", String::new())]
            } else {
                r.passed_tests
                    .iter()
                    .map(|t| case(t, String::new()))
                    .collect()
            }
        }
        Verdict::Flaky => {
            let note = format!(
                "<system-out>{}</system-out>",
                escape(&format!(
                    "flaky: failed on the first run, passed on attempt {}\n{}",
                    p.attempts,
                    p.first_failure
                        .as_ref()
                        .map(|f| f.output.as_str())
                        .unwrap_or("")
                ))
            );
            vec![case("[package]", note)]
        }
        Verdict::Tolerated => {
            let failing = p.first_failure.as_ref().unwrap_or(r);
            let names: Vec<&str> = failing
                .failed_tests
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            let mut c = case(
                "[package]",
                format!(
                    "<skipped message=\"{}\"/>",
                    escape(&format!(
                        "tolerated: test_failures_tolerated of the release chain lists this package (failing: {})",
                        if names.is_empty() { "the package".to_string() } else { names.join(", ") }
                    ))
                ),
            );
            c.skipped = true;
            vec![c]
        }
        Verdict::BuildFailed => {
            let mut c = case(
                "[build]",
                format!(
                    "<error message=\"the package does not build\" type=\"build-failed\">{}</error>",
                    escape(&r.output)
                ),
            );
            c.error = true;
            vec![c]
        }
        Verdict::Fail => {
            let last = r.failed_tests.len().saturating_sub(1);
            let mut out: Vec<Case> = r
                .failed_tests
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    // A panic ends the test binary: it belongs to the last test that failed.
                    let (kind, text) = match &r.panic {
                        Some(_) if i == last => ("panic", format!("{}{}", t.output, r.output)),
                        _ => ("test-failed", t.output.clone()),
                    };
                    let mut c = case(
                        &t.name,
                        format!(
                            "<failure message=\"{}\" type=\"{kind}\">{}</failure>",
                            escape(&format!("{} failed ({} attempts)", t.name, p.attempts)),
                            escape(&text)
                        ),
                    );
                    c.failure = true;
                    c
                })
                .collect();
            if out.is_empty() {
                let message = r
                    .panic
                    .clone()
                    .unwrap_or_else(|| "the package failed".to_string());
                let mut c = case(
                    "[package]",
                    format!(
                        "<failure message=\"{}\" type=\"{}\">{}</failure>",
                        escape(&message),
                        if r.panic.is_some() {
                            "panic"
                        } else {
                            "package-failed"
                        },
                        escape(&r.output)
                    ),
                );
                c.failure = true;
                out.push(c);
            }
            out
        }
    }
}

/// Render the report as JUnit XML.
pub fn render(report: &TestReport) -> String {
    let suites: Vec<(&PackageReport, Vec<Case>)> =
        report.packages.iter().map(|p| (p, cases(p))).collect();
    let count = |f: fn(&Case) -> bool| -> usize {
        suites
            .iter()
            .map(|(_, c)| c.iter().filter(|c| f(c)).count())
            .sum()
    };
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        escape(&format!("klts test {}", report.release)),
        count(|_| true),
        count(|c| c.failure),
        count(|c| c.error),
        count(|c| c.skipped),
    );
    for (p, cases) in &suites {
        let n = |f: fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(&p.package),
            cases.len(),
            n(|c| c.failure),
            n(|c| c.error),
            n(|c| c.skipped),
        );
        for c in cases {
            let attrs = format!(
                "name=\"{}\" classname=\"{}\"",
                escape(&c.name),
                escape(&p.package)
            );
            if c.body.is_empty() {
                let _ = writeln!(x, "    <testcase {attrs}/>");
            } else {
                let _ = writeln!(x, "    <testcase {attrs}>{}</testcase>", c.body);
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\td"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\td"
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn escaped_text_carries_no_markup(s in "\\PC{0,80}|[<>&\"'\u{0}-\u{1f}a-z]{0,40}") {
                let e = escape(&s);
                prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
                prop_assert!(!e.chars().any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')));
                // Every & starts an entity.
                for (i, _) in e.match_indices('&') {
                    let rest = &e[i..];
                    prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|x| rest.starts_with(x)));
                }
                // Unescaping gives the input back (control characters aside).
                let back = e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
                let want: String = s.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') { '\u{FFFD}' } else { c }).collect();
                prop_assert_eq!(back, want);
            }
        }
    }
}
