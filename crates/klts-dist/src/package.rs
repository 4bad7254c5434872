//! The packages of a release, and `klts package`: turning `out/<release>/linux/<arch>/<binary>`
//! into `out/<release>/deb/*.deb` and `out/<release>/rpm/*.rpm`.
//!
//! Each product has a table of packages ([`packages`], one [`PackageSpec`] each: name,
//! binaries installed in `/usr/bin`, extra files such as systemd units, deb `Depends` and
//! rpm `Requires`, description); the .deb and .rpm writers only read that table.
//!
//! **containerd**: one package `containerd` (as Debian and Fedora name it) with
//! `/usr/bin/containerd`, `/usr/bin/ctr` and the `containerd-shim*` the version builds (the
//! shims are optional: 2.x has neither `containerd-shim` nor `containerd-shim-runc-v1`;
//! containerd and ctr are required), and upstream's `containerd.service` (deb
//! `/lib/systemd/system/`, rpm `/usr/lib/systemd/system/`) with `ExecStart=/usr/bin/containerd`.
//! Depends on `runc` (deb also `libc6`: containerd and ctr use cgo). **runc**: package `runc`
//! with `/usr/bin/runc`, depending on libseccomp (deb `libseccomp2`, rpm `libseccomp`): `make
//! runc` links it. A generic Go project has no packages ([`PackageError::NoPackages`]).
//!
//! What the Kubernetes packages contain and declare (decisions, compared with the upstream
//! Kubernetes packages of the 1.17 era that KLTS users are upgrading from):
//!
//! * `kubectl`: `/usr/bin/kubectl`. No dependencies.
//! * `kubelet`: `/usr/bin/kubelet` and the upstream `kubelet.service` (deb:
//!   `/lib/systemd/system/`, rpm: `/usr/lib/systemd/system/`). Depends on the node tools the
//!   upstream package declared (`iptables (>= 1.4.21)`, `iproute2`/`iproute`, `mount`,
//!   `util-linux` (rpm only: it is Essential in Debian), `ethtool`, `socat`, `conntrack`, `ebtables`), all in the distributions'
//!   own repositories. **Not** `kubernetes-cni`: KLTS does not ship it and a dependency that
//!   cannot be satisfied would make the package uninstallable; install CNI plugins yourself
//!   (or from the upstream repository).
//! * `kubeadm`: `/usr/bin/kubeadm` and the kubeadm drop-in `10-kubeadm.conf` for the kubelet
//!   unit, at the path the upstream packages of each family used, so that upgrades replace it
//!   in place: deb `/etc/systemd/system/kubelet.service.d/10-kubeadm.conf` (a conffile), rpm
//!   `/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf` (`%config(noreplace)`).
//!   Depends on `kubelet` and `kubectl` of at least the previous minor (kubeadm's skew
//!   policy). **Not** `cri-tools` (not shipped; kubeadm only warns when crictl is missing).
//! * deb packages also carry `/usr/share/doc/<pkg>/copyright` (Apache-2.0),
//!   `changelog.Debian.gz` and a lintian override file for the three tags that are true by
//!   design (`statically-linked-binary`, `no-manual-page`, `initial-upload-closes-no-bugs`).
//! * No maintainer scripts: as upstream documents, run `systemctl enable --now kubelet`.
//!
//! Every binary is checked against `out/<release>/SHA256SUMS` from `klts build` before anything
//! is written (and again on the bytes that are packaged): a binary that is not listed there or
//! whose hash differs is an error naming the file and both hashes, and a release without
//! SHA256SUMS is not packaged.
//!
//! Output is replaced atomically per format: packages are written to a sibling temporary
//! directory which is then swapped in, so a failure leaves the previous `deb/` (or none).
//! Packages of architectures not packaged in this run are carried over from the previous
//! directory.

// The table of packages is plain data (the portal lists package names from it); the writers
// need rpm and OpenPGP and are built with the `repositories` feature.
#[cfg(feature = "repositories")]
mod write;
#[cfg(feature = "repositories")]
pub use write::*;

use klts_core::version::Version;
use klts_core::Product;

/// Kubernetes' packaged binaries, in package order (one package each).
pub const BINARIES: [&str; 3] = ["kubeadm", "kubectl", "kubelet"];

/// Default maintainer / packager.
pub const DEFAULT_MAINTAINER: &str = "KLTS Maintainers <maintainers@klts.io>";

/// The project homepage recorded in the packages.
pub const HOMEPAGE: &str = "https://github.com/klts-io/klts";

/// The upstream `kubelet.service`.
pub const KUBELET_SERVICE: &str = "[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/home/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
";

/// The upstream kubeadm drop-in for the kubelet unit; `{env}` is the distribution's
/// environment file (`/etc/default/kubelet` on Debian, `/etc/sysconfig/kubelet` on Red Hat).
fn kubeadm_dropin(env_file: &str) -> String {
    format!(
        "# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"
Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"
# This is a file that \"kubeadm init\" and \"kubeadm join\" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-{env_file}
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"
    )
}

/// One binary a package installs as `/usr/bin/<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinarySpec {
    /// The binary under `out/<release>/linux/<arch>/` and in `/usr/bin/`.
    pub name: &'static str,
    /// Packaged when the build produced it, skipped otherwise (containerd's shims, which
    /// differ between versions); a required binary that is missing is an error.
    pub optional: bool,
    /// Statically linked as upstream builds it (lintian is told so); the others link libc.
    pub static_link: bool,
}

/// A file a package carries besides its binaries (systemd units, drop-ins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraFile {
    /// Where Debian puts it, and its bytes there.
    pub deb_path: String,
    /// Its bytes in the .deb.
    pub deb_contents: Vec<u8>,
    /// Where Red Hat puts it.
    pub rpm_path: String,
    /// Its bytes in the .rpm.
    pub rpm_contents: Vec<u8>,
    /// A configuration file (deb conffile, rpm `%config(noreplace)`).
    pub config: bool,
    /// A directory the rpm owns for it, if any.
    pub rpm_dir: Option<String>,
}

/// A binary package of a product: the one table `klts package` reads (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSpec {
    /// The package name, as distributions name it (`containerd`, `runc`, `kubelet`).
    pub name: &'static str,
    /// Its binaries, in `/usr/bin/` order.
    pub binaries: Vec<BinarySpec>,
    /// Other files.
    pub extra: Vec<ExtraFile>,
    /// deb `Depends`, if any.
    pub deb_depends: Option<String>,
    /// rpm `Requires`.
    pub rpm_requires: Vec<RpmRequire>,
    /// One-line summary.
    pub summary: &'static str,
    /// The extended description's first paragraph (the release's origin follows).
    pub long: &'static str,
}

/// The upstream `containerd.service` (containerd v1.3.10, Apache-2.0) with `ExecStart` at
/// `/usr/bin/containerd`, where the package installs it (upstream's unit names
/// `/usr/local/bin`, where its release tarball goes; Debian's package makes the same change).
pub const CONTAINERD_SERVICE: &str = "[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd

Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
# Having non-zero Limit*s causes performance problems due to accounting overhead
# in the kernel. We recommend using cgroups to do container-local accounting.
LimitNPROC=infinity
LimitCORE=infinity
LimitNOFILE=1048576
# Comment TasksMax if your systemd version does not supports it.
# Only systemd 226 and above support this version.
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
";

fn req(name: &str, at_least: Option<&str>) -> RpmRequire {
    RpmRequire {
        name: name.to_owned(),
        at_least: at_least.map(str::to_owned),
    }
}

fn bin(name: &'static str, optional: bool, static_link: bool) -> BinarySpec {
    BinarySpec {
        name,
        optional,
        static_link,
    }
}

/// The packages of `product` at `release`, in package order. A generic Go project has none.
pub fn packages(product: Product, release: &Version) -> Vec<PackageSpec> {
    match product {
        Product::Kubernetes => kubernetes_packages(release),
        Product::Containerd => vec![PackageSpec {
            name: "containerd",
            // `make binaries` links containerd and ctr against libc (cgo) and the shims
            // statically (CGO_ENABLED=0).
            binaries: vec![
                bin("containerd", false, false),
                bin("containerd-shim", true, true),
                bin("containerd-shim-runc-v1", true, true),
                bin("containerd-shim-runc-v2", true, true),
                bin("ctr", false, false),
            ],
            extra: vec![ExtraFile {
                deb_path: "/lib/systemd/system/containerd.service".into(),
                deb_contents: CONTAINERD_SERVICE.as_bytes().to_vec(),
                rpm_path: "/usr/lib/systemd/system/containerd.service".into(),
                rpm_contents: CONTAINERD_SERVICE.as_bytes().to_vec(),
                config: false,
                rpm_dir: None,
            }],
            deb_depends: Some("libc6, runc".into()),
            rpm_requires: vec![req("runc", None)],
            summary: "open and reliable container runtime",
            long: "containerd is an industry-standard container runtime with an emphasis on simplicity, robustness and portability. It manages the complete container lifecycle of its host system: image transfer and storage, container execution and supervision, low-level storage and network attachments. It runs containers with runc.",
        }],
        Product::Runc => vec![PackageSpec {
            name: "runc",
            // `make runc` with the default BUILDTAGS=seccomp links libseccomp.
            binaries: vec![bin("runc", false, false)],
            extra: Vec::new(),
            deb_depends: Some("libc6, libseccomp2".into()),
            rpm_requires: vec![req("libseccomp", None)],
            summary: "CLI tool for spawning and running containers per the OCI specification",
            long: "runc is a command-line client for running applications packaged according to the Open Container Initiative (OCI) format: the low-level runtime that containerd and other engines use to create and run containers.",
        }],
        Product::Generic => Vec::new(),
    }
}

fn kubernetes_packages(release: &Version) -> Vec<PackageSpec> {
    let floor = skew_floor(release);
    let kubeadm_depends = match &floor {
        Some(v) => format!("kubelet (>= {v}), kubectl (>= {v})"),
        None => "kubelet, kubectl".to_owned(),
    };
    vec![
        PackageSpec {
            name: "kubeadm",
            binaries: vec![bin("kubeadm", false, true)],
            extra: vec![ExtraFile {
                deb_path: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf".into(),
                deb_contents: kubeadm_dropin("/etc/default/kubelet").into_bytes(),
                rpm_path: "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf".into(),
                rpm_contents: kubeadm_dropin("/etc/sysconfig/kubelet").into_bytes(),
                config: true,
                rpm_dir: Some("/usr/lib/systemd/system/kubelet.service.d".into()),
            }],
            deb_depends: Some(kubeadm_depends),
            rpm_requires: vec![
                req("kubelet", floor.as_deref()),
                req("kubectl", floor.as_deref()),
            ],
            summary: "Kubernetes cluster bootstrapping tool",
            long: "Command-line utility for creating and upgrading Kubernetes clusters: kubeadm init, kubeadm join and kubeadm upgrade. It also ships the kubelet drop-in that lets kubeadm configure the kubelet.",
        },
        PackageSpec {
            name: "kubectl",
            binaries: vec![bin("kubectl", false, true)],
            extra: Vec::new(),
            deb_depends: None,
            rpm_requires: Vec::new(),
            summary: "Kubernetes command-line client",
            long: "Command-line client for the Kubernetes API: deploy applications, inspect and manage cluster resources, view logs.",
        },
        PackageSpec {
            name: "kubelet",
            binaries: vec![bin("kubelet", false, true)],
            extra: vec![ExtraFile {
                deb_path: "/lib/systemd/system/kubelet.service".into(),
                deb_contents: KUBELET_SERVICE.as_bytes().to_vec(),
                rpm_path: "/usr/lib/systemd/system/kubelet.service".into(),
                rpm_contents: KUBELET_SERVICE.as_bytes().to_vec(),
                config: false,
                rpm_dir: None,
            }],
            deb_depends: Some(
                "iptables (>= 1.4.21), iproute2, mount, ethtool, socat, conntrack, ebtables"
                    .into(),
            ),
            rpm_requires: vec![
                req("iptables", Some("1.4.21")),
                req("iproute", None),
                req("util-linux", None),
                req("ethtool", None),
                req("socat", None),
                req("conntrack", None),
                req("ebtables", None),
            ],
            summary: "Kubernetes node agent",
            long: "The primary node agent of Kubernetes: it runs on every node and starts the containers of the pods scheduled there, through the container runtime.",
        },
    ]
}

/// The package of `product` named `name` at `release`.
pub fn package_spec(product: Product, name: &str, release: &Version) -> Option<PackageSpec> {
    packages(product, release)
        .into_iter()
        .find(|p| p.name == name)
}

/// `kubelet (>= 1.16.0)`-style lower bound: the previous minor, per kubeadm's skew policy.
fn skew_floor(release: &Version) -> Option<String> {
    (release.minor() > 0).then(|| format!("{}.{}.0", release.major(), release.minor() - 1))
}

/// A requirement: `name` or `name >= version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmRequire {
    /// The capability.
    pub name: String,
    /// `>=` this version, if any.
    pub at_least: Option<String>,
}
