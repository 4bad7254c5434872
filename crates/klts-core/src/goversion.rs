//! Go toolchain release names (`go1.21.5`, `1.16`, `go1.21rc2`) as a tree, a manifest or
//! `go version` spells them, parsed strictly.
//!
//! This is the one parser of toolchain versions: the manifest's `build.go` key, the files of a
//! release tree (`klts_forge::toolchain`), the vulnerability statuses of `stdlib`/`toolchain`
//! advisories and `klts build`'s comparison with the `go` it runs all go through
//! [`GoRelease::parse`]. Module versions (`v1.3.2`, pseudo-versions) are another grammar and
//! live in `klts_vuln::gover`.
//!
//! Accepted: an optional `go` or `v` prefix, then `1.MINOR`, `1.MINOR.PATCH`, or
//! `1.MINOR` followed by `rcN`/`betaN` (Go's pre-release names). Numbers are decimal without
//! leading zeros and at most 4 digits; the whole input at most 32 bytes. Anything else is an
//! error that says what was expected; the parser never panics (property-tested).

use std::cmp::Ordering;
use std::fmt;

/// A Go pre-release (`beta1`, `rc2`); `beta` sorts before `rc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GoPre {
    /// `betaN`.
    Beta(u32),
    /// `rcN`.
    Rc(u32),
}

/// A Go toolchain release: `1.21.5`, `1.16` (a language version, no patch), `1.21rc2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GoRelease {
    /// Always 1 today; kept so that a `go2` is not silently read as `go1`.
    pub major: u32,
    /// The minor version: 21 in `1.21.5`.
    pub minor: u32,
    /// The patch version, when written (`1.16` has none).
    pub patch: Option<u32>,
    /// A pre-release (only without a patch, as Go names them).
    pub pre: Option<GoPre>,
}

/// The longest input [`GoRelease::parse`] looks at.
pub const MAX_LEN: usize = 32;

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

impl GoRelease {
    /// Parse a Go release name. See the [module documentation](self).
    pub fn parse(input: &str) -> Result<GoRelease, String> {
        let bad = || {
            format!(
                "`{}` is not a Go version: write e.g. 1.21.5, go1.21.5, 1.16 or go1.21rc2",
                crate::names::printable(input, MAX_LEN + 8)
            )
        };
        let s = input.trim();
        if s.is_empty() || s.len() > MAX_LEN {
            return Err(bad());
        }
        let s = s
            .strip_prefix("go")
            .or_else(|| s.strip_prefix('v'))
            .unwrap_or(s);
        let (nums, pre) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
            Some(i) => s.split_at(i),
            None => (s, ""),
        };
        let parts: Vec<&str> = nums.split('.').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad());
        }
        let major = num(parts[0]).ok_or_else(bad)?;
        let minor = num(parts[1]).ok_or_else(bad)?;
        let patch = match parts.get(2) {
            Some(p) => Some(num(p).ok_or_else(bad)?),
            None => None,
        };
        if major != 1 {
            return Err(bad());
        }
        let pre = if pre.is_empty() {
            None
        } else {
            if patch.is_some() {
                return Err(bad());
            }
            if let Some(n) = pre.strip_prefix("rc") {
                Some(GoPre::Rc(num(n).ok_or_else(bad)?))
            } else if let Some(n) = pre.strip_prefix("beta") {
                Some(GoPre::Beta(num(n).ok_or_else(bad)?))
            } else {
                return Err(bad());
            }
        };
        Ok(GoRelease {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// The Go version of `go version` output: `go version go1.19.8 linux/amd64` → `1.19.8`.
    /// Distribution suffixes (`go1.22.2-debian`, `go1.21.0 X:nocoverageredesign`) are dropped.
    pub fn from_go_version_output(text: &str) -> Result<GoRelease, String> {
        let word = text
            .split_whitespace()
            .find(|w| w.starts_with("go1") || w.starts_with("go2"))
            .ok_or_else(|| {
                format!(
                    "no Go version in `{}`",
                    crate::names::printable(text.trim(), 80)
                )
            })?;
        // `go1.22.2-debian`, `go1.21.0+auto`: the release is what comes before the suffix.
        let word = word.split(['-', '+']).next().unwrap_or(word);
        GoRelease::parse(word)
    }

    /// Same `major.minor` (the language and standard library a tree is written for).
    pub fn same_minor(&self, other: &GoRelease) -> bool {
        self.major == other.major && self.minor == other.minor
    }

    /// `go1.21.5`: the name `actions/setup-go` and golang.org/dl use.
    pub fn go_name(&self) -> String {
        format!("go{self}")
    }
}

impl fmt::Display for GoRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        match self.pre {
            Some(GoPre::Rc(n)) => write!(f, "rc{n}"),
            Some(GoPre::Beta(n)) => write!(f, "beta{n}"),
            None => Ok(()),
        }
    }
}

/// Serialized as its display form (`"1.21.5"`), the way `klts toolchain -o json` prints it.
impl serde::Serialize for GoRelease {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Ord for GoRelease {
    /// `1.21beta1 < 1.21rc1 < 1.21 = 1.21.0 < 1.21.1`: a missing patch is `.0`.
    fn cmp(&self, other: &GoRelease) -> Ordering {
        (self.major, self.minor, self.patch.unwrap_or(0))
            .cmp(&(other.major, other.minor, other.patch.unwrap_or(0)))
            .then_with(|| match (self.pre, other.pre) {
                (None, None) => self.patch.is_some().cmp(&other.patch.is_some()),
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(&b),
            })
    }
}

impl PartialOrd for GoRelease {
    fn partial_cmp(&self, other: &GoRelease) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> GoRelease {
        GoRelease::parse(s).unwrap()
    }

    #[test]
    fn spellings() {
        assert_eq!(p("go1.21.5").to_string(), "1.21.5");
        assert_eq!(p("v1.21.5").to_string(), "1.21.5");
        assert_eq!(p(" 1.16 ").to_string(), "1.16");
        assert_eq!(p("1.16.0").to_string(), "1.16.0");
        assert_eq!(p("go1.21rc2").to_string(), "1.21rc2");
        assert_eq!(p("1.19beta1").pre, Some(GoPre::Beta(1)));
        assert_eq!(p("go1.13.15").go_name(), "go1.13.15");
        for bad in [
            "",
            "1",
            "2.1",
            "1.02",
            "1.2.3.4",
            "1.21.0rc1",
            "1.21rc",
            "1.21xx1",
            "go",
            "1.x",
            "1.12345",
            "default",
            "1.21 .5",
            "go1.21.5\n1",
        ] {
            assert!(GoRelease::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(GoRelease::parse("1.02")
            .unwrap_err()
            .contains("write e.g. 1.21.5"));
    }

    #[test]
    fn order_and_minor() {
        assert!(p("1.21beta1") < p("1.21rc1"));
        assert!(p("1.21rc1") < p("1.21"));
        assert!(p("1.21") < p("1.21.0"));
        assert!(p("1.21.0") < p("1.21.1"));
        assert!(p("1.9.7") < p("1.10"));
        assert!(p("1.13.15").same_minor(&p("1.13")));
        assert!(!p("1.13.15").same_minor(&p("1.19.8")));
    }

    #[test]
    fn go_version_output() {
        let v = GoRelease::from_go_version_output("go version go1.19.8 linux/amd64\n").unwrap();
        assert_eq!(v.to_string(), "1.19.8");
        let v =
            GoRelease::from_go_version_output("go version go1.22.2-debian linux/arm64").unwrap();
        assert_eq!(v.to_string(), "1.22.2");
        assert!(GoRelease::from_go_version_output("bash: go: not found").is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_never_panics(s in "\\PC{0,64}") {
                let _ = GoRelease::parse(&s);
                let _ = GoRelease::from_go_version_output(&s);
            }

            #[test]
            fn near_misses_never_panic(s in "(go|v)?[0-9.]{0,12}(rc|beta)?[0-9]{0,6}") {
                if let Ok(v) = GoRelease::parse(&s) {
                    // What parses prints back to something that parses to the same release.
                    prop_assert_eq!(GoRelease::parse(&v.to_string()), Ok(v));
                }
            }

            #[test]
            fn releases_round_trip(minor in 0u32..10000, patch in proptest::option::of(0u32..10000)) {
                let v = GoRelease { major: 1, minor, patch, pre: None };
                prop_assert_eq!(GoRelease::parse(&v.go_name()), Ok(v));
            }
        }
    }
}
