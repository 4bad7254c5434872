//! Reports over statuses: the release × advisory matrix, one advisory across releases, what a
//! single version is exposed to, and the CI gate.

use crate::db::Database;
use crate::model::{Advisory, Severity};
use crate::status::{status, ReleaseFacts, Status, StatusKind};
use crate::triage::Triage;
use klts_core::{MinorLine, Version};
use serde::Serialize;

/// The facts of an advisory shown next to statuses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdvisorySummary {
    /// Primary id.
    pub id: String,
    /// Other ids.
    pub aliases: Vec<String>,
    /// Severity band.
    pub severity: Severity,
    /// CVSS v3 base score.
    pub score: Option<f64>,
    /// CVSS v3 vector.
    pub cvss_v3: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Upstream issue.
    pub issue: Option<String>,
    /// Affected packages.
    pub packages: Vec<String>,
}

impl AdvisorySummary {
    /// Summarize an advisory.
    pub fn of(a: &Advisory) -> AdvisorySummary {
        let mut packages: Vec<String> = a.affected.iter().map(|x| x.package.name.clone()).collect();
        packages.sort();
        packages.dedup();
        AdvisorySummary {
            id: a.id.clone(),
            aliases: a.aliases.iter().cloned().collect(),
            severity: a.severity(),
            score: a.score(),
            cvss_v3: a.cvss_v3.clone(),
            published: a.published.clone(),
            issue: a.issue.clone(),
            packages,
        }
    }
}

/// One row of the matrix: an advisory and its status in each release.
#[derive(Clone, Debug, Serialize)]
pub struct MatrixRow {
    /// The advisory.
    pub advisory: AdvisorySummary,
    /// Statuses, aligned with [`Matrix::releases`].
    pub cells: Vec<Status>,
}

/// Releases × advisories.
#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    /// Release names (columns).
    pub releases: Vec<String>,
    /// Advisories (rows), by severity then score then id.
    pub rows: Vec<MatrixRow>,
}

/// What to keep in a matrix.
#[derive(Clone, Debug, Default)]
pub struct MatrixFilter {
    /// Only advisories at or above this severity.
    pub min_severity: Option<Severity>,
    /// Only releases of these lines.
    pub lines: Vec<MinorLine>,
    /// Only advisories with at least one cell of these statuses (default: anything but
    /// not-affected everywhere).
    pub statuses: Vec<StatusKind>,
    /// Keep advisories that affect no release at all.
    pub all: bool,
}

impl MatrixFilter {
    /// Whether a release of `line` is a column (`None`: a release whose name is no version,
    /// kept only when no line is asked for). The CLI and the portal filter with this one rule.
    pub fn keeps_line(&self, line: Option<MinorLine>) -> bool {
        self.lines.is_empty() || line.is_some_and(|l| self.lines.contains(&l))
    }

    /// Whether an advisory of `severity`, with `cells` as its statuses in the kept columns, is
    /// a row.
    pub fn keeps_row<'a>(
        &self,
        severity: Severity,
        cells: impl IntoIterator<Item = &'a Status>,
    ) -> bool {
        if self.min_severity.is_some_and(|min| severity < min) {
            return false;
        }
        let mut cells = cells.into_iter();
        if !self.statuses.is_empty() {
            cells.any(|c| self.statuses.contains(&c.status))
        } else {
            self.all || cells.any(|c| c.status != StatusKind::NotAffected)
        }
    }
}

/// Compute the matrix.
pub fn matrix(
    db: &Database,
    releases: &[ReleaseFacts],
    triage: &Triage,
    filter: &MatrixFilter,
) -> Matrix {
    let columns: Vec<&ReleaseFacts> = releases
        .iter()
        .filter(|r| filter.keeps_line(r.line()))
        .collect();
    let mut rows = Vec::new();
    for adv in db.sorted_by_severity() {
        // The severity alone can drop a row before any status is computed.
        if filter.min_severity.is_some_and(|min| adv.severity() < min) {
            continue;
        }
        let cells: Vec<Status> = columns.iter().map(|r| status(adv, r, triage)).collect();
        if filter.keeps_row(adv.severity(), &cells) {
            rows.push(MatrixRow {
                advisory: AdvisorySummary::of(adv),
                cells,
            });
        }
    }
    Matrix {
        releases: columns.iter().map(|r| r.name.clone()).collect(),
        rows,
    }
}

/// One advisory across releases.
#[derive(Clone, Debug, Serialize)]
pub struct AdvisoryReport {
    /// The advisory.
    pub advisory: AdvisorySummary,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Affected ranges, per package, as written.
    pub ranges: Vec<String>,
    /// Status per release.
    pub releases: Vec<(String, Status)>,
}

/// `klts vulns show`.
pub fn show(adv: &Advisory, releases: &[ReleaseFacts], triage: &Triage) -> AdvisoryReport {
    let ranges = adv
        .affected
        .iter()
        .map(|a| {
            let events: Vec<String> = a
                .ranges
                .iter()
                .flat_map(|r| &r.events)
                .map(|e| match e {
                    crate::model::Event::Introduced(v) => format!(">={v}"),
                    crate::model::Event::Fixed(v) => format!("<{v}"),
                    crate::model::Event::LastAffected(v) => format!("<={v}"),
                    crate::model::Event::Limit(v) => format!("limit {v}"),
                })
                .collect();
            format!(
                "{} ({}): {}",
                a.package.name,
                a.package.ecosystem,
                events.join(" ")
            )
        })
        .collect();
    AdvisoryReport {
        advisory: AdvisorySummary::of(adv),
        references: adv.references.clone(),
        ranges,
        releases: releases
            .iter()
            .map(|r| (r.name.clone(), status(adv, r, triage)))
            .collect(),
    }
}

/// Why a version cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// An LTS-style version (`v1.17.17-lts.9`) that the workspace does not define: answering
    /// for its upstream base would be answering another question.
    #[error("unknown release `{0}`: the workspace defines no such release\n  help: `klts releases` lists them; ask for the upstream version (e.g. 1.17.17) to see upstream's exposure")]
    UnknownRelease(String),
}

/// The facts to check `version` with, the one rule for `klts vulns check` and the portal's
/// `/api/v1/status/<version>`: the workspace release of that name (or version) when there is
/// one; else, for a plain upstream version (or anything without a workspace), `None` (the bare
/// upstream version is checked); an LTS-suffixed version a workspace does not define is an
/// error.
pub fn select_facts<'a>(
    version: &Version,
    asked: &str,
    releases: &'a [ReleaseFacts],
    workspace: bool,
) -> Result<Option<&'a ReleaseFacts>, CheckError> {
    let own = releases
        .iter()
        .find(|r| r.name == asked || Version::parse(&r.name).ok().as_ref() == Some(version));
    match own {
        Some(r) => Ok(Some(r)),
        None if workspace && version.suffix().is_some() && !version.is_prerelease() => Err(
            CheckError::UnknownRelease(klts_core::names::printable(asked, 80)),
        ),
        None => Ok(None),
    }
}

/// The answer to "what is a cluster at this version exposed to": the one shape of
/// `klts vulns check -o json` and `/api/v1/status/<version>.json`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckAnswer {
    /// The version asked about, as checked.
    pub version: String,
    /// Its upstream version.
    pub upstream: Option<String>,
    /// Where the facts came from: `mirror` (trees and git), `manifest` (the chain's patch names
    /// only) or `version` (the upstream version only).
    pub facts: &'static str,
    /// Whether the version is a release of the workspace.
    pub lts_release: bool,
    /// Open advisories and what fixes them.
    pub exposures: Vec<Exposure>,
}

/// One advisory a version is exposed to, and what fixes it.
#[derive(Clone, Debug, Serialize)]
pub struct Exposure {
    /// The advisory.
    pub advisory: AdvisorySummary,
    /// Its status in the version asked about.
    pub status: Status,
    /// The lowest upstream release of the same line that fixes it, if any.
    pub upstream_fix: Option<String>,
    /// The lowest LTS release of the workspace, same line, at or after the version, that is
    /// fixed.
    pub lts_fix: Option<String>,
}

/// `klts vulns check VERSION`: open advisories (affected or unknown) for `facts`, each with
/// the lowest fixing release of the same line. `workspace` are the facts of the workspace's
/// releases, if any, to find LTS fixes.
pub fn check(
    db: &Database,
    facts: &ReleaseFacts,
    workspace: &[ReleaseFacts],
    triage: &Triage,
    include_unknown: bool,
) -> Vec<Exposure> {
    let version = facts.upstream.clone();
    let asked = Version::parse(&facts.name).ok();
    let mut out = Vec::new();
    for adv in db.sorted_by_severity() {
        let st = status(adv, facts, triage);
        let open = st.is_open()
            || (include_unknown
                && (st.status == StatusKind::Unassessed
                    || (st.status == StatusKind::Unknown && has_tree_need(&st))));
        if !open {
            continue;
        }
        // The suggested upstream fix comes from the same judgement as the status: the lowest
        // later patch release of the line whose own status is fixed (or no longer affected).
        let upstream_fix = version
            .as_ref()
            .and_then(|v| upstream_fix_in_line(adv, v, facts.product, triage));
        // Dependency advisories have no fix version in Kubernetes terms: an upstream tag of the
        // line whose own tree is fixed (as seen through a workspace release based on it) is.
        let upstream_fix = upstream_fix.or_else(|| {
            let v = version.as_ref()?;
            workspace
                .iter()
                .filter(|r| r.line() == facts.line())
                .filter_map(|r| r.upstream.clone().map(|u| (u, r)))
                .filter(|(u, _)| u > v)
                .filter(|(_, r)| status(adv, r, triage).status == StatusKind::FixedUpstream)
                .map(|(u, _)| u)
                .min()
                .map(|u| u.to_string())
        });
        let lts_fix = workspace
            .iter()
            .filter(|r| r.line().is_some() && r.line() == facts.line())
            .filter_map(|r| Version::parse(&r.name).ok().map(|v| (v, r)))
            .filter(|(v, _)| asked.as_ref().is_none_or(|a| v >= a))
            .filter(|(_, r)| status(adv, r, triage).status.is_fixed())
            .min_by(|a, b| a.0.cmp(&b.0))
            .map(|(v, _)| v.to_string());
        out.push(Exposure {
            advisory: AdvisorySummary::of(adv),
            status: st,
            upstream_fix,
            lts_fix,
        });
    }
    out
}

/// The lowest patch release of `v`'s line after `v` (up to the line's newest, from the
/// lifecycle calendar) that the status judgement calls fixed upstream or not affected.
fn upstream_fix_in_line(
    adv: &Advisory,
    v: &Version,
    product: klts_core::Product,
    triage: &Triage,
) -> Option<String> {
    let calendar = klts_core::lifecycle::Calendar::builtin_for(product);
    let newest = calendar
        .get(v.line())
        .and_then(|f| f.latest_patch.as_deref())
        .and_then(|p| Version::parse(p).ok())?;
    (v.patch() + 1..=newest.patch()).find_map(|p| {
        let candidate = Version::new(v.major(), v.minor(), p);
        let facts = ReleaseFacts {
            name: candidate.to_string(),
            product,
            upstream: Some(candidate.clone()),
            ..ReleaseFacts::default()
        };
        matches!(
            status(adv, &facts, triage).status,
            StatusKind::FixedUpstream | StatusKind::NotAffected
        )
        .then(|| candidate.to_string())
    })
}

/// What upstream did about an advisory on one minor line, by the status judgement at each of
/// the line's patch releases (x.y.0 up to the calendar's newest): the Debian-tracker view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "upstream", content = "version", rename_all = "kebab-case")]
pub enum LineFix {
    /// The first patch release that is no longer affected, after one that was.
    FixedIn(String),
    /// The line shipped with the fix (`x.y.0` already fixed upstream).
    ReleasedFixed(String),
    /// No patch release of the line is affected.
    NotAffected,
    /// Affected up to the line's newest patch release: upstream never fixed it there.
    Open(String),
    /// Upstream did not assess the line (it was out of support when the advisory came out).
    Unassessed,
}

/// [`LineFix`] for `line` of `product` (`None` when the calendar has no newest patch for the
/// line, or when the judgement needs a source tree for every patch: Go and module advisories).
pub fn upstream_on_line(
    adv: &Advisory,
    line: MinorLine,
    product: klts_core::Product,
    triage: &Triage,
) -> Option<LineFix> {
    let newest = klts_core::lifecycle::Calendar::builtin_for(product)
        .get(line)
        .and_then(|f| f.latest_patch.as_deref())
        .and_then(|p| Version::parse(p).ok())?;
    let mut seen_open = false;
    let mut unassessed = false;
    let mut decided = false;
    for p in 0..=newest.patch() {
        let v = Version::new(line.major, line.minor, p);
        let facts = ReleaseFacts {
            name: v.to_string(),
            product,
            upstream: Some(v.clone()),
            ..ReleaseFacts::default()
        };
        match status(adv, &facts, triage).status {
            StatusKind::Affected => {
                seen_open = true;
                decided = true;
            }
            StatusKind::Unassessed => unassessed = true,
            StatusKind::FixedUpstream if p == 0 && !seen_open => {
                return Some(LineFix::ReleasedFixed(v.to_string()))
            }
            StatusKind::FixedUpstream | StatusKind::NotAffected if seen_open => {
                return Some(LineFix::FixedIn(v.to_string()))
            }
            StatusKind::FixedUpstream | StatusKind::NotAffected => decided = true,
            _ => {}
        }
    }
    if seen_open {
        Some(LineFix::Open(newest.to_string()))
    } else if unassessed {
        Some(LineFix::Unassessed)
    } else if decided {
        Some(LineFix::NotAffected)
    } else {
        None
    }
}

fn has_tree_need(st: &Status) -> bool {
    st.evidence
        .iter()
        .any(|e| matches!(e, crate::status::Evidence::Missing { what } if what.contains("tree")))
}

/// A `must` release with an open advisory at or above the gate's severity.
#[derive(Clone, Debug, Serialize)]
pub struct GateViolation {
    /// The release.
    pub release: String,
    /// The advisory.
    pub advisory: AdvisorySummary,
    /// Its status (affected).
    pub status: Status,
}

/// `klts vulns gate`: violations for the `must` releases.
pub fn gate(
    db: &Database,
    releases: &[ReleaseFacts],
    must: &dyn Fn(&str) -> bool,
    triage: &Triage,
    min: Severity,
) -> Vec<GateViolation> {
    let mut out = Vec::new();
    for r in releases.iter().filter(|r| must(&r.name)) {
        for adv in db.sorted_by_severity() {
            if adv.severity() < min {
                continue;
            }
            let st = status(adv, r, triage);
            if st.is_open() {
                out.push(GateViolation {
                    release: r.name.clone(),
                    advisory: AdvisorySummary::of(adv),
                    status: st,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(status: StatusKind) -> Status {
        Status {
            status,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn the_matrix_filter_rule() {
        let line = |s: &str| Version::parse(s).ok().map(|v| v.line());
        let any = MatrixFilter::default();
        assert!(any.keeps_line(line("v1.17.17")) && any.keeps_line(None));
        let l17 = MatrixFilter {
            lines: vec![line("v1.17.0").unwrap()],
            ..MatrixFilter::default()
        };
        assert!(l17.keeps_line(line("v1.17.17-lts.1")));
        assert!(!l17.keeps_line(line("v1.18.20")) && !l17.keeps_line(None));

        let clean = [cell(StatusKind::NotAffected), cell(StatusKind::NotAffected)];
        let open = [cell(StatusKind::NotAffected), cell(StatusKind::Affected)];
        // By default a row that affects nothing is dropped, unless `all`.
        assert!(!any.keeps_row(Severity::High, &clean));
        assert!(any.keeps_row(Severity::High, &open));
        let all = MatrixFilter {
            all: true,
            ..MatrixFilter::default()
        };
        assert!(all.keeps_row(Severity::Low, &clean));
        // A minimum severity drops lower rows even when they are open.
        let high = MatrixFilter {
            min_severity: Some(Severity::High),
            ..MatrixFilter::default()
        };
        assert!(!high.keeps_row(Severity::Medium, &open));
        assert!(high.keeps_row(Severity::Critical, &open));
        // Asked statuses replace the default.
        let fixed = MatrixFilter {
            statuses: vec![StatusKind::NotAffected],
            ..MatrixFilter::default()
        };
        assert!(fixed.keeps_row(Severity::Low, &clean));
        assert!(!MatrixFilter {
            statuses: vec![StatusKind::FixedByPatch],
            ..MatrixFilter::default()
        }
        .keeps_row(Severity::Low, &open));
    }
}
