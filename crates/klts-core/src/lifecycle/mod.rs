//! The lifecycle calendar: when each minor line was released, when the community stops
//! supporting it, and how long the KLTS program supports it after that.
//!
//! # Policy
//!
//! KLTS keeps Kubernetes minor lines from 1.10 on supported for **three years after the
//! community's end of life**. For a line on a given day (see [`line_status`]):
//!
//! * Before its `released` date the line is [`Phase::Upcoming`].
//! * From `released` through `community_eol` it is [`Phase::Community`]: the Kubernetes
//!   community ships its patch releases. Support ends at the **end** of the EOL day, so on the
//!   EOL day itself the line is still `community`, and `days_left` is `0`. A line whose
//!   community end of life is not known yet (no `community_eol`) stays `community`.
//! * After the community's end of life, a line that is **in the program** is [`Phase::Lts`]
//!   until the end of the day `community_eol + lts_years` ([`Policy::lts_years`], default 3;
//!   February 29 plus a year that has none is February 28). A line is in the program when it
//!   is at least [`Policy::lts_from`] (1.10), it is maintained ([`Policy::maintained`]: with a
//!   manifest, it has a `must: true` release; without one, every line from `lts_from` on
//!   counts) and it is not dropped ([`Policy::dropped`]: all its releases are `must: false`).
//! * Otherwise the line is [`Phase::Eol`]. Support ends earlier when the manifest drops the
//!   line: a dropped line is `eol` as soon as community support ends.
//!
//! ```
//! use klts_core::lifecycle::{line_status, Calendar, Date, Phase, Policy};
//! use klts_core::version::MinorLine;
//!
//! let calendar = Calendar::builtin();
//! let facts = calendar.get(MinorLine::new(1, 17)).expect("1.17 is in the calendar");
//! let day: Date = "2022-06-01".parse()?;
//! let status = line_status(facts, &Policy::default(), day);
//! assert_eq!(status.phase, Phase::Lts);
//! // Community support ended 2021-01-13, LTS support three years later.
//! assert_eq!(status.lts_end, Some(Date::parse("2024-01-13")?));
//! # Ok::<(), klts_core::lifecycle::DateError>(())
//! ```
//!
//! # Data
//!
//! [`Calendar::builtin`] embeds `data/kubernetes-lifecycle.yml` (first release, community end of
//! life and newest upstream patch of every Kubernetes minor line, with sources in
//! `data/README.md`). A workspace may carry a `lifecycle.yml` in the same format
//! ([`parse_lifecycle_file`]) to correct or add lines, to change `lts_years`, or to describe
//! another product (`product: containerd`), which then starts from that product's built-in
//! calendar ([`Calendar::builtin_for`]: `data/containerd-lifecycle.yml`,
//! `data/runc-lifecycle.yml`), or from an empty one for a product klts does not know
//! ([`Calendar::with_overrides`]):
//!
//! ```yaml
//! product: kubernetes      # optional; see klts_core::product
//! lts_years: 3             # optional
//! lines:
//!   - line: "1.17"         # quote it: YAML reads an unquoted 1.10 as the number 1.1
//!     released: 2019-12-09
//!     community_eol: 2021-01-13   # optional: unknown means still community-supported
//!     latest_patch: "1.17.17"     # optional
//! ```
//!
//! # Dates
//!
//! [`Date`] is a proleptic Gregorian calendar day (`YYYY-MM-DD`, years 0001 to 9999) with its
//! own arithmetic, so that this crate needs no date library. All operations saturate at
//! [`Date::MIN`] and [`Date::MAX`] instead of panicking.

use crate::diag::Location;
use crate::product::Product;
use crate::version::{MinorLine, Version};
use saphyr::{MarkedYaml, Scalar, YamlData};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

/// The name of the workspace file with lifecycle overrides.
pub const LIFECYCLE_FILE: &str = "lifecycle.yml";

/// The text of the built-in calendar.
const BUILTIN: &str = include_str!("../../data/kubernetes-lifecycle.yml");

/// Where the built-in calendar comes from, for messages.
const BUILTIN_PATH: &str = "klts-core/data/kubernetes-lifecycle.yml";

/// The built-in calendars of the other products: (text, path for messages).
const BUILTIN_CONTAINERD: (&str, &str) = (
    include_str!("../../data/containerd-lifecycle.yml"),
    "klts-core/data/containerd-lifecycle.yml",
);
const BUILTIN_RUNC: (&str, &str) = (
    include_str!("../../data/runc-lifecycle.yml"),
    "klts-core/data/runc-lifecycle.yml",
);

mod calendar;
mod dates;
mod file;
mod policy;
#[cfg(test)]
mod tests;

pub use calendar::*;
pub use dates::*;
pub use file::*;
pub use policy::*;
