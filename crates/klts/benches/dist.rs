//! # `dist` benchmark: klts's native package and repository writers against the Debian/RPM tools
//!
//! Run with `cargo bench -p klts --bench dist`. Options:
//!
//! * `--quick` (`cargo bench -p klts --bench dist -- --quick`) or `KLTS_BENCH_QUICK=1` — binaries
//!   a tenth of the size, for a fast check;
//! * `KLTS_BENCH_KEEP=1` — print and keep the temporary directory;
//! * `KLTS_BENCH_STRICT=1` — exit non-zero when a step fails.
//!
//! ## Input
//!
//! One release (`v1.17.17-lts.3`) built for two architectures (`amd64`, `arm64`), each with
//! `kubeadm` (40 MB), `kubectl` (44 MB) and `kubelet` (50 MB): 6 packages, 268 MB of binaries.
//! The bytes are real machine code, so that gzip has the work it has on a Go binary: windows
//! of a pool made of the ELF executables in `/usr/bin` (Go binaries first, found by their
//! `Go buildinf:` marker, then any other ELF file of at least 1 MB, by name), each binary
//! starting at a different offset. On a machine with fewer than 8 MB of such files, a
//! deterministic pseudo-random mix of incompressible blocks and repetitive symbol-table-like
//! text is used instead (reported in the output).
//!
//! ## What is measured (median of 3 runs each, `sync` before every timed run)
//!
//! 1. **.deb** — klts: `package::package_release` with `--format deb` for both architectures
//!    (reads the binaries, builds control + md5sums, data.tar.gz at gzip level 9, writes and
//!    swaps the output directory). Baseline: what the old pipeline ran through
//!    dpkg-buildpackage, `dpkg-deb --build -Zgzip -z9 --root-owner-group` on a staged tree
//!    with the same files and control data (`DEBIAN/control`, `md5sums`, `conffiles`), one
//!    package after another. Staging the tree and the md5sums is **not** timed, so the
//!    baseline is favoured.
//! 2. **.rpm** — klts: `package_release` with `--format rpm` (unsigned), gzip level 9.
//!    Baseline: `rpmbuild -bb --target <arch>` of an equivalent spec per package (same files,
//!    modes, `%config(noreplace)`, `Requires`), with `_binary_payload w9.gzdio` (the same gzip
//!    level as klts), no strip/debuginfo (`__os_install_post`, `debug_package` `%{nil}`), no
//!    build-id links and `AutoReqProv: no`. Its `%install` copies the staged files into the
//!    build root, as a real spec does. Skipped when `rpmbuild` is missing.
//! 3. **apt repository** — klts: `apt::publish` of the 6 debs with a generated Ed25519 key
//!    (two suites: `v1.17.17-lts.3` and `v1.17`; pool copy, `Packages` + `.gz`, `Release`,
//!    `InRelease`, `Release.gpg`, the public key; every file fsynced). Baseline: a shell script
//!    doing the same with `cp` into the pool, `dpkg-scanpackages -a <arch>` once per
//!    architecture (shared by both suites), `gzip -9n`, `md5sum`/`sha256sum` for `Release`,
//!    `gpg --clearsign` and `gpg --detach-sign` with the same key imported into a temporary
//!    GnuPG home, `gpg --export`, then `sync`. Skipped when `dpkg-scanpackages` or `gpg` is
//!    missing.

#[path = "common/mod.rs"]
mod common;

use klts_core::version::Version;
use klts_dist::apt::{self, AptOptions};
use klts_dist::package::{self, Arch, Format, PackageOptions, BINARIES};
use klts_dist::pkgversion::package_version;
use klts_dist::sign::{self, KeyParams, SigningKey};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The packaged release.
const RELEASE: &str = "v1.17.17-lts.3";
/// `SOURCE_DATE_EPOCH` of the packages, date and signature time of the repositories.
const EPOCH: u64 = 1_700_000_000;
/// Timed runs per measurement; the median is reported.
const RUNS: usize = 3;
/// The architectures packaged.
const ARCHES: [Arch; 2] = [Arch::Amd64, Arch::Arm64];
/// Binary sizes in MB (10^6 bytes) at full size.
const SIZES_MB: [(&str, usize); 3] = [("kubeadm", 40), ("kubectl", 44), ("kubelet", 50)];
/// Smallest pool of real ELF bytes worth using (else synthetic data).
const MIN_POOL: usize = 8 << 20;
/// Pool size aimed for, so that the 6 binaries are different windows of it.
const POOL_TARGET: usize = 128 << 20;

struct Config {
    quick: bool,
}

impl Config {
    fn from_env() -> Config {
        let flag = |name: &str| env::var(name).is_ok_and(|v| v == "1");
        Config {
            quick: env::args().any(|a| a == "--quick") || flag("KLTS_BENCH_QUICK"),
        }
    }
}

fn main() {
    let cfg = Config::from_env();
    common::run_in_tempdir("klts-bench-dist-", |root| run(&cfg, root));
}

// ---------------------------------------------------------------------------------------------
// measurements

/// One row of the report: the baseline and klts, each as its sorted run times.
struct Row {
    what: &'static str,
    baseline_name: &'static str,
    klts_name: &'static str,
    baseline: Result<Vec<Duration>, String>,
    klts: Result<Vec<Duration>, String>,
    note: String,
}

fn run(cfg: &Config, root: &Path) -> bool {
    println!("klts dist benchmark");
    let release = Version::parse(RELEASE).expect("release version");
    let div = if cfg.quick { 10 } else { 1 };

    // 1. Inputs.
    eprintln!("generating binaries ...");
    let t = Instant::now();
    let (pool, source) = input_pool();
    let bins = root.join("bins");
    let mut total = 0usize;
    for (ai, arch) in ARCHES.iter().enumerate() {
        let dir = bins.join(arch.go());
        fs::create_dir_all(&dir).expect("create bins dir");
        for (bi, (bin, mb)) in SIZES_MB.iter().enumerate() {
            let size = mb * 1_000_000 / div;
            // Different, spread-out windows of the pool for every binary.
            let start = (ai * 3 + bi) * (pool.len() / 6) + ai * 4099 + bi * 65_537;
            let mut data = Vec::with_capacity(size);
            let mut at = start % pool.len();
            while data.len() < size {
                let n = (size - data.len()).min(pool.len() - at);
                data.extend_from_slice(&pool[at..at + n]);
                at = (at + n) % pool.len();
            }
            let path = dir.join(bin);
            fs::write(&path, &data).expect("write binary");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
            total += size;
        }
    }
    drop(pool);
    println!(
        "  input: {} × {{kubeadm, kubectl, kubelet}} = {} binaries, {:.0} MB, from {source} ({})",
        ARCHES.len(),
        ARCHES.len() * BINARIES.len(),
        total as f64 / 1e6,
        secs(t.elapsed())
    );

    let mut rows = Vec::new();

    // 2. .deb
    eprintln!("deb: staging the dpkg-deb trees ...");
    let staged = stage_debs(root, &bins, &release);
    let deb_base = timed_runs("dpkg-deb", |i| {
        let out = root.join(format!("dpkg-deb-{i}"));
        fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        sync();
        let t = Instant::now();
        for (stage, name) in &staged {
            let mut c = Command::new("dpkg-deb");
            c.args(["--build", "-Zgzip", "-z9", "--root-owner-group"])
                .arg(stage)
                .arg(out.join(name));
            check(c)?;
        }
        Ok(t.elapsed())
    });
    let mut klts_deb_out = None;
    let deb_klts = timed_runs("klts deb", |i| {
        let out = out_dir(root, &bins, &format!("klts-deb-{i}"));
        sync();
        let t = Instant::now();
        package::package_release(&out, &release, &options(Format::Deb))
            .map_err(|e| e.to_string())?;
        let d = t.elapsed();
        klts_deb_out = Some(out);
        Ok(d)
    });
    let note = size_note(
        &root.join("dpkg-deb-0"),
        &root.join(format!("klts-deb-0/{RELEASE}/deb")),
        "deb",
    );
    rows.push(Row {
        what: ".deb (6 packages, gzip -9)",
        baseline_name: "dpkg-deb --build -Zgzip -z9 --root-owner-group",
        klts_name: "klts package_release (deb)",
        baseline: deb_base,
        klts: deb_klts,
        note,
    });

    // 3. .rpm
    let rpm_base = if have("rpmbuild") {
        eprintln!("rpm: staging the rpmbuild specs ...");
        let specs = stage_rpms(root, &bins, &release);
        timed_runs("rpmbuild", |i| {
            let top = root.join(format!("rpmbuild-{i}"));
            fs::create_dir_all(&top).map_err(|e| e.to_string())?;
            sync();
            let t = Instant::now();
            for (spec, target) in &specs {
                let mut c = Command::new("rpmbuild");
                c.args(["-bb", "--quiet", "--target", target, "--define"])
                    .arg(format!("_topdir {}", top.display()))
                    .arg(spec);
                check(c)?;
            }
            Ok(t.elapsed())
        })
    } else {
        Err("rpmbuild not found (apt-get install rpm)".to_string())
    };
    let rpm_klts = timed_runs("klts rpm", |i| {
        let out = out_dir(root, &bins, &format!("klts-rpm-{i}"));
        sync();
        let t = Instant::now();
        package::package_release(&out, &release, &options(Format::Rpm))
            .map_err(|e| e.to_string())?;
        Ok(t.elapsed())
    });
    let note = size_note(
        &root.join("rpmbuild-0/RPMS"),
        &root.join(format!("klts-rpm-0/{RELEASE}/rpm")),
        "rpm",
    );
    rows.push(Row {
        what: ".rpm (6 packages, gzip -9)",
        baseline_name: "rpmbuild -bb (w9.gzdio, no strip)",
        klts_name: "klts package_release (rpm)",
        baseline: rpm_base,
        klts: rpm_klts,
        note,
    });

    // 4. apt repository
    if let Some(debs_out) = klts_deb_out {
        let (apt_base, apt_klts, note) = bench_apt(root, &debs_out);
        rows.push(Row {
            what: "apt repository (6 debs, 2 suites)",
            baseline_name: "cp + dpkg-scanpackages + gzip + gpg",
            klts_name: "klts apt::publish",
            baseline: apt_base,
            klts: apt_klts,
            note,
        });
    }

    report(&rows)
}

/// `out/<RELEASE>/linux/<arch>/<bin>` under `root/name`, hard links to the generated binaries,
/// and the `SHA256SUMS` that `klts build` would write (`package` checks the binaries against it).
fn out_dir(root: &Path, bins: &Path, name: &str) -> PathBuf {
    let out = root.join(name);
    let mut sums = String::new();
    for arch in ARCHES {
        for bin in BINARIES {
            let data = fs::read(bins.join(arch.go()).join(bin)).expect("read binary");
            let hash = klts_forge::fsutil::sha256_hex(&data);
            sums.push_str(&format!("{hash}  linux/{}/{bin}\n", arch.go()));
        }
    }
    let release_dir = out.join(RELEASE);
    fs::create_dir_all(&release_dir).expect("create out dir");
    fs::write(release_dir.join("SHA256SUMS"), sums).expect("write SHA256SUMS");
    for arch in ARCHES {
        let dir = package::binaries_dir(&out, &Version::parse(RELEASE).unwrap(), arch);
        fs::create_dir_all(&dir).expect("create out dir");
        for bin in BINARIES {
            let from = bins.join(arch.go()).join(bin);
            if fs::hard_link(&from, dir.join(bin)).is_err() {
                fs::copy(&from, dir.join(bin)).expect("copy binary");
            }
        }
    }
    out
}

fn options(format: Format) -> PackageOptions {
    PackageOptions {
        formats: vec![format],
        arches: ARCHES.to_vec(),
        source_date_epoch: Some(EPOCH),
        ..PackageOptions::default()
    }
}

/// Runs `f(i)` for `i` in `0..RUNS`; the sorted times, or the first error.
fn timed_runs(
    what: &str,
    mut f: impl FnMut(usize) -> Result<Duration, String>,
) -> Result<Vec<Duration>, String> {
    let mut times = Vec::new();
    for i in 0..RUNS {
        let d = f(i).map_err(|e| {
            eprintln!("{what}: {e}");
            e
        })?;
        eprintln!("  {what} run {}: {}", i + 1, secs(d));
        times.push(d);
    }
    times.sort();
    Ok(times)
}

/// The dpkg-deb trees: one per package, with the files klts puts in the package and the
/// `DEBIAN/` control data; returns (tree, output file name).
fn stage_debs(root: &Path, bins: &Path, release: &Version) -> Vec<(PathBuf, String)> {
    let version = package_version(release, 1).expect("package version");
    let mut staged = Vec::new();
    for arch in ARCHES {
        for bin in BINARIES {
            let binary = fs::read(bins.join(arch.go()).join(bin)).expect("read binary");
            let pkg = package::deb_package(
                bin,
                binary,
                release,
                &version,
                arch,
                package::DEFAULT_MAINTAINER,
                EPOCH,
            )
            .expect("deb package");
            let stage = root.join("stage-deb").join(arch.go()).join(bin);
            let debian = stage.join("DEBIAN");
            fs::create_dir_all(&debian).expect("create DEBIAN");
            let mut conffiles = String::new();
            for f in &pkg.files {
                write_mode(&stage.join(&f.path[1..]), &f.contents, f.mode);
                if f.conffile {
                    let _ = writeln!(conffiles, "{}", f.path);
                }
            }
            let control = pkg.control_text().expect("control text");
            write_mode(&debian.join("control"), control.as_bytes(), 0o644);
            if !conffiles.is_empty() {
                write_mode(&debian.join("conffiles"), conffiles.as_bytes(), 0o644);
            }
            // md5sums as dh_md5sums writes them (not timed).
            let md5 = Command::new("sh")
                .arg("-c")
                .arg("find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 md5sum")
                .current_dir(&stage)
                .output()
                .expect("md5sum");
            assert!(md5.status.success(), "md5sum failed");
            write_mode(&debian.join("md5sums"), &md5.stdout, 0o644);
            set_dir_modes(&stage);
            let name = format!("{bin}_{}_{}.deb", version.deb(), arch.deb());
            staged.push((stage, name));
        }
    }
    staged
}

/// The rpmbuild specs: one per package, whose `%install` copies a staged tree with the files
/// klts puts in the package; returns (spec, `--target`).
fn stage_rpms(root: &Path, bins: &Path, release: &Version) -> Vec<(PathBuf, String)> {
    let version = package_version(release, 1).expect("package version");
    let mut specs = Vec::new();
    for arch in ARCHES {
        for bin in BINARIES {
            let binary = fs::read(bins.join(arch.go()).join(bin)).expect("read binary");
            let pkg = package::rpm_package(
                bin,
                binary,
                release,
                &version,
                arch,
                package::DEFAULT_MAINTAINER,
            )
            .expect("a Kubernetes package");
            let base = root.join("stage-rpm").join(arch.go()).join(bin);
            let tree = base.join("root");
            for f in &pkg.files {
                write_mode(&tree.join(&f.path[1..]), &f.contents, u32::from(f.mode));
            }
            for d in &pkg.dirs {
                fs::create_dir_all(tree.join(&d[1..])).expect("create dir");
            }
            let mut s = String::new();
            for def in [
                "_binary_payload w9.gzdio",
                "__os_install_post %{nil}",
                "debug_package %{nil}",
                "_build_id_links none",
            ] {
                let _ = writeln!(s, "%define {def}");
            }
            let _ = writeln!(s, "Name: {}", pkg.name);
            let _ = writeln!(s, "Version: {}", pkg.version);
            let _ = writeln!(s, "Release: {}", pkg.release);
            let _ = writeln!(s, "Summary: {}", pkg.summary);
            let _ = writeln!(s, "License: {}", pkg.license);
            let _ = writeln!(s, "URL: {}", pkg.url);
            let _ = writeln!(s, "Vendor: {}", pkg.packager);
            let _ = writeln!(s, "Packager: {}", pkg.packager);
            let _ = writeln!(s, "AutoReqProv: no");
            for r in &pkg.requires {
                match &r.at_least {
                    Some(v) => writeln!(s, "Requires: {} >= {v}", r.name),
                    None => writeln!(s, "Requires: {}", r.name),
                }
                .unwrap();
            }
            let _ = writeln!(s, "\n%description\n{}\n", pkg.description);
            let _ = writeln!(
                s,
                "%install\nmkdir -p %{{buildroot}}\ncp -a {}/. %{{buildroot}}/\n",
                tree.display()
            );
            let _ = writeln!(s, "%files");
            for d in &pkg.dirs {
                let _ = writeln!(s, "%dir %attr(0755,root,root) {d}");
            }
            for f in &pkg.files {
                let config = if f.config { "%config(noreplace) " } else { "" };
                let _ = writeln!(s, "{config}%attr({:04o},root,root) {}", f.mode, f.path);
            }
            let spec = base.join(format!("{bin}.spec"));
            fs::write(&spec, s).expect("write spec");
            specs.push((spec, arch.rpm().to_string()));
        }
    }
    specs
}

/// The apt measurement: (baseline, klts, note).
#[allow(clippy::type_complexity)]
fn bench_apt(
    root: &Path,
    out: &Path,
) -> (
    Result<Vec<Duration>, String>,
    Result<Vec<Duration>, String>,
    String,
) {
    eprintln!("apt: generating a key ...");
    let now = EPOCH as u32;
    let generated = sign::generate(&KeyParams {
        algorithm: sign::KeyAlgorithm::Ed25519,
        name: "KLTS Bench".into(),
        email: Some("bench@klts.invalid".into()),
        expires_in: None,
        created: now - 100,
        passphrase: None,
    })
    .expect("generate key");
    let key = SigningKey::from_bytes(
        generated.secret_armored.as_bytes(),
        Path::new("bench.asc"),
        None,
        now,
    )
    .expect("load key");
    let opts = AptOptions {
        origin: "KLTS".into(),
        label: "KLTS".into(),
        date: now,
        sign_time: now,
        valid_for: None,
        policy: Default::default(),
    };
    let klts = timed_runs("klts apt", |i| {
        let target = root.join(format!("klts-apt-{i}"));
        sync();
        let t = Instant::now();
        apt::publish(out, &[], &key, &opts, &target).map_err(|e| e.to_string())?;
        Ok(t.elapsed())
    });

    let missing: Vec<&str> = ["dpkg-scanpackages", "gpg", "md5sum", "sha256sum"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "{} not found (apt-get install dpkg-dev gnupg)",
            missing.join(", ")
        );
        return (Err(why), klts, String::new());
    }
    // The same key in a private GnuPG home (not timed).
    let gnupg = root.join("gnupg");
    fs::create_dir_all(&gnupg).expect("create gnupg home");
    fs::set_permissions(&gnupg, fs::Permissions::from_mode(0o700)).expect("chmod gnupg");
    let key_file = root.join("bench.asc");
    fs::write(&key_file, &generated.secret_armored).expect("write key");
    let mut c = Command::new("gpg");
    c.arg("--homedir")
        .arg(&gnupg)
        .args(["--batch", "--quiet", "--import"])
        .arg(&key_file);
    if let Err(e) = check(c) {
        return (Err(format!("gpg --import: {e}")), klts, String::new());
    }
    let debs: Vec<PathBuf> = {
        let dir = out.join(RELEASE).join("deb");
        let mut v: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("read deb dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "deb"))
            .collect();
        v.sort();
        v
    };
    let line = {
        let v = Version::parse(RELEASE).unwrap();
        format!("v{}.{}", v.major(), v.minor())
    };
    let arches: Vec<&str> = ARCHES.iter().map(|a| a.deb()).collect();
    let baseline = timed_runs("apt baseline", |i| {
        let target = root.join(format!("apt-baseline-{i}"));
        fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        sync();
        let t = Instant::now();
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(APT_SCRIPT)
            .arg("apt-baseline")
            .arg(&target)
            .arg(&gnupg)
            .arg(&generated.fingerprint)
            .arg(format!("{RELEASE} {line}"))
            .arg(arches.join(" "))
            .args(&debs)
            .env("LC_ALL", "C");
        check(c)?;
        Ok(t.elapsed())
    });
    let mut kill = Command::new("gpgconf");
    kill.arg("--homedir")
        .arg(&gnupg)
        .args(["--kill", "gpg-agent"]);
    let _ = check(kill);
    let note = match (
        fs::read_to_string(root.join(format!(
            "apt-baseline-0/dists/{line}/main/binary-amd64/Packages"
        ))),
        fs::read_to_string(root.join(format!(
            "klts-apt-0/dists/{line}/main/binary-amd64/Packages"
        ))),
    ) {
        (Ok(a), Ok(b)) => format!(
            "{line} amd64 Packages: {} stanzas (dpkg-scanpackages) / {} (klts)",
            a.split("\n\n").filter(|s| !s.trim().is_empty()).count(),
            b.split("\n\n").filter(|s| !s.trim().is_empty()).count()
        ),
        _ => String::new(),
    };
    (baseline, klts, note)
}

/// The baseline apt publisher: `$1` repository, `$2` GnuPG home, `$3` key, `$4` suites, `$5`
/// architectures, then the .deb files.
const APT_SCRIPT: &str = r#"set -euo pipefail
repo=$1 gnupg=$2 key=$3 suites=$4 arches=$5; shift 5
cd "$repo"
for deb in "$@"; do
  pkg=$(basename "$deb"); pkg=${pkg%%_*}
  mkdir -p "pool/main/${pkg:0:1}/$pkg"
  cp "$deb" "pool/main/${pkg:0:1}/$pkg/"
done
for arch in $arches; do
  dpkg-scanpackages -m -a "$arch" pool > "Packages.$arch" 2>/dev/null
done
for suite in $suites; do
  d=dists/$suite
  for arch in $arches; do
    mkdir -p "$d/main/binary-$arch"
    cp "Packages.$arch" "$d/main/binary-$arch/Packages"
    gzip -9nk "$d/main/binary-$arch/Packages"
  done
  files=$(cd "$d" && find main -type f | sort)
  {
    echo "Origin: KLTS"; echo "Label: KLTS"; echo "Suite: $suite"; echo "Codename: $suite"
    echo "Date: $(date -u -R)"; echo "Architectures: $arches"; echo "Components: main"
    echo "Description: KLTS packages for $suite"; echo "Acquire-By-Hash: no"
    echo "MD5Sum:"
    for f in $files; do printf ' %s %8d %s\n' "$(md5sum < "$d/$f" | cut -d' ' -f1)" "$(stat -c %s "$d/$f")" "$f"; done
    echo "SHA256:"
    for f in $files; do printf ' %s %8d %s\n' "$(sha256sum < "$d/$f" | cut -d' ' -f1)" "$(stat -c %s "$d/$f")" "$f"; done
  } > "$d/Release"
  gpg --homedir "$gnupg" --batch --yes -u "$key" --digest-algo SHA256 --clearsign -o "$d/InRelease" "$d/Release"
  gpg --homedir "$gnupg" --batch --yes -u "$key" --digest-algo SHA256 --armor --detach-sign -o "$d/Release.gpg" "$d/Release"
done
rm -f Packages.*
gpg --homedir "$gnupg" --batch --armor --export "$key" > klts.asc
gpg --homedir "$gnupg" --batch --export "$key" > klts.gpg
sync
"#;

// ---------------------------------------------------------------------------------------------
// input data

/// The bytes the binaries are cut from, and a description of where they came from.
fn input_pool() -> (Vec<u8>, String) {
    let mut go = Vec::new();
    let mut other = Vec::new();
    if let Ok(entries) = fs::read_dir("/usr/bin") {
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let Ok(meta) = fs::metadata(&p) else { continue };
            if !meta.is_file() || meta.len() < 1 << 20 {
                continue;
            }
            let Ok(bytes) = fs::read(&p) else { continue };
            if !bytes.starts_with(b"\x7fELF") {
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if contains(&bytes, b"\xff Go buildinf:") {
                go.push((name, bytes));
            } else {
                other.push((name, bytes));
            }
        }
    }
    let mut pool = Vec::new();
    let mut used = Vec::new();
    for (name, bytes) in go.into_iter().chain(other) {
        if pool.len() >= POOL_TARGET {
            break;
        }
        let n = bytes.len().min(POOL_TARGET - pool.len());
        pool.extend_from_slice(&bytes[..n]);
        used.push(name);
    }
    if pool.len() >= MIN_POOL {
        let shown = if used.len() > 6 {
            format!("{}, … ({} files)", used[..6].join(", "), used.len())
        } else {
            used.join(", ")
        };
        let mb = pool.len() as f64 / 1e6;
        return (pool, format!("{mb:.0} MB of /usr/bin ELF files: {shown}"));
    }
    (
        synthetic(64 << 20),
        "synthetic data (no ELF files found)".into(),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Deterministic stand-in for a Go binary: 4 KiB blocks, about 40% pseudo-random (code-like,
/// barely compressible) and 60% symbol-table-like text (compressible).
fn synthetic(size: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "k8s.io/kubernetes/pkg/",
        "runtime.",
        "github.com/",
        "(*Controller).",
        "sync.(*Mutex).Lock",
        "encoding/json.",
        "reflect.Value.",
        "k8s.io/apimachinery/pkg/util/",
        "net/http.(*conn).serve",
        "main.main",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        if next() % 10 < 4 {
            for _ in 0..512 {
                out.extend_from_slice(&next().to_le_bytes());
            }
        } else {
            let end = out.len() + 4096;
            while out.len() < end {
                let r = next();
                out.extend_from_slice(WORDS[(r % WORDS.len() as u64) as usize].as_bytes());
                out.extend_from_slice(format!("{}\0", (r >> 32) % 1000).as_bytes());
            }
        }
    }
    out.truncate(size);
    out
}

// ---------------------------------------------------------------------------------------------
// helpers

fn write_mode(path: &Path, data: &[u8], mode: u32) {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).expect("create parent");
    }
    fs::write(path, data).expect("write file");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Every directory 0755, as dh_fixperms leaves them.
fn set_dir_modes(dir: &Path) {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).expect("chmod dir");
    for e in fs::read_dir(dir).expect("read dir").flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            set_dir_modes(&e.path());
        }
    }
}

fn have(tool: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|p| p.join(tool).is_file()))
}

fn check(mut c: Command) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{c:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{c:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn sync() {
    let _ = Command::new("sync").status();
}

/// Total size of the `*.ext` files under each directory (recursively).
fn size_note(baseline: &Path, klts: &Path, ext: &str) -> String {
    fn total(dir: &Path, ext: &str) -> (u64, usize) {
        let mut sum = (0, 0);
        let Ok(entries) = fs::read_dir(dir) else {
            return sum;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                let (s, n) = total(&p, ext);
                sum = (sum.0 + s, sum.1 + n);
            } else if p.extension().is_some_and(|x| x == ext) {
                sum = (
                    sum.0 + e.metadata().map(|m| m.len()).unwrap_or(0),
                    sum.1 + 1,
                );
            }
        }
        sum
    }
    let (b, bn) = total(baseline, ext);
    let (k, kn) = total(klts, ext);
    if bn == 0 || kn == 0 {
        return String::new();
    }
    format!(
        "output: {bn} files, {:.1} MB (baseline) / {kn} files, {:.1} MB (klts)",
        b as f64 / 1e6,
        k as f64 / 1e6
    )
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

fn median(times: &[Duration]) -> Duration {
    times[times.len() / 2]
}

fn report(rows: &[Row]) -> bool {
    let mut ok = true;
    println!();
    println!(
        "  {:<52} {:>10}  {:<26}  ratio",
        format!("step (median of {RUNS})"),
        "time",
        "runs"
    );
    println!("  {}", "-".repeat(104));
    for row in rows {
        println!("  {}", row.what);
        let runs = |t: &[Duration]| t.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(" ");
        match &row.baseline {
            Ok(t) => println!(
                "    {:<50} {:>10}  {:<26}  1×",
                row.baseline_name,
                secs(median(t)),
                runs(t)
            ),
            Err(e) => println!("    {:<50} skipped: {e}", row.baseline_name),
        }
        match &row.klts {
            Ok(t) => {
                let ratio = match &row.baseline {
                    Ok(b) => {
                        let r = median(b).as_secs_f64() / median(t).as_secs_f64();
                        if r >= 1.0 {
                            format!("{r:.2}× faster")
                        } else {
                            format!("{:.2}× slower", 1.0 / r)
                        }
                    }
                    Err(_) => "-".into(),
                };
                println!(
                    "    {:<50} {:>10}  {:<26}  {ratio}",
                    row.klts_name,
                    secs(median(t)),
                    runs(t)
                );
            }
            Err(e) => {
                ok = false;
                println!("    {:<50} FAILED: {e}", row.klts_name);
            }
        }
        if !row.note.is_empty() {
            println!("    {}", row.note);
        }
    }
    ok
}
