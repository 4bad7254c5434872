//! The `.deb` and `.rpm` writers over the package table (see [`super`]).

use super::*;
use crate::deb::{DebError, DebFile, DebPackage};
use crate::pkgversion::{package_version, PackageVersion, PkgVersionError};
use crate::rpmpkg::{RpmError, RpmFile, RpmPackage, RpmSigner};
use klts_core::version::Version;
use klts_core::Product;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A package format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Debian `.deb`.
    Deb,
    /// Red Hat `.rpm`.
    Rpm,
}

impl Format {
    /// `deb` or `rpm`: the output directory and file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "deb" => Ok(Format::Deb),
            "rpm" => Ok(Format::Rpm),
            _ => Err(format!("unknown package format {s:?}; expected deb or rpm")),
        }
    }
}

/// A Linux architecture, named as Go (and `out/<release>/linux/<arch>/`) names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    /// `amd64` (deb `amd64`, rpm `x86_64`).
    Amd64,
    /// `arm64` (deb `arm64`, rpm `aarch64`).
    Arm64,
    /// `ppc64le` (deb `ppc64el`, rpm `ppc64le`).
    Ppc64le,
    /// `s390x` (deb and rpm `s390x`).
    S390x,
}

impl Arch {
    /// All supported architectures.
    pub const ALL: [Arch; 4] = [Arch::Amd64, Arch::Arm64, Arch::Ppc64le, Arch::S390x];

    /// The Go name: the directory under `out/<release>/linux/`.
    pub fn go(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
        }
    }

    /// The Debian architecture.
    pub fn deb(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Ppc64le => "ppc64el",
            Arch::S390x => "s390x",
        }
    }

    /// The rpm architecture.
    pub fn rpm(self) -> &'static str {
        match self {
            Arch::Amd64 => "x86_64",
            Arch::Arm64 => "aarch64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
        }
    }

    fn in_format(self, format: Format) -> &'static str {
        match format {
            Format::Deb => self.deb(),
            Format::Rpm => self.rpm(),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.go())
    }
}

impl FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Arch, String> {
        Arch::ALL
            .into_iter()
            .find(|a| a.go() == s || a.deb() == s || a.rpm() == s)
            .ok_or_else(|| {
                format!("unknown architecture {s:?}; expected one of amd64, arm64, ppc64le, s390x")
            })
    }
}

/// What to build.
#[derive(Clone, Debug)]
pub struct PackageOptions {
    /// Formats to write (`deb`, `rpm`).
    pub formats: Vec<Format>,
    /// Architectures; empty means every supported one found under `out/<release>/linux/`.
    pub arches: Vec<Arch>,
    /// Packaging revision (≥ 1), see [`crate::pkgversion`].
    pub revision: u32,
    /// deb `Maintainer`, rpm `Packager`/`Vendor`.
    pub maintainer: String,
    /// Timestamp for everything (`SOURCE_DATE_EPOCH`); `None` means the newest mtime of the
    /// input binaries, which is stable for a given `out/` tree.
    pub source_date_epoch: Option<u64>,
    /// Signs the rpm packages when given.
    pub signer: Option<RpmSigner>,
    /// Whose packages ([`packages`]); Kubernetes' by default.
    pub product: Product,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            formats: vec![Format::Deb, Format::Rpm],
            arches: Vec::new(),
            revision: 1,
            maintainer: DEFAULT_MAINTAINER.to_owned(),
            source_date_epoch: None,
            signer: None,
            product: Product::Kubernetes,
        }
    }
}

/// One written package.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// `kubeadm`, `kubelet` or `kubectl`.
    pub package: String,
    /// The package version (`1.17.17+lts.3-1`).
    pub version: String,
    /// `deb` or `rpm`.
    pub format: String,
    /// Architecture as the format names it.
    pub arch: String,
    /// Final path of the file.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Whether it carries an OpenPGP signature.
    pub signed: bool,
}

/// Why packaging failed.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The release has no package version.
    #[error(transparent)]
    Version(#[from] PkgVersionError),
    /// No binaries were built for the release.
    #[error("no binaries for {release}: {dir} has no architecture directory ({known}); help: run `klts build {release} --platform linux/amd64` first")]
    NothingBuilt {
        /// The release.
        release: String,
        /// `out/<release>/linux`.
        dir: PathBuf,
        /// The architectures looked for.
        known: String,
    },
    /// One binary is missing.
    #[error("{path} is missing; help: run `klts build {release} --platform linux/{arch}` first, or leave {arch} out with --arch")]
    Missing {
        /// The binary that should be there.
        path: PathBuf,
        /// The release.
        release: String,
        /// The architecture.
        arch: Arch,
    },
    /// A package name the product's table does not have.
    #[error("no package `{name}` is defined for {product}\nhelp: the packages are {known}")]
    UnknownPackage {
        /// The name asked for.
        name: String,
        /// The product.
        product: Product,
        /// The names the table has.
        known: String,
    },
    /// The build's checksums are missing.
    #[error("{path} is missing: it vouches for the binaries to package\nhelp: run `klts build {release}` (it writes the binaries and SHA256SUMS together)")]
    NoChecksums {
        /// `out/<release>/SHA256SUMS`.
        path: PathBuf,
        /// The release.
        release: String,
    },
    /// A binary to package is not listed in the build's checksums.
    #[error("{path} is not listed in {sums} (as {name})\nhelp: package only what `klts build` built: rebuild the release")]
    NotInChecksums {
        /// The binary.
        path: PathBuf,
        /// Its name in SHA256SUMS.
        name: String,
        /// `out/<release>/SHA256SUMS`.
        sums: PathBuf,
    },
    /// A binary differs from what the build recorded.
    #[error("{path} has sha256 {actual}, but {sums} says {expected}\nhelp: the binary changed after `klts build`; rebuild the release instead of replacing binaries")]
    ChecksumMismatch {
        /// The binary.
        path: PathBuf,
        /// From SHA256SUMS.
        expected: String,
        /// Of the file.
        actual: String,
        /// `out/<release>/SHA256SUMS`.
        sums: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The product has no packages (a generic Go project).
    #[error("{product} project: no packages are defined for it\nhelp: name the product with `product:` in releases.yml if it is kubernetes, containerd or runc; otherwise ship the binaries of `klts build` as they are")]
    NoPackages {
        /// The product.
        product: Product,
    },
    /// A .deb could not be written.
    #[error(transparent)]
    Deb(#[from] DebError),
    /// An .rpm could not be written.
    #[error(transparent)]
    Rpm(#[from] RpmError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The description of a package: (summary, extended paragraphs).
fn describe(spec: &PackageSpec, product: Product, release: &Version) -> (&'static str, String) {
    let name = product.display_name();
    let origin = match release.suffix() {
        Some(_) => format!(
            "This is {name} LTS release {release}: upstream {name} {} with back-ported fixes, maintained by the KLTS project.",
            release.base()
        ),
        None => format!("This is upstream {name} {release}, built by the KLTS project."),
    };
    (spec.summary, format!("{}\n\n{origin}", spec.long))
}
/// Wraps text for a Debian extended description: lines start with a space, blank lines
/// become ` .`, lines stay under 80 columns.
fn deb_description(summary: &str, long: &str) -> String {
    let mut out = summary.to_owned();
    for (i, para) in long.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("\n .");
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > 78 {
                out.push_str(&format!("\n {line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push_str(&format!("\n {line}"));
        }
    }
    out
}

fn rfc2822(epoch: u64) -> String {
    klts_core::time::rfc2822(i64::try_from(epoch).unwrap_or(i64::MAX), "+0000")
}

/// `debian/copyright` of a product's packages (all Apache-2.0).
fn copyright(product: Product) -> String {
    let (name, repo, holder) = match product {
        Product::Containerd => (
            "containerd",
            "github.com/containerd/containerd",
            // Its NOTICE (inherited from Docker) and "The containerd Authors" of its headers.
            "2012-2015 Docker, Inc.; The containerd Authors.",
        ),
        Product::Runc => (
            "runc",
            "github.com/opencontainers/runc",
            // Its NOTICE.
            "2012-2015 Docker, Inc.",
        ),
        _ => (
            "kubernetes",
            "github.com/kubernetes/kubernetes",
            "2014 The Kubernetes Authors.",
        ),
    };
    format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: {name}
Upstream-Contact: https://{repo}
Source: https://{repo}

Files: *
Copyright: {holder}
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the \"License\");
 you may not use this file except in compliance with the License.
 You may obtain a copy of the License at
 .
 https://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an \"AS IS\" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and
 limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in \"/usr/share/common-licenses/Apache-2.0\".
"
    )
}

/// Lintian tags that a binary package triggers by design.
fn lintian_overrides(spec: &PackageSpec, product: Product) -> String {
    let package = spec.name;
    let mut out = String::new();
    let statics: Vec<&BinarySpec> = spec.binaries.iter().filter(|b| b.static_link).collect();
    if !statics.is_empty() {
        out.push_str("# Go binaries are statically linked by design (CGO_ENABLED=0), as upstream builds them.\n");
        for b in statics {
            out.push_str(&format!(
                "{package}: statically-linked-binary [usr/bin/{}]\n",
                b.name
            ));
        }
    }
    out.push_str(&format!(
        "# Not an upload to the Debian archive: there is no ITP bug to close.\n{package}: initial-upload-closes-no-bugs\n"
    ));
    out.push_str(&format!(
        "# {} ships no manual pages; `{} --help` is the documentation.\n",
        product.display_name(),
        spec.binaries.first().map(|b| b.name).unwrap_or(package)
    ));
    for b in &spec.binaries {
        out.push_str(&format!("{package}: no-manual-page [usr/bin/{}]\n", b.name));
    }
    out
}

/// The .deb of one Kubernetes binary (kubeadm, kubectl, kubelet); see [`deb_of`].
pub fn deb_package(
    package: &str,
    binary: Vec<u8>,
    release: &Version,
    version: &PackageVersion,
    arch: Arch,
    maintainer: &str,
    epoch: u64,
) -> Result<DebPackage, PackageError> {
    let spec = kubernetes_spec(package, release)?;
    let name = spec.binaries[0].name;
    deb_of(
        &spec,
        Product::Kubernetes,
        vec![(name, binary)],
        release,
        version,
        arch,
        maintainer,
        epoch,
    )
}

/// The Kubernetes package `package` (kubeadm, kubectl, kubelet); another name is an error,
/// not some other package under that name.
fn kubernetes_spec(package: &str, release: &Version) -> Result<PackageSpec, PackageError> {
    package_spec(Product::Kubernetes, package, release).ok_or_else(|| {
        PackageError::UnknownPackage {
            name: package.to_string(),
            product: Product::Kubernetes,
            known: kubernetes_packages(release)
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        }
    })
}

/// The .deb of `spec` with its `binaries` (name, bytes) as built.
#[allow(clippy::too_many_arguments)]
pub fn deb_of(
    spec: &PackageSpec,
    product: Product,
    binaries: Vec<(&str, Vec<u8>)>,
    release: &Version,
    version: &PackageVersion,
    arch: Arch,
    maintainer: &str,
    epoch: u64,
) -> Result<DebPackage, PackageError> {
    let package = spec.name;
    let (summary, long) = describe(spec, product, release);
    let mut control = vec![
        ("Package".to_owned(), package.to_owned()),
        ("Version".to_owned(), version.deb()),
        ("Architecture".to_owned(), arch.deb().to_owned()),
        ("Maintainer".to_owned(), maintainer.to_owned()),
    ];
    if let Some(d) = &spec.deb_depends {
        control.push(("Depends".into(), d.clone()));
    }
    control.extend([
        ("Section".to_owned(), "admin".to_owned()),
        ("Priority".to_owned(), "optional".to_owned()),
        ("Homepage".to_owned(), HOMEPAGE.to_owned()),
        ("Description".to_owned(), deb_description(summary, &long)),
    ]);
    let changelog = format!(
        "{package} ({}) stable; urgency=medium\n\n  * {} {release}, packaged by klts.\n\n -- {maintainer}  {}\n",
        version.deb(),
        product.display_name(),
        rfc2822(epoch)
    );
    let doc = format!("/usr/share/doc/{package}");
    let mut files: Vec<DebFile> = binaries
        .into_iter()
        .map(|(name, contents)| DebFile {
            path: format!("/usr/bin/{name}"),
            mode: 0o755,
            contents,
            conffile: false,
        })
        .collect();
    files.extend([
        DebFile {
            path: format!("{doc}/copyright"),
            mode: 0o644,
            contents: copyright(product).into_bytes(),
            conffile: false,
        },
        DebFile {
            path: format!("{doc}/changelog.Debian.gz"),
            mode: 0o644,
            contents: crate::fsdir::gzip(changelog.as_bytes()),
            conffile: false,
        },
        DebFile {
            path: format!("/usr/share/lintian/overrides/{package}"),
            mode: 0o644,
            contents: lintian_overrides(spec, product).into_bytes(),
            conffile: false,
        },
    ]);
    for e in &spec.extra {
        files.push(DebFile {
            path: e.deb_path.clone(),
            mode: 0o644,
            contents: e.deb_contents.clone(),
            conffile: e.config,
        });
    }
    Ok(DebPackage { control, files })
}

/// The .rpm of one Kubernetes binary (kubeadm, kubectl, kubelet); see [`rpm_of`].
pub fn rpm_package(
    package: &str,
    binary: Vec<u8>,
    release: &Version,
    version: &PackageVersion,
    arch: Arch,
    maintainer: &str,
) -> Result<RpmPackage, PackageError> {
    let spec = kubernetes_spec(package, release)?;
    let name = spec.binaries[0].name;
    Ok(rpm_of(
        &spec,
        Product::Kubernetes,
        vec![(name, binary)],
        release,
        version,
        arch,
        maintainer,
    ))
}

/// The .rpm of `spec` with its `binaries` (name, bytes) as built.
pub fn rpm_of(
    spec: &PackageSpec,
    product: Product,
    binaries: Vec<(&str, Vec<u8>)>,
    release: &Version,
    version: &PackageVersion,
    arch: Arch,
    maintainer: &str,
) -> RpmPackage {
    let (summary, long) = describe(spec, product, release);
    let mut files: Vec<RpmFile> = binaries
        .into_iter()
        .map(|(name, contents)| RpmFile {
            path: format!("/usr/bin/{name}"),
            mode: 0o755,
            contents,
            config: false,
        })
        .collect();
    let mut dirs = Vec::new();
    for e in &spec.extra {
        if let Some(d) = &e.rpm_dir {
            dirs.push(d.clone());
        }
        files.push(RpmFile {
            path: e.rpm_path.clone(),
            mode: 0o644,
            contents: e.rpm_contents.clone(),
            config: e.config,
        });
    }
    RpmPackage {
        name: spec.name.to_owned(),
        version: version.rpm_version().to_owned(),
        release: version.rpm_release(),
        arch: arch.rpm().to_owned(),
        license: "Apache-2.0".to_owned(),
        summary: summary.to_owned(),
        description: long,
        url: HOMEPAGE.to_owned(),
        packager: maintainer.to_owned(),
        files,
        dirs,
        requires: spec.rpm_requires.clone(),
    }
}

/// The directory holding the binaries of one platform: `out/<release>/linux/<arch>`.
pub fn binaries_dir(out_dir: &Path, release: &Version, arch: Arch) -> PathBuf {
    out_dir
        .join(release.to_string())
        .join("linux")
        .join(arch.go())
}

/// Packages `release` from `out_dir` as described by `opts`; returns the written packages.
pub fn package_release(
    out_dir: &Path,
    release: &Version,
    opts: &PackageOptions,
) -> Result<Vec<Written>, PackageError> {
    let specs = packages(opts.product, release);
    if specs.is_empty() {
        return Err(PackageError::NoPackages {
            product: opts.product,
        });
    }
    let version = package_version(release, opts.revision)?;
    let release_dir = out_dir.join(release.to_string());
    let arches: Vec<Arch> = if opts.arches.is_empty() {
        let found: Vec<Arch> = Arch::ALL
            .into_iter()
            .filter(|a| binaries_dir(out_dir, release, *a).is_dir())
            .collect();
        if found.is_empty() {
            return Err(PackageError::NothingBuilt {
                release: release.to_string(),
                dir: release_dir.join("linux"),
                known: Arch::ALL.map(|a| a.go()).join(", "),
            });
        }
        found
    } else {
        let mut a = opts.arches.clone();
        a.sort();
        a.dedup();
        a
    };

    // Check everything exists before writing anything.
    let mut inputs = Vec::new();
    for &arch in &arches {
        for (index, spec) in specs.iter().enumerate() {
            let mut bins = Vec::new();
            for b in &spec.binaries {
                let path = binaries_dir(out_dir, release, arch).join(b.name);
                if !path.is_file() {
                    // An optional binary this version does not build (see BinarySpec).
                    if b.optional {
                        continue;
                    }
                    return Err(PackageError::Missing {
                        path,
                        release: release.to_string(),
                        arch,
                    });
                }
                bins.push((b.name, path));
            }
            inputs.push(Input {
                arch,
                spec: index,
                bins,
            });
        }
    }
    let sums = Checksums::read(&release_dir, release)?;
    for input in &inputs {
        for (bin, path) in &input.bins {
            let bytes = std::fs::read(path).map_err(io(path))?;
            sums.check(input.arch, bin, path, &bytes)?;
        }
    }
    let epoch = match opts.source_date_epoch {
        Some(e) => e,
        None => crate::fsdir::newest_mtime(
            inputs
                .iter()
                .flat_map(|i| i.bins.iter().map(|(_, p)| p.as_path())),
        ),
    };

    let mut formats = opts.formats.clone();
    formats.sort();
    formats.dedup();
    let mut written = Vec::new();
    for format in formats {
        let final_dir = release_dir.join(format.name());
        let tmp = release_dir.join(format!(".{}.tmp-{}", format.name(), std::process::id()));
        let result = write_format(
            format, &specs, &inputs, &sums, &tmp, &final_dir, &arches, release, &version, opts,
            epoch,
        );
        match result {
            Ok(mut w) => {
                swap_dir(&tmp, &final_dir)?;
                written.append(&mut w);
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        }
    }
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn write_format(
    format: Format,
    specs: &[PackageSpec],
    inputs: &[Input],
    sums: &Checksums,
    tmp: &Path,
    final_dir: &Path,
    arches: &[Arch],
    release: &Version,
    version: &PackageVersion,
    opts: &PackageOptions,
    epoch: u64,
) -> Result<Vec<Written>, PackageError> {
    if tmp.exists() {
        std::fs::remove_dir_all(tmp).map_err(io(tmp))?;
    }
    std::fs::create_dir_all(tmp).map_err(io(tmp))?;
    // Carry over packages of architectures this run does not rebuild.
    if let Ok(entries) = std::fs::read_dir(final_dir) {
        for entry in entries {
            let entry = entry.map_err(io(final_dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let of_this_run = arches.iter().any(|a| {
                let arch = a.in_format(format);
                match format {
                    Format::Deb => name.ends_with(&format!("_{arch}.deb")),
                    Format::Rpm => name.ends_with(&format!(".{arch}.rpm")),
                }
            });
            if !of_this_run && entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                let to = tmp.join(&name);
                std::fs::copy(entry.path(), &to).map_err(io(&to))?;
            }
        }
    }
    let mut written = Vec::new();
    for input in inputs {
        let arch = input.arch;
        let spec = &specs[input.spec];
        let mut binaries = Vec::new();
        for (bin, path) in &input.bins {
            let bytes = std::fs::read(path).map_err(io(path))?;
            // Checked again on the bytes that are packaged: the file may change after the check.
            sums.check(arch, bin, path, &bytes)?;
            binaries.push((*bin, bytes));
        }
        let (name, bytes, signed) = match format {
            Format::Deb => {
                let pkg = deb_of(
                    spec,
                    opts.product,
                    binaries,
                    release,
                    version,
                    arch,
                    &opts.maintainer,
                    epoch,
                )?;
                let name = format!("{}_{}_{}.deb", spec.name, version.deb(), arch.deb());
                (name, pkg.to_bytes(epoch)?, false)
            }
            Format::Rpm => {
                let pkg = rpm_of(
                    spec,
                    opts.product,
                    binaries,
                    release,
                    version,
                    arch,
                    &opts.maintainer,
                );
                let bytes = pkg.to_bytes(epoch, opts.signer.as_ref())?;
                (pkg.file_name(), bytes, opts.signer.is_some())
            }
        };
        let target = tmp.join(&name);
        std::fs::write(&target, &bytes).map_err(io(&target))?;
        written.push(Written {
            package: spec.name.to_string(),
            version: match format {
                Format::Deb => version.deb(),
                Format::Rpm => format!("{}-{}", version.rpm_version(), version.rpm_release()),
            },
            format: format.name().to_owned(),
            arch: arch.in_format(format).to_owned(),
            path: final_dir.join(&name),
            size: bytes.len() as u64,
            sha256: klts_forge::fsutil::sha256_hex(&bytes),
            signed,
        });
    }
    Ok(written)
}

/// One package to write for one architecture: its binaries as built.
struct Input {
    arch: Arch,
    /// Index into the product's [`packages`].
    spec: usize,
    /// (binary name, path under `out/<release>/linux/<arch>/`).
    bins: Vec<(&'static str, PathBuf)>,
}

/// `out/<release>/SHA256SUMS` as `klts build` writes it (`sha256sum` format, paths relative to
/// `out/<release>`): what the build produced, so that `package` never packages a binary that
/// changed (or was dropped in) after the build.
struct Checksums {
    path: PathBuf,
    by_name: std::collections::BTreeMap<String, String>,
}

impl Checksums {
    fn read(release_dir: &Path, release: &Version) -> Result<Checksums, PackageError> {
        let path = release_dir.join("SHA256SUMS");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PackageError::NoChecksums {
                    path,
                    release: release.to_string(),
                })
            }
            Err(e) => return Err(PackageError::Io { path, source: e }),
        };
        // `<64 hex>  <path>` (text mode) or `<64 hex> *<path>` (binary mode); anything else is
        // not a checksum of ours and cannot vouch for a binary.
        let by_name = text
            .lines()
            .filter_map(|line| {
                let (hash, rest) = line.split_once(' ')?;
                let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
                (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| (name.to_string(), hash.to_ascii_lowercase()))
            })
            .collect();
        Ok(Checksums { path, by_name })
    }

    /// Whether SHA256SUMS lists `input` with the sha256 of `bytes`; else the error naming both.
    fn check(&self, arch: Arch, bin: &str, path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
        let name = format!("linux/{}/{bin}", arch.go());
        let actual = klts_forge::fsutil::sha256_hex(bytes);
        match self.by_name.get(&name) {
            None => Err(PackageError::NotInChecksums {
                path: path.to_path_buf(),
                name,
                sums: self.path.clone(),
            }),
            Some(expected) if *expected != actual => Err(PackageError::ChecksumMismatch {
                path: path.to_path_buf(),
                expected: expected.clone(),
                actual,
                sums: self.path.clone(),
            }),
            Some(_) => Ok(()),
        }
    }
}

/// Replaces `dir` by `new` (both in the same parent), see [`crate::fsdir::swap_in`].
fn swap_dir(new: &Path, dir: &Path) -> Result<(), PackageError> {
    crate::fsdir::swap_in(new, dir).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names() {
        assert_eq!("arm64".parse::<Arch>().unwrap().rpm(), "aarch64");
        assert_eq!("x86_64".parse::<Arch>().unwrap(), Arch::Amd64);
        assert_eq!("ppc64le".parse::<Arch>().unwrap().deb(), "ppc64el");
        assert!("i386".parse::<Arch>().unwrap_err().contains("amd64"));
        assert!("zip".parse::<Format>().is_err());
    }

    #[test]
    fn description_wraps_under_80_columns() {
        let v = Version::parse("v1.17.17-lts.3").unwrap();
        let spec = package_spec(Product::Kubernetes, "kubeadm", &v).unwrap();
        let (s, long) = describe(&spec, Product::Kubernetes, &v);
        let d = deb_description(s, &long);
        assert!(d.contains("\n .\n"), "{d}");
        assert!(d.lines().all(|l| l.len() <= 80), "{d}");
        assert!(d.lines().skip(1).all(|l| l.starts_with(' ')), "{d}");
        assert!(d.contains("v1.17.17-lts.3"), "{d}");
    }

    #[test]
    fn changelog_date_is_rfc2822() {
        assert_eq!(rfc2822(1_600_000_000), "Sun, 13 Sep 2020 12:26:40 +0000");
    }

    #[test]
    fn kubeadm_requires_the_previous_minor() {
        let v = Version::parse("v1.17.17-lts.3").unwrap();
        let pv = package_version(&v, 1).unwrap();
        let r = rpm_package("kubeadm", vec![], &v, &pv, Arch::Amd64, "m").unwrap();
        assert!(rpm_package("kubeproxy", vec![], &v, &pv, Arch::Amd64, "m")
            .unwrap_err()
            .to_string()
            .contains("kubeadm, kubectl, kubelet"));
        assert_eq!(r.requires[0].at_least.as_deref(), Some("1.16.0"));
        let d = deb_package("kubeadm", vec![], &v, &pv, Arch::Arm64, "m <m@x.io>", 0).unwrap();
        let depends = &d.control.iter().find(|(k, _)| k == "Depends").unwrap().1;
        assert_eq!(depends, "kubelet (>= 1.16.0), kubectl (>= 1.16.0)");
    }
}
