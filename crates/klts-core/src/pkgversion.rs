//! Package versions for dpkg and rpm that sort the way KLTS releases do.
//!
//! A version rule, so it lives here with [`Version`] (the portal shows these versions
//! without depending on the package writers); `klts_dist::pkgversion` re-exports it.
//!
//! A release `v1.17.17-lts.3` is upstream `v1.17.17` plus back-ported fixes, so its packages
//! must sort *above* every upstream package of `1.17.17` (`1.17.17-00` from the old
//! apt.kubernetes.io, `1.17.17-150500.1.1` from pkgs.k8s.io) and *below* the next upstream
//! patch `1.17.18`. The mapping:
//!
//! | release            | deb `Version`        | rpm `Version`    | rpm `Release` |
//! |--------------------|----------------------|------------------|---------------|
//! | `v1.17.17`         | `1.17.17-1`          | `1.17.17`        | `1`           |
//! | `v1.17.17-lts.3`   | `1.17.17+lts.3-1`    | `1.17.17+lts.3`  | `1`           |
//! | `v1.18.0-rc.1`     | `1.18.0~rc.1-1`      | `1.18.0~rc.1`    | `1`           |
//!
//! * `+lts.N`: in dpkg `+` sorts after the end of the string, so `1.17.17+lts.1 > 1.17.17`
//!   whatever the Debian revision; in rpm `+` is a separator and the version with more
//!   segments is newer. `+` is accepted by every rpm, unlike `^` (rpm ≥ 4.15, so not CentOS 7).
//! * `~pre`: both dpkg and rpm (≥ 4.10) sort `~` before the end of the string, so
//!   `1.18.0~rc.1 < 1.18.0`.
//! * The last part (`-1` in deb, `Release: 1` in rpm) is the *packaging revision*: bump it to
//!   re-publish the same release with fixed packaging (a unit file, a dependency).
//!
//! Only suffixes whose order dpkg and rpm agree with [`Version`]'s are accepted: the plain tag,
//! `alpha`/`beta`/`rc` pre-releases and `lts` releases, each followed by numeric identifiers
//! without leading zeros. `-ci` (the build-fix intermediate that LTS releases are based on) is
//! not something users install and is refused, as are other vendor labels: dpkg orders a label
//! that is a prefix of another (`lt` vs `lts`) differently from rpm and from klts.

use crate::version::Version;

/// The package versions of one release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageVersion {
    /// The upstream part shared by both formats: `1.17.17+lts.3`.
    pub upstream: String,
    /// The packaging revision: `1`.
    pub revision: u32,
}

impl PackageVersion {
    /// The Debian `Version` field: `1.17.17+lts.3-1`.
    pub fn deb(&self) -> String {
        format!("{}-{}", self.upstream, self.revision)
    }

    /// The rpm `Version` tag: `1.17.17+lts.3`.
    pub fn rpm_version(&self) -> &str {
        &self.upstream
    }

    /// The rpm `Release` tag: `1`.
    pub fn rpm_release(&self) -> String {
        self.revision.to_string()
    }
}

/// Why a release has no package version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PkgVersionError {
    /// `-ci` releases are build-fix intermediates.
    #[error("{version}: -ci releases are the build-fix stage that LTS releases are based on, not something users install; help: package an -lts.N release (such as {base}-lts.1)")]
    Intermediate {
        /// The refused release.
        version: String,
        /// Its upstream tag.
        base: String,
    },
    /// A suffix whose order dpkg or rpm would not agree with.
    #[error("{version}: cannot map suffix {suffix:?} to a deb/rpm version that sorts like klts does ({reason}); help: packages are made for upstream tags (v1.17.17), pre-releases (v1.18.0-rc.1) and LTS releases (v1.17.17-lts.3)")]
    Unsupported {
        /// The refused release.
        version: String,
        /// Its suffix.
        suffix: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Revision 0 is reserved (upstream used `-00`).
    #[error("packaging revision must be at least 1; help: use --revision 1 for the first packaging of a release")]
    ZeroRevision,
}

/// Maps a release to its package versions with packaging revision `revision` (≥ 1).
pub fn package_version(
    release: &Version,
    revision: u32,
) -> Result<PackageVersion, PkgVersionError> {
    if revision == 0 {
        return Err(PkgVersionError::ZeroRevision);
    }
    let base = format!(
        "{}.{}.{}",
        release.major(),
        release.minor(),
        release.patch()
    );
    let Some(suffix) = release.suffix() else {
        return Ok(PackageVersion {
            upstream: base,
            revision,
        });
    };
    let unsupported = |reason| PkgVersionError::Unsupported {
        version: release.to_string(),
        suffix: suffix.to_owned(),
        reason,
    };
    let mut idents = suffix.split('.');
    let label = idents.next().unwrap_or_default();
    for ident in idents {
        if ident.is_empty() || !ident.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unsupported(
                "only numeric identifiers may follow the label, as in lts.3 or rc.1",
            ));
        }
        if ident.len() > 1 && ident.starts_with('0') {
            return Err(unsupported(
                "numeric identifiers must not have leading zeros (dpkg and rpm ignore them)",
            ));
        }
    }
    let sep = match label {
        "alpha" | "beta" | "rc" => '~',
        "lts" => '+',
        "ci" => {
            return Err(PkgVersionError::Intermediate {
                version: release.to_string(),
                base: release.base().to_string(),
            })
        }
        _ => {
            return Err(unsupported(
                "the label must be alpha, beta, rc or lts, in lower case",
            ))
        }
    };
    Ok(PackageVersion {
        upstream: format!("{base}{sep}{suffix}"),
        revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(s: &str) -> Result<PackageVersion, PkgVersionError> {
        package_version(&Version::parse(s).unwrap(), 1)
    }

    #[test]
    fn maps_the_three_kinds() {
        let lts = map("v1.17.17-lts.3").unwrap();
        assert_eq!(lts.deb(), "1.17.17+lts.3-1");
        assert_eq!(lts.rpm_version(), "1.17.17+lts.3");
        assert_eq!(lts.rpm_release(), "1");
        assert_eq!(map("v1.17.17").unwrap().deb(), "1.17.17-1");
        assert_eq!(map("1.18.0-rc.1").unwrap().rpm_version(), "1.18.0~rc.1");
        assert_eq!(map("1.18.0-alpha").unwrap().deb(), "1.18.0~alpha-1");
        let v = Version::parse("v1.17.17-lts.3").unwrap();
        assert_eq!(package_version(&v, 4).unwrap().deb(), "1.17.17+lts.3-4");
    }

    #[test]
    fn refuses_what_would_sort_wrong() {
        let e = map("v1.17.17-ci").unwrap_err();
        assert!(matches!(e, PkgVersionError::Intermediate { .. }), "{e}");
        assert!(e.to_string().contains("v1.17.17-lts.1"), "{e}");
        for bad in [
            "v1.17.17-dce.1",
            "v1.17.17-LTS.1",
            "v1.17.17-lts.01",
            "v1.17.17-lts.x",
            "v1.17.17-lts-1",
            "v1.18.0-rc.1a",
        ] {
            let e = map(bad).unwrap_err();
            assert!(
                matches!(e, PkgVersionError::Unsupported { .. }),
                "{bad}: {e}"
            );
            assert!(e.to_string().contains("help:"), "{e}");
        }
        let v = Version::parse("v1.17.17").unwrap();
        assert_eq!(
            package_version(&v, 0).unwrap_err(),
            PkgVersionError::ZeroRevision
        );
    }

    proptest::proptest! {
        /// Any version klts accepts maps or is refused with a message, never panics, and what
        /// it maps to uses only characters that both dpkg and rpm allow, starts with a digit,
        /// and keeps the release's numbers.
        #[test]
        fn any_version_maps_to_valid_characters_or_a_clear_error(
            s in "v?[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[0-9A-Za-z-]{1,6}(\\.[0-9A-Za-z-]{1,6}){0,3})?",
            revision in 0u32..5,
        ) {
            let Ok(version) = Version::parse(&s) else { return Ok(()) };
            match package_version(&version, revision) {
                Ok(p) => {
                    let deb = p.deb();
                    proptest::prop_assert!(deb.starts_with(|c: char| c.is_ascii_digit()), "{}", deb);
                    proptest::prop_assert!(
                        deb.chars().all(|c| c.is_ascii_alphanumeric() || ".+~-".contains(c)),
                        "{}", deb
                    );
                    proptest::prop_assert!(!p.rpm_version().contains('-'), "{}", p.rpm_version());
                    proptest::prop_assert!(
                        deb.starts_with(&format!("{}.{}.{}", version.major(), version.minor(), version.patch())),
                        "{}", deb
                    );
                    proptest::prop_assert!(revision >= 1);
                }
                Err(e) => proptest::prop_assert!(e.to_string().contains("help:"), "{}", e),
            }
        }
    }
}
