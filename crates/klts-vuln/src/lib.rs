//! `klts-vuln` owns vulnerability intelligence: which advisory affects which LTS release,
//! and what fixes it.
//!
//! * [`model`] — advisories, affected packages, ranges, severities.
//! * [`osv`], [`feed`] — readers for OSV records and the official Kubernetes CVE feed.
//! * [`merge`] — one advisory per vulnerability across sources and aliases.
//! * [`range`], [`gover`] — range evaluation with the LTS ordering (Kubernetes) and Go semver.
//! * [`cvss`] — CVSS v3 base scores and severities.
//! * [`db`], [`snapshot`] — the advisory database: synced feeds or the embedded snapshot.
//! * [`inventory`] — Go modules and Go version of a release tree.
//! * [`facts`] — what a release is made of: upstream version, chain patches, tree inventories
//!   read from git objects (through `klts-forge`).
//! * [`gitfix`] — git evidence: an advisory's fix commits and pull requests found in the
//!   upstream mirror, and whether a release's root tag or patch chain carries them (ancestry,
//!   patch-id, cherry-pick trailers), with a patch-id cache.
//! * [`status`] — the status of one advisory in one release, with evidence.
//! * [`triage`] — `triage.yml` decisions with VEX justifications.
//! * [`report`] — the matrix, `show`, `check` and the CI gate.
//! * [`vex`] — OpenVEX documents and OSV records crediting LTS releases.
//! * [`sources`] — `klts feed sync` and loading the database (snapshot + synced feeds).

pub mod cvss;
pub mod db;
pub mod facts;
pub mod feed;
pub mod gitfix;
pub mod gover;
pub mod inventory;
pub mod merge;
pub mod model;
pub mod osv;
pub mod range;
pub mod report;
pub mod snapshot;
pub mod sources;
pub mod status;
pub mod triage;
pub mod vex;

/// The exit class of this crate's errors (see [`klts_core::exit`]): a triage file that cannot
/// be used, a version that cannot be checked, a malformed range or Go version all mean the
/// command could not run (exit 2).
macro_rules! usage_errors {
    ($($t:ty),* $(,)?) => {
        $(impl klts_core::HasExitClass for $t {
            fn exit_class(&self) -> klts_core::ExitClass {
                klts_core::ExitClass::Usage
            }
        })*
    };
}

usage_errors!(
    triage::TriageError,
    report::CheckError,
    range::RangeError,
    gover::GoVersionError,
);
