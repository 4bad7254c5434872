//! The command line's arguments resolved once into what the commands use (ripgrep's
//! `hiargs.rs` is the model): clap's [`Cli`] is the low level, [`HiArgs`] the high level that
//! every command function takes instead of re-deriving values from `&Cli`.
//!
//! Resolved here, once per run:
//!
//! * the workspace directory (checked to be a directory: a mistyped `--workspace` is never
//!   taken for "no workspace") and the cache directory; the workspace itself is opened at
//!   most once, on first use ([`HiArgs::workspace`]), since many commands also work without
//!   one;
//! * the time: the clock and `SOURCE_DATE_EPOCH`, read once into a
//!   [`klts_core::time::BuildTime`] and passed down as a value. A malformed
//!   `SOURCE_DATE_EPOCH` is reported (exit 2) by the commands that record a time
//!   ([`HiArgs::build_time`]), not by those that never use it (`klts releases`);
//! * the terminal: whether progress goes to a terminal and whether stdout gets colour
//!   (`NO_COLOR`), and verbosity.

use crate::{Cli, Failure, RunArgs};
use klts_core::time::{BuildTime, TimeError};
use klts_forge::verify::VerifyOptions;
use klts_forge::Workspace;
use std::cell::OnceCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The resolved arguments and environment of one run.
pub(crate) struct HiArgs {
    /// The LTS workspace directory (`--workspace`, an existing directory).
    pub(crate) workspace: PathBuf,
    /// `--cache-dir` / `$KLTS_CACHE_DIR`.
    pub(crate) cache_dir: Option<PathBuf>,
    /// `-v` count.
    pub(crate) verbose: u8,
    /// The one read of the clock and `SOURCE_DATE_EPOCH` (kept as parsed; see
    /// [`HiArgs::build_time`]).
    time: Result<BuildTime, TimeError>,
    /// The clock when the run started (also when `SOURCE_DATE_EPOCH` is malformed).
    now: i64,
    /// Whether stdout may carry colour codes: a terminal, and no `NO_COLOR`.
    pub(crate) stdout_color: bool,
    /// Whether a live progress line may be drawn on stderr: a terminal, and not `-v` (whose
    /// log lines would interleave with it).
    pub(crate) stderr_progress: bool,
    opened: OnceCell<Workspace>,
}

impl HiArgs {
    /// Resolve `cli` and the environment. Fails (exit 2) only for what no command can run
    /// with: a `--workspace` that is not a directory.
    pub(crate) fn from_low(cli: &Cli) -> Result<HiArgs, Failure> {
        // Commands that also work without a workspace must not take a mistyped `--workspace`
        // for "no workspace": an explicit path that is not a directory is an error for every
        // command.
        if !cli.workspace.is_dir() {
            return Err(Failure::usage(format!(
                "workspace {} is not a directory\n  help: pass --workspace DIR with the directory that holds releases.yml (or omit it to use the current directory)",
                cli.workspace.display()
            )));
        }
        let no_color = std::env::var_os("NO_COLOR").is_some();
        let now = klts_core::time::system_now();
        let time = BuildTime::parse(
            std::env::var_os(klts_core::time::SOURCE_DATE_EPOCH).as_deref(),
            now,
        );
        Ok(HiArgs {
            workspace: cli.workspace.clone(),
            cache_dir: cli.cache_dir.clone(),
            verbose: cli.verbose,
            time,
            now,
            stdout_color: std::io::stdout().is_terminal() && !no_color,
            stderr_progress: std::io::stderr().is_terminal() && cli.verbose == 0,
            opened: OnceCell::new(),
        })
    }

    /// The workspace, opened on first use and shared by the rest of the run.
    pub(crate) fn workspace(&self) -> Result<&Workspace, Failure> {
        if let Some(ws) = self.opened.get() {
            return Ok(ws);
        }
        let ws = Workspace::open(&self.workspace, self.cache_dir.as_deref())?;
        Ok(self.opened.get_or_init(|| ws))
    }

    /// Whether the workspace directory has a manifest (commands that work without a
    /// workspace use one when there is one, and fail when it is there and broken).
    pub(crate) fn has_manifest(&self) -> bool {
        self.workspace.join(klts_forge::MANIFEST_FILE).exists()
    }

    /// Where the distribution steps read and write: `--out-dir`, or `WORKSPACE/out`.
    pub(crate) fn out_dir(&self, given: Option<&Path>) -> PathBuf {
        given
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.workspace.join("out"))
    }

    /// The clock and `SOURCE_DATE_EPOCH` of this run; a malformed `SOURCE_DATE_EPOCH` is an
    /// exit-2 error naming the variable (for commands that record a time).
    pub(crate) fn build_time(&self) -> Result<BuildTime, Failure> {
        self.time.clone().map_err(Failure::from)
    }

    /// The clock alone, for commands that ask about the real day (lifecycle, lint, the
    /// portal's default date): a malformed `SOURCE_DATE_EPOCH` does not concern them.
    pub(crate) fn today(&self) -> klts_core::lifecycle::Date {
        klts_core::time::BuildTime::clock(self.now).today()
    }

    /// The clock in seconds since 1970 (a feed's sync time).
    pub(crate) fn now(&self) -> i64 {
        self.now
    }

    /// The clock as a 32-bit time (key creation and expiry checks, which are about the real
    /// time, never `SOURCE_DATE_EPOCH`).
    pub(crate) fn now_u32(&self) -> u32 {
        klts_core::time::BuildTime::clock(self.now).now_u32()
    }
}

impl RunArgs {
    /// The engine's options for these arguments (the one place they are converted).
    pub(crate) fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            jobs: self.jobs(),
            offline: self.offline,
            use_cache: !self.no_cache,
        }
    }

    /// Parallel jobs: `--jobs`, else the number of CPUs; at least 1.
    pub(crate) fn jobs(&self) -> usize {
        self.jobs
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
            .max(1)
    }
}
