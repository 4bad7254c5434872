//! `klts toolchain`: which Go each release needs, and where that was read
//! (`klts_forge::toolchain` owns the rule).

use crate::{Failure, Format, HiArgs, ListArgs, RunArgs};
use clap::Args;

/// Which Go toolchain each release is built with, and the file it was read from.
///
/// Releases are materialized (from the step cache when unchanged), so a Go-bump patch in the
/// chain counts. Order of authority: the manifest's build.go, .go-version,
/// build/build-image/cross/VERSION, the go.mod `toolchain` directive, the go.mod `go`
/// directive (a minimum only), Godeps/Godeps.json GoVersion. Exit 1 when a release does not
/// materialize or names no Go.
#[derive(Args, Debug)]
pub(crate) struct ToolchainArgs {
    /// Releases [default: the `must` releases].
    releases: Vec<String>,
    /// Every release of the manifest.
    #[arg(long, conflicts_with = "releases")]
    all: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    list: ListArgs,
}

pub(crate) fn run(hi: &HiArgs, args: &ToolchainArgs) -> Result<u8, Failure> {
    let ws = hi.workspace()?;
    let names = klts_forge::verify::select(ws, &args.releases, args.all)?;
    let options = args.run.verify_options();
    let rows = klts_forge::toolchain::release_toolchains(ws, &names, &options)?;
    match args.list.output {
        Format::Json => crate::json(&rows)?,
        Format::Table => {
            let width = rows
                .iter()
                .map(|r| r.release.len())
                .max()
                .unwrap_or(7)
                .max(7);
            outln!("{:width$}  {:10}  SOURCE", "RELEASE", "GO");
            for r in &rows {
                let (go, source) = match &r.toolchain {
                    Some(t) if t.minimum => (
                        format!(">={}", t.version),
                        format!(
                            "{} (a minimum: the tree names no exact toolchain)",
                            t.source
                        ),
                    ),
                    Some(t) => (t.version.to_string(), t.source.clone()),
                    None => (
                        "unknown".to_string(),
                        "no build.go, .go-version, cross VERSION, go.mod or Godeps GoVersion"
                            .to_string(),
                    ),
                };
                outln!("{:width$}  {go:10}  {source}", r.release);
                // `v1.17.17-lts.1:.go-version: warning[not-a-go-version]: …`: the file in git's
                // `rev:path` notation.
                for w in &r.warnings {
                    eprintln!("{}:{w}", r.release);
                }
                if let Some(e) = &r.error {
                    eprintln!("error: {}: {e}", r.release);
                }
            }
        }
    }
    Ok(u8::from(
        rows.iter()
            .any(|r| r.error.is_some() || r.toolchain.is_none()),
    ))
}
