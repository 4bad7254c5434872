//! A native, byte-reproducible `.rpm` writer (over the pure-Rust `rpm` crate), optionally
//! signed with an OpenPGP key.
//!
//! Reproducibility: the build time and every file's mtime are the given epoch
//! (`SOURCE_DATE_EPOCH`); no build host or cookie is recorded; the payload is gzip (readable by
//! every rpm, CentOS 7's 4.11 included).
//!
//! Signing: the header is signed by [`crate::sign::SigningKey`], the key type `klts publish`
//! uses, so `package --sign-key` refuses expired, revoked and public-only keys (and a wrong
//! passphrase) before anything is written, exactly as `publish` does. The signature is made at
//! the epoch, but never before the signing key was created
//! ([`SigningKey::signature_time_for`]): a signature dated before its key is a "Time conflict"
//! for GnuPG and is rejected by rpm-sequoia (Fedora 38+, EL10). OpenPGP signatures by RSA and
//! EdDSA keys are deterministic, so a signed package is byte-identical too.

use crate::sign::{SignError, SigningKey};
use std::path::PathBuf;
use std::sync::Arc;

/// One regular file of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmFile {
    /// Absolute path on the installed system.
    pub path: String,
    /// Permission bits.
    pub mode: u16,
    /// The bytes.
    pub contents: Vec<u8>,
    /// `%config(noreplace)`: an admin's edits survive upgrades (the new file lands as `.rpmnew`).
    pub config: bool,
}

/// A requirement: `name` or `name >= version` (defined with the package table).
pub use crate::package::RpmRequire;

/// A binary package to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmPackage {
    /// `Name`.
    pub name: String,
    /// `Version` (see [`crate::pkgversion`]).
    pub version: String,
    /// `Release`.
    pub release: String,
    /// `Arch`: `x86_64`, `aarch64`, ...
    pub arch: String,
    /// `License` (SPDX).
    pub license: String,
    /// One-line `Summary`.
    pub summary: String,
    /// `Description`.
    pub description: String,
    /// `URL`.
    pub url: String,
    /// `Vendor` and `Packager`.
    pub packager: String,
    /// Files, any order.
    pub files: Vec<RpmFile>,
    /// Directories the package owns (created empty if no file is in them).
    pub dirs: Vec<String>,
    /// `Requires`.
    pub requires: Vec<RpmRequire>,
}

/// An OpenPGP signing key for packages: a checked [`SigningKey`], shared between the packages
/// of a run.
#[derive(Clone, Debug)]
pub struct RpmSigner {
    key: Arc<SigningKey>,
    source: PathBuf,
}

/// Why a package could not be written or a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RpmError {
    /// Signing failed (usually a wrong passphrase).
    #[error("signing {package} with {key} failed ({message})\nhelp: check the key with `klts publish` or `gpg --list-secret-keys`")]
    Sign {
        /// The package.
        package: String,
        /// The key file.
        key: PathBuf,
        /// What the signer said.
        message: String,
    },
    /// The epoch does not fit rpm's 32-bit timestamps.
    #[error("SOURCE_DATE_EPOCH {0} is beyond 2106, which rpm cannot represent; help: use the commit time of the release")]
    Epoch(u64),
    /// The package metadata was refused.
    #[error("cannot build {package}: {message}")]
    Build {
        /// The package.
        package: String,
        /// What the rpm builder said.
        message: String,
    },
}

impl RpmSigner {
    /// Loads and checks a secret key (see [`SigningKey::load`]) at `now` (unix seconds);
    /// `passphrase` unlocks it when it is protected.
    pub fn from_file(
        path: &std::path::Path,
        passphrase: Option<&str>,
        now: u32,
    ) -> Result<RpmSigner, SignError> {
        Ok(RpmSigner::new(
            SigningKey::load(path, passphrase, now)?,
            path,
        ))
    }

    /// A signer over an already loaded key; `source` names it in messages.
    pub fn new(key: SigningKey, source: &std::path::Path) -> RpmSigner {
        RpmSigner {
            key: Arc::new(key),
            source: source.to_owned(),
        }
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint()
    }
}

impl RpmPackage {
    /// The conventional file name: `kubeadm-1.17.17+lts.3-1.x86_64.rpm`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }

    /// Writes the package with every timestamp set to `epoch`, signed when `signer` is given.
    pub fn to_bytes(&self, epoch: u64, signer: Option<&RpmSigner>) -> Result<Vec<u8>, RpmError> {
        let t: u32 = epoch.try_into().map_err(|_| RpmError::Epoch(epoch))?;
        let build = |e: rpm::Error| RpmError::Build {
            package: self.name.clone(),
            message: e.to_string(),
        };
        let config = rpm::BuildConfig::v4()
            .compression(rpm::CompressionWithLevel::Gzip(9))
            .source_date(t);
        let mut b = rpm::PackageBuilder::new(
            &self.name,
            &self.version,
            &self.license,
            &self.arch,
            &self.summary,
        );
        b.using_config(config)
            .release(self.release.clone())
            .description(self.description.clone())
            .url(self.url.clone())
            .vendor(self.packager.clone())
            .packager(self.packager.clone());
        let mut files = self.files.clone();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut dirs = self.dirs.clone();
        dirs.sort();
        for d in &dirs {
            b.with_dir_entry(rpm::FileOptions::dir(d.clone()).permissions(0o755))
                .map_err(build)?;
        }
        for f in &files {
            let mut opts = rpm::FileOptions::new(f.path.clone())
                .permissions(f.mode)
                .user("root")
                .group("root");
            if f.config {
                opts = opts.config().noreplace();
            }
            b.with_file_contents(f.contents.clone(), opts)
                .map_err(build)?;
        }
        for r in &self.requires {
            b.requires(match &r.at_least {
                Some(v) => rpm::Dependency::greater_eq(r.name.clone(), v.clone()),
                None => rpm::Dependency::any(r.name.clone()),
            });
        }
        let mut pkg = b.build().map_err(build)?;
        if let Some(s) = signer {
            let sign = |message: String| RpmError::Sign {
                package: self.name.clone(),
                key: s.source.clone(),
                message,
            };
            let header = pkg.header_bytes().map_err(|e| sign(e.to_string()))?;
            let sig = s
                .key
                .detached_packet(&header, t)
                .map_err(|e| sign(e.to_string()))?;
            pkg.apply_signature(sig).map_err(|e| sign(e.to_string()))?;
        }
        let mut out = Vec::new();
        pkg.write(&mut out).map_err(build)?;
        Ok(out)
    }
}
