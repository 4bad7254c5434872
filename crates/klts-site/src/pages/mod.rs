//! Routing and rendering: one function from a path (and query string) to a response, shared
//! by the static build ([`crate::export`]) and the live server, so both always show the same
//! thing.
//!
//! Pages are plain HTML5 that need no JavaScript (the search page alone loads one optional
//! script, `assets/search.js`) and make no external requests: one stylesheet
//! (`/assets/style.css`, embedded), links between pages as absolute paths from `/`, GET forms
//! for search and filters. Every page has a JSON twin under `/api/v1/` with the same data.
//!
//! A product's site in a program ([`crate::program`]) has the same paths under its prefix
//! ([`SiteData::base`]: `/containerd/releases/`, `/api/v1/containerd/releases.json`): every
//! link, form action, canonical URL and API path is made by `at` or `api_at`, which add it,
//! so its pages never link outside it (the home page's product list aside). `render` itself
//! takes paths without the prefix; the program strips it.
//!
//! | path | what |
//! | --- | --- |
//! | `/` | the program, the supported lines |
//! | `/lines/`, `/lines/<x.y>/` | every minor line; one line |
//! | `/releases/`, `/releases/<name>/` | every published LTS release; one release (a stage's page is reachable from its children's chains, unlisted) |
//! | `/advisories/`, `/advisories/<id>/` | advisories (`?severity=&q=`); one advisory (ids and aliases, any case) |
//! | `/matrix/` | releases × advisories (`?severity=&line=&status=`) |
//! | `/matrix/severity/<sev>/` | the matrix at or above a severity (static filter) |
//! | `/lifecycle/`, `/lifecycle.svg` | the lifecycle chart and dates |
//! | `/search/` | search (`?q=`) over lines, releases and advisories |
//! | `/assets/style.css` | the stylesheet |
//! | `/api/v1/…` | the JSON API (see `/api/v1/index.json`) |
//!
//! Every page also exists in Simplified Chinese under `/zh/` (`/zh/releases/<name>/`; in a
//! program `/zh/containerd/…`, the language first): [`render`] reads the prefix ([`Lang`]),
//! and page code gets a `Site` (the data, the language, and the base its links start with),
//! so every link it makes stays in the page's language; the one way out is the switch to the
//! same page in the other language. The API, the stylesheet, the script and `lifecycle.svg`
//! exist once, at the root. Every user-visible string comes from the catalogues (`i18n`).
//!
//! The module is split along what it does: `html` (the [`Html`] type: markup that only
//! escaping, trusted literals and composition make), `i18n` (languages and catalogues),
//! `urls` (percent-encoding, the paths of pages), `filters` (query strings, filters, search
//! terms), `layout` (the frame of every page), `parts` (badges, tables, links), one module per
//! page family (`home`, `lines`, `releases`, `advisories`, `matrix`, `lifecycle`, `search`,
//! `errors`) and `api`. Routing and [`render`] are here.
//!
//! Unknown paths get a 404 page (a JSON body under `/api/`), bad query values a 400 page that
//! says which values are allowed. Nothing here panics on input: paths and query strings come
//! from the network.

use crate::chart;
use crate::data::{AdvisoryRef, AdvisoryView, LineView, ReleaseView, SiteData, SiteError};
use klts_core::lifecycle::LineStatus;
use klts_core::{MinorLine, Version};
use klts_vuln::model::Severity;
use klts_vuln::report::{AdvisorySummary, MatrixRow};
use klts_vuln::status::{Status, StatusKind};
use serde::Serialize;
use std::fmt::{self, Write as _};

/// `text/html; charset=utf-8`.
pub const HTML: &str = "text/html; charset=utf-8";
/// `application/json`.
pub const JSON: &str = "application/json";
/// `image/svg+xml`.
pub const SVG: &str = "image/svg+xml";
/// `text/css; charset=utf-8`.
pub const CSS: &str = "text/css; charset=utf-8";
/// `Content-Type` of the search script.
pub const JS: &str = "text/javascript; charset=utf-8";
/// The search page's progressive enhancement, served at `/assets/search.js`: the only script
/// of the portal, and no page needs it (see the file).
pub const SEARCH_JS: &str = include_str!("../../assets/search.js");

/// The stylesheet served at `/assets/style.css`.
pub const STYLE: &str = include_str!("../../assets/style.css");

/// Severities the filters accept, lowest first (`moderate` is accepted for `medium`).
const SEVERITY_CHOICES: [&str; 4] = ["low", "medium", "high", "critical"];
/// Severities the static build writes matrix pages for.
const STATIC_MATRIX_SEVERITIES: [&str; 2] = ["critical", "high"];
/// The longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;
/// Query parameters read at most (the rest are ignored).
const MAX_QUERY_PAIRS: usize = 64;

/// A site as one language shows it: the data, the language, and the base its page links start
/// with (the language's prefix, then the product's: `/zh/containerd`). Derefs to the data, so
/// page code reads `site.lines`; `site.base` is the language's, `site.data.base` the API's and
/// the assets' (those exist once).
pub(super) struct Site<'a> {
    pub(super) data: &'a SiteData,
    pub(super) lang: Lang,
    pub(super) base: String,
    /// The path of the page inside the site, as requested (for the other language's link).
    pub(super) path: String,
}

impl<'a> Site<'a> {
    pub(super) fn new(data: &'a SiteData, lang: Lang, path: &str) -> Site<'a> {
        Site {
            data,
            lang,
            base: format!("{}{}", lang.prefix(), data.base),
            path: path.to_string(),
        }
    }

    /// A catalogue text without placeholders.
    pub(super) fn t(&self, msg: Msg) -> Html {
        fill(self.lang, msg, &[])
    }

    /// A catalogue text as plain text (titles, labels escaped where they are used).
    pub(super) fn s(&self, msg: Msg) -> String {
        fill_text(self.lang, msg, &[])
    }
}

impl std::ops::Deref for Site<'_> {
    type Target = SiteData;
    fn deref(&self) -> &SiteData {
        self.data
    }
}

/// A catalogue text with its placeholders filled: `tr!(site, Key, line = name)`; each argument
/// goes in as `html!` puts it (text escaped, `Html` kept).
macro_rules! tr {
    ($site:expr, $key:ident $(, $name:ident = $arg:expr)* $(,)?) => {
        $crate::pages::i18n::fill(
            $site.lang,
            $crate::pages::i18n::Msg::$key,
            &[$((stringify!($name), markup!("{}", $arg))),*],
        )
    };
}

/// A rendered page or API answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn html(status: u16, body: Html) -> Response {
        Response {
            status,
            content_type: HTML,
            body: body.into_string().into_bytes(),
        }
    }

    fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
        match serde_json::to_vec_pretty(value) {
            Ok(mut body) => {
                body.push(b'\n');
                Response {
                    status,
                    content_type: JSON,
                    body,
                }
            }
            Err(e) => json_error(500, &format!("cannot serialize the answer: {e}")),
        }
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn json_error(status: u16, message: &str) -> Response {
    let mut body =
        serde_json::to_vec_pretty(&serde_json::json!({ "error": message, "status": status }))
            .unwrap_or_else(|_| b"{\"error\": \"error\"}".to_vec());
    body.push(b'\n');
    Response {
        status,
        content_type: JSON,
        body,
    }
}

mod advisories;
mod api;
mod errors;
mod filters;
mod home;
mod html;
mod i18n;
mod layout;
mod lifecycle;
mod lines;
mod matrix;
mod parts;
mod releases;
mod search;
mod urls;
use advisories::*;
use api::*;
use errors::*;
use filters::*;
use home::*;
use html::*;
use i18n::{fill, fill_text, plural, Msg};
use layout::*;
use lifecycle::*;
use lines::*;
use matrix::*;
use parts::*;
use releases::*;
use search::*;
use urls::*;

pub use errors::{moved_page, not_found, not_found_page, not_found_page_in};
pub use html::{escape, Html};
pub use i18n::Lang;
pub use urls::{encode_segment, percent_decode};

// Routing.

pub(super) enum Route<'a> {
    Home,
    Lines,
    Line(&'a str),
    Releases,
    Release(&'a str),
    Advisories,
    Advisory(&'a str),
    Matrix(Option<&'a str>),
    Lifecycle,
    LifecycleSvg,
    Search,
    Style,
    SearchScript,
    NotFoundPage,
    Api(Vec<&'a str>),
    Unknown,
}

pub(super) fn route<'a>(segments: &[&'a str], trailing_slash: bool) -> Route<'a> {
    let page = |r: Route<'a>| r; // pages accept the path with or without the trailing slash
    let file = |r: Route<'a>| if trailing_slash { Route::Unknown } else { r };
    match segments {
        [] => page(Route::Home),
        ["lines"] => page(Route::Lines),
        ["lines", l] => page(Route::Line(l)),
        ["releases"] => page(Route::Releases),
        ["releases", r] => page(Route::Release(r)),
        ["advisories"] => page(Route::Advisories),
        ["advisories", a] => page(Route::Advisory(a)),
        ["matrix"] => page(Route::Matrix(None)),
        ["matrix", "severity", s] => page(Route::Matrix(Some(s))),
        ["lifecycle"] => page(Route::Lifecycle),
        ["lifecycle.svg"] => file(Route::LifecycleSvg),
        ["search"] => page(Route::Search),
        ["assets", "style.css"] => file(Route::Style),
        ["assets", "search.js"] => file(Route::SearchScript),
        ["404.html"] => file(Route::NotFoundPage),
        ["api", rest @ ..] => Route::Api(rest.to_vec()),
        _ => Route::Unknown,
    }
}

/// Render `path` with `query` (without the `?`), with GET semantics; a path under `/zh/` is the
/// Chinese page ([`Lang::of_path`]).
pub fn render(site: &SiteData, path: &str, query: &str) -> Response {
    let (lang, rest) = Lang::of_path(path);
    render_in(site, lang, rest, query)
}

/// Render `path` (without a language prefix) in `lang`.
pub fn render_in(data: &SiteData, lang: Lang, path: &str, query: &str) -> Response {
    // A query or fragment left in the path goes with the query.
    let (path, query) = match path.split_once('?') {
        Some((p, q)) if query.is_empty() => (p, q),
        Some((p, _)) => (p, query),
        None => (path, query),
    };
    let site = &Site::new(data, lang, path.split('#').next().unwrap_or(""));
    let path = path.split('#').next().unwrap_or("");
    // Split first, then decode each segment: `%2F` inside an id stays in that segment.
    let mut raw = path.strip_prefix('/').unwrap_or(path);
    if raw == "index.html" {
        raw = "";
    } else if let Some(stripped) = raw.strip_suffix("/index.html") {
        raw = &raw[..stripped.len() + 1];
    }
    let decoded = percent_decode(path, false).unwrap_or_else(|| path.to_string());
    if raw.starts_with('/') {
        return not_found_in(site, &decoded);
    }
    let trailing_slash = raw.ends_with('/');
    let raw = raw.strip_suffix('/').unwrap_or(raw);
    let mut owned: Vec<String> = Vec::new();
    if !raw.is_empty() {
        for seg in raw.split('/') {
            match percent_decode(seg, false) {
                Some(s) if !s.is_empty() => owned.push(s),
                _ => return not_found_in(site, &decoded),
            }
        }
    }
    let segments: Vec<&str> = owned.iter().map(String::as_str).collect();
    match route(&segments, trailing_slash) {
        // The API and the files exist once, at the root.
        Route::Api(_) | Route::Style | Route::SearchScript | Route::LifecycleSvg
            if lang != Lang::En =>
        {
            not_found_in(site, &decoded)
        }
        Route::Home => Response::html(200, home(site)),
        Route::Lines => Response::html(200, lines_page(site)),
        Route::Line(l) => match site.line(l) {
            Some(line) => Response::html(200, line_page(site, line)),
            None => not_found_in(site, &decoded),
        },
        Route::Releases => Response::html(200, releases_page(site)),
        Route::Release(r) => match site.release_or_stage(r) {
            Some(rel) => Response::html(200, release_page(site, rel)),
            None => not_found_in(site, &decoded),
        },
        Route::Advisories => match parse_filters(site, query, &["severity", "q"]) {
            Ok(f) => Response::html(200, advisories_page(site, &f)),
            Err(e) => bad_request(site, "/advisories/", &e),
        },
        Route::Advisory(id) => match find_advisory(site, id) {
            Some(a) => Response::html(200, advisory_page(site, a)),
            None => not_found_in(site, &decoded),
        },
        Route::Matrix(sev) => {
            let mut f = match parse_filters(site, query, &["severity", "line", "status"]) {
                Ok(f) => f,
                Err(e) => return bad_request(site, "/matrix/", &e),
            };
            if let Some(s) = sev {
                match parse_severity(s) {
                    Ok(Some(s)) if f.severity.is_none() => f.severity = Some(s),
                    Ok(Some(_)) => {}
                    _ => return not_found_in(site, &decoded),
                }
            }
            Response::html(200, matrix_page(site, &f, sev.is_some()))
        }
        Route::Lifecycle => Response::html(200, lifecycle_page(site)),
        Route::LifecycleSvg => Response {
            status: 200,
            content_type: SVG,
            body: lifecycle_svg(site, chart::WIDTH).into_bytes(),
        },
        Route::Search => match parse_filters(site, query, &["q"]) {
            Ok(f) => Response::html(200, search_page(site, &f.q)),
            Err(e) => bad_request(site, "/search/", &e),
        },
        Route::Style => Response {
            status: 200,
            content_type: CSS,
            body: STYLE.as_bytes().to_vec(),
        },
        Route::SearchScript => Response {
            status: 200,
            content_type: JS,
            body: SEARCH_JS.as_bytes().to_vec(),
        },
        Route::NotFoundPage => not_found_page_of(site),
        Route::Api(rest) => api(site, &rest, trailing_slash, query),
        Route::Unknown => not_found_in(site, &decoded),
    }
}

/// Every page and API path the static build writes, sorted: the English pages, the API and the
/// files, then every page again in each other language under its prefix (`/zh/releases/`).
pub fn all_paths(data: &SiteData) -> Vec<String> {
    let site = &Site::new(data, Lang::En, "/");
    let mut out = paths_of(site);
    let pages: Vec<String> = out.iter().filter(|p| is_page(site, p)).cloned().collect();
    for lang in &Lang::ALL[1..] {
        out.extend(pages.iter().map(|p| format!("{}{p}", lang.prefix())));
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a path of [`all_paths`] is a page (it exists in every language), not the API or a
/// file.
fn is_page(site: &Site<'_>, path: &str) -> bool {
    let rel = path.strip_prefix(site.data.base.as_str()).unwrap_or(path);
    !path.starts_with("/api/") && !rel.starts_with("/assets/") && rel != "/lifecycle.svg"
}

/// The English paths of [`all_paths`].
fn paths_of(site: &Site<'_>) -> Vec<String> {
    let mut out: Vec<String> = [
        "/",
        "/lines/",
        "/releases/",
        "/advisories/",
        "/matrix/",
        "/lifecycle/",
        "/lifecycle.svg",
        "/search/",
        "/assets/style.css",
        "/assets/search.js",
    ]
    .iter()
    .map(|s| at(site, s))
    .collect();
    for s in [
        "/index.json",
        "/lines.json",
        "/releases.json",
        "/advisories.json",
        "/matrix.json",
    ] {
        out.push(api_at(site, s));
    }
    for s in STATIC_MATRIX_SEVERITIES {
        out.push(at(site, &format!("/matrix/severity/{s}/")));
    }
    for l in &site.lines {
        out.push(line_href(site, &l.line));
        out.push(api_at(
            site,
            &format!("/lines/{}.json", encode_segment(&l.line)),
        ));
    }
    // Stages too: their children's chains link to them (unlisted, not counted).
    for r in site.releases.iter().chain(&site.stages) {
        out.push(release_href(site, &r.name));
        out.push(api_at(
            site,
            &format!("/releases/{}.json", encode_segment(&r.name)),
        ));
    }
    for a in &site.advisories {
        out.push(advisory_href(site, &a.advisory.id));
        out.push(api_at(
            site,
            &format!("/advisories/{}.json", encode_segment(&a.advisory.id)),
        ));
    }
    for v in status_versions(site) {
        out.push(api_at(
            site,
            &format!("/status/{}.json", encode_segment(&v)),
        ));
    }
    out.sort();
    out.dedup();
    out
}

/// Versions the static build answers `/api/v1/status/<version>.json` for: every LTS release, and
/// every upstream patch release (x.y.0 to the newest) of the lines someone may still run: lines
/// in the program or not yet at their end of life. (The live server answers any version.)
pub(super) fn status_versions(site: &Site<'_>) -> Vec<String> {
    let mut v: Vec<String> = site.releases.iter().map(|r| r.name.clone()).collect();
    for l in &site.lines {
        let relevant = l.status.in_program || l.status.phase != klts_core::lifecycle::Phase::Eol;
        let Some(newest) = l
            .status
            .latest_patch
            .as_deref()
            .and_then(|p| Version::parse(p).ok())
        else {
            continue;
        };
        let first = if relevant { 0 } else { newest.patch() };
        for p in first..=newest.patch() {
            v.push(Version::new(newest.major(), newest.minor(), p).to_string());
        }
    }
    v.retain(|x| Version::parse(x).is_ok());
    v.sort();
    v.dedup();
    v
}

/// Every alias of every advisory (`GHSA-…`, `GO-…`) with its canonical id, in every language:
/// the static build writes a page at `/advisories/<alias>/` (and `/zh/advisories/<alias>/`) that
/// goes to the advisory (the live server renders the advisory at any alias).
pub fn advisory_aliases(data: &SiteData) -> Vec<(String, String)> {
    let site = &Site::new(data, Lang::En, "/");
    let mut out: Vec<(String, String)> = Vec::new();
    for a in &site.advisories {
        for alias in &a.advisory.aliases {
            if !alias.eq_ignore_ascii_case(&a.advisory.id) {
                // In every language: `/zh/advisories/<alias>/` goes to the Chinese page.
                for lang in Lang::ALL {
                    out.push((
                        format!("{}{}", lang.prefix(), advisory_href(site, alias)),
                        format!("{}{}", lang.prefix(), advisory_href(site, &a.advisory.id)),
                    ));
                }
            }
        }
    }
    out.sort();
    out.dedup_by(|x, y| x.0 == y.0);
    out
}
