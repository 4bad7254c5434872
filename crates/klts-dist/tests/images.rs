//! OCI images end to end: layouts written by `klts_dist::oci` and read by Debian's `skopeo`;
//! pushes by `klts_dist::registry` to Debian's `docker-registry` (the CNCF distribution
//! registry) on 127.0.0.1, pulled back with `skopeo`. Token authentication, refusals and
//! dropped connections come from an in-test HTTP proxy in front of the real registry.
//!
//! Without `/usr/bin/docker-registry` or `/usr/bin/skopeo` the tests are skipped with a
//! message, except under `CI`, where `.ci/run` installs them and their absence is a failure.

use klts_dist::oci::{self, BaseRef, ImageOptions, Layout, Platform};
use klts_dist::registry::{self, PushOptions, PushReport, RegistryError, Target};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RELEASE: &str = "v1.0.1-lts.1";

use klts_testkit::require as tool;

fn tools() -> bool {
    tool("/usr/bin/skopeo", "skopeo").is_some()
        && tool("/usr/bin/docker-registry", "docker-registry").is_some()
}

/// Deterministic pseudo-random bytes, distinct per seed.
fn bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(len);
    out
}

/// Fake binaries at out/<release>/linux/<arch>/<component>; returns out/<release>.
fn fake_release(out: &Path, components: &[&str]) -> PathBuf {
    let dir = out.join(RELEASE);
    for arch in ["amd64", "arm64"] {
        for (i, c) in components.iter().enumerate() {
            let p = dir.join("linux").join(arch).join(c);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes(&format!("{c}/{arch}"), 150_000 + i * 1000)).unwrap();
        }
    }
    dir
}

fn options(release_dir: &Path, components: &[&str], epoch: u64) -> ImageOptions {
    ImageOptions {
        release_dir: release_dir.to_path_buf(),
        tag: RELEASE.into(),
        components: components.iter().map(|c| c.to_string()).collect(),
        platforms: oci::DEFAULT_PLATFORMS
            .iter()
            .map(|p| p.parse().unwrap())
            .collect(),
        base: None,
        epoch,
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn skopeo_json(args: &[&str]) -> serde_json::Value {
    let text = run(Command::new("skopeo").args(args));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The bytes of `usr/local/bin/<component>` in a gzipped tar layer, and its mode (GNU tar).
fn file_in_layer(layer: &Path, component: &str) -> (Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(layer)
        .arg("-C")
        .arg(dir.path()));
    let listing = run(Command::new("tar").arg("-tvzf").arg(layer));
    let line = listing
        .lines()
        .find(|l| l.ends_with(&format!("usr/local/bin/{component}")))
        .unwrap_or_else(|| panic!("{component} not in layer:\n{listing}"));
    (
        std::fs::read(dir.path().join("usr/local/bin").join(component)).unwrap(),
        line.to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// A real registry

struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Registry {
    /// `extra` is appended to the config (YAML, top level).
    fn start(extra: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{extra}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut reg = Registry {
            child,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n").unwrap();
                let mut head = String::new();
                if BufReader::new(s).read_line(&mut head).is_ok() && head.starts_with("HTTP/") {
                    break;
                }
            }
            if let Ok(Some(status)) = reg.child.try_wait() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(reg._dir.path().join("registry.log")).unwrap()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "registry did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// HTTP status of `GET /v2/<repo>/manifests/<reference>` straight from the registry.
    fn manifest_status(&self, repo: &str, reference: &str) -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET /v2/{repo}/manifests/{reference} HTTP/1.0\r\nAccept: {}\r\n\r\n",
            oci::MEDIA_INDEX
        )
        .unwrap();
        let mut head = String::new();
        BufReader::new(s).read_line(&mut head).unwrap();
        head.split(' ').nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A proxy in front of it: token auth, and faults

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Answer 500 to every manifest PUT.
    ManifestPut500,
    /// Close the connection, without an answer, on the Nth PATCH (1-based).
    DropOnPatch(usize),
}

struct Proxy {
    port: u16,
    patches: Arc<AtomicUsize>,
}

const TOKEN: &str = "test-token-1234";

impl Proxy {
    /// Forward to `upstream`; with `token_auth`, demand `Bearer TOKEN` on /v2/ and hand it out
    /// at /token to `user:pass` (basic auth).
    fn start(upstream: u16, token_auth: Option<(&str, &str)>, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let patches = Arc::new(AtomicUsize::new(0));
        let basic = token_auth.map(|(u, p)| {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let counter = patches.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let basic = basic.clone();
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, port, basic, fault, &counter);
                });
            }
        });
        Proxy { port, patches }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn respond(conn: &mut TcpStream, status: &str, headers: &str, body: &str) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// One request per connection: read it, decide, forward or answer, close.
fn serve(
    mut conn: TcpStream,
    upstream: u16,
    port: u16,
    basic: Option<String>,
    fault: Fault,
    patches: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut head = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let mut parts = head[0].split(' ');
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let header = |name: &str| {
        head[1..].iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    if let Some(basic) = &basic {
        if path.starts_with("/token") {
            return if header("authorization").as_deref() == Some(basic.as_str()) {
                respond(
                    &mut conn,
                    "200 OK",
                    "",
                    &format!("{{\"token\":\"{TOKEN}\"}}"),
                )
            } else {
                respond(
                    &mut conn,
                    "401 Unauthorized",
                    "",
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
                )
            };
        }
        if header("authorization").as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return respond(
                &mut conn,
                "401 Unauthorized",
                &format!("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test-registry\",scope=\"repository:x:pull\"\r\n"),
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
        }
    }
    match fault {
        Fault::ManifestPut500 if method == "PUT" && path.contains("/manifests/") => {
            return respond(
                &mut conn,
                "500 Internal Server Error",
                "",
                r#"{"errors":[{"code":"UNKNOWN","message":"storage backend on fire"}]}"#,
            );
        }
        Fault::DropOnPatch(n)
            if method == "PATCH" && patches.fetch_add(1, Ordering::SeqCst) + 1 == n =>
        {
            return conn.shutdown(Shutdown::Both);
        }
        _ => {}
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut out = format!("{}\r\n", head[0]);
    for h in &head[1..] {
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("authorization:") || lower.starts_with("connection:") {
            continue;
        }
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes())?;
    up.write_all(&body)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    // Tell the client this connection ends here.
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(resp.len());
    let head_text = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut new_head: Vec<&str> = head_text
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    new_head.push("Connection: close");
    conn.write_all(new_head.join("\r\n").as_bytes())?;
    conn.write_all(&resp[split..])?;
    conn.shutdown(Shutdown::Both)
}

// ---------------------------------------------------------------------------------------------

fn push_options(chunk: usize) -> PushOptions {
    PushOptions {
        chunk_size: chunk,
        insecure_http: true,
        timeout: Duration::from_secs(60),
        ..PushOptions::default()
    }
}

fn build(out: &Path, components: &[&str]) -> (PathBuf, Layout) {
    let release = fake_release(out, components);
    let report = oci::build_layout(&options(&release, components, 1_600_000_000)).unwrap();
    (release, Layout::open(&report.layout).unwrap())
}

fn push(layout: &Layout, addr: &str, opts: &PushOptions) -> Result<PushReport, Box<RegistryError>> {
    registry::push(
        layout,
        &Target::parse(&format!("{addr}/klts")).unwrap(),
        opts,
    )
    .map_err(Box::new)
}

#[test]
fn layouts_are_reproducible_and_skopeo_reads_them() {
    if !tools() {
        return;
    }
    let comps = ["kube-apiserver", "kube-proxy"];
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ra = fake_release(a.path(), &comps);
    let rb = fake_release(b.path(), &comps);
    let one = oci::build_layout(&options(&ra, &comps, 1_600_000_000)).unwrap();
    let two = oci::build_layout(&options(&rb, &comps, 1_600_000_000)).unwrap();
    let digests = |r: &oci::LayoutReport| {
        r.images
            .iter()
            .map(|i| i.digest.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(digests(&one), digests(&two));
    assert_eq!(
        std::fs::read(one.layout.join("index.json")).unwrap(),
        std::fs::read(two.layout.join("index.json")).unwrap()
    );
    // Rebuilding in place replaces the layout and gives the same digests.
    let again = oci::build_layout(&options(&ra, &comps, 1_600_000_000)).unwrap();
    assert_eq!(digests(&one), digests(&again));
    // Another epoch, other digests; another binary, another digest for that image only.
    let later = oci::build_layout(&options(&rb, &comps, 1_700_000_000)).unwrap();
    assert_ne!(digests(&one)[0], digests(&later)[0]);
    std::fs::write(rb.join("linux/arm64/kube-proxy"), b"changed").unwrap();
    let changed = oci::build_layout(&options(&rb, &comps, 1_600_000_000)).unwrap();
    assert_eq!(digests(&one)[0], digests(&changed)[0]);
    assert_ne!(digests(&one)[1], digests(&changed)[1]);

    // skopeo reads the layout: per-platform config, entrypoint, created.
    let layout = format!("oci:{}:kube-apiserver:{RELEASE}", one.layout.display());
    let amd = skopeo_json(&["inspect", &layout]);
    assert_eq!(amd["Architecture"], "amd64");
    assert_eq!(amd["Os"], "linux");
    assert_eq!(amd["Created"], "2020-09-13T12:26:40Z");
    assert_eq!(amd["Layers"].as_array().unwrap().len(), 1);
    let arm = skopeo_json(&["--override-arch", "arm64", "inspect", &layout]);
    assert_eq!(arm["Architecture"], "arm64");
    // (skopeo reports the index digest for both; the layers differ.)
    assert_eq!(amd["Digest"], arm["Digest"]);
    assert_eq!(amd["Digest"], one.images[0].digest);
    assert_ne!(amd["Layers"], arm["Layers"]);
    let config = skopeo_json(&["inspect", "--config", &layout]);
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/kube-apiserver"])
    );
    // The layer holds the binary, 0755, root-owned, with the epoch as mtime.
    let l = Layout::open(&one.layout).unwrap();
    let img = l
        .platform_image(
            l.find(Some(&format!("kube-apiserver:{RELEASE}"))).unwrap(),
            &"linux/arm64".parse::<Platform>().unwrap(),
        )
        .unwrap()
        .unwrap();
    let (content, listing) = file_in_layer(
        &l.blob_path(img.layers[0].digest()).unwrap(),
        "kube-apiserver",
    );
    assert_eq!(
        content,
        std::fs::read(ra.join("linux/arm64/kube-apiserver")).unwrap()
    );
    assert!(listing.starts_with("-rwxr-xr-x root/root"), "{listing}");
    assert!(listing.contains("2020-09-13"), "{listing}");
    // diff_id is the sha256 of the uncompressed tar.
    let raw = run(Command::new("sh").arg("-c").arg(format!(
        "gzip -dc {} | sha256sum",
        l.blob_path(img.layers[0].digest()).unwrap().display()
    )));
    assert_eq!(
        format!("sha256:{}", &raw[..64]),
        img.config.rootfs().diff_ids()[0]
    );
    // Nothing left behind next to the layout.
    let leftovers: Vec<_> = std::fs::read_dir(&ra)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn missing_binary_is_named_and_the_old_layout_stays() {
    let d = tempfile::tempdir().unwrap();
    let comps = ["kube-apiserver"];
    let r = fake_release(d.path(), &comps);
    let first = oci::build_layout(&options(&r, &comps, 0)).unwrap();
    let before = std::fs::read(first.layout.join("index.json")).unwrap();
    std::fs::remove_file(r.join("linux/arm64/kube-apiserver")).unwrap();
    let err = oci::build_layout(&options(&r, &comps, 7))
        .unwrap_err()
        .to_string();
    assert!(err.contains("linux/arm64/kube-apiserver"), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert_eq!(
        std::fs::read(first.layout.join("index.json")).unwrap(),
        before
    );
    // Repeated names count once.
    std::fs::write(r.join("linux/arm64/kube-apiserver"), b"back").unwrap();
    let mut twice = options(&r, &comps, 0);
    twice.components.push("kube-apiserver".into());
    twice.platforms.push("linux/amd64".parse().unwrap());
    let report = oci::build_layout(&twice).unwrap();
    assert_eq!(report.images.len(), 1);
    assert_eq!(report.images[0].platforms.len(), 2);
    let mut bad = options(&r, &comps, 0);
    bad.components = vec!["../etc/passwd".into()];
    let err = oci::build_layout(&bad).unwrap_err().to_string();
    assert!(err.contains("invalid component name"), "{err}");
    let mut bad = options(&r, &comps, 0);
    bad.tag = "v1.17.17+lts.3".into();
    let err = oci::build_layout(&bad).unwrap_err().to_string();
    assert!(err.contains("`+` is not allowed"), "{err}");
}

#[test]
fn base_image_layers_come_first() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    // A base image: a layout with one two-platform image, built the same way.
    let base_out = d.path().join("base");
    let base_rel = fake_release(&base_out, &["toolbox"]);
    let base = oci::build_layout(&options(&base_rel, &["toolbox"], 0)).unwrap();
    let out = d.path().join("out");
    let release = fake_release(&out, &["kube-proxy"]);
    let mut opts = options(&release, &["kube-proxy"], 0);
    opts.base = Some(
        format!("{}:toolbox:{RELEASE}", base.layout.display())
            .parse::<BaseRef>()
            .unwrap(),
    );
    let report = oci::build_layout(&opts).unwrap();
    let l = Layout::open(&report.layout).unwrap();
    let bl = Layout::open(&base.layout).unwrap();
    for arch in ["amd64", "arm64"] {
        let p: Platform = format!("linux/{arch}").parse().unwrap();
        let img = l
            .platform_image(l.find(None).unwrap(), &p)
            .unwrap()
            .unwrap();
        let base_img = bl
            .platform_image(bl.find(None).unwrap(), &p)
            .unwrap()
            .unwrap();
        assert_eq!(img.layers.len(), 2);
        assert_eq!(img.layers[0], base_img.layers[0]);
        assert_eq!(
            img.config.rootfs().diff_ids()[0],
            base_img.config.rootfs().diff_ids()[0]
        );
        assert_eq!(img.config.history().as_ref().unwrap().len(), 2);
    }
    let inspect = skopeo_json(&[
        "--override-arch",
        "arm64",
        "inspect",
        &format!("oci:{}:kube-proxy:{RELEASE}", report.layout.display()),
    ]);
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 2);
    // Pushed: the base layers go to the first component's repository, and are mounted, not
    // sent again, into the second's.
    let release = fake_release(&out, &["kube-proxy", "kube-scheduler"]);
    let mut two = options(&release, &["kube-proxy", "kube-scheduler"], 0);
    two.base = opts.base.clone();
    let layout = Layout::open(&oci::build_layout(&two).unwrap().layout).unwrap();
    let reg = Registry::start("");
    let report = push(&layout, &reg.addr(), &push_options(1 << 20)).unwrap();
    assert_eq!(report.blobs_mounted, 2);
    // 2 components x 2 platforms x (config + own layer), + 2 base layers once.
    assert_eq!(report.blobs_uploaded, 10);
    let sched = skopeo_json(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/klts/kube-scheduler:{RELEASE}", reg.addr()),
    ]);
    assert_eq!(sched["Layers"].as_array().unwrap().len(), 2);
    // A base without the platform is refused by name.
    let mut amd_only = options(&base_rel, &["toolbox"], 0);
    amd_only.platforms = vec!["linux/amd64".parse().unwrap()];
    oci::build_layout(&amd_only).unwrap();
    let err = oci::build_layout(&opts).unwrap_err().to_string();
    assert!(err.contains("no manifest for linux/arm64"), "{err}");
}

/// A one-platform base image layout written by hand, as `docker build` and `skopeo copy` leave
/// one: a single (empty) layer and a configuration setting what base images commonly set,
/// Docker's `Healthcheck` (which the OCI spec does not define) included.
fn docker_style_base(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let hex = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let (layer, layer_size) = put(&[0u8; 1024]);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "author": "base maintainers",
        "config": {
            "User": "65532:65532",
            "ExposedPorts": {"8080/tcp": {}, "9090/tcp": {}, "53/udp": {}},
            "Env": ["PATH=/opt/base/bin:/usr/bin:/bin", "LANG=C.UTF-8"],
            "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["sh"],
            "Volumes": {"/data": {}, "/var/log/app": {}},
            "WorkingDir": "/srv",
            "Labels": {"org.example.b": "2", "org.example.a": "1", "org.example.c": "3"},
            "StopSignal": "SIGQUIT",
            "Healthcheck": {"Test": ["CMD", "/bin/true"], "Interval": 30000000000u64},
            "OnBuild": ["RUN false"],
            "ArgsEscaped": true
        },
        "rootfs": {"type": "layers", "diff_ids": [layer]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD rootfs.tar /"}]
    });
    let (config, config_size) = put(&serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": oci::MEDIA_MANIFEST,
        "config": {"mediaType": oci::MEDIA_CONFIG, "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}]
    });
    let (manifest, manifest_size) = put(&serde_json::to_vec(&manifest).unwrap());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": oci::MEDIA_MANIFEST, "digest": manifest, "size": manifest_size,
        "annotations": {(oci::ANNOTATION_REF_NAME): "base:1"}
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn an_image_keeps_its_base_configuration_but_the_entrypoint_and_cmd() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    docker_style_base(&base);
    let build_on_base = |out: &str| {
        let release = fake_release(&d.path().join(out), &["kube-proxy"]);
        let mut opts = options(&release, &["kube-proxy"], 0);
        opts.platforms = vec!["linux/amd64".parse().unwrap()];
        opts.base = Some(base.display().to_string().parse().unwrap());
        oci::build_layout(&opts).unwrap()
    };
    let report = build_on_base("one");
    let l = Layout::open(&report.layout).unwrap();
    let img = l
        .platform_image(l.find(None).unwrap(), &"linux/amd64".parse().unwrap())
        .unwrap()
        .unwrap();
    let c = &img.config_json;
    let run = &c["config"];
    assert_eq!(run["User"], "65532:65532", "{c}");
    assert_eq!(
        run["ExposedPorts"],
        serde_json::json!({"53/udp": {}, "8080/tcp": {}, "9090/tcp": {}})
    );
    assert_eq!(
        run["Volumes"],
        serde_json::json!({"/data": {}, "/var/log/app": {}})
    );
    // The base's PATH is kept, not replaced by the default.
    assert_eq!(
        run["Env"],
        serde_json::json!(["PATH=/opt/base/bin:/usr/bin:/bin", "LANG=C.UTF-8"])
    );
    assert_eq!(run["WorkingDir"], "/srv");
    assert_eq!(run["Labels"]["org.example.b"], "2");
    assert_eq!(run["StopSignal"], "SIGQUIT");
    // Not an OCI field, kept all the same.
    assert_eq!(
        run["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "/bin/true"])
    );
    assert_eq!(c["author"], "base maintainers");
    // What klts sets: its Entrypoint, hence no Cmd (Docker's rule); the base's ONBUILD
    // triggers are not run, so not passed on; ArgsEscaped described the base's entrypoint.
    assert_eq!(
        run["Entrypoint"],
        serde_json::json!(["/usr/local/bin/kube-proxy"])
    );
    for dropped in ["Cmd", "OnBuild", "ArgsEscaped"] {
        assert!(run.get(dropped).is_none(), "{dropped} kept: {c}");
    }
    assert_eq!(c["created"], "1970-01-01T00:00:00Z");
    assert_eq!(c["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    let history = c["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["created_by"], "ADD rootfs.tar /");
    assert_eq!(
        history[1]["created_by"],
        "klts image: /usr/local/bin/kube-proxy"
    );
    // Written canonically (sorted keys, no spaces) whatever order the maps come in: another
    // build gives the same bytes, and the config blob is its own sorted re-serialization.
    let config_digest = img.manifest.config().digest().to_string();
    let bytes = l.read_blob(&config_digest).unwrap();
    assert_eq!(serde_json::to_vec(c).unwrap(), bytes);
    let again = build_on_base("two");
    assert_eq!(report.images[0].digest, again.images[0].digest);
    if tools() {
        let config = skopeo_json(&[
            "inspect",
            "--config",
            &format!("oci:{}:kube-proxy:{RELEASE}", report.layout.display()),
        ]);
        assert_eq!(config["config"]["User"], "65532:65532");
        assert_eq!(config["config"]["WorkingDir"], "/srv");
    }
}

#[test]
fn push_to_a_real_registry_then_pull_with_skopeo() {
    if !tools() {
        return;
    }
    let reg = Registry::start("");
    let d = tempfile::tempdir().unwrap();
    let comps = ["kube-apiserver", "kube-scheduler"];
    let (release, layout) = build(d.path(), &comps);
    let report = push(&layout, &reg.addr(), &push_options(64 * 1024)).unwrap();
    // 2 images x 2 platforms x (config + layer).
    assert_eq!(report.blobs_uploaded, 8);
    assert_eq!(report.blobs_skipped, 0);
    // Layers of ~150 kB in 64 KiB chunks: 3 chunks each, configs 1.
    assert_eq!(report.chunks, 4 * 3 + 4);
    assert_eq!(report.manifests, 6);
    assert_eq!(report.images.len(), 2);
    let reference = format!("docker://{}/klts/kube-apiserver:{RELEASE}", reg.addr());
    let raw = skopeo_json(&["inspect", "--tls-verify=false", "--raw", &reference]);
    assert_eq!(raw["mediaType"], oci::MEDIA_INDEX);
    let archs: Vec<_> = raw["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    let arm = skopeo_json(&[
        "--override-arch",
        "arm64",
        "inspect",
        "--tls-verify=false",
        &reference,
    ]);
    assert_eq!(arm["Architecture"], "arm64");
    // Pull the arm64 image back and compare the binary.
    let pulled = d.path().join("pulled");
    run(Command::new("skopeo").args([
        "--override-arch",
        "arm64",
        "copy",
        "--src-tls-verify=false",
        &reference,
        &format!("oci:{}:x", pulled.display()),
    ]));
    let pl = Layout::open(&pulled).unwrap();
    let img = pl
        .platform_image(pl.find(Some("x")).unwrap(), &"linux/arm64".parse().unwrap())
        .unwrap()
        .unwrap();
    let (content, _) = file_in_layer(
        &pl.blob_path(img.layers[0].digest()).unwrap(),
        "kube-apiserver",
    );
    assert_eq!(
        content,
        std::fs::read(release.join("linux/arm64/kube-apiserver")).unwrap()
    );
    // The same digest as the layout: nothing was rewritten on the way.
    let inspect = skopeo_json(&["inspect", "--tls-verify=false", &reference]);
    assert_eq!(inspect["Digest"], report.images[0].digest);
    // Second push: every blob is already there.
    let again = push(&layout, &reg.addr(), &push_options(64 * 1024)).unwrap();
    assert_eq!(again.blobs_uploaded, 0);
    assert_eq!(again.blobs_skipped, 8);
    assert_eq!(again.bytes_uploaded, 0);
}

#[test]
fn relative_upload_locations_and_one_big_chunk() {
    if !tools() {
        return;
    }
    let reg = Registry::start("  relativeurls: true\n");
    let d = tempfile::tempdir().unwrap();
    let (_, layout) = build(d.path(), &["kube-proxy"]);
    let report = push(
        &layout,
        &reg.addr(),
        &push_options(registry::DEFAULT_CHUNK_SIZE),
    )
    .unwrap();
    assert_eq!(report.chunks, 4);
    assert_eq!(reg.manifest_status("klts/kube-proxy", RELEASE), 200);
}

#[test]
fn htpasswd_basic_auth() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let htpasswd = d.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("klts:{}\n", bcrypt::hash("s3cret", 4).unwrap()),
    )
    .unwrap();
    let reg = Registry::start(&format!(
        "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
        htpasswd.display()
    ));
    let (_, layout) = build(d.path(), &["kube-scheduler"]);
    let err = push(&layout, &reg.addr(), &push_options(64 * 1024))
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains("UNAUTHORIZED"), "{err}");
    assert!(err.contains("help: pass --username"), "{err}");
    let mut wrong = push_options(64 * 1024);
    wrong.username = Some("klts".into());
    wrong.password = Some("wrong".into());
    let err = push(&layout, &reg.addr(), &wrong).unwrap_err().to_string();
    assert!(err.contains("HTTP 401"), "{err}");
    let mut right = wrong.clone();
    right.password = Some("s3cret".into());
    let report = push(&layout, &reg.addr(), &right).unwrap();
    assert_eq!(report.blobs_uploaded, 4);
    let out = Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--creds",
            "klts:s3cret",
            "--raw",
            &format!("docker://{}/klts/kube-scheduler:{RELEASE}", reg.addr()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bearer_token_challenge() {
    if !tools() {
        return;
    }
    let reg = Registry::start("");
    let proxy = Proxy::start(reg.port, Some(("robot", "pw")), Fault::None);
    let d = tempfile::tempdir().unwrap();
    let (_, layout) = build(d.path(), &["kube-apiserver"]);
    // Anonymous: the token endpoint refuses.
    let err = push(&layout, &proxy.addr(), &push_options(64 * 1024))
        .unwrap_err()
        .to_string();
    assert!(err.contains("a token for"), "{err}");
    assert!(err.contains("bad credentials"), "{err}");
    let mut opts = push_options(64 * 1024);
    opts.username = Some("robot".into());
    opts.password = Some("pw".into());
    let report = push(&layout, &proxy.addr(), &opts).unwrap();
    assert_eq!(report.blobs_uploaded, 4);
    assert_eq!(reg.manifest_status("klts/kube-apiserver", RELEASE), 200);
}

#[test]
fn manifest_refusal_leaves_no_tag() {
    if !tools() {
        return;
    }
    let reg = Registry::start("");
    let proxy = Proxy::start(reg.port, None, Fault::ManifestPut500);
    let d = tempfile::tempdir().unwrap();
    let (_, layout) = build(d.path(), &["kube-apiserver"]);
    let err = push(&layout, &proxy.addr(), &push_options(64 * 1024)).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(*err, RegistryError::Refused { status: 500, .. }),
        "{text}"
    );
    assert!(text.contains("UNKNOWN storage backend on fire"), "{text}");
    assert!(text.contains("nothing was tagged"), "{text}");
    assert_eq!(reg.manifest_status("klts/kube-apiserver", RELEASE), 404);
}

#[test]
fn dropped_connection_mid_upload_leaves_no_tag() {
    if !tools() {
        return;
    }
    let reg = Registry::start("");
    let proxy = Proxy::start(reg.port, None, Fault::DropOnPatch(2));
    let d = tempfile::tempdir().unwrap();
    let (_, layout) = build(d.path(), &["kube-apiserver"]);
    let err = push(&layout, &proxy.addr(), &push_options(64 * 1024)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(*err, RegistryError::Connection { .. }), "{text}");
    assert!(text.contains("PATCH"), "{text}");
    assert!(text.contains("help:"), "{text}");
    assert_eq!(proxy.patches.load(Ordering::SeqCst), 2);
    assert_eq!(reg.manifest_status("klts/kube-apiserver", RELEASE), 404);
    // The push can simply be run again, straight to the registry.
    let report = push(&layout, &reg.addr(), &push_options(64 * 1024)).unwrap();
    assert_eq!(report.images.len(), 1);
    assert_eq!(reg.manifest_status("klts/kube-apiserver", RELEASE), 200);
}

#[test]
fn refused_connection_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let (_, layout) = build(d.path(), &["kube-apiserver"]);
    let port = free_port();
    let err = push(
        &layout,
        &format!("127.0.0.1:{port}"),
        &push_options(64 * 1024),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("cannot talk to the registry"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}/v2/")), "{err}");
}
