//! `klts` — the command line of klts. Argument parsing, output formats and progress only;
//! the domain lives in `klts-core` (versions, manifest, lint), `klts-forge` (git engine),
//! `klts-vuln` (advisories), `klts-site` (portal) and `klts-dist` (build, packages,
//! repositories, images, CI).
//!
//! Exit codes: 0 success; 1 the command ran and found problems (lint errors, a release that
//! does not materialize, a conflict); 2 the command could not run (bad arguments, malformed
//! manifest or lock file, unknown release, unreachable upstream). Library errors carry their
//! class ([`klts_core::exit`]); [`Failure`] takes the code from them.
//!
//! clap's [`Cli`] is resolved once into [`HiArgs`] (`hiargs.rs`: workspace, out dir, jobs,
//! the clock and `SOURCE_DATE_EPOCH`, terminal), which the commands take.

/// `println!` that exits quietly when stdout is closed (`klts releases | head`).
macro_rules! outln {
    () => {
        outln_raw!()
    };
    // Everything printed goes through the one terminal filter (klts_core::names).
    ($($t:tt)*) => {
        outln_raw!("{}", klts_core::names::terminal_safe(&format!($($t)*)))
    };
}

/// [`outln!`] without the terminal filter, for lines that carry klts's own colour codes; every
/// untrusted piece of such a line must be made printable by the caller.
macro_rules! outln_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod backport;
mod build;
mod ci;
mod hiargs;
mod image;
mod package;
mod publish;
mod render;
mod site;
mod toolchain;
mod vulns;

pub(crate) use hiargs::HiArgs;

use clap::{Args, Parser, Subcommand, ValueEnum};
use klts_core::Severity;
use klts_forge::checkout::{checkout, CheckoutOutcome};
use klts_forge::verify::{select, verify};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Kubernetes Long Term Support release engineering.
///
/// An LTS workspace is a directory with `releases.yml` (the KLTS manifest) and `patches/`.
/// Each release is an upstream tag plus a chain of patches; klts materializes every release
/// as a commit without a working tree, reproducibly, and tells you when a patch stops applying.
///
/// Typical session:
///
///   klts lint                      # is the manifest consistent?
///   klts fetch                     # mirror the upstream tags it needs, download URL patches
///   klts lock                      # pin downloaded patches by sha256 in klts.lock
///   klts verify                    # do all `must` releases still materialize?
///   klts checkout v1.17.17-lts.3 --worktree ../lts-1.17
///   klts vulns matrix              # releases x advisories, with status and evidence
///   klts vulns check 1.17.17       # what is a 1.17.17 cluster exposed to? (no workspace needed)
///   klts vulns gate                # CI: fail when a must release has an open high/critical
///   klts lifecycle --svg chart.svg # support windows of every minor line
///   klts serve                     # the portal on http://127.0.0.1:8080 (site build OUT: static)
///   klts build v1.17.17-lts.3      # binaries for every platform, SHA256SUMS, SLSA provenance
///   klts test v1.17.17-lts.3       # go test with tolerated failures and retries, JUnit XML
///   klts package v1.17.17-lts.3 --sign-key key.asc   # .deb and signed .rpm
///   klts publish apt --out REPO/apt --key key.asc    # signed repositories (also: yum)
///   klts image v1.17.17-lts.3 --push registry.example.com/klts
///   klts ci github                 # fan the work out over GitHub Actions
///
/// Exit codes: 0 ok; 1 problems found (lint errors, failed releases); 2 could not run.
#[derive(Parser, Debug)]
#[command(name = "klts", version, about, long_about, verbatim_doc_comment)]
pub(crate) struct Cli {
    /// The LTS workspace (the directory holding releases.yml).
    #[arg(
        long,
        short = 'w',
        global = true,
        default_value = ".",
        value_name = "DIR"
    )]
    pub(crate) workspace: PathBuf,
    /// Where to keep the upstream mirror, downloads and the step cache [default: WORKSPACE/.klts].
    #[arg(long, global = true, value_name = "DIR", env = "KLTS_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// More detail: -v shows how each patch resolved and where its bytes came from; -vv debug logs.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List releases with their base chains, `must`, and the latest release of each minor line.
    Releases(ListArgs),
    /// Check the manifest: base chains, versions, patch names, files, pins, upstream tags.
    ///
    /// Each finding names file:line:col. Errors (exit 1) mean a release cannot be produced as
    /// written; warnings are dead weight or likely mistakes.
    Lint(ListArgs),
    /// Mirror the upstream tags the manifest needs and download URL patches into the cache.
    ///
    /// Only the root tags of the release chains are fetched (plus the upstream's default branch
    /// when patches are `…/commit/<sha>.patch` or `…/pull/<N>.patch` URLs, so that they can be
    /// produced offline later).
    Fetch {
        /// Fetch only tags, not the default branch.
        #[arg(long)]
        tags_only: bool,
        /// Do not touch the network: report which tags the mirror lacks and which URL patches
        /// cannot be resolved from the cache or the mirror.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Pin every URL patch by sha256 in klts.lock (written only if every URL was obtained).
    Lock {
        /// Download again and re-pin URLs whose content changed (review the diff!).
        #[arg(long)]
        update: bool,
        /// Never touch the network: pin from the cache or the upstream mirror.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Materialize releases and report which apply (default: every `must` release).
    ///
    /// Steps are cached by content, so a second run with nothing changed takes a moment.
    /// A conflict names the release, patch, source, commit subject and paths; the other
    /// releases go on.
    Verify {
        /// Releases to verify [default: the `must` releases].
        releases: Vec<String>,
        /// Verify every release of the manifest.
        #[arg(long, conflicts_with = "releases")]
        all: bool,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Vulnerabilities: which advisory affects which release, and what fixes it.
    #[command(subcommand)]
    Vulns(vulns::VulnsCommand),
    /// An OpenVEX document for RELEASE: fixed / not_affected (with justification) / affected /
    /// under_investigation, per advisory.
    Vex {
        /// The release.
        release: String,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// OSV records that say which -lts.N releases fix what (for scanners that read OSV).
    #[command(subcommand)]
    Osv(OsvCommand),
    /// Advisory feeds: download newer advisories than the embedded snapshot.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Support windows of every minor line: community, LTS, or end of life on a date.
    ///
    /// The built-in calendar (Kubernetes 1.0 onward, with sources cited in the data file)
    /// plus the workspace's `lifecycle.yml` overrides; LTS ends --lts-years (default 3) after
    /// community end of life, or as soon as community support ends for lines the manifest
    /// dropped (only `must: false` releases). Works without a workspace.
    Lifecycle {
        /// Ask about another day (YYYY-MM-DD) [default: today].
        #[arg(long, value_name = "DATE")]
        date: Option<klts_core::lifecycle::Date>,
        /// Years of LTS after community end of life [default: 3, or lifecycle.yml's].
        #[arg(long, value_name = "N")]
        lts_years: Option<u32>,
        /// Also write the lifecycle chart as SVG to FILE.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Only lines that are supported (community or lts) on that date.
        #[arg(long)]
        supported: bool,
        /// The product's calendar (kubernetes, containerd, runc) [default: the workspace's,
        /// or Kubernetes outside a workspace].
        #[arg(long, value_parser = vulns::parse_product)]
        product: Option<klts_core::Product>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// The LTS portal as a static site.
    #[command(subcommand)]
    Site(SiteCommand),
    /// OpenPGP signing keys for the apt and yum repositories.
    #[command(subcommand)]
    Key(publish::KeyCommand),
    /// Signed apt and yum repositories from `klts package` output, replaced atomically.
    #[command(subcommand)]
    Publish(publish::PublishCommand),
    Package(package::PackageArgs),
    /// Serve the LTS portal live from the workspace (rebuilt when its files change).
    ///
    /// Without a workspace it serves the embedded lifecycle and advisory data. Pages, the JSON
    /// API under /api/v1/ and the lifecycle chart are the same as `klts site build` writes.
    /// Stops gracefully on Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        portal: site::PortalArgs,
    },
    /// CI fan-out: generate workflows for an existing CI engine from the manifest.
    #[command(subcommand)]
    Ci(ci::CiCommand),
    Build(build::BuildArgs),
    Test(build::TestArgs),
    Toolchain(toolchain::ToolchainArgs),
    Image(image::ImageArgs),
    Backport(backport::BackportArgs),
    Refresh(backport::RefreshArgs),
    Fmt(backport::FmtArgs),
    /// Releases: cut the next release of a line.
    #[command(subcommand)]
    Release(backport::ReleaseCommand),
    /// Materialize one release, tag it in the mirror, and optionally check it out.
    ///
    /// With --worktree and a conflicting patch, the worktree is left in `git am` state at the
    /// failing patch: resolve, `git add`, `git am --continue`.
    Checkout {
        /// The release.
        release: String,
        /// Also check the release out into this (new or empty) directory.
        #[arg(long, value_name = "DIR")]
        worktree: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
}

#[derive(Subcommand, Debug)]
enum SiteCommand {
    /// Write the portal to OUT: HTML pages, /api/v1/*.json, the lifecycle chart, assets.
    ///
    /// Works without a workspace (embedded lifecycle and advisory data). The directory is
    /// replaced as a whole once the new build is complete. Exit 1 when a workspace file could
    /// not be read (the site is still written, with the error on the affected pages).
    Build {
        /// Output directory (new, or a previous build).
        out: PathBuf,
        /// Never touch the network (do not fetch missing upstream tags).
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        portal: site::PortalArgs,
    },
}

#[derive(Subcommand, Debug)]
enum OsvCommand {
    /// Print (or write to --out DIR, one file per record) OSV records crediting LTS releases.
    Export {
        /// Write one KLTS-<id>.json per record into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
}

#[derive(Subcommand, Debug)]
enum FeedCommand {
    /// Download feed URLs into the feed cache ($KLTS_FEED_CACHE or ~/.cache/klts/feeds),
    /// atomically, recording the sync time. Default: the official Kubernetes CVE feed.
    ///
    /// A URL may hold a JSON Feed (the official feed), one OSV record, or a JSON array of OSV
    /// records. Without a sync, every command uses the snapshot embedded in the binary.
    Sync {
        /// Feed URLs [default: the official Kubernetes CVE feed].
        urls: Vec<String>,
        /// Do not download: show what is cached and when it was synced.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub(crate) output: Format,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Parallel jobs [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Never touch the network: use the mirror and the download cache only.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Recompute every step instead of reading the step cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
}

/// The one error type of the CLI edge: a message and an exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    /// Bad input or an unusable environment: exit 2, with what to do in the message.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

/// Every library error says its own exit class ([`klts_core::exit`]); the CLI only renders it.
impl<E: klts_core::HasExitClass + std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: e.exit_class().code(),
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KLTS_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "klts={level},klts_forge={level},klts_core={level},klts_vuln={level},klts_site={level},klts_dist={level}"
        ))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .without_time()
        .init();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", klts_core::names::terminal_safe(&f.message));
            ExitCode::from(f.code)
        }
    }
}

/// The platforms the manifest builds for (its `build.platforms`, or the defaults).
pub(crate) fn build_platforms(build: &klts_core::build::BuildConfig) -> Vec<String> {
    build
        .platforms
        .iter()
        .map(|p| p.value.to_string())
        .collect()
}

/// The workspace's product and its `build:` section with the product's defaults
/// (`Workspace::build_config`) when there is a readable manifest, else Kubernetes and its
/// defaults: the steps after `klts build` also work on an `out/` directory alone.
pub(crate) fn dist_config(
    hi: &HiArgs,
) -> Result<(klts_core::Product, klts_core::build::BuildConfig), Failure> {
    if !hi.has_manifest() {
        return Ok((
            klts_core::Product::Kubernetes,
            klts_core::build::BuildConfig::default(),
        ));
    }
    let ws = hi.workspace()?;
    let product = ws.product()?.product;
    let build = ws.build_config()?;
    Ok((product, build))
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::usage(e.to_string()))?;
    outln!("{text}");
    Ok(())
}

fn run(cli: &Cli) -> Result<u8, Failure> {
    let hi = &HiArgs::from_low(cli)?;
    match &cli.command {
        Command::Releases(list) => {
            let ws = hi.workspace()?;
            let rows = render::release_rows(ws);
            match list.output {
                Format::Json => json(&rows)?,
                Format::Table => render::releases_table(&rows),
            }
            Ok(0)
        }
        Command::Lint(list) => {
            let ws = hi.workspace()?;
            let mut diags = klts_forge::lint::lint_workspace(ws)?;
            diags.extend(klts_forge::lint::lint_support(ws, hi.today())?);
            let triage = ws.root.join(klts_vuln::triage::TRIAGE_FILE);
            if triage.exists() {
                let db = vulns::database(hi)?;
                diags.extend(klts_vuln::triage::lint(&triage, &db, &ws.manifest));
            }
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            match list.output {
                Format::Json => json(&serde_json::json!({
                    "errors": errors,
                    "warnings": diags.iter().filter(|d| d.severity == Severity::Warning).count(),
                    "diagnostics": diags,
                }))?,
                Format::Table => render::diagnostics(&diags, &ws.root),
            }
            Ok(u8::from(errors > 0))
        }
        Command::Fetch {
            tags_only,
            offline,
            list,
        } => {
            let ws = hi.workspace()?;
            let report = klts_forge::sync::fetch(ws, *tags_only, *offline)?;
            match list.output {
                Format::Json => json(&report)?,
                Format::Table => render::fetch(&report),
            }
            Ok(u8::from(!report.complete()))
        }
        Command::Lock {
            update,
            offline,
            list,
        } => {
            let ws = hi.workspace()?;
            let report = klts_forge::sync::lock(ws, *update, *offline)?;
            match list.output {
                Format::Json => json(&report)?,
                Format::Table => render::lock(&report, &ws.lock_path()),
            }
            Ok(u8::from(report.urls.iter().any(|u| u.error.is_some())))
        }
        Command::Verify {
            releases,
            all,
            run,
            list,
        } => {
            let ws = hi.workspace()?;
            let names = select(ws, releases, *all)?;
            if names.is_empty() {
                return Err(Failure::usage("nothing to verify: no release has `must: true`\n  help: name releases or use --all"));
            }
            let options = run.verify_options();
            let started = std::time::Instant::now();
            let progress = render::Progress::new(hi.stderr_progress);
            let report = verify(ws, &names, &options, &|r, total| progress.done(r, total))?;
            progress.finish();
            match list.output {
                Format::Json => json(&report)?,
                Format::Table => render::verify(&report, hi.verbose > 0, started.elapsed()),
            }
            Ok(u8::from(!report.all_ok()))
        }
        Command::Lifecycle {
            date,
            lts_years,
            svg,
            supported,
            product,
            list,
        } => {
            let date = date.unwrap_or_else(|| hi.today());
            // The run's workspace when there is one (opened once, with --cache-dir), else the
            // built-in calendars alone.
            let (calendar, policy) = if hi.has_manifest() {
                klts_forge::activity::lifecycle_of(hi.workspace()?, *lts_years, *product)
            } else {
                klts_forge::activity::workspace_lifecycle(None, *lts_years, *product)
            }
            .map_err(|message| Failure { code: 2, message })?;
            let mut lines = klts_core::lifecycle::statuses(&calendar, &policy, date);
            if let Some(path) = svg {
                let title = format!("{} lifecycle on {date}", calendar.product);
                let chart = klts_site::chart::lifecycle_svg(&lines, date, &title);
                klts_forge::fsutil::atomic_write(path, chart.as_bytes())
                    .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
            }
            if *supported {
                lines.retain(klts_core::lifecycle::LineStatus::is_supported);
            }
            match list.output {
                Format::Json => json(
                    &serde_json::json!({"date": date, "product": calendar.product, "lts_years": policy.lts_years, "lines": lines}),
                )?,
                Format::Table => {
                    render::lifecycle(&lines, date, &calendar.product, policy.lts_years)
                }
            }
            Ok(0)
        }
        Command::Site(SiteCommand::Build {
            out,
            offline,
            portal,
        }) => site::run_build(hi, out, portal, *offline),
        Command::Build(args) => build::run_build(hi, args),
        Command::Test(args) => build::run_test(hi, args),
        Command::Toolchain(args) => toolchain::run(hi, args),
        Command::Serve { addr, portal } => site::run_serve(hi, *addr, portal),
        Command::Key(cmd) => publish::run_key(hi, cmd),
        Command::Publish(cmd) => publish::run_publish(hi, cmd),
        Command::Vulns(cmd) => vulns::run_vulns(hi, cmd),
        Command::Ci(cmd) => ci::run_ci(hi, cmd),
        Command::Package(args) => package::run(hi, args),
        Command::Image(args) => image::run(hi, args),
        Command::Backport(args) => backport::run(hi, args),
        Command::Refresh(args) => backport::run_refresh(hi, args),
        Command::Fmt(args) => backport::run_fmt(hi, args),
        Command::Release(cmd) => backport::run_release(hi, cmd),
        Command::Vex { release, out, run } => vulns::run_vex(hi, release, run, out.as_ref()),
        Command::Osv(OsvCommand::Export { out, run }) => {
            vulns::run_osv_export(hi, run, out.as_ref())
        }
        Command::Feed(FeedCommand::Sync {
            urls,
            offline,
            list,
        }) => vulns::run_feed_sync(hi, urls, *offline, list),
        Command::Checkout {
            release,
            worktree,
            run,
        } => {
            let ws = hi.workspace()?;
            let options = run.verify_options();
            match checkout(ws, release, worktree.as_deref(), &options)? {
                CheckoutOutcome::Tagged {
                    tag,
                    commit,
                    worktree,
                } => {
                    outln!("tagged {tag} at {commit} in {}", ws.mirror_dir().display());
                    if let Some(dir) = worktree {
                        outln!("checked out in {}", dir.display());
                    }
                    Ok(0)
                }
                CheckoutOutcome::Conflict { report, worktree } => {
                    render::verify(&report, false, std::time::Duration::ZERO);
                    match worktree {
                        Some(dir) => outln!(
                            "\n{} is in `git am` state at the failing patch:\n  cd {}\n  # resolve the conflicts, then\n  git add -A && git am --continue",
                            dir.display(),
                            dir.display()
                        ),
                        None => outln!("\nhelp: add --worktree DIR to resolve it in `git am` state"),
                    }
                    Ok(1)
                }
                CheckoutOutcome::Failed { report } => {
                    render::verify(&report, false, std::time::Duration::ZERO);
                    Ok(1)
                }
            }
        }
    }
}
