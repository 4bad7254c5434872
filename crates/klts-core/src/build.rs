//! The optional `build:` section of `releases.yml` (a klts extension the KLTS shell tooling
//! ignores): how a release is built and tested.
//!
//! ```yaml
//! build:
//!   platforms: [linux/amd64, linux/arm64]           # os/arch pairs, built one after another
//!   targets: [kubectl, kubelet, kubeadm]            # binaries packaged as deb/rpm
//!   images: [kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy]
//!   command: make all WHAT="$KLTS_WHAT" KUBE_BUILD_PLATFORMS=$KLTS_PLATFORM
//!   artifacts: _output/local/bin/{os}/{arch}        # where the binaries land; {os}/{arch} substituted
//!   env: {KUBE_BUILD_CONFORMANCE: "n"}              # extra environment, literal values
//!   go: go1.13.15                                   # the Go toolchain, overriding the tree's
//!   import_path: k8s.io/kubernetes                  # GOPATH import path of pre-modules trees
//!   test:
//!     command: make test WHAT="$KLTS_TEST_DIRS"     # $KLTS_TEST_DIRS is empty = every package
//!     retries: 2                                    # re-runs of the packages still failing
//!     timeout: 2h                                   # per run: 90s, 30m, 2h, 1h30m
//! ```
//!
//! Every key is optional; a missing key (or a missing section) takes the default of the
//! workspace's product ([`BuildConfig::for_product`], applied by
//! [`BuildConfig::with_product_defaults`]; the parser fills in Kubernetes' shown above and
//! records in [`BuildConfig::explicit`] which keys the manifest wrote, so that the product
//! decided later replaces only the others). Consumers take the resolved section from
//! `klts_forge::Workspace::build_config`, never [`crate::Manifest::build`] directly.
//!
//! | product | command | artifacts | targets | images | test command |
//! | --- | --- | --- | --- | --- | --- |
//! | kubernetes | `make all WHAT=…` | `_output/local/bin/{os}/{arch}` | kubectl kubelet kubeadm | kube-apiserver, -controller-manager, -scheduler, kube-proxy | `make test WHAT=…` |
//! | containerd | `make binaries` | `bin` | containerd, containerd-shim, containerd-shim-runc-v1, containerd-shim-runc-v2, ctr | none | `make test` |
//! | runc | `make runc` | `.` | runc | none | `go test …` |
//! | generic | none: set it | `bin` | none: set them | none | `go test …` |
//!
//! containerd's Makefile (1.3 to 2.x) builds `bin/ctr`, `bin/containerd` and the shims of
//! that version for `GOOS`/`GOARCH` with `make binaries`; which shims exist changed over time
//! (`containerd-shim` and `containerd-shim-runc-v1` are gone in 2.x), so the shims are
//! [`BuildConfig::optional_targets`]: a default shim the version does not build is skipped,
//! while a target the manifest lists itself (or `--targets` names) must exist.
//! runc's `make runc` builds `./runc` with the default `BUILDTAGS=seccomp`, linked against
//! libseccomp like distributions' runc (its `make static` needs a static libseccomp, which
//! build machines rarely have); `make localunittest`/`make test` need root or docker, so the
//! tests are plain `go test`. A generic Go project has no build command or targets to guess:
//! `klts build` asks for `build.command` and `build.targets`. `command` runs with `sh -c` at the root of the
//! release's working tree, once per platform, with this environment:
//!
//! | variable | value |
//! | --- | --- |
//! | `KLTS_RELEASE`, `KLTS_VERSION` | the release name (`v1.17.17-lts.3`) |
//! | `KLTS_OS`, `KLTS_ARCH`, `GOOS`, `GOARCH` | the platform being built |
//! | `KLTS_PLATFORM` | `linux/amd64` |
//! | `KLTS_TARGETS` | target names, space-separated (images included when building images) |
//! | `KLTS_WHAT` | `cmd/<name>` for each target, space-separated |
//! | `SOURCE_DATE_EPOCH` | the committer time of the release commit |
//!
//! The test command gets the same variables (for the build machine's platform) plus
//! `KLTS_TEST_PACKAGES` (Go import paths) and `KLTS_TEST_DIRS` (`./relative/dirs`): empty on
//! the first run, the packages still failing on retries.
//!
//! `go` is either one Go version for every release (`go1.13.15`, `'1.13.15'`; a bare `1.20`
//! is a YAML number and is refused, since YAML reads it as `1.2`) or a mapping from a release
//! name or a minor line (`v1.16`, matching every `v1.16.*` release) to a version; the exact
//! release name wins over the line. Without it the toolchain comes from the tree
//! (`klts_forge::toolchain` documents the order). `import_path` is where a pre-modules tree
//! (no `go.mod`) is placed under `$GOPATH/src`; without it `klts build` reads it from the tree.
//!
//! Unknown keys inside `build:` are kept in [`crate::Manifest::unknown_keys`] and reported by
//! `klts lint` as warnings, like every other unknown key.

use crate::diag::Location;
use crate::goversion::GoRelease;
use crate::manifest::{ManifestError, Parser, Spanned};
use crate::product::Product;
use crate::yaml::{describe, loc};
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// An `os/arch` pair such as `linux/arm64`, in Go's spelling.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `GOOS`: `linux`, `windows`, `darwin`.
    pub os: String,
    /// `GOARCH`: `amd64`, `arm64`, `ppc64le`, `s390x`, `arm`.
    pub arch: String,
}

impl Platform {
    /// Parse `os/arch`. Both parts are lowercase letters and digits ([`platform_parts`]); a
    /// build platform has no variant.
    pub fn parse(s: &str) -> Result<Platform, String> {
        let s = s.trim();
        match platform_parts(s) {
            Some((os, arch, None)) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
            }),
            _ => Err(format!(
                "`{s}` is not a platform: write os/arch in Go's spelling, e.g. linux/amd64 or linux/arm64"
            )),
        }
    }
}

/// The one rule for a Go import path klts places a tree at (`build.import_path`, and a
/// tree's own `// import "…"` comment): at most 256 bytes of `/`-separated elements, none
/// empty, `.` or `..`, each of ASCII letters, digits and `-_.~`, so it can never leave
/// `$GOPATH/src`.
pub fn is_go_import_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 256
        && p.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        })
}

/// The one rule for a platform's text, for builds and images alike: `os/arch` or
/// `os/arch/variant`, each part lowercase ASCII letters and digits (Go's `GOOS`/`GOARCH`
/// spelling, which OCI image indexes use too; a variant is e.g. `v8`). `None` otherwise.
pub fn platform_parts(s: &str) -> Option<(&str, &str, Option<&str>)> {
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let mut parts = s.split('/');
    let (os, arch) = (parts.next()?, parts.next()?);
    let variant = parts.next();
    if parts.next().is_some() || !ok(os) || !ok(arch) || variant.is_some_and(|v| !ok(v)) {
        return None;
    }
    Some((os, arch, variant))
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// `build.test`: how the release's unit tests run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestConfig {
    /// `command`, run with `sh -c` in the working tree.
    pub command: Spanned<String>,
    /// `retries`: how many times the packages still failing are run again.
    pub retries: u32,
    /// `timeout`: the limit of one run of the command, if any.
    pub timeout: Option<Duration>,
}

/// The `build:` section, with defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildConfig {
    /// `platforms`.
    pub platforms: Vec<Spanned<Platform>>,
    /// `targets`: binaries packaged as deb/rpm.
    pub targets: Vec<Spanned<String>>,
    /// `images`: binaries put in server images.
    pub images: Vec<Spanned<String>>,
    /// `command`: the build command, run once per platform.
    pub command: Spanned<String>,
    /// `artifacts`: the directory, relative to the working tree, where the binaries of one
    /// platform land; `{os}` and `{arch}` are substituted.
    pub artifacts: Spanned<String>,
    /// `env`: extra environment for both commands, sorted by name.
    pub env: BTreeMap<String, String>,
    /// `test`.
    pub test: TestConfig,
    /// `go`: the Go toolchain, when the manifest names one.
    pub go: GoSetting,
    /// `import_path`: the Go import path of a pre-modules tree (`k8s.io/kubernetes`).
    pub import_path: Option<Spanned<String>>,
    /// Where the `build:` key is, when the manifest has one.
    pub loc: Option<Location>,
    /// The keys the manifest wrote (`targets`, `test.command`, …); the others are defaults
    /// and follow the product ([`BuildConfig::with_product_defaults`]).
    pub explicit: BTreeSet<&'static str>,
    /// Default targets that some versions of the product do not build (containerd's shims):
    /// missing after the build, they are skipped instead of failing it. Empty when the
    /// manifest lists `targets` itself.
    pub optional_targets: Vec<String>,
}

/// `build.go`: one Go version for every release, or one per release or minor line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoSetting {
    /// `go: go1.13.15`: every release.
    pub all: Option<Spanned<GoRelease>>,
    /// `go: {v1.16: go1.15.15, v1.16.15-lts.2: go1.16.15}`, in manifest order.
    pub by_release: Vec<(Spanned<String>, Spanned<GoRelease>)>,
}

impl GoSetting {
    /// The version set for `release`: its exact name, else its minor line (`v1.16` for
    /// `v1.16.15-lts.1`), else the one for every release.
    pub fn for_release(&self, release: &str) -> Option<&Spanned<GoRelease>> {
        let exact = self.by_release.iter().find(|(k, _)| k.value == release);
        let line = || {
            self.by_release.iter().find(|(k, _)| {
                release
                    .strip_prefix(k.value.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        exact.or_else(line).map(|(_, v)| v).or(self.all.as_ref())
    }
}

/// Kubernetes' defaults.
pub const DEFAULT_PLATFORMS: &[&str] = &["linux/amd64", "linux/arm64"];
/// Binaries packaged as deb/rpm by default.
pub const DEFAULT_TARGETS: &[&str] = &["kubectl", "kubelet", "kubeadm"];
/// Binaries put in server images by default.
pub const DEFAULT_IMAGES: &[&str] = &[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
];
/// The default build command (Kubernetes' Makefile).
pub const DEFAULT_COMMAND: &str =
    "make all WHAT=\"$KLTS_WHAT\" KUBE_BUILD_PLATFORMS=$KLTS_PLATFORM";
/// Where Kubernetes' Makefile puts the binaries of one platform.
pub const DEFAULT_ARTIFACTS: &str = "_output/local/bin/{os}/{arch}";
/// The default test command.
pub const DEFAULT_TEST_COMMAND: &str = "make test WHAT=\"$KLTS_TEST_DIRS\"";
/// Default retries of failing test packages.
pub const DEFAULT_RETRIES: u32 = 2;
/// containerd: what `make binaries` writes under `bin/` and distributions package.
pub const CONTAINERD_TARGETS: &[&str] = &[
    "containerd",
    "containerd-shim",
    "containerd-shim-runc-v1",
    "containerd-shim-runc-v2",
    "ctr",
];
/// containerd's shims: each exists only in some versions.
pub const CONTAINERD_OPTIONAL_TARGETS: &[&str] = &[
    "containerd-shim",
    "containerd-shim-runc-v1",
    "containerd-shim-runc-v2",
];
/// `go test` of the packages still failing, or of every package.
pub const GO_TEST_COMMAND: &str = "go test ${KLTS_TEST_DIRS:-./...}";

fn unplaced(s: &str) -> Spanned<String> {
    Spanned {
        value: s.to_string(),
        loc: Location::default(),
    }
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            platforms: DEFAULT_PLATFORMS
                .iter()
                .map(|p| Spanned {
                    value: Platform::parse(p).expect("default platforms are valid"),
                    loc: Location::default(),
                })
                .collect(),
            targets: DEFAULT_TARGETS.iter().map(|s| unplaced(s)).collect(),
            images: DEFAULT_IMAGES.iter().map(|s| unplaced(s)).collect(),
            command: unplaced(DEFAULT_COMMAND),
            artifacts: unplaced(DEFAULT_ARTIFACTS),
            env: BTreeMap::new(),
            test: TestConfig {
                command: unplaced(DEFAULT_TEST_COMMAND),
                retries: DEFAULT_RETRIES,
                timeout: None,
            },
            go: GoSetting::default(),
            import_path: None,
            loc: None,
            explicit: BTreeSet::new(),
            optional_targets: Vec::new(),
        }
    }
}

impl BuildConfig {
    /// The defaults of `product` (nothing explicit); see the module docs' table.
    pub fn for_product(product: Product) -> BuildConfig {
        let mut cfg = BuildConfig::default();
        let names = |list: &[&str]| list.iter().map(|s| unplaced(s)).collect::<Vec<_>>();
        match product {
            Product::Kubernetes => {}
            Product::Containerd => {
                cfg.targets = names(CONTAINERD_TARGETS);
                cfg.optional_targets = CONTAINERD_OPTIONAL_TARGETS
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                cfg.images = Vec::new();
                cfg.command = unplaced("make binaries");
                cfg.artifacts = unplaced("bin");
                cfg.test.command = unplaced("make test");
            }
            Product::Runc => {
                cfg.targets = names(&["runc"]);
                cfg.images = Vec::new();
                cfg.command = unplaced("make runc");
                cfg.artifacts = unplaced(".");
                cfg.test.command = unplaced(GO_TEST_COMMAND);
            }
            Product::Generic => {
                // Nothing to guess: `missing_for_build` asks for them.
                cfg.targets = Vec::new();
                cfg.images = Vec::new();
                cfg.command = unplaced("");
                cfg.artifacts = unplaced("bin");
                cfg.test.command = unplaced(GO_TEST_COMMAND);
            }
        }
        cfg
    }

    /// This section with every key the manifest did not write taken from `product`'s
    /// defaults. Keys without product defaults (`platforms`, `env`, `go`, `import_path`,
    /// `test.timeout`) are kept as they are.
    pub fn with_product_defaults(mut self, product: Product) -> BuildConfig {
        let d = BuildConfig::for_product(product);
        let unset = |key: &str| !self.explicit.contains(key);
        if unset("targets") {
            self.targets = d.targets;
            self.optional_targets = d.optional_targets;
        }
        if unset("images") {
            self.images = d.images;
        }
        if unset("command") {
            self.command = d.command;
        }
        if unset("artifacts") {
            self.artifacts = d.artifacts;
        }
        if unset("test.command") {
            self.test.command = d.test.command;
        }
        if unset("test.retries") {
            self.test.retries = d.test.retries;
        }
        self
    }

    /// Why `klts build` cannot run with this section (a generic Go project without
    /// `build.command` or `build.targets`), with what to write; `None` when it can.
    pub fn missing_for_build(&self) -> Option<String> {
        let mut missing = Vec::new();
        if self.command.value.trim().is_empty() {
            missing.push("build.command");
        }
        if self.targets.is_empty() && !self.explicit.contains("targets") {
            missing.push("build.targets");
        }
        (!missing.is_empty()).then(|| {
            format!(
                "a generic Go project has no default build: {} not set in releases.yml\n  help: set build.command and build.targets (e.g. `command: make`, `targets: [mytool]`, `artifacts: bin`), or name the product with `product:` if it is kubernetes, containerd or runc",
                missing.join(" and ")
            )
        })
    }

    /// The artifacts directory of one platform (relative to the working tree).
    pub fn artifacts_dir(&self, platform: &Platform) -> String {
        self.artifacts
            .value
            .replace("{os}", &platform.os)
            .replace("{arch}", &platform.arch)
    }
}

/// Parse a duration: `90s`, `30m`, `2h`, `1h30m`, `1d`, `12w`, `18mo`, `2y`. A bare number is
/// seconds.
///
/// The one duration syntax of klts (test timeouts, key expiry, `Valid-Until`): `s` seconds,
/// `m` minutes (always: months are `mo`, so `18m` can never mean a year and a half in one place
/// and 18 minutes in another), `h` hours, `d` days, `w` weeks, `mo` months of 30 days, `y`
/// years of 365 days. Units can be combined, largest first or not (`1h30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || {
        format!("`{s}` is not a duration: write e.g. 90s, 30m (minutes), 2h, 1h30m, 90d, 12w, 18mo (months) or 2y")
    };
    if t.is_empty() || t.len() > 64 {
        return Err(bad());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("mo") {
            (30 * 86400, 2)
        } else {
            match rest.chars().next() {
                Some('s') => (1, 1),
                Some('m') => (60, 1),
                Some('h') => (3600, 1),
                Some('d') => (86400, 1),
                Some('w') => (7 * 86400, 1),
                Some('y') => (365 * 86400, 1),
                _ => return Err(bad()),
            }
        };
        rest = &rest[len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(Duration::from_secs(total))
}

impl Parser<'_> {
    /// Parse the `build:` mapping at `node` (the value of the `build` key at `key_loc`).
    pub(crate) fn build_section(
        &mut self,
        node: &MarkedYaml<'_>,
        key_loc: Location,
    ) -> Result<BuildConfig, ManifestError> {
        let mut cfg = BuildConfig {
            loc: Some(key_loc),
            ..BuildConfig::default()
        };
        if matches!(node.data, YamlData::Value(Scalar::Null)) {
            return Ok(cfg);
        }
        for (key, value) in self.mapping(node, "`build`")? {
            match key.value.as_str() {
                "platforms" => {
                    let mut list = Vec::new();
                    for s in self.strings(value, "build.platforms")? {
                        let p = Platform::parse(&s.value).map_err(|m| self.err(s.loc, m))?;
                        if list.iter().any(|q: &Spanned<Platform>| q.value == p) {
                            return Err(self.err(s.loc, format!("platform `{p}` is listed twice")));
                        }
                        list.push(Spanned {
                            value: p,
                            loc: s.loc,
                        });
                    }
                    if list.is_empty() {
                        return Err(self.err(
                            loc(value),
                            "`build.platforms` is empty: list at least one, e.g. [linux/amd64]",
                        ));
                    }
                    cfg.platforms = list;
                    cfg.explicit.insert("platforms");
                }
                "targets" => {
                    cfg.targets = self.names(value, "build.targets")?;
                    cfg.explicit.insert("targets");
                }
                "images" => {
                    cfg.images = self.names(value, "build.images")?;
                    cfg.explicit.insert("images");
                }
                "command" => {
                    cfg.command = self.command(value, "build.command")?;
                    cfg.explicit.insert("command");
                }
                "artifacts" => {
                    let a =
                        self.non_empty(self.string(value, "build.artifacts")?, "build.artifacts")?;
                    if a.value.starts_with('/') || a.value.split('/').any(|c| c == "..") {
                        return Err(self.err(
                            a.loc,
                            format!("`build.artifacts` must be a path inside the working tree, found `{}`", a.value),
                        ));
                    }
                    cfg.artifacts = a;
                    cfg.explicit.insert("artifacts");
                }
                "env" => {
                    for (k, v) in self.mapping(value, "`build.env`")? {
                        if k.value.is_empty()
                            || !k
                                .value
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        {
                            return Err(self.err(
                                k.loc,
                                format!(
                                    "`{}` is not an environment variable name (letters, digits, _)",
                                    k.value
                                ),
                            ));
                        }
                        let v = self.scalar_text(v, &format!("build.env.{}", k.value))?;
                        cfg.env.insert(k.value, v);
                    }
                }
                "test" => cfg.test = self.test_section(value, &mut cfg.explicit)?,
                "go" => cfg.go = self.go_setting(value)?,
                "import_path" => {
                    let p = self.non_empty(
                        self.string(value, "build.import_path")?,
                        "build.import_path",
                    )?;
                    if !is_go_import_path(&p.value) {
                        return Err(self.err(
                            p.loc,
                            format!("`{}` is not a Go import path: write e.g. github.com/containerd/containerd", p.value),
                        ));
                    }
                    cfg.import_path = Some(p);
                }
                _ => self.unknown(key, "build", crate::manifest::keys::BUILD),
            }
        }
        Ok(cfg)
    }

    fn go_version(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<Spanned<GoRelease>, ManifestError> {
        if let YamlData::Value(Scalar::FloatingPoint(f)) = &node.data {
            return Err(self.err(
                loc(node),
                format!("`{what}` is the YAML number {f}, which loses trailing zeros (1.20 reads as 1.2): quote it ('1.20.14') or write go1.20.14"),
            ));
        }
        let s = self.string(node, what)?;
        let v =
            GoRelease::parse(&s.value).map_err(|m| self.err(s.loc, format!("`{what}`: {m}")))?;
        Ok(Spanned {
            value: v,
            loc: s.loc,
        })
    }

    fn go_setting(&mut self, node: &MarkedYaml<'_>) -> Result<GoSetting, ManifestError> {
        let mut g = GoSetting::default();
        if matches!(node.data, YamlData::Mapping(_)) {
            for (key, value) in self.mapping(node, "`build.go`")? {
                if g.by_release.iter().any(|(k, _)| k.value == key.value) {
                    return Err(self.err(
                        key.loc,
                        format!("`{}` is listed twice in `build.go`", key.value),
                    ));
                }
                let v = self.go_version(value, &format!("build.go.{}", key.value))?;
                g.by_release.push((key, v));
            }
        } else {
            g.all = Some(self.go_version(node, "build.go")?);
        }
        Ok(g)
    }

    fn test_section(
        &mut self,
        node: &MarkedYaml<'_>,
        explicit: &mut BTreeSet<&'static str>,
    ) -> Result<TestConfig, ManifestError> {
        let mut t = BuildConfig::default().test;
        if matches!(node.data, YamlData::Value(Scalar::Null)) {
            return Ok(t);
        }
        for (key, value) in self.mapping(node, "`build.test`")? {
            match key.value.as_str() {
                "command" => {
                    t.command = self.command(value, "build.test.command")?;
                    explicit.insert("test.command");
                }
                "retries" => {
                    explicit.insert("test.retries");
                    t.retries = match &value.data {
                        YamlData::Value(Scalar::Integer(n)) if (0..=100).contains(n) => *n as u32,
                        _ => {
                            return Err(self.err(
                                loc(value),
                                format!(
                            "expected a number from 0 to 100 for `build.test.retries`, found {}",
                            describe(value)
                        ),
                            ))
                        }
                    }
                }
                "timeout" => {
                    let s = self.scalar_text(value, "build.test.timeout")?;
                    let d = parse_duration(&s).map_err(|m| self.err(loc(value), m))?;
                    t.timeout = (!d.is_zero()).then_some(d);
                    explicit.insert("test.timeout");
                }
                _ => self.unknown(key, "build.test", crate::manifest::keys::BUILD_TEST),
            }
        }
        Ok(t)
    }

    fn names(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<Vec<Spanned<String>>, ManifestError> {
        let list = self.strings(node, what)?;
        for (i, s) in list.iter().enumerate() {
            if !s
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                || s.value.starts_with('.')
            {
                return Err(self.err(
                    s.loc,
                    format!(
                        "`{}` in `{what}` is not a binary name (letters, digits, -, _, .)",
                        s.value
                    ),
                ));
            }
            if list[..i].iter().any(|p| p.value == s.value) {
                return Err(self.err(s.loc, format!("`{}` is listed twice in `{what}`", s.value)));
            }
        }
        Ok(list)
    }

    fn command(&self, node: &MarkedYaml<'_>, what: &str) -> Result<Spanned<String>, ManifestError> {
        self.non_empty(self.string(node, what)?, what)
    }

    /// A scalar as text: strings, numbers and booleans (for `env` values and durations).
    fn scalar_text(&self, node: &MarkedYaml<'_>, what: &str) -> Result<String, ManifestError> {
        match &node.data {
            YamlData::Value(Scalar::Integer(i)) => Ok(i.to_string()),
            YamlData::Value(Scalar::Boolean(b)) => Ok(b.to_string()),
            YamlData::Value(Scalar::FloatingPoint(f)) => Ok(f.to_string()),
            YamlData::Value(Scalar::Null) => Ok(String::new()),
            _ => Ok(self.string(node, what)?.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Manifest;
    use std::path::Path;

    fn parse(s: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(s, Path::new("releases.yml"))
    }

    #[test]
    fn defaults_are_kubernetes() {
        let m = parse("base: x\nreleases: []\n").unwrap();
        let b = &m.build;
        assert_eq!(b.loc, None);
        let p: Vec<String> = b.platforms.iter().map(|p| p.value.to_string()).collect();
        assert_eq!(p, ["linux/amd64", "linux/arm64"]);
        let t: Vec<&str> = b.targets.iter().map(|t| t.value.as_str()).collect();
        assert_eq!(t, ["kubectl", "kubelet", "kubeadm"]);
        assert_eq!(b.images.len(), 4);
        assert_eq!(
            b.artifacts_dir(&Platform::parse("linux/arm64").unwrap()),
            "_output/local/bin/linux/arm64"
        );
        assert_eq!(b.test.retries, 2);
    }

    #[test]
    fn section_is_parsed_with_positions() {
        let m = parse(
            "base: x\nbuild:\n  platforms: [linux/arm64]\n  targets: [kubectl]\n  images: []\n  command: ./build.sh\n  artifacts: out/{os}-{arch}\n  env: {A: 1, B_2: two}\n  colour: red\n  test:\n    command: go test ./...\n    retries: 3\n    timeout: 1h30m\n    flaky: yes\n",
        )
        .unwrap();
        let b = &m.build;
        assert_eq!(b.loc, Some(Location { line: 2, col: 1 }));
        assert_eq!(b.platforms[0].value.arch, "arm64");
        assert_eq!(b.platforms[0].loc, Location { line: 3, col: 15 });
        assert!(b.images.is_empty());
        assert_eq!(b.command.value, "./build.sh");
        assert_eq!(b.command.loc.line, 6);
        assert_eq!(b.artifacts_dir(&b.platforms[0].value), "out/linux-arm64");
        assert_eq!(b.env.get("A").map(String::as_str), Some("1"));
        assert_eq!(b.test.retries, 3);
        assert_eq!(b.test.timeout, Some(Duration::from_secs(5400)));
        let unknown: Vec<(&str, usize)> = m
            .unknown_keys
            .iter()
            .map(|k| (k.key.value.as_str(), k.key.loc.line))
            .collect();
        assert_eq!(unknown, [("colour", 9), ("flaky", 14)]);
    }

    #[test]
    fn bad_values_point_at_them() {
        let cases: &[(&str, usize, &str)] = &[
            ("build:\n  platforms: [linux]\n", 2, "os/arch"),
            ("build:\n  platforms: []\n", 2, "is empty"),
            ("build:\n  targets: [../etc]\n", 2, "not a binary name"),
            ("build:\n  targets: [a, a]\n", 2, "twice"),
            ("build:\n  command: ''\n", 2, "is empty"),
            ("build:\n  artifacts: /abs\n", 2, "inside the working tree"),
            ("build:\n  test:\n    retries: many\n", 3, "0 to 100"),
            ("build:\n  test:\n    timeout: soon\n", 3, "not a duration"),
            ("build:\n  env: {'A B': x}\n", 2, "environment variable"),
            ("build: [x]\n", 1, "expected a mapping"),
            ("build:\n  go: 1.20\n", 2, "quote it"),
            ("build:\n  go: latest\n", 2, "not a Go version"),
            ("build:\n  go: {v1.16: go1.15.x}\n", 2, "not a Go version"),
            ("build:\n  import_path: ../x\n", 2, "not a Go import path"),
        ];
        for (yaml, line, text) in cases {
            let err = parse(&format!("base: x\n{yaml}")).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(text), "{yaml}: {msg}");
            assert_eq!(
                err.location().map(|l| l.line),
                Some(line + 1),
                "{yaml}: {msg}"
            );
        }
    }

    #[test]
    fn go_setting_by_release_and_line() {
        let m = parse(
            "base: x\nbuild:\n  go:\n    v1.16: go1.15.15\n    v1.16.15-lts.2: '1.16.15'\n  import_path: k8s.io/kubernetes\n",
        )
        .unwrap();
        let g = &m.build.go;
        let at = |r: &str| g.for_release(r).map(|v| v.value.to_string());
        assert_eq!(at("v1.16.15-lts.1").as_deref(), Some("1.15.15"));
        assert_eq!(at("v1.16.15-lts.2").as_deref(), Some("1.16.15"));
        assert_eq!(at("v1.161.0"), None);
        assert_eq!(at("v1.17.17-lts.1"), None);
        assert_eq!(
            m.build.import_path.as_ref().unwrap().value,
            "k8s.io/kubernetes"
        );
        let m = parse("base: x\nbuild:\n  go: go1.13.15\n").unwrap();
        assert_eq!(
            m.build
                .go
                .for_release("anything")
                .unwrap()
                .value
                .to_string(),
            "1.13.15"
        );
        assert_eq!(m.build.go.for_release("anything").unwrap().loc.line, 3);
        assert!(m.unknown_keys.is_empty());
    }

    #[test]
    fn unset_keys_follow_the_product() {
        let m = parse("base: x\nreleases: []\n").unwrap();
        assert!(m.build.explicit.is_empty());
        let c = m.build.clone().with_product_defaults(Product::Containerd);
        let t: Vec<&str> = c.targets.iter().map(|t| t.value.as_str()).collect();
        assert_eq!(t, CONTAINERD_TARGETS);
        assert!(c.images.is_empty());
        assert_eq!(c.command.value, "make binaries");
        assert_eq!(c.artifacts.value, "bin");
        assert_eq!(c.test.command.value, "make test");
        assert_eq!(c.optional_targets.len(), 3);
        let r = m.build.clone().with_product_defaults(Product::Runc);
        assert_eq!(r.targets[0].value, "runc");
        assert_eq!(
            r.artifacts_dir(&Platform::parse("linux/arm64").unwrap()),
            "."
        );
        assert_eq!(r.command.value, "make runc");
        assert_eq!(r.missing_for_build(), None);
        let k = m.build.clone().with_product_defaults(Product::Kubernetes);
        assert_eq!(k, m.build);
        let g = m.build.clone().with_product_defaults(Product::Generic);
        let why = g.missing_for_build().unwrap();
        assert!(why.contains("build.command and build.targets"), "{why}");
    }

    #[test]
    fn written_keys_win_over_the_product() {
        let m = parse(
            "base: x\nbuild:\n  targets: [ctr]\n  command: ./build.sh\n  test:\n    retries: 0\n",
        )
        .unwrap();
        let e: Vec<&str> = m.build.explicit.iter().copied().collect();
        assert_eq!(e, ["command", "targets", "test.retries"]);
        let c = m.build.clone().with_product_defaults(Product::Containerd);
        assert_eq!(c.targets.len(), 1);
        assert!(c.optional_targets.is_empty(), "listed targets are required");
        assert_eq!(c.command.value, "./build.sh");
        assert_eq!(c.artifacts.value, "bin");
        assert_eq!(c.test.retries, 0);
        assert_eq!(c.test.command.value, "make test");
        let g = parse("base: x\nbuild:\n  command: make\n  targets: []\n")
            .unwrap()
            .build
            .with_product_defaults(Product::Generic);
        assert_eq!(
            g.missing_for_build(),
            None,
            "an explicit empty list is a choice"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("5m3").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(
            parse_duration("18mo"),
            Ok(Duration::from_secs(18 * 30 * 86400))
        );
        assert_eq!(parse_duration("18m"), Ok(Duration::from_secs(18 * 60)));
        assert_eq!(
            parse_duration("2y"),
            Ok(Duration::from_secs(2 * 365 * 86400))
        );
        assert_eq!(
            parse_duration("12w"),
            Ok(Duration::from_secs(12 * 7 * 86400))
        );
        assert!(parse_duration("5mox").is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn build_section_never_panics(s in "build:\n(  (platforms|targets|images|command|artifacts|env|test|retries|timeout|go|import_path): [a-z0-9/{}\\[\\], :-]{0,16}\n){0,6}") {
                let _ = parse(&format!("base: x\n{s}"));
            }

            #[test]
            fn durations_never_panic(s in "\\PC{0,12}") {
                let _ = parse_duration(&s);
            }

            #[test]
            fn generated_durations_round_trip(h in 0u64..100, m in 0u64..60, sec in 0u64..60) {
                let text = format!("{h}h{m}m{sec}s");
                prop_assert_eq!(parse_duration(&text), Ok(Duration::from_secs(h * 3600 + m * 60 + sec)));
            }
        }
    }
}
