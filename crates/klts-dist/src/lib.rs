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
