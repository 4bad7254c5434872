//! The policy and the status of a line on a day ([`Policy`], [`line_status`]).

use super::*;

/// How KLTS support is granted: the settings [`line_status`] applies to [`LineFacts`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Years of LTS support after the community's end of life (default 3).
    pub lts_years: u32,
    /// The oldest line in the program (default 1.10).
    pub lts_from: MinorLine,
    /// Lines that have a `must: true` release in the manifest; `None` when there is no
    /// manifest, in which case every line from [`Policy::lts_from`] on is in the program.
    pub maintained: Option<BTreeSet<MinorLine>>,
    /// Lines whose releases in the manifest are all `must: false`: no longer maintained, so
    /// they are `eol` as soon as community support ends.
    pub dropped: BTreeSet<MinorLine>,
    /// The program's own decisions (`support:` of `lifecycle.yml`): they replace
    /// `community_eol + lts_years` for their lines.
    pub support: std::collections::BTreeMap<MinorLine, SupportUntil>,
    /// The program's activity: the newest release of each line and the day it was added to
    /// the workspace (from its git history; see `klts_forge::activity`). Shown beside the
    /// policy, and checked against it.
    pub activity: std::collections::BTreeMap<MinorLine, Activity>,
}

/// The newest release of a line and when the program shipped it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The release (`v1.17.17-lts.3`).
    pub release: String,
    /// The day it was added to the workspace.
    pub date: Date,
}

impl Default for Policy {
    /// Three years of LTS for every line from 1.10 on.
    fn default() -> Self {
        Policy {
            lts_years: 3,
            lts_from: MinorLine::new(1, 10),
            maintained: None,
            dropped: BTreeSet::new(),
            support: std::collections::BTreeMap::new(),
            activity: std::collections::BTreeMap::new(),
        }
    }
}

impl Policy {
    /// The default policy with [`Policy::maintained`] and [`Policy::dropped`] taken from a
    /// manifest's releases (release names that are not versions are ignored).
    pub fn from_manifest(manifest: &crate::manifest::Manifest) -> Policy {
        let mut maintained = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for release in &manifest.releases {
            if let Ok(version) = Version::parse(&release.name.value) {
                seen.insert(version.line());
                if release.must {
                    maintained.insert(version.line());
                }
            }
        }
        let dropped = seen.difference(&maintained).copied().collect();
        Policy {
            maintained: Some(maintained),
            dropped,
            ..Policy::default()
        }
    }

    /// This policy with the `support:` decisions of a `lifecycle.yml` (a later entry for a line
    /// replaces an earlier one).
    pub fn with_support(mut self, file: &LifecycleFile) -> Policy {
        for s in &file.support {
            self.support.insert(s.line, s.until);
        }
        self
    }

    /// This policy for `product`: Kubernetes lines are in the program from 1.10 on (the KLTS
    /// program's founding scope); other products' from their first line, the manifest's
    /// `must` releases deciding which ones.
    pub fn for_product(mut self, product: Product) -> Policy {
        self.lts_from = match product {
            Product::Kubernetes => MinorLine::new(1, 10),
            _ => MinorLine::new(0, 0),
        };
        self
    }

    /// Whether `line` gets LTS support after its community end of life: it is at least
    /// [`Policy::lts_from`], maintained (or there is no manifest) and not dropped.
    pub fn in_program(&self, line: MinorLine) -> bool {
        line >= self.lts_from
            && self.maintained.as_ref().is_none_or(|m| m.contains(&line))
            && !self.dropped.contains(&line)
    }
}

/// Where a line is in its lifecycle on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Supported by the Kubernetes community (through the end of its EOL day).
    Community,
    /// Past community end of life, supported by KLTS.
    Lts,
    /// No support: past LTS, or never in the program (too old, not maintained, dropped).
    Eol,
    /// Not released yet (`released` is in the future).
    Upcoming,
}

impl Phase {
    /// Whether a line in this phase is supported (by the community or by KLTS): the one
    /// definition of "supported" for `klts lifecycle --supported` and the portal.
    pub fn is_supported(self) -> bool {
        matches!(self, Phase::Community | Phase::Lts)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Community => "community",
            Phase::Lts => "lts",
            Phase::Eol => "eol",
            Phase::Upcoming => "upcoming",
        })
    }
}

/// The lifecycle status of one line on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineStatus {
    /// The line.
    pub line: MinorLine,
    /// Where it is in its lifecycle.
    pub phase: Phase,
    /// The day `x.y.0` was published.
    pub released: Date,
    /// The last day of community support, when known.
    pub community_eol: Option<Date>,
    /// The last day of LTS support: `community_eol + lts_years`, for lines in the program with
    /// a known community end of life (also when that day has passed or not come yet).
    pub lts_end: Option<Date>,
    /// The last day of the support that applies on the day asked about: `community_eol` for
    /// `community`, `lts_end` for `lts`; for `eol`, the day support ended; `None` for
    /// `upcoming` lines and lines without a known end of life.
    pub support_end: Option<Date>,
    /// Days from the day asked about to `support_end` for `community` and `lts` lines (`0` on
    /// the last day of support); `None` otherwise.
    pub days_left: Option<i64>,
    /// The newest upstream patch release, when known.
    pub latest_patch: Option<String>,
    /// Whether the line gets LTS support after its community end of life
    /// ([`Policy::in_program`]).
    pub in_program: bool,
    /// Where the LTS end comes from: `policy` (a `support:` decision, or "until further
    /// notice" when `lts_end` is `None` and the phase is `lts`) or `rule` (community end of
    /// life + `lts_years`); `None` outside the program.
    pub lts_basis: Option<&'static str>,
    /// The program's newest release of the line, when known ([`Policy::activity`]).
    pub activity: Option<Activity>,
    /// Where the policy and the activity disagree: a release shipped after the line's support
    /// ended, said in one sentence (`klts lint` warns with it).
    pub disagreement: Option<String>,
}

impl LineStatus {
    /// Whether the line is supported on the day asked about ([`Phase::is_supported`]).
    pub fn is_supported(&self) -> bool {
        self.phase.is_supported()
    }
}

/// The lines supported on `date`, newest first: [`statuses`] filtered by
/// [`LineStatus::is_supported`] (what `klts lifecycle --supported` lists).
pub fn supported(cal: &Calendar, policy: &Policy, date: Date) -> Vec<LineStatus> {
    let mut lines = statuses(cal, policy, date);
    lines.retain(LineStatus::is_supported);
    lines
}

/// The status of a line on `date` under `policy` (see the [module documentation](super) for
/// the rules).
pub fn line_status(facts: &LineFacts, policy: &Policy, date: Date) -> LineStatus {
    let in_program = policy.in_program(facts.line);
    let years = i32::try_from(policy.lts_years).unwrap_or(i32::MAX);
    // The program's explicit decision applies even to a line it no longer maintains: it is
    // the record of until when that line was supported.
    let decided = policy.support.get(&facts.line);
    // `None` = supported until further notice.
    let (lts_end, until_further_notice, lts_basis) = match decided {
        Some(SupportUntil::Date(d)) => (Some(*d), false, Some("policy")),
        Some(SupportUntil::FurtherNotice) => (None, true, Some("policy")),
        None => (
            facts
                .community_eol
                .filter(|_| in_program)
                .map(|eol| eol.add_years(years)),
            false,
            in_program.then_some("rule"),
        ),
    };
    let (phase, support_end) = if date < facts.released {
        (Phase::Upcoming, None)
    } else {
        match (facts.community_eol, lts_end) {
            (None, _) => (Phase::Community, None),
            (Some(eol), _) if date <= eol => (Phase::Community, Some(eol)),
            (Some(_), None) if until_further_notice => (Phase::Lts, None),
            (Some(_), Some(end)) if date <= end => (Phase::Lts, Some(end)),
            (Some(_), Some(end)) => (Phase::Eol, Some(end)),
            (Some(eol), None) => (Phase::Eol, Some(eol)),
        }
    };
    let days_left = match phase {
        Phase::Community | Phase::Lts => support_end.map(|end| date.days_until(end)),
        Phase::Eol | Phase::Upcoming => None,
    };
    let activity = policy.activity.get(&facts.line).cloned();
    let support_ended = match phase {
        Phase::Eol => support_end,
        _ => None,
    };
    let disagreement = match (&activity, support_ended) {
        (Some(a), Some(end)) if a.date > end => Some(format!(
            "line {}: the program shipped {} on {}, after its support ended ({end}, {})",
            facts.line,
            a.release,
            a.date,
            match lts_basis {
                Some("policy") => "the `support:` decision of lifecycle.yml".to_string(),
                Some(_) => format!("community end of life + {} years", policy.lts_years),
                None => "community end of life; the line is not in the program".to_string(),
            }
        )),
        _ => None,
    };
    LineStatus {
        line: facts.line,
        phase,
        released: facts.released,
        community_eol: facts.community_eol,
        lts_end,
        support_end,
        days_left,
        latest_patch: facts.latest_patch.clone(),
        in_program,
        lts_basis,
        activity,
        disagreement,
    }
}

/// The status of every line of `cal` on `date`, newest line first.
pub fn statuses(cal: &Calendar, policy: &Policy, date: Date) -> Vec<LineStatus> {
    let mut all: Vec<LineStatus> = cal
        .lines
        .iter()
        .map(|facts| line_status(facts, policy, date))
        .collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.line));
    all
}
