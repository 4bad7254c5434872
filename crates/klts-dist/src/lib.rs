//! `klts-dist` — everything after a release materializes: turning it into things users install.
//!
//! It owns, each in its own module:
//!
//! * **build** (`build`, `goenv`, `provenance`): check the Go that will run against the
//!   release's toolchain and lay pre-modules trees out in a GOPATH, run the manifest's build
//!   command in a materialized working tree per platform, collect artifacts, write checksums
//!   and an in-toto/SLSA provenance statement;
//! * **test** (`testrun`, `gotest`, `junit`): run the test command, parse `go test` output, subtract the
//!   release chain's tolerated failures, retry, and report as JUnit XML;
//! * **packages** (`pkgversion`, `deb`, `rpm`): native, byte-reproducible `.deb` and `.rpm`
//!   writers for each product's packages (kubeadm, kubelet, kubectl; containerd; runc), with a version mapping that sorts right in dpkg
//!   and rpm;
//! * **repositories** (`sign`, `apt`, `yum`, `publish`): OpenPGP keys and signatures, apt and yum
//!   repository metadata, atomic publishing;
//! * **images** (`oci`, `registry`): OCI image layouts with a multi-arch index, and a client for
//!   the OCI distribution API;
//! * **CI fan-out** (`ci`): GitHub Actions workflows generated from the manifest.
//!
//! ## The output directory (`out/`), the contract between the steps
//!
//! ```text
//! out/<release>/<os>/<arch>/<target>          binaries collected by `klts build`
//! out/<release>/SHA256SUMS                    sha256sum(1) format, paths relative to out/<release>
//! out/<release>/provenance.intoto.json        in-toto statement, SLSA provenance v1 predicate
//! out/<release>/test/junit.xml                `klts test` report
//! out/<release>/deb/*.deb, out/<release>/rpm/*.rpm    `klts package`
//! out/<release>/oci/                          `klts image`: OCI image layout
//! ```
//!
//! Everything is written to a temporary path and renamed, so an interrupted step leaves the
//! previous output (or none), never half of one.
//!
//! ## Features
//!
//! * `repositories` (default): the `.deb`/`.rpm` writers, OpenPGP signing, apt and yum
//!   repositories, publishing — OpenPGP, rpm, xz and zstd, most of this crate's dependencies.
//! * `images` (default): OCI image layouts and registry pushes (`oci-spec`, an HTTP client).
//!
//! Without them (`default-features = false`, as the portal depends on it) what remains are the
//! rules the install instructions need — [`package::packages`], [`apt::sources_line`],
//! [`yum::repo_file`], [`pkgversion`] — and the build and test steps.

pub mod apt;
pub mod build;
pub mod ci;
pub mod deb;
pub mod fsdir;
pub mod goenv;
pub mod gotest;
pub mod junit;
#[cfg(feature = "images")]
pub mod oci;
pub mod package;
/// The package-version rule, owned by `klts-core` (a version rule the portal also needs);
/// re-exported so that `klts_dist::pkgversion::…` paths keep working.
pub use klts_core::pkgversion;
pub mod provenance;
#[cfg(feature = "repositories")]
pub mod publish;
#[cfg(feature = "images")]
pub mod registry;
#[cfg(feature = "repositories")]
pub mod rpmpkg;
#[cfg(feature = "repositories")]
pub mod sign;
mod tarball;
pub mod testrun;
pub mod yum;

/// The exit class of each error of this crate (see [`klts_core::exit`]): a build command that
/// failed, an artifact it did not produce, or a release that does not materialize means the
/// command ran and found problems (exit 1); everything else means it could not run (exit 2).
/// (The impls for the OCI and registry errors live here so that their modules stay as they
/// are.)
impl klts_core::HasExitClass for build::BuildError {
    fn exit_class(&self) -> klts_core::ExitClass {
        match self {
            build::BuildError::Forge(e) => klts_core::HasExitClass::exit_class(e),
            build::BuildError::CommandFailed { .. }
            | build::BuildError::MissingArtifact { .. }
            | build::BuildError::Materialize { .. } => klts_core::ExitClass::Problems,
            _ => klts_core::ExitClass::Usage,
        }
    }
}

macro_rules! usage_errors {
    ($($t:ty),* $(,)?) => {
        $(impl klts_core::HasExitClass for $t {
            fn exit_class(&self) -> klts_core::ExitClass {
                klts_core::ExitClass::Usage
            }
        })*
    };
}

usage_errors!(ci::CiError, deb::DebError);
#[cfg(feature = "repositories")]
usage_errors!(
    apt::AptError,
    package::PackageError,
    publish::PublishError,
    rpmpkg::RpmError,
    sign::SignError,
    yum::YumError,
);
#[cfg(feature = "images")]
usage_errors!(oci::OciError, registry::RegistryError);

#[cfg(test)]
mod exit_class_tests {
    use klts_core::{ExitClass, HasExitClass};

    /// `klts build` exits 1 for a release that does not build and 2 for one it cannot try:
    /// the error says which, not the command line.
    #[test]
    fn build_errors_carry_their_exit_class() {
        let failed = crate::build::BuildError::Materialize {
            release: "v1.17.17-lts.1".into(),
            reason: "conflict".into(),
        };
        assert_eq!(failed.exit_class(), ExitClass::Problems);
        let usage = crate::build::BuildError::Usage("--platform: unknown".into());
        assert_eq!(usage.exit_class().code(), 2);
        let tool = crate::build::BuildError::MissingTool {
            tool: "go".into(),
            why: "build".into(),
            package: "golang".into(),
        };
        assert_eq!(tool.exit_class(), ExitClass::Usage);
    }
}
