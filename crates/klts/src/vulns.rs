//! `klts vulns …`, `klts vex`, `klts osv export`, `klts feed sync`: argument handling and
//! rendering over `klts-vuln`.

use crate::{json, Failure, HiArgs, RunArgs};
use clap::{Args, Subcommand, ValueEnum};
use klts_core::{MinorLine, Version};
use klts_forge::Workspace;
use klts_vuln::db::Database;
use klts_vuln::facts::{version_facts, workspace_facts, WorkspaceFacts};
use klts_vuln::model::Severity;
use klts_vuln::report::{check, gate, matrix, show, Matrix, MatrixFilter};
use klts_vuln::status::StatusKind;
use klts_vuln::triage::{Triage, TRIAGE_FILE};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum VulnsCommand {
    /// Releases × advisories: the status of every advisory in every release.
    ///
    /// Statuses: not-affected, fixed-upstream, fixed-by-patch, fixed-by-dependency, affected,
    /// ignored (triage.yml), unknown (facts missing). Advisories that affect no release are
    /// left out unless --all. Rows are ordered by severity.
    Matrix {
        #[command(flatten)]
        filter: FilterArgs,
        /// Output format.
        #[arg(long, short = 'o', value_enum, default_value_t = MatrixFormat::Table)]
        output: MatrixFormat,
        #[command(flatten)]
        run: RunArgs,
    },
    /// One advisory across all releases, with the evidence for each status.
    Show {
        /// Advisory id or alias (CVE-…, GO-…, GHSA-…).
        id: String,
        #[command(flatten)]
        list: crate::ListArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// What a cluster at VERSION is exposed to, and the lowest release of its line that
    /// fixes each advisory (upstream, and LTS releases of the workspace when there is one).
    ///
    /// Works without a workspace. Go-module and Go-toolchain advisories need the release's
    /// source tree; inside a workspace whose mirror has the tag they are evaluated too.
    Check {
        /// The version running (1.17.17, v1.17.17-lts.3).
        version: String,
        /// Also list advisories whose status cannot be decided without the source tree.
        #[arg(long)]
        include_unknown: bool,
        /// The product VERSION is of (kubernetes, containerd, runc); default: the workspace's,
        /// or Kubernetes outside a workspace.
        #[arg(long, value_parser = parse_product)]
        product: Option<klts_core::Product>,
        #[command(flatten)]
        list: crate::ListArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Exit 1 when a `must` release has an open advisory at or above --min-severity (for CI).
    Gate {
        /// The lowest severity that fails the gate.
        #[arg(long, default_value = "high", value_parser = parse_severity)]
        min_severity: Severity,
        #[command(flatten)]
        list: crate::ListArgs,
        #[command(flatten)]
        run: RunArgs,
    },
}

#[derive(Args, Debug)]
pub struct FilterArgs {
    /// Only advisories at or above this severity (low, medium, high, critical).
    #[arg(long, value_parser = parse_severity)]
    min_severity: Option<Severity>,
    /// Only releases of this minor line (repeatable): --line 1.17.
    #[arg(long = "line", value_name = "X.Y")]
    lines: Vec<MinorLine>,
    /// Only advisories with at least one release in this status (repeatable).
    #[arg(long = "status", value_parser = parse_status)]
    statuses: Vec<StatusKind>,
    /// Also list advisories that affect no release.
    #[arg(long)]
    all: bool,
    /// Also show stages: releases that only serve as the base of others (`v1.17.17-ci`) and
    /// are not shipped. By default the columns are the published releases, as on the portal.
    #[arg(long)]
    stages: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    Table,
    Json,
    Markdown,
    Csv,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("unknown severity `{s}`: use low, medium, high or critical"))
}

fn parse_status(s: &str) -> Result<StatusKind, String> {
    StatusKind::parse(s).ok_or_else(|| {
        format!(
            "unknown status `{s}`: use one of {}",
            StatusKind::ALL.map(|k| k.as_str()).join(", ")
        )
    })
}

pub(crate) fn parse_product(s: &str) -> Result<klts_core::Product, String> {
    klts_core::Product::parse(s)
        .ok_or_else(|| format!("unknown product `{s}`: {}", klts_core::Product::expected()))
}

/// The product the statuses are about: `--product`, else the workspace's (see
/// [`klts_core::product`]), else Kubernetes (no workspace: `vulns check 1.17.17`).
pub(crate) fn product_of(
    hi: &HiArgs,
    asked: Option<klts_core::Product>,
) -> Result<klts_core::product::ProductChoice, Failure> {
    use klts_core::product::ProductChoice;
    if let Some(product) = asked {
        return Ok(ProductChoice {
            product,
            source: "--product".into(),
            basis: klts_core::product::ProductBasis::Caller,
        });
    }
    if hi.has_manifest() {
        return Ok(hi.workspace()?.product()?);
    }
    Ok(ProductChoice {
        product: klts_core::Product::Kubernetes,
        source: "no workspace here; --product names another".into(),
        basis: klts_core::product::ProductBasis::Caller,
    })
}

/// The advisory database: the embedded snapshot plus synced feeds; warnings are logged.
pub(crate) fn database(hi: &HiArgs) -> Result<Database, Failure> {
    let cache = klts_vuln::sources::default_cache_dir();
    let db = klts_vuln::sources::load_for_workspace(Some(&cache), Some(&hi.workspace))
        .map_err(Failure::usage)?;
    for w in &db.warnings {
        tracing::warn!("{w}");
    }
    Ok(db)
}

fn triage(ws: &Workspace) -> Result<Triage, Failure> {
    Ok(Triage::load(&ws.root.join(TRIAGE_FILE))?)
}

fn gather<'a>(
    hi: &'a HiArgs,
    run: &RunArgs,
    db: &Database,
) -> Result<(&'a Workspace, WorkspaceFacts, Triage), Failure> {
    let ws = hi.workspace()?;
    let options = run.verify_options();
    let facts = match workspace_facts(ws, &options) {
        Ok(mut facts) => {
            klts_vuln::facts::attach_git_evidence(ws, db, &mut facts)?;
            facts
        }
        Err(e) => {
            tracing::warn!(
                "the workspace's releases cannot be materialized ({e}); statuses come from the manifest only (chain patches by name and fixes:, no source trees): `klts fetch` upgrades them"
            );
            klts_vuln::facts::manifest_workspace_facts(ws)?
        }
    };
    for r in facts.verify.releases.iter().filter(|r| r.commit.is_none()) {
        tracing::warn!(
            "{} did not materialize ({}): its dependency statuses are unknown; see `klts verify`",
            r.release,
            klts_forge::verify::status_word(r.status)
        );
    }
    let t = triage(ws)?;
    for d in t.check(&ws.root.join(TRIAGE_FILE), db, &ws.manifest) {
        tracing::warn!("{}", crate::render::diagnostic_line(&d, &ws.root));
    }
    Ok((ws, facts, t))
}

fn color(status: StatusKind, text: &str, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let code = match status {
        StatusKind::Affected => "31",
        StatusKind::Unknown | StatusKind::Unassessed => "33",
        StatusKind::Ignored => "35",
        StatusKind::FixedByPatch | StatusKind::FixedByDependency => "32",
        StatusKind::FixedUpstream => "36",
        StatusKind::NotAffected => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn short(status: StatusKind) -> &'static str {
    match status {
        StatusKind::NotAffected => "-",
        StatusKind::FixedUpstream => "upstream",
        StatusKind::FixedByPatch => "patch",
        StatusKind::FixedByDependency => "dep",
        StatusKind::Ignored => "ignored",
        StatusKind::Unknown => "?",
        StatusKind::Unassessed => "unassessed",
        StatusKind::Affected => "AFFECTED",
    }
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "-".into())
}

fn render_matrix(m: &Matrix, format: MatrixFormat, tty: bool) -> Result<(), Failure> {
    match format {
        MatrixFormat::Json => json(m)?,
        MatrixFormat::Csv => {
            let mut header = vec!["advisory".to_string(), "severity".into(), "score".into()];
            header.extend(m.releases.iter().cloned());
            outln!("{}", header.join(","));
            for row in &m.rows {
                let mut cells = vec![
                    row.advisory.id.clone(),
                    row.advisory.severity.to_string(),
                    score(row.advisory.score),
                ];
                cells.extend(row.cells.iter().map(|c| c.status.to_string()));
                outln!("{}", cells.join(","));
            }
        }
        MatrixFormat::Markdown => {
            outln!("| advisory | severity | {} |", m.releases.join(" | "));
            outln!("| --- | --- |{}", " --- |".repeat(m.releases.len()));
            for row in &m.rows {
                let cells: Vec<String> = row.cells.iter().map(|c| c.status.to_string()).collect();
                outln!(
                    "| {} | {} {} | {} |",
                    row.advisory.id,
                    row.advisory.severity,
                    score(row.advisory.score),
                    cells.join(" | ")
                );
            }
        }
        MatrixFormat::Table => {
            // Columns are releases; names are long, so print a legend of column numbers.
            let width = 9;
            let mut header = format!("{:<22} {:<9} {:>5}", "ADVISORY", "SEVERITY", "SCORE");
            for i in 0..m.releases.len() {
                header.push_str(&format!(" {:>width$}", format!("[{}]", i + 1)));
            }
            outln!("{header}");
            for row in &m.rows {
                let mut line = format!(
                    "{:<22} {:<9} {:>5}",
                    klts_core::names::printable(&row.advisory.id, 40),
                    row.advisory.severity.to_string(),
                    score(row.advisory.score)
                );
                for c in &row.cells {
                    let text = format!("{:>width$}", short(c.status));
                    line.push(' ');
                    line.push_str(&color(c.status, &text, tty));
                }
                outln_raw!("{line}");
            }
            outln!();
            for (i, r) in m.releases.iter().enumerate() {
                outln!("[{}] {r}", i + 1);
            }
            outln!("\n{} advisories; - not-affected, upstream fixed-upstream, patch fixed-by-patch, dep fixed-by-dependency, ? unknown", m.rows.len());
        }
    }
    Ok(())
}

pub fn run_vulns(hi: &HiArgs, cmd: &VulnsCommand) -> Result<u8, Failure> {
    let all = database(hi)?;
    let asked = match cmd {
        VulnsCommand::Check { product, .. } => *product,
        _ => None,
    };
    let product = product_of(hi, asked)?;
    tracing::info!(
        "judging {} releases (product decided by {})",
        product.product.display_name(),
        product.source
    );
    // Another product's advisories are not listed at all (klts_vuln::status::applies_to).
    let db = all.clone().for_product(product.product);
    match cmd {
        VulnsCommand::Matrix {
            filter,
            output,
            run,
        } => {
            let (ws, facts, t) = gather(hi, run, &db)?;
            let columns = if filter.stages {
                facts.releases.clone()
            } else {
                klts_vuln::facts::published(&ws.manifest, &facts.releases)
            };
            let f = MatrixFilter {
                min_severity: filter.min_severity,
                lines: filter.lines.clone(),
                statuses: filter.statuses.clone(),
                all: filter.all,
            };
            let m = matrix(&db, &columns, &t, &f);
            render_matrix(&m, *output, hi.stdout_color)?;
            Ok(0)
        }
        VulnsCommand::Show { id, list, run } => {
            let adv = db.get(id).ok_or_else(|| Failure {
                code: 2,
                message: match all.get(id) {
                    Some(other) => format!(
                        "`{}` does not concern {}: it is another product's advisory ({})\n  help: run it in that product's workspace",
                        klts_core::names::printable(id, 64),
                        product.product.display_name(),
                        other
                            .affected
                            .iter()
                            .map(|a| a.package.name.as_str())
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => format!("unknown advisory `{}`\n  help: ids are CVE-…, GO-… or GHSA-…; `klts feed sync` brings newer ones", klts_core::names::printable(id, 64)),
                },
            })?;
            let (_ws, facts, t) = gather(hi, run, &db)?;
            let report = show(adv, &facts.releases, &t);
            match list.output {
                crate::Format::Json => json(&report)?,
                crate::Format::Table => {
                    let a = &report.advisory;
                    let aliases = if a.aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", a.aliases.join(", "))
                    };
                    outln!("{}{aliases} — {} {}", a.id, a.severity, score(a.score));
                    if let Some(v) = &a.cvss_v3 {
                        outln!("  cvss:      {v}");
                    }
                    if let Some(p) = &a.published {
                        outln!("  published: {p}");
                    }
                    if let Some(i) = &a.issue {
                        outln!("  issue:     {i}");
                    }
                    if let Some(s) = &adv.summary {
                        outln!("  summary:   {s}");
                    }
                    for r in &report.ranges {
                        outln!("  affects:   {r}");
                    }
                    outln!();
                    for (release, st) in &report.releases {
                        outln!("{release:<22} {}", st.status);
                        for e in &st.evidence {
                            outln!("    {e}");
                        }
                    }
                }
            }
            Ok(0)
        }
        VulnsCommand::Check {
            version,
            include_unknown,
            list,
            run,
            product: _,
        } => {
            let v = Version::parse(version)?;
            // A workspace is optional here; but a workspace that is there and broken is an
            // error, never "no workspace". A workspace of another product than the one asked
            // about (`--product`) has nothing to say about VERSION.
            let ws = if hi.has_manifest() {
                let ws = hi.workspace()?;
                (ws.product()?.product == product.product).then_some(ws)
            } else {
                None
            };
            let mut manifest_only = false;
            let (facts, workspace, t) = match &ws {
                Some(ws) => {
                    let options = run.verify_options();
                    // `check` works without a workspace, so a workspace whose releases cannot
                    // be materialized (no mirror, no network) degrades to the bare version.
                    let releases = match workspace_facts(ws, &options) {
                        Ok(mut all) => {
                            klts_vuln::facts::attach_git_evidence(ws, &db, &mut all)?;
                            all.releases
                        }
                        Err(e) => {
                            tracing::warn!(
                                "the workspace's releases cannot be materialized ({e}); statuses come from the manifest only (chain patches by name and fixes:, no source trees)"
                            );
                            manifest_only = true;
                            klts_vuln::facts::manifest_facts(ws, product.product)
                        }
                    };
                    let own =
                        klts_vuln::report::select_facts(&v, version, &releases, true)?.cloned();
                    let facts = match own {
                        Some(f) => f,
                        None => version_facts(&v, product.product, Some(ws))?,
                    };
                    (facts, releases, triage(ws)?)
                }
                None => (
                    klts_vuln::facts::bare_version_facts(&v, product.product),
                    Vec::new(),
                    Triage::default(),
                ),
            };
            let exposures = check(&db, &facts, &workspace, &t, *include_unknown);
            match list.output {
                crate::Format::Json => json(&klts_vuln::report::CheckAnswer {
                    version: facts.name.clone(),
                    upstream: facts.upstream.as_ref().map(|v| v.to_string()),
                    facts: if manifest_only {
                        "manifest"
                    } else if ws.is_some() {
                        "mirror"
                    } else {
                        "version"
                    },
                    lts_release: workspace.iter().any(|r| r.name == facts.name),
                    exposures,
                })?,
                crate::Format::Table => {
                    outln!(
                        "{} (upstream {}){}",
                        facts.name,
                        facts
                            .upstream
                            .as_ref()
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                        if !workspace.is_empty() {
                            ", with the LTS releases of this workspace"
                        } else {
                            ""
                        }
                    );
                    outln!(
                        "{:<20} {:<9} {:>5}  {:<10} {:<16} LTS FIX",
                        "ADVISORY",
                        "SEVERITY",
                        "SCORE",
                        "STATUS",
                        "UPSTREAM FIX"
                    );
                    for e in &exposures {
                        outln!(
                            "{:<20} {:<9} {:>5}  {:<10} {:<16} {}",
                            e.advisory.id,
                            e.advisory.severity.to_string(),
                            score(e.advisory.score),
                            e.status.status.to_string(),
                            e.upstream_fix.as_deref().unwrap_or(
                                if e.status.status == StatusKind::Unknown {
                                    "unknown"
                                } else {
                                    "none known"
                                }
                            ),
                            e.lts_fix.as_deref().unwrap_or("-")
                        );
                    }
                    outln!("\n{} open advisories", exposures.len());
                    if manifest_only {
                        outln!("note: manifest-only statuses (no mirror): the chain's patches are credited by name and `fixes:`, source trees and git evidence are not used; `klts fetch` upgrades them, and --include-unknown lists the Go-module and Go-toolchain advisories that need a tree");
                    }
                    if ws.is_none() && v.suffix().is_some() && !v.is_prerelease() {
                        outln!("note: without the workspace, the patches of {} are unknown: this is the exposure of upstream {}", facts.name, v.base());
                    }
                    // Without a mirror the manifest-only note above already says trees are
                    // not read.
                    if facts.tree.is_none() && !*include_unknown && !manifest_only {
                        if ws.is_some() {
                            outln!("note: Go-module and Go-toolchain advisories need the source tree of {}, which the workspace mirror does not have (`klts fetch` brings only the tags the manifest needs); --include-unknown lists them", facts.name);
                        } else {
                            outln!("note: Go-module and Go-toolchain advisories need the source tree; run inside a workspace, or add --include-unknown to list them");
                        }
                    }
                }
            }
            Ok(0)
        }
        VulnsCommand::Gate {
            min_severity,
            list,
            run,
        } => {
            let (_ws, facts, t) = gather(hi, run, &db)?;
            let must = |n: &str| facts.must.get(n).copied().unwrap_or(false);
            let violations = gate(&db, &facts.releases, &must, &t, *min_severity);
            match list.output {
                crate::Format::Json => json(
                    &serde_json::json!({"min_severity": min_severity, "violations": violations}),
                )?,
                crate::Format::Table => {
                    for v in &violations {
                        outln!(
                            "{:<22} {:<20} {} {}",
                            v.release,
                            v.advisory.id,
                            v.advisory.severity,
                            score(v.advisory.score)
                        );
                        for e in &v.status.evidence {
                            outln!("    {e}");
                        }
                    }
                    if violations.is_empty() {
                        outln!("gate passed: no must release has an open advisory at or above {min_severity}");
                    } else {
                        outln!("\ngate failed: {} open advisories at or above {min_severity} in must releases", violations.len());
                    }
                }
            }
            Ok(u8::from(!violations.is_empty()))
        }
    }
}

/// The timestamp of generated documents: `SOURCE_DATE_EPOCH` when set (the run's one validated
/// read, [`HiArgs::build_time`]), else the newest committer time of `commits` in the mirror,
/// else 1970 (a document's time is never the wall clock: the same inputs, the same bytes).
fn timestamp(hi: &HiArgs, ws: &Workspace, commits: &[&str]) -> Result<String, Failure> {
    if let Some(secs) = hi.build_time()?.source_date_epoch {
        return Ok(klts_core::time::rfc3339(secs));
    }
    let newest = match klts_forge::odb::commit_times(&ws.mirror_dir(), commits.iter().copied()) {
        Ok(times) => times.into_values().max(),
        Err(e) => {
            tracing::warn!("commit times unreadable ({e}): the document is dated 1970-01-01");
            None
        }
    };
    Ok(klts_core::time::rfc3339(newest.unwrap_or(0)))
}

pub fn run_vex(
    hi: &HiArgs,
    release: &str,
    run: &RunArgs,
    out: Option<&PathBuf>,
) -> Result<u8, Failure> {
    let db = database(hi)?.for_product(product_of(hi, None)?.product);
    let (ws, facts, t) = gather(hi, run, &db)?;
    let r = facts
        .releases
        .iter()
        .find(|r| r.name == release)
        .ok_or_else(|| {
            Failure::from(klts_forge::ForgeError::unknown_release(
                &ws.manifest,
                release,
            ))
        })?;
    let commit = facts
        .verify
        .releases
        .iter()
        .find(|x| x.release == release)
        .and_then(|x| x.commit.as_deref());
    let ts = timestamp(hi, ws, commit.as_slice())?;
    let doc = klts_vuln::vex::openvex(&db, r, &t, &ts);
    write_json(&doc, out)?;
    Ok(0)
}

pub fn run_osv_export(hi: &HiArgs, run: &RunArgs, out: Option<&PathBuf>) -> Result<u8, Failure> {
    let db = database(hi)?.for_product(product_of(hi, None)?.product);
    let (ws, facts, t) = gather(hi, run, &db)?;
    let commits: Vec<&str> = facts
        .verify
        .releases
        .iter()
        .filter_map(|r| r.commit.as_deref())
        .collect();
    let ts = timestamp(hi, ws, &commits)?;
    let records = klts_vuln::vex::osv_export(&db, &facts.releases, &t, &ts);
    match out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
            for r in &records {
                let id = r["id"].as_str().unwrap_or("KLTS-unknown");
                let text =
                    serde_json::to_vec_pretty(r).map_err(|e| Failure::usage(e.to_string()))?;
                let path = dir.join(format!("{id}.json"));
                klts_forge::fsutil::atomic_write(&path, &text)
                    .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
            }
            outln!("wrote {} OSV records to {}", records.len(), dir.display());
        }
        None => json(&records)?,
    }
    Ok(0)
}

fn write_json(value: &serde_json::Value, out: Option<&PathBuf>) -> Result<(), Failure> {
    match out {
        Some(path) => {
            let text =
                serde_json::to_vec_pretty(value).map_err(|e| Failure::usage(e.to_string()))?;
            klts_forge::fsutil::atomic_write(path, &text)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
        }
        None => json(value),
    }
}

pub fn run_feed_sync(
    hi: &HiArgs,
    urls: &[String],
    offline: bool,
    list: &crate::ListArgs,
) -> Result<u8, Failure> {
    let cache = klts_vuln::sources::default_cache_dir();
    if offline {
        let index = klts_vuln::sources::synced(&cache);
        match list.output {
            crate::Format::Json => json(&index)?,
            crate::Format::Table => {
                if index.feeds.is_empty() {
                    outln!(
                        "no feeds synced in {}: the embedded snapshot is used",
                        cache.display()
                    );
                }
                for (url, e) in &index.feeds {
                    outln!(
                        "{url}  {}  synced at {}",
                        e.kind,
                        klts_core::time::rfc3339(e.synced_at as i64)
                    );
                }
            }
        }
        return Ok(0);
    }
    let urls: Vec<String> = if urls.is_empty() {
        vec![klts_vuln::sources::OFFICIAL_FEED.to_string()]
    } else {
        urls.to_vec()
    };
    let now = u64::try_from(hi.now()).unwrap_or(0);
    let results = klts_vuln::sources::sync(&urls, &cache, now).map_err(Failure::usage)?;
    match list.output {
        crate::Format::Json => json(&results)?,
        crate::Format::Table => {
            for r in &results {
                match &r.error {
                    None => outln!(
                        "synced {} ({}, {} bytes)",
                        r.url,
                        match r.kind {
                            Some(klts_vuln::sources::FeedKind::JsonFeed) => "JSON Feed",
                            Some(klts_vuln::sources::FeedKind::OsvRecord) => "one OSV record",
                            Some(klts_vuln::sources::FeedKind::OsvArray) => "OSV records",
                            None => "unknown",
                        },
                        r.bytes
                    ),
                    Some(e) => outln!("error: {}: {e} (the previous copy, if any, is kept)", r.url),
                }
            }
            outln!("cache: {}", cache.display());
        }
    }
    Ok(u8::from(results.iter().any(|r| r.error.is_some())))
}
