//! `klts-core` owns the domain model of a Kubernetes LTS program that every other klts
//! crate builds on, with no I/O beyond reading the files it is pointed at:
//!
//! * [`version`] — Kubernetes-style versions (`v1.17.17`, `v1.20.0-alpha.1`, `v1.17.17-lts.3`)
//!   and the ordering an LTS user means (`1.17.17 < 1.17.17-lts.1 < 1.17.17-lts.10 < 1.17.18`).
//! * [`manifest`] — the KLTS `releases.yml` format, read unchanged, with the position of every
//!   value so that diagnostics can point into the user's file; base-chain resolution and
//!   patch-name resolution (the catalog first, then `patches/<name>.patch` by convention).
//! * [`lifecycle`] — the calendar of Kubernetes minor lines (release, community end of life,
//!   newest patch), the LTS policy, and each line's phase (`community`, `lts`, `eol`) on a date.
//! * [`pkgversion`] — the deb and rpm package versions of a release, mapped so that dpkg and
//!   rpm sort them the way [`version`] does (`1.17.17 < 1.17.17+lts.1 < 1.17.18`).
//! * [`product`] — the products of the program (Kubernetes, containerd, runc, or a generic Go
//!   project) and the one rule that decides which one a workspace holds.
//! * [`time`] — the one owner of time formats (RFC 3339, RFC 2822) over seconds since 1970.
//! * [`chains`] — every release's base chain resolved once (linear), for whole-manifest checks.
//! * [`build`] — the optional `build:` section (build and test commands, platforms, targets)
//!   with Kubernetes' defaults.
//! * [`goversion`] — Go toolchain release names (`go1.21.5`, `1.16`), the one strict parser of them.
//! * [`names`] — the one rule for release, patch and ref names (they reach git refs, paths and
//!   terminals), and [`names::printable`] for any other untrusted text shown to a user.
//! * [`edit`] — comment-preserving text edits of `releases.yml` (adding a release), checked by
//!   re-parsing.
//! * [`lint`] — static checks of a manifest against its workspace, reported as [`diag::Diagnostic`]s.
//! * [`diag`] — diagnostics with a severity, a stable code and a `file:line:col` location.
//!
//! Git, downloads and caches live in `klts-forge`; this crate is pure so that it can be tested
//! and fuzzed in isolation.

pub mod build;
pub mod chains;
pub mod diag;
pub mod edit;
pub mod exit;
pub mod goversion;
pub mod lifecycle;
pub mod lint;
pub mod listing;
pub mod manifest;
pub mod names;
pub mod pkgversion;
pub mod product;
pub mod time;
pub mod version;
pub mod yaml;

pub use diag::{Diagnostic, Severity};
pub use exit::{ExitClass, HasExitClass};
pub use manifest::{Chain, Manifest, ManifestError, PatchEntry, PatchSource, Release};
pub use product::Product;
pub use version::{MinorLine, Version, VersionError};
