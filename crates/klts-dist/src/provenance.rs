//! The provenance record of `klts build`: an [in-toto Statement v1] whose predicate is
//! [SLSA Provenance v1].
//!
//! * `subject`: every artifact (`linux/amd64/kubectl`, …) with its sha256;
//! * `predicate.buildDefinition.externalParameters`: release, platforms, targets, command,
//!   artifacts directory, extra environment;
//! * `resolvedDependencies`: the upstream repository at the chain's root tag (git commit), then
//!   every patch file of the chain in application order with its sha256;
//! * `internalParameters`: the release commit, `SOURCE_DATE_EPOCH`, and the toolchain
//!   (`go version`, `git --version`, klts version), the Go the tree needs (`goNeeded`, with
//!   its source) and the one used (`goUsed`), and the GOPATH import path of a pre-modules tree;
//! * `runDetails`: the builder id and the start and end times.
//!
//! [in-toto Statement v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
//! [SLSA Provenance v1]: https://slsa.dev/spec/v1.0/provenance

use crate::build::{tool_version, Artifact};
use klts_core::build::Platform;
use klts_forge::verify::VerifyReport;
use klts_forge::Workspace;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// `buildType` of klts builds.
pub const BUILD_TYPE: &str = "https://github.com/klts-io/klts/build/v1";
/// `builder.id` of klts builds.
pub const BUILDER_ID: &str = "https://github.com/klts-io/klts";

/// What the statement is made of.
pub struct Inputs<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// The release.
    pub release: &'a str,
    /// Its commit.
    pub commit: &'a str,
    /// The verify report of its chain (patch hashes, root commit).
    pub report: &'a VerifyReport,
    /// Platforms built.
    pub platforms: &'a [Platform],
    /// Targets built.
    pub targets: &'a [String],
    /// The build command.
    pub command: &'a str,
    /// `build.artifacts`.
    pub artifacts_dir: &'a str,
    /// `build.env`.
    pub env: &'a BTreeMap<String, String>,
    /// `SOURCE_DATE_EPOCH`.
    pub source_date_epoch: u64,
    /// The artifacts.
    pub artifacts: &'a [Artifact],
    /// When the build started.
    pub started_on: SystemTime,
    /// When it ended.
    pub finished_on: SystemTime,
    /// The Go needed by the tree and the Go used (`klts build` always has it).
    pub go: Option<&'a crate::goenv::GoSetup>,
}

/// RFC 3339 UTC time with second precision.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    klts_core::time::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn git_uri(location: &str) -> String {
    if location.contains("://") {
        format!("git+{location}")
    } else if location.starts_with("git@") {
        format!("git+ssh://{}", location.replacen(':', "/", 1))
    } else {
        format!("git+file://{location}")
    }
}

/// The statement as pretty JSON (keys sorted).
pub fn statement(i: &Inputs<'_>) -> Result<String, String> {
    let chain =
        i.ws.manifest
            .chain(i.release)
            .map_err(|e| format!("{}: {e}", i.ws.manifest.path.display()))?;
    let reports: BTreeMap<&str, _> = i
        .report
        .releases
        .iter()
        .map(|r| (r.release.as_str(), r))
        .collect();
    let root_commit = chain
        .releases
        .first()
        .and_then(|r| reports.get(r.name.value.as_str()))
        .and_then(|r| r.root_commit.clone())
        .ok_or_else(|| format!("no commit known for the upstream root {}", chain.root))?;
    let mut deps = vec![json!({
        "uri": format!("{}@refs/tags/{}", git_uri(&i.ws.upstream_location()), chain.root),
        "name": chain.root,
        "digest": {"gitCommit": root_commit},
    })];
    for r in &chain.releases {
        let report = reports
            .get(r.name.value.as_str())
            .ok_or_else(|| format!("no verify report for {}", r.name.value))?;
        for p in &report.patches {
            for f in &p.files {
                let uri = if f.source.contains("://") {
                    f.source.clone()
                } else {
                    format!("file:{}", f.source)
                };
                deps.push(json!({
                    "uri": uri,
                    "name": format!("{}: {}", r.name.value, p.name),
                    "digest": {"sha256": f.sha256},
                }));
            }
        }
    }
    let subject: Vec<Value> = i
        .artifacts
        .iter()
        .map(|a| json!({"name": a.path, "digest": {"sha256": a.sha256}}))
        .collect();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "release": i.release,
                    "platforms": i.platforms.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                    "targets": i.targets,
                    "command": i.command,
                    "artifacts": i.artifacts_dir,
                    "env": i.env,
                },
                "internalParameters": {
                    "releaseCommit": i.commit,
                    "sourceDateEpoch": i.source_date_epoch,
                    "toolchain": {
                        "go": match i.go {
                            Some(g) => tool_version(&g.go.to_string_lossy(), &["version"]),
                            None => tool_version("go", &["version"]),
                        },
                        "goNeeded": i.go.and_then(|g| g.needed.as_ref()).map(|t| json!({
                            "version": t.version,
                            "source": t.source,
                            "minimum": t.minimum,
                        })),
                        "goUsed": i.go.map(|g| g.used.to_string()),
                        "gopathImportPath": i.go.and_then(|g| g.import_path.as_deref()),
                        "git": tool_version("git", &["--version"]),
                        "klts": env!("CARGO_PKG_VERSION"),
                    },
                },
                "resolvedDependencies": deps,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"klts": env!("CARGO_PKG_VERSION")}},
                "metadata": {
                    "startedOn": rfc3339(i.started_on),
                    "finishedOn": rfc3339(i.finished_on),
                },
            },
        },
    });
    serde_json::to_string_pretty(&statement)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000)),
            "2020-09-13T12:26:40Z"
        );
    }

    #[test]
    fn git_uris() {
        assert_eq!(
            git_uri("https://github.com/kubernetes/kubernetes"),
            "git+https://github.com/kubernetes/kubernetes"
        );
        assert_eq!(git_uri("/srv/up"), "git+file:///srv/up");
        assert_eq!(
            git_uri("git@github.com:a/b"),
            "git+ssh://git@github.com/a/b"
        );
    }
}
