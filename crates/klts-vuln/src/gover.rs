//! Go-style semantic versions, as the Go vulnerability database and Go modules use them.
//!
//! A [`GoVersion`] is parsed from any of:
//!
//! * module versions: `v1.3.2`, `1.3.2`, `v1.21.0-rc.2`, `v2.0.0+incompatible`;
//! * pseudo-versions: `v0.0.0-20210226172049-e18ecbb05110`,
//!   `v1.2.4-0.20191109021931-daa7c04131f5` (ordinary pre-releases for ordering);
//! * Go's shorthand `v1` / `v1.16`, meaning `v1.0.0` / `v1.16.0`;
//! * Go toolchain names: `go1.15.10`, `go1.16` (→ `1.16.0`), `go1.21rc2` (→ `1.21.0-rc.2`),
//!   `go1.19beta1` (→ `1.19.0-beta.1`).
//!
//! # Ordering
//!
//! Semver precedence: `(major, minor, patch)` numerically, then a pre-release sorts before the
//! release, pre-release identifiers compare left to right (numeric identifiers numerically and
//! before alphanumeric ones, alphanumeric ones in ASCII order, a shorter list first). Build
//! metadata (`+incompatible`, `+meta`) is kept for display but ignored for ordering *and*
//! equality, so `v2.0.0+incompatible == v2.0.0` and [`Ord`] is consistent with [`Eq`].
//!
//! ```
//! use klts_vuln::gover::GoVersion;
//!
//! let rc = GoVersion::parse("go1.21rc2")?;
//! assert_eq!(rc, GoVersion::parse("v1.21.0-rc.2")?);
//! assert!(rc < GoVersion::parse("1.21.0")?);
//! assert!(GoVersion::parse("v0.0.0-20210226172049-e18ecbb05110")? < GoVersion::parse("v0.0.1")?);
//! # Ok::<(), klts_vuln::gover::GoVersionError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// A Go semantic version. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct GoVersion {
    major: u64,
    minor: u64,
    patch: u64,
    /// Pre-release identifiers (empty for a release).
    pre: Vec<Ident>,
    /// Build metadata after `+`, without the `+` (ignored for ordering).
    build: Option<String>,
}

/// A pre-release identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Ident {
    /// Digits only, without leading zeros (so any length compares correctly).
    Numeric(String),
    /// Anything else made of `[0-9A-Za-z-]`.
    Alpha(String),
}

impl Ident {
    fn as_str(&self) -> &str {
        match self {
            Ident::Numeric(s) | Ident::Alpha(s) => s,
        }
    }
}

impl Ord for Ident {
    fn cmp(&self, other: &Ident) -> Ordering {
        match (self, other) {
            (Ident::Numeric(a), Ident::Numeric(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Ident::Numeric(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Numeric(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Ident) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a string is not a [`GoVersion`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid Go version {input:?}: {reason}; expected [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD] such as v1.3.2, or a Go toolchain name such as go1.21.0 or go1.21rc2")]
pub struct GoVersionError {
    /// The rejected input.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> GoVersionError {
    GoVersionError {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Parses a decimal number without leading zeros.
fn number(input: &str, s: &str, what: &str) -> Result<u64, GoVersionError> {
    if s.is_empty() {
        return Err(err(input, format!("the {what} version is empty")));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            input,
            format!("the {what} version {s:?} is not a decimal number"),
        ));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(err(
            input,
            format!("the {what} version {s:?} has a leading zero"),
        ));
    }
    s.parse::<u64>()
        .map_err(|_| err(input, format!("the {what} version {s:?} is too large")))
}

fn identifiers(input: &str, s: &str, what: &str) -> Result<Vec<String>, GoVersionError> {
    let mut out = Vec::new();
    for id in s.split('.') {
        if id.is_empty() {
            return Err(err(input, format!("the {what} has an empty identifier")));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(err(
                input,
                format!("the {what} contains {c:?}, outside [0-9A-Za-z-]"),
            ));
        }
        out.push(id.to_string());
    }
    Ok(out)
}

fn prerelease(input: &str, s: &str) -> Result<Vec<Ident>, GoVersionError> {
    identifiers(input, s, "pre-release")?
        .into_iter()
        .map(|id| {
            if id.bytes().all(|b| b.is_ascii_digit()) {
                if id.len() > 1 && id.starts_with('0') {
                    Err(err(
                        input,
                        format!("the numeric pre-release identifier {id:?} has a leading zero"),
                    ))
                } else {
                    Ok(Ident::Numeric(id))
                }
            } else {
                Ok(Ident::Alpha(id))
            }
        })
        .collect()
}

impl GoVersion {
    /// A release version `MAJOR.MINOR.PATCH`.
    pub fn new(major: u64, minor: u64, patch: u64) -> GoVersion {
        GoVersion {
            major,
            minor,
            patch,
            pre: Vec::new(),
            build: None,
        }
    }

    /// Parses a module version (`v1.3.2`, `1.3.2`, `v1.21.0-rc.2`, pseudo-versions,
    /// `+incompatible`), Go's `v1.16` shorthand, or a Go toolchain name (`go1.21rc2`).
    pub fn parse(input: &str) -> Result<GoVersion, GoVersionError> {
        if input.is_empty() {
            return Err(err(input, "empty string"));
        }
        if input.chars().any(char::is_whitespace) {
            return Err(err(input, "contains whitespace"));
        }
        if let Some(rest) = input.strip_prefix("go") {
            return GoVersion::parse_toolchain(input, rest);
        }
        let s = input.strip_prefix('v').unwrap_or(input);
        let (s, build) = match s.split_once('+') {
            Some((s, b)) => {
                identifiers(input, b, "build metadata")?;
                (s, Some(b.to_string()))
            }
            None => (s, None),
        };
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, prerelease(input, pre)?),
            None => (s, Vec::new()),
        };
        let mut parts = core.split('.');
        let major = number(input, parts.next().unwrap_or(""), "major")?;
        let minor = parts.next().map_or(Ok(0), |p| number(input, p, "minor"))?;
        let patch = parts.next().map_or(Ok(0), |p| number(input, p, "patch"))?;
        if parts.next().is_some() {
            return Err(err(input, "more than three numeric components"));
        }
        Ok(GoVersion {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// `go1.21.0`, `go1.16`, `go1.21rc2`, `go1.19beta1`, `go1.9.2rc2`: the pre-release
    /// (`rc`, `beta`, `alpha` followed by a number) is written without a separator.
    fn parse_toolchain(input: &str, rest: &str) -> Result<GoVersion, GoVersionError> {
        let split = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (core, pre) = rest.split_at(split);
        let mut parts = core.split('.');
        let major = number(input, parts.next().unwrap_or(""), "major")?;
        let minor = parts.next().map_or(Ok(0), |p| number(input, p, "minor"))?;
        let patch = parts.next().map_or(Ok(0), |p| number(input, p, "patch"))?;
        if parts.next().is_some() {
            return Err(err(input, "more than three numeric components"));
        }
        let pre = if pre.is_empty() {
            Vec::new()
        } else {
            let digits = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
            let (label, n) = pre.split_at(digits);
            if !matches!(label, "alpha" | "beta" | "rc") {
                return Err(err(
                    input,
                    format!("unknown Go toolchain pre-release {pre:?} (expected alpha, beta or rc followed by a number)"),
                ));
            }
            let n = number(input, n, "pre-release")?;
            vec![
                Ident::Alpha(label.to_string()),
                Ident::Numeric(n.to_string()),
            ]
        };
        Ok(GoVersion {
            major,
            minor,
            patch,
            pre,
            build: None,
        })
    }

    /// The major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version.
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version.
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The pre-release (`rc.2`, `20210226172049-e18ecbb05110`), if any.
    pub fn prerelease(&self) -> Option<String> {
        if self.pre.is_empty() {
            None
        } else {
            Some(
                self.pre
                    .iter()
                    .map(Ident::as_str)
                    .collect::<Vec<_>>()
                    .join("."),
            )
        }
    }

    /// Whether this is a pre-release (including pseudo-versions).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The build metadata (`incompatible`), if any; it does not take part in ordering.
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }

    /// Whether `self` and `other` have the same major and minor versions.
    pub fn same_minor(&self, other: &GoVersion) -> bool {
        self.major == other.major && self.minor == other.minor
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &GoVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

impl Hash for GoVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Exactly the fields that take part in `Ord` (build metadata does not).
        self.major.hash(state);
        self.minor.hash(state);
        self.patch.hash(state);
        self.pre.hash(state);
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &GoVersion) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &GoVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    /// Canonical module form: `v1.21.0-rc.2`, `v2.0.0+incompatible`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = self.prerelease() {
            write!(f, "-{pre}")?;
        }
        if let Some(b) = &self.build {
            write!(f, "+{b}")?;
        }
        Ok(())
    }
}

impl FromStr for GoVersion {
    type Err = GoVersionError;

    fn from_str(s: &str) -> Result<GoVersion, GoVersionError> {
        GoVersion::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(s: &str) -> GoVersion {
        match GoVersion::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    #[test]
    fn parses_module_and_toolchain_forms() {
        assert_eq!(g("v1.3.2"), GoVersion::new(1, 3, 2));
        assert_eq!(g("1.3.2"), GoVersion::new(1, 3, 2));
        assert_eq!(g("1.16"), GoVersion::new(1, 16, 0));
        assert_eq!(g("v1"), GoVersion::new(1, 0, 0));
        assert_eq!(g("go1.16"), GoVersion::new(1, 16, 0));
        assert_eq!(g("go1.15.10"), GoVersion::new(1, 15, 10));
        assert_eq!(g("go1.21rc2"), g("1.21.0-rc.2"));
        assert_eq!(g("go1.21rc2").to_string(), "v1.21.0-rc.2");
        assert_eq!(g("go1.19beta1").to_string(), "v1.19.0-beta.1");
        assert_eq!(g("go1.9.2rc2").to_string(), "v1.9.2-rc.2");
        assert_eq!(g("1.21.0-rc.2").prerelease().as_deref(), Some("rc.2"));
        let pseudo = g("v0.0.0-20210226172049-e18ecbb05110");
        assert!(pseudo.is_prerelease());
        assert_eq!(
            pseudo.prerelease().as_deref(),
            Some("20210226172049-e18ecbb05110")
        );
        assert_eq!(pseudo.to_string(), "v0.0.0-20210226172049-e18ecbb05110");
        let inc = g("v2.0.0-rc1+incompatible");
        assert_eq!(inc.build(), Some("incompatible"));
        assert_eq!(inc.to_string(), "v2.0.0-rc1+incompatible");
        assert_eq!(inc, g("2.0.0-rc1"));
        assert_eq!(g("v1.2.3").major(), 1);
        assert_eq!(g("v1.2.3").minor(), 2);
        assert_eq!(g("v1.2.3").patch(), 3);
        assert!(g("1.21.3").same_minor(&g("go1.21rc2")));
        assert!(!g("1.21.3").same_minor(&g("1.22.0")));
    }

    #[test]
    fn ordering() {
        let sorted = [
            "v0.0.0-20190101000000-aaaaaaaaaaaa",
            "v0.0.0-20210226172049-e18ecbb05110",
            "v0.0.1",
            "1.16.0-0",
            "1.16.0-alpha",
            "1.16.0-alpha.1",
            "1.16.0-alpha.beta",
            "1.16.0-beta",
            "1.16.0-beta.2",
            "1.16.0-beta.11",
            "go1.16rc1",
            "1.16.0",
            "go1.16.1",
            "v1.16.10",
            "v2.0.0-rc1+incompatible",
            "v2.0.0+incompatible",
            "v10.0.0",
        ];
        for w in sorted.windows(2) {
            assert!(g(w[0]) < g(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(g("v2.0.0+incompatible").cmp(&g("2.0.0")), Ordering::Equal);
        assert_eq!(
            g("1.0.0-rc.99999999999999999999999").cmp(&g("1.0.0-rc.100000000000000000000000")),
            Ordering::Less
        );
    }

    #[test]
    fn errors_are_clear() {
        for s in [
            "",
            " 1.2.3",
            "1.2.3.4",
            "1..2",
            "v",
            "x1.2.3",
            "1.2.3-",
            "1.2.3-rc..1",
            "1.2.3+",
            "01.2.3",
            "1.02.3",
            "1.2.3-01",
            "go",
            "go1.21xx1",
            "go1.21rc",
            "1.2.3-é",
            "99999999999999999999.0.0",
            "V1.2.3",
            "-1.2.3",
        ] {
            assert!(GoVersion::parse(s).is_err(), "{s:?} should not parse");
        }
        let e = GoVersion::parse("1.02.3")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("\"1.02.3\"") && e.contains("leading zero"),
            "{e}"
        );
        let e = GoVersion::parse("go1.21xx1")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("toolchain pre-release"), "{e}");
    }

    fn version() -> impl Strategy<Value = GoVersion> {
        let ident = prop_oneof![
            (0u64..5).prop_map(|n| n.to_string()),
            "[1-9][0-9]{0,25}",
            "[a-zA-Z-][0-9A-Za-z-]{0,4}",
        ];
        (
            0u64..3,
            0u64..3,
            0u64..3,
            prop::collection::vec(ident, 0..3),
            prop::option::of("[a-z]{1,4}"),
        )
            .prop_map(|(ma, mi, pa, pre, build)| {
                let mut s = format!("{ma}.{mi}.{pa}");
                if !pre.is_empty() {
                    s.push('-');
                    s.push_str(&pre.join("."));
                }
                if let Some(b) = build {
                    s.push('+');
                    s.push_str(&b);
                }
                GoVersion::parse(&s).unwrap_or_else(|_| GoVersion::new(ma, mi, pa))
            })
    }

    proptest! {
        #[test]
        fn prop_total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            prop_assert_eq!(a.partial_cmp(&b), Some(a.cmp(&b)));
            if a <= b && b <= c { prop_assert!(a <= c); }
            if a < b && b < c { prop_assert!(a < c); }
        }

        #[test]
        fn prop_display_round_trips(a in version()) {
            let shown = a.to_string();
            let back = GoVersion::parse(&shown);
            prop_assert_eq!(back.as_ref().ok(), Some(&a));
            prop_assert_eq!(back.ok().and_then(|b| b.build().map(String::from)), a.build().map(String::from));
        }

        #[test]
        fn prop_prerelease_before_release(a in version()) {
            let release = GoVersion::new(a.major(), a.minor(), a.patch());
            prop_assert_eq!(a.is_prerelease(), a < release);
        }

        #[test]
        fn prop_parse_never_panics(s in any::<String>()) {
            let _ = GoVersion::parse(&s);
        }

        #[test]
        fn prop_parse_never_panics_near_versions(s in "(go|v)?[0-9]{1,3}(\\.[0-9]{0,3}){0,3}([-a-z]{0,3}[0-9.]{0,4})?(\\+[a-z.]{0,4})?") {
            if let Ok(a) = GoVersion::parse(&s) {
                prop_assert_eq!(GoVersion::parse(&a.to_string()).ok(), Some(a));
            }
        }
    }
}
