//! The portal's pages and API: every path renders, HTML is well formed, links resolve,
//! unknown things are 404, bad filters 400, output is deterministic, and the static build
//! writes and replaces a site.

use klts_core::lifecycle::Date;
use klts_site::data::{
    self, AdvisoryRef, PatchView, ReleaseView, SiteCode, SiteConfig, SiteData, SiteError,
};
use klts_site::export::{self, write_site};
use klts_site::pages::{all_paths, render, Response, CSS, HTML, JS, JSON, SVG};
use klts_vuln::report::{AdvisorySummary, MatrixRow};
use klts_vuln::status::{Evidence, Status, StatusKind};
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, OnceLock};

fn config() -> SiteConfig {
    SiteConfig {
        package_url: "https://packages.example.test".into(),
        image_repository: "registry.example.test/klts".into(),
        date: Date::parse("2022-06-01").unwrap(),
        lts_years: None,
        offline: true,
    }
}

/// The portal without a workspace: the embedded calendar and advisory snapshot.
fn embedded_site() -> &'static SiteData {
    static SITE: OnceLock<SiteData> = OnceLock::new();
    SITE.get_or_init(|| {
        let db = klts_vuln::sources::load(None).expect("embedded advisory snapshot");
        data::build(None, None, Arc::new(db), &config())
    })
}

fn aref(a: &AdvisorySummary, status: StatusKind, evidence: &[&str]) -> AdvisoryRef {
    AdvisoryRef {
        id: a.id.clone(),
        severity: a.severity,
        score: a.score,
        status,
        evidence: evidence.iter().map(|s| s.to_string()).collect(),
    }
}

fn release(
    name: &str,
    line: &str,
    base: &str,
    chain: &[&str],
    patches: Vec<PatchView>,
    config: &SiteConfig,
) -> ReleaseView {
    let pv = data::package_version(name);
    ReleaseView {
        name: name.into(),
        line: Some(line.into()),
        base_tag: base.into(),
        chain: chain.iter().map(|s| s.to_string()).collect(),
        must: true,
        patches,
        fixed: Vec::new(),
        open: Vec::new(),
        ignored: Vec::new(),
        previous: None,
        added_patches: Vec::new(),
        removed_patches: Vec::new(),
        materialized: true,
        stage_of: Vec::new(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        install: klts_site::data::InstallView {
            package_version: pv.clone(),
            apt: vec![
                format!("sudo apt-get install -y kubeadm={pv}"),
                format!("echo '{} <&>'", config.package_url),
            ],
            yum: vec![format!("sudo yum install -y kubeadm-{pv}")],
            kubeadm: vec![format!(
                "kubeadm config images pull --image-repository {} --kubernetes-version {name}",
                config.image_repository
            )],
        },
    }
}

/// The embedded portal plus two hand-made LTS releases of an LTS line, a matrix, errors of
/// every scope and hostile strings everywhere data can carry them.
fn synthetic_site() -> &'static SiteData {
    static SITE: OnceLock<SiteData> = OnceLock::new();
    SITE.get_or_init(|| {
        let mut site = embedded_site().clone();
        let config = site.config.clone();
        let li = site
            .lines
            .iter()
            .position(|l| l.status.phase.to_string() == "lts" && l.status.latest_patch.is_some())
            .or_else(|| {
                site.lines
                    .iter()
                    .position(|l| l.status.latest_patch.is_some())
            })
            .expect("a line with a patch release");
        let line = site.lines[li].line.clone();
        let patch = site.lines[li].status.latest_patch.clone().unwrap();
        let base = format!("v{}", patch.trim_start_matches('v'));
        let r1 = format!("{base}-lts.1");
        let r2 = format!("{base}-lts.2");
        assert!(
            site.advisories.len() >= 4,
            "the embedded snapshot has advisories"
        );
        let a: Vec<AdvisorySummary> = site
            .advisories
            .iter()
            .take(4)
            .map(|a| a.advisory.clone())
            .collect();

        let p = |name: &str, rel: &str, sources: &[&str]| PatchView {
            name: name.into(),
            release: rel.into(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
        };
        let mut one = release(
            &r1,
            &line,
            &base,
            &[&base, &r1],
            vec![
                p(
                    &a[0].id,
                    &r1,
                    &["https://github.com/kubernetes/kubernetes/pull/1.patch"],
                ),
                p(
                    "nokmem",
                    &r1,
                    &["patches/nokmem.patch", "javascript:alert(1)"],
                ),
            ],
            &config,
        );
        one.fixed = vec![aref(
            &a[0],
            StatusKind::FixedByPatch,
            &["patch `x` in <r1>"],
        )];
        one.open = vec![
            aref(
                &a[1],
                StatusKind::Affected,
                &["upstream version <b>: affected"],
            ),
            aref(&a[2], StatusKind::Affected, &[]),
        ];
        let mut two = release(
            &r2,
            &line,
            &base,
            &[&base, &r1, &r2],
            vec![
                p(
                    &a[0].id,
                    &r1,
                    &["https://github.com/kubernetes/kubernetes/pull/1.patch"],
                ),
                p(&a[1].id, &r2, &["patches/fix \"quoted\" <name>.patch"]),
            ],
            &config,
        );
        two.fixed = vec![
            aref(&a[0], StatusKind::FixedByPatch, &["patch"]),
            aref(&a[1], StatusKind::FixedByDependency, &["go.mod"]),
        ];
        two.open = vec![aref(&a[2], StatusKind::Affected, &["open"])];
        two.ignored = vec![aref(
            &a[3],
            StatusKind::Ignored,
            &["triage: vulnerable_code_not_in_execute_path — <i>note</i>"],
        )];
        two.previous = Some(r1.clone());
        two.added_patches = vec![a[1].id.clone()];
        two.removed_patches = vec!["nokmem".into()];
        two.commit = None;
        two.materialized = false;
        two.must = false;
        site.releases = vec![one, two];

        let lv = &mut site.lines[li];
        lv.releases = vec![r2.clone(), r1.clone()];
        lv.newest = Some(r2.clone());
        lv.open_advisories = vec![a[2].id.clone()];

        let statuses = [
            vec![StatusKind::FixedByPatch, StatusKind::FixedByPatch],
            vec![StatusKind::Affected, StatusKind::FixedByDependency],
            vec![StatusKind::Affected, StatusKind::Affected],
            vec![StatusKind::Unknown, StatusKind::Ignored],
        ];
        site.matrix.releases = vec![r1.clone(), r2.clone()];
        site.matrix.rows = a
            .iter()
            .zip(statuses.iter())
            .map(|(adv, st)| MatrixRow {
                advisory: adv.clone(),
                cells: st
                    .iter()
                    .map(|s| Status {
                        status: *s,
                        evidence: vec![Evidence::Missing {
                            what: "the <tree> & \"more\"".into(),
                        }],
                    })
                    .collect(),
            })
            .collect();
        for (adv, st) in a.iter().zip(statuses.iter()) {
            let view = site
                .advisories
                .iter_mut()
                .find(|v| v.advisory.id == adv.id)
                .unwrap();
            view.statuses = vec![(r1.clone(), st[0]), (r2.clone(), st[1])];
            view.open_in = view
                .statuses
                .iter()
                .filter(|(_, s)| *s == StatusKind::Affected)
                .map(|(n, _)| n.clone())
                .collect();
            view.fixed_by_lts_in = view
                .statuses
                .iter()
                .filter(|(_, s)| {
                    matches!(s, StatusKind::FixedByPatch | StatusKind::FixedByDependency)
                })
                .map(|(n, _)| n.clone())
                .collect();
        }
        site.advisories[0].summary = Some("A <script>alert('summary')</script> & more".into());
        site.advisories[0]
            .references
            .push("javascript:alert(1)".into());
        site.workspace = true;
        site.errors = vec![
            SiteError::new(
                "releases",
                SiteCode::ManifestUnreadable,
                "releases.yml",
                "3:7: bad <release> & \"worse\"",
            ),
            SiteError::new(
                "advisories",
                SiteCode::TriageUnreadable,
                "triage.yml",
                "advisory-scope-error <script>",
            ),
            SiteError::new(
                "lifecycle",
                SiteCode::LifecycleUnreadable,
                "lifecycle.yml",
                "lifecycle-scope-error",
            ),
        ];
        site
    })
}

fn sites() -> [(&'static str, &'static SiteData); 2] {
    [
        ("embedded", embedded_site()),
        ("synthetic", synthetic_site()),
    ]
}

fn get(site: &SiteData, url: &str) -> Response {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    render(site, path, query)
}

fn text(r: &Response) -> String {
    String::from_utf8(r.body.clone()).expect("UTF-8 body")
}

// ---------------------------------------------------------------------------------------------
// A small HTML well-formedness checker.

const VOID: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];
const BLOCK: [&str; 17] = [
    "div", "ul", "ol", "dl", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "form", "aside",
    "figure", "section", "p",
];

struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    attrs: Vec<(String, String)>,
}

fn parse_tag(raw: &str) -> Result<Tag, String> {
    let (closing, body) = match raw.strip_prefix('/') {
        Some(b) => (true, b),
        None => (false, raw),
    };
    let self_closing = body.ends_with('/');
    let body = body.strip_suffix('/').unwrap_or(body);
    let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let name = body[..name_end].to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
    {
        return Err(format!("bad tag name in <{raw}>"));
    }
    let mut attrs = Vec::new();
    let mut rest = body[name_end..].trim_start();
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let an = rest[..n_end].to_string();
        if an.is_empty()
            || !an
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':' || c == '_')
        {
            return Err(format!("bad attribute in <{raw}>"));
        }
        rest = &rest[n_end..];
        if let Some(r) = rest.strip_prefix('=') {
            let r = r
                .strip_prefix('"')
                .ok_or_else(|| format!("unquoted attribute value in <{raw}>"))?;
            let close = r
                .find('"')
                .ok_or_else(|| format!("unterminated attribute in <{raw}>"))?;
            let value = r[..close].to_string();
            if value.contains('<') {
                return Err(format!("raw < in attribute of <{raw}>"));
            }
            check_entities(&value)?;
            attrs.push((an, value));
            rest = r[close + 1..].trim_start();
        } else {
            attrs.push((an, String::new()));
            rest = rest.trim_start();
        }
    }
    if closing && (!attrs.is_empty() || self_closing) {
        return Err(format!("closing tag with attributes: <{raw}>"));
    }
    Ok(Tag {
        name,
        closing,
        self_closing,
        attrs,
    })
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| format!("bare & in {:?}", &rest[i..(i + 20).min(rest.len())]))?;
        let ent = &after[..end];
        let ok = match ent.strip_prefix('#') {
            Some(num) => num.chars().all(|c| c.is_ascii_digit()) && !num.is_empty(),
            None => matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos" | "nbsp"),
        };
        if !ok {
            return Err(format!("bad entity &{ent};"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// Well-formedness and the page rules: doctype, lang, charset, viewport, a title, one h1,
/// balanced non-void elements, no block inside <p>, only <li> in lists, no nested links,
/// unique ids, escaped text, no scripts, no external resources.
fn check_html(body: &str) -> Result<(), String> {
    // The language of the page is the language of its path (`/zh/…` is Chinese).
    let lang_ok = ["en", "zh-CN"]
        .iter()
        .any(|l| body.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{l}\">")));
    if !lang_ok {
        return Err("no doctype/lang".into());
    }
    for needle in [
        "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
    ] {
        if !body.contains(needle) {
            return Err(format!("missing {needle}"));
        }
    }
    let lower = body.to_ascii_lowercase();
    // The one script the portal has: the search page's, from its own file, deferred. No inline
    // script, no other file, no event handler.
    let lower = match lower.find("<script") {
        Some(i) => {
            let end = lower[i..]
                .find("</script>")
                .map(|e| i + e + "</script>".len())
                .ok_or("unclosed script")?;
            let tag = &lower[i..end];
            let allowed = tag
                .strip_prefix("<script src=\"")
                .and_then(|rest| rest.split_once('"'))
                .is_some_and(|(src, rest)| {
                    rest == " defer></script>"
                        && src.starts_with('/')
                        && src.ends_with("/assets/search.js")
                        && !src.contains([':', '<'])
                });
            if !allowed || body.matches("<script").count() > 1 {
                return Err(format!("script other than the search page's: {tag}"));
            }
            format!("{}{}", &lower[..i], &lower[end..])
        }
        None => lower,
    };
    if lower.contains(" on") && regex_like_event_handler(&lower) {
        return Err("event handler".into());
    }
    let mut stack: Vec<String> = Vec::new();
    let mut ids = HashSet::new();
    let (mut h1, mut title_text) = (0, None::<String>);
    let mut i = 0;
    let bytes = body.as_bytes();
    let mut text_start = 0;
    while i < body.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let text = &body[text_start..i];
        if text.contains('>') {
            return Err(format!(
                "raw > in text near {:?}",
                &text[..text.len().min(60)]
            ));
        }
        check_entities(text)?;
        if stack.last().map(String::as_str) == Some("title") {
            title_text = Some(text.to_string());
        }
        if body[i..].starts_with("<!--") {
            let end = body[i..].find("-->").ok_or("unterminated comment")?;
            i += end + 3;
            text_start = i;
            continue;
        }
        if body[i..].starts_with("<!") {
            let end = body[i..].find('>').ok_or("unterminated doctype")?;
            i += end + 1;
            text_start = i;
            continue;
        }
        // Find the end of the tag, skipping quoted attribute values.
        let mut j = i + 1;
        let mut quoted = false;
        while j < body.len() && (quoted || bytes[j] != b'>') {
            if bytes[j] == b'"' {
                quoted = !quoted;
            }
            j += 1;
        }
        if j >= body.len() {
            return Err("unterminated tag".into());
        }
        let tag = parse_tag(&body[i + 1..j])?;
        i = j + 1;
        text_start = i;
        if tag.closing {
            match stack.pop() {
                Some(open) if open == tag.name => {}
                other => {
                    return Err(format!(
                        "</{}> closes <{}>",
                        tag.name,
                        other.unwrap_or_default()
                    ))
                }
            }
            continue;
        }
        for (k, v) in &tag.attrs {
            if k == "id" && !ids.insert(v.clone()) {
                return Err(format!("duplicate id {v}"));
            }
            if (k == "src" || k == "href" && tag.name == "link") && !v.starts_with('/') {
                return Err(format!("external resource {v}"));
            }
            if k == "href"
                && v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:")
            {
                return Err(format!("javascript link {v}"));
            }
        }
        if tag.name == "h1" {
            h1 += 1;
        }
        if let Some(parent) = stack.last() {
            if (parent == "ul" || parent == "ol") && tag.name != "li" {
                return Err(format!("<{}> directly inside <{parent}>", tag.name));
            }
        }
        if stack.iter().any(|t| t == "p") && BLOCK.contains(&tag.name.as_str()) {
            return Err(format!("<{}> inside <p>", tag.name));
        }
        if tag.name == "a" && stack.iter().any(|t| t == "a") {
            return Err("nested <a>".into());
        }
        if !VOID.contains(&tag.name.as_str()) && !tag.self_closing {
            stack.push(tag.name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    if h1 != 1 {
        return Err(format!("{h1} <h1> elements"));
    }
    if title_text.is_none_or(|t| t.trim().is_empty()) {
        return Err("empty <title>".into());
    }
    Ok(())
}

fn regex_like_event_handler(lower: &str) -> bool {
    [
        "onclick=",
        "onload=",
        "onerror=",
        "onmouseover=",
        "onsubmit=",
    ]
    .iter()
    .any(|h| lower.contains(h))
}

#[test]
fn the_checker_catches_broken_html() {
    let page = |body: &str| {
        format!("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>t</title></head><body>{body}</body></html>")
    };
    assert!(check_html(&page("<h1>ok</h1><p>a &amp; b</p>")).is_ok());
    assert!(check_html(&page("<h1>x</h1><p>a & b</p>")).is_err());
    assert!(check_html(&page("<h1>x</h1><div><p>x</div></p>")).is_err());
    assert!(check_html(&page("<h1>x</h1><h1>y</h1>")).is_err());
    assert!(check_html(&page("<h1>x</h1><p><ul><li>a</li></ul></p>")).is_err());
    assert!(check_html(&page("<h1>x</h1><ul><p>a</p></ul>")).is_err());
    assert!(check_html(&page("<h1>x</h1><a href=\"/\"><a href=\"/\">y</a></a>")).is_err());
    assert!(check_html(&page("<h1 id=\"a\">x</h1><p id=\"a\">y</p>")).is_err());
    assert!(check_html(&page("<h1>x</h1><img src=\"https://x.test/a.png\">")).is_err());
    assert!(check_html(&page("<h1>x</h1><script>1</script>")).is_err());
    assert!(check_html(&page("<h1>x</h1><svg><rect/></svg>")).is_ok());
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_path_renders_with_its_content_type() {
    for (which, site) in sites() {
        let paths = all_paths(site);
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(paths, sorted, "{which}: all_paths is sorted and unique");
        for required in [
            "/",
            "/lines/",
            "/releases/",
            "/advisories/",
            "/matrix/",
            "/matrix/severity/high/",
            "/matrix/severity/critical/",
            "/lifecycle/",
            "/lifecycle.svg",
            "/search/",
            "/assets/style.css",
            "/api/v1/index.json",
            "/api/v1/lines.json",
            "/api/v1/releases.json",
            "/api/v1/advisories.json",
            "/api/v1/matrix.json",
        ] {
            assert!(
                paths.iter().any(|p| p == required),
                "{which}: {required} missing from all_paths"
            );
        }
        for path in &paths {
            let r = render(site, path, "");
            assert_eq!(r.status, 200, "{which}: {path}: {}", text(&r));
            let body = text(&r);
            if path.ends_with('/') {
                assert_eq!(r.content_type, HTML, "{path}");
                if let Err(e) = check_html(&body) {
                    panic!("{which}: {path}: {e}");
                }
            } else if path.ends_with(".json") {
                assert_eq!(r.content_type, JSON, "{path}");
                let v: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(v.get("error").is_none(), "{path}");
            } else if path.ends_with(".js") {
                assert_eq!(r.content_type, JS);
                // It filters the page's own list; it loads nothing and runs no strings.
                assert!(body.contains("data-terms"), "{path}");
                for banned in ["fetch(", "XMLHttpRequest", "eval(", "innerHTML", "import("] {
                    assert!(!body.contains(banned), "{path}: {banned}");
                }
            } else if path.ends_with(".svg") {
                assert_eq!(r.content_type, SVG);
                assert!(body.contains("<svg"), "{path}");
            } else if path.ends_with(".css") {
                assert_eq!(r.content_type, CSS);
                assert!(
                    body.contains(".st-affected")
                        && body.contains("@media print")
                        && body.contains("overflow-x: auto")
                );
                assert!(
                    !body.contains("@import") && !body.contains("url("),
                    "no external resources in CSS"
                );
            } else {
                panic!("{which}: unexpected path kind {path}");
            }
        }
    }
}

#[test]
fn synthetic_site_has_pages_for_releases_lines_and_advisories() {
    let site = synthetic_site();
    let paths = all_paths(site);
    for r in &site.releases {
        assert!(paths.contains(&format!("/releases/{}/", r.name)));
        assert!(paths.contains(&format!("/api/v1/releases/{}.json", r.name)));
        assert!(paths.contains(&format!("/api/v1/status/{}.json", r.name)));
    }
    for l in &site.lines {
        assert!(paths.contains(&format!("/lines/{}/", l.line)));
    }
    assert!(paths.contains(&format!("/advisories/{}/", site.advisories[0].advisory.id)));
}

/// Every link, form action and resource of every page reached from `/` renders 200.
#[test]
fn links_resolve_when_crawling_from_home() {
    for (which, site) in sites() {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::from(["/".to_string()]);
        seen.insert("/".into());
        while let Some(url) = queue.pop_front() {
            let r = get(site, &url);
            assert_eq!(r.status, 200, "{which}: {url}");
            if r.content_type != HTML {
                continue;
            }
            let body = text(&r);
            for attr in ["href=\"", "action=\"", "src=\""] {
                for (k, _) in body.match_indices(attr) {
                    let rest = &body[k + attr.len()..];
                    let v = &rest[..rest.find('"').unwrap()];
                    let v = v
                        .replace("&amp;", "&")
                        .replace("&quot;", "\"")
                        .replace("&#39;", "'")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">");
                    if v.starts_with("http://") || v.starts_with("https://") {
                        continue;
                    }
                    if v.starts_with('#') {
                        continue;
                    }
                    assert!(
                        v.starts_with('/') && !v.starts_with("//"),
                        "{which}: {url} links to {v}"
                    );
                    let v = v.split('#').next().unwrap().to_string();
                    if seen.insert(v.clone()) {
                        queue.push_back(v);
                    }
                }
            }
        }
        // Every page of the static build is reachable by links.
        for p in all_paths(site).iter().filter(|p| p.ends_with('/')) {
            assert!(seen.contains(p), "{which}: {p} is not linked from any page");
        }
        assert!(seen.len() > 10, "{which}: crawled {}", seen.len());
    }
}

#[test]
fn unknown_things_are_404() {
    let site = synthetic_site();
    for url in [
        "/releases/v9.9.9-lts.1/",
        "/releases/v9.9.9-lts.1",
        "/advisories/CVE-1900-0001/",
        "/lines/9.99/",
        "/lines/abc/",
        "/nope",
        "/nope/",
        "/releases/x/y/",
        "/lifecycle.svg/",
        "/assets/missing.css",
        "/matrix/severity/urgent/",
        "/matrix/severity/",
        "//",
        "/releases//",
        "/%ff/",
        "/../../etc/passwd",
        "/releases/%2E%2E/",
        "/404.html",
    ] {
        let r = get(site, url);
        assert_eq!(r.status, 404, "{url}");
        assert_eq!(r.content_type, HTML, "{url}");
        let body = text(&r);
        check_html(&body).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(body.contains("href=\"/\""), "{url}: a link back home");
    }
    let r = get(site, "/releases/v9.9.9-lts.1/");
    assert!(text(&r).contains("href=\"/releases/\""));
    for url in [
        "/api/v1/nope.json",
        "/api/v1/releases/v9.9.9.json",
        "/api/v1/advisories/CVE-1900-0001.json",
        "/api/v1/lines/9.99.json",
        "/api/",
        "/api/v2/index.json",
        "/api/v1/lines.json/",
    ] {
        let r = get(site, url);
        assert_eq!(r.status, 404, "{url}");
        assert_eq!(r.content_type, JSON, "{url}");
        let v: serde_json::Value = serde_json::from_str(&text(&r)).unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{url}");
    }
}

#[test]
fn bad_filters_are_400_with_allowed_values() {
    let site = synthetic_site();
    for (url, allowed) in [
        (
            "/advisories/?severity=urgent",
            "low, medium, high, critical",
        ),
        ("/matrix/?severity=urgent", "low, medium, high, critical"),
        ("/matrix/?line=abc", "line `abc` is not allowed"),
        ("/matrix/?line=9.99", "line `9.99` is not allowed"),
        (
            "/matrix/?status=nope",
            "affected, unassessed, unknown, ignored, fixed-by-patch",
        ),
        ("/matrix/?status=nope&line=abc", "line `abc`"),
    ] {
        let r = get(site, url);
        assert_eq!(r.status, 400, "{url}");
        assert_eq!(r.content_type, HTML);
        let body = text(&r);
        check_html(&body).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(body.contains(allowed), "{url}: {body}");
    }
    let long = format!("/search/?q={}", "x".repeat(500));
    assert_eq!(get(site, &long).status, 400);
    for url in [
        "/api/v1/status/not-a-version.json",
        "/api/v1/matrix.json?status=nope",
        "/api/v1/advisories.json?severity=urgent",
    ] {
        let r = get(site, url);
        assert_eq!(r.status, 400, "{url}");
        assert_eq!(r.content_type, JSON);
        let v: serde_json::Value = serde_json::from_str(&text(&r)).unwrap();
        assert!(v["error"].is_string());
    }
    // Unknown parameters are ignored, empty values mean "any".
    assert_eq!(
        get(site, "/matrix/?severity=&line=&status=&foo=bar").status,
        200
    );
    assert_eq!(get(site, "/advisories/?severity=any&q=").status, 200);
}

#[test]
fn hostile_paths_and_queries_never_panic() {
    let site = synthetic_site();
    let long = "a".repeat(100_000);
    let inputs = [
        "",
        "?",
        "#",
        "%",
        "%%",
        "/%",
        "/%0",
        "/%zz",
        "/\u{0}",
        "/é/",
        "/releases/é",
        "/api",
        "/api/v1/status/%ff.json",
        "/api/v1/status/.json",
        "/api/v1/status/v1.17.17-lts.3.json",
        "/advisories/%2F/",
        "releases",
        "/index.html",
        "/releases/index.html",
        long.as_str(),
    ];
    let queries = [
        "",
        "=",
        "&&&",
        "q",
        "q=%",
        "q=%ff",
        "severity=%00",
        "line=1.17&line=%E2%82%AC",
        "status=AFFECTED",
        "q=a+b&q=c",
    ];
    let pages = [
        "/",
        "/matrix/",
        "/advisories/",
        "/search/",
        "/api/v1/matrix.json",
        "/api/v1/advisories.json",
    ];
    for path in inputs.iter().chain(pages.iter()) {
        for q in queries {
            let r = render(site, path, q);
            assert!(
                [200, 400, 404].contains(&r.status),
                "{path}?{q}: {}",
                r.status
            );
            if r.content_type == HTML {
                check_html(&text(&r)).unwrap_or_else(|e| panic!("{path}?{q}: {e}"));
            }
        }
    }
    assert_eq!(render(site, "/index.html", "").status, 200);
    assert_eq!(render(site, "/releases/index.html", "").status, 200);
}

#[test]
fn filters_filter() {
    let site = synthetic_site();
    let critical: Vec<&str> = site
        .advisories
        .iter()
        .filter(|a| a.advisory.severity.to_string() == "critical")
        .map(|a| a.advisory.id.as_str())
        .collect();
    let not_critical: Vec<&str> = site
        .advisories
        .iter()
        .filter(|a| a.advisory.severity.to_string() != "critical")
        .map(|a| a.advisory.id.as_str())
        .collect();
    let body = text(&get(site, "/advisories/?severity=critical"));
    for id in &critical {
        assert!(
            body.contains(&format!("href=\"/advisories/{id}/\"")),
            "{id}"
        );
    }
    for id in not_critical.iter().take(20) {
        assert!(
            !body.contains(&format!("<a href=\"/advisories/{id}/\">")),
            "{id} is not critical"
        );
    }
    // Text search over ids and aliases, case-insensitive.
    let a = &site.advisories[0].advisory;
    let body = text(&get(
        site,
        &format!("/advisories/?q={}", a.id.to_lowercase()),
    ));
    assert!(body.contains(&format!("href=\"/advisories/{}/\"", a.id)));
    assert!(body.contains("1 of ") || body.contains(" of "), "a count");
    let body = text(&get(site, "/advisories/?q=zzzz-no-such-thing"));
    assert!(body.contains(&format!("0 of {} advisories", site.advisories.len())));

    // Matrix: status filter keeps rows with that status; line filter keeps columns.
    let r1 = &site.releases[0].name;
    let r2 = &site.releases[1].name;
    let body = text(&get(site, "/matrix/?status=ignored"));
    assert!(body.contains("1 advisories × 2 releases"), "{body}");
    assert!(body.contains(&format!(
        "href=\"/advisories/{}/\"",
        site.matrix.rows[3].advisory.id
    )));
    let body = text(&get(site, "/matrix/"));
    assert!(body.contains("4 advisories × 2 releases"));
    assert!(
        body.contains("class=\"cell st-affected\"")
            && body.contains("class=\"cell st-fixed-by-patch\"")
    );
    let other_line = site
        .lines
        .iter()
        .find(|l| Some(&l.line) != site.releases[0].line.as_ref())
        .unwrap();
    let body = text(&get(site, &format!("/matrix/?line={}", other_line.line)));
    assert!(body.contains("0 advisories × 0 releases"), "{body}");
    let line = site.releases[0].line.clone().unwrap();
    let body = text(&get(site, &format!("/matrix/?line={line}")));
    assert!(
        body.contains("× 2 releases")
            && body.contains(&format!("/releases/{r1}/"))
            && body.contains(&format!("/releases/{r2}/"))
    );
    // The API agrees.
    let v: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/matrix.json?status=ignored"))).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    assert_eq!(v["releases"].as_array().unwrap().len(), 2);
    // Static severity pages equal the query form's table.
    let stat = text(&get(site, "/matrix/severity/high/"));
    let dynamic = text(&get(site, "/matrix/?severity=high"));
    let table = |s: &str| {
        s.find("<p class=\"count\">")
            .map(|i| s[i..].to_string())
            .unwrap()
    };
    assert_eq!(table(&stat), table(&dynamic));
    // Search.
    let body = text(&get(site, &format!("/search/?q={r2}")));
    assert!(body.contains(&format!("href=\"/releases/{r2}/\"")));
    assert!(body.contains("Releases (1)"));
    let body = text(&get(site, &format!("/search/?q={line}")));
    assert!(body.contains(&format!("href=\"/lines/{line}/\"")));
    if let Some(pkg) = site
        .advisories
        .iter()
        .flat_map(|a| a.advisory.packages.iter())
        .next()
    {
        let body = text(&get(
            site,
            &format!("/search/?q={}", pkg.replace('/', "%2F")),
        ));
        assert!(!body.contains("Advisories (0)"), "package search {pkg}");
    }
}

#[test]
fn advisories_resolve_by_alias_and_case() {
    let site = embedded_site();
    let a = site
        .advisories
        .iter()
        .find(|a| !a.advisory.aliases.is_empty())
        .expect("an advisory with an alias");
    let canonical = text(&get(site, &format!("/advisories/{}/", a.advisory.id)));
    for variant in [
        a.advisory.id.to_lowercase(),
        a.advisory.aliases[0].clone(),
        a.advisory.aliases[0].to_lowercase(),
        a.advisory.id.clone(),
    ] {
        let r = get(site, &format!("/advisories/{variant}/"));
        assert_eq!(r.status, 200, "{variant}");
        assert_eq!(text(&r), canonical, "{variant} shows the canonical page");
        let j = get(site, &format!("/api/v1/advisories/{variant}.json"));
        assert_eq!(j.status, 200);
    }
    assert!(canonical.contains(&format!(
        "<link rel=\"canonical\" href=\"/advisories/{}/\">",
        a.advisory.id
    )));
    // Without the trailing slash: the same page.
    assert_eq!(
        text(&get(site, &format!("/advisories/{}", a.advisory.id))),
        canonical
    );
}

#[test]
fn pages_show_what_they_should() {
    let site = synthetic_site();
    let (r1, r2) = (&site.releases[0], &site.releases[1]);
    let page = text(&get(site, &format!("/releases/{}/", r2.name)));
    assert!(page.contains(&format!("<h1>Release {}</h1>", r2.name)));
    assert!(page.contains(&format!(
        "Changes since <a href=\"/releases/{}/\">{}</a>",
        r1.name, r1.name
    )));
    assert!(page.contains("Removed patches") && page.contains("<code>nokmem</code>"));
    assert!(page.contains("st-fixed-by-dependency") && page.contains("st-fixed-by-patch"));
    assert!(
        page.contains("id=\"open\"")
            && page.contains("id=\"ignored\"")
            && page.contains("id=\"install\"")
    );
    assert!(page.contains(&format!(
        "sudo apt-get install -y kubeadm={}",
        r2.install.package_version
    )));
    assert!(
        page.contains("echo &#39;https://packages.example.test &lt;&amp;&gt;&#39;"),
        "install lines are escaped"
    );
    assert!(page.contains("<a href=\"https://github.com/kubernetes/kubernetes/pull/1.patch\""));
    assert!(page.contains("<code>patches/fix &quot;quoted&quot; &lt;name&gt;.patch</code>"));
    let page1 = text(&get(site, &format!("/releases/{}/", r1.name)));
    assert!(
        page1.contains("<code>javascript:alert(1)</code>"),
        "non-http sources are text"
    );
    assert!(
        page1.contains("0123456789abcdef0123456789abcdef01234567"),
        "commit shown"
    );
    assert!(page1.contains("first LTS release of its line"));

    // Home: supported lines, errors of every scope (escaped).
    let home = text(&get(site, "/"));
    assert!(
        home.contains(&format!("href=\"/releases/{}/\"", r2.name)),
        "newest release linked from home"
    );
    assert!(home.contains("bad &lt;release&gt; &amp; &quot;worse&quot;"));
    assert!(home.contains("lifecycle-scope-error"));
    assert!(home.contains("Generated on <span class=\"date\">2022-06-01</span>"));
    let as_of = match &site.advisories_newest_id {
        Some(id) => format!(
            "advisory data as of <span class=\"date\">{}</span> (newest dated record); newest entry {id}",
            site.advisories_newest_day
        ),
        None => format!(
            "advisory data as of <span class=\"date\">{}</span>",
            site.advisories_newest_day
        ),
    };
    assert!(home.contains(&as_of), "{as_of}");
    // Error scopes.
    assert!(text(&get(site, "/releases/")).contains("bad &lt;release&gt;"));
    assert!(!text(&get(site, "/releases/")).contains("advisory-scope-error"));
    assert!(text(&get(site, "/matrix/")).contains("advisory-scope-error &lt;script&gt;"));
    let adv = text(&get(
        site,
        &format!("/advisories/{}/", site.advisories[1].advisory.id),
    ));
    assert!(adv.contains("advisory-scope-error") && !adv.contains("lifecycle-scope-error"));
    assert!(text(&get(site, "/lifecycle/")).contains("lifecycle-scope-error"));
    assert!(!text(&get(site, "/lifecycle/")).contains("bad &lt;release&gt;"));

    // Advisory page: summary escaped, javascript: reference not a link, statuses linked.
    let a0 = &site.advisories[0];
    let adv = text(&get(site, &format!("/advisories/{}/", a0.advisory.id)));
    assert!(adv.contains("A &lt;script&gt;alert(&#39;summary&#39;)&lt;/script&gt; &amp; more"));
    assert!(!adv.contains("href=\"javascript:"));
    assert!(adv.contains(&format!("<a href=\"/releases/{}/\">", r1.name)));
    // No summary element when there is none.
    let plain = site
        .advisories
        .iter()
        .find(|a| a.summary.is_none())
        .unwrap();
    assert!(
        !text(&get(site, &format!("/advisories/{}/", plain.advisory.id)))
            .contains("class=\"lead\"")
    );

    // Lifecycle: the chart inline, the SVG alone.
    let lc = text(&get(site, "/lifecycle/"));
    assert!(lc.contains("<svg") && !lc.contains("<?xml"));
    let svg = get(site, "/lifecycle.svg");
    assert_eq!(svg.content_type, SVG);
    // Line page.
    let line = r1.line.as_ref().unwrap();
    let lp = text(&get(site, &format!("/lines/{line}/")));
    assert!(
        lp.contains(&format!("href=\"/releases/{}/\"", r1.name))
            && lp.contains(&format!("href=\"/releases/{}/\"", r2.name))
    );
    // Nav marks the current page; no JavaScript anywhere.
    assert!(lp.contains("<a href=\"/lines/\" aria-current=\"page\">Lines</a>"));
}

#[test]
fn json_api_matches_the_data() {
    let site = synthetic_site();
    let v: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/index.json"))).unwrap();
    assert_eq!(v["generated"], "2022-06-01");
    let listed: Vec<&str> = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let api: Vec<String> = all_paths(site)
        .into_iter()
        .filter(|p| p.starts_with("/api/"))
        .collect();
    assert_eq!(listed, api);
    let v: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/releases.json"))).unwrap();
    assert_eq!(v["releases"].as_array().unwrap().len(), 2);
    let r2 = &site.releases[1];
    let v: serde_json::Value = serde_json::from_str(&text(&get(
        site,
        &format!("/api/v1/releases/{}.json", r2.name),
    )))
    .unwrap();
    assert_eq!(v["name"], r2.name.as_str());
    assert_eq!(v["previous"], site.releases[0].name.as_str());
    let v: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/lines.json"))).unwrap();
    assert_eq!(v["lines"].as_array().unwrap().len(), site.lines.len());
    let v: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/advisories.json"))).unwrap();
    assert_eq!(
        v["advisories"].as_array().unwrap().len(),
        site.advisories.len()
    );
    let v: serde_json::Value = serde_json::from_str(&text(&get(
        site,
        &format!("/api/v1/status/{}.json", r2.name),
    )))
    .unwrap();
    assert!(
        v["exposures"].is_array(),
        "the `klts vulns check -o json` shape: {v}"
    );
    assert_eq!(v["lts_release"], true);
    // Any version works on the live server, with or without `.json`.
    assert_eq!(get(site, "/api/v1/status/v1.17.4.json").status, 200);
    assert_eq!(get(site, "/api/v1/status/1.17.4").status, 200);
}

#[test]
fn no_script_and_escaped_everywhere() {
    let site = synthetic_site();
    for path in all_paths(site) {
        let body = text(&render(site, &path, ""));
        if path.ends_with('/') {
            // Only the search page has a script (progressive enhancement, see search.js).
            let scripts = body.to_ascii_lowercase().matches("<script").count();
            let allowed = usize::from(path.ends_with("/search/"));
            assert_eq!(scripts, allowed, "{path}");
            assert!(!body.contains("href=\"javascript:"), "{path}");
        }
    }
}

#[test]
fn output_is_deterministic() {
    // Data built twice from the same inputs (maps with other hash seeds, another run of every
    // judgement) renders the same bytes.
    let db = klts_vuln::sources::load(None).unwrap();
    let again = data::build(None, None, Arc::new(db), &config());
    let first = embedded_site();
    assert_eq!(all_paths(first), all_paths(&again));
    for path in all_paths(first) {
        assert!(
            render(first, &path, "").body == render(&again, &path, "").body,
            "{path}"
        );
    }
}

fn files_under(dir: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out
}

#[test]
fn write_site_writes_every_path_and_replaces_a_previous_build() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let site = synthetic_site();
    let n = write_site(site, &out).unwrap();
    let paths = all_paths(site);
    let moved = klts_site::program::Program::single(site.clone()).legacy_paths();
    let aliases = klts_site::pages::advisory_aliases(site);
    assert_eq!(
        n,
        paths.len() + klts_site::pages::Lang::ALL.len() + moved.len() + aliases.len(),
        "every path, 404.html per language, the old klts.io addresses and the advisories' aliases"
    );
    let files = files_under(&out);
    for p in &paths {
        let rel = export::file_for(p).unwrap();
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        assert!(files.contains(&rel_s), "{p} -> {rel_s}");
        assert_eq!(
            std::fs::read(out.join(&rel)).unwrap(),
            render(site, p, "").body,
            "{p}"
        );
    }
    assert!(
        files.contains("index.html")
            && files.contains("404.html")
            && files.contains("api/v1/index.json")
    );
    assert!(files.contains("lifecycle.svg") && files.contains("assets/style.css"));
    assert!(files.contains(&format!("releases/{}/index.html", site.releases[0].name)));
    let not_found = std::fs::read_to_string(out.join("404.html")).unwrap();
    check_html(&not_found).unwrap();
    // The Chinese pages, and a Chinese 404 page for their directory.
    let zh_home = std::fs::read_to_string(out.join("zh/index.html")).unwrap();
    assert!(
        zh_home.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"),
        "{zh_home}"
    );
    assert!(files.contains(&format!("zh/releases/{}/index.html", site.releases[0].name)));
    assert!(
        !files.iter().any(|f| f.starts_with("zh/api/")),
        "the API is not duplicated"
    );
    let zh_404 = std::fs::read_to_string(out.join("zh/404.html")).unwrap();
    check_html(&zh_404).unwrap();
    assert!(zh_404.contains("<html lang=\"zh-CN\">") && zh_404.contains("页面不存在"));

    // A second build (of other data) replaces the first entirely.
    std::fs::write(out.join("stale.txt"), "left over").unwrap();
    let n2 = write_site(embedded_site(), &out).unwrap();
    let moved2 = klts_site::program::Program::single(embedded_site().clone()).legacy_paths();
    let aliases2 = klts_site::pages::advisory_aliases(embedded_site());
    assert_eq!(
        n2,
        all_paths(embedded_site()).len()
            + klts_site::pages::Lang::ALL.len()
            + moved2.len()
            + aliases2.len()
    );
    let files2 = files_under(&out);
    assert!(!files2.contains("stale.txt"));
    assert!(!files2.contains(&format!("releases/{}/index.html", site.releases[0].name)));
    // Nothing is left next to it.
    let siblings: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings, vec!["public".to_string()]);

    // A directory that is not a build is never replaced.
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "precious").unwrap();
    assert!(write_site(site, &mine).is_err());
    assert_eq!(
        std::fs::read_to_string(mine.join("thesis.tex")).unwrap(),
        "precious"
    );
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left.len(),
        2,
        "no temporary directory left behind: {left:?}"
    );
}

#[test]
fn line_statuses_feed_the_chart() {
    // The chart served at /lifecycle.svg and inlined in the lifecycle page draws the site's
    // lines on the site's day: one labelled row per line, each with its dates in a tooltip,
    // and the "today" marker at the site's date.
    let site = embedded_site();
    let svg = text(&get(site, "/lifecycle.svg"));
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains(&site.date.to_string()), "the day is marked");
    for l in &site.lines {
        assert!(
            svg.contains(&format!(">{}<", l.line)),
            "a row for {}",
            l.line
        );
        if let Some(eol) = l.status.community_eol {
            assert!(svg.contains(&eol.to_string()), "{}: {eol}", l.line);
        }
    }
    // The same lines, in the same order, as the page's table.
    let page = text(&get(site, "/lifecycle/"));
    assert!(page.contains("<svg"), "the page inlines the chart");
    let rows = |t: &str| {
        site.lines
            .iter()
            .map(|l| t.find(&format!(">{}<", l.line)).unwrap_or(usize::MAX))
            .collect::<Vec<_>>()
    };
    let at = rows(&svg);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "newest first: {at:?}");
}

/// `KLTS_SITE_DUMP=/tmp/site cargo test -p klts-site --test pages -- --ignored dump` writes the
/// synthetic site for looking at it in a browser.
#[test]
#[ignore]
fn dump_synthetic_site() {
    if let Some(dir) = std::env::var_os("KLTS_SITE_DUMP") {
        let n = write_site(synthetic_site(), std::path::Path::new(&dir)).unwrap();
        eprintln!("wrote {n} files");
    }
}

// ---------------------------------------------------------------------------------------------
// A small real workspace: a git upstream with two tags, patches, a manifest and triage.

fn go_mod(gogo: &str) -> String {
    format!(
        "module k8s.io/kubernetes\n\ngo 1.15\n\nrequire (\n\tgithub.com/gogo/protobuf {gogo}\n)\n"
    )
}

fn modules_txt(gogo: &str) -> String {
    format!("# github.com/gogo/protobuf {gogo}\n## explicit\ngithub.com/gogo/protobuf/proto\n")
}

/// A workspace with v1.17.17-lts.1 (a patch named after CVE-2021-3121), v1.17.17-lts.2 (on
/// top of it, plus a build fix), v1.18.20-lts.1; `triage` is written as triage.yml.
fn workspace(tmp: &std::path::Path, triage: &str) -> std::path::PathBuf {
    let up = klts_testkit::Repo::init(&tmp.join("upstream"));
    up.write("README.md", "kubernetes\n");
    up.write(
        "pkg/apis/generated.pb.go",
        "package apis\n// one\n// two\n// three\n",
    );
    for (tag, gogo, go) in [
        ("v1.17.17", "v1.3.1", "v1.15.10-1"),
        ("v1.18.20", "v1.3.2", "v1.15.15-1"),
    ] {
        up.write("go.mod", go_mod(gogo));
        up.write("vendor/modules.txt", modules_txt(gogo));
        up.write("build/build-image/cross/VERSION", format!("{go}\n"));
        up.commit(&format!("Release {tag}"));
        up.tag(tag);
    }
    up.branch("regen", "v1.17.17");
    up.write(
        "pkg/apis/generated.pb.go",
        "package apis\n// one\n// skippy fix\n// three\n",
    );
    up.commit("Regenerate protobuf code with the skippy fix");
    let regen = up.format_patch("v1.17.17..HEAD");
    up.branch("ci", "v1.17.17");
    up.write("README.md", "kubernetes (lts build)\n");
    up.commit("build: fix for old toolchains");
    let ci = up.format_patch("v1.17.17..HEAD");
    up.checkout("master");

    let ws = tmp.join("ws");
    std::fs::create_dir_all(ws.join("patches")).unwrap();
    std::fs::write(ws.join("patches/CVE-2021-3121.patch"), regen).unwrap();
    std::fs::write(ws.join("patches/fix-ci.patch"), ci).unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!(
            "base: {}\nreleases:\n  - name: v1.18.20-lts.1\n    base_release: v1.18.20\n    must: true\n    patches: []\n  - name: v1.17.17-lts.2\n    base_release: v1.17.17-lts.1\n    must: true\n    patches: [fix-ci]\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    patches:\n      - CVE-2021-3121\n",
            up.dir.display()
        ),
    )
    .unwrap();
    std::fs::write(ws.join("triage.yml"), triage).unwrap();
    ws
}

#[test]
fn a_real_workspace_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path(), "triage: []\n");
    let db = klts_vuln::sources::load(None).unwrap();
    // The upstream is a local path: "fetching" it needs no network.
    let online = SiteConfig {
        offline: false,
        ..config()
    };
    let site = data::build(
        Some(&ws),
        Some(&tmp.path().join("cache")),
        Arc::new(db),
        &online,
    );
    assert!(site.workspace, "{:?}", site.errors);
    assert_eq!(site.releases.len(), 3, "{:?}", site.errors);
    let lts2 = site.release("v1.17.17-lts.2").unwrap();
    assert_eq!(lts2.previous.as_deref(), Some("v1.17.17-lts.1"));

    // Every path renders and every HTML page is well formed; links resolve.
    for path in all_paths(&site) {
        let r = render(&site, &path, "");
        assert_eq!(r.status, 200, "{path}");
        if path.ends_with('/') {
            check_html(&text(&r)).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
    let page = text(&get(&site, "/releases/v1.17.17-lts.2/"));
    assert!(page.contains("Changes since <a href=\"/releases/v1.17.17-lts.1/\">v1.17.17-lts.1</a>"));
    assert!(page.contains("<code>fix-ci</code>"), "the added patch");
    assert!(
        page.contains("patches/fix-ci.patch") || page.contains("fix-ci"),
        "patch source"
    );
    assert!(page.contains("<a href=\"/releases/v1.17.17-lts.1/\">v1.17.17-lts.1</a> → <strong>v1.17.17-lts.2</strong>"), "chain");
    let fixed: Vec<&str> = lts2.fixed.iter().map(|a| a.id.as_str()).collect();
    // The patch named after CVE-2021-3121 fixes it on the 1.17 chain.
    let cve = site
        .advisory("CVE-2021-3121")
        .expect("CVE-2021-3121 in the embedded snapshot");
    assert!(
        fixed.contains(&cve.advisory.id.as_str()),
        "fixed: {fixed:?}"
    );
    assert!(page.contains(&format!("href=\"/advisories/{}/\"", cve.advisory.id)));
    let adv = text(&get(&site, &format!("/advisories/{}/", cve.advisory.id)));
    let section = &adv[adv.find("id=\"fixed-lts\"").unwrap()..adv.find("id=\"open\"").unwrap()];
    assert!(
        section.contains("href=\"/releases/v1.17.17-lts.1/\"")
            && section.contains("href=\"/releases/v1.17.17-lts.2/\""),
        "{section}"
    );
    assert!(
        !section.contains("v1.18.20-lts.1"),
        "fixed upstream there, not by LTS"
    );
    assert!(text(&get(&site, "/matrix/")).contains("href=\"/advisories/CVE-2021-3121/\""));
    let home = text(&get(&site, "/"));
    assert!(
        !home.contains("Problems reading the workspace"),
        "no errors: {:?}",
        site.errors
    );
    // The static build writes it.
    let out = tmp.path().join("public");
    let n = write_site(&site, &out).unwrap();
    // Every page, the 404 page, and a redirect page per old klts.io address.
    let moved = klts_site::program::Program::single(site.clone()).legacy_paths();
    assert!(moved.len() > 100, "{}", moved.len());
    let aliases = klts_site::pages::advisory_aliases(&site);
    assert_eq!(
        n,
        all_paths(&site).len() + klts_site::pages::Lang::ALL.len() + moved.len() + aliases.len()
    );
    // An alias goes to its advisory.
    // In Chinese too.
    let (alias, to) = aliases
        .iter()
        .find(|(a, _)| a.starts_with("/zh/advisories/GHSA-"))
        .unwrap();
    assert!(to.starts_with("/zh/advisories/"), "{to}");
    let page = std::fs::read_to_string(out.join(export::file_for(alias).unwrap())).unwrap();
    assert!(page.contains(&format!("url={to}")), "{page}");
    assert!(
        page.contains("<html lang=\"zh-CN\">") && page.contains("此页面已移至"),
        "{page}"
    );
    let (alias, to) = aliases.iter().find(|(a, _)| a.contains("GHSA-")).unwrap();
    let page = std::fs::read_to_string(out.join(export::file_for(alias).unwrap())).unwrap();
    assert!(page.contains(&format!("url={to}")), "{page}");
    // Every patch release of a supported line has a status answer.
    assert!(out.join("api/v1/status/v1.17.0.json").is_file());
    assert!(out.join("api/v1/status/v1.17.9.json").is_file());
    let old = std::fs::read_to_string(
        out.join("docs/kubernetes/releases/v1.17/v1.17.17-lts.2/index.html"),
    )
    .unwrap();
    assert!(old.contains("url=/releases/v1.17.17-lts.2/"), "{old}");
    assert!(out.join("releases/v1.17.17-lts.2/index.html").is_file());
    assert!(out.join("api/v1/status/v1.17.17-lts.2.json").is_file());

    // A broken triage file is shown on the advisory pages, and the rest still renders.
    std::fs::write(ws.join("triage.yml"), "triage:\n  - advisory: [unclosed\n").unwrap();
    let db = klts_vuln::sources::load(None).unwrap();
    let broken = data::build(
        Some(&ws),
        Some(&tmp.path().join("cache")),
        Arc::new(db),
        &online,
    );
    assert!(
        broken.errors.iter().any(|e| e.scope == "advisories"),
        "{:?}",
        broken.errors
    );
    let adv = text(&get(&broken, "/advisories/"));
    assert!(adv.contains("Problems reading the workspace") && adv.contains("triage.yml"));
    assert_eq!(get(&broken, "/releases/v1.17.17-lts.2/").status, 200);
}

/// `/api/v1/status/<version>` follows the `klts vulns check` rule and shape: an LTS release
/// the workspace does not define is 404 (the CLI's exit 2), not upstream's answer with 200.
#[test]
fn status_api_follows_the_check_rule() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("releases.yml"),
        "base: /nonexistent\nproduct: kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n    patches: [CVE-2021-25741.1.17]\n",
    )
    .unwrap();
    let db = klts_vuln::sources::load(None).unwrap();
    let site = data::build(Some(tmp.path()), None, Arc::new(db), &config());
    let r = get(&site, "/api/v1/status/v1.17.17-lts.9.json");
    assert_eq!(r.status, 404, "{}", text(&r));
    assert!(text(&r).contains("unknown release"), "{}", text(&r));
    let r = get(&site, "/api/v1/status/v1.17.17-lts.1.json");
    assert_eq!(r.status, 200, "{}", text(&r));
    let v: serde_json::Value = serde_json::from_str(&text(&r)).unwrap();
    assert_eq!(v["lts_release"], true);
    assert_eq!(v["facts"], "manifest", "{v}");
    assert!(
        !v["exposures"].to_string().contains("CVE-2021-25741"),
        "{v}"
    );
    let r = get(&site, "/api/v1/status/1.17.17.json");
    assert_eq!(r.status, 200);
    assert!(text(&r).contains("CVE-2021-25741"));
}

/// Replace the fixture's releases with `releases` (YAML list items), keeping its upstream.
fn rewrite_releases(ws: &std::path::Path, releases: &str) {
    let old = std::fs::read_to_string(ws.join("releases.yml")).unwrap();
    let base = old.lines().next().unwrap();
    std::fs::write(
        ws.join("releases.yml"),
        format!("{base}\nreleases:\n{releases}"),
    )
    .unwrap();
}

/// A `-ci` base is a stage of the `-lts.N` releases built on it: not counted, not listed, not
/// a matrix column or an advisory row, and "changes since" skips it; its page stays reachable
/// from the chains and says what it is a stage of.
#[test]
fn stages_are_shown_inside_their_children_and_never_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path(), "triage: []\n");
    rewrite_releases(
        &ws,
        "  - name: v1.18.20-lts.1\n    base_release: v1.18.20\n    must: true\n    patches: []\n  - name: v1.17.17-lts.2\n    base_release: v1.17.17-ci\n    must: true\n    patches: [CVE-2021-3121]\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17-ci\n    must: true\n    patches: []\n  - name: v1.17.17-ci\n    base_release: v1.17.17\n    patches: [fix-ci]\n",
    );
    let db = klts_vuln::sources::load(None).unwrap();
    let online = SiteConfig {
        offline: false,
        ..config()
    };
    let site = data::build(
        Some(&ws),
        Some(&tmp.path().join("cache")),
        Arc::new(db),
        &online,
    );
    assert!(site.errors.is_empty(), "{:?}", site.errors);
    let names: Vec<&str> = site.releases.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["v1.18.20-lts.1", "v1.17.17-lts.2", "v1.17.17-lts.1"]
    );
    assert_eq!(site.stages.len(), 1);
    assert_eq!(
        site.stages[0].stage_of,
        ["v1.17.17-lts.2", "v1.17.17-lts.1"]
    );

    // Counts and lists.
    let home = text(&get(&site, "/"));
    assert!(home.contains(">3 LTS releases</a>"), "{home}");
    for path in [
        "/releases/",
        "/lines/1.17/",
        "/matrix/",
        "/search/?q=v1.17.17",
    ] {
        let page = text(&get(&site, path));
        assert!(!page.contains("v1.17.17-ci"), "{path} lists the stage");
    }
    assert_eq!(site.line("1.17").unwrap().releases.len(), 2);
    assert!(!site.matrix.releases.iter().any(|r| r.ends_with("-ci")));
    for path in [
        "/api/v1/releases.json",
        "/api/v1/matrix.json",
        "/api/v1/lines.json",
        "/api/v1/advisories/CVE-2021-3121.json",
    ] {
        let body = text(&get(&site, path));
        assert!(!body.contains("v1.17.17-ci"), "{path}: {body}");
    }

    // Changes since: the line's previous published release, never the stage.
    let lts1 = site.release("v1.17.17-lts.1").unwrap();
    assert_eq!(lts1.previous, None);
    assert!(text(&get(&site, "/releases/v1.17.17-lts.1/")).contains("The first LTS release"));
    let lts2 = site.release("v1.17.17-lts.2").unwrap();
    assert_eq!(lts2.previous.as_deref(), Some("v1.17.17-lts.1"));
    assert_eq!(lts2.added_patches, ["CVE-2021-3121"]);

    // Shown inside its children: the chain and the patch carried by the stage link to it.
    let page = text(&get(&site, "/releases/v1.17.17-lts.2/"));
    assert!(
        page.contains(
            "<a href=\"/releases/v1.17.17-ci/\">v1.17.17-ci</a> → <strong>v1.17.17-lts.2</strong>"
        ),
        "{page}"
    );
    assert!(page.contains("<code>fix-ci</code>"), "{page}");
    let stage = get(&site, "/releases/v1.17.17-ci/");
    assert_eq!(stage.status, 200);
    let stage = text(&stage);
    assert!(
        stage.contains("is a stage, not a published release"),
        "{stage}"
    );
    assert!(stage.contains("href=\"/releases/v1.17.17-lts.1/\""));
    assert!(
        !stage.contains("id=\"install\""),
        "a stage is not installed"
    );
    check_html(&stage).unwrap();
    assert_eq!(get(&site, "/api/v1/releases/v1.17.17-ci.json").status, 200);
}

/// Releases that did not materialize say "not yet verified"; no public page or API answer
/// carries the build machine's paths (the detail is the operator's, for the CLI).
#[test]
fn failed_materializations_leak_no_machine_paths() {
    let tmp = tempfile::tempdir().unwrap();
    // One release whose root tag the upstream lacks, beside ones that materialize.
    let ws = workspace(tmp.path(), "triage: []\n");
    rewrite_releases(
        &ws,
        "  - name: v1.18.20-lts.1\n    base_release: v1.18.20\n    must: true\n    patches: []\n  - name: v1.16.15-lts.1\n    base_release: v1.16.15\n    must: true\n    patches: [fix-ci]\n",
    );
    // And a workspace whose upstream is gone: no release materializes.
    let gone = tmp.path().join("gone");
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::write(
        gone.join("releases.yml"),
        "base: /nonexistent/upstream\nproduct: kubernetes\nreleases:\n  - name: v1.17.17-lts.1\n    base_release: v1.17.17\n    must: true\n    patches: [CVE-2021-25741.1.17]\n",
    )
    .unwrap();
    let machine: Vec<String> = [tmp.path().to_path_buf(), tmp.path().canonicalize().unwrap()]
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    for (dir, offline, failed) in [
        (&ws, false, "v1.16.15-lts.1"),
        (&gone, true, "v1.17.17-lts.1"),
    ] {
        let db = klts_vuln::sources::load(None).unwrap();
        let cfg = SiteConfig {
            offline,
            ..config()
        };
        let site = data::build(
            Some(dir),
            Some(&tmp.path().join("cache")),
            Arc::new(db),
            &cfg,
        );
        for path in all_paths(&site) {
            let body = text(&render(&site, &path, ""));
            for m in &machine {
                assert!(!body.contains(m.as_str()), "{path} shows {m}: {body}");
            }
        }
        assert!(!site.release(failed).unwrap().materialized);
        let page = text(&get(&site, &release_href_of(failed)));
        assert!(page.contains("not yet verified"), "{page}");
        assert!(
            !site.operator_problems.is_empty(),
            "the CLI keeps the detail"
        );
    }
}

fn release_href_of(name: &str) -> String {
    format!("/releases/{name}/")
}

/// An advisory page goes line by line (first fixed patch release of each line, not every
/// `fixed` event of every record in a row), and its JSON lists one fix per line.
#[test]
fn advisory_pages_go_line_by_line() {
    let site = embedded_site();
    let page = text(&get(site, "/advisories/CVE-2020-8559/"));
    assert!(page.contains("id=\"by-line\""), "{page}");
    let table = page.split("id=\"by-line\"").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert!(table.contains("fixed in <code>v1.17.9</code>"), "{table}");
    assert!(table.contains("fixed in <code>v1.16.13</code>"), "{table}");
    // Lines released with the fix already in are not rows.
    assert!(!table.contains(">1.30<"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&text(&get(site, "/api/v1/advisories/CVE-2020-8559.json"))).unwrap();
    let fixed = json["fixed_upstream_in"].as_array().unwrap();
    assert!(fixed.iter().any(|v| v == "v1.17.9"), "{fixed:?}");
    assert!(fixed.len() <= 3, "one fix per line: {fixed:?}");
}

/// A release page leads with what a user needs: supported or not and until when, then how
/// to install it, then the advisories grouped by severity; the patch table and the chain come
/// last, under "Details".
#[test]
fn release_pages_lead_with_support_and_install() {
    let site = synthetic_site();
    let r = site
        .releases
        .iter()
        .find(|r| !r.install.apt.is_empty())
        .expect("a release");
    let page = text(&get(site, &format!("/releases/{}/", r.name)));
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} not on the page:\n{page}"))
    };
    let support = at("class=\"lead support\"");
    let install = at("id=\"install\"");
    let open = at("id=\"open\"");
    let details = at("id=\"details\"");
    let patches = at("id=\"patches\"");
    assert!(support < install && install < open && open < details && details < patches);
    let lead = &page[support..support + page[support..].find("</p>").unwrap()];
    assert!(
        lead.contains("Supported") || lead.contains("Not supported"),
        "{lead}"
    );
    // Severity groups, most severe first.
    if !r.fixed.is_empty() {
        let fixed = &page[at("id=\"fixed\"")..at("id=\"ignored\"")];
        assert!(fixed.contains("<h3>"), "{fixed}");
    }
}

/// Long JSON lists page on request (`page`, `per_page`), and stay whole without.
#[test]
fn json_lists_paginate() {
    let site = embedded_site();
    let json = |url: &str| -> serde_json::Value {
        let r = get(site, url);
        assert_eq!(r.status, 200, "{url}: {}", text(&r));
        serde_json::from_str(&text(&r)).unwrap()
    };
    let all = json("/api/v1/advisories.json");
    let total = all["advisories"].as_array().unwrap().len();
    assert!(total > 50);
    assert_eq!(all["pagination"]["total"], total);
    let p1 = json("/api/v1/advisories.json?severity=low&per_page=10");
    assert_eq!(p1["advisories"].as_array().unwrap().len(), 10);
    assert_eq!(p1["pagination"]["page"], 1);
    let next = p1["pagination"]["next"].as_str().unwrap().to_string();
    assert!(
        next.contains("severity=low") && next.contains("page=2"),
        "{next}"
    );
    let p2 = json(&next);
    assert_ne!(p2["advisories"][0]["id"], p1["advisories"][0]["id"]);
    let last = p1["pagination"]["pages"].as_u64().unwrap();
    let end = json(&format!(
        "/api/v1/advisories.json?severity=low&per_page=10&page={last}"
    ));
    assert!(end["pagination"]["next"].is_null());
    let beyond = json(&format!(
        "/api/v1/advisories.json?per_page=10&page={}",
        last + 100
    ));
    assert!(beyond["advisories"].as_array().unwrap().is_empty());
    let m = json("/api/v1/matrix.json?per_page=5");
    assert!(m["rows"].as_array().unwrap().len() <= 5);
    for bad in ["per_page=0", "per_page=501", "page=0", "page=x"] {
        let r = get(site, &format!("/api/v1/advisories.json?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Two languages: English at the root, Simplified Chinese under /zh/.

/// Whether `path` is a page (every language has it), not the API or a file.
fn is_page(path: &str) -> bool {
    path.ends_with('/') && !path.starts_with("/api/") && !path.contains("/assets/")
}

/// Every `href`/`action`/`src` value of `body`, with whether it is on the language switch
/// (`None` for the `<link rel="alternate" hreflang>` of the head, which name every language).
fn links_of(body: &str) -> Vec<(String, Option<bool>)> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\"", "src=\""] {
        for (k, _) in body.match_indices(attr) {
            let rest = &body[k + attr.len()..];
            let v = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
            let tag = &body[body[..k].rfind('<').unwrap()..k];
            let switch =
                (!tag.contains("rel=\"alternate\"")).then(|| tag.contains("class=\"lang-switch\""));
            out.push((v, switch));
        }
    }
    out
}

#[test]
fn every_page_renders_in_english_and_in_chinese_with_its_lang() {
    for (which, site) in sites() {
        let paths = all_paths(site);
        let english: Vec<&String> = paths
            .iter()
            .filter(|p| is_page(p) && !p.starts_with("/zh/"))
            .collect();
        assert!(english.len() > 5, "{which}");
        for en in english {
            let zh = format!("/zh{en}");
            assert!(paths.contains(&zh), "{which}: {zh} is not built");
            for (path, lang) in [(en.as_str(), "en"), (zh.as_str(), "zh-CN")] {
                let r = render(site, path, "");
                assert_eq!(r.status, 200, "{which}: {path}");
                let body = text(&r);
                assert!(
                    body.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{lang}\">")),
                    "{which}: {path} is not in {lang}"
                );
                check_html(&body).unwrap_or_else(|e| panic!("{which}: {path}: {e}"));
            }
        }
        // The API and the files exist once.
        assert!(!paths
            .iter()
            .any(|p| p.starts_with("/zh/api/") || p.starts_with("/zh/assets/")));
        assert_eq!(render(site, "/zh/api/v1/index.json", "").status, 404);
        assert_eq!(render(site, "/zh/assets/style.css", "").status, 404);
        // `/zh` is the Chinese home page, as `/lines` is the lines page.
        assert_eq!(render(site, "/zh", "").body, render(site, "/zh/", "").body);
        assert_eq!(
            render(site, "/zh/index.html", "").body,
            render(site, "/zh/", "").body
        );
    }
}

#[test]
fn links_stay_in_their_language_but_the_switch() {
    for (which, site) in sites() {
        for path in all_paths(site).iter().filter(|p| is_page(p)) {
            let body = text(&render(site, path, ""));
            let chinese = path.starts_with("/zh/");
            let mut switches = 0;
            for (link, switch) in links_of(&body) {
                if !link.starts_with('/') {
                    continue;
                }
                let Some(switch) = switch else { continue };
                let shared = link.starts_with("/api/")
                    || link.contains("/assets/")
                    || link.ends_with("/lifecycle.svg");
                let is_zh = link == "/zh" || link.starts_with("/zh/");
                if switch {
                    switches += 1;
                    assert_eq!(
                        is_zh, !chinese,
                        "{which}: {path}: the switch goes to {link}"
                    );
                } else if !shared {
                    assert_eq!(
                        is_zh, chinese,
                        "{which}: {path} links to {link} in the other language"
                    );
                }
            }
            assert_eq!(switches, 1, "{which}: {path}: one language switch");
            assert!(
                body.contains(if chinese {
                    "hreflang=\"en\" lang=\"en\">English</a>"
                } else {
                    "hreflang=\"zh-CN\" lang=\"zh-CN\">简体中文</a>"
                }),
                "{which}: {path}: the switch names its language in that language"
            );
        }
    }
}

/// The text of a page, without its tags.
fn visible_text(body: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn the_chinese_pages_are_translated() {
    let site = synthetic_site();
    let home = text(&render(site, "/zh/", ""));
    assert!(
        home.contains("<h2 id=\"supported\">受支持的版本线</h2>"),
        "{home}"
    );
    assert!(
        home.contains("<title>Kubernetes 长期支持 · KLTS</title>"),
        "{home}"
    );
    // English UI words that must not be left on the Chinese pages (data such as release names,
    // advisory ids and feed summaries stay as they are).
    const ENGLISH: [&str; 15] = [
        "Community support",
        "Planned",
        "Supported",
        "Advisories",
        "Release",
        "Lines",
        "Matrix",
        "Lifecycle",
        "Search",
        "Home",
        "Phase",
        "Support ends",
        "Details",
        "This page",
        "not allowed",
    ];
    let release = format!("/zh/releases/{}/", site.releases[0].name);
    for (path, query) in [
        ("/zh/", ""),
        ("/zh/lines/", ""),
        ("/zh/releases/", ""),
        (release.as_str(), ""),
        ("/zh/matrix/", ""),
        ("/zh/lifecycle/", ""),
        ("/zh/search/", "q=cve"),
        ("/zh/nope/", ""),
        ("/zh/matrix/", "severity=urgent&line=9.9&status=x"),
    ] {
        let visible = visible_text(&text(&render(site, path, query)));
        for word in ENGLISH {
            assert!(
                !visible.contains(word),
                "{path}?{query}: `{word}` left in English:\n{visible}"
            );
        }
    }
    let release_page = text(&render(site, &release, ""));
    assert!(
        release_page.contains("仍受影响的安全公告"),
        "{release_page}"
    );
    // 404 and 400 pages in the language of the address.
    let missing = render(site, "/zh/releases/v9.9.9-lts.1/", "");
    assert_eq!(missing.status, 404);
    assert!(
        text(&missing).contains("<html lang=\"zh-CN\">")
            && text(&missing).contains("没有这个名称的发布版本"),
        "{}",
        text(&missing)
    );
    let bad = render(site, "/zh/matrix/", "severity=urgent");
    assert_eq!(bad.status, 400);
    let bad = text(&bad);
    assert!(
        bad.contains("<html lang=\"zh-CN\">")
            && bad.contains("请求有误")
            && bad.contains("不接受严重程度 `urgent`"),
        "{bad}"
    );
    // The JSON API says it in English, once.
    let api = render(site, "/api/v1/matrix.json", "severity=urgent");
    assert_eq!(api.status, 400);
    assert!(text(&api).contains("severity `urgent` is not allowed"));
    // Dates stay ISO in both languages.
    assert!(home.contains(&site.date.to_string()));
}

#[test]
fn english_counts_agree_with_their_number() {
    let site = synthetic_site();
    let one = text(&render(
        site,
        "/search/",
        &format!("q={}", site.releases[0].name),
    ));
    let n = one.split("id=\"search-count\"").nth(1).unwrap();
    let n = &n[n.find('>').unwrap() + 1..n.find("</p>").unwrap()];
    let count: usize = n.split(' ').next().unwrap().parse().unwrap();
    let word = if count == 1 {
        " result for "
    } else {
        " results for "
    };
    assert!(n.contains(word), "{n}");
    // The script's sentence comes from the page, in both numbers.
    assert!(
        one.contains(
            "data-results=\"{n} results for “{q}”.\" data-results-one=\"{n} result for “{q}”.\""
        ),
        "{one}"
    );
    let zh = text(&render(site, "/zh/search/", ""));
    assert!(
        zh.contains("data-results=\"“{q}”的搜索结果：{n} 条。\""),
        "{zh}"
    );
}

#[test]
fn chinese_search_finds_what_the_page_shows() {
    let site = synthetic_site();
    // The phase as the Chinese page names it finds the lines in it.
    let r = text(&render(site, "/zh/search/", "q=社区维护"));
    assert!(r.contains("<a href=\"/zh/lines/1.24/\">"), "{r}");
    assert!(!r.contains("<a href=\"/zh/lines/1.17/\">"), "{r}");
    assert!(r.contains("data-terms=\"1.24\nv1.24\ncommunity"), "{r}");
    // The language switch keeps the query.
    let en = text(&render(site, "/search/", "q=cve 2021"));
    assert!(
        en.contains("<a class=\"lang-switch\" href=\"/zh/search/?q=cve%202021\""),
        "{en}"
    );
}

/// Up to 60 bytes before and 20 after `i`, on character boundaries.
fn context(body: &str, i: usize) -> &str {
    let mut a = i.saturating_sub(60);
    while !body.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (i + 20).min(body.len());
    while !body.is_char_boundary(b) {
        b += 1;
    }
    &body[a..b]
}

/// A day in the text of a page is one unbreakable token (`<span class="date">`), so a phone
/// never breaks `2024-01-13` at its hyphens: checked on every page in both languages, outside
/// markup, code, the head and the chart (which draws its own text).
#[test]
fn days_in_the_text_never_break() {
    let site = synthetic_site();
    let is_day = |b: &[u8]| {
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let mut checked = 0;
    let mut bare = Vec::new();
    for path in all_paths(site)
        .into_iter()
        .filter(|p| p.ends_with('/') && !p.contains("/api/"))
    {
        let body = text(&render(site, &path, ""));
        let Some(start) = body.find("<body") else {
            continue;
        };
        let bytes = body.as_bytes();
        let (mut i, mut skip) = (start, 0usize);
        while i + 10 <= bytes.len() {
            let rest = &body[i..];
            if rest.starts_with('<') {
                for (open, close) in [("<svg", "</svg>"), ("<code", "</code>"), ("<pre", "</pre>")]
                {
                    if rest.starts_with(open) {
                        skip = rest.find(close).map_or(bytes.len(), |e| i + e);
                    }
                }
                // Past the tag itself (attributes may hold days: datetime, hrefs).
                i += rest.find('>').map_or(bytes.len(), |e| e + 1);
                continue;
            }
            if i < skip {
                i += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            }
            // A day inside a URL or a name (`/2022-10-17-git-…`) is not a day of the text.
            let boundary = i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric() || b"/-._".contains(&bytes[i - 1]));
            if boundary
                && is_day(&bytes[i..i + 10])
                && bytes.get(i + 10).is_none_or(|c| !c.is_ascii_digit())
            {
                checked += 1;
                if !body[..i].ends_with("<span class=\"date\">") {
                    bare.push(format!("{path}: a bare day at …{}…", context(&body, i)));
                }
                i += 10;
                continue;
            }
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    assert!(
        bare.is_empty(),
        "{} bare days:\n{}",
        bare.len(),
        bare.join("\n")
    );
    assert!(checked > 100, "only {checked} days seen");
}
