//! The portal in a real browser: Debian's headless `chromium` loads the live server's pages
//! (`--dump-dom` gives the DOM after the page ran), follows links from the home page to a
//! release and from the release to an advisory, and takes screenshots (desktop and phone size)
//! into `target/screenshots/` for people to look at.
//!
//! It also checks that no page is wider than the screen, at 1366 px and at a phone's 390 px.
//! The pages need no JavaScript (only the search page has an optional script), so the test
//! measures them from outside: a page of its own
//! holds the pages in iframes of the given width and a script that writes each frame's
//! `scrollWidth` (and the elements sticking out, to say what to fix) into its DOM, read back
//! with `--dump-dom` (`--virtual-time-budget` lets every frame load first). A script may only
//! read a frame of its own origin, so that page is served by a small loopback proxy
//! ([`Proxy`]) that forwards every other path to the portal.
//!
//! Without `/usr/bin/chromium` the test is skipped with a message, except under `CI` (set by
//! the CI runner), where `.ci/run` installs it and its absence is a failure. `KLTS_CHROMIUM`
//! names another browser binary.

use klts_site::data::{self, SiteConfig};
use klts_site::server::{bind_and_spawn, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bound on every browser run.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("KLTS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    // The tool rule of every test (a skip, or a failure under CI), with the Debian package.
    klts_testkit::require(&path.to_string_lossy(), "chromium")
}

/// A loopback HTTP server that answers the paths in `pages` itself and forwards every other
/// GET to `upstream`, so the test's measuring page and the portal's pages share one origin.
struct Proxy {
    addr: SocketAddr,
    pages: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let pages: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>> =
            Arc::default();
        let own = pages.clone();
        // Detached: it lives as long as the test process, like the browser's connections.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let own = own.clone();
                std::thread::spawn(move || {
                    let mut client = client;
                    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match client.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                    let own_page = own.lock().unwrap().get(&path).cloned();
                    if let Some(body) = own_page {
                        let _ = write!(client, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                        return;
                    }
                    let Ok(mut up) = std::net::TcpStream::connect(upstream) else {
                        return;
                    };
                    let _ = write!(
                        up,
                        "GET {path} HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n\r\n"
                    );
                    let _ = std::io::copy(&mut up, &mut client);
                });
            }
        });
        Proxy { addr, pages }
    }

    /// `url` of the portal as a URL of the proxy.
    fn url(&self, upstream: SocketAddr, url: &str) -> String {
        url.replacen(&upstream.to_string(), &self.addr.to_string(), 1)
    }
}

struct Browser {
    bin: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Run chromium headless with `args` then `url`; kill it after [`BROWSER_TIMEOUT`].
    /// Returns stdout.
    fn run(&self, args: &[&str], url: &str) -> Vec<u8> {
        let out_path = self.profile.path().join("stdout");
        let err_path = self.profile.path().join("stderr");
        let home = self.profile.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut child = Command::new(&self.bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                self.profile.path().join("profile").display()
            ))
            .args(args)
            .arg(url)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("start chromium");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for chromium") {
                break status;
            }
            if started.elapsed() > BROWSER_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium {args:?} {url} did not finish in {} s; stderr:\n{}",
                    BROWSER_TIMEOUT.as_secs(),
                    std::fs::read_to_string(&err_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            status.success(),
            "chromium {args:?} {url} failed ({status}); stderr:\n{}",
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        std::fs::read(&out_path).unwrap()
    }

    /// The DOM of `url` after it loaded.
    fn dom(&self, url: &str) -> String {
        let dom = String::from_utf8_lossy(&self.run(&["--dump-dom"], url)).into_owned();
        assert!(
            dom.contains("<html") || dom.contains("<HTML"),
            "no DOM for {url}:\n{dom}"
        );
        dom
    }

    /// For each of `urls` in a frame `width` px wide: the frame's viewport width, its page's
    /// scroll width, how many table cells (the matrix's excepted: it scrolls by design) lie
    /// past the right edge, even inside a scrolling wrapper, and a description of what sticks
    /// out; and the smallest chart text as drawn, in tenths of a px.
    fn widths(
        &self,
        proxy: &Proxy,
        urls: &[String],
        width: u32,
    ) -> Vec<(u32, u32, u32, u32, String)> {
        let frames: String = urls
            .iter()
            .map(|u| {
                format!(
                    "<iframe src=\"{u}\" width=\"{width}\" height=\"700\" style=\"border:0;display:block\"></iframe>\n"
                )
            })
            .collect();
        let page = format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
{frames}<pre id="widths"></pre>
<script>
window.addEventListener('load', () => {{
  const out = [];
  for (const f of document.querySelectorAll('iframe')) {{
    try {{
      const d = f.contentDocument, root = d.documentElement, vw = root.clientWidth;
      const sw = Math.max(root.scrollWidth, d.body.scrollWidth);
      const wide = [];
      for (const e of d.body.querySelectorAll('*')) {{
        const r = e.getBoundingClientRect();
        if (r.right <= vw + 0.5 || wide.length >= 6) continue;
        let clipped = false;
        for (let a = e.parentElement; a && a !== d.body; a = a.parentElement) {{
          const o = getComputedStyle(a).overflowX;
          if (o !== 'visible') {{ clipped = true; break; }}
        }}
        if (!clipped) wide.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' right=' + Math.round(r.right) + ' "' + (e.textContent || '').trim().slice(0, 40) + '"');
      }}
      const cells = [];
      for (const c of d.querySelectorAll('table:not(.matrix) tbody td, table:not(.matrix) tbody th')) {{
        if (c.getBoundingClientRect().right > vw + 0.5) cells.push(c);
      }}
      const first = cells[0] ? ' | off-screen cell "' + (cells[0].getAttribute('data-label') || cells[0].textContent.trim().slice(0, 40)) + '"' : '';
      // The smallest text of a shown inline SVG, in CSS px as drawn: its font size times the
      // scale the SVG is drawn at. 99 when the page has no chart.
      let font = 99;
      for (const svg of d.querySelectorAll('svg')) {{
        const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
        if (box.width === 0 || !vb || vb.width === 0) continue;
        for (const t of svg.querySelectorAll('text')) {{
          font = Math.min(font, parseFloat(getComputedStyle(t).fontSize) * box.width / vb.width);
        }}
      }}
      out.push(vw + ' ' + sw + ' ' + cells.length + ' ' + Math.floor(font * 10) + ' ' + wide.join(' | ') + first);
    }} catch (err) {{
      out.push('0 0 0 0 cannot read the frame: ' + err);
    }}
  }}
  document.getElementById('widths').textContent = out.join('\n');
}});
</script></body></html>"#
        );
        let path = format!("/__widths-{width}.html");
        proxy.pages.lock().unwrap().insert(path.clone(), page);
        let dom = String::from_utf8_lossy(&self.run(
            &[
                "--dump-dom",
                "--virtual-time-budget=15000",
                "--window-size=1400,900",
            ],
            &format!("http://{}{path}", proxy.addr),
        ))
        .into_owned();
        let out = dom
            .split("<pre id=\"widths\">")
            .nth(1)
            .and_then(|s| s.split("</pre>").next())
            .unwrap_or_else(|| panic!("no measurements in the DOM:\n{dom}"));
        let rows: Vec<(u32, u32, u32, u32, String)> = decode_entities(out)
            .lines()
            .map(|l| {
                let mut parts = l.splitn(5, ' ');
                let mut n = || parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                let (vw, sw, cells, font) = (n(), n(), n(), n());
                (vw, sw, cells, font, l.to_string())
            })
            .collect();
        assert_eq!(rows.len(), urls.len(), "one measurement per page:\n{out}");
        rows
    }

    /// A screenshot of `url` at `width`x`height` into `file`; checks it is a real PNG of that size.
    fn screenshot(&self, url: &str, file: &Path, width: u32, height: u32) {
        let _ = std::fs::remove_file(file);
        self.run(
            &[
                &format!("--screenshot={}", file.display()),
                &format!("--window-size={width},{height}"),
            ],
            url,
        );
        let png =
            std::fs::read(file).unwrap_or_else(|e| panic!("no screenshot {}: {e}", file.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            file.display()
        );
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (width, height), "{}", file.display());
        // A blank page compresses to almost nothing; a page with text does not.
        assert!(
            png.len() > 8 * 1024,
            "{} is only {} bytes: an empty page?",
            file.display(),
            png.len()
        );
        eprintln!("screenshot {} ({} bytes)", file.display(), png.len());
    }
}

/// Visible text of an HTML document (tags, scripts and styles dropped, entities decoded).
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        rest = &rest[lt..];
        let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match rest.to_ascii_lowercase().find(skip_to) {
            Some(i) => rest = &rest[i + skip_to.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    let out = decode_entities(&out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Every `href` of the document, resolved against `base` (an absolute `http://host/path` URL).
fn links(dom: &str, base: &str) -> Vec<String> {
    dom.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| resolve(base, &decode_entities(h)))
        .collect()
}

fn resolve(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or_default();
    if href.starts_with("http://") || href.starts_with("https://") {
        return href.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let origin = &base[..origin_end];
    let base_path = &base[origin_end..];
    let joined = if href.starts_with('/') {
        href.to_string()
    } else if href.is_empty() {
        base_path.to_string()
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{href}")
    };
    let (path, query) = joined
        .split_once('?')
        .map_or((joined.as_str(), None), |(p, q)| (p, Some(q)));
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, seg) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *seg {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
                if last {
                    segments.push("");
                }
            }
            s => segments.push(s),
        }
    }
    let mut path = segments.join("/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    match query {
        Some(q) => format!("{origin}{path}?{q}"),
        None => format!("{origin}{path}"),
    }
}

/// `tag` in `text`, not as the prefix of a longer version (`v1.17.0` but not `v1.17.0-lts.1`).
fn contains_tag(text: &str, tag: &str) -> bool {
    text.match_indices(tag).any(|(i, _)| {
        let next = text[i + tag.len()..].chars().next();
        !matches!(next, Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '+')
    })
}

#[test]
fn resolves_relative_links() {
    assert!(contains_tag("base v1.17.0 -> v1.17.0-lts.1", "v1.17.0"));
    assert!(contains_tag("(v1.17.0)", "v1.17.0"));
    assert!(!contains_tag("v1.17.0-lts.1 v1.17.01", "v1.17.0"));
    assert_eq!(
        resolve("http://h:1/releases/v1/", "../../advisories/CVE-1/"),
        "http://h:1/advisories/CVE-1/"
    );
    assert_eq!(
        resolve("http://h:1/releases/v1/", "../v2/"),
        "http://h:1/releases/v2/"
    );
    assert_eq!(
        resolve("http://h:1/", "releases/v1/"),
        "http://h:1/releases/v1/"
    );
    assert_eq!(
        resolve("http://h:1/a/b/", "/x/?q=1#top"),
        "http://h:1/x/?q=1"
    );
    assert_eq!(resolve("http://h:1/a/b/", "./"), "http://h:1/a/b/");
    assert_eq!(resolve("http://h:1/a/b/", "../../../c"), "http://h:1/c");
    assert_eq!(
        text_of("<p>a &amp; <b>b</b></p><script>x<y</script><style>p{}</style>c"),
        "a & b c"
    );
}

fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Upstream Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@upstream.test")
        .env("GIT_COMMITTER_NAME", "Upstream Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@upstream.test")
        .env("GIT_AUTHOR_DATE", "@1600000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1600000000 +0000")
        .env("LC_ALL", "C")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `root/upstream` with tag `v1.17.0` and two fixes after it; `root/lts`: a workspace with
/// `v1.17.0-lts.1` (the first fix, named after its CVE) and `v1.17.0-lts.2` (both).
fn workspace(root: &Path) -> PathBuf {
    let up = root.join("upstream");
    std::fs::create_dir_all(up.join("pkg/proxy")).unwrap();
    std::fs::create_dir_all(up.join("pkg/volume")).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    std::fs::write(
        up.join("pkg/proxy/upgrade.go"),
        "package proxy\n\nfunc FollowRedirects() bool {\n\treturn true\n}\n",
    )
    .unwrap();
    std::fs::write(
        up.join("pkg/volume/limits.go"),
        "package volume\n\nfunc CheckLimits() bool {\n\treturn false\n}\n",
    )
    .unwrap();
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Kubernetes v1.17.0"]);
    git(&up, &["tag", "v1.17.0"]);
    std::fs::write(
        up.join("pkg/proxy/upgrade.go"),
        "package proxy\n\nfunc FollowRedirects() bool {\n\treturn false\n}\n",
    )
    .unwrap();
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            "proxy: do not follow redirects when upgrading (CVE-2020-8559)",
        ],
    );
    std::fs::write(
        up.join("pkg/volume/limits.go"),
        "package volume\n\nfunc CheckLimits() bool {\n\treturn true\n}\n",
    )
    .unwrap();
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            "kubelet: enforce ephemeral storage limits (CVE-2020-8557)",
        ],
    );

    let ws = root.join("lts");
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    std::fs::write(
        ws.join("patches/CVE-2020-8559.patch"),
        git(&up, &["format-patch", "--stdout", "-1", "HEAD~1"]),
    )
    .unwrap();
    std::fs::write(
        ws.join("patches/CVE-2020-8557.patch"),
        git(&up, &["format-patch", "--stdout", "-1", "HEAD"]),
    )
    .unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        "base: ../upstream
product: kubernetes

releases:
  - name: v1.17.0-lts.2
    base_release: v1.17.0-lts.1
    must: true
    patches:
      - CVE-2020-8557

  - name: v1.17.0-lts.1
    base_release: v1.17.0
    must: true
    patches:
      - CVE-2020-8559
",
    )
    .unwrap();
    ws
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

fn wait_ready(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = s.write_all(
                format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            let mut head = String::new();
            let _ = s.read_to_string(&mut head);
            if head.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the server was not ready in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pages_in_a_real_browser() {
    let Some(bin) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path());
    // A day when 1.17 is in its LTS phase (community support ended in January 2021).
    let date = klts_core::lifecycle::Date::new(2022, 6, 1).unwrap();
    let site_config = SiteConfig {
        offline: false,
        date,
        ..SiteConfig::on(klts_core::lifecycle::Date::today())
    };
    let db = Arc::new(klts_vuln::sources::load(None).expect("embedded advisory data"));

    // What the pages must show, from the same data the server builds.
    let site = data::build(Some(&ws), None, db.clone(), &site_config);
    assert!(site.errors.is_empty(), "{:?}", site.errors);
    let release = site.release("v1.17.0-lts.2").expect("the release").clone();
    assert_eq!(release.base_tag, "v1.17.0");
    assert!(
        release.fixed.iter().any(|a| a.id == "CVE-2020-8559"),
        "{:?}",
        release.fixed
    );

    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        workspace: Some(ws.clone()),
        also: Vec::new(),
        cache_dir: None,
        site: site_config,
        poll: Duration::from_secs(1),
        limits: Default::default(),
        today: None,
    };
    let (addr, shutdown, thread) = bind_and_spawn(config, db).expect("start the server");
    wait_ready(addr);
    let browser = Browser {
        bin,
        profile: tempfile::tempdir().unwrap(),
    };
    let home_url = format!("http://{addr}/");

    // Home: the portal, its lines, and a way to the release.
    let home = browser.dom(&home_url);
    let text = text_of(&home);
    assert!(
        text.contains("1.17"),
        "the home page does not mention line 1.17:\n{text}"
    );
    assert!(text.to_ascii_lowercase().contains("lts"), "{text}");
    let is_release = |l: &String| l.trim_end_matches('/').ends_with("/releases/v1.17.0-lts.2");
    let release_url = match links(&home, &home_url).into_iter().find(is_release) {
        Some(u) => u,
        None => {
            // Through the releases index, reached by a link of the home page.
            let index = links(&home, &home_url)
                .into_iter()
                .find(|l| l.trim_end_matches('/').ends_with("/releases"))
                .unwrap_or_else(|| {
                    panic!("no link to the release or to /releases/ on the home page:\n{home}")
                });
            let dom = browser.dom(&index);
            links(&dom, &index)
                .into_iter()
                .find(is_release)
                .unwrap_or_else(|| panic!("no link to v1.17.0-lts.2 on {index}:\n{dom}"))
        }
    };
    assert!(release_url.starts_with(&home_url), "{release_url}");

    // The release: its base tag, its patches and how to install it.
    let dom = browser.dom(&release_url);
    let text = text_of(&dom);
    assert!(text.contains("v1.17.0-lts.2"), "{text}");
    assert!(
        contains_tag(&text, "v1.17.0"),
        "the release page does not show the base tag v1.17.0:\n{text}"
    );
    assert!(text.contains("CVE-2020-8557"), "{text}");
    let pv = &release.install.package_version;
    assert!(
        text.contains("apt-get install") && text.contains(pv.as_str()),
        "no install command for {pv}:\n{text}"
    );
    let advisory_url = links(&dom, &release_url)
        .into_iter()
        .find(|l| {
            l.trim_end_matches('/')
                .ends_with("/advisories/CVE-2020-8559")
        })
        .unwrap_or_else(|| {
            panic!("no link to the CVE-2020-8559 advisory on the release page:\n{dom}")
        });

    // The advisory.
    let dom = browser.dom(&advisory_url);
    let text = text_of(&dom);
    assert!(text.contains("CVE-2020-8559"), "{text}");
    assert!(
        text.contains("v1.17.0-lts.1"),
        "the advisory page does not name the release that fixes it:\n{text}"
    );

    // No page is wider than the screen, on a laptop or a phone.
    let pages = [
        ("home", home_url.clone()),
        ("release", release_url.clone()),
        ("advisory", advisory_url.clone()),
        ("lifecycle", format!("{home_url}lifecycle/")),
        ("matrix", format!("{home_url}matrix/")),
        // Chinese text wraps differently from English (no spaces between words).
        ("home-zh", format!("{home_url}zh/")),
        (
            "release-zh",
            format!("{home_url}zh/{}", &release_url[home_url.len()..]),
        ),
    ];
    let proxy = Proxy::start(addr);
    let urls: Vec<String> = pages.iter().map(|(_, u)| proxy.url(addr, u)).collect();
    let mut too_wide = Vec::new();
    for width in [1366, 390] {
        for ((name, url), (viewport, scroll, cells, font, detail)) in
            pages.iter().zip(browser.widths(&proxy, &urls, width))
        {
            eprintln!("{name} at {width} px: viewport {viewport}, page {scroll}, {cells} table cells off-screen, smallest chart text {font}/10 px");
            assert_eq!(
                viewport, width,
                "{name} ({url}) was not laid out {width} px wide: {detail}"
            );
            if scroll > viewport {
                too_wide.push(format!(
                    "{name} ({url}) at {width} px is {scroll} px wide: {detail}"
                ));
            }
            // Chart labels readable on a phone: a 960 px chart scaled to 358 px drew 4.5 px text.
            if font < 110 {
                too_wide.push(format!(
                    "{name} ({url}) at {width} px draws chart text at {}.{} px (needs 11)",
                    font / 10,
                    font % 10
                ));
            }
            // A table that scrolls keeps the page narrow but hides columns, such as the home
            // page's "Support ends", until the reader scrolls it.
            if cells > 0 {
                too_wide.push(format!(
                    "{name} ({url}) at {width} px has {cells} table cells off-screen: {detail}"
                ));
            }
        }
    }
    assert!(
        too_wide.is_empty(),
        "pages not fit for the screen:\n{}",
        too_wide.join("\n")
    );

    // Screenshots for people, at both sizes.
    let dir = screenshot_dir();
    for (name, url) in &pages {
        browser.screenshot(url, &dir.join(format!("{name}-1366.png")), 1366, 900);
        // Taller than a phone's screen, to show more of the page in one picture.
        browser.screenshot(url, &dir.join(format!("{name}-390.png")), 390, 1600);
    }

    let _ = shutdown.send(());
    thread
        .join()
        .expect("server thread")
        .expect("clean shutdown");
}

/// The static build's search: served as plain files (Python's `http.server`, as any static
/// host would), the search page gets the query from the address and its script hides what does
/// not match, by the same rule the live server filters with.
#[test]
fn static_search_filters_in_a_real_browser() {
    let Some(bin) = chromium() else { return };
    let Some(python) = klts_testkit::require("python3", "python3") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let db = Arc::new(klts_vuln::sources::load(None).expect("embedded advisory data"));
    let site = data::build(
        None,
        None,
        db,
        &SiteConfig::on(klts_core::lifecycle::Date::today()),
    );
    klts_site::export::write_site(&site, &out).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = Command::new(python)
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Python answers HTTP/1.0: wait for the port, then for a whole answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        use std::io::{Read, Write};
        let ok = std::net::TcpStream::connect(addr).is_ok_and(|mut s| {
            let _ = s.write_all(b"HEAD / HTTP/1.0\r\n\r\n");
            let mut head = String::new();
            let _ = s.read_to_string(&mut head);
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200")
        });
        if ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "python's http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let browser = Browser {
        bin,
        profile: tempfile::tempdir().unwrap(),
    };
    let dom = browser.dom(&format!("http://{addr}/search/?q=GHSA-33c5-9fx5-fvjm"));
    // The Chinese search page counts in Chinese: the script reads its sentence from the page.
    let zh = browser.dom(&format!("http://{addr}/zh/search/?q=GHSA-33c5-9fx5-fvjm"));
    let _ = server.kill();
    let _ = server.wait();
    // The one advisory with that alias is shown; every other entry is hidden.
    let items: Vec<&str> = dom.split("<li data-terms=").skip(1).collect();
    assert!(
        items.len() > 100,
        "the page lists everything: {}",
        items.len()
    );
    let visible: Vec<&str> = items
        .iter()
        .filter(|i| {
            let tag_end = i.find('>').unwrap_or(0);
            !i[..tag_end].contains("hidden")
        })
        .copied()
        .collect();
    assert_eq!(visible.len(), 1, "{visible:?}");
    assert!(visible[0].contains("CVE-2020-8559"), "{}", visible[0]);
    assert!(dom.contains("1 result for"), "the count says so");
    assert!(
        zh.contains("的搜索结果：1 条。"),
        "the Chinese count says so:\n{zh}"
    );
    assert!(
        zh.split("<li data-terms=")
            .skip(1)
            .filter(|i| !i[..i.find('>').unwrap_or(0)].contains("hidden"))
            .count()
            == 1,
        "the Chinese page filters too"
    );
    // (The script puts the query in the box as a property, which --dump-dom does not show;
    // the count above is the proof that it read `?q=`.)
}
