//! Table rendering and progress for the CLI. One renderer for diagnostics, one per report.

use indicatif::{ProgressBar, ProgressStyle};
use klts_core::listing::{summaries, ReleaseSummary};
use klts_core::{Diagnostic, Severity};
use klts_forge::patches::Origin;
use klts_forge::sync::{LockReport, SyncReport, UrlReport};
use klts_forge::verify::{status_word, ReleaseReport, Status, VerifyReport};
use klts_forge::Workspace;
use std::path::Path;
use std::time::Duration;

/// Print rows as aligned columns.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        outln!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

pub fn release_rows(ws: &Workspace) -> Vec<ReleaseSummary> {
    summaries(&ws.manifest)
}

pub fn releases_table(rows: &[ReleaseSummary]) {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                if r.must { "yes".into() } else { "no".into() },
                if r.latest_in_line {
                    "latest".into()
                } else {
                    String::new()
                },
                r.patches.len().to_string(),
                match &r.error {
                    Some(e) => format!("error: {e}"),
                    None => r.chain.join(" -> "),
                },
            ]
        })
        .collect();
    table(&["RELEASE", "MUST", "LINE", "PATCHES", "CHAIN"], &body);
    let must = rows.iter().filter(|r| r.must).count();
    outln!("\n{} releases, {must} must", rows.len());
}

pub fn diagnostics(diags: &[Diagnostic], root: &Path) {
    for d in diags {
        outln!("{}", diagnostic_line(d, root));
    }
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    let (e, w) = (count(Severity::Error), count(Severity::Warning));
    if diags.is_empty() {
        outln!("no problems found");
    } else {
        outln!("\n{e} error{}, {w} warning{}", plural(e), plural(w));
    }
}

/// One diagnostic as printed, its file relative to the workspace `root`.
pub fn diagnostic_line(d: &Diagnostic, root: &Path) -> String {
    let mut d = d.clone();
    if let Ok(rel) = d.file.strip_prefix(root) {
        if !rel.as_os_str().is_empty() {
            d.file = rel.to_path_buf();
        }
    }
    d.to_string()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn origin_word(o: &Option<Origin>) -> String {
    match o {
        None => "-".into(),
        Some(Origin::Workspace { .. }) => "workspace".into(),
        Some(Origin::Cache) => "cache".into(),
        Some(Origin::Download) => "downloaded".into(),
        Some(Origin::UpstreamCommit { commit }) => {
            format!("upstream commit {}", &commit[..12.min(commit.len())])
        }
        Some(Origin::UpstreamPull { number, merge }) => format!(
            "upstream PR #{number} (merge {})",
            &merge[..12.min(merge.len())]
        ),
    }
}

fn url_rows(urls: &[UrlReport]) {
    let rows: Vec<Vec<String>> = urls
        .iter()
        .map(|u| {
            vec![
                u.patch.clone(),
                u.sha256
                    .as_deref()
                    .map(|s| s[..16].to_string())
                    .unwrap_or_else(|| "-".into()),
                origin_word(&u.origin),
                u.url.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(&["PATCH", "SHA256", "FROM", "URL"], &rows);
    }
    for u in urls {
        if let Some(e) = &u.error {
            outln!("error: {e}");
        }
    }
}

pub fn fetch(r: &SyncReport) {
    outln!(
        "tags: {} fetched, {} already present, {} missing upstream{}",
        r.tags.fetched.len(),
        r.tags.present.len(),
        r.tags.missing.len(),
        if r.tags.head {
            "; default branch fetched"
        } else {
            ""
        }
    );
    for t in &r.tags.missing {
        if r.offline {
            outln!(
                "error: the mirror has no tag `{t}`: run `klts fetch` with access to the upstream"
            );
        } else {
            outln!("error: upstream has no tag `{t}`: fix base_release in releases.yml");
        }
    }
    url_rows(&r.urls);
}

pub fn lock(r: &LockReport, path: &Path) {
    url_rows(&r.urls);
    if r.written {
        outln!(
            "wrote {}: {} added, {} changed, {} removed",
            path.display(),
            r.added,
            r.changed,
            r.removed
        );
    } else if r.urls.iter().any(|u| u.error.is_some()) {
        outln!(
            "{} left unchanged: some URLs could not be obtained",
            path.display()
        );
    } else {
        outln!(
            "{} is up to date ({} pins)",
            path.display(),
            r.urls.len() - r.unpinned
        );
    }
    if r.unpinned > 0 {
        outln!(
            "note: {} URL(s) could only be produced from the upstream mirror; they are not pinned (their upstream commit identifies them). Run `klts lock` with network access to pin the downloads.",
            r.unpinned
        );
    }
}

fn short(c: &Option<String>) -> String {
    c.as_deref()
        .map(|c| c[..12.min(c.len())].to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn verify(report: &VerifyReport, verbose: bool, elapsed: Duration) {
    let shown: Vec<&ReleaseReport> = report
        .releases
        .iter()
        .filter(|r| r.requested || r.status != Status::Ok)
        .collect();
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|r| {
            vec![
                r.release.clone(),
                status_word(r.status).to_string(),
                short(&r.commit),
                format!("{}/{}", r.steps_cached, r.steps_cached + r.steps_applied),
                if r.three_way > 0 {
                    r.three_way.to_string()
                } else {
                    String::new()
                },
                format!("{:.2}s", r.millis as f64 / 1000.0),
            ]
        })
        .collect();
    table(
        &["RELEASE", "STATUS", "COMMIT", "CACHED", "3-WAY", "TIME"],
        &rows,
    );
    if verbose {
        for r in &shown {
            outln!(
                "\n{} (root {} {})",
                r.release,
                r.root,
                short(&r.root_commit)
            );
            for p in &r.patches {
                for f in &p.files {
                    outln!(
                        "  {} via {}: {} [{}] sha256:{}",
                        p.name,
                        p.via,
                        f.source,
                        origin_word(&Some(f.origin.clone())),
                        &f.sha256[..16]
                    );
                }
            }
        }
    }
    for r in &shown {
        if let Some(c) = &r.conflict {
            outln!("\nerror: {}: patch `{}` does not apply", r.release, c.patch);
            outln!("  source:  {}", c.source);
            outln!(
                "  commit:  {:?} (message {} of the file)",
                c.subject,
                c.message_index + 1
            );
            outln!("  onto:    {}", c.onto);
            outln!(
                "  paths:   {}",
                if c.paths.is_empty() {
                    "-".into()
                } else {
                    c.paths.join(", ")
                }
            );
            if let Some(note) = c
                .detail
                .lines()
                .find(|l| l.starts_with("3-way fallback impossible"))
            {
                outln!("  note:    {note}");
            }
            if verbose {
                for l in c.detail.lines() {
                    outln!("  | {l}");
                }
            }
            outln!("  help: klts checkout {} --worktree DIR leaves it in `git am` state for resolution", r.release);
        } else if let Some(e) = &r.error {
            outln!("\nerror: {}: {e}", r.release);
        }
    }
    let requested: Vec<_> = report.releases.iter().filter(|r| r.requested).collect();
    let ok = requested.iter().filter(|r| r.status == Status::Ok).count();
    let cached: usize = report.releases.iter().map(|r| r.steps_cached).sum();
    let applied: usize = report.releases.iter().map(|r| r.steps_applied).sum();
    outln!(
        "\n{ok} of {} releases ok; {applied} steps applied, {cached} from cache{}",
        requested.len(),
        if elapsed.is_zero() {
            String::new()
        } else {
            format!("; {:.2}s", elapsed.as_secs_f64())
        }
    );
}

/// A progress bar on stderr when it is a terminal; silent otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Progress { bar }
    }

    pub fn done(&self, r: &ReleaseReport, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.inc(1);
            b.set_message(format!("{} {}", r.release, status_word(r.status)));
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

pub fn lifecycle(
    lines: &[klts_core::lifecycle::LineStatus],
    date: klts_core::lifecycle::Date,
    product: &str,
    lts_years: u32,
) {
    let d = |x: Option<klts_core::lifecycle::Date>| {
        x.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
    };
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.line.to_string(),
                format!("{:?}", l.phase).to_lowercase(),
                l.released.to_string(),
                d(l.community_eol),
                match (l.lts_end, l.lts_basis) {
                    (None, Some("policy")) => "further notice".into(),
                    (end, Some("policy")) => format!("{} (policy)", d(end)),
                    (end, _) => d(end),
                },
                l.days_left
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                l.latest_patch.clone().unwrap_or_else(|| "-".into()),
                l.activity
                    .as_ref()
                    .map(|a| format!("{} {}", a.release, a.date))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        &[
            "LINE",
            "PHASE",
            "RELEASED",
            "COMMUNITY EOL",
            "LTS END",
            "DAYS LEFT",
            "NEWEST PATCH",
            "PROGRAM SHIPPED",
        ],
        &rows,
    );
    outln!("\n{product} on {date}; LTS lasts {lts_years} years after community end of life, unless lifecycle.yml's `support:` decides");
    for l in lines {
        if let Some(d) = &l.disagreement {
            outln!("warning: {d}");
        }
    }
}
