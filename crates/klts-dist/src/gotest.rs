//! A parser of `go test` output (plain or `-v`, not `-json`), as printed by `go test ./...` or
//! by Kubernetes' `make test`.
//!
//! Recognized lines (tabs shown as spaces):
//!
//! ```text
//! ok      example.com/kube/pkg/a    0.01s            package passed ("(cached)" too)
//! FAIL    example.com/kube/pkg/b    0.02s            package failed
//! FAIL    example.com/kube/pkg/c [build failed]    package did not compile (also [setup failed])
//! ?       example.com/kube/pkg/d    [no test files]  nothing to run
//! --- FAIL: TestX (0.00s)                          a failed test; subtests are indented by 4
//!     --- FAIL: TestX/case (0.00s)
//!         x_test.go:9: message                     its output: lines indented deeper
//! --- PASS: TestY (0.00s)                          with -v
//! panic: boom                                      the package's test binary panicked
//! ```
//!
//! Lines before a package's result line belong to that package (`go test` prints each
//! package's output in one block, ending with its result line). Anything else is kept as
//! output and otherwise ignored; the parser never fails.

use serde::Serialize;

/// The outcome of one package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageStatus {
    /// `ok`.
    Pass,
    /// `FAIL pkg 0.02s`.
    Fail,
    /// `FAIL pkg [build failed]` or `[setup failed]`.
    BuildFailed,
    /// `? pkg [no test files]`.
    NoTests,
}

/// A test that failed, with its output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedTest {
    /// `TestX` or `TestX/subtest`.
    pub name: String,
    /// The lines printed under its `--- FAIL:` line, unindented.
    pub output: String,
}

/// The result of one package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageResult {
    /// The import path.
    pub package: String,
    /// Pass, fail, build failure, no tests.
    pub status: PackageStatus,
    /// `0.01s`, `(cached)`, or empty.
    pub elapsed: String,
    /// Tests that failed (subtests included), in output order.
    pub failed_tests: Vec<FailedTest>,
    /// Tests that passed (only known with `-v`).
    pub passed_tests: Vec<String>,
    /// The first `panic:` line, when the test binary panicked.
    pub panic: Option<String>,
    /// The package's whole output block (for failure reports).
    pub output: String,
}

impl PackageResult {
    /// Whether the package counts as failing (a failed test, a panic or a build failure).
    pub fn failed(&self) -> bool {
        matches!(
            self.status,
            PackageStatus::Fail | PackageStatus::BuildFailed
        )
    }
}

/// Bound on the output kept per package, so that a runaway test cannot exhaust memory.
const MAX_OUTPUT: usize = 64 * 1024;

fn push_bounded(buf: &mut String, line: &str) {
    if buf.len() < MAX_OUTPUT {
        let room = MAX_OUTPUT - buf.len();
        if line.len() < room {
            buf.push_str(line);
            buf.push('\n');
        } else {
            let mut cut = room;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            buf.push_str(&line[..cut]);
            buf.push_str("\n[output truncated]\n");
        }
    }
}

fn is_import_path(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.starts_with('[')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"./_-~+".contains(&b))
}

fn is_elapsed(s: &str) -> bool {
    if s == "(cached)" {
        return true;
    }
    let Some(num) = s.strip_suffix('s') else {
        return false;
    };
    !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && num.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// A package result line: (status, package, elapsed).
fn result_line(line: &str) -> Option<(PackageStatus, &str, &str)> {
    let mut words = line.split_whitespace();
    let head = words.next()?;
    let pkg = words.next()?;
    if !is_import_path(pkg) || line.starts_with(char::is_whitespace) {
        return None;
    }
    let third = words.next().unwrap_or("");
    let rest_has = |s: &str| line.contains(s);
    match head {
        "ok" if is_elapsed(third) => Some((PackageStatus::Pass, pkg, third)),
        "FAIL" if rest_has("[build failed]") || rest_has("[setup failed]") => {
            Some((PackageStatus::BuildFailed, pkg, ""))
        }
        "FAIL" if is_elapsed(third) => Some((PackageStatus::Fail, pkg, third)),
        "?" if rest_has("[no test files]") => Some((PackageStatus::NoTests, pkg, "")),
        _ => None,
    }
}

/// `--- FAIL: TestX (0.00s)` → (indent, verdict, name).
fn test_line(line: &str) -> Option<(usize, &str, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = line[indent..].strip_prefix("--- ")?;
    let (verdict, rest) = rest.split_once(": ")?;
    if !matches!(verdict, "FAIL" | "PASS" | "SKIP") {
        return None;
    }
    let name = match rest.rfind(" (") {
        Some(i) => &rest[..i],
        None => rest,
    }
    .trim();
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some((indent, verdict, name))
}

/// Parse `go test` output into package results, in the order their result lines appear.
/// A package reported twice (a retry in the same log) keeps its last result.
pub fn parse(text: &str) -> Vec<PackageResult> {
    let mut results: Vec<PackageResult> = Vec::new();
    let mut block = String::new();
    let mut failed: Vec<FailedTest> = Vec::new();
    let mut passed: Vec<String> = Vec::new();
    let mut panic: Option<String> = None;
    // The failed test whose output is being collected, with the indentation of its marker.
    let mut current: Option<(usize, usize)> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some((status, pkg, elapsed)) = result_line(line) {
            let result = PackageResult {
                package: pkg.to_string(),
                status,
                elapsed: elapsed.to_string(),
                failed_tests: std::mem::take(&mut failed),
                passed_tests: std::mem::take(&mut passed),
                panic: panic.take(),
                output: std::mem::take(&mut block),
            };
            current = None;
            results.retain(|r| r.package != result.package);
            results.push(result);
            continue;
        }
        push_bounded(&mut block, line);
        if let Some((indent, verdict, name)) = test_line(line) {
            current = None;
            match verdict {
                "FAIL" => {
                    failed.push(FailedTest {
                        name: name.to_string(),
                        output: String::new(),
                    });
                    current = Some((failed.len() - 1, indent));
                }
                "PASS" => passed.push(name.to_string()),
                _ => {}
            }
            continue;
        }
        if panic.is_none() && line.starts_with("panic: ") {
            panic = Some(line.to_string());
        }
        if let Some((i, indent)) = current {
            let own = line.len() - line.trim_start_matches([' ', '\t']).len();
            if own > indent && !line.trim().is_empty() {
                let text = line.get(indent + 4..).unwrap_or(line.trim_start());
                push_bounded(&mut failed[i].output, text);
            } else if !line.trim().is_empty() {
                current = None;
            }
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
?   \texample.com/kube/cmd/kubectl\t[no test files]
ok  \texample.com/kube/pkg/good\t0.003s
--- FAIL: TestAlways (0.00s)
    always_test.go:6: always fails
    second line
--- FAIL: TestTable (0.00s)
    --- FAIL: TestTable/case_b (0.00s)
        table_test.go:12: want 2, got 3
FAIL
FAIL\texample.com/kube/pkg/always\t0.004s
--- FAIL: TestPanics (0.00s)
panic: boom [recovered]
\tpanic: boom

goroutine 7 [running]:
FAIL\texample.com/kube/pkg/panics\t0.005s
# example.com/kube/pkg/broken [example.com/kube/pkg/broken.test]
pkg/broken/broken.go:3:9: undefined: nope
FAIL\texample.com/kube/pkg/broken [build failed]
ok  \texample.com/kube/pkg/cached\t(cached)
FAIL
";

    #[test]
    fn parses_every_kind_of_line() {
        let r = parse(SAMPLE);
        let got: Vec<(&str, PackageStatus)> =
            r.iter().map(|p| (p.package.as_str(), p.status)).collect();
        assert_eq!(
            got,
            [
                ("example.com/kube/cmd/kubectl", PackageStatus::NoTests),
                ("example.com/kube/pkg/good", PackageStatus::Pass),
                ("example.com/kube/pkg/always", PackageStatus::Fail),
                ("example.com/kube/pkg/panics", PackageStatus::Fail),
                ("example.com/kube/pkg/broken", PackageStatus::BuildFailed),
                ("example.com/kube/pkg/cached", PackageStatus::Pass),
            ]
        );
        let always = &r[2];
        let names: Vec<&str> = always
            .failed_tests
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["TestAlways", "TestTable", "TestTable/case_b"]);
        assert_eq!(
            always.failed_tests[0].output,
            "always_test.go:6: always fails\nsecond line\n"
        );
        assert_eq!(
            always.failed_tests[2].output,
            "table_test.go:12: want 2, got 3\n"
        );
        assert_eq!(always.elapsed, "0.004s");
        assert_eq!(r[3].panic.as_deref(), Some("panic: boom [recovered]"));
        assert!(r[4].output.contains("undefined: nope"));
        assert_eq!(r[5].elapsed, "(cached)");
    }

    #[test]
    fn verbose_output_lists_passing_tests() {
        let text = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    b_test.go:3: log\n--- SKIP: TestB (0.00s)\nPASS\nok  \tm/p\t0.01s\n";
        let r = parse(text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].passed_tests, ["TestA"]);
        assert!(r[0].failed_tests.is_empty());
    }

    #[test]
    fn look_alikes_are_not_results() {
        let text = "ok computer\nFAIL this is prose\n    ok  \tm/p\t0.1s\n? what\nFAIL\texample.com/x\t0.1s\n";
        let r = parse(text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].package, "example.com/x");
    }

    #[test]
    fn retried_package_keeps_its_last_result() {
        let r = parse("FAIL\tm/p\t0.1s\nok  \tm/p\t0.1s\n");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].status, PackageStatus::Pass);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        struct Pkg {
            name: String,
            status: PackageStatus,
            failed: Vec<(String, Vec<String>)>,
        }

        fn pkg() -> impl Strategy<Value = Pkg> {
            (
                "[a-z]{1,6}(/[a-z0-9_]{1,6}){0,3}",
                prop_oneof![
                    Just(PackageStatus::Pass),
                    Just(PackageStatus::Fail),
                    Just(PackageStatus::BuildFailed),
                    Just(PackageStatus::NoTests)
                ],
                proptest::collection::vec(
                    (
                        "Test[A-Z][a-z]{0,6}(/[a-z_]{1,5})?",
                        proptest::collection::vec(
                            "[a-z]{1,8}_test\\.go:[0-9]{1,3}: [ -~]{0,20}",
                            0..3,
                        ),
                    ),
                    1..4,
                ),
            )
                .prop_map(|(name, status, failed)| Pkg {
                    name: format!("example.com/{name}"),
                    status,
                    failed,
                })
        }

        fn render(p: &Pkg) -> String {
            match p.status {
                PackageStatus::Pass => format!("ok  \t{}\t0.01s\n", p.name),
                PackageStatus::NoTests => format!("?   \t{}\t[no test files]\n", p.name),
                PackageStatus::BuildFailed => {
                    format!(
                        "# {}\nx.go:1:1: syntax error\nFAIL\t{} [build failed]\n",
                        p.name, p.name
                    )
                }
                PackageStatus::Fail => {
                    let mut s = String::new();
                    for (t, lines) in &p.failed {
                        s.push_str(&format!("--- FAIL: {t} (0.00s)\n"));
                        for l in lines {
                            s.push_str(&format!("    {l}\n"));
                        }
                    }
                    s.push_str(&format!(
                        "FAIL\n{}",
                        format_args!("FAIL\t{}\t0.02s\n", p.name)
                    ));
                    s
                }
            }
        }

        proptest! {
            #[test]
            fn garbage_never_panics(s in "\\PC{0,400}") {
                let _ = parse(&s);
            }

            #[test]
            fn interleaved_garbage_never_panics(lines in proptest::collection::vec(prop_oneof![
                "\\PC{0,30}",
                "(ok|FAIL|\\?) {0,3}\t?[a-z./]{0,10}\t?[0-9.]{0,4}s?",
                " {0,8}--- (FAIL|PASS|SKIP): [A-Za-z/ ]{0,10}( \\([0-9.]{0,4}s\\))?",
                "panic: [ -~]{0,10}",
            ], 0..40)) {
                let _ = parse(&lines.join("\n"));
            }

            #[test]
            fn generated_output_round_trips(pkgs in proptest::collection::vec(pkg(), 0..8)) {
                // Distinct package names: a repeated name keeps only its last result.
                let mut seen = std::collections::BTreeSet::new();
                let pkgs: Vec<Pkg> = pkgs.into_iter().filter(|p| seen.insert(p.name.clone())).collect();
                let text: String = pkgs.iter().map(render).collect();
                let r = parse(&text);
                prop_assert_eq!(r.len(), pkgs.len());
                for (got, want) in r.iter().zip(&pkgs) {
                    prop_assert_eq!(&got.package, &want.name);
                    prop_assert_eq!(got.status, want.status);
                    if want.status == PackageStatus::Fail {
                        prop_assert_eq!(got.failed_tests.len(), want.failed.len());
                        for (g, (name, lines)) in got.failed_tests.iter().zip(&want.failed) {
                            prop_assert_eq!(&g.name, name);
                            prop_assert_eq!(g.output.lines().count(), lines.len());
                        }
                    } else {
                        prop_assert!(got.failed_tests.is_empty());
                    }
                }
            }
        }
    }
}
