//! Kubernetes-style versions and the ordering an LTS user means.
//!
//! A [`Version`] is `[v]MAJOR.MINOR.PATCH[-SUFFIX]`, for example `v1.17.17`, `1.17.17`,
//! `v1.20.0-alpha.1`, `v1.17.17-ci`, `v1.17.17-lts.3` or `v1.18.20-dce.1`. The suffix is a
//! dot-separated list of non-empty identifiers made of `[0-9A-Za-z-]`. Build metadata
//! (`+...`) is rejected: Kubernetes tags never carry it and accepting it silently would make
//! two different tags compare equal.
//!
//! # Ordering
//!
//! Plain semver treats *every* suffix as a pre-release, so `1.17.17-lts.1 < 1.17.17`. That is
//! exactly backwards for an LTS program: `v1.17.17-lts.1` is built *on top of* the upstream
//! `v1.17.17` tag, carrying back-ported fixes, and must sort after it (and before the next
//! upstream patch, `v1.17.18`). The ordering implemented here is therefore:
//!
//! 1. `(major, minor, patch)` numerically.
//! 2. The suffix class: **pre** < **none** < **post**. A suffix is *pre* when its first
//!    identifier is (case-insensitively) `alpha`, `beta` or `rc` — the upstream pre-releases
//!    that come before the plain tag. Every other suffix (`ci`, `lts`, `dce`, any vendor
//!    label) is *post*: a build derived from the plain tag.
//! 3. Within *pre*: `alpha` < `beta` < `rc`, then the remaining identifiers semver-style.
//! 4. Within *post*: the label `ci` sorts before every other label, because `-ci` is the
//!    build-fix stage (the upstream tag made buildable with today's toolchain) that the
//!    `-lts.N` releases are based on. Other labels compare lexicographically (ASCII), then the
//!    remaining identifiers semver-style.
//!
//! "Semver-style" means: numeric identifiers compare as numbers (of any length — they are
//! compared by digit count after stripping leading zeros, then lexicographically, so nothing
//! overflows), a numeric identifier sorts before an alphanumeric one, alphanumeric identifiers
//! compare lexicographically (ASCII), and a list that is a prefix of another sorts first.
//!
//! This is why the ordering is written here rather than taken from the `semver` crate, whose
//! `Ord` is the pre-release rule above.
//!
//! Hence `1.17.17-rc.1 < 1.17.17 < 1.17.17-ci < 1.17.17-dce.1 < 1.17.17-lts.1 <
//! 1.17.17-lts.2 < 1.17.17-lts.10 < 1.17.18-alpha.1 < 1.17.18`.
//!
//! Equality is structural on the canonical form (the leading `v` is not part of it, so
//! `1.17.17 == v1.17.17`). Suffixes that the rules above cannot tell apart but that are spelled
//! differently (`lts.1` and `lts.01`, `RC.1` and `rc.1`) are ordered by their raw text as a
//! final tie-break, so [`Ord`] is a total order consistent with [`Eq`] and [`Hash`].
//!
//! ```
//! use klts_core::version::Version;
//!
//! let upstream: Version = "v1.17.17".parse()?;
//! let lts = Version::parse("1.17.17-lts.3")?;
//! assert!(upstream < lts);
//! assert!(lts < Version::parse("v1.17.18")?);
//! assert_eq!(lts.to_string(), "v1.17.17-lts.3");
//! assert_eq!(lts.base(), upstream);
//! assert_eq!(lts.lts_number(), Some(3));
//! # Ok::<(), klts_core::version::VersionError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Kubernetes-style version: `v1.17.17`, `v1.20.0-alpha.1`, `v1.17.17-lts.3`, ...
///
/// Parse with [`Version::parse`] or [`str::parse`]; display is canonical (always with a
/// leading `v`). See the [module documentation](self) for the ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    /// The text after `-`, validated: non-empty dot-separated identifiers of `[0-9A-Za-z-]`.
    suffix: Option<String>,
}

/// A release line `MAJOR.MINOR`, such as `1.17`. Displays as `1.17`; parses `1.17` or `v1.17`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinorLine {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
}

/// Why a string is not a [`Version`] or a [`MinorLine`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The input was the empty string.
    #[error("invalid version \"\": empty string; expected MAJOR.MINOR.PATCH such as v1.17.17 or v1.17.17-lts.3")]
    Empty,
    /// The input contains whitespace (leading, trailing or inside).
    #[error("invalid version {input:?}: contains whitespace; expected MAJOR.MINOR.PATCH such as v1.17.17 or v1.17.17-lts.3 with no spaces")]
    Whitespace {
        /// The rejected input.
        input: String,
    },
    /// The input carries semver build metadata (`+...`), which Kubernetes versions never use.
    #[error("invalid version {input:?}: build metadata (\"+...\") is not supported; expected MAJOR.MINOR.PATCH[-SUFFIX] such as v1.17.17 or v1.17.17-lts.3")]
    BuildMetadata {
        /// The rejected input.
        input: String,
    },
    /// The input is not `[v]MAJOR.MINOR.PATCH[-SUFFIX]` (missing or non-numeric components).
    #[error(
        "invalid version {input:?}: expected MAJOR.MINOR.PATCH such as v1.17.17 or v1.17.17-lts.3"
    )]
    Malformed {
        /// The rejected input.
        input: String,
    },
    /// A numeric component has a leading zero (`1.07.1`).
    #[error("invalid version {input:?}: the {component} version has a leading zero; expected decimal numbers without leading zeros such as v1.17.17")]
    LeadingZero {
        /// The rejected input.
        input: String,
        /// Which component: `major`, `minor` or `patch`.
        component: &'static str,
    },
    /// A numeric component does not fit in a `u64`.
    #[error("invalid version {input:?}: the {component} version is too large; expected a number no greater than 18446744073709551615")]
    Overflow {
        /// The rejected input.
        input: String,
        /// Which component: `major`, `minor` or `patch`.
        component: &'static str,
    },
    /// The suffix after `-` is empty, has an empty identifier or a character outside `[0-9A-Za-z-]`.
    #[error("invalid version {input:?}: {reason}; expected a suffix of dot-separated identifiers made of [0-9A-Za-z-], such as v1.17.17-lts.3 or v1.20.0-alpha.1")]
    InvalidSuffix {
        /// The rejected input.
        input: String,
        /// What is wrong with the suffix.
        reason: String,
    },
    /// The input is not a `[v]MAJOR.MINOR` release line.
    #[error("invalid minor line {input:?}: expected MAJOR.MINOR such as 1.17 or v1.17")]
    InvalidMinorLine {
        /// The rejected input.
        input: String,
    },
}

/// The sort key of a suffix's first identifier (or of its absence), in ascending order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage<'a> {
    /// `-alpha...`: upstream pre-release.
    Alpha,
    /// `-beta...`: upstream pre-release.
    Beta,
    /// `-rc...`: upstream release candidate.
    Rc,
    /// No suffix: the plain upstream tag.
    Release,
    /// `-ci...`: the build-fix stage that LTS releases are based on.
    Ci,
    /// Any other label (`lts`, `dce`, vendor labels), ordered by the label's ASCII text.
    Post(&'a str),
}

impl Version {
    /// A version without suffix, `vMAJOR.MINOR.PATCH`.
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            suffix: None,
        }
    }

    /// Parses `[v]MAJOR.MINOR.PATCH[-SUFFIX]`.
    ///
    /// Components are decimal `u64`s without leading zeros (except `0` itself); the suffix is
    /// a dot-separated list of non-empty identifiers made of `[0-9A-Za-z-]`. Whitespace, build
    /// metadata (`+...`), missing components and overflowing numbers are errors.
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        if s.is_empty() {
            return Err(VersionError::Empty);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(VersionError::Whitespace {
                input: s.to_owned(),
            });
        }
        if s.contains('+') {
            return Err(VersionError::BuildMetadata {
                input: s.to_owned(),
            });
        }
        let body = s.strip_prefix('v').unwrap_or(s);
        let (core, suffix) = match body.split_once('-') {
            Some((core, suffix)) => (core, Some(suffix)),
            None => (body, None),
        };

        let mut parts = core.split('.');
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VersionError::Malformed {
                input: s.to_owned(),
            });
        };
        let major = parse_component(s, major, "major")?;
        let minor = parse_component(s, minor, "minor")?;
        let patch = parse_component(s, patch, "patch")?;

        let suffix = match suffix {
            None => None,
            Some(suffix) => {
                validate_suffix(s, suffix)?;
                Some(suffix.to_owned())
            }
        };
        Ok(Version {
            major,
            minor,
            patch,
            suffix,
        })
    }

    /// The major version (`1` in `v1.17.17`).
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version (`17` in `v1.17.17`).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version (`17` in `v1.17.17`).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The text after `-`, if any (`lts.3` in `v1.17.17-lts.3`).
    pub fn suffix(&self) -> Option<&str> {
        self.suffix.as_deref()
    }

    /// The release line this version belongs to (`1.17` for `v1.17.17-lts.3`).
    pub fn line(&self) -> MinorLine {
        MinorLine {
            major: self.major,
            minor: self.minor,
        }
    }

    /// The same `MAJOR.MINOR.PATCH` without suffix (`v1.17.17` for `v1.17.17-lts.3`).
    pub fn base(&self) -> Version {
        Version::new(self.major, self.minor, self.patch)
    }

    /// Whether both versions have the same `MAJOR.MINOR.PATCH`, ignoring suffixes.
    pub fn same_xyz(&self, other: &Version) -> bool {
        (self.major, self.minor, self.patch) == (other.major, other.minor, other.patch)
    }

    /// Whether this is an upstream pre-release: the suffix's first identifier is
    /// (case-insensitively) `alpha`, `beta` or `rc`, so it sorts before the plain tag.
    pub fn is_prerelease(&self) -> bool {
        matches!(self.stage(), Stage::Alpha | Stage::Beta | Stage::Rc)
    }

    /// `N` when the suffix is exactly `lts.N` (label case-insensitive, `N` a decimal `u64`).
    pub fn lts_number(&self) -> Option<u64> {
        let (label, rest) = self.suffix.as_deref()?.split_once('.')?;
        if !label.eq_ignore_ascii_case("lts") || !is_numeric(rest) {
            return None;
        }
        rest.parse().ok()
    }

    /// The first suffix identifier, classified for ordering.
    fn stage(&self) -> Stage<'_> {
        let Some(suffix) = self.suffix.as_deref() else {
            return Stage::Release;
        };
        let label = suffix.split_once('.').map_or(suffix, |(label, _)| label);
        if label.eq_ignore_ascii_case("alpha") {
            Stage::Alpha
        } else if label.eq_ignore_ascii_case("beta") {
            Stage::Beta
        } else if label.eq_ignore_ascii_case("rc") {
            Stage::Rc
        } else if label.eq_ignore_ascii_case("ci") {
            Stage::Ci
        } else {
            Stage::Post(label)
        }
    }

    /// The suffix identifiers after the first one.
    fn rest_identifiers(&self) -> impl Iterator<Item = &str> {
        self.suffix
            .as_deref()
            .and_then(|s| s.split_once('.'))
            .map(|(_, rest)| rest)
            .into_iter()
            .flat_map(|rest| rest.split('.'))
    }
}

/// Parses one numeric component of `input`, rejecting non-digits, leading zeros and overflow.
fn parse_component(input: &str, part: &str, component: &'static str) -> Result<u64, VersionError> {
    if !is_numeric(part) {
        return Err(VersionError::Malformed {
            input: input.to_owned(),
        });
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(VersionError::LeadingZero {
            input: input.to_owned(),
            component,
        });
    }
    part.parse().map_err(|_| VersionError::Overflow {
        input: input.to_owned(),
        component,
    })
}

/// Checks that `suffix` is non-empty dot-separated identifiers of `[0-9A-Za-z-]`.
fn validate_suffix(input: &str, suffix: &str) -> Result<(), VersionError> {
    let invalid = |reason: String| VersionError::InvalidSuffix {
        input: input.to_owned(),
        reason,
    };
    if suffix.is_empty() {
        return Err(invalid("the suffix after '-' is empty".to_owned()));
    }
    for ident in suffix.split('.') {
        if ident.is_empty() {
            return Err(invalid(format!(
                "the suffix {suffix:?} has an empty identifier"
            )));
        }
        if let Some(c) = ident
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(invalid(format!(
                "the suffix {suffix:?} contains the character {c:?}"
            )));
        }
    }
    Ok(())
}

/// Whether `s` is a non-empty string of ASCII digits.
fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compares two identifiers semver-style: numeric ones by value (any length), numeric before
/// alphanumeric, alphanumeric ones lexicographically (ASCII).
fn cmp_identifier(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => {
            let a = a.trim_start_matches('0');
            let b = b.trim_start_matches('0');
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Compares identifier lists element-wise with [`cmp_identifier`]; a proper prefix sorts first.
fn cmp_identifiers<'a>(
    mut a: impl Iterator<Item = &'a str>,
    mut b: impl Iterator<Item = &'a str>,
) -> Ordering {
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match cmp_identifier(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| self.stage().cmp(&other.stage()))
            .then_with(|| cmp_identifiers(self.rest_identifiers(), other.rest_identifiers()))
            // Final tie-break on the raw text keeps Ord consistent with structural Eq.
            .then_with(|| self.suffix.cmp(&other.suffix))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(suffix) = &self.suffix {
            write!(f, "-{suffix}")?;
        }
        Ok(())
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Version::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl MinorLine {
    /// The release line `major.minor`.
    pub fn new(major: u64, minor: u64) -> MinorLine {
        MinorLine { major, minor }
    }
}

impl fmt::Display for MinorLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for MinorLine {
    type Err = VersionError;

    /// Parses `MAJOR.MINOR` or `vMAJOR.MINOR` (decimal, no leading zeros, no whitespace).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || VersionError::InvalidMinorLine {
            input: s.to_owned(),
        };
        let body = s.strip_prefix('v').unwrap_or(s);
        let (major, minor) = body.split_once('.').ok_or_else(invalid)?;
        let number = |part: &str| -> Result<u64, VersionError> {
            if !is_numeric(part) || (part.len() > 1 && part.starts_with('0')) {
                return Err(invalid());
            }
            part.parse().map_err(|_| invalid())
        };
        Ok(MinorLine {
            major: number(major)?,
            minor: number(minor)?,
        })
    }
}

impl serde::Serialize for MinorLine {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MinorLine {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    /// Asserts that `chain` is strictly increasing in every pair, and that sorting any
    /// rotation/reversal of it gives it back.
    fn assert_strict_chain(chain: &[&str]) {
        let versions: Vec<Version> = chain.iter().map(|s| v(s)).collect();
        for i in 0..versions.len() {
            for j in 0..versions.len() {
                assert_eq!(
                    versions[i].cmp(&versions[j]),
                    i.cmp(&j),
                    "{} vs {}",
                    versions[i],
                    versions[j]
                );
            }
        }
        let mut reversed = versions.clone();
        reversed.reverse();
        reversed.sort();
        assert_eq!(reversed, versions);
        let mut rotated = versions.clone();
        rotated.rotate_left(versions.len() / 2);
        rotated.sort();
        assert_eq!(rotated, versions);
    }

    #[test]
    fn lts_chain() {
        assert_strict_chain(&[
            "1.17.17-rc.1",
            "1.17.17",
            "1.17.17-ci",
            "1.17.17-dce.1",
            "1.17.17-lts.1",
            "1.17.17-lts.2",
            "1.17.17-lts.10",
            "1.17.18-alpha.1",
            "1.17.18",
        ]);
    }

    #[test]
    fn prerelease_chain() {
        assert_strict_chain(&[
            "1.20.0-alpha.1",
            "1.20.0-alpha.2",
            "1.20.0-beta.0",
            "1.20.0-rc.0",
            "1.20.0",
        ]);
    }

    #[test]
    fn more_ordering() {
        assert_strict_chain(&[
            "v0.0.0",
            "v0.0.1",
            "v0.1.0",
            "v1.9.9",
            "v1.10.0-alpha",
            "v1.10.0-alpha.1",
            "v1.10.0-alpha.1.1",
            "v1.10.0-alpha.2",
            "v1.10.0-alpha.10",
            "v1.10.0-alpha.x",
            "v1.10.0-beta",
            "v1.10.0-rc.1",
            "v1.10.0",
            "v1.10.0-ci",
            "v1.10.0-ci.1",
            "v1.10.0-ci.2",
            "v1.10.0-abc",
            "v1.10.0-lts",
            "v1.10.0-lts.1",
            "v1.10.0-lts.1.1",
            "v1.10.0-lts.99999999999999999999999999",
            "v1.10.0-lts.100000000000000000000000000",
            "v1.10.0-lts.a",
            "v1.10.0-vendor.1",
            "v1.10.1",
            "v2.0.0",
            "v18446744073709551615.0.0",
        ]);
    }

    #[test]
    fn case_insensitive_classes() {
        assert!(v("1.17.17-RC.1").is_prerelease());
        assert!(v("1.17.17-Alpha.1") < v("1.17.17-beta.0"));
        assert!(v("1.17.17-CI") < v("1.17.17-dce"));
        assert!(v("1.17.17-RC.1") < v("1.17.17"));
        // Same semantic key, different spelling: not equal, but consistently ordered.
        let (a, b) = (v("1.17.17-RC.1"), v("1.17.17-rc.1"));
        assert_ne!(a, b);
        assert_ne!(a.cmp(&b), Ordering::Equal);
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        let (a, b) = (v("1.17.17-lts.01"), v("1.17.17-lts.1"));
        assert_ne!(a, b);
        assert_ne!(a.cmp(&b), Ordering::Equal);
        assert!(a < v("1.17.17-lts.2") && b < v("1.17.17-lts.2"));
    }

    #[test]
    fn equality_ignores_leading_v() {
        assert_eq!(v("1.17.17"), v("v1.17.17"));
        assert_eq!(v("1.17.17-lts.3"), v("v1.17.17-lts.3"));
        assert_eq!(v("1.17.17").cmp(&v("v1.17.17")), Ordering::Equal);
    }

    #[test]
    fn accessors() {
        let x = v("v1.18.20-dce.1");
        assert_eq!((x.major(), x.minor(), x.patch()), (1, 18, 20));
        assert_eq!(x.suffix(), Some("dce.1"));
        assert_eq!(
            x.line(),
            MinorLine {
                major: 1,
                minor: 18
            }
        );
        assert_eq!(x.line().to_string(), "1.18");
        assert_eq!(x.base(), v("1.18.20"));
        assert_eq!(x.base().suffix(), None);
        assert!(x.same_xyz(&v("1.18.20")));
        assert!(x.same_xyz(&v("1.18.20-lts.1")));
        assert!(!x.same_xyz(&v("1.18.21")));
        assert!(!x.is_prerelease());
        assert_eq!(x.lts_number(), None);

        assert!(v("v1.20.0-alpha.1").is_prerelease());
        assert!(v("v1.19.0-beta.2").is_prerelease());
        assert!(v("v1.17.17-rc.1").is_prerelease());
        assert!(!v("v1.17.17").is_prerelease());
        assert!(!v("v1.17.17-ci").is_prerelease());
        assert!(!v("v1.17.17-alphabet").is_prerelease());

        assert_eq!(v("v1.17.17-lts.3").lts_number(), Some(3));
        assert_eq!(v("v1.17.17-LTS.10").lts_number(), Some(10));
        assert_eq!(v("v1.17.17-lts").lts_number(), None);
        assert_eq!(v("v1.17.17-lts.3.1").lts_number(), None);
        assert_eq!(v("v1.17.17-lts.x").lts_number(), None);
        assert_eq!(v("v1.17.17-lts.99999999999999999999999").lts_number(), None);
        assert_eq!(v("v1.17.17-ci").lts_number(), None);
        assert_eq!(v("v1.17.17").lts_number(), None);
        assert_eq!(Version::new(1, 2, 3), v("1.2.3"));
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for s in [
            "v1.17.17",
            "1.17.17",
            "v1.20.0-alpha.1",
            "v1.17.17-ci",
            "v1.17.17-lts.3",
            "v1.18.20-dce.1",
            "v1.17.17-rc.1",
            "v1.19.0-beta.2",
            "0.0.0-a-b.--.0",
        ] {
            let x = v(s);
            let shown = x.to_string();
            assert!(shown.starts_with('v'), "{shown}");
            assert_eq!(shown.trim_start_matches('v'), s.trim_start_matches('v'));
            assert_eq!(v(&shown), x);
            assert_eq!(shown.parse::<Version>(), Ok(x));
        }
    }

    #[test]
    fn parse_errors() {
        use VersionError as E;
        let err = |s: &str| match Version::parse(s) {
            Ok(x) => panic!("{s:?} should not parse, got {x}"),
            Err(e) => e,
        };
        assert_eq!(err(""), E::Empty);
        for s in [
            "1.17",
            "1",
            "v",
            "v1",
            "1.17.",
            ".1.17",
            "1..17",
            "1.17.17.1",
            "1.x.17",
            "V1.17.17",
            "vv1.17.17",
            "-lts.1",
            "1.17-lts.1",
            "1.17.17lts",
            "١.١٧.١٧",
        ] {
            assert!(matches!(err(s), E::Malformed { .. }), "{s:?}: {}", err(s));
        }
        for s in [
            " 1.17.17",
            "1.17.17 ",
            "1.17 .17",
            "1.17.17-lts.\t1",
            "1.17.17\n",
        ] {
            assert!(matches!(err(s), E::Whitespace { .. }), "{s:?}");
        }
        for s in ["1.17.17+build", "1.17.17-lts.1+meta", "1.17.17+"] {
            assert!(matches!(err(s), E::BuildMetadata { .. }), "{s:?}");
        }
        assert_eq!(
            err("01.17.17"),
            E::LeadingZero {
                input: "01.17.17".into(),
                component: "major"
            }
        );
        assert_eq!(
            err("1.017.17"),
            E::LeadingZero {
                input: "1.017.17".into(),
                component: "minor"
            }
        );
        assert_eq!(
            err("1.17.00"),
            E::LeadingZero {
                input: "1.17.00".into(),
                component: "patch"
            }
        );
        assert_eq!(
            err("1.18446744073709551616.0"),
            E::Overflow {
                input: "1.18446744073709551616.0".into(),
                component: "minor"
            }
        );
        assert!(
            Version::parse("18446744073709551615.18446744073709551615.18446744073709551615")
                .is_ok()
        );
        for s in [
            "1.17.17-",
            "1.17.17-lts.",
            "1.17.17-.1",
            "1.17.17-lts..1",
            "1.17.17-lts_1",
            "1.17.17-lts.é",
            "1.17.17-lts/1",
        ] {
            assert!(
                matches!(err(s), E::InvalidSuffix { .. }),
                "{s:?}: {}",
                err(s)
            );
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            Version::parse("1.17").map_err(|e| e.to_string()),
            Err(r#"invalid version "1.17": expected MAJOR.MINOR.PATCH such as v1.17.17 or v1.17.17-lts.3"#.to_owned())
        );
        let msg = |s: &str| {
            Version::parse(s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(msg("").contains("empty"));
        assert!(
            msg("1.17.17+b").contains(r#""1.17.17+b""#)
                && msg("1.17.17+b").contains("build metadata")
        );
        assert!(msg("1.17.17 ").contains("whitespace"));
        assert!(msg("1.17.17-lts..1").contains("empty identifier"));
        assert!(msg("1.17.17-lts_1").contains("'_'"));
        assert!(msg("1.99999999999999999999.1").contains("minor version is too large"));
        assert!(msg("1.07.1").contains("leading zero"));
        assert_eq!(
            "1.x".parse::<MinorLine>().map_err(|e| e.to_string()),
            Err(
                r#"invalid minor line "1.x": expected MAJOR.MINOR such as 1.17 or v1.17"#
                    .to_owned()
            )
        );
    }

    #[test]
    fn minor_line() {
        assert_eq!("1.17".parse::<MinorLine>(), Ok(MinorLine::new(1, 17)));
        assert_eq!("v1.17".parse::<MinorLine>(), Ok(MinorLine::new(1, 17)));
        assert_eq!(MinorLine::new(1, 17).to_string(), "1.17");
        for s in [
            "",
            "1",
            "1.",
            "1.17.17",
            "01.17",
            "1.017",
            "v",
            " 1.17",
            "1.17 ",
            "1.x",
            "1.99999999999999999999",
        ] {
            assert!(s.parse::<MinorLine>().is_err(), "{s:?}");
        }
        assert!(MinorLine::new(1, 9) < MinorLine::new(1, 10));
        assert!(MinorLine::new(1, 99) < MinorLine::new(2, 0));
        assert_eq!(
            v("v1.20.0-alpha.1").line(),
            "1.20".parse().unwrap_or(MinorLine::new(0, 0))
        );
    }

    #[test]
    fn deserialize_from_string() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::IntoDeserializer;
        use serde::Deserialize;
        let de: StrDeserializer<'_, Error> = "1.17.17-lts.3".into_deserializer();
        assert_eq!(Version::deserialize(de), Ok(v("v1.17.17-lts.3")));
        let de: StrDeserializer<'_, Error> = "1.17".into_deserializer();
        assert!(Version::deserialize(de).is_err());
        let de: StrDeserializer<'_, Error> = "v1.17".into_deserializer();
        assert_eq!(MinorLine::deserialize(de), Ok(MinorLine::new(1, 17)));
    }

    // ---- property tests -------------------------------------------------------------------

    fn number() -> impl Strategy<Value = u64> {
        prop_oneof![6 => 0u64..3, 1 => any::<u64>()]
    }

    fn identifier() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u64..12).prop_map(|n| n.to_string()),
            1 => any::<u64>().prop_map(|n| n.to_string()),
            1 => "[0-9]{1,40}",
            2 => "[a-zA-Z][0-9A-Za-z-]{0,4}",
            1 => "-[0-9a-z-]{0,3}",
        ]
    }

    fn label() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => prop::sample::select(vec![
                "alpha", "beta", "rc", "ci", "lts", "dce", "RC", "Ci", "LTS", "alphax",
            ])
            .prop_map(String::from),
            1 => "[0-9A-Za-z-]{1,6}",
        ]
    }

    fn suffix() -> impl Strategy<Value = Option<String>> {
        prop::option::of((label(), prop::collection::vec(identifier(), 0..3))).prop_map(|s| {
            s.map(|(label, rest)| {
                std::iter::once(label)
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join(".")
            })
        })
    }

    fn version() -> impl Strategy<Value = Version> {
        (number(), number(), number(), suffix()).prop_map(|(major, minor, patch, suffix)| Version {
            major,
            minor,
            patch,
            suffix,
        })
    }

    proptest! {
        #[test]
        fn prop_display_round_trips(a in version()) {
            let shown = a.to_string();
            prop_assert_eq!(Version::parse(&shown), Ok(a.clone()));
            prop_assert_eq!(Version::parse(shown.trim_start_matches('v')), Ok(a.clone()));
            prop_assert_eq!(a.line().to_string().parse::<MinorLine>(), Ok(a.line()));
        }

        #[test]
        fn prop_antisymmetric(a in version(), b in version()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.partial_cmp(&b), Some(a.cmp(&b)));
        }

        #[test]
        fn prop_transitive(a in version(), b in version(), c in version()) {
            let all = [&a, &b, &c];
            for x in all {
                for y in all {
                    for z in all {
                        if x <= y && y <= z {
                            prop_assert!(x <= z, "{} <= {} <= {} but not {} <= {}", x, y, z, x, z);
                        }
                        if x < y && y < z {
                            prop_assert!(x < z, "{} < {} < {} but not {} < {}", x, y, z, x, z);
                        }
                    }
                }
            }
        }

        #[test]
        fn prop_eq_iff_cmp_equal(a in version(), b in version()) {
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            prop_assert_eq!(a.cmp(&a.clone()), Ordering::Equal);
            // Respelling (case, leading zeros) never makes distinct versions compare Equal.
            let respelled = Version { suffix: a.suffix.as_ref().map(|s| s.to_ascii_uppercase()), ..a.clone() };
            prop_assert_eq!(a == respelled, a.cmp(&respelled) == Ordering::Equal);
            if let Some(s) = a.suffix() {
                let padded = Version { suffix: Some(format!("{s}.0")), ..a.clone() };
                prop_assert!(a < padded, "{} >= {}", a, padded);
            }
        }

        #[test]
        fn prop_sort_is_ordered(mut vs in prop::collection::vec(version(), 0..40)) {
            vs.sort();
            for pair in vs.windows(2) {
                prop_assert!(pair[0] <= pair[1], "{} > {}", pair[0], pair[1]);
            }
        }

        #[test]
        fn prop_suffix_classes(a in version()) {
            let base = a.base();
            prop_assert!(a.same_xyz(&base));
            prop_assert_eq!(a.line(), base.line());
            match a.suffix() {
                None => prop_assert_eq!(&a, &base),
                Some(_) if a.is_prerelease() => prop_assert!(a < base),
                Some(_) => prop_assert!(a > base),
            }
            prop_assert!(a < Version::new(a.major, a.minor, a.patch.saturating_add(1)) || a.patch == u64::MAX);
        }

        #[test]
        fn prop_parse_never_panics(s in any::<String>()) {
            if let Ok(a) = Version::parse(&s) {
                prop_assert_eq!(Version::parse(&a.to_string()), Ok(a));
            }
            let _ = s.parse::<MinorLine>();
        }

        #[test]
        fn prop_parse_never_panics_near_versions(
            s in "v?[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{0,8})?",
        ) {
            if let Ok(a) = Version::parse(&s) {
                let shown = a.to_string();
                prop_assert_eq!(shown.trim_start_matches('v'), s.trim_start_matches('v'));
                prop_assert_eq!(Version::parse(&a.to_string()), Ok(a));
            }
        }

        #[test]
        fn prop_parse_never_panics_wild(s in "[v0-9.+ a-zA-Z-]{0,24}") {
            let _ = Version::parse(&s);
            let _ = s.parse::<MinorLine>();
        }

        #[test]
        fn prop_lts_number_order(
            (major, minor, patch) in (number(), number(), number()),
            n in any::<u64>(),
            m in any::<u64>(),
        ) {
            let a = Version::parse(&format!("{major}.{minor}.{patch}-lts.{n}"));
            let b = Version::parse(&format!("v{major}.{minor}.{patch}-lts.{m}"));
            prop_assert!(a.is_ok() && b.is_ok());
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a.lts_number(), Some(n));
                prop_assert_eq!(b.lts_number(), Some(m));
                prop_assert_eq!(a.cmp(&b), n.cmp(&m));
                prop_assert!(a > a.base());
                let ci = Version { suffix: Some("ci".into()), ..a.base() };
                prop_assert!(a > ci);
            }
        }

        #[test]
        fn prop_numeric_identifiers_compare_as_numbers(x in "[0-9]{1,40}", y in "[0-9]{1,40}") {
            let a = v(&format!("1.2.3-rc.{x}"));
            let b = v(&format!("1.2.3-rc.{y}"));
            let (tx, ty) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            let numeric = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
            if numeric != Ordering::Equal {
                prop_assert_eq!(a.cmp(&b), numeric);
            } else {
                prop_assert_eq!(a == b, x == y);
            }
        }
    }
}
