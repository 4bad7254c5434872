//! `klts image RELEASE`: arguments and output over `klts_dist::oci` and `klts_dist::registry`.

use crate::{json, Failure, Format, ListArgs};
use clap::Args;
use klts_dist::oci::{self, BaseRef, ImageOptions, Layout, Platform};
use klts_dist::registry::{self, PushOptions, Target};
use std::path::PathBuf;

/// Build OCI images of the server components from built binaries; optionally push them.
///
/// Reads OUT_DIR/RELEASE/<os>/<arch>/<component> (what `klts build` collects) and writes
/// OUT_DIR/RELEASE/oci/, an OCI image layout with one multi-platform image index per
/// component, named `<component>:<tag>` (the tag defaults to the release name). The same
/// binaries and SOURCE_DATE_EPOCH give the same digests. The layout is replaced only once the
/// new one is complete.
///
/// With --push REGISTRY/REPO the images go to REGISTRY/REPO/<component>:<tag> over the OCI
/// distribution API: blobs the registry has are skipped, others are uploaded in chunks, and
/// tags are written last, so a failed push never leaves a tag on an incomplete image.
/// Credentials: --username and the KLTS_REGISTRY_PASSWORD environment variable (Basic or
/// Bearer-token registries).
///
/// Examples:
///
///   klts image v1.17.17-lts.3                         # out/v1.17.17-lts.3/oci/
///   skopeo inspect oci:out/v1.17.17-lts.3/oci:kube-apiserver:v1.17.17-lts.3
///   klts image v1.17.17-lts.3 --base out/debian-base:bookworm --platform linux/amd64
///   KLTS_REGISTRY_PASSWORD=… klts image v1.17.17-lts.3 --push ghcr.io/klts-io/kubernetes-lts --username bot
///   kubeadm config images pull --image-repository ghcr.io/klts-io/kubernetes-lts --kubernetes-version v1.17.17-lts.3
///
/// containerd and runc have no server images by default: without build.images or --images,
/// klts image says so and exits 0 (nothing to build is not a failure).
///
/// Exit codes: 0 built (and pushed), or no images to build; 2 could not build or push
/// (missing binary, bad base, registry unreachable or refusing).
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ImageArgs {
    /// The release whose binaries to package (a directory under --out-dir).
    release: String,
    /// The output directory of `klts build` [default: WORKSPACE/out].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Base image: an OCI image layout DIR, with :REF naming the image in it (needed when it
    /// holds several), whose layers for each platform go under the binary; or `none`.
    #[arg(long, value_name = "DIR[:REF]|none", default_value = "none")]
    base: String,
    /// Platforms, comma-separated [default: the manifest's build.platforms, or linux/amd64,linux/arm64].
    #[arg(long, value_name = "OS/ARCH", value_delimiter = ',')]
    platform: Vec<String>,
    /// Components (binary names), comma-separated [default: the manifest's build.images, or
    /// the product's: kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy for
    /// Kubernetes, none for containerd and runc].
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    images: Vec<String>,
    /// Image tag [default: the release name, what kubeadm's --kubernetes-version asks for].
    #[arg(long)]
    tag: Option<String>,
    /// Timestamp (seconds since 1970) for image `created` and file times [default:
    /// $SOURCE_DATE_EPOCH, else the newest mtime of the input binaries, which `klts build`
    /// sets to the release commit's time].
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<u64>,
    /// The --image-repository users will pull from, for the kubeadm hint [default: --push's].
    #[arg(long, value_name = "REGISTRY/REPO")]
    repository: Option<String>,
    /// Push the images to REGISTRY/REPO/<component>:<tag>.
    #[arg(long, value_name = "REGISTRY/REPO")]
    push: Option<String>,
    /// Talk plain HTTP to the registry (local test registries).
    #[arg(long)]
    insecure_http: bool,
    /// Registry user; the password comes from KLTS_REGISTRY_PASSWORD.
    #[arg(long, env = "KLTS_REGISTRY_USERNAME")]
    username: Option<String>,
    /// Bytes per upload request.
    #[arg(long, value_name = "BYTES", default_value_t = registry::DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    #[command(flatten)]
    list: ListArgs,
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::usage(e.to_string())
}

pub fn run(hi: &crate::HiArgs, args: &ImageArgs) -> Result<u8, Failure> {
    let out_dir = hi.out_dir(args.out_dir.as_deref());
    let (product, build) = crate::dist_config(hi)?;
    let platform_names = if args.platform.is_empty() {
        build
            .platforms
            .iter()
            .map(|p| p.value.to_string())
            .collect()
    } else {
        args.platform.clone()
    };
    let components: Vec<String> = if args.images.is_empty() {
        build.images.iter().map(|s| s.value.clone()).collect()
    } else {
        args.images.clone()
    };
    // containerd and runc ship as packages, not server images: nothing to do is a success,
    // so that one pipeline (and `klts ci github`'s) serves every product.
    if components.is_empty() {
        eprintln!(
            "{}: no images to build ({} has no server images by default and build.images is empty)\n  help: list binaries in build.images, or pass --images NAME,… to put them in images",
            args.release,
            product.display_name()
        );
        return Ok(0);
    }
    let release_dir = out_dir.join(&args.release);
    let epoch = crate::package::source_date_epoch(hi, args.source_date_epoch)?
        .unwrap_or_else(|| oci::newest_mtime(&release_dir, &platform_names, &components));
    let platforms = platform_names
        .iter()
        .map(|p| p.parse::<Platform>())
        .collect::<Result<Vec<_>, _>>()?;
    let base = match args.base.as_str() {
        "none" | "" => None,
        b => Some(b.parse::<BaseRef>().map_err(fail)?),
    };
    let target = args.push.as_deref().map(Target::parse).transpose()?;
    let options = ImageOptions {
        release_dir,
        tag: args.tag.clone().unwrap_or_else(|| args.release.clone()),
        components,
        platforms,
        base,
        epoch,
    };
    let built = oci::build_layout(&options)?;
    let pushed = match &target {
        Some(t) => {
            let layout = Layout::open(&built.layout)?;
            let push = PushOptions {
                chunk_size: args.chunk_size.max(1),
                username: args.username.clone(),
                password: std::env::var("KLTS_REGISTRY_PASSWORD").ok(),
                insecure_http: args.insecure_http,
                ..PushOptions::default()
            };
            Some(registry::push(&layout, t, &push)?)
        }
        None => None,
    };
    match args.list.output {
        Format::Json => json(&serde_json::json!({"layout": built, "push": pushed}))?,
        Format::Table => {
            outln!("layout {}", built.layout.display());
            for image in &built.images {
                outln!("  {:<40} {}", image.reference, image.digest);
                for p in &image.platforms {
                    outln!(
                        "    {:<14} {} ({} layers, {} bytes)",
                        p.platform,
                        p.manifest,
                        p.layers,
                        p.size
                    );
                }
            }
            if let Some(r) = &pushed {
                outln!(
                    "pushed {} images: {} blobs uploaded ({} bytes in {} requests), {} mounted from another repository, {} already there, {} manifests",
                    r.images.len(),
                    r.blobs_uploaded,
                    r.bytes_uploaded,
                    r.chunks,
                    r.blobs_mounted,
                    r.blobs_skipped,
                    r.manifests
                );
                for i in &r.images {
                    outln!("  {} {}", i.reference, i.digest);
                }
            }
            let repo = args.repository.clone().or_else(|| {
                target
                    .as_ref()
                    .map(|t| format!("{}/{}", t.registry, t.repository))
            });
            if let Some(repo) = repo {
                outln!(
                    "\nkubeadm config images pull --image-repository {repo} --kubernetes-version {}",
                    options.tag
                );
            }
        }
    }
    Ok(0)
}
