//! Routing and rendering: one function from a path (and query string) to a response, shared
//! by the static build ([`crate::export`]) and the live server, so both always show the same
//! thing.
//!
//! Pages are plain HTML5 with no JavaScript and no external requests: one stylesheet
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
pub const SEARCH_JS: &str = include_str!("../assets/search.js");

/// The stylesheet served at `/assets/style.css`.
pub const STYLE: &str = include_str!("../assets/style.css");

/// Severities the filters accept, lowest first (`moderate` is accepted for `medium`).
const SEVERITY_CHOICES: [&str; 4] = ["low", "medium", "high", "critical"];
/// Severities the static build writes matrix pages for.
const STATIC_MATRIX_SEVERITIES: [&str; 2] = ["critical", "high"];
/// The longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;
/// Query parameters read at most (the rest are ignored).
const MAX_QUERY_PAIRS: usize = 64;

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
    fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: HTML,
            body: body.into_bytes(),
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

// ---------------------------------------------------------------------------------------------
// Escaping and URLs.

/// HTML-escape text for element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    Esc(s).to_string()
}

/// Escapes when displayed.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                // Control characters other than tab/newline are not allowed in HTML text.
                c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => "\u{FFFD}",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    // `.` and `..` as segments would be resolved away by clients.
    if out == "." || out == ".." {
        return out.replace('.', "%2E");
    }
    out
}

/// Percent-decode; `+` is a space when `plus` (query strings). Malformed escapes are kept as
/// they are. `None` when the result is not UTF-8.
pub fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A page of this site: `/releases/` → `/containerd/releases/` on a product's site under its
/// prefix ([`SiteData::base`]). Every link and path the pages make goes through this or
/// [`api_at`], so a product's pages never link outside its prefix.
fn at(site: &SiteData, path: &str) -> String {
    format!("{}{path}", site.base)
}

/// The root of this site's API: `/api/v1`, or `/api/v1/containerd` for a product's site.
fn api_root(site: &SiteData) -> String {
    format!("/api/v1{}", site.base)
}

/// An API path of this site: `/releases.json` → `/api/v1/containerd/releases.json`.
fn api_at(site: &SiteData, rest: &str) -> String {
    format!("{}{rest}", api_root(site))
}

fn release_href(site: &SiteData, name: &str) -> String {
    at(site, &format!("/releases/{}/", encode_segment(name)))
}

fn line_href(site: &SiteData, line: &str) -> String {
    at(site, &format!("/lines/{}/", encode_segment(line)))
}

fn advisory_href(site: &SiteData, id: &str) -> String {
    at(site, &format!("/advisories/{}/", encode_segment(id)))
}

fn is_http_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A link when `url` is http(s), else the text in `<code>`.
fn url_or_code(url: &str) -> String {
    if is_http_url(url) {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            Esc(url),
            Esc(url)
        )
    } else {
        format!("<code>{}</code>", Esc(url))
    }
}

/// Cut `s` to at most `n` characters.
fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Query strings and filters.

struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    fn parse(q: &str) -> Query {
        let pairs = q
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .take(MAX_QUERY_PAIRS)
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let k = percent_decode(k, true)
                    .unwrap_or_else(|| String::from_utf8_lossy(k.as_bytes()).into_owned());
                let v = percent_decode(v, true).unwrap_or_else(|| "\u{FFFD}".to_string());
                (k, v)
            })
            .collect();
        Query { pairs }
    }

    /// Every non-empty value of `key` (comma-separated values split).
    fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|x| x.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The last value of `key`, trimmed ("" when absent).
    fn last(&self, key: &str) -> String {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
}

/// Filters of the advisory list, the matrix and search, validated.
#[derive(Default)]
struct Filters {
    severity: Option<Severity>,
    lines: Vec<MinorLine>,
    statuses: Vec<StatusKind>,
    q: String,
    /// `page` and `per_page` of a JSON list: `None` = the whole list (what the static build
    /// writes, and what clients written before pagination get).
    page: Option<(usize, usize)>,
}

/// The most entries one page of a JSON list holds.
const MAX_PER_PAGE: usize = 500;

/// One page of `items` under `f.page` (all of them without), and the pagination facts for the
/// answer: `{page, per_page, total, pages, next}` (`next` is the page's URL, `null` on the last).
fn paginate<T>(items: Vec<T>, f: &Filters, url: &str) -> (Vec<T>, serde_json::Value) {
    let total = items.len();
    let Some((page, per_page)) = f.page else {
        return (items, serde_json::json!({ "total": total }));
    };
    let pages = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let items: Vec<T> = items.into_iter().skip(start).take(per_page).collect();
    let mut query = f.query_string();
    let next = (page < pages).then(|| {
        if !query.is_empty() {
            query.push('&');
        }
        format!("{url}?{query}page={}&per_page={per_page}", page + 1)
    });
    (
        items,
        serde_json::json!({
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": pages,
            "next": next,
        }),
    )
}

impl Filters {
    /// The query string reproducing these filters (for links), `""` when none.
    fn query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.severity {
            parts.push(format!("severity={s}"));
        }
        for l in &self.lines {
            parts.push(format!("line={l}"));
        }
        for s in &self.statuses {
            parts.push(format!("status={s}"));
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode_segment(&self.q)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

fn parse_severity(value: &str) -> Result<Option<Severity>, String> {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "" | "any" | "all" => Ok(None),
        "low" | "medium" | "moderate" | "high" | "critical" => Ok(Severity::parse(&v)),
        _ => Err(format!(
            "severity `{}` is not allowed: use one of any, {} (advisories at or above that severity are shown)",
            clip(value, 40),
            SEVERITY_CHOICES.join(", ")
        )),
    }
}

/// Read the filters `keys` allows from `query`; the errors say which values are allowed.
fn parse_filters(site: &SiteData, query: &str, keys: &[&str]) -> Result<Filters, Vec<String>> {
    let q = Query::parse(query);
    let mut f = Filters::default();
    let mut errors = Vec::new();
    if keys.contains(&"severity") {
        match parse_severity(&q.last("severity")) {
            Ok(s) => f.severity = s,
            Err(e) => errors.push(e),
        }
    }
    if keys.contains(&"line") {
        let known: Vec<&str> = site.lines.iter().map(|l| l.line.as_str()).collect();
        for v in q.all("line") {
            if v.eq_ignore_ascii_case("any") || v.eq_ignore_ascii_case("all") {
                continue;
            }
            match v.parse::<MinorLine>() {
                Ok(l) if known.contains(&l.to_string().as_str()) => {
                    if !f.lines.contains(&l) {
                        f.lines.push(l);
                    }
                }
                _ => errors.push(format!(
                    "line `{}` is not allowed: use one of any, {}",
                    clip(&v, 40),
                    if known.is_empty() {
                        "(no line is known)".to_string()
                    } else {
                        known.join(", ")
                    }
                )),
            }
        }
    }
    if keys.contains(&"status") {
        for v in q.all("status") {
            if v.eq_ignore_ascii_case("any") || v.eq_ignore_ascii_case("all") {
                continue;
            }
            match StatusKind::parse(&v.to_ascii_lowercase()) {
                Some(s) => {
                    if !f.statuses.contains(&s) {
                        f.statuses.push(s);
                    }
                }
                None => errors.push(format!(
                    "status `{}` is not allowed: use one of any, {}",
                    clip(&v, 40),
                    StatusKind::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
    if keys.contains(&"page") {
        let (page, per) = (q.last("page"), q.last("per_page"));
        if !page.is_empty() || !per.is_empty() {
            let page_n = if page.is_empty() {
                Ok(1)
            } else {
                page.parse::<usize>()
            };
            let per_n = if per.is_empty() {
                Ok(100)
            } else {
                per.parse::<usize>()
            };
            match (page_n, per_n) {
                (Ok(p), Ok(n)) if p >= 1 && (1..=MAX_PER_PAGE).contains(&n) => {
                    f.page = Some((p, n))
                }
                _ => errors.push(format!(
                    "page `{}` / per_page `{}` are not allowed: page is 1 or more, per_page 1 to {MAX_PER_PAGE}",
                    clip(&page, 20),
                    clip(&per, 20)
                )),
            }
        }
    }
    if keys.contains(&"q") {
        let text = q.last("q");
        if text.chars().count() > MAX_QUERY_CHARS {
            errors.push(format!(
                "q is too long: at most {MAX_QUERY_CHARS} characters are allowed"
            ));
        } else {
            f.q = text;
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

/// Whether every whitespace-separated term of `q` occurs in one of `fields` (case-insensitive).
fn text_matches(q: &str, fields: &[&str]) -> bool {
    let hay: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    q.split_whitespace()
        .map(str::to_lowercase)
        .all(|term| hay.iter().any(|h| h.contains(&term)))
}

/// What a search matches an advisory on (the live server and the static page's script use the
/// same terms).
fn advisory_terms(a: &AdvisoryView) -> Vec<String> {
    let mut fields: Vec<String> = vec![a.advisory.id.clone()];
    fields.extend(a.advisory.aliases.iter().cloned());
    fields.extend(a.advisory.packages.iter().cloned());
    if let Some(s) = &a.summary {
        fields.push(s.clone());
    }
    fields
}

fn release_terms(r: &ReleaseView) -> Vec<String> {
    let mut fields: Vec<String> = vec![r.name.clone(), r.base_tag.clone()];
    if let Some(l) = &r.line {
        fields.push(l.clone());
    }
    fields.extend(r.patches.iter().map(|p| p.name.clone()));
    fields
}

fn line_terms(l: &LineView) -> Vec<String> {
    let mut fields: Vec<String> = vec![
        l.line.clone(),
        format!("v{}", l.line),
        phase_name(&l.status),
    ];
    if let Some(n) = &l.newest {
        fields.push(n.clone());
    }
    if let Some(p) = &l.status.latest_patch {
        fields.push(p.clone());
    }
    fields
}

fn matches_terms(q: &str, terms: &[String]) -> bool {
    let fields: Vec<&str> = terms.iter().map(String::as_str).collect();
    text_matches(q, &fields)
}

fn advisory_matches(a: &AdvisoryView, q: &str) -> bool {
    q.is_empty() || matches_terms(q, &advisory_terms(a))
}

fn release_matches(r: &ReleaseView, q: &str) -> bool {
    matches_terms(q, &release_terms(r))
}

fn line_matches(l: &LineView, q: &str) -> bool {
    matches_terms(q, &line_terms(l))
}

/// The `data-terms` attribute of a search result: its terms, lowercased, one per line (what
/// `assets/search.js` filters on).
fn data_terms(terms: &[String]) -> String {
    let joined = terms
        .iter()
        .map(|t| t.to_lowercase().replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n");
    format!(" data-terms=\"{}\"", Esc(&joined))
}

/// An advisory by id first (any case), then by alias.
fn find_advisory<'a>(site: &'a SiteData, id: &str) -> Option<&'a AdvisoryView> {
    site.advisories
        .iter()
        .find(|a| a.advisory.id.eq_ignore_ascii_case(id))
        .or_else(|| {
            site.advisories.iter().find(|a| {
                a.advisory
                    .aliases
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(id))
            })
        })
}

// ---------------------------------------------------------------------------------------------
// The matrix, filtered.

struct MatrixView<'a> {
    /// Indexes into `site.matrix.releases`.
    columns: Vec<usize>,
    rows: Vec<&'a MatrixRow>,
}

fn release_line(name: &str) -> Option<MinorLine> {
    Version::parse(name).ok().map(|v| v.line())
}

fn filter_matrix<'a>(site: &'a SiteData, f: &Filters) -> MatrixView<'a> {
    let columns: Vec<usize> = site
        .matrix
        .releases
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            f.lines.is_empty() || release_line(r).is_some_and(|l| f.lines.contains(&l))
        })
        .map(|(i, _)| i)
        .collect();
    let rows = site
        .matrix
        .rows
        .iter()
        .filter(|row| f.severity.is_none_or(|min| row.advisory.severity >= min))
        .filter(|row| {
            let cells = columns.iter().filter_map(|&i| row.cells.get(i));
            if f.statuses.is_empty() {
                cells.clone().any(|c| c.status != StatusKind::NotAffected)
            } else {
                cells.clone().any(|c| f.statuses.contains(&c.status))
            }
        })
        .collect();
    MatrixView { columns, rows }
}

#[derive(Serialize)]
struct MatrixOut<'a> {
    filter: serde_json::Value,
    pagination: serde_json::Value,
    releases: Vec<&'a str>,
    rows: Vec<MatrixRowOut<'a>>,
}

#[derive(Serialize)]
struct MatrixRowOut<'a> {
    advisory: &'a AdvisorySummary,
    cells: Vec<&'a Status>,
}

// ---------------------------------------------------------------------------------------------
// Routing.

enum Route<'a> {
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

fn route<'a>(segments: &[&'a str], trailing_slash: bool) -> Route<'a> {
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

/// Render `path` with `query` (without the `?`), with GET semantics.
pub fn render(site: &SiteData, path: &str, query: &str) -> Response {
    // A query or fragment left in the path goes with the query.
    let (path, query) = match path.split_once('?') {
        Some((p, q)) if query.is_empty() => (p, q),
        Some((p, _)) => (p, query),
        None => (path, query),
    };
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
        return not_found(site, &decoded);
    }
    let trailing_slash = raw.ends_with('/');
    let raw = raw.strip_suffix('/').unwrap_or(raw);
    let mut owned: Vec<String> = Vec::new();
    if !raw.is_empty() {
        for seg in raw.split('/') {
            match percent_decode(seg, false) {
                Some(s) if !s.is_empty() => owned.push(s),
                _ => return not_found(site, &decoded),
            }
        }
    }
    let segments: Vec<&str> = owned.iter().map(String::as_str).collect();
    match route(&segments, trailing_slash) {
        Route::Home => Response::html(200, home(site)),
        Route::Lines => Response::html(200, lines_page(site)),
        Route::Line(l) => match site.line(l) {
            Some(line) => Response::html(200, line_page(site, line)),
            None => not_found(site, &decoded),
        },
        Route::Releases => Response::html(200, releases_page(site)),
        Route::Release(r) => match site.release_or_stage(r) {
            Some(rel) => Response::html(200, release_page(site, rel)),
            None => not_found(site, &decoded),
        },
        Route::Advisories => match parse_filters(site, query, &["severity", "q"]) {
            Ok(f) => Response::html(200, advisories_page(site, &f)),
            Err(e) => bad_request(site, "/advisories/", &e),
        },
        Route::Advisory(id) => match find_advisory(site, id) {
            Some(a) => Response::html(200, advisory_page(site, a)),
            None => not_found(site, &decoded),
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
                    _ => return not_found(site, &decoded),
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
        Route::NotFoundPage => not_found_page(site),
        Route::Api(rest) => api(site, &rest, trailing_slash, query),
        Route::Unknown => not_found(site, &decoded),
    }
}

/// Every page and API path the static build writes, sorted.
pub fn all_paths(site: &SiteData) -> Vec<String> {
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
fn status_versions(site: &SiteData) -> Vec<String> {
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

/// Every alias of every advisory (`GHSA-…`, `GO-…`) with its canonical id: the static build
/// writes a page at `/advisories/<alias>/` that goes to the advisory (the live server renders
/// the advisory at any alias).
pub fn advisory_aliases(site: &SiteData) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in &site.advisories {
        for alias in &a.advisory.aliases {
            if !alias.eq_ignore_ascii_case(&a.advisory.id) {
                out.push((
                    advisory_href(site, alias),
                    advisory_href(site, &a.advisory.id),
                ));
            }
        }
    }
    out.sort();
    out.dedup_by(|x, y| x.0 == y.0);
    out
}

// ---------------------------------------------------------------------------------------------
// Layout.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Home,
    Lines,
    Releases,
    Advisories,
    Matrix,
    Lifecycle,
    None,
}

const NAV: [(Nav, &str, &str); 6] = [
    (Nav::Home, "/", "Home"),
    (Nav::Lines, "/lines/", "Lines"),
    (Nav::Releases, "/releases/", "Releases"),
    (Nav::Advisories, "/advisories/", "Advisories"),
    (Nav::Matrix, "/matrix/", "Matrix"),
    (Nav::Lifecycle, "/lifecycle/", "Lifecycle"),
];

struct Page<'a> {
    /// `<title>` (without the site name) and, unless `h1` is set, the heading.
    title: String,
    /// The `<h1>` when it differs from the title (already HTML).
    h1: Option<String>,
    /// Canonical path.
    canonical: Option<String>,
    nav: Nav,
    /// Problems reading workspace files shown above the content.
    errors: Vec<&'a SiteError>,
    /// The content (HTML).
    body: String,
    /// The search box text.
    q: &'a str,
}

fn product_name(site: &SiteData) -> String {
    // Another product's site is named by its product, whatever its calendar calls itself.
    if site.product_kind != klts_core::Product::Kubernetes {
        return site.product_kind.display_name().into();
    }
    let p = site.product.trim();
    if p.is_empty() || p.eq_ignore_ascii_case("kubernetes") {
        return "Kubernetes".into();
    }
    let mut c = p.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn layout(site: &SiteData, p: Page<'_>) -> String {
    let base = site.base.as_str();
    let api = api_root(site);
    let mut o = String::with_capacity(p.body.len() + 4096);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(o, "<title>{} · KLTS</title>", Esc(&p.title));
    let _ = writeln!(
        o,
        "<meta name=\"description\" content=\"{}\">",
        Esc(&format!(
            "KLTS, {} Long Term Support: {}",
            product_name(site),
            p.title
        ))
    );
    let _ = writeln!(
        o,
        "<link rel=\"stylesheet\" href=\"{base}/assets/style.css\">"
    );
    if let Some(c) = &p.canonical {
        let _ = writeln!(o, "<link rel=\"canonical\" href=\"{}\">", Esc(c));
    }
    o.push_str("</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    let _ = write!(o, "<header class=\"site-header\">\n<div class=\"bar\">\n<a class=\"brand\" href=\"{base}/\">KLTS</a>\n");
    o.push_str("<nav aria-label=\"Main\">\n<ul>\n");
    for (nav, href, label) in NAV {
        let current = if nav == p.nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = writeln!(o, "<li><a href=\"{base}{href}\"{current}>{label}</a></li>");
    }
    o.push_str("</ul>\n</nav>\n");
    let _ = writeln!(
        o,
        "<form class=\"search\" action=\"{base}/search/\" method=\"get\" role=\"search\">\n<label for=\"site-q\" class=\"visually-hidden\">Search</label>\n<input type=\"search\" id=\"site-q\" name=\"q\" value=\"{}\" placeholder=\"CVE, release, line…\">\n<button type=\"submit\">Search</button>\n</form>",
        Esc(p.q)
    );
    o.push_str("</div>\n</header>\n<main id=\"main\">\n");
    match &p.h1 {
        Some(h) => {
            let _ = writeln!(o, "<h1>{h}</h1>");
        }
        None => {
            let _ = writeln!(o, "<h1>{}</h1>", Esc(&p.title));
        }
    }
    o.push_str(&notices(&p.errors));
    o.push_str(&p.body);
    o.push_str("</main>\n<footer class=\"site-footer\">\n<p>");
    let _ = write!(
        o,
        "Generated on {} · advisory data as of {} · <a href=\"{api}/index.json\">JSON API</a> · <a href=\"{base}/search/\">Index</a>",
        Esc(&site.date.to_string()),
        Esc(if site.advisories_as_of.is_empty() { "unknown" } else { &site.advisories_as_of })
    );
    let _ = write!(o, "</p>\n<p>KLTS: {} Long Term Support. This site uses no JavaScript, cookies or external resources.</p>\n</footer>\n</body>\n</html>\n", Esc(&product_name(site)));
    o
}

/// A page whose heading is its title and whose search box is empty: most pages.
fn page(
    site: &SiteData,
    title: String,
    canonical: Option<String>,
    nav: Nav,
    errors: Vec<&SiteError>,
    body: String,
) -> String {
    layout(
        site,
        Page {
            title,
            h1: None,
            canonical,
            nav,
            errors,
            body,
            q: "",
        },
    )
}

fn notices(errors: &[&SiteError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    o.push_str("<aside class=\"notice\" aria-label=\"Problems\">\n<h2>Problems reading the workspace</h2>\n");
    o.push_str(
        "<p>Some files could not be read; what is shown was built from the rest.</p>\n<ul>\n",
    );
    for e in errors {
        let _ = writeln!(
            o,
            "<li><code>{}</code>: {}</li>",
            Esc(&e.file),
            Esc(&e.message)
        );
    }
    o.push_str("</ul>\n</aside>\n");
    o
}

fn errors_of<'a>(site: &'a SiteData, scopes: &[&str]) -> Vec<&'a SiteError> {
    site.errors
        .iter()
        .filter(|e| scopes.contains(&e.scope.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Small pieces.

fn phase_name(st: &LineStatus) -> String {
    st.phase.to_string().to_ascii_lowercase()
}

fn is_supported(st: &LineStatus) -> bool {
    matches!(phase_name(st).as_str(), "community" | "lts")
}

fn phase_badge(st: &LineStatus) -> String {
    let name = phase_name(st);
    let label = match name.as_str() {
        "community" => "community",
        "lts" => "LTS",
        "eol" => "end of life",
        "upcoming" => "upcoming",
        other => other,
    };
    let class: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!(
        "<span class=\"badge phase-{}\">{}</span>",
        class,
        Esc(label)
    )
}

fn severity_badge(s: Severity) -> String {
    format!("<span class=\"badge sev-{s}\">{s}</span>")
}

fn status_badge(s: StatusKind) -> String {
    format!("<span class=\"st st-{s}\">{s}</span>")
}

fn status_short(s: StatusKind) -> &'static str {
    match s {
        StatusKind::Affected => "open",
        StatusKind::Unknown => "?",
        StatusKind::Unassessed => "n/a?",
        StatusKind::Ignored => "ign",
        StatusKind::FixedByPatch => "patch",
        StatusKind::FixedByDependency => "dep",
        StatusKind::FixedUpstream => "up",
        StatusKind::NotAffected => "–",
    }
}

fn status_meaning(s: StatusKind) -> &'static str {
    match s {
        StatusKind::Affected => "open: the release is exposed",
        StatusKind::Unknown => "unknown: facts needed are missing",
        StatusKind::Unassessed => {
            "unassessed: upstream did not assess this line (out of support when published); other sources' claims are shown as evidence"
        }
        StatusKind::Ignored => "ignored by triage (VEX justification)",
        StatusKind::FixedByPatch => "fixed by a patch of the release chain",
        StatusKind::FixedByDependency => "fixed by a dependency or Go version in the release tree",
        StatusKind::FixedUpstream => "fixed upstream: the base tag carries the fix",
        StatusKind::NotAffected => "not affected",
    }
}

fn score(s: Option<f64>) -> String {
    match s {
        Some(x) if x.is_finite() => format!("{x:.1}"),
        _ => "—".into(),
    }
}

/// An end of support: a day, "until further notice" (the program's `support:` decision for a
/// supported line), or "—".
fn end_date(
    st: &klts_core::lifecycle::LineStatus,
    d: &Option<klts_core::lifecycle::Date>,
) -> String {
    match d {
        None if st.lts_basis == Some("policy") && st.phase == klts_core::lifecycle::Phase::Lts => {
            "until further notice".into()
        }
        _ => opt_date(d),
    }
}

fn opt_date<D: fmt::Display>(d: &Option<D>) -> String {
    match d {
        Some(d) => format!("<span class=\"date\">{}</span>", Esc(&d.to_string())),
        None => "—".into(),
    }
}

/// The publication day of an advisory; placeholders (`0001-01-01…`) are unknown.
fn published(p: &Option<String>) -> String {
    match p
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with("0001-") && !p.starts_with("0000-"))
    {
        Some(p) => format!(
            "<span class=\"date\">{}</span>",
            Esc(p
                .get(..10)
                .filter(|d| d.len() == 10 && p.len() > 10 && p.as_bytes()[10] == b'T')
                .unwrap_or(p))
        ),
        None => "—".into(),
    }
}

fn days_left(d: Option<i64>) -> String {
    match d {
        Some(n) if n >= 0 => n.to_string(),
        Some(_) => "ended".into(),
        None => "—".into(),
    }
}

/// Whether a release materialized, as the public reads it: a failure's detail (with the
/// build machine's paths) is the operator's, so the page only says it is not verified yet.
fn verified(materialized: bool) -> &'static str {
    if materialized {
        "yes"
    } else {
        "not yet verified"
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Opens a data table. Tables of rows (every one but the matrix) are `stack` tables: on a narrow
/// screen each row becomes a card of "header: value" lines (style.css), so every column, such
/// as the home page's "Support ends", is visible on a phone without scrolling sideways.
/// [`table_end`] gives each cell the `data-label` of its column for that.
fn table_start(o: &mut String, caption: Option<&str>, headers: &[&str]) {
    o.push_str("<div class=\"table-wrap\">\n<table class=\"stack\">\n");
    if let Some(c) = caption {
        let _ = writeln!(o, "<caption>{}</caption>", Esc(c));
    }
    o.push_str("<thead><tr>");
    for h in headers {
        let _ = write!(o, "<th scope=\"col\">{}</th>", Esc(h));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
}

/// Closes the table opened by the last [`table_start`], after labelling its body cells.
fn table_end(o: &mut String) {
    label_cells(o);
    o.push_str("</tbody>\n</table>\n</div>\n");
}

/// Gives every body cell of the last table in `o` a `data-label` attribute with its column's
/// header, for the stacked layout on narrow screens. Done once here rather than in each row's
/// markup, so row code stays about content. The rows are this module's own markup: cells open
/// with `<td` or `<th` followed by a space or `>`, and cell text is always escaped, so a literal
/// `<td` can only be a tag. Headers are read back from the `<thead>` that [`table_start`] wrote
/// (already escaped, so they are safe in an attribute).
fn label_cells(o: &mut String) {
    const OPEN: &str = "<div class=\"table-wrap\">\n<table class=\"stack\">\n";
    const BODY: &str = "</tr></thead>\n<tbody>\n";
    let Some(start) = o.rfind(OPEN) else { return };
    let Some(body) = o[start..].find(BODY).map(|i| start + i + BODY.len()) else {
        return;
    };
    let headers: Vec<String> = o[start..body]
        .split("<th scope=\"col\">")
        .skip(1)
        .filter_map(|h| h.split("</th>").next())
        .map(str::to_string)
        .collect();
    let rows = o.split_off(body);
    let mut column = 0;
    let mut rest = rows.as_str();
    while let Some(lt) = rest.find('<') {
        o.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let tag = rest.get(..3).unwrap_or(rest);
        let next = rest.as_bytes().get(3).copied();
        if rest.starts_with("<tr") && matches!(next, Some(b' ' | b'>')) {
            column = 0;
        } else if (tag == "<td" || tag == "<th") && matches!(next, Some(b' ' | b'>')) {
            o.push_str(tag);
            if let Some(h) = headers.get(column) {
                let _ = write!(o, " data-label=\"{h}\"");
            }
            column += 1;
            rest = &rest[3..];
            continue;
        }
        o.push('<');
        rest = &rest[1..];
    }
    o.push_str(rest);
}

/// A link to a release page when it is a release (or a stage) of the site, else the name as text.
fn release_link(site: &SiteData, name: &str) -> String {
    if site.release_or_stage(name).is_some() {
        format!(
            "<a href=\"{}\">{}</a>",
            Esc(&release_href(site, name)),
            Esc(name)
        )
    } else {
        format!("<code>{}</code>", Esc(name))
    }
}

fn line_link(site: &SiteData, line: &str) -> String {
    if site.line(line).is_some() {
        format!(
            "<a href=\"{}\">{}</a>",
            Esc(&line_href(site, line)),
            Esc(line)
        )
    } else {
        Esc(line).to_string()
    }
}

fn advisory_link(site: &SiteData, id: &str) -> String {
    match find_advisory(site, id) {
        Some(a) => format!(
            "<a href=\"{}\">{}</a>",
            Esc(&advisory_href(site, &a.advisory.id)),
            Esc(id)
        ),
        None => format!("<code>{}</code>", Esc(id)),
    }
}

fn link_list(items: &[String]) -> String {
    if items.is_empty() {
        return "<p class=\"empty\">None.</p>\n".into();
    }
    let mut o = String::from("<ul class=\"inline-list\">\n");
    for i in items {
        let _ = writeln!(o, "<li>{i}</li>");
    }
    o.push_str("</ul>\n");
    o
}

fn evidence_list(ev: &[String]) -> String {
    if ev.is_empty() {
        return "—".into();
    }
    let mut o = String::from("<ul class=\"evidence\">");
    for e in ev {
        let _ = write!(o, "<li>{}</li>", Esc(e));
    }
    o.push_str("</ul>");
    o
}

fn json_link(path: &str) -> String {
    format!(
        "<p class=\"json\"><a href=\"{}\">This page as JSON</a></p>\n",
        Esc(path)
    )
}

// ---------------------------------------------------------------------------------------------
// Pages.

fn home(site: &SiteData) -> String {
    let base = site.base.as_str();
    let api = api_root(site);
    let product = product_name(site);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<p class=\"lead\">The {p} Long Term Support program (KLTS) keeps selected {p} minor lines maintained after their community end of life: security fixes are backported as patches on top of the last upstream release of a line, and every LTS release is published as packages and images, so clusters can stay on a supported version while they plan their upgrade.</p>",
        p = Esc(&product)
    );
    let _ = writeln!(o, "<p>This portal shows which lines are supported and until when, every LTS release with its patches and install instructions, and which advisories each release fixes or is still exposed to. Everything is also available as a <a href=\"{api}/index.json\">JSON API</a>.</p>");
    if site.products.len() > 1 {
        o.push_str("<h2 id=\"products\">Products</h2>\n<ul>\n");
        for p in &site.products {
            let current = if at(site, "/") == p.href {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "<li><a href=\"{}\"{current}>{}</a></li>",
                Esc(&p.href),
                Esc(&p.display_name)
            );
        }
        o.push_str("</ul>\n");
    }
    if !site.workspace {
        o.push_str("<p class=\"note\">This portal was built without a workspace: it shows the lifecycle calendar and the advisory database, but no LTS release.</p>\n");
    }
    o.push_str("<h2 id=\"supported\">Supported lines</h2>\n");
    let supported: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| is_supported(&l.status))
        .collect();
    if supported.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"empty\">No line is supported on {}.</p>",
            Esc(&site.date.to_string())
        );
    } else {
        table_start(
            &mut o,
            None,
            &[
                "Line",
                "Phase",
                "Newest release",
                "Support ends",
                "Days left",
                "Open advisories",
            ],
        );
        for l in &supported {
            let newest = l
                .newest
                .as_deref()
                .map(|n| release_link(site, n))
                .unwrap_or_else(|| "—".into());
            let lts_newest = l.newest.as_deref().and_then(|n| site.release(n));
            let open = match lts_newest {
                Some(r) => format!(
                    "<a href=\"{}#open\">{}</a>",
                    Esc(&release_href(site, &r.name)),
                    l.open_advisories.len()
                ),
                None => "—".into(),
            };
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                Esc(&line_href(site, &l.line)),
                Esc(&l.line),
                phase_badge(&l.status),
                newest,
                end_date(&l.status, &l.status.support_end),
                days_left(l.status.days_left),
                open
            );
        }
        table_end(&mut o);
        let _ = writeln!(o, "<p class=\"hint\">Open advisories are those still affecting the newest LTS release of the line. Lines in the community phase are maintained upstream; <a href=\"{base}/lines/\">all lines</a> include those past their end of life.</p>");
    }
    o.push_str("<h2 id=\"glance\">At a glance</h2>\n<ul>\n");
    let _ = writeln!(o, "<li><a href=\"{base}/lines/\">{} lines</a>, {} supported on {}; see the <a href=\"{base}/lifecycle/\">lifecycle</a>.</li>", site.lines.len(), supported.len(), Esc(&site.date.to_string()));
    let _ = writeln!(
        o,
        "<li><a href=\"{base}/releases/\">{} LTS releases</a>.</li>",
        site.releases.len()
    );
    let count = |s: Severity| {
        site.advisories
            .iter()
            .filter(|a| a.advisory.severity == s)
            .count()
    };
    let critical = if site.matrix.releases.is_empty() {
        format!("{} critical", count(Severity::Critical))
    } else {
        format!(
            "<a href=\"{base}/matrix/severity/critical/\">{} critical</a>",
            count(Severity::Critical)
        )
    };
    let _ = writeln!(
        o,
        "<li><a href=\"{base}/advisories/\">{} advisories</a>: {critical}, {} high; the <a href=\"{base}/matrix/\">matrix</a> shows their status in every release.</li>",
        site.advisories.len(),
        count(Severity::High)
    );
    o.push_str("</ul>\n");
    page(
        site,
        format!("{product} Long Term Support"),
        Some(at(site, "/")),
        Nav::Home,
        site.errors.iter().collect(),
        o,
    )
}

fn lines_table(site: &SiteData, o: &mut String, lines: &[&LineView]) {
    table_start(
        o,
        None,
        &[
            "Line",
            "Phase",
            "Released",
            "Community end of life",
            "LTS ends",
            "Support ends",
            "Days left",
            "In program",
            "Newest",
            "LTS releases",
        ],
    );
    for l in lines {
        let st = &l.status;
        let newest = l
            .newest
            .as_deref()
            .map(|n| release_link(site, n))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            Esc(&line_href(site, &l.line)),
            Esc(&l.line),
            phase_badge(st),
            opt_date(&Some(st.released)),
            opt_date(&st.community_eol),
            end_date(st, &st.lts_end),
            end_date(st, &st.support_end),
            days_left(st.days_left),
            yes_no(st.in_program),
            newest,
            l.releases.len()
        );
    }
    table_end(o);
}

fn lines_page(site: &SiteData) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<p>Every {} minor line, its lifecycle dates on {} and its newest release. Lines in the program get LTS releases after their community end of life.</p>", Esc(&product_name(site)), Esc(&site.date.to_string()));
    if site.lines.is_empty() {
        o.push_str("<p class=\"empty\">No line is known.</p>\n");
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, &mut o, &all);
    }
    o.push_str(&json_link(&api_at(site, "/lines.json")));
    page(
        site,
        "Lines".into(),
        Some(at(site, "/lines/")),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}

fn releases_table(site: &SiteData, o: &mut String, releases: &[&ReleaseView]) {
    table_start(
        o,
        None,
        &[
            "Release",
            "Line",
            "Base",
            "Must",
            "Materialized",
            "Fixed",
            "Open",
        ],
    );
    for r in releases {
        let line = r
            .line
            .as_deref()
            .map(|l| line_link(site, l))
            .unwrap_or_else(|| "—".into());
        let open = if r.open.is_empty() {
            "0".to_string()
        } else {
            format!(
                "<a class=\"open-count\" href=\"{}#open\">{}</a>",
                Esc(&release_href(site, &r.name)),
                r.open.len()
            )
        };
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Esc(&release_href(site, &r.name)),
            Esc(&r.name),
            line,
            Esc(&r.base_tag),
            yes_no(r.must),
            verified(r.materialized),
            r.fixed.len(),
            open
        );
    }
    table_end(o);
}

fn line_page(site: &SiteData, l: &LineView) -> String {
    let base = site.base.as_str();
    let st = &l.status;
    let product = product_name(site);
    let mut o = String::new();
    o.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(o, "<dt>Phase</dt><dd>{}</dd>", phase_badge(st));
    let _ = writeln!(
        o,
        "<dt>Released</dt><dd>{}</dd>",
        Esc(&st.released.to_string())
    );
    let _ = writeln!(
        o,
        "<dt>Community end of life</dt><dd>{}</dd>",
        opt_date(&st.community_eol)
    );
    let _ = writeln!(
        o,
        "<dt>LTS ends</dt><dd>{}{}</dd>",
        end_date(st, &st.lts_end),
        match st.lts_basis {
            Some("policy") => " (the program's decision)",
            _ => "",
        }
    );
    let _ = writeln!(
        o,
        "<dt>Support ends</dt><dd>{}</dd>",
        end_date(st, &st.support_end)
    );
    if let Some(a) = &st.activity {
        let _ = writeln!(
            o,
            "<dt>Newest LTS release shipped</dt><dd>{} on <span class=\"date\">{}</span></dd>",
            Esc(&a.release),
            Esc(&a.date.to_string())
        );
    }
    let _ = writeln!(
        o,
        "<dt>Days of support left</dt><dd>{}</dd>",
        days_left(st.days_left)
    );
    let _ = writeln!(
        o,
        "<dt>In the LTS program</dt><dd>{}</dd>",
        yes_no(st.in_program)
    );
    let upstream = st
        .latest_patch
        .as_deref()
        .map(|p| format!("<code>v{}</code>", Esc(p.trim_start_matches('v'))))
        .unwrap_or_else(|| "—".into());
    let _ = writeln!(o, "<dt>Upstream latest patch</dt><dd>{upstream}</dd>");
    let newest = l
        .newest
        .as_deref()
        .map(|n| release_link(site, n))
        .unwrap_or_else(|| "—".into());
    let _ = writeln!(o, "<dt>Newest release</dt><dd>{newest}</dd>");
    o.push_str("</dl>\n");
    // The policy and what the program did disagree: say it where users look.
    if let Some(d) = &st.disagreement {
        let _ = writeln!(
            o,
            "<p class=\"notice\">The support dates above and the program's activity disagree: {}.</p>",
            Esc(d)
        );
    }
    o.push_str("<h2 id=\"releases\">LTS releases</h2>\n");
    let releases: Vec<&ReleaseView> = l.releases.iter().filter_map(|n| site.release(n)).collect();
    if releases.is_empty() {
        o.push_str("<p class=\"empty\">No LTS release of this line.</p>\n");
    } else {
        releases_table(site, &mut o, &releases);
    }
    if let Some(r) = l.newest.as_deref().and_then(|n| site.release(n)) {
        let _ = writeln!(
            o,
            "<h2 id=\"open\">Open advisories of {}</h2>",
            Esc(&r.name)
        );
        let links: Vec<String> = l
            .open_advisories
            .iter()
            .map(|id| advisory_link(site, id))
            .collect();
        o.push_str(&link_list(&links));
    }
    let _ = writeln!(
        o,
        "<p>See the <a href=\"{base}/lifecycle/\">lifecycle</a> of every line, or the <a href=\"{base}/matrix/?line={}\">matrix of this line</a>.</p>",
        Esc(&encode_segment(&l.line))
    );
    o.push_str(&json_link(&api_at(
        site,
        &format!("/lines/{}.json", encode_segment(&l.line)),
    )));
    page(
        site,
        format!("{product} {}", l.line),
        Some(line_href(site, &l.line)),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}

fn releases_page(site: &SiteData) -> String {
    let mut o = String::new();
    o.push_str("<p>Every published LTS release of the workspace: a base upstream tag plus the patches of its chain (stages such as <code>-ci</code> bases show inside the releases built on them). <em>Must</em> releases are the ones the program publishes and gates on; <em>materialized</em> ones were built from their patches.</p>\n");
    if site.releases.is_empty() {
        if site.workspace {
            o.push_str("<p class=\"empty\">The workspace has no release that could be read.</p>\n");
        } else {
            o.push_str(
                "<p class=\"empty\">No release: this portal was built without a workspace.</p>\n",
            );
        }
    } else {
        let all: Vec<&ReleaseView> = site.releases.iter().collect();
        releases_table(site, &mut o, &all);
    }
    o.push_str(&json_link(&api_at(site, "/releases.json")));
    page(
        site,
        "Releases".into(),
        Some(at(site, "/releases/")),
        Nav::Releases,
        errors_of(site, &["releases"]),
        o,
    )
}

fn advisory_table(site: &SiteData, o: &mut String, refs: &[AdvisoryRef], with_status: bool) {
    let headers: &[&str] = if with_status {
        &["Advisory", "Severity", "Score", "Status", "Evidence"]
    } else {
        &["Advisory", "Severity", "Score", "Evidence"]
    };
    table_start(o, None, headers);
    for a in refs {
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td>",
            advisory_link(site, &a.id),
            severity_badge(a.severity),
            score(a.score)
        );
        if with_status {
            let _ = write!(o, "<td>{}</td>", status_badge(a.status));
        }
        let _ = writeln!(o, "<td>{}</td></tr>", evidence_list(&a.evidence));
    }
    table_end(o);
}

fn release_page(site: &SiteData, r: &ReleaseView) -> String {
    let api = api_root(site);
    let mut o = String::new();
    // A stage is not something to install: say what it is a stage of, and send users there.
    let stage = site.release(&r.name).is_none();
    if stage {
        let children: Vec<String> = r.stage_of.iter().map(|c| release_link(site, c)).collect();
        let _ = writeln!(
            o,
            "<p class=\"note\">{} is a stage, not a published release: its patches are part of {}. Install one of those.</p>",
            Esc(&r.name),
            if children.is_empty() { "no published release".into() } else { children.join(", ") }
        );
    }

    // What a user needs first: is it supported and until when, and how to install it.
    if !stage {
        if let Some(st) = r
            .line
            .as_deref()
            .and_then(|l| site.line(l))
            .map(|l| &l.status)
        {
            use klts_core::lifecycle::Phase;
            let until = end_date(st, &st.support_end);
            let left = st
                .days_left
                .map(|d| format!(" ({d} days left)"))
                .unwrap_or_default();
            let verdict = match st.phase {
                Phase::Community => format!(
                    "<strong>Supported</strong> by the upstream community until {until}{left}."
                ),
                Phase::Lts => {
                    format!("<strong>Supported</strong> by the LTS program until {until}{left}.")
                }
                Phase::Eol => format!(
                    "<strong>Not supported</strong> since {until}: upgrade to a supported line."
                ),
                Phase::Upcoming => "Not released upstream yet.".to_string(),
            };
            let _ = writeln!(
                o,
                "<p class=\"lead support\">{verdict} {}</p>",
                phase_badge(st)
            );
        }
        let _ = writeln!(
            o,
            "<p>{} open advisories, {} fixed, {} ignored by triage. <a href=\"#open\">Details below</a>.</p>",
            r.open.len(),
            r.fixed.len(),
            r.ignored.len()
        );
        if r.install.apt.is_empty() && r.install.yum.is_empty() {
            o.push_str("<p class=\"empty\">No packages are defined for this product.</p>\n");
        } else {
            let _ = writeln!(o, "<h2 id=\"install\">Install {}</h2>", Esc(&r.name));
            let _ = writeln!(
                o,
                "<p>Packages of this exact release have the version <code>{}</code>.</p>",
                Esc(&r.install.package_version)
            );
        }
        for (title, lines) in [
            ("Debian and Ubuntu (apt)", &r.install.apt),
            ("RHEL, CentOS and Fedora (yum, dnf)", &r.install.yum),
            ("Control-plane images (kubeadm)", &r.install.kubeadm),
        ] {
            if lines.is_empty() {
                continue;
            }
            let _ = writeln!(
                o,
                "<h3>{}</h3>\n<pre><code>{}</code></pre>",
                Esc(title),
                Esc(&lines.join("\n"))
            );
        }
    }

    // Advisories, most severe first, in one group per severity.
    let grouped = |o: &mut String, refs: &[AdvisoryRef], with_status: bool| {
        let mut severities: Vec<Severity> = refs.iter().map(|a| a.severity).collect();
        severities.sort();
        severities.dedup();
        for sev in severities.into_iter().rev() {
            let group: Vec<AdvisoryRef> =
                refs.iter().filter(|a| a.severity == sev).cloned().collect();
            let _ = writeln!(
                o,
                "<h3>{} ({})</h3>",
                Esc(&capitalized(&sev.to_string())),
                group.len()
            );
            advisory_table(site, o, &group, with_status);
        }
    };
    o.push_str("<h2 id=\"open\">Advisories still open</h2>\n");
    if r.open.is_empty() {
        o.push_str("<p class=\"empty\">None known.</p>\n");
    } else {
        grouped(&mut o, &r.open, false);
    }
    o.push_str("<h2 id=\"fixed\">Advisories fixed</h2>\n<p class=\"hint\">Advisories that affected the upstream line and are fixed in this release by a patch or by a dependency update.</p>\n");
    if r.fixed.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        grouped(&mut o, &r.fixed, true);
    }
    o.push_str("<h2 id=\"ignored\">Advisories ignored by triage</h2>\n");
    if r.ignored.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        advisory_table(site, &mut o, &r.ignored, false);
    }

    // Changes since the previous published release of the line.
    match &r.previous {
        _ if stage => {}
        Some(prev) => {
            let _ = writeln!(o, "<h2 id=\"changes\">Changes since {}</h2>", release_link(site, prev));
            if r.added_patches.is_empty() && r.removed_patches.is_empty() {
                o.push_str("<p class=\"empty\">Same patches.</p>\n");
            } else {
                if !r.added_patches.is_empty() {
                    o.push_str("<p>Added patches:</p>\n");
                    let items: Vec<String> = r.added_patches.iter().map(|p| format!("<code>{}</code>", Esc(p))).collect();
                    o.push_str(&link_list(&items));
                }
                if !r.removed_patches.is_empty() {
                    o.push_str("<p>Removed patches:</p>\n");
                    let items: Vec<String> = r.removed_patches.iter().map(|p| format!("<code>{}</code>", Esc(p))).collect();
                    o.push_str(&link_list(&items));
                }
            }
        }
        None => o.push_str("<h2 id=\"changes\">Changes</h2>\n<p>The first LTS release of its line in this workspace.</p>\n"),
    }

    // The details a maintainer reads: how the release is made.
    o.push_str("<h2 id=\"details\">Details</h2>\n<dl class=\"facts\">\n");
    let line = r
        .line
        .as_deref()
        .map(|l| line_link(site, l))
        .unwrap_or_else(|| "—".into());
    let _ = writeln!(o, "<dt>Line</dt><dd>{line}</dd>");
    let _ = writeln!(
        o,
        "<dt>Base tag</dt><dd><code>{}</code></dd>",
        Esc(&r.base_tag)
    );
    let chain: Vec<String> = r
        .chain
        .iter()
        .map(|c| {
            if c == &r.name {
                format!("<strong>{}</strong>", Esc(c))
            } else {
                release_link(site, c)
            }
        })
        .collect();
    let _ = writeln!(
        o,
        "<dt>Chain</dt><dd>{}</dd>",
        if chain.is_empty() {
            "—".into()
        } else {
            chain.join(" → ")
        }
    );
    let _ = writeln!(o, "<dt>Must</dt><dd>{}</dd>", yes_no(r.must));
    let _ = writeln!(
        o,
        "<dt>Materialized</dt><dd>{}</dd>",
        verified(r.materialized)
    );
    if let Some(c) = &r.commit {
        let _ = writeln!(
            o,
            "<dt>Commit</dt><dd><code class=\"hash\">{}</code></dd>",
            Esc(c)
        );
    }
    if !stage {
        let _ = writeln!(
            o,
            "<dt>Package version</dt><dd><code>{}</code></dd>",
            Esc(&r.install.package_version)
        );
    }
    let _ = writeln!(
        o,
        "<dt>Advisories</dt><dd><a href=\"#open\">{} open</a>, <a href=\"#fixed\">{} fixed</a>, <a href=\"#ignored\">{} ignored</a></dd>",
        r.open.len(),
        r.fixed.len(),
        r.ignored.len()
    );
    o.push_str("</dl>\n");

    o.push_str("<h2 id=\"patches\">Patches</h2>\n");
    if r.patches.is_empty() {
        o.push_str("<p class=\"empty\">No patch: the release is its base tag.</p>\n");
    } else {
        table_start(&mut o, None, &["#", "Patch", "Carried by", "Sources"]);
        for (i, p) in r.patches.iter().enumerate() {
            let sources: Vec<String> = p.sources.iter().map(|s| url_or_code(s)).collect();
            let _ = writeln!(
                o,
                "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td></tr>",
                i + 1,
                Esc(&p.name),
                release_link(site, &p.release),
                if sources.is_empty() { "—".into() } else { sources.join("<br>") }
            );
        }
        table_end(&mut o);
    }

    let _ = writeln!(
        o,
        "<p class=\"json\"><a href=\"{api}/releases/{seg}.json\">This page as JSON</a> · <a href=\"{api}/status/{seg}.json\">exposure of {name} as JSON</a></p>",
        seg = Esc(&encode_segment(&r.name)),
        name = Esc(&r.name)
    );
    page(
        site,
        format!("{} {}", if stage { "Stage" } else { "Release" }, r.name),
        Some(release_href(site, &r.name)),
        Nav::Releases,
        errors_of(site, &["releases"]),
        o,
    )
}

/// `high` → `High`.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn severity_select(o: &mut String, id: &str, current: Option<Severity>) {
    let _ = write!(
        o,
        "<label for=\"{id}\">Severity at least</label>\n<select id=\"{id}\" name=\"severity\">"
    );
    let _ = write!(
        o,
        "<option value=\"\"{}>any</option>",
        if current.is_none() { " selected" } else { "" }
    );
    for s in SEVERITY_CHOICES {
        let sel = current.is_some_and(|c| c.to_string() == s);
        let _ = write!(
            o,
            "<option value=\"{s}\"{}>{s}</option>",
            if sel { " selected" } else { "" }
        );
    }
    o.push_str("</select>\n");
}

fn advisories_page(site: &SiteData, f: &Filters) -> String {
    let base = site.base.as_str();
    let mut o = String::new();
    let _ = writeln!(o, "<p>Advisories concerning {}, its Go dependencies and Go itself, with the number of LTS releases each still affects. Summaries appear only when synced from a feed.</p>", Esc(&product_name(site)));
    let _ = write!(
        o,
        "<form class=\"filter\" action=\"{base}/advisories/\" method=\"get\">\n<div class=\"field\">\n",
    );
    severity_select(&mut o, "adv-severity", f.severity);
    let _ = write!(
        o,
        "</div>\n<div class=\"field\">\n<label for=\"adv-q\">Text</label>\n<input type=\"search\" id=\"adv-q\" name=\"q\" value=\"{}\" placeholder=\"id, alias, package\">\n</div>\n",
        Esc(&f.q)
    );
    let _ = write!(o, "<div class=\"field actions\">\n<button type=\"submit\">Filter</button>\n<a href=\"{base}/advisories/\">Reset</a>\n</div>\n</form>\n");
    let shown: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
        .filter(|a| advisory_matches(a, &f.q))
        .collect();
    let _ = writeln!(
        o,
        "<p class=\"count\">{} of {} advisories.</p>",
        shown.len(),
        site.advisories.len()
    );
    if !shown.is_empty() {
        table_start(
            &mut o,
            None,
            &[
                "Advisory",
                "Aliases",
                "Severity",
                "Score",
                "Published",
                "Open in",
            ],
        );
        for a in &shown {
            let s = &a.advisory;
            let aliases: Vec<String> = s.aliases.iter().map(|x| Esc(x).to_string()).collect();
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"aliases\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                Esc(&advisory_href(site, &s.id)),
                Esc(&s.id),
                if aliases.is_empty() { "—".into() } else { aliases.join(", ") },
                severity_badge(s.severity),
                score(s.score),
                published(&s.published),
                a.open_in.len()
            );
        }
        table_end(&mut o);
    }
    o.push_str(&json_link(&api_at(
        site,
        &format!("/advisories.json{}", f.query_string()),
    )));
    page(
        site,
        "Advisories".into(),
        Some(at(site, "/advisories/")),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}

fn advisory_page(site: &SiteData, a: &AdvisoryView) -> String {
    let s = &a.advisory;
    let mut o = String::new();
    if let Some(sum) = a.summary.as_deref().filter(|x| !x.trim().is_empty()) {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", Esc(sum));
    }
    o.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(
        o,
        "<dt>Severity</dt><dd>{}</dd>",
        severity_badge(s.severity)
    );
    let _ = writeln!(o, "<dt>CVSS score</dt><dd>{}</dd>", score(s.score));
    let _ = writeln!(
        o,
        "<dt>CVSS vector</dt><dd>{}</dd>",
        s.cvss_v3
            .as_deref()
            .map(|v| format!("<code>{}</code>", Esc(v)))
            .unwrap_or_else(|| "—".into())
    );
    let _ = writeln!(o, "<dt>Published</dt><dd>{}</dd>", published(&s.published));
    let _ = writeln!(
        o,
        "<dt>Aliases</dt><dd>{}</dd>",
        if s.aliases.is_empty() {
            "—".into()
        } else {
            s.aliases
                .iter()
                .map(|x| Esc(x).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        o,
        "<dt>Issue</dt><dd>{}</dd>",
        s.issue
            .as_deref()
            .map(url_or_code)
            .unwrap_or_else(|| "—".into())
    );
    let _ = writeln!(
        o,
        "<dt>Packages</dt><dd>{}</dd>",
        if s.packages.is_empty() {
            "—".into()
        } else {
            s.packages
                .iter()
                .map(|p| format!("<code>{}</code>", Esc(p)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    o.push_str("</dl>\n");

    o.push_str("<h2 id=\"ranges\">Affected ranges</h2>\n");
    let ranges: Vec<String> = a
        .ranges
        .iter()
        .map(|r| format!("<code>{}</code>", Esc(r)))
        .collect();
    o.push_str(&link_list(&ranges));
    // Line by line, as a security tracker shows it: what upstream did on the line (by the
    // status judgement at each of its patch releases) and where the line's newest LTS
    // release stands, with the evidence one click away on the release page.
    o.push_str("<h2 id=\"by-line\">By line</h2>\n");
    if a.by_line.is_empty() {
        o.push_str("<p class=\"empty\">No line is known to be affected.</p>\n");
    } else {
        table_start(
            &mut o,
            None,
            &["Line", "Upstream", "Newest LTS release", "Status"],
        );
        for row in &a.by_line {
            use klts_vuln::report::LineFix;
            let upstream = match &row.upstream {
                Some(LineFix::FixedIn(v)) => format!("fixed in <code>{}</code>", Esc(v)),
                Some(LineFix::ReleasedFixed(v)) => {
                    format!("released fixed (<code>{}</code>)", Esc(v))
                }
                Some(LineFix::NotAffected) => "not affected".into(),
                Some(LineFix::Open(v)) => {
                    format!(
                        "<strong>never fixed</strong> (up to <code>{}</code>)",
                        Esc(v)
                    )
                }
                Some(LineFix::Unassessed) => {
                    "not assessed (out of upstream support when published)".into()
                }
                None => "needs the source tree".into(),
            };
            let line_cell = if site.line(&row.line).is_some() {
                format!(
                    "<a href=\"{}\">{}</a>",
                    Esc(&line_href(site, &row.line)),
                    Esc(&row.line)
                )
            } else {
                Esc(&row.line).to_string()
            };
            let (release, status) = match &row.lts {
                Some((name, st)) => (release_link(site, name), status_badge(*st)),
                None => ("—".into(), "—".into()),
            };
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\">{line_cell}</th><td>{upstream}</td><td>{release}</td><td>{status}</td></tr>"
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"fixed-lts\">Fixed by LTS in</h2>\n");
    o.push_str(&link_list(
        &a.fixed_by_lts_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));
    o.push_str("<h2 id=\"open\">Still open in</h2>\n");
    o.push_str(&link_list(
        &a.open_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));

    o.push_str("<h2 id=\"releases\">Status in each release</h2>\n");
    if a.statuses.is_empty() {
        o.push_str("<p class=\"empty\">No LTS release to evaluate.</p>\n");
    } else {
        table_start(&mut o, None, &["Release", "Status"]);
        for (name, st) in &a.statuses {
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                release_link(site, name),
                status_badge(*st)
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"references\">References</h2>\n");
    o.push_str(&link_list(
        &a.references
            .iter()
            .map(|r| url_or_code(r))
            .collect::<Vec<_>>(),
    ));
    o.push_str(&json_link(&api_at(
        site,
        &format!("/advisories/{}.json", encode_segment(&s.id)),
    )));
    page(
        site,
        s.id.clone(),
        Some(advisory_href(site, &s.id)),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}

fn matrix_page(site: &SiteData, f: &Filters, static_view: bool) -> String {
    let base = site.base.as_str();
    let m = filter_matrix(site, f);
    let mut o = String::new();
    o.push_str(
        "<p>The status of every advisory that concerns some LTS release, release by release.</p>\n",
    );
    let _ = write!(
        o,
        "<form class=\"filter\" action=\"{base}/matrix/\" method=\"get\">\n<div class=\"field\">\n",
    );
    severity_select(&mut o, "mx-severity", f.severity);
    o.push_str("</div>\n<div class=\"field\">\n<label for=\"mx-line\">Line</label>\n<select id=\"mx-line\" name=\"line\">");
    let _ = write!(
        o,
        "<option value=\"\"{}>any</option>",
        if f.lines.is_empty() { " selected" } else { "" }
    );
    let mut matrix_lines: Vec<MinorLine> = site
        .matrix
        .releases
        .iter()
        .filter_map(|r| release_line(r))
        .collect();
    matrix_lines.sort();
    matrix_lines.dedup();
    for l in matrix_lines.iter().rev() {
        let sel = f.lines.len() == 1 && f.lines[0] == *l;
        let _ = write!(
            o,
            "<option value=\"{l}\"{}>{l}</option>",
            if sel { " selected" } else { "" }
        );
    }
    o.push_str("</select>\n</div>\n<div class=\"field\">\n<label for=\"mx-status\">Status</label>\n<select id=\"mx-status\" name=\"status\">");
    let _ = write!(
        o,
        "<option value=\"\"{}>any</option>",
        if f.statuses.is_empty() {
            " selected"
        } else {
            ""
        }
    );
    for s in StatusKind::ALL {
        let sel = f.statuses.len() == 1 && f.statuses[0] == s;
        let _ = write!(
            o,
            "<option value=\"{s}\"{}>{s}</option>",
            if sel { " selected" } else { "" }
        );
    }
    let _ = write!(o, "</select>\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">Filter</button>\n<a href=\"{base}/matrix/\">Reset</a>\n</div>\n</form>\n");
    o.push_str("<p class=\"hint\">Also: ");
    let statics: Vec<String> = STATIC_MATRIX_SEVERITIES
        .iter()
        .map(|s| {
            format!(
                "<a href=\"{base}/matrix/severity/{s}/\">{s}{}</a>",
                if *s == "critical" { "" } else { " and above" }
            )
        })
        .collect();
    o.push_str(&statics.join(", "));
    o.push_str(
        ". Status filters keep advisories with that status in at least one shown release.</p>\n",
    );
    if static_view {
        let _ = writeln!(
            o,
            "<p class=\"note\">Showing advisories of severity {} and above.</p>",
            f.severity
                .map(|s| s.to_string())
                .unwrap_or_else(|| "any".into())
        );
    }
    o.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n");
    for s in StatusKind::ALL {
        let _ = writeln!(
            o,
            "<li><span class=\"cell st-{s}\">{}</span> {}</li>",
            status_short(s),
            Esc(status_meaning(s))
        );
    }
    o.push_str("</ul>\n");
    let _ = writeln!(
        o,
        "<p class=\"count\">{} advisories × {} releases.</p>",
        m.rows.len(),
        m.columns.len()
    );
    if m.columns.is_empty() || m.rows.is_empty() {
        let why = if site.matrix.releases.is_empty() {
            "No LTS release to show: the portal was built without releases."
        } else {
            "Nothing matches these filters."
        };
        let _ = writeln!(o, "<p class=\"empty\">{why}</p>");
    } else {
        o.push_str("<div class=\"table-wrap matrix-wrap\">\n<table class=\"matrix\">\n<thead><tr><th scope=\"col\">Advisory</th><th scope=\"col\">Severity</th>");
        for &i in &m.columns {
            let name = site
                .matrix
                .releases
                .get(i)
                .map(String::as_str)
                .unwrap_or("");
            let _ = write!(
                o,
                "<th scope=\"col\" class=\"rel\">{}</th>",
                release_link(site, name)
            );
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for row in &m.rows {
            let _ = write!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td>",
                Esc(&advisory_href(site, &row.advisory.id)),
                Esc(&row.advisory.id),
                severity_badge(row.advisory.severity)
            );
            for &i in &m.columns {
                match row.cells.get(i) {
                    Some(c) => {
                        let release = site
                            .matrix
                            .releases
                            .get(i)
                            .map(String::as_str)
                            .unwrap_or("");
                        let mut title = format!("{release}: {}", c.status);
                        if let Some(e) = c.evidence.first() {
                            let _ = write!(title, " — {e}");
                        }
                        let _ = write!(
                            o,
                            "<td class=\"cell st-{}\" title=\"{}\">{}</td>",
                            c.status,
                            Esc(&title),
                            status_short(c.status)
                        );
                    }
                    None => o.push_str("<td class=\"cell\">—</td>"),
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n</div>\n");
    }
    o.push_str(&json_link(&api_at(
        site,
        &format!("/matrix.json{}", f.query_string()),
    )));
    let canonical = if static_view {
        f.severity
            .map(|s| at(site, &format!("/matrix/severity/{s}/")))
    } else {
        Some(at(site, "/matrix/"))
    };
    layout(
        site,
        Page {
            title: if static_view {
                format!(
                    "Matrix: {} and above",
                    f.severity.map(|s| s.to_string()).unwrap_or_default()
                )
            } else {
                "Matrix".into()
            },
            h1: None,
            canonical,
            nav: Nav::Matrix,
            errors: errors_of(site, &["advisories", "releases"]),
            body: o,
            q: "",
        },
    )
}

/// The lifecycle chart of the site's lines, `width` pixels wide.
fn lifecycle_svg(site: &SiteData, width: f64) -> String {
    let statuses: Vec<LineStatus> = site.lines.iter().map(|l| l.status.clone()).collect();
    chart::lifecycle_svg_width(
        &statuses,
        site.date,
        &format!("{} lifecycle on {}", product_name(site), site.date),
        width,
    )
}

/// The SVG without an XML declaration or doctype, to inline in HTML.
fn inline_svg(svg: &str) -> &str {
    let mut s = svg.trim_start();
    loop {
        if s.starts_with("<?") {
            match s.find("?>") {
                Some(i) => s = s[i + 2..].trim_start(),
                None => return "",
            }
        } else if s.starts_with("<!") {
            match s.find('>') {
                Some(i) => s = s[i + 1..].trim_start(),
                None => return "",
            }
        } else {
            return s;
        }
    }
}

fn lifecycle_page(site: &SiteData) -> String {
    let base = site.base.as_str();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<p>When each {} minor line was released, when the community stops maintaining it, and how long the LTS program supports it after that, on <span class=\"date\">{}</span>.</p>",
        Esc(&product_name(site)),
        Esc(&site.date.to_string())
    );
    // Two layouts of the same chart, one shown per screen width (style.css): scaled down to a
    // phone, the 960 px chart's labels would be 4 px tall; the narrow one keeps them near 12 px.
    let svg = lifecycle_svg(site, chart::WIDTH);
    let narrow = lifecycle_svg(site, chart::NARROW_WIDTH);
    o.push_str("<figure class=\"chart\">\n<div class=\"chart-wide\">\n");
    o.push_str(inline_svg(&svg).trim_end());
    o.push_str("\n</div>\n<div class=\"chart-narrow\">\n");
    o.push_str(inline_svg(&narrow).trim_end());
    o.push_str("\n</div>");
    let _ = write!(o, "\n<figcaption>The lifecycle of every line (<a href=\"{base}/lifecycle.svg\">as an SVG image</a>).</figcaption>\n</figure>\n");
    o.push_str("<h2 id=\"dates\">Dates</h2>\n");
    if site.lines.is_empty() {
        o.push_str("<p class=\"empty\">No line is known.</p>\n");
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, &mut o, &all);
    }
    o.push_str(&json_link(&api_at(site, "/lines.json")));
    page(
        site,
        "Lifecycle".into(),
        Some(at(site, "/lifecycle/")),
        Nav::Lifecycle,
        errors_of(site, &["lifecycle"]),
        o,
    )
}

fn search_page(site: &SiteData, q: &str) -> String {
    let base = site.base.as_str();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<form class=\"filter\" action=\"{base}/search/\" method=\"get\" role=\"search\">\n<div class=\"field grow\">\n<label for=\"search-q\">Lines, releases, advisory ids and aliases, packages, patches</label>\n<input type=\"search\" id=\"search-q\" name=\"q\" value=\"{}\">\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">Search</button>\n</div>\n</form>",
        Esc(q)
    );
    let q = q.trim();
    let lines: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| q.is_empty() || line_matches(l, q))
        .collect();
    let releases: Vec<&ReleaseView> = site
        .releases
        .iter()
        .filter(|r| q.is_empty() || release_matches(r, q))
        .collect();
    let advisories: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| advisory_matches(a, q))
        .collect();
    if q.is_empty() {
        o.push_str("<p class=\"hint\">Enter a term above. Below is everything the portal knows: a static copy of this portal filters it as you type (with JavaScript), and without JavaScript it is there for your browser's find in page.</p>\n");
        o.push_str("<p class=\"count\" id=\"search-count\" aria-live=\"polite\"></p>\n");
    } else {
        let _ = writeln!(
            o,
            "<p class=\"count\" id=\"search-count\" aria-live=\"polite\">{} results for <q>{}</q>.</p>",
            lines.len() + releases.len() + advisories.len(),
            Esc(q)
        );
    }
    let _ = writeln!(o, "<h2 id=\"lines\">Lines ({})</h2>", lines.len());
    if lines.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"inline-list\">\n");
        for l in &lines {
            let _ = writeln!(
                o,
                "<li{}><a href=\"{}\">{} {}</a> {}</li>",
                data_terms(&line_terms(l)),
                Esc(&line_href(site, &l.line)),
                Esc(&product_name(site)),
                Esc(&l.line),
                phase_badge(&l.status)
            );
        }
        o.push_str("</ul>\n");
    }
    let _ = writeln!(o, "<h2 id=\"releases\">Releases ({})</h2>", releases.len());
    if releases.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"inline-list\">\n");
        for r in &releases {
            let _ = writeln!(
                o,
                "<li{}>{}</li>",
                data_terms(&release_terms(r)),
                release_link(site, &r.name)
            );
        }
        o.push_str("</ul>\n");
    }
    let _ = writeln!(
        o,
        "<h2 id=\"advisories\">Advisories ({})</h2>",
        advisories.len()
    );
    if advisories.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"results\">\n");
        for a in &advisories {
            let s = &a.advisory;
            let mut extra = Vec::new();
            if !s.aliases.is_empty() {
                extra.push(
                    s.aliases
                        .iter()
                        .map(|x| Esc(x).to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if !s.packages.is_empty() {
                extra.push(
                    s.packages
                        .iter()
                        .map(|x| format!("<code>{}</code>", Esc(x)))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            let _ = writeln!(
                o,
                "<li{}><a href=\"{}\">{}</a> {} <span class=\"meta\">{}</span></li>",
                data_terms(&advisory_terms(a)),
                Esc(&advisory_href(site, &s.id)),
                Esc(&s.id),
                severity_badge(s.severity),
                extra.join(" · ")
            );
        }
        o.push_str("</ul>\n");
    }
    // The one script of the portal (progressive enhancement; see assets/search.js).
    let _ = writeln!(
        o,
        "<script src=\"{}\" defer></script>",
        Esc(&at(site, "/assets/search.js"))
    );
    layout(
        site,
        Page {
            title: if q.is_empty() {
                "Search".into()
            } else {
                format!("Search: {}", clip(q, 60))
            },
            h1: Some("Search".into()),
            canonical: Some(at(site, "/search/")),
            nav: Nav::None,
            errors: Vec::new(),
            body: o,
            q,
        },
    )
}

fn error_links(site: &SiteData) -> String {
    let base = &site.base;
    format!("<ul class=\"inline-list\">\n<li><a href=\"{base}/\">Home</a></li>\n<li><a href=\"{base}/lines/\">Lines</a></li>\n<li><a href=\"{base}/releases/\">Releases</a></li>\n<li><a href=\"{base}/advisories/\">Advisories</a></li>\n<li><a href=\"{base}/matrix/\">Matrix</a></li>\n<li><a href=\"{base}/search/\">Search</a></li>\n</ul>\n")
}

/// The 404 page for `path` (a JSON body under `/api/`).
pub fn not_found(site: &SiteData, path: &str) -> Response {
    let base = site.base.as_str();
    let api =
        path.trim_start_matches('/').starts_with("api/") || path.trim_start_matches('/') == "api";
    if api {
        return json_error(404, &format!("no such API path: {}", clip(path, 200)));
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<p>There is no page at <code>{}</code>.</p>",
        Esc(&clip(&at(site, path), 200))
    );
    let rel = path.trim_start_matches('/');
    let hint = if rel.starts_with("releases/") {
        Some(("/releases/", "No release has that name: see every release."))
    } else if rel.starts_with("advisories/") {
        Some((
            "/advisories/",
            "No advisory has that id or alias: see every advisory.",
        ))
    } else if rel.starts_with("lines/") {
        Some((
            "/lines/",
            "No line has that name (write it like 1.17): see every line.",
        ))
    } else {
        None
    };
    if let Some((href, text)) = hint {
        let _ = writeln!(o, "<p><a href=\"{}\">{text}</a></p>", at(site, href));
    }
    let term = rel.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    if !term.is_empty() && term.chars().count() <= MAX_QUERY_CHARS {
        let _ = writeln!(
            o,
            "<p><a href=\"{base}/search/?q={}\">Search for <q>{}</q></a>.</p>",
            Esc(&encode_segment(term)),
            Esc(term)
        );
    }
    o.push_str(&error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: "Page not found".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                // A release or advisory may be missing because a workspace file is broken:
                // say so where the user looks for it.
                errors: if rel.starts_with("releases/") || rel.starts_with("lines/") {
                    errors_of(site, &["releases"])
                } else if rel.starts_with("advisories/") {
                    errors_of(site, &["advisories"])
                } else {
                    Vec::new()
                },
                body: o,
                q: "",
            },
        ),
    )
}

/// The generic 404 page (the static build's `404.html`).
pub fn not_found_page(site: &SiteData) -> Response {
    let mut o = String::from("<p>There is no page at this address.</p>\n");
    o.push_str(&error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: "Page not found".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                errors: Vec::new(),
                body: o,
                q: "",
            },
        ),
    )
}

/// A page that sends the reader to `to` (a path of this portal): for klts.io's old addresses
/// in a static build, where no server can answer 301.
pub fn moved_page(to: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved</title>\n<meta http-equiv=\"refresh\" content=\"0; url={0}\">\n<link rel=\"canonical\" href=\"{0}\">\n</head>\n<body>\n<p>This page moved to <a href=\"{0}\">{0}</a>.</p>\n</body>\n</html>\n",
        Esc(to)
    )
}

fn bad_request(site: &SiteData, back: &str, errors: &[String]) -> Response {
    let mut o =
        String::from("<p>The address asks for something this page cannot show:</p>\n<ul>\n");
    for e in errors {
        let _ = writeln!(o, "<li>{}</li>", Esc(e));
    }
    let _ = writeln!(
        o,
        "</ul>\n<p><a href=\"{}\">Show the page without filters</a>.</p>",
        Esc(&at(site, back))
    );
    o.push_str(&error_links(site));
    Response::html(
        400,
        layout(
            site,
            Page {
                title: "Bad request".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                errors: Vec::new(),
                body: o,
                q: "",
            },
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The JSON API.

/// The lines in the shape of the endoflife.date API (`/api/<product>.json`), so that
/// dashboards that read endoflife.date can read the program: `support` is the end of community
/// support, `eol` the end of the program's support (`false` while supported until further
/// notice), `extendedSupport` the LTS end, `lts` whether the line is in the program, `latest`
/// the newest release (the program's, else upstream's) and `latestReleaseDate` the day the
/// program shipped it, when known. Newest line first, as endoflife.date lists cycles.
fn eol_cycles(site: &SiteData) -> serde_json::Value {
    use serde_json::Value;
    let date = |d: Option<klts_core::lifecycle::Date>| match d {
        Some(d) => Value::String(d.to_string()),
        None => Value::Bool(false),
    };
    let cycles: Vec<Value> = site
        .lines
        .iter()
        .map(|l| {
            let st = &l.status;
            let further_notice = st.lts_end.is_none() && st.lts_basis == Some("policy");
            let eol = match (st.in_program || further_notice, st.lts_end) {
                (true, Some(end)) => Value::String(end.to_string()),
                (true, None) if further_notice => Value::Bool(false),
                _ => date(st.community_eol),
            };
            let mut c = serde_json::json!({
                "cycle": l.line,
                "releaseDate": st.released.to_string(),
                "support": date(st.community_eol),
                "eol": eol,
                "extendedSupport": match st.lts_end {
                    Some(end) => Value::String(end.to_string()),
                    None => Value::Bool(further_notice),
                },
                "lts": st.in_program || further_notice,
                "latest": l.newest.as_deref().map(|n| n.trim_start_matches('v')).unwrap_or_default(),
            });
            if let Some(a) = &st.activity {
                c["latestReleaseDate"] = Value::String(a.date.to_string());
            }
            c
        })
        .collect();
    Value::Array(cycles)
}

fn api_endpoints(site: &SiteData) -> serde_json::Value {
    let e = |path: &str, description: &str| serde_json::json!({ "path": api_at(site, path), "description": description });
    serde_json::json!([
        e("/index.json", "this list"),
        e("/lines.json", "every minor line with its lifecycle status"),
        e("/eol.json", "every line in the endoflife.date API shape (cycle, releaseDate, support, eol, lts, latest, …)"),
        e("/lines/{line}.json", "one line (`1.17`)"),
        e("/releases.json", "every LTS release, summarized"),
        e("/releases/{name}.json", "one release: chain, patches, advisories, install instructions"),
        e("/advisories.json", "advisory summaries (live server: ?severity=&q=)"),
        e("/advisories/{id}.json", "one advisory (id or alias) with its status in each release"),
        e("/matrix.json", "releases × advisories (live server: ?severity=&line=&status=)"),
        e("/status/{version}.json", "what a cluster at a version is exposed to (static build: LTS releases and the newest upstream patch of each line)"),
    ])
}

/// The products of the portal: the program's, or this site alone.
fn products(site: &SiteData) -> Vec<crate::data::ProductLink> {
    if !site.products.is_empty() {
        return site.products.clone();
    }
    vec![crate::data::ProductLink {
        name: site.product_kind.as_str().to_string(),
        display_name: product_name(site),
        href: at(site, "/"),
        api: api_at(site, "/index.json"),
    }]
}

fn api(site: &SiteData, rest: &[&str], trailing_slash: bool, query: &str) -> Response {
    // The path as the client asked for it (a product's API is under its prefix).
    let full = match rest.split_first() {
        Some((&"v1", tail)) => api_at(site, &format!("/{}", tail.join("/"))),
        _ => format!("/api/{}", rest.join("/")),
    };
    if trailing_slash && !matches!(rest, ["v1"]) {
        return json_error(404, &format!("no such API path: {}", clip(&full, 200)));
    }
    let strip = |s: &str| {
        s.strip_suffix(".json")
            .map(str::to_string)
            .unwrap_or_else(|| s.to_string())
    };
    match rest {
        ["v1"] | ["v1", "index.json"] | ["v1", "index"] => {
            let paths: Vec<String> = all_paths(site)
                .into_iter()
                .filter(|p| p.starts_with("/api/"))
                .collect();
            Response::json(
                200,
                &serde_json::json!({
                    "api": "klts portal",
                    "version": 1,
                    "product": site.product,
                    "generated": site.date.to_string(),
                    "advisories_as_of": site.advisories_as_of,
                    "workspace": site.workspace,
                    "errors": site.errors,
                    "endpoints": api_endpoints(site),
                    "products": products(site),
                    "paths": paths,
                }),
            )
        }
        ["v1", "eol.json"] | ["v1", "eol"] => Response::json(200, &eol_cycles(site)),
        ["v1", "lines.json"] | ["v1", "lines"] => Response::json(
            200,
            &serde_json::json!({ "generated": site.date.to_string(), "lines": site.lines }),
        ),
        ["v1", "lines", l] => match site.line(&strip(l)) {
            Some(line) => Response::json(200, line),
            None => json_error(404, &format!("no line {}", clip(&strip(l), 60))),
        },
        ["v1", "releases.json"] | ["v1", "releases"] => {
            let releases: Vec<serde_json::Value> = site
                .releases
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name,
                        "line": r.line,
                        "base_tag": r.base_tag,
                        "must": r.must,
                        "materialized": r.materialized,
                        "commit": r.commit,
                        "previous": r.previous,
                        "fixed": r.fixed.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "open": r.open.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "ignored": r.ignored.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "page": release_href(site, &r.name),
                    })
                })
                .collect();
            Response::json(
                200,
                &serde_json::json!({ "generated": site.date.to_string(), "releases": releases }),
            )
        }
        ["v1", "releases", r] => match site.release_or_stage(&strip(r)) {
            Some(rel) => Response::json(200, rel),
            None => json_error(404, &format!("no release {}", clip(&strip(r), 60))),
        },
        ["v1", "advisories.json"] | ["v1", "advisories"] => {
            let f = match parse_filters(site, query, &["severity", "q", "page"]) {
                Ok(f) => f,
                Err(e) => return json_error(400, &e.join("; ")),
            };
            let list: Vec<serde_json::Value> = site
                .advisories
                .iter()
                .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
                .filter(|a| advisory_matches(a, &f.q))
                .map(|a| {
                    let mut v =
                        serde_json::to_value(&a.advisory).unwrap_or(serde_json::Value::Null);
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("summary".into(), serde_json::json!(a.summary));
                        m.insert("open_in".into(), serde_json::json!(a.open_in));
                        m.insert(
                            "fixed_by_lts_in".into(),
                            serde_json::json!(a.fixed_by_lts_in),
                        );
                        m.insert(
                            "page".into(),
                            serde_json::json!(advisory_href(site, &a.advisory.id)),
                        );
                    }
                    v
                })
                .collect();
            let (list, pagination) = paginate(list, &f, &api_at(site, "/advisories.json"));
            Response::json(
                200,
                &serde_json::json!({
                    "generated": site.date.to_string(),
                    "advisories_as_of": site.advisories_as_of,
                    "pagination": pagination,
                    "advisories": list,
                }),
            )
        }
        ["v1", "advisories", id] => match find_advisory(site, &strip(id)) {
            Some(a) => Response::json(200, a),
            None => json_error(404, &format!("no advisory {}", clip(&strip(id), 60))),
        },
        ["v1", "matrix.json"] | ["v1", "matrix"] => {
            let f = match parse_filters(site, query, &["severity", "line", "status", "page"]) {
                Ok(f) => f,
                Err(e) => return json_error(400, &e.join("; ")),
            };
            let m = filter_matrix(site, &f);
            let rows: Vec<MatrixRowOut> = m
                .rows
                .iter()
                .map(|r| MatrixRowOut {
                    advisory: &r.advisory,
                    cells: m.columns.iter().filter_map(|&i| r.cells.get(i)).collect(),
                })
                .collect();
            let (rows, pagination) = paginate(rows, &f, &api_at(site, "/matrix.json"));
            let out = MatrixOut {
                pagination,
                filter: serde_json::json!({
                    "severity": f.severity.map(|s| s.to_string()),
                    "lines": f.lines.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                    "statuses": f.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                }),
                releases: m
                    .columns
                    .iter()
                    .filter_map(|&i| site.matrix.releases.get(i).map(String::as_str))
                    .collect(),
                rows,
            };
            Response::json(200, &out)
        }
        ["v1", "status", v] => match site.version_status(&strip(v)) {
            Ok(value) => Response::json(200, &value),
            Err((400, e)) => {
                json_error(400, &format!("bad version `{}`: {e}", clip(&strip(v), 60)))
            }
            Err((code, e)) => json_error(code, &clip(&e, 300)),
        },
        _ => json_error(
            404,
            &format!(
                "no such API path: {}; see {}",
                clip(&full, 200),
                api_at(site, "/index.json")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain — text"), "plain — text");
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn encodes_and_decodes_segments() {
        assert_eq!(encode_segment("v1.17.17-lts.3"), "v1.17.17-lts.3");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment(".."), "%2E%2E");
        assert_eq!(percent_decode("a%2Fb%20c", false).as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("100%", false).as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz%4", false).as_deref(), Some("%zz%4"));
        assert_eq!(percent_decode("%ff", false), None);
        for s in ["", "%", "%%", "%4", "a%", "é%C3%A9"] {
            let _ = percent_decode(s, true);
        }
    }

    #[test]
    fn query_strings() {
        let q = Query::parse("severity=High&line=1.17,1.18&line=1.19&q=a+b%21&=x&&flag");
        assert_eq!(q.last("severity"), "High");
        assert_eq!(q.all("line"), vec!["1.17", "1.18", "1.19"]);
        assert_eq!(q.last("q"), "a b!");
        assert_eq!(q.last("missing"), "");
        assert!(parse_severity("urgent")
            .unwrap_err()
            .contains("low, medium, high, critical"));
        assert_eq!(parse_severity("").unwrap(), None);
        assert_eq!(parse_severity("Moderate").unwrap(), Some(Severity::Medium));
    }

    #[test]
    fn text_search_needs_every_term() {
        assert!(text_matches("cve 2021", &["CVE-2021-25741"]));
        assert!(!text_matches("cve 2020", &["CVE-2021-25741"]));
        assert!(text_matches("", &[]));
    }

    #[test]
    fn svg_prolog_is_stripped_for_inlining() {
        assert_eq!(
            inline_svg("<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg></svg>"),
            "<svg></svg>"
        );
        assert_eq!(inline_svg("<svg/>"), "<svg/>");
        assert_eq!(inline_svg("<?xml"), "");
    }

    #[test]
    fn table_cells_carry_their_column_for_phones() {
        let mut o = String::from("<p>before</p>\n");
        table_start(&mut o, Some("c"), &["Line", "Support & end"]);
        o.push_str("<tr><th scope=\"row\"><a href=\"/l\">1.17</a></th><td class=\"date\">&lt;td 2024</td></tr>\n");
        o.push_str("<tr><th scope=\"row\">1.18</th><td><ul class=\"evidence\"><li>x</li></ul></td><td>extra</td></tr>\n");
        table_end(&mut o);
        assert!(o.starts_with("<p>before</p>\n<div class=\"table-wrap\">\n<table class=\"stack\">\n<caption>c</caption>"), "{o}");
        assert!(o.contains("<tr><th data-label=\"Line\" scope=\"row\"><a href=\"/l\">1.17</a></th><td data-label=\"Support &amp; end\" class=\"date\">&lt;td 2024</td></tr>"), "{o}");
        // More cells than headers: the extra one gets no label rather than a wrong one.
        assert!(o.contains("<tr><th data-label=\"Line\" scope=\"row\">1.18</th><td data-label=\"Support &amp; end\"><ul class=\"evidence\"><li>x</li></ul></td><td>extra</td></tr>"), "{o}");
        assert!(o.contains("<thead><tr><th scope=\"col\">Line</th>"), "{o}");
        assert!(o.ends_with("</tbody>\n</table>\n</div>\n"), "{o}");
    }

    #[test]
    fn clipping_respects_characters() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 2), "ab");
    }
}
