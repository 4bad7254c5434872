//! `klts key generate` and `klts publish apt|yum`: arguments and output over `klts-dist`.

use crate::{json, Failure, Format, ListArgs};
use clap::{Args, Subcommand};
use klts_dist::sign::{self, SigningKey};
use klts_dist::{apt, publish, yum};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Make a new OpenPGP signing key (Ed25519) for apt and yum repositories.
    ///
    /// Writes the armored secret key to --out (mode 0600; keep it out of the repository and
    /// in your CI's secret store) and the public key next to it (`key.asc` → `key.pub.asc`).
    /// With $KLTS_SIGNING_PASSPHRASE set, the secret key is protected with that passphrase.
    ///
    /// Example:
    ///
    ///   klts key generate --name "KLTS Example" --email release@example.com --out key.asc --expires 2y
    #[command(verbatim_doc_comment)]
    Generate {
        /// The user id's name.
        #[arg(long)]
        name: String,
        /// The user id's email address.
        #[arg(long)]
        email: Option<String>,
        /// Where to write the secret key (armored).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Expiry after creation: e.g. 2y, 18mo (months; `m` is minutes), 90d, or never.
        #[arg(long, default_value = "2y", value_name = "DURATION")]
        expires: String,
        /// The key's algorithm. RSA 4096 (the default) is what every apt and rpm verifies,
        /// back to Ubuntu 16.04's gpgv 1.4 and CentOS 7's rpm 4.11; Ed25519 is not (see the
        /// README's table).
        #[arg(long, default_value = "rsa4096", value_parser = sign::KeyAlgorithm::parse, value_name = "rsa4096|rsa3072|ed25519")]
        algorithm: sign::KeyAlgorithm,
        /// Replace existing key files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PublishCommand {
    /// Build a signed apt repository from out/<release>/deb/*.deb, replacing REPO atomically.
    ///
    /// One suite per release (`v1.17.17-lts.3`) and one per minor line (`v1.17`: every
    /// release of the line, newest wins, `apt-get install kubeadm=<version>` pins). Writes
    /// pool/, dists/<suite>/{Release,InRelease,Release.gpg,main/binary-<arch>/Packages{,.gz,.xz}, by-hash/SHA256/}
    /// and the public key as klts.asc and klts.gpg (for `signed-by`). A bad key or package
    /// fails before anything changes; the previous repository stays as it was.
    ///
    /// Dates in Release are $SOURCE_DATE_EPOCH when set (reproducible output), else now;
    /// signatures are made at the same time (but never before the key was created).
    ///
    /// REPO becomes a symbolic link to a complete generation beside it (.REPO.klts-gen-N),
    /// flipped in one rename; a concurrent publish of REPO waits for the lock
    /// (.REPO.klts-lock), or fails with --no-wait. Signing with another key than the one REPO
    /// was published with needs --rotate-key.
    ///
    /// Example:
    ///
    ///   klts publish apt --out public/apt --key key.asc --url https://packages.example.com/apt
    #[command(verbatim_doc_comment)]
    Apt(RepoArgs),
    /// Build signed yum repositories from out/<release>/rpm/*.rpm, replacing REPO atomically.
    ///
    /// One repository per release and per minor line: REPO/<suite>/ with Packages/ and
    /// repodata/ (primary, filelists, other, repomd.xml, repomd.xml.asc, repomd.xml.key).
    /// Point a .repo file's baseurl at URL/<suite>/ with repo_gpgcheck=1. The revision and
    /// timestamps are $SOURCE_DATE_EPOCH when set, else now. REPO is replaced, locked and
    /// key-checked as for `publish apt`.
    ///
    /// Example:
    ///
    ///   klts publish yum --out public/rpm --key key.asc --url https://packages.example.com/rpm
    #[command(verbatim_doc_comment)]
    Yum(RepoArgs),
}

#[derive(Args, Debug)]
pub struct RepoArgs {
    /// Releases to publish [default: every release with packages under --out-dir].
    releases: Vec<String>,
    /// The repository directory to (re)place.
    #[arg(long, value_name = "REPO")]
    out: PathBuf,
    /// The armored secret key (passphrase from $KLTS_SIGNING_PASSPHRASE); `--sign-key` and
    /// $KLTS_SIGNING_KEY also work, as for `klts package`.
    #[arg(
        long,
        visible_alias = "sign-key",
        value_name = "FILE",
        env = "KLTS_SIGNING_KEY"
    )]
    key: PathBuf,
    /// The output directory of `klts package` (out/<release>/deb|rpm/) [default: WORKSPACE/out].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// The URL REPO will be served at, for the printed sources.list / .repo snippet.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://packages.example.com"
    )]
    url: String,
    /// `Origin:` and `Label:` of apt's Release files.
    #[arg(long, default_value = "KLTS")]
    origin: String,
    /// Fail at once (exit 2) when another publish of REPO is running, instead of waiting.
    #[arg(long)]
    no_wait: bool,
    /// Sign with a key other than the one REPO was published with. Clients that trust the old
    /// key fail (apt: NO_PUBKEY) until they import the new one from REPO/klts.asc.
    #[arg(long)]
    rotate_key: bool,
    /// The clients the repository must serve; klts warns when the key's algorithm is one
    /// they cannot verify (centos7, ubuntu1604, el8-el9, rpm-sequoia).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "centos7,ubuntu1604",
        value_parser = sign::Client::parse,
        value_name = "CLIENT,…"
    )]
    compat: Vec<sign::Client>,
    /// apt only: write `Valid-Until:` this long after the Release date (e.g. 7d, 30d), so
    /// clients refuse metadata a mirror replays or freezes; republish within that window.
    #[arg(long, value_name = "DURATION")]
    valid_for: Option<String>,
    #[command(flatten)]
    list: ListArgs,
}

/// Warn (before anything is written) when the declared clients cannot verify the key.
fn warn_compat(key: &SigningKey, a: &RepoArgs) {
    for c in key.unverifiable_by(&a.compat) {
        tracing::warn!(
            "{}: clients of {} cannot verify {:?} signatures and will reject this repository; sign with an RSA key (`klts key generate` makes RSA 4096), or drop the client from --compat",
            a.key.display(),
            c.describe(),
            key.signing_algorithm()
        );
    }
}

fn passphrase() -> Option<String> {
    std::env::var(sign::PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
}

pub fn run_key(hi: &crate::HiArgs, cmd: &KeyCommand) -> Result<u8, Failure> {
    let KeyCommand::Generate {
        name,
        email,
        out,
        expires,
        algorithm,
        force,
    } = cmd;
    let params = sign::KeyParams {
        algorithm: *algorithm,
        name: name.clone(),
        email: email.clone(),
        expires_in: sign::parse_expiry(expires)?,
        // A key is created at the real time, never SOURCE_DATE_EPOCH.
        created: hi.now_u32(),
        passphrase: passphrase(),
    };
    let key = sign::generate(&params)?;
    let public = sign::write_key_files(&key, out, *force)?;
    outln!("fingerprint {}", key.fingerprint);
    outln!("secret key  {} (0600: keep it secret)", out.display());
    outln!("public key  {}", public.display());
    Ok(0)
}

/// Load a signing key for `publish` and `package`: one set of checks (expired, revoked,
/// public-only, no signing subkey, wrong passphrase), at the current time (not
/// SOURCE_DATE_EPOCH), passphrase from $KLTS_SIGNING_PASSPHRASE.
pub(crate) fn load_key(hi: &crate::HiArgs, path: &Path) -> Result<SigningKey, Failure> {
    Ok(SigningKey::load(
        path,
        passphrase().as_deref(),
        hi.now_u32(),
    )?)
}

pub fn run_publish(hi: &crate::HiArgs, cmd: &PublishCommand) -> Result<u8, Failure> {
    // One time for the metadata and the signatures, from the run's one read of the clock and
    // SOURCE_DATE_EPOCH (a malformed or post-2106 SOURCE_DATE_EPOCH is an error, exit 2).
    let time = hi.build_time()?;
    let date = publish::metadata_time(&time)?;
    // Signatures are dated like the metadata they sign.
    let sign_time = date;
    match cmd {
        PublishCommand::Apt(a) => {
            let key = load_key(hi, &a.key)?;
            warn_compat(&key, a);
            let valid_for = match &a.valid_for {
                None => None,
                Some(d) => sign::parse_expiry(d)
                    .map_err(|_| Failure::usage(format!("--valid-for {d:?}: expected e.g. 7d, 2w or 30d\n  help: the apt indexes expire that long after their Date: (SOURCE_DATE_EPOCH, else now)")))?,
            };
            // An index that is already expired when published would be refused by every apt.
            if let Some(secs) = valid_for {
                if u64::from(date) + u64::from(secs) <= u64::from(hi.now_u32()) {
                    return Err(Failure::usage(format!(
                            "--valid-for: the indexes would expire before they are published (Date: is SOURCE_DATE_EPOCH={date}, plus {secs} s is in the past)\n  help: publish with a later SOURCE_DATE_EPOCH, a longer --valid-for, or without --valid-for"
                        )));
                }
            }
            let opts = apt::AptOptions {
                origin: a.origin.clone(),
                label: a.origin.clone(),
                date,
                sign_time,
                valid_for,
                policy: policy(a),
            };
            let report = apt::publish(
                &hi.out_dir(a.out_dir.as_deref()),
                &a.releases,
                &key,
                &opts,
                &a.out,
            )?;
            match a.list.output {
                Format::Json => json(&report)?,
                Format::Table => {
                    outln!("{:<22} {:<14} PACKAGES", "SUITE", "ARCHITECTURES");
                    for s in &report.suites {
                        let pkgs: Vec<String> = s
                            .packages
                            .iter()
                            .map(|p| format!("{}={}", p.package, p.version))
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        outln!(
                            "{:<22} {:<14} {}",
                            s.suite,
                            s.architectures.join(","),
                            pkgs.join(" ")
                        );
                    }
                    outln!(
                        "\npublished {} suites to {} (key {})",
                        report.suites.len(),
                        a.out.display(),
                        report.fingerprint
                    );
                    let suite = newest_line(report.suites.iter().map(|s| s.suite.as_str()));
                    let url = a.url.trim_end_matches('/');
                    outln!("users of the {suite} line add:");
                    outln!("  sudo curl -fsSLo /etc/apt/keyrings/klts.gpg {url}/klts.gpg");
                    outln!(
                        "  echo '{}' | sudo tee /etc/apt/sources.list.d/klts.list",
                        apt::sources_line(url, &suite, "/etc/apt/keyrings/klts.gpg")
                    );
                }
            }
            Ok(0)
        }
        PublishCommand::Yum(a) => {
            let key = load_key(hi, &a.key)?;
            warn_compat(&key, a);
            let opts = yum::YumOptions {
                date,
                sign_time,
                policy: policy(a),
            };
            let report = yum::publish(
                &hi.out_dir(a.out_dir.as_deref()),
                &a.releases,
                &key,
                &opts,
                &a.out,
            )?;
            match a.list.output {
                Format::Json => json(&report)?,
                Format::Table => {
                    outln!("{:<22} PACKAGES", "REPOSITORY");
                    for s in &report.suites {
                        let pkgs: Vec<String> = s
                            .packages
                            .iter()
                            .map(|p| format!("{}-{}-{}.{}", p.name, p.version, p.release, p.arch))
                            .collect();
                        outln!("{:<22} {}", format!("{}/", s.suite), pkgs.join(" "));
                    }
                    outln!(
                        "\npublished {} repositories to {} (key {})",
                        report.suites.len(),
                        a.out.display(),
                        report.fingerprint
                    );
                    let suite = newest_line(report.suites.iter().map(|s| s.suite.as_str()));
                    outln!("users of the {suite} line put in /etc/yum.repos.d/klts.repo:");
                    for line in yum::repo_file(&a.url, &suite).lines() {
                        outln!("  {line}");
                    }
                }
            }
            Ok(0)
        }
    }
}

fn policy(a: &RepoArgs) -> publish::Policy {
    publish::Policy {
        wait: !a.no_wait,
        rotate_key: a.rotate_key,
    }
}

/// The newest minor-line suite (`v1.17` beats `v1.9`), for the printed snippet.
fn newest_line<'a>(suites: impl Iterator<Item = &'a str>) -> String {
    suites
        .filter_map(|s| {
            let l: klts_core::MinorLine = s.parse().ok()?;
            s.starts_with('v').then_some((l, s.to_string()))
        })
        .max()
        .map(|(_, s)| s)
        .unwrap_or_else(|| "SUITE".into())
}
