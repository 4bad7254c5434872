//! The advisory model shared by every source (OSV records of the Kubernetes and Go databases,
//! the official Kubernetes CVE feed) and by the status computation.
//!
//! Modelled on the rustsec crate: an [`Advisory`] has one primary id and its aliases, the
//! packages it affects with their version [`Range`]s, a CVSS vector, dates and references.
//! Records from different sources that share an alias (GO-… ↔ CVE-… ↔ GHSA-…) are merged
//! into one advisory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The ecosystem of a package, which decides how its versions compare.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Kubernetes' own advisories (`k8s.io/kubelet`, …): Kubernetes versions, LTS ordering.
    Kubernetes,
    /// The Go vulnerability database: Go modules (`k8s.io/kubernetes`, `github.com/gogo/protobuf`),
    /// and `stdlib` / `toolchain` for Go itself. Versions are Go semver.
    Go,
    /// Anything else (kept, never matched).
    Other(String),
}

impl Ecosystem {
    /// From an OSV `ecosystem` string (`Kubernetes`, `kubernetes`, `Go`).
    pub fn from_osv(s: &str) -> Ecosystem {
        match s.to_ascii_lowercase().as_str() {
            "kubernetes" => Ecosystem::Kubernetes,
            "go" => Ecosystem::Go,
            _ => Ecosystem::Other(s.to_string()),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ecosystem::Kubernetes => f.write_str("kubernetes"),
            Ecosystem::Go => f.write_str("Go"),
            Ecosystem::Other(s) => f.write_str(s),
        }
    }
}

/// A package in an ecosystem.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The package (module) name: `k8s.io/kubelet`, `github.com/gogo/protobuf`, `stdlib`.
    pub name: String,
}

/// An OSV range event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Vulnerable from this version on (`0` = from the beginning).
    Introduced(String),
    /// Not vulnerable from this version on.
    Fixed(String),
    /// Vulnerable up to and including this version.
    LastAffected(String),
    /// An upper limit on the range (exclusive), for git ranges.
    Limit(String),
}

/// How the versions of a range compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeKind {
    /// Semantic versions.
    Semver,
    /// The ecosystem's own ordering.
    Ecosystem,
    /// Git commits (kept, not evaluated: klts compares versions, not commits).
    Git,
}

/// One OSV range of a package.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Range {
    /// How versions compare.
    pub kind: RangeKind,
    /// The events, in record order.
    pub events: Vec<Event>,
}

/// A package and the versions of it an advisory affects.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Affected {
    /// The package.
    pub package: Package,
    /// Version ranges (any match means affected).
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// The record this entry was read from: which source made this claim. Merging keeps it,
    /// so that a status can say *who* assessed a line (see [`crate::status`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordRef>,
}

/// The source record of a claim.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    /// The source.
    pub source: Source,
    /// The record's own id (`CVE-2020-8564`, `GO-2021-0066`).
    pub id: String,
    /// The record's publication date (RFC 3339), placeholders removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

impl Source {
    /// Whether the source speaks for the product itself (the Kubernetes CNA, or the LTS
    /// program's own records): its ranges decide the lines it assessed. Other sources (the Go
    /// vulnerability database) are secondary: their claims are evidence.
    pub fn is_primary(self) -> bool {
        matches!(
            self,
            Source::KubernetesOsv | Source::KubernetesFeed | Source::Program
        )
    }

    /// The kebab-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::KubernetesOsv => "kubernetes-osv",
            Source::GoVulnDb => "go-vulndb",
            Source::KubernetesFeed => "kubernetes-feed",
            Source::Program => "program",
        }
    }
}

/// `None` for a date that is a placeholder rather than a date: the Go database writes
/// `0001-01-01T00:00:00Z` for unknown dates, and an empty string says nothing either.
pub fn real_date(date: Option<String>) -> Option<String> {
    date.filter(|d| {
        let d = d.trim();
        !d.is_empty() && !d.starts_with("0001-01-01") && !d.starts_with("0000-")
    })
}

/// Qualitative severity (CVSS v3 bands), ordered from none to critical; `Unknown` when no
/// vector is known sorts lowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No CVSS vector is known.
    Unknown,
    /// 0.0
    None,
    /// 0.1–3.9
    Low,
    /// 4.0–6.9
    Medium,
    /// 7.0–8.9
    High,
    /// 9.0–10.0
    Critical,
}

impl Severity {
    /// The band of a CVSS v3 base score.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::None
        }
    }

    /// Parse `low`, `medium`, `high`, `critical` (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "unknown" => Some(Severity::Unknown),
            "none" => Some(Severity::None),
            "low" => Some(Severity::Low),
            "medium" | "moderate" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// Where an advisory's facts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Kubernetes' advisories in OSV form (kubernetes-sigs/cve-feed-osv).
    KubernetesOsv,
    /// The Go vulnerability database (golang/vulndb).
    GoVulnDb,
    /// The official Kubernetes CVE feed (JSON Feed).
    KubernetesFeed,
    /// The LTS program's own records (`advisories/*.json` in the workspace).
    Program,
}

/// One advisory, merged across sources and aliases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The primary id: the CVE id when there is one, else the first id seen (GO-…, GHSA-…).
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    pub aliases: BTreeSet<String>,
    /// Affected packages, from every source.
    pub affected: Vec<Affected>,
    /// CVSS v3.x vector (`CVSS:3.1/AV:N/…`), when known.
    pub cvss_v3: Option<String>,
    /// Publication date (RFC 3339), when known.
    pub published: Option<String>,
    /// Last modification date (RFC 3339), when known.
    pub modified: Option<String>,
    /// Reference URLs (advisories, fixes, issues), sorted, deduplicated.
    pub references: Vec<String>,
    /// The upstream tracking issue (kubernetes/kubernetes issue URL), when known.
    pub issue: Option<String>,
    /// One-line summary; only from feeds synced at run time, never in the embedded snapshot.
    pub summary: Option<String>,
    /// Which sources contributed.
    pub sources: BTreeSet<Source>,
}

impl Advisory {
    /// An advisory with only an id.
    pub fn new(id: impl Into<String>) -> Advisory {
        Advisory {
            id: id.into(),
            aliases: BTreeSet::new(),
            affected: Vec::new(),
            cvss_v3: None,
            published: None,
            modified: None,
            references: Vec::new(),
            issue: None,
            summary: None,
            sources: BTreeSet::new(),
        }
    }

    /// The primary id and every alias.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Whether `id` (case-insensitive) names this advisory.
    pub fn is_named(&self, id: &str) -> bool {
        self.ids().any(|i| i.eq_ignore_ascii_case(id))
    }

    /// The CVE ids of this advisory.
    pub fn cve_ids(&self) -> impl Iterator<Item = &str> {
        self.ids().filter(|i| i.starts_with("CVE-"))
    }
}
