//! The message keys of the portal: one per user-visible string of the pages.
//!
//! Adding a key: a line in the `keys!` list below, then its text in `en.rs` and `zh_cn.rs`
//! (the compiler points at both). The list also makes [`Msg::ALL`], so no key escapes the
//! catalogue tests.

/// Declares [`Msg`] and [`Msg::ALL`] from one list.
macro_rules! keys {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// A user-visible string of the pages (see the catalogues `en.rs` and `zh_cn.rs`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg {
            $($(#[$doc])* $key,)*
        }

        #[cfg_attr(not(test), allow(dead_code))]
        impl Msg {
            /// Every key.
            pub const ALL: &[Msg] = &[$(Msg::$key,)*];
        }
    };
}

keys! {
    /// English: "Home"
    NavHome,
    /// English: "Lines"
    NavLines,
    /// English: "Releases"
    NavReleases,
    /// English: "Advisories"
    NavAdvisories,
    /// English: "Matrix"
    NavMatrix,
    /// English: "Lifecycle"
    NavLifecycle,
    /// English: "Main"
    NavMainLabel,
    /// English: "Skip to content"
    SkipToContent,
    /// English: "Search"
    Search,
    /// English: "CVE, release, line…"
    SearchPlaceholder,
    /// English: "KLTS, {product} Long Term Support: {title}"
    MetaDescription,
    /// English: "unknown"
    Unknown,
    /// English: "Generated on {date} · advisory data as of {as_of} · <a href=\"{api}/index.json\">JSON API</a> · <a
    FooterGenerated,
    /// English: "{day} (newest dated record); newest entry {id}"
    AdvisoriesAsOf,
    /// English: "KLTS: {product} Long Term Support. No page needs JavaScript (the search page has one optional script); no cookies or external resources."
    FooterAbout,
    /// English: "Problems"
    ProblemsLabel,
    /// English: "Problems reading the workspace"
    ProblemsHeading,
    /// English: "Some files could not be read; what is shown was built from the rest."
    ProblemsText,
    /// English: "The {product} Long Term Support program (KLTS) keeps selected {product} minor lines maintained afte
    HomeLead,
    /// English: "This portal shows which lines are supported and until when, every LTS release with its patches and
    HomeAbout,
    /// English: "Products"
    Products,
    /// English: "This portal was built without a workspace: it shows the lifecycle calendar and the advisory databas
    NoWorkspace,
    /// English: "Supported lines"
    SupportedLines,
    /// English: "No line is supported on {date}."
    NoLineSupportedOn,
    /// English: "Line"
    ColLine,
    /// English: "Phase"
    ColPhase,
    /// English: "Newest release"
    ColNewestRelease,
    /// English: "Support ends"
    ColSupportEnds,
    /// English: "Days left"
    ColDaysLeft,
    /// English: "Open advisories"
    ColOpenAdvisories,
    /// English: "Open advisories are those still affecting the newest LTS release of the line. Lines in the communit
    HomeHint,
    /// English: "At a glance"
    AtAGlance,
    /// English: "<a href=\"{base}/lines/\">{count} lines</a>, {supported} supported on {date}; see the <a href=\"{ba
    GlanceLines,
    /// English: "<a href=\"{base}/releases/\">{count} LTS releases</a>."
    GlanceReleases,
    /// English: "<a href=\"{base}/releases/\">{count} LTS release</a>."
    GlanceReleasesOne,
    /// English: "{count} critical"
    GlanceCritical,
    /// English: "<a href=\"{base}/advisories/\">{count} advisories</a>: {critical}, {high} high; the <a href=\"{base
    GlanceAdvisories,
    /// English: "{product} Long Term Support"
    HomeTitle,
    /// English: "community"
    PhaseCommunity,
    /// English: "LTS"
    PhaseLts,
    /// English: "end of life"
    PhaseEol,
    /// English: "upcoming"
    PhaseUpcoming,
    /// English: "low"
    SevLow,
    /// English: "medium"
    SevMedium,
    /// English: "high"
    SevHigh,
    /// English: "critical"
    SevCritical,
    /// English: "affected"
    StAffected,
    /// English: "unknown"
    StUnknown,
    /// English: "unassessed"
    StUnassessed,
    /// English: "ignored"
    StIgnored,
    /// English: "fixed-by-patch"
    StFixedByPatch,
    /// English: "fixed-by-dependency"
    StFixedByDependency,
    /// English: "fixed-upstream"
    StFixedUpstream,
    /// English: "not-affected"
    StNotAffected,
    /// English: "open"
    ShortAffected,
    /// English: "?"
    ShortUnknown,
    /// English: "n/a?"
    ShortUnassessed,
    /// English: "ign"
    ShortIgnored,
    /// English: "patch"
    ShortFixedByPatch,
    /// English: "dep"
    ShortFixedByDependency,
    /// English: "up"
    ShortFixedUpstream,
    /// English: "–"
    ShortNotAffected,
    /// English: "open: the release is exposed"
    MeanAffected,
    /// English: "unknown: facts needed are missing"
    MeanUnknown,
    /// English: "unassessed: upstream did not assess this line (out of support when published); other sources&#39; c
    MeanUnassessed,
    /// English: "ignored by triage (VEX justification)"
    MeanIgnored,
    /// English: "fixed by a patch of the release chain"
    MeanFixedByPatch,
    /// English: "fixed by a dependency or Go version in the release tree"
    MeanFixedByDependency,
    /// English: "fixed upstream: the base tag carries the fix"
    MeanFixedUpstream,
    /// English: "not affected"
    MeanNotAffected,
    /// English: "until further notice"
    UntilFurtherNotice,
    /// English: "ended"
    Ended,
    /// English: "yes"
    Yes,
    /// English: "no"
    No,
    /// English: "not yet verified"
    NotYetVerified,
    /// English: "None."
    None,
    /// English: "This page as JSON"
    ThisPageAsJson,
    /// English: "unknown"
    SevUnknown,
    /// English: "none"
    SevNone,
    /// English: "Released"
    ColReleased,
    /// English: "Community end of life"
    ColCommunityEol,
    /// English: "LTS ends"
    ColLtsEnds,
    /// English: "In program"
    ColInProgram,
    /// English: "Newest"
    ColNewest,
    /// English: "LTS releases"
    ColLtsReleases,
    /// English: "Every {product} minor line, its lifecycle dates on {date} and its newest release. Lines in the prog
    LinesLead,
    /// English: "No line is known."
    NoLineKnown,
    /// English: " (the program's decision)"
    ProgramsDecision,
    /// English: "Newest LTS release shipped"
    NewestShipped,
    /// English: "{release} on <span class=\"date\">{date}</span>"
    ReleaseOnDate,
    /// English: "Days of support left"
    DaysOfSupportLeft,
    /// English: "In the LTS program"
    InTheProgram,
    /// English: "Upstream latest patch"
    UpstreamLatestPatch,
    /// English: "The support dates above and the program's activity disagree: {what}."
    Disagreement,
    /// English: "the program shipped {release} on {day}, after the line's support ended on {end} ({basis})"
    DisagreementShipped,
    /// English: "the `support:` decision of lifecycle.yml"
    BasisDecision,
    /// English: "community end of life plus the program's years of LTS"
    BasisRule,
    /// English: "community end of life; the line is not in the program"
    BasisNotInProgram,
    /// English: "No LTS release of this line."
    NoReleaseOfLine,
    /// English: "Open advisories of {release}"
    OpenAdvisoriesOf,
    /// English: "See the <a href=\"{base}/lifecycle/\">lifecycle</a> of every line, or the <a href=\"{base}/matrix/?
    LineSeeAlso,
    /// English: "Release"
    ColRelease,
    /// English: "Base"
    ColBase,
    /// English: "Must"
    ColMust,
    /// English: "Materialized"
    ColMaterialized,
    /// English: "Fixed"
    ColFixed,
    /// English: "Open"
    ColOpen,
    /// English: "Every published LTS release of the workspace: a base upstream tag plus the patches of its chain (st
    ReleasesLead,
    /// English: "The workspace has no release that could be read."
    NoReadableRelease,
    /// English: "No release: this portal was built without a workspace."
    NoReleaseNoWorkspace,
    /// English: "Advisory"
    ColAdvisory,
    /// English: "Severity"
    ColSeverity,
    /// English: "Score"
    ColScore,
    /// English: "Status"
    ColStatus,
    /// English: "Evidence"
    ColEvidence,
    /// English: "no published release"
    NoPublishedRelease,
    /// English: "{name} is a stage, not a published release: its patches are part of {children}. Install one of thos
    StageNote,
    /// English: " ({days} days left)"
    DaysLeftParen,
    /// English: " ({days} day left)"
    DaysLeftParenOne,
    /// English: "<strong>Supported</strong> by the upstream community until {until}{left}."
    SupportedByCommunity,
    /// English: "<strong>Supported</strong> by the LTS program until {until}{left}."
    SupportedByLts,
    /// English: "<strong>Not supported</strong> since {until}: upgrade to a supported line."
    NotSupportedSince,
    /// English: "Not released upstream yet."
    NotReleasedYet,
    /// English: "{open} open advisories, {fixed} fixed, {ignored} ignored by triage. <a href=\"#open\">Details below
    ReleaseCounts,
    /// English: "No packages are defined for this product."
    NoPackages,
    /// English: "Install {name}"
    InstallHeading,
    /// English: "Packages of this exact release have the version <code>{version}</code>."
    PackageVersionNote,
    /// English: "Debian and Ubuntu (apt)"
    InstallApt,
    /// English: "RHEL, CentOS and Fedora (yum, dnf)"
    InstallYum,
    /// English: "Control-plane images (kubeadm)"
    InstallKubeadm,
    /// English: "Advisories still open"
    AdvisoriesStillOpen,
    /// English: "None known."
    NoneKnown,
    /// English: "Advisories fixed"
    AdvisoriesFixed,
    /// English: "Advisories that affected the upstream line and are fixed in this release by a patch or by a depende
    AdvisoriesFixedHint,
    /// English: "Advisories ignored by triage"
    AdvisoriesIgnored,
    /// English: "Changes since {release}"
    ChangesSince,
    /// English: "Same patches."
    SamePatches,
    /// English: "Added patches:"
    AddedPatches,
    /// English: "Removed patches:"
    RemovedPatches,
    /// English: "Changes"
    Changes,
    /// English: "The first LTS release of its line in this workspace."
    FirstOfLine,
    /// English: "Details"
    Details,
    /// English: "Base tag"
    BaseTag,
    /// English: "Chain"
    Chain,
    /// English: "Commit"
    Commit,
    /// English: "Package version"
    PackageVersion,
    /// English: "<a href=\"#open\">{open} open</a>, <a href=\"#fixed\">{fixed} fixed</a>, <a href=\"#ignored\">{igno
    AdvisoryCountsLinks,
    /// English: "Patches"
    Patches,
    /// English: "No patch: the release is its base tag."
    NoPatch,
    /// English: "Patch"
    ColPatch,
    /// English: "Carried by"
    ColCarriedBy,
    /// English: "Sources"
    ColSources,
    /// English: "exposure of {name} as JSON"
    ExposureAsJson,
    /// English: "Stage {name}"
    StageTitle,
    /// English: "Release {name}"
    ReleaseTitle,
    /// English: "Severity at least"
    SeverityAtLeast,
    /// English: "any"
    Any,
    /// English: "Advisories concerning {product}, its Go dependencies and Go itself, with the number of LTS releases
    AdvisoriesLead,
    /// English: "Text"
    Text,
    /// English: "id, alias, package"
    AdvisoryQPlaceholder,
    /// English: "Filter"
    Filter,
    /// English: "Reset"
    Reset,
    /// English: "{shown} of {total} advisories."
    CountOfAdvisories,
    /// English: "Aliases"
    ColAliases,
    /// English: "Published"
    ColPublished,
    /// English: "Open in"
    ColOpenIn,
    /// English: "CVSS score"
    CvssScore,
    /// English: "CVSS vector"
    CvssVector,
    /// English: "Issue"
    Issue,
    /// English: "Packages"
    Packages,
    /// English: "Affected ranges"
    AffectedRanges,
    /// English: "By line"
    ByLine,
    /// English: "No line is known to be affected."
    NoLineAffected,
    /// English: "Upstream"
    ColUpstream,
    /// English: "Newest LTS release"
    ColNewestLts,
    /// English: "fixed in <code>{version}</code>"
    FixedIn,
    /// English: "released fixed (<code>{version}</code>)"
    ReleasedFixed,
    /// English: "<strong>never fixed</strong> (up to <code>{version}</code>)"
    NeverFixed,
    /// English: "not assessed (out of upstream support when published)"
    NotAssessed,
    /// English: "needs the source tree"
    NeedsSourceTree,
    /// English: "Fixed by LTS in"
    FixedByLtsIn,
    /// English: "Still open in"
    StillOpenIn,
    /// English: "Status in each release"
    StatusInEachRelease,
    /// English: "No LTS release to evaluate."
    NoReleaseToEvaluate,
    /// English: "References"
    References,
    /// English: "The status of every advisory that concerns some LTS release, release by release."
    MatrixLead,
    /// English: "{severity} and above"
    SeverityAndAbove,
    /// English: "Also: {links}. Status filters keep advisories with that status in at least one shown release."
    MatrixHint,
    /// English: "Showing advisories of severity {severity} and above."
    ShowingSeverity,
    /// English: "Legend"
    Legend,
    /// English: "{advisories} advisories × {releases} releases."
    MatrixCount,
    /// English: "No LTS release to show: the portal was built without releases."
    MatrixNoRelease,
    /// English: "Nothing matches these filters."
    NothingMatches,
    /// English: "Matrix: {severity} and above"
    MatrixAtLeastTitle,
    /// English: "{product} lifecycle on {date}"
    ChartTitle,
    /// English: "When each {product} minor line was released, when the community stops maintaining it, and how long
    LifecycleLead,
    /// English: "The lifecycle of every line (<a href=\"{files}/lifecycle.svg\">as an SVG image</a>)."
    ChartCaption,
    /// English: "Dates"
    Dates,
    /// English: "Lines, releases, advisory ids and aliases, packages, patches"
    SearchLabel,
    /// English: "Enter a term above. Below is everything the portal knows: a static copy of this portal filters it a
    SearchHint,
    /// English: "{count} results for <q>{q}</q>."
    SearchResults,
    /// English: "{n} results for “{q}”."
    SearchResultsScript,
    /// English: "Lines ({count})"
    SearchLines,
    /// English: "Releases ({count})"
    SearchReleases,
    /// English: "Advisories ({count})"
    SearchAdvisories,
    /// English: "Search: {q}"
    SearchTitle,
    /// English: "There is no page at <code>{path}</code>."
    NoPageAt,
    /// English: "No release has that name: see every release."
    NoSuchRelease,
    /// English: "No advisory has that id or alias: see every advisory."
    NoSuchAdvisory,
    /// English: "No line has that name (write it like 1.17): see every line."
    NoSuchLine,
    /// English: "<a href=\"{base}/search/?q={term_url}\">Search for <q>{term}</q></a>."
    SearchFor,
    /// English: "There is no page at this address."
    NoPageHere,
    /// English: "Page not found"
    PageNotFound,
    /// English: "The address asks for something this page cannot show:"
    BadRequestLead,
    /// English: "<a href=\"{href}\">Show the page without filters</a>."
    WithoutFilters,
    /// English: "Bad request"
    BadRequest,
    /// English: "{count} result for <q>{q}</q>."
    SearchResultsOne,
    /// English: "{n} result for “{q}”."
    SearchResultsScriptOne,
    /// English: "severity `{value}` is not allowed: use one of any, {choices} (advisories at or above that severity
    BadSeverity,
    /// English: "line `{value}` is not allowed: use one of any, {choices}"
    BadLine,
    /// English: "line `{value}` is not allowed: use one of any, (no line is known)"
    BadLineNoneKnown,
    /// English: "status `{value}` is not allowed: use one of any, {choices}"
    BadStatus,
    /// English: "page `{page}` / per_page `{per_page}` are not allowed: page is 1 or more, per_page 1 to {max}"
    BadPage,
    /// English: "q is too long: at most {max} characters are allowed"
    QueryTooLong,
    /// English: "Community support"
    ChartCommunity,
    /// English: "KLTS long-term support"
    ChartLts,
    /// English: "No support (ended or not in the program)"
    ChartEnded,
    /// English: "Planned (after today)"
    ChartPlanned,
    /// English: "Today"
    ChartTodayLegend,
    /// English: "today"
    ChartToday,
    /// English: "No lines to show."
    ChartNoLines,
    /// English: ", "
    ListSeparator,
    /// English: "Moved"
    Moved,
    /// English: "This page moved to <a href=\"{to}\">{to}</a>."
    MovedTo,
}

impl Msg {
    /// Keys whose text is the same in every language (names, symbols).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn same_in_every_language(self) -> bool {
        matches!(
            self,
            Msg::PhaseLts | Msg::ShortUnknown | Msg::ShortNotAffected
        )
    }
}
