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
//! holding `/usr/local/bin/<component>` (mode 0755), with `Entrypoint` set to it. Tar entries
//! have uid/gid 0, user/group `root`, the epoch as mtime and a fixed order; gzip has no
//! timestamp or name; JSON is written from structs with a fixed field order: the same binaries
//! and epoch give the same digests, byte for byte.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
    /// A platform that is not `os/arch` or `os/arch/variant` of `[a-z0-9_]`.
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
    fn from_str(s: &str) -> Result<Self, OciError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(OciError::Platform(s.to_string())),
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

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Media type of the referenced content, one of the `MEDIA_*` constants.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// Content digest, `sha256:<64 lowercase hex>`: also the blob's file name under
    /// `blobs/sha256/`.
    pub digest: String,
    /// Size in bytes of the referenced blob.
    pub size: u64,
    /// The platform of the referenced manifest, set on the entries of an image index.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub platform: Option<Platform>,
    /// Annotations; klts sets only [`ANNOTATION_REF_NAME`] on the entries of `index.json`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An image index (and the layout's `index.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// [`MEDIA_INDEX`] in what klts writes; optional when read.
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    /// One descriptor per platform manifest (or, in `index.json`, per component image index).
    pub manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// [`MEDIA_MANIFEST`] in what klts writes; optional when read.
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    /// The image configuration blob.
    pub config: Descriptor,
    /// The layers, base image layers first, in the order they are applied.
    pub layers: Vec<Descriptor>,
}

/// The parts of an image configuration klts writes and reads from a base.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Creation time, RFC 3339 UTC, derived from the epoch so that it is reproducible.
    pub created: String,
    /// CPU architecture, as in [`Platform::arch`].
    pub architecture: String,
    /// Operating system, as in [`Platform::os`].
    pub os: String,
    /// CPU variant, as in [`Platform::variant`].
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub variant: Option<String>,
    /// How a container of the image is run.
    pub config: RunConfig,
    /// The uncompressed layer digests, one per manifest layer.
    pub rootfs: RootFs,
    /// One entry per layer, base image history first; empty when a base image had none.
    #[serde(default)]
    pub history: Vec<History>,
}

/// The execution parameters of an image configuration (its `config` object); only the fields klts
/// sets or carries over from a base are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunConfig {
    /// User the process runs as; klts leaves it unset (root), as the upstream images do.
    #[serde(rename = "User", skip_serializing_if = "Option::is_none", default)]
    pub user: Option<String>,
    /// Environment as `NAME=value`; the base image's, plus a default `PATH` if it had none.
    #[serde(rename = "Env", skip_serializing_if = "Vec::is_empty", default)]
    pub env: Vec<String>,
    /// The command run in a container: `/usr/local/bin/<component>`.
    #[serde(rename = "Entrypoint", skip_serializing_if = "Vec::is_empty", default)]
    pub entrypoint: Vec<String>,
    /// Working directory of the process; not set by klts.
    #[serde(
        rename = "WorkingDir",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub working_dir: Option<String>,
    /// Image labels; not set by klts.
    #[serde(rename = "Labels", skip_serializing_if = "Option::is_none", default)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The image configuration's `rootfs`: the layers the filesystem is made of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers` (serialised as `type`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `sha256:` digest of each layer's uncompressed tar, in layer order.
    pub diff_ids: Vec<String>,
}

/// One entry of an image configuration's `history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    /// When the layer was made, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<String>,
    /// What made the layer; klts writes `klts image: /usr/local/bin/<component>`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
    /// Whether this entry made no layer (and so has no `diff_ids` entry).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub empty_layer: Option<bool>,
}

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
            let (mut layers, mut diff_ids, mut history, mut env) = (vec![], vec![], vec![], vec![]);
            if let Some(b) = &base {
                let img = b.for_platform(platform)?;
                for layer in &img.layers {
                    writer.copy_blob(&b.blob_path(&layer.digest)?, &layer.digest)?;
                }
                layers = img.layers.clone();
                diff_ids = img.config.rootfs.diff_ids.clone();
                history = img.config.history.clone();
                env = img.config.config.env.clone();
            }
            if !env.iter().any(|e| e.starts_with("PATH=")) {
                env.push(
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
                );
            }
            let layer = writer.binary_layer(&bin, component, opts.epoch)?;
            diff_ids.push(layer.diff_id.clone());
            layers.push(layer.descriptor.clone());
            history.push(History {
                created: Some(created.clone()),
                created_by: Some(format!("klts image: /{BIN_DIR}/{component}")),
                empty_layer: None,
            });
            let config = ImageConfig {
                created: created.clone(),
                architecture: platform.arch.clone(),
                os: platform.os.clone(),
                variant: platform.variant.clone(),
                config: RunConfig {
                    user: None,
                    env,
                    entrypoint: vec![format!("/{BIN_DIR}/{component}")],
                    working_dir: None,
                    labels: None,
                },
                rootfs: RootFs {
                    kind: "layers".into(),
                    diff_ids,
                },
                history,
            };
            let config_desc = writer.json_blob(&config, MEDIA_CONFIG)?;
            let size = layers.iter().map(|l| l.size).sum();
            let manifest = Manifest {
                schema_version: 2,
                media_type: Some(MEDIA_MANIFEST.into()),
                config: config_desc,
                layers,
            };
            let n_layers = manifest.layers.len();
            let mut desc = writer.json_blob(&manifest, MEDIA_MANIFEST)?;
            desc.platform = Some(platform.clone());
            built.push(BuiltPlatform {
                platform: platform.to_string(),
                manifest: desc.digest.clone(),
                layers: n_layers,
                size,
            });
            manifests.push(desc);
        }
        let index = Index {
            schema_version: 2,
            media_type: Some(MEDIA_INDEX.into()),
            manifests,
        };
        let mut desc = writer.json_blob(&index, MEDIA_INDEX)?;
        let reference = ref_name(component, &opts.tag);
        desc.annotations = Some(BTreeMap::from([(
            ANNOTATION_REF_NAME.to_string(),
            reference.clone(),
        )]));
        images.push(BuiltImage {
            component: component.clone(),
            reference,
            digest: desc.digest.clone(),
            platforms: built,
        });
        entries.push(desc);
    }
    let top = Index {
        schema_version: 2,
        media_type: Some(MEDIA_INDEX.into()),
        manifests: entries,
    };
    let bytes = serde_json::to_vec(&top).map_err(|e| io_err(tmp.path(), e))?;
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

    fn json_blob<T: Serialize>(&self, value: &T, media_type: &str) -> Result<Descriptor, OciError> {
        let bytes = serde_json::to_vec(value).map_err(|e| io_err(&self.blobs, e))?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        let path = self.blobs.join(&digest[7..]);
        if !path.exists() {
            write_file(&path, &bytes)?;
        }
        Ok(Descriptor {
            media_type: media_type.into(),
            digest,
            size: bytes.len() as u64,
            platform: None,
            annotations: None,
        })
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
        let mut tar = HashWriter::new(gz);
        let src = File::open(bin).map_err(|e| io_err(bin, e))?;
        let len = src.metadata().map_err(|e| io_err(bin, e))?.len();
        let result = (|| -> io::Result<_> {
            let mut path = String::new();
            for part in BIN_DIR.split('/') {
                path.push_str(part);
                path.push('/');
                write_tar_header(&mut tar, &path, 0o755, 0, epoch, b'5')?;
            }
            write_tar_header(
                &mut tar,
                &format!("{BIN_DIR}/{component}"),
                0o755,
                len,
                epoch,
                b'0',
            )?;
            let copied = io::copy(&mut BufReader::new(src).take(len), &mut tar)?;
            if copied != len {
                return Err(io::Error::other("the file shrank while it was read"));
            }
            let pad = (512 - (len % 512) as usize) % 512;
            tar.write_all(&vec![0u8; pad + 1024])?;
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
            descriptor: Descriptor {
                media_type: MEDIA_LAYER_GZIP.into(),
                digest,
                size,
                platform: None,
                annotations: None,
            },
            diff_id: format!("sha256:{}", diff.0),
        })
    }
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

/// One ustar header block: uid/gid 0, user and group `root`.
fn write_tar_header(
    w: &mut impl Write,
    name: &str,
    mode: u32,
    size: u64,
    mtime: u64,
    kind: u8,
) -> io::Result<()> {
    if name.len() > 100 {
        return Err(io::Error::other(format!(
            "tar entry name `{name}` longer than 100 bytes"
        )));
    }
    let mut h = [0u8; 512];
    let field = |h: &mut [u8; 512], at: usize, width: usize, value: u64| {
        let s = format!("{value:0w$o}", w = width - 1);
        h[at..at + width - 1].copy_from_slice(s.as_bytes());
    };
    h[..name.len()].copy_from_slice(name.as_bytes());
    field(&mut h, 100, 8, u64::from(mode));
    field(&mut h, 108, 8, 0);
    field(&mut h, 116, 8, 0);
    if size >= 1 << 33 {
        return Err(io::Error::other("file larger than 8 GiB"));
    }
    field(&mut h, 124, 12, size);
    field(&mut h, 136, 12, mtime.min((1 << 33) - 1));
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"root");
    h[297..301].copy_from_slice(b"root");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    w.write_all(&h)
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
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf, OciError> {
        let hex = digest_hex(digest).ok_or_else(|| OciError::Layout {
            path: self.dir.join("index.json").display().to_string(),
            reason: format!("malformed digest `{digest}`"),
            help: "only sha256 digests are supported".into(),
        })?;
        Ok(self.dir.join("blobs").join("sha256").join(hex))
    }

    /// Read a blob and check its digest.
    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>, OciError> {
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
        digest: &str,
    ) -> Result<T, OciError> {
        let bytes = self.read_blob(digest)?;
        let path = self.blob_path(digest)?;
        serde_json::from_slice(&bytes).map_err(|e| OciError::Layout {
            path: path.display().to_string(),
            reason: format!("malformed JSON: {e}"),
            help: "the layout is corrupt; build it again".into(),
        })
    }

    /// The index entry with ref name `reference`, or the only entry when `reference` is None.
    pub fn find(&self, reference: Option<&str>) -> Result<&Descriptor, OciError> {
        let refs = || {
            self.index
                .manifests
                .iter()
                .filter_map(|d| d.annotations.as_ref()?.get(ANNOTATION_REF_NAME).cloned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match reference {
            Some(r) => self
                .index
                .manifests
                .iter()
                .find(|d| {
                    d.annotations
                        .as_ref()
                        .and_then(|a| a.get(ANNOTATION_REF_NAME))
                        .is_some_and(|n| n == r)
                })
                .ok_or_else(|| OciError::Layout {
                    path: self.dir.display().to_string(),
                    reason: format!("no image named `{r}`"),
                    help: format!("the layout has: {}", refs()),
                }),
            None if self.index.manifests.len() == 1 => Ok(&self.index.manifests[0]),
            None => Err(OciError::Layout {
                path: self.dir.display().to_string(),
                reason: format!("{} images, which one?", self.index.manifests.len()),
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
        let manifest_desc = match desc.media_type.as_str() {
            MEDIA_INDEX | MEDIA_DOCKER_LIST => {
                let index: Index = self.read_json_blob(&desc.digest)?;
                match index.manifests.into_iter().find(|m| {
                    m.platform.as_ref().is_some_and(|p| {
                        p.os == platform.os
                            && p.arch == platform.arch
                            && (platform.variant.is_none() || p.variant == platform.variant)
                    })
                }) {
                    Some(m) => m,
                    None => return Ok(None),
                }
            }
            _ => desc.clone(),
        };
        let manifest: Manifest = self.read_json_blob(&manifest_desc.digest)?;
        let config: ImageConfig = self.read_json_blob(&manifest.config.digest)?;
        if config.os != platform.os || config.architecture != platform.arch {
            return Ok(None);
        }
        if manifest.layers.len() != config.rootfs.diff_ids.len() {
            return Err(OciError::Layout {
                path: self
                    .blob_path(&manifest.config.digest)?
                    .display()
                    .to_string(),
                reason: format!(
                    "{} layers but {} diff_ids",
                    manifest.layers.len(),
                    config.rootfs.diff_ids.len()
                ),
                help: "the base image is malformed".into(),
            });
        }
        Ok(Some(PlatformImage {
            layers: manifest.layers.clone(),
            manifest,
            config,
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
            if !l.media_type.contains("tar") {
                return Err(OciError::Layout {
                    path: self.layout.dir.display().to_string(),
                    reason: format!("layer {} has media type {}", l.digest, l.media_type),
                    help: "only tar, tar+gzip and tar+zstd layers can be reused".into(),
                });
            }
        }
        Ok(img)
    }
    fn blob_path(&self, digest: &str) -> Result<PathBuf, OciError> {
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
