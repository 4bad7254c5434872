//! `klts package`: arguments over `klts_dist::package`.

use crate::{Failure, ListArgs};
use clap::Args;
use klts_core::version::Version;
use klts_dist::package::{package_release, Arch, Format, PackageOptions, Written};
use klts_dist::rpmpkg::RpmSigner;
use std::path::PathBuf;

/// Build .deb and .rpm packages of the workspace's product from `klts build` output.
///
/// Kubernetes: kubeadm, kubelet and kubectl. containerd: one `containerd` package
/// (containerd, ctr and the containerd-shim* this version builds, containerd.service;
/// depends on runc). runc: `runc`. Without a releases.yml, Kubernetes'.
///
/// Reads out/RELEASE/linux/ARCH/<binaries> and writes
/// out/RELEASE/deb/*.deb and out/RELEASE/rpm/*.rpm natively (no dpkg-buildpackage, rpmbuild
/// or docker). Output is byte-reproducible: every timestamp is SOURCE_DATE_EPOCH (or, when
/// unset, the newest mtime of the input binaries). Each format's directory is replaced
/// atomically; packages of architectures not built in this run are kept.
///
/// Versions sort right in both worlds, above the upstream packages of the same patch and
/// below the next patch:
///
///   v1.17.17-lts.3  ->  deb 1.17.17+lts.3-1, rpm 1.17.17+lts.3-1
///   v1.18.0-rc.1    ->  deb 1.18.0~rc.1-1,   rpm 1.18.0~rc.1-1
///
/// Examples:
///
///   klts package v1.17.17-lts.3
///   klts package v1.17.17-lts.3 --format deb --arch amd64,arm64
///   SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
///   KLTS_SIGNING_PASSPHRASE=... klts package v1.17.17-lts.3 --sign-key key.asc -o json
///
/// rpms are signed with --sign-key (the apt repository, not the .deb, carries the signature
/// for Debian); the key is checked as `klts publish` checks it (expired, revoked and
/// public-only keys are refused) and signatures are never dated before the key was created.
/// Every binary must match out/RELEASE/SHA256SUMS from `klts build`. Exit codes: 0 all
/// packaged; 2 something could not be packaged (missing binaries or SHA256SUMS, a checksum
/// mismatch, a -ci release, an unusable key).
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct PackageArgs {
    /// Releases to package (v1.17.17-lts.3 ...).
    #[arg(required = true, value_name = "RELEASE")]
    releases: Vec<String>,
    /// The output directory of `klts build` [default: WORKSPACE/out].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Package formats, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "deb,rpm",
        value_name = "FORMAT"
    )]
    format: Vec<Format>,
    /// Architectures (Go names), comma-separated [default: every one built under out/RELEASE/linux/].
    #[arg(long, value_delimiter = ',', value_name = "ARCH")]
    arch: Vec<Arch>,
    /// ASCII-armored OpenPGP secret key to sign the rpms with; its passphrase, if any, comes
    /// from KLTS_SIGNING_PASSPHRASE.
    #[arg(
        long,
        visible_alias = "key",
        value_name = "FILE",
        env = "KLTS_SIGNING_KEY"
    )]
    sign_key: Option<PathBuf>,
    /// Packaging revision: bump it to re-publish a release with fixed packaging.
    #[arg(long, value_name = "N", default_value_t = 1)]
    revision: u32,
    /// deb Maintainer and rpm Packager.
    #[arg(long, value_name = "NAME <EMAIL>", default_value = klts_dist::package::DEFAULT_MAINTAINER)]
    maintainer: String,
    /// Timestamp of every file, the changelog and the rpm build time and signature
    /// [default: $SOURCE_DATE_EPOCH, else the newest mtime of the binaries].
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<u64>,
    #[command(flatten)]
    list: ListArgs,
}

/// The time of reproducible output: `--source-date-epoch`, else the run's `SOURCE_DATE_EPOCH`
/// (read and validated once, [`crate::HiArgs::build_time`]; a malformed one is exit 2), else
/// `None` (the library then uses the binaries' newest mtime). Shared by `klts image`.
pub(crate) fn source_date_epoch(
    hi: &crate::HiArgs,
    flag: Option<u64>,
) -> Result<Option<u64>, Failure> {
    match flag {
        Some(secs) => Ok(Some(secs)),
        None => Ok(hi.build_time()?.source_date_epoch_u64()),
    }
}

/// `klts package`.
pub fn run(hi: &crate::HiArgs, args: &PackageArgs) -> Result<u8, Failure> {
    let out_dir = hi.out_dir(args.out_dir.as_deref());
    let cannot = |message: String| Failure { code: 2, message };
    let versions = args
        .releases
        .iter()
        .map(|r| Version::parse(r).map_err(Failure::from))
        .collect::<Result<Vec<_>, _>>()?;
    let signer = match &args.sign_key {
        None => None,
        Some(path) => Some(RpmSigner::new(crate::publish::load_key(hi, path)?, path)),
    };
    let options = PackageOptions {
        formats: args.format.clone(),
        arches: args.arch.clone(),
        revision: args.revision,
        maintainer: args.maintainer.clone(),
        source_date_epoch: source_date_epoch(hi, args.source_date_epoch)?,
        signer,
        product: crate::dist_config(hi)?.0,
    };
    let mut written: Vec<Written> = Vec::new();
    let mut errors = Vec::new();
    for v in &versions {
        match package_release(&out_dir, v, &options) {
            Ok(mut w) => written.append(&mut w),
            Err(e) => errors.push(e.to_string()),
        }
    }
    match args.list.output {
        crate::Format::Json => crate::json(&written)?,
        crate::Format::Table => {
            for w in &written {
                outln!(
                    "{:<8} {:<4} {:<8} {:<20} {:>10}  {}{}",
                    w.package,
                    w.format,
                    w.arch,
                    w.version,
                    w.size,
                    w.path.display(),
                    if w.signed { "  (signed)" } else { "" }
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(0)
    } else {
        Err(cannot(errors.join("\nerror: ")))
    }
}
