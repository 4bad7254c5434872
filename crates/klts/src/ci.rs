//! `klts ci github`: arguments over `klts_dist::ci`.

use crate::{Failure, HiArgs};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub(crate) enum CiCommand {
    /// Write a GitHub Actions workflow that fans the manifest out over runners.
    ///
    /// Jobs: lint; verify (one per `must` release); build and package (release × platform);
    /// test and image (per release); publish (signed apt/yum repositories and image push, only
    /// on the default branch). Every job calls klts. The file is deterministic: commit it, and
    /// run `klts ci github --check` in CI to notice when the manifest moved on.
    ///
    /// Publishing needs the secrets KLTS_SIGNING_KEY (an armored OpenPGP secret key, see
    /// `klts key generate`) and KLTS_REGISTRY_PASSWORD, and the variables KLTS_REGISTRY and
    /// KLTS_REGISTRY_USER.
    ///
    /// Example:
    ///
    ///   klts ci github                                  # writes .github/workflows/klts.yml
    ///   klts ci github --check                          # exit 1 when the committed file is stale
    ///   klts ci github --out - --platform linux/amd64   # print, one platform only
    #[command(verbatim_doc_comment)]
    Github {
        /// Where to write the workflow (`-` for stdout) [default: WORKSPACE/.github/workflows/klts.yml].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Platforms to build [default: the manifest's build.platforms, or linux/amd64,linux/arm64].
        #[arg(long, value_delimiter = ',', value_name = "OS/ARCH")]
        platform: Vec<String>,
        /// The shell command a runner uses to install klts.
        #[arg(long, value_name = "CMD")]
        install: Option<String>,
        /// The runner label.
        #[arg(long, default_value = "ubuntu-latest")]
        runs_on: String,
        /// Do not write: exit 1 if the file differs from what the manifest gives now.
        #[arg(long)]
        check: bool,
    },
}

/// Each release's `actions/setup-go` version, from its materialized tree in the mirror
/// (`klts_forge::toolchain`, offline: generating a workflow never touches the network). A
/// release without one is left out (the workflow installs `stable`), with a warning.
fn go_versions(
    ws: &klts_forge::Workspace,
    releases: &[String],
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    // Without a mirror only `build.go` answers; one warning says so for all the others.
    let no_mirror = !klts_forge::upstream::Mirror::of(ws).exists();
    if no_mirror {
        eprintln!("warning: no upstream mirror, so the Go of a release without `build.go` is unknown and the workflow installs Go `stable` for it\n  help: run `klts fetch` (or `klts verify`), then `klts ci github` again");
    }
    let options = klts_forge::verify::VerifyOptions {
        offline: true,
        ..Default::default()
    };
    match klts_forge::toolchain::release_toolchains(ws, releases, &options) {
        Ok(rows) => {
            for r in rows {
                match &r.toolchain {
                    Some(t) => {
                        out.insert(r.release, klts_dist::ci::setup_go_version(&t.version));
                    }
                    None if no_mirror => {}
                    None => eprintln!(
                        "warning: {}: toolchain unknown ({}); the workflow installs Go `stable`\n  help: `klts toolchain {}` shows why; set build.go in releases.yml to name one",
                        r.release,
                        r.error.as_deref().unwrap_or("the tree names no Go"),
                        r.release
                    ),
                }
            }
        }
        Err(e) => eprintln!(
            "warning: cannot read the release trees ({e}); the workflow installs Go `stable`"
        ),
    }
    out
}

pub(crate) fn run_ci(hi: &HiArgs, cmd: &CiCommand) -> Result<u8, Failure> {
    let CiCommand::Github {
        out,
        platform,
        install,
        runs_on,
        check,
    } = cmd;
    let ws = hi.workspace()?;
    let build = ws.build_config()?;
    let platforms = if platform.is_empty() {
        crate::build_platforms(&build)
    } else {
        platform.clone()
    };
    let mut spec = klts_dist::ci::WorkflowSpec::new(
        ws.manifest
            .must_releases()
            .map(|r| r.name.value.clone())
            .collect(),
        platforms,
    );
    if let Some(cmd) = install {
        spec.install = cmd.clone();
    }
    spec.go = go_versions(ws, &spec.releases);
    spec.targets = build.targets.iter().map(|t| t.value.clone()).collect();
    spec.images = build.images.iter().map(|t| t.value.clone()).collect();
    spec.runs_on = runs_on.clone();
    let text = klts_dist::ci::github_workflow(&spec).map_err(|e| Failure {
        code: 2,
        message: format!("{}: {e}", ws.manifest.path.display()),
    })?;
    let path = out
        .clone()
        .unwrap_or_else(|| hi.workspace.join(".github/workflows/klts.yml"));
    if path.as_os_str() == "-" {
        if *check {
            return Err(Failure {
                code: 2,
                message: "--check compares the generated workflow with a file, and `--out -` names none\n  help: drop `--out -`, or pass the committed file: --out .github/workflows/klts.yml --check".into(),
            });
        }
        outln!("{}", text.trim_end());
        return Ok(0);
    }
    if *check {
        let current = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            // A file that cannot be read is an error, not a stale workflow.
            Err(e) => {
                return Err(Failure {
                    code: 2,
                    message: format!("{}: cannot be read: {e}", path.display()),
                })
            }
        };
        if current == text {
            eprintln!("{}: up to date", path.display());
            return Ok(0);
        }
        eprintln!(
            "{}: stale or missing; run `klts ci github` and commit the result",
            path.display()
        );
        return Ok(1);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Failure {
            code: 2,
            message: format!("{}: {e}", dir.display()),
        })?;
    }
    klts_forge::fsutil::atomic_write(&path, text.as_bytes()).map_err(|e| Failure {
        code: 2,
        message: format!("{}: {e}", path.display()),
    })?;
    eprintln!(
        "wrote {} ({} must releases × {} platforms)",
        path.display(),
        spec.releases.len(),
        spec.platforms.len()
    );
    Ok(0)
}
