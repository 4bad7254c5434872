//! One portal for a program: a Kubernetes workspace at the root and a containerd workspace
//! under `/containerd/` and `/api/v1/containerd/`, rendered, exported and served together.

use klts_core::lifecycle::Date;
use klts_site::data::{self, SiteConfig, SiteData};
use klts_site::export::{file_for, write_program, write_site};
use klts_site::pages::{self, render, HTML};
use klts_site::program::{decide_products, Program};
use klts_site::server::{bind_and_spawn, ServerConfig};
use std::collections::{BTreeSet, VecDeque};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kubernetes advisories that must never show on a containerd page.
const KUBERNETES_CVES: [&str; 4] = [
    "CVE-2020-8559",
    "CVE-2021-25741",
    "CVE-2021-3121",
    "CVE-2024-21626",
];

fn config() -> SiteConfig {
    SiteConfig {
        package_url: "https://packages.example.test".into(),
        image_repository: "registry.example.test/klts".into(),
        date: Date::parse("2022-06-01").unwrap(),
        lts_years: None,
        // The upstreams are local paths: "fetching" them needs no network.
        offline: false,
    }
}

fn db() -> Arc<klts_vuln::db::Database> {
    Arc::new(klts_vuln::sources::load(None).expect("embedded advisory data"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    klts_testkit::git_at(dir, args, "@1600000000 +0000")
}

/// A Kubernetes workspace that says so (`product: kubernetes`): its manifest alone.
fn kubernetes_workspace(root: &Path) -> PathBuf {
    let ws = root.join("kubernetes-lts");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        "product: kubernetes\nbase: /nonexistent/kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n    patches: [CVE-2021-3121]\n",
    )
    .unwrap();
    ws
}

/// A containerd workspace: an upstream whose go.mod is containerd's, tagged v1.4.3, and
/// v1.4.3-lts.1 carrying the fix as `CVE-2021-41103.1.4`.
fn containerd_workspace(root: &Path, name: &str) -> PathBuf {
    let up = root.join(format!("{name}-upstream"));
    std::fs::create_dir_all(up.join("oci")).unwrap();
    git(&up, &["init", "-q", "-b", "main"]);
    std::fs::write(
        up.join("go.mod"),
        "module github.com/containerd/containerd\n\ngo 1.13\n",
    )
    .unwrap();
    std::fs::write(
        up.join("oci/spec.go"),
        "package oci\n\nconst DirMode = 0711\n",
    )
    .unwrap();
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "release"]);
    git(&up, &["tag", "v1.4.3"]);
    std::fs::write(
        up.join("oci/spec.go"),
        "package oci\n\nconst DirMode = 0700\n",
    )
    .unwrap();
    git(
        &up,
        &["commit", "-q", "-am", "oci: restrict directory permissions"],
    );
    let fix = git(&up, &["format-patch", "-M", "--stdout", "HEAD~1..HEAD"]);
    git(&up, &["checkout", "-q", "v1.4.3"]);

    let ws = root.join(name);
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    std::fs::write(ws.join("patches/CVE-2021-41103.1.4.patch"), fix).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!(
            "base: {}\nreleases:\n  - name: v1.4.3-lts.1\n    base_release: v1.4.3\n    must: true\n    patches: [CVE-2021-41103.1.4]\n",
            up.display()
        ),
    )
    .unwrap();
    ws
}

/// The products' home pages: the one link a product's pages may make outside its prefix (the
/// home page's product list); checked by the crawl of the product they belong to.
const HOMES: [&str; 2] = ["/containerd/", "/kubernetes/"];

/// Every link, form action and resource reached from `start` through `get`: each must stay
/// under one of `prefixes` (or be a product's home) and answer 200. The pages visited.
fn crawl(
    start: &str,
    prefixes: &[&str],
    get: impl Fn(&str) -> (u16, &'static str, String),
) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::from([start.to_string()]);
    let mut queue: VecDeque<String> = VecDeque::from([start.to_string()]);
    while let Some(url) = queue.pop_front() {
        let (status, content_type, body) = get(&url);
        assert_eq!(status, 200, "{url}");
        if content_type != HTML {
            continue;
        }
        for attr in ["href=\"", "action=\"", "src=\""] {
            for (k, _) in body.match_indices(attr) {
                let rest = &body[k + attr.len()..];
                let v = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
                if v.starts_with("http://") || v.starts_with("https://") || v.starts_with('#') {
                    continue;
                }
                // The Chinese pages (reached by the language switch) stay in the product too.
                let inner = v.strip_prefix("/zh").unwrap_or(&v);
                if HOMES.contains(&inner) && !inner.starts_with(prefixes[0]) {
                    continue;
                }
                assert!(
                    prefixes.iter().any(|p| inner.starts_with(p)),
                    "{url} links outside its product: {v}"
                );
                let v = v.split('#').next().unwrap().to_string();
                if seen.insert(v.clone()) {
                    queue.push_back(v);
                }
            }
        }
    }
    seen
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

fn body_of(program: &Program, path: &str) -> (u16, String) {
    let r = program.render(path, "");
    (r.status, r.text())
}

/// The ids a status answer lists as open.
fn open_ids(answer: &serde_json::Value) -> Vec<String> {
    answer["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["advisory"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn each_product_lives_under_its_prefix_and_the_old_urls_do_not_change() {
    let tmp = tempfile::tempdir().unwrap();
    let k8s = kubernetes_workspace(tmp.path());
    let cd = containerd_workspace(tmp.path(), "containerd-lts");
    let single = data::build(Some(&k8s), None, db(), &config());
    let program =
        Program::build(Some(&k8s), std::slice::from_ref(&cd), None, db(), &config()).unwrap();
    assert_eq!(
        program.products.keys().collect::<Vec<_>>(),
        ["containerd", "kubernetes"]
    );
    let containerd: &SiteData = &program.products["containerd"];
    assert_eq!(containerd.base, "/containerd");
    assert!(containerd.errors.is_empty(), "{:?}", containerd.errors);

    // Today's URLs answer what the main workspace alone answers, byte for byte; only the home
    // page (its product list) and the API index (its `products`) say there is more.
    for path in pages::all_paths(&single) {
        let alone = render(&single, &path, "");
        let (status, body) = body_of(&program, &path);
        assert_eq!(status, alone.status, "{path}");
        if path == "/" || path == "/zh/" || path == "/api/v1/index.json" {
            continue;
        }
        assert_eq!(body, alone.text(), "{path} changed");
    }
    let home = body_of(&program, "/").1;
    assert!(
        home.contains("<a href=\"/containerd/\">containerd</a>")
            && home.contains("<a href=\"/kubernetes/\">Kubernetes</a>"),
        "{home}"
    );
    assert!(!render(&single, "/", "").text().contains("id=\"products\""));
    let index: serde_json::Value =
        serde_json::from_str(&body_of(&program, "/api/v1/index.json").1).unwrap();
    let products = index["products"].as_array().unwrap();
    assert_eq!(products.len(), 2, "{index}");
    assert_eq!(products[0]["name"], "containerd");
    assert_eq!(products[0]["href"], "/containerd/");
    assert_eq!(products[0]["api"], "/api/v1/containerd/index.json");
    assert_eq!(products[1]["display_name"], "Kubernetes");

    // containerd's release: its own advisory fixed by the patch, no Kubernetes one.
    let (status, page) = body_of(&program, "/containerd/releases/v1.4.3-lts.1/");
    assert_eq!(status, 200);
    let fixed = &page[page.find("id=\"fixed\"").unwrap()..];
    assert!(
        fixed.contains("href=\"/containerd/advisories/CVE-2021-41103/\""),
        "{page}"
    );
    assert!(
        page.contains("<title>Release v1.4.3-lts.1 · KLTS</title>"),
        "{page}"
    );
    for id in KUBERNETES_CVES {
        assert!(!page.contains(id), "{id} on a containerd page");
    }
    assert!(!body_of(&program, "/containerd/")
        .1
        .contains("Kubernetes Long Term Support"));
    assert!(body_of(&program, "/containerd/")
        .1
        .contains("<h1>containerd Long Term Support</h1>"));

    // Every link of every containerd page stays inside containerd's prefixes and resolves.
    let seen = crawl(
        "/containerd/",
        &["/containerd/", "/api/v1/containerd/"],
        |url| {
            let r = program.render(url, "");
            (r.status, r.content_type, r.text())
        },
    );
    for p in pages::all_paths(containerd)
        .iter()
        .filter(|p| p.ends_with('/'))
    {
        assert!(
            seen.contains(p),
            "{p} is not linked from any containerd page"
        );
    }
    // So do the Kubernetes pages under their own prefix.
    crawl(
        "/kubernetes/",
        &["/kubernetes/", "/api/v1/kubernetes/"],
        |url| {
            let r = program.render(url, "");
            (r.status, r.content_type, r.text())
        },
    );

    // The API under the product: the status of the bare tag has CVE-2021-41103 open.
    let (status, body) = body_of(&program, "/api/v1/containerd/status/1.4.3.json");
    assert_eq!(status, 200, "{body}");
    let open = open_ids(&serde_json::from_str(&body).unwrap());
    assert!(open.iter().any(|i| i == "CVE-2021-41103"), "{open:?}");
    for id in KUBERNETES_CVES {
        assert!(!open.iter().any(|i| i == id), "{id} open on containerd");
    }
    let (_, releases) = body_of(&program, "/api/v1/containerd/releases.json");
    assert!(releases.contains("\"page\": \"/containerd/releases/v1.4.3-lts.1/\""));
    let (_, cindex) = body_of(&program, "/api/v1/containerd/index.json");
    assert!(cindex.contains("\"/api/v1/containerd/releases/v1.4.3-lts.1.json\""));
    assert!(!cindex.contains("\"/api/v1/releases/"), "{cindex}");
    // The root's API is Kubernetes'.
    assert_eq!(
        body_of(&program, "/api/v1/releases/v1.4.3-lts.1.json").0,
        404
    );

    // Unknown products are 404, pages and API alike.
    for url in [
        "/runc/",
        "/runc/releases/",
        "/api/v1/runc/releases.json",
        "/containerd/releases/v1.17.17-lts.1/",
        "/api/v1/containerd/nothing.json",
    ] {
        assert_eq!(body_of(&program, url).0, 404, "{url}");
    }

    // The static export writes every product's tree, the same bytes as rendered.
    let out = tmp.path().join("public");
    let n = write_program(&program, &out).unwrap();
    let paths = program.all_paths();
    let moved = program.legacy_paths();
    let aliases: Vec<(String, String)> = program
        .sites()
        .flat_map(|s| klts_site::pages::advisory_aliases(s))
        .collect();
    let mut expected: BTreeSet<String> = paths
        .iter()
        .chain(moved.iter().map(|(old, _)| old))
        .chain(aliases.iter().map(|(alias, _)| alias))
        .map(|p| file_for(p).unwrap().display().to_string())
        .collect();
    // klts.io's containerd addresses go to the containerd pages.
    assert!(moved.iter().any(
        |(old, new)| old == "/docs/containerd/releases/v1.4/v1.4.3-lts.1/"
            && new == "/containerd/releases/v1.4.3-lts.1/"
    ));
    expected.insert("404.html".into());
    expected.insert("zh/404.html".into());
    assert_eq!(n, expected.len());
    expected.insert(".klts-site".into());
    assert_eq!(files_under(&out), expected);
    for p in [
        "/containerd/releases/v1.4.3-lts.1/",
        "/api/v1/containerd/status/v1.4.3-lts.1.json",
        "/releases/v1.17.17-lts.1/",
    ] {
        let file = out.join(file_for(p).unwrap());
        assert_eq!(
            std::fs::read(&file).unwrap(),
            program.render(p, "").body,
            "{p}"
        );
    }
    // The root of the export is the single build's (home and API index aside).
    let alone = tmp.path().join("alone");
    write_site(&single, &alone).unwrap();
    for f in files_under(&alone) {
        if f == "index.html" || f == "zh/index.html" || f == "api/v1/index.json" {
            continue;
        }
        assert_eq!(
            std::fs::read(alone.join(&f)).unwrap(),
            std::fs::read(out.join(&f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn two_workspaces_of_one_product_are_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let k8s = kubernetes_workspace(tmp.path());
    let a = containerd_workspace(tmp.path(), "a");
    let b = containerd_workspace(tmp.path(), "b");
    // Not fetched yet, their product is only known once built (from the upstream's go.mod).
    let e = Program::build(Some(&k8s), &[a.clone(), b.clone()], None, db(), &config()).unwrap_err();
    assert!(
        e.contains(&a.display().to_string())
            && e.contains(&b.display().to_string())
            && e.contains("containerd"),
        "{e}"
    );
    let e = decide_products(Some(&k8s), std::slice::from_ref(&k8s), None).unwrap_err();
    assert!(e.contains("both maintain kubernetes"), "{e}");
    let e = decide_products(Some(&k8s), &[tmp.path().join("missing")], None).unwrap_err();
    assert!(e.contains("missing") && e.contains("help:"), "{e}");
    assert_eq!(
        decide_products(Some(&k8s), &[a], None).unwrap(),
        [
            klts_core::Product::Kubernetes,
            klts_core::Product::Containerd
        ]
    );
}

/// One HTTP/1.1 GET on a fresh connection: status, content type, body.
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    let mut body = buf[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, content_type, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        b = &b[nl + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[test]
fn the_server_serves_every_product() {
    let tmp = tempfile::tempdir().unwrap();
    let k8s = kubernetes_workspace(tmp.path());
    let cd = containerd_workspace(tmp.path(), "containerd-lts");
    let single = data::build(Some(&k8s), None, db(), &config());
    let (addr, shutdown, thread) = bind_and_spawn(
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            workspace: Some(k8s.clone()),
            also: vec![cd],
            cache_dir: None,
            site: config(),
            poll: Duration::from_secs(60),
            limits: Default::default(),
            today: None,
        },
        db(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(addr, "/assets/style.css").0 == 503 {
        assert!(Instant::now() < deadline, "no first build in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // An old URL: the same bytes as the main workspace alone.
    let (status, _, body) = http_get(addr, "/releases/v1.17.17-lts.1/");
    assert_eq!(status, 200);
    assert_eq!(body, render(&single, "/releases/v1.17.17-lts.1/", "").body);
    let (status, _, body) = http_get(addr, "/api/v1/lines.json");
    assert_eq!(
        (status, body),
        (200, render(&single, "/api/v1/lines.json", "").body)
    );

    // containerd's release page and status, under its prefixes.
    let (status, _, page) = http_get(addr, "/containerd/releases/v1.4.3-lts.1/");
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("/containerd/advisories/CVE-2021-41103/"));
    let (status, ct, body) = http_get(addr, "/api/v1/containerd/status/1.4.3.json");
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let open = open_ids(&serde_json::from_slice(&body).unwrap());
    assert!(open.iter().any(|i| i == "CVE-2021-41103"), "{open:?}");
    // Every link of every containerd page resolves on the server.
    crawl(
        "/containerd/",
        &["/containerd/", "/api/v1/containerd/"],
        |url| {
            let (status, ct, body) = http_get(addr, url);
            let html = if ct == HTML { HTML } else { "" };
            (status, html, String::from_utf8_lossy(&body).into_owned())
        },
    );
    assert_eq!(http_get(addr, "/runc/releases/").0, 404);
    assert_eq!(http_get(addr, "/api/v1/runc/releases.json").0, 404);

    let _ = shutdown.send(());
    thread.join().unwrap().unwrap();
}
