//! `triage.yml`: a maintainer's decisions that an advisory does not apply to some releases.
//!
//! ```yaml
//! triage:
//!   - advisory: CVE-2020-8554          # any id or alias
//!     lines: ["1.17", "1.18"]          # and/or
//!     releases: [v1.16.15-lts.3]       # (neither: every release)
//!     justification: vulnerable_code_not_in_execute_path
//!     note: LoadBalancer IPs are not used by our users' clusters
//! ```
//!
//! Justifications are the OpenVEX set, so a decision flows unchanged into `klts vex`. A
//! malformed file is an error naming `file:line:col`; an unknown justification is an error too,
//! because a VEX document with a made-up justification is worse than none.

use klts_core::diag::Location;
use klts_core::{MinorLine, Version};
use saphyr::{MarkedYaml, Scalar, YamlData};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// File name of the triage file in the workspace root.
pub const TRIAGE_FILE: &str = "triage.yml";

/// The OpenVEX justifications for `not_affected`.
pub const JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// One triage decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The advisory id or alias it is about.
    pub advisory: String,
    /// Minor lines it covers (empty with empty `releases`: all).
    pub lines: Vec<MinorLine>,
    /// Releases it covers.
    pub releases: Vec<String>,
    /// OpenVEX justification.
    pub justification: String,
    /// Free text.
    pub note: Option<String>,
    /// Where the decision starts in the file.
    #[serde(skip)]
    pub loc: Location,
}

impl Decision {
    /// Whether the decision covers `release` (name) of `line`.
    pub fn covers(&self, release: &str, line: Option<MinorLine>) -> bool {
        if self.lines.is_empty() && self.releases.is_empty() {
            return true;
        }
        self.releases
            .iter()
            .any(|r| r == release || r.trim_start_matches('v') == release.trim_start_matches('v'))
            || line.is_some_and(|l| self.lines.contains(&l))
    }
}

/// All decisions of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Triage {
    /// The decisions, in file order.
    pub decisions: Vec<Decision>,
}

/// A triage file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}:{loc}: {message}", path.display())]
pub struct TriageError {
    /// The file.
    pub path: PathBuf,
    /// Where.
    pub loc: Location,
    /// What is wrong and what to do.
    pub message: String,
}

/// Everything `klts lint` says about `triage.yml` at `path`: a file that cannot be read or
/// parsed is one error (with its position), then [`Triage::check`]'s findings. A missing file
/// is fine (no decisions).
pub fn lint(
    path: &Path,
    db: &crate::db::Database,
    manifest: &klts_core::Manifest,
) -> Vec<klts_core::Diagnostic> {
    use klts_core::{Diagnostic, Severity};
    match Triage::load(path) {
        Ok(t) => t.check(path, db, manifest),
        Err(e) => vec![Diagnostic::new(
            Severity::Error,
            TriageCode::Invalid,
            path,
            (e.loc != Location::default()).then_some(e.loc),
            e.message,
        )
        .with_help("fix the file; `klts help vulns` shows the triage.yml format")],
    }
}

impl Triage {
    /// The cross-checks of decisions against the advisory database and the manifest, as
    /// diagnostics (one owner for `klts lint` and `klts vulns`): a decision about an advisory
    /// no source has (a typo, or feeds not synced), or about a release the manifest lacks.
    pub fn check(
        &self,
        path: &Path,
        db: &crate::db::Database,
        manifest: &klts_core::Manifest,
    ) -> Vec<klts_core::Diagnostic> {
        use klts_core::{Diagnostic, Severity};
        let mut out = Vec::new();
        for d in &self.decisions {
            if db.get(&d.advisory).is_none() {
                out.push(
                    Diagnostic::new(
                        Severity::Warning,
                        TriageCode::UnknownAdvisory,
                        path,
                        Some(d.loc),
                        format!(
                            "triage names `{}`, which no advisory has",
                            klts_core::names::printable(&d.advisory, 80)
                        ),
                    )
                    .with_help(
                        "check the id for a typo, or run `klts feed sync` for newer advisories",
                    ),
                );
            }
            for r in d.releases.iter().filter(|r| manifest.release(r).is_none()) {
                out.push(
                    Diagnostic::new(
                        Severity::Warning,
                        TriageCode::UnknownRelease,
                        path,
                        Some(d.loc),
                        format!(
                            "triage names release `{}`, which the manifest does not have",
                            klts_core::names::printable(r, 80)
                        ),
                    )
                    .with_help("name a release of releases.yml (`klts releases` lists them)"),
                );
            }
        }
        out
    }

    /// Read `path`; a missing file means no decisions.
    pub fn load(path: &Path) -> Result<Triage, TriageError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Triage::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Triage::default()),
            Err(e) => Err(TriageError {
                path: path.into(),
                loc: Location::default(),
                message: e.to_string(),
            }),
        }
    }

    /// Parse triage text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Triage, TriageError> {
        let err = |loc: Location, message: String| TriageError {
            path: path.into(),
            loc,
            message,
        };
        let docs = klts_core::yaml::load_str(text).map_err(|e| {
            err(
                Location {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                },
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        let Some(root) = docs.first() else {
            return Ok(Triage::default());
        };
        let list = match &root.data {
            YamlData::Mapping(map) => {
                let mut found = None;
                for (k, v) in map {
                    match scalar(k).as_deref() {
                        Some("triage") => found = Some(v),
                        _ => {
                            return Err(err(
                                loc(k),
                                format!(
                                    "unknown key `{}`: a triage file has one key, `triage`",
                                    scalar(k).unwrap_or_default()
                                ),
                            ))
                        }
                    }
                }
                found
            }
            YamlData::Value(Scalar::Null) => None,
            _ => {
                return Err(err(
                    loc(root),
                    "expected a mapping with a `triage:` list".into(),
                ))
            }
        };
        let Some(list) = list else {
            return Ok(Triage::default());
        };
        let items: &[MarkedYaml<'_>] = match &list.data {
            YamlData::Sequence(items) => items,
            YamlData::Value(Scalar::Null) => &[],
            _ => {
                return Err(err(
                    loc(list),
                    "`triage` must be a list of decisions".into(),
                ))
            }
        };
        let mut decisions = Vec::new();
        for item in items {
            let YamlData::Mapping(map) = &item.data else {
                return Err(err(
                    loc(item),
                    "a decision is a mapping with advisory, justification, and lines or releases"
                        .into(),
                ));
            };
            let mut d = Decision {
                advisory: String::new(),
                lines: Vec::new(),
                releases: Vec::new(),
                justification: String::new(),
                note: None,
                loc: loc(item),
            };
            for (k, v) in map {
                let key = scalar(k).unwrap_or_default();
                match key.as_str() {
                    "advisory" => d.advisory = scalar(v).ok_or_else(|| err(loc(v), "`advisory` must be an id such as CVE-2021-3121".into()))?,
                    "justification" => {
                        let j = scalar(v).ok_or_else(|| err(loc(v), "`justification` must be a string".into()))?;
                        if !JUSTIFICATIONS.contains(&j.as_str()) {
                            return Err(err(loc(v), format!("unknown justification `{j}`: use one of {}", JUSTIFICATIONS.join(", "))));
                        }
                        d.justification = j;
                    }
                    "note" => d.note = scalar(v),
                    "releases" => d.releases = strings(v).ok_or_else(|| err(loc(v), "`releases` must be a list of release names".into()))?,
                    "lines" => {
                        let items = strings_with_loc(v).map_err(|l| {
                            err(l, "`lines` must be a list of quoted minor lines such as [\"1.17\", \"1.18\"] (quote them: YAML reads 1.10 as 1.1)".into())
                        })?;
                        for (s, l) in items {
                            let line: MinorLine = s
                                .parse()
                                .map_err(|_| err(l, format!("`{s}` is not a minor line such as \"1.17\" (quote it: YAML reads 1.10 as 1.1)")))?;
                            d.lines.push(line);
                        }
                    }
                    other => return Err(err(loc(k), format!("unknown key `{other}` in a decision (advisory, lines, releases, justification, note)"))),
                }
            }
            if d.advisory.is_empty() {
                return Err(err(d.loc, "decision without `advisory`".into()));
            }
            if d.justification.is_empty() {
                return Err(err(
                    d.loc,
                    format!(
                        "decision on {} without `justification` (one of {})",
                        d.advisory,
                        JUSTIFICATIONS.join(", ")
                    ),
                ));
            }
            decisions.push(d);
        }
        Ok(Triage { decisions })
    }

    /// The decision on `advisory_ids` (any of them) for `release`, if any.
    pub fn decision<'a, I: IntoIterator<Item = &'a str>>(
        &self,
        advisory_ids: I,
        release: &str,
    ) -> Option<&Decision> {
        let ids: Vec<&str> = advisory_ids.into_iter().collect();
        let line = Version::parse(release).ok().map(|v| v.line());
        self.decisions.iter().find(|d| {
            ids.iter().any(|i| i.eq_ignore_ascii_case(&d.advisory)) && d.covers(release, line)
        })
    }
}

use klts_core::yaml::{loc, scalar};

klts_core::diagnostic_codes! {
    /// The checks of `triage.yml`.
    pub enum TriageCode {
        /// `triage.yml` cannot be read or parsed.
        Invalid => "triage-invalid",
        /// A decision about an advisory no source knows.
        UnknownAdvisory => "triage-unknown-advisory",
        /// A decision about a release the manifest does not define.
        UnknownRelease => "triage-unknown-release",
    }
}

fn strings(node: &MarkedYaml<'_>) -> Option<Vec<String>> {
    strings_with_loc(node)
        .ok()
        .map(|v| v.into_iter().map(|(s, _)| s).collect())
}

/// The string items of a list; `Err` with the position of the first non-string item (or of
/// the node when it is not a list).
fn strings_with_loc(node: &MarkedYaml<'_>) -> Result<Vec<(String, Location)>, Location> {
    match &node.data {
        YamlData::Sequence(items) => items
            .iter()
            .map(|i| scalar(i).map(|s| (s, loc(i))).ok_or_else(|| loc(i)))
            .collect(),
        _ => Err(loc(node)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are printed and matched by scripts: kebab-case, and one meaning per name across
    /// every domain.
    #[test]
    fn diagnostic_codes_are_unique_kebab_case() {
        use klts_core::diag::Code;
        let mut names: Vec<&str> = klts_core::lint::ManifestCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(
                klts_forge::lint::WorkspaceCode::ALL
                    .iter()
                    .map(|c| c.as_str()),
            )
            .chain(TriageCode::ALL.iter().map(|c| c.as_str()))
            .collect();
        for n in &names {
            assert!(
                n.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{n}"
            );
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a code name is used twice");
        assert_eq!(count, 22);
    }

    fn parse(s: &str) -> Result<Triage, TriageError> {
        Triage::parse(s, Path::new("triage.yml"))
    }

    #[test]
    fn decisions_cover_lines_and_releases() {
        let t = parse(
            "triage:\n  - advisory: CVE-2020-8554\n    lines: [\"1.17\"]\n    justification: vulnerable_code_not_in_execute_path\n    note: no LB\n  - advisory: GO-2021-0053\n    releases: [v1.16.15-lts.3]\n    justification: component_not_present\n",
        )
        .unwrap();
        assert_eq!(t.decisions.len(), 2);
        assert!(t.decision(["CVE-2020-8554"], "v1.17.17-lts.3").is_some());
        assert!(t.decision(["CVE-2020-8554"], "v1.18.20-lts.3").is_none());
        assert!(t
            .decision(["cve-2021-3121", "GO-2021-0053"], "v1.16.15-lts.3")
            .is_some());
        assert!(t.decision(["GO-2021-0053"], "v1.16.15-lts.2").is_none());
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("triage:\n  - advisory: CVE-1\n    justification: because\n").unwrap_err();
        assert_eq!((e.loc.line, e.loc.col), (3, 20));
        assert!(e.to_string().contains("unknown justification"), "{e}");
        let e = parse("triage:\n  - advisory: CVE-1\n    lines: [1.10]\n    justification: component_not_present\n").unwrap_err();
        assert!(e.to_string().contains("quote them"), "{e}");
        let e = parse("triage: [\n").unwrap_err();
        assert!(e.to_string().contains("invalid YAML"), "{e}");
        let e = parse("triage:\n  - advisory: CVE-1\n    justificaton: component_not_present\n")
            .unwrap_err();
        assert!(e.to_string().contains("unknown key `justificaton`"), "{e}");
        assert_eq!(parse("").unwrap(), Triage::default());
    }
}
