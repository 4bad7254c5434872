//! OCI image layouts for the server components: one image index per component over one image
//! manifest per platform, written reproducibly from the binaries `klts build` collected.
//!
//! ```text
//! out/<release>/oci/oci-layout                 {"imageLayoutVersion":"1.0.0"}
//! out/<release>/oci/index.json                 one entry per component, each an image index,
//!                                              annotated org.opencontainers.image.ref.name =
//!                                              "<component>:<tag>" (skopeo: oci:DIR:<component>:<tag>)
//! out/<release>/oci/blobs/sha256/<hex>         indexes, manifests, configs, layers
//! ```
//!
//! Each image is the base image's layers for that platform (if any) plus one `tar+gzip` layer
//! holding `/usr/local/bin/<component>` (mode 0755), with `Entrypoint` set to it. Its
//! configuration is the base's with only what klts sets changed (see [`BASE_CONFIG_DROPPED`]
//! for the Docker rules followed). Tar entries have uid/gid 0, user/group `root`, the epoch as
//! mtime and a fixed order; gzip has no timestamp or name; JSON is [`canonical_json`] (compact,
//! keys sorted): the same binaries, base and epoch give the same digests, byte for byte.
//!
//! The descriptor, index, manifest and configuration types are `oci-spec`'s (re-exported
//! here under the names klts used before); only the layout reading and writing is ours.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::tarball::TarWriter;

/// The server components kubeadm runs as static pods or a DaemonSet.
pub const DEFAULT_COMPONENTS: [&str; 4] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
];
/// Platforms built by default.
pub const DEFAULT_PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// Media type of an OCI image index (a multi-platform image, and each component's entry in
/// `index.json`).
pub const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image manifest (one platform's image).
pub const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image configuration blob.
pub const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of a gzip-compressed tar layer, the only layer type klts writes.
pub const MEDIA_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Media type of a Docker schema 2 image manifest, as found in base images copied from Docker
/// registries; read like [`MEDIA_MANIFEST`].
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of a Docker manifest list, read like an image index when it is a base image's entry.
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The annotation `skopeo copy oci:DIR:REF` and other tools look up REF in.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where binaries are installed in the image.
pub const BIN_DIR: &str = "usr/local/bin";

/// Why an image layout could not be built, read or checked.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// A file or directory could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        reason: String,
    },
    /// The binary of a component for a platform is not in the release directory.
    #[error("{path}: missing binary for {component} on {platform}\n  help: run `klts build` for this release first, or leave {platform} out with --platform")]
    MissingBinary {
        /// Where the binary was expected: `out/<release>/<os>/<arch>/<component>`.
        path: String,
        /// The component whose binary is missing.
        component: String,
        /// The platform, `os/arch[/variant]`.
        platform: String,
    },
    /// The tag is not a valid OCI distribution tag (see [`validate_tag`]).
    #[error("invalid tag `{tag}`: {reason}\n  help: a tag is 1-128 characters of [A-Za-z0-9_.-], not starting with `.` or `-` (e.g. v1.17.17-lts.3)")]
    Tag {
        /// The tag as given.
        tag: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A platform that is not `os/arch` or `os/arch/variant` of `[a-z0-9]`.
    #[error("invalid platform `{0}`\n  help: write OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64, linux/arm64")]
    Platform(String),
    /// A component name that is not a plain binary name of `[a-z0-9._-]`.
    #[error("invalid component name `{0}`\n  help: a component is a binary name of [a-z0-9._-], e.g. kube-apiserver")]
    Component(String),
    /// An image layout (ours or a base image) is missing, malformed or corrupt.
    #[error("{path}: {reason}\n  help: {help}")]
    Layout {
        /// The layout directory or the blob that is at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
        /// What to do about it (the `help:` line).
        help: String,
    },
    /// The base image has no manifest for one of the platforms being built.
    #[error("base image {path}: no manifest for {platform}\n  help: use a multi-platform base (an OCI layout whose index lists {platform}), or leave {platform} out with --platform")]
    BasePlatform {
        /// The base image layout directory.
        path: String,
        /// The platform it has no manifest for.
        platform: String,
    },
}

fn io_err(path: &Path, e: impl fmt::Display) -> OciError {
    OciError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// A target platform, `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system, e.g. `linux` (the OCI `os` field).
    pub os: String,
    /// CPU architecture in Go's spelling, e.g. `amd64`, `arm64` (the OCI `architecture` field).
    #[serde(rename = "architecture")]
    pub arch: String,
    /// CPU variant, e.g. `v8` for `linux/arm64/v8`; omitted from JSON when `None`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub variant: Option<String>,
}

impl FromStr for Platform {
    type Err = OciError;
    /// [`klts_core::build::platform_parts`]: the rule `klts build` uses, with a variant.
    fn from_str(s: &str) -> Result<Self, OciError> {
        match klts_core::build::platform_parts(s) {
            Some((os, arch, variant)) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: variant.map(str::to_string),
            }),
            None => Err(OciError::Platform(s.to_string())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// The spec's platform object, as written on the entries of an image index.
    pub fn to_spec(&self) -> spec::Platform {
        let mut p = spec::Platform::default();
        p.set_os(spec::Os::from(self.os.as_str()))
            .set_architecture(spec::Arch::from(self.arch.as_str()))
            .set_variant(self.variant.clone());
        p
    }

    /// Whether an index entry's platform is this one; any variant matches when this one has
    /// none.
    pub fn matches(&self, p: &spec::Platform) -> bool {
        p.os().to_string() == self.os
            && p.architecture().to_string() == self.arch
            && (self.variant.is_none() || p.variant() == &self.variant)
    }
}

/// Check an OCI distribution tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<(), OciError> {
    let err = |reason: &str| OciError::Tag {
        tag: tag.to_string(),
        reason: reason.to_string(),
    };
    let first = tag.bytes().next().ok_or_else(|| err("it is empty"))?;
    if tag.len() > 128 {
        return Err(err("it is longer than 128 characters"));
    }
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        return Err(err("it must start with a letter, digit or `_`"));
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(err(&format!("`{c}` is not allowed")));
    }
    Ok(())
}

pub(crate) fn validate_component(c: &str) -> Result<(), OciError> {
    let ok = !c.is_empty()
        && c.len() <= 80
        && !c.starts_with(['.', '-'])
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(OciError::Component(c.to_string()))
    }
}

/// The `org.opencontainers.image.ref.name` of a component's image in the layout.
pub fn ref_name(component: &str, tag: &str) -> String {
    format!("{component}:{tag}")
}

// The OCI image-spec types come from `oci-spec` (the youki/containers crate) rather than
// being written here: they model every field of the spec, so reading a base image's
// configuration and writing it back keeps what klts does not set (`User`, `Cmd`, ports,
// volumes, …). Their maps are `HashMap`s, so blobs are written through [`canonical_json`].
/// The `oci-spec` image module, for the types the aliases above do not name (`Arch`, `Os`, the
/// spec's own `Platform`, builders).
pub use oci_spec::image as spec;
pub use oci_spec::image::{
    Config as RunConfig, Descriptor, History, ImageConfiguration as ImageConfig,
    ImageIndex as Index, ImageManifest as Manifest, MediaType, RootFs,
};

/// The JSON of an index, manifest or configuration as klts writes it: compact, with the keys of
/// every object sorted. `oci-spec` keeps labels, annotations, ports and volumes in `HashMap`s,
/// whose order changes from run to run; sorting makes the bytes (and so the digests) a function
/// of the content alone, like Docker's canonical JSON.
pub fn canonical_json<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut v = serde_json::to_value(value)?;
    // A no-op unless serde_json's `preserve_order` gets enabled somewhere in the build.
    v.sort_all_objects();
    serde_json::to_vec(&v)
}

/// The keys of a base image's run configuration (`config`) that klts does not carry over,
/// following what `docker build` does for `FROM base` + `ENTRYPOINT [...]`:
///
/// * `Cmd`: Docker resets the base's `CMD` when a Dockerfile sets `ENTRYPOINT` (a base `CMD`
///   such as `["sh"]` would otherwise become arguments to the component);
/// * `OnBuild`: Docker runs the base's `ONBUILD` triggers and clears them in the new image;
///   klts runs nothing, so it drops them (with a warning);
/// * `ArgsEscaped`: a Windows flag about how `Entrypoint`/`Cmd` were written, which no longer
///   describes klts's exec-form `Entrypoint`.
///
/// Everything else the base sets — `User`, `Env`, `ExposedPorts`, `Volumes`, `WorkingDir`,
/// `Labels`, `StopSignal`, and keys `oci-spec` does not model such as Docker's `Healthcheck`
/// and `Shell` — is kept as the base has it.
pub const BASE_CONFIG_DROPPED: [&str; 3] = ["Cmd", "OnBuild", "ArgsEscaped"];

/// A base image: an OCI image layout directory, and the ref name of the image in it (optional
/// when the layout holds exactly one image). Written `DIR` or `DIR:REF` on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRef {
    /// The OCI image layout directory.
    pub dir: PathBuf,
    /// The ref name (`org.opencontainers.image.ref.name`) of the image in it; `None` when the
    /// layout holds exactly one image.
    pub reference: Option<String>,
}

impl FromStr for BaseRef {
    type Err = std::convert::Infallible;
    /// `DIR[:REF]`: the part after the first `:` is the reference (ref names may contain `:`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.split_once(':') {
            Some((dir, r)) if !dir.is_empty() && !r.is_empty() => BaseRef {
                dir: PathBuf::from(dir),
                reference: Some(r.to_string()),
            },
            _ => BaseRef {
                dir: PathBuf::from(s),
                reference: None,
            },
        })
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// `out/<release>`: binaries are read from `<os>/<arch>/<component>` below it and the layout
    /// is written to `oci/` below it.
    pub release_dir: PathBuf,
    /// The tag of every image, normally the release name (what kubeadm's
    /// `--kubernetes-version` asks for).
    pub tag: String,
    /// The components to build an image for (binary names, e.g. `kube-apiserver`); duplicates are
    /// built once.
    pub components: Vec<String>,
    /// The platforms of every image; each needs its binary under `release_dir`.
    pub platforms: Vec<Platform>,
    /// The base image to put the binary on, if any; without one the image holds only the binary.
    pub base: Option<BaseRef>,
    /// Seconds since 1970 for `created` and tar mtimes (`SOURCE_DATE_EPOCH`).
    pub epoch: u64,
}

/// One image of the layout.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltImage {
    /// The component, e.g. `kube-apiserver`.
    pub component: String,
    /// Its ref name in the layout, `<component>:<tag>`.
    pub reference: String,
    /// Digest of the image index.
    pub digest: String,
    /// One entry per platform, in the order built.
    pub platforms: Vec<BuiltPlatform>,
}

/// One platform manifest of a [`BuiltImage`].
#[derive(Debug, Clone, Serialize)]
pub struct BuiltPlatform {
    /// The platform, `os/arch[/variant]`.
    pub platform: String,
    /// Digest of the platform's image manifest.
    pub manifest: String,
    /// Number of layers, base image layers included.
    pub layers: usize,
    /// Compressed size of all layers.
    pub size: u64,
}

/// What [`build_layout`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct LayoutReport {
    /// The layout directory, `out/<release>/oci`.
    pub layout: PathBuf,
    /// One entry per component, in the order given.
    pub images: Vec<BuiltImage>,
}

/// Build the OCI image layout `release_dir/oci` (replacing a previous one only once the new
/// one is complete).
pub fn build_layout(opts: &ImageOptions) -> Result<LayoutReport, OciError> {
    validate_tag(&opts.tag)?;
    for c in &opts.components {
        validate_component(c)?;
    }
    // Each component and platform once, in the order given.
    let mut opts = opts.clone();
    let mut seen = std::collections::BTreeSet::new();
    opts.components.retain(|c| seen.insert(c.clone()));
    let mut seen = std::collections::BTreeSet::new();
    opts.platforms.retain(|p| seen.insert(p.clone()));
    let opts = &opts;
    let base = opts.base.as_ref().map(BaseLayout::open).transpose()?;
    let out = opts.release_dir.join("oci");
    std::fs::create_dir_all(&opts.release_dir).map_err(|e| io_err(&opts.release_dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".oci.tmp-")
        .tempdir_in(&opts.release_dir)
        .map_err(|e| io_err(&opts.release_dir, e))?;
    let writer = LayoutWriter::create(tmp.path())?;
    let created = rfc3339(opts.epoch);
    let mut entries = Vec::new();
    let mut images = Vec::new();
    for component in &opts.components {
        let mut manifests = Vec::new();
        let mut built = Vec::new();
        for platform in &opts.platforms {
            let bin = opts
                .release_dir
                .join(&platform.os)
                .join(&platform.arch)
                .join(component);
            if !bin.is_file() {
                return Err(OciError::MissingBinary {
                    path: bin.display().to_string(),
                    component: component.clone(),
                    platform: platform.to_string(),
                });
            }
            let (mut layers, mut base_image) = (vec![], None);
            if let Some(b) = &base {
                let img = b.for_platform(platform)?;
                for layer in &img.layers {
                    writer.copy_blob(&b.blob_path(layer.digest())?, layer.digest().as_ref())?;
                }
                if component == &opts.components[0] && has_onbuild(&img.config_json) {
                    tracing::warn!(
                        "base image {} ({platform}) has ONBUILD triggers; klts does not run them and leaves them out of its images",
                        b.layout.dir.display()
                    );
                }
                layers = img.layers.clone();
                base_image = Some(img);
            }
            let layer = writer.binary_layer(&bin, component, opts.epoch)?;
            layers.push(layer.descriptor.clone());
            let config = image_config(
                base_image.as_ref(),
                platform,
                component,
                &created,
                &layer.diff_id,
            )
            .map_err(|e| io_err(&bin, e))?;
            let config_desc = writer.blob(&config, MEDIA_CONFIG)?;
            let size = layers.iter().map(|l| l.size()).sum();
            let n_layers = layers.len();
            let manifest = spec::ImageManifestBuilder::default()
                .schema_version(2u32)
                .media_type(MediaType::ImageManifest)
                .config(config_desc)
                .layers(layers)
                .build()
                .map_err(|e| io_err(&bin, e))?;
            let mut desc = writer.json_blob(&manifest, MEDIA_MANIFEST)?;
            desc.set_platform(Some(platform.to_spec()));
            built.push(BuiltPlatform {
                platform: platform.to_string(),
                manifest: desc.digest().to_string(),
                layers: n_layers,
                size,
            });
            manifests.push(desc);
        }
        let index = new_index(manifests).map_err(|e| io_err(&opts.release_dir, e))?;
        let mut desc = writer.json_blob(&index, MEDIA_INDEX)?;
        let reference = ref_name(component, &opts.tag);
        desc.set_annotations(Some(HashMap::from([(
            ANNOTATION_REF_NAME.to_string(),
            reference.clone(),
        )])));
        images.push(BuiltImage {
            component: component.clone(),
            reference,
            digest: desc.digest().to_string(),
            platforms: built,
        });
        entries.push(desc);
    }
    let top = new_index(entries).map_err(|e| io_err(tmp.path(), e))?;
    let bytes = canonical_json(&top).map_err(|e| io_err(tmp.path(), e))?;
    write_file(&tmp.path().join("index.json"), &bytes)?;
    write_file(
        &tmp.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    swap_dir(tmp, &out)?;
    Ok(LayoutReport {
        layout: out,
        images,
    })
}

/// The `PATH` of an image whose base sets none (or that has no base): Docker's default.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn new_index(manifests: Vec<Descriptor>) -> Result<Index, oci_spec::OciSpecError> {
    spec::ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(manifests)
        .build()
}

/// Whether a configuration (as JSON) has `ONBUILD` triggers.
fn has_onbuild(config: &serde_json::Value) -> bool {
    config["config"]["OnBuild"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
}

/// The configuration (canonical JSON) of a component's image for `platform`: the base image's
/// configuration with only what klts sets changed — `created`, the platform, `Entrypoint`
/// (and so no `Cmd`; see [`BASE_CONFIG_DROPPED`]), the added layer's `diff_id` and history
/// entry, and a default `PATH` when the base sets none. Without a base, just those.
fn image_config(
    base: Option<&PlatformImage>,
    platform: &Platform,
    component: &str,
    created: &str,
    diff_id: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut config = base.map(|b| b.config.clone()).unwrap_or_default();
    let mut run = config.config().clone().unwrap_or_default();
    let mut env = run.env().clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.push(DEFAULT_PATH.into());
    }
    run.set_env(Some(env))
        .set_entrypoint(Some(vec![format!("/{BIN_DIR}/{component}")]))
        .set_cmd(None);
    let mut history = config.history().clone().unwrap_or_default();
    let mut entry = History::default();
    entry
        .set_created(Some(created.to_string()))
        .set_created_by(Some(format!("klts image: /{BIN_DIR}/{component}")));
    history.push(entry);
    config.rootfs_mut().diff_ids_mut().push(diff_id.to_string());
    config
        .set_created(Some(created.to_string()))
        .set_os(spec::Os::from(platform.os.as_str()))
        .set_architecture(spec::Arch::from(platform.arch.as_str()))
        .set_variant(platform.variant.clone())
        .set_config(Some(run))
        .set_history(Some(history));
    let mut value = serde_json::to_value(&config)?;
    // The keys of the base's run configuration that oci-spec does not model (Docker's
    // `Healthcheck`, `Shell`, …) are carried over as they are, bar the dropped ones.
    let raw = base.and_then(|b| b.config_json.get("config")?.as_object());
    if let (Some(raw), Some(out)) = (raw, value.get_mut("config").and_then(|c| c.as_object_mut())) {
        for (key, v) in raw {
            if !v.is_null()
                && !out.contains_key(key)
                && !BASE_CONFIG_DROPPED.contains(&key.as_str())
            {
                out.insert(key.clone(), v.clone());
            }
        }
    }
    canonical_json(&value)
}

/// Put the complete directory `tmp` at `dest`, replacing what was there.
fn swap_dir(tmp: tempfile::TempDir, dest: &Path) -> Result<(), OciError> {
    let path = tmp.keep();
    crate::fsdir::swap_in(&path, dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&path);
        io_err(dest, e)
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OciError> {
    std::fs::write(path, bytes).map_err(|e| io_err(path, e))
}

struct LayoutWriter {
    blobs: PathBuf,
}

struct Layer {
    descriptor: Descriptor,
    diff_id: String,
}

impl LayoutWriter {
    fn create(dir: &Path) -> Result<Self, OciError> {
        let blobs = dir.join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| io_err(&blobs, e))?;
        Ok(LayoutWriter { blobs })
    }

    /// Write `value` as a blob of canonical JSON.
    fn json_blob<T: Serialize>(&self, value: &T, media_type: &str) -> Result<Descriptor, OciError> {
        let bytes = canonical_json(value).map_err(|e| io_err(&self.blobs, e))?;
        self.blob(&bytes, media_type)
    }

    fn blob(&self, bytes: &[u8], media_type: &str) -> Result<Descriptor, OciError> {
        let hex = hex::encode(Sha256::digest(bytes));
        let path = self.blobs.join(&hex);
        if !path.exists() {
            write_file(&path, bytes)?;
        }
        descriptor(media_type, &hex, bytes.len() as u64, &path)
    }

    fn copy_blob(&self, from: &Path, digest: &str) -> Result<(), OciError> {
        let to = self.blobs.join(digest_hex(digest).unwrap_or_default());
        if !to.exists() {
            std::fs::copy(from, &to).map_err(|e| io_err(from, e))?;
        }
        Ok(())
    }

    /// A gzipped tar layer with `usr/local/bin/<component>` from `bin`.
    fn binary_layer(&self, bin: &Path, component: &str, epoch: u64) -> Result<Layer, OciError> {
        let tmp_path = self.blobs.join(format!(".layer-{component}.tmp"));
        let file = File::create(&tmp_path).map_err(|e| io_err(&tmp_path, e))?;
        let compressed = HashWriter::new(BufWriter::new(file));
        let gz = flate2::GzBuilder::new()
            .operating_system(255)
            .write(compressed, flate2::Compression::default());
        let src = File::open(bin).map_err(|e| io_err(bin, e))?;
        let len = src.metadata().map_err(|e| io_err(bin, e))?.len();
        let result = (|| -> io::Result<_> {
            let tar = layer_tar(
                HashWriter::new(gz),
                component,
                BufReader::new(src),
                len,
                epoch,
            )?;
            let (gz, diff) = tar.finish();
            let compressed = gz.finish()?;
            let (mut file, digest, size) = compressed.finish_all();
            file.flush()?;
            Ok((diff, digest, size))
        })();
        let (diff, digest, size) = result.map_err(|e| {
            let _ = std::fs::remove_file(&tmp_path);
            io_err(bin, e)
        })?;
        let digest = format!("sha256:{digest}");
        std::fs::rename(&tmp_path, self.blobs.join(&digest[7..]))
            .map_err(|e| io_err(&tmp_path, e))?;
        Ok(Layer {
            descriptor: descriptor(MEDIA_LAYER_GZIP, &digest[7..], size, &self.blobs)?,
            diff_id: format!("sha256:{}", diff.0),
        })
    }
}

/// The uncompressed tar of a component's layer: the directories of [`BIN_DIR`], then the
/// binary (`len` bytes of `bin`), all 0755 (see [`crate::tarball`] for owner and mtime).
fn layer_tar<W: Write>(
    out: W,
    component: &str,
    bin: impl Read,
    len: u64,
    epoch: u64,
) -> io::Result<W> {
    let mut tar = TarWriter::new(out, epoch);
    let mut path = String::new();
    for part in BIN_DIR.split('/') {
        path.push_str(part);
        path.push('/');
        tar.dir(&path)?;
    }
    tar.file(&format!("{BIN_DIR}/{component}"), 0o755, len, bin)?;
    tar.finish()
}

/// The descriptor of the sha256 blob `hex` (lowercase hex, as `hex::encode` writes it).
fn descriptor(media_type: &str, hex: &str, size: u64, at: &Path) -> Result<Descriptor, OciError> {
    let digest = spec::Digest::try_from(format!("sha256:{hex}")).map_err(|e| io_err(at, e))?;
    Ok(Descriptor::new(MediaType::from(media_type), size, digest))
}

/// A writer that hashes what passes through.
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    n: u64,
}

impl<W: Write> HashWriter<W> {
    fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            n: 0,
        }
    }
    fn finish(self) -> (W, (String, u64)) {
        (self.inner, (hex::encode(self.hasher.finalize()), self.n))
    }
    fn finish_all(self) -> (W, String, u64) {
        let (w, (d, n)) = self.finish();
        (w, d, n)
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hex part of a `sha256:<64 hex>` digest.
pub fn digest_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

/// An OCI image layout on disk, read for pushing or as a base.
#[derive(Debug)]
pub struct Layout {
    /// The layout directory (holding `oci-layout`, `index.json` and `blobs/`).
    pub dir: PathBuf,
    /// Its `index.json`.
    pub index: Index,
}

/// One platform image of a layout: its manifest and config.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    /// The platform's image manifest.
    pub manifest: Manifest,
    /// The platform's image configuration.
    pub config: ImageConfig,
    /// The same configuration as JSON, with the keys `oci-spec` does not model (Docker's
    /// `Healthcheck`, `Shell`, …), which an image built on it keeps.
    pub config_json: serde_json::Value,
    /// The manifest's layers (a copy of `manifest.layers`), base layers for a new image.
    pub layers: Vec<Descriptor>,
}

impl Layout {
    /// Open the layout at `dir`: check that it has an `oci-layout` file and read its `index.json`.
    pub fn open(dir: &Path) -> Result<Layout, OciError> {
        let layout_file = dir.join("oci-layout");
        if !layout_file.is_file() {
            return Err(OciError::Layout {
                path: dir.display().to_string(),
                reason: "not an OCI image layout (no oci-layout file)".into(),
                help: "give a directory written by `klts image`, `skopeo copy … oci:DIR:REF` or another OCI tool".into(),
            });
        }
        let path = dir.join("index.json");
        let index = read_json(&path)?;
        Ok(Layout {
            dir: dir.to_path_buf(),
            index,
        })
    }

    /// The path of a blob; errors on a malformed digest.
    pub fn blob_path(&self, digest: impl AsRef<str>) -> Result<PathBuf, OciError> {
        let digest = digest.as_ref();
        let hex = digest_hex(digest).ok_or_else(|| OciError::Layout {
            path: self.dir.join("index.json").display().to_string(),
            reason: format!("malformed digest `{digest}`"),
            help: "only sha256 digests are supported".into(),
        })?;
        Ok(self.dir.join("blobs").join("sha256").join(hex))
    }

    /// Read a blob and check its digest.
    pub fn read_blob(&self, digest: impl AsRef<str>) -> Result<Vec<u8>, OciError> {
        let digest = digest.as_ref();
        let path = self.blob_path(digest)?;
        let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
        let got = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if got != digest {
            return Err(OciError::Layout {
                path: path.display().to_string(),
                reason: format!("content has digest {got}"),
                help: "the layout is corrupt; build it again".into(),
            });
        }
        Ok(bytes)
    }

    /// [`Layout::read_blob`] and parse it as JSON of type `T`; a parse error is reported as a
    /// corrupt layout.
    pub fn read_json_blob<T: for<'de> Deserialize<'de>>(
        &self,
        digest: impl AsRef<str>,
    ) -> Result<T, OciError> {
        let bytes = self.read_blob(digest.as_ref())?;
        self.parse_blob(digest.as_ref(), &bytes)
    }

    fn parse_blob<T: for<'de> Deserialize<'de>>(
        &self,
        digest: &str,
        bytes: &[u8],
    ) -> Result<T, OciError> {
        serde_json::from_slice(bytes).map_err(|e| OciError::Layout {
            path: self
                .blob_path(digest)
                .unwrap_or_else(|_| self.dir.clone())
                .display()
                .to_string(),
            reason: format!("malformed JSON: {e}"),
            help: "the layout is corrupt, or not an OCI/Docker v2 image; build it again".into(),
        })
    }

    /// The index entry with ref name `reference`, or the only entry when `reference` is None.
    pub fn find(&self, reference: Option<&str>) -> Result<&Descriptor, OciError> {
        let refs = || {
            self.index
                .manifests()
                .iter()
                .filter_map(|d| d.annotations().as_ref()?.get(ANNOTATION_REF_NAME).cloned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match reference {
            Some(r) => self
                .index
                .manifests()
                .iter()
                .find(|d| {
                    d.annotations()
                        .as_ref()
                        .and_then(|a| a.get(ANNOTATION_REF_NAME))
                        .is_some_and(|n| n == r)
                })
                .ok_or_else(|| OciError::Layout {
                    path: self.dir.display().to_string(),
                    reason: format!("no image named `{r}`"),
                    help: format!("the layout has: {}", refs()),
                }),
            None if self.index.manifests().len() == 1 => Ok(&self.index.manifests()[0]),
            None => Err(OciError::Layout {
                path: self.dir.display().to_string(),
                reason: format!("{} images, which one?", self.index.manifests().len()),
                help: format!("write DIR:REF with REF one of: {}", refs()),
            }),
        }
    }

    /// Manifest and config of `desc` (an index or a manifest) for `platform`.
    pub fn platform_image(
        &self,
        desc: &Descriptor,
        platform: &Platform,
    ) -> Result<Option<PlatformImage>, OciError> {
        let manifest_desc = match desc.media_type().as_ref() {
            MEDIA_INDEX | MEDIA_DOCKER_LIST => {
                let index: Index = self.read_json_blob(desc.digest())?;
                match index
                    .manifests()
                    .iter()
                    .find(|m| m.platform().as_ref().is_some_and(|p| platform.matches(p)))
                {
                    Some(m) => m.clone(),
                    None => return Ok(None),
                }
            }
            _ => desc.clone(),
        };
        let manifest: Manifest = self.read_json_blob(manifest_desc.digest())?;
        let config_digest = manifest.config().digest().to_string();
        let bytes = self.read_blob(&config_digest)?;
        let config: ImageConfig = self.parse_blob(&config_digest, &bytes)?;
        let config_json: serde_json::Value = self.parse_blob(&config_digest, &bytes)?;
        if config.os().to_string() != platform.os
            || config.architecture().to_string() != platform.arch
        {
            return Ok(None);
        }
        let diff_ids = config.rootfs().diff_ids().len();
        if manifest.layers().len() != diff_ids {
            return Err(OciError::Layout {
                path: self.blob_path(&config_digest)?.display().to_string(),
                reason: format!("{} layers but {diff_ids} diff_ids", manifest.layers().len()),
                help: "the base image is malformed".into(),
            });
        }
        Ok(Some(PlatformImage {
            layers: manifest.layers().clone(),
            manifest,
            config,
            config_json,
        }))
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, OciError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| OciError::Layout {
        path: format!("{}:{}:{}", path.display(), e.line(), e.column()),
        reason: format!("malformed JSON: {e}"),
        help: "the layout is corrupt; write it again".into(),
    })
}

struct BaseLayout {
    layout: Layout,
    desc: Descriptor,
}

impl BaseLayout {
    fn open(base: &BaseRef) -> Result<BaseLayout, OciError> {
        let layout = Layout::open(&base.dir)?;
        let desc = layout.find(base.reference.as_deref())?.clone();
        Ok(BaseLayout { layout, desc })
    }
    fn for_platform(&self, platform: &Platform) -> Result<PlatformImage, OciError> {
        let img = self
            .layout
            .platform_image(&self.desc, platform)?
            .ok_or_else(|| OciError::BasePlatform {
                path: self.layout.dir.display().to_string(),
                platform: platform.to_string(),
            })?;
        for l in &img.layers {
            if !l.media_type().as_ref().contains("tar") {
                return Err(OciError::Layout {
                    path: self.layout.dir.display().to_string(),
                    reason: format!("layer {} has media type {}", l.digest(), l.media_type()),
                    help: "only tar, tar+gzip and tar+zstd layers can be reused".into(),
                });
            }
        }
        Ok(img)
    }
    fn blob_path(&self, digest: impl AsRef<str>) -> Result<PathBuf, OciError> {
        let p = self.layout.blob_path(digest)?;
        if p.is_file() {
            Ok(p)
        } else {
            Err(io_err(&p, "base layer blob is missing"))
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since 1970.
pub fn rfc3339(epoch: u64) -> String {
    klts_core::time::rfc3339(i64::try_from(epoch).unwrap_or(i64::MAX))
}

/// The newest modification time of the binaries an image is made of (0 if none is readable):
/// `klts build` sets it to the release commit's time, so images and packages agree on dates.
pub fn newest_mtime(release_dir: &Path, platforms: &[String], components: &[String]) -> u64 {
    let paths: Vec<PathBuf> = platforms
        .iter()
        .flat_map(|p| components.iter().map(move |c| release_dir.join(p).join(c)))
        .collect();
    crate::fsdir::newest_mtime(paths.iter().map(PathBuf::as_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layer tar's bytes are part of every image digest klts publishes: pinned, so that a
    /// change (a `tar` crate upgrade, an entry added) is a decision, not an accident. They
    /// equal the hand-written writer's that preceded the `tar` crate except in the checksum
    /// field, which `tar` writes as 7 octal digits and a NUL (GNU tar: 6 digits, NUL, space).
    #[test]
    fn layer_tar_bytes_are_pinned() {
        let bin: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        let tar = layer_tar(
            Vec::new(),
            "kube-proxy",
            bin.as_slice(),
            2000,
            1_600_000_000,
        )
        .unwrap();
        // 3 directories, 1 header + 4 blocks of data, 2 blocks of end marker.
        assert_eq!(tar.len(), 512 * (3 + 1 + 4 + 2));
        assert_eq!(&tar[148..156], b"0010417\0");
        assert_eq!(
            hex::encode(Sha256::digest(&tar)),
            "e3393f9bb54dc0df8d7e7a1f77b78fa6a4b6ffbf4cde553855ed907a72071fc8"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn tags() {
        validate_tag("v1.17.17-lts.3").unwrap();
        validate_tag("_x").unwrap();
        assert!(validate_tag("").is_err());
        assert!(validate_tag("-x").is_err());
        assert!(validate_tag("v1.17.17+lts.3").is_err());
        assert!(validate_tag(&"a".repeat(129)).is_err());
        validate_tag(&"a".repeat(128)).unwrap();
    }

    #[test]
    fn platforms_and_bases() {
        let p: Platform = "linux/arm/v7".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm/v7");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//x".parse::<Platform>().is_err());
        assert!("Linux/amd64".parse::<Platform>().is_err());
        let b: BaseRef = "dir:a:b".parse().unwrap();
        assert_eq!(b.dir, PathBuf::from("dir"));
        assert_eq!(b.reference.as_deref(), Some("a:b"));
        let b: BaseRef = "dir".parse().unwrap();
        assert_eq!(b.reference, None);
    }

    proptest::proptest! {
        #[test]
        fn tag_validation_matches_the_grammar(tag in "\\PC{0,140}") {
            let grammar = {
                let b = tag.as_bytes();
                !b.is_empty() && b.len() <= 128
                    && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
            };
            proptest::prop_assert_eq!(validate_tag(&tag).is_ok(), grammar);
        }

        #[test]
        fn platform_parse_display_round_trips(s in "[a-z0-9/]{0,20}") {
            if let Ok(p) = s.parse::<Platform>() {
                proptest::prop_assert_eq!(p.to_string(), s);
            }
        }
    }
}
