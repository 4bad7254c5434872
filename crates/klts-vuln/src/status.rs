//! The status of one advisory in one release, with the evidence behind it.
//!
//! Each affected package of an advisory is one of three kinds, evaluated against different
//! facts of the release:
//!
//! * **The product itself** ([`ReleaseFacts::product`], see [`klts_core::product`]) —
//!   for Kubernetes the `kubernetes` ecosystem (`k8s.io/kubelet`, …), the Go module
//!   `k8s.io/kubernetes`, and the staging modules (`k8s.io/apiserver` v0.M.P ↔ Kubernetes
//!   1.M.P); for containerd the module `github.com/containerd/containerd` (and `/v2`); for runc
//!   `github.com/opencontainers/runc`: evaluated at the release's **upstream version** (the
//!   x.y.z of its root tag), with the product's own calendar deciding which lines upstream
//!   assessed. A generic Go project has no advisories of its own.
//! * **Go itself** — `stdlib` and `toolchain`: evaluated at the Go version the tree builds with.
//! * **A Go module dependency** (`github.com/gogo/protobuf`, …): evaluated at the module's
//!   version in the tree (`go.mod` with `replace`, `vendor/modules.txt`, `Godeps.json`).
//!
//! Another product's own advisories never apply ([`applies_to`]): Kubernetes' records say
//! nothing about containerd, and runc's concern the runc binary, not the handful of its
//! packages containerd vendors. Module granularity would otherwise call every containerd 1.3
//! release affected by runc's container-escape fixes.
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
use klts_core::{MinorLine, Product, Version};
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
    /// The product's own security team (the primary source) did not assess this line: it was
    /// out of upstream support when the advisory was published. Secondary claims are evidence;
    /// triage, a patch or git evidence settle it. Never "not affected".
    Unassessed,
    /// Open.
    Affected,
}

impl StatusKind {
    /// Every status, in display order.
    pub const ALL: [StatusKind; 8] = [
        StatusKind::Affected,
        StatusKind::Unassessed,
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
            StatusKind::Unassessed => "unassessed",
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
        /// The record that makes this claim (`CVE-2020-8564 (kubernetes-osv)`), when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        record: Option<String>,
        /// Whether that record is only a secondary source here (its claim is evidence, not the
        /// verdict).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        secondary: bool,
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
    /// What git shows: the fix commit is in the upstream tag, or a chain commit carries it.
    Git {
        /// The evidence, with the commits it names.
        finding: crate::gitfix::GitFix,
        /// The chain patch, for a chain commit.
        #[serde(skip_serializing_if = "Option::is_none")]
        patch: Option<String>,
    },
    /// Which lines the primary source assessed, and whether this one is among them.
    Scope {
        /// The primary record(s).
        record: String,
        /// The line of the release.
        line: String,
        /// Whether the record's authors assessed that line.
        assessed: bool,
        /// Why (supported when published, named by the record, out of support since …).
        reason: String,
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
                record,
                secondary,
                subject,
                version,
                range,
                verdict,
            } => {
                if let Some(r) = record {
                    write!(f, "{}{r}: ", if *secondary { "claim of " } else { "" })?;
                }
                write!(
                    f,
                    "{subject} {version}: {verdict} ({} {}",
                    range.package, range.range
                )?;
                if let Some(fixed) = &range.fixed {
                    write!(f, ", fixed in {fixed}")?;
                } else if verdict == "affected" && range.last_affected.is_none() {
                    f.write_str(", no fix upstream")?;
                }
                f.write_str(")")
            }
            Evidence::Git { finding, patch } => {
                let short = |c: &str| c.get(..12).unwrap_or(c).to_string();
                match finding {
                    crate::gitfix::GitFix::Contains { fix } => {
                        write!(
                            f,
                            "git: the upstream tag contains fix commit {}",
                            short(fix)
                        )
                    }
                    crate::gitfix::GitFix::CherryPick { fix, commit } => write!(
                        f,
                        "git: the upstream tag contains {}, a cherry-pick of fix commit {}",
                        short(commit),
                        short(fix)
                    ),
                    crate::gitfix::GitFix::PatchId {
                        fix,
                        commit,
                        subject,
                    } => {
                        write!(
                        f,
                        "git: chain commit {} (\"{subject}\"{}) has the patch-id of fix commit {}",
                        short(commit),
                        patch.as_deref().map(|p| format!(", patch `{p}`")).unwrap_or_default(),
                        short(fix)
                    )
                    }
                    crate::gitfix::GitFix::Trailer {
                        fix,
                        commit,
                        subject,
                        trailer,
                    } => write!(
                        f,
                        "git: chain commit {} (\"{subject}\") names fix commit {} (`{trailer}`)",
                        short(commit),
                        short(fix)
                    ),
                }
            }
            Evidence::Scope {
                record,
                line,
                assessed,
                reason,
            } => write!(
                f,
                "{record} {} {line}: {reason}",
                if *assessed {
                    "assessed"
                } else {
                    "did not assess"
                }
            ),
            Evidence::Patch {
                patch,
                release,
                via,
            } if via == "name" => write!(
                f,
                "patch `{patch}` in {release} (by its name only: the weakest evidence)"
            ),
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

impl Status {
    /// Whether the release is exposed and someone must act: `affected`, or `unassessed` while
    /// another source claims it is affected (the CI gate must not pass a line merely because
    /// upstream never looked at it).
    pub fn is_open(&self) -> bool {
        match self.status {
            StatusKind::Affected => true,
            StatusKind::Unassessed => self.evidence.iter().any(|e| {
                matches!(e, Evidence::Range { secondary: true, verdict, .. } if verdict == "affected")
            }),
            _ => false,
        }
    }
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
    /// The product the release is of: decides which advisories are its own (judged at
    /// [`ReleaseFacts::upstream`]) and whose calendar says which lines upstream assessed.
    pub product: Product,
    /// The upstream version: x.y.z of the root tag.
    pub upstream: Option<Version>,
    /// Patches of the whole chain, root first.
    pub patches: Vec<PatchFacts>,
    /// Inventory of the materialized release tree.
    pub tree: Option<Inventory>,
    /// Inventory of the upstream root tag's tree.
    pub base_tree: Option<Inventory>,
    /// What git shows about each advisory's fix commits in this release (keyed by the
    /// advisory's primary id); empty without a mirror. See [`crate::gitfix`].
    pub git: std::collections::HashMap<String, GitFinding>,
}

/// Git evidence of one advisory in one release.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GitFinding {
    /// The upstream root tag carries a fix commit (itself or a cherry-pick).
    pub upstream: Option<crate::gitfix::GitFix>,
    /// A commit of the release chain carries it (same patch-id, or a trailer).
    pub patch: Option<crate::gitfix::GitFix>,
    /// The patch of the chain that produced that commit, when known.
    pub patch_name: Option<String>,
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

/// Whether an affected package is the product itself (evaluated at the upstream version), as
/// opposed to Go, a Go module, or a project released apart from the product.
pub fn is_product_component(a: &Affected, product: Product) -> bool {
    kind(a, product) == Kind::Product
}

/// Whether an advisory can concern a release of `product` at all: one of its affected
/// packages is the product, Go, or a Go module. Another product's own advisories (Kubernetes'
/// `kubernetes`-ecosystem records for containerd, containerd's for runc) never do.
///
/// An advisory that names another product itself (its module, its `kubernetes`-ecosystem
/// components, or the Kubernetes staging libraries at Kubernetes' versions) is that product's,
/// even when it also lists a library this product vendors: CVE-2020-8559 lists
/// `k8s.io/apimachinery`, which containerd 1.3 vendors, but the vulnerability is in
/// kube-apiserver's proxying.
pub fn applies_to(adv: &Advisory, product: Product) -> bool {
    let own = adv
        .affected
        .iter()
        .any(|a| kind(a, product) == Kind::Product);
    let others = Product::ALL
        .into_iter()
        .filter(|p| *p != product && *p != Product::Generic)
        .any(|p| adv.affected.iter().any(|a| kind(a, p) == Kind::Product));
    own || (!others
        && adv
            .affected
            .iter()
            .any(|a| kind(a, product) != Kind::Ignored))
}

/// How an affected package is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The product itself: judged at the upstream version.
    Product,
    GoToolchain,
    Module,
    /// Not about this product (another product's own advisory, or an ecosystem klts does not
    /// judge).
    Ignored,
}

fn kind(a: &Affected, product: Product) -> Kind {
    let name = a.package.name.as_str();
    match &a.package.ecosystem {
        // Kubernetes' own advisories also cover projects released outside kubernetes/kubernetes
        // (ingress-nginx, CSI drivers, csi-proxy): those have their own versions and are
        // evaluated like a dependency (absent from the tree: not affected), never against the
        // Kubernetes version. For any other product they are someone else's advisories.
        Ecosystem::Kubernetes => match product {
            Product::Kubernetes if is_in_tree(name) => Kind::Product,
            Product::Kubernetes => Kind::Module,
            _ => Kind::Ignored,
        },
        Ecosystem::Go => match name {
            "stdlib" | "toolchain" => Kind::GoToolchain,
            // The product itself, under any module path the databases use.
            name if product.is_self_module(name) => Kind::Product,
            name if product == Product::Kubernetes
                && is_staging(name)
                && ranges_look_like_staging(a) =>
            {
                Kind::Product
            }
            // Another product's own advisory: it concerns that product's binaries, not a
            // tree that vendors some of its packages (containerd vendors runc's
            // libcontainer/user, Kubernetes vendors containerd's API).
            name if Product::from_module_path(name).is_some_and(|p| p != product) => Kind::Ignored,
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

/// The version of the product package `a` at upstream version `v`.
fn product_version_for(a: &Affected, v: &Version, product: Product) -> String {
    if product == Product::Kubernetes
        && a.package.ecosystem == Ecosystem::Go
        && !product.is_self_module(&a.package.name)
    {
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
        record: a.record.as_ref().map(record_label),
        secondary: false,
        subject: subject.to_string(),
        version: version.to_string(),
        range,
        verdict: verdict_word(v).to_string(),
    }
}

/// `CVE-2020-8564 (kubernetes-osv)`.
fn record_label(r: &crate::model::RecordRef) -> String {
    format!("{} ({})", r.id, r.source.as_str())
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

/// The judgement for the product itself at upstream version `up` (see the module docs):
/// the primary records decide the lines they assessed; elsewhere the line is `unassessed` and
/// the secondary claims are evidence; a chain patch settles an open line.
fn component_status(
    adv: &Advisory,
    component: &[&Affected],
    up: &Version,
    product: Product,
    patch: Option<&Evidence>,
) -> Status {
    let mut primary = Vec::new();
    let mut secondary = Vec::new();
    for a in component {
        let version = product_version_for(a, up, product);
        if let Ok(v) = evaluate(a, &version) {
            let ev = range_evidence("upstream version", &version, a, &v);
            if a.record.as_ref().is_some_and(|r| r.source.is_primary()) {
                primary.push((v, ev));
            } else {
                secondary.push((v, ev));
            }
        }
    }
    let mark_secondary = |mut ev: Evidence| {
        if let Evidence::Range { secondary, .. } = &mut ev {
            *secondary = true;
        }
        ev
    };
    let primaries: Vec<&Affected> = component
        .iter()
        .copied()
        .filter(|a| a.record.as_ref().is_some_and(|r| r.source.is_primary()))
        .collect();
    let (decided, mut evidence) = if primaries.is_empty() {
        // No record of the product's own: the secondary source is all there is; it decides,
        // and its evidence says whose claim it is.
        (combine(secondary), Vec::new())
    } else {
        let scope = scope(adv, &primaries, up.line(), product);
        if !scope.assessed {
            // Not assessed upstream: say so; the claims of the other sources are evidence.
            let mut evidence = vec![scope.evidence()];
            evidence.extend(secondary.into_iter().map(|(_, ev)| mark_secondary(ev)));
            return match patch {
                Some(p) => Status {
                    status: StatusKind::FixedByPatch,
                    evidence: std::iter::once(p.clone()).chain(evidence).collect(),
                },
                None => Status {
                    status: StatusKind::Unassessed,
                    evidence,
                },
            };
        }
        let decided = combine(primary);
        // Secondary claims that disagree with the primary verdict are shown, never hidden.
        let word = decided.as_ref().map(|(v, _)| verdict_word(v));
        let disagreeing: Vec<Evidence> = secondary
            .into_iter()
            .filter(|(v, _)| Some(verdict_word(v)) != word)
            .map(|(_, ev)| mark_secondary(ev))
            .collect();
        (decided, disagreeing)
    };
    let (status, first) = match decided {
        None => (
            StatusKind::Unknown,
            Evidence::Missing {
                what: "comparable version ranges".into(),
            },
        ),
        Some((Verdict::NotAffected, ev)) => (StatusKind::NotAffected, ev),
        Some((Verdict::Fixed(_), ev)) => (StatusKind::FixedUpstream, ev),
        Some((Verdict::Affected(_), ev)) => match patch {
            Some(p) => {
                evidence.insert(0, ev);
                (StatusKind::FixedByPatch, p.clone())
            }
            None => (StatusKind::Affected, ev),
        },
    };
    evidence.insert(0, first);
    Status { status, evidence }
}

/// Whether the primary records assessed a line, and why.
struct Scope {
    record: String,
    line: MinorLine,
    assessed: bool,
    reason: String,
}

impl Scope {
    fn evidence(&self) -> Evidence {
        Evidence::Scope {
            record: self.record.clone(),
            line: self.line.to_string(),
            assessed: self.assessed,
            reason: self.reason.clone(),
        }
    }
}

/// The minor line a range event names: `1.24.17` → 1.24, staging `0.24.3` → 1.24; `0` (the
/// beginning of time) names none.
fn event_line(v: &str) -> Option<MinorLine> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let (major, minor) = (
        parts.next()?.parse::<u64>().ok()?,
        parts.next()?.parse::<u64>().ok()?,
    );
    match major {
        0 => Some(MinorLine::new(1, minor)),
        _ => Some(MinorLine::new(major, minor)),
    }
}

/// Which lines the primary records speak for. A line is assessed when a record names it (an
/// event of its ranges is on that line), when a range runs from the beginning (`introduced 0`)
/// up to or past it, when upstream supported it on the day the advisory was published, or when
/// it was released after that day (it shipped with the fix, or the record would name it). A
/// line whose community support had ended before publication was not looked at.
fn scope(adv: &Advisory, primaries: &[&Affected], line: MinorLine, product: Product) -> Scope {
    let mut ids: Vec<String> = primaries
        .iter()
        .filter_map(|a| a.record.as_ref().map(|r| r.id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    let record = ids.join(", ");
    let verdict = |assessed: bool, reason: String| Scope {
        record: record.clone(),
        line,
        assessed,
        reason,
    };
    let mut named = std::collections::BTreeSet::new();
    for a in primaries {
        for r in &a.ranges {
            // The interval being read: `Some(None)` from the beginning (`introduced 0`),
            // `Some(Some(line))` from an introduced version's line.
            let mut start: Option<Option<MinorLine>> = None;
            for e in &r.events {
                match e {
                    crate::model::Event::Introduced(v) if v.trim() == "0" => start = Some(None),
                    crate::model::Event::Introduced(v) => {
                        start = Some(event_line(v));
                        named.extend(event_line(v));
                    }
                    crate::model::Event::Fixed(v)
                    | crate::model::Event::LastAffected(v)
                    | crate::model::Event::Limit(v) => {
                        let end = event_line(v);
                        named.extend(end);
                        if let (Some(from), Some(end)) = (start.take(), end) {
                            if from.is_none_or(|f| f <= line) && line <= end {
                                return verdict(
                                    true,
                                    format!(
                                        "its range {} up to {v} covers the line",
                                        match from {
                                            None => "from the beginning".to_string(),
                                            Some(f) => format!("from {f}"),
                                        }
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            if start.is_some_and(|from| from.is_none_or(|f| f <= line)) {
                return verdict(
                    true,
                    "its range is open-ended: every later version is affected".into(),
                );
            }
        }
        named.extend(a.versions.iter().filter_map(|v| event_line(v)));
    }
    if named.contains(&line) {
        return verdict(true, "the record names this line".into());
    }
    let published = adv
        .published
        .as_deref()
        .and_then(|p| klts_core::lifecycle::Date::parse(p.get(..10)?).ok());
    let calendar = klts_core::lifecycle::Calendar::builtin_for(product);
    match (published, calendar.get(line)) {
        (Some(day), Some(facts)) => {
            if facts.released > day {
                verdict(
                    true,
                    format!("the line was released after the advisory ({day})"),
                )
            } else {
                match facts.community_eol {
                    Some(eol) if eol < day => verdict(
                        false,
                        format!(
                            "the line was out of upstream support (since {eol}) when the advisory was published ({day})"
                        ),
                    ),
                    _ => verdict(
                        true,
                        format!("upstream supported the line when the advisory was published ({day})"),
                    ),
                }
            }
        }
        // No date to judge by: the record speaks for the lines it names and the ones after.
        _ => match named.iter().next_back() {
            Some(newest) if line > *newest => verdict(
                true,
                format!("the line is newer than every line the record names (up to {newest})"),
            ),
            _ => verdict(
                false,
                format!(
                    "the record does not name the line{}",
                    if published.is_none() {
                        " and has no publication date"
                    } else {
                        ""
                    }
                ),
            ),
        },
    }
}

/// What one tree says about an advisory's module and toolchain entries.
// Short-lived (one per tree and advisory): boxing the evidence would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum TreeFinding {
    /// No entry's subject is in the tree.
    Absent,
    /// No entry could be judged and one cannot be read from the tree at all: Go's own advisory
    /// on a tree that names no Go version. Every tree is built with some Go, so this is
    /// "unknown", never "absent".
    Unknowable(String),
    /// The worst verdict of the entries that could be judged, with its evidence.
    Found(Verdict, Evidence),
}

impl TreeFinding {
    fn verdict(self) -> Option<(Verdict, Evidence)> {
        match self {
            TreeFinding::Found(v, e) => Some((v, e)),
            TreeFinding::Absent | TreeFinding::Unknowable(_) => None,
        }
    }
}

/// Evaluate module/toolchain entries against one inventory; `None` when the inventory is
/// missing.
fn evaluate_tree(
    entries: &[&Affected],
    inv: Option<&Inventory>,
    which: &str,
    product: Product,
) -> Option<TreeFinding> {
    let inv = inv?;
    let mut verdicts = Vec::new();
    let mut go_unnamed = false;
    for a in entries {
        let (subject, version) = match kind(a, product) {
            Kind::GoToolchain => match &inv.go {
                // The `go` directive is the oldest Go the tree accepts, not the toolchain it is
                // built with: it is the last resort, and the evidence says so.
                Some(go) if go.source == crate::inventory::SOURCE_GO_DIRECTIVE => (
                    format!(
                        "Go in the {which} tree ({}: a minimum, used only because the tree names no toolchain)",
                        go.source
                    ),
                    go.version.clone(),
                ),
                Some(go) => (
                    format!("Go in the {which} tree ({})", go.source),
                    go.version.clone(),
                ),
                None => {
                    go_unnamed = true;
                    continue;
                }
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
    Some(match combine(verdicts) {
        Some((v, e)) => TreeFinding::Found(v, e),
        None if go_unnamed => TreeFinding::Unknowable(
            "the Go version the release builds with (the tree has no .go-version, build/build-image/cross/VERSION or go.mod; set `build.go` in releases.yml)".into(),
        ),
        None => TreeFinding::Absent,
    })
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

    // Git evidence beats ranges, and a chain commit that carries the fix beats a name.
    let git = rel.git.get(&adv.id);
    let patch = match git.and_then(|g| g.patch.clone()) {
        Some(finding) => Some(Evidence::Git {
            finding,
            patch: git.and_then(|g| g.patch_name.clone()),
        }),
        None => patch,
    };
    let product = rel.product;
    let component: Vec<&Affected> = adv
        .affected
        .iter()
        .filter(|a| kind(a, product) == Kind::Product)
        .collect();
    if let Some(finding) = git.and_then(|g| g.upstream.clone()) {
        if !component.is_empty() {
            return Status {
                status: StatusKind::FixedUpstream,
                evidence: vec![Evidence::Git {
                    finding,
                    patch: None,
                }],
            };
        }
    }
    let deps: Vec<&Affected> = adv
        .affected
        .iter()
        .filter(|a| matches!(kind(a, product), Kind::Module | Kind::GoToolchain))
        .collect();
    let mut outcomes: Vec<Status> = Vec::new();

    if !component.is_empty() {
        outcomes.push(match &rel.upstream {
            None => Status {
                status: StatusKind::Unknown,
                evidence: vec![Evidence::Missing {
                    what: format!(
                        "the upstream version of {} (its name is not a version)",
                        rel.name
                    ),
                }],
            },
            Some(up) => component_status(adv, &component, up, product, patch.as_ref()),
        });
    }

    if !deps.is_empty() {
        let base = evaluate_tree(&deps, rel.base_tree.as_ref(), "upstream", product);
        let tree = evaluate_tree(&deps, rel.tree.as_ref(), "release", product);
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
                // The release tree speaks when it was read; the upstream tree otherwise.
                let unknowable = match tree.as_ref().or(base.as_ref()) {
                    Some(TreeFinding::Unknowable(what)) => Some(what.clone()),
                    _ => None,
                };
                let base = base.and_then(TreeFinding::verdict);
                let tree = tree.and_then(TreeFinding::verdict);
                match (base, tree) {
                    (None, None) if unknowable.is_some() => Status {
                        status: StatusKind::Unknown,
                        evidence: vec![Evidence::Missing {
                            what: unknowable.unwrap_or_default(),
                        }],
                    },
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
        StatusKind::Affected => 7,
        StatusKind::Unassessed => 6,
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
