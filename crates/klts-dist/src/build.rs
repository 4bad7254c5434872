//! `klts build`: materialize a release into a working tree, run the manifest's build command
//! per platform, collect the binaries into `out/<release>/<os>/<arch>/`, and write
//! `SHA256SUMS` and an in-toto/SLSA provenance statement.
//!
//! Everything is first written into a temporary sibling of `out/<release>` and swapped in
//! only when every platform built and every artifact was found, so a failed build leaves the
//! previous `out/<release>` as it was. A failed build keeps its logs in
//! `out/.failed-<release>/logs/` and its working tree (the error says where).

use crate::provenance;
use klts_core::build::{BuildConfig, Platform};
use klts_forge::checkout::{checkout, CheckoutOutcome};
use klts_forge::upstream::Mirror;
use klts_forge::verify::{verify, Status, VerifyOptions, VerifyReport};
use klts_forge::{ForgeError, Workspace};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// What went wrong in `klts build` / `klts test`. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The git engine failed (manifest, mirror, unknown release).
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The release did not materialize.
    #[error("release {release} does not materialize: {reason}\n  help: `klts verify {release}` shows the details")]
    Materialize {
        /// The release.
        release: String,
        /// Why.
        reason: String,
    },
    /// A tool the command needs is not on PATH.
    #[error("{tool}: not found on PATH ({why})\n  help: install it (apt-get install {package}) or fix PATH")]
    MissingTool {
        /// The program.
        tool: String,
        /// Why it is needed.
        why: String,
        /// The Debian package that provides it.
        package: String,
    },
    /// An option names something the manifest does not have.
    #[error("{0}")]
    Usage(String),
    /// The command exited non-zero.
    #[error("{what} failed ({status}) in {}\n--- last lines of {} ---\n{tail}\n  help: read the log; the working tree is kept at {} (remove it when done)", worktree.display(), log.display(), worktree.display())]
    CommandFailed {
        /// `build linux/amd64` or `test`.
        what: String,
        /// Exit status text.
        status: String,
        /// The log file.
        log: PathBuf,
        /// Its last lines.
        tail: String,
        /// The kept working tree.
        worktree: PathBuf,
    },
    /// The command did not finish in time.
    #[error("{what} did not finish within {limit:?} and was stopped\n  help: raise build.test.timeout in releases.yml, or look at {}", log.display())]
    Timeout {
        /// What ran.
        what: String,
        /// The limit.
        limit: Duration,
        /// The log file.
        log: PathBuf,
    },
    /// The build succeeded but an artifact is not where `build.artifacts` says.
    #[error("{platform}: artifact `{name}` not found at {} after the build\n  help: check build.artifacts and build.targets in releases.yml (the working tree is kept at {})", path.display(), worktree.display())]
    MissingArtifact {
        /// The platform.
        platform: String,
        /// The target name.
        name: String,
        /// Where it was expected.
        path: PathBuf,
        /// The kept working tree.
        worktree: PathBuf,
    },
    /// File I/O.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Platforms to build [default: the manifest's].
    pub platforms: Vec<Platform>,
    /// Targets to build [default: the manifest's].
    pub targets: Vec<String>,
    /// Also build the manifest's `images` binaries.
    pub images: bool,
    /// The output root (`out`).
    pub out_dir: PathBuf,
    /// Keep the working tree even when the build succeeds.
    pub keep_worktree: bool,
    /// How to materialize.
    pub verify: VerifyOptions,
    /// The `go` to run [default: `go` on PATH] (`--go`).
    pub go: Option<PathBuf>,
}

/// One collected artifact.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Artifact {
    /// Path relative to `out/<release>`: `linux/amd64/kubectl`.
    pub path: String,
    /// Hex sha256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// What `klts build` produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BuildReport {
    /// The release.
    pub release: String,
    /// Its commit.
    pub commit: String,
    /// `out/<release>`.
    pub dir: PathBuf,
    /// The artifacts, sorted by path.
    pub artifacts: Vec<Artifact>,
    /// The kept working tree (with --keep-worktree).
    pub worktree: Option<PathBuf>,
    /// The Go needed and used, and the GOPATH layout if any.
    pub go: Option<crate::goenv::GoSetup>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// A release materialized into a working tree, with what the commands need to know.
pub(crate) struct Materialized {
    pub release: String,
    pub commit: String,
    pub worktree: PathBuf,
    pub source_date_epoch: u64,
    pub report: VerifyReport,
    /// The Go of the commands, once [`Materialized::setup_go`] ran.
    pub go: Option<crate::goenv::GoSetup>,
    mirror: Mirror,
}

impl Materialized {
    /// Materialize `release` into a fresh working tree under the cache directory.
    pub fn new(ws: &Workspace, release: &str, options: &VerifyOptions) -> Result<Self, BuildError> {
        check_release_name(release)?;
        let mirror = Mirror::of(ws);
        let worktree = ws.cache_dir.join("worktrees").join(release);
        if worktree.exists() {
            std::fs::remove_dir_all(&worktree).map_err(io(&worktree))?;
        }
        if mirror.exists() {
            let _ = mirror.git.run(["worktree", "prune"]);
        }
        std::fs::create_dir_all(worktree.parent().unwrap_or(&ws.cache_dir))
            .map_err(io(&ws.cache_dir))?;
        let commit = match checkout(ws, release, Some(&worktree), options)? {
            CheckoutOutcome::Tagged { commit, .. } => commit,
            CheckoutOutcome::Conflict { report, .. } | CheckoutOutcome::Failed { report } => {
                let _ = std::fs::remove_dir_all(&worktree);
                let _ = mirror.git.run(["worktree", "prune"]);
                let reason = report
                    .releases
                    .iter()
                    .find(|r| r.status != Status::Ok)
                    .map(|r| {
                        r.error.clone().unwrap_or_else(|| match &r.conflict {
                            Some(c) => format!("patch `{}` conflicts in {}", c.patch, r.release),
                            None => format!("{} is {:?}", r.release, r.status),
                        })
                    })
                    .unwrap_or_else(|| "unknown failure".into());
                return Err(BuildError::Materialize {
                    release: release.to_string(),
                    reason,
                });
            }
        };
        // The chain's reports (patch hashes, root commit); steps are cached, so this is cheap.
        let report = verify(ws, &[release.to_string()], options, &|_, _| {})?;
        let epoch = mirror
            .git
            .text(["show", "-s", "--format=%ct", commit.as_str()])
            .map_err(ForgeError::from)?;
        Ok(Materialized {
            release: release.to_string(),
            commit,
            worktree,
            source_date_epoch: epoch.parse().unwrap_or(0),
            report,
            go: None,
            mirror,
        })
    }

    /// Decide the Go of the commands (see [`crate::goenv`]): check the `go` that will run
    /// (`go`, else `go` on PATH) against the toolchain the tree needs, and move a pre-modules
    /// tree into its GOPATH layout. Warnings go to `progress`.
    pub fn setup_go(
        &mut self,
        ws: &Workspace,
        go: Option<&Path>,
        progress: &dyn Fn(&str),
    ) -> Result<(), BuildError> {
        use crate::goenv;
        let cfg = &ws.manifest.build;
        let explicit = cfg.go.for_release(&self.release).map(|v| v.value);
        let mut tree = klts_forge::toolchain::DirTree {
            root: self.worktree.clone(),
        };
        let found = klts_forge::toolchain::toolchain(&mut tree, explicit.as_ref())
            .map_err(|e| BuildError::Usage(e.to_string()))?;
        let go = match go {
            Some(p) => p.to_path_buf(),
            None => which("go").ok_or_else(|| BuildError::MissingTool {
                tool: "go".into(),
                why: "klts builds Go programs".into(),
                package: "golang-go".into(),
            })?,
        };
        let used = goenv::go_version(&go)?;
        // A version file's warning names the file in git's `rev:path` notation.
        let mut warnings: Vec<String> = Vec::new();
        for d in &found.warnings {
            let line = format!("{}:{d}", self.release);
            progress(&line);
            warnings.push(line);
        }
        let mut others = Vec::new();
        match &found.toolchain {
            Some(needed) => {
                if let Some(w) = goenv::compare(needed, &used, &go)
                    .map_err(|e| BuildError::Usage(format!("{}: {e}", self.release)))?
                {
                    others.push(w);
                }
            }
            None => others.push(format!(
                "{} names no Go toolchain (no build.go, .go-version, cross VERSION, go.mod or Godeps GoVersion): building with Go {used}",
                self.release
            )),
        }
        for w in others {
            progress(&format!("warning: {w}"));
            warnings.push(w);
        }
        let product = ws
            .product()
            .map_err(|e| BuildError::Usage(e.to_string()))?
            .product;
        let import_path = goenv::pre_modules_import_path(
            &self.worktree,
            cfg.import_path.as_ref().map(|p| p.value.as_str()),
            product,
        )?;
        let mut gopath = None;
        if let Some(import) = &import_path {
            // Absolute: Go refuses a relative GOPATH entry, and the workspace (hence the cache
            // directory) is often given as `.`.
            let root = ws.cache_dir.join("gopath").join(&self.release);
            let root = std::path::absolute(&root).map_err(io(&root))?;
            if root.exists() {
                std::fs::remove_dir_all(&root).map_err(io(&root))?;
            }
            let _ = self.mirror.git.run(["worktree", "prune"]);
            let dest = root.join("src").join(import);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            // A real directory at the import path: Go resolves the working directory through
            // symbolic links, so a link would not put the tree inside GOPATH.
            self.mirror
                .git
                .run([
                    "worktree".as_ref(),
                    "move".as_ref(),
                    self.worktree.as_os_str(),
                    dest.as_os_str(),
                ])
                .map_err(ForgeError::from)?;
            progress(&format!(
                "{} has no go.mod: building in GOPATH mode as {}",
                self.release,
                dest.display()
            ));
            self.worktree = dest;
            gopath = Some(root);
        }
        self.go = Some(goenv::GoSetup {
            needed: found.toolchain,
            go,
            used,
            warnings,
            import_path,
            gopath,
        });
        Ok(())
    }

    /// Variables removed from the commands' environment.
    pub fn unset(&self) -> &'static [&'static str] {
        self.go.as_ref().map(|g| g.unset()).unwrap_or(&[])
    }

    /// Remove the working tree.
    pub fn remove(&self) {
        let _ = self.mirror.git.run([
            "worktree".as_ref(),
            "remove".as_ref(),
            "--force".as_ref(),
            self.worktree.as_os_str(),
        ]);
        let _ = std::fs::remove_dir_all(&self.worktree);
        if let Some(gopath) = self.go.as_ref().and_then(|g| g.gopath.as_ref()) {
            let _ = std::fs::remove_dir_all(gopath);
        }
        let _ = self.mirror.git.run(["worktree", "prune"]);
    }

    /// The environment shared by the build and test commands.
    pub fn env(
        &self,
        cfg: &BuildConfig,
        platform: &Platform,
        names: &[String],
    ) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = cfg.env.clone();
        if let Some(go) = &self.go {
            // The GOPATH layout and the chosen go win over build.env: they are what makes
            // the build use the checked toolchain and layout.
            env.extend(go.env());
            for k in go.unset() {
                env.remove(*k);
            }
        }
        let set = |env: &mut BTreeMap<String, String>, k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        set(&mut env, "KLTS_RELEASE", self.release.clone());
        set(&mut env, "KLTS_VERSION", self.release.clone());
        set(&mut env, "KLTS_OS", platform.os.clone());
        set(&mut env, "KLTS_ARCH", platform.arch.clone());
        set(&mut env, "GOOS", platform.os.clone());
        set(&mut env, "GOARCH", platform.arch.clone());
        set(&mut env, "KLTS_PLATFORM", platform.to_string());
        set(&mut env, "KLTS_TARGETS", names.join(" "));
        set(
            &mut env,
            "KLTS_WHAT",
            names
                .iter()
                .map(|n| format!("cmd/{n}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        set(
            &mut env,
            "SOURCE_DATE_EPOCH",
            self.source_date_epoch.to_string(),
        );
        env
    }
}

/// Find `tool` on PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    if tool.contains('/') {
        return Path::new(tool).is_file().then(|| PathBuf::from(tool));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Check that `sh`, `go` and the command's program are on PATH, before anything runs.
pub fn check_toolchain(command: &str) -> Result<(), BuildError> {
    let need = |tool: &str, why: &str, package: &str| match which(tool) {
        Some(_) => Ok(()),
        None => Err(BuildError::MissingTool {
            tool: tool.into(),
            why: why.into(),
            package: package.into(),
        }),
    };
    need("sh", "the build and test commands run with sh -c", "dash")?;
    need(
        "go",
        "klts builds Go programs and records `go version` in the provenance",
        "golang-go",
    )?;
    let first = command.split_whitespace().next().unwrap_or("");
    match first {
        "make" => need("make", "the command starts with make", "make")?,
        "go" => {}
        _ => {}
    }
    Ok(())
}

/// First line of `tool args` output, or "unknown".
pub(crate) fn tool_version(tool: &str, args: &[&str]) -> String {
    Command::new(tool)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// How a command ended.
pub(crate) struct Ran {
    pub success: bool,
    pub status: String,
}

/// Run `sh -c command` in `dir` with `env`, stdout and stderr appended to `log`; stop it
/// (and everything it started) after `timeout`.
pub(crate) fn run_logged(
    what: &str,
    command: &str,
    dir: &Path,
    env: &BTreeMap<String, String>,
    unset: &[&str],
    log: &Path,
    timeout: Option<Duration>,
) -> Result<Ran, BuildError> {
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io(log))?;
    let err = file.try_clone().map_err(io(log))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    for k in unset {
        cmd.env_remove(k);
    }
    let mut child = cmd.spawn().map_err(|e| BuildError::MissingTool {
        tool: "sh".into(),
        why: format!("cannot start it: {e}"),
        package: "dash".into(),
    })?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(io(log))? {
            break s;
        }
        if timeout.is_some_and(|t| started.elapsed() > t) {
            // The whole process group: `go test` children too.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(BuildError::Timeout {
                what: what.to_string(),
                limit: timeout.unwrap_or_default(),
                log: log.to_path_buf(),
            });
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    Ok(Ran {
        success: status.success(),
        status: status.to_string(),
    })
}

/// The last `n` lines of a file.
pub(crate) fn tail(path: &Path, n: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A temporary sibling directory of `dest`, renamed over it by [`Staging::commit`] and
/// removed on drop otherwise.
pub(crate) struct Staging {
    pub dir: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Staging {
    pub fn new(dest: &Path) -> Result<Staging, BuildError> {
        let parent = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let dir = tempfile::Builder::new()
            .prefix(&format!(".klts-tmp-{name}-"))
            .tempdir_in(parent)
            .map_err(io(parent))?
            .keep();
        Ok(Staging {
            dir,
            dest: dest.to_path_buf(),
            done: false,
        })
    }

    /// Swap the staged directory in place of `dest` (the old one is removed afterwards).
    pub fn commit(mut self) -> Result<(), BuildError> {
        crate::fsdir::swap_in(&self.dir, &self.dest).map_err(io(&self.dest))?;
        self.done = true;
        Ok(())
    }

    /// Keep the staged directory as `keep` (for logs of a failed run) instead of removing it.
    pub fn keep_as(mut self, keep: &Path) -> PathBuf {
        let _ = std::fs::remove_dir_all(keep);
        if std::fs::rename(&self.dir, keep).is_ok() {
            self.done = true;
            return keep.to_path_buf();
        }
        self.dir.clone()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn pick<'a>(
    asked: &'a [String],
    available: &'a [klts_core::manifest::Spanned<String>],
    what: &str,
) -> Result<Vec<String>, BuildError> {
    if asked.is_empty() {
        return Ok(available.iter().map(|s| s.value.clone()).collect());
    }
    for a in asked {
        if !available.iter().any(|s| &s.value == a) {
            return Err(BuildError::Usage(format!(
                "`{a}` is not one of build.{what} in releases.yml ({})\n  help: add it to build.{what}, or choose one of those",
                available.iter().map(|s| s.value.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(asked.to_vec())
}

/// The release name rule (klts-core's, the one the manifest parser applies), checked again
/// before a name becomes `out/<release>/` or `.klts/worktrees/<release>`: no directory is
/// created for a name that could leave them.
pub(crate) fn check_release_name(release: &str) -> Result<(), BuildError> {
    klts_core::names::check(klts_core::names::NameKind::Release, release)
        .map_err(|e| BuildError::Usage(e.to_string()))
}

/// The product-resolved `build:` section, the platforms and the binaries to build, checked
/// before anything runs.
fn plan(
    ws: &Workspace,
    options: &BuildOptions,
) -> Result<(BuildConfig, Vec<Platform>, Vec<String>), BuildError> {
    let cfg = ws.build_config()?;
    if let Some(why) = cfg.missing_for_build() {
        return Err(BuildError::Usage(format!(
            "{}: {why}",
            ws.manifest.path.display()
        )));
    }
    let platforms: Vec<Platform> = if options.platforms.is_empty() {
        cfg.platforms.iter().map(|p| p.value.clone()).collect()
    } else {
        options.platforms.clone()
    };
    let mut names = pick(&options.targets, &cfg.targets, "targets")?;
    if options.images {
        for image in &cfg.images {
            if !names.contains(&image.value) {
                names.push(image.value.clone());
            }
        }
    }
    if names.is_empty() {
        return Err(BuildError::Usage(
            "nothing to build: build.targets is empty\n  help: list binaries in build.targets, or pass --images".into(),
        ));
    }
    check_toolchain(&cfg.command.value)?;
    Ok((cfg, platforms, names))
}

/// Build `release` as [`BuildOptions`] says. `progress` gets one line per step.
pub fn build(
    ws: &Workspace,
    release: &str,
    options: &BuildOptions,
    progress: &dyn Fn(&str),
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let started_on = SystemTime::now();
    check_release_name(release)?;
    if ws.manifest.release(release).is_none() {
        return Err(ForgeError::unknown_release(&ws.manifest, release).into());
    }
    // What every product needs, before anything is materialized or written; the command's
    // own program once the product is known.
    check_toolchain("")?;
    progress(&format!("materializing {release}"));
    // Materialized first: the product (and so the defaults of every `build:` key the manifest
    // does not write) may come from the upstream's go.mod, which is read from the mirror.
    let mut m = Materialized::new(ws, release, &options.verify)?;
    let planned = plan(ws, options).and_then(|plan| {
        m.setup_go(ws, options.go.as_deref(), progress)?;
        Ok(plan)
    });
    let (cfg, platforms, names) = match planned {
        Ok(p) => p,
        Err(e) => {
            // Nothing ran in the tree: it is no evidence to keep.
            m.remove();
            return Err(e);
        }
    };
    let cfg = &cfg;
    let dest = options.out_dir.join(release);
    let staging = match Staging::new(&dest) {
        Ok(s) => s,
        Err(e) => {
            m.remove();
            return Err(e);
        }
    };
    let mut artifacts = Vec::new();
    for platform in &platforms {
        progress(&format!("building {release} for {platform}"));
        let log = staging
            .dir
            .join("logs")
            .join(format!("build-{}-{}.log", platform.os, platform.arch));
        let env = m.env(cfg, platform, &names);
        let ran = run_logged(
            &format!("build {platform}"),
            &cfg.command.value,
            &m.worktree,
            &env,
            m.unset(),
            &log,
            None,
        )?;
        if !ran.success {
            let tail = tail(&log, 30);
            let kept = staging.keep_as(&options.out_dir.join(format!(".failed-{release}")));
            return Err(BuildError::CommandFailed {
                what: format!("build of {release} for {platform}"),
                status: ran.status,
                log: kept.join("logs").join(log.file_name().unwrap_or_default()),
                tail,
                worktree: m.worktree.clone(),
            });
        }
        let from = m.worktree.join(cfg.artifacts_dir(platform));
        let to = staging.dir.join(&platform.os).join(&platform.arch);
        std::fs::create_dir_all(&to).map_err(io(&to))?;
        for name in &names {
            let src = from.join(name);
            // A default shim this version does not build (containerd 2.x has no
            // containerd-shim) is not an error; a target asked for by name is.
            if !src.is_file() && options.targets.is_empty() && cfg.optional_targets.contains(name) {
                progress(&format!(
                    "{platform}: {name} is not built by {release}, skipped (an optional default target)"
                ));
                continue;
            }
            if !src.is_file() {
                return Err(BuildError::MissingArtifact {
                    platform: platform.to_string(),
                    name: name.clone(),
                    path: src,
                    worktree: m.worktree.clone(),
                });
            }
            let dst = to.join(name);
            let bytes = std::fs::read(&src).map_err(io(&src))?;
            std::fs::write(&dst, &bytes).map_err(io(&dst))?;
            set_mode_and_mtime(&dst, 0o755, m.source_date_epoch)?;
            artifacts.push(Artifact {
                path: format!("{}/{}/{name}", platform.os, platform.arch),
                sha256: klts_forge::fsutil::sha256_hex(&bytes),
                size: bytes.len() as u64,
            });
        }
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let sums: String = artifacts
        .iter()
        .map(|a| format!("{}  {}\n", a.sha256, a.path))
        .collect();
    let sums_path = staging.dir.join("SHA256SUMS");
    std::fs::write(&sums_path, sums).map_err(io(&sums_path))?;
    let statement = provenance::statement(&provenance::Inputs {
        ws,
        release,
        commit: &m.commit,
        report: &m.report,
        platforms: &platforms,
        targets: &names,
        command: &cfg.command.value,
        artifacts_dir: &cfg.artifacts.value,
        env: &cfg.env,
        source_date_epoch: m.source_date_epoch,
        artifacts: &artifacts,
        started_on,
        finished_on: SystemTime::now(),
        go: m.go.as_ref(),
    })
    .map_err(BuildError::Usage)?;
    let prov_path = staging.dir.join("provenance.intoto.json");
    std::fs::write(&prov_path, statement).map_err(io(&prov_path))?;
    staging.commit()?;
    let _ = std::fs::remove_dir_all(options.out_dir.join(format!(".failed-{release}")));
    let worktree = if options.keep_worktree {
        Some(m.worktree.clone())
    } else {
        m.remove();
        None
    };
    Ok(BuildReport {
        release: release.to_string(),
        commit: m.commit.clone(),
        dir: dest,
        artifacts,
        worktree,
        go: m.go.clone(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn set_mode_and_mtime(path: &Path, mode: u32, epoch: u64) -> Result<(), BuildError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .map_err(io(path))?;
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(epoch))
        .map_err(io(path))?;
    Ok(())
}
