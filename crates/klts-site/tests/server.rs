//! The live server over real sockets on 127.0.0.1, with a tiny std-only HTTP/1.1 client:
//! every page as `pages::render` makes it, HTTP semantics (HEAD, ETag, 304, 405), request
//! limits (414, 431, 413, 400), a workspace that is broken and then fixed while the server runs
//! (the live rebuild), and graceful shutdown.

use klts_site::data::{self, SiteConfig, SiteData};
use klts_site::pages;
use klts_site::server::{bind_and_spawn, Limits, ServerConfig};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client.

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The headers a GET and a HEAD of the same resource must share.
    fn entity_headers(&self) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("date"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        h.sort();
        h
    }
}

/// Send `raw` (a whole request) and read the reply until the server closes the connection.
fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).expect("send request");
    let mut buf = Vec::new();
    // The server may close early (413, 431) while bytes remain unread; take what arrived.
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !buf.is_empty() => break,
            Err(e) => panic!("reading the reply: {e} (got {} bytes)", buf.len()),
        }
    }
    parse_reply(&buf)
}

fn parse_reply(buf: &[u8]) -> Reply {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = std::str::from_utf8(&buf[..end]).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header line");
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[..nl])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        b = &b[nl + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// Percent-encode what is not unreserved in a path (the pages' paths are plain, but be exact).
fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn request(addr: SocketAddr, method: &str, target: &str, extra_headers: &[(&str, &str)]) -> Reply {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra_headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    exchange(addr, raw.as_bytes())
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[])
}

// ---------------------------------------------------------------------------------------------
// Servers.

fn db() -> Arc<klts_vuln::db::Database> {
    static DB: OnceLock<Arc<klts_vuln::db::Database>> = OnceLock::new();
    DB.get_or_init(|| Arc::new(klts_vuln::sources::load(None).expect("embedded advisory data")))
        .clone()
}

struct Running {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    fn start(config: ServerConfig) -> Running {
        let (addr, shutdown, thread) = bind_and_spawn(config, db()).expect("start the server");
        let r = Running {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        r.wait_ready();
        r
    }

    /// Until the first build is done the server answers 503.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = get(self.addr, "/assets/style.css");
            if r.status != 503 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not finish its first build in 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("server thread panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn site_config() -> SiteConfig {
    static CONFIG: OnceLock<SiteConfig> = OnceLock::new();
    CONFIG
        .get_or_init(|| SiteConfig::on(klts_core::lifecycle::Date::today()))
        .clone()
}

fn config() -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        workspace: None,
        also: Vec::new(),
        cache_dir: None,
        site: site_config(),
        poll: Duration::from_millis(100),
        limits: Default::default(),
        today: None,
    }
}

/// The server without a workspace, shared by the tests that only read; and the same data,
/// built here, to compare with.
fn shared() -> (SocketAddr, Arc<SiteData>) {
    static SHARED: OnceLock<(SocketAddr, Arc<SiteData>)> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let running = Running::start(config());
            let addr = running.addr;
            // Kept for the whole test process.
            std::mem::forget(running);
            (
                addr,
                Arc::new(data::build(None, None, db(), &site_config())),
            )
        })
        .clone()
}

// ---------------------------------------------------------------------------------------------
// Pages and HTTP semantics.

#[test]
fn every_page_is_served_as_rendered() {
    let (addr, site) = shared();
    let paths = pages::all_paths(&site);
    assert!(paths.iter().any(|p| p == "/"), "{paths:?}");
    assert!(paths.len() > 5, "{paths:?}");
    for path in &paths {
        let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
        let expected = pages::render(&site, path_only, query);
        // The paths are URL paths already (segments percent-encoded by the pages).
        assert!(path.bytes().all(|b| b.is_ascii_graphic()), "{path:?}");
        let target = path.clone();
        let r = get(addr, &target);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        assert_eq!(expected.status, 200, "render {path}");
        assert!(
            r.body == expected.body,
            "GET {path}: the body differs from pages::render"
        );
        assert_eq!(
            r.header("content-type"),
            Some(expected.content_type),
            "GET {path}"
        );
        assert_eq!(
            r.header("content-length"),
            Some(expected.body.len().to_string().as_str()),
            "GET {path}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "GET {path}"
        );
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=60"),
            "GET {path}"
        );
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("*"),
            "GET {path}"
        );
        let etag = r
            .header("etag")
            .unwrap_or_else(|| panic!("GET {path}: no ETag"));
        assert!(
            etag.len() > 2
                && etag.starts_with('"')
                && etag.ends_with('"')
                && !etag.starts_with("W/"),
            "{etag}"
        );

        let h = request(addr, "HEAD", &target, &[]);
        assert_eq!(h.status, 200, "HEAD {path}");
        assert!(h.body.is_empty(), "HEAD {path} has a body");
        assert_eq!(
            h.entity_headers(),
            r.entity_headers(),
            "HEAD {path}: headers differ from GET"
        );
    }
}

#[test]
fn the_same_page_has_the_same_etag_and_revalidates() {
    let (addr, _) = shared();
    let a = get(addr, "/");
    let b = get(addr, "/");
    let etag = a.header("etag").expect("ETag").to_string();
    assert_eq!(b.header("etag"), Some(etag.as_str()));
    assert_ne!(
        get(addr, "/advisories/").header("etag"),
        Some(etag.as_str()),
        "different pages, different ETags"
    );

    let r = request(addr, "GET", "/", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));

    // A list, a weak form, HEAD, and `*` all match; another tag does not.
    let list = format!("\"nope\", W/{etag}");
    assert_eq!(
        request(addr, "GET", "/", &[("If-None-Match", &list)]).status,
        304
    );
    assert_eq!(
        request(addr, "HEAD", "/", &[("If-None-Match", &etag)]).status,
        304
    );
    assert_eq!(
        request(addr, "GET", "/", &[("If-None-Match", "*")]).status,
        304
    );
    let other = request(addr, "GET", "/", &[("If-None-Match", "\"0123\"")]);
    assert_eq!(other.status, 200);
    assert_eq!(other.body, a.body);
}

/// klts.io's old documentation addresses answer 301 with where the page is now.
#[test]
fn klts_io_addresses_are_redirected() {
    let (addr, _) = shared();
    let r = get(addr, "/docs/kubernetes/releases/v1.17/v1.17.17-lts.1/");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/releases/v1.17.17-lts.1/"));
    let r = get(addr, "/docs/kubernetes/releases/v1.17/");
    assert_eq!(r.header("location"), Some("/lines/1.17/"));
    assert_eq!(get(addr, "/lines/1.17/").status, 200);
    let r = get(addr, "/zh/docs/kubernetes/patches/cve-2020-8559/");
    // klts.io's Chinese pages go to the Chinese pages.
    assert_eq!(r.header("location"), Some("/zh/advisories/CVE-2020-8559/"));
    assert_eq!(get(addr, "/zh/advisories/CVE-2020-8559/").status, 200);
    assert_eq!(get(addr, "/docs/nothing/at/all/here/").status, 404);
}

/// Brotli or gzip when asked for, each its own representation: the bytes decompress to the
/// page, the ETag differs and revalidates on its own; `q=0` and no header get the identity body.
#[test]
fn compressed_when_accepted_with_its_own_etag() {
    use std::io::Read as _;
    let (addr, _) = shared();
    let plain = get(addr, "/advisories/");
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let z = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "br;q=0.5, gzip;q=0.8")],
    );
    assert_eq!(z.status, 200);
    assert_eq!(
        z.header("content-encoding"),
        Some("gzip"),
        "gzip ranked higher"
    );
    assert_eq!(z.header("vary"), Some("Accept-Encoding"));
    assert!(
        z.body.len() < plain.body.len() / 3,
        "{} vs {}",
        z.body.len(),
        plain.body.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&z.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    let zetag = z.header("etag").unwrap().to_string();
    assert_ne!(Some(zetag.as_str()), plain.header("etag"));
    let again = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &zetag)],
    );
    assert_eq!(again.status, 304);
    let refused = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.body, plain.body);
    // Brotli when ranked at least as high as gzip: smaller than gzip here, its own ETag.
    let b = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "gzip, deflate, br")],
    );
    assert_eq!(b.header("content-encoding"), Some("br"));
    assert!(
        b.body.len() < z.body.len(),
        "{} vs {}",
        b.body.len(),
        z.body.len()
    );
    let mut unbrotlied = Vec::new();
    brotli::Decompressor::new(&b.body[..], 4096)
        .read_to_end(&mut unbrotlied)
        .unwrap();
    assert_eq!(unbrotlied, plain.body);
    let betag = b.header("etag").unwrap().to_string();
    assert!(betag != zetag && Some(betag.as_str()) != plain.header("etag"));
    let again = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "br"), ("If-None-Match", &betag)],
    );
    assert_eq!(again.status, 304);
    let no_br = request(
        addr,
        "GET",
        "/advisories/",
        &[("Accept-Encoding", "br;q=0, *")],
    );
    assert_eq!(no_br.header("content-encoding"), Some("gzip"));
    // A page rendered for one request (a query) is compressed in the coding it asks for.
    for (accept, coding) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let r = request(
            addr,
            "GET",
            "/advisories/?severity=low",
            &[("Accept-Encoding", accept)],
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), coding, "{accept}");
    }
    // The endoflife.date-shaped cycles.
    let eol = get(addr, "/api/v1/eol.json");
    assert_eq!(eol.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&eol.body).unwrap();
    let c17 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cycle"] == "1.17")
        .cloned()
        .unwrap();
    assert_eq!(c17["releaseDate"], "2019-12-09", "{c17}");
    assert_eq!(c17["support"], "2021-01-13", "{c17}");
    assert!(c17["eol"].is_string() && c17["lts"].is_boolean(), "{c17}");
}

#[test]
fn unknown_pages_are_404() {
    let (addr, site) = shared();
    let r = get(addr, "/releases/v9.9.9-lts.1/");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.body,
        pages::render(&site, "/releases/v9.9.9-lts.1/", "").body
    );
    assert_eq!(get(addr, "/no/such/page/").status, 404);

    let r = get(addr, "/api/v1/no-such-thing.json");
    assert_eq!(r.status, 404);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{:?}",
        r.headers
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("a JSON 404");
    assert!(v.is_object(), "{v}");
}

/// The Chinese pages are served as rendered, `/zh` like `/zh/`; the API and the files exist
/// once, at the root.
#[test]
fn chinese_pages_are_served_and_the_api_is_not_duplicated() {
    let (addr, site) = shared();
    for path in ["/zh/", "/zh", "/zh/releases/", "/zh/matrix/", "/zh/search/"] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.body, pages::render(&site, path, "").body, "{path}");
        assert!(r.text().contains("<html lang=\"zh-CN\">"), "{path}");
    }
    assert_eq!(get(addr, "/zh").body, get(addr, "/zh/").body);
    let r = get(addr, "/zh/matrix/?severity=urgent");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("<html lang=\"zh-CN\">"));
    let r = get(addr, "/zh/no/such/page/");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("<html lang=\"zh-CN\">"));
    for path in [
        "/zh/api/v1/index.json",
        "/zh/api/v1/releases.json",
        "/zh/assets/style.css",
        "/zh/lifecycle.svg",
    ] {
        assert_eq!(get(addr, path).status, 404, "{path}");
    }
    assert_eq!(get(addr, "/api/v1/index.json").status, 200);
    // No API path names a language.
    let index: serde_json::Value =
        serde_json::from_slice(&get(addr, "/api/v1/index.json").body).unwrap();
    assert!(index["paths"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p.as_str().unwrap().starts_with("/api/v1/")));
}

#[test]
fn query_strings_reach_the_pages() {
    let (addr, site) = shared();
    let r = get(addr, "/matrix/?severity=urgent");
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.body,
        pages::render(&site, "/matrix/", "severity=urgent").body
    );

    let r = get(addr, "/search/?q=CVE-2021-3121");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        pages::render(&site, "/search/", "q=CVE-2021-3121").body
    );
}

#[test]
fn paths_are_percent_decoded() {
    let (addr, site) = shared();
    let plain = get(addr, "/advisories/CVE-2021-3121/");
    let encoded = get(addr, "/advisories/CVE%2D2021%2d3121/");
    assert_eq!(plain.status, encoded.status);
    assert_eq!(plain.body, encoded.body);
    assert_eq!(
        plain.body,
        pages::render(&site, "/advisories/CVE-2021-3121/", "").body
    );
    // The server passes the path on still encoded: the pages decode it segment by segment, so
    // an escaped `/` stays inside its segment and `%25` is decoded once.
    for raw in ["/advisories/CVE-2021-3121%2Fx/", "/advisories/%2541/"] {
        let r = get(addr, raw);
        let expected = pages::render(&site, raw, "");
        assert_eq!(
            (r.status, &r.body),
            (expected.status, &expected.body),
            "GET {raw}"
        );
    }

    for bad in [
        "/advisories/%zz/",
        "/advisories/%4",
        "/%FF%FE/",
        "/%C3/",
        "/a%00b/",
    ] {
        let r = get(addr, bad);
        assert_eq!(r.status, 400, "GET {bad}: {}", r.text());
    }
    // Under /api/ the server's own errors are JSON too.
    let r = get(addr, "/api/v1/%FF.json");
    assert_eq!(r.status, 400);
    serde_json::from_slice::<serde_json::Value>(&r.body).expect("JSON error");
}

#[test]
fn only_get_and_head_are_allowed() {
    let (addr, _) = shared();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = request(addr, method, "/", &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method}");
    }
    let r = exchange(addr, format!("POST /api/v1/advisories.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}").as_bytes());
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[test]
fn request_limits() {
    let (addr, _) = shared();
    // A 3 KiB request target.
    let long = format!("/{}", "a".repeat(3 * 1024));
    assert_eq!(get(addr, &long).status, 414);
    let long_query = format!("/search/?q={}", "b".repeat(3 * 1024));
    assert_eq!(get(addr, &long_query).status, 414);
    // Just under the limit is fine (a 404, the page does not exist).
    assert_eq!(get(addr, &format!("/{}", "a".repeat(2000))).status, 404);

    // 20 KiB of header fields.
    let filler = "x".repeat(1000);
    let names: Vec<String> = (0..20).map(|i| format!("X-Filler-{i}")).collect();
    let headers: Vec<(&str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), filler.as_str()))
        .collect();
    assert_eq!(request(addr, "GET", "/", &headers).status, 431);
    // 10 KiB is fine.
    assert_eq!(request(addr, "GET", "/", &headers[..10]).status, 200);

    // A body on GET.
    let r = exchange(
        addr,
        format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 413);
    let r = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 413);

    // Garbage is answered (or the connection closed), and the server goes on.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"\x00\xff NOT HTTP\r\n\r\n").unwrap();
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn concurrent_clients() {
    let (addr, site) = shared();
    let expected = pages::render(&site, "/api/v1/advisories.json", "").body;
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let expected = expected.clone();
            std::thread::spawn(move || {
                for j in 0..10 {
                    let path = if (i + j) % 2 == 0 {
                        "/api/v1/advisories.json"
                    } else {
                        "/"
                    };
                    let r = get(addr, path);
                    assert_eq!(r.status, 200, "{path}");
                    if path != "/" {
                        assert!(r.body == expected);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// A live workspace.

fn git(dir: &Path, args: &[&str]) -> String {
    klts_testkit::git_at(dir, args, "@1600000000 +0000")
}

/// `root/upstream`: a repository with tag `v1.17.0` and a fix after it; returns the fix as a
/// `git format-patch` mbox.
fn upstream(root: &Path) -> Vec<u8> {
    let up = root.join("upstream");
    std::fs::create_dir_all(up.join("pkg/proxy")).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    std::fs::write(
        up.join("pkg/proxy/proxy.go"),
        "package proxy\n\nfunc Upgrade(redirect bool) bool {\n\treturn redirect\n}\n",
    )
    .unwrap();
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Initial proxy"]);
    git(&up, &["tag", "v1.17.0"]);
    std::fs::write(
        up.join("pkg/proxy/proxy.go"),
        "package proxy\n\nfunc Upgrade(redirect bool) bool {\n\treturn false\n}\n",
    )
    .unwrap();
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            "proxy: do not follow redirects on upgrade (CVE-2020-8559)",
        ],
    );
    let out = Command::new("git")
        .current_dir(&up)
        .args(["format-patch", "--stdout", "-1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

const MANIFEST: &str = "base: ../upstream
product: kubernetes

releases:
  - name: v1.17.0-lts.1
    base_release: v1.17.0
    must: true
    patches:
      - CVE-2020-8559
";

/// Poll `target` until `ok(reply)` or ~10 s.
fn poll_until(addr: SocketAddr, target: &str, what: &str, ok: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = get(addr, target);
        if ok(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "after 10 s, {target} still does not show {what}:\n{}",
            r.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_broken_workspace_is_shown_then_rebuilt_live() {
    let tmp = tempfile::tempdir().unwrap();
    let patch = upstream(tmp.path());
    let ws = tmp.path().join("lts");
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    std::fs::write(ws.join("patches/CVE-2020-8559.patch"), &patch).unwrap();
    // Invalid YAML on line 4.
    std::fs::write(
        ws.join("releases.yml"),
        "base: ../upstream\nreleases:\n  - name: v1.17.0-lts.1\n    patches: [CVE-2020-8559\n",
    )
    .unwrap();

    let mut site = site_config();
    site.offline = false; // the upstream is a local path: "fetching" the tag is local
    let mut server = Running::start(ServerConfig {
        workspace: Some(ws.clone()),
        also: Vec::new(),
        site: site.clone(),
        ..config()
    });
    let addr = server.addr;

    // The same data, built here: the error names the file and a line.
    let broken = data::build(Some(&ws), None, db(), &site);
    let err = broken
        .errors
        .iter()
        .find(|e| e.diagnostic.file.ends_with("releases.yml"))
        .unwrap_or_else(|| panic!("{:?}", broken.errors));
    // `…/releases.yml:LINE:COL: …`
    let at = err
        .diagnostic
        .message
        .find("releases.yml:")
        .unwrap_or_else(|| panic!("no file:line in {:?}", err.diagnostic.message));
    let file_line: String = err.diagnostic.message[at..]
        .chars()
        .scan(0, |colons, c| {
            if c == ':' {
                *colons += 1;
            }
            (*colons < 2).then_some(c)
        })
        .collect();
    assert!(
        file_line.len() > "releases.yml:".len(),
        "no line in {:?}",
        err.diagnostic.message
    );

    let home = get(addr, "/");
    assert_eq!(home.status, 200);
    let text = home.text();
    assert!(
        text.contains(&file_line),
        "the home page does not show {file_line:?}:\n{text}"
    );
    let fragment = "invalid YAML";
    assert!(
        err.diagnostic.message.contains(fragment),
        "{:?}",
        err.diagnostic.message
    );
    assert!(
        text.contains(fragment),
        "the home page does not show the error {:?}:\n{text}",
        err.diagnostic.message
    );
    // Everything else is still served.
    assert_eq!(get(addr, "/advisories/").status, 200);
    let adv = &broken.advisories[0].advisory.id;
    assert_eq!(
        get(addr, &format!("/advisories/{}/", encode_path(adv))).status,
        200
    );
    assert_eq!(get(addr, "/api/v1/advisories.json").status, 200);
    assert!(!get(addr, "/releases/").text().contains("v1.17.0-lts.1"));

    // Fix the manifest: the release appears without a restart.
    std::fs::write(ws.join("releases.yml"), MANIFEST).unwrap();
    let releases = poll_until(addr, "/releases/", "the release", |r| {
        r.status == 200 && r.text().contains("v1.17.0-lts.1")
    });
    assert!(releases.text().contains("v1.17.0-lts.1"));
    let page = get(addr, "/releases/v1.17.0-lts.1/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("v1.17.0"), "{}", page.text());
    // The error is gone from the home page.
    let home = poll_until(addr, "/", "no error", |r| !r.text().contains(fragment));
    assert_eq!(home.status, 200);

    // Break it again: the error comes back, the rest is still served.
    std::fs::write(ws.join("releases.yml"), "base: [\n").unwrap();
    poll_until(addr, "/", "the error again", |r| {
        r.status == 200 && r.text().contains(fragment)
    });
    assert_eq!(get(addr, "/advisories/").status, 200);

    server.stop().expect("clean shutdown");
}

#[test]
fn graceful_shutdown_stops_accepting() {
    let mut server = Running::start(config());
    let addr = server.addr;
    assert_eq!(get(addr, "/").status, 200);
    // An idle keep-alive connection does not hold the shutdown up.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(format!("GET /assets/style.css HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let started = Instant::now();
    server.stop().expect("the server thread returns Ok");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "shutdown took {:?}",
        started.elapsed()
    );
    // Nothing listens any more.
    let refused = (0..50).any(|_| {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
        false
    });
    assert!(refused, "the port still accepts connections after shutdown");
}

#[test]
fn the_port_in_use_is_an_error() {
    let (addr, _) = shared();
    let err = bind_and_spawn(ServerConfig { addr, ..config() }, db())
        .expect_err("binding a port in use fails");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}

// ---------------------------------------------------------------------------------------------
// Hostile clients: timeouts and the connection cap. The limits are small so that the tests are
// quick; the bounds asserted are generous so that a loaded machine cannot make them flake.

/// Whether the server has closed `s` (EOF or reset), without waiting long.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let mut b = [0u8; 512];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slowloris_connections_are_cut_while_a_normal_client_is_served() {
    let header_timeout = Duration::from_secs(1);
    let server = Running::start(ServerConfig {
        limits: Limits {
            header_timeout,
            idle_timeout: Duration::from_secs(30),
            max_connections: 64,
            ..Limits::default()
        },
        ..config()
    });
    let addr = server.addr;
    // 40 connections that start a request and then trickle one header byte each 100 ms, which
    // no per-read timeout would ever cut.
    let started = Instant::now();
    let mut slow: Vec<(TcpStream, Option<Duration>)> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
            (s, None)
        })
        .collect();
    let mut served = None;
    let deadline = started + Duration::from_secs(20);
    while Instant::now() < deadline && slow.iter().any(|(_, closed)| closed.is_none()) {
        for (s, closed) in slow.iter_mut().filter(|(_, c)| c.is_none()) {
            if s.write_all(b"a").is_err() || closed_by_server(s) {
                *closed = Some(started.elapsed());
            }
        }
        if served.is_none() && started.elapsed() > Duration::from_millis(300) {
            // A normal client, while all of them trickle.
            let t = Instant::now();
            assert_eq!(get(addr, "/").status, 200);
            served = Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let times: Vec<Duration> = slow.iter().filter_map(|(_, c)| *c).collect();
    assert_eq!(
        times.len(),
        slow.len(),
        "trickling connections still open after 20 s (header timeout {header_timeout:?})"
    );
    let served = served.expect("the normal client ran");
    let latest = times.iter().max().unwrap();
    let earliest = times.iter().min().unwrap();
    eprintln!(
        "slowloris: 40 trickling connections closed {earliest:?}..{latest:?} after they started \
         (header timeout {header_timeout:?}); a normal GET / meanwhile took {served:?}"
    );
    assert!(served < Duration::from_secs(10), "GET / took {served:?}");
    // They were cut by the header timeout, not at once.
    assert!(*earliest >= header_timeout / 2, "closed after {earliest:?}");
}

#[test]
fn an_idle_flood_over_the_cap_does_not_starve_a_client() {
    let cap = 8;
    let server = Running::start(ServerConfig {
        limits: Limits {
            // Long timeouts: what serves the client here is the cap shedding idle connections.
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: cap,
            ..Limits::default()
        },
        ..config()
    });
    let addr = server.addr;
    let mut idle: Vec<TcpStream> = (0..3 * cap)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(get(addr, "/").status, 200);
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }
    // The server holds at most `cap` of them: the others were closed to make room.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut closed = 0;
    while Instant::now() < deadline {
        closed = idle.iter_mut().map(closed_by_server).filter(|&c| c).count();
        if closed >= idle.len() - cap {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        closed >= idle.len() - cap,
        "{closed} of {} idle connections closed with a cap of {cap}",
        idle.len()
    );
}

#[test]
fn busy_connections_over_the_cap_get_503() {
    let server = Running::start(ServerConfig {
        limits: Limits {
            header_timeout: Duration::from_secs(30),
            max_connections: 2,
            ..Limits::default()
        },
        ..config()
    });
    let addr = server.addr;
    // Two connections in the middle of a request head: busy, so not shed.
    let busy: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The third is answered without sending anything (so that it sees the reply, not a reset).
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    third.read_to_end(&mut buf).expect("a reply, then EOF");
    let r = parse_reply(&buf);
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    drop(busy);
}

#[test]
fn long_methods_are_neither_served_nor_echoed() {
    let (addr, _) = shared();
    // A 10 KiB method makes the request line too long.
    let method = "A".repeat(10 * 1024);
    let r = request(addr, &method, "/", &[]);
    assert_eq!(r.status, 414);
    assert!(r.body.len() < 512, "{}", r.text());
    assert!(!r.text().contains(&"A".repeat(100)), "{}", r.text());
    // A 200-byte one fits the line and is named, cut short, in the 405.
    let method = "B".repeat(200);
    let r = request(addr, &method, "/api/v1/index.json", &[]);
    assert_eq!(r.status, 405);
    assert!(
        r.text().contains(&format!("{}…", "B".repeat(64))),
        "{}",
        r.text()
    );
    assert!(!r.text().contains(&"B".repeat(65)), "{}", r.text());
}

#[test]
fn shutdown_is_not_held_up_by_a_half_sent_request() {
    let mut server = Running::start(ServerConfig {
        limits: Limits {
            header_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(1),
            ..Limits::default()
        },
        ..config()
    });
    let mut half = TcpStream::connect(server.addr).unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nX-Slow: a").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.stop().expect("the server thread returns Ok");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "shutdown took {:?}",
        started.elapsed()
    );
    half.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = half.read_to_end(&mut rest);
}

/// A server that runs past midnight describes the new day: its day source is asked at every
/// poll and a new day rebuilds the data, with no file changed.
#[test]
fn a_new_day_rebuilds_the_data() {
    use std::sync::atomic::{AtomicI64, Ordering};
    static DAY: AtomicI64 = AtomicI64::new(0);
    fn today() -> klts_core::lifecycle::Date {
        klts_core::lifecycle::Date::from_days(DAY.load(Ordering::SeqCst))
    }
    let first = klts_core::lifecycle::Date::parse("2026-11-30").unwrap();
    DAY.store(first.to_days(), Ordering::SeqCst);
    let server = Running::start(ServerConfig {
        today: Some(today),
        ..config()
    });
    let generated = |addr| {
        let r = get(addr, "/api/v1/index.json");
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["generated"].as_str().unwrap().to_string()
    };
    assert_eq!(generated(server.addr), "2026-11-30");
    DAY.store(first.to_days() + 1, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while generated(server.addr) != "2026-12-01" {
        assert!(
            Instant::now() < deadline,
            "still {}",
            generated(server.addr)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
