//! The status of one advisory in one release, with the evidence behind it.
//!
//! Each affected package of an advisory is one of three kinds, evaluated against different
//! facts of the release:
//!
//! * **Kubernetes itself** — the `kubernetes` ecosystem (`k8s.io/kubelet`, …), the Go module
//!   `k8s.io/kubernetes`, and the staging modules (`k8s.io/apiserver` v0.M.P ↔ Kubernetes 1.M.P):
//!   evaluated at the release's **upstream version** (the x.y.z of its root tag).
//! * **Go itself** — `stdlib` and `toolchain`: evaluated at the Go version the tree builds with.
//! * **A Go module dependency** (`github.com/gogo/protobuf`, …): evaluated at the module's
//!   version in the tree (`go.mod` with `replace`, `vendor/modules.txt`, `Godeps.json`).
//!
//! Trees are read twice: the upstream root tag's (did upstream already carry the fix?) and the
//! materialized release's (did a patch bump the dependency?). The statuses:
//!
//! | status | meaning |
//! | --- | --- |
//! | `not-affected` | the upstream version is outside every affected range (or the module is absent) |
//! | `fixed-upstream` | the upstream tag already carries the fix |
//! | `fixed-by-patch` | a patch of the release chain fixes it (by name `CVE-…[.suffix]`, or `fixes:`) |
//! | `fixed-by-dependency` | the materialized tree has the module/Go at a fixed version |
//! | `affected` | none of the above |
//! | `ignored` | a triage decision (`triage.yml`) with its VEX justification |
//! | `unknown` | the facts needed are missing (no ranges known, or the release tree is not available) |

use crate::inventory::Inventory;
use crate::model::{Advisory, Affected, Ecosystem};
use crate::range::{evaluate, Evidence as RangeEvidence, Verdict};
use crate::triage::Triage;
use klts_core::{MinorLine, Version};
use serde::Serialize;
use std::fmt;

/// The status of an advisory in a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusKind {
    /// Outside every affected range.
    NotAffected,
    /// The upstream tag carries the fix.
    FixedUpstream,
    /// A patch of the chain fixes it.
    FixedByPatch,
    /// The tree has a fixed dependency or Go version.
    FixedByDependency,
    /// A triage decision.
    Ignored,
    /// Facts missing.
    Unknown,
    /// Open.
    Affected,
}

impl StatusKind {
    /// Every status, in display order.
    pub const ALL: [StatusKind; 7] = [
        StatusKind::Affected,
        StatusKind::Unknown,
        StatusKind::Ignored,
        StatusKind::FixedByPatch,
        StatusKind::FixedByDependency,
        StatusKind::FixedUpstream,
        StatusKind::NotAffected,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::NotAffected => "not-affected",
            StatusKind::FixedUpstream => "fixed-upstream",
            StatusKind::FixedByPatch => "fixed-by-patch",
            StatusKind::FixedByDependency => "fixed-by-dependency",
            StatusKind::Ignored => "ignored",
            StatusKind::Unknown => "unknown",
            StatusKind::Affected => "affected",
        }
    }

    /// Parse the kebab-case name.
    pub fn parse(s: &str) -> Option<StatusKind> {
        StatusKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the release is exposed (affected, or not known to be safe).
    pub fn is_open(self) -> bool {
        matches!(self, StatusKind::Affected)
    }

    /// Whether the status says the release is fixed (upstream, by patch or dependency).
    pub fn is_fixed(self) -> bool {
        matches!(
            self,
            StatusKind::FixedUpstream | StatusKind::FixedByPatch | StatusKind::FixedByDependency
        )
    }
}

impl fmt::Display for StatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact supporting a status.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// A range evaluated at a version.
    Range {
        /// What was evaluated (`upstream version`, `gogo/protobuf in the release tree`, …).
        subject: String,
        /// The version evaluated.
        version: String,
        /// The range that matched (or the fix that ended it).
        range: RangeEvidence,
        /// The verdict for that subject.
        verdict: String,
    },
    /// A patch of the chain fixes the advisory.
    Patch {
        /// The patch name.
        patch: String,
        /// The release of the chain that carries it.
        release: String,
        /// How it was recognized (`name` or `fixes`).
        via: String,
    },
    /// A module or Go is absent from the tree.
    Absent {
        /// What is absent.
        subject: String,
    },
    /// The triage decision.
    Triage {
        /// VEX justification.
        justification: String,
        /// Free text.
        note: Option<String>,
    },
    /// Facts that were needed but missing.
    Missing {
        /// What is missing.
        what: String,
    },
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::Range {
                subject,
                version,
                range,
                verdict,
            } => {
                write!(
                    f,
                    "{subject} {version}: {verdict} ({} {}",
                    range.package, range.range
                )?;
                if let Some(fixed) = &range.fixed {
                    write!(f, ", fixed in {fixed}")?;
                }
                f.write_str(")")
            }
            Evidence::Patch {
                patch,
                release,
                via,
            } => write!(f, "patch `{patch}` in {release} (by {via})"),
            Evidence::Absent { subject } => write!(f, "{subject} is not in the tree"),
            Evidence::Triage {
                justification,
                note,
            } => {
                write!(f, "triage: {justification}")?;
                if let Some(n) = note {
                    write!(f, " — {n}")?;
                }
                Ok(())
            }
            Evidence::Missing { what } => write!(f, "missing: {what}"),
        }
    }
}

/// A status with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Status {
    /// The status.
    pub status: StatusKind,
    /// Why.
    pub evidence: Vec<Evidence>,
}

/// A patch of a release chain, as far as statuses are concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PatchFacts {
    /// The patch name (`CVE-2021-3121`, `CVE-2020-8554.1.18`, `nokmem.1.20`).
    pub name: String,
    /// The release of the chain that carries it.
    pub release: String,
    /// Advisory ids from the catalog entry's `fixes:`.
    pub fixes: Vec<String>,
}

/// What the status computation knows about a release (or a bare version).
#[derive(Clone, Debug, Default)]
pub struct ReleaseFacts {
    /// Release name (or the version asked about).
    pub name: String,
    /// The upstream version: x.y.z of the root tag.
    pub upstream: Option<Version>,
    /// Patches of the whole chain, root first.
    pub patches: Vec<PatchFacts>,
    /// Inventory of the materialized release tree.
    pub tree: Option<Inventory>,
    /// Inventory of the upstream root tag's tree.
    pub base_tree: Option<Inventory>,
}

impl ReleaseFacts {
    /// The minor line, from the upstream version.
    pub fn line(&self) -> Option<MinorLine> {
        self.upstream.as_ref().map(Version::line)
    }
}

/// The advisory id a patch name carries: `CVE-2020-8554.1.18` → `CVE-2020-8554`.
pub fn advisory_in_patch_name(name: &str) -> Option<&str> {
    let id = name.split('.').next()?;
    let is_id = |prefix: &str| {
        id.strip_prefix(prefix).is_some_and(|rest| {
            rest.contains('-') && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    (is_id("CVE-") || is_id("GHSA-") || is_id("GO-")).then_some(id)
}

/// Whether an affected package is Kubernetes itself (evaluated at the upstream version), as
/// opposed to Go, a Go module, or a project released outside kubernetes/kubernetes.
pub fn is_kubernetes_component(a: &Affected) -> bool {
    kind(a) == Kind::Kubernetes
}

/// How an affected package is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Kubernetes,
    GoToolchain,
    Module,
    Ignored,
}

fn kind(a: &Affected) -> Kind {
    match &a.package.ecosystem {
        // Kubernetes' own advisories also cover projects released outside kubernetes/kubernetes
        // (ingress-nginx, CSI drivers, csi-proxy): those have their own versions and are
        // evaluated like a dependency (absent from the tree: not affected), never against the
        // Kubernetes version.
        Ecosystem::Kubernetes if is_in_tree(&a.package.name) => Kind::Kubernetes,
        Ecosystem::Kubernetes => Kind::Module,
        Ecosystem::Go => match a.package.name.as_str() {
            "k8s.io/kubernetes" => Kind::Kubernetes,
            "stdlib" | "toolchain" => Kind::GoToolchain,
            name if is_staging(name) && ranges_look_like_staging(a) => Kind::Kubernetes,
            _ => Kind::Module,
        },
        Ecosystem::Other(_) => Kind::Ignored,
    }
}

/// Whether a `kubernetes`-ecosystem package is built from kubernetes/kubernetes: the main
/// module, its components, and the staging repositories.
fn is_in_tree(name: &str) -> bool {
    const COMPONENTS: &[&str] = &[
        "kubernetes",
        "kube-apiserver",
        "kubeadm",
        "kube-controller-manager",
    ];
    name.strip_prefix("k8s.io/")
        .is_some_and(|rest| COMPONENTS.contains(&rest))
        || is_staging(name)
}

/// The staging repositories published from kubernetes/kubernetes (versioned v0.M.P for 1.M.P).
fn is_staging(name: &str) -> bool {
    const STAGING: &[&str] = &[
        "api",
        "apiextensions-apiserver",
        "apimachinery",
        "apiserver",
        "cli-runtime",
        "client-go",
        "cloud-provider",
        "cluster-bootstrap",
        "code-generator",
        "component-base",
        "component-helpers",
        "controller-manager",
        "cri-api",
        "csi-translation-lib",
        "kube-aggregator",
        "kube-controller-manager",
        "kube-proxy",
        "kube-scheduler",
        "kubectl",
        "kubelet",
        "legacy-cloud-providers",
        "metrics",
        "mount-utils",
        "pod-security-admission",
        "sample-apiserver",
        "cri-client",
        "dynamic-resource-allocation",
        "endpointslice",
        "kms",
    ];
    name.strip_prefix("k8s.io/")
        .is_some_and(|rest| STAGING.contains(&rest))
}

fn ranges_look_like_staging(a: &Affected) -> bool {
    a.ranges.iter().flat_map(|r| &r.events).any(|e| {
        let v = match e {
            crate::model::Event::Introduced(v)
            | crate::model::Event::Fixed(v)
            | crate::model::Event::LastAffected(v)
            | crate::model::Event::Limit(v) => v,
        };
        v.trim_start_matches('v').starts_with("0.") && v != "0"
    })
}

/// The version of the Kubernetes package `a` at upstream version `v`.
fn kubernetes_version_for(a: &Affected, v: &Version) -> String {
    if a.package.ecosystem == Ecosystem::Go && a.package.name != "k8s.io/kubernetes" {
        // Staging module: v0.M.P for Kubernetes 1.M.P.
        format!("0.{}.{}", v.minor(), v.patch())
    } else {
        format!("{}.{}.{}", v.major(), v.minor(), v.patch())
    }
}

/// The combined verdict of several entries: affected wins, then fixed, then not-affected.
fn combine(verdicts: Vec<(Verdict, Evidence)>) -> Option<(Verdict, Evidence)> {
    let rank = |v: &Verdict| match v {
        Verdict::Affected(_) => 2,
        Verdict::Fixed(_) => 1,
        Verdict::NotAffected => 0,
    };
    verdicts.into_iter().max_by_key(|(v, _)| rank(v))
}

fn verdict_word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Affected(_) => "affected",
        Verdict::Fixed(_) => "fixed",
        Verdict::NotAffected => "not affected",
    }
}

fn range_evidence(subject: &str, version: &str, a: &Affected, v: &Verdict) -> Evidence {
    let range = match v {
        Verdict::Affected(e) | Verdict::Fixed(e) => e.clone(),
        Verdict::NotAffected => RangeEvidence {
            package: a.package.name.clone(),
            range: describe_ranges(a),
            introduced: None,
            fixed: None,
            last_affected: None,
        },
    };
    Evidence::Range {
        subject: subject.to_string(),
        version: version.to_string(),
        range,
        verdict: verdict_word(v).to_string(),
    }
}

fn describe_ranges(a: &Affected) -> String {
    let mut parts = Vec::new();
    for r in &a.ranges {
        for e in &r.events {
            parts.push(match e {
                crate::model::Event::Introduced(v) => format!("introduced {v}"),
                crate::model::Event::Fixed(v) => format!("fixed {v}"),
                crate::model::Event::LastAffected(v) => format!("last affected {v}"),
                crate::model::Event::Limit(v) => format!("limit {v}"),
            });
        }
    }
    if parts.is_empty() {
        "no ranges".into()
    } else {
        parts.join(", ")
    }
}

/// Evaluate module/toolchain entries against one inventory. `None` when the inventory is
/// missing; `Some(None)` when no entry's subject is present in it.
fn evaluate_tree(
    entries: &[&Affected],
    inv: Option<&Inventory>,
    which: &str,
) -> Option<Option<(Verdict, Evidence)>> {
    let inv = inv?;
    let mut verdicts = Vec::new();
    for a in entries {
        let (subject, version) = match kind(a) {
            Kind::GoToolchain => match &inv.go {
                Some(go) => (
                    format!("Go in the {which} tree ({})", go.source),
                    go.version.clone(),
                ),
                None => continue,
            },
            _ => match inv.effective_version(&a.package.name) {
                Some(v) => (
                    format!("{} in the {which} tree", a.package.name),
                    v.to_string(),
                ),
                None => continue,
            },
        };
        match evaluate(a, &version) {
            Ok(v) => {
                let ev = range_evidence(&subject, &version, a, &v);
                verdicts.push((v, ev));
            }
            Err(e) => {
                tracing::debug!(package = %a.package.name, %version, error = %e, "cannot evaluate version");
            }
        }
    }
    Some(combine(verdicts))
}

/// The status of `adv` in `rel`.
pub fn status(adv: &Advisory, rel: &ReleaseFacts, triage: &Triage) -> Status {
    if let Some(d) = triage.decision(adv.ids(), &rel.name) {
        return Status {
            status: StatusKind::Ignored,
            evidence: vec![Evidence::Triage {
                justification: d.justification.clone(),
                note: d.note.clone(),
            }],
        };
    }
    let patch = rel.patches.iter().find_map(|p| {
        if p.fixes.iter().any(|f| adv.is_named(f)) {
            Some(Evidence::Patch {
                patch: p.name.clone(),
                release: p.release.clone(),
                via: "fixes".into(),
            })
        } else if advisory_in_patch_name(&p.name).is_some_and(|id| adv.is_named(id)) {
            Some(Evidence::Patch {
                patch: p.name.clone(),
                release: p.release.clone(),
                via: "name".into(),
            })
        } else {
            None
        }
    });

    let component: Vec<&Affected> = adv
        .affected
        .iter()
        .filter(|a| kind(a) == Kind::Kubernetes)
        .collect();
    let deps: Vec<&Affected> = adv
        .affected
        .iter()
        .filter(|a| matches!(kind(a), Kind::Module | Kind::GoToolchain))
        .collect();
    let mut outcomes: Vec<Status> = Vec::new();

    if !component.is_empty() {
        match &rel.upstream {
            None => outcomes.push(Status {
                status: StatusKind::Unknown,
                evidence: vec![Evidence::Missing {
                    what: format!(
                        "the upstream version of {} (its name is not a version)",
                        rel.name
                    ),
                }],
            }),
            Some(up) => {
                let mut verdicts = Vec::new();
                for a in &component {
                    let version = kubernetes_version_for(a, up);
                    if let Ok(v) = evaluate(a, &version) {
                        let ev = range_evidence("upstream version", &version, a, &v);
                        verdicts.push((v, ev));
                    }
                }
                outcomes.push(match combine(verdicts) {
                    None => Status {
                        status: StatusKind::Unknown,
                        evidence: vec![Evidence::Missing {
                            what: "comparable version ranges".into(),
                        }],
                    },
                    Some((Verdict::NotAffected, ev)) => Status {
                        status: StatusKind::NotAffected,
                        evidence: vec![ev],
                    },
                    Some((Verdict::Fixed(_), ev)) => Status {
                        status: StatusKind::FixedUpstream,
                        evidence: vec![ev],
                    },
                    Some((Verdict::Affected(_), ev)) => match &patch {
                        Some(p) => Status {
                            status: StatusKind::FixedByPatch,
                            evidence: vec![p.clone(), ev],
                        },
                        None => Status {
                            status: StatusKind::Affected,
                            evidence: vec![ev],
                        },
                    },
                });
            }
        }
    }

    if !deps.is_empty() {
        let base = evaluate_tree(&deps, rel.base_tree.as_ref(), "upstream");
        let tree = evaluate_tree(&deps, rel.tree.as_ref(), "release");
        let subjects = || {
            deps.iter()
                .map(|a| a.package.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        outcomes.push(match (base, tree) {
            // Nothing to read at all.
            (None, None) => match &patch {
                Some(p) => Status {
                    status: StatusKind::FixedByPatch,
                    evidence: vec![p.clone()],
                },
                None => Status {
                    status: StatusKind::Unknown,
                    evidence: vec![Evidence::Missing {
                        what: format!("the release tree, to find {}", subjects()),
                    }],
                },
            },
            (base, tree) => {
                let base = base.flatten();
                let tree = tree.flatten();
                match (base, tree) {
                    (None, None) => Status {
                        status: StatusKind::NotAffected,
                        evidence: vec![Evidence::Absent {
                            subject: subjects(),
                        }],
                    },
                    (Some((Verdict::Fixed(_), ev)), _) => Status {
                        status: StatusKind::FixedUpstream,
                        evidence: vec![ev],
                    },
                    (Some((Verdict::NotAffected, ev)), None | Some((Verdict::NotAffected, _))) => {
                        Status {
                            status: StatusKind::NotAffected,
                            evidence: vec![ev],
                        }
                    }
                    (base, tree) => {
                        let base_ev = base.as_ref().map(|(_, e)| e.clone());
                        let mut evidence: Vec<Evidence> = base_ev.into_iter().collect();
                        match (&patch, tree) {
                            (Some(p), _) => {
                                evidence.insert(0, p.clone());
                                Status {
                                    status: StatusKind::FixedByPatch,
                                    evidence,
                                }
                            }
                            (None, Some((Verdict::Affected(_), ev))) => {
                                evidence.push(ev);
                                Status {
                                    status: StatusKind::Affected,
                                    evidence,
                                }
                            }
                            (None, Some((_, ev))) => {
                                evidence.push(ev);
                                Status {
                                    status: StatusKind::FixedByDependency,
                                    evidence,
                                }
                            }
                            (None, None) if rel.tree.is_none() => {
                                evidence.push(Evidence::Missing {
                                    what: "the release tree".into(),
                                });
                                Status {
                                    status: StatusKind::Unknown,
                                    evidence,
                                }
                            }
                            (None, None) => {
                                evidence.push(Evidence::Absent {
                                    subject: format!("{} (removed by a patch)", subjects()),
                                });
                                Status {
                                    status: StatusKind::FixedByDependency,
                                    evidence,
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    if outcomes.is_empty() {
        return match patch {
            Some(p) => Status {
                status: StatusKind::FixedByPatch,
                evidence: vec![p],
            },
            None => Status {
                status: StatusKind::Unknown,
                evidence: vec![Evidence::Missing {
                    what: "affected packages or version ranges for this advisory".into(),
                }],
            },
        };
    }
    // The worst outcome decides: an open dependency is not hidden by a fixed component.
    outcomes.sort_by_key(|s| std::cmp::Reverse(severity_rank(s.status)));
    let mut first = outcomes.remove(0);
    for other in outcomes {
        first.evidence.extend(other.evidence);
    }
    first
}

fn severity_rank(s: StatusKind) -> u8 {
    match s {
        StatusKind::Affected => 6,
        StatusKind::Unknown => 5,
        StatusKind::FixedByPatch => 4,
        StatusKind::FixedByDependency => 3,
        StatusKind::FixedUpstream => 2,
        StatusKind::Ignored => 1,
        StatusKind::NotAffected => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_names_carry_advisory_ids() {
        assert_eq!(
            advisory_in_patch_name("CVE-2020-8554.1.18"),
            Some("CVE-2020-8554")
        );
        assert_eq!(
            advisory_in_patch_name("CVE-2021-3121"),
            Some("CVE-2021-3121")
        );
        assert_eq!(
            advisory_in_patch_name("GHSA-c3h9-896r-86jm"),
            Some("GHSA-c3h9-896r-86jm")
        );
        assert_eq!(advisory_in_patch_name("nokmem.1.20"), None);
        assert_eq!(advisory_in_patch_name("fix-run-docker.1.24"), None);
    }
}
